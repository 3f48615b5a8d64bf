//! All SQL of the deliberation slice.

use sqlx::{AnyConnection, Row};

use super::model::*;
use crate::db::{backend_of, values_list};
use crate::error::AppResult;

fn bad(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("bad {what} in a deliberation record").into())
}

// ---------------------------------------------------------------- types, rules, settings

/// Copy the national matter types into a county that has none yet.
pub async fn ensure_types(
    conn: &mut AnyConnection,
    county: &str,
    types: &[MatterType],
    now: i64,
) -> AppResult<()> {
    for t in types {
        sqlx::query(
            "INSERT INTO matter_types (county_code, code, name_zh, name_en, requires_assembly, \
             special_majority, requires_four_deliberations, requires_public_bidding, \
             assembly_only, legal_basis, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT (county_code, code) DO NOTHING",
        )
        .bind(county)
        .bind(&t.code)
        .bind(&t.name_zh)
        .bind(&t.name_en)
        .bind(i64::from(t.requires_assembly))
        .bind(i64::from(t.special_majority))
        .bind(i64::from(t.requires_four_deliberations))
        .bind(i64::from(t.requires_public_bidding))
        .bind(i64::from(t.assembly_only))
        .bind(&t.legal_basis)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Replace one matter type of a county.
pub async fn save_type(
    conn: &mut AnyConnection,
    county: &str,
    t: &MatterType,
    now: i64,
) -> AppResult<()> {
    sqlx::query("DELETE FROM matter_types WHERE county_code = $1 AND code = $2")
        .bind(county)
        .bind(&t.code)
        .execute(&mut *conn)
        .await?;
    ensure_types(conn, county, std::slice::from_ref(t), now).await
}

fn row_to_type(r: &sqlx::any::AnyRow) -> Result<MatterType, sqlx::Error> {
    let flag = |i: usize| -> Result<bool, sqlx::Error> { Ok(r.try_get::<i64, _>(i)? != 0) };
    Ok(MatterType {
        code: r.try_get(0)?,
        name_zh: r.try_get(1)?,
        name_en: r.try_get(2)?,
        requires_assembly: flag(3)?,
        special_majority: flag(4)?,
        requires_four_deliberations: flag(5)?,
        requires_public_bidding: flag(6)?,
        assembly_only: flag(7)?,
        legal_basis: r.try_get(8)?,
    })
}

const TYPE_COLS: &str = "code, name_zh, name_en, requires_assembly, special_majority, \
    requires_four_deliberations, requires_public_bidding, assembly_only, legal_basis";

pub async fn types(conn: &mut AnyConnection, county: &str) -> AppResult<Vec<MatterType>> {
    let rows = sqlx::query(&format!(
        "SELECT {TYPE_COLS} FROM matter_types WHERE county_code = $1 ORDER BY code"
    ))
    .bind(county)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(row_to_type).collect::<Result<_, _>>()?)
}

pub async fn matter_type(
    conn: &mut AnyConnection,
    county: &str,
    code: &str,
) -> AppResult<Option<MatterType>> {
    let row = sqlx::query(&format!(
        "SELECT {TYPE_COLS} FROM matter_types WHERE county_code = $1 AND code = $2"
    ))
    .bind(county)
    .bind(code)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.as_ref().map(row_to_type).transpose()?)
}

/// Provincial and county rules that reach `county`.
pub async fn local_rules(conn: &mut AnyConnection, county: &str) -> AppResult<Vec<VoteRule>> {
    let rows = sqlx::query(
        "SELECT rule_json FROM vote_rules WHERE $1 LIKE area_prefix || '%' ORDER BY id",
    )
    .bind(county)
    .fetch_all(&mut *conn)
    .await?;
    let mut v = Vec::with_capacity(rows.len());
    for r in rows {
        let j: String = r.try_get(0)?;
        v.push(serde_json::from_str(&j).map_err(|_| bad("rule"))?);
    }
    Ok(v)
}

pub async fn insert_rule(
    conn: &mut AnyConnection,
    county: &str,
    rule: &VoteRule,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO vote_rules (id, county_code, scope, area_prefix, body, rule_json, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7)",
    )
    .bind(&rule.id)
    .bind(county)
    .bind(rule.scope.as_str())
    .bind(&rule.area_prefix)
    .bind(rule.body.as_str())
    .bind(serde_json::to_string(rule).map_err(anyhow::Error::from)?)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn settings(conn: &mut AnyConnection, county: &str) -> AppResult<Settings> {
    crate::db::county_settings(conn, "deliberation_settings", county).await
}

pub async fn save_settings(
    conn: &mut AnyConnection,
    county: &str,
    s: &Settings,
    now: i64,
) -> AppResult<()> {
    crate::db::put_county_settings(conn, "deliberation_settings", county, s, now).await
}

// ---------------------------------------------------------------- matters

pub async fn next_number(conn: &mut AnyConnection, county: &str, year: i32) -> AppResult<i64> {
    let row = sqlx::query(
        "INSERT INTO matter_numbers (county_code, year, last) VALUES ($1, $2, 1) \
         ON CONFLICT (county_code, year) DO UPDATE SET last = matter_numbers.last + 1 RETURNING last",
    )
    .bind(county)
    .bind(i64::from(year))
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get(0)?)
}

const MATTER_COLS: &str = "id, county_code, area_code, number, type_code, title, body, text_hash, \
    reviewed_hash, stage, rejected_at_step, reason, emergency, ratify_by, authorisation, \
    resolved_at, resolution_due, completed_at, result_due, created_by, created_at, updated_at";

fn row_to_matter(r: &sqlx::any::AnyRow) -> Result<Matter, sqlx::Error> {
    Ok(Matter {
        id: r.try_get(0)?,
        county_code: r.try_get(1)?,
        area_code: r.try_get(2)?,
        number: r.try_get(3)?,
        type_code: r.try_get(4)?,
        title: r.try_get(5)?,
        body: r.try_get(6)?,
        text_hash: r.try_get(7)?,
        reviewed_hash: r.try_get(8)?,
        stage: Stage::parse(&r.try_get::<String, _>(9)?).ok_or_else(|| bad("stage"))?,
        rejected_at_step: r
            .try_get::<Option<i64>, _>(10)?
            .and_then(|s| u8::try_from(s).ok()),
        reason: r.try_get(11)?,
        emergency: r.try_get::<i64, _>(12)? != 0,
        ratify_by: r.try_get(13)?,
        authorisation: r.try_get(14)?,
        resolved_at: r.try_get(15)?,
        resolution_due: r.try_get(16)?,
        completed_at: r.try_get(17)?,
        result_due: r.try_get(18)?,
        created_by: r.try_get(19)?,
        created_at: r.try_get(20)?,
        updated_at: r.try_get(21)?,
    })
}

pub async fn insert_matter(conn: &mut AnyConnection, m: &Matter) -> AppResult<()> {
    sqlx::query(&format!(
        "INSERT INTO matters ({MATTER_COLS}) VALUES \
         ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22)"
    ))
    .bind(&m.id)
    .bind(&m.county_code)
    .bind(&m.area_code)
    .bind(&m.number)
    .bind(&m.type_code)
    .bind(&m.title)
    .bind(&m.body)
    .bind(&m.text_hash)
    .bind(m.reviewed_hash.clone())
    .bind(m.stage.as_str())
    .bind(m.rejected_at_step.map(i64::from))
    .bind(m.reason.clone())
    .bind(i64::from(m.emergency))
    .bind(m.ratify_by)
    .bind(m.authorisation.clone())
    .bind(m.resolved_at)
    .bind(m.resolution_due)
    .bind(m.completed_at)
    .bind(m.result_due)
    .bind(&m.created_by)
    .bind(m.created_at)
    .bind(m.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn update_matter(conn: &mut AnyConnection, m: &Matter) -> AppResult<()> {
    sqlx::query(
        "UPDATE matters SET title = $2, body = $3, text_hash = $4, reviewed_hash = $5, stage = $6, \
         rejected_at_step = $7, reason = $8, emergency = $9, ratify_by = $10, authorisation = $11, \
         resolved_at = $12, resolution_due = $13, completed_at = $14, result_due = $15, \
         updated_at = $16 WHERE id = $1",
    )
    .bind(&m.id)
    .bind(&m.title)
    .bind(&m.body)
    .bind(&m.text_hash)
    .bind(m.reviewed_hash.clone())
    .bind(m.stage.as_str())
    .bind(m.rejected_at_step.map(i64::from))
    .bind(m.reason.clone())
    .bind(i64::from(m.emergency))
    .bind(m.ratify_by)
    .bind(m.authorisation.clone())
    .bind(m.resolved_at)
    .bind(m.resolution_due)
    .bind(m.completed_at)
    .bind(m.result_due)
    .bind(m.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn get_matter(conn: &mut AnyConnection, id: &str) -> AppResult<Option<Matter>> {
    let row = sqlx::query(&format!("SELECT {MATTER_COLS} FROM matters WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.as_ref().map(row_to_matter).transpose()?)
}

/// Matters under any of the area prefixes, newest change first.
pub async fn list_matters(
    conn: &mut AnyConnection,
    prefixes: &[String],
    stage: Option<Stage>,
    limit: i64,
) -> AppResult<Vec<Matter>> {
    let mut out = Vec::new();
    for p in prefixes {
        let rows = sqlx::query(&format!(
            "SELECT {MATTER_COLS} FROM matters WHERE area_code LIKE $1 || '%' \
             AND ($2 = '' OR stage = $2) ORDER BY updated_at DESC LIMIT $3"
        ))
        .bind(p)
        .bind(stage.map(Stage::as_str).unwrap_or(""))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        for r in &rows {
            out.push(row_to_matter(r)?);
        }
    }
    Ok(crate::db::merge_newest(
        out,
        |m| m.updated_at,
        |m| m.id.as_str(),
        limit,
    ))
}

/// Decided matters of a village (for its public page), newest first.
pub async fn decided_matters(
    conn: &mut AnyConnection,
    area: &str,
    limit: i64,
) -> AppResult<Vec<Matter>> {
    let rows = sqlx::query(&format!(
        "SELECT {MATTER_COLS} FROM matters WHERE area_code = $1 \
         AND stage IN ('implementing', 'completed', 'closed') ORDER BY resolved_at DESC LIMIT $2"
    ))
    .bind(area)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(row_to_matter).collect::<Result<_, _>>()?)
}

pub async fn insert_step(conn: &mut AnyConnection, s: &MatterStep, county: &str) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO matter_steps (id, matter_id, county_code, step, stage, meeting_id, vote_id, \
         text_hash, note, actor_name, at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
    )
    .bind(&s.id)
    .bind(&s.matter_id)
    .bind(county)
    .bind(i64::from(s.step))
    .bind(s.stage.as_str())
    .bind(s.meeting_id.clone())
    .bind(s.vote_id.clone())
    .bind(&s.text_hash)
    .bind(&s.note)
    .bind(&s.actor_name)
    .bind(s.at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn steps(conn: &mut AnyConnection, matter: &str) -> AppResult<Vec<MatterStep>> {
    let rows = sqlx::query(
        "SELECT id, matter_id, step, stage, meeting_id, vote_id, text_hash, note, actor_name, at \
         FROM matter_steps WHERE matter_id = $1 ORDER BY at, step",
    )
    .bind(matter)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(MatterStep {
                id: r.try_get(0)?,
                matter_id: r.try_get(1)?,
                step: u8::try_from(r.try_get::<i64, _>(2)?).unwrap_or(0),
                stage: Stage::parse(&r.try_get::<String, _>(3)?).ok_or_else(|| bad("stage"))?,
                meeting_id: r.try_get(4)?,
                vote_id: r.try_get(5)?,
                text_hash: r.try_get(6)?,
                note: r.try_get(7)?,
                actor_name: r.try_get(8)?,
                at: r.try_get(9)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

// ---------------------------------------------------------------- meetings

const MEETING_COLS: &str = "id, county_code, area_code, body, title, place, host, scheduled_at, \
    convened_at, status, members, households, attendees, households_present, minutes, \
    closed_at, created_at";

fn row_to_meeting(r: &sqlx::any::AnyRow) -> Result<Meeting, sqlx::Error> {
    Ok(Meeting {
        id: r.try_get(0)?,
        county_code: r.try_get(1)?,
        area_code: r.try_get(2)?,
        body: Body::parse(&r.try_get::<String, _>(3)?).ok_or_else(|| bad("body"))?,
        title: r.try_get(4)?,
        place: r.try_get(5)?,
        host: r.try_get(6)?,
        scheduled_at: r.try_get(7)?,
        convened_at: r.try_get(8)?,
        status: MeetingStatus::parse(&r.try_get::<String, _>(9)?).ok_or_else(|| bad("status"))?,
        members: r.try_get(10)?,
        households: r.try_get(11)?,
        attendees: r.try_get(12)?,
        households_present: r.try_get(13)?,
        minutes: r.try_get(14)?,
        closed_at: r.try_get(15)?,
        created_at: r.try_get(16)?,
    })
}

pub async fn insert_meeting(conn: &mut AnyConnection, m: &Meeting, by: &str) -> AppResult<()> {
    sqlx::query(&format!(
        "INSERT INTO meetings ({MEETING_COLS}, created_by, updated_at) VALUES \
         ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)"
    ))
    .bind(&m.id)
    .bind(&m.county_code)
    .bind(&m.area_code)
    .bind(m.body.as_str())
    .bind(&m.title)
    .bind(&m.place)
    .bind(&m.host)
    .bind(m.scheduled_at)
    .bind(m.convened_at)
    .bind(m.status.as_str())
    .bind(m.members)
    .bind(m.households)
    .bind(m.attendees)
    .bind(m.households_present)
    .bind(&m.minutes)
    .bind(m.closed_at)
    .bind(m.created_at)
    .bind(by)
    .bind(m.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn update_meeting(conn: &mut AnyConnection, m: &Meeting, now: i64) -> AppResult<()> {
    sqlx::query(
        "UPDATE meetings SET convened_at = $2, status = $3, members = $4, households = $5, \
         attendees = $6, households_present = $7, minutes = $8, closed_at = $9, updated_at = $10 \
         WHERE id = $1",
    )
    .bind(&m.id)
    .bind(m.convened_at)
    .bind(m.status.as_str())
    .bind(m.members)
    .bind(m.households)
    .bind(m.attendees)
    .bind(m.households_present)
    .bind(&m.minutes)
    .bind(m.closed_at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn get_meeting(conn: &mut AnyConnection, id: &str) -> AppResult<Option<Meeting>> {
    let row = sqlx::query(&format!(
        "SELECT {MEETING_COLS} FROM meetings WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.as_ref().map(row_to_meeting).transpose()?)
}

pub async fn list_meetings(
    conn: &mut AnyConnection,
    prefixes: &[String],
    limit: i64,
) -> AppResult<Vec<Meeting>> {
    let mut out = Vec::new();
    for p in prefixes {
        let rows = sqlx::query(&format!(
            "SELECT {MEETING_COLS} FROM meetings WHERE area_code LIKE $1 || '%' \
             ORDER BY scheduled_at DESC LIMIT $2"
        ))
        .bind(p)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        for r in &rows {
            out.push(row_to_meeting(r)?);
        }
    }
    Ok(crate::db::merge_newest(
        out,
        |m| m.scheduled_at,
        |m| m.id.as_str(),
        limit,
    ))
}

/// The last closed meeting of `body` per village of the county.
pub async fn last_meetings(
    conn: &mut AnyConnection,
    county: &str,
    body: Body,
) -> AppResult<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT area_code, MAX(scheduled_at) FROM meetings WHERE county_code = $1 AND body = $2 \
         AND status = 'closed' GROUP BY area_code",
    )
    .bind(county)
    .bind(body.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Who belongs on the roster of `body` in `area` on `adult_cutoff` (YYYY-MM-DD: born on or
/// before it): (person id, name, household id).
pub async fn roster_candidates(
    conn: &mut AnyConnection,
    area: &str,
    body: Body,
    adult_cutoff: &str,
) -> AppResult<Vec<(String, String, Option<String>)>> {
    let filter = match body {
        Body::BranchCommittee => "is_party_member = 1 AND is_cadre = 1",
        Body::TwoCommittees => "is_cadre = 1",
        Body::PartyMembers => "is_party_member = 1",
        Body::RepresentativesAssembly => "(is_representative = 1 OR is_cadre = 1)",
        Body::VillagerAssembly | Body::GroupMeeting | Body::CollectiveMembers => "1 = 1",
    };
    let rows = sqlx::query(&format!(
        "SELECT id, name, household_id FROM persons WHERE area_code LIKE $1 || '%' \
         AND status = 'active' AND birth_date <= $2 AND {filter} ORDER BY household_id, id"
    ))
    .bind(area)
    .bind(adult_cutoff)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// One person of the registry (id, name, household, area) for a roster addition.
pub async fn person_brief(
    conn: &mut AnyConnection,
    id: &str,
) -> AppResult<Option<(String, String, Option<String>, String)>> {
    let row = sqlx::query("SELECT id, name, household_id, area_code FROM persons WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row
        .map(|r| -> Result<_, sqlx::Error> {
            Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))
        })
        .transpose()?)
}

pub async fn insert_roster(
    conn: &mut AnyConnection,
    meeting: &str,
    county: &str,
    people: &[(String, String, Option<String>)],
) -> AppResult<()> {
    let backend = backend_of(conn);
    for chunk in crate::db::fixed_chunks(people) {
        let sql = format!(
            "INSERT INTO meeting_roster (meeting_id, person_id, county_code, name, household_id) VALUES {}",
            values_list(backend, chunk.len(), 5, "")
        );
        let mut q = sqlx::query(&sql);
        for (id, name, hh) in chunk {
            q = q
                .bind(meeting)
                .bind(id)
                .bind(county)
                .bind(name)
                .bind(hh.clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn remove_roster(
    conn: &mut AnyConnection,
    meeting: &str,
    person: &str,
) -> AppResult<u64> {
    Ok(
        sqlx::query("DELETE FROM meeting_roster WHERE meeting_id = $1 AND person_id = $2")
            .bind(meeting)
            .bind(person)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
    )
}

pub async fn roster(conn: &mut AnyConnection, meeting: &str) -> AppResult<Vec<RosterEntry>> {
    let rows = sqlx::query(
        "SELECT person_id, name, household_id, presence, proxy_name, note FROM meeting_roster \
         WHERE meeting_id = $1 ORDER BY household_id, person_id",
    )
    .bind(meeting)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RosterEntry {
                person_id: r.try_get(0)?,
                name: r.try_get(1)?,
                household_id: r.try_get(2)?,
                presence: r
                    .try_get::<Option<String>, _>(3)?
                    .and_then(|s| Presence::parse(&s)),
                proxy_name: r.try_get(4)?,
                note: r.try_get(5)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub async fn set_presence(
    conn: &mut AnyConnection,
    meeting: &str,
    person: &str,
    presence: Option<Presence>,
    proxy_name: Option<&str>,
    note: &str,
) -> AppResult<u64> {
    Ok(sqlx::query(
        "UPDATE meeting_roster SET presence = $3, proxy_name = $4, note = $5 \
         WHERE meeting_id = $1 AND person_id = $2",
    )
    .bind(meeting)
    .bind(person)
    .bind(presence.map(Presence::as_str))
    .bind(proxy_name)
    .bind(note)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Roster size, households, attendees and households present.
pub async fn roster_counts(conn: &mut AnyConnection, meeting: &str) -> AppResult<[i64; 4]> {
    let r = sqlx::query(
        "SELECT COUNT(*), COUNT(DISTINCT household_id), \
         COALESCE(SUM(CASE WHEN presence IN ('present','proxy') THEN 1 ELSE 0 END), 0), \
         COUNT(DISTINCT CASE WHEN presence IN ('present','proxy') THEN household_id END) \
         FROM meeting_roster WHERE meeting_id = $1",
    )
    .bind(meeting)
    .fetch_one(&mut *conn)
    .await?;
    Ok([r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?])
}

// ---------------------------------------------------------------- votes

const VOTE_COLS: &str =
    "id, meeting_id, matter_id, question, secret, yes, no, abstain, outcome_json, text_hash";

fn row_to_vote(r: &sqlx::any::AnyRow) -> Result<Vote, sqlx::Error> {
    Ok(Vote {
        id: r.try_get(0)?,
        meeting_id: r.try_get(1)?,
        matter_id: r.try_get(2)?,
        question: r.try_get(3)?,
        secret: r.try_get::<i64, _>(4)? != 0,
        yes: r.try_get(5)?,
        no: r.try_get(6)?,
        abstain: r.try_get(7)?,
        outcome: r
            .try_get::<Option<String>, _>(8)?
            .map(|j| serde_json::from_str(&j).map_err(|_| bad("outcome")))
            .transpose()?,
        text_hash: r.try_get(9)?,
    })
}

pub async fn insert_vote(
    conn: &mut AnyConnection,
    v: &Vote,
    county: &str,
    position: i64,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO votes (id, meeting_id, county_code, matter_id, position, question, secret, \
         created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
    )
    .bind(&v.id)
    .bind(&v.meeting_id)
    .bind(county)
    .bind(v.matter_id.clone())
    .bind(position)
    .bind(&v.question)
    .bind(i64::from(v.secret))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn votes(conn: &mut AnyConnection, meeting: &str) -> AppResult<Vec<Vote>> {
    let rows = sqlx::query(&format!(
        "SELECT {VOTE_COLS} FROM votes WHERE meeting_id = $1 ORDER BY position"
    ))
    .bind(meeting)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(row_to_vote).collect::<Result<_, _>>()?)
}

pub async fn votes_of_matter(conn: &mut AnyConnection, matter: &str) -> AppResult<Vec<Vote>> {
    let rows = sqlx::query(&format!(
        "SELECT {VOTE_COLS} FROM votes WHERE matter_id = $1 ORDER BY created_at"
    ))
    .bind(matter)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(row_to_vote).collect::<Result<_, _>>()?)
}

pub async fn get_vote(conn: &mut AnyConnection, id: &str) -> AppResult<Option<Vote>> {
    let row = sqlx::query(&format!("SELECT {VOTE_COLS} FROM votes WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.as_ref().map(row_to_vote).transpose()?)
}

pub async fn set_tally(conn: &mut AnyConnection, vote: &str, t: [i64; 3]) -> AppResult<()> {
    sqlx::query("UPDATE votes SET yes = $2, no = $3, abstain = $4 WHERE id = $1")
        .bind(vote)
        .bind(t[0])
        .bind(t[1])
        .bind(t[2])
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Add one to the tally of `choice` (secret ballots: the only trace of the choice).
pub async fn bump_tally(conn: &mut AnyConnection, vote: &str, choice: Choice) -> AppResult<()> {
    let col = match choice {
        Choice::Yes => "yes",
        Choice::No => "no",
        Choice::Abstain => "abstain",
    };
    sqlx::query(&format!("UPDATE votes SET {col} = {col} + 1 WHERE id = $1"))
        .bind(vote)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_outcome(
    conn: &mut AnyConnection,
    vote: &str,
    o: &Outcome,
    text_hash: Option<&str>,
) -> AppResult<()> {
    sqlx::query("UPDATE votes SET outcome_json = $2, text_hash = $3 WHERE id = $1")
        .bind(vote)
        .bind(serde_json::to_string(o).map_err(anyhow::Error::from)?)
        .bind(text_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn insert_ballot(
    conn: &mut AnyConnection,
    vote: &str,
    person: &str,
    county: &str,
    choice: Choice,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO ballots (vote_id, person_id, county_code, choice) VALUES ($1,$2,$3,$4) \
         ON CONFLICT (vote_id, person_id) DO UPDATE SET choice = excluded.choice",
    )
    .bind(vote)
    .bind(person)
    .bind(county)
    .bind(choice.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Open ballots as (person id, choice).
pub async fn ballots(conn: &mut AnyConnection, vote: &str) -> AppResult<Vec<(String, Choice)>> {
    let rows = sqlx::query("SELECT person_id, choice FROM ballots WHERE vote_id = $1")
        .bind(vote)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let c: String = r.try_get(1)?;
            Ok((
                r.try_get(0)?,
                Choice::parse(&c).ok_or_else(|| bad("choice"))?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Open-ballot tallies recomputed from the ballots.
pub async fn count_ballots(conn: &mut AnyConnection, vote: &str) -> AppResult<[i64; 3]> {
    let mut t = [0i64; 3];
    for (_, c) in ballots(conn, vote).await? {
        t[c as usize] += 1;
    }
    Ok(t)
}

/// Record that `person` has cast a secret ballot; false when they already had.
pub async fn mark_secret_voter(
    conn: &mut AnyConnection,
    vote: &str,
    person: &str,
    county: &str,
) -> AppResult<bool> {
    let n = sqlx::query(
        "INSERT INTO secret_voters (vote_id, person_id, county_code) VALUES ($1,$2,$3) \
         ON CONFLICT (vote_id, person_id) DO NOTHING",
    )
    .bind(vote)
    .bind(person)
    .bind(county)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn secret_voter_count(conn: &mut AnyConnection, vote: &str) -> AppResult<i64> {
    let r = sqlx::query("SELECT COUNT(*) FROM secret_voters WHERE vote_id = $1")
        .bind(vote)
        .fetch_one(&mut *conn)
        .await?;
    Ok(r.try_get(0)?)
}
