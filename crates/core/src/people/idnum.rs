//! China resident identity card numbers (GB 11643-1999).
//!
//! An 18-character number is laid out as:
//!
//! | positions | meaning                                        |
//! |-----------|------------------------------------------------|
//! | 1–6       | address code (county-level division code)      |
//! | 7–14      | date of birth, `YYYYMMDD`                      |
//! | 15–17     | sequence code; the 17th digit is odd for males |
//! | 18        | check character (ISO 7064 MOD 11-2), `0-9X`    |
//!
//! Legacy 15-digit numbers (issued before 1999) omit the century (`YYMMDD`,
//! always 19xx) and the check character; [`parse_id`] upgrades them to the
//! 18-character form.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// ISO 7064 MOD 11-2 weights for the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Check characters indexed by `weighted_sum % 11`.
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

/// Earliest accepted year of birth.
const MIN_BIRTH_YEAR: i32 = 1900;

/// Sex as encoded in the 17th digit of an ID number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    /// Odd 17th digit.
    Male,
    /// Even 17th digit.
    Female,
}

impl Sex {
    /// Stable one-letter code: `"M"` or `"F"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "M",
            Sex::Female => "F",
        }
    }
}

/// Information extracted from a valid ID number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdInfo {
    /// Normalised 18-character number (uppercase `X`, 15-digit numbers upgraded).
    pub number: String,
    /// The input as given (before trimming and normalisation).
    pub original: String,
    /// The six-digit address code (first six characters).
    pub address_code: String,
    /// Date of birth.
    pub birth: NaiveDate,
    /// Sex derived from the 17th digit.
    pub sex: Sex,
}

/// Why an ID number was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The input is empty (or only whitespace).
    #[error("ID number is empty")]
    Empty,
    /// The input is neither 18 nor 15 characters long.
    #[error("ID number must have 18 characters (or 15 for legacy numbers)")]
    Length,
    /// The input contains characters other than digits and a final `X`.
    #[error("ID number may only contain digits and a final X")]
    Characters,
    /// The check character does not match the first 17 digits.
    #[error("ID number check character is wrong")]
    Checksum,
    /// The embedded date of birth is not a valid calendar date.
    #[error("ID number contains an invalid date of birth")]
    BirthDate,
    /// The embedded date of birth lies in the future.
    #[error("ID number date of birth is in the future")]
    BirthInFuture,
    /// The embedded date of birth is before 1900.
    #[error("ID number date of birth is before 1900")]
    BirthTooOld,
}

impl IdError {
    /// Stable snake_case error code for APIs, logs and translations.
    pub fn code(&self) -> &'static str {
        match self {
            IdError::Empty => "id_empty",
            IdError::Length => "id_length",
            IdError::Characters => "id_characters",
            IdError::Checksum => "id_checksum",
            IdError::BirthDate => "id_birth_date",
            IdError::BirthInFuture => "id_birth_future",
            IdError::BirthTooOld => "id_birth_too_old",
        }
    }
}

/// Computes the check character for the weighted sum of 17 ASCII digits.
///
/// The caller guarantees that `body` consists of exactly 17 ASCII digits.
fn check_char_of_digits(body: &[u8]) -> char {
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS.iter())
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    char::from(CHECK_CHARS[(sum % 11) as usize])
}

/// Returns the ISO 7064 MOD 11-2 check character (`0`–`9` or `X`) for the
/// first 17 digits of an ID number, or `None` unless `body17` is exactly 17
/// ASCII digits.
pub fn check_char(body17: &str) -> Option<char> {
    let bytes = body17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(check_char_of_digits(bytes))
}

/// Parses and validates a resident ID number as of `today`.
///
/// Leading/trailing whitespace is ignored and a lowercase `x` is accepted.
/// Both 18-character numbers and legacy 15-digit numbers are accepted; the
/// latter are upgraded to 18 characters (century `19` inserted, check
/// character computed). The date of birth must be a real Gregorian date in
/// `1900-01-01..=today`.
pub fn parse_id(input: &str, today: NaiveDate) -> Result<IdInfo, IdError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(IdError::Empty);
    }
    let upper = trimmed.to_ascii_uppercase();
    let char_count = upper.chars().count();

    let number = match char_count {
        18 => {
            let bytes = upper.as_bytes();
            // 18 chars but not 18 bytes means non-ASCII content.
            if bytes.len() != 18
                || !bytes[..17].iter().all(u8::is_ascii_digit)
                || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
            {
                return Err(IdError::Characters);
            }
            if check_char_of_digits(&bytes[..17]) != char::from(bytes[17]) {
                return Err(IdError::Checksum);
            }
            upper
        }
        15 => {
            let bytes = upper.as_bytes();
            if bytes.len() != 15 || !bytes.iter().all(u8::is_ascii_digit) {
                return Err(IdError::Characters);
            }
            let mut body = String::with_capacity(18);
            body.push_str(&upper[..6]);
            body.push_str("19");
            body.push_str(&upper[6..]);
            let check = check_char_of_digits(body.as_bytes());
            body.push(check);
            body
        }
        _ => return Err(IdError::Length),
    };

    // `number` is now 18 ASCII characters, the first 17 of them digits.
    let birth = parse_birth(&number[6..14])?;
    if birth.year() < MIN_BIRTH_YEAR {
        return Err(IdError::BirthTooOld);
    }
    if birth > today {
        return Err(IdError::BirthInFuture);
    }

    let sex = if (number.as_bytes()[16] - b'0') % 2 == 1 {
        Sex::Male
    } else {
        Sex::Female
    };

    Ok(IdInfo {
        address_code: number[..6].to_string(),
        original: input.to_string(),
        number,
        birth,
        sex,
    })
}

/// Parses an 8-digit `YYYYMMDD` string into a date.
fn parse_birth(yyyymmdd: &str) -> Result<NaiveDate, IdError> {
    let field = |range: std::ops::Range<usize>| -> Result<u32, IdError> {
        yyyymmdd
            .get(range)
            .and_then(|s| s.parse::<u32>().ok())
            .ok_or(IdError::BirthDate)
    };
    let year = i32::try_from(field(0..4)?).map_err(|_| IdError::BirthDate)?;
    let month = field(4..6)?;
    let day = field(6..8)?;
    NaiveDate::from_ymd_opt(year, month, day).ok_or(IdError::BirthDate)
}

/// Age in completed years on `today` for someone born on `birth`.
///
/// Returns 0 if `today` is before `birth`. A person born on 29 February
/// completes a year on 1 March in non-leap years.
pub fn age_on(birth: NaiveDate, today: NaiveDate) -> u32 {
    if today <= birth {
        return 0;
    }
    let mut years = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// Builds a valid 18-character ID number (for demo/test data).
///
/// Only the ASCII digits of `address_code` are used: the first six of them
/// form the address part (so a 12-digit division code can be passed
/// directly), padded with `0` if there are fewer than six. `seq` is reduced
/// modulo 1000; its last digit determines the sex (odd = male). Years outside
/// `0..=9999` are clamped so the result always has 18 characters.
pub fn make_id(address_code: &str, birth: NaiveDate, seq: u16) -> String {
    let mut body: String = address_code
        .chars()
        .filter(char::is_ascii_digit)
        .take(6)
        .collect();
    while body.len() < 6 {
        body.push('0');
    }
    body.push_str(&format!(
        "{:04}{:02}{:02}{:03}",
        birth.year().clamp(0, 9999),
        birth.month(),
        birth.day(),
        seq % 1000
    ));
    let check = check_char_of_digits(body.as_bytes());
    body.push(check);
    body
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn today() -> NaiveDate {
        d(2025, 6, 1)
    }

    #[test]
    fn valid_numbers() {
        // Check characters verified independently (by hand/another implementation).
        let cases: &[(&str, &str, NaiveDate, Sex)] = &[
            ("11010519491231002X", "110105", d(1949, 12, 31), Sex::Female),
            ("44030419900307123X", "440304", d(1990, 3, 7), Sex::Male),
            ("320102200002290013", "320102", d(2000, 2, 29), Sex::Male),
            ("510108198510153211", "510108", d(1985, 10, 15), Sex::Male),
            ("650102197001015556", "650102", d(1970, 1, 1), Sex::Male),
            ("11010519000101001X", "110105", d(1900, 1, 1), Sex::Male),
        ];
        for (number, addr, birth, sex) in cases {
            let info = parse_id(number, today()).unwrap_or_else(|e| panic!("{number}: {e:?}"));
            assert_eq!(info.number, *number);
            assert_eq!(info.original, *number);
            assert_eq!(info.address_code, *addr);
            assert_eq!(info.birth, *birth);
            assert_eq!(info.sex, *sex);
            assert_eq!(check_char(&number[..17]), number.chars().last());
        }
    }

    #[test]
    fn lowercase_x_and_whitespace() {
        let info = parse_id("  11010519491231002x\n", today()).unwrap();
        assert_eq!(info.number, "11010519491231002X");
        assert_eq!(info.original, "  11010519491231002x\n");
    }

    #[test]
    fn fifteen_digit_conversion() {
        let cases: &[(&str, &str, NaiveDate, Sex)] = &[
            (
                "110105491231002",
                "11010519491231002X",
                d(1949, 12, 31),
                Sex::Female,
            ),
            (
                "440301850615311",
                "440301198506153110",
                d(1985, 6, 15),
                Sex::Male,
            ),
        ];
        for (old, new, birth, sex) in cases {
            let info = parse_id(old, today()).unwrap();
            assert_eq!(info.number, *new);
            assert_eq!(info.original, *old);
            assert_eq!(info.birth, *birth);
            assert_eq!(info.sex, *sex);
            // The upgraded number must itself be valid.
            assert_eq!(parse_id(new, today()).unwrap().number, *new);
        }
    }

    #[test]
    fn rejections() {
        let cases: &[(&str, IdError)] = &[
            ("", IdError::Empty),
            ("   ", IdError::Empty),
            ("11010519491231002X1", IdError::Length), // 19
            ("1101051949123100", IdError::Length),    // 16
            ("11010519491231002", IdError::Length),   // 17
            ("1101051949123100XX", IdError::Characters),
            ("1101051949A231002X", IdError::Characters),
            ("11010519491231002Y", IdError::Characters),
            ("11010549123100A", IdError::Characters), // 15 with a letter
            ("11010519491231002１", IdError::Characters), // full-width digit
            ("110105194912310021", IdError::Checksum),
            ("110105194912310020", IdError::Checksum),
            // Feb 30 with a correct check character.
            ("11010519900230001X", IdError::BirthDate),
            ("110105199013010018", IdError::BirthDate),
            ("11010520210229001X", IdError::BirthDate), // 2021 is not leap
            ("110105209912310010", IdError::BirthInFuture),
            ("440524188001010014", IdError::BirthTooOld),
            ("11010500000101001X", IdError::BirthTooOld),
        ];
        for (input, expected) in cases {
            // Make sure checksum cases are not accidentally valid and date cases
            // have a correct check character where intended.
            assert_eq!(parse_id(input, today()), Err(*expected), "input {input:?}");
        }
    }

    #[test]
    fn date_cases_have_valid_checksums() {
        // The date-related rejection cases above must fail on the date, not
        // the checksum; confirm their check characters independently.
        for number in [
            "11010519900230001X",
            "110105199013010018",
            "11010520210229001X",
            "110105209912310010",
            "440524188001010014",
        ] {
            assert_eq!(check_char(&number[..17]), number.chars().last(), "{number}");
        }
    }

    #[test]
    fn birth_today_is_accepted() {
        let id = make_id("110105", today(), 1);
        assert_eq!(parse_id(&id, today()).unwrap().birth, today());
        let tomorrow = today().succ_opt().unwrap();
        let id = make_id("110105", tomorrow, 1);
        assert_eq!(parse_id(&id, today()), Err(IdError::BirthInFuture));
    }

    #[test]
    fn check_char_rejects_bad_input() {
        assert_eq!(check_char("1101051949123100"), None);
        assert_eq!(check_char("110105194912310021"), None);
        assert_eq!(check_char("1101051949123100A"), None);
        assert_eq!(check_char("11010519491231002"), Some('X'));
    }

    #[test]
    fn make_id_round_trips() {
        for seq in [0u16, 1, 2, 57, 998, 999, 1001] {
            let birth = d(1987, 4, 30);
            let id = make_id("110105001001", birth, seq);
            assert_eq!(id.len(), 18);
            assert!(id.starts_with("11010519870430"));
            assert_eq!(id[14..17], format!("{:03}", seq % 1000));
            let info = parse_id(&id, today()).unwrap();
            assert_eq!(info.birth, birth);
            let expected = if (seq % 1000) % 2 == 1 {
                Sex::Male
            } else {
                Sex::Female
            };
            assert_eq!(info.sex, expected);
        }
        assert_eq!(make_id("110105", d(1949, 12, 31), 2), "11010519491231002X");
        assert!(make_id("11", d(1990, 1, 1), 5).starts_with("110000"));
    }

    #[test]
    fn ages() {
        let cases = [
            (d(1990, 6, 1), d(2025, 6, 1), 35),
            (d(1990, 6, 2), d(2025, 6, 1), 34),
            (d(1990, 5, 31), d(2025, 6, 1), 35),
            (d(2000, 2, 29), d(2025, 2, 28), 24),
            (d(2000, 2, 29), d(2025, 3, 1), 25),
            (d(2000, 2, 29), d(2024, 2, 29), 24),
            (d(2025, 6, 1), d(2025, 6, 1), 0),
            (d(2025, 6, 2), d(2025, 6, 1), 0),
        ];
        for (birth, on, age) in cases {
            assert_eq!(age_on(birth, on), age, "{birth} on {on}");
        }
    }

    #[test]
    fn codes_and_sex_strings() {
        assert_eq!(Sex::Male.as_str(), "M");
        assert_eq!(Sex::Female.as_str(), "F");
        assert_eq!(IdError::Empty.code(), "id_empty");
        assert_eq!(IdError::Length.code(), "id_length");
        assert_eq!(IdError::Characters.code(), "id_characters");
        assert_eq!(IdError::Checksum.code(), "id_checksum");
        assert_eq!(IdError::BirthDate.code(), "id_birth_date");
        assert_eq!(IdError::BirthInFuture.code(), "id_birth_future");
        assert_eq!(IdError::BirthTooOld.code(), "id_birth_too_old");
    }
}
