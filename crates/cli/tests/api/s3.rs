//! Attachments in an S3-compatible object store: a small store on 127.0.0.1 that checks
//! every request's Signature Version 4 and keeps objects in memory.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::{json, Value};
use xiangzhi_core::cases::attachments;
use xiangzhi_web::s3::{S3Config, S3Store};

use crate::helpers::TestApp;

type Objects = Arc<Mutex<BTreeMap<String, Vec<u8>>>>;

/// A small S3-compatible server for the test: path-style PUT and GET, every request's
/// Signature Version 4 recomputed from what arrived, objects kept in memory.
async fn object_store(secret: &'static str) -> (String, Objects) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use xiangzhi_web::s3;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let objects = Arc::new(Mutex::new(BTreeMap::new()));
    let kept = objects.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let objects = kept.clone();
            tokio::spawn(async move {
                loop {
                    let mut buf = Vec::new();
                    let head_end = loop {
                        let mut chunk = [0u8; 4096];
                        let n = sock.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let mut lines = head.split("\r\n");
                    let mut first = lines.next().unwrap().split(' ');
                    let (method, path) = (first.next().unwrap(), first.next().unwrap());
                    let headers: Vec<(String, String)> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                        .collect();
                    let h = |n: &str| {
                        headers
                            .iter()
                            .find(|(k, _)| k == n)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    };
                    let len: usize = h("content-length").parse().unwrap_or(0);
                    let mut body = buf[head_end..].to_vec();
                    while body.len() < len {
                        let mut chunk = [0u8; 65536];
                        let n = sock.read(&mut chunk).await.unwrap();
                        body.extend_from_slice(&chunk[..n]);
                    }
                    let auth = h("authorization");
                    let access = auth
                        .split("Credential=")
                        .nth(1)
                        .and_then(|c| c.split('/').next())
                        .unwrap_or_default()
                        .to_string();
                    let date = h("x-amz-date");
                    let payload = h("x-amz-content-sha256");
                    let (host, sha) = (h("host"), payload.clone());
                    let expected = s3::authorization(&s3::Request {
                        method,
                        path,
                        headers: &[
                            ("host", &host),
                            ("x-amz-content-sha256", &sha),
                            ("x-amz-date", &date),
                        ],
                        payload_hash: &payload,
                        amz_date: &date,
                        region: "cn-north-1",
                        access_key: &access,
                        secret_key: secret,
                    });
                    let body_hash = {
                        use sha2::Digest;
                        hex::encode(sha2::Sha256::digest(&body))
                    };
                    let (status, out) = if auth != expected || body_hash != payload {
                        ("403 Forbidden", Vec::new())
                    } else if method == "PUT" {
                        objects.lock().unwrap().insert(path.to_string(), body);
                        ("200 OK", Vec::new())
                    } else {
                        match objects.lock().unwrap().get(path) {
                            Some(b) => ("200 OK", b.clone()),
                            None => ("404 Not Found", Vec::new()),
                        }
                    };
                    let reply =
                        format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n\r\n", out.len());
                    if sock.write_all(reply.as_bytes()).await.is_err()
                        || sock.write_all(&out).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (
        format!("http://{addr}/x-county-blobs?region=cn-north-1"),
        objects,
    )
}

fn store(url: &str, secret: &str) -> Arc<S3Store> {
    Arc::new(
        S3Store::new(&S3Config {
            url: url.into(),
            access_key: "county-ak".into(),
            secret_key: secret.into(),
        })
        .unwrap(),
    )
}

async fn attachments_live_in_the_object_store(app: Arc<TestApp>) {
    let (url, objects) = object_store("test-secret").await;
    let mut core = app.core.clone();
    core.use_object_store(store(&url, "test-secret"));
    // A case raised over the API, a document attached through the core.
    let acc = app.account("village_cadre").clone();
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": acc.username, "password": acc.password, "otp": ""}))
        .send()
        .await
        .unwrap();
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/cases"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "s3-1")
        .json(
            &json!({"type_code": "road_facility", "area_code": acc.area_code,
            "description": "小桥护栏断了，需要修理"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let case: Value = r.json().await.unwrap();
    let case_id = case["case"]["id"].as_str().unwrap().to_string();
    let cadre = app.actor("village_cadre").await;
    let pdf = b"%PDF-1.7\nbridge railing".to_vec();
    let a = attachments::attach(&core, &cadre, &case_id, "材料.pdf", pdf.clone())
        .await
        .unwrap();
    // The bytes are in the bucket under the county, not in the data directory.
    let keys: Vec<String> = objects.lock().unwrap().keys().cloned().collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(
        keys[0].starts_with("/x-county-blobs/") && keys[0].ends_with(&a.id),
        "{keys:?}"
    );
    let local = app.core.data_dir.join("blobs");
    assert!(
        !walk(&local).iter().any(|p| p.ends_with(&a.id)),
        "not written locally"
    );
    let (_, back) = attachments::open(&core, &cadre, &a.id).await.unwrap();
    assert_eq!(back, pdf);
    // Altered in the bucket: refused on read.
    for v in objects.lock().unwrap().values_mut() {
        v.push(b'!');
    }
    assert!(attachments::open(&core, &cadre, &a.id).await.is_err());
    // A wrong secret is refused by the store; nothing is recorded for the case.
    core.use_object_store(store(&url, "wrong"));
    let before = attachments::list(&core, &cadre, &case_id)
        .await
        .unwrap()
        .len();
    assert!(attachments::attach(&core, &cadre, &case_id, "b.pdf", pdf)
        .await
        .is_err());
    assert_eq!(
        attachments::list(&core, &cadre, &case_id)
            .await
            .unwrap()
            .len(),
        before
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

crate::both_backends!(attachments_live_in_the_object_store);
