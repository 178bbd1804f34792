//! `conformance`: the vendors' conformance harness. See conformance/README.md.
//!
//! Exit codes of `run`: 0 pass, 1 SUT failures, 2 harness error (or invalid usage), 3 no case
//! ran. `verify-report`: 0 valid, 1 invalid or tampered, 2 unreadable. `list`: 0.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use conformance::adapter::AdapterKind;
use conformance::cases::{self, CASES};
use conformance::expectations::Expectations;
use conformance::report::{self, RunReport, Summary};
use conformance::runner::{self, RunConfig};

#[derive(Parser, Debug)]
#[command(
    name = "conformance",
    version,
    about = "Conformance harness for clinic systems (レセコン / 電子カルテ) against the オン資 terminal interface"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the cases against a system under test.
    Run(Box<RunArgs>),
    /// List the cases (id, suite, title, rules).
    List {
        /// JSON instead of a table (with descriptions).
        #[arg(long)]
        json: bool,
    },
    /// List the interface rules the cases check.
    Rules,
    /// Check a signed report offline; exit 0 valid, 1 invalid.
    VerifyReport {
        /// The signed report.
        file: PathBuf,
        /// The public key it must be signed with (hex), as printed by the run.
        #[arg(long)]
        public_key: Option<String>,
    },
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// The SUT's adapter command (run with `sh -c`, JSON Lines on stdin/stdout), one per case.
    #[arg(long, env = "CONFORMANCE_SUT", conflicts_with_all = ["sut_url", "manual"])]
    sut: Option<String>,
    /// The SUT's HTTP adapter endpoint (each request POSTed as JSON).
    #[arg(long, env = "CONFORMANCE_SUT_URL", conflicts_with = "manual")]
    sut_url: Option<String>,
    /// No adapter: print instructions for a person at the SUT and wait for what it writes.
    #[arg(long)]
    manual: bool,
    /// Use this shared folder (req/, res/, face/) instead of a temporary one; its files are
    /// removed before each case. For manual mode, where the SUT is pointed at a fixed folder.
    #[arg(long, value_name = "DIR")]
    oqs_dir: Option<PathBuf>,
    /// Play the terminal with this running simulator (`simulator serve`, e.g.
    /// http://127.0.0.1:8370) instead of the embedded engine: each case is a scenario session of
    /// its own there, and the SUT uses that session's shared folder (on this machine).
    #[arg(
        long,
        value_name = "URL",
        env = "CONFORMANCE_SIMULATOR",
        conflicts_with = "oqs_dir"
    )]
    simulator: Option<String>,
    /// The running simulator's operator token (`serve --admin-token`).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "SIM_ADMIN_TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,
    /// Only these cases or suites (ids or suite names; repeat or separate with commas).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Skip these cases or suites.
    #[arg(long, value_delimiter = ',')]
    skip: Vec<String>,
    /// Known deviations of the SUT (TOML: [[deviation]] case, reason).
    #[arg(long, value_name = "FILE")]
    expectations: Option<PathBuf>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write the JSON report (every check with evidence and timings).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write the signed, hash-chained report.
    #[arg(long, value_name = "FILE")]
    signed_report: Option<PathBuf>,
    /// The Ed25519 key to sign with (created if missing); without it, a key for this run only.
    #[arg(long, value_name = "FILE")]
    signing_key: Option<PathBuf>,
    /// The day of the visits (yyyy-mm-dd, or `today` in Japan time).
    #[arg(long, default_value = "2026-11-25")]
    date: String,
    /// The clinic's 医療機関コード.
    #[arg(long, default_value = "1311234567")]
    medical_institution_code: String,
    /// How long the SUT may take for one adapter request (manual mode: for the person).
    #[arg(long, default_value_t = 20_000)]
    timeout_ms: u64,
    /// How late the slow terminal answers (QC-3.03).
    #[arg(long, default_value_t = 1_500)]
    slow_ms: u64,
    /// The least pause between two downloads of a bulk job.
    #[arg(long, default_value_t = 200)]
    min_poll_interval_ms: u64,
    /// The most downloads of one bulk job.
    #[arg(long, default_value_t = 10)]
    max_polls: u32,
    /// How many downloads of a bulk job are answered SegmentOfResult 2 first.
    #[arg(long, default_value_t = 1)]
    processing_answers: u32,
    /// Quiet time after an action in which no further request may come.
    #[arg(long, default_value_t = 300)]
    settle_ms: u64,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CONFORMANCE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                report::EXIT_HARNESS
            } else {
                0
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::List { json } => list(json),
        Command::Rules => {
            for r in conformance::rules::rules() {
                println!(
                    "{:<14} {}\n               ({}; [{}])",
                    r.id, r.text, r.section, r.source
                );
            }
            ExitCode::SUCCESS
        }
        Command::VerifyReport { file, public_key } => match std::fs::read(&file) {
            Err(e) => {
                eprintln!("conformance: cannot read {}: {e}", file.display());
                ExitCode::from(2)
            }
            Ok(bytes) => match conformance::signed::verify(&bytes, public_key.as_deref()) {
                Ok(v) => {
                    println!(
                        "valid: {} case(s), suite {}, SUT {}, signed by {}",
                        v.entries, v.header.suite_version, v.header.sut, v.header.public_key
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    println!("INVALID: {e}");
                    ExitCode::from(1)
                }
            },
        },
        Command::Run(args) => match run(*args) {
            Ok(code) => ExitCode::from(code),
            Err(e) => {
                eprintln!("conformance: {e:#}");
                ExitCode::from(report::EXIT_HARNESS)
            }
        },
    }
}

fn list(json: bool) -> ExitCode {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(CASES).unwrap_or_default()
        );
        return ExitCode::SUCCESS;
    }
    for c in CASES {
        println!(
            "{:<8} {:<9} {}{}\n         rules: {}",
            c.id,
            c.suite.name(),
            c.title,
            c.pending
                .map(|p| format!("  [pending: {p}]"))
                .unwrap_or_default(),
            c.rules.join(" ")
        );
    }
    println!(
        "\n{} cases, suite version {}",
        CASES.len(),
        cases::SUITE_VERSION
    );
    ExitCode::SUCCESS
}

fn run(args: RunArgs) -> anyhow::Result<u8> {
    use anyhow::{Context, bail};
    let adapter = match (&args.sut, &args.sut_url, args.manual) {
        (Some(cmd), None, false) => AdapterKind::Command(cmd.clone()),
        (None, Some(url), false) => AdapterKind::Http(url.clone()),
        (None, None, true) => AdapterKind::Manual,
        _ => bail!("say how to reach the SUT: --sut COMMAND, --sut-url URL or --manual"),
    };
    for s in args.only.iter().chain(&args.skip) {
        if !cases::known_selector(s) {
            bail!("--only/--skip {s:?}: no such case or suite (see `conformance list`)");
        }
    }
    let expectations = match &args.expectations {
        Some(path) => Expectations::load(path).map_err(anyhow::Error::msg)?,
        None => Expectations::default(),
    };
    let today = if args.date == "today" {
        (chrono::Utc::now() + chrono::Duration::hours(9)).date_naive()
    } else {
        chrono::NaiveDate::parse_from_str(&args.date, "%Y-%m-%d")
            .with_context(|| format!("--date {:?} is not yyyy-mm-dd", args.date))?
    };
    let mic = &args.medical_institution_code;
    if mic.len() != 10 || !mic.bytes().all(|b| b.is_ascii_digit()) {
        bail!("--medical-institution-code must be 10 digits");
    }
    let key = conformance::signed::signing_key(args.signing_key.as_deref())?;
    let mut cfg = RunConfig::new(adapter);
    cfg.today = today;
    cfg.medical_institution_code = mic.clone();
    cfg.action_timeout = Duration::from_millis(args.timeout_ms);
    cfg.slow = Duration::from_millis(args.slow_ms);
    cfg.min_poll_interval = Duration::from_millis(args.min_poll_interval_ms);
    cfg.max_polls = args.max_polls;
    cfg.processing_answers = args.processing_answers;
    cfg.settle = Duration::from_millis(args.settle_ms);
    cfg.oqs_dir = args.oqs_dir.clone();
    cfg.simulator = args
        .simulator
        .as_ref()
        .map(|url| conformance::remote::RemoteSimulator {
            url: url.clone(),
            token: args.admin_token.clone(),
        });

    let selected: Vec<&cases::Case> = CASES
        .iter()
        .filter(|c| args.only.is_empty() || args.only.iter().any(|s| cases::selects(s, c)))
        .filter(|c| !args.skip.iter().any(|s| cases::selects(s, c)))
        .collect();
    let named = sim_fixtures::NamedFixtures::embedded().context("the named fixture persons")?;
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let started = Instant::now();
    let sut = match &cfg.adapter {
        AdapterKind::Command(c) => c.clone(),
        AdapterKind::Http(u) => u.clone(),
        AdapterKind::Manual => "manual".into(),
    };
    println!(
        "conformance {} (suite {}): {} case(s) against {sut}",
        env!("CARGO_PKG_VERSION"),
        cases::SUITE_VERSION,
        selected.len()
    );
    let mut results = Vec::new();
    let mut stale = Vec::new();
    for case in &selected {
        let mut r = runner::run_case(&cfg, case, &named);
        stale.extend(expectations.apply(std::slice::from_mut(&mut r)));
        println!("{}", report::case_line(&r));
        results.push(r);
    }
    let report = RunReport {
        harness: "conformance".into(),
        harness_version: env!("CARGO_PKG_VERSION").into(),
        suite_version: cases::SUITE_VERSION.into(),
        sut,
        today: today.format("%Y%m%d").to_string(),
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        summary: Summary::of(&results),
        cases: results,
        stale_expectations: stale,
    };
    println!("{}", report::console_summary(&report));
    if let Some(path) = &args.json {
        std::fs::write(path, report::json(&report))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.junit {
        let text = report::junit(&report).context("rendering JUnit")?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.signed_report {
        std::fs::write(path, conformance::signed::render(&report, &key))
            .with_context(|| format!("writing {}", path.display()))?;
        println!(
            "signed report {} (public key {})",
            path.display(),
            conformance::signed::public_key_hex(&key)
        );
    }
    Ok(report.summary.exit_code())
}
