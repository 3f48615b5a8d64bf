//! Outgoing webhooks of the county (county staff who keep the catalogue) and the user's
//! notification preferences. The signature scheme is described in the OpenAPI document's
//! `webhooks` tag and in `xiangzhi_core::outbound::webhooks`.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use xiangzhi_core::outbound::{digest, webhooks, Delivery, NewSubscription, Subscription};
use xiangzhi_core::{clock, AppError};

use super::{body, no_store, path, query, ApiError, OrApi};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

/// A webhook subscription (its secret is shown only when created or rotated).
#[derive(Serialize, utoipa::ToSchema)]
pub struct SubscriptionOut {
    pub id: String,
    pub county_code: String,
    pub name: String,
    /// `http://host[:port]/path`.
    pub url: String,
    /// `case.created`, `case.state_changed`, `case.escalated`, `case.closed`.
    pub kinds: Vec<String>,
    pub active: bool,
    /// Events before this instant (ms since the epoch) are not delivered.
    pub since_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<Subscription> for SubscriptionOut {
    fn from(s: Subscription) -> Self {
        SubscriptionOut {
            id: s.id,
            county_code: s.county_code,
            name: s.name,
            url: s.url,
            kinds: s.kinds,
            active: s.active,
            since_at: s.since_at,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A new subscription.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SubscriptionIn {
    /// What the integration is (1–60 characters).
    pub name: String,
    /// `http://host[:port]/path` (`https://` needs a local TLS relay).
    pub url: String,
    /// At least one of `case.created`, `case.state_changed`, `case.escalated`, `case.closed`.
    pub kinds: Vec<String>,
}

/// A subscription with its secret, shown this once.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SubscriptionCreated {
    pub subscription: SubscriptionOut,
    /// The signing secret (64 characters): keep it, it is not shown again.
    pub secret: String,
}

/// A new secret, shown this once.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SecretOut {
    pub secret: String,
}

/// One delivery of one event to one subscription.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryOut {
    pub id: String,
    pub subscription_id: String,
    pub subscription_name: String,
    pub kind: String,
    pub case_number: String,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i64,
    /// When the next attempt is due (pending deliveries), ms since the epoch.
    pub next_at: i64,
    /// The HTTP status of the last attempt, when the receiver answered.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<Delivery> for DeliveryOut {
    fn from(d: Delivery) -> Self {
        DeliveryOut {
            id: d.id,
            subscription_id: d.subscription_id,
            subscription_name: d.subscription_name,
            kind: d.kind,
            case_number: d.case_number,
            status: d.status,
            attempts: d.attempts,
            next_at: d.next_at,
            last_status: d.last_status,
            last_error: d.last_error,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

fn county(c: &Ctx) -> Result<String, WebError> {
    let a = c.actor()?;
    webhooks::county_of(a).ok_or_else(|| WebError::api(AppError::Forbidden, c.lang))
}

/// The county's webhook subscriptions.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", operation_id = "list_webhooks",
    responses((status = 200, body = Vec<SubscriptionOut>), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn list(
    State(st): State<AppState>,
    c: Ctx,
) -> Result<Json<Vec<SubscriptionOut>>, WebError> {
    let a = c.actor()?;
    let county = county(&c)?;
    let v = webhooks::list(&st.core, a, &county).await.or_api(&c)?;
    Ok(Json(v.into_iter().map(SubscriptionOut::from).collect()))
}

/// Register a subscription; the answer holds its secret, shown this once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", operation_id = "create_webhook",
    request_body = SubscriptionIn,
    responses((status = 201, body = SubscriptionCreated), (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn create(
    State(st): State<AppState>,
    c: Ctx,
    b: Result<Json<SubscriptionIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let b = body(&c, b)?;
    let county = county(&c)?;
    let (s, secret) = webhooks::create(
        &st.core,
        a,
        &county,
        NewSubscription {
            name: b.name,
            url: b.url,
            kinds: b.kinds,
        },
        clock::now_ms(),
    )
    .await
    .or_api(&c)?;
    Ok(no_store(
        (
            StatusCode::CREATED,
            Json(SubscriptionCreated {
                subscription: s.into(),
                secret,
            }),
        )
            .into_response(),
    ))
}

async fn set_active(
    st: &AppState,
    c: &Ctx,
    id: &str,
    on: bool,
) -> Result<Json<SubscriptionOut>, WebError> {
    let a = c.actor()?;
    let s = webhooks::set_active(&st.core, a, id, on, clock::now_ms())
        .await
        .or_api(c)?;
    Ok(Json(s.into()))
}

/// Stop deliveries to a subscription (its queue waits).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/disable", tag = "webhooks", operation_id = "disable_webhook",
    params(("id" = String, Path)),
    responses((status = 200, body = SubscriptionOut), (status = 404, body = ApiError)))]
pub async fn disable(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<SubscriptionOut>, WebError> {
    let id = path(&c, p)?;
    set_active(&st, &c, &id, false).await
}

/// Resume deliveries to a subscription: events from now on (what happened while it was off
/// is not delivered).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/enable", tag = "webhooks", operation_id = "enable_webhook",
    params(("id" = String, Path)),
    responses((status = 200, body = SubscriptionOut), (status = 404, body = ApiError)))]
pub async fn enable(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<SubscriptionOut>, WebError> {
    let id = path(&c, p)?;
    set_active(&st, &c, &id, true).await
}

/// Replace a subscription's secret; the answer holds the new one, shown this once.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate", tag = "webhooks", operation_id = "rotate_webhook_secret",
    params(("id" = String, Path)),
    responses((status = 200, body = SecretOut), (status = 404, body = ApiError)))]
pub async fn rotate(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    let secret = webhooks::rotate(&st.core, a, &id, clock::now_ms())
        .await
        .or_api(&c)?;
    Ok(no_store(Json(SecretOut { secret }).into_response()))
}

/// Filter of the delivery list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// `pending`, `delivered` or `dead` (default: all).
    #[serde(default)]
    pub status: String,
    /// At most this many, newest first (1–200, default 50).
    pub limit: Option<i64>,
}

/// The county's newest deliveries with their status, attempts and last error.
#[utoipa::path(get, path = "/api/v1/webhooks/deliveries", tag = "webhooks", operation_id = "list_webhook_deliveries",
    params(DeliveryQuery),
    responses((status = 200, body = Vec<DeliveryOut>), (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn deliveries(
    State(st): State<AppState>,
    c: Ctx,
    q: Result<Query<DeliveryQuery>, QueryRejection>,
) -> Result<Json<Vec<DeliveryOut>>, WebError> {
    let a = c.actor()?;
    let q = query(&c, q)?;
    let county = county(&c)?;
    let v = webhooks::deliveries(&st.core, a, &county, Some(&q.status), q.limit.unwrap_or(50))
        .await
        .or_api(&c)?;
    Ok(Json(v.into_iter().map(DeliveryOut::from).collect()))
}

/// Put a dead delivery back in its subscription's queue (attempts start again).
#[utoipa::path(post, path = "/api/v1/webhooks/deliveries/{id}/redeliver", tag = "webhooks", operation_id = "redeliver_webhook",
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn redeliver(
    State(st): State<AppState>,
    c: Ctx,
    p: Result<Path<String>, PathRejection>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let id = path(&c, p)?;
    webhooks::redeliver(&st.core, a, &id, clock::now_ms())
        .await
        .or_api(&c)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// How one channel reaches the user.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PreferenceOut {
    /// `sms.notices` (texts about inbox notices) or `sms.case_updates` (texts about the
    /// cases the user raised).
    pub channel: String,
    /// `immediate`, `digest` (one text a day at the county's hour) or `off`.
    pub mode: String,
    /// Nothing chosen: this is the default (staff: notices by digest; everyone: case
    /// updates at once).
    pub default: bool,
}

fn prefs_out(v: Vec<xiangzhi_core::outbound::Preference>) -> Vec<PreferenceOut> {
    v.into_iter()
        .map(|p| PreferenceOut {
            channel: p.channel.as_str().into(),
            mode: p.mode.as_str().into(),
            default: p.default,
        })
        .collect()
}

/// The user's notification preferences, one per channel.
#[utoipa::path(get, path = "/api/v1/me/notification-preferences", tag = "auth", operation_id = "notification_preferences",
    responses((status = 200, body = Vec<PreferenceOut>), (status = 401, body = ApiError)))]
pub async fn preferences(
    State(st): State<AppState>,
    c: Ctx,
) -> Result<Json<Vec<PreferenceOut>>, WebError> {
    let a = c.actor()?;
    let v = digest::preferences(&st.core, a).await.or_api(&c)?;
    Ok(Json(prefs_out(v)))
}

/// A choice for one channel.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct PreferenceIn {
    /// `sms.notices` or `sms.case_updates`.
    pub channel: String,
    /// `immediate`, `digest` or `off`.
    pub mode: String,
}

/// Choose how one channel reaches the user; the answer holds every channel.
#[utoipa::path(put, path = "/api/v1/me/notification-preferences", tag = "auth", operation_id = "set_notification_preference",
    request_body = PreferenceIn,
    responses((status = 200, body = Vec<PreferenceOut>), (status = 401, body = ApiError), (status = 422, body = ApiError)))]
pub async fn set_preference(
    State(st): State<AppState>,
    c: Ctx,
    b: Result<Json<PreferenceIn>, JsonRejection>,
) -> Result<Json<Vec<PreferenceOut>>, WebError> {
    let a = c.actor()?;
    let b = body(&c, b)?;
    let v = digest::set_preference(&st.core, a, &b.channel, &b.mode, clock::now_ms())
        .await
        .or_api(&c)?;
    Ok(Json(prefs_out(v)))
}
