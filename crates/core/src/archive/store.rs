//! All SQL of archive packages.

use sqlx::{AnyConnection, Row};

use super::service::Package;
use crate::error::AppResult;

const COLS: &str = "id, county_code, area_code, matter_id, blob_key, digest, size, \
    manifest_digest, classification, retention, created_by, created_at";

fn row_to_package(r: &sqlx::any::AnyRow) -> Result<Package, sqlx::Error> {
    Ok(Package {
        id: r.try_get(0)?,
        county_code: r.try_get(1)?,
        area_code: r.try_get(2)?,
        matter_id: r.try_get(3)?,
        blob_key: r.try_get(4)?,
        digest: r.try_get(5)?,
        size: r.try_get(6)?,
        manifest_digest: r.try_get(7)?,
        classification: r.try_get(8)?,
        retention: r.try_get(9)?,
        created_by: r.try_get(10)?,
        created_at: r.try_get(11)?,
    })
}

/// Insert a package row; `false` when the matter already has one (packages are immutable).
pub async fn insert(conn: &mut AnyConnection, p: &Package) -> AppResult<bool> {
    let done = sqlx::query(&format!(
        "INSERT INTO archive_packages ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12) ON CONFLICT (matter_id) DO NOTHING"
    ))
    .bind(&p.id)
    .bind(&p.county_code)
    .bind(&p.area_code)
    .bind(&p.matter_id)
    .bind(&p.blob_key)
    .bind(&p.digest)
    .bind(p.size)
    .bind(&p.manifest_digest)
    .bind(&p.classification)
    .bind(&p.retention)
    .bind(&p.created_by)
    .bind(p.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn of_matter(conn: &mut AnyConnection, matter: &str) -> AppResult<Option<Package>> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM archive_packages WHERE matter_id = $1"
    ))
    .bind(matter)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.as_ref().map(row_to_package).transpose()?)
}

/// Every package (for `xiangzhi verify`).
pub async fn all(conn: &mut AnyConnection) -> AppResult<Vec<Package>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM archive_packages ORDER BY created_at, id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(row_to_package).collect::<Result<_, _>>()?)
}

/// Finished matters (result published, or withdrawn) without a package yet, oldest first.
pub async fn unarchived(conn: &mut AnyConnection, limit: i64) -> AppResult<Vec<String>> {
    let rows = sqlx::query(
        "SELECT m.id FROM matters m LEFT JOIN archive_packages a ON a.matter_id = m.id \
         WHERE m.stage IN ('closed', 'withdrawn') AND a.id IS NULL \
         ORDER BY m.updated_at, m.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?)
}

/// The county's classification and retention for a matter type, when it set them.
pub async fn class_of(
    conn: &mut AnyConnection,
    county: &str,
    type_code: &str,
) -> AppResult<Option<(String, String)>> {
    let row = sqlx::query(
        "SELECT classification, retention FROM archive_classes \
         WHERE county_code = $1 AND type_code = $2",
    )
    .bind(county)
    .bind(type_code)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
        None => None,
    })
}

pub async fn save_class(
    conn: &mut AnyConnection,
    county: &str,
    type_code: &str,
    classification: &str,
    retention: &str,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO archive_classes (county_code, type_code, classification, retention, \
         updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (county_code, type_code) \
         DO UPDATE SET classification = excluded.classification, \
         retention = excluded.retention, updated_at = excluded.updated_at",
    )
    .bind(county)
    .bind(type_code)
    .bind(classification)
    .bind(retention)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
