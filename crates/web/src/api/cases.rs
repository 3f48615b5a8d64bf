//! Cases: the catalogue, raising a case, queues, a case with its timeline, one action per
//! transition, indicators, the inbox and confidential tips.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use xiangzhi_core::cases::{self, tips, Action, Case, CaseEvent, NewCase, Queue, RaiseOutcome};
use xiangzhi_core::AppError;

use super::{body, no_store, non_empty, paging, path, query, ApiError, OrApi};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

/// A case as the API shows it (no reporter phone; the reporter's name only to staff).
#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseOut {
    pub id: String,
    /// The public number (`2026-000123`), used to follow a case.
    pub number: String,
    pub type_code: String,
    /// `report`, `service`, `dispute`, `hazard`, `emergency`, `complaint`, `legal`.
    pub category: String,
    pub area_code: String,
    pub grid_code: Option<String>,
    /// `reported`, `accepted`, `rejected`, `dispatched`, `returned`, `in_progress`,
    /// `suspended`, `handled`, `verified`, `closed`, `revisited`.
    pub status: String,
    pub open: bool,
    /// `urgent`, `high`, `normal`, `low`.
    pub priority: String,
    /// The level responsible now: `village`, `township`, `county`.
    pub level: String,
    /// The organisation responsible now.
    pub org: String,
    /// The level that let the deadline slip, if any.
    pub slipped_level: Option<String>,
    pub escalations: i64,
    pub title: String,
    pub description: String,
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub address: Option<String>,
    pub source: String,
    pub reporter_name: Option<String>,
    pub anonymous: bool,
    pub assignee_user_id: Option<String>,
    pub handler_user_id: Option<String>,
    /// Deadline, ms since the epoch (UTC).
    pub due_at: i64,
    pub overdue: bool,
    pub reopen_count: i64,
    /// `satisfied`, `basically`, `unsatisfied`.
    pub rating: Option<String>,
    pub public_note: Option<String>,
    pub pending_extension_hours: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub handled_at: Option<i64>,
    pub closed_at: Option<i64>,
}

impl CaseOut {
    pub fn from_case(c: Case, now: i64, staff: bool) -> Self {
        CaseOut {
            overdue: c.status.is_open() && c.due_at < now,
            open: c.status.is_open(),
            id: c.id,
            number: c.number,
            type_code: c.type_code,
            category: c.category.as_str().into(),
            area_code: c.area_code,
            grid_code: c.grid_code,
            status: c.status.as_str().into(),
            priority: c.priority.as_str().into(),
            level: c.level.as_str().into(),
            org: c.org,
            slipped_level: c.slipped_level.map(|l| l.as_str().to_string()),
            escalations: c.escalations,
            title: c.title,
            description: c.description,
            attributes: c.attrs,
            lat: c.lat,
            long: c.lon,
            address: c.address,
            source: c.source,
            reporter_name: if staff { c.reporter_name } else { None },
            anonymous: c.anonymous,
            assignee_user_id: c.assignee_user_id,
            handler_user_id: c.handler_user_id,
            due_at: c.due_at,
            reopen_count: c.reopen_count,
            rating: c.rating.map(|r| r.as_str().to_string()),
            public_note: c.public_note,
            pending_extension_hours: c.pending_extension_hours,
            created_at: c.created_at,
            updated_at: c.updated_at,
            handled_at: c.handled_at,
            closed_at: c.closed_at,
        }
    }
}

/// One timeline entry.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EventOut {
    pub at: i64,
    pub actor_name: String,
    /// `case.raise`, `case.accept`, … (the audit action).
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: String,
    pub public: bool,
}

impl From<CaseEvent> for EventOut {
    fn from(e: CaseEvent) -> Self {
        EventOut {
            at: e.at,
            actor_name: e.actor_name,
            action: e.action,
            from_status: e.from_status.map(|s| s.as_str().to_string()),
            to_status: e.to_status.as_str().into(),
            note: e.note,
            public: e.public,
        }
    }
}

/// A case with its timeline.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseDetail {
    pub case: CaseOut,
    pub timeline: Vec<EventOut>,
}

/// A page of cases.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CasePage {
    pub items: Vec<CaseOut>,
    pub page: i64,
    pub per_page: i64,
    pub more: bool,
}

/// What raising a case gave: `created` (201), `existing` (200, same idempotency key) or
/// `duplicates` (409: probable duplicates to join; resubmit with `not_duplicate: true`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct RaiseOut {
    pub outcome: String,
    pub case: Option<CaseOut>,
    pub candidates: Vec<CandidateOut>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CandidateOut {
    pub id: String,
    pub number: String,
    pub description: String,
}

/// A new case.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RaiseIn {
    pub type_code: String,
    /// The village (12 digits) or township code.
    pub area_code: String,
    pub grid_code: Option<String>,
    pub title: Option<String>,
    pub description: String,
    /// Typed fields of the case type: code → values.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: std::collections::BTreeMap<String, AttrValue>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub address: Option<String>,
    /// `urgent`, `high`, `normal`, `low`.
    pub priority: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    #[serde(default)]
    pub anonymous: bool,
    /// The same key twice creates one case (also read from the `Idempotency-Key` header).
    pub idempotency_key: Option<String>,
    /// Create a new case even if open ones look the same.
    #[serde(default)]
    pub not_duplicate: bool,
}

/// A field value: one string, or a list for multi-value fields.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum AttrValue {
    One(String),
    Num(f64),
    Many(Vec<String>),
}

fn now() -> i64 {
    xiangzhi_core::clock::now_ms()
}

/// Raise a case.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", operation_id = "raise_case",
    request_body = RaiseIn,
    responses((status = 201, body = RaiseOut), (status = 200, body = RaiseOut, description = "same idempotency key"),
        (status = 409, body = RaiseOut, description = "probable duplicates"),
        (status = 404, body = ApiError, description = "unknown case type"),
        (status = 422, body = ApiError)))]
pub async fn raise(
    State(st): State<AppState>,
    c: Ctx,
    headers: axum::http::HeaderMap,
    b: Result<Json<RaiseIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let b = body(&c, b)?;
    let priority = match b.priority.as_deref().and_then(non_empty) {
        None => None,
        Some(p) => Some(
            cases::Priority::parse(p)
                .ok_or_else(|| WebError::api(AppError::field("priority", "invalid"), c.lang))?,
        ),
    };
    let key = b.idempotency_key.clone().or_else(|| {
        headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    let attrs = b
        .attributes
        .into_iter()
        .map(|(k, v)| {
            let vals = match v {
                AttrValue::One(s) => vec![s],
                AttrValue::Num(n) => vec![n.to_string()],
                AttrValue::Many(v) => v,
            };
            (k, vals)
        })
        .collect();
    let source = if a.grants.iter().any(|g| g.role.is_staff()) {
        "staff"
    } else {
        "app"
    };
    let out = cases::raise(
        &st.core,
        a,
        source,
        NewCase {
            type_code: b.type_code,
            area_code: b.area_code,
            grid_code: b.grid_code,
            title: b.title,
            description: b.description,
            attrs,
            lat: b.lat,
            lon: b.long,
            address: b.address,
            priority,
            reporter_name: b.reporter_name,
            reporter_phone: b.reporter_phone,
            anonymous: b.anonymous,
            idempotency_key: key,
            not_duplicate: b.not_duplicate,
        },
    )
    .await
    .or_api(&c)?;
    let (status, outcome) = match out {
        RaiseOutcome::Created { case } => (
            StatusCode::CREATED,
            RaiseOut {
                outcome: "created".into(),
                case: Some(CaseOut::from_case(case, now(), true)),
                candidates: Vec::new(),
            },
        ),
        RaiseOutcome::Existing { case } => (
            StatusCode::OK,
            RaiseOut {
                outcome: "existing".into(),
                case: Some(CaseOut::from_case(case, now(), true)),
                candidates: Vec::new(),
            },
        ),
        RaiseOutcome::Duplicates { candidates } => (
            StatusCode::CONFLICT,
            RaiseOut {
                outcome: "duplicates".into(),
                case: None,
                candidates: candidates
                    .into_iter()
                    .map(|d| CandidateOut {
                        id: d.id,
                        number: d.number,
                        description: d.description,
                    })
                    .collect(),
            },
        ),
    };
    Ok((status, Json(outcome)).into_response())
}

/// Queue and paging.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// `mine`, `org`, `overdue`, `escalated`, `all` (default), `raised` (cases I raised).
    #[serde(default)]
    pub queue: String,
    /// Narrow to an area inside the user's scope.
    #[serde(default)]
    pub area: String,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// A queue of cases.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", operation_id = "list_cases", params(CaseQuery),
    responses((status = 200, body = CasePage), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn list(
    State(st): State<AppState>,
    c: Ctx,
    q: Result<Query<CaseQuery>, QueryRejection>,
) -> Result<Json<CasePage>, WebError> {
    let a = c.actor()?;
    let q = query(&c, q)?;
    let queue = match non_empty(&q.queue) {
        None => Queue::All,
        Some(s) => Queue::parse(s)
            .ok_or_else(|| WebError::api(AppError::field("queue", "invalid"), c.lang))?,
    };
    let (page, per_page) = paging(q.page, q.per_page);
    let (items, more) = cases::list(&st.core, a, queue, non_empty(&q.area), page, per_page)
        .await
        .or_api(&c)?;
    let t = now();
    Ok(Json(CasePage {
        items: items
            .into_iter()
            .map(|x| CaseOut::from_case(x, t, queue != Queue::Raised))
            .collect(),
        page,
        per_page,
        more,
    }))
}

/// Search words, filters and paging.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The words (Chinese or not; every word must match), or a whole case number.
    #[serde(default)]
    pub q: String,
    /// Narrow to an area inside the user's scope.
    #[serde(default)]
    pub area: String,
    /// Narrow to one case type.
    #[serde(default, rename = "type")]
    pub type_code: String,
    /// `best` (default) or `new` (newest first).
    #[serde(default)]
    pub sort: String,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// A case found by a search (its current state is read from the database).
#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub id: String,
    pub number: String,
    pub title: String,
    pub type_code: String,
    pub status: String,
    pub org: String,
    pub escalations: i64,
    pub due_at: i64,
}

/// One page of search results.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchPage {
    pub items: Vec<SearchHit>,
    /// How many cases match in all, within the user's areas.
    pub total: usize,
    pub page: i64,
    pub per_page: i64,
    pub more: bool,
    /// The index is being built from the database; results may be incomplete.
    pub building: bool,
}

/// Chinese full-text search over the cases the user may see.
#[utoipa::path(get, path = "/api/v1/cases/search", tag = "cases", operation_id = "search_cases", params(SearchQuery),
    responses((status = 200, body = SearchPage), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError, description = "search is not running"), (status = 422, body = ApiError)))]
pub async fn search(
    State(st): State<AppState>,
    c: Ctx,
    q: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<Json<SearchPage>, WebError> {
    let a = c.actor()?;
    let q = query(&c, q)?;
    let sort = match non_empty(&q.sort) {
        None | Some("best") => cases::search::SortBy::Relevance,
        Some("new") => cases::search::SortBy::Newest,
        Some(_) => return Err(WebError::api(AppError::field("sort", "invalid"), c.lang)),
    };
    let (page, per_page) = paging(q.page, q.per_page);
    let found = cases::service::search(
        &st.core,
        a,
        &q.q,
        non_empty(&q.area),
        non_empty(&q.type_code),
        sort,
        page,
        per_page,
    )
    .await
    .or_api(&c)?;
    Ok(Json(SearchPage {
        items: found
            .rows
            .into_iter()
            .map(|r| SearchHit {
                id: r.id,
                number: r.number,
                title: r.title,
                type_code: r.type_code,
                status: r.status.as_str().into(),
                org: r.org,
                escalations: r.escalations,
                due_at: r.due_at,
            })
            .collect(),
        total: found.total,
        page,
        per_page,
        more: found.has_more,
        building: found.building,
    }))
}

/// How many cases the rebuilt index holds.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RebuildOut {
    pub cases: u64,
}

/// Drop the case search index and build it again from the database (system administrator
/// or county catalogue keepers). Searches keep the old index until the new one is ready.
#[utoipa::path(post, path = "/api/v1/search/rebuild", tag = "cases", operation_id = "rebuild_search",
    responses((status = 200, body = RebuildOut), (status = 403, body = ApiError), (status = 409, body = ApiError)))]
pub async fn rebuild_search(
    State(st): State<AppState>,
    c: Ctx,
) -> Result<Json<RebuildOut>, WebError> {
    let a = c.actor()?;
    let n = cases::service::rebuild_search(&st.core, a)
        .await
        .or_api(&c)?;
    Ok(Json(RebuildOut { cases: n }))
}

/// A case with its timeline (the reporter sees public entries only).
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", operation_id = "get_case",
    params(("id" = String, Path)),
    responses((status = 200, body = CaseDetail), (status = 404, body = ApiError)))]
pub async fn get(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<CaseDetail>, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let (case, events) = cases::get(&st.core, a, &id).await.or_api(&c)?;
    let staff = events.iter().any(|e| !e.public)
        || a.scope(xiangzhi_core::authz::Permission::CaseRead)
            .contains(&case.area_code, case.grid_code.as_deref());
    Ok(Json(CaseDetail {
        case: CaseOut::from_case(case, now(), staff),
        timeline: events.into_iter().map(EventOut::from).collect(),
    }))
}

/// Do one thing to a case: `{"action": "accept"}`, `{"action": "dispatch",
/// "assignee_user_id": null}`, `{"action": "handle", "evidence": "…"}`, `{"action": "rate",
/// "rating": "satisfied"}` … An impossible transition answers 409 with the reason.
#[utoipa::path(post, path = "/api/v1/cases/{id}/actions", tag = "cases", operation_id = "act_on_case",
    params(("id" = String, Path)),
    request_body(content = Object, description = "an action: accept, reject, dispatch, return, start, suspend, resume, request_extension, decide_extension, handle, verify, reopen, close, rate, escalate, note"),
    responses((status = 200, body = CaseOut), (status = 409, body = ApiError, description = "impossible transition"),
        (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 422, body = ApiError)))]
pub async fn act(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
    b: Result<Json<Action>, JsonRejection>,
) -> Result<Json<CaseOut>, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let action = body(&c, b)?;
    let case = cases::act(&st.core, a, &id, action).await.or_api(&c)?;
    Ok(Json(CaseOut::from_case(case, now(), true)))
}

/// A case type of the catalogue.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseTypeOut {
    pub code: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub first_level: String,
    pub anonymous_allowed: bool,
    #[schema(value_type = Object)]
    pub fields: serde_json::Value,
    #[schema(value_type = Object)]
    pub sla: serde_json::Value,
}

/// The catalogue of the user's county.
#[utoipa::path(get, path = "/api/v1/case-types", tag = "cases", operation_id = "list_case_types",
    responses((status = 200, body = Vec<CaseTypeOut>), (status = 401, body = ApiError)))]
pub async fn types(State(st): State<AppState>, c: Ctx) -> Result<Json<Vec<CaseTypeOut>>, WebError> {
    let a = c.actor()?;
    let county = a
        .grants
        .first()
        .map(|g| xiangzhi_core::areas::code::county_of(&g.area_code))
        .ok_or_else(|| WebError::api(AppError::Forbidden, c.lang))?;
    let cat = cases::catalogue::loaded(&st.core).await.or_api(&c)?;
    Ok(Json(
        cat.county_types(&county)
            .iter()
            .map(|t| CaseTypeOut {
                code: t.code.clone(),
                name: if c.is_en() {
                    t.name_en.clone()
                } else {
                    t.name_zh.clone()
                },
                description: if c.is_en() {
                    t.description_en.clone()
                } else {
                    t.description_zh.clone()
                },
                category: t.category.as_str().into(),
                first_level: t.first_level.as_str().into(),
                anonymous_allowed: t.anonymous_allowed,
                fields: serde_json::to_value(&t.fields).unwrap_or_default(),
                sla: serde_json::to_value(t.sla).unwrap_or_default(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AreaQuery {
    /// An area in the user's scope (the user's own area when empty).
    #[serde(default)]
    pub area: String,
}

/// Per-area indicators: on-time, 小事不出村, 大事不出镇, satisfaction (per mille).
#[utoipa::path(get, path = "/api/v1/cases/indicators", tag = "cases", operation_id = "case_indicators",
    params(AreaQuery), responses((status = 200, body = Object), (status = 403, body = ApiError)))]
pub async fn indicators(
    State(st): State<AppState>,
    c: Ctx,
    q: Result<Query<AreaQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let q = query(&c, q)?;
    let v = cases::indicators(&st.core, a, non_empty(&q.area))
        .await
        .or_api(&c)?;
    Ok(Json(v).into_response())
}

/// The user's inbox (addressed to them or to a role they hold).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "cases", operation_id = "notifications",
    responses((status = 200, body = Object), (status = 401, body = ApiError)))]
pub async fn notifications(State(st): State<AppState>, c: Ctx) -> Result<Response, WebError> {
    let a = c.actor()?;
    let roles: Vec<(String, String)> = a
        .grants
        .iter()
        .map(|g| (g.role.as_str().to_string(), g.area_code.clone()))
        .collect();
    let v = cases::store::inbox(&st.core.db, &a.user_id, &roles, 100)
        .await
        .or_api(&c)?;
    Ok(Json(v).into_response())
}

/// A confidential tip. No login needed; anonymous unless a contact is given.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TipIn {
    pub area_code: String,
    pub body: String,
    pub contact: Option<String>,
}

/// Submit a tip; the answer holds the receipt code (shown once) to follow it.
#[utoipa::path(post, path = "/api/v1/tips", tag = "tips", operation_id = "submit_tip",
    request_body = TipIn, responses((status = 201, body = Object), (status = 422, body = ApiError)))]
pub async fn submit_tip(
    State(st): State<AppState>,
    c: Ctx,
    b: Result<Json<TipIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = body(&c, b)?;
    let actor = c.actor().ok();
    let code = tips::submit(&st.core, actor, &b.area_code, &b.body, b.contact.as_deref())
        .await
        .or_api(&c)?;
    Ok(no_store(
        (
            StatusCode::CREATED,
            Json(serde_json::json!({ "receipt_code": code, "status": "received" })),
        )
            .into_response(),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceiptQuery {
    pub code: String,
}

/// The status of a tip by its receipt code: `received`, `processing` or `closed`.
#[utoipa::path(get, path = "/api/v1/tips/status", tag = "tips", operation_id = "tip_status",
    params(ReceiptQuery), responses((status = 200, body = Object), (status = 404, body = ApiError)))]
pub async fn tip_status(
    State(st): State<AppState>,
    c: Ctx,
    q: Result<Query<ReceiptQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let q = query(&c, q)?;
    let s = tips::status(&st.core, &q.code).await.or_api(&c)?;
    Ok(Json(serde_json::json!({ "status": s })).into_response())
}

/// Read a tip (tip officers only; every read is audited).
#[utoipa::path(get, path = "/api/v1/tips/{id}", tag = "tips", operation_id = "read_tip",
    params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn read_tip(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let tip = tips::read(&st.core, a, &id).await.or_api(&c)?;
    Ok(no_store(Json(tip).into_response()))
}

/// Attach a photo (JPEG, PNG) or a PDF to a case: multipart with a `file` field. The type is
/// read from the content; photos are stored downscaled.
#[utoipa::path(post, path = "/api/v1/cases/{id}/attachments", tag = "cases", operation_id = "attach_to_case",
    params(("id" = String, Path)),
    request_body(content = String, content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = Object), (status = 404, body = ApiError), (status = 422, body = ApiError)))]
pub async fn attach(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
    mut mp: axum::extract::Multipart,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let mut name = String::new();
    let mut bytes = Vec::new();
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| WebError::api(AppError::field("file", "upload_too_large"), c.lang))?
    {
        if field.name() == Some("file") {
            name = field.file_name().unwrap_or("").to_string();
            bytes = field
                .bytes()
                .await
                .map_err(|_| WebError::api(AppError::field("file", "upload_too_large"), c.lang))?
                .to_vec();
        }
    }
    let att = cases::attachments::attach(&st.core, a, &id, &name, bytes)
        .await
        .or_api(&c)?;
    Ok((StatusCode::CREATED, Json(att)).into_response())
}

/// The attachments of a case (their bytes are at `/attachments/{id}`).
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments", tag = "cases", operation_id = "case_attachments",
    params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ApiError)))]
pub async fn attachments(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let v = cases::attachments::list(&st.core, a, &id)
        .await
        .or_api(&c)?;
    Ok(Json(v).into_response())
}

/// A step of the mediation of a dispute: `{"step": "consent", "party": "a", "consent": true}`,
/// `{"step": "session", "note": "…"}`, `{"step": "agreement", "text": "…",
/// "parties_signed": true, "mediator_signed": true}`.
#[utoipa::path(post, path = "/api/v1/cases/{id}/mediation", tag = "cases", operation_id = "mediation_step",
    params(("id" = String, Path)),
    request_body(content = Object, description = "a mediation step"),
    responses((status = 200, body = Object), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn mediation(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
    b: Result<Json<cases::mediation::Step>, JsonRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let step = body(&c, b)?;
    let m = cases::mediation::record(&st.core, a, &id, step)
        .await
        .or_api(&c)?;
    Ok(Json(m).into_response())
}
