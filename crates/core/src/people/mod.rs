//! People and households: the registry with GB 11643 validation, village roles, kinship,
//! encrypted identifiers with blind indexes, masked lists, audited reveals, XLSX import/export.

pub mod cache;
pub mod idnum;
pub mod model;
pub mod service;
pub mod store;
pub mod xlsx;

pub use model::*;
