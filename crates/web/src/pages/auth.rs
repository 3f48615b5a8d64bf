//! Login, logout, villager registration and the language / large-font switches.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xiangzhi_core::{accounts, clock, AppError};

use super::{attach_errors, render, FormField};
use crate::ctx::{Ctx, SESSION_COOKIE};
use crate::error::WebError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    c: &'a Ctx,
    error: Option<&'static str>,
    next: String,
    username: String,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// A safe local redirect target.
pub fn local_path(p: &str) -> String {
    if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && !p.contains("://") {
        p.to_string()
    } else {
        "/".into()
    }
}

pub async fn login_page(c: Ctx, Query(q): Query<NextQuery>) -> Response {
    if c.logged_in() {
        return Redirect::to("/").into_response();
    }
    render(
        &c,
        LoginPage {
            c: &c,
            error: None,
            next: local_path(&q.next),
            username: String::new(),
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    otp: String,
    #[serde(default)]
    next: String,
}

/// The Set-Cookie value of a browser session.
pub fn session_cookie(token: &str) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200")
}

pub async fn login_submit(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<LoginForm>,
) -> Response {
    let page_err = |code: &'static str, c: &Ctx, f: &LoginForm| {
        let mut r = render(
            c,
            LoginPage {
                c,
                error: Some(c.msg(code)),
                next: local_path(&f.next),
                username: f.username.clone(),
            },
        );
        *r.status_mut() = crate::error::status_of(&AppError::Unauthenticated(code));
        r
    };
    if c.check_csrf(&f.csrf).is_err() {
        return page_err("csrf", &c, &f);
    }
    if !st.allow_login(&c.source, clock::now_ms()) {
        let mut r = page_err("rate_limited", &c, &f);
        *r.status_mut() = crate::error::status_of(&AppError::RateLimited);
        return r;
    }
    match accounts::login(
        &st.core,
        &f.username,
        &f.password,
        &f.otp,
        "browser",
        Some(c.source.clone()),
    )
    .await
    {
        Ok(s) => {
            let mut r = Redirect::to(&local_path(&f.next)).into_response();
            if let Ok(v) = HeaderValue::from_str(&session_cookie(&s.token)) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(AppError::Unauthenticated(code)) => page_err(code, &c, &f),
        Err(e) => WebError::page(e, c.lang).into_response(),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    if let (Some(t), Ok(a)) = (&c.token, c.actor()) {
        accounts::logout(&st.core, a, t)
            .await
            .map_err(|e| c.err(e))?;
        st.forget_session(t);
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("xz_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(r)
}

#[derive(Deserialize)]
pub struct SettingQuery {
    #[serde(default)]
    to: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    back: String,
}

pub async fn set_lang(Query(q): Query<SettingQuery>) -> Response {
    let lang = if q.to == "en" { "en" } else { "zh" };
    let mut r = Redirect::to(&local_path(&q.back)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "lang={lang}; Path=/; SameSite=Lax; Max-Age=31536000"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

pub async fn set_large(Query(q): Query<SettingQuery>) -> Response {
    let on = if q.on == "1" { "1" } else { "0" };
    let mut r = Redirect::to(&local_path(&q.back)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "large={on}; Path=/; SameSite=Lax; Max-Age=31536000"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage<'a> {
    c: &'a Ctx,
    fields: Vec<FormField>,
    errors: Vec<xiangzhi_core::FieldError>,
    done: bool,
    phone: String,
    code_error: Option<&'static str>,
}

fn reg_fields(f: &RegisterForm) -> Vec<FormField> {
    vec![
        FormField {
            label: "p.name",
            ..FormField::text("name", f.name.clone())
        },
        FormField {
            label: "p.id_number",
            ..FormField::text("id_number", f.id_number.clone())
        },
        FormField {
            label: "p.phone",
            ..FormField::text("phone", f.phone.clone())
        },
        FormField {
            label: "login.password",
            ..FormField::text("password", "")
        },
    ]
}

#[derive(Deserialize, Default)]
pub struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    password: String,
}

pub async fn register_page(c: Ctx) -> Response {
    render(
        &c,
        RegisterPage {
            c: &c,
            fields: reg_fields(&RegisterForm::default()),
            errors: vec![],
            done: false,
            phone: String::new(),
            code_error: None,
        },
    )
}

pub async fn register_submit(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<RegisterForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    if !st.allow_login(&c.source, clock::now_ms()) {
        return Err(c.err(AppError::RateLimited));
    }
    let reg = accounts::Registration {
        name: f.name.clone(),
        id_number: f.id_number.clone(),
        phone: f.phone.clone(),
        password: f.password.clone(),
    };
    match accounts::register_villager(&st.core, &reg, Some(c.source.clone())).await {
        Ok(_) => Ok(render(
            &c,
            RegisterPage {
                c: &c,
                fields: vec![],
                errors: vec![],
                done: true,
                phone: f.phone.trim().to_string(),
                code_error: None,
            },
        )),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            let errors = e.fields();
            let mut fields = reg_fields(&f);
            attach_errors(&mut fields, &errors, c.lang);
            let mut r = render(
                &c,
                RegisterPage {
                    c: &c,
                    fields,
                    errors,
                    done: false,
                    phone: String::new(),
                    code_error: None,
                },
            );
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
        Err(e) => Err(c.err(e)),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    action: String,
}

pub async fn register_code(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    if !st.allow_login(&c.source, clock::now_ms()) {
        return Err(c.err(AppError::RateLimited));
    }
    let page = |code_error: Option<&'static str>| RegisterPage {
        c: &c,
        fields: vec![],
        errors: vec![],
        done: true,
        phone: f.phone.clone(),
        code_error,
    };
    if f.action == "send" {
        accounts::send_registration_code(&st.core, &f.phone)
            .await
            .map_err(|e| c.err(e))?;
        return Ok(render(&c, page(None)));
    }
    match accounts::verify_registration_code(&st.core, &f.phone, &f.code).await {
        Ok(()) => Ok(Redirect::to("/login").into_response()),
        Err(AppError::Validation(v)) => {
            let code = v.first().map(|e| e.code.clone()).unwrap_or_default();
            Ok(render(&c, page(Some(c.msg(&code)))))
        }
        Err(e) => Err(c.err(e)),
    }
}
