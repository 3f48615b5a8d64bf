//! Archive packages of finished village matters (R-ARC-1): the ZIP itself, its manifest as
//! JSON, and making the package by hand for a matter finished before packages existed (the
//! sweep in `serve` does the same). Every download is audited by the core.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use xiangzhi_core::archive::{self, manifest, Package};
use xiangzhi_core::{clock, AppError};

use super::{no_store, path, ApiError, OrApi};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

/// The record of an archive package.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PackageOut {
    pub id: String,
    pub matter_id: String,
    /// SM3 of the ZIP (hex).
    pub digest: String,
    pub size: i64,
    /// SM3 of `manifest.json` inside it.
    pub manifest_digest: String,
    /// The classification code in the village archive, e.g. `WS·村务决策`.
    pub classification: String,
    /// `永久`, `30年` or `10年`.
    pub retention: String,
    pub created_by: String,
    pub created_at: i64,
}

impl From<Package> for PackageOut {
    fn from(p: Package) -> Self {
        PackageOut {
            id: p.id,
            matter_id: p.matter_id,
            digest: p.digest,
            size: p.size,
            manifest_digest: p.manifest_digest,
            classification: p.classification,
            retention: p.retention,
            created_by: p.created_by,
            created_at: p.created_at,
        }
    }
}

/// The archive package of a finished matter as a ZIP (`manifest.json`, `record.html`); its
/// SM3 is checked before it is sent and given in `X-Content-SM3`.
#[utoipa::path(get, path = "/api/v1/matters/{id}/archive", tag = "decisions", operation_id = "matter_archive",
    params(("id" = String, Path)),
    responses((status = 200, content_type = "application/zip", body = Vec<u8>),
        (status = 404, body = ApiError)))]
pub async fn download(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let (p, bytes) = archive::download(&st.core, a, &id).await.or_api(&c)?;
    Ok(zip_response(&p, bytes))
}

/// The ZIP with a name made of the package id, and its digest.
pub fn zip_response(p: &Package, bytes: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"archive-{}.zip\"", p.matter_id);
    no_store(
        (
            [
                (header::CONTENT_TYPE, "application/zip".to_string()),
                (header::CONTENT_DISPOSITION, disposition),
                (
                    header::HeaderName::from_static("x-content-sm3"),
                    p.digest.clone(),
                ),
            ],
            bytes,
        )
            .into_response(),
    )
}

/// The manifest of a matter's archive package (read out of the checked ZIP; audited as a
/// download).
#[utoipa::path(get, path = "/api/v1/matters/{id}/archive/manifest", tag = "decisions", operation_id = "matter_archive_manifest",
    params(("id" = String, Path)),
    responses((status = 200, body = Object, description = "the package's manifest.json"),
        (status = 404, body = ApiError)))]
pub async fn manifest_json(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let (_, bytes) = archive::download(&st.core, a, &id).await.or_api(&c)?;
    let json = manifest::read_file(&bytes, manifest::MANIFEST)
        .map_err(AppError::Internal)
        .or_api(&c)?;
    Ok(no_store(
        ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
    ))
}

/// Make the archive package of a finished matter now (cadres and township staff of the
/// area). Refused when the matter is not finished or already has its package.
#[utoipa::path(post, path = "/api/v1/matters/{id}/archive", tag = "decisions", operation_id = "produce_matter_archive",
    params(("id" = String, Path)),
    responses((status = 201, body = PackageOut), (status = 404, body = ApiError),
        (status = 409, body = ApiError)))]
pub async fn produce(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let p = archive::produce(&st.core, a, &id, clock::now_ms())
        .await
        .or_api(&c)?;
    Ok((StatusCode::CREATED, Json(PackageOut::from(p))).into_response())
}
