//! Tidy tests: architectural rules that are cheap to check by reading the source.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn core_sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read");
            (p.display().to_string(), text)
        })
        .collect()
}

/// Only `clock.rs` reads the wall clock; rules take time as an argument.
#[test]
fn no_clock_reads_outside_the_clock_module() {
    for (path, text) in core_sources() {
        if path.ends_with("clock.rs") {
            continue;
        }
        for needle in ["Utc::now", "Local::now", "SystemTime::now", "Instant::now"] {
            assert!(
                !text.contains(needle),
                "{path} reads the clock ({needle}); use crate::clock"
            );
        }
    }
}

/// SQL lives in `store.rs` files and `db.rs` only.
#[test]
fn sql_only_in_stores() {
    for (path, text) in core_sources() {
        if path.ends_with("store.rs") || path.ends_with("db.rs") {
            continue;
        }
        assert!(
            !text.contains("sqlx::query"),
            "{path} runs SQL; move it to a store.rs"
        );
    }
}

/// The core knows no HTTP. (It writes documents — XLSX exports, the record inside an
/// archive package — so a template engine is allowed; pages are the web crate's.)
#[test]
fn core_knows_no_http() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .expect("manifest");
    for dep in ["axum", "hyper", "reqwest", "tower", "askama_web"] {
        assert!(
            !manifest.lines().any(|l| l.trim_start().starts_with(dep)),
            "xiangzhi-core must not depend on {dep}"
        );
    }
}

/// Both backends carry the same migration versions, file for file.
#[test]
fn migrations_match() {
    let (sqlite, postgres) = xiangzhi_core::db::Db::migration_versions();
    assert_eq!(sqlite, postgres);
    let names = |b: &str| {
        let mut v: Vec<String> = std::fs::read_dir(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(b),
        )
        .expect("migrations dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
}
