//! Administrative areas: the visible tree and new areas.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use xiangzhi_core::areas::{self, Area};
use xiangzhi_core::authz::Permission;

use super::{body, path, ApiError, OrApi};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

/// An administrative area.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AreaOut {
    /// 12-digit statistical code (15 digits for a grid).
    pub code: String,
    pub county_code: String,
    pub parent_code: Option<String>,
    /// `county`, `township`, `village`, `group` or `grid`.
    pub level: String,
    pub name: String,
    /// Urban/rural kind derived from the code (街道/镇/乡, 社区/村), when known.
    pub kind: Option<String>,
    /// First day of validity (YYYY-MM-DD).
    pub valid_from: String,
    pub valid_to: Option<String>,
}

impl From<Area> for AreaOut {
    fn from(a: Area) -> Self {
        AreaOut {
            code: a.code,
            county_code: a.county_code,
            parent_code: a.parent_code,
            level: a.level.as_str().to_string(),
            name: a.name,
            kind: a.kind,
            valid_from: a.valid_from,
            valid_to: a.valid_to,
        }
    }
}

/// The areas the user may read, as a flat list ordered by code.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AreaList {
    pub items: Vec<AreaOut>,
}

/// The visible area tree as a flat list (parents before children).
#[utoipa::path(get, path = "/api/v1/areas", tag = "areas", operation_id = "list_areas",
    responses((status = 200, body = AreaList),
        (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn list(State(st): State<AppState>, c: Ctx) -> Result<Json<AreaList>, WebError> {
    let a = c.actor()?;
    let items = areas::service::visible_tree(&st.core.db, a)
        .await
        .or_api(&c)?;
    Ok(Json(AreaList {
        items: items.into_iter().map(AreaOut::from).collect(),
    }))
}

/// A new area.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewAreaIn {
    /// The statistical code; it must extend the parent's code (R-DIV-1).
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    /// `county`, `township`, `village`, `group` or `grid`.
    #[serde(default)]
    pub level: String,
    /// Required for everything below a county.
    #[serde(default)]
    pub parent_code: Option<String>,
    /// YYYY-MM-DD; today when empty.
    #[serde(default)]
    pub valid_from: Option<String>,
}

/// Create an area under a parent inside the user's scope (system administrator).
#[utoipa::path(post, path = "/api/v1/areas", tag = "areas", operation_id = "create_area", request_body = NewAreaIn,
    responses((status = 201, body = AreaOut),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError, description = "the code exists"),
        (status = 422, body = ApiError)))]
pub async fn create(
    State(st): State<AppState>,
    c: Ctx,
    req: Result<Json<NewAreaIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    // Refuse before looking at the body; the service checks the scope again.
    a.require_any(Permission::AreaWrite).or_api(&c)?;
    let req = body(&c, req)?;
    let input = areas::service::NewArea {
        code: req.code,
        name: req.name,
        level: req.level,
        parent_code: req.parent_code,
        valid_from: req.valid_from,
    };
    st.forget_areas();
    let area = areas::service::create(&st.core.db, a, input)
        .await
        .or_api(&c)?;
    Ok((StatusCode::CREATED, Json(AreaOut::from(area))).into_response())
}

/// Retirement of an area.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RetireIn {
    /// First day the code is no longer valid (YYYY-MM-DD).
    pub date: String,
}

/// Retire an area (its code stops being valid; history is kept). Refused while it still has
/// sub-areas, households or people.
#[utoipa::path(post, path = "/api/v1/areas/{code}/retire", tag = "areas", operation_id = "retire_area", request_body = RetireIn,
    params(("code" = String, Path, description = "area code")),
    responses((status = 204, description = "retired"),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError, description = "still in use, or already retired"),
        (status = 422, body = ApiError)))]
pub async fn retire(
    State(st): State<AppState>,
    c: Ctx,
    code: Result<Path<String>, PathRejection>,
    req: Result<Json<RetireIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let code = path(&c, code)?;
    a.require_any(Permission::AreaWrite).or_api(&c)?;
    let req = body(&c, req)?;
    areas::service::retire(&st.core.db, a, &code, &req.date)
        .await
        .or_api(&c)?;
    st.forget_areas();
    Ok(StatusCode::NO_CONTENT.into_response())
}
