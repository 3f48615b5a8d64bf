//! Levy plan pages (一事一议筹资筹劳): the plans of the user's areas with their collection
//! progress, a new plan (yuan typed by people, kept as integer cents), and the plan page with
//! its household roll, exemptions, approval under the villagers' resolution, collection,
//! closing, the award-subsidy steps and the disclosure draft. Every form works without
//! JavaScript and posts back to a redirect.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xiangzhi_core::areas::code::county_of;
use xiangzhi_core::areas::AreaLevel;
use xiangzhi_core::authz::{Actor, Permission};
use xiangzhi_core::levy::rules::{SubsidyStatus, SubsidyStep, EXEMPTION_KINDS, PROJECT_KINDS};
use xiangzhi_core::levy::service::{self as levy, ExemptionInput, PlanView};
use xiangzhi_core::levy::{Collection, Plan, PlanInput, PlanStatus, Resolution};
use xiangzhi_core::{clock, AppError};

use super::cases::error_text;
use super::{render, villages_with};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

/// Households shown per page of the roll.
const ROLL_PAGE: usize = 50;

// ---------------------------------------------------------------- money

/// Parse an amount of yuan as people type it ("15", "12.5", "12.50", "１５元") into integer
/// cents, exactly: at most two decimals, never through a float. `None` when it is not an
/// amount.
pub fn parse_yuan(input: &str) -> Option<i64> {
    let ascii: String = input
        .trim()
        .chars()
        .map(|ch| match ch {
            '０'..='９' => char::from(b'0' + (u32::from(ch) - u32::from('０')) as u8),
            '．' | '。' => '.',
            other => other,
        })
        .collect();
    let s = ascii.trim().trim_end_matches('元').trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if (int.is_empty() && frac.is_empty())
        || frac.len() > 2
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(cents)
}

/// Integer cents as yuan with two decimals ("1234.50").
pub fn yuan(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let a = cents.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// A whole number of days or persons typed in a form.
fn parse_count(input: &str) -> Option<i64> {
    let t = input.trim();
    (!t.is_empty() && t.len() <= 9 && t.bytes().all(|b| b.is_ascii_digit()))
        .then(|| t.parse().ok())
        .flatten()
}

/// Part of a whole as a percentage 0–100 (integers only).
fn percent(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    (part.clamp(0, whole) * 100) / whole
}

fn status_badge(s: PlanStatus) -> &'static str {
    match s {
        PlanStatus::Draft => "neutral",
        PlanStatus::Approved => "info",
        PlanStatus::Collecting => "warning",
        PlanStatus::Closed => "success",
    }
}

/// A translated confirmation for `?done=…` after a redirect (only known keys).
fn flash(c: &Ctx, done: &str) -> Option<String> {
    const KNOWN: &[&str] = &[
        "created",
        "exempted",
        "unexempted",
        "approved",
        "collected",
        "closed",
        "applied",
        "stepped",
        "published",
    ];
    KNOWN
        .contains(&done)
        .then(|| c.t(&format!("levy.done.{done}")).to_string())
}

// ---------------------------------------------------------------- list

/// A plan as the list shows it.
pub struct PlanRow {
    pub id: String,
    pub title: String,
    pub village: String,
    pub year: i32,
    pub status: &'static str,
    pub badge: &'static str,
    pub due: String,
    pub paid: String,
    pub percent: i64,
    pub workdays: i64,
}

#[derive(Template)]
#[template(path = "levy/list.html")]
struct ListPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    rows: Vec<PlanRow>,
    may_create: bool,
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    pub done: String,
    #[serde(default)]
    pub page: Option<usize>,
    #[serde(default)]
    pub household: String,
    #[serde(default)]
    pub publication: String,
}

/// `/levy`: the plans of the user's areas, newest first, with the money collected.
pub async fn list(State(st): State<AppState>, c: Ctx) -> Result<Response, WebError> {
    let a = c.actor()?;
    if !a.can(Permission::DeliberationRead) && !a.can(Permission::DeliberationOversee) {
        return Err(c.err(AppError::Forbidden));
    }
    let plans = levy::list(&st.core, a).await.map_err(|e| c.err(e))?;
    let collected = levy::collected(&st.core, a).await.map_err(|e| c.err(e))?;
    let mut names = villages_with(&st, &c, Permission::DeliberationRead).await?;
    names.extend(villages_with(&st, &c, Permission::DeliberationOversee).await?);
    let mut rows = Vec::with_capacity(plans.len());
    for p in plans {
        let (paid, cash) = collected.get(&p.id).copied().unwrap_or((0, 0));
        let due = p.amount_cents + cash;
        rows.push(PlanRow {
            village: names
                .iter()
                .find(|n| n.0 == p.area_code)
                .map(|n| n.1.clone())
                .unwrap_or_else(|| p.area_code.clone()),
            status: p.status.as_str(),
            badge: status_badge(p.status),
            due: yuan(due),
            paid: yuan(paid),
            percent: percent(paid, due),
            workdays: p.workdays,
            year: p.year,
            title: p.title,
            id: p.id,
        });
    }
    Ok(render(
        &c,
        ListPage {
            c: &c,
            flash: None,
            rows,
            may_create: c.can(Permission::DeliberationManage),
        },
    ))
}

// ---------------------------------------------------------------- new plan

/// The new-plan form as typed (yuan as text; cents only after parsing).
#[derive(Deserialize, Default, Clone)]
pub struct PlanForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub area_code: String,
    #[serde(default)]
    pub matter_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub project_kind: String,
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub budget: String,
    #[serde(default)]
    pub per_person: String,
    #[serde(default)]
    pub workdays: String,
}

#[derive(Template)]
#[template(path = "levy/new.html")]
struct NewPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    villages: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    f: PlanForm,
    /// (form field, message)
    errors: Vec<(&'static str, String)>,
    general: Vec<String>,
    cap_yuan: String,
    cap_workdays: i64,
}

impl NewPage<'_> {
    fn err(&self, name: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.0 == name)
            .map(|e| e.1.as_str())
    }
}

/// The form field that shows an error the core names by its own field.
fn form_field(core_field: &str) -> Option<&'static str> {
    Some(match core_field {
        "area_code" => "area_code",
        "matter_id" => "matter_id",
        "title" => "title",
        "project_kind" => "project_kind",
        "year" => "year",
        "budget_cents" => "budget",
        "per_person_cents" => "per_person",
        "workdays_per_labourer" => "workdays",
        _ => return None,
    })
}

async fn new_page<'a>(st: &AppState, c: &'a Ctx, f: PlanForm) -> Result<NewPage<'a>, WebError> {
    let villages = villages_with(st, c, Permission::DeliberationManage).await?;
    let county = villages
        .first()
        .map(|v| county_of(&v.0))
        .unwrap_or_default();
    let settings = levy::settings(&st.core, &county)
        .await
        .map_err(|e| c.err(e))?;
    let kinds = PROJECT_KINDS
        .iter()
        .map(|k| (*k, c.tk("levy.kind", k)))
        .collect();
    let mut f = f;
    if f.year.is_empty() {
        f.year = clock::year_of(clock::now_ms()).to_string();
    }
    Ok(NewPage {
        c,
        flash: None,
        villages,
        kinds,
        f,
        errors: Vec::new(),
        general: Vec::new(),
        cap_yuan: yuan(settings.cap_cents_per_person),
        cap_workdays: settings.cap_workdays_per_labourer,
    })
}

/// `/levy/new`: the form of a new plan.
pub async fn new_form(State(st): State<AppState>, c: Ctx) -> Result<Response, WebError> {
    let a = c.actor()?;
    a.require_any(Permission::DeliberationManage)
        .map_err(|e| c.err(e))?;
    let page = new_page(&st, &c, PlanForm::default()).await?;
    Ok(render(&c, page))
}

/// POST `/levy`: create a draft plan with its household roll. Amounts are parsed from yuan
/// to cents here; the caps are checked by the core before anything is written.
pub async fn create(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<PlanForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let mut errors: Vec<(&'static str, String)> = Vec::new();
    let mut money = |field: &'static str, text: &str| match parse_yuan(text) {
        Some(v) => v,
        None => {
            errors.push((field, c.msg("yuan_format").to_string()));
            0
        }
    };
    let budget_cents = money("budget", &f.budget);
    let per_person_cents = money("per_person", &f.per_person);
    let workdays = parse_count(&f.workdays).unwrap_or_else(|| {
        errors.push(("workdays", c.msg("count_format").to_string()));
        0
    });
    let year = f.year.trim().parse::<i32>().unwrap_or_else(|_| {
        errors.push(("year", c.msg("invalid").to_string()));
        0
    });
    let result = if errors.is_empty() {
        let input = PlanInput {
            area_code: f.area_code.trim().to_string(),
            matter_id: Some(f.matter_id.trim().to_string()).filter(|m| !m.is_empty()),
            title: f.title.clone(),
            project_kind: f.project_kind.clone(),
            year,
            budget_cents,
            per_person_cents,
            workdays_per_labourer: workdays,
            reference_date: None,
        };
        levy::create_plan(&st.core, a, &input).await
    } else {
        Err(AppError::Validation(Vec::new()))
    };
    match result {
        Ok(plan) => Ok(Redirect::to(&format!("/levy/{}?done=created", plan.id)).into_response()),
        Err(AppError::Validation(fields)) => {
            let mut page = new_page(&st, &c, f).await?;
            let cap_yuan = page.cap_yuan.clone();
            let cap_workdays = page.cap_workdays;
            for fe in &fields {
                let mut msg = c.msg(&fe.code).to_string();
                if fe.code == "levy_above_cap" {
                    let cap = if fe.field == "per_person_cents" {
                        format!("{cap_yuan} {}", c.t("levy.yuan_per_person"))
                    } else {
                        format!("{cap_workdays} {}", c.t("levy.days_per_labourer"))
                    };
                    msg = format!("{msg} {}{cap}", c.t("levy.cap_is"));
                }
                match form_field(&fe.field) {
                    Some(name) if page.err(name).is_none() => errors.push((name, msg)),
                    Some(_) => {}
                    None => page.general.push(format!("{}：{msg}", c.field(&fe.field))),
                }
            }
            page.errors = errors;
            let mut r = render(&c, page);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e @ AppError::NotFound("area")) => {
            let mut page = new_page(&st, &c, f).await?;
            page.errors = vec![("area_code", c.msg(e.code()).to_string())];
            let mut r = render(&c, page);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(c.err(e)),
    }
}

// ---------------------------------------------------------------- the plan page

/// One household of the roll, with money and labour as text.
pub struct RollRow {
    pub household_id: String,
    pub number: String,
    pub head_name: String,
    pub persons: i64,
    pub labourers: i64,
    pub amount: String,
    pub workdays: i64,
    pub paid: String,
    pub worked: i64,
    pub cash_days: i64,
    /// Nothing more is due in money or labour.
    pub settled: bool,
}

pub struct ExemptionRow {
    pub id: String,
    pub household: String,
    pub person: &'static str,
    pub kind: &'static str,
    pub note: String,
}

pub struct PaymentRow {
    pub when: String,
    pub household: String,
    pub kind: String,
    pub amount: String,
}

pub struct SubsidyRow {
    pub id: String,
    pub status: &'static str,
    pub badge: &'static str,
    pub base: String,
    pub amount: String,
    pub applied: String,
    pub reason: String,
    /// The steps this user may take now: (step, label key).
    pub steps: Vec<(&'static str, &'static str)>,
    pub may_reject: bool,
}

#[derive(Template)]
#[template(path = "levy/plan.html")]
struct PlanPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    error: Option<String>,
    plan: Plan,
    village: String,
    status: &'static str,
    badge: &'static str,
    kind: &'static str,
    budget: String,
    per_person: String,
    workday_price: String,
    due: String,
    paid: String,
    money_percent: i64,
    worked: i64,
    labour_percent: i64,
    subsidy_received: String,
    households: i64,
    rows: Vec<RollRow>,
    page: usize,
    pages: usize,
    /// (household id, "0001 张三") for the forms.
    choices: Vec<(String, String)>,
    selected: String,
    /// Members of the selected household, for person-level exemptions: (person id, name).
    members: Vec<(String, String)>,
    exemption_kinds: Vec<(&'static str, &'static str)>,
    exemptions: Vec<ExemptionRow>,
    payments: Vec<PaymentRow>,
    subsidies: Vec<SubsidyRow>,
    manage: bool,
    publication: String,
}

fn subsidy_badge(s: SubsidyStatus) -> &'static str {
    match s {
        SubsidyStatus::Applied | SubsidyStatus::TownshipReviewed => "warning",
        SubsidyStatus::CountyApproved => "info",
        SubsidyStatus::Paid => "success",
        SubsidyStatus::Rejected => "neutral",
    }
}

fn subsidy_steps(
    a: &Actor,
    area: &str,
    s: SubsidyStatus,
) -> (Vec<(&'static str, &'static str)>, bool) {
    let at = |level| {
        a.require_at_level(Permission::DeliberationOversee, area, level)
            .is_ok()
    };
    match s {
        SubsidyStatus::Applied if at(AreaLevel::Township) => {
            (vec![("township_review", "levy.step.township_review")], true)
        }
        SubsidyStatus::TownshipReviewed if at(AreaLevel::County) => {
            (vec![("county_approve", "levy.step.county_approve")], true)
        }
        SubsidyStatus::CountyApproved if at(AreaLevel::County) => {
            (vec![("pay", "levy.step.pay")], false)
        }
        _ => (Vec::new(), false),
    }
}

async fn plan_page(
    st: &AppState,
    c: &Ctx,
    id: &str,
    q: &DoneQuery,
    error: Option<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let v: PlanView = levy::get(&st.core, a, id).await.map_err(|e| c.err(e))?;
    let PlanView {
        plan,
        households,
        exemptions,
        payments,
        subsidies,
        totals,
    } = v;
    let village = xiangzhi_core::cases::catalogue::area(&st.core, &plan.area_code)
        .await
        .map(|x| x.name)
        .unwrap_or_else(|_| plan.area_code.clone());
    let name_of = |hid: &str| {
        households
            .iter()
            .find(|h| h.household_id == hid)
            .map(|h| format!("{} {}", h.number, h.head_name))
            .unwrap_or_default()
    };
    let pages = households.len().div_ceil(ROLL_PAGE).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let rows = households
        .iter()
        .skip((page - 1) * ROLL_PAGE)
        .take(ROLL_PAGE)
        .map(|h| RollRow {
            household_id: h.household_id.clone(),
            number: h.number.clone(),
            head_name: h.head_name.clone(),
            persons: h.persons_liable,
            labourers: h.labourers_liable,
            amount: yuan(h.account.amount_cents + h.account.cash_for_labour_cents),
            workdays: h.account.workdays,
            paid: yuan(h.account.paid_cents),
            worked: h.account.worked_days,
            cash_days: h.account.cash_for_labour_days,
            settled: h.account.money_due() <= 0 && h.account.labour_due() <= 0,
        })
        .collect();
    let selected = households
        .iter()
        .find(|h| h.household_id == q.household)
        .map(|h| h.household_id.clone())
        .unwrap_or_default();
    let mut members = Vec::new();
    if !selected.is_empty() {
        if let Ok((_, people)) =
            xiangzhi_core::people::service::household(&st.core, a, &selected).await
        {
            members = people.into_iter().map(|p| (p.id, p.name)).collect();
        }
    }
    let manage = a
        .scope(Permission::DeliberationManage)
        .contains(&plan.area_code, None);
    let due_cents = totals.amount_cents + totals.cash_for_labour_cents;
    let labour_due = totals.workdays - totals.cash_for_labour_days;
    let page_view = PlanPage {
        c,
        flash: flash(c, &q.done),
        error,
        village,
        status: plan.status.as_str(),
        badge: status_badge(plan.status),
        kind: c.tk("levy.kind", &plan.project_kind),
        budget: yuan(plan.budget_cents),
        per_person: yuan(plan.per_person_cents),
        workday_price: yuan(plan.workday_price_cents),
        due: yuan(due_cents),
        paid: yuan(totals.paid_cents),
        money_percent: percent(totals.paid_cents, due_cents),
        worked: totals.worked_days,
        labour_percent: percent(totals.worked_days, labour_due),
        subsidy_received: yuan(totals.subsidy_received_cents),
        households: totals.households,
        rows,
        page,
        pages,
        choices: households
            .iter()
            .map(|h| {
                (
                    h.household_id.clone(),
                    format!("{} {}", h.number, h.head_name),
                )
            })
            .collect(),
        selected,
        members,
        exemption_kinds: EXEMPTION_KINDS
            .iter()
            .map(|k| (k.as_str(), c.tk("levy.exempt", k.as_str())))
            .collect(),
        exemptions: exemptions
            .iter()
            .map(|e| ExemptionRow {
                id: e.id.clone(),
                household: name_of(&e.household_id),
                person: if e.person_id.is_some() {
                    c.t("levy.one_person")
                } else {
                    c.t("levy.whole_household")
                },
                kind: c.tk("levy.exempt", e.kind.as_str()),
                note: e.note.clone(),
            })
            .collect(),
        payments: payments
            .iter()
            .rev()
            .take(30)
            .map(|p| PaymentRow {
                when: clock::format_ms(p.recorded_at),
                household: name_of(&p.household_id),
                kind: c.tk("levy.collect", &p.kind).to_string(),
                amount: match p.kind.as_str() {
                    "payment" => format!("{} {}", yuan(p.cents), c.t("levy.yuan")),
                    "workdays" => format!("{} {}", p.days, c.t("levy.days")),
                    _ => format!(
                        "{} {} = {} {}",
                        p.days,
                        c.t("levy.days"),
                        yuan(p.cents),
                        c.t("levy.yuan")
                    ),
                },
            })
            .collect(),
        subsidies: subsidies
            .iter()
            .map(|s| {
                let (steps, may_reject) = subsidy_steps(a, &plan.area_code, s.status);
                SubsidyRow {
                    id: s.id.clone(),
                    status: s.status.as_str(),
                    badge: subsidy_badge(s.status),
                    base: yuan(s.base_cents),
                    amount: yuan(s.amount_cents),
                    applied: clock::format_ms(s.applied_at),
                    reason: s.reject_reason.clone().unwrap_or_default(),
                    steps,
                    may_reject,
                }
            })
            .collect(),
        manage,
        publication: q.publication.clone(),
        plan,
    };
    Ok(render(c, page_view))
}

/// `/levy/{id}`: the plan, its roll and every action the user may take on it.
pub async fn show(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    plan_page(&st, &c, &id, &q, None).await
}

/// A refused step: the plan page again with the reason, and the right status.
async fn refused(
    st: &AppState,
    c: &Ctx,
    id: &str,
    household: &str,
    e: AppError,
) -> Result<Response, WebError> {
    match e {
        AppError::Validation(_) | AppError::InvalidTransition(_) | AppError::Conflict { .. } => {
            let q = DoneQuery {
                household: household.to_string(),
                ..DoneQuery::default()
            };
            let mut r = plan_page(st, c, id, &q, Some(error_text(c, &e))).await?;
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
        e => Err(c.err(e)),
    }
}

fn back(id: &str, done: &str) -> Response {
    Redirect::to(&format!("/levy/{id}?done={done}")).into_response()
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
    #[serde(default)]
    pub matter_id: String,
}

#[derive(Deserialize)]
pub struct ExemptionForm {
    pub csrf: String,
    #[serde(default)]
    pub household_id: String,
    #[serde(default)]
    pub person_id: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub note: String,
}

/// POST `/levy/{id}/exemptions`: excuse a household or one person (draft plans only).
pub async fn add_exemption(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ExemptionForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let input = ExemptionInput {
        household_id: f.household_id.clone(),
        person_id: Some(f.person_id.clone()).filter(|p| !p.trim().is_empty()),
        kind: f.kind.clone(),
        note: f.note.clone(),
    };
    match levy::add_exemption(&st.core, a, &id, &input).await {
        Ok(_) => Ok(back(&id, "exempted")),
        Err(e) => refused(&st, &c, &id, &f.household_id, e).await,
    }
}

/// POST `/levy/{id}/exemptions/{eid}/remove`.
pub async fn remove_exemption(
    State(st): State<AppState>,
    c: Ctx,
    Path((id, eid)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    match levy::remove_exemption(&st.core, a, &id, &eid).await {
        Ok(_) => Ok(back(&id, "unexempted")),
        Err(e) => refused(&st, &c, &id, "", e).await,
    }
}

/// POST `/levy/{id}/approve`: approve under the villagers' resolution of the plan's
/// deliberation matter. Without a matter the villagers have decided, it is refused.
pub async fn approve(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let now = clock::now_ms();
    let view = levy::get(&st.core, a, &id).await.map_err(|e| c.err(e))?;
    let matter_id = view
        .plan
        .matter_id
        .clone()
        .or_else(|| Some(f.matter_id.trim().to_string()).filter(|m| !m.is_empty()));
    let not_resolved = AppError::InvalidTransition("levy_not_resolved");
    let resolution = match matter_id {
        None => Err(not_resolved),
        Some(m) => {
            match xiangzhi_core::deliberation::service::get_matter(&st.core, a, &m, now).await {
                Ok(mv) if mv.matter.stage.is_decided() => match mv.matter.resolved_at {
                    Some(at) => Ok(Resolution {
                        matter_id: mv.matter.id.clone(),
                        passed: true,
                        decided_at: at,
                    }),
                    None => Err(not_resolved),
                },
                Ok(_) | Err(AppError::NotFound(_)) => Err(not_resolved),
                Err(e) => Err(e),
            }
        }
    };
    let result = match resolution {
        Ok(r) => levy::approve(&st.core, a, &id, &r).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(back(&id, "approved")),
        Err(e) => refused(&st, &c, &id, "", e).await,
    }
}

#[derive(Deserialize)]
pub struct CollectForm {
    pub csrf: String,
    #[serde(default)]
    pub household_id: String,
    /// `payment`, `workdays` or `cash_for_labour`.
    #[serde(default)]
    pub kind: String,
    /// Yuan for a payment, whole days otherwise.
    #[serde(default)]
    pub amount: String,
}

/// POST `/levy/{id}/collect`: money paid, workdays worked, or a household's own request to
/// pay for its labour (以资代劳, voluntary only).
pub async fn collect(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CollectForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let parsed = match f.kind.as_str() {
        "payment" => parse_yuan(&f.amount)
            .map(|cents| Collection::Payment { cents })
            .ok_or_else(|| AppError::field("cents", "yuan_format")),
        "workdays" => parse_count(&f.amount)
            .map(|days| Collection::Workdays { days })
            .ok_or_else(|| AppError::field("days", "count_format")),
        "cash_for_labour" => parse_count(&f.amount)
            .map(|days| Collection::CashForLabour { days })
            .ok_or_else(|| AppError::field("days", "count_format")),
        _ => Err(AppError::field("kind", "not_in_list")),
    };
    let result = match parsed {
        Ok(col) => levy::collect(&st.core, a, &id, &f.household_id, col).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!(
            "/levy/{id}?done=collected&household={}#collect",
            f.household_id
        ))
        .into_response()),
        Err(e) => refused(&st, &c, &id, &f.household_id, e).await,
    }
}

/// POST `/levy/{id}/close`: no more collection.
pub async fn close(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    match levy::close(&st.core, a, &id).await {
        Ok(_) => Ok(back(&id, "closed")),
        Err(e) => refused(&st, &c, &id, "", e).await,
    }
}

/// POST `/levy/{id}/subsidy`: apply for the award subsidy (财政奖补).
pub async fn apply_subsidy(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    match levy::apply_subsidy(&st.core, a, &id).await {
        Ok(_) => Ok(back(&id, "applied")),
        Err(e) => refused(&st, &c, &id, "", e).await,
    }
}

#[derive(Deserialize)]
pub struct StepForm {
    pub csrf: String,
    #[serde(default)]
    pub step: String,
    #[serde(default)]
    pub reason: String,
}

/// POST `/levy/{id}/subsidy/{sid}`: the township's review, the county's approval and
/// payment, or a rejection with its reason.
pub async fn subsidy_step(
    State(st): State<AppState>,
    c: Ctx,
    Path((id, sid)): Path<(String, String)>,
    Form(f): Form<StepForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let step = match f.step.as_str() {
        "township_review" => Ok(SubsidyStep::TownshipReview),
        "county_approve" => Ok(SubsidyStep::CountyApprove),
        "pay" => Ok(SubsidyStep::Pay),
        "reject" => Ok(SubsidyStep::Reject {
            reason: f.reason.clone(),
        }),
        _ => Err(AppError::field("step", "not_in_list")),
    };
    let result = match step {
        Ok(s) => levy::subsidy_step(&st.core, a, &sid, &s).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(back(&id, "stepped")),
        Err(e) => refused(&st, &c, &id, "", e).await,
    }
}

/// POST `/levy/{id}/publish`: draft the disclosure of collection and use for the
/// supervisors' review.
pub async fn publish(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    match levy::publish(&st.core, a, &id, clock::now_ms()).await {
        Ok(pid) => Ok(
            Redirect::to(&format!("/levy/{id}?done=published&publication={pid}")).into_response(),
        ),
        Err(e) => refused(&st, &c, &id, "", e).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_is_parsed_to_exact_cents() {
        for (text, want) in [
            ("15", Some(1500)),
            ("15.5", Some(1550)),
            ("15.05", Some(1505)),
            ("0.01", Some(1)),
            (".5", Some(50)),
            ("15.", Some(1500)),
            (" 12.30 元", Some(1230)),
            ("１５．５", Some(1550)),
            ("15.001", None),
            ("-1", None),
            ("1e3", None),
            ("", None),
            (".", None),
            ("十五", None),
            ("99999999999999999999", None),
        ] {
            assert_eq!(parse_yuan(text), want, "{text:?}");
        }
    }

    #[test]
    fn cents_are_shown_as_yuan() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(1505), "15.05");
        assert_eq!(yuan(8_000_000), "80000.00");
        assert_eq!(yuan(-250), "-2.50");
    }

    #[test]
    fn progress_is_a_bounded_percentage() {
        assert_eq!(percent(0, 0), 0);
        assert_eq!(percent(50, 200), 25);
        assert_eq!(percent(300, 200), 100);
        assert_eq!(percent(-5, 200), 0);
    }
}
