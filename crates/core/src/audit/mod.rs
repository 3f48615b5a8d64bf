//! The audit chain: every state change and every reveal of personal data writes one record,
//! in the same transaction as the change. Records are hash-chained with SM3, so an edit,
//! a deletion or a reordering is detected by [`verify`].

pub mod rules;
pub mod store;

pub use rules::{chain_hash, AuditRecord};
pub use store::{list, record, record_many, verify, AuditFilter, VerifyReport};

/// What a service function tells the audit chain about a change.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// Dotted action name: `person.create`, `person.reveal_id`, `user.login` …
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    pub area_code: Option<&'a str>,
    /// The record before the change (no plaintext secrets: masked values only).
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// Free text shown to the auditor (a reveal's reason, an import's row count …).
    pub detail: String,
}

impl<'a> Entry<'a> {
    pub fn new(action: &'a str, object_type: &'a str, object_id: &'a str) -> Self {
        Entry {
            action,
            object_type,
            object_id,
            area_code: None,
            before: None,
            after: None,
            detail: String::new(),
        }
    }

    pub fn area(mut self, code: &'a str) -> Self {
        self.area_code = Some(code);
        self
    }

    pub fn before(mut self, v: serde_json::Value) -> Self {
        self.before = Some(v);
        self
    }

    pub fn after(mut self, v: serde_json::Value) -> Self {
        self.after = Some(v);
        self
    }

    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = d.into();
        self
    }
}
