//! SQL of the areas slice.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::code::AreaLevel;
use crate::db::Db;
use crate::error::AppResult;

/// One area (division) record.
#[derive(Debug, Clone, Serialize)]
pub struct Area {
    pub code: String,
    pub county_code: String,
    pub parent_code: Option<String>,
    pub level: AreaLevel,
    pub name: String,
    pub kind: Option<String>,
    pub valid_from: String,
    pub valid_to: Option<String>,
}

const COLS: &str = "code, county_code, parent_code, level, name, kind, valid_from, valid_to";

fn row_to_area(r: &sqlx::any::AnyRow) -> Result<Area, sqlx::Error> {
    let level: String = r.try_get(3)?;
    Ok(Area {
        code: r.try_get(0)?,
        county_code: r.try_get(1)?,
        parent_code: r.try_get(2)?,
        level: AreaLevel::parse(&level).unwrap_or(AreaLevel::Village),
        name: r.try_get(4)?,
        kind: r.try_get(5)?,
        valid_from: r.try_get(6)?,
        valid_to: r.try_get(7)?,
    })
}

pub async fn insert(conn: &mut AnyConnection, a: &Area, now: i64) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO areas (code, county_code, parent_code, level, name, kind, valid_from, valid_to, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(a.code.clone())
    .bind(a.county_code.clone())
    .bind(a.parent_code.clone())
    .bind(a.level.as_str())
    .bind(a.name.clone())
    .bind(a.kind.clone())
    .bind(a.valid_from.clone())
    .bind(a.valid_to.clone())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Insert many areas with multi-row statements (demo and imports).
pub async fn insert_many(conn: &mut AnyConnection, areas: &[Area], now: i64) -> AppResult<()> {
    for chunk in areas.chunks(100) {
        let mut sql = String::from(
            "INSERT INTO areas (code, county_code, parent_code, level, name, kind, valid_from, valid_to, created_at) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 9;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9
            ));
        }
        let mut q = sqlx::query(&sql);
        for a in chunk {
            q = q
                .bind(a.code.clone())
                .bind(a.county_code.clone())
                .bind(a.parent_code.clone())
                .bind(a.level.as_str())
                .bind(a.name.clone())
                .bind(a.kind.clone())
                .bind(a.valid_from.clone())
                .bind(a.valid_to.clone())
                .bind(now);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn get(db: &Db, code: &str) -> AppResult<Option<Area>> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM areas WHERE code = $1"))
        .bind(code.to_string())
        .fetch_optional(&db.read)
        .await?;
    Ok(row.as_ref().map(row_to_area).transpose()?)
}

pub async fn get_tx(conn: &mut AnyConnection, code: &str) -> AppResult<Option<Area>> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM areas WHERE code = $1"))
        .bind(code.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(row_to_area).transpose()?)
}

/// Every area whose code starts with `prefix`, ordered by code (a subtree).
pub async fn subtree(db: &Db, prefix: &str, include_retired: bool) -> AppResult<Vec<Area>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM areas WHERE code >= $1 AND code < $2 AND ($3 = 1 OR valid_to IS NULL) ORDER BY code"
    ))
    .bind(prefix.to_string())
    .bind(format!("{prefix}~"))
    .bind(i64::from(include_retired))
    .fetch_all(&db.read)
    .await?;
    Ok(rows.iter().map(row_to_area).collect::<Result<_, _>>()?)
}

/// The current villages (and communities) under a county: (code, name), by code.
pub async fn villages_of(db: &Db, county: &str) -> AppResult<Vec<(String, String)>> {
    let prefix = county.get(..6).unwrap_or(county);
    let rows = sqlx::query(
        "SELECT code, name FROM areas WHERE code >= $1 AND code < $2 AND level = 'village' \
         AND valid_to IS NULL ORDER BY code",
    )
    .bind(prefix.to_string())
    .bind(format!("{prefix}~"))
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// The current counties (the roots of the tree).
pub async fn counties(db: &Db) -> AppResult<Vec<Area>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM areas WHERE level = 'county' AND valid_to IS NULL ORDER BY code"
    ))
    .fetch_all(&db.read)
    .await?;
    Ok(rows.iter().map(row_to_area).collect::<Result<_, _>>()?)
}

/// Children of one area.
pub async fn children(db: &Db, code: &str) -> AppResult<Vec<Area>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM areas WHERE parent_code = $1 AND valid_to IS NULL ORDER BY code"
    ))
    .bind(code.to_string())
    .fetch_all(&db.read)
    .await?;
    Ok(rows.iter().map(row_to_area).collect::<Result<_, _>>()?)
}

/// Mark an area retired from `date` (codes change every year; history is kept).
pub async fn retire(conn: &mut AnyConnection, code: &str, date: &str) -> AppResult<u64> {
    let r = sqlx::query("UPDATE areas SET valid_to = $1 WHERE code = $2 AND valid_to IS NULL")
        .bind(date.to_string())
        .bind(code.to_string())
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

/// Counts of people and households per area prefix (for the tree page).
pub async fn count_people(db: &Db, prefix: &str) -> AppResult<i64> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM persons WHERE area_code >= $1 AND area_code < $2")
            .bind(prefix.to_string())
            .bind(format!("{prefix}~"))
            .fetch_one(&db.read)
            .await?;
    Ok(n)
}

/// Whether an area still has active sub-areas, households or people.
pub async fn in_use(conn: &mut AnyConnection, code: &str) -> AppResult<bool> {
    let children: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM areas WHERE parent_code = $1 AND valid_to IS NULL",
    )
    .bind(code.to_string())
    .fetch_one(&mut *conn)
    .await?;
    let households: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM households WHERE area_code = $1 OR grid_code = $1",
    )
    .bind(code.to_string())
    .fetch_one(&mut *conn)
    .await?;
    let people: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM persons WHERE (area_code = $1 OR grid_code = $1) AND status = 'active'",
    )
    .bind(code.to_string())
    .fetch_one(&mut *conn)
    .await?;
    Ok(children + households + people > 0)
}
