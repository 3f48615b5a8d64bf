//! Villagers' voice tests: suggestions and their deadline, consultative polls, bylaws with
//! filing, review and R-CV-1 flags. Every test runs on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)]

mod common;

use common::{both, staff};
use xiangzhi_core::areas::{self, service::NewArea, AreaLevel};
use xiangzhi_core::authz::{Actor, Role};
use xiangzhi_core::voice::rules::{BylawStatus, SuggestionStatus};
use xiangzhi_core::voice::service::{self as voice, NewBylaw, NewPoll, NewSuggestion};
use xiangzhi_core::voice::{Answer, Review, VoiceSettings};
use xiangzhi_core::{clock, crypto, AppResult, Core};

const COUNTY: &str = "130123000000";
const TOWNSHIP: &str = "130123101000";
const VILLAGE_A: &str = "130123101201";
const VILLAGE_B: &str = "130123101202";

fn cadre() -> Actor {
    staff(Role::VillageCadre, VILLAGE_A, AreaLevel::Village)
}
fn township() -> Actor {
    staff(Role::TownshipStaff, TOWNSHIP, AreaLevel::Township)
}
fn county() -> Actor {
    staff(Role::CountyStaff, COUNTY, AreaLevel::County)
}
fn villager(n: u32) -> Actor {
    let mut a = staff(Role::Villager, VILLAGE_A, AreaLevel::Village);
    a.user_id = format!("villager-{n}");
    a.username = a.user_id.clone();
    a
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

/// Move a timestamp column of one row into the past (what waiting a week would do).
async fn backdate(core: &Core, table: &str, column: &str, id: &str) {
    sqlx::query(&format!("UPDATE {table} SET {column} = $1 WHERE id = $2"))
        .bind(clock::now_ms() - 60_000)
        .bind(id.to_string())
        .execute(&core.db.write)
        .await
        .unwrap();
}

async fn setup(core: &Core) {
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
}

fn suggestion(text: &str) -> NewSuggestion {
    NewSuggestion {
        area_code: VILLAGE_A.into(),
        text: text.into(),
        person_id: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suggestions_are_answered_declined_with_reason_and_listed_when_overdue() {
    both(|core| async move {
        setup(&core).await;
        let v1 = villager(1);
        expect_code(
            voice::post_suggestion(&core, &v1, &suggestion("路")).await,
            "too_short",
        );
        expect_code(
            voice::post_suggestion(&core, &v1, &suggestion(&"路".repeat(2001))).await,
            "too_long",
        );
        let s1 = voice::post_suggestion(&core, &v1, &suggestion("村口路灯不亮，建议尽快维修"))
            .await
            .unwrap();
        assert_eq!(s1.status, SuggestionStatus::Open);
        assert_eq!(s1.due_at - s1.created_at, 7 * 24 * 3600 * 1000);
        assert_eq!(s1.author_user_id.as_deref(), Some("villager-1"));
        // A villager cannot post in another village.
        let mut elsewhere = suggestion("李家沟的事");
        elsewhere.area_code = VILLAGE_B.into();
        expect_code(
            voice::post_suggestion(&core, &v1, &elsewhere).await,
            "forbidden",
        );
        // A cadre posts on a villager's behalf.
        let s2 = voice::post_suggestion(&core, &cadre(), &suggestion("希望村里建一个健身广场"))
            .await
            .unwrap();
        let s3 = voice::post_suggestion(&core, &villager(2), &suggestion("垃圾清运不及时"))
            .await
            .unwrap();

        // Villagers see their own; staff see their area's.
        let mine = voice::my_suggestions(&core, &v1).await.unwrap();
        assert_eq!(
            mine.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            vec![s1.id.as_str()]
        );
        expect_code(
            voice::suggestion(&core, &villager(2), &s1.id).await,
            "not_found",
        );
        assert_eq!(voice::suggestions(&core, &cadre()).await.unwrap().len(), 3);
        assert_eq!(
            voice::suggestions(&core, &township()).await.unwrap().len(),
            3
        );
        let other = staff(Role::VillageCadre, VILLAGE_B, AreaLevel::Village);
        assert!(voice::suggestions(&core, &other).await.unwrap().is_empty());
        expect_code(voice::suggestion(&core, &other, &s1.id).await, "not_found");

        // Declining needs a reason; the villager cannot answer.
        let audit_before = count(&core, "audit_log").await;
        expect_code(
            voice::answer_suggestion(
                &core,
                &cadre(),
                &s2.id,
                &Answer::Declined {
                    reason: "  ".into(),
                },
            )
            .await,
            "reason_required",
        );
        expect_code(
            voice::answer_suggestion(
                &core,
                &cadre(),
                &s2.id,
                &Answer::Adopted {
                    matter_id: String::new(),
                },
            )
            .await,
            "required",
        );
        expect_code(
            voice::answer_suggestion(
                &core,
                &v1,
                &s1.id,
                &Answer::Answered {
                    text: "我自己答".into(),
                },
            )
            .await,
            "forbidden",
        );
        assert_eq!(count(&core, "audit_log").await, audit_before);
        let d = voice::answer_suggestion(
            &core,
            &cadre(),
            &s2.id,
            &Answer::Declined {
                reason: "村集体今年无可用场地".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(d.status, SuggestionStatus::Declined);
        assert_eq!(d.answer_text.as_deref(), Some("村集体今年无可用场地"));
        expect_code(
            voice::answer_suggestion(
                &core,
                &cadre(),
                &s2.id,
                &Answer::Answered {
                    text: "再答一次".into(),
                },
            )
            .await,
            "suggestion_answered",
        );
        let a = voice::answer_suggestion(
            &core,
            &cadre(),
            &s3.id,
            &Answer::Adopted {
                matter_id: "matter-garbage".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(a.matter_id.as_deref(), Some("matter-garbage"));

        // A week passes without an answer to s1: it is overdue for the village and the
        // township, not for the other village; answered ones never are.
        assert!(voice::overdue(&core, &cadre()).await.unwrap().is_empty());
        backdate(&core, "suggestions", "due_at", &s1.id).await;
        backdate(&core, "suggestions", "due_at", &s2.id).await;
        let ids = |v: Vec<xiangzhi_core::voice::Suggestion>| {
            v.into_iter().map(|s| s.id).collect::<Vec<_>>()
        };
        assert_eq!(
            ids(voice::overdue(&core, &cadre()).await.unwrap()),
            vec![s1.id.clone()]
        );
        assert_eq!(
            ids(voice::overdue(&core, &township()).await.unwrap()),
            vec![s1.id.clone()]
        );
        assert!(voice::overdue(&core, &other).await.unwrap().is_empty());
        expect_code(voice::overdue(&core, &v1).await, "forbidden");
        voice::answer_suggestion(
            &core,
            &cadre(),
            &s1.id,
            &Answer::Answered {
                text: "已联系电工，明天维修".into(),
            },
        )
        .await
        .unwrap();
        assert!(voice::overdue(&core, &township()).await.unwrap().is_empty());

        // The county sets a shorter deadline for new suggestions.
        expect_code(
            voice::put_settings(
                &core,
                &township(),
                COUNTY,
                &VoiceSettings { answer_days: 3 },
            )
            .await,
            "forbidden",
        );
        voice::put_settings(&core, &county(), COUNTY, &VoiceSettings { answer_days: 3 })
            .await
            .unwrap();
        let s4 = voice::post_suggestion(&core, &v1, &suggestion("排水沟堵了"))
            .await
            .unwrap();
        assert_eq!(s4.due_at - s4.created_at, 3 * 24 * 3600 * 1000);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polls_take_one_vote_per_villager_until_they_close() {
    both(|core| async move {
        setup(&core).await;
        let closes = clock::now_ms() + 24 * 3600 * 1000;
        let new_poll = |options: &[&str]| NewPoll {
            area_code: VILLAGE_A.into(),
            question: "村东道路硬化采用哪种方案？".into(),
            options: options.iter().map(|s| s.to_string()).collect(),
            closes_at: closes,
        };
        expect_code(
            voice::open_poll(&core, &cadre(), &new_poll(&["水泥路"])).await,
            "invalid",
        );
        expect_code(
            voice::open_poll(&core, &villager(1), &new_poll(&["水泥路", "柏油路"])).await,
            "forbidden",
        );
        let p = voice::open_poll(&core, &cadre(), &new_poll(&["水泥路", "柏油路", "暂缓"]))
            .await
            .unwrap();

        assert!(!voice::has_voted(&core, &villager(1), &p.id).await.unwrap());
        voice::vote(&core, &villager(1), &p.id, 0).await.unwrap();
        assert!(voice::has_voted(&core, &villager(1), &p.id).await.unwrap());
        assert!(!voice::has_voted(&core, &villager(2), &p.id).await.unwrap());
        expect_code(
            voice::vote(&core, &villager(1), &p.id, 1).await,
            "already_voted",
        );
        voice::vote(&core, &villager(2), &p.id, 0).await.unwrap();
        voice::vote(&core, &villager(3), &p.id, 2).await.unwrap();
        expect_code(
            voice::vote(&core, &villager(4), &p.id, 3).await,
            "not_in_list",
        );
        // Staff do not vote; a villager of another village does not see the poll.
        expect_code(voice::vote(&core, &cadre(), &p.id, 0).await, "forbidden");
        let mut outsider = staff(Role::Villager, VILLAGE_B, AreaLevel::Village);
        outsider.user_id = "villager-b".into();
        expect_code(voice::vote(&core, &outsider, &p.id, 0).await, "not_found");

        let r = voice::poll_results(&core, &cadre(), &p.id).await.unwrap();
        assert_eq!(r.counts, vec![2, 0, 1]);
        assert_eq!(r.total, 3);
        assert!(!r.closed);
        assert_eq!(count(&core, "poll_votes").await, 3);

        // After the close no vote is taken.
        backdate(&core, "polls", "closes_at", &p.id).await;
        expect_code(
            voice::vote(&core, &villager(5), &p.id, 1).await,
            "poll_closed",
        );
        let r = voice::poll_results(&core, &villager(5), &p.id)
            .await
            .unwrap();
        assert!(r.closed);
        assert_eq!(r.total, 3);
        assert_eq!(
            voice::polls(&core, &villager(1), VILLAGE_A)
                .await
                .unwrap()
                .len(),
            1
        );
    })
    .await;
}

const BYLAW: &str = "张家庄村村规民约\n\
    第一条 本村村民应当遵守国家法律法规，爱护公共设施。\n\
    第二条 符合条件的困难家庭，可以按规定申请低保，村委会应当如实评议。\n\
    第三条 对不按时缴纳卫生费的农户，取消其当年低保资格。\n\
    第四条 拒不参加义务劳动的，剥夺其选举权和被选举权。\n\
    第五条 孝敬老人，尊重妇女，关爱儿童。";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bylaws_are_filed_reviewed_and_flagged() {
    both(|core| async move {
        setup(&core).await;
        let b = voice::adopt_bylaw(
            &core,
            &cadre(),
            &NewBylaw {
                area_code: VILLAGE_A.into(),
                text: BYLAW.into(),
                matter_id: Some("matter-bylaw-2025".into()),
            },
        )
        .await
        .unwrap();
        assert_eq!(b.version, 1);
        assert_eq!(b.status, BylawStatus::Adopted);
        assert_eq!(b.text_hash, crypto::sm3_hex(BYLAW.as_bytes()));
        assert_eq!(
            b.flags.iter().map(|f| f.number).collect::<Vec<_>>(),
            vec![4, 5]
        );
        assert_eq!(b.flags[0].entitlements, vec!["低保"]);

        // Review before filing is refused; only the township files.
        expect_code(
            voice::review_bylaw(&core, &township(), &b.id, &Review::Approved).await,
            "bylaw_not_filed",
        );
        let today = clock::today();
        expect_code(
            voice::file_bylaw(&core, &cadre(), &b.id, today).await,
            "forbidden",
        );
        expect_code(
            voice::file_bylaw(&core, &county(), &b.id, today).await,
            "forbidden",
        );
        expect_code(
            voice::file_bylaw(&core, &township(), &b.id, today + chrono::Duration::days(1)).await,
            "invalid",
        );
        let filed = voice::file_bylaw(&core, &township(), &b.id, today)
            .await
            .unwrap();
        assert_eq!(filed.status, BylawStatus::Filed);
        assert_eq!(
            filed.filed_on.as_deref(),
            Some(today.format("%Y-%m-%d").to_string().as_str())
        );
        expect_code(
            voice::file_bylaw(&core, &township(), &b.id, today).await,
            "invalid_transition",
        );

        // The township sees the flags at review; a correction order needs its reason.
        let (_, flags) = voice::bylaw_for_review(&core, &township(), &b.id)
            .await
            .unwrap();
        assert_eq!(flags.len(), 2);
        assert!(flags[1].text.contains("剥夺其选举权"));
        expect_code(
            voice::review_bylaw(
                &core,
                &township(),
                &b.id,
                &Review::CorrectionOrdered { reason: "".into() },
            )
            .await,
            "reason_required",
        );
        let reviewed = voice::review_bylaw(
            &core,
            &township(),
            &b.id,
            &Review::CorrectionOrdered {
                reason: "第三条、第四条剥夺村民法定权利，责令改正".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(reviewed.status, BylawStatus::CorrectionOrdered);
        assert_eq!(reviewed.flags.len(), 2);
        expect_code(
            voice::review_bylaw(&core, &township(), &b.id, &Review::Approved).await,
            "bylaw_reviewed",
        );
        // The flags are in the audit record of the review.
        let detail: String = sqlx::query_scalar(
            "SELECT detail FROM audit_log WHERE action = 'bylaw.review' AND object_id = $1",
        )
        .bind(b.id.clone())
        .fetch_one(&core.db.read)
        .await
        .unwrap();
        assert!(detail.contains("2 clause(s) flagged"), "{detail}");

        // The corrected version is version 2, without flags, and is approved.
        let corrected = BYLAW
            .replace("取消其当年低保资格", "由村民小组长上门劝导")
            .replace("剥夺其选举权和被选举权", "在村务公开栏予以提醒");
        let b2 = voice::adopt_bylaw(
            &core,
            &cadre(),
            &NewBylaw {
                area_code: VILLAGE_A.into(),
                text: corrected,
                matter_id: Some("matter-bylaw-2025b".into()),
            },
        )
        .await
        .unwrap();
        assert_eq!(b2.version, 2);
        assert!(b2.flags.is_empty());
        voice::file_bylaw(&core, &township(), &b2.id, today)
            .await
            .unwrap();
        let ok = voice::review_bylaw(&core, &township(), &b2.id, &Review::Approved)
            .await
            .unwrap();
        assert_eq!(ok.status, BylawStatus::Approved);
        let versions = voice::bylaws(&core, &villager(1), VILLAGE_A).await.unwrap();
        assert_eq!(
            versions.iter().map(|b| b.version).collect::<Vec<_>>(),
            vec![2, 1]
        );
        let other = staff(Role::TownshipStaff, "130123102000", AreaLevel::Township);
        expect_code(
            voice::bylaw_for_review(&core, &other, &b2.id).await,
            "not_found",
        );
    })
    .await;
}
