//! Case services: raise, act (one call per transition), read, queues, the escalation sweep
//! and the per-area indicators. Each change: permission → one transaction → audit record,
//! timeline entry and notification in that same transaction.

use serde::Serialize;

use super::catalogue::{self, Loaded};
use super::intake::{self, Recipient};
use super::model::*;
use super::rules::{self, Change, Facts};
use super::store::{self, CaseFilter, EventRow, NewCaseRow, NotificationRow};
use crate::areas::code::AreaLevel;
use crate::audit::{self, Entry};
use crate::authz::{Actor, Permission, Role};
use crate::error::{AppError, AppResult, FieldError};
use crate::{clock, Core};

/// What raising a case gave.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RaiseOutcome {
    /// A new case.
    Created { case: Case },
    /// The same idempotency key was used before: that case.
    Existing { case: Case },
    /// Open cases that are probably the same (number, id, title): join one, or submit again
    /// with `not_duplicate`.
    Duplicates { candidates: Vec<DuplicateCandidate> },
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DuplicateCandidate {
    pub id: String,
    pub number: String,
    pub description: String,
}

fn aad_phone(case_id: &str) -> Vec<u8> {
    format!("case:{case_id}:reporter_phone").into_bytes()
}

/// The associated data a case's reporter phone is encrypted with (for senders of texts).
pub(crate) fn reporter_phone_aad(case_id: &str) -> Vec<u8> {
    aad_phone(case_id)
}

/// The role that owns cases at a level, and the area it sits on.
fn level_recipient(level: Level, area_code: &str) -> Recipient {
    let role = match level {
        Level::Village => Role::VillageCadre,
        Level::Township => Role::TownshipStaff,
        Level::County => Role::CountyStaff,
    };
    Recipient {
        user_id: None,
        role: Some(role.as_str().to_string()),
        area_code: Some(level.area_of(area_code)),
    }
}

fn raiser_class(actor: &Actor, source: &str, area: &str) -> Raiser {
    if actor.is_system() {
        return if source == "open311" {
            Raiser::Public
        } else {
            Raiser::Staff
        };
    }
    let staff = actor.grants.iter().any(|g| {
        matches!(
            g.role,
            Role::VillageCadre | Role::TownshipStaff | Role::CountyStaff
        ) && area.starts_with(g.prefix())
    });
    if staff {
        return Raiser::Staff;
    }
    if actor.has_role(Role::GridWorker) {
        return Raiser::GridWorker;
    }
    Raiser::Public
}

/// Raise a case. `source` names the channel: `app`, `grid`, `staff`, `open311`, `demo`.
pub async fn raise(
    core: &Core,
    actor: &Actor,
    source: &str,
    input: NewCase,
) -> AppResult<RaiseOutcome> {
    let cat = catalogue::loaded(core).await?;
    let t = cat.case_type(input.type_code.trim())?;
    let area_code = input.area_code.trim().to_string();
    let area = match catalogue::area(core, &area_code).await {
        Ok(a) => a,
        Err(AppError::NotFound(_)) => return Err(AppError::field("area_code", "invalid")),
        Err(e) => return Err(e),
    };
    if area.retired || !matches!(area.level, AreaLevel::Village | AreaLevel::Township) {
        return Err(AppError::field("area_code", "invalid"));
    }
    if area.county_code != t.county_code {
        return Err(AppError::NotFound("case_type"));
    }
    let grid = input
        .grid_code
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_string);
    if let Some(g) = &grid {
        if !g.starts_with(&area_code) || g.len() <= area_code.len() {
            return Err(AppError::field("grid_code", "invalid"));
        }
    }
    if !actor.is_system()
        && !actor
            .scope(Permission::CaseRaise)
            .contains(&area_code, grid.as_deref())
    {
        return Err(AppError::Forbidden);
    }
    let class = raiser_class(actor, source, &area_code);
    let allowed = match class {
        Raiser::Staff => true,
        Raiser::GridWorker => {
            t.raisers.contains(&Raiser::GridWorker) || t.raisers.contains(&Raiser::Public)
        }
        Raiser::Public => t.raisers.contains(&Raiser::Public),
    };
    if !allowed {
        return Err(AppError::Forbidden);
    }
    let v = rules::validate_new(&t, &input).map_err(AppError::Validation)?;
    let now = clock::now_ms();
    // Offer to join a probable duplicate (not for integrations, which cannot answer, and
    // not for a retry that carries an idempotency key).
    if !input.not_duplicate && v.idempotency_key.is_none() && source != "open311" {
        let since = now - rules::DUPLICATE_WINDOW_MS;
        let here = v.lat.zip(v.lon);
        let candidates: Vec<DuplicateCandidate> =
            store::recent_open(&core.db, &area_code, &t.code, since)
                .await?
                .into_iter()
                .filter(|(_, _, d, la, lo)| {
                    rules::probable_duplicate(&v.description, here, d, la.zip(*lo))
                })
                .take(5)
                .map(|(id, number, description, _, _)| DuplicateCandidate {
                    id,
                    number,
                    description,
                })
                .collect();
        if !candidates.is_empty() {
            return Ok(RaiseOutcome::Duplicates { candidates });
        }
    }
    let cal = cat.calendar(&t.county_code);
    let id = clock::new_id();
    let level = t.first_level;
    let org = catalogue::org_name(core, &t, &area_code, level).await?;
    let reporter_user_id = (!actor.is_system()).then(|| actor.user_id.clone());
    let reporter_name = if v.anonymous {
        None
    } else {
        v.reporter_name.clone().or_else(|| {
            (class == Raiser::Public && !actor.is_system()).then(|| actor.display_name.clone())
        })
    };
    let mut notify = vec![level_recipient(level, &area_code)];
    let mut status = Status::Reported;
    let mut public_note = None;
    let mut priority = v.priority;
    if t.category == Category::Dispute {
        let attr = |k: &str| v.attrs.get(k).and_then(|x| x.as_str()).map(str::to_string);
        if let Some(ch) = attr("channel").filter(|c| c != "none") {
            // R-ESC-5: a matter already in court, arbitration or petition is not handled as an
            // ordinary case; the person is told the channel.
            status = Status::Rejected;
            public_note = Some(format!("{}{}", OTHER_CHANNEL_NOTE, channel_zh(&ch)));
        } else if attr("violence_risk").as_deref() == Some("yes") {
            // R-ESC-3 / 人民调解法 §25: a risk of violence goes to the township and the
            // county (police liaison) at once.
            priority = Priority::Urgent;
            for l in [Level::Township, Level::County] {
                let mut r = level_recipient(l, &area_code);
                r.user_id = None;
                notify.push(r);
            }
        }
    }
    let case = Case {
        id: id.clone(),
        number: String::new(),
        county_code: t.county_code.clone(),
        type_code: t.code.clone(),
        category: t.category,
        area_code: area_code.clone(),
        grid_code: grid.clone(),
        status,
        priority,
        level,
        org,
        slipped_level: None,
        escalations: 0,
        title: v.title,
        description: v.description,
        attrs: v.attrs.clone(),
        lat: v.lat,
        lon: v.lon,
        address: v.address,
        source: source.to_string(),
        reporter_user_id,
        reporter_name,
        anonymous: v.anonymous,
        assignee_user_id: None,
        handler_user_id: None,
        due_at: cal.deadline(now, t.sla.for_priority(priority)),
        reopen_count: 0,
        rating: None,
        public_note,
        duplicate_of: None,
        pending_extension_hours: None,
        created_at: now,
        updated_at: now,
        handled_at: None,
        closed_at: (status == Status::Rejected).then_some(now),
    };
    let phone_enc = v
        .reporter_phone
        .as_ref()
        .map(|p| core.keys.encrypt(p.as_bytes(), &aad_phone(&id)));
    // An idempotency key belongs to whoever sent it: another sender's key never matches.
    let idem_key = v.idempotency_key.map(|k| {
        let who = if actor.is_system() {
            actor.username.clone()
        } else {
            actor.user_id.clone()
        };
        format!("{who}:{k}")
    });
    if let Some(g) = &grid {
        notify.push(Recipient {
            user_id: None,
            role: Some(Role::GridWorker.as_str().into()),
            area_code: Some(g.clone()),
        });
    }
    if t.category == Category::Emergency {
        // R-EMG-2 / R-ESC-3: the people on duty for the village and the township, the
        // village cadres and the township at once — never a queue.
        for l in [Level::Village, Level::Township] {
            let holder = l.area_of(&area_code);
            for u in store::on_duty(&core.db, &holder, now).await? {
                notify.push(Recipient {
                    user_id: Some(u),
                    role: None,
                    area_code: None,
                });
            }
            if l != level {
                notify.push(level_recipient(l, &area_code));
            }
        }
    }
    let row = NewCaseRow {
        case,
        reporter_phone_enc: phone_enc,
        idem_key,
    };
    let (case, created) = intake::submit(core, row, actor.clone(), notify).await?;
    Ok(if created {
        RaiseOutcome::Created { case }
    } else {
        RaiseOutcome::Existing { case }
    })
}

const OTHER_CHANNEL_NOTE: &str = "该纠纷已进入其他法定程序，请继续通过该渠道解决：";

fn channel_zh(ch: &str) -> &'static str {
    match ch {
        "court" => "人民法院",
        "arbitration" => "仲裁机构",
        "petition" => "信访工作机构",
        _ => "相关机关",
    }
}

/// Whether the actor may read a case: it lies in their case scope, or they raised it.
fn may_read(actor: &Actor, c: &Case) -> bool {
    actor.is_system()
        || actor
            .scope(Permission::CaseRead)
            .contains(&c.area_code, c.grid_code.as_deref())
        || (c.reporter_user_id.as_deref() == Some(actor.user_id.as_str())
            && !actor.user_id.is_empty())
}

/// Whether the actor holds `perm` at the level responsible for the case (or above).
fn at_level(actor: &Actor, perm: Permission, c: &Case) -> bool {
    actor.is_system()
        || actor
            .scope(perm)
            .covers_area(&c.level.area_of(&c.area_code))
}

fn in_scope(actor: &Actor, perm: Permission, c: &Case) -> bool {
    actor.is_system()
        || actor
            .scope(perm)
            .contains(&c.area_code, c.grid_code.as_deref())
}

fn authorise(actor: &Actor, c: &Case, action: &Action) -> AppResult<()> {
    use Permission as P;
    let ok = match action {
        Action::Accept { .. }
        | Action::Reject { .. }
        | Action::Dispatch { .. }
        | Action::DecideExtension { .. }
        | Action::Close
        | Action::Escalate { .. } => at_level(actor, P::CaseManage, c),
        Action::Return { .. }
        | Action::Start
        | Action::Suspend { .. }
        | Action::Resume
        | Action::RequestExtension { .. }
        | Action::Handle { .. } => {
            c.assignee_user_id.as_deref() == Some(actor.user_id.as_str())
                || at_level(actor, P::CaseHandle, c)
                || (in_scope(actor, P::CaseHandle, c) && c.assignee_user_id.is_none())
        }
        Action::Verify { .. } | Action::Reopen { .. } => in_scope(actor, P::CaseVerify, c),
        Action::Rate { .. } => {
            c.reporter_user_id.as_deref() == Some(actor.user_id.as_str())
                || at_level(actor, P::CaseManage, c)
        }
        Action::Note { public, .. } => {
            in_scope(actor, P::CaseHandle, c)
                || at_level(actor, P::CaseManage, c)
                || (*public && c.reporter_user_id.as_deref() == Some(actor.user_id.as_str()))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn transition_error(code: &'static str) -> AppError {
    match code {
        "reason_required" | "too_long" => AppError::field("reason", code),
        "evidence_required" => AppError::field("evidence", code),
        "extension_hours" => AppError::field("hours", "invalid"),
        _ => AppError::InvalidTransition(code),
    }
}

/// Apply a change to a case (escalation included). Returns the previous level on escalation.
async fn apply(
    core: &Core,
    t: &CaseType,
    c: &mut Case,
    ch: &Change,
    now: i64,
) -> AppResult<Option<Level>> {
    let mut slipped = None;
    if ch.escalate {
        if let Some(next) = c.level.next() {
            slipped = Some(c.level);
            c.slipped_level.get_or_insert(c.level);
            c.escalations += 1;
            c.level = next;
            c.org = catalogue::org_name(core, t, &c.area_code, next).await?;
            c.assignee_user_id = None;
            // A case going up is back to be dispatched by the new level, unless the
            // reporter reopened it (then work goes on).
            if c.status != Status::Reported && c.status.is_open() {
                c.status = Status::Accepted;
            }
        }
    }
    if let Some(to) = ch.to {
        if !(ch.escalate && to == Status::InProgress) {
            c.status = to;
        } else {
            c.status = Status::Accepted;
        }
    }
    if let Some(p) = ch.priority {
        c.priority = p;
    }
    if let Some(a) = &ch.assignee {
        c.assignee_user_id = a.clone();
    }
    if let Some(h) = &ch.handler {
        c.handler_user_id = Some(h.clone());
        c.handled_at = Some(now);
    }
    if let Some(d) = ch.due_at {
        c.due_at = d;
    }
    if let Some(p) = ch.pending_extension {
        c.pending_extension_hours = p;
    }
    if ch.reopen {
        c.reopen_count += 1;
        c.closed_at = None;
        c.handled_at = None;
    }
    if let Some(r) = ch.rating {
        c.rating = Some(r);
    }
    if c.status == Status::Closed || c.status == Status::Rejected {
        c.closed_at = Some(now);
    }
    if c.status.is_open() && c.status != Status::Handled && c.status != Status::Verified {
        c.closed_at = None;
    }
    if ch.public && !ch.note.is_empty() {
        c.public_note = Some(ch.note.clone());
    }
    c.updated_at = now;
    Ok(slipped)
}

/// What one step on a case leaves behind, inside the caller's transaction: the timeline
/// entry and the audit record (`detail` defaults to "number before → after").
pub(crate) struct Step<'a> {
    pub action: &'a str,
    pub before: Status,
    pub note: String,
    pub public: bool,
    pub detail: Option<String>,
}

pub(crate) async fn record_step(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    c: &Case,
    s: Step<'_>,
    now: i64,
) -> AppResult<()> {
    store::insert_events(
        conn,
        &[EventRow {
            event: CaseEvent {
                id: clock::new_id(),
                case_id: c.id.clone(),
                at: now,
                actor_name: actor.display_name.clone(),
                action: s.action.to_string(),
                from_status: Some(s.before),
                to_status: c.status,
                note: s.note,
                public: s.public,
            },
            county_code: c.county_code.clone(),
            actor_id: (!actor.user_id.is_empty()).then(|| actor.user_id.clone()),
            data_json: None,
        }],
    )
    .await?;
    let detail = s
        .detail
        .unwrap_or_else(|| format!("{} {} → {}", c.number, s.before.as_str(), c.status.as_str()));
    audit::record(
        conn,
        actor,
        Entry::new(s.action, "case", &c.id)
            .area(&c.area_code)
            .detail(detail),
    )
    .await?;
    Ok(())
}

/// Do one thing to a case (see [`Action`]).
pub async fn act(core: &Core, actor: &Actor, case_id: &str, action: Action) -> AppResult<Case> {
    let cat = catalogue::loaded(core).await?;
    let mut tx = core.db.write.begin().await?;
    let mut c = store::get_tx(&mut tx, case_id)
        .await?
        .ok_or(AppError::NotFound("case"))?;
    if !may_read(actor, &c) {
        return Err(AppError::NotFound("case"));
    }
    authorise(actor, &c, &action)?;
    if let Action::Dispatch {
        assignee_user_id: Some(u),
        ..
    } = &action
    {
        if !u.is_empty() {
            // The assignee must be able to work on the case where it is.
            let grants = crate::accounts::store::grants(&mut tx, u).await?;
            let fits = grants.iter().any(|g| {
                crate::authz::role_permits(g.role, Permission::CaseHandle)
                    && (c.area_code.starts_with(g.prefix())
                        || c.grid_code.as_deref() == Some(g.area_code.as_str()))
            });
            if !fits {
                return Err(AppError::field("assignee_user_id", "invalid"));
            }
        }
    }
    let t = cat
        .types
        .get(&c.type_code)
        .cloned()
        .ok_or(AppError::NotFound("case_type"))?;
    let now = clock::now_ms();
    let cal = cat.calendar(&c.county_code);
    let facts = Facts {
        case: &c,
        actor_user_id: &actor.user_id,
        settings: cat.settings(&c.county_code),
        sla: t.sla,
        now,
        calendar: &cal,
    };
    let ch = rules::transition(&facts, &action).map_err(transition_error)?;
    let before = c.status;
    let slipped = apply(core, &t, &mut c, &ch, now).await?;
    store::update_case(&mut tx, &c).await?;
    let notes = notifications_for(&c, &action, &ch, slipped, now);
    store::insert_notifications(&mut tx, &notes).await?;
    record_step(
        &mut tx,
        actor,
        &c,
        Step {
            action: action.name(),
            before,
            note: ch.note.clone(),
            public: ch.public,
            detail: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    core.cases_changed();
    Ok(c)
}

fn notifications_for(
    c: &Case,
    action: &Action,
    ch: &Change,
    slipped: Option<Level>,
    now: i64,
) -> Vec<NotificationRow> {
    let mut out = Vec::new();
    let mut push = |user: Option<String>, r: Option<Recipient>, kind: &str| {
        let (role, area) = match r {
            Some(r) => (r.role, r.area_code),
            None => (None, None),
        };
        out.push(NotificationRow {
            id: clock::new_id(),
            county_code: c.county_code.clone(),
            user_id: user,
            role,
            area_code: area,
            case_id: Some(c.id.clone()),
            kind: kind.to_string(),
            body: c.number.clone(),
            created_at: now,
        });
    };
    if ch.public && ch.to.is_some() {
        if let Some(u) = &c.reporter_user_id {
            push(Some(u.clone()), None, "case.update");
        }
    }
    if let Action::Dispatch {
        assignee_user_id: Some(u),
        ..
    } = action
    {
        if !u.is_empty() {
            push(Some(u.clone()), None, "case.assigned");
        }
    }
    if let Some(from) = slipped {
        push(
            None,
            Some(level_recipient(c.level, &c.area_code)),
            "case.escalated",
        );
        push(
            None,
            Some(level_recipient(from, &c.area_code)),
            "case.slipped",
        );
    }
    if matches!(action, Action::RequestExtension { .. }) {
        push(
            None,
            Some(level_recipient(c.level, &c.area_code)),
            "case.extension",
        );
    }
    out
}

/// A case with its timeline, if the actor may read it. The reporter sees public entries only.
pub async fn get(core: &Core, actor: &Actor, id: &str) -> AppResult<(Case, Vec<CaseEvent>)> {
    let c = store::get(&core.db, id)
        .await?
        .ok_or(AppError::NotFound("case"))?;
    if !may_read(actor, &c) {
        return Err(AppError::NotFound("case"));
    }
    let staff = actor.is_system()
        || actor
            .scope(Permission::CaseRead)
            .contains(&c.area_code, c.grid_code.as_deref());
    let mut events = store::events(&core.db, id).await?;
    if !staff {
        events.retain(|e| e.public);
    }
    Ok((c, events))
}

/// Find a case by its public number (for "follow my case").
pub async fn by_number(core: &Core, actor: &Actor, county: &str, number: &str) -> AppResult<Case> {
    let c = store::by_number(&core.db, county, number.trim())
        .await?
        .ok_or(AppError::NotFound("case"))?;
    if !may_read(actor, &c) {
        return Err(AppError::NotFound("case"));
    }
    Ok(c)
}

/// Reveal the reporter's phone to staff handling the case (audited).
pub async fn reveal_reporter_phone(
    core: &Core,
    actor: &Actor,
    id: &str,
    reason: &str,
) -> AppResult<String> {
    let reason = rules::clean_text(reason);
    if reason.chars().count() < 2 {
        return Err(AppError::field("reason", "reason_required"));
    }
    let c = store::get(&core.db, id)
        .await?
        .ok_or(AppError::NotFound("case"))?;
    if !in_scope(actor, Permission::CaseHandle, &c) && !at_level(actor, Permission::CaseManage, &c)
    {
        return Err(AppError::NotFound("case"));
    }
    let blob = store::reporter_phone(&core.db, id)
        .await?
        .ok_or(AppError::NotFound("phone"))?;
    let plain = core
        .keys
        .decrypt(&blob, &aad_phone(id))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("decrypt: {e}")))?;
    let mut tx = core.db.write.begin().await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("case.reveal_reporter_phone", "case", id)
            .area(&c.area_code)
            .detail(reason),
    )
    .await?;
    tx.commit().await?;
    String::from_utf8(plain).map_err(|e| AppError::Internal(e.into()))
}

/// The queues of the case pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    /// Assigned to me and open.
    Mine,
    /// Open and owned by my organisation's level.
    Org,
    /// Open and past the deadline.
    Overdue,
    /// Open and escalated at least once.
    Escalated,
    /// Everything I may see, newest first.
    All,
    /// The cases I raised.
    Raised,
}

impl Queue {
    pub fn parse(s: &str) -> Option<Queue> {
        Some(match s {
            "mine" => Queue::Mine,
            "org" => Queue::Org,
            "overdue" => Queue::Overdue,
            "escalated" => Queue::Escalated,
            "all" => Queue::All,
            "raised" => Queue::Raised,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Queue::Mine => "mine",
            Queue::Org => "org",
            Queue::Overdue => "overdue",
            Queue::Escalated => "escalated",
            Queue::All => "all",
            Queue::Raised => "raised",
        }
    }
}

/// The filter of a queue for an actor (`None`: nothing to show).
fn queue_filter(
    actor: &Actor,
    queue: Queue,
    area: Option<&str>,
    page: i64,
    per_page: i64,
) -> AppResult<Option<CaseFilter>> {
    let per_page = per_page.clamp(1, 200);
    let mut f = CaseFilter {
        offset: (page.max(1) - 1) * per_page,
        limit: per_page,
        ..CaseFilter::default()
    };
    if queue == Queue::Raised {
        if actor.user_id.is_empty() {
            return Ok(None);
        }
        f.prefixes = vec![String::new()];
        f.reporter = Some(actor.user_id.clone());
        return Ok(Some(f));
    }
    let scope = actor.require_any(Permission::CaseRead)?;
    f.prefixes = scope.prefixes.clone();
    f.grids = scope.grids.clone();
    f.county = common_county(&f.prefixes, &f.grids);
    if let Some(a) = area.map(str::trim).filter(|a| !a.is_empty()) {
        let p = crate::people::service::significant_prefix(a);
        if !scope.covers_area(&p) && !scope.grids.iter().any(|g| g == a) {
            return Err(AppError::Forbidden);
        }
        f.area_prefix = Some(p);
    }
    match queue {
        Queue::Mine => {
            f.assignee = Some(actor.user_id.clone());
            f.open_only = true;
            f.by_due = true;
        }
        Queue::Org => {
            f.open_only = true;
            f.by_due = true;
            f.level = actor.grants.iter().find_map(|g| match g.role {
                Role::VillageCadre => Some(Level::Village),
                Role::TownshipStaff => Some(Level::Township),
                Role::CountyStaff => Some(Level::County),
                _ => None,
            });
        }
        Queue::Overdue => {
            f.overdue_at = Some(clock::now_ms());
            f.by_due = true;
        }
        Queue::Escalated => {
            f.escalated = true;
            f.open_only = true;
            f.by_due = true;
        }
        Queue::All | Queue::Raised => {}
    }
    Ok(Some(f))
}

/// One page of a queue.
pub async fn list(
    core: &Core,
    actor: &Actor,
    queue: Queue,
    area: Option<&str>,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Case>, bool)> {
    match queue_filter(actor, queue, area, page, per_page)? {
        Some(f) => store::list(&core.db, &f).await,
        None => Ok((Vec::new(), false)),
    }
}

/// One page of a queue, as list rows (what the pages show).
pub async fn list_brief(
    core: &Core,
    actor: &Actor,
    queue: Queue,
    area: Option<&str>,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<store::CaseBrief>, bool)> {
    let Some(f) = queue_filter(actor, queue, area, page, per_page)? else {
        return Ok((Vec::new(), false));
    };
    // The filter is already authorised: equal filters show equal rows to anyone.
    // The overdue boundary moves with time: it is not part of the key, the cache's two
    // seconds bound it.
    let key = format!(
        "{:?}",
        CaseFilter {
            overdue_at: f.overdue_at.map(|_| 0),
            ..f.clone()
        }
    );
    through_cache(
        core,
        &core.case_cache,
        key,
        store::list_brief(&core.db, &f),
        true,
    )
    .await
}

/// A page from one of the case read caches, or `read` and kept there (when `keep`) for the
/// current case generation (see `ReadCache::get`).
async fn through_cache<T: Clone>(
    core: &Core,
    cache: &crate::people::cache::ReadCache<T>,
    key: String,
    read: impl std::future::Future<Output = AppResult<T>>,
    keep: bool,
) -> AppResult<T> {
    let generation = core
        .case_generation
        .load(std::sync::atomic::Ordering::Acquire);
    let now = clock::now_ms();
    if let Some(hit) = cache.get(&key, generation, now) {
        return Ok((*hit).clone());
    }
    let page = read.await?;
    if keep {
        cache.put(key, generation, now, std::sync::Arc::new(page.clone()));
    }
    Ok(page)
}

/// One page of search results.
#[derive(Debug, Clone, Serialize)]
pub struct SearchPage {
    pub rows: Vec<store::CaseBrief>,
    /// How many cases match in all (within the reader's areas).
    pub total: usize,
    pub has_more: bool,
    /// The index is being built from the database: results may be incomplete.
    pub building: bool,
}

/// Search the cases the actor may see for `text` (Chinese full text, every word must
/// match; a whole case number finds its case), newest first or best match first.
#[allow(clippy::too_many_arguments)]
pub async fn search(
    core: &Core,
    actor: &Actor,
    text: &str,
    area: Option<&str>,
    type_code: Option<&str>,
    sort: super::search::SortBy,
    page: i64,
    per_page: i64,
) -> AppResult<SearchPage> {
    let text = rules::clean_text(text).trim().to_string();
    if text.is_empty() {
        return Err(AppError::field("q", "required"));
    }
    if text.chars().count() > super::search::MAX_QUERY_CHARS {
        return Err(AppError::field("q", "too_long"));
    }
    let type_code = type_code.map(str::trim).filter(|t| !t.is_empty());
    if let Some(t) = type_code {
        let cat = catalogue::loaded(core).await?;
        if cat.case_type(t).is_err() {
            return Err(unknown_type());
        }
    }
    let Some(f) = queue_filter(actor, Queue::All, area, page, per_page)? else {
        return Ok(SearchPage {
            rows: Vec::new(),
            total: 0,
            has_more: false,
            building: false,
        });
    };
    let engine = core.search.engine().cloned().ok_or(AppError::Conflict {
        code: "search_unavailable",
        field: None,
    })?;
    let query = super::search::SearchQuery {
        text,
        scope: crate::authz::Scope {
            prefixes: f.prefixes.clone(),
            grids: f.grids.clone(),
        },
        area_prefix: f.area_prefix.clone(),
        type_code: type_code.map(str::to_string),
        sort,
        offset: f.offset as usize,
        limit: f.limit as usize + 1,
    };
    let building = engine.building();
    // Equal authorised queries show equal pages to anyone: a page stays valid until the
    // index commits again or a case changes, and for about the cache's two seconds (the
    // rows' state is read from the database; see `ReadCache::get`).
    // Pages read while the index is being built are not kept: they may be incomplete.
    let key = format!("{query:?}|{:?}|{}", f.county, engine.generation());
    through_cache(
        core,
        &core.search_cache,
        key,
        search_uncached(core, engine, query, f, building),
        !building,
    )
    .await
}

async fn search_uncached(
    core: &Core,
    engine: std::sync::Arc<super::search::Engine>,
    query: super::search::SearchQuery,
    f: CaseFilter,
    building: bool,
) -> AppResult<SearchPage> {
    let turn = engine.turn().await;
    let searcher = engine.clone();
    let hits = tokio::task::spawn_blocking(move || searcher.search(&query))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(AppError::Internal)?;
    drop(turn);
    let has_more = hits.ids.len() as i64 > f.limit;
    let mut ids = hits.ids;
    ids.truncate(f.limit as usize);
    if ids.is_empty() {
        return Ok(SearchPage {
            rows: Vec::new(),
            total: hits.total,
            has_more: false,
            building,
        });
    }
    // The rows come through the same scoped filter as the queues.
    let rows_filter = CaseFilter {
        prefixes: f.prefixes,
        grids: f.grids,
        county: f.county,
        case_ids: ids.clone(),
        limit: ids.len() as i64,
        ..CaseFilter::default()
    };
    let (rows, _) = store::list_brief(&core.db, &rows_filter).await?;
    let mut by_id: std::collections::HashMap<String, store::CaseBrief> =
        rows.into_iter().map(|r| (r.id.clone(), r)).collect();
    let rows = ids.iter().filter_map(|id| by_id.remove(id)).collect();
    Ok(SearchPage {
        rows,
        total: hits.total,
        has_more,
        building,
    })
}

/// Drop the case search index and build it again from the database (the system
/// administrator, or county staff who keep the catalogue). Audited. Returns how many cases
/// the index holds.
pub async fn rebuild_search(core: &Core, actor: &Actor) -> AppResult<u64> {
    let county_keeper = actor
        .grants
        .iter()
        .any(|g| g.role == Role::CountyStaff && actor.can(Permission::CaseCatalogue));
    if !actor.is_system() && !actor.can(Permission::UsersManage) && !county_keeper {
        return Err(AppError::Forbidden);
    }
    if core.search.engine().is_none() {
        return Err(AppError::Conflict {
            code: "search_unavailable",
            field: None,
        });
    }
    let mut tx = core.db.write.begin().await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("search.rebuild", "search", "cases"),
    )
    .await?;
    tx.commit().await?;
    core.search.rebuild().await.map_err(AppError::Internal)
}

/// The county code shared by every prefix and grid of a scope, if there is one.
fn common_county(prefixes: &[String], grids: &[String]) -> Option<String> {
    if prefixes.iter().any(|p| p.len() >= 12) {
        // Village scopes have a better index of their own (see `store::list`).
        return None;
    }
    let mut six = prefixes.iter().chain(grids).map(|p| p.get(..6));
    let first = six.next()??;
    six.all(|x| x == Some(first))
        .then(|| format!("{first}000000"))
}

/// Escalate every open case past its deadline one level up (R-ESC-2), in batches. Returns
/// how many cases went up.
pub async fn escalate_overdue(core: &Core, now: i64) -> AppResult<usize> {
    let cat = catalogue::loaded(core).await?;
    let system = Actor::system("escalation");
    let mut total = 0usize;
    let mut counties: Vec<String> = cat.types.values().map(|t| t.county_code.clone()).collect();
    counties.sort();
    counties.dedup();
    const BATCH: i64 = 4000;
    for county in counties {
        let mut after = (i64::MIN, String::new());
        let mut big = false;
        loop {
            let t0 = clock::instant();
            let mut tx = core.db.write.begin().await?;
            let due = store::due_for_escalation(&mut tx, &county, now, (after.0, &after.1), BATCH)
                .await?;
            let Some(last) = due.last() else { break };
            if due.len() as i64 == BATCH && !big {
                // Many cases at once (after downtime, or a holiday): rows all over the table.
                crate::db::bulk_cache(&mut tx, core.db.backend, true).await?;
                big = true;
            }
            after = (last.due_at, last.id.clone());
            let n = due.len();
            let t_read = t0.elapsed();
            let mut events = Vec::with_capacity(n);
            let mut notes = Vec::new();
            let mut grouped = intake::Notices::default();
            let mut changed = Vec::with_capacity(n);
            for mut c in due {
                let Some(t) = cat.types.get(&c.type_code).cloned() else {
                    continue;
                };
                let before = c.status;
                let ch = escalation_change(&cat, &t, &c, now);
                let slipped = apply(core, &t, &mut c, &ch, now).await?;
                events.push(EventRow {
                    event: CaseEvent {
                        id: clock::new_id(),
                        case_id: c.id.clone(),
                        at: now,
                        actor_name: system.display_name.clone(),
                        action: "case.escalate".into(),
                        from_status: Some(before),
                        to_status: c.status,
                        note: String::new(),
                        public: true,
                    },
                    county_code: c.county_code.clone(),
                    actor_id: None,
                    data_json: None,
                });
                // One notice per organisation and kind per batch, not one per case.
                if let Some(from) = slipped {
                    for (r, kind) in [
                        (level_recipient(c.level, &c.area_code), "case.escalated"),
                        (level_recipient(from, &c.area_code), "case.slipped"),
                    ] {
                        grouped.add(&r, kind, &c);
                    }
                }
                changed.push(c);
            }
            notes.extend(grouped.into_rows(now));
            let t_apply = t0.elapsed();
            store::escalate_many(&mut tx, &changed).await?;
            let t_update = t0.elapsed();
            store::insert_events(&mut tx, &events).await?;
            store::insert_notifications(&mut tx, &notes).await?;
            let t_events = t0.elapsed();
            let details: Vec<String> = changed
                .iter()
                .map(|c| format!("{} overdue → {}", c.number, c.level.as_str()))
                .collect();
            let entries = changed
                .iter()
                .zip(details)
                .map(|(c, d)| {
                    (
                        &system,
                        Entry::new("case.escalate", "case", &c.id)
                            .area(&c.area_code)
                            .detail(d),
                    )
                })
                .collect();
            audit::record_many(&mut tx, entries).await?;
            let t_audit = t0.elapsed();
            tx.commit().await?;
            tracing::debug!(
                batch = n,
                read_ms = t_read.as_millis() as u64,
                apply_ms = (t_apply - t_read).as_millis() as u64,
                update_ms = (t_update - t_apply).as_millis() as u64,
                events_ms = (t_events - t_update).as_millis() as u64,
                audit_ms = (t_audit - t_events).as_millis() as u64,
                commit_ms = (t0.elapsed() - t_audit).as_millis() as u64,
                "escalation batch"
            );
            core.cases_changed();
            total += changed.len();
            if (n as i64) < BATCH {
                break;
            }
        }
        if big {
            let mut conn = core.db.write.acquire().await?;
            crate::db::bulk_cache(&mut conn, core.db.backend, false).await?;
        }
    }
    Ok(total)
}

fn escalation_change(cat: &Loaded, t: &CaseType, c: &Case, now: i64) -> Change {
    let cal = cat.calendar(&c.county_code);
    Change {
        escalate: true,
        public: true,
        due_at: Some(cal.deadline(now, t.sla.for_priority(c.priority))),
        ..Change::default()
    }
}

/// The indicators of one area (§9.5): rates in per mille, `None` where nothing to count.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AreaIndicators {
    pub area_code: String,
    pub area_name: String,
    pub counts: store::IndicatorCounts,
    pub on_time: Option<i64>,
    /// 小事不出村: share of resolved cases resolved at the village.
    pub village_resolved: Option<i64>,
    /// 大事不出镇: share resolved at village or township.
    pub township_resolved: Option<i64>,
    pub satisfaction: Option<i64>,
}

fn permille(a: i64, b: i64) -> Option<i64> {
    (b > 0).then(|| (a * 1000 + b / 2) / b)
}

/// Indicators for an area and each of its children.
pub async fn indicators(
    core: &Core,
    actor: &Actor,
    area: Option<&str>,
) -> AppResult<Vec<AreaIndicators>> {
    let scope = actor.require_any(Permission::CaseRead)?;
    let code = match area.map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => a.to_string(),
        None => actor
            .grants
            .iter()
            .find(|g| crate::authz::role_permits(g.role, Permission::CaseRead))
            .map(|g| g.area_code.clone())
            .ok_or(AppError::Forbidden)?,
    };
    let prefix = crate::people::service::significant_prefix(&code);
    if !scope.covers_area(&prefix) {
        return Err(AppError::Forbidden);
    }
    let now = clock::now_ms();
    let mut areas = vec![crate::areas::store::get(&core.db, &code)
        .await?
        .ok_or(AppError::NotFound("area"))?];
    areas.extend(crate::areas::store::children(&core.db, &code).await?);
    let mut out = Vec::new();
    for a in areas {
        if !matches!(
            a.level,
            AreaLevel::County | AreaLevel::Township | AreaLevel::Village
        ) {
            continue;
        }
        let level = match a.level {
            AreaLevel::County => Level::County,
            AreaLevel::Township => Level::Township,
            _ => Level::Village,
        };
        let p = crate::people::service::significant_prefix(&a.code);
        let k = store::indicator_counts(&core.db, &p, now, level).await?;
        out.push(AreaIndicators {
            area_code: a.code.clone(),
            area_name: a.name.clone(),
            on_time: permille(k.resolved_on_time, k.resolved),
            village_resolved: permille(k.resolved_at_village, k.resolved),
            township_resolved: permille(k.resolved_in_township, k.resolved),
            satisfaction: permille(k.satisfied, k.rated),
            counts: k,
        });
    }
    Ok(out)
}

/// Field errors for a case-type code that does not exist (for forms).
pub fn unknown_type() -> AppError {
    AppError::Validation(vec![FieldError::new("type_code", "invalid")])
}

/// Create an API key for an Open311 integration (county staff who keep the catalogue, or the
/// system). Returns the key, shown once; only its hash is stored.
pub async fn create_api_key(
    core: &Core,
    actor: &Actor,
    county: &str,
    name: &str,
) -> AppResult<String> {
    if !actor.is_system() {
        actor.require(Permission::CaseCatalogue, county, None)?;
    }
    let name = rules::clean_text(name);
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::field("name", "invalid"));
    }
    let key = crate::crypto::random_token(24);
    let mut tx = core.db.write.begin().await?;
    store::insert_api_key(
        &mut tx,
        &crate::crypto::sm3_hex(key.as_bytes()),
        county,
        &name,
        clock::now_ms(),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("api_key.create", "api_key", &name).area(county),
    )
    .await?;
    tx.commit().await?;
    Ok(key)
}

/// The actor of an Open311 integration, from its API key.
pub async fn api_key_actor(core: &Core, key: &str) -> AppResult<Option<(Actor, String)>> {
    let key = key.trim();
    if key.is_empty() || key.len() > 200 {
        return Ok(None);
    }
    Ok(
        store::api_key(&core.db, &crate::crypto::sm3_hex(key.as_bytes()))
            .await?
            .map(|(county, name)| {
                let mut a = Actor::system(&format!("open311:{name}"));
                a.source = Some("open311".into());
                (a, county)
            }),
    )
}

/// A query of the public case list (Open311 `GET requests`).
#[derive(Debug, Clone, Default)]
pub struct PublicQuery {
    /// Public numbers; when given, every other filter is ignored.
    pub numbers: Vec<String>,
    pub type_codes: Vec<String>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    /// `Some(true)`: open only; `Some(false)`: closed only; `None`: both.
    pub open: Option<bool>,
    pub page: i64,
    pub page_size: i64,
}

/// Public cases of a county: only types the catalogue marks public, never emergencies,
/// newest first. Callers show no reporter data.
pub async fn public_list(
    core: &Core,
    county: &str,
    q: &PublicQuery,
) -> AppResult<(Vec<Case>, bool)> {
    let cat = catalogue::loaded(core).await?;
    let public: Vec<String> = cat
        .county_types(county)
        .iter()
        .filter(|t| t.visibility == Visibility::Public && t.category != Category::Emergency)
        .map(|t| t.code.clone())
        .collect();
    let page_size = q.page_size.clamp(1, 1000);
    let mut f = CaseFilter {
        prefixes: vec![county.get(..6).unwrap_or(county).to_string()],
        county: Some(county.to_string()),
        public_only: true,
        limit: page_size,
        offset: (q.page.max(1) - 1) * page_size,
        ..CaseFilter::default()
    };
    if !q.numbers.is_empty() {
        f.ids = q.numbers.iter().take(200).cloned().collect();
        f.type_codes = public;
    } else {
        f.type_codes = if q.type_codes.is_empty() {
            public
        } else {
            q.type_codes
                .iter()
                .filter(|c| public.contains(c))
                .cloned()
                .collect()
        };
        if f.type_codes.is_empty() {
            return Ok((Vec::new(), false));
        }
        f.created_from = q.created_from;
        f.created_to = q.created_to;
        match q.open {
            Some(true) => f.open_only = true,
            Some(false) => f.closed_only = true,
            None => {}
        }
    }
    store::list(&core.db, &f).await
}

/// One public case by number (None when missing or not public).
pub async fn public_get(core: &Core, county: &str, number: &str) -> AppResult<Option<Case>> {
    let (v, _) = public_list(
        core,
        county,
        &PublicQuery {
            numbers: vec![number.trim().to_string()],
            page: 1,
            page_size: 1,
            ..PublicQuery::default()
        },
    )
    .await?;
    Ok(v.into_iter().next())
}

/// Public timeline entries of a county's public cases in a window, oldest first:
/// (entry, case number).
pub async fn public_updates(
    core: &Core,
    county: &str,
    from: i64,
    to: i64,
    limit: i64,
) -> AppResult<Vec<(CaseEvent, String)>> {
    store::updates_between(&core.db, county, from, to, limit.clamp(1, 1000)).await
}
