//! Grades, the verdict of a tally, validity and the termination rule of 民主评议. Pure.

use serde::{Deserialize, Serialize};

/// A grade given to a cadre, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// 优秀
    Excellent,
    /// 称职
    Competent,
    /// 基本称职
    Basic,
    /// 不称职
    Incompetent,
}

impl Grade {
    /// Every grade, best first.
    pub const ALL: [Grade; 4] = [
        Grade::Excellent,
        Grade::Competent,
        Grade::Basic,
        Grade::Incompetent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Excellent => "excellent",
            Grade::Competent => "competent",
            Grade::Basic => "basic",
            Grade::Incompetent => "incompetent",
        }
    }

    pub fn parse(s: &str) -> Option<Grade> {
        Grade::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// The grades one cadre received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub excellent: i64,
    pub competent: i64,
    pub basic: i64,
    pub incompetent: i64,
}

impl Tally {
    pub fn get(&self, g: Grade) -> i64 {
        match g {
            Grade::Excellent => self.excellent,
            Grade::Competent => self.competent,
            Grade::Basic => self.basic,
            Grade::Incompetent => self.incompetent,
        }
    }

    pub fn total(&self) -> i64 {
        Grade::ALL.iter().map(|g| self.get(*g)).sum()
    }
}

/// The verdict of a tally: the best grade that at least half of the ballots give or better
/// (the median grade). So a cadre is 不称职 exactly when more than half of the ballots say so
/// — the common local rule (CONFIG 〔L〕). `None` without ballots.
pub fn verdict(t: &Tally) -> Option<Grade> {
    let n = t.total();
    if n == 0 {
        return None;
    }
    let mut at_least = 0;
    for g in Grade::ALL {
        at_least += t.get(g);
        if 2 * at_least >= n {
            return Some(g);
        }
    }
    Some(Grade::Incompetent)
}

/// An appraisal counts when more than half of the evaluators took part (CONFIG 〔L〕, as for
/// the quorum of the representatives' assembly, 组织法 §26).
pub fn valid(ballots: i64, evaluators: i64) -> bool {
    evaluators > 0 && 2 * ballots > evaluators
}

/// 组织法 §33: a committee member judged 不称职 in two appraisals in a row leaves office.
pub fn terminates(previous: Option<Grade>, current: Option<Grade>) -> bool {
    previous == Some(Grade::Incompetent) && current == Some(Grade::Incompetent)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(excellent: i64, competent: i64, basic: i64, incompetent: i64) -> Tally {
        Tally {
            excellent,
            competent,
            basic,
            incompetent,
        }
    }

    #[test]
    fn the_verdict_is_the_median_grade() {
        for (tally, want) in [
            (t(0, 0, 0, 0), None),
            (t(5, 0, 0, 0), Some(Grade::Excellent)),
            (t(3, 3, 0, 0), Some(Grade::Excellent)),
            (t(2, 3, 1, 0), Some(Grade::Competent)),
            (t(1, 1, 2, 2), Some(Grade::Basic)),
            // Exactly half 不称职 is not more than half.
            (t(2, 0, 0, 2), Some(Grade::Excellent)),
            (t(1, 1, 0, 3), Some(Grade::Incompetent)),
            (t(0, 0, 0, 1), Some(Grade::Incompetent)),
        ] {
            assert_eq!(verdict(&tally), want, "{tally:?}");
        }
    }

    #[test]
    fn more_than_half_must_take_part() {
        assert!(!valid(0, 0));
        assert!(!valid(5, 10));
        assert!(valid(6, 10));
        assert!(valid(1, 1));
    }

    #[test]
    fn two_incompetent_verdicts_in_a_row_end_the_office() {
        let i = Some(Grade::Incompetent);
        assert!(terminates(i, i));
        assert!(!terminates(None, i));
        assert!(!terminates(Some(Grade::Basic), i));
        assert!(!terminates(i, Some(Grade::Basic)));
        assert!(!terminates(i, None));
    }

    #[test]
    fn grades_parse_back() {
        for g in Grade::ALL {
            assert_eq!(Grade::parse(g.as_str()), Some(g));
        }
        assert_eq!(Grade::parse("good"), None);
    }
}
