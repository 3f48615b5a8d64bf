//! Test harness: every store test runs on SQLite and on PostgreSQL, and each test creates
//! and drops its own database.
//!
//! * SQLite: a fresh directory under the system temp dir (removed at the end).
//! * PostgreSQL: `CREATE DATABASE xz_test_<random>` on the server at [`PG_ADMIN_URL`]
//!   (override with `XIANGZHI_TEST_PG_URL`), dropped with `WITH (FORCE)` at the end.
//!
//! The body of a test runs in a spawned tokio task, so a failing assertion (a panic) is
//! caught as a `JoinError`; the databases are dropped and then the panic is raised again,
//! naming the backend. If PostgreSQL cannot be reached the test fails, unless
//! `XIANGZHI_SKIP_PG=1` is set.

#![allow(dead_code, clippy::unwrap_used)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sqlx::Connection;
use xiangzhi_core::Core;

/// The maintenance database the harness creates test databases from.
pub const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Which database a test body runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

fn admin_url() -> String {
    std::env::var("XIANGZHI_TEST_PG_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| PG_ADMIN_URL.to_string())
}

/// Whether the PostgreSQL half of every test is switched off (`XIANGZHI_SKIP_PG=1`).
pub fn skip_pg() -> bool {
    std::env::var("XIANGZHI_SKIP_PG").is_ok_and(|v| v == "1")
}

fn unique_suffix() -> String {
    format!("{}_{}", std::process::id(), uuid::Uuid::new_v4().simple())
}

/// One test database with its data directory (keys, SQLite file, SMS outbox).
#[derive(Debug)]
pub struct TestDb {
    pub backend: Backend,
    pub dir: PathBuf,
    pub url: String,
    pg_name: Option<String>,
    cleaned: bool,
}

impl TestDb {
    /// Create an empty database. Panics (with a clear message) when PostgreSQL is unreachable.
    pub async fn create(backend: Backend) -> TestDb {
        let suffix = unique_suffix();
        let dir = std::env::temp_dir().join(format!("xz-test-{suffix}"));
        std::fs::create_dir_all(&dir).expect("create the test data directory");
        match backend {
            Backend::Sqlite => TestDb {
                backend,
                url: xiangzhi_core::db::sqlite_url_for(&dir),
                dir,
                pg_name: None,
                cleaned: false,
            },
            Backend::Postgres => {
                let admin = admin_url();
                let name = format!("xz_test_{suffix}");
                let mut conn = match sqlx::PgConnection::connect(&admin).await {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = std::fs::remove_dir_all(&dir);
                        panic!(
                            "PostgreSQL is not reachable at {admin}: {e}\n\
                             Every store test runs on SQLite and PostgreSQL. Start PostgreSQL \
                             (or point XIANGZHI_TEST_PG_URL at one), or set XIANGZHI_SKIP_PG=1 \
                             to run the SQLite half only."
                        );
                    }
                };
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .unwrap_or_else(|e| panic!("CREATE DATABASE {name} failed: {e}"));
                let _ = conn.close().await;
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                TestDb {
                    backend,
                    url: format!("{base}/{name}"),
                    dir,
                    pg_name: Some(name),
                    cleaned: false,
                }
            }
        }
    }

    /// Open (and migrate) a core on this database.
    pub async fn open(&self) -> Core {
        Core::open(self.dir.clone(), Some(&self.url), None)
            .await
            .unwrap_or_else(|e| panic!("Core::open on {} failed: {e:#}", self.backend.name()))
    }

    /// Drop the database and remove the directory.
    pub async fn cleanup(mut self) {
        if let Some(name) = self.pg_name.take() {
            match sqlx::PgConnection::connect(&admin_url()).await {
                Ok(mut conn) => {
                    if let Err(e) =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await
                    {
                        eprintln!("warning: DROP DATABASE {name} failed: {e}");
                    }
                    let _ = conn.close().await;
                }
                Err(e) => eprintln!("warning: cannot drop test database {name}: {e}"),
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        self.cleaned = true;
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Last resort when `cleanup` was never reached (the harness itself panicked).
        if !self.cleaned {
            let _ = std::fs::remove_dir_all(&self.dir);
            if let Some(name) = &self.pg_name {
                eprintln!("warning: test database {name} was not dropped");
            }
        }
    }
}

/// What a test body gets: its backend and a way to open fresh databases on it. Every
/// database opened here is dropped when the body ends, pass or fail.
#[derive(Clone)]
pub struct Env {
    pub backend: Backend,
    opened: Arc<Mutex<Vec<(TestDb, Core)>>>,
}

impl Env {
    /// A fresh, migrated, empty database on this backend.
    pub async fn fresh_core(&self) -> Core {
        let db = TestDb::create(self.backend).await;
        let core = db.open().await;
        self.opened.lock().unwrap().push((db, core.clone()));
        core
    }

    async fn cleanup(self) {
        let all: Vec<(TestDb, Core)> = std::mem::take(&mut *self.opened.lock().unwrap());
        for (db, core) in all {
            core.db.close().await;
            db.cleanup().await;
        }
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "(non-string panic payload)".to_string()
    }
}

/// Run `body` on one backend and clean up whatever it opened. `Err` carries the failure.
pub async fn run_on<T, F, Fut>(backend: Backend, body: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce(Env) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let env = Env {
        backend,
        opened: Arc::new(Mutex::new(Vec::new())),
    };
    let handle = tokio::spawn(body(env.clone()));
    let result = handle.await;
    env.cleanup().await;
    match result {
        Ok(v) => Ok(v),
        Err(e) if e.is_panic() => Err(panic_message(&*e.into_panic())),
        Err(e) => Err(format!("test task failed: {e}")),
    }
}

/// The backends this run covers (PostgreSQL unless `XIANGZHI_SKIP_PG=1`).
pub fn backends() -> Vec<Backend> {
    if skip_pg() {
        eprintln!("note: XIANGZHI_SKIP_PG=1 — the PostgreSQL half is skipped");
        vec![Backend::Sqlite]
    } else {
        vec![Backend::Sqlite, Backend::Postgres]
    }
}

/// Run `body` on every backend with an [`Env`]; fail naming each backend that failed.
pub async fn each_backend<F, Fut>(body: F)
where
    F: Fn(Env) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut failures = Vec::new();
    for b in backends() {
        if let Err(msg) = run_on(b, &body).await {
            failures.push(format!("[{}] {msg}", b.name()));
        }
    }
    if !failures.is_empty() {
        panic!("{}", failures.join("\n"));
    }
}

/// Run `body` on a fresh database on every backend: SQLite, then PostgreSQL.
pub async fn both<F, Fut>(body: F)
where
    F: Fn(Core) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    each_backend(move |env: Env| {
        let body = body.clone();
        async move {
            let core = env.fresh_core().await;
            body(core).await;
        }
    })
    .await;
}

/// Path of a file in a core's data directory.
pub fn data_file(core: &Core, name: &str) -> PathBuf {
    Path::new(&core.data_dir).join(name)
}

/// Length of a file in a core's data directory (0 when it does not exist).
pub fn file_len(core: &Core, name: &str) -> u64 {
    std::fs::metadata(data_file(core, name))
        .map(|m| m.len())
        .unwrap_or(0)
}

/// A staff actor holding one role on one area (not backed by a user row).
pub fn staff(
    role: xiangzhi_core::authz::Role,
    code: &str,
    level: xiangzhi_core::areas::AreaLevel,
) -> xiangzhi_core::authz::Actor {
    xiangzhi_core::authz::Actor {
        user_id: format!("test-{}-{code}", role.as_str()),
        username: format!("{}@{code}", role.as_str()),
        display_name: format!("{} {code}", role.as_str()),
        person_id: None,
        grants: vec![xiangzhi_core::authz::Grant {
            role,
            area_code: code.into(),
            area_level: level,
            area_name: code.into(),
        }],
        source: Some("127.0.0.1".into()),
        on_behalf_of: None,
    }
}
