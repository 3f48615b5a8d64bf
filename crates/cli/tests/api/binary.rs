//! The real `xiangzhi` binary: `demo` serving a generated county, `verify` catching a
//! tampered audit log, `backup` while serving, `config example`, and a clear failure when
//! PostgreSQL is unreachable.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Connection;
use xiangzhi_core::authz::ALL_ROLES;

use crate::helpers::{csrf_of, new_client, totp_now, Backend, Scratch, TEST_TIMEOUT};

const BIN: &str = env!("CARGO_BIN_EXE_xiangzhi");

/// A command for the binary with a clean environment (no stray XIANGZHI_* settings).
fn xiangzhi(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("XIANGZHI_") {
            c.env_remove(k);
        }
    }
    c.env("XIANGZHI_LOG", "warn").args(args);
    c
}

fn run(args: &[&str]) -> Output {
    xiangzhi(args).output().expect("run xiangzhi")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A child process killed when dropped (also on panic).
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn wait_healthy(child: &mut ChildGuard, base: &str, dir: &Path) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(Some(status)) = child.0.try_wait() {
            panic!(
                "xiangzhi demo exited early ({status}); data dir {}",
                dir.display()
            );
        }
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
            if r.status() == StatusCode::OK {
                return;
            }
        }
        assert!(Instant::now() < deadline, "xiangzhi demo did not come up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn demo_verify_backup(backend: Backend) {
    let scratch = Scratch::new(backend).await;
    let mut task = tokio::spawn(demo_verify_backup_in(
        scratch.dir.clone(),
        scratch.db_args(),
    ));
    let outcome = tokio::time::timeout(TEST_TIMEOUT, &mut task).await;
    if outcome.is_err() {
        // Dropping the task's future kills the server child (ChildGuard).
        task.abort();
        let _ = task.await;
    }
    scratch.cleanup().await;
    match outcome {
        Err(_) => panic!("the test did not finish in {TEST_TIMEOUT:?}"),
        Ok(Err(e)) => std::panic::resume_unwind(e.into_panic()),
        Ok(Ok(())) => {}
    }
}

async fn demo_verify_backup_in(dir: std::path::PathBuf, db_args: Vec<String>) {
    let data_dir = dir.to_str().unwrap().to_string();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let base = format!("http://{listen}");
    let db: Vec<&str> = db_args.iter().map(String::as_str).collect();
    let postgres = !db.is_empty();

    let mut args = vec!["demo", "--data-dir", &data_dir, "--residents", "2000"];
    args.extend(["--listen", &listen]);
    args.extend(&db);
    let child = xiangzhi(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn xiangzhi demo");
    let mut child = ChildGuard(child);
    wait_healthy(&mut child, &base, &dir).await;

    // The demo logins file.
    let accounts: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("demo-accounts.json")).expect("demo-accounts.json"),
    )
    .expect("JSON");
    let list = accounts.as_array().expect("a JSON list");
    assert_eq!(list.len(), 11);
    // The Open311 key of the demo integration, and it works.
    let open311: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("demo-open311.json")).expect("demo-open311.json"),
    )
    .expect("JSON");
    assert_eq!(open311["jurisdiction_id"], "139921000000");
    let key = open311["api_key"].as_str().expect("api_key").to_string();
    let r = reqwest::Client::new()
        .get(format!(
            "{base}/open311/v2/servicerequestupdates.json?api_key={key}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    for a in list {
        for key in ["username", "password", "role", "area_code", "totp_secret"] {
            assert!(a.get(key).is_some(), "{key} in {a}");
        }
    }
    let roles: BTreeSet<&str> = list.iter().filter_map(|a| a["role"].as_str()).collect();
    let all: BTreeSet<&str> = ALL_ROLES.iter().map(|r| r.as_str()).collect();
    assert_eq!(roles, all, "one login per role");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("demo-accounts.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the passwords file is private");
    }

    // Log in as the village cadre over HTTP.
    let cadre = list
        .iter()
        .find(|a| a["username"] == "village_cadre")
        .expect("village_cadre");
    let client = new_client();
    let html = client
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("username", "village_cadre"),
            ("password", cadre["password"].as_str().unwrap()),
            ("otp", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = client
        .get(format!("{base}/households"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("户籍台账"));
    // A second-factor role too.
    let staff = list
        .iter()
        .find(|a| a["role"] == "county_staff")
        .expect("county_staff");
    let secret = staff["totp_secret"].as_str().expect("a TOTP secret");
    let r = new_client()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({
            "username": staff["username"],
            "password": staff["password"],
            "otp": totp_now(secret),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // A backup while serving.
    let backup = dir.join("backup.db");
    let backup_s = backup.to_str().unwrap();
    let mut args = vec!["backup", "--data-dir", &data_dir, "--to", backup_s];
    args.extend(&db);
    let out = run(&args);
    if postgres {
        assert!(
            !out.status.success(),
            "backup of PostgreSQL is pg_dump's job"
        );
        assert!(
            text(&out.stderr).contains("pg_dump"),
            "{}",
            text(&out.stderr)
        );
    } else {
        assert!(out.status.success(), "backup: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("backup written"));
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{backup_s}"))
            .await
            .expect("the backup is a SQLite database");
        let count = "SELECT COUNT(*) FROM persons";
        let n: i64 = sqlx::query_scalar(count)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        let _ = conn.close().await;
        let live = format!("sqlite://{}", dir.join("xiangzhi.db").display());
        let mut conn = sqlx::SqliteConnection::connect(&live).await.unwrap();
        let live_n: i64 = sqlx::query_scalar(count)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        let _ = conn.close().await;
        assert_eq!(n, live_n, "the backup holds every person");
        assert!(n >= 1990, "about 2000 residents: {n}");
        // It never overwrites.
        let out = run(&args);
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains("already exists"));
    }
    drop(child);

    // The audit chain is intact …
    let mut args = vec!["verify", "--data-dir", &data_dir];
    args.extend(&db);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "verify: {}", text(&out.stdout));
    assert!(text(&out.stdout).contains("intact"));

    // … until someone edits a record.
    let update = "UPDATE audit_log SET detail = 'x' WHERE seq = 2";
    if postgres {
        let mut conn = sqlx::PgConnection::connect(&db_args[1]).await.unwrap();
        sqlx::query(update).execute(&mut conn).await.unwrap();
        let _ = conn.close().await;
    } else {
        let url = format!("sqlite://{}", dir.join("xiangzhi.db").display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let done = sqlx::query(update).execute(&mut conn).await.unwrap();
        assert_eq!(done.rows_affected(), 1);
        let _ = conn.close().await;
    }
    let out = run(&args);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "verify after tampering: {stdout}"
    );
    assert!(stdout.contains("record 2"), "names the record: {stdout}");
    assert!(stdout.contains("BROKEN"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_demo_verify_backup_sqlite() {
    demo_verify_backup(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_demo_verify_backup_postgres() {
    demo_verify_backup(Backend::Postgres).await;
}

#[test]
fn binary_config_example_is_toml() {
    let out = run(&["config", "example"]);
    assert!(out.status.success());
    let s = text(&out.stdout);
    let v: toml::Table = toml::from_str(&s).expect("valid TOML");
    assert!(
        v.contains_key("data_dir") && v.contains_key("listen"),
        "{s}"
    );
    assert!(
        s.contains("database_url"),
        "documents the PostgreSQL setting"
    );
    assert!(s.contains("XIANGZHI_MASTER_KEY"));
}

#[test]
fn binary_serve_unreachable_postgres_fails_clearly() {
    let dir = std::env::temp_dir().join(format!("xz-test-serve-{}", std::process::id()));
    let data_dir = dir.to_str().unwrap().to_string();
    let port = free_port().to_string();
    let listen = format!("127.0.0.1:{port}");
    let started = Instant::now();
    let out = xiangzhi(&[
        "serve",
        "--data-dir",
        &data_dir,
        "--listen",
        &listen,
        "--database-url",
        "postgres://127.0.0.1:1/none",
    ])
    .stdin(Stdio::null())
    .output()
    .expect("run xiangzhi serve");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.status.success(), "must fail");
    assert!(started.elapsed() < Duration::from_secs(60));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("cannot connect to PostgreSQL"),
        "a clear message: {stderr}"
    );
    assert!(
        std::net::TcpStream::connect(&listen).is_err(),
        "nothing listens"
    );
}
