//! The `xiangzhi` binary: serve, demo, migrate, admin, backup, verify, config.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use serde::Deserialize;
use xiangzhi_core::authz::{Actor, Role};
use xiangzhi_core::{accounts, audit, demo, Core};

#[derive(Parser)]
#[command(
    name = "xiangzhi",
    version,
    about = "乡治 — rural governance platform for a county"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Args, Clone, Default)]
struct Common {
    /// Data directory (SQLite file, keys, uploads).
    #[arg(long, env = "XIANGZHI_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Listen address.
    #[arg(long, env = "XIANGZHI_LISTEN")]
    listen: Option<String>,
    /// Database URL: sqlite://… (default: the file in the data dir) or postgres://…
    #[arg(long, env = "XIANGZHI_DATABASE_URL")]
    database_url: Option<String>,
    /// SMS gateway URL (http://host:port/path); default: a file sink in the data dir.
    #[arg(long, env = "XIANGZHI_SMS_URL")]
    sms_url: Option<String>,
    /// S3-compatible object store for attachments (http://host:port/bucket?region=…);
    /// default: the blobs directory in the data dir. The key pair comes from
    /// XIANGZHI_S3_ACCESS_KEY and XIANGZHI_S3_SECRET_KEY.
    #[arg(long, env = "XIANGZHI_S3_URL")]
    s3_url: Option<String>,
    /// Configuration file (TOML); flags and environment variables take precedence.
    #[arg(long, env = "XIANGZHI_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    listen: Option<String>,
    database_url: Option<String>,
    sms_url: Option<String>,
    s3_url: Option<String>,
}

/// Settled configuration.
struct Config {
    data_dir: PathBuf,
    listen: String,
    database_url: Option<String>,
    sms_url: Option<String>,
    s3_url: Option<String>,
}

impl Common {
    fn settle(&self) -> anyhow::Result<Config> {
        let file: FileConfig = match &self.config {
            Some(p) => toml::from_str(
                &std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read {}", p.display()))?,
            )
            .with_context(|| format!("invalid configuration file {}", p.display()))?,
            None => FileConfig::default(),
        };
        Ok(Config {
            data_dir: self
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("./data")),
            listen: self
                .listen
                .clone()
                .or(file.listen)
                .unwrap_or_else(|| "127.0.0.1:8080".into()),
            database_url: self.database_url.clone().or(file.database_url),
            sms_url: self.sms_url.clone().or(file.sms_url),
            s3_url: self.s3_url.clone().or(file.s3_url),
        })
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the server.
    Serve(Common),
    /// Generate the demo county on an empty database, then serve.
    Demo {
        #[command(flatten)]
        common: Common,
        /// Number of residents to generate.
        #[arg(long, default_value_t = 50_000)]
        residents: usize,
        /// Seed of the generator (same seed, same county).
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Generate and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Apply database migrations and exit.
    Migrate(Common),
    /// Administration from the command line (audited as the system).
    Admin {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        cmd: AdminCmd,
    },
    /// Write a consistent copy of the database while the server keeps serving.
    Backup {
        #[command(flatten)]
        common: Common,
        /// Target file.
        #[arg(long)]
        to: PathBuf,
    },
    /// Walk the audit chain; exit 0 when intact, 1 naming the first broken record.
    Verify(Common),
    /// Rebuild the case search index from the database (while the server is stopped; a
    /// running server rebuilds through `POST /api/v1/search/rebuild`).
    Reindex(Common),
    /// Benchmarks of this machine (see bench/run.sh).
    Bench {
        #[command(subcommand)]
        cmd: BenchCmd,
    },
    /// Configuration help.
    Config {
        #[command(subcommand)]
        cmd: ConfigCmd,
    },
}

#[derive(Subcommand)]
enum AdminCmd {
    /// Create a user.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// Password (or set XIANGZHI_NEW_PASSWORD).
        #[arg(long, env = "XIANGZHI_NEW_PASSWORD")]
        password: String,
    },
    /// Reset a user's password.
    ResetPassword {
        #[arg(long)]
        username: String,
        #[arg(long, env = "XIANGZHI_NEW_PASSWORD")]
        password: String,
    },
    /// Grant a role on an area; prints a new authenticator secret when the role needs one.
    GrantRole {
        #[arg(long)]
        username: String,
        /// villager, grid_worker, village_cadre, village_supervisor, township_staff,
        /// county_staff, system_admin, security_admin, audit_admin
        #[arg(long)]
        role: String,
        #[arg(long)]
        area: String,
    },
    /// Unlock an account locked by failed logins.
    Unlock {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Import a synthetic XLSX ledger of N people into a fresh demo county and report rows/s.
    Import {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
    },
    /// Build a demo county holding N cases (a year of history), then time the escalation
    /// sweep. Leaves the data directory for serving benchmarks.
    Cases {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 1_000_000)]
        cases: usize,
        #[arg(long, default_value_t = 20_000)]
        residents: usize,
        /// Load only; leave the overdue cases for `bench sweep`.
        #[arg(long)]
        no_sweep: bool,
    },
    /// Time one escalation sweep over an existing database (copy the data directory of
    /// `bench cases --no-sweep` to repeat it).
    Sweep {
        #[command(flatten)]
        common: Common,
    },
    /// Build a demo county whose villages hold YEARS of publications and whose audit chain
    /// and publication chains together hold AUDIT records, then time `verify`. Leaves the
    /// data directory for the portal benchmark (`bench/disclosure.sh`).
    Disclosure {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 5)]
        years: u32,
        #[arg(long, default_value_t = 1_000_000)]
        audit: usize,
        #[arg(long, default_value_t = 20_000)]
        residents: usize,
    },
}

#[derive(Subcommand)]
enum ConfigCmd {
    /// Print a documented sample configuration file.
    Example,
}

const CONFIG_EXAMPLE: &str = r#"# xiangzhi configuration (TOML). Command-line flags and XIANGZHI_* environment
# variables override these values.

# Where the SQLite database, the encryption key and uploads live.
data_dir = "./data"

# Address and port to listen on. Put a TLS-terminating proxy in front for remote access.
listen = "127.0.0.1:8080"

# Database. Leave unset for the embedded SQLite file in data_dir, or point at PostgreSQL:
# database_url = "postgres://xiangzhi@127.0.0.1:5432/xiangzhi"

# SMS gateway: an HTTP endpoint that accepts POST {"to": "...", "text": "..."} as JSON
# and answers 2xx (plain http:// only; put a local TLS relay in front of an https://
# gateway). Registration codes, texts to reporters about their cases, notices to staff
# and people on duty, and the daily digest all go through it; failed texts are retried
# after 1, 5 and 30 minutes.
# Unset: the file sink — messages are appended, one JSON line each, to
# data_dir/sms-outbox.jsonl (development; nothing leaves the machine).
# sms_url = "http://10.0.0.5:9000/sms"

# Attachments (photos, documents): unset keeps them under data_dir/blobs. An S3-compatible
# object store on the county's network takes them instead (path-style, Signature V4, http://
# only — put a TLS proxy on the same machine for anything further). Its key pair is read
# from XIANGZHI_S3_ACCESS_KEY and XIANGZHI_S3_SECRET_KEY, never from this file.
# s3_url = "http://10.0.0.6:9000/x-county-attachments?region=cn-north-1"

# Outgoing webhooks need no setting here: county staff register them on the
# /webhooks page or through /api/v1/webhooks. `serve` sends webhooks and texts and
# makes the daily digest every 5 seconds.

# The master encryption key is NOT configured here. It is read from the environment
# variable XIANGZHI_MASTER_KEY (64 hex digits) or from data_dir/keys/master.key, which is
# created with mode 0600 on first start. Back it up separately from the database.
"#;

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("XIANGZHI_LOG")
        .unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
}

async fn open(cfg: &Config) -> anyhow::Result<Core> {
    let mut core = Core::open(
        cfg.data_dir.clone(),
        cfg.database_url.as_deref(),
        cfg.sms_url.as_deref(),
    )
    .await?;
    if let Some(url) = cfg.s3_url.as_deref().filter(|u| !u.is_empty()) {
        let store = xiangzhi_web::s3::S3Store::new(&xiangzhi_web::s3::S3Config {
            url: url.to_string(),
            access_key: std::env::var("XIANGZHI_S3_ACCESS_KEY").unwrap_or_default(),
            secret_key: std::env::var("XIANGZHI_S3_SECRET_KEY").unwrap_or_default(),
        })
        .context("the object store for attachments is misconfigured")?;
        core.use_object_store(std::sync::Arc::new(store));
    }
    Ok(core)
}

async fn serve(core: Core, cfg: &Config, started: Instant) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    println!(
        "xiangzhi serving on http://{addr}/  (ready in {} ms)",
        started.elapsed().as_millis()
    );
    tracing::info!(%addr, "serving");
    xiangzhi_web::serve(xiangzhi_web::AppState::new(core), listener).await
}

/// jemalloc rather than the system allocator: the server's threads (runtime workers, the
/// database's threads, the search threads) each allocate and free, and the system allocator
/// kept each thread's freed memory apart (about 17 MB more with 1,000,000 cases after load);
/// jemalloc also served intake, queues and search faster in the benchmarks.
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    init_tracing();
    let cli = Cli::parse();
    // Database results arrive from the SQLite driver's own threads, which wake their tasks
    // through the runtime's shared queue. By default a busy worker looks there only once
    // every 61 tasks, so under load every statement of a transaction waited behind dozens
    // of HTTP requests; looking every few tasks keeps a transaction's round trips short.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .global_queue_interval(GLOBAL_QUEUE_INTERVAL)
        .build();
    let code = match runtime {
        Ok(rt) => match rt.block_on(run(cli)) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e:#}");
                2
            }
        },
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            2
        }
    };
    std::process::exit(code);
}

/// How many tasks a runtime worker runs before it looks at the shared queue (see `main`).
const GLOBAL_QUEUE_INTERVAL: u32 = 4;

async fn run(cli: Cli) -> anyhow::Result<i32> {
    let started = Instant::now();
    match cli.cmd {
        Cmd::Serve(common) => {
            let cfg = common.settle()?;
            let core = open(&cfg).await?;
            serve(core, &cfg, started).await?;
        }
        Cmd::Demo {
            common,
            residents,
            seed,
            no_serve,
        } => {
            let cfg = common.settle()?;
            let core = open(&cfg).await?;
            if core.db.is_empty().await? {
                println!(
                    "generating the demo county x县 with {residents} residents (seed {seed}) …"
                );
                let summary = demo::generate(&core, residents, seed).await?;
                let path = cfg.data_dir.join("demo-accounts.json");
                std::fs::write(&path, serde_json::to_string_pretty(&summary.accounts)?)?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
                }
                // An Open311 integration key for the demo county (shown once, kept here).
                let api_key = xiangzhi_core::cases::service::create_api_key(
                    &core,
                    &Actor::system("demo"),
                    demo::COUNTY_CODE,
                    "demo-integration",
                )
                .await?;
                let open311_path = cfg.data_dir.join("demo-open311.json");
                std::fs::write(
                    &open311_path,
                    serde_json::to_string_pretty(&serde_json::json!({
                        "api_key": api_key,
                        "jurisdiction_id": demo::COUNTY_CODE,
                    }))?,
                )?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(
                        &open311_path,
                        std::fs::Permissions::from_mode(0o600),
                    )?;
                }
                println!(
                    "Open311 API key (/open311/v2/) in {}",
                    open311_path.display()
                );
                println!(
                    "generated {} townships, {} villages, {} households, {} residents in {:.1} s",
                    summary.townships,
                    summary.villages,
                    summary.households,
                    summary.residents,
                    started.elapsed().as_secs_f64()
                );
                println!("logins (also in {}):", path.display());
                for a in &summary.accounts {
                    println!(
                        "  {:<22} {:<20} {:<18} {}{}",
                        a.username,
                        a.password,
                        a.role,
                        a.area_code,
                        a.totp_secret
                            .as_ref()
                            .map(|s| format!("  TOTP {s}"))
                            .unwrap_or_default()
                    );
                }
            } else {
                println!("the database already holds data; serving it as it is");
            }
            if no_serve {
                core.db.close().await;
            } else {
                serve(core, &cfg, started).await?;
            }
        }
        Cmd::Migrate(common) => {
            let cfg = common.settle()?;
            let core = open(&cfg).await?;
            core.db.close().await;
            println!("migrations applied");
        }
        Cmd::Admin { common, cmd } => {
            let cfg = common.settle()?;
            let core = open(&cfg).await?;
            admin(&core, cmd).await?;
        }
        Cmd::Backup { common, to } => {
            let cfg = common.settle()?;
            let core = open(&cfg).await?;
            core.db.backup(&to).await?;
            println!("backup written to {}", to.display());
        }
        Cmd::Verify(common) => {
            let cfg = common.settle()?;
            let core = open(&cfg).await?;
            // The audit chain and the villages' publication chains are walked side by side.
            let (report, chains) = tokio::join!(
                audit::verify(&core.db),
                xiangzhi_core::disclosure::service::verify_chains(&core)
            );
            let (report, chains) = (report?, chains?);
            let mut broken = false;
            match report.problem {
                None => println!("audit chain intact: {} records", report.records),
                Some(p) => {
                    println!(
                        "audit chain BROKEN after {} good records: {p}",
                        report.records
                    );
                    broken = true;
                }
            }
            match chains.problem {
                None => println!(
                    "publication chains intact: {} publications in {} villages",
                    chains.publications, chains.villages
                ),
                Some(p) => {
                    println!(
                        "publication chains BROKEN after {} good publications: {p}",
                        chains.publications
                    );
                    broken = true;
                }
            }
            // Archive packages: every ZIP read back and checked against its SM3.
            match xiangzhi_core::archive::service::verify_all(&core).await? {
                (n, None) => println!("archive packages intact: {n}"),
                (n, Some(p)) => {
                    println!("archive package BROKEN (of {n}): {p}");
                    broken = true;
                }
            }
            println!("verified in {:.2} s", started.elapsed().as_secs_f64());
            if broken {
                return Ok(1);
            }
        }
        Cmd::Reindex(common) => {
            let cfg = common.settle()?;
            let core = open(&cfg).await?;
            core.search
                .start_fresh(&core.data_dir, core.db.clone())
                .context("cannot open the search index (is the server running?)")?;
            core.search.flush().await;
            let n = core.search.engine().map_or(0, |e| e.num_docs());
            println!(
                "case search index rebuilt: {n} cases in {:.2} s",
                started.elapsed().as_secs_f64()
            );
            core.db.close().await;
        }
        Cmd::Config {
            cmd: ConfigCmd::Example,
        } => print!("{CONFIG_EXAMPLE}"),
        Cmd::Bench {
            cmd: BenchCmd::Import { common, rows },
        } => {
            let cfg = common.settle()?;
            let core = open(&cfg).await?;
            anyhow::ensure!(
                core.db.is_empty().await?,
                "bench import needs an empty database"
            );
            demo::generate(&core, 0, 1).await?;
            let t = Instant::now();
            let bytes = demo::ledger_xlsx(rows, 7)?;
            println!(
                "ledger of {rows} rows: {} bytes, built in {:.2} s",
                bytes.len(),
                t.elapsed().as_secs_f64()
            );
            let t = Instant::now();
            let report = xiangzhi_core::people::xlsx::import_bytes(
                &core,
                &Actor::system("bench"),
                &bytes,
                xiangzhi_core::tabular::ImportMode::AllOrNothing,
            )
            .await
            .map_err(describe)?;
            let secs = t.elapsed().as_secs_f64();
            println!(
                "imported {} of {} rows ({} errors) in {:.2} s: {:.0} rows/s end to end (parse, validate, encrypt, insert, commit)",
                report.imported,
                report.total_rows,
                report.errors.len(),
                secs,
                report.imported as f64 / secs
            );
        }
        Cmd::Bench {
            cmd:
                BenchCmd::Cases {
                    common,
                    cases,
                    residents,
                    no_sweep,
                },
        } => {
            let cfg = common.settle()?;
            let core = open(&cfg).await?;
            anyhow::ensure!(
                core.db.is_empty().await?,
                "bench cases needs an empty database"
            );
            let summary = demo::generate(&core, residents, 7).await?;
            let path = cfg.data_dir.join("demo-accounts.json");
            std::fs::write(&path, serde_json::to_string_pretty(&summary.accounts)?)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            }
            let areas =
                xiangzhi_core::areas::store::subtree(&core.db, &demo::COUNTY_CODE[..6], false)
                    .await
                    .map_err(describe)?;
            let villages: Vec<(String, Vec<String>)> = areas
                .iter()
                .filter(|a| a.level == xiangzhi_core::areas::AreaLevel::Village)
                .map(|v| {
                    let grids = areas
                        .iter()
                        .filter(|g| {
                            g.level == xiangzhi_core::areas::AreaLevel::Grid
                                && g.parent_code.as_deref() == Some(v.code.as_str())
                        })
                        .map(|g| g.code.clone())
                        .collect();
                    (v.code.clone(), grids)
                })
                .collect();
            let more = cases.saturating_sub(summary.cases);
            let t = Instant::now();
            let added =
                xiangzhi_core::cases::demo::history(&core, demo::COUNTY_CODE, &villages, more, 11)
                    .await?;
            let secs = t.elapsed().as_secs_f64();
            println!(
                "loaded {} cases (with timelines) in {secs:.1} s: {:.0} cases/s; {} in all",
                added,
                added as f64 / secs,
                added + summary.cases
            );
            if no_sweep {
                core.db.close().await;
                return Ok(0);
            }
            sweep(&core).await?;
            let t = Instant::now();
            let again =
                xiangzhi_core::cases::escalate_overdue(&core, xiangzhi_core::clock::now_ms())
                    .await
                    .map_err(describe)?;
            println!(
                "escalation sweep again (nothing new due): {again} in {:.3} s",
                t.elapsed().as_secs_f64()
            );
            core.db.close().await;
        }
        Cmd::Bench {
            cmd: BenchCmd::Sweep { common },
        } => {
            let cfg = common.settle()?;
            let core = open(&cfg).await?;
            sweep(&core).await?;
        }
        Cmd::Bench {
            cmd:
                BenchCmd::Disclosure {
                    common,
                    years,
                    audit,
                    residents,
                },
        } => {
            let cfg = common.settle()?;
            let core = open(&cfg).await?;
            anyhow::ensure!(
                core.db.is_empty().await?,
                "bench disclosure needs an empty database"
            );
            let summary = demo::generate(&core, residents, 7).await?;
            let path = cfg.data_dir.join("demo-accounts.json");
            std::fs::write(&path, serde_json::to_string_pretty(&summary.accounts)?)?;
            let villages = xiangzhi_core::areas::store::villages_of(&core.db, demo::COUNTY_CODE)
                .await
                .map_err(describe)?;
            // The demo wrote a year; replace it with `years` of history per village.
            let t = Instant::now();
            let written = xiangzhi_core::deliberation::demo::bench_history(
                &core,
                demo::COUNTY_CODE,
                &villages,
                years * 12,
            )
            .await?;
            println!(
                "wrote {written} publications ({years} years in {} villages) in {:.1} s",
                villages.len(),
                t.elapsed().as_secs_f64()
            );
            let t = Instant::now();
            let have = audit::verify(&core.db).await?.records;
            let more = audit.saturating_sub(usize::try_from(have).unwrap_or(0) + written);
            audit::store::fill(&core.db, more).await.map_err(describe)?;
            println!(
                "appended {more} audit records in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            xiangzhi_core::db::analyze(&core.db).await?;
            let t = Instant::now();
            let (a, p) = tokio::join!(
                audit::verify(&core.db),
                xiangzhi_core::disclosure::service::verify_chains(&core)
            );
            let (a, p) = (a?, p?);
            println!(
                "verify: {} audit records and {} publications in {:.2} s ({})",
                a.records,
                p.publications,
                t.elapsed().as_secs_f64(),
                if a.problem.is_none() && p.problem.is_none() {
                    "intact"
                } else {
                    "BROKEN"
                }
            );
        }
    }
    Ok(0)
}

async fn admin(core: &Core, cmd: AdminCmd) -> anyhow::Result<()> {
    let system = Actor::system("cli-admin");
    let user_id = |username: String| async move {
        accounts::find_user(core, &username)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .map(|u| u.id)
            .ok_or_else(|| anyhow::anyhow!("no user named {username}"))
    };
    match cmd {
        AdminCmd::CreateUser {
            username,
            display_name,
            password,
        } => {
            let id = accounts::create_user(
                core,
                &system,
                &accounts::NewUser {
                    username: username.clone(),
                    display_name,
                    password,
                    person_id: None,
                    staff: true,
                },
            )
            .await
            .map_err(describe)?;
            println!("created {username} ({id})");
        }
        AdminCmd::ResetPassword { username, password } => {
            let id = user_id(username.clone()).await?;
            accounts::reset_password(core, &system, &id, &password)
                .await
                .map_err(describe)?;
            println!("password of {username} reset; their sessions are ended");
        }
        AdminCmd::GrantRole {
            username,
            role,
            area,
        } => {
            let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("unknown role {role}"))?;
            let id = user_id(username.clone()).await?;
            let out = accounts::grant_role(core, &system, &id, role, &area)
                .await
                .map_err(describe)?;
            println!("granted {} on {area} to {username}", role.as_str());
            if let Some(s) = out.totp_secret {
                println!("authenticator secret (give it to the user in person): {s}");
            }
        }
        AdminCmd::Unlock { username } => {
            let id = user_id(username.clone()).await?;
            accounts::unlock(core, &system, &id)
                .await
                .map_err(describe)?;
            println!("{username} unlocked");
        }
    }
    Ok(())
}

/// One escalation sweep as of now, timed (the benchmark of `bench cases` and `bench sweep`).
async fn sweep(core: &Core) -> anyhow::Result<()> {
    let t = Instant::now();
    let n = xiangzhi_core::cases::escalate_overdue(core, xiangzhi_core::clock::now_ms())
        .await
        .map_err(describe)?;
    println!(
        "escalation sweep: {n} overdue cases escalated in {:.3} s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn describe(e: xiangzhi_core::AppError) -> anyhow::Error {
    let fields: Vec<String> = e.fields().iter().map(|f| f.to_string()).collect();
    if fields.is_empty() {
        anyhow::anyhow!("{} ({})", e, e.code())
    } else {
        anyhow::anyhow!("{} ({}): {}", e, e.code(), fields.join(", "))
    }
}
