//! Server-rendered pages. Every handler: context → authorise (in the service) → render.

pub mod admin;
pub mod appraisal;
pub mod areas;
pub mod auth;
pub mod cases;
pub mod deliberation;
pub mod disclosure;
pub mod home;
pub mod levy;
pub mod outbound;
pub mod people;
pub mod public;
pub mod rules;
pub mod voice;

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use xiangzhi_core::{AppError, FieldError};

use crate::ctx::Ctx;
use crate::i18n::{self, Lang};

/// Render a template into a response (with the pre-login CSRF cookie when needed).
pub fn render<T: Template>(c: &Ctx, t: T) -> Response {
    match t.render() {
        Ok(html) => {
            let mut resp = Html(html).into_response();
            if c.set_csrf_cookie {
                if let Ok(v) = HeaderValue::from_str(&format!(
                    "{}={}; Path=/; HttpOnly; SameSite=Lax",
                    crate::ctx::CSRF_COOKIE,
                    c.csrf
                )) {
                    resp.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            resp
        }
        Err(e) => {
            tracing::error!("template error: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    c: &'a Ctx,
    status: u16,
    title: &'static str,
    message: String,
}

/// The friendly error page, in the user's language.
pub fn error_page(lang: Lang, status: StatusCode, err: &AppError) -> Response {
    let c = Ctx {
        lang,
        large: false,
        session: None,
        token: None,
        bearer: false,
        csrf: String::new(),
        set_csrf_cookie: false,
        source: String::new(),
        path: String::new(),
        is_api: false,
    };
    let title = i18n::t(lang, &format!("status.{}", status.as_u16()));
    let message = error_text(lang, err);
    let page = ErrorPage {
        c: &c,
        status: status.as_u16(),
        title,
        message,
    };
    let mut r = render(&c, page);
    *r.status_mut() = status;
    r
}

/// An error in the reader's language, with each field at fault and its reason.
pub fn error_text(lang: i18n::Lang, err: &AppError) -> String {
    let mut message = i18n::error_message(lang, err.code()).to_string();
    for f in err.fields() {
        message.push_str(&format!(
            " {}：{}",
            i18n::field_label(lang, &f.field),
            i18n::error_message(lang, &f.code)
        ));
    }
    message
}

/// One input of a generated form.
#[derive(Debug, Clone)]
pub struct FormField {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    pub kind: &'static str,
    pub readonly: bool,
    pub error: Option<String>,
}

impl FormField {
    pub fn text(name: &'static str, value: impl Into<String>) -> Self {
        FormField {
            name,
            label: name,
            value: value.into(),
            kind: "text",
            readonly: false,
            error: None,
        }
    }

    pub fn check(name: &'static str, on: bool) -> Self {
        FormField {
            kind: "checkbox",
            value: if on { "1".into() } else { String::new() },
            ..FormField::text(name, "")
        }
    }
}

/// Attach field errors to form fields (translated).
pub fn attach_errors(fields: &mut [FormField], errors: &[FieldError], lang: Lang) {
    for e in errors {
        if let Some(f) = fields.iter_mut().find(|f| f.name == e.field) {
            f.error = Some(i18n::error_message(lang, &e.code).to_string());
        }
    }
}

/// Number of pages for a total.
pub fn pages(total: i64, per_page: i64) -> i64 {
    ((total + per_page - 1) / per_page).max(1)
}

/// HTML-escape text (for the few fragments built outside templates).
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(ch),
        }
    }
    o
}

/// The villages in which the logged-in user holds `perm`: their own village, or the
/// villages of the township or county they are granted, by name.
pub async fn villages_with(
    st: &crate::state::AppState,
    c: &Ctx,
    perm: xiangzhi_core::authz::Permission,
) -> Result<Vec<(String, String)>, crate::error::WebError> {
    use xiangzhi_core::areas::AreaLevel;
    let a = c.actor()?;
    let mut out: Vec<(String, String)> = Vec::new();
    for g in &a.grants {
        if !xiangzhi_core::authz::role_permits(g.role, perm) {
            continue;
        }
        match g.area_level {
            AreaLevel::Village => out.push((g.area_code.clone(), g.area_name.clone())),
            AreaLevel::Township | AreaLevel::County => {
                let mut stack = vec![g.area_code.clone()];
                while let Some(code) = stack.pop() {
                    for ch in st.children(&code).await.map_err(|e| c.err(e))?.iter() {
                        match ch.level {
                            AreaLevel::Village => out.push((ch.code.clone(), ch.name.clone())),
                            AreaLevel::Township => stack.push(ch.code.clone()),
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out.sort();
    out.dedup_by(|x, y| x.0 == y.0);
    Ok(out)
}
