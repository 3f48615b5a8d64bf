//! Records of the levy slice as the store reads and writes them.

use serde::Serialize;

use super::rules::{HouseholdAccount, PlanStatus, SubsidyStatus};

/// A levy plan (一事一议筹资筹劳方案) of one village and one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub id: String,
    pub county_code: String,
    /// The village.
    pub area_code: String,
    /// The deliberation matter the plan is decided under (no foreign key: another module
    /// owns matters).
    pub matter_id: Option<String>,
    pub title: String,
    pub project_kind: String,
    pub year: i32,
    pub budget_cents: i64,
    pub per_person_cents: i64,
    pub workdays_per_labourer: i64,
    /// The workday price of the county when the plan was made (for cash-for-labour).
    pub workday_price_cents: i64,
    /// The date ages were counted on (`YYYY-MM-DD`).
    pub reference_date: String,
    pub status: PlanStatus,
    pub resolution_matter_id: Option<String>,
    pub resolution_passed: Option<bool>,
    pub resolved_at: Option<i64>,
    /// Totals of the roll.
    pub persons_liable: i64,
    pub labourers_liable: i64,
    pub amount_cents: i64,
    pub workdays: i64,
    pub subsidy_received_cents: i64,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
}

/// One household's line of a plan's roll with its account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanHousehold {
    pub plan_id: String,
    pub household_id: String,
    pub number: String,
    pub head_name: String,
    pub persons_liable: i64,
    pub labourers_liable: i64,
    pub account: HouseholdAccount,
}

/// Totals of a plan's roll and collection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub households: i64,
    pub persons_liable: i64,
    pub labourers_liable: i64,
    pub amount_cents: i64,
    pub cash_for_labour_cents: i64,
    pub paid_cents: i64,
    pub workdays: i64,
    pub worked_days: i64,
    pub cash_for_labour_days: i64,
    pub subsidy_received_cents: i64,
}

impl Totals {
    /// Sum the roll.
    pub fn of(lines: &[PlanHousehold], subsidy_received_cents: i64) -> Totals {
        let mut t = Totals {
            subsidy_received_cents,
            ..Totals::default()
        };
        for l in lines {
            t.households += 1;
            t.persons_liable += l.persons_liable;
            t.labourers_liable += l.labourers_liable;
            t.amount_cents += l.account.amount_cents;
            t.cash_for_labour_cents += l.account.cash_for_labour_cents;
            t.paid_cents += l.account.paid_cents;
            t.workdays += l.account.workdays;
            t.worked_days += l.account.worked_days;
            t.cash_for_labour_days += l.account.cash_for_labour_days;
        }
        t
    }
}

/// One collection record (money paid, workdays worked, cash-for-labour requested).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    pub id: String,
    pub plan_id: String,
    pub household_id: String,
    pub kind: String,
    pub cents: i64,
    pub days: i64,
    pub recorded_by: Option<String>,
    pub recorded_at: i64,
}

/// An award-subsidy application (财政奖补).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subsidy {
    pub id: String,
    pub plan_id: String,
    pub county_code: String,
    pub status: SubsidyStatus,
    /// Money raised plus labour valued at the workday price, when applied.
    pub base_cents: i64,
    pub amount_cents: i64,
    pub ratio_numerator: i64,
    pub ratio_denominator: i64,
    pub applied_by: Option<String>,
    pub applied_at: i64,
    pub township_by: Option<String>,
    pub township_at: Option<i64>,
    pub county_by: Option<String>,
    pub county_at: Option<i64>,
    pub paid_by: Option<String>,
    pub paid_at: Option<i64>,
    pub reject_reason: Option<String>,
    pub rejected_at: Option<i64>,
    pub updated_at: i64,
}
