//! Integration tests of the conformance harness (one binary): the self-test against the reference
//! clinic and its faulty variants, the reports (snapshots), the signed report, the command line,
//! the HTTP adapter (wiremock) and the request checks.

mod checks;
mod cli;
mod http_adapter;
mod remote;
mod reports;
mod schema;
mod selftest;
mod support;
