//! placeholder
pub const TERMINAL: &str = "/console/disaster/terminal";
