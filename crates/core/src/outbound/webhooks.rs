//! Signed outgoing webhooks for county integrations (a 12345 hotline, a city platform).
//!
//! * County staff (or the system administrator) register a subscription: an `http://` URL and the
//!   event kinds wanted. A secret is generated, shown once and stored encrypted (SM4-GCM,
//!   bound to the row). Create, disable, enable and rotate are audited.
//! * [`dispatch`] walks the case timeline after a stored cursor, per county, and writes one
//!   delivery per matching subscription into the outbox in the same transaction as the
//!   cursor move. Write paths do no extra work. Confidential case types never produce an
//!   event (tips are not in the timeline at all), and the payload carries no names, ID
//!   numbers, phones or free text.
//! * [`deliver`] POSTs the head of each subscription's queue — deliveries go out in
//!   timeline order per subscription — and retries failures with backoff (1 min, 5 min,
//!   30 min, 2 h, 12 h); after six failed attempts a delivery is dead until staff redeliver
//!   it.
//!
//! # The request a receiver gets
//!
//! `POST <url>` with `Content-Type: application/json` and
//!
//! * `X-Xiangzhi-Delivery: <delivery id>` — the same on every attempt (de-duplicate by it);
//! * `X-Xiangzhi-Event: case.created | case.state_changed | case.escalated | case.closed`;
//! * `X-Xiangzhi-Timestamp: <ms since the Unix epoch, UTC>` — the time of this attempt;
//! * `X-Xiangzhi-Signature: hmac-sm3=<hex>` — lowercase hex of HMAC-SM3 (GB/T 32905 hash
//!   in RFC 2104 HMAC) keyed with the subscription secret (its 64 characters as ASCII
//!   bytes) over the bytes `<timestamp> "." <body>`.
//!
//! To verify: recompute the HMAC over the timestamp header, a full stop and the raw body,
//! compare in constant time, and refuse timestamps far from your clock (replays). Any 2xx
//! answer within 10 seconds counts as delivered; anything else is retried.

use tokio::task::JoinSet;

use super::model::{Delivery, NewSubscription, Subscription};
use super::rules::{self, EventFacts};
use super::store::{self, NewDelivery};
use crate::areas::AreaLevel;
use crate::audit::{self, Entry};
use crate::authz::{Actor, Permission};
use crate::error::{AppError, AppResult};
use crate::{clock, crypto, Core};

/// How long one delivery attempt may take.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Timeline entries read per county per run.
pub const DISPATCH_BATCH: i64 = 500;
/// Deliveries sent per subscription per run.
pub const SEND_BATCH: usize = 20;

const CURSOR: &str = "webhooks";

fn aad_secret(id: &str) -> Vec<u8> {
    format!("webhook:{id}:secret").into_bytes()
}

/// County staff or the system administrator, at the county (or the system).
fn require_county(actor: &Actor, county: &str) -> AppResult<()> {
    actor.require_at_level(Permission::WebhooksManage, county, AreaLevel::County)
}

/// The county an actor manages integrations of (their first county grant that allows it).
pub fn county_of(actor: &Actor) -> Option<String> {
    actor
        .grants
        .iter()
        .find(|g| {
            g.area_level == AreaLevel::County
                && crate::authz::role_permits(g.role, Permission::WebhooksManage)
        })
        .map(|g| g.area_code.clone())
}

/// Register a subscription. Returns it with its secret, which is shown this once.
pub async fn create(
    core: &Core,
    actor: &Actor,
    county: &str,
    input: NewSubscription,
    now: i64,
) -> AppResult<(Subscription, String)> {
    require_county(actor, county)?;
    let mut errors = Vec::new();
    let name = rules::check_name(&input.name)
        .map_err(|e| errors.push(e))
        .ok();
    let url = rules::check_url(&input.url)
        .map_err(|e| errors.push(e))
        .ok();
    let kinds = rules::check_kinds(&input.kinds)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(name), Some(url), Some(kinds)) = (name, url, kinds) else {
        return Err(AppError::Validation(errors));
    };
    let id = clock::new_id();
    let secret = crypto::random_token(32);
    let sub = Subscription {
        id: id.clone(),
        county_code: county.to_string(),
        name,
        url,
        kinds,
        active: true,
        since_at: now,
        created_at: now,
        updated_at: now,
    };
    let enc = core.keys.encrypt_str(&secret, &aad_secret(&id));
    let mut tx = core.db.write.begin().await?;
    store::insert_subscription(
        &mut tx,
        &sub,
        &enc,
        (!actor.user_id.is_empty()).then_some(actor.user_id.as_str()),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("webhook.create", "webhook", &id)
            .area(county)
            .detail(format!("{} · {}", sub.name, sub.kinds.join(","))),
    )
    .await?;
    tx.commit().await?;
    Ok((sub, secret))
}

/// The subscriptions of a county.
pub async fn list(core: &Core, actor: &Actor, county: &str) -> AppResult<Vec<Subscription>> {
    require_county(actor, county)?;
    store::subscriptions(&core.db, county).await
}

/// The newest deliveries of a county (optionally of one status: `pending`, `delivered`,
/// `dead`).
pub async fn deliveries(
    core: &Core,
    actor: &Actor,
    county: &str,
    status: Option<&str>,
    limit: i64,
) -> AppResult<Vec<Delivery>> {
    require_county(actor, county)?;
    let status = status.map(str::trim).filter(|s| !s.is_empty());
    if let Some(s) = status {
        if !matches!(s, "pending" | "delivered" | "dead") {
            return Err(AppError::field("status", "invalid"));
        }
    }
    store::recent_deliveries(&core.db, county, status, limit.clamp(1, 200)).await
}

/// Load a subscription for a change by someone who may make it (others: not found).
async fn load_for_change(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    id: &str,
) -> AppResult<Subscription> {
    let (s, _) = store::subscription_tx(conn, id)
        .await?
        .ok_or(AppError::NotFound("webhook"))?;
    require_county(actor, &s.county_code).map_err(|_| AppError::NotFound("webhook"))?;
    Ok(s)
}

/// Switch a subscription off, or on again. Switched on again, it receives only events from
/// that moment: what happened while it was off is not delivered.
pub async fn set_active(
    core: &Core,
    actor: &Actor,
    id: &str,
    active: bool,
    now: i64,
) -> AppResult<Subscription> {
    let mut tx = core.db.write.begin().await?;
    let mut s = load_for_change(&mut tx, actor, id).await?;
    if s.active == active {
        return Ok(s);
    }
    let since = if active { now } else { s.since_at };
    store::set_active(&mut tx, id, active, since, now).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new(
            if active {
                "webhook.enable"
            } else {
                "webhook.disable"
            },
            "webhook",
            id,
        )
        .area(&s.county_code)
        .detail(s.name.clone()),
    )
    .await?;
    tx.commit().await?;
    s.active = active;
    s.since_at = since;
    s.updated_at = now;
    Ok(s)
}

/// Replace a subscription's secret; the new one is returned (shown once). Deliveries from
/// now on are signed with it, retries of older ones included.
pub async fn rotate(core: &Core, actor: &Actor, id: &str, now: i64) -> AppResult<String> {
    let mut tx = core.db.write.begin().await?;
    let s = load_for_change(&mut tx, actor, id).await?;
    let secret = crypto::random_token(32);
    store::set_secret(
        &mut tx,
        id,
        &core.keys.encrypt_str(&secret, &aad_secret(id)),
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("webhook.rotate", "webhook", id)
            .area(&s.county_code)
            .detail(s.name),
    )
    .await?;
    tx.commit().await?;
    Ok(secret)
}

/// Put a dead delivery back in its subscription's queue (attempts start again).
pub async fn redeliver(core: &Core, actor: &Actor, delivery_id: &str, now: i64) -> AppResult<()> {
    let mut tx = core.db.write.begin().await?;
    let d = store::delivery_tx(&mut tx, delivery_id)
        .await?
        .ok_or(AppError::NotFound("delivery"))?;
    require_county(actor, &d.county_code).map_err(|_| AppError::NotFound("delivery"))?;
    if !store::requeue_delivery(&mut tx, delivery_id, now).await? {
        return Err(AppError::InvalidTransition("delivery_not_dead"));
    }
    audit::record(
        &mut tx,
        actor,
        Entry::new("webhook.redeliver", "webhook_delivery", delivery_id)
            .area(&d.county_code)
            .detail(format!(
                "{} · {} · {}",
                d.subscription_name, d.kind, d.case_number
            )),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Hand new timeline entries on to the subscriptions that want them: per county with an
/// active subscription, up to [`DISPATCH_BATCH`] entries after the cursor and at least
/// [`rules::LAG_MS`] old, written as deliveries in one transaction with the cursor move.
/// Returns how many deliveries were queued.
pub async fn dispatch(core: &Core, now: i64) -> AppResult<usize> {
    let subs = store::active_subscriptions(&core.db).await?;
    let until = now - rules::LAG_MS;
    let mut queued = 0;
    let mut i = 0;
    while i < subs.len() {
        let county = subs[i].county_code.clone();
        let group: Vec<&Subscription> = subs[i..]
            .iter()
            .take_while(|s| s.county_code == county)
            .collect();
        i += group.len();
        queued += dispatch_county(core, &county, &group, until, now).await?;
    }
    Ok(queued)
}

async fn dispatch_county(
    core: &Core,
    county: &str,
    subs: &[&Subscription],
    until: i64,
    now: i64,
) -> AppResult<usize> {
    let start = subs.iter().map(|s| s.since_at).min().unwrap_or(now);
    let stored = store::cursor(&core.db, CURSOR, county).await?;
    // Nothing before the oldest subscription's start is wanted: skip ahead to it.
    let from = match &stored {
        Some((at, id)) if *at >= start => (*at, id.clone()),
        _ => (start, String::new()),
    };
    let rows =
        store::events_after(&core.db, county, (from.0, &from.1), until, DISPATCH_BATCH).await?;
    let Some(last) = rows.last() else {
        return Ok(0);
    };
    let mut out = Vec::new();
    for r in &rows {
        if r.confidential {
            continue;
        }
        let Some(kind) = rules::event_kind(&r.action, r.from, r.to) else {
            continue;
        };
        let facts = EventFacts {
            event_id: &r.id,
            at: r.at,
            action: &r.action,
            from: r.from,
            to: r.to,
            county_code: county,
            case_id: &r.case_id,
            number: &r.number,
            type_code: &r.type_code,
            category: &r.category,
            area_code: &r.area_code,
        };
        let mut body = None;
        for s in subs {
            if r.at < s.since_at || !s.kinds.iter().any(|k| k == kind) {
                continue;
            }
            out.push(NewDelivery {
                id: clock::new_id(),
                subscription_id: s.id.clone(),
                county_code: county.to_string(),
                event_id: r.id.clone(),
                event_at: r.at,
                kind: kind.to_string(),
                case_number: r.number.clone(),
                payload: body
                    .get_or_insert_with(|| rules::payload(kind, &facts))
                    .clone(),
                created_at: now,
            });
        }
    }
    let mut tx = core.db.write.begin().await?;
    store::insert_deliveries(&mut tx, &out).await?;
    let old = stored.as_ref().map(|(at, id)| (*at, id.as_str()));
    if !store::move_cursor(&mut tx, CURSOR, county, old, (last.at, &last.id), now).await? {
        // Another process dispatched these entries: leave them to it.
        tx.rollback().await?;
        return Ok(0);
    }
    tx.commit().await?;
    Ok(out.len())
}

/// Send what is due: for every active subscription (side by side), the head of its queue,
/// then the next, up to [`SEND_BATCH`]; a failure stops that subscription until its retry
/// is due, so deliveries stay in order. Returns (delivered, failed attempts).
pub async fn deliver(core: &Core, now: i64) -> AppResult<(usize, usize)> {
    let subs = store::active_subscriptions(&core.db).await?;
    let mut set = JoinSet::new();
    for s in subs {
        let core = core.clone();
        set.spawn(async move { deliver_subscription(&core, &s, now).await });
    }
    let (mut ok, mut failed) = (0, 0);
    while let Some(r) = set.join_next().await {
        match r {
            Ok(Ok((o, f))) => {
                ok += o;
                failed += f;
            }
            Ok(Err(e)) => tracing::warn!("webhook delivery failed: {e}"),
            Err(e) => tracing::warn!("webhook delivery task failed: {e}"),
        }
    }
    Ok((ok, failed))
}

async fn deliver_subscription(
    core: &Core,
    s: &Subscription,
    now: i64,
) -> AppResult<(usize, usize)> {
    let mut secret = None;
    let mut ok = 0;
    for _ in 0..SEND_BATCH {
        let Some(d) = store::queue_head(&core.db, &s.id).await? else {
            break;
        };
        if d.next_at > now {
            break;
        }
        if !store::claim_delivery(&core.db, &d.id, d.next_at, now + rules::LEASE_MS).await? {
            break;
        }
        if secret.is_none() {
            let blob = store::secret(&core.db, &s.id)
                .await?
                .ok_or(AppError::NotFound("webhook"))?;
            secret = Some(
                core.keys
                    .decrypt_str(&blob, &aad_secret(&s.id))
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("webhook secret: {e}")))?,
            );
        }
        let key = secret.as_deref().unwrap_or_default();
        let timestamp = now.to_string();
        let signature = format!(
            "{}{}",
            rules::SIGNATURE_PREFIX,
            rules::signature(key, now, &d.payload)
        );
        let headers = [
            (rules::HEADER_DELIVERY, d.id.as_str()),
            (rules::HEADER_EVENT, d.kind.as_str()),
            (rules::HEADER_TIMESTAMP, timestamp.as_str()),
            (rules::HEADER_SIGNATURE, signature.as_str()),
        ];
        let attempts = d.attempts + 1;
        let (status, error) =
            match crate::accounts::sms::http_post(&s.url, &headers, &d.payload, TIMEOUT).await {
                Ok(code) if (200..300).contains(&code) => (Some(i64::from(code)), None),
                Ok(code) => (Some(i64::from(code)), Some(format!("HTTP {code}"))),
                Err(e) => (None, Some(short(&e.to_string()))),
            };
        match error {
            None => {
                store::finish_delivery(
                    &core.db,
                    &d.id,
                    "delivered",
                    attempts,
                    now,
                    status,
                    None,
                    now,
                )
                .await?;
                ok += 1;
            }
            Some(err) => {
                let (state, next) = match rules::webhook_retry_at(attempts, now) {
                    Some(at) => ("pending", at),
                    None => ("dead", now),
                };
                store::finish_delivery(
                    &core.db,
                    &d.id,
                    state,
                    attempts,
                    next,
                    status,
                    Some(&err),
                    now,
                )
                .await?;
                return Ok((ok, 1));
            }
        }
    }
    Ok((ok, 0))
}

/// An error message cut to what a list can show.
fn short(s: &str) -> String {
    s.chars().take(200).collect()
}
