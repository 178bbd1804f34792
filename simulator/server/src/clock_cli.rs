//! `simulator clock`: shows and sets the virtual clock of a running simulator through
//! `/admin/clock` (the simulator must have been started with `serve --clock`).

use anyhow::Context;
use clap::{Args, Subcommand};
use hyper::body::Bytes;

use crate::http::clock::{ClockChange, ClockView};

/// `simulator clock …`.
#[derive(Args, Debug)]
pub struct ClockArgs {
    /// URL of the running simulator.
    #[arg(long, env = "SIMULATOR_URL", default_value = crate::client::DEFAULT_URL)]
    server: String,
    /// The clock of this scenario session instead of the served one (each session has its own).
    #[arg(long)]
    session: Option<String>,
    #[command(subcommand)]
    action: Option<ClockAction>,
}

#[derive(Subcommand, Debug)]
enum ClockAction {
    /// Show the time and mode (the default).
    Show,
    /// Set the time (Japan time, yyyy-mm-ddTHH:MM:SS).
    Set {
        /// The new time.
        at: String,
    },
    /// Move the time forward (1d, 90s, 1h30m).
    Advance {
        /// How far.
        by: String,
    },
    /// Stop the clock at the current time.
    Freeze,
    /// Let the clock run from the current time.
    Run,
}

/// Runs `simulator clock …`.
pub async fn run(args: ClockArgs) -> anyhow::Result<()> {
    let change = match args.action.unwrap_or(ClockAction::Show) {
        ClockAction::Show => None,
        ClockAction::Set { at } => Some(ClockChange {
            set: Some(at),
            ..ClockChange::default()
        }),
        ClockAction::Advance { by } => Some(ClockChange {
            advance: Some(by),
            ..ClockChange::default()
        }),
        ClockAction::Freeze => Some(ClockChange {
            mode: Some("frozen".into()),
            ..ClockChange::default()
        }),
        ClockAction::Run => Some(ClockChange {
            mode: Some("running".into()),
            ..ClockChange::default()
        }),
    };
    let path = match &args.session {
        None => "/admin/clock".to_owned(),
        Some(id) => format!(
            "/admin/clock?session={}",
            crate::scenario_remote::percent(id)
        ),
    };
    let body = match change {
        None => crate::client::get(&args.server, &path).await?,
        Some(change) => {
            let json = serde_json::to_vec(&change).context("encoding the change")?;
            crate::client::request(&args.server, &path, hyper::Method::POST, Bytes::from(json))
                .await?
        }
    };
    let view: ClockView = serde_json::from_slice(&body).context("reading the answer")?;
    println!("{} ({})", view.now, view.mode);
    Ok(())
}
