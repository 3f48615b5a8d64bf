//! Database pools and migrations for SQLite and PostgreSQL behind one code path (sqlx `Any`).
//!
//! SQLite: WAL, foreign keys, busy timeout, one writer connection and a read pool, and a
//! checkpointer beside them (commits never copy the log back into the database themselves).
//! PostgreSQL: one pool used for both reads and writes.

use std::{
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

use anyhow::Context;
use sqlx::any::{AnyArguments, AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

/// Which backend a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The pools of one database.
#[derive(Clone, Debug)]
pub struct Db {
    pub backend: Backend,
    /// The writer. On SQLite this pool holds a single connection, so writes queue here
    /// instead of fighting over the file lock.
    pub write: AnyPool,
    /// Readers (WAL lets them run beside the writer).
    pub read: AnyPool,
    pub url: String,
    /// SQLite's write-ahead log file (none on PostgreSQL).
    pub wal: Option<PathBuf>,
    /// Held by every clone: the SQLite checkpointer stops when the last one is dropped.
    _alive: std::sync::Arc<()>,
}

/// How often the checkpointer looks at the write-ahead log.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
/// While a bulk write runs (see [`bulk_cache`]) the log may grow to this before it is
/// copied: the bulk write is bounded and is followed by a pause, and copying in the middle of
/// it made each of its commits wait behind the copy's writes (a sweep's last commits took
/// three times as long).
const CHECKPOINT_FORCE_BULK_BYTES: u64 = 2 << 30;

/// Set while a bulk write runs in this process.
static BULK_WRITE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Copy the write-ahead log back into the database file in the background. The writer has
/// automatic checkpoints turned off, so a commit waits only for its own log write to be
/// durable — not for thousands of pages to be copied and the database file synced.
///
/// - When writing pauses (the log file did not change for one look), the log is copied with
///   a passive checkpoint, which never blocks the writer or readers.
/// - While writing goes on, the log is kept short: what is there is copied from this
///   connection (the writer goes on meanwhile), then the little written during that copy is
///   copied on the write connection, between two transactions. The writer's next
///   transaction then starts the log over from its beginning. That matters for every
///   commit: rewriting blocks the log file already has is durable with one flush, while
///   growing the file also needs the file system's journal, which waits for the database
///   file's pending writes (a 200 KB commit took 1.6 ms instead of 1.1 ms, and up to 400 ms
///   while a copy was being synced).
/// - During a bulk write the log grows to [`CHECKPOINT_FORCE_BULK_BYTES`] before it is
///   copied.
async fn checkpointer(
    opts: AnyConnectOptions,
    wal: PathBuf,
    alive: std::sync::Weak<()>,
    write: AnyPool,
) {
    use sqlx::{ConnectOptions, Row};
    // Copying a large log back takes seconds by nature: not a slow statement worth a warning.
    let opts = opts.log_slow_statements(log::LevelFilter::Off, Duration::from_secs(60));
    let Ok(mut conn) = opts.connect().await else {
        tracing::warn!("cannot open the checkpoint connection; the log is copied at close only");
        return;
    };
    let _ = conn.execute("PRAGMA busy_timeout=10000;").await;
    let look = |p: &Path| {
        std::fs::metadata(p)
            .ok()
            .map(|m| (m.len(), m.modified().ok()))
    };
    // (frames in the log, frames copied) by a checkpoint.
    async fn passive<'c, E: Executor<'c, Database = sqlx::Any>>(
        e: E,
    ) -> Result<(i64, i64), sqlx::Error> {
        let row = e.fetch_one("PRAGMA wal_checkpoint(PASSIVE);").await?;
        Ok((row.try_get(1)?, row.try_get(2)?))
    }
    let mut seen = look(&wal);
    // A log left by an earlier process (a bulk command, a crash) is copied at the first
    // quiet look too.
    let mut copied = None;
    loop {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        if alive.upgrade().is_none() {
            break;
        }
        let now = look(&wal);
        let busy = now != seen;
        seen = now;
        let bulk = BULK_WRITE.load(std::sync::atomic::Ordering::Relaxed);
        let big = now.is_some_and(|(len, _)| len >= CHECKPOINT_FORCE_BULK_BYTES);
        if (busy && bulk && !big) || now == copied {
            continue;
        }
        let started = crate::clock::instant();
        let mut frames = match passive(&mut conn).await {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e, "checkpoint failed");
                continue;
            }
        };
        let copy_micros = started.elapsed().as_micros() as u64;
        if busy && !bulk {
            // Writing goes on: finish between two of the writer's transactions.
            match write.acquire().await {
                Ok(mut w) => match passive(&mut *w).await {
                    Ok(f) => frames = f,
                    Err(e) => tracing::warn!(error = %e, "checkpoint failed"),
                },
                Err(_) => break,
            }
        }
        copied = look(&wal);
        seen = copied;
        tracing::debug!(
            busy,
            frames = frames.0,
            copied = frames.1,
            copy_micros,
            micros = started.elapsed().as_micros() as u64,
            "checkpoint"
        );
    }
    // The last connection to close copies the rest of the log.
    let _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE);").await;
}

/// The SQLite file URL for a data directory.
pub fn sqlite_url_for(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("xiangzhi.db").display()
    )
}

static MIGRATE_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static MIGRATE_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Connect to `url` (`sqlite://…` or `postgres://…`).
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            anyhow::bail!("unsupported database URL scheme (use sqlite:// or postgres://)");
        };
        let opts = AnyConnectOptions::from_str(url).context("invalid database URL")?;
        match backend {
            Backend::Sqlite => {
                // backend-specific: pragmas per connection.
                // A local file cannot drop a connection the way a network can: no ping before
                // every acquire (it would cost a round trip per transaction and per read).
                let write = AnyPoolOptions::new()
                    .test_before_acquire(false)
                    .max_connections(1)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; \
                                 PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; \
                                 PRAGMA cache_size=-8000; PRAGMA temp_store=MEMORY; \
                                 PRAGMA wal_autocheckpoint=0; \
                                 PRAGMA journal_size_limit=67108864;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(opts.clone())
                    .await
                    .context("cannot open the SQLite database")?;
                // Readers keep 2 MB of pages each: the pages people ask for most are served
                // from the read caches above the database, and the rest from the OS cache.
                let read = AnyPoolOptions::new()
                    .test_before_acquire(false)
                    .max_connections(4)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; \
                                 PRAGMA cache_size=-2000; PRAGMA query_only=ON;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(opts.clone())
                    .await
                    .context("cannot open the SQLite database for reading")?;
                let alive = std::sync::Arc::new(());
                let file = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:")
                    .split('?')
                    .next()
                    .unwrap_or_default();
                let wal = PathBuf::from(format!("{file}-wal"));
                tokio::spawn(checkpointer(
                    opts,
                    wal.clone(),
                    std::sync::Arc::downgrade(&alive),
                    write.clone(),
                ));
                Ok(Db {
                    backend,
                    write,
                    read,
                    url: url.to_string(),
                    wal: Some(wal),
                    _alive: alive,
                })
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(opts)
                    .await
                    .context(
                        "cannot connect to PostgreSQL (is the server up and the URL right?)",
                    )?;
                Ok(Db {
                    backend,
                    write: pool.clone(),
                    read: pool,
                    url: url.to_string(),
                    wal: None,
                    _alive: std::sync::Arc::new(()),
                })
            }
        }
    }

    /// Apply pending migrations for this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self.backend {
            Backend::Sqlite => MIGRATE_SQLITE.run(&self.write).await?,
            Backend::Postgres => MIGRATE_POSTGRES.run(&self.write).await?,
        }
        Ok(())
    }

    /// Versions of the migrations compiled in for each backend (for the parity test).
    pub fn migration_versions() -> (Vec<i64>, Vec<i64>) {
        (
            MIGRATE_SQLITE.iter().map(|m| m.version).collect(),
            MIGRATE_POSTGRES.iter().map(|m| m.version).collect(),
        )
    }

    /// Whether the database holds any county data yet.
    pub async fn is_empty(&self) -> anyhow::Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM areas")
            .fetch_one(&self.read)
            .await?;
        Ok(n == 0)
    }

    /// Write a consistent copy of the database to `to` while the server keeps serving.
    /// SQLite: `VACUUM INTO` (a transactionally consistent snapshot).
    pub async fn backup(&self, to: &Path) -> anyhow::Result<()> {
        match self.backend {
            Backend::Sqlite => {
                if to.exists() {
                    anyhow::bail!("{} already exists", to.display());
                }
                let target = to.display().to_string().replace('\'', "''");
                // backend-specific
                // A connection of its own: neither the writer nor the read-only pool is held.
                let mut conn =
                    <sqlx::AnyConnection as sqlx::Connection>::connect(&self.url).await?;
                sqlx::query(&format!("VACUUM INTO '{target}'"))
                    .execute(&mut conn)
                    .await
                    .context("backup failed")?;
                Ok(())
            }
            Backend::Postgres => {
                anyhow::bail!("on PostgreSQL use pg_dump (a consistent snapshot of the server)")
            }
        }
    }

    /// Close the pools. On SQLite the log is first copied back into the database file and
    /// emptied ([`fold_log`]), so a bulk command leaves one file behind rather than
    /// gigabytes of log.
    pub async fn close(&self) {
        self.read.close().await;
        if let Err(e) = fold_log(self).await {
            tracing::warn!(error = %e, "final checkpoint failed");
        }
        self.write.close().await;
    }
}

/// Give the SQLite writer a large page cache for a bulk load (imports, demo, a large
/// escalation sweep), or hand the memory back afterwards; the checkpointer lets the log grow
/// further meanwhile. A no-op on PostgreSQL. backend-specific
pub async fn bulk_cache(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    on: bool,
) -> anyhow::Result<()> {
    if backend == Backend::Sqlite {
        BULK_WRITE.store(on, std::sync::atomic::Ordering::Relaxed);
        // Reading the file through a memory map saves a system call per page read, which is
        // most of the cost of visiting rows spread over a large table.
        let sql = if on {
            "PRAGMA cache_size=-131072; PRAGMA mmap_size=4294967296;"
        } else {
            "PRAGMA cache_size=-8000; PRAGMA mmap_size=0; PRAGMA shrink_memory;"
        };
        conn.execute(sql).await?;
    }
    Ok(())
}

/// Copy the write-ahead log into the database file now, sync it, and empty the log. A bulk
/// load (the demo, `bench cases`) ends with this, as part of the load: otherwise the
/// checkpointer copies its gigabytes of log in the background while the next work runs, and
/// that work shares the disk with the copy (a sweep right after a million-case load took
/// 3.7 s instead of 1.6 s). It holds the write lock while it copies: not for a live server's
/// imports, where the checkpointer copies without blocking anyone. A no-op on PostgreSQL.
/// backend-specific
pub async fn fold_log(db: &Db) -> anyhow::Result<()> {
    use sqlx::{ConnectOptions, Row};
    if db.backend != Backend::Sqlite {
        return Ok(());
    }
    // Its own connection: copying gigabytes takes seconds by nature, not a slow statement
    // worth a warning.
    let mut conn = AnyConnectOptions::from_str(&db.url)?
        .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(600))
        .connect()
        .await?;
    conn.execute("PRAGMA busy_timeout=10000;").await?;
    // The checkpointer may be copying right now, or a reader may still be in the log: then
    // the checkpoint reports busy; try again for up to five seconds.
    let mut folded = false;
    for _ in 0..100 {
        let row = conn.fetch_one("PRAGMA wal_checkpoint(TRUNCATE);").await?;
        if row.try_get::<i64, _>(0)? == 0 {
            folded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sqlx::Connection::close(conn).await?;
    anyhow::ensure!(
        folded,
        "the write-ahead log could not be emptied: other connections kept it busy"
    );
    Ok(())
}

/// Refresh the planner's statistics after a bulk load, so that queries over large tables
/// pick their indexes well. backend-specific
pub async fn analyze(db: &Db) -> anyhow::Result<()> {
    let mut conn = db.write.acquire().await?;
    match db.backend {
        Backend::Sqlite => conn.execute("PRAGMA analysis_limit=2000; ANALYZE;").await?,
        Backend::Postgres => conn.execute("ANALYZE").await?,
    };
    Ok(())
}

/// The backend of a connection taken from an `Any` pool.
pub fn backend_of(conn: &sqlx::AnyConnection) -> Backend {
    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    }
}

/// Statements sent to the database together, in order, inside the caller's transaction.
///
/// On SQLite they travel as one multi-statement query: one round trip to the connection's
/// thread instead of one per statement, which is most of what a small transaction costs
/// there (each round trip is two thread wake-ups). On PostgreSQL, whose protocol takes one
/// statement per prepared query, they run one after another. Either way [`Script::run`]
/// returns the rows of every statement, in order, and stops at the first error.
///
/// Arguments are bound in the order their placeholders appear. Write placeholders as `$1`,
/// `$2`… in that order, each once, or use [`values_list`]; on SQLite they become anonymous
/// `?`, which its driver hands out across the statements in order (a numbered one there
/// would name an argument of the whole script).
/// backend-specific
pub struct Script {
    backend: Backend,
    /// Finished statements (PostgreSQL): SQL, arguments, whether to cache the statement.
    done: Vec<(String, AnyArguments<'static>, bool)>,
    sql: String,
    args: AnyArguments<'static>,
    persistent: bool,
    statements: usize,
    error: Option<sqlx::error::BoxDynError>,
}

impl std::fmt::Debug for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Script")
            .field("backend", &self.backend)
            .field("statements", &self.statements)
            .finish_non_exhaustive()
    }
}

impl Script {
    /// An empty script for `backend`.
    pub fn new(backend: Backend) -> Script {
        Script {
            backend,
            done: Vec::new(),
            sql: String::new(),
            args: AnyArguments::default(),
            persistent: true,
            statements: 0,
            error: None,
        }
    }

    /// The backend the script is written for.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How many statements the script holds.
    pub fn len(&self) -> usize {
        self.statements
    }

    /// Whether the script holds no statement.
    pub fn is_empty(&self) -> bool {
        self.statements == 0
    }

    /// Start the next statement; bind its arguments with [`Script::bind`].
    pub fn statement(&mut self, sql: &str) -> &mut Script {
        match self.backend {
            Backend::Sqlite => {
                if self.statements > 0 {
                    self.sql.push_str(";\n");
                }
            }
            Backend::Postgres => self.finish(),
        }
        match self.backend {
            Backend::Sqlite => anonymous_placeholders(sql, &mut self.sql),
            Backend::Postgres => self.sql.push_str(sql),
        }
        self.statements += 1;
        self
    }

    /// Do not keep the current statement prepared on PostgreSQL (sqlx 0.8's `Any` driver
    /// types a NULL `f64` wrongly there, so a statement prepared with a NULL would reject
    /// a real value later). No effect on SQLite.
    pub fn uncached(&mut self) -> &mut Script {
        if self.backend == Backend::Postgres {
            self.persistent = false;
        }
        self
    }

    /// Bind the next argument of the current statement.
    pub fn bind<T>(&mut self, value: T) -> &mut Script
    where
        T: 'static + sqlx::Encode<'static, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        if let Err(e) = sqlx::Arguments::add(&mut self.args, value) {
            self.error.get_or_insert(e);
        }
        self
    }

    fn finish(&mut self) {
        if !self.sql.is_empty() {
            let sql = std::mem::take(&mut self.sql);
            let args = std::mem::take(&mut self.args);
            self.done.push((sql, args, self.persistent));
        }
        self.persistent = true;
    }

    /// Run every statement; the rows they return, in order.
    pub async fn run(
        mut self,
        conn: &mut sqlx::AnyConnection,
    ) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
        if let Some(e) = self.error.take() {
            return Err(sqlx::Error::Encode(e));
        }
        self.finish();
        let mut rows = Vec::new();
        for (sql, args, persistent) in self.done {
            let q = sqlx::query_with(&sql, args).persistent(persistent);
            rows.extend(q.fetch_all(&mut *conn).await?);
        }
        Ok(rows)
    }
}

/// Run the statements `push` adds for `rows`, one fixed-size chunk (see [`fixed_chunks`]) per
/// round trip: for bulk loads, whose rows in one script would all be held at once.
pub async fn run_chunked<T>(
    conn: &mut sqlx::AnyConnection,
    rows: &[T],
    push: impl Fn(&mut Script, &[T]),
) -> Result<(), sqlx::Error> {
    for chunk in fixed_chunks(rows) {
        let mut s = Script::new(backend_of(conn));
        push(&mut s, chunk);
        s.run(&mut *conn).await?;
    }
    Ok(())
}

/// Append `sql` to `out` with every `$N` placeholder written as `?`.
fn anonymous_placeholders(sql: &str, out: &mut String) {
    let mut expected = 1u32;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            let mut n = 0u32;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                n = n * 10 + d;
                chars.next();
            }
            debug_assert_eq!(n, expected, "placeholders out of order in: {sql}");
            expected += 1;
            out.push('?');
        } else {
            out.push(c);
        }
    }
}

/// The VALUES list of a multi-row INSERT: `rows` tuples of `cols` placeholders, each followed
/// by `tail` (literal SQL such as a timestamp the caller formatted from an integer).
///
/// SQLite gets anonymous `?` placeholders: its driver resolves numbered ones by name, a scan
/// over every parameter of the statement, which makes wide statements quadratic.
/// backend-specific
pub fn values_list(backend: Backend, rows: usize, cols: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(rows * (cols * 5 + tail.len() + 4));
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..cols {
            if c > 0 {
                sql.push(',');
            }
            n += 1;
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
            }
        }
        sql.push_str(tail);
        sql.push(')');
    }
    sql
}

/// Split `items` into chunks whose lengths are powers of two up to 256, largest first, so
/// that multi-row statements of any batch reuse a handful of prepared statements instead of
/// preparing a new one for every batch length (the statement cache holds 100), and a batch
/// below 256 takes at most one statement per binary digit of its length (33 → 32 + 1).
pub fn fixed_chunks<T>(items: &[T]) -> Vec<&[T]> {
    const SIZES: [usize; 9] = [256, 128, 64, 32, 16, 8, 4, 2, 1];
    let mut out = Vec::new();
    let mut rest = items;
    while !rest.is_empty() {
        let size = SIZES
            .iter()
            .copied()
            .find(|&s| s <= rest.len())
            .unwrap_or(1);
        let (head, tail) = rest.split_at(size);
        out.push(head);
        rest = tail;
    }
    out
}

/// A county's settings kept as one JSON document in `table` (`county_code`,
/// `settings_json`, `updated_at`); the defaults when the county has none yet.
pub async fn county_settings<T>(
    conn: &mut sqlx::AnyConnection,
    table: &'static str,
    county: &str,
) -> crate::AppResult<T>
where
    T: serde::de::DeserializeOwned + Default,
{
    use sqlx::Row;
    let row = sqlx::query(&format!(
        "SELECT settings_json FROM {table} WHERE county_code = $1"
    ))
    .bind(county)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(r) => {
            let j: String = r.try_get(0)?;
            serde_json::from_str(&j).map_err(|e| {
                crate::AppError::Internal(anyhow::anyhow!("bad settings in {table}: {e}"))
            })
        }
        None => Ok(T::default()),
    }
}

/// Store a county's settings document in `table` (insert or replace).
pub async fn put_county_settings<T: serde::Serialize>(
    conn: &mut sqlx::AnyConnection,
    table: &'static str,
    county: &str,
    value: &T,
    now: i64,
) -> crate::AppResult<()> {
    sqlx::query(&format!(
        "INSERT INTO {table} (county_code, settings_json, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (county_code) DO UPDATE SET settings_json = excluded.settings_json, \
         updated_at = excluded.updated_at"
    ))
    .bind(county)
    .bind(serde_json::to_string(value).map_err(anyhow::Error::from)?)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The deepest row a paged list reads (page × per page).
pub const MAX_PAGED_ROWS: i64 = 10_000;

/// (rows to fetch per prefix, rows to skip) for `page` of `per_page`: one more row than the
/// page is fetched to know whether another page follows.
pub fn page_window(page: i64, per_page: i64) -> (i64, usize) {
    let per_page = per_page.clamp(1, 200);
    let page = page.clamp(1, MAX_PAGED_ROWS / per_page);
    let skip = (page - 1) * per_page;
    (skip + per_page + 1, usize::try_from(skip).unwrap_or(0))
}

/// Cut one page out of merged rows: (the page, whether more follow).
pub fn cut_page<T>(rows: Vec<T>, skip: usize, per_page: i64) -> (Vec<T>, bool) {
    let per_page = usize::try_from(per_page.clamp(1, 200)).unwrap_or(1);
    let mut v: Vec<T> = rows.into_iter().skip(skip).collect();
    let more = v.len() > per_page;
    v.truncate(per_page);
    (v, more)
}

/// Merge rows read once per scope prefix (prefixes may overlap): newest first by `time`,
/// each `id` once, at most `limit`.
pub fn merge_newest<T>(
    mut rows: Vec<T>,
    time: impl Fn(&T) -> i64,
    id: impl Fn(&T) -> &str,
    limit: i64,
) -> Vec<T> {
    rows.sort_by(|a, b| time(b).cmp(&time(a)).then_with(|| id(a).cmp(id(b))));
    rows.dedup_by(|a, b| id(a) == id(b));
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    rows
}

/// One text value holding every expression in `exprs`, each written `<bytes>:<text>` (read back
/// with [`unpack`]): one column is far cheaper for the driver to hand over than many, and one
/// `format` call (the same on SQLite and PostgreSQL) far cheaper than many concatenations.
/// Expressions must be text (cast numbers; `COALESCE` what may be NULL).
pub fn packed(exprs: &[&str]) -> String {
    let mut sql = String::from("format('");
    for _ in exprs {
        sql.push_str("%s:%s");
    }
    sql.push('\'');
    for e in exprs {
        sql.push_str(", octet_length(");
        sql.push_str(e);
        sql.push_str("), ");
        sql.push_str(e);
    }
    sql.push(')');
    sql
}

/// Split a packed row — each field written as `<bytes>:<text>` one after another (what
/// [`packed`] selects) — into its fields. `None` when it is not well formed.
pub fn unpack<const N: usize>(packed: &str) -> Option<[&str; N]> {
    match unpack_prefix::<N>(packed)? {
        (out, "") => Some(out),
        _ => None,
    }
}

/// The first `N` fields of a packed text and what follows them (records packed one after
/// another).
pub fn unpack_prefix<const N: usize>(packed: &str) -> Option<([&str; N], &str)> {
    let mut out = [""; N];
    let mut rest = packed;
    for slot in out.iter_mut() {
        let colon = rest.find(':')?;
        let bytes: usize = rest[..colon].parse().ok()?;
        let body = &rest[colon + 1..];
        // `get` is None past the end or inside a character: both are malformed.
        *slot = body.get(..bytes)?;
        rest = &body[bytes..];
    }
    Some((out, rest))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_cut_with_one_row_more() {
        assert_eq!(page_window(1, 2), (3, 0));
        assert_eq!(page_window(3, 2), (7, 4));
        assert_eq!(page_window(0, 0), (2, 0), "clamped to page 1 of 1");
        assert_eq!(
            page_window(1_000_000, 200).1,
            9_800,
            "no deeper than MAX_PAGED_ROWS"
        );
        assert_eq!(cut_page(vec![1, 2, 3, 4, 5], 2, 2), (vec![3, 4], true));
        assert_eq!(cut_page(vec![1, 2, 3, 4], 2, 2), (vec![3, 4], false));
        assert_eq!(cut_page(Vec::<i32>::new(), 0, 2), (vec![], false));
    }

    #[test]
    fn pages_of_overlapping_prefixes_merge_once_newest_first() {
        let rows = vec![("b", 5), ("a", 9), ("b", 5), ("c", 1), ("a", 9)];
        let m = merge_newest(rows, |r| r.1, |r| r.0, 2);
        assert_eq!(m, vec![("a", 9), ("b", 5)]);
    }

    #[test]
    fn fixed_chunk_sizes() {
        let v: Vec<u32> = (0..341).collect();
        let sizes: Vec<usize> = fixed_chunks(&v).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, vec![256, 64, 16, 4, 1]);
        let v: Vec<u32> = (0..7).collect();
        let sizes: Vec<usize> = fixed_chunks(&v).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, vec![4, 2, 1]);
        let v: Vec<u32> = (0..600).collect();
        let sizes: Vec<usize> = fixed_chunks(&v).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, vec![256, 256, 64, 16, 8]);
        assert!(fixed_chunks::<u32>(&[]).is_empty());
    }

    #[test]
    fn packed_rows_unpack_by_characters() {
        let f = unpack::<3>("6:张三0:5:a:b:c").unwrap();
        assert_eq!(f, ["张三", "", "a:b:c"]);
        assert!(unpack::<3>("6:张三0:").is_none(), "a field is missing");
        assert!(unpack::<1>("2:张").is_none(), "inside a character");
        assert!(unpack::<1>("3:ab").is_none(), "too short");
        assert!(unpack::<1>("1:abc").is_none(), "trailing text");
    }

    #[test]
    fn values_lists() {
        assert_eq!(values_list(Backend::Sqlite, 2, 2, ",7"), "(?,?,7),(?,?,7)");
        assert_eq!(values_list(Backend::Postgres, 2, 2, ""), "($1,$2),($3,$4)");
    }
}
