//! Registering a person through the form, and revealing an ID number (audited).

use std::sync::Arc;

use reqwest::header::LOCATION;
use reqwest::StatusCode;
use xiangzhi_core::crypto::mask_id;
use xiangzhi_core::people::idnum::check_char;

use crate::helpers::{csrf_of, TestApp};

/// A valid ID number the demo generator never hands out (sequence 999).
fn fresh_id() -> String {
    let body = "13992119700101999";
    format!("{body}{}", check_char(body).unwrap())
}

fn with_wrong_check(id: &str) -> String {
    let last = if id.ends_with('0') { '1' } else { '0' };
    format!("{}{last}", &id[..17])
}

async fn person_form_and_reveal(app: Arc<TestApp>) {
    let village = app.account("village_cadre").area_code.clone();
    let cadre = app.login("village_cadre").await;
    let (status, html) = app
        .get(&cadre, &format!("/people/new?area={village}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&html);
    let good = fresh_id();
    let bad = with_wrong_check(&good);
    let form = |id: &str, csrf: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("name", "测试人".to_string()),
            ("id_number", id.to_string()),
            ("phone", String::new()),
            ("area_code", village.clone()),
            ("grid_code", String::new()),
            ("household_number", "9001".to_string()),
            ("address", "第一组1号".to_string()),
            ("relation", "户主".to_string()),
            ("is_party_member", "1".to_string()),
        ]
    };
    let persons = app.count("persons", "").await;
    let households = app.count("households", "").await;
    let audit = app.count("audit_log", crate::helpers::BY_PEOPLE).await;

    // A wrong check digit: 422, the form again with the field's message, nothing written.
    let r = cadre
        .post(app.url("/people"))
        .form(&form(&bad, &csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("身份证号校验位不对"), "field error:\n{body}");
    assert!(body.contains("id=\"id_number-err\""), "tied to the field");
    assert!(body.contains("测试人"), "the input is kept");
    assert_eq!(app.count("persons", "").await, persons);
    assert_eq!(app.count("households", "").await, households);
    assert_eq!(
        app.count("audit_log", crate::helpers::BY_PEOPLE).await,
        audit
    );

    // Without the CSRF token: refused, nothing written.
    let r = cadre
        .post(app.url("/people"))
        .form(&form(&good, ""))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), StatusCode::OK);
    assert!(!r.status().is_success());
    assert_eq!(app.count("persons", "").await, persons);

    // Good: 303 to the person's page, which shows the masked number only.
    let r = cadre
        .post(app.url("/people"))
        .form(&form(&good, &csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(location.starts_with("/people/"), "{location}");
    assert_eq!(app.count("persons", "").await, persons + 1);
    assert_eq!(app.count("households", "").await, households + 1);
    assert_eq!(app.count("audit_log", "action = 'person.create'").await, 1);
    let (status, page) = app.get(&cadre, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("测试人"));
    assert!(page.contains(&mask_id(&good)), "masked ID:\n{page}");
    assert!(!page.contains(&good), "the full number is not on the page");
    // The same number again: a conflict on the field.
    let r = cadre
        .post(app.url("/people"))
        .form(&form(&good, &csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(app.count("persons", "").await, persons + 1);

    // Reveal without a reason: an error, no number, nothing audited.
    let reveal = format!("{location}/reveal");
    let r = cadre
        .post(app.url(&reveal))
        .form(&[
            ("csrf", csrf.as_str()),
            ("field", "id_number"),
            ("reason", ""),
        ])
        .send()
        .await
        .unwrap();
    let body = r.text().await.unwrap();
    assert!(body.contains("请写明查看理由"), "reason required:\n{body}");
    assert!(!body.contains(&good));
    let reveals = "action = 'person.reveal_id_number'";
    assert_eq!(app.count("audit_log", reveals).await, 0);

    // With a reason: the full number, and an audit record naming the reason.
    let r = cadre
        .post(app.url(&reveal))
        .form(&[
            ("csrf", csrf.as_str()),
            ("field", "id_number"),
            ("reason", "核对低保申请材料"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()[reqwest::header::CACHE_CONTROL]
            .to_str()
            .unwrap(),
        "no-store"
    );
    let body = r.text().await.unwrap();
    assert!(body.contains(&good), "the full number is shown:\n{body}");
    assert!(body.contains("已记入审计日志"));
    assert_eq!(app.count("audit_log", reveals).await, 1);
    let person_id = location.trim_start_matches("/people/");
    let (actor_name, detail): (String, String) = sqlx::query_as(
        "SELECT actor_name, detail FROM audit_log WHERE action = 'person.reveal_id_number' \
         AND object_id = $1",
    )
    .bind(person_id)
    .fetch_one(&app.core.db.read)
    .await
    .unwrap();
    assert_eq!(detail, "核对低保申请材料");
    assert!(!actor_name.is_empty());

    // The cadre of another village cannot reveal it.
    let other = app.login("village_cadre2").await;
    let (_, html) = app.get(&other, "/households").await;
    let r = other
        .post(app.url(&reveal))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("field", "id_number"),
            ("reason", "好奇"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(!r.text().await.unwrap().contains(&good));
    assert_eq!(app.count("audit_log", reveals).await, 1);

    // A proxy account for a villager without a smartphone: opened once, audited, refused twice.
    let proxy = format!("/people/{person_id}/proxy");
    let r = other
        .post(app.url(&proxy))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "not for another village's cadre"
    );
    for (n, expected) in [(1, "已开通代办账号"), (2, "该账号已存在")] {
        let r = cadre
            .post(app.url(&proxy))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains(expected), "attempt {n}");
    }
    let proxies = "action = 'user.create_proxy'";
    assert_eq!(app.count("audit_log", proxies).await, 1);
    let proxy_users = format!("person_id = '{person_id}' AND proxy_only = 1");
    assert_eq!(app.count("users", &proxy_users).await, 1);
}

crate::both_backends!(person_form_and_reveal);
