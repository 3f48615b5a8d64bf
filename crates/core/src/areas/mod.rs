//! Administrative areas: county → township → village/community → group → grid, with the
//! 12-digit statistical codes, their prefix rules (R-DIV-1..3) and historical validity.

pub mod code;
pub mod service;
pub mod store;

pub use code::AreaLevel;
pub use store::Area;
