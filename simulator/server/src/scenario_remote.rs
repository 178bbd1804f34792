//! The trainer's remote: the admin API of scenario sessions ([`crate::scenario_session`]) and
//! `simulator scenario load|step|reset|status|unload` against a running simulator.
//!
//! | endpoint | what |
//! |---|---|
//! | `POST /admin/scenario/load[?session=ID]` | load a script: JSON `{"file": PATH}` (a path on the simulator's machine) or `{"yaml": TEXT, "name": NAME}`, with optional `"session"`, `"folder": PATH` (the own world's shared folder; default `<--oqs-dir>/sessions/<session>`), `"attach": true` (play on the served world, as `serve --scenario`) and `"pcsc": true`; any other body is taken as the YAML script itself. 200 with the session (as `GET`), 422 with every diagnostic of an invalid script |
//! | `POST /admin/scenario/step[?session=ID]` | play the next step: `{session, step: {index, line, kind, state, label, failure}, files: [{name, text}], cursor, finished, clock, reader_message}` (`reader_message`: the message code a `card-check` step ended with, e.g. `MOCK-R102`; absent otherwise); `step` is `null` once every step has been played |
//! | `POST /admin/scenario/reset[?session=ID]` | back to the start, a fresh world; answers as `GET` |
//! | `GET /admin/scenario[?session=ID]` | `{session, file, title, medical_institution_code, world, clock, clock_mode, folder, steps: [...], cursor, finished, passed, failed, files}`, plus `broken` (every diagnostic) for a stored session whose script no longer loads after a restart |
//! | `GET /admin/scenarios` | every session, as a list of the above |
//! | `POST /admin/scenario/unload[?session=ID]` | forget a session |
//!
//! Without `session`, the only loaded session is meant (400 when several are loaded, 404 when
//! none). Errors are plain text.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use clap::Subcommand;
use serde::{Deserialize, Serialize};

use crate::scenario_run::RunOptions;
use crate::scenario_session::{SessionError, SessionView, Source, StepOutcome};
use crate::shared::Shared;

/// The routes, for `http::app`.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/admin/scenario", get(status))
        .route("/admin/scenarios", get(list))
        .route("/admin/scenario/load", post(load))
        .route("/admin/scenario/step", post(step))
        .route("/admin/scenario/reset", post(reset))
        .route("/admin/scenario/unload", post(unload))
}

/// `?session=ID`.
#[derive(Debug, Default, Deserialize)]
pub struct SessionQuery {
    /// The session key.
    pub session: Option<String>,
}

/// The JSON body of `POST /admin/scenario/load`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadRequest {
    /// A script file on the simulator's machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The script itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yaml: Option<String>,
    /// The name diagnostics show for `yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The session key (default: the scenario's 医療機関コード).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Play on the served simulator's world, clock and shared folder.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub attach: bool,
    /// Card and reader steps through pcscd + vpcd.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pcsc: bool,
    /// The own world's shared folder on the simulator's machine (default
    /// `<--oqs-dir>/sessions/<session>`); its `req/` is watched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
}

fn error_response(e: SessionError) -> Response {
    let status = match &e {
        SessionError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        SessionError::NotFound(_) => StatusCode::NOT_FOUND,
        SessionError::Ambiguous(_) => StatusCode::BAD_REQUEST,
        SessionError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, format!("{e}\n")).into_response()
}

/// Runs a blocking session operation off the async threads.
async fn blocking<T: Serialize + Send + 'static>(
    f: impl FnOnce() -> Result<T, SessionError> + Send + 'static,
) -> Response {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Json(v).into_response(),
        Ok(Err(e)) => error_response(e),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the scenario task failed: {e}\n"),
        )
            .into_response(),
    }
}

async fn status(State(shared): State<Arc<Shared>>, Query(q): Query<SessionQuery>) -> Response {
    blocking(move || shared.scenarios.view(q.session.as_deref())).await
}

async fn list(State(shared): State<Arc<Shared>>) -> Response {
    blocking(move || Ok(shared.scenarios.list())).await
}

async fn step(State(shared): State<Arc<Shared>>, Query(q): Query<SessionQuery>) -> Response {
    blocking(move || shared.scenarios.step(q.session.as_deref())).await
}

async fn reset(State(shared): State<Arc<Shared>>, Query(q): Query<SessionQuery>) -> Response {
    blocking(move || shared.scenarios.reset(q.session.as_deref())).await
}

async fn unload(State(shared): State<Arc<Shared>>, Query(q): Query<SessionQuery>) -> Response {
    blocking(move || {
        shared
            .scenarios
            .unload(q.session.as_deref())
            .map(|key| serde_json::json!({ "unloaded": key }))
    })
    .await
}

async fn load(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<SessionQuery>,
    body: Bytes,
) -> Response {
    let text = match std::str::from_utf8(&body) {
        Ok(t) => t.to_owned(),
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                "the body is not UTF-8: send JSON {\"file\": PATH} or the YAML script\n",
            )
                .into_response();
        }
    };
    let request = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(_)) => match serde_json::from_str::<LoadRequest>(&text) {
            Ok(r) => r,
            Err(e) => {
                return (
                    StatusCode::BAD_REQUEST,
                    format!(
                        "expected {{\"file\": PATH}} or {{\"yaml\": TEXT}} (with optional session, attach, pcsc): {e}\n"
                    ),
                )
                    .into_response();
            }
        },
        _ if text.trim().is_empty() => {
            return (
                StatusCode::BAD_REQUEST,
                "empty body: send JSON {\"file\": PATH} or the YAML script\n",
            )
                .into_response();
        }
        _ => LoadRequest {
            yaml: Some(text),
            ..LoadRequest::default()
        },
    };
    let source = match (request.file, request.yaml) {
        (Some(file), None) => Source::File(PathBuf::from(file)),
        (None, Some(text)) => Source::Text {
            name: request.name.unwrap_or_else(|| "<request>".into()),
            text,
        },
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                "give exactly one of \"file\" and \"yaml\"\n",
            )
                .into_response();
        }
    };
    let id = q.session.or(request.session);
    let options = RunOptions {
        pcsc: request.pcsc,
        vpcd: shared.cards.vpcd().clone(),
        folder: request.folder.map(PathBuf::from),
    };
    let attach = request.attach.then(|| shared.clone());
    if attach.is_some() && shared.clock.control().is_none() {
        return (
            StatusCode::CONFLICT,
            "attach: the simulator runs on the wall clock; start it with `serve --clock` or `serve --scenario`\n",
        )
            .into_response();
    }
    blocking(move || shared.scenarios.load(id, source, options, attach)).await
}

/// `simulator scenario load|step|reset|status|unload`: the remote of a running simulator.
#[derive(Subcommand, Debug)]
pub enum RemoteAction {
    /// Load a scenario into a running simulator (no restart), as a session of its own.
    Load {
        /// The script (sent as text, so the simulator may run on another machine).
        file: PathBuf,
        /// The session key (default: the scenario's 医療機関コード).
        #[arg(long)]
        session: Option<String>,
        /// Play on the served world, clock and shared folder instead of a world of its own.
        #[arg(long)]
        attach: bool,
        /// Card and reader steps through pcscd + vpcd.
        #[arg(long)]
        pcsc: bool,
        /// The session's shared folder on the simulator's machine (default
        /// `<--oqs-dir>/sessions/<session>`); its `req/` is answered by the session's world.
        #[arg(long, value_name = "DIR")]
        folder: Option<PathBuf>,
        /// URL of the running simulator.
        #[arg(long, env = "SIMULATOR_URL", default_value = crate::client::DEFAULT_URL)]
        server: String,
    },
    /// Play the next step of a loaded scenario and print its report; exit 1 if it failed.
    Step {
        /// The session (default: the only one loaded).
        #[arg(long)]
        session: Option<String>,
        /// Play every remaining step.
        #[arg(long)]
        all: bool,
        /// Print the JSON answer instead.
        #[arg(long)]
        json: bool,
        /// URL of the running simulator.
        #[arg(long, env = "SIMULATOR_URL", default_value = crate::client::DEFAULT_URL)]
        server: String,
    },
    /// Start a loaded scenario again from its first step, on a fresh world.
    Reset {
        /// The session (default: the only one loaded).
        #[arg(long)]
        session: Option<String>,
        /// URL of the running simulator.
        #[arg(long, env = "SIMULATOR_URL", default_value = crate::client::DEFAULT_URL)]
        server: String,
    },
    /// Show a loaded scenario: its steps, where it stands, the results so far.
    Status {
        /// The session (default: the only one loaded).
        #[arg(long)]
        session: Option<String>,
        /// Print JSON instead.
        #[arg(long)]
        json: bool,
        /// URL of the running simulator.
        #[arg(long, env = "SIMULATOR_URL", default_value = crate::client::DEFAULT_URL)]
        server: String,
    },
    /// Forget a loaded scenario.
    Unload {
        /// The session (default: the only one loaded).
        #[arg(long)]
        session: Option<String>,
        /// URL of the running simulator.
        #[arg(long, env = "SIMULATOR_URL", default_value = crate::client::DEFAULT_URL)]
        server: String,
    },
}

/// Runs a remote subcommand; exit 0 success, 1 a failed step or an error.
pub fn cli(action: RemoteAction) -> ExitCode {
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
        .and_then(|rt| rt.block_on(run(action)));
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("simulator: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn query(session: &Option<String>) -> String {
    match session {
        None => String::new(),
        Some(s) => format!("?session={}", percent(s)),
    }
}

/// Session keys are checked to `A-Z a-z 0-9 - _ .` by the server; anything else is escaped.
pub(crate) fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn post_to(server: &str, path: &str, body: Vec<u8>) -> anyhow::Result<Bytes> {
    crate::client::request(server, path, hyper::Method::POST, Bytes::from(body)).await
}

/// Plays the remote action; `false` when a step failed.
async fn run(action: RemoteAction) -> anyhow::Result<bool> {
    match action {
        RemoteAction::Load {
            file,
            session,
            attach,
            pcsc,
            folder,
            server,
        } => {
            let yaml = std::fs::read_to_string(&file)
                .with_context(|| format!("{}: cannot read the scenario", file.display()))?;
            let body = serde_json::to_vec(&LoadRequest {
                yaml: Some(yaml),
                name: Some(file.display().to_string()),
                session,
                attach,
                pcsc,
                folder: folder.map(|f| std::path::absolute(&f).unwrap_or(f).display().to_string()),
                ..LoadRequest::default()
            })?;
            let view: SessionView =
                serde_json::from_slice(&post_to(&server, "/admin/scenario/load", body).await?)
                    .context("reading the answer")?;
            println!(
                "loaded {} — {} as session {} ({} steps, clock {}, {} world, folder {})",
                view.file,
                view.title,
                view.session,
                view.steps.len(),
                view.clock,
                view.world,
                view.folder
            );
            Ok(true)
        }
        RemoteAction::Step {
            session,
            all,
            json,
            server,
        } => {
            let path = format!("/admin/scenario/step{}", query(&session));
            let mut ok = true;
            loop {
                let body = post_to(&server, &path, Vec::new()).await?;
                let outcome: StepOutcome =
                    serde_json::from_slice(&body).context("reading the answer")?;
                if json {
                    println!("{}", String::from_utf8_lossy(&body));
                } else {
                    print_step(&outcome);
                }
                let failed = outcome.step.as_ref().is_some_and(|s| s.failure.is_some());
                ok &= !failed;
                if !all || outcome.finished || outcome.step.is_none() {
                    break;
                }
            }
            Ok(ok)
        }
        RemoteAction::Reset { session, server } => {
            let path = format!("/admin/scenario/reset{}", query(&session));
            let view: SessionView =
                serde_json::from_slice(&post_to(&server, &path, Vec::new()).await?)
                    .context("reading the answer")?;
            println!(
                "reset {} — {}: {} steps to play, clock {}",
                view.session,
                view.title,
                view.steps.len(),
                view.clock
            );
            Ok(true)
        }
        RemoteAction::Status {
            session,
            json,
            server,
        } => {
            let path = format!("/admin/scenario{}", query(&session));
            let body = crate::client::get(&server, &path).await?;
            if json {
                println!("{}", String::from_utf8_lossy(&body));
                return Ok(true);
            }
            let view: SessionView = serde_json::from_slice(&body).context("reading the answer")?;
            print_status(&view);
            Ok(view.failed == 0)
        }
        RemoteAction::Unload { session, server } => {
            let path = format!("/admin/scenario/unload{}", query(&session));
            post_to(&server, &path, Vec::new()).await?;
            println!("unloaded");
            Ok(true)
        }
    }
}

fn print_step(outcome: &StepOutcome) {
    match &outcome.step {
        None => println!(
            "{}: every step has been played (`simulator scenario reset` starts again)",
            outcome.session
        ),
        Some(s) => {
            let label = s.label.as_deref().unwrap_or(&s.kind);
            match &s.failure {
                None => println!("ok    line {:<4} {label}", s.line),
                Some(why) => println!("FAIL  line {:<4} {label}\n          {why}", s.line),
            }
            for f in &outcome.files {
                println!("      wrote {}", f.name);
            }
            println!(
                "      [{}] step {} done, clock {}{}",
                outcome.session,
                outcome.cursor,
                outcome.clock,
                if outcome.finished { ", finished" } else { "" }
            );
        }
    }
}

fn print_status(view: &SessionView) {
    println!("{} — {}", view.file, view.title);
    if let Some(why) = &view.broken {
        println!(
            "session {} is BROKEN: its script no longer loads (fix it and `simulator scenario reset`, or unload it)\n{why}",
            view.session
        );
        return;
    }
    println!(
        "session {} ({} world, 医療機関コード {}), clock {} ({}), folder {}",
        view.session,
        view.world,
        view.medical_institution_code,
        view.clock,
        view.clock_mode,
        view.folder
    );
    for s in &view.steps {
        let mark = match s.state.as_str() {
            "passed" => "ok   ",
            "failed" => "FAIL ",
            _ if s.index == view.cursor => "next ",
            _ => "     ",
        };
        println!(
            "  {mark} line {:<4} {}",
            s.line,
            s.label.as_deref().unwrap_or(&s.kind)
        );
        if let Some(why) = &s.failure {
            println!("          {why}");
        }
    }
    println!(
        "  {} of {} played: {} passed, {} failed{}",
        view.cursor,
        view.steps.len(),
        view.passed,
        view.failed,
        if view.finished { " (finished)" } else { "" }
    );
}
