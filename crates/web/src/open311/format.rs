//! Output of the Open311 endpoints: one small document tree rendered either as XML or as JSON
//! (the "Spark convention": a list element becomes an array of its items, an element with
//! children becomes an object), and the spec's error body.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, SecondsFormat};
use xiangzhi_core::AppError;

/// The format a resource was asked for, chosen by its suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    Json,
    Xml,
}

impl Fmt {
    pub fn ext(self) -> &'static str {
        match self {
            Fmt::Json => "json",
            Fmt::Xml => "xml",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Fmt::Json => "application/json; charset=utf-8",
            Fmt::Xml => "text/xml; charset=utf-8",
        }
    }
}

/// Split `name.ext` into the name and the format; `None` for any other suffix.
pub fn split_file(file: &str) -> Option<(&str, Fmt)> {
    let (name, ext) = file.rsplit_once('.')?;
    let fmt = match ext {
        "json" => Fmt::Json,
        "xml" => Fmt::Xml,
        _ => return None,
    };
    Some((name, fmt))
}

/// A node of a response document.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// An element with children, in order; `None` values are left out.
    Obj(Vec<(&'static str, Option<Node>)>),
    /// A list of items; in XML each item is an element named by the first field.
    List(&'static str, Vec<Node>),
}

impl Node {
    pub fn text(s: impl Into<String>) -> Node {
        Node::Text(s.into())
    }

    fn to_json(&self) -> serde_json::Value {
        match self {
            Node::Text(s) => serde_json::Value::String(s.clone()),
            Node::Int(i) => serde_json::Value::from(*i),
            Node::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Node::Bool(b) => serde_json::Value::Bool(*b),
            Node::Obj(fields) => serde_json::Value::Object(
                fields
                    .iter()
                    .filter_map(|(k, v)| v.as_ref().map(|v| ((*k).to_string(), v.to_json())))
                    .collect(),
            ),
            Node::List(_, items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
        }
    }

    /// Append this node's content (not its own element) to `out`.
    fn write_xml(&self, out: &mut String) {
        match self {
            Node::Text(s) => escape_into(out, s),
            Node::Int(i) => out.push_str(&i.to_string()),
            Node::Float(f) if f.is_finite() => out.push_str(&f.to_string()),
            Node::Float(_) => {}
            Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Node::Obj(fields) => {
                for (k, v) in fields {
                    if let Some(v) = v {
                        element(out, k, v);
                    }
                }
            }
            Node::List(item, items) => {
                for v in items {
                    element(out, item, v);
                }
            }
        }
    }
}

fn element(out: &mut String, name: &str, v: &Node) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    v.write_xml(out);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Escape text for XML content or attribute values; characters XML 1.0 cannot carry are
/// dropped.
pub fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

/// The whole document: the root element `root` holding `node`.
pub fn render(fmt: Fmt, root: &str, node: &Node) -> String {
    match fmt {
        Fmt::Json => node.to_json().to_string(),
        Fmt::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
            element(&mut out, root, node);
            out.push('\n');
            out
        }
    }
}

/// A response with the format's content type.
pub fn respond(fmt: Fmt, status: StatusCode, root: &str, node: &Node) -> Response {
    let mut r = (status, render(fmt, root, node)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(fmt.content_type()),
    );
    r
}

/// A timestamp (ms since the epoch) in China time, RFC 3339 with an explicit offset.
pub fn datetime(ms: i64) -> Node {
    Node::Text(format_ms(ms))
}

pub fn format_ms(ms: i64) -> String {
    let Some(utc) = DateTime::from_timestamp_millis(ms) else {
        return String::new();
    };
    utc.with_timezone(&china())
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// UTC+08:00.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("a valid offset")
}

/// A failed call: the HTTP status and the spec's list of `error` {`code`, `description`}.
#[derive(Debug)]
pub struct Failure {
    pub status: StatusCode,
    pub errors: Vec<String>,
}

impl Failure {
    pub fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Failure {
            status,
            errors: vec![description.into()],
        }
    }

    pub fn bad(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, description)
    }

    pub fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, description)
    }

    pub fn forbidden(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, description)
    }

    /// Several 400 errors at once.
    pub fn bad_many(errors: Vec<String>) -> Self {
        Failure {
            status: StatusCode::BAD_REQUEST,
            errors,
        }
    }

    pub fn respond(&self, fmt: Fmt) -> Response {
        let code = i64::from(self.status.as_u16());
        let items = self
            .errors
            .iter()
            .map(|d| {
                Node::Obj(vec![
                    ("code", Some(Node::Int(code))),
                    ("description", Some(Node::text(d.clone()))),
                ])
            })
            .collect();
        respond(fmt, self.status, "errors", &Node::List("error", items))
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound(what) => Failure::not_found(match what {
                "case_type" => "service_code: not found".to_string(),
                "case" => "service_request_id: not found".to_string(),
                other => format!("{other}: not found"),
            }),
            AppError::Forbidden | AppError::Unauthenticated(_) => {
                Failure::forbidden("api_key: not allowed")
            }
            AppError::Validation(fields) => {
                Failure::bad_many(fields.iter().map(ToString::to_string).collect())
            }
            AppError::Conflict { code, field } => Failure::bad(match field {
                Some(f) => format!("{f}: {code}"),
                None => code.to_string(),
            }),
            AppError::InvalidTransition(code) => Failure::bad(code),
            AppError::RateLimited => Failure::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            AppError::Internal(cause) => {
                let id = xiangzhi_core::crypto::random_token(6);
                tracing::error!(error_id = %id, "open311: internal error: {cause:#}");
                Failure::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("internal error (id {id})"),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_and_json_arrays() {
        let n = Node::List(
            "request",
            vec![Node::Obj(vec![
                ("service_request_id", Some(Node::text("2025-000001"))),
                ("description", Some(Node::text("<script>&'\"\u{1}"))),
                ("lat", None),
                ("ok", Some(Node::Bool(true))),
            ])],
        );
        let xml = render(Fmt::Xml, "service_requests", &n);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
        assert!(xml.contains(
            "<service_requests><request><service_request_id>2025-000001</service_request_id>\
             <description>&lt;script&gt;&amp;&apos;&quot;</description><ok>true</ok>\
             </request></service_requests>"
        ));
        let json: serde_json::Value =
            serde_json::from_str(&render(Fmt::Json, "service_requests", &n)).expect("json");
        assert_eq!(json[0]["service_request_id"], "2025-000001");
        assert!(json[0].get("lat").is_none());
    }

    #[test]
    fn china_time() {
        assert_eq!(format_ms(0), "1970-01-01T08:00:00+08:00");
        assert_eq!(split_file("a.b.json"), Some(("a.b", Fmt::Json)));
        assert_eq!(split_file("x.html"), None);
    }
}
