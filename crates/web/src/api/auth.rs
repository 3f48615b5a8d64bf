//! `POST /api/v1/auth/login`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use xiangzhi_core::{accounts, clock, AppError};

use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub otp: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer <token>`.
    pub token: String,
}

/// Log in and receive an API token.
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, description = "bad credentials, second factor missing or wrong, account locked")))]
pub async fn login(
    State(st): State<AppState>,
    c: Ctx,
    body: Result<Json<LoginRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(req)) = body else {
        return WebError::api(AppError::field("body", "invalid"), c.lang).into_response();
    };
    if !st.allow_login(&c.source, clock::now_ms()) {
        return WebError::api(AppError::RateLimited, c.lang).into_response();
    }
    match accounts::login(
        &st.core,
        &req.username,
        &req.password,
        &req.otp,
        "api",
        Some(c.source.clone()),
    )
    .await
    {
        Ok(s) => (StatusCode::OK, Json(LoginResponse { token: s.token })).into_response(),
        Err(e) => WebError::api(e, c.lang).into_response(),
    }
}
