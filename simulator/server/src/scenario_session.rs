//! Scenario sessions of a running simulator: the trainer's remote and parallel CI jobs.
//!
//! A session is a loaded scenario played one step at a time ([`Run`]), under a key: the session
//! id given when loading, else the scenario's 医療機関コード (`medical-institution-code:`, else the
//! default `[reader] medical_institution_code`). Sessions never see each other's state: each one
//! loaded through the admin API has its own in-process simulator — its own world (the named
//! fixture persons), **its own virtual clock** (at the scenario's start; `advance` steps and a
//! running clock move only it), its own faults, virtual cards and PIN counters, reader, consents,
//! 照会番号 and shared folder (`folder` at load, else `<served --oqs-dir>/sessions/<id>`). So
//! parallel CI jobs sharing one simulator load their scenarios under different keys and step them
//! without interfering.
//!
//! A clinic system reaches a session's world through every interface: the session's own `req/`
//! (watched while served), the served `req/`, XML over HTTP and the Web API, by the request's
//! `MedicalInstitutionCode` (= the session's key) or an `X-Simulator-Session: ID` header (HTTP).
//!
//! The one exception is the scenario of `serve --scenario FILE`: it is *attached* to the served
//! simulator ([`Run::attached`]), so its steps act on the world, clock and shared folder a clinic
//! system is connected to (the trainer's demo). Resetting it rewinds the served clock, the steps,
//! the faults and the reader, resets the PINs and 初回登録 of the persons its card checks use, and
//! removes the files its steps wrote into `res/` and `face/` (the replay writes the same names);
//! other state of the served simulator (the journal, other persons) stays.
//!
//! Loading and resetting need no restart. Own-world sessions are stored in the state database
//! ([`crate::scenario_persist`]) and survive a restart: loaded again and replayed to their
//! cursor, which with the virtual clock writes the same bytes; a script that no longer loads is
//! kept as broken (logged, shown by `GET /admin/scenario`), never fatal. Attached sessions are
//! not stored (`serve --scenario` loads its script again; a replay onto the served world, whose
//! state persists, would play its steps twice).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use sim_scenario::{Action, Scenario};

use crate::dropbox::DropboxConfig;
use crate::scenario_persist::{Record, SessionStore};
use crate::scenario_run::{Run, RunOptions, StepReport};
use crate::shared::Shared;

/// Where a session's script came from, kept for a reset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file on the simulator's machine.
    File(PathBuf),
    /// YAML text sent in the request, with the name diagnostics show (`<request>` if none).
    Text {
        /// The name shown.
        name: String,
        /// The script.
        text: String,
    },
}

/// Why a session operation failed; each maps to an HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The script is invalid: every diagnostic, `file:line:column` and hint (422).
    #[error("{0}")]
    Invalid(String),
    /// No session under this key, or none at all (404).
    #[error("{0}")]
    NotFound(String),
    /// Several sessions and none named (400).
    #[error("{0}")]
    Ambiguous(String),
    /// Setting up or playing failed (500).
    #[error("{0:#}")]
    Failed(anyhow::Error),
}

/// One loaded scenario.
#[derive(Debug)]
pub struct Session {
    id: String,
    source: Source,
    options: RunOptions,
    run: Run,
    loaded_at: Instant,
    /// Stops the watcher of the session's own folder when dropped.
    watch: Option<tokio::sync::oneshot::Sender<()>>,
}

/// The loaded sessions of a simulator, by key.
#[derive(Debug, Default)]
pub struct Sessions {
    map: Mutex<BTreeMap<String, Slot>>,
    /// `map.len()`, read without a lock by the request paths.
    loaded: AtomicUsize,
    /// Stored sessions whose script no longer loads.
    broken: Mutex<BTreeMap<String, Broken>>,
    /// Where own worlds' folders go by default (`<served --oqs-dir>/sessions`).
    root: Option<PathBuf>,
    /// Where sessions are kept across restarts (`serve`).
    store: OnceLock<SessionStore>,
    /// How own folders are watched (`serve`).
    watch: OnceLock<Watch>,
    /// Where vpcd listens, for sessions restored or loaded again.
    vpcd: OnceLock<crate::card::VpcdAddr>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub use crate::scenario_view::{FileView, SessionView, StepOutcome, StepView};

/// The kind of a step, as the script names it.
pub fn step_kind(action: &Action) -> &'static str {
    match action {
        Action::Drop(d) => match d.target {
            sim_scenario::Target::Person(_) => "drop",
            sim_scenario::Target::Raw(_) => "drop-raw",
        },
        Action::Advance(_) => "advance",
        Action::ExpectResult(_) => "expect-result",
        Action::ExpectError(_) => "expect-error",
        Action::ExpectNothing => "expect-nothing",
        Action::Fault(_) => "fault",
        Action::CardCheck(_) => "card-check",
        Action::ExpectFace(_) => "expect-face",
        Action::ExpectReaderMessage(_) => "expect-reader-message",
        Action::Disaster(d) => d.name(),
        Action::Bulk(_) => "bulk",
        Action::BulkResult(_) => "bulk-result",
        Action::RegisterReference(_) => "register-reference",
        Action::WebApi(_) => "webapi",
        #[allow(unreachable_patterns)]
        _ => "step",
    }
}

fn step_view(index: usize, scenario: &Scenario, report: Option<&StepReport>) -> StepView {
    let step = &scenario.steps[index];
    StepView {
        index,
        line: step.line,
        kind: step_kind(&step.action).to_owned(),
        state: match report {
            None => "pending",
            Some(r) if r.failure.is_none() => "passed",
            Some(_) => "failed",
        }
        .to_owned(),
        label: report.map(|r| r.label.clone()),
        failure: report.and_then(|r| r.failure.clone()),
    }
}

fn read_source(source: &Source) -> Result<Scenario, SessionError> {
    let known = sim_scenario::Known::fixtures().map_err(|e| SessionError::Failed(e.into()))?;
    let parsed = match source {
        Source::File(path) => sim_scenario::parse_file(path, &known),
        Source::Text { name, text } => {
            sim_scenario::parse(name, text, &known).map_err(sim_scenario::ScenarioError::Invalid)
        }
    };
    parsed.map_err(|e| match e {
        sim_scenario::ScenarioError::Invalid(_) | sim_scenario::ScenarioError::Read { .. } => {
            SessionError::Invalid(e.to_string())
        }
        other => SessionError::Failed(other.into()),
    })
}

impl Session {
    fn new(
        id: String,
        source: Source,
        scenario: Scenario,
        options: RunOptions,
        attach: Option<Arc<Shared>>,
        watch: Option<&Watch>,
    ) -> Result<Session, SessionError> {
        let run = match attach {
            Some(shared) => Run::attached(scenario, shared, options.clone()),
            None => Run::new(scenario, options.clone()),
        }
        .map_err(SessionError::Failed)?;
        let watch = watch.and_then(|w| start_watcher(w, &run));
        Ok(Session {
            id,
            source,
            options,
            run,
            loaded_at: Instant::now(),
            watch,
        })
    }

    /// The key.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The run behind it.
    pub fn run(&self) -> &Run {
        &self.run
    }

    /// How long ago it was loaded or reset.
    pub fn age(&self) -> Duration {
        self.loaded_at.elapsed()
    }

    /// Plays the next step.
    pub fn step(&mut self) -> Result<StepOutcome, SessionError> {
        let before = self.run.report().results.len();
        let index = self.run.cursor();
        let played = self.run.step();
        let report = self.run.report();
        let files = report.results[before..]
            .iter()
            .map(|(name, bytes)| FileView {
                name: name.clone(),
                text: crate::scenario_run::decode(bytes),
            })
            .collect();
        let step = match played {
            Ok(None) => None,
            Ok(Some(r)) => Some(step_view(index, self.run.scenario(), Some(&r))),
            // The failure is in the step's report: the session goes on with the next step.
            Err(e) => {
                tracing::warn!(session = %self.id, error = %format!("{e:#}"), "scenario step could not run");
                Some(step_view(
                    index,
                    self.run.scenario(),
                    self.run.reports().get(index),
                ))
            }
        };
        let reader_message = step
            .as_ref()
            .filter(|s| s.kind == "card-check")
            .and_then(|_| self.run.last_reader_message())
            .map(str::to_owned);
        if let Some(s) = &step {
            tracing::info!(session = %self.id, line = s.line, kind = %s.kind, state = %s.state, "scenario step");
        }
        Ok(StepOutcome {
            session: self.id.clone(),
            step,
            files,
            cursor: self.run.cursor(),
            finished: self.run.finished(),
            clock: now_text(self.run.shared()),
            reader_message,
        })
    }

    /// Back to the start: the script read again, a fresh world (or, attached, the served world
    /// rewound as far as the scenario touched it).
    pub fn reset(&mut self, watch: Option<&Watch>) -> Result<(), SessionError> {
        let scenario = read_source(&self.source)?;
        // The watcher of the old world stops before the fresh one starts on the same folder.
        self.watch = None;
        if !self.run.is_attached()
            && self.options.folder.is_some()
            && let Some(root) = &self.run.shared().oqs_dir
        {
            // The files of the last play go: the replay writes the same names again.
            for (name, _) in self.run.report().results {
                let _ = std::fs::remove_file(root.join(name));
            }
        }
        let attach = if self.run.is_attached() {
            let shared = self.run.shared().clone();
            // The files of the last play go: the replay writes the same names again.
            if let Some(root) = &shared.oqs_dir {
                for (name, _) in self.run.report().results {
                    let _ = std::fs::remove_file(root.join(name));
                }
            }
            rewind_served(&shared, &scenario).map_err(SessionError::Failed)?;
            Some(shared)
        } else {
            None
        };
        let fresh = Session::new(
            self.id.clone(),
            self.source.clone(),
            scenario,
            self.options.clone(),
            attach,
            watch,
        )?;
        *self = fresh;
        Ok(())
    }

    /// The view of `GET /admin/scenario`.
    pub fn view(&self) -> SessionView {
        let run = &self.run;
        let scenario = run.scenario();
        let reports = run.reports();
        let steps: Vec<StepView> = (0..scenario.steps.len())
            .map(|i| step_view(i, scenario, reports.get(i)))
            .collect();
        let shared = run.shared();
        let clock_mode = match shared.clock.control() {
            Some(c) if c.is_frozen() => "frozen",
            Some(_) => "running",
            None => "wall",
        };
        SessionView {
            session: self.id.clone(),
            file: scenario.file.clone(),
            title: scenario.title.clone(),
            description: scenario.description.clone(),
            medical_institution_code: shared.reader.settings().medical_institution_code.clone(),
            world: if run.is_attached() { "attached" } else { "own" }.into(),
            clock: now_text(shared),
            clock_mode: clock_mode.into(),
            folder: shared
                .oqs_dir
                .as_ref()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            passed: reports.iter().filter(|r| r.failure.is_none()).count(),
            failed: reports.iter().filter(|r| r.failure.is_some()).count(),
            cursor: run.cursor(),
            finished: run.finished(),
            files: run.report().results.into_iter().map(|(n, _)| n).collect(),
            steps,
            broken: None,
        }
    }
}

fn now_text(shared: &Shared) -> String {
    shared.clock.now().format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Undoes on the served simulator what the scenario's card checks leave behind: the card comes
/// off the reader, the PIN counters of its persons are reset and their 初回登録 forgotten.
fn rewind_served(shared: &Shared, scenario: &Scenario) -> anyhow::Result<()> {
    let _ = shared.reader.remove();
    for step in &scenario.steps {
        if let Action::CardCheck(c) = &step.action {
            for card in shared.cards.list() {
                if card.person_id == c.person {
                    let _ = shared.cards.remove(card.slot);
                }
            }
            shared.cards.reset_pins(&c.person)?;
            shared.reader.consents().unregister(&c.person)?;
        }
    }
    Ok(())
}

/// A loaded session as the map holds it: the session, and (own world) its world, kept outside
/// the session's lock so that routing a request never waits for a step in progress.
#[derive(Debug, Clone)]
struct Slot {
    session: Arc<Mutex<Session>>,
    world: Option<Arc<Shared>>,
}

impl Slot {
    fn new(session: Session) -> Slot {
        let world = (!session.run.is_attached()).then(|| session.run.shared().clone());
        Slot {
            session: Arc::new(Mutex::new(session)),
            world,
        }
    }
}

/// A stored session whose script no longer loads (at a restart): shown, never played.
#[derive(Debug, Clone)]
struct Broken {
    record: Record,
    error: String,
}

impl Broken {
    fn view(&self) -> SessionView {
        SessionView {
            session: self.record.id.clone(),
            file: source_name(&self.record.source),
            title: String::new(),
            description: None,
            medical_institution_code: String::new(),
            world: "own".into(),
            clock: String::new(),
            clock_mode: String::new(),
            folder: self
                .record
                .folder
                .as_ref()
                .map(|f| f.display().to_string())
                .unwrap_or_default(),
            steps: Vec::new(),
            cursor: self.record.cursor,
            finished: false,
            passed: 0,
            failed: 0,
            files: Vec::new(),
            broken: Some(self.error.clone()),
        }
    }
}

fn source_name(source: &Source) -> String {
    match source {
        Source::File(path) => path.display().to_string(),
        Source::Text { name, .. } => name.clone(),
    }
}

/// How sessions' own shared folders are watched: the served simulator's runtime and file
/// interface settings (set by `serve`; without it, as in `scenario run`, nothing watches).
#[derive(Debug, Clone)]
pub struct Watch {
    /// The runtime the watchers run on.
    pub runtime: tokio::runtime::Handle,
    /// The served file interface's settings; `root` is replaced by each session's folder.
    pub config: DropboxConfig,
}

/// Starts the watcher of an own-world session's folder; it stops when the sender is dropped.
fn start_watcher(watch: &Watch, run: &Run) -> Option<tokio::sync::oneshot::Sender<()>> {
    if run.is_attached() {
        return None;
    }
    let root = run.shared().oqs_dir.clone()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut config = DropboxConfig {
        root: root.clone(),
        ..watch.config.clone()
    };
    // `client-delay`: the session's clients wait this long, in wall time, for each answer.
    if let Some(d) = run.scenario().client_delay {
        config.delay = (d, d);
    }
    let world = run.shared().clone();
    watch.runtime.spawn(async move {
        let stop = async {
            let _ = rx.await;
        };
        if let Err(e) = crate::dropbox::run(config, world, stop).await {
            tracing::error!(folder = %root.display(), error = %format!("{e:#}"), "the session's folder cannot be watched");
        }
    });
    Some(tx)
}

impl Sessions {
    /// No session yet; an own world's folder defaults to `root/<id>` (`None`: a temporary one).
    pub fn under(root: Option<PathBuf>) -> Sessions {
        Sessions {
            root,
            ..Sessions::default()
        }
    }

    /// Keeps every own-world session in `store` from now on (`serve --state`).
    pub fn persist(&self, store: SessionStore) {
        let _ = self.store.set(store);
    }

    /// Watches the shared folder of every own-world session loaded from now on.
    pub fn watch(&self, watch: Watch) {
        let _ = self.watch.set(watch);
    }

    /// No session is loaded: the one check the request paths make when none is.
    pub fn is_empty(&self) -> bool {
        self.loaded.load(Ordering::Acquire) == 0
    }

    fn set_count(&self, map: &BTreeMap<String, Slot>) {
        self.loaded.store(map.len(), Ordering::Release);
    }

    fn insert(&self, id: String, slot: Slot) {
        let mut map = lock(&self.map);
        map.insert(id.clone(), slot);
        self.set_count(&map);
        drop(map);
        lock(&self.broken).remove(&id);
    }

    fn store_record(&self, session: &Session) {
        if session.run.is_attached() {
            return;
        }
        let Some(store) = self.store.get() else {
            return;
        };
        let record = Record {
            id: session.id.clone(),
            source: session.source.clone(),
            pcsc: session.options.pcsc,
            folder: session.options.folder.clone(),
            cursor: session.run.cursor(),
        };
        if let Err(e) = store.save(&record) {
            tracing::error!(session = %session.id, error = %e, "cannot store the scenario session; it will not survive a restart");
        }
    }

    /// Loads a scenario under `id` (else its 医療機関コード), replacing a session of that key.
    /// `attach`: play it on this served simulator instead of a world of its own. An own world's
    /// shared folder is `options.folder`, else `<served --oqs-dir>/sessions/<id>`.
    pub fn load(
        &self,
        id: Option<String>,
        source: Source,
        mut options: RunOptions,
        attach: Option<Arc<Shared>>,
    ) -> Result<SessionView, SessionError> {
        let source = match source {
            // Absolute, so that a restart in another working directory finds it.
            Source::File(path) => Source::File(std::path::absolute(&path).unwrap_or(path)),
            text => text,
        };
        let scenario = read_source(&source)?;
        let id = match id {
            Some(id) => check_id(&id)?,
            None => scenario
                .medical_institution_code
                .clone()
                .unwrap_or_else(|| {
                    crate::reader::ReaderSettings::default().medical_institution_code
                }),
        };
        if attach.is_none() && options.folder.is_none() {
            options.folder = self.root.as_ref().map(|root| root.join(&id));
        }
        // The session replaced stops watching before the new one watches (maybe the same folder).
        let replaced = lock(&self.map).get(&id).map(|slot| slot.session.clone());
        if let Some(old) = replaced {
            lock(&old).watch = None;
        }
        let session = Session::new(
            id.clone(),
            source,
            scenario,
            options,
            attach,
            self.watch.get(),
        )?;
        let view = session.view();
        tracing::info!(session = %id, file = %view.file, title = %view.title, world = %view.world, folder = %view.folder, "scenario loaded");
        self.store_record(&session);
        self.insert(id, Slot::new(session));
        Ok(view)
    }

    /// Loads every session stored by an earlier run and replays each to its cursor. A script
    /// that no longer loads is logged and kept as broken (shown, not played); nothing fails.
    /// Returns how many were restored, and how many are broken.
    pub fn restore(&self, vpcd: &crate::card::VpcdAddr) -> (usize, usize) {
        let _ = self.vpcd.set(vpcd.clone());
        let Some(store) = self.store.get() else {
            return (0, 0);
        };
        let records = match store.all() {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the stored scenario sessions");
                return (0, 0);
            }
        };
        let (mut restored, mut broken) = (0, 0);
        for record in records {
            match self.replay(&record, vpcd) {
                Ok(view) => {
                    restored += 1;
                    tracing::info!(session = %record.id, cursor = view.cursor, file = %view.file, "scenario session restored");
                }
                Err(e) => {
                    broken += 1;
                    let error = e.to_string();
                    tracing::error!(session = %record.id, file = %source_name(&record.source), error = %error, "a stored scenario session no longer loads; shown as broken (fix it and reset, or unload)");
                    lock(&self.broken).insert(record.id.clone(), Broken { record, error });
                }
            }
        }
        (restored, broken)
    }

    /// A stored session loaded again and played to its cursor.
    fn replay(
        &self,
        record: &Record,
        vpcd: &crate::card::VpcdAddr,
    ) -> Result<SessionView, SessionError> {
        let scenario = read_source(&record.source)?;
        let options = RunOptions {
            pcsc: record.pcsc,
            vpcd: vpcd.clone(),
            folder: record.folder.clone(),
        };
        let mut session = Session::new(
            record.id.clone(),
            record.source.clone(),
            scenario,
            options,
            None,
            None,
        )?;
        while session.run.cursor() < record.cursor && !session.run.finished() {
            // A step that cannot run counts as played and failed, as when it was first played.
            let _ = session.run.step();
        }
        // Watched once the replay is done, so a clinic's file waiting in req/ meets the world
        // as the trainer left it.
        session.watch = self
            .watch
            .get()
            .and_then(|w| start_watcher(w, &session.run));
        let view = session.view();
        self.insert(record.id.clone(), Slot::new(session));
        Ok(view)
    }

    /// The session under `id`, or the only one when `None`.
    pub fn get(&self, id: Option<&str>) -> Result<Arc<Mutex<Session>>, SessionError> {
        let map = lock(&self.map);
        let broken = lock(&self.broken);
        let is_broken = |id: &str| {
            broken.get(id).map(|b| {
                SessionError::Invalid(format!(
                    "scenario session {id:?} is broken (its script no longer loads): {}\nfix the script and reset it, or unload it",
                    b.error
                ))
            })
        };
        match id {
            Some(id) => match map.get(id) {
                Some(slot) => Ok(slot.session.clone()),
                None => Err(is_broken(id).unwrap_or_else(|| {
                    SessionError::NotFound(format!(
                        "no scenario session {id:?} (loaded: {})",
                        names(&map, &broken)
                    ))
                })),
            },
            None => match (map.len(), broken.len()) {
                (0, 0) => Err(SessionError::NotFound(
                    "no scenario loaded (POST /admin/scenario/load, `simulator scenario load FILE`)"
                        .into(),
                )),
                (1, 0) => Ok(map.values().next().expect("one session").session.clone()),
                (0, 1) => Err(is_broken(broken.keys().next().expect("one")).expect("broken")),
                _ => Err(SessionError::Ambiguous(format!(
                    "several scenario sessions are loaded ({}); name one with ?session=ID (--session)",
                    names(&map, &broken)
                ))),
            },
        }
    }

    /// Plays the next step of a session.
    pub fn step(&self, id: Option<&str>) -> Result<StepOutcome, SessionError> {
        let session = self.get(id)?;
        let mut s = lock(&session);
        let outcome = s.step()?;
        if !s.run.is_attached()
            && let Some(store) = self.store.get()
            && let Err(e) = store.set_cursor(&s.id, s.run.cursor())
        {
            tracing::error!(session = %s.id, error = %e, "cannot store the session's cursor");
        }
        Ok(outcome)
    }

    /// Resets a session to its start (a broken one: its script read again).
    pub fn reset(&self, id: Option<&str>) -> Result<SessionView, SessionError> {
        let broken = id.and_then(|id| lock(&self.broken).get(id).cloned());
        if let Some(b) = broken {
            let record = Record {
                cursor: 0,
                ..b.record
            };
            let vpcd = self.vpcd.get().cloned().unwrap_or_default();
            let view = self.replay(&record, &vpcd)?;
            if let Some(store) = self.store.get() {
                let _ = store.set_cursor(&record.id, 0);
            }
            tracing::info!(session = %record.id, "broken scenario session loaded again");
            return Ok(view);
        }
        let session = self.get(id)?;
        let mut s = lock(&session);
        s.reset(self.watch.get())?;
        tracing::info!(session = %s.id, "scenario reset");
        self.store_record(&s);
        let view = s.view();
        let world = (!s.run.is_attached()).then(|| s.run.shared().clone());
        let key = s.id.clone();
        drop(s);
        // The fresh world answers the session's requests from now on.
        if let Some(slot) = lock(&self.map).get_mut(&key) {
            slot.world = world;
        }
        Ok(view)
    }

    /// A session's view.
    pub fn view(&self, id: Option<&str>) -> Result<SessionView, SessionError> {
        if let Some(b) = self.broken_view(id) {
            return Ok(b);
        }
        let session = self.get(id)?;
        let s = lock(&session);
        Ok(s.view())
    }

    fn broken_view(&self, id: Option<&str>) -> Option<SessionView> {
        let broken = lock(&self.broken);
        match id {
            Some(id) => broken.get(id).map(Broken::view),
            None if self.is_empty() && broken.len() == 1 => {
                broken.values().next().map(Broken::view)
            }
            None => None,
        }
    }

    /// Removes a session (its own world with it; its folder stays), broken or not.
    pub fn unload(&self, id: Option<&str>) -> Result<String, SessionError> {
        let key = match self.broken_view(id) {
            Some(b) => {
                lock(&self.broken).remove(&b.session);
                b.session
            }
            None => {
                let session = self.get(id)?;
                let key = lock(&session).id.clone();
                let mut map = lock(&self.map);
                map.remove(&key);
                self.set_count(&map);
                key
            }
        };
        if let Some(store) = self.store.get()
            && let Err(e) = store.remove(&key)
        {
            tracing::error!(session = %key, error = %e, "cannot remove the stored session");
        }
        tracing::info!(session = %key, "scenario unloaded");
        Ok(key)
    }

    /// Every session's view, by key (broken ones too).
    pub fn list(&self) -> Vec<SessionView> {
        let sessions: Vec<_> = lock(&self.map).values().cloned().collect();
        let mut views: Vec<SessionView> =
            sessions.iter().map(|s| lock(&s.session).view()).collect();
        views.extend(lock(&self.broken).values().map(Broken::view));
        views.sort_by(|a, b| a.session.cmp(&b.session));
        views
    }

    /// The world of the own-world session keyed by the `MedicalInstitutionCode` of this request
    /// file (XML over HTTP and the served `req/` route a clinic's request there), if one is
    /// loaded. With no session loaded, one atomic load.
    pub fn world_for_request(&self, request: &[u8]) -> Option<Arc<Shared>> {
        if self.is_empty() {
            return None;
        }
        let code = request_code(request)?;
        self.world_for_code(&code)
    }

    /// The world of the own-world session keyed by `code`.
    pub fn world_for_code(&self, code: &str) -> Option<Arc<Shared>> {
        if self.is_empty() {
            return None;
        }
        lock(&self.map).get(code.trim())?.world.clone()
    }

    /// The world of the own-world session that issued this Web API token.
    pub fn world_for_token(&self, token: &str) -> Option<Arc<Shared>> {
        if self.is_empty() {
            return None;
        }
        let worlds: Vec<Arc<Shared>> = lock(&self.map)
            .values()
            .filter_map(|s| s.world.clone())
            .collect();
        worlds.into_iter().find(|w| {
            w.tokens
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains_key(token)
        })
    }

    /// Where a request naming session `id` (the `X-Simulator-Session` header) goes: the
    /// session's own world, `None` for an attached one (it plays on the served world), an error
    /// when no such session is loaded.
    pub fn world_for_id(&self, id: &str) -> Result<Option<Arc<Shared>>, SessionError> {
        let map = lock(&self.map);
        match map.get(id.trim()) {
            Some(slot) => Ok(slot.world.clone()),
            None => Err(SessionError::NotFound(format!(
                "no scenario session {id:?} (X-Simulator-Session; loaded: {})",
                names(&map, &lock(&self.broken))
            ))),
        }
    }

    /// The world of a session (its clock, for `/admin/clock?session=`).
    pub fn world(&self, id: Option<&str>) -> Result<Arc<Shared>, SessionError> {
        let session = self.get(id)?;
        let s = lock(&session);
        Ok(s.run.shared().clone())
    }

    /// Drops every session (at shutdown: an attached one holds the served simulator). Stored
    /// sessions stay stored.
    pub fn clear(&self) {
        let mut map = lock(&self.map);
        map.clear();
        self.set_count(&map);
    }
}

/// The `MedicalInstitutionCode` of a request file.
fn request_code(request: &[u8]) -> Option<String> {
    let text = crate::scenario_run::decode(request);
    let open = "<MedicalInstitutionCode>";
    let start = text.find(open)? + open.len();
    let end = start + text[start..].find("</MedicalInstitutionCode>")?;
    Some(text[start..end].trim().to_owned())
}

fn names(map: &BTreeMap<String, Slot>, broken: &BTreeMap<String, Broken>) -> String {
    if map.is_empty() && broken.is_empty() {
        return "none".into();
    }
    let mut keys: Vec<String> = map.keys().cloned().collect();
    keys.extend(broken.keys().map(|k| format!("{k} (broken)")));
    keys.sort();
    keys.join(", ")
}

fn check_id(id: &str) -> Result<String, SessionError> {
    let id = id.trim();
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        return Err(SessionError::Invalid(format!(
            "bad session id {id:?}: 1 to 64 of A-Z a-z 0-9 - _ ."
        )));
    }
    Ok(id.to_owned())
}

pub use crate::scenario_pcsc::{pcsc_insert, pcsc_machine_lock, pcsc_remove};
