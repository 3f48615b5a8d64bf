//! Villager accounts: self-registration (public) and its confirmation by a village cadre.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use xiangzhi_core::{accounts, clock, crypto, AppError};

use super::{body, path, ApiError, OrApi};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

/// A registration waiting for a cadre.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PendingOut {
    pub user_id: String,
    pub display_name: String,
    /// The account's phone (its username), masked.
    pub phone_masked: String,
    /// Where the registry record lives.
    pub area_code: String,
}

/// Registrations waiting in the user's villages.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PendingList {
    pub items: Vec<PendingOut>,
}

/// Registrations waiting for confirmation in the user's villages.
#[utoipa::path(get, path = "/api/v1/registrations/pending", tag = "accounts",
    responses((status = 200, body = PendingList), (status = 401, body = ApiError),
        (status = 403, body = ApiError)))]
pub async fn pending(State(st): State<AppState>, c: Ctx) -> Result<Json<PendingList>, WebError> {
    let a = c.actor()?;
    let rows = accounts::pending_registrations(&st.core, a)
        .await
        .or_api(&c)?;
    Ok(Json(PendingList {
        items: rows
            .into_iter()
            .map(|(u, area_code)| PendingOut {
                phone_masked: crypto::mask_phone(&u.username),
                user_id: u.id,
                display_name: u.display_name,
                area_code,
            })
            .collect(),
    }))
}

/// Confirm a pending registration (a cadre of the villager's village).
#[utoipa::path(post, path = "/api/v1/registrations/{user_id}/confirm", tag = "accounts",
    params(("user_id" = String, Path, description = "the pending user's id")),
    responses((status = 204, description = "the account is active"),
        (status = 401, body = ApiError),
        (status = 404, body = ApiError, description = "unknown or outside the user's villages"),
        (status = 409, body = ApiError, description = "not pending")))]
pub async fn confirm(
    State(st): State<AppState>,
    c: Ctx,
    user_id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, WebError> {
    let a = c.actor()?;
    let user_id = path(&c, user_id)?;
    accounts::confirm_registration(&st.core, a, &user_id)
        .await
        .or_api(&c)?;
    st.forget_user(&user_id);
    Ok(StatusCode::NO_CONTENT)
}

/// A villager's self-registration: it must match the registry (name, ID number and phone).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RegisterIn {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub id_number: String,
    /// The phone on record; it becomes the username.
    #[serde(default)]
    pub phone: String,
    /// At least 8 characters from 2 classes, not containing the phone.
    #[serde(default)]
    pub password: String,
}

/// The new account's state.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RegisterOut {
    /// Always `pending`: a cadre or the SMS code confirms it.
    pub status: String,
}

/// Register a villager account (public; rate-limited per address).
#[utoipa::path(post, path = "/api/v1/register", tag = "accounts", security(()),
    request_body = RegisterIn,
    responses((status = 201, body = RegisterOut),
        (status = 409, body = ApiError, description = "the person already has an account"),
        (status = 422, body = ApiError, description = "invalid input or no matching registry record"),
        (status = 429, body = ApiError)))]
pub async fn register(
    State(st): State<AppState>,
    c: Ctx,
    req: Result<Json<RegisterIn>, JsonRejection>,
) -> Result<Response, WebError> {
    if !st.allow_login(&c.source, clock::now_ms()) {
        return Err(WebError::api(AppError::RateLimited, c.lang));
    }
    let req = body(&c, req)?;
    let reg = accounts::Registration {
        name: req.name,
        id_number: req.id_number,
        phone: req.phone,
        password: req.password,
    };
    accounts::register_villager(&st.core, &reg, Some(c.source.clone()))
        .await
        .or_api(&c)?;
    let out = RegisterOut {
        status: "pending".into(),
    };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}
