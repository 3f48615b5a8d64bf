//! People: list, register, read, edit, reveal an identifier, kinship, lookup by ID number.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use xiangzhi_core::authz::{Actor, Permission};
use xiangzhi_core::people::{self, Kin, PersonInput, PersonSummary, RevealField};
use xiangzhi_core::AppError;

use super::households::HouseholdOut;
use super::{body, no_store, non_empty, paging, path, query, ApiError, OrApi};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

/// A person as lists show it: identifiers masked, age and sex derived.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonOut {
    pub id: String,
    pub name: String,
    /// `M` or `F` (from the ID number).
    pub sex: String,
    /// YYYY-MM-DD.
    pub birth_date: String,
    pub age: u32,
    /// The ID number with the middle masked.
    pub id_masked: String,
    pub phone_masked: Option<String>,
    pub area_code: String,
    pub grid_code: Option<String>,
    pub household_id: Option<String>,
    /// Relation to the head of the household: `head`, `spouse`, `child`, `parent`,
    /// `grandchild`, `sibling`, `other`.
    pub relation: String,
    pub is_party_member: bool,
    pub is_representative: bool,
    pub is_cadre: bool,
    pub is_supervisor: bool,
}

impl From<PersonSummary> for PersonOut {
    fn from(p: PersonSummary) -> Self {
        PersonOut {
            id: p.id,
            name: p.name,
            sex: p.sex,
            birth_date: p.birth_date,
            age: p.age,
            id_masked: p.id_masked,
            phone_masked: p.phone_masked,
            area_code: p.area_code,
            grid_code: p.grid_code,
            household_id: p.household_id,
            relation: p.relation,
            is_party_member: p.is_party_member,
            is_representative: p.is_representative,
            is_cadre: p.is_cadre,
            is_supervisor: p.is_supervisor,
        }
    }
}

/// A kinship link.
#[derive(Serialize, utoipa::ToSchema)]
pub struct KinOut {
    pub person_id: String,
    pub name: String,
    pub relation: String,
}

impl From<Kin> for KinOut {
    fn from(k: Kin) -> Self {
        KinOut {
            person_id: k.person_id,
            name: k.name,
            relation: k.relation,
        }
    }
}

/// One page of people.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PeoplePage {
    pub items: Vec<PersonOut>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Filters and paging of the people list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// Area code (village, group, township …) or grid code; the user's first area when empty.
    #[serde(default)]
    pub area: String,
    /// Name prefix.
    #[serde(default)]
    pub q: String,
    /// 1-based page number.
    pub page: Option<i64>,
    /// Rows per page (1–200, default 30).
    pub per_page: Option<i64>,
}

/// List people in an area (masked).
#[utoipa::path(get, path = "/api/v1/people", tag = "people", operation_id = "list_people", params(PeopleQuery),
    responses((status = 200, body = PeoplePage), (status = 401, body = ApiError),
        (status = 403, body = ApiError, description = "the area is outside the user's scope"),
        (status = 422, body = ApiError)))]
pub async fn list(
    State(st): State<AppState>,
    c: Ctx,
    q: Result<Query<PeopleQuery>, QueryRejection>,
) -> Result<Json<PeoplePage>, WebError> {
    let a = c.actor()?;
    let q = query(&c, q)?;
    let (page, per_page) = paging(q.page, q.per_page);
    let (rows, total) =
        people::service::list_people(&st.core, a, non_empty(&q.area), &q.q, page, per_page)
            .await
            .or_api(&c)?;
    Ok(Json(PeoplePage {
        items: rows.into_iter().map(PersonOut::from).collect(),
        total,
        page,
        per_page,
    }))
}

/// A person to register or edit. Missing fields count as empty.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct PersonIn {
    #[serde(default)]
    pub name: String,
    /// 18-character resident ID number (GB 11643). Ignored on edit: it never changes.
    #[serde(default)]
    pub id_number: String,
    /// Mainland mobile number. On edit, absent or `null` keeps the stored one and `""`
    /// removes it.
    #[serde(default)]
    pub phone: Option<String>,
    /// The 村民小组 (14 digits) or village (12 digits) the person lives in.
    #[serde(default)]
    pub area_code: String,
    #[serde(default)]
    pub grid_code: String,
    /// Household number (户号) within the area; the household is created when missing.
    /// Empty: not in a household.
    #[serde(default)]
    pub household_number: String,
    #[serde(default)]
    pub address: String,
    /// `head`, `spouse`, `child`, … or the Chinese word (户主, 配偶, 子女 …).
    #[serde(default)]
    pub relation: String,
    #[serde(default)]
    pub is_party_member: bool,
    #[serde(default)]
    pub is_representative: bool,
    #[serde(default)]
    pub is_cadre: bool,
    #[serde(default)]
    pub is_supervisor: bool,
}

impl PersonIn {
    fn input(self, phone: String) -> PersonInput {
        PersonInput {
            name: self.name,
            id_number: self.id_number,
            phone,
            area_code: self.area_code,
            grid_code: self.grid_code,
            household_number: self.household_number,
            address: self.address,
            relation: self.relation,
            is_party_member: self.is_party_member,
            is_representative: self.is_representative,
            is_cadre: self.is_cadre,
            is_supervisor: self.is_supervisor,
        }
    }
}

/// Register a person.
#[utoipa::path(post, path = "/api/v1/people", tag = "people", operation_id = "create_person", request_body = PersonIn,
    responses((status = 201, body = PersonOut), (status = 401, body = ApiError),
        (status = 403, body = ApiError),
        (status = 409, body = ApiError, description = "the ID number is registered"),
        (status = 422, body = ApiError)))]
pub async fn create(
    State(st): State<AppState>,
    c: Ctx,
    req: Result<Json<PersonIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    a.require_any(Permission::PeopleWrite).or_api(&c)?;
    let mut req = body(&c, req)?;
    let phone = req.phone.take().unwrap_or_default();
    let p = people::service::create_person(&st.core, a, &req.input(phone))
        .await
        .or_api(&c)?;
    Ok((StatusCode::CREATED, Json(PersonOut::from(p))).into_response())
}

/// A person with kin and household.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonDetail {
    pub person: PersonOut,
    pub kin: Vec<KinOut>,
    /// The person's household, when they are in one.
    pub household: Option<HouseholdOut>,
}

/// Read one person (masked) with kin and household.
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people", operation_id = "get_person",
    params(("id" = String, Path, description = "person id")),
    responses((status = 200, body = PersonDetail), (status = 401, body = ApiError),
        (status = 404, body = ApiError, description = "unknown or outside the user's scope")))]
pub async fn get(
    State(st): State<AppState>,
    c: Ctx,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<PersonDetail>, WebError> {
    let a = c.actor()?;
    let id = path(&c, id)?;
    let (p, kin) = people::service::person(&st.core, a, &id).await.or_api(&c)?;
    let household = match &p.household_id {
        Some(h) => match people::service::household(&st.core, a, h).await {
            Ok((h, _)) => Some(HouseholdOut::from(h)),
            // A villager reading their own record may not read the household list.
            Err(AppError::NotFound(_)) => None,
            Err(e) => return Err(WebError::api(e, c.lang)),
        },
        None => None,
    };
    Ok(Json(PersonDetail {
        person: p.into(),
        kin: kin.into_iter().map(KinOut::from).collect(),
        household,
    }))
}

/// The stored phone of a person the actor may edit (for an edit that leaves it out).
async fn stored_phone(st: &AppState, a: &Actor, id: &str) -> Result<String, AppError> {
    let mut conn = st.core.db.read.acquire().await?;
    let Some((area, grid, _, Some(enc))) = people::store::secrets(&mut conn, id).await? else {
        return Ok(String::new());
    };
    if a.require(Permission::PeopleWrite, &area, grid.as_deref())
        .is_err()
    {
        return Ok(String::new());
    }
    let plain = st
        .core
        .keys
        .decrypt(&enc, format!("person:{id}:phone").as_bytes())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("decrypt: {e}")))?;
    Ok(String::from_utf8_lossy(&plain).to_string())
}

/// Edit a person. The ID number never changes; a left-out phone is kept.
#[utoipa::path(put, path = "/api/v1/people/{id}", tag = "people", operation_id = "update_person", request_body = PersonIn,
    params(("id" = String, Path, description = "person id")),
    responses((status = 200, body = PersonOut), (status = 401, body = ApiError),
        (status = 404, body = ApiError), (status = 422, body = ApiError)))]
pub async fn update(
    State(st): State<AppState>,
    c: Ctx,
    id: Result<Path<String>, PathRejection>,
    req: Result<Json<PersonIn>, JsonRejection>,
) -> Result<Json<PersonOut>, WebError> {
    let a = c.actor()?;
    let id = path(&c, id)?;
    let mut req = body(&c, req)?;
    let phone = match req.phone.take() {
        Some(p) => p,
        None => stored_phone(&st, a, &id).await.or_api(&c)?,
    };
    let p = people::service::update_person(&st.core, a, &id, &req.input(phone))
        .await
        .or_api(&c)?;
    Ok(Json(p.into()))
}

/// Which identifier to reveal, and why.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RevealIn {
    /// `id_number` or `phone`.
    #[serde(default)]
    pub field: String,
    /// Why it is needed (2–200 characters); written to the audit log.
    #[serde(default)]
    pub reason: String,
}

/// A revealed identifier.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RevealOut {
    pub value: String,
}

/// Reveal a full ID number or phone. Needs a reason; audited; never cached.
#[utoipa::path(post, path = "/api/v1/people/{id}/reveal", tag = "people", request_body = RevealIn,
    params(("id" = String, Path, description = "person id")),
    responses((status = 200, body = RevealOut, headers(("Cache-Control" = String, description = "no-store"))),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError, description = "unknown person, or no phone on record"),
        (status = 422, body = ApiError)))]
pub async fn reveal(
    State(st): State<AppState>,
    c: Ctx,
    id: Result<Path<String>, PathRejection>,
    req: Result<Json<RevealIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let id = path(&c, id)?;
    let req = body(&c, req)?;
    let field = RevealField::parse(req.field.trim())
        .ok_or_else(|| WebError::api(AppError::field("field", "invalid"), c.lang))?;
    let value = people::service::reveal(&st.core, a, &id, field, &req.reason)
        .await
        .or_api(&c)?;
    Ok(no_store(Json(RevealOut { value }).into_response()))
}

/// A kinship link to record.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct KinIn {
    /// The other person's id.
    #[serde(default)]
    pub relative_id: String,
    /// `spouse`, `child`, `parent`, … or the Chinese word.
    #[serde(default)]
    pub relation: String,
}

/// Record a kinship link from this person to another.
#[utoipa::path(post, path = "/api/v1/people/{id}/kin", tag = "people", request_body = KinIn,
    params(("id" = String, Path, description = "person id")),
    responses((status = 204, description = "recorded"), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 422, body = ApiError)))]
pub async fn link_kin(
    State(st): State<AppState>,
    c: Ctx,
    id: Result<Path<String>, PathRejection>,
    req: Result<Json<KinIn>, JsonRejection>,
) -> Result<StatusCode, WebError> {
    let a = c.actor()?;
    let id = path(&c, id)?;
    let req = body(&c, req)?;
    if req.relative_id.trim().is_empty() {
        return Err(WebError::api(
            AppError::field("relative_id", "required"),
            c.lang,
        ));
    }
    people::service::link_kin(&st.core, a, &id, req.relative_id.trim(), &req.relation)
        .await
        .or_api(&c)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The ID number to look up.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// The full 18-character ID number.
    #[serde(default)]
    pub id_number: String,
}

/// Find a person in the user's scope by full ID number.
#[utoipa::path(get, path = "/api/v1/people/lookup", tag = "people", params(LookupQuery),
    responses((status = 200, body = PersonOut), (status = 401, body = ApiError),
        (status = 404, body = ApiError, description = "nobody with that number in scope"),
        (status = 422, body = ApiError, description = "not a valid ID number")))]
pub async fn lookup(
    State(st): State<AppState>,
    c: Ctx,
    q: Result<Query<LookupQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let q = query(&c, q)?;
    let p = people::service::find_by_id_number(&st.core, a, &q.id_number)
        .await
        .or_api(&c)?
        .ok_or_else(|| WebError::api(AppError::NotFound("person"), c.lang))?;
    Ok(no_store(Json(PersonOut::from(p)).into_response()))
}
