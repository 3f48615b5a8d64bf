//! Voice services: suggestions, consultative polls and bylaws. Each checks the actor's
//! permission on the village (or the township for filing and review), runs one transaction
//! and writes its audit record in that transaction.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use super::model::{Bylaw, Poll, PollResults, Suggestion};
use super::rules::{
    self, Answer, BylawStatus, FlaggedClause, Review, SuggestionStatus, VoiceSettings,
};
use super::store;
use crate::areas::code::{county_of, AreaLevel};
use crate::areas::store as areas;
use crate::audit::{self, Entry};
use crate::authz::{Actor, Permission, Scope};
use crate::crypto::sm3_hex;
use crate::error::{AppError, AppResult};
use crate::{clock, Core};

/// Longest bylaw text, in characters.
pub const BYLAW_MAX: usize = 50_000;

fn by(actor: &Actor) -> Option<String> {
    (!actor.user_id.is_empty()).then(|| actor.user_id.clone())
}

/// The village of `area_code` must exist and be a village.
async fn village(conn: &mut AnyConnection, area_code: &str) -> AppResult<()> {
    let a = areas::get_tx(conn, area_code)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    if a.level != AreaLevel::Village {
        return Err(AppError::field("area_code", "area_code_level"));
    }
    Ok(())
}

/// The widest prefixes of a scope (a prefix inside another adds nothing).
fn widest(scope: Scope) -> Vec<String> {
    let p = scope.prefixes;
    p.iter()
        .filter(|x| !p.iter().any(|q| q != *x && x.starts_with(q.as_str())))
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn staff_reads(actor: &Actor, area_code: &str) -> bool {
    actor
        .scope(Permission::DeliberationRead)
        .contains(area_code, None)
        || actor
            .scope(Permission::DeliberationOversee)
            .contains(area_code, None)
}

// ---------------------------------------------------------------- settings

/// The county's voice settings (defaults when none were saved).
pub async fn settings(core: &Core, county_code: &str) -> AppResult<VoiceSettings> {
    let mut conn = core.db.read.acquire().await?;
    store::settings(&mut conn, county_code).await
}

/// Save the county's voice settings (oversight on the county).
pub async fn put_settings(
    core: &Core,
    actor: &Actor,
    county_code: &str,
    s: &VoiceSettings,
) -> AppResult<VoiceSettings> {
    actor.require_at_level(
        Permission::DeliberationOversee,
        county_code,
        AreaLevel::County,
    )?;
    if !(1..=90).contains(&s.answer_days) {
        return Err(AppError::field("answer_days", "invalid"));
    }
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    let before = store::settings(&mut tx, county_code).await?;
    store::put_settings(&mut tx, county_code, s, now).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("voice.settings", "voice_settings", county_code)
            .area(county_code)
            .before(json!({ "answer_days": before.answer_days }))
            .after(json!({ "answer_days": s.answer_days })),
    )
    .await?;
    tx.commit().await?;
    Ok(s.clone())
}

// ---------------------------------------------------------------- suggestions

/// A suggestion as it is posted.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct NewSuggestion {
    /// The village.
    pub area_code: String,
    pub text: String,
    /// Staff posting on a villager's behalf name the villager here.
    #[serde(default)]
    pub person_id: Option<String>,
}

/// Post a suggestion: a villager in their own village, or staff who run the village's
/// deliberation on a villager's behalf. Its answer is due after the county's answer days.
pub async fn post_suggestion(
    core: &Core,
    actor: &Actor,
    input: &NewSuggestion,
) -> AppResult<Suggestion> {
    let text = rules::text_between(
        "text",
        &input.text,
        rules::SUGGESTION_MIN,
        rules::SUGGESTION_MAX,
    )
    .map_err(|e| AppError::Validation(vec![e]))?;
    let as_villager = actor
        .scope(Permission::SelfService)
        .contains(&input.area_code, None);
    let as_staff = actor
        .scope(Permission::DeliberationManage)
        .contains(&input.area_code, None);
    if !as_villager && !as_staff {
        return Err(AppError::Forbidden);
    }
    let now = clock::now_ms();
    let county = county_of(&input.area_code);
    let mut tx = core.db.write.begin().await?;
    village(&mut tx, &input.area_code).await?;
    let (author_user_id, author_person_id) = if as_villager && !as_staff {
        (by(actor), actor.person_id.clone())
    } else {
        let person = input
            .person_id
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        if let Some(p) = person {
            if !store::person_in(&mut tx, p, &input.area_code).await? {
                return Err(AppError::field("person_id", "invalid"));
            }
        }
        (
            actor.on_behalf_of.clone(),
            person
                .map(str::to_string)
                .or_else(|| actor.person_id.clone()),
        )
    };
    let settings = store::settings(&mut tx, &county).await?;
    let s = Suggestion {
        id: clock::new_id(),
        county_code: county,
        area_code: input.area_code.clone(),
        author_user_id,
        author_person_id,
        posted_by: by(actor),
        text,
        status: SuggestionStatus::Open,
        answer_text: None,
        matter_id: None,
        answered_by: None,
        answered_at: None,
        due_at: rules::answer_due(now, &settings),
        created_at: now,
        updated_at: now,
    };
    store::insert_suggestion(&mut tx, &s).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("suggestion.post", "suggestion", &s.id)
            .area(&s.area_code)
            .after(
                json!({ "status": "open", "due_at": s.due_at, "person_id": s.author_person_id }),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(s)
}

fn is_author(actor: &Actor, s: &Suggestion) -> bool {
    (!actor.user_id.is_empty() && s.author_user_id.as_deref() == Some(actor.user_id.as_str()))
        || actor
            .person_id
            .as_deref()
            .is_some_and(|p| s.author_person_id.as_deref() == Some(p))
}

/// One suggestion: its author sees it, and staff who read the village's deliberation.
pub async fn suggestion(core: &Core, actor: &Actor, id: &str) -> AppResult<Suggestion> {
    let mut conn = core.db.read.acquire().await?;
    store::suggestion(&mut conn, id)
        .await?
        .filter(|s| is_author(actor, s) || staff_reads(actor, &s.area_code))
        .ok_or(AppError::NotFound("suggestion"))
}

/// The actor's own suggestions.
pub async fn my_suggestions(core: &Core, actor: &Actor) -> AppResult<Vec<Suggestion>> {
    let mut conn = core.db.read.acquire().await?;
    store::suggestions_of(
        &mut conn,
        &actor.user_id,
        actor.person_id.as_deref().unwrap_or(""),
    )
    .await
}

/// The suggestions of the areas the actor reads as staff.
pub async fn suggestions(core: &Core, actor: &Actor) -> AppResult<Vec<Suggestion>> {
    let mut scope = actor.scope(Permission::DeliberationRead);
    scope
        .prefixes
        .extend(actor.scope(Permission::DeliberationOversee).prefixes);
    let mut conn = core.db.read.acquire().await?;
    let mut out = Vec::new();
    for p in widest(scope) {
        out.extend(store::suggestions_in(&mut conn, &p).await?);
    }
    Ok(out)
}

/// Open suggestions past their answer deadline in the areas the actor reads as staff (a
/// village cadre sees the village, township staff the township).
pub async fn overdue(core: &Core, actor: &Actor) -> AppResult<Vec<Suggestion>> {
    let mut scope = actor.require_any(Permission::DeliberationRead)?;
    scope
        .prefixes
        .extend(actor.scope(Permission::DeliberationOversee).prefixes);
    let now = clock::now_ms();
    let mut conn = core.db.read.acquire().await?;
    let mut out = Vec::new();
    for p in widest(scope) {
        out.extend(store::overdue_in(&mut conn, &p, now).await?);
    }
    Ok(out)
}

/// Answer a suggestion (a cadre who runs the village's deliberation): answered with text,
/// adopted as a deliberation matter, or declined with a reason.
pub async fn answer_suggestion(
    core: &Core,
    actor: &Actor,
    id: &str,
    answer: &Answer,
) -> AppResult<Suggestion> {
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    let mut s = store::suggestion(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound("suggestion"))?;
    if !actor
        .scope(Permission::DeliberationManage)
        .contains(&s.area_code, None)
    {
        return Err(
            if staff_reads(actor, &s.area_code) || is_author(actor, &s) {
                AppError::Forbidden
            } else {
                AppError::NotFound("suggestion")
            },
        );
    }
    let (to, text, matter) = rules::check_answer(s.status, answer).map_err(|e| {
        if e.code == "suggestion_answered" {
            AppError::InvalidTransition("suggestion_answered")
        } else {
            AppError::Validation(vec![e])
        }
    })?;
    let before = s.status;
    s.status = to;
    s.answer_text = (!text.is_empty()).then_some(text);
    s.matter_id = matter;
    s.answered_by = by(actor);
    s.answered_at = Some(now);
    s.updated_at = now;
    store::update_suggestion(&mut tx, &s).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("suggestion.answer", "suggestion", &s.id)
            .area(&s.area_code)
            .before(json!({ "status": before.as_str() }))
            .after(json!({ "status": s.status.as_str(), "matter_id": s.matter_id }))
            .detail(if now > s.due_at { "answered late" } else { "" }),
    )
    .await?;
    tx.commit().await?;
    Ok(s)
}

// ---------------------------------------------------------------- polls

/// A consultative poll as the cadre opens it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct NewPoll {
    pub area_code: String,
    pub question: String,
    pub options: Vec<String>,
    pub closes_at: i64,
}

/// Open a consultative poll in a village (2–6 options, closing in the future).
pub async fn open_poll(core: &Core, actor: &Actor, input: &NewPoll) -> AppResult<Poll> {
    actor.require(Permission::DeliberationManage, &input.area_code, None)?;
    let now = clock::now_ms();
    let (question, options) =
        rules::check_poll(&input.question, &input.options, input.closes_at, now)
            .map_err(AppError::Validation)?;
    let mut tx = core.db.write.begin().await?;
    village(&mut tx, &input.area_code).await?;
    let p = Poll {
        id: clock::new_id(),
        county_code: county_of(&input.area_code),
        area_code: input.area_code.clone(),
        question,
        options,
        closes_at: input.closes_at,
        created_by: by(actor),
        created_at: now,
    };
    store::insert_poll(&mut tx, &p).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("poll.open", "poll", &p.id)
            .area(&p.area_code)
            .after(
                json!({ "question": p.question, "options": p.options, "closes_at": p.closes_at }),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(p)
}

/// The key a villager's ballot is held by: the person when known (one vote per villager,
/// whichever account casts it), else the account.
fn voter_key(actor: &Actor) -> String {
    match actor.person_id.as_deref() {
        Some(pid) if !pid.is_empty() => format!("person:{pid}"),
        _ => format!("user:{}", actor.user_id),
    }
}

/// Whether the actor has already voted in a poll (so a page can show the results instead
/// of the ballot).
pub async fn has_voted(core: &Core, actor: &Actor, poll_id: &str) -> AppResult<bool> {
    let mut conn = core.db.read.acquire().await?;
    store::has_vote(&mut conn, poll_id, &voter_key(actor)).await
}

/// Cast a villager's vote (once per villager; none after the poll closed). The audit record
/// names the voter but not the choice.
pub async fn vote(core: &Core, actor: &Actor, poll_id: &str, option: usize) -> AppResult<()> {
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    let p = store::poll(&mut tx, poll_id)
        .await?
        .ok_or(AppError::NotFound("poll"))?;
    if !actor
        .scope(Permission::SelfService)
        .contains(&p.area_code, None)
    {
        return Err(if staff_reads(actor, &p.area_code) {
            AppError::Forbidden
        } else {
            AppError::NotFound("poll")
        });
    }
    if !rules::poll_open(p.closes_at, now) {
        return Err(AppError::InvalidTransition("poll_closed"));
    }
    if option >= p.options.len() {
        return Err(AppError::field("option", "not_in_list"));
    }
    let voter = voter_key(actor);
    let index = i64::try_from(option).map_err(|_| AppError::field("option", "not_in_list"))?;
    if !store::insert_vote(&mut tx, &p, &voter, index, now).await? {
        return Err(AppError::Conflict {
            code: "already_voted",
            field: None,
        });
    }
    audit::record(
        &mut tx,
        actor,
        Entry::new("poll.vote", "poll", &p.id).area(&p.area_code),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A poll with its counts: villagers of the village and staff who read it.
pub async fn poll_results(core: &Core, actor: &Actor, poll_id: &str) -> AppResult<PollResults> {
    let mut conn = core.db.read.acquire().await?;
    let p = store::poll(&mut conn, poll_id)
        .await?
        .filter(|p| {
            staff_reads(actor, &p.area_code)
                || actor
                    .scope(Permission::SelfService)
                    .contains(&p.area_code, None)
        })
        .ok_or(AppError::NotFound("poll"))?;
    let choices = store::choices(&mut conn, poll_id).await?;
    let counts = rules::tally(p.options.len(), &choices);
    Ok(PollResults {
        total: counts.iter().sum(),
        closed: !rules::poll_open(p.closes_at, clock::now_ms()),
        counts,
        poll: p,
    })
}

/// The polls of a village the actor may see.
pub async fn polls(core: &Core, actor: &Actor, area_code: &str) -> AppResult<Vec<Poll>> {
    if !staff_reads(actor, area_code)
        && !actor
            .scope(Permission::SelfService)
            .contains(area_code, None)
    {
        return Err(AppError::NotFound("area"));
    }
    let mut conn = core.db.read.acquire().await?;
    store::polls_in(&mut conn, area_code).await
}

// ---------------------------------------------------------------- bylaws

/// A bylaw version as adopted by the villagers' assembly.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct NewBylaw {
    pub area_code: String,
    pub text: String,
    /// The adopting resolution's matter.
    #[serde(default)]
    pub matter_id: Option<String>,
}

/// Record a new version of a village's bylaws as adopted by the villagers' assembly
/// 〔LRB 组织法 §27〕, with its SM3 text hash and the R-CV-1 flags of its clauses.
pub async fn adopt_bylaw(core: &Core, actor: &Actor, input: &NewBylaw) -> AppResult<Bylaw> {
    actor.require(Permission::DeliberationManage, &input.area_code, None)?;
    let text = rules::text_between("text", &input.text, 10, BYLAW_MAX)
        .map_err(|e| AppError::Validation(vec![e]))?;
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    village(&mut tx, &input.area_code).await?;
    let version = store::last_version(&mut tx, &input.area_code).await? + 1;
    let b = Bylaw {
        id: clock::new_id(),
        county_code: county_of(&input.area_code),
        area_code: input.area_code.clone(),
        version,
        text_hash: sm3_hex(text.as_bytes()),
        flags: rules::flag_clauses(&text),
        text,
        matter_id: input
            .matter_id
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_string),
        status: BylawStatus::Adopted,
        filed_on: None,
        filed_by: None,
        filed_at: None,
        review_reason: None,
        reviewed_by: None,
        reviewed_at: None,
        created_by: by(actor),
        created_at: now,
        updated_at: now,
    };
    store::insert_bylaw(&mut tx, &b).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("bylaw.adopt", "bylaw", &b.id)
            .area(&b.area_code)
            .after(json!({
                "version": b.version,
                "text_hash": b.text_hash,
                "matter_id": b.matter_id,
                "flagged_clauses": b.flags.iter().map(|f| f.number).collect::<Vec<_>>(),
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(b)
}

/// Load a bylaw for a township step: oversight at the township level that covers the village.
async fn bylaw_for_township(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<Bylaw> {
    let b = store::bylaw(conn, id)
        .await?
        .ok_or(AppError::NotFound("bylaw"))?;
    if !staff_reads(actor, &b.area_code) {
        return Err(AppError::NotFound("bylaw"));
    }
    actor.require_at_level(
        Permission::DeliberationOversee,
        &b.area_code,
        AreaLevel::Township,
    )?;
    Ok(b)
}

/// The township records that it received the filing (备案) on `filed_on`.
pub async fn file_bylaw(
    core: &Core,
    actor: &Actor,
    id: &str,
    filed_on: NaiveDate,
) -> AppResult<Bylaw> {
    if filed_on > clock::today() {
        return Err(AppError::field("filed_on", "invalid"));
    }
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    let mut b = bylaw_for_township(&mut tx, actor, id).await?;
    rules::check_filing(b.status).map_err(AppError::InvalidTransition)?;
    b.status = BylawStatus::Filed;
    b.filed_on = Some(filed_on.format("%Y-%m-%d").to_string());
    b.filed_by = by(actor);
    b.filed_at = Some(now);
    b.updated_at = now;
    store::update_bylaw(&mut tx, &b).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("bylaw.file", "bylaw", &b.id)
            .area(&b.area_code)
            .before(json!({ "status": "adopted" }))
            .after(json!({ "status": "filed", "filed_on": b.filed_on })),
    )
    .await?;
    tx.commit().await?;
    Ok(b)
}

/// What the township sees at review: the version and its flagged clauses, computed afresh.
pub async fn bylaw_for_review(
    core: &Core,
    actor: &Actor,
    id: &str,
) -> AppResult<(Bylaw, Vec<FlaggedClause>)> {
    let mut conn = core.db.read.acquire().await?;
    let b = bylaw_for_township(&mut conn, actor, id).await?;
    let flags = rules::flag_clauses(&b.text);
    Ok((b, flags))
}

/// The township's review (合法性审查) of a filed version: approved, or correction ordered
/// with a reason. The flags computed at review are recorded with the result.
pub async fn review_bylaw(
    core: &Core,
    actor: &Actor,
    id: &str,
    review: &Review,
) -> AppResult<Bylaw> {
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    let mut b = bylaw_for_township(&mut tx, actor, id).await?;
    let to = rules::check_review(b.status, review).map_err(|e| match e.code.as_str() {
        "bylaw_not_filed" => AppError::InvalidTransition("bylaw_not_filed"),
        "bylaw_reviewed" => AppError::InvalidTransition("bylaw_reviewed"),
        _ => AppError::Validation(vec![e]),
    })?;
    b.flags = rules::flag_clauses(&b.text);
    b.status = to;
    b.review_reason = match review {
        Review::Approved => None,
        Review::CorrectionOrdered { reason } => Some(rules::clean(reason)),
    };
    b.reviewed_by = by(actor);
    b.reviewed_at = Some(now);
    b.updated_at = now;
    store::update_bylaw(&mut tx, &b).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("bylaw.review", "bylaw", &b.id)
            .area(&b.area_code)
            .before(json!({ "status": "filed" }))
            .after(json!({
                "status": b.status.as_str(),
                "reason": b.review_reason,
                "flagged_clauses": b.flags.iter().map(|f| f.number).collect::<Vec<_>>(),
            }))
            .detail(format!("{} clause(s) flagged under R-CV-1", b.flags.len())),
    )
    .await?;
    tx.commit().await?;
    Ok(b)
}

/// The bylaw versions the actor may read: staff of the area, and villagers of the village.
pub async fn bylaws(core: &Core, actor: &Actor, area_code: &str) -> AppResult<Vec<Bylaw>> {
    if !staff_reads(actor, area_code)
        && !actor
            .scope(Permission::SelfService)
            .contains(area_code, None)
    {
        return Err(AppError::NotFound("area"));
    }
    let mut conn = core.db.read.acquire().await?;
    store::bylaws_in(&mut conn, area_code).await
}
