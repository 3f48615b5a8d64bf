//! Villagers' voice (`domain-spec.md` §3.8): suggestions (村民说事) answered within a deadline,
//! consultative polls with one vote per villager, and the village's bylaws (村规民约) with their
//! versions, adopting resolution, township filing (备案) and review, where clauses that would
//! take away a statutory entitlement are flagged (R-CV-1; 〔LRB 组织法 §27〕).

pub mod model;
pub mod rules;
pub mod service;
pub mod store;

pub use model::*;
pub use rules::{flag_clauses, Answer, FlaggedClause, Review, VoiceSettings};
