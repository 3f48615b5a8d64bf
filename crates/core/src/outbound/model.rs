//! Types of outgoing notifications.

use serde::Serialize;

/// A county integration's webhook subscription (its secret is never part of it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subscription {
    pub id: String,
    pub county_code: String,
    pub name: String,
    /// `http://host[:port]/path`.
    pub url: String,
    /// The event kinds it wants (see [`super::rules::EVENT_KINDS`]).
    pub kinds: Vec<String>,
    pub active: bool,
    /// Events before this instant are not delivered to it.
    pub since_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a county integration registers.
#[derive(Debug, Clone, Default)]
pub struct NewSubscription {
    pub name: String,
    pub url: String,
    pub kinds: Vec<String>,
}

/// One delivery of one event to one subscription, as the county page lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    pub id: String,
    pub subscription_id: String,
    pub subscription_name: String,
    pub county_code: String,
    pub kind: String,
    pub case_number: String,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i64,
    /// When the next attempt is due (pending deliveries).
    pub next_at: i64,
    /// The HTTP status of the last attempt, when the receiver answered.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A user's choice for one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Preference {
    pub channel: super::rules::Channel,
    pub mode: super::rules::Mode,
    /// No choice made: this is the default.
    pub default: bool,
}

/// What one run of the sweeper did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Webhook deliveries queued from the timeline.
    pub queued_deliveries: usize,
    /// Text messages queued (case states, notices, digests).
    pub queued_sms: usize,
    /// Users whose daily digest was made.
    pub digests: usize,
    pub delivered: usize,
    pub delivery_failures: usize,
    pub sms_sent: usize,
    pub sms_failures: usize,
}
