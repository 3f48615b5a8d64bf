//! Administration (users, roles), registrations awaiting a cadre, and the audit log.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xiangzhi_core::audit::{self, AuditFilter, AuditRecord, VerifyReport};
use xiangzhi_core::authz::{Permission, Role, ALL_ROLES};
use xiangzhi_core::{accounts, AppError};

use super::render;
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    error: Option<String>,
    secret: Option<String>,
    /// (username, display name, first role, status)
    users: Vec<(String, String, String, String)>,
    roles: Vec<&'static str>,
}

async fn users_page(
    st: &AppState,
    c: &Ctx,
    flash: Option<String>,
    error: Option<String>,
    secret: Option<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    if !(a.can(Permission::UsersManage) || a.can(Permission::RolesGrant)) {
        return Err(c.err(AppError::Forbidden));
    }
    let users = accounts::store::list_users(&st.core.db, 200)
        .await
        .map_err(|e| c.err(e))?
        .into_iter()
        .map(|(u, role)| {
            (
                u.username,
                u.display_name,
                role,
                format!("status.{}", u.status),
            )
        })
        .collect();
    Ok(render(
        c,
        UsersPage {
            c,
            flash,
            error,
            secret,
            users,
            roles: ALL_ROLES.iter().map(|r| r.as_str()).collect(),
        },
    ))
}

pub async fn users(State(st): State<AppState>, c: Ctx) -> Result<Response, WebError> {
    users_page(&st, &c, None, None, None).await
}

#[derive(Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    area_code: String,
}

fn describe(c: &Ctx, e: &AppError) -> String {
    let mut s = c.msg(e.code()).to_string();
    for f in e.fields() {
        s.push_str(&format!(" {}：{}", c.t(&f.field), c.msg(&f.code)));
    }
    s
}

async fn outcome(
    st: &AppState,
    c: &Ctx,
    r: Result<Option<String>, AppError>,
) -> Result<Response, WebError> {
    match r {
        Ok(secret) => users_page(st, c, Some(c.t("form.saved").to_string()), None, secret).await,
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::NotFound(_))) => {
            let msg = describe(c, &e);
            let mut resp = users_page(st, c, None, Some(msg), None).await?;
            *resp.status_mut() = crate::error::status_of(&e);
            Ok(resp)
        }
        Err(e) => Err(c.err(e)),
    }
}

pub async fn create_user(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<UserForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let r = accounts::create_user(
        &st.core,
        a,
        &accounts::NewUser {
            username: f.username,
            display_name: f.display_name,
            password: f.password,
            person_id: None,
            staff: true,
        },
    )
    .await
    .map(|_| None);
    outcome(&st, &c, r).await
}

async fn user_id(st: &AppState, username: &str) -> Result<String, AppError> {
    accounts::find_user(&st.core, username)
        .await?
        .map(|u| u.id)
        .ok_or_else(|| AppError::field("username", "not_found"))
}

pub async fn reset(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<UserForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let r = async {
        a.require_any(Permission::UsersManage)?;
        let id = user_id(&st, &f.username).await?;
        accounts::reset_password(&st.core, a, &id, &f.password).await?;
        st.forget_user(&id);
        Ok(None)
    }
    .await;
    outcome(&st, &c, r).await
}

pub async fn grant(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<UserForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let r = async {
        a.require_any(Permission::RolesGrant)?;
        let role = Role::parse(&f.role).ok_or_else(|| AppError::field("role", "role_invalid"))?;
        let id = user_id(&st, &f.username).await?;
        let out = accounts::grant_role(&st.core, a, &id, role, &f.area_code).await?;
        st.forget_user(&id);
        Ok(out.totp_secret)
    }
    .await;
    outcome(&st, &c, r).await
}

pub async fn unlock(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<UserForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let r = async {
        a.require_any(Permission::RolesGrant)?;
        let id = user_id(&st, &f.username).await?;
        accounts::unlock(&st.core, a, &id).await?;
        Ok(None)
    }
    .await;
    outcome(&st, &c, r).await
}

#[derive(Template)]
#[template(path = "pending.html")]
struct PendingPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    /// (user id, name, masked phone)
    rows: Vec<(String, String, String)>,
}

pub async fn pending(State(st): State<AppState>, c: Ctx) -> Result<Response, WebError> {
    let a = c.actor()?;
    let rows = accounts::pending_registrations(&st.core, a)
        .await
        .map_err(|e| c.err(e))?
        .into_iter()
        .map(|(u, _)| {
            (
                u.id,
                u.display_name,
                xiangzhi_core::crypto::mask_phone(&u.username),
            )
        })
        .collect();
    Ok(render(
        &c,
        PendingPage {
            c: &c,
            flash: None,
            rows,
        },
    ))
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn confirm(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    accounts::confirm_registration(&st.core, a, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Redirect::to("/accounts/pending").into_response())
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    rows: Vec<AuditRecord>,
    action: String,
    actor: String,
    next_before: Option<i64>,
    verify: Option<VerifyReport>,
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    before: Option<i64>,
    #[serde(default)]
    verify: Option<String>,
}

fn filter(q: &AuditQuery, limit: i64) -> AuditFilter {
    AuditFilter {
        action_prefix: Some(q.action.trim().to_string()).filter(|s| !s.is_empty()),
        actor: Some(q.actor.trim().to_string()).filter(|s| !s.is_empty()),
        object_id: None,
        before_seq: q.before,
        limit,
    }
}

pub async fn audit_log(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    a.require_any(Permission::AuditRead).map_err(|e| c.err(e))?;
    let rows = audit::list(&st.core.db, &filter(&q, 50))
        .await
        .map_err(|e| c.err(e))?;
    let next_before = (rows.len() == 50)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    let verify = if q.verify.is_some() {
        Some(
            audit::verify(&st.core.db)
                .await
                .map_err(|e| c.err(e.into()))?,
        )
    } else {
        None
    };
    Ok(render(
        &c,
        AuditPage {
            c: &c,
            flash: None,
            rows,
            action: q.action,
            actor: q.actor,
            next_before,
            verify,
        },
    ))
}

fn csv_cell(s: &str) -> String {
    // Quote always; neutralise spreadsheet formulas.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Export the (filtered) log as CSV, newest first, up to 100,000 records.
pub async fn audit_export(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    a.require_any(Permission::AuditRead).map_err(|e| c.err(e))?;
    let rows = audit::list(&st.core.db, &filter(&q, 100_000))
        .await
        .map_err(|e| c.err(e))?;
    let mut out = String::from("\u{feff}seq,time,actor,on_behalf_of,action,object_type,object_id,area,source,before,after,detail,prev_hash,hash\n");
    for r in &rows {
        let cells = [
            r.seq.to_string(),
            xiangzhi_core::clock::format_ms(r.at),
            r.actor_name.clone(),
            r.on_behalf_of.clone().unwrap_or_default(),
            r.action.clone(),
            r.object_type.clone(),
            r.object_id.clone(),
            r.area_code.clone().unwrap_or_default(),
            r.source.clone().unwrap_or_default(),
            r.before_digest.clone().unwrap_or_default(),
            r.after_digest.clone().unwrap_or_default(),
            r.detail.clone(),
            r.prev_hash.clone(),
            r.hash.clone(),
        ];
        out.push_str(
            &cells
                .iter()
                .map(|s| csv_cell(s))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    // Exporting the log is itself recorded.
    let mut tx = st
        .core
        .db
        .write
        .begin()
        .await
        .map_err(|e| c.err(e.into()))?;
    audit::record(
        &mut tx,
        a,
        audit::Entry::new("audit.export", "audit", "*").detail(format!("{} records", rows.len())),
    )
    .await
    .map_err(|e| c.err(e))?;
    tx.commit().await.map_err(|e| c.err(e.into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}
