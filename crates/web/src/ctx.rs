//! The request context extractor: language, large-font mode, the session (cookie or
//! bearer token), the CSRF token and the source address.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use xiangzhi_core::authz::{Actor, Permission};
use xiangzhi_core::{accounts, clock, AppError};

use crate::error::WebError;
use crate::i18n::{self, Lang};
use crate::state::{AppState, CachedSession, SESSION_CACHE_MS, TOUCH_EVERY_MS};

pub const SESSION_COOKIE: &str = "xz_session";
pub const CSRF_COOKIE: &str = "xz_csrf";

/// Per-request context.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub large: bool,
    pub session: Option<CachedSession>,
    pub token: Option<String>,
    /// The session came from an `Authorization: Bearer` header (no CSRF needed).
    pub bearer: bool,
    /// The CSRF token forms must carry: the session's, or the pre-login cookie's.
    pub csrf: String,
    /// A new pre-login CSRF cookie must be set on the response.
    pub set_csrf_cookie: bool,
    pub source: String,
    pub path: String,
    pub is_api: bool,
}

/// Read one cookie from the headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let headers = &parts.headers;
        let path = parts.uri.path().to_string();
        let is_api = path.starts_with("/api/");
        let lang = match cookie(headers, "lang").as_deref() {
            Some("en") => Lang::En,
            Some("zh") => Lang::Zh,
            _ => {
                let al = headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if al.starts_with("en") {
                    Lang::En
                } else {
                    Lang::Zh
                }
            }
        };
        let large = cookie(headers, "large").as_deref() == Some("1");
        let source = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        let bearer_token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|s| s.trim().to_string());
        let bearer = bearer_token.is_some();
        let token = bearer_token
            .or_else(|| cookie(headers, SESSION_COOKIE))
            .filter(|t| !t.is_empty() && t.len() <= 128);
        let mut session = None;
        if let Some(t) = &token {
            session = load_session(state, t, &source).await.map_err(|e| {
                if is_api {
                    WebError::api(e, lang)
                } else {
                    WebError::page(e, lang)
                }
            })?;
        }
        let (csrf, set_csrf_cookie) = match &session {
            Some(s) => (s.csrf.clone(), false),
            None => match cookie(headers, CSRF_COOKIE)
                .filter(|c| c.len() == 32 && c.chars().all(|c| c.is_ascii_hexdigit()))
            {
                Some(c) => (c, false),
                None => (xiangzhi_core::crypto::random_token(16), true),
            },
        };
        // Cookie-authenticated API writes must carry the CSRF header.
        if is_api
            && !bearer
            && session.is_some()
            && parts.method != Method::GET
            && parts.method != Method::HEAD
        {
            let h = headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !xiangzhi_core::crypto::constant_time_eq(h.as_bytes(), csrf.as_bytes()) {
                return Err(WebError::api(AppError::Unauthenticated("csrf"), lang));
            }
        }
        Ok(Ctx {
            lang,
            large,
            session,
            token,
            bearer,
            csrf,
            set_csrf_cookie,
            source,
            path,
            is_api,
        })
    }
}

async fn load_session(
    state: &AppState,
    token: &str,
    source: &str,
) -> Result<Option<CachedSession>, AppError> {
    let now = clock::now_ms();
    let cached = state
        .sessions
        .lock()
        .ok()
        .and_then(|m| m.get(token).cloned());
    if let Some(mut s) = cached {
        if now - s.fetched_at < SESSION_CACHE_MS
            && accounts::rules::session_valid(&s.kind, s.last_seen, i64::MAX, now)
        {
            if now - s.last_seen > TOUCH_EVERY_MS {
                accounts::touch(&state.core, token).await?;
                s.last_seen = now;
                if let Ok(mut m) = state.sessions.lock() {
                    m.insert(token.to_string(), s.clone());
                }
            }
            s.actor.source = Some(source.to_string());
            return Ok(Some(s));
        }
    }
    let Some(auth) = accounts::authenticate(&state.core, token).await? else {
        state.forget_session(token);
        return Ok(None);
    };
    let actor =
        match accounts::load_actor(&state.core, &auth.user_id, Some(source.to_string())).await {
            Ok(a) => a,
            Err(AppError::Unauthenticated(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
    let mut last_seen = auth.last_seen;
    if now - auth.last_seen > TOUCH_EVERY_MS {
        accounts::touch(&state.core, token).await?;
        last_seen = now;
    }
    let s = CachedSession {
        actor,
        csrf: auth.csrf,
        kind: auth.kind,
        fetched_at: now,
        last_seen,
    };
    if let Ok(mut m) = state.sessions.lock() {
        if m.len() > 50_000 {
            m.clear();
        }
        m.insert(token.to_string(), s.clone());
    }
    Ok(Some(s))
}

impl Ctx {
    pub fn t(&self, key: &str) -> &'static str {
        i18n::t(self.lang, key)
    }

    /// The label of a field named in an error (see [`i18n::field_label`]).
    pub fn field(&self, name: &str) -> &'static str {
        i18n::field_label(self.lang, name)
    }

    /// Translate `prefix.key` (a status, a priority, a category …).
    pub fn tk(&self, prefix: &str, key: &str) -> &'static str {
        i18n::t(self.lang, &format!("{prefix}.{key}"))
    }

    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }

    /// The logged-in actor, or an error that sends a browser to the login page.
    pub fn actor(&self) -> Result<&Actor, WebError> {
        match &self.session {
            Some(s) => Ok(&s.actor),
            None => Err(WebError {
                err: AppError::Unauthenticated("session_expired"),
                api: self.is_api,
                lang: self.lang,
                login_next: Some(self.path.clone()),
            }),
        }
    }

    /// Wrap a core error for this request.
    pub fn err(&self, e: AppError) -> WebError {
        WebError {
            err: e,
            api: self.is_api,
            lang: self.lang,
            login_next: Some(self.path.clone()),
        }
    }

    /// Check the CSRF token of a form post.
    pub fn check_csrf(&self, form_token: &str) -> Result<(), WebError> {
        if self.bearer {
            return Ok(());
        }
        if !form_token.is_empty()
            && xiangzhi_core::crypto::constant_time_eq(form_token.as_bytes(), self.csrf.as_bytes())
            && !self.set_csrf_cookie
        {
            Ok(())
        } else {
            Err(self.err(AppError::Unauthenticated("csrf")))
        }
    }

    pub fn can(&self, p: Permission) -> bool {
        self.session.as_ref().is_some_and(|s| s.actor.can(p))
    }

    pub fn user_name(&self) -> &str {
        self.session
            .as_ref()
            .map(|s| s.actor.display_name.as_str())
            .unwrap_or("")
    }

    /// The name of the user's primary area (for the top bar).
    pub fn area_name(&self) -> &str {
        self.session
            .as_ref()
            .and_then(|s| s.actor.primary())
            .map(|g| g.area_name.as_str())
            .unwrap_or("x县")
    }

    pub fn is_staff(&self) -> bool {
        self.session.as_ref().is_some_and(|s| s.actor.is_staff())
    }

    pub fn logged_in(&self) -> bool {
        self.session.is_some()
    }
}

impl Ctx {
    /// The translated message of an error code.
    pub fn msg(&self, code: &str) -> &'static str {
        i18n::error_message(self.lang, code)
    }

    /// A timestamp in China Standard Time.
    pub fn time(&self, ms: &i64) -> String {
        clock::format_ms(*ms)
    }
}
