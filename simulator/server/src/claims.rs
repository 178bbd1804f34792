//! `simulator claims route FILE`: re-routes claims (レセプト) by the insurer valid on each visit
//! date (振替・分割・返戻) and writes the routing report with a notice per facility (JSON).
//! `POST /claims/route` does the same over HTTP (`http::claims`).
//!
//! Exit codes: 0 the report was written (unresolvable claims are in it, listed with the reason);
//! 1 an error (a file that cannot be read or written, a bad configuration or population);
//! 2 malformed claims (every problem printed with its line, for CSV every bad row) or invalid
//! usage.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use sim_core::Population;
use sim_core::claims::{NoticeTexts, RoutingError};
use sim_messages::claims::report::RoutingReport;
use sim_messages::claims::{ClaimsFormat, ClaimsInputError};

use crate::config::Config;

/// `simulator claims …`.
#[derive(Args, Debug)]
pub struct ClaimsArgs {
    #[command(subcommand)]
    action: ClaimsAction,
}

#[derive(Subcommand, Debug)]
enum ClaimsAction {
    /// Route claims by the eligibility on each visit date; print the report (JSON).
    Route(RouteArgs),
}

#[derive(Args, Debug)]
struct RouteArgs {
    /// The claims: JSON ({"claims": […]} or […]) or CSV (one row per visit, with a header row).
    file: PathBuf,
    /// json or csv (default: from the file's extension, else json).
    #[arg(long)]
    format: Option<String>,
    /// Write the report here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Configuration file (population seed and size, notice texts).
    #[arg(long, env = "SIM_CONFIG")]
    config: Option<PathBuf>,
    /// Seed of the generated population.
    #[arg(long, env = "SIM_SEED")]
    seed: Option<u64>,
    /// Size of the generated population.
    #[arg(long, env = "SIM_SIZE")]
    size: Option<usize>,
    /// Load this population file instead of generating.
    #[arg(long, env = "SIM_POPULATION")]
    population: Option<PathBuf>,
}

/// Why claims could not be routed.
#[derive(Debug, thiserror::Error)]
pub enum ClaimsError {
    /// The input is malformed (every problem, with its position).
    #[error("{0}")]
    Input(#[from] ClaimsInputError),
    /// Points were not preserved (a bug).
    #[error("{0}")]
    Routing(#[from] RoutingError),
}

/// Reads and routes claims.
pub fn route_bytes(
    pop: &Population,
    bytes: &[u8],
    format: ClaimsFormat,
    texts: &NoticeTexts,
) -> Result<RoutingReport, ClaimsError> {
    let claims = sim_messages::claims::read(bytes, format)?;
    Ok(sim_core::claims::route(pop, &claims, texts)?)
}

fn format_of(path: &Path, given: Option<&str>) -> anyhow::Result<ClaimsFormat> {
    match given {
        Some(f) => {
            ClaimsFormat::parse(f).with_context(|| format!("--format is json or csv, not {f:?}"))
        }
        None => Ok(match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("csv") => ClaimsFormat::Csv,
            _ => ClaimsFormat::Json,
        }),
    }
}

/// Runs `simulator claims …` and gives the exit code.
pub fn cli(args: ClaimsArgs) -> ExitCode {
    let ClaimsAction::Route(args) = args.action;
    let file = args.file.display().to_string();
    let outcome = (|| -> anyhow::Result<Result<RoutingReport, ClaimsError>> {
        let format = format_of(&args.file, args.format.as_deref())?;
        let bytes = std::fs::read(&args.file).with_context(|| format!("reading {file}"))?;
        let mut config = Config::load(args.config.as_deref())?;
        if let Some(s) = args.seed {
            config.population.seed = s;
        }
        if let Some(s) = args.size {
            config.population.size = s;
        }
        if let Some(p) = &args.population {
            config.population.file = Some(p.clone());
        }
        let (pop, _) = crate::serve::load_population(&config.population)?;
        Ok(route_bytes(&pop, &bytes, format, &config.claims.notice))
    })();
    let report = match outcome {
        Ok(Ok(report)) => report,
        Ok(Err(ClaimsError::Input(e))) => {
            for p in &e.problems {
                eprintln!("{file}: {p}");
            }
            eprintln!("simulator: {file}: malformed claims, nothing routed");
            return ExitCode::from(2);
        }
        Ok(Err(e)) => {
            eprintln!("simulator: {e}");
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("simulator: {e:#}");
            return ExitCode::from(1);
        }
    };
    let written = (|| -> anyhow::Result<()> {
        let mut json = serde_json::to_vec_pretty(&report)?;
        json.push(b'\n');
        match &args.out {
            Some(path) => std::fs::write(path, &json)
                .with_context(|| format!("writing {}", path.display()))?,
            None => std::io::stdout().lock().write_all(&json)?,
        }
        Ok(())
    })();
    if let Err(e) = written {
        eprintln!("simulator: {e:#}");
        return ExitCode::from(1);
    }
    let s = &report.summary;
    eprintln!(
        "{} claims: {} unchanged, {} transferred (振替), {} split (分割), {} returned (返戻), {} partly returned; {} points billed = {} routed + {} unresolved; {} notices",
        s.claims,
        s.unchanged,
        s.transferred,
        s.split,
        s.returned,
        s.partly_returned,
        s.points_billed,
        s.points_routed,
        s.points_unresolved,
        report.notices.len()
    );
    ExitCode::SUCCESS
}
