//! Outgoing notifications: signed webhooks delivered to a local receiver with retries and in
//! order, confidential types kept out, dead deliveries redelivered; texts to reporters and
//! people on duty through the outbox and the file sink; the daily digest. Every test runs on
//! SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use common::{both, staff};
use hmac::{Hmac, Mac};
use sqlx::Row;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use xiangzhi_core::areas::{self, service::NewArea, AreaLevel};
use xiangzhi_core::authz::{Actor, Role};
use xiangzhi_core::cases::store::NotificationRow;
use xiangzhi_core::cases::{self, catalogue, Action, Case, NewCase, RaiseOutcome};
use xiangzhi_core::outbound::rules::{self, OutboundSettings};
use xiangzhi_core::outbound::{digest, texts, webhooks, NewSubscription};
use xiangzhi_core::people::{self, PersonInput};
use xiangzhi_core::{clock, AppResult, Core};

const COUNTY: &str = "130123000000";
const TOWNSHIP: &str = "130123101000";
const VILLAGE_A: &str = "130123101201";

async fn setup(core: &Core) {
    let sys = Actor::system("test");
    for (code, name, level, parent) in [
        (COUNTY, "x县", "county", None),
        (TOWNSHIP, "城关镇", "township", Some(COUNTY)),
        (VILLAGE_A, "张家庄村", "village", Some(TOWNSHIP)),
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
    for t in cases::demo::catalogue(COUNTY) {
        catalogue::save_type(core, &county(), t).await.unwrap();
    }
}

fn county() -> Actor {
    staff(Role::CountyStaff, COUNTY, AreaLevel::County)
}
fn cadre() -> Actor {
    staff(Role::VillageCadre, VILLAGE_A, AreaLevel::Village)
}

/// A user (with a registry record and phone when `phone` is given) holding `role` on `area`.
async fn user(
    core: &Core,
    id: &str,
    role: Role,
    area: &str,
    phone: Option<&str>,
    seq: u16,
) -> Actor {
    use xiangzhi_core::accounts::store as acc;
    let person_id = match phone {
        Some(p) => Some(
            people::service::create_person(
                core,
                &Actor::system("test"),
                &PersonInput {
                    name: format!("测试{seq}"),
                    id_number: people::idnum::make_id(
                        "130123",
                        chrono::NaiveDate::from_ymd_opt(1970, 1, 1 + u32::from(seq % 28)).unwrap(),
                        seq,
                    ),
                    phone: p.into(),
                    area_code: VILLAGE_A.into(),
                    household_number: format!("{seq:04}"),
                    relation: "户主".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .id,
        ),
        None => None,
    };
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await.unwrap();
    acc::insert_user(
        &mut tx,
        &acc::UserRow {
            id: id.into(),
            county_code: COUNTY.into(),
            username: id.into(),
            display_name: id.into(),
            person_id: person_id.clone(),
            password_hash: "!".into(),
            totp_enc: None,
            status: "active".into(),
            proxy_only: false,
            failed_logins: 0,
            locked_until: 0,
        },
        now,
    )
    .await
    .unwrap();
    acc::insert_grant(&mut tx, id, role, area, None, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let level = if area == COUNTY {
        AreaLevel::County
    } else {
        AreaLevel::Village
    };
    let mut a = staff(role, area, level);
    a.user_id = id.into();
    a.username = id.into();
    a.person_id = person_id;
    a
}

fn report(type_code: &str, text: &str) -> NewCase {
    NewCase {
        type_code: type_code.into(),
        area_code: VILLAGE_A.into(),
        description: text.into(),
        not_duplicate: true,
        ..NewCase::default()
    }
}

async fn raise(core: &Core, who: &Actor, source: &str, c: NewCase) -> Case {
    match cases::raise(core, who, source, c).await {
        Ok(RaiseOutcome::Created { case }) => case,
        other => panic!("expected a new case, got {other:?}"),
    }
}

async fn act(core: &Core, who: &Actor, c: &Case, a: Action) -> Case {
    cases::act(core, who, &c.id, a.clone())
        .await
        .unwrap_or_else(|e| panic!("{a:?}: {e:?}"))
}

fn expect_code<T: std::fmt::Debug>(r: AppResult<T>, field: &str, code: &str) {
    match r {
        Err(e) => {
            let hit = e
                .fields()
                .iter()
                .any(|f| f.field == field && f.code == code)
                || (field.is_empty() && e.code() == code);
            assert!(hit, "want {field}/{code}, got {e:?}");
        }
        Ok(v) => panic!("want {field}/{code}, got Ok({v:?})"),
    }
}

async fn scalar(core: &Core, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(&core.db.read)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// After every entry so far is old enough to be handed on.
fn later() -> i64 {
    clock::now_ms() + rules::LAG_MS + 1_000
}

/// What the receiver saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    headers: HashMap<String, String>,
    body: String,
    signature_ok: bool,
}

/// A webhook receiver on 127.0.0.1 that checks each signature with its own HMAC-SM3 and
/// answers 500 to the first `fail_first` requests, 200 afterwards.
struct Receiver {
    url: String,
    secret: Arc<Mutex<String>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn receiver(fail_first: usize) -> Receiver {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let secret = Arc::new(Mutex::new(String::new()));
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let (s2, seen2) = (secret.clone(), seen.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let head_end = loop {
                let n = sock.read(&mut chunk).await.unwrap();
                assert!(n > 0, "connection closed before the headers");
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i;
                }
            };
            let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
            let mut headers = HashMap::new();
            for line in head.lines().skip(1) {
                let (k, v) = line.split_once(':').unwrap();
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
            assert!(head.starts_with("POST /hook?county=x HTTP/1.1"), "{head}");
            let len: usize = headers["content-length"].parse().unwrap();
            let mut body = buf[head_end + 4..].to_vec();
            while body.len() < len {
                let n = sock.read(&mut chunk).await.unwrap();
                body.extend_from_slice(&chunk[..n]);
            }
            let body = String::from_utf8(body).unwrap();
            let key = s2.lock().unwrap().clone();
            let mut mac = <Hmac<sm3::Sm3> as Mac>::new_from_slice(key.as_bytes()).unwrap();
            mac.update(format!("{}.{}", headers["x-xiangzhi-timestamp"], body).as_bytes());
            let want = format!("hmac-sm3={}", hex::encode(mac.finalize().into_bytes()));
            let signature_ok = headers["x-xiangzhi-signature"] == want;
            let n = {
                let mut v = seen2.lock().unwrap();
                v.push(Seen {
                    headers,
                    body,
                    signature_ok,
                });
                v.len()
            };
            let status = if n <= fail_first {
                "500 Internal Server Error"
            } else {
                "204 No Content"
            };
            let _ = sock
                .write_all(
                    format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await;
        }
    });
    Receiver {
        url: format!("http://{addr}/hook?county=x"),
        secret,
        seen,
    }
}

fn kinds(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_retried_in_order_and_marked_delivered() {
    both(|core| async move {
        setup(&core).await;
        let rx = receiver(1).await;
        let (sub, secret) = webhooks::create(
            &core,
            &county(),
            COUNTY,
            NewSubscription {
                name: "12345 热线".into(),
                url: rx.url.clone(),
                kinds: kinds(&["case.created", "case.state_changed", "case.closed"]),
            },
            clock::now_ms(),
        )
        .await
        .unwrap();
        assert_eq!(secret.len(), 64);
        *rx.secret.lock().unwrap() = secret.clone();
        // Stored encrypted, never in the clear.
        let stored: Vec<u8> = sqlx::query_scalar("SELECT secret_enc FROM webhook_subscriptions")
            .fetch_one(&core.db.read)
            .await
            .unwrap();
        assert!(!String::from_utf8_lossy(&stored).contains(&secret));

        let villager = staff(Role::Villager, VILLAGE_A, AreaLevel::Village);
        let c = raise(
            &core,
            &villager,
            "app",
            report("streetlight", "村口路灯不亮，电话13812345678"),
        )
        .await;
        act(&core, &cadre(), &c, Action::Accept { priority: None }).await;
        // A confidential type (emergencies are confidential in the demo catalogue).
        raise(
            &core,
            &villager,
            "app",
            report("emergency", "老人摔倒无法起身"),
        )
        .await;

        let t0 = later();
        assert_eq!(
            webhooks::dispatch(&core, t0).await.unwrap(),
            2,
            "created and accepted"
        );
        assert_eq!(
            webhooks::dispatch(&core, t0).await.unwrap(),
            0,
            "the cursor moved"
        );

        // First attempt: the receiver answers 500; the second delivery waits its turn.
        assert_eq!(webhooks::deliver(&core, t0).await.unwrap(), (0, 1));
        let list = webhooks::deliveries(&core, &county(), COUNTY, None, 50)
            .await
            .unwrap();
        assert_eq!(list.len(), 2);
        let first = list.iter().find(|d| d.kind == "case.created").unwrap();
        let second = list
            .iter()
            .find(|d| d.kind == "case.state_changed")
            .unwrap();
        assert_eq!((first.status.as_str(), first.attempts), ("pending", 1));
        assert_eq!(first.last_status, Some(500));
        assert_eq!(first.next_at, t0 + 60_000, "retried after a minute");
        assert_eq!(second.attempts, 0, "deliveries go out in order");
        // Not due yet.
        assert_eq!(webhooks::deliver(&core, t0 + 30_000).await.unwrap(), (0, 0));
        assert_eq!(rx.seen.lock().unwrap().len(), 1);
        // Due: the retry succeeds, then the next one goes.
        let t1 = t0 + 61_000;
        assert_eq!(webhooks::deliver(&core, t1).await.unwrap(), (2, 0));
        let seen = rx.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 3);
        assert!(
            seen.iter().all(|s| s.signature_ok),
            "every signature verifies"
        );
        let ev: Vec<&str> = seen
            .iter()
            .map(|s| s.headers["x-xiangzhi-event"].as_str())
            .collect();
        assert_eq!(ev, ["case.created", "case.created", "case.state_changed"]);
        assert_eq!(
            seen[0].headers["x-xiangzhi-delivery"],
            seen[1].headers["x-xiangzhi-delivery"]
        );
        assert_eq!(seen[0].headers["x-xiangzhi-delivery"], first.id);
        assert_eq!(seen[1].headers["x-xiangzhi-timestamp"], t1.to_string());
        assert_eq!(seen[1].headers["content-type"], "application/json");
        for s in &seen {
            let v: serde_json::Value = serde_json::from_str(&s.body).unwrap();
            assert_eq!(v["case"]["number"], c.number.as_str());
            assert_eq!(v["case"]["type_code"], "streetlight");
            assert!(!s.body.contains("路灯不亮") && !s.body.contains("13812345678"));
        }
        let v: serde_json::Value = serde_json::from_str(&seen[2].body).unwrap();
        assert_eq!(v["change"]["to_status"], "accepted");
        let list = webhooks::deliveries(&core, &county(), COUNTY, Some("delivered"), 50)
            .await
            .unwrap();
        let attempts: Vec<(String, i64)> =
            list.iter().map(|d| (d.kind.clone(), d.attempts)).collect();
        assert!(attempts.contains(&("case.created".into(), 2)));
        assert!(attempts.contains(&("case.state_changed".into(), 1)));

        // Switched off: nothing new is queued; the change is audited.
        webhooks::set_active(&core, &county(), &sub.id, false, clock::now_ms())
            .await
            .unwrap();
        act(
            &core,
            &cadre(),
            &c,
            Action::Dispatch {
                assignee_user_id: None,
                note: None,
            },
        )
        .await;
        assert_eq!(webhooks::dispatch(&core, later()).await.unwrap(), 0);
        let new = webhooks::rotate(&core, &county(), &sub.id, clock::now_ms())
            .await
            .unwrap();
        assert_ne!(new, secret);
        for action in ["webhook.create", "webhook.disable", "webhook.rotate"] {
            assert_eq!(
                scalar(
                    &core,
                    &format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}'")
                )
                .await,
                1,
                "{action} is audited"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_deliveries_are_redelivered_by_county_staff() {
    both(|core| async move {
        setup(&core).await;
        // A port nobody listens on.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let (sub, _) = webhooks::create(
            &core,
            &county(),
            COUNTY,
            NewSubscription {
                name: "城市平台".into(),
                url: format!("http://127.0.0.1:{port}/events"),
                kinds: kinds(&["case.created"]),
            },
            clock::now_ms(),
        )
        .await
        .unwrap();
        let villager = staff(Role::Villager, VILLAGE_A, AreaLevel::Village);
        raise(&core, &villager, "app", report("streetlight", "路灯坏了")).await;
        let mut t = later();
        assert_eq!(webhooks::dispatch(&core, t).await.unwrap(), 1);
        for attempt in 1..=6 {
            assert_eq!(
                webhooks::deliver(&core, t).await.unwrap(),
                (0, 1),
                "attempt {attempt}"
            );
            let d = webhooks::deliveries(&core, &county(), COUNTY, None, 5)
                .await
                .unwrap()
                .remove(0);
            assert_eq!(d.attempts, attempt);
            assert!(d.last_error.is_some() && d.last_status.is_none());
            if attempt < 6 {
                assert_eq!(d.status, "pending");
                t = d.next_at;
            } else {
                assert_eq!(d.status, "dead", "dead after six attempts");
            }
        }
        assert_eq!(
            webhooks::deliver(&core, t + 86_400_000).await.unwrap(),
            (0, 0)
        );
        let dead = webhooks::deliveries(&core, &county(), COUNTY, Some("dead"), 5)
            .await
            .unwrap();
        assert_eq!(dead.len(), 1);
        let other_county = staff(Role::CountyStaff, "130124000000", AreaLevel::County);
        expect_code(
            webhooks::redeliver(&core, &other_county, &dead[0].id, t).await,
            "",
            "not_found",
        );
        expect_code(
            webhooks::redeliver(&core, &cadre(), &dead[0].id, t).await,
            "",
            "not_found",
        );
        webhooks::redeliver(&core, &county(), &dead[0].id, t)
            .await
            .unwrap();
        let d = webhooks::deliveries(&core, &county(), COUNTY, None, 5)
            .await
            .unwrap()
            .remove(0);
        assert_eq!((d.status.as_str(), d.attempts), ("pending", 0));
        expect_code(
            webhooks::redeliver(&core, &county(), &dead[0].id, t).await,
            "",
            "delivery_not_dead",
        );
        assert_eq!(
            scalar(
                &core,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'webhook.redeliver'"
            )
            .await,
            1
        );
        // A switched-off subscription's queue waits.
        webhooks::set_active(&core, &county(), &sub.id, false, t)
            .await
            .unwrap();
        assert_eq!(webhooks::deliver(&core, t + 1).await.unwrap(), (0, 0));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_subscriptions_are_refused_with_the_field() {
    both(|core| async move {
        setup(&core).await;
        let make = |name: &str, url: &str, k: &[&str]| NewSubscription {
            name: name.into(),
            url: url.into(),
            kinds: kinds(k),
        };
        let now = clock::now_ms();
        let c = county();
        expect_code(
            webhooks::create(
                &core,
                &c,
                COUNTY,
                make("a", "not a url", &["case.created"]),
                now,
            )
            .await,
            "url",
            "invalid",
        );
        expect_code(
            webhooks::create(
                &core,
                &c,
                COUNTY,
                make("a", "ftp://127.0.0.1/", &["case.created"]),
                now,
            )
            .await,
            "url",
            "invalid",
        );
        expect_code(
            webhooks::create(
                &core,
                &c,
                COUNTY,
                make("a", "https://127.0.0.1/", &["case.created"]),
                now,
            )
            .await,
            "url",
            "https_unsupported",
        );
        expect_code(
            webhooks::create(
                &core,
                &c,
                COUNTY,
                make("a", "http://127.0.0.1:9/", &["case.deleted"]),
                now,
            )
            .await,
            "kinds",
            "event_kind_unknown",
        );
        expect_code(
            webhooks::create(
                &core,
                &c,
                COUNTY,
                make("a", "http://127.0.0.1:9/", &[]),
                now,
            )
            .await,
            "kinds",
            "required",
        );
        expect_code(
            webhooks::create(
                &core,
                &c,
                COUNTY,
                make(" ", "http://127.0.0.1:9/", &["case.closed"]),
                now,
            )
            .await,
            "name",
            "required",
        );
        // Every field at fault is named at once.
        match webhooks::create(&core, &c, COUNTY, make("", "x", &["nope"]), now).await {
            Err(e) => assert_eq!(e.fields().len(), 3, "{e:?}"),
            Ok(v) => panic!("{v:?}"),
        }
        expect_code(
            webhooks::create(
                &core,
                &cadre(),
                COUNTY,
                make("a", "http://127.0.0.1:9/", &["case.closed"]),
                now,
            )
            .await,
            "",
            "forbidden",
        );
        expect_code(
            webhooks::list(&core, &cadre(), COUNTY).await,
            "",
            "forbidden",
        );
        assert_eq!(
            scalar(&core, "SELECT COUNT(*) FROM webhook_subscriptions").await,
            0
        );
        expect_code(
            digest::save_settings(&core, &c, COUNTY, OutboundSettings { digest_hour: 24 }, now)
                .await,
            "digest_hour",
            "invalid",
        );
    })
    .await;
}

/// The lines the SMS file sink received, as (to, text).
fn sink(core: &Core) -> Vec<(String, String)> {
    let path = common::data_file(core, "sms-outbox.jsonl");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["to"].as_str().unwrap().to_string(),
                v["text"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reporters_hear_of_their_cases_through_the_outbox() {
    both(|core| async move {
        setup(&core).await;
        let villager = user(&core, "v-1", Role::Villager, VILLAGE_A, Some("13800001111"), 1).await;
        let c1 = raise(&core, &villager, "app", report("streetlight", "村口路灯不亮")).await;
        let c2 = raise(&core, &villager, "app", report("road_facility", "桥面有坑")).await;
        let open311 = Actor::system("open311:12345");
        let c3 = raise(
            &core,
            &open311,
            "open311",
            NewCase {
                reporter_name: Some("王五".into()),
                reporter_phone: Some("13900002222".into()),
                ..report("streetlight", "小学门口路灯不亮")
            },
        )
        .await;
        act(&core, &cadre(), &c1, Action::Accept { priority: None }).await;
        act(&core, &cadre(), &c1, Action::Dispatch { assignee_user_id: None, note: None }).await;
        act(&core, &cadre(), &c2, Action::Reject { reason: "不属于本村管辖".into() }).await;
        act(&core, &cadre(), &c3, Action::Accept { priority: None }).await;

        let t0 = later();
        assert_eq!(texts::dispatch_case_states(&core, t0).await.unwrap(), 3);
        assert_eq!(texts::dispatch_case_states(&core, t0).await.unwrap(), 0);
        let person = villager.person_id.clone().unwrap();
        let mine = xiangzhi_core::outbound::store::sms_for(&core.db, &person).await.unwrap();
        assert_eq!(mine.len(), 2);
        assert!(mine.iter().all(|m| m.to_kind == "person" && m.status == "pending"));
        assert_eq!(xiangzhi_core::outbound::store::sms_for(&core.db, &c3.id).await.unwrap().len(), 1);
        // No phone number is copied into the outbox.
        assert_eq!(
            scalar(&core, "SELECT COUNT(*) FROM sms_outbox WHERE text LIKE '%1380000%' OR to_ref LIKE '%1380000%' OR text LIKE '%1390000%'").await,
            0
        );

        assert_eq!(texts::send_due(&core, t0).await.unwrap(), (3, 0));
        let lines = sink(&core);
        assert_eq!(lines.len(), 3);
        let to_v: Vec<&String> = lines.iter().filter(|(to, _)| to == "13800001111").map(|(_, t)| t).collect();
        assert_eq!(to_v.len(), 2);
        assert!(to_v.iter().any(|t| t.contains(&c1.number) && t.contains("已受理")));
        assert!(to_v.iter().any(|t| t.contains(&c2.number) && t.contains("未予受理")));
        assert!(lines.iter().any(|(to, t)| to == "13900002222" && t.contains(&c3.number)));
        for (_, t) in &lines {
            assert!(!t.contains("路灯") && !t.contains("王五") && !t.contains("桥面"), "{t}");
        }
        assert_eq!(scalar(&core, "SELECT COUNT(*) FROM sms_outbox WHERE status = 'sent'").await, 3);

        // The villager turns case texts off: handling and closing send nothing more to them.
        digest::set_preference(&core, &villager, "sms.case_updates", "off", clock::now_ms()).await.unwrap();
        let handler = user(&core, "g-1", Role::GridWorker, VILLAGE_A, None, 2).await;
        act(&core, &handler, &c1, Action::Start).await;
        act(&core, &handler, &c1, Action::Handle { evidence: "已更换灯泡".into() }).await;
        act(&core, &cadre(), &c3, Action::Dispatch { assignee_user_id: None, note: None }).await;
        act(&core, &handler, &c3, Action::Start).await;
        act(&core, &handler, &c3, Action::Handle { evidence: "已修好".into() }).await;
        let t1 = later();
        assert_eq!(texts::dispatch_case_states(&core, t1).await.unwrap(), 1, "only the Open311 reporter");
        assert_eq!(texts::send_due(&core, t1).await.unwrap(), (1, 0));
        let lines = sink(&core);
        assert!(lines.last().unwrap().1.contains("已办理完毕"));
        assert_eq!(lines.iter().filter(|(to, _)| to == "13800001111").count(), 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emergencies_reach_the_phones_of_people_on_duty() {
    both(|core| async move {
        setup(&core).await;
        let duty = user(
            &core,
            "duty-1",
            Role::VillageCadre,
            VILLAGE_A,
            Some("13800003333"),
            3,
        )
        .await;
        let quiet = user(
            &core,
            "cadre-off",
            Role::VillageCadre,
            VILLAGE_A,
            Some("13800004444"),
            4,
        )
        .await;
        user(
            &core,
            "cadre-digest",
            Role::VillageCadre,
            VILLAGE_A,
            Some("13800005555"),
            5,
        )
        .await;
        digest::set_preference(&core, &quiet, "sms.notices", "off", clock::now_ms())
            .await
            .unwrap();
        // On duty: texts whatever their preference (staff default to the digest).
        digest::set_preference(&core, &duty, "sms.notices", "off", clock::now_ms())
            .await
            .unwrap();
        let now = clock::now_ms();
        let mut tx = core.db.write.begin().await.unwrap();
        cases::store::insert_duty(
            &mut tx,
            "d1",
            COUNTY,
            VILLAGE_A,
            "duty-1",
            now - 3_600_000,
            now + 3_600_000,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let villager = staff(Role::Villager, VILLAGE_A, AreaLevel::Village);
        let c = raise(
            &core,
            &villager,
            "app",
            report("emergency", "老人摔倒无法起身"),
        )
        .await;
        let t0 = later();
        texts::dispatch_notices(&core, t0).await.unwrap();
        assert_eq!(texts::send_due(&core, t0).await.unwrap().1, 0);
        let lines = sink(&core);
        let to = |p: &str| lines.iter().filter(|(t, _)| t == p).count();
        assert_eq!(to("13800003333"), 1, "the person on duty, once");
        assert_eq!(
            to("13800005555"),
            1,
            "an emergency is never held for the digest"
        );
        assert_eq!(to("13800004444"), 0, "texts switched off");
        assert!(lines
            .iter()
            .all(|(_, t)| t.contains(&c.number) && t.contains("紧急求助") && !t.contains("摔倒")));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_digest_groups_notices_into_one_message() {
    both(|core| async move {
        setup(&core).await;
        let d = user(
            &core,
            "cadre-d",
            Role::VillageCadre,
            VILLAGE_A,
            Some("13800006666"),
            6,
        )
        .await;
        let i = user(
            &core,
            "cadre-i",
            Role::VillageCadre,
            VILLAGE_A,
            Some("13800007777"),
            7,
        )
        .await;
        let prefs = digest::preferences(&core, &d).await.unwrap();
        assert!(prefs.iter().any(|p| p.channel == rules::Channel::Notices
            && p.mode == rules::Mode::Digest
            && p.default));
        digest::set_preference(&core, &i, "sms.notices", "immediate", clock::now_ms())
            .await
            .unwrap();
        expect_code(
            digest::set_preference(&core, &i, "sms.everything", "off", 0).await,
            "channel",
            "invalid",
        );
        expect_code(
            digest::set_preference(&core, &i, "sms.notices", "sometimes", 0).await,
            "mode",
            "invalid",
        );
        let now = clock::now_ms();
        let mut rows = Vec::new();
        for (kind, n, to_user) in [
            ("case.new", 3, false),
            ("case.extension", 2, false),
            ("case.assigned", 1, true),
        ] {
            for k in 0..n {
                rows.push(NotificationRow {
                    id: clock::new_id(),
                    county_code: COUNTY.into(),
                    user_id: to_user.then(|| "cadre-d".to_string()),
                    role: (!to_user).then(|| "village_cadre".to_string()),
                    area_code: (!to_user).then(|| VILLAGE_A.to_string()),
                    case_id: None,
                    kind: kind.into(),
                    body: format!("2026-00000{k}"),
                    created_at: now,
                });
            }
        }
        let mut tx = core.db.write.begin().await.unwrap();
        cases::store::insert_notifications(&mut tx, &rows)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        // Immediate: one text per notice for cadre-i; nothing yet for cadre-d.
        assert_eq!(texts::dispatch_notices(&core, later()).await.unwrap(), 5);
        let by_user = |u: &'static str| {
            let core = core.clone();
            async move {
                scalar(
                    &core,
                    &format!("SELECT COUNT(*) FROM sms_outbox WHERE user_id = '{u}'"),
                )
                .await
            }
        };
        assert_eq!(by_user("cadre-i").await, 5);
        assert_eq!(by_user("cadre-d").await, 0);

        // The county's digest hour: one hour from now.
        let td = now + 3_600_000;
        let hour = rules::local_day_hour(td).1;
        digest::save_settings(
            &core,
            &county(),
            COUNTY,
            OutboundSettings { digest_hour: hour },
            now,
        )
        .await
        .unwrap();
        if rules::local_day_hour(now).1 < hour {
            assert_eq!(
                digest::run(&core, now).await.unwrap(),
                0,
                "not before the hour"
            );
        }
        assert_eq!(
            digest::run(&core, td).await.unwrap(),
            2,
            "both staff are looked at"
        );
        assert_eq!(
            digest::run(&core, td + 60_000).await.unwrap(),
            0,
            "once a day"
        );
        let body: String = sqlx::query_scalar(
            "SELECT body FROM notifications WHERE kind = 'digest' AND user_id = 'cadre-d'",
        )
        .fetch_one(&core.db.read)
        .await
        .unwrap();
        assert_eq!(body, "case.assigned=1;case.extension=2;case.new=3");
        assert_eq!(
            scalar(
                &core,
                "SELECT COUNT(*) FROM notifications WHERE kind = 'digest'"
            )
            .await,
            1,
            "cadre-i takes no digest"
        );
        assert_eq!(by_user("cadre-d").await, 1);
        texts::send_due(&core, td).await.unwrap();
        let lines: Vec<String> = sink(&core)
            .into_iter()
            .filter(|(to, _)| to == "13800006666")
            .map(|(_, t)| t)
            .collect();
        assert_eq!(lines.len(), 1, "one text instead of six");
        assert!(
            lines[0].contains("今日未读消息 6 条") && lines[0].contains("新案件 3 条"),
            "{}",
            lines[0]
        );
        assert_eq!(
            sink(&core)
                .iter()
                .filter(|(to, _)| to == "13800007777")
                .count(),
            5
        );
        assert_eq!(
            scalar(
                &core,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'notification_prefs.set'"
            )
            .await,
            1
        );
    })
    .await;
}
