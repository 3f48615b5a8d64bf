//! Staff pages of 村务公开: drafts in review, what is overdue, open objections, the
//! catalogue; one publication with the supervisors' review, release and answers.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use xiangzhi_core::authz::Permission;
use xiangzhi_core::disclosure::posting::{self, NewPosting, Unposted};
use xiangzhi_core::disclosure::rules::Item;
use xiangzhi_core::disclosure::service::{self as disc, NewPublication, Overdue};
use xiangzhi_core::disclosure::store::{Objection, Posting, Publication};
use xiangzhi_core::{clock, AppError};

use super::cases::{error_text, local_ms};
use super::deliberation::DoneQuery;
use super::render;
use crate::ctx::Ctx;
use crate::error::{status_of, WebError};
use crate::state::AppState;

fn refusable(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Validation(_) | AppError::InvalidTransition(_) | AppError::Conflict { .. }
    )
}

pub fn status_badge(s: &str) -> &'static str {
    match s {
        "released" => "success",
        "returned" => "danger",
        "approved" => "info",
        _ => "warning",
    }
}

#[derive(Template)]
#[template(path = "deliberation/disclosure.html")]
struct DisclosurePage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    drafts: Vec<Publication>,
    released: Vec<Publication>,
    overdue: Vec<Overdue>,
    unposted: Vec<Unposted>,
    items: Vec<Item>,
    village: String,
    form: DraftForm,
    errors: Vec<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct DraftForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub area_code: String,
    #[serde(default)]
    pub item_code: String,
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub content: String,
}

async fn page(
    st: &AppState,
    c: &Ctx,
    flash: Option<String>,
    form: DraftForm,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let now = clock::now_ms();
    let all = disc::list(&st.core, a, "", 300)
        .await
        .map_err(|e| c.err(e))?;
    let (released, drafts): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|p| p.status == "released");
    let overdue = disc::overdue(&st.core, a, now)
        .await
        .map_err(|e| c.err(e))?;
    let unposted = posting::unposted(&st.core, a, now)
        .await
        .map_err(|e| c.err(e))?;
    // The village whose catalogue is shown: the user's own village, if they have one.
    let village = a
        .grants
        .iter()
        .map(|g| g.area_code.clone())
        .find(|code| code.len() == 12 && !code.ends_with("000"))
        .unwrap_or_default();
    let items = if village.is_empty() {
        Vec::new()
    } else {
        disc::catalogue(&st.core, a, &village)
            .await
            .map_err(|e| c.err(e))?
    };
    let bad = !errors.is_empty();
    let mut r = render(
        c,
        DisclosurePage {
            c,
            flash,
            drafts,
            released: released.into_iter().take(50).collect(),
            overdue,
            unposted,
            items,
            village,
            form,
            errors,
        },
    );
    if bad {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// `/disclosure`: the desk of 村务公开.
pub async fn index(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let flash = q.done.map(|_| c.t("flash.saved").to_string());
    page(&st, &c, flash, DraftForm::default(), Vec::new()).await
}

/// POST `/disclosure`: a publication typed by hand (flagged to the supervisors).
pub async fn create(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<DraftForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let n = NewPublication {
        area_code: f.area_code.clone(),
        item_code: f.item_code.clone(),
        period: f.period.clone(),
        title: f.title.clone(),
        body: f.content.clone(),
    };
    match disc::draft_manual(&st.core, a, n, clock::now_ms()).await {
        Ok(p) => Ok(Redirect::to(&format!("/disclosure/{}?done=1", p.id)).into_response()),
        Err(e) if refusable(&e) => {
            let errs = vec![error_text(&c, &e)];
            page(&st, &c, None, f, errs).await
        }
        Err(e) => Err(c.err(e)),
    }
}

#[derive(Template)]
#[template(path = "deliberation/publication.html")]
struct PublicationPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    p: Publication,
    objections: Vec<Objection>,
    postings: Vec<Posting>,
    /// Released without a posting photo past the county's allowance: days past it.
    unposted_days: Option<i64>,
    can_review: bool,
    can_manage: bool,
    error: Option<String>,
}

async fn one(
    st: &AppState,
    c: &Ctx,
    id: &str,
    flash: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let (p, objections) = disc::get(&st.core, a, id).await.map_err(|e| c.err(e))?;
    let postings = posting::list(&st.core, a, id).await.map_err(|e| c.err(e))?;
    let unposted_days = posting::days_unposted(&st.core, &p, &postings, clock::now_ms())
        .await
        .map_err(|e| c.err(e))?;
    let can_review = a
        .scope(Permission::DisclosureReview)
        .covers_area(&p.area_code);
    let can_manage = a
        .scope(Permission::DisclosureManage)
        .covers_area(&p.area_code);
    Ok(render(
        c,
        PublicationPage {
            c,
            flash,
            p,
            objections,
            postings,
            unposted_days,
            can_review,
            can_manage,
            error,
        },
    ))
}

pub async fn show(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let flash = q.done.map(|_| c.t("flash.saved").to_string());
    one(&st, &c, &id, flash, None).await
}

#[derive(Deserialize)]
pub struct ActForm {
    pub csrf: String,
    pub action: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub objection_id: String,
}

/// POST `/disclosure/{id}/act`: approve, return, revise, release, answer an objection.
pub async fn act(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let now = clock::now_ms();
    let r = match f.action.as_str() {
        "approve" => disc::review(&st.core, a, &id, true, &f.note, now)
            .await
            .map(|_| ()),
        "return" => disc::review(&st.core, a, &id, false, &f.note, now)
            .await
            .map(|_| ()),
        "revise" => disc::revise(&st.core, a, &id, &f.title, &f.content, now)
            .await
            .map(|_| ()),
        "release" => disc::release(&st.core, a, &id, now).await.map(|_| ()),
        "answer" => disc::answer(&st.core, a, &f.objection_id, &f.note, now).await,
        _ => Err(AppError::field("action", "invalid")),
    };
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/disclosure/{id}?done=1")).into_response()),
        Err(e) if refusable(&e) => {
            let msg = error_text(&c, &e);
            let mut resp = one(&st, &c, &id, None, Some(msg)).await?;
            *resp.status_mut() = status_of(&e);
            Ok(resp)
        }
        Err(e) => Err(c.err(e)),
    }
}

#[derive(Deserialize)]
pub struct ItemForm {
    pub csrf: String,
    pub area_code: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name_zh: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub frequency: String,
    #[serde(default)]
    pub event_days: String,
    #[serde(default)]
    pub villagers_signed: String,
    #[serde(default)]
    pub representatives_signed: String,
}

/// POST `/disclosure/items`: a village adds an item (on its own or on villagers' demand).
pub async fn add_item(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<ItemForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let num = |s: &str, field: &'static str| -> Result<i64, AppError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(0);
        }
        s.parse::<i64>()
            .map_err(|_| AppError::field(field, "not_a_number"))
    };
    let r = match (
        num(&f.event_days, "event_days"),
        num(&f.villagers_signed, "villagers_signed"),
        num(&f.representatives_signed, "villagers_signed"),
    ) {
        (Ok(days), Ok(v), Ok(r)) => disc::add_item(
            &st.core,
            a,
            &f.area_code,
            disc::NewItem {
                code: f.code,
                name_zh: f.name_zh,
                name_en: f.name_en,
                event_days: if f.frequency == "event" { days } else { 0 },
                frequency: f.frequency,
                legal_basis: String::new(),
                villagers_signed: v,
                representatives_signed: r,
            },
            clock::now_ms(),
        )
        .await
        .map(|_| ()),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Err(e),
    };
    match r {
        Ok(()) => Ok(Redirect::to("/disclosure?done=1").into_response()),
        Err(e) if refusable(&e) => {
            let errs = vec![error_text(&c, &e)];
            page(&st, &c, None, DraftForm::default(), errs).await
        }
        Err(e) => Err(c.err(e)),
    }
}

/// POST `/disclosure/{id}/postings`: a photo of the released notice on the village board
/// (multipart: `csrf`, `place`, `posted_at` as `datetime-local`, optional `lat`/`lon`,
/// `photo`).
pub async fn add_posting(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    mut mp: axum::extract::Multipart,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let mut csrf = String::new();
    let mut n = NewPosting::default();
    let (mut posted_at, mut lat, mut lon) = (String::new(), String::new(), String::new());
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| c.err(AppError::field("photo", "upload_too_large")))?
    {
        match field.name().unwrap_or("") {
            "photo" => {
                n.photo_name = field.file_name().unwrap_or("").to_string();
                n.photo = field
                    .bytes()
                    .await
                    .map_err(|_| c.err(AppError::field("photo", "upload_too_large")))?
                    .to_vec();
            }
            name => {
                let name = name.to_string();
                let v = field.text().await.unwrap_or_default();
                match name.as_str() {
                    "csrf" => csrf = v,
                    "place" => n.place = v,
                    "posted_at" => posted_at = v,
                    "lat" => lat = v,
                    "lon" => lon = v,
                    _ => {}
                }
            }
        }
    }
    c.check_csrf(&csrf)?;
    let r = match parse_posting_fields(&posted_at, &lat, &lon) {
        Ok((t, la, lo)) => {
            n.posted_at = t;
            n.lat = la;
            n.lon = lo;
            posting::record(&st.core, a, &id, n, clock::now_ms())
                .await
                .map(|_| ())
        }
        Err(e) => Err(e),
    };
    posting_done(&st, &c, &id, r).await
}

/// When it was posted, latitude, longitude: each optional.
type TimeAndPosition = (Option<i64>, Option<f64>, Option<f64>);

/// The optional time and position typed on the posting form.
fn parse_posting_fields(
    posted_at: &str,
    lat: &str,
    lon: &str,
) -> Result<TimeAndPosition, AppError> {
    let t = match posted_at.trim() {
        "" => None,
        s => Some(local_ms(s).ok_or_else(|| AppError::field("posted_at", "invalid"))?),
    };
    let num = |s: &str| -> Result<Option<f64>, AppError> {
        match s.trim() {
            "" => Ok(None),
            s => s
                .parse::<f64>()
                .map(Some)
                .map_err(|_| AppError::field("lat", "invalid")),
        }
    };
    Ok((t, num(lat)?, num(lon)?))
}

async fn posting_done(
    st: &AppState,
    c: &Ctx,
    publication: &str,
    r: Result<(), AppError>,
) -> Result<Response, WebError> {
    match r {
        Ok(()) => {
            Ok(Redirect::to(&format!("/disclosure/{publication}?done=1#postings")).into_response())
        }
        Err(e) if refusable(&e) => {
            let msg = error_text(c, &e);
            let mut resp = one(st, c, publication, None, Some(msg)).await?;
            *resp.status_mut() = status_of(&e);
            Ok(resp)
        }
        Err(e) => Err(c.err(e)),
    }
}

#[derive(Deserialize)]
pub struct TakeDownForm {
    pub csrf: String,
    pub publication_id: String,
    #[serde(default)]
    pub note: String,
}

/// POST `/disclosure/postings/{id}/take-down`: the notice came down from the board (refused
/// before the county's minimum display days).
pub async fn take_down(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<TakeDownForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let now = clock::now_ms();
    let r = posting::take_down(&st.core, a, &id, None, &f.note, now)
        .await
        .map(|_| ());
    posting_done(&st, &c, &f.publication_id, r).await
}

/// GET `/disclosure/postings/{id}/photo`: the photo, to staff who may read the publication.
pub async fn posting_photo(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let bytes = posting::photo(&st.core, a, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "image/jpeg"),
            (axum::http::header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        bytes,
    )
        .into_response())
}
