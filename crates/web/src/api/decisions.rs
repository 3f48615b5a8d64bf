//! Village decisions (四议两公开): matters, meetings with their roster, attendance, ballots,
//! tallies and the close that decides every vote. The handlers call the same services as the
//! pages in `pages/deliberation.rs`.
//!
//! A secret ballot is recorded as a tally and a list of who has voted: nothing here (nor in
//! the database) tells who chose what.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use xiangzhi_core::deliberation::model::{
    Choice, Matter, MatterStep, Meeting, Presence, RosterEntry, Stage, Vote,
};
use xiangzhi_core::deliberation::service::{
    self as svc, AttendanceLine, MatterAction, NewMatter, NewMeeting, NewVote,
};
use xiangzhi_core::{clock, AppError};

use super::{body, non_empty, paging, path, query, ApiError, OrApi};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

fn now() -> i64 {
    clock::now_ms()
}

// ---------------------------------------------------------------- wire types

/// A village matter.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MatterOut {
    pub id: String,
    /// `YS-2026-00012`.
    pub number: String,
    pub area_code: String,
    pub type_code: String,
    pub title: String,
    pub matter_text: String,
    /// SM3 of the current title and text.
    pub text_hash: String,
    /// The hash of the text the party members reviewed (step 3).
    pub reviewed_hash: Option<String>,
    /// `draft`, `proposed`, `deliberated`, `reviewed`, `resolved`, `implementing`,
    /// `completed`, `closed`, `rejected`, `withdrawn`.
    pub stage: String,
    /// The step of 四议两公开 reached (0–7).
    pub step: u8,
    pub rejected_at_step: Option<u8>,
    pub reason: Option<String>,
    pub emergency: bool,
    pub ratify_by: Option<i64>,
    pub authorisation: Option<String>,
    pub resolved_at: Option<i64>,
    pub resolution_due: Option<i64>,
    pub completed_at: Option<i64>,
    pub result_due: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<Matter> for MatterOut {
    fn from(m: Matter) -> Self {
        MatterOut {
            step: m.stage.step_number(),
            stage: m.stage.as_str().into(),
            id: m.id,
            number: m.number,
            area_code: m.area_code,
            type_code: m.type_code,
            title: m.title,
            matter_text: m.body,
            text_hash: m.text_hash,
            reviewed_hash: m.reviewed_hash,
            rejected_at_step: m.rejected_at_step,
            reason: m.reason,
            emergency: m.emergency,
            ratify_by: m.ratify_by,
            authorisation: m.authorisation,
            resolved_at: m.resolved_at,
            resolution_due: m.resolution_due,
            completed_at: m.completed_at,
            result_due: m.result_due,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// One recorded step of a matter.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StepOut {
    pub step: u8,
    pub stage: String,
    pub meeting_id: Option<String>,
    pub vote_id: Option<String>,
    pub text_hash: String,
    pub note: String,
    pub actor_name: String,
    pub at: i64,
}

impl From<MatterStep> for StepOut {
    fn from(s: MatterStep) -> Self {
        StepOut {
            step: s.step,
            stage: s.stage.as_str().into(),
            meeting_id: s.meeting_id,
            vote_id: s.vote_id,
            text_hash: s.text_hash,
            note: s.note,
            actor_name: s.actor_name,
            at: s.at,
        }
    }
}

/// A question put to the vote. Secret ballots carry the tally only.
#[derive(Serialize, utoipa::ToSchema)]
pub struct VoteOut {
    pub id: String,
    pub meeting_id: String,
    pub matter_id: Option<String>,
    pub question: String,
    pub secret: bool,
    pub yes: i64,
    pub no: i64,
    pub abstain: i64,
    /// Filled at close: quorum, passed, the deciding rule and every rule considered.
    #[schema(value_type = Option<Object>)]
    pub outcome: Option<serde_json::Value>,
    /// Open ballots only: who chose what. Always empty for a secret ballot.
    pub ballots: Vec<BallotOut>,
}

/// One open ballot.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BallotOut {
    pub person_id: String,
    /// `yes`, `no`, `abstain`.
    pub choice: String,
}

fn vote_out(v: Vote, ballots: Vec<(String, Choice)>) -> VoteOut {
    VoteOut {
        outcome: v
            .outcome
            .as_ref()
            .and_then(|o| serde_json::to_value(o).ok()),
        ballots: if v.secret {
            Vec::new()
        } else {
            ballots
                .into_iter()
                .map(|(person_id, c)| BallotOut {
                    person_id,
                    choice: c.as_str().into(),
                })
                .collect()
        },
        id: v.id,
        meeting_id: v.meeting_id,
        matter_id: v.matter_id,
        question: v.question,
        secret: v.secret,
        yes: v.yes,
        no: v.no,
        abstain: v.abstain,
    }
}

/// The type of a matter with its flags.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MatterTypeOut {
    pub code: String,
    pub name: String,
    pub requires_assembly: bool,
    pub special_majority: bool,
    pub requires_four_deliberations: bool,
    pub requires_public_bidding: bool,
    pub assembly_only: bool,
    pub legal_basis: String,
}

/// Whether the matter may be paid, contracted or tendered now (R-4Y2G-4).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClearanceOut {
    pub allowed: bool,
    /// Why not (an error code).
    pub reason: Option<String>,
}

/// A matter with its type, steps, votes, alerts and clearance.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MatterDetail {
    pub matter: MatterOut,
    pub matter_type: MatterTypeOut,
    pub steps: Vec<StepOut>,
    pub votes: Vec<VoteOut>,
    pub alerts: Vec<String>,
    pub clearance: ClearanceOut,
}

/// A page of matters.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MatterPage {
    pub items: Vec<MatterOut>,
    pub page: i64,
    pub per_page: i64,
    pub more: bool,
}

/// A meeting.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeetingOut {
    pub id: String,
    pub area_code: String,
    /// The body that meets: `branch_committee`, `two_committees`, `party_members`,
    /// `villager_assembly`, `representatives_assembly`, `group_meeting`, `collective_members`.
    pub meeting_kind: String,
    pub title: String,
    pub place: String,
    pub host: String,
    pub scheduled_at: i64,
    pub convened_at: Option<i64>,
    /// `planned`, `convened`, `closed`.
    pub status: String,
    /// Roster members and households, snapshotted at convening.
    pub members: i64,
    pub households: i64,
    /// Attendance, taken at close.
    pub attendees: i64,
    pub households_present: i64,
    pub minutes: String,
    pub closed_at: Option<i64>,
    pub created_at: i64,
}

impl From<Meeting> for MeetingOut {
    fn from(m: Meeting) -> Self {
        MeetingOut {
            meeting_kind: m.body.as_str().into(),
            status: m.status.as_str().into(),
            id: m.id,
            area_code: m.area_code,
            title: m.title,
            place: m.place,
            host: m.host,
            scheduled_at: m.scheduled_at,
            convened_at: m.convened_at,
            members: m.members,
            households: m.households,
            attendees: m.attendees,
            households_present: m.households_present,
            minutes: m.minutes,
            closed_at: m.closed_at,
            created_at: m.created_at,
        }
    }
}

/// One member of a meeting's roster.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RosterOut {
    pub person_id: String,
    pub name: String,
    /// `present`, `proxy`, `written`, or null (absent).
    pub presence: Option<String>,
    pub proxy_name: Option<String>,
}

impl From<RosterEntry> for RosterOut {
    fn from(r: RosterEntry) -> Self {
        RosterOut {
            person_id: r.person_id,
            name: r.name,
            presence: r.presence.map(|p| p.as_str().to_string()),
            proxy_name: r.proxy_name,
        }
    }
}

/// A meeting with its roster and votes.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeetingDetail {
    pub meeting: MeetingOut,
    pub roster: Vec<RosterOut>,
    pub votes: Vec<VoteOut>,
}

/// A page of meetings.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeetingPage {
    pub items: Vec<MeetingOut>,
    pub page: i64,
    pub per_page: i64,
    pub more: bool,
}

/// A new matter.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct MatterIn {
    /// The village (12 digits).
    pub area_code: String,
    pub type_code: String,
    pub title: String,
    pub matter_text: String,
    /// 先处置后补程序, with the reason in `emergency_reason`.
    #[serde(default)]
    pub emergency: bool,
    #[serde(default)]
    pub emergency_reason: String,
    /// The resolution authorising a representatives' assembly.
    #[serde(default)]
    pub authorisation: String,
}

/// What a cadre does to a matter outside meetings.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum MatterActionIn {
    /// Change the text (after the party members' review this goes back to step 3).
    Amend {
        title: String,
        matter_text: String,
    },
    /// Record the authorising resolution for a representatives' assembly.
    Authorise {
        reference: String,
    },
    /// Draft the publication of the resolution (step 5).
    PublishResolution,
    /// Implementation finished.
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

impl From<MatterActionIn> for MatterAction {
    fn from(a: MatterActionIn) -> Self {
        match a {
            MatterActionIn::Amend { title, matter_text } => MatterAction::Amend {
                title,
                body: matter_text,
            },
            MatterActionIn::Authorise { reference } => MatterAction::Authorise { reference },
            MatterActionIn::PublishResolution => MatterAction::PublishResolution,
            MatterActionIn::Complete { note } => MatterAction::Complete { note },
            MatterActionIn::PublishResult { text } => MatterAction::PublishResult { text },
            MatterActionIn::Reenter => MatterAction::Reenter,
            MatterActionIn::Withdraw { reason } => MatterAction::Withdraw { reason },
        }
    }
}

/// A question to put to the vote.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct VoteIn {
    /// The matter it decides, if any.
    pub matter_id: Option<String>,
    pub question: String,
    /// A secret ballot keeps only the tally and who has voted.
    #[serde(default)]
    pub secret: bool,
}

impl From<VoteIn> for NewVote {
    fn from(v: VoteIn) -> Self {
        NewVote {
            matter_id: v.matter_id.filter(|s| !s.trim().is_empty()),
            question: v.question,
            secret: v.secret,
        }
    }
}

/// A new meeting; its roster is drafted from the registry.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct MeetingIn {
    pub area_code: String,
    /// The body that meets (see [`MeetingOut::meeting_kind`]).
    pub meeting_kind: String,
    pub title: String,
    pub place: String,
    pub host: String,
    /// ms since the epoch (UTC).
    pub scheduled_at: i64,
    #[serde(default)]
    pub agenda: Vec<VoteIn>,
}

/// One line of the attendance sheet.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct AttendanceLineIn {
    pub person_id: String,
    /// `present`, `proxy` (written proxy: give `proxy_name`), `written` (absent with a
    /// written opinion) or `absent`.
    pub presence: String,
    pub proxy_name: Option<String>,
}

/// An attendance sheet: recorded whole or refused whole.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct AttendanceIn {
    pub lines: Vec<AttendanceLineIn>,
    #[serde(default)]
    pub note: String,
}

/// One ballot. With `person_id`, the clerk records a roster member's ballot; without it, a
/// villager casts their own (secret ballots only).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct BallotIn {
    pub person_id: Option<String>,
    /// `yes`, `no`, `abstain`.
    pub choice: String,
}

/// The counted tally of paper ballots or a show of hands.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TallyIn {
    pub yes: i64,
    pub no: i64,
    #[serde(default)]
    pub abstain: i64,
}

/// Close a meeting with its minutes.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct CloseIn {
    pub minutes: String,
}

/// Paging and filters of matters.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatterQuery {
    /// Only matters at this stage.
    #[serde(default)]
    pub stage: String,
    /// Narrow to an area inside the user's scope.
    #[serde(default)]
    pub area: String,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Paging and area of meetings.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeetingQuery {
    /// Narrow to an area inside the user's scope.
    #[serde(default)]
    pub area: String,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

// ---------------------------------------------------------------- matters

/// The matters of the user's areas, latest change first.
#[utoipa::path(get, path = "/api/v1/matters", tag = "decisions", operation_id = "list_matters",
    params(MatterQuery),
    responses((status = 200, body = MatterPage), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 422, body = ApiError)))]
pub async fn list_matters(
    State(st): State<AppState>,
    c: Ctx,
    q: Result<Query<MatterQuery>, QueryRejection>,
) -> Result<Json<MatterPage>, WebError> {
    let a = c.actor()?;
    let q = query(&c, q)?;
    let stage = match non_empty(&q.stage) {
        None => None,
        Some(s) => Some(
            Stage::parse(s)
                .ok_or_else(|| WebError::api(AppError::field("stage", "invalid"), c.lang))?,
        ),
    };
    let (page, per_page) = paging(q.page, q.per_page);
    let (items, more) = svc::page_matters(&st.core, a, stage, non_empty(&q.area), page, per_page)
        .await
        .or_api(&c)?;
    Ok(Json(MatterPage {
        items: items.into_iter().map(MatterOut::from).collect(),
        page,
        per_page,
        more,
    }))
}

/// Draft a matter.
#[utoipa::path(post, path = "/api/v1/matters", tag = "decisions", operation_id = "create_matter",
    request_body = MatterIn,
    responses((status = 201, body = MatterOut), (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn create_matter(
    State(st): State<AppState>,
    c: Ctx,
    b: Result<Json<MatterIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let b = body(&c, b)?;
    let m = svc::create_matter(
        &st.core,
        a,
        NewMatter {
            area_code: b.area_code,
            type_code: b.type_code,
            title: b.title,
            body: b.matter_text,
            emergency: b.emergency,
            emergency_reason: b.emergency_reason,
            authorisation: b.authorisation,
        },
        now(),
    )
    .await
    .or_api(&c)?;
    Ok((StatusCode::CREATED, Json(MatterOut::from(m))).into_response())
}

/// A matter with its steps, votes, alerts and whether it may proceed.
#[utoipa::path(get, path = "/api/v1/matters/{id}", tag = "decisions", operation_id = "get_matter",
    params(("id" = String, Path)),
    responses((status = 200, body = MatterDetail), (status = 404, body = ApiError)))]
pub async fn get_matter(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<MatterDetail>, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let v = svc::get_matter(&st.core, a, &id, now()).await.or_api(&c)?;
    let t = v.matter_type;
    Ok(Json(MatterDetail {
        matter_type: MatterTypeOut {
            name: if c.is_en() { t.name_en } else { t.name_zh },
            code: t.code,
            requires_assembly: t.requires_assembly,
            special_majority: t.special_majority,
            requires_four_deliberations: t.requires_four_deliberations,
            requires_public_bidding: t.requires_public_bidding,
            assembly_only: t.assembly_only,
            legal_basis: t.legal_basis,
        },
        steps: v.steps.into_iter().map(StepOut::from).collect(),
        votes: v
            .votes
            .into_iter()
            .map(|x| vote_out(x, Vec::new()))
            .collect(),
        alerts: v.alerts.iter().map(|s| s.to_string()).collect(),
        clearance: ClearanceOut {
            allowed: v.clearance.is_ok(),
            reason: v.clearance.err().map(str::to_string),
        },
        matter: MatterOut::from(v.matter),
    }))
}

/// Do one thing to a matter: `{"action": "amend", "title": "…", "matter_text": "…"}`,
/// `{"action": "authorise", "reference": "…"}`, `{"action": "publish_resolution"}`,
/// `{"action": "complete", "note": "…"}`, `{"action": "publish_result", "text": "…"}`,
/// `{"action": "reenter"}`, `{"action": "withdraw", "reason": "…"}`. A step out of order
/// answers 409 with the reason.
#[utoipa::path(post, path = "/api/v1/matters/{id}/actions", tag = "decisions", operation_id = "act_on_matter",
    params(("id" = String, Path)), request_body = MatterActionIn,
    responses((status = 200, body = MatterOut), (status = 409, body = ApiError, description = "step out of order"),
        (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 422, body = ApiError)))]
pub async fn act_on_matter(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
    b: Result<Json<MatterActionIn>, JsonRejection>,
) -> Result<Json<MatterOut>, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let action = body(&c, b)?;
    let m = svc::act_matter(&st.core, a, &id, action.into(), now())
        .await
        .or_api(&c)?;
    Ok(Json(MatterOut::from(m)))
}

// ---------------------------------------------------------------- meetings

/// The meetings of the user's areas, latest date first.
#[utoipa::path(get, path = "/api/v1/meetings", tag = "decisions", operation_id = "list_meetings",
    params(MeetingQuery),
    responses((status = 200, body = MeetingPage), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn list_meetings(
    State(st): State<AppState>,
    c: Ctx,
    q: Result<Query<MeetingQuery>, QueryRejection>,
) -> Result<Json<MeetingPage>, WebError> {
    let a = c.actor()?;
    let q = query(&c, q)?;
    let (page, per_page) = paging(q.page, q.per_page);
    let (items, more) = svc::page_meetings(&st.core, a, non_empty(&q.area), page, per_page)
        .await
        .or_api(&c)?;
    Ok(Json(MeetingPage {
        items: items.into_iter().map(MeetingOut::from).collect(),
        page,
        per_page,
        more,
    }))
}

/// Plan a meeting: the roster is drafted from the registry (adults of the village, or the
/// body's members) and may change until the meeting is convened.
#[utoipa::path(post, path = "/api/v1/meetings", tag = "decisions", operation_id = "create_meeting",
    request_body = MeetingIn,
    responses((status = 201, body = MeetingOut), (status = 403, body = ApiError), (status = 409, body = ApiError),
        (status = 422, body = ApiError)))]
pub async fn create_meeting(
    State(st): State<AppState>,
    c: Ctx,
    b: Result<Json<MeetingIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let b = body(&c, b)?;
    let m = svc::create_meeting(
        &st.core,
        a,
        NewMeeting {
            area_code: b.area_code,
            kind: b.meeting_kind,
            title: b.title,
            place: b.place,
            host: b.host,
            scheduled_at: b.scheduled_at,
            agenda: b.agenda.into_iter().map(NewVote::from).collect(),
        },
        now(),
    )
    .await
    .or_api(&c)?;
    Ok((StatusCode::CREATED, Json(MeetingOut::from(m))).into_response())
}

async fn meeting_detail(st: &AppState, c: &Ctx, id: &str) -> Result<MeetingDetail, WebError> {
    let a = c.actor()?;
    let v = svc::get_meeting(&st.core, a, id).await.or_api(c)?;
    let mut ballots = v.ballots;
    Ok(MeetingDetail {
        meeting: MeetingOut::from(v.meeting),
        roster: v.roster.into_iter().map(RosterOut::from).collect(),
        votes: v
            .votes
            .into_iter()
            .map(|x| {
                let b = ballots
                    .iter_mut()
                    .find(|b| b.0 == x.id)
                    .map(|b| std::mem::take(&mut b.1))
                    .unwrap_or_default();
                vote_out(x, b)
            })
            .collect(),
    })
}

/// A meeting with its roster (and attendance) and its votes; secret ballots show tallies only.
#[utoipa::path(get, path = "/api/v1/meetings/{id}", tag = "decisions", operation_id = "get_meeting",
    params(("id" = String, Path)),
    responses((status = 200, body = MeetingDetail), (status = 404, body = ApiError)))]
pub async fn get_meeting(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<MeetingDetail>, WebError> {
    let id = path(&c, p)?;
    Ok(Json(meeting_detail(&st, &c, &id).await?))
}

/// Give notice: the roster is frozen and its sizes snapshotted; a notice shorter than the
/// body's minimum is refused.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/convene", tag = "decisions", operation_id = "convene_meeting",
    params(("id" = String, Path)),
    responses((status = 200, body = MeetingOut), (status = 409, body = ApiError), (status = 404, body = ApiError),
        (status = 422, body = ApiError, description = "notice too short")))]
pub async fn convene(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<MeetingOut>, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let m = svc::convene(&st.core, a, &id, now()).await.or_api(&c)?;
    Ok(Json(MeetingOut::from(m)))
}

/// Record an attendance sheet (one transaction; a line that does not fit refuses the sheet).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/attendance", tag = "decisions", operation_id = "record_attendance",
    params(("id" = String, Path)), request_body = AttendanceIn,
    responses((status = 200, body = MeetingDetail), (status = 409, body = ApiError), (status = 404, body = ApiError),
        (status = 422, body = ApiError)))]
pub async fn attendance(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
    b: Result<Json<AttendanceIn>, JsonRejection>,
) -> Result<Json<MeetingDetail>, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let b = body(&c, b)?;
    let mut sheet: Vec<AttendanceLine> = Vec::with_capacity(b.lines.len());
    for l in b.lines {
        let presence = match l.presence.as_str() {
            "absent" => None,
            s => Some(
                Presence::parse(s)
                    .ok_or_else(|| WebError::api(AppError::field("presence", "invalid"), c.lang))?,
            ),
        };
        sheet.push((l.person_id, presence, l.proxy_name));
    }
    svc::record_attendance(&st.core, a, &id, &sheet, &b.note)
        .await
        .or_api(&c)?;
    Ok(Json(meeting_detail(&st, &c, &id).await?))
}

/// Put another question on the agenda of a meeting not yet closed.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/votes", tag = "decisions", operation_id = "add_vote",
    params(("id" = String, Path)), request_body = VoteIn,
    responses((status = 201, body = VoteOut), (status = 409, body = ApiError), (status = 404, body = ApiError),
        (status = 422, body = ApiError)))]
pub async fn add_vote(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
    b: Result<Json<VoteIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let b = body(&c, b)?;
    let v = svc::add_vote(&st.core, a, &id, b.into(), now())
        .await
        .or_api(&c)?;
    Ok((StatusCode::CREATED, Json(vote_out(v, Vec::new()))).into_response())
}

/// Cast one ballot. The answer says only that it was recorded: for a secret ballot nothing
/// links the person to the choice.
#[utoipa::path(post, path = "/api/v1/votes/{id}/ballots", tag = "decisions", operation_id = "cast_ballot",
    params(("id" = String, Path)), request_body = BallotIn,
    responses((status = 201, body = Object, description = "`{\"recorded\": true}`"),
        (status = 409, body = ApiError, description = "already voted, meeting not convened or closed"),
        (status = 404, body = ApiError), (status = 422, body = ApiError, description = "not on the roster, not present")))]
pub async fn cast(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
    b: Result<Json<BallotIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let b = body(&c, b)?;
    let choice = Choice::parse(&b.choice)
        .ok_or_else(|| WebError::api(AppError::field("choice", "invalid"), c.lang))?;
    match b.person_id.as_deref().and_then(non_empty) {
        Some(person) => svc::cast(&st.core, a, &id, person, choice).await,
        None => svc::cast_own(&st.core, a, &id, choice).await,
    }
    .or_api(&c)?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "recorded": true })),
    )
        .into_response())
}

/// Enter the counted tally (paper ballots or a show of hands counted by the tellers).
#[utoipa::path(post, path = "/api/v1/votes/{id}/tally", tag = "decisions", operation_id = "enter_tally",
    params(("id" = String, Path)), request_body = TallyIn,
    responses((status = 200, body = Object, description = "`{\"recorded\": true}`"), (status = 409, body = ApiError),
        (status = 404, body = ApiError), (status = 422, body = ApiError, description = "more ballots than attendees")))]
pub async fn tally(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
    b: Result<Json<TallyIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let b = body(&c, b)?;
    svc::enter_tally(&st.core, a, &id, b.yes, b.no, b.abstain)
        .await
        .or_api(&c)?;
    Ok(Json(serde_json::json!({ "recorded": true })).into_response())
}

/// Close the meeting: the attendance is taken, every vote is decided under the strictest
/// applicable rule, and each matter on the agenda moves one step or is rejected.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/close", tag = "decisions", operation_id = "close_meeting",
    params(("id" = String, Path)), request_body = CloseIn,
    responses((status = 200, body = MeetingDetail), (status = 409, body = ApiError), (status = 404, body = ApiError),
        (status = 422, body = ApiError)))]
pub async fn close(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
    b: Result<Json<CloseIn>, JsonRejection>,
) -> Result<Json<MeetingDetail>, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let b = body(&c, b)?;
    svc::close(&st.core, a, &id, &b.minutes, now())
        .await
        .or_api(&c)?;
    Ok(Json(meeting_detail(&st, &c, &id).await?))
}
