//! The terminal the harness plays: the simulator's engine (sim-server as a library) on a shared
//! folder of its own, with a virtual clock, answering through the simulator's own code path
//! (`dropbox::answer`), but watched by the harness so that every request the SUT writes is seen
//! exactly as it arrived (how it got its name, its bytes) before it is answered, and so that a case
//! can make the terminal misbehave (`.err`, maintenance, slow answers, a bulk job still
//! processing).
//!
//! Against a running simulator (`--simulator URL`, [`crate::remote`]) there is no engine: the
//! worker relays each request into the case's session folder on that simulator and brings its
//! answer back; reader checks and faults are steps of the session's script.
//!
//! Requests are seen through file events (inotify): a final name that appears by a rename is a
//! careful write; a final name that is created and then written is a write in place, answered only
//! once the writer closes it. A scan every tick catches what events miss.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::NaiveDateTime;
use notify::{EventKind, RecursiveMode, Watcher};
use sim_messages::MessageKind;
use sim_messages::file_name::{RequestFileName, is_temporary_name};
use sim_server::clock::{Clock, VirtualClock};
use sim_server::config::Config;
use sim_server::dropbox::{self, Folders};
use sim_server::serve::{ServeOptions, build_shared};
use sim_server::shared::Shared;

use crate::remote::{RemoteSimulator, RemoteStep};

/// How the terminal answers single checks (`OQSsiquc01req_`) in the current case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Behaviour {
    /// As the simulator does.
    #[default]
    Normal,
    /// The request is rejected: moved into `res/` beside an `.err` file.
    Err,
    /// A maintenance window: SegmentOfResult 9 with the catalogue's maintenance code.
    Maintenance,
    /// The answer comes this late (wall time: the SUT waits in real time).
    Slow(Duration),
}

/// A file: name and bytes.
pub type NamedFile = (String, Vec<u8>);

/// What a patient's check at the reader left: the face file written, if any, and the reader's
/// last message code.
pub type ReaderOutcome = (Option<NamedFile>, Option<String>);

/// One thing a patient does at the face-auth reader.
#[derive(Debug, Clone)]
pub enum ReaderStep {
    /// Choose 顔認証 / 暗証番号 / 目視.
    Mode(sim_server::reader::Mode),
    /// Enter a PIN.
    Pin(String),
    /// The camera's verdict.
    Face(bool),
    /// Answer 初回登録 (保険証利用登録).
    Register(bool),
    /// Answer the consent screens: the categories consented to (`drug`, `limit`…).
    Consent(Vec<String>),
}

/// Settings of one terminal.
#[derive(Debug, Clone)]
pub struct TerminalOptions {
    /// The day and time on the terminal's (frozen) clock.
    pub now: NaiveDateTime,
    /// The clinic's 医療機関コード (the reader writes face files for it).
    pub medical_institution_code: String,
    /// Encoding of result files: `shift_jis` or `utf-8`.
    pub result_encoding: String,
    /// How many downloads of a bulk job are answered "still processing" (SegmentOfResult 2).
    pub bulk_processing_polls: u32,
    /// Use this folder as the shared folder root instead of a temporary one (manual mode).
    pub oqs_dir: Option<PathBuf>,
    /// Serve the Web API.
    pub webapi: bool,
    /// Use this session of a running simulator instead of the embedded engine.
    pub remote: Option<RemoteCase>,
}

/// A case's session on a running simulator (`--simulator URL`).
#[derive(Debug, Clone)]
pub struct RemoteCase {
    /// The simulator.
    pub sim: RemoteSimulator,
    /// The session key.
    pub session: String,
    /// The case id (the script's title).
    pub case: String,
    /// The world settings of the case's script ([`crate::remote::settings`]).
    pub settings: Vec<String>,
    /// The case's script.
    pub steps: Vec<RemoteStep>,
}

/// The embedded engine: the simulator's state and its clock.
struct Engine {
    shared: Arc<Shared>,
    clock: Arc<VirtualClock>,
}

/// A loaded session and what is left of its script.
struct RemoteSession {
    sim: RemoteSimulator,
    session: String,
    /// The session's shared folder, where the simulator answers.
    folder: PathBuf,
    steps: Mutex<std::collections::VecDeque<RemoteStep>>,
}

impl RemoteSession {
    /// Plays the next step of the script, which must be `step`.
    fn play(&self, step: &RemoteStep) -> anyhow::Result<crate::remote::StepOutcome> {
        let next = self
            .steps
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front();
        match next {
            Some(n) if &n == step => self.sim.step(&self.session),
            Some(n) => anyhow::bail!(
                "the case's script (conformance/src/remote.rs) is out of step: it has {}, the flow does {}",
                n.yaml().trim(),
                step.yaml().trim()
            ),
            None => anyhow::bail!(
                "the case's script (conformance/src/remote.rs) has no step left for {}",
                step.yaml().trim()
            ),
        }
    }

    /// Moves the session's clock on while a bulk job runs, if the script has an advance next.
    fn advance(&self) {
        let next = {
            let mut steps = self.steps.lock().unwrap_or_else(|e| e.into_inner());
            match steps.front() {
                Some(RemoteStep::Advance(_)) => steps.pop_front(),
                _ => None,
            }
        };
        if next.is_some()
            && let Err(e) = self.sim.step(&self.session)
        {
            tracing::warn!(error = %format!("{e:#}"), "advancing the session's clock failed");
        }
    }
}

/// A request file as the terminal saw it.
#[derive(Debug, Clone)]
pub struct Observed {
    /// Its name in `req/`.
    pub name: String,
    /// Its bytes when it was answered.
    pub bytes: Vec<u8>,
    /// It was created under its final name and written there (not renamed into place).
    pub in_place: bool,
    /// When it was picked up (wall time).
    pub at: Instant,
    /// The files the answer put into `res/`: name and bytes (the result, or the `.err` file and
    /// the moved request).
    pub answer: Vec<(String, Vec<u8>)>,
}

impl Observed {
    /// The message type, if the name has a known prefix.
    pub fn kind(&self) -> Option<MessageKind> {
        RequestFileName::parse(&self.name).ok().map(|n| n.kind)
    }

    /// The result or `.err` file of the answer (not the moved request).
    pub fn answer_file(&self) -> Option<&(String, Vec<u8>)> {
        self.answer
            .iter()
            .find(|(n, _)| n.ends_with(".err"))
            .or_else(|| self.answer.iter().find(|(n, _)| n != &self.name))
    }
}

/// An HTTP request the Web API received.
#[derive(Debug, Clone)]
pub struct HttpSeen {
    /// The path.
    pub path: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The body.
    pub body: Vec<u8>,
    /// The answer's status and body.
    pub status: u16,
    /// The answer's body.
    pub answer: Vec<u8>,
}

#[derive(Debug, Default)]
struct State {
    behaviour: Behaviour,
    observed: Vec<Observed>,
    http: Vec<HttpSeen>,
    /// Final names seen created in place and not yet answered.
    in_place: HashSet<String>,
    /// Final names known complete (renamed into place or closed after writing).
    ready: HashSet<String>,
    /// A request that could not be answered (harness problem), with why.
    broken: Vec<String>,
}

type SyncState = Arc<(Mutex<State>, Condvar)>;

fn lock(s: &SyncState) -> MutexGuard<'_, State> {
    s.0.lock().unwrap_or_else(|e| e.into_inner())
}

/// The embedded terminal of one case.
pub struct Terminal {
    _temp: Option<tempfile::TempDir>,
    /// The shared folder.
    pub folders: Folders,
    /// The shared folder root.
    pub root: PathBuf,
    /// The embedded engine (`None` against a running simulator).
    engine: Option<Engine>,
    /// The session on a running simulator.
    remote: Option<Arc<RemoteSession>>,
    /// Base URL of the Web API (empty when not served).
    pub webapi_url: String,
    sync: SyncState,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    _watcher: Option<notify::RecommendedWatcher>,
    http: Option<(tokio::runtime::Runtime, tokio::sync::oneshot::Sender<()>)>,
}

impl std::fmt::Debug for Terminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminal")
            .field("root", &self.root)
            .finish()
    }
}

impl Terminal {
    /// Builds the terminal and starts watching `req/`.
    pub fn start(opts: &TerminalOptions) -> anyhow::Result<Terminal> {
        let temp = tempfile::Builder::new()
            .prefix("conformance-")
            .tempdir()
            .context("creating a temporary folder")?;
        let root = match &opts.oqs_dir {
            Some(dir) => dir.clone(),
            None => temp.path().join("oqs"),
        };
        let (engine, remote) = match &opts.remote {
            Some(r) => {
                let yaml = crate::remote::scenario_yaml(
                    &r.case,
                    opts.now,
                    &opts.medical_institution_code,
                    &r.settings,
                    &r.steps,
                );
                let view = r
                    .sim
                    .load(&r.session, &yaml)
                    .with_context(|| format!("loading session {} into the simulator", r.session))?;
                let session = RemoteSession {
                    sim: r.sim.clone(),
                    session: view.session.clone(),
                    folder: PathBuf::from(view.folder),
                    steps: Mutex::new(r.steps.iter().cloned().collect()),
                };
                (None, Some(Arc::new(session)))
            }
            None => {
                let mut config = Config::default_config();
                config.population.size = 0;
                config.terminal.response_delay_ms = [0, 0];
                config.terminal.fsync = false;
                config.terminal.result_encoding = opts.result_encoding.clone();
                config.reader.medical_institution_code = opts.medical_institution_code.clone();
                config.bulk.base_ms = u64::from(opts.bulk_processing_polls) * 1000;
                config.bulk.per_unit_ms = 0.0;
                let clock = Arc::new(VirtualClock::new(opts.now, false));
                let mut serve = ServeOptions::new(config, root.clone(), temp.path().join("state"));
                serve.clock = clock.clone();
                let shared = build_shared(&serve).context("building the simulator")?;
                (Some(Engine { shared, clock }), None)
            }
        };
        let folders = Folders::create(&root)?;
        if opts.oqs_dir.is_some() {
            empty_folders(&folders)?;
        }
        let sync: SyncState = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::channel::<notify::Event>();
        let watcher = match notify::recommended_watcher(move |e: notify::Result<notify::Event>| {
            if let Ok(e) = e {
                let _ = tx.send(e);
            }
        }) {
            Ok(mut w) => match w
                .watch(&folders.req, RecursiveMode::NonRecursive)
                .and_then(|()| {
                    // Against a running simulator the answers are seen as they are written.
                    if remote.is_some() {
                        w.watch(&folders.res, RecursiveMode::NonRecursive)
                    } else {
                        Ok(())
                    }
                }) {
                Ok(()) => Some(w),
                Err(e) => {
                    tracing::warn!(error = %e, "no file events on req/; scanning only");
                    None
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "no file events; scanning only");
                None
            }
        };
        let worker = Worker {
            engine: engine.as_ref().map(|e| Engine {
                shared: e.shared.clone(),
                clock: e.clock.clone(),
            }),
            remote: remote.clone(),
            folders: Folders {
                req: folders.req.clone(),
                res: folders.res.clone(),
                face: folders.face.clone(),
            },
            sync: sync.clone(),
            stop: stop.clone(),
            events: watcher.is_some(),
        };
        let thread = std::thread::Builder::new()
            .name("terminal".into())
            .spawn(move || worker.run(rx))
            .context("starting the terminal thread")?;
        let mut terminal = Terminal {
            _temp: Some(temp),
            folders,
            root,
            engine,
            remote,
            webapi_url: String::new(),
            sync,
            stop,
            thread: Some(thread),
            _watcher: watcher,
            http: None,
        };
        if opts.webapi {
            terminal.serve_webapi()?;
        }
        Ok(terminal)
    }

    fn serve_webapi(&mut self) -> anyhow::Result<()> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .context("starting the HTTP runtime")?;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(SocketAddr::from((
                [127, 0, 0, 1],
                0,
            ))))
            .context("binding the Web API on loopback")?;
        let addr = listener.local_addr()?;
        let sync = self.sync.clone();
        let app = match (&self.engine, &self.remote) {
            (Some(engine), _) => sim_server::http::app(engine.shared.clone()),
            // The running simulator's Web API, for this case's session.
            (None, Some(r)) => webapi_relay(r.sim.url.clone(), r.session.clone()),
            (None, None) => anyhow::bail!("no Web API without an engine or a simulator"),
        };
        let app = app.layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let sync = sync.clone();
                async move { record_http(sync, req, next).await }
            },
        ));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        self.webapi_url = format!("http://{addr}");
        self.http = Some((runtime, tx));
        Ok(())
    }

    /// Sets how single checks are answered from now on (against a running simulator: the
    /// session's `fault:` step).
    pub fn set_behaviour(&self, behaviour: Behaviour) -> anyhow::Result<()> {
        if let Some(r) = &self.remote {
            let step = match behaviour {
                Behaviour::Err => RemoteStep::FaultErr,
                Behaviour::Maintenance => RemoteStep::FaultMaintenance,
                // The session's world was loaded with `client-delay` (remote::settings): its
                // watcher answers the SUT that late, in wall time.
                Behaviour::Slow(_) => return Ok(()),
                other => anyhow::bail!("{other:?} is not available against a running simulator"),
            };
            r.play(&step)?;
            return Ok(());
        }
        lock(&self.sync).behaviour = behaviour;
        Ok(())
    }

    /// The embedded engine, or why there is none.
    fn engine(&self) -> anyhow::Result<&Engine> {
        self.engine
            .as_ref()
            .context("no embedded engine against a running simulator")
    }

    /// A card check played as the session's next step: the face file it wrote, if any.
    fn remote_card_check(
        &self,
        remote: &RemoteSession,
        step: &RemoteStep,
    ) -> anyhow::Result<ReaderOutcome> {
        let outcome = remote.play(step)?;
        let message = outcome.reader_message.clone();
        let Some(name) = outcome
            .files
            .iter()
            .find_map(|f| f.name.strip_prefix("face/"))
        else {
            return Ok((None, message));
        };
        // The face file comes into the SUT's face/ as the simulator wrote it.
        let theirs = remote.folder.join("face").join(name);
        let bytes = std::fs::read(&theirs)
            .with_context(|| format!("reading the simulator's face/{name}"))?;
        let _ = std::fs::remove_file(&theirs);
        dropbox::write_atomically(&self.folders.face, name, &bytes, false)?;
        Ok((Some((name.to_owned(), bytes)), message))
    }

    /// Every request answered so far, in order.
    pub fn observed(&self) -> Vec<Observed> {
        lock(&self.sync).observed.clone()
    }

    /// A counter of the requests answered so far, for waiting from elsewhere.
    pub fn counter(&self) -> impl Fn() -> usize + Send + Sync + 'static {
        let sync = self.sync.clone();
        move || lock(&sync).observed.len()
    }

    /// Every Web API request so far.
    pub fn http_seen(&self) -> Vec<HttpSeen> {
        lock(&self.sync).http.clone()
    }

    /// Requests that could not be answered, with why (a harness or environment problem).
    pub fn broken(&self) -> Vec<String> {
        lock(&self.sync).broken.clone()
    }

    /// Waits until at least `count` requests have been answered, or `timeout`; true if they were.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = lock(&self.sync);
        while state.observed.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self
                .sync
                .1
                .wait_timeout(state, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        true
    }

    /// Waits until no request has been answered for `quiet`, at most `max`: lets a SUT that keeps
    /// polling show itself.
    pub fn settle(&self, quiet: Duration, max: Duration) {
        let deadline = Instant::now() + max;
        loop {
            let seen = lock(&self.sync).observed.len();
            std::thread::sleep(quiet.min(deadline.saturating_duration_since(Instant::now())));
            let now = lock(&self.sync).observed.len();
            if now == seen || Instant::now() >= deadline {
                return;
            }
        }
    }

    /// A patient puts `person`'s My Number Card on the face-auth reader, identifies by face (a
    /// mock match) and answers the consent screens with `consents` (e.g. `["limit"]`); the face
    /// file written, name and bytes.
    pub fn card_check(&self, person: &str, consents: &[&str]) -> anyhow::Result<(String, Vec<u8>)> {
        use sim_server::reader::{CardKind, Mode};
        if let Some(r) = &self.remote {
            let steps = [
                ReaderStep::Mode(Mode::Face),
                ReaderStep::Face(true),
                ReaderStep::Consent(consents.iter().map(|s| (*s).to_owned()).collect()),
            ];
            return self
                .remote_card_check(r, &RemoteStep::card_check(person, &steps))?
                .0
                .with_context(|| format!("the reader wrote no face file for {person}"));
        }
        let shared = &self.engine()?.shared;
        let reader = &shared.reader;
        let run = || -> anyhow::Result<sim_server::reader::ReaderStatus> {
            let mut status = reader.insert(shared, Some(person), CardKind::Mynumber)?;
            if status.screen == "choose-mode" {
                status = reader.choose(Mode::Face)?;
            }
            if status.screen == "face-capture" {
                status = reader.face(shared, true)?;
            }
            if status.screen == "consent" {
                let answers =
                    sim_server::reader::parse_consents(consents).map_err(anyhow::Error::msg)?;
                status = reader.consent(shared, answers)?;
            }
            Ok(status)
        };
        let outcome = run();
        let _ = reader.remove();
        let status = outcome?;
        let name = status.face_file.with_context(|| {
            format!(
                "the reader wrote no face file (screen {}, {})",
                status.screen,
                status.message.unwrap_or_default()
            )
        })?;
        let bytes = std::fs::read(self.folders.face.join(&name))
            .with_context(|| format!("reading face/{name}"))?;
        Ok((name, bytes))
    }

    /// A patient at the face-auth reader going through `steps` with `person`'s My Number Card
    /// (then the card is taken off): the face file written, if any, and the reader's last message
    /// code (`MOCK-R102`…).
    pub fn reader_steps(
        &self,
        person: &str,
        steps: &[ReaderStep],
    ) -> anyhow::Result<ReaderOutcome> {
        use sim_server::reader::CardKind;
        if let Some(r) = &self.remote {
            return self.remote_card_check(r, &RemoteStep::card_check(person, steps));
        }
        let shared = &self.engine()?.shared;
        let reader = &shared.reader;
        let run = || -> anyhow::Result<sim_server::reader::ReaderStatus> {
            let mut status = reader.insert(shared, Some(person), CardKind::Mynumber)?;
            for step in steps {
                if status.screen == "failed" || status.screen == "done" {
                    break;
                }
                status = match step {
                    ReaderStep::Mode(m) => reader.choose(*m)?,
                    ReaderStep::Pin(pin) => reader.enter_pin(shared, pin)?,
                    ReaderStep::Face(matched) => reader.face(shared, *matched)?,
                    ReaderStep::Register(yes) => reader.register(shared, *yes)?,
                    ReaderStep::Consent(names) => {
                        let answers = sim_server::reader::parse_consents(names)
                            .map_err(anyhow::Error::msg)?;
                        reader.consent(shared, answers)?
                    }
                };
            }
            Ok(status)
        };
        let outcome = run();
        let _ = reader.remove();
        let status = outcome?;
        let face = match status.face_file {
            Some(name) => {
                let bytes = std::fs::read(self.folders.face.join(&name))
                    .with_context(|| format!("reading face/{name}"))?;
                Some((name, bytes))
            }
            None => None,
        };
        Ok((face, status.message_code.map(str::to_owned)))
    }

    /// The names in `dir` that are not hidden.
    pub fn list(dir: &Path) -> Vec<String> {
        list(dir)
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some((runtime, tx)) = self.http.take() {
            let _ = tx.send(());
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
        if let Some(e) = &self.engine {
            e.shared.journal.flush();
        }
        if let Some(r) = &self.remote {
            match r.sim.unload(&r.session) {
                // The session's own folder (`<oqs-dir>/sessions/<id>`) is this case's scratch.
                Ok(()) if r.folder.file_name().and_then(|n| n.to_str()) == Some(&r.session) => {
                    let _ = std::fs::remove_dir_all(&r.folder);
                }
                Ok(()) => {}
                Err(e) => {
                    tracing::warn!(session = %r.session, error = %format!("{e:#}"), "unloading the session failed");
                }
            }
        }
    }
}

async fn record_http(
    sync: SyncState,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let authorization = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let request = axum::extract::Request::from_parts(parts, axum::body::Body::from(body.clone()));
    let response = next.run(request).await;
    let (parts, answer) = response.into_parts();
    let answer = axum::body::to_bytes(answer, 4 << 20)
        .await
        .unwrap_or_default();
    lock(&sync).http.push(HttpSeen {
        path,
        authorization,
        body: body.to_vec(),
        status: parts.status.as_u16(),
        answer: answer.to_vec(),
    });
    sync.1.notify_all();
    axum::response::Response::from_parts(parts, axum::body::Body::from(answer))
}

/// A Web API that passes every request on to a running simulator's, for one session (the
/// `X-Simulator-Session` header), and its answer back: the harness records both as it does on
/// the embedded engine's.
fn webapi_relay(base: String, session: String) -> axum::Router {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    axum::Router::new().fallback(move |req: axum::extract::Request| {
        let (client, base, session) = (client.clone(), base.clone(), session.clone());
        async move {
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20)
                .await
                .unwrap_or_default();
            let path = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            let mut out = hyper::Request::builder()
                .method(parts.method.clone())
                .uri(format!("{}{path}", base.trim_end_matches('/')))
                .header("x-simulator-session", session);
            for (k, v) in &parts.headers {
                if k != axum::http::header::HOST && k != axum::http::header::CONTENT_LENGTH {
                    out = out.header(k, v);
                }
            }
            let answer = match out.body(Full::new(body)) {
                Ok(r) => client.request(r).await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match answer {
                Ok(response) => {
                    let (parts, body) = response.into_parts();
                    let bytes = body
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
                }
                Err(e) => axum::response::Response::builder()
                    .status(502)
                    .body(axum::body::Body::from(format!(
                        "the running simulator's Web API: {e}\n"
                    )))
                    .unwrap_or_default(),
            }
        }
    })
}

/// Removes what a previous case left in a user-given shared folder (regular files only).
fn empty_folders(folders: &Folders) -> anyhow::Result<()> {
    for dir in [&folders.req, &folders.res, &folders.face] {
        for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                std::fs::remove_file(entry.path())
                    .with_context(|| format!("removing {}", entry.path().display()))?;
            }
        }
    }
    Ok(())
}

impl Worker {
    /// The simulator's own answer (`dropbox::answer`); its files, from the journal.
    fn simulator_answer(
        &self,
        e: &Engine,
        name: &str,
        bytes: &[u8],
    ) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        dropbox::answer(&e.shared, &self.folders, name, false)?;
        e.shared.journal.flush();
        let newest = e.shared.journal.list(8, None)?;
        let entry = newest
            .iter()
            .find(|e| e.channel == "file" && e.request_name == name)
            .with_context(|| format!("no journal entry for {name}"))?;
        let full = e
            .shared
            .journal
            .get(entry.id)?
            .with_context(|| format!("journal entry {} vanished", entry.id))?;
        let answer_name = full.answer_name.clone().unwrap_or_default();
        let mut files = vec![(answer_name.clone(), full.answer)];
        if answer_name.ends_with(".err") {
            files.push((name.to_owned(), bytes.to_vec()));
        }
        Ok(files)
    }

    /// The `.err` fault: the request moves to `res/` beside an `.err` with the maintenance code.
    fn reject(
        &self,
        e: &Engine,
        name: &str,
        bytes: &[u8],
    ) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        let rejection = sim_core::engine::Rejection {
            key: sim_messages::ErrorKey::TerminalMaintenance,
            detail: "the conformance harness rejects this request (case: .err)".into(),
        };
        let err = e.shared.engine.err_text(name, &rejection);
        let err_name = sim_messages::file_name::err_file_name(name);
        dropbox::write_atomically(&self.folders.res, &err_name, &err, false)?;
        std::fs::rename(self.folders.req.join(name), self.folders.res.join(name))
            .with_context(|| format!("moving {name} into res/"))?;
        Ok(vec![(err_name, err), (name.to_owned(), bytes.to_vec())])
    }

    /// A maintenance window: SegmentOfResult 9 with the catalogue's maintenance code, no body.
    fn maintenance(
        &self,
        e: &Engine,
        name: &str,
        bytes: &[u8],
    ) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        use sim_messages::siquc01::{QualificationConfirmResult, ResultHeader};
        let parsed = RequestFileName::parse(name)?;
        let text = crate::checks::text_of(bytes);
        let el = |tag: &str| crate::checks::element(&text, tag);
        let config = e.shared.engine.config();
        let entry = config
            .catalogue
            .get(sim_messages::ErrorKey::TerminalMaintenance);
        let result = QualificationConfirmResult {
            header: ResultHeader {
                process_execution_time: e.clock.now().format("%Y%m%d%H%M%S").to_string(),
                qualification_confirmation_date: el("QualificationConfirmationDate"),
                medical_institution_code: el("MedicalInstitutionCode"),
                arbitrary_file_identifier: el("ArbitraryFileIdentifier"),
                reference_classification: None,
                segment_of_result: sim_messages::codes::SegmentOfResult::Abnormal
                    .code()
                    .to_owned(),
                error_code: Some(entry.code),
                error_message: Some(entry.message),
                character_code_identifier: config
                    .result_encoding
                    .character_code_identifier()
                    .to_owned(),
            },
            body: None,
        };
        let out = e.shared.engine.write(&result);
        let result_name = parsed.result_name();
        dropbox::write_atomically(&self.folders.res, &result_name, &out, false)?;
        std::fs::remove_file(self.folders.req.join(name))
            .with_context(|| format!("removing req/{name}"))?;
        Ok(vec![(result_name, out)])
    }
}

struct Worker {
    /// Answers requests (embedded); `None`: a running simulator answers, the worker observes.
    engine: Option<Engine>,
    remote: Option<Arc<RemoteSession>>,
    folders: Folders,
    sync: SyncState,
    stop: Arc<AtomicBool>,
    events: bool,
}

const TICK: Duration = Duration::from_millis(25);

impl Worker {
    fn run(self, rx: std::sync::mpsc::Receiver<notify::Event>) {
        // Size and modification time of each unanswered final name at the last scan.
        let mut last_scan: BTreeMap<String, (u64, Option<std::time::SystemTime>, u32)> =
            BTreeMap::new();
        let mut last_scan_at = Instant::now();
        while !self.stop.load(Ordering::SeqCst) {
            match rx.recv_timeout(TICK) {
                Ok(event) => self.on_event(&event),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(TICK);
                }
            }
            while let Ok(event) = rx.try_recv() {
                self.on_event(&event);
            }
            // Scanning opens the folder, which is itself an event: scan by time, not by event.
            if last_scan_at.elapsed() >= TICK {
                last_scan_at = Instant::now();
                self.scan(&mut last_scan);
            }
            let ready: Vec<String> = {
                let mut state = lock(&self.sync);
                let mut names: Vec<String> = state.ready.drain().collect();
                names.sort();
                names
            };
            for name in ready {
                self.answer(&name);
            }
        }
    }

    fn on_event(&self, event: &notify::Event) {
        use notify::event::{AccessKind, AccessMode, ModifyKind};
        for path in &event.paths {
            let Some(name) = final_name(&self.folders.req, path) else {
                continue;
            };
            let mut state = lock(&self.sync);
            match event.kind {
                EventKind::Create(_) => {
                    state.in_place.insert(name);
                }
                EventKind::Modify(ModifyKind::Name(_)) if path.exists() => {
                    state.ready.insert(name);
                }
                EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
                    state.ready.insert(name);
                }
                _ => {}
            }
        }
    }

    /// The safety net: a final name in `req/` whose size and time stayed the same over a few
    /// scans is answered even without an event (network shares, missed events).
    fn scan(&self, last: &mut BTreeMap<String, (u64, Option<std::time::SystemTime>, u32)>) {
        let names = list(&self.folders.req);
        last.retain(|n, _| names.contains(n));
        for name in names {
            if is_temporary_name(&name) {
                continue;
            }
            let Ok(meta) = std::fs::metadata(self.folders.req.join(&name)) else {
                continue;
            };
            let now = (meta.len(), meta.modified().ok());
            let entry = last.entry(name.clone()).or_insert((now.0, now.1, 0));
            if (entry.0, entry.1) == now {
                entry.2 += 1;
            } else {
                *entry = (now.0, now.1, 0);
            }
            // With events, a file being written in place waits for its close; without, for
            // stability. Either way a forgotten file is picked up after a while.
            let needed = if self.events { 40 } else { 4 };
            if entry.2 >= needed {
                lock(&self.sync).ready.insert(name);
            }
        }
    }

    fn answer(&self, name: &str) {
        let arrived = Instant::now();
        let path = self.folders.req.join(name);
        let Ok(bytes) = std::fs::read(&path) else {
            return; // already answered
        };
        let (behaviour, in_place) = {
            let mut state = lock(&self.sync);
            (state.behaviour, state.in_place.remove(name))
        };
        let kind = RequestFileName::parse(name).ok().map(|n| n.kind);
        // The answer's files are known from what was written, never by listing res/ afterwards:
        // the SUT may take them away at once.
        let outcome = match (&self.engine, &self.remote) {
            (Some(engine), _) => self.embedded_answer(engine, behaviour, kind, name, &bytes),
            (None, Some(remote)) => self.relay(remote, kind, name, &bytes),
            (None, None) => Err(anyhow::anyhow!(
                "the terminal has neither an engine nor a simulator"
            )),
        };
        let answer = match &outcome {
            Ok(files) => files.clone(),
            Err(_) => Vec::new(),
        };
        let mut state = lock(&self.sync);
        if let Err(e) = outcome {
            state.broken.push(format!("{name}: {e:#}"));
        }
        state.observed.push(Observed {
            name: name.to_owned(),
            bytes,
            in_place,
            at: arrived,
            answer,
        });
        drop(state);
        self.sync.1.notify_all();
    }
}

impl Worker {
    /// The embedded engine's answer, as the case's behaviour has it.
    fn embedded_answer(
        &self,
        engine: &Engine,
        behaviour: Behaviour,
        kind: Option<MessageKind>,
        name: &str,
        bytes: &[u8],
    ) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        let single = kind == Some(MessageKind::SingleQualification);
        match behaviour {
            Behaviour::Err if single => self.reject(engine, name, bytes),
            Behaviour::Maintenance if single => self.maintenance(engine, name, bytes),
            _ => {
                if let Behaviour::Slow(delay) = behaviour
                    && single
                {
                    let until = Instant::now() + delay;
                    while Instant::now() < until && !self.stop.load(Ordering::SeqCst) {
                        std::thread::sleep(
                            TICK.min(until.saturating_duration_since(Instant::now())),
                        );
                    }
                }
                if is_download(kind) {
                    // Each download finds the job one second further on: it is ready after
                    // `bulk_processing_polls` downloads.
                    engine.clock.advance(chrono::Duration::seconds(1));
                }
                self.simulator_answer(engine, name, bytes)
            }
        }
    }

    /// Against a running simulator: the request goes on into the session's `req/` (the harness
    /// keeps the SUT's folder to itself, so it sees every byte as the SUT wrote it and nothing is
    /// raced for), the simulator answers it there, and the answer comes back into the SUT's
    /// `res/` as the simulator wrote it: the result, or the `.err` with the request moved beside
    /// it.
    fn relay(
        &self,
        remote: &RemoteSession,
        kind: Option<MessageKind>,
        name: &str,
        bytes: &[u8],
    ) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        if is_download(kind) {
            // Each download finds the job further on, as on the embedded terminal.
            remote.advance();
        }
        let theirs = Folders {
            req: remote.folder.join("req"),
            res: remote.folder.join("res"),
            face: remote.folder.join("face"),
        };
        dropbox::write_atomically(&theirs.req, name, bytes, false)
            .with_context(|| format!("handing {name} to the simulator"))?;
        let err_name = sim_messages::file_name::err_file_name(name);
        let result_stem = RequestFileName::parse(name)
            .map(|n| n.result_name_with_extension(""))
            .unwrap_or_else(|_| name.replacen("req_", "res_", 1));
        let deadline = Instant::now() + REMOTE_ANSWER_WAIT;
        let files = loop {
            let names = list(&theirs.res);
            if names.contains(&err_name) {
                // The request is moved to res/ after the .err is written.
                let moved = theirs.res.join(name);
                while !moved.exists() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(5));
                }
                break vec![err_name.clone(), name.to_owned()];
            }
            if let Some(result) = names.iter().find(|n| n.starts_with(&result_stem)) {
                break vec![result.clone()];
            }
            if Instant::now() >= deadline || self.stop.load(Ordering::SeqCst) {
                anyhow::bail!(
                    "the simulator did not answer {name} within {} s",
                    REMOTE_ANSWER_WAIT.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let mut answer = Vec::new();
        for f in &files {
            let path = theirs.res.join(f);
            let b =
                std::fs::read(&path).with_context(|| format!("reading the simulator's res/{f}"))?;
            let _ = std::fs::remove_file(&path);
            answer.push((f.clone(), b));
        }
        let ours = self.folders.req.join(name);
        for (f, b) in &answer {
            if f == name {
                std::fs::rename(&ours, self.folders.res.join(name))
                    .with_context(|| format!("moving {name} into res/"))?;
            } else {
                dropbox::write_atomically(&self.folders.res, f, b, false)?;
            }
        }
        if !answer.iter().any(|(f, _)| f == name) {
            std::fs::remove_file(&ours).with_context(|| format!("removing req/{name}"))?;
        }
        Ok(answer)
    }
}

/// The 02 download of a bulk job (any kind).
fn is_download(kind: Option<MessageKind>) -> bool {
    matches!(
        kind,
        Some(
            MessageKind::BulkQualificationDownload
                | MessageKind::HomeVisitDownload
                | MessageKind::OnlineDownload
                | MessageKind::MedicalAidDownload
        )
    )
}

/// How long the running simulator may take to answer one request.
const REMOTE_ANSWER_WAIT: Duration = Duration::from_secs(30);

/// The name of `path` if it is a final (not temporary or hidden) name directly in `req`.
fn final_name(req: &Path, path: &Path) -> Option<String> {
    // The watch is on `req/` alone, not recursive: every event is about a name directly in it.
    let _ = req;
    let name = path.file_name()?.to_str()?.to_owned();
    (!is_temporary_name(&name) && !name.starts_with('.')).then_some(name)
}

fn list(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
