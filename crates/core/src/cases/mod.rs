//! Cases: one workflow engine for villagers' reports, service requests, disputes, hazards,
//! emergencies and complaints (`domain-spec.md` §9, §10, §13), and the confidential tips kept
//! apart from them (§14.4).
//!
//! A case is raised through the group-commit [`intake`] writer and changed by one
//! [`service::act`] call per transition: permission, one transaction, audit record, timeline
//! entry, notification.

pub mod attachments;
pub mod catalogue;
pub mod demo;
pub mod duty;
pub mod intake;
pub mod mediation;
pub mod model;
pub mod rules;
pub mod search;
pub mod service;
pub mod store;
pub mod tips;

pub use model::*;
pub use service::{act, escalate_overdue, get, indicators, list, raise, Queue, RaiseOutcome};
