//! Levy plan tests (一事一议): the roll from real registry rows, caps, approval under a
//! resolution, collection, award subsidies and the disclosure. Every test runs on SQLite and
//! on PostgreSQL.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::NaiveDate;
use common::{both, staff};
use xiangzhi_core::areas::{self, service::NewArea, AreaLevel};
use xiangzhi_core::authz::{Actor, Role};
use xiangzhi_core::levy::rules::SubsidyStep;
use xiangzhi_core::levy::service::{self as levy, ExemptionInput};
use xiangzhi_core::levy::{LevySettings, Plan, PlanInput, PlanStatus, Resolution};
use xiangzhi_core::people::idnum::make_id;
use xiangzhi_core::people::{self, PersonInput};
use xiangzhi_core::{AppResult, Core};

const COUNTY: &str = "130123000000";
const TOWNSHIP: &str = "130123101000";
const VILLAGE_A: &str = "130123101201";
const VILLAGE_B: &str = "130123101202";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn cadre() -> Actor {
    staff(Role::VillageCadre, VILLAGE_A, AreaLevel::Village)
}
fn township() -> Actor {
    staff(Role::TownshipStaff, TOWNSHIP, AreaLevel::Township)
}
fn county() -> Actor {
    staff(Role::CountyStaff, COUNTY, AreaLevel::County)
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

async fn count(core: &Core, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&core.db.read)
        .await
        .unwrap()
}

/// One person registered for the tests: (name, household number, relation, birth, male,
/// village).
type Resident = (
    &'static str,
    &'static str,
    &'static str,
    (i32, u32, u32),
    bool,
    &'static str,
);

const PEOPLE: &[Resident] = &[
    ("张三", "0001", "户主", (1980, 1, 1), true, VILLAGE_A),
    ("王芳", "0001", "配偶", (1982, 3, 5), false, VILLAGE_A),
    ("张小明", "0001", "子女", (2010, 9, 1), true, VILLAGE_A),
    ("刘桂兰", "0001", "父母", (1950, 2, 2), false, VILLAGE_A),
    ("张大明", "0001", "子女", (2003, 5, 20), true, VILLAGE_A),
    ("李四", "0002", "户主", (1965, 6, 15), true, VILLAGE_A),
    ("赵梅", "0002", "配偶", (1970, 6, 15), false, VILLAGE_A),
    ("李小龙", "0002", "子女", (2007, 6, 16), true, VILLAGE_A),
    ("孙五", "0001", "户主", (1980, 1, 1), true, VILLAGE_B),
];

/// The date ages are counted on: 李四 turns 60 and 赵梅 55 that day (both still labourers);
/// 李小龙 turns 18 the day after (not yet one).
fn reference() -> NaiveDate {
    date(2025, 6, 15)
}

/// The county, its areas and people. Returns the person ids in [`PEOPLE`] order.
async fn setup(core: &Core) -> Vec<String> {
    let sys = Actor::system("test");
    for (code, name, level, parent) in [
        (COUNTY, "x县", "county", None),
        (TOWNSHIP, "城关镇", "township", Some(COUNTY)),
        (VILLAGE_A, "张家庄村", "village", Some(TOWNSHIP)),
        (VILLAGE_B, "李家沟村", "village", Some(TOWNSHIP)),
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
    for (i, (name, hh, relation, (y, m, d), male, area)) in PEOPLE.iter().enumerate() {
        let seq = (i as u16) * 2 + u16::from(*male);
        let input = PersonInput {
            name: (*name).into(),
            id_number: make_id(area, date(*y, *m, *d), seq),
            phone: format!("1390000{:04}", i),
            area_code: (*area).into(),
            household_number: (*hh).into(),
            address: "幸福路1号".into(),
            relation: (*relation).into(),
            ..PersonInput::default()
        };
        let p = people::service::create_person(core, &sys, &input)
            .await
            .unwrap();
        ids.push(p.id);
    }
    ids
}

fn plan_input(per_person: i64, workdays: i64) -> PlanInput {
    PlanInput {
        area_code: VILLAGE_A.into(),
        matter_id: Some("matter-road-2025".into()),
        title: "村东道路硬化".into(),
        project_kind: "village_road".into(),
        year: 2025,
        budget_cents: 8_000_000,
        per_person_cents: per_person,
        workdays_per_labourer: workdays,
        reference_date: Some(reference()),
    }
}

fn passed() -> Resolution {
    Resolution {
        matter_id: "matter-road-2025".into(),
        passed: true,
        decided_at: 1_750_000_000_000,
    }
}

async fn household_of(core: &Core, plan: &Plan, number: &str) -> String {
    levy::get(core, &cadre(), &plan.id)
        .await
        .unwrap()
        .households
        .into_iter()
        .find(|h| h.number == number)
        .unwrap()
        .household_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_roll_comes_from_the_registry_with_ages_and_exemptions() {
    both(|core| async move {
        let ids = setup(&core).await;
        let audit_before = count(&core, "audit_log").await;
        let plan = levy::create_plan(&core, &cadre(), &plan_input(1500, 10))
            .await
            .unwrap();
        assert_eq!(plan.status, PlanStatus::Draft);
        assert_eq!(plan.reference_date, "2025-06-15");
        assert_eq!(count(&core, "audit_log").await, audit_before + 1);
        // 8 persons of the village pay (孙五 lives in the other village). Labourers: 张三,
        // 王芳, 张大明 (22); 李四 (60 today), 赵梅 (55 today). Not: a child, a woman of 75,
        // 李小龙 (18 tomorrow).
        assert_eq!(plan.persons_liable, 8);
        assert_eq!(plan.labourers_liable, 5);
        assert_eq!(plan.amount_cents, 8 * 1500);
        assert_eq!(plan.workdays, 50);
        let view = levy::get(&core, &cadre(), &plan.id).await.unwrap();
        let lines: Vec<(&str, &str, i64, i64, i64, i64)> = view
            .households
            .iter()
            .map(|h| {
                (
                    h.number.as_str(),
                    h.head_name.as_str(),
                    h.persons_liable,
                    h.labourers_liable,
                    h.account.amount_cents,
                    h.account.workdays,
                )
            })
            .collect();
        assert_eq!(
            lines,
            vec![
                ("0001", "张三", 5, 3, 7500, 30),
                ("0002", "李四", 3, 2, 4500, 20)
            ]
        );
        let hh1 = view.households[0].household_id.clone();
        let hh2 = view.households[1].household_id.clone();

        // The student is excused from labour, not from money.
        let student = levy::add_exemption(
            &core,
            &cadre(),
            &plan.id,
            &ExemptionInput {
                household_id: hh1.clone(),
                person_id: Some(ids[4].clone()),
                kind: "student".into(),
                note: "在读大学".into(),
            },
        )
        .await
        .unwrap();
        // A dibao household is excused from both, by the assembly's vote.
        levy::add_exemption(
            &core,
            &cadre(),
            &plan.id,
            &ExemptionInput {
                household_id: hh2.clone(),
                person_id: None,
                kind: "dibao".into(),
                note: "村民会议表决".into(),
            },
        )
        .await
        .unwrap();
        let view = levy::get(&core, &cadre(), &plan.id).await.unwrap();
        assert_eq!(
            (view.plan.persons_liable, view.plan.labourers_liable),
            (5, 2)
        );
        assert_eq!(view.plan.amount_cents, 7500);
        assert_eq!(view.households[0].account.workdays, 20);
        assert_eq!(view.households[1].account.amount_cents, 0);
        assert_eq!(view.exemptions.len(), 2);

        // Shapes and membership are checked.
        expect_code(
            levy::add_exemption(
                &core,
                &cadre(),
                &plan.id,
                &ExemptionInput {
                    household_id: hh1.clone(),
                    person_id: Some(ids[5].clone()),
                    kind: "active_military".into(),
                    note: String::new(),
                },
            )
            .await,
            "invalid",
        );
        expect_code(
            levy::add_exemption(
                &core,
                &cadre(),
                &plan.id,
                &ExemptionInput {
                    household_id: hh1.clone(),
                    person_id: None,
                    kind: "student".into(),
                    note: String::new(),
                },
            )
            .await,
            "required",
        );
        expect_code(
            levy::add_exemption(
                &core,
                &cadre(),
                &plan.id,
                &ExemptionInput {
                    household_id: hh1.clone(),
                    person_id: None,
                    kind: "rich".into(),
                    note: String::new(),
                },
            )
            .await,
            "not_in_list",
        );

        // Removing the student's exemption gives the labour back.
        let p = levy::remove_exemption(&core, &cadre(), &plan.id, &student.id)
            .await
            .unwrap();
        assert_eq!(p.labourers_liable, 3);

        // Once approved, exemptions are fixed.
        levy::approve(&core, &cadre(), &plan.id, &passed())
            .await
            .unwrap();
        expect_code(
            levy::add_exemption(
                &core,
                &cadre(),
                &plan.id,
                &ExemptionInput {
                    household_id: hh1,
                    person_id: Some(ids[4].clone()),
                    kind: "student".into(),
                    note: String::new(),
                },
            )
            .await,
            "levy_not_draft",
        );

        // Another village's cadre does not see the plan; a villager cannot make one.
        let other = staff(Role::VillageCadre, VILLAGE_B, AreaLevel::Village);
        expect_code(levy::get(&core, &other, &plan.id).await, "not_found");
        assert!(levy::list(&core, &other).await.unwrap().is_empty());
        assert_eq!(levy::list(&core, &township()).await.unwrap().len(), 1);
        let villager = staff(Role::Villager, VILLAGE_A, AreaLevel::Village);
        expect_code(
            levy::create_plan(&core, &villager, &plan_input(1000, 5)).await,
            "forbidden",
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_above_the_cap_is_refused_and_writes_nothing() {
    both(|core| async move {
        setup(&core).await;
        let tables = ["levy_plans", "levy_households", "audit_log"];
        let mut before = Vec::new();
        for t in tables {
            before.push(count(&core, t).await);
        }
        let r = levy::create_plan(&core, &cadre(), &plan_input(1501, 10)).await;
        match &r {
            Err(e) => assert_eq!(
                e.fields()
                    .iter()
                    .map(|f| (f.field.as_str(), f.code.as_str()))
                    .collect::<Vec<_>>(),
                vec![("per_person_cents", "levy_above_cap")]
            ),
            Ok(p) => panic!("accepted {p:?}"),
        }
        expect_code(
            levy::create_plan(&core, &cadre(), &plan_input(1500, 11)).await,
            "levy_above_cap",
        );
        let mut bad_budget = plan_input(1000, 5);
        bad_budget.budget_cents = 0;
        expect_code(
            levy::create_plan(&core, &cadre(), &bad_budget).await,
            "amount_not_positive",
        );
        let mut bad_kind = plan_input(1000, 5);
        bad_kind.project_kind = "office_building".into();
        expect_code(
            levy::create_plan(&core, &cadre(), &bad_kind).await,
            "not_in_list",
        );
        for (t, n) in tables.iter().zip(&before) {
            assert_eq!(count(&core, t).await, *n, "{t}");
        }

        // Exactly the cap passes.
        levy::create_plan(&core, &cadre(), &plan_input(1500, 10))
            .await
            .unwrap();

        // The county lowers its cap; township staff may not.
        let lower = LevySettings {
            cap_cents_per_person: 1000,
            ..LevySettings::default()
        };
        expect_code(
            levy::put_settings(&core, &township(), COUNTY, &lower).await,
            "forbidden",
        );
        levy::put_settings(&core, &county(), COUNTY, &lower)
            .await
            .unwrap();
        assert_eq!(
            levy::settings(&core, COUNTY)
                .await
                .unwrap()
                .cap_cents_per_person,
            1000
        );
        expect_code(
            levy::create_plan(&core, &cadre(), &plan_input(1001, 5)).await,
            "levy_above_cap",
        );
        levy::create_plan(&core, &cadre(), &plan_input(1000, 5))
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_needs_a_passed_resolution() {
    both(|core| async move {
        setup(&core).await;
        let plan = levy::create_plan(&core, &cadre(), &plan_input(1500, 10))
            .await
            .unwrap();
        let audit_before = count(&core, "audit_log").await;
        let failed = Resolution {
            passed: false,
            ..passed()
        };
        expect_code(
            levy::approve(&core, &cadre(), &plan.id, &failed).await,
            "levy_not_resolved",
        );
        let other_matter = Resolution {
            matter_id: "matter-something-else".into(),
            ..passed()
        };
        expect_code(
            levy::approve(&core, &cadre(), &plan.id, &other_matter).await,
            "levy_not_resolved",
        );
        let other = staff(Role::VillageCadre, VILLAGE_B, AreaLevel::Village);
        expect_code(
            levy::approve(&core, &other, &plan.id, &passed()).await,
            "not_found",
        );
        let supervisor = staff(Role::VillageSupervisor, VILLAGE_A, AreaLevel::Village);
        expect_code(
            levy::approve(&core, &supervisor, &plan.id, &passed()).await,
            "forbidden",
        );
        assert_eq!(count(&core, "audit_log").await, audit_before);
        let view = levy::get(&core, &cadre(), &plan.id).await.unwrap();
        assert_eq!(view.plan.status, PlanStatus::Draft);
        // Collection does not start before approval.
        let hh = view.households[0].household_id.clone();
        expect_code(
            levy::record_payment(&core, &cadre(), &plan.id, &hh, 100).await,
            "levy_not_approved",
        );

        let p = levy::approve(&core, &cadre(), &plan.id, &passed())
            .await
            .unwrap();
        assert_eq!(p.status, PlanStatus::Approved);
        assert_eq!(p.resolution_matter_id.as_deref(), Some("matter-road-2025"));
        assert_eq!(p.resolved_at, Some(passed().decided_at));
        expect_code(
            levy::approve(&core, &cadre(), &plan.id, &passed()).await,
            "levy_not_draft",
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_are_tracked_and_never_exceed_what_is_due() {
    both(|core| async move {
        setup(&core).await;
        let plan = levy::create_plan(&core, &cadre(), &plan_input(1500, 10))
            .await
            .unwrap();
        levy::approve(&core, &cadre(), &plan.id, &passed())
            .await
            .unwrap();
        let hh1 = household_of(&core, &plan, "0001").await;
        let hh2 = household_of(&core, &plan, "0002").await;

        let line = levy::record_payment(&core, &cadre(), &plan.id, &hh1, 5000)
            .await
            .unwrap();
        assert_eq!(line.account.paid_cents, 5000);
        assert_eq!(
            levy::get(&core, &cadre(), &plan.id)
                .await
                .unwrap()
                .plan
                .status,
            PlanStatus::Collecting
        );
        levy::record_payment(&core, &cadre(), &plan.id, &hh1, 2500)
            .await
            .unwrap();
        let audit_before = count(&core, "audit_log").await;
        expect_code(
            levy::record_payment(&core, &cadre(), &plan.id, &hh1, 1).await,
            "levy_overpayment",
        );
        expect_code(
            levy::record_payment(&core, &cadre(), &plan.id, &hh1, -5).await,
            "amount_not_positive",
        );
        assert_eq!(count(&core, "audit_log").await, audit_before);
        levy::record_workdays(&core, &cadre(), &plan.id, &hh1, 30)
            .await
            .unwrap();
        expect_code(
            levy::record_workdays(&core, &cadre(), &plan.id, &hh1, 1).await,
            "levy_overpayment",
        );

        // 李四's household asks to pay for 5 of its 20 workdays: 5 × 100 元 falls due.
        let line = levy::record_cash_for_labour(&core, &cadre(), &plan.id, &hh2, 5)
            .await
            .unwrap();
        assert_eq!(line.account.cash_for_labour_cents, 50_000);
        assert_eq!(line.account.money_due(), 4500 + 50_000);
        levy::record_payment(&core, &cadre(), &plan.id, &hh2, 54_500)
            .await
            .unwrap();
        expect_code(
            levy::record_workdays(&core, &cadre(), &plan.id, &hh2, 16).await,
            "levy_overpayment",
        );
        levy::record_workdays(&core, &cadre(), &plan.id, &hh2, 15)
            .await
            .unwrap();

        let t = levy::totals(&core, &cadre(), &plan.id).await.unwrap();
        assert_eq!(t.households, 2);
        assert_eq!(t.amount_cents, 12_000);
        assert_eq!(t.cash_for_labour_cents, 50_000);
        assert_eq!(t.paid_cents, 62_000);
        assert_eq!(
            (t.workdays, t.worked_days, t.cash_for_labour_days),
            (50, 45, 5)
        );
        let view = levy::get(&core, &cadre(), &plan.id).await.unwrap();
        assert_eq!(view.payments.len(), 6);

        // The disclosure names heads and amounts, nothing that identifies beyond that.
        let (title, body) = levy::disclosure(&core, &cadre(), &plan.id).await.unwrap();
        assert!(title.contains("张家庄村2025年"), "{title}");
        assert!(
            body.contains("张三｜5｜3｜75.00 元｜0.00 元｜75.00 元｜30｜30"),
            "{body}"
        );
        assert!(
            body.contains("李四｜3｜2｜45.00 元｜500.00 元｜545.00 元｜20｜15"),
            "{body}"
        );
        assert!(body.contains("实收 620.00 元"), "{body}");
        assert!(!body.contains("幸福路"), "no addresses");
        assert!(!body.contains("1390000"), "no phones");
        assert!(!body.contains("130123"), "no ID numbers");

        levy::close(&core, &cadre(), &plan.id).await.unwrap();
        expect_code(
            levy::record_payment(&core, &cadre(), &plan.id, &hh1, 1).await,
            "levy_closed",
        );
        expect_code(levy::close(&core, &cadre(), &plan.id).await, "levy_closed");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn award_subsidy_goes_township_then_county() {
    both(|core| async move {
        setup(&core).await;
        let plan = levy::create_plan(&core, &cadre(), &plan_input(1500, 10))
            .await
            .unwrap();
        expect_code(
            levy::apply_subsidy(&core, &cadre(), &plan.id).await,
            "subsidy_not_eligible",
        );
        levy::approve(&core, &cadre(), &plan.id, &passed())
            .await
            .unwrap();
        let hh1 = household_of(&core, &plan, "0001").await;
        levy::record_payment(&core, &cadre(), &plan.id, &hh1, 7500)
            .await
            .unwrap();
        levy::record_workdays(&core, &cadre(), &plan.id, &hh1, 10)
            .await
            .unwrap();

        // 1:1 of 75 元 raised and 10 workdays at 100 元.
        let s = levy::apply_subsidy(&core, &cadre(), &plan.id)
            .await
            .unwrap();
        assert_eq!((s.base_cents, s.amount_cents), (107_500, 107_500));
        expect_code(
            levy::apply_subsidy(&core, &cadre(), &plan.id).await,
            "subsidy_pending",
        );

        // Wrong levels are refused: the county does not take the township's step, nor the
        // township the county's; the village takes neither.
        expect_code(
            levy::subsidy_step(&core, &county(), &s.id, &SubsidyStep::TownshipReview).await,
            "forbidden",
        );
        expect_code(
            levy::subsidy_step(&core, &cadre(), &s.id, &SubsidyStep::TownshipReview).await,
            "forbidden",
        );
        expect_code(
            levy::subsidy_step(&core, &township(), &s.id, &SubsidyStep::CountyApprove).await,
            "invalid_transition",
        );
        let s2 = levy::subsidy_step(&core, &township(), &s.id, &SubsidyStep::TownshipReview)
            .await
            .unwrap();
        assert!(s2.township_at.is_some());
        expect_code(
            levy::subsidy_step(&core, &township(), &s.id, &SubsidyStep::CountyApprove).await,
            "forbidden",
        );
        let other_county = staff(Role::CountyStaff, "130124000000", AreaLevel::County);
        expect_code(
            levy::subsidy_step(&core, &other_county, &s.id, &SubsidyStep::CountyApprove).await,
            "not_found",
        );
        levy::subsidy_step(&core, &county(), &s.id, &SubsidyStep::CountyApprove)
            .await
            .unwrap();
        let paid = levy::subsidy_step(&core, &county(), &s.id, &SubsidyStep::Pay)
            .await
            .unwrap();
        assert!(paid.paid_at.is_some());
        let view = levy::get(&core, &cadre(), &plan.id).await.unwrap();
        assert_eq!(view.plan.subsidy_received_cents, 107_500);
        assert_eq!(view.totals.subsidy_received_cents, 107_500);
        let (_, body) = levy::disclosure(&core, &cadre(), &plan.id).await.unwrap();
        assert!(body.contains("获得财政奖补资金：1075.00 元"), "{body}");

        // A second application may be rejected, with a reason, at the township step.
        levy::record_workdays(&core, &cadre(), &plan.id, &hh1, 5)
            .await
            .unwrap();
        let s3 = levy::apply_subsidy(&core, &cadre(), &plan.id)
            .await
            .unwrap();
        expect_code(
            levy::subsidy_step(
                &core,
                &township(),
                &s3.id,
                &SubsidyStep::Reject { reason: " ".into() },
            )
            .await,
            "reason_required",
        );
        let r = levy::subsidy_step(
            &core,
            &township(),
            &s3.id,
            &SubsidyStep::Reject {
                reason: "本年度已申报过一次".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(r.reject_reason.as_deref(), Some("本年度已申报过一次"));
        expect_code(
            levy::subsidy_step(&core, &county(), &s3.id, &SubsidyStep::CountyApprove).await,
            "invalid_transition",
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_drafts_the_disclosure_for_review() {
    both(|core| async move {
        setup(&core).await;
        xiangzhi_core::disclosure::service::ensure_catalogue(&core, COUNTY)
            .await
            .unwrap();
        let plan = levy::create_plan(&core, &cadre(), &plan_input(1500, 10))
            .await
            .unwrap();
        // 2026-11-15 08:00 in China Standard Time.
        let now = 1_794_700_800_000;

        // A draft is not yet decided: nothing is published.
        let before = count(&core, "publications").await;
        expect_code(
            levy::publish(&core, &cadre(), &plan.id, now).await,
            "levy_not_approved",
        );
        assert_eq!(count(&core, "publications").await, before);

        levy::approve(&core, &cadre(), &plan.id, &passed())
            .await
            .unwrap();
        let hh1 = household_of(&core, &plan, "0001").await;
        levy::record_payment(&core, &cadre(), &plan.id, &hh1, 4500)
            .await
            .unwrap();

        // Lists read what was collected without loading each roll.
        let collected = levy::collected(&core, &cadre()).await.unwrap();
        assert_eq!(collected.get(&plan.id), Some(&(4500, 0)));
        let other = staff(Role::VillageCadre, VILLAGE_B, AreaLevel::Village);
        assert!(levy::collected(&core, &other).await.unwrap().is_empty());

        // Staff of another village, and the supervisors who only read, do not publish.
        expect_code(
            levy::publish(&core, &other, &plan.id, now).await,
            "not_found",
        );
        let supervisor = staff(Role::VillageSupervisor, VILLAGE_A, AreaLevel::Village);
        expect_code(
            levy::publish(&core, &supervisor, &plan.id, now).await,
            "forbidden",
        );

        let audit_before = count(&core, "audit_log").await;
        let id = levy::publish(&core, &cadre(), &plan.id, now).await.unwrap();
        let (item, period, source_type, source_id, status, body): (
            String,
            String,
            String,
            String,
            String,
            String,
        ) = sqlx::query_as(
            "SELECT item_code, period, source_type, source_id, status, body \
             FROM publications WHERE id = $1",
        )
        .bind(&id)
        .fetch_one(&core.db.read)
        .await
        .unwrap();
        assert_eq!(
            (item.as_str(), period.as_str(), source_type.as_str()),
            ("levy", "2026-11", "levy_plan")
        );
        assert_eq!(source_id, plan.id);
        assert_eq!(status, "in_review");
        let (_, expected) = levy::disclosure(&core, &cadre(), &plan.id).await.unwrap();
        assert_eq!(body, expected);
        assert!(body.contains("张三"), "{body}");
        // The draft's own record and the plan's, in the same transaction.
        assert_eq!(count(&core, "audit_log").await, audit_before + 2);
        let actions: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'levy.publish' AND object_id = $1",
        )
        .bind(&plan.id)
        .fetch_one(&core.db.read)
        .await
        .unwrap();
        assert_eq!(actions, 1);
    })
    .await;
}
