//! Authentication: log in, log out, API tokens and the current actor.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use xiangzhi_core::authz::ALL_PERMISSIONS;
use xiangzhi_core::{accounts, clock, AppError};

use super::{body, ApiError, OrApi};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

/// Credentials for `POST /api/v1/auth/login`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The TOTP code, for roles that need a second factor.
    #[serde(default)]
    pub otp: String,
}

/// A bearer token.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer <token>`.
    pub token: String,
}

/// Log in and receive an API token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(()),
    request_body = LoginRequest,
    responses((status = 200, body = LoginResponse),
        (status = 401, body = ApiError, description = "bad credentials, second factor missing or wrong, account locked"),
        (status = 422, body = ApiError, description = "malformed body"),
        (status = 429, body = ApiError, description = "too many attempts from this address")))]
pub async fn login(
    State(st): State<AppState>,
    c: Ctx,
    req: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let req = body(&c, req)?;
    if !st.allow_login(&c.source, clock::now_ms()) {
        return Err(WebError::api(AppError::RateLimited, c.lang));
    }
    let s = accounts::login(
        &st.core,
        &req.username,
        &req.password,
        &req.otp,
        "api",
        Some(c.source.clone()),
    )
    .await
    .or_api(&c)?;
    Ok((StatusCode::OK, Json(LoginResponse { token: s.token })).into_response())
}

/// End the session of this request (bearer token or cookie).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "the session is ended"),
        (status = 401, body = ApiError)))]
pub async fn logout(State(st): State<AppState>, c: Ctx) -> Result<Response, WebError> {
    let a = c.actor()?;
    let token = c
        .token
        .as_deref()
        .ok_or_else(|| WebError::api(AppError::Unauthenticated("session_expired"), c.lang))?;
    accounts::logout(&st.core, a, token).await.or_api(&c)?;
    st.forget_session(token);
    let mut r = StatusCode::NO_CONTENT.into_response();
    if !c.bearer {
        r.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static("xz_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
        );
    }
    Ok(r)
}

/// A request for a long-lived API token.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    /// What the token is for (shown in the audit log), 1–60 characters.
    #[serde(default)]
    pub label: String,
}

/// A new API token; it is shown once and cannot be read again.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// Bearer token for `Authorization: Bearer <token>` (valid 30 days).
    pub token: String,
    pub label: String,
}

/// Create a long-lived API token for the current user.
#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "auth", request_body = TokenRequest,
    responses((status = 201, body = TokenResponse),
        (status = 401, body = ApiError), (status = 422, body = ApiError)))]
pub async fn create_token(
    State(st): State<AppState>,
    c: Ctx,
    req: Result<Json<TokenRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let req = body(&c, req)?;
    let label = req.label.trim();
    if label.is_empty() {
        return Err(WebError::api(AppError::field("label", "required"), c.lang));
    }
    if label.chars().count() > 60 {
        return Err(WebError::api(AppError::field("label", "too_long"), c.lang));
    }
    let token = accounts::create_api_token(&st.core, a, label)
        .await
        .or_api(&c)?;
    let out = TokenResponse {
        token,
        label: label.to_string(),
    };
    Ok(super::no_store(
        (StatusCode::CREATED, Json(out)).into_response(),
    ))
}

/// One role held on one area.
#[derive(Serialize, utoipa::ToSchema)]
pub struct GrantOut {
    /// `villager`, `grid_worker`, `village_cadre`, … `audit_admin`.
    pub role: String,
    pub area_code: String,
    /// `county`, `township`, `village`, `group` or `grid`.
    pub area_level: String,
    pub area_name: String,
}

/// The current user.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeResponse {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    /// The registry record of a villager account.
    pub person_id: Option<String>,
    /// Set when a cadre acts for a villager: the villager's user id.
    pub on_behalf_of: Option<String>,
    pub grants: Vec<GrantOut>,
    /// Permissions held somewhere (`PeopleRead`, `AuditRead`, …).
    pub permissions: Vec<String>,
}

/// Who am I: the user, their grants and permissions.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = MeResponse), (status = 401, body = ApiError)))]
pub async fn me(State(_st): State<AppState>, c: Ctx) -> Result<Json<MeResponse>, WebError> {
    let a = c.actor()?;
    Ok(Json(MeResponse {
        user_id: a.user_id.clone(),
        username: a.username.clone(),
        display_name: a.display_name.clone(),
        person_id: a.person_id.clone(),
        on_behalf_of: a.on_behalf_of.clone(),
        grants: a
            .grants
            .iter()
            .map(|g| GrantOut {
                role: g.role.as_str().to_string(),
                area_code: g.area_code.clone(),
                area_level: g.area_level.as_str().to_string(),
                area_name: g.area_name.clone(),
            })
            .collect(),
        permissions: ALL_PERMISSIONS
            .iter()
            .filter(|p| a.can(**p))
            .map(|p| format!("{p:?}"))
            .collect(),
    }))
}
