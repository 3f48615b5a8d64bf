//! Decisions and disclosure over the JSON API: matters and meetings through their actions, a
//! secret ballot that never tells who chose what, publications from draft to release with
//! objections, the public reads without login, and bad input refused with the field and the
//! reason in the caller's language.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{new_client, TestApp};

const DAY_MS: i64 = 86_400_000;

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

/// A bearer-token client of the API.
pub struct Api<'a> {
    pub app: &'a TestApp,
    pub token: Option<String>,
    pub lang: &'static str,
}

impl<'a> Api<'a> {
    pub async fn of(app: &'a TestApp, username: &str) -> Api<'a> {
        Api {
            app,
            token: Some(token(app, username).await),
            lang: "zh",
        }
    }

    pub fn anonymous(app: &'a TestApp) -> Api<'a> {
        Api {
            app,
            token: None,
            lang: "zh",
        }
    }

    pub fn req(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let r = r.header("Cookie", format!("lang={}", self.lang));
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .req(new_client().get(self.app.url(path)))
            .send()
            .await
            .unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .req(new_client().post(self.app.url(path)))
            .json(&body)
            .send()
            .await
            .unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }
}

/// The first field error of an error body: (field, code, message).
pub fn field_error(v: &Value) -> (String, String, String) {
    let f = &v["fields"][0];
    (
        f["field"].as_str().unwrap_or_default().to_string(),
        f["code"].as_str().unwrap_or_default().to_string(),
        f["message"].as_str().unwrap_or_default().to_string(),
    )
}

async fn decisions_and_a_secret_ballot(app: Arc<TestApp>) {
    let cadre = Api::of(&app, "village_cadre").await;
    let village = app.account("village_cadre").area_code.clone();
    let now = xiangzhi_core::clock::now_ms();

    // Without a login: 401 in JSON.
    let (s, v) = Api::anonymous(&app).get("/api/v1/matters").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(v["error"].is_string());

    // A matter without a title: the field and the reason, in the caller's language.
    let bad = json!({"area_code": village, "type_code": "collective_project", "title": "",
        "matter_text": "拟建设村级冷库一座"});
    let (s, v) = cadre.post("/api/v1/matters", bad.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (field, code, msg) = field_error(&v);
    assert_eq!((field.as_str(), code.as_str()), ("title", "required"));
    assert!(
        msg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{msg}"
    );
    let en = Api {
        lang: "en",
        ..Api::of(&app, "village_cadre").await
    };
    let (_, v) = en.post("/api/v1/matters", bad).await;
    let (_, _, msg) = field_error(&v);
    assert!(msg.is_ascii() && !msg.is_empty(), "English message: {msg}");
    // An unknown type, a missing field.
    let (s, v) = cadre
        .post(
            "/api/v1/matters",
            json!({"area_code": village, "type_code": "nope", "title": "冷库", "matter_text": "冷库建设"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&v).0, "type_code");
    let (s, v) = cadre
        .post(
            "/api/v1/matters",
            json!({"area_code": village, "title": "冷库"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&v), field_error(&v));
    assert_eq!(field_error(&v).1, "required");

    // Two earlier matters, so the list has more than one page of two.
    for title in ["村内道路硬化", "文化广场照明"] {
        let (s, v) = cadre
            .post(
                "/api/v1/matters",
                json!({"area_code": village, "type_code": "collective_project", "title": title,
                    "matter_text": format!("拟实施{title}项目。")}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, m) = cadre
        .post(
            "/api/v1/matters",
            json!({"area_code": village, "type_code": "collective_project", "title": "村级冷库建设",
                "matter_text": "拟建设村级冷库一座，预算30万元。"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let matter_id = m["id"].as_str().unwrap().to_string();
    assert_eq!(m["stage"], "draft");
    let (s, d) = cadre.get(&format!("/api/v1/matters/{matter_id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(d["clearance"]["allowed"], false);
    assert_eq!(d["steps"].as_array().unwrap().len(), 1);
    // Out of order: 409 with the reason.
    let (s, v) = cadre
        .post(
            &format!("/api/v1/matters/{matter_id}/actions"),
            json!({"action": "complete", "note": "已完工"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["error"], "step_out_of_order");
    assert!(v["message"].as_str().unwrap().contains("不能跳步"));
    let (s, v) = cadre
        .post(
            &format!("/api/v1/matters/{matter_id}/actions"),
            json!({"action": "amend", "title": "村级冷库建设项目", "matter_text": "拟建设村级冷库一座，预算28万元。"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["title"], "村级冷库建设项目");
    // Another village's cadre does not see it.
    let other = Api::of(&app, "village_cadre2").await;
    assert_eq!(
        other.get(&format!("/api/v1/matters/{matter_id}")).await.0,
        StatusCode::NOT_FOUND
    );

    // Lists are paginated and scoped.
    let (s, p1) = cadre.get("/api/v1/matters?per_page=2").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    assert_eq!(p1["more"], true);
    assert_eq!(
        p1["items"][0]["id"],
        matter_id.as_str(),
        "latest change first"
    );
    let (_, p2) = cadre.get("/api/v1/matters?per_page=2&page=2").await;
    assert_ne!(p2["items"][0]["id"], p1["items"][0]["id"]);
    assert_ne!(p2["items"][0]["id"], p1["items"][1]["id"]);
    for m in p1["items"].as_array().unwrap() {
        assert!(m["area_code"].as_str().unwrap().starts_with(&village));
    }
    let (_, theirs) = other.get("/api/v1/matters?per_page=200").await;
    assert!(theirs["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["id"] != matter_id.as_str()));
    let (s, v) = cadre.get("/api/v1/matters?stage=bogus").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&v).0, "stage");
    let (s, _) = cadre.get("/api/v1/matters?area=999999999999").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "an area outside the scope");
    let (s, _) = cadre.get("/api/v1/matters?stage=draft").await;
    assert_eq!(s, StatusCode::OK);

    // A villagers' assembly needs ten days' notice: refused with the field.
    let (s, short) = cadre
        .post(
            "/api/v1/meetings",
            json!({"area_code": village, "meeting_kind": "villager_assembly", "title": "村民会议",
                "place": "村委会", "host": "主任", "scheduled_at": now + DAY_MS}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{short}");
    let (s, v) = cadre
        .post(
            &format!("/api/v1/meetings/{}/convene", short["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_error(&v),
        (
            "scheduled_at".to_string(),
            "notice_too_short".to_string(),
            field_error(&v).2
        )
    );
    let (s, v) = cadre
        .post(
            "/api/v1/meetings",
            json!({"area_code": village, "meeting_kind": "tea_party", "title": "会",
                "place": "村委会", "host": "主任", "scheduled_at": now}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&v).0, "meeting_kind");

    // The assembly with a secret ballot.
    let (s, mt) = cadre
        .post(
            "/api/v1/meetings",
            json!({"area_code": village, "meeting_kind": "villager_assembly", "title": "村民会议（无记名投票）",
                "place": "村委会", "host": "主任", "scheduled_at": now + 11 * DAY_MS,
                "agenda": [{"question": "是否同意村集体资产处置方案", "secret": true}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{mt}");
    let meeting_id = mt["id"].as_str().unwrap().to_string();
    let (s, v) = cadre
        .post(&format!("/api/v1/meetings/{meeting_id}/convene"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "convened");
    assert!(v["members"].as_i64().unwrap() > 3);
    let (_, detail) = cadre.get(&format!("/api/v1/meetings/{meeting_id}")).await;
    let vote_id = detail["votes"][0]["id"].as_str().unwrap().to_string();
    let villager = app.account_by_role("villager").clone();
    let villager_person = app
        .actor(&villager.username)
        .await
        .person_id
        .expect("the demo villager is a registered person");
    let roster: Vec<String> = detail["roster"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["person_id"].as_str().unwrap().to_string())
        .collect();
    assert!(roster.contains(&villager_person));
    let others: Vec<&String> = roster.iter().filter(|p| **p != villager_person).collect();
    let (a, b, absent) = (others[0].clone(), others[1].clone(), others[2].clone());
    // A proxy without its holder refuses the whole sheet.
    let (s, v) = cadre
        .post(
            &format!("/api/v1/meetings/{meeting_id}/attendance"),
            json!({"lines": [{"person_id": a, "presence": "present"},
                {"person_id": b, "presence": "proxy"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&v).0, "proxy_name");
    let (s, v) = cadre
        .post(
            &format!("/api/v1/meetings/{meeting_id}/attendance"),
            json!({"lines": [{"person_id": a, "presence": "here"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&v).0, "presence");
    let (s, v) = cadre
        .post(
            &format!("/api/v1/meetings/{meeting_id}/attendance"),
            json!({"lines": [{"person_id": a, "presence": "present"},
                {"person_id": b, "presence": "proxy", "proxy_name": "王五"},
                {"person_id": villager_person, "presence": "present"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let present = v["roster"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["presence"].is_null())
        .count();
    assert_eq!(present, 3);

    // Ballots: the clerk records two, the villager casts their own from the phone.
    let ballots = format!("/api/v1/votes/{vote_id}/ballots");
    let (s, v) = cadre
        .post(&ballots, json!({"person_id": a, "choice": "maybe"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&v).0, "choice");
    let (s, v) = cadre
        .post(&ballots, json!({"person_id": absent, "choice": "yes"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(
        (field_error(&v).0.as_str(), field_error(&v).1.as_str()),
        ("person_id", "not_present")
    );
    let (s, v) = cadre
        .post(&ballots, json!({"person_id": a, "choice": "yes"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v, json!({"recorded": true}), "the answer says nothing more");
    let (s, _) = cadre
        .post(&ballots, json!({"person_id": b, "choice": "no"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = cadre
        .post(&ballots, json!({"person_id": a, "choice": "no"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["error"], "already_voted");
    let own = Api::of(&app, &villager.username).await;
    let (s, v) = own.post(&ballots, json!({"choice": "abstain"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _) = own.post(&ballots, json!({"choice": "yes"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // A tally cannot overwrite recorded ballots.
    let (s, v) = cadre
        .post(
            &format!("/api/v1/votes/{vote_id}/tally"),
            json!({"yes": 3, "no": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["error"], "ballots_already_recorded");

    // The meeting shows the tally, never who chose what.
    let r = cadre
        .req(new_client().get(app.url(&format!("/api/v1/meetings/{meeting_id}"))))
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    let detail: Value = serde_json::from_str(&text).unwrap();
    let vote = &detail["votes"][0];
    assert_eq!(
        (&vote["yes"], &vote["no"], &vote["abstain"]),
        (&json!(1), &json!(1), &json!(1))
    );
    assert_eq!(vote["ballots"], json!([]));
    assert!(!text.contains("\"choice\""));
    // Nor the database, nor the audit log.
    assert_eq!(
        app.count("ballots", &format!("vote_id = '{vote_id}'"))
            .await,
        0
    );
    assert_eq!(
        app.count("secret_voters", &format!("vote_id = '{vote_id}'"))
            .await,
        3
    );
    assert_eq!(
        app.count(
            "audit_log",
            &format!("object_id = '{vote_id}' AND action = 'vote.cast_secret'")
        )
        .await,
        3
    );
    for p in [&a, &b, &villager_person] {
        assert_eq!(
            app.count(
                "audit_log",
                &format!("object_id = '{vote_id}' AND detail LIKE '%{p}%'")
            )
            .await,
            0,
            "the audit log does not name the voter next to the vote"
        );
    }
    for choice in ["yes", "no", "abstain"] {
        assert_eq!(
            app.count(
                "audit_log",
                &format!(
                    "object_id = '{vote_id}' AND action = 'vote.cast_secret' AND detail LIKE '%{choice}%'"
                )
            )
            .await,
            0
        );
    }

    // Close: the minutes are required; then every vote is decided.
    let (s, v) = cadre
        .post(
            &format!("/api/v1/meetings/{meeting_id}/close"),
            json!({"minutes": ""}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&v).0, "minutes");
    let (s, v) = cadre
        .post(
            &format!("/api/v1/meetings/{meeting_id}/close"),
            json!({"minutes": "会议记录：到会三人，不足法定人数。"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["meeting"]["status"], "closed");
    assert_eq!(v["meeting"]["attendees"], 3);
    assert_eq!(v["votes"][0]["outcome"]["quorum_met"], false);
    assert_eq!(v["votes"][0]["outcome"]["passed"], false);
    let (s, v) = cadre
        .post(&ballots, json!({"person_id": absent, "choice": "yes"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["error"], "meeting_closed");
    // The meetings list holds it.
    let (s, list) = cadre.get("/api/v1/meetings?per_page=200").await;
    assert_eq!(s, StatusCode::OK);
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == meeting_id.as_str()));

    // An open show of hands entered as a tally, on a meeting of the two committees that
    // moves the matter to step 2.
    let (s, mt) = cadre
        .post(
            "/api/v1/meetings",
            json!({"area_code": village, "meeting_kind": "two_committees", "title": "两委联席会议",
                "place": "村委会", "host": "书记", "scheduled_at": now,
                "agenda": [{"matter_id": matter_id, "question": "是否同意提交党员大会审议"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{mt}");
    let jid = mt["id"].as_str().unwrap().to_string();
    let (s, v) = cadre
        .post(&format!("/api/v1/meetings/{jid}/convene"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, d) = cadre.get(&format!("/api/v1/meetings/{jid}")).await;
    let lines: Vec<Value> = d["roster"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| json!({"person_id": r["person_id"], "presence": "present"}))
        .collect();
    let n = lines.len() as i64;
    let (s, v) = cadre
        .post(
            &format!("/api/v1/meetings/{jid}/attendance"),
            json!({"lines": lines}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let jvote = d["votes"][0]["id"].as_str().unwrap().to_string();
    let (s, v) = cadre
        .post(
            &format!("/api/v1/votes/{jvote}/tally"),
            json!({"yes": n + 1, "no": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&v).1, "tally_exceeds_attendance");
    let (s, _) = cadre
        .post(
            &format!("/api/v1/votes/{jvote}/tally"),
            json!({"yes": n, "no": 0, "abstain": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = cadre
        .post(
            &format!("/api/v1/meetings/{jid}/close"),
            json!({"minutes": "一致同意。"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["votes"][0]["outcome"]["passed"], true);
    let (_, d) = cadre.get(&format!("/api/v1/matters/{matter_id}")).await;
    assert_eq!(d["matter"]["stage"], "deliberated", "{d}");
    assert_eq!(d["votes"][0]["yes"], n);
}

async fn publications_and_the_public_reads(app: Arc<TestApp>) {
    let cadre = Api::of(&app, "village_cadre").await;
    let supervisor = Api::of(&app, "village_supervisor").await;
    let village = app.account("village_cadre").area_code.clone();
    let anon = Api::anonymous(&app);

    // Personal data never goes into public text: refused with the field.
    let draft = |content: &str| {
        json!({"area_code": village, "item_code": "government_work", "period": "2026-05",
            "title": "村道路灯维修公告", "content": content})
    };
    let (s, v) = cadre
        .post(
            "/api/v1/publications",
            draft("联系人身份证 11010519491231002X"),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(field_error(&v).0, "content");
    assert_eq!(field_error(&v).1, "public_id_number");
    let (s, v) = cadre
        .post("/api/v1/publications", draft("联系电话13812345678"))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&v).1, "public_phone");
    let (s, v) = cadre
        .post(
            "/api/v1/publications",
            json!({"area_code": village, "item_code": "no_such_item", "period": "2026-05",
                "title": "公告", "content": "内容"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&v).0, "item_code");

    let (s, p) = cadre
        .post(
            "/api/v1/publications",
            draft("本村主干道路灯十二盏已于五月维修完毕，费用由村集体支付。"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let id = p["id"].as_str().unwrap().to_string();
    assert_eq!(p["status"], "in_review");
    assert_eq!(p["manual"], true);
    // Not public yet; not released before the review.
    assert_eq!(
        anon.get(&format!("/api/v1/public/publications/{id}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (s, v) = cadre
        .post(&format!("/api/v1/publications/{id}/release"), json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["error"], "review_pending");
    // The cadre cannot review; the supervisor must give a reason to return.
    let (s, _) = cadre
        .post(
            &format!("/api/v1/publications/{id}/review"),
            json!({"approve": true}),
        )
        .await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "{s}"
    );
    let (s, v) = supervisor
        .post(
            &format!("/api/v1/publications/{id}/review"),
            json!({"approve": false, "note": ""}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&v).0, "note");
    let (s, v) = supervisor
        .post(
            &format!("/api/v1/publications/{id}/review"),
            json!({"approve": false, "note": "请写明维修费用金额"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "returned");
    let (s, v) = cadre
        .post(
            &format!("/api/v1/publications/{id}/revise"),
            json!({"title": "村道路灯维修公告", "content": "本村主干道路灯十二盏已于五月维修完毕，费用3600元由村集体支付。"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "in_review");
    let (s, _) = supervisor
        .post(
            &format!("/api/v1/publications/{id}/review"),
            json!({"approve": true, "note": "已核对"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, rel) = cadre
        .post(&format!("/api/v1/publications/{id}/release"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{rel}");
    assert_eq!(rel["status"], "released");
    let seq = rel["seq"].as_i64().unwrap();
    assert!(seq > 1, "the demo village has a chain already");
    let (s, v) = cadre
        .post(&format!("/api/v1/publications/{id}/release"), json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["error"], "publication_released");

    // Staff list: paginated, filtered by status.
    let (s, l) = cadre
        .get("/api/v1/publications?status=released&per_page=3")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(l["items"].as_array().unwrap().len(), 3);
    assert_eq!(l["more"], true);
    assert!(l["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["status"] == "released"));
    let (s, v) = cadre.get("/api/v1/publications?status=gone").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&v).0, "status");
    assert_eq!(
        anon.get("/api/v1/publications").await.0,
        StatusCode::UNAUTHORIZED
    );

    // The public reads: no login, no names.
    let r = new_client()
        .get(app.url(&format!("/api/v1/public/publications/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    let pubv: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(pubv["seq"], seq);
    assert_eq!(pubv["digest"], rel["hash"]);
    assert_eq!(pubv["prev_digest"], rel["prev_hash"]);
    let canonical = pubv["canonical_text"].as_str().unwrap();
    assert_eq!(
        xiangzhi_core::crypto::sm3_hex(canonical.as_bytes()),
        pubv["digest"].as_str().unwrap(),
        "the digest is the SM3 of the canonical text"
    );
    assert!(canonical.contains(pubv["prev_digest"].as_str().unwrap()));
    for name in ["村干部（演示）", "监督委员（演示）"] {
        assert!(!text.contains(name), "no names in the public copy");
    }
    assert!(pubv.get("created_by").is_none() && pubv.get("reviewed_by").is_none());
    // The previous publication on the chain ends in this one's previous digest.
    let (s, board) = anon
        .get(&format!("/api/v1/public/villages/{village}/publications"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let items = board["items"].as_array().unwrap();
    assert_eq!(items[0]["id"], id.as_str(), "newest first");
    assert!(items.iter().any(|i| i["digest"] == pubv["prev_digest"]));
    assert!(!items[0]["item_name"].as_str().unwrap().is_empty());
    assert_eq!(
        anon.get("/api/v1/public/villages/999999999999/publications")
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        anon.get("/api/v1/public/publications/nope").await.0,
        StatusCode::NOT_FOUND
    );

    // A villager objects; the cadre answers once; the public copy shows the answer.
    let villager = app.account_by_role("villager").clone();
    let own = Api::of(&app, &villager.username).await;
    let (s, v) = own
        .post(
            &format!("/api/v1/publications/{id}/objections"),
            json!({"text": ""}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&v).0, "text");
    let (s, o) = own
        .post(
            &format!("/api/v1/publications/{id}/objections"),
            json!({"text": "路灯只修了十盏"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let oid = o["id"].as_str().unwrap().to_string();
    let (s, _) = cadre
        .post(
            &format!("/api/v1/objections/{oid}/answer"),
            json!({"answer": "经核实共修十二盏，清单见村委会。"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = cadre
        .post(
            &format!("/api/v1/objections/{oid}/answer"),
            json!({"answer": "再次答复"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["error"], "objection_answered");
    let (_, d) = cadre.get(&format!("/api/v1/publications/{id}")).await;
    assert_eq!(
        d["objections"][0]["answer"],
        "经核实共修十二盏，清单见村委会。"
    );
    let (_, pubv) = anon.get(&format!("/api/v1/public/publications/{id}")).await;
    assert_eq!(
        pubv["objections"],
        json!([{"text": "路灯只修了十盏", "answer": "经核实共修十二盏，清单见村委会。"}])
    );

    // The document lists the new operations.
    let (s, doc) = anon.get("/api/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    for p in [
        "/api/v1/matters/{id}/actions",
        "/api/v1/votes/{id}/ballots",
        "/api/v1/public/publications/{id}",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p} documented");
    }
}

fn board_photo() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(1600, 1200, image::Rgb([230, 230, 210]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(
            &mut std::io::Cursor::new(&mut out),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    out
}

/// A multipart/form-data body: text fields, then one file.
pub fn multipart(fields: &[(&str, String)], file_field: &str, name: &str, file: &[u8]) -> Vec<u8> {
    let b = crate::import::BOUNDARY;
    let mut out = Vec::new();
    for (k, v) in fields {
        out.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    out.extend_from_slice(
        format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(file);
    out.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    out
}

async fn post_photo(
    api: &Api<'_>,
    id: &str,
    name: &str,
    bytes: Vec<u8>,
    fields: &[(&str, String)],
) -> (StatusCode, Value) {
    let r = api
        .req(new_client().post(api.app.url(&format!("/api/v1/publications/{id}/postings"))))
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={}", crate::import::BOUNDARY),
        )
        .body(multipart(fields, "photo", name, &bytes))
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn posting_evidence_over_the_api(app: Arc<TestApp>) {
    let cadre = Api::of(&app, "village_cadre").await;
    let supervisor = Api::of(&app, "village_supervisor").await;
    let township = Api::of(&app, "township_staff").await;
    let other = Api::of(&app, "village_cadre2").await;
    let village = app.account("village_cadre").area_code.clone();

    // A publication drafted, reviewed and released.
    let (s, p) = cadre
        .post(
            "/api/v1/publications",
            json!({"area_code": village, "item_code": "government_work", "period": "2026-06",
                "title": "夏季防汛值班安排", "content": "六月至八月村委会每日安排两人防汛值班。"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let id = p["id"].as_str().unwrap().to_string();
    let place = || vec![("place", "村委会公开栏".to_string())];
    // Not released yet: 409 with the reason.
    let (s, v) = post_photo(&cadre, &id, "board.jpg", board_photo(), &place()).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "publication_not_released");
    supervisor
        .post(
            &format!("/api/v1/publications/{id}/review"),
            json!({"approve": true}),
        )
        .await;
    let (s, _) = cadre
        .post(&format!("/api/v1/publications/{id}/release"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);

    // A PDF named .jpg, a missing place, a time in the future: the field and the reason.
    let (s, v) = post_photo(&cadre, &id, "board.jpg", b"%PDF-1.7\n".to_vec(), &place()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (field, code, msg) = field_error(&v);
    assert_eq!((field.as_str(), code.as_str()), ("photo", "photo_type"));
    assert!(msg.contains("照片"), "{msg}");
    let (s, v) = post_photo(&cadre, &id, "board.jpg", board_photo(), &[]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&v).0, "place");
    let later = xiangzhi_core::clock::now_ms() + 3 * DAY_MS;
    let mut f = place();
    f.push(("posted_at", later.to_string()));
    let (s, v) = post_photo(&cadre, &id, "board.jpg", board_photo(), &f).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_error(&v),
        ("posted_at".into(), "in_future".into(), field_error(&v).2)
    );
    let mut f = place();
    f.push(("lat", "north".to_string()));
    let (s, v) = post_photo(&cadre, &id, "board.jpg", board_photo(), &f).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&v).0, "lat");
    // The supervisor and another village's cadre cannot record it.
    let (s, _) = post_photo(&supervisor, &id, "board.jpg", board_photo(), &place()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = post_photo(&other, &id, "board.jpg", board_photo(), &place()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Recorded, with its position; the photo is downscaled and its digest kept.
    let mut f = place();
    f.push(("lat", "38.04".to_string()));
    f.push(("lon", "114.51".to_string()));
    let (s, x) = post_photo(&cadre, &id, "board.jpg", board_photo(), &f).await;
    assert_eq!(s, StatusCode::CREATED, "{x}");
    assert_eq!(x["place"], "村委会公开栏");
    assert_eq!(
        (x["photo_width"].as_i64(), x["photo_height"].as_i64()),
        (Some(1280), Some(960))
    );
    assert_eq!(x["lat"], 38.04);
    let posting = x["id"].as_str().unwrap().to_string();
    let (_, d) = supervisor.get(&format!("/api/v1/publications/{id}")).await;
    assert_eq!(d["postings"][0]["id"], posting.as_str());
    let r = supervisor
        .req(new_client().get(app.url(&format!("/api/v1/postings/{posting}/photo"))))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let bytes = r.bytes().await.unwrap();
    assert_eq!(
        xiangzhi_core::crypto::sm3_hex(&bytes),
        x["photo_digest"].as_str().unwrap()
    );
    assert_eq!(
        other
            .get(&format!("/api/v1/postings/{posting}/photo"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        Api::anonymous(&app)
            .get(&format!("/api/v1/postings/{posting}/photo"))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );

    // It cannot come down before the county's display days, in English too.
    let en = Api {
        lang: "en",
        ..Api::of(&app, "village_cadre").await
    };
    let (s, v) = en
        .post(
            &format!("/api/v1/postings/{posting}/take-down"),
            json!({"note": "换新公告"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (field, code, msg) = field_error(&v);
    assert_eq!(
        (field.as_str(), code.as_str()),
        ("removed_at", "display_days_not_met")
    );
    assert!(msg.is_ascii() && msg.contains("display days"), "{msg}");

    // The overview: this one is posted; the demo history's releases without a photo (every
    // seventh village, the last six weeks) are listed with the days past the allowance,
    // longest first.
    let county = Api::of(&app, "county_staff").await;
    let (s, all) = county.get("/api/v1/publications/unposted").await;
    assert_eq!(s, StatusCode::OK, "{all}");
    let all = all.as_array().unwrap();
    assert!(
        !all.is_empty(),
        "the demo history has releases without posting evidence"
    );
    assert!(all.iter().all(|x| x["publication"]["id"] != id.as_str()));
    assert!(all.iter().all(|x| x["days_late"].as_i64().unwrap() >= 0));
    let (s, u) = township.get("/api/v1/publications/unposted").await;
    assert_eq!(s, StatusCode::OK, "{u}");
    let u = u.as_array().unwrap();
    assert!(u.len() <= all.len());
    assert!(u.iter().all(|x| x["publication"]["status"] == "released"));
    assert!(u
        .windows(2)
        .all(|w| w[0]["days_late"].as_i64() >= w[1]["days_late"].as_i64()));
    let (_, mine) = other.get("/api/v1/publications/unposted").await;
    let theirs = app.account("village_cadre2").area_code.clone();
    assert!(mine
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["publication"]["area_code"]
            .as_str()
            .unwrap()
            .starts_with(&theirs)));

    // The pages: the cadre records a second posting from the phone's form, the publication
    // page shows both photos, a take-down too early is refused in words; the township's
    // desk lists the releases without evidence.
    let web = app.login("village_cadre").await;
    let (s, page) = app.get(&web, &format!("/disclosure/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("enctype=\"multipart/form-data\""),
        "the posting form"
    );
    let csrf = crate::helpers::csrf_of(&page);
    let body = multipart(
        &[
            ("csrf", csrf.clone()),
            ("place", "二组活动室门口".to_string()),
            ("posted_at", String::new()),
            ("lat", String::new()),
            ("lon", String::new()),
        ],
        "photo",
        "二组.jpg",
        &board_photo(),
    );
    let r = web
        .post(app.url(&format!("/disclosure/{id}/postings")))
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={}", crate::import::BOUNDARY),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&web, &format!("/disclosure/{id}")).await;
    assert!(page.contains("二组活动室门口") && page.contains("村委会公开栏"));
    assert_eq!(page.matches("<img src=\"/disclosure/postings/").count(), 2);
    let r = web
        .get(app.url(&format!("/disclosure/postings/{posting}/photo")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let r = web
        .post(app.url(&format!("/disclosure/postings/{posting}/take-down")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("publication_id", id.as_str()),
            ("note", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("最短公开天数"));
    let tw = app.login("township_staff").await;
    let (s, desk) = app.get(&tw, "/disclosure").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        desk.contains(&format!("已发布未见张贴照片 ({})", u.len())),
        "the count on the desk"
    );

    // A demo release without a photo says on its page how far past the allowance it is.
    let cw = app.login("county_staff").await;
    let x = &all[0];
    let (s, page) = app
        .get(
            &cw,
            &format!("/disclosure/{}", x["publication"]["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains(&format!("已超过发布后登记期限（天）： {}", x["days_late"])),
        "the page counts the days"
    );

    let (s, doc) = Api::anonymous(&app).get("/api/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    for p in [
        "/api/v1/publications/{id}/postings",
        "/api/v1/postings/{id}/take-down",
        "/api/v1/publications/unposted",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p} documented");
    }
}

crate::both_backends!(
    decisions_and_a_secret_ballot,
    publications_and_the_public_reads,
    posting_evidence_over_the_api
);
