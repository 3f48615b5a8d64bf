//! All SQL of the disclosure slice.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::rules::{Frequency, Item, Settings};
use crate::db::Db;
use crate::error::AppResult;

fn bad(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("bad {what} in a disclosure record").into())
}

pub async fn settings(conn: &mut AnyConnection, county: &str) -> AppResult<Settings> {
    crate::db::county_settings(conn, "disclosure_settings", county).await
}

pub async fn save_settings(
    conn: &mut AnyConnection,
    county: &str,
    s: &Settings,
    now: i64,
) -> AppResult<()> {
    crate::db::put_county_settings(conn, "disclosure_settings", county, s, now).await
}

// ---------------------------------------------------------------- catalogue

const ITEM_COLS: &str =
    "code, area_code, name_zh, name_en, frequency, event_days, due_day, template, legal_basis, origin";

fn row_to_item(r: &sqlx::any::AnyRow) -> Result<Item, sqlx::Error> {
    Ok(Item {
        code: r.try_get(0)?,
        area_code: r.try_get(1)?,
        name_zh: r.try_get(2)?,
        name_en: r.try_get(3)?,
        frequency: Frequency::parse(&r.try_get::<String, _>(4)?).ok_or_else(|| bad("frequency"))?,
        event_days: r.try_get(5)?,
        due_day: u32::try_from(r.try_get::<i64, _>(6)?).unwrap_or(10),
        template: r.try_get(7)?,
        legal_basis: r.try_get(8)?,
        origin: r.try_get(9)?,
    })
}

/// Insert an item unless one with its code exists for the area.
pub async fn insert_item(
    conn: &mut AnyConnection,
    county: &str,
    it: &Item,
    by: &str,
    demand_note: Option<&str>,
    now: i64,
) -> AppResult<bool> {
    let n = sqlx::query(&format!(
        "INSERT INTO disclosure_items (id, county_code, {ITEM_COLS}, demand_note, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) \
         ON CONFLICT (area_code, code) DO NOTHING"
    ))
    .bind(crate::clock::new_id())
    .bind(county)
    .bind(&it.code)
    .bind(&it.area_code)
    .bind(&it.name_zh)
    .bind(&it.name_en)
    .bind(it.frequency.as_str())
    .bind(it.event_days)
    .bind(i64::from(it.due_day))
    .bind(&it.template)
    .bind(&it.legal_basis)
    .bind(&it.origin)
    .bind(demand_note)
    .bind(by)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// The county's items followed by the village's own.
pub async fn items_for(
    conn: &mut AnyConnection,
    county: &str,
    village: &str,
) -> AppResult<Vec<Item>> {
    let rows = sqlx::query(&format!(
        "SELECT {ITEM_COLS} FROM disclosure_items WHERE area_code = $1 OR area_code = $2 \
         ORDER BY CASE WHEN area_code = $1 THEN 0 ELSE 1 END, created_at, code"
    ))
    .bind(county)
    .bind(village)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(row_to_item).collect::<Result<_, _>>()?)
}

/// Every item of the county, its villages' included.
pub async fn all_items(conn: &mut AnyConnection, county: &str) -> AppResult<Vec<Item>> {
    let rows = sqlx::query(&format!(
        "SELECT {ITEM_COLS} FROM disclosure_items WHERE county_code = $1 ORDER BY created_at, code"
    ))
    .bind(county)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(row_to_item).collect::<Result<_, _>>()?)
}

// ---------------------------------------------------------------- publications

/// A publication as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Publication {
    pub id: String,
    pub county_code: String,
    pub area_code: String,
    pub item_code: String,
    pub period: String,
    pub title: String,
    pub body: String,
    pub source_type: String,
    pub source_id: Option<String>,
    /// Typed by hand rather than generated from the records (R-VA-5: flagged).
    pub manual: bool,
    /// `in_review`, `returned`, `approved` or `released`.
    pub status: String,
    pub review_until: Option<i64>,
    pub review_note: Option<String>,
    pub reviewed_by: Option<String>,
    pub seq: Option<i64>,
    pub released_at: Option<i64>,
    pub display_until: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const PUB_COLS: &str = "id, county_code, area_code, item_code, period, title, body, source_type, \
    source_id, manual, status, review_until, review_note, reviewed_by, seq, released_at, \
    display_until, prev_hash, hash, created_by, created_at, updated_at";

fn row_to_pub(r: &sqlx::any::AnyRow) -> Result<Publication, sqlx::Error> {
    Ok(Publication {
        id: r.try_get(0)?,
        county_code: r.try_get(1)?,
        area_code: r.try_get(2)?,
        item_code: r.try_get(3)?,
        period: r.try_get(4)?,
        title: r.try_get(5)?,
        body: r.try_get(6)?,
        source_type: r.try_get(7)?,
        source_id: r.try_get(8)?,
        manual: r.try_get::<i64, _>(9)? != 0,
        status: r.try_get(10)?,
        review_until: r.try_get(11)?,
        review_note: r.try_get(12)?,
        reviewed_by: r.try_get(13)?,
        seq: r.try_get(14)?,
        released_at: r.try_get(15)?,
        display_until: r.try_get(16)?,
        prev_hash: r.try_get(17)?,
        hash: r.try_get(18)?,
        created_by: r.try_get(19)?,
        created_at: r.try_get(20)?,
        updated_at: r.try_get(21)?,
    })
}

pub async fn insert_publication(conn: &mut AnyConnection, p: &Publication) -> AppResult<()> {
    insert_publications(conn, std::slice::from_ref(p)).await
}

/// Many at once (demo history and benchmarks), in multi-row statements.
pub async fn insert_publications(conn: &mut AnyConnection, ps: &[Publication]) -> AppResult<()> {
    let backend = crate::db::backend_of(conn);
    for chunk in crate::db::fixed_chunks(ps) {
        let sql = format!(
            "INSERT INTO publications ({PUB_COLS}) VALUES {}",
            crate::db::values_list(backend, chunk.len(), 22, "")
        );
        let mut q = sqlx::query(&sql);
        for p in chunk {
            q = q
                .bind(&p.id)
                .bind(&p.county_code)
                .bind(&p.area_code)
                .bind(&p.item_code)
                .bind(&p.period)
                .bind(&p.title)
                .bind(&p.body)
                .bind(&p.source_type)
                .bind(p.source_id.clone())
                .bind(i64::from(p.manual))
                .bind(&p.status)
                .bind(p.review_until)
                .bind(p.review_note.clone())
                .bind(p.reviewed_by.clone())
                .bind(p.seq)
                .bind(p.released_at)
                .bind(p.display_until)
                .bind(p.prev_hash.clone())
                .bind(p.hash.clone())
                .bind(&p.created_by)
                .bind(p.created_at)
                .bind(p.updated_at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn update_publication(conn: &mut AnyConnection, p: &Publication) -> AppResult<()> {
    sqlx::query(
        "UPDATE publications SET title = $2, body = $3, status = $4, review_until = $5, \
         review_note = $6, reviewed_by = $7, seq = $8, released_at = $9, display_until = $10, \
         prev_hash = $11, hash = $12, updated_at = $13 WHERE id = $1 AND status <> 'released'",
    )
    .bind(&p.id)
    .bind(&p.title)
    .bind(&p.body)
    .bind(&p.status)
    .bind(p.review_until)
    .bind(p.review_note.clone())
    .bind(p.reviewed_by.clone())
    .bind(p.seq)
    .bind(p.released_at)
    .bind(p.display_until)
    .bind(p.prev_hash.clone())
    .bind(p.hash.clone())
    .bind(p.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn get_publication(conn: &mut AnyConnection, id: &str) -> AppResult<Option<Publication>> {
    let row = sqlx::query(&format!(
        "SELECT {PUB_COLS} FROM publications WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.as_ref().map(row_to_pub).transpose()?)
}

/// The released publication at `seq` in a village's chain.
pub async fn at_seq(
    conn: &mut AnyConnection,
    area: &str,
    seq: i64,
) -> AppResult<Option<Publication>> {
    let row = sqlx::query(&format!(
        "SELECT {PUB_COLS} FROM publications WHERE area_code = $1 AND seq = $2"
    ))
    .bind(area)
    .bind(seq)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.as_ref().map(row_to_pub).transpose()?)
}

/// Publications under an area prefix, newest first (staff lists).
pub async fn list(
    conn: &mut AnyConnection,
    prefix: &str,
    status: &str,
    limit: i64,
) -> AppResult<Vec<Publication>> {
    let rows = sqlx::query(&format!(
        "SELECT {PUB_COLS} FROM publications WHERE area_code LIKE $1 || '%' \
         AND ($2 = '' OR status = $2) ORDER BY updated_at DESC LIMIT $3"
    ))
    .bind(prefix)
    .bind(status)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(row_to_pub).collect::<Result<_, _>>()?)
}

/// A released publication as the public list shows it (no body).
#[derive(Debug, Clone, Serialize)]
pub struct PublicRow {
    pub id: String,
    pub item_code: String,
    pub period: String,
    pub title: String,
    pub released_at: i64,
    pub hash: String,
}

/// Released publications of a village in `[from, to)`, newest first.
pub async fn released_between(
    conn: &mut AnyConnection,
    area: &str,
    from: i64,
    to: i64,
    limit: i64,
) -> AppResult<Vec<PublicRow>> {
    let rows = sqlx::query(
        "SELECT id, item_code, period, title, released_at, hash FROM publications \
         WHERE area_code = $1 AND status = 'released' AND released_at >= $2 AND released_at < $3 \
         ORDER BY released_at DESC LIMIT $4",
    )
    .bind(area)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PublicRow {
                id: r.try_get(0)?,
                item_code: r.try_get(1)?,
                period: r.try_get(2)?,
                title: r.try_get(3)?,
                released_at: r.try_get(4)?,
                hash: r.try_get::<Option<String>, _>(5)?.unwrap_or_default(),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Released times of a village's publications (for the year index).
pub async fn released_times(conn: &mut AnyConnection, area: &str) -> AppResult<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT released_at FROM publications WHERE area_code = $1 AND status = 'released'",
    )
    .bind(area)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Which (village, item) pairs have a released publication for one of `periods`.
pub async fn released_periods(
    conn: &mut AnyConnection,
    county: &str,
    periods: &[String],
) -> AppResult<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    for p in periods {
        let rows = sqlx::query(
            "SELECT DISTINCT area_code, item_code, period FROM publications \
             WHERE county_code = $1 AND period = $2 AND status = 'released'",
        )
        .bind(county)
        .bind(p)
        .fetch_all(&mut *conn)
        .await?;
        for r in rows {
            out.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?));
        }
    }
    Ok(out)
}

/// Bump a village's chain head: returns the new sequence number and the previous hash.
pub async fn bump_head(
    conn: &mut AnyConnection,
    area: &str,
    county: &str,
    by: i64,
) -> AppResult<(i64, String)> {
    sqlx::query(
        "INSERT INTO publication_heads (area_code, county_code, seq, hash) VALUES ($1, $2, 0, $3) \
         ON CONFLICT (area_code) DO NOTHING",
    )
    .bind(area)
    .bind(county)
    .bind(super::rules::GENESIS)
    .execute(&mut *conn)
    .await?;
    let r = sqlx::query(
        "UPDATE publication_heads SET seq = seq + $2 WHERE area_code = $1 RETURNING seq, hash",
    )
    .bind(area)
    .bind(by)
    .fetch_one(&mut *conn)
    .await?;
    Ok((r.try_get(0)?, r.try_get(1)?))
}

pub async fn set_head_hash(conn: &mut AnyConnection, area: &str, hash: &str) -> AppResult<()> {
    sqlx::query("UPDATE publication_heads SET hash = $2 WHERE area_code = $1")
        .bind(area)
        .bind(hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A released publication's chained fields, for verification.
#[derive(Debug, Clone)]
pub struct ChainRow {
    pub area_code: String,
    pub seq: i64,
    pub item_code: String,
    pub period: String,
    pub title: String,
    pub body: String,
    pub released_at: i64,
    pub prev_hash: String,
    pub hash: String,
}

/// Released publications after `(area, seq)` in chain order.
pub async fn chain_page(db: &Db, area: &str, seq: i64, limit: i64) -> AppResult<Vec<ChainRow>> {
    let rows = sqlx::query(
        "SELECT area_code, seq, item_code, period, title, body, released_at, prev_hash, hash \
         FROM publications WHERE seq IS NOT NULL AND (area_code > $1 OR (area_code = $1 AND seq > $2)) \
         ORDER BY area_code, seq LIMIT $3",
    )
    .bind(area)
    .bind(seq)
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ChainRow {
                area_code: r.try_get(0)?,
                seq: r.try_get(1)?,
                item_code: r.try_get(2)?,
                period: r.try_get(3)?,
                title: r.try_get(4)?,
                body: r.try_get(5)?,
                released_at: r.try_get(6)?,
                prev_hash: r.try_get::<Option<String>, _>(7)?.unwrap_or_default(),
                hash: r.try_get::<Option<String>, _>(8)?.unwrap_or_default(),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Every chain head: (area, seq, hash).
pub async fn heads(db: &Db) -> AppResult<Vec<(String, i64, String)>> {
    let rows = sqlx::query("SELECT area_code, seq, hash FROM publication_heads ORDER BY area_code")
        .fetch_all(&db.read)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Set a head outright (bulk loading of history).
pub async fn put_head(
    conn: &mut AnyConnection,
    area: &str,
    county: &str,
    seq: i64,
    hash: &str,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO publication_heads (area_code, county_code, seq, hash) VALUES ($1,$2,$3,$4) \
         ON CONFLICT (area_code) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )
    .bind(area)
    .bind(county)
    .bind(seq)
    .bind(hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- objections

#[derive(Debug, Clone, Serialize)]
pub struct Objection {
    pub id: String,
    pub publication_id: String,
    pub county_code: String,
    pub area_code: String,
    pub author_user_id: Option<String>,
    pub author_name: String,
    pub text: String,
    pub created_at: i64,
    pub answer_due: i64,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<i64>,
    pub escalated_at: Option<i64>,
}

const OBJ_COLS: &str = "id, publication_id, county_code, area_code, author_user_id, author_name, \
    text, created_at, answer_due, answer, answered_by, answered_at, escalated_at";

fn row_to_obj(r: &sqlx::any::AnyRow) -> Result<Objection, sqlx::Error> {
    Ok(Objection {
        id: r.try_get(0)?,
        publication_id: r.try_get(1)?,
        county_code: r.try_get(2)?,
        area_code: r.try_get(3)?,
        author_user_id: r.try_get(4)?,
        author_name: r.try_get(5)?,
        text: r.try_get(6)?,
        created_at: r.try_get(7)?,
        answer_due: r.try_get(8)?,
        answer: r.try_get(9)?,
        answered_by: r.try_get(10)?,
        answered_at: r.try_get(11)?,
        escalated_at: r.try_get(12)?,
    })
}

pub async fn insert_objection(conn: &mut AnyConnection, o: &Objection) -> AppResult<()> {
    sqlx::query(&format!(
        "INSERT INTO objections ({OBJ_COLS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)"
    ))
    .bind(&o.id)
    .bind(&o.publication_id)
    .bind(&o.county_code)
    .bind(&o.area_code)
    .bind(o.author_user_id.clone())
    .bind(&o.author_name)
    .bind(&o.text)
    .bind(o.created_at)
    .bind(o.answer_due)
    .bind(o.answer.clone())
    .bind(o.answered_by.clone())
    .bind(o.answered_at)
    .bind(o.escalated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn get_objection(conn: &mut AnyConnection, id: &str) -> AppResult<Option<Objection>> {
    let row = sqlx::query(&format!("SELECT {OBJ_COLS} FROM objections WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.as_ref().map(row_to_obj).transpose()?)
}

pub async fn objections_of(
    conn: &mut AnyConnection,
    publication: &str,
) -> AppResult<Vec<Objection>> {
    let rows = sqlx::query(&format!(
        "SELECT {OBJ_COLS} FROM objections WHERE publication_id = $1 ORDER BY created_at"
    ))
    .bind(publication)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(row_to_obj).collect::<Result<_, _>>()?)
}

/// Unanswered objections under an area prefix.
pub async fn open_objections(conn: &mut AnyConnection, prefix: &str) -> AppResult<Vec<Objection>> {
    let rows = sqlx::query(&format!(
        "SELECT {OBJ_COLS} FROM objections WHERE area_code LIKE $1 || '%' AND answered_at IS NULL \
         ORDER BY answer_due"
    ))
    .bind(prefix)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(row_to_obj).collect::<Result<_, _>>()?)
}

pub async fn answer_objection(
    conn: &mut AnyConnection,
    id: &str,
    answer: &str,
    by: &str,
    now: i64,
) -> AppResult<u64> {
    Ok(sqlx::query(
        "UPDATE objections SET answer = $2, answered_by = $3, answered_at = $4 \
         WHERE id = $1 AND answered_at IS NULL",
    )
    .bind(id)
    .bind(answer)
    .bind(by)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Unanswered objections past their deadline and not yet escalated.
pub async fn overdue_objections(conn: &mut AnyConnection, now: i64) -> AppResult<Vec<Objection>> {
    let rows = sqlx::query(&format!(
        "SELECT {OBJ_COLS} FROM objections WHERE answered_at IS NULL AND escalated_at IS NULL \
         AND answer_due < $1"
    ))
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(row_to_obj).collect::<Result<_, _>>()?)
}

pub async fn mark_escalated(conn: &mut AnyConnection, id: &str, now: i64) -> AppResult<()> {
    sqlx::query("UPDATE objections SET escalated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Counts of objections (all, unanswered) per publication of a village.
pub async fn objection_counts(
    conn: &mut AnyConnection,
    area: &str,
) -> AppResult<Vec<(String, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT publication_id, COUNT(*), SUM(CASE WHEN answered_at IS NULL THEN 1 ELSE 0 END) \
         FROM objections WHERE area_code = $1 GROUP BY publication_id",
    )
    .bind(area)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get::<Option<i64>, _>(2)?.unwrap_or(0),
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Adults and representatives of a village (R-VA-2 thresholds).
pub async fn village_counts(
    conn: &mut AnyConnection,
    village: &str,
    adult_cutoff: &str,
) -> AppResult<(i64, i64)> {
    let r = sqlx::query(
        "SELECT COUNT(*), COUNT(CASE WHEN is_representative = 1 THEN 1 END) FROM persons \
         WHERE area_code LIKE $1 || '%' AND status = 'active' AND birth_date <= $2",
    )
    .bind(village)
    .bind(adult_cutoff)
    .fetch_one(&mut *conn)
    .await?;
    Ok((r.try_get(0)?, r.try_get(1)?))
}

/// Remove every publication, objection and chain head of a county (benchmark set-up only).
pub async fn clear_county(conn: &mut AnyConnection, county: &str) -> AppResult<()> {
    for sql in [
        "DELETE FROM objections WHERE county_code = $1",
        "DELETE FROM publication_postings WHERE county_code = $1",
        "DELETE FROM publications WHERE county_code = $1",
        "DELETE FROM publication_heads WHERE county_code = $1",
    ] {
        sqlx::query(sql).bind(county).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Whether a notification of `kind` with exactly `body` was already sent to `area`.
pub async fn notified(
    conn: &mut AnyConnection,
    kind: &str,
    area: &str,
    body: &str,
) -> AppResult<bool> {
    let row = sqlx::query(
        "SELECT 1 FROM notifications WHERE kind = $1 AND area_code = $2 AND body = $3 LIMIT 1",
    )
    .bind(kind)
    .bind(area)
    .bind(body)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// Whether a publication generated from `source_id` is drafted and not yet released.
pub async fn draft_pending(conn: &mut AnyConnection, source_id: &str) -> AppResult<bool> {
    let row = sqlx::query(
        "SELECT 1 FROM publications WHERE source_id = $1 AND status <> 'released' LIMIT 1",
    )
    .bind(source_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// Photo evidence that a released publication was posted on the village board.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Posting {
    pub id: String,
    pub publication_id: String,
    pub county_code: String,
    pub area_code: String,
    pub posted_at: i64,
    /// Where on the village it was posted (`村委会公开栏` …).
    pub place: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub photo_digest: String,
    pub photo_size: i64,
    pub photo_width: i64,
    pub photo_height: i64,
    pub recorded_by: String,
    pub recorded_at: i64,
    pub removed_at: Option<i64>,
    pub removed_by: Option<String>,
    pub removal_note: Option<String>,
}

const POSTING_COLS: &str = "id, publication_id, county_code, area_code, posted_at, place, lat, \
    lon, photo_digest, photo_size, photo_width, photo_height, recorded_by, recorded_at, \
    removed_at, removed_by, removal_note, photo_key";

fn row_to_posting(r: &sqlx::any::AnyRow) -> Result<Posting, sqlx::Error> {
    Ok(Posting {
        id: r.try_get(0)?,
        publication_id: r.try_get(1)?,
        county_code: r.try_get(2)?,
        area_code: r.try_get(3)?,
        posted_at: r.try_get(4)?,
        place: r.try_get(5)?,
        lat: r.try_get(6)?,
        lon: r.try_get(7)?,
        photo_digest: r.try_get(8)?,
        photo_size: r.try_get(9)?,
        photo_width: r.try_get(10)?,
        photo_height: r.try_get(11)?,
        recorded_by: r.try_get(12)?,
        recorded_at: r.try_get(13)?,
        removed_at: r.try_get(14)?,
        removed_by: r.try_get(15)?,
        removal_note: r.try_get(16)?,
    })
}

pub async fn insert_posting(
    conn: &mut AnyConnection,
    p: &Posting,
    photo_key: &str,
) -> AppResult<()> {
    // sqlx 0.8's `Any` driver gives a NULL f64 the wrong PostgreSQL type; a cached
    // statement prepared with NULL coordinates then rejects real ones. Not cached there.
    // backend-specific
    let cache = crate::db::backend_of(conn) == crate::db::Backend::Sqlite;
    sqlx::query(
        "INSERT INTO publication_postings (id, publication_id, county_code, area_code, posted_at, \
         place, lat, lon, photo_key, photo_digest, photo_size, photo_width, photo_height, \
         recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .persistent(cache)
    .bind(&p.id)
    .bind(&p.publication_id)
    .bind(&p.county_code)
    .bind(&p.area_code)
    .bind(p.posted_at)
    .bind(&p.place)
    .bind(p.lat)
    .bind(p.lon)
    .bind(photo_key)
    .bind(&p.photo_digest)
    .bind(p.photo_size)
    .bind(p.photo_width)
    .bind(p.photo_height)
    .bind(&p.recorded_by)
    .bind(p.recorded_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Many postings sharing one photo (the demo history), in multi-row statements.
pub async fn insert_postings(
    conn: &mut AnyConnection,
    ps: &[Posting],
    photo_key: &str,
) -> AppResult<()> {
    let backend = crate::db::backend_of(conn);
    for chunk in crate::db::fixed_chunks(ps) {
        let sql = format!(
            "INSERT INTO publication_postings (id, publication_id, county_code, area_code, \
             posted_at, place, lat, lon, photo_key, photo_digest, photo_size, photo_width, \
             photo_height, recorded_by, recorded_at) VALUES {}",
            crate::db::values_list(backend, chunk.len(), 15, "")
        );
        // Not cached on PostgreSQL: see `insert_posting`. backend-specific
        let mut q = sqlx::query(&sql).persistent(backend == crate::db::Backend::Sqlite);
        for p in chunk {
            q = q
                .bind(&p.id)
                .bind(&p.publication_id)
                .bind(&p.county_code)
                .bind(&p.area_code)
                .bind(p.posted_at)
                .bind(&p.place)
                .bind(p.lat)
                .bind(p.lon)
                .bind(photo_key)
                .bind(&p.photo_digest)
                .bind(p.photo_size)
                .bind(p.photo_width)
                .bind(p.photo_height)
                .bind(&p.recorded_by)
                .bind(p.recorded_at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A posting with the blob-store key of its photo.
pub async fn get_posting(
    conn: &mut AnyConnection,
    id: &str,
) -> AppResult<Option<(Posting, String)>> {
    let row = sqlx::query(&format!(
        "SELECT {POSTING_COLS} FROM publication_postings WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row
        .as_ref()
        .map(|r| Ok::<_, sqlx::Error>((row_to_posting(r)?, r.try_get(17)?)))
        .transpose()?)
}

/// The postings of a publication, in the order they went up.
pub async fn postings_of(conn: &mut AnyConnection, publication: &str) -> AppResult<Vec<Posting>> {
    let rows = sqlx::query(&format!(
        "SELECT {POSTING_COLS} FROM publication_postings WHERE publication_id = $1 \
         ORDER BY posted_at, id"
    ))
    .bind(publication)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(row_to_posting).collect::<Result<_, _>>()?)
}

/// Record that a posting came down; 0 rows when it already had.
pub async fn mark_removed(
    conn: &mut AnyConnection,
    id: &str,
    removed_at: i64,
    by: &str,
    note: &str,
) -> AppResult<u64> {
    Ok(sqlx::query(
        "UPDATE publication_postings SET removed_at = $2, removed_by = $3, removal_note = $4 \
         WHERE id = $1 AND removed_at IS NULL",
    )
    .bind(id)
    .bind(removed_at)
    .bind(by)
    .bind(note)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Released publications of `county` under `prefix`, released at or before `released_by`,
/// with no posting recorded at all (oldest release first).
pub async fn unposted(
    conn: &mut AnyConnection,
    county: &str,
    prefix: &str,
    released_by: i64,
    limit: i64,
) -> AppResult<Vec<Publication>> {
    let rows = sqlx::query(&format!(
        "SELECT {PUB_COLS} FROM publications p WHERE p.county_code = $1 \
         AND p.area_code LIKE $2 || '%' AND p.status = 'released' AND p.released_at <= $3 \
         AND NOT EXISTS (SELECT 1 FROM publication_postings x WHERE x.publication_id = p.id) \
         ORDER BY p.released_at, p.id LIMIT $4"
    ))
    .bind(county)
    .bind(prefix)
    .bind(released_by)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(row_to_pub).collect::<Result<_, _>>()?)
}

/// Every publication generated from one record (a matter's resolution and result), oldest first.
pub async fn of_source(conn: &mut AnyConnection, source_id: &str) -> AppResult<Vec<Publication>> {
    let rows = sqlx::query(&format!(
        "SELECT {PUB_COLS} FROM publications WHERE source_id = $1 ORDER BY created_at, id"
    ))
    .bind(source_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(row_to_pub).collect::<Result<_, _>>()?)
}
