//! `--simulator URL`: the terminal is an already running simulator (`simulator serve`) instead of
//! the embedded engine. Each case loads its world into it as a scenario session of its own
//! (`POST /admin/scenario/load`, keyed by a session id: the run and the case), so parallel runs
//! against one simulator do not meet; the simulator watches that session's shared folder and
//! answers there with the session's world and clock. What the case does at the terminal — a
//! patient at the face-auth reader, a fault, the clock moving on while a bulk job runs — is the
//! session's script ([`script`]), played one step at a time (`POST /admin/scenario/step`) when
//! the case's flow gets there; the session is unloaded (and its folder removed) afterwards.
//!
//! The SUT keeps its own shared folder, as with the embedded engine, and the harness relays:
//! each request the SUT completes goes on, byte for byte, into the session's `req/`; the
//! simulator's answer (result, or `.err` and the moved request) and the face files of its card
//! checks come back into the SUT's folder as the simulator wrote them. So the harness sees every
//! byte the SUT writes and how it wrote it, and nobody races for a file. The Web API is relayed
//! the same way, with `X-Simulator-Session` naming the session. The session's folder
//! must be reachable from this machine (the simulator runs here, or on a share mounted here).

use std::time::Duration;

use serde::Deserialize;

use crate::terminal::ReaderStep;

/// How to reach a running simulator's admin API.
#[derive(Debug, Clone)]
pub struct RemoteSimulator {
    /// Base URL, e.g. `http://127.0.0.1:8370`.
    pub url: String,
    /// The operator token (`serve --admin-token`, `SIM_ADMIN_TOKEN`).
    pub token: Option<String>,
}

/// A step of a case's script, as the harness plays it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteStep {
    /// A patient at the face-auth reader (`card-check`).
    CardCheck {
        /// The fixture person.
        person: String,
        /// `pin`, `face` or `visual`.
        mode: &'static str,
        /// PINs entered in turn.
        pins: Vec<String>,
        /// The camera's verdicts in turn.
        faces: Vec<bool>,
        /// The answer to 初回登録.
        register: Option<bool>,
        /// The categories consented to.
        consent: Vec<String>,
    },
    /// `fault: err`: the next request is rejected with an `.err`.
    FaultErr,
    /// `fault: { maintenance: 30m }`.
    FaultMaintenance,
    /// `advance: DURATION` (while a bulk job runs).
    Advance(&'static str),
}

impl RemoteStep {
    /// The card check the reader steps of a flow make.
    pub fn card_check(person: &str, steps: &[ReaderStep]) -> RemoteStep {
        let mut mode = "face";
        let (mut pins, mut faces, mut register, mut consent) =
            (Vec::new(), Vec::new(), None, Vec::new());
        for s in steps {
            match s {
                ReaderStep::Mode(m) => {
                    mode = match m {
                        sim_server::reader::Mode::Pin => "pin",
                        sim_server::reader::Mode::Face => "face",
                        sim_server::reader::Mode::Visual => "visual",
                    }
                }
                ReaderStep::Pin(p) => pins.push(p.clone()),
                ReaderStep::Face(f) => faces.push(*f),
                ReaderStep::Register(r) => register = Some(*r),
                ReaderStep::Consent(c) => consent = c.clone(),
            }
        }
        RemoteStep::CardCheck {
            person: person.to_owned(),
            mode,
            pins,
            faces,
            register,
            consent,
        }
    }

    /// The step as a line of the script.
    pub fn yaml(&self) -> String {
        let list = |v: &[String]| {
            v.iter()
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            RemoteStep::CardCheck {
                person,
                mode,
                pins,
                faces,
                register,
                consent,
            } => {
                let mut parts = vec![format!("person: {person}"), format!("mode: {mode}")];
                if !pins.is_empty() {
                    parts.push(format!("pin: [{}]", list(pins)));
                }
                if !faces.is_empty() {
                    let f: Vec<String> = faces
                        .iter()
                        .map(|m| if *m { "match" } else { "mismatch" }.to_owned())
                        .collect();
                    parts.push(format!("face: [{}]", f.join(", ")));
                }
                if let Some(r) = register {
                    parts.push(format!("register: {}", if *r { "yes" } else { "no" }));
                }
                parts.push(format!("consent: [{}]", consent.join(", ")));
                format!("  - card-check: {{ {} }}", parts.join(", "))
            }
            RemoteStep::FaultErr => "  - fault: err".into(),
            RemoteStep::FaultMaintenance => "  - fault: { maintenance: 30m }".into(),
            RemoteStep::Advance(d) => format!("  - advance: {d}"),
        }
    }
}

fn card(person: &str, steps: &[ReaderStep]) -> RemoteStep {
    RemoteStep::card_check(person, steps)
}

fn face_ok(person: &str, consent: &[&str]) -> RemoteStep {
    card(
        person,
        &[
            ReaderStep::Mode(sim_server::reader::Mode::Face),
            ReaderStep::Face(true),
            ReaderStep::Consent(consent.iter().map(|s| (*s).to_owned()).collect()),
        ],
    )
}

/// How long each download of a bulk job moves the session's clock on, and how many times at
/// most: the job (5 s of processing by default) is ready at the second download.
const BULK_ADVANCE: &str = "3s";
const BULK_ADVANCES: usize = 40;

/// The script of a case: what its flow does at the terminal, in order; `Err` when the case cannot
/// run against a running simulator, and why.
pub fn script(case: &str) -> Result<Vec<RemoteStep>, &'static str> {
    use sim_server::reader::Mode;
    Ok(match case {
        "QC-3.01" => vec![RemoteStep::FaultErr],
        "QC-3.02" => vec![RemoteStep::FaultMaintenance],
        "QC-4.01" | "QC-5.03" => vec![face_ok("valid-kokuho", &[])],
        "QC-4.02" => vec![face_ok("limit-certificate", &["limit"])],
        "QC-4.03" => vec![face_ok("limit-certificate", &[])],
        "QC-4.04" => vec![
            card(
                "unregistered-card",
                &[
                    ReaderStep::Mode(Mode::Face),
                    ReaderStep::Face(true),
                    ReaderStep::Register(false),
                ],
            ),
            card(
                "unregistered-card",
                &[
                    ReaderStep::Mode(Mode::Face),
                    ReaderStep::Face(true),
                    ReaderStep::Register(true),
                    ReaderStep::Consent(Vec::new()),
                ],
            ),
        ],
        "QC-4.05" => {
            let mut pin = vec![ReaderStep::Mode(Mode::Pin)];
            pin.extend((0..3).map(|_| ReaderStep::Pin("0000".into())));
            let mut face = vec![ReaderStep::Mode(Mode::Face)];
            face.extend((0..10).map(|_| ReaderStep::Face(false)));
            vec![
                card("valid-shaho-honnin", &pin),
                card("valid-shaho-honnin", &face),
            ]
        }
        "QC-5.01" | "QC-5.04" | "QC-5.05" | "QC-5.06" => {
            vec![RemoteStep::Advance(BULK_ADVANCE); BULK_ADVANCES]
        }
        "QC-7.03" => vec![
            face_ok("valid-kokuho", &["drug"]),
            face_ok("valid-kokuho", &[]),
        ],
        "QC-7.04" => vec![
            face_ok("valid-kokuho", &["checkup"]),
            face_ok("valid-kokuho", &[]),
        ],
        _ => Vec::new(),
    })
}

/// The world settings of a case's session (top-level lines of its script): UTF-8 results for
/// QC-2.02 (`result-encoding`), and for QC-3.03 the slow terminal, `slow` late in wall time
/// (`client-delay`: the session's watcher waits that long before answering the SUT's request).
pub fn settings(case: &str, slow: Duration) -> Vec<String> {
    match case {
        "QC-2.02" => vec!["result-encoding: utf-8".into()],
        "QC-3.03" => vec![format!("client-delay: {}ms", slow.as_millis())],
        _ => Vec::new(),
    }
}

/// The whole script of a case's session.
pub fn scenario_yaml(
    case: &str,
    start: chrono::NaiveDateTime,
    medical_institution_code: &str,
    settings: &[String],
    steps: &[RemoteStep],
) -> String {
    let mut out = format!(
        "title: conformance {case}\nworld: fixtures\nclock: {{ start: {}, mode: frozen }}\nmedical-institution-code: \"{medical_institution_code}\"\n",
        start.format("%Y-%m-%dT%H:%M:%S")
    );
    for line in settings {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("steps:\n");
    if steps.is_empty() {
        // A script has at least one step; this one is never played.
        out.push_str("  - advance: 1s\n");
    }
    for s in steps {
        out.push_str(&s.yaml());
        out.push('\n');
    }
    out
}

/// `GET /admin/scenario` (the parts the harness reads).
#[derive(Debug, Clone, Deserialize)]
pub struct SessionView {
    /// The session key.
    pub session: String,
    /// Its shared folder on the simulator's machine.
    pub folder: String,
}

/// `POST /admin/scenario/step` (the parts the harness reads).
#[derive(Debug, Clone, Deserialize)]
pub struct StepOutcome {
    /// The step played (`None`: the script was over).
    pub step: Option<serde_json::Value>,
    /// The files the step wrote: `face/NAME`, `res/NAME`.
    #[serde(default)]
    pub files: Vec<StepFile>,
    /// The reader message code a card check ended with (`MOCK-R102`…).
    #[serde(default)]
    pub reader_message: Option<String>,
}

/// A file a step wrote.
#[derive(Debug, Clone, Deserialize)]
pub struct StepFile {
    /// `face/NAME` or `res/NAME`.
    pub name: String,
}

impl RemoteSimulator {
    /// Loads a case's world as session `session`.
    pub fn load(&self, session: &str, yaml: &str) -> anyhow::Result<SessionView> {
        let body = serde_json::json!({
            "yaml": yaml,
            "name": format!("<conformance {session}>"),
            "session": session,
        });
        let text = self.post("/admin/scenario/load", &body.to_string())?;
        serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("the simulator's answer to load: {e}: {text}"))
    }

    /// Plays the next step of `session`.
    pub fn step(&self, session: &str) -> anyhow::Result<StepOutcome> {
        let text = self.post(&format!("/admin/scenario/step?session={session}"), "")?;
        serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("the simulator's answer to step: {e}: {text}"))
    }

    /// Forgets `session`.
    pub fn unload(&self, session: &str) -> anyhow::Result<()> {
        self.post(&format!("/admin/scenario/unload?session={session}"), "")
            .map(|_| ())
    }

    fn post(&self, path: &str, body: &str) -> anyhow::Result<String> {
        use http_body_util::{BodyExt, Full};
        use hyper::body::Bytes;
        let url = format!("{}{path}", self.url.trim_end_matches('/'));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (status, bytes) = runtime.block_on(async {
            let client =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http::<Full<Bytes>>();
            let mut req = hyper::Request::post(&url).header("content-type", "application/json");
            if let Some(t) = &self.token {
                req = req.header("authorization", format!("Bearer {t}"));
            }
            let req = req.body(Full::new(Bytes::from(body.to_owned())))?;
            let response = tokio::time::timeout(Duration::from_secs(30), client.request(req))
                .await
                .map_err(|_| anyhow::anyhow!("the simulator at {url} did not answer in 30 s"))?
                .map_err(|e| anyhow::anyhow!("cannot reach the simulator at {url}: {e}"))?;
            let status = response.status().as_u16();
            let bytes = response.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, bytes))
        })?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if status != 200 {
            anyhow::bail!("POST {url}: HTTP {status}: {}", text.trim());
        }
        Ok(text)
    }
}
