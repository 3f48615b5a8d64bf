//! Services of 村务公开: the catalogue, drafting (generated from records, or typed by hand
//! and flagged), the supervisors' review, release onto the village's SM3 chain, objections,
//! overdue alerts, the public portal's reads and the chain verification.

use std::sync::atomic::Ordering;

use chrono::Datelike;
use serde::Serialize;
use serde_json::json;

use super::rules::{self, Frequency, Item, Settings};
use super::store::{self, Objection, PublicRow, Publication};
use crate::areas::code::{county_of, AreaLevel};
use crate::audit::{self, Entry};
use crate::authz::{Actor, Permission};
use crate::cases::store::NotificationRow;
use crate::error::{AppError, AppResult};
use crate::{clock, Core};

const DAY_MS: i64 = 86_400_000;

fn refuse(code: &'static str) -> AppError {
    AppError::InvalidTransition(code)
}

fn clean(s: &str) -> String {
    crate::deliberation::rules::clean(s)
}

fn text(field: &str, s: &str, min: usize, max: usize) -> AppResult<String> {
    let s = clean(s);
    let n = s.chars().count();
    if n < min {
        return Err(AppError::field(field, "required"));
    }
    if n > max {
        return Err(AppError::field(field, "too_long"));
    }
    Ok(s)
}

fn item(code: &str, zh: &str, en: &str, f: Frequency, event_days: i64, basis: &str) -> Item {
    Item {
        code: code.into(),
        area_code: String::new(),
        name_zh: zh.into(),
        name_en: en.into(),
        frequency: f,
        event_days,
        due_day: 10,
        template: String::new(),
        legal_basis: basis.into(),
        origin: "county".into(),
    }
}

/// The default county catalogue (R-VA-1; §5.1, §5.2).
pub fn default_catalogue() -> Vec<Item> {
    use Frequency::*;
    vec![
        item(
            "finance",
            "财务收支情况",
            "Income and expenditure",
            Monthly,
            0,
            "〔LRB 组织法 §30；山东省村务公开条例 §12〕",
        ),
        item(
            "resolutions",
            "村民会议、村民代表会议决定事项及实施情况",
            "Resolutions and their implementation",
            Event,
            3,
            "〔LRB 组织法 §30(一)〕",
        ),
        item(
            "levy",
            "一事一议筹资筹劳方案及实施情况",
            "Levy plans and their use",
            Event,
            7,
            "〔LRB 山东省村务公开条例 §7(八)〕",
        ),
        item(
            "relief",
            "救灾救助、补贴补助资金物资的管理使用",
            "Relief, subsidies and donations",
            Quarterly,
            0,
            "〔LRB 组织法 §30(三)〕",
        ),
        item(
            "agri_funds",
            "支农资金、农业补贴、危房改造",
            "Farm support, subsidies, housing repair",
            Quarterly,
            0,
            "〔LRB 山东省村务公开条例 §7〕",
        ),
        item(
            "land",
            "征地补偿、土地承包租赁流转",
            "Land compensation and contracting",
            Event,
            5,
            "〔LRB 山东省村务公开条例 §7〕",
        ),
        item(
            "assistance",
            "低保、特困供养、优抚对象及标准",
            "Minimum living allowance and care recipients",
            Quarterly,
            0,
            "〔LRB 浙江办法 §29；山东 §7〕",
        ),
        item(
            "government_work",
            "村委会协助政府开展工作情况",
            "Work done with the government",
            Quarterly,
            0,
            "〔LRB 组织法 §30(四)〕",
        ),
        item(
            "consultation",
            "民主协商过程与成果采纳反馈",
            "Consultations and their uptake",
            Quarterly,
            0,
            "〔LRB 山东省村务公开条例 §7(九)〕",
        ),
        item(
            "assets",
            "集体资产、资源及其处置",
            "Collective assets and resources",
            Yearly,
            0,
            "〔LRB 山东省村务公开条例 §7〕",
        ),
        item(
            "bylaws",
            "村民自治章程、村规民约",
            "Charter and bylaws",
            Event,
            7,
            "〔LRB 组织法 §27〕",
        ),
    ]
}

/// Put the default catalogue into a county once (idempotent).
pub async fn ensure_catalogue(core: &Core, county: &str) -> AppResult<()> {
    let mut tx = core.db.write.begin().await?;
    ensure_catalogue_tx(&mut tx, county, clock::now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

/// The same inside the caller's transaction; a county that has none gets the defaults.
async fn ensure_catalogue_tx(
    conn: &mut sqlx::AnyConnection,
    county: &str,
    now: i64,
) -> AppResult<()> {
    if !store::items_for(conn, county, county).await?.is_empty() {
        return Ok(());
    }
    for mut it in default_catalogue() {
        it.area_code = county.to_string();
        store::insert_item(conn, county, &it, "system", None, now).await?;
    }
    Ok(())
}

/// The catalogue a village works to: the county's items and its own.
pub async fn catalogue(core: &Core, actor: &Actor, village: &str) -> AppResult<Vec<Item>> {
    if !actor
        .scope(Permission::DeliberationRead)
        .covers_area(village)
    {
        return Err(AppError::NotFound("area"));
    }
    let county = county_of(village);
    let mut c = core.db.read.acquire().await?;
    let items = store::items_for(&mut c, &county, village).await?;
    if items.iter().any(|i| i.origin == "county") {
        return Ok(items);
    }
    // A county that never had a catalogue gets the default one, once.
    drop(c);
    ensure_catalogue(core, &county).await?;
    let mut c = core.db.read.acquire().await?;
    store::items_for(&mut c, &county, village).await
}

/// A new item a village adds (extending, never reducing, the county catalogue).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewItem {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub frequency: String,
    #[serde(default)]
    pub event_days: i64,
    #[serde(default)]
    pub legal_basis: String,
    /// R-VA-2: villagers and representatives who signed the demand, if demanded.
    #[serde(default)]
    pub villagers_signed: i64,
    #[serde(default)]
    pub representatives_signed: i64,
}

pub async fn add_item(
    core: &Core,
    actor: &Actor,
    village: &str,
    n: NewItem,
    now: i64,
) -> AppResult<Item> {
    actor.require(Permission::DisclosureManage, village, None)?;
    let code = clean(&n.code).to_ascii_lowercase();
    if code.is_empty()
        || code.len() > 40
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(AppError::field("code", "invalid"));
    }
    let frequency = Frequency::parse(&n.frequency)
        .ok_or_else(|| AppError::field("frequency", "not_in_list"))?;
    let name_zh = text("name_zh", &n.name_zh, 2, 80)?;
    let name_en = text("name_en", &n.name_en, 0, 120)?;
    if frequency == Frequency::Event && !(1..=30).contains(&n.event_days) {
        return Err(AppError::field("event_days", "invalid"));
    }
    let county = county_of(village);
    let mut tx = core.db.write.begin().await?;
    let (adults, reps) = store::village_counts(&mut tx, village, &adult_cutoff(now)).await?;
    let demanded = n.villagers_signed > 0 || n.representatives_signed > 0;
    if demanded && !rules::demand_met(n.villagers_signed, adults, n.representatives_signed, reps) {
        return Err(AppError::field(
            "villagers_signed",
            "demand_below_threshold",
        ));
    }
    let it = Item {
        code: code.clone(),
        area_code: village.to_string(),
        name_zh,
        name_en,
        frequency,
        event_days: n.event_days,
        due_day: 10,
        template: String::new(),
        legal_basis: clean(&n.legal_basis),
        origin: if demanded { "demanded" } else { "village" }.into(),
    };
    if store::items_for(&mut tx, &county, village)
        .await?
        .iter()
        .any(|x| x.code == code)
    {
        return Err(AppError::field("code", "duplicate"));
    }
    let note = demanded.then(|| {
        format!(
            "{} villagers of {adults}, {} representatives of {reps}",
            n.villagers_signed, n.representatives_signed
        )
    });
    store::insert_item(&mut tx, &county, &it, &actor.username, note.as_deref(), now).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("disclosure.item_add", "disclosure_item", &code)
            .area(village)
            .after(json!(it))
            .detail(note.unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(it)
}

fn adult_cutoff(now: i64) -> String {
    let d = chrono::DateTime::from_timestamp_millis(now)
        .map(|t| t.date_naive())
        .unwrap_or_default();
    d.with_year(d.year() - 18)
        .unwrap_or(d)
        .format("%Y-%m-%d")
        .to_string()
}

async fn check_item(conn: &mut sqlx::AnyConnection, area: &str, code: &str) -> AppResult<Item> {
    ensure_catalogue_tx(conn, &county_of(area), clock::now_ms()).await?;
    store::items_for(conn, &county_of(area), area)
        .await?
        .into_iter()
        .find(|i| i.code == code)
        .ok_or_else(|| AppError::field("item_code", "not_in_list"))
}

/// Draft a publication generated from the records (resolutions, levy plans, ledgers), in
/// the caller's transaction. It goes to the supervisors' review.
#[allow(clippy::too_many_arguments)]
pub async fn draft_generated(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    area: &str,
    item_code: &str,
    period: &str,
    title: &str,
    body: &str,
    source_type: &str,
    source_id: &str,
    now: i64,
) -> AppResult<Publication> {
    draft_tx(
        conn,
        actor,
        area,
        item_code,
        period,
        title,
        body,
        Some((source_type, source_id)),
        now,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn draft_tx(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    area: &str,
    item_code: &str,
    period: &str,
    title: &str,
    body: &str,
    source: Option<(&str, &str)>,
    now: i64,
) -> AppResult<Publication> {
    actor.require(Permission::DisclosureManage, area, None)?;
    let county = county_of(area);
    check_item(conn, area, item_code).await?;
    let title = text("title", title, 2, 200)?;
    let body = text("content", body, 2, 100_000)?;
    for (field, t) in [("title", &title), ("content", &body)] {
        if let Some(kind) = rules::personal_data(t) {
            let code = if kind == "phone" {
                "public_phone"
            } else {
                "public_id_number"
            };
            return Err(AppError::field(field, code));
        }
    }
    let period = clean(period);
    if period.is_empty() || period.len() > 16 {
        return Err(AppError::field("period", "invalid"));
    }
    let settings = store::settings(conn, &county).await?;
    let p = Publication {
        id: clock::new_id(),
        county_code: county.clone(),
        area_code: area.to_string(),
        item_code: item_code.to_string(),
        period,
        title,
        body,
        source_type: source.map_or("manual", |s| s.0).to_string(),
        source_id: source.map(|s| s.1.to_string()),
        manual: source.is_none(),
        status: "in_review".into(),
        review_until: Some(now + settings.review_days * DAY_MS),
        review_note: None,
        reviewed_by: None,
        seq: None,
        released_at: None,
        display_until: None,
        prev_hash: None,
        hash: None,
        created_by: actor.display_name.clone(),
        created_at: now,
        updated_at: now,
    };
    store::insert_publication(conn, &p).await?;
    crate::cases::store::insert_notifications(
        conn,
        &[NotificationRow {
            id: clock::new_id(),
            county_code: county,
            user_id: None,
            role: Some("village_supervisor".into()),
            area_code: Some(area.to_string()),
            case_id: None,
            kind: if p.manual {
                "publication.manual"
            } else {
                "publication.review"
            }
            .into(),
            body: format!(
                "公开稿「{}」待村务监督委员会审核{}",
                p.title,
                if p.manual {
                    "（手工录入，请核对原始记录）"
                } else {
                    ""
                }
            ),
            created_at: now,
        }],
    )
    .await?;
    audit::record(
        conn,
        actor,
        Entry::new("publication.draft", "publication", &p.id)
            .area(area)
            .after(
                json!({"item": p.item_code, "period": p.period, "title": p.title,
                "manual": p.manual, "source": p.source_type}),
            ),
    )
    .await?;
    Ok(p)
}

/// A publication typed by hand (no ledger behind it yet). Flagged to the supervisors (R-VA-5).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewPublication {
    pub area_code: String,
    pub item_code: String,
    pub period: String,
    pub title: String,
    pub body: String,
}

pub async fn draft_manual(
    core: &Core,
    actor: &Actor,
    n: NewPublication,
    now: i64,
) -> AppResult<Publication> {
    actor.require(Permission::DisclosureManage, &n.area_code, None)?;
    let area = crate::cases::catalogue::area(core, &n.area_code).await?;
    if area.level != AreaLevel::Village {
        return Err(AppError::field("area_code", "area_code_level"));
    }
    let mut tx = core.db.write.begin().await?;
    let p = draft_tx(
        &mut tx,
        actor,
        &n.area_code,
        &n.item_code,
        &n.period,
        &n.title,
        &n.body,
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(p)
}

async fn pub_for(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    id: &str,
    perm: Permission,
) -> AppResult<Publication> {
    let p = store::get_publication(conn, id)
        .await?
        .ok_or(AppError::NotFound("publication"))?;
    if !actor
        .scope(Permission::DeliberationRead)
        .covers_area(&p.area_code)
        && !actor.scope(perm).covers_area(&p.area_code)
    {
        return Err(AppError::NotFound("publication"));
    }
    actor.require(perm, &p.area_code, None)?;
    Ok(p)
}

/// Revise a draft (never a released publication).
pub async fn revise(
    core: &Core,
    actor: &Actor,
    id: &str,
    title: &str,
    body: &str,
    now: i64,
) -> AppResult<Publication> {
    let mut tx = core.db.write.begin().await?;
    let mut p = pub_for(&mut tx, actor, id, Permission::DisclosureManage).await?;
    if p.status == "released" {
        return Err(refuse("publication_released"));
    }
    if p.source_id.is_some() {
        // Generated from the records: change the record, not the notice (R-VA-5).
        return Err(refuse("publication_generated"));
    }
    let before = json!({"title": p.title, "body_hash": crate::crypto::sm3_hex(p.body.as_bytes())});
    p.title = text("title", title, 2, 200)?;
    p.body = text("content", body, 2, 100_000)?;
    for (field, t) in [("title", &p.title), ("content", &p.body)] {
        if let Some(kind) = rules::personal_data(t) {
            let code = if kind == "phone" {
                "public_phone"
            } else {
                "public_id_number"
            };
            return Err(AppError::field(field, code));
        }
    }
    let settings = store::settings(&mut tx, &p.county_code).await?;
    p.status = "in_review".into();
    p.review_until = Some(now + settings.review_days * DAY_MS);
    p.review_note = None;
    p.updated_at = now;
    store::update_publication(&mut tx, &p).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("publication.revise", "publication", &p.id)
            .area(&p.area_code)
            .before(before)
            .after(
                json!({"title": p.title, "body_hash": crate::crypto::sm3_hex(p.body.as_bytes())}),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(p)
}

/// The supervisors' review (R-VA-3): approve, or return with their objection.
pub async fn review(
    core: &Core,
    actor: &Actor,
    id: &str,
    approve: bool,
    note: &str,
    now: i64,
) -> AppResult<Publication> {
    let mut tx = core.db.write.begin().await?;
    let mut p = pub_for(&mut tx, actor, id, Permission::DisclosureReview).await?;
    if p.status != "in_review" {
        return Err(refuse(if p.status == "released" {
            "publication_released"
        } else {
            "invalid_transition"
        }));
    }
    let note = clean(note);
    if !approve && note.chars().count() < 2 {
        return Err(AppError::field("note", "reason_required"));
    }
    p.status = if approve { "approved" } else { "returned" }.into();
    p.review_note = Some(note.clone()).filter(|s| !s.is_empty());
    p.reviewed_by = Some(actor.display_name.clone());
    p.updated_at = now;
    store::update_publication(&mut tx, &p).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new(
            if approve {
                "publication.approve"
            } else {
                "publication.return"
            },
            "publication",
            &p.id,
        )
        .area(&p.area_code)
        .detail(note),
    )
    .await?;
    tx.commit().await?;
    Ok(p)
}

/// Release: the publication joins the village's chain and goes public. Nothing in it can
/// change afterwards.
pub async fn release(core: &Core, actor: &Actor, id: &str, now: i64) -> AppResult<Publication> {
    let mut tx = core.db.write.begin().await?;
    let mut p = pub_for(&mut tx, actor, id, Permission::DisclosureManage).await?;
    if p.status == "released" {
        return Err(refuse("publication_released"));
    }
    let settings = store::settings(&mut tx, &p.county_code).await?;
    if !rules::may_release(&p.status, p.review_until, &settings, now) {
        return Err(refuse(if p.status == "returned" {
            "publication_returned"
        } else {
            "review_pending"
        }));
    }
    let (seq, prev) = store::bump_head(&mut tx, &p.area_code, &p.county_code, 1).await?;
    let hash = rules::chain_hash(
        &p.area_code,
        seq,
        &p.item_code,
        &p.period,
        &p.title,
        &p.body,
        now,
        &prev,
    );
    p.status = "released".into();
    p.seq = Some(seq);
    p.released_at = Some(now);
    p.display_until = Some(now + settings.display_days * DAY_MS);
    p.prev_hash = Some(prev);
    p.hash = Some(hash.clone());
    p.updated_at = now;
    store::update_publication(&mut tx, &p).await?;
    store::set_head_hash(&mut tx, &p.area_code, &hash).await?;
    if let Some(src) = &p.source_id {
        crate::deliberation::service::on_published(&mut tx, actor, &p.source_type, src, now)
            .await?;
    }
    audit::record(
        &mut tx,
        actor,
        Entry::new("publication.release", "publication", &p.id)
            .area(&p.area_code)
            .after(json!({"seq": seq, "hash": hash})),
    )
    .await?;
    tx.commit().await?;
    core.disclosure_generation.fetch_add(1, Ordering::Relaxed);
    if p.source_type == "matter_result" {
        if let Some(src) = &p.source_id {
            crate::archive::service::after_transition(core, src, now).await;
        }
    }
    Ok(p)
}

/// A villager objects to a released publication, within the window (§5.3).
pub async fn object(
    core: &Core,
    actor: &Actor,
    id: &str,
    body: &str,
    now: i64,
) -> AppResult<Objection> {
    let body = text("text", body, 2, 2000)?;
    let mut tx = core.db.write.begin().await?;
    let p = store::get_publication(&mut tx, id)
        .await?
        .filter(|p| p.status == "released")
        .ok_or(AppError::NotFound("publication"))?;
    let own_village = actor
        .scope(Permission::SelfService)
        .covers_area(&p.area_code);
    if !own_village
        && !actor
            .scope(Permission::DisclosureManage)
            .covers_area(&p.area_code)
    {
        return Err(AppError::Forbidden);
    }
    let settings = store::settings(&mut tx, &p.county_code).await?;
    if !rules::objection_open(p.released_at.unwrap_or(0), &settings, now) {
        return Err(refuse("objection_window_closed"));
    }
    let o = Objection {
        id: clock::new_id(),
        publication_id: p.id.clone(),
        county_code: p.county_code.clone(),
        area_code: p.area_code.clone(),
        author_user_id: Some(actor.user_id.clone()).filter(|s| !s.is_empty()),
        author_name: actor.display_name.clone(),
        text: body,
        created_at: now,
        answer_due: now + settings.answer_days * DAY_MS,
        answer: None,
        answered_by: None,
        answered_at: None,
        escalated_at: None,
    };
    store::insert_objection(&mut tx, &o).await?;
    crate::cases::store::insert_notifications(
        &mut tx,
        &[NotificationRow {
            id: clock::new_id(),
            county_code: p.county_code.clone(),
            user_id: None,
            role: Some("village_cadre".into()),
            area_code: Some(p.area_code.clone()),
            case_id: None,
            kind: "objection.new".into(),
            body: format!(
                "村民对「{}」提出异议，请在{}日内答复。",
                p.title, settings.answer_days
            ),
            created_at: now,
        }],
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("objection.create", "objection", &o.id)
            .area(&p.area_code)
            .detail(format!("publication {}", p.id)),
    )
    .await?;
    tx.commit().await?;
    core.disclosure_generation.fetch_add(1, Ordering::Relaxed);
    Ok(o)
}

pub async fn answer(
    core: &Core,
    actor: &Actor,
    objection_id: &str,
    body: &str,
    now: i64,
) -> AppResult<()> {
    let body = text("answer", body, 2, 5000)?;
    let mut tx = core.db.write.begin().await?;
    let o = store::get_objection(&mut tx, objection_id)
        .await?
        .ok_or(AppError::NotFound("objection"))?;
    actor.require(Permission::DisclosureManage, &o.area_code, None)?;
    if store::answer_objection(&mut tx, &o.id, &body, &actor.display_name, now).await? == 0 {
        return Err(refuse("objection_answered"));
    }
    audit::record(
        &mut tx,
        actor,
        Entry::new("objection.answer", "objection", &o.id).area(&o.area_code),
    )
    .await?;
    tx.commit().await?;
    core.disclosure_generation.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// Sweep: objections not answered in time go to the township (§5.3, 山东 §17).
pub async fn escalate_objections(core: &Core, now: i64) -> AppResult<usize> {
    let mut tx = core.db.write.begin().await?;
    let due = store::overdue_objections(&mut tx, now).await?;
    let sys = Actor::system("sweeper");
    for o in &due {
        store::mark_escalated(&mut tx, &o.id, now).await?;
        crate::cases::store::insert_notifications(
            &mut tx,
            &[NotificationRow {
                id: clock::new_id(),
                county_code: o.county_code.clone(),
                user_id: None,
                role: Some("township_staff".into()),
                area_code: Some(format!("{}000", o.area_code.get(..9).unwrap_or(""))),
                case_id: None,
                kind: "objection.escalated".into(),
                body: "村务公开异议逾期未答复，已转乡镇处理。".into(),
                created_at: now,
            }],
        )
        .await?;
        audit::record(
            &mut tx,
            &sys,
            Entry::new("objection.escalate", "objection", &o.id).area(&o.area_code),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(due.len())
}

/// A publication due and not released.
#[derive(Debug, Clone, Serialize)]
pub struct Overdue {
    pub area_code: String,
    pub village: String,
    pub item_code: String,
    pub item_name: String,
    pub period: String,
    pub days_late: i64,
    /// Past the township threshold: the township is alerted too.
    pub to_township: bool,
}

/// Periodic publications past their due date in the actor's areas (R-VA-FREQ).
pub async fn overdue(core: &Core, actor: &Actor, now: i64) -> AppResult<Vec<Overdue>> {
    let scope = actor.require_any(Permission::DeliberationRead)?;
    let mut counties = crate::areas::service::counties_in(&core.db, &scope.prefixes).await?;
    counties.sort();
    counties.dedup();
    let mut out = Vec::new();
    let mut c = core.db.read.acquire().await?;
    for county in counties {
        let settings = store::settings(&mut c, &county).await?;
        let items = store::all_items(&mut c, &county).await?;
        let dues: Vec<(Item, String, i64)> = items
            .into_iter()
            .filter_map(|i| rules::last_due(&i, now).map(|(p, d)| (i, p, d)))
            .filter(|(_, _, d)| now > *d)
            .collect();
        let mut periods: Vec<String> = dues.iter().map(|(_, p, _)| p.clone()).collect();
        periods.sort();
        periods.dedup();
        let done = store::released_periods(&mut c, &county, &periods).await?;
        let done: std::collections::HashSet<(String, String, String)> = done.into_iter().collect();
        for (code, name) in crate::areas::store::villages_of(&core.db, &county).await? {
            if !scope.covers_area(&code) {
                continue;
            }
            for (it, period, due) in &dues {
                if it.area_code != county && it.area_code != code {
                    continue;
                }
                if done.contains(&(code.clone(), it.code.clone(), period.clone())) {
                    continue;
                }
                let late = rules::days_late(*due, now);
                out.push(Overdue {
                    area_code: code.clone(),
                    village: name.clone(),
                    item_code: it.code.clone(),
                    item_name: it.name_zh.clone(),
                    period: period.clone(),
                    days_late: late,
                    to_township: late > settings.township_after_days,
                });
            }
        }
    }
    out.sort_by_key(|o| std::cmp::Reverse(o.days_late));
    Ok(out)
}

/// Sweep: each overdue publication alerts the village's cadres once, and the township once
/// it is past the county's threshold (R-VA-FREQ). Returns how many alerts were sent.
pub async fn notify_overdue(core: &Core, now: i64) -> AppResult<usize> {
    let sys = Actor::system("sweeper");
    let late = overdue(core, &sys, now).await?;
    let mut tx = core.db.write.begin().await?;
    let mut rows = Vec::new();
    for o in &late {
        let body = format!(
            "{}「{}」{}期已逾期{}天未公开。",
            o.village,
            o.item_name,
            o.period,
            o.days_late.max(1)
        );
        let key = format!("{}|{}|{}", o.area_code, o.item_code, o.period);
        let mut targets = vec![("publication.overdue", "village_cadre", o.area_code.clone())];
        if o.to_township {
            targets.push((
                "publication.overdue_township",
                "township_staff",
                format!("{}000", o.area_code.get(..9).unwrap_or("")),
            ));
        }
        for (kind, role, area) in targets {
            // One alert per item and period: the key is kept at the end of the body.
            let body = format!("{body}（{key}）");
            let sent_before = store::notified(&mut tx, kind, &area, &body).await?;
            if sent_before {
                continue;
            }
            rows.push(NotificationRow {
                id: clock::new_id(),
                county_code: county_of(&o.area_code),
                user_id: None,
                role: Some(role.into()),
                area_code: Some(area),
                case_id: None,
                kind: kind.into(),
                body,
                created_at: now,
            });
        }
    }
    crate::cases::store::insert_notifications(&mut tx, &rows).await?;
    tx.commit().await?;
    Ok(rows.len())
}

/// Staff list of publications in the actor's areas.
pub async fn list(
    core: &Core,
    actor: &Actor,
    status: &str,
    limit: i64,
) -> AppResult<Vec<Publication>> {
    let scope = actor.require_any(Permission::DeliberationRead)?;
    let mut c = core.db.read.acquire().await?;
    let limit = limit.clamp(1, 500);
    let mut out = Vec::new();
    for p in &scope.prefixes {
        out.extend(store::list(&mut c, p, status, limit).await?);
    }
    Ok(crate::db::merge_newest(
        out,
        |p| p.updated_at,
        |p| p.id.as_str(),
        limit,
    ))
}

/// One page of publications in the actor's areas (latest change first), optionally narrowed
/// to an area inside them and to a status.
pub async fn page(
    core: &Core,
    actor: &Actor,
    status: &str,
    area: Option<&str>,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Publication>, bool)> {
    let scope = actor.require_any(Permission::DeliberationRead)?;
    let prefixes = scope.narrowed(area)?;
    let (fetch, skip) = crate::db::page_window(page, per_page);
    let mut c = core.db.read.acquire().await?;
    let mut out = Vec::new();
    for p in &prefixes {
        out.extend(store::list(&mut c, p, status, fetch).await?);
    }
    let rows = crate::db::merge_newest(out, |p| p.updated_at, |p| p.id.as_str(), fetch);
    Ok(crate::db::cut_page(rows, skip, per_page))
}

/// A publication with its objections, for staff.
pub async fn get(core: &Core, actor: &Actor, id: &str) -> AppResult<(Publication, Vec<Objection>)> {
    let mut c = core.db.read.acquire().await?;
    let p = store::get_publication(&mut c, id)
        .await?
        .ok_or(AppError::NotFound("publication"))?;
    if !actor
        .scope(Permission::DeliberationRead)
        .covers_area(&p.area_code)
    {
        return Err(AppError::NotFound("publication"));
    }
    let o = store::objections_of(&mut c, &p.id).await?;
    Ok((p, o))
}

pub async fn save_settings(core: &Core, actor: &Actor, county: &str, s: Settings) -> AppResult<()> {
    actor.require(Permission::DeliberationOversee, county, None)?;
    if s.review_days < 1
        || s.objection_days < 1
        || s.answer_days < 1
        || s.display_days < 5
        || s.township_after_days < 1
        || s.posting_days < 1
    {
        return Err(AppError::field("settings", "invalid"));
    }
    let mut tx = core.db.write.begin().await?;
    let before = store::settings(&mut tx, county).await?;
    store::save_settings(&mut tx, county, &s, clock::now_ms()).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("disclosure.settings", "county", county)
            .area(county)
            .before(json!(before))
            .after(json!(s)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- the public portal

/// What the public page of a village shows. No personal data: publications carry none
/// (checked at drafting), objections are shown as counts and answers without names.
#[derive(Debug, Clone, Serialize)]
pub struct PublicVillage {
    pub code: String,
    pub name: String,
    pub township: String,
    pub county: String,
    pub year: i32,
    /// (year, number of publications), newest first.
    pub years: Vec<(i32, usize)>,
    pub publications: Vec<PublicRow>,
    /// (publication id, objections, unanswered).
    pub objections: Vec<(String, i64, i64)>,
    /// Item code → Chinese and English names.
    pub items: Vec<(String, String, String)>,
}

/// The public page of a village for `year` (default: the latest year with publications).
pub async fn public_village(
    core: &Core,
    code: &str,
    year: Option<i32>,
) -> AppResult<PublicVillage> {
    let area = crate::cases::catalogue::area(core, code).await?;
    if area.level != AreaLevel::Village {
        return Err(AppError::NotFound("area"));
    }
    let township =
        crate::cases::catalogue::area(core, &format!("{}000", code.get(..9).unwrap_or(""))).await?;
    let county = crate::cases::catalogue::area(core, &county_of(code)).await?;
    let mut c = core.db.read.acquire().await?;
    let mut years: Vec<(i32, usize)> = Vec::new();
    for t in store::released_times(&mut c, code).await? {
        let y = clock::year_of(t);
        match years.iter_mut().find(|(yy, _)| *yy == y) {
            Some(e) => e.1 += 1,
            None => years.push((y, 1)),
        }
    }
    years.sort_by_key(|y| std::cmp::Reverse(y.0));
    let year = year
        .or_else(|| years.first().map(|y| y.0))
        .unwrap_or_else(|| clock::year_of(clock::now_ms()));
    let start = chrono::NaiveDate::from_ymd_opt(year, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis() - 8 * 3_600_000)
        .unwrap_or(0);
    let end = chrono::NaiveDate::from_ymd_opt(year + 1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis() - 8 * 3_600_000)
        .unwrap_or(0);
    let publications = store::released_between(&mut c, code, start, end, 2000).await?;
    let items = store::items_for(&mut c, &county_of(code), code)
        .await?
        .into_iter()
        .map(|i| (i.code, i.name_zh, i.name_en))
        .collect();
    Ok(PublicVillage {
        code: code.to_string(),
        name: area.name,
        township: township.name,
        county: county.name,
        year,
        years,
        objections: store::objection_counts(&mut c, code).await?,
        publications,
        items,
    })
}

/// A released publication for the public, with the answers to objections (no names).
#[derive(Debug, Clone, Serialize)]
pub struct PublicCopy {
    pub publication: Publication,
    pub village: String,
    pub township: String,
    pub item_name: String,
    pub item_name_en: String,
    /// (objection text, answer) — no authors.
    pub objections: Vec<(String, Option<String>)>,
    pub objection_open: bool,
}

pub async fn public_copy(core: &Core, id: &str, now: i64) -> AppResult<PublicCopy> {
    let mut c = core.db.read.acquire().await?;
    let p = store::get_publication(&mut c, id)
        .await?
        .filter(|p| p.status == "released")
        .ok_or(AppError::NotFound("publication"))?;
    let settings = store::settings(&mut c, &p.county_code).await?;
    let item = store::items_for(&mut c, &p.county_code, &p.area_code)
        .await?
        .into_iter()
        .find(|i| i.code == p.item_code);
    let objections = store::objections_of(&mut c, &p.id)
        .await?
        .into_iter()
        .map(|o| (o.text, o.answer))
        .collect();
    drop(c);
    let village = crate::cases::catalogue::area(core, &p.area_code).await?;
    let township =
        crate::cases::catalogue::area(core, &format!("{}000", p.area_code.get(..9).unwrap_or("")))
            .await?;
    Ok(PublicCopy {
        objection_open: rules::objection_open(p.released_at.unwrap_or(0), &settings, now),
        village: village.name,
        township: township.name,
        item_name: item.as_ref().map(|i| i.name_zh.clone()).unwrap_or_default(),
        item_name_en: item.map(|i| i.name_en).unwrap_or_default(),
        objections,
        publication: p,
    })
}

/// The result of re-checking one publication.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Recheck {
    /// The SM3 recomputed now from the stored text.
    pub computed: String,
    /// The digest recorded at release.
    pub recorded: String,
    /// The recomputed digest equals the recorded one.
    pub unaltered: bool,
    /// The previous publication in the chain still ends in this one's `prev`.
    pub linked: bool,
    /// The next publication, if any, still points at this one.
    pub followed: bool,
}

pub async fn recheck(core: &Core, id: &str) -> AppResult<Recheck> {
    let mut c = core.db.read.acquire().await?;
    let p = store::get_publication(&mut c, id)
        .await?
        .filter(|p| p.status == "released")
        .ok_or(AppError::NotFound("publication"))?;
    let seq = p.seq.unwrap_or(0);
    let prev = p.prev_hash.clone().unwrap_or_default();
    let computed = rules::chain_hash(
        &p.area_code,
        seq,
        &p.item_code,
        &p.period,
        &p.title,
        &p.body,
        p.released_at.unwrap_or(0),
        &prev,
    );
    let recorded = p.hash.clone().unwrap_or_default();
    let linked = if seq <= 1 {
        prev == rules::GENESIS
    } else {
        store::at_seq(&mut c, &p.area_code, seq - 1)
            .await?
            .and_then(|x| x.hash)
            .is_some_and(|h| h == prev)
    };
    let followed = match store::at_seq(&mut c, &p.area_code, seq + 1).await? {
        Some(n) => n.prev_hash.as_deref() == Some(recorded.as_str()),
        None => true,
    };
    Ok(Recheck {
        unaltered: computed == recorded,
        computed,
        recorded,
        linked,
        followed,
    })
}

/// The canonical text of a released publication (what its digest covers).
pub async fn canonical_text(core: &Core, id: &str) -> AppResult<String> {
    let mut c = core.db.read.acquire().await?;
    let p = store::get_publication(&mut c, id)
        .await?
        .filter(|p| p.status == "released")
        .ok_or(AppError::NotFound("publication"))?;
    Ok(rules::canonical(
        &p.area_code,
        p.seq.unwrap_or(0),
        &p.item_code,
        &p.period,
        &p.title,
        &p.body,
        p.released_at.unwrap_or(0),
        p.prev_hash.as_deref().unwrap_or(""),
    ))
}

/// The outcome of walking every village's chain.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChainReport {
    pub publications: i64,
    pub villages: i64,
    pub problem: Option<String>,
}

/// Walk every village's chain in order and recompute every digest (`xiangzhi verify`).
pub async fn verify_chains(core: &Core) -> anyhow::Result<ChainReport> {
    let heads = store::heads(&core.db).await?;
    let mut count = 0i64;
    let mut villages = 0i64;
    let (mut area, mut seq) = (String::new(), 0i64);
    let mut prev = rules::GENESIS.to_string();
    let mut expected = 1i64;
    let head_iter = heads.iter();
    let check_head =
        |area: &str, seq: i64, hash: &str, heads: &[(String, i64, String)]| -> Option<String> {
            match heads.iter().find(|(a, _, _)| a == area) {
                Some((_, s, h)) if *s == seq && h == hash => None,
                Some((_, s, _)) => Some(format!(
                    "village {area}: publications after {seq} are missing (the head says {s})"
                )),
                None => Some(format!("village {area}: chain has no head")),
            }
        };
    loop {
        let page = store::chain_page(&core.db, &area, seq, 20_000).await?;
        if page.is_empty() {
            break;
        }
        for r in &page {
            if r.area_code != area {
                if !area.is_empty() {
                    if let Some(p) = check_head(&area, expected - 1, &prev, &heads) {
                        return Ok(ChainReport {
                            publications: count,
                            villages,
                            problem: Some(p),
                        });
                    }
                }
                area = r.area_code.clone();
                villages += 1;
                prev = rules::GENESIS.to_string();
                expected = 1;
            }
            if r.seq != expected {
                return Ok(ChainReport {
                    publications: count,
                    villages,
                    problem: Some(format!("village {area}: publication {expected} is missing")),
                });
            }
            if r.prev_hash != prev {
                return Ok(ChainReport {
                    publications: count,
                    villages,
                    problem: Some(format!(
                        "village {area}: publication {} does not follow {} (reordered or replaced)",
                        r.seq,
                        r.seq - 1
                    )),
                });
            }
            let h = rules::chain_hash(
                &r.area_code,
                r.seq,
                &r.item_code,
                &r.period,
                &r.title,
                &r.body,
                r.released_at,
                &r.prev_hash,
            );
            if h != r.hash {
                return Ok(ChainReport {
                    publications: count,
                    villages,
                    problem: Some(format!("village {area}: publication {} was altered", r.seq)),
                });
            }
            prev = h;
            expected += 1;
            count += 1;
            seq = r.seq;
        }
    }
    if !area.is_empty() {
        if let Some(p) = check_head(&area, expected - 1, &prev, &heads) {
            return Ok(ChainReport {
                publications: count,
                villages,
                problem: Some(p),
            });
        }
    }
    // A head whose village has no released publication at all.
    for (a, s, _) in head_iter {
        if *s > 0
            && store::chain_page(&core.db, a, 0, 1)
                .await?
                .first()
                .is_none_or(|r| r.area_code != *a)
        {
            return Ok(ChainReport {
                publications: count,
                villages,
                problem: Some(format!("village {a}: all {s} publications are missing")),
            });
        }
    }
    Ok(ChainReport {
        publications: count,
        villages,
        problem: None,
    })
}
