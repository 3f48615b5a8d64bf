//! The test harness: a fresh database (SQLite in a temporary directory, or a new PostgreSQL
//! database), the demo county in it, and the real HTTP server on a free port.
//!
//! Every test runs through [`run`], which cleans up (drops the PostgreSQL database, removes
//! the directory) whether the test passed or panicked; a [`Drop`] fallback covers the rest.

use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Client, StatusCode};
use sqlx::Connection;
use xiangzhi_core::authz::Actor;
use xiangzhi_core::demo::DemoAccount;
use xiangzhi_core::Core;

/// The PostgreSQL server the tests create their databases on (trust authentication).
/// `XIANGZHI_TEST_PG_URL` overrides it.
pub fn pg_admin_url() -> String {
    std::env::var("XIANGZHI_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Residents of the test county (small: the demo's ten logins are what matters).
pub const RESIDENTS: usize = 1500;
/// Seed of the test county.
pub const SEED: u64 = 42;
/// No test may take longer than this (a hang fails instead of stalling CI).
pub const TEST_TIMEOUT: Duration = Duration::from_secs(180);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

fn random_hex(n: usize) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| char::from_digit(rng.gen_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// A scratch data directory and, for PostgreSQL, a scratch database.
#[derive(Debug)]
pub struct Scratch {
    pub backend: Backend,
    pub dir: PathBuf,
    /// `Some` on PostgreSQL: the URL of the new database.
    pub database_url: Option<String>,
    pg_name: Option<String>,
    done: AtomicBool,
}

impl Scratch {
    pub async fn new(backend: Backend) -> Scratch {
        let tag = random_hex(12);
        let dir = std::env::temp_dir().join(format!("xz-test-{tag}"));
        std::fs::create_dir_all(&dir).expect("create the scratch directory");
        let (database_url, pg_name) = match backend {
            Backend::Sqlite => (None, None),
            Backend::Postgres => {
                let name = format!("xz_{tag}");
                let admin = pg_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!(
                        "cannot reach PostgreSQL at {admin} ({e}); start it (CI: .ci/run does) \
                         or set XIANGZHI_TEST_PG_URL"
                    )
                    });
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("CREATE DATABASE");
                let _ = conn.close().await;
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                (Some(format!("{base}/{name}")), Some(name))
            }
        };
        Scratch {
            backend,
            dir,
            database_url,
            pg_name,
            done: AtomicBool::new(false),
        }
    }

    /// The `--database-url` arguments for the binary (none on SQLite).
    pub fn db_args(&self) -> Vec<String> {
        match &self.database_url {
            Some(u) => vec!["--database-url".into(), u.clone()],
            None => vec![],
        }
    }

    /// Drop the database and remove the directory. Idempotent.
    pub async fn cleanup(&self) {
        if self.done.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some(name) = &self.pg_name {
            drop_pg_database(name).await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn drop_pg_database(name: &str) {
    match sqlx::PgConnection::connect(&pg_admin_url()).await {
        Ok(mut conn) => {
            // FORCE ends the connections a pool may still hold.
            if let Err(e) = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
            {
                eprintln!("warning: cannot drop test database {name}: {e}");
            }
            let _ = conn.close().await;
        }
        Err(e) => eprintln!("warning: cannot drop test database {name}: {e}"),
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.done.swap(true, Ordering::SeqCst) {
            return;
        }
        // Not cleaned up explicitly (a panic outside `run`): do it on a thread of its own,
        // since we may be inside a runtime.
        let name = self.pg_name.clone();
        let dir = self.dir.clone();
        let _ = std::thread::spawn(move || {
            if let Some(name) = name {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(drop_pg_database(&name));
                }
            }
            let _ = std::fs::remove_dir_all(dir);
        })
        .join();
    }
}

/// Audit records written by people, not by the server's own sweeps (escalation, reminders),
/// which may run at any moment of a test: a filter for [`TestApp::count`].
pub const BY_PEOPLE: &str = "COALESCE(source, '') <> 'cli'";

/// A running application on a fresh database with the demo county.
pub struct TestApp {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:port`
    pub base: String,
    /// A client with a cookie store that does not follow redirects.
    pub client: Client,
    pub core: Core,
    pub accounts: Vec<DemoAccount>,
    pub backend: Backend,
    pub scratch: Scratch,
    server: tokio::task::JoinHandle<()>,
}

/// A new browser-like client: cookies kept, redirects not followed.
pub fn new_client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("reqwest client")
}

/// Start the application on a fresh database of `backend`.
pub async fn spawn_app(backend: Backend) -> TestApp {
    let scratch = Scratch::new(backend).await;
    let core = Core::open(scratch.dir.clone(), scratch.database_url.as_deref(), None)
        .await
        .expect("open the core");
    let summary = xiangzhi_core::demo::generate(&core, RESIDENTS, SEED)
        .await
        .expect("generate the demo county");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let state = xiangzhi_web::AppState::new(core.clone());
    let server = tokio::spawn(async move {
        if let Err(e) = xiangzhi_web::serve(state, listener).await {
            eprintln!("server stopped: {e:#}");
        }
    });
    TestApp {
        addr,
        base: format!("http://{addr}"),
        client: new_client(),
        core,
        accounts: summary.accounts,
        backend,
        scratch,
        server,
    }
}

/// Run `test` on a fresh app of `backend`, then clean up — also when the test panics.
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Arc<TestApp>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let app = Arc::new(spawn_app(backend).await);
    let mut task = tokio::spawn(test(app.clone()));
    let outcome = tokio::time::timeout(TEST_TIMEOUT, &mut task).await;
    if outcome.is_err() {
        task.abort();
    }
    app.cleanup().await;
    match outcome {
        Err(_) => panic!("the test did not finish in {TEST_TIMEOUT:?}"),
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(e)) => panic!("test task failed: {e}"),
        Ok(Ok(())) => {}
    }
}

/// Both backends for each named `async fn name(app: Arc<TestApp>)`:
/// tests `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::helpers::run($crate::helpers::Backend::Sqlite, super::$name).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::helpers::run($crate::helpers::Backend::Postgres, super::$name).await
            }
        }
    )*};
}

/// The hidden CSRF input of a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .map(|i| i + marker.len())
        .unwrap_or_else(|| panic!("no csrf input on the page:\n{html}"));
    let end = html[start..].find('"').expect("end of the csrf value") + start;
    html[start..end].to_string()
}

/// The current TOTP code of a base32 secret.
pub fn totp_now(secret_b32: &str) -> String {
    let secret = totp_rs::Secret::Encoded(secret_b32.to_string())
        .to_bytes()
        .expect("base32 TOTP secret");
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret)
        .expect("TOTP")
        .generate_current()
        .expect("TOTP code")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn account(&self, username: &str) -> &DemoAccount {
        self.accounts
            .iter()
            .find(|a| a.username == username)
            .unwrap_or_else(|| panic!("no demo account {username}"))
    }

    pub fn account_by_role(&self, role: &str) -> &DemoAccount {
        self.accounts
            .iter()
            .find(|a| a.role == role)
            .unwrap_or_else(|| panic!("no demo account with role {role}"))
    }

    /// The current one-time code of an account ("" when it has no second factor).
    pub fn otp(&self, username: &str) -> String {
        self.account(username)
            .totp_secret
            .as_deref()
            .map(totp_now)
            .unwrap_or_default()
    }

    /// GET a page; (status, body).
    pub async fn get(&self, client: &Client, path: &str) -> (StatusCode, String) {
        let r = client.get(self.url(path)).send().await.expect("GET");
        let status = r.status();
        (status, r.text().await.expect("body"))
    }

    /// Submit the login form like a browser: GET /login for the CSRF token, then POST.
    pub async fn submit_login(
        &self,
        client: &Client,
        username: &str,
        password: &str,
        otp: &str,
    ) -> reqwest::Response {
        let (status, html) = self.get(client, "/login").await;
        assert_eq!(status, StatusCode::OK, "GET /login");
        let csrf = csrf_of(&html);
        client
            .post(self.url("/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", username),
                ("password", password),
                ("otp", otp),
                ("next", "/"),
            ])
            .send()
            .await
            .expect("POST /login")
    }

    /// A new client logged in as `username` through the real form (asserts success).
    pub async fn login(&self, username: &str) -> Client {
        let client = new_client();
        self.login_on(&client, username).await;
        client
    }

    /// Log `client` in as `username` (asserts success).
    pub async fn login_on(&self, client: &Client, username: &str) {
        let password = self.account(username).password.clone();
        let otp = self.otp(username);
        let r = self.submit_login(client, username, &password, &otp).await;
        let status = r.status();
        if status != StatusCode::SEE_OTHER {
            let body = r.text().await.unwrap_or_default();
            panic!("login of {username} failed with {status}:\n{body}");
        }
        let location = r
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert_eq!(location, "/", "login redirects home");
    }

    /// The core's view of a demo user (to compute what a page should show).
    pub async fn actor(&self, username: &str) -> Actor {
        let u = xiangzhi_core::accounts::find_user(&self.core, username)
            .await
            .expect("find user")
            .unwrap_or_else(|| panic!("no user {username}"));
        xiangzhi_core::accounts::load_actor(&self.core, &u.id, None)
            .await
            .expect("load actor")
    }

    /// Every person name visible to `username` (all pages of their list).
    pub async fn visible_names(&self, username: &str) -> HashSet<String> {
        let actor = self.actor(username).await;
        let mut names = HashSet::new();
        let mut page = 1;
        loop {
            let (rows, total) = xiangzhi_core::people::service::list_people(
                &self.core, &actor, None, "", page, 200,
            )
            .await
            .expect("list people");
            names.extend(rows.into_iter().map(|p| p.name));
            if page * 200 >= total {
                return names;
            }
            page += 1;
        }
    }

    /// `SELECT COUNT(*)` of a table (optionally with a WHERE clause).
    pub async fn count(&self, table: &str, filter: &str) -> i64 {
        let sql = if filter.is_empty() {
            format!("SELECT COUNT(*) FROM {table}")
        } else {
            format!("SELECT COUNT(*) FROM {table} WHERE {filter}")
        };
        sqlx::query_scalar::<_, i64>(&sql)
            .fetch_one(&self.core.db.read)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Stop the server, close the pools, drop the database, remove the directory.
    pub async fn cleanup(&self) {
        self.server.abort();
        self.core.db.close().await;
        self.scratch.cleanup().await;
    }
}
