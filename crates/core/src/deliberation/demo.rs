//! A year of the demo county's village decisions and disclosures: publications in every
//! village (some overdue, one with an open objection), matters taken through the six steps
//! with real meetings (one stopped at step 3, one on the emergency path, one whose
//! resolution notice is late), representatives' assemblies in most villages, a levy plan,
//! suggestions answered and pending, and bylaws with one flagged clause.
//!
//! Meetings and matters go through the same service calls people use, at past times; the
//! older publication history is written in bulk with its chain hashes computed the same way.

use chrono::{Datelike, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::model::*;
use super::service::{self as svc, MatterAction, NewMatter, NewMeeting, NewVote};
use crate::areas::code::AreaLevel;
use crate::authz::{Actor, Grant, Role};
use crate::disclosure::{rules as drules, service as dsvc, store as dstore};
use crate::{clock, Core};

const DAY: i64 = 86_400_000;

fn actor(role: Role, code: &str, level: AreaLevel, name: &str) -> Actor {
    Actor {
        user_id: String::new(),
        username: format!("demo-{}", role.as_str()),
        display_name: name.to_string(),
        person_id: None,
        grants: vec![Grant {
            role,
            area_code: code.to_string(),
            area_level: level,
            area_name: code.to_string(),
        }],
        source: Some("demo".into()),
        on_behalf_of: None,
    }
}

/// What the demo wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct Seeded {
    pub publications: usize,
    pub matters: usize,
    pub meetings: usize,
}

fn ms_of(d: NaiveDate, hour: u32) -> i64 {
    d.and_hms_opt(hour, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or(0)
}

fn yuan(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// The bodies of the periodic publications, from the village's (synthetic) books.
fn finance_body(rng: &mut StdRng, period: &str) -> String {
    let incomes = [
        ("上级转移支付", rng.gen_range(20_000 * 100..80_000 * 100)),
        ("集体经营收入", rng.gen_range(0..60_000 * 100)),
        ("资源发包收入", rng.gen_range(0..20_000 * 100)),
    ];
    let spend = [
        ("村干部误工补贴", rng.gen_range(8_000 * 100..15_000 * 100)),
        ("保洁与垃圾清运", rng.gen_range(2_000 * 100..6_000 * 100)),
        ("办公及水电", rng.gen_range(500 * 100..2_000 * 100)),
        ("公益设施维护", rng.gen_range(0..12_000 * 100)),
    ];
    let ti: i64 = incomes.iter().map(|x| x.1).sum();
    let ts: i64 = spend.iter().map(|x| x.1).sum();
    let mut s = format!("期间：{period}\n一、收入合计 {} 元\n", yuan(ti));
    for (n, v) in incomes {
        s.push_str(&format!("  {n} {} 元\n", yuan(v)));
    }
    s.push_str(&format!("二、支出合计 {} 元\n", yuan(ts)));
    for (n, v) in spend {
        s.push_str(&format!("  {n} {} 元\n", yuan(v)));
    }
    s.push_str(&format!(
        "三、本期结余 {} 元\n以上收支凭证已经村务监督委员会审核。",
        yuan(ti - ts)
    ));
    s
}

fn quarterly_body(rng: &mut StdRng, item: &str, period: &str) -> (String, String) {
    match item {
        "relief" => (
            format!("{period} 救灾救助资金物资使用情况"),
            format!(
                "本季度收到救灾救助资金 {} 元，发放 {} 户；棉被 {} 床。发放名单存村委会备查。",
                yuan(rng.gen_range(5_000 * 100..30_000 * 100)),
                rng.gen_range(5..30),
                rng.gen_range(0..40)
            ),
        ),
        "agri_funds" => (
            format!("{period} 惠农补贴发放情况"),
            format!(
                "耕地地力保护补贴 {} 元，涉及 {} 户；危房改造 {} 户。",
                yuan(rng.gen_range(50_000 * 100..200_000 * 100)),
                rng.gen_range(100..400),
                rng.gen_range(0..3)
            ),
        ),
        "assistance" => (
            format!("{period} 低保、特困供养及优抚对象公示"),
            format!(
                "低保 {} 户 {} 人，月保障金合计 {} 元；特困供养 {} 人；优抚对象 {} 人。\n（按个人信息保护要求，网上只公开户数、人数和金额。）",
                rng.gen_range(8..30),
                rng.gen_range(15..60),
                yuan(rng.gen_range(6_000 * 100..25_000 * 100)),
                rng.gen_range(1..8),
                rng.gen_range(0..6)
            ),
        ),
        "government_work" => (
            format!("{period} 协助政府开展工作情况"),
            "协助开展城乡居民医保征缴、防汛检查、人口信息核查，村委会按要求完成。".to_string(),
        ),
        _ => (
            format!("{period} 民主协商及村民建议办理情况"),
            format!(
                "本季度收到村民说事建议 {} 条，已答复 {} 条，采纳 {} 条。",
                rng.gen_range(3..12),
                rng.gen_range(2..10),
                rng.gen_range(0..4)
            ),
        ),
    }
}

/// Write `months` of periodic publications for each village, chained (the demo writes a
/// year; the portal benchmark five).
pub async fn publications(
    core: &Core,
    county: &str,
    villages: &[(String, String)],
    now: i64,
    seed: u64,
    months: u32,
) -> anyhow::Result<usize> {
    let today = chrono::DateTime::from_timestamp_millis(now)
        .map(|t| t.date_naive())
        .unwrap_or_default();
    let mut total = 0;
    // One photo of a notice board serves every demo posting of the county.
    let (photo_key, photo) = demo_board_photo(core, county).await?;
    let mut tx = core.db.write.begin().await?;
    for (vi, (code, _name)) in villages.iter().enumerate() {
        let mut rng = StdRng::seed_from_u64(seed ^ (vi as u64).wrapping_mul(0x9e37_79b9));
        // (released_at, item, period, title, body)
        let mut plan: Vec<(i64, &str, String, String, String)> = Vec::new();
        for back in 1..=months {
            let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
            let d = first - chrono::Months::new(back);
            let period = format!("{}-{:02}", d.year(), d.month());
            // Every ninth village has not yet published last month's finances.
            if back == 1 && vi % 9 == 4 {
                continue;
            }
            let due = first - chrono::Months::new(back - 1);
            let day = rng.gen_range(3..=9);
            let at = ms_of(due.with_day(day).unwrap_or(due), 1 + rng.gen_range(0..8));
            if at >= now {
                continue;
            }
            plan.push((
                at,
                "finance",
                period.clone(),
                format!("{}年{}月财务收支公开", d.year(), d.month()),
                finance_body(&mut rng, &period),
            ));
            if d.month().is_multiple_of(3) {
                let q = format!("{}-Q{}", d.year(), d.month() / 3);
                for item in [
                    "relief",
                    "agri_funds",
                    "assistance",
                    "government_work",
                    "consultation",
                ] {
                    if back == 1 && vi % 13 == 7 && item == "assistance" {
                        continue;
                    }
                    let (title, body) = quarterly_body(&mut rng, item, &q);
                    plan.push((
                        at + i64::from(rng.gen_range(1..50u32)) * 60_000,
                        item,
                        q.clone(),
                        title,
                        body,
                    ));
                }
            }
        }
        for back_years in 1..=months.div_ceil(12) {
            let last_year = today.year() - i32::try_from(back_years).unwrap_or(1);
            plan.push((
                ms_of(
                    NaiveDate::from_ymd_opt(last_year + 1, 1, 8).unwrap_or(today),
                    2,
                ),
                "assets",
                last_year.to_string(),
                format!("{last_year}年度集体资产、资源情况"),
                format!(
                    "集体资产原值 {} 元，其中经营性资产 {} 元；集体土地发包 {} 亩，年收入 {} 元。",
                    yuan(rng.gen_range(500_000 * 100..5_000_000 * 100)),
                    yuan(rng.gen_range(100_000 * 100..1_000_000 * 100)),
                    rng.gen_range(50..900),
                    yuan(rng.gen_range(10_000 * 100..200_000 * 100))
                ),
            ));
        }
        plan.retain(|p| p.0 < now);
        plan.sort_by_key(|p| p.0);
        let mut prev = drules::GENESIS.to_string();
        let mut rows = Vec::with_capacity(plan.len());
        for (i, (at, item, period, title, body)) in plan.into_iter().enumerate() {
            let seq = i as i64 + 1;
            let hash = drules::chain_hash(code, seq, item, &period, &title, &body, at, &prev);
            rows.push(dstore::Publication {
                id: clock::new_id(),
                county_code: county.to_string(),
                area_code: code.clone(),
                item_code: item.to_string(),
                period,
                title,
                body,
                source_type: "manual".into(),
                source_id: None,
                manual: true,
                status: "released".into(),
                review_until: Some(at - 2 * DAY),
                review_note: None,
                reviewed_by: Some("村务监督委员会".into()),
                seq: Some(seq),
                released_at: Some(at),
                display_until: Some(at + 30 * DAY),
                prev_hash: Some(prev.clone()),
                hash: Some(hash.clone()),
                created_by: "村委会".into(),
                created_at: at - 7 * DAY,
                updated_at: at,
            });
            prev = hash;
        }
        dstore::insert_publications(&mut tx, &rows).await?;
        // Posted on the board a few hours to two days after release; every seventh village
        // has not recorded the photos of the last six weeks (the township's unposted list).
        let postings: Vec<dstore::Posting> = rows
            .iter()
            .filter_map(|p| {
                let at = p.released_at?;
                if vi % 7 == 3 && at > now - 42 * DAY {
                    return None;
                }
                let posted = (at + i64::from(rng.gen_range(2..48u32)) * 3_600_000).min(now);
                Some(dstore::Posting {
                    id: clock::new_id(),
                    publication_id: p.id.clone(),
                    county_code: county.to_string(),
                    area_code: code.clone(),
                    posted_at: posted,
                    place: "村委会公开栏".into(),
                    lat: None,
                    lon: None,
                    photo_digest: photo.0.clone(),
                    photo_size: photo.1,
                    photo_width: photo.2,
                    photo_height: photo.3,
                    recorded_by: "村委会".into(),
                    recorded_at: posted,
                    removed_at: None,
                    removed_by: None,
                    removal_note: None,
                })
            })
            .collect();
        dstore::insert_postings(&mut tx, &postings, &photo_key).await?;
        dstore::put_head(&mut tx, code, county, rows.len() as i64, &prev).await?;
        total += rows.len();
    }
    tx.commit().await?;
    Ok(total)
}

/// A small photo of a notice board in the blob store for the demo postings: (key, (SM3,
/// size, width, height)).
async fn demo_board_photo(
    core: &Core,
    county: &str,
) -> anyhow::Result<(String, (String, i64, i64, i64))> {
    use crate::cases::attachments;
    let img = image::RgbImage::from_fn(320, 240, |x, y| {
        if (40..280).contains(&x) && (30..210).contains(&y) {
            image::Rgb([245, 245, 235])
        } else {
            image::Rgb([150, 40, 40])
        }
    });
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    let (jpeg, w, h) = attachments::downscale(&png)?;
    let key = format!("{}/posting-demo", county.get(..6).unwrap_or("000000"));
    let meta = (
        crate::crypto::sm3_hex(&jpeg),
        i64::try_from(jpeg.len()).unwrap_or(0),
        i64::from(w),
        i64::from(h),
    );
    core.blobs.put(&key, jpeg).await?;
    Ok((key, meta))
}

/// Hold a meeting of `body` in `village` at `at` with `present` of the roster present and
/// `yes` in favour (counted tally).
#[allow(clippy::too_many_arguments)]
async fn meeting(
    core: &Core,
    cadre: &Actor,
    village: &str,
    body: Body,
    matter: Option<&str>,
    question: &str,
    at: i64,
    share_present: (usize, usize),
    share_yes: (usize, usize),
) -> anyhow::Result<Vote> {
    let m = svc::create_meeting(
        core,
        cadre,
        NewMeeting {
            area_code: village.into(),
            kind: body.as_str().into(),
            title: format!(
                "{}（{}）",
                svc::body_zh(body),
                clock::format_ms(at).get(..10).unwrap_or("")
            ),
            place: "村委会会议室".into(),
            host: "村党组织书记".into(),
            scheduled_at: at,
            agenda: vec![NewVote {
                matter_id: matter.map(str::to_string),
                question: question.into(),
                secret: matches!(body, Body::VillagerAssembly | Body::RepresentativesAssembly),
            }],
        },
        at - 12 * DAY,
    )
    .await?;
    svc::convene(core, cadre, &m.id, at - 11 * DAY).await?;
    let view = svc::get_meeting(core, cadre, &m.id).await?;
    let n = view.roster.len();
    let present = (n * share_present.0).div_ceil(share_present.1).min(n);
    let sheet: Vec<svc::AttendanceLine> = view
        .roster
        .iter()
        .take(present)
        .map(|r| (r.person_id.clone(), Some(Presence::Present), None))
        .collect();
    svc::record_attendance(core, cadre, &m.id, &sheet, "").await?;
    let yes = (present * share_yes.0).div_ceil(share_yes.1).min(present);
    svc::enter_tally(
        core,
        cadre,
        &view.votes[0].id,
        yes as i64,
        (present - yes) as i64,
        0,
    )
    .await?;
    let (_, votes) =
        svc::close(core, cadre, &m.id, "会议按议程进行，表决结果当场宣布。", at).await?;
    votes
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("meeting without a vote"))
}

/// Seed the county's decisions and disclosures.
pub async fn seed(
    core: &Core,
    county: &str,
    villages: &[(String, String)],
    seed: u64,
) -> anyhow::Result<Seeded> {
    let now = clock::now_ms();
    svc::ensure_county(core, county).await?;
    dsvc::ensure_catalogue(core, county).await?;
    let sys = Actor::system("demo");
    // A provincial rule stricter than the national one for levy plans (R-YSYY-3).
    svc::add_rule(
        core,
        &sys,
        county,
        VoteRule {
            id: format!("province.{}.levy", county.get(..2).unwrap_or("")),
            scope: RuleScope::Province,
            area_prefix: county.get(..2).unwrap_or("").into(),
            body: Body::RepresentativesAssembly,
            applies_to: AppliesTo::MatterType("public_welfare_levy".into()),
            quorum: vec![Ratio::new(4, 5, Base::Members, true)],
            pass: Ratio::new(2, 3, Base::Members, true),
            label_zh: "本省一事一议办法：村民代表会议须五分之四以上代表到会，经全体代表三分之二以上同意".into(),
            label_en: "Provincial levy rule: four fifths of representatives present, two thirds of all in favour".into(),
            source: "〔P http://www.fymate.net/html/text/lar/168188/16818856_1.html〕".into(),
        },
    )
    .await?;
    let mut out = Seeded {
        publications: publications(core, county, villages, now, seed, 12).await?,
        ..Seeded::default()
    };

    // Representatives' assemblies last quarter in two villages of three (the rest alert).
    let today = clock::today();
    let q_start =
        NaiveDate::from_ymd_opt(today.year(), (today.month() - 1) / 3 * 3 + 1, 1).unwrap_or(today);
    let last_q = ms_of(q_start - chrono::Days::new(20), 2);
    for (i, (code, _)) in villages.iter().enumerate().take(60) {
        if i % 3 == 2 {
            continue;
        }
        let cadre = actor(Role::VillageCadre, code, AreaLevel::Village, "村委会主任");
        meeting(
            core,
            &cadre,
            code,
            Body::RepresentativesAssembly,
            None,
            "听取村委会季度工作报告",
            last_q,
            (9, 10),
            (4, 5),
        )
        .await?;
        out.meetings += 1;
    }

    let texts = [
        ("collective_project", "村集体光伏发电项目立项及承包方案", "拟利用村委会及小学屋顶建设60千瓦光伏电站，总投资24万元，由村集体经济组织承包经营，收益用于村公益事业。"),
        ("public_welfare_levy", "村内主干道硬化一事一议筹资方案", "拟硬化村内主干道1.2公里，预算36万元。申请财政奖补18万元，其余由村民按每人每年15元筹资、每个劳动力出工3个工日解决，五保户、低保户免筹。"),
        ("income_use", "2026年集体经营收益使用方案", "集体经营收益12.6万元，拟用于村内路灯维护4万元、困难群众慰问2万元、村级公益岗位补贴6.6万元。"),
        ("other_major", "村卫生室搬迁改建", "原卫生室房屋老旧，拟搬迁至村委会东侧闲置房屋并改建，预算8万元。"),
        ("property_disposal", "闲置小学校舍对外出租", "原村小学校舍闲置，拟公开招租，租期5年，底价每年2万元。"),
    ];
    for (i, (code, name)) in villages.iter().enumerate().take(10) {
        let cadre = actor(
            Role::VillageCadre,
            code,
            AreaLevel::Village,
            &format!("{name}村委会"),
        );
        let (type_code, title, body) = texts[i % texts.len()];
        let start = now - (300 - 20 * i as i64) * DAY;
        let emergency = i == 7;
        let m = svc::create_matter(
            core,
            &cadre,
            NewMatter {
                area_code: code.clone(),
                type_code: if emergency { "other_major" } else { type_code }.into(),
                title: if emergency { "山洪冲毁村西桥梁抢修".into() } else { title.into() },
                body: if emergency { "村西便桥被山洪冲毁，须立即抢修，预计费用6万元，先行处置，按期补办四议两公开程序。".into() } else { body.into() },
                emergency,
                emergency_reason: if emergency { "山洪冲毁桥梁，影响群众出行安全".into() } else { String::new() },
                authorisation: "村民会议2025年第1号决议授权村民代表会议决定本届任期内重大事项".into(),
            },
            if emergency { now - 10 * DAY } else { start },
        )
        .await?;
        out.matters += 1;
        if emergency {
            continue;
        }
        meeting(
            core,
            &cadre,
            code,
            Body::TwoCommittees,
            Some(&m.id),
            "是否同意提交党员大会审议",
            start + 10 * DAY,
            (1, 1),
            (1, 1),
        )
        .await?;
        // One matter stops at step 3: the party members do not pass it.
        let stop = i == 2;
        meeting(
            core,
            &cadre,
            code,
            Body::PartyMembers,
            Some(&m.id),
            "是否同意提交村民代表会议决议",
            start + 20 * DAY,
            (9, 10),
            if stop { (1, 3) } else { (9, 10) },
        )
        .await?;
        out.meetings += 2;
        if stop {
            continue;
        }
        meeting(
            core,
            &cadre,
            code,
            Body::RepresentativesAssembly,
            Some(&m.id),
            "是否同意该方案",
            start + 35 * DAY,
            (9, 10),
            (5, 6),
        )
        .await?;
        out.meetings += 1;
        if i == 4 {
            // Resolved, but the notice is late (the alert shows).
            continue;
        }
        svc::act_matter(
            core,
            &cadre,
            &m.id,
            MatterAction::PublishResolution,
            start + 36 * DAY,
        )
        .await?;
        let sup = actor(
            Role::VillageSupervisor,
            code,
            AreaLevel::Village,
            "村务监督委员会",
        );
        for p in dsvc::list(core, &cadre, "in_review", 5).await? {
            if p.source_id.as_deref() == Some(m.id.as_str()) {
                dsvc::review(core, &sup, &p.id, true, "", start + 37 * DAY).await?;
                dsvc::release(core, &cadre, &p.id, start + 37 * DAY).await?;
            }
        }
        if i % 2 == 0 {
            svc::act_matter(
                core,
                &cadre,
                &m.id,
                MatterAction::Complete {
                    note: "项目已完工并通过验收".into(),
                },
                start + 120 * DAY,
            )
            .await?;
            svc::act_matter(
                core,
                &cadre,
                &m.id,
                MatterAction::PublishResult {
                    text: "项目按决议完成，资金使用情况见本村财务公开。".into(),
                },
                start + 121 * DAY,
            )
            .await?;
            for p in dsvc::list(core, &cadre, "in_review", 5).await? {
                if p.source_id.as_deref() == Some(m.id.as_str()) {
                    dsvc::release(core, &cadre, &p.id, start + 127 * DAY).await?;
                }
            }
        }
        if type_code == "public_welfare_levy" {
            levy_plan(core, &cadre, code, &m.id, start + 35 * DAY).await?;
        }
    }

    // One publication still open to objections, with an objection waiting for its answer.
    if let Some((code, _)) = villages.first() {
        let cadre = actor(Role::VillageCadre, code, AreaLevel::Village, "村委会");
        let p = dsvc::draft_manual(
            core,
            &cadre,
            dsvc::NewPublication {
                area_code: code.clone(),
                item_code: "land".into(),
                period: clock::format_ms(now).get(..7).unwrap_or("").into(),
                title: "村东片区土地流转方案公示".into(),
                body: "村东片区集体土地320亩拟流转给本县农业合作社种植中药材，期限10年，流转费每亩每年650元，收益按人口分配。".into(),
            },
            now - 8 * DAY,
        )
        .await?;
        let sup = actor(
            Role::VillageSupervisor,
            code,
            AreaLevel::Village,
            "村务监督委员会",
        );
        dsvc::review(core, &sup, &p.id, true, "", now - 3 * DAY).await?;
        dsvc::release(core, &cadre, &p.id, now - 2 * DAY).await?;
        let villager = actor(Role::Villager, code, AreaLevel::Village, "村民");
        dsvc::object(
            core,
            &villager,
            &p.id,
            "流转费偏低，邻村同类土地每亩每年800元，请说明定价依据。",
            now - DAY,
        )
        .await?;
        out.publications += 1;
    }
    voice(core, villages).await?;
    Ok(out)
}

async fn levy_plan(
    core: &Core,
    cadre: &Actor,
    village: &str,
    matter: &str,
    decided: i64,
) -> anyhow::Result<()> {
    use crate::levy::{service as lsvc, PlanInput, Resolution};
    let plan = lsvc::create_plan(
        core,
        cadre,
        &PlanInput {
            area_code: village.into(),
            matter_id: Some(matter.into()),
            title: "村内主干道硬化一事一议筹资筹劳".into(),
            project_kind: "village_road".into(),
            year: clock::year_of(decided),
            budget_cents: 36_000_000,
            per_person_cents: 1_500,
            workdays_per_labourer: 3,
            reference_date: None,
        },
    )
    .await?;
    lsvc::approve(
        core,
        cadre,
        &plan.id,
        &Resolution {
            matter_id: matter.into(),
            passed: true,
            decided_at: decided,
        },
    )
    .await?;
    let view = lsvc::get(core, cadre, &plan.id).await?;
    for h in view.households.iter().take(view.households.len() * 2 / 3) {
        if h.account.amount_cents > 0 {
            lsvc::record_payment(
                core,
                cadre,
                &plan.id,
                &h.household_id,
                h.account.amount_cents,
            )
            .await?;
        }
    }
    Ok(())
}

async fn voice(core: &Core, villages: &[(String, String)]) -> anyhow::Result<()> {
    use crate::voice::{service as vsvc, Answer, Review};
    let asks = [
        "村口路灯坏了两盏，晚上孩子放学不安全，建议尽快修好。",
        "建议在村文化广场增设健身器材，方便老年人锻炼。",
        "村西水渠淤积严重，明年春灌前能否组织清淤？",
    ];
    for (i, (code, _)) in villages.iter().enumerate().take(20) {
        let villager = actor(Role::Villager, code, AreaLevel::Village, "村民");
        let cadre = actor(Role::VillageCadre, code, AreaLevel::Village, "村委会");
        for (k, text) in asks.iter().enumerate() {
            let s = vsvc::post_suggestion(
                core,
                &villager,
                &vsvc::NewSuggestion {
                    area_code: code.clone(),
                    text: (*text).into(),
                    person_id: None,
                },
            )
            .await?;
            match (i + k) % 3 {
                0 => {
                    vsvc::answer_suggestion(
                        core,
                        &cadre,
                        &s.id,
                        &Answer::Answered {
                            text: "已安排电工本周内更换，费用从村级运转经费列支。".into(),
                        },
                    )
                    .await?;
                }
                1 => {
                    vsvc::answer_suggestion(core, &cadre, &s.id, &Answer::Declined {
                        reason: "今年预算已用完，列入明年村级公益事业计划，届时提交村民代表会议讨论。".into(),
                    })
                    .await?;
                }
                _ => {}
            }
        }
    }
    for (i, (code, _)) in villages.iter().enumerate().take(8) {
        let cadre = actor(Role::VillageCadre, code, AreaLevel::Village, "村委会");
        let township = format!("{}000", code.get(..9).unwrap_or(""));
        let town = actor(
            Role::TownshipStaff,
            &township,
            AreaLevel::Township,
            "乡镇民政办",
        );
        let mut text = String::from(
            "第一条 为推进村民自治，弘扬社会主义核心价值观，制定本村规民约。\n第二条 孝老爱亲，邻里和睦，不得虐待、遗弃老人和儿童。\n第三条 爱护公共设施，垃圾分类投放，不乱堆乱放。\n第四条 移风易俗，红白事简办，不大操大办。\n",
        );
        if i == 3 {
            text.push_str("第五条 对拒不缴纳卫生费的农户，取消其低保资格和各项补贴。\n");
        } else {
            text.push_str("第五条 本规约经村民会议通过后施行，由村民委员会负责解释。\n");
        }
        let b = vsvc::adopt_bylaw(
            core,
            &cadre,
            &vsvc::NewBylaw {
                area_code: code.clone(),
                text,
                matter_id: None,
            },
        )
        .await?;
        vsvc::file_bylaw(core, &town, &b.id, clock::today()).await?;
        let review = if i == 3 {
            Review::CorrectionOrdered {
                reason: "第五条以取消低保资格和补贴作为处罚，侵害村民法定权益，应予删除。".into(),
            }
        } else {
            Review::Approved
        };
        vsvc::review_bylaw(core, &town, &b.id, &review).await?;
    }
    Ok(())
}

/// Replace a county's publications with `months` of history per village (the portal and
/// `verify` benchmarks). Returns how many were written.
pub async fn bench_history(
    core: &Core,
    county: &str,
    villages: &[(String, String)],
    months: u32,
) -> anyhow::Result<usize> {
    let mut tx = core.db.write.begin().await?;
    dstore::clear_county(&mut tx, county).await?;
    tx.commit().await?;
    let n = publications(core, county, villages, clock::now_ms(), 5, months).await?;
    core.disclosure_generation
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok(n)
}
