//! 民主评议 over HTTP: the supervisory committee opens the year's appraisal of the demo
//! village's cadres, enters paper ballots from the representatives, and closes it; the
//! tallies stay hidden until then, bad input names the field, and the pages render.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::civic_api::{field_error, Api};
use crate::helpers::TestApp;

async fn appraisal_over_the_api_and_pages(app: Arc<TestApp>) {
    let supervisor = Api::of(&app, "village_supervisor").await;
    let cadre = Api::of(&app, "village_cadre").await;
    let village = app.account("village_supervisor").area_code.clone();
    let year = i64::from(xiangzhi_core::clock::year_of(xiangzhi_core::clock::now_ms()));
    // The test's small demo village has few representatives: the registry marks up to four
    // more adults who are not cadres.
    // The demo villager is one of them, and votes from the phone below.
    let vuser = app.account_by_role("villager").username.clone();
    let vperson = app.actor(&vuser).await.person_id.unwrap();
    {
        let mut c = app.core.db.write.acquire().await.unwrap();
        // (The demo's villager holds no office in the village.)
        sqlx::query("UPDATE persons SET is_representative = 1 WHERE id = $1")
            .bind(&vperson)
            .execute(&mut *c)
            .await
            .unwrap();
        sqlx::query(
            "UPDATE persons SET is_representative = 1 WHERE id IN (SELECT id FROM persons \
             WHERE area_code LIKE $1 || '%' AND is_cadre = 0 AND status = 'active' \
             AND birth_date <= '2006-01-01' ORDER BY id LIMIT 4)",
        )
        .bind(&village)
        .execute(&mut *c)
        .await
        .unwrap();
    }
    let (cadres, reps) = {
        let mut c = app.core.db.read.acquire().await.unwrap();
        (
            xiangzhi_core::appraisal::store::cadres(&mut c, &village)
                .await
                .unwrap(),
            xiangzhi_core::appraisal::store::representatives(&mut c, &village)
                .await
                .unwrap(),
        )
    };
    assert!(
        cadres.len() >= 3 && reps.len() >= 3,
        "{} {}",
        cadres.len(),
        reps.len()
    );
    let subjects: Vec<Value> = cadres
        .iter()
        .take(3)
        .zip(["村委会主任", "村委会委员", "报账员"])
        .map(|((id, _), post)| json!({"person_id": id, "post": post}))
        .collect();

    // The cadres do not host their own appraisal; the fields at fault are named.
    let (s, _) = cadre
        .post(
            "/api/v1/appraisals",
            json!({"area_code": village, "year": year, "subjects": subjects}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = supervisor
        .post(
            "/api/v1/appraisals",
            json!({"area_code": village, "year": year, "subjects": []}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(field_error(&v).0, "subjects");
    let (s, v) = supervisor
        .post(
            "/api/v1/appraisals",
            json!({"area_code": village, "year": year,
                "subjects": [{"person_id": reps[0].0, "post": "委员"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&v).1, "not_a_cadre");

    let (s, a) = supervisor
        .post(
            "/api/v1/appraisals",
            json!({"area_code": village, "year": year, "subjects": subjects}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let id = a["id"].as_str().unwrap().to_string();
    assert_eq!(a["evaluators"].as_i64().unwrap(), reps.len() as i64);
    let (s, v) = supervisor
        .post(
            "/api/v1/appraisals",
            json!({"area_code": village, "year": year, "subjects": subjects}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["error"], "appraisal_exists");

    // Paper ballots from more than half of the representatives: the chair 不称职 on all.
    let grades = |g: [&str; 3]| -> Vec<Value> {
        cadres
            .iter()
            .take(3)
            .zip(g)
            .map(|((id, _), g)| json!({"person_id": id, "grade": g}))
            .collect()
    };
    let half = reps.len() / 2 + 1;
    let others: Vec<&String> = reps
        .iter()
        .map(|r| &r.0)
        .filter(|r| **r != vperson)
        .collect();
    assert!(others.len() >= half);
    for rep in others.iter().take(half) {
        let (s, v) = supervisor
            .post(
                &format!("/api/v1/appraisals/{id}/ballots"),
                json!({"evaluator": rep, "grades": grades(["incompetent", "competent", "excellent"])}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, v) = supervisor
        .post(
            &format!("/api/v1/appraisals/{id}/ballots"),
            json!({"evaluator": others[0], "grades": grades(["basic", "basic", "basic"])}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["error"], "already_appraised");
    let (s, v) = supervisor
        .post(
            &format!("/api/v1/appraisals/{id}/ballots"),
            json!({"evaluator": reps[half].0, "grades": grades(["great", "basic", "basic"])}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&v).0, "grade");
    let mut two = grades(["basic", "basic", "basic"]);
    two.pop();
    let (s, v) = supervisor
        .post(
            &format!("/api/v1/appraisals/{id}/ballots"),
            json!({"evaluator": reps[half].0, "grades": two}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_error(&v),
        (
            "grades".into(),
            "grade_every_cadre".into(),
            field_error(&v).2
        )
    );

    // Hidden while open.
    let (s, d) = supervisor.get(&format!("/api/v1/appraisals/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(d["appraisal"]["ballots"].as_i64().unwrap(), half as i64);
    assert!(d["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["incompetent"] == 0 && s["verdict"].is_null()));

    // The villager finds the ballot under 我的 → 民主评议 and grades every cadre.
    let phone = app.login(&vuser).await;
    let (s, page) = app.get(&phone, "/me").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("href=\"/appraisals\""));
    let (s, page) = app.get(&phone, "/appraisals").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(
        page.contains(&format!("/appraisals/{id}")),
        "waiting for my ballot"
    );
    let (s, page) = app.get(&phone, &format!("/appraisals/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("name=\"grade_"), "the ballot form");
    let csrf = crate::helpers::csrf_of(&page);
    let mut form = vec![("csrf".to_string(), csrf)];
    for (cid, _) in cadres.iter().take(3) {
        form.push((format!("grade_{cid}"), "competent".to_string()));
    }
    let r = phone
        .post(app.url(&format!("/appraisals/{id}/ballot")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&phone, &format!("/appraisals/{id}")).await;
    assert!(page.contains("您已投票") && !page.contains("name=\"grade_"));

    // The pages: the list with the open form, the appraisal with the paper-ballot form.
    let web = app.login("village_supervisor").await;
    let (s, page) = app.get(&web, "/appraisals").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&format!("/appraisals/{id}")));
    let (s, page) = app.get(&web, &format!("/appraisals/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("录入纸质评议票") && page.contains("结束评议并计票"));

    // Close: the chair's verdict is 不称职 (the first time, so the office goes on).
    let (s, d) = supervisor
        .post(&format!("/api/v1/appraisals/{id}/close"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["appraisal"]["status"], "closed");
    assert_eq!(d["appraisal"]["valid"], true);
    let chair = d["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["post"] == "村委会主任")
        .unwrap()
        .clone();
    assert_eq!(chair["verdict"], "incompetent");
    assert_eq!(chair["incompetent"].as_i64().unwrap(), half as i64);
    assert_eq!(
        chair["competent"].as_i64().unwrap(),
        1,
        "the villager's ballot"
    );
    assert_eq!(d["appraisal"]["ballots"].as_i64().unwrap(), half as i64 + 1);
    assert_eq!(chair["terminates"], false);
    let (s, v) = supervisor
        .post(&format!("/api/v1/appraisals/{id}/close"), json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["error"], "appraisal_closed");
    let (_, page) = app.get(&web, &format!("/appraisals/{id}")).await;
    assert!(page.contains("不称职"));

    // Another village's cadre does not find it; the document lists the operations.
    let other = Api::of(&app, "village_cadre2").await;
    assert_eq!(
        other.get(&format!("/api/v1/appraisals/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, doc) = Api::anonymous(&app).get("/api/openapi.json").await;
    for p in ["/api/v1/appraisals", "/api/v1/appraisals/{id}/ballots"] {
        assert!(doc["paths"].get(p).is_some(), "{p} documented");
    }
}

crate::both_backends!(appraisal_over_the_api_and_pages);
