//! Group commit for new cases. One writer task takes every waiting submission, writes them
//! together — case numbers, cases, timeline entries, notifications and the audit records,
//! each with multi-row statements — and commits once. A submission is acknowledged only
//! after that commit is durable (SQLite WAL with synchronous=FULL; PostgreSQL's commit).
//!
//! If a batch fails, each of its submissions is retried alone, so one bad submission never
//! takes the others down with it.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

use super::model::Case;
use super::search::{CaseSearch, SearchDoc};
use super::store::{self, EventRow, NewCaseRow, NotificationRow};
use crate::audit::{self, Entry};
use crate::authz::Actor;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::{clock, Core};

/// The largest batch written in one transaction.
pub const MAX_BATCH: usize = 1024;

/// How long the writer keeps the write connection while submissions keep coming.
const HOLD: Duration = Duration::from_millis(20);

/// How many times the writer lets the runtime run other tasks while that brings more
/// submissions, before it writes a batch.
const LINGER_TURNS: usize = 4;

/// (role, area, kind) of an organisation's notice.
type NoticeKey = (Option<String>, Option<String>, &'static str);
/// (county, first case id, first number, how many) of the cases one notice is about.
type NoticeGroup = (String, String, String, usize);

/// Notices to organisations gathered over a batch: one per organisation and kind, naming
/// the first case and how many more (a digest, not a flood).
#[derive(Debug, Default)]
pub struct Notices(BTreeMap<NoticeKey, NoticeGroup>);

impl Notices {
    /// Count a case towards the notice of `role` on `area` of this `kind`.
    pub fn add(&mut self, r: &Recipient, kind: &'static str, c: &Case) {
        let e = self
            .0
            .entry((r.role.clone(), r.area_code.clone(), kind))
            .or_insert_with(|| (c.county_code.clone(), c.id.clone(), c.number.clone(), 0));
        e.3 += 1;
    }

    /// The inbox rows.
    pub fn into_rows(self, now: i64) -> Vec<NotificationRow> {
        self.0
            .into_iter()
            .map(
                |((role, area, kind), (county, case_id, number, count))| NotificationRow {
                    id: clock::new_id(),
                    county_code: county,
                    user_id: None,
                    role,
                    area_code: area,
                    case_id: (count == 1).then_some(case_id),
                    kind: kind.into(),
                    body: if count == 1 {
                        number
                    } else {
                        format!("{number} +{}", count - 1)
                    },
                    created_at: now,
                },
            )
            .collect()
    }
}

/// Who hears about a new case.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub user_id: Option<String>,
    pub role: Option<String>,
    pub area_code: Option<String>,
}

/// One submission waiting for the writer.
#[derive(Debug)]
pub struct Job {
    pub row: NewCaseRow,
    pub actor: Actor,
    pub notify: Vec<Recipient>,
    pub reply: oneshot::Sender<AppResult<(Case, bool)>>,
}

/// The handle services use to submit new cases.
#[derive(Debug, Clone)]
pub struct Intake {
    tx: mpsc::Sender<Job>,
}

impl Intake {
    /// Start the writer task on the current runtime.
    pub fn start(db: Db, generation: Arc<AtomicU64>, search: Arc<CaseSearch>) -> Intake {
        let (tx, rx) = mpsc::channel(16 * MAX_BATCH);
        tokio::spawn(run(db, rx, generation, search));
        Intake { tx }
    }

    /// Submit a new case and wait until it is durably stored. Returns the case and whether
    /// it was created now (false: an earlier submission with the same idempotency key).
    pub async fn submit(
        &self,
        row: NewCaseRow,
        actor: Actor,
        notify: Vec<Recipient>,
    ) -> AppResult<(Case, bool)> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job {
                row,
                actor,
                notify,
                reply,
            })
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("case intake writer stopped")))?;
        rx.await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("case intake writer dropped a job")))?
    }
}

async fn run(
    db: Db,
    mut rx: mpsc::Receiver<Job>,
    generation: Arc<AtomicU64>,
    search: Arc<CaseSearch>,
) {
    // The write connection, kept from one batch to the next while submissions keep coming
    // (for at most `HOLD`): giving it back to the pool costs a round trip to the database
    // and a task on the runtime, which under load took longer than writing a batch.
    let mut held: Option<(PoolConnection<Any>, Instant)> = None;
    loop {
        let first = if held.is_some() {
            match rx.try_recv() {
                Ok(j) => j,
                Err(_) => {
                    // Nothing waiting: give the connection back.
                    held = None;
                    continue;
                }
            }
        } else {
            match rx.recv().await {
                Some(j) => j,
                None => break,
            }
        };
        let mut jobs = vec![first];
        drain(&mut rx, &mut jobs);
        // Requests that are being read and checked right now join this batch rather than
        // wait a whole commit for the next: let the runtime run what is ready, as long as
        // that brings more (under light load nothing is ready and this costs nothing).
        for _ in 0..LINGER_TURNS {
            let before = jobs.len();
            tokio::task::yield_now().await;
            drain(&mut rx, &mut jobs);
            if jobs.len() == before || jobs.len() >= MAX_BATCH {
                break;
            }
        }
        if held
            .as_ref()
            .is_some_and(|(_, since)| since.elapsed() >= HOLD)
        {
            // Let the other writers in line have their turn (the pool serves in order).
            held = None;
        }
        let conn = match held.take() {
            Some((c, since)) => Ok((c, since)),
            None => db.write.acquire().await.map(|c| (c, clock::instant())),
        };
        let started = clock::instant();
        let outcome = match conn {
            Ok((mut c, since)) => {
                let r = write_batch(&mut c, &jobs).await;
                if r.is_ok() {
                    held = Some((c, since));
                }
                r
            }
            Err(e) => Err(e.into()),
        };
        tracing::debug!(
            batch = jobs.len(),
            micros = started.elapsed().as_micros() as u64,
            "case intake batch"
        );
        // Queues read before this batch are stale now (also after a partial failure).
        generation.fetch_add(1, Ordering::AcqRel);
        match outcome {
            Ok(results) => {
                search.enqueue(new_docs(&results));
                reply_all(jobs, results)
            }
            Err(e) if jobs.len() == 1 => {
                if let Some(j) = jobs.pop() {
                    let _ = j.reply.send(Err(e));
                }
            }
            Err(_) => {
                for j in jobs {
                    let r = match db.write.acquire().await {
                        Ok(mut c) => write_batch(&mut c, std::slice::from_ref(&j))
                            .await
                            .map(|mut v| v.remove(0)),
                        Err(e) => Err(e.into()),
                    };
                    if let Ok(one) = &r {
                        search.enqueue(new_docs(std::slice::from_ref(one)));
                    }
                    let _ = j.reply.send(r);
                }
            }
        }
    }
}

/// Take what is waiting, up to `MAX_BATCH` in all.
fn drain(rx: &mut mpsc::Receiver<Job>, jobs: &mut Vec<Job>) {
    while jobs.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(j) => jobs.push(j),
            Err(_) => break,
        }
    }
}

/// What the search index takes of the cases created by a committed batch.
fn new_docs(results: &[(Case, bool)]) -> Vec<SearchDoc> {
    results
        .iter()
        .filter(|(_, created)| *created)
        .map(|(c, _)| SearchDoc::of(c))
        .collect()
}

fn reply_all(jobs: Vec<Job>, results: Vec<(Case, bool)>) {
    for (j, r) in jobs.into_iter().zip(results) {
        let _ = j.reply.send(Ok(r));
    }
}

/// Write one batch in one transaction. Results are in the order of `jobs`.
async fn write_batch(conn: &mut AnyConnection, jobs: &[Job]) -> AppResult<Vec<(Case, bool)>> {
    let t0 = clock::instant();
    let mut tx = sqlx::Connection::begin(conn).await?;
    let t_begin = t0.elapsed().as_micros() as u64;
    // Idempotency: earlier cases with the same key, and repeats inside this batch.
    let keys: Vec<String> = {
        let mut k: Vec<String> = jobs.iter().filter_map(|j| j.row.idem_key.clone()).collect();
        k.sort();
        k.dedup();
        k
    };
    let existing: HashMap<String, Case> = store::by_idem_keys(&mut tx, &keys)
        .await?
        .into_iter()
        .collect();
    let mut first_with_key: HashMap<&str, usize> = HashMap::new();
    // For each job: Some(index of the job whose case it gets) when it creates nothing.
    let mut same_as: Vec<Option<usize>> = vec![None; jobs.len()];
    let mut fresh: Vec<usize> = Vec::with_capacity(jobs.len());
    for (i, j) in jobs.iter().enumerate() {
        match j.row.idem_key.as_deref() {
            Some(k) if existing.contains_key(k) => {}
            Some(k) => match first_with_key.get(k) {
                Some(&f) => same_as[i] = Some(f),
                None => {
                    first_with_key.insert(k, i);
                    fresh.push(i);
                }
            },
            None => fresh.push(i),
        }
    }
    // Case numbers, per county and year.
    let mut cases: Vec<Option<Case>> = vec![None; jobs.len()];
    let mut groups: BTreeMap<(String, i32), Vec<usize>> = BTreeMap::new();
    for &i in &fresh {
        let c = &jobs[i].row.case;
        let year = clock::year_of(c.created_at);
        groups
            .entry((c.county_code.clone(), year))
            .or_default()
            .push(i);
    }
    for ((county, year), idx) in &groups {
        let last =
            store::reserve_numbers(&mut tx, county, i64::from(*year), idx.len() as i64).await?;
        let first = last - idx.len() as i64 + 1;
        for (k, &i) in idx.iter().enumerate() {
            let mut c = jobs[i].row.case.clone();
            c.number = format!("{year}-{:06}", first + k as i64);
            cases[i] = Some(c);
        }
    }
    let t_numbers = t0.elapsed().as_micros() as u64;
    let mut rows = Vec::with_capacity(fresh.len());
    let mut events = Vec::with_capacity(fresh.len());
    let mut notes = Vec::new();
    let mut grouped = Notices::default();
    for &i in &fresh {
        let Some(c) = cases[i].clone() else { continue };
        let j = &jobs[i];
        events.push(EventRow {
            event: super::model::CaseEvent {
                id: clock::new_id(),
                case_id: c.id.clone(),
                at: c.created_at,
                actor_name: j.actor.display_name.clone(),
                action: "case.raise".into(),
                from_status: None,
                to_status: c.status,
                note: String::new(),
                public: true,
            },
            county_code: c.county_code.clone(),
            actor_id: (!j.actor.user_id.is_empty()).then(|| j.actor.user_id.clone()),
            data_json: None,
        });
        for r in &j.notify {
            let kind = if c.category == super::model::Category::Emergency {
                "case.emergency"
            } else {
                "case.new"
            };
            if r.user_id.is_some() || kind == "case.emergency" {
                // People on duty and emergencies: one notification per case, at once.
                notes.push(NotificationRow {
                    id: clock::new_id(),
                    county_code: c.county_code.clone(),
                    user_id: r.user_id.clone(),
                    role: r.role.clone(),
                    area_code: r.area_code.clone(),
                    case_id: Some(c.id.clone()),
                    kind: kind.into(),
                    body: c.number.clone(),
                    created_at: c.created_at,
                });
            } else {
                // Everyday reports: one inbox entry per organisation per batch, not a flood.
                grouped.add(r, "case.new", &c);
            }
        }
        rows.push(NewCaseRow {
            case: c,
            reporter_phone_enc: j.row.reporter_phone_enc.clone(),
            idem_key: j.row.idem_key.clone(),
        });
    }
    let now = clock::now_ms();
    notes.extend(grouped.into_rows(now));
    store::insert_cases(&mut tx, &rows).await?;
    store::insert_events(&mut tx, &events).await?;
    store::insert_notifications(&mut tx, &notes).await?;
    let t_rows = t0.elapsed().as_micros() as u64;
    let details: Vec<String> = rows
        .iter()
        .map(|r| format!("{} {}", r.case.type_code, r.case.number))
        .collect();
    let entries: Vec<(&Actor, Entry<'_>)> = fresh
        .iter()
        .zip(rows.iter().zip(details))
        .map(|(&i, (r, d))| {
            (
                &jobs[i].actor,
                Entry::new("case.raise", "case", &r.case.id)
                    .area(&r.case.area_code)
                    .detail(d),
            )
        })
        .collect();
    audit::record_many(&mut tx, entries).await?;
    let t_audit = t0.elapsed().as_micros() as u64;
    tx.commit().await?;
    // Microseconds from the start of the batch to the end of each phase.
    tracing::debug!(
        begin = t_begin,
        numbers = t_numbers,
        rows = t_rows,
        audit = t_audit,
        commit = t0.elapsed().as_micros() as u64,
        "case intake phases"
    );
    let mut out = Vec::with_capacity(jobs.len());
    for (i, j) in jobs.iter().enumerate() {
        if let Some(c) = &cases[i] {
            out.push((c.clone(), true));
        } else if let Some(f) = same_as[i] {
            let c = cases[f]
                .clone()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("lost batch case")))?;
            out.push((c, false));
        } else {
            let k = j.row.idem_key.as_deref().unwrap_or_default();
            let c = existing
                .get(k)
                .cloned()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("lost idempotent case")))?;
            out.push((c, false));
        }
    }
    Ok(out)
}

/// Submit through the core's writer.
pub async fn submit(
    core: &Core,
    row: NewCaseRow,
    actor: Actor,
    notify: Vec<Recipient>,
) -> AppResult<(Case, bool)> {
    core.intake().submit(row, actor, notify).await
}
