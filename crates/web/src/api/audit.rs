//! The audit log: browse (newest first) and verify the hash chain (audit administrator).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use xiangzhi_core::audit::{self, AuditFilter, AuditRecord};
use xiangzhi_core::authz::Permission;
use xiangzhi_core::AppError;

use super::{non_empty, query, ApiError, OrApi};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

/// One record of the audit chain.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditRecordOut {
    pub seq: i64,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_name: String,
    /// The villager a cadre acted for.
    pub on_behalf_of: Option<String>,
    /// Dotted action name: `person.create`, `person.reveal_id_number`, `user.login` …
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub area_code: Option<String>,
    pub source: Option<String>,
    /// SM3 digest of the record before the change.
    pub before_digest: Option<String>,
    /// SM3 digest of the record after the change.
    pub after_digest: Option<String>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditRecord> for AuditRecordOut {
    fn from(r: AuditRecord) -> Self {
        AuditRecordOut {
            seq: r.seq,
            at: r.at,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            on_behalf_of: r.on_behalf_of,
            action: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            area_code: r.area_code,
            source: r.source,
            before_digest: r.before_digest,
            after_digest: r.after_digest,
            detail: r.detail,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// A page of the log.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditRecordOut>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

/// Filters of the log.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Action prefix (`person.`, `user.login` …).
    #[serde(default)]
    pub action: String,
    /// Exact actor username.
    #[serde(default)]
    pub actor: String,
    /// Only records with a sequence number below this.
    pub before: Option<i64>,
    /// Records per page (1–1000, default 50).
    pub limit: Option<i64>,
}

/// Browse the audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", operation_id = "list_audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn list(
    State(st): State<AppState>,
    c: Ctx,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<AuditPage>, WebError> {
    let a = c.actor()?;
    a.require_any(Permission::AuditRead).or_api(&c)?;
    let q = query(&c, q)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(WebError::api(AppError::field("limit", "invalid"), c.lang));
    }
    let f = AuditFilter {
        action_prefix: non_empty(&q.action).map(str::to_string),
        actor: non_empty(&q.actor).map(str::to_string),
        object_id: None,
        before_seq: q.before,
        limit,
    };
    let rows = audit::list(&st.core.db, &f).await.or_api(&c)?;
    let next_before = if rows.len() as i64 == limit {
        rows.last().map(|r| r.seq)
    } else {
        None
    };
    Ok(Json(AuditPage {
        items: rows.into_iter().map(AuditRecordOut::from).collect(),
        next_before,
    }))
}

/// The outcome of walking the chain.
#[derive(Serialize, utoipa::ToSchema)]
pub struct VerifyOut {
    /// Records checked.
    pub records: i64,
    /// True when every hash and link checks out.
    pub intact: bool,
    /// What is wrong and where, when not intact.
    pub problem: Option<String>,
}

/// Walk the whole audit chain and recompute every hash.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", operation_id = "verify_audit",
    responses((status = 200, body = VerifyOut), (status = 401, body = ApiError),
        (status = 403, body = ApiError)))]
pub async fn verify(State(st): State<AppState>, c: Ctx) -> Result<Json<VerifyOut>, WebError> {
    let a = c.actor()?;
    a.require_any(Permission::AuditRead).or_api(&c)?;
    let r = audit::verify(&st.core.db)
        .await
        .map_err(AppError::from)
        .or_api(&c)?;
    Ok(Json(VerifyOut {
        records: r.records,
        intact: r.problem.is_none(),
        problem: r.problem,
    }))
}
