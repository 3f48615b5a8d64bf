//! Logging in: the HTML form (CSRF, second factor, lockout, rate limit) and the JSON API.

use std::sync::Arc;

use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{csrf_of, new_client, TestApp};

async fn failed_logins(app: &TestApp, username: &str) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT failed_logins FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(&app.core.db.read)
        .await
        .unwrap()
}

async fn login_form_rules(app: Arc<TestApp>) {
    let cadre = app.account("village_cadre").clone();

    // Wrong password: 401, the login page again with the Chinese message.
    let client = new_client();
    let r = app
        .submit_login(&client, "village_cadre", "Wrong-password-1", "")
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get(SET_COOKIE).is_none(), "no session cookie");
    let body = r.text().await.unwrap();
    assert!(body.contains("账号或密码不对"), "Chinese message:\n{body}");
    assert!(body.contains("name=\"csrf\""), "the form is shown again");
    assert_eq!(failed_logins(&app, "village_cadre").await, 1);

    // A form post without the CSRF token is refused before anything is looked at.
    let audit_before = app.count("audit_log", crate::helpers::BY_PEOPLE).await;
    let sessions_before = app.count("sessions", "").await;
    let client = new_client();
    let (_, _) = app.get(&client, "/login").await; // the pre-login CSRF cookie is set
    let r = client
        .post(app.url("/login"))
        .form(&[
            ("username", "village_cadre"),
            ("password", cadre.password.as_str()),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get(SET_COOKIE).is_none(), "no session cookie");
    let body = r.text().await.unwrap();
    assert!(body.contains("页面已过期"), "CSRF message:\n{body}");
    // A token from another browser does not do either.
    let other = new_client();
    let (_, html) = app.get(&other, "/login").await;
    let r = client
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("username", "village_cadre"),
            ("password", cadre.password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.count("audit_log", crate::helpers::BY_PEOPLE).await,
        audit_before,
        "nothing audited"
    );
    assert_eq!(
        app.count("sessions", "").await,
        sessions_before,
        "no session"
    );
    assert_eq!(
        failed_logins(&app, "village_cadre").await,
        1,
        "no failure counted"
    );
    let r = client.get(app.url("/households")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "still logged out");
    assert!(r.headers()[LOCATION]
        .to_str()
        .unwrap()
        .starts_with("/login?next="));

    // Township staff need the second factor.
    let staff = app.account("township_staff").clone();
    assert!(staff.totp_secret.is_some());
    let client = new_client();
    let r = app
        .submit_login(&client, &staff.username, &staff.password, "")
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("动态验证码"));
    let otp = app.otp(&staff.username);
    let r = app
        .submit_login(&client, &staff.username, &staff.password, &otp)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .starts_with("xz_session="));
    let (status, body) = app.get(&client, "/households").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("户籍台账"));

    // Five wrong passwords lock the account: the right one no longer works.
    let victim = app.account("village_cadre2").clone();
    let client = new_client();
    for i in 1..=5 {
        let r = app
            .submit_login(&client, &victim.username, "Not-the-password-9", "")
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
        let body = r.text().await.unwrap();
        if i == 5 {
            assert!(body.contains("账号已锁定"), "locked after 5:\n{body}");
        }
    }
    let r = app
        .submit_login(&client, &victim.username, &victim.password, "")
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get(SET_COOKIE).is_none());
    assert!(r.text().await.unwrap().contains("账号已锁定"));
    assert_eq!(
        app.count("audit_log", "action = 'user.locked'").await,
        1,
        "the lock is audited"
    );
}

async fn login_rate_limit(app: Arc<TestApp>) {
    let cadre = app.account("village_cadre").clone();
    let client = new_client();
    // Ten attempts a minute from one address are answered …
    for i in 0..10 {
        let r = app
            .submit_login(&client, &format!("nobody{i}"), "whatever-123", "")
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // … the eleventh is refused, even with the right password.
    let r = app
        .submit_login(&client, &cadre.username, &cadre.password, "")
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get(SET_COOKIE).is_none());
    let body = r.text().await.unwrap();
    assert!(body.contains("尝试太频繁"), "rate-limit message:\n{body}");
    // The API shares the limit.
    let r = new_client()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": cadre.username, "password": cadre.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "rate_limited");
}

async fn api_login_and_bearer(app: Arc<TestApp>) {
    let cadre = app.account("village_cadre").clone();
    let client = new_client();
    let login = |body: Value| {
        let client = client.clone();
        let url = app.url("/api/v1/auth/login");
        async move { client.post(url).json(&body).send().await.unwrap() }
    };

    // Wrong password: 401 JSON.
    let r = login(json!({"username": "village_cadre", "password": "nope-nope-1"})).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "bad_credentials", "{v}");
    assert!(v["message"]
        .as_str()
        .unwrap_or("")
        .contains("账号或密码不对"));

    // A role with a second factor needs the code over the API too.
    let staff = app.account("township_staff").clone();
    let r = login(json!({"username": staff.username, "password": staff.password})).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "otp_required", "{v}");
    let wrong = if app.otp(&staff.username) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let r =
        login(json!({"username": staff.username, "password": staff.password, "otp": wrong})).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "otp_invalid", "{v}");
    let r = login(json!({
        "username": staff.username,
        "password": staff.password,
        "otp": app.otp(&staff.username),
    }))
    .await;
    assert_eq!(r.status(), StatusCode::OK);

    // Right password: a token …
    let r = login(json!({
        "username": cadre.username,
        "password": cadre.password,
        "otp": ""
    }))
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers().get(SET_COOKIE).is_none(),
        "the API sets no cookie"
    );
    let v: Value = r.json().await.unwrap();
    let token = v["token"].as_str().expect("token").to_string();
    assert!(token.len() >= 32);

    // … that works as a bearer token.
    let me = |token: Option<String>| {
        let url = app.url("/api/v1/me");
        async move {
            let mut req = reqwest::Client::new().get(url);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req.send().await.unwrap()
        }
    };
    let r = me(Some(token.clone())).await;
    assert_eq!(r.status(), StatusCode::OK, "GET /api/v1/me with the token");
    let v: Value = r.json().await.unwrap();
    assert!(
        v.to_string().contains("village_cadre"),
        "/api/v1/me names the user: {v}"
    );
    let r = me(None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = me(Some("not-a-token".into())).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A malformed body is a 4xx JSON answer, not a crash.
    let r = client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let _: Value = r.json().await.unwrap();
}

crate::both_backends!(login_form_rules, login_rate_limit, api_login_and_bearer);
