//! Pure rules of outgoing notifications: the event kinds an integration can ask for and what
//! a timeline entry means to it, the payload and its signature, the retry schedules, the
//! texts of the messages, notification preferences and when the daily digest is due. No I/O;
//! time comes in as an argument.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::cases::Status;
use crate::error::FieldError;

/// A case was raised (a rejection at intake included).
pub const KIND_CREATED: &str = "case.created";
/// A case moved from one state to another (other than closing or escalating).
pub const KIND_STATE_CHANGED: &str = "case.state_changed";
/// A case went up a level (overdue or by hand).
pub const KIND_ESCALATED: &str = "case.escalated";
/// A case was closed (结案).
pub const KIND_CLOSED: &str = "case.closed";

/// Every event kind a subscription may ask for.
pub const EVENT_KINDS: [&str; 4] = [
    KIND_CREATED,
    KIND_STATE_CHANGED,
    KIND_ESCALATED,
    KIND_CLOSED,
];

/// How long after its timestamp a timeline entry or inbox notice is handed on: entries are
/// committed within this time of the instant they carry (intake batches, the escalation
/// sweep), so a cursor that stays this far behind the clock never skips one committed late.
pub const LAG_MS: i64 = 15_000;

/// Text messages about something older than this are not sent (after downtime, or for
/// history loaded in bulk).
pub const SMS_MAX_AGE_MS: i64 = 6 * 3_600_000;

/// How long a claimed delivery or message is held by the sender that claimed it; after that
/// another run may try it (the sender died mid-flight).
pub const LEASE_MS: i64 = 60_000;

/// Waits before the 2nd … 6th attempt of a webhook delivery; after the 6th it is dead.
pub const WEBHOOK_RETRY_MS: [i64; 5] = [60_000, 300_000, 1_800_000, 7_200_000, 43_200_000];
/// Waits before the 2nd … 4th attempt of a text message; after the 4th it is dead.
pub const SMS_RETRY_MS: [i64; 3] = [60_000, 300_000, 1_800_000];

/// Header with the delivery id (the same on every attempt: receivers de-duplicate by it).
pub const HEADER_DELIVERY: &str = "X-Xiangzhi-Delivery";
/// Header with the event kind.
pub const HEADER_EVENT: &str = "X-Xiangzhi-Event";
/// Header with the signing time, milliseconds since the Unix epoch (UTC).
pub const HEADER_TIMESTAMP: &str = "X-Xiangzhi-Timestamp";
/// Header with the signature, `hmac-sm3=<64 lowercase hex>`.
pub const HEADER_SIGNATURE: &str = "X-Xiangzhi-Signature";
/// The prefix of the signature header value (the algorithm).
pub const SIGNATURE_PREFIX: &str = "hmac-sm3=";

/// The event kind of a timeline entry; `None` for entries that change no state (notes,
/// attachments, mediation steps).
pub fn event_kind(action: &str, from: Option<Status>, to: Status) -> Option<&'static str> {
    if from.is_none() {
        return Some(KIND_CREATED);
    }
    if action == "case.escalate" {
        return Some(KIND_ESCALATED);
    }
    if from == Some(to) {
        return None;
    }
    Some(if to == Status::Closed {
        KIND_CLOSED
    } else {
        KIND_STATE_CHANGED
    })
}

/// What an integration learns of a timeline entry. Deliberately narrow: no names, no ID
/// numbers, no phones, no free text (descriptions and notes may hold any of those).
#[derive(Debug, Clone, PartialEq)]
pub struct EventFacts<'a> {
    pub event_id: &'a str,
    pub at: i64,
    pub action: &'a str,
    pub from: Option<Status>,
    pub to: Status,
    pub county_code: &'a str,
    pub case_id: &'a str,
    pub number: &'a str,
    pub type_code: &'a str,
    pub category: &'a str,
    pub area_code: &'a str,
}

/// The JSON body of a delivery.
pub fn payload(kind: &str, f: &EventFacts<'_>) -> String {
    serde_json::json!({
        "event": kind,
        "event_id": f.event_id,
        "occurred_at": f.at,
        "county_code": f.county_code,
        "case": {
            "id": f.case_id,
            "number": f.number,
            "type_code": f.type_code,
            "category": f.category,
            "area_code": f.area_code,
        },
        "change": {
            "action": f.action,
            "from_status": f.from.map(Status::as_str),
            "to_status": f.to.as_str(),
        },
    })
    .to_string()
}

/// The signature of a delivery: lowercase hex of HMAC-SM3 keyed with the subscription
/// secret (the 64 characters shown at creation, as ASCII bytes) over
/// `timestamp + "." + body` (the decimal timestamp of the timestamp header, a full stop,
/// the exact bytes of the body).
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    crate::crypto::hmac_sm3_hex(secret.as_bytes(), format!("{timestamp}.{body}").as_bytes())
}

/// After failed attempt number `attempts` (1 for the first) of a webhook delivery: when to
/// try again, or `None` when it is dead.
pub fn webhook_retry_at(attempts: i64, now: i64) -> Option<i64> {
    retry_at(&WEBHOOK_RETRY_MS, attempts, now)
}

/// After failed attempt number `attempts` of a text message: when to try again, or `None`.
pub fn sms_retry_at(attempts: i64, now: i64) -> Option<i64> {
    retry_at(&SMS_RETRY_MS, attempts, now)
}

fn retry_at(schedule: &[i64], attempts: i64, now: i64) -> Option<i64> {
    let i = usize::try_from(attempts.max(1) - 1).ok()?;
    schedule.get(i).map(|wait| now + wait)
}

/// Check a webhook URL: `http://host[:port]/path`, at most 500 characters. `https://` is
/// refused with its own code: the binary carries no TLS stack (a local TLS relay with an
/// `http://` address does the job).
pub fn check_url(url: &str) -> Result<String, FieldError> {
    let url = url.trim();
    if url.is_empty() {
        return Err(FieldError::new("url", "required"));
    }
    if url.chars().count() > 500 {
        return Err(FieldError::new("url", "too_long"));
    }
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") {
        return Err(FieldError::new("url", "https_unsupported"));
    }
    let url = match lower.strip_prefix("http://") {
        Some(_) => format!("http://{}", &url["http://".len()..]),
        None => return Err(FieldError::new("url", "invalid")),
    };
    match crate::accounts::sms::parse_http_url(&url) {
        Some(_) => Ok(url),
        None => Err(FieldError::new("url", "invalid")),
    }
}

/// Check the event kinds of a subscription: at least one, each known; sorted, once each.
pub fn check_kinds(kinds: &[String]) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for k in kinds {
        let k = k.trim();
        if k.is_empty() {
            continue;
        }
        if !EVENT_KINDS.contains(&k) {
            return Err(FieldError::new("kinds", "event_kind_unknown"));
        }
        out.push(k.to_string());
    }
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err(FieldError::new("kinds", "required"));
    }
    Ok(out)
}

/// Check the name of a subscription (1–60 characters).
pub fn check_name(name: &str) -> Result<String, FieldError> {
    let name = name.trim();
    match name.chars().count() {
        0 => Err(FieldError::new("name", "required")),
        n if n > 60 => Err(FieldError::new("name", "too_long")),
        _ => Ok(name.to_string()),
    }
}

/// The lowest UUIDv7 text of a millisecond instant: every id made at or after `ms` sorts at
/// or after it, every id made before sorts before. Walks by primary key use it as a bound.
pub fn id_bound(ms: i64) -> String {
    let ms = ms.max(0) as u64;
    format!("{:08x}-{:04x}", (ms >> 16) & 0xffff_ffff, ms & 0xffff)
}

/// The sign-off every text message starts with.
pub const SMS_TAG: &str = "【乡治】";

/// The text a reporter gets when their case reaches one of the states they hear about:
/// the case number and the state, nothing else.
pub fn case_state_text(number: &str, from: Option<Status>, to: Status) -> Option<String> {
    if from == Some(to) {
        return None;
    }
    let state = match to {
        Status::Accepted => "已受理",
        Status::Rejected => "未予受理，请登录乡治查看原因",
        Status::Handled => "已办理完毕",
        Status::Closed => "已结案",
        _ => return None,
    };
    Some(format!("{SMS_TAG}您反映的事项（编号 {number}）{state}。"))
}

/// Inbox notice kinds that are emergencies: never held for a digest.
pub fn is_emergency(kind: &str) -> bool {
    matches!(kind, "case.emergency" | "matter.emergency")
}

/// The Chinese name of a notice kind in text messages.
pub fn notice_label(kind: &str) -> &'static str {
    match kind {
        "case.new" => "新案件",
        "case.emergency" => "紧急求助",
        "case.update" => "您反映的事项有新进展",
        "case.assigned" => "派给您的案件",
        "case.escalated" => "上报到本级的案件",
        "case.slipped" => "本级逾期被上报的案件",
        "case.extension" => "延期申请待审批",
        "matter.emergency" => "紧急事项待补办程序",
        "publication.review" => "公开稿待审核",
        "publication.manual" => "手工公开稿待核对",
        "publication.overdue" | "publication.overdue_township" => "村务公开逾期",
        "objection.new" => "村务公开异议",
        "objection.escalated" => "异议逾期转乡镇",
        k if k.starts_with("mediation.") => "调解协议司法确认期限临近",
        _ => "新消息",
    }
}

/// The text of one notice sent at once. Only case numbers are quoted (other notice bodies
/// may hold free text).
pub fn notice_text(kind: &str, case_number: Option<&str>) -> String {
    let label = notice_label(kind);
    let urgent = if is_emergency(kind) {
        "，请立即处理"
    } else {
        "，请登录乡治查看"
    };
    match case_number {
        Some(n) if !n.is_empty() => format!("{SMS_TAG}{label}：{n}{urgent}。"),
        _ => format!("{SMS_TAG}{label}{urgent}。"),
    }
}

/// A channel of outgoing messages a user chooses for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Channel {
    /// Text messages about the notices of the inbox (new cases, escalations, reviews …).
    #[serde(rename = "sms.notices")]
    Notices,
    /// Text messages about the state of the cases the user raised.
    #[serde(rename = "sms.case_updates")]
    CaseUpdates,
}

pub const CHANNELS: [Channel; 2] = [Channel::Notices, Channel::CaseUpdates];

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Notices => "sms.notices",
            Channel::CaseUpdates => "sms.case_updates",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        CHANNELS.iter().copied().find(|c| c.as_str() == s.trim())
    }

    /// The default: staff get their notices in a daily digest, everyone hears about their
    /// own cases at once.
    pub fn default_mode(self, staff: bool) -> Mode {
        match self {
            Channel::Notices if staff => Mode::Digest,
            _ => Mode::Immediate,
        }
    }

    /// Whether an inbox notice of `kind` belongs to this channel.
    pub fn covers(self, kind: &str) -> bool {
        match self {
            Channel::CaseUpdates => kind == "case.update",
            Channel::Notices => kind != "case.update" && kind != KIND_DIGEST,
        }
    }
}

/// How a user wants a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Immediate,
    Digest,
    Off,
}

pub const MODES: [Mode; 3] = [Mode::Immediate, Mode::Digest, Mode::Off];

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Immediate => "immediate",
            Mode::Digest => "digest",
            Mode::Off => "off",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        MODES.iter().copied().find(|m| m.as_str() == s.trim())
    }
}

/// The inbox kind of a daily digest entry.
pub const KIND_DIGEST: &str = "digest";

/// County settings of outgoing notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundSettings {
    /// The hour (0–23, China Standard Time) at which the daily digest goes out.
    #[serde(default = "default_digest_hour")]
    pub digest_hour: u32,
}

fn default_digest_hour() -> u32 {
    18
}

impl Default for OutboundSettings {
    fn default() -> Self {
        OutboundSettings {
            digest_hour: default_digest_hour(),
        }
    }
}

/// The day (`YYYY-MM-DD`) and hour of an instant in China Standard Time.
pub fn local_day_hour(now: i64) -> (String, u32) {
    use chrono::Timelike;
    let t = DateTime::<Utc>::from_timestamp_millis(now + 8 * 3_600_000).unwrap_or_default();
    (t.format("%Y-%m-%d").to_string(), t.hour())
}

/// The day whose digest is due at `now`, if the county's hour has come.
pub fn digest_due(now: i64, s: &OutboundSettings) -> Option<String> {
    let (day, hour) = local_day_hour(now);
    (hour >= s.digest_hour).then_some(day)
}

/// The inbox body of a digest entry: `kind=count` pairs joined by `;` (pages translate it).
pub fn digest_body(counts: &[(String, i64)]) -> String {
    counts
        .iter()
        .map(|(k, n)| format!("{k}={n}"))
        .collect::<Vec<_>>()
        .join(";")
}

/// The pairs of a digest body.
pub fn parse_digest_body(body: &str) -> Vec<(String, i64)> {
    body.split(';')
        .filter_map(|p| {
            let (k, n) = p.split_once('=')?;
            Some((k.to_string(), n.parse().ok()?))
        })
        .collect()
}

/// The text message of a digest: how many unread notices, by kind.
pub fn digest_text(counts: &[(String, i64)]) -> String {
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let parts: Vec<String> = counts
        .iter()
        .map(|(k, n)| format!("{} {n} 条", notice_label(k)))
        .collect();
    format!(
        "{SMS_TAG}今日未读消息 {total} 条：{}。请登录乡治查看。",
        parts.join("，")
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn timeline_entries_map_to_event_kinds() {
        use Status as S;
        assert_eq!(
            event_kind("case.raise", None, S::Reported),
            Some(KIND_CREATED)
        );
        assert_eq!(
            event_kind("case.raise", None, S::Rejected),
            Some(KIND_CREATED)
        );
        assert_eq!(
            event_kind("case.accept", Some(S::Reported), S::Accepted),
            Some(KIND_STATE_CHANGED)
        );
        assert_eq!(
            event_kind("case.escalate", Some(S::InProgress), S::Accepted),
            Some(KIND_ESCALATED)
        );
        assert_eq!(
            event_kind("case.escalate", Some(S::Reported), S::Reported),
            Some(KIND_ESCALATED)
        );
        assert_eq!(
            event_kind("case.close", Some(S::Verified), S::Closed),
            Some(KIND_CLOSED)
        );
        assert_eq!(
            event_kind("case.note", Some(S::Accepted), S::Accepted),
            None
        );
        assert_eq!(
            event_kind("case.attach", Some(S::Handled), S::Handled),
            None
        );
    }

    #[test]
    fn payload_carries_no_free_text() {
        let f = EventFacts {
            event_id: "e1",
            at: 1_700_000_000_000,
            action: "case.accept",
            from: Some(Status::Reported),
            to: Status::Accepted,
            county_code: "130123000000",
            case_id: "c1",
            number: "2026-000001",
            type_code: "streetlight",
            category: "report",
            area_code: "130123101201",
        };
        let v: serde_json::Value = serde_json::from_str(&payload(KIND_STATE_CHANGED, &f)).unwrap();
        assert_eq!(v["event"], "case.state_changed");
        assert_eq!(v["case"]["number"], "2026-000001");
        assert_eq!(v["change"]["from_status"], "reported");
        assert_eq!(v["change"]["to_status"], "accepted");
        let keys: Vec<&String> = v["case"].as_object().unwrap().keys().collect();
        for k in ["description", "title", "reporter_name", "phone", "note"] {
            assert!(
                !keys.iter().any(|x| x.as_str() == k),
                "{k} must not be sent"
            );
        }
    }

    #[test]
    fn the_signature_is_hmac_sm3_over_timestamp_dot_body() {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sm3::Sm3> as Mac>::new_from_slice(b"secret").unwrap();
        mac.update(b"1700000000000.{\"a\":1}");
        let want = hex::encode(mac.finalize().into_bytes());
        assert_eq!(signature("secret", 1_700_000_000_000, "{\"a\":1}"), want);
        assert_ne!(signature("secret", 1_700_000_000_001, "{\"a\":1}"), want);
    }

    #[test]
    fn retries_back_off_then_give_up() {
        assert_eq!(webhook_retry_at(1, 0), Some(60_000));
        assert_eq!(webhook_retry_at(2, 0), Some(300_000));
        assert_eq!(webhook_retry_at(5, 0), Some(43_200_000));
        assert_eq!(webhook_retry_at(6, 0), None);
        assert_eq!(sms_retry_at(3, 10), Some(1_800_010));
        assert_eq!(sms_retry_at(4, 10), None);
    }

    #[test]
    fn urls_and_kinds_are_checked() {
        assert_eq!(
            check_url(" HTTP://127.0.0.1:9/x ").unwrap(),
            "http://127.0.0.1:9/x"
        );
        assert_eq!(
            check_url("https://a.cn/").unwrap_err().code,
            "https_unsupported"
        );
        assert_eq!(check_url("ftp://a.cn/").unwrap_err().code, "invalid");
        assert_eq!(check_url("http://").unwrap_err().code, "invalid");
        assert_eq!(check_url("").unwrap_err().code, "required");
        let k = |v: &[&str]| check_kinds(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            k(&["case.closed", "case.created", "case.closed"]).unwrap(),
            vec!["case.closed", "case.created"]
        );
        assert_eq!(k(&["case.deleted"]).unwrap_err().code, "event_kind_unknown");
        assert_eq!(k(&[]).unwrap_err().code, "required");
    }

    #[test]
    fn id_bounds_split_uuid_v7_by_time() {
        let ms = 1_700_000_000_123_i64;
        let id = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
            uuid::NoContext,
            (ms / 1000) as u64,
            ((ms % 1000) * 1_000_000) as u32,
        ))
        .to_string();
        assert!(id_bound(ms) <= id);
        assert!(id_bound(ms + 1) > id);
    }

    #[test]
    fn texts_hold_the_number_and_the_state_only() {
        assert_eq!(
            case_state_text("2026-000007", Some(Status::Reported), Status::Accepted).unwrap(),
            "【乡治】您反映的事项（编号 2026-000007）已受理。"
        );
        assert!(case_state_text("n", Some(Status::Accepted), Status::Dispatched).is_none());
        assert!(case_state_text("n", Some(Status::Closed), Status::Closed).is_none());
        assert!(notice_text("case.emergency", Some("2026-000001")).contains("请立即处理"));
        assert!(!notice_text("objection.new", None).contains("None"));
    }

    #[test]
    fn digests_are_due_from_the_county_hour_and_summarise_by_kind() {
        // 2026-03-01 09:30 UTC is 17:30 in China Standard Time.
        let t = 1_772_357_400_000_i64;
        assert_eq!(local_day_hour(t), ("2026-03-01".to_string(), 17));
        let s = OutboundSettings { digest_hour: 18 };
        assert_eq!(digest_due(t, &s), None);
        assert_eq!(
            digest_due(t + 1_800_000, &s),
            Some("2026-03-01".to_string())
        );
        let counts = vec![
            ("case.new".to_string(), 3),
            ("case.escalated".to_string(), 1),
        ];
        assert_eq!(parse_digest_body(&digest_body(&counts)), counts);
        assert_eq!(
            digest_text(&counts),
            "【乡治】今日未读消息 4 条：新案件 3 条，上报到本级的案件 1 条。请登录乡治查看。"
        );
    }

    #[test]
    fn defaults_digest_staff_notices_and_send_case_updates_at_once() {
        assert_eq!(Channel::Notices.default_mode(true), Mode::Digest);
        assert_eq!(Channel::Notices.default_mode(false), Mode::Immediate);
        assert_eq!(Channel::CaseUpdates.default_mode(true), Mode::Immediate);
        assert!(Channel::CaseUpdates.covers("case.update"));
        assert!(!Channel::Notices.covers("case.update"));
        assert!(!Channel::Notices.covers(KIND_DIGEST));
        assert_eq!(Channel::parse("sms.notices"), Some(Channel::Notices));
        assert_eq!(Mode::parse("off"), Some(Mode::Off));
    }
}
