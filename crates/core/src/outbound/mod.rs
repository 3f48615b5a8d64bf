//! Outgoing notifications (issue 3, point 8): signed webhooks for county integrations,
//! text messages for case notices, and a daily digest instead of a flood.
//!
//! Nothing here runs inside the write paths of cases: dispatchers walk the case timeline
//! and the inbox after stored cursors, and queue into outboxes (`webhook_deliveries`,
//! `sms_outbox`) in the same transaction as the cursor move; senders drain the outboxes with
//! retries. [`sweep`] does one bounded round of all of it; `serve` calls it every
//! [`SWEEP_SECONDS`].

pub mod digest;
pub mod model;
pub mod rules;
pub mod store;
pub mod texts;
pub mod webhooks;

pub use model::{Delivery, NewSubscription, Preference, Subscription, SweepReport};

use crate::Core;

/// How often `serve` runs [`sweep`].
pub const SWEEP_SECONDS: u64 = 5;

/// One bounded round: dispatch new timeline entries to webhook subscriptions, queue texts
/// about case states and notices, make the digests that are due, then deliver webhooks and
/// send texts. A failing step is logged and the others still run.
pub async fn sweep(core: &Core, now: i64) -> SweepReport {
    let mut r = SweepReport::default();
    match webhooks::dispatch(core, now).await {
        Ok(n) => r.queued_deliveries = n,
        Err(e) => tracing::warn!("webhook dispatch failed: {e}"),
    }
    match texts::dispatch_case_states(core, now).await {
        Ok(n) => r.queued_sms += n,
        Err(e) => tracing::warn!("case text dispatch failed: {e}"),
    }
    match texts::dispatch_notices(core, now).await {
        Ok(n) => r.queued_sms += n,
        Err(e) => tracing::warn!("notice text dispatch failed: {e}"),
    }
    match digest::run(core, now).await {
        Ok(n) => r.digests = n,
        Err(e) => tracing::warn!("daily digest failed: {e}"),
    }
    match webhooks::deliver(core, now).await {
        Ok((ok, failed)) => {
            r.delivered = ok;
            r.delivery_failures = failed;
        }
        Err(e) => tracing::warn!("webhook delivery failed: {e}"),
    }
    match texts::send_due(core, now).await {
        Ok((ok, failed)) => {
            r.sms_sent = ok;
            r.sms_failures = failed;
        }
        Err(e) => tracing::warn!("sending texts failed: {e}"),
    }
    r
}
