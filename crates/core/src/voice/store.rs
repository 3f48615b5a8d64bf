//! All SQL of the voice slice.

use sqlx::{AnyConnection, Row};

use super::model::{Bylaw, Poll, Suggestion};
use super::rules::{BylawStatus, SuggestionStatus, VoiceSettings};
use crate::error::AppResult;

fn bad(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("bad {what} in a voice record").into())
}

// ---------------------------------------------------------------- settings

pub async fn settings(conn: &mut AnyConnection, county: &str) -> AppResult<VoiceSettings> {
    let days: Option<i64> =
        sqlx::query_scalar("SELECT answer_days FROM voice_settings WHERE county_code = $1")
            .bind(county.to_string())
            .fetch_optional(conn)
            .await?;
    Ok(
        days.map_or_else(VoiceSettings::default, |answer_days| VoiceSettings {
            answer_days,
        }),
    )
}

pub async fn put_settings(
    conn: &mut AnyConnection,
    county: &str,
    s: &VoiceSettings,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO voice_settings (county_code, answer_days, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (county_code) DO UPDATE SET answer_days = excluded.answer_days, \
         updated_at = excluded.updated_at",
    )
    .bind(county.to_string())
    .bind(s.answer_days)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- suggestions

const SUGGESTION_COLS: &str = "id, county_code, area_code, author_user_id, author_person_id, \
    posted_by, text, status, answer_text, matter_id, answered_by, answered_at, due_at, \
    created_at, updated_at";

fn row_to_suggestion(r: &sqlx::any::AnyRow) -> Result<Suggestion, sqlx::Error> {
    let status: String = r.try_get(7)?;
    Ok(Suggestion {
        id: r.try_get(0)?,
        county_code: r.try_get(1)?,
        area_code: r.try_get(2)?,
        author_user_id: r.try_get(3)?,
        author_person_id: r.try_get(4)?,
        posted_by: r.try_get(5)?,
        text: r.try_get(6)?,
        status: SuggestionStatus::parse(&status).ok_or_else(|| bad("status"))?,
        answer_text: r.try_get(8)?,
        matter_id: r.try_get(9)?,
        answered_by: r.try_get(10)?,
        answered_at: r.try_get(11)?,
        due_at: r.try_get(12)?,
        created_at: r.try_get(13)?,
        updated_at: r.try_get(14)?,
    })
}

pub async fn insert_suggestion(conn: &mut AnyConnection, s: &Suggestion) -> AppResult<()> {
    sqlx::query(&format!(
        "INSERT INTO suggestions ({SUGGESTION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         $10, $11, $12, $13, $14, $15)"
    ))
    .bind(s.id.clone())
    .bind(s.county_code.clone())
    .bind(s.area_code.clone())
    .bind(s.author_user_id.clone())
    .bind(s.author_person_id.clone())
    .bind(s.posted_by.clone())
    .bind(s.text.clone())
    .bind(s.status.as_str())
    .bind(s.answer_text.clone())
    .bind(s.matter_id.clone())
    .bind(s.answered_by.clone())
    .bind(s.answered_at)
    .bind(s.due_at)
    .bind(s.created_at)
    .bind(s.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update_suggestion(conn: &mut AnyConnection, s: &Suggestion) -> AppResult<()> {
    sqlx::query(
        "UPDATE suggestions SET status = $2, answer_text = $3, matter_id = $4, answered_by = $5, \
         answered_at = $6, updated_at = $7 WHERE id = $1",
    )
    .bind(s.id.clone())
    .bind(s.status.as_str())
    .bind(s.answer_text.clone())
    .bind(s.matter_id.clone())
    .bind(s.answered_by.clone())
    .bind(s.answered_at)
    .bind(s.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn suggestion(conn: &mut AnyConnection, id: &str) -> AppResult<Option<Suggestion>> {
    let row = sqlx::query(&format!(
        "SELECT {SUGGESTION_COLS} FROM suggestions WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(row_to_suggestion).transpose()?)
}

/// Suggestions of the areas under `prefix`, newest first.
pub async fn suggestions_in(conn: &mut AnyConnection, prefix: &str) -> AppResult<Vec<Suggestion>> {
    let rows = sqlx::query(&format!(
        "SELECT {SUGGESTION_COLS} FROM suggestions WHERE area_code >= $1 AND area_code < $2 \
         ORDER BY created_at DESC, id DESC"
    ))
    .bind(prefix.to_string())
    .bind(format!("{prefix}~"))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .iter()
        .map(row_to_suggestion)
        .collect::<Result<_, _>>()?)
}

/// A villager's own suggestions (by account, or by registry person), newest first.
pub async fn suggestions_of(
    conn: &mut AnyConnection,
    user_id: &str,
    person_id: &str,
) -> AppResult<Vec<Suggestion>> {
    let rows = sqlx::query(&format!(
        "SELECT {SUGGESTION_COLS} FROM suggestions \
         WHERE ($1 <> '' AND author_user_id = $1) OR ($2 <> '' AND author_person_id = $2) \
         ORDER BY created_at DESC, id DESC"
    ))
    .bind(user_id.to_string())
    .bind(person_id.to_string())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .iter()
        .map(row_to_suggestion)
        .collect::<Result<_, _>>()?)
}

/// Open suggestions under `prefix` whose deadline passed before `now`, oldest deadline first.
pub async fn overdue_in(
    conn: &mut AnyConnection,
    prefix: &str,
    now: i64,
) -> AppResult<Vec<Suggestion>> {
    let rows = sqlx::query(&format!(
        "SELECT {SUGGESTION_COLS} FROM suggestions WHERE area_code >= $1 AND area_code < $2 \
         AND status = 'open' AND due_at < $3 ORDER BY due_at, id"
    ))
    .bind(prefix.to_string())
    .bind(format!("{prefix}~"))
    .bind(now)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .iter()
        .map(row_to_suggestion)
        .collect::<Result<_, _>>()?)
}

/// Whether `person_id` is an active person registered in the areas under `prefix`.
pub async fn person_in(conn: &mut AnyConnection, person_id: &str, prefix: &str) -> AppResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM persons WHERE id = $1 AND status = 'active' \
         AND area_code >= $2 AND area_code < $3",
    )
    .bind(person_id.to_string())
    .bind(prefix.to_string())
    .bind(format!("{prefix}~"))
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

// ---------------------------------------------------------------- polls

const POLL_COLS: &str =
    "id, county_code, area_code, question, options_json, closes_at, created_by, created_at";

fn row_to_poll(r: &sqlx::any::AnyRow) -> Result<Poll, sqlx::Error> {
    let options: String = r.try_get(4)?;
    Ok(Poll {
        id: r.try_get(0)?,
        county_code: r.try_get(1)?,
        area_code: r.try_get(2)?,
        question: r.try_get(3)?,
        options: serde_json::from_str(&options).map_err(|_| bad("poll options"))?,
        closes_at: r.try_get(5)?,
        created_by: r.try_get(6)?,
        created_at: r.try_get(7)?,
    })
}

pub async fn insert_poll(conn: &mut AnyConnection, p: &Poll) -> AppResult<()> {
    sqlx::query(&format!(
        "INSERT INTO polls ({POLL_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(p.id.clone())
    .bind(p.county_code.clone())
    .bind(p.area_code.clone())
    .bind(p.question.clone())
    .bind(serde_json::to_string(&p.options).map_err(anyhow::Error::from)?)
    .bind(p.closes_at)
    .bind(p.created_by.clone())
    .bind(p.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn poll(conn: &mut AnyConnection, id: &str) -> AppResult<Option<Poll>> {
    let row = sqlx::query(&format!("SELECT {POLL_COLS} FROM polls WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(row_to_poll).transpose()?)
}

pub async fn polls_in(conn: &mut AnyConnection, prefix: &str) -> AppResult<Vec<Poll>> {
    let rows = sqlx::query(&format!(
        "SELECT {POLL_COLS} FROM polls WHERE area_code >= $1 AND area_code < $2 \
         ORDER BY created_at DESC, id DESC"
    ))
    .bind(prefix.to_string())
    .bind(format!("{prefix}~"))
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(row_to_poll).collect::<Result<_, _>>()?)
}

/// Record a vote; `false` when this voter already voted (the unique key holds, on both
/// backends, even under concurrent requests).
pub async fn insert_vote(
    conn: &mut AnyConnection,
    poll: &Poll,
    voter_key: &str,
    option: i64,
    now: i64,
) -> AppResult<bool> {
    let r = sqlx::query(
        "INSERT INTO poll_votes (poll_id, county_code, voter_key, option_index, voted_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (poll_id, voter_key) DO NOTHING",
    )
    .bind(poll.id.clone())
    .bind(poll.county_code.clone())
    .bind(voter_key.to_string())
    .bind(option)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Whether `voter_key` has voted in a poll.
pub async fn has_vote(conn: &mut AnyConnection, poll_id: &str, voter_key: &str) -> AppResult<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM poll_votes WHERE poll_id = $1 AND voter_key = $2")
            .bind(poll_id.to_string())
            .bind(voter_key.to_string())
            .fetch_one(conn)
            .await?;
    Ok(n > 0)
}

/// Every choice cast in a poll (option indexes).
pub async fn choices(conn: &mut AnyConnection, poll_id: &str) -> AppResult<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT option_index FROM poll_votes WHERE poll_id = $1")
            .bind(poll_id.to_string())
            .fetch_all(conn)
            .await?,
    )
}

// ---------------------------------------------------------------- bylaws

const BYLAW_COLS: &str = "id, county_code, area_code, version, text, text_hash, matter_id, \
    status, flags_json, filed_on, filed_by, filed_at, review_reason, reviewed_by, reviewed_at, \
    created_by, created_at, updated_at";

fn row_to_bylaw(r: &sqlx::any::AnyRow) -> Result<Bylaw, sqlx::Error> {
    let status: String = r.try_get(7)?;
    let flags: String = r.try_get(8)?;
    Ok(Bylaw {
        id: r.try_get(0)?,
        county_code: r.try_get(1)?,
        area_code: r.try_get(2)?,
        version: r.try_get(3)?,
        text: r.try_get(4)?,
        text_hash: r.try_get(5)?,
        matter_id: r.try_get(6)?,
        status: BylawStatus::parse(&status).ok_or_else(|| bad("bylaw status"))?,
        flags: serde_json::from_str(&flags).map_err(|_| bad("bylaw flags"))?,
        filed_on: r.try_get(9)?,
        filed_by: r.try_get(10)?,
        filed_at: r.try_get(11)?,
        review_reason: r.try_get(12)?,
        reviewed_by: r.try_get(13)?,
        reviewed_at: r.try_get(14)?,
        created_by: r.try_get(15)?,
        created_at: r.try_get(16)?,
        updated_at: r.try_get(17)?,
    })
}

/// The highest bylaw version of a village (0 when none).
pub async fn last_version(conn: &mut AnyConnection, area_code: &str) -> AppResult<i64> {
    let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM bylaws WHERE area_code = $1")
        .bind(area_code.to_string())
        .fetch_one(conn)
        .await?;
    Ok(v.unwrap_or(0))
}

pub async fn insert_bylaw(conn: &mut AnyConnection, b: &Bylaw) -> AppResult<()> {
    sqlx::query(&format!(
        "INSERT INTO bylaws ({BYLAW_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
         $12, $13, $14, $15, $16, $17, $18)"
    ))
    .bind(b.id.clone())
    .bind(b.county_code.clone())
    .bind(b.area_code.clone())
    .bind(b.version)
    .bind(b.text.clone())
    .bind(b.text_hash.clone())
    .bind(b.matter_id.clone())
    .bind(b.status.as_str())
    .bind(serde_json::to_string(&b.flags).map_err(anyhow::Error::from)?)
    .bind(b.filed_on.clone())
    .bind(b.filed_by.clone())
    .bind(b.filed_at)
    .bind(b.review_reason.clone())
    .bind(b.reviewed_by.clone())
    .bind(b.reviewed_at)
    .bind(b.created_by.clone())
    .bind(b.created_at)
    .bind(b.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update_bylaw(conn: &mut AnyConnection, b: &Bylaw) -> AppResult<()> {
    sqlx::query(
        "UPDATE bylaws SET status = $2, flags_json = $3, filed_on = $4, filed_by = $5, \
         filed_at = $6, review_reason = $7, reviewed_by = $8, reviewed_at = $9, updated_at = $10 \
         WHERE id = $1",
    )
    .bind(b.id.clone())
    .bind(b.status.as_str())
    .bind(serde_json::to_string(&b.flags).map_err(anyhow::Error::from)?)
    .bind(b.filed_on.clone())
    .bind(b.filed_by.clone())
    .bind(b.filed_at)
    .bind(b.review_reason.clone())
    .bind(b.reviewed_by.clone())
    .bind(b.reviewed_at)
    .bind(b.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn bylaw(conn: &mut AnyConnection, id: &str) -> AppResult<Option<Bylaw>> {
    let row = sqlx::query(&format!("SELECT {BYLAW_COLS} FROM bylaws WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(row_to_bylaw).transpose()?)
}

/// Bylaw versions of the areas under `prefix`, newest version first.
pub async fn bylaws_in(conn: &mut AnyConnection, prefix: &str) -> AppResult<Vec<Bylaw>> {
    let rows = sqlx::query(&format!(
        "SELECT {BYLAW_COLS} FROM bylaws WHERE area_code >= $1 AND area_code < $2 \
         ORDER BY area_code, version DESC"
    ))
    .bind(prefix.to_string())
    .bind(format!("{prefix}~"))
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(row_to_bylaw).collect::<Result<_, _>>()?)
}
