//! Health, static files and the friendly 404 page.

use std::sync::Arc;

use reqwest::StatusCode;

use crate::helpers::TestApp;

async fn healthz_static_and_404(app: Arc<TestApp>) {
    assert!(app.addr.ip().is_loopback());
    assert_eq!(app.scratch.backend, app.backend);
    assert_eq!(
        app.scratch.database_url.is_some(),
        app.backend == crate::helpers::Backend::Postgres
    );
    let (status, body) = app.get(&app.client, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "ok");

    let r = app
        .client
        .get(app.url("/static/app.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ct = r.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(ct.starts_with("text/css"), "content type {ct}");
    assert!(
        r.text().await.unwrap().len() > 100,
        "the stylesheet has content"
    );

    // Unknown path: the friendly page, in Chinese by default …
    let (status, body) = app.get(&app.client, "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("找不到页面"), "Chinese 404 title:\n{body}");
    assert!(body.contains("回到首页"), "a way home:\n{body}");
    assert!(body.contains("<html lang=\"zh-CN\""));

    // … and in English once the language switch has set `lang=en`.
    let r = app
        .client
        .get(app.url("/settings/lang?to=en&back=/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, body) = app.get(&app.client, "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Not found"), "English 404:\n{body}");
    assert!(body.contains("Back to home"));
    assert!(!body.contains("找不到页面"));

    // A plain `Cookie: lang=en` header does the same.
    let plain = reqwest::Client::new();
    let r = plain
        .get(app.url("/nothing-here"))
        .header(reqwest::header::COOKIE, "lang=en")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("Not found"));
}

crate::both_backends!(healthz_static_and_404);
