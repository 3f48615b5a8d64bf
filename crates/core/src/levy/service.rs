//! Levy plan services: each checks the actor's permission on the plan's village (or the
//! township / county for oversight steps), runs one transaction and writes its audit record
//! in that transaction.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use super::disclosure::{self, DisclosureLine, DisclosurePlan};
use super::model::{Payment, Plan, PlanHousehold, Subsidy, Totals};
use super::rules::{
    self, Collection, Exemption, ExemptionKind, LevySettings, PlanInput, PlanStatus, Resolution,
    SubsidyStatus, SubsidyStep, Terms,
};
use super::store;
use crate::areas::code::{county_of, AreaLevel};
use crate::areas::store as areas;
use crate::audit::{self, Entry};
use crate::authz::{Actor, Permission};
use crate::error::{AppError, AppResult};
use crate::{clock, Core};

/// A plan with its roll, exemptions, collection records and subsidy applications.
#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    pub plan: Plan,
    pub households: Vec<PlanHousehold>,
    pub exemptions: Vec<Exemption>,
    pub payments: Vec<Payment>,
    pub subsidies: Vec<Subsidy>,
    pub totals: Totals,
}

/// An exemption as the cadre enters it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ExemptionInput {
    pub household_id: String,
    /// The person, for person-level kinds (labour only).
    #[serde(default)]
    pub person_id: Option<String>,
    /// One of [`rules::EXEMPTION_KINDS`].
    pub kind: String,
    /// The ground (for household kinds: the assembly decision that granted it).
    #[serde(default)]
    pub note: String,
}

fn summary(p: &Plan) -> serde_json::Value {
    json!({
        "status": p.status.as_str(),
        "title": p.title,
        "project_kind": p.project_kind,
        "year": p.year,
        "budget_cents": p.budget_cents,
        "per_person_cents": p.per_person_cents,
        "workdays_per_labourer": p.workdays_per_labourer,
        "persons_liable": p.persons_liable,
        "labourers_liable": p.labourers_liable,
        "amount_cents": p.amount_cents,
        "workdays": p.workdays,
        "matter_id": p.matter_id,
        "resolution_matter_id": p.resolution_matter_id,
        "subsidy_received_cents": p.subsidy_received_cents,
    })
}

/// Load a plan the actor may act on with `perm`. Outside everything the actor can read it
/// answers "not found", so a plan's existence does not leak.
async fn plan_for(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    perm: Permission,
) -> AppResult<Plan> {
    let plan = store::plan(conn, id)
        .await?
        .ok_or(AppError::NotFound("levy_plan"))?;
    if actor.scope(perm).contains(&plan.area_code, None) {
        return Ok(plan);
    }
    if actor
        .scope(Permission::DeliberationRead)
        .contains(&plan.area_code, None)
        || actor
            .scope(Permission::DeliberationOversee)
            .contains(&plan.area_code, None)
    {
        return Err(AppError::Forbidden);
    }
    Err(AppError::NotFound("levy_plan"))
}

/// Whether the actor may read a plan of `area_code`.
fn may_read(actor: &Actor, area_code: &str) -> bool {
    actor
        .scope(Permission::DeliberationRead)
        .contains(area_code, None)
        || actor
            .scope(Permission::DeliberationOversee)
            .contains(area_code, None)
}

/// The county's levy settings (defaults when none were saved).
pub async fn settings(core: &Core, county_code: &str) -> AppResult<LevySettings> {
    let mut conn = core.db.read.acquire().await?;
    store::settings(&mut conn, county_code).await
}

/// Save the county's levy settings (county staff with oversight on the county).
pub async fn put_settings(
    core: &Core,
    actor: &Actor,
    county_code: &str,
    s: &LevySettings,
) -> AppResult<LevySettings> {
    actor.require_at_level(
        Permission::DeliberationOversee,
        county_code,
        AreaLevel::County,
    )?;
    s.validate().map_err(AppError::Validation)?;
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    let before = store::settings(&mut tx, county_code).await?;
    store::put_settings(&mut tx, county_code, s, now).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("levy.settings", "levy_settings", county_code)
            .area(county_code)
            .before(serde_json::to_value(&before).unwrap_or_default())
            .after(serde_json::to_value(s).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(s.clone())
}

/// Compute the roll of a plan from the registry and its exemptions, write it and the totals.
async fn recompute(
    conn: &mut AnyConnection,
    plan: &mut Plan,
    settings: &LevySettings,
    now: i64,
) -> AppResult<()> {
    let on = chrono::NaiveDate::parse_from_str(&plan.reference_date, "%Y-%m-%d")
        .map_err(|e| AppError::Internal(anyhow::anyhow!("bad reference date: {e}")))?;
    let households = store::village_households(conn, &plan.area_code).await?;
    let exemptions = store::exemptions(conn, &plan.id).await?;
    let lines = rules::compute_roll(
        settings,
        Terms {
            per_person_cents: plan.per_person_cents,
            workdays_per_labourer: plan.workdays_per_labourer,
        },
        &households,
        &exemptions,
        on,
    );
    plan.persons_liable = lines.iter().map(|l| l.persons_liable).sum();
    plan.labourers_liable = lines.iter().map(|l| l.labourers_liable).sum();
    plan.amount_cents = lines.iter().map(|l| l.amount_cents).sum();
    plan.workdays = lines.iter().map(|l| l.workdays).sum();
    plan.updated_at = now;
    store::replace_roll(conn, plan, &lines, now).await
}

/// Create a draft plan for a village and compute its household roll from the registry
/// (R-YSYY-2, R-YSYY-5, R-YSYY-6). A plan above the county's cap is refused before anything
/// is written.
pub async fn create_plan(core: &Core, actor: &Actor, input: &PlanInput) -> AppResult<Plan> {
    actor.require(Permission::DeliberationManage, &input.area_code, None)?;
    let now = clock::now_ms();
    let county = county_of(&input.area_code);
    let mut tx = core.db.write.begin().await?;
    let area = areas::get_tx(&mut tx, &input.area_code)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    if area.level != AreaLevel::Village {
        return Err(AppError::field("area_code", "area_code_level"));
    }
    let settings = store::settings(&mut tx, &county).await?;
    rules::validate_plan(input, &settings).map_err(AppError::Validation)?;
    let reference = input.reference_date.unwrap_or_else(clock::today);
    let mut plan = Plan {
        id: clock::new_id(),
        county_code: county,
        area_code: area.code.clone(),
        matter_id: input
            .matter_id
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_string),
        title: input.title.trim().to_string(),
        project_kind: input.project_kind.clone(),
        year: input.year,
        budget_cents: input.budget_cents,
        per_person_cents: input.per_person_cents,
        workdays_per_labourer: input.workdays_per_labourer,
        workday_price_cents: settings.workday_price_cents,
        reference_date: reference.format("%Y-%m-%d").to_string(),
        status: PlanStatus::Draft,
        resolution_matter_id: None,
        resolution_passed: None,
        resolved_at: None,
        persons_liable: 0,
        labourers_liable: 0,
        amount_cents: 0,
        workdays: 0,
        subsidy_received_cents: 0,
        created_by: (!actor.user_id.is_empty()).then(|| actor.user_id.clone()),
        created_at: now,
        updated_at: now,
        closed_at: None,
    };
    store::insert_plan(&mut tx, &plan).await?;
    recompute(&mut tx, &mut plan, &settings, now).await?;
    store::update_plan(&mut tx, &plan).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("levy.plan_create", "levy_plan", &plan.id)
            .area(&plan.area_code)
            .after(summary(&plan)),
    )
    .await?;
    tx.commit().await?;
    Ok(plan)
}

/// One plan with everything recorded on it.
pub async fn get(core: &Core, actor: &Actor, plan_id: &str) -> AppResult<PlanView> {
    let mut conn = core.db.read.acquire().await?;
    let plan = store::plan(&mut conn, plan_id)
        .await?
        .filter(|p| may_read(actor, &p.area_code))
        .ok_or(AppError::NotFound("levy_plan"))?;
    let households = store::roll(&mut conn, plan_id).await?;
    let totals = Totals::of(&households, plan.subsidy_received_cents);
    Ok(PlanView {
        exemptions: store::exemptions(&mut conn, plan_id).await?,
        payments: store::payments(&mut conn, plan_id).await?,
        subsidies: store::subsidies(&mut conn, plan_id).await?,
        households,
        totals,
        plan,
    })
}

/// The widest area prefixes in which the actor reads plans (a prefix inside another adds
/// nothing).
fn read_prefixes(actor: &Actor) -> Vec<String> {
    let mut prefixes = actor.scope(Permission::DeliberationRead).prefixes;
    prefixes.extend(actor.scope(Permission::DeliberationOversee).prefixes);
    prefixes.sort();
    prefixes.dedup();
    prefixes
        .iter()
        .filter(|p| {
            !prefixes
                .iter()
                .any(|q| q != *p && p.starts_with(q.as_str()))
        })
        .cloned()
        .collect()
}

/// The plans the actor may read, newest first.
pub async fn list(core: &Core, actor: &Actor) -> AppResult<Vec<Plan>> {
    let mut conn = core.db.read.acquire().await?;
    let mut out = Vec::new();
    for p in read_prefixes(actor) {
        out.extend(store::plans(&mut conn, &p).await?);
    }
    Ok(out)
}

/// Money collected on the plans the actor may read, by plan id: (paid cents, cash-for-labour
/// cents fallen due). One query per area prefix, for lists of plans.
pub async fn collected(
    core: &Core,
    actor: &Actor,
) -> AppResult<std::collections::HashMap<String, (i64, i64)>> {
    let mut conn = core.db.read.acquire().await?;
    let mut out = std::collections::HashMap::new();
    for p in read_prefixes(actor) {
        for (id, paid, cash) in store::collected_in(&mut conn, &p).await? {
            out.insert(id, (paid, cash));
        }
    }
    Ok(out)
}

/// Totals of a plan's roll and collection.
pub async fn totals(core: &Core, actor: &Actor, plan_id: &str) -> AppResult<Totals> {
    Ok(get(core, actor, plan_id).await?.totals)
}

/// Add an exemption to a draft plan and recompute the roll.
pub async fn add_exemption(
    core: &Core,
    actor: &Actor,
    plan_id: &str,
    input: &ExemptionInput,
) -> AppResult<Exemption> {
    let kind = ExemptionKind::parse(input.kind.trim())
        .ok_or_else(|| AppError::field("kind", "not_in_list"))?;
    let person_id = input
        .person_id
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    rules::validate_exemption(kind, person_id).map_err(|e| AppError::Validation(vec![e]))?;
    let note = input.note.trim();
    if note.chars().count() > 500 {
        return Err(AppError::field("note", "too_long"));
    }
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    let mut plan = plan_for(&mut tx, actor, plan_id, Permission::DeliberationManage).await?;
    if plan.status != PlanStatus::Draft {
        return Err(AppError::InvalidTransition("levy_not_draft"));
    }
    if store::roll_line(&mut tx, plan_id, &input.household_id)
        .await?
        .is_none()
    {
        return Err(AppError::field("household_id", "household_missing"));
    }
    if let Some(p) = person_id {
        if !store::is_member(&mut tx, &input.household_id, p).await? {
            return Err(AppError::field("person_id", "invalid"));
        }
    }
    let existing = store::exemptions(&mut tx, plan_id).await?;
    if existing.iter().any(|e| {
        e.household_id == input.household_id
            && e.kind == kind
            && e.person_id.as_deref() == person_id
    }) {
        return Err(AppError::Conflict {
            code: "duplicate",
            field: Some("kind"),
        });
    }
    let e = Exemption {
        id: clock::new_id(),
        household_id: input.household_id.clone(),
        person_id: person_id.map(str::to_string),
        kind,
        note: note.to_string(),
    };
    store::insert_exemption(&mut tx, &plan, &e, now).await?;
    let before = summary(&plan);
    let settings = store::settings(&mut tx, &plan.county_code).await?;
    recompute(&mut tx, &mut plan, &settings, now).await?;
    store::update_plan(&mut tx, &plan).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("levy.exemption_add", "levy_plan", &plan.id)
            .area(&plan.area_code)
            .before(before)
            .after(summary(&plan))
            .detail(format!("{} {}", kind.as_str(), e.household_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(e)
}

/// Remove an exemption from a draft plan and recompute the roll.
pub async fn remove_exemption(
    core: &Core,
    actor: &Actor,
    plan_id: &str,
    exemption_id: &str,
) -> AppResult<Plan> {
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    let mut plan = plan_for(&mut tx, actor, plan_id, Permission::DeliberationManage).await?;
    if plan.status != PlanStatus::Draft {
        return Err(AppError::InvalidTransition("levy_not_draft"));
    }
    if store::delete_exemption(&mut tx, plan_id, exemption_id).await? == 0 {
        return Err(AppError::NotFound("levy_exemption"));
    }
    let before = summary(&plan);
    let settings = store::settings(&mut tx, &plan.county_code).await?;
    recompute(&mut tx, &mut plan, &settings, now).await?;
    store::update_plan(&mut tx, &plan).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("levy.exemption_remove", "levy_plan", &plan.id)
            .area(&plan.area_code)
            .before(before)
            .after(summary(&plan))
            .detail(exemption_id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(plan)
}

/// Approve a draft plan under the resolution of the villagers' assembly (R-YSYY-3,
/// 〔LRB 组织法 §24(三)〕). Refused with `levy_not_resolved` unless the resolution passed.
pub async fn approve(
    core: &Core,
    actor: &Actor,
    plan_id: &str,
    resolution: &Resolution,
) -> AppResult<Plan> {
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    let mut plan = plan_for(&mut tx, actor, plan_id, Permission::DeliberationManage).await?;
    rules::check_approval(plan.status, plan.matter_id.as_deref(), resolution)
        .map_err(AppError::InvalidTransition)?;
    let before = summary(&plan);
    plan.status = PlanStatus::Approved;
    plan.resolution_matter_id = Some(resolution.matter_id.clone());
    plan.resolution_passed = Some(true);
    plan.resolved_at = Some(resolution.decided_at);
    plan.updated_at = now;
    store::update_plan(&mut tx, &plan).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("levy.approve", "levy_plan", &plan.id)
            .area(&plan.area_code)
            .before(before)
            .after(summary(&plan))
            .detail(format!("resolution of matter {}", resolution.matter_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(plan)
}

/// Record money, workdays or a voluntary cash-for-labour request of one household.
pub async fn collect(
    core: &Core,
    actor: &Actor,
    plan_id: &str,
    household_id: &str,
    c: Collection,
) -> AppResult<PlanHousehold> {
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    let mut plan = plan_for(&mut tx, actor, plan_id, Permission::DeliberationManage).await?;
    let mut line = store::roll_line(&mut tx, plan_id, household_id)
        .await?
        .ok_or(AppError::NotFound("levy_household"))?;
    let before = serde_json::to_value(&line.account).unwrap_or_default();
    rules::apply_collection(plan.status, &mut line.account, c, plan.workday_price_cents).map_err(
        |e| match e.code.as_str() {
            "levy_closed" => AppError::InvalidTransition("levy_closed"),
            "levy_not_approved" => AppError::InvalidTransition("levy_not_approved"),
            _ => AppError::Validation(vec![e]),
        },
    )?;
    store::update_account(&mut tx, plan_id, household_id, &line.account, now).await?;
    let (cents, days) = match c {
        Collection::Payment { cents } => (cents, 0),
        Collection::Workdays { days } => (0, days),
        Collection::CashForLabour { days } => (days.saturating_mul(plan.workday_price_cents), days),
    };
    store::insert_payment(
        &mut tx,
        &plan.county_code,
        &Payment {
            id: clock::new_id(),
            plan_id: plan_id.to_string(),
            household_id: household_id.to_string(),
            kind: c.kind().to_string(),
            cents,
            days,
            recorded_by: (!actor.user_id.is_empty()).then(|| actor.user_id.clone()),
            recorded_at: now,
        },
    )
    .await?;
    if plan.status == PlanStatus::Approved {
        plan.status = PlanStatus::Collecting;
        plan.updated_at = now;
        store::update_plan(&mut tx, &plan).await?;
    }
    audit::record(
        &mut tx,
        actor,
        Entry::new(
            match c {
                Collection::Payment { .. } => "levy.payment",
                Collection::Workdays { .. } => "levy.workdays",
                Collection::CashForLabour { .. } => "levy.cash_for_labour",
            },
            "levy_plan",
            &plan.id,
        )
        .area(&plan.area_code)
        .before(before)
        .after(serde_json::to_value(&line.account).unwrap_or_default())
        .detail(format!("household {household_id}")),
    )
    .await?;
    tx.commit().await?;
    Ok(line)
}

/// Record money paid by a household.
pub async fn record_payment(
    core: &Core,
    actor: &Actor,
    plan_id: &str,
    household_id: &str,
    cents: i64,
) -> AppResult<PlanHousehold> {
    collect(
        core,
        actor,
        plan_id,
        household_id,
        Collection::Payment { cents },
    )
    .await
}

/// Record standard workdays worked by a household.
pub async fn record_workdays(
    core: &Core,
    actor: &Actor,
    plan_id: &str,
    household_id: &str,
    days: i64,
) -> AppResult<PlanHousehold> {
    collect(
        core,
        actor,
        plan_id,
        household_id,
        Collection::Workdays { days },
    )
    .await
}

/// Record a household's own request to pay for `days` of its labour (以资代劳, R-YSYY-7:
/// voluntary only, so it is only ever recorded on the household's request, never set by a
/// plan).
pub async fn record_cash_for_labour(
    core: &Core,
    actor: &Actor,
    plan_id: &str,
    household_id: &str,
    days: i64,
) -> AppResult<PlanHousehold> {
    collect(
        core,
        actor,
        plan_id,
        household_id,
        Collection::CashForLabour { days },
    )
    .await
}

/// Close a plan: no more collection.
pub async fn close(core: &Core, actor: &Actor, plan_id: &str) -> AppResult<Plan> {
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    let mut plan = plan_for(&mut tx, actor, plan_id, Permission::DeliberationManage).await?;
    match plan.status {
        PlanStatus::Draft => return Err(AppError::InvalidTransition("levy_not_approved")),
        PlanStatus::Closed => return Err(AppError::InvalidTransition("levy_closed")),
        PlanStatus::Approved | PlanStatus::Collecting => {}
    }
    let before = summary(&plan);
    plan.status = PlanStatus::Closed;
    plan.closed_at = Some(now);
    plan.updated_at = now;
    store::update_plan(&mut tx, &plan).await?;
    let roll = store::roll(&mut tx, plan_id).await?;
    let t = Totals::of(&roll, plan.subsidy_received_cents);
    audit::record(
        &mut tx,
        actor,
        Entry::new("levy.close", "levy_plan", &plan.id)
            .area(&plan.area_code)
            .before(before)
            .after(summary(&plan))
            .detail(format!(
                "paid {} cents, worked {} days",
                t.paid_cents, t.worked_days
            )),
    )
    .await?;
    tx.commit().await?;
    Ok(plan)
}

/// Apply for the award subsidy of an approved plan (R-YSYY-9): ratio × (money raised +
/// labour worked valued at the plan's workday price), as collected when applying.
pub async fn apply_subsidy(core: &Core, actor: &Actor, plan_id: &str) -> AppResult<Subsidy> {
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    let plan = plan_for(&mut tx, actor, plan_id, Permission::DeliberationManage).await?;
    if plan.status == PlanStatus::Draft || plan.resolution_passed != Some(true) {
        return Err(AppError::InvalidTransition("subsidy_not_eligible"));
    }
    if store::subsidies(&mut tx, plan_id)
        .await?
        .iter()
        .any(|s| s.status.is_open())
    {
        return Err(AppError::Conflict {
            code: "subsidy_pending",
            field: None,
        });
    }
    let settings = LevySettings {
        workday_price_cents: plan.workday_price_cents,
        ..store::settings(&mut tx, &plan.county_code).await?
    };
    let t = Totals::of(&store::roll(&mut tx, plan_id).await?, 0);
    let (base, amount) = settings.subsidy_for(t.paid_cents, t.worked_days);
    if amount <= 0 {
        return Err(AppError::field("amount_cents", "amount_not_positive"));
    }
    let s = Subsidy {
        id: clock::new_id(),
        plan_id: plan_id.to_string(),
        county_code: plan.county_code.clone(),
        status: SubsidyStatus::Applied,
        base_cents: base,
        amount_cents: amount,
        ratio_numerator: settings.subsidy_numerator,
        ratio_denominator: settings.subsidy_denominator,
        applied_by: (!actor.user_id.is_empty()).then(|| actor.user_id.clone()),
        applied_at: now,
        township_by: None,
        township_at: None,
        county_by: None,
        county_at: None,
        paid_by: None,
        paid_at: None,
        reject_reason: None,
        rejected_at: None,
        updated_at: now,
    };
    store::insert_subsidy(&mut tx, &s).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("levy.subsidy_apply", "levy_subsidy", &s.id)
            .area(&plan.area_code)
            .after(serde_json::to_value(&s).unwrap_or_default())
            .detail(format!("plan {plan_id}")),
    )
    .await?;
    tx.commit().await?;
    Ok(s)
}

/// Take a step on an award-subsidy application: the township reviews (oversight on the
/// township), the county approves and pays (oversight on the county); either rejects at its
/// own step, with a reason.
pub async fn subsidy_step(
    core: &Core,
    actor: &Actor,
    subsidy_id: &str,
    step: &SubsidyStep,
) -> AppResult<Subsidy> {
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    let mut s = store::subsidy(&mut tx, subsidy_id)
        .await?
        .ok_or(AppError::NotFound("levy_subsidy"))?;
    let mut plan = store::plan(&mut tx, &s.plan_id)
        .await?
        .ok_or(AppError::NotFound("levy_subsidy"))?;
    if !may_read(actor, &plan.area_code) {
        return Err(AppError::NotFound("levy_subsidy"));
    }
    let (to, level) = rules::subsidy_transition(s.status, step).map_err(|code| match code {
        "reason_required" => AppError::field("reason", code),
        _ => AppError::InvalidTransition(code),
    })?;
    let level = match level {
        rules::Level::Township => AreaLevel::Township,
        rules::Level::County => AreaLevel::County,
    };
    actor.require_at_level(Permission::DeliberationOversee, &plan.area_code, level)?;
    let before = serde_json::to_value(&s).unwrap_or_default();
    let by = (!actor.user_id.is_empty()).then(|| actor.user_id.clone());
    match step {
        SubsidyStep::TownshipReview => {
            s.township_by = by;
            s.township_at = Some(now);
        }
        SubsidyStep::CountyApprove => {
            s.county_by = by;
            s.county_at = Some(now);
        }
        SubsidyStep::Pay => {
            s.paid_by = by;
            s.paid_at = Some(now);
        }
        SubsidyStep::Reject { reason } => {
            s.reject_reason = Some(reason.trim().to_string());
            s.rejected_at = Some(now);
        }
    }
    s.status = to;
    s.updated_at = now;
    store::update_subsidy(&mut tx, &s).await?;
    if to == SubsidyStatus::Paid {
        plan.subsidy_received_cents += s.amount_cents;
        plan.updated_at = now;
        store::update_plan(&mut tx, &plan).await?;
    }
    audit::record(
        &mut tx,
        actor,
        Entry::new(
            match step {
                SubsidyStep::TownshipReview => "levy.subsidy_township_review",
                SubsidyStep::CountyApprove => "levy.subsidy_county_approve",
                SubsidyStep::Pay => "levy.subsidy_pay",
                SubsidyStep::Reject { .. } => "levy.subsidy_reject",
            },
            "levy_subsidy",
            &s.id,
        )
        .area(&plan.area_code)
        .before(before)
        .after(serde_json::to_value(&s).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(s)
}

/// The disclosure of collection and use of a plan (R-YSYY-8): title and body in Chinese,
/// with heads' names and amounts, never ID numbers, phones or addresses.
pub async fn disclosure(core: &Core, actor: &Actor, plan_id: &str) -> AppResult<(String, String)> {
    let mut conn = core.db.read.acquire().await?;
    let plan = store::plan(&mut conn, plan_id)
        .await?
        .filter(|p| may_read(actor, &p.area_code))
        .ok_or(AppError::NotFound("levy_plan"))?;
    disclosure_of(&mut conn, &plan).await
}

/// Build the disclosure text of `plan` from its roll, on the caller's connection.
async fn disclosure_of(conn: &mut AnyConnection, p: &Plan) -> AppResult<(String, String)> {
    let village = areas::get_tx(conn, &p.area_code)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    let households = store::roll(conn, &p.id).await?;
    let lines: Vec<DisclosureLine<'_>> = households
        .iter()
        .map(|h| DisclosureLine {
            head_name: &h.head_name,
            persons_liable: h.persons_liable,
            labourers_liable: h.labourers_liable,
            account: &h.account,
        })
        .collect();
    Ok(disclosure::disclosure_text(
        &DisclosurePlan {
            village_name: &village,
            title: &p.title,
            project_kind: &p.project_kind,
            year: p.year,
            budget_cents: p.budget_cents,
            per_person_cents: p.per_person_cents,
            workdays_per_labourer: p.workdays_per_labourer,
            resolution_matter_id: p.resolution_matter_id.as_deref(),
        },
        &lines,
        p.subsidy_received_cents,
    ))
}

/// The disclosure period of an instant: its month in China Standard Time (`2026-11`).
fn period_of(now: i64) -> String {
    use chrono::Datelike;
    let d = chrono::DateTime::from_timestamp_millis(now + 8 * 3_600_000)
        .map(|t| t.date_naive())
        .unwrap_or_default();
    format!("{}-{:02}", d.year(), d.month())
}

/// Draft the disclosure of collection and use of an approved plan as a publication of the
/// village (item `levy`), for the supervisors' review. Returns the publication id. The
/// draft and its audit records are written in one transaction.
pub async fn publish(core: &Core, actor: &Actor, plan_id: &str, now: i64) -> AppResult<String> {
    let mut tx = core.db.write.begin().await?;
    let plan = plan_for(&mut tx, actor, plan_id, Permission::DeliberationManage).await?;
    if plan.status == PlanStatus::Draft {
        return Err(AppError::InvalidTransition("levy_not_approved"));
    }
    let (title, body) = disclosure_of(&mut tx, &plan).await?;
    let period = period_of(now);
    let publication = crate::disclosure::service::draft_generated(
        &mut tx,
        actor,
        &plan.area_code,
        "levy",
        &period,
        &title,
        &body,
        "levy_plan",
        &plan.id,
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("levy.publish", "levy_plan", &plan.id)
            .area(&plan.area_code)
            .after(json!({ "publication_id": publication.id, "period": period }))
            .detail(format!("publication {}", publication.id)),
    )
    .await?;
    tx.commit().await?;
    Ok(publication.id)
}
