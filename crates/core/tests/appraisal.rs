//! 民主评议 on SQLite and PostgreSQL: the supervisory committee opens the year's appraisal,
//! representatives cast secret ballots (or hand in paper ones), the close gives verdicts and
//! flags the second 不称职 in a row, and nothing records who gave which grade.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::NaiveDate;
use common::{both, staff};
use xiangzhi_core::appraisal::rules::Grade;
use xiangzhi_core::appraisal::service::{self as appr, NewAppraisal, NewSubject};
use xiangzhi_core::areas::{self, service::NewArea, AreaLevel};
use xiangzhi_core::authz::{Actor, Role};
use xiangzhi_core::people::{self, model::PersonInput};
use xiangzhi_core::{AppError, Core};

const COUNTY: &str = "130123000000";
const TOWNSHIP: &str = "130123101000";
const VILLAGE: &str = "130123101201";
const OTHER: &str = "130123101202";
/// 2026-03-02 08:00 UTC.
const T0: i64 = 1_772_438_400_000;

fn code(e: AppError) -> String {
    match e {
        AppError::Validation(f) => format!("{}:{}", f[0].field, f[0].code),
        e => e.code().to_string(),
    }
}

fn supervisor() -> Actor {
    staff(Role::VillageSupervisor, VILLAGE, AreaLevel::Village)
}

fn villager(person: &str) -> Actor {
    let mut a = staff(Role::Villager, VILLAGE, AreaLevel::Village);
    a.person_id = Some(person.into());
    a
}

/// Three cadres (ids 0–2), five representatives (3–7) and two other villagers (8–9).
async fn setup(core: &Core) -> Vec<String> {
    let sys = Actor::system("test");
    for (code, name, level, parent) in [
        (COUNTY, "x县", "county", None),
        (TOWNSHIP, "城关镇", "township", Some(COUNTY)),
        (VILLAGE, "张家庄村", "village", Some(TOWNSHIP)),
        (OTHER, "李家庄村", "village", Some(TOWNSHIP)),
    ] {
        areas::service::create(
            &core.db,
            &sys,
            NewArea {
                code: code.into(),
                name: name.into(),
                level: level.into(),
                parent_code: parent.map(str::to_string),
                valid_from: None,
            },
        )
        .await
        .unwrap();
    }
    let mut ids = Vec::new();
    for i in 0..10u16 {
        let birth = NaiveDate::from_ymd_opt(1970 + i32::from(i), 3, 5).unwrap();
        let input = PersonInput {
            name: format!("村民{i:02}"),
            id_number: people::idnum::make_id("130123", birth, i * 2 + 1),
            area_code: VILLAGE.into(),
            household_number: format!("{:04}", i + 1),
            address: "张家庄".into(),
            relation: "户主".into(),
            is_cadre: i < 3,
            is_representative: (3..8).contains(&i),
            ..PersonInput::default()
        };
        ids.push(
            people::service::create_person(core, &sys, &input)
                .await
                .unwrap()
                .id,
        );
    }
    ids
}

fn subjects(ids: &[String]) -> Vec<NewSubject> {
    ["村委会主任", "村委会委员", "报账员"]
        .iter()
        .zip(ids)
        .map(|(post, id)| NewSubject {
            person_id: id.clone(),
            post: (*post).into(),
        })
        .collect()
}

/// One ballot: `grades[i]` for cadre `i`.
fn ballot(ids: &[String], grades: [Grade; 3]) -> Vec<(String, Grade)> {
    ids.iter().take(3).cloned().zip(grades).collect()
}

#[tokio::test]
async fn cadres_are_appraised_in_secret_and_two_failures_end_the_office() {
    use Grade::*;
    both(|core: Core| async move {
        let ids = setup(&core).await;
        let open = |year: i64, subjects: Vec<NewSubject>| NewAppraisal {
            area_code: VILLAGE.into(),
            year,
            subjects,
        };
        // Refused with the field: no cadres, a villager who is not a cadre, a future year.
        assert_eq!(
            code(
                appr::open(&core, &supervisor(), open(2025, vec![]), T0)
                    .await
                    .unwrap_err()
            ),
            "subjects:required"
        );
        let mut not_cadre = subjects(&ids);
        not_cadre[2].person_id = ids[8].clone();
        assert_eq!(
            code(
                appr::open(&core, &supervisor(), open(2025, not_cadre), T0)
                    .await
                    .unwrap_err()
            ),
            "subjects:not_a_cadre"
        );
        assert_eq!(
            code(
                appr::open(&core, &supervisor(), open(2030, subjects(&ids)), T0)
                    .await
                    .unwrap_err()
            ),
            "year:invalid"
        );
        // Hosted by the supervisory committee, not the cadres being appraised.
        let cadre = staff(Role::VillageCadre, VILLAGE, AreaLevel::Village);
        assert_eq!(
            code(
                appr::open(&core, &cadre, open(2025, subjects(&ids)), T0)
                    .await
                    .unwrap_err()
            ),
            "forbidden"
        );

        // 2025: the chair and the member judged 不称职 by four of five representatives.
        let a = appr::open(&core, &supervisor(), open(2025, subjects(&ids)), T0)
            .await
            .unwrap();
        assert_eq!(a.evaluators, 5, "the representatives, not the cadres");
        let dup = appr::open(&core, &supervisor(), open(2025, subjects(&ids)), T0)
            .await
            .unwrap_err();
        assert_eq!(dup.fields()[0].field, "year");
        assert_eq!(code(dup), "appraisal_exists");
        let bad = [Incompetent, Incompetent, Competent];
        for p in &ids[3..7] {
            appr::cast(&core, &villager(p), &a.id, None, &ballot(&ids, bad), T0)
                .await
                .unwrap();
        }
        // One ballot each; only evaluators; every cadre graded once.
        assert_eq!(
            code(
                appr::cast(
                    &core,
                    &villager(&ids[3]),
                    &a.id,
                    None,
                    &ballot(&ids, bad),
                    T0
                )
                .await
                .unwrap_err()
            ),
            "already_appraised"
        );
        // A villager who is not on the list does not find it; the committee cannot enter a
        // paper ballot for them either.
        assert_eq!(
            code(
                appr::cast(
                    &core,
                    &villager(&ids[8]),
                    &a.id,
                    None,
                    &ballot(&ids, bad),
                    T0
                )
                .await
                .unwrap_err()
            ),
            "not_found"
        );
        assert_eq!(
            code(
                appr::cast(
                    &core,
                    &supervisor(),
                    &a.id,
                    Some(&ids[8]),
                    &ballot(&ids, bad),
                    T0
                )
                .await
                .unwrap_err()
            ),
            "not_an_evaluator"
        );
        let mut partial = ballot(&ids, bad);
        partial.pop();
        assert_eq!(
            code(
                appr::cast(&core, &villager(&ids[7]), &a.id, None, &partial, T0)
                    .await
                    .unwrap_err()
            ),
            "grades:grade_every_cadre"
        );
        // While open, nobody sees a running count.
        let v = appr::get(&core, &villager(&ids[7]), &a.id).await.unwrap();
        assert_eq!(v.voted, Some(false));
        assert!(v.subjects.iter().all(|s| s.tally.total() == 0));
        // The fifth hands in a paper ballot, entered by the committee.
        appr::cast(
            &core,
            &supervisor(),
            &a.id,
            Some(&ids[7]),
            &ballot(&ids, [Competent, Basic, Excellent]),
            T0,
        )
        .await
        .unwrap();
        let v = appr::close(&core, &supervisor(), &a.id, T0).await.unwrap();
        assert_eq!(v.appraisal.valid, Some(true));
        assert_eq!(v.appraisal.ballots, 5);
        let by_post = |v: &appr::AppraisalView, post: &str| {
            v.subjects.iter().find(|s| s.post == post).unwrap().clone()
        };
        let chair = by_post(&v, "村委会主任");
        assert_eq!(chair.tally.incompetent, 4);
        assert_eq!(chair.verdict, Some(Incompetent));
        assert!(!chair.terminates, "the first time");
        assert_eq!(by_post(&v, "报账员").verdict, Some(Competent));
        assert_eq!(
            code(
                appr::close(&core, &supervisor(), &a.id, T0)
                    .await
                    .unwrap_err()
            ),
            "appraisal_closed"
        );
        assert_eq!(
            code(
                appr::cast(
                    &core,
                    &villager(&ids[7]),
                    &a.id,
                    None,
                    &ballot(&ids, bad),
                    T0
                )
                .await
                .unwrap_err()
            ),
            "appraisal_closed"
        );

        // 2026: the chair again 不称职 — the office ends; the member improved.
        let b = appr::open(&core, &supervisor(), open(2026, subjects(&ids)), T0)
            .await
            .unwrap();
        for p in &ids[3..6] {
            appr::cast(
                &core,
                &villager(p),
                &b.id,
                None,
                &ballot(&ids, [Incompetent, Competent, Competent]),
                T0,
            )
            .await
            .unwrap();
        }
        let v = appr::close(&core, &supervisor(), &b.id, T0).await.unwrap();
        assert_eq!(v.appraisal.valid, Some(true), "three of five took part");
        let chair = by_post(&v, "村委会主任");
        assert_eq!(chair.verdict, Some(Incompetent));
        assert!(chair.terminates);
        let member = by_post(&v, "村委会委员");
        assert_eq!(member.verdict, Some(Competent));
        assert!(!member.terminates);

        // Nothing links an evaluator to a grade: the audit records say only that a ballot was
        // cast; another village's staff do not find the appraisal.
        let mut c = core.db.read.acquire().await.unwrap();
        let details: Vec<(Option<String>,)> = sqlx::query_as(
            "SELECT detail FROM audit_log WHERE action = 'appraisal.ballot' AND object_id = $1",
        )
        .bind(&a.id)
        .fetch_all(&mut *c)
        .await
        .unwrap();
        assert_eq!(details.len(), 5);
        for (d,) in details {
            let d = d.unwrap_or_default();
            assert!(
                !d.contains("incompetent") && !d.contains("competent"),
                "{d}"
            );
        }
        let other = staff(Role::VillageSupervisor, OTHER, AreaLevel::Village);
        assert_eq!(
            code(appr::get(&core, &other, &a.id).await.unwrap_err()),
            "not_found"
        );
        assert!(appr::list(&core, &other, 10).await.unwrap().is_empty());
        let township = staff(Role::TownshipStaff, TOWNSHIP, AreaLevel::Township);
        let years: Vec<i64> = appr::list(&core, &township, 10)
            .await
            .unwrap()
            .iter()
            .map(|a| a.year)
            .collect();
        assert_eq!(years, [2026, 2025]);
    })
    .await;
}

#[tokio::test]
async fn too_few_evaluators_leave_no_verdict() {
    both(|core: Core| async move {
        let ids = setup(&core).await;
        let a = appr::open(
            &core,
            &supervisor(),
            NewAppraisal {
                area_code: VILLAGE.into(),
                year: 2025,
                subjects: subjects(&ids),
            },
            T0,
        )
        .await
        .unwrap();
        for p in &ids[3..5] {
            appr::cast(
                &core,
                &villager(p),
                &a.id,
                None,
                &ballot(&ids, [Grade::Incompetent; 3]),
                T0,
            )
            .await
            .unwrap();
        }
        let v = appr::close(&core, &supervisor(), &a.id, T0).await.unwrap();
        assert_eq!(v.appraisal.valid, Some(false), "two of five");
        assert!(v
            .subjects
            .iter()
            .all(|s| s.verdict.is_none() && !s.terminates));
        assert_eq!(
            v.subjects[0].tally.incompetent, 2,
            "the tally is still shown"
        );
    })
    .await;
}
