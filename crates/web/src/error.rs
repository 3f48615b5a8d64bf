//! One error type for the HTTP layer: JSON for the API, a friendly page for browsers.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use xiangzhi_core::AppError;

use crate::i18n::{self, Lang};

/// An error on its way to the client.
#[derive(Debug)]
pub struct WebError {
    pub err: AppError,
    pub api: bool,
    pub lang: Lang,
    /// Where to send a browser that must log in.
    pub login_next: Option<String>,
}

impl WebError {
    pub fn api(err: AppError, lang: Lang) -> Self {
        WebError {
            err,
            api: true,
            lang,
            login_next: None,
        }
    }

    pub fn page(err: AppError, lang: Lang) -> Self {
        WebError {
            err,
            api: false,
            lang,
            login_next: None,
        }
    }
}

pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::InvalidTransition(_) => StatusCode::CONFLICT,
        AppError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = status_of(&self.err);
        if let AppError::Internal(cause) = &self.err {
            // The cause is logged with a request-independent id; never shown.
            let id = xiangzhi_core::crypto::random_token(6);
            tracing::error!(error_id = %id, "internal error: {cause:#}");
        }
        if self.api {
            let fields: Vec<serde_json::Value> = self
                .err
                .fields()
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "field": f.field,
                        "code": f.code,
                        "message": i18n::error_message(self.lang, &f.code),
                    })
                })
                .collect();
            let body = serde_json::json!({
                "error": self.err.code(),
                "message": i18n::error_message(self.lang, self.err.code()),
                "fields": fields,
            });
            return (status, axum::Json(body)).into_response();
        }
        if let (AppError::Unauthenticated(_), Some(next)) = (&self.err, &self.login_next) {
            return Redirect::to(&format!("/login?next={}", urlencode(next))).into_response();
        }
        crate::pages::error_page(self.lang, status, &self.err)
    }
}

/// Percent-encode a query value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
