//! Integration tests of the `simulator` server: the shared folder, HTTP, the journal, restarts.
//! One test binary for the crate; each area is a module.

mod browser;
mod bulk;
mod bulk_criteria;
mod card;
mod claims;
mod cli;
mod console;
mod disaster;
mod disaster_browser;
mod files;
mod http;
mod medinfo;
mod population;
mod reader;
mod reader_pcsc;
mod reader_session;
mod reference;
mod restart;
mod scenario;
mod scenario_remote;
mod scenario_sessions;
mod support;
