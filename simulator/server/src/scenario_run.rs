//! `simulator scenario run`: plays scripted scenarios (`sim-scenario`) headless. Each scenario
//! gets its own in-process simulator on a temporary shared folder, with a virtual clock at the
//! scenario's start; requests go through the real shared-folder code path (written into `req/`
//! atomically, answered by [`dropbox::answer`]), and each expectation is checked against what
//! appeared in `res/`. With a frozen clock, two runs write byte-identical result files.
//!
//! Exit codes: 0 every step passed; 1 a step failed (or could not run); 2 a script is invalid
//! (every problem of every script is printed, nothing runs).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use sim_messages::TextEncoding;
use sim_messages::file_name::is_temporary_name;
use sim_messages::siquc01::{
    QualificationConfirmRequest, QualificationConfirmSearchInfo, RequestBody, RequestHeader,
};
use sim_messages::xml::{XmlStyle, write_document};
use sim_scenario::{Action, DropRequest, Encoding, Known, Scenario, Target};

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
        /// Keep each scenario's res/ files in DIR/<scenario file stem>/.
        #[arg(long, value_name = "DIR")]
        keep_results: Option<PathBuf>,
    },
    /// Validate scenarios without running them; exit 0 valid, 2 invalid.
    Check {
        /// Scenario files (YAML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
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
    /// Every file that appeared in `res/`, in order: name and bytes.
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
        } => (files, Some((junit, keep_results))),
        ScenarioAction::Check { files } => (files, None),
    };
    let scenarios = match load_all(&files) {
        Ok(s) => s,
        Err(text) => {
            eprintln!("{text}");
            return ExitCode::from(2);
        }
    };
    let Some((junit, keep)) = run else {
        println!("{} scenario(s) valid", scenarios.len());
        return ExitCode::SUCCESS;
    };
    let mut reports = Vec::new();
    let mut broken = false;
    for scenario in &scenarios {
        match run_scenario(scenario) {
            Ok(report) => {
                print_report(&report);
                if let Some(dir) = &keep {
                    if let Err(e) = keep_results(dir, &report) {
                        eprintln!("simulator: {e:#}");
                        broken = true;
                    }
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
    if let Some(path) = junit {
        if let Err(e) = write_junit(&path, &reports) {
            eprintln!("simulator: {e:#}");
            return ExitCode::from(1);
        }
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
        std::fs::write(dir.join(name), bytes).with_context(|| format!("writing {name}"))?;
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
    let started = Instant::now();
    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let mut config = Config::default_config();
    config.population.size = 0;
    config.terminal.response_delay_ms = [0, 0];
    config.terminal.fsync = false;
    let clock = Arc::new(VirtualClock::new(
        scenario.clock.start,
        !scenario.clock.frozen,
    ));
    let mut opts = ServeOptions::new(config, dir.path().join("oqs"), dir.path().join("state"));
    opts.clock = clock.clone();
    let shared = build_shared(&opts)?;
    let folders = Folders::create(&opts.oqs_dir)?;
    let named = sim_fixtures::NamedFixtures::embedded().context("the named fixtures")?;

    let mut steps = Vec::new();
    let mut results = Vec::new();
    let mut last = Answer::Nothing;
    for (index, step) in scenario.steps.iter().enumerate() {
        let (label, failure) = match &step.action {
            Action::Drop(d) => {
                let name = d.name.clone().unwrap_or_else(|| {
                    format!(
                        "OQSsiquc01req_{}{:03}.xml",
                        clock.now().format("%Y%m%d%H%M%S"),
                        index + 1
                    )
                });
                let what = match &d.target {
                    Target::Person(id) => id.clone(),
                    Target::Raw(_) => "raw bytes".into(),
                };
                let label = format!("drop {what} as {name}");
                let bytes = request_bytes(d, &named, clock.now().date())
                    .with_context(|| format!("line {}: building the request", step.line))?;
                let (answer, new) = drop_and_answer(&shared, &folders, &name, &bytes)
                    .with_context(|| format!("line {}: answering {name}", step.line))?;
                results.extend(new);
                last = answer;
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
                    Answer::Result(name, bytes) => {
                        let text = without_search_echo(&decode(bytes));
                        let wrong: Vec<String> = want
                            .iter()
                            .filter_map(|(k, v)| match (element(&text, k), v.trim()) {
                                (None, "~") => None,
                                (Some(got), "~") => {
                                    Some(format!("{k} is \"{got}\", expected it absent"))
                                }
                                (Some(got), v) if got.trim() == v => None,
                                (Some(got), v) => {
                                    Some(format!("{k} is \"{got}\", expected \"{v}\""))
                                }
                                (None, v) => Some(format!("{k} is absent, expected \"{v}\"")),
                            })
                            .collect();
                        (!wrong.is_empty()).then(|| format!("{name}: {}", wrong.join("; ")))
                    }
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
        steps.push(StepReport {
            line: step.line,
            label,
            failure,
        });
    }
    shared.journal.flush();
    Ok(ScenarioReport {
        file: scenario.file.clone(),
        title: scenario.title.clone(),
        steps,
        results,
        elapsed: started.elapsed(),
    })
}

type NewFiles = Vec<(String, Vec<u8>)>;

/// Writes `req/NAME` as a careful client does and answers it the way the watcher would.
fn drop_and_answer(
    shared: &Shared,
    folders: &Folders,
    name: &str,
    bytes: &[u8],
) -> anyhow::Result<(Answer, NewFiles)> {
    let before = list(&folders.res)?;
    dropbox::write_atomically(&folders.req, name, bytes, false)?;
    // The watcher leaves temporary names alone; so does the runner.
    if !is_temporary_name(name) {
        dropbox::answer(shared, folders, name, false)?;
    }
    let mut new = Vec::new();
    let mut answer = Answer::Nothing;
    for file in list(&folders.res)? {
        if before.contains(&file) || file == name {
            continue;
        }
        let content = std::fs::read(folders.res.join(&file))
            .with_context(|| format!("reading res/{file}"))?;
        answer = if file.ends_with(".err") {
            Answer::Error(file.clone(), content.clone())
        } else {
            Answer::Result(file.clone(), content.clone())
        };
        new.push((file, content));
    }
    Ok((answer, new))
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
) -> anyhow::Result<Vec<u8>> {
    let id = match &d.target {
        Target::Raw(text) => return Ok(text.as_bytes().to_vec()),
        Target::Person(id) => id,
    };
    let date = d.date.unwrap_or(today);
    let search = if let Some(p) = named.persons.iter().find(|p| &p.id == id) {
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
            .find(|p| &p.id == id)
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
    };
    let request = QualificationConfirmRequest {
        header: RequestHeader {
            qualification_confirmation_date: Some(date.format("%Y%m%d").to_string()),
            medical_institution_code: Some("1311234567".into()),
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

/// A result or `.err` file as text: by its declaration, else UTF-8, else Shift_JIS.
fn decode(bytes: &[u8]) -> String {
    if bytes.starts_with(b"<?xml") {
        if let Ok(d) = sim_messages::encoding::decode(bytes) {
            return d.text;
        }
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
