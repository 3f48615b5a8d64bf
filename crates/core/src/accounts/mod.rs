//! Accounts and access: users linked to people, role grants on areas, argon2id passwords with
//! a policy, TOTP second factor, lockout, browser sessions with CSRF tokens, API tokens,
//! villager self-registration against the registry, proxy accounts, one-time codes by SMS.

pub mod rules;
pub mod service;
pub mod sms;
pub mod store;

pub use service::*;
