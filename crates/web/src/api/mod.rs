//! The JSON API under `/api/v1` and its OpenAPI document.

pub mod auth;

use axum::routing::post;
use axum::Router;

use crate::state::AppState;

/// API routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/auth/login", post(auth::login))
}
