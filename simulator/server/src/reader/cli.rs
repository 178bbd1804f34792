//! `simulator reader run|status|remove`: drives the face-auth card reader of a running simulator
//! through the admin API (`/admin/reader…`). `run` takes one patient through the whole flow: card
//! on the reader, mode, PIN / face / staff confirmation, consent screens, and prints the face file.
//! The PIN goes in the request body only; it is never printed or logged.

use anyhow::{Context, bail};
use hyper::body::Bytes;
use serde_json::{Value, json};

use super::session::Mode;

/// `simulator reader …`.
#[derive(clap::Args, Debug)]
pub struct ReaderArgs {
    /// URL of the running simulator.
    #[arg(long, env = "SIMULATOR_URL", default_value = crate::client::DEFAULT_URL, global = true)]
    pub server: String,
    /// What to do.
    #[command(subcommand)]
    pub action: ReaderAction,
}

/// The reader subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum ReaderAction {
    /// One patient at the reader, start to end; prints the face file's name.
    Run {
        /// Person id (see `simulator persons`), e.g. valid-shaho-honnin.
        #[arg(long, required_unless_present = "pcsc", conflicts_with = "pcsc")]
        person: Option<String>,
        /// Read the card through PC/SC instead (the first reader holding a card, e.g. a virtual
        /// card put in with `simulator card insert`); the person is found by its certificate.
        #[arg(long)]
        pcsc: bool,
        /// pin, face or visual (目視).
        #[arg(long, default_value = "pin")]
        mode: Mode,
        /// The 利用者証明用 PIN (PIN mode; the mock cards' PIN is 1234).
        #[arg(long, default_value = "1234", hide_default_value = true)]
        pin: String,
        /// Face mode: the camera says the face does not match.
        #[arg(long)]
        face_mismatch: bool,
        /// The face photo on the card: intact, corrupt (alias unreadable) or absent. A damaged photo
        /// stops face mode with MOCK-R111.
        #[arg(long, default_value = "intact")]
        face_image: sim_card::FaceImage,
        /// The mode to fall back to when face mode cannot run (MOCK-R111, MOCK-R104): pin or visual.
        #[arg(long)]
        fallback: Option<Mode>,
        /// Consents, comma-separated: drug, checkup, diagnosis, operation, limit, disease
        /// (none: refuse everything).
        #[arg(long, value_delimiter = ',', default_value = "")]
        consent: Vec<String>,
        /// The answer to 初回登録 (保険証利用登録) if the card is not registered: yes or no.
        #[arg(long, default_value = "yes", value_parser = ["yes", "no"])]
        register: String,
        /// A check for 訪問診療等 (home) or オンライン診療等 (online): the consent is also recorded
        /// for that 診療形態 (OQSmuhvq / OQSmuonq bulk checks).
        #[arg(long, value_parser = ["home", "online"])]
        treatment: Option<String>,
    },
    /// The reader's screen.
    Status,
    /// Take the card off the reader.
    Remove,
}

async fn call(
    server: &str,
    method: hyper::Method,
    path: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let bytes = crate::client::request(server, path, method, Bytes::from(body.to_string())).await?;
    serde_json::from_slice(&bytes).context("reading the simulator's answer")
}

fn stop_if_failed(status: &Value) -> anyhow::Result<()> {
    if status["screen"] == "failed" {
        bail!("reader: {}", status["message"].as_str().unwrap_or("failed"));
    }
    Ok(())
}

/// Runs `simulator reader …`.
pub async fn run(args: ReaderArgs) -> anyhow::Result<()> {
    let server = args.server.as_str();
    let post = |path: &'static str, body: Value| call(server, hyper::Method::POST, path, body);
    match args.action {
        ReaderAction::Status => {
            let s = call(server, hyper::Method::GET, "/admin/reader", Value::Null).await?;
            println!("{}", serde_json::to_string_pretty(&s)?);
        }
        ReaderAction::Remove => {
            let s = post("/admin/reader/remove", json!({})).await?;
            println!("{}", serde_json::to_string_pretty(&s)?);
        }
        ReaderAction::Run {
            person,
            pcsc,
            mode,
            pin,
            face_mismatch,
            face_image,
            fallback,
            consent,
            register,
            treatment,
        } => {
            super::parse_consents(&consent).map_err(anyhow::Error::msg)?;
            // A card left from an earlier run is taken off first.
            let _ = post("/admin/reader/remove", json!({})).await;
            let outcome = async {
                let insert = if pcsc {
                    json!({ "kind": "pcsc" })
                } else {
                    json!({ "person": person, "face_image": face_image.name() })
                };
                let s = post("/admin/reader/insert", insert).await?;
                stop_if_failed(&s)?;
                let s = post("/admin/reader/mode", json!({ "mode": mode })).await?;
                let face_stopped =
                    matches!(s["message_code"].as_str(), Some("MOCK-R111" | "MOCK-R104"));
                let (s, mode) = match fallback {
                    Some(f) if face_stopped => {
                        eprintln!("reader: {}", s["message"].as_str().unwrap_or("-"));
                        (post("/admin/reader/mode", json!({ "mode": f })).await?, f)
                    }
                    _ => (s, mode),
                };
                stop_if_failed(&s)?;
                let s = match mode {
                    Mode::Pin => post("/admin/reader/pin", json!({ "pin": pin })).await?,
                    Mode::Face => {
                        post("/admin/reader/face", json!({ "matched": !face_mismatch })).await?
                    }
                    Mode::Visual => {
                        post("/admin/reader/confirm", json!({ "confirmed": true })).await?
                    }
                };
                stop_if_failed(&s)?;
                let s = if s["screen"] == "register" {
                    let s = post(
                        "/admin/reader/register",
                        json!({ "register": register == "yes" }),
                    )
                    .await?;
                    stop_if_failed(&s)?;
                    s
                } else {
                    s
                };
                if s["screen"] != "consent" {
                    bail!(
                        "reader: {}",
                        s["message"].as_str().unwrap_or("not identified")
                    );
                }
                let mut body = json!({ "consent": consent });
                if let Some(t) = &treatment {
                    body["treatment"] = json!(t);
                }
                let s = post("/admin/reader/consent", body).await?;
                stop_if_failed(&s)?;
                anyhow::Ok(s)
            }
            .await;
            let _ = post("/admin/reader/remove", json!({})).await;
            let s = outcome?;
            println!("face/{}", s["face_file"].as_str().unwrap_or("-"));
        }
    }
    Ok(())
}
