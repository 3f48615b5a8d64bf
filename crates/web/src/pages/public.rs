//! The public portal under `/public/`: no login, readable on a phone. A county's villages, a
//! village's disclosures and resolutions by year, each publication's online copy with its
//! SM3 digest and a re-check anyone can run, the canonical text behind the digest, and a
//! printable A4/A3 notice with a QR code that opens the online copy.
//!
//! Pages for visitors without a session are rendered once and served from a cache that a
//! release, an objection or an answer invalidates (and that lives two seconds at most).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use xiangzhi_core::areas::code::AreaLevel;
use xiangzhi_core::disclosure::service::{self as disc, PublicCopy, PublicVillage, Recheck};
use xiangzhi_core::disclosure::store::PublicRow;
use xiangzhi_core::{clock, AppError};

use super::render;
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

/// Serve from the anonymous page cache, or render and remember.
async fn cached<F, Fut>(st: &AppState, c: &Ctx, key: String, make: F) -> Result<Response, WebError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Response, WebError>>,
{
    // Pages for a logged-in person carry their CSRF token and name: never shared.
    if c.logged_in() {
        return make().await;
    }
    let key = format!("{key}|{}|{}", c.is_en(), c.large);
    let generation = st.core.disclosure_generation.load(Ordering::Relaxed);
    let now = clock::now_ms();
    if let crate::state::PageLookup::Serve(html) = st.public_pages.lookup(&key, generation, now) {
        return Ok(html_response(html.as_str().to_owned()));
    }
    let resp = make().await?;
    if resp.status() != StatusCode::OK {
        return Ok(resp);
    }
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 4 * 1024 * 1024)
        .await
        .map_err(|e| c.err(AppError::Internal(anyhow::anyhow!("{e}"))))?;
    let html = String::from_utf8_lossy(&bytes).into_owned();
    st.public_pages
        .put(key, generation, now, Arc::new(html.clone()));
    let mut r = Html(html).into_response();
    *r.headers_mut() = parts.headers;
    Ok(r)
}

fn html_response(html: String) -> Response {
    let mut r = Html(html).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=60"),
    );
    r
}

pub struct VillageLink {
    pub code: String,
    pub name: String,
}

pub struct TownshipGroup {
    pub name: String,
    pub villages: Vec<VillageLink>,
}

#[derive(Template)]
#[template(path = "public/index.html")]
struct IndexPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    county: String,
    townships: Vec<TownshipGroup>,
}

/// `/public/`: every county's villages, by township.
pub async fn index(State(st): State<AppState>, c: Ctx) -> Result<Response, WebError> {
    let st2 = st.clone();
    let c2 = c.clone();
    cached(&st, &c, "/public/".into(), || async move {
        let roots = xiangzhi_core::areas::store::counties(&st2.core.db)
            .await
            .map_err(|e| c2.err(e))?;
        let mut county = String::new();
        let mut townships = Vec::new();
        for root in roots {
            county = root.name.clone();
            let all = xiangzhi_core::areas::store::subtree(
                &st2.core.db,
                root.code.get(..6).unwrap_or(""),
                false,
            )
            .await
            .map_err(|e| c2.err(e))?;
            for t in all.iter().filter(|a| a.level == AreaLevel::Township) {
                let prefix = t.code.get(..9).unwrap_or("");
                townships.push(TownshipGroup {
                    name: t.name.clone(),
                    villages: all
                        .iter()
                        .filter(|a| a.level == AreaLevel::Village && a.code.starts_with(prefix))
                        .map(|a| VillageLink {
                            code: a.code.clone(),
                            name: a.name.clone(),
                        })
                        .collect(),
                });
            }
        }
        Ok(render(
            &c2,
            IndexPage {
                c: &c2,
                flash: None,
                county,
                townships,
            },
        ))
    })
    .await
}

#[derive(Deserialize)]
pub struct YearQuery {
    #[serde(default)]
    pub year: Option<i32>,
}

pub struct Row {
    pub id: String,
    pub title: String,
    pub item: String,
    pub period: String,
    pub date: String,
    pub digest: String,
    pub objections_open: i64,
}

#[derive(Template)]
#[template(path = "public/village.html")]
struct VillagePage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    v: PublicVillage,
    resolutions: Vec<Row>,
    affairs: Vec<Row>,
}

fn row(v: &PublicVillage, p: &PublicRow, en: bool) -> Row {
    let item = v
        .items
        .iter()
        .find(|i| i.0 == p.item_code)
        .map(|i| if en { i.2.clone() } else { i.1.clone() })
        .unwrap_or_else(|| p.item_code.clone());
    Row {
        id: p.id.clone(),
        title: p.title.clone(),
        item,
        period: p.period.clone(),
        date: clock::format_ms(p.released_at)
            .get(..10)
            .unwrap_or("")
            .to_string(),
        digest: p.hash.get(..12).unwrap_or("").to_string(),
        objections_open: v
            .objections
            .iter()
            .find(|o| o.0 == p.id)
            .map(|o| o.2)
            .unwrap_or(0),
    }
}

/// `/public/villages/{code}`: a village's publications of one year, resolutions first.
pub async fn village(
    State(st): State<AppState>,
    c: Ctx,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> Result<Response, WebError> {
    if code.len() != 12 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(c.err(AppError::NotFound("area")));
    }
    let key = format!("/public/villages/{code}?{:?}", q.year);
    let st2 = st.clone();
    let c2 = c.clone();
    cached(&st, &c, key, || async move {
        let v = disc::public_village(&st2.core, &code, q.year)
            .await
            .map_err(|e| c2.err(e))?;
        let en = c2.is_en();
        let (mut resolutions, mut affairs) = (Vec::new(), Vec::new());
        for p in &v.publications {
            if p.item_code == "resolutions" {
                resolutions.push(row(&v, p, en));
            } else {
                affairs.push(row(&v, p, en));
            }
        }
        Ok(render(
            &c2,
            VillagePage {
                c: &c2,
                flash: None,
                v,
                resolutions,
                affairs,
            },
        ))
    })
    .await
}

/// `/public/mine`: a villager's own village board.
pub async fn mine(c: Ctx) -> Result<Response, WebError> {
    let a = c.actor()?;
    let village = a
        .grants
        .iter()
        .map(|g| g.area_code.get(..12).unwrap_or(""))
        .find(|s| s.len() == 12)
        .unwrap_or("")
        .to_string();
    if village.ends_with("000") {
        return Ok(Redirect::to("/public/").into_response());
    }
    Ok(Redirect::to(&format!("/public/villages/{village}")).into_response())
}

#[derive(Template)]
#[template(path = "public/publication.html")]
struct PublicationPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    p: PublicCopy,
    released: String,
    check: Option<Recheck>,
    can_object: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct CheckQuery {
    #[serde(default)]
    pub check: Option<String>,
    #[serde(default)]
    pub sent: Option<String>,
}

/// `/public/publications/{id}`: the online copy with its digest; `?check=1` re-checks it.
pub async fn publication(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Query(q): Query<CheckQuery>,
) -> Result<Response, WebError> {
    let now = clock::now_ms();
    let p = disc::public_copy(&st.core, &id, now)
        .await
        .map_err(|e| c.err(e))?;
    let check = match q.check {
        Some(_) => Some(disc::recheck(&st.core, &id).await.map_err(|e| c.err(e))?),
        None => None,
    };
    let can_object = p.objection_open && c.logged_in();
    let released = c.time(&p.publication.released_at.unwrap_or(0));
    Ok(render(
        &c,
        PublicationPage {
            flash: q.sent.map(|_| c.t("public.object_sent").to_string()),
            c: &c,
            p,
            released,
            check,
            can_object,
            error: None,
        },
    ))
}

#[derive(Deserialize)]
pub struct ObjectForm {
    pub csrf: String,
    #[serde(default)]
    pub text: String,
}

/// `POST /public/publications/{id}/object`: a villager objects (logged in, within the window).
pub async fn object(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ObjectForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let now = clock::now_ms();
    match disc::object(&st.core, a, &id, &f.text, now).await {
        Ok(_) => Ok(Redirect::to(&format!("/public/publications/{id}?sent=1")).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::InvalidTransition(_))) => {
            let p = disc::public_copy(&st.core, &id, now)
                .await
                .map_err(|e| c.err(e))?;
            let released = c.time(&p.publication.released_at.unwrap_or(0));
            let error = Some(super::cases::error_text(&c, &e));
            let mut r = render(
                &c,
                PublicationPage {
                    c: &c,
                    flash: None,
                    can_object: p.objection_open,
                    p,
                    released,
                    check: None,
                    error,
                },
            );
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(c.err(e)),
    }
}

/// `/public/publications/{id}/canonical.txt`: the exact bytes the digest covers.
pub async fn canonical(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let text = disc::canonical_text(&st.core, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "inline"),
        ],
        text,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "public/print.html")]
struct PrintPage<'a> {
    c: &'a Ctx,
    p: PublicCopy,
    size: &'static str,
    released: String,
    qr: String,
    url: String,
}

#[derive(Deserialize, Default)]
pub struct PrintQuery {
    #[serde(default)]
    pub size: Option<String>,
}

/// `/public/publications/{id}/print?size=a4|a3`: the notice for the village board, with a QR
/// code that opens the online copy.
pub async fn print(
    State(st): State<AppState>,
    c: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PrintQuery>,
) -> Result<Response, WebError> {
    let p = disc::public_copy(&st.core, &id, clock::now_ms())
        .await
        .map_err(|e| c.err(e))?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ".-:[]".contains(ch))
        })
        .unwrap_or("127.0.0.1:8080");
    let url = format!("http://{host}/public/publications/{id}");
    let qr = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map(|code| {
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(160, 160)
                .quiet_zone(true)
                .build()
        })
        .map_err(|e| c.err(AppError::Internal(anyhow::anyhow!("qr: {e}"))))?;
    // Keep only the <svg> element (drop the XML prolog) to inline it.
    let qr = qr.find("<svg").map(|i| qr[i..].to_string()).unwrap_or(qr);
    let size = if q.size.as_deref() == Some("a3") {
        "a3"
    } else {
        "a4"
    };
    let released = c.time(&p.publication.released_at.unwrap_or(0));
    Ok(render(
        &c,
        PrintPage {
            c: &c,
            p,
            size,
            released,
            qr,
            url,
        },
    ))
}
