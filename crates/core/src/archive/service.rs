//! Producing and reading archive packages. A package is made once per matter, when the matter
//! is finished (its result published, or withdrawn) — right after that transition commits, or
//! by [`sweep`] — and never changed: a second one is refused. Rejected matters are not
//! finished, since they may re-enter the procedure.
//!
//! Who may read a package: whoever may read the matter (the village's cadres and supervisors,
//! township and county staff of the area). Every production and download is audited.

use serde::Serialize;
use serde_json::json;

use super::manifest::{self, *};
use super::store;
use crate::audit::{self, Entry};
use crate::authz::{Actor, Permission};
use crate::crypto::sm3_hex;
use crate::deliberation::model::{Matter, Stage};
use crate::deliberation::service::{body_zh, step_name};
use crate::deliberation::store as delib;
use crate::error::{AppError, AppResult};
use crate::{clock, Core};

/// An archive package as recorded in the database.
#[derive(Debug, Clone, Serialize)]
pub struct Package {
    pub id: String,
    pub county_code: String,
    pub area_code: String,
    pub matter_id: String,
    pub blob_key: String,
    /// SM3 of the ZIP.
    pub digest: String,
    pub size: i64,
    /// SM3 of `manifest.json` inside it.
    pub manifest_digest: String,
    pub classification: String,
    pub retention: String,
    pub created_by: String,
    pub created_at: i64,
}

/// Finished: nothing about the matter can change any more.
pub fn is_final(stage: Stage) -> bool {
    matches!(stage, Stage::Closed | Stage::Withdrawn)
}

fn can_read(actor: &Actor, m: &Matter) -> bool {
    actor.is_system()
        || actor
            .scope(Permission::DeliberationRead)
            .covers_area(&m.area_code)
}

/// Make the package of a finished matter. The system (the sweep, the transition that finished
/// the matter) or whoever manages the matter's village may ask.
pub async fn produce(core: &Core, actor: &Actor, matter_id: &str, now: i64) -> AppResult<Package> {
    let mut c = core.db.read.acquire().await?;
    let m = delib::get_matter(&mut c, matter_id)
        .await?
        .ok_or(AppError::NotFound("matter"))?;
    if !can_read(actor, &m) {
        return Err(AppError::NotFound("matter"));
    }
    if !actor.is_system() {
        actor.require(Permission::DeliberationManage, &m.area_code, None)?;
    }
    if !is_final(m.stage) {
        return Err(AppError::InvalidTransition("matter_not_final"));
    }
    if store::of_matter(&mut c, &m.id).await?.is_some() {
        return Err(exists());
    }
    let manifest = gather(&mut c, &m, now).await?;
    drop(c);
    let (manifest, zip, manifest_sm3) = manifest::package(manifest).map_err(AppError::Internal)?;
    let p = Package {
        id: clock::new_id(),
        county_code: m.county_code.clone(),
        area_code: m.area_code.clone(),
        matter_id: m.id.clone(),
        blob_key: String::new(),
        digest: sm3_hex(&zip),
        size: zip.len() as i64,
        manifest_digest: manifest_sm3,
        classification: manifest.classification,
        retention: manifest.retention,
        created_by: actor.display_name.clone(),
        created_at: now,
    };
    let p = Package {
        blob_key: format!("{}/archive-{}", p.county_code, p.id),
        ..p
    };
    // The bytes first, the row after: a row never points at missing bytes. A package that
    // loses a race to another leaves unreferenced bytes under its own key, nothing more.
    core.blobs
        .put(&p.blob_key, zip)
        .await
        .map_err(AppError::Internal)?;
    let mut tx = core.db.write.begin().await?;
    if !store::insert(&mut tx, &p).await? {
        return Err(exists());
    }
    audit::record(
        &mut tx,
        actor,
        Entry::new("archive.produce", "matter", &m.id)
            .area(&m.area_code)
            .after(json!({
                "package": p.id, "digest": p.digest, "size": p.size,
                "classification": p.classification, "retention": p.retention,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(p)
}

fn exists() -> AppError {
    AppError::Conflict {
        code: "archive_exists",
        field: None,
    }
}

/// The package of a matter, if made (no bytes read, nothing audited: for showing the link).
pub async fn package_of(core: &Core, actor: &Actor, matter_id: &str) -> AppResult<Option<Package>> {
    let mut c = core.db.read.acquire().await?;
    let m = delib::get_matter(&mut c, matter_id)
        .await?
        .ok_or(AppError::NotFound("matter"))?;
    if !can_read(actor, &m) {
        return Err(AppError::NotFound("matter"));
    }
    store::of_matter(&mut c, &m.id).await
}

/// The ZIP of a matter's package, its SM3 checked against the record; the download audited.
pub async fn download(
    core: &Core,
    actor: &Actor,
    matter_id: &str,
) -> AppResult<(Package, Vec<u8>)> {
    let p = package_of(core, actor, matter_id)
        .await?
        .ok_or(AppError::NotFound("archive"))?;
    let bytes = read_checked(core, &p).await?;
    let mut tx = core.db.write.begin().await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("archive.download", "matter", &p.matter_id)
            .area(&p.area_code)
            .detail(format!("{} {}", p.id, p.digest)),
    )
    .await?;
    tx.commit().await?;
    Ok((p, bytes))
}

async fn read_checked(core: &Core, p: &Package) -> AppResult<Vec<u8>> {
    let bytes = core
        .blobs
        .get(&p.blob_key)
        .await
        .map_err(AppError::Internal)?;
    if sm3_hex(&bytes) != p.digest {
        return Err(AppError::Internal(anyhow::anyhow!(
            "archive package {} does not match its SM3",
            p.id
        )));
    }
    Ok(bytes)
}

/// Check every package's bytes against its SM3 (for `xiangzhi verify`): how many were read,
/// and the first that failed.
pub async fn verify_all(core: &Core) -> AppResult<(usize, Option<String>)> {
    let mut c = core.db.read.acquire().await?;
    let all = store::all(&mut c).await?;
    drop(c);
    for p in &all {
        if let Err(e) = read_checked(core, p).await {
            return Ok((all.len(), Some(format!("{}: {e:#}", p.matter_id))));
        }
    }
    Ok((all.len(), None))
}

/// Package every finished matter that has none yet, at most `limit`; returns how many.
pub async fn sweep(core: &Core, now: i64, limit: i64) -> AppResult<usize> {
    let mut c = core.db.read.acquire().await?;
    let ids = store::unarchived(&mut c, limit).await?;
    drop(c);
    let sys = Actor::system("archive");
    let mut n = 0;
    for id in ids {
        match produce(core, &sys, &id, now).await {
            Ok(_) => n += 1,
            Err(AppError::Conflict { .. }) => {}
            Err(e) => tracing::warn!(matter = %id, error = %e, "archive package not made"),
        }
    }
    Ok(n)
}

/// Called after a transition that may have finished a matter has committed: make its
/// package now. Failures are logged and left to the sweep.
pub async fn after_transition(core: &Core, matter_id: &str, now: i64) {
    let sys = Actor::system("archive");
    match produce(core, &sys, matter_id, now).await {
        Ok(_) | Err(AppError::Conflict { .. }) | Err(AppError::InvalidTransition(_)) => {}
        Err(e) => tracing::warn!(matter = %matter_id, error = %e, "archive package not made"),
    }
}

/// Set the county's classification and retention for a matter type (county staff).
pub async fn save_class(
    core: &Core,
    actor: &Actor,
    county: &str,
    type_code: &str,
    classification: &str,
    retention: &str,
    now: i64,
) -> AppResult<()> {
    actor.require(Permission::DeliberationOversee, county, None)?;
    let classification = classification.trim();
    if classification.is_empty() || classification.chars().count() > 40 {
        return Err(AppError::field("classification", "required"));
    }
    if !RETENTIONS.contains(&retention) {
        return Err(AppError::field("retention", "invalid"));
    }
    let mut tx = core.db.write.begin().await?;
    store::save_class(&mut tx, county, type_code, classification, retention, now).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("archive.class", "matter_type", type_code)
            .area(county)
            .after(json!({"classification": classification, "retention": retention})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Everything the manifest says about a matter, read from the records.
async fn gather(conn: &mut sqlx::AnyConnection, m: &Matter, now: i64) -> AppResult<Manifest> {
    let fmt = |t: Option<i64>| t.map(clock::format_ms);
    let mt = delib::matter_type(conn, &m.county_code, &m.type_code).await?;
    let village = crate::areas::store::get_tx(conn, &m.area_code)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    let (classification, retention) =
        match store::class_of(conn, &m.county_code, &m.type_code).await? {
            Some((c, r)) if m.stage == Stage::Closed => (c, r),
            Some((c, _)) => (c, default_retention(m.stage).to_string()),
            None => (
                DEFAULT_CLASSIFICATION.to_string(),
                default_retention(m.stage).to_string(),
            ),
        };
    let steps = delib::steps(conn, &m.id)
        .await?
        .into_iter()
        .map(|s| StepRecord {
            step: s.step,
            step_name: step_name(s.step).into(),
            stage: s.stage.as_str().into(),
            note: s.note,
            actor: s.actor_name,
            at: clock::format_ms(s.at),
            text_sm3: s.text_hash,
            meeting_id: s.meeting_id,
        })
        .collect();
    let votes = delib::votes_of_matter(conn, &m.id).await?;
    let mut meetings: Vec<MeetingRecord> = Vec::new();
    for v in votes {
        let rule = v.outcome.as_ref().and_then(|o| {
            o.considered
                .iter()
                .find(|k| k.rule_id == o.rule_id)
                .map(|k| RuleRecord {
                    id: k.rule_id.clone(),
                    scope: k.scope.as_str().into(),
                    label: k.label_zh.clone(),
                    source: k.source.clone(),
                    yes_needed: k.yes_needed,
                })
        });
        let record = VoteRecord {
            id: v.id.clone(),
            question: v.question.clone(),
            secret: v.secret,
            yes: v.yes,
            no: v.no,
            abstain: v.abstain,
            quorum_met: v.outcome.as_ref().map(|o| o.quorum_met),
            passed: v.outcome.as_ref().map(|o| o.passed),
            rule,
        };
        if let Some(g) = meetings.iter_mut().find(|g| g.id == v.meeting_id) {
            g.votes.push(record);
            continue;
        }
        let Some(g) = delib::get_meeting(conn, &v.meeting_id).await? else {
            continue;
        };
        meetings.push(MeetingRecord {
            id: g.id,
            body: g.body.as_str().into(),
            body_name: body_zh(g.body).into(),
            title: g.title,
            place: g.place,
            host: g.host,
            date: clock::format_ms(g.scheduled_at),
            convened_at: fmt(g.convened_at),
            closed_at: fmt(g.closed_at),
            members: g.members,
            households: g.households,
            attendees: g.attendees,
            households_present: g.households_present,
            minutes: g.minutes,
            votes: vec![record],
        });
    }
    meetings.sort_by(|a, b| a.date.cmp(&b.date).then(a.id.cmp(&b.id)));
    let publications = crate::disclosure::store::of_source(conn, &m.id)
        .await?
        .into_iter()
        .map(|p| PublicationRecord {
            body_sm3: sm3_hex(format!("{}\n{}", p.title, p.body).as_bytes()),
            id: p.id,
            kind: p.source_type,
            title: p.title,
            status: p.status,
            seq: p.seq,
            released_at: fmt(p.released_at),
            prev_hash: p.prev_hash,
            hash: p.hash,
        })
        .collect();
    Ok(Manifest {
        format: FORMAT.into(),
        classification,
        retention,
        generated_at: clock::format_ms(now),
        generated_at_ms: now,
        matter: MatterRecord {
            id: m.id.clone(),
            number: m.number.clone(),
            type_code: m.type_code.clone(),
            type_name: mt.as_ref().map(|t| t.name_zh.clone()).unwrap_or_default(),
            legal_basis: mt.map(|t| t.legal_basis).unwrap_or_default(),
            title: m.title.clone(),
            county_code: m.county_code.clone(),
            village_code: m.area_code.clone(),
            village_name: village,
            stage: m.stage.as_str().into(),
            stage_name: stage_zh(m.stage).into(),
            emergency: m.emergency,
            authorisation: m.authorisation.clone(),
            reason: m.reason.clone(),
            text: m.body.clone(),
            text_sm3: m.text_hash.clone(),
            reviewed_sm3: m.reviewed_hash.clone(),
            created_at: clock::format_ms(m.created_at),
            resolved_at: fmt(m.resolved_at),
            completed_at: fmt(m.completed_at),
            steps,
        },
        meetings,
        publications,
        files: Vec::new(),
    })
}
