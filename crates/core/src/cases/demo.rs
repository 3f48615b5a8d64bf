//! The demo county's catalogue of case types and a year of case history: every type, every
//! state, some overdue and escalated. Deterministic from the seed.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::model::*;
use super::rules::Calendar;
use super::store::{self, EventRow, NewCaseRow};
use crate::audit::{self, Entry};
use crate::authz::Actor;
use crate::clock;
use crate::Core;

fn field(code: &str, zh: &str, en: &str, datatype: FieldType, required: bool) -> FormField {
    FormField {
        code: code.into(),
        datatype,
        required,
        name_zh: zh.into(),
        name_en: en.into(),
        values: Vec::new(),
    }
}

fn list(
    code: &str,
    zh: &str,
    en: &str,
    required: bool,
    values: &[(&str, &str, &str)],
) -> FormField {
    FormField {
        code: code.into(),
        datatype: FieldType::Singlevaluelist,
        required,
        name_zh: zh.into(),
        name_en: en.into(),
        values: values
            .iter()
            .map(|(k, z, e)| FieldValue {
                key: (*k).into(),
                name_zh: (*z).into(),
                name_en: (*e).into(),
            })
            .collect(),
    }
}

/// The fields every dispute type carries: another channel already seized (R-ESC-5), and a
/// risk of violence (R-ESC-3, 人民调解法 §25).
fn dispute_fields(mut extra: Vec<FormField>) -> Vec<FormField> {
    extra.push(list(
        "channel",
        "是否已进入其他程序",
        "Already in another channel",
        false,
        &[
            ("none", "没有", "No"),
            ("court", "已起诉到法院", "In court"),
            ("arbitration", "已申请仲裁", "In arbitration"),
            ("petition", "已信访", "Petition filed"),
        ],
    ));
    extra.push(list(
        "violence_risk",
        "有没有打架、伤人的苗头",
        "Risk of violence",
        false,
        &[("no", "没有", "No"), ("yes", "有", "Yes")],
    ));
    extra
}

fn orgs(v: (&str, &str), t: (&str, &str), c: (&str, &str)) -> Orgs {
    Orgs {
        village_zh: v.0.into(),
        village_en: v.1.into(),
        township_zh: t.0.into(),
        township_en: t.1.into(),
        county_zh: c.0.into(),
        county_en: c.1.into(),
    }
}

const WD: fn(u32) -> Sla = Sla::WorkingDays;
const H: fn(u32) -> Sla = Sla::Hours;

fn sla(urgent: Sla, high: Sla, normal: Sla, low: Sla) -> SlaSet {
    SlaSet {
        urgent,
        high,
        normal,
        low,
    }
}

/// The demo catalogue (事项清单) of a county.
pub fn catalogue(county: &str) -> Vec<CaseType> {
    let village = orgs(
        ("村民委员会", "Village committee"),
        ("乡镇综治中心", "Township governance centre"),
        ("县社会治理中心", "County governance centre"),
    );
    let mediation = orgs(
        ("村人民调解委员会", "Village mediation committee"),
        ("乡镇司法所", "Township judicial office"),
        ("县矛盾纠纷调处化解中心", "County dispute resolution centre"),
    );
    let safety = orgs(
        ("村安全员", "Village safety officer"),
        ("乡镇安监站", "Township safety station"),
        ("县应急管理局", "County emergency management bureau"),
    );
    let service = orgs(
        ("村便民服务站", "Village service station"),
        ("乡镇便民服务中心", "Township service centre"),
        ("县政务服务中心", "County government service centre"),
    );
    let std_sla = sla(H(24), WD(2), WD(5), WD(15));
    let public = vec![Raiser::Public, Raiser::GridWorker, Raiser::Staff];
    let staff = vec![Raiser::GridWorker, Raiser::Staff];
    let t = |code: &str,
             zh: &str,
             en: &str,
             dzh: &str,
             den: &str,
             cat: Category,
             kw: &str,
             raisers: &Vec<Raiser>,
             fields: Vec<FormField>,
             s: SlaSet,
             first: Level,
             o: &Orgs,
             anon: bool| CaseType {
        code: code.into(),
        county_code: county.into(),
        name_zh: zh.into(),
        name_en: en.into(),
        description_zh: dzh.into(),
        description_en: den.into(),
        category: cat,
        keywords: kw.into(),
        raisers: raisers.clone(),
        fields,
        sla: s,
        first_level: first,
        orgs: o.clone(),
        visibility: if cat == Category::Emergency {
            Visibility::Confidential
        } else {
            Visibility::Public
        },
        anonymous_allowed: anon,
        active: true,
    };
    let grade = list(
        "grade",
        "隐患等级",
        "Hazard grade",
        true,
        &[
            ("general", "一般隐患", "General"),
            ("major", "重大隐患", "Major"),
        ],
    );
    vec![
        t("env_sanitation", "人居环境", "Living environment",
          "垃圾堆放、污水、乱搭乱建等人居环境问题。", "Rubbish, sewage, unauthorised structures.",
          Category::Report, "垃圾,污水,卫生,环境", &public,
          vec![list("kind", "问题类型", "Kind", false, &[
              ("rubbish", "垃圾堆放", "Rubbish"), ("sewage", "污水", "Sewage"),
              ("structure", "乱搭乱建", "Unauthorised structure")])],
          std_sla, Level::Village, &village, true),
        t("road_facility", "道路设施损坏", "Road or facility damage",
          "道路、桥梁、水渠、健身器材等公共设施损坏。", "Damaged roads, bridges, channels, public equipment.",
          Category::Report, "道路,桥,水渠,设施", &public, vec![], std_sla, Level::Village, &village, true),
        t("streetlight", "路灯不亮", "Street light out",
          "村内路灯不亮或损坏。", "A street light in the village is out or broken.",
          Category::Report, "路灯,照明", &public,
          vec![field("pole", "灯杆编号", "Pole number", FieldType::String, false)],
          sla(H(24), WD(2), WD(3), WD(10)), Level::Village, &village, true),
        t("water_supply", "饮水供水", "Drinking water supply",
          "停水、水质、管网漏水等饮水安全问题。", "Outages, water quality, leaking mains.",
          Category::Report, "停水,水质,自来水", &public, vec![],
          sla(H(4), H(24), WD(3), WD(10)), Level::Township, &village, false),
        t("proxy_service", "代办服务", "Proxy service (代办)",
          "村便民服务站代办的政务服务事项。", "Government services handled for villagers by the village service station.",
          Category::Service, "代办,医保,养老,低保,补贴", &public,
          vec![list("item", "代办事项", "Service", true, &[
              ("medical_insurance", "城乡居民医保参保", "Resident medical insurance"),
              ("pension_certification", "养老保险待遇认证", "Pension certification"),
              ("subsistence", "低保申请初审", "Subsistence allowance application"),
              ("disability", "残疾人两项补贴", "Disability allowances"),
              ("elderly_allowance", "高龄津贴", "Old-age allowance"),
              ("homestead", "宅基地与农房建设申请", "Homestead and house-building application")]),
               field("documents", "已收材料", "Documents received", FieldType::Text, false)],
          sla(WD(1), WD(3), WD(5), WD(10)), Level::Village, &service, false),
        t("dispute_neighbour", "邻里纠纷", "Neighbour dispute",
          "相邻关系、宅基地边界、噪音等邻里矛盾。", "Boundaries, noise and other disputes between neighbours.",
          Category::Dispute, "邻里,纠纷,调解", &public,
          dispute_fields(vec![field("parties", "当事人人数", "Number of parties", FieldType::Number, false)]),
          sla(H(24), WD(5), WD(22), WD(22)), Level::Village, &mediation, false),
        t("dispute_family", "婚姻家庭纠纷", "Family dispute",
          "婚姻、赡养、抚养、继承等家庭矛盾。", "Marriage, support of elders or children, inheritance.",
          Category::Dispute, "婚姻,赡养,继承,家庭", &public, dispute_fields(vec![]),
          sla(H(24), WD(5), WD(22), WD(22)), Level::Village, &mediation, false),
        t("dispute_land", "土地承包纠纷", "Land contract dispute",
          "土地承包经营、流转、征地补偿纠纷。", "Land contracting, transfer and compensation disputes.",
          Category::Dispute, "土地,承包,流转,征地", &public, dispute_fields(vec![]),
          sla(H(24), WD(5), WD(22), WD(22)), Level::Township, &mediation, false),
        t("wage_arrears", "农民工工资拖欠", "Unpaid migrant wages",
          "拖欠农民工工资的反映。", "Reports of unpaid wages.",
          Category::Dispute, "工资,欠薪,农民工", &public,
          dispute_fields(vec![field("amount", "拖欠金额（元）", "Amount owed (yuan)", FieldType::Number, false)]),
          sla(H(24), WD(3), WD(10), WD(15)), Level::Township, &mediation, false),
        t("hazard_fire", "消防隐患", "Fire hazard",
          "柴草堆放、电线私拉乱接、消防通道堵塞等。", "Stacked fuel, unsafe wiring, blocked fire lanes.",
          Category::Hazard, "消防,电线,火灾", &staff, vec![grade.clone()],
          sla(H(4), H(24), WD(5), WD(10)), Level::Village, &safety, false),
        t("hazard_house", "自建房安全隐患", "Unsafe self-built house",
          "裂缝、加层、改变用途的自建房。", "Cracked, extended or repurposed self-built houses.",
          Category::Hazard, "自建房,危房,裂缝", &staff, vec![grade.clone()],
          sla(H(24), WD(3), WD(10), WD(15)), Level::Township, &safety, false),
        t("hazard_water", "防溺水隐患", "Drowning hazard",
          "坑塘、河道缺少警示牌或护栏。", "Ponds and rivers without warning signs or railings.",
          Category::Hazard, "溺水,坑塘,河道", &public, vec![grade],
          sla(H(4), H(24), WD(3), WD(10)), Level::Village, &safety, true),
        t("emergency", "紧急求助", "Emergency help",
          "需要立即到场的紧急情况（危及生命请先拨打 110/119/120）。",
          "Emergencies needing someone on site now (call 110/119/120 first when life is at risk).",
          Category::Emergency, "紧急,求助,急", &public, vec![],
          sla(H(1), H(2), H(4), H(8)), Level::Village, &village, false),
        t("complaint", "投诉建议", "Complaint or suggestion",
          "对村务、服务、干部作风的投诉和建议。", "Complaints and suggestions about village affairs, services and cadres.",
          Category::Complaint, "投诉,建议,作风", &public, vec![],
          std_sla, Level::Township, &village, true),
        t("legal_consult", "法律咨询", "Legal consultation",
          "村法律顾问解答法律问题。", "Questions answered by the village legal adviser.",
          Category::Legal, "法律,咨询,律师", &public, vec![],
          sla(H(24), WD(2), WD(5), WD(10)), Level::Village, &village, false),
    ]
}

const TEXTS: &[(&str, &[&str])] = &[
    (
        "env_sanitation",
        &[
            "村东头垃圾堆了好几天没人清运",
            "河边有人倾倒建筑垃圾",
            "公厕污水外溢，气味很大",
            "路边私搭的棚子占了半条路",
        ],
    ),
    (
        "road_facility",
        &[
            "村西水泥路塌陷一个大坑",
            "小桥护栏断了，孩子上学不安全",
            "水渠堵塞，浇地过不来水",
            "广场健身器材松动",
        ],
    ),
    (
        "streetlight",
        &[
            "村口路灯不亮已经一周",
            "学校门口两盏路灯晚上不亮",
            "二组路灯时亮时灭",
        ],
    ),
    (
        "water_supply",
        &[
            "自来水连续两天停水",
            "自来水发黄有异味",
            "主管道漏水，路面积水",
        ],
    ),
    (
        "proxy_service",
        &[
            "帮家里老人办理高龄津贴",
            "代办城乡居民医保参保缴费",
            "申请低保，材料已交村里",
            "办理养老保险待遇认证",
        ],
    ),
    (
        "dispute_neighbour",
        &[
            "邻居盖房占了我家宅基地边界",
            "邻居家狗夜里叫影响休息",
            "两家因排水沟走向吵架",
        ],
    ),
    (
        "dispute_family",
        &[
            "兄弟几个对老人赡养费有分歧",
            "夫妻矛盾，女方回娘家不归",
            "父亲去世后房屋继承有争议",
        ],
    ),
    (
        "dispute_land",
        &[
            "承包地流转费用一年没给",
            "土地边界和邻组有争议",
            "征地补偿款分配不均",
        ],
    ),
    (
        "wage_arrears",
        &["在工地干了三个月工资没结", "包工头拖欠十几个人的工钱"],
    ),
    (
        "hazard_fire",
        &[
            "柴草堆在灶房旁边",
            "电动车在楼道里充电",
            "电线私拉乱接挂在树上",
        ],
    ),
    (
        "hazard_house",
        &[
            "老房子墙体出现裂缝",
            "自建房加盖了第四层",
            "民房改成作坊没有消防设施",
        ],
    ),
    ("hazard_water", &["村南坑塘没有警示牌", "河边护栏被冲坏了"]),
    (
        "emergency",
        &[
            "老人在家摔倒无法起身",
            "有人被困在河边需要帮助",
            "家里燃气泄漏",
        ],
    ),
    (
        "complaint",
        &[
            "便民服务站上班时间找不到人",
            "建议村里增加路灯",
            "村务公开栏很久没更新",
        ],
    ),
    (
        "legal_consult",
        &[
            "签订土地流转合同要注意什么",
            "外出打工受伤如何维权",
            "遗嘱需要公证吗",
        ],
    ),
];

/// The path of states a case of this age passed through, ending in its current state.
fn path_to(end: Status) -> Vec<(Status, &'static str)> {
    use Status as S;
    let full = [
        (S::Accepted, "case.accept"),
        (S::Dispatched, "case.dispatch"),
        (S::InProgress, "case.start"),
        (S::Handled, "case.handle"),
        (S::Verified, "case.verify"),
        (S::Closed, "case.close"),
        (S::Revisited, "case.rate"),
    ];
    match end {
        S::Reported => vec![],
        S::Rejected => vec![(S::Rejected, "case.reject")],
        S::Returned => vec![
            (S::Accepted, "case.accept"),
            (S::Dispatched, "case.dispatch"),
            (S::Returned, "case.return"),
        ],
        S::Suspended => vec![
            (S::Accepted, "case.accept"),
            (S::Dispatched, "case.dispatch"),
            (S::InProgress, "case.start"),
            (S::Suspended, "case.suspend"),
        ],
        _ => {
            let n = full.iter().position(|(s, _)| *s == end).unwrap_or(0) + 1;
            full[..n].to_vec()
        }
    }
}

/// Seed the catalogue, the calendar and `n` cases spread over the last year.
pub async fn seed(
    core: &Core,
    county: &str,
    villages: &[(String, Vec<String>)],
    n: usize,
    seed: u64,
) -> anyhow::Result<usize> {
    install(core, county).await?;
    history(core, county, villages, n, seed).await
}

/// Install the demo catalogue, settings and holiday calendar of a county.
pub async fn install(core: &Core, county: &str) -> anyhow::Result<()> {
    let now = clock::now_ms();
    let types = catalogue(county);
    let mut tx = core.db.write.begin().await?;
    for t in &types {
        store::upsert_type(&mut tx, t, now).await?;
    }
    store::put_settings(&mut tx, county, &Settings::default(), now).await?;
    let year = clock::year_of(now);
    for (day, name) in HOLIDAYS {
        for y in [year - 1, year, year + 1] {
            store::put_holiday(&mut tx, county, &format!("{y}-{day}"), false, name).await?;
        }
    }
    tx.commit().await?;
    core.cases.invalidate();
    Ok(())
}

const HOLIDAYS: [(&str, &str); 9] = [
    ("01-01", "元旦"),
    ("05-01", "劳动节"),
    ("05-02", "劳动节"),
    ("05-03", "劳动节"),
    ("10-01", "国庆节"),
    ("10-02", "国庆节"),
    ("10-03", "国庆节"),
    ("10-04", "国庆节"),
    ("10-05", "国庆节"),
];

/// Add `n` cases spread over the last year, written in chunks (bounded memory, so a
/// million works too).
pub async fn history(
    core: &Core,
    county: &str,
    villages: &[(String, Vec<String>)],
    n: usize,
    seed: u64,
) -> anyhow::Result<usize> {
    let cat = super::catalogue::loaded(core).await?;
    let types: Vec<CaseType> = cat
        .county_types(county)
        .iter()
        .map(|t| (**t).clone())
        .collect();
    anyhow::ensure!(!types.is_empty(), "no case types for {county}");
    let cal = cat.calendar(county);
    let system = Actor::system("demo");
    let now = clock::now_ms();
    let mut done = 0;
    let mut chunk_no = 0u64;
    while done < n {
        let k = (n - done).min(50_000);
        done += history_chunk(
            core, county, villages, &types, &cal, &system, now, k, seed, chunk_no,
        )
        .await?;
        chunk_no += 1;
    }
    {
        let mut conn = core.db.write.acquire().await?;
        crate::db::bulk_cache(&mut conn, core.db.backend, false).await?;
    }
    crate::db::analyze(&core.db).await?;
    crate::db::fold_log(&core.db).await?;
    Ok(done)
}

#[allow(clippy::too_many_arguments)]
async fn history_chunk(
    core: &Core,
    county: &str,
    villages: &[(String, Vec<String>)],
    types: &[CaseType],
    cal: &Calendar,
    system: &Actor,
    now: i64,
    n: usize,
    seed: u64,
    chunk_no: u64,
) -> anyhow::Result<usize> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x000c_a5e5 ^ chunk_no.wrapping_mul(0x9e37_79b9));
    let year_ms = super::rules::days(365);
    let mut rows: Vec<NewCaseRow> = Vec::with_capacity(n);
    let mut events: Vec<EventRow> = Vec::with_capacity(n * 5);
    let mut township_names = std::collections::HashMap::new();
    for i in 0..n {
        let t = &types[rng.gen_range(0..types.len())];
        let (vcode, grids) = &villages[rng.gen_range(0..villages.len())];
        // More recent cases are commoner (the platform is growing).
        let age = (rng.gen::<f64>().powf(1.5) * year_ms as f64) as i64;
        let created = now - age;
        let priority = match rng.gen_range(0..20) {
            0 => Priority::Urgent,
            1..=3 => Priority::High,
            4..=17 => Priority::Normal,
            _ => Priority::Low,
        };
        let priority = if t.category == Category::Emergency {
            Priority::Urgent
        } else {
            priority
        };
        let due = cal.deadline(created, t.sla.for_priority(priority));
        let days_old = age / super::rules::days(1);
        use Status as S;
        let end = if days_old > 60 {
            match rng.gen_range(0..100) {
                0..=3 => S::Rejected,
                4..=59 => S::Revisited,
                60..=94 => S::Closed,
                _ => S::InProgress,
            }
        } else if days_old > 10 {
            match rng.gen_range(0..100) {
                0..=4 => S::Rejected,
                5..=34 => S::Revisited,
                35..=59 => S::Closed,
                60..=69 => S::Verified,
                70..=79 => S::Handled,
                80..=89 => S::InProgress,
                90..=94 => S::Suspended,
                _ => S::Returned,
            }
        } else {
            match rng.gen_range(0..100) {
                0..=19 => S::Reported,
                20..=34 => S::Accepted,
                35..=49 => S::Dispatched,
                50..=74 => S::InProgress,
                75..=84 => S::Handled,
                85..=92 => S::Verified,
                _ => S::Closed,
            }
        };
        let path = path_to(end);
        let steps = path.len() as i64 + 1;
        // Finish within the deadline most of the time.
        let late = rng.gen_range(0..100) < 12;
        let span_end = if end.is_open() {
            now.min(created + (now - created) / 2 + 1)
        } else if late {
            due + super::rules::days(rng.gen_range(1..10))
        } else {
            created + ((due - created) as f64 * rng.gen_range(0.2..0.95)) as i64
        }
        .min(now);
        let step_ms = ((span_end - created) / steps).max(60_000);
        let id = clock::new_id();
        let mut level = t.first_level;
        let mut slipped = None;
        let mut escalations = 0;
        let mut due_at = due;
        // Open cases past their deadline went up a level (some twice).
        if end.is_open() && due < now && !matches!(end, S::Handled | S::Verified) {
            if let Some(next) = level.next() {
                slipped = Some(level);
                escalations = 1;
                level = next;
                due_at = cal.deadline(due, t.sla.for_priority(priority));
                if due_at < now && rng.gen_bool(0.5) {
                    if let Some(n2) = level.next() {
                        level = n2;
                        escalations = 2;
                        due_at = cal.deadline(due_at, t.sla.for_priority(priority));
                    }
                }
            }
        } else if late && !end.is_open() && end != S::Rejected && level.next().is_some() {
            slipped = Some(level);
            escalations = 1;
            level = level.next().unwrap_or(level);
        }
        let texts = TEXTS
            .iter()
            .find(|(c, _)| *c == t.code)
            .map(|(_, v)| *v)
            .unwrap_or(&["需要处理的问题"]);
        let text = texts[rng.gen_range(0..texts.len())];
        let holder = level.area_of(vcode);
        let area_name = if level == Level::Village {
            String::new()
        } else {
            match township_names.get(&holder) {
                Some(n) => n,
                None => {
                    let nm = super::catalogue::area(core, &holder)
                        .await
                        .map(|a| a.name)
                        .unwrap_or_default();
                    township_names.insert(holder.clone(), nm);
                    &township_names[&holder]
                }
            }
            .clone()
        };
        let village_name = if level == Level::Village {
            super::catalogue::area(core, vcode)
                .await
                .map(|a| a.name)
                .unwrap_or_default()
        } else {
            area_name
        };
        let mut at = created;
        let mut ev = vec![(created, "case.raise", None, S::Reported, String::new())];
        let mut prev = S::Reported;
        for (s, action) in &path {
            at += step_ms;
            let note = match s {
                S::Rejected => "不属于受理范围，已告知反映人向相关部门反映。".to_string(),
                S::Returned => "不属于本单位职责，申请退单。".to_string(),
                S::Suspended => "等待当事人返乡，暂停办理。".to_string(),
                S::Handled => "已到现场处理完毕，附处理前后照片。".to_string(),
                _ => String::new(),
            };
            ev.push((at.min(now), action, Some(prev), *s, note));
            prev = *s;
        }
        if escalations > 0 {
            ev.push((
                due.min(now),
                "case.escalate",
                Some(prev),
                prev,
                String::new(),
            ));
        }
        let handled_at = ev.iter().find(|e| e.3 == S::Handled).map(|e| e.0);
        let closed_at = ev
            .iter()
            .find(|e| e.3 == S::Closed || e.3 == S::Rejected)
            .map(|e| e.0);
        let rating = (end == S::Revisited).then(|| match rng.gen_range(0..20) {
            0 => Rating::Unsatisfied,
            1..=4 => Rating::Basically,
            _ => Rating::Satisfied,
        });
        let grid = (!grids.is_empty() && rng.gen_bool(0.7))
            .then(|| grids[rng.gen_range(0..grids.len())].clone());
        let mut attrs = serde_json::Map::new();
        for f in &t.fields {
            if f.required && !f.values.is_empty() {
                attrs.insert(
                    f.code.clone(),
                    serde_json::json!(f.values[rng.gen_range(0..f.values.len())].key),
                );
            }
        }
        let case = Case {
            id: id.clone(),
            number: String::new(),
            county_code: county.into(),
            type_code: t.code.clone(),
            category: t.category,
            area_code: vcode.clone(),
            grid_code: grid,
            status: end,
            priority,
            level,
            org: format!("{village_name}{}", t.orgs.name_zh(level)),
            slipped_level: slipped,
            escalations,
            title: text.chars().take(30).collect(),
            description: text.into(),
            attrs: serde_json::Value::Object(attrs),
            lat: None,
            lon: None,
            address: None,
            source: ["app", "grid", "staff", "open311"][rng.gen_range(0..4)].into(),
            reporter_user_id: None,
            reporter_name: None,
            anonymous: false,
            assignee_user_id: None,
            handler_user_id: None,
            due_at,
            reopen_count: 0,
            rating,
            public_note: ev.last().map(|e| e.4.clone()).filter(|n| !n.is_empty()),
            duplicate_of: None,
            pending_extension_hours: None,
            created_at: created,
            updated_at: ev.last().map(|e| e.0).unwrap_or(created),
            handled_at,
            closed_at,
        };
        for (at, action, from, to, note) in ev {
            events.push(EventRow {
                event: CaseEvent {
                    id: clock::new_id(),
                    case_id: id.clone(),
                    at,
                    actor_name: if action == "case.escalate" {
                        "escalation".into()
                    } else {
                        "demo".into()
                    },
                    action: action.into(),
                    from_status: from,
                    to_status: to,
                    note,
                    public: true,
                },
                county_code: county.into(),
                actor_id: None,
                data_json: None,
            });
        }
        rows.push(NewCaseRow {
            case,
            reporter_phone_enc: None,
            idem_key: Some(format!("demo:{seed}:{chunk_no}:{i}")),
        });
    }
    // Numbers in order of creation, per year.
    rows.sort_by_key(|r| r.case.created_at);
    let mut tx = core.db.write.begin().await?;
    crate::db::bulk_cache(&mut tx, core.db.backend, true).await?;
    let mut by_year: std::collections::BTreeMap<i32, Vec<usize>> = Default::default();
    for (i, r) in rows.iter().enumerate() {
        by_year
            .entry(clock::year_of(r.case.created_at))
            .or_default()
            .push(i);
    }
    for (y, idx) in by_year {
        let last = store::reserve_numbers(&mut tx, county, i64::from(y), idx.len() as i64).await?;
        let first = last - idx.len() as i64 + 1;
        for (k, i) in idx.into_iter().enumerate() {
            rows[i].case.number = format!("{y}-{:06}", first + k as i64);
        }
    }
    for chunk in rows.chunks(2000) {
        store::insert_cases(&mut tx, chunk).await?;
    }
    store::insert_events(&mut tx, &events).await?;
    audit::record(
        &mut tx,
        system,
        Entry::new("case.demo_history", "case", county)
            .area(county)
            .detail(format!("{} demo cases", rows.len())),
    )
    .await?;
    tx.commit().await?;
    Ok(rows.len())
}
