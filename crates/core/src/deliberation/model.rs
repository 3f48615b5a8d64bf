//! The vocabulary of village decisions: bodies that meet, matters they decide, the quorum and
//! pass rules as data, and the steps of 四议两公开 (`domain-spec.md` §3).

use serde::{Deserialize, Serialize};

/// A body that meets and votes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// 村党组织（支部委员会）会议 — step 1 of 四议两公开.
    BranchCommittee,
    /// 村"两委"联席会议 — step 2.
    TwoCommittees,
    /// 党员大会 — step 3.
    PartyMembers,
    /// 村民会议 〔LRB 组织法 §21–§24〕.
    VillagerAssembly,
    /// 村民代表会议 〔LRB 组织法 §25–§26〕.
    RepresentativesAssembly,
    /// 村民小组会议 〔LRB 组织法 §28〕.
    GroupMeeting,
    /// 农村集体经济组织成员大会 〔LRB 农村集体经济组织法 §27〕.
    CollectiveMembers,
}

pub const ALL_BODIES: [Body; 7] = [
    Body::BranchCommittee,
    Body::TwoCommittees,
    Body::PartyMembers,
    Body::VillagerAssembly,
    Body::RepresentativesAssembly,
    Body::GroupMeeting,
    Body::CollectiveMembers,
];

impl Body {
    pub fn as_str(self) -> &'static str {
        match self {
            Body::BranchCommittee => "branch_committee",
            Body::TwoCommittees => "two_committees",
            Body::PartyMembers => "party_members",
            Body::VillagerAssembly => "villager_assembly",
            Body::RepresentativesAssembly => "representatives_assembly",
            Body::GroupMeeting => "group_meeting",
            Body::CollectiveMembers => "collective_members",
        }
    }

    pub fn parse(s: &str) -> Option<Body> {
        ALL_BODIES.iter().copied().find(|b| b.as_str() == s)
    }

    /// Bodies whose vote is the villagers' resolution (step 4).
    pub fn resolves(self) -> bool {
        matches!(
            self,
            Body::VillagerAssembly | Body::RepresentativesAssembly | Body::CollectiveMembers
        )
    }

    /// The national minimum notice in days between convening and the meeting: 10 days for
    /// the villagers' assembly 〔LRB 组织法 §21 (spec §3.1)〕 and the members' meeting of the
    /// collective 〔LRB 农村集体经济组织法 §27〕; the draft goes to party members 3 days ahead
    /// 〔L, spec §3.5 step 3〕. A county may ask for more, never less.
    pub fn national_notice_days(self) -> i64 {
        match self {
            Body::VillagerAssembly | Body::CollectiveMembers => 10,
            Body::PartyMembers => 3,
            _ => 0,
        }
    }
}

/// What a count is taken against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    /// Everyone on the roster frozen at convening (全体成员 / 应到会).
    Members,
    /// Those present, in person or by written proxy (到会人员).
    Attendees,
    /// Households on the roster (户).
    Households,
}

/// `num/den` of `base`, inclusive (以上: `den*x >= num*n`) or strict (过半数, 超过:
/// `den*x > num*n`) — integer arithmetic only 〔LRB 民法典 §1259, spec §0.3〕.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratio {
    pub num: i64,
    pub den: i64,
    pub base: Base,
    pub inclusive: bool,
}

/// Where a rule comes from; on equal strictness the nearer one is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleScope {
    National,
    Province,
    County,
}

impl RuleScope {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleScope::National => "national",
            RuleScope::Province => "province",
            RuleScope::County => "county",
        }
    }
    pub fn parse(s: &str) -> Option<RuleScope> {
        match s {
            "national" => Some(RuleScope::National),
            "province" => Some(RuleScope::Province),
            "county" => Some(RuleScope::County),
            _ => None,
        }
    }
}

/// Which matters a rule covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum AppliesTo {
    /// Every vote of the body.
    Any,
    /// Matters flagged as needing a special majority (§3.6).
    SpecialMajority,
    /// One matter type.
    MatterType(String),
}

/// A quorum and pass rule (R-MAJ-1). The quorum holds when any of its alternatives holds
/// (村民会议: over half of adults *or* two thirds of households).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteRule {
    pub id: String,
    pub scope: RuleScope,
    /// `""` national, a 2-digit province prefix, or a 6-digit county code.
    pub area_prefix: String,
    pub body: Body,
    pub applies_to: AppliesTo,
    pub quorum: Vec<Ratio>,
    pub pass: Ratio,
    pub label_zh: String,
    pub label_en: String,
    /// The legal source tag (spec §0.1).
    pub source: String,
}

/// A kind of village matter with its flags (§3.4, §3.6, §3.5, §8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatterType {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Must be decided by the villagers' assembly (or a representatives' assembly it
    /// authorised) 〔LRB 组织法 §24〕.
    pub requires_assembly: bool,
    /// Two thirds of all members or all representatives (§3.6).
    pub special_majority: bool,
    /// Goes through the six steps of 四议两公开 (§3.5).
    pub requires_four_deliberations: bool,
    /// Contracts under it need public bidding (§8).
    pub requires_public_bidding: bool,
    /// Only the villagers' assembly itself may decide (村规民约, 自治章程 〔LRB 组织法 §27〕).
    pub assembly_only: bool,
    pub legal_basis: String,
}

/// Where a matter stands in 四议两公开 (spec §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Draft,
    /// (1) 村党组织提议.
    Proposed,
    /// (2) 两委商议.
    Deliberated,
    /// (3) 党员大会审议.
    Reviewed,
    /// (4) 村民会议或村民代表会议决议.
    Resolved,
    /// (5) 决议公开 done; (6) 组织实施 under way.
    Implementing,
    /// Implementation finished, result not yet published.
    Completed,
    /// (7) 实施结果公开 done.
    Closed,
    Rejected,
    Withdrawn,
}

pub const ALL_STAGES: [Stage; 10] = [
    Stage::Draft,
    Stage::Proposed,
    Stage::Deliberated,
    Stage::Reviewed,
    Stage::Resolved,
    Stage::Implementing,
    Stage::Completed,
    Stage::Closed,
    Stage::Rejected,
    Stage::Withdrawn,
];

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Draft => "draft",
            Stage::Proposed => "proposed",
            Stage::Deliberated => "deliberated",
            Stage::Reviewed => "reviewed",
            Stage::Resolved => "resolved",
            Stage::Implementing => "implementing",
            Stage::Completed => "completed",
            Stage::Closed => "closed",
            Stage::Rejected => "rejected",
            Stage::Withdrawn => "withdrawn",
        }
    }
    pub fn parse(s: &str) -> Option<Stage> {
        ALL_STAGES.iter().copied().find(|x| x.as_str() == s)
    }
    /// The step number shown to people (1–7), 0 for a draft.
    pub fn step_number(self) -> u8 {
        match self {
            Stage::Draft | Stage::Rejected | Stage::Withdrawn => 0,
            Stage::Proposed => 1,
            Stage::Deliberated => 2,
            Stage::Reviewed => 3,
            Stage::Resolved => 4,
            Stage::Implementing => 5,
            Stage::Completed => 6,
            Stage::Closed => 7,
        }
    }
    /// The villagers have decided and the decision stands.
    pub fn is_decided(self) -> bool {
        matches!(
            self,
            Stage::Resolved | Stage::Implementing | Stage::Completed | Stage::Closed
        )
    }
}

/// A village matter.
#[derive(Debug, Clone, Serialize)]
pub struct Matter {
    pub id: String,
    pub county_code: String,
    pub area_code: String,
    pub number: String,
    pub type_code: String,
    pub title: String,
    pub body: String,
    /// SM3 of the current title and text.
    pub text_hash: String,
    /// The hash of the text the party members reviewed (step 3).
    pub reviewed_hash: Option<String>,
    pub stage: Stage,
    /// The step at which it was rejected, when rejected.
    pub rejected_at_step: Option<u8>,
    pub reason: Option<String>,
    /// Emergency path (先处置后补程序, R-4Y2G-5): ratification due by this time.
    pub emergency: bool,
    pub ratify_by: Option<i64>,
    /// The resolution that authorised a representatives' assembly (R-VRA-AUTH).
    pub authorisation: Option<String>,
    pub resolved_at: Option<i64>,
    pub resolution_due: Option<i64>,
    pub completed_at: Option<i64>,
    pub result_due: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One recorded step of a matter (R-4Y2G-2).
#[derive(Debug, Clone, Serialize)]
pub struct MatterStep {
    pub id: String,
    pub matter_id: String,
    pub step: u8,
    pub stage: Stage,
    pub meeting_id: Option<String>,
    pub vote_id: Option<String>,
    pub text_hash: String,
    pub note: String,
    pub actor_name: String,
    pub at: i64,
}

/// State of a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingStatus {
    /// Drafted; the roster may still be adjusted.
    Planned,
    /// Notice given; the roster is frozen.
    Convened,
    /// Results computed; nothing changes any more.
    Closed,
}

impl MeetingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MeetingStatus::Planned => "planned",
            MeetingStatus::Convened => "convened",
            MeetingStatus::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<MeetingStatus> {
        match s {
            "planned" => Some(MeetingStatus::Planned),
            "convened" => Some(MeetingStatus::Convened),
            "closed" => Some(MeetingStatus::Closed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Meeting {
    pub id: String,
    pub county_code: String,
    pub area_code: String,
    pub body: Body,
    pub title: String,
    pub place: String,
    pub host: String,
    pub scheduled_at: i64,
    pub convened_at: Option<i64>,
    pub status: MeetingStatus,
    /// Snapshotted at convening (spec §0.3).
    pub members: i64,
    pub households: i64,
    pub attendees: i64,
    pub households_present: i64,
    pub minutes: String,
    pub closed_at: Option<i64>,
    pub created_at: i64,
}

/// How a roster member took part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Present,
    /// Represented by a written proxy (书面委托).
    Proxy,
    /// Absent with a written opinion (书面意见); not counted as attending.
    Written,
}

impl Presence {
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Present => "present",
            Presence::Proxy => "proxy",
            Presence::Written => "written",
        }
    }
    pub fn parse(s: &str) -> Option<Presence> {
        match s {
            "present" => Some(Presence::Present),
            "proxy" => Some(Presence::Proxy),
            "written" => Some(Presence::Written),
            _ => None,
        }
    }
    pub fn attends(self) -> bool {
        matches!(self, Presence::Present | Presence::Proxy)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RosterEntry {
    pub person_id: String,
    pub name: String,
    pub household_id: Option<String>,
    pub presence: Option<Presence>,
    pub proxy_name: Option<String>,
    pub note: String,
}

/// A choice on a ballot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    Yes,
    No,
    Abstain,
}

impl Choice {
    pub fn as_str(self) -> &'static str {
        match self {
            Choice::Yes => "yes",
            Choice::No => "no",
            Choice::Abstain => "abstain",
        }
    }
    pub fn parse(s: &str) -> Option<Choice> {
        match s {
            "yes" => Some(Choice::Yes),
            "no" => Some(Choice::No),
            "abstain" => Some(Choice::Abstain),
            _ => None,
        }
    }
}

/// A question put to the vote at a meeting.
#[derive(Debug, Clone, Serialize)]
pub struct Vote {
    pub id: String,
    pub meeting_id: String,
    pub matter_id: Option<String>,
    pub question: String,
    /// Secret ballot: who voted what is never stored.
    pub secret: bool,
    pub yes: i64,
    pub no: i64,
    pub abstain: i64,
    /// Filled at close.
    pub outcome: Option<Outcome>,
    pub text_hash: Option<String>,
}

/// The result of a vote with the rule that decided it (and every rule considered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub quorum_met: bool,
    pub passed: bool,
    /// The id of the strictest applicable rule.
    pub rule_id: String,
    pub considered: Vec<RuleCheck>,
}

/// One rule evaluated against a meeting's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCheck {
    pub rule_id: String,
    pub scope: RuleScope,
    pub label_zh: String,
    pub label_en: String,
    pub source: String,
    /// Fewest attendees (or households, for a household alternative) the quorum needed.
    pub quorum_needed: Vec<(Base, i64)>,
    pub quorum_met: bool,
    pub yes_needed: i64,
    pub passed: bool,
}

/// County settings of the slice (CONFIG, spec §18); national values are floors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Steps 1 and 2 may be one joint meeting (书记、主任"一肩挑").
    pub allow_merge_first_steps: bool,
    /// The emergency path (先处置后补程序) is allowed …
    pub allow_emergency: bool,
    /// … with ratification within this many days (R-4Y2G-5, default 30).
    pub ratify_days: i64,
    /// 决议公开 within this many days of the resolution (default 3).
    pub resolution_publish_days: i64,
    /// 实施结果公开 within this many days of completion (default 7).
    pub result_publish_days: i64,
    /// Extra notice days per body on top of the national floor.
    pub extra_notice_days: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allow_merge_first_steps: true,
            allow_emergency: true,
            ratify_days: 30,
            resolution_publish_days: 3,
            result_publish_days: 7,
            extra_notice_days: 0,
        }
    }
}
