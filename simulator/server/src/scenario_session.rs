//! Scenario sessions of a running simulator: the trainer's remote and parallel CI jobs.
//!
//! A session is a loaded scenario played one step at a time ([`Run`]), under a key: the session
//! id given when loading, else the scenario's 医療機関コード (`medical-institution-code:`, else the
//! default `[reader] medical_institution_code`). Sessions never see each other's state: each one
//! loaded through the admin API has its own in-process simulator — its own world (the named
//! fixture persons), **its own virtual clock** (at the scenario's start; `advance` steps and a
//! running clock move only it), its own faults, virtual cards and PIN counters, reader, consents,
//! 照会番号 and shared folder in a temporary directory. So parallel CI jobs sharing one simulator
//! load their scenarios under different keys and step them without interfering.
//!
//! The one exception is the scenario of `serve --scenario FILE`: it is *attached* to the served
//! simulator ([`Run::attached`]), so its steps act on the world, clock and shared folder a clinic
//! system is connected to (the trainer's demo). Resetting it rewinds the served clock, the steps,
//! the faults and the reader, resets the PINs and 初回登録 of the persons its card checks use, and
//! removes the files its steps wrote into `res/` and `face/` (the replay writes the same names);
//! other state of the served simulator (the journal, other persons) stays.
//!
//! Loading and resetting need no restart. Sessions live in memory: a restart forgets them (the
//! script is the durable thing; load it again).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;
use sim_scenario::{Action, Scenario};

use crate::scenario_run::{Run, RunOptions, StepReport};
use crate::shared::Shared;

/// Where a session's script came from, kept for a reset.
#[derive(Debug, Clone)]
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
}

/// The loaded sessions of a simulator, by key.
#[derive(Debug, Default)]
pub struct Sessions {
    map: Mutex<BTreeMap<String, Arc<Mutex<Session>>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A session as `GET /admin/scenario` shows it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct SessionView {
    /// The key.
    pub session: String,
    /// The script file (or `<request>` for YAML sent in the request).
    pub file: String,
    /// Its title.
    pub title: String,
    /// What it shows, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its 医療機関コード.
    pub medical_institution_code: String,
    /// `own` (its own world) or `attached` (the served world of `serve --scenario`).
    pub world: String,
    /// The session's clock: Japan time `yyyy-mm-ddTHH:MM:SS`.
    pub clock: String,
    /// `frozen` or `running`.
    pub clock_mode: String,
    /// The session's shared folder (`req/`, `res/`, `face/` inside).
    pub folder: String,
    /// Every step, in order.
    pub steps: Vec<StepView>,
    /// The index of the next step (0-based; = `steps.len()` when finished).
    pub cursor: usize,
    /// Every step has been played.
    pub finished: bool,
    /// Steps played that passed, and that failed.
    pub passed: usize,
    /// Steps played that failed.
    pub failed: usize,
    /// The files that appeared in `res/` and `face/` so far, in order.
    pub files: Vec<String>,
}

/// One step of a session.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct StepView {
    /// Its index (0-based).
    pub index: usize,
    /// Its line in the script.
    pub line: usize,
    /// Its kind (`drop`, `expect-result`, `card-check`, …).
    pub kind: String,
    /// `pending`, `passed` or `failed`.
    pub state: String,
    /// What it did, once played.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// What `POST /admin/scenario/step` answers.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct StepOutcome {
    /// The session.
    pub session: String,
    /// The step played; `None` when every step had been played already.
    pub step: Option<StepView>,
    /// The files that appeared in `res/` or `face/` during the step: name and text.
    pub files: Vec<FileView>,
    /// The session after the step.
    pub cursor: usize,
    /// Every step has been played.
    pub finished: bool,
    /// The session's clock after the step.
    pub clock: String,
}

/// A file written by a step.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct FileView {
    /// `res/NAME` or `face/NAME`.
    pub name: String,
    /// Its text (decoded by its XML declaration; lossy for other bytes).
    pub text: String,
}

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
    ) -> Result<Session, SessionError> {
        let run = match attach {
            Some(shared) => Run::attached(scenario, shared, options.clone()),
            None => Run::new(scenario, options.clone()),
        }
        .map_err(SessionError::Failed)?;
        Ok(Session {
            id,
            source,
            options,
            run,
            loaded_at: Instant::now(),
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
        })
    }

    /// Back to the start: the script read again, a fresh world (or, attached, the served world
    /// rewound as far as the scenario touched it).
    pub fn reset(&mut self) -> Result<(), SessionError> {
        let scenario = read_source(&self.source)?;
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

impl Sessions {
    /// Loads a scenario under `id` (else its 医療機関コード), replacing a session of that key.
    /// `attach`: play it on this served simulator instead of a world of its own.
    pub fn load(
        &self,
        id: Option<String>,
        source: Source,
        options: RunOptions,
        attach: Option<Arc<Shared>>,
    ) -> Result<SessionView, SessionError> {
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
        let session = Session::new(id.clone(), source, scenario, options, attach)?;
        let view = session.view();
        tracing::info!(session = %id, file = %view.file, title = %view.title, world = %view.world, "scenario loaded");
        lock(&self.map).insert(id, Arc::new(Mutex::new(session)));
        Ok(view)
    }

    /// The session under `id`, or the only one when `None`.
    pub fn get(&self, id: Option<&str>) -> Result<Arc<Mutex<Session>>, SessionError> {
        let map = lock(&self.map);
        match id {
            Some(id) => map.get(id).cloned().ok_or_else(|| {
                SessionError::NotFound(format!(
                    "no scenario session {id:?} (loaded: {})",
                    names(&map)
                ))
            }),
            None => match map.len() {
                0 => Err(SessionError::NotFound(
                    "no scenario loaded (POST /admin/scenario/load, `simulator scenario load FILE`)"
                        .into(),
                )),
                1 => Ok(map.values().next().cloned().expect("one session")),
                _ => Err(SessionError::Ambiguous(format!(
                    "several scenario sessions are loaded ({}); name one with ?session=ID (--session)",
                    names(&map)
                ))),
            },
        }
    }

    /// Plays the next step of a session.
    pub fn step(&self, id: Option<&str>) -> Result<StepOutcome, SessionError> {
        let session = self.get(id)?;
        let mut s = lock(&session);
        s.step()
    }

    /// Resets a session to its start.
    pub fn reset(&self, id: Option<&str>) -> Result<SessionView, SessionError> {
        let session = self.get(id)?;
        let mut s = lock(&session);
        s.reset()?;
        tracing::info!(session = %s.id, "scenario reset");
        Ok(s.view())
    }

    /// A session's view.
    pub fn view(&self, id: Option<&str>) -> Result<SessionView, SessionError> {
        let session = self.get(id)?;
        let s = lock(&session);
        Ok(s.view())
    }

    /// Removes a session (its own world with it).
    pub fn unload(&self, id: Option<&str>) -> Result<String, SessionError> {
        let session = self.get(id)?;
        let key = lock(&session).id.clone();
        lock(&self.map).remove(&key);
        tracing::info!(session = %key, "scenario unloaded");
        Ok(key)
    }

    /// Every session's view, by key.
    pub fn list(&self) -> Vec<SessionView> {
        let sessions: Vec<_> = lock(&self.map).values().cloned().collect();
        sessions.iter().map(|s| lock(s).view()).collect()
    }

    /// The world of the own-world session keyed by the `MedicalInstitutionCode` of this request
    /// file (XML over HTTP routes a clinic's request there), if one is loaded.
    pub fn world_for_request(&self, request: &[u8]) -> Option<Arc<Shared>> {
        if lock(&self.map).is_empty() {
            return None;
        }
        let text = crate::scenario_run::decode(request);
        let open = "<MedicalInstitutionCode>";
        let start = text.find(open)? + open.len();
        let end = start + text[start..].find("</MedicalInstitutionCode>")?;
        let code = text[start..end].trim();
        let session = lock(&self.map).get(code).cloned()?;
        let s = lock(&session);
        (!s.run.is_attached()).then(|| s.run.shared().clone())
    }

    /// The world of a session (its clock, for `/admin/clock?session=`).
    pub fn world(&self, id: Option<&str>) -> Result<Arc<Shared>, SessionError> {
        let session = self.get(id)?;
        let s = lock(&session);
        Ok(s.run.shared().clone())
    }

    /// Drops every session (at shutdown: an attached one holds the served simulator).
    pub fn clear(&self) {
        lock(&self.map).clear();
    }
}

fn names(map: &BTreeMap<String, Arc<Mutex<Session>>>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    map.keys().cloned().collect::<Vec<_>>().join(", ")
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

/// `--pcsc`: puts `person`'s virtual card into vpcd slot 0 and waits until pcscd sees a card.
pub fn pcsc_insert(shared: &Shared, person: &str, face: sim_card::FaceImage) -> anyhow::Result<()> {
    use anyhow::Context;
    let p = shared
        .population
        .person_by_id(person)
        .with_context(|| format!("no person {person}"))?;
    shared
        .cards
        .insert_with_face(&p, 0, face)
        .with_context(|| format!("putting {person}'s card into vpcd slot 0"))?;
    wait_for_card(true).with_context(|| {
        format!(
            "pcscd does not see {person}'s card (slot 0: {})",
            serde_json::to_string(&shared.cards.list()).unwrap_or_default()
        )
    })
}

/// `--pcsc`: takes the card out of vpcd slot 0 and waits until pcscd sees no card.
pub fn pcsc_remove(shared: &Shared) -> anyhow::Result<()> {
    use anyhow::Context;
    if shared.cards.list().iter().any(|c| c.slot == 0) {
        shared
            .cards
            .remove(0)
            .context("taking the card out of slot 0")?;
    }
    wait_for_card(false).context("pcscd still sees a card in slot 0")
}

/// Takes the machine-wide lock on vpcd slot 0 that the card end-to-end tests take
/// (`$TMPDIR/sim-pcscd-slot0.lock`), waiting (and saying so) while another process holds it; held
/// until the returned file is dropped. `scenario run --pcsc` takes it, so two jobs on one machine
/// never share the slot.
pub fn pcsc_machine_lock() -> anyhow::Result<std::fs::File> {
    use anyhow::Context;
    let path = std::env::temp_dir().join("sim-pcscd-slot0.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    if file.try_lock().is_err() {
        eprintln!(
            "waiting for another user of vpcd slot 0 (lock {})",
            path.display()
        );
        file.lock()
            .with_context(|| format!("locking {}", path.display()))?;
    }
    Ok(file)
}

/// The PC/SC name of vpcd's slot 0.
const SLOT0_READER: &str = "Virtual PCD 00 00";

/// Waits (10 s at most) until pcscd reports slot 0 with (or without) a card, through its status
/// change events (polling connections would race pcscd's own view of the slot).
fn wait_for_card(present: bool) -> anyhow::Result<()> {
    let ctx = pcsc::Context::establish(pcsc::Scope::User)
        .map_err(|e| anyhow::anyhow!("cannot reach pcscd: {e}"))?;
    let reader = std::ffi::CString::new(SLOT0_READER).expect("no NUL in the name");
    let mut states = [pcsc::ReaderState::new(reader, pcsc::State::UNAWARE)];
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match ctx.get_status_change(Duration::from_millis(250), &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(e) => anyhow::bail!("pcscd status of {SLOT0_READER}: {e}"),
        }
        let state = states[0].event_state();
        let now_present =
            state.contains(pcsc::State::PRESENT) && !state.contains(pcsc::State::MUTE);
        if now_present == present && (present || state.contains(pcsc::State::EMPTY)) {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!("timed out after 10 s ({SLOT0_READER}: {state:?})");
        }
        states[0].sync_current_state();
    }
}
