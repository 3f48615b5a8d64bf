//! Households: list and detail with members.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use xiangzhi_core::people::{self, HouseholdSummary};

use super::people::PersonOut;
use super::{non_empty, paging, path, query, ApiError, OrApi};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

/// A household.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HouseholdOut {
    pub id: String,
    /// Household number (户号) within the area.
    pub number: String,
    pub address: String,
    pub area_code: String,
    pub area_name: String,
    pub head_name: Option<String>,
    pub member_count: i64,
}

impl From<HouseholdSummary> for HouseholdOut {
    fn from(h: HouseholdSummary) -> Self {
        HouseholdOut {
            id: h.id,
            number: h.number,
            address: h.address,
            area_code: h.area_code,
            area_name: h.area_name,
            head_name: h.head_name,
            member_count: h.member_count,
        }
    }
}

/// One page of households.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HouseholdsPage {
    pub items: Vec<HouseholdOut>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Area and paging of the household list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HouseholdsQuery {
    /// Area or grid code; the user's first area when empty.
    #[serde(default)]
    pub area: String,
    /// 1-based page number.
    pub page: Option<i64>,
    /// Rows per page (1–200, default 30).
    pub per_page: Option<i64>,
}

/// List households in an area.
#[utoipa::path(get, path = "/api/v1/households", tag = "people", operation_id = "list_households", params(HouseholdsQuery),
    responses((status = 200, body = HouseholdsPage), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn list(
    State(st): State<AppState>,
    c: Ctx,
    q: Result<Query<HouseholdsQuery>, QueryRejection>,
) -> Result<Json<HouseholdsPage>, WebError> {
    let a = c.actor()?;
    let q = query(&c, q)?;
    let (page, per_page) = paging(q.page, q.per_page);
    let (rows, total) =
        people::service::list_households(&st.core, a, non_empty(&q.area), page, per_page)
            .await
            .or_api(&c)?;
    Ok(Json(HouseholdsPage {
        items: rows.into_iter().map(HouseholdOut::from).collect(),
        total,
        page,
        per_page,
    }))
}

/// A household with its members.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HouseholdDetail {
    pub household: HouseholdOut,
    pub members: Vec<PersonOut>,
}

/// Read one household with its members (masked).
#[utoipa::path(get, path = "/api/v1/households/{id}", tag = "people", operation_id = "get_household",
    params(("id" = String, Path, description = "household id")),
    responses((status = 200, body = HouseholdDetail), (status = 401, body = ApiError),
        (status = 404, body = ApiError, description = "unknown or outside the user's scope")))]
pub async fn get(
    State(st): State<AppState>,
    c: Ctx,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<HouseholdDetail>, WebError> {
    let a = c.actor()?;
    let id = path(&c, id)?;
    let (h, members) = people::service::household(&st.core, a, &id)
        .await
        .or_api(&c)?;
    Ok(Json(HouseholdDetail {
        household: h.into(),
        members: members.into_iter().map(PersonOut::from).collect(),
    }))
}
