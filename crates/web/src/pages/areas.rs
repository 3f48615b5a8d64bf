//! The area tree and division-table import.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Response;
use xiangzhi_core::areas::{self, Area, AreaLevel};
use xiangzhi_core::authz::Permission;
use xiangzhi_core::tabular::{self, ImportMode, ImportReport};
use xiangzhi_core::AppError;

use super::{escape, render};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "areas.html")]
struct AreasPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    tree_html: String,
}

/// Draw the tree as nested lists; villages link to their households.
fn tree_html(c: &Ctx, areas: &[Area]) -> String {
    let mut out = String::from("<ul class=\"tree\">");
    let mut stack: Vec<String> = Vec::new();
    for a in areas {
        while let Some(top) = stack.last() {
            if a.parent_code.as_deref() == Some(top.as_str()) {
                break;
            }
            stack.pop();
            out.push_str("</ul></details></li>");
        }
        let label = format!(
            "{} <span class=\"muted num\">{}</span> <span class=\"badge neutral\">{}</span>",
            escape(&a.name),
            escape(&a.code),
            c.t(&format!("level.{}", a.level.as_str()))
        );
        let leaf = matches!(a.level, AreaLevel::Group | AreaLevel::Grid);
        if leaf {
            out.push_str(&format!("<li><span>{label}</span></li>"));
        } else {
            let open = if stack.is_empty() { " open" } else { "" };
            let link = if a.level == AreaLevel::Village {
                format!(
                    " <a href=\"/households?area={}\">{}</a>",
                    escape(&a.code),
                    c.t("nav.households")
                )
            } else {
                String::new()
            };
            out.push_str(&format!(
                "<li><details{open}><summary>{label}{link}</summary><ul>"
            ));
            stack.push(a.code.clone());
        }
    }
    for _ in stack {
        out.push_str("</ul></details></li>");
    }
    out.push_str("</ul>");
    out
}

pub async fn tree(State(st): State<AppState>, c: Ctx) -> Result<Response, WebError> {
    let a = c.actor()?;
    let list = areas::service::visible_tree(&st.core.db, a)
        .await
        .map_err(|e| c.err(e))?;
    Ok(render(
        &c,
        AreasPage {
            c: &c,
            flash: None,
            tree_html: tree_html(&c, &list),
        },
    ))
}

/// Read a multipart upload: (csrf, mode, file bytes).
pub async fn read_upload(
    c: &Ctx,
    mut mp: Multipart,
) -> Result<(String, ImportMode, Vec<u8>), WebError> {
    let mut csrf = String::new();
    let mut mode = ImportMode::AllOrNothing;
    let mut file = Vec::new();
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| c.err(AppError::field("file", "upload_too_large")))?
    {
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "mode" => mode = ImportMode::parse(&field.text().await.unwrap_or_default()),
            "file" => {
                file = field
                    .bytes()
                    .await
                    .map_err(|_| c.err(AppError::field("file", "upload_too_large")))?
                    .to_vec();
            }
            _ => {}
        }
    }
    if file.len() > tabular::MAX_UPLOAD {
        return Err(c.err(AppError::field("file", "upload_too_large")));
    }
    Ok((csrf, mode, file))
}

#[derive(Template)]
#[template(path = "import.html")]
pub struct ImportPage<'a> {
    pub c: &'a Ctx,
    pub flash: Option<String>,
    pub report: Option<ImportReport>,
    pub error: Option<String>,
    pub columns: String,
}

pub async fn import_divisions(
    State(st): State<AppState>,
    c: Ctx,
    mp: Multipart,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    if !a.can(Permission::AreaWrite) {
        return Err(c.err(AppError::Forbidden));
    }
    let (csrf, mode, bytes) = read_upload(&c, mp).await?;
    c.check_csrf(&csrf)?;
    st.forget_areas();
    let (report, error) = match tabular::read_table(&bytes) {
        Ok(sheet) => match areas::service::import(&st.core.db, a, &sheet, mode).await {
            Ok(r) => (Some(r), None),
            Err(e @ AppError::Validation(_)) => (None, Some(e)),
            Err(e) => return Err(c.err(e)),
        },
        Err(e) => (None, Some(e)),
    };
    Ok(render(
        &c,
        ImportPage {
            c: &c,
            flash: None,
            report,
            error: error.map(|e| {
                e.fields()
                    .iter()
                    .map(|f| c.msg(&f.code).to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
            columns: "代码, 名称, 级别, 上级代码, 启用日期".into(),
        },
    ))
}
