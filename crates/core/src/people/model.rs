//! Types of the people slice and their validation.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::idnum::{self, IdInfo};
use crate::error::FieldError;

/// Relation of a member to the head of the household.
pub const RELATIONS: &[&str] = &[
    "head",
    "spouse",
    "child",
    "parent",
    "grandchild",
    "sibling",
    "other",
];

/// Map the words cadres write in a 台账 to a relation code.
pub fn parse_relation(s: &str) -> Option<&'static str> {
    let s = s.trim();
    Some(match s {
        "head" | "户主" | "本人" => "head",
        "spouse" | "配偶" | "妻" | "夫" => "spouse",
        "child" | "子女" | "子" | "女" | "儿子" | "女儿" | "长子" | "长女" | "次子" | "次女" => {
            "child"
        }
        "parent" | "父母" | "父亲" | "母亲" | "父" | "母" => "parent",
        "grandchild" | "孙子" | "孙女" | "外孙" | "外孙女" => "grandchild",
        "sibling" | "兄弟姐妹" | "兄" | "弟" | "姐" | "妹" => "sibling",
        "other" | "其他" | "" => "other",
        _ => return None,
    })
}

/// Validate a mainland mobile number (11 digits starting with 1); returns the normalised form.
pub fn parse_phone(s: &str) -> Option<String> {
    let d: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let d = d.strip_prefix("+86").unwrap_or(&d).to_string();
    (d.len() == 11 && d.starts_with('1') && d.chars().all(|c| c.is_ascii_digit())).then_some(d)
}

/// Parse a yes/no cell or checkbox.
pub fn parse_flag(s: &str) -> bool {
    matches!(
        s.trim(),
        "1" | "是" | "true" | "on" | "yes" | "Y" | "y" | "√" | "✓"
    )
}

/// Input for a new or edited person (from a form, the API or an import row).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PersonInput {
    pub name: String,
    pub id_number: String,
    #[serde(default)]
    pub phone: String,
    /// The 村民小组 (or village) the person lives in.
    pub area_code: String,
    #[serde(default)]
    pub grid_code: String,
    /// Household number (户号) within the area; created when missing.
    #[serde(default)]
    pub household_number: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub relation: String,
    #[serde(default)]
    pub is_party_member: bool,
    #[serde(default)]
    pub is_representative: bool,
    #[serde(default)]
    pub is_cadre: bool,
    #[serde(default)]
    pub is_supervisor: bool,
}

/// A person input that passed validation.
#[derive(Debug, Clone)]
pub struct ValidPerson {
    pub name: String,
    pub id: IdInfo,
    pub phone: Option<String>,
    pub area_code: String,
    pub grid_code: Option<String>,
    pub household_number: String,
    pub address: String,
    pub relation: &'static str,
    pub flags: [bool; 4],
}

/// Validate everything that does not need the database. Field names match the form.
pub fn validate(input: &PersonInput, today: NaiveDate) -> Result<ValidPerson, Vec<FieldError>> {
    let mut errs = Vec::new();
    let name = input.name.trim();
    if name.is_empty() {
        errs.push(FieldError::new("name", "required"));
    } else if name.chars().count() > 40 {
        errs.push(FieldError::new("name", "too_long"));
    }
    let id = match idnum::parse_id(&input.id_number, today) {
        Ok(i) => Some(i),
        Err(e) => {
            errs.push(FieldError::new("id_number", e.code()));
            None
        }
    };
    let phone = if input.phone.trim().is_empty() {
        None
    } else {
        match parse_phone(&input.phone) {
            Some(p) => Some(p),
            None => {
                errs.push(FieldError::new("phone", "phone_format"));
                None
            }
        }
    };
    let area = input.area_code.trim();
    if !(area.len() == 12 || area.len() == 14) || !area.chars().all(|c| c.is_ascii_digit()) {
        errs.push(FieldError::new("area_code", "area_code_format"));
    }
    let grid = input.grid_code.trim();
    if !grid.is_empty() && (grid.len() != 15 || !grid.starts_with(area.get(..12).unwrap_or("-"))) {
        errs.push(FieldError::new("grid_code", "area_code_prefix"));
    }
    let relation = match parse_relation(&input.relation) {
        Some(r) => r,
        None => {
            errs.push(FieldError::new("relation", "invalid"));
            "other"
        }
    };
    if input.household_number.trim().chars().count() > 30 {
        errs.push(FieldError::new("household_number", "too_long"));
    }
    if input.address.trim().chars().count() > 120 {
        errs.push(FieldError::new("address", "too_long"));
    }
    match (errs.is_empty(), id) {
        (true, Some(id)) => Ok(ValidPerson {
            name: name.to_string(),
            id,
            phone,
            area_code: area.to_string(),
            grid_code: (!grid.is_empty()).then(|| grid.to_string()),
            household_number: input.household_number.trim().to_string(),
            address: input.address.trim().to_string(),
            relation,
            flags: [
                input.is_party_member,
                input.is_representative,
                input.is_cadre,
                input.is_supervisor,
            ],
        }),
        _ => Err(errs),
    }
}

/// A person as lists show it: identifiers masked, age and sex derived.
#[derive(Debug, Clone, Serialize)]
pub struct PersonSummary {
    pub id: String,
    pub name: String,
    pub sex: String,
    pub birth_date: String,
    pub age: u32,
    pub id_masked: String,
    pub phone_masked: Option<String>,
    pub area_code: String,
    pub grid_code: Option<String>,
    pub household_id: Option<String>,
    pub relation: String,
    pub is_party_member: bool,
    pub is_representative: bool,
    pub is_cadre: bool,
    pub is_supervisor: bool,
}

/// A household row of the household list.
#[derive(Debug, Clone, Serialize)]
pub struct HouseholdSummary {
    pub id: String,
    pub number: String,
    pub address: String,
    pub area_code: String,
    pub area_name: String,
    pub head_name: Option<String>,
    pub member_count: i64,
}

/// A kinship link (used later for conflict-of-interest checks).
#[derive(Debug, Clone, Serialize)]
pub struct Kin {
    pub person_id: String,
    pub name: String,
    pub relation: String,
}

/// Which identifier to reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevealField {
    IdNumber,
    Phone,
}

impl RevealField {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "id_number" => Some(Self::IdNumber),
            "phone" => Some(Self::Phone),
            _ => None,
        }
    }
}
