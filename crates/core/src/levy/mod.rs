//! 一事一议 levy plans (`domain-spec.md` §4; 〔LRB 组织法 §37, §24(三)〕): villagers raise money
//! and labour for a public-welfare project of their village under a plan the assembly
//! resolved, within the county's caps, with exemptions, voluntary cash-for-labour, collection
//! records, the award-subsidy application and the disclosure of collection and use.

pub mod disclosure;
pub mod model;
pub mod rules;
pub mod service;
pub mod store;

pub use disclosure::disclosure_text;
pub use model::*;
pub use rules::{Collection, LevySettings, PlanInput, PlanStatus, Resolution};
