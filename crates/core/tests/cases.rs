//! Case engine tests: catalogue, intake (group commit, idempotency, duplicates), the
//! lifecycle, escalation, indicators and confidential tips. Every test runs on SQLite and on
//! PostgreSQL.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashSet};

use common::{both, staff};
use sqlx::Row;
use xiangzhi_core::areas::{self, service::NewArea, AreaLevel};
use xiangzhi_core::audit::{self, AuditFilter};
use xiangzhi_core::authz::{Actor, Role};
use xiangzhi_core::cases::{
    self, catalogue, tips, Action, Case, Level, NewCase, Queue, RaiseOutcome, Rating, Status,
};
use xiangzhi_core::{clock, AppResult, Core};

const COUNTY: &str = "130123000000";
const TOWNSHIP: &str = "130123101000";
const VILLAGE_A: &str = "130123101201";
const VILLAGE_B: &str = "130123101202";
const GRID_A1: &str = "130123101201001";

async fn setup(core: &Core) {
    let sys = Actor::system("test");
    for (code, name, level, parent) in [
        (COUNTY, "x县", "county", None),
        (TOWNSHIP, "城关镇", "township", Some(COUNTY)),
        (VILLAGE_A, "张家庄村", "village", Some(TOWNSHIP)),
        (VILLAGE_B, "李家沟村", "village", Some(TOWNSHIP)),
        (GRID_A1, "第一网格", "grid", Some(VILLAGE_A)),
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
    let county = staff(Role::CountyStaff, COUNTY, AreaLevel::County);
    for t in cases::demo::catalogue(COUNTY) {
        catalogue::save_type(core, &county, t).await.unwrap();
    }
}

fn villager() -> Actor {
    staff(Role::Villager, VILLAGE_A, AreaLevel::Village)
}
fn cadre() -> Actor {
    staff(Role::VillageCadre, VILLAGE_A, AreaLevel::Village)
}
fn grid() -> Actor {
    staff(Role::GridWorker, GRID_A1, AreaLevel::Grid)
}
fn township() -> Actor {
    staff(Role::TownshipStaff, TOWNSHIP, AreaLevel::Township)
}

fn report(type_code: &str, text: &str) -> NewCase {
    NewCase {
        type_code: type_code.into(),
        area_code: VILLAGE_A.into(),
        grid_code: Some(GRID_A1.into()),
        description: text.into(),
        ..NewCase::default()
    }
}

fn created(r: AppResult<RaiseOutcome>) -> Case {
    match r {
        Ok(RaiseOutcome::Created { case }) => case,
        other => panic!("expected a new case, got {other:?}"),
    }
}

fn expect_code<T: std::fmt::Debug>(r: AppResult<T>, code: &str) {
    match r {
        Err(e) => {
            let codes: Vec<String> = std::iter::once(e.code().to_string())
                .chain(e.fields().into_iter().map(|f| f.code))
                .collect();
            assert!(codes.iter().any(|c| c == code), "want {code}, got {e:?}");
        }
        Ok(v) => panic!("want {code}, got Ok({v:?})"),
    }
}

async fn count(core: &Core, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(&core.db.read)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn make_user(core: &Core, id: &str) {
    use xiangzhi_core::accounts::store as acc;
    let mut tx = core.db.write.begin().await.unwrap();
    acc::insert_user(
        &mut tx,
        &acc::UserRow {
            id: id.into(),
            county_code: COUNTY.into(),
            username: id.into(),
            display_name: id.into(),
            person_id: None,
            password_hash: "!".into(),
            totp_enc: None,
            status: "active".into(),
            proxy_only: false,
            failed_logins: 0,
            locked_until: 0,
        },
        clock::now_ms(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// Each county/year counter equals its number of cases, and the audit chain verifies.
async fn numbers_gapless_and_audit_whole(core: &Core) {
    assert_eq!(
        count(
            core,
            "SELECT COUNT(*) FROM case_counters cc WHERE cc.n <> (SELECT COUNT(*) FROM cases c \
             WHERE c.county_code = cc.county_code AND c.number LIKE cc.year || '-%')"
        )
        .await,
        0
    );
    let v = audit::verify(&core.db).await.unwrap();
    assert!(v.problem.is_none(), "{v:?}");
}

async fn act(core: &Core, who: &Actor, c: &Case, a: Action) -> Case {
    cases::act(core, who, &c.id, a.clone())
        .await
        .unwrap_or_else(|e| panic!("{a:?} by {}: {e:?}", who.username))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_goes_through_its_whole_life() {
    both(|core| async move {
        setup(&core).await;
        let year = clock::year_of(clock::now_ms());
        let c = created(
            cases::raise(
                &core,
                &villager(),
                "app",
                report("streetlight", "村口路灯不亮已经一周"),
            )
            .await,
        );
        assert_eq!(c.number, format!("{year}-000001"));
        assert_eq!(c.status, Status::Reported);
        assert_eq!(c.level, Level::Village);
        assert!(c.org.contains("张家庄村"), "{}", c.org);
        assert!(c.due_at > c.created_at);

        // The other village's cadre does not even see it.
        let other = staff(Role::VillageCadre, VILLAGE_B, AreaLevel::Village);
        expect_code(cases::get(&core, &other, &c.id).await, "not_found");
        expect_code(
            cases::act(&core, &other, &c.id, Action::Accept { priority: None }).await,
            "not_found",
        );
        // An impossible transition is refused and writes nothing.
        let events_before = count(&core, "SELECT COUNT(*) FROM case_events").await;
        let audit_before = count(&core, "SELECT COUNT(*) FROM audit_log").await;
        expect_code(
            cases::act(&core, &cadre(), &c.id, Action::Close).await,
            "invalid_transition",
        );
        expect_code(
            cases::act(
                &core,
                &cadre(),
                &c.id,
                Action::Reject { reason: " ".into() },
            )
            .await,
            "reason_required",
        );
        assert_eq!(
            count(&core, "SELECT COUNT(*) FROM case_events").await,
            events_before
        );
        assert_eq!(
            count(&core, "SELECT COUNT(*) FROM audit_log").await,
            audit_before
        );
        // A villager cannot accept.
        expect_code(
            cases::act(&core, &villager(), &c.id, Action::Accept { priority: None }).await,
            "forbidden",
        );

        let c = act(&core, &cadre(), &c, Action::Accept { priority: None }).await;
        let c = act(
            &core,
            &cadre(),
            &c,
            Action::Dispatch {
                assignee_user_id: None,
                note: None,
            },
        )
        .await;
        // 退单 and dispatch again.
        let c = act(
            &core,
            &grid(),
            &c,
            Action::Return {
                reason: "不是本网格的路灯".into(),
            },
        )
        .await;
        assert_eq!(c.status, Status::Returned);
        let c = act(
            &core,
            &cadre(),
            &c,
            Action::Dispatch {
                assignee_user_id: None,
                note: None,
            },
        )
        .await;
        let c = act(&core, &grid(), &c, Action::Start).await;
        assert_eq!(c.assignee_user_id.as_deref(), Some(grid().user_id.as_str()));
        // Extension: requested, refused twice while pending, approved.
        let due = c.due_at;
        let c = act(
            &core,
            &grid(),
            &c,
            Action::RequestExtension {
                hours: 48,
                reason: "等配件".into(),
            },
        )
        .await;
        expect_code(
            cases::act(
                &core,
                &grid(),
                &c.id,
                Action::RequestExtension {
                    hours: 8,
                    reason: "再等".into(),
                },
            )
            .await,
            "extension_pending",
        );
        let c = act(
            &core,
            &cadre(),
            &c,
            Action::DecideExtension {
                approve: true,
                note: None,
            },
        )
        .await;
        assert!(c.due_at >= due + 48 * 3600 * 1000);
        let c = act(
            &core,
            &grid(),
            &c,
            Action::Suspend {
                reason: "下雨无法施工".into(),
            },
        )
        .await;
        let c = act(&core, &grid(), &c, Action::Resume).await;
        expect_code(
            cases::act(
                &core,
                &grid(),
                &c.id,
                Action::Handle {
                    evidence: "".into(),
                },
            )
            .await,
            "evidence_required",
        );
        let c = act(
            &core,
            &grid(),
            &c,
            Action::Handle {
                evidence: "已更换灯泡，附照片".into(),
            },
        )
        .await;
        // The handler cannot verify their own work.
        expect_code(
            cases::act(&core, &grid(), &c.id, Action::Verify { note: None }).await,
            "verify_own_work",
        );
        let c = act(
            &core,
            &cadre(),
            &c,
            Action::Reopen {
                reason: "现场仍不亮".into(),
            },
        )
        .await;
        assert_eq!(c.status, Status::InProgress);
        let c = act(
            &core,
            &grid(),
            &c,
            Action::Handle {
                evidence: "更换了整条线路".into(),
            },
        )
        .await;
        let c = act(&core, &cadre(), &c, Action::Verify { note: None }).await;
        let c = act(&core, &cadre(), &c, Action::Close).await;
        assert!(c.closed_at.is_some());
        // Unsatisfied once: reopened at the same level.
        let c = act(
            &core,
            &villager(),
            &c,
            Action::Rate {
                rating: Rating::Unsatisfied,
                comment: None,
            },
        )
        .await;
        assert_eq!(
            (c.status, c.reopen_count, c.level),
            (Status::InProgress, 1, Level::Village)
        );
        assert!(c.closed_at.is_none());
        let c = act(
            &core,
            &grid(),
            &c,
            Action::Handle {
                evidence: "加装了太阳能灯".into(),
            },
        )
        .await;
        let c = act(&core, &cadre(), &c, Action::Verify { note: None }).await;
        let c = act(&core, &cadre(), &c, Action::Close).await;
        // Unsatisfied again: the township takes it, and the village keeps the slip.
        let c = act(
            &core,
            &villager(),
            &c,
            Action::Rate {
                rating: Rating::Unsatisfied,
                comment: None,
            },
        )
        .await;
        assert_eq!(c.level, Level::Township);
        assert_eq!(c.slipped_level, Some(Level::Village));
        assert_eq!(c.status, Status::Accepted);
        assert!(c.org.contains("城关镇"), "{}", c.org);
        // The village cadre no longer manages it; the township does.
        expect_code(
            cases::act(
                &core,
                &cadre(),
                &c.id,
                Action::Dispatch {
                    assignee_user_id: None,
                    note: None,
                },
            )
            .await,
            "forbidden",
        );
        let c = act(
            &core,
            &township(),
            &c,
            Action::Dispatch {
                assignee_user_id: None,
                note: None,
            },
        )
        .await;
        let c = act(&core, &township(), &c, Action::Start).await;
        let c = act(
            &core,
            &township(),
            &c,
            Action::Handle {
                evidence: "镇里统一改造线路".into(),
            },
        )
        .await;
        let c = act(
            &core,
            &grid(),
            &c,
            Action::Verify {
                note: Some("现场已亮".into()),
            },
        )
        .await;
        let c = act(&core, &township(), &c, Action::Close).await;
        let c = act(
            &core,
            &villager(),
            &c,
            Action::Rate {
                rating: Rating::Satisfied,
                comment: None,
            },
        )
        .await;
        assert_eq!(c.status, Status::Revisited);
        assert!(!c.status.is_open());

        // The reporter sees the public timeline; staff see everything.
        let (_, staff_view) = cases::get(&core, &cadre(), &c.id).await.unwrap();
        let (_, public_view) = cases::get(&core, &villager(), &c.id).await.unwrap();
        assert!(staff_view.len() > public_view.len());
        assert!(public_view.iter().all(|e| e.public));
        assert_eq!(staff_view.first().unwrap().action, "case.raise");
        // Every step is in the audit chain, and the chain holds.
        let recs = audit::list(
            &core.db,
            &AuditFilter {
                object_id: Some(c.id.clone()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(recs.len(), staff_view.len());
        assert!(audit::verify(&core.db).await.unwrap().problem.is_none());
        // The villager got notified of the updates.
        let n = count(
            &core,
            &format!(
                "SELECT COUNT(*) FROM notifications WHERE user_id = '{}'",
                villager().user_id
            ),
        )
        .await;
        assert!(n >= 5, "{n}");
        // Queues: the villager's own list has it.
        let (mine, _) = cases::list(&core, &villager(), Queue::Raised, None, 1, 20)
            .await
            .unwrap();
        assert_eq!(mine.len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_is_idempotent_offers_duplicates_and_survives_concurrency() {
    both(|core| async move {
        setup(&core).await;
        let mut n = report("env_sanitation", "村东头垃圾堆了好几天没人清运");
        n.idempotency_key = Some("k1".into());
        let first = created(cases::raise(&core, &villager(), "app", n.clone()).await);
        match cases::raise(&core, &villager(), "app", n.clone())
            .await
            .unwrap()
        {
            RaiseOutcome::Existing { case } => assert_eq!(case.id, first.id),
            other => panic!("{other:?}"),
        }
        // The same key from someone else is a different submission.
        let other = staff(Role::Villager, VILLAGE_A, AreaLevel::Village);
        let mut other = other;
        other.user_id = "another-villager".into();
        let second = created(cases::raise(&core, &other, "app", n.clone()).await);
        assert_ne!(second.id, first.id);
        // Without a key, a near-identical report is offered to join the open one.
        let again = report("env_sanitation", "村东头垃圾堆了好几天没人清运！");
        match cases::raise(&core, &villager(), "app", again.clone())
            .await
            .unwrap()
        {
            RaiseOutcome::Duplicates { candidates } => {
                assert!(candidates.iter().any(|c| c.id == first.id))
            }
            other => panic!("{other:?}"),
        }
        let mut anyway = again;
        anyway.not_duplicate = true;
        created(cases::raise(&core, &villager(), "app", anyway).await);
        // The queue read cache never hides a committed change.
        let brief = || {
            let core = core.clone();
            async move {
                cases::service::list_brief(&core, &cadre(), Queue::All, None, 1, 200)
                    .await
                    .unwrap()
                    .0
            }
        };
        let before_rows = brief().await;
        assert_eq!(brief().await, before_rows);
        // A different matter is not a duplicate.
        let fresh = created(
            cases::raise(
                &core,
                &villager(),
                "app",
                report("env_sanitation", "公厕污水外溢，气味很大"),
            )
            .await,
        );
        let after_rows = brief().await;
        assert_eq!(after_rows.len(), before_rows.len() + 1);
        assert_eq!(after_rows[0].id, fresh.id);
        act(&core, &cadre(), &fresh, Action::Accept { priority: None }).await;
        assert_eq!(brief().await[0].status, Status::Accepted);

        // 200 concurrent submissions (with 20 repeated keys) make 200 cases with unique numbers.
        let before = count(&core, "SELECT COUNT(*) FROM cases").await;
        let mut tasks = Vec::new();
        for i in 0..220 {
            let core = core.clone();
            tasks.push(tokio::spawn(async move {
                let mut n = report("road_facility", &format!("第{}处道路损坏", i % 200));
                n.idempotency_key = Some(format!("load-{}", i % 200));
                cases::raise(&core, &cadre(), "staff", n).await
            }));
        }
        let mut ids = HashSet::new();
        for t in tasks {
            match t.await.unwrap().unwrap() {
                RaiseOutcome::Created { case } | RaiseOutcome::Existing { case } => {
                    ids.insert(case.id);
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(ids.len(), 200);
        assert_eq!(
            count(&core, "SELECT COUNT(*) FROM cases").await,
            before + 200
        );
        assert_eq!(
            count(&core, "SELECT COUNT(DISTINCT number) FROM cases").await,
            before + 200
        );
        assert_eq!(
            count(
                &core,
                "SELECT COUNT(*) FROM case_events WHERE action = 'case.raise'"
            )
            .await,
            before + 200
        );
        // Repeats of earlier keys mixed with new submissions in concurrent batches: the
        // repeats get their case back, and the numbers they reserved are given back, so the
        // numbers of a county and year stay gapless.
        let mut tasks = Vec::new();
        for i in 0..40 {
            let core = core.clone();
            tasks.push(tokio::spawn(async move {
                let mut n = report("road_facility", &format!("第{i}处路灯不亮"));
                n.idempotency_key = Some(if i % 2 == 0 {
                    format!("load-{i}")
                } else {
                    format!("more-{i}")
                });
                cases::raise(&core, &cadre(), "staff", n).await
            }));
        }
        let mut created_now = 0;
        for t in tasks {
            match t.await.unwrap().unwrap() {
                RaiseOutcome::Created { .. } => created_now += 1,
                RaiseOutcome::Existing { case } => assert!(ids.contains(&case.id)),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(created_now, 20);
        assert_eq!(
            count(&core, "SELECT COUNT(*) FROM cases").await,
            before + 220
        );
        numbers_gapless_and_audit_whole(&core).await;
    })
    .await;
}

/// One submission that the database refuses (here: an area that does not exist) fails alone:
/// the batch it came in is retried one submission at a time, so every other submission of
/// that batch is committed, with its timeline entry and audit record, and the numbers stay
/// gapless.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_the_database_refuses_fails_alone() {
    both(|core| async move {
        setup(&core).await;
        let template = created(
            cases::raise(
                &core,
                &cadre(),
                "staff",
                report("road_facility", "村口桥面护栏断了"),
            )
            .await,
        );
        let before = count(&core, "SELECT COUNT(*) FROM cases").await;
        let events = count(&core, "SELECT COUNT(*) FROM case_events").await;
        let mut tasks = Vec::new();
        for i in 0..40 {
            let core = core.clone();
            let mut c = template.clone();
            c.id = clock::new_id();
            c.number = String::new();
            c.description = format!("第{i}处护栏损坏");
            if i == 20 {
                c.area_code = "130123101299".into();
            }
            let row = cases::store::NewCaseRow {
                case: c,
                reporter_phone_enc: None,
                idem_key: Some(format!("alone-{i}")),
            };
            tasks.push(tokio::spawn(async move {
                cases::intake::submit(&core, row, cadre(), Vec::new()).await
            }));
        }
        let mut ok = 0;
        let mut refused = 0;
        for (i, t) in tasks.into_iter().enumerate() {
            match t.await.unwrap() {
                Ok((_, created)) => {
                    assert!(created);
                    assert_ne!(i, 20);
                    ok += 1;
                }
                Err(_) => {
                    assert_eq!(i, 20);
                    refused += 1;
                }
            }
        }
        assert_eq!((ok, refused), (39, 1));
        assert_eq!(
            count(&core, "SELECT COUNT(*) FROM cases").await,
            before + 39
        );
        assert_eq!(
            count(&core, "SELECT COUNT(*) FROM case_events").await,
            events + 39
        );
        assert_eq!(
            count(
                &core,
                "SELECT COUNT(*) FROM cases WHERE idem_key LIKE '%alone-20'"
            )
            .await,
            0
        );
        numbers_gapless_and_audit_whole(&core).await;
        // The writer goes on serving.
        created(
            cases::raise(
                &core,
                &cadre(),
                "staff",
                report("road_facility", "桥头路面又塌了一块"),
            )
            .await,
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_the_field() {
    both(|core| async move {
        setup(&core).await;
        let v = villager();
        let before = count(&core, "SELECT COUNT(*) FROM cases").await;
        expect_code(
            cases::raise(&core, &v, "app", report("no_such_type", "x")).await,
            "not_found",
        );
        expect_code(
            cases::raise(&core, &v, "app", report("streetlight", "   ")).await,
            "required",
        );
        let huge = "路".repeat(100_000);
        expect_code(
            cases::raise(&core, &v, "app", report("streetlight", &huge)).await,
            "too_long",
        );
        // A required list attribute: missing, then not in the list.
        expect_code(
            cases::raise(&core, &v, "app", report("proxy_service", "帮老人办理")).await,
            "required",
        );
        let mut n = report("proxy_service", "帮老人办理");
        n.attrs = BTreeMap::from([("item".to_string(), vec!["flying_car".to_string()])]);
        expect_code(
            cases::raise(&core, &v, "app", n.clone()).await,
            "not_in_list",
        );
        n.attrs.insert("nonsense".into(), vec!["1".into()]);
        expect_code(cases::raise(&core, &v, "app", n).await, "unknown_field");
        let mut n = report("wage_arrears", "拖欠工资");
        n.attrs = BTreeMap::from([("amount".to_string(), vec!["很多".to_string()])]);
        expect_code(cases::raise(&core, &v, "app", n).await, "not_a_number");
        let mut n = report("streetlight", "路灯");
        n.lat = Some(123.0);
        n.lon = Some(117.0);
        expect_code(cases::raise(&core, &v, "app", n).await, "invalid");
        let mut n = report("proxy_service", "帮老人办理");
        n.anonymous = true;
        n.attrs = BTreeMap::from([("item".to_string(), vec!["elderly_allowance".to_string()])]);
        expect_code(
            cases::raise(&core, &v, "app", n).await,
            "anonymous_not_allowed",
        );
        // A villager cannot raise staff-only types, nor in another village.
        expect_code(
            cases::raise(&core, &v, "app", report("hazard_fire", "柴草堆放")).await,
            "forbidden",
        );
        let mut n = report("streetlight", "路灯不亮");
        n.area_code = VILLAGE_B.into();
        n.grid_code = None;
        expect_code(cases::raise(&core, &v, "app", n).await, "forbidden");
        assert_eq!(count(&core, "SELECT COUNT(*) FROM cases").await, before);
        // Cases with and without a place, alternating: the place is kept when given.
        for i in 0..8 {
            let mut n = report("road_facility", &format!("第{i}处路面塌陷"));
            n.not_duplicate = true;
            if i % 2 == 1 {
                n.lat = Some(35.0 + f64::from(i) / 1000.0);
                n.lon = Some(117.0);
            }
            let c = created(cases::raise(&core, &v, "app", n).await);
            assert_eq!(c.lat.is_some(), i % 2 == 1);
        }
        // Script tags are kept as text (escaped where shown), never executed or dropped.
        let c = created(
            cases::raise(
                &core,
                &v,
                "app",
                report("streetlight", "<script>alert(1)</script>路灯"),
            )
            .await,
        );
        assert!(c.description.contains("<script>"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_cases_escalate_and_indicators_count_the_slip() {
    both(|core| async move {
        setup(&core).await;
        let c = created(cases::raise(&core, &villager(), "app", report("streetlight", "二组路灯时亮时灭")).await);
        let done = created(cases::raise(&core, &villager(), "app", report("road_facility", "水渠堵塞，浇地过不来水")).await);
        let done = act(&core, &cadre(), &done, Action::Accept { priority: None }).await;
        let done = act(&core, &cadre(), &done, Action::Dispatch { assignee_user_id: None, note: None }).await;
        let done = act(&core, &grid(), &done, Action::Start).await;
        let done = act(&core, &grid(), &done, Action::Handle { evidence: "已疏通".into() }).await;
        let done = act(&core, &cadre(), &done, Action::Verify { note: None }).await;
        let done = act(&core, &cadre(), &done, Action::Close).await;
        act(&core, &villager(), &done, Action::Rate { rating: Rating::Satisfied, comment: None }).await;

        let day = 24 * 3600 * 1000;
        let now = clock::now_ms();
        assert_eq!(cases::escalate_overdue(&core, now).await.unwrap(), 0);
        assert_eq!(cases::escalate_overdue(&core, now + 30 * day).await.unwrap(), 1);
        let (c1, _) = cases::get(&core, &township(), &c.id).await.unwrap();
        assert_eq!((c1.level, c1.slipped_level, c1.escalations), (Level::Township, Some(Level::Village), 1));
        assert!(c1.due_at > now + 30 * day);
        let n = count(&core, &format!(
            "SELECT COUNT(*) FROM notifications WHERE role = 'township_staff' AND area_code = '{TOWNSHIP}' AND kind = 'case.escalated'"
        )).await;
        assert_eq!(n, 1);
        assert_eq!(cases::escalate_overdue(&core, now + 90 * day).await.unwrap(), 1);
        assert_eq!(cases::escalate_overdue(&core, now + 200 * day).await.unwrap(), 0, "nothing above the county");
        let (c2, _) = cases::get(&core, &township(), &c.id).await.unwrap();
        assert_eq!((c2.level, c2.slipped_level, c2.escalations), (Level::County, Some(Level::Village), 2));

        let ind = cases::indicators(&core, &township(), Some(TOWNSHIP)).await.unwrap();
        let a = ind.iter().find(|i| i.area_code == VILLAGE_A).unwrap();
        assert_eq!(a.counts.total, 2);
        assert_eq!(a.counts.resolved, 1);
        assert_eq!(a.counts.slipped_here, 1);
        assert_eq!(a.village_resolved, Some(1000));
        assert_eq!(a.satisfaction, Some(1000));
        assert_eq!(a.on_time, Some(1000));
        let (esc, _) = cases::list(&core, &township(), Queue::Escalated, None, 1, 50).await.unwrap();
        assert_eq!(esc.len(), 1);
        assert!(audit::verify(&core.db).await.unwrap().problem.is_none());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tips_are_readable_only_by_the_tip_officer() {
    both(|core| async move {
        setup(&core).await;
        let receipt = tips::submit(
            &core,
            None,
            VILLAGE_A,
            "有人在村里放高利贷并威胁村民",
            Some("13800000000"),
        )
        .await
        .unwrap();
        assert_eq!(tips::status(&core, &receipt).await.unwrap(), "received");
        expect_code(tips::status(&core, "WRONGCODE").await, "not_found");
        let stored: Vec<u8> = sqlx::query_scalar("SELECT body_enc FROM tips")
            .fetch_one(&core.db.read)
            .await
            .unwrap();
        assert!(!String::from_utf8_lossy(&stored).contains("高利贷"));
        for who in [
            staff(Role::CountyStaff, COUNTY, AreaLevel::County),
            staff(Role::SystemAdmin, COUNTY, AreaLevel::County),
            staff(Role::AuditAdmin, COUNTY, AreaLevel::County),
            cadre(),
        ] {
            expect_code(tips::list(&core, &who).await, "forbidden");
        }
        let officer = staff(Role::TipOfficer, COUNTY, AreaLevel::County);
        let list = tips::list(&core, &officer).await.unwrap();
        assert_eq!(list.len(), 1);
        expect_code(tips::read(&core, &cadre(), &list[0].0).await, "not_found");
        let tip = tips::read(&core, &officer, &list[0].0).await.unwrap();
        assert!(tip.body.contains("高利贷"));
        assert_eq!(tip.reporter.as_deref(), Some("13800000000"));
        tips::set_status(&core, &officer, &tip.id, "processing")
            .await
            .unwrap();
        assert_eq!(tips::status(&core, &receipt).await.unwrap(), "processing");
        let reads = audit::list(
            &core.db,
            &AuditFilter {
                action_prefix: Some("tip.".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(reads.iter().any(|r| r.action == "tip.read"));
        assert!(reads
            .iter()
            .all(|r| !r.detail.contains("高利贷") && !r.detail.contains("138")));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emergencies_reach_the_people_on_duty_at_once() {
    both(|core| async move {
        setup(&core).await;
        // A duty user for the village, on duty now.
        make_user(&core, "duty-user").await;
        make_user(&core, "off-duty-user").await;
        let now = clock::now_ms();
        let mut tx = core.db.write.begin().await.unwrap();
        xiangzhi_core::cases::store::insert_duty(&mut tx, "d1", COUNTY, VILLAGE_A, "duty-user", now - 3_600_000, now + 3_600_000)
            .await
            .unwrap();
        xiangzhi_core::cases::store::insert_duty(&mut tx, "d2", COUNTY, VILLAGE_A, "off-duty-user", now + 3_600_000, now + 7_200_000)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let c = created(cases::raise(&core, &villager(), "app", report("emergency", "老人在家摔倒无法起身")).await);
        assert_eq!(c.priority, cases::Priority::Urgent);
        let to = |sql: String| {
            let core = core.clone();
            async move { count(&core, &sql).await }
        };
        assert_eq!(to(format!("SELECT COUNT(*) FROM notifications WHERE user_id = 'duty-user' AND case_id = '{}'", c.id)).await, 1);
        assert_eq!(to("SELECT COUNT(*) FROM notifications WHERE user_id = 'off-duty-user'".to_string()).await, 0);
        assert_eq!(
            to(format!("SELECT COUNT(*) FROM notifications WHERE role = 'township_staff' AND case_id = '{}'", c.id)).await,
            1,
            "the township hears of an emergency at once"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disputes_are_mediated_with_consent_agreement_and_confirmation_reminders() {
    use xiangzhi_core::cases::mediation::{self, Party, Step};
    both(|core| async move {
        setup(&core).await;
        make_user(&core, "test-village_cadre-130123101201").await;
        let c = created(
            cases::raise(&core, &villager(), "app", report("dispute_neighbour", "邻居盖房占了我家宅基地边界")).await,
        );
        let c = act(&core, &cadre(), &c, Action::Accept { priority: None }).await;
        act(&core, &cadre(), &c, Action::Dispatch { assignee_user_id: None, note: None }).await;
        let step = |s: Step| {
            let core = core.clone();
            let id = c.id.clone();
            async move { mediation::record(&core, &cadre(), &id, s).await }
        };
        step(Step::Consent { party: Party::A, consent: true }).await.unwrap();
        expect_code(step(Step::Session { note: "约谈".into() }).await, "consent_missing");
        step(Step::Consent { party: Party::B, consent: true }).await.unwrap();
        let m = step(Step::Session { note: "双方到场陈述".into() }).await.unwrap();
        assert_eq!(m.sessions, 1);
        expect_code(
            step(Step::Agreement { text: "甲方后退半米，乙方补偿五百元。".into(), parties_signed: true, mediator_signed: false }).await,
            "agreement_unsigned",
        );
        let m = step(Step::Agreement { text: "甲方后退半米，乙方补偿五百元。".into(), parties_signed: true, mediator_signed: true })
            .await
            .unwrap();
        let (after, events) = cases::get(&core, &cadre(), &c.id).await.unwrap();
        assert_eq!(after.status, Status::Handled);
        assert!(events.iter().any(|e| e.action == "case.mediation_agreement"));
        let due = m.confirm_due.unwrap();
        let day = 24 * 3600 * 1000;
        assert_eq!(mediation::remind(&core, due - 10 * day).await.unwrap(), 0);
        assert_eq!(mediation::remind(&core, due - 6 * day).await.unwrap(), 1, "T-7");
        assert_eq!(mediation::remind(&core, due - 6 * day).await.unwrap(), 0, "once");
        assert_eq!(mediation::remind(&core, due - day).await.unwrap(), 1, "T-2");
        let n = count(&core, "SELECT COUNT(*) FROM notifications WHERE kind LIKE 'mediation.confirm_t%'").await;
        assert_eq!(n, 4, "the mediator and the reporter, twice");

        // A refusal ends the mediation and names the other channels.
        let c2 = created(
            cases::raise(&core, &villager(), "app", report("dispute_family", "兄弟几个对老人赡养费有分歧")).await,
        );
        let c2 = act(&core, &cadre(), &c2, Action::Accept { priority: None }).await;
        mediation::record(&core, &cadre(), &c2.id, Step::Consent { party: Party::B, consent: false })
            .await
            .unwrap();
        let (c2, _) = cases::get(&core, &cadre(), &c2.id).await.unwrap();
        assert_eq!(c2.status, Status::Closed);
        assert!(c2.public_note.unwrap().contains("仲裁"));
        // Not a dispute: refused.
        let other = created(cases::raise(&core, &villager(), "app", report("streetlight", "路灯坏了")).await);
        expect_code(
            mediation::record(&core, &cadre(), &other.id, Step::Consent { party: Party::A, consent: true }).await,
            "not_a_dispute",
        );

        // Already in court: not handled as a case; the person is told the channel.
        let mut n = report("dispute_land", "承包地流转费用一年没给");
        n.attrs = BTreeMap::from([("channel".to_string(), vec!["court".to_string()])]);
        let r = created(cases::raise(&core, &villager(), "app", n).await);
        assert_eq!(r.status, Status::Rejected);
        assert!(r.public_note.unwrap().contains("人民法院"));
        // A risk of violence: urgent, and the township and county hear at once.
        let mut n = report("dispute_neighbour", "两家因排水沟吵架，扬言要动刀");
        n.attrs = BTreeMap::from([("violence_risk".to_string(), vec!["yes".to_string()])]);
        let r = created(cases::raise(&core, &villager(), "app", n).await);
        assert_eq!(r.priority, cases::Priority::Urgent);
        let n = count(&core, &format!(
            "SELECT COUNT(*) FROM notifications WHERE case_id = '{}' AND role IN ('township_staff', 'county_staff')", r.id
        )).await;
        assert_eq!(n, 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_are_sniffed_capped_downscaled_and_checked() {
    use xiangzhi_core::cases::attachments;
    both(|core| async move {
        setup(&core).await;
        let c = created(
            cases::raise(
                &core,
                &villager(),
                "app",
                report("road_facility", "小桥护栏断了"),
            )
            .await,
        );
        let img = image::RgbImage::from_pixel(2560, 1920, image::Rgb([20, 120, 40]));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let a = attachments::attach(&core, &villager(), &c.id, "桥.png", png)
            .await
            .unwrap();
        assert_eq!(
            (a.content_type.as_str(), a.width, a.height),
            ("image/jpeg", Some(1280), Some(960))
        );
        // Not what it claims, not a photo or PDF, too large, empty: refused, nothing stored.
        expect_code(
            attachments::attach(
                &core,
                &villager(),
                &c.id,
                "a.pdf",
                vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2],
            )
            .await,
            "file_type",
        );
        expect_code(
            attachments::attach(
                &core,
                &villager(),
                &c.id,
                "a.exe",
                b"MZ\x90\x00rest".to_vec(),
            )
            .await,
            "file_type",
        );
        let mut big = b"%PDF-1.7\n".to_vec();
        big.resize(attachments::MAX_BYTES + 1, b' ');
        expect_code(
            attachments::attach(&core, &villager(), &c.id, "big.pdf", big).await,
            "upload_too_large",
        );
        expect_code(
            attachments::attach(&core, &villager(), &c.id, "e.pdf", Vec::new()).await,
            "required",
        );
        let other = staff(Role::VillageCadre, VILLAGE_B, AreaLevel::Village);
        expect_code(
            attachments::attach(&core, &other, &c.id, "x.pdf", b"%PDF-1.7\n".to_vec()).await,
            "not_found",
        );
        let pdf = attachments::attach(
            &core,
            &cadre(),
            &c.id,
            "材料.pdf",
            b"%PDF-1.7\nhello".to_vec(),
        )
        .await
        .unwrap();
        assert_eq!(
            attachments::list(&core, &villager(), &c.id)
                .await
                .unwrap()
                .len(),
            2
        );
        let (_, bytes) = attachments::open(&core, &cadre(), &pdf.id).await.unwrap();
        assert_eq!(bytes, b"%PDF-1.7\nhello");
        expect_code(attachments::open(&core, &other, &pdf.id).await, "not_found");
        // A blob changed on disk is detected.
        let key: String = sqlx::query_scalar("SELECT storage_key FROM attachments WHERE id = $1")
            .bind(pdf.id.clone())
            .fetch_one(&core.db.read)
            .await
            .unwrap();
        std::fs::write(core.data_dir.join("blobs").join(key), b"%PDF-1.7\nforged").unwrap();
        expect_code(
            attachments::open(&core, &cadre(), &pdf.id).await,
            "internal",
        );
        assert_eq!(count(&core, "SELECT COUNT(*) FROM attachments").await, 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_chinese_words_within_the_readers_areas() {
    use xiangzhi_core::cases::search::SortBy;
    both(|core| async move {
        setup(&core).await;
        // Cases written before search starts are found through the first build.
        let lamp = created(
            cases::raise(
                &core,
                &villager(),
                "app",
                report("streetlight", "村口路灯不亮已经一周，晚上出行很不方便"),
            )
            .await,
        );
        expect_code(
            cases::service::search(
                &core,
                &cadre(),
                "路灯",
                None,
                None,
                SortBy::Relevance,
                1,
                20,
            )
            .await,
            "search_unavailable",
        );
        core.start_search().unwrap();
        // Cases written afterwards reach the index from the intake writer.
        let mut b = report("water_supply", "自来水管破裂，李家沟村东头停水两天");
        b.area_code = VILLAGE_B.into();
        b.grid_code = None;
        let other_villager = staff(Role::Villager, VILLAGE_B, AreaLevel::Village);
        let water = created(cases::raise(&core, &other_villager, "app", b).await);
        let lamp2 = created(
            cases::raise(
                &core,
                &villager(),
                "app",
                NewCase {
                    not_duplicate: true,
                    ..report("streetlight", "学校门口路灯坏了，孩子放学天黑")
                },
            )
            .await,
        );
        core.search.flush().await;

        let find = |who: Actor, q: &'static str, sort: SortBy| {
            let core = core.clone();
            async move {
                cases::service::search(&core, &who, q, None, None, sort, 1, 20)
                    .await
                    .unwrap()
            }
        };
        // Every word must match; the cadre of village A sees only village A's cases.
        let page = find(cadre(), "路灯", SortBy::Newest).await;
        let ids: Vec<&str> = page.rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, vec![lamp2.id.as_str(), lamp.id.as_str()], "{page:?}");
        assert_eq!(page.total, 2);
        let page = find(cadre(), "村口 路灯", SortBy::Relevance).await;
        assert_eq!(page.rows.len(), 1);
        assert_eq!(page.rows[0].id, lamp.id);
        assert!(find(cadre(), "停水", SortBy::Relevance)
            .await
            .rows
            .is_empty());
        // The township sees both villages; the grid worker only the grid's cases.
        let page = find(township(), "停水", SortBy::Relevance).await;
        assert_eq!(page.rows.len(), 1);
        assert_eq!(page.rows[0].id, water.id);
        assert_eq!(find(grid(), "路灯", SortBy::Relevance).await.rows.len(), 2);
        assert!(find(grid(), "停水", SortBy::Relevance)
            .await
            .rows
            .is_empty());
        // A whole case number finds its case.
        expect_code(
            cases::service::search(&core, &cadre(), " ", None, None, SortBy::Relevance, 1, 20)
                .await,
            "required",
        );
        let by_number = cases::service::search(
            &core,
            &cadre(),
            &lamp.number,
            None,
            None,
            SortBy::Relevance,
            1,
            20,
        )
        .await
        .unwrap();
        assert_eq!(by_number.rows[0].id, lamp.id);
        // State shown is the database's, not the index's.
        let accepted = act(&core, &cadre(), &lamp, Action::Accept { priority: None }).await;
        let page = find(cadre(), "村口", SortBy::Relevance).await;
        assert_eq!(page.rows[0].status, accepted.status);
        // A villager cannot search the area's cases.
        expect_code(
            cases::service::search(
                &core,
                &villager(),
                "路灯",
                None,
                None,
                SortBy::Relevance,
                1,
                20,
            )
            .await,
            "forbidden",
        );
        // Bad input: too long, unknown type.
        let long = "路".repeat(101);
        expect_code(
            cases::service::search(&core, &cadre(), &long, None, None, SortBy::Relevance, 1, 20)
                .await,
            "too_long",
        );
        expect_code(
            cases::service::search(
                &core,
                &cadre(),
                "路灯",
                None,
                Some("no_such_type"),
                SortBy::Relevance,
                1,
                20,
            )
            .await,
            "invalid",
        );
        // Rebuilt from the database on demand: only administrators and catalogue keepers.
        expect_code(
            cases::service::rebuild_search(&core, &cadre()).await,
            "forbidden",
        );
        let county = staff(Role::CountyStaff, COUNTY, AreaLevel::County);
        assert_eq!(
            cases::service::rebuild_search(&core, &county)
                .await
                .unwrap(),
            3
        );
        assert_eq!(find(cadre(), "路灯", SortBy::Relevance).await.total, 2);
    })
    .await;
}
