//! 村务公开 (`domain-spec.md` §5): the county catalogue inherited by every village, the
//! supervisors' review before release, publications hash-chained per village with SM3, the
//! public portal's data, villagers' objections, and overdue alerts.

pub mod posting;
pub mod rules;
pub mod service;
pub mod store;
