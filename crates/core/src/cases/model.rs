//! Types of the cases slice: the catalogue, the case, its states and the actions on it.

use serde::{Deserialize, Serialize};

/// Where a case stands in its lifecycle (`domain-spec.md` §9.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Reported,
    Accepted,
    Rejected,
    Dispatched,
    Returned,
    InProgress,
    Suspended,
    Handled,
    Verified,
    Closed,
    Revisited,
}

pub const ALL_STATUSES: [Status; 11] = [
    Status::Reported,
    Status::Accepted,
    Status::Rejected,
    Status::Dispatched,
    Status::Returned,
    Status::InProgress,
    Status::Suspended,
    Status::Handled,
    Status::Verified,
    Status::Closed,
    Status::Revisited,
];

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Reported => "reported",
            Status::Accepted => "accepted",
            Status::Rejected => "rejected",
            Status::Dispatched => "dispatched",
            Status::Returned => "returned",
            Status::InProgress => "in_progress",
            Status::Suspended => "suspended",
            Status::Handled => "handled",
            Status::Verified => "verified",
            Status::Closed => "closed",
            Status::Revisited => "revisited",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        ALL_STATUSES.iter().copied().find(|x| x.as_str() == s)
    }

    /// Open cases count against their deadline; closed, rejected and revisited ones do not.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Rejected | Status::Closed | Status::Revisited)
    }
}

/// Urgency chosen at intake or acceptance; each has its own SLA in the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Urgent,
    High,
    Normal,
    Low,
}

pub const ALL_PRIORITIES: [Priority; 4] = [
    Priority::Urgent,
    Priority::High,
    Priority::Normal,
    Priority::Low,
];

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Urgent => "urgent",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
        }
    }

    pub fn parse(s: &str) -> Option<Priority> {
        ALL_PRIORITIES.iter().copied().find(|x| x.as_str() == s)
    }
}

/// The level of government responsible for a case (§9.3, L1–L3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Village,
    Township,
    County,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Village => "village",
            Level::Township => "township",
            Level::County => "county",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "village" => Some(Level::Village),
            "township" => Some(Level::Township),
            "county" => Some(Level::County),
            _ => None,
        }
    }

    /// The next level up, if any (R-ESC-2).
    pub fn next(self) -> Option<Level> {
        match self {
            Level::Village => Some(Level::Township),
            Level::Township => Some(Level::County),
            Level::County => None,
        }
    }

    /// The code of the area holding this level's organisation for a case in `area_code`.
    pub fn area_of(self, area_code: &str) -> String {
        let pad = |n: usize| format!("{:0<12}", area_code.get(..n).unwrap_or(area_code));
        match self {
            Level::Village => area_code.get(..12).unwrap_or(area_code).to_string(),
            Level::Township => pad(9),
            Level::County => pad(6),
        }
    }
}

/// The kind of case; it selects the workflow's extra rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 随手拍 and grid reports: environment, facilities, public order.
    Report,
    /// Service requests and 代办.
    Service,
    /// 矛盾纠纷 for 人民调解.
    Dispute,
    /// 安全隐患.
    Hazard,
    /// 紧急求助: reaches the people on duty at once.
    Emergency,
    /// Complaints and suggestions.
    Complaint,
    /// Legal consultation.
    Legal,
}

pub const ALL_CATEGORIES: [Category; 7] = [
    Category::Report,
    Category::Service,
    Category::Dispute,
    Category::Hazard,
    Category::Emergency,
    Category::Complaint,
    Category::Legal,
];

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Report => "report",
            Category::Service => "service",
            Category::Dispute => "dispute",
            Category::Hazard => "hazard",
            Category::Emergency => "emergency",
            Category::Complaint => "complaint",
            Category::Legal => "legal",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        ALL_CATEGORIES.iter().copied().find(|x| x.as_str() == s)
    }
}

/// A deadline: clock hours, or working days on the county calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sla {
    Hours(u32),
    WorkingDays(u32),
}

/// The SLA of a case type, one per priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaSet {
    pub urgent: Sla,
    pub high: Sla,
    pub normal: Sla,
    pub low: Sla,
}

impl SlaSet {
    pub fn for_priority(&self, p: Priority) -> Sla {
        match p {
            Priority::Urgent => self.urgent,
            Priority::High => self.high,
            Priority::Normal => self.normal,
            Priority::Low => self.low,
        }
    }
}

/// The data type of a form field (the Open311 attribute datatypes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    String,
    Number,
    Datetime,
    Text,
    Singlevaluelist,
    Multivaluelist,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Number => "number",
            FieldType::Datetime => "datetime",
            FieldType::Text => "text",
            FieldType::Singlevaluelist => "singlevaluelist",
            FieldType::Multivaluelist => "multivaluelist",
        }
    }
}

/// One value of a list field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldValue {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
}

/// A typed form field of a case type (an Open311 attribute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormField {
    pub code: String,
    pub datatype: FieldType,
    pub required: bool,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub values: Vec<FieldValue>,
}

/// The responsible organisation at each level, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Orgs {
    pub village_zh: String,
    pub village_en: String,
    pub township_zh: String,
    pub township_en: String,
    pub county_zh: String,
    pub county_en: String,
}

impl Orgs {
    pub fn name_zh(&self, level: Level) -> &str {
        match level {
            Level::Village => &self.village_zh,
            Level::Township => &self.township_zh,
            Level::County => &self.county_zh,
        }
    }
}

/// Who may raise a case of a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Raiser {
    /// Villagers from the app, and the public through Open311 integrations.
    Public,
    GridWorker,
    Staff,
}

/// Whether the public may see a case of the type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    Confidential,
}

/// A case type of the county catalogue (事项清单).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseType {
    /// Stable code; the Open311 `service_code`.
    pub code: String,
    pub county_code: String,
    pub name_zh: String,
    pub name_en: String,
    pub description_zh: String,
    pub description_en: String,
    pub category: Category,
    pub keywords: String,
    pub raisers: Vec<Raiser>,
    pub fields: Vec<FormField>,
    pub sla: SlaSet,
    /// The level that owns a new case (R-ESC-1: matters beyond the village go straight up).
    pub first_level: Level,
    pub orgs: Orgs,
    pub visibility: Visibility,
    pub anonymous_allowed: bool,
    pub active: bool,
}

/// What happens when a reporter is not satisfied (county setting, §9.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnsatisfiedPolicy {
    /// Reopen up to `max_reopens` times, then escalate.
    ReopenThenEscalate,
    /// Escalate at once.
    Escalate,
}

/// County settings of the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub unsatisfied_policy: UnsatisfiedPolicy,
    pub max_reopens: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            unsatisfied_policy: UnsatisfiedPolicy::ReopenThenEscalate,
            max_reopens: 1,
        }
    }
}

/// A reporter's rating at the revisit (回访).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Satisfied,
    Basically,
    Unsatisfied,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::Basically => "basically",
            Rating::Unsatisfied => "unsatisfied",
        }
    }

    pub fn parse(s: &str) -> Option<Rating> {
        match s {
            "satisfied" => Some(Rating::Satisfied),
            "basically" => Some(Rating::Basically),
            "unsatisfied" => Some(Rating::Unsatisfied),
            _ => None,
        }
    }
}

/// A case as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    pub id: String,
    pub number: String,
    pub county_code: String,
    pub type_code: String,
    pub category: Category,
    pub area_code: String,
    pub grid_code: Option<String>,
    pub status: Status,
    pub priority: Priority,
    pub level: Level,
    pub org: String,
    pub slipped_level: Option<Level>,
    pub escalations: i64,
    pub title: String,
    pub description: String,
    pub attrs: serde_json::Value,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub source: String,
    pub reporter_user_id: Option<String>,
    pub reporter_name: Option<String>,
    pub anonymous: bool,
    pub assignee_user_id: Option<String>,
    pub handler_user_id: Option<String>,
    pub due_at: i64,
    pub reopen_count: i64,
    pub rating: Option<Rating>,
    pub public_note: Option<String>,
    pub duplicate_of: Option<String>,
    pub pending_extension_hours: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub handled_at: Option<i64>,
    pub closed_at: Option<i64>,
}

/// One entry of a case's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseEvent {
    pub id: String,
    pub case_id: String,
    pub at: i64,
    pub actor_name: String,
    pub action: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub note: String,
    pub public: bool,
}

/// What a caller asks the engine to do to a case. Each is one service call.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Accept {
        priority: Option<Priority>,
    },
    Reject {
        reason: String,
    },
    Dispatch {
        assignee_user_id: Option<String>,
        note: Option<String>,
    },
    /// 退单: the organisation it was sent to says it is not theirs.
    Return {
        reason: String,
    },
    Start,
    Suspend {
        reason: String,
    },
    Resume,
    RequestExtension {
        hours: i64,
        reason: String,
    },
    DecideExtension {
        approve: bool,
        note: Option<String>,
    },
    Handle {
        evidence: String,
    },
    Verify {
        note: Option<String>,
    },
    /// 核查不通过: back to the handler.
    Reopen {
        reason: String,
    },
    Close,
    Rate {
        rating: Rating,
        comment: Option<String>,
    },
    /// Escalate by hand (severity, R-ESC-3).
    Escalate {
        reason: String,
    },
    Note {
        text: String,
        public: bool,
    },
}

impl Action {
    /// The dotted audit action name.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Accept { .. } => "case.accept",
            Action::Reject { .. } => "case.reject",
            Action::Dispatch { .. } => "case.dispatch",
            Action::Return { .. } => "case.return",
            Action::Start => "case.start",
            Action::Suspend { .. } => "case.suspend",
            Action::Resume => "case.resume",
            Action::RequestExtension { .. } => "case.request_extension",
            Action::DecideExtension { .. } => "case.decide_extension",
            Action::Handle { .. } => "case.handle",
            Action::Verify { .. } => "case.verify",
            Action::Reopen { .. } => "case.reopen",
            Action::Close => "case.close",
            Action::Rate { .. } => "case.rate",
            Action::Escalate { .. } => "case.escalate",
            Action::Note { .. } => "case.note",
        }
    }
}

/// A new case as submitted (already parsed from a form, JSON or Open311).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewCase {
    pub type_code: String,
    pub area_code: String,
    pub grid_code: Option<String>,
    pub title: Option<String>,
    pub description: String,
    #[serde(default)]
    pub attrs: std::collections::BTreeMap<String, Vec<String>>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub priority: Option<Priority>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    #[serde(default)]
    pub anonymous: bool,
    /// A client-chosen key: the same key twice creates one case.
    pub idempotency_key: Option<String>,
    /// The reporter saw the probable duplicates and wants a new case anyway.
    #[serde(default)]
    pub not_duplicate: bool,
}
