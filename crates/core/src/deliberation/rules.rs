//! Pure rules of village decisions: quorum and majority as integer arithmetic (spec §0.3),
//! the strictest applicable rule (R-MAJ-1), notice periods, and the 四议两公开 state machine
//! (R-4Y2G-1..5). No clock, no I/O: times come in as arguments.

use super::model::*;

const DAY_MS: i64 = 86_400_000;

impl Ratio {
    pub const fn new(num: i64, den: i64, base: Base, inclusive: bool) -> Ratio {
        Ratio {
            num,
            den,
            base,
            inclusive,
        }
    }

    /// Whether `x` out of `n` meets the ratio.
    pub fn holds(&self, x: i64, n: i64) -> bool {
        if self.inclusive {
            self.den * x >= self.num * n
        } else {
            self.den * x > self.num * n
        }
    }

    /// The fewest `x` out of `n` that meets the ratio.
    pub fn min_count(&self, n: i64) -> i64 {
        let p = self.num * n;
        if self.inclusive {
            (p + self.den - 1).div_euclid(self.den)
        } else {
            p.div_euclid(self.den) + 1
        }
    }

    /// "过半数", "三分之二以上" … as people say it.
    pub fn phrase_zh(&self) -> String {
        let base = match self.base {
            Base::Members => "全体成员",
            Base::Attendees => "到会人员",
            Base::Households => "户",
        };
        let frac = match (self.num, self.den, self.inclusive) {
            (1, 2, false) => "过半数".to_string(),
            (1, 2, true) => "半数以上".to_string(),
            (n, d, true) => format!("{}分之{}以上", zh_num(d), zh_num(n)),
            (n, d, false) => format!("超过{}分之{}", zh_num(d), zh_num(n)),
        };
        format!("{base}{frac}")
    }

    pub fn phrase_en(&self) -> String {
        let base = match self.base {
            Base::Members => "all members",
            Base::Attendees => "those present",
            Base::Households => "households",
        };
        let cmp = if self.inclusive {
            "at least"
        } else {
            "more than"
        };
        format!("{cmp} {}/{} of {base}", self.num, self.den)
    }
}

fn zh_num(n: i64) -> String {
    const D: [&str; 11] = [
        "零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
    ];
    usize::try_from(n)
        .ok()
        .and_then(|i| D.get(i))
        .map_or_else(|| n.to_string(), |s| (*s).to_string())
}

/// The counts a vote is judged on; roster sizes are those frozen at convening.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub members: i64,
    pub households: i64,
    pub attendees: i64,
    pub households_present: i64,
    pub yes: i64,
}

fn of(base: Base, c: &Counts) -> (i64, i64) {
    match base {
        Base::Members => (c.attendees, c.members),
        Base::Households => (c.households_present, c.households),
        Base::Attendees => (c.attendees, c.attendees),
    }
}

/// The total a pass ratio is taken against.
fn pass_total(base: Base, c: &Counts) -> i64 {
    match base {
        Base::Members => c.members,
        Base::Attendees => c.attendees,
        Base::Households => c.households,
    }
}

/// Evaluate one rule.
pub fn check(rule: &VoteRule, c: &Counts) -> RuleCheck {
    let quorum_needed: Vec<(Base, i64)> = rule
        .quorum
        .iter()
        .map(|q| (q.base, q.min_count(of(q.base, c).1)))
        .collect();
    let quorum_met = rule.quorum.is_empty()
        || rule.quorum.iter().any(|q| {
            let (x, n) = of(q.base, c);
            n > 0 && q.holds(x, n)
        });
    let total = pass_total(rule.pass.base, c);
    let yes_needed = rule.pass.min_count(total);
    let passed = quorum_met && total > 0 && rule.pass.holds(c.yes, total);
    RuleCheck {
        rule_id: rule.id.clone(),
        scope: rule.scope,
        label_zh: rule.label_zh.clone(),
        label_en: rule.label_en.clone(),
        source: rule.source.clone(),
        quorum_needed,
        quorum_met,
        yes_needed,
        passed,
    }
}

/// Whether `rule` covers a vote of `body` on a matter of `matter` in the county `county`.
pub fn applies(rule: &VoteRule, body: Body, matter: Option<&MatterType>, county: &str) -> bool {
    if rule.body != body || !county.starts_with(rule.area_prefix.as_str()) {
        return false;
    }
    match (&rule.applies_to, matter) {
        (AppliesTo::Any, _) => true,
        (AppliesTo::SpecialMajority, Some(m)) => m.special_majority,
        (AppliesTo::MatterType(code), Some(m)) => *code == m.code,
        _ => false,
    }
}

/// Decide a vote under every applicable rule (R-MAJ-1): it passes only if every rule holds,
/// and the rule shown is the strictest — the one that asks for the most votes in favour,
/// then the largest attendance, then the nearest scope.
pub fn decide(
    rules: &[VoteRule],
    body: Body,
    matter: Option<&MatterType>,
    county: &str,
    c: &Counts,
) -> Outcome {
    let checks: Vec<RuleCheck> = rules
        .iter()
        .filter(|r| applies(r, body, matter, county))
        .map(|r| check(r, c))
        .collect();
    let strictest = checks.iter().max_by_key(|k| {
        let attendance = k
            .quorum_needed
            .iter()
            .filter(|(b, _)| *b == Base::Members)
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0);
        (k.yes_needed, attendance, k.scope)
    });
    Outcome {
        quorum_met: !checks.is_empty() && checks.iter().all(|k| k.quorum_met),
        passed: !checks.is_empty() && checks.iter().all(|k| k.passed),
        rule_id: strictest.map(|k| k.rule_id.clone()).unwrap_or_default(),
        considered: checks,
    }
}

#[allow(clippy::too_many_arguments)]
fn rule(
    id: &str,
    body: Body,
    applies_to: AppliesTo,
    quorum: Vec<Ratio>,
    pass: Ratio,
    label_zh: &str,
    label_en: &str,
    source: &str,
) -> VoteRule {
    VoteRule {
        id: id.into(),
        scope: RuleScope::National,
        area_prefix: String::new(),
        body,
        applies_to,
        quorum,
        pass,
        label_zh: label_zh.into(),
        label_en: label_en.into(),
        source: source.into(),
    }
}

/// The national defaults (spec §3.1–§3.6, §18).
pub fn national_rules() -> Vec<VoteRule> {
    use Base::*;
    let half = |b| Ratio::new(1, 2, b, false);
    let two_thirds = |b| Ratio::new(2, 3, b, true);
    vec![
        rule(
            "national.villager_assembly",
            Body::VillagerAssembly,
            AppliesTo::Any,
            vec![half(Members), two_thirds(Households)],
            half(Attendees),
            "村民会议：本村十八周岁以上村民过半数或本村三分之二以上的户的代表参加，到会人员过半数通过",
            "Villagers' assembly: more than half of adult villagers or two thirds of households present; more than half of those present in favour",
            "〔LRB 村民委员会组织法 §22〕",
        ),
        rule(
            "national.representatives_assembly",
            Body::RepresentativesAssembly,
            AppliesTo::Any,
            vec![two_thirds(Members)],
            half(Attendees),
            "村民代表会议：三分之二以上组成人员参加，到会人员过半数同意",
            "Representatives' assembly: two thirds of members present; more than half of those present in favour",
            "〔LRB 村民委员会组织法 §26〕",
        ),
        rule(
            "national.group_meeting",
            Body::GroupMeeting,
            AppliesTo::Any,
            vec![two_thirds(Members), two_thirds(Households)],
            half(Attendees),
            "村民小组会议：三分之二以上成年村民或三分之二以上户的代表参加，到会人员过半数同意",
            "Group meeting: two thirds of adults or of households present; more than half of those present in favour",
            "〔LRB 村民委员会组织法 §28〕",
        ),
        rule(
            "national.party_members",
            Body::PartyMembers,
            AppliesTo::Any,
            vec![two_thirds(Members)],
            half(Members),
            "党员大会审议：应到会党员三分之二以上到会，超过应到会党员半数赞成",
            "Party members' meeting: two thirds of members present; more than half of all members in favour",
            "〔P tunchang.fytlaw.com; L〕",
        ),
        rule(
            "national.two_committees",
            Body::TwoCommittees,
            AppliesTo::Any,
            vec![half(Members)],
            half(Attendees),
            "两委联席会议：过半数成员到会，到会人员过半数同意（少数服从多数）",
            "Joint meeting of the two committees: more than half present; more than half of those present in favour",
            "〔P tunchang.fytlaw.com; M〕",
        ),
        rule(
            "national.branch_committee",
            Body::BranchCommittee,
            AppliesTo::Any,
            vec![half(Members)],
            half(Members),
            "支部委员会：过半数委员到会，超过应到会委员半数同意",
            "Branch committee: more than half present; more than half of all members in favour",
            "〔M 中国共产党农村基层组织工作条例〕",
        ),
        rule(
            "national.collective_members",
            Body::CollectiveMembers,
            AppliesTo::Any,
            vec![two_thirds(Members)],
            two_thirds(Members),
            "集体经济组织成员大会：三分之二以上成员参加，经全体成员三分之二以上同意",
            "Members' meeting of the collective: two thirds present; two thirds of all members in favour",
            "〔LRB 农村集体经济组织法 §27〕",
        ),
        rule(
            "national.special.villager_assembly",
            Body::VillagerAssembly,
            AppliesTo::SpecialMajority,
            vec![half(Members), two_thirds(Households)],
            two_thirds(Members),
            "特别多数：须经本集体经济组织成员的村民会议三分之二以上成员同意",
            "Special majority: two thirds of all members of the villagers' assembly in favour",
            "〔LRB 农村土地承包法 §19、§52；土地管理法 §63〕",
        ),
        rule(
            "national.special.representatives_assembly",
            Body::RepresentativesAssembly,
            AppliesTo::SpecialMajority,
            vec![two_thirds(Members)],
            two_thirds(Members),
            "特别多数：须经三分之二以上村民代表同意",
            "Special majority: two thirds of all representatives in favour",
            "〔LRB 农村土地承包法 §19、§52；土地管理法 §63〕",
        ),
    ]
}

fn mt(code: &str, zh: &str, en: &str, flags: [bool; 5], basis: &str) -> MatterType {
    MatterType {
        code: code.into(),
        name_zh: zh.into(),
        name_en: en.into(),
        requires_assembly: flags[0],
        special_majority: flags[1],
        requires_four_deliberations: flags[2],
        requires_public_bidding: flags[3],
        assembly_only: flags[4],
        legal_basis: basis.into(),
    }
}

/// The national list of matter types (§3.4, §3.6); a county may add types and switch
/// flags on, never off.
pub fn national_matter_types() -> Vec<MatterType> {
    // [assembly, special, four deliberations, bidding, assembly only]
    vec![
        mt(
            "allowance",
            "误工补贴人员及补贴标准",
            "Allowances for lost work",
            [true, false, true, false, false],
            "〔LRB 组织法 §24(一)〕",
        ),
        mt(
            "income_use",
            "集体经济所得收益的使用",
            "Use of collective income",
            [true, false, true, false, false],
            "〔LRB 组织法 §24(二)〕",
        ),
        mt(
            "public_welfare_levy",
            "公益事业兴办和筹资筹劳方案（一事一议）",
            "Public-welfare project and levy plan",
            [true, false, true, true, false],
            "〔LRB 组织法 §24(三)、§37〕",
        ),
        mt(
            "land_contracting",
            "土地承包经营方案",
            "Land contracting plan",
            [true, true, true, false, false],
            "〔LRB 组织法 §24(四)；农村土地承包法 §19〕",
        ),
        mt(
            "collective_project",
            "集体经济项目立项、承包方案",
            "Collective economic project",
            [true, false, true, true, false],
            "〔LRB 组织法 §24(五)〕",
        ),
        mt(
            "homestead",
            "宅基地使用方案",
            "Homestead allocation plan",
            [true, false, true, false, false],
            "〔LRB 组织法 §24(六)〕",
        ),
        mt(
            "land_compensation",
            "征地补偿费的使用、分配方案",
            "Use of land compensation",
            [true, false, true, false, false],
            "〔LRB 组织法 §24(七)；民法典 §261〕",
        ),
        mt(
            "property_disposal",
            "借贷、租赁或以其他方式处分集体财产",
            "Loans, leases or disposal of collective property",
            [true, false, true, true, false],
            "〔LRB 组织法 §24(八)〕",
        ),
        mt(
            "outsider_contracting",
            "发包给本集体经济组织以外的单位或个人",
            "Contracting land to outsiders",
            [true, true, true, true, false],
            "〔LRB 农村土地承包法 §52〕",
        ),
        mt(
            "construction_land",
            "集体经营性建设用地出让、出租",
            "Leasing collective construction land",
            [true, true, true, true, false],
            "〔LRB 土地管理法 §63〕",
        ),
        mt(
            "bylaw",
            "村规民约、村民自治章程的制定和修改",
            "Village bylaws and charter",
            [true, false, true, false, true],
            "〔LRB 组织法 §27〕",
        ),
        mt(
            "other_major",
            "其他涉及村民利益的重大事项",
            "Other matters of general concern",
            [true, false, true, false, false],
            "〔LRB 组织法 §24(九)〕",
        ),
        mt(
            "routine",
            "一般村务",
            "Routine village business",
            [false, false, false, false, false],
            "〔M〕",
        ),
    ]
}

/// A county's change to a matter type may add duties, never remove national ones (§18).
pub fn may_replace_type(national: Option<&MatterType>, new: &MatterType) -> bool {
    match national {
        None => true,
        Some(n) => {
            (new.requires_assembly || !n.requires_assembly)
                && (new.special_majority || !n.special_majority)
                && (new.requires_four_deliberations || !n.requires_four_deliberations)
                && (new.requires_public_bidding || !n.requires_public_bidding)
                && (new.assembly_only || !n.assembly_only)
        }
    }
}

/// Notice check at convening: the meeting must be at least the floor (national plus the
/// county's extra days) after the notice.
pub fn notice_ok(body: Body, settings: &Settings, convened_at: i64, scheduled_at: i64) -> bool {
    let days = body.national_notice_days();
    if days == 0 {
        return scheduled_at >= convened_at - DAY_MS;
    }
    scheduled_at - convened_at >= (days + settings.extra_notice_days.max(0)) * DAY_MS
}

/// The step a vote of `body` takes a matter to, from where it stands (R-4Y2G-1).
/// Returns the new stage and the steps it records, or the reason it cannot.
pub fn step_for_vote(
    stage: Stage,
    body: Body,
    mt: &MatterType,
    settings: &Settings,
) -> Result<(Stage, Vec<u8>), &'static str> {
    if !mt.requires_four_deliberations {
        // A matter outside 四议两公开 goes straight to the deciding body.
        return match (stage, body.resolves()) {
            (Stage::Draft, true) => Ok((Stage::Resolved, vec![4])),
            (Stage::Draft, false) => Err("wrong_body"),
            _ => Err("step_out_of_order"),
        };
    }
    match (stage, body) {
        (Stage::Draft, Body::BranchCommittee) => Ok((Stage::Proposed, vec![1])),
        (Stage::Draft, Body::TwoCommittees) if settings.allow_merge_first_steps => {
            Ok((Stage::Deliberated, vec![1, 2]))
        }
        (Stage::Proposed, Body::TwoCommittees) => Ok((Stage::Deliberated, vec![2])),
        (Stage::Deliberated, Body::PartyMembers) => Ok((Stage::Reviewed, vec![3])),
        (Stage::Reviewed, b) if b.resolves() => Ok((Stage::Resolved, vec![4])),
        (Stage::Draft | Stage::Proposed | Stage::Deliberated | Stage::Reviewed, _) => {
            Err("step_out_of_order")
        }
        _ => Err("matter_not_open"),
    }
}

/// Whether `body` may decide a matter of type `mt` at step 4 (R-VRA-AUTH, §3.8).
pub fn body_may_resolve(
    body: Body,
    mt: &MatterType,
    authorisation: Option<&str>,
) -> Result<(), &'static str> {
    if !body.resolves() {
        return Ok(());
    }
    if mt.assembly_only && body != Body::VillagerAssembly {
        return Err("assembly_only");
    }
    if mt.requires_assembly
        && body == Body::RepresentativesAssembly
        && authorisation.is_none_or(|a| a.trim().is_empty())
    {
        return Err("authorisation_required");
    }
    Ok(())
}

/// The text fingerprint compared between steps 3 and 4 (R-4Y2G-3).
pub fn text_hash(title: &str, body: &str) -> String {
    crate::crypto::sm3_hex(format!("{}\n{}", title.trim(), body.trim()).as_bytes())
}

/// Whether a matter may now be paid, contracted or tendered (R-4Y2G-4): decided by the
/// villagers, or under an emergency whose ratification is not yet overdue.
pub fn clearance(m: &Matter, mt: &MatterType, now: i64) -> Result<(), &'static str> {
    if m.stage.is_decided() {
        return Ok(());
    }
    if matches!(m.stage, Stage::Rejected | Stage::Withdrawn) {
        return Err("matter_rejected");
    }
    if m.emergency && m.ratify_by.is_some_and(|t| now <= t) {
        return Ok(());
    }
    if m.emergency {
        return Err("ratification_overdue");
    }
    if !mt.requires_four_deliberations && !mt.requires_assembly {
        return Ok(());
    }
    Err("not_resolved")
}

/// Alerts a matter raises at `now`: publication deadlines and overdue ratification.
pub fn matter_alerts(m: &Matter, now: i64) -> Vec<&'static str> {
    let mut v = Vec::new();
    if m.stage == Stage::Resolved && m.resolution_due.is_some_and(|d| now > d) {
        v.push("resolution_unpublished");
    }
    if m.stage == Stage::Completed && m.result_due.is_some_and(|d| now > d) {
        v.push("result_unpublished");
    }
    if m.emergency && !m.stage.is_decided() && m.ratify_by.is_some_and(|d| now > d) {
        v.push("ratification_overdue");
    }
    v
}

/// The quarter (year, 1..=4) that ends before the quarter containing `date`.
pub fn previous_quarter(year: i32, month: u32) -> (i32, u32) {
    let q = (month - 1) / 3 + 1;
    if q == 1 {
        (year - 1, 4)
    } else {
        (year, q - 1)
    }
}

/// Clean free text: trimmed, control characters dropped except newlines.
pub fn clean(s: &str) -> String {
    s.trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn counts(members: i64, households: i64, attendees: i64, hp: i64, yes: i64) -> Counts {
        Counts {
            members,
            households,
            attendees,
            households_present: hp,
            yes,
        }
    }

    #[test]
    fn ratios_are_exact_at_the_boundary() {
        let half = Ratio::new(1, 2, Base::Attendees, false);
        assert!(!half.holds(5, 10), "过半数 is strict");
        assert!(half.holds(6, 10));
        assert_eq!(half.min_count(10), 6);
        assert_eq!(half.min_count(9), 5);
        let tt = Ratio::new(2, 3, Base::Members, true);
        assert!(tt.holds(2, 3), "三分之二以上 includes the number");
        assert!(tt.holds(20, 30));
        assert!(!tt.holds(19, 30));
        assert_eq!(tt.min_count(30), 20);
        assert_eq!(tt.min_count(31), 21);
        assert_eq!(Ratio::new(1, 2, Base::Members, true).min_count(10), 5);
        assert_eq!(tt.phrase_zh(), "全体成员三分之二以上");
        assert_eq!(half.phrase_zh(), "到会人员过半数");
    }

    #[test]
    fn villager_assembly_quorum_by_adults_or_households() {
        let rules = national_rules();
        // 200 adults, 90 households; 100 attend (not over half) but from 60 households (2/3).
        let o = decide(
            &rules,
            Body::VillagerAssembly,
            None,
            "130123",
            &counts(200, 90, 100, 60, 51),
        );
        assert!(o.quorum_met && o.passed, "{o:?}");
        let o = decide(
            &rules,
            Body::VillagerAssembly,
            None,
            "130123",
            &counts(200, 90, 100, 59, 51),
        );
        assert!(!o.quorum_met && !o.passed);
        // 101 adults is over half.
        let o = decide(
            &rules,
            Body::VillagerAssembly,
            None,
            "130123",
            &counts(200, 90, 101, 10, 50),
        );
        assert!(o.quorum_met && !o.passed, "50 of 101 is not more than half");
    }

    #[test]
    fn the_strictest_rule_is_chosen_and_all_must_hold() {
        let mut rules = national_rules();
        let land = national_matter_types()
            .into_iter()
            .find(|m| m.code == "land_contracting")
            .unwrap();
        // 30 representatives, 24 present, 16 in favour: a majority of those present but not
        // two thirds of all (20).
        let c = counts(30, 30, 24, 24, 16);
        let o = decide(
            &rules,
            Body::RepresentativesAssembly,
            Some(&land),
            "130123",
            &c,
        );
        assert!(o.quorum_met);
        assert!(!o.passed);
        assert_eq!(o.rule_id, "national.special.representatives_assembly");
        assert_eq!(o.considered.len(), 2);
        let o = decide(
            &rules,
            Body::RepresentativesAssembly,
            Some(&land),
            "130123",
            &counts(30, 30, 24, 24, 20),
        );
        assert!(o.passed);
        // A provincial rule for levy plans: four fifths present, two thirds of all in favour.
        let levy = national_matter_types()
            .into_iter()
            .find(|m| m.code == "public_welfare_levy")
            .unwrap();
        rules.push(VoteRule {
            id: "13.levy".into(),
            scope: RuleScope::Province,
            area_prefix: "13".into(),
            body: Body::RepresentativesAssembly,
            applies_to: AppliesTo::MatterType("public_welfare_levy".into()),
            quorum: vec![Ratio::new(4, 5, Base::Members, true)],
            pass: Ratio::new(2, 3, Base::Members, true),
            label_zh: "省办法".into(),
            label_en: "province".into(),
            source: "〔P〕".into(),
        });
        let o = decide(
            &rules,
            Body::RepresentativesAssembly,
            Some(&levy),
            "130123",
            &counts(30, 30, 23, 23, 20),
        );
        assert!(!o.quorum_met, "23 < 24 = four fifths of 30");
        assert_eq!(o.rule_id, "13.levy");
        let o = decide(
            &rules,
            Body::RepresentativesAssembly,
            Some(&levy),
            "130123",
            &counts(30, 30, 24, 24, 20),
        );
        assert!(o.passed);
        // Not in another province.
        let o = decide(
            &rules,
            Body::RepresentativesAssembly,
            Some(&levy),
            "410123",
            &counts(30, 30, 21, 21, 11),
        );
        assert!(o.passed);
        assert_eq!(o.rule_id, "national.representatives_assembly");
    }

    #[test]
    fn six_steps_in_order_only() {
        let s = Settings::default();
        let mt = national_matter_types()
            .into_iter()
            .find(|m| m.code == "collective_project")
            .unwrap();
        assert_eq!(
            step_for_vote(Stage::Draft, Body::BranchCommittee, &mt, &s).unwrap(),
            (Stage::Proposed, vec![1])
        );
        assert_eq!(
            step_for_vote(Stage::Draft, Body::PartyMembers, &mt, &s),
            Err("step_out_of_order")
        );
        assert_eq!(
            step_for_vote(Stage::Draft, Body::VillagerAssembly, &mt, &s),
            Err("step_out_of_order")
        );
        assert_eq!(
            step_for_vote(Stage::Draft, Body::TwoCommittees, &mt, &s).unwrap(),
            (Stage::Deliberated, vec![1, 2])
        );
        let strict = Settings {
            allow_merge_first_steps: false,
            ..Settings::default()
        };
        assert!(step_for_vote(Stage::Draft, Body::TwoCommittees, &mt, &strict).is_err());
        assert_eq!(
            step_for_vote(Stage::Deliberated, Body::PartyMembers, &mt, &s)
                .unwrap()
                .0,
            Stage::Reviewed
        );
        assert_eq!(
            step_for_vote(Stage::Reviewed, Body::RepresentativesAssembly, &mt, &s)
                .unwrap()
                .0,
            Stage::Resolved
        );
        assert_eq!(
            step_for_vote(Stage::Resolved, Body::VillagerAssembly, &mt, &s),
            Err("matter_not_open")
        );
        let bylaw = national_matter_types()
            .into_iter()
            .find(|m| m.code == "bylaw")
            .unwrap();
        assert_eq!(
            body_may_resolve(Body::RepresentativesAssembly, &bylaw, Some("R-1")),
            Err("assembly_only")
        );
        assert_eq!(
            body_may_resolve(Body::RepresentativesAssembly, &mt, None),
            Err("authorisation_required")
        );
        assert!(
            body_may_resolve(Body::RepresentativesAssembly, &mt, Some("2024-村民会议-3")).is_ok()
        );
    }

    #[test]
    fn notice_periods() {
        let s = Settings::default();
        let t0 = 1_700_000_000_000;
        assert!(notice_ok(Body::VillagerAssembly, &s, t0, t0 + 10 * DAY_MS));
        assert!(!notice_ok(
            Body::VillagerAssembly,
            &s,
            t0,
            t0 + 10 * DAY_MS - 1
        ));
        assert!(notice_ok(Body::TwoCommittees, &s, t0, t0));
        let more = Settings {
            extra_notice_days: 2,
            ..Settings::default()
        };
        assert!(!notice_ok(
            Body::VillagerAssembly,
            &more,
            t0,
            t0 + 11 * DAY_MS
        ));
    }

    #[test]
    fn counties_add_duties_only() {
        let n = national_matter_types();
        let land = n.iter().find(|m| m.code == "land_contracting").unwrap();
        let mut weaker = land.clone();
        weaker.special_majority = false;
        assert!(!may_replace_type(Some(land), &weaker));
        let mut stronger = land.clone();
        stronger.requires_public_bidding = true;
        assert!(may_replace_type(Some(land), &stronger));
    }
}
