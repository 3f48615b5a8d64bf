//! Staff pages of village decisions: matters through 四议两公开 and the meetings that move
//! them (roster, attendance, votes, results with the rule that decided them).

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;
use xiangzhi_core::authz::Permission;
use xiangzhi_core::deliberation::model::*;
use xiangzhi_core::deliberation::service::{
    self as svc, Alert, MatterAction, MatterView, MeetingView, NewMatter, NewMeeting, NewVote,
};
use xiangzhi_core::{clock, AppError};

use super::cases::{error_text, local_ms};
use super::render;
use crate::ctx::Ctx;
use crate::error::{status_of, WebError};
use crate::state::AppState;

fn refusable(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Validation(_) | AppError::InvalidTransition(_) | AppError::Conflict { .. }
    )
}

/// The stage as a badge class.
pub fn stage_badge(s: &Stage) -> &'static str {
    match *s {
        Stage::Closed => "success",
        Stage::Rejected | Stage::Withdrawn => "neutral",
        Stage::Resolved | Stage::Implementing | Stage::Completed => "info",
        _ => "warning",
    }
}

// ---------------------------------------------------------------- matters

#[derive(Template)]
#[template(path = "deliberation/matters.html")]
struct MattersPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    matters: Vec<Matter>,
    alerts: Vec<Alert>,
}

/// `/matters`: the matters of the user's areas and what needs attention.
pub async fn matters(State(st): State<AppState>, c: Ctx) -> Result<Response, WebError> {
    let a = c.actor()?;
    let now = clock::now_ms();
    let matters = svc::list_matters(&st.core, a, None, 200)
        .await
        .map_err(|e| c.err(e))?;
    let alerts = svc::alerts(&st.core, a, now).await.map_err(|e| c.err(e))?;
    Ok(render(
        &c,
        MattersPage {
            c: &c,
            flash: None,
            matters,
            alerts,
        },
    ))
}

#[derive(Template)]
#[template(path = "deliberation/matter_new.html")]
struct MatterNewPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    types: Vec<MatterType>,
    villages: Vec<(String, String)>,
    form: MatterForm,
    errors: Vec<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct MatterForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub area_code: String,
    #[serde(default)]
    pub type_code: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub matter_text: String,
    #[serde(default)]
    pub emergency: Option<String>,
    #[serde(default)]
    pub emergency_reason: String,
    #[serde(default)]
    pub authorisation: String,
}

/// The villages the user may run matters in.
async fn my_villages(st: &AppState, c: &Ctx) -> Result<Vec<(String, String)>, WebError> {
    let a = c.actor()?;
    let scope = a.scope(Permission::DeliberationManage);
    let mut out = Vec::new();
    for p in &scope.prefixes {
        let county = xiangzhi_core::areas::code::county_of(p);
        for (code, name) in xiangzhi_core::areas::store::villages_of(&st.core.db, &county)
            .await
            .map_err(|e| c.err(e))?
        {
            if code.starts_with(p.as_str())
                && !out.iter().any(|(x, _): &(String, String)| *x == code)
            {
                out.push((code, name));
            }
        }
    }
    Ok(out)
}

async fn matter_new_page(
    st: &AppState,
    c: &Ctx,
    form: MatterForm,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let villages = my_villages(st, c).await?;
    let county = villages
        .first()
        .map(|v| xiangzhi_core::areas::code::county_of(&v.0))
        .unwrap_or_default();
    let types = svc::matter_types(&st.core, &county)
        .await
        .map_err(|e| c.err(e))?;
    let bad = !errors.is_empty();
    let mut r = render(
        c,
        MatterNewPage {
            c,
            flash: None,
            types,
            villages,
            form,
            errors,
        },
    );
    if bad {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

pub async fn matter_new(State(st): State<AppState>, c: Ctx) -> Result<Response, WebError> {
    c.actor()?;
    matter_new_page(&st, &c, MatterForm::default(), Vec::new()).await
}

pub async fn matter_create(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<MatterForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let n = NewMatter {
        area_code: f.area_code.clone(),
        type_code: f.type_code.clone(),
        title: f.title.clone(),
        body: f.matter_text.clone(),
        emergency: f.emergency.is_some(),
        emergency_reason: f.emergency_reason.clone(),
        authorisation: f.authorisation.clone(),
    };
    match svc::create_matter(&st.core, a, n, clock::now_ms()).await {
        Ok(m) => Ok(Redirect::to(&format!("/matters/{}?done=1", m.id)).into_response()),
        Err(e) if refusable(&e) => {
            let errs = vec![error_text(&c, &e)];
            matter_new_page(&st, &c, f, errs).await
        }
        Err(e) => Err(c.err(e)),
    }
}

/// The body to convene next for a matter at its stage.
fn next_body(v: &MatterView) -> Option<Body> {
    let four = v.matter_type.requires_four_deliberations;
    match v.matter.stage {
        Stage::Draft if four => Some(Body::TwoCommittees),
        Stage::Draft => Some(Body::VillagerAssembly),
        Stage::Proposed => Some(Body::TwoCommittees),
        Stage::Deliberated => Some(Body::PartyMembers),
        Stage::Reviewed if v.matter_type.assembly_only => Some(Body::VillagerAssembly),
        Stage::Reviewed => Some(Body::RepresentativesAssembly),
        _ => None,
    }
}

pub struct VoteRow {
    pub vote: Vote,
    pub body: String,
    pub date: String,
}

#[derive(Template)]
#[template(path = "deliberation/matter.html")]
struct MatterPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    v: MatterView,
    stage: &'static str,
    badge: &'static str,
    next: Option<&'static str>,
    votes: Vec<VoteRow>,
    error: Option<String>,
    /// The archive package, once the matter is finished and packaged (R-ARC-1).
    package: Option<xiangzhi_core::archive::Package>,
    finished: bool,
}

async fn matter_page(
    st: &AppState,
    c: &Ctx,
    id: &str,
    flash: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let v = svc::get_matter(&st.core, a, id, clock::now_ms())
        .await
        .map_err(|e| c.err(e))?;
    let mut votes = Vec::new();
    for vote in &v.votes {
        let m = svc::get_meeting(&st.core, a, &vote.meeting_id)
            .await
            .map_err(|e| c.err(e))?;
        votes.push(VoteRow {
            vote: vote.clone(),
            body: c.tk("body", m.meeting.body.as_str()).to_string(),
            date: c.time(&m.meeting.scheduled_at),
        });
    }
    let package = xiangzhi_core::archive::package_of(&st.core, a, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(render(
        c,
        MatterPage {
            c,
            flash,
            package,
            finished: xiangzhi_core::archive::service::is_final(v.matter.stage),
            stage: v.matter.stage.as_str(),
            badge: stage_badge(&v.matter.stage),
            next: next_body(&v).map(Body::as_str),
            votes,
            error,
            v,
        },
    ))
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    pub done: Option<String>,
}

pub async fn matter(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let flash = q.done.map(|_| c.t("flash.saved").to_string());
    matter_page(&st, &c, &id, flash, None).await
}

#[derive(Deserialize, Default)]
pub struct MatterActForm {
    pub csrf: String,
    pub action: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub matter_text: String,
    #[serde(default)]
    pub note: String,
}

pub async fn matter_act(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<MatterActForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let action = match f.action.as_str() {
        "amend" => MatterAction::Amend {
            title: f.title,
            body: f.matter_text,
        },
        "authorise" => MatterAction::Authorise { reference: f.note },
        "publish_resolution" => MatterAction::PublishResolution,
        "complete" => MatterAction::Complete { note: f.note },
        "publish_result" => MatterAction::PublishResult { text: f.note },
        "reenter" => MatterAction::Reenter,
        "withdraw" => MatterAction::Withdraw { reason: f.note },
        _ => return Err(c.err(AppError::field("action", "invalid"))),
    };
    match svc::act_matter(&st.core, a, &id, action, clock::now_ms()).await {
        Ok(_) => Ok(Redirect::to(&format!("/matters/{id}?done=1")).into_response()),
        Err(e) if refusable(&e) => {
            let msg = error_text(&c, &e);
            let mut r = matter_page(&st, &c, &id, None, Some(msg)).await?;
            *r.status_mut() = status_of(&e);
            Ok(r)
        }
        Err(e) => Err(c.err(e)),
    }
}

/// The archive package of a finished matter as a ZIP (its SM3 checked, the download audited).
pub async fn matter_archive(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let (p, bytes) = xiangzhi_core::archive::download(&st.core, a, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(crate::api::archive::zip_response(&p, bytes))
}

/// Make the package of a finished matter that has none (finished before packages existed, or
/// the automatic attempt failed).
pub async fn matter_archive_make(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    match xiangzhi_core::archive::produce(&st.core, a, &id, clock::now_ms()).await {
        Ok(_) => Ok(Redirect::to(&format!("/matters/{id}?done=1")).into_response()),
        Err(e) if refusable(&e) => {
            let msg = error_text(&c, &e);
            let mut r = matter_page(&st, &c, &id, None, Some(msg)).await?;
            *r.status_mut() = status_of(&e);
            Ok(r)
        }
        Err(e) => Err(c.err(e)),
    }
}

// ---------------------------------------------------------------- meetings

#[derive(Template)]
#[template(path = "deliberation/meetings.html")]
struct MeetingsPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    meetings: Vec<Meeting>,
}

pub async fn meetings(State(st): State<AppState>, c: Ctx) -> Result<Response, WebError> {
    let a = c.actor()?;
    let meetings = svc::list_meetings(&st.core, a, 200)
        .await
        .map_err(|e| c.err(e))?;
    Ok(render(
        &c,
        MeetingsPage {
            c: &c,
            flash: None,
            meetings,
        },
    ))
}

#[derive(Deserialize, Default, Clone)]
pub struct MeetingForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub area_code: String,
    #[serde(default)]
    pub meeting_kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub scheduled_at: String,
    #[serde(default)]
    pub matter_id: String,
    #[serde(default)]
    pub question: String,
    #[serde(default)]
    pub secret: Option<String>,
}

#[derive(Template)]
#[template(path = "deliberation/meeting_new.html")]
struct MeetingNewPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    villages: Vec<(String, String)>,
    bodies: Vec<&'static str>,
    matters: Vec<Matter>,
    form: MeetingForm,
    errors: Vec<String>,
}

#[derive(Deserialize, Default)]
pub struct MeetingNewQuery {
    #[serde(default)]
    pub matter: String,
    #[serde(default)]
    pub kind: String,
}

async fn meeting_new_page(
    st: &AppState,
    c: &Ctx,
    form: MeetingForm,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let villages = my_villages(st, c).await?;
    let matters = svc::list_matters(&st.core, a, None, 200)
        .await
        .map_err(|e| c.err(e))?
        .into_iter()
        .filter(|m| !m.stage.is_decided() && !matches!(m.stage, Stage::Rejected | Stage::Withdrawn))
        .collect();
    let bad = !errors.is_empty();
    let mut r = render(
        c,
        MeetingNewPage {
            c,
            flash: None,
            villages,
            bodies: ALL_BODIES.iter().map(|b| b.as_str()).collect(),
            matters,
            form,
            errors,
        },
    );
    if bad {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

pub async fn meeting_new(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<MeetingNewQuery>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let mut form = MeetingForm {
        meeting_kind: q.kind,
        matter_id: q.matter.clone(),
        ..MeetingForm::default()
    };
    if !q.matter.is_empty() {
        if let Ok(v) = svc::get_matter(&st.core, a, &q.matter, clock::now_ms()).await {
            form.area_code = v.matter.area_code.clone();
            form.question = format!("{}：{}", c.t("meeting.question_default"), v.matter.title);
            form.title = v.matter.title.clone();
        }
    }
    meeting_new_page(&st, &c, form, Vec::new()).await
}

pub async fn meeting_create(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<MeetingForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let Some(at) = local_ms(&f.scheduled_at) else {
        let e = AppError::field("scheduled_at", "not_a_datetime");
        let errs = vec![error_text(&c, &e)];
        return meeting_new_page(&st, &c, f, errs).await;
    };
    let n = NewMeeting {
        area_code: f.area_code.clone(),
        kind: f.meeting_kind.clone(),
        title: f.title.clone(),
        place: f.place.clone(),
        host: f.host.clone(),
        scheduled_at: at,
        agenda: if f.question.trim().is_empty() {
            Vec::new()
        } else {
            vec![NewVote {
                matter_id: Some(f.matter_id.clone()).filter(|s| !s.is_empty()),
                question: f.question.clone(),
                secret: f.secret.is_some(),
            }]
        },
    };
    match svc::create_meeting(&st.core, a, n, clock::now_ms()).await {
        Ok(m) => Ok(Redirect::to(&format!("/meetings/{}?done=1", m.id)).into_response()),
        Err(e) if refusable(&e) => {
            let errs = vec![error_text(&c, &e)];
            meeting_new_page(&st, &c, f, errs).await
        }
        Err(e) => Err(c.err(e)),
    }
}

pub struct VoteView {
    pub vote: Vote,
    pub rule: Option<RuleCheck>,
    pub ballots: usize,
}

#[derive(Template)]
#[template(path = "deliberation/meeting.html")]
struct MeetingPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    v: MeetingView,
    status: &'static str,
    votes: Vec<VoteView>,
    present: usize,
    error: Option<String>,
}

async fn meeting_page(
    st: &AppState,
    c: &Ctx,
    id: &str,
    flash: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let v = svc::get_meeting(&st.core, a, id)
        .await
        .map_err(|e| c.err(e))?;
    let votes = v
        .votes
        .iter()
        .map(|vote| VoteView {
            rule: vote.outcome.as_ref().and_then(|o| {
                o.considered
                    .iter()
                    .find(|k| k.rule_id == o.rule_id)
                    .cloned()
            }),
            ballots: v
                .ballots
                .iter()
                .find(|b| b.0 == vote.id)
                .map(|b| b.1.len())
                .unwrap_or(0),
            vote: vote.clone(),
        })
        .collect();
    let present = v
        .roster
        .iter()
        .filter(|r| r.presence.is_some_and(Presence::attends))
        .count();
    Ok(render(
        c,
        MeetingPage {
            c,
            flash,
            status: v.meeting.status.as_str(),
            votes,
            present,
            error,
            v,
        },
    ))
}

pub async fn meeting(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let flash = q.done.map(|_| c.t("flash.saved").to_string());
    meeting_page(&st, &c, &id, flash, None).await
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

async fn after(
    st: &AppState,
    c: &Ctx,
    id: &str,
    r: Result<(), AppError>,
) -> Result<Response, WebError> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/meetings/{id}?done=1")).into_response()),
        Err(e) if refusable(&e) => {
            let msg = error_text(c, &e);
            let mut resp = meeting_page(st, c, id, None, Some(msg)).await?;
            *resp.status_mut() = status_of(&e);
            Ok(resp)
        }
        Err(e) => Err(c.err(e)),
    }
}

pub async fn meeting_convene(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let r = svc::convene(&st.core, a, &id, clock::now_ms())
        .await
        .map(|_| ());
    after(&st, &c, &id, r).await
}

/// POST `/meetings/{id}/presence`: the attendance sheet, `p.<person id>` = present | proxy |
/// written | absent, `x.<person id>` = the proxy holder.
pub async fn meeting_presence(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, WebError> {
    c.check_csrf(f.get("csrf").map(String::as_str).unwrap_or(""))?;
    let a = c.actor()?;
    let view = svc::get_meeting(&st.core, a, &id)
        .await
        .map_err(|e| c.err(e))?;
    let mut sheet: Vec<svc::AttendanceLine> = Vec::new();
    for r in &view.roster {
        let Some(v) = f.get(&format!("p.{}", r.person_id)) else {
            continue;
        };
        let p = Presence::parse(v);
        let proxy = f.get(&format!("x.{}", r.person_id)).cloned();
        if p == r.presence
            && proxy.as_deref().unwrap_or("") == r.proxy_name.as_deref().unwrap_or("")
        {
            continue;
        }
        sheet.push((r.person_id.clone(), p, proxy));
    }
    let result = if sheet.is_empty() {
        Ok(())
    } else {
        svc::record_attendance(&st.core, a, &id, &sheet, "").await
    };
    after(&st, &c, &id, result).await
}

#[derive(Deserialize)]
pub struct TallyForm {
    pub csrf: String,
    pub vote_id: String,
    #[serde(default)]
    pub yes: String,
    #[serde(default)]
    pub no: String,
    #[serde(default)]
    pub abstain: String,
}

pub async fn meeting_tally(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<TallyForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let num = |s: &str| {
        s.trim()
            .parse::<i64>()
            .map_err(|_| AppError::field("yes", "not_a_number"))
    };
    let r = match (
        num(&f.yes),
        num(&f.no),
        num(if f.abstain.trim().is_empty() {
            "0"
        } else {
            &f.abstain
        }),
    ) {
        (Ok(y), Ok(n), Ok(ab)) => svc::enter_tally(&st.core, a, &f.vote_id, y, n, ab).await,
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Err(e),
    };
    after(&st, &c, &id, r).await
}

#[derive(Deserialize)]
pub struct VoteForm {
    pub csrf: String,
    #[serde(default)]
    pub matter_id: String,
    #[serde(default)]
    pub question: String,
    #[serde(default)]
    pub secret: Option<String>,
}

pub async fn meeting_add_vote(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<VoteForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let r = svc::add_vote(
        &st.core,
        a,
        &id,
        NewVote {
            matter_id: Some(f.matter_id).filter(|s| !s.is_empty()),
            question: f.question,
            secret: f.secret.is_some(),
        },
        clock::now_ms(),
    )
    .await
    .map(|_| ());
    after(&st, &c, &id, r).await
}

#[derive(Deserialize)]
pub struct CloseForm {
    pub csrf: String,
    #[serde(default)]
    pub minutes: String,
}

pub async fn meeting_close(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CloseForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let r = svc::close(&st.core, a, &id, &f.minutes, clock::now_ms())
        .await
        .map(|_| ());
    after(&st, &c, &id, r).await
}
