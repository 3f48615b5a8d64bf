//! Photo evidence of posting (五化, `domain-spec.md` §5): a cadre records that a released
//! publication went up on the village board — a photo, when, where (optionally the position) —
//! and later when it came down. Coming down before the county's minimum display days is
//! refused with the rule. The photo goes to the blob store of the case attachments, sniffed
//! from its content and downscaled (which also drops the camera's metadata).

use std::sync::atomic::Ordering;

use serde::Serialize;
use serde_json::json;

use super::rules;
use super::store::{self, Posting, Publication};
use crate::audit::{self, Entry};
use crate::authz::{Actor, Permission};
use crate::cases::attachments;
use crate::error::{AppError, AppResult};
use crate::{clock, Core};

/// How far ahead of the server's clock a stated time may be (phones drift).
const CLOCK_SLACK_MS: i64 = 10 * 60_000;

/// What the cadre records when the notice goes up.
#[derive(Debug, Clone, Default)]
pub struct NewPosting {
    /// When it was posted (ms); `None` for now.
    pub posted_at: Option<i64>,
    /// Where (`村委会公开栏`, `二组活动室` …).
    pub place: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// The file name as uploaded (its extension must agree with the content).
    pub photo_name: String,
    pub photo: Vec<u8>,
}

async fn publication_for(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    id: &str,
) -> AppResult<Publication> {
    let p = store::get_publication(conn, id)
        .await?
        .ok_or(AppError::NotFound("publication"))?;
    if !actor
        .scope(Permission::DeliberationRead)
        .covers_area(&p.area_code)
        && !actor
            .scope(Permission::DisclosureManage)
            .covers_area(&p.area_code)
    {
        return Err(AppError::NotFound("publication"));
    }
    actor.require(Permission::DisclosureManage, &p.area_code, None)?;
    Ok(p)
}

/// Record that a released publication was posted on the board, with its photo.
pub async fn record(
    core: &Core,
    actor: &Actor,
    publication_id: &str,
    n: NewPosting,
    now: i64,
) -> AppResult<Posting> {
    let p = {
        let mut c = core.db.read.acquire().await?;
        publication_for(&mut c, actor, publication_id).await?
    };
    if p.status != "released" {
        return Err(AppError::InvalidTransition("publication_not_released"));
    }
    let mut errs = Vec::new();
    let posted_at = n.posted_at.unwrap_or(now);
    if posted_at > now + CLOCK_SLACK_MS {
        errs.push(crate::FieldError::new("posted_at", "in_future"));
    } else if posted_at < p.released_at.unwrap_or(0) - CLOCK_SLACK_MS {
        errs.push(crate::FieldError::new("posted_at", "posted_before_release"));
    }
    let place = crate::deliberation::rules::clean(&n.place);
    if place.chars().count() < 2 {
        errs.push(crate::FieldError::new("place", "required"));
    } else if place.chars().count() > 100 {
        errs.push(crate::FieldError::new("place", "too_long"));
    }
    match (n.lat, n.lon) {
        (None, None) => {}
        (Some(lat), Some(lon))
            if lat.is_finite()
                && lon.is_finite()
                && (-90.0..=90.0).contains(&lat)
                && (-180.0..=180.0).contains(&lon) => {}
        _ => errs.push(crate::FieldError::new("lat", "invalid")),
    }
    if n.photo.is_empty() {
        errs.push(crate::FieldError::new("photo", "required"));
    } else if n.photo.len() > attachments::MAX_BYTES {
        errs.push(crate::FieldError::new("photo", "upload_too_large"));
    } else {
        let fits = attachments::sniff(&n.photo).is_some_and(|(mime, kind)| {
            kind == "photo" && attachments::name_fits(&n.photo_name, mime)
        });
        if !fits {
            errs.push(crate::FieldError::new("photo", "photo_type"));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let bytes = n.photo;
    let (stored, width, height) =
        tokio::task::spawn_blocking(move || attachments::downscale(&bytes))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(|_| AppError::field("photo", "photo_type"))?;
    let id = clock::new_id();
    let key = format!(
        "{}/posting-{}",
        p.county_code.get(..6).unwrap_or("000000"),
        id
    );
    let posting = Posting {
        id,
        publication_id: p.id.clone(),
        county_code: p.county_code.clone(),
        area_code: p.area_code.clone(),
        posted_at,
        place,
        lat: n.lat,
        lon: n.lon,
        photo_digest: crate::crypto::sm3_hex(&stored),
        photo_size: i64::try_from(stored.len()).unwrap_or(i64::MAX),
        photo_width: i64::from(width),
        photo_height: i64::from(height),
        recorded_by: actor.display_name.clone(),
        recorded_at: now,
        removed_at: None,
        removed_by: None,
        removal_note: None,
    };
    core.blobs.put(&key, stored).await?;
    let mut tx = core.db.write.begin().await?;
    store::insert_posting(&mut tx, &posting, &key).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("publication.post", "publication", &p.id)
            .area(&p.area_code)
            .after(
                json!({"posting": posting.id, "posted_at": posting.posted_at,
                "place": posting.place, "lat": posting.lat, "lon": posting.lon,
                "photo_sm3": posting.photo_digest}),
            ),
    )
    .await?;
    tx.commit().await?;
    core.disclosure_generation.fetch_add(1, Ordering::Relaxed);
    Ok(posting)
}

/// Record that a posted notice came down. Before the minimum display days it is refused
/// with the rule (`removed_at`: `display_days_not_met`).
pub async fn take_down(
    core: &Core,
    actor: &Actor,
    posting_id: &str,
    removed_at: Option<i64>,
    note: &str,
    now: i64,
) -> AppResult<Posting> {
    let mut tx = core.db.write.begin().await?;
    let (mut posting, _) = store::get_posting(&mut tx, posting_id)
        .await?
        .ok_or(AppError::NotFound("posting"))?;
    publication_for(&mut tx, actor, &posting.publication_id)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => AppError::NotFound("posting"),
            e => e,
        })?;
    if posting.removed_at.is_some() {
        return Err(AppError::InvalidTransition("posting_removed"));
    }
    let removed_at = removed_at.unwrap_or(now);
    if removed_at > now + CLOCK_SLACK_MS {
        return Err(AppError::field("removed_at", "in_future"));
    }
    let settings = store::settings(&mut tx, &posting.county_code).await?;
    let earliest = rules::earliest_take_down(posting.posted_at, &settings);
    if removed_at < earliest {
        return Err(AppError::field("removed_at", "display_days_not_met"));
    }
    let note = crate::deliberation::rules::clean(note);
    if note.chars().count() > 500 {
        return Err(AppError::field("note", "too_long"));
    }
    if store::mark_removed(&mut tx, &posting.id, removed_at, &actor.display_name, &note).await? == 0
    {
        return Err(AppError::InvalidTransition("posting_removed"));
    }
    audit::record(
        &mut tx,
        actor,
        Entry::new(
            "publication.take_down",
            "publication",
            &posting.publication_id,
        )
        .area(&posting.area_code)
        .after(
            json!({"posting": posting.id, "posted_at": posting.posted_at,
                "removed_at": removed_at, "display_days": settings.display_days}),
        )
        .detail(note.clone()),
    )
    .await?;
    tx.commit().await?;
    core.disclosure_generation.fetch_add(1, Ordering::Relaxed);
    posting.removed_at = Some(removed_at);
    posting.removed_by = Some(actor.display_name.clone());
    posting.removal_note = Some(note);
    Ok(posting)
}

/// The postings of a publication the actor may read (staff).
pub async fn list(core: &Core, actor: &Actor, publication_id: &str) -> AppResult<Vec<Posting>> {
    let mut c = core.db.read.acquire().await?;
    let p = store::get_publication(&mut c, publication_id)
        .await?
        .ok_or(AppError::NotFound("publication"))?;
    if !actor
        .scope(Permission::DeliberationRead)
        .covers_area(&p.area_code)
    {
        return Err(AppError::NotFound("publication"));
    }
    store::postings_of(&mut c, &p.id).await
}

/// A released publication with no posting evidence past the county's allowance.
#[derive(Debug, Clone, Serialize)]
pub struct Unposted {
    pub publication: Publication,
    pub village: String,
    /// Days past the allowance (`posting_days` after release).
    pub days_late: i64,
}

/// Released publications in the actor's areas with no photo of their posting on the village
/// board `posting_days` after release (the township's overview of 五化), longest first.
pub async fn unposted(core: &Core, actor: &Actor, now: i64) -> AppResult<Vec<Unposted>> {
    let scope = actor.require_any(Permission::DeliberationRead)?;
    let mut counties = crate::areas::service::counties_in(&core.db, &scope.prefixes).await?;
    counties.sort();
    counties.dedup();
    let mut out = Vec::new();
    // Prefixes of one actor may overlap (a township and a village in it): each once.
    let mut seen = std::collections::HashSet::new();
    let mut c = core.db.read.acquire().await?;
    for county in counties {
        let settings = store::settings(&mut c, &county).await?;
        let cutoff = now - settings.posting_days * 86_400_000;
        let names: std::collections::HashMap<String, String> =
            crate::areas::store::villages_of(&core.db, &county)
                .await?
                .into_iter()
                .collect();
        for prefix in &scope.prefixes {
            for p in store::unposted(&mut c, &county, prefix, cutoff, 500).await? {
                if !seen.insert(p.id.clone()) {
                    continue;
                }
                let Some(days_late) =
                    rules::days_unposted(p.released_at.unwrap_or(now), &settings, now)
                else {
                    continue;
                };
                out.push(Unposted {
                    village: names.get(&p.area_code).cloned().unwrap_or_default(),
                    publication: p,
                    days_late,
                });
            }
        }
    }
    out.sort_by_key(|u| std::cmp::Reverse(u.days_late));
    Ok(out)
}

/// Days past the county's allowance for a released publication with no posting recorded
/// (`None` when it has one, is not released, or is still within the allowance).
pub async fn days_unposted(
    core: &Core,
    p: &Publication,
    postings: &[Posting],
    now: i64,
) -> AppResult<Option<i64>> {
    let Some(released_at) = p.released_at.filter(|_| postings.is_empty()) else {
        return Ok(None);
    };
    let mut c = core.db.read.acquire().await?;
    let settings = store::settings(&mut c, &p.county_code).await?;
    Ok(rules::days_unposted(released_at, &settings, now))
}

/// The photo of a posting, to staff who may read its publication, checked against the
/// digest recorded when it was stored.
pub async fn photo(core: &Core, actor: &Actor, posting_id: &str) -> AppResult<Vec<u8>> {
    let (posting, key) = {
        let mut c = core.db.read.acquire().await?;
        let (posting, key) = store::get_posting(&mut c, posting_id)
            .await?
            .ok_or(AppError::NotFound("posting"))?;
        if !actor
            .scope(Permission::DeliberationRead)
            .covers_area(&posting.area_code)
        {
            return Err(AppError::NotFound("posting"));
        }
        (posting, key)
    };
    let bytes = core.blobs.get(&key).await?;
    if crate::crypto::sm3_hex(&bytes) != posting.photo_digest {
        return Err(AppError::Internal(anyhow::anyhow!(
            "posting photo {} does not match its digest",
            posting.id
        )));
    }
    Ok(bytes)
}
