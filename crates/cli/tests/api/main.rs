//! HTTP, end-to-end and browser tests of xiangzhi: the real server on a fresh database
//! (SQLite and PostgreSQL) with the demo county, driven over HTTP like a browser would.
//!
//! PostgreSQL must answer on 127.0.0.1:5432 (`.ci/run` makes sure); the browser test needs
//! Debian's chromium and chromium-driver.

#![allow(clippy::unwrap_used)]

mod helpers;

mod appraisal;
mod archive;
mod auth;
mod basics;
mod binary;

mod browser;
mod cases;
mod civic_api;
mod deliberation;
mod import;
mod isolation;
mod levy;
mod open311;
mod outbound;
mod people;
mod s3;
