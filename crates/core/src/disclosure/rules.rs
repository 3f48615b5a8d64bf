//! Pure rules of disclosure: periods and due dates (R-VA-FREQ), the chain hash, review and
//! objection windows (§5.3), the on-demand threshold (R-VA-2) and the personal-data check
//! of public text (R-VA-4). No clock, no I/O.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

const DAY_MS: i64 = 86_400_000;

/// The first hash of every village's chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Monthly,
    Quarterly,
    Yearly,
    /// Within `event_days` of the event (随时公布).
    Event,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::Yearly => "yearly",
            Frequency::Event => "event",
        }
    }
    pub fn parse(s: &str) -> Option<Frequency> {
        match s {
            "monthly" => Some(Frequency::Monthly),
            "quarterly" => Some(Frequency::Quarterly),
            "yearly" => Some(Frequency::Yearly),
            "event" => Some(Frequency::Event),
            _ => None,
        }
    }
}

/// An item of the disclosure catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub code: String,
    pub area_code: String,
    pub name_zh: String,
    pub name_en: String,
    pub frequency: Frequency,
    pub event_days: i64,
    /// Due by this day of the month after the period ends (default the 10th).
    pub due_day: u32,
    pub template: String,
    pub legal_basis: String,
    /// `county`, `village` (a village's own addition) or `demanded` (R-VA-2).
    pub origin: String,
}

/// County settings (CONFIG, spec §18).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The supervisors' review window before release (山东 §11: 5 days).
    pub review_days: i64,
    /// Villagers may object within this many days of release (§16: 5 days) …
    pub objection_days: i64,
    /// … and are answered within this many days.
    pub answer_days: i64,
    /// Kept on display at least this many days (山东 §13: ≥5).
    pub display_days: i64,
    /// An overdue publication goes to the township this many days after its due date.
    pub township_after_days: i64,
    /// R-VA-3: release needs the supervisors' review (or its window to have passed).
    pub review_required: bool,
    /// A released publication without photo evidence of posting on the village board this
    /// many days after release is shown as unposted to the township (五化; CONFIG, default 3).
    #[serde(default = "default_posting_days")]
    pub posting_days: i64,
}

fn default_posting_days() -> i64 {
    3
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            review_days: 5,
            objection_days: 5,
            answer_days: 5,
            display_days: 30,
            township_after_days: 10,
            review_required: true,
            posting_days: default_posting_days(),
        }
    }
}

fn date_of(ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

/// The period label of `date` for a frequency: `2026-11`, `2026-Q4`, `2026`.
pub fn period_of(f: Frequency, date: NaiveDate) -> String {
    match f {
        Frequency::Monthly | Frequency::Event => format!("{}-{:02}", date.year(), date.month()),
        Frequency::Quarterly => format!("{}-Q{}", date.year(), (date.month() - 1) / 3 + 1),
        Frequency::Yearly => date.year().to_string(),
    }
}

/// The last period that has ended before `now`, and the moment its publication is due
/// (end of `due_day` of the following month). `None` for event items.
pub fn last_due(item: &Item, now: i64) -> Option<(String, i64)> {
    let d = date_of(now);
    let (year, month) = (d.year(), d.month());
    // The first day of the period after the last complete one = start of current period.
    let current_start = match item.frequency {
        Frequency::Event => return None,
        Frequency::Monthly => NaiveDate::from_ymd_opt(year, month, 1)?,
        Frequency::Quarterly => NaiveDate::from_ymd_opt(year, (month - 1) / 3 * 3 + 1, 1)?,
        Frequency::Yearly => NaiveDate::from_ymd_opt(year, 1, 1)?,
    };
    let last_day_of_prev = current_start.pred_opt()?;
    let period = period_of(item.frequency, last_day_of_prev);
    let due_date = NaiveDate::from_ymd_opt(
        current_start.year(),
        current_start.month(),
        item.due_day.clamp(1, 28),
    )?;
    let due = due_date
        .and_hms_opt(23, 59, 59)?
        .and_utc()
        .timestamp_millis();
    Some((period, due))
}

/// Days a publication is late at `now` (0 when not yet due).
pub fn days_late(due: i64, now: i64) -> i64 {
    if now <= due {
        0
    } else {
        (now - due + DAY_MS - 1) / DAY_MS
    }
}

/// The canonical bytes a publication's hash covers. Anyone can rebuild them from the
/// online copy and recompute SM3 to check it.
#[allow(clippy::too_many_arguments)]
pub fn canonical(
    area_code: &str,
    seq: i64,
    item_code: &str,
    period: &str,
    title: &str,
    body: &str,
    released_at: i64,
    prev_hash: &str,
) -> String {
    format!(
        "xiangzhi-publication-v1\narea:{area_code}\nseq:{seq}\nitem:{item_code}\nperiod:{period}\n\
         released_at:{released_at}\nprev:{prev_hash}\ntitle:{title}\n\n{body}"
    )
}

/// SM3 of the canonical bytes.
#[allow(clippy::too_many_arguments)]
pub fn chain_hash(
    area_code: &str,
    seq: i64,
    item_code: &str,
    period: &str,
    title: &str,
    body: &str,
    released_at: i64,
    prev_hash: &str,
) -> String {
    crate::crypto::sm3_hex(
        canonical(
            area_code,
            seq,
            item_code,
            period,
            title,
            body,
            released_at,
            prev_hash,
        )
        .as_bytes(),
    )
}

/// R-VA-2: an item demanded by at least a tenth of the adult villagers or a fifth of the
/// representatives must be added.
pub fn demand_met(villagers: i64, adults: i64, reps_signed: i64, reps: i64) -> bool {
    (adults > 0 && 10 * villagers >= adults) || (reps > 0 && 5 * reps_signed >= reps)
}

/// R-VA-4: text for the public must carry no ID numbers or phone numbers. Returns the
/// first offending kind found.
pub fn personal_data(text: &str) -> Option<&'static str> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let run = i - start;
            let x_tail = run == 17 && i < chars.len() && matches!(chars[i], 'x' | 'X');
            if run == 18 || x_tail || run == 15 {
                return Some("id_number");
            }
            if run == 11
                && chars[start] == '1'
                && chars
                    .get(start + 1)
                    .is_some_and(|c| ('3'..='9').contains(c))
            {
                return Some("phone");
            }
        } else {
            i += 1;
        }
    }
    None
}

/// The earliest time a notice posted at `posted_at` may come down from the village board:
/// it stays up at least the county's minimum display days (山东 §13: ≥5; default 30).
pub fn earliest_take_down(posted_at: i64, settings: &Settings) -> i64 {
    posted_at + settings.display_days * DAY_MS
}

/// Whole days a released publication has gone without posting evidence past the county's
/// allowance (`posting_days` after release); `None` while it is still within it.
pub fn days_unposted(released_at: i64, settings: &Settings, now: i64) -> Option<i64> {
    let due = released_at + settings.posting_days * DAY_MS;
    (now > due).then(|| (now - due) / DAY_MS)
}

/// Whether an objection filed at `now` is within the window after release.
pub fn objection_open(released_at: i64, settings: &Settings, now: i64) -> bool {
    now >= released_at && now <= released_at + settings.objection_days * DAY_MS
}

/// Whether a publication in review may be released at `now` (R-VA-3).
pub fn may_release(status: &str, review_until: Option<i64>, settings: &Settings, now: i64) -> bool {
    match status {
        "approved" => true,
        "in_review" => !settings.review_required || review_until.is_some_and(|t| now > t),
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ms(y: i32, m: u32, d: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis()
    }

    fn item(f: Frequency) -> Item {
        Item {
            code: "finance".into(),
            area_code: "130123000000".into(),
            name_zh: "财务收支".into(),
            name_en: "Finance".into(),
            frequency: f,
            event_days: 0,
            due_day: 10,
            template: String::new(),
            legal_basis: String::new(),
            origin: "county".into(),
        }
    }

    #[test]
    fn periods_and_due_dates() {
        let (p, due) = last_due(&item(Frequency::Monthly), ms(2026, 11, 29)).unwrap();
        assert_eq!(p, "2026-10");
        assert!(due < ms(2026, 11, 11) && due > ms(2026, 11, 10));
        let (p, _) = last_due(&item(Frequency::Quarterly), ms(2026, 1, 5)).unwrap();
        assert_eq!(p, "2025-Q4");
        let (p, _) = last_due(&item(Frequency::Yearly), ms(2026, 3, 1)).unwrap();
        assert_eq!(p, "2025");
        assert!(last_due(&item(Frequency::Event), ms(2026, 3, 1)).is_none());
        assert_eq!(days_late(ms(2026, 11, 10), ms(2026, 11, 10)), 0);
        assert_eq!(days_late(ms(2026, 11, 10), ms(2026, 11, 12)), 2);
    }

    #[test]
    fn chain_hash_covers_every_field() {
        let h = chain_hash("a", 1, "i", "p", "t", "b", 5, GENESIS);
        assert_eq!(h.len(), 64);
        assert_ne!(h, chain_hash("a", 1, "i", "p", "t", "b.", 5, GENESIS));
        assert_ne!(h, chain_hash("a", 2, "i", "p", "t", "b", 5, GENESIS));
        assert_ne!(h, chain_hash("a", 1, "i", "p", "t", "b", 6, GENESIS));
    }

    #[test]
    fn demand_threshold_is_inclusive() {
        assert!(demand_met(100, 1000, 0, 30));
        assert!(!demand_met(99, 1000, 0, 30));
        assert!(demand_met(0, 1000, 6, 30));
        assert!(!demand_met(0, 1000, 5, 30));
    }

    #[test]
    fn a_posting_stays_up_the_minimum_days() {
        let s = Settings {
            display_days: 7,
            ..Settings::default()
        };
        let day = 86_400_000;
        assert_eq!(earliest_take_down(1000, &s), 1000 + 7 * day);
        assert!(earliest_take_down(0, &Settings::default()) >= 5 * day);
    }

    #[test]
    fn unposted_counts_from_the_allowance() {
        let s = Settings::default();
        let day = 86_400_000;
        assert_eq!(days_unposted(0, &s, 3 * day), None, "on the last day");
        assert_eq!(days_unposted(0, &s, 3 * day + 1), Some(0));
        assert_eq!(days_unposted(0, &s, 5 * day + 1), Some(2));
        // Settings kept before the field existed read with the default.
        let old: Settings = serde_json::from_str(
            r#"{"review_days":5,"objection_days":5,"answer_days":5,"display_days":30,
                "township_after_days":10,"review_required":true}"#,
        )
        .unwrap();
        assert_eq!(old.posting_days, 3);
    }

    #[test]
    fn personal_data_is_caught() {
        assert_eq!(
            personal_data("身份证 11010519491231002X 张三"),
            Some("id_number")
        );
        assert_eq!(personal_data("联系电话13812345678"), Some("phone"));
        assert_eq!(personal_data("金额 12500.00 元，户数 386"), None);
        assert_eq!(personal_data("2026年11月29日"), None);
    }

    #[test]
    fn windows() {
        let s = Settings::default();
        let t = ms(2026, 11, 1);
        assert!(objection_open(t, &s, t + 5 * DAY_MS));
        assert!(!objection_open(t, &s, t + 5 * DAY_MS + 1));
        assert!(!may_release("in_review", Some(t), &s, t));
        assert!(may_release("in_review", Some(t), &s, t + 1));
        assert!(may_release("approved", None, &s, t));
        assert!(!may_release("returned", None, &s, t));
        assert!(!may_release("released", None, &s, t));
    }
}
