//! 民主评议: the annual appraisal of village committee members and paid staff by the
//! villagers' representatives, hosted by the supervisory committee (spec §3.7, R-SUP-4).
//! Ballots are secret: a tally per cadre and a list of who has taken part, never who gave
//! which grade.

pub mod rules;
pub mod service;
pub mod store;
