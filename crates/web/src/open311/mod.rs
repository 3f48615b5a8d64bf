//! Open311 GeoReport v2 under `/open311/v2/` (the contract is `docs/open311.md`): discovery,
//! services and their definitions, service requests (list, one, create), tokens and
//! mySociety's `servicerequestupdates` feed, each as `.xml` and `.json` by suffix.
//!
//! How it maps onto the case engine:
//! - a *service* is a case type of the county catalogue that is public and not an emergency;
//!   `service_code` is the type's code, its form fields are the service definition's
//!   attributes;
//! - a *service request* is a case: `service_request_id` is the case's public number,
//!   `status` is `open` until the case is closed (or rejected), `agency_responsible` the
//!   organisation now responsible, `expected_datetime` the SLA deadline; reporter data is
//!   never shown;
//! - `jurisdiction_id` is the 12-digit county code; it may be left out while the deployment
//!   holds a single county;
//! - datetimes are RFC 3339 in China time (`+08:00`).
//!
//! Extension: `POST requests` must carry `area_code`, the 12-digit code of the village (or
//! township) the request is about, since a case is always routed through its village; the
//! discovery document says so in `contact`. Attributes the service does not define (e.g.
//! FixMyStreet's `attribute[fixmystreet_id]`) are ignored. No tokens are ever issued: the
//! POST answers with the `service_request_id` at once, so `tokens/{token}` is always 404.
//!
//! Integrations authenticate with an `api_key` (form or query string), never with cookies,
//! so these handlers do not use [`crate::ctx::Ctx`] and its CSRF check.

mod format;
mod parse;
mod requests;

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{any, get};
use axum::Router;
use xiangzhi_core::cases::catalogue::{self, Loaded};
use xiangzhi_core::cases::{CaseType, Category, Visibility};

use crate::state::AppState;
use format::{respond, split_file, Failure, Fmt, Node};
use parse::{base_url, english, Args};

/// Where the endpoints live.
pub const BASE: &str = "/open311/v2";
/// The most requests one list returns (`page_size` may not exceed it).
pub const MAX_REQUESTS: i64 = 1000;
/// When the endpoint's configuration last changed.
const CHANGESET: &str = "2025-06-01T00:00:00+08:00";
const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";
const CONTACT: &str = "County social governance centre (县社会治理中心), through the county \
    government service hotline. Notes for integrators: jurisdiction_id is the 12-digit county \
    code (e.g. 139921000000) and may be left out when this server holds one county. \
    Extension: POST requests.{xml,json} must carry area_code, the 12-digit code of the \
    village (or township) the request is about. No tokens are issued: POST returns the \
    service_request_id at once. Pagination: page and page_size (at most 1000). Datetimes are \
    China time (+08:00); service names and descriptions are Chinese unless lang=en or \
    Accept-Language: en.";
const KEY_SERVICE: &str = "API keys are issued to integrations by the county's catalogue \
    administrators (事项清单管理员) at the county social governance centre.";

/// What a handler answers: the root element and the document, or the errors.
type Reply = Result<(&'static str, Node), Failure>;

fn answer(fmt: Fmt, reply: Reply) -> Response {
    match reply {
        Ok((root, node)) => respond(fmt, StatusCode::OK, root, &node),
        Err(f) => f.respond(fmt),
    }
}

fn query_args(q: Option<String>) -> Result<Args, Failure> {
    Args::parse(q.unwrap_or_default().as_bytes())
}

/// The Open311 routes (merged into the application router).
pub fn routes() -> Router<AppState> {
    let mut r = Router::new();
    for fmt in [Fmt::Json, Fmt::Xml] {
        let e = fmt.ext();
        r = r
            .route(
                &format!("{BASE}/discovery.{e}"),
                get(move |h: HeaderMap| async move { discovery(&h, fmt) }),
            )
            .route(
                &format!("{BASE}/services.{e}"),
                get(
                    move |State(st): State<AppState>, RawQuery(q): RawQuery, h: HeaderMap| async move {
                        answer(fmt, services(&st, q, &h).await)
                    },
                ),
            )
            .route(
                &format!("{BASE}/requests.{e}"),
                get(
                    move |State(st): State<AppState>, RawQuery(q): RawQuery, h: HeaderMap| async move {
                        answer(fmt, requests::list(&st, q, &h).await)
                    },
                )
                .post(
                    move |State(st): State<AppState>,
                          RawQuery(q): RawQuery,
                          h: HeaderMap,
                          body: axum::body::Body| async move {
                        answer(fmt, requests::create(&st, q, &h, body).await)
                    },
                ),
            )
            .route(
                &format!("{BASE}/servicerequestupdates.{e}"),
                get(
                    move |State(st): State<AppState>, RawQuery(q): RawQuery, h: HeaderMap| async move {
                        answer(fmt, requests::updates(&st, q, &h).await)
                    },
                ),
            );
    }
    r.route(
        &format!("{BASE}/services/{{file}}"),
        get(service_definition),
    )
    .route(&format!("{BASE}/requests/{{file}}"), get(one_request))
    .route(&format!("{BASE}/tokens/{{file}}"), get(token))
    .route(&format!("{BASE}/{{*rest}}"), any(unknown))
}

/// Any other path under the base: 404 in the spec's error body.
async fn unknown(uri: Uri) -> Response {
    let fmt = if uri.path().ends_with(".json") {
        Fmt::Json
    } else {
        Fmt::Xml
    };
    Failure::not_found("no such resource").respond(fmt)
}

/// The answer to a path segment with a suffix other than `.xml` or `.json`.
fn bad_suffix() -> Response {
    Failure::not_found("no such resource (use .xml or .json)").respond(Fmt::Xml)
}

fn discovery(headers: &HeaderMap, fmt: Fmt) -> Response {
    let t = |s: &str| Some(Node::text(s));
    let endpoint = Node::Obj(vec![
        ("specification", t(SPECIFICATION)),
        ("url", Some(Node::Text(base_url(headers)))),
        ("changeset", t(CHANGESET)),
        ("type", t("production")),
        (
            "formats",
            Some(Node::List(
                "format",
                vec![Node::text("text/xml"), Node::text("application/json")],
            )),
        ),
    ]);
    let node = Node::Obj(vec![
        ("changeset", t(CHANGESET)),
        ("contact", t(CONTACT)),
        ("key_service", t(KEY_SERVICE)),
        ("max_requests", Some(Node::Int(MAX_REQUESTS))),
        ("endpoints", Some(Node::List("endpoint", vec![endpoint]))),
    ]);
    respond(fmt, StatusCode::OK, "discovery", &node)
}

/// Every county the catalogue holds, sorted.
fn counties(cat: &Loaded) -> Vec<&str> {
    let mut v: Vec<&str> = cat.types.values().map(|t| t.county_code.as_str()).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The county a call is about: `jurisdiction_id`, or the only county of the deployment.
fn jurisdiction(cat: &Loaded, args: &Args) -> Result<String, Failure> {
    let all = counties(cat);
    match args.get("jurisdiction_id") {
        Some(j) if all.contains(&j) => Ok(j.to_string()),
        Some(_) => Err(Failure::not_found("jurisdiction_id: unknown")),
        None => match all.as_slice() {
            [one] => Ok((*one).to_string()),
            [] => Err(Failure::not_found("jurisdiction_id: unknown")),
            _ => Err(Failure::bad("jurisdiction_id: required")),
        },
    }
}

/// For calls with an API key: a `jurisdiction_id`, if given, must be the key's county.
fn key_jurisdiction(cat: &Loaded, args: &Args, county: &str) -> Result<(), Failure> {
    match args.get("jurisdiction_id") {
        Some(j) if j != county => Err(if counties(cat).contains(&j) {
            Failure::forbidden("api_key: not valid for this jurisdiction_id")
        } else {
            Failure::not_found("jurisdiction_id: unknown")
        }),
        _ => Ok(()),
    }
}

/// Whether a case type is offered as an Open311 service.
fn is_service(t: &CaseType) -> bool {
    t.visibility == Visibility::Public && t.category != Category::Emergency
}

fn find_service(cat: &Loaded, county: &str, code: &str) -> Result<Arc<CaseType>, Failure> {
    cat.county_types(county)
        .into_iter()
        .find(|t| t.code == code && is_service(t))
        .ok_or_else(|| Failure::not_found("service_code: not found"))
}

async fn services(st: &AppState, q: Option<String>, headers: &HeaderMap) -> Reply {
    let args = query_args(q)?;
    let cat = catalogue::loaded(&st.core).await?;
    let county = jurisdiction(&cat, &args)?;
    let en = english(&args, headers);
    let items = cat
        .county_types(&county)
        .iter()
        .filter(|t| is_service(t))
        .map(|t| {
            let s = |v: &str| Some(Node::text(v));
            Node::Obj(vec![
                ("service_code", s(&t.code)),
                ("service_name", s(if en { &t.name_en } else { &t.name_zh })),
                (
                    "description",
                    s(if en {
                        &t.description_en
                    } else {
                        &t.description_zh
                    }),
                ),
                ("metadata", Some(Node::Bool(!t.fields.is_empty()))),
                ("type", s("realtime")),
                ("keywords", s(&t.keywords)),
                ("group", s(t.category.as_str())),
            ])
        })
        .collect();
    Ok(("services", Node::List("service", items)))
}

async fn service_definition(
    State(st): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some((code, fmt)) = split_file(&file) else {
        return bad_suffix();
    };
    answer(fmt, definition(&st, code, q, &headers).await)
}

async fn definition(st: &AppState, code: &str, q: Option<String>, headers: &HeaderMap) -> Reply {
    let args = query_args(q)?;
    let cat = catalogue::loaded(&st.core).await?;
    let county = jurisdiction(&cat, &args)?;
    let en = english(&args, headers);
    let t = find_service(&cat, &county, code)?;
    let attributes = t
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let name = if en { &f.name_en } else { &f.name_zh };
            let values = f.values.iter().map(|v| {
                Node::Obj(vec![
                    ("key", Some(Node::text(v.key.clone()))),
                    (
                        "name",
                        Some(Node::text(if en { &v.name_en } else { &v.name_zh })),
                    ),
                ])
            });
            Node::Obj(vec![
                ("variable", Some(Node::Bool(true))),
                ("code", Some(Node::text(f.code.clone()))),
                ("datatype", Some(Node::text(f.datatype.as_str()))),
                ("required", Some(Node::Bool(f.required))),
                ("datatype_description", Some(Node::text(name))),
                ("order", Some(Node::Int(i as i64 + 1))),
                ("description", Some(Node::text(name))),
                (
                    "values",
                    (!f.values.is_empty()).then(|| Node::List("value", values.collect())),
                ),
            ])
        })
        .collect();
    Ok((
        "service_definition",
        Node::Obj(vec![
            ("service_code", Some(Node::text(t.code.clone()))),
            ("attributes", Some(Node::List("attribute", attributes))),
        ]),
    ))
}

async fn one_request(
    State(st): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some((number, fmt)) = split_file(&file) else {
        return bad_suffix();
    };
    answer(fmt, requests::one(&st, number, q, &headers).await)
}

/// Tokens are never issued (POST answers with the `service_request_id`): always 404.
async fn token(Path(file): Path<String>) -> Response {
    let fmt = split_file(&file).map(|(_, f)| f).unwrap_or(Fmt::Xml);
    Failure::not_found("token: not found (this server returns service_request_id directly)")
        .respond(fmt)
}
