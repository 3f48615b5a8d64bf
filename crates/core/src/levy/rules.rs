//! Pure rules of 一事一议 levy plans (`domain-spec.md` §4): county settings and caps, the
//! household roll (who pays, who works, who is exempt), validation of a plan, the plan and
//! award-subsidy state machines, and the text of the disclosure of collection and use.
//!
//! Money is integer cents (分) and labour integer standard workdays; no floats anywhere.
//! Time and dates are passed in.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::people::idnum::age_on;

/// Project kinds a levy may fund 〔P: sdhfjsqc, R-YSYY-1〕.
pub const PROJECT_KINDS: [&str; 7] = [
    "farmland_water",
    "village_road",
    "greening",
    "drinking_water",
    "village_environment",
    "land_improvement",
    "other_public_welfare",
];

/// The Chinese name of a project kind (for disclosures).
pub fn project_kind_zh(kind: &str) -> &'static str {
    match kind {
        "farmland_water" => "村内小型农田水利",
        "village_road" => "村内道路修建及维护",
        "greening" => "村内绿化植树",
        "drinking_water" => "村内安全饮水",
        "village_environment" => "村容村貌整治",
        "land_improvement" => "村内土地治理",
        _ => "其他集体生产生活公益事业",
    }
}

/// County settings of levy plans. Every value is CONFIG; the defaults are the historic
/// national caps 〔P: fymate 168191, R-YSYY-5〕 and one seen age band 〔P: sdhfjsqc, R-YSYY-6〕.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevySettings {
    /// Cap of money per person per year, in cents (default 15 元 = 1500).
    pub cap_cents_per_person: i64,
    /// Cap of standard workdays per labourer per year (default 10; one workday = 6 hours).
    pub cap_workdays_per_labourer: i64,
    /// Labourer age band for men, in completed years, both ends included (default 18–60).
    pub male_min_age: u32,
    pub male_max_age: u32,
    /// Labourer age band for women, in completed years, both ends included (default 18–55).
    pub female_min_age: u32,
    pub female_max_age: u32,
    /// Price of one standard workday in cents, for voluntary cash-for-labour and for valuing
    /// labour in award-subsidy applications (CONFIG default 100 元 = 10000).
    pub workday_price_cents: i64,
    /// Award-subsidy ratio numerator / denominator (default 1:1 of money and labour raised).
    pub subsidy_numerator: i64,
    pub subsidy_denominator: i64,
}

impl Default for LevySettings {
    fn default() -> Self {
        LevySettings {
            cap_cents_per_person: 1500,
            cap_workdays_per_labourer: 10,
            male_min_age: 18,
            male_max_age: 60,
            female_min_age: 18,
            female_max_age: 55,
            workday_price_cents: 10000,
            subsidy_numerator: 1,
            subsidy_denominator: 1,
        }
    }
}

impl LevySettings {
    /// Check the settings themselves (county staff edit them).
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errs = Vec::new();
        let mut non_negative = |v: i64, f: &str| {
            if v < 0 {
                errs.push(FieldError::new(f, "invalid"));
            }
        };
        non_negative(self.cap_cents_per_person, "cap_cents_per_person");
        non_negative(self.cap_workdays_per_labourer, "cap_workdays_per_labourer");
        non_negative(self.subsidy_numerator, "subsidy_numerator");
        if self.workday_price_cents <= 0 {
            errs.push(FieldError::new(
                "workday_price_cents",
                "amount_not_positive",
            ));
        }
        if self.subsidy_denominator <= 0 {
            errs.push(FieldError::new("subsidy_denominator", "invalid"));
        }
        if self.male_min_age > self.male_max_age {
            errs.push(FieldError::new("male_max_age", "invalid"));
        }
        if self.female_min_age > self.female_max_age {
            errs.push(FieldError::new("female_max_age", "invalid"));
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }

    /// Whether a person of `sex` ("M"/"F", as in the registry) born on `birth` is a labourer
    /// on `on`. Both ends of the band are included (〔LRB 民法典 §1259〕 "以上、以下…包括本数"):
    /// a man is a labourer from his 18th birthday until the day before his 61st.
    pub fn is_labourer(&self, sex: &str, birth: NaiveDate, on: NaiveDate) -> bool {
        if birth > on {
            return false;
        }
        let age = age_on(birth, on);
        let (lo, hi) = match sex {
            "M" => (self.male_min_age, self.male_max_age),
            "F" => (self.female_min_age, self.female_max_age),
            _ => return false,
        };
        age >= lo && age <= hi
    }

    /// Award subsidy for money raised plus labour valued at the workday price (R-YSYY-9),
    /// rounded down to the cent.
    pub fn subsidy_for(&self, cash_cents: i64, worked_days: i64) -> (i64, i64) {
        let base = cash_cents.saturating_add(worked_days.saturating_mul(self.workday_price_cents));
        let den = self.subsidy_denominator.max(1);
        (
            base,
            base.saturating_mul(self.subsidy_numerator.max(0)) / den,
        )
    }
}

/// Why someone is excused (R-YSYY-6 〔P: fymate 168188; fymate 167948〕).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExemptionKind {
    /// 现役军人 (labour only).
    ActiveMilitary,
    /// 革命伤残军人 (labour only).
    DisabledVeteran,
    /// 在校学生 (labour only).
    Student,
    /// 孕妇及分娩未满1年妇女 (labour only).
    PregnantOrPostpartum,
    /// 完全丧失劳动能力者 (labour only).
    IncapableOfLabour,
    /// 五保户, by assembly vote: the whole household, money and labour.
    Wubao,
    /// 低保户, by assembly vote: the whole household, money and labour.
    Dibao,
    /// 特困户, by assembly vote: the whole household, money and labour.
    Tekun,
}

pub const EXEMPTION_KINDS: [ExemptionKind; 8] = [
    ExemptionKind::ActiveMilitary,
    ExemptionKind::DisabledVeteran,
    ExemptionKind::Student,
    ExemptionKind::PregnantOrPostpartum,
    ExemptionKind::IncapableOfLabour,
    ExemptionKind::Wubao,
    ExemptionKind::Dibao,
    ExemptionKind::Tekun,
];

impl ExemptionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExemptionKind::ActiveMilitary => "active_military",
            ExemptionKind::DisabledVeteran => "disabled_veteran",
            ExemptionKind::Student => "student",
            ExemptionKind::PregnantOrPostpartum => "pregnant_or_postpartum",
            ExemptionKind::IncapableOfLabour => "incapable_of_labour",
            ExemptionKind::Wubao => "wubao",
            ExemptionKind::Dibao => "dibao",
            ExemptionKind::Tekun => "tekun",
        }
    }

    pub fn parse(s: &str) -> Option<ExemptionKind> {
        EXEMPTION_KINDS.iter().copied().find(|k| k.as_str() == s)
    }

    /// Household-level kinds (decided by the assembly) excuse money and labour of everyone
    /// in the household; the others excuse one person's labour only.
    pub fn is_household(self) -> bool {
        matches!(
            self,
            ExemptionKind::Wubao | ExemptionKind::Dibao | ExemptionKind::Tekun
        )
    }
}

/// One exemption on a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exemption {
    pub id: String,
    pub household_id: String,
    /// The person excused (person-level kinds); `None` for household-level kinds.
    pub person_id: Option<String>,
    pub kind: ExemptionKind,
    pub note: String,
}

/// Check the shape of an exemption: person-level kinds need a person, household-level
/// kinds must not name one.
pub fn validate_exemption(kind: ExemptionKind, person_id: Option<&str>) -> Result<(), FieldError> {
    match (
        kind.is_household(),
        person_id.is_some_and(|p| !p.is_empty()),
    ) {
        (true, true) => Err(FieldError::new("person_id", "invalid")),
        (false, false) => Err(FieldError::new("person_id", "required")),
        _ => Ok(()),
    }
}

/// A member of a household, as the registry holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub person_id: String,
    /// "M" or "F".
    pub sex: String,
    pub birth: NaiveDate,
}

/// A household of the village with its registered members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollHousehold {
    pub household_id: String,
    pub number: String,
    pub head_name: String,
    pub members: Vec<Member>,
}

/// What one household owes under a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RollLine {
    pub household_id: String,
    pub number: String,
    pub head_name: String,
    pub persons_liable: i64,
    pub labourers_liable: i64,
    pub amount_cents: i64,
    pub workdays: i64,
}

/// The per-person and per-labourer terms of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    pub per_person_cents: i64,
    pub workdays_per_labourer: i64,
}

/// Compute each household's share (R-YSYY-6): money from every registered member, labour
/// from members inside the age band on `on`; person-level exemptions excuse labour,
/// household-level exemptions excuse both.
pub fn compute_roll(
    settings: &LevySettings,
    terms: Terms,
    households: &[RollHousehold],
    exemptions: &[Exemption],
    on: NaiveDate,
) -> Vec<RollLine> {
    households
        .iter()
        .map(|h| {
            let household_exempt = exemptions
                .iter()
                .any(|e| e.household_id == h.household_id && e.kind.is_household());
            let (persons, labourers) = if household_exempt {
                (0, 0)
            } else {
                let labourers = h
                    .members
                    .iter()
                    .filter(|m| settings.is_labourer(&m.sex, m.birth, on))
                    .filter(|m| {
                        !exemptions.iter().any(|e| {
                            !e.kind.is_household()
                                && e.household_id == h.household_id
                                && e.person_id.as_deref() == Some(m.person_id.as_str())
                        })
                    })
                    .count();
                (h.members.len() as i64, labourers as i64)
            };
            RollLine {
                household_id: h.household_id.clone(),
                number: h.number.clone(),
                head_name: h.head_name.clone(),
                persons_liable: persons,
                labourers_liable: labourers,
                amount_cents: persons * terms.per_person_cents,
                workdays: labourers * terms.workdays_per_labourer,
            }
        })
        .collect()
}

/// A new plan as the cadre enters it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanInput {
    /// The village (12-digit code).
    pub area_code: String,
    /// The deliberation matter this plan is decided under (owned by another module).
    #[serde(default)]
    pub matter_id: Option<String>,
    pub title: String,
    pub project_kind: String,
    pub year: i32,
    pub budget_cents: i64,
    pub per_person_cents: i64,
    pub workdays_per_labourer: i64,
    /// The date ages are counted on; today when absent.
    #[serde(default)]
    pub reference_date: Option<NaiveDate>,
}

/// Validate a plan against the county's caps (上限控制, R-YSYY-5: MUST block plans above
/// the cap). Equal to the cap passes; one cent or one workday more is refused.
pub fn validate_plan(input: &PlanInput, s: &LevySettings) -> Result<(), Vec<FieldError>> {
    let mut errs = Vec::new();
    let title = input.title.trim();
    if title.is_empty() {
        errs.push(FieldError::new("title", "required"));
    } else if title.chars().count() > 200 {
        errs.push(FieldError::new("title", "too_long"));
    }
    if !PROJECT_KINDS.contains(&input.project_kind.as_str()) {
        errs.push(FieldError::new("project_kind", "not_in_list"));
    }
    if !(2000..=2999).contains(&input.year) {
        errs.push(FieldError::new("year", "invalid"));
    }
    if input.budget_cents <= 0 {
        errs.push(FieldError::new("budget_cents", "amount_not_positive"));
    }
    if input.per_person_cents < 0 {
        errs.push(FieldError::new("per_person_cents", "invalid"));
    } else if input.per_person_cents > s.cap_cents_per_person {
        errs.push(FieldError::new("per_person_cents", "levy_above_cap"));
    }
    if input.workdays_per_labourer < 0 {
        errs.push(FieldError::new("workdays_per_labourer", "invalid"));
    } else if input.workdays_per_labourer > s.cap_workdays_per_labourer {
        errs.push(FieldError::new("workdays_per_labourer", "levy_above_cap"));
    }
    if input.per_person_cents == 0 && input.workdays_per_labourer == 0 {
        errs.push(FieldError::new("per_person_cents", "amount_not_positive"));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

/// The life of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Draft,
    Approved,
    Collecting,
    Closed,
}

impl PlanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Draft => "draft",
            PlanStatus::Approved => "approved",
            PlanStatus::Collecting => "collecting",
            PlanStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<PlanStatus> {
        Some(match s {
            "draft" => PlanStatus::Draft,
            "approved" => PlanStatus::Approved,
            "collecting" => PlanStatus::Collecting,
            "closed" => PlanStatus::Closed,
            _ => return None,
        })
    }
}

/// The resolution of the villagers' assembly (or authorised representatives' assembly) on
/// the plan, supplied by the caller (R-YSYY-3; 〔LRB 组织法 §24(三)〕).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub matter_id: String,
    pub passed: bool,
    pub decided_at: i64,
}

/// Whether a draft may be approved with this resolution. The resolution must have passed,
/// and belong to the plan's matter when the plan names one.
pub fn check_approval(
    status: PlanStatus,
    plan_matter: Option<&str>,
    r: &Resolution,
) -> Result<(), &'static str> {
    if status != PlanStatus::Draft {
        return Err("levy_not_draft");
    }
    if !r.passed || r.matter_id.trim().is_empty() {
        return Err("levy_not_resolved");
    }
    if plan_matter.is_some_and(|m| m != r.matter_id) {
        return Err("levy_not_resolved");
    }
    Ok(())
}

/// A collection recorded for one household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Collection {
    /// Money paid, in cents.
    Payment { cents: i64 },
    /// Standard workdays worked.
    Workdays { days: i64 },
    /// The household asked to pay for `days` of its labour instead of working them
    /// (以资代劳, voluntary only: R-YSYY-7). The money then falls due with its share.
    CashForLabour { days: i64 },
}

impl Collection {
    pub fn kind(self) -> &'static str {
        match self {
            Collection::Payment { .. } => "payment",
            Collection::Workdays { .. } => "workdays",
            Collection::CashForLabour { .. } => "cash_for_labour",
        }
    }
}

/// A household's account under a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HouseholdAccount {
    pub amount_cents: i64,
    pub workdays: i64,
    pub cash_for_labour_days: i64,
    pub cash_for_labour_cents: i64,
    pub paid_cents: i64,
    pub worked_days: i64,
}

impl HouseholdAccount {
    /// Money still due: the share plus any cash-for-labour, less what was paid.
    pub fn money_due(&self) -> i64 {
        self.amount_cents + self.cash_for_labour_cents - self.paid_cents
    }

    /// Labour still due: the workdays less those worked or bought out.
    pub fn labour_due(&self) -> i64 {
        self.workdays - self.worked_days - self.cash_for_labour_days
    }
}

/// Apply a collection to an account, refusing anything beyond what is due.
pub fn apply_collection(
    status: PlanStatus,
    acc: &mut HouseholdAccount,
    c: Collection,
    workday_price_cents: i64,
) -> Result<(), FieldError> {
    match status {
        PlanStatus::Closed => return Err(FieldError::new("plan", "levy_closed")),
        PlanStatus::Draft => return Err(FieldError::new("plan", "levy_not_approved")),
        PlanStatus::Approved | PlanStatus::Collecting => {}
    }
    match c {
        Collection::Payment { cents } => {
            if cents <= 0 {
                return Err(FieldError::new("cents", "amount_not_positive"));
            }
            if cents > acc.money_due() {
                return Err(FieldError::new("cents", "levy_overpayment"));
            }
            acc.paid_cents += cents;
        }
        Collection::Workdays { days } => {
            if days <= 0 {
                return Err(FieldError::new("days", "amount_not_positive"));
            }
            if days > acc.labour_due() {
                return Err(FieldError::new("days", "levy_overpayment"));
            }
            acc.worked_days += days;
        }
        Collection::CashForLabour { days } => {
            if days <= 0 {
                return Err(FieldError::new("days", "amount_not_positive"));
            }
            if days > acc.labour_due() {
                return Err(FieldError::new("days", "levy_overpayment"));
            }
            acc.cash_for_labour_days += days;
            acc.cash_for_labour_cents += days.saturating_mul(workday_price_cents);
        }
    }
    Ok(())
}

/// Steps of an award-subsidy application (财政奖补, R-YSYY-9): 申报 → 乡镇审核 → 县级审批 →
/// 拨付, or rejected with a reason at the township or county step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubsidyStatus {
    Applied,
    TownshipReviewed,
    CountyApproved,
    Paid,
    Rejected,
}

impl SubsidyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubsidyStatus::Applied => "applied",
            SubsidyStatus::TownshipReviewed => "township_reviewed",
            SubsidyStatus::CountyApproved => "county_approved",
            SubsidyStatus::Paid => "paid",
            SubsidyStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<SubsidyStatus> {
        Some(match s {
            "applied" => SubsidyStatus::Applied,
            "township_reviewed" => SubsidyStatus::TownshipReviewed,
            "county_approved" => SubsidyStatus::CountyApproved,
            "paid" => SubsidyStatus::Paid,
            "rejected" => SubsidyStatus::Rejected,
            _ => return None,
        })
    }

    /// Whether the application is still running (one at a time per plan).
    pub fn is_open(self) -> bool {
        !matches!(self, SubsidyStatus::Paid | SubsidyStatus::Rejected)
    }
}

/// A step taken on an award-subsidy application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum SubsidyStep {
    /// The township checked the application (乡镇审核).
    TownshipReview,
    /// The county approved it (县级审批).
    CountyApprove,
    /// The county paid it out (拨付).
    Pay,
    /// Refused, with the reason.
    Reject { reason: String },
}

/// Which level must take a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Township,
    County,
}

/// Pure: the status after `step`, and the level that must take it.
pub fn subsidy_transition(
    from: SubsidyStatus,
    step: &SubsidyStep,
) -> Result<(SubsidyStatus, Level), &'static str> {
    use SubsidyStatus as S;
    match (from, step) {
        (S::Applied, SubsidyStep::TownshipReview) => Ok((S::TownshipReviewed, Level::Township)),
        (S::TownshipReviewed, SubsidyStep::CountyApprove) => Ok((S::CountyApproved, Level::County)),
        (S::CountyApproved, SubsidyStep::Pay) => Ok((S::Paid, Level::County)),
        (S::Applied | S::TownshipReviewed, SubsidyStep::Reject { reason }) => {
            if reason.trim().chars().count() < 2 {
                return Err("reason_required");
            }
            Ok((
                S::Rejected,
                if from == S::Applied {
                    Level::Township
                } else {
                    Level::County
                },
            ))
        }
        _ => Err("invalid_transition"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn plan(per_person: i64, workdays: i64) -> PlanInput {
        PlanInput {
            area_code: "130123101201".into(),
            matter_id: None,
            title: "村东道路硬化".into(),
            project_kind: "village_road".into(),
            year: 2025,
            budget_cents: 5_000_000,
            per_person_cents: per_person,
            workdays_per_labourer: workdays,
            reference_date: None,
        }
    }

    fn codes(r: Result<(), Vec<FieldError>>) -> Vec<(String, String)> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn cap_boundary_is_inclusive() {
        let s = LevySettings::default();
        assert!(validate_plan(&plan(1500, 10), &s).is_ok());
        assert_eq!(
            codes(validate_plan(&plan(1501, 10), &s)),
            vec![("per_person_cents".into(), "levy_above_cap".into())]
        );
        assert_eq!(
            codes(validate_plan(&plan(1500, 11), &s)),
            vec![("workdays_per_labourer".into(), "levy_above_cap".into())]
        );
        // A county with a lower cap.
        let low = LevySettings {
            cap_cents_per_person: 1000,
            ..LevySettings::default()
        };
        assert!(validate_plan(&plan(1000, 0), &low).is_ok());
        assert!(validate_plan(&plan(1001, 0), &low).is_err());
    }

    #[test]
    fn plans_need_budget_kind_and_a_levy() {
        let s = LevySettings::default();
        let mut p = plan(1000, 5);
        p.budget_cents = 0;
        assert_eq!(
            codes(validate_plan(&p, &s)),
            vec![("budget_cents".into(), "amount_not_positive".into())]
        );
        p.budget_cents = -1;
        assert!(validate_plan(&p, &s).is_err());
        let mut p = plan(1000, 5);
        p.project_kind = "party_hall".into();
        assert_eq!(
            codes(validate_plan(&p, &s)),
            vec![("project_kind".into(), "not_in_list".into())]
        );
        for k in PROJECT_KINDS {
            let mut p = plan(1000, 5);
            p.project_kind = k.into();
            assert!(validate_plan(&p, &s).is_ok(), "{k}");
        }
        assert!(validate_plan(&plan(0, 0), &s).is_err());
        assert!(validate_plan(&plan(-5, 3), &s).is_err());
        assert!(validate_plan(&plan(0, 3), &s).is_ok());
        let mut p = plan(1000, 5);
        p.title = "  ".into();
        assert_eq!(
            codes(validate_plan(&p, &s)),
            vec![("title".into(), "required".into())]
        );
    }

    #[test]
    fn labour_age_band_turns_on_birthdays() {
        let s = LevySettings::default();
        let on = d(2025, 6, 15);
        // Men: 18 on the day counts, 17 and a day short does not.
        assert!(s.is_labourer("M", d(2007, 6, 15), on));
        assert!(!s.is_labourer("M", d(2007, 6, 16), on));
        // 60 included; on the 61st birthday out.
        assert!(s.is_labourer("M", d(1964, 6, 16), on));
        assert!(s.is_labourer("M", d(1965, 6, 15), on));
        assert!(!s.is_labourer("M", d(1964, 6, 15), on));
        // Women: 55 included, out on the 56th birthday.
        assert!(s.is_labourer("F", d(1969, 6, 16), on));
        assert!(!s.is_labourer("F", d(1969, 6, 15), on));
        assert!(s.is_labourer("F", d(2007, 6, 15), on));
        assert!(!s.is_labourer("F", d(2007, 6, 16), on));
        // A woman of 58 is not a labourer, a man of 58 is.
        assert!(!s.is_labourer("F", d(1967, 1, 1), on));
        assert!(s.is_labourer("M", d(1967, 1, 1), on));
        // Born on 29 February: 18 on 1 March of a common year.
        assert!(!s.is_labourer("M", d(2008, 2, 29), d(2026, 2, 28)));
        assert!(s.is_labourer("M", d(2008, 2, 29), d(2026, 3, 1)));
        // Unknown sex or not yet born: never.
        assert!(!s.is_labourer("", d(1990, 1, 1), on));
        assert!(!s.is_labourer("M", d(2030, 1, 1), on));
    }

    fn member(id: &str, sex: &str, birth: NaiveDate) -> Member {
        Member {
            person_id: id.into(),
            sex: sex.into(),
            birth,
        }
    }

    fn ex(household: &str, person: Option<&str>, kind: ExemptionKind) -> Exemption {
        Exemption {
            id: format!("{household}-{person:?}"),
            household_id: household.into(),
            person_id: person.map(str::to_string),
            kind,
            note: String::new(),
        }
    }

    #[test]
    fn the_roll_counts_payers_labourers_and_exemptions() {
        let s = LevySettings::default();
        let on = d(2025, 6, 15);
        let households = vec![
            RollHousehold {
                household_id: "h1".into(),
                number: "0001".into(),
                head_name: "张三".into(),
                members: vec![
                    member("p1", "M", d(1980, 1, 1)), // labourer
                    member("p2", "F", d(1982, 1, 1)), // labourer
                    member("p3", "M", d(2010, 1, 1)), // child: pays, no labour
                    member("p4", "F", d(1950, 1, 1)), // elderly: pays, no labour
                    member("p5", "M", d(2003, 1, 1)), // student: labour excused
                ],
            },
            RollHousehold {
                household_id: "h2".into(),
                number: "0002".into(),
                head_name: "李四".into(),
                members: vec![member("q1", "M", d(1970, 1, 1))],
            },
        ];
        let terms = Terms {
            per_person_cents: 1500,
            workdays_per_labourer: 10,
        };
        let roll = compute_roll(&s, terms, &households, &[], on);
        assert_eq!((roll[0].persons_liable, roll[0].labourers_liable), (5, 3));
        let exemptions = vec![
            ex("h1", Some("p5"), ExemptionKind::Student),
            ex("h2", None, ExemptionKind::Dibao),
        ];
        let roll = compute_roll(&s, terms, &households, &exemptions, on);
        assert_eq!(roll[0].persons_liable, 5);
        assert_eq!(roll[0].labourers_liable, 2);
        assert_eq!(roll[0].amount_cents, 7500);
        assert_eq!(roll[0].workdays, 20);
        assert_eq!(
            roll[1],
            RollLine {
                household_id: "h2".into(),
                number: "0002".into(),
                head_name: "李四".into(),
                ..RollLine::default()
            }
        );
        // A person exemption in another household excuses nobody here.
        let roll = compute_roll(
            &s,
            terms,
            &households,
            &[ex("h2", Some("p1"), ExemptionKind::ActiveMilitary)],
            on,
        );
        assert_eq!(roll[0].labourers_liable, 3);
    }

    #[test]
    fn exemption_shapes() {
        assert!(validate_exemption(ExemptionKind::Wubao, None).is_ok());
        assert!(validate_exemption(ExemptionKind::Wubao, Some("p")).is_err());
        assert!(validate_exemption(ExemptionKind::Student, Some("p")).is_ok());
        assert!(validate_exemption(ExemptionKind::Student, None).is_err());
        for k in EXEMPTION_KINDS {
            assert_eq!(ExemptionKind::parse(k.as_str()), Some(k));
        }
        assert!(ExemptionKind::Tekun.is_household());
        assert!(!ExemptionKind::IncapableOfLabour.is_household());
    }

    #[test]
    fn approval_needs_a_passed_resolution_of_the_matter() {
        let r = |passed: bool, m: &str| Resolution {
            matter_id: m.into(),
            passed,
            decided_at: 1,
        };
        assert_eq!(
            check_approval(PlanStatus::Draft, None, &r(true, "m1")),
            Ok(())
        );
        assert_eq!(
            check_approval(PlanStatus::Draft, None, &r(false, "m1")),
            Err("levy_not_resolved")
        );
        assert_eq!(
            check_approval(PlanStatus::Draft, Some("m2"), &r(true, "m1")),
            Err("levy_not_resolved")
        );
        assert_eq!(
            check_approval(PlanStatus::Approved, None, &r(true, "m1")),
            Err("levy_not_draft")
        );
    }

    #[test]
    fn collections_never_exceed_what_is_due() {
        let mut a = HouseholdAccount {
            amount_cents: 4500,
            workdays: 20,
            ..HouseholdAccount::default()
        };
        let st = PlanStatus::Approved;
        assert!(apply_collection(st, &mut a, Collection::Payment { cents: 4500 }, 10000).is_ok());
        assert_eq!(
            apply_collection(st, &mut a, Collection::Payment { cents: 1 }, 10000)
                .unwrap_err()
                .code,
            "levy_overpayment"
        );
        assert!(apply_collection(st, &mut a, Collection::Workdays { days: 15 }, 10000).is_ok());
        assert!(
            apply_collection(st, &mut a, Collection::CashForLabour { days: 6 }, 10000).is_err()
        );
        assert!(apply_collection(st, &mut a, Collection::CashForLabour { days: 5 }, 10000).is_ok());
        assert_eq!(a.cash_for_labour_cents, 50000);
        assert_eq!(a.money_due(), 50000);
        assert_eq!(a.labour_due(), 0);
        assert!(apply_collection(st, &mut a, Collection::Payment { cents: 50000 }, 10000).is_ok());
        assert_eq!(a.money_due(), 0);
        assert_eq!(
            apply_collection(st, &mut a, Collection::Payment { cents: 0 }, 10000)
                .unwrap_err()
                .code,
            "amount_not_positive"
        );
        assert_eq!(
            apply_collection(
                PlanStatus::Closed,
                &mut a,
                Collection::Workdays { days: 1 },
                1
            )
            .unwrap_err()
            .code,
            "levy_closed"
        );
        assert_eq!(
            apply_collection(
                PlanStatus::Draft,
                &mut a,
                Collection::Workdays { days: 1 },
                1
            )
            .unwrap_err()
            .code,
            "levy_not_approved"
        );
    }

    #[test]
    fn subsidy_is_ratio_of_money_and_valued_labour() {
        let s = LevySettings::default();
        assert_eq!(s.subsidy_for(30000, 5), (80000, 80000));
        let half = LevySettings {
            subsidy_numerator: 1,
            subsidy_denominator: 2,
            ..LevySettings::default()
        };
        assert_eq!(half.subsidy_for(1, 0), (1, 0));
        assert_eq!(half.subsidy_for(30001, 1), (40001, 20000));
    }

    #[test]
    fn subsidy_steps_in_order_and_at_their_level() {
        use SubsidyStatus as S;
        assert_eq!(
            subsidy_transition(S::Applied, &SubsidyStep::TownshipReview),
            Ok((S::TownshipReviewed, Level::Township))
        );
        assert_eq!(
            subsidy_transition(S::Applied, &SubsidyStep::CountyApprove),
            Err("invalid_transition")
        );
        assert_eq!(
            subsidy_transition(S::TownshipReviewed, &SubsidyStep::CountyApprove),
            Ok((S::CountyApproved, Level::County))
        );
        assert_eq!(
            subsidy_transition(S::CountyApproved, &SubsidyStep::Pay),
            Ok((S::Paid, Level::County))
        );
        assert_eq!(
            subsidy_transition(S::Applied, &SubsidyStep::Reject { reason: " ".into() }),
            Err("reason_required")
        );
        assert_eq!(
            subsidy_transition(
                S::TownshipReviewed,
                &SubsidyStep::Reject {
                    reason: "材料不全".into()
                }
            ),
            Ok((S::Rejected, Level::County))
        );
        assert_eq!(
            subsidy_transition(
                S::Paid,
                &SubsidyStep::Reject {
                    reason: "迟了".into()
                }
            ),
            Err("invalid_transition")
        );
    }
}
