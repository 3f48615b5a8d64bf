//! Decisions and disclosure over HTTP: the public portal without login (village board,
//! online copy with digest and re-check, canonical text, printable notice with QR code, the
//! page cache dropped by a release), and the cadre's pages for matters, meetings and the
//! disclosure desk, refusing bad input with the field and the rule.

use std::sync::Arc;

use reqwest::StatusCode;
use xiangzhi_core::disclosure::store as dstore;

use crate::helpers::{csrf_of, new_client, TestApp};

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Ids of the publications linked from a page.
fn publication_links(html: &str) -> Vec<String> {
    html.split("/public/publications/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|s| s.len() == 36)
        .map(str::to_string)
        .collect()
}

async fn public_portal_needs_no_login(app: Arc<TestApp>) {
    let anon = new_client();
    let village = app.account("village_cadre").area_code.clone();
    let (status, index) = app.get(&anon, "/public/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(index.contains(&format!("/public/villages/{village}")));
    let (status, html) = app.get(&anon, &format!("/public/villages/{village}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("村务公开栏") && html.contains("财务收支公开"),
        "{html}"
    );
    assert!(
        html.contains("有未答复的异议"),
        "the demo's open objection shows"
    );
    // No personal data on the public board.
    assert!(!html.contains("身份证") && !html.contains("****"));
    let ids = publication_links(&html);
    assert!(ids.len() > 10, "a year of publications");
    // The online copy: digest, re-check, canonical text whose SM3 is the digest.
    let id = &ids[1];
    let (status, copy) = app
        .get(&anon, &format!("/public/publications/{id}?check=1"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(copy.contains("核验通过"), "{copy}");
    let (status, text) = app
        .get(&anon, &format!("/public/publications/{id}/canonical.txt"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let digest = xiangzhi_core::crypto::sm3_hex(text.as_bytes());
    assert!(
        copy.contains(&digest),
        "the page shows the SM3 of the canonical text"
    );
    // The printable notice carries a QR code of the online copy.
    let (status, print) = app
        .get(&anon, &format!("/public/publications/{id}/print?size=a3"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(print.contains("<svg") && print.contains(&format!("/public/publications/{id}")));
    assert!(print.contains("size: A3"));
    // English throughout, no untranslated keys.
    let en = new_client();
    en.get(app.url("/settings/lang?to=en&back=/"))
        .send()
        .await
        .unwrap();
    for path in [
        format!("/public/villages/{village}"),
        format!("/public/publications/{id}"),
    ] {
        let (status, html) = app.get(&en, &path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("Fingerprint") || html.contains("notice board"),
            "{path}"
        );
        assert!(!html.contains(">?<"), "untranslated key on {path}");
    }
    // Unknown villages and publications are not found; malformed codes too.
    assert_eq!(
        app.get(&anon, "/public/villages/999999999999").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&anon, "/public/villages/abc").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&anon, "/public/publications/nope").await.0,
        StatusCode::NOT_FOUND
    );
    // A draft is not public.
    let mut c = app.core.db.read.acquire().await.unwrap();
    let drafts = dstore::list(&mut c, &village, "in_review", 5)
        .await
        .unwrap();
    drop(c);
    for d in drafts {
        assert_eq!(
            app.get(&anon, &format!("/public/publications/{}", d.id))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
    }
}

async fn cadre_runs_a_meeting_and_publishes(app: Arc<TestApp>) {
    let cadre = app.account("village_cadre").clone();
    let village = cadre.area_code.clone();
    let c = app.login(&cadre.username).await;
    // A matter with no title: the form again, naming the field.
    let (status, form) = app.get(&c, "/matters/new").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&form);
    let r = c
        .post(app.url("/matters"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("area_code", village.as_str()),
            ("type_code", "collective_project"),
            ("title", ""),
            ("matter_text", "拟建设村级冷库一座"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("标题"), "the field is named: {body}");
    let r = c
        .post(app.url("/matters"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("area_code", village.as_str()),
            ("type_code", "collective_project"),
            ("title", "村级冷库建设"),
            ("matter_text", "拟建设村级冷库一座，预算30万元。"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let matter_path = location(&r);
    let matter_path = matter_path.split('?').next().unwrap().to_string();
    let matter_id = matter_path.trim_start_matches("/matters/").to_string();
    let (status, page) = app.get(&c, &matter_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("不可以") && page.contains("村两委联席会议"),
        "clearance and the next meeting"
    );

    // A party members' meeting on a draft is refused: steps go in order.
    let (_, form) = app
        .get(
            &c,
            &format!("/meetings/new?matter={matter_id}&kind=party_members"),
        )
        .await;
    let csrf = csrf_of(&form);
    let r = c
        .post(app.url("/meetings"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("area_code", village.as_str()),
            ("meeting_kind", "party_members"),
            ("title", "党员大会"),
            ("scheduled_at", "2030-01-10T09:00"),
            ("place", "村委会"),
            ("host", "书记"),
            ("matter_id", matter_id.as_str()),
            ("question", "是否同意"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("不能跳步"));
    // The joint meeting of the two committees, held through the pages.
    let r = c
        .post(app.url("/meetings"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("area_code", village.as_str()),
            ("meeting_kind", "two_committees"),
            ("title", "两委联席会议"),
            ("scheduled_at", "2030-01-10T09:00"),
            ("place", "村委会"),
            ("host", "书记"),
            ("matter_id", matter_id.as_str()),
            ("question", "是否同意提交党员大会审议"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let meeting_path = location(&r).split('?').next().unwrap().to_string();
    let (_, page) = app.get(&c, &meeting_path).await;
    let csrf = csrf_of(&page);
    let r = c
        .post(app.url(&format!("{meeting_path}/convene")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&c, &meeting_path).await;
    // Everyone on the roster signs in.
    let people: Vec<String> = page
        .split("name=\"p.")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect();
    assert!(!people.is_empty(), "{page}");
    let mut sheet: Vec<(String, String)> = vec![("csrf".into(), csrf.clone())];
    for p in &people {
        sheet.push((format!("p.{p}"), "present".into()));
    }
    let r = c
        .post(app.url(&format!("{meeting_path}/presence")))
        .form(&sheet)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&c, &meeting_path).await;
    let vote_id = page
        .split("name=\"vote_id\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let n = people.len();
    // More votes than people present is refused.
    let too_many = (n + 1).to_string();
    let r = c
        .post(app.url(&format!("{meeting_path}/tally")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("vote_id", vote_id.as_str()),
            ("yes", too_many.as_str()),
            ("no", "0"),
            ("abstain", "0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("超过了实到人数"));
    let all = n.to_string();
    let r = c
        .post(app.url(&format!("{meeting_path}/tally")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("vote_id", vote_id.as_str()),
            ("yes", all.as_str()),
            ("no", "0"),
            ("abstain", "0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c
        .post(app.url(&format!("{meeting_path}/close")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("minutes", "一致同意提交党员大会审议。"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&c, &meeting_path).await;
    assert!(
        page.contains("通过") && page.contains("〔P tunchang.fytlaw.com; M〕"),
        "the rule and its source"
    );
    let (_, page) = app.get(&c, &matter_path).await;
    assert!(page.contains("②两委已商议"), "{page}");
    // Closed: no more tallies.
    let r = c
        .post(app.url(&format!("{meeting_path}/tally")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("vote_id", vote_id.as_str()),
            ("yes", "1"),
            ("no", "0"),
            ("abstain", "0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("会议已结束"));

    // The disclosure desk: a phone number in a public notice is refused, nothing written.
    let (status, desk) = app.get(&c, "/disclosure").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&desk);
    let before = app.count("publications", "1 = 1").await;
    let r = c
        .post(app.url("/disclosure"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("area_code", village.as_str()),
            ("item_code", "relief"),
            ("period", "2026-Q4"),
            ("title", "救灾物资发放"),
            ("content", "联系人电话 13912345678"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("手机号码"));
    assert_eq!(app.count("publications", "1 = 1").await, before);
    let r = c
        .post(app.url("/disclosure"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("area_code", village.as_str()),
            ("item_code", "relief"),
            ("period", "2026-Q4"),
            ("title", "救灾物资发放"),
            ("content", "发放棉被40床，涉及18户。"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let pub_path = location(&r).split('?').next().unwrap().to_string();
    // Release before the supervisors' review: refused with the rule.
    let (_, page) = app.get(&c, &pub_path).await;
    let r = c
        .post(app.url(&format!("{pub_path}/act")))
        .form(&[("csrf", csrf_of(&page).as_str()), ("action", "release")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("村务监督委员会审核"));
    // The supervisor approves; the cadre releases; the cached public board shows it at once.
    let anon = new_client();
    let (_, board) = app.get(&anon, &format!("/public/villages/{village}")).await;
    assert!(!board.contains("救灾物资发放"));
    let sup = app.login("village_supervisor").await;
    let (_, page) = app.get(&sup, &pub_path).await;
    let r = sup
        .post(app.url(&format!("{pub_path}/act")))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("action", "approve"),
            ("note", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&c, &pub_path).await;
    let r = c
        .post(app.url(&format!("{pub_path}/act")))
        .form(&[("csrf", csrf_of(&page).as_str()), ("action", "release")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, board) = app.get(&anon, &format!("/public/villages/{village}")).await;
    assert!(
        board.contains("救灾物资发放"),
        "the release dropped the cached page"
    );
    // A released publication cannot be edited.
    let (_, page) = app.get(&c, &pub_path).await;
    let r = c
        .post(app.url(&format!("{pub_path}/act")))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("action", "revise"),
            ("title", "改"),
            ("content", "改动后的内容"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("不能修改或撤回"));
    // The supervisor reads but cannot run meetings.
    let (status, _) = app.get(&sup, "/matters").await;
    assert_eq!(status, StatusCode::OK);
    let (_, form) = app.get(&sup, &matter_path).await;
    let r = sup
        .post(app.url(&format!("{matter_path}/act")))
        .form(&[
            ("csrf", csrf_of(&form).as_str()),
            ("action", "withdraw"),
            ("note", "不同意"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

async fn county_keeps_the_rules_of_decision(app: Arc<TestApp>) {
    let county = app.login("county_staff").await;
    let (status, page) = app.get(&county, "/matters/rules").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("村民委员会组织法 §22") && page.contains("全体成员三分之二以上"),
        "national rules with sources"
    );
    assert!(page.contains("fymate"), "the demo's provincial levy rule");
    let csrf = csrf_of(&page);
    // A stricter county rule for the villagers' assembly on land matters.
    let r = county
        .post(app.url("/matters/rules"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("body", "villager_assembly"),
            ("applies", "land_compensation"),
            ("q_num", "2"),
            ("q_den", "3"),
            ("q_base", "members"),
            ("q_inclusive", "1"),
            ("p_num", "2"),
            ("p_den", "3"),
            ("p_base", "members"),
            ("p_inclusive", "1"),
            ("label_zh", "本县征地补偿分配须三分之二以上成员同意"),
            ("source", "〔L 县委办发〔2025〕12号〕"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&county, "/matters/rules").await;
    assert!(page.contains("本县征地补偿分配须三分之二以上成员同意"));
    // A majority above the whole is not a rule; nothing is written.
    let before = app.count("vote_rules", "1 = 1").await;
    let r = county
        .post(app.url("/matters/rules"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("body", "villager_assembly"),
            ("applies", "any"),
            ("p_num", "3"),
            ("p_den", "2"),
            ("p_base", "members"),
            ("label_zh", "错误规则"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("vote_rules", "1 = 1").await, before);
    // Weakening a national duty is refused with the reason.
    let r = county
        .post(app.url("/matters/types"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("code", "land_contracting"),
            ("name_zh", "土地承包经营方案"),
            ("requires_assembly", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("不能取消国家规定的要求"));
    // A village cadre reads the rules but cannot change them.
    let cadre = app.login("village_cadre").await;
    let (status, page) = app.get(&cadre, "/matters/rules").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("action=\"/matters/rules\""));
    let r = cadre
        .post(app.url("/matters/settings"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("ratify_days", "90"),
            ("resolution_publish_days", "3"),
            ("result_publish_days", "7"),
            ("extra_notice_days", "0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

crate::both_backends!(
    public_portal_needs_no_login,
    cadre_runs_a_meeting_and_publishes,
    county_keeps_the_rules_of_decision
);
