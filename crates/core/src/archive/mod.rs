//! Archive packages (R-ARC-1, `domain-spec.md` §5.6 and §16.5): when a village matter of
//! 四议两公开 is finished — its result published, or withdrawn — one immutable ZIP is made of
//! it: `manifest.json` (the matter, its steps, every meeting with its counts and the rule that
//! decided each vote, the publications with their chain digests, classification and retention,
//! the SM3 of every other file) and `record.html`, a printable record of the whole procedure.
//! The ZIP lives in the blob store; its SM3 is kept in `archive_packages` and checked on every
//! read.
//!
//! PDF/A is not produced: it would need an embedded CJK font. The HTML record prints on A4.

pub mod manifest;
pub mod service;
pub mod store;

pub use service::{download, package_of, produce, sweep, Package};
