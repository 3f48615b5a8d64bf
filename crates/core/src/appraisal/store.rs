//! All SQL of 民主评议.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::rules::{Grade, Tally};
use crate::error::AppResult;

/// One appraisal of a village's cadres for a year.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Appraisal {
    pub id: String,
    pub county_code: String,
    pub area_code: String,
    pub year: i64,
    /// `open`, `closed`.
    pub status: String,
    /// The evaluators on the list (the village's representatives).
    pub evaluators: i64,
    /// Ballots cast so far.
    pub ballots: i64,
    /// Set at close: whether more than half of the evaluators took part.
    pub valid: Option<bool>,
    pub created_by: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

/// A cadre under appraisal, with the grades received and, once closed, the verdict.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Subject {
    pub person_id: String,
    pub name: String,
    /// 村委会主任, 委员, 报账员 …
    pub post: String,
    pub tally: Tally,
    pub verdict: Option<Grade>,
    /// Judged 不称职 this year and the year before: the office ends (组织法 §33).
    pub terminates: bool,
}

const COLS: &str = "id, county_code, area_code, year, status, evaluators, ballots, valid, \
    created_by, created_at, closed_at";

fn row_to_appraisal(r: &sqlx::any::AnyRow) -> Result<Appraisal, sqlx::Error> {
    Ok(Appraisal {
        id: r.try_get(0)?,
        county_code: r.try_get(1)?,
        area_code: r.try_get(2)?,
        year: r.try_get(3)?,
        status: r.try_get(4)?,
        evaluators: r.try_get(5)?,
        ballots: r.try_get(6)?,
        valid: r.try_get::<Option<i64>, _>(7)?.map(|v| v != 0),
        created_by: r.try_get(8)?,
        created_at: r.try_get(9)?,
        closed_at: r.try_get(10)?,
    })
}

pub async fn insert(conn: &mut AnyConnection, a: &Appraisal) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO appraisals (id, county_code, area_code, year, status, evaluators, ballots, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)",
    )
    .bind(&a.id)
    .bind(&a.county_code)
    .bind(&a.area_code)
    .bind(a.year)
    .bind(&a.status)
    .bind(a.evaluators)
    .bind(&a.created_by)
    .bind(a.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> AppResult<Option<Appraisal>> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM appraisals WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.as_ref().map(row_to_appraisal).transpose()?)
}

/// Appraisals under `prefix`, latest year first.
pub async fn list(conn: &mut AnyConnection, prefix: &str, limit: i64) -> AppResult<Vec<Appraisal>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM appraisals WHERE area_code LIKE $1 || '%' \
         ORDER BY year DESC, area_code LIMIT $2"
    ))
    .bind(prefix)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(row_to_appraisal)
        .collect::<Result<_, _>>()?)
}

/// The closed appraisal of a village for a year, if any.
pub async fn of_year(
    conn: &mut AnyConnection,
    area: &str,
    year: i64,
) -> AppResult<Option<Appraisal>> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM appraisals WHERE area_code = $1 AND year = $2"
    ))
    .bind(area)
    .bind(year)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.as_ref().map(row_to_appraisal).transpose()?)
}

/// Active people of a village with the registry's cadre flag: (id, name).
pub async fn cadres(conn: &mut AnyConnection, area: &str) -> AppResult<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT id, name FROM persons WHERE area_code LIKE $1 || '%' AND status = 'active' \
         AND is_cadre = 1 ORDER BY name, id",
    )
    .bind(area)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Active representatives of a village who are not cadres: (id, name).
pub async fn representatives(
    conn: &mut AnyConnection,
    area: &str,
) -> AppResult<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT id, name FROM persons WHERE area_code LIKE $1 || '%' AND status = 'active' \
         AND is_representative = 1 AND is_cadre = 0 ORDER BY id",
    )
    .bind(area)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub async fn insert_subject(
    conn: &mut AnyConnection,
    appraisal: &str,
    county: &str,
    person: &str,
    name: &str,
    post: &str,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO appraisal_subjects (appraisal_id, person_id, county_code, name, post) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(appraisal)
    .bind(person)
    .bind(county)
    .bind(name)
    .bind(post)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn insert_evaluator(
    conn: &mut AnyConnection,
    appraisal: &str,
    county: &str,
    person: &str,
    name: &str,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO appraisal_evaluators (appraisal_id, person_id, county_code, name) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(appraisal)
    .bind(person)
    .bind(county)
    .bind(name)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn subjects(conn: &mut AnyConnection, appraisal: &str) -> AppResult<Vec<Subject>> {
    let rows = sqlx::query(
        "SELECT person_id, name, post, excellent, competent, basic, incompetent, verdict, \
         terminates FROM appraisal_subjects WHERE appraisal_id = $1 ORDER BY name, person_id",
    )
    .bind(appraisal)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Subject {
                person_id: r.try_get(0)?,
                name: r.try_get(1)?,
                post: r.try_get(2)?,
                tally: Tally {
                    excellent: r.try_get(3)?,
                    competent: r.try_get(4)?,
                    basic: r.try_get(5)?,
                    incompetent: r.try_get(6)?,
                },
                verdict: r
                    .try_get::<Option<String>, _>(7)?
                    .as_deref()
                    .and_then(Grade::parse),
                terminates: r.try_get::<i64, _>(8)? != 0,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Mark an evaluator as having taken part; false when not on the list or already done.
pub async fn mark_voted(
    conn: &mut AnyConnection,
    appraisal: &str,
    person: &str,
    now: i64,
) -> AppResult<bool> {
    Ok(sqlx::query(
        "UPDATE appraisal_evaluators SET voted_at = $3 \
         WHERE appraisal_id = $1 AND person_id = $2 AND voted_at IS NULL",
    )
    .bind(appraisal)
    .bind(person)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1)
}

/// Whether `person` is on the evaluators' list.
pub async fn is_evaluator(
    conn: &mut AnyConnection,
    appraisal: &str,
    person: &str,
) -> AppResult<bool> {
    Ok(
        sqlx::query(
            "SELECT 1 FROM appraisal_evaluators WHERE appraisal_id = $1 AND person_id = $2",
        )
        .bind(appraisal)
        .bind(person)
        .fetch_optional(&mut *conn)
        .await?
        .is_some(),
    )
}

/// Add one grade to a cadre's tally.
pub async fn bump(
    conn: &mut AnyConnection,
    appraisal: &str,
    person: &str,
    g: Grade,
) -> AppResult<()> {
    // The column name comes from the enum, never from input.
    let col = g.as_str();
    sqlx::query(&format!(
        "UPDATE appraisal_subjects SET {col} = {col} + 1 WHERE appraisal_id = $1 AND person_id = $2"
    ))
    .bind(appraisal)
    .bind(person)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn bump_ballots(conn: &mut AnyConnection, appraisal: &str) -> AppResult<()> {
    sqlx::query("UPDATE appraisals SET ballots = ballots + 1 WHERE id = $1")
        .bind(appraisal)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_verdict(
    conn: &mut AnyConnection,
    appraisal: &str,
    person: &str,
    verdict: Option<Grade>,
    terminates: bool,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE appraisal_subjects SET verdict = $3, terminates = $4 \
         WHERE appraisal_id = $1 AND person_id = $2",
    )
    .bind(appraisal)
    .bind(person)
    .bind(verdict.map(Grade::as_str))
    .bind(i64::from(terminates))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Close an open appraisal; false when it was not open.
pub async fn close(conn: &mut AnyConnection, id: &str, valid: bool, now: i64) -> AppResult<bool> {
    Ok(sqlx::query(
        "UPDATE appraisals SET status = 'closed', valid = $2, closed_at = $3 \
         WHERE id = $1 AND status = 'open'",
    )
    .bind(id)
    .bind(i64::from(valid))
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1)
}

/// Whether an evaluator has taken part.
pub async fn has_voted(conn: &mut AnyConnection, appraisal: &str, person: &str) -> AppResult<bool> {
    Ok(sqlx::query(
        "SELECT 1 FROM appraisal_evaluators WHERE appraisal_id = $1 AND person_id = $2 \
         AND voted_at IS NOT NULL",
    )
    .bind(appraisal)
    .bind(person)
    .fetch_optional(&mut *conn)
    .await?
    .is_some())
}

/// The evaluators' list: (person id, name, whether they have taken part).
pub async fn evaluators(
    conn: &mut AnyConnection,
    appraisal: &str,
) -> AppResult<Vec<(String, String, bool)>> {
    let rows = sqlx::query(
        "SELECT person_id, name, voted_at FROM appraisal_evaluators WHERE appraisal_id = $1 \
         ORDER BY name, person_id",
    )
    .bind(appraisal)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get::<Option<i64>, _>(2)?.is_some(),
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Open appraisals that list `person` as an evaluator.
pub async fn open_for(conn: &mut AnyConnection, person: &str) -> AppResult<Vec<Appraisal>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM appraisals WHERE status = 'open' AND id IN \
         (SELECT appraisal_id FROM appraisal_evaluators WHERE person_id = $1) ORDER BY year DESC"
    ))
    .bind(person)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(row_to_appraisal)
        .collect::<Result<_, _>>()?)
}
