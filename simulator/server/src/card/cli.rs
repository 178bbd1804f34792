//! `simulator card insert|remove|list|reset-pins`: drives the cards of a running simulator through
//! the admin API (`/admin/cards…`), found by `--server URL` or `SIMULATOR_URL`.

use anyhow::Context;
use hyper::body::Bytes;
use serde_json::{Value, json};

/// `simulator card …`.
#[derive(clap::Args, Debug)]
pub struct CardArgs {
    /// URL of the running simulator.
    #[arg(long, env = "SIMULATOR_URL", default_value = crate::client::DEFAULT_URL, global = true)]
    pub server: String,
    /// What to do.
    #[command(subcommand)]
    pub action: CardAction,
}

/// The card subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum CardAction {
    /// Insert a person's My Number Card into a virtual reader (vpcd slot); pcscd then sees it.
    Insert {
        /// Person id (see `simulator persons`), e.g. valid-shaho-honnin.
        #[arg(long)]
        person: String,
        /// vpcd slot: 0 is `Virtual PCD 00 00`, 1 is `Virtual PCD 00 01`.
        #[arg(long, default_value_t = 0)]
        slot: u8,
    },
    /// Remove the card from a slot.
    Remove {
        /// vpcd slot.
        #[arg(long, default_value_t = 0)]
        slot: u8,
    },
    /// List the inserted cards.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Give a card back its initial PINs and full retry counters (the card must be out).
    ResetPins {
        /// Person id.
        #[arg(long)]
        person: String,
    },
}

async fn post(server: &str, path: &str, body: Value) -> anyhow::Result<Value> {
    let bytes = crate::client::request(
        server,
        path,
        hyper::Method::POST,
        Bytes::from(body.to_string()),
    )
    .await?;
    serde_json::from_slice(&bytes).context("reading the simulator's answer")
}

fn describe(card: &Value) -> String {
    let s = |k: &str| card[k].as_str().unwrap_or("-").to_owned();
    format!(
        "slot {}: {} ({}), auth serial {}, {}",
        card["slot"],
        s("person_id"),
        s("name"),
        s("auth_serial"),
        s("state")
    )
}

/// Runs a card subcommand.
pub async fn run(args: CardArgs) -> anyhow::Result<()> {
    let server = args.server.as_str();
    match args.action {
        CardAction::Insert { person, slot } => {
            let card = post(
                server,
                "/admin/cards/insert",
                json!({ "person": person, "slot": slot }),
            )
            .await?;
            println!("inserted: {}", describe(&card));
            if let Some(vpcd) = card["vpcd"].as_str() {
                println!("connecting to vpcd at {vpcd}");
            }
        }
        CardAction::Remove { slot } => {
            let card = post(server, "/admin/cards/remove", json!({ "slot": slot })).await?;
            println!("removed: {}", describe(&card));
        }
        CardAction::ResetPins { person } => {
            crate::client::request(
                server,
                "/admin/cards/reset-pins",
                hyper::Method::POST,
                Bytes::from(json!({ "person": person }).to_string()),
            )
            .await?;
            println!("reset the pins of {person}'s card");
        }
        CardAction::List { json } => {
            let body = crate::client::get(server, "/admin/cards").await?;
            if json {
                println!("{}", String::from_utf8_lossy(&body));
                return Ok(());
            }
            let v: Value = serde_json::from_slice(&body).context("reading the card list")?;
            let cards = v["cards"].as_array().cloned().unwrap_or_default();
            if cards.is_empty() {
                println!(
                    "(no card inserted; vpcd at {})",
                    v["vpcd"].as_str().unwrap_or("?")
                );
                return Ok(());
            }
            println!(
                "{:>4}  {:24}  {:16}  {:10}  {:>5}  TRIES (auth/sign/kenhojo)  NAME",
                "SLOT", "PERSON", "AUTH SERIAL", "STATE", "APDUS"
            );
            for c in cards {
                let s = |k: &str| c[k].as_str().unwrap_or("-").to_owned();
                let t = |k: &str| {
                    c["tries_left"][k]
                        .as_u64()
                        .map_or_else(|| "-".to_owned(), |n| n.to_string())
                };
                println!(
                    "{:>4}  {:24}  {:16}  {:10}  {:>5}  {:>4}/{}/{}{:15}  {}",
                    c["slot"].as_u64().unwrap_or(0),
                    s("person_id"),
                    s("auth_serial"),
                    s("state"),
                    c["apdus"].as_u64().unwrap_or(0),
                    t("jpki-auth"),
                    t("jpki-sign"),
                    t("kenhojo"),
                    "",
                    s("name")
                );
            }
        }
    }
    Ok(())
}
