//! The people 台账 as XLSX: import with a row-by-row report, and a masked export.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use xiangzhi_core::authz::Permission;
use xiangzhi_core::people::xlsx;
use xiangzhi_core::tabular::{ImportMode, ImportReport, MAX_UPLOAD};
use xiangzhi_core::AppError;

use super::{no_store, non_empty, query, ApiError, OrApi};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

/// The media type of XLSX files.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The raw bytes of an XLSX workbook.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct XlsxFile(pub Vec<u8>);

/// One bad cell of an import.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RowErrorOut {
    /// 1-based spreadsheet row (the header is row 1).
    pub row: usize,
    pub field: String,
    pub code: String,
}

/// The outcome of an import.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportReportOut {
    /// Non-empty data rows.
    pub total_rows: usize,
    pub imported: usize,
    pub errors: Vec<RowErrorOut>,
    /// True when nothing was written because of errors in `all` mode.
    pub rolled_back: bool,
}

impl From<ImportReport> for ImportReportOut {
    fn from(r: ImportReport) -> Self {
        ImportReportOut {
            total_rows: r.total_rows,
            imported: r.imported,
            errors: r
                .errors
                .into_iter()
                .map(|e| RowErrorOut {
                    row: e.row,
                    field: e.field,
                    code: e.code,
                })
                .collect(),
            rolled_back: r.rolled_back,
        }
    }
}

/// How to treat bad rows.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `all` (default): import nothing unless every row is valid; `valid_only`: import the
    /// valid rows and report the rest.
    #[serde(default)]
    pub mode: String,
}

fn mode(s: &str) -> Result<ImportMode, AppError> {
    match s.trim() {
        "" | "all" => Ok(ImportMode::AllOrNothing),
        "valid_only" => Ok(ImportMode::ValidRowsOnly),
        _ => Err(AppError::field("mode", "invalid")),
    }
}

/// Import people from an XLSX 台账 sent as the request body.
#[utoipa::path(post, path = "/api/v1/people/import", tag = "people", params(ImportQuery),
    request_body(content = XlsxFile, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = ImportReportOut, description = "imported"),
        (status = 422, body = ImportReportOut, description = "rolled back: bad rows in `all` mode (or an `ApiError` for an unreadable file)"),
        (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn import(
    State(st): State<AppState>,
    c: Ctx,
    q: Result<Query<ImportQuery>, QueryRejection>,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    a.require_any(Permission::PeopleImport).or_api(&c)?;
    let q = query(&c, q)?;
    let mode = mode(&q.mode).or_api(&c)?;
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    if !matches!(
        ctype.as_deref(),
        None | Some(XLSX) | Some("application/octet-stream")
    ) {
        return Err(WebError::api(
            AppError::field("file", "upload_not_xlsx"),
            c.lang,
        ));
    }
    let bytes =
        bytes.map_err(|_| WebError::api(AppError::field("file", "upload_too_large"), c.lang))?;
    if bytes.len() > MAX_UPLOAD {
        return Err(WebError::api(
            AppError::field("file", "upload_too_large"),
            c.lang,
        ));
    }
    let report = xlsx::import_bytes(&st.core, a, &bytes, mode)
        .await
        .or_api(&c)?;
    let status = if report.rolled_back {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(ImportReportOut::from(report))).into_response())
}

/// The area to export.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Area or grid code; the user's first area when empty.
    #[serde(default)]
    pub area: String,
}

/// Export the people of an area as XLSX (identifiers masked; audited).
#[utoipa::path(get, path = "/api/v1/people/export", tag = "people", params(ExportQuery),
    responses((status = 200, body = XlsxFile, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn export(
    State(st): State<AppState>,
    c: Ctx,
    q: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let q = query(&c, q)?;
    let bytes = xlsx::export(&st.core, a, non_empty(&q.area))
        .await
        .or_api(&c)?;
    Ok(no_store(
        (
            [
                (header::CONTENT_TYPE, XLSX),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"people.xlsx\"",
                ),
            ],
            bytes,
        )
            .into_response(),
    ))
}
