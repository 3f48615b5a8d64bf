//! Records of the voice slice as the store reads and writes them.

use serde::Serialize;

use super::rules::{BylawStatus, FlaggedClause, SuggestionStatus};

/// A villager's suggestion (村民说事) and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub id: String,
    pub county_code: String,
    /// The village.
    pub area_code: String,
    /// The villager's account, when they have one.
    pub author_user_id: Option<String>,
    /// The villager in the registry, when known.
    pub author_person_id: Option<String>,
    /// Who typed it in (the villager, or staff posting on their behalf).
    pub posted_by: Option<String>,
    pub text: String,
    pub status: SuggestionStatus,
    /// The answer, or the reason it was declined.
    pub answer_text: Option<String>,
    /// The deliberation matter it was adopted as (no foreign key).
    pub matter_id: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<i64>,
    pub due_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A consultative poll of one village.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Poll {
    pub id: String,
    pub county_code: String,
    pub area_code: String,
    pub question: String,
    pub options: Vec<String>,
    pub closes_at: i64,
    pub created_by: Option<String>,
    pub created_at: i64,
}

/// A poll with its counts per option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PollResults {
    pub poll: Poll,
    pub counts: Vec<i64>,
    pub total: i64,
    pub closed: bool,
}

/// One version of a village's bylaws (村规民约).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bylaw {
    pub id: String,
    pub county_code: String,
    pub area_code: String,
    pub version: i64,
    pub text: String,
    /// SM3 of the text, lowercase hex.
    pub text_hash: String,
    /// The adopting resolution's matter (no foreign key).
    pub matter_id: Option<String>,
    pub status: BylawStatus,
    /// Clauses flagged under R-CV-1, as recorded at adoption and again at review.
    pub flags: Vec<FlaggedClause>,
    /// The date the township received the filing (备案), `YYYY-MM-DD`.
    pub filed_on: Option<String>,
    pub filed_by: Option<String>,
    pub filed_at: Option<i64>,
    /// The reason of a correction order.
    pub review_reason: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<i64>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}
