//! `simulator scenario run`: plays scripted scenarios (`sim-scenario`) headless. Each scenario
//! gets its own in-process simulator on a temporary shared folder, with a virtual clock at the
//! scenario's start; requests go through the real shared-folder code path (written into `req/`
//! atomically, answered by [`dropbox::answer`]), and each expectation is checked against what
//! appeared in `res/`. With a frozen clock, two runs write byte-identical result files.
//! `fault:` steps change how the next answers are written (maintenance window, slow terminal,
//! `.err`, a result in two parts or cut short); `card-check` steps drive the simulator's
//! face-auth reader through its in-process API and read the face file it writes.
//!
//! Exit codes: 0 every step passed; 1 a step failed (or could not run); 2 a script is invalid
//! (every problem of every script is printed, nothing runs).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use clap::{Args, Subcommand};
use sim_messages::ErrorKey;
use sim_messages::TextEncoding;
use sim_messages::codes::SegmentOfResult;
use sim_messages::file_name::is_temporary_name;
use sim_messages::file_name::{RequestFileName, err_file_name};
use sim_messages::siquc01::{
    QualificationConfirmRequest, QualificationConfirmSearchInfo, RequestBody, RequestHeader,
};
use sim_messages::siquc01::{QualificationConfirmResult, ResultHeader};
use sim_messages::xml::{XmlStyle, write_document};
use sim_scenario::{
    Action, CardCheck, DropRequest, Encoding, Fault, FaultScope, Known, ReaderMode, Scenario,
    Target,
};

use crate::clock::{Clock, VirtualClock};
use crate::config::Config;
use crate::dropbox::{self, Folders};
use crate::serve::{ServeOptions, build_shared};
use crate::shared::Shared;

/// `simulator scenario …`.
#[derive(Args, Debug)]
pub struct ScenarioArgs {
    #[command(subcommand)]
    action: ScenarioAction,
}

#[derive(Subcommand, Debug)]
enum ScenarioAction {
    /// Run scenarios headless and report each step; exit 0 all pass, 1 failures, 2 invalid.
    Run {
        /// Scenario files (YAML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also write a JUnit XML report here.
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Keep each scenario's res/ and face/ files in DIR/<scenario file stem>/{res,face}/.
        #[arg(long, value_name = "DIR")]
        keep_results: Option<PathBuf>,
        /// Card and reader steps through the real pcscd + vpcd stack (vpcd slot 0) instead of
        /// in-process.
        #[arg(long)]
        pcsc: bool,
        /// Where vpcd listens (slot 0), with --pcsc.
        #[arg(long, env = "SIM_VPCD", value_name = "HOST:PORT")]
        vpcd: Option<String>,
    },
    /// Validate scenarios without running them; exit 0 valid, 2 invalid.
    Check {
        /// Scenario files (YAML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    #[command(flatten)]
    Remote(crate::scenario_remote::RemoteAction),
}

/// The outcome of one step.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// Line of the step in the script.
    pub line: usize,
    /// What the step did, in a few words.
    pub label: String,
    /// `None` when it passed, else why it failed.
    pub failure: Option<String>,
}

/// The outcome of one scenario.
#[derive(Debug, Clone)]
pub struct ScenarioReport {
    /// The script.
    pub file: String,
    /// Its title.
    pub title: String,
    /// One report per step, in order (steps after one that could not run are not reported).
    pub steps: Vec<StepReport>,
    /// Every file that appeared in `res/` or `face/`, in order: `res/NAME` or `face/NAME`, and
    /// the bytes.
    pub results: Vec<(String, Vec<u8>)>,
    /// Wall time of the run.
    pub elapsed: std::time::Duration,
}

impl ScenarioReport {
    /// Every step passed.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.failure.is_none())
    }
}

/// Runs `simulator scenario …`; returns the process exit code.
pub fn cli(args: ScenarioArgs) -> ExitCode {
    let (files, run) = match args.action {
        ScenarioAction::Run {
            files,
            junit,
            keep_results,
            pcsc,
            vpcd,
        } => {
            let mut options = RunOptions {
                pcsc,
                ..RunOptions::default()
            };
            if let Some(v) = vpcd {
                match v.parse() {
                    Ok(addr) => options.vpcd = addr,
                    Err(e) => {
                        eprintln!("simulator: --vpcd {v:?}: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
            (files, Some((junit, keep_results, options)))
        }
        ScenarioAction::Check { files } => (files, None),
        ScenarioAction::Remote(action) => return crate::scenario_remote::cli(action),
    };
    let scenarios = match load_all(&files) {
        Ok(s) => s,
        Err(text) => {
            eprintln!("{text}");
            return ExitCode::from(2);
        }
    };
    let Some((junit, keep, options)) = run else {
        println!("{} scenario(s) valid", scenarios.len());
        return ExitCode::SUCCESS;
    };
    let _slot0 = match options.pcsc {
        true => match crate::scenario_session::pcsc_machine_lock() {
            Ok(lock) => Some(lock),
            Err(e) => {
                eprintln!("simulator: {e:#}");
                return ExitCode::from(1);
            }
        },
        false => None,
    };
    let mut reports = Vec::new();
    let mut broken = false;
    for scenario in &scenarios {
        match run_scenario_with(scenario, &options) {
            Ok(report) => {
                print_report(&report);
                if let Some(dir) = &keep
                    && let Err(e) = keep_results(dir, &report)
                {
                    eprintln!("simulator: {e:#}");
                    broken = true;
                }
                reports.push(report);
            }
            Err(e) => {
                eprintln!("{}: cannot run: {e:#}", scenario.file);
                broken = true;
            }
        }
    }
    let passed = reports.iter().filter(|r| r.passed()).count();
    println!(
        "\n{passed} of {} scenario(s) passed{}",
        scenarios.len(),
        if broken { " (some could not run)" } else { "" }
    );
    if let Some(path) = junit
        && let Err(e) = write_junit(&path, &reports)
    {
        eprintln!("simulator: {e:#}");
        return ExitCode::from(1);
    }
    if passed == scenarios.len() && !broken {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Reads and validates every file; all diagnostics of all files on failure.
pub fn load_all(files: &[PathBuf]) -> Result<Vec<Scenario>, String> {
    let known = Known::fixtures().map_err(|e| e.to_string())?;
    let mut scenarios = Vec::new();
    let mut problems = Vec::new();
    for file in files {
        match sim_scenario::parse_file(file, &known) {
            Ok(s) => scenarios.push(s),
            Err(e) => problems.push(e.to_string()),
        }
    }
    if problems.is_empty() {
        Ok(scenarios)
    } else {
        Err(problems.join("\n"))
    }
}

fn print_report(report: &ScenarioReport) {
    println!("\n{} — {}", report.file, report.title);
    for step in &report.steps {
        match &step.failure {
            None => println!("  ok    line {:<4} {}", step.line, step.label),
            Some(why) => println!(
                "  FAIL  line {:<4} {}\n          {why}",
                step.line, step.label
            ),
        }
    }
    let ok = report.steps.iter().filter(|s| s.failure.is_none()).count();
    println!(
        "  {} ({ok}/{} steps)",
        if report.passed() { "passed" } else { "FAILED" },
        report.steps.len()
    );
}

fn keep_results(dir: &Path, report: &ScenarioReport) -> anyhow::Result<()> {
    let stem = Path::new(&report.file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    let dir = dir.join(stem);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, bytes) in &report.results {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("writing {name}"))?;
    }
    Ok(())
}

/// Writes a JUnit XML report: one test suite per scenario, one test case per step.
pub fn write_junit(path: &Path, reports: &[ScenarioReport]) -> anyhow::Result<()> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut junit = Report::new("simulator scenario run");
    for r in reports {
        let mut suite = TestSuite::new(r.file.clone());
        suite.set_time(r.elapsed);
        for step in &r.steps {
            let status = match &step.failure {
                None => TestCaseStatus::success(),
                Some(why) => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(why.clone());
                    s
                }
            };
            let mut case = TestCase::new(format!("line {}: {}", step.line, step.label), status);
            case.set_classname(r.title.clone());
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    let text = junit.to_string().context("rendering the JUnit report")?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// What the last request got.
enum Answer {
    Result(String, Vec<u8>),
    Error(String, Vec<u8>),
    Nothing,
}

/// Runs one scenario on its own in-process simulator.
pub fn run_scenario(scenario: &Scenario) -> anyhow::Result<ScenarioReport> {
    run_scenario_with(scenario, &RunOptions::default())
}

/// [`run_scenario`] with options (`--pcsc`).
pub fn run_scenario_with(
    scenario: &Scenario,
    options: &RunOptions,
) -> anyhow::Result<ScenarioReport> {
    let mut run = Run::new(scenario.clone(), options.clone())?;
    while !run.finished() {
        run.step()?;
    }
    Ok(run.report())
}

/// How a scenario is played.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Card and reader steps through the real pcscd + vpcd stack (`--pcsc`) instead of the
    /// reader's in-process link.
    pub pcsc: bool,
    /// Where vpcd listens (slot 0), with `pcsc`.
    pub vpcd: crate::card::VpcdAddr,
    /// The shared folder of the run's own world (`req/`, `res/`, `face/` inside); `None`: a
    /// temporary folder, removed with the run.
    pub folder: Option<PathBuf>,
}

/// A scenario being played one step at a time on its own in-process simulator: its own
/// temporary shared folder and state database, the named fixture persons, a virtual clock at
/// the scenario's start, its own faults, reader, cards and consents ([`crate::scenario_session`]
/// keeps several of them apart in one server).
pub struct Run {
    scenario: Scenario,
    shared: Arc<Shared>,
    folders: Folders,
    named: sim_fixtures::NamedFixtures,
    options: RunOptions,
    results: NewFiles,
    reports: Vec<StepReport>,
    last: Answer,
    /// The 受付番号 answered to the last `bulk` step.
    reception: Option<String>,
    faults: Faults,
    checked: Checked,
    elapsed: std::time::Duration,
    /// The run's own folder (none when attached to a served simulator).
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("file", &self.scenario.file)
            .field("cursor", &self.reports.len())
            .finish_non_exhaustive()
    }
}

impl Run {
    /// Sets up the scenario's world: nothing is played yet.
    pub fn new(scenario: Scenario, options: RunOptions) -> anyhow::Result<Run> {
        let dir = tempfile::tempdir().context("creating a temporary folder")?;
        let root = match &options.folder {
            Some(folder) => folder.clone(),
            None => dir.path().join("oqs"),
        };
        let mut config = Config::default_config();
        config.population.size = 0;
        config.terminal.response_delay_ms = [0, 0];
        config.terminal.fsync = false;
        if let Some(code) = &scenario.medical_institution_code {
            config.reader.medical_institution_code = code.clone();
        }
        if let Some(e) = scenario.result_encoding {
            config.terminal.result_encoding = match e {
                Encoding::Utf8 => "utf-8",
                Encoding::ShiftJis => "shift_jis",
            }
            .into();
        }
        let clock = Arc::new(VirtualClock::new(
            scenario.clock.start,
            !scenario.clock.frozen,
        ));
        let mut opts = ServeOptions::new(config, root, dir.path().join("state"));
        opts.clock = clock;
        opts.vpcd = options.vpcd.clone();
        let shared = build_shared(&opts)?;
        let folders = private_req(&opts.oqs_dir)?;
        Run::start(scenario, shared, folders, options, Some(dir))
    }

    /// Plays `scenario` on a served simulator (`serve --scenario`): its world, its clock (a
    /// virtual one, set to the scenario's start) and its shared folder, so that a clinic system
    /// watching `res/` and `face/` sees what the steps do. The steps' own requests are written
    /// into a hidden `.scenario-req/` beside `req/` and answered there, so the folder watcher
    /// never races the runner for them; their answers land in the served `res/`.
    pub fn attached(
        scenario: Scenario,
        shared: Arc<Shared>,
        options: RunOptions,
    ) -> anyhow::Result<Run> {
        let root = shared
            .oqs_dir
            .clone()
            .context("the served simulator has no shared folder")?;
        if let Some(e) = scenario.result_encoding {
            let served = shared
                .engine
                .config()
                .result_encoding
                .character_code_identifier();
            let wanted = match e {
                Encoding::Utf8 => "0",
                Encoding::ShiftJis => "1",
            };
            anyhow::ensure!(
                served == wanted,
                "the script's result-encoding differs from the served simulator's \
                 ([terminal] result_encoding): an attached scenario plays on the served world"
            );
        }
        let clock = shared
            .clock
            .control()
            .context("the served simulator runs on the wall clock")?;
        clock.set(scenario.clock.start);
        if scenario.clock.frozen {
            clock.freeze();
        } else {
            clock.run();
        }
        let folders = private_req(&root)?;
        Run::start(scenario, shared, folders, options, None)
    }

    /// A run before its first step, on `shared` and `folders` (`dir`: the temporary world it
    /// owns, removed with it).
    fn start(
        scenario: Scenario,
        shared: Arc<Shared>,
        folders: Folders,
        options: RunOptions,
        dir: Option<tempfile::TempDir>,
    ) -> anyhow::Result<Run> {
        let named = sim_fixtures::NamedFixtures::embedded().context("the named fixtures")?;
        Ok(Run {
            scenario,
            shared,
            folders,
            named,
            options,
            results: Vec::new(),
            reports: Vec::new(),
            last: Answer::Nothing,
            reception: None,
            faults: Faults::default(),
            checked: Checked::default(),
            elapsed: std::time::Duration::ZERO,
            _dir: dir,
        })
    }

    /// Whether it plays on a served simulator ([`Run::attached`]).
    pub fn is_attached(&self) -> bool {
        self._dir.is_none()
    }

    /// The reader message code (`MOCK-R102`…) the last card check ended with, if any.
    pub fn last_reader_message(&self) -> Option<&str> {
        self.checked.code.as_deref()
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The simulator it plays on.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Its shared folder.
    pub fn folders(&self) -> &Folders {
        &self.folders
    }

    /// The index of the next step (= the number of steps played).
    pub fn cursor(&self) -> usize {
        self.reports.len()
    }

    /// Every step has been played.
    pub fn finished(&self) -> bool {
        self.reports.len() >= self.scenario.steps.len()
    }

    /// The reports of the steps played so far.
    pub fn reports(&self) -> &[StepReport] {
        &self.reports
    }

    /// The report so far (of the whole scenario once [`Run::finished`]).
    pub fn report(&self) -> ScenarioReport {
        self.shared.journal.flush();
        ScenarioReport {
            file: self.scenario.file.clone(),
            title: self.scenario.title.clone(),
            steps: self.reports.clone(),
            results: self.results.clone(),
            elapsed: self.elapsed,
        }
    }

    /// Plays the next step and returns its report; `None` when every step has been played. A
    /// step that cannot run (IO) is an error; it counts as played and failed.
    pub fn step(&mut self) -> anyhow::Result<Option<StepReport>> {
        if self.finished() {
            return Ok(None);
        }
        let started = Instant::now();
        let outcome = self.play();
        self.elapsed += started.elapsed();
        match outcome {
            Ok(report) => {
                self.reports.push(report.clone());
                Ok(Some(report))
            }
            Err(e) => {
                let step = &self.scenario.steps[self.reports.len()];
                self.reports.push(StepReport {
                    line: step.line,
                    label: "(could not run)".into(),
                    failure: Some(format!("{e:#}")),
                });
                Err(e)
            }
        }
    }

    fn play(&mut self) -> anyhow::Result<StepReport> {
        let index = self.reports.len();
        let Run {
            ref scenario,
            ref shared,
            ref folders,
            ref named,
            ref options,
            ref mut results,
            ref mut last,
            ref mut reception,
            ref mut faults,
            ref mut checked,
            ..
        } = *self;
        let step = &scenario.steps[index];
        let clock = shared
            .clock
            .control()
            .context("a scenario plays on a virtual clock")?;
        let (label, failure) = match &step.action {
            Action::Drop(d) => {
                let prefix = match d.info.as_ref().map(|i| i.kind) {
                    None => "OQSsiquc01",
                    Some(sim_scenario::InfoKind::Drug) => "YZKsiquc01",
                    Some(sim_scenario::InfoKind::Checkup) => "TKKsiquc01",
                };
                let name = d.name.clone().unwrap_or_else(|| {
                    format!(
                        "{prefix}req_{}{:03}.xml",
                        clock.now().format("%Y%m%d%H%M%S"),
                        index + 1
                    )
                });
                let what = match &d.target {
                    Target::Person(id) => id.clone(),
                    Target::Raw(_) => "raw bytes".into(),
                };
                let mut label = format!("drop {what} as {name}");
                let facility = &shared.reader.settings().medical_institution_code;
                let bytes = request_bytes(d, named, clock.now().date(), facility)
                    .with_context(|| format!("line {}: building the request", step.line))?;
                let (answer, new, notes) =
                    drop_and_answer(shared, folders, clock, faults, &name, &bytes)
                        .with_context(|| format!("line {}: answering {name}", step.line))?;
                if !notes.is_empty() {
                    label = format!("{label} ({})", notes.join("; "));
                }
                results.extend(new);
                *last = answer;
                (label, None)
            }
            Action::Bulk(_) | Action::BulkResult(_) | Action::RegisterReference(_) => {
                let facility = &shared.reader.settings().medical_institution_code;
                let (name, bytes, mut label) = crate::scenario_requests::request_file(
                    &step.action,
                    named,
                    clock.now(),
                    index,
                    facility,
                    reception.as_deref(),
                )
                .with_context(|| format!("line {}: building the request", step.line))?;
                let (answer, new, notes) =
                    drop_and_answer(shared, folders, clock, faults, &name, &bytes)
                        .with_context(|| format!("line {}: answering {name}", step.line))?;
                if !notes.is_empty() {
                    label = format!("{label} ({})", notes.join("; "));
                }
                if let (Action::Bulk(_), Answer::Result(_, bytes)) = (&step.action, &answer) {
                    *reception = element(&decode(bytes), "ReceptionNumber");
                }
                results.extend(new);
                *last = answer;
                (label, None)
            }
            Action::WebApi(w) => {
                let facility = &shared.reader.settings().medical_institution_code;
                let (label, answer) =
                    crate::scenario_requests::webapi(shared, w, named, clock.now(), facility)
                        .with_context(|| format!("line {}: the Web API", step.line))?;
                *last = match answer {
                    crate::scenario_requests::WebApiAnswer::Json(bytes) => {
                        Answer::Result(crate::scenario_requests::WEBAPI_ANSWER.into(), bytes)
                    }
                    crate::scenario_requests::WebApiAnswer::Error(msg, status) => Answer::Error(
                        format!(
                            "{} (HTTP {status})",
                            crate::scenario_requests::WEBAPI_ANSWER
                        ),
                        msg.into_bytes(),
                    ),
                };
                (label, None)
            }
            Action::CardCheck(c) => {
                *checked = card_check(shared, c, options)
                    .with_context(|| format!("line {}: the card check", step.line))?;
                if let Some((name, bytes)) = &checked.face {
                    results.push((format!("face/{name}"), bytes.clone()));
                }
                let label = format!(
                    "card-check {} {} → {}{}",
                    c.person,
                    match c.mode {
                        ReaderMode::Pin => "pin",
                        ReaderMode::Face => "face",
                        ReaderMode::Visual => "visual",
                    },
                    checked.screen,
                    checked
                        .message
                        .as_deref()
                        .map(|m| format!(" ({m})"))
                        .unwrap_or_default()
                );
                (label, None)
            }
            Action::ExpectFace(want) => {
                let label = match want {
                    None => "expect-face none".to_owned(),
                    Some(want) => format!(
                        "expect-face {}",
                        want.iter()
                            .map(|(k, v)| format!("{k}=\"{v}\""))
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                };
                let failure = match (&checked.face, want) {
                    (Some((name, bytes)), Some(want)) => compare(name, bytes, want),
                    (Some((name, _)), None) => Some(format!("expected no face file, got {name}")),
                    (None, None) => None,
                    (None, Some(_)) => Some(format!(
                        "expected a face file, the card check ended on {}{}",
                        checked.screen,
                        checked
                            .message
                            .as_deref()
                            .map(|m| format!(" with {m}"))
                            .unwrap_or_default()
                    )),
                };
                (label, failure)
            }
            Action::ExpectReaderMessage(code) => {
                let failure = match (code, &checked.code, &checked.message) {
                    (None, None, _) => None,
                    (Some(code), Some(got), _) if got == code => None,
                    (want, _, Some(message)) => Some(format!(
                        "the reader said {message:?}, expected {}",
                        want.as_deref().unwrap_or("no message")
                    )),
                    (Some(code), _, None) => Some(format!(
                        "the reader showed no message (screen {}), expected {code}",
                        checked.screen
                    )),
                    (None, Some(got), None) => {
                        Some(format!("the reader said {got}, expected no message"))
                    }
                };
                (
                    format!(
                        "expect-reader-message {}",
                        code.as_deref().unwrap_or("none")
                    ),
                    failure,
                )
            }
            Action::Disaster(d) => crate::disaster::scenario::step(shared, d),
            Action::Fault(fault) => {
                let label = faults.inject(*fault, clock.now());
                (label, None)
            }
            Action::Advance(by) => {
                clock.advance(*by);
                (
                    format!("advance to {}", clock.now().format("%Y-%m-%dT%H:%M:%S")),
                    None,
                )
            }
            Action::ExpectResult(want) => {
                let label = format!(
                    "expect-result {}",
                    want.iter()
                        .map(|(k, v)| format!("{k}=\"{v}\""))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                let failure = match &last {
                    Answer::Result(name, bytes) => compare(name, bytes, want),
                    Answer::Error(name, bytes) => Some(format!(
                        "expected a result, got {name}: {}",
                        decode(bytes).trim()
                    )),
                    Answer::Nothing => Some("expected a result, got no answer".into()),
                };
                (label, failure)
            }
            Action::ExpectError(code) => {
                let failure = match &last {
                    Answer::Error(name, bytes) => {
                        let text = decode(bytes);
                        (text.split_whitespace().next() != Some(code.as_str()))
                            .then(|| format!("{name} says {:?}, expected {code}", text.trim()))
                    }
                    Answer::Result(name, _) => {
                        Some(format!("expected an .err file, got the result {name}"))
                    }
                    Answer::Nothing => Some("expected an .err file, got no answer".into()),
                };
                (format!("expect-error {code}"), failure)
            }
            Action::ExpectNothing => {
                let failure = match &last {
                    Answer::Nothing => None,
                    Answer::Result(name, _) | Answer::Error(name, _) => {
                        Some(format!("expected no answer, got {name}"))
                    }
                };
                ("expect-nothing".into(), failure)
            }
        };
        Ok(StepReport {
            line: step.line,
            label,
            failure,
        })
    }
}

type NewFiles = Vec<(String, Vec<u8>)>;

/// The elements of result `name` that differ from `want`, if any.
fn compare(name: &str, bytes: &[u8], want: &BTreeMap<String, String>) -> Option<String> {
    let json = name == crate::scenario_requests::WEBAPI_ANSWER;
    let text = match json {
        true => String::new(),
        false => without_search_echo(&decode(bytes)),
    };
    let wrong: Vec<String> = want
        .iter()
        .filter_map(|(k, v)| {
            let got = if k == "ResultFile" {
                Some(name.to_owned())
            } else if json {
                crate::scenario_requests::json_field(bytes, k)
            } else {
                element(&text, k)
            };
            match (got, v.trim()) {
                (None, "~") => None,
                (Some(got), "~") => Some(format!("{k} is \"{got}\", expected it absent")),
                (Some(got), v) if got.trim() == v => None,
                (Some(got), v) => Some(format!("{k} is \"{got}\", expected \"{v}\"")),
                (None, v) => Some(format!("{k} is absent, expected \"{v}\"")),
            }
        })
        .collect();
    (!wrong.is_empty()).then(|| format!("{name}: {}", wrong.join("; ")))
}

/// How the last card check ended.
#[derive(Debug, Default)]
struct Checked {
    /// The reader's last screen.
    screen: String,
    /// The message shown, and its code.
    message: Option<String>,
    code: Option<String>,
    /// The face file written: name and bytes.
    face: Option<(String, Vec<u8>)>,
}

/// Plays a card check on the simulator's reader, then takes the card off. With `--pcsc` the
/// person's virtual card goes into vpcd slot 0 and the reader reaches it through pcscd.
fn card_check(shared: &Shared, c: &CardCheck, options: &RunOptions) -> anyhow::Result<Checked> {
    use crate::reader::{CardKind, Mode, ReaderStatus};
    let reader = &shared.reader;
    let face = c.face_image.parse().map_err(anyhow::Error::msg)?;
    if options.pcsc {
        crate::scenario_session::pcsc_insert(shared, &c.person, face)?;
    }
    let run = || -> anyhow::Result<ReaderStatus> {
        let mut status = if options.pcsc {
            reader.insert(shared, None, CardKind::Pcsc)?
        } else {
            reader.insert_with_face(shared, Some(&c.person), CardKind::Mynumber, face)?
        };
        if status.screen != "choose-mode" {
            return Ok(status);
        }
        let mode = match c.mode {
            ReaderMode::Pin => Mode::Pin,
            ReaderMode::Face => Mode::Face,
            ReaderMode::Visual => Mode::Visual,
        };
        status = reader.choose(mode)?;
        match c.mode {
            ReaderMode::Pin => {
                for pin in &c.pins {
                    if status.screen != "enter-pin" {
                        break;
                    }
                    status = reader.enter_pin(shared, pin)?;
                }
            }
            ReaderMode::Face => {
                for matched in &c.faces {
                    if status.screen != "face-capture" {
                        break;
                    }
                    status = reader.face(shared, *matched)?;
                }
            }
            ReaderMode::Visual => {
                if status.screen == "staff-confirm" {
                    status = reader.staff_confirm(shared, true)?;
                }
            }
        }
        if status.screen == "register"
            && let Some(yes) = c.register
        {
            status = reader.register(shared, yes)?;
        }
        if status.screen == "consent" {
            let answers = crate::reader::parse_consents(&c.consent).map_err(anyhow::Error::msg)?;
            status = reader.consent(shared, answers)?;
        }
        Ok(status)
    };
    let outcome = run();
    // Whatever happened, the card comes off the reader for the next step.
    let _ = reader.remove();
    if options.pcsc {
        crate::scenario_session::pcsc_remove(shared)?;
    }
    let status = outcome?;
    let face = match (&status.face_file, &shared.oqs_dir) {
        (Some(name), Some(dir)) => {
            let path = dir.join("face").join(name);
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            Some((name.clone(), bytes))
        }
        _ => None,
    };
    Ok(Checked {
        screen: status.screen.to_owned(),
        message: status.message,
        code: status.message_code.map(str::to_owned),
        face,
    })
}

/// The faults injected so far by `fault:` steps, and how long each still lasts.
#[derive(Debug, Default)]
struct Faults {
    /// The end of a maintenance window.
    maintenance_until: Option<NaiveDateTime>,
    /// The extra delay of a slow terminal and how long it lasts.
    slow: Option<(TimeDelta, SlowLeft)>,
    /// The next request gets an `.err` file.
    err_next: bool,
    /// The next result is written in two parts with this pause.
    partial: Option<TimeDelta>,
    /// The next result is cut short.
    malformed: bool,
}

#[derive(Debug, Clone, Copy)]
enum SlowLeft {
    Requests(u32),
    Until(NaiveDateTime),
}

impl Faults {
    /// Records `fault`, injected at `now`; the step's label.
    fn inject(&mut self, fault: Fault, now: NaiveDateTime) -> String {
        let at = |t: NaiveDateTime| t.format("%Y-%m-%dT%H:%M:%S").to_string();
        match fault {
            Fault::Maintenance(length) => {
                self.maintenance_until = Some(now + length);
                format!("fault: maintenance until {}", at(now + length))
            }
            Fault::Slow { delay, scope } => {
                let (left, label) = match scope {
                    FaultScope::Requests(n) => (
                        SlowLeft::Requests(n),
                        format!("for the next {n} request(s)"),
                    ),
                    FaultScope::For(length) => (
                        SlowLeft::Until(now + length),
                        format!("until {}", at(now + length)),
                    ),
                };
                self.slow = Some((delay, left));
                format!("fault: answers {}s late {label}", delay.num_seconds())
            }
            Fault::ErrNext => {
                self.err_next = true;
                "fault: .err for the next request".into()
            }
            Fault::PartialResult(pause) => {
                self.partial = Some(pause);
                format!(
                    "fault: the next result in two parts, {}s apart",
                    pause.num_seconds()
                )
            }
            Fault::MalformedResult => {
                self.malformed = true;
                "fault: the next result cut short".into()
            }
        }
    }

    /// The extra delay of a request answered at `now`, counting it against the fault.
    fn take_delay(&mut self, now: NaiveDateTime) -> Option<TimeDelta> {
        let (delay, left) = self.slow?;
        match left {
            SlowLeft::Requests(n) => {
                self.slow = (n > 1).then_some((delay, SlowLeft::Requests(n - 1)));
                Some(delay)
            }
            SlowLeft::Until(end) if now < end => Some(delay),
            SlowLeft::Until(_) => {
                self.slow = None;
                None
            }
        }
    }

    fn in_maintenance(&self, now: NaiveDateTime) -> bool {
        self.maintenance_until.is_some_and(|end| now < end)
    }
}

/// The folders of a run on the shared folder `root`: `res/` and `face/` are the folder's, but the
/// steps' own requests are written into a hidden `.scenario-req/` beside `req/` and answered
/// there, so a watcher of `req/` (the served one, or a session's own) never races the runner.
fn private_req(root: &Path) -> anyhow::Result<Folders> {
    let served = Folders::create(root)?;
    let private = root.join(".scenario-req");
    std::fs::create_dir_all(&private).with_context(|| format!("creating {}", private.display()))?;
    Ok(Folders {
        req: std::fs::canonicalize(&private)?,
        ..served
    })
}

/// Writes `req/NAME` as a careful client does and answers it the way the watcher would, with
/// the injected `faults`; also says what the faults did.
fn drop_and_answer(
    shared: &Shared,
    folders: &Folders,
    clock: &VirtualClock,
    faults: &mut Faults,
    name: &str,
    bytes: &[u8],
) -> anyhow::Result<(Answer, NewFiles, Vec<String>)> {
    let before = stamps(&folders.res)?;
    let is_new = |file: &String| -> bool {
        before
            .get(file)
            .is_none_or(|old| stamp(&folders.res.join(file)).as_ref() != Some(old))
    };
    dropbox::write_atomically(&folders.req, name, bytes, false)?;
    let mut notes = Vec::new();
    // The watcher leaves temporary names alone; so does the runner.
    if !is_temporary_name(name) {
        if let Some(delay) = faults.take_delay(clock.now()) {
            clock.advance(delay);
            notes.push(format!("answered {}s late", delay.num_seconds()));
        }
        let now = clock.now();
        if std::mem::take(&mut faults.err_next) {
            notes.push("fault: .err".into());
            reject_for_fault(shared, folders, name)?;
        } else if faults.in_maintenance(now) {
            notes.push("fault: maintenance".into());
            answer_maintenance(shared, folders, name, bytes, now)?;
        } else {
            dropbox::answer(shared, folders, name, false)?;
            let result = list(&folders.res)?
                .into_iter()
                .find(|f| is_new(f) && f != name && !f.ends_with(".err"));
            if let Some(result) = result {
                let path = folders.res.join(&result);
                if let Some(pause) = faults.partial.take() {
                    let full =
                        std::fs::read(&path).with_context(|| format!("reading res/{result}"))?;
                    write_in_two_parts(&path, &full, || clock.advance(pause))?;
                    notes.push(format!(
                        "fault: written in two parts, {}s apart",
                        pause.num_seconds()
                    ));
                }
                if std::mem::take(&mut faults.malformed) {
                    let full =
                        std::fs::read(&path).with_context(|| format!("reading res/{result}"))?;
                    std::fs::write(&path, &full[..full.len() / 2])
                        .with_context(|| format!("cutting res/{result} short"))?;
                    notes.push("fault: result cut short".into());
                }
            }
        }
    }
    let mut new = Vec::new();
    let mut answer = Answer::Nothing;
    for file in list(&folders.res)? {
        if !is_new(&file) || file == name {
            continue;
        }
        let content = std::fs::read(folders.res.join(&file))
            .with_context(|| format!("reading res/{file}"))?;
        answer = if file.ends_with(".err") {
            Answer::Error(file.clone(), content.clone())
        } else {
            Answer::Result(file.clone(), content.clone())
        };
        new.push((format!("res/{file}"), content));
    }
    Ok((answer, new, notes))
}

/// Writes `bytes` to `path` in place (not atomically, as a careless terminal does): the first
/// half, then `pause`, then the rest.
fn write_in_two_parts(path: &Path, bytes: &[u8], pause: impl FnOnce()) -> anyhow::Result<()> {
    use std::io::Write;
    let (first, rest) = bytes.split_at(bytes.len() / 2);
    let mut file =
        std::fs::File::create(path).with_context(|| format!("writing {}", path.display()))?;
    file.write_all(first)
        .and_then(|()| file.flush())
        .with_context(|| format!("writing {}", path.display()))?;
    pause();
    file.write_all(rest)
        .with_context(|| format!("writing {}", path.display()))
}

/// The `.err` fault: the request is rejected with `terminal.maintenance` and moved to `res/`.
pub fn reject_for_fault(shared: &Shared, folders: &Folders, name: &str) -> anyhow::Result<()> {
    let rejection = sim_core::engine::Rejection {
        key: ErrorKey::TerminalMaintenance,
        detail: "injected fault".into(),
    };
    let err = shared.engine.err_text(name, &rejection);
    dropbox::write_atomically(&folders.res, &err_file_name(name), &err, false)?;
    std::fs::rename(folders.req.join(name), folders.res.join(name))
        .with_context(|| format!("moving {name} into res/"))
}

/// A request in a maintenance window: a result with SegmentOfResult 9 and the catalogue's
/// `terminal.maintenance` code, no body. A name that is not a request's is answered as usual.
pub fn answer_maintenance(
    shared: &Shared,
    folders: &Folders,
    name: &str,
    bytes: &[u8],
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    let Ok(parsed) = RequestFileName::parse(name) else {
        return dropbox::answer(shared, folders, name, false);
    };
    let text = decode(bytes);
    let config = shared.engine.config();
    let entry = config.catalogue.get(ErrorKey::TerminalMaintenance);
    let result = QualificationConfirmResult {
        header: ResultHeader {
            process_execution_time: now.format("%Y%m%d%H%M%S").to_string(),
            qualification_confirmation_date: element(&text, "QualificationConfirmationDate"),
            medical_institution_code: element(&text, "MedicalInstitutionCode"),
            arbitrary_file_identifier: element(&text, "ArbitraryFileIdentifier"),
            reference_classification: None,
            segment_of_result: SegmentOfResult::Abnormal.code().to_owned(),
            error_code: Some(entry.code),
            error_message: Some(entry.message),
            character_code_identifier: config
                .result_encoding
                .character_code_identifier()
                .to_owned(),
        },
        body: None,
    };
    let out = shared.engine.write(&result);
    dropbox::write_atomically(&folders.res, &parsed.result_name(), &out, false)?;
    std::fs::remove_file(folders.req.join(name)).with_context(|| format!("removing req/{name}"))
}

/// What tells a file's versions apart: a file rewritten under the same name (a replay into a
/// folder that keeps the last play's files) counts as new.
type Stamp = (u64, std::time::SystemTime, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let ino = 0;
    Some((meta.len(), meta.modified().ok()?, ino))
}

fn stamps(dir: &Path) -> anyhow::Result<BTreeMap<String, Stamp>> {
    Ok(list(dir)?
        .into_iter()
        .filter_map(|name| stamp(&dir.join(&name)).map(|s| (name, s)))
        .collect())
}

fn list(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    Ok(names)
}

/// The request file of a drop step.
fn request_bytes(
    d: &DropRequest,
    named: &sim_fixtures::NamedFixtures,
    today: NaiveDate,
    facility: &str,
) -> anyhow::Result<Vec<u8>> {
    let id = match &d.target {
        Target::Raw(text) => return Ok(text.as_bytes().to_vec()),
        Target::Person(id) => id,
    };
    let date = d.date.unwrap_or(today);
    if let Some(info) = &d.info {
        return crate::medinfo::scenario_request(d, info, named, date, facility);
    }
    let search = search_info(id, named, date)?;
    let request = QualificationConfirmRequest {
        header: RequestHeader {
            qualification_confirmation_date: Some(date.format("%Y%m%d").to_string()),
            medical_institution_code: Some(facility.to_owned()),
            arbitrary_file_identifier: Some(format!("scenario_{id}")),
        },
        body: RequestBody {
            qualification_confirm_search_info: Some(QualificationConfirmSearchInfo {
                limit_application_certificate_related_cons_flg: Some(
                    if d.limit_consent { "1" } else { "0" }.into(),
                ),
                ..search
            }),
        },
    };
    let encoding = match d.encoding {
        Encoding::Utf8 => TextEncoding::Utf8,
        Encoding::ShiftJis => TextEncoding::ShiftJis,
    };
    write_document(
        &request,
        encoding,
        XmlStyle {
            indent: 2,
            crlf: d.crlf,
        },
    )
    .context("writing the request XML")
}

/// The card keys of a person (as on the card valid on `date`) or a probe, as a request's
/// `QualificationConfirmSearchInfo`.
pub(crate) fn search_info(
    id: &str,
    named: &sim_fixtures::NamedFixtures,
    date: NaiveDate,
) -> anyhow::Result<QualificationConfirmSearchInfo> {
    Ok(if let Some(p) = named.persons.iter().find(|p| p.id == id) {
        let q = p
            .card_on(date)
            .with_context(|| format!("{id} has no qualification"))?;
        QualificationConfirmSearchInfo {
            insurer_number: Some(q.insurer.as_str().to_owned()),
            insured_card_symbol: q.card.symbol.clone(),
            insured_identification_number: Some(q.card.number.clone()),
            insured_branch_number: Some(q.card.branch.clone()),
            birthdate: Some(p.birthdate.format("%Y%m%d").to_string()),
            limit_application_certificate_related_cons_flg: None,
            arbitrary_identifier: None,
        }
    } else {
        let p = named
            .probes
            .iter()
            .find(|p| p.id == id)
            .with_context(|| format!("no person or probe {id}"))?;
        QualificationConfirmSearchInfo {
            insurer_number: Some(p.insurer.clone()),
            insured_card_symbol: p.symbol.clone(),
            insured_identification_number: Some(p.number.clone()),
            insured_branch_number: p.branch.clone(),
            birthdate: Some(p.birthdate.format("%Y%m%d").to_string()),
            limit_application_certificate_related_cons_flg: None,
            arbitrary_identifier: None,
        }
    })
}
/// A result or `.err` file as text: by its declaration, else UTF-8, else Shift_JIS.
pub(crate) fn decode(bytes: &[u8]) -> String {
    if bytes.starts_with(b"<?xml")
        && let Ok(d) = sim_messages::encoding::decode(bytes)
    {
        return d.text;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => sim_messages::encoding::shift_jis_lossy(bytes).0,
    }
}

/// The result without the echo of the request's search keys, so that expectations are about
/// the answer.
fn without_search_echo(text: &str) -> String {
    const OPEN: &str = "<QualificationConfirmSearchInfo>";
    const CLOSE: &str = "</QualificationConfirmSearchInfo>";
    match (text.find(OPEN), text.find(CLOSE)) {
        (Some(start), Some(end)) if end > start => {
            format!("{}{}", &text[..start], &text[end + CLOSE.len()..])
        }
        _ => text.to_owned(),
    }
}

/// The text of the first `<tag>` element.
fn element(text: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{tag}>"))?;
    Some(text[start..start + end].to_owned())
}
