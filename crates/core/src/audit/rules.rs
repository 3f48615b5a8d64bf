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
    let mut buf = Vec::with_capacity(256);
    push_field(&mut buf, &r.prev_hash);
    push_field(&mut buf, &r.seq.to_string());
    push_field(&mut buf, &r.at.to_string());
    push_field(&mut buf, r.actor_id.as_deref().unwrap_or(""));
    push_field(&mut buf, &r.actor_name);
    push_field(&mut buf, r.on_behalf_of.as_deref().unwrap_or(""));
    push_field(&mut buf, &r.action);
    push_field(&mut buf, &r.object_type);
    push_field(&mut buf, &r.object_id);
    push_field(&mut buf, r.area_code.as_deref().unwrap_or(""));
    push_field(&mut buf, r.source.as_deref().unwrap_or(""));
    push_field(&mut buf, r.before_digest.as_deref().unwrap_or(""));
    push_field(&mut buf, r.after_digest.as_deref().unwrap_or(""));
    push_field(&mut buf, &r.detail);
    crate::crypto::sm3_hex(&buf)
}

/// The digest of a before/after snapshot.
pub fn snapshot_digest(v: &serde_json::Value) -> String {
    crate::crypto::sm3_hex(v.to_string().as_bytes())
}

/// The hash that precedes the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[cfg(test)]
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
