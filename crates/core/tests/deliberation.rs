//! Village decisions and disclosure, end to end on SQLite and PostgreSQL: the six steps of
//! 四议两公开 with real meetings (frozen rosters, notice periods, quorum and majority), secret
//! ballots that leave no trace of who voted what, the resolution published onto the
//! village's SM3 chain, objections, and verification of the chains.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::NaiveDate;
use common::{both, staff};
use sqlx::Row;
use xiangzhi_core::areas::{self, service::NewArea, AreaLevel};
use xiangzhi_core::authz::{Actor, Role};
use xiangzhi_core::deliberation::model::*;
use xiangzhi_core::deliberation::service::{
    self as delib, MatterAction, NewMatter, NewMeeting, NewVote,
};
use xiangzhi_core::disclosure::service::{self as disc, NewPublication};
use xiangzhi_core::people::{self, model::PersonInput};
use xiangzhi_core::{AppError, Core};

const COUNTY: &str = "130123000000";
const TOWNSHIP: &str = "130123101000";
const VILLAGE: &str = "130123101201";
const DAY: i64 = 86_400_000;
/// 2026-03-02 08:00 UTC.
const T0: i64 = 1_772_438_400_000;

fn cadre() -> Actor {
    staff(Role::VillageCadre, VILLAGE, AreaLevel::Village)
}
fn supervisor() -> Actor {
    staff(Role::VillageSupervisor, VILLAGE, AreaLevel::Village)
}
fn villager(person: &str) -> Actor {
    let mut a = staff(Role::Villager, VILLAGE, AreaLevel::Village);
    a.person_id = Some(person.into());
    a
}

/// Areas and 30 adults in 12 households: 5 cadres (3 of them party members), 4 more party
/// members, 8 representatives. Returns the person ids.
async fn setup(core: &Core) -> Vec<String> {
    let sys = Actor::system("test");
    for (code, name, level, parent) in [
        (COUNTY, "x县", "county", None),
        (TOWNSHIP, "城关镇", "township", Some(COUNTY)),
        (VILLAGE, "张家庄村", "village", Some(TOWNSHIP)),
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
    for i in 0..30u16 {
        let birth = NaiveDate::from_ymd_opt(1960 + i32::from(i), 1 + u32::from(i % 12), 3).unwrap();
        let input = PersonInput {
            name: format!("村民{i:02}"),
            id_number: people::idnum::make_id("130123", birth, i * 2 + 1),
            area_code: VILLAGE.into(),
            household_number: format!("{:04}", i / 3 + 1),
            address: "张家庄".into(),
            relation: if i % 3 == 0 { "户主" } else { "子女" }.into(),
            is_cadre: i < 5,
            is_party_member: i < 3 || (5..9).contains(&i),
            is_representative: (10..18).contains(&i),
            ..PersonInput::default()
        };
        ids.push(
            people::service::create_person(core, &sys, &input)
                .await
                .unwrap()
                .id,
        );
    }
    delib::ensure_county(core, COUNTY).await.unwrap();
    disc::ensure_catalogue(core, COUNTY).await.unwrap();
    ids
}

fn code(e: AppError) -> String {
    match e {
        AppError::Validation(f) => format!("{}:{}", f[0].field, f[0].code),
        e => e.code().to_string(),
    }
}

/// Hold a whole meeting of `kind` on `matter` at `at`: notice `notice_days` before, the first
/// `present` roster members present, `yes` of them in favour (open ballots, or a counted
/// tally when secret). Returns the closed vote.
#[allow(clippy::too_many_arguments)]
async fn hold(
    core: &Core,
    kind: &str,
    matter: Option<&str>,
    at: i64,
    present: usize,
    yes: usize,
    secret: bool,
) -> Result<Vote, String> {
    let a = cadre();
    let m = delib::create_meeting(
        core,
        &a,
        NewMeeting {
            area_code: VILLAGE.into(),
            kind: kind.into(),
            title: format!("{kind} 会议"),
            place: "村委会议室".into(),
            host: "村主任".into(),
            scheduled_at: at,
            agenda: vec![NewVote {
                matter_id: matter.map(str::to_string),
                question: "是否同意".into(),
                secret,
            }],
        },
        at - 11 * DAY,
    )
    .await
    .map_err(code)?;
    delib::convene(core, &a, &m.id, at - 10 * DAY)
        .await
        .map_err(code)?;
    let view = delib::get_meeting(core, &a, &m.id).await.unwrap();
    for r in view.roster.iter().take(present) {
        delib::record_presence(
            core,
            &a,
            &m.id,
            &r.person_id,
            Some(Presence::Present),
            None,
            "",
        )
        .await
        .map_err(code)?;
    }
    let vote = &view.votes[0];
    if secret {
        delib::enter_tally(core, &a, &vote.id, yes as i64, (present - yes) as i64, 0)
            .await
            .map_err(code)?;
    } else {
        for (i, r) in view.roster.iter().take(present).enumerate() {
            let c = if i < yes { Choice::Yes } else { Choice::No };
            delib::cast(core, &a, &vote.id, &r.person_id, c)
                .await
                .map_err(code)?;
        }
    }
    let (_, votes) = delib::close(core, &a, &m.id, "会议按程序进行。", at)
        .await
        .map_err(code)?;
    Ok(votes.into_iter().next().unwrap())
}

async fn new_matter(core: &Core, type_code: &str, title: &str) -> Matter {
    delib::create_matter(
        core,
        &cadre(),
        NewMatter {
            area_code: VILLAGE.into(),
            type_code: type_code.into(),
            title: title.into(),
            body: "拟硬化村东道路800米，预算12万元，由村集体经济收益和一事一议筹资解决。".into(),
            ..NewMatter::default()
        },
        T0,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn four_deliberations_in_order_with_the_reviewed_text() {
    both(|core: Core| async move {
        setup(&core).await;
        let m = new_matter(&core, "collective_project", "村东道路硬化").await;
        assert_eq!(m.stage, Stage::Draft);
        assert!(
            !delib::may_proceed(&mut core.db.read.acquire().await.unwrap(), &m.id, T0)
                .await
                .unwrap()
                .allowed
        );

        // No skipping: the party members cannot review a draft.
        assert_eq!(
            hold(
                &core,
                "party_members",
                Some(&m.id),
                T0 + 20 * DAY,
                5,
                5,
                false
            )
            .await
            .unwrap_err(),
            "step_out_of_order"
        );
        // Steps 1 and 2 in one joint meeting (the county allows the merge by default).
        let v = hold(
            &core,
            "two_committees",
            Some(&m.id),
            T0 + 20 * DAY,
            4,
            3,
            false,
        )
        .await
        .unwrap();
        assert!(v.outcome.unwrap().passed);
        let x = delib::get_matter(&core, &cadre(), &m.id, T0).await.unwrap();
        assert_eq!(x.matter.stage, Stage::Deliberated);
        assert_eq!(
            x.steps
                .iter()
                .filter(|s| s.step == 1 || s.step == 2)
                .count(),
            2
        );

        // The party members' review: 7 members, quorum two thirds (5), more than half of all (4).
        let v = hold(
            &core,
            "party_members",
            Some(&m.id),
            T0 + 30 * DAY,
            5,
            4,
            false,
        )
        .await
        .unwrap();
        let o = v.outcome.unwrap();
        assert!(o.passed, "{o:?}");
        assert_eq!(o.rule_id, "national.party_members");
        let x = delib::get_matter(&core, &cadre(), &m.id, T0).await.unwrap();
        assert_eq!(x.matter.stage, Stage::Reviewed);
        assert_eq!(
            x.matter.reviewed_hash.as_deref(),
            Some(x.matter.text_hash.as_str())
        );

        // Amending the text after review sends it back: the resolution cannot be put.
        delib::act_matter(
            &core,
            &cadre(),
            &m.id,
            MatterAction::Amend {
                title: "村东道路硬化".into(),
                body: "拟硬化村东道路1000米，预算15万元。".into(),
            },
            T0 + 31 * DAY,
        )
        .await
        .unwrap();
        assert_eq!(
            hold(
                &core,
                "representatives_assembly",
                Some(&m.id),
                T0 + 45 * DAY,
                10,
                10,
                false
            )
            .await
            .unwrap_err(),
            "step_out_of_order"
        );
        hold(
            &core,
            "party_members",
            Some(&m.id),
            T0 + 46 * DAY,
            6,
            5,
            false,
        )
        .await
        .unwrap();

        // A representatives' assembly needs the villagers' assembly's authorisation (R-VRA-AUTH).
        assert_eq!(
            hold(
                &core,
                "representatives_assembly",
                Some(&m.id),
                T0 + 60 * DAY,
                12,
                12,
                true
            )
            .await
            .unwrap_err(),
            "authorisation_required"
        );
        delib::act_matter(
            &core,
            &cadre(),
            &m.id,
            MatterAction::Authorise {
                reference: "2025年村民会议第2号决议".into(),
            },
            T0 + 50 * DAY,
        )
        .await
        .unwrap();
        // 13 members (5 cadres + 8 representatives): 8 present is short of two thirds (9).
        let v = hold(
            &core,
            "representatives_assembly",
            Some(&m.id),
            T0 + 60 * DAY,
            8,
            8,
            true,
        )
        .await
        .unwrap();
        let o = v.outcome.unwrap();
        assert!(!o.quorum_met && !o.passed);
        let x = delib::get_matter(&core, &cadre(), &m.id, T0).await.unwrap();
        assert_eq!(x.matter.stage, Stage::Rejected);
        assert_eq!(x.matter.rejected_at_step, Some(4));
        assert!(x.matter.reason.unwrap().contains("法定人数"));
        let c = delib::may_proceed(&mut core.db.read.acquire().await.unwrap(), &m.id, T0)
            .await
            .unwrap();
        assert_eq!((c.allowed, c.reason), (false, Some("matter_rejected")));

        // Re-enter and go through again, now with a quorum and a majority.
        delib::act_matter(&core, &cadre(), &m.id, MatterAction::Reenter, T0 + 61 * DAY)
            .await
            .unwrap();
        hold(
            &core,
            "two_committees",
            Some(&m.id),
            T0 + 75 * DAY,
            5,
            5,
            false,
        )
        .await
        .unwrap();
        hold(
            &core,
            "party_members",
            Some(&m.id),
            T0 + 80 * DAY,
            7,
            7,
            false,
        )
        .await
        .unwrap();
        let v = hold(
            &core,
            "representatives_assembly",
            Some(&m.id),
            T0 + 95 * DAY,
            10,
            6,
            true,
        )
        .await
        .unwrap();
        assert!(
            v.outcome.unwrap().passed,
            "6 of 10 present is more than half"
        );
        let x = delib::get_matter(&core, &cadre(), &m.id, T0 + 95 * DAY)
            .await
            .unwrap();
        assert_eq!(x.matter.stage, Stage::Resolved);
        assert!(x.clearance.is_ok());
        assert!(
            delib::may_proceed(&mut core.db.read.acquire().await.unwrap(), &m.id, T0)
                .await
                .unwrap()
                .allowed
        );
        // The resolution must be published within 3 days: an alert after that.
        let y = delib::get_matter(&core, &cadre(), &m.id, T0 + 99 * DAY)
            .await
            .unwrap();
        assert_eq!(y.alerts, vec!["resolution_unpublished"]);

        // Step 5: the notice is generated from the decision record; releasing it records the step.
        delib::act_matter(
            &core,
            &cadre(),
            &m.id,
            MatterAction::PublishResolution,
            T0 + 96 * DAY,
        )
        .await
        .unwrap();
        // Drafting it again is refused: one notice per step.
        assert_eq!(
            code(
                delib::act_matter(
                    &core,
                    &cadre(),
                    &m.id,
                    MatterAction::PublishResolution,
                    T0 + 96 * DAY
                )
                .await
                .unwrap_err()
            ),
            "publication_pending"
        );
        let drafts = disc::list(&core, &cadre(), "in_review", 10).await.unwrap();
        assert_eq!(drafts.len(), 1);
        let p = &drafts[0];
        assert!(
            !p.manual && p.body.contains("赞成6") && p.body.contains("村民代表会议"),
            "{}",
            p.body
        );
        assert_eq!(
            code(
                disc::release(&core, &cadre(), &p.id, T0 + 97 * DAY)
                    .await
                    .unwrap_err()
            ),
            "review_pending"
        );
        disc::review(&core, &supervisor(), &p.id, true, "", T0 + 97 * DAY)
            .await
            .unwrap();
        disc::release(&core, &cadre(), &p.id, T0 + 97 * DAY)
            .await
            .unwrap();
        let x = delib::get_matter(&core, &cadre(), &m.id, T0 + 97 * DAY)
            .await
            .unwrap();
        assert_eq!(x.matter.stage, Stage::Implementing);
        delib::act_matter(
            &core,
            &cadre(),
            &m.id,
            MatterAction::Complete {
                note: "工程已验收".into(),
            },
            T0 + 150 * DAY,
        )
        .await
        .unwrap();
        delib::act_matter(
            &core,
            &cadre(),
            &m.id,
            MatterAction::PublishResult {
                text: "道路硬化1000米，决算14.6万元。".into(),
            },
            T0 + 151 * DAY,
        )
        .await
        .unwrap();
        let p = disc::list(&core, &cadre(), "in_review", 10)
            .await
            .unwrap()
            .remove(0);
        // The supervisors let their window pass: release is allowed after it.
        disc::release(&core, &cadre(), &p.id, T0 + 157 * DAY)
            .await
            .unwrap();
        let x = delib::get_matter(&core, &cadre(), &m.id, T0 + 160 * DAY)
            .await
            .unwrap();
        assert_eq!(x.matter.stage, Stage::Closed);
        assert_eq!(x.steps.iter().map(|s| s.step).max(), Some(7));
        let r = disc::verify_chains(&core).await.unwrap();
        assert_eq!((r.publications, r.villages, r.problem), (2, 1, None));
    })
    .await;
}

#[tokio::test]
async fn meetings_refuse_what_the_rules_forbid() {
    both(|core: Core| async move {
        let ids = setup(&core).await;
        let a = cadre();
        // Ten days' notice for the villagers' assembly.
        let m = delib::create_meeting(
            &core,
            &a,
            NewMeeting {
                area_code: VILLAGE.into(),
                kind: "villager_assembly".into(),
                title: "村民会议".into(),
                place: "村广场".into(),
                host: "村主任".into(),
                scheduled_at: T0 + 9 * DAY,
                agenda: vec![NewVote {
                    matter_id: None,
                    question: "是否同意修建文化广场".into(),
                    secret: true,
                }],
            },
            T0,
        )
        .await
        .unwrap();
        assert_eq!(
            code(delib::convene(&core, &a, &m.id, T0).await.unwrap_err()),
            "scheduled_at:notice_too_short"
        );
        // Presence before notice is refused; the roster can change before notice only.
        assert_eq!(
            code(
                delib::record_presence(
                    &core,
                    &a,
                    &m.id,
                    &ids[0],
                    Some(Presence::Present),
                    None,
                    ""
                )
                .await
                .unwrap_err()
            ),
            "meeting_not_convened"
        );
        delib::adjust_roster(&core, &a, &m.id, &ids[29], false)
            .await
            .unwrap();
        let m2 = delib::create_meeting(
            &core,
            &a,
            NewMeeting {
                area_code: VILLAGE.into(),
                kind: "villager_assembly".into(),
                title: "村民会议".into(),
                place: "村广场".into(),
                host: "村主任".into(),
                scheduled_at: T0 + 10 * DAY,
                agenda: vec![NewVote {
                    matter_id: None,
                    question: "是否同意修建文化广场".into(),
                    secret: true,
                }],
            },
            T0,
        )
        .await
        .unwrap();
        delib::convene(&core, &a, &m2.id, T0).await.unwrap();
        assert_eq!(
            code(
                delib::adjust_roster(&core, &a, &m2.id, &ids[29], false)
                    .await
                    .unwrap_err()
            ),
            "roster_frozen"
        );
        let view = delib::get_meeting(&core, &a, &m2.id).await.unwrap();
        assert_eq!((view.meeting.members, view.meeting.households), (30, 10));
        let vote = view.votes[0].id.clone();
        // Only people who signed in may vote.
        assert_eq!(
            code(
                delib::cast(&core, &a, &vote, &ids[1], Choice::Yes)
                    .await
                    .unwrap_err()
            ),
            "person_id:not_present"
        );
        for (i, id) in ids.iter().enumerate().take(16) {
            let p = if i == 15 {
                Presence::Proxy
            } else {
                Presence::Present
            };
            delib::record_presence(
                &core,
                &a,
                &m2.id,
                id,
                Some(p),
                (i == 15).then_some("村民00"),
                "",
            )
            .await
            .unwrap();
        }
        // Secret ballots: villagers vote on their phones; the choice goes into the tally only.
        for (i, id) in ids.iter().enumerate().take(16) {
            let c = if i < 9 { Choice::Yes } else { Choice::No };
            delib::cast_own(&core, &villager(id), &vote, c)
                .await
                .unwrap();
        }
        assert_eq!(
            code(
                delib::cast_own(&core, &villager(&ids[0]), &vote, Choice::No)
                    .await
                    .unwrap_err()
            ),
            "already_voted"
        );
        let mut c = core.db.read.acquire().await.unwrap();
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM ballots")
            .fetch_one(&mut *c)
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 0, "no ballot row links a person to a choice");
        let rows = sqlx::query("SELECT detail FROM audit_log WHERE action = 'vote.cast_secret'")
            .fetch_all(&mut *c)
            .await
            .unwrap();
        assert_eq!(rows.len(), 16);
        for r in rows {
            let d: String = r.get(0);
            assert!(!d.contains("yes") && !d.contains("no"), "{d}");
        }
        drop(c);
        // A tally cannot be typed over electronic ballots.
        assert_eq!(
            code(
                delib::enter_tally(&core, &a, &vote, 1, 0, 0)
                    .await
                    .unwrap_err()
            ),
            "ballots_already_recorded"
        );
        let (meeting, votes) = delib::close(&core, &a, &m2.id, "文化广场表决。", T0 + 10 * DAY)
            .await
            .unwrap();
        // 16 of 30 adults is more than half: quorum; 9 of 16 present is more than half.
        assert_eq!((meeting.attendees, votes[0].yes, votes[0].no), (16, 9, 7));
        assert!(votes[0].outcome.as_ref().unwrap().passed);
        assert_eq!(
            code(
                delib::cast(&core, &a, &vote, &ids[20], Choice::Yes)
                    .await
                    .unwrap_err()
            ),
            "meeting_closed"
        );
        assert_eq!(
            code(
                delib::close(&core, &a, &m2.id, "again", T0 + 11 * DAY)
                    .await
                    .unwrap_err()
            ),
            "meeting_closed"
        );
        // A bylaw is for the villagers' assembly alone.
        let b = new_matter(&core, "bylaw", "修订村规民约").await;
        hold(
            &core,
            "two_committees",
            Some(&b.id),
            T0 + 20 * DAY,
            5,
            5,
            false,
        )
        .await
        .unwrap();
        hold(
            &core,
            "party_members",
            Some(&b.id),
            T0 + 30 * DAY,
            7,
            7,
            false,
        )
        .await
        .unwrap();
        assert_eq!(
            hold(
                &core,
                "representatives_assembly",
                Some(&b.id),
                T0 + 40 * DAY,
                13,
                13,
                false
            )
            .await
            .unwrap_err(),
            "assembly_only"
        );
        // A county cannot switch a national duty off.
        let county = staff(Role::CountyStaff, COUNTY, AreaLevel::County);
        let mut weaker = delib::matter_types(&core, COUNTY)
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.code == "land_contracting")
            .unwrap();
        weaker.special_majority = false;
        assert_eq!(
            code(
                delib::save_matter_type(&core, &county, COUNTY, weaker)
                    .await
                    .unwrap_err()
            ),
            "type_code:weakens_national_rule"
        );
    })
    .await;
}

#[tokio::test]
async fn publications_are_chained_reviewed_and_objected_to() {
    both(|core: Core| async move {
        let ids = setup(&core).await;
        let a = cadre();
        let draft = |body: &str| NewPublication {
            area_code: VILLAGE.into(),
            item_code: "finance".into(),
            period: "2026-02".into(),
            title: "2026年2月财务收支公开".into(),
            body: body.into(),
        };
        // Personal data never reaches a public notice; nothing is written.
        assert_eq!(
            code(
                disc::draft_manual(&core, &a, draft("经手人电话13812345678"), T0)
                    .await
                    .unwrap_err()
            ),
            "content:public_phone"
        );
        assert!(disc::list(&core, &a, "", 10).await.unwrap().is_empty());
        let p1 = disc::draft_manual(
            &core,
            &a,
            draft("收入：上级转移支付 52,000.00 元\n支出：保洁 6,000.00 元"),
            T0,
        )
        .await
        .unwrap();
        assert!(p1.manual);
        assert_eq!(
            code(
                disc::review(&core, &supervisor(), &p1.id, false, "", T0)
                    .await
                    .unwrap_err()
            ),
            "note:reason_required"
        );
        disc::review(&core, &supervisor(), &p1.id, false, "保洁支出缺凭证号", T0)
            .await
            .unwrap();
        assert_eq!(
            code(
                disc::release(&core, &a, &p1.id, T0 + 10 * DAY)
                    .await
                    .unwrap_err()
            ),
            "publication_returned"
        );
        disc::revise(
            &core,
            &a,
            &p1.id,
            "2026年2月财务收支公开",
            "收入：上级转移支付 52,000.00 元\n支出：保洁 6,000.00 元（凭证 2026-02-07）",
            T0 + DAY,
        )
        .await
        .unwrap();
        disc::review(&core, &supervisor(), &p1.id, true, "", T0 + DAY)
            .await
            .unwrap();
        let p1 = disc::release(&core, &a, &p1.id, T0 + 2 * DAY)
            .await
            .unwrap();
        assert_eq!(p1.seq, Some(1));
        assert_eq!(
            code(
                disc::revise(&core, &a, &p1.id, "改", "改动内容", T0 + 3 * DAY)
                    .await
                    .unwrap_err()
            ),
            "publication_released"
        );
        let mut d2 = draft("收入：0 元");
        d2.period = "2026-03".into();
        let p2 = disc::draft_manual(&core, &a, d2, T0 + 30 * DAY)
            .await
            .unwrap();
        let p2 = disc::release(&core, &a, &p2.id, T0 + 36 * DAY)
            .await
            .unwrap();
        assert_eq!(p2.prev_hash, p1.hash);

        // Objections within 5 days of release, answered within 5, escalated when not.
        let v = villager(&ids[20]);
        assert_eq!(
            code(
                disc::object(&core, &v, &p1.id, "保洁费偏高", T0 + 8 * DAY)
                    .await
                    .unwrap_err()
            ),
            "objection_window_closed"
        );
        let o = disc::object(&core, &v, &p2.id, "三月为何没有收入？", T0 + 37 * DAY)
            .await
            .unwrap();
        assert_eq!(
            disc::escalate_objections(&core, T0 + 40 * DAY)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            disc::escalate_objections(&core, T0 + 43 * DAY)
                .await
                .unwrap(),
            1
        );
        disc::answer(&core, &a, &o.id, "三月转移支付尚未到账。", T0 + 44 * DAY)
            .await
            .unwrap();
        let copy = disc::public_copy(&core, &p2.id, T0 + 44 * DAY)
            .await
            .unwrap();
        assert_eq!(copy.objections.len(), 1);
        assert!(copy.objections[0].1.is_some());

        // Anyone can re-check; the chain verification finds a tampered text.
        let r = disc::recheck(&core, &p1.id).await.unwrap();
        assert!(r.unaltered && r.linked && r.followed);
        assert_eq!(disc::verify_chains(&core).await.unwrap().problem, None);
        sqlx::query("UPDATE publications SET body = 'x' WHERE id = $1")
            .bind(&p1.id)
            .execute(&core.db.write)
            .await
            .unwrap();
        assert!(!disc::recheck(&core, &p1.id).await.unwrap().unaltered);
        let bad = disc::verify_chains(&core).await.unwrap();
        assert!(bad.problem.unwrap().contains("publication 1 was altered"));

        // The public page of the village lists both, newest first.
        let page = disc::public_village(&core, VILLAGE, Some(2026))
            .await
            .unwrap();
        assert_eq!(page.publications.len(), 2);
        assert_eq!(page.publications[0].id, p2.id);
        // Overdue: March's finances went out in time; April's never did.
        let late = disc::overdue(&core, &a, T0 + 39 * DAY).await.unwrap();
        assert!(!late.iter().any(|o| o.item_code == "finance"), "{late:?}");
        let late = disc::overdue(&core, &a, T0 + 70 * DAY).await.unwrap();
        assert!(
            late.iter()
                .any(|o| o.item_code == "finance" && o.period == "2026-04" && o.days_late == 1),
            "{late:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn villages_extend_the_catalogue_and_overdue_items_alert_once() {
    both(|core: Core| async move {
        setup(&core).await;
        let a = cadre();
        let item = |v: i64, r: i64| disc::NewItem {
            code: "well_water".into(),
            name_zh: "饮水井水质检测".into(),
            name_en: "Well water tests".into(),
            frequency: "quarterly".into(),
            villagers_signed: v,
            representatives_signed: r,
            ..disc::NewItem::default()
        };
        // 30 adults and 8 representatives: 2 villagers or 1 representative is not enough.
        assert_eq!(
            code(
                disc::add_item(&core, &a, VILLAGE, item(2, 1), T0)
                    .await
                    .unwrap_err()
            ),
            "villagers_signed:demand_below_threshold"
        );
        let it = disc::add_item(&core, &a, VILLAGE, item(3, 0), T0)
            .await
            .unwrap();
        assert_eq!(it.origin, "demanded");
        // A county item cannot be shadowed.
        let mut dup = item(0, 0);
        dup.code = "finance".into();
        assert_eq!(
            code(
                disc::add_item(&core, &a, VILLAGE, dup, T0)
                    .await
                    .unwrap_err()
            ),
            "code:duplicate"
        );
        let items = disc::catalogue(&core, &a, VILLAGE).await.unwrap();
        assert!(
            items.iter().any(|i| i.code == "finance")
                && items.iter().any(|i| i.code == "well_water")
        );
        // Overdue alerts go out once per item and period, then to the township when late enough.
        let later = T0 + 60 * DAY;
        let sent = disc::notify_overdue(&core, later).await.unwrap();
        assert!(sent > 0);
        assert_eq!(
            disc::notify_overdue(&core, later).await.unwrap(),
            0,
            "not twice"
        );
        let mut c = core.db.read.acquire().await.unwrap();
        let town: i64 = sqlx::query(
            "SELECT COUNT(*) FROM notifications WHERE kind = 'publication.overdue_township'",
        )
        .fetch_one(&mut *c)
        .await
        .unwrap()
        .get(0);
        assert!(town > 0, "50 days late is past the township threshold");
    })
    .await;
}

/// Release the one publication waiting for review, after the supervisors approved it.
async fn release_pending(core: &Core, at: i64) {
    let p = disc::list(core, &cadre(), "in_review", 10)
        .await
        .unwrap()
        .remove(0);
    disc::review(core, &supervisor(), &p.id, true, "", at)
        .await
        .unwrap();
    disc::release(core, &cadre(), &p.id, at).await.unwrap();
}

#[tokio::test]
async fn archive_package_of_a_finished_matter() {
    use xiangzhi_core::archive::{self, manifest::Manifest};
    use xiangzhi_core::crypto::sm3_hex;
    both(|core: Core| async move {
        let ids = setup(&core).await;
        let m = new_matter(&core, "collective_project", "村东道路硬化").await;
        hold(
            &core,
            "two_committees",
            Some(&m.id),
            T0 + 20 * DAY,
            4,
            3,
            false,
        )
        .await
        .unwrap();
        hold(
            &core,
            "party_members",
            Some(&m.id),
            T0 + 30 * DAY,
            6,
            5,
            false,
        )
        .await
        .unwrap();
        delib::act_matter(
            &core,
            &cadre(),
            &m.id,
            MatterAction::Authorise {
                reference: "2025年村民会议第2号决议".into(),
            },
            T0 + 31 * DAY,
        )
        .await
        .unwrap();
        let v = hold(
            &core,
            "representatives_assembly",
            Some(&m.id),
            T0 + 45 * DAY,
            10,
            6,
            true,
        )
        .await
        .unwrap();
        let rule = v.outcome.unwrap().rule_id;
        // Not finished yet: no package.
        assert_eq!(
            code(
                archive::produce(&core, &cadre(), &m.id, T0 + 45 * DAY)
                    .await
                    .unwrap_err()
            ),
            "matter_not_final"
        );
        delib::act_matter(
            &core,
            &cadre(),
            &m.id,
            MatterAction::PublishResolution,
            T0 + 46 * DAY,
        )
        .await
        .unwrap();
        release_pending(&core, T0 + 47 * DAY).await;
        delib::act_matter(
            &core,
            &cadre(),
            &m.id,
            MatterAction::Complete {
                note: "工程已验收".into(),
            },
            T0 + 100 * DAY,
        )
        .await
        .unwrap();
        delib::act_matter(
            &core,
            &cadre(),
            &m.id,
            MatterAction::PublishResult {
                text: "道路硬化800米，决算11.8万元。".into(),
            },
            T0 + 101 * DAY,
        )
        .await
        .unwrap();
        assert!(archive::package_of(&core, &cadre(), &m.id)
            .await
            .unwrap()
            .is_none());
        // Releasing the result finishes the matter and makes its package.
        release_pending(&core, T0 + 102 * DAY).await;
        let p = archive::package_of(&core, &cadre(), &m.id)
            .await
            .unwrap()
            .expect("made when the result went out");
        assert_eq!(
            (p.classification.as_str(), p.retention.as_str()),
            ("WS·村务决策", "永久")
        );

        // Immutable: a second package is refused, by hand or by the sweep.
        assert_eq!(
            code(
                archive::produce(&core, &cadre(), &m.id, T0 + 103 * DAY)
                    .await
                    .unwrap_err()
            ),
            "archive_exists"
        );
        assert_eq!(archive::sweep(&core, T0 + 103 * DAY, 100).await.unwrap(), 0);

        // The county's staff may download it; its bytes match the SM3 on record.
        let county = staff(Role::CountyStaff, COUNTY, AreaLevel::County);
        let (_, zip) = archive::download(&core, &county, &m.id).await.unwrap();
        assert_eq!(sm3_hex(&zip), p.digest);
        assert_eq!(zip.len() as i64, p.size);
        let json = archive::manifest::read_file(&zip, "manifest.json").unwrap();
        assert_eq!(sm3_hex(&json), p.manifest_digest);
        let record = archive::manifest::read_file(&zip, "record.html").unwrap();
        let mf: Manifest = serde_json::from_slice(&json).unwrap();
        assert_eq!(mf.files.len(), 1);
        assert_eq!(mf.files[0].name, "record.html");
        assert_eq!(mf.files[0].sm3, sm3_hex(&record));
        assert_eq!(mf.files[0].size, record.len() as u64);

        // The matter, its steps with who did them, and the decided text with its SM3.
        assert_eq!(mf.matter.village_name, "张家庄村");
        assert_eq!(mf.matter.stage, "closed");
        assert_eq!(mf.matter.text_sm3, m.text_hash);
        let steps: Vec<u8> = mf.matter.steps.iter().map(|s| s.step).collect();
        for n in 1..=7 {
            assert!(steps.contains(&n), "step {n} in {steps:?}");
        }
        assert!(mf.matter.steps.iter().all(|s| !s.actor.is_empty()));
        // Three meetings; the resolution with its counts, tally and the rule that decided it.
        assert_eq!(mf.meetings.len(), 3);
        let g = mf
            .meetings
            .iter()
            .find(|g| g.body == "representatives_assembly")
            .unwrap();
        assert_eq!((g.members, g.attendees), (13, 10));
        let r = &g.votes[0];
        assert!(r.secret);
        assert_eq!((r.yes, r.no, r.abstain), (6, 4, 0));
        assert_eq!((r.quorum_met, r.passed), (Some(true), Some(true)));
        assert_eq!(r.rule.as_ref().unwrap().id, rule);
        assert!(!r.rule.as_ref().unwrap().source.is_empty());
        // Both publications with their place on the village's chain.
        assert_eq!(mf.publications.len(), 2);
        assert!(mf
            .publications
            .iter()
            .all(|p| p.status == "released" && p.hash.as_deref().is_some_and(|h| h.len() == 64)));
        // Nobody's vote is in it: no roster member's id or name appears anywhere.
        let (json, record) = (
            String::from_utf8(json).unwrap(),
            String::from_utf8(record).unwrap(),
        );
        for (i, id) in ids.iter().enumerate() {
            let name = format!("村民{i:02}");
            assert!(!json.contains(id.as_str()) && !record.contains(id.as_str()));
            assert!(!json.contains(&name) && !record.contains(&name), "{name}");
        }
        assert!(record.contains("赞成至少") && record.contains("@page"));
        assert!(!record.contains("http://") && !record.contains("https://"));

        // Another village's cadre does not even learn that it exists.
        let other = staff(Role::VillageCadre, "130123101202", AreaLevel::Village);
        assert_eq!(
            code(archive::download(&core, &other, &m.id).await.unwrap_err()),
            "not_found"
        );
        assert_eq!(
            code(archive::package_of(&core, &other, &m.id).await.unwrap_err()),
            "not_found"
        );
        // The production and the download are audited.
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) FROM audit_log WHERE object_id = $1 \
             AND action IN ('archive.produce', 'archive.download')",
        )
        .bind(&m.id)
        .fetch_one(&core.db.write)
        .await
        .unwrap()
        .get(0);
        assert_eq!(n, 2);

        // Reading checks the SM3: changed bytes are never served.
        core.blobs
            .put(&p.blob_key, b"changed".to_vec())
            .await
            .unwrap();
        assert_eq!(
            code(archive::download(&core, &cadre(), &m.id).await.unwrap_err()),
            "internal"
        );

        // A withdrawn matter is packaged too, kept for ten years, under the classification
        // the county set for its type (only county or township oversight may set it).
        assert_eq!(
            code(
                archive::service::save_class(
                    &core,
                    &cadre(),
                    COUNTY,
                    "collective_project",
                    "WS·工程项目",
                    "30年",
                    T0
                )
                .await
                .unwrap_err()
            ),
            "forbidden"
        );
        archive::service::save_class(
            &core,
            &county,
            COUNTY,
            "collective_project",
            "WS·工程项目",
            "30年",
            T0,
        )
        .await
        .unwrap();
        let w = new_matter(&core, "collective_project", "村西水渠").await;
        delib::act_matter(
            &core,
            &cadre(),
            &w.id,
            MatterAction::Withdraw {
                reason: "上级项目已覆盖".into(),
            },
            T0 + 5 * DAY,
        )
        .await
        .unwrap();
        let q = archive::package_of(&core, &supervisor(), &w.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (q.classification.as_str(), q.retention.as_str()),
            ("WS·工程项目", "10年")
        );
    })
    .await;
}
