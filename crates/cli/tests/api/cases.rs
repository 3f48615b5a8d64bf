//! Cases over HTTP: a villager raises one from the phone pages, the cadre works it from the
//! queue and the case page, the JSON API keeps idempotency and refuses bad input, tips stay
//! confidential.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{csrf_of, new_client, TestApp};

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn token(app: &TestApp, username: &str) -> String {
    let acc = app.account(username).clone();
    let otp = if acc.totp_secret.is_some() {
        app.otp(username)
    } else {
        String::new()
    };
    let r = new_client()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": acc.username, "password": acc.password, "otp": otp}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    v["token"].as_str().unwrap().to_string()
}

async fn villager_raises_and_cadre_works_it(app: Arc<TestApp>) {
    let villager = app.account_by_role("villager").clone();
    let v = app.login(&villager.username).await;
    // Choose what to report, then the form of that type.
    let (status, body) = app.get(&v, "/cases/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("路灯不亮"), "{body}");
    assert!(
        !body.contains("消防隐患"),
        "staff-only types are not offered"
    );
    let (status, body) = app.get(&v, "/cases/new?type=proxy_service").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("高龄津贴"), "the typed field's options");
    let csrf = csrf_of(&body);
    // A missing required field: the form again, with the message at the field.
    let r = v
        .post(app.url("/cases"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("type_code", "proxy_service"),
            ("area_code", villager.area_code.as_str()),
            ("description", "帮家里老人办理高龄津贴"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("必须填写"), "{body}");
    assert!(
        body.contains("帮家里老人办理高龄津贴"),
        "what was typed is kept"
    );
    let before = app.count("cases", "").await;
    let r = v
        .post(app.url("/cases"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("type_code", "proxy_service"),
            ("area_code", villager.area_code.as_str()),
            (
                "description",
                "帮家里老人办理高龄津贴<script>alert(1)</script>",
            ),
            ("attribute[item]", "elderly_allowance"),
            ("submission", "form-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(&r);
    assert!(
        to.starts_with("/cases/") && to.ends_with("done=created"),
        "{to}"
    );
    assert_eq!(app.count("cases", "").await, before + 1);
    let (status, page) = app.get(&v, &to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("已提交，编号"),
        "a confirmation with the number"
    );
    assert!(page.contains("待受理"));
    assert!(page.contains("alert(1)"), "script tags are shown as text");
    assert!(!page.contains("<script>alert"));
    let id = to
        .trim_start_matches("/cases/")
        .split('?')
        .next()
        .unwrap()
        .to_string();

    // A photo from the phone: stored downscaled, shown on the page, served to those who
    // may read the case.
    let (_, page) = app.get(&v, &format!("/cases/{id}")).await;
    let csrf_v = csrf_of(&page);
    let img = image::RgbImage::from_pixel(2000, 1000, image::Rgb([10, 90, 200]));
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let r = v
        .post(app.url(&format!("/cases/{id}/attachments")))
        .header(
            reqwest::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={}", crate::import::BOUNDARY),
        )
        .body(crate::import::multipart(&csrf_v, "", "路灯.png", &png))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&v, &format!("/cases/{id}")).await;
    let marker = "<img src=\"/attachments/";
    let at = page.find(marker).expect("the photo is on the case page") + marker.len();
    let att_id = page[at..].split('"').next().unwrap().to_string();
    let r = v
        .get(app.url(&format!("/attachments/{att_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[reqwest::header::CONTENT_TYPE], "image/jpeg");
    // A file that is not what it claims: refused with the reason.
    let r = v
        .post(app.url(&format!("/cases/{id}/attachments")))
        .header(
            reqwest::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={}", crate::import::BOUNDARY),
        )
        .body(crate::import::multipart(&csrf_v, "", "证明.pdf", &png))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The cadre finds it in the village queue and works it from the case page.
    let cadre = app.login("village_cadre").await;
    let (status, inbox) = app.get(&cadre, "/inbox").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        inbox.contains("新案件"),
        "the cadre's inbox has the new case"
    );
    let (status, queue) = app.get(&cadre, "/cases?queue=org").await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains(&id), "the new case is in the cadre's queue");
    let (_, page) = app.get(&cadre, &format!("/cases/{id}")).await;
    let csrf = csrf_of(&page);
    let act = |action: &'static str, text: &'static str| {
        let cadre = cadre.clone();
        let url = app.url(&format!("/cases/{id}/act"));
        let csrf = csrf.clone();
        async move {
            cadre
                .post(url)
                .form(&[("csrf", csrf.as_str()), ("action", action), ("text", text)])
                .send()
                .await
                .unwrap()
        }
    };
    // Closing a case that was not even accepted: refused with the reason, on the page.
    let r = act("close", "").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("不允许"));
    for (action, text) in [
        ("accept", ""),
        ("dispatch", ""),
        ("start", ""),
        ("handle", "已到乡镇代办"),
    ] {
        let r = act(action, text).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{action}");
    }
    // The cadre handled it, so the cadre cannot verify it.
    let r = act("verify", "").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("办理人以外"));
    let (_, page) = app.get(&cadre, &format!("/cases/{id}")).await;
    assert!(
        page.contains("已到乡镇代办"),
        "the timeline shows the evidence"
    );
    assert!(page.contains("待核查"));
    // Another village's cadre does not see it.
    let other = app.login("village_cadre2").await;
    let (status, _) = app.get(&other, &format!("/cases/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&other, &format!("/attachments/{att_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The villager's list shows it; the number finds it.
    let (_, mine) = app.get(&v, "/cases").await;
    assert!(mine.contains(&id));
    let (_, _) = app.get(&v, "/cases").await;
    let (status, ind) = app.get(&cadre, "/cases/indicators").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ind.contains("按期办结率"));
}

async fn api_intake_is_idempotent_and_refuses_bad_input(app: Arc<TestApp>) {
    let t = token(&app, "village_cadre").await;
    let area = app.account("village_cadre").area_code.clone();
    let http = reqwest::Client::new();
    let post = |body: Value, key: Option<&'static str>| {
        let mut r = http
            .post(app.url("/api/v1/cases"))
            .bearer_auth(&t)
            .json(&body);
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        async move { r.send().await.unwrap() }
    };
    let body = json!({"type_code": "road_facility", "area_code": area, "description": "村西水泥路塌陷一个大坑"});
    let r = post(body.clone(), Some("api-1")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let first: Value = r.json().await.unwrap();
    let r = post(body.clone(), Some("api-1")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let again: Value = r.json().await.unwrap();
    assert_eq!(first["case"]["id"], again["case"]["id"]);
    assert_eq!(again["outcome"], "existing");
    // Without a key, the same report is offered as a duplicate.
    let r = post(body.clone(), None).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let dup: Value = r.json().await.unwrap();
    assert_eq!(dup["candidates"][0]["id"], first["case"]["id"]);
    // Bad input: clear errors naming the field; nothing written.
    let before = app.count("cases", "").await;
    let r = post(
        json!({"type_code": "nope", "area_code": area, "description": "x"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let huge = "坑".repeat(100_000);
    let r = post(
        json!({"type_code": "road_facility", "area_code": area, "description": huge}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["fields"][0]["field"], "description", "{v}");
    let r = post(
        json!({"type_code": "road_facility", "area_code": area}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("cases", "").await, before);
    // An impossible transition: 409 with the reason.
    let id = first["case"]["id"].as_str().unwrap();
    let r = http
        .post(app.url(&format!("/api/v1/cases/{id}/actions")))
        .bearer_auth(&t)
        .json(&json!({"action": "close"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "invalid_transition");
    let r = http
        .post(app.url(&format!("/api/v1/cases/{id}/actions")))
        .bearer_auth(&t)
        .json(&json!({"action": "accept"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "accepted");
    // The queue and the detail with its timeline.
    let r = http
        .get(app.url(&format!("/api/v1/cases/{id}")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["timeline"].as_array().unwrap().len(), 2);
    let r = http
        .get(app.url(&format!("/api/v1/cases/{id}/attachments")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap(), json!([]));
    // Mediation is for disputes only: 409 with the reason.
    let r = http
        .post(app.url(&format!("/api/v1/cases/{id}/mediation")))
        .bearer_auth(&t)
        .json(&json!({"step": "consent", "party": "a", "consent": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "not_a_dispute");
    let r = http
        .get(app.url("/api/v1/cases?queue=overdue"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["overdue"] == true));
}

async fn tips_stay_confidential(app: Arc<TestApp>) {
    let area = app.account("village_cadre").area_code.clone();
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/tips"))
        .json(&json!({"area_code": area, "body": "有人放高利贷并暴力催收"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    let code = v["receipt_code"].as_str().unwrap().to_string();
    let r = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/tips/status?code={code}")))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "received");
    let tip_id: String = sqlx::query_scalar("SELECT id FROM tips")
        .fetch_one(&app.core.db.read)
        .await
        .unwrap();
    for who in ["county_staff", "sysadmin", "auditadmin"] {
        let t = token(&app, who).await;
        let r = reqwest::Client::new()
            .get(app.url(&format!("/api/v1/tips/{tip_id}")))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert!(
            matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{who}: {}",
            r.status()
        );
    }
    // The villager's page: stored without the account, a receipt code shown once.
    let villager = app.account_by_role("villager").clone();
    let v = app.login(&villager.username).await;
    let (status, form) = app.get(&v, "/tips/new").await;
    assert_eq!(status, StatusCode::OK);
    let r = v
        .post(app.url("/tips"))
        .form(&[
            ("csrf", csrf_of(&form).as_str()),
            ("area_code", villager.area_code.as_str()),
            ("body", "短"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().await.unwrap().contains("线索内容"),
        "the field is named"
    );
    let r = v
        .post(app.url("/tips"))
        .form(&[
            ("csrf", csrf_of(&form).as_str()),
            ("area_code", villager.area_code.as_str()),
            ("body", "村里有人开设赌场，晚上聚众赌博"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    let at = page.find("<strong>").unwrap() + "<strong>".len();
    let receipt = page[at..].split('<').next().unwrap().to_string();
    let (_, status_page) = app.get(&v, &format!("/tips/status?code={receipt}")).await;
    assert!(status_page.contains("已收到"));
    let last = app
        .count(
            "audit_log",
            "action = 'tip.submit' AND actor_name = 'anonymous'",
        )
        .await;
    assert_eq!(last, 2, "no account is recorded with a tip");
    let officer = app.login("tip_officer").await;
    let (status, list) = app.get(&officer, "/tips").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!list.contains("赌场"), "the list shows no content");
    let cadre = app.login("village_cadre").await;
    let (status, _) = app.get(&cadre, "/tips").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let t = token(&app, "tip_officer").await;
    let r = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/tips/{tip_id}")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert!(v["body"].as_str().unwrap().contains("高利贷"));
    assert_eq!(app.count("audit_log", "action = 'tip.read'").await, 1);
    let (status, page) = app.get(&officer, &format!("/tips/{tip_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("高利贷"));
    assert_eq!(
        app.count("audit_log", "action = 'tip.read'").await,
        2,
        "every read"
    );
}

async fn county_edits_the_catalogue_with_clear_errors(app: Arc<TestApp>) {
    let county = app.login("county_staff").await;
    let (status, page) = app.get(&county, "/cases/catalogue").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("路灯不亮"));
    let csrf = csrf_of(&page);
    let sla = |n: &'static str| {
        let county = county.clone();
        let url = app.url("/cases/catalogue/sla");
        let csrf = csrf.clone();
        async move {
            county
                .post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("code", "streetlight"),
                    ("priority", "normal"),
                    ("kind", "working_days"),
                    ("n", n),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let r = sla("三天").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().await.unwrap().contains("时限："),
        "the field is named"
    );
    let r = sla("500").await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "more than 90 working days"
    );
    let r = sla("2").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&county, "/cases/catalogue").await;
    assert!(page.contains("2 个工作日"));
    let r = county
        .post(app.url("/cases/catalogue/holiday"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("day", "2026-13-40"),
            ("name", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A village cadre may not.
    let cadre = app.login("village_cadre").await;
    let (status, _) = app.get(&cadre, "/cases/catalogue").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, board) = app.get(&cadre, "/cases/board").await;
    assert_eq!(status, StatusCode::OK);
    assert!(board.contains("待派单"));
}

async fn duty_roster_sends_emergencies_to_whoever_is_on_duty(app: Arc<TestApp>) {
    let cadre = app.login("village_cadre").await;
    let (status, page) = app.get(&cadre, "/duty").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&page);
    let area = app.account("village_cadre").area_code.clone();
    let post = |username: &'static str, starts: String, ends: String| {
        let cadre = cadre.clone();
        let url = app.url("/duty");
        let (csrf, area) = (csrf.clone(), area.clone());
        async move {
            cadre
                .post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("area_code", area.as_str()),
                    ("username", username),
                    ("starts", starts.as_str()),
                    ("ends", ends.as_str()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let cst = |h: i64| {
        xiangzhi_core::clock::format_ms(xiangzhi_core::clock::now_ms() + h * 3_600_000)
            .replace(' ', "T")
    };
    // Ending before it starts, and somebody who does not work here: refused, with the field.
    let r = post("grid_worker", cst(2), cst(1)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("结束时间"),
        "the field at fault is named: {body}"
    );
    assert!(!body.contains("?："), "never a bare question mark");
    let r = post("village_cadre2", cst(-1), cst(8)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("duty_roster", "").await, 0);
    let r = post("grid_worker", cst(-1), cst(8)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&cadre, "/duty").await;
    assert!(page.contains("正在值班"), "{page}");
    // An emergency in the village reaches the grid worker on duty at once.
    let villager = app.account_by_role("villager").clone();
    let v = app.login(&villager.username).await;
    let (_, form) = app.get(&v, "/cases/new?type=emergency").await;
    assert!(form.contains("110"), "the emergency numbers come first");
    let r = v
        .post(app.url("/cases"))
        .form(&[
            ("csrf", csrf_of(&form).as_str()),
            ("type_code", "emergency"),
            ("area_code", villager.area_code.as_str()),
            ("description", "老人在家摔倒无法起身"),
            ("submission", "emergency-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let grid = app.actor("grid_worker").await;
    let n = app
        .count(
            "notifications",
            &format!("user_id = '{}' AND kind = 'case.emergency'", grid.user_id),
        )
        .await;
    assert_eq!(n, 1);
}

async fn search_over_http_stays_inside_the_readers_areas(app: Arc<TestApp>) {
    let http = reqwest::Client::new();
    let cadre = token(&app, "village_cadre").await;
    let cadre2 = token(&app, "village_cadre2").await;
    let area = app.account("village_cadre").area_code.clone();
    let r = http
        .post(app.url("/api/v1/cases"))
        .bearer_auth(&cadre)
        .header("Idempotency-Key", "search-1")
        .json(&json!({"type_code": "road_facility", "area_code": area,
            "description": "村北老槐树旁的变压器冒烟，电线耷拉到路面"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    let number = created["case"]["number"].as_str().unwrap().to_string();
    app.core.search.flush().await;

    let search = |tok: &str, query: &str| {
        let r = http
            .get(app.url("/api/v1/cases/search"))
            .bearer_auth(tok)
            .query(&[("q", query)])
            .send();
        async move { r.await.unwrap() }
    };
    // The village's cadre finds it by a word inside the text; the other village's cadre
    // does not, though the word is in the index.
    let r = search(&cadre, "变压器").await;
    assert_eq!(r.status(), StatusCode::OK);
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["items"][0]["number"], number.as_str());
    assert_eq!(page["items"][0]["status"], "reported");
    let page: Value = search(&cadre2, "变压器").await.json().await.unwrap();
    assert_eq!(page["total"], 0, "{page}");
    assert!(page["items"].as_array().unwrap().is_empty());
    // The county sees it, and finds it by its number too.
    let county = token(&app, "county_staff").await;
    let page: Value = search(&county, &number).await.json().await.unwrap();
    assert_eq!(page["items"][0]["number"], number.as_str(), "{page}");
    // Bad input names the field.
    let r = search(&cadre, "").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["fields"][0]["field"], "q", "{e}");
    let r = http
        .get(app.url("/api/v1/cases/search?q=%E8%B7%AF%E7%81%AF&sort=sideways"))
        .bearer_auth(&cadre)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["fields"][0]["field"], "sort", "{e}");
    // A villager has no case search.
    let villager = app.account_by_role("villager").username.clone();
    let vt = token(&app, &villager).await;
    assert_eq!(search(&vt, "变压器").await.status(), StatusCode::FORBIDDEN);

    // The page: results link to the case, the query is kept in the box and rendered inert.
    let c = app.login("village_cadre").await;
    let (status, html) = app
        .get(&c, "/cases/search?q=%E5%8F%98%E5%8E%8B%E5%99%A8")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&number), "{html}");
    assert!(html.contains("value=\"变压器\""), "{html}");
    let (status, html) = app
        .get(&c, "/cases/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script>alert(1)"), "{html}");
    let (status, html) = app.get(&c, "/cases/search?q=").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains(&number));

    // Rebuilding is for the county's catalogue keepers and the system administrator.
    let r = http
        .post(app.url("/api/v1/search/rebuild"))
        .bearer_auth(&cadre)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let admin = token(&app, "sysadmin").await;
    let r = http
        .post(app.url("/api/v1/search/rebuild"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let out: Value = r.json().await.unwrap();
    assert_eq!(
        out["cases"].as_i64().unwrap(),
        app.count("cases", "").await,
        "{out}"
    );
    let page: Value = search(&cadre, "变压器").await.json().await.unwrap();
    assert_eq!(page["total"], 1, "{page}");
}

crate::both_backends!(
    search_over_http_stays_inside_the_readers_areas,
    county_edits_the_catalogue_with_clear_errors,
    duty_roster_sends_emergencies_to_whoever_is_on_duty,
    villager_raises_and_cadre_works_it,
    api_intake_is_idempotent_and_refuses_bad_input,
    tips_stay_confidential
);
