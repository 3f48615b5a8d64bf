//! SQL of the audit chain.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::rules::{chain_hash, snapshot_digest, AuditRecord, GENESIS};
use super::Entry;
use crate::authz::Actor;
use crate::clock;
use crate::db::{Db, Script};
use crate::error::{AppError, AppResult};

/// Append one record to the chain inside the caller's transaction.
///
/// The head row is locked first (see [`push_lock_head`]), so concurrent writers line up
/// and the chain never forks.
pub async fn record(conn: &mut AnyConnection, actor: &Actor, e: Entry<'_>) -> AppResult<i64> {
    record_many(conn, vec![(actor, e)]).await
}

/// Append many records at once inside the caller's transaction: one head lock, then the
/// multi-row inserts and the new head in one script. Used by group commit and sweeps, where
/// one statement per record would cost more than the work itself. Each entry may carry its
/// own actor.
pub async fn record_many(
    conn: &mut AnyConnection,
    entries: Vec<(&Actor, Entry<'_>)>,
) -> AppResult<i64> {
    if entries.is_empty() {
        return Ok(0);
    }
    let backend = crate::db::backend_of(conn);
    let mut s = Script::new(backend);
    push_lock_head(&mut s);
    let rows = s.run(&mut *conn).await?;
    let head = head_of(rows.last())?;
    let mut s = Script::new(backend);
    let last = push_append(&mut s, head, entries);
    s.run(conn).await?;
    Ok(last)
}

/// The chain's head: the last sequence number and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

/// Add to `s` the lock of the chain's head, a statement that returns one row: read it with
/// [`head_of`]. A no-op `UPDATE … RETURNING` takes the row lock on PostgreSQL (and the
/// database write lock on SQLite), so concurrent writers line up and the chain never forks.
pub fn push_lock_head(s: &mut Script) {
    s.statement("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash");
}

/// The head from the row returned by [`push_lock_head`].
pub fn head_of(row: Option<&sqlx::any::AnyRow>) -> AppResult<Head> {
    let row =
        row.ok_or_else(|| AppError::Internal(anyhow::anyhow!("the audit chain has no head")))?;
    Ok(Head {
        seq: row.try_get(0)?,
        hash: row.try_get(1)?,
    })
}

/// Add to `s` the records of `entries` chained after `head` (read with [`push_lock_head`] in
/// the same transaction) and the new head. Returns the last sequence number.
pub fn push_append(s: &mut Script, head: Head, entries: Vec<(&Actor, Entry<'_>)>) -> i64 {
    if entries.is_empty() {
        return head.seq;
    }
    let at = clock::now_ms();
    let mut prev_hash = head.hash;
    let mut records = Vec::with_capacity(entries.len());
    for (i, (actor, e)) in entries.into_iter().enumerate() {
        let mut r = AuditRecord {
            seq: head.seq + 1 + i as i64,
            at,
            actor_id: (!actor.user_id.is_empty()).then(|| actor.user_id.clone()),
            actor_name: actor.username.clone(),
            on_behalf_of: actor.on_behalf_of.clone(),
            action: e.action.to_string(),
            object_type: e.object_type.to_string(),
            object_id: e.object_id.to_string(),
            area_code: e.area_code.map(str::to_string),
            source: actor.source.clone(),
            before_digest: e.before.as_ref().map(snapshot_digest),
            after_digest: e.after.as_ref().map(snapshot_digest),
            detail: e.detail,
            prev_hash,
            hash: String::new(),
        };
        r.hash = chain_hash(&r);
        prev_hash = r.hash.clone();
        records.push(r);
    }
    let last = head.seq + records.len() as i64;
    for chunk in crate::db::fixed_chunks(&records) {
        let sql = format!(
            "INSERT INTO audit_log ({COLUMNS}) VALUES {}",
            crate::db::values_list(s.backend(), chunk.len(), 15, "")
        );
        s.statement(&sql);
        for r in chunk {
            s.bind(r.seq)
                .bind(r.at)
                .bind(r.actor_id.clone())
                .bind(r.actor_name.clone())
                .bind(r.on_behalf_of.clone())
                .bind(r.action.clone())
                .bind(r.object_type.clone())
                .bind(r.object_id.clone())
                .bind(r.area_code.clone())
                .bind(r.source.clone())
                .bind(r.before_digest.clone())
                .bind(r.after_digest.clone())
                .bind(r.detail.clone())
                .bind(r.prev_hash.clone())
                .bind(r.hash.clone());
        }
    }
    s.statement("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(last)
        .bind(prev_hash);
    last
}

fn row_to_record(row: &sqlx::any::AnyRow) -> Result<AuditRecord, sqlx::Error> {
    Ok(AuditRecord {
        seq: row.try_get(0)?,
        at: row.try_get(1)?,
        actor_id: row.try_get(2)?,
        actor_name: row.try_get(3)?,
        on_behalf_of: row.try_get(4)?,
        action: row.try_get(5)?,
        object_type: row.try_get(6)?,
        object_id: row.try_get(7)?,
        area_code: row.try_get(8)?,
        source: row.try_get(9)?,
        before_digest: row.try_get(10)?,
        after_digest: row.try_get(11)?,
        detail: row.try_get(12)?,
        prev_hash: row.try_get(13)?,
        hash: row.try_get(14)?,
    })
}

const COLUMNS: &str = "seq, at, actor_id, actor_name, on_behalf_of, action, object_type, \
    object_id, area_code, source, before_digest, after_digest, detail, prev_hash, hash";

/// The outcome of walking the chain.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VerifyReport {
    pub records: i64,
    /// `None` when intact; otherwise what is wrong and where.
    pub problem: Option<String>,
}

/// Every field of a record as one text value (see [`crate::db::packed`]), in the order the
/// chain hash takes them, then the hash.
fn packed_record() -> String {
    crate::db::packed(&[
        "prev_hash",
        "CAST(seq AS TEXT)",
        "CAST(at AS TEXT)",
        "COALESCE(actor_id, '')",
        "actor_name",
        "COALESCE(on_behalf_of, '')",
        "action",
        "object_type",
        "object_id",
        "COALESCE(area_code, '')",
        "COALESCE(source, '')",
        "COALESCE(before_digest, '')",
        "COALESCE(after_digest, '')",
        "detail",
        "hash",
    ])
}

/// What one range of the chain looked like.
struct RangeWalk {
    /// `prev_hash` of the range's first record.
    first_prev: Option<String>,
    last_hash: Option<String>,
    count: i64,
    /// (seq, what is wrong) — the first problem inside the range.
    problem: Option<(i64, String)>,
}

/// Walk records `from..to` (by seq) and recompute every hash.
async fn walk_range(db: Db, from: i64, to: i64) -> anyhow::Result<RangeWalk> {
    let mut w = RangeWalk {
        first_prev: None,
        last_hash: None,
        count: 0,
        problem: None,
    };
    let mut expected = from;
    // A window of records comes back as one value (their packed rows joined in order): one
    // row to hand over per window, not one per record.
    const WINDOW: i64 = 2_000;
    let sql = format!(
        "SELECT string_agg(p, '' ORDER BY s) FROM \
         (SELECT seq AS s, {} AS p FROM audit_log WHERE seq >= $1 AND seq < $2) w",
        packed_record()
    );
    while expected < to {
        let end = (expected + WINDOW).min(to);
        let joined: Option<String> = sqlx::query(&sql)
            .bind(expected)
            .bind(end)
            .fetch_one(&db.read)
            .await?
            .try_get(0)?;
        let mut rest = joined.as_deref().unwrap_or("");
        while !rest.is_empty() {
            let Some((f, tail)) = crate::db::unpack_prefix::<15>(rest) else {
                w.problem = Some((expected, format!("audit record {expected} is malformed")));
                return Ok(w);
            };
            rest = tail;
            let Ok(seq) = f[1].parse::<i64>() else {
                w.problem = Some((expected, format!("audit record {expected} is malformed")));
                return Ok(w);
            };
            if seq != expected {
                w.problem = Some((expected, format!("audit record {expected} is missing")));
                return Ok(w);
            }
            let fields: [&str; 14] = [
                f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12],
                f[13],
            ];
            match &w.last_hash {
                None => w.first_prev = Some(f[0].to_string()),
                Some(prev) if prev != f[0] => {
                    w.problem = Some((
                        seq,
                        format!(
                            "audit record {seq} does not follow record {} (reordered or replaced)",
                            seq - 1
                        ),
                    ));
                    return Ok(w);
                }
                Some(_) => {}
            }
            if super::rules::chain_hash_of(&fields) != f[14] {
                w.problem = Some((seq, format!("audit record {seq} was altered")));
                return Ok(w);
            }
            w.last_hash = Some(f[14].to_string());
            w.count += 1;
            expected += 1;
        }
        if expected < end {
            break;
        }
    }
    if expected < to {
        w.problem = Some((expected, format!("audit record {expected} is missing")));
    }
    Ok(w)
}

/// Walk the whole chain and recompute every hash. The chain is cut into ranges walked side
/// by side; their seams are checked afterwards, so the result is the same as one walk in
/// order: the first problem by sequence number is reported.
pub async fn verify(db: &Db) -> anyhow::Result<VerifyReport> {
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&db.read)
        .await?;
    let head_seq: i64 = head.try_get(0)?;
    let head_hash: String = head.try_get(1)?;
    let last = sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM audit_log")
        .fetch_one(&db.read)
        .await?
        .try_get::<i64, _>(0)?;
    let end = last + 1;
    let parts: i64 = if end > 50_000 { 4 } else { 1 };
    let step = ((end - 1 + parts - 1) / parts).max(1);
    let mut tasks = Vec::new();
    let mut from = 1;
    while from < end {
        let to = (from + step).min(end);
        tasks.push(tokio::spawn(walk_range(db.clone(), from, to)));
        from = to;
    }
    let mut count = 0i64;
    let mut prev = GENESIS.to_string();
    for t in tasks {
        let w = t.await??;
        if let Some(first) = &w.first_prev {
            if *first != prev {
                let seq = count + 1;
                return Ok(VerifyReport {
                    records: count,
                    problem: Some(format!(
                        "audit record {seq} does not follow record {} (reordered or replaced)",
                        seq - 1
                    )),
                });
            }
        }
        if let Some((_, p)) = w.problem {
            return Ok(VerifyReport {
                records: count + w.count,
                problem: Some(p),
            });
        }
        count += w.count;
        if let Some(h) = w.last_hash {
            prev = h;
        }
    }
    if head_seq != count || head_hash != prev {
        return Ok(VerifyReport {
            records: count,
            problem: Some(format!(
                "audit records after {count} are missing (the head says {head_seq})"
            )),
        });
    }
    Ok(VerifyReport {
        records: count,
        problem: None,
    })
}

/// Filters for browsing the log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action_prefix: Option<String>,
    pub actor: Option<String>,
    pub object_id: Option<String>,
    /// Only records with `seq` below this (paging backwards from the newest).
    pub before_seq: Option<i64>,
    pub limit: i64,
}

/// Newest first. Callers check [`crate::authz::Permission::AuditRead`].
pub async fn list(db: &Db, f: &AuditFilter) -> AppResult<Vec<AuditRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE seq < $1 \
         AND ($2 = '' OR action LIKE $2 || '%') AND ($3 = '' OR actor_name = $3) \
         AND ($4 = '' OR object_id = $4) ORDER BY seq DESC LIMIT $5"
    ))
    .bind(f.before_seq.unwrap_or(i64::MAX))
    .bind(f.action_prefix.clone().unwrap_or_default())
    .bind(f.actor.clone().unwrap_or_default())
    .bind(f.object_id.clone().unwrap_or_default())
    .bind(f.limit.clamp(1, 10_000))
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| row_to_record(r).map_err(Into::into))
        .collect()
}

/// Append `n` synthetic records, in transactions of 5,000 (the `verify` benchmark).
pub async fn fill(db: &Db, n: usize) -> AppResult<()> {
    let actor = Actor::system("bench");
    let mut left = n;
    while left > 0 {
        let k = left.min(5_000);
        let ids: Vec<String> = (0..k).map(|_| clock::new_id()).collect();
        let mut tx = db.write.begin().await?;
        record_many(
            &mut tx,
            ids.iter()
                .map(|id| {
                    (
                        &actor,
                        Entry::new("bench.fill", "bench", id).detail("synthetic record"),
                    )
                })
                .collect(),
        )
        .await?;
        tx.commit().await?;
        left -= k;
    }
    Ok(())
}
