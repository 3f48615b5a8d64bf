//! All SQL of outgoing notifications.

use sqlx::{AnyConnection, Row};

use super::model::{Delivery, Subscription};
use crate::cases::Status;
use crate::db::{backend_of, values_list, Db};
use crate::error::{AppError, AppResult};

// ---------------------------------------------------------------- subscriptions

const SUB_COLS: &str =
    "id, county_code, name, url, kinds, active, since_at, created_at, updated_at";

fn row_to_sub(r: &sqlx::any::AnyRow) -> Result<Subscription, sqlx::Error> {
    let kinds: String = r.try_get(4)?;
    Ok(Subscription {
        id: r.try_get(0)?,
        county_code: r.try_get(1)?,
        name: r.try_get(2)?,
        url: r.try_get(3)?,
        kinds: kinds
            .split(',')
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect(),
        active: r.try_get::<i64, _>(5)? != 0,
        since_at: r.try_get(6)?,
        created_at: r.try_get(7)?,
        updated_at: r.try_get(8)?,
    })
}

pub async fn insert_subscription(
    conn: &mut AnyConnection,
    s: &Subscription,
    secret_enc: &[u8],
    created_by: Option<&str>,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO webhook_subscriptions (id, county_code, name, url, kinds, secret_enc, \
         active, since_at, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(s.id.clone())
    .bind(s.county_code.clone())
    .bind(s.name.clone())
    .bind(s.url.clone())
    .bind(s.kinds.join(","))
    .bind(secret_enc.to_vec())
    .bind(i64::from(s.active))
    .bind(s.since_at)
    .bind(created_by.map(str::to_string))
    .bind(s.created_at)
    .bind(s.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The subscriptions of a county, newest first.
pub async fn subscriptions(db: &Db, county: &str) -> AppResult<Vec<Subscription>> {
    let rows = sqlx::query(&format!(
        "SELECT {SUB_COLS} FROM webhook_subscriptions WHERE county_code = $1 \
         ORDER BY created_at DESC, id"
    ))
    .bind(county.to_string())
    .fetch_all(&db.read)
    .await?;
    Ok(rows.iter().map(row_to_sub).collect::<Result<_, _>>()?)
}

/// Every active subscription (of every county).
pub async fn active_subscriptions(db: &Db) -> AppResult<Vec<Subscription>> {
    let rows = sqlx::query(&format!(
        "SELECT {SUB_COLS} FROM webhook_subscriptions WHERE active = 1 ORDER BY county_code, id"
    ))
    .fetch_all(&db.read)
    .await?;
    Ok(rows.iter().map(row_to_sub).collect::<Result<_, _>>()?)
}

/// One subscription with its encrypted secret.
pub async fn subscription_tx(
    conn: &mut AnyConnection,
    id: &str,
) -> AppResult<Option<(Subscription, Vec<u8>)>> {
    let row = sqlx::query(&format!(
        "SELECT {SUB_COLS}, secret_enc FROM webhook_subscriptions WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        Some(r) => Some((row_to_sub(&r)?, r.try_get(9)?)),
        None => None,
    })
}

/// The encrypted secret of a subscription.
pub async fn secret(db: &Db, id: &str) -> AppResult<Option<Vec<u8>>> {
    Ok(
        sqlx::query_scalar("SELECT secret_enc FROM webhook_subscriptions WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&db.read)
            .await?,
    )
}

pub async fn set_active(
    conn: &mut AnyConnection,
    id: &str,
    active: bool,
    since_at: i64,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE webhook_subscriptions SET active = $2, since_at = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(i64::from(active))
    .bind(since_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_secret(
    conn: &mut AnyConnection,
    id: &str,
    secret_enc: &[u8],
    now: i64,
) -> AppResult<()> {
    sqlx::query("UPDATE webhook_subscriptions SET secret_enc = $2, updated_at = $3 WHERE id = $1")
        .bind(id.to_string())
        .bind(secret_enc.to_vec())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- cursors

/// Where a dispatcher stopped: (at, last id).
pub async fn cursor(db: &Db, name: &str, county: &str) -> AppResult<Option<(i64, String)>> {
    let row = sqlx::query(
        "SELECT at, last_id FROM outbound_cursors WHERE name = $1 AND county_code = $2",
    )
    .bind(name.to_string())
    .bind(county.to_string())
    .fetch_optional(&db.read)
    .await?;
    Ok(match row {
        Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
        None => None,
    })
}

/// Move a cursor from `old` (what was read; `None`: no row yet) to `new`. `false` when
/// another process moved it meanwhile (the caller rolls back and tries again later).
pub async fn move_cursor(
    conn: &mut AnyConnection,
    name: &str,
    county: &str,
    old: Option<(i64, &str)>,
    new: (i64, &str),
    now: i64,
) -> AppResult<bool> {
    let done = match old {
        None => sqlx::query(
            "INSERT INTO outbound_cursors (name, county_code, at, last_id, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name, county_code) DO NOTHING",
        )
        .bind(name.to_string())
        .bind(county.to_string())
        .bind(new.0)
        .bind(new.1.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected(),
        Some((at, id)) => sqlx::query(
            "UPDATE outbound_cursors SET at = $3, last_id = $4, updated_at = $5 \
             WHERE name = $1 AND county_code = $2 AND at = $6 AND last_id = $7",
        )
        .bind(name.to_string())
        .bind(county.to_string())
        .bind(new.0)
        .bind(new.1.to_string())
        .bind(now)
        .bind(at)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?
        .rows_affected(),
    };
    Ok(done == 1)
}

/// The county codes of the deployment.
pub async fn counties(db: &Db) -> AppResult<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT code FROM areas WHERE level = 'county' ORDER BY code")
            .fetch_all(&db.read)
            .await?,
    )
}

// ---------------------------------------------------------------- the case timeline

/// A timeline entry with what the dispatchers need of its case.
#[derive(Debug, Clone)]
pub struct TimelineRow {
    pub id: String,
    pub at: i64,
    pub action: String,
    pub from: Option<Status>,
    pub to: Status,
    pub case_id: String,
    pub number: String,
    pub type_code: String,
    pub category: String,
    pub area_code: String,
    /// The case type is confidential (or no longer in the catalogue).
    pub confidential: bool,
    pub reporter_user_id: Option<String>,
    pub anonymous: bool,
    pub has_reporter_phone: bool,
}

/// Timeline entries of a county after `after` (at, id) up to `until` (inclusive), in
/// timeline order. Walks the (county, at) index.
pub async fn events_after(
    db: &Db,
    county: &str,
    after: (i64, &str),
    until: i64,
    limit: i64,
) -> AppResult<Vec<TimelineRow>> {
    let rows = sqlx::query(
        "SELECT e.id, e.at, e.action, e.from_status, e.to_status, c.id, c.number, c.type_code, \
         c.category, c.area_code, t.visibility, c.reporter_user_id, c.anonymous, \
         CAST(CASE WHEN c.reporter_phone_enc IS NULL THEN 0 ELSE 1 END AS BIGINT) \
         FROM case_events e JOIN cases c ON c.id = e.case_id \
         LEFT JOIN case_types t ON t.code = c.type_code \
         WHERE e.county_code = $1 AND (e.at > $2 OR (e.at = $2 AND e.id > $3)) AND e.at <= $4 \
         ORDER BY e.at, e.id LIMIT $5",
    )
    .bind(county.to_string())
    .bind(after.0)
    .bind(after.1.to_string())
    .bind(until)
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            let visibility: Option<String> = r.try_get(10)?;
            Ok(TimelineRow {
                id: r.try_get(0)?,
                at: r.try_get(1)?,
                action: r.try_get(2)?,
                from: r
                    .try_get::<Option<String>, _>(3)?
                    .and_then(|s| Status::parse(&s)),
                to: Status::parse(&r.try_get::<String, _>(4)?)
                    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("bad status")))?,
                case_id: r.try_get(5)?,
                number: r.try_get(6)?,
                type_code: r.try_get(7)?,
                category: r.try_get(8)?,
                area_code: r.try_get(9)?,
                confidential: visibility.as_deref() != Some("public"),
                reporter_user_id: r.try_get(11)?,
                anonymous: r.try_get::<i64, _>(12)? != 0,
                has_reporter_phone: r.try_get::<i64, _>(13)? != 0,
            })
        })
        .collect()
}

// ---------------------------------------------------------------- deliveries

/// A delivery to insert.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub id: String,
    pub subscription_id: String,
    pub county_code: String,
    pub event_id: String,
    pub event_at: i64,
    pub kind: String,
    pub case_number: String,
    pub payload: String,
    pub created_at: i64,
}

pub async fn insert_deliveries(conn: &mut AnyConnection, rows: &[NewDelivery]) -> AppResult<()> {
    let backend = backend_of(conn);
    for chunk in crate::db::fixed_chunks(rows) {
        let sql = format!(
            "INSERT INTO webhook_deliveries (id, subscription_id, county_code, event_id, \
             event_at, kind, case_number, payload, next_at, created_at, updated_at, status, \
             attempts) VALUES {} ON CONFLICT (subscription_id, event_id) DO NOTHING",
            values_list(backend, chunk.len(), 11, ", 'pending', 0")
        );
        let mut q = sqlx::query(&sql);
        for d in chunk {
            q = q
                .bind(d.id.clone())
                .bind(d.subscription_id.clone())
                .bind(d.county_code.clone())
                .bind(d.event_id.clone())
                .bind(d.event_at)
                .bind(d.kind.clone())
                .bind(d.case_number.clone())
                .bind(d.payload.clone())
                .bind(d.created_at)
                .bind(d.created_at)
                .bind(d.created_at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// What the sender needs of a delivery.
#[derive(Debug, Clone)]
pub struct QueuedDelivery {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub next_at: i64,
}

/// The first pending delivery of a subscription, in timeline order (the head of its queue).
pub async fn queue_head(db: &Db, subscription_id: &str) -> AppResult<Option<QueuedDelivery>> {
    let row = sqlx::query(
        "SELECT id, kind, payload, attempts, next_at FROM webhook_deliveries \
         WHERE subscription_id = $1 AND status = 'pending' ORDER BY event_at, event_id LIMIT 1",
    )
    .bind(subscription_id.to_string())
    .fetch_optional(&db.write)
    .await?;
    Ok(match row {
        Some(r) => Some(QueuedDelivery {
            id: r.try_get(0)?,
            kind: r.try_get(1)?,
            payload: r.try_get(2)?,
            attempts: r.try_get(3)?,
            next_at: r.try_get(4)?,
        }),
        None => None,
    })
}

/// Claim a pending delivery for an attempt (its `next_at` moves to `lease_until`); `false`
/// when another sender took it first.
pub async fn claim_delivery(db: &Db, id: &str, next_at: i64, lease_until: i64) -> AppResult<bool> {
    let n = sqlx::query(
        "UPDATE webhook_deliveries SET next_at = $3 \
         WHERE id = $1 AND status = 'pending' AND next_at = $2",
    )
    .bind(id.to_string())
    .bind(next_at)
    .bind(lease_until)
    .execute(&db.write)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Record an attempt: `status` is `delivered`, `pending` (with the next try) or `dead`.
#[allow(clippy::too_many_arguments)]
pub async fn finish_delivery(
    db: &Db,
    id: &str,
    status: &str,
    attempts: i64,
    next_at: i64,
    last_status: Option<i64>,
    last_error: Option<&str>,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE webhook_deliveries SET status = $2, attempts = $3, next_at = $4, \
         last_status = $5, last_error = $6, updated_at = $7 WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(status.to_string())
    .bind(attempts)
    .bind(next_at)
    .bind(last_status)
    .bind(last_error.map(str::to_string))
    .bind(now)
    .execute(&db.write)
    .await?;
    Ok(())
}

const DELIVERY_COLS: &str = "d.id, d.subscription_id, s.name, d.kind, d.case_number, d.status, \
    d.attempts, d.next_at, d.last_status, d.last_error, d.created_at, d.updated_at, d.county_code";

fn row_to_delivery(r: &sqlx::any::AnyRow) -> Result<Delivery, sqlx::Error> {
    Ok(Delivery {
        id: r.try_get(0)?,
        subscription_id: r.try_get(1)?,
        subscription_name: r.try_get(2)?,
        kind: r.try_get(3)?,
        case_number: r.try_get(4)?,
        status: r.try_get(5)?,
        attempts: r.try_get(6)?,
        next_at: r.try_get(7)?,
        last_status: r.try_get(8)?,
        last_error: r.try_get(9)?,
        created_at: r.try_get(10)?,
        updated_at: r.try_get(11)?,
        county_code: r.try_get(12)?,
    })
}

/// The newest deliveries of a county (optionally of one status), newest first.
pub async fn recent_deliveries(
    db: &Db,
    county: &str,
    status: Option<&str>,
    limit: i64,
) -> AppResult<Vec<Delivery>> {
    let rows = sqlx::query(&format!(
        "SELECT {DELIVERY_COLS} FROM webhook_deliveries d \
         JOIN webhook_subscriptions s ON s.id = d.subscription_id \
         WHERE d.county_code = $1 AND ($2 = '' OR d.status = $2) \
         ORDER BY d.created_at DESC, d.id DESC LIMIT $3"
    ))
    .bind(county.to_string())
    .bind(status.unwrap_or_default().to_string())
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    Ok(rows.iter().map(row_to_delivery).collect::<Result<_, _>>()?)
}

pub async fn delivery_tx(conn: &mut AnyConnection, id: &str) -> AppResult<Option<Delivery>> {
    let row = sqlx::query(&format!(
        "SELECT {DELIVERY_COLS} FROM webhook_deliveries d \
         JOIN webhook_subscriptions s ON s.id = d.subscription_id WHERE d.id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(row_to_delivery).transpose()?)
}

/// Put a dead delivery back in its queue with a fresh retry schedule.
pub async fn requeue_delivery(conn: &mut AnyConnection, id: &str, now: i64) -> AppResult<bool> {
    let n = sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_at = $2, \
         updated_at = $2 WHERE id = $1 AND status = 'dead'",
    )
    .bind(id.to_string())
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

// ---------------------------------------------------------------- SMS outbox

/// A text message to queue.
#[derive(Debug, Clone)]
pub struct NewSms {
    pub id: String,
    pub county_code: String,
    /// `case_state`, `notice`, `emergency`, `digest`.
    pub kind: String,
    /// `person` (the registry's phone) or `case_reporter` (the phone left on a case).
    pub to_kind: &'static str,
    /// The person id or the case id.
    pub to_ref: String,
    pub user_id: Option<String>,
    pub text: String,
    pub created_at: i64,
}

pub async fn insert_sms(conn: &mut AnyConnection, rows: &[NewSms]) -> AppResult<()> {
    let backend = backend_of(conn);
    for chunk in crate::db::fixed_chunks(rows) {
        let sql = format!(
            "INSERT INTO sms_outbox (id, county_code, kind, to_kind, to_ref, user_id, text, \
             created_at, next_at, status, attempts) VALUES {}",
            values_list(backend, chunk.len(), 9, ", 'pending', 0")
        );
        let mut q = sqlx::query(&sql);
        for m in chunk {
            q = q
                .bind(m.id.clone())
                .bind(m.county_code.clone())
                .bind(m.kind.clone())
                .bind(m.to_kind)
                .bind(m.to_ref.clone())
                .bind(m.user_id.clone())
                .bind(m.text.clone())
                .bind(m.created_at)
                .bind(m.created_at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A queued text message.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QueuedSms {
    pub id: String,
    pub county_code: String,
    pub kind: String,
    pub to_kind: String,
    pub to_ref: String,
    pub user_id: Option<String>,
    pub text: String,
    pub status: String,
    pub attempts: i64,
    pub next_at: i64,
    pub last_error: Option<String>,
}

const SMS_COLS: &str =
    "id, county_code, kind, to_kind, to_ref, user_id, text, status, attempts, next_at, last_error";

fn row_to_sms(r: &sqlx::any::AnyRow) -> Result<QueuedSms, sqlx::Error> {
    Ok(QueuedSms {
        id: r.try_get(0)?,
        county_code: r.try_get(1)?,
        kind: r.try_get(2)?,
        to_kind: r.try_get(3)?,
        to_ref: r.try_get(4)?,
        user_id: r.try_get(5)?,
        text: r.try_get(6)?,
        status: r.try_get(7)?,
        attempts: r.try_get(8)?,
        next_at: r.try_get(9)?,
        last_error: r.try_get(10)?,
    })
}

/// Messages due at `now`, oldest first.
pub async fn due_sms(db: &Db, now: i64, limit: i64) -> AppResult<Vec<QueuedSms>> {
    let rows = sqlx::query(&format!(
        "SELECT {SMS_COLS} FROM sms_outbox WHERE status = 'pending' AND next_at <= $1 \
         ORDER BY next_at, id LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&db.write)
    .await?;
    Ok(rows.iter().map(row_to_sms).collect::<Result<_, _>>()?)
}

/// The messages queued for a case or a person (newest first), for pages and tests.
pub async fn sms_for(db: &Db, to_ref: &str) -> AppResult<Vec<QueuedSms>> {
    let rows = sqlx::query(&format!(
        "SELECT {SMS_COLS} FROM sms_outbox WHERE to_ref = $1 ORDER BY created_at DESC, id DESC"
    ))
    .bind(to_ref.to_string())
    .fetch_all(&db.read)
    .await?;
    Ok(rows.iter().map(row_to_sms).collect::<Result<_, _>>()?)
}

/// Claim a due message (see [`claim_delivery`]).
pub async fn claim_sms(db: &Db, id: &str, next_at: i64, lease_until: i64) -> AppResult<bool> {
    let n = sqlx::query(
        "UPDATE sms_outbox SET next_at = $3 WHERE id = $1 AND status = 'pending' AND next_at = $2",
    )
    .bind(id.to_string())
    .bind(next_at)
    .bind(lease_until)
    .execute(&db.write)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Record a sending attempt: `sent`, `pending` (retry at `next_at`), `dead` or `skipped`.
pub async fn finish_sms(
    db: &Db,
    id: &str,
    status: &str,
    attempts: i64,
    next_at: i64,
    last_error: Option<&str>,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE sms_outbox SET status = $2, attempts = $3, next_at = $4, last_error = $5, \
         sent_at = CASE WHEN $2 = 'sent' THEN $6 ELSE sent_at END WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(status.to_string())
    .bind(attempts)
    .bind(next_at)
    .bind(last_error.map(str::to_string))
    .bind(now)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// The encrypted phone a message goes to: a person's (registry) or a case reporter's.
pub async fn phone_blob(db: &Db, to_kind: &str, to_ref: &str) -> AppResult<Option<Vec<u8>>> {
    let sql = match to_kind {
        "person" => "SELECT phone_enc FROM persons WHERE id = $1",
        "case_reporter" => "SELECT reporter_phone_enc FROM cases WHERE id = $1 AND anonymous = 0",
        _ => return Ok(None),
    };
    let v: Option<Option<Vec<u8>>> = sqlx::query_scalar(sql)
        .bind(to_ref.to_string())
        .fetch_optional(&db.read)
        .await?;
    Ok(v.flatten())
}

// ---------------------------------------------------------------- inbox notices

/// An inbox notice as the dispatcher reads it.
#[derive(Debug, Clone)]
pub struct NoticeRow {
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

/// Notices with ids after `after` and before `before` (UUIDv7: by time), in id order. Walks
/// the primary key: the inbox has no index by time alone and needs none for this.
pub async fn notices_after(
    db: &Db,
    after: &str,
    before: &str,
    limit: i64,
) -> AppResult<Vec<NoticeRow>> {
    let rows = sqlx::query(
        "SELECT id, county_code, user_id, role, area_code, case_id, kind, body, created_at \
         FROM notifications WHERE id > $1 AND id < $2 ORDER BY id LIMIT $3",
    )
    .bind(after.to_string())
    .bind(before.to_string())
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(NoticeRow {
                id: r.try_get(0)?,
                county_code: r.try_get(1)?,
                user_id: r.try_get(2)?,
                role: r.try_get(3)?,
                area_code: r.try_get(4)?,
                case_id: r.try_get(5)?,
                kind: r.try_get(6)?,
                body: r.try_get(7)?,
                created_at: r.try_get(8)?,
            })
        })
        .collect()
}

/// Active users holding `role` on exactly `area` (whom a notice to that role reaches).
pub async fn holders(db: &Db, role: &str, area: &str) -> AppResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT g.user_id FROM role_grants g JOIN users u ON u.id = g.user_id \
         WHERE g.role = $1 AND g.area_code = $2 AND u.status = 'active' ORDER BY g.user_id",
    )
    .bind(role.to_string())
    .bind(area.to_string())
    .fetch_all(&db.read)
    .await?)
}

/// What the dispatchers need of a user.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub user_id: String,
    pub county_code: String,
    pub active: bool,
    /// Holds a role other than villager.
    pub staff: bool,
    /// The registry person of the account, when a phone is on record.
    pub person_with_phone: Option<String>,
}

pub async fn contact(db: &Db, user_id: &str) -> AppResult<Option<Contact>> {
    let row = sqlx::query(
        "SELECT u.id, u.county_code, u.status, \
         CAST(CASE WHEN EXISTS (SELECT 1 FROM role_grants g WHERE g.user_id = u.id \
              AND g.role <> 'villager') THEN 1 ELSE 0 END AS BIGINT), \
         p.id FROM users u LEFT JOIN persons p ON p.id = u.person_id AND p.phone_enc IS NOT NULL \
         WHERE u.id = $1",
    )
    .bind(user_id.to_string())
    .fetch_optional(&db.read)
    .await?;
    Ok(match row {
        Some(r) => Some(Contact {
            user_id: r.try_get(0)?,
            county_code: r.try_get(1)?,
            active: r.try_get::<String, _>(2)? == "active",
            staff: r.try_get::<i64, _>(3)? != 0,
            person_with_phone: r.try_get(4)?,
        }),
        None => None,
    })
}

/// A user's chosen modes: (channel, mode).
pub async fn prefs(db: &Db, user_id: &str) -> AppResult<Vec<(String, String)>> {
    let rows = sqlx::query("SELECT channel, mode FROM notification_prefs WHERE user_id = $1")
        .bind(user_id.to_string())
        .fetch_all(&db.read)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

pub async fn put_pref(
    conn: &mut AnyConnection,
    user_id: &str,
    channel: &str,
    mode: &str,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO notification_prefs (user_id, channel, mode, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, channel) DO UPDATE \
         SET mode = excluded.mode, updated_at = excluded.updated_at",
    )
    .bind(user_id.to_string())
    .bind(channel.to_string())
    .bind(mode.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- digest

/// Whether a county's digest of `day` is done.
pub async fn digest_day_done(db: &Db, county: &str, day: &str) -> AppResult<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM digest_days WHERE county_code = $1 AND day = $2")
            .bind(county.to_string())
            .bind(day.to_string())
            .fetch_one(&db.read)
            .await?;
    Ok(n > 0)
}

pub async fn mark_digest_day(db: &Db, county: &str, day: &str, now: i64) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO digest_days (county_code, day, done_at) VALUES ($1, $2, $3) \
         ON CONFLICT (county_code, day) DO NOTHING",
    )
    .bind(county.to_string())
    .bind(day.to_string())
    .bind(now)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Users of a county who may want a digest of `day` and have none yet: staff (their notices
/// default to the digest) and anyone who chose it.
pub async fn digest_candidates(
    db: &Db,
    county: &str,
    day: &str,
    limit: i64,
) -> AppResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT u.id FROM users u WHERE u.county_code = $1 AND u.status = 'active' \
         AND (EXISTS (SELECT 1 FROM role_grants g WHERE g.user_id = u.id AND g.role <> 'villager') \
           OR EXISTS (SELECT 1 FROM notification_prefs p WHERE p.user_id = u.id AND p.mode = 'digest')) \
         AND NOT EXISTS (SELECT 1 FROM digests d WHERE d.user_id = u.id AND d.day = $2) \
         ORDER BY u.id LIMIT $3",
    )
    .bind(county.to_string())
    .bind(day.to_string())
    .bind(limit)
    .fetch_all(&db.read)
    .await?)
}

/// When the user's last digest was made.
pub async fn last_digest_at(conn: &mut AnyConnection, user_id: &str) -> AppResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT MAX(created_at) FROM digests WHERE user_id = $1")
            .bind(user_id.to_string())
            .fetch_one(conn)
            .await?,
    )
}

/// Unread notices of a user (addressed to them or to a role they hold on an area) created
/// in (`since`, `until`], counted by kind.
pub async fn unread_counts(
    conn: &mut AnyConnection,
    user_id: &str,
    role_areas: &[(String, String)],
    since: i64,
    until: i64,
) -> AppResult<Vec<(String, i64)>> {
    let mut conds = vec!["user_id = $3".to_string()];
    let mut binds = vec![user_id.to_string()];
    for (role, area) in role_areas {
        binds.push(role.clone());
        binds.push(area.clone());
        conds.push(format!(
            "(role = ${} AND area_code = ${})",
            binds.len() + 1,
            binds.len() + 2
        ));
    }
    let sql = format!(
        "SELECT kind, COUNT(*) FROM notifications WHERE created_at > $1 AND created_at <= $2 \
         AND read_at IS NULL AND ({}) GROUP BY kind ORDER BY kind",
        conds.join(" OR ")
    );
    let mut q = sqlx::query(&sql).bind(since).bind(until);
    for b in binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// Record a user's digest of a day; `false` when one exists (another run made it).
pub async fn insert_digest(
    conn: &mut AnyConnection,
    user_id: &str,
    day: &str,
    county: &str,
    notices: i64,
    now: i64,
) -> AppResult<bool> {
    let n = sqlx::query(
        "INSERT INTO digests (user_id, day, county_code, notices, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, day) DO NOTHING",
    )
    .bind(user_id.to_string())
    .bind(day.to_string())
    .bind(county.to_string())
    .bind(notices)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}
