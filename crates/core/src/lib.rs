//! xiangzhi core: the domain slices, their rules, their SQL and their services.
//! No HTTP here (see `xiangzhi-web`).

pub mod accounts;
pub mod appraisal;
pub mod archive;
pub mod areas;
pub mod audit;
pub mod authz;
pub mod cases;
pub mod clock;
pub mod crypto;
pub mod db;
pub mod deliberation;
pub mod demo;
pub mod disclosure;
pub mod error;
pub mod levy;
pub mod outbound;
pub mod people;
pub mod tabular;
pub mod voice;

pub use error::{AppError, AppResult, FieldError};

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Everything a service function needs: the database, the keys and the gateways.
#[derive(Debug, Clone)]
pub struct Core {
    pub db: db::Db,
    pub keys: crypto::Keyring,
    pub sms: accounts::sms::SmsGateway,
    pub data_dir: PathBuf,
    /// Bumped after every committed change to people or households in this process, so
    /// read caches above the core know when to drop what they hold.
    pub generation: Arc<AtomicU64>,
    /// Read cache of household list pages (see `people::cache`).
    pub household_cache: Arc<people::cache::HouseholdCache>,
    /// Bumped after every committed change to cases, for the queue read cache.
    pub case_generation: Arc<AtomicU64>,
    /// Read cache of case queue pages (see `people::cache::ReadCache`).
    pub case_cache: Arc<people::cache::ReadCache<(Vec<cases::store::CaseBrief>, bool)>>,
    /// Read cache of search result pages, valid for one index commit and case generation.
    pub search_cache: Arc<people::cache::ReadCache<cases::service::SearchPage>>,
    /// The case catalogue and area names, in memory.
    pub cases: Arc<cases::catalogue::CaseCache>,
    /// Bumped after every committed change the public disclosure pages show (releases,
    /// objections, answers), for their page cache.
    pub disclosure_generation: Arc<AtomicU64>,
    /// Chinese full-text search over cases (started by `serve`, see [`Core::start_search`]).
    pub search: Arc<cases::search::CaseSearch>,
    /// Where attachment bytes live (see [`Core::use_object_store`]).
    pub blobs: cases::attachments::Blobs,
    /// The group-commit writer of new cases.
    intake: cases::intake::Intake,
}

impl Core {
    /// Open the data directory: keys, database (migrated), SMS sink.
    pub async fn open(
        data_dir: PathBuf,
        database_url: Option<&str>,
        sms_url: Option<&str>,
    ) -> anyhow::Result<Core> {
        if let Some(u) = sms_url.filter(|u| !u.is_empty()) {
            if accounts::sms::parse_http_url(u).is_none() {
                anyhow::bail!(
                    "sms_url must be http://host[:port]/path (the binary speaks plain HTTP; \
                     put a local TLS relay in front of an https:// gateway)"
                );
            }
        }
        std::fs::create_dir_all(&data_dir)?;
        let keys = crypto::Keyring::load_or_create(&data_dir)?;
        let url = match database_url {
            Some(u) if !u.is_empty() => u.to_string(),
            _ => db::sqlite_url_for(&data_dir),
        };
        let db = db::Db::connect(&url).await?;
        db.migrate().await?;
        let sms = match sms_url {
            Some(u) if !u.is_empty() => accounts::sms::SmsGateway::Http { url: u.to_string() },
            _ => accounts::sms::SmsGateway::File(data_dir.join("sms-outbox.jsonl")),
        };
        let case_generation = Arc::new(AtomicU64::new(0));
        let search = Arc::new(cases::search::CaseSearch::default());
        let blobs = cases::attachments::Blobs::Local(cases::attachments::LocalStore {
            dir: data_dir.join("blobs"),
        });
        Ok(Core {
            blobs,
            keys,
            sms,
            data_dir,
            generation: Arc::new(AtomicU64::new(0)),
            household_cache: Arc::default(),
            cases: Arc::default(),
            intake: cases::intake::Intake::start(
                db.clone(),
                case_generation.clone(),
                search.clone(),
            ),
            search,
            case_generation,
            case_cache: Arc::default(),
            search_cache: Arc::default(),
            disclosure_generation: Arc::new(AtomicU64::new(0)),
            db,
        })
    }

    /// Keep attachments (and other blobs) in an object store instead of `data_dir/blobs`.
    pub fn use_object_store(&mut self, store: Arc<dyn cases::attachments::ObjectStore>) {
        self.blobs = cases::attachments::Blobs::Remote(store);
    }

    /// Open the case search index in the data directory and keep it up to date (the index
    /// catches up with the database first, in the background).
    pub fn start_search(&self) -> anyhow::Result<()> {
        self.search.start(&self.data_dir, self.db.clone())
    }

    /// The group-commit writer of new cases.
    pub fn intake(&self) -> &cases::intake::Intake {
        &self.intake
    }

    /// The current data generation (see [`Core::generation`]).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Record that cases changed (queues must be read again).
    pub fn cases_changed(&self) {
        self.case_generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Record that people or households changed.
    pub fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}
