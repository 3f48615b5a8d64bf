//! Administrative division codes (统计用区划代码) and the internal levels
//! below the village.
//!
//! A statistical division code has 12 digits:
//!
//! | digits | part       | example        |
//! |--------|------------|----------------|
//! | 1–2    | province   | `11`           |
//! | 3–4    | prefecture | `01`           |
//! | 5–6    | county     | `05`           |
//! | 7–9    | township   | `001`          |
//! | 10–12  | village    | `001`          |
//!
//! Below the village this system adds two internal levels, both direct
//! children of a village:
//!
//! * a villager group (村民小组): village code + 2 digits (14 digits);
//! * a grid (网格): village code + 3 digits (15 digits).
//!
//! Every area is identified by its *scope prefix* (see [`scope_prefix`]):
//! any code starting with that prefix lies inside the area.

use serde::{Deserialize, Serialize};

/// Length of a statistical division code.
const DIVISION_CODE_LEN: usize = 12;
/// Largest accepted township or village part; 600–999 are rejected.
const MAX_PART: u32 = 599;

/// Level of an area in the hierarchy managed by this system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AreaLevel {
    /// County-level division (县/区/县级市); the root of a deployment.
    County,
    /// Township-level division (街道/镇/乡).
    Township,
    /// Village-level division (社区/村).
    Village,
    /// Villager group (村民小组), directly under a village.
    Group,
    /// Grid (网格), directly under a village.
    Grid,
}

impl AreaLevel {
    /// All levels, from the top down.
    pub const ALL: [AreaLevel; 5] = [
        AreaLevel::County,
        AreaLevel::Township,
        AreaLevel::Village,
        AreaLevel::Group,
        AreaLevel::Grid,
    ];

    /// Stable lowercase name: `"county"`, `"township"`, `"village"`,
    /// `"group"` or `"grid"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AreaLevel::County => "county",
            AreaLevel::Township => "township",
            AreaLevel::Village => "village",
            AreaLevel::Group => "group",
            AreaLevel::Grid => "grid",
        }
    }

    /// Parses a name produced by [`AreaLevel::as_str`] (exact, lowercase).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "county" => Some(AreaLevel::County),
            "township" => Some(AreaLevel::Township),
            "village" => Some(AreaLevel::Village),
            "group" => Some(AreaLevel::Group),
            "grid" => Some(AreaLevel::Grid),
            _ => None,
        }
    }

    /// Distance from the county root: county 0, township 1, village 2,
    /// group 3, grid 3 (groups and grids are both children of a village).
    pub fn depth(self) -> u8 {
        match self {
            AreaLevel::County => 0,
            AreaLevel::Township => 1,
            AreaLevel::Village => 2,
            AreaLevel::Group | AreaLevel::Grid => 3,
        }
    }

    /// Required length of a code at this level: 12 for county, township and
    /// village, 14 for group, 15 for grid.
    pub fn code_len(self) -> usize {
        match self {
            AreaLevel::County | AreaLevel::Township | AreaLevel::Village => DIVISION_CODE_LEN,
            AreaLevel::Group => 14,
            AreaLevel::Grid => 15,
        }
    }

    /// Length of the significant prefix at this level: county 6,
    /// township 9, village 12, group 14, grid 15.
    pub fn prefix_len(self) -> usize {
        match self {
            AreaLevel::County => 6,
            AreaLevel::Township => 9,
            AreaLevel::Village => 12,
            AreaLevel::Group => 14,
            AreaLevel::Grid => 15,
        }
    }

    /// Whether an area of level `child` may be a direct child of an area of
    /// this level: county → township → village → group | grid. Groups and
    /// grids have no children.
    pub fn can_contain(self, child: AreaLevel) -> bool {
        matches!(
            (self, child),
            (AreaLevel::County, AreaLevel::Township)
                | (AreaLevel::Township, AreaLevel::Village)
                | (AreaLevel::Village, AreaLevel::Group)
                | (AreaLevel::Village, AreaLevel::Grid)
        )
    }
}

impl std::fmt::Display for AreaLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an area code (or a parent/child pair) was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AreaCodeError {
    /// Not all digits, or the wrong length for the level.
    #[error("invalid area code format: {reason}")]
    Format {
        /// Human-readable explanation (English).
        reason: &'static str,
    },
    /// The code does not denote an area of the stated level, or the
    /// parent/child levels do not fit together.
    #[error("area code does not match the level: {reason}")]
    Level {
        /// Human-readable explanation (English).
        reason: &'static str,
    },
    /// The child code does not start with the parent's scope prefix.
    #[error("child area code is not inside the parent area")]
    Prefix,
    /// A part of the code is outside the accepted numeric range.
    #[error("area code part out of range: {reason}")]
    Range {
        /// Human-readable explanation (English).
        reason: &'static str,
    },
}

impl AreaCodeError {
    /// Stable snake_case error code for APIs, logs and translations.
    pub fn code(&self) -> &'static str {
        match self {
            AreaCodeError::Format { .. } => "area_code_format",
            AreaCodeError::Level { .. } => "area_code_level",
            AreaCodeError::Prefix => "area_code_prefix",
            AreaCodeError::Range { .. } => "area_code_range",
        }
    }
}

/// The 12-digit code of the county a code lies in (`130123101201` → `130123000000`).
pub fn county_of(code: &str) -> String {
    format!("{}000000", code.get(..6).unwrap_or("000000"))
}

/// The significant prefix of `code` at `level`: the first 6 (county),
/// 9 (township), 12 (village), 14 (group) or 15 (grid) characters. Any code
/// starting with this prefix lies inside the area.
///
/// The code is not validated: if it is shorter than the prefix length (or
/// the cut would split a non-ASCII character) the whole `code` is returned.
/// Validate codes with [`validate_code`] before using a prefix for access
/// control, or use [`is_within`], which does.
pub fn scope_prefix(code: &str, level: AreaLevel) -> &str {
    code.get(..level.prefix_len()).unwrap_or(code)
}

/// Whether the area `code` (of any level, any length ≥ the scope prefix)
/// lies inside the area `scope_code` of level `scope_level`.
///
/// Returns `false` if `scope_code` is not a valid code for `scope_level`, so
/// a malformed scope never grants access to everything.
pub fn is_within(code: &str, scope_code: &str, scope_level: AreaLevel) -> bool {
    validate_code(scope_code, scope_level).is_ok()
        && code.starts_with(scope_prefix(scope_code, scope_level))
}

/// Parses an ASCII-digit slice of `code` as a number (the caller has
/// already checked that `code` is all ASCII digits and long enough).
fn part(code: &str, range: std::ops::Range<usize>) -> Option<u32> {
    code.get(range).and_then(|s| s.parse().ok())
}

/// Validates `code` as the code of an area at `level`.
///
/// * digits only, length 12 (county, township, village), 14 (group) or
///   15 (grid), otherwise [`AreaCodeError::Format`];
/// * province part `00` is rejected ([`AreaCodeError::Range`]);
/// * county: the last six digits are `000000` ([`AreaCodeError::Level`]);
///   a county part of `00` is allowed (cities without counties, e.g. 东莞);
/// * township: non-zero township part and village part `000`
///   ([`AreaCodeError::Level`]); township part 001–599 ([`AreaCodeError::Range`]
///   for 600–999);
/// * village: valid township part as above and non-zero village part
///   ([`AreaCodeError::Level`]), village part 001–599
///   ([`AreaCodeError::Range`] for 600–999);
/// * group / grid: the first 12 digits are a valid village code and the
///   extra part is not all zeros ([`AreaCodeError::Range`]).
pub fn validate_code(code: &str, level: AreaLevel) -> Result<(), AreaCodeError> {
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AreaCodeError::Format {
            reason: "code must consist of digits only",
        });
    }
    if code.len() != level.code_len() {
        return Err(AreaCodeError::Format {
            reason: match level {
                AreaLevel::County | AreaLevel::Township | AreaLevel::Village => {
                    "code must have 12 digits"
                }
                AreaLevel::Group => "group code must have 14 digits",
                AreaLevel::Grid => "grid code must have 15 digits",
            },
        });
    }
    let format_err = AreaCodeError::Format {
        reason: "code must consist of digits only",
    };
    let province = part(code, 0..2).ok_or(format_err)?;
    let township = part(code, 6..9).ok_or(format_err)?;
    let village = part(code, 9..12).ok_or(format_err)?;
    if province == 0 {
        return Err(AreaCodeError::Range {
            reason: "province part must not be 00",
        });
    }
    match level {
        AreaLevel::County => {
            if township != 0 || village != 0 {
                return Err(AreaCodeError::Level {
                    reason: "county code must end in 000000",
                });
            }
        }
        AreaLevel::Township => {
            if township == 0 {
                return Err(AreaCodeError::Level {
                    reason: "township code must have a non-zero township part",
                });
            }
            if village != 0 {
                return Err(AreaCodeError::Level {
                    reason: "township code must end in 000",
                });
            }
            check_township_range(township)?;
        }
        AreaLevel::Village | AreaLevel::Group | AreaLevel::Grid => {
            if township == 0 {
                return Err(AreaCodeError::Level {
                    reason: "village code must have a non-zero township part",
                });
            }
            if village == 0 {
                return Err(AreaCodeError::Level {
                    reason: "village code must have a non-zero village part",
                });
            }
            check_township_range(township)?;
            if village > MAX_PART {
                return Err(AreaCodeError::Range {
                    reason: "village part must be 001-599",
                });
            }
            if level != AreaLevel::Village {
                let extra = part(code, DIVISION_CODE_LEN..code.len()).ok_or(format_err)?;
                if extra == 0 {
                    return Err(AreaCodeError::Range {
                        reason: match level {
                            AreaLevel::Group => "group part must not be 00",
                            _ => "grid part must not be 000",
                        },
                    });
                }
            }
        }
    }
    Ok(())
}

fn check_township_range(township: u32) -> Result<(), AreaCodeError> {
    if township > MAX_PART {
        return Err(AreaCodeError::Range {
            reason: "township part must be 001-599",
        });
    }
    Ok(())
}

/// Validates that `child_code` at `child_level` may be a direct child of
/// `parent_code` at `parent_level`.
///
/// Both codes are validated with [`validate_code`] first (its errors are
/// returned as is). Then the child level must be the next level down
/// (county → township → village → group | grid; groups and grids have no
/// children), otherwise [`AreaCodeError::Level`]; and the child code must
/// start with the parent's scope prefix (R-DIV-1), otherwise
/// [`AreaCodeError::Prefix`].
pub fn validate_child(
    parent_code: &str,
    parent_level: AreaLevel,
    child_code: &str,
    child_level: AreaLevel,
) -> Result<(), AreaCodeError> {
    validate_code(parent_code, parent_level)?;
    validate_code(child_code, child_level)?;
    if !parent_level.can_contain(child_level) {
        return Err(AreaCodeError::Level {
            reason: "child level must be directly below the parent level",
        });
    }
    if !child_code.starts_with(scope_prefix(parent_code, parent_level)) {
        return Err(AreaCodeError::Prefix);
    }
    Ok(())
}

/// Kind of township from the township part (digits 7–9) of `code`:
/// 001–099 `"subdistrict"` (街道), 100–199 `"town"` (镇), 200–399
/// `"township"` (乡, including ethnic townships), 400–599 `"other"`
/// (farms, development zones, ...).
///
/// Returns `None` if `code` is shorter than 9 characters, not digits there,
/// or the township part is 000 or 600–999.
pub fn township_kind(code: &str) -> Option<&'static str> {
    let digits = code.get(6..9)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match digits.parse::<u32>().ok()? {
        1..=99 => Some("subdistrict"),
        100..=199 => Some("town"),
        200..=399 => Some("township"),
        400..=599 => Some("other"),
        _ => None,
    }
}

/// Kind of village-level unit from the village part (digits 10–12) of
/// `code`: 001–199 `"community"` (居委会/社区), 200–399 `"village"` (村委会),
/// 400–599 `"other"`.
///
/// Returns `None` if `code` is shorter than 12 characters, not digits there,
/// or the village part is 000 or 600–999.
pub fn village_kind(code: &str) -> Option<&'static str> {
    let digits = code.get(9..12)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match digits.parse::<u32>().ok()? {
        1..=199 => Some("community"),
        200..=399 => Some("village"),
        400..=599 => Some("other"),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use AreaLevel::*;

    #[test]
    fn level_strings_round_trip() {
        for level in AreaLevel::ALL {
            assert_eq!(AreaLevel::parse(level.as_str()), Some(level));
            assert_eq!(level.to_string(), level.as_str());
        }
        assert_eq!(AreaLevel::parse("County"), None);
        assert_eq!(AreaLevel::parse(""), None);
        assert_eq!(County.depth(), 0);
        assert_eq!(Township.depth(), 1);
        assert_eq!(Village.depth(), 2);
        assert_eq!(Group.depth(), 3);
        assert_eq!(Grid.depth(), 3);
    }

    #[test]
    fn prefixes() {
        let cases = [
            ("110105000000", County, "110105"),
            ("110105001000", Township, "110105001"),
            ("110105001001", Village, "110105001001"),
            ("11010500100101", Group, "11010500100101"),
            ("110105001001001", Grid, "110105001001001"),
            // Not validated: short input is returned whole.
            ("1101", County, "1101"),
        ];
        for (code, level, prefix) in cases {
            assert_eq!(scope_prefix(code, level), prefix, "{code} {level}");
        }
    }

    #[test]
    fn within() {
        assert!(is_within("110105001001", "110105000000", County));
        assert!(is_within("110105001001001", "110105001000", Township));
        assert!(!is_within("110106001001", "110105000000", County));
        // An invalid scope never matches, even though "" is a prefix of all.
        assert!(!is_within("110105001001", "", County));
        assert!(!is_within("110105001001", "1101", County));
    }

    #[test]
    fn valid_codes() {
        let cases = [
            ("110105000000", County),
            ("441900000000", County), // city without counties (Dongguan)
            ("110105001000", Township),
            ("110105100000", Township),
            ("110105200000", Township),
            ("110105599000", Township),
            ("110105001001", Village),
            ("110105100599", Village),
            ("11010500100101", Group),
            ("11010500100199", Group),
            ("110105001001001", Grid),
            ("110105001001999", Grid),
        ];
        for (code, level) in cases {
            assert_eq!(validate_code(code, level), Ok(()), "{code} {level}");
        }
    }

    #[test]
    fn invalid_codes() {
        let cases = [
            ("", County, "area_code_format"),
            ("11010500000", County, "area_code_format"),
            ("1101050000000", County, "area_code_format"),
            ("11010500000a", County, "area_code_format"),
            ("１１0105000000", County, "area_code_format"),
            ("110105001001", Group, "area_code_format"),
            ("11010500100101", Grid, "area_code_format"),
            ("110105001001001", Village, "area_code_format"),
            ("000105000000", County, "area_code_range"),
            ("110105001000", County, "area_code_level"),
            ("110105000001", County, "area_code_level"),
            ("110105000000", Township, "area_code_level"),
            ("110105001001", Township, "area_code_level"),
            ("110105600000", Township, "area_code_range"),
            ("110105999000", Township, "area_code_range"),
            ("110105001000", Village, "area_code_level"),
            ("110105000001", Village, "area_code_level"),
            ("110105001600", Village, "area_code_range"),
            ("110105600001", Village, "area_code_range"),
            ("11010500100100", Group, "area_code_range"),
            ("110105001001000", Grid, "area_code_range"),
            ("11010500100001", Group, "area_code_level"),
        ];
        for (code, level, expected) in cases {
            let err = validate_code(code, level).expect_err(code);
            assert_eq!(err.code(), expected, "{code} {level}: {err}");
        }
    }

    #[test]
    fn children() {
        let ok = [
            ("110105000000", County, "110105001000", Township),
            ("110105001000", Township, "110105001001", Village),
            ("110105001001", Village, "11010500100101", Group),
            ("110105001001", Village, "110105001001001", Grid),
        ];
        for (p, pl, c, cl) in ok {
            assert_eq!(validate_child(p, pl, c, cl), Ok(()), "{p} -> {c}");
        }

        let bad = [
            // Skipping a level.
            (
                "110105000000",
                County,
                "110105001001",
                Village,
                "area_code_level",
            ),
            // Grid under a group is not allowed.
            (
                "11010500100101",
                Group,
                "110105001001001",
                Grid,
                "area_code_level",
            ),
            // Upwards.
            (
                "110105001000",
                Township,
                "110105000000",
                County,
                "area_code_level",
            ),
            // Same level.
            (
                "110105001001",
                Village,
                "110105001002",
                Village,
                "area_code_level",
            ),
            // Wrong prefix (R-DIV-1).
            (
                "110105000000",
                County,
                "110106001000",
                Township,
                "area_code_prefix",
            ),
            (
                "110105001000",
                Township,
                "110105002001",
                Village,
                "area_code_prefix",
            ),
            (
                "110105001001",
                Village,
                "11010500100201",
                Group,
                "area_code_prefix",
            ),
            (
                "110105001001",
                Village,
                "110105001002001",
                Grid,
                "area_code_prefix",
            ),
            // Invalid codes are reported first.
            (
                "110105001000",
                County,
                "110105001000",
                Township,
                "area_code_level",
            ),
            (
                "110105000000",
                County,
                "11010500100",
                Township,
                "area_code_format",
            ),
        ];
        for (p, pl, c, cl, expected) in bad {
            let err = validate_child(p, pl, c, cl).expect_err(c);
            assert_eq!(err.code(), expected, "{p} {pl} -> {c} {cl}: {err}");
        }
    }

    #[test]
    fn kinds() {
        assert_eq!(township_kind("110105001000"), Some("subdistrict"));
        assert_eq!(township_kind("110105099000"), Some("subdistrict"));
        assert_eq!(township_kind("110105100000"), Some("town"));
        assert_eq!(township_kind("110105199000"), Some("town"));
        assert_eq!(township_kind("110105200000"), Some("township"));
        assert_eq!(township_kind("110105399000"), Some("township"));
        assert_eq!(township_kind("110105400000"), Some("other"));
        assert_eq!(township_kind("110105599000"), Some("other"));
        assert_eq!(township_kind("110105600000"), None);
        assert_eq!(township_kind("110105000000"), None);
        assert_eq!(township_kind("11010500"), None);
        assert_eq!(township_kind("110105a01000"), None);
        assert_eq!(township_kind("110105001"), Some("subdistrict"));

        assert_eq!(village_kind("110105001001"), Some("community"));
        assert_eq!(village_kind("110105001199"), Some("community"));
        assert_eq!(village_kind("110105100200"), Some("village"));
        assert_eq!(village_kind("110105100399"), Some("village"));
        assert_eq!(village_kind("110105100400"), Some("other"));
        assert_eq!(village_kind("110105100599"), Some("other"));
        assert_eq!(village_kind("110105100600"), None);
        assert_eq!(village_kind("110105100000"), None);
        assert_eq!(village_kind("11010510020001"), Some("village"));
        assert_eq!(village_kind("1101051002"), None);
    }

    #[test]
    fn error_codes() {
        assert_eq!(
            AreaCodeError::Format { reason: "" }.code(),
            "area_code_format"
        );
        assert_eq!(
            AreaCodeError::Level { reason: "" }.code(),
            "area_code_level"
        );
        assert_eq!(AreaCodeError::Prefix.code(), "area_code_prefix");
        assert_eq!(
            AreaCodeError::Range { reason: "" }.code(),
            "area_code_range"
        );
    }
}
