//! Service requests: the public list, one request, creating one with an API key, and the
//! updates feed for integrations.

use std::collections::{BTreeMap, HashSet};

use axum::http::HeaderMap;
use xiangzhi_core::authz::Actor;
use xiangzhi_core::cases::catalogue::{self, Loaded};
use xiangzhi_core::cases::service::{self, PublicQuery};
use xiangzhi_core::cases::{rules, Case, CaseEvent, NewCase, RaiseOutcome, Raiser, Status};
use xiangzhi_core::error::FieldError;
use xiangzhi_core::{clock, AppError, Core};

use super::format::{datetime, Failure, Node};
use super::parse::{english, window, Args, DAY_MS, MAX_SPAN_MS};
use super::{find_service, jurisdiction, key_jurisdiction, query_args, Reply, MAX_REQUESTS};
use crate::state::AppState;

/// The largest POST body read (a description is at most 4,000 characters).
const MAX_BODY: usize = 1024 * 1024;
/// The most `service_request_id`s one list call may name.
const MAX_IDS: usize = 200;

/// The integration behind the `api_key` argument, and its county.
async fn key_actor(core: &Core, args: &Args) -> Result<(Actor, String), Failure> {
    let key = args
        .get("api_key")
        .ok_or_else(|| Failure::forbidden("api_key: required"))?;
    service::api_key_actor(core, key)
        .await?
        .ok_or_else(|| Failure::forbidden("api_key: invalid"))
}

/// The full request object of a case (never any reporter data).
fn request_node(c: &Case, cat: &Loaded, en: bool) -> Node {
    let name = cat
        .types
        .get(&c.type_code)
        .map(|t| {
            if en {
                t.name_en.clone()
            } else {
                t.name_zh.clone()
            }
        })
        .unwrap_or_default();
    let open = c.status.is_open();
    let updated = if open {
        c.updated_at
    } else {
        c.closed_at.unwrap_or(c.updated_at)
    };
    Node::Obj(vec![
        ("service_request_id", Some(Node::text(c.number.clone()))),
        (
            "status",
            Some(Node::text(if open { "open" } else { "closed" })),
        ),
        ("status_notes", c.public_note.clone().map(Node::Text)),
        ("service_name", Some(Node::Text(name))),
        ("service_code", Some(Node::text(c.type_code.clone()))),
        ("description", Some(Node::text(c.description.clone()))),
        ("agency_responsible", Some(Node::text(c.org.clone()))),
        ("service_notice", Some(Node::text(""))),
        ("requested_datetime", Some(datetime(c.created_at))),
        ("updated_datetime", Some(datetime(updated))),
        ("expected_datetime", Some(datetime(c.due_at))),
        ("address", c.address.clone().map(Node::Text)),
        ("lat", c.lat.map(Node::Float)),
        ("long", c.lon.map(Node::Float)),
    ])
}

/// `GET requests.{fmt}`.
pub async fn list(st: &AppState, q: Option<String>, headers: &HeaderMap) -> Reply {
    let args = query_args(q)?;
    let cat = catalogue::loaded(&st.core).await?;
    let county = jurisdiction(&cat, &args)?;
    let en = english(&args, headers);
    let mut pq = PublicQuery {
        page: args.int("page", 1, 1, 1_000_000)?,
        page_size: args.int("page_size", 100, 1, MAX_REQUESTS)?,
        ..PublicQuery::default()
    };
    let numbers = args.list("service_request_id");
    if !numbers.is_empty() {
        if numbers.len() > MAX_IDS {
            return Err(Failure::bad(format!(
                "service_request_id: at most {MAX_IDS} at once"
            )));
        }
        pq.numbers = numbers;
    } else {
        pq.type_codes = args.list("service_code");
        let (from, to) = window(&args, clock::now_ms(), MAX_SPAN_MS)?;
        pq.created_from = Some(from);
        pq.created_to = Some(to);
        let (mut open, mut closed) = (false, false);
        for s in args.list("status") {
            match s.to_ascii_lowercase().as_str() {
                "open" => open = true,
                "closed" => closed = true,
                _ => return Err(Failure::bad("status: must be open, closed or both")),
            }
        }
        pq.open = match (open, closed) {
            (true, false) => Some(true),
            (false, true) => Some(false),
            _ => None,
        };
    }
    let (cases, _more) = service::public_list(&st.core, &county, &pq).await?;
    let items = cases.iter().map(|c| request_node(c, &cat, en)).collect();
    Ok(("service_requests", Node::List("request", items)))
}

/// `GET requests/{service_request_id}.{fmt}`: a one-item list.
pub async fn one(st: &AppState, number: &str, q: Option<String>, headers: &HeaderMap) -> Reply {
    let args = query_args(q)?;
    let cat = catalogue::loaded(&st.core).await?;
    let county = jurisdiction(&cat, &args)?;
    let c = service::public_get(&st.core, &county, number)
        .await?
        .ok_or_else(|| Failure::not_found("service_request_id: not found"))?;
    Ok((
        "service_requests",
        Node::List(
            "request",
            vec![request_node(&c, &cat, english(&args, headers))],
        ),
    ))
}

/// A core field error as the Open311 client knows the argument.
fn field_text(e: &FieldError) -> String {
    let field = match e.field.as_str() {
        "reporter_name" => "first_name, last_name",
        "idempotency_key" => "Idempotency-Key",
        "address" => "address_string",
        f => f,
    };
    format!("{field}: {}", e.code)
}

/// A coordinate argument; a value that is not a finite number is an error.
fn coordinate(args: &Args, key: &str, errors: &mut Vec<String>) -> Option<f64> {
    let v = args.get(key)?;
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() => Some(x),
        _ => {
            errors.push(format!("{key}: invalid"));
            None
        }
    }
}

/// The reporter's name from `first_name` and `last_name` (family name first when either
/// is written in Chinese).
fn reporter_name(args: &Args) -> Option<String> {
    match (args.get("first_name"), args.get("last_name")) {
        (Some(f), Some(l)) if !f.is_ascii() || !l.is_ascii() => Some(format!("{l}{f}")),
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (Some(x), None) | (None, Some(x)) => Some(x.to_string()),
        (None, None) => None,
    }
}

/// `POST requests.{fmt}`: raise a case for the integration behind the API key.
pub async fn create(
    st: &AppState,
    q: Option<String>,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Reply {
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| Failure::bad("the request body is too large (at most 1 MiB)"))?;
    let mut args = Args::parse(&bytes)?;
    args.extend(query_args(q)?);
    let (actor, county) = key_actor(&st.core, &args).await?;
    let cat = catalogue::loaded(&st.core).await?;
    key_jurisdiction(&cat, &args, &county)?;
    let code = args
        .get("service_code")
        .ok_or_else(|| Failure::bad("service_code: required"))?;
    let t = find_service(&cat, &county, code)?;
    if !t.raisers.contains(&Raiser::Public) {
        return Err(Failure::bad(
            "service_code: this service does not take requests from the public",
        ));
    }
    let mut errors = Vec::new();

    // The area (extension): a village or township code of the key's county.
    let area_code = args.get("area_code").unwrap_or_default().to_string();
    if area_code.is_empty() {
        errors
            .push("area_code: required (extension: the 12-digit code of the village)".to_string());
    } else if area_code.len() != 12
        || !area_code.bytes().all(|b| b.is_ascii_digit())
        || county.get(..6) != area_code.get(..6)
    {
        errors.push("area_code: invalid".to_string());
    }

    // The location: lat + long, or an address.
    let lat = coordinate(&args, "lat", &mut errors);
    let lon = coordinate(&args, "long", &mut errors);
    let address = args
        .get("address_string")
        .or_else(|| args.get("address_id"))
        .map(str::to_string);
    match (args.get("lat"), args.get("long")) {
        (Some(_), None) => errors.push("long: required with lat".into()),
        (None, Some(_)) => errors.push("lat: required with long".into()),
        (None, None) if address.is_none() => errors.push(
            "lat, long: required, or address_string or address_id (a location is needed)".into(),
        ),
        _ => {}
    }
    let (lat, lon) = match (lat, lon) {
        (Some(a), Some(b)) => (Some(a), Some(b)),
        _ => (None, None),
    };

    // attribute[code]=v and attribute[code][]=v; attributes the service lacks are ignored.
    let mut attrs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in &args.pairs {
        let Some(rest) = k.strip_prefix("attribute[") else {
            continue;
        };
        let parsed = rest
            .split_once(']')
            .filter(|(c, tail)| !c.is_empty() && (tail.is_empty() || *tail == "[]"));
        let Some((c, _)) = parsed else {
            errors.push(format!("{k}: invalid attribute argument"));
            continue;
        };
        let v = v.trim();
        if v.is_empty() || !t.fields.iter().any(|f| f.code == c) {
            continue;
        }
        attrs.entry(c.to_string()).or_default().push(v.to_string());
    }

    let idempotency_key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let input = NewCase {
        type_code: t.code.clone(),
        area_code,
        description: args.get("description").unwrap_or_default().to_string(),
        attrs,
        lat,
        lon,
        address,
        reporter_name: reporter_name(&args),
        reporter_phone: args.get("phone").map(str::to_string),
        idempotency_key,
        ..NewCase::default()
    };
    if let Err(errs) = rules::validate_new(&t, &input) {
        errors.extend(errs.iter().map(field_text));
    }
    if !errors.is_empty() {
        return Err(Failure::bad_many(errors));
    }
    let case = match service::raise(&st.core, &actor, "open311", input).await {
        Ok(RaiseOutcome::Created { case } | RaiseOutcome::Existing { case }) => case,
        Ok(RaiseOutcome::Duplicates { .. }) => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "the engine offered duplicates to an Open311 request"
            ))
            .into())
        }
        Err(AppError::Validation(fields)) => {
            return Err(Failure::bad_many(fields.iter().map(field_text).collect()))
        }
        Err(e) => return Err(e.into()),
    };
    Ok((
        "service_requests",
        Node::List(
            "request",
            vec![Node::Obj(vec![
                ("service_request_id", Some(Node::text(case.number))),
                ("service_notice", Some(Node::text(""))),
            ])],
        ),
    ))
}

/// The mySociety status of a timeline entry.
fn update_status(e: &CaseEvent) -> &'static str {
    match e.action.as_str() {
        "case.reopen" => return "REOPEN",
        "case.escalate" | "case.return" => return "INTERNAL_REFERRAL",
        _ => {}
    }
    match e.to_status {
        Status::Reported => "OPEN",
        Status::Accepted | Status::Dispatched => "ACTION_SCHEDULED",
        Status::Returned => "INTERNAL_REFERRAL",
        Status::InProgress | Status::Suspended => "IN_PROGRESS",
        Status::Handled | Status::Verified => "FIXED",
        Status::Rejected => "NO_FURTHER_ACTION",
        Status::Closed | Status::Revisited => "CLOSED",
    }
}

/// `GET servicerequestupdates.{fmt}` (API key): public timeline entries of the key's
/// county in the window (default: the last day), oldest first, at most 1,000.
pub async fn updates(st: &AppState, q: Option<String>, _headers: &HeaderMap) -> Reply {
    let args = query_args(q)?;
    let (_actor, county) = key_actor(&st.core, &args).await?;
    let cat = catalogue::loaded(&st.core).await?;
    key_jurisdiction(&cat, &args, &county)?;
    let (from, to) = window(&args, clock::now_ms(), DAY_MS)?;
    let rows = service::public_updates(&st.core, &county, from, to, MAX_REQUESTS).await?;
    // Only cases the public list shows (public, non-emergency types).
    let mut numbers: Vec<String> = rows.iter().map(|(_, n)| n.clone()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    let mut shown: HashSet<String> = HashSet::new();
    for chunk in numbers.chunks(MAX_IDS) {
        let pq = PublicQuery {
            numbers: chunk.to_vec(),
            page: 1,
            page_size: MAX_REQUESTS,
            ..PublicQuery::default()
        };
        let (cases, _) = service::public_list(&st.core, &county, &pq).await?;
        shown.extend(cases.into_iter().map(|c| c.number));
    }
    let items = rows
        .iter()
        .filter(|(_, n)| shown.contains(n))
        .map(|(e, n)| {
            Node::Obj(vec![
                ("update_id", Some(Node::text(e.id.clone()))),
                ("service_request_id", Some(Node::text(n.clone()))),
                ("status", Some(Node::text(update_status(e)))),
                ("updated_datetime", Some(datetime(e.at))),
                ("description", Some(Node::text(e.note.clone()))),
                ("media_url", Some(Node::text(""))),
                (
                    "external_status_code",
                    Some(Node::text(e.to_status.as_str())),
                ),
            ])
        })
        .collect();
    Ok((
        "service_request_updates",
        Node::List("request_update", items),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let a = Args::parse("first_name=%E4%B8%89&last_name=%E5%BC%A0".as_bytes()).expect("p");
        assert_eq!(reporter_name(&a).as_deref(), Some("张三"));
        let a = Args::parse(b"first_name=Ann&last_name=Lee").expect("p");
        assert_eq!(reporter_name(&a).as_deref(), Some("Ann Lee"));
        assert_eq!(reporter_name(&Args::default()), None);
    }
}
