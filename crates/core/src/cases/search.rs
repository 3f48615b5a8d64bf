//! Chinese full-text search over cases.
//!
//! The index is derived state kept beside the database (`DATA_DIR/search/cases-v3`), never
//! the record: it can be deleted at any time and is rebuilt from the database on demand.
//! Text is segmented with jieba (search mode when indexing, so long words are also indexed
//! by their parts; default mode for queries) and every query word must match. Each case is
//! indexed with the prefixes of its area code and its grid, so a search is limited to the
//! reader's areas inside the index; the rows shown are then read from the database through
//! the same scoped filter as the queues, so the index can never widen what someone sees.
//!
//! Only what does not change after intake is indexed (number, area, grid, type, title,
//! description, address, time of intake): state is read from the database when results are
//! shown. New cases reach the index from the intake writer after their commit; one writer
//! thread adds them and commits about once a second. On start the index catches up from the
//! newest intake time recorded in its last commit, so cases written while it was not
//! running (the demo, a bulk load, a crash) are found too.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::Duration;

use jieba_rs::Jieba;
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, STORED, STRING,
};
use tantivy::tokenizer::{PreTokenizedStream, PreTokenizedString, Token};
use tantivy::{Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};

use super::model::Case;
use crate::authz::Scope;
use crate::db::Db;

/// Version of the index layout: a new layout is built in a new directory.
const LAYOUT: &str = "cases-v3";
/// Where earlier layouts were kept: removed when the current one is opened.
const OLD_LAYOUTS: [&str; 2] = ["cases-v1", "cases-v2"];
/// The name the tokenizer of case text is registered under in the index.
const TEXT_TOKENIZER: &str = "case_text";
/// Heap of the index writer.
const WRITER_HEAP: usize = 32 * 1024 * 1024;
/// How long the writer waits for more cases before it commits what it has.
const COMMIT_EVERY: Duration = Duration::from_millis(500);
/// Cases read from the database per page when building or catching up.
const PAGE: i64 = 5_000;
/// How far before the recorded newest intake time catching up starts: a batch's intake
/// time is taken before its commit, so a slightly older case may commit slightly later.
const CATCH_UP_MARGIN_MS: i64 = 60_000;
/// Area-code prefix lengths indexed (province, city, county, township, village).
const AREA_PREFIXES: [usize; 5] = [2, 4, 6, 9, 12];
/// The longest query taken, in characters.
pub const MAX_QUERY_CHARS: usize = 100;

/// What is indexed of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDoc {
    pub id: String,
    pub number: String,
    pub area_code: String,
    pub grid_code: Option<String>,
    pub type_code: String,
    pub text: String,
    pub created_at: i64,
}

impl SearchDoc {
    /// The indexed text of a case: title, description and address.
    pub fn text_of(title: &str, description: &str, address: Option<&str>) -> String {
        let mut text = String::with_capacity(title.len() + description.len() + 64);
        text.push_str(title);
        text.push('\n');
        text.push_str(description);
        if let Some(a) = address {
            text.push('\n');
            text.push_str(a);
        }
        text
    }

    pub fn of(c: &Case) -> SearchDoc {
        let text = SearchDoc::text_of(&c.title, &c.description, c.address.as_deref());
        SearchDoc {
            id: c.id.clone(),
            number: c.number.clone(),
            area_code: c.area_code.clone(),
            grid_code: c.grid_code.clone(),
            type_code: c.type_code.clone(),
            text,
            created_at: c.created_at,
        }
    }
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    /// Best match first.
    #[default]
    Relevance,
    /// Newest first.
    Newest,
}

/// What to look for.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    /// The reader's areas (an empty prefix: everything).
    pub scope: Scope,
    /// Narrow to one area prefix.
    pub area_prefix: Option<String>,
    pub type_code: Option<String>,
    pub sort: SortBy,
    pub offset: usize,
    pub limit: usize,
}

/// One page of hits: case ids in order, how many match in all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hits {
    pub ids: Vec<String>,
    pub total: usize,
}

/// The search handle held by [`crate::Core`]: empty until [`CaseSearch::start`].
#[derive(Debug, Default)]
pub struct CaseSearch {
    engine: OnceLock<Arc<Engine>>,
    /// The writer thread's inbox; the thread ends when this handle is dropped.
    tx: std::sync::Mutex<Option<mpsc::Sender<Msg>>>,
}

impl CaseSearch {
    /// Open (or create) the index under `data_dir` and start its writer thread, which first
    /// catches up with the database. Call once, from inside the runtime.
    pub fn start(&self, data_dir: &Path, db: Db) -> anyhow::Result<()> {
        self.open(data_dir, db, false)
    }

    /// Like [`CaseSearch::start`], but the writer thread first drops the index and builds it
    /// again from the whole database (`xiangzhi reindex`). Fails while a server holds the
    /// index.
    pub fn start_fresh(&self, data_dir: &Path, db: Db) -> anyhow::Result<()> {
        self.open(data_dir, db, true)
    }

    fn open(&self, data_dir: &Path, db: Db, fresh: bool) -> anyhow::Result<()> {
        if self.engine.get().is_some() {
            return Ok(());
        }
        let engine = Arc::new(Engine::open(&data_dir.join("search").join(LAYOUT))?);
        let (tx, rx) = mpsc::channel();
        let writer = engine.index.writer_with_num_threads(1, WRITER_HEAP)?;
        let handle = tokio::runtime::Handle::current();
        let e2 = engine.clone();
        std::thread::Builder::new()
            .name("case-search".into())
            .spawn(move || write_loop(e2, writer, rx, db, handle, fresh))?;
        *lock(&self.tx) = Some(tx);
        let _ = self.engine.set(engine);
        Ok(())
    }

    fn send(&self, m: Msg) -> bool {
        lock(&self.tx).as_ref().is_some_and(|tx| tx.send(m).is_ok())
    }

    /// Commit what is pending; returns when searches see it.
    pub async fn flush(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.send(Msg::Flush(tx)) {
            let _ = rx.await;
        }
    }

    /// Drop the index and build it again from the database. Returns how many cases it
    /// holds. Searches keep the old index until the new one is committed.
    pub async fn rebuild(&self) -> anyhow::Result<u64> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if !self.send(Msg::Rebuild(tx)) {
            anyhow::bail!("search is not running");
        }
        rx.await
            .map_err(|_| anyhow::anyhow!("the search writer stopped"))?
    }

    /// The running engine, if started.
    pub fn engine(&self) -> Option<&Arc<Engine>> {
        self.engine.get()
    }

    /// Index new cases (after their commit). A no-op when search is not started: the next
    /// start catches up from the database.
    pub fn enqueue(&self, docs: Vec<SearchDoc>) {
        if docs.is_empty() {
            return;
        }
        self.send(Msg::Docs(docs));
    }
}

enum Msg {
    Docs(Vec<SearchDoc>),
    /// Commit what is pending and answer when searches see it.
    Flush(tokio::sync::oneshot::Sender<()>),
    /// Drop everything and index the whole database again.
    Rebuild(tokio::sync::oneshot::Sender<anyhow::Result<u64>>),
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    /// The case id (a UUID) as two fast 64-bit halves: results are read from columns, not
    /// from the compressed document store.
    id_hi: Field,
    id_lo: Field,
    number: Field,
    area: Field,
    grid: Field,
    kind: Field,
    text: Field,
    created: Field,
}

/// The open index, its reader and the channel to its writer thread.
pub struct Engine {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// The segmenter's dictionary is large: loaded on the first case indexed or searched,
    /// so an idle server that has nothing new to index does not carry it.
    jieba: Arc<OnceLock<Jieba>>,
    /// Set while the index is being built from the database.
    building: AtomicBool,
    /// Cases indexed by this process (for the status line).
    indexed: AtomicU64,
    /// Searches running at once: one per core. More would only share the cores and each
    /// keep its own buffers; the others wait their turn in order.
    running: tokio::sync::Semaphore,
    dir: PathBuf,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("dir", &self.dir).finish()
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text_opts = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TEXT_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        id_hi: b.add_u64_field("id_hi", FAST),
        id_lo: b.add_u64_field("id_lo", FAST),
        number: b.add_text_field("number", STRING),
        area: b.add_text_field("area", STRING),
        grid: b.add_text_field("grid", STRING),
        kind: b.add_text_field("type", STRING),
        text: b.add_text_field("text", text_opts),
        created: b.add_i64_field("created", FAST),
    };
    (b.build(), fields)
}

impl Engine {
    fn open(dir: &Path) -> anyhow::Result<Engine> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        if let Some(parent) = dir.parent() {
            for old in OLD_LAYOUTS {
                let _ = std::fs::remove_dir_all(parent.join(old));
            }
        }
        let index = Index::open_or_create(MmapDirectory::open(dir)?, schema)?;
        let jieba = Arc::new(OnceLock::new());
        index.tokenizers().register(
            TEXT_TOKENIZER,
            CaseTextTokenizer {
                jieba: jieba.clone(),
            },
        );
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Engine {
            index,
            reader,
            fields,
            jieba,
            building: AtomicBool::new(false),
            indexed: AtomicU64::new(0),
            running: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
            dir: dir.to_path_buf(),
        })
    }

    fn jieba(&self) -> &Jieba {
        self.jieba.get_or_init(Jieba::new)
    }

    /// Whether the index is being built from the database right now.
    pub fn building(&self) -> bool {
        self.building.load(Ordering::Acquire)
    }

    /// How many cases this process has indexed.
    pub fn indexed(&self) -> u64 {
        self.indexed.load(Ordering::Relaxed)
    }

    /// Which commit of the index searches see now: results read at one generation stay
    /// right until the next.
    pub fn generation(&self) -> u64 {
        self.reader.searcher().generation().generation_id()
    }

    /// How many cases the index holds (as of its last commit).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn doc(&self, d: &SearchDoc) -> TantivyDocument {
        let f = self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &d.id);
        if let Ok(u) = uuid::Uuid::parse_str(&d.id) {
            let (hi, lo) = u.as_u64_pair();
            doc.add_u64(f.id_hi, hi);
            doc.add_u64(f.id_lo, lo);
        }
        doc.add_text(f.number, d.number.to_lowercase());
        for n in AREA_PREFIXES {
            if let Some(p) = d.area_code.get(..n) {
                doc.add_text(f.area, p);
            }
        }
        if let Some(g) = &d.grid_code {
            doc.add_text(f.grid, g);
        }
        doc.add_text(f.kind, &d.type_code);
        // Segmented by `CaseTextTokenizer` in the index writer's thread.
        doc.add_text(f.text, &d.text);
        doc.add_i64(f.created, d.created_at);
        doc
    }

    /// A turn to search (see `running`).
    pub async fn turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.running.acquire().await.ok()
    }

    /// Search synchronously (call from a blocking thread).
    pub fn search(&self, q: &SearchQuery) -> anyhow::Result<Hits> {
        let f = self.fields;
        let words = query_words(self.jieba(), &q.text);
        if words.is_empty() {
            return Ok(Hits::default());
        }
        let term = |w: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(f.text, w),
                IndexRecordOption::WithFreqs,
            ))
        };
        // Each query word matches as itself, or (three Han characters or more) through all
        // of its character pairs; two-character words are indexed as pairs anyway.
        let mut text_terms: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .map(|w| {
                let pairs: Vec<&str> = bigrams(w).map(|(_, p)| p).collect();
                let q: Box<dyn Query> = if pairs.len() >= 2 {
                    let all: Vec<(Occur, Box<dyn Query>)> =
                        pairs.into_iter().map(|p| (Occur::Must, term(p))).collect();
                    Box::new(BooleanQuery::new(vec![
                        (Occur::Should, term(w)),
                        (Occur::Should, Box::new(BooleanQuery::new(all))),
                    ]))
                } else {
                    term(w)
                };
                (Occur::Must, q)
            })
            .collect();
        // A case number typed whole also finds its case.
        let compact: String = q.text.split_whitespace().collect();
        let matcher: Box<dyn Query> = if looks_like_number(&compact) {
            let by_text: Box<dyn Query> =
                Box::new(BooleanQuery::new(std::mem::take(&mut text_terms)));
            Box::new(BooleanQuery::new(vec![
                (Occur::Should, by_text),
                (
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.number, &compact.to_lowercase()),
                        IndexRecordOption::Basic,
                    )),
                ),
            ]))
        } else {
            Box::new(BooleanQuery::new(text_terms))
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, matcher)];
        if !q.scope.prefixes.iter().any(|p| p.is_empty()) {
            let mut terms: Vec<Term> = q
                .scope
                .prefixes
                .iter()
                .map(|p| Term::from_field_text(f.area, p))
                .collect();
            terms.extend(
                q.scope
                    .grids
                    .iter()
                    .map(|g| Term::from_field_text(f.grid, g)),
            );
            if terms.is_empty() {
                return Ok(Hits::default());
            }
            // A scope that holds every indexed case (the county's own staff) filters nothing:
            // leave it out rather than intersect with a million postings.
            let searcher = self.reader.searcher();
            // Counted with deleted documents, as document frequencies are.
            let everything: u64 = searcher
                .segment_readers()
                .iter()
                .map(|r| u64::from(r.max_doc()))
                .sum();
            let mut covers_all = false;
            for t in &terms {
                if searcher.doc_freq(t)? >= everything {
                    covers_all = true;
                    break;
                }
            }
            if !covers_all {
                clauses.push((Occur::Must, Box::new(TermSetQuery::new(terms))));
            }
        }
        if let Some(p) = &q.area_prefix {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.area, p),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if let Some(t) = &q.type_code {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.kind, t),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = TopDocs::with_limit(q.limit.max(1)).and_offset(q.offset);
        let (total, addrs): (usize, Vec<tantivy::DocAddress>) = match q.sort {
            SortBy::Relevance => {
                let (n, docs) = searcher.search(&query, &(Count, top.order_by_score()))?;
                (n, docs.into_iter().map(|(_, a)| a).collect())
            }
            SortBy::Newest => {
                let (n, docs) = searcher.search(
                    &query,
                    &(
                        Count,
                        top.order_by_fast_field::<i64>("created", Order::Desc),
                    ),
                )?;
                (n, docs.into_iter().map(|(_, a)| a).collect())
            }
        };
        let mut ids = Vec::with_capacity(addrs.len());
        for a in addrs {
            let segment = searcher.segment_reader(a.segment_ord);
            let cols = segment.fast_fields();
            let (hi, lo) = (cols.u64("id_hi")?, cols.u64("id_lo")?);
            if let (Some(h), Some(l)) = (hi.first(a.doc_id), lo.first(a.doc_id)) {
                ids.push(uuid::Uuid::from_u64_pair(h, l).hyphenated().to_string());
                continue;
            }
            let doc: TantivyDocument = searcher.doc(a)?;
            if let Some(id) = doc.get_first(f.id).and_then(|v| v.as_str()) {
                ids.push(id.to_string());
            }
        }
        Ok(Hits { ids, total })
    }
}

/// Whether a query is a case number (letters, digits and dashes, with a digit).
fn looks_like_number(s: &str) -> bool {
    (4..=40).contains(&s.len())
        && s.chars().any(|c| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Whether a segmented word is worth indexing (not space or punctuation).
fn is_word(w: &str) -> bool {
    w.chars().any(char::is_alphanumeric)
}

fn normalise(w: &str) -> String {
    if w.is_ascii() {
        w.to_ascii_lowercase()
    } else {
        w.to_string()
    }
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}')
}

/// Every pair of adjacent Han characters of `text`, with its byte offset.
fn bigrams(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    for w in chars.windows(2) {
        let ((a, ca), (_, cb)) = (w[0], w[1]);
        if is_han(ca) && is_han(cb) {
            out.push((a, &text[a..a + ca.len_utf8() + cb.len_utf8()]));
        }
    }
    out.into_iter()
}

/// The tokens a case's text is indexed by: jieba's search-mode words, and every pair of
/// adjacent Han characters, so that a query word is found even where jieba cut the text
/// differently in its context (村口路灯 → 村口路 / 灯).
fn text_tokens(jieba: &Jieba, text: &str) -> Vec<Token> {
    // A word is known by where it starts and its length: the same slice of the text.
    let mut seen = std::collections::HashSet::new();
    let mut tokens = Vec::new();
    let mut push = |from: usize, word: &str| {
        if seen.insert((from, word.len())) {
            tokens.push(Token {
                offset_from: from,
                offset_to: from + word.len(),
                position: tokens.len(),
                text: normalise(word),
                position_length: 1,
            });
        }
    };
    for t in jieba.cut_for_search(text, true) {
        if is_word(t.word) {
            push(t.word.as_ptr() as usize - text.as_ptr() as usize, t.word);
        }
    }
    for (from, pair) in bigrams(text) {
        push(from, pair);
    }
    tokens
}

/// The index's tokenizer of case text ([`text_tokens`]). Registered with the index rather
/// than handing the index pre-tokenized text, which it would copy through JSON for every
/// case. The segmenter's dictionary is loaded with the first text.
#[derive(Clone)]
struct CaseTextTokenizer {
    jieba: Arc<OnceLock<Jieba>>,
}

impl tantivy::tokenizer::Tokenizer for CaseTextTokenizer {
    type TokenStream<'a> = PreTokenizedStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PreTokenizedStream {
        PreTokenizedStream::from(PreTokenizedString {
            text: String::new(),
            tokens: text_tokens(self.jieba.get_or_init(Jieba::new), text),
        })
    }
}

/// The words of a query, each of which must match (jieba's default mode, repeats once).
pub fn query_words(jieba: &Jieba, query: &str) -> Vec<String> {
    let q: String = query.chars().take(MAX_QUERY_CHARS).collect();
    let mut out: Vec<String> = Vec::new();
    for t in jieba.cut(&q, true) {
        if is_word(t.word) {
            let w = normalise(t.word);
            if !out.contains(&w) {
                out.push(w);
            }
        }
    }
    out
}

/// The writer thread: catch up, then index what arrives and commit about twice a second.
fn write_loop(
    engine: Arc<Engine>,
    mut writer: IndexWriter,
    rx: mpsc::Receiver<Msg>,
    db: Db,
    rt: tokio::runtime::Handle,
    fresh: bool,
) {
    let mut newest = if fresh {
        None
    } else {
        engine
            .index
            .load_metas()
            .ok()
            .and_then(|m| m.payload)
            .and_then(|p| p.parse::<i64>().ok())
    };
    match newest {
        None => {
            if let Err(e) = build(&engine, &mut writer, &db, &rt, None, &mut newest) {
                tracing::error!(error = %e, "building the case search index failed");
            }
        }
        Some(t) => {
            if let Err(e) = build(
                &engine,
                &mut writer,
                &db,
                &rt,
                Some(t - CATCH_UP_MARGIN_MS),
                &mut newest,
            ) {
                tracing::error!(error = %e, "catching up the case search index failed");
            }
        }
    }
    let mut pending = 0usize;
    loop {
        let msg = if pending > 0 {
            match rx.recv_timeout(COMMIT_EVERY) {
                Ok(m) => Some(m),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        } else {
            match rx.recv() {
                Ok(m) => Some(m),
                Err(_) => return,
            }
        };
        match msg {
            Some(Msg::Docs(docs)) => {
                for d in &docs {
                    newest = Some(newest.map_or(d.created_at, |n| n.max(d.created_at)));
                    writer.delete_term(Term::from_field_text(engine.fields.id, &d.id));
                    if let Err(e) = writer.add_document(engine.doc(d)) {
                        tracing::error!(error = %e, "indexing a case failed");
                    }
                }
                pending += docs.len();
                if pending >= 50_000 {
                    commit(&engine, &mut writer, newest, &mut pending);
                }
            }
            Some(Msg::Flush(reply)) => {
                commit(&engine, &mut writer, newest, &mut pending);
                let _ = reply.send(());
            }
            Some(Msg::Rebuild(reply)) => {
                commit(&engine, &mut writer, newest, &mut pending);
                let r = build(&engine, &mut writer, &db, &rt, None, &mut newest)
                    .map(|()| engine.num_docs());
                let _ = reply.send(r);
            }
            None => commit(&engine, &mut writer, newest, &mut pending),
        }
    }
}

fn commit(engine: &Engine, writer: &mut IndexWriter, newest: Option<i64>, pending: &mut usize) {
    if *pending == 0 {
        return;
    }
    let n = *pending;
    *pending = 0;
    let r = (|| -> anyhow::Result<()> {
        let mut prepared = writer.prepare_commit()?;
        if let Some(t) = newest {
            prepared.set_payload(&t.to_string());
        }
        prepared.commit()?;
        engine.reader.reload()?;
        Ok(())
    })();
    match r {
        Ok(()) => {
            engine.indexed.fetch_add(n as u64, Ordering::Relaxed);
        }
        Err(e) => tracing::error!(error = %e, "committing the case search index failed"),
    }
}

/// Index every case from `since` on (all of them when `None`, after dropping the index).
fn build(
    engine: &Engine,
    writer: &mut IndexWriter,
    db: &Db,
    rt: &tokio::runtime::Handle,
    since: Option<i64>,
    newest: &mut Option<i64>,
) -> anyhow::Result<()> {
    engine.building.store(true, Ordering::Release);
    let started = crate::clock::instant();
    let r = (|| -> anyhow::Result<usize> {
        if since.is_none() {
            writer.delete_all_documents()?;
        }
        let mut after = String::new();
        let mut count = 0usize;
        // Catching up: cases the index already holds are left as they are, so a start with
        // nothing new to index loads neither the segmenter nor writes a commit.
        let searcher = engine.reader.searcher();
        loop {
            let page = rt.block_on(super::store::search_docs(
                db,
                since.unwrap_or(i64::MIN),
                &after,
                PAGE,
            ))?;
            let Some(last) = page.last() else { break };
            after = last.id.clone();
            for d in &page {
                *newest = Some(newest.map_or(d.created_at, |n| n.max(d.created_at)));
                if since.is_some() {
                    let id = Term::from_field_text(engine.fields.id, &d.id);
                    if searcher.doc_freq(&id)? > 0 {
                        continue;
                    }
                }
                writer.add_document(engine.doc(d))?;
                count += 1;
            }
            if (page.len() as i64) < PAGE {
                break;
            }
        }
        if since.is_some() && count == 0 {
            return Ok(0);
        }
        let mut prepared = writer.prepare_commit()?;
        if let Some(t) = *newest {
            prepared.set_payload(&t.to_string());
        }
        prepared.commit()?;
        engine.reader.reload()?;
        Ok(count)
    })();
    engine.building.store(false, Ordering::Release);
    let count = r?;
    engine.indexed.fetch_add(count as u64, Ordering::Relaxed);
    tracing::info!(
        cases = count,
        millis = started.elapsed().as_millis() as u64,
        full = since.is_none(),
        "case search index built"
    );
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_segmented_into_words_without_punctuation() {
        let j = Jieba::new();
        let w = query_words(&j, "村口 路灯坏了！");
        assert!(w.contains(&"路灯".to_string()), "{w:?}");
        assert!(w.iter().all(|x| is_word(x)), "{w:?}");
        assert!(query_words(&j, "  ，。！ ").is_empty());
    }

    #[test]
    fn indexing_keeps_parts_of_long_words() {
        let j = Jieba::new();
        let t = text_tokens(&j, "中华人民共和国农村低保");
        let words: Vec<&str> = t.iter().map(|t| t.text.as_str()).collect();
        assert!(words.contains(&"低保"), "{words:?}");
        assert!(words.contains(&"中华"), "{words:?}");
        // Every query word of the same text is among the indexed words.
        for w in query_words(&j, "中华人民共和国农村低保") {
            assert!(words.contains(&w.as_str()), "{w} not in {words:?}");
        }
    }

    #[test]
    fn a_word_is_found_where_jieba_cuts_its_context_differently() {
        let j = Jieba::new();
        for (text, query) in [
            ("村口路灯不亮已经一周", "路灯"),
            ("村北老槐树旁的变压器冒烟", "变压器"),
            ("自来水发黄有异味", "自来水"),
        ] {
            let t = text_tokens(&j, text);
            let indexed: Vec<&str> = t.iter().map(|t| t.text.as_str()).collect();
            for w in query_words(&j, query) {
                let pairs: Vec<&str> = bigrams(&w).map(|(_, p)| p).collect();
                assert!(
                    indexed.contains(&w.as_str()) || pairs.iter().all(|p| indexed.contains(p)),
                    "{w} not found in {indexed:?}"
                );
            }
        }
        assert_eq!(
            bigrams("a路灯b亮").map(|(_, p)| p).collect::<Vec<_>>(),
            vec!["路灯"]
        );
    }

    #[test]
    fn case_numbers_are_recognised() {
        assert!(looks_like_number("X2026-000123"));
        assert!(!looks_like_number("路灯"));
        assert!(!looks_like_number("abc"));
    }
}
