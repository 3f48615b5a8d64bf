//! The county catalogue of case types (事项清单), the SLA calendar and the engine settings,
//! held in memory and reloaded after every change, plus a small directory of area names
//! for routing.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::NaiveDate;

use super::model::*;
use super::rules::Calendar;
use super::store;
use crate::areas::code::AreaLevel;
use crate::audit::{self, Entry};
use crate::authz::{Actor, Permission};
use crate::error::{AppError, AppResult, FieldError};
use crate::{clock, Core};

/// What the engine reads on every intake, kept in memory.
#[derive(Debug, Default)]
pub struct Loaded {
    pub types: HashMap<String, Arc<CaseType>>,
    pub settings: HashMap<String, Settings>,
    pub calendars: HashMap<String, Arc<Calendar>>,
}

/// Name and level of an area, for routing.
#[derive(Debug, Clone)]
pub struct AreaInfo {
    pub code: String,
    pub county_code: String,
    pub level: AreaLevel,
    pub name: String,
    pub retired: bool,
}

/// The in-memory catalogue and area directory.
#[derive(Debug, Default)]
pub struct CaseCache {
    loaded: RwLock<Option<Arc<Loaded>>>,
    areas: RwLock<HashMap<String, AreaInfo>>,
}

impl CaseCache {
    /// Drop the catalogue; the next reader loads it again.
    pub fn invalidate(&self) {
        if let Ok(mut g) = self.loaded.write() {
            *g = None;
        }
    }

    /// Forget area names (after an area is created, renamed or retired).
    pub fn invalidate_areas(&self) {
        if let Ok(mut g) = self.areas.write() {
            g.clear();
        }
    }
}

/// The loaded catalogue (from memory, or from the database after a change).
pub async fn loaded(core: &Core) -> AppResult<Arc<Loaded>> {
    if let Some(l) = core.cases.loaded.read().ok().and_then(|g| g.clone()) {
        return Ok(l);
    }
    let mut l = Loaded::default();
    for t in store::list_types(&core.db).await? {
        l.types.insert(t.code.clone(), Arc::new(t));
    }
    let counties: Vec<String> = {
        let mut v: Vec<String> = l.types.values().map(|t| t.county_code.clone()).collect();
        v.sort();
        v.dedup();
        v
    };
    for c in counties {
        l.settings
            .insert(c.clone(), store::settings(&core.db, &c).await?);
        let mut cal = Calendar::default();
        for (day, worked, _) in store::holidays(&core.db, &c).await? {
            if let Ok(d) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") {
                if worked {
                    cal.workdays.insert(d);
                } else {
                    cal.holidays.insert(d);
                }
            }
        }
        l.calendars.insert(c, Arc::new(cal));
    }
    let l = Arc::new(l);
    if let Ok(mut g) = core.cases.loaded.write() {
        *g = Some(l.clone());
    }
    Ok(l)
}

impl Loaded {
    pub fn case_type(&self, code: &str) -> AppResult<Arc<CaseType>> {
        self.types
            .get(code)
            .filter(|t| t.active)
            .cloned()
            .ok_or(AppError::NotFound("case_type"))
    }

    pub fn settings(&self, county: &str) -> Settings {
        self.settings.get(county).copied().unwrap_or_default()
    }

    pub fn calendar(&self, county: &str) -> Arc<Calendar> {
        self.calendars.get(county).cloned().unwrap_or_default()
    }

    /// Active types of a county, in code order.
    pub fn county_types(&self, county: &str) -> Vec<Arc<CaseType>> {
        let mut v: Vec<Arc<CaseType>> = self
            .types
            .values()
            .filter(|t| t.active && t.county_code == county)
            .cloned()
            .collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    }
}

/// Name and level of an area (cached).
pub async fn area(core: &Core, code: &str) -> AppResult<AreaInfo> {
    if let Some(a) = core
        .cases
        .areas
        .read()
        .ok()
        .and_then(|g| g.get(code).cloned())
    {
        return Ok(a);
    }
    let a = crate::areas::store::get(&core.db, code)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    let info = AreaInfo {
        code: a.code.clone(),
        county_code: a.county_code.clone(),
        level: a.level,
        name: a.name.clone(),
        retired: a.valid_to.is_some(),
    };
    if let Ok(mut g) = core.cases.areas.write() {
        if g.len() > 100_000 {
            g.clear();
        }
        g.insert(code.to_string(), info.clone());
    }
    Ok(info)
}

/// The organisation responsible at `level` for a case in `area`: "<area name> <org name>".
pub async fn org_name(
    core: &Core,
    t: &CaseType,
    area_code: &str,
    level: Level,
) -> AppResult<String> {
    let holder = level.area_of(area_code);
    let name = match area(core, &holder).await {
        Ok(a) => a.name,
        Err(_) => String::new(),
    };
    Ok(format!("{name}{}", t.orgs.name_zh(level))
        .trim()
        .to_string())
}

/// Check a case type given by the county before it is stored.
pub fn validate_type(t: &CaseType) -> Result<(), Vec<FieldError>> {
    let mut errs = Vec::new();
    let code_ok = !t.code.is_empty()
        && t.code.len() <= 40
        && t.code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !code_ok {
        errs.push(FieldError::new("code", "invalid"));
    }
    for (f, v) in [("name_zh", &t.name_zh), ("name_en", &t.name_en)] {
        if v.trim().is_empty() {
            errs.push(FieldError::new(f, "required"));
        } else if v.chars().count() > 60 {
            errs.push(FieldError::new(f, "too_long"));
        }
    }
    if t.raisers.is_empty() {
        errs.push(FieldError::new("raisers", "required"));
    }
    let mut codes = std::collections::HashSet::new();
    for f in &t.fields {
        if f.code.is_empty() || !codes.insert(f.code.clone()) {
            errs.push(FieldError::new("fields", "invalid"));
        }
        let list = matches!(
            f.datatype,
            FieldType::Singlevaluelist | FieldType::Multivaluelist
        );
        if list && f.values.is_empty() {
            errs.push(FieldError::new(format!("fields[{}]", f.code), "required"));
        }
    }
    for sla in [t.sla.urgent, t.sla.high, t.sla.normal, t.sla.low] {
        let ok = match sla {
            Sla::Hours(h) => (1..=24 * 90).contains(&h),
            Sla::WorkingDays(d) => (1..=90).contains(&d),
        };
        if !ok {
            errs.push(FieldError::new("sla", "invalid"));
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

/// Create or change a case type (county staff).
pub async fn save_type(core: &Core, actor: &Actor, t: CaseType) -> AppResult<()> {
    actor.require(Permission::CaseCatalogue, &t.county_code, None)?;
    validate_type(&t).map_err(AppError::Validation)?;
    let before = loaded(core).await?.types.get(&t.code).cloned();
    let mut tx = core.db.write.begin().await?;
    store::upsert_type(&mut tx, &t, clock::now_ms()).await?;
    let mut e = Entry::new("case_type.save", "case_type", &t.code)
        .area(&t.county_code)
        .after(serde_json::to_value(&t).map_err(anyhow::Error::from)?);
    if let Some(b) = before {
        e = e.before(serde_json::to_value(&*b).map_err(anyhow::Error::from)?);
    }
    audit::record(&mut tx, actor, e).await?;
    tx.commit().await?;
    core.cases.invalidate();
    Ok(())
}

/// Change the county settings of the engine.
pub async fn save_settings(core: &Core, actor: &Actor, county: &str, s: Settings) -> AppResult<()> {
    actor.require(Permission::CaseCatalogue, county, None)?;
    if !(0..=5).contains(&s.max_reopens) {
        return Err(AppError::field("max_reopens", "invalid"));
    }
    let mut tx = core.db.write.begin().await?;
    store::put_settings(&mut tx, county, &s, clock::now_ms()).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("case_settings.save", "case_settings", county)
            .area(county)
            .after(serde_json::to_value(s).map_err(anyhow::Error::from)?),
    )
    .await?;
    tx.commit().await?;
    core.cases.invalidate();
    Ok(())
}

/// Mark a day off, or a worked weekend day, on the county calendar.
pub async fn save_holiday(
    core: &Core,
    actor: &Actor,
    county: &str,
    day: &str,
    workday: bool,
    name: &str,
) -> AppResult<()> {
    actor.require(Permission::CaseCatalogue, county, None)?;
    if NaiveDate::parse_from_str(day, "%Y-%m-%d").is_err() {
        return Err(AppError::field("day", "invalid"));
    }
    let name = super::rules::clean_text(name);
    if name.chars().count() > 40 {
        return Err(AppError::field("name", "too_long"));
    }
    let mut tx = core.db.write.begin().await?;
    store::put_holiday(&mut tx, county, day, workday, &name).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("holiday.save", "holiday", day)
            .area(county)
            .detail(format!("{name} workday={workday}")),
    )
    .await?;
    tx.commit().await?;
    core.cases.invalidate();
    Ok(())
}
