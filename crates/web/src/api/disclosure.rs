//! 村务公开 over JSON: the staff's publications (draft, review, revise, release, objections
//! and answers) and the public reads of released publications, which need no login and
//! carry no personal data. The handlers call the same services as `pages/disclosure.rs` and
//! `pages/public.rs`.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use xiangzhi_core::clock;
use xiangzhi_core::disclosure::posting::{self, NewPosting};
use xiangzhi_core::disclosure::service::{self as disc, NewPublication};
use xiangzhi_core::disclosure::store::{Objection, Posting, Publication};
use xiangzhi_core::AppError;

use super::{body, non_empty, paging, path, query, ApiError, OrApi};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

fn now() -> i64 {
    clock::now_ms()
}

/// A publication as staff see it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicationOut {
    pub id: String,
    pub area_code: String,
    /// The catalogue item (`finance_monthly`, `resolutions` …).
    pub item_code: String,
    /// `2026-03`, `2026-Q1`, `2026` …
    pub period: String,
    pub title: String,
    pub content: String,
    /// `manual`, `matter_resolution`, `matter_result`, `levy_plan` …
    pub source_type: String,
    pub source_id: Option<String>,
    /// Typed by hand (flagged to the supervisors).
    pub manual: bool,
    /// `in_review`, `returned`, `approved`, `released`.
    pub status: String,
    pub review_until: Option<i64>,
    pub review_note: Option<String>,
    pub reviewed_by: Option<String>,
    /// Position on the village's chain (released only).
    pub seq: Option<i64>,
    pub released_at: Option<i64>,
    pub display_until: Option<i64>,
    pub prev_hash: Option<String>,
    /// SM3 of the canonical text (released only).
    pub hash: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<Publication> for PublicationOut {
    fn from(p: Publication) -> Self {
        PublicationOut {
            id: p.id,
            area_code: p.area_code,
            item_code: p.item_code,
            period: p.period,
            title: p.title,
            content: p.body,
            source_type: p.source_type,
            source_id: p.source_id,
            manual: p.manual,
            status: p.status,
            review_until: p.review_until,
            review_note: p.review_note,
            reviewed_by: p.reviewed_by,
            seq: p.seq,
            released_at: p.released_at,
            display_until: p.display_until,
            prev_hash: p.prev_hash,
            hash: p.hash,
            created_by: p.created_by,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A villager's objection to a released publication.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ObjectionOut {
    pub id: String,
    pub publication_id: String,
    pub author_name: String,
    pub text: String,
    pub created_at: i64,
    pub answer_due: i64,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<i64>,
    /// Sent to the township when not answered in time.
    pub escalated_at: Option<i64>,
}

impl From<Objection> for ObjectionOut {
    fn from(o: Objection) -> Self {
        ObjectionOut {
            id: o.id,
            publication_id: o.publication_id,
            author_name: o.author_name,
            text: o.text,
            created_at: o.created_at,
            answer_due: o.answer_due,
            answer: o.answer,
            answered_by: o.answered_by,
            answered_at: o.answered_at,
            escalated_at: o.escalated_at,
        }
    }
}

/// Photo evidence that a released publication was posted on the village board.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PostingOut {
    pub id: String,
    pub publication_id: String,
    pub area_code: String,
    /// When it went up (ms since the epoch, UTC).
    pub posted_at: i64,
    /// Where (`村委会公开栏` …).
    pub place: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// The photo is at `/api/v1/postings/{id}/photo` (JPEG, downscaled); this is its SM3.
    pub photo_digest: String,
    pub photo_width: i64,
    pub photo_height: i64,
    /// Who recorded it, and when.
    pub recorded_by: String,
    pub recorded_at: i64,
    pub removed_at: Option<i64>,
    pub removed_by: Option<String>,
    pub removal_note: Option<String>,
}

impl From<Posting> for PostingOut {
    fn from(p: Posting) -> Self {
        PostingOut {
            id: p.id,
            publication_id: p.publication_id,
            area_code: p.area_code,
            posted_at: p.posted_at,
            place: p.place,
            lat: p.lat,
            lon: p.lon,
            photo_digest: p.photo_digest,
            photo_width: p.photo_width,
            photo_height: p.photo_height,
            recorded_by: p.recorded_by,
            recorded_at: p.recorded_at,
            removed_at: p.removed_at,
            removed_by: p.removed_by,
            removal_note: p.removal_note,
        }
    }
}

/// A publication with its objections and the evidence of its posting.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicationDetail {
    pub publication: PublicationOut,
    pub objections: Vec<ObjectionOut>,
    pub postings: Vec<PostingOut>,
}

/// A page of publications.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicationPage {
    pub items: Vec<PublicationOut>,
    pub page: i64,
    pub per_page: i64,
    pub more: bool,
}

/// A publication typed by hand (flagged to the supervisors as such).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct PublicationIn {
    /// The village (12 digits).
    pub area_code: String,
    pub item_code: String,
    pub period: String,
    pub title: String,
    pub content: String,
}

/// The supervisors' review: approve, or return with the reason in `note`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReviewIn {
    pub approve: bool,
    #[serde(default)]
    pub note: String,
}

/// A revised draft (hand-typed drafts only; generated ones change with their records).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReviseIn {
    pub title: String,
    pub content: String,
}

/// An objection to a released publication.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ObjectionIn {
    pub text: String,
}

/// The committee's answer to an objection.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct AnswerIn {
    pub answer: String,
}

/// Status, area and paging.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicationQuery {
    /// `in_review`, `returned`, `approved`, `released` (all when empty).
    #[serde(default)]
    pub status: String,
    /// Narrow to an area inside the user's scope.
    #[serde(default)]
    pub area: String,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

const STATUSES: [&str; 4] = ["in_review", "returned", "approved", "released"];

/// The publications of the user's areas, latest change first.
#[utoipa::path(get, path = "/api/v1/publications", tag = "disclosure", operation_id = "list_publications",
    params(PublicationQuery),
    responses((status = 200, body = PublicationPage), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 422, body = ApiError)))]
pub async fn list(
    State(st): State<AppState>,
    c: Ctx,
    q: Result<Query<PublicationQuery>, QueryRejection>,
) -> Result<Json<PublicationPage>, WebError> {
    let a = c.actor()?;
    let q = query(&c, q)?;
    let status = non_empty(&q.status).unwrap_or("");
    if !status.is_empty() && !STATUSES.contains(&status) {
        return Err(WebError::api(
            xiangzhi_core::AppError::field("status", "invalid"),
            c.lang,
        ));
    }
    let (page, per_page) = paging(q.page, q.per_page);
    let (items, more) = disc::page(&st.core, a, status, non_empty(&q.area), page, per_page)
        .await
        .or_api(&c)?;
    Ok(Json(PublicationPage {
        items: items.into_iter().map(PublicationOut::from).collect(),
        page,
        per_page,
        more,
    }))
}

/// Draft a publication by hand; it goes to the supervisors' review.
#[utoipa::path(post, path = "/api/v1/publications", tag = "disclosure", operation_id = "draft_publication",
    request_body = PublicationIn,
    responses((status = 201, body = PublicationOut), (status = 403, body = ApiError),
        (status = 422, body = ApiError, description = "a field at fault, e.g. an ID or phone number in public text")))]
pub async fn draft(
    State(st): State<AppState>,
    c: Ctx,
    b: Result<Json<PublicationIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let b = body(&c, b)?;
    let p = disc::draft_manual(
        &st.core,
        a,
        NewPublication {
            area_code: b.area_code,
            item_code: b.item_code,
            period: b.period,
            title: b.title,
            body: b.content,
        },
        now(),
    )
    .await
    .or_api(&c)?;
    Ok((StatusCode::CREATED, Json(PublicationOut::from(p))).into_response())
}

/// A publication with its objections.
#[utoipa::path(get, path = "/api/v1/publications/{id}", tag = "disclosure", operation_id = "get_publication",
    params(("id" = String, Path)),
    responses((status = 200, body = PublicationDetail), (status = 404, body = ApiError)))]
pub async fn get(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<PublicationDetail>, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let (p, o) = disc::get(&st.core, a, &id).await.or_api(&c)?;
    let postings = posting::list(&st.core, a, &id).await.or_api(&c)?;
    Ok(Json(PublicationDetail {
        publication: PublicationOut::from(p),
        objections: o.into_iter().map(ObjectionOut::from).collect(),
        postings: postings.into_iter().map(PostingOut::from).collect(),
    }))
}

/// The supervisors' review.
#[utoipa::path(post, path = "/api/v1/publications/{id}/review", tag = "disclosure", operation_id = "review_publication",
    params(("id" = String, Path)), request_body = ReviewIn,
    responses((status = 200, body = PublicationOut), (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError), (status = 422, body = ApiError, description = "a return without a reason")))]
pub async fn review(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
    b: Result<Json<ReviewIn>, JsonRejection>,
) -> Result<Json<PublicationOut>, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let b = body(&c, b)?;
    let p = disc::review(&st.core, a, &id, b.approve, &b.note, now())
        .await
        .or_api(&c)?;
    Ok(Json(PublicationOut::from(p)))
}

/// Revise a hand-typed draft; it goes back to review.
#[utoipa::path(post, path = "/api/v1/publications/{id}/revise", tag = "disclosure", operation_id = "revise_publication",
    params(("id" = String, Path)), request_body = ReviseIn,
    responses((status = 200, body = PublicationOut), (status = 404, body = ApiError), (status = 409, body = ApiError),
        (status = 422, body = ApiError)))]
pub async fn revise(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
    b: Result<Json<ReviseIn>, JsonRejection>,
) -> Result<Json<PublicationOut>, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let b = body(&c, b)?;
    let p = disc::revise(&st.core, a, &id, &b.title, &b.content, now())
        .await
        .or_api(&c)?;
    Ok(Json(PublicationOut::from(p)))
}

/// Release: the publication joins the village's SM3 chain and goes public.
#[utoipa::path(post, path = "/api/v1/publications/{id}/release", tag = "disclosure", operation_id = "release_publication",
    params(("id" = String, Path)),
    responses((status = 200, body = PublicationOut), (status = 404, body = ApiError),
        (status = 409, body = ApiError, description = "review pending, returned, already released")))]
pub async fn release(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<PublicationOut>, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let p = disc::release(&st.core, a, &id, now()).await.or_api(&c)?;
    Ok(Json(PublicationOut::from(p)))
}

/// Object to a released publication (villagers of the village, within the window).
#[utoipa::path(post, path = "/api/v1/publications/{id}/objections", tag = "disclosure", operation_id = "object_to_publication",
    params(("id" = String, Path)), request_body = ObjectionIn,
    responses((status = 201, body = ObjectionOut), (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError, description = "the window is closed"), (status = 422, body = ApiError)))]
pub async fn object(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
    b: Result<Json<ObjectionIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let b = body(&c, b)?;
    let o = disc::object(&st.core, a, &id, &b.text, now())
        .await
        .or_api(&c)?;
    Ok((StatusCode::CREATED, Json(ObjectionOut::from(o))).into_response())
}

/// Answer an objection.
#[utoipa::path(post, path = "/api/v1/objections/{id}/answer", tag = "disclosure", operation_id = "answer_objection",
    params(("id" = String, Path)), request_body = AnswerIn,
    responses((status = 200, body = Object, description = "`{\"answered\": true}`"), (status = 403, body = ApiError),
        (status = 404, body = ApiError), (status = 409, body = ApiError, description = "already answered"),
        (status = 422, body = ApiError)))]
pub async fn answer(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
    b: Result<Json<AnswerIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let b = body(&c, b)?;
    disc::answer(&st.core, a, &id, &b.answer, now())
        .await
        .or_api(&c)?;
    Ok(Json(serde_json::json!({ "answered": true })).into_response())
}

// ---------------------------------------------------------------- posting evidence

/// Record that a released publication was posted on the village board: multipart with a
/// `photo` (JPEG or PNG, sniffed from its content, downscaled), `place`, and optionally
/// `posted_at` (ms, default now), `lat` and `lon`.
#[utoipa::path(post, path = "/api/v1/publications/{id}/postings", tag = "disclosure", operation_id = "record_posting",
    params(("id" = String, Path)),
    request_body(content = String, content_type = "multipart/form-data",
        description = "fields `photo` (file), `place`, optional `posted_at` (ms), `lat`, `lon`"),
    responses((status = 201, body = PostingOut), (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError, description = "not released"),
        (status = 422, body = ApiError, description = "a field at fault: photo type, place, time, position")))]
pub async fn add_posting(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
    mut mp: axum::extract::Multipart,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let too_large = || WebError::api(AppError::field("photo", "upload_too_large"), c.lang);
    let mut n = NewPosting::default();
    let num = |field: &'static str, v: &str| -> Result<Option<f64>, WebError> {
        match v.trim() {
            "" => Ok(None),
            s => s
                .parse::<f64>()
                .map(Some)
                .map_err(|_| WebError::api(AppError::field(field, "invalid"), c.lang)),
        }
    };
    while let Some(field) = mp.next_field().await.map_err(|_| too_large())? {
        let name = field.name().unwrap_or("").to_string();
        if name == "photo" {
            n.photo_name = field.file_name().unwrap_or("").to_string();
            n.photo = field.bytes().await.map_err(|_| too_large())?.to_vec();
            continue;
        }
        let v = field.text().await.map_err(|_| too_large())?;
        match name.as_str() {
            "place" => n.place = v,
            "posted_at" if !v.trim().is_empty() => {
                n.posted_at =
                    Some(v.trim().parse::<i64>().map_err(|_| {
                        WebError::api(AppError::field("posted_at", "invalid"), c.lang)
                    })?);
            }
            "lat" => n.lat = num("lat", &v)?,
            "lon" => n.lon = num("lon", &v)?,
            _ => {}
        }
    }
    let x = posting::record(&st.core, a, &id, n, now())
        .await
        .or_api(&c)?;
    Ok((StatusCode::CREATED, Json(PostingOut::from(x))).into_response())
}

/// When a posted notice came down.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TakeDownIn {
    /// ms since the epoch (default now).
    pub removed_at: Option<i64>,
    #[serde(default)]
    pub note: String,
}

/// Record that a posted notice came down. Before the county's minimum display days it is
/// refused (`removed_at`: `display_days_not_met`).
#[utoipa::path(post, path = "/api/v1/postings/{id}/take-down", tag = "disclosure", operation_id = "take_down_posting",
    params(("id" = String, Path)), request_body = TakeDownIn,
    responses((status = 200, body = PostingOut), (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError, description = "already taken down"),
        (status = 422, body = ApiError, description = "too early, or in the future")))]
pub async fn take_down(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
    b: Result<Json<TakeDownIn>, JsonRejection>,
) -> Result<Json<PostingOut>, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let b = body(&c, b)?;
    let x = posting::take_down(&st.core, a, &id, b.removed_at, &b.note, now())
        .await
        .or_api(&c)?;
    Ok(Json(PostingOut::from(x)))
}

/// The photo of a posting (JPEG), to staff who may read its publication.
#[utoipa::path(get, path = "/api/v1/postings/{id}/photo", tag = "disclosure", operation_id = "posting_photo",
    params(("id" = String, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 404, body = ApiError)))]
pub async fn posting_photo(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let bytes = posting::photo(&st.core, a, &id).await.or_api(&c)?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "image/jpeg"),
            (axum::http::header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        bytes,
    )
        .into_response())
}

/// A released publication with no posting evidence past the county's allowance.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UnpostedOut {
    pub publication: PublicationOut,
    pub village: String,
    /// Days past the allowance (the county's `posting_days` after release).
    pub days_late: i64,
}

/// Released publications in the user's areas without a photo of their posting on the
/// village board past the county's allowance, longest first (the township's overview).
#[utoipa::path(get, path = "/api/v1/publications/unposted", tag = "disclosure", operation_id = "unposted_publications",
    responses((status = 200, body = Vec<UnpostedOut>), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn unposted(
    State(st): State<AppState>,
    c: Ctx,
) -> Result<Json<Vec<UnpostedOut>>, WebError> {
    let a = c.actor()?;
    let v = posting::unposted(&st.core, a, now()).await.or_api(&c)?;
    Ok(Json(
        v.into_iter()
            .map(|u| UnpostedOut {
                publication: PublicationOut::from(u.publication),
                village: u.village,
                days_late: u.days_late,
            })
            .collect(),
    ))
}

// ---------------------------------------------------------------- public

/// A released publication in a village's list (no body, no names).
#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicRowOut {
    pub id: String,
    pub item_code: String,
    pub item_name: String,
    pub period: String,
    pub title: String,
    pub released_at: i64,
    /// SM3 digest of the canonical text.
    pub digest: String,
    /// Objections and how many await an answer.
    pub objections: i64,
    pub objections_open: i64,
}

/// The released publications of a village for a year.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicVillageOut {
    pub code: String,
    pub name: String,
    pub township: String,
    pub county: String,
    pub year: i32,
    /// Years with publications, newest first.
    pub years: Vec<i32>,
    pub items: Vec<PublicRowOut>,
}

/// An answered or pending objection, without its author.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicObjectionOut {
    pub text: String,
    pub answer: Option<String>,
}

/// A released publication for anyone: its text, its place on the village's chain and the
/// canonical text whose SM3 is its digest.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicPublicationOut {
    pub id: String,
    pub village_code: String,
    pub village: String,
    pub township: String,
    pub item_code: String,
    pub item_name: String,
    pub period: String,
    pub title: String,
    pub content: String,
    /// Generated from the records, or typed by hand.
    pub manual: bool,
    pub released_at: i64,
    pub display_until: Option<i64>,
    /// Position on the village's chain (1 is the first).
    pub seq: i64,
    pub digest: String,
    pub prev_digest: String,
    /// The exact text the digest covers (`SM3(canonical_text) == digest`).
    pub canonical_text: String,
    pub objection_open: bool,
    pub objections: Vec<PublicObjectionOut>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// The year (default: the latest with publications).
    pub year: Option<i32>,
}

/// The released publications of a village for a year. No login.
#[utoipa::path(get, path = "/api/v1/public/villages/{code}/publications", tag = "public",
    operation_id = "public_village_publications", security(()),
    params(("code" = String, Path, description = "the village's 12-digit code"), YearQuery),
    responses((status = 200, body = PublicVillageOut), (status = 404, body = ApiError)))]
pub async fn public_village(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
    q: Result<Query<YearQuery>, QueryRejection>,
) -> Result<Json<PublicVillageOut>, WebError> {
    let code = path(&c, p)?;
    let q = query(&c, q)?;
    let v = disc::public_village(&st.core, &code, q.year)
        .await
        .or_api(&c)?;
    let en = c.is_en();
    let items = v
        .publications
        .into_iter()
        .map(|r| {
            let (objections, open) = v
                .objections
                .iter()
                .find(|o| o.0 == r.id)
                .map(|o| (o.1, o.2))
                .unwrap_or((0, 0));
            PublicRowOut {
                item_name: v
                    .items
                    .iter()
                    .find(|i| i.0 == r.item_code)
                    .map(|i| if en { i.2.clone() } else { i.1.clone() })
                    .unwrap_or_default(),
                id: r.id,
                item_code: r.item_code,
                period: r.period,
                title: r.title,
                released_at: r.released_at,
                digest: r.hash,
                objections,
                objections_open: open,
            }
        })
        .collect();
    Ok(Json(PublicVillageOut {
        code: v.code,
        name: v.name,
        township: v.township,
        county: v.county,
        year: v.year,
        years: v.years.into_iter().map(|y| y.0).collect(),
        items,
    }))
}

/// A released publication with its digest, chain position, previous digest and canonical
/// text. No login; drafts are not found.
#[utoipa::path(get, path = "/api/v1/public/publications/{id}", tag = "public",
    operation_id = "public_publication", security(()),
    params(("id" = String, Path)),
    responses((status = 200, body = PublicPublicationOut), (status = 404, body = ApiError)))]
pub async fn public_publication(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<PublicPublicationOut>, WebError> {
    let id = path(&c, p)?;
    let copy = disc::public_copy(&st.core, &id, now()).await.or_api(&c)?;
    let canonical_text = disc::canonical_text(&st.core, &id).await.or_api(&c)?;
    let p = copy.publication;
    Ok(Json(PublicPublicationOut {
        item_name: if c.is_en() {
            copy.item_name_en
        } else {
            copy.item_name
        },
        village_code: p.area_code,
        village: copy.village,
        township: copy.township,
        id: p.id,
        item_code: p.item_code,
        period: p.period,
        title: p.title,
        content: p.body,
        manual: p.manual,
        released_at: p.released_at.unwrap_or(0),
        display_until: p.display_until,
        seq: p.seq.unwrap_or(0),
        digest: p.hash.unwrap_or_default(),
        prev_digest: p.prev_hash.unwrap_or_default(),
        canonical_text,
        objection_open: copy.objection_open,
        objections: copy
            .objections
            .into_iter()
            .map(|(text, answer)| PublicObjectionOut { text, answer })
            .collect(),
    }))
}
