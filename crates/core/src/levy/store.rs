//! All SQL of the levy slice.

use chrono::NaiveDate;
use sqlx::{AnyConnection, Row};

use super::model::{Payment, Plan, PlanHousehold, Subsidy};
use super::rules::{
    Exemption, ExemptionKind, HouseholdAccount, LevySettings, Member, PlanStatus, RollHousehold,
    RollLine, SubsidyStatus,
};
use crate::error::AppResult;

fn bad(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("bad {what} in a levy record").into())
}

fn flag(r: &sqlx::any::AnyRow, i: usize) -> Result<Option<bool>, sqlx::Error> {
    Ok(r.try_get::<Option<i64>, _>(i)?.map(|v| v != 0))
}

// ---------------------------------------------------------------- settings

const SETTINGS_COLS: &str = "cap_cents_per_person, cap_workdays_per_labourer, male_min_age, \
    male_max_age, female_min_age, female_max_age, workday_price_cents, subsidy_numerator, \
    subsidy_denominator";

/// The county's settings, or the defaults when none were saved.
pub async fn settings(conn: &mut AnyConnection, county: &str) -> AppResult<LevySettings> {
    let row = sqlx::query(&format!(
        "SELECT {SETTINGS_COLS} FROM levy_settings WHERE county_code = $1"
    ))
    .bind(county.to_string())
    .fetch_optional(conn)
    .await?;
    let Some(r) = row else {
        return Ok(LevySettings::default());
    };
    let age = |i: usize| -> Result<u32, sqlx::Error> {
        u32::try_from(r.try_get::<i64, _>(i)?).map_err(|_| bad("age"))
    };
    Ok(LevySettings {
        cap_cents_per_person: r.try_get(0)?,
        cap_workdays_per_labourer: r.try_get(1)?,
        male_min_age: age(2)?,
        male_max_age: age(3)?,
        female_min_age: age(4)?,
        female_max_age: age(5)?,
        workday_price_cents: r.try_get(6)?,
        subsidy_numerator: r.try_get(7)?,
        subsidy_denominator: r.try_get(8)?,
    })
}

pub async fn put_settings(
    conn: &mut AnyConnection,
    county: &str,
    s: &LevySettings,
    now: i64,
) -> AppResult<()> {
    sqlx::query(&format!(
        "INSERT INTO levy_settings (county_code, {SETTINGS_COLS}, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (county_code) DO UPDATE SET \
         cap_cents_per_person = excluded.cap_cents_per_person, \
         cap_workdays_per_labourer = excluded.cap_workdays_per_labourer, \
         male_min_age = excluded.male_min_age, male_max_age = excluded.male_max_age, \
         female_min_age = excluded.female_min_age, female_max_age = excluded.female_max_age, \
         workday_price_cents = excluded.workday_price_cents, \
         subsidy_numerator = excluded.subsidy_numerator, \
         subsidy_denominator = excluded.subsidy_denominator, updated_at = excluded.updated_at"
    ))
    .bind(county.to_string())
    .bind(s.cap_cents_per_person)
    .bind(s.cap_workdays_per_labourer)
    .bind(i64::from(s.male_min_age))
    .bind(i64::from(s.male_max_age))
    .bind(i64::from(s.female_min_age))
    .bind(i64::from(s.female_max_age))
    .bind(s.workday_price_cents)
    .bind(s.subsidy_numerator)
    .bind(s.subsidy_denominator)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- registry

/// The households of a village with their active members (persons of the village), in
/// household-number order. Households without a member are left out.
pub async fn village_households(
    conn: &mut AnyConnection,
    village: &str,
) -> AppResult<Vec<RollHousehold>> {
    let rows = sqlx::query(
        "SELECT h.id, h.number, COALESCE(hp.name, ''), p.id, p.sex, p.birth_date, p.relation, p.name \
         FROM households h \
         JOIN persons p ON p.household_id = h.id AND p.status = 'active' \
              AND p.area_code >= $1 AND p.area_code < $2 \
         LEFT JOIN persons hp ON hp.id = h.head_person_id \
         WHERE h.area_code >= $1 AND h.area_code < $2 \
         ORDER BY h.number, h.id, p.id",
    )
    .bind(village.to_string())
    .bind(format!("{village}~"))
    .fetch_all(conn)
    .await?;
    let mut out: Vec<RollHousehold> = Vec::new();
    for r in &rows {
        let hid: String = r.try_get(0)?;
        let birth: String = r.try_get(5)?;
        let birth = NaiveDate::parse_from_str(&birth, "%Y-%m-%d").map_err(|_| bad("birth date"))?;
        let member = Member {
            person_id: r.try_get(3)?,
            sex: r.try_get(4)?,
            birth,
        };
        let relation: String = r.try_get(6)?;
        let name: String = r.try_get(7)?;
        match out.last_mut() {
            Some(h) if h.household_id == hid => {
                if h.head_name.is_empty() && relation == "head" {
                    h.head_name = name;
                }
                h.members.push(member);
            }
            _ => {
                let head: String = r.try_get(2)?;
                out.push(RollHousehold {
                    household_id: hid,
                    number: r.try_get(1)?,
                    head_name: if head.is_empty() && relation == "head" {
                        name
                    } else {
                        head
                    },
                    members: vec![member],
                });
            }
        }
    }
    Ok(out)
}

/// Whether `person_id` is an active member of `household_id`.
pub async fn is_member(
    conn: &mut AnyConnection,
    household_id: &str,
    person_id: &str,
) -> AppResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM persons WHERE id = $1 AND household_id = $2 AND status = 'active'",
    )
    .bind(person_id.to_string())
    .bind(household_id.to_string())
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

// ---------------------------------------------------------------- plans

const PLAN_COLS: &str = "id, county_code, area_code, matter_id, title, project_kind, year, \
    budget_cents, per_person_cents, workdays_per_labourer, workday_price_cents, reference_date, \
    status, resolution_matter_id, resolution_passed, resolved_at, persons_liable, \
    labourers_liable, amount_cents, workdays, subsidy_received_cents, created_by, created_at, \
    updated_at, closed_at";

fn row_to_plan(r: &sqlx::any::AnyRow) -> Result<Plan, sqlx::Error> {
    let status: String = r.try_get(12)?;
    let year: i64 = r.try_get(6)?;
    Ok(Plan {
        id: r.try_get(0)?,
        county_code: r.try_get(1)?,
        area_code: r.try_get(2)?,
        matter_id: r.try_get(3)?,
        title: r.try_get(4)?,
        project_kind: r.try_get(5)?,
        year: i32::try_from(year).map_err(|_| bad("year"))?,
        budget_cents: r.try_get(7)?,
        per_person_cents: r.try_get(8)?,
        workdays_per_labourer: r.try_get(9)?,
        workday_price_cents: r.try_get(10)?,
        reference_date: r.try_get(11)?,
        status: PlanStatus::parse(&status).ok_or_else(|| bad("status"))?,
        resolution_matter_id: r.try_get(13)?,
        resolution_passed: flag(r, 14)?,
        resolved_at: r.try_get(15)?,
        persons_liable: r.try_get(16)?,
        labourers_liable: r.try_get(17)?,
        amount_cents: r.try_get(18)?,
        workdays: r.try_get(19)?,
        subsidy_received_cents: r.try_get(20)?,
        created_by: r.try_get(21)?,
        created_at: r.try_get(22)?,
        updated_at: r.try_get(23)?,
        closed_at: r.try_get(24)?,
    })
}

pub async fn insert_plan(conn: &mut AnyConnection, p: &Plan) -> AppResult<()> {
    sqlx::query(&format!(
        "INSERT INTO levy_plans ({PLAN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)"
    ))
    .bind(p.id.clone())
    .bind(p.county_code.clone())
    .bind(p.area_code.clone())
    .bind(p.matter_id.clone())
    .bind(p.title.clone())
    .bind(p.project_kind.clone())
    .bind(i64::from(p.year))
    .bind(p.budget_cents)
    .bind(p.per_person_cents)
    .bind(p.workdays_per_labourer)
    .bind(p.workday_price_cents)
    .bind(p.reference_date.clone())
    .bind(p.status.as_str())
    .bind(p.resolution_matter_id.clone())
    .bind(p.resolution_passed.map(i64::from))
    .bind(p.resolved_at)
    .bind(p.persons_liable)
    .bind(p.labourers_liable)
    .bind(p.amount_cents)
    .bind(p.workdays)
    .bind(p.subsidy_received_cents)
    .bind(p.created_by.clone())
    .bind(p.created_at)
    .bind(p.updated_at)
    .bind(p.closed_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Write back what changes on a plan: status, resolution, totals, subsidy, times.
pub async fn update_plan(conn: &mut AnyConnection, p: &Plan) -> AppResult<()> {
    sqlx::query(
        "UPDATE levy_plans SET status = $2, resolution_matter_id = $3, resolution_passed = $4, \
         resolved_at = $5, persons_liable = $6, labourers_liable = $7, amount_cents = $8, \
         workdays = $9, subsidy_received_cents = $10, updated_at = $11, closed_at = $12 \
         WHERE id = $1",
    )
    .bind(p.id.clone())
    .bind(p.status.as_str())
    .bind(p.resolution_matter_id.clone())
    .bind(p.resolution_passed.map(i64::from))
    .bind(p.resolved_at)
    .bind(p.persons_liable)
    .bind(p.labourers_liable)
    .bind(p.amount_cents)
    .bind(p.workdays)
    .bind(p.subsidy_received_cents)
    .bind(p.updated_at)
    .bind(p.closed_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn plan(conn: &mut AnyConnection, id: &str) -> AppResult<Option<Plan>> {
    let row = sqlx::query(&format!("SELECT {PLAN_COLS} FROM levy_plans WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(row_to_plan).transpose()?)
}

/// Plans of the areas under `prefix`, newest first.
pub async fn plans(conn: &mut AnyConnection, prefix: &str) -> AppResult<Vec<Plan>> {
    let rows = sqlx::query(&format!(
        "SELECT {PLAN_COLS} FROM levy_plans WHERE area_code >= $1 AND area_code < $2 \
         ORDER BY year DESC, created_at DESC"
    ))
    .bind(prefix.to_string())
    .bind(format!("{prefix}~"))
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(row_to_plan).collect::<Result<_, _>>()?)
}

/// Money collected on each plan of the areas under `prefix`: (plan id, paid cents,
/// cash-for-labour cents fallen due), summed over the roll.
pub async fn collected_in(
    conn: &mut AnyConnection,
    prefix: &str,
) -> AppResult<Vec<(String, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT h.plan_id, CAST(SUM(h.paid_cents) AS BIGINT), \
         CAST(SUM(h.cash_for_labour_cents) AS BIGINT) \
         FROM levy_households h JOIN levy_plans p ON p.id = h.plan_id \
         WHERE p.area_code >= $1 AND p.area_code < $2 GROUP BY h.plan_id",
    )
    .bind(prefix.to_string())
    .bind(format!("{prefix}~"))
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

// ---------------------------------------------------------------- the roll

/// Replace the roll of a draft plan.
pub async fn replace_roll(
    conn: &mut AnyConnection,
    plan: &Plan,
    lines: &[RollLine],
    now: i64,
) -> AppResult<()> {
    sqlx::query("DELETE FROM levy_households WHERE plan_id = $1")
        .bind(plan.id.clone())
        .execute(&mut *conn)
        .await?;
    for l in lines {
        sqlx::query(
            "INSERT INTO levy_households (plan_id, household_id, county_code, number, head_name, \
             persons_liable, labourers_liable, amount_cents, workdays, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(plan.id.clone())
        .bind(l.household_id.clone())
        .bind(plan.county_code.clone())
        .bind(l.number.clone())
        .bind(l.head_name.clone())
        .bind(l.persons_liable)
        .bind(l.labourers_liable)
        .bind(l.amount_cents)
        .bind(l.workdays)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

const ROLL_COLS: &str = "plan_id, household_id, number, head_name, persons_liable, \
    labourers_liable, amount_cents, workdays, cash_for_labour_days, cash_for_labour_cents, \
    paid_cents, worked_days";

fn row_to_line(r: &sqlx::any::AnyRow) -> Result<PlanHousehold, sqlx::Error> {
    Ok(PlanHousehold {
        plan_id: r.try_get(0)?,
        household_id: r.try_get(1)?,
        number: r.try_get(2)?,
        head_name: r.try_get(3)?,
        persons_liable: r.try_get(4)?,
        labourers_liable: r.try_get(5)?,
        account: HouseholdAccount {
            amount_cents: r.try_get(6)?,
            workdays: r.try_get(7)?,
            cash_for_labour_days: r.try_get(8)?,
            cash_for_labour_cents: r.try_get(9)?,
            paid_cents: r.try_get(10)?,
            worked_days: r.try_get(11)?,
        },
    })
}

/// The roll of a plan, in household-number order.
pub async fn roll(conn: &mut AnyConnection, plan_id: &str) -> AppResult<Vec<PlanHousehold>> {
    let rows = sqlx::query(&format!(
        "SELECT {ROLL_COLS} FROM levy_households WHERE plan_id = $1 ORDER BY number, household_id"
    ))
    .bind(plan_id.to_string())
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(row_to_line).collect::<Result<_, _>>()?)
}

pub async fn roll_line(
    conn: &mut AnyConnection,
    plan_id: &str,
    household_id: &str,
) -> AppResult<Option<PlanHousehold>> {
    let row = sqlx::query(&format!(
        "SELECT {ROLL_COLS} FROM levy_households WHERE plan_id = $1 AND household_id = $2"
    ))
    .bind(plan_id.to_string())
    .bind(household_id.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(row_to_line).transpose()?)
}

pub async fn update_account(
    conn: &mut AnyConnection,
    plan_id: &str,
    household_id: &str,
    a: &HouseholdAccount,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE levy_households SET cash_for_labour_days = $3, cash_for_labour_cents = $4, \
         paid_cents = $5, worked_days = $6, updated_at = $7 WHERE plan_id = $1 AND household_id = $2",
    )
    .bind(plan_id.to_string())
    .bind(household_id.to_string())
    .bind(a.cash_for_labour_days)
    .bind(a.cash_for_labour_cents)
    .bind(a.paid_cents)
    .bind(a.worked_days)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- exemptions

pub async fn insert_exemption(
    conn: &mut AnyConnection,
    plan: &Plan,
    e: &Exemption,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO levy_exemptions (id, plan_id, county_code, household_id, person_id, kind, \
         note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(e.id.clone())
    .bind(plan.id.clone())
    .bind(plan.county_code.clone())
    .bind(e.household_id.clone())
    .bind(e.person_id.clone())
    .bind(e.kind.as_str())
    .bind(e.note.clone())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Delete one exemption of a plan; the number of rows removed.
pub async fn delete_exemption(conn: &mut AnyConnection, plan_id: &str, id: &str) -> AppResult<u64> {
    let r = sqlx::query("DELETE FROM levy_exemptions WHERE plan_id = $1 AND id = $2")
        .bind(plan_id.to_string())
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

pub async fn exemptions(conn: &mut AnyConnection, plan_id: &str) -> AppResult<Vec<Exemption>> {
    let rows = sqlx::query(
        "SELECT id, household_id, person_id, kind, note FROM levy_exemptions WHERE plan_id = $1 \
         ORDER BY created_at, id",
    )
    .bind(plan_id.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get(3)?;
            Ok(Exemption {
                id: r.try_get(0)?,
                household_id: r.try_get(1)?,
                person_id: r.try_get(2)?,
                kind: ExemptionKind::parse(&kind).ok_or_else(|| bad("exemption kind"))?,
                note: r.try_get(4)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

// ---------------------------------------------------------------- collection records

pub async fn insert_payment(conn: &mut AnyConnection, county: &str, p: &Payment) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO levy_payments (id, plan_id, household_id, county_code, kind, cents, days, \
         recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(p.id.clone())
    .bind(p.plan_id.clone())
    .bind(p.household_id.clone())
    .bind(county.to_string())
    .bind(p.kind.clone())
    .bind(p.cents)
    .bind(p.days)
    .bind(p.recorded_by.clone())
    .bind(p.recorded_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn payments(conn: &mut AnyConnection, plan_id: &str) -> AppResult<Vec<Payment>> {
    let rows = sqlx::query(
        "SELECT id, plan_id, household_id, kind, cents, days, recorded_by, recorded_at \
         FROM levy_payments WHERE plan_id = $1 ORDER BY recorded_at, id",
    )
    .bind(plan_id.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Payment {
                id: r.try_get(0)?,
                plan_id: r.try_get(1)?,
                household_id: r.try_get(2)?,
                kind: r.try_get(3)?,
                cents: r.try_get(4)?,
                days: r.try_get(5)?,
                recorded_by: r.try_get(6)?,
                recorded_at: r.try_get(7)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

// ---------------------------------------------------------------- award subsidies

const SUBSIDY_COLS: &str = "id, plan_id, county_code, status, base_cents, amount_cents, \
    ratio_numerator, ratio_denominator, applied_by, applied_at, township_by, township_at, \
    county_by, county_at, paid_by, paid_at, reject_reason, rejected_at, updated_at";

fn row_to_subsidy(r: &sqlx::any::AnyRow) -> Result<Subsidy, sqlx::Error> {
    let status: String = r.try_get(3)?;
    Ok(Subsidy {
        id: r.try_get(0)?,
        plan_id: r.try_get(1)?,
        county_code: r.try_get(2)?,
        status: SubsidyStatus::parse(&status).ok_or_else(|| bad("subsidy status"))?,
        base_cents: r.try_get(4)?,
        amount_cents: r.try_get(5)?,
        ratio_numerator: r.try_get(6)?,
        ratio_denominator: r.try_get(7)?,
        applied_by: r.try_get(8)?,
        applied_at: r.try_get(9)?,
        township_by: r.try_get(10)?,
        township_at: r.try_get(11)?,
        county_by: r.try_get(12)?,
        county_at: r.try_get(13)?,
        paid_by: r.try_get(14)?,
        paid_at: r.try_get(15)?,
        reject_reason: r.try_get(16)?,
        rejected_at: r.try_get(17)?,
        updated_at: r.try_get(18)?,
    })
}

pub async fn insert_subsidy(conn: &mut AnyConnection, s: &Subsidy) -> AppResult<()> {
    sqlx::query(&format!(
        "INSERT INTO levy_subsidies ({SUBSIDY_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
    ))
    .bind(s.id.clone())
    .bind(s.plan_id.clone())
    .bind(s.county_code.clone())
    .bind(s.status.as_str())
    .bind(s.base_cents)
    .bind(s.amount_cents)
    .bind(s.ratio_numerator)
    .bind(s.ratio_denominator)
    .bind(s.applied_by.clone())
    .bind(s.applied_at)
    .bind(s.township_by.clone())
    .bind(s.township_at)
    .bind(s.county_by.clone())
    .bind(s.county_at)
    .bind(s.paid_by.clone())
    .bind(s.paid_at)
    .bind(s.reject_reason.clone())
    .bind(s.rejected_at)
    .bind(s.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update_subsidy(conn: &mut AnyConnection, s: &Subsidy) -> AppResult<()> {
    sqlx::query(
        "UPDATE levy_subsidies SET status = $2, township_by = $3, township_at = $4, \
         county_by = $5, county_at = $6, paid_by = $7, paid_at = $8, reject_reason = $9, \
         rejected_at = $10, updated_at = $11 WHERE id = $1",
    )
    .bind(s.id.clone())
    .bind(s.status.as_str())
    .bind(s.township_by.clone())
    .bind(s.township_at)
    .bind(s.county_by.clone())
    .bind(s.county_at)
    .bind(s.paid_by.clone())
    .bind(s.paid_at)
    .bind(s.reject_reason.clone())
    .bind(s.rejected_at)
    .bind(s.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn subsidy(conn: &mut AnyConnection, id: &str) -> AppResult<Option<Subsidy>> {
    let row = sqlx::query(&format!(
        "SELECT {SUBSIDY_COLS} FROM levy_subsidies WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(row_to_subsidy).transpose()?)
}

pub async fn subsidies(conn: &mut AnyConnection, plan_id: &str) -> AppResult<Vec<Subsidy>> {
    let rows = sqlx::query(&format!(
        "SELECT {SUBSIDY_COLS} FROM levy_subsidies WHERE plan_id = $1 ORDER BY applied_at, id"
    ))
    .bind(plan_id.to_string())
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(row_to_subsidy).collect::<Result<_, _>>()?)
}
