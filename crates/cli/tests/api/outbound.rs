//! Outgoing notifications over HTTP: county staff manage webhook subscriptions through the
//! JSON API and the `/webhooks` page; a case raised through the API reaches a real receiver
//! on 127.0.0.1, delivered by the running server's own sweeper and signed with HMAC-SM3;
//! stopped deliveries are redelivered; every user sets their notification preferences.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use xiangzhi_core::outbound::{rules, webhooks};

use crate::helpers::{csrf_of, new_client, TestApp};

async fn token(app: &TestApp, username: &str) -> String {
    let acc = app.account(username).clone();
    let r = new_client()
        .post(app.url("/api/v1/auth/login"))
        .json(
            &json!({"username": acc.username, "password": acc.password, "otp": app.otp(username)}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "API login of {username}");
    let v: Value = r.json().await.unwrap();
    v["token"].as_str().unwrap().to_string()
}

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Seen {
    headers: HashMap<String, String>,
    body: String,
    signature_ok: bool,
}

/// A webhook receiver on 127.0.0.1 that checks every signature with its own HMAC-SM3 and
/// answers 204.
struct Receiver {
    url: String,
    secret: Arc<Mutex<String>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn receiver() -> Receiver {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let secret = Arc::new(Mutex::new(String::new()));
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let (key, log) = (secret.clone(), seen.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let head_end = loop {
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(i);
                }
            };
            let Some(head_end) = head_end else { continue };
            let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
            let mut headers = HashMap::new();
            for line in head.lines().skip(1) {
                if let Some((k, v)) = line.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            let len: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = buf[head_end + 4..].to_vec();
            while body.len() < len {
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
            let body = String::from_utf8_lossy(&body).to_string();
            let secret = key.lock().unwrap().clone();
            let mut mac = <Hmac<sm3::Sm3> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
            mac.update(
                format!(
                    "{}.{}",
                    headers
                        .get("x-xiangzhi-timestamp")
                        .cloned()
                        .unwrap_or_default(),
                    body
                )
                .as_bytes(),
            );
            let want = format!("hmac-sm3={}", hex::encode(mac.finalize().into_bytes()));
            let signature_ok = headers.get("x-xiangzhi-signature") == Some(&want);
            log.lock().unwrap().push(Seen {
                headers,
                body,
                signature_ok,
            });
            let _ = sock
                .write_all(
                    b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await;
        }
    });
    Receiver {
        url: format!("http://{addr}/hooks/xiangzhi"),
        secret,
        seen,
    }
}

/// A port nobody listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn field_codes(v: &Value) -> Vec<(String, String)> {
    v["fields"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap_or_default().to_string(),
                f["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

async fn webhooks_reach_a_real_receiver_signed(app: Arc<TestApp>) {
    let county = token(&app, "county_staff").await;
    let cadre = token(&app, "village_cadre").await;
    let villager = app.account_by_role("villager").username.clone();
    let villager = token(&app, &villager).await;
    let http = reqwest::Client::new();
    let create = |t: &str, body: Value| {
        http.post(app.url("/api/v1/webhooks"))
            .bearer_auth(t)
            .json(&body)
            .send()
    };

    // Bad input: every field at fault named at once, in the user's language; nothing written.
    let r = create(
        &county,
        json!({"name": "", "url": "ftp://127.0.0.1/x", "kinds": ["case.deleted"]}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    let codes = field_codes(&v);
    for want in [
        ("name", "required"),
        ("url", "invalid"),
        ("kinds", "event_kind_unknown"),
    ] {
        assert!(
            codes.contains(&(want.0.into(), want.1.into())),
            "{want:?} in {v}"
        );
    }
    assert_eq!(v["fields"][1]["message"], "格式不对。", "{v}");
    let r = http
        .post(app.url("/api/v1/webhooks"))
        .bearer_auth(&county)
        .header("Accept-Language", "en")
        .json(&json!({"name": "x", "url": "https://127.0.0.1/x", "kinds": ["case.created"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        field_codes(&v),
        [("url".into(), "https_unsupported".into())]
    );
    assert!(
        v["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("https"),
        "{v}"
    );
    let r = create(&county, json!({"name": "x", "url": "http://127.0.0.1:9/"}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_codes(&r.json().await.unwrap()),
        [("kinds".into(), "required".into())]
    );
    // Only county staff and the system administrator manage webhooks.
    for t in [&cadre, &villager] {
        let r = create(
            t,
            json!({"name": "x", "url": "http://127.0.0.1:9/", "kinds": ["case.created"]}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = http
            .get(app.url("/api/v1/webhooks"))
            .bearer_auth(t)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(app.count("webhook_subscriptions", "").await, 0);

    // Register the receiver: the secret comes back once, uncached.
    let rx = receiver().await;
    let r = create(
        &county,
        json!({"name": "12345 热线", "url": rx.url, "kinds": ["case.created", "case.state_changed"]}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let v: Value = r.json().await.unwrap();
    let secret = v["secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 64);
    let id = v["subscription"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["subscription"]["active"], true);
    *rx.secret.lock().unwrap() = secret.clone();
    let sysadmin = token(&app, "sysadmin").await;
    let r = http
        .get(app.url("/api/v1/webhooks"))
        .bearer_auth(&sysadmin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let list = r.text().await.unwrap();
    assert!(list.contains(&id) && !list.contains(&secret), "{list}");

    // A case raised through the API reaches the receiver through the server's own sweeper.
    let area = app.account("village_cadre").area_code.clone();
    let r = http
        .post(app.url("/api/v1/cases"))
        .bearer_auth(&cadre)
        .json(&json!({"type_code": "road_facility", "area_code": area, "description": "村西水泥路塌陷一个大坑，电话13812345678"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let case: Value = r.json().await.unwrap();
    let number = case["case"]["number"].as_str().unwrap().to_string();
    let deadline = tokio::time::Instant::now()
        + Duration::from_millis(rules::LAG_MS as u64)
        + Duration::from_secs(40);
    loop {
        if !rx.seen.lock().unwrap().is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no delivery reached the receiver"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let seen = rx.seen.lock().unwrap()[0].clone();
    assert!(seen.signature_ok, "the signature verifies: {seen:?}");
    assert_eq!(seen.headers["x-xiangzhi-event"], "case.created");
    assert_eq!(seen.headers["content-type"], "application/json");
    let ts: i64 = seen.headers["x-xiangzhi-timestamp"].parse().unwrap();
    assert!(
        (xiangzhi_core::clock::now_ms() - ts).abs() < 120_000,
        "a fresh timestamp"
    );
    let body: Value = serde_json::from_str(&seen.body).unwrap();
    assert_eq!(body["case"]["number"], number.as_str());
    assert!(
        !seen.body.contains("塌陷") && !seen.body.contains("13812345678"),
        "no free text, no phone: {}",
        seen.body
    );
    let r = http
        .get(app.url("/api/v1/webhooks/deliveries?status=delivered"))
        .bearer_auth(&county)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let delivered: Value = r.json().await.unwrap();
    let delivered = delivered.as_array().unwrap();
    assert!(delivered
        .iter()
        .any(|d| d["id"] == seen.headers["x-xiangzhi-delivery"].as_str() && d["attempts"] == 1));
    let r = http
        .get(app.url("/api/v1/webhooks/deliveries?status=lost"))
        .bearer_auth(&county)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_codes(&r.json().await.unwrap()),
        [("status".into(), "invalid".into())]
    );
    // A delivered one is not redelivered; an unknown one is not found.
    let did = delivered[0]["id"].as_str().unwrap();
    let r = http
        .post(app.url(&format!("/api/v1/webhooks/deliveries/{did}/redeliver")))
        .bearer_auth(&county)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = http
        .post(app.url("/api/v1/webhooks/deliveries/nope/redeliver"))
        .bearer_auth(&county)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Rotate (the new secret once), switch off and on; a cadre cannot.
    let r = http
        .post(app.url(&format!("/api/v1/webhooks/{id}/rotate")))
        .bearer_auth(&county)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let new: Value = r.json().await.unwrap();
    assert_ne!(new["secret"].as_str().unwrap(), secret);
    let r = http
        .post(app.url(&format!("/api/v1/webhooks/{id}/disable")))
        .bearer_auth(&cadre)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    for (what, active) in [("disable", false), ("enable", true)] {
        let r = http
            .post(app.url(&format!("/api/v1/webhooks/{id}/{what}")))
            .bearer_auth(&county)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["active"], active);
    }
    for action in [
        "webhook.create",
        "webhook.rotate",
        "webhook.disable",
        "webhook.enable",
    ] {
        assert_eq!(
            app.count("audit_log", &format!("action = '{action}'"))
                .await,
            1,
            "{action} is audited"
        );
    }
    let doc = http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for p in [
        "/api/v1/webhooks",
        "/api/v1/webhooks/deliveries/{id}/redeliver",
        "/api/v1/me/notification-preferences",
    ] {
        assert!(doc.contains(p), "{p} is documented");
    }
}

/// Make the single delivery of a subscription that points at a closed port stop, by
/// running the sender through its whole retry schedule.
async fn make_dead(app: &TestApp, sub_id: &str) -> String {
    // Far enough ahead that the event is old enough and the server's sweeper (on real time)
    // never competes for these attempts.
    let mut t = xiangzhi_core::clock::now_ms() + 3_600_000;
    webhooks::dispatch(&app.core, t).await.unwrap();
    for _ in 0..6 {
        webhooks::deliver(&app.core, t).await.unwrap();
        t += 86_400_000;
    }
    sqlx::query_scalar::<_, String>(
        "SELECT id FROM webhook_deliveries WHERE subscription_id = $1 AND status = 'dead'",
    )
    .bind(sub_id.to_string())
    .fetch_one(&app.core.db.read)
    .await
    .unwrap()
}

async fn county_manages_webhooks_on_the_page(app: Arc<TestApp>) {
    let staff = app.login("county_staff").await;
    let (status, page) = app.get(&staff, "/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("数据推送"), "{page}");
    let csrf = csrf_of(&page);
    // A refused form: the page again with the field named and what was typed kept.
    let r = staff
        .post(app.url("/webhooks"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "城市平台"),
            ("url", "https://platform.example/hook"),
            ("case.created", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("接收地址：暂不支持 https"), "{body}");
    assert!(body.contains("城市平台"));
    assert_eq!(app.count("webhook_subscriptions", "").await, 0);
    // Without the CSRF token nothing happens.
    let r = staff
        .post(app.url("/webhooks"))
        .form(&[
            ("name", "城市平台"),
            ("url", "http://127.0.0.1:9/"),
            ("case.created", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), StatusCode::OK, "refused without the token");
    assert_eq!(app.count("webhook_subscriptions", "").await, 0);
    // Registered: the secret is on this answer only.
    let url = format!("http://127.0.0.1:{}/events", closed_port());
    let r = staff
        .post(app.url("/webhooks"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "城市平台"),
            ("url", url.as_str()),
            ("case.created", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body = r.text().await.unwrap();
    assert!(body.contains("只显示这一次"), "{body}");
    let sub_id: String = sqlx::query_scalar("SELECT id FROM webhook_subscriptions")
        .fetch_one(&app.core.db.read)
        .await
        .unwrap();
    let secret_start = body.find("word-break: break-all\">").unwrap() + 23;
    let secret = &body[secret_start..secret_start + 64];
    assert!(
        secret.chars().all(|ch| ch.is_ascii_alphanumeric()),
        "{secret}"
    );
    let (_, again) = app.get(&staff, "/webhooks").await;
    assert!(!again.contains(secret), "shown once");
    assert!(again.contains(&url));

    // A case, a delivery that never gets through, the redeliver button.
    let cadre = token(&app, "village_cadre").await;
    let area = app.account("village_cadre").area_code.clone();
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/cases"))
        .bearer_auth(&cadre)
        .json(&json!({"type_code": "road_facility", "area_code": area, "description": "桥面有坑"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let dead = make_dead(&app, &sub_id).await;
    let (_, page) = app.get(&staff, "/webhooks").await;
    assert!(
        page.contains(&format!("/webhooks/deliveries/{dead}/redeliver")),
        "{page}"
    );
    assert!(page.contains("已停止"));
    let csrf = csrf_of(&page);
    let r = staff
        .post(app.url(&format!("/webhooks/deliveries/{dead}/redeliver")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/webhooks?done=redelivered");
    assert_eq!(
        app.count(
            "webhook_deliveries",
            &format!("id = '{dead}' AND status = 'pending'")
        )
        .await,
        1
    );
    // Switch it off from the page.
    let r = staff
        .post(app.url(&format!("/webhooks/{sub_id}/act")))
        .form(&[("csrf", csrf.as_str()), ("action", "disable")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&staff, "/webhooks?done=disabled").await;
    assert!(page.contains("已停用"));
    assert_eq!(app.count("webhook_subscriptions", "active = 0").await, 1);
    // The county's digest hour: a bad one is refused with the field named.
    let r = staff
        .post(app.url("/webhooks/digest"))
        .form(&[("csrf", csrf.as_str()), ("digest_hour", "24")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("每日汇总时间：格式不对"));
    let r = staff
        .post(app.url("/webhooks/digest"))
        .form(&[("csrf", csrf.as_str()), ("digest_hour", "7")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&staff, "/webhooks?done=digest").await;
    assert!(page.contains("<option value=\"7\" selected>"), "{page}");
    // A village cadre has no such page.
    let c = app.login("village_cadre").await;
    let (status, _) = app.get(&c, "/webhooks").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn everyone_sets_their_notification_preferences(app: Arc<TestApp>) {
    let villager = app.account_by_role("villager").username.clone();
    // Over the API.
    let t = token(&app, &villager).await;
    let http = reqwest::Client::new();
    let r = http
        .get(app.url("/api/v1/me/notification-preferences"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let case_updates = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["channel"] == "sms.case_updates")
        .unwrap()
        .clone();
    assert_eq!(case_updates["mode"], "immediate");
    assert_eq!(case_updates["default"], true);
    let put = |body: Value| {
        http.put(app.url("/api/v1/me/notification-preferences"))
            .bearer_auth(&t)
            .json(&body)
            .send()
    };
    let r = put(json!({"channel": "sms.case_updates", "mode": "sometimes"}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_codes(&r.json().await.unwrap()),
        [("mode".into(), "invalid".into())]
    );
    let r = put(json!({"channel": "sms.everything", "mode": "off"}))
        .await
        .unwrap();
    assert_eq!(
        field_codes(&r.json().await.unwrap()),
        [("channel".into(), "invalid".into())]
    );
    assert_eq!(app.count("notification_prefs", "").await, 0);
    let r = put(json!({"channel": "sms.case_updates", "mode": "digest"}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["channel"] == "sms.case_updates"
            && p["mode"] == "digest"
            && p["default"] == false));
    let r = reqwest::Client::new()
        .get(app.url("/api/v1/me/notification-preferences"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // On the page: a villager chooses only about their own cases.
    let v = app.login(&villager).await;
    let (status, page) = app.get(&v, "/me").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("name=\"sms.case_updates\" value=\"digest\" checked"),
        "{page}"
    );
    assert!(!page.contains("name=\"sms.notices\""));

    // A staff member's section on /me; a bad choice changes nothing.
    let staff = app.login("county_staff").await;
    let (status, page) = app.get(&staff, "/me").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("消息提醒") && page.contains("每天汇总一条"),
        "{page}"
    );
    let csrf = csrf_of(&page);
    let r = staff
        .post(app.url("/me/notifications"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("sms.notices", "off"),
            ("sms.case_updates", "loud"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("发送方式：格式不对"), "{body}");
    let staff_id = app.actor("county_staff").await.user_id;
    assert_eq!(
        app.count("notification_prefs", &format!("user_id = '{staff_id}'"))
            .await,
        0,
        "nothing half-written"
    );
    let r = staff
        .post(app.url("/me/notifications"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("sms.notices", "immediate"),
            ("sms.case_updates", "off"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/me?done=notifications");
    let (_, page) = app.get(&staff, "/me?done=notifications").await;
    assert!(page.contains("提醒设置已保存"));
    assert!(page.contains("name=\"sms.notices\" value=\"immediate\" checked"));
    assert_eq!(
        app.count(
            "notification_prefs",
            &format!("user_id = '{staff_id}' AND mode IN ('immediate', 'off')")
        )
        .await,
        2
    );
}

crate::both_backends!(
    webhooks_reach_a_real_receiver_signed,
    county_manages_webhooks_on_the_page,
    everyone_sets_their_notification_preferences
);
