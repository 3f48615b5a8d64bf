//! All SQL of the cases slice.

use sqlx::{AnyConnection, Row};

use super::model::*;
use crate::db::{backend_of, values_list, Db, Script};
use crate::error::{AppError, AppResult};

// ---------------------------------------------------------------- catalogue

const TYPE_COLS: &str = "code, county_code, name_zh, name_en, description_zh, description_en, \
    category, keywords, raisers, fields_json, workflow, sla_json, first_level, orgs_json, \
    visibility, anonymous_allowed, active";

fn bad(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("bad {what} in the catalogue").into())
}

fn row_to_type(r: &sqlx::any::AnyRow) -> Result<CaseType, sqlx::Error> {
    let json = |i: usize| -> Result<String, sqlx::Error> { r.try_get(i) };
    let raisers: String = r.try_get(8)?;
    Ok(CaseType {
        code: r.try_get(0)?,
        county_code: r.try_get(1)?,
        name_zh: r.try_get(2)?,
        name_en: r.try_get(3)?,
        description_zh: r.try_get(4)?,
        description_en: r.try_get(5)?,
        category: Category::parse(&r.try_get::<String, _>(6)?).ok_or_else(|| bad("category"))?,
        keywords: r.try_get(7)?,
        raisers: raisers
            .split(',')
            .filter_map(|s| serde_json::from_value(serde_json::Value::String(s.into())).ok())
            .collect(),
        fields: serde_json::from_str(&json(9)?).map_err(|_| bad("fields"))?,
        sla: serde_json::from_str(&json(11)?).map_err(|_| bad("sla"))?,
        first_level: Level::parse(&r.try_get::<String, _>(12)?).ok_or_else(|| bad("level"))?,
        orgs: serde_json::from_str(&json(13)?).map_err(|_| bad("orgs"))?,
        visibility: if r.try_get::<String, _>(14)? == "public" {
            Visibility::Public
        } else {
            Visibility::Confidential
        },
        anonymous_allowed: r.try_get::<i64, _>(15)? != 0,
        active: r.try_get::<i64, _>(16)? != 0,
    })
}

fn raiser_str(r: Raiser) -> &'static str {
    match r {
        Raiser::Public => "public",
        Raiser::GridWorker => "grid_worker",
        Raiser::Staff => "staff",
    }
}

/// Insert or replace a case type.
pub async fn upsert_type(conn: &mut AnyConnection, t: &CaseType, now: i64) -> AppResult<()> {
    let raisers: Vec<&str> = t.raisers.iter().map(|r| raiser_str(*r)).collect();
    sqlx::query(&format!(
        "INSERT INTO case_types ({TYPE_COLS}, updated_at) VALUES \
         ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18) \
         ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en, \
         description_zh = excluded.description_zh, description_en = excluded.description_en, \
         category = excluded.category, keywords = excluded.keywords, raisers = excluded.raisers, \
         fields_json = excluded.fields_json, workflow = excluded.workflow, sla_json = excluded.sla_json, \
         first_level = excluded.first_level, orgs_json = excluded.orgs_json, \
         visibility = excluded.visibility, anonymous_allowed = excluded.anonymous_allowed, \
         active = excluded.active, updated_at = excluded.updated_at"
    ))
    .bind(t.code.clone())
    .bind(t.county_code.clone())
    .bind(t.name_zh.clone())
    .bind(t.name_en.clone())
    .bind(t.description_zh.clone())
    .bind(t.description_en.clone())
    .bind(t.category.as_str())
    .bind(t.keywords.clone())
    .bind(raisers.join(","))
    .bind(serde_json::to_string(&t.fields).map_err(anyhow::Error::from)?)
    .bind(t.category.as_str())
    .bind(serde_json::to_string(&t.sla).map_err(anyhow::Error::from)?)
    .bind(t.first_level.as_str())
    .bind(serde_json::to_string(&t.orgs).map_err(anyhow::Error::from)?)
    .bind(match t.visibility {
        Visibility::Public => "public",
        Visibility::Confidential => "confidential",
    })
    .bind(i64::from(t.anonymous_allowed))
    .bind(i64::from(t.active))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn list_types(db: &Db) -> AppResult<Vec<CaseType>> {
    let rows = sqlx::query(&format!("SELECT {TYPE_COLS} FROM case_types ORDER BY code"))
        .fetch_all(&db.read)
        .await?;
    rows.iter()
        .map(|r| row_to_type(r).map_err(Into::into))
        .collect()
}

pub async fn settings(db: &Db, county: &str) -> AppResult<Settings> {
    let row = sqlx::query(
        "SELECT unsatisfied_policy, max_reopens FROM case_settings WHERE county_code = $1",
    )
    .bind(county.to_string())
    .fetch_optional(&db.read)
    .await?;
    Ok(match row {
        None => Settings::default(),
        Some(r) => Settings {
            unsatisfied_policy: if r.try_get::<String, _>(0)? == "escalate" {
                UnsatisfiedPolicy::Escalate
            } else {
                UnsatisfiedPolicy::ReopenThenEscalate
            },
            max_reopens: r.try_get(1)?,
        },
    })
}

pub async fn put_settings(
    conn: &mut AnyConnection,
    county: &str,
    s: &Settings,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO case_settings (county_code, unsatisfied_policy, max_reopens, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (county_code) DO UPDATE SET \
         unsatisfied_policy = excluded.unsatisfied_policy, max_reopens = excluded.max_reopens, \
         updated_at = excluded.updated_at",
    )
    .bind(county.to_string())
    .bind(match s.unsatisfied_policy {
        UnsatisfiedPolicy::Escalate => "escalate",
        UnsatisfiedPolicy::ReopenThenEscalate => "reopen_then_escalate",
    })
    .bind(s.max_reopens)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The holiday calendar: (day, worked, name).
pub async fn holidays(db: &Db, county: &str) -> AppResult<Vec<(String, bool, String)>> {
    let rows =
        sqlx::query("SELECT day, workday, name FROM holidays WHERE county_code = $1 ORDER BY day")
            .bind(county.to_string())
            .fetch_all(&db.read)
            .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get::<i64, _>(1)? != 0, r.try_get(2)?)))
        .collect()
}

pub async fn put_holiday(
    conn: &mut AnyConnection,
    county: &str,
    day: &str,
    workday: bool,
    name: &str,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO holidays (county_code, day, workday, name) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (county_code, day) DO UPDATE SET workday = excluded.workday, name = excluded.name",
    )
    .bind(county.to_string())
    .bind(day.to_string())
    .bind(i64::from(workday))
    .bind(name.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- cases

const CASE_COLS: &str = "id, number, county_code, type_code, category, area_code, grid_code, \
    status, priority, level, org, slipped_level, escalations, title, description, attrs_json, \
    lat, lon, address, source, reporter_user_id, reporter_name, anonymous, assignee_user_id, \
    handler_user_id, due_at, reopen_count, rating, public_note, duplicate_of, \
    pending_extension_hours, created_at, updated_at, handled_at, closed_at";

fn row_to_case(r: &sqlx::any::AnyRow) -> Result<Case, sqlx::Error> {
    let s = |i: usize| -> Result<String, sqlx::Error> { r.try_get(i) };
    let attrs: String = r.try_get(15)?;
    Ok(Case {
        title: s(13)?,
        description: s(14)?,
        attrs: serde_json::from_str(&attrs).unwrap_or(serde_json::Value::Null),
        lat: r.try_get(16)?,
        lon: r.try_get(17)?,
        address: r.try_get(18)?,
        source: s(19)?,
        reporter_user_id: r.try_get(20)?,
        reporter_name: r.try_get(21)?,
        anonymous: r.try_get::<i64, _>(22)? != 0,
        assignee_user_id: r.try_get(23)?,
        handler_user_id: r.try_get(24)?,
        due_at: r.try_get(25)?,
        reopen_count: r.try_get(26)?,
        rating: r
            .try_get::<Option<String>, _>(27)?
            .and_then(|x| Rating::parse(&x)),
        public_note: r.try_get(28)?,
        duplicate_of: r.try_get(29)?,
        pending_extension_hours: r.try_get(30)?,
        created_at: r.try_get(31)?,
        updated_at: r.try_get(32)?,
        handled_at: r.try_get(33)?,
        closed_at: r.try_get(34)?,
        ..case_head(r)?
    })
}

/// The first thirteen columns of [`CASE_COLS`] (id to escalations); the rest empty.
fn case_head(r: &sqlx::any::AnyRow) -> Result<Case, sqlx::Error> {
    let s = |i: usize| -> Result<String, sqlx::Error> { r.try_get(i) };
    Ok(Case {
        id: s(0)?,
        number: s(1)?,
        county_code: s(2)?,
        type_code: s(3)?,
        category: Category::parse(&s(4)?).ok_or_else(|| bad("category"))?,
        area_code: s(5)?,
        grid_code: r.try_get(6)?,
        status: Status::parse(&s(7)?).ok_or_else(|| bad("status"))?,
        priority: Priority::parse(&s(8)?).ok_or_else(|| bad("priority"))?,
        level: Level::parse(&s(9)?).ok_or_else(|| bad("level"))?,
        org: s(10)?,
        slipped_level: r
            .try_get::<Option<String>, _>(11)?
            .and_then(|l| Level::parse(&l)),
        escalations: r.try_get(12)?,
        ..blank_case()
    })
}

/// A case with every field empty (filled in by the readers above, and by tests).
pub(crate) fn blank_case() -> Case {
    Case {
        id: String::new(),
        number: String::new(),
        county_code: String::new(),
        type_code: String::new(),
        category: Category::Report,
        area_code: String::new(),
        grid_code: None,
        status: Status::Reported,
        priority: Priority::Normal,
        level: Level::Village,
        org: String::new(),
        slipped_level: None,
        escalations: 0,
        due_at: 0,
        created_at: 0,
        updated_at: 0,
        title: String::new(),
        description: String::new(),
        attrs: serde_json::Value::Null,
        lat: None,
        lon: None,
        address: None,
        source: String::new(),
        reporter_user_id: None,
        reporter_name: None,
        anonymous: false,
        assignee_user_id: None,
        handler_user_id: None,
        reopen_count: 0,
        rating: None,
        public_note: None,
        duplicate_of: None,
        pending_extension_hours: None,
        handled_at: None,
        closed_at: None,
    }
}

/// A case ready to insert, with the encrypted reporter phone and idempotency key.
#[derive(Debug, Clone)]
pub struct NewCaseRow {
    pub case: Case,
    pub reporter_phone_enc: Option<Vec<u8>>,
    pub idem_key: Option<String>,
}

const RESERVE_NUMBERS: &str =
    "INSERT INTO case_counters (county_code, year, n) VALUES ($1, $2, $3) \
     ON CONFLICT (county_code, year) DO UPDATE SET n = case_counters.n + excluded.n \
     RETURNING n";

/// Reserve `k` case numbers for a county and year; returns the last one reserved.
pub async fn reserve_numbers(
    conn: &mut AnyConnection,
    county: &str,
    year: i64,
    k: i64,
) -> AppResult<i64> {
    let mut s = Script::new(backend_of(conn));
    push_reserve_numbers(&mut s, county, year, k);
    let rows = s.run(conn).await?;
    let row = rows
        .first()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no case counter returned")))?;
    Ok(row.try_get(0)?)
}

/// Add to `s` the reservation of `k` case numbers for a county and year. The statement
/// returns one row: the last number reserved.
pub fn push_reserve_numbers(s: &mut Script, county: &str, year: i64, k: i64) {
    s.statement(RESERVE_NUMBERS)
        .bind(county.to_string())
        .bind(year)
        .bind(k);
}

/// Add to `s` the return of `k` numbers reserved last for a county and year but not used
/// (only inside the transaction that reserved them, which still holds the counter's lock).
pub fn push_release_numbers(s: &mut Script, county: &str, year: i64, k: i64) {
    s.statement("UPDATE case_counters SET n = n - $1 WHERE county_code = $2 AND year = $3")
        .bind(k)
        .bind(county.to_string())
        .bind(year);
}

/// SQLite: whether this connection's commits wait until the log is on disk (`FULL`) or
/// only until it is written (`NORMAL`; the caller then syncs the log itself before it
/// tells anyone). No effect on PostgreSQL.
/// backend-specific
pub async fn set_synchronous(conn: &mut AnyConnection, durable: bool) -> AppResult<()> {
    if backend_of(conn) == crate::db::Backend::Sqlite {
        let sql = if durable {
            "PRAGMA synchronous=FULL"
        } else {
            "PRAGMA synchronous=NORMAL"
        };
        sqlx::query(sql).execute(conn).await?;
    }
    Ok(())
}

/// Insert cases with multi-row statements.
pub async fn insert_cases(conn: &mut AnyConnection, rows: &[NewCaseRow]) -> AppResult<()> {
    Ok(crate::db::run_chunked(conn, rows, push_insert_cases).await?)
}

/// Add to `s` the multi-row inserts of `rows`.
pub fn push_insert_cases(s: &mut Script, rows: &[NewCaseRow]) {
    for chunk in crate::db::fixed_chunks(rows) {
        let sql = format!(
            "INSERT INTO cases ({CASE_COLS}, is_open, reporter_phone_enc, idem_key) VALUES {}",
            values_list(s.backend(), chunk.len(), 38, "")
        );
        s.statement(&sql).uncached();
        for row in chunk {
            let c = &row.case;
            s.bind(c.id.clone())
                .bind(c.number.clone())
                .bind(c.county_code.clone())
                .bind(c.type_code.clone())
                .bind(c.category.as_str())
                .bind(c.area_code.clone())
                .bind(c.grid_code.clone())
                .bind(c.status.as_str())
                .bind(c.priority.as_str())
                .bind(c.level.as_str())
                .bind(c.org.clone())
                .bind(c.slipped_level.map(Level::as_str))
                .bind(c.escalations)
                .bind(c.title.clone())
                .bind(c.description.clone())
                .bind(c.attrs.to_string())
                .bind(c.lat)
                .bind(c.lon)
                .bind(c.address.clone())
                .bind(c.source.clone())
                .bind(c.reporter_user_id.clone())
                .bind(c.reporter_name.clone())
                .bind(i64::from(c.anonymous))
                .bind(c.assignee_user_id.clone())
                .bind(c.handler_user_id.clone())
                .bind(c.due_at)
                .bind(c.reopen_count)
                .bind(c.rating.map(Rating::as_str))
                .bind(c.public_note.clone())
                .bind(c.duplicate_of.clone())
                .bind(c.pending_extension_hours)
                .bind(c.created_at)
                .bind(c.updated_at)
                .bind(c.handled_at)
                .bind(c.closed_at)
                .bind(i64::from(c.status.is_open()))
                .bind(row.reporter_phone_enc.clone())
                .bind(row.idem_key.clone());
        }
    }
}

/// Add to `s` the lookup of cases created under any of `keys` (nothing when there are
/// none); read each row it returns with [`idem_case`].
pub fn push_by_idem_keys(s: &mut Script, keys: &[String]) {
    for chunk in crate::db::fixed_chunks(keys) {
        let list = values_list(s.backend(), 1, chunk.len(), "");
        let sql = format!("SELECT {CASE_COLS}, idem_key FROM cases WHERE idem_key IN {list}");
        s.statement(&sql);
        for k in chunk {
            s.bind(k.clone());
        }
    }
}

/// A row returned by [`push_by_idem_keys`]: (key, case).
pub fn idem_case(r: &sqlx::any::AnyRow) -> AppResult<(String, Case)> {
    Ok((r.try_get(35)?, row_to_case(r)?))
}

/// Write back every mutable column of a case.
pub async fn update_case(conn: &mut AnyConnection, c: &Case) -> AppResult<()> {
    sqlx::query(
        "UPDATE cases SET status = $2, is_open = $3, priority = $4, level = $5, org = $6, \
         slipped_level = $7, escalations = $8, assignee_user_id = $9, handler_user_id = $10, \
         due_at = $11, reopen_count = $12, rating = $13, public_note = $14, \
         pending_extension_hours = $15, updated_at = $16, handled_at = $17, closed_at = $18, \
         duplicate_of = $19 WHERE id = $1",
    )
    .bind(c.id.clone())
    .bind(c.status.as_str())
    .bind(i64::from(c.status.is_open()))
    .bind(c.priority.as_str())
    .bind(c.level.as_str())
    .bind(c.org.clone())
    .bind(c.slipped_level.map(Level::as_str))
    .bind(c.escalations)
    .bind(c.assignee_user_id.clone())
    .bind(c.handler_user_id.clone())
    .bind(c.due_at)
    .bind(c.reopen_count)
    .bind(c.rating.map(Rating::as_str))
    .bind(c.public_note.clone())
    .bind(c.pending_extension_hours)
    .bind(c.updated_at)
    .bind(c.handled_at)
    .bind(c.closed_at)
    .bind(c.duplicate_of.clone())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_tx(conn: &mut AnyConnection, id: &str) -> AppResult<Option<Case>> {
    let row = sqlx::query(&format!("SELECT {CASE_COLS} FROM cases WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(row_to_case).transpose()?)
}

pub async fn get(db: &Db, id: &str) -> AppResult<Option<Case>> {
    let row = sqlx::query(&format!("SELECT {CASE_COLS} FROM cases WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&db.read)
        .await?;
    Ok(row.as_ref().map(row_to_case).transpose()?)
}

pub async fn by_number(db: &Db, county: &str, number: &str) -> AppResult<Option<Case>> {
    let row = sqlx::query(&format!(
        "SELECT {CASE_COLS} FROM cases WHERE county_code = $1 AND number = $2"
    ))
    .bind(county.to_string())
    .bind(number.to_string())
    .fetch_optional(&db.read)
    .await?;
    Ok(row.as_ref().map(row_to_case).transpose()?)
}

/// The encrypted reporter phone of a case.
pub async fn reporter_phone(db: &Db, id: &str) -> AppResult<Option<Vec<u8>>> {
    let v: Option<Option<Vec<u8>>> =
        sqlx::query_scalar("SELECT reporter_phone_enc FROM cases WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&db.read)
            .await?;
    Ok(v.flatten())
}

/// A timeline entry to insert.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub event: CaseEvent,
    pub county_code: String,
    pub actor_id: Option<String>,
    pub data_json: Option<String>,
}

pub async fn insert_events(conn: &mut AnyConnection, rows: &[EventRow]) -> AppResult<()> {
    Ok(crate::db::run_chunked(conn, rows, push_insert_events).await?)
}

/// Add to `s` the multi-row inserts of timeline entries.
pub fn push_insert_events(s: &mut Script, rows: &[EventRow]) {
    for chunk in crate::db::fixed_chunks(rows) {
        let sql = format!(
            "INSERT INTO case_events (id, case_id, county_code, at, actor_id, actor_name, action, \
             from_status, to_status, note, public, data_json) VALUES {}",
            values_list(s.backend(), chunk.len(), 12, "")
        );
        s.statement(&sql);
        for r in chunk {
            let e = &r.event;
            s.bind(e.id.clone())
                .bind(e.case_id.clone())
                .bind(r.county_code.clone())
                .bind(e.at)
                .bind(r.actor_id.clone())
                .bind(e.actor_name.clone())
                .bind(e.action.clone())
                .bind(e.from_status.map(Status::as_str))
                .bind(e.to_status.as_str())
                .bind(e.note.clone())
                .bind(i64::from(e.public))
                .bind(r.data_json.clone());
        }
    }
}

pub async fn events(db: &Db, case_id: &str) -> AppResult<Vec<CaseEvent>> {
    let rows = sqlx::query(
        "SELECT id, case_id, at, actor_name, action, from_status, to_status, note, public \
         FROM case_events WHERE case_id = $1 ORDER BY at, id",
    )
    .bind(case_id.to_string())
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CaseEvent {
                id: r.try_get(0)?,
                case_id: r.try_get(1)?,
                at: r.try_get(2)?,
                actor_name: r.try_get(3)?,
                action: r.try_get(4)?,
                from_status: r
                    .try_get::<Option<String>, _>(5)?
                    .and_then(|s| Status::parse(&s)),
                to_status: Status::parse(&r.try_get::<String, _>(6)?)
                    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("bad status")))?,
                note: r.try_get(7)?,
                public: r.try_get::<i64, _>(8)? != 0,
            })
        })
        .collect()
}

/// Which cases a queue shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseFilter {
    /// Area-code prefixes the reader may see (empty: nothing), or grids.
    pub prefixes: Vec<String>,
    /// The county all of them lie in, when there is one: lets the database walk the
    /// county's open cases in deadline order instead of scanning an area range.
    pub county: Option<String>,
    pub grids: Vec<String>,
    /// Narrow to one area prefix inside the scope.
    pub area_prefix: Option<String>,
    pub open_only: bool,
    pub closed_only: bool,
    /// Open and past due at this instant.
    pub overdue_at: Option<i64>,
    pub escalated: bool,
    pub level: Option<Level>,
    pub status: Option<Status>,
    pub assignee: Option<String>,
    pub reporter: Option<String>,
    pub type_codes: Vec<String>,
    pub ids: Vec<String>,
    /// Only these cases (by id).
    pub case_ids: Vec<String>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    /// Leave out confidential categories' cases unless the reader may see them.
    pub public_only: bool,
    pub offset: i64,
    pub limit: i64,
    /// Oldest deadline first (queues) instead of newest first.
    pub by_due: bool,
}

/// The WHERE … ORDER BY … LIMIT … tail of a case query and its arguments (`None` when the
/// filter can match nothing).
fn list_tail(f: &CaseFilter) -> Option<(String, Vec<Arg>, i64)> {
    let mut wh: Vec<String> = Vec::new();
    let mut args: Vec<Arg> = Vec::new();
    let p = |args: &mut Vec<Arg>, a: Arg| -> String {
        args.push(a);
        format!("${}", args.len())
    };
    let mut scope = Vec::new();
    for pre in &f.prefixes {
        if pre.is_empty() {
            scope.push("1 = 1".to_string());
        } else if pre.len() == 12 {
            // A village: cases sit on the village code itself, so the (area, open, deadline)
            // index serves the queue in deadline order.
            let a = p(&mut args, Arg::S(pre.clone()));
            scope.push(format!("area_code = {a}"));
        } else {
            let (lo, hi) = (pre.clone(), format!("{pre}~"));
            let a = p(&mut args, Arg::S(lo));
            let b = p(&mut args, Arg::S(hi));
            scope.push(format!("(area_code >= {a} AND area_code < {b})"));
        }
    }
    for g in &f.grids {
        let a = p(&mut args, Arg::S(g.clone()));
        scope.push(format!("grid_code = {a}"));
    }
    if scope.is_empty() {
        return None;
    }
    wh.push(format!("({})", scope.join(" OR ")));
    if let Some(cc) = &f.county {
        let a = p(&mut args, Arg::S(cc.clone()));
        wh.push(format!("county_code = {a}"));
    }
    if let Some(pre) = &f.area_prefix {
        let a = p(&mut args, Arg::S(pre.clone()));
        let b = p(&mut args, Arg::S(format!("{pre}~")));
        wh.push(format!("area_code >= {a} AND area_code < {b}"));
    }
    if f.open_only || f.overdue_at.is_some() {
        wh.push("is_open = 1".into());
    }
    if f.closed_only {
        wh.push("is_open = 0".into());
    }
    if let Some(t) = f.overdue_at {
        let a = p(&mut args, Arg::I(t));
        wh.push(format!("due_at < {a}"));
    }
    if f.escalated {
        wh.push("escalations > 0".into());
    }
    if let Some(l) = f.level {
        let a = p(&mut args, Arg::S(l.as_str().into()));
        wh.push(format!("level = {a}"));
    }
    if let Some(s) = f.status {
        let a = p(&mut args, Arg::S(s.as_str().into()));
        wh.push(format!("status = {a}"));
    }
    if let Some(u) = &f.assignee {
        let a = p(&mut args, Arg::S(u.clone()));
        wh.push(format!("assignee_user_id = {a}"));
    }
    if let Some(u) = &f.reporter {
        let a = p(&mut args, Arg::S(u.clone()));
        wh.push(format!("reporter_user_id = {a}"));
    }
    if !f.type_codes.is_empty() {
        let list: Vec<String> = f
            .type_codes
            .iter()
            .map(|t| p(&mut args, Arg::S(t.clone())))
            .collect();
        wh.push(format!("type_code IN ({})", list.join(",")));
    }
    if !f.ids.is_empty() {
        let list: Vec<String> = f
            .ids
            .iter()
            .map(|t| p(&mut args, Arg::S(t.clone())))
            .collect();
        wh.push(format!("number IN ({})", list.join(",")));
    }
    if !f.case_ids.is_empty() {
        let list: Vec<String> = f
            .case_ids
            .iter()
            .map(|t| p(&mut args, Arg::S(t.clone())))
            .collect();
        wh.push(format!("id IN ({})", list.join(",")));
    }
    if let Some(t) = f.created_from {
        let a = p(&mut args, Arg::I(t));
        wh.push(format!("created_at >= {a}"));
    }
    if let Some(t) = f.created_to {
        let a = p(&mut args, Arg::I(t));
        wh.push(format!("created_at <= {a}"));
    }
    if f.public_only {
        wh.push("category <> 'emergency'".into());
    }
    let order = if f.by_due {
        "due_at, id"
    } else {
        "created_at DESC, id DESC"
    };
    let limit = f.limit.clamp(1, 1000);
    let lim = p(&mut args, Arg::I(limit + 1));
    let off = p(&mut args, Arg::I(f.offset.max(0)));
    Some((
        format!(
            "WHERE {} ORDER BY {order} LIMIT {lim} OFFSET {off}",
            wh.join(" AND ")
        ),
        args,
        limit,
    ))
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for a in args {
        q = match a {
            Arg::S(s) => q.bind(s),
            Arg::I(i) => q.bind(i),
        };
    }
    q
}

/// One page of cases and whether more follow.
pub async fn list(db: &Db, f: &CaseFilter) -> AppResult<(Vec<Case>, bool)> {
    let Some((tail, args, limit)) = list_tail(f) else {
        return Ok((Vec::new(), false));
    };
    let sql = format!("SELECT {CASE_COLS} FROM cases {tail}");
    let rows = bind_all(sqlx::query(&sql), args)
        .fetch_all(&db.read)
        .await?;
    let more = rows.len() as i64 > limit;
    let cases = rows
        .iter()
        .take(limit as usize)
        .map(row_to_case)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((cases, more))
}

/// What a queue row shows of a case (a narrow read: lists are the hot path).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CaseBrief {
    pub id: String,
    pub number: String,
    pub title: String,
    pub type_code: String,
    pub status: Status,
    pub org: String,
    pub escalations: i64,
    pub due_at: i64,
}

/// One page of queue rows and whether more follow.
pub async fn list_brief(db: &Db, f: &CaseFilter) -> AppResult<(Vec<CaseBrief>, bool)> {
    let Some((tail, args, limit)) = list_tail(f) else {
        return Ok((Vec::new(), false));
    };
    let sql = format!(
        "SELECT id, number, title, type_code, status, org, escalations, due_at FROM cases {tail}"
    );
    let rows = bind_all(sqlx::query(&sql), args)
        .fetch_all(&db.read)
        .await?;
    let more = rows.len() as i64 > limit;
    let briefs = rows
        .iter()
        .take(limit as usize)
        .map(|r| {
            Ok(CaseBrief {
                id: r.try_get(0)?,
                number: r.try_get(1)?,
                title: r.try_get(2)?,
                type_code: r.try_get(3)?,
                status: Status::parse(&r.try_get::<String, _>(4)?).ok_or_else(|| bad("status"))?,
                org: r.try_get(5)?,
                escalations: r.try_get(6)?,
                due_at: r.try_get(7)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((briefs, more))
}

enum Arg {
    S(String),
    I(i64),
}

/// Cases raised at or after `since`, in id order after `after_id`: what the search index
/// is built from.
pub async fn search_docs(
    db: &Db,
    since: i64,
    after_id: &str,
    limit: i64,
) -> AppResult<Vec<super::search::SearchDoc>> {
    let rows = sqlx::query(
        "SELECT id, number, area_code, grid_code, type_code, title, description, address, \
         created_at FROM cases WHERE id > $1 AND created_at >= $2 ORDER BY id LIMIT $3",
    )
    .bind(after_id)
    .bind(since)
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            let title: String = r.try_get(5)?;
            let description: String = r.try_get(6)?;
            let address: Option<String> = r.try_get(7)?;
            let text = super::search::SearchDoc::text_of(&title, &description, address.as_deref());
            Ok(super::search::SearchDoc {
                id: r.try_get(0)?,
                number: r.try_get(1)?,
                area_code: r.try_get(2)?,
                grid_code: r.try_get(3)?,
                type_code: r.try_get(4)?,
                text,
                created_at: r.try_get(8)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(Into::into)
}

/// Open cases of a type in an area raised since `since` (duplicate candidates).
pub async fn recent_open(
    db: &Db,
    area: &str,
    type_code: &str,
    since: i64,
) -> AppResult<Vec<(String, String, String, Option<f64>, Option<f64>)>> {
    let rows = sqlx::query(
        "SELECT id, number, description, lat, lon FROM cases WHERE area_code = $1 \
         AND type_code = $2 AND is_open = 1 AND created_at >= $3 ORDER BY created_at DESC LIMIT 50",
    )
    .bind(area.to_string())
    .bind(type_code.to_string())
    .bind(since)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
            ))
        })
        .collect()
}

/// The fields the escalation sweep reads, as text (see [`crate::db::packed`]).
const DUE_FIELDS: [&str; 16] = [
    "id",
    "number",
    "county_code",
    "type_code",
    "category",
    "area_code",
    "COALESCE(grid_code, '')",
    "status",
    "priority",
    "level",
    "org",
    "COALESCE(slipped_level, '')",
    "CAST(escalations AS TEXT)",
    "CAST(due_at AS TEXT)",
    "CAST(created_at AS TEXT)",
    "CAST(updated_at AS TEXT)",
];

/// A case as the escalation sweep needs it: what decides and records its escalation. The
/// texts, place, reporter and rating are not read (left empty): the sweep writes only the
/// columns of [`escalate_many`].
fn due_case(f: [&str; 16]) -> Result<Case, sqlx::Error> {
    let int = |i: usize, what: &str| f[i].parse::<i64>().map_err(|_| bad(what));
    Ok(Case {
        id: f[0].to_string(),
        number: f[1].to_string(),
        county_code: f[2].to_string(),
        type_code: f[3].to_string(),
        category: Category::parse(f[4]).ok_or_else(|| bad("category"))?,
        area_code: f[5].to_string(),
        grid_code: (!f[6].is_empty()).then(|| f[6].to_string()),
        status: Status::parse(f[7]).ok_or_else(|| bad("status"))?,
        priority: Priority::parse(f[8]).ok_or_else(|| bad("priority"))?,
        level: Level::parse(f[9]).ok_or_else(|| bad("level"))?,
        org: f[10].to_string(),
        slipped_level: Level::parse(f[11]),
        escalations: int(12, "escalations")?,
        due_at: int(13, "due_at")?,
        created_at: int(14, "created_at")?,
        updated_at: int(15, "updated_at")?,
        ..blank_case()
    })
}

/// Open cases of a county below the county level whose deadline has passed, in deadline
/// order after the key `after` (deadline, id), so a sweep never reads a row twice.
pub async fn due_for_escalation(
    conn: &mut AnyConnection,
    county: &str,
    now: i64,
    after: (i64, &str),
    limit: i64,
) -> AppResult<Vec<Case>> {
    // The batch comes back as one value: one row to hand over, not one per case.
    let joined: Option<String> = sqlx::query(&format!(
        "SELECT string_agg(p, '' ORDER BY d, i) FROM \
         (SELECT due_at AS d, id AS i, {} AS p FROM cases \
         WHERE county_code = $1 AND is_open = 1 AND due_at < $2 \
         AND due_at >= $3 AND (due_at > $3 OR id > $4) \
         AND level <> 'county' AND status NOT IN ('handled', 'verified') \
         ORDER BY due_at, id LIMIT $5) w",
        crate::db::packed(&DUE_FIELDS)
    ))
    .bind(county.to_string())
    .bind(now)
    .bind(after.0)
    .bind(after.1.to_string())
    .bind(limit)
    .fetch_one(conn)
    .await?
    .try_get(0)?;
    let mut rest = joined.as_deref().unwrap_or("");
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (f, tail) = crate::db::unpack_prefix::<16>(rest).ok_or_else(|| bad("packed case"))?;
        out.push(due_case(f)?);
        rest = tail;
    }
    Ok(out)
}

/// Write the escalation of many cases at once (level, organisation, slip, deadline, status).
pub async fn escalate_many(conn: &mut AnyConnection, cases: &[Case]) -> AppResult<()> {
    let backend = backend_of(conn);
    for chunk in crate::db::fixed_chunks(cases) {
        let sql = format!(
            "UPDATE cases SET status = v.column2, level = v.column3, org = v.column4, \
             slipped_level = v.column5, escalations = v.column6, due_at = v.column7, \
             updated_at = v.column8, assignee_user_id = NULL \
             FROM (VALUES {}) AS v WHERE cases.id = v.column1",
            values_list(backend, chunk.len(), 8, "")
        );
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q
                .bind(c.id.clone())
                .bind(c.status.as_str())
                .bind(c.level.as_str())
                .bind(c.org.clone())
                .bind(c.slipped_level.map(Level::as_str))
                .bind(c.escalations)
                .bind(c.due_at)
                .bind(c.updated_at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Counts behind the per-area indicators.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct IndicatorCounts {
    pub total: i64,
    pub open: i64,
    pub overdue: i64,
    pub resolved: i64,
    pub resolved_on_time: i64,
    pub resolved_at_village: i64,
    pub resolved_in_township: i64,
    pub slipped_here: i64,
    pub rated: i64,
    pub satisfied: i64,
}

/// Aggregate the cases of an area prefix (`slip_level`: the level whose slips to count).
pub async fn indicator_counts(
    db: &Db,
    prefix: &str,
    now: i64,
    slip_level: Level,
) -> AppResult<IndicatorCounts> {
    let row = sqlx::query(
        "SELECT COUNT(*), \
         SUM(CASE WHEN is_open = 1 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN is_open = 1 AND due_at < $3 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN closed_at IS NOT NULL THEN 1 ELSE 0 END), \
         SUM(CASE WHEN closed_at IS NOT NULL AND escalations = 0 AND handled_at <= due_at THEN 1 ELSE 0 END), \
         SUM(CASE WHEN closed_at IS NOT NULL AND level = 'village' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN closed_at IS NOT NULL AND level <> 'county' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN slipped_level = $4 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN rating IS NOT NULL THEN 1 ELSE 0 END), \
         SUM(CASE WHEN rating IN ('satisfied', 'basically') THEN 1 ELSE 0 END) \
         FROM cases WHERE area_code >= $1 AND area_code < $2 AND status <> 'rejected'",
    )
    .bind(prefix.to_string())
    .bind(format!("{prefix}~"))
    .bind(now)
    .bind(slip_level.as_str())
    .fetch_one(&db.read)
    .await?;
    let g = |i: usize| -> Result<i64, sqlx::Error> { Ok(r_opt(&row, i)?.unwrap_or(0)) };
    Ok(IndicatorCounts {
        total: g(0)?,
        open: g(1)?,
        overdue: g(2)?,
        resolved: g(3)?,
        resolved_on_time: g(4)?,
        resolved_at_village: g(5)?,
        resolved_in_township: g(6)?,
        slipped_here: g(7)?,
        rated: g(8)?,
        satisfied: g(9)?,
    })
}

fn r_opt(row: &sqlx::any::AnyRow, i: usize) -> Result<Option<i64>, sqlx::Error> {
    // SUM over no rows is NULL; PostgreSQL returns NUMERIC for SUM(int), so read both ways.
    match row.try_get::<Option<i64>, _>(i) {
        Ok(v) => Ok(v),
        Err(_) => Ok(row.try_get::<Option<f64>, _>(i)?.map(|f| f as i64)),
    }
}

// ---------------------------------------------------------------- notifications

/// An inbox entry to insert.
#[derive(Debug, Clone)]
pub struct NotificationRow {
    pub id: String,
    pub county_code: String,
    pub user_id: Option<String>,
    pub role: Option<String>,
    pub area_code: Option<String>,
    pub case_id: Option<String>,
    pub kind: String,
    pub body: String,
    pub created_at: i64,
}

pub async fn insert_notifications(
    conn: &mut AnyConnection,
    rows: &[NotificationRow],
) -> AppResult<()> {
    Ok(crate::db::run_chunked(conn, rows, push_insert_notifications).await?)
}

/// Add to `s` the multi-row inserts of inbox entries.
pub fn push_insert_notifications(s: &mut Script, rows: &[NotificationRow]) {
    for chunk in crate::db::fixed_chunks(rows) {
        let sql = format!(
            "INSERT INTO notifications (id, county_code, user_id, role, area_code, case_id, kind, \
             body, created_at) VALUES {}",
            values_list(s.backend(), chunk.len(), 9, "")
        );
        s.statement(&sql);
        for n in chunk {
            s.bind(n.id.clone())
                .bind(n.county_code.clone())
                .bind(n.user_id.clone())
                .bind(n.role.clone())
                .bind(n.area_code.clone())
                .bind(n.case_id.clone())
                .bind(n.kind.clone())
                .bind(n.body.clone())
                .bind(n.created_at);
        }
    }
}

/// A notification as shown in the inbox.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Notification {
    pub id: String,
    pub case_id: Option<String>,
    pub kind: String,
    pub body: String,
    pub created_at: i64,
    pub read: bool,
}

/// The inbox: addressed to the user, or to a role they hold on an area (exact code).
pub async fn inbox(
    db: &Db,
    user_id: &str,
    role_areas: &[(String, String)],
    limit: i64,
) -> AppResult<Vec<Notification>> {
    let mut conds = vec!["user_id = $1".to_string()];
    let mut binds = vec![user_id.to_string()];
    for (role, area) in role_areas {
        binds.push(role.clone());
        binds.push(area.clone());
        conds.push(format!(
            "(role = ${} AND area_code = ${})",
            binds.len() - 1,
            binds.len()
        ));
    }
    let sql = format!(
        "SELECT id, case_id, kind, body, created_at, read_at FROM notifications WHERE {} \
         ORDER BY created_at DESC LIMIT {}",
        conds.join(" OR "),
        limit.clamp(1, 500)
    );
    let mut q = sqlx::query(&sql);
    for b in binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(&db.read).await?;
    rows.iter()
        .map(|r| {
            Ok(Notification {
                id: r.try_get(0)?,
                case_id: r.try_get(1)?,
                kind: r.try_get(2)?,
                body: r.try_get(3)?,
                created_at: r.try_get(4)?,
                read: r.try_get::<Option<i64>, _>(5)?.is_some(),
            })
        })
        .collect()
}

// ---------------------------------------------------------------- duty roster

/// Users on duty for an area at an instant.
pub async fn on_duty(db: &Db, area: &str, at: i64) -> AppResult<Vec<String>> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT user_id FROM duty_roster WHERE area_code = $1 AND starts_at <= $2 AND ends_at > $2",
    )
    .bind(area.to_string())
    .bind(at)
    .fetch_all(&db.read)
    .await?;
    Ok(rows)
}

pub async fn insert_duty(
    conn: &mut AnyConnection,
    id: &str,
    county: &str,
    area: &str,
    user_id: &str,
    starts_at: i64,
    ends_at: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO duty_roster (id, county_code, area_code, user_id, starts_at, ends_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_string())
    .bind(county.to_string())
    .bind(area.to_string())
    .bind(user_id.to_string())
    .bind(starts_at)
    .bind(ends_at)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- Open311 keys

pub async fn insert_api_key(
    conn: &mut AnyConnection,
    key_hash: &str,
    county: &str,
    name: &str,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO api_keys (key_hash, county_code, name, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(key_hash.to_string())
    .bind(county.to_string())
    .bind(name.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The (county, name) of a live API key.
pub async fn api_key(db: &Db, key_hash: &str) -> AppResult<Option<(String, String)>> {
    let row = sqlx::query(
        "SELECT county_code, name FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind(key_hash.to_string())
    .fetch_optional(&db.read)
    .await?;
    Ok(match row {
        Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
        None => None,
    })
}

/// Timeline entries of public cases updated in a window (the Open311 updates feed).
pub async fn updates_between(
    db: &Db,
    county: &str,
    from: i64,
    to: i64,
    limit: i64,
) -> AppResult<Vec<(CaseEvent, String)>> {
    let rows = sqlx::query(
        "SELECT e.id, e.case_id, e.at, e.actor_name, e.action, e.from_status, e.to_status, \
         e.note, e.public, c.number FROM case_events e JOIN cases c ON c.id = e.case_id \
         WHERE e.county_code = $1 AND e.at >= $2 AND e.at <= $3 AND e.public = 1 \
         AND c.category <> 'emergency' ORDER BY e.at, e.id LIMIT $4",
    )
    .bind(county.to_string())
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                CaseEvent {
                    id: r.try_get(0)?,
                    case_id: r.try_get(1)?,
                    at: r.try_get(2)?,
                    actor_name: r.try_get(3)?,
                    action: r.try_get(4)?,
                    from_status: r
                        .try_get::<Option<String>, _>(5)?
                        .and_then(|s| Status::parse(&s)),
                    to_status: Status::parse(&r.try_get::<String, _>(6)?)
                        .unwrap_or(Status::Reported),
                    note: r.try_get(7)?,
                    public: r.try_get::<i64, _>(8)? != 0,
                },
                r.try_get(9)?,
            ))
        })
        .collect()
}

// ---------------------------------------------------------------- tips

#[allow(clippy::too_many_arguments)]
pub async fn insert_tip(
    conn: &mut AnyConnection,
    id: &str,
    county: &str,
    area: &str,
    receipt_hash: &str,
    body_enc: &[u8],
    reporter_enc: Option<&[u8]>,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO tips (id, county_code, area_code, receipt_hash, body_enc, reporter_enc, \
         status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'received', $7, $7)",
    )
    .bind(id.to_string())
    .bind(county.to_string())
    .bind(area.to_string())
    .bind(receipt_hash.to_string())
    .bind(body_enc.to_vec())
    .bind(reporter_enc.map(<[u8]>::to_vec))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A tip row: (id, area, status, body_enc, reporter_enc, created_at).
pub type TipRow = (String, String, String, Vec<u8>, Option<Vec<u8>>, i64);

fn row_to_tip(r: &sqlx::any::AnyRow) -> Result<TipRow, sqlx::Error> {
    Ok((
        r.try_get(0)?,
        r.try_get(1)?,
        r.try_get(2)?,
        r.try_get(3)?,
        r.try_get(4)?,
        r.try_get(5)?,
    ))
}

pub async fn tip(conn: &mut AnyConnection, id: &str) -> AppResult<Option<TipRow>> {
    let row = sqlx::query(
        "SELECT id, area_code, status, body_enc, reporter_enc, created_at FROM tips WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(row_to_tip).transpose()?)
}

/// (id, area, status, created_at) of tips in areas under the prefixes: no content.
pub async fn tip_list(db: &Db, prefix: &str) -> AppResult<Vec<(String, String, String, i64)>> {
    let rows = sqlx::query(
        "SELECT id, area_code, status, created_at FROM tips WHERE area_code >= $1 \
         AND area_code < $2 ORDER BY created_at DESC LIMIT 200",
    )
    .bind(prefix.to_string())
    .bind(format!("{prefix}~"))
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect()
}

/// The status of a tip by its receipt code hash (what an anonymous reporter may know).
pub async fn tip_status_by_receipt(db: &Db, receipt_hash: &str) -> AppResult<Option<String>> {
    let v: Option<String> = sqlx::query_scalar("SELECT status FROM tips WHERE receipt_hash = $1")
        .bind(receipt_hash.to_string())
        .fetch_optional(&db.read)
        .await?;
    Ok(v)
}

pub async fn set_tip_status(
    conn: &mut AnyConnection,
    id: &str,
    status: &str,
    now: i64,
) -> AppResult<u64> {
    let r = sqlx::query("UPDATE tips SET status = $2, updated_at = $3 WHERE id = $1")
        .bind(id.to_string())
        .bind(status.to_string())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

// ---------------------------------------------------------------- mediation

/// The mediation record of a dispute case.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Mediation {
    pub case_id: String,
    pub consent_a: Option<bool>,
    pub consent_b: Option<bool>,
    pub sessions: i64,
    pub agreement: Option<String>,
    pub agreement_at: Option<i64>,
    /// Deadline to apply for court confirmation (agreement + 30 days, R-MED-1).
    pub confirm_due: Option<i64>,
    pub reminder_stage: i64,
}

fn row_to_mediation(r: &sqlx::any::AnyRow) -> Result<Mediation, sqlx::Error> {
    let flag = |i: usize| -> Result<Option<bool>, sqlx::Error> {
        Ok(r.try_get::<Option<i64>, _>(i)?.map(|v| v != 0))
    };
    Ok(Mediation {
        case_id: r.try_get(0)?,
        consent_a: flag(1)?,
        consent_b: flag(2)?,
        sessions: r.try_get(3)?,
        agreement: r.try_get(4)?,
        agreement_at: r.try_get(5)?,
        confirm_due: r.try_get(6)?,
        reminder_stage: r.try_get(7)?,
    })
}

const MEDIATION_COLS: &str =
    "case_id, consent_a, consent_b, sessions, agreement, agreement_at, confirm_due, reminder_stage";

pub async fn mediation(conn: &mut AnyConnection, case_id: &str) -> AppResult<Option<Mediation>> {
    let row = sqlx::query(&format!(
        "SELECT {MEDIATION_COLS} FROM mediations WHERE case_id = $1"
    ))
    .bind(case_id.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(row_to_mediation).transpose()?)
}

pub async fn mediation_read(db: &Db, case_id: &str) -> AppResult<Option<Mediation>> {
    let mut conn = db.read.acquire().await?;
    mediation(&mut conn, case_id).await
}

pub async fn put_mediation(
    conn: &mut AnyConnection,
    county: &str,
    m: &Mediation,
    now: i64,
) -> AppResult<()> {
    sqlx::query(&format!(
        "INSERT INTO mediations ({MEDIATION_COLS}, county_code, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (case_id) DO UPDATE SET \
         consent_a = excluded.consent_a, consent_b = excluded.consent_b, \
         sessions = excluded.sessions, agreement = excluded.agreement, \
         agreement_at = excluded.agreement_at, confirm_due = excluded.confirm_due, \
         reminder_stage = excluded.reminder_stage, updated_at = excluded.updated_at"
    ))
    .bind(m.case_id.clone())
    .bind(m.consent_a.map(i64::from))
    .bind(m.consent_b.map(i64::from))
    .bind(m.sessions)
    .bind(m.agreement.clone())
    .bind(m.agreement_at)
    .bind(m.confirm_due)
    .bind(m.reminder_stage)
    .bind(county.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Agreements whose court-confirmation deadline is within `window` of `now` and whose
/// reminder stage is below `stage`: (mediation, the case's handler, the case's reporter).
pub async fn confirmations_due(
    conn: &mut AnyConnection,
    now: i64,
    window: i64,
    stage: i64,
) -> AppResult<Vec<(Mediation, String, Option<String>, Option<String>)>> {
    let rows = sqlx::query(
        "SELECT m.case_id, m.consent_a, m.consent_b, m.sessions, m.agreement, m.agreement_at, \
         m.confirm_due, m.reminder_stage, c.county_code, c.handler_user_id, c.reporter_user_id \
         FROM mediations m JOIN cases c ON c.id = m.case_id \
         WHERE m.confirm_due IS NOT NULL AND m.confirm_due > $1 AND m.confirm_due <= $2 \
         AND m.reminder_stage < $3 ORDER BY m.confirm_due LIMIT 5000",
    )
    .bind(now)
    .bind(now + window)
    .bind(stage)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                row_to_mediation(r)?,
                r.try_get(8)?,
                r.try_get(9)?,
                r.try_get(10)?,
            ))
        })
        .collect()
}

// ---------------------------------------------------------------- attachments

pub async fn insert_attachment(
    conn: &mut AnyConnection,
    a: &super::attachments::Attachment,
    county: &str,
    digest: &str,
    key: &str,
    uploaded_by: &str,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO attachments (id, case_id, county_code, kind, content_type, size, digest, \
         storage_key, width, height, name, uploaded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(a.id.clone())
    .bind(a.case_id.clone())
    .bind(county.to_string())
    .bind(a.kind.clone())
    .bind(a.content_type.clone())
    .bind(a.size)
    .bind(digest.to_string())
    .bind(key.to_string())
    .bind(a.width)
    .bind(a.height)
    .bind(a.name.clone())
    .bind(Some(uploaded_by.to_string()).filter(|s| !s.is_empty()))
    .bind(a.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

const ATTACHMENT_COLS: &str =
    "id, case_id, kind, content_type, size, width, height, name, created_at, digest, storage_key";

fn row_to_attachment(
    r: &sqlx::any::AnyRow,
) -> Result<(super::attachments::Attachment, String, String), sqlx::Error> {
    Ok((
        super::attachments::Attachment {
            id: r.try_get(0)?,
            case_id: r.try_get(1)?,
            kind: r.try_get(2)?,
            content_type: r.try_get(3)?,
            size: r.try_get(4)?,
            width: r.try_get(5)?,
            height: r.try_get(6)?,
            name: r.try_get(7)?,
            created_at: r.try_get(8)?,
        },
        r.try_get(9)?,
        r.try_get(10)?,
    ))
}

pub async fn attachments(db: &Db, case_id: &str) -> AppResult<Vec<super::attachments::Attachment>> {
    let rows = sqlx::query(&format!(
        "SELECT {ATTACHMENT_COLS} FROM attachments WHERE case_id = $1 ORDER BY created_at, id"
    ))
    .bind(case_id.to_string())
    .fetch_all(&db.read)
    .await?;
    rows.iter().map(|r| Ok(row_to_attachment(r)?.0)).collect()
}

/// An attachment with its digest and storage key.
pub async fn attachment(
    db: &Db,
    id: &str,
) -> AppResult<Option<(super::attachments::Attachment, String, String)>> {
    let row = sqlx::query(&format!(
        "SELECT {ATTACHMENT_COLS} FROM attachments WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(&db.read)
    .await?;
    Ok(row.as_ref().map(row_to_attachment).transpose()?)
}

/// Shifts of an area ending after `from`, with the user's display name.
pub async fn duty_list(db: &Db, area: &str, from: i64) -> AppResult<Vec<super::duty::Shift>> {
    let rows = sqlx::query(
        "SELECT d.id, d.area_code, d.user_id, u.display_name, d.starts_at, d.ends_at \
         FROM duty_roster d JOIN users u ON u.id = d.user_id \
         WHERE d.area_code = $1 AND d.ends_at > $2 ORDER BY d.starts_at LIMIT 200",
    )
    .bind(area.to_string())
    .bind(from)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(super::duty::Shift {
                id: r.try_get(0)?,
                area_code: r.try_get(1)?,
                user_id: r.try_get(2)?,
                display_name: r.try_get(3)?,
                starts_at: r.try_get(4)?,
                ends_at: r.try_get(5)?,
            })
        })
        .collect()
}
