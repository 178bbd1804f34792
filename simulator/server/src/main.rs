//! `simulator`: an offline stand-in for the オンライン資格確認 terminal (資格確認端末).
//!
//! Exit codes: 0 success; 1 an error (printed on stderr); 2 invalid command-line usage.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDateTime;
use clap::{Parser, Subcommand};
use sim_server::clock::{Clock, SystemClock, VirtualClock};
use sim_server::config::{Config, DEFAULT_CONFIG};
use sim_server::serve::{ServeOptions, shutdown_signal};

/// mimalloc rather than glibc malloc: the request paths allocate on one thread and free on
/// another (tokio workers, the journal writer), which glibc handles slowly.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod persons;
mod population;

/// An offline stand-in for the オンライン資格確認 terminal: the req/res/face shared folder, the
/// Web API, and a synthetic population.
#[derive(Parser, Debug)]
#[command(
    name = "simulator",
    version,
    about = "An offline stand-in for the オンライン資格確認 terminal: the req/res/face shared folder, the Web API, virtual My Number Cards and a synthetic population"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

// Parsed once per process; boxing `ServeArgs` would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
enum Command {
    /// Run the terminal: watch the shared folder and serve HTTP (the default command).
    Serve(ServeArgs),
    /// List persons with the keys a clinic would type and their outcome on a date.
    Persons(PersonsArgs),
    /// Generate a synthetic population file, or export persons and their insurance keys.
    Population {
        #[command(subcommand)]
        action: population::PopulationAction,
    },
    /// Show the journal of a running simulator.
    Journal(JournalArgs),
    /// Insert, remove and list virtual My Number Cards of a running simulator.
    Card(sim_server::card::cli::CardArgs),
    /// Drive the face-auth card reader of a running simulator (card check, consent, face/ result).
    Reader(sim_server::reader::cli::ReaderArgs),
    /// Show or set the virtual clock of a running simulator (started with `serve --clock`).
    Clock(sim_server::clock_cli::ClockArgs),
    /// Disaster mode (災害時医療情報閲覧) of a running simulator: open, close, extend, status,
    /// search, view, audit.
    Disaster(sim_server::disaster::cli::DisasterArgs),
    /// Re-route claims (レセプト) by the insurer valid on each visit date (振替・分割・返戻).
    Claims(sim_server::claims::ClaimsArgs),
    /// Run scripted scenarios (scenarios/*.yaml) headless on a virtual clock.
    Scenario(sim_server::scenario_run::ScenarioArgs),
    /// Print the default configuration (commented), a template for --config.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Subcommand, Debug)]
enum ConfigAction {
    /// Print the default configuration.
    Show,
}

#[derive(Parser, Debug, Default)]
struct ServeArgs {
    /// The shared folder; req/, res/ and face/ are created in it.
    #[arg(long, env = "SIM_OQS_DIR", default_value = "oqs")]
    oqs_dir: PathBuf,
    /// Directory of the embedded state (SQLite journal).
    #[arg(long, env = "SIM_STATE", default_value = "simulator-state")]
    state: PathBuf,
    /// HTTP listen address (default 127.0.0.1:8370).
    #[arg(long, env = "SIM_LISTEN")]
    listen: Option<String>,
    /// Configuration file (see `simulator config show`).
    #[arg(long, env = "SIM_CONFIG")]
    config: Option<PathBuf>,
    /// Encoding of result files: shift_jis or utf-8.
    #[arg(long, env = "SIM_ENCODING")]
    encoding: Option<String>,
    /// Response delay in milliseconds: N, or MIN-MAX (0 for CI).
    #[arg(long, env = "SIM_DELAY_MS")]
    delay_ms: Option<String>,
    /// How req/ is watched: auto (file events and scans) or poll (scans only, for network shares).
    #[arg(long, env = "SIM_WATCH")]
    watch: Option<String>,
    /// Interval of the req/ scan in milliseconds.
    #[arg(long, env = "SIM_POLL_INTERVAL_MS")]
    poll_interval_ms: Option<u64>,
    /// Do not fsync result files (faster, less durable).
    #[arg(long)]
    no_fsync: bool,
    /// Error catalogue file replacing the built-in mock codes.
    #[arg(long, env = "SIM_ERROR_CATALOGUE")]
    error_catalogue: Option<PathBuf>,
    /// Seed of the generated population.
    #[arg(long, env = "SIM_SEED")]
    seed: Option<u64>,
    /// Size of the generated population.
    #[arg(long, env = "SIM_SIZE")]
    size: Option<usize>,
    /// Load this population file (`simulator population generate`) instead of generating.
    #[arg(long, env = "SIM_POPULATION")]
    population: Option<PathBuf>,
    /// Start a virtual clock at this Japan time (yyyy-mm-ddTHH:MM:SS) instead of the wall clock.
    #[arg(long, env = "SIM_CLOCK")]
    clock: Option<String>,
    /// With --clock: keep the virtual clock still instead of running.
    #[arg(long, requires = "clock")]
    freeze_clock: bool,
    /// Start on the world and virtual clock of this scenario (scenarios/*.yaml), for a person
    /// or a clinic system to drive; its steps are not played.
    #[arg(long, value_name = "FILE", conflicts_with = "clock")]
    scenario: Option<PathBuf>,
    /// Where vsmartcard's vpcd listens for virtual cards, HOST:PORT of slot 0 (slot n: PORT+n;
    /// default 127.0.0.1:35963).
    #[arg(long, env = "SIM_VPCD")]
    vpcd: Option<String>,
    /// The operator token of the admin parts (disaster mode, console operator screens); default a
    /// fresh one, printed at start-up.
    #[arg(long, env = "SIM_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Let other hosts than loopback use the operator's parts (with the token).
    #[arg(long)]
    admin_allow_remote: bool,
}

#[derive(Parser, Debug)]
struct PersonsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// At most this many rows (0: all).
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// The date of the outcome (yyyyMMdd); default today (Japan time).
    #[arg(long)]
    date: Option<String>,
    /// Configuration file (for the population seed and size, and eligibility rules).
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

#[derive(Parser, Debug)]
struct JournalArgs {
    /// URL of the running simulator.
    #[arg(long, env = "SIMULATOR_URL", default_value = sim_server::client::DEFAULT_URL)]
    server: String,
    /// At most this many entries, newest first.
    #[arg(long, default_value_t = 20)]
    limit: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Show one entry with its request and answer.
    #[arg(long)]
    show: Option<i64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Scenario(args)) = cli.command {
        return sim_server::scenario_run::cli(args);
    }
    if let Some(Command::Claims(args)) = cli.command {
        return sim_server::claims::cli(args);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "simulator=info,sim_server=info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
        .and_then(|rt| rt.block_on(run(cli)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("simulator: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve(ServeArgs {
        oqs_dir: "oqs".into(),
        state: "simulator-state".into(),
        ..ServeArgs::default()
    })) {
        Command::Serve(args) => serve(args).await,
        Command::Persons(args) => persons::run(args),
        Command::Population { action } => population::run(action),
        Command::Journal(args) => journal(args).await,
        Command::Card(args) => sim_server::card::cli::run(args).await,
        Command::Reader(args) => sim_server::reader::cli::run(args).await,
        Command::Clock(args) => sim_server::clock_cli::run(args).await,
        Command::Disaster(args) => sim_server::disaster::cli::run(args).await,
        Command::Scenario(_) => anyhow::bail!("`scenario` runs without the server runtime"),
        Command::Claims(_) => anyhow::bail!("`claims` runs without the server runtime"),
        Command::Config {
            action: ConfigAction::Show,
        } => {
            print!("{DEFAULT_CONFIG}");
            Ok(())
        }
    }
}

fn parse_delay(s: &str) -> anyhow::Result<[u64; 2]> {
    let parse = |v: &str| {
        v.trim()
            .parse::<u64>()
            .with_context(|| format!("invalid delay {s:?}"))
    };
    match s.split_once('-') {
        Some((a, b)) => Ok([parse(a)?, parse(b)?]),
        None => {
            let v = parse(s)?;
            Ok([v, v])
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = Config::load(args.config.as_deref())?;
    let t = &mut config.terminal;
    if let Some(e) = args.encoding {
        t.result_encoding = e;
    }
    if let Some(d) = args.delay_ms {
        t.response_delay_ms = parse_delay(&d)?;
    }
    if let Some(w) = args.watch {
        t.watch = w;
    }
    if let Some(p) = args.poll_interval_ms {
        t.poll_interval_ms = p;
    }
    if args.no_fsync {
        t.fsync = false;
    }
    if let Some(c) = args.error_catalogue {
        t.error_catalogue = Some(c);
    }
    if let Some(l) = args.listen {
        config.http.listen = l;
    }
    if let Some(s) = args.seed {
        config.population.seed = s;
    }
    if let Some(s) = args.size {
        config.population.size = s;
    }
    if let Some(p) = args.population {
        config.population.file = Some(p);
    }
    config.engine_config()?;
    let clock: Arc<dyn Clock> = match (args.clock, &args.scenario) {
        (None, Some(file)) => {
            let scenario = sim_server::scenario_run::load_all(std::slice::from_ref(file))
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .into_iter()
                .next()
                .context("--scenario: no scenario read")?;
            tracing::info!(
                scenario = %scenario.file,
                title = %scenario.title,
                clock = %scenario.clock.start,
                frozen = scenario.clock.frozen,
                "serving the world and clock of a scenario"
            );
            Arc::new(VirtualClock::new(
                scenario.clock.start,
                !scenario.clock.frozen,
            ))
        }
        (None, None) => Arc::new(SystemClock),
        (Some(at), _) => {
            let at = NaiveDateTime::parse_from_str(&at, "%Y-%m-%dT%H:%M:%S")
                .with_context(|| format!("--clock {at:?}: expected yyyy-mm-ddTHH:MM:SS"))?;
            Arc::new(VirtualClock::new(at, !args.freeze_clock))
        }
    };
    let mut opts = ServeOptions::new(config, args.oqs_dir, args.state);
    opts.clock = clock;
    opts.scenario = args.scenario;
    if let Some(v) = args.vpcd {
        opts.vpcd = v.parse().with_context(|| format!("--vpcd {v:?}"))?;
    }
    opts.admin_token = args.admin_token;
    opts.admin_allow_remote = args.admin_allow_remote;
    sim_server::serve::run(opts, shutdown_signal()).await
}

async fn journal(args: JournalArgs) -> anyhow::Result<()> {
    if let Some(id) = args.show {
        let body = sim_server::client::get(&args.server, &format!("/admin/journal/{id}")).await?;
        if args.json {
            println!("{}", String::from_utf8_lossy(&body));
            return Ok(());
        }
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        for key in [
            "id",
            "at",
            "channel",
            "request_name",
            "answer_name",
            "qualification_validity",
            "code",
            "rejection",
        ] {
            println!(
                "{key:>24}: {}",
                v[key]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v[key].to_string())
            );
        }
        println!(
            "\n--- request ---\n{}",
            v["request_text"].as_str().unwrap_or("")
        );
        println!(
            "\n--- answer ---\n{}",
            v["answer_text"].as_str().unwrap_or("")
        );
        return Ok(());
    }
    let body = sim_server::client::get(
        &args.server,
        &format!("/admin/journal?limit={}", args.limit),
    )
    .await?;
    if args.json {
        println!("{}", String::from_utf8_lossy(&body));
        return Ok(());
    }
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&body)?;
    if entries.is_empty() {
        println!("(the journal is empty)");
        return Ok(());
    }
    println!(
        "{:>6}  {:14}  {:8}  {:4} {:4} {:4}  {:12}  REQUEST → ANSWER",
        "ID", "AT", "CHANNEL", "SEG", "STAT", "VAL", "CODE"
    );
    for e in entries {
        let s = |k: &str| e[k].as_str().unwrap_or("-").to_owned();
        println!(
            "{:>6}  {:14}  {:8}  {:4} {:4} {:4}  {:12}  {} → {}",
            e["id"].as_i64().unwrap_or(0),
            s("at"),
            s("channel"),
            s("segment_of_result"),
            s("processing_result_status"),
            s("qualification_validity"),
            s("code"),
            s("request_name"),
            s("answer_name")
        );
    }
    Ok(())
}
