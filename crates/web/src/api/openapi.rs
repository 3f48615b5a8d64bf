//! The OpenAPI 3 document of the whole API, served at `/api/openapi.json`.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;
use xiangzhi_core::AppError;

use super::{ApiPaths, OrApi};
use crate::ctx::{Ctx, SESSION_COOKIE};
use crate::error::WebError;
use crate::state::AppState;

/// Title, tags and security of the document; the operations come from [`ApiPaths`].
#[derive(OpenApi)]
#[openapi(
    info(
        title = "xiangzhi API",
        version = env!("CARGO_PKG_VERSION"),
        description = "The JSON API of 乡治. Authenticate with `Authorization: Bearer <token>` \
            (from `POST /api/v1/auth/login` or `POST /api/v1/auth/tokens`). Browser sessions \
            may also call it with the session cookie; their writes must carry `X-CSRF-Token`. \
            Errors are `{\"error\", \"message\", \"fields\": [{\"field\", \"code\", \"message\"}]}`."
    ),
    modifiers(&Security),
    security(("bearer" = []), ("cookie" = [])),
    tags(
        (name = "auth", description = "Log in and out, API tokens, the current user"),
        (name = "areas", description = "Administrative areas"),
        (name = "people", description = "People and households, import and export"),
        (name = "audit", description = "The audit log (audit administrator)"),
        (name = "accounts", description = "Villager self-registration and its confirmation"),
        (name = "cases", description = "Cases: the catalogue, raising, queues, transitions, mediation, attachments, indicators, the inbox"),
        (name = "tips", description = "Confidential tips (扫黑除恶 线索)"),
        (name = "decisions", description = "Village decisions (四议两公开): matters, meetings, attendance, ballots, tallies; 民主评议 of the cadres"),
        (name = "disclosure", description = "村务公开: drafts, the supervisors' review, release, objections, photo evidence of posting"),
        (name = "public", description = "Released publications of a village, without login"),
        (name = "webhooks", description = "Signed outgoing webhooks for county integrations. \
            Each event is POSTed as JSON to the subscription's `http://` URL with the headers \
            `X-Xiangzhi-Delivery` (the delivery id, the same on every attempt), \
            `X-Xiangzhi-Event` (`case.created`, `case.state_changed`, `case.escalated`, \
            `case.closed`), `X-Xiangzhi-Timestamp` (ms since the Unix epoch, UTC) and \
            `X-Xiangzhi-Signature: hmac-sm3=<hex>`: lowercase hex of HMAC-SM3 keyed with the \
            subscription secret (its 64 characters as ASCII bytes) over \
            `<timestamp> + \".\" + <raw body>`. Verify it in constant time and refuse stale \
            timestamps. A 2xx answer within 10 s is a delivery; anything else is retried after \
            1 min, 5 min, 30 min, 2 h and 12 h, then the delivery is dead until redelivered. \
            Deliveries of one subscription go out in timeline order. Payloads carry case \
            numbers, types, areas and states, never names, ID numbers, phones or free text; \
            confidential case types and tips produce no events."),
        (name = "meta", description = "This document"),
    )
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
        );
    }
}

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi().merge_from(ApiPaths::openapi())
}

static JSON: OnceLock<Result<String, String>> = OnceLock::new();

/// The OpenAPI 3 document of this API.
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "the OpenAPI 3 document", content_type = "application/json")))]
pub async fn openapi_json(State(_st): State<AppState>, c: Ctx) -> Result<Response, WebError> {
    let json = JSON
        .get_or_init(|| document().to_json().map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("openapi: {e}")))
        .or_api(&c)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

#[cfg(test)]
mod tests {
    use super::super::ROUTES;
    use super::*;

    #[test]
    fn every_route_is_documented() {
        let doc = document();
        for (method, path) in ROUTES {
            let item = doc
                .paths
                .paths
                .get(*path)
                .unwrap_or_else(|| panic!("{path} is missing from the OpenAPI document"));
            let op = match *method {
                "get" => &item.get,
                "post" => &item.post,
                "put" => &item.put,
                "delete" => &item.delete,
                "patch" => &item.patch,
                other => panic!("unexpected method {other}"),
            };
            assert!(op.is_some(), "{method} {path} is not documented");
        }
        let documented: usize = doc
            .paths
            .paths
            .values()
            .map(|i| {
                [&i.get, &i.post, &i.put, &i.delete, &i.patch]
                    .iter()
                    .filter(|o| o.is_some())
                    .count()
            })
            .sum();
        assert_eq!(
            documented,
            ROUTES.len(),
            "documented operations without a route"
        );
    }

    #[test]
    fn operation_ids_are_unique() {
        let doc = document();
        let mut seen = std::collections::HashSet::new();
        for item in doc.paths.paths.values() {
            for op in [&item.get, &item.post, &item.put, &item.delete, &item.patch]
                .into_iter()
                .flatten()
            {
                let id = op.operation_id.clone().unwrap_or_default();
                assert!(seen.insert(id.clone()), "operation id {id} is used twice");
            }
        }
    }

    #[test]
    fn document_has_info_tags_and_bearer() {
        let doc = document();
        assert_eq!(doc.info.title, "xiangzhi API");
        assert_eq!(doc.info.version, env!("CARGO_PKG_VERSION"));
        let json = doc.to_json().expect("serialises");
        assert!(json.contains("\"bearer\""));
        assert!(json.contains("\"scheme\":\"bearer\""));
        for (_, path) in ROUTES {
            assert!(path.starts_with("/api/"));
        }
    }

    #[test]
    fn router_builds() {
        let _ = super::super::routes();
    }
}
