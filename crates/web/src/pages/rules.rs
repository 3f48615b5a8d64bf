//! `/matters/rules`: the county's rules of decision as data — every quorum and pass rule that
//! applies (national defaults, provincial and county additions, each with its legal source),
//! the matter types with their flags, and the county's settings — and the forms with which
//! county staff add a stricter rule, change a type (never weakening a national duty) and
//! keep the settings.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use xiangzhi_core::areas::code::county_of;
use xiangzhi_core::authz::Permission;
use xiangzhi_core::deliberation::model::*;
use xiangzhi_core::deliberation::service as svc;
use xiangzhi_core::{clock, AppError};

use super::cases::error_text;
use super::deliberation::DoneQuery;
use super::render;
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

pub struct RuleRow {
    pub rule: VoteRule,
    pub applies: String,
    pub quorum: String,
    pub pass: String,
}

#[derive(Template)]
#[template(path = "deliberation/rules.html")]
struct RulesPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    rules: Vec<RuleRow>,
    types: Vec<MatterType>,
    settings: Settings,
    can_edit: bool,
    bodies: Vec<&'static str>,
    errors: Vec<String>,
}

fn county_of_actor(c: &Ctx) -> Result<String, WebError> {
    let a = c.actor()?;
    a.grants
        .iter()
        .find(|g| g.area_code.len() >= 6)
        .map(|g| county_of(&g.area_code))
        .ok_or_else(|| c.err(AppError::Forbidden))
}

async fn page(
    st: &AppState,
    c: &Ctx,
    flash: Option<String>,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    a.require_any(Permission::DeliberationRead)
        .map_err(|e| c.err(e))?;
    let county = county_of_actor(c)?;
    let mut conn = st
        .core
        .db
        .read
        .acquire()
        .await
        .map_err(|e| c.err(e.into()))?;
    let all = svc::rules_for(&mut conn, &county)
        .await
        .map_err(|e| c.err(e))?;
    drop(conn);
    let en = c.is_en();
    let phrase = |r: &Ratio| if en { r.phrase_en() } else { r.phrase_zh() };
    let rules = all
        .into_iter()
        .filter(|r| county.starts_with(r.area_prefix.as_str()))
        .map(|r| RuleRow {
            applies: match &r.applies_to {
                AppliesTo::Any => c.t("rules.applies_any").to_string(),
                AppliesTo::SpecialMajority => c.t("rules.applies_special").to_string(),
                AppliesTo::MatterType(code) => code.clone(),
            },
            quorum: r
                .quorum
                .iter()
                .map(phrase)
                .collect::<Vec<_>>()
                .join(c.t("rules.or")),
            pass: phrase(&r.pass),
            rule: r,
        })
        .collect();
    let types = svc::matter_types(&st.core, &county)
        .await
        .map_err(|e| c.err(e))?;
    let settings = svc::settings(&st.core, &county)
        .await
        .map_err(|e| c.err(e))?;
    let can_edit = a
        .scope(Permission::DeliberationOversee)
        .covers_area(&county);
    let bad = !errors.is_empty();
    let mut r = render(
        c,
        RulesPage {
            c,
            flash,
            rules,
            types,
            settings,
            can_edit,
            bodies: ALL_BODIES.iter().map(|b| b.as_str()).collect(),
            errors,
        },
    );
    if bad {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

pub async fn show(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let flash = q.done.map(|_| c.t("flash.saved").to_string());
    page(&st, &c, flash, Vec::new()).await
}

fn refused(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Validation(_) | AppError::InvalidTransition(_) | AppError::Conflict { .. }
    )
}

#[derive(Deserialize)]
pub struct RuleForm {
    pub csrf: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub applies: String,
    #[serde(default)]
    pub q_num: String,
    #[serde(default)]
    pub q_den: String,
    #[serde(default)]
    pub q_base: String,
    #[serde(default)]
    pub q_inclusive: Option<String>,
    #[serde(default)]
    pub p_num: String,
    #[serde(default)]
    pub p_den: String,
    #[serde(default)]
    pub p_base: String,
    #[serde(default)]
    pub p_inclusive: Option<String>,
    #[serde(default)]
    pub label_zh: String,
    #[serde(default)]
    pub source: String,
}

fn base(s: &str) -> Option<Base> {
    match s {
        "members" => Some(Base::Members),
        "attendees" => Some(Base::Attendees),
        "households" => Some(Base::Households),
        _ => None,
    }
}

/// POST `/matters/rules`: a county rule (stricter rules only matter: every applicable rule
/// must hold).
pub async fn add_rule(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<RuleForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let county = county_of_actor(&c)?;
    let n = |s: &str| s.trim().parse::<i64>().ok();
    let rule = (|| {
        let body =
            Body::parse(&f.body).ok_or_else(|| AppError::field("meeting_kind", "not_in_list"))?;
        let quorum = match (n(&f.q_num), n(&f.q_den), base(&f.q_base)) {
            (Some(x), Some(y), Some(b)) => vec![Ratio::new(x, y, b, f.q_inclusive.is_some())],
            _ if f.q_num.trim().is_empty() => Vec::new(),
            _ => return Err(AppError::field("rule", "invalid")),
        };
        let pass = match (n(&f.p_num), n(&f.p_den), base(&f.p_base)) {
            (Some(x), Some(y), Some(b)) => Ratio::new(x, y, b, f.p_inclusive.is_some()),
            _ => return Err(AppError::field("rule", "invalid")),
        };
        let label = f.label_zh.trim().to_string();
        if label.chars().count() < 2 {
            return Err(AppError::field("name_zh", "required"));
        }
        Ok(VoteRule {
            id: format!(
                "county.{}.{}",
                county.get(..6).unwrap_or(""),
                clock::new_id()
            ),
            scope: RuleScope::County,
            area_prefix: county.get(..6).unwrap_or("").to_string(),
            body,
            applies_to: match f.applies.as_str() {
                "" | "any" => AppliesTo::Any,
                "special" => AppliesTo::SpecialMajority,
                code => AppliesTo::MatterType(code.to_string()),
            },
            quorum,
            pass,
            label_en: label.clone(),
            label_zh: label,
            source: f.source.trim().to_string(),
        })
    })();
    let r = match rule {
        Ok(rule) => svc::add_rule(&st.core, a, &county, rule).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(()) => Ok(Redirect::to("/matters/rules?done=1").into_response()),
        Err(e) if refused(&e) => {
            let errs = vec![error_text(&c, &e)];
            page(&st, &c, None, errs).await
        }
        Err(e) => Err(c.err(e)),
    }
}

#[derive(Deserialize)]
pub struct TypeForm {
    pub csrf: String,
    pub code: String,
    #[serde(default)]
    pub name_zh: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub legal_basis: String,
    #[serde(default)]
    pub requires_assembly: Option<String>,
    #[serde(default)]
    pub special_majority: Option<String>,
    #[serde(default)]
    pub requires_four_deliberations: Option<String>,
    #[serde(default)]
    pub requires_public_bidding: Option<String>,
    #[serde(default)]
    pub assembly_only: Option<String>,
}

/// POST `/matters/types`: add or change a matter type of the county.
pub async fn save_type(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<TypeForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let county = county_of_actor(&c)?;
    let code = f.code.trim().to_ascii_lowercase();
    let r = if code.is_empty()
        || !code
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
    {
        Err(AppError::field("type_code", "invalid"))
    } else if f.name_zh.trim().chars().count() < 2 {
        Err(AppError::field("name_zh", "required"))
    } else {
        svc::save_matter_type(
            &st.core,
            a,
            &county,
            MatterType {
                code,
                name_zh: f.name_zh.trim().to_string(),
                name_en: f.name_en.trim().to_string(),
                requires_assembly: f.requires_assembly.is_some(),
                special_majority: f.special_majority.is_some(),
                requires_four_deliberations: f.requires_four_deliberations.is_some(),
                requires_public_bidding: f.requires_public_bidding.is_some(),
                assembly_only: f.assembly_only.is_some(),
                legal_basis: f.legal_basis.trim().to_string(),
            },
        )
        .await
    };
    match r {
        Ok(()) => Ok(Redirect::to("/matters/rules?done=1").into_response()),
        Err(e) if refused(&e) => {
            let errs = vec![error_text(&c, &e)];
            page(&st, &c, None, errs).await
        }
        Err(e) => Err(c.err(e)),
    }
}

#[derive(Deserialize)]
pub struct SettingsForm {
    pub csrf: String,
    #[serde(default)]
    pub allow_merge_first_steps: Option<String>,
    #[serde(default)]
    pub allow_emergency: Option<String>,
    #[serde(default)]
    pub ratify_days: String,
    #[serde(default)]
    pub resolution_publish_days: String,
    #[serde(default)]
    pub result_publish_days: String,
    #[serde(default)]
    pub extra_notice_days: String,
}

/// POST `/matters/settings`: the county's settings of the procedure.
pub async fn save_settings(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<SettingsForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let county = county_of_actor(&c)?;
    let n = |s: &str| s.trim().parse::<i64>().unwrap_or(-1);
    let s = Settings {
        allow_merge_first_steps: f.allow_merge_first_steps.is_some(),
        allow_emergency: f.allow_emergency.is_some(),
        ratify_days: n(&f.ratify_days),
        resolution_publish_days: n(&f.resolution_publish_days),
        result_publish_days: n(&f.result_publish_days),
        extra_notice_days: n(&f.extra_notice_days),
    };
    match svc::save_settings(&st.core, a, &county, s).await {
        Ok(()) => Ok(Redirect::to("/matters/rules?done=1").into_response()),
        Err(e) if refused(&e) => {
            let errs = vec![error_text(&c, &e)];
            page(&st, &c, None, errs).await
        }
        Err(e) => Err(c.err(e)),
    }
}
