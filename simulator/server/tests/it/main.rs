//! Integration tests of the `simulator` server: the shared folder, HTTP, the journal, restarts.
//! One test binary for the crate; each area is a module.

mod card;
mod files;
mod http;
mod restart;
mod support;
