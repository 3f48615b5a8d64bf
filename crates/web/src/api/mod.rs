//! The JSON API under `/api/v1` and its OpenAPI document.
//!
//! Every handler is thin: authorise in the core service → validate → call the service →
//! respond. Errors are JSON `{"error", "message", "fields": [{"field", "code", "message"}]}`
//! (see [`crate::error::WebError`]); bodies and queries that fail to parse give the same shape.

pub mod accounts;
pub mod appraisal;
pub mod archive;
pub mod areas;
pub mod audit;
pub mod auth;
pub mod cases;
pub mod decisions;
pub mod disclosure;
pub mod households;
pub mod openapi;
pub mod people;
pub mod transfer;
pub mod webhooks;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Json, Path, Query};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde::Serialize;
use xiangzhi_core::AppError;

use crate::ctx::Ctx;
use crate::error::WebError;
use crate::i18n::Lang;
use crate::state::AppState;

/// Declares the route table once: the [`ROUTES`] const, the router and the OpenAPI operation
/// list are all generated from it, so they cannot drift apart.
macro_rules! api_routes {
    ($( $method:ident $path:literal => $($handler:ident)::+ ),* $(,)?) => {
        /// Every route of the API as `(method, path)`, in registration order.
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        /// API routes (merged into the application router).
        pub fn routes() -> Router<AppState> {
            Router::new()
                $(.route($path, axum::routing::$method($($handler)::+)))*
                .method_not_allowed_fallback(method_not_allowed)
        }

        /// The operations of the OpenAPI document, one per route.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($($handler)::+),*))]
        pub struct ApiPaths;
    };
}

api_routes! {
    get "/api/openapi.json" => openapi::openapi_json,
    post "/api/v1/auth/login" => auth::login,
    post "/api/v1/auth/logout" => auth::logout,
    post "/api/v1/auth/tokens" => auth::create_token,
    get "/api/v1/me" => auth::me,
    get "/api/v1/areas" => areas::list,
    post "/api/v1/areas" => areas::create,
    post "/api/v1/areas/{code}/retire" => areas::retire,
    get "/api/v1/people" => people::list,
    post "/api/v1/people" => people::create,
    get "/api/v1/people/lookup" => people::lookup,
    post "/api/v1/people/import" => transfer::import,
    get "/api/v1/people/export" => transfer::export,
    get "/api/v1/people/{id}" => people::get,
    put "/api/v1/people/{id}" => people::update,
    post "/api/v1/people/{id}/reveal" => people::reveal,
    post "/api/v1/people/{id}/kin" => people::link_kin,
    get "/api/v1/households" => households::list,
    get "/api/v1/households/{id}" => households::get,
    get "/api/v1/audit" => audit::list,
    get "/api/v1/audit/verify" => audit::verify,
    get "/api/v1/registrations/pending" => accounts::pending,
    post "/api/v1/registrations/{user_id}/confirm" => accounts::confirm,
    post "/api/v1/register" => accounts::register,
    get "/api/v1/case-types" => cases::types,
    post "/api/v1/cases" => cases::raise,
    get "/api/v1/cases" => cases::list,
    get "/api/v1/cases/indicators" => cases::indicators,
    get "/api/v1/cases/search" => cases::search,
    post "/api/v1/search/rebuild" => cases::rebuild_search,
    get "/api/v1/cases/{id}" => cases::get,
    post "/api/v1/cases/{id}/actions" => cases::act,
    post "/api/v1/cases/{id}/attachments" => cases::attach,
    get "/api/v1/cases/{id}/attachments" => cases::attachments,
    post "/api/v1/cases/{id}/mediation" => cases::mediation,
    get "/api/v1/notifications" => cases::notifications,
    post "/api/v1/tips" => cases::submit_tip,
    get "/api/v1/tips/status" => cases::tip_status,
    get "/api/v1/tips/{id}" => cases::read_tip,
    get "/api/v1/matters" => decisions::list_matters,
    post "/api/v1/matters" => decisions::create_matter,
    get "/api/v1/matters/{id}" => decisions::get_matter,
    get "/api/v1/matters/{id}/archive" => archive::download,
    post "/api/v1/matters/{id}/archive" => archive::produce,
    get "/api/v1/matters/{id}/archive/manifest" => archive::manifest_json,
    post "/api/v1/matters/{id}/actions" => decisions::act_on_matter,
    get "/api/v1/meetings" => decisions::list_meetings,
    post "/api/v1/meetings" => decisions::create_meeting,
    get "/api/v1/meetings/{id}" => decisions::get_meeting,
    post "/api/v1/meetings/{id}/convene" => decisions::convene,
    post "/api/v1/meetings/{id}/attendance" => decisions::attendance,
    post "/api/v1/meetings/{id}/votes" => decisions::add_vote,
    post "/api/v1/meetings/{id}/close" => decisions::close,
    post "/api/v1/votes/{id}/ballots" => decisions::cast,
    post "/api/v1/votes/{id}/tally" => decisions::tally,
    get "/api/v1/publications" => disclosure::list,
    post "/api/v1/publications" => disclosure::draft,
    get "/api/v1/publications/unposted" => disclosure::unposted,
    get "/api/v1/publications/{id}" => disclosure::get,
    post "/api/v1/publications/{id}/postings" => disclosure::add_posting,
    post "/api/v1/postings/{id}/take-down" => disclosure::take_down,
    get "/api/v1/postings/{id}/photo" => disclosure::posting_photo,
    post "/api/v1/publications/{id}/review" => disclosure::review,
    post "/api/v1/publications/{id}/revise" => disclosure::revise,
    post "/api/v1/publications/{id}/release" => disclosure::release,
    post "/api/v1/publications/{id}/objections" => disclosure::object,
    post "/api/v1/objections/{id}/answer" => disclosure::answer,
    get "/api/v1/appraisals" => appraisal::list,
    post "/api/v1/appraisals" => appraisal::open,
    get "/api/v1/appraisals/{id}" => appraisal::get,
    post "/api/v1/appraisals/{id}/ballots" => appraisal::cast,
    post "/api/v1/appraisals/{id}/close" => appraisal::close,
    get "/api/v1/public/villages/{code}/publications" => disclosure::public_village,
    get "/api/v1/public/publications/{id}" => disclosure::public_publication,
    get "/api/v1/webhooks" => webhooks::list,
    post "/api/v1/webhooks" => webhooks::create,
    get "/api/v1/webhooks/deliveries" => webhooks::deliveries,
    post "/api/v1/webhooks/deliveries/{id}/redeliver" => webhooks::redeliver,
    post "/api/v1/webhooks/{id}/disable" => webhooks::disable,
    post "/api/v1/webhooks/{id}/enable" => webhooks::enable,
    post "/api/v1/webhooks/{id}/rotate" => webhooks::rotate,
    get "/api/v1/me/notification-preferences" => webhooks::preferences,
    put "/api/v1/me/notification-preferences" => webhooks::set_preference,
}

/// The error body of every failed API call.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiError {
    /// A stable snake_case code (`validation`, `not_found`, `forbidden`, `session_expired` …).
    pub error: String,
    /// The code's message in the request's language.
    pub message: String,
    /// Problems with single fields (validation and conflict errors).
    pub fields: Vec<ApiFieldError>,
}

/// One field at fault.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiFieldError {
    /// The JSON field (or `body`, `query`, `file` for the whole input).
    pub field: String,
    /// A stable code (`required`, `id_checksum`, `phone_format` …).
    pub code: String,
    /// The code's message in the request's language.
    pub message: String,
}

/// Map core errors to API errors in the request's language.
pub trait OrApi<T> {
    /// Wrap the error with [`WebError::api`].
    fn or_api(self, c: &Ctx) -> Result<T, WebError>;
}

impl<T> OrApi<T> for Result<T, AppError> {
    fn or_api(self, c: &Ctx) -> Result<T, WebError> {
        self.map_err(|e| WebError::api(e, c.lang))
    }
}

/// The body of a JSON request, or a JSON error naming what is wrong with it.
pub fn body<T>(c: &Ctx, r: Result<Json<T>, JsonRejection>) -> Result<T, WebError> {
    r.map(|Json(v)| v)
        .map_err(|rej| WebError::api(json_rejection(&rej), c.lang))
}

/// The query string, or a JSON error.
pub fn query<T>(c: &Ctx, r: Result<Query<T>, QueryRejection>) -> Result<T, WebError> {
    r.map(|Query(v)| v).map_err(|rej| {
        let field = rejection_field(&rej.body_text()).unwrap_or_else(|| "query".into());
        WebError::api(AppError::field(&field, "invalid"), c.lang)
    })
}

/// A path parameter, or a JSON error.
pub fn path<T>(c: &Ctx, r: Result<Path<T>, PathRejection>) -> Result<T, WebError> {
    r.map(|Path(v)| v)
        .map_err(|_| WebError::api(AppError::field("path", "invalid"), c.lang))
}

fn json_rejection(rej: &JsonRejection) -> AppError {
    match rej {
        JsonRejection::JsonDataError(e) => {
            let text = e.body_text();
            if let Some(name) = between(&text, "missing field `", "`") {
                return AppError::field(name, "required");
            }
            AppError::field(
                &rejection_field(&text).unwrap_or_else(|| "body".into()),
                "invalid",
            )
        }
        JsonRejection::MissingJsonContentType(_) => AppError::field("content_type", "invalid"),
        JsonRejection::BytesRejection(_) => AppError::field("body", "too_long"),
        _ => AppError::field("body", "invalid"),
    }
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &s[s.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}

/// The field a serde error names: `…target type: name: invalid type…` → `name`.
fn rejection_field(text: &str) -> Option<String> {
    let detail = ["target type: ", "query string: "]
        .iter()
        .find_map(|p| text.split_once(p).map(|(_, d)| d))
        .unwrap_or(text);
    let (candidate, _) = detail.split_once(": ")?;
    let ok = !candidate.is_empty()
        && candidate.len() <= 64
        && candidate
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '.' | '[' | ']'));
    ok.then(|| candidate.to_string())
}

/// Clamp paging parameters: page ≥ 1, 1 ≤ per_page ≤ 200 (default 30).
pub fn paging(page: Option<i64>, per_page: Option<i64>) -> (i64, i64) {
    (
        page.unwrap_or(1).max(1),
        per_page.unwrap_or(30).clamp(1, 200),
    )
}

/// An optional filter value: `None` when empty.
pub fn non_empty(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

/// A response that must not be cached (revealed values, personal data files).
pub fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    r
}

/// JSON 405 for a known path with the wrong method.
async fn method_not_allowed(c: Ctx) -> Response {
    let message = match c.lang {
        Lang::En => "This method is not allowed here.",
        Lang::Zh => "不支持该请求方法。",
    };
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(serde_json::json!({
            "error": "method_not_allowed",
            "message": message,
            "fields": [],
        })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_name_the_field() {
        assert_eq!(
            rejection_field("Failed to deserialize the JSON body into the target type: name: invalid type: integer `5`, expected a string at line 1 column 9").as_deref(),
            Some("name")
        );
        assert_eq!(
            rejection_field(
                "Failed to deserialize query string: page: invalid digit found in string"
            )
            .as_deref(),
            Some("page")
        );
        assert_eq!(
            rejection_field("Failed to deserialize the JSON body into the target type: invalid type: sequence, expected struct X at line 1 column 1"),
            None
        );
    }

    #[test]
    fn paging_is_clamped() {
        assert_eq!(paging(None, None), (1, 30));
        assert_eq!(paging(Some(-3), Some(10_000)), (1, 200));
    }
}
