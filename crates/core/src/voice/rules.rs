//! Pure rules of villagers' voice (`domain-spec.md` §3.8): suggestions (村民说事) and their
//! answer deadline, consultative polls, and the review of bylaws (村规民约) for clauses that
//! would take away a statutory entitlement (R-CV-1). Time is passed in.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// Milliseconds in a calendar day ("日" = calendar days, §0.3).
const DAY_MS: i64 = 24 * 3600 * 1000;

/// County settings of the voice slice (CONFIG).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceSettings {
    /// Calendar days within which a suggestion must be answered (default 7 〔L〕).
    pub answer_days: i64,
}

impl Default for VoiceSettings {
    fn default() -> Self {
        VoiceSettings { answer_days: 7 }
    }
}

/// Shortest and longest suggestion, in characters.
pub const SUGGESTION_MIN: usize = 2;
pub const SUGGESTION_MAX: usize = 2000;

/// Trim and drop control characters (newlines stay).
pub fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect::<String>()
        .trim()
        .to_string()
}

/// Check a text's length in characters; the cleaned text.
pub fn text_between(field: &str, s: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let t = clean(s);
    let n = t.chars().count();
    if n == 0 {
        Err(FieldError::new(field, "required"))
    } else if n < min {
        Err(FieldError::new(field, "too_short"))
    } else if n > max {
        Err(FieldError::new(field, "too_long"))
    } else {
        Ok(t)
    }
}

/// When a suggestion posted at `posted_at` must be answered.
pub fn answer_due(posted_at: i64, s: &VoiceSettings) -> i64 {
    posted_at + s.answer_days.max(1) * DAY_MS
}

/// The state of a suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionStatus {
    Open,
    Answered,
    Adopted,
    Declined,
}

impl SuggestionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SuggestionStatus::Open => "open",
            SuggestionStatus::Answered => "answered",
            SuggestionStatus::Adopted => "adopted",
            SuggestionStatus::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<SuggestionStatus> {
        Some(match s {
            "open" => SuggestionStatus::Open,
            "answered" => SuggestionStatus::Answered,
            "adopted" => SuggestionStatus::Adopted,
            "declined" => SuggestionStatus::Declined,
            _ => return None,
        })
    }
}

/// Whether an open suggestion is past its deadline at `now`.
pub fn is_overdue(status: SuggestionStatus, due_at: i64, now: i64) -> bool {
    status == SuggestionStatus::Open && now > due_at
}

/// A cadre's answer to a suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Answer {
    /// Answered with an explanation.
    Answered { text: String },
    /// Taken up as a deliberation matter (owned by another module).
    Adopted { matter_id: String },
    /// Not taken up; the reason is required.
    Declined { reason: String },
}

/// Validate an answer to a suggestion in `status`: (new status, text, matter id).
pub fn check_answer(
    status: SuggestionStatus,
    a: &Answer,
) -> Result<(SuggestionStatus, String, Option<String>), FieldError> {
    if status != SuggestionStatus::Open {
        return Err(FieldError::new("outcome", "suggestion_answered"));
    }
    match a {
        Answer::Answered { text } => Ok((
            SuggestionStatus::Answered,
            text_between("text", text, SUGGESTION_MIN, SUGGESTION_MAX)?,
            None,
        )),
        Answer::Adopted { matter_id } => {
            let m = matter_id.trim();
            if m.is_empty() {
                return Err(FieldError::new("matter_id", "required"));
            }
            Ok((
                SuggestionStatus::Adopted,
                String::new(),
                Some(m.to_string()),
            ))
        }
        Answer::Declined { reason } => {
            let r = clean(reason);
            if r.chars().count() < 2 {
                return Err(FieldError::new("reason", "reason_required"));
            }
            if r.chars().count() > SUGGESTION_MAX {
                return Err(FieldError::new("reason", "too_long"));
            }
            Ok((SuggestionStatus::Declined, r, None))
        }
    }
}

/// Fewest and most options of a poll.
pub const POLL_MIN_OPTIONS: usize = 2;
pub const POLL_MAX_OPTIONS: usize = 6;

/// Validate a new poll: the cleaned question and options.
pub fn check_poll(
    question: &str,
    options: &[String],
    closes_at: i64,
    now: i64,
) -> Result<(String, Vec<String>), Vec<FieldError>> {
    let mut errs = Vec::new();
    let q = text_between("question", question, 2, 500).map_err(|e| errs.push(e));
    let opts: Vec<String> = options
        .iter()
        .map(|o| clean(o))
        .filter(|o| !o.is_empty())
        .collect();
    if opts.len() < POLL_MIN_OPTIONS || opts.len() > POLL_MAX_OPTIONS {
        errs.push(FieldError::new("options", "invalid"));
    } else if opts.iter().any(|o| o.chars().count() > 100) {
        errs.push(FieldError::new("options", "too_long"));
    } else {
        let mut seen = opts.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != opts.len() {
            errs.push(FieldError::new("options", "duplicate"));
        }
    }
    if closes_at <= now {
        errs.push(FieldError::new("closes_at", "invalid"));
    }
    match q {
        Ok(q) if errs.is_empty() => Ok((q, opts)),
        _ => Err(errs),
    }
}

/// Whether a poll closing at `closes_at` still takes votes at `now`.
pub fn poll_open(closes_at: i64, now: i64) -> bool {
    now < closes_at
}

/// Count votes per option (integers; out-of-range choices are ignored).
pub fn tally(options: usize, choices: &[i64]) -> Vec<i64> {
    let mut out = vec![0i64; options];
    for &c in choices {
        if let Some(slot) = usize::try_from(c).ok().and_then(|i| out.get_mut(i)) {
            *slot += 1;
        }
    }
    out
}

// ---------------------------------------------------------------- bylaws

/// The state of a bylaw version: adopted by the assembly, filed with the township (备案),
/// then reviewed (合法性审查) 〔LRB 组织法 §27〕.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BylawStatus {
    Adopted,
    Filed,
    Approved,
    CorrectionOrdered,
}

impl BylawStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BylawStatus::Adopted => "adopted",
            BylawStatus::Filed => "filed",
            BylawStatus::Approved => "approved",
            BylawStatus::CorrectionOrdered => "correction_ordered",
        }
    }

    pub fn parse(s: &str) -> Option<BylawStatus> {
        Some(match s {
            "adopted" => BylawStatus::Adopted,
            "filed" => BylawStatus::Filed,
            "approved" => BylawStatus::Approved,
            "correction_ordered" => BylawStatus::CorrectionOrdered,
            _ => return None,
        })
    }
}

/// The township's review result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Review {
    Approved,
    CorrectionOrdered { reason: String },
}

/// Filing needs an adopted version.
pub fn check_filing(status: BylawStatus) -> Result<(), &'static str> {
    match status {
        BylawStatus::Adopted => Ok(()),
        _ => Err("invalid_transition"),
    }
}

/// Review needs a filed version; a correction order needs its reason.
pub fn check_review(status: BylawStatus, r: &Review) -> Result<BylawStatus, FieldError> {
    match status {
        BylawStatus::Adopted => return Err(FieldError::new("status", "bylaw_not_filed")),
        BylawStatus::Approved | BylawStatus::CorrectionOrdered => {
            return Err(FieldError::new("status", "bylaw_reviewed"))
        }
        BylawStatus::Filed => {}
    }
    match r {
        Review::Approved => Ok(BylawStatus::Approved),
        Review::CorrectionOrdered { reason } => {
            if clean(reason).chars().count() < 2 {
                Err(FieldError::new("reason", "reason_required"))
            } else {
                Ok(BylawStatus::CorrectionOrdered)
            }
        }
    }
}

/// A clause flagged at review: it would take away a statutory entitlement (R-CV-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlaggedClause {
    /// 1-based position of the clause in the text.
    pub number: usize,
    pub text: String,
    /// The entitlements named (低保, 宅基地 …).
    pub entitlements: Vec<String>,
    /// The deprivation words found (取消, 扣发 …).
    pub verbs: Vec<String>,
}

/// Statutory entitlements a bylaw may not deduct 〔LRB 组织法 §27; R-CV-1〕: social assistance
/// (社会救助暂行办法), subsidies, land contract rights (农村土地承包法), homestead, the right to
/// vote and stand (组织法 §13), medical assistance, pensions, and collective income shares.
const ENTITLEMENTS: &[&str] = &[
    "最低生活保障",
    "低保",
    "特困",
    "五保",
    "补贴",
    "补助",
    "救助",
    "土地承包",
    "承包地",
    "承包经营权",
    "宅基地",
    "被选举权",
    "选举权",
    "医疗救助",
    "医疗保险",
    "医保",
    "养老金",
    "养老保险",
    "集体收益分配",
    "征地补偿",
];

/// Words that take something away.
const DEPRIVATIONS: &[&str] = &[
    "取消",
    "扣除",
    "扣发",
    "扣减",
    "扣留",
    "停发",
    "停止发放",
    "暂停发放",
    "不予发放",
    "停止享受",
    "暂停享受",
    "不得享受",
    "不予享受",
    "不享受",
    "收回",
    "剥夺",
    "冻结",
];

/// Words that, just before a deprivation word, forbid it instead ("不得取消…").
const NEGATIONS: &[&str] = &[
    "不得", "不能", "不准", "禁止", "严禁", "无权", "不应", "不可",
];

fn is_cn_numeral(c: char) -> bool {
    "零〇一二三四五六七八九十百千".contains(c)
}

/// The length in bytes of a clause marker at the start of `s`, if any: 第…条, 一、, （一）,
/// 1. / 1、 / 1．
fn marker_len(s: &str) -> Option<usize> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|x| x.1);
    let end = |i: usize| chars.get(i).map_or(s.len(), |x| x.0);
    // 第…条
    if at(0) == Some('第') {
        let mut i = 1;
        while at(i).is_some_and(|c| is_cn_numeral(c) || c.is_ascii_digit()) {
            i += 1;
        }
        if i > 1 && at(i) == Some('条') {
            return Some(end(i + 1));
        }
    }
    // 一、 / 12、 / 1. / 1．
    let mut i = 0;
    while at(i).is_some_and(|c| is_cn_numeral(c) || c.is_ascii_digit()) {
        i += 1;
    }
    if i > 0 {
        let all_digits = chars[..i].iter().all(|x| x.1.is_ascii_digit());
        match at(i) {
            Some('、') => return Some(end(i + 1)),
            Some('.') | Some('．') if all_digits => return Some(end(i + 1)),
            _ => {}
        }
    }
    // （一） / (1)
    if matches!(at(0), Some('（') | Some('(')) {
        let mut i = 1;
        while at(i).is_some_and(|c| is_cn_numeral(c) || c.is_ascii_digit()) {
            i += 1;
        }
        if i > 1 && matches!(at(i), Some('）') | Some(')')) {
            return Some(end(i + 1));
        }
    }
    None
}

/// Split a bylaw into clauses: a line that starts with a clause marker (第一条, 一、, （一）,
/// 1.) begins a clause, and so does a 第…条 inside a line; other lines continue the clause
/// before them (or stand alone when none began yet). Empty lines are dropped.
pub fn split_clauses(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in text.lines() {
        // Break before every 第…条 that is not at the start of the line.
        let mut current = String::new();
        let mut rest = raw.trim();
        while !rest.is_empty() {
            // Only after the end of a sentence or a space, so that "违反第三条规定的"
            // inside a clause does not start a new one.
            let next = rest
                .char_indices()
                .skip(1)
                .find(|(i, c)| {
                    *c == '第'
                        && marker_len(&rest[*i..]).is_some()
                        && rest[..*i]
                            .chars()
                            .next_back()
                            .is_some_and(|p| matches!(p, '。' | '；' | ';' | ' ' | '　'))
                })
                .map(|(i, _)| i);
            match next {
                Some(i) => {
                    current.push_str(&rest[..i]);
                    lines.push(std::mem::take(&mut current));
                    rest = &rest[i..];
                }
                None => {
                    current.push_str(rest);
                    rest = "";
                }
            }
        }
        lines.push(current);
    }
    let mut clauses: Vec<String> = Vec::new();
    let mut open = false;
    for l in lines {
        let l = l.trim();
        if l.is_empty() {
            continue;
        }
        if marker_len(l).is_some() || !open {
            clauses.push(l.to_string());
            open = marker_len(l).is_some();
        } else if let Some(last) = clauses.last_mut() {
            last.push_str(l);
        }
    }
    clauses
}

/// Deprivation words in `sentence` that are not forbidden by a negation earlier in the same
/// comma-separated part ("任何人不得以…为由取消…" forbids, it does not deprive).
fn deprivations_in(sentence: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for v in DEPRIVATIONS {
        for (i, _) in sentence.match_indices(v) {
            let part = sentence[..i]
                .rsplit(['，', ',', '：', ':'])
                .next()
                .unwrap_or("")
                .replace("不得享受", "");
            let negated = NEGATIONS.iter().any(|n| part.contains(n));
            if !negated && !found.iter().any(|f| f == v) {
                found.push((*v).to_string());
            }
        }
    }
    found
}

/// Keep the longest of overlapping words ("被选举权" over "选举权", "医疗救助" over "救助").
fn longest_only(words: Vec<String>) -> Vec<String> {
    words
        .iter()
        .filter(|w| !words.iter().any(|o| o != *w && o.contains(w.as_str())))
        .cloned()
        .collect()
}

/// Flag the clauses that would deduct or cancel a statutory entitlement (R-CV-1): an
/// entitlement and an un-negated deprivation word in the same sentence. A clause that only
/// mentions 低保 (say, how to apply) is not flagged, nor one that forbids taking it away.
pub fn flag_clauses(text: &str) -> Vec<FlaggedClause> {
    let mut out = Vec::new();
    for (i, clause) in split_clauses(text).iter().enumerate() {
        let mut entitlements: Vec<String> = Vec::new();
        let mut verbs: Vec<String> = Vec::new();
        for sentence in clause.split(['。', '；', ';', '！', '!', '？', '?']) {
            let v = deprivations_in(sentence);
            if v.is_empty() {
                continue;
            }
            let e: Vec<&str> = ENTITLEMENTS
                .iter()
                .copied()
                .filter(|e| sentence.contains(e))
                .collect();
            if e.is_empty() {
                continue;
            }
            for e in e {
                if !entitlements.iter().any(|x| x == e) {
                    entitlements.push(e.to_string());
                }
            }
            for v in v {
                if !verbs.contains(&v) {
                    verbs.push(v);
                }
            }
        }
        if !entitlements.is_empty() {
            out.push(FlaggedClause {
                number: i + 1,
                text: clause.clone(),
                entitlements: longest_only(entitlements),
                verbs: longest_only(verbs),
            });
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn suggestion_text_length() {
        assert_eq!(
            text_between("text", " ", 2, 2000).unwrap_err().code,
            "required"
        );
        assert_eq!(
            text_between("text", "路", 2, 2000).unwrap_err().code,
            "too_short"
        );
        assert_eq!(text_between("text", "修路", 2, 2000).unwrap(), "修路");
        let long = "路".repeat(2001);
        assert_eq!(
            text_between("text", &long, 2, 2000).unwrap_err().code,
            "too_long"
        );
        assert!(text_between("text", &"路".repeat(2000), 2, 2000).is_ok());
    }

    #[test]
    fn answer_deadline_and_overdue() {
        let s = VoiceSettings::default();
        let due = answer_due(1_000, &s);
        assert_eq!(due, 1_000 + 7 * DAY_MS);
        assert!(!is_overdue(SuggestionStatus::Open, due, due));
        assert!(is_overdue(SuggestionStatus::Open, due, due + 1));
        assert!(!is_overdue(SuggestionStatus::Answered, due, due + 1));
    }

    #[test]
    fn answers() {
        use SuggestionStatus as S;
        assert_eq!(
            check_answer(S::Open, &Answer::Declined { reason: " ".into() })
                .unwrap_err()
                .code,
            "reason_required"
        );
        assert_eq!(
            check_answer(
                S::Open,
                &Answer::Adopted {
                    matter_id: "".into()
                }
            )
            .unwrap_err()
            .field,
            "matter_id"
        );
        assert_eq!(
            check_answer(
                S::Open,
                &Answer::Adopted {
                    matter_id: "m1".into()
                }
            )
            .unwrap(),
            (S::Adopted, String::new(), Some("m1".into()))
        );
        assert_eq!(
            check_answer(
                S::Answered,
                &Answer::Answered {
                    text: "已修好".into()
                }
            )
            .unwrap_err()
            .code,
            "suggestion_answered"
        );
        assert_eq!(
            check_answer(
                S::Open,
                &Answer::Declined {
                    reason: "资金不足".into()
                }
            )
            .unwrap()
            .0,
            S::Declined
        );
    }

    #[test]
    fn polls() {
        let o = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_poll("是否硬化村东道路？", &o(&["同意", "不同意"]), 10, 5).is_ok());
        assert!(check_poll("是否硬化村东道路？", &o(&["同意"]), 10, 5).is_err());
        assert!(check_poll("问题", &o(&["1", "2", "3", "4", "5", "6", "7"]), 10, 5).is_err());
        assert!(check_poll("问题", &o(&["1", "2", "3", "4", "5", "6"]), 10, 5).is_ok());
        assert!(check_poll("问题", &o(&["同意", "同意"]), 10, 5).is_err());
        assert!(check_poll("问题", &o(&["同意", "不同意"]), 5, 5).is_err());
        assert!(poll_open(10, 9));
        assert!(!poll_open(10, 10));
        assert_eq!(tally(3, &[0, 2, 2, 1, 2, 7, -1]), vec![1, 1, 3]);
    }

    #[test]
    fn bylaw_review_steps() {
        assert_eq!(check_filing(BylawStatus::Adopted), Ok(()));
        assert!(check_filing(BylawStatus::Filed).is_err());
        assert_eq!(
            check_review(BylawStatus::Adopted, &Review::Approved)
                .unwrap_err()
                .code,
            "bylaw_not_filed"
        );
        assert_eq!(
            check_review(BylawStatus::Filed, &Review::Approved),
            Ok(BylawStatus::Approved)
        );
        assert_eq!(
            check_review(
                BylawStatus::Filed,
                &Review::CorrectionOrdered { reason: "".into() }
            )
            .unwrap_err()
            .code,
            "reason_required"
        );
        assert_eq!(
            check_review(BylawStatus::Approved, &Review::Approved)
                .unwrap_err()
                .code,
            "bylaw_reviewed"
        );
    }

    const BYLAW: &str = "张家庄村村规民约\n\
        第一条 本村村民应当遵守国家法律法规，爱护公共设施。\n\
        第二条 符合条件的困难家庭，可以按规定向村委会申请低保，村委会应当如实评议。\n\
        第三条 对不按时缴纳卫生费的农户，取消其当年低保资格。\n\
        第四条 违反本规约者，由村委会扣发其当年粮食直补和各项惠农补贴。\n\
        第五条 任何组织和个人不得以村规民约为由取消村民的低保待遇。\n\
        第六条 对参与赌博者，取消其当年评先评优资格。\n\
        第七条 拒不参加义务劳动的，剥夺其选举权和被选举权。\n\
        第八条 出嫁女户口未迁出的，不得享受集体收益分配，\n\
        并收回其承包地。\n\
        第九条 孝敬老人，尊重妇女，关爱儿童。";

    #[test]
    fn clauses_split_by_numbering() {
        let c = split_clauses(BYLAW);
        assert_eq!(c.len(), 10, "{c:#?}");
        assert_eq!(c[0], "张家庄村村规民约");
        assert!(c[8].ends_with("并收回其承包地。"), "{}", c[8]);
        let c = split_clauses("一、讲卫生。\n二、守秩序。\n（一）不乱倒垃圾；\n1. 门前三包");
        assert_eq!(c.len(), 4, "{c:#?}");
        let c = split_clauses("第一条 讲卫生。第二条 守秩序。");
        assert_eq!(c, vec!["第一条 讲卫生。", "第二条 守秩序。"]);
        // A number that is not a marker does not split.
        let c = split_clauses("每户每年出工3天\n不得迟到");
        assert_eq!(c, vec!["每户每年出工3天", "不得迟到"]);
    }

    #[test]
    fn flags_only_clauses_that_take_entitlements() {
        let flags = flag_clauses(BYLAW);
        let numbers: Vec<usize> = flags.iter().map(|f| f.number).collect();
        // Clause list index: title 1, 第一条 2 … 第九条 10.
        assert_eq!(numbers, vec![4, 5, 8, 9], "{flags:#?}");
        assert_eq!(flags[0].entitlements, vec!["低保"]);
        assert_eq!(flags[0].verbs, vec!["取消"]);
        assert_eq!(flags[1].entitlements, vec!["补贴"]);
        assert_eq!(flags[1].verbs, vec!["扣发"]);
        assert_eq!(flags[2].entitlements, vec!["被选举权"]);
        assert_eq!(flags[2].verbs, vec!["剥夺"]);
        assert!(flags[3].entitlements.contains(&"集体收益分配".to_string()));
        assert!(flags[3].entitlements.contains(&"承包地".to_string()));
        assert!(flags[3].verbs.contains(&"不得享受".to_string()));
        assert!(flags[3].verbs.contains(&"收回".to_string()));
    }

    #[test]
    fn mentions_and_protections_are_not_flagged() {
        for clause in [
            "第二条 符合条件的困难家庭，可以申请低保。",
            "第五条 任何人不得以村规民约为由取消村民的低保待遇。",
            "第六条 严禁扣发村民的养老金。",
            "第七条 对乱倒垃圾者，取消其评优资格；低保户应带头搞好卫生。",
            "第八条 五保老人由村集体妥善照顾。",
        ] {
            assert!(flag_clauses(clause).is_empty(), "{clause}");
        }
        let f = flag_clauses("一、不交水费的，停发其医疗救助。");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].entitlements, vec!["医疗救助"]);
    }
}
