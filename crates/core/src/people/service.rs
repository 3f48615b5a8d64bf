//! People services: authorise → validate → transact → audit.

use std::collections::HashMap;

use super::model::*;
use super::store::{self, AreaFilter, HouseholdRow, PersonRow};
use crate::audit::{self, Entry};
use crate::authz::{Actor, Permission, Scope};
use crate::crypto::{mask_id, mask_phone, Keyring};
use crate::error::{AppError, AppResult, FieldError};
use crate::{areas, clock, Core};

/// Require `perm` on a record; a record the actor cannot even read answers "not found", so
/// its existence does not leak.
fn require_visible(
    actor: &Actor,
    perm: Permission,
    area: &str,
    grid: Option<&str>,
) -> AppResult<()> {
    if !actor.scope(Permission::PeopleRead).contains(area, grid)
        && !actor.scope(perm).contains(area, grid)
    {
        return Err(AppError::NotFound("person"));
    }
    actor.require(perm, area, grid)
}

/// Blind-index domains.
pub const BIDX_ID: &str = "person.id_number";
pub const BIDX_PHONE: &str = "person.phone";

use crate::areas::code::county_of;

fn aad(person_id: &str, field: &str) -> Vec<u8> {
    format!("person:{person_id}:{field}").into_bytes()
}

/// The associated data a person's phone is encrypted with (for senders of text messages).
pub(crate) fn phone_aad(person_id: &str) -> Vec<u8> {
    aad(person_id, "phone")
}

/// Turn a validated person into a row with encrypted identifiers.
pub fn encrypt_person(
    keys: &Keyring,
    id: String,
    v: &ValidPerson,
    household_id: Option<String>,
) -> PersonRow {
    PersonRow {
        county_code: county_of(&v.area_code),
        area_code: v.area_code.clone(),
        grid_code: v.grid_code.clone(),
        household_id,
        relation: v.relation.to_string(),
        name: v.name.clone(),
        id_type: "resident_id".into(),
        id_enc: keys.encrypt(v.id.number.as_bytes(), &aad(&id, "id_number")),
        id_bidx: keys.blind_index(BIDX_ID, &v.id.number),
        id_masked: mask_id(&v.id.number),
        id_original_enc: (v.id.original != v.id.number)
            .then(|| keys.encrypt(v.id.original.as_bytes(), &aad(&id, "id_original"))),
        birth_date: v.id.birth.to_string(),
        sex: v.id.sex.as_str().to_string(),
        phone_enc: v
            .phone
            .as_ref()
            .map(|p| keys.encrypt(p.as_bytes(), &aad(&id, "phone"))),
        phone_bidx: v.phone.as_ref().map(|p| keys.blind_index(BIDX_PHONE, p)),
        phone_masked: v.phone.as_deref().map(mask_phone),
        flags: v.flags,
        id,
    }
}

/// A filter for the actor's view of an area (`None`: their first area).
pub fn area_filter(actor: &Actor, perm: Permission, area: Option<&str>) -> AppResult<AreaFilter> {
    let scope: Scope = actor.require_any(perm)?;
    match area.map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => {
            let prefix = significant_prefix(a);
            if scope
                .prefixes
                .iter()
                .any(|p| prefix.starts_with(p.as_str()))
            {
                Ok(AreaFilter::Prefix(prefix))
            } else if scope.grids.iter().any(|g| g == a) {
                Ok(AreaFilter::Grid(a.to_string()))
            } else {
                Err(AppError::Forbidden)
            }
        }
        None => Ok(match (scope.prefixes.first(), scope.grids.first()) {
            (Some(p), _) => AreaFilter::Prefix(p.clone()),
            (None, Some(g)) => AreaFilter::Grid(g.clone()),
            (None, None) => return Err(AppError::Forbidden),
        }),
    }
}

/// The significant prefix of a code given in a URL (`130123101000` → `130123101`).
pub fn significant_prefix(code: &str) -> String {
    if code.len() == 12 {
        if code.ends_with("000000") {
            return code[..6].to_string();
        }
        if code.ends_with("000") {
            return code[..9].to_string();
        }
    }
    code.to_string()
}

/// One page of people.
pub async fn list_people(
    core: &Core,
    actor: &Actor,
    area: Option<&str>,
    name_prefix: &str,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<PersonSummary>, i64)> {
    let f = area_filter(actor, Permission::PeopleRead, area)?;
    let per_page = per_page.clamp(1, 200);
    let page = page.max(1);
    let name = name_prefix.trim();
    let rows = store::list_people(
        &core.db,
        &f,
        name,
        (page - 1) * per_page,
        per_page,
        clock::today(),
    )
    .await?;
    let total = store::count_people(&core.db, &f, name).await?;
    Ok((rows, total))
}

/// One page of households.
pub async fn list_households(
    core: &Core,
    actor: &Actor,
    area: Option<&str>,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<HouseholdSummary>, i64)> {
    let f = area_filter(actor, Permission::PeopleRead, area)?;
    let per_page = per_page.clamp(1, 200);
    let page = page.max(1);
    let key = format!("{f:?}|{page}|{per_page}");
    let generation = core.generation();
    let now = clock::now_ms();
    if let Some(hit) = core.household_cache.get(&key, generation, now) {
        return Ok((hit.0.clone(), hit.1));
    }
    let fresh = store::list_households(&core.db, &f, (page - 1) * per_page, per_page).await?;
    core.household_cache
        .put(key, generation, now, std::sync::Arc::new(fresh.clone()));
    Ok(fresh)
}

/// A household with its members.
pub async fn household(
    core: &Core,
    actor: &Actor,
    id: &str,
) -> AppResult<(HouseholdSummary, Vec<PersonSummary>)> {
    let (h, grid) = store::get_household(&core.db, id)
        .await?
        .ok_or(AppError::NotFound("household"))?;
    // Not-found and forbidden look the same from outside the scope.
    actor
        .require(Permission::PeopleRead, &h.area_code, grid.as_deref())
        .map_err(|_| AppError::NotFound("household"))?;
    let members = store::household_members(&core.db, id, clock::today()).await?;
    Ok((h, members))
}

/// A person (masked) with kin.
pub async fn person(core: &Core, actor: &Actor, id: &str) -> AppResult<(PersonSummary, Vec<Kin>)> {
    let p = store::get_person(&core.db, id, clock::today())
        .await?
        .ok_or(AppError::NotFound("person"))?;
    let self_view = actor.person_id.as_deref() == Some(id);
    if !self_view {
        actor
            .require(Permission::PeopleRead, &p.area_code, p.grid_code.as_deref())
            .map_err(|_| AppError::NotFound("person"))?;
    }
    let kin = store::kin(&core.db, id).await?;
    Ok((p, kin))
}

/// Reveal a full identifier. Needs a reason; the reveal is audited in the same transaction.
pub async fn reveal(
    core: &Core,
    actor: &Actor,
    id: &str,
    field: RevealField,
    reason: &str,
) -> AppResult<String> {
    let reason = reason.trim();
    if reason.chars().count() < 2 {
        return Err(AppError::field("reason", "reason_required"));
    }
    if reason.chars().count() > 200 {
        return Err(AppError::field("reason", "too_long"));
    }
    let mut tx = core.db.write.begin().await?;
    let (area, grid, id_enc, phone_enc) = store::secrets(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound("person"))?;
    require_visible(actor, Permission::PeopleReveal, &area, grid.as_deref())?;
    let (blob, label, action) = match field {
        RevealField::IdNumber => (Some(id_enc), "id_number", "person.reveal_id_number"),
        RevealField::Phone => (phone_enc, "phone", "person.reveal_phone"),
    };
    let Some(blob) = blob else {
        return Err(AppError::NotFound("phone"));
    };
    let plain = core
        .keys
        .decrypt(&blob, &aad(id, label))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("decrypt: {e}")))?;
    audit::record(
        &mut tx,
        actor,
        Entry::new(action, "person", id)
            .area(&area)
            .detail(reason.to_string()),
    )
    .await?;
    tx.commit().await?;
    String::from_utf8(plain).map_err(|e| AppError::Internal(e.into()))
}

async fn check_area(
    core: &Core,
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    v: &ValidPerson,
) -> AppResult<()> {
    let area = areas::store::get_tx(conn, &v.area_code)
        .await?
        .ok_or_else(|| AppError::field("area_code", "area_parent_missing"))?;
    if !matches!(
        area.level,
        areas::AreaLevel::Village | areas::AreaLevel::Group
    ) {
        return Err(AppError::field("area_code", "area_code_level"));
    }
    if let Some(g) = &v.grid_code {
        if areas::store::get_tx(conn, g).await?.is_none() {
            return Err(AppError::field("grid_code", "area_parent_missing"));
        }
    }
    let _ = core;
    actor
        .require(
            Permission::PeopleWrite,
            &v.area_code,
            v.grid_code.as_deref(),
        )
        .map_err(|_| AppError::field("area_code", "area_outside_scope"))
}

/// Find or create the household `(area, number)`; returns its id.
async fn ensure_household(
    conn: &mut sqlx::AnyConnection,
    v: &ValidPerson,
    now: i64,
) -> AppResult<Option<String>> {
    if v.household_number.is_empty() {
        return Ok(None);
    }
    if let Some((id, _)) = store::find_household(conn, &v.area_code, &v.household_number).await? {
        return Ok(Some(id));
    }
    let id = clock::new_id();
    store::insert_households(
        conn,
        &[HouseholdRow {
            id: id.clone(),
            county_code: county_of(&v.area_code),
            area_code: v.area_code.clone(),
            grid_code: v.grid_code.clone(),
            number: v.household_number.clone(),
            address: v.address.clone(),
            head_person_id: None,
            member_count: 0,
        }],
        now,
    )
    .await?;
    Ok(Some(id))
}

/// Register a person.
pub async fn create_person(
    core: &Core,
    actor: &Actor,
    input: &PersonInput,
) -> AppResult<PersonSummary> {
    actor.require_any(Permission::PeopleWrite)?;
    let v = validate(input, clock::today()).map_err(AppError::Validation)?;
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    check_area(core, &mut tx, actor, &v).await?;
    let bidx = core.keys.blind_index(BIDX_ID, &v.id.number);
    if store::find_by_bidx(&mut tx, &county_of(&v.area_code), &bidx)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict {
            code: "duplicate_person",
            field: Some("id_number"),
        });
    }
    let hh = ensure_household(&mut tx, &v, now).await?;
    let row = encrypt_person(&core.keys, clock::new_id(), &v, hh.clone());
    store::insert_persons(&mut tx, std::slice::from_ref(&row), now).await?;
    if let Some(h) = &hh {
        store::refresh_households(&mut tx, std::slice::from_ref(h), now).await?;
    }
    let summary = store::get_person_tx(&mut tx, &row.id, clock::today())
        .await?
        .ok_or(AppError::NotFound("person"))?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("person.create", "person", &row.id)
            .area(&row.area_code)
            .after(serde_json::to_value(&summary).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    core.changed();
    Ok(summary)
}

/// Edit a person. The ID number is immutable (居民身份证法 §3); everything else may change.
pub async fn update_person(
    core: &Core,
    actor: &Actor,
    id: &str,
    input: &PersonInput,
) -> AppResult<PersonSummary> {
    let today = clock::today();
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    let before = store::get_person_tx(&mut tx, id, today)
        .await?
        .ok_or(AppError::NotFound("person"))?;
    actor
        .require(
            Permission::PeopleWrite,
            &before.area_code,
            before.grid_code.as_deref(),
        )
        .map_err(|_| AppError::NotFound("person"))?;
    // The stored ID number stands in for the (immutable) field.
    let (_, _, id_enc, _) = store::secrets(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound("person"))?;
    let stored_id = core
        .keys
        .decrypt(&id_enc, &aad(id, "id_number"))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("decrypt: {e}")))?;
    let mut input = input.clone();
    input.id_number = String::from_utf8_lossy(&stored_id).to_string();
    let v = validate(&input, today).map_err(AppError::Validation)?;
    check_area(core, &mut tx, actor, &v).await?;
    let hh = ensure_household(&mut tx, &v, now).await?;
    let row = encrypt_person(&core.keys, id.to_string(), &v, hh.clone());
    store::update_person(&mut tx, &row, now).await?;
    let mut touched: Vec<String> = hh.into_iter().collect();
    if let Some(old) = &before.household_id {
        if !touched.contains(old) {
            touched.push(old.clone());
        }
    }
    store::refresh_households(&mut tx, &touched, now).await?;
    let after = store::get_person_tx(&mut tx, id, today)
        .await?
        .ok_or(AppError::NotFound("person"))?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("person.update", "person", id)
            .area(&after.area_code)
            .before(serde_json::to_value(&before).unwrap_or_default())
            .after(serde_json::to_value(&after).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    core.changed();
    Ok(after)
}

/// Record a kinship link between two people (both must be in the actor's scope).
pub async fn link_kin(
    core: &Core,
    actor: &Actor,
    a: &str,
    b: &str,
    relation: &str,
) -> AppResult<()> {
    if a == b {
        return Err(AppError::field("relative_id", "invalid"));
    }
    let relation =
        parse_relation(relation).ok_or_else(|| AppError::field("relation", "invalid"))?;
    let today = clock::today();
    let mut tx = core.db.write.begin().await?;
    let pa = store::get_person_tx(&mut tx, a, today)
        .await?
        .ok_or(AppError::NotFound("person"))?;
    let pb = store::get_person_tx(&mut tx, b, today)
        .await?
        .ok_or_else(|| AppError::field("relative_id", "not_found"))?;
    actor.require(
        Permission::PeopleWrite,
        &pa.area_code,
        pa.grid_code.as_deref(),
    )?;
    actor.require(
        Permission::PeopleRead,
        &pb.area_code,
        pb.grid_code.as_deref(),
    )?;
    store::insert_link(&mut tx, a, b, relation, &county_of(&pa.area_code)).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("person.link_kin", "person", a)
            .area(&pa.area_code)
            .detail(format!("{relation} → {b}")),
    )
    .await?;
    tx.commit().await?;
    core.changed();
    Ok(())
}

/// Find a person by full ID number (exact match through the blind index).
pub async fn find_by_id_number(
    core: &Core,
    actor: &Actor,
    id_number: &str,
) -> AppResult<Option<PersonSummary>> {
    let scope = actor.require_any(Permission::PeopleRead)?;
    let info = super::idnum::parse_id(id_number, clock::today())
        .map_err(|e| AppError::field("id_number", e.code()))?;
    let bidx = core.keys.blind_index(BIDX_ID, &info.number);
    let mut conn = core.db.read.acquire().await?;
    // The county is not known from the number (people move); look in every county of the scope.
    let counties: Vec<String> = scope
        .prefixes
        .iter()
        .map(|p| county_of(p))
        .chain(scope.grids.iter().map(|g| county_of(g)))
        .collect();
    for c in counties {
        if let Some(pid) = store::find_by_bidx(&mut conn, &c, &bidx).await? {
            let p = store::get_person_tx(&mut conn, &pid, clock::today()).await?;
            return Ok(p.filter(|p| scope.contains(&p.area_code, p.grid_code.as_deref())));
        }
    }
    Ok(None)
}

/// Persons and households ready to write: the CPU part of a bulk registration (encryption,
/// household assignment), separate from the writing so the two can overlap.
#[derive(Debug, Default)]
pub struct Prepared {
    pub households: Vec<HouseholdRow>,
    pub persons: Vec<PersonRow>,
    /// Households that existed before and gained members: recounted after the write.
    pub refresh: Vec<String>,
}

/// Encrypt and assign households (no I/O). `existing_households` maps `(area, number)` to
/// household ids and gains the new households.
pub fn prepare_bulk(
    keys: &Keyring,
    people: &[ValidPerson],
    existing_households: &mut HashMap<(String, String), String>,
) -> Prepared {
    let mut new_households: Vec<HouseholdRow> = Vec::new();
    let mut rows = Vec::with_capacity(people.len());
    let mut heads: HashMap<String, String> = HashMap::new();
    let mut counts: HashMap<String, i64> = HashMap::new();
    for v in people {
        let hh = if v.household_number.is_empty() {
            None
        } else {
            let key = (v.area_code.clone(), v.household_number.clone());
            let id = match existing_households.get(&key) {
                Some(id) => id.clone(),
                None => {
                    let id = clock::new_id();
                    new_households.push(HouseholdRow {
                        id: id.clone(),
                        county_code: county_of(&v.area_code),
                        area_code: v.area_code.clone(),
                        grid_code: v.grid_code.clone(),
                        number: v.household_number.clone(),
                        address: v.address.clone(),
                        head_person_id: None,
                        member_count: 0,
                    });
                    existing_households.insert(key, id.clone());
                    id
                }
            };
            Some(id)
        };
        let row = encrypt_person(keys, clock::new_id(), v, hh.clone());
        if let Some(h) = &hh {
            *counts.entry(h.clone()).or_default() += 1;
            if v.relation == "head" {
                heads.entry(h.clone()).or_insert_with(|| row.id.clone());
            }
        }
        rows.push(row);
    }
    // New households get their head and count up front; households that existed are recounted.
    let new_ids: std::collections::HashSet<String> =
        new_households.iter().map(|h| h.id.clone()).collect();
    for h in &mut new_households {
        h.member_count = counts.get(&h.id).copied().unwrap_or(0);
        h.head_person_id = heads.get(&h.id).cloned();
    }
    let refresh = counts
        .into_keys()
        .filter(|h| !new_ids.contains(h))
        .collect();
    Prepared {
        households: new_households,
        persons: rows,
        refresh,
    }
}

/// Write prepared persons and households in the caller's transaction.
pub async fn write_bulk(
    conn: &mut sqlx::AnyConnection,
    p: &Prepared,
    now: i64,
) -> AppResult<usize> {
    store::insert_households(conn, &p.households, now).await?;
    store::insert_persons(conn, &p.persons, now).await?;
    store::refresh_households(conn, &p.refresh, now).await?;
    Ok(p.persons.len())
}

/// Bulk-register validated persons into households (imports, demo). Caller holds the
/// transaction and has checked permission. Returns the number of persons written.
pub async fn bulk_insert(
    conn: &mut sqlx::AnyConnection,
    keys: &Keyring,
    people: &[ValidPerson],
    existing_households: &mut HashMap<(String, String), String>,
    now: i64,
) -> AppResult<usize> {
    let prepared = prepare_bulk(keys, people, existing_households);
    write_bulk(conn, &prepared, now).await
}

/// Bulk-register many persons, encrypting the next chunk on a worker thread while the
/// current one is written. Same contract as [`bulk_insert`].
pub async fn bulk_insert_pipelined(
    conn: &mut sqlx::AnyConnection,
    keys: &Keyring,
    people: Vec<ValidPerson>,
    existing_households: HashMap<(String, String), String>,
    now: i64,
) -> AppResult<usize> {
    const CHUNK: usize = 10_000;
    let mut chunks: std::collections::VecDeque<Vec<ValidPerson>> =
        std::collections::VecDeque::new();
    let mut rest = people;
    while rest.len() > CHUNK {
        let tail = rest.split_off(CHUNK);
        chunks.push_back(rest);
        rest = tail;
    }
    chunks.push_back(rest);
    let spawn =
        |keys: Keyring, chunk: Vec<ValidPerson>, mut map: HashMap<(String, String), String>| {
            tokio::task::spawn_blocking(move || {
                let p = prepare_bulk(&keys, &chunk, &mut map);
                (p, map)
            })
        };
    let mut written = 0;
    let mut next = chunks
        .pop_front()
        .map(|c| spawn(keys.clone(), c, existing_households));
    while let Some(handle) = next.take() {
        let (prepared, map) = handle.await.map_err(|e| AppError::Internal(e.into()))?;
        next = chunks.pop_front().map(|c| spawn(keys.clone(), c, map));
        written += write_bulk(conn, &prepared, now).await?;
    }
    Ok(written)
}

/// Field errors of one import row, for the report.
pub fn row_errors(errs: Vec<FieldError>, row: usize) -> Vec<crate::tabular::RowError> {
    errs.into_iter()
        .map(|e| crate::tabular::RowError {
            row,
            field: e.field,
            code: e.code,
        })
        .collect()
}

/// Figures for the workbench of an area.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AreaStats {
    pub households: i64,
    pub people: i64,
    pub party: i64,
    pub over60: i64,
    /// People per age band: 0–17, 18–29, 30–39, 40–49, 50–59, 60–69, 70–79, 80+.
    pub age_bands: [i64; 8],
}

/// Figures for the actor's area (or a sub-area).
pub async fn stats(core: &Core, actor: &Actor, area: Option<&str>) -> AppResult<AreaStats> {
    use chrono::Datelike;
    let f = area_filter(actor, Permission::PeopleRead, area)?;
    let year = clock::today().year() as i64;
    let mut s = AreaStats {
        households: store::count_households(&core.db, &f).await?,
        people: 0,
        party: 0,
        over60: 0,
        age_bands: [0; 8],
    };
    for (y, n, party) in store::year_counts(&core.db, &f).await? {
        let age = year - y;
        s.people += n;
        s.party += party;
        if age >= 60 {
            s.over60 += n;
        }
        let band = match age {
            i64::MIN..=17 => 0,
            18..=29 => 1,
            30..=39 => 2,
            40..=49 => 3,
            50..=59 => 4,
            60..=69 => 5,
            70..=79 => 6,
            _ => 7,
        };
        s.age_bands[band] += n;
    }
    Ok(s)
}
