//! Benchmark of the terminal simulator, every figure with its baseline measured in the same run
//! (this machine is shared and noisy; compare ratios, not absolute numbers).
//!
//! 1. XML over HTTP (`POST /oqs/xml`, the real engine, Shift_JIS, journal on) against a fixed-reply
//!    axum endpoint returning a result document of the same size, both driven by the same
//!    in-process load generator: 64 keep-alive connections, requests cycling over 1,000 persons.
//! 2. File-drop round trip with fsync: a client renames a request into `req/` and waits (inotify)
//!    for its result in `res/`; 1,000 files one after another.
//!
//! Each HTTP line gives req/s, latency and CPU time per request over the measured seconds (from
//! `/proc`): the whole process, and the server's threads alone (all but the load generator's).
//!
//! Run: `cargo bench -p sim-server --bench oqs` (env: `BENCH_SECS` per HTTP target, default 5;
//! `BENCH_CONNS`, default 64; `BENCH_FILES`, default 1000; `BENCH_ONLY=engine|real|fixed` for one
//! part alone, for profiling).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use http_body_util::{BodyExt, Full};
use notify::{EventKind, RecursiveMode, Watcher};
use sim_messages::TextEncoding;
use sim_messages::siquc01::{
    QualificationConfirmRequest, QualificationConfirmSearchInfo, RequestBody, RequestHeader,
};
use sim_messages::xml::{XmlStyle, write_document};
use sim_server::config::Config;
use sim_server::dropbox::{self, DropboxConfig, WatchMode};
use sim_server::serve::{ServeOptions, build_shared};
use sim_server::shared::Shared;

/// The allocator of the `simulator` binary (src/main.rs), so both endpoints run as they ship.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn fmt_us(us: u64) -> String {
    if us >= 1000 {
        format!("{:.2} ms", us as f64 / 1000.0)
    } else {
        format!("{us} µs")
    }
}

/// Request documents for the first `n` persons with a card valid on the date.
fn requests(shared: &Shared, n: usize) -> Vec<Bytes> {
    let on = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    shared
        .population
        .persons()
        .filter_map(|p| {
            let q = p.card_on(on).filter(|q| q.is_active_on(on))?.clone();
            Some((p, q))
        })
        .take(n)
        .enumerate()
        .map(|(i, (p, q))| {
            let req = QualificationConfirmRequest {
                header: RequestHeader {
                    qualification_confirmation_date: Some("20261125".into()),
                    medical_institution_code: Some("1311234567".into()),
                    arbitrary_file_identifier: Some(format!("bench{i:06}")),
                },
                body: RequestBody {
                    qualification_confirm_search_info: Some(QualificationConfirmSearchInfo {
                        insurer_number: Some(q.insurer.to_wire()),
                        insured_card_symbol: q.card.symbol.clone(),
                        insured_identification_number: Some(q.card.number.clone()),
                        insured_branch_number: Some(q.card.branch.clone()),
                        birthdate: Some(sim_core::date::ymd(p.birthdate)),
                        limit_application_certificate_related_cons_flg: Some("1".into()),
                        arbitrary_identifier: None,
                    }),
                },
            };
            Bytes::from(
                write_document(
                    &req,
                    TextEncoding::ShiftJis,
                    XmlStyle {
                        indent: 2,
                        crlf: true,
                    },
                )
                .unwrap(),
            )
        })
        .collect()
}

/// utime + stime of one `/proc/.../stat` line, and the thread's name.
fn stat_cpu(stat: &str) -> (String, Duration) {
    let name = stat
        .split_once('(')
        .and_then(|(_, rest)| rest.rsplit_once(')'))
        .map_or("", |(name, _)| name)
        .to_owned();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line; 12 and 13 after the command name.
    (name, Duration::from_millis((ticks(11) + ticks(12)) * 10))
}

/// CPU time (user + system) of this process: all of it, and the load generator's threads alone
/// (named [`CLIENT_THREAD`]); the rest is the servers (tokio workers, journal writer, …).
#[derive(Debug, Clone, Copy, Default)]
struct Cpu {
    all: Duration,
    client: Duration,
}

/// Thread name of the load generator's runtime.
const CLIENT_THREAD: &str = "bench-client";

fn cpu_time() -> Cpu {
    let all = stat_cpu(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default()).1;
    let mut client = Duration::ZERO;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
            let (name, cpu) = stat_cpu(&stat);
            if name.starts_with(CLIENT_THREAD) {
                client += cpu;
            }
        }
    }
    Cpu { all, client }
}

struct Load {
    /// CPU time over the measured window (after the warm-up).
    cpu: Cpu,
    requests: u64,
    seconds: f64,
    latencies_us: Vec<u64>,
    errors: u64,
}

/// Drives `addr` with `conns` keep-alive connections for `secs` seconds after a 1 s warm-up.
async fn load(addr: SocketAddr, bodies: Arc<Vec<Bytes>>, conns: usize, secs: u64) -> Load {
    let warm_until = Instant::now() + Duration::from_secs(1);
    let end = warm_until + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..conns {
        let bodies = bodies.clone();
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let io = hyper_util::rt::TokioIo::new(stream);
            let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
            tokio::spawn(conn);
            let mut lat = Vec::with_capacity(200_000);
            let mut errors = 0u64;
            let mut i = c * 7;
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let body = bodies[i % bodies.len()].clone();
                i += 1;
                let req = hyper::Request::post("/oqs/xml")
                    .header("host", "127.0.0.1")
                    .header("content-type", "application/xml")
                    .body(Full::new(body))
                    .unwrap();
                if sender.ready().await.is_err() {
                    errors += 1;
                    break;
                }
                match sender.send_request(req).await {
                    Ok(resp) => {
                        let ok = resp.status().is_success();
                        let _ = resp.into_body().collect().await;
                        if !ok {
                            errors += 1;
                        }
                    }
                    Err(_) => errors += 1,
                }
                if now >= warm_until {
                    lat.push(now.elapsed().as_micros() as u64);
                }
            }
            (lat, errors)
        }));
    }
    // CPU time over the measured window only (requests in flight at its ends are noise).
    tokio::time::sleep_until(warm_until.into()).await;
    let cpu_before = cpu_time();
    tokio::time::sleep_until(end.into()).await;
    let cpu_after = cpu_time();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.unwrap();
        latencies.extend(lat);
        errors += e;
    }
    latencies.sort_unstable();
    Load {
        cpu: Cpu {
            all: cpu_after.all.saturating_sub(cpu_before.all),
            client: cpu_after.client.saturating_sub(cpu_before.client),
        },
        requests: latencies.len() as u64,
        seconds: secs as f64,
        latencies_us: latencies,
        errors,
    }
}

/// Prints a line for `l` and returns (req/s, CPU µs per request of the whole process).
fn report(label: &str, l: &Load) -> (f64, f64) {
    let rps = l.requests as f64 / l.seconds;
    let per_req = |d: Duration| d.as_secs_f64() * 1e6 / l.requests.max(1) as f64;
    let all_us = per_req(l.cpu.all);
    let server_us = per_req(l.cpu.all.saturating_sub(l.cpu.client));
    println!(
        "  {label:<28} {rps:>9.0} req/s   p50 {:>9}   p99 {:>9}   errors {}   cpu {:.0}%: {all_us:.1} µs/req both sides, {server_us:.1} server",
        fmt_us(percentile(&l.latencies_us, 0.50)),
        fmt_us(percentile(&l.latencies_us, 0.99)),
        l.errors,
        l.cpu.all.as_secs_f64() / l.seconds * 100.0,
    );
    (rps, all_us)
}

/// Cost per request of the parts, single-threaded, to see where the time goes.
fn steps(shared: &Shared, bodies: &[Bytes]) {
    let n = 20_000;
    let t = Instant::now();
    for i in 0..n {
        let _ = shared.engine.handle_file(
            &shared.population,
            "OQSsiquc01req_b.xml",
            &bodies[i % bodies.len()],
            shared.clock.now(),
        );
    }
    let engine_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    let t = Instant::now();
    for i in 0..n {
        let _ = sim_messages::siquc01::read_request(&bodies[i % bodies.len()]);
    }
    let parse_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    let t = Instant::now();
    for i in 0..n {
        let _ = sim_server::shared::sha256_hex(&bodies[i % bodies.len()]);
    }
    let sha_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    let t = Instant::now();
    for i in 0..n {
        shared.journal.record(sim_server::journal::Entry {
            at: "20261125000000".into(),
            channel: "bench".into(),
            request_name: "x".into(),
            request_sha256: "0".repeat(64),
            request: bodies[i % bodies.len()].to_vec(),
            answer: vec![b'x'; 3369],
            ..Default::default()
        });
    }
    shared.journal.flush();
    let journal_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!(
        "per request, one thread: engine (read, decide, write Shift_JIS) {engine_us:.1} µs, of which reading {parse_us:.1} µs; sha256 {sha_us:.1} µs; journal insert {journal_us:.1} µs"
    );
}

fn main() {
    let secs = env_or("BENCH_SECS", 5);
    let conns = env_or("BENCH_CONNS", 64) as usize;
    let files = env_or("BENCH_FILES", 1000) as usize;
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default_config();
    config.terminal.response_delay_ms = [0, 0];
    let opts = ServeOptions::new(
        config.clone(),
        dir.path().join("oqs"),
        dir.path().join("state"),
    );
    let shared = build_shared(&opts).unwrap();
    let bodies = Arc::new(requests(&shared, 1000));
    let sample_result = shared.engine.handle_file(
        &shared.population,
        "OQSsiquc01req_b.xml",
        &bodies[0],
        shared.clock.now(),
    );
    let fixed_reply = match sample_result {
        sim_core::FileOutcome::Answered { bytes, .. } => Bytes::from(bytes),
        other => panic!("the sample request must be answered: {other:?}"),
    };
    println!(
        "oqs benchmark: {} persons, {} distinct requests, result {} bytes, {} connections, {} s per target",
        shared.population.len(),
        bodies.len(),
        fixed_reply.len(),
        conns,
        secs
    );

    let only = std::env::var("BENCH_ONLY").ok();
    if only.is_none() {
        steps(&shared, &bodies);
    }

    // Servers and load generator each get their own 2-thread runtime (2 cores on this machine).
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(CLIENT_THREAD)
        .enable_all()
        .build()
        .unwrap();
    let (fixed_addr, real_addr) = server_rt.block_on(async {
        let fixed = Router::new().route(
            "/oqs/xml",
            post(move |_body: Bytes| {
                let reply = fixed_reply.clone();
                async move { reply }
            }),
        );
        let real = sim_server::http::app(shared.clone());
        let l1 = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let l2 = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (a1, a2) = (l1.local_addr().unwrap(), l2.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l1, fixed).await.unwrap() });
        tokio::spawn(async move { axum::serve(l2, real).await.unwrap() });
        (a1, a2)
    });

    match only.as_deref() {
        // Run one part alone, for profiling.
        Some("engine") => {
            let until = Instant::now() + Duration::from_secs(secs);
            let mut i = 0;
            while Instant::now() < until {
                let _ = shared.engine.handle_file(
                    &shared.population,
                    "OQSsiquc01req_b.xml",
                    &bodies[i % bodies.len()],
                    shared.clock.now(),
                );
                i += 1;
            }
            println!(
                "engine alone: {:.1} µs/request",
                secs as f64 * 1e6 / i as f64
            );
            return;
        }
        Some("real") => {
            let real = client_rt.block_on(load(real_addr, bodies.clone(), conns, secs));
            report("simulator /oqs/xml", &real);
            return;
        }
        Some("fixed") => {
            let fixed = client_rt.block_on(load(fixed_addr, bodies.clone(), conns, secs));
            report("fixed reply", &fixed);
            return;
        }
        _ => {}
    }
    println!(
        "\nXML over HTTP, {conns} connections (baseline: fixed-reply axum endpoint, same run):"
    );
    let fixed1 = client_rt.block_on(load(fixed_addr, bodies.clone(), conns, secs));
    let (f1, fc1) = report("fixed reply (baseline)", &fixed1);
    let real = client_rt.block_on(load(real_addr, bodies.clone(), conns, secs));
    let (r, rc) = report("simulator /oqs/xml", &real);
    let fixed2 = client_rt.block_on(load(fixed_addr, bodies.clone(), conns, secs));
    let (f2, fc2) = report("fixed reply (again)", &fixed2);
    println!(
        "  ratio simulator / fixed = {:.2} in req/s, {:.2} in CPU per request both sides (target >= 0.40; baseline = mean of the two fixed runs)",
        r / ((f1 + f2) / 2.0),
        ((fc1 + fc2) / 2.0) / rc
    );
    shared.journal.flush();

    println!("\nFile drop round trip with fsync, {files} files one after another:");
    let root = dir.path().join("files");
    let folders = dropbox::Folders::create(&root).unwrap();
    let dconfig = DropboxConfig {
        root: root.clone(),
        watch: WatchMode::Auto,
        poll_interval: Duration::from_millis(1000),
        delay: (Duration::ZERO, Duration::ZERO),
        fsync: true,
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let shared_files = shared.clone();
    let dropbox_task = server_rt.spawn(dropbox::run(dconfig, shared_files, async {
        let _ = stop_rx.await;
    }));
    std::thread::sleep(Duration::from_millis(200));
    let (tx, rx) = std_mpsc::channel::<String>();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(event) = res
            && matches!(
                event.kind,
                EventKind::Modify(notify::event::ModifyKind::Name(_)) | EventKind::Create(_)
            )
        {
            for p in event.paths {
                if let Some(name) = p.file_name() {
                    let _ = tx.send(name.to_string_lossy().into_owned());
                }
            }
        }
    })
    .unwrap();
    watcher
        .watch(&folders.res, RecursiveMode::NonRecursive)
        .unwrap();
    let mut rtt = Vec::with_capacity(files);
    let started = Instant::now();
    for i in 0..files {
        let name = format!("OQSsiquc01req_bench{i:05}.xml");
        let want = format!("OQSsiquc01res_bench{i:05}.xml");
        let tmp = folders.req.join(format!(".{name}.tmp"));
        let t0 = Instant::now();
        std::fs::write(&tmp, &bodies[i % bodies.len()]).unwrap();
        std::fs::rename(&tmp, folders.req.join(&name)).unwrap();
        loop {
            let got = rx
                .recv_timeout(Duration::from_secs(10))
                .expect("a result within 10 s");
            if got == want {
                break;
            }
        }
        rtt.push(t0.elapsed().as_micros() as u64);
        let result = std::fs::read(folders.res.join(&want)).unwrap();
        assert!(result.starts_with(b"<?xml"));
        std::fs::remove_file(folders.res.join(&want)).unwrap();
    }
    let total = started.elapsed();
    rtt.sort_unstable();
    println!(
        "  round trip                    p50 {:>9}   p99 {:>9}   max {:>9}   {:.0} files/s (target p99 < 2 ms)",
        fmt_us(percentile(&rtt, 0.50)),
        fmt_us(percentile(&rtt, 0.99)),
        fmt_us(*rtt.last().unwrap_or(&0)),
        files as f64 / total.as_secs_f64()
    );
    let _ = stop_tx.send(());
    server_rt.block_on(dropbox_task).unwrap().unwrap();
}
