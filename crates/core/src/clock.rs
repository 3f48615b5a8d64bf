//! The only place that reads the wall clock. Rules take time as an argument.

use chrono::{DateTime, NaiveDate, Utc};

/// Milliseconds since the Unix epoch, UTC.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Today's date in China Standard Time (UTC+8), the date the county lives by.
pub fn today() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// Format a millisecond timestamp as `YYYY-MM-DD HH:MM` in China Standard Time.
pub fn format_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| {
            (t + chrono::Duration::hours(8))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// A new time-ordered unique identifier (UUIDv7).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The calendar year (China Standard Time) of a millisecond timestamp.
pub fn year_of(ms: i64) -> i32 {
    use chrono::Datelike;
    DateTime::<Utc>::from_timestamp_millis(ms + 8 * 3600 * 1000)
        .map(|t| t.year())
        .unwrap_or(1970)
}

/// A monotonic instant, for measuring how long something took.
pub fn instant() -> std::time::Instant {
    std::time::Instant::now()
}
