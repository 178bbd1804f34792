//! The vendors' conformance harness: plays the オン資 terminal (the simulator's engine, embedded)
//! for a clinic system (the SUT), drives the SUT through an adapter, checks everything it writes
//! against the interface rules and what it concluded, and reports per case.
//!
//! - [`cases`]: the catalogue (stable ids, suites, rules); [`rules`]: the requirements list.
//! - [`terminal`]: the embedded terminal and what it observed; [`checks`]: checks on requests;
//!   [`expected`]: what an answer calls for.
//! - [`proto`], [`adapter`]: the adapter contract and its three transports.
//! - [`runner`], [`flows`]: running cases; [`report`], [`signed`]: the reports;
//!   [`expectations`]: known deviations; [`remote`]: `--simulator URL`, a running simulator
//!   instead of the embedded engine.

pub mod adapter;
pub mod cases;
pub mod checks;
pub mod expectations;
pub mod expected;
pub mod flows;
pub mod proto;
pub mod remote;
pub mod report;
pub mod rules;
pub mod runner;
pub mod signed;
pub mod terminal;
