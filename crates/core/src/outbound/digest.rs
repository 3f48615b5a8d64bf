//! Notification preferences and the daily digest ("a digest instead of a flood").
//!
//! Each user chooses per channel — texts about inbox notices, texts about their own cases —
//! `immediate`, `digest` or `off`. Staff default to a digest of their notices, everyone to
//! hearing about their own cases at once. At the county's hour (China Standard Time) each
//! user who takes a digest gets one inbox entry and one text summarising their unread
//! notices since the last digest, by kind and count.

use super::model::Preference;
use super::rules::{self, Channel, Mode, OutboundSettings, CHANNELS};
use super::store::{self, NewSms};
use super::texts::People;
use crate::areas::AreaLevel;
use crate::audit::{self, Entry};
use crate::authz::{Actor, Permission};
use crate::cases::store::NotificationRow;
use crate::error::{AppError, AppResult, FieldError};
use crate::{clock, Core};

/// Users digested per run.
pub const BATCH: i64 = 100;

const SETTINGS_TABLE: &str = "outbound_settings";
const DAY_MS: i64 = 86_400_000;

/// The actor's preferences, one per channel (defaults where they chose nothing).
pub async fn preferences(core: &Core, actor: &Actor) -> AppResult<Vec<Preference>> {
    if actor.user_id.is_empty() {
        return Err(AppError::Forbidden);
    }
    let chosen = store::prefs(&core.db, &actor.user_id).await?;
    let staff = actor.is_staff();
    Ok(CHANNELS
        .iter()
        .map(|&channel| {
            let mode = chosen
                .iter()
                .find(|(c, _)| c == channel.as_str())
                .and_then(|(_, m)| Mode::parse(m));
            Preference {
                channel,
                mode: mode.unwrap_or_else(|| channel.default_mode(staff)),
                default: mode.is_none(),
            }
        })
        .collect())
}

/// Whether texts can reach the actor at all: an active account whose registry record has
/// a phone.
pub async fn reachable_by_text(core: &Core, actor: &Actor) -> AppResult<bool> {
    if actor.user_id.is_empty() {
        return Ok(false);
    }
    Ok(store::contact(&core.db, &actor.user_id)
        .await?
        .is_some_and(|c| c.active && c.person_with_phone.is_some()))
}

/// Choose how a channel reaches the actor.
pub async fn set_preference(
    core: &Core,
    actor: &Actor,
    channel: &str,
    mode: &str,
    now: i64,
) -> AppResult<Vec<Preference>> {
    set_preferences(core, actor, &[(channel, mode)], now).await
}

/// Choose how several channels reach the actor: every choice is checked first (each bad
/// one named by its field), then all are saved in one transaction with one audit record.
pub async fn set_preferences(
    core: &Core,
    actor: &Actor,
    choices: &[(&str, &str)],
    now: i64,
) -> AppResult<Vec<Preference>> {
    if actor.user_id.is_empty() {
        return Err(AppError::Forbidden);
    }
    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    for (channel, mode) in choices {
        let ch = Channel::parse(channel);
        let m = Mode::parse(mode);
        match (ch, m) {
            (Some(ch), Some(m)) => parsed.push((ch, m)),
            (None, _) => errors.push(FieldError::new("channel", "invalid")),
            (Some(_), None) => errors.push(FieldError::new("mode", "invalid")),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if parsed.is_empty() {
        return preferences(core, actor).await;
    }
    let mut tx = core.db.write.begin().await?;
    for (ch, m) in &parsed {
        store::put_pref(&mut tx, &actor.user_id, ch.as_str(), m.as_str(), now).await?;
    }
    let detail = parsed
        .iter()
        .map(|(ch, m)| format!("{} = {}", ch.as_str(), m.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    audit::record(
        &mut tx,
        actor,
        Entry::new("notification_prefs.set", "user", &actor.user_id).detail(detail),
    )
    .await?;
    tx.commit().await?;
    preferences(core, actor).await
}

/// A county's settings of outgoing notifications (staff who keep the catalogue).
pub async fn settings(core: &Core, actor: &Actor, county: &str) -> AppResult<OutboundSettings> {
    actor.require_at_level(Permission::CaseCatalogue, county, AreaLevel::County)?;
    let mut conn = core.db.read.acquire().await?;
    crate::db::county_settings(&mut conn, SETTINGS_TABLE, county).await
}

/// Set the hour of the county's daily digest (0–23, China Standard Time).
pub async fn save_settings(
    core: &Core,
    actor: &Actor,
    county: &str,
    s: OutboundSettings,
    now: i64,
) -> AppResult<OutboundSettings> {
    actor.require_at_level(Permission::CaseCatalogue, county, AreaLevel::County)?;
    if s.digest_hour > 23 {
        return Err(AppError::field("digest_hour", "invalid"));
    }
    let mut tx = core.db.write.begin().await?;
    crate::db::put_county_settings(&mut tx, SETTINGS_TABLE, county, &s, now).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("outbound.settings", "county", county)
            .area(county)
            .detail(format!("digest_hour = {}", s.digest_hour)),
    )
    .await?;
    tx.commit().await?;
    Ok(s)
}

/// Make the daily digests that are due: in every county whose digest hour has come today,
/// up to [`BATCH`] users per run. Each user's digest is one transaction (its record, the
/// inbox entry, the text), made at most once per day. Returns how many users were done.
pub async fn run(core: &Core, now: i64) -> AppResult<usize> {
    let mut budget = BATCH;
    let mut done = 0;
    let mut people = People::default();
    for county in store::counties(&core.db).await? {
        if budget <= 0 {
            break;
        }
        let s: OutboundSettings = {
            let mut conn = core.db.read.acquire().await?;
            crate::db::county_settings(&mut conn, SETTINGS_TABLE, &county).await?
        };
        let Some(day) = rules::digest_due(now, &s) else {
            continue;
        };
        if store::digest_day_done(&core.db, &county, &day).await? {
            continue;
        }
        let users = store::digest_candidates(&core.db, &county, &day, budget).await?;
        if users.is_empty() {
            store::mark_digest_day(&core.db, &county, &day, now).await?;
            continue;
        }
        budget -= users.len() as i64;
        for u in users {
            if digest_user(core, &mut people, &county, &day, &u, now).await? {
                done += 1;
            }
        }
    }
    Ok(done)
}

async fn digest_user(
    core: &Core,
    people: &mut People,
    county: &str,
    day: &str,
    user_id: &str,
    now: i64,
) -> AppResult<bool> {
    let Some(c) = people.contact(core, user_id).await? else {
        return Ok(false);
    };
    let mut wanted = Vec::new();
    for ch in CHANNELS {
        if people.mode(core, &c, ch).await? == Mode::Digest {
            wanted.push(ch);
        }
    }
    let mut tx = core.db.write.begin().await?;
    let mut counts = Vec::new();
    if !wanted.is_empty() {
        let role_areas: Vec<(String, String)> = crate::accounts::store::grants(&mut tx, user_id)
            .await?
            .into_iter()
            .map(|g| (g.role.as_str().to_string(), g.area_code))
            .collect();
        let since = store::last_digest_at(&mut tx, user_id)
            .await?
            .unwrap_or(now - DAY_MS);
        counts = store::unread_counts(&mut tx, user_id, &role_areas, since, now)
            .await?
            .into_iter()
            .filter(|(kind, n)| *n > 0 && wanted.iter().any(|ch| ch.covers(kind)))
            .collect();
    }
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    if !store::insert_digest(&mut tx, user_id, day, county, total, now).await? {
        // Made by another run meanwhile.
        tx.rollback().await?;
        return Ok(false);
    }
    if total > 0 {
        crate::cases::store::insert_notifications(
            &mut tx,
            &[NotificationRow {
                id: clock::new_id(),
                county_code: county.to_string(),
                user_id: Some(user_id.to_string()),
                role: None,
                area_code: None,
                case_id: None,
                kind: rules::KIND_DIGEST.into(),
                body: rules::digest_body(&counts),
                created_at: now,
            }],
        )
        .await?;
        if let Some(person) = c.person_with_phone.clone().filter(|_| c.active) {
            store::insert_sms(
                &mut tx,
                &[NewSms {
                    id: clock::new_id(),
                    county_code: county.to_string(),
                    kind: "digest".into(),
                    to_kind: "person",
                    to_ref: person,
                    user_id: Some(user_id.to_string()),
                    text: rules::digest_text(&counts),
                    created_at: now,
                }],
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(true)
}
