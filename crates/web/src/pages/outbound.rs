//! Outgoing notifications: the county's webhook page (subscriptions, a secret shown once,
//! failed deliveries with a redeliver button) and the user's notification preferences on
//! `/me`. Every form posts with its CSRF token and works without JavaScript.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xiangzhi_core::authz::Permission;
use xiangzhi_core::outbound::rules::{self, CHANNELS, EVENT_KINDS, MODES};
use xiangzhi_core::outbound::{digest, webhooks, Delivery, NewSubscription, Subscription};
use xiangzhi_core::{clock, AppError};

use super::cases::error_text;
use super::render;
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

/// What the create form held, to show it again after a refusal.
#[derive(Default)]
pub struct Draft {
    pub name: String,
    pub url: String,
    /// (kind, ticked)
    pub kinds: Vec<(&'static str, bool)>,
}

impl Draft {
    fn fresh() -> Draft {
        Draft {
            kinds: EVENT_KINDS.iter().map(|k| (*k, true)).collect(),
            ..Draft::default()
        }
    }
}

#[derive(Template)]
#[template(path = "outbound/webhooks.html")]
struct WebhooksPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    error: Option<String>,
    subs: Vec<Subscription>,
    failed: Vec<Delivery>,
    recent: Vec<Delivery>,
    /// (subscription name, secret): shown this once, after creating or rotating.
    secret: Option<(String, String)>,
    draft: Draft,
    /// The hours of the day with the county's digest hour selected; empty when the user may
    /// not change it (only staff who keep the county's catalogue may).
    digest_hours: Vec<(u32, bool)>,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    pub done: String,
}

fn flash(c: &Ctx, done: &str) -> Option<String> {
    const KNOWN: &[&str] = &[
        "created",
        "disabled",
        "enabled",
        "rotated",
        "redelivered",
        "digest",
    ];
    KNOWN
        .contains(&done)
        .then(|| c.t(&format!("wh.done.{done}")).to_string())
}

fn county(c: &Ctx) -> Result<String, WebError> {
    webhooks::county_of(c.actor()?).ok_or_else(|| c.err(AppError::Forbidden))
}

async fn page(
    st: &AppState,
    c: &Ctx,
    flash: Option<String>,
    error: Option<String>,
    secret: Option<(String, String)>,
    draft: Draft,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let county = county(c)?;
    let subs = webhooks::list(&st.core, a, &county)
        .await
        .map_err(|e| c.err(e))?;
    let recent = webhooks::deliveries(&st.core, a, &county, None, 200)
        .await
        .map_err(|e| c.err(e))?;
    // Stopped deliveries, and pending ones whose last attempt failed.
    let failed = recent
        .iter()
        .filter(|d| d.status == "dead" || (d.status == "pending" && d.last_error.is_some()))
        .cloned()
        .collect();
    let recent = recent.into_iter().take(20).collect();
    let digest_hours = if c.can(Permission::CaseCatalogue) {
        let s = digest::settings(&st.core, a, &county)
            .await
            .map_err(|e| c.err(e))?;
        (0..24).map(|h| (h, h == s.digest_hour)).collect()
    } else {
        Vec::new()
    };
    let mut r = render(
        c,
        WebhooksPage {
            c,
            flash,
            error,
            subs,
            failed,
            recent,
            secret,
            draft,
            digest_hours,
        },
    );
    // The page may hold a secret: never keep it in a cache.
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// A refused change: the page again with the reason and the error's status.
async fn refused(st: &AppState, c: &Ctx, e: AppError, draft: Draft) -> Result<Response, WebError> {
    match e {
        AppError::Validation(_) | AppError::InvalidTransition(_) => {
            let mut r = page(st, c, None, Some(error_text(c, &e)), None, draft).await?;
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
        e => Err(c.err(e)),
    }
}

/// `/webhooks`: the county's subscriptions, failed and recent deliveries, the create form.
pub async fn index(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    page(&st, &c, flash(&c, &q.done), None, None, Draft::fresh()).await
}

/// POST `/webhooks`: register a subscription (`csrf`, `name`, `url`, one checkbox per
/// event kind named after it). The answer shows the secret once.
pub async fn create(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(f.get("csrf").map(String::as_str).unwrap_or_default())?;
    let county = county(&c)?;
    let ticked = |k: &str| f.get(k).is_some_and(|v| !v.is_empty());
    let draft = Draft {
        name: f.get("name").cloned().unwrap_or_default(),
        url: f.get("url").cloned().unwrap_or_default(),
        kinds: EVENT_KINDS.iter().map(|k| (*k, ticked(k))).collect(),
    };
    let input = NewSubscription {
        name: draft.name.clone(),
        url: draft.url.clone(),
        kinds: draft
            .kinds
            .iter()
            .filter(|(_, on)| *on)
            .map(|(k, _)| k.to_string())
            .collect(),
    };
    match webhooks::create(&st.core, a, &county, input, clock::now_ms()).await {
        Ok((s, secret)) => {
            page(
                &st,
                &c,
                flash(&c, "created"),
                None,
                Some((s.name, secret)),
                Draft::fresh(),
            )
            .await
        }
        Err(e) => refused(&st, &c, e, draft).await,
    }
}

#[derive(Deserialize)]
pub struct ActForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub action: String,
}

/// POST `/webhooks/{id}/act`: `disable`, `enable` or `rotate` (the new secret shown once).
pub async fn act(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let now = clock::now_ms();
    let r = match f.action.as_str() {
        "disable" | "enable" => {
            let on = f.action == "enable";
            webhooks::set_active(&st.core, a, &id, on, now)
                .await
                .map(|_| if on { "enabled" } else { "disabled" })
        }
        "rotate" => {
            return match webhooks::rotate(&st.core, a, &id, now).await {
                Ok(secret) => {
                    let name = webhooks::list(&st.core, a, &county(&c)?)
                        .await
                        .map_err(|e| c.err(e))?
                        .into_iter()
                        .find(|s| s.id == id)
                        .map(|s| s.name)
                        .unwrap_or_default();
                    page(
                        &st,
                        &c,
                        flash(&c, "rotated"),
                        None,
                        Some((name, secret)),
                        Draft::fresh(),
                    )
                    .await
                }
                Err(e) => refused(&st, &c, e, Draft::fresh()).await,
            };
        }
        _ => Err(AppError::field("action", "invalid")),
    };
    match r {
        Ok(done) => Ok(Redirect::to(&format!("/webhooks?done={done}")).into_response()),
        Err(e) => refused(&st, &c, e, Draft::fresh()).await,
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// POST `/webhooks/deliveries/{id}/redeliver`: put a stopped delivery back in its queue.
pub async fn redeliver(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    match webhooks::redeliver(&st.core, a, &id, clock::now_ms()).await {
        Ok(()) => Ok(Redirect::to("/webhooks?done=redelivered").into_response()),
        Err(e) => refused(&st, &c, e, Draft::fresh()).await,
    }
}

#[derive(Deserialize)]
pub struct DigestForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub digest_hour: String,
}

/// POST `/webhooks/digest`: the hour (China Standard Time) of the county's daily digest.
pub async fn save_digest_hour(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<DigestForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let county = county(&c)?;
    let Ok(hour) = f.digest_hour.trim().parse::<u32>() else {
        return refused(
            &st,
            &c,
            AppError::field("digest_hour", "invalid"),
            Draft::fresh(),
        )
        .await;
    };
    let s = rules::OutboundSettings { digest_hour: hour };
    match digest::save_settings(&st.core, a, &county, s, clock::now_ms()).await {
        Ok(_) => Ok(Redirect::to("/webhooks?done=digest").into_response()),
        Err(e) => refused(&st, &c, e, Draft::fresh()).await,
    }
}

/// One channel of the preferences form.
pub struct PrefRow {
    pub channel: &'static str,
    pub mode: &'static str,
    pub default: bool,
    /// The modes offered, in order.
    pub modes: &'static [rules::Mode],
}

/// The preferences section of `/me`: one row per channel, and whether a phone is on record.
pub async fn pref_rows(st: &AppState, c: &Ctx) -> Result<(Vec<PrefRow>, bool), WebError> {
    let a = c.actor()?;
    let prefs = digest::preferences(&st.core, a)
        .await
        .map_err(|e| c.err(e))?;
    let reachable = digest::reachable_by_text(&st.core, a)
        .await
        .map_err(|e| c.err(e))?;
    // Villagers get no work notices: their form has only the texts about their own cases.
    let staff = a.is_staff();
    let rows = prefs
        .into_iter()
        .filter(|p| staff || p.channel != rules::Channel::Notices)
        .map(|p| PrefRow {
            channel: p.channel.as_str(),
            mode: p.mode.as_str(),
            default: p.default,
            modes: &MODES,
        })
        .collect();
    Ok((rows, reachable))
}

/// POST `/me/notifications`: one select per channel, named after it (`sms.notices`,
/// `sms.case_updates`). All are saved together or none.
pub async fn save_preferences(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(f.get("csrf").map(String::as_str).unwrap_or_default())?;
    let choices: Vec<(&str, &str)> = CHANNELS
        .iter()
        .filter_map(|ch| f.get(ch.as_str()).map(|m| (ch.as_str(), m.as_str())))
        .collect();
    match digest::set_preferences(&st.core, a, &choices, clock::now_ms()).await {
        Ok(_) => Ok(Redirect::to("/me?done=notifications").into_response()),
        Err(e @ AppError::Validation(_)) => {
            let text = error_text(&c, &e);
            let mut r = super::home::me_page(&st, &c, None, None, Some(text)).await?;
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
        Err(e) => Err(c.err(e)),
    }
}
