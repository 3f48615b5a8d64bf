//! A small read cache for the household list, the page cadres open most. Entries are keyed
//! by the (already authorised) area filter and page, and are valid only while no people or
//! household write has committed in this process since they were read ([`crate::Core::generation`])
//! and for about two seconds (the bound on staleness when several processes share one
//! PostgreSQL database).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::model::HouseholdSummary;

/// Longest life of an entry (ms).
pub const TTL_MS: i64 = 2_000;
const MAX_ENTRIES: usize = 4_096;

/// The household list cache.
pub type HouseholdCache = ReadCache<(Vec<HouseholdSummary>, i64)>;

/// (generation read at, time read at, page, when a caller began reading it again or 0).
type Entry<T> = (u64, i64, Arc<T>, i64);

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
    ///
    /// When only its time is up (no write since), the first caller gets `None` and reads the
    /// page again; callers meanwhile keep getting the old page until that caller's
    /// [`ReadCache::put`] (or for another [`TTL_MS`], should it never come). So a popular
    /// page is read once when it expires, not by every request that arrives before the
    /// first read is done.
    pub fn get(&self, key: &str, generation: u64, now: i64) -> Option<Arc<T>> {
        let mut m = self.inner.lock().ok()?;
        let (g, at, page, refreshing) = m.get_mut(key)?;
        if *g != generation {
            return None;
        }
        if now - *at < TTL_MS {
            return Some(page.clone());
        }
        if *refreshing != 0 && now - *refreshing < TTL_MS {
            return Some(page.clone());
        }
        *refreshing = now;
        None
    }

    /// Remember a page read at `generation`.
    pub fn put(&self, key: String, generation: u64, now: i64, page: Arc<T>) {
        if let Ok(mut m) = self.inner.lock() {
            if m.len() >= MAX_ENTRIES {
                m.retain(|_, (g, at, _, _)| *g == generation && now - *at < TTL_MS);
                if m.len() >= MAX_ENTRIES {
                    m.clear();
                }
            }
            m.insert(key, (generation, now, page, 0));
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

    #[test]
    fn an_expired_page_is_read_again_by_one_caller_while_others_keep_it() {
        let c = HouseholdCache::default();
        c.put("k".into(), 1, 1000, Arc::new((vec![], 7)));
        let late = 1000 + TTL_MS;
        assert!(
            c.get("k", 1, late).is_none(),
            "the first caller reads again"
        );
        assert_eq!(
            c.get("k", 1, late + 5).map(|p| p.1),
            Some(7),
            "others wait on it"
        );
        c.put("k".into(), 1, late + 10, Arc::new((vec![], 8)));
        assert_eq!(c.get("k", 1, late + 20).map(|p| p.1), Some(8));
        assert!(
            c.get("k", 2, late + 20).is_none(),
            "a write is never hidden"
        );
        // A reader that never came back does not pin the old page for ever.
        c.put("j".into(), 1, 0, Arc::new((vec![], 1)));
        assert!(c.get("j", 1, TTL_MS).is_none());
        assert!(c.get("j", 1, 2 * TTL_MS).is_none());
    }
}
