//! xiangzhi web: the HTTP layer (axum). Pages under `/`, the JSON API under `/api/v1`,
//! Open data later under `/public` and `/open311`. Knows HTTP; the rules live in `xiangzhi-core`.

pub mod api;
pub mod ctx;
pub mod error;
pub mod i18n;
pub mod i18n_civic;
pub mod i18n_outbound;
pub mod i18n_voice;
pub mod open311;
pub mod pages;
pub mod s3;
pub mod state;

use std::net::SocketAddr;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

pub use state::AppState;

const APP_CSS: &str = include_str!("../static/app.css");

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        APP_CSS,
    )
}

async fn healthz() -> &'static str {
    "ok"
}

async fn not_found(c: ctx::Ctx) -> axum::response::Response {
    c.err(xiangzhi_core::AppError::NotFound("page"))
        .into_response()
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    use pages::*;
    Router::new()
        .route("/", get(home::home))
        .route("/healthz", get(healthz))
        .route("/static/app.css", get(css))
        .route("/login", get(auth::login_page).post(auth::login_submit))
        .route("/logout", post(auth::logout))
        .route("/register", get(auth::register_page).post(auth::register_submit))
        .route("/register/code", post(auth::register_code))
        .route("/settings/lang", get(auth::set_lang))
        .route("/settings/large", get(auth::set_large))
        .route("/me", get(home::me))
        .route("/me/password", post(home::change_password))
        .route("/me/household", get(home::me_household))
        .route("/me/notifications", post(outbound::save_preferences))
        .route("/areas", get(areas::tree))
        .route("/areas/import", post(areas::import_divisions))
        .route("/people", get(people::list).post(people::create))
        .route("/people/new", get(people::new_form))
        .route("/people/{id}", get(people::person).post(people::update))
        .route("/people/{id}/edit", get(people::edit_form))
        .route("/people/{id}/reveal", post(people::reveal))
        .route("/people/{id}/proxy", post(people::proxy_account))
        .route("/households", get(people::households))
        .route("/households/{id}", get(people::household))
        .route("/import", get(people::import_form).post(people::import_submit))
        .route("/import/template", get(people::import_template))
        .route("/export", get(people::export))
        .route("/accounts/pending", get(admin::pending))
        .route("/accounts/{id}/confirm", post(admin::confirm))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/reset", post(admin::reset))
        .route("/admin/users/grant", post(admin::grant))
        .route("/admin/users/unlock", post(admin::unlock))
        .route("/audit", get(admin::audit_log))
        .route("/audit/export", get(admin::audit_export))
        .route("/inbox", get(cases::inbox))
        .route("/tips", get(cases::tips).post(cases::tip_submit))
        .route("/tips/new", get(cases::tip_new))
        .route("/tips/status", get(cases::tip_status))
        .route("/tips/{id}", get(cases::tip))
        .route("/tips/{id}/status", post(cases::tip_set_status))
        .route("/duty", get(cases::duty).post(cases::add_duty))
        .route("/cases", get(cases::list).post(cases::create))
        .route("/cases/new", get(cases::new_form))
        .route("/cases/follow", get(cases::follow))
        .route("/cases/search", get(cases::search))
        .route("/cases/board", get(cases::board))
        .route("/cases/indicators", get(cases::indicators))
        .route("/cases/catalogue", get(cases::catalogue_page))
        .route("/cases/catalogue/sla", post(cases::save_sla))
        .route("/cases/catalogue/settings", post(cases::save_settings))
        .route("/cases/catalogue/holiday", post(cases::save_holiday))
        .route("/cases/{id}", get(cases::show))
        .route("/cases/{id}/act", post(cases::act))
        .route("/cases/{id}/mediation", post(cases::mediation))
        .route("/cases/{id}/attachments", post(cases::attach))
        .route("/attachments/{id}", get(cases::attachment))
        .route("/webhooks", get(outbound::index).post(outbound::create))
        .route("/webhooks/digest", post(outbound::save_digest_hour))
        .route("/webhooks/{id}/act", post(outbound::act))
        .route("/webhooks/deliveries/{id}/redeliver", post(outbound::redeliver))
        .route("/matters", get(deliberation::matters).post(deliberation::matter_create))
        .route("/matters/new", get(deliberation::matter_new))
        .route("/matters/rules", get(rules::show).post(rules::add_rule))
        .route("/matters/types", post(rules::save_type))
        .route("/matters/settings", post(rules::save_settings))
        .route("/matters/{id}", get(deliberation::matter))
        .route("/matters/{id}/act", post(deliberation::matter_act))
        .route(
            "/matters/{id}/archive",
            get(deliberation::matter_archive).post(deliberation::matter_archive_make),
        )
        .route("/meetings", get(deliberation::meetings).post(deliberation::meeting_create))
        .route("/meetings/new", get(deliberation::meeting_new))
        .route("/meetings/{id}", get(deliberation::meeting))
        .route("/meetings/{id}/convene", post(deliberation::meeting_convene))
        .route("/meetings/{id}/presence", post(deliberation::meeting_presence))
        .route("/meetings/{id}/tally", post(deliberation::meeting_tally))
        .route("/meetings/{id}/votes", post(deliberation::meeting_add_vote))
        .route("/meetings/{id}/close", post(deliberation::meeting_close))
        .route("/appraisals", get(appraisal::index).post(appraisal::open))
        .route("/appraisals/{id}", get(appraisal::show))
        .route("/appraisals/{id}/ballot", post(appraisal::ballot))
        .route("/appraisals/{id}/close", post(appraisal::close))
        .route("/disclosure", get(disclosure::index).post(disclosure::create))
        .route("/disclosure/items", post(disclosure::add_item))
        .route("/disclosure/{id}", get(disclosure::show))
        .route("/disclosure/{id}/act", post(disclosure::act))
        .route("/disclosure/{id}/postings", post(disclosure::add_posting))
        .route(
            "/disclosure/postings/{id}/take-down",
            post(disclosure::take_down),
        )
        .route(
            "/disclosure/postings/{id}/photo",
            get(disclosure::posting_photo),
        )
        .route("/public", get(public::index))
        .route("/public/", get(public::index))
        .route("/public/mine", get(public::mine))
        .route("/public/villages/{code}", get(public::village))
        .route("/public/publications/{id}", get(public::publication))
        .route("/public/publications/{id}/object", post(public::object))
        .route("/public/publications/{id}/canonical.txt", get(public::canonical))
        .route("/public/publications/{id}/print", get(public::print))
        .route("/levy", get(levy::list).post(levy::create))
        .route("/levy/new", get(levy::new_form))
        .route("/levy/{id}", get(levy::show))
        .route("/levy/{id}/exemptions", post(levy::add_exemption))
        .route("/levy/{id}/exemptions/{eid}/remove", post(levy::remove_exemption))
        .route("/levy/{id}/approve", post(levy::approve))
        .route("/levy/{id}/collect", post(levy::collect))
        .route("/levy/{id}/close", post(levy::close))
        .route("/levy/{id}/subsidy", post(levy::apply_subsidy))
        .route("/levy/{id}/subsidy/{sid}", post(levy::subsidy_step))
        .route("/levy/{id}/publish", post(levy::publish))
        .route("/suggestions", get(voice::suggestions).post(voice::post_suggestion))
        .route("/suggestions/{id}/answer", post(voice::answer))
        .route("/polls", get(voice::polls).post(voice::open_poll))
        .route("/polls/{id}/vote", post(voice::vote))
        .route("/bylaws", get(voice::bylaws).post(voice::adopt))
        .route("/bylaws/{id}/file", post(voice::file))
        .route("/bylaws/{id}/review", post(voice::review))
        .merge(api::routes())
        .merge(open311::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(xiangzhi_core::tabular::MAX_UPLOAD + 64 * 1024))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .with_state(state)
}

/// Serve until Ctrl-C / SIGTERM.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    // Case search: the index catches up with the database in the background. Without it
    // the rest serves and search answers that it is unavailable.
    if let Err(e) = state.core.start_search() {
        tracing::error!("case search is not available: {e:#}");
    }
    // R-ESC-2: overdue cases go up a level by themselves, checked every minute.
    let core = state.core.clone();
    let sweeper = tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        let mut overdue_ticks: u64 = 0;
        loop {
            tick.tick().await;
            match xiangzhi_core::cases::escalate_overdue(&core, xiangzhi_core::clock::now_ms())
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!("escalated {n} overdue cases"),
                Err(e) => tracing::warn!("escalation sweep failed: {e}"),
            }
            if let Err(e) =
                xiangzhi_core::cases::mediation::remind(&core, xiangzhi_core::clock::now_ms()).await
            {
                tracing::warn!("mediation reminders failed: {e}");
            }
            // §5.3: objections to a publication not answered in time go to the township.
            match xiangzhi_core::disclosure::service::escalate_objections(
                &core,
                xiangzhi_core::clock::now_ms(),
            )
            .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!("{n} unanswered objections sent to the township"),
                Err(e) => tracing::warn!("objection sweep failed: {e}"),
            }
            // Overdue publications: checked at start and then hourly.
            if overdue_ticks.is_multiple_of(60) {
                match xiangzhi_core::disclosure::service::notify_overdue(
                    &core,
                    xiangzhi_core::clock::now_ms(),
                )
                .await
                {
                    Ok(0) => {}
                    Ok(n) => tracing::info!("{n} overdue publications alerted"),
                    Err(e) => tracing::warn!("overdue publication sweep failed: {e}"),
                }
                // R-ARC-1: finished matters whose package was not made at the transition.
                match xiangzhi_core::archive::sweep(&core, xiangzhi_core::clock::now_ms(), 200)
                    .await
                {
                    Ok(0) => {}
                    Ok(n) => tracing::info!("{n} finished matters archived"),
                    Err(e) => tracing::warn!("archive sweep failed: {e}"),
                }
            }
            overdue_ticks += 1;
        }
    });
    // Issue 3.8: webhooks, texts and the daily digest, on a task of their own so a slow
    // receiver never delays the escalation sweep.
    let core = state.core.clone();
    let outbound = tokio::spawn(async move {
        let period = std::time::Duration::from_secs(xiangzhi_core::outbound::SWEEP_SECONDS);
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first round one period after start: startup belongs to the other sweeps.
        tick.tick().await;
        loop {
            tick.tick().await;
            let r = xiangzhi_core::outbound::sweep(&core, xiangzhi_core::clock::now_ms()).await;
            if r != xiangzhi_core::outbound::SweepReport::default() {
                tracing::info!(
                    queued_deliveries = r.queued_deliveries,
                    delivered = r.delivered,
                    delivery_failures = r.delivery_failures,
                    queued_sms = r.queued_sms,
                    sms_sent = r.sms_sent,
                    sms_failures = r.sms_failures,
                    digests = r.digests,
                    "outbound sweep"
                );
            }
        }
    });
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let ctrl_c = tokio::signal::ctrl_c();
            #[cfg(unix)]
            {
                let mut term =
                    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    {
                        Ok(s) => s,
                        Err(_) => {
                            let _ = ctrl_c.await;
                            return;
                        }
                    };
                tokio::select! {
                    _ = ctrl_c => {},
                    _ = term.recv() => {},
                }
            }
            #[cfg(not(unix))]
            {
                let _ = ctrl_c.await;
            }
        })
        .await?;
    sweeper.abort();
    outbound.abort();
    Ok(())
}

/// Status for unhandled rejections.
pub fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
