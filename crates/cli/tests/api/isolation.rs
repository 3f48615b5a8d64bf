//! Role × area isolation over HTTP: what each demo login can and cannot open.

use std::sync::Arc;

use reqwest::StatusCode;
use xiangzhi_core::people::service::{household, list_households, list_people};

use crate::helpers::TestApp;

async fn role_and_area_isolation(app: Arc<TestApp>) {
    let cadre_actor = app.actor("village_cadre").await;
    let (own, total) = list_households(&app.core, &cadre_actor, None, 1, 30)
        .await
        .unwrap();
    assert!(!own.is_empty(), "the cadre's village has households");
    let (own_people, _) = list_people(&app.core, &cadre_actor, None, "", 1, 30)
        .await
        .unwrap();
    let v1_names = app.visible_names("village_cadre").await;
    let v2_names = app.visible_names("village_cadre2").await;
    assert!(!v2_names.is_empty());

    // The cadre sees their own village's households.
    let cadre = app.login("village_cadre").await;
    let (status, body) = app.get(&cadre, "/households").await;
    assert_eq!(status, StatusCode::OK);
    for h in &own {
        assert!(
            body.contains(&format!("/households/{}", h.id)),
            "household {} listed",
            h.id
        );
        if let Some(n) = &h.head_name {
            assert!(body.contains(&format!(">{n} ")), "head {n} listed");
        }
    }
    assert!(
        body.contains(&format!("共计户数： {total}")),
        "the total is shown"
    );
    let (status, body) = app.get(&cadre, &format!("/households/{}", own[0].id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(&own[0].number));
    let (status, _) = app
        .get(&cadre, &format!("/people/{}", own_people[0].id))
        .await;
    assert_eq!(status, StatusCode::OK);
    // Another village's area is not theirs to ask for.
    let v2_area = app.account("village_cadre2").area_code.clone();
    let (status, _) = app.get(&cadre, &format!("/people?area={v2_area}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The cadre of another village gets "not found" for them, not "forbidden".
    let cadre2 = app.login("village_cadre2").await;
    for path in [
        format!("/households/{}", own[0].id),
        format!("/people/{}", own_people[0].id),
        format!("/people/{}/edit", own_people[0].id),
    ] {
        let (status, body) = app.get(&cadre2, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(body.contains("找不到"), "{path}: friendly page");
        assert!(!body.contains(&own_people[0].id));
    }
    let (status, body) = app.get(&cadre2, "/households").await;
    assert_eq!(status, StatusCode::OK);
    for h in &own {
        assert!(
            !body.contains(&h.id),
            "household {} of village 1 leaked",
            h.id
        );
        if let Some(n) = &h.head_name {
            if !v2_names.contains(n) {
                assert!(
                    !body.contains(&format!(">{n} ")),
                    "name {n} of village 1 leaked"
                );
            }
        }
    }
    let (status, body) = app.get(&cadre2, "/people").await;
    assert_eq!(status, StatusCode::OK);
    let only_v1: Vec<&String> = v1_names.difference(&v2_names).collect();
    assert!(!only_v1.is_empty());
    for n in only_v1 {
        assert!(
            !body.contains(&format!(">{n}</a>")),
            "name {n} of village 1 leaked"
        );
    }

    // The audit administrator reads the log and nothing else; the system administrator
    // does not read the log; a villager does not browse people.
    let auditor = app.login("auditadmin").await;
    let (status, _) = app.get(&auditor, "/people").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get(&auditor, "/households").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app.get(&auditor, "/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("user.login"), "the log lists logins");

    let sysadmin = app.login("sysadmin").await;
    let (status, body) = app.get(&sysadmin, "/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("没有权限"));
    let (status, _) = app.get(&sysadmin, "/people").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let villager_name = app.account_by_role("villager").username.clone();
    let villager_person = app.actor(&villager_name).await.person_id;
    let villager = app.login(&villager_name).await;
    let (status, _) = app.get(&villager, "/people").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A neighbour's household is not the villager's to see.
    let mut neighbour = None;
    for h in &own {
        let (_, members) = household(&app.core, &cadre_actor, &h.id).await.unwrap();
        if !members
            .iter()
            .any(|m| Some(&m.id) == villager_person.as_ref())
        {
            neighbour = Some(h.id.clone());
            break;
        }
    }
    if let Some(id) = neighbour {
        let (status, _) = app.get(&villager, &format!("/households/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = app.get(&villager, "/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

crate::both_backends!(role_and_area_isolation);
