//! Store and service integration tests. Every test runs on SQLite and on PostgreSQL, each on
//! a database of its own (see `common`).

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashSet};
use std::fmt::Debug;

use chrono::NaiveDate;
use common::{backends, both, each_backend, run_on, staff, Backend};
use sqlx::Row;
use xiangzhi_core::accounts::{self, store as acc_store, NewUser, Registration};
use xiangzhi_core::areas::{self, service::NewArea, AreaLevel};
use xiangzhi_core::audit::{self, AuditFilter, AuditRecord};
use xiangzhi_core::authz::{Actor, Role};
use xiangzhi_core::people::idnum::{make_id, parse_id};
use xiangzhi_core::people::store::AreaFilter;
use xiangzhi_core::people::{self, xlsx, PersonInput, RevealField};
use xiangzhi_core::tabular::{self, ImportMode, RowError};
use xiangzhi_core::{clock, db::Db, demo, AppError, AppResult, Core, FieldError};

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

const COUNTY: &str = "130123000000";
const TOWNSHIP: &str = "130123101000";
const VILLAGE_A: &str = "130123101201";
const VILLAGE_B: &str = "130123101202";
const GROUP_A1: &str = "13012310120101";
const GROUP_A2: &str = "13012310120102";
const GROUP_B1: &str = "13012310120201";
const GRID_A1: &str = "130123101201001";
const GRID_A2: &str = "130123101201002";
const TOWNSHIP_2: &str = "130123102000";
const VILLAGE_C: &str = "130123102201";
const GROUP_C1: &str = "13012310220101";
const COUNTY_2: &str = "130124000000";
const TOWNSHIP_X: &str = "130124101000";
const VILLAGE_X: &str = "130124101201";
const GROUP_X1: &str = "13012410120101";

/// (code, name, level, parent) of the test county, parents first.
const TREE: &[(&str, &str, &str, Option<&str>)] = &[
    (COUNTY, "x县", "county", None),
    (TOWNSHIP, "城关镇", "township", Some(COUNTY)),
    (VILLAGE_A, "张家庄村", "village", Some(TOWNSHIP)),
    (VILLAGE_B, "李家沟村", "village", Some(TOWNSHIP)),
    (GROUP_A1, "第一村民小组", "group", Some(VILLAGE_A)),
    (GROUP_A2, "第二村民小组", "group", Some(VILLAGE_A)),
    (GROUP_B1, "第一村民小组", "group", Some(VILLAGE_B)),
    (GRID_A1, "第一网格", "grid", Some(VILLAGE_A)),
    (GRID_A2, "第二网格", "grid", Some(VILLAGE_A)),
    (TOWNSHIP_2, "东阳镇", "township", Some(COUNTY)),
    (VILLAGE_C, "王家营村", "village", Some(TOWNSHIP_2)),
    (GROUP_C1, "第一村民小组", "group", Some(VILLAGE_C)),
    (COUNTY_2, "y县", "county", None),
    (TOWNSHIP_X, "白马乡", "township", Some(COUNTY_2)),
    (VILLAGE_X, "赵家屯村", "village", Some(TOWNSHIP_X)),
    (GROUP_X1, "第一村民小组", "group", Some(VILLAGE_X)),
];

fn system() -> Actor {
    Actor::system("test")
}

fn new_area(code: &str, name: &str, level: &str, parent: Option<&str>) -> NewArea {
    NewArea {
        code: code.into(),
        name: name.into(),
        level: level.into(),
        parent_code: parent.map(str::to_string),
        valid_from: None,
    }
}

async fn make_tree(core: &Core) {
    for (code, name, level, parent) in TREE {
        areas::service::create(&core.db, &system(), new_area(code, name, level, *parent))
            .await
            .unwrap_or_else(|e| panic!("create area {code}: {e:?}"));
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The same number with a wrong check character.
fn break_checksum(id: &str) -> String {
    let last = id.chars().last().unwrap();
    let wrong = match last {
        'X' => '0',
        '9' => 'X',
        d => char::from(d as u8 + 1),
    };
    format!("{}{wrong}", &id[..17])
}

/// `110***********1234`: the first 3 and last 4 characters, 11 stars between.
fn masked(id: &str) -> String {
    format!("{}{}{}", &id[..3], "*".repeat(11), &id[14..])
}

fn is_masked_id(s: &str) -> bool {
    s.len() == 18
        && s[3..14].chars().all(|c| c == '*')
        && s[..3].chars().all(|c| c.is_ascii_digit())
}

#[allow(clippy::too_many_arguments)]
fn person_input(
    name: &str,
    id: &str,
    phone: &str,
    area: &str,
    grid: &str,
    household: &str,
    relation: &str,
) -> PersonInput {
    PersonInput {
        name: name.into(),
        id_number: id.into(),
        phone: phone.into(),
        area_code: area.into(),
        grid_code: grid.into(),
        household_number: household.into(),
        address: "幸福路1号".into(),
        relation: relation.into(),
        ..Default::default()
    }
}

async fn count(core: &Core, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&core.db.read)
        .await
        .unwrap()
}

async fn audit_count(core: &Core) -> i64 {
    count(core, "audit_log").await
}

async fn audit_by_action(core: &Core, action: &str) -> Vec<AuditRecord> {
    audit::list(
        &core.db,
        &AuditFilter {
            action_prefix: Some(action.into()),
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

#[track_caller]
fn expect_field<T: Debug>(r: AppResult<T>, field: &str, code: &str) {
    match r {
        Err(AppError::Validation(f)) => assert!(
            f.contains(&FieldError::new(field, code)),
            "expected field error {field}:{code}, got {f:?}"
        ),
        other => panic!("expected field error {field}:{code}, got {other:?}"),
    }
}

#[track_caller]
fn expect_unauth<T: Debug>(r: AppResult<T>, code: &str) {
    match r {
        Err(AppError::Unauthenticated(c)) if c == code => {}
        other => panic!("expected Unauthenticated({code}), got {other:?}"),
    }
}

#[track_caller]
fn expect_forbidden<T: Debug>(r: AppResult<T>) {
    match r {
        Err(AppError::Forbidden) => {}
        other => panic!("expected Forbidden, got {other:?}"),
    }
}

#[track_caller]
fn expect_not_found<T: Debug>(r: AppResult<T>) {
    match r {
        Err(AppError::NotFound(_)) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[track_caller]
fn expect_conflict<T: Debug>(r: AppResult<T>, code: &str) {
    match r {
        Err(AppError::Conflict { code: c, .. }) if c == code => {}
        other => panic!("expected Conflict({code}), got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// 1. Migrations
// ---------------------------------------------------------------------------------------

/// Tables and their columns (in order), whatever the backend.
async fn schema_of(core: &Core, backend: Backend) -> BTreeMap<String, Vec<String>> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' \
             ORDER BY m.name, p.cid"
        }
        Backend::Postgres => {
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%' \
             ORDER BY table_name, ordinal_position"
        }
    };
    let rows = sqlx::query(sql).fetch_all(&core.db.read).await.unwrap();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in rows {
        out.entry(r.get::<String, _>(0)).or_default().push(r.get(1));
    }
    out
}

fn migration_files(sub: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(sub);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_the_same_on_both_backends() {
    let (sqlite, postgres) = Db::migration_versions();
    assert!(!sqlite.is_empty(), "no migrations compiled in");
    assert_eq!(
        sqlite, postgres,
        "migration versions differ between backends"
    );
    let files = migration_files("sqlite");
    assert_eq!(
        files,
        migration_files("postgres"),
        "migration file names differ"
    );
    assert_eq!(files.len(), sqlite.len());

    let mut schemas = Vec::new();
    for b in backends() {
        let (applied, schema) = run_on(b, move |env| async move {
            let core = env.fresh_core().await;
            let applied: Vec<i64> =
                sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
                    .fetch_all(&core.db.read)
                    .await
                    .unwrap();
            // A second open of the same database is a no-op (migrations are not re-run).
            let again = Core::open(core.data_dir.clone(), Some(&core.db.url), None).await;
            assert!(
                again.is_ok(),
                "reopening a migrated database failed: {:?}",
                again.err()
            );
            (applied, schema_of(&core, b).await)
        })
        .await
        .unwrap_or_else(|e| panic!("[{}] {e}", b.name()));
        assert_eq!(applied, sqlite, "[{}] applied migrations", b.name());
        assert!(schema.contains_key("persons") && schema.contains_key("audit_log"));
        schemas.push((b, schema));
    }
    if let [(_, s), (_, p)] = schemas.as_slice() {
        assert_eq!(
            s, p,
            "tables or columns differ between SQLite and PostgreSQL"
        );
    }
}

// ---------------------------------------------------------------------------------------
// 2. Areas
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn areas_are_created_checked_and_imported() {
    both(|core| async move {
        let db = &core.db;
        let sys = system();
        let county = areas::service::create(db, &sys, new_area(COUNTY, "x县", "county", None))
            .await
            .unwrap();
        assert_eq!(
            (county.level, county.parent_code.as_deref()),
            (AreaLevel::County, None)
        );
        let t = areas::service::create(
            db,
            &sys,
            new_area(TOWNSHIP, "城关镇", "township", Some(COUNTY)),
        )
        .await
        .unwrap();
        assert_eq!(t.kind.as_deref(), Some("town"));
        let v = areas::service::create(
            db,
            &sys,
            new_area(VILLAGE_A, " 张家庄村 ", "village", Some(TOWNSHIP)),
        )
        .await
        .unwrap();
        assert_eq!(
            (v.name.as_str(), v.kind.as_deref()),
            ("张家庄村", Some("village"))
        );
        let g = areas::service::create(
            db,
            &sys,
            new_area(GROUP_A1, "第一村民小组", "group", Some(VILLAGE_A)),
        )
        .await
        .unwrap();
        assert_eq!(g.parent_code.as_deref(), Some(VILLAGE_A));
        areas::service::create(
            db,
            &sys,
            new_area(GRID_A1, "第一网格", "grid", Some(VILLAGE_A)),
        )
        .await
        .unwrap();

        let tree = areas::service::visible_tree(db, &sys).await.unwrap();
        let mut expected = vec![COUNTY, TOWNSHIP, VILLAGE_A, GROUP_A1, GRID_A1];
        expected.sort();
        assert_eq!(
            tree.iter().map(|a| a.code.as_str()).collect::<Vec<_>>(),
            expected
        );
        assert!(tree.iter().all(|a| a.county_code == COUNTY));
        let kids = areas::store::children(db, VILLAGE_A).await.unwrap();
        let mut kid_codes: Vec<&str> = kids.iter().map(|a| a.code.as_str()).collect();
        kid_codes.sort();
        assert_eq!(kid_codes, vec![GRID_A1, GROUP_A1]);
        assert_eq!(audit_count(&core).await, 5, "every create is audited");

        // A village whose code lies outside its township: refused, nothing written.
        let r = areas::service::create(
            db,
            &sys,
            new_area("130123102201", "外村", "village", Some(TOWNSHIP)),
        )
        .await;
        expect_field(r, "code", "area_code_prefix");
        let r = areas::service::create(
            db,
            &sys,
            new_area("13012310120201", "外组", "group", Some(VILLAGE_A)),
        )
        .await;
        expect_field(r, "code", "area_code_prefix");
        assert!(areas::store::get(db, "130123102201")
            .await
            .unwrap()
            .is_none());
        assert!(areas::store::get(db, "13012310120201")
            .await
            .unwrap()
            .is_none());
        // A missing parent and a duplicate code are refused as well.
        let r = areas::service::create(
            db,
            &sys,
            new_area("130123109201", "孤村", "village", Some("130123109000")),
        )
        .await;
        expect_field(r, "parent_code", "area_parent_missing");
        let r = areas::service::create(
            db,
            &sys,
            new_area(VILLAGE_A, "重复村", "village", Some(TOWNSHIP)),
        )
        .await;
        expect_conflict(r, "duplicate_area");
        assert_eq!(count(&core, "areas").await, 5);
        assert_eq!(
            audit_count(&core).await,
            5,
            "refused creates leave no audit record"
        );

        // A division table with one bad row (row 5: a village outside its township).
        let csv = "代码,名称,级别,上级代码\n\
                   130123102000,东阳镇,乡镇,\n\
                   130123102201,李家村,村,130123102000\n\
                   13012310220101,第一村民小组,组,130123102201\n\
                   130123103201,王家村,村,130123102000\n\
                   130123102202,赵家村,村,\n";
        let sheet = tabular::read_table(csv.as_bytes()).unwrap();
        let bad = vec![RowError {
            row: 5,
            field: "code".into(),
            code: "area_code_prefix".into(),
        }];

        let report = areas::service::import(db, &sys, &sheet, ImportMode::AllOrNothing)
            .await
            .unwrap();
        assert!(report.rolled_back);
        assert_eq!((report.total_rows, report.imported), (5, 0));
        assert_eq!(report.errors, bad);
        assert!(areas::store::subtree(db, "130123102", true)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(count(&core, "areas").await, 5, "all-or-nothing wrote rows");
        assert_eq!(audit_count(&core).await, 5);

        let report = areas::service::import(db, &sys, &sheet, ImportMode::ValidRowsOnly)
            .await
            .unwrap();
        assert!(!report.rolled_back);
        assert_eq!((report.total_rows, report.imported), (5, 4));
        assert_eq!(report.errors, bad);
        let imported = areas::store::subtree(db, "130123102", false).await.unwrap();
        let got: Vec<(&str, AreaLevel, Option<&str>)> = imported
            .iter()
            .map(|a| (a.code.as_str(), a.level, a.parent_code.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("130123102000", AreaLevel::Township, Some(COUNTY)),
                ("130123102201", AreaLevel::Village, Some("130123102000")),
                ("13012310220101", AreaLevel::Group, Some("130123102201")),
                ("130123102202", AreaLevel::Village, Some("130123102000")),
            ]
        );
        assert!(areas::store::get(db, "130123103201")
            .await
            .unwrap()
            .is_none());
        let log = audit_by_action(&core, "area.import").await;
        assert_eq!(log.len(), 1);
        assert!(
            log[0].detail.contains("imported 4 of 5"),
            "{}",
            log[0].detail
        );

        // Importing the same table again imports nothing and names every duplicate row.
        let report = areas::service::import(db, &sys, &sheet, ImportMode::ValidRowsOnly)
            .await
            .unwrap();
        assert_eq!(report.imported, 0);
        let dup_rows: Vec<usize> = report
            .errors
            .iter()
            .filter(|e| e.code == "duplicate_area")
            .map(|e| e.row)
            .collect();
        assert_eq!(dup_rows, vec![2, 3, 4, 6]);
        assert_eq!(count(&core, "areas").await, 9);

        // A village cadre cannot write areas at all.
        let cadre = staff(Role::VillageCadre, VILLAGE_A, AreaLevel::Village);
        let r = areas::service::create(
            db,
            &cadre,
            new_area(GROUP_A2, "第二村民小组", "group", Some(VILLAGE_A)),
        )
        .await;
        expect_forbidden(r);
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 3. People
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_are_registered_masked_revealed_and_updated() {
    both(|core| async move {
        make_tree(&core).await;
        let cadre = staff(Role::VillageCadre, VILLAGE_A, AreaLevel::Village);
        let id1 = make_id("130123", date(1968, 5, 6), 123);
        let id2 = make_id("130123", date(1971, 11, 30), 246);
        let phone1 = "13812345678";

        let p1 = people::service::create_person(
            &core,
            &cadre,
            &person_input("张三", &id1, phone1, GROUP_A1, GRID_A1, "0001", "户主"),
        )
        .await
        .unwrap();
        assert_eq!(p1.id_masked, masked(&id1));
        assert_eq!(p1.phone_masked.as_deref(), Some("138****5678"));
        assert_eq!((p1.sex.as_str(), p1.birth_date.as_str()), ("M", "1968-05-06"));

        let (list, total) = people::service::list_people(&core, &cadre, Some(VILLAGE_A), "", 1, 50)
            .await
            .unwrap();
        assert_eq!(total, 1);
        assert_eq!(list[0].id_masked, masked(&id1));
        assert!(is_masked_id(&list[0].id_masked));
        let json = serde_json::to_string(&list).unwrap();
        assert!(!json.contains(&id1) && !json.contains(phone1), "a list leaks plaintext: {json}");

        // The raw row holds no plaintext identifier in any column.
        let row = sqlx::query(
            "SELECT id, county_code, area_code, grid_code, household_id, relation, name, id_type, id_bidx, \
             id_masked, birth_date, sex, phone_bidx, phone_masked, status, id_enc, id_original_enc, phone_enc \
             FROM persons",
        )
        .fetch_one(&core.db.read)
        .await
        .unwrap();
        for i in 0..15 {
            let v: Option<String> = row.get(i);
            let v = v.unwrap_or_default();
            assert!(!v.contains(&id1) && !v.contains(phone1), "column {i} holds plaintext: {v}");
        }
        for i in 15..18 {
            let blob: Option<Vec<u8>> = row.get(i);
            let blob = blob.unwrap_or_default();
            for secret in [id1.as_bytes(), phone1.as_bytes()] {
                assert!(!blob.windows(secret.len()).any(|w| w == secret), "blob column {i} holds plaintext");
            }
        }
        let enc: Vec<u8> = row.get(15);
        assert!(enc.len() > 18, "the ID number is stored encrypted");

        // A second registration of the same number is a conflict; a bad checksum a field error.
        let r = people::service::create_person(
            &core,
            &cadre,
            &person_input("张三丰", &id1, "", GROUP_A2, "", "", ""),
        )
        .await;
        expect_conflict(r, "duplicate_person");
        let r = people::service::create_person(
            &core,
            &cadre,
            &person_input("王五", &break_checksum(&id2), "", GROUP_A1, "", "", ""),
        )
        .await;
        expect_field(r, "id_number", "id_checksum");
        assert_eq!(count(&core, "persons").await, 1);

        // Reveal: a reason is required; the reveal is audited with the reason.
        let before = audit_count(&core).await;
        for reason in ["", "   ", "x"] {
            let r = people::service::reveal(&core, &cadre, &p1.id, RevealField::IdNumber, reason).await;
            expect_field(r, "reason", "reason_required");
        }
        assert_eq!(audit_count(&core).await, before, "a refused reveal is not audited");
        let reason = "核实低保申请材料";
        let full = people::service::reveal(&core, &cadre, &p1.id, RevealField::IdNumber, reason)
            .await
            .unwrap();
        assert_eq!(full, id1);
        let log = audit_by_action(&core, "person.reveal_id_number").await;
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].detail, reason);
        assert_eq!(log[0].object_id, p1.id);
        assert_eq!(log[0].actor_name, cadre.username);
        assert_eq!(log[0].area_code.as_deref(), Some(GROUP_A1));
        assert!(!log[0].detail.contains(&id1));
        let phone = people::service::reveal(&core, &cadre, &p1.id, RevealField::Phone, "回访电话")
            .await
            .unwrap();
        assert_eq!(phone, phone1);

        // Household: the spouse joins, the head and the member count follow.
        let p2 = people::service::create_person(
            &core,
            &cadre,
            &person_input("李秀英", &id2, "", GROUP_A1, GRID_A1, "0001", "配偶"),
        )
        .await
        .unwrap();
        assert_eq!(p2.sex, "F");
        let hid = p1.household_id.clone().unwrap();
        assert_eq!(p2.household_id.as_deref(), Some(hid.as_str()));
        let (h, members) = people::service::household(&core, &cadre, &hid).await.unwrap();
        assert_eq!((h.member_count, h.head_name.as_deref()), (2, Some("张三")));
        assert_eq!(members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), vec!["张三", "李秀英"]);

        // Update: the phone changes, the ID number cannot (an attempt to change it is ignored).
        let other_id = make_id("130123", date(1990, 1, 1), 11);
        let mut edit = person_input("张三", &other_id, "139-8765-4321", GROUP_A1, GRID_A1, "0001", "户主");
        edit.is_party_member = true;
        let after = people::service::update_person(&core, &cadre, &p1.id, &edit).await.unwrap();
        assert_eq!(after.phone_masked.as_deref(), Some("139****4321"));
        assert_eq!(after.id_masked, masked(&id1));
        assert!(after.is_party_member);
        let full = people::service::reveal(&core, &cadre, &p1.id, RevealField::IdNumber, "核对")
            .await
            .unwrap();
        assert_eq!(full, id1);
        let phone = people::service::reveal(&core, &cadre, &p1.id, RevealField::Phone, "核对")
            .await
            .unwrap();
        assert_eq!(phone, "13987654321");
        let found = people::service::find_by_id_number(&core, &cadre, &id1).await.unwrap();
        assert_eq!(found.map(|p| p.id), Some(p1.id.clone()));
        assert!(people::service::find_by_id_number(&core, &cadre, &other_id).await.unwrap().is_none());
        assert_eq!(audit_by_action(&core, "person.update").await.len(), 1);

        // Moving the spouse to a new household recounts both.
        let moved = people::service::update_person(
            &core,
            &cadre,
            &p2.id,
            &person_input("李秀英", "", "", GROUP_A1, GRID_A1, "0002", "配偶"),
        )
        .await
        .unwrap();
        let new_hid = moved.household_id.clone().unwrap();
        assert_ne!(new_hid, hid);
        let (h, _) = people::service::household(&core, &cadre, &hid).await.unwrap();
        assert_eq!((h.member_count, h.head_name.as_deref()), (1, Some("张三")));
        let (h2, members2) = people::service::household(&core, &cadre, &new_hid).await.unwrap();
        assert_eq!((h2.number.as_str(), h2.member_count, h2.head_name.as_deref()), ("0002", 1, None));
        assert_eq!(members2.len(), 1);
        let (households, n) = people::service::list_households(&core, &cadre, Some(VILLAGE_A), 1, 50)
            .await
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            households.iter().map(|h| (h.number.as_str(), h.member_count)).collect::<Vec<_>>(),
            vec![("0001", 1), ("0002", 1)]
        );
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 4. Access by area
// ---------------------------------------------------------------------------------------

#[derive(Clone)]
struct Target {
    id: String,
    id_number: String,
    input: PersonInput,
}

#[derive(Clone, Copy, Debug)]
struct Can {
    read: bool,
    write: bool,
    reveal: bool,
}

const NOTHING: Can = Can {
    read: false,
    write: false,
    reveal: false,
};
const READ: Can = Can {
    read: true,
    write: false,
    reveal: false,
};
const READ_REVEAL: Can = Can {
    read: true,
    write: false,
    reveal: true,
};
const ALL: Can = Can {
    read: true,
    write: true,
    reveal: true,
};

async fn add_target(
    core: &Core,
    n: u32,
    name: &str,
    area: &str,
    grid: &str,
    addr6: &str,
) -> Target {
    let id_number = make_id(addr6, date(1960 + n as i32, n, 10 + n), (n * 2 + 1) as u16);
    let input = person_input(name, &id_number, "", area, grid, &format!("{n:04}"), "户主");
    let p = people::service::create_person(core, &system(), &input)
        .await
        .unwrap();
    Target {
        id: p.id,
        id_number,
        input,
    }
}

/// Check one actor on one person; returns the mismatches.
async fn check_access(
    core: &Core,
    label: &str,
    actor: &Actor,
    t: &Target,
    can: Can,
) -> Vec<String> {
    let mut bad = Vec::new();
    // read: the person page and the list of the person's area
    match (can.read, people::service::person(core, actor, &t.id).await) {
        (true, Ok((p, _))) if p.id == t.id => {}
        (false, Err(AppError::NotFound(_))) => {}
        (c, r) => bad.push(format!(
            "{label} get: expected allowed={c}, got {:?}",
            r.map(|x| x.0.name)
        )),
    }
    let list_area = if actor.grants.iter().any(|g| g.area_level == AreaLevel::Grid) {
        t.input.grid_code.clone()
    } else {
        t.input.area_code[..12].to_string()
    };
    match (
        can.read,
        people::service::list_people(core, actor, Some(&list_area), "", 1, 200).await,
    ) {
        (true, Ok((rows, _))) if rows.iter().any(|p| p.id == t.id) => {}
        (false, Err(AppError::Forbidden)) => {}
        (c, r) => bad.push(format!(
            "{label} list {list_area}: expected allowed={c}, got {:?}",
            r.map(|x| x.0.into_iter().map(|p| p.name).collect::<Vec<_>>())
        )),
    }
    // write
    let before = audit_count(core).await;
    let edit = PersonInput {
        address: format!("{label} 改"),
        ..t.input.clone()
    };
    match (
        can.write,
        people::service::update_person(core, actor, &t.id, &edit).await,
    ) {
        (true, Ok(p)) if p.id == t.id => {}
        (false, Err(AppError::NotFound(_))) => {}
        (c, r) => bad.push(format!(
            "{label} update: expected allowed={c}, got {:?}",
            r.map(|p| p.name)
        )),
    }
    let after = audit_count(core).await;
    if after - before != i64::from(can.write) {
        bad.push(format!(
            "{label} update wrote {} audit records",
            after - before
        ));
    }
    // reveal
    let before = after;
    match (
        can.reveal,
        people::service::reveal(core, actor, &t.id, RevealField::IdNumber, "入户核查").await,
    ) {
        (true, Ok(s)) if s == t.id_number => {}
        // Someone who may read the person is told "forbidden"; for anyone else the person
        // does not exist, so the reveal cannot be used to probe the registry.
        (false, Err(AppError::Forbidden)) if can.read => {}
        (false, Err(AppError::NotFound(_))) if !can.read => {}
        (c, r) => bad.push(format!("{label} reveal: expected allowed={c}, got {r:?}")),
    }
    let after = audit_count(core).await;
    if after - before != i64::from(can.reveal) {
        bad.push(format!(
            "{label} reveal wrote {} audit records",
            after - before
        ));
    }
    bad
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_follows_role_and_area() {
    both(|core| async move {
        make_tree(&core).await;
        let a1 = add_target(&core, 1, "赵一", GROUP_A1, GRID_A1, "130123").await;
        let a2 = add_target(&core, 2, "钱二", GROUP_A2, GRID_A2, "130123").await;
        let b = add_target(&core, 3, "孙三", GROUP_B1, "", "130123").await;
        let c = add_target(&core, 4, "李四", GROUP_C1, "", "130123").await;
        let x = add_target(&core, 5, "周五", GROUP_X1, "", "130124").await;

        use AreaLevel as L;
        // (actor, own person, allowed on own, other person); nothing is allowed on the other.
        let matrix: Vec<(Actor, &Target, Can, &Target)> = vec![
            (
                staff(Role::Villager, VILLAGE_A, L::Village),
                &a1,
                NOTHING,
                &b,
            ),
            (
                staff(Role::GridWorker, GRID_A1, L::Grid),
                &a1,
                READ_REVEAL,
                &a2,
            ),
            (
                staff(Role::VillageCadre, VILLAGE_A, L::Village),
                &a1,
                ALL,
                &b,
            ),
            (
                staff(Role::VillageCadre, VILLAGE_B, L::Village),
                &b,
                ALL,
                &a1,
            ),
            (
                staff(Role::VillageSupervisor, VILLAGE_A, L::Village),
                &a1,
                READ,
                &b,
            ),
            (
                staff(Role::TownshipStaff, TOWNSHIP, L::Township),
                &a1,
                ALL,
                &c,
            ),
            (staff(Role::CountyStaff, COUNTY, L::County), &a1, ALL, &x),
            (
                staff(Role::SystemAdmin, COUNTY, L::County),
                &a1,
                NOTHING,
                &x,
            ),
            (
                staff(Role::SecurityAdmin, COUNTY, L::County),
                &a1,
                NOTHING,
                &x,
            ),
            (staff(Role::AuditAdmin, COUNTY, L::County), &a1, NOTHING, &x),
        ];
        let mut failures = Vec::new();
        for (actor, own, can, other) in &matrix {
            let who = &actor.username;
            failures.extend(check_access(&core, &format!("{who} own"), actor, own, *can).await);
            failures
                .extend(check_access(&core, &format!("{who} other"), actor, other, NOTHING).await);
        }
        assert!(
            failures.is_empty(),
            "access matrix mismatches:\n{}",
            failures.join("\n")
        );

        // A grid worker's default list is their grid, by grid_code, not the whole village.
        let gw = staff(Role::GridWorker, GRID_A1, L::Grid);
        let (rows, total) = people::service::list_people(&core, &gw, None, "", 1, 200)
            .await
            .unwrap();
        assert_eq!(total, 1);
        assert_eq!(
            rows.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            vec![a1.id.as_str()]
        );
        assert!(rows.iter().all(|p| p.grid_code.as_deref() == Some(GRID_A1)));
        expect_forbidden(
            people::service::list_people(&core, &gw, Some(VILLAGE_A), "", 1, 200).await,
        );
        expect_forbidden(xlsx::export(&core, &gw, None).await);

        // A cadre sees their whole village, and nothing of the next one.
        let cadre_b = staff(Role::VillageCadre, VILLAGE_B, L::Village);
        expect_forbidden(
            people::service::list_people(&core, &cadre_b, Some(VILLAGE_A), "", 1, 200).await,
        );
        expect_not_found(people::service::person(&core, &cadre_b, &a1.id).await);
        expect_not_found(
            people::service::reveal(&core, &cadre_b, &a1.id, RevealField::Phone, "看看").await,
        );
        assert!(
            people::service::find_by_id_number(&core, &cadre_b, &a1.id_number)
                .await
                .unwrap()
                .is_none()
        );
        // ... and cannot register people into another village.
        let r = people::service::create_person(
            &core,
            &cadre_b,
            &person_input(
                "吴六",
                &make_id("130123", date(1999, 9, 9), 7),
                "",
                GROUP_A1,
                "",
                "",
                "",
            ),
        )
        .await;
        expect_field(r, "area_code", "area_outside_scope");

        // The administrators cannot read people at all, not even by default area.
        for role in [Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin] {
            let admin = staff(role, COUNTY, L::County);
            expect_forbidden(people::service::list_people(&core, &admin, None, "", 1, 50).await);
            expect_forbidden(people::service::list_households(&core, &admin, None, 1, 50).await);
            expect_forbidden(
                people::service::find_by_id_number(&core, &admin, &a1.id_number).await,
            );
            expect_forbidden(xlsx::export(&core, &admin, None).await);
        }
        assert_eq!(count(&core, "persons").await, 5);
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 5. XLSX import and export
// ---------------------------------------------------------------------------------------

struct XRow {
    cells: Vec<String>,
    /// Write the area code as a number (as spreadsheets often hold it).
    numeric_area: bool,
}

fn build_xlsx(header: &[&str], rows: &[XRow]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.cells.iter().enumerate() {
            let (r, c) = ((r + 1) as u32, c as u16);
            if c == 3 && row.numeric_area {
                ws.write_number(r, c, v.parse::<f64>().unwrap()).unwrap();
            } else if !v.is_empty() {
                ws.write_string(r, c, v).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

fn xrow(
    name: &str,
    id: &str,
    phone: &str,
    area: &str,
    household: &str,
    relation: &str,
    party: bool,
) -> XRow {
    XRow {
        cells: vec![
            name.into(),
            id.into(),
            phone.into(),
            area.into(),
            String::new(),
            household.into(),
            relation.into(),
            "第一组12号".into(),
            if party { "是" } else { "" }.into(),
            String::new(),
            String::new(),
            String::new(),
        ],
        numeric_area: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_xlsx_import_reports_rows_and_export_is_masked() {
    both(|core| async move {
        make_tree(&core).await;
        let cadre = staff(Role::VillageCadre, VILLAGE_A, AreaLevel::Village);
        assert_eq!(xlsx::HEADER.len(), 12);

        // 50 good rows: households of three (head, spouse, child) in groups A1 and A2.
        let mut good = Vec::new();
        for i in 0..50u32 {
            let id = make_id(
                "130123",
                date(1950, 1, 1) + chrono::Days::new(u64::from(i) * 97),
                (i * 2 + 1) as u16,
            );
            let phone = if i % 2 == 0 {
                format!("139{:08}", 20_000 + i)
            } else {
                String::new()
            };
            let area = if i < 25 { GROUP_A1 } else { GROUP_A2 };
            let relation = ["户主", "配偶", "子女"][(i % 3) as usize];
            let mut row = xrow(
                &format!("村民{i:02}"),
                &id,
                &phone,
                area,
                &format!("{:04}", i / 3 + 1),
                relation,
                i % 10 == 0,
            );
            row.numeric_area = i % 2 == 1;
            good.push((id, phone, area, row));
        }
        let households: HashSet<(String, String)> = good
            .iter()
            .map(|(_, _, a, r)| (a.to_string(), r.cells[5].clone()))
            .collect();
        let bad_checksum = xrow(
            "坏校验",
            &break_checksum(&make_id("130123", date(1980, 2, 2), 5)),
            "",
            GROUP_A1,
            "0100",
            "户主",
            false,
        );
        let unknown_area = xrow(
            "无此村",
            &make_id("130123", date(1981, 3, 3), 7),
            "",
            "130123101299",
            "0101",
            "户主",
            false,
        );
        let duplicate = xrow("重复人", &good[0].0, "", GROUP_A1, "0102", "户主", false);
        let mut rows: Vec<XRow> = Vec::new();
        let mut expected = Vec::new();
        for (i, (_, _, _, row)) in good.iter().enumerate() {
            rows.push(XRow {
                cells: row.cells.clone(),
                numeric_area: row.numeric_area,
            });
            let (extra, field, code) = match i {
                9 => (&bad_checksum, "id_number", "id_checksum"),
                24 => (&unknown_area, "area_code", "area_parent_missing"),
                49 => (&duplicate, "id_number", "duplicate_person"),
                _ => continue,
            };
            rows.push(XRow {
                cells: extra.cells.clone(),
                numeric_area: false,
            });
            expected.push(RowError {
                row: rows.len() + 1,
                field: field.into(),
                code: code.into(),
            });
        }
        assert_eq!(
            expected.iter().map(|e| e.row).collect::<Vec<_>>(),
            vec![12, 28, 54]
        );
        let bytes = build_xlsx(xlsx::HEADER, &rows);

        // All or nothing: nothing is written, every bad row is named.
        let audit_before = audit_count(&core).await;
        let report = xlsx::import_bytes(&core, &cadre, &bytes, ImportMode::AllOrNothing)
            .await
            .unwrap();
        assert!(report.rolled_back);
        assert_eq!((report.total_rows, report.imported), (53, 0));
        assert_eq!(report.errors, expected);
        assert_eq!(count(&core, "persons").await, 0);
        assert_eq!(count(&core, "households").await, 0);
        assert_eq!(audit_count(&core).await, audit_before);

        // Valid rows only: the 50 good rows are written.
        let report = xlsx::import_bytes(&core, &cadre, &bytes, ImportMode::ValidRowsOnly)
            .await
            .unwrap();
        assert!(!report.rolled_back);
        assert_eq!((report.total_rows, report.imported), (53, 50));
        assert_eq!(report.errors, expected);
        assert_eq!(count(&core, "persons").await, 50);
        assert_eq!(count(&core, "households").await, households.len() as i64);
        let (_, total) = people::service::list_people(&core, &cadre, Some(VILLAGE_A), "", 1, 200)
            .await
            .unwrap();
        assert_eq!(total, 50);
        let (_, in_a2) = people::service::list_people(&core, &cadre, Some(GROUP_A2), "", 1, 200)
            .await
            .unwrap();
        assert_eq!(in_a2, 25, "numeric area-code cells are read as codes");
        let log = audit_by_action(&core, "person.import").await;
        assert_eq!(log.len(), 1);
        assert!(
            log[0].detail.contains("imported 50 of 53"),
            "{}",
            log[0].detail
        );

        // An imported person: fields, flags and the household with its head.
        let p7 = people::service::find_by_id_number(&core, &cadre, &good[7].0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p7.name, "村民07");
        let p0 = people::service::find_by_id_number(&core, &cadre, &good[0].0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (p0.name.as_str(), p0.relation.as_str(), p0.is_party_member),
            ("村民00", "head", true)
        );
        assert_eq!(p0.phone_masked, Some(format!("139****{}", &good[0].1[7..])));
        let (h, members) =
            people::service::household(&core, &cadre, p0.household_id.as_deref().unwrap())
                .await
                .unwrap();
        assert_eq!(
            (h.member_count, h.head_name.as_deref()),
            (3, Some("村民00"))
        );
        assert_eq!(members.len(), 3);

        // The same file again: every good row is already registered.
        let report = xlsx::import_bytes(&core, &cadre, &bytes, ImportMode::ValidRowsOnly)
            .await
            .unwrap();
        assert_eq!(report.imported, 0);
        assert_eq!(
            report
                .errors
                .iter()
                .filter(|e| e.code == "duplicate_person")
                .count(),
            51
        );
        assert_eq!(count(&core, "persons").await, 50);

        // Not a spreadsheet, or a spreadsheet without the headings.
        expect_field(
            xlsx::import_bytes(&core, &cadre, b"hello", ImportMode::ValidRowsOnly).await,
            "file",
            "upload_not_xlsx",
        );
        expect_field(
            xlsx::import_bytes(
                &core,
                &cadre,
                b"PK\x03\x04 not a zip at all",
                ImportMode::ValidRowsOnly,
            )
            .await,
            "file",
            "upload_not_xlsx",
        );
        let wrong = build_xlsx(&["名字", "号码"], &[]);
        expect_field(
            xlsx::import_bytes(&core, &cadre, &wrong, ImportMode::ValidRowsOnly).await,
            "file",
            "upload_header",
        );
        // A supervisor may read but not import.
        let sup = staff(Role::VillageSupervisor, VILLAGE_A, AreaLevel::Village);
        expect_forbidden(xlsx::import_bytes(&core, &sup, &bytes, ImportMode::ValidRowsOnly).await);

        // Export: an XLSX file with masked identifiers only.
        let out = xlsx::export(&core, &cadre, Some(VILLAGE_A)).await.unwrap();
        assert!(out.starts_with(b"PK"), "export is not an XLSX (ZIP) file");
        let sheet = tabular::read_xlsx(&out).unwrap();
        assert_eq!(
            sheet.header,
            xlsx::HEADER
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
        );
        assert_eq!(sheet.rows.len(), 50);
        let want: HashSet<String> = good.iter().map(|(id, ..)| masked(id)).collect();
        let got: HashSet<String> = sheet.rows.iter().map(|r| r[1].clone()).collect();
        assert_eq!(got, want);
        for row in &sheet.rows {
            assert!(is_masked_id(&row[1]), "unmasked ID in export: {}", row[1]);
            for cell in row {
                for (id, phone, ..) in &good {
                    assert!(!cell.contains(id.as_str()), "export leaks an ID number");
                    assert!(
                        phone.is_empty() || !cell.contains(phone.as_str()),
                        "export leaks a phone"
                    );
                }
            }
        }
        assert_eq!(audit_by_action(&core, "person.export").await.len(), 1);
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 6. Accounts
// ---------------------------------------------------------------------------------------

/// An administrator with a user row and a grant (cannot log in: no password).
async fn bootstrap_admin(core: &Core, username: &str, role: Role) -> Actor {
    let id = clock::new_id();
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await.unwrap();
    acc_store::insert_user(
        &mut tx,
        &acc_store::UserRow {
            id: id.clone(),
            county_code: COUNTY.into(),
            username: username.into(),
            display_name: username.into(),
            person_id: None,
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
    acc_store::insert_grant(&mut tx, &id, role, COUNTY, None, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    accounts::load_actor(core, &id, Some("127.0.0.1".into()))
        .await
        .unwrap()
}

fn totp_at(secret: &[u8], unix: u64) -> String {
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret.to_vec())
        .unwrap()
        .generate(unix)
}

/// The first run of exactly six digits in a text.
fn six_digits(text: &str) -> Option<String> {
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            if run.len() == 6 {
                return Some(run);
            }
            run.clear();
        }
    }
    None
}

fn outbox_lines(core: &Core) -> Vec<serde_json::Value> {
    let path = common::data_file(core, "sms-outbox.jsonl");
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_login_lockout_totp_registration_and_duties() {
    both(|core| async move {
        make_tree(&core).await;
        let sys = bootstrap_admin(&core, "sysadmin", Role::SystemAdmin).await;
        let sec = bootstrap_admin(&core, "secadmin", Role::SecurityAdmin).await;
        let aud = bootstrap_admin(&core, "auditadmin", Role::AuditAdmin).await;
        let new_user = |username: &str, password: &str| NewUser {
            username: username.into(),
            display_name: "王五".into(),
            password: password.into(),
            person_id: None,
            staff: true,
        };

        // Separation of duties.
        expect_forbidden(
            accounts::create_user(&core, &aud, &new_user("someone", "Qiang!Pass2024")).await,
        );
        expect_field(
            accounts::create_user(&core, &sys, &new_user("wangwu", "short1A")).await,
            "password",
            "password_policy",
        );
        let pw = "Qiang!Pass2024";
        let wangwu = accounts::create_user(&core, &sys, &new_user("wangwu", pw))
            .await
            .unwrap();
        expect_forbidden(
            accounts::grant_role(&core, &sys, &wangwu, Role::VillageCadre, VILLAGE_A).await,
        );
        expect_field(
            accounts::grant_role(&core, &sec, &sec.user_id, Role::VillageCadre, VILLAGE_A).await,
            "user",
            "separation_of_duties",
        );
        expect_field(
            accounts::grant_role(&core, &sec, &wangwu, Role::VillageCadre, TOWNSHIP).await,
            "role",
            "role_invalid",
        );
        expect_forbidden(
            accounts::grant_role(&core, &aud, &wangwu, Role::VillageCadre, VILLAGE_A).await,
        );
        assert_eq!(
            count(&core, "role_grants").await,
            3,
            "refused grants wrote nothing"
        );

        // Password login, lockout after five failures, unlock by the security administrator.
        let s = accounts::login(&core, "wangwu", pw, "", "browser", None)
            .await
            .unwrap();
        let auth = accounts::authenticate(&core, &s.token)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(auth.user_id, wangwu);
        expect_unauth(
            accounts::login(&core, "nobody", pw, "", "browser", None).await,
            "bad_credentials",
        );
        for _ in 0..4 {
            expect_unauth(
                accounts::login(&core, "wangwu", "Wrong!Pass2024", "", "browser", None).await,
                "bad_credentials",
            );
        }
        expect_unauth(
            accounts::login(&core, "wangwu", "Wrong!Pass2024", "", "browser", None).await,
            "account_locked",
        );
        expect_unauth(
            accounts::login(&core, "wangwu", pw, "", "browser", None).await,
            "account_locked",
        );
        assert_eq!(audit_by_action(&core, "user.locked").await.len(), 1);
        accounts::unlock(&core, &sec, &wangwu).await.unwrap();
        accounts::login(&core, "wangwu", pw, "", "browser", None)
            .await
            .unwrap();

        // A township_staff grant brings a TOTP secret; login then needs a valid code.
        let lisi = accounts::create_user(&core, &sys, &new_user("lisi", "Li4si!Secure"))
            .await
            .unwrap();
        let out = accounts::grant_role(&core, &sec, &lisi, Role::TownshipStaff, TOWNSHIP)
            .await
            .unwrap();
        let b32 = out
            .totp_secret
            .expect("a TOTP secret for a township_staff grant");
        let secret = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, &b32).unwrap();
        expect_unauth(
            accounts::login(&core, "lisi", "Li4si!Secure", "", "browser", None).await,
            "otp_required",
        );
        let now = (clock::now_ms() / 1000) as u64;
        let near: HashSet<String> = (0..5)
            .map(|k| totp_at(&secret, now + k * 30 - 60))
            .collect();
        let wrong = (0..1_000_000u32)
            .map(|n| format!("{:06}", (n * 7919 + 123_457) % 1_000_000))
            .find(|c| !near.contains(c))
            .unwrap();
        expect_unauth(
            accounts::login(&core, "lisi", "Li4si!Secure", &wrong, "browser", None).await,
            "otp_invalid",
        );
        let code = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret.clone())
            .unwrap()
            .generate_current()
            .unwrap();
        let s = accounts::login(&core, "lisi", "Li4si!Secure", &code, "browser", None)
            .await
            .unwrap();
        assert!(s.actor.has_role(Role::TownshipStaff));
        assert_eq!(s.actor.grants[0].area_code, TOWNSHIP);
        // An administrator role is not added to a user who holds another role.
        expect_field(
            accounts::grant_role(&core, &sec, &lisi, Role::SystemAdmin, COUNTY).await,
            "role",
            "separation_of_duties",
        );

        // Villager self-registration against the registry.
        let zhao_id = make_id("130123", date(1975, 4, 4), 31);
        let qian_id = make_id("130123", date(1982, 8, 8), 42);
        people::service::create_person(
            &core,
            &system(),
            &person_input(
                "赵六",
                &zhao_id,
                "13700000001",
                GROUP_A1,
                "",
                "0001",
                "户主",
            ),
        )
        .await
        .unwrap();
        people::service::create_person(
            &core,
            &system(),
            &person_input(
                "钱七",
                &qian_id,
                "13700000002",
                GROUP_A1,
                "",
                "0002",
                "户主",
            ),
        )
        .await
        .unwrap();
        let reg = |name: &str, id: &str, phone: &str| Registration {
            name: name.into(),
            id_number: id.into(),
            phone: phone.into(),
            password: "nongjia2024".into(),
        };
        let users_before = count(&core, "users").await;
        expect_field(
            accounts::register_villager(&core, &reg("赵小六", &zhao_id, "13700000001"), None).await,
            "id_number",
            "registry_mismatch",
        );
        expect_field(
            accounts::register_villager(&core, &reg("赵六", &zhao_id, "13700000009"), None).await,
            "id_number",
            "registry_mismatch",
        );
        assert_eq!(count(&core, "users").await, users_before);
        let zhao = accounts::register_villager(&core, &reg("赵六", &zhao_id, "13700000001"), None)
            .await
            .unwrap();
        let row = accounts::find_user(&core, "13700000001")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (row.id.as_str(), row.status.as_str()),
            (zhao.as_str(), "pending")
        );
        expect_unauth(
            accounts::login(&core, "13700000001", "nongjia2024", "", "browser", None).await,
            "account_pending",
        );
        let cadre_a = staff(Role::VillageCadre, VILLAGE_A, AreaLevel::Village);
        let cadre_b = staff(Role::VillageCadre, VILLAGE_B, AreaLevel::Village);
        let pending_a = accounts::pending_registrations(&core, &cadre_a)
            .await
            .unwrap();
        assert_eq!(
            pending_a
                .iter()
                .map(|(u, _)| u.id.as_str())
                .collect::<Vec<_>>(),
            vec![zhao.as_str()]
        );
        assert!(accounts::pending_registrations(&core, &cadre_b)
            .await
            .unwrap()
            .is_empty());
        expect_not_found(accounts::confirm_registration(&core, &cadre_b, &zhao).await);
        accounts::confirm_registration(&core, &cadre_a, &zhao)
            .await
            .unwrap();
        assert!(matches!(
            accounts::confirm_registration(&core, &cadre_a, &zhao).await,
            Err(AppError::InvalidTransition(_))
        ));
        let s = accounts::login(&core, "13700000001", "nongjia2024", "", "browser", None)
            .await
            .unwrap();
        assert!(s.actor.has_role(Role::Villager));
        let (me, _) =
            people::service::person(&core, &s.actor, s.actor.person_id.as_deref().unwrap())
                .await
                .unwrap();
        assert_eq!(me.name, "赵六");

        // Confirmation by SMS code through the file sink.
        let qian = accounts::register_villager(&core, &reg("钱七", &qian_id, "13700000002"), None)
            .await
            .unwrap();
        accounts::send_registration_code(&core, "13700000002")
            .await
            .unwrap();
        let lines = outbox_lines(&core);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["to"], "13700000002");
        let text = lines[0]["text"].as_str().unwrap();
        let code = six_digits(text).unwrap_or_else(|| panic!("no code in {text}"));
        // No message for a phone without a pending registration (no registry probing).
        accounts::send_registration_code(&core, "13700000001")
            .await
            .unwrap();
        accounts::send_registration_code(&core, "13911112222")
            .await
            .unwrap();
        assert_eq!(outbox_lines(&core).len(), 1);
        let wrong_code = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
        expect_field(
            accounts::verify_registration_code(&core, "13700000002", &wrong_code).await,
            "code",
            "code_invalid",
        );
        accounts::verify_registration_code(&core, "13700000002", &code)
            .await
            .unwrap();
        let row = accounts::find_user(&core, "13700000002")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (row.id.as_str(), row.status.as_str()),
            (qian.as_str(), "active")
        );
        expect_field(
            accounts::verify_registration_code(&core, "13700000002", &code).await,
            "code",
            "code_invalid",
        );
        accounts::login(&core, "13700000002", "nongjia2024", "", "browser", None)
            .await
            .unwrap();
        let v = audit::verify(&core.db).await.unwrap();
        assert_eq!(v.problem, None);
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 7. Audit chain
// ---------------------------------------------------------------------------------------

async fn record_at(core: &Core, seq: i64) -> AuditRecord {
    let r = audit::list(
        &core.db,
        &AuditFilter {
            before_seq: Some(seq + 1),
            limit: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(r[0].seq, seq);
    r.into_iter().next().unwrap()
}

async fn insert_raw(core: &Core, r: &AuditRecord) {
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor_id, actor_name, on_behalf_of, action, object_type, object_id, \
         area_code, source, before_digest, after_digest, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(r.seq)
    .bind(r.at)
    .bind(r.actor_id.clone())
    .bind(r.actor_name.clone())
    .bind(r.on_behalf_of.clone())
    .bind(r.action.clone())
    .bind(r.object_type.clone())
    .bind(r.object_id.clone())
    .bind(r.area_code.clone())
    .bind(r.source.clone())
    .bind(r.before_digest.clone())
    .bind(r.after_digest.clone())
    .bind(r.detail.clone())
    .bind(r.prev_hash.clone())
    .bind(r.hash.clone())
    .execute(&core.db.write)
    .await
    .unwrap();
}

async fn exec(core: &Core, sql: &str, seq: i64) {
    sqlx::query(sql)
        .bind(seq)
        .execute(&core.db.write)
        .await
        .unwrap();
}

async fn set_detail_hash(core: &Core, seq: i64, detail: &str, hash: &str) {
    sqlx::query("UPDATE audit_log SET detail = $1, hash = $2 WHERE seq = $3")
        .bind(detail.to_string())
        .bind(hash.to_string())
        .bind(seq)
        .execute(&core.db.write)
        .await
        .unwrap();
}

async fn swap(core: &Core, a: i64, b: i64) {
    exec(core, "UPDATE audit_log SET seq = -1 WHERE seq = $1", a).await;
    sqlx::query("UPDATE audit_log SET seq = $1 WHERE seq = $2")
        .bind(a)
        .bind(b)
        .execute(&core.db.write)
        .await
        .unwrap();
    exec(core, "UPDATE audit_log SET seq = $1 WHERE seq = -1", b).await;
}

#[track_caller]
fn expect_problem(v: &audit::VerifyReport, want: &str) {
    let p = v
        .problem
        .as_deref()
        .unwrap_or_else(|| panic!("tampering not detected (wanted: {want})"));
    assert_eq!(p, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_chain_detects_edits_deletions_and_reordering() {
    both(|core| async move {
        make_tree(&core).await;
        let cadre = staff(Role::VillageCadre, VILLAGE_A, AreaLevel::Village);
        let p = people::service::create_person(
            &core,
            &cadre,
            &person_input(
                "张三",
                &make_id("130123", date(1970, 1, 2), 3),
                "13812345678",
                GROUP_A1,
                "",
                "0001",
                "户主",
            ),
        )
        .await
        .unwrap();
        people::service::create_person(
            &core,
            &cadre,
            &person_input(
                "李四",
                &make_id("130123", date(1972, 2, 3), 4),
                "",
                GROUP_A1,
                "",
                "0001",
                "配偶",
            ),
        )
        .await
        .unwrap();
        people::service::reveal(&core, &cadre, &p.id, RevealField::IdNumber, "核对身份")
            .await
            .unwrap();
        let n = TREE.len() as i64 + 3;
        assert_eq!(audit_count(&core).await, n);
        let intact = audit::VerifyReport {
            records: n,
            problem: None,
        };
        assert_eq!(audit::verify(&core.db).await.unwrap(), intact);
        let newest = audit::list(
            &core.db,
            &AuditFilter {
                limit: 3,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            newest.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
            vec!["person.reveal_id_number", "person.create", "person.create"]
        );

        // An edited record.
        let r5 = record_at(&core, 5).await;
        set_detail_hash(&core, 5, "nothing to see", &r5.hash).await;
        let v = audit::verify(&core.db).await.unwrap();
        expect_problem(&v, "audit record 5 was altered");
        assert_eq!(v.records, 4);
        // An edited record whose own hash was recomputed: the next record no longer follows.
        let mut forged = r5.clone();
        forged.detail = "nothing to see".into();
        forged.hash = audit::chain_hash(&forged);
        set_detail_hash(&core, 5, &forged.detail, &forged.hash).await;
        expect_problem(
            &audit::verify(&core.db).await.unwrap(),
            "audit record 6 does not follow record 5 (reordered or replaced)",
        );
        set_detail_hash(&core, 5, &r5.detail, &r5.hash).await;
        assert_eq!(audit::verify(&core.db).await.unwrap(), intact, "restored");

        // A deleted record in the middle.
        let r7 = record_at(&core, 7).await;
        exec(&core, "DELETE FROM audit_log WHERE seq = $1", 7).await;
        let v = audit::verify(&core.db).await.unwrap();
        expect_problem(&v, "audit record 7 is missing");
        assert_eq!(v.records, 6);
        insert_raw(&core, &r7).await;
        assert_eq!(audit::verify(&core.db).await.unwrap(), intact, "restored");

        // The newest record deleted (the head still counts it).
        let last = record_at(&core, n).await;
        exec(&core, "DELETE FROM audit_log WHERE seq = $1", n).await;
        let v = audit::verify(&core.db).await.unwrap();
        expect_problem(
            &v,
            &format!(
                "audit records after {} are missing (the head says {n})",
                n - 1
            ),
        );
        insert_raw(&core, &last).await;
        assert_eq!(audit::verify(&core.db).await.unwrap(), intact, "restored");

        // Two records swapped.
        swap(&core, 3, 4).await;
        let v = audit::verify(&core.db).await.unwrap();
        expect_problem(
            &v,
            "audit record 3 does not follow record 2 (reordered or replaced)",
        );
        assert_eq!(v.records, 2);
        swap(&core, 3, 4).await;
        assert_eq!(audit::verify(&core.db).await.unwrap(), intact, "restored");

        // The chain goes on after the checks.
        people::service::reveal(&core, &cadre, &p.id, RevealField::Phone, "回访")
            .await
            .unwrap();
        let v = audit::verify(&core.db).await.unwrap();
        assert_eq!((v.records, v.problem), (n + 1, None));
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 8. Demo county
// ---------------------------------------------------------------------------------------

async fn count_where(core: &Core, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&core.db.read)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_county_is_valid_and_deterministic() {
    each_backend(|env| async move {
        let a = env.fresh_core().await;
        let b = env.fresh_core().await;
        let (sa, sb) = tokio::join!(demo::generate(&a, 2000, 7), demo::generate(&b, 2000, 7));
        let (sa, sb) = (sa.unwrap(), sb.unwrap());

        assert_eq!((sa.townships, sa.villages), (12, 180));
        assert!(
            (1900..=2100).contains(&sa.residents),
            "asked for 2000 residents, got {}",
            sa.residents
        );
        assert_eq!(count(&a, "persons").await, sa.residents as i64);
        assert_eq!(count(&a, "households").await, sa.households as i64);
        assert_eq!(
            count_where(&a, "SELECT COUNT(*) FROM areas WHERE level = 'township'").await,
            12
        );
        assert_eq!(
            count_where(&a, "SELECT COUNT(*) FROM areas WHERE level = 'village'").await,
            180
        );
        assert_eq!(
            count_where(
                &a,
                "SELECT CAST(COALESCE(SUM(member_count), 0) AS BIGINT) FROM households"
            )
            .await,
            sa.residents as i64,
            "household member counts add up to the residents"
        );
        assert_eq!(sa.accounts.len(), 11);
        assert_eq!(count(&a, "users").await, 11);
        // A year of cases: every type, every state, some overdue and escalated; the same
        // from the same seed.
        assert_eq!(sa.cases, 2000);
        assert_eq!(count(&a, "cases").await, 2000);
        let distinct = |col: &'static str| {
            let a = a.clone();
            async move {
                count_where(&a, &format!("SELECT COUNT(DISTINCT {col}) FROM cases")).await
            }
        };
        assert_eq!(distinct("type_code").await, count(&a, "case_types").await);
        assert_eq!(distinct("status").await, 11, "every state");
        let now = clock::now_ms();
        assert!(
            count_where(&a, &format!("SELECT COUNT(*) FROM cases WHERE is_open = 1 AND due_at < {now}")).await > 0,
            "some overdue"
        );
        assert!(count_where(&a, "SELECT COUNT(*) FROM cases WHERE escalations > 0").await > 0);
        let shape = |c: Core| async move {
            sqlx::query("SELECT number, type_code, status, area_code FROM cases ORDER BY number")
                .fetch_all(&c.db.read)
                .await
                .unwrap()
                .iter()
                .map(|r| {
                    (1..4)
                        .map(|i| r.try_get::<String, _>(i).unwrap())
                        .collect::<Vec<_>>()
                        .join("|")
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(shape(a.clone()).await, shape(b.clone()).await, "deterministic");
        let roles: HashSet<&str> = sa.accounts.iter().map(|x| x.role.as_str()).collect();
        for r in xiangzhi_core::authz::ALL_ROLES {
            assert!(
                roles.contains(r.as_str()),
                "no demo login for {}",
                r.as_str()
            );
        }
        for acc in &sa.accounts {
            let needs = Role::parse(&acc.role).unwrap().requires_totp();
            assert_eq!(
                acc.totp_secret.is_some(),
                needs,
                "TOTP secret of {}",
                acc.username
            );
        }

        // Every resident has a masked valid-looking ID; a sample is revealed and parsed.
        let today = clock::today();
        let all = people::store::list_people(
            &a.db,
            &AreaFilter::Prefix("139921".into()),
            "",
            0,
            100_000,
            today,
        )
        .await
        .unwrap();
        assert_eq!(all.len(), sa.residents);
        assert!(all
            .iter()
            .all(|p| is_masked_id(&p.id_masked) && p.id_masked.starts_with("139")));
        let county_staff = staff(Role::CountyStaff, demo::COUNTY_CODE, AreaLevel::County);
        let step = (all.len() / 40).max(1);
        for p in all.iter().step_by(step) {
            let id = people::service::reveal(
                &a,
                &county_staff,
                &p.id,
                RevealField::IdNumber,
                "演示数据核验",
            )
            .await
            .unwrap();
            let info = parse_id(&id, today).unwrap_or_else(|e| panic!("invalid demo ID {id}: {e}"));
            assert_eq!(info.address_code, "139921");
            assert_eq!(masked(&id), p.id_masked);
            assert_eq!(info.birth.to_string(), p.birth_date);
            assert_eq!(info.sex.as_str(), p.sex);
        }
        assert_eq!(audit::verify(&a.db).await.unwrap().problem, None);

        // The demo logins work: a village cadre by password, county staff with TOTP.
        let cadre = sa
            .accounts
            .iter()
            .find(|x| x.username == "village_cadre")
            .unwrap();
        let s = accounts::login(&a, &cadre.username, &cadre.password, "", "browser", None)
            .await
            .unwrap();
        let (rows, total) = people::service::list_people(&a, &s.actor, None, "", 1, 20)
            .await
            .unwrap();
        assert!(total > 0);
        assert!(rows
            .iter()
            .all(|p| p.area_code.starts_with(&cadre.area_code)));
        let cs = sa
            .accounts
            .iter()
            .find(|x| x.username == "county_staff")
            .unwrap();
        let secret = base32::decode(
            base32::Alphabet::Rfc4648 { padding: false },
            cs.totp_secret.as_deref().unwrap(),
        )
        .unwrap();
        let code = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret)
            .unwrap()
            .generate_current()
            .unwrap();
        accounts::login(&a, &cs.username, &cs.password, &code, "browser", None)
            .await
            .unwrap();

        // The same seed gives the same county.
        assert_eq!((sb.residents, sb.households), (sa.residents, sa.households));
        let first_50 = |core: Core| async move {
            people::store::list_people(
                &core.db,
                &AreaFilter::Prefix("139921".into()),
                "",
                0,
                50,
                today,
            )
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect::<Vec<_>>()
        };
        let (names_a, names_b) = (first_50(a.clone()).await, first_50(b.clone()).await);
        assert_eq!(names_a.len(), 50);
        assert_eq!(names_a, names_b, "the same seed gave different residents");
        let other = people::store::list_people(
            &b.db,
            &AreaFilter::Prefix("139921".into()),
            "",
            0,
            100_000,
            today,
        )
        .await
        .unwrap();
        let fingerprint = |v: &[people::PersonSummary]| {
            v.iter()
                .map(|p| {
                    format!(
                        "{}|{}|{}|{}|{}|{:?}|{}|{:?}",
                        p.area_code,
                        p.name,
                        p.birth_date,
                        p.sex,
                        p.id_masked,
                        p.grid_code,
                        p.relation,
                        p.phone_masked
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(fingerprint(&all), fingerprint(&other));
    })
    .await;
}

/// Division codes change every year: an empty area is retired (kept, with its validity), an
/// area still in use is not.
#[tokio::test]
async fn areas_retire_only_when_empty() {
    both(|core| async move {
        let db = &core.db;
        let sys = system();
        for (code, name, level, parent) in [
            (COUNTY, "x县", "county", None),
            (TOWNSHIP, "城关镇", "township", Some(COUNTY)),
            (VILLAGE_A, "张家庄村", "village", Some(TOWNSHIP)),
            (GRID_A1, "第1网格", "grid", Some(VILLAGE_A)),
        ] {
            areas::service::create(db, &sys, new_area(code, name, level, parent))
                .await
                .unwrap();
        }
        let cadre = staff(Role::VillageCadre, VILLAGE_A, AreaLevel::Village);
        expect_forbidden(areas::service::retire(db, &cadre, GRID_A1, "2027-01-01").await);
        match areas::service::retire(db, &sys, VILLAGE_A, "2027-01-01").await {
            Err(AppError::Conflict {
                code: "area_in_use",
                ..
            }) => {}
            other => panic!("a village with a grid is in use: {other:?}"),
        }
        match areas::service::retire(db, &sys, GRID_A1, "2027-13-01").await {
            Err(AppError::Validation(f)) => assert_eq!(f[0].field, "date"),
            other => panic!("bad date: {other:?}"),
        }
        areas::service::retire(db, &sys, GRID_A1, "2027-01-01")
            .await
            .unwrap();
        let tree = areas::service::visible_tree(db, &sys).await.unwrap();
        assert!(
            tree.iter().all(|a| a.code != GRID_A1),
            "retired areas leave the tree"
        );
        let all = areas::store::subtree(db, VILLAGE_A, true).await.unwrap();
        let grid = all
            .iter()
            .find(|a| a.code == GRID_A1)
            .expect("history is kept");
        assert_eq!(grid.valid_to.as_deref(), Some("2027-01-01"));
        match areas::service::retire(db, &sys, GRID_A1, "2027-02-01").await {
            Err(AppError::InvalidTransition("area_retired")) => {}
            other => panic!("retiring twice: {other:?}"),
        }
        // The village is empty now and can go too; each retirement is audited.
        areas::service::retire(db, &sys, VILLAGE_A, "2027-01-01")
            .await
            .unwrap();
        let recs = audit::list(
            db,
            &AuditFilter {
                action_prefix: Some("area.retire".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(recs.len(), 2);
    })
    .await;
}

/// Bulk commands close the database when they are done: on SQLite the log is copied back
/// into the database file and emptied (a bulk load no longer leaves gigabytes of log behind),
/// and everything is there when the database is opened again.
#[tokio::test]
async fn closing_keeps_everything_and_empties_the_log() {
    each_backend(|env| async move {
        let core = env.fresh_core().await;
        areas::service::create(&core.db, &system(), new_area(COUNTY, "x县", "county", None))
            .await
            .unwrap();
        core.db.close().await;
        if env.backend == Backend::Sqlite {
            let wal = common::data_file(&core, "xiangzhi.db-wal");
            let len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
            assert_eq!(len, 0, "the log was copied back and emptied at close");
        }
        let again = Core::open(core.data_dir.clone(), Some(&core.db.url), None)
            .await
            .unwrap();
        let areas = areas::store::subtree(&again.db, &COUNTY[..6], true)
            .await
            .unwrap();
        assert_eq!(
            areas.iter().map(|a| a.code.as_str()).collect::<Vec<_>>(),
            vec![COUNTY]
        );
        again.db.close().await;
    })
    .await;
}

/// SQLite: a commit leaves its pages in the log (it waits only for its own log write); the
/// checkpointer copies them into the database file once writing pauses. PostgreSQL has no
/// such log to copy: nothing to check there.
#[tokio::test]
async fn the_checkpointer_copies_the_log_when_writing_pauses() {
    each_backend(|env| async move {
        if env.backend != Backend::Sqlite {
            return;
        }
        let core = env.fresh_core().await;
        let file = common::data_file(&core, "xiangzhi.db");
        let len = || std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        // Let the migrations' pages be copied first.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let before = len();
        sqlx::query("CREATE TABLE checkpoint_probe (b BLOB)")
            .execute(&core.db.write)
            .await
            .unwrap();
        sqlx::query("INSERT INTO checkpoint_probe VALUES (zeroblob(4000000))")
            .execute(&core.db.write)
            .await
            .unwrap();
        assert!(
            len() < before + 3_000_000,
            "the commit copied its pages into the database file itself"
        );
        let mut copied = false;
        for _ in 0..50 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            if len() >= before + 3_000_000 {
                copied = true;
                break;
            }
        }
        assert!(copied, "the log was not copied back within five seconds");
    })
    .await;
}

/// SQLite: while writing goes on without a pause, the checkpointer still copies the log
/// back and the writer starts it over, so the log stays short instead of growing with
/// every commit. PostgreSQL has no such log: nothing to check there.
#[tokio::test]
async fn the_checkpointer_keeps_the_log_short_while_writing_goes_on() {
    each_backend(|env| async move {
        if env.backend != Backend::Sqlite {
            return;
        }
        let core = env.fresh_core().await;
        let len = |f: &str| common::file_len(&core, f);
        sqlx::query("CREATE TABLE busy_probe (t TEXT)")
            .execute(&core.db.write)
            .await
            .unwrap();
        // About 40 MB in 3 s, a commit every 15 ms: the log never stays the same for one of
        // the checkpointer's looks.
        let row = "忙".repeat(170_000);
        let mut longest = 0;
        for _ in 0..200 {
            sqlx::query("INSERT INTO busy_probe VALUES ($1)")
                .bind(row.clone())
                .execute(&core.db.write)
                .await
                .unwrap();
            longest = longest.max(len("xiangzhi.db-wal"));
            tokio::time::sleep(std::time::Duration::from_millis(15)).await;
        }
        assert!(
            len("xiangzhi.db") > 20_000_000,
            "nothing was copied back while writing went on"
        );
        assert!(
            longest < 30_000_000,
            "the log grew to {longest} bytes instead of starting over"
        );
    })
    .await;
}

/// A bulk load ends by folding its log into the database file: right after it the log is
/// empty and the pages are in the database file, so what follows does not share the disk
/// with a background copy. On PostgreSQL it does nothing and succeeds.
#[tokio::test]
async fn folding_the_log_leaves_it_empty_and_the_pages_in_the_database_file() {
    each_backend(|env| async move {
        let core = env.fresh_core().await;
        sqlx::query("CREATE TABLE fold_probe (t TEXT)")
            .execute(&core.db.write)
            .await
            .unwrap();
        sqlx::query("INSERT INTO fold_probe VALUES ($1)")
            .bind("样".repeat(1_400_000))
            .execute(&core.db.write)
            .await
            .unwrap();
        xiangzhi_core::db::fold_log(&core.db).await.unwrap();
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM fold_probe")
            .fetch_one(&core.db.read)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(n, 1);
        if env.backend != Backend::Sqlite {
            return;
        }
        let len = |f: &str| common::file_len(&core, f);
        assert_eq!(len("xiangzhi.db-wal"), 0, "the log was not emptied");
        assert!(
            len("xiangzhi.db") > 4_000_000,
            "the pages are not in the file"
        );
    })
    .await;
}

/// A script's statements run in order and return their rows in order; each statement's
/// `$1…` names its own arguments, also on SQLite, where the whole script is one query.
#[tokio::test]
async fn a_script_runs_its_statements_in_order_with_their_own_arguments() {
    each_backend(|env| async move {
        let core = env.fresh_core().await;
        let mut conn = core.db.write.acquire().await.unwrap();
        let mut s = xiangzhi_core::db::Script::new(core.db.backend);
        s.statement("SELECT $1").bind(1i64);
        s.statement("SELECT $1, $2")
            .bind(2i64)
            .bind("二".to_string());
        s.statement("SELECT $1").bind(3i64);
        assert_eq!(s.len(), 3);
        let rows = s.run(&mut conn).await.unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].try_get::<i64, _>(0).unwrap(), 1);
        assert_eq!(rows[1].try_get::<i64, _>(0).unwrap(), 2);
        assert_eq!(rows[1].try_get::<String, _>(1).unwrap(), "二");
        assert_eq!(rows[2].try_get::<i64, _>(0).unwrap(), 3);
        // A failing statement fails the script.
        let mut s = xiangzhi_core::db::Script::new(core.db.backend);
        s.statement("SELECT $1").bind(1i64);
        s.statement("SELECT * FROM no_such_table");
        assert!(s.run(&mut conn).await.is_err());
    })
    .await;
}
