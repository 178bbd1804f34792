//! Runs cases: for each, a fresh embedded terminal and a fresh conversation with the SUT; the
//! case's flow (in [`crate::flows`]) asks the SUT to act, checks what it wrote and what it
//! concluded, and the verdict is the sum of the checks.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde::Serialize;

use crate::adapter::{self, AdapterError, AdapterKind, Session};
use crate::cases::{Case, Suite};
use crate::checks::Check;
use crate::proto::{Card, Hello, PROTOCOL, Reply, Request};
use crate::terminal::{Terminal, TerminalOptions};

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// How to reach the SUT.
    pub adapter: AdapterKind,
    /// The day of the visits.
    pub today: NaiveDate,
    /// The clinic's 医療機関コード.
    pub medical_institution_code: String,
    /// How long the SUT may take for one adapter request.
    pub action_timeout: Duration,
    /// How late the slow terminal answers (QC-3.03).
    pub slow: Duration,
    /// The least pause between two downloads of a bulk job.
    pub min_poll_interval: Duration,
    /// The most downloads of one bulk job.
    pub max_polls: u32,
    /// How many downloads of a bulk job are answered "still processing".
    pub processing_answers: u32,
    /// Quiet time after an action in which no further request may arrive.
    pub settle: Duration,
    /// A shared folder to use instead of a temporary one (manual mode).
    pub oqs_dir: Option<PathBuf>,
    /// A running simulator to play the terminal instead of the embedded engine.
    pub simulator: Option<crate::remote::RemoteSimulator>,
    /// Tells this run's sessions on a running simulator from another run's.
    pub run_id: String,
}

impl RunConfig {
    /// The defaults, for `adapter`.
    pub fn new(adapter: AdapterKind) -> RunConfig {
        RunConfig {
            adapter,
            today: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default(),
            medical_institution_code: "1311234567".into(),
            action_timeout: Duration::from_secs(20),
            slow: Duration::from_millis(1500),
            min_poll_interval: Duration::from_millis(200),
            max_polls: 10,
            processing_answers: 1,
            settle: Duration::from_millis(300),
            oqs_dir: None,
            simulator: None,
            run_id: format!("{:08x}", rand::random::<u32>()),
        }
    }
}

/// The verdict on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Every check held.
    Passed,
    /// A check failed: the SUT's fault.
    Failed,
    /// The harness or the environment failed; no verdict on the SUT.
    Error,
    /// Not runnable yet.
    Pending,
    /// Failed, as a deviation of the expectations file says it does.
    ExpectedFailure,
}

/// One case's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// Case id.
    pub id: String,
    /// Suite.
    pub suite: Suite,
    /// Title.
    pub title: String,
    /// Rules checked.
    pub rules: Vec<String>,
    /// Verdict.
    pub status: Status,
    /// Why (error, pending, or the deviation's reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// Wall time.
    pub duration_ms: u64,
    /// The SUT's stderr when the case did not pass (command adapter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sut_stderr: Option<String>,
}

impl CaseResult {
    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.ok)
    }
}

/// A harness or environment problem: the case gets `error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HarnessError(pub String);

impl From<anyhow::Error> for HarnessError {
    fn from(e: anyhow::Error) -> Self {
        HarnessError(format!("{e:#}"))
    }
}

/// What a case flow works with.
pub struct Ctx<'a> {
    /// The run's settings.
    pub cfg: &'a RunConfig,
    /// The embedded terminal.
    pub term: Terminal,
    /// The conversation with the SUT.
    pub session: Box<dyn Session>,
    /// The checks so far.
    pub checks: Vec<Check>,
    /// The named fixture persons.
    pub named: &'a sim_fixtures::NamedFixtures,
    /// `yyyyMMdd` of the visit.
    pub today: String,
}

impl Ctx<'_> {
    /// Sends a request; a SUT fault becomes a failed `ADAPTER` check and `None`.
    pub fn call(&mut self, request: Request) -> Result<Option<Reply>, HarnessError> {
        let what = action_name(&request);
        match self.session.call(request, self.cfg.action_timeout) {
            Ok(reply) if reply.ok => Ok(Some(reply)),
            Ok(reply) => {
                self.checks.push(Check::fail(
                    "ADAPTER",
                    format!(
                        "{what}: the SUT could not act: {}",
                        reply.error.unwrap_or_default()
                    ),
                ));
                Ok(None)
            }
            Err(AdapterError::Sut(e)) => {
                self.checks
                    .push(Check::fail("ADAPTER", format!("{what}: {e}")));
                Ok(None)
            }
            Err(AdapterError::Harness(e)) => Err(HarnessError(e)),
        }
    }

    /// Adds checks.
    pub fn push(&mut self, checks: impl IntoIterator<Item = Check>) {
        self.checks.extend(checks);
    }

    /// The card of a named person (valid on the day) or probe, as printed on it.
    pub fn card(&self, id: &str) -> Result<Card, HarnessError> {
        if let Some(p) = self.named.persons.iter().find(|p| p.id == id) {
            let q = p
                .card_on(self.cfg.today)
                .ok_or_else(|| HarnessError(format!("{id} has no qualification")))?;
            return Ok(Card {
                insurer_number: q.insurer.as_str().trim().to_owned(),
                symbol: q.card.symbol.clone(),
                number: q.card.number.clone(),
                branch: Some(q.card.branch.clone()).filter(|b| !b.is_empty()),
                birthdate: p.birthdate.format("%Y%m%d").to_string(),
            });
        }
        let p = self
            .named
            .probes
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| HarnessError(format!("no fixture person or probe {id}")))?;
        Ok(Card {
            insurer_number: p.insurer.trim().to_owned(),
            symbol: p.symbol.clone(),
            number: p.number.clone(),
            branch: p.branch.clone(),
            birthdate: p.birthdate.format("%Y%m%d").to_string(),
        })
    }

    /// Waits until no request has come for the settle time.
    pub fn settle(&self) {
        self.term.settle(self.cfg.settle, self.cfg.settle * 10);
    }
}

fn action_name(r: &Request) -> &'static str {
    match r {
        Request::Hello(_) => "hello",
        Request::CheckInsuranceCard(_) => "check-insurance-card",
        Request::ReadFace => "read-face",
        Request::RunBulk(_) => "run-bulk",
        Request::RegisterReferenceNumber(_) => "register-reference-number",
        Request::ViewMedicalInfo(_) => "view-medical-info",
        Request::Report(_) => "report",
        Request::Bye => "bye",
    }
}

/// The terminal a case needs.
fn terminal_options(cfg: &RunConfig, case: &Case) -> TerminalOptions {
    TerminalOptions {
        now: cfg.today.and_hms_opt(9, 30, 0).unwrap_or_default(),
        medical_institution_code: cfg.medical_institution_code.clone(),
        result_encoding: if case.id == "QC-2.02" {
            "utf-8"
        } else {
            "shift_jis"
        }
        .into(),
        bulk_processing_polls: cfg.processing_answers + 1,
        oqs_dir: cfg.oqs_dir.clone(),
        webapi: case.suite == Suite::Webapi,
        remote: None,
    }
}

/// Runs one case.
pub fn run_case(cfg: &RunConfig, case: &Case, named: &sim_fixtures::NamedFixtures) -> CaseResult {
    let started = Instant::now();
    let mut result = CaseResult {
        id: case.id.into(),
        suite: case.suite,
        title: case.title.into(),
        rules: case.rules.iter().map(|r| (*r).to_owned()).collect(),
        status: Status::Pending,
        reason: None,
        checks: Vec::new(),
        duration_ms: 0,
        sut_stderr: None,
    };
    if let Some(why) = case.pending {
        result.reason = Some(why.into());
        return result;
    }
    let mut options = terminal_options(cfg, case);
    if let Some(sim) = &cfg.simulator {
        match crate::remote::script(case.id) {
            Ok(steps) => {
                options.remote = Some(crate::terminal::RemoteCase {
                    sim: sim.clone(),
                    session: format!("conformance-{}-{}", cfg.run_id, case.id),
                    case: case.id.into(),
                    settings: crate::remote::settings(case.id, cfg.slow),
                    steps,
                });
            }
            Err(why) => {
                result.reason = Some(format!("not available with --simulator: {why}"));
                return result;
            }
        }
    }
    let outcome = (|| -> Result<(Vec<Check>, String), HarnessError> {
        let term = Terminal::start(&options)?;
        let hello = Hello {
            protocol: PROTOCOL,
            case: case.id.into(),
            oqs_dir: term.root.display().to_string(),
            webapi_url: term.webapi_url.clone(),
            medical_institution_code: cfg.medical_institution_code.clone(),
            today: cfg.today.format("%Y%m%d").to_string(),
        };
        let counter = term.counter();
        let answered: Arc<dyn Fn() -> usize + Send + Sync> = Arc::new(counter);
        let (session, _sut) = match adapter::open(&cfg.adapter, hello, cfg.action_timeout, answered)
        {
            Ok(s) => s,
            Err(AdapterError::Harness(e)) => return Err(HarnessError(e)),
            Err(AdapterError::Sut(e)) => {
                return Ok((
                    vec![Check::fail("ADAPTER", format!("hello: {e}"))],
                    String::new(),
                ));
            }
        };
        let mut ctx = Ctx {
            cfg,
            term,
            session,
            checks: Vec::new(),
            named,
            today: cfg.today.format("%Y%m%d").to_string(),
        };
        let flow = crate::flows::run(&mut ctx, case.id);
        ctx.session.close();
        let stderr = ctx.session.stderr();
        flow?;
        let broken = ctx.term.broken();
        if !broken.is_empty() {
            return Err(HarnessError(format!(
                "the terminal could not answer: {}",
                broken.join("; ")
            )));
        }
        Ok((ctx.checks, stderr))
    })();
    match outcome {
        Ok((checks, stderr)) => {
            result.status = if checks.iter().all(|c| c.ok) {
                Status::Passed
            } else {
                Status::Failed
            };
            if result.status == Status::Failed && !stderr.trim().is_empty() {
                result.sut_stderr = Some(stderr);
            }
            result.checks = checks;
        }
        Err(e) => {
            result.status = Status::Error;
            result.reason = Some(e.0);
        }
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    result
}
