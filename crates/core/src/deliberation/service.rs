//! Services of village decisions: matters through 四议两公开, meetings with a frozen roster,
//! attendance and votes, and the one question other modules ask — may this matter be paid,
//! contracted or tendered yet ([`may_proceed`]).
//!
//! Every call checks permission on the record's area, runs one transaction and writes its
//! audit record in it. Times come in as `now` so history can be replayed and deadlines
//! tested.

use serde::Serialize;
use serde_json::json;

use super::model::*;
use super::rules::{self, Counts};
use super::store;
use crate::areas::code::{county_of, AreaLevel};
use crate::audit::{self, Entry};
use crate::authz::{Actor, Permission};
use crate::cases::store::NotificationRow;
use crate::error::{AppError, AppResult};
use crate::{clock, Core};

const DAY_MS: i64 = 86_400_000;

fn refuse(code: &'static str) -> AppError {
    AppError::InvalidTransition(code)
}

fn text_field(field: &str, s: &str, min: usize, max: usize) -> AppResult<String> {
    let s = rules::clean(s);
    let n = s.chars().count();
    if n < min {
        return Err(AppError::field(field, "required"));
    }
    if n > max {
        return Err(AppError::field(field, "too_long"));
    }
    Ok(s)
}

/// Copy the national matter types into the county once (idempotent).
pub async fn ensure_county(core: &Core, county: &str) -> AppResult<()> {
    let mut tx = core.db.write.begin().await?;
    store::ensure_types(
        &mut tx,
        county,
        &rules::national_matter_types(),
        clock::now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every rule that may apply in the county: national, then provincial and county ones.
pub async fn rules_for(conn: &mut sqlx::AnyConnection, county: &str) -> AppResult<Vec<VoteRule>> {
    let mut v = rules::national_rules();
    v.extend(store::local_rules(conn, county).await?);
    Ok(v)
}

/// The county's matter types.
pub async fn matter_types(core: &Core, county: &str) -> AppResult<Vec<MatterType>> {
    let mut c = core.db.read.acquire().await?;
    let v = store::types(&mut c, county).await?;
    if v.is_empty() {
        drop(c);
        ensure_county(core, county).await?;
        let mut c = core.db.read.acquire().await?;
        return store::types(&mut c, county).await;
    }
    Ok(v)
}

async fn matter_type_of(
    conn: &mut sqlx::AnyConnection,
    county: &str,
    code: &str,
) -> AppResult<MatterType> {
    if let Some(t) = store::matter_type(conn, county, code).await? {
        return Ok(t);
    }
    rules::national_matter_types()
        .into_iter()
        .find(|t| t.code == code)
        .ok_or_else(|| AppError::field("type_code", "not_in_list"))
}

/// A county changes or adds a matter type; national duties cannot be switched off (§18).
pub async fn save_matter_type(
    core: &Core,
    actor: &Actor,
    county: &str,
    t: MatterType,
) -> AppResult<()> {
    actor.require(Permission::DeliberationOversee, county, None)?;
    if crate::areas::code::validate_code(county, AreaLevel::County).is_err() {
        return Err(AppError::field("county_code", "area_code_level"));
    }
    let national = rules::national_matter_types();
    if !rules::may_replace_type(national.iter().find(|n| n.code == t.code), &t) {
        return Err(AppError::field("type_code", "weakens_national_rule"));
    }
    let mut tx = core.db.write.begin().await?;
    store::save_type(&mut tx, county, &t, clock::now_ms()).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("matter_type.save", "matter_type", &t.code)
            .area(county)
            .after(json!(t)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A provincial or county quorum and pass rule. Ratios must be proper fractions.
pub async fn add_rule(core: &Core, actor: &Actor, county: &str, rule: VoteRule) -> AppResult<()> {
    actor.require(Permission::DeliberationOversee, county, None)?;
    let ok = |r: &Ratio| r.den > 0 && r.num > 0 && r.num <= r.den;
    if !ok(&rule.pass) || rule.pass.base == Base::Households || !rule.quorum.iter().all(ok) {
        return Err(AppError::field("rule", "invalid"));
    }
    if rule.scope == RuleScope::National || !county.starts_with(rule.area_prefix.as_str()) {
        return Err(AppError::field("area_prefix", "invalid"));
    }
    let mut tx = core.db.write.begin().await?;
    store::insert_rule(&mut tx, county, &rule, clock::now_ms()).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("vote_rule.add", "vote_rule", &rule.id)
            .area(county)
            .after(json!(rule)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn settings(core: &Core, county: &str) -> AppResult<Settings> {
    let mut c = core.db.read.acquire().await?;
    store::settings(&mut c, county).await
}

pub async fn save_settings(core: &Core, actor: &Actor, county: &str, s: Settings) -> AppResult<()> {
    actor.require(Permission::DeliberationOversee, county, None)?;
    if s.ratify_days < 1
        || s.resolution_publish_days < 1
        || s.result_publish_days < 1
        || s.extra_notice_days < 0
    {
        return Err(AppError::field("settings", "invalid"));
    }
    let mut tx = core.db.write.begin().await?;
    let before = store::settings(&mut tx, county).await?;
    store::save_settings(&mut tx, county, &s, clock::now_ms()).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("deliberation.settings", "county", county)
            .area(county)
            .before(json!(before))
            .after(json!(s)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- matters

/// A new matter as a cadre drafts it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewMatter {
    pub area_code: String,
    pub type_code: String,
    pub title: String,
    pub body: String,
    /// 先处置后补程序 (R-4Y2G-5), with the reason in `emergency_reason`.
    #[serde(default)]
    pub emergency: bool,
    #[serde(default)]
    pub emergency_reason: String,
    /// The resolution authorising the representatives' assembly (R-VRA-AUTH).
    #[serde(default)]
    pub authorisation: String,
}

pub async fn create_matter(
    core: &Core,
    actor: &Actor,
    n: NewMatter,
    now: i64,
) -> AppResult<Matter> {
    actor.require(Permission::DeliberationManage, &n.area_code, None)?;
    let mut errs = Vec::new();
    let title = text_field("title", &n.title, 2, 120);
    let body = text_field("matter_text", &n.body, 2, 20_000);
    if let Err(AppError::Validation(f)) = &title {
        errs.extend(f.clone());
    }
    if let Err(AppError::Validation(f)) = &body {
        errs.extend(f.clone());
    }
    let county = county_of(&n.area_code);
    let area = crate::cases::catalogue::area(core, &n.area_code).await?;
    if area.level != AreaLevel::Village {
        errs.push(crate::FieldError::new("area_code", "area_code_level"));
    }
    let mut tx = core.db.write.begin().await?;
    store::ensure_types(&mut tx, &county, &rules::national_matter_types(), now).await?;
    let mt = store::matter_type(&mut tx, &county, &n.type_code).await?;
    if mt.is_none() {
        errs.push(crate::FieldError::new("type_code", "not_in_list"));
    }
    let settings = store::settings(&mut tx, &county).await?;
    if n.emergency && !settings.allow_emergency {
        errs.push(crate::FieldError::new("emergency", "emergency_not_allowed"));
    }
    if n.emergency && rules::clean(&n.emergency_reason).chars().count() < 2 {
        errs.push(crate::FieldError::new(
            "emergency_reason",
            "reason_required",
        ));
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let (title, body) = (title?, body?);
    let seq = store::next_number(&mut tx, &county, clock::year_of(now)).await?;
    let m = Matter {
        id: clock::new_id(),
        county_code: county.clone(),
        area_code: n.area_code.clone(),
        number: format!("YS-{}-{seq:05}", clock::year_of(now)),
        type_code: n.type_code.clone(),
        text_hash: rules::text_hash(&title, &body),
        title,
        body,
        reviewed_hash: None,
        stage: Stage::Draft,
        rejected_at_step: None,
        reason: n.emergency.then(|| rules::clean(&n.emergency_reason)),
        emergency: n.emergency,
        ratify_by: n.emergency.then_some(now + settings.ratify_days * DAY_MS),
        authorisation: Some(rules::clean(&n.authorisation)).filter(|s| !s.is_empty()),
        resolved_at: None,
        resolution_due: None,
        completed_at: None,
        result_due: None,
        created_by: actor.username.clone(),
        created_at: now,
        updated_at: now,
    };
    store::insert_matter(&mut tx, &m).await?;
    step_record(&mut tx, actor, &m, 0, None, None, "起草议事事项", now).await?;
    if m.emergency {
        // R-4Y2G-5: every use of the emergency path is flagged to the township.
        let township = format!("{}000", m.area_code.get(..9).unwrap_or(""));
        crate::cases::store::insert_notifications(
            &mut tx,
            &[NotificationRow {
                id: clock::new_id(),
                county_code: county.clone(),
                user_id: None,
                role: Some("township_staff".into()),
                area_code: Some(township),
                case_id: None,
                kind: "matter.emergency".into(),
                body: format!(
                    "{}「{}」按紧急程序先行处置，须在{}前补齐四议两公开程序。",
                    area.name,
                    m.title,
                    clock::format_ms(m.ratify_by.unwrap_or(now))
                        .get(..10)
                        .unwrap_or("")
                ),
                created_at: now,
            }],
        )
        .await?;
    }
    audit::record(
        &mut tx,
        actor,
        Entry::new("matter.create", "matter", &m.id)
            .area(&m.area_code)
            .after(
                json!({"number": m.number, "type": m.type_code, "title": m.title,
                "text_hash": m.text_hash, "emergency": m.emergency}),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(m)
}

#[allow(clippy::too_many_arguments)]
async fn step_record(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    m: &Matter,
    step: u8,
    meeting: Option<&str>,
    vote: Option<&str>,
    note: &str,
    now: i64,
) -> AppResult<()> {
    store::insert_step(
        conn,
        &MatterStep {
            id: clock::new_id(),
            matter_id: m.id.clone(),
            step,
            stage: m.stage,
            meeting_id: meeting.map(str::to_string),
            vote_id: vote.map(str::to_string),
            text_hash: m.text_hash.clone(),
            note: note.to_string(),
            actor_name: actor.display_name.clone(),
            at: now,
        },
        &m.county_code,
    )
    .await
}

/// What a cadre does to a matter outside meetings.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum MatterAction {
    /// Change the text. After the party members' review this sends the matter back to
    /// step 3 (R-4Y2G-3).
    Amend {
        title: String,
        body: String,
    },
    /// Record the authorising resolution for a representatives' assembly (R-VRA-AUTH).
    Authorise {
        reference: String,
    },
    /// Draft the publication of the resolution (step 5); the step is recorded when the
    /// publication is released.
    PublishResolution,
    /// Implementation finished (with a short account).
    Complete {
        note: String,
    },
    /// Draft the publication of the result (step 7).
    PublishResult {
        text: String,
    },
    /// Start again after a rejection.
    Reenter,
    Withdraw {
        reason: String,
    },
}

pub async fn act_matter(
    core: &Core,
    actor: &Actor,
    id: &str,
    action: MatterAction,
    now: i64,
) -> AppResult<Matter> {
    let mut tx = core.db.write.begin().await?;
    let mut m = store::get_matter(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound("matter"))?;
    if !actor
        .scope(Permission::DeliberationRead)
        .covers_area(&m.area_code)
        && !actor
            .scope(Permission::DeliberationManage)
            .covers_area(&m.area_code)
    {
        return Err(AppError::NotFound("matter"));
    }
    actor.require(Permission::DeliberationManage, &m.area_code, None)?;
    let settings = store::settings(&mut tx, &m.county_code).await?;
    let before = json!({"stage": m.stage, "text_hash": m.text_hash});
    let (step, note, action_name) = match &action {
        MatterAction::Amend { title, body } => {
            let title = text_field("title", title, 2, 120)?;
            let body = text_field("matter_text", body, 2, 20_000)?;
            match m.stage {
                Stage::Draft | Stage::Proposed | Stage::Deliberated => {}
                Stage::Reviewed => m.stage = Stage::Deliberated,
                _ => return Err(refuse("matter_text_locked")),
            }
            m.title = title;
            m.body = body;
            m.text_hash = rules::text_hash(&m.title, &m.body);
            let note = if m.reviewed_hash.is_some() && m.stage == Stage::Deliberated {
                "修改议事内容，须重新提交党员大会审议"
            } else {
                "修改议事内容"
            };
            (m.stage.step_number(), note.to_string(), "matter.amend")
        }
        MatterAction::Authorise { reference } => {
            let r = text_field("reference", reference, 2, 200)?;
            if m.stage.is_decided() || matches!(m.stage, Stage::Rejected | Stage::Withdrawn) {
                return Err(refuse("matter_not_open"));
            }
            m.authorisation = Some(r.clone());
            (
                m.stage.step_number(),
                format!("村民会议授权：{r}"),
                "matter.authorise",
            )
        }
        MatterAction::PublishResolution => {
            if m.stage != Stage::Resolved {
                return Err(refuse("step_out_of_order"));
            }
            if crate::disclosure::store::draft_pending(&mut tx, &m.id).await? {
                return Err(refuse("publication_pending"));
            }
            let (title, body) = resolution_text(&mut tx, &m).await?;
            crate::disclosure::service::draft_generated(
                &mut tx,
                actor,
                &m.area_code,
                "resolutions",
                clock::format_ms(now).get(..7).unwrap_or(""),
                &title,
                &body,
                "matter_resolution",
                &m.id,
                now,
            )
            .await?;
            (
                5,
                "决议公开稿已生成，送村务监督委员会审核".to_string(),
                "matter.publish_resolution",
            )
        }
        MatterAction::Complete { note } => {
            let note = text_field("note", note, 2, 2000)?;
            if m.stage != Stage::Implementing {
                return Err(refuse("step_out_of_order"));
            }
            m.stage = Stage::Completed;
            m.completed_at = Some(now);
            m.result_due = Some(now + settings.result_publish_days * DAY_MS);
            (6, note, "matter.complete")
        }
        MatterAction::PublishResult { text } => {
            let text = text_field("text", text, 2, 20_000)?;
            if m.stage != Stage::Completed {
                return Err(refuse("step_out_of_order"));
            }
            if crate::disclosure::store::draft_pending(&mut tx, &m.id).await? {
                return Err(refuse("publication_pending"));
            }
            let title = format!("{}实施结果公开", m.title);
            let body = format!(
                "事项编号：{}\n事项：{}\n决议时间：{}\n实施结果：\n{}",
                m.number,
                m.title,
                m.resolved_at.map(clock::format_ms).unwrap_or_default(),
                text
            );
            crate::disclosure::service::draft_generated(
                &mut tx,
                actor,
                &m.area_code,
                "resolutions",
                clock::format_ms(now).get(..7).unwrap_or(""),
                &title,
                &body,
                "matter_result",
                &m.id,
                now,
            )
            .await?;
            (
                7,
                "实施结果公开稿已生成，送村务监督委员会审核".to_string(),
                "matter.publish_result",
            )
        }
        MatterAction::Reenter => {
            if m.stage != Stage::Rejected {
                return Err(refuse("invalid_transition"));
            }
            m.stage = Stage::Draft;
            m.reviewed_hash = None;
            m.rejected_at_step = None;
            (0, "被否决后重新进入程序".to_string(), "matter.reenter")
        }
        MatterAction::Withdraw { reason } => {
            let reason = text_field("reason", reason, 2, 500)?;
            if m.stage.is_decided() || matches!(m.stage, Stage::Rejected | Stage::Withdrawn) {
                return Err(refuse("matter_not_open"));
            }
            m.stage = Stage::Withdrawn;
            m.reason = Some(reason.clone());
            (0, reason, "matter.withdraw")
        }
    };
    m.updated_at = now;
    store::update_matter(&mut tx, &m).await?;
    step_record(&mut tx, actor, &m, step, None, None, &note, now).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new(action_name, "matter", &m.id)
            .area(&m.area_code)
            .before(before)
            .after(json!({"stage": m.stage, "text_hash": m.text_hash}))
            .detail(note),
    )
    .await?;
    tx.commit().await?;
    if crate::archive::service::is_final(m.stage) {
        crate::archive::service::after_transition(core, &m.id, now).await;
    }
    Ok(m)
}

/// The text of a resolution's publication, generated from the decision record (R-VA-5).
async fn resolution_text(
    conn: &mut sqlx::AnyConnection,
    m: &Matter,
) -> AppResult<(String, String)> {
    let votes = store::votes_of_matter(conn, &m.id).await?;
    let mut body = format!("事项编号：{}\n事项：{}\n\n", m.number, m.title);
    body.push_str(&m.body);
    body.push_str("\n\n表决情况：\n");
    for v in &votes {
        let Some(o) = &v.outcome else { continue };
        let meeting = store::get_meeting(conn, &v.meeting_id).await?;
        if let Some(mt) = meeting {
            body.push_str(&format!(
                "{} {}：应到{}人，实到{}人；赞成{}，反对{}，弃权{}；{}（{}）\n",
                clock::format_ms(mt.scheduled_at).get(..10).unwrap_or(""),
                body_zh(mt.body),
                mt.members,
                mt.attendees,
                v.yes,
                v.no,
                v.abstain,
                if o.passed { "通过" } else { "未通过" },
                o.considered
                    .iter()
                    .find(|k| k.rule_id == o.rule_id)
                    .map(|k| k.source.as_str())
                    .unwrap_or("")
            ));
        }
    }
    Ok((format!("关于{}的决议公开", m.title), body))
}

/// The Chinese name of a body (for generated texts).
pub fn body_zh(b: Body) -> &'static str {
    match b {
        Body::BranchCommittee => "村党组织会议",
        Body::TwoCommittees => "村两委联席会议",
        Body::PartyMembers => "党员大会",
        Body::VillagerAssembly => "村民会议",
        Body::RepresentativesAssembly => "村民代表会议",
        Body::GroupMeeting => "村民小组会议",
        Body::CollectiveMembers => "集体经济组织成员大会",
    }
}

/// Called by the disclosure slice inside its releasing transaction: the publication of a
/// resolution (step 5) or of a result (step 7) went out.
pub async fn on_published(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    source_type: &str,
    matter_id: &str,
    now: i64,
) -> AppResult<()> {
    let Some(mut m) = store::get_matter(conn, matter_id).await? else {
        return Ok(());
    };
    let (from, to, step, note) = match source_type {
        "matter_resolution" => (
            Stage::Resolved,
            Stage::Implementing,
            5,
            "决议已公开，组织实施",
        ),
        "matter_result" => (
            Stage::Completed,
            Stage::Closed,
            7,
            "实施结果已公开，事项办结归档",
        ),
        _ => return Ok(()),
    };
    if m.stage != from {
        return Err(refuse("step_out_of_order"));
    }
    m.stage = to;
    m.updated_at = now;
    store::update_matter(conn, &m).await?;
    step_record(conn, actor, &m, step, None, None, note, now).await
}

/// A matter with its recorded steps and votes.
#[derive(Debug, Clone, Serialize)]
pub struct MatterView {
    pub matter: Matter,
    pub matter_type: MatterType,
    pub steps: Vec<MatterStep>,
    pub votes: Vec<Vote>,
    pub alerts: Vec<&'static str>,
    pub clearance: Result<(), &'static str>,
}

pub async fn get_matter(core: &Core, actor: &Actor, id: &str, now: i64) -> AppResult<MatterView> {
    let mut c = core.db.read.acquire().await?;
    let m = store::get_matter(&mut c, id)
        .await?
        .ok_or(AppError::NotFound("matter"))?;
    if !actor
        .scope(Permission::DeliberationRead)
        .covers_area(&m.area_code)
    {
        return Err(AppError::NotFound("matter"));
    }
    let mt = matter_type_of(&mut c, &m.county_code, &m.type_code).await?;
    Ok(MatterView {
        steps: store::steps(&mut c, &m.id).await?,
        votes: store::votes_of_matter(&mut c, &m.id).await?,
        alerts: rules::matter_alerts(&m, now),
        clearance: rules::clearance(&m, &mt, now),
        matter_type: mt,
        matter: m,
    })
}

pub async fn list_matters(
    core: &Core,
    actor: &Actor,
    stage: Option<Stage>,
    limit: i64,
) -> AppResult<Vec<Matter>> {
    let scope = actor.require_any(Permission::DeliberationRead)?;
    let mut c = core.db.read.acquire().await?;
    store::list_matters(&mut c, &scope.prefixes, stage, limit.clamp(1, 500)).await
}

/// One page of matters in the actor's areas (newest change first), optionally narrowed to
/// an area inside them and to a stage.
pub async fn page_matters(
    core: &Core,
    actor: &Actor,
    stage: Option<Stage>,
    area: Option<&str>,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Matter>, bool)> {
    let scope = actor.require_any(Permission::DeliberationRead)?;
    let prefixes = scope.narrowed(area)?;
    let (fetch, skip) = crate::db::page_window(page, per_page);
    let mut c = core.db.read.acquire().await?;
    let rows = store::list_matters(&mut c, &prefixes, stage, fetch).await?;
    Ok(crate::db::cut_page(rows, skip, per_page))
}

/// Whether a matter may be paid, contracted or tendered now (R-4Y2G-4). The one question
/// the ledger and project modules ask.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Clearance {
    pub allowed: bool,
    /// Why not (an error code), or `emergency` when allowed only on the emergency path.
    pub reason: Option<&'static str>,
    pub stage: Stage,
}

pub async fn may_proceed(
    conn: &mut sqlx::AnyConnection,
    matter_id: &str,
    now: i64,
) -> AppResult<Clearance> {
    let m = store::get_matter(conn, matter_id)
        .await?
        .ok_or(AppError::NotFound("matter"))?;
    let mt = matter_type_of(conn, &m.county_code, &m.type_code).await?;
    Ok(match rules::clearance(&m, &mt, now) {
        Ok(()) => Clearance {
            allowed: true,
            reason: (m.emergency && !m.stage.is_decided()).then_some("emergency"),
            stage: m.stage,
        },
        Err(r) => Clearance {
            allowed: false,
            reason: Some(r),
            stage: m.stage,
        },
    })
}

// ---------------------------------------------------------------- meetings

/// An item to put to the vote.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewVote {
    #[serde(default)]
    pub matter_id: Option<String>,
    pub question: String,
    #[serde(default)]
    pub secret: bool,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewMeeting {
    pub area_code: String,
    /// The body that meets (`villager_assembly` …).
    pub kind: String,
    pub title: String,
    pub place: String,
    pub host: String,
    pub scheduled_at: i64,
    #[serde(default)]
    pub agenda: Vec<NewVote>,
}

fn adult_cutoff(now: i64) -> String {
    let d = chrono::DateTime::from_timestamp_millis(now)
        .map(|t| t.date_naive())
        .unwrap_or_default();
    let cutoff = d
        .with_year(d.year() - 18)
        .or_else(|| d.pred_opt().and_then(|p| p.with_year(p.year() - 18)))
        .unwrap_or(d);
    cutoff.format("%Y-%m-%d").to_string()
}

use chrono::Datelike;

pub async fn create_meeting(
    core: &Core,
    actor: &Actor,
    n: NewMeeting,
    now: i64,
) -> AppResult<Meeting> {
    actor.require(Permission::DeliberationManage, &n.area_code, None)?;
    let mut errs = Vec::new();
    let body = Body::parse(&n.kind);
    if body.is_none() {
        errs.push(crate::FieldError::new("meeting_kind", "not_in_list"));
    }
    let title = text_field("title", &n.title, 2, 120).map_err(|e| errs.extend(e.fields()));
    let place = text_field("place", &n.place, 1, 120).map_err(|e| errs.extend(e.fields()));
    let host = text_field("host", &n.host, 1, 60).map_err(|e| errs.extend(e.fields()));
    let area = crate::cases::catalogue::area(core, &n.area_code).await?;
    let level_ok = match body {
        Some(Body::GroupMeeting) => area.level == AreaLevel::Group,
        _ => area.level == AreaLevel::Village,
    };
    if !level_ok {
        errs.push(crate::FieldError::new("area_code", "area_code_level"));
    }
    if n.scheduled_at <= 0 {
        errs.push(crate::FieldError::new("scheduled_at", "not_a_datetime"));
    }
    let (Some(body), Ok(title), Ok(place), Ok(host), true) =
        (body, title, place, host, errs.is_empty())
    else {
        return Err(AppError::Validation(errs));
    };
    let county = county_of(&n.area_code);
    let mut tx = core.db.write.begin().await?;
    let people =
        store::roster_candidates(&mut tx, &n.area_code, body, &adult_cutoff(n.scheduled_at))
            .await?;
    let m = Meeting {
        id: clock::new_id(),
        county_code: county.clone(),
        area_code: n.area_code.clone(),
        body,
        title,
        place,
        host,
        scheduled_at: n.scheduled_at,
        convened_at: None,
        status: MeetingStatus::Planned,
        members: 0,
        households: 0,
        attendees: 0,
        households_present: 0,
        minutes: String::new(),
        closed_at: None,
        created_at: now,
    };
    store::insert_meeting(&mut tx, &m, &actor.username).await?;
    store::insert_roster(&mut tx, &m.id, &county, &people).await?;
    for (i, v) in n.agenda.iter().enumerate() {
        add_vote_tx(&mut tx, &m, v, i64::try_from(i).unwrap_or(0), now).await?;
    }
    audit::record(
        &mut tx,
        actor,
        Entry::new("meeting.create", "meeting", &m.id)
            .area(&m.area_code)
            .after(
                json!({"body": m.body, "title": m.title, "scheduled_at": m.scheduled_at,
                "roster": people.len(), "agenda": n.agenda.len()}),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(m)
}

async fn add_vote_tx(
    conn: &mut sqlx::AnyConnection,
    m: &Meeting,
    v: &NewVote,
    position: i64,
    now: i64,
) -> AppResult<Vote> {
    let question = text_field("question", &v.question, 2, 500)?;
    let matter_id = v.matter_id.clone().filter(|s| !s.is_empty());
    if let Some(mid) = &matter_id {
        let matter = store::get_matter(conn, mid)
            .await?
            .ok_or_else(|| AppError::field("matter_id", "not_found"))?;
        if !m.area_code.starts_with(matter.area_code.as_str()) {
            return Err(AppError::field("matter_id", "area_outside_scope"));
        }
        let mt = matter_type_of(conn, &matter.county_code, &matter.type_code).await?;
        let settings = store::settings(conn, &m.county_code).await?;
        rules::step_for_vote(matter.stage, m.body, &mt, &settings).map_err(refuse)?;
        rules::body_may_resolve(m.body, &mt, matter.authorisation.as_deref()).map_err(refuse)?;
    }
    let vote = Vote {
        id: clock::new_id(),
        meeting_id: m.id.clone(),
        matter_id,
        question,
        secret: v.secret,
        yes: 0,
        no: 0,
        abstain: 0,
        outcome: None,
        text_hash: None,
    };
    store::insert_vote(conn, &vote, &m.county_code, position, now).await?;
    Ok(vote)
}

async fn meeting_for_change(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    id: &str,
) -> AppResult<Meeting> {
    let m = store::get_meeting(conn, id)
        .await?
        .ok_or(AppError::NotFound("meeting"))?;
    if !actor
        .scope(Permission::DeliberationRead)
        .covers_area(&m.area_code)
        && !actor
            .scope(Permission::DeliberationManage)
            .covers_area(&m.area_code)
    {
        return Err(AppError::NotFound("meeting"));
    }
    actor.require(Permission::DeliberationManage, &m.area_code, None)?;
    Ok(m)
}

/// Put another question on the agenda of a meeting not yet closed.
pub async fn add_vote(
    core: &Core,
    actor: &Actor,
    meeting_id: &str,
    v: NewVote,
    now: i64,
) -> AppResult<Vote> {
    let mut tx = core.db.write.begin().await?;
    let m = meeting_for_change(&mut tx, actor, meeting_id).await?;
    if m.status == MeetingStatus::Closed {
        return Err(refuse("meeting_closed"));
    }
    let n = i64::try_from(store::votes(&mut tx, &m.id).await?.len()).unwrap_or(0);
    let vote = add_vote_tx(&mut tx, &m, &v, n, now).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("meeting.add_vote", "vote", &vote.id)
            .area(&m.area_code)
            .after(json!({"meeting": m.id, "question": vote.question, "secret": vote.secret, "matter": vote.matter_id})),
    )
    .await?;
    tx.commit().await?;
    Ok(vote)
}

/// Add someone to, or take someone off, the roster — only before convening (§0.3).
pub async fn adjust_roster(
    core: &Core,
    actor: &Actor,
    meeting_id: &str,
    person_id: &str,
    add: bool,
) -> AppResult<()> {
    let mut tx = core.db.write.begin().await?;
    let m = meeting_for_change(&mut tx, actor, meeting_id).await?;
    if m.status != MeetingStatus::Planned {
        return Err(refuse("roster_frozen"));
    }
    if add {
        let (id, name, hh, area) = store::person_brief(&mut tx, person_id)
            .await?
            .ok_or_else(|| AppError::field("person_id", "not_found"))?;
        if !area.starts_with(m.area_code.get(..12).unwrap_or(&m.area_code)) {
            return Err(AppError::field("person_id", "area_outside_scope"));
        }
        store::insert_roster(&mut tx, &m.id, &m.county_code, &[(id, name, hh)])
            .await
            .map_err(|e| match e {
                AppError::Conflict { .. } => AppError::field("person_id", "duplicate"),
                e => e,
            })?;
    } else if store::remove_roster(&mut tx, &m.id, person_id).await? == 0 {
        return Err(AppError::field("person_id", "not_found"));
    }
    audit::record(
        &mut tx,
        actor,
        Entry::new(
            if add {
                "meeting.roster_add"
            } else {
                "meeting.roster_remove"
            },
            "meeting",
            &m.id,
        )
        .area(&m.area_code)
        .detail(person_id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Give notice: the roster is frozen and its sizes snapshotted; the notice period is checked.
pub async fn convene(core: &Core, actor: &Actor, meeting_id: &str, now: i64) -> AppResult<Meeting> {
    let mut tx = core.db.write.begin().await?;
    let mut m = meeting_for_change(&mut tx, actor, meeting_id).await?;
    if m.status != MeetingStatus::Planned {
        return Err(refuse("meeting_already_convened"));
    }
    let settings = store::settings(&mut tx, &m.county_code).await?;
    if !rules::notice_ok(m.body, &settings, now, m.scheduled_at) {
        return Err(AppError::field("scheduled_at", "notice_too_short"));
    }
    let [members, households, _, _] = store::roster_counts(&mut tx, &m.id).await?;
    if members == 0 {
        return Err(refuse("roster_empty"));
    }
    m.status = MeetingStatus::Convened;
    m.convened_at = Some(now);
    m.members = members;
    m.households = households;
    store::update_meeting(&mut tx, &m, now).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("meeting.convene", "meeting", &m.id)
            .area(&m.area_code)
            .after(json!({"members": members, "households": households, "scheduled_at": m.scheduled_at})),
    )
    .await?;
    tx.commit().await?;
    Ok(m)
}

/// One line of the attendance sheet: a roster member, how they took part (`None`: absent)
/// and the holder of their written proxy.
pub type AttendanceLine = (String, Option<Presence>, Option<String>);

/// Record how a roster member took part (present, written proxy, written opinion) or clear it.
pub async fn record_presence(
    core: &Core,
    actor: &Actor,
    meeting_id: &str,
    person_id: &str,
    presence: Option<Presence>,
    proxy_name: Option<&str>,
    note: &str,
) -> AppResult<()> {
    let line = (
        person_id.to_string(),
        presence,
        proxy_name.map(str::to_string),
    );
    record_attendance(core, actor, meeting_id, &[line], note).await
}

/// Record a whole attendance sheet in one transaction with one audit record; a line that
/// does not fit (not on the roster, a proxy without its holder) refuses the sheet.
pub async fn record_attendance(
    core: &Core,
    actor: &Actor,
    meeting_id: &str,
    lines: &[AttendanceLine],
    note: &str,
) -> AppResult<()> {
    let mut tx = core.db.write.begin().await?;
    let m = meeting_for_change(&mut tx, actor, meeting_id).await?;
    match m.status {
        MeetingStatus::Planned => return Err(refuse("meeting_not_convened")),
        MeetingStatus::Closed => return Err(refuse("meeting_closed")),
        MeetingStatus::Convened => {}
    }
    let note = rules::clean(note);
    let mut detail = Vec::with_capacity(lines.len());
    for (person_id, presence, proxy_name) in lines {
        let proxy = proxy_name
            .as_deref()
            .map(rules::clean)
            .filter(|s| !s.is_empty());
        if *presence == Some(Presence::Proxy) && proxy.is_none() {
            return Err(AppError::field("proxy_name", "required"));
        }
        if store::set_presence(
            &mut tx,
            &m.id,
            person_id,
            *presence,
            proxy.as_deref(),
            &note,
        )
        .await?
            == 0
        {
            return Err(AppError::field("person_id", "not_on_roster"));
        }
        detail.push(format!(
            "{person_id} {}",
            presence.map(Presence::as_str).unwrap_or("absent")
        ));
    }
    audit::record(
        &mut tx,
        actor,
        Entry::new("meeting.presence", "meeting", &m.id)
            .area(&m.area_code)
            .detail(detail.join("; ")),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn vote_for_change(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    vote_id: &str,
) -> AppResult<(Meeting, Vote)> {
    let v = store::get_vote(conn, vote_id)
        .await?
        .ok_or(AppError::NotFound("vote"))?;
    let m = meeting_for_change(conn, actor, &v.meeting_id).await?;
    match m.status {
        MeetingStatus::Planned => Err(refuse("meeting_not_convened")),
        MeetingStatus::Closed => Err(refuse("meeting_closed")),
        MeetingStatus::Convened => Ok((m, v)),
    }
}

async fn attending(conn: &mut sqlx::AnyConnection, m: &Meeting, person: &str) -> AppResult<()> {
    let roster = store::roster(conn, &m.id).await?;
    match roster.iter().find(|r| r.person_id == person) {
        None => Err(AppError::field("person_id", "not_on_roster")),
        Some(r) if !r.presence.is_some_and(Presence::attends) => {
            Err(AppError::field("person_id", "not_present"))
        }
        Some(_) => Ok(()),
    }
}

/// Record one person's ballot. Open ballots keep who voted what; secret ballots keep only
/// that the person voted and add the choice to the tally — nothing links the two.
pub async fn cast(
    core: &Core,
    actor: &Actor,
    vote_id: &str,
    person_id: &str,
    choice: Choice,
) -> AppResult<()> {
    let mut tx = core.db.write.begin().await?;
    let (m, v) = vote_for_change(&mut tx, actor, vote_id).await?;
    cast_tx(&mut tx, actor, &m, &v, person_id, choice).await?;
    tx.commit().await?;
    Ok(())
}

/// A villager casts their own ballot from their phone (secret ballots only).
pub async fn cast_own(core: &Core, actor: &Actor, vote_id: &str, choice: Choice) -> AppResult<()> {
    let person = actor.person_id.clone().ok_or(AppError::Forbidden)?;
    let mut tx = core.db.write.begin().await?;
    let v = store::get_vote(&mut tx, vote_id)
        .await?
        .ok_or(AppError::NotFound("vote"))?;
    let m = store::get_meeting(&mut tx, &v.meeting_id)
        .await?
        .ok_or(AppError::NotFound("meeting"))?;
    if !v.secret {
        return Err(refuse("open_vote_recorded_by_clerk"));
    }
    if m.status != MeetingStatus::Convened {
        return Err(refuse("meeting_closed"));
    }
    cast_tx(&mut tx, actor, &m, &v, &person, choice).await?;
    tx.commit().await?;
    Ok(())
}

async fn cast_tx(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    m: &Meeting,
    v: &Vote,
    person_id: &str,
    choice: Choice,
) -> AppResult<()> {
    attending(conn, m, person_id).await?;
    if v.secret {
        if !store::mark_secret_voter(conn, &v.id, person_id, &m.county_code).await? {
            return Err(refuse("already_voted"));
        }
        store::bump_tally(conn, &v.id, choice).await?;
        // The audit record says that a ballot was cast, never which.
        audit::record(
            conn,
            actor,
            Entry::new("vote.cast_secret", "vote", &v.id).area(&m.area_code),
        )
        .await?;
    } else {
        store::insert_ballot(conn, &v.id, person_id, &m.county_code, choice).await?;
        let t = store::count_ballots(conn, &v.id).await?;
        store::set_tally(conn, &v.id, t).await?;
        audit::record(
            conn,
            actor,
            Entry::new("vote.cast", "vote", &v.id)
                .area(&m.area_code)
                .detail(format!("{person_id} {}", choice.as_str())),
        )
        .await?;
    }
    Ok(())
}

/// Enter the counted tally (paper ballots or a show of hands counted by the tellers).
pub async fn enter_tally(
    core: &Core,
    actor: &Actor,
    vote_id: &str,
    yes: i64,
    no: i64,
    abstain: i64,
) -> AppResult<()> {
    let mut tx = core.db.write.begin().await?;
    let (m, v) = vote_for_change(&mut tx, actor, vote_id).await?;
    let [_, _, attendees, _] = store::roster_counts(&mut tx, &m.id).await?;
    if yes < 0 || no < 0 || abstain < 0 {
        return Err(AppError::field("yes", "invalid"));
    }
    if yes + no + abstain > attendees {
        return Err(AppError::field("yes", "tally_exceeds_attendance"));
    }
    if (v.secret && store::secret_voter_count(&mut tx, &v.id).await? > 0)
        || (!v.secret && !store::ballots(&mut tx, &v.id).await?.is_empty())
    {
        return Err(refuse("ballots_already_recorded"));
    }
    store::set_tally(&mut tx, &v.id, [yes, no, abstain]).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("vote.tally", "vote", &v.id)
            .area(&m.area_code)
            .after(json!({"yes": yes, "no": no, "abstain": abstain})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Close the meeting: take the attendance, decide every vote under the strictest applicable
/// rule, and move each matter on the agenda one step (or reject it). Nothing changes after.
pub async fn close(
    core: &Core,
    actor: &Actor,
    meeting_id: &str,
    minutes: &str,
    now: i64,
) -> AppResult<(Meeting, Vec<Vote>)> {
    let minutes = text_field("minutes", minutes, 2, 50_000)?;
    let mut tx = core.db.write.begin().await?;
    let mut m = meeting_for_change(&mut tx, actor, meeting_id).await?;
    match m.status {
        MeetingStatus::Planned => return Err(refuse("meeting_not_convened")),
        MeetingStatus::Closed => return Err(refuse("meeting_closed")),
        MeetingStatus::Convened => {}
    }
    let [members, households, attendees, hp] = store::roster_counts(&mut tx, &m.id).await?;
    if members != m.members || households != m.households {
        // The roster cannot change after convening; if it did, refuse to count.
        return Err(refuse("roster_frozen"));
    }
    m.attendees = attendees;
    m.households_present = hp;
    m.minutes = minutes;
    m.status = MeetingStatus::Closed;
    m.closed_at = Some(now);
    let all_rules = rules_for(&mut tx, &m.county_code).await?;
    let settings = store::settings(&mut tx, &m.county_code).await?;
    let mut votes = store::votes(&mut tx, &m.id).await?;
    for v in &mut votes {
        if v.yes + v.no + v.abstain > attendees {
            return Err(AppError::field("yes", "tally_exceeds_attendance"));
        }
        let counts = Counts {
            members,
            households,
            attendees,
            households_present: hp,
            yes: v.yes,
        };
        let matter = match &v.matter_id {
            Some(id) => store::get_matter(&mut tx, id).await?,
            None => None,
        };
        let mt = match &matter {
            Some(x) => Some(matter_type_of(&mut tx, &x.county_code, &x.type_code).await?),
            None => None,
        };
        let outcome = rules::decide(&all_rules, m.body, mt.as_ref(), &m.county_code, &counts);
        let text_hash = matter.as_ref().map(|x| x.text_hash.clone());
        store::set_outcome(&mut tx, &v.id, &outcome, text_hash.as_deref()).await?;
        if let (Some(mut x), Some(mt)) = (matter, mt) {
            advance(&mut tx, actor, &mut x, &mt, &settings, &m, v, &outcome, now).await?;
        }
        v.outcome = Some(outcome);
        v.text_hash = text_hash;
    }
    store::update_meeting(&mut tx, &m, now).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("meeting.close", "meeting", &m.id)
            .area(&m.area_code)
            .after(json!({"members": members, "attendees": attendees, "households_present": hp,
                "votes": votes.iter().map(|v| json!({"id": v.id, "yes": v.yes, "no": v.no,
                "abstain": v.abstain, "passed": v.outcome.as_ref().map(|o| o.passed)})).collect::<Vec<_>>()})),
    )
    .await?;
    tx.commit().await?;
    Ok((m, votes))
}

#[allow(clippy::too_many_arguments)]
async fn advance(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    x: &mut Matter,
    mt: &MatterType,
    settings: &Settings,
    meeting: &Meeting,
    v: &Vote,
    outcome: &Outcome,
    now: i64,
) -> AppResult<()> {
    if meeting.body.resolves()
        && mt.requires_four_deliberations
        && x.stage == Stage::Deliberated
        && x.reviewed_hash.as_ref().is_some_and(|h| *h != x.text_hash)
    {
        return Err(refuse("text_changed_rerun_review"));
    }
    let (stage, steps) =
        rules::step_for_vote(x.stage, meeting.body, mt, settings).map_err(refuse)?;
    rules::body_may_resolve(meeting.body, mt, x.authorisation.as_deref()).map_err(refuse)?;
    if stage == Stage::Resolved
        && mt.requires_four_deliberations
        && x.reviewed_hash.as_deref() != Some(x.text_hash.as_str())
    {
        // R-4Y2G-3: the text decided must be the text the party members reviewed.
        return Err(refuse("text_changed_rerun_review"));
    }
    let tally = format!(
        "{}：应到{}，实到{}，赞成{}，反对{}，弃权{}",
        body_zh(meeting.body),
        meeting.members,
        meeting.attendees,
        v.yes,
        v.no,
        v.abstain
    );
    if !outcome.passed {
        let failed = steps.last().copied().unwrap_or(0);
        x.stage = Stage::Rejected;
        x.rejected_at_step = Some(failed);
        x.reason = Some(if outcome.quorum_met {
            format!("表决未通过（{tally}）")
        } else {
            format!("到会人数不足法定人数（{tally}）")
        });
        x.updated_at = now;
        store::update_matter(conn, x).await?;
        let note = x.reason.clone().unwrap_or_default();
        return step_record(
            conn,
            actor,
            x,
            failed,
            Some(&meeting.id),
            Some(&v.id),
            &note,
            now,
        )
        .await;
    }
    for s in steps {
        x.stage = match s {
            1 => Stage::Proposed,
            2 => Stage::Deliberated,
            3 => Stage::Reviewed,
            _ => Stage::Resolved,
        };
        if s == 3 {
            x.reviewed_hash = Some(x.text_hash.clone());
        }
        if s == 4 {
            x.resolved_at = Some(meeting.scheduled_at.min(now));
            x.resolution_due = Some(now + settings.resolution_publish_days * DAY_MS);
        }
        let note = format!("{}，通过（{tally}）", step_name(s));
        step_record(
            conn,
            actor,
            x,
            s,
            Some(&meeting.id),
            Some(&v.id),
            &note,
            now,
        )
        .await?;
    }
    x.stage = stage;
    x.updated_at = now;
    store::update_matter(conn, x).await
}

/// The name of a step of 四议两公开.
pub fn step_name(step: u8) -> &'static str {
    match step {
        1 => "村党组织提议",
        2 => "村两委会议商议",
        3 => "党员大会审议",
        4 => "村民会议或村民代表会议决议",
        5 => "决议公开",
        6 => "组织实施",
        7 => "实施结果公开",
        _ => "起草",
    }
}

/// A meeting with its roster and votes. Secret ballots show tallies only.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingView {
    pub meeting: Meeting,
    pub roster: Vec<RosterEntry>,
    pub votes: Vec<Vote>,
    /// Open ballots per vote id: (person id, choice).
    pub ballots: Vec<(String, Vec<(String, Choice)>)>,
}

pub async fn get_meeting(core: &Core, actor: &Actor, id: &str) -> AppResult<MeetingView> {
    let mut c = core.db.read.acquire().await?;
    let m = store::get_meeting(&mut c, id)
        .await?
        .ok_or(AppError::NotFound("meeting"))?;
    if !actor
        .scope(Permission::DeliberationRead)
        .covers_area(&m.area_code)
    {
        return Err(AppError::NotFound("meeting"));
    }
    let votes = store::votes(&mut c, &m.id).await?;
    let mut ballots = Vec::new();
    for v in votes.iter().filter(|v| !v.secret) {
        ballots.push((v.id.clone(), store::ballots(&mut c, &v.id).await?));
    }
    Ok(MeetingView {
        roster: store::roster(&mut c, &m.id).await?,
        meeting: m,
        votes,
        ballots,
    })
}

pub async fn list_meetings(core: &Core, actor: &Actor, limit: i64) -> AppResult<Vec<Meeting>> {
    let scope = actor.require_any(Permission::DeliberationRead)?;
    let mut c = core.db.read.acquire().await?;
    store::list_meetings(&mut c, &scope.prefixes, limit.clamp(1, 500)).await
}

/// One page of meetings in the actor's areas (latest date first), optionally narrowed to an
/// area inside them.
pub async fn page_meetings(
    core: &Core,
    actor: &Actor,
    area: Option<&str>,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Meeting>, bool)> {
    let scope = actor.require_any(Permission::DeliberationRead)?;
    let prefixes = scope.narrowed(area)?;
    let (fetch, skip) = crate::db::page_window(page, per_page);
    let mut c = core.db.read.acquire().await?;
    let rows = store::list_meetings(&mut c, &prefixes, fetch).await?;
    Ok(crate::db::cut_page(rows, skip, per_page))
}

/// Something that needs a cadre's or the township's attention.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub area_code: String,
    pub kind: &'static str,
    pub matter_id: Option<String>,
    pub title: String,
}

/// Open alerts in the actor's areas: representatives' assemblies that missed a quarter
/// (§3.2), unpublished resolutions and results, overdue emergency ratifications.
pub async fn alerts(core: &Core, actor: &Actor, now: i64) -> AppResult<Vec<Alert>> {
    let scope = actor.require_any(Permission::DeliberationRead)?;
    let mut c = core.db.read.acquire().await?;
    let mut out = Vec::new();
    for m in store::list_matters(&mut c, &scope.prefixes, None, 500).await? {
        for k in rules::matter_alerts(&m, now) {
            out.push(Alert {
                area_code: m.area_code.clone(),
                kind: k,
                matter_id: Some(m.id.clone()),
                title: m.title.clone(),
            });
        }
    }
    let d = chrono::DateTime::from_timestamp_millis(now)
        .map(|t| t.date_naive())
        .unwrap_or_default();
    let (py, pq) = rules::previous_quarter(d.year(), d.month());
    let quarter_start = chrono::NaiveDate::from_ymd_opt(py, (pq - 1) * 3 + 1, 1)
        .and_then(|x| x.and_hms_opt(0, 0, 0))
        .map(|x| x.and_utc().timestamp_millis())
        .unwrap_or(0);
    let mut counties = crate::areas::service::counties_in(&core.db, &scope.prefixes).await?;
    counties.sort();
    counties.dedup();
    for county in counties {
        let last = store::last_meetings(&mut c, &county, Body::RepresentativesAssembly).await?;
        let villages = crate::areas::store::villages_of(&core.db, &county).await?;
        for (code, name) in villages {
            if !scope.covers_area(&code) {
                continue;
            }
            let held = last
                .iter()
                .find(|(a, _)| *a == code)
                .map(|(_, t)| *t)
                .unwrap_or(0);
            if held < quarter_start {
                out.push(Alert {
                    area_code: code,
                    kind: "representatives_quarterly",
                    matter_id: None,
                    title: format!("{name}：{py}年第{pq}季度未召开村民代表会议"),
                });
            }
        }
    }
    Ok(out)
}
