//! The demo county "x县": a realistic synthetic county generated deterministically from a
//! seed — townships, villages, groups, grids, households and residents with valid ID numbers —
//! and one login per role.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::accounts::{self, store as acc_store};
use crate::areas::store::{self as area_store, Area};
use crate::areas::AreaLevel;
use crate::audit::{self, Entry};
use crate::authz::{Actor, Role};
use crate::people::idnum::{make_id, parse_id};
use crate::people::model::ValidPerson;
use crate::people::service::bulk_insert_pipelined;
use crate::{clock, Core};

/// The county code of the demo (a plausible code, not a real county's data).
pub const COUNTY_CODE: &str = "139921000000";

const TOWNSHIPS: &[(&str, &str)] = &[
    ("101", "城关镇"),
    ("102", "东阳镇"),
    ("103", "西河镇"),
    ("104", "南岭镇"),
    ("105", "北山镇"),
    ("106", "青石镇"),
    ("107", "柳林镇"),
    ("108", "石桥镇"),
    ("201", "白马乡"),
    ("202", "龙泉乡"),
    ("203", "桃源乡"),
    ("204", "红旗乡"),
];

const VILLAGE_HEAD: &[&str] = &[
    "张家", "李家", "王家", "刘家", "陈家", "杨家", "赵家", "周家", "吴家", "孙家", "马家", "朱家",
    "胡家", "郭家", "何家", "高家", "林家", "罗家", "梁家", "宋家", "郑家", "谢家", "韩家", "唐家",
    "冯家", "于家", "董家", "萧家", "程家", "曹家", "大柳", "小柳", "东坡", "西坡", "南湾", "北湾",
    "前进", "红星", "和平", "新华", "五里", "十里", "双河", "三岔", "石门", "杏林", "桃园", "梨树",
    "枣林", "槐树", "榆树", "柏树", "青龙", "白鹤", "金鸡", "卧牛", "凤凰", "马鞍", "莲花", "古城",
];
const VILLAGE_TAIL: &[&str] = &[
    "庄村", "沟村", "营村", "屯村", "湾村", "堡村", "坡村", "岭村", "铺村", "店村", "寨村", "村",
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];
const GIVEN_M: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "飞", "鑫",
    "波", "斌", "宇", "浩", "建国", "建军", "国庆", "志强", "志明", "文华", "海涛", "永刚", "德胜",
    "长生", "春生", "秋生", "金山", "玉林", "树林", "福来",
];
const GIVEN_F: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀英", "桂英", "玉兰", "秀兰", "凤英", "红梅",
    "丽娟", "春梅", "海燕", "淑珍", "翠花", "小红", "婷", "雪", "慧", "琳", "颖", "欣怡", "梓涵",
    "雨涵", "佳怡", "诗琪",
];

/// One demo login.
#[derive(Debug, Clone, Serialize)]
pub struct DemoAccount {
    pub username: String,
    pub password: String,
    pub role: String,
    pub area_code: String,
    pub totp_secret: Option<String>,
}

/// What the generator made.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    pub townships: usize,
    pub villages: usize,
    pub households: usize,
    pub residents: usize,
    pub cases: usize,
    pub accounts: Vec<DemoAccount>,
}

fn name(rng: &mut StdRng, surname: &str, male: bool) -> String {
    let pool = if male { GIVEN_M } else { GIVEN_F };
    format!("{surname}{}", pool[rng.gen_range(0..pool.len())])
}

fn pick_surname(rng: &mut StdRng) -> &'static str {
    // Common surnames are commoner: a simple skew towards the head of the list.
    let i = (rng.gen::<f64>().powf(1.6) * SURNAMES.len() as f64) as usize;
    SURNAMES[i.min(SURNAMES.len() - 1)]
}

fn random_password(rng: &mut impl Rng) -> String {
    const ALNUM: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let body: String = (0..10)
        .map(|_| ALNUM[rng.gen_range(0..ALNUM.len())] as char)
        .collect();
    format!("Xz{body}7!")
}

struct Gen {
    rng: StdRng,
    today: NaiveDate,
    seq_by_birth: HashMap<(NaiveDate, bool), u16>,
    phone_counter: u64,
}

impl Gen {
    fn birth(&mut self, min_age: i32, max_age: i32) -> NaiveDate {
        let age = self.rng.gen_range(min_age..=max_age);
        let year = self.today.year() - age;
        let doy = self.rng.gen_range(1..=365);
        NaiveDate::from_yo_opt(year, doy).unwrap_or(self.today)
    }

    /// A valid, unique ID number for a birth date and sex.
    fn id(&mut self, birth: NaiveDate, male: bool) -> Option<String> {
        let n = self.seq_by_birth.entry((birth, male)).or_insert(0);
        if *n >= 499 {
            return None;
        }
        // Sequence parity carries the sex (odd male, even female).
        let seq = *n * 2 + u16::from(male);
        *n += 1;
        Some(make_id(&COUNTY_CODE[..6], birth, seq))
    }

    fn phone(&mut self) -> String {
        self.phone_counter += 1;
        // Spread over common prefixes; the counter keeps numbers unique.
        let prefixes = [
            "138", "139", "150", "151", "152", "158", "159", "187", "188", "133", "177", "185",
        ];
        let p = prefixes[(self.phone_counter % prefixes.len() as u64) as usize];
        format!("{p}{:08}", (self.phone_counter * 7_919) % 100_000_000)
    }
}

/// Generate the demo county into an empty database.
pub async fn generate(core: &Core, residents: usize, seed: u64) -> anyhow::Result<DemoSummary> {
    let system = Actor::system("demo");
    let now = clock::now_ms();
    let mut g = Gen {
        rng: StdRng::seed_from_u64(seed),
        today: clock::today(),
        seq_by_birth: HashMap::new(),
        phone_counter: seed % 1000,
    };
    let valid_from = "2020-01-01".to_string();
    let area =
        |code: String, parent: Option<&str>, level: AreaLevel, name: String, kind: Option<&str>| {
            Area {
                code,
                county_code: COUNTY_CODE.to_string(),
                parent_code: parent.map(str::to_string),
                level,
                name,
                kind: kind.map(str::to_string),
                valid_from: valid_from.clone(),
                valid_to: None,
            }
        };
    let mut areas = vec![area(
        COUNTY_CODE.into(),
        None,
        AreaLevel::County,
        "x县".into(),
        None,
    )];
    // (village code, village name, groups, grids)
    let mut villages: Vec<(String, String, Vec<String>, Vec<String>)> = Vec::new();
    for (tcode, tname) in TOWNSHIPS {
        let township = format!("{}{}000", &COUNTY_CODE[..6], tcode);
        let kind = if tcode.starts_with('1') {
            "town"
        } else {
            "township"
        };
        areas.push(area(
            township.clone(),
            Some(COUNTY_CODE),
            AreaLevel::Township,
            (*tname).into(),
            Some(kind),
        ));
        let mut used = std::collections::HashSet::new();
        for v in 0..15 {
            let code = format!("{}{}", &township[..9], 201 + v);
            let vname = loop {
                let n = format!(
                    "{}{}",
                    VILLAGE_HEAD[g.rng.gen_range(0..VILLAGE_HEAD.len())],
                    VILLAGE_TAIL[g.rng.gen_range(0..VILLAGE_TAIL.len())]
                );
                if used.insert(n.clone()) {
                    break n;
                }
            };
            areas.push(area(
                code.clone(),
                Some(&township),
                AreaLevel::Village,
                vname.clone(),
                Some("village"),
            ));
            let ngroups = g.rng.gen_range(3..=8);
            let groups: Vec<String> = (1..=ngroups).map(|i| format!("{code}{i:02}")).collect();
            for (i, gc) in groups.iter().enumerate() {
                areas.push(area(
                    gc.clone(),
                    Some(&code),
                    AreaLevel::Group,
                    format!("第{}村民小组", zh_num(i + 1)),
                    None,
                ));
            }
            let ngrids = g.rng.gen_range(2..=4);
            let grids: Vec<String> = (1..=ngrids).map(|i| format!("{code}{i:03}")).collect();
            for (i, gc) in grids.iter().enumerate() {
                areas.push(area(
                    gc.clone(),
                    Some(&code),
                    AreaLevel::Grid,
                    format!("第{}网格", i + 1),
                    None,
                ));
            }
            villages.push((code, vname, groups, grids));
        }
    }
    let mut tx = core.db.write.begin().await?;
    crate::db::bulk_cache(&mut tx, core.db.backend, true).await?;
    area_store::insert_many(&mut tx, &areas, now).await?;

    // Residents: villages differ in size (weights 0.5..1.5).
    let weights: Vec<f64> = villages.iter().map(|_| g.rng.gen_range(0.5..1.5)).collect();
    let wsum: f64 = weights.iter().sum();
    let mut people: Vec<ValidPerson> = Vec::with_capacity(residents + 8);
    let mut households = 0usize;
    let mut first_village_people: Vec<usize> = Vec::new();
    for (vi, (vcode, _vname, groups, grids)) in villages.iter().enumerate() {
        let target = ((residents as f64) * weights[vi] / wsum).round() as usize;
        let start = people.len();
        let mut hh_no = 0;
        while people.len() - start < target.max(1) {
            hh_no += 1;
            households += 1;
            let gi = g.rng.gen_range(0..groups.len());
            let group = &groups[gi];
            let grid = &grids[gi % grids.len()];
            let number = format!("{hh_no:04}");
            let address = format!(
                "{}{}号",
                format_args!("第{}组", zh_num(gi + 1)),
                g.rng.gen_range(1..=180)
            );
            let surname = pick_surname(&mut g.rng);
            let size = *[1usize, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6]
                .choose(&mut g.rng)
                .unwrap_or(&3);
            let head_male = g.rng.gen_bool(0.82);
            let head_birth = g.birth(28, 82);
            let mut members: Vec<(String, NaiveDate, bool, &'static str)> = Vec::new();
            members.push((
                name(&mut g.rng, surname, head_male),
                head_birth,
                head_male,
                "head",
            ));
            if size >= 2 {
                let sb = NaiveDate::from_ymd_opt(
                    (head_birth.year() + g.rng.gen_range(-3..=3)).min(g.today.year() - 20),
                    g.rng.gen_range(1..=12),
                    g.rng.gen_range(1..=28),
                )
                .unwrap_or(head_birth);
                let s2 = pick_surname(&mut g.rng);
                members.push((name(&mut g.rng, s2, !head_male), sb, !head_male, "spouse"));
            }
            for _ in 2..size {
                let young = head_birth.year() + g.rng.gen_range(20..=35);
                if young < g.today.year() && g.rng.gen_bool(0.8) {
                    let male = g.rng.gen_bool(0.52);
                    let b = NaiveDate::from_ymd_opt(
                        young,
                        g.rng.gen_range(1..=12),
                        g.rng.gen_range(1..=28),
                    )
                    .unwrap_or(head_birth);
                    if b < g.today {
                        members.push((name(&mut g.rng, surname, male), b, male, "child"));
                        continue;
                    }
                }
                let pb = NaiveDate::from_ymd_opt(
                    (head_birth.year() - g.rng.gen_range(22..=32)).max(1920),
                    g.rng.gen_range(1..=12),
                    g.rng.gen_range(1..=28),
                )
                .unwrap_or(head_birth);
                let male = g.rng.gen_bool(0.4);
                members.push((name(&mut g.rng, surname, male), pb, male, "parent"));
            }
            for (n, birth, male, relation) in members {
                // The last household of a village is cut at the village's share, so the county
                // gets the number of residents asked for (the head always comes first).
                if people.len() - start >= target.max(1) {
                    break;
                }
                let Some(idn) = g.id(birth, male) else {
                    continue;
                };
                let Ok(info) = parse_id(&idn, g.today) else {
                    continue;
                };
                let age = crate::people::idnum::age_on(birth, g.today);
                let phone = (age >= 16 && g.rng.gen_bool(0.75)).then(|| g.phone());
                let adult = age >= 18;
                let party = adult && g.rng.gen_bool(0.07);
                let rep = adult && relation == "head" && g.rng.gen_bool(0.08);
                people.push(ValidPerson {
                    name: n,
                    id: info,
                    phone,
                    area_code: group.clone(),
                    grid_code: Some(grid.clone()),
                    household_number: number.clone(),
                    address: address.clone(),
                    relation,
                    flags: [party, rep, false, false],
                });
            }
        }
        // Village cadres (村两委, 5) and supervisors (监督委员会, 3): adults with phones.
        let adults: Vec<usize> = (start..people.len())
            .filter(|&i| {
                people[i].phone.is_some()
                    && crate::people::idnum::age_on(people[i].id.birth, g.today) >= 25
            })
            .collect();
        for (k, &i) in adults.iter().take(8).enumerate() {
            if k < 5 {
                people[i].flags[2] = true;
                people[i].flags[0] = true;
            } else {
                people[i].flags[3] = true;
            }
        }
        if vi == 0 {
            first_village_people = (start..people.len()).collect();
        }
        let _ = vcode;
    }
    // Encrypt on a worker thread while the previous chunk is written.
    let written =
        bulk_insert_pipelined(&mut tx, &core.keys, people.clone(), HashMap::new(), now).await?;
    audit::record(
        &mut tx,
        &system,
        Entry::new("demo.generate", "county", COUNTY_CODE)
            .area(COUNTY_CODE)
            .detail(format!(
                "seed {seed}: {} areas, {households} households, {written} residents",
                areas.len()
            )),
    )
    .await?;
    tx.commit().await?;
    {
        let mut conn = core.db.write.acquire().await?;
        crate::db::bulk_cache(&mut conn, core.db.backend, false).await?;
    }

    // Logins: one per role per level (and a second village's cadre for comparison).
    let mut os = rand::rngs::OsRng;
    let v1 = &villages[0];
    let v2 = &villages[1];
    let township1 = format!("{}000", &v1.0[..9]);
    // The villager's login is someone who holds no office in the village (neither cadre nor
    // supervisor), a household head with a phone where there is one.
    let plain = |i: usize| !people[i].flags[2] && !people[i].flags[3];
    let villager_idx = first_village_people
        .iter()
        .copied()
        .find(|&i| people[i].phone.is_some() && people[i].relation == "head" && plain(i))
        .or_else(|| first_village_people.iter().copied().find(|&i| plain(i)))
        .unwrap_or(0);
    let cadre_idx = first_village_people
        .iter()
        .copied()
        .find(|&i| people[i].flags[2]);
    let supervisor_idx = first_village_people
        .iter()
        .copied()
        .find(|&i| people[i].flags[3]);
    let person_id_of = |i: usize| {
        let p = &people[i];
        core.keys
            .blind_index(crate::people::service::BIDX_ID, &p.id.number)
    };
    let specs: Vec<(String, String, Role, String, Option<usize>)> = vec![
        (
            people[villager_idx]
                .phone
                .clone()
                .unwrap_or_else(|| "villager".into()),
            people[villager_idx].name.clone(),
            Role::Villager,
            v1.0.clone(),
            Some(villager_idx),
        ),
        (
            "grid_worker".into(),
            "网格员（演示）".into(),
            Role::GridWorker,
            v1.3[0].clone(),
            None,
        ),
        (
            "village_cadre".into(),
            "村干部（演示）".into(),
            Role::VillageCadre,
            v1.0.clone(),
            cadre_idx,
        ),
        (
            "village_cadre2".into(),
            "另一村干部（演示）".into(),
            Role::VillageCadre,
            v2.0.clone(),
            None,
        ),
        (
            "village_supervisor".into(),
            "监督委员（演示）".into(),
            Role::VillageSupervisor,
            v1.0.clone(),
            supervisor_idx,
        ),
        (
            "township_staff".into(),
            "乡镇干部（演示）".into(),
            Role::TownshipStaff,
            township1,
            None,
        ),
        (
            "county_staff".into(),
            "县级干部（演示）".into(),
            Role::CountyStaff,
            COUNTY_CODE.into(),
            None,
        ),
        (
            "sysadmin".into(),
            "系统管理员".into(),
            Role::SystemAdmin,
            COUNTY_CODE.into(),
            None,
        ),
        (
            "secadmin".into(),
            "安全管理员".into(),
            Role::SecurityAdmin,
            COUNTY_CODE.into(),
            None,
        ),
        (
            "auditadmin".into(),
            "审计管理员".into(),
            Role::AuditAdmin,
            COUNTY_CODE.into(),
            None,
        ),
        (
            "tip_officer".into(),
            "线索专员（演示）".into(),
            Role::TipOfficer,
            COUNTY_CODE.into(),
            None,
        ),
    ];
    let mut accounts_out = Vec::new();
    let mut tx = core.db.write.begin().await?;
    for (username, display, role, area_code, person_idx) in specs {
        let password = random_password(&mut os);
        let hash = accounts::hash_password(&password).await?;
        let id = clock::new_id();
        let person_id = match person_idx {
            Some(i) => {
                crate::people::store::find_by_bidx(&mut tx, COUNTY_CODE, &person_id_of(i)).await?
            }
            None => None,
        };
        let display = match person_idx {
            Some(i) if role == Role::Villager => people[i].name.clone(),
            _ => display,
        };
        let totp_secret: Option<[u8; 20]> = role.requires_totp().then(|| os.gen());
        acc_store::insert_user(
            &mut tx,
            &acc_store::UserRow {
                id: id.clone(),
                county_code: COUNTY_CODE.into(),
                username: username.clone(),
                display_name: display,
                person_id,
                password_hash: hash,
                totp_enc: totp_secret
                    .map(|s| core.keys.encrypt(&s, format!("user:{id}:totp").as_bytes())),
                status: "active".into(),
                proxy_only: false,
                failed_logins: 0,
                locked_until: 0,
            },
            now,
        )
        .await?;
        acc_store::insert_grant(&mut tx, &id, role, &area_code, None, now).await?;
        audit::record(
            &mut tx,
            &system,
            Entry::new("user.create", "user", &id)
                .area(&area_code)
                .detail(format!("demo login {} ({})", username, role.as_str())),
        )
        .await?;
        accounts_out.push(DemoAccount {
            username,
            password,
            role: role.as_str().into(),
            area_code,
            totp_secret: totp_secret.map(|s| accounts::rules::totp_base32(&s)),
        });
    }
    tx.commit().await?;
    let case_villages: Vec<(String, Vec<String>)> = villages
        .iter()
        .map(|(code, _, _, grids)| (code.clone(), grids.clone()))
        .collect();
    let cases = crate::cases::demo::seed(
        core,
        COUNTY_CODE,
        &case_villages,
        (written / 10).max(2000),
        seed,
    )
    .await?;
    let named: Vec<(String, String)> = villages
        .iter()
        .map(|(code, name, _, _)| (code.clone(), name.clone()))
        .collect();
    // Meetings need villagers on their rosters: a county generated without residents (the
    // import benchmark fills it from a ledger) has no decisions to show.
    if residents > 0 {
        crate::deliberation::demo::seed(core, COUNTY_CODE, &named, seed).await?;
    }
    crate::db::fold_log(&core.db).await?;
    Ok(DemoSummary {
        cases,
        townships: TOWNSHIPS.len(),
        villages: villages.len(),
        households,
        residents: written,
        accounts: accounts_out,
    })
}

/// Chinese numerals for small ordinals (一 … 十九).
pub fn zh_num(n: usize) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n].to_string(),
        10 => "十".into(),
        11..=19 => format!("十{}", D[n - 10]),
        _ => n.to_string(),
    }
}

/// A people ledger (台账) of `rows` synthetic residents for the demo county's villages, as
/// XLSX bytes with the import headings — the input of the import benchmark. ID numbers carry
/// another county's address code (people move), so they never collide with the demo's own.
pub fn ledger_xlsx(rows: usize, seed: u64) -> anyhow::Result<Vec<u8>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let today = clock::today();
    let mut seqs: HashMap<(NaiveDate, bool), u16> = HashMap::new();
    let mut data = Vec::with_capacity(rows);
    let mut i = 0usize;
    let mut household = 0usize;
    while data.len() < rows {
        household += 1;
        let (tcode, _) = TOWNSHIPS[household % TOWNSHIPS.len()];
        let village = format!(
            "{}{}{}",
            &COUNTY_CODE[..6],
            tcode,
            201 + (household / TOWNSHIPS.len()) % 15
        );
        let group = format!("{village}{:02}", 1 + household % 3);
        let surname = pick_surname(&mut rng);
        let size = rng.gen_range(1..=5usize);
        for m in 0..size {
            if data.len() >= rows {
                break;
            }
            i += 1;
            let male = rng.gen_bool(0.5);
            let age = rng.gen_range(1..=90);
            let birth =
                NaiveDate::from_yo_opt(today.year() - age, rng.gen_range(1..=365)).unwrap_or(today);
            let n = seqs.entry((birth, male)).or_insert(0);
            if *n >= 499 {
                continue;
            }
            let seq = *n * 2 + u16::from(male);
            *n += 1;
            let id = make_id("110105", birth, seq);
            let phone = if rng.gen_bool(0.6) {
                format!("13{:09}", 100_000_000 + i)
            } else {
                String::new()
            };
            data.push(vec![
                name(&mut rng, surname, male),
                id,
                phone,
                group.clone(),
                String::new(),
                format!("B{household:06}"),
                if m == 0 { "户主" } else { "子女" }.to_string(),
                format!("新村{}号", household % 300),
                if rng.gen_bool(0.07) { "是" } else { "" }.to_string(),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
    }
    crate::tabular::write_xlsx("人口台账", crate::people::xlsx::HEADER, &data)
}
