//! 民主评议 over JSON: the supervisory committee opens the year's appraisal of the village's
//! cadres and closes it; representatives cast their ballots (or the committee enters paper
//! ones). Tallies stay hidden until the close, and nothing tells who gave which grade.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use xiangzhi_core::appraisal::rules::Grade;
use xiangzhi_core::appraisal::service::{self as appr, AppraisalView, NewAppraisal, NewSubject};
use xiangzhi_core::appraisal::store::Appraisal;
use xiangzhi_core::{clock, AppError};

use super::{body, path, ApiError, OrApi};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

/// An appraisal of a village's cadres for a year.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AppraisalOut {
    pub id: String,
    pub area_code: String,
    pub year: i64,
    /// `open`, `closed`.
    pub status: String,
    /// Representatives on the evaluators' list, and ballots cast.
    pub evaluators: i64,
    pub ballots: i64,
    /// At close: whether more than half of the evaluators took part (else no verdicts).
    pub valid: Option<bool>,
    pub created_by: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

impl From<Appraisal> for AppraisalOut {
    fn from(a: Appraisal) -> Self {
        AppraisalOut {
            id: a.id,
            area_code: a.area_code,
            year: a.year,
            status: a.status,
            evaluators: a.evaluators,
            ballots: a.ballots,
            valid: a.valid,
            created_by: a.created_by,
            created_at: a.created_at,
            closed_at: a.closed_at,
        }
    }
}

/// A cadre under appraisal. Grades are counted only; zero while the appraisal is open.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SubjectOut {
    pub person_id: String,
    pub name: String,
    pub post: String,
    pub excellent: i64,
    pub competent: i64,
    pub basic: i64,
    pub incompetent: i64,
    /// At close: `excellent`, `competent`, `basic`, `incompetent` (the median grade).
    pub verdict: Option<String>,
    /// 不称职 this year and last: the office ends (组织法 §33).
    pub terminates: bool,
}

/// An appraisal with its cadres.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AppraisalDetail {
    pub appraisal: AppraisalOut,
    pub subjects: Vec<SubjectOut>,
    /// For an evaluator: whether they have voted.
    pub voted: Option<bool>,
}

impl From<AppraisalView> for AppraisalDetail {
    fn from(v: AppraisalView) -> Self {
        AppraisalDetail {
            appraisal: AppraisalOut::from(v.appraisal),
            subjects: v
                .subjects
                .into_iter()
                .map(|s| SubjectOut {
                    person_id: s.person_id,
                    name: s.name,
                    post: s.post,
                    excellent: s.tally.excellent,
                    competent: s.tally.competent,
                    basic: s.tally.basic,
                    incompetent: s.tally.incompetent,
                    verdict: s.verdict.map(|g| g.as_str().to_string()),
                    terminates: s.terminates,
                })
                .collect(),
            voted: v.voted,
        }
    }
}

/// A cadre to appraise.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SubjectIn {
    pub person_id: String,
    /// 村委会主任, 委员, 报账员 …
    pub post: String,
}

/// Open the year's appraisal of a village.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct AppraisalIn {
    pub area_code: String,
    pub year: i64,
    pub subjects: Vec<SubjectIn>,
}

/// One grade for one cadre.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct GradeIn {
    pub person_id: String,
    /// `excellent`, `competent`, `basic`, `incompetent`.
    pub grade: String,
}

/// One ballot: a grade for every cadre. With `evaluator`, the committee enters the paper
/// ballot that representative handed in; without it the caller votes.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct AppraisalBallotIn {
    pub evaluator: Option<String>,
    pub grades: Vec<GradeIn>,
}

/// The appraisals of the user's areas, latest year first.
#[utoipa::path(get, path = "/api/v1/appraisals", tag = "decisions", operation_id = "list_appraisals",
    responses((status = 200, body = Vec<AppraisalOut>), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn list(State(st): State<AppState>, c: Ctx) -> Result<Json<Vec<AppraisalOut>>, WebError> {
    let a = c.actor()?;
    let v = appr::list(&st.core, a, 200).await.or_api(&c)?;
    Ok(Json(v.into_iter().map(AppraisalOut::from).collect()))
}

/// Open the year's 民主评议 of a village (the supervisory committee): the cadres named, the
/// representatives drafted as evaluators.
#[utoipa::path(post, path = "/api/v1/appraisals", tag = "decisions", operation_id = "open_appraisal",
    request_body = AppraisalIn,
    responses((status = 201, body = AppraisalOut), (status = 403, body = ApiError),
        (status = 409, body = ApiError, description = "no representatives; the year's appraisal exists"),
        (status = 422, body = ApiError)))]
pub async fn open(
    State(st): State<AppState>,
    c: Ctx,
    b: Result<Json<AppraisalIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let b = body(&c, b)?;
    let x = appr::open(
        &st.core,
        a,
        NewAppraisal {
            area_code: b.area_code,
            year: b.year,
            subjects: b
                .subjects
                .into_iter()
                .map(|s| NewSubject {
                    person_id: s.person_id,
                    post: s.post,
                })
                .collect(),
        },
        clock::now_ms(),
    )
    .await
    .or_api(&c)?;
    Ok((StatusCode::CREATED, Json(AppraisalOut::from(x))).into_response())
}

/// An appraisal with its cadres (tallies and verdicts once closed).
#[utoipa::path(get, path = "/api/v1/appraisals/{id}", tag = "decisions", operation_id = "get_appraisal",
    params(("id" = String, Path)),
    responses((status = 200, body = AppraisalDetail), (status = 404, body = ApiError)))]
pub async fn get(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<AppraisalDetail>, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let v = appr::get(&st.core, a, &id).await.or_api(&c)?;
    Ok(Json(AppraisalDetail::from(v)))
}

/// Cast a ballot. The answer says only that it was recorded.
#[utoipa::path(post, path = "/api/v1/appraisals/{id}/ballots", tag = "decisions", operation_id = "cast_appraisal_ballot",
    params(("id" = String, Path)), request_body = AppraisalBallotIn,
    responses((status = 201, body = Object, description = "`{\"recorded\": true}`"), (status = 404, body = ApiError),
        (status = 409, body = ApiError, description = "closed, not an evaluator, already voted"),
        (status = 422, body = ApiError, description = "not every cadre graded once")))]
pub async fn cast(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
    b: Result<Json<AppraisalBallotIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let b = body(&c, b)?;
    let mut grades = Vec::with_capacity(b.grades.len());
    for g in b.grades {
        let grade = Grade::parse(&g.grade)
            .ok_or_else(|| WebError::api(AppError::field("grade", "invalid"), c.lang))?;
        grades.push((g.person_id, grade));
    }
    let evaluator = b
        .evaluator
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    appr::cast(&st.core, a, &id, evaluator, &grades, clock::now_ms())
        .await
        .or_api(&c)?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "recorded": true })),
    )
        .into_response())
}

/// Close: valid when more than half of the evaluators took part; each cadre gets the median
/// grade; a second 不称职 in a row ends the office.
#[utoipa::path(post, path = "/api/v1/appraisals/{id}/close", tag = "decisions", operation_id = "close_appraisal",
    params(("id" = String, Path)),
    responses((status = 200, body = AppraisalDetail), (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError)))]
pub async fn close(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<AppraisalDetail>, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let v = appr::close(&st.core, a, &id, clock::now_ms())
        .await
        .or_api(&c)?;
    Ok(Json(AppraisalDetail::from(v)))
}
