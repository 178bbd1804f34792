//! `simulator serve`: builds the shared state and runs the file interface and the HTTP listener
//! until Ctrl-C or SIGTERM.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use sim_core::Engine;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::dropbox::{self, DropboxConfig, WatchMode};
use crate::journal::Journal;
use crate::shared::Shared;

/// Everything `serve` needs, resolved from the configuration and the command line.
#[derive(Debug)]
pub struct ServeOptions {
    /// The configuration.
    pub config: Config,
    /// Shared folder root.
    pub oqs_dir: PathBuf,
    /// State directory (journal).
    pub state_dir: PathBuf,
    /// The clock (wall clock unless a virtual one is asked for).
    pub clock: Arc<dyn Clock>,
    /// Where vpcd listens (slot 0) for the virtual cards.
    pub vpcd: crate::card::VpcdAddr,
    /// The operator token (`None`: generated at start-up and printed).
    pub admin_token: Option<String>,
    /// Let other hosts than loopback use the operator's parts.
    pub admin_allow_remote: bool,
    /// `serve --scenario FILE`: loaded as a session attached to the served world, for the
    /// trainer's remote (`simulator scenario step`).
    pub scenario: Option<PathBuf>,
}

impl ServeOptions {
    /// Options with the wall clock.
    pub fn new(config: Config, oqs_dir: PathBuf, state_dir: PathBuf) -> ServeOptions {
        ServeOptions {
            config,
            oqs_dir,
            state_dir,
            clock: Arc::new(SystemClock),
            vpcd: crate::card::VpcdAddr::default(),
            admin_token: None,
            admin_allow_remote: false,
            scenario: None,
        }
    }
}

/// The population of `[population]`: read from its file, or generated from seed and size; the
/// named fixtures are merged in either way.
pub fn load_population(
    cfg: &crate::config::PopulationConfig,
) -> anyhow::Result<(sim_core::Population, sim_fixtures::NamedFixtures)> {
    match &cfg.file {
        Some(path) => sim_fixtures::population_from_file(path)
            .with_context(|| format!("loading the population file {}", path.display())),
        None => sim_fixtures::population(cfg.seed, cfg.size).context("building the population"),
    }
}

/// [`load_population`] with the My Number Card holdings of every person.
pub fn load_population_with_cards(
    cfg: &crate::config::PopulationConfig,
) -> anyhow::Result<(sim_core::Population, sim_fixtures::CardHoldings)> {
    let (pop, _, holdings) = match &cfg.file {
        Some(path) => sim_fixtures::population_from_file_with_cards(path)
            .with_context(|| format!("loading the population file {}", path.display()))?,
        None => sim_fixtures::population_with_cards(cfg.seed, cfg.size)
            .context("building the population")?,
    };
    Ok((pop, holdings))
}

/// Builds the shared state: population, engine, journal.
pub fn build_shared(opts: &ServeOptions) -> anyhow::Result<Arc<Shared>> {
    let engine = Engine::new(opts.config.engine_config()?);
    let started = std::time::Instant::now();
    let (population, holdings) = load_population_with_cards(&opts.config.population)?;
    tracing::info!(
        persons = population.len(),
        seed = opts.config.population.seed,
        file = ?opts.config.population.file,
        ms = started.elapsed().as_millis() as u64,
        "population ready"
    );
    std::fs::create_dir_all(&opts.state_dir)
        .with_context(|| format!("creating the state directory {}", opts.state_dir.display()))?;
    let journal = Journal::open(
        &opts.state_dir.join("state.sqlite3"),
        opts.config.journal.max_entries,
    )?;
    let cards = crate::card::Cards::open(
        opts.vpcd.clone(),
        opts.config.population.seed,
        &population,
        &opts.state_dir.join("state.sqlite3"),
    )
    .context("opening the card store")?;
    let jobs = crate::jobs::JobStore::open(&opts.state_dir.join("state.sqlite3"))
        .context("opening the bulk job store")?;
    // The named fixtures' consents for 訪問診療等 / オンライン診療等 (kept once however often seeded).
    for c in sim_fixtures::NamedFixtures::embedded()
        .context("reading the named fixtures")?
        .treatment_consents
    {
        jobs.record_consent(&c)
            .context("seeding the named fixtures' treatment consents")?;
    }
    let reader = crate::reader::Readers::open(
        opts.config.reader_settings()?,
        &opts.state_dir.join("state.sqlite3"),
    )
    .context("opening the reader's consent store")?;
    let mut disaster = crate::disaster::Disaster::open(
        &opts.state_dir.join("state.sqlite3"),
        opts.config.population.seed,
    )
    .context("opening the disaster-mode store")?;
    let medical = sim_fixtures::medical::SyntheticMedical::with_register(
        opts.config.population.seed,
        disaster.facilities.clone(),
    );
    disaster.records = Box::new(medical.clone());
    disaster.renderer = Box::new(crate::medinfo::PdfRenderer);
    Ok(Shared {
        engine,
        population,
        holdings,
        clock: opts.clock.clone(),
        journal,
        tokens: Mutex::new(HashMap::new()),
        token_lifetime: Duration::from_secs(opts.config.webapi.token_lifetime_s),
        oqs_dir: Some(opts.oqs_dir.clone()),
        cards,
        jobs,
        reader,
        disaster,
        admin: crate::admin_token::AdminAuth::new(
            opts.admin_token.clone(),
            opts.admin_allow_remote,
        ),
        medical,
        // Own worlds of scenario sessions keep their shared folders here unless told otherwise.
        scenarios: crate::scenario_session::Sessions::under(Some(opts.oqs_dir.join("sessions"))),
    }
    .into_ref())
}

/// Runs until `shutdown` completes.
pub async fn run(
    opts: ServeOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let shared = build_shared(&opts)?;
    let dropbox_config = dropbox_config(&opts);
    start_sessions(&opts, &shared, &dropbox_config).await?;
    if let Some(file) = &opts.scenario {
        let options = crate::scenario_run::RunOptions {
            pcsc: false,
            vpcd: opts.vpcd.clone(),
            folder: None,
        };
        let source = crate::scenario_session::Source::File(file.clone());
        let view = shared
            .scenarios
            .load(None, source, options, Some(shared.clone()))
            .map_err(|e| anyhow::anyhow!("--scenario: {e}"))?;
        tracing::info!(session = %view.session, steps = view.steps.len(), "scenario ready for `simulator scenario step`");
    }
    let addr: SocketAddr = opts
        .config
        .http
        .listen
        .parse()
        .with_context(|| format!("invalid listen address {:?}", opts.config.http.listen))?;
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} (is another simulator running? use --listen)")
    })?;
    tracing::info!(addr = %listener.local_addr()?, "http listening");
    if opts.admin_token.is_none() {
        // Printed, not logged: the operator opens this link once to get the console's cookie.
        eprintln!(
            "console (operator): http://{}/console/login?token={}",
            listener.local_addr()?,
            shared.admin.token()
        );
    }

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let app = crate::http::app(shared.clone());
    let http = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(wait(stop_rx.clone()));
    let files = dropbox::run(dropbox_config, shared.clone(), wait(stop_rx));
    let (http, files) = tokio::join!(http, files);
    http.context("http server")?;
    files.context("file interface")?;
    shared.scenarios.clear();
    shared.cards.remove_all();
    shared.journal.flush();
    tracing::info!("stopped");
    Ok(())
}

/// The file interface's settings from the configuration.
pub fn dropbox_config(opts: &ServeOptions) -> DropboxConfig {
    let t = &opts.config.terminal;
    DropboxConfig {
        root: opts.oqs_dir.clone(),
        watch: if t.watch == "poll" {
            WatchMode::Poll
        } else {
            WatchMode::Auto
        },
        poll_interval: Duration::from_millis(t.poll_interval_ms.max(10)),
        delay: (
            Duration::from_millis(t.response_delay_ms[0]),
            Duration::from_millis(t.response_delay_ms[1]),
        ),
        fsync: t.fsync,
    }
}

/// Scenario sessions: kept in the state database, their own folders watched; those of the last
/// run loaded again and replayed to their cursors (a broken one is logged, never fatal).
pub async fn start_sessions(
    opts: &ServeOptions,
    shared: &Arc<Shared>,
    dropbox_config: &DropboxConfig,
) -> anyhow::Result<()> {
    let store = crate::scenario_persist::SessionStore::open(&opts.state_dir.join("state.sqlite3"))
        .context("opening the scenario session store")?;
    shared.scenarios.persist(store);
    shared.scenarios.watch(crate::scenario_session::Watch {
        runtime: tokio::runtime::Handle::current(),
        config: dropbox_config.clone(),
    });
    let (task_shared, vpcd) = (shared.clone(), opts.vpcd.clone());
    let (restored, broken) =
        tokio::task::spawn_blocking(move || task_shared.scenarios.restore(&vpcd))
            .await
            .context("restoring the scenario sessions")?;
    if restored + broken > 0 {
        tracing::info!(restored, broken, "scenario sessions of the last run");
    }
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
