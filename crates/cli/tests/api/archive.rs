//! Archive packages over HTTP: the demo's finished matters are packaged when their result is
//! published; the village's cadre downloads the ZIP (its SM3 in a header and on record) from
//! the API and from the matter page, another village's cadre is told it does not exist, and a
//! second package is refused.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};
use xiangzhi_core::archive::{manifest, store};
use xiangzhi_core::crypto::sm3_hex;

use crate::civic_api::Api;
use crate::helpers::TestApp;

async fn archive_package_downloads(app: Arc<TestApp>) {
    let cadre = app.account("village_cadre").clone();
    let all = {
        let mut c = app.core.db.read.acquire().await.unwrap();
        store::all(&mut c).await.unwrap()
    };
    let p = all
        .iter()
        .find(|p| p.area_code == cadre.area_code)
        .expect("the demo's finished matter in the cadre's village is packaged")
        .clone();

    // The ZIP over the API, checked against the digest on record.
    let api = Api::of(&app, "village_cadre").await;
    let r = api
        .req(
            crate::helpers::new_client()
                .get(app.url(&format!("/api/v1/matters/{}/archive", p.matter_id))),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/zip");
    assert_eq!(r.headers()["x-content-sm3"], p.digest.as_str());
    let zip = r.bytes().await.unwrap().to_vec();
    assert_eq!(sm3_hex(&zip), p.digest);
    let m: Value =
        serde_json::from_slice(&manifest::read_file(&zip, manifest::MANIFEST).unwrap()).unwrap();
    assert_eq!(m["matter"]["id"], p.matter_id.as_str());
    assert_eq!(m["matter"]["stage"], "closed");
    assert_eq!(m["retention"], "永久");
    let record = manifest::read_file(&zip, manifest::RECORD).unwrap();
    assert_eq!(m["files"][0]["sm3"], sm3_hex(&record).as_str());

    // The manifest alone, as JSON.
    let (status, j) = api
        .get(&format!("/api/v1/matters/{}/archive/manifest", p.matter_id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(j, m);

    // Immutable: a second package is refused.
    let (status, e) = api
        .post(
            &format!("/api/v1/matters/{}/archive", p.matter_id),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"], "archive_exists");

    // Another village's cadre: not found.
    let other = Api::of(&app, "village_cadre2").await;
    let (status, e) = other
        .get(&format!("/api/v1/matters/{}/archive", p.matter_id))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{e}");

    // The matter page links the package; the link downloads the same bytes.
    let c = app.login(&cadre.username).await;
    let (status, page) = app.get(&c, &format!("/matters/{}", p.matter_id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("下载归档包") && page.contains(&p.digest),
        "{page}"
    );
    let r = c
        .get(app.url(&format!("/matters/{}/archive", p.matter_id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(sm3_hex(&r.bytes().await.unwrap()), p.digest);
    // In English too, with no key left untranslated.
    c.get(app.url("/settings/lang?to=en&back=/"))
        .send()
        .await
        .unwrap();
    let (status, page) = app.get(&c, &format!("/matters/{}", p.matter_id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Download the archive package") && !page.contains("archive."));

    // In the OpenAPI document, and every download audited.
    let (_, doc) = Api::anonymous(&app).get("/api/openapi.json").await;
    assert!(doc["paths"]["/api/v1/matters/{id}/archive"]["get"].is_object());
    assert_eq!(
        app.count(
            "audit_log",
            &format!(
                "action = 'archive.download' AND object_id = '{}'",
                p.matter_id
            )
        )
        .await,
        3
    );
}

crate::both_backends!(archive_package_downloads);
