//! Village decisions (`domain-spec.md` §3): matter types with their flags, quorum and pass
//! rules as data with national defaults and provincial or county overrides, meetings with a
//! roster frozen at convening, open and secret votes, and the six steps of 四议两公开.

pub mod demo;
pub mod model;
pub mod rules;
pub mod service;
pub mod store;

pub use service::{may_proceed, Clearance};
