//! Import of the people 台账 from XLSX with a row-by-row report, and export to XLSX.

use std::collections::{HashMap, HashSet};

use super::model::{validate, PersonInput, ValidPerson};
use super::service::{area_filter, bulk_insert_pipelined, row_errors, BIDX_ID};
use super::store;
use crate::audit::{self, Entry};
use crate::authz::{Actor, Permission};
use crate::error::{AppError, AppResult};
use crate::tabular::{self, ImportMode, ImportReport, RowError, Sheet};
use crate::{areas, clock, Core};

/// Column names accepted for each field (Chinese 台账 headings first).
pub const COLUMNS: &[(&str, &[&str])] = &[
    ("name", &["姓名", "name"]),
    (
        "id_number",
        &["身份证号", "公民身份号码", "身份证号码", "id_number"],
    ),
    ("phone", &["手机号", "联系电话", "电话", "phone"]),
    (
        "area_code",
        &["区划代码", "村民小组代码", "所属区划", "area_code"],
    ),
    ("grid_code", &["网格代码", "网格", "grid_code"]),
    ("household_number", &["户号", "household_number"]),
    ("relation", &["与户主关系", "relation"]),
    ("address", &["住址", "地址", "address"]),
    ("is_party_member", &["党员", "is_party_member"]),
    ("is_representative", &["村民代表", "is_representative"]),
    ("is_cadre", &["村干部", "is_cadre"]),
    ("is_supervisor", &["监督委员", "is_supervisor"]),
];

/// The export/import heading row.
pub const HEADER: &[&str] = &[
    "姓名",
    "身份证号",
    "手机号",
    "区划代码",
    "网格代码",
    "户号",
    "与户主关系",
    "住址",
    "党员",
    "村民代表",
    "村干部",
    "监督委员",
];

fn relation_zh(r: &str) -> &'static str {
    match r {
        "head" => "户主",
        "spouse" => "配偶",
        "child" => "子女",
        "parent" => "父母",
        "grandchild" => "孙子女",
        "sibling" => "兄弟姐妹",
        _ => "其他",
    }
}

/// Import people from a parsed sheet.
pub async fn import(
    core: &Core,
    actor: &Actor,
    sheet: &Sheet,
    mode: ImportMode,
) -> AppResult<ImportReport> {
    let scope = actor.require_any(Permission::PeopleImport)?;
    let idx: HashMap<&str, usize> = COLUMNS
        .iter()
        .filter_map(|(f, names)| sheet.column(names).map(|i| (*f, i)))
        .collect();
    for required in ["name", "id_number", "area_code"] {
        if !idx.contains_key(required) {
            return Err(AppError::field("file", "upload_header"));
        }
    }
    let today = clock::today();
    let mut report = ImportReport {
        total_rows: sheet.rows.len(),
        ..Default::default()
    };
    let mut area_ok: HashMap<String, Option<String>> = HashMap::new();
    let mut seen_ids: HashSet<String> = HashSet::new();
    let mut good: Vec<(usize, ValidPerson)> = Vec::new();
    let mut conn = core.db.read.acquire().await?;
    for (i, row) in sheet.rows.iter().enumerate() {
        let rownum = i + 2;
        if row.iter().all(|c| c.trim().is_empty()) {
            report.total_rows -= 1;
            continue;
        }
        let get = |f: &str| {
            idx.get(f)
                .and_then(|&c| row.get(c))
                .cloned()
                .unwrap_or_default()
        };
        let input = PersonInput {
            name: get("name"),
            id_number: get("id_number"),
            phone: get("phone"),
            area_code: get("area_code"),
            grid_code: get("grid_code"),
            household_number: get("household_number"),
            address: get("address"),
            relation: get("relation"),
            is_party_member: super::model::parse_flag(&get("is_party_member")),
            is_representative: super::model::parse_flag(&get("is_representative")),
            is_cadre: super::model::parse_flag(&get("is_cadre")),
            is_supervisor: super::model::parse_flag(&get("is_supervisor")),
        };
        let v = match validate(&input, today) {
            Ok(v) => v,
            Err(errs) => {
                report.errors.extend(row_errors(errs, rownum));
                continue;
            }
        };
        // The area must exist, be a village or group, and lie inside the actor's scope.
        let area_err = match area_ok.get(&v.area_code) {
            Some(e) => e.clone(),
            None => {
                let e = match areas::store::get_tx(&mut conn, &v.area_code).await? {
                    None => Some("area_parent_missing".to_string()),
                    Some(a)
                        if !matches!(
                            a.level,
                            areas::AreaLevel::Village | areas::AreaLevel::Group
                        ) =>
                    {
                        Some("area_code_level".to_string())
                    }
                    Some(a) if !scope.covers_area(&a.code) => {
                        Some("area_outside_scope".to_string())
                    }
                    Some(_) => None,
                };
                area_ok.insert(v.area_code.clone(), e.clone());
                e
            }
        };
        if let Some(code) = area_err {
            report.errors.push(RowError {
                row: rownum,
                field: "area_code".into(),
                code,
            });
            continue;
        }
        if !seen_ids.insert(v.id.number.clone()) {
            report.errors.push(RowError {
                row: rownum,
                field: "id_number".into(),
                code: "duplicate_person".into(),
            });
            continue;
        }
        good.push((rownum, v));
    }
    drop(conn);
    // Already registered?
    let mut by_county: HashMap<String, Vec<String>> = HashMap::new();
    let bidx = blind_indexes(&core.keys, &good);
    for ((_, v), b) in good.iter().zip(&bidx) {
        by_county
            .entry(format!("{}000000", &v.area_code[..6]))
            .or_default()
            .push(b.clone());
    }
    let mut tx = core.db.write.begin().await?;
    let mut dup: HashSet<String> = HashSet::new();
    for (county, list) in &by_county {
        dup.extend(store::existing_bidx(&mut tx, county, list).await?);
    }
    let mut keep = Vec::with_capacity(good.len());
    for ((rownum, v), b) in good.into_iter().zip(bidx) {
        if dup.contains(&b) {
            report.errors.push(RowError {
                row: rownum,
                field: "id_number".into(),
                code: "duplicate_person".into(),
            });
        } else {
            keep.push(v);
        }
    }
    report.errors.sort_by_key(|e| e.row);
    if !report.errors.is_empty() && mode == ImportMode::AllOrNothing {
        tx.rollback().await?;
        report.rolled_back = true;
        return Ok(report);
    }
    let mut households: HashMap<(String, String), String> = HashMap::new();
    let mut prefixes: HashSet<String> = HashSet::new();
    for v in &keep {
        prefixes.insert(v.area_code[..12].to_string());
    }
    for p in prefixes {
        for (area, number, id) in store::household_keys(&mut tx, &p).await? {
            households.insert((area, number), id);
        }
    }
    let now = clock::now_ms();
    crate::db::bulk_cache(&mut tx, core.db.backend, keep.len() > 5_000).await?;
    let count = keep.len();
    report.imported = bulk_insert_pipelined(&mut tx, &core.keys, keep, households, now).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("person.import", "person", "*").detail(format!(
            "imported {} of {} rows; {} rows with errors",
            report.imported,
            report.total_rows,
            report
                .errors
                .iter()
                .map(|e| e.row)
                .collect::<HashSet<_>>()
                .len()
        )),
    )
    .await?;
    tx.commit().await?;
    core.changed();
    if count > 5_000 {
        let mut conn = core.db.write.acquire().await?;
        crate::db::bulk_cache(&mut conn, core.db.backend, false).await?;
    }
    Ok(report)
}

/// Blind indexes of the rows' ID numbers, computed on two threads (a large import spends a
/// noticeable share of its time here).
fn blind_indexes(keys: &crate::crypto::Keyring, rows: &[(usize, ValidPerson)]) -> Vec<String> {
    let one = |part: &[(usize, ValidPerson)]| -> Vec<String> {
        part.iter()
            .map(|(_, v)| keys.blind_index(BIDX_ID, &v.id.number))
            .collect()
    };
    if rows.len() < 2_000 {
        return one(rows);
    }
    let (a, b) = rows.split_at(rows.len() / 2);
    std::thread::scope(|s| {
        let first = s.spawn(|| one(a));
        let mut second = one(b);
        // A panic on the helper thread is recomputed here rather than losing rows.
        let mut out = first.join().unwrap_or_else(|_| one(a));
        out.append(&mut second);
        out
    })
}

/// Import from uploaded bytes.
pub async fn import_bytes(
    core: &Core,
    actor: &Actor,
    bytes: &[u8],
    mode: ImportMode,
) -> AppResult<ImportReport> {
    actor.require_any(Permission::PeopleImport)?;
    // Parsing a large workbook takes a second of CPU: keep it off the async workers so the
    // server goes on answering meanwhile.
    let owned = bytes.to_vec();
    let sheet = tokio::task::spawn_blocking(move || tabular::read_xlsx(&owned))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    import(core, actor, &sheet, mode).await
}

/// Export the people of an area to XLSX. Identifiers are masked (R-MASK-2: never full in
/// exports); the export itself is audited.
pub async fn export(core: &Core, actor: &Actor, area: Option<&str>) -> AppResult<Vec<u8>> {
    let f = area_filter(actor, Permission::PeopleExport, area)?;
    let rows = store::export_rows(&core.db, &f, clock::today()).await?;
    let yes = |b: bool| if b { "是" } else { "" }.to_string();
    let data: Vec<Vec<String>> = rows
        .iter()
        .map(|(p, number)| {
            vec![
                p.name.clone(),
                p.id_masked.clone(),
                p.phone_masked.clone().unwrap_or_default(),
                p.area_code.clone(),
                p.grid_code.clone().unwrap_or_default(),
                number.clone().unwrap_or_default(),
                relation_zh(&p.relation).to_string(),
                String::new(),
                yes(p.is_party_member),
                yes(p.is_representative),
                yes(p.is_cadre),
                yes(p.is_supervisor),
            ]
        })
        .collect();
    let bytes = tabular::write_xlsx("人口台账", HEADER, &data)?;
    let mut tx = core.db.write.begin().await?;
    let scope_desc = match &f {
        store::AreaFilter::Prefix(p) => p.clone(),
        store::AreaFilter::Grid(g) => g.clone(),
    };
    audit::record(
        &mut tx,
        actor,
        Entry::new("person.export", "person", "*")
            .area(&scope_desc)
            .detail(format!(
                "{} rows, masked; exported by {}",
                data.len(),
                actor.username
            )),
    )
    .await?;
    tx.commit().await?;
    Ok(bytes)
}
