//! The disclosure of a levy plan's collection and use (R-YSYY-8; 〔LRB 山东村务公开条例
//! §7(八)〕): pure text built from the plan and its roll, in Chinese. Heads' names and
//! amounts only: no ID numbers, phones or addresses.

use super::rules::{project_kind_zh, HouseholdAccount};

/// Cents as yuan with two decimals: `123456` → `1234.56`.
pub fn yuan(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// What the disclosure needs of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosurePlan<'a> {
    pub village_name: &'a str,
    pub title: &'a str,
    pub project_kind: &'a str,
    pub year: i32,
    pub budget_cents: i64,
    pub per_person_cents: i64,
    pub workdays_per_labourer: i64,
    pub resolution_matter_id: Option<&'a str>,
}

/// One household's line in the disclosure: the head's name and the amounts only (no ID
/// numbers, phones or addresses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureLine<'a> {
    pub head_name: &'a str,
    pub persons_liable: i64,
    pub labourers_liable: i64,
    pub account: &'a HouseholdAccount,
}

/// The disclosure of collection and use (R-YSYY-8; 〔LRB 山东村务公开条例 §7(八)〕): title and
/// body in Chinese.
pub fn disclosure_text(
    plan: &DisclosurePlan<'_>,
    lines: &[DisclosureLine<'_>],
    subsidy_received_cents: i64,
) -> (String, String) {
    let title = format!(
        "{}{}年“一事一议”筹资筹劳收取及使用情况公开（{}）",
        plan.village_name, plan.year, plan.title
    );
    let mut body = String::new();
    body.push_str(&format!(
        "项目名称：{}\n项目类别：{}\n项目预算：{} 元\n筹资标准：每人 {} 元；筹劳标准：每个劳动力 {} 个标准工日\n",
        plan.title,
        project_kind_zh(plan.project_kind),
        yuan(plan.budget_cents),
        yuan(plan.per_person_cents),
        plan.workdays_per_labourer
    ));
    if let Some(m) = plan.resolution_matter_id {
        body.push_str(&format!("决议事项编号：{m}\n"));
    }
    body.push_str("\n各户筹资筹劳情况（户主姓名｜筹资人数｜劳动力数｜应筹资｜以资代劳｜已缴｜应出工日｜已出工日）：\n");
    let mut due = 0i64;
    let mut cash_for_labour = 0i64;
    let mut paid = 0i64;
    let mut workdays = 0i64;
    let mut worked = 0i64;
    for l in lines {
        let a = l.account;
        body.push_str(&format!(
            "{}｜{}｜{}｜{} 元｜{} 元｜{} 元｜{}｜{}\n",
            l.head_name,
            l.persons_liable,
            l.labourers_liable,
            yuan(a.amount_cents),
            yuan(a.cash_for_labour_cents),
            yuan(a.paid_cents),
            a.workdays,
            a.worked_days
        ));
        due += a.amount_cents;
        cash_for_labour += a.cash_for_labour_cents;
        paid += a.paid_cents;
        workdays += a.workdays;
        worked += a.worked_days;
    }
    body.push_str(&format!(
        "\n合计：应筹资 {} 元，以资代劳 {} 元，实收 {} 元；应出工 {} 个标准工日，实出工 {} 个标准工日。\n",
        yuan(due),
        yuan(cash_for_labour),
        yuan(paid),
        workdays,
        worked
    ));
    body.push_str(&format!(
        "获得财政奖补资金：{} 元。\n所筹资金专款专用，村民如有疑问可向村务监督委员会反映。",
        yuan(subsidy_received_cents)
    ));
    (title, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_formatting() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(123456), "1234.56");
        assert_eq!(yuan(-150), "-1.50");
    }

    #[test]
    fn disclosure_has_names_amounts_and_totals_only() {
        let a1 = HouseholdAccount {
            amount_cents: 4500,
            workdays: 20,
            paid_cents: 4500,
            worked_days: 10,
            ..HouseholdAccount::default()
        };
        let a2 = HouseholdAccount {
            amount_cents: 1500,
            workdays: 10,
            cash_for_labour_days: 10,
            cash_for_labour_cents: 100000,
            paid_cents: 101500,
            ..HouseholdAccount::default()
        };
        let p = DisclosurePlan {
            village_name: "张家庄村",
            title: "村东道路硬化",
            project_kind: "village_road",
            year: 2025,
            budget_cents: 5_000_000,
            per_person_cents: 1500,
            workdays_per_labourer: 10,
            resolution_matter_id: Some("m-1"),
        };
        let (title, body) = disclosure_text(
            &p,
            &[
                DisclosureLine {
                    head_name: "张三",
                    persons_liable: 3,
                    labourers_liable: 2,
                    account: &a1,
                },
                DisclosureLine {
                    head_name: "李四",
                    persons_liable: 1,
                    labourers_liable: 1,
                    account: &a2,
                },
            ],
            106000,
        );
        assert!(title.contains("张家庄村2025年"), "{title}");
        assert!(
            body.contains("张三｜3｜2｜45.00 元｜0.00 元｜45.00 元｜20｜10"),
            "{body}"
        );
        assert!(body.contains("实收 1060.00 元"), "{body}");
        assert!(body.contains("以资代劳 1000.00 元"), "{body}");
        assert!(body.contains("获得财政奖补资金：1060.00 元"), "{body}");
        assert!(body.contains("村内道路修建及维护"));
    }
}
