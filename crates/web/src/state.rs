//! Shared state of the HTTP layer: the core, a short-lived session cache and the login
//! rate limiter.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use xiangzhi_core::areas::{self, Area};
use xiangzhi_core::authz::Actor;
use xiangzhi_core::{clock, AppError, Core};

/// How long a cached session is trusted before it is re-read (ms). Logout and
/// revocation also clear the entry at once.
pub const SESSION_CACHE_MS: i64 = 10_000;
/// Sessions are touched in the database at most this often (ms).
pub const TOUCH_EVERY_MS: i64 = 60_000;

/// A session as the web layer remembers it.
#[derive(Clone, Debug)]
pub struct CachedSession {
    pub actor: Actor,
    pub csrf: String,
    pub kind: String,
    pub fetched_at: i64,
    pub last_seen: i64,
}

/// Application state.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Shared, not copied: axum clones the state for every request.
    pub core: Arc<Core>,
    pub sessions: Arc<Mutex<HashMap<String, CachedSession>>>,
    pub login_attempts: Arc<Mutex<HashMap<String, Vec<i64>>>>,
    /// Children of an area (code, name, level) — the area tree changes rarely; entries live a
    /// minute and are dropped when areas are created or imported.
    pub area_children: Arc<Mutex<HashMap<String, AreaChildren>>>,
    /// Rendered public portal pages for visitors without a session, valid while
    /// [`Core::disclosure_generation`] stands and for at most two seconds.
    pub public_pages: Arc<PageCache>,
}

/// Cached children of an area: (read at, children).
pub type AreaChildren = (i64, Arc<Vec<Area>>);

/// How long cached area children are trusted (ms).
pub const AREA_CACHE_MS: i64 = 60_000;

/// Login attempts allowed per source address per minute.
pub const LOGIN_RATE: usize = 10;

impl AppState {
    pub fn new(core: Core) -> Self {
        AppState {
            core: Arc::new(core),
            sessions: Arc::new(Mutex::new(HashMap::new())),
            login_attempts: Arc::new(Mutex::new(HashMap::new())),
            area_children: Arc::new(Mutex::new(HashMap::new())),
            public_pages: Arc::default(),
        }
    }

    /// Count a login attempt from `source`; false when over the limit.
    pub fn allow_login(&self, source: &str, now: i64) -> bool {
        let Ok(mut m) = self.login_attempts.lock() else {
            return false;
        };
        if m.len() > 10_000 {
            m.retain(|_, v| v.last().is_some_and(|t| now - t < 60_000));
        }
        let v = m.entry(source.to_string()).or_default();
        v.retain(|t| now - t < 60_000);
        if v.len() >= LOGIN_RATE {
            return false;
        }
        v.push(now);
        true
    }

    /// Children of an area, from the cache when fresh.
    pub async fn children(&self, code: &str) -> Result<Arc<Vec<Area>>, AppError> {
        let now = clock::now_ms();
        if let Some((at, v)) = self
            .area_children
            .lock()
            .ok()
            .and_then(|m| m.get(code).cloned())
        {
            if now - at < AREA_CACHE_MS {
                return Ok(v);
            }
        }
        let v = Arc::new(areas::store::children(&self.core.db, code).await?);
        if let Ok(mut m) = self.area_children.lock() {
            if m.len() > 10_000 {
                m.clear();
            }
            m.insert(code.to_string(), (now, v.clone()));
        }
        Ok(v)
    }

    /// Drop cached area children (after areas change).
    pub fn forget_areas(&self) {
        if let Ok(mut m) = self.area_children.lock() {
            m.clear();
        }
    }

    pub fn forget_session(&self, token: &str) {
        if let Ok(mut m) = self.sessions.lock() {
            m.remove(token);
        }
    }

    /// Drop every cached session of a user (after a password reset, a revocation …).
    pub fn forget_user(&self, user_id: &str) {
        if let Ok(mut m) = self.sessions.lock() {
            m.retain(|_, s| s.actor.user_id != user_id);
        }
    }
}

/// How long a rendered public page is served before it is rendered again (ms); a change in
/// this process drops it at once.
pub const PAGE_TTL_MS: i64 = 2_000;
const PAGE_CACHE_MAX: usize = 4_096;

/// Rendered public pages. When a page's time is up, one request renders it again while the
/// others keep getting the copy they had (which is still current: a change would have moved
/// the generation), so a busy page never sends every visitor to the database at once.
#[derive(Debug, Default)]
pub struct PageCache {
    inner: Mutex<HashMap<String, PageEntry>>,
}

#[derive(Debug)]
struct PageEntry {
    generation: u64,
    at: i64,
    html: Arc<String>,
    refreshing: bool,
}

/// What a lookup tells the caller to do.
pub enum PageLookup {
    /// Serve this copy.
    Serve(Arc<String>),
    /// Render the page (and `put` it).
    Render,
}

impl PageCache {
    pub fn lookup(&self, key: &str, generation: u64, now: i64) -> PageLookup {
        let Ok(mut m) = self.inner.lock() else {
            return PageLookup::Render;
        };
        match m.get_mut(key) {
            Some(e) if e.generation == generation && now - e.at < PAGE_TTL_MS => {
                PageLookup::Serve(e.html.clone())
            }
            Some(e) if e.generation == generation => {
                // Someone is already rendering it (unless they gave up long ago).
                if e.refreshing && now - e.at < 5 * PAGE_TTL_MS {
                    PageLookup::Serve(e.html.clone())
                } else {
                    e.refreshing = true;
                    e.at = now - PAGE_TTL_MS;
                    PageLookup::Render
                }
            }
            _ => PageLookup::Render,
        }
    }

    pub fn put(&self, key: String, generation: u64, now: i64, html: Arc<String>) {
        if let Ok(mut m) = self.inner.lock() {
            if m.len() >= PAGE_CACHE_MAX {
                m.clear();
            }
            m.insert(
                key,
                PageEntry {
                    generation,
                    at: now,
                    html,
                    refreshing: false,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(l: PageLookup) -> Option<String> {
        match l {
            PageLookup::Serve(h) => Some(h.as_str().to_owned()),
            PageLookup::Render => None,
        }
    }

    #[test]
    fn one_request_renders_an_expired_page_the_others_keep_the_copy() {
        let cache = PageCache::default();
        assert!(served(cache.lookup("p", 1, 0)).is_none(), "nothing yet");
        cache.put("p".into(), 1, 0, Arc::new("v1".into()));
        assert_eq!(served(cache.lookup("p", 1, 10)).as_deref(), Some("v1"));
        // Time is up: the first asker renders, the next ones get the current copy.
        let t = PAGE_TTL_MS + 1;
        assert!(served(cache.lookup("p", 1, t)).is_none());
        assert_eq!(served(cache.lookup("p", 1, t + 1)).as_deref(), Some("v1"));
        cache.put("p".into(), 1, t + 5, Arc::new("v2".into()));
        assert_eq!(served(cache.lookup("p", 1, t + 6)).as_deref(), Some("v2"));
        // A change in this process: nobody gets the old copy.
        assert!(served(cache.lookup("p", 2, t + 7)).is_none());
        assert!(served(cache.lookup("p", 2, t + 8)).is_none());
    }
}
