//! A small read cache for the household list, the page cadres open most. Entries are keyed
//! by the (already authorised) area filter and page, and are valid only while no people or
//! household write has committed in this process since they were read ([`crate::Core::generation`])
//! and for at most two seconds (the bound on staleness when several processes share one
//! PostgreSQL database).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::model::HouseholdSummary;

/// Longest life of an entry (ms).
pub const TTL_MS: i64 = 2_000;
const MAX_ENTRIES: usize = 4_096;

/// The household list cache.
pub type HouseholdCache = ReadCache<(Vec<HouseholdSummary>, i64)>;

/// (generation read at, time read at, page).
type Entry<T> = (u64, i64, Arc<T>);

/// A read cache of list pages: entries keyed by an authorised filter, valid while the
/// generation they were read at is current and for at most [`TTL_MS`].
#[derive(Debug)]
pub struct ReadCache<T> {
    inner: Mutex<HashMap<String, Entry<T>>>,
}

impl<T> Default for ReadCache<T> {
    fn default() -> Self {
        ReadCache {
            inner: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> ReadCache<T> {
    /// A page read at `generation`, if still valid at `now`.
    pub fn get(&self, key: &str, generation: u64, now: i64) -> Option<Arc<T>> {
        let m = self.inner.lock().ok()?;
        let (g, at, page) = m.get(key)?;
        (*g == generation && now - at < TTL_MS).then(|| page.clone())
    }

    /// Remember a page read at `generation`.
    pub fn put(&self, key: String, generation: u64, now: i64, page: Arc<T>) {
        if let Ok(mut m) = self.inner.lock() {
            if m.len() >= MAX_ENTRIES {
                m.retain(|_, (g, at, _)| *g == generation && now - *at < TTL_MS);
                if m.len() >= MAX_ENTRIES {
                    m.clear();
                }
            }
            m.insert(key, (generation, now, page));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_with_a_write_or_time() {
        let c = HouseholdCache::default();
        c.put("k".into(), 1, 1000, Arc::new((vec![], 7)));
        assert_eq!(c.get("k", 1, 1500).map(|p| p.1), Some(7));
        assert!(c.get("k", 2, 1500).is_none(), "a write since invalidates");
        assert!(c.get("k", 1, 1000 + TTL_MS).is_none(), "old entries expire");
        assert!(c.get("other", 1, 1500).is_none());
    }
}
