//! Levy plans and villagers' voice over HTTP: a cadre creates a plan through the form (a plan
//! above the cap is refused at the field and writes nothing), approves it only under a
//! resolution, records a payment; a villager posts a suggestion from the phone page and the
//! cadre answers it; a second vote in a poll is refused; the township reviews bylaws with
//! their flagged clauses; every page renders in Chinese and English without a missing text.

use std::sync::Arc;

use reqwest::{Client, StatusCode};
use xiangzhi_core::levy::service as levy;
use xiangzhi_core::levy::Resolution;

use crate::helpers::{csrf_of, TestApp};

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// The text of a page without its tags: a missing translation shows as a bare "?".
fn assert_translated(path: &str, html: &str) {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(ch),
            _ => {}
        }
    }
    assert!(
        !text.contains('?'),
        "{path} shows an untranslated text:\n{text}"
    );
}

async fn post(
    app: &TestApp,
    client: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let r = client.post(app.url(path)).form(form).send().await.unwrap();
    let status = r.status();
    let to = location(&r);
    (status, to, r.text().await.unwrap())
}

async fn csrf(app: &TestApp, client: &Client, path: &str) -> String {
    let (status, body) = app.get(client, path).await;
    assert_eq!(status, StatusCode::OK, "{path}:\n{body}");
    csrf_of(&body)
}

async fn cadre_creates_a_plan_and_records_a_payment(app: Arc<TestApp>) {
    let cadre_acc = app.account("village_cadre").clone();
    let village = cadre_acc.area_code.clone();
    let cadre = app.login("village_cadre").await;

    let (status, body) = app.get(&cadre, "/levy/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(&format!("value=\"{village}\"")), "{body}");
    assert!(
        body.contains("上限：15.00"),
        "the cap is shown at the field"
    );
    let token = csrf_of(&body);

    // One cent above the county's cap of 15 yuan: refused at the field, nothing written.
    let plans_before = app.count("levy_plans", "").await;
    let audit_before = app.count("audit_log", "action LIKE 'levy.%'").await;
    let mut form = vec![
        ("csrf", token.as_str()),
        ("area_code", village.as_str()),
        ("title", "村东道路硬化"),
        ("project_kind", "village_road"),
        ("year", "2026"),
        ("budget", "80000"),
        ("per_person", "15.01"),
        ("workdays", "5"),
    ];
    let (status, _, body) = post(&app, &cadre, "/levy", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"per_person-err\""), "{body}");
    assert!(body.contains("超过本省筹资筹劳上限"), "{body}");
    assert!(
        body.contains("上限：15.00 元/人·年"),
        "the cap in the error"
    );
    assert!(body.contains("村东道路硬化"), "what was typed is kept");
    assert_eq!(app.count("levy_plans", "").await, plans_before);
    assert_eq!(
        app.count("audit_log", "action LIKE 'levy.%'").await,
        audit_before
    );

    // Not an amount at all: said at the field too.
    form[6] = ("per_person", "十五");
    let (status, _, body) = post(&app, &cadre, "/levy", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("请按元填写金额"), "{body}");
    assert_eq!(app.count("levy_plans", "").await, plans_before);

    // 12.50 yuan is kept as exactly 1250 cents.
    form[6] = ("per_person", "12.50");
    let (status, to, _) = post(&app, &cadre, "/levy", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        to.starts_with("/levy/") && to.ends_with("?done=created"),
        "{to}"
    );
    let id = to
        .trim_start_matches("/levy/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        app.count(
            "levy_plans",
            &format!("id = '{id}' AND per_person_cents = 1250 AND budget_cents = 8000000")
        )
        .await,
        1
    );
    let (status, page) = app.get(&cadre, &to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("方案草稿已保存"), "a confirmation");
    assert!(page.contains("草稿"));
    assert!(page.contains("分户名册"));
    let token = csrf_of(&page);

    // A person-level exemption while the plan is a draft, from the household's members.
    let actor = app.actor("village_cadre").await;
    let draft = levy::get(&app.core, &actor, &id).await.unwrap();
    let first = draft.households[0].household_id.clone();
    let (_, members) = xiangzhi_core::people::service::household(&app.core, &actor, &first)
        .await
        .unwrap();
    let (status, page) = app
        .get(&cadre, &format!("/levy/{id}?household={first}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("value=\"{}\"", members[0].id)),
        "members offered"
    );
    let (status, to, body) = post(
        &app,
        &cadre,
        &format!("/levy/{id}/exemptions"),
        &[
            ("csrf", token.as_str()),
            ("household_id", first.as_str()),
            ("person_id", members[0].id.as_str()),
            ("kind", "student"),
            ("note", "在县一中读高中"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert!(to.ends_with("done=exempted"), "{to}");
    assert_eq!(app.count("levy_exemptions", "").await, 1);
    let (_, page) = app.get(&cadre, &to).await;
    assert!(page.contains("在校学生"), "the exemption is listed");

    // No decided deliberation matter: approval is refused, and says why.
    let (status, _, body) = post(
        &app,
        &cadre,
        &format!("/levy/{id}/approve"),
        &[("csrf", token.as_str()), ("matter_id", "no-such-matter")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("表决通过后才能批准"), "{body}");

    // Approved under a passed resolution (as the deliberation pages would supply it).
    levy::approve(
        &app.core,
        &actor,
        &id,
        &Resolution {
            matter_id: "matter-road-2026".into(),
            passed: true,
            decided_at: xiangzhi_core::clock::now_ms(),
        },
    )
    .await
    .unwrap();
    let view = levy::get(&app.core, &actor, &id).await.unwrap();
    let line = view
        .households
        .iter()
        .find(|h| h.account.amount_cents > 0)
        .expect("a household that owes money")
        .clone();

    // A payment of 12.5 yuan from the household's row.
    let (status, page) = app
        .get(
            &cadre,
            &format!("/levy/{id}?household={}", line.household_id),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("登记缴款或出工"));
    let (status, to, _) = post(
        &app,
        &cadre,
        &format!("/levy/{id}/collect"),
        &[
            ("csrf", token.as_str()),
            ("household_id", line.household_id.as_str()),
            ("kind", "payment"),
            ("amount", "12.5"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let after = levy::get(&app.core, &actor, &id).await.unwrap();
    let paid = after
        .households
        .iter()
        .find(|h| h.household_id == line.household_id)
        .unwrap()
        .account
        .paid_cents;
    assert_eq!(paid, 1250);
    assert_eq!(after.plan.status.as_str(), "collecting");

    // More than the household owes is refused and nothing more is recorded.
    let payments = app.count("levy_payments", "").await;
    let (status, _, body) = post(
        &app,
        &cadre,
        &format!("/levy/{id}/collect"),
        &[
            ("csrf", token.as_str()),
            ("household_id", line.household_id.as_str()),
            ("kind", "payment"),
            ("amount", "999999"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("超出该户应缴"), "{body}");
    assert_eq!(app.count("levy_payments", "").await, payments);

    // The list shows the plan with what was collected.
    let (status, list) = app.get(&cadre, "/levy").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("村东道路硬化"));
    assert!(list.contains("收取中"));
    assert!(list.contains("12.50 /"), "{list}");

    // The award subsidy: the village applies, the township reviews on the same page.
    let (status, to, body) = post(
        &app,
        &cadre,
        &format!("/levy/{id}/subsidy"),
        &[("csrf", token.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert!(to.ends_with("done=applied"), "{to}");
    let township = app.login("township_staff").await;
    let (status, page) = app.get(&township, &format!("/levy/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("待乡镇审核"));
    assert!(
        page.contains("value=\"township_review\""),
        "the township's step"
    );
    assert!(
        !page.contains("action=\"/levy/{id}/collect\""),
        "no collection form for the township"
    );
    let sid: String = sqlx::query_scalar("SELECT id FROM levy_subsidies WHERE plan_id = $1")
        .bind(id.clone())
        .fetch_one(&app.core.db.read)
        .await
        .unwrap();
    let t_token = csrf_of(&page);
    let (status, _, body) = post(
        &app,
        &township,
        &format!("/levy/{id}/subsidy/{sid}"),
        &[("csrf", t_token.as_str()), ("step", "township_review")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (_, page) = app.get(&cadre, &format!("/levy/{id}")).await;
    assert!(page.contains("待县级审批"), "{page}");
    assert!(
        !page.contains("value=\"county_approve\""),
        "not the village's step"
    );

    // The disclosure draft goes to the supervisors' review.
    xiangzhi_core::disclosure::service::ensure_catalogue(
        &app.core,
        &xiangzhi_core::areas::code::county_of(&village),
    )
    .await
    .unwrap();
    let (status, to, _) = post(
        &app,
        &cadre,
        &format!("/levy/{id}/publish"),
        &[("csrf", token.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(to.contains("done=published"), "{to}");
    assert_eq!(
        app.count(
            "publications",
            &format!("source_id = '{id}' AND item_code = 'levy'")
        )
        .await,
        1
    );
}

async fn villager_speaks_up_and_the_cadre_answers(app: Arc<TestApp>) {
    let villager_acc = app.account_by_role("villager").clone();
    let villager = app.login(&villager_acc.username).await;
    let (status, page) = app.get(&villager, "/suggestions").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("bottom-nav"), "the phone shell");
    assert!(
        page.contains("href=\"/suggestions\" aria-current=\"page\""),
        "the 说事 tab is current"
    );
    let token = csrf_of(&page);

    // Nothing written: the message at the field.
    let (status, _, body) = post(
        &app,
        &villager,
        "/suggestions",
        &[
            ("csrf", token.as_str()),
            ("area_code", villager_acc.area_code.as_str()),
            ("text", "  "),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"text-err\""), "{body}");

    let (status, to, _) = post(
        &app,
        &villager,
        "/suggestions",
        &[
            ("csrf", token.as_str()),
            ("area_code", villager_acc.area_code.as_str()),
            ("text", "村口路灯坏了三个月，晚上看不见路"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to, "/suggestions?done=posted");
    let (_, page) = app.get(&villager, &to).await;
    assert!(page.contains("已交给村委会"));
    assert!(page.contains("村口路灯坏了三个月"));
    assert!(page.contains("待答复"));

    // A second one whose deadline has passed shows overdue, in red and in words.
    post(
        &app,
        &villager,
        "/suggestions",
        &[
            ("csrf", token.as_str()),
            ("area_code", villager_acc.area_code.as_str()),
            ("text", "希望村里修一个健身广场"),
        ],
    )
    .await;
    let late: String = sqlx::query_scalar("SELECT id FROM suggestions WHERE text = $1")
        .bind("希望村里修一个健身广场")
        .fetch_one(&app.core.db.read)
        .await
        .unwrap();
    sqlx::query("UPDATE suggestions SET due_at = $1 WHERE id = $2")
        .bind(xiangzhi_core::clock::now_ms() - 3 * 24 * 3600 * 1000 - 1000)
        .bind(late.clone())
        .execute(&app.core.db.write)
        .await
        .unwrap();

    let cadre = app.login("village_cadre").await;
    let (status, page) = app.get(&cadre, "/suggestions").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("村口路灯坏了三个月"));
    assert!(page.contains("class=\"overdue\">已逾期 3 天"), "{page}");
    let id: String = sqlx::query_scalar("SELECT id FROM suggestions WHERE text = $1")
        .bind("村口路灯坏了三个月，晚上看不见路")
        .fetch_one(&app.core.db.read)
        .await
        .unwrap();
    let token = csrf_of(&page);
    // Declining needs a reason.
    let (status, _, body) = post(
        &app,
        &cadre,
        &format!("/suggestions/{id}/answer"),
        &[
            ("csrf", token.as_str()),
            ("outcome", "declined"),
            ("text", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("理由"), "{body}");
    let (status, to, _) = post(
        &app,
        &cadre,
        &format!("/suggestions/{id}/answer"),
        &[
            ("csrf", token.as_str()),
            ("outcome", "answered"),
            ("text", "已报乡镇，下周三前换好路灯"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to, "/suggestions?done=answered");

    let (_, page) = app.get(&villager, "/suggestions").await;
    assert!(page.contains("已报乡镇，下周三前换好路灯"), "{page}");
    assert!(page.contains("已答复"));
}

async fn a_second_vote_is_refused(app: Arc<TestApp>) {
    let village = app.account("village_cadre").area_code.clone();
    let cadre = app.login("village_cadre").await;
    let token = csrf(&app, &cadre, "/polls").await;
    let closes = (0..7)
        .fold(xiangzhi_core::clock::today(), |d, _| d.succ_opt().unwrap())
        .to_string();
    let (status, to, body) = post(
        &app,
        &cadre,
        "/polls",
        &[
            ("csrf", token.as_str()),
            ("area_code", village.as_str()),
            ("question", "村东小路是否硬化？"),
            ("options", "硬化\n暂不硬化\n"),
            ("closes_on", closes.as_str()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert!(to.ends_with("done=opened"), "{to}");

    let villager_acc = app.account_by_role("villager").clone();
    let villager = app.login(&villager_acc.username).await;
    let (status, page) = app.get(&villager, "/polls").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("村东小路是否硬化"));
    assert!(page.contains("name=\"option\""), "the ballot");
    assert!(!page.contains("poll-result"), "no results before voting");
    let poll_id: String = sqlx::query_scalar("SELECT id FROM polls")
        .fetch_one(&app.core.db.read)
        .await
        .unwrap();
    let token = csrf_of(&page);
    let vote = [
        ("csrf", token.as_str()),
        ("option", "0"),
        ("area", villager_acc.area_code.as_str()),
    ];
    let (status, _, _) = post(&app, &villager, &format!("/polls/{poll_id}/vote"), &vote).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = app.get(&villager, "/polls").await;
    assert!(page.contains("您已投票"));
    assert!(page.contains("poll-result"), "results after voting");
    assert!(page.contains("1 · 100%"), "{page}");
    assert!(!page.contains("name=\"option\""), "no second ballot");

    // Posting the ballot again (an old page, a double tap) is refused and says so.
    let again = [
        ("csrf", token.as_str()),
        ("option", "1"),
        ("area", villager_acc.area_code.as_str()),
    ];
    let (status, _, body) = post(&app, &villager, &format!("/polls/{poll_id}/vote"), &again).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("每人只能投一次"), "{body}");
    assert_eq!(app.count("poll_votes", "").await, 1);
}

const BYLAW: &str = "第一条 本村村民应当遵守国家法律法规，爱护公共设施。\n\
第二条 对不按时缴纳卫生费的农户，取消其当年低保资格。\n\
第三条 孝敬老人，尊重妇女，关爱儿童。";

async fn pages_render_in_both_languages(app: Arc<TestApp>) {
    let village = app.account("village_cadre").area_code.clone();
    let cadre = app.login("village_cadre").await;
    let actor = app.actor("village_cadre").await;
    let plan = levy::create_plan(
        &app.core,
        &actor,
        &xiangzhi_core::levy::PlanInput {
            area_code: village.clone(),
            matter_id: None,
            title: "Well".into(),
            project_kind: "drinking_water".into(),
            year: 2026,
            budget_cents: 100_000,
            per_person_cents: 1000,
            workdays_per_labourer: 2,
            reference_date: None,
        },
    )
    .await
    .unwrap();

    // A bylaw with a clause that takes away dibao, adopted and filed through the forms.
    let token = csrf(&app, &cadre, "/bylaws").await;
    let (status, _, body) = post(
        &app,
        &cadre,
        "/bylaws",
        &[
            ("csrf", token.as_str()),
            ("area_code", village.as_str()),
            ("text", BYLAW),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let township = app.login("township_staff").await;
    let (status, page) = app.get(&township, &format!("/bylaws?area={village}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("登记备案"), "the township files it");
    let bylaw_id: String = sqlx::query_scalar(
        "SELECT id FROM bylaws WHERE area_code = $1 ORDER BY version DESC LIMIT 1",
    )
    .bind(&village)
    .fetch_one(&app.core.db.read)
    .await
    .unwrap();
    let today = xiangzhi_core::clock::today().to_string();
    let token = csrf_of(&page);
    let (status, _, body) = post(
        &app,
        &township,
        &format!("/bylaws/{bylaw_id}/file"),
        &[
            ("csrf", token.as_str()),
            ("area", village.as_str()),
            ("filed_on", today.as_str()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (_, page) = app.get(&township, &format!("/bylaws?area={village}")).await;
    assert!(page.contains("class=\"flagged\""), "{page}");
    assert!(page.contains("取消其当年低保资格"));
    assert!(page.contains("提交审查结果"), "the review form");

    let villager_acc = app.account_by_role("villager").clone();
    let villager = app.login(&villager_acc.username).await;
    let staff_pages = [
        "/levy".to_string(),
        "/levy/new".to_string(),
        format!("/levy/{}", plan.id),
        "/suggestions".to_string(),
        "/polls".to_string(),
        "/bylaws".to_string(),
    ];
    let villager_pages = ["/suggestions", "/polls", "/bylaws", "/me"];
    // Levy plans are staff pages: a villager is told so, in words.
    let (status, body) = app.get(&villager, "/levy").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    for lang in ["zh", "en"] {
        for client in [&cadre, &township, &villager] {
            let r = client
                .get(app.url(&format!("/settings/lang?to={lang}&back=/")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
        }
        let want = if lang == "en" {
            "<html lang=\"en\""
        } else {
            "<html lang=\"zh-CN\""
        };
        for path in &staff_pages {
            for (who, client) in [("cadre", &cadre), ("township", &township)] {
                if who == "township" && path == "/levy/new" {
                    continue;
                }
                let (status, body) = app.get(client, path).await;
                assert_eq!(status, StatusCode::OK, "{who} {path} ({lang}):\n{body}");
                assert!(body.contains(want), "{path} in {lang}");
                assert_translated(path, &body);
            }
        }
        for path in villager_pages {
            let (status, body) = app.get(&villager, path).await;
            assert_eq!(status, StatusCode::OK, "villager {path} ({lang}):\n{body}");
            assert!(body.contains(want));
            assert_translated(path, &body);
        }
    }
    let (_, body) = app.get(&cadre, "/levy").await;
    assert!(body.contains("Levy plans"), "{body}");
    let (_, body) = app.get(&villager, "/suggestions").await;
    assert!(
        body.contains("Speak up"),
        "the bottom navigation in English"
    );
}

crate::both_backends!(
    cadre_creates_a_plan_and_records_a_payment,
    villager_speaks_up_and_the_cadre_answers,
    a_second_vote_is_refused,
    pages_render_in_both_languages,
);
