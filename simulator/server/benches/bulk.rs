//! Benchmark of the bulk qualification check (一括照会): a bulk of 10,000 booked patients through
//! the shared folder, timed from the moment the upload is renamed into `req/` to the moment the
//! complete `02res` is in `res/` (processing time set to 0, fsync on, Shift_JIS). Alongside, the
//! engine alone on the same documents (in-memory stores, no files), as the baseline.
//!
//! Run: `cargo bench -p sim-server --bench bulk` (env: `BENCH_UNITS`, default 10000; `BENCH_RUNS`,
//! default 3).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sim_core::engine::MemoryStores;
use sim_messages::TextEncoding;
use sim_messages::muquc::{
    BulkDownloadRequest, BulkDownloadResult, BulkUploadRequest, BulkUploadRequestBody,
    BulkUploadResult,
};
use sim_messages::siquc01::{QualificationConfirmSearchInfo, RequestHeader};
use sim_messages::xml::{XmlStyle, read_document, write_document};
use sim_server::config::Config;
use sim_server::dropbox::{self, DropboxConfig, WatchMode};
use sim_server::serve::{ServeOptions, build_shared};
use sim_server::shared::Shared;

const MIC: &str = "1311234567";

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn upload_document(shared: &Shared, n: usize) -> Vec<u8> {
    let on = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("a date");
    let search: Vec<QualificationConfirmSearchInfo> = shared
        .population
        .persons()
        .filter_map(|p| {
            let q = p.card_on(on).filter(|q| q.is_active_on(on))?.clone();
            Some((p, q))
        })
        .take(n)
        .enumerate()
        .map(|(i, (p, q))| QualificationConfirmSearchInfo {
            insurer_number: Some(q.insurer.to_wire()),
            insured_card_symbol: q.card.symbol.clone(),
            insured_identification_number: Some(q.card.number.clone()),
            insured_branch_number: Some(q.card.branch.clone()),
            birthdate: Some(sim_core::date::ymd(p.birthdate)),
            limit_application_certificate_related_cons_flg: Some("1".into()),
            arbitrary_identifier: Some(format!("pt{i:06}")),
        })
        .collect();
    assert_eq!(
        search.len(),
        n,
        "the population has {n} persons with a valid card"
    );
    let req = BulkUploadRequest {
        header: RequestHeader {
            qualification_confirmation_date: Some("20261125".into()),
            medical_institution_code: Some(MIC.into()),
            arbitrary_file_identifier: Some("bench".into()),
        },
        body: BulkUploadRequestBody { search },
    };
    let style = XmlStyle {
        indent: 2,
        crlf: true,
    };
    write_document(&req, TextEncoding::ShiftJis, style).expect("serializes")
}

fn download_document(number: &str) -> Vec<u8> {
    let mut req = BulkDownloadRequest::default();
    req.header.medical_institution_code = Some(MIC.into());
    req.body.reception_number = Some(number.into());
    write_document(&req, TextEncoding::ShiftJis, XmlStyle::default()).expect("serializes")
}

fn drop_file(dir: &Path, name: &str, bytes: &[u8]) {
    let tmp = dir.join(format!(".{name}.part"));
    std::fs::write(&tmp, bytes).expect("writes");
    std::fs::rename(&tmp, dir.join(name)).expect("renames");
}

async fn wait_for(path: &Path) -> Vec<u8> {
    let start = Instant::now();
    loop {
        if let Ok(bytes) = std::fs::read(path)
            && !bytes.is_empty()
        {
            return bytes;
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "{path:?} never came"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn main() {
    let units = env_or("BENCH_UNITS", 10_000) as usize;
    let runs = env_or("BENCH_RUNS", 3);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut config = Config::default_config();
    config.terminal.response_delay_ms = [0, 0];
    config.terminal.poll_interval_ms = 200;
    config.population.size = units + units / 2;
    config.bulk.base_ms = 0;
    config.bulk.per_unit_ms = 0.0;
    config.bulk.max_units = units;
    let opts = ServeOptions::new(
        config.clone(),
        dir.path().join("oqs"),
        dir.path().join("state"),
    );
    let shared = build_shared(&opts).expect("the simulator starts");
    let upload = upload_document(&shared, units);
    println!(
        "bulk of {units} units: upload {:.1} MiB (Shift_JIS), fsync on, processing time 0",
        upload.len() as f64 / 1048576.0
    );

    // Baseline: the engine alone, in memory.
    let stores = MemoryStores::default();
    let now = shared.clock.now();
    let t = Instant::now();
    let out = shared.engine.handle_file_with(
        &shared.population,
        stores.stores(),
        "OQSmuquc01req_mem.xml",
        &upload,
        now,
    );
    let up_ms = t.elapsed().as_secs_f64() * 1000.0;
    let Ok(sim_core::FileOutcome::Answered { bytes, .. }) = out else {
        panic!("the upload is answered");
    };
    let up: BulkUploadResult = read_document(&bytes).expect("a 01res").0;
    let number = up.body.expect("a reception number").reception_number;
    let t = Instant::now();
    let out = shared.engine.handle_file_with(
        &shared.population,
        stores.stores(),
        "OQSmuquc02req_mem.xml",
        &download_document(&number),
        now,
    );
    let down_ms = t.elapsed().as_secs_f64() * 1000.0;
    let Ok(sim_core::FileOutcome::Answered { bytes, .. }) = out else {
        panic!("the download is answered");
    };
    println!(
        "engine only (in memory): upload {up_ms:.0} ms, download {down_ms:.0} ms, result {:.1} MiB",
        bytes.len() as f64 / 1048576.0
    );

    // Through the shared folder.
    runtime.block_on(async {
        let shared: Arc<Shared> = shared.clone();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let dconfig = DropboxConfig {
            root: opts.oqs_dir.clone(),
            watch: WatchMode::Auto,
            poll_interval: Duration::from_millis(200),
            delay: (Duration::ZERO, Duration::ZERO),
            fsync: true,
        };
        let task = tokio::spawn(dropbox::run(dconfig, shared, async {
            let _ = stop_rx.await;
        }));
        tokio::time::sleep(Duration::from_millis(100)).await;
        let req = opts.oqs_dir.join("req");
        let res = opts.oqs_dir.join("res");
        let mut totals = Vec::new();
        for run in 0..runs {
            let start = Instant::now();
            drop_file(&req, &format!("OQSmuquc01req_b{run}.xml"), &upload);
            let up = wait_for(&res.join(format!("OQSmuquc01res_b{run}.xml"))).await;
            let accepted = start.elapsed();
            let up: BulkUploadResult = read_document(&up).expect("a 01res").0;
            let number = up.body.expect("a reception number").reception_number;
            let mut attempt = 0;
            let result = loop {
                let name = format!("OQSmuquc02req_b{run}_{attempt}.xml");
                drop_file(&req, &name, &download_document(&number));
                let bytes = wait_for(&res.join(name.replacen("req_", "res_", 1))).await;
                let result: BulkDownloadResult = read_document(&bytes).expect("a 02res").0;
                if result.header.segment_of_result != "2" {
                    break result;
                }
                attempt += 1;
            };
            let total = start.elapsed();
            assert_eq!(result.body.map_or(0, |b| b.units.len()), units);
            println!(
                "run {run}: upload answered in {:.2} s; last result in {:.2} s after the upload",
                accepted.as_secs_f64(),
                total.as_secs_f64()
            );
            totals.push(total.as_secs_f64());
        }
        totals.sort_by(f64::total_cmp);
        if let Some(median) = totals.get(totals.len() / 2) {
            println!("median over {runs} runs: {median:.2} s from upload to last result");
        }
        let _ = stop_tx.send(());
        let _ = task.await;
    });
}
