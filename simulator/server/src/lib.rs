//! The `simulator` binary's library: everything that touches the outside world.
//!
//! - [`card`]: virtual My Number Cards in vsmartcard's vpcd readers (driver, PIN store).
//! - [`dropbox`]: the shared folder (`req/`, `res/`, `face/`), crash-safe answering.
//! - [`console`]: the web console (server-rendered pages on the HTTP listener: the patient screen).
//! - [`http`]: the Web API, XML over HTTP and the admin API (`app(shared) -> Router`).
//! - [`journal`]: the SQLite journal of every exchange.
//! - [`reader`]: the face-auth card reader emulator (card check, consent, `face/` results).
//! - [`medinfo`]: 薬剤情報 / 特定健診情報: synthetic records, consent lookup, PDF rendering.
//! - [`jobs`]: bulk jobs and 照会番号 registrations in SQLite, behind the engine's store traits.
//! - [`disaster`]: disaster mode (災害時医療情報閲覧): activations, search without the card, views,
//!   audit log; [`admin_token`] guards the operator's parts.
//! - [`config`], [`clock`], [`shared`]: settings, time, and the state they share.
//! - [`serve`]: wires them together until a shutdown signal.
//! - [`scenario_run`]: `simulator scenario run`, scripted scenarios played headless.
//! - [`scenario_session`], [`scenario_remote`]: scenario sessions of a running simulator and
//!   their remote (`/admin/scenario…`, `simulator scenario step|load|reset|status`).
//! - [`claims`]: `simulator claims route`, claim re-routing by the visit dates' eligibility.
//! - [`clock_cli`]: `simulator clock`, the virtual clock of a running simulator.
//!
//! Invariant: this is the only crate that binds sockets, touches folders or reads the clock.

pub mod admin_token;
pub mod card;
pub mod claims;
pub mod client;
pub mod clock;
pub mod clock_cli;
pub mod config;
pub mod console;
pub mod disaster;
pub mod dropbox;
pub mod http;
pub mod jobs;
pub mod journal;
pub mod medinfo;
pub mod reader;
pub mod scenario_pcsc;
pub mod scenario_persist;
pub mod scenario_remote;
pub mod scenario_requests;
pub mod scenario_run;
pub mod scenario_session;
pub mod scenario_view;
pub mod serve;
pub mod shared;
pub mod state_db;
