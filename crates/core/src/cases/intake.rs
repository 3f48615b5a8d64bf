//! Group commit for new cases. One writer task takes every waiting submission, writes them
//! together — case numbers, cases, timeline entries, notifications and the audit records,
//! each with multi-row statements — and commits once. A submission is acknowledged only
//! after that commit is durable (SQLite WAL with synchronous=FULL; PostgreSQL's commit).
//!
//! If a batch fails, each of its submissions is retried alone, so one bad submission never
//! takes the others down with it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Row};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

use super::model::Case;
use super::search::{CaseSearch, SearchDoc};
use super::store::{self, EventRow, NewCaseRow, NotificationRow};
use crate::audit::{self, Entry};
use crate::authz::Actor;
use crate::db::Db;
use crate::db::Script;
use crate::error::{AppError, AppResult};
use crate::{clock, Core};

/// The largest batch written in one transaction.
pub const MAX_BATCH: usize = 1024;

/// How long the writer keeps the write connection while submissions keep coming.
const HOLD: Duration = Duration::from_millis(20);

/// In a burst, a batch smaller than this waits up to [`FILL_WAIT`] for more submissions.
const FILL_TO: usize = 24;
const FILL_WAIT: Duration = Duration::from_millis(1);

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

/// A batch committed but not yet known to be durable.
struct Committed {
    jobs: Vec<Job>,
    results: Vec<(Case, bool)>,
}

/// On SQLite the writer commits its batches without waiting for the disk
/// (`synchronous=NORMAL` on the write connection while it holds it), and this thread makes
/// them durable: it syncs the write-ahead log once for every batch committed since its last
/// sync, then answers their submissions. A submission is acknowledged only after the log
/// that holds its commit is on disk — what `synchronous=FULL` gives, a power cut included —
/// but the writer builds and writes the next batch while the disk syncs the last one,
/// instead of waiting for it.
fn start_syncer(wal: PathBuf, search: Arc<CaseSearch>) -> mpsc::UnboundedSender<Committed> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Committed>();
    let spawned = std::thread::Builder::new()
        .name("case-intake-sync".into())
        .spawn(move || {
            while let Some(first) = rx.blocking_recv() {
                let mut done = vec![first];
                while let Ok(c) = rx.try_recv() {
                    done.push(c);
                }
                let started = clock::instant();
                let synced = sync_log(&wal);
                tracing::debug!(
                    batches = done.len(),
                    micros = started.elapsed().as_micros() as u64,
                    "case intake log sync"
                );
                for c in done {
                    match &synced {
                        Ok(()) => {
                            search.enqueue(new_docs(&c.results));
                            reply_all(c.jobs, c.results);
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "cannot sync the write-ahead log");
                            // Committed, but not known to be durable: the sender retries with
                            // its idempotency key and gets the case if it survived.
                            for j in c.jobs {
                                let _ = j.reply.send(Err(AppError::Internal(anyhow::anyhow!(
                                    "cannot make the case durable: {e}"
                                ))));
                            }
                        }
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the intake sync thread");
    }
    tx
}

/// Sync the log file's data to disk. The file is opened for every sync (a few microseconds
/// beside the sync itself), so a log file SQLite has replaced is never missed.
fn sync_log(wal: &Path) -> std::io::Result<()> {
    std::fs::File::open(wal)?.sync_data()
}

/// Take the write connection for a run of batches. On SQLite its commits stop waiting for
/// the disk until [`give_back`]; the sync thread makes them durable instead.
async fn take_writer(db: &Db, relaxed: bool) -> AppResult<PoolConnection<Any>> {
    let mut c = db.write.acquire().await?;
    if relaxed {
        if let Err(e) = store::set_synchronous(&mut c, false).await {
            give_back(c, relaxed).await;
            return Err(e);
        }
    }
    Ok(c)
}

/// Give the write connection back with its commits durable again; a connection whose
/// setting cannot be restored is closed rather than reused.
async fn give_back(mut c: PoolConnection<Any>, relaxed: bool) {
    if relaxed && store::set_synchronous(&mut c, true).await.is_err() {
        let _ = c.close().await;
    }
}

async fn run(
    db: Db,
    mut rx: mpsc::Receiver<Job>,
    generation: Arc<AtomicU64>,
    search: Arc<CaseSearch>,
) {
    // SQLite: commits relaxed while the writer holds the connection, made durable by the
    // sync thread. PostgreSQL: its commit is durable already.
    let syncer = db.wal.clone().map(|w| start_syncer(w, search.clone()));
    let relaxed = syncer.is_some();
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
                    if let Some((c, _)) = held.take() {
                        give_back(c, relaxed).await;
                    }
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
        // In a burst (the connection is held), a small batch waits a little for the
        // submissions on their way: a batch's fixed costs — the commit above all — are paid
        // once for all of them.
        if held.is_some() && jobs.len() < FILL_TO {
            let waiting = clock::instant();
            while jobs.len() < FILL_TO {
                let left = FILL_WAIT.saturating_sub(waiting.elapsed());
                match tokio::time::timeout(left, rx.recv()).await {
                    Ok(Some(j)) => {
                        jobs.push(j);
                        drain(&mut rx, &mut jobs);
                    }
                    _ => break,
                }
            }
        }
        if let Some((c, since)) = held.take() {
            if since.elapsed() >= HOLD {
                // Let the other writers in line have their turn (the pool serves in order).
                give_back(c, relaxed).await;
            } else {
                held = Some((c, since));
            }
        }
        let conn = match held.take() {
            Some(h) => Ok(h),
            None => take_writer(&db, relaxed)
                .await
                .map(|c| (c, clock::instant())),
        };
        let started = clock::instant();
        let outcome = match conn {
            Ok((mut c, since)) => {
                let r = write_batch(&mut c, &jobs).await;
                if r.is_ok() {
                    held = Some((c, since));
                } else {
                    give_back(c, relaxed).await;
                }
                r
            }
            Err(e) => Err(e),
        };
        tracing::debug!(
            batch = jobs.len(),
            micros = started.elapsed().as_micros() as u64,
            "case intake batch"
        );
        // Queues read before this batch are stale now (also after a partial failure).
        generation.fetch_add(1, Ordering::AcqRel);
        match outcome {
            Ok(results) => match &syncer {
                Some(tx) => {
                    if let Err(mpsc::error::SendError(c)) = tx.send(Committed { jobs, results }) {
                        for j in c.jobs {
                            let _ = j.reply.send(Err(AppError::Internal(anyhow::anyhow!(
                                "case intake sync thread stopped"
                            ))));
                        }
                    }
                }
                None => {
                    search.enqueue(new_docs(&results));
                    reply_all(jobs, results)
                }
            },
            Err(e) if jobs.len() == 1 => {
                if let Some(j) = jobs.pop() {
                    let _ = j.reply.send(Err(e));
                }
            }
            Err(_) => {
                // Each alone, on a connection whose commits wait for the disk.
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
    if let Some((c, _)) = held.take() {
        give_back(c, relaxed).await;
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
///
/// Four round trips to the database whatever the batch size: begin; one script that looks
/// up the idempotency keys, reserves the case numbers and locks the audit chain's head; one
/// script with every insert; commit. Numbers are reserved before the lookup's answer is
/// known, for every submission that is not a repeat inside the batch; those that turn out
/// to repeat an earlier case give theirs back in the second script, in the same transaction
/// (which still holds the counter), so numbers stay gapless.
async fn write_batch(conn: &mut AnyConnection, jobs: &[Job]) -> AppResult<Vec<(Case, bool)>> {
    let t0 = clock::instant();
    let backend = crate::db::backend_of(conn);
    let mut tx = sqlx::Connection::begin(conn).await?;
    let t_begin = t0.elapsed().as_micros() as u64;
    // Repeats inside this batch take the case of the first submission with their key.
    let mut first_with_key: HashMap<&str, usize> = HashMap::new();
    // For each job: Some(index of the job whose case it gets) when it creates nothing.
    let mut same_as: Vec<Option<usize>> = vec![None; jobs.len()];
    let mut candidates: Vec<usize> = Vec::with_capacity(jobs.len());
    for (i, j) in jobs.iter().enumerate() {
        match j.row.idem_key.as_deref() {
            Some(k) => match first_with_key.get(k) {
                Some(&f) => same_as[i] = Some(f),
                None => {
                    first_with_key.insert(k, i);
                    candidates.push(i);
                }
            },
            None => candidates.push(i),
        }
    }
    let mut keys: Vec<String> = first_with_key.keys().map(|k| k.to_string()).collect();
    keys.sort();
    // Case numbers, per county and year.
    let mut groups: BTreeMap<(String, i32), Vec<usize>> = BTreeMap::new();
    for &i in &candidates {
        let c = &jobs[i].row.case;
        groups
            .entry((c.county_code.clone(), clock::year_of(c.created_at)))
            .or_default()
            .push(i);
    }
    let mut s = Script::new(backend);
    store::push_by_idem_keys(&mut s, &keys);
    for ((county, year), idx) in &groups {
        store::push_reserve_numbers(&mut s, county, i64::from(*year), idx.len() as i64);
    }
    audit::store::push_lock_head(&mut s);
    let found = s.run(&mut tx).await?;
    // The rows come in statement order: the earlier cases, one counter per group, the head.
    let (head_row, rest) = found
        .split_last()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("intake script returned nothing")))?;
    let head = audit::store::head_of(Some(head_row))?;
    let split = rest
        .len()
        .checked_sub(groups.len())
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("intake script lost a counter")))?;
    let (idem_rows, counters) = rest.split_at(split);
    let existing: HashMap<String, Case> = idem_rows
        .iter()
        .map(store::idem_case)
        .collect::<AppResult<_>>()?;
    let t_numbers = t0.elapsed().as_micros() as u64;
    let mut s = Script::new(backend);
    let mut cases: Vec<Option<Case>> = vec![None; jobs.len()];
    let mut fresh: Vec<usize> = Vec::with_capacity(candidates.len());
    for (((county, year), idx), counter) in groups.iter().zip(counters) {
        let last: i64 = counter.try_get(0)?;
        let mut n = last - idx.len() as i64;
        for &i in idx {
            let j = &jobs[i];
            if j.row
                .idem_key
                .as_deref()
                .is_some_and(|k| existing.contains_key(k))
            {
                continue;
            }
            n += 1;
            let mut c = j.row.case.clone();
            c.number = format!("{year}-{n:06}");
            cases[i] = Some(c);
            fresh.push(i);
        }
        if n < last {
            store::push_release_numbers(&mut s, county, i64::from(*year), last - n);
        }
    }
    // Inserted in submission order.
    fresh.sort_unstable();
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
    store::push_insert_cases(&mut s, &rows);
    store::push_insert_events(&mut s, &events);
    store::push_insert_notifications(&mut s, &notes);
    let entries: Vec<(&Actor, Entry<'_>)> = fresh
        .iter()
        .zip(&rows)
        .map(|(&i, r)| {
            (
                &jobs[i].actor,
                Entry::new("case.raise", "case", &r.case.id)
                    .area(&r.case.area_code)
                    .detail(format!("{} {}", r.case.type_code, r.case.number)),
            )
        })
        .collect();
    audit::store::push_append(&mut s, head, entries);
    let t_built = t0.elapsed().as_micros() as u64;
    s.run(&mut tx).await?;
    let t_rows = t0.elapsed().as_micros() as u64;
    tx.commit().await?;
    // Microseconds from the start of the batch to the end of each phase.
    tracing::debug!(
        begin = t_begin,
        numbers = t_numbers,
        built = t_built,
        rows = t_rows,
        commit = t0.elapsed().as_micros() as u64,
        "case intake phases"
    );
    let mut out = Vec::with_capacity(jobs.len());
    for (i, j) in jobs.iter().enumerate() {
        if let Some(c) = &cases[i] {
            out.push((c.clone(), true));
        } else if let Some(f) = same_as[i] {
            let c = match &cases[f] {
                Some(c) => c.clone(),
                // The first submission with this key repeated an earlier case too.
                None => existing
                    .get(j.row.idem_key.as_deref().unwrap_or_default())
                    .cloned()
                    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("lost batch case")))?,
            };
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Two committed batches of two submissions each, as the writer hands them over, and the
    /// receivers of their answers.
    fn committed(
        tx: &mpsc::UnboundedSender<Committed>,
    ) -> Vec<oneshot::Receiver<AppResult<(Case, bool)>>> {
        let mut answers = Vec::new();
        for _ in 0..2 {
            let mut jobs = Vec::new();
            let mut results = Vec::new();
            for _ in 0..2 {
                let mut case = store::blank_case();
                case.id = clock::new_id();
                let (reply, rx) = oneshot::channel();
                answers.push(rx);
                jobs.push(Job {
                    row: NewCaseRow {
                        case: case.clone(),
                        reporter_phone_enc: None,
                        idem_key: None,
                    },
                    actor: Actor::system("test"),
                    notify: Vec::new(),
                    reply,
                });
                results.push((case, true));
            }
            assert!(tx.send(Committed { jobs, results }).is_ok());
        }
        answers
    }

    #[tokio::test]
    async fn submissions_are_answered_once_the_log_is_synced() {
        let wal = std::env::temp_dir().join(format!("xiangzhi-sync-{}.db-wal", clock::new_id()));
        std::fs::write(&wal, b"log").unwrap();
        let tx = start_syncer(wal.clone(), Arc::new(CaseSearch::default()));
        for rx in committed(&tx) {
            let (case, created) = rx.await.unwrap().unwrap();
            assert!(created);
            assert!(!case.id.is_empty());
        }
        let _ = std::fs::remove_file(&wal);
    }

    /// A commit whose log cannot be synced is not acknowledged: every submission waiting on
    /// that sync gets an error (the sender retries with its idempotency key).
    #[tokio::test]
    async fn a_failed_sync_answers_every_waiting_submission_with_an_error() {
        let wal = std::env::temp_dir()
            .join(format!("xiangzhi-missing-{}", clock::new_id()))
            .join("xiangzhi.db-wal");
        let tx = start_syncer(wal, Arc::new(CaseSearch::default()));
        for rx in committed(&tx) {
            let e = rx.await.unwrap().unwrap_err();
            assert!(matches!(e, AppError::Internal(_)), "{e:?}");
        }
    }
}
