//! Pure rules of the case engine: the state machine, deadlines on the county calendar,
//! validation of a new case against its type, and the duplicate test. No I/O, no clock:
//! time comes in as an argument.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};

use super::model::*;
use crate::error::FieldError;

/// China Standard Time offset: deadlines in working days are counted on the local calendar.
const CST: i64 = 8 * 3600 * 1000;
const HOUR: i64 = 3600 * 1000;
const DAY: i64 = 24 * HOUR;

/// Longest description accepted (the Open311 limit).
pub const MAX_DESCRIPTION: usize = 4000;
pub const MAX_TITLE: usize = 100;
pub const MAX_REASON: usize = 1000;

/// The county's working calendar: weekends are off unless listed as worked (调休),
/// listed holidays are off.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    pub holidays: HashSet<NaiveDate>,
    pub workdays: HashSet<NaiveDate>,
}

impl Calendar {
    pub fn is_working(&self, d: NaiveDate) -> bool {
        if self.workdays.contains(&d) {
            return true;
        }
        if self.holidays.contains(&d) {
            return false;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The deadline `sla` after `start_ms`. Working days keep the time of day; a start on a
    /// day off counts from the start of the next working day.
    pub fn deadline(&self, start_ms: i64, sla: Sla) -> i64 {
        match sla {
            Sla::Hours(h) => start_ms + i64::from(h) * HOUR,
            Sla::WorkingDays(n) => {
                let local = start_ms + CST;
                let mut day = local_date(local);
                let mut time_of_day = local.rem_euclid(DAY);
                if !self.is_working(day) {
                    time_of_day = 0;
                    while !self.is_working(day) {
                        day = day.succ_opt().unwrap_or(day);
                    }
                }
                let mut left = n;
                while left > 0 {
                    day = day.succ_opt().unwrap_or(day);
                    if self.is_working(day) {
                        left -= 1;
                    }
                }
                let midnight = day
                    .and_hms_opt(0, 0, 0)
                    .map(|t| t.and_utc().timestamp_millis())
                    .unwrap_or(local);
                midnight + time_of_day - CST
            }
        }
    }
}

fn local_date(local_ms: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_millis(local_ms)
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

/// What a transition changes. The service applies it, writes the timeline and the audit.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Change {
    pub to: Option<Status>,
    /// Timeline note.
    pub note: String,
    /// Whether the reporter and the public see the note.
    pub public: bool,
    pub priority: Option<Priority>,
    pub assignee: Option<Option<String>>,
    pub handler: Option<String>,
    pub due_at: Option<i64>,
    pub pending_extension: Option<Option<i64>>,
    /// Move the case one level up (recompute organisation and deadline).
    pub escalate: bool,
    pub reopen: bool,
    pub rating: Option<Rating>,
}

/// Facts about the case and the actor that a transition depends on.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub case: &'a Case,
    pub actor_user_id: &'a str,
    pub settings: Settings,
    pub sla: SlaSet,
    pub now: i64,
    pub calendar: &'a Calendar,
}

fn reason(r: &str, field: &'static str) -> Result<String, &'static str> {
    let r = clean_text(r);
    if r.chars().count() < 2 {
        return Err(if field == "reason" {
            "reason_required"
        } else {
            "evidence_required"
        });
    }
    if r.chars().count() > MAX_REASON {
        return Err("too_long");
    }
    Ok(r)
}

/// The outcome of `action` on a case, or the reason it is impossible.
pub fn transition(f: &Facts<'_>, action: &Action) -> Result<Change, &'static str> {
    use Status as S;
    let c = f.case;
    let st = c.status;
    let mut ch = Change {
        public: true,
        ..Change::default()
    };
    match action {
        Action::Accept { priority } => {
            expect(st, &[S::Reported])?;
            ch.to = Some(S::Accepted);
            if let Some(p) = priority {
                if *p != c.priority {
                    ch.priority = Some(*p);
                    ch.due_at = Some(f.calendar.deadline(c.created_at, f.sla.for_priority(*p)));
                }
            }
        }
        Action::Reject { reason: r } => {
            expect(st, &[S::Reported])?;
            ch.to = Some(S::Rejected);
            ch.note = reason(r, "reason")?;
        }
        Action::Dispatch {
            assignee_user_id,
            note,
        } => {
            expect(st, &[S::Accepted, S::Returned])?;
            ch.to = Some(S::Dispatched);
            ch.assignee = Some(assignee_user_id.clone().filter(|s| !s.is_empty()));
            ch.note = note.as_deref().map(clean_text).unwrap_or_default();
        }
        Action::Return { reason: r } => {
            expect(st, &[S::Dispatched])?;
            ch.to = Some(S::Returned);
            ch.assignee = Some(None);
            ch.note = reason(r, "reason")?;
        }
        Action::Start => {
            expect(st, &[S::Dispatched])?;
            ch.to = Some(S::InProgress);
            if c.assignee_user_id.is_none() {
                ch.assignee = Some(Some(f.actor_user_id.to_string()));
            }
        }
        Action::Suspend { reason: r } => {
            expect(st, &[S::InProgress])?;
            ch.to = Some(S::Suspended);
            ch.note = reason(r, "reason")?;
        }
        Action::Resume => {
            expect(st, &[S::Suspended])?;
            ch.to = Some(S::InProgress);
        }
        Action::RequestExtension { hours, reason: r } => {
            expect(st, &[S::InProgress, S::Suspended])?;
            if c.pending_extension_hours.is_some() {
                return Err("extension_pending");
            }
            if !(1..=24 * 60).contains(hours) {
                return Err("extension_hours");
            }
            ch.pending_extension = Some(Some(*hours));
            ch.note = reason(r, "reason")?;
            ch.public = false;
        }
        Action::DecideExtension { approve, note } => {
            let Some(h) = c.pending_extension_hours else {
                return Err("no_extension_pending");
            };
            ch.pending_extension = Some(None);
            if *approve {
                ch.due_at = Some(c.due_at.max(f.now) + h * HOUR);
            }
            ch.note = note.as_deref().map(clean_text).unwrap_or_default();
            ch.public = false;
        }
        Action::Handle { evidence } => {
            expect(st, &[S::InProgress])?;
            ch.to = Some(S::Handled);
            ch.handler = Some(f.actor_user_id.to_string());
            ch.note = reason(evidence, "evidence")?;
        }
        Action::Verify { note } => {
            expect(st, &[S::Handled])?;
            if c.handler_user_id.as_deref() == Some(f.actor_user_id) {
                return Err("verify_own_work");
            }
            ch.to = Some(S::Verified);
            ch.note = note.as_deref().map(clean_text).unwrap_or_default();
        }
        Action::Reopen { reason: r } => {
            expect(st, &[S::Handled])?;
            if c.handler_user_id.as_deref() == Some(f.actor_user_id) {
                return Err("verify_own_work");
            }
            ch.to = Some(S::InProgress);
            ch.note = reason(r, "reason")?;
        }
        Action::Close => {
            expect(st, &[S::Verified])?;
            ch.to = Some(S::Closed);
        }
        Action::Rate { rating, comment } => {
            expect(st, &[S::Closed])?;
            ch.rating = Some(*rating);
            ch.note = comment.as_deref().map(clean_text).unwrap_or_default();
            if *rating == Rating::Unsatisfied {
                let may_reopen = f.settings.unsatisfied_policy
                    == UnsatisfiedPolicy::ReopenThenEscalate
                    && c.reopen_count < f.settings.max_reopens;
                ch.to = Some(S::InProgress);
                if may_reopen {
                    ch.reopen = true;
                    ch.due_at = Some(f.calendar.deadline(f.now, f.sla.for_priority(c.priority)));
                } else if c.level.next().is_some() {
                    ch.escalate = true;
                } else {
                    // Nowhere higher to go: the county reopens it itself.
                    ch.reopen = true;
                    ch.due_at = Some(f.calendar.deadline(f.now, f.sla.for_priority(c.priority)));
                }
            } else {
                ch.to = Some(S::Revisited);
            }
        }
        Action::Escalate { reason: r } => {
            if !st.is_open() {
                return Err("case_not_open");
            }
            if c.level.next().is_none() {
                return Err("already_top_level");
            }
            ch.escalate = true;
            ch.note = reason(r, "reason")?;
        }
        Action::Note { text, public } => {
            ch.note = reason(text, "reason")?;
            ch.public = *public;
        }
    }
    if ch.escalate {
        // The next level gets a fresh window; the slip stays recorded on the case.
        ch.due_at = Some(f.calendar.deadline(f.now, f.sla.for_priority(c.priority)));
    }
    Ok(ch)
}

fn expect(st: Status, allowed: &[Status]) -> Result<(), &'static str> {
    if allowed.contains(&st) {
        Ok(())
    } else {
        Err("invalid_transition")
    }
}

/// Whether an open case has passed its deadline and can still go up (R-ESC-2).
pub fn needs_escalation(status: Status, level: Level, due_at: i64, now: i64) -> bool {
    status.is_open()
        && !matches!(status, Status::Handled | Status::Verified)
        && due_at < now
        && level.next().is_some()
}

/// Text as stored: control characters removed (newlines kept), trimmed. HTML is kept as
/// text and escaped wherever it is shown, so a script tag stays inert.
pub fn clean_text(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect::<String>()
        .trim()
        .to_string()
}

/// A new case checked against its type.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidCase {
    pub title: String,
    pub description: String,
    /// The typed field values, as stored (`{code: value}`).
    pub attrs: serde_json::Value,
    pub priority: Priority,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub anonymous: bool,
    pub idempotency_key: Option<String>,
}

/// Check a submission against its case type. Every fault is reported with its field.
pub fn validate_new(t: &CaseType, n: &NewCase) -> Result<ValidCase, Vec<FieldError>> {
    let mut errs = Vec::new();
    let description = clean_text(&n.description);
    if description.is_empty() {
        errs.push(FieldError::new("description", "required"));
    } else if description.chars().count() > MAX_DESCRIPTION {
        errs.push(FieldError::new("description", "too_long"));
    }
    let title = n.title.as_deref().map(clean_text).unwrap_or_default();
    if title.chars().count() > MAX_TITLE {
        errs.push(FieldError::new("title", "too_long"));
    }
    let title = if title.is_empty() {
        let mut s: String = description.chars().take(30).collect();
        if let Some(i) = s.find('\n') {
            s.truncate(i);
        }
        if s.is_empty() {
            t.name_zh.clone()
        } else {
            s
        }
    } else {
        title
    };
    let mut attrs: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for code in n.attrs.keys() {
        if !t.fields.iter().any(|f| &f.code == code) {
            errs.push(FieldError::new(
                format!("attribute[{code}]"),
                "unknown_field",
            ));
        }
    }
    for f in &t.fields {
        let vals: Vec<String> = n
            .attrs
            .get(&f.code)
            .map(|v| {
                v.iter()
                    .map(|s| clean_text(s))
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let name = format!("attribute[{}]", f.code);
        if vals.is_empty() {
            if f.required {
                errs.push(FieldError::new(name, "required"));
            }
            continue;
        }
        let in_list = |v: &String| f.values.iter().any(|x| &x.key == v);
        let value = match f.datatype {
            FieldType::Number => match vals[0].parse::<f64>() {
                Ok(x) if x.is_finite() && vals.len() == 1 => serde_json::json!(x),
                _ => {
                    errs.push(FieldError::new(name, "not_a_number"));
                    continue;
                }
            },
            FieldType::Datetime => {
                if vals.len() != 1 || DateTime::parse_from_rfc3339(&vals[0]).is_err() {
                    errs.push(FieldError::new(name, "not_a_datetime"));
                    continue;
                }
                serde_json::json!(vals[0])
            }
            FieldType::String | FieldType::Text => {
                let max = if f.datatype == FieldType::String {
                    200
                } else {
                    MAX_DESCRIPTION
                };
                if vals.len() != 1 || vals[0].chars().count() > max {
                    errs.push(FieldError::new(name, "too_long"));
                    continue;
                }
                serde_json::json!(vals[0])
            }
            FieldType::Singlevaluelist => {
                if vals.len() != 1 || !in_list(&vals[0]) {
                    errs.push(FieldError::new(name, "not_in_list"));
                    continue;
                }
                serde_json::json!(vals[0])
            }
            FieldType::Multivaluelist => {
                if !vals.iter().all(in_list) {
                    errs.push(FieldError::new(name, "not_in_list"));
                    continue;
                }
                serde_json::json!(vals)
            }
        };
        attrs.insert(f.code.clone(), value);
    }
    if let Some(lat) = n.lat {
        if !(-90.0..=90.0).contains(&lat) {
            errs.push(FieldError::new("lat", "invalid"));
        }
    }
    if let Some(lon) = n.lon {
        if !(-180.0..=180.0).contains(&lon) {
            errs.push(FieldError::new("long", "invalid"));
        }
    }
    if n.lat.is_some() != n.lon.is_some() {
        errs.push(FieldError::new("long", "required"));
    }
    let address = n
        .address
        .as_deref()
        .map(clean_text)
        .filter(|s| !s.is_empty());
    if address.as_ref().is_some_and(|a| a.chars().count() > 200) {
        errs.push(FieldError::new("address_string", "too_long"));
    }
    let reporter_name = n
        .reporter_name
        .as_deref()
        .map(clean_text)
        .filter(|s| !s.is_empty());
    if reporter_name
        .as_ref()
        .is_some_and(|a| a.chars().count() > 50)
    {
        errs.push(FieldError::new("reporter_name", "too_long"));
    }
    let reporter_phone = n
        .reporter_phone
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(p) = reporter_phone {
        if crate::people::model::parse_phone(p).is_none() {
            errs.push(FieldError::new("phone", "phone_format"));
        }
    }
    if n.anonymous && !t.anonymous_allowed {
        errs.push(FieldError::new("anonymous", "anonymous_not_allowed"));
    }
    let idempotency_key = n
        .idempotency_key
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if idempotency_key.is_some_and(|k| k.len() > 100) {
        errs.push(FieldError::new("idempotency_key", "too_long"));
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(ValidCase {
        title,
        description,
        attrs: serde_json::Value::Object(attrs.into_iter().collect()),
        priority: n.priority.unwrap_or(if t.category == Category::Emergency {
            Priority::Urgent
        } else {
            Priority::Normal
        }),
        lat: n.lat,
        lon: n.lon,
        address,
        reporter_name: if n.anonymous { None } else { reporter_name },
        reporter_phone: if n.anonymous {
            None
        } else {
            reporter_phone.and_then(crate::people::model::parse_phone)
        },
        anonymous: n.anonymous,
        idempotency_key: idempotency_key.map(str::to_string),
    })
}

/// Distance in metres between two points (haversine).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6_371_000.0_f64;
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}

/// Similarity of two texts: Jaccard index of their character bigrams (works for Chinese
/// without segmentation).
pub fn similarity(a: &str, b: &str) -> f64 {
    let grams = |s: &str| -> HashSet<(char, char)> {
        let cs: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
        cs.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (ga, gb) = (grams(a), grams(b));
    if ga.is_empty() || gb.is_empty() {
        return if a.trim() == b.trim() { 1.0 } else { 0.0 };
    }
    let inter = ga.intersection(&gb).count() as f64;
    inter / (ga.len() as f64 + gb.len() as f64 - inter)
}

/// How long a report stays a candidate for duplicates of a new one.
pub const DUPLICATE_WINDOW_MS: i64 = 7 * DAY;

/// Whether an open case is probably the same as a new submission: same type and village
/// (checked by the query), near in place when both have a place, similar in text.
pub fn probable_duplicate(
    new_text: &str,
    new_at: Option<(f64, f64)>,
    old_text: &str,
    old_at: Option<(f64, f64)>,
) -> bool {
    if let (Some(a), Some(b)) = (new_at, old_at) {
        if distance_m(a, b) > 300.0 {
            return false;
        }
        return similarity(new_text, old_text) >= 0.35;
    }
    similarity(new_text, old_text) >= 0.5
}

/// Milliseconds in an hour, for callers that count SLA windows.
pub const HOUR_MS: i64 = HOUR;

/// Add whole days (for tests and the demo history).
pub fn days(n: i64) -> i64 {
    Duration::days(n).num_milliseconds()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let mut cal = Calendar::default();
        // Friday 2026-09-25 10:00 CST + 5 working days, with Thursday 1 October off.
        cal.holidays
            .insert(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
        let start = ms("2026-09-25T10:00:00+08:00");
        let due = cal.deadline(start, Sla::WorkingDays(5));
        assert_eq!(due, ms("2026-10-05T10:00:00+08:00"));
        // A worked Sunday (调休) counts.
        cal.workdays
            .insert(NaiveDate::from_ymd_opt(2026, 9, 27).unwrap());
        assert_eq!(
            cal.deadline(start, Sla::WorkingDays(1)),
            ms("2026-09-27T10:00:00+08:00")
        );
        // A report on Saturday counts from Monday 00:00.
        let sat = ms("2026-10-03T15:00:00+08:00");
        assert_eq!(
            Calendar::default().deadline(sat, Sla::WorkingDays(1)),
            ms("2026-10-06T00:00:00+08:00")
        );
        assert_eq!(cal.deadline(start, Sla::Hours(2)), start + 2 * HOUR);
    }

    #[test]
    fn bigram_similarity() {
        assert!(similarity("村口路灯坏了三天", "村口路灯坏了") > 0.7);
        assert!(similarity("村口路灯坏了", "张家邻里纠纷") < 0.1);
        assert_eq!(similarity("", ""), 1.0);
        assert!(probable_duplicate(
            "村口路灯坏了三天",
            Some((35.0, 117.0)),
            "村口的路灯坏了",
            Some((35.0005, 117.0))
        ));
        assert!(!probable_duplicate(
            "村口路灯坏了三天",
            Some((35.0, 117.0)),
            "村口的路灯坏了",
            Some((35.02, 117.0))
        ));
    }
}
