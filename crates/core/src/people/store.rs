//! SQL of the people slice. Identifiers arrive here already encrypted.

use sqlx::{AnyConnection, Row};

use super::idnum::age_on;
use super::model::{HouseholdSummary, Kin, PersonSummary};
use crate::db::{backend_of, values_list, Backend, Db};
use crate::error::AppResult;

/// A person row ready to insert (identifiers encrypted by the service).
#[derive(Debug, Clone)]
pub struct PersonRow {
    pub id: String,
    pub county_code: String,
    pub area_code: String,
    pub grid_code: Option<String>,
    pub household_id: Option<String>,
    pub relation: String,
    pub name: String,
    pub id_type: String,
    pub id_enc: Vec<u8>,
    pub id_bidx: String,
    pub id_masked: String,
    pub id_original_enc: Option<Vec<u8>>,
    pub birth_date: String,
    pub sex: String,
    pub phone_enc: Option<Vec<u8>>,
    pub phone_bidx: Option<String>,
    pub phone_masked: Option<String>,
    pub flags: [bool; 4],
}

/// A household row ready to insert.
#[derive(Debug, Clone)]
pub struct HouseholdRow {
    pub id: String,
    pub county_code: String,
    pub area_code: String,
    pub grid_code: Option<String>,
    pub number: String,
    pub address: String,
    pub head_person_id: Option<String>,
    pub member_count: i64,
}

/// Where a list looks.
#[derive(Debug, Clone)]
pub enum AreaFilter {
    /// Everything whose area code starts with the prefix.
    Prefix(String),
    /// One grid.
    Grid(String),
}

impl AreaFilter {
    fn sql(&self, col_area: &str, col_grid: &str, first: usize) -> String {
        match self {
            AreaFilter::Prefix(_) => {
                format!("{col_area} >= ${} AND {col_area} < ${}", first, first + 1)
            }
            AreaFilter::Grid(_) => format!("{col_grid} = ${first} AND ${} = ''", first + 1),
        }
    }

    fn binds(&self) -> (String, String) {
        match self {
            AreaFilter::Prefix(p) => (p.clone(), format!("{p}~")),
            AreaFilter::Grid(g) => (g.clone(), String::new()),
        }
    }
}

const PERSON_COLS: usize = 22;

/// Rows per multi-row INSERT (see [`values_list`] for why SQLite's placeholders are anonymous).
const PERSONS_PER_STATEMENT: usize = 64;
const HOUSEHOLDS_PER_STATEMENT: usize = 200;

fn person_values_sql(backend: Backend, n: usize, now: i64) -> String {
    let mut sql = String::from(
        "INSERT INTO persons (id, county_code, area_code, grid_code, household_id, relation, name, id_type, \
         id_enc, id_bidx, id_masked, id_original_enc, birth_date, sex, phone_enc, phone_bidx, phone_masked, \
         is_party_member, is_representative, is_cadre, is_supervisor, created_at, updated_at) VALUES ",
    );
    // created_at and updated_at are the same integer for every row: literal SQL.
    sql.push_str(&values_list(
        backend,
        n,
        PERSON_COLS - 1,
        &format!(",{now},{now}"),
    ));
    sql
}

/// Insert persons with multi-row statements.
pub async fn insert_persons(
    conn: &mut AnyConnection,
    rows: &[PersonRow],
    now: i64,
) -> AppResult<()> {
    let backend = backend_of(conn);
    for chunk in rows.chunks(PERSONS_PER_STATEMENT) {
        let sql = person_values_sql(backend, chunk.len(), now);
        let mut q = sqlx::query(&sql);
        for p in chunk {
            q = q
                .bind(p.id.as_str())
                .bind(p.county_code.as_str())
                .bind(p.area_code.as_str())
                .bind(p.grid_code.as_deref())
                .bind(p.household_id.as_deref())
                .bind(p.relation.as_str())
                .bind(p.name.as_str())
                .bind(p.id_type.as_str())
                .bind(p.id_enc.as_slice())
                .bind(p.id_bidx.as_str())
                .bind(p.id_masked.as_str())
                .bind(p.id_original_enc.as_deref())
                .bind(p.birth_date.as_str())
                .bind(p.sex.as_str())
                .bind(p.phone_enc.as_deref())
                .bind(p.phone_bidx.as_deref())
                .bind(p.phone_masked.as_deref())
                .bind(i64::from(p.flags[0]))
                .bind(i64::from(p.flags[1]))
                .bind(i64::from(p.flags[2]))
                .bind(i64::from(p.flags[3]));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Insert households with multi-row statements.
pub async fn insert_households(
    conn: &mut AnyConnection,
    rows: &[HouseholdRow],
    now: i64,
) -> AppResult<()> {
    let backend = backend_of(conn);
    for chunk in rows.chunks(HOUSEHOLDS_PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO households (id, county_code, area_code, grid_code, number, address, head_person_id, \
             member_count, created_at, updated_at) VALUES ",
        );
        sql.push_str(&values_list(
            backend,
            chunk.len(),
            8,
            &format!(",{now},{now}"),
        ));
        let mut q = sqlx::query(&sql);
        for h in chunk {
            q = q
                .bind(h.id.as_str())
                .bind(h.county_code.as_str())
                .bind(h.area_code.as_str())
                .bind(h.grid_code.as_deref())
                .bind(h.number.as_str())
                .bind(h.address.as_str())
                .bind(h.head_person_id.as_deref())
                .bind(h.member_count);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Recount members and pick the head of the given households.
pub async fn refresh_households(
    conn: &mut AnyConnection,
    ids: &[String],
    now: i64,
) -> AppResult<()> {
    for id in ids {
        sqlx::query(
            "UPDATE households SET member_count = (SELECT COUNT(*) FROM persons WHERE household_id = $1 AND status = 'active'), \
             head_person_id = COALESCE((SELECT id FROM persons WHERE household_id = $1 AND relation = 'head' AND status = 'active' ORDER BY created_at LIMIT 1), head_person_id), \
             updated_at = $2 WHERE id = $1",
        )
        .bind(id.clone())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn find_household(
    conn: &mut AnyConnection,
    area_code: &str,
    number: &str,
) -> AppResult<Option<(String, Option<String>)>> {
    let row =
        sqlx::query("SELECT id, grid_code FROM households WHERE area_code = $1 AND number = $2")
            .bind(area_code.to_string())
            .bind(number.to_string())
            .fetch_optional(conn)
            .await?;
    Ok(match row {
        Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
        None => None,
    })
}

/// Household keys `(area_code, number) → id` inside a prefix (for imports).
pub async fn household_keys(
    conn: &mut AnyConnection,
    prefix: &str,
) -> AppResult<Vec<(String, String, String)>> {
    let rows = sqlx::query(
        "SELECT area_code, number, id FROM households WHERE area_code >= $1 AND area_code < $2",
    )
    .bind(prefix.to_string())
    .bind(format!("{prefix}~"))
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Which of these blind indexes are already registered in the county.
pub async fn existing_bidx(
    conn: &mut AnyConnection,
    county: &str,
    bidx: &[String],
) -> AppResult<Vec<String>> {
    let mut out = Vec::new();
    for chunk in bidx.chunks(500) {
        let mut sql =
            String::from("SELECT id_bidx FROM persons WHERE county_code = $1 AND id_bidx IN (");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("${}", i + 2));
        }
        sql.push(')');
        let mut q = sqlx::query_scalar::<_, String>(&sql).bind(county.to_string());
        for b in chunk {
            q = q.bind(b.clone());
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

const SUMMARY_COLS: &str = "p.id, p.name, p.sex, p.birth_date, p.id_masked, p.phone_masked, p.area_code, \
    p.grid_code, p.household_id, p.relation, p.is_party_member, p.is_representative, p.is_cadre, p.is_supervisor";

fn row_to_summary(
    r: &sqlx::any::AnyRow,
    today: chrono::NaiveDate,
) -> Result<PersonSummary, sqlx::Error> {
    let birth: String = r.try_get(3)?;
    let age = chrono::NaiveDate::parse_from_str(&birth, "%Y-%m-%d")
        .map(|b| age_on(b, today))
        .unwrap_or(0);
    Ok(PersonSummary {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        sex: r.try_get(2)?,
        birth_date: birth,
        age,
        id_masked: r.try_get(4)?,
        phone_masked: r.try_get(5)?,
        area_code: r.try_get(6)?,
        grid_code: r.try_get(7)?,
        household_id: r.try_get(8)?,
        relation: r.try_get(9)?,
        is_party_member: r.try_get::<i64, _>(10)? != 0,
        is_representative: r.try_get::<i64, _>(11)? != 0,
        is_cadre: r.try_get::<i64, _>(12)? != 0,
        is_supervisor: r.try_get::<i64, _>(13)? != 0,
    })
}

/// List people (masked), filtered by area and an optional name prefix. Returns up to `limit`.
pub async fn list_people(
    db: &Db,
    filter: &AreaFilter,
    name_prefix: &str,
    offset: i64,
    limit: i64,
    today: chrono::NaiveDate,
) -> AppResult<Vec<PersonSummary>> {
    let (a, b) = filter.binds();
    let sql = format!(
        "SELECT {SUMMARY_COLS} FROM persons p WHERE {} AND p.status = 'active' AND ($3 = '' OR p.name LIKE $3 || '%') \
         ORDER BY p.area_code, p.name, p.id LIMIT $4 OFFSET $5",
        filter.sql("p.area_code", "p.grid_code", 1)
    );
    let rows = sqlx::query(&sql)
        .bind(a)
        .bind(b)
        .bind(name_prefix.to_string())
        .bind(limit)
        .bind(offset)
        .fetch_all(&db.read)
        .await?;
    Ok(rows
        .iter()
        .map(|r| row_to_summary(r, today))
        .collect::<Result<_, _>>()?)
}

pub async fn count_people(db: &Db, filter: &AreaFilter, name_prefix: &str) -> AppResult<i64> {
    let (a, b) = filter.binds();
    let sql = format!(
        "SELECT COUNT(*) FROM persons p WHERE {} AND p.status = 'active' AND ($3 = '' OR p.name LIKE $3 || '%')",
        filter.sql("p.area_code", "p.grid_code", 1)
    );
    Ok(sqlx::query_scalar(&sql)
        .bind(a)
        .bind(b)
        .bind(name_prefix.to_string())
        .fetch_one(&db.read)
        .await?)
}

pub async fn get_person(
    db: &Db,
    id: &str,
    today: chrono::NaiveDate,
) -> AppResult<Option<PersonSummary>> {
    let row = sqlx::query(&format!(
        "SELECT {SUMMARY_COLS} FROM persons p WHERE p.id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(&db.read)
    .await?;
    Ok(row.as_ref().map(|r| row_to_summary(r, today)).transpose()?)
}

pub async fn get_person_tx(
    conn: &mut AnyConnection,
    id: &str,
    today: chrono::NaiveDate,
) -> AppResult<Option<PersonSummary>> {
    let row = sqlx::query(&format!(
        "SELECT {SUMMARY_COLS} FROM persons p WHERE p.id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(|r| row_to_summary(r, today)).transpose()?)
}

/// Members of a household, head first.
pub async fn household_members(
    db: &Db,
    household_id: &str,
    today: chrono::NaiveDate,
) -> AppResult<Vec<PersonSummary>> {
    let rows = sqlx::query(&format!(
        "SELECT {SUMMARY_COLS} FROM persons p WHERE p.household_id = $1 AND p.status = 'active' \
         ORDER BY CASE p.relation WHEN 'head' THEN 0 WHEN 'spouse' THEN 1 ELSE 2 END, p.birth_date"
    ))
    .bind(household_id.to_string())
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .iter()
        .map(|r| row_to_summary(r, today))
        .collect::<Result<_, _>>()?)
}

/// Encrypted identifier columns of one person: (area_code, grid_code, id_enc, phone_enc).
pub async fn secrets(
    conn: &mut AnyConnection,
    id: &str,
) -> AppResult<Option<(String, Option<String>, Vec<u8>, Option<Vec<u8>>)>> {
    let row =
        sqlx::query("SELECT area_code, grid_code, id_enc, phone_enc FROM persons WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(conn)
            .await?;
    Ok(match row {
        Some(r) => Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)),
        None => None,
    })
}

/// Find a person by the blind index of an ID number.
pub async fn find_by_bidx(
    conn: &mut AnyConnection,
    county: &str,
    bidx: &str,
) -> AppResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM persons WHERE county_code = $1 AND id_bidx = $2")
            .bind(county.to_string())
            .bind(bidx.to_string())
            .fetch_optional(conn)
            .await?,
    )
}

/// Update the editable columns of a person.
pub async fn update_person(conn: &mut AnyConnection, p: &PersonRow, now: i64) -> AppResult<()> {
    sqlx::query(
        "UPDATE persons SET area_code = $2, grid_code = $3, household_id = $4, relation = $5, name = $6, \
         phone_enc = $7, phone_bidx = $8, phone_masked = $9, is_party_member = $10, is_representative = $11, \
         is_cadre = $12, is_supervisor = $13, updated_at = $14 WHERE id = $1",
    )
    .bind(p.id.clone())
    .bind(p.area_code.clone())
    .bind(p.grid_code.clone())
    .bind(p.household_id.clone())
    .bind(p.relation.clone())
    .bind(p.name.clone())
    .bind(p.phone_enc.clone())
    .bind(p.phone_bidx.clone())
    .bind(p.phone_masked.clone())
    .bind(i64::from(p.flags[0]))
    .bind(i64::from(p.flags[1]))
    .bind(i64::from(p.flags[2]))
    .bind(i64::from(p.flags[3]))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The household list of one area (the cadre's everyday page).
/// One page of households with the total count of the filter (one round trip: the count is
/// an uncorrelated subquery, evaluated once).
pub async fn list_households(
    db: &Db,
    filter: &AreaFilter,
    offset: i64,
    limit: i64,
) -> AppResult<(Vec<HouseholdSummary>, i64)> {
    let (a, b) = filter.binds();
    let sql = format!(
        "SELECT h.id, h.number, h.address, h.area_code, a.name, p.name, h.member_count, \
         (SELECT COUNT(*) FROM households c WHERE {}) FROM households h \
         JOIN areas a ON a.code = h.area_code LEFT JOIN persons p ON p.id = h.head_person_id \
         WHERE {} ORDER BY h.area_code, h.number LIMIT $3 OFFSET $4",
        filter.sql("c.area_code", "c.grid_code", 1),
        filter.sql("h.area_code", "h.grid_code", 1)
    );
    let rows = sqlx::query(&sql)
        .bind(a)
        .bind(b)
        .bind(limit)
        .bind(offset)
        .fetch_all(&db.read)
        .await?;
    let mut total = None;
    let list = rows
        .iter()
        .map(|r| {
            total = Some(r.try_get::<i64, _>(7)?);
            Ok(HouseholdSummary {
                id: r.try_get(0)?,
                number: r.try_get(1)?,
                address: r.try_get(2)?,
                area_code: r.try_get(3)?,
                area_name: r.try_get(4)?,
                head_name: r.try_get(5)?,
                member_count: r.try_get(6)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let total = match total {
        Some(t) => t,
        // Past the last page: count on its own.
        None => count_households(db, filter).await?,
    };
    Ok((list, total))
}

pub async fn count_households(db: &Db, filter: &AreaFilter) -> AppResult<i64> {
    let (a, b) = filter.binds();
    let sql = format!(
        "SELECT COUNT(*) FROM households h WHERE {}",
        filter.sql("h.area_code", "h.grid_code", 1)
    );
    Ok(sqlx::query_scalar(&sql)
        .bind(a)
        .bind(b)
        .fetch_one(&db.read)
        .await?)
}

pub async fn get_household(
    db: &Db,
    id: &str,
) -> AppResult<Option<(HouseholdSummary, Option<String>)>> {
    let row = sqlx::query(
        "SELECT h.id, h.number, h.address, h.area_code, a.name, p.name, h.member_count, h.grid_code FROM households h \
         JOIN areas a ON a.code = h.area_code LEFT JOIN persons p ON p.id = h.head_person_id WHERE h.id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(&db.read)
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some((
        HouseholdSummary {
            id: r.try_get(0)?,
            number: r.try_get(1)?,
            address: r.try_get(2)?,
            area_code: r.try_get(3)?,
            area_name: r.try_get(4)?,
            head_name: r.try_get(5)?,
            member_count: r.try_get(6)?,
        },
        r.try_get(7)?,
    )))
}

pub async fn insert_link(
    conn: &mut AnyConnection,
    a: &str,
    b: &str,
    relation: &str,
    county: &str,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO person_links (person_id, relative_id, relation, county_code) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (person_id, relative_id) DO UPDATE SET relation = excluded.relation",
    )
    .bind(a.to_string())
    .bind(b.to_string())
    .bind(relation.to_string())
    .bind(county.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Kin of a person: explicit links in both directions.
pub async fn kin(db: &Db, id: &str) -> AppResult<Vec<Kin>> {
    let rows = sqlx::query(
        "SELECT p.id, p.name, l.relation FROM person_links l JOIN persons p ON p.id = l.relative_id WHERE l.person_id = $1 \
         UNION SELECT p.id, p.name, l.relation FROM person_links l JOIN persons p ON p.id = l.person_id WHERE l.relative_id = $1",
    )
    .bind(id.to_string())
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Kin {
                person_id: r.try_get(0)?,
                name: r.try_get(1)?,
                relation: r.try_get(2)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// All persons for export inside a filter (masked values only).
pub async fn export_rows(
    db: &Db,
    filter: &AreaFilter,
    today: chrono::NaiveDate,
) -> AppResult<Vec<(PersonSummary, Option<String>)>> {
    let (a, b) = filter.binds();
    let sql = format!(
        "SELECT {SUMMARY_COLS}, h.number FROM persons p LEFT JOIN households h ON h.id = p.household_id \
         WHERE {} AND p.status = 'active' ORDER BY p.area_code, h.number, p.relation",
        filter.sql("p.area_code", "p.grid_code", 1)
    );
    let rows = sqlx::query(&sql)
        .bind(a)
        .bind(b)
        .fetch_all(&db.read)
        .await?;
    rows.iter()
        .map(|r| Ok((row_to_summary(r, today)?, r.try_get(14)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Birth-year histogram and role counts inside a filter: (year, people, party members).
pub async fn year_counts(db: &Db, filter: &AreaFilter) -> AppResult<Vec<(i64, i64, i64)>> {
    let (a, b) = filter.binds();
    let sql = format!(
        "SELECT CAST(substr(p.birth_date, 1, 4) AS INTEGER), COUNT(*), SUM(p.is_party_member) FROM persons p \
         WHERE {} AND p.status = 'active' GROUP BY 1",
        filter.sql("p.area_code", "p.grid_code", 1)
    );
    let rows = sqlx::query(&sql)
        .bind(a)
        .bind(b)
        .fetch_all(&db.read)
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<i64, _>(0)?,
                r.try_get::<i64, _>(1)?,
                r.try_get::<i64, _>(2)?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// The registry record behind a self-registration: (id, name, phone_bidx, area_code, county_code).
pub async fn registry_match(
    conn: &mut AnyConnection,
    id_bidx: &str,
) -> AppResult<Option<(String, String, Option<String>, String, String)>> {
    let r = sqlx::query(
        "SELECT id, name, phone_bidx, area_code, county_code FROM persons WHERE id_bidx = $1 AND status = 'active'",
    )
    .bind(id_bidx.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(match r {
        Some(r) => Some((
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get(3)?,
            r.try_get(4)?,
        )),
        None => None,
    })
}
