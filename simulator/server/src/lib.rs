//! The `simulator` binary's library: everything that touches the outside world.
//!
//! - [`card`]: virtual My Number Cards in vsmartcard's vpcd readers (driver, PIN store).
//! - [`dropbox`]: the shared folder (`req/`, `res/`, `face/`), crash-safe answering.
//! - [`http`]: the Web API, XML over HTTP and the admin API (`app(shared) -> Router`).
//! - [`journal`]: the SQLite journal of every exchange.
//! - [`jobs`]: bulk jobs and 照会番号 registrations in SQLite, behind the engine's store traits.
//! - [`config`], [`clock`], [`shared`]: settings, time, and the state they share.
//! - [`serve`]: wires them together until a shutdown signal.
//!
//! Invariant: this is the only crate that binds sockets, touches folders or reads the clock.

pub mod card;
pub mod client;
pub mod clock;
pub mod config;
pub mod dropbox;
pub mod http;
pub mod jobs;
pub mod journal;
pub mod serve;
pub mod shared;
