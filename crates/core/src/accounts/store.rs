//! SQL of accounts, grants, sessions and one-time codes.

use sqlx::{AnyConnection, Row};

use crate::areas::AreaLevel;
use crate::authz::{Grant, Role};
use crate::db::Db;
use crate::error::AppResult;

/// A user row.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: String,
    pub county_code: String,
    pub username: String,
    pub display_name: String,
    pub person_id: Option<String>,
    pub password_hash: String,
    pub totp_enc: Option<Vec<u8>>,
    pub status: String,
    pub proxy_only: bool,
    pub failed_logins: i64,
    pub locked_until: i64,
}

const USER_COLS: &str = "id, county_code, username, display_name, person_id, password_hash, totp_enc, status, proxy_only, failed_logins, locked_until";

fn row_to_user(r: &sqlx::any::AnyRow) -> Result<UserRow, sqlx::Error> {
    Ok(UserRow {
        id: r.try_get(0)?,
        county_code: r.try_get(1)?,
        username: r.try_get(2)?,
        display_name: r.try_get(3)?,
        person_id: r.try_get(4)?,
        password_hash: r.try_get(5)?,
        totp_enc: r.try_get(6)?,
        status: r.try_get(7)?,
        proxy_only: r.try_get::<i64, _>(8)? != 0,
        failed_logins: r.try_get(9)?,
        locked_until: r.try_get(10)?,
    })
}

pub async fn insert_user(conn: &mut AnyConnection, u: &UserRow, now: i64) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO users (id, county_code, username, display_name, person_id, password_hash, totp_enc, status, \
         proxy_only, failed_logins, locked_until, password_changed_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, 0, $10, $10, $10)",
    )
    .bind(u.id.clone())
    .bind(u.county_code.clone())
    .bind(u.username.clone())
    .bind(u.display_name.clone())
    .bind(u.person_id.clone())
    .bind(u.password_hash.clone())
    .bind(u.totp_enc.clone())
    .bind(u.status.clone())
    .bind(i64::from(u.proxy_only))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn user_by_name(conn: &mut AnyConnection, username: &str) -> AppResult<Option<UserRow>> {
    let r = sqlx::query(&format!(
        "SELECT {USER_COLS} FROM users WHERE username = $1"
    ))
    .bind(username.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(r.as_ref().map(row_to_user).transpose()?)
}

pub async fn user_by_id(conn: &mut AnyConnection, id: &str) -> AppResult<Option<UserRow>> {
    let r = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(r.as_ref().map(row_to_user).transpose()?)
}

pub async fn user_by_person(
    conn: &mut AnyConnection,
    person_id: &str,
) -> AppResult<Option<UserRow>> {
    let r = sqlx::query(&format!(
        "SELECT {USER_COLS} FROM users WHERE person_id = $1"
    ))
    .bind(person_id.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(r.as_ref().map(row_to_user).transpose()?)
}

pub async fn set_login_state(
    conn: &mut AnyConnection,
    id: &str,
    failed: i64,
    locked_until: i64,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE users SET failed_logins = $2, locked_until = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(failed)
    .bind(locked_until)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_status(
    conn: &mut AnyConnection,
    id: &str,
    status: &str,
    now: i64,
) -> AppResult<u64> {
    Ok(
        sqlx::query("UPDATE users SET status = $2, updated_at = $3 WHERE id = $1")
            .bind(id.to_string())
            .bind(status.to_string())
            .bind(now)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

pub async fn set_password(
    conn: &mut AnyConnection,
    id: &str,
    hash: &str,
    now: i64,
) -> AppResult<u64> {
    Ok(sqlx::query(
        "UPDATE users SET password_hash = $2, password_changed_at = $3, updated_at = $3, failed_logins = 0, locked_until = 0 WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(hash.to_string())
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected())
}

pub async fn set_totp(
    conn: &mut AnyConnection,
    id: &str,
    totp_enc: Option<Vec<u8>>,
    now: i64,
) -> AppResult<()> {
    sqlx::query("UPDATE users SET totp_enc = $2, updated_at = $3 WHERE id = $1")
        .bind(id.to_string())
        .bind(totp_enc)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_grant(
    conn: &mut AnyConnection,
    user_id: &str,
    role: Role,
    area: &str,
    by: Option<&str>,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO role_grants (id, user_id, role, area_code, granted_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (user_id, role, area_code) DO NOTHING",
    )
    .bind(crate::clock::new_id())
    .bind(user_id.to_string())
    .bind(role.as_str())
    .bind(area.to_string())
    .bind(by.map(str::to_string))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_grant(
    conn: &mut AnyConnection,
    user_id: &str,
    role: Role,
    area: &str,
) -> AppResult<u64> {
    Ok(
        sqlx::query("DELETE FROM role_grants WHERE user_id = $1 AND role = $2 AND area_code = $3")
            .bind(user_id.to_string())
            .bind(role.as_str())
            .bind(area.to_string())
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// Grants of a user with their areas.
pub async fn grants(conn: &mut AnyConnection, user_id: &str) -> AppResult<Vec<Grant>> {
    let rows = sqlx::query(
        "SELECT g.role, g.area_code, a.level, a.name FROM role_grants g JOIN areas a ON a.code = g.area_code \
         WHERE g.user_id = $1 ORDER BY g.created_at",
    )
    .bind(user_id.to_string())
    .fetch_all(conn)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let role: String = r.try_get(0)?;
        let level: String = r.try_get(2)?;
        if let (Some(role), Some(level)) = (Role::parse(&role), AreaLevel::parse(&level)) {
            out.push(Grant {
                role,
                area_code: r.try_get(1)?,
                area_level: level,
                area_name: r.try_get(3)?,
            });
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: &str,
    kind: &str,
    csrf: &str,
    label: Option<&str>,
    now: i64,
    expires_at: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, kind, csrf, label, created_at, last_seen, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
    )
    .bind(token_hash.to_string())
    .bind(user_id.to_string())
    .bind(kind.to_string())
    .bind(csrf.to_string())
    .bind(label.map(str::to_string))
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A session row: (user_id, kind, csrf, last_seen, expires_at).
pub async fn session(
    db: &Db,
    token_hash: &str,
) -> AppResult<Option<(String, String, String, i64, i64)>> {
    let r = sqlx::query(
        "SELECT user_id, kind, csrf, last_seen, expires_at FROM sessions WHERE token_hash = $1",
    )
    .bind(token_hash.to_string())
    .fetch_optional(&db.read)
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

pub async fn touch_session(db: &Db, token_hash: &str, now: i64) -> AppResult<()> {
    sqlx::query("UPDATE sessions SET last_seen = $2 WHERE token_hash = $1")
        .bind(token_hash.to_string())
        .bind(now)
        .execute(&db.write)
        .await?;
    Ok(())
}

pub async fn delete_session(conn: &mut AnyConnection, token_hash: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete_user_sessions(conn: &mut AnyConnection, user_id: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Users visible to administrators, newest first.
pub async fn list_users(db: &Db, limit: i64) -> AppResult<Vec<(UserRow, String)>> {
    let rows = sqlx::query(&format!(
        "SELECT {USER_COLS}, COALESCE((SELECT MIN(role) FROM role_grants g WHERE g.user_id = users.id), '') FROM users ORDER BY created_at DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| Ok((row_to_user(r)?, r.try_get(11)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Pending villager registrations inside a prefix: (user, person area).
pub async fn pending_registrations(db: &Db, prefix: &str) -> AppResult<Vec<(UserRow, String)>> {
    let rows = sqlx::query(&format!(
        "SELECT {}, p.area_code FROM users u JOIN persons p ON p.id = u.person_id \
         WHERE u.status = 'pending' AND p.area_code >= $1 AND p.area_code < $2 ORDER BY u.created_at",
        USER_COLS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
    ))
    .bind(prefix.to_string())
    .bind(format!("{prefix}~"))
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| Ok((row_to_user(r)?, r.try_get(11)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub async fn insert_code(
    conn: &mut AnyConnection,
    purpose: &str,
    subject: &str,
    code_hash: &str,
    now: i64,
    expires: i64,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE one_time_codes SET used = 1 WHERE subject = $1 AND purpose = $2 AND used = 0",
    )
    .bind(subject.to_string())
    .bind(purpose.to_string())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO one_time_codes (id, purpose, subject, code_hash, attempts, expires_at, used, created_at) VALUES ($1, $2, $3, $4, 0, $5, 0, $6)",
    )
    .bind(crate::clock::new_id())
    .bind(purpose.to_string())
    .bind(subject.to_string())
    .bind(code_hash.to_string())
    .bind(expires)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The live code for a subject: (id, code_hash, attempts, expires_at).
pub async fn live_code(
    conn: &mut AnyConnection,
    purpose: &str,
    subject: &str,
) -> AppResult<Option<(String, String, i64, i64)>> {
    let r = sqlx::query(
        "SELECT id, code_hash, attempts, expires_at FROM one_time_codes WHERE subject = $1 AND purpose = $2 AND used = 0 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(subject.to_string())
    .bind(purpose.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(match r {
        Some(r) => Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)),
        None => None,
    })
}

pub async fn bump_code(conn: &mut AnyConnection, id: &str, used: bool) -> AppResult<()> {
    sqlx::query("UPDATE one_time_codes SET attempts = attempts + 1, used = $2 WHERE id = $1")
        .bind(id.to_string())
        .bind(i64::from(used))
        .execute(conn)
        .await?;
    Ok(())
}
