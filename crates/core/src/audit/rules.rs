//! Pure rules of the audit chain: the canonical form of a record and its SM3 hash.

use serde::Serialize;

/// One stored audit record.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub on_behalf_of: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub area_code: Option<String>,
    pub source: Option<String>,
    pub before_digest: Option<String>,
    pub after_digest: Option<String>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

fn push_field(buf: &mut Vec<u8>, v: &str) {
    // Length-prefixed so that no two different records share a canonical form.
    buf.extend_from_slice(&(v.len() as u64).to_be_bytes());
    buf.extend_from_slice(v.as_bytes());
}

/// SM3 over the canonical form of every field but `hash`, including the previous hash.
pub fn chain_hash(r: &AuditRecord) -> String {
    let seq = r.seq.to_string();
    let at = r.at.to_string();
    chain_hash_of(&[
        &r.prev_hash,
        &seq,
        &at,
        r.actor_id.as_deref().unwrap_or(""),
        &r.actor_name,
        r.on_behalf_of.as_deref().unwrap_or(""),
        &r.action,
        &r.object_type,
        &r.object_id,
        r.area_code.as_deref().unwrap_or(""),
        r.source.as_deref().unwrap_or(""),
        r.before_digest.as_deref().unwrap_or(""),
        r.after_digest.as_deref().unwrap_or(""),
        &r.detail,
    ])
}

/// The same hash from the fields in canonical order (prev, seq, at, actor id, actor name,
/// on behalf of, action, object type, object id, area, source, before, after, detail),
/// absent ones as empty strings.
pub fn chain_hash_of(fields: &[&str; 14]) -> String {
    let mut buf = Vec::with_capacity(256);
    for f in fields {
        push_field(&mut buf, f);
    }
    crate::crypto::sm3_hex(&buf)
}

/// The digest of a before/after snapshot.
pub fn snapshot_digest(v: &serde_json::Value) -> String {
    crate::crypto::sm3_hex(v.to_string().as_bytes())
}

/// The hash that precedes the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rec(seq: i64, prev: &str) -> AuditRecord {
        let mut r = AuditRecord {
            seq,
            at: 1_700_000_000_000 + seq,
            actor_id: Some("u1".into()),
            actor_name: "张三".into(),
            on_behalf_of: None,
            action: "person.create".into(),
            object_type: "person".into(),
            object_id: format!("p{seq}"),
            area_code: Some("130123101201".into()),
            source: Some("127.0.0.1".into()),
            before_digest: None,
            after_digest: Some("ab".into()),
            detail: String::new(),
            prev_hash: prev.into(),
            hash: String::new(),
        };
        r.hash = chain_hash(&r);
        r
    }

    #[test]
    fn any_field_change_changes_the_hash() {
        let r = rec(1, GENESIS);
        let mut altered = r.clone();
        altered.detail = "x".into();
        assert_ne!(chain_hash(&altered), r.hash);
        let mut moved = r.clone();
        moved.actor_name = "张三x".into();
        moved.action = "person.creat".into();
        assert_ne!(chain_hash(&moved), r.hash);
        assert_eq!(chain_hash(&r), r.hash);
        assert_eq!(r.hash.len(), 64);
    }
}
