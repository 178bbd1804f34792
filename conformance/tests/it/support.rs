//! Shared helpers.

use conformance::adapter::AdapterKind;
use conformance::runner::RunConfig;

/// The reference clinic binary built with the tests.
pub fn clinic() -> &'static str {
    env!("CARGO_BIN_EXE_reference-clinic")
}

/// The harness binary.
pub fn harness() -> &'static str {
    env!("CARGO_BIN_EXE_conformance")
}

/// A run configuration for the reference clinic with `fault` ("" for none).
pub fn config(fault: &str) -> RunConfig {
    let cmd = if fault.is_empty() {
        clinic().to_owned()
    } else {
        format!("{} --fault {fault}", clinic())
    };
    RunConfig::new(AdapterKind::Command(cmd))
}

/// The named fixtures.
pub fn named() -> sim_fixtures::NamedFixtures {
    sim_fixtures::NamedFixtures::embedded().expect("embedded fixtures")
}
