//! Area services: authorise, validate, transact, audit.

use super::code::{self, AreaLevel};
use super::store::{self, Area};
use crate::audit::{self, Entry};
use crate::authz::{Actor, Permission};
use crate::clock;
use crate::db::Db;
use crate::error::{AppError, AppResult, FieldError};
use crate::tabular::{ImportMode, ImportReport, RowError, Sheet};

/// Input for a new area.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct NewArea {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub valid_from: Option<String>,
}

fn validate_new(a: &NewArea, parent: Option<&Area>) -> Result<(Area, AreaLevel), Vec<FieldError>> {
    let mut errs = Vec::new();
    let name = a.name.trim();
    if name.is_empty() {
        errs.push(FieldError::new("name", "required"));
    } else if name.chars().count() > 60 {
        errs.push(FieldError::new("name", "too_long"));
    }
    let Some(level) = AreaLevel::parse(a.level.trim()) else {
        errs.push(FieldError::new("level", "area_code_level"));
        return Err(errs);
    };
    let code_s = a.code.trim().to_string();
    if let Err(e) = code::validate_code(&code_s, level) {
        errs.push(FieldError::new("code", e.code()));
    }
    match (level, parent) {
        (AreaLevel::County, _) => {}
        (_, None) => errs.push(FieldError::new("parent_code", "area_parent_missing")),
        (_, Some(p)) => {
            if let Err(e) = code::validate_child(&p.code, p.level, &code_s, level) {
                errs.push(FieldError::new("code", e.code()));
            }
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let county_code = format!("{}000000", &code_s[..6.min(code_s.len())]);
    let kind = match level {
        AreaLevel::Township => code::township_kind(&code_s).map(str::to_string),
        AreaLevel::Village => code::village_kind(&code_s).map(str::to_string),
        _ => None,
    };
    Ok((
        Area {
            code: code_s,
            county_code,
            parent_code: parent.map(|p| p.code.clone()),
            level,
            name: name.to_string(),
            kind,
            valid_from: a
                .valid_from
                .clone()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| clock::today().to_string()),
            valid_to: None,
        },
        level,
    ))
}

/// Create one area under a parent inside the actor's scope (R-DIV-2).
pub async fn create(db: &Db, actor: &Actor, input: NewArea) -> AppResult<Area> {
    let scope = actor.require_any(Permission::AreaWrite)?;
    let mut tx = db.write.begin().await?;
    let parent = match input
        .parent_code
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        Some(p) => Some(
            store::get_tx(&mut tx, p.trim())
                .await?
                .ok_or_else(|| AppError::field("parent_code", "area_parent_missing"))?,
        ),
        None => None,
    };
    let (area, _) = validate_new(&input, parent.as_ref()).map_err(AppError::Validation)?;
    if !scope.covers_area(&area.code) {
        return Err(AppError::field("code", "area_outside_scope"));
    }
    store::insert(&mut tx, &area, clock::now_ms()).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("area.create", "area", &area.code)
            .area(&area.code)
            .after(serde_json::to_value(&area).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(area)
}

/// Areas the actor may read, as a flat list ordered by code (the tree is drawn from it).
pub async fn visible_tree(db: &Db, actor: &Actor) -> AppResult<Vec<Area>> {
    let scope = actor.require_any(Permission::AreaRead)?;
    let mut out = Vec::new();
    for p in &scope.prefixes {
        out.extend(store::subtree(db, p, false).await?);
    }
    for g in &scope.grids {
        out.extend(store::subtree(db, g, false).await?);
    }
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out.dedup_by(|a, b| a.code == b.code);
    Ok(out)
}

/// Import a division table (columns: code/代码, name/名称, level/级别, parent/上级代码,
/// valid_from/启用日期). Parents may come earlier in the same file.
pub async fn import(
    db: &Db,
    actor: &Actor,
    sheet: &Sheet,
    mode: ImportMode,
) -> AppResult<ImportReport> {
    let scope = actor.require_any(Permission::AreaWrite)?;
    let c_code = sheet.column(&["code", "代码", "区划代码", "统计用区划代码"]);
    let c_name = sheet.column(&["name", "名称"]);
    let c_level = sheet.column(&["level", "级别", "层级"]);
    let c_parent = sheet.column(&["parent", "parent_code", "上级代码"]);
    let c_from = sheet.column(&["valid_from", "启用日期"]);
    let (Some(c_code), Some(c_name), Some(c_level)) = (c_code, c_name, c_level) else {
        return Err(AppError::field("file", "upload_header"));
    };
    let mut report = ImportReport {
        total_rows: sheet.rows.len(),
        ..Default::default()
    };
    let mut tx = db.write.begin().await?;
    let mut seen: std::collections::HashMap<String, Area> = std::collections::HashMap::new();
    let mut good = Vec::new();
    for (i, row) in sheet.rows.iter().enumerate() {
        let rownum = i + 2;
        let get = |c: Option<usize>| c.and_then(|c| row.get(c)).cloned().unwrap_or_default();
        let level_raw = get(Some(c_level));
        let level_s = match level_raw.as_str() {
            "县" | "区" | "县级" => "county",
            "乡镇" | "镇" | "乡" | "街道" | "乡级" => "township",
            "村" | "社区" | "村级" => "village",
            "村民小组" | "小组" | "组" => "group",
            "网格" => "grid",
            other => other,
        }
        .to_string();
        let input = NewArea {
            code: get(Some(c_code)),
            name: get(Some(c_name)),
            level: level_s,
            parent_code: Some(get(c_parent)).filter(|s| !s.is_empty()),
            valid_from: Some(get(c_from)),
        };
        let parent_code = input.parent_code.clone().or_else(|| {
            let lvl = AreaLevel::parse(&input.level)?;
            let c = input.code.trim();
            match lvl {
                AreaLevel::County => None,
                AreaLevel::Township => c.get(..6).map(|p| format!("{p}000000")),
                AreaLevel::Village => c.get(..9).map(|p| format!("{p}000")),
                AreaLevel::Group | AreaLevel::Grid => c.get(..12).map(str::to_string),
            }
        });
        let parent = match parent_code {
            Some(pc) => match seen.get(&pc) {
                Some(a) => Some(a.clone()),
                None => store::get_tx(&mut tx, &pc).await?,
            },
            None => None,
        };
        match validate_new(&input, parent.as_ref()) {
            Ok((area, _)) => {
                if !scope.covers_area(&area.code) {
                    report.errors.push(RowError {
                        row: rownum,
                        field: "code".into(),
                        code: "area_outside_scope".into(),
                    });
                    continue;
                }
                if seen.contains_key(&area.code)
                    || store::get_tx(&mut tx, &area.code).await?.is_some()
                {
                    report.errors.push(RowError {
                        row: rownum,
                        field: "code".into(),
                        code: "duplicate_area".into(),
                    });
                    continue;
                }
                seen.insert(area.code.clone(), area.clone());
                good.push(area);
            }
            Err(errs) => report.errors.extend(errs.into_iter().map(|e| RowError {
                row: rownum,
                field: e.field,
                code: e.code,
            })),
        }
    }
    if !report.errors.is_empty() && mode == ImportMode::AllOrNothing {
        report.rolled_back = true;
        tx.rollback().await?;
        return Ok(report);
    }
    store::insert_many(&mut tx, &good, clock::now_ms()).await?;
    report.imported = good.len();
    audit::record(
        &mut tx,
        actor,
        Entry::new("area.import", "area", "*").detail(format!(
            "imported {} of {} rows, {} errors",
            report.imported,
            report.total_rows,
            report.errors.len()
        )),
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

/// Retire an area from `date` (division codes change every year; the record and its history
/// stay). Refused while the area still has active sub-areas, households or people: move them
/// first.
pub async fn retire(db: &Db, actor: &Actor, code: &str, date: &str) -> AppResult<()> {
    let scope = actor.require_any(Permission::AreaWrite)?;
    let date = date.trim();
    if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() {
        return Err(AppError::field("date", "invalid"));
    }
    let mut tx = db.write.begin().await?;
    let area = store::get_tx(&mut tx, code.trim())
        .await?
        .ok_or(AppError::NotFound("area"))?;
    if !scope.covers_area(&area.code) {
        return Err(AppError::NotFound("area"));
    }
    if area.valid_to.is_some() {
        return Err(AppError::InvalidTransition("area_retired"));
    }
    if store::in_use(&mut tx, &area.code).await? {
        return Err(AppError::Conflict {
            code: "area_in_use",
            field: Some("code"),
        });
    }
    store::retire(&mut tx, &area.code, date).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("area.retire", "area", &area.code)
            .area(&area.code)
            .detail(format!("valid to {date}")),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The counties (12-digit codes) a set of scope prefixes reaches; an empty prefix (the
/// system) reaches every county.
pub async fn counties_in(db: &crate::db::Db, prefixes: &[String]) -> crate::AppResult<Vec<String>> {
    if prefixes.iter().any(|p| p.is_empty()) {
        return Ok(super::store::counties(db)
            .await?
            .into_iter()
            .map(|a| a.code)
            .collect());
    }
    Ok(prefixes.iter().map(|p| super::code::county_of(p)).collect())
}
