//! 薬剤情報 / 特定健診情報 benchmark (`cargo bench -p sim-server --bench medinfo`): the engine answering
//! in process (parse, consent lookup in SQLite, records derived on demand, the result written),
//! p50/p99 over 200 runs each, against a single qualification check measured in the same run:
//!
//! 1. `OQSsiquc01req_` (the baseline);
//! 2. `YZKsiquc01req_` XML for the whole 36-month window, and `TKKsiquc01req_` XML (5 years);
//! 3. the same as PDF (layout, font subsetting, compression).

use std::time::{Duration, Instant};

use sim_core::FileOutcome;
use sim_core::engine::CardConsents;
use sim_server::config::Config;
use sim_server::reader::{CardKind, Mode};
use sim_server::serve::{ServeOptions, build_shared};
use sim_server::shared::Shared;

const RUNS: usize = 200;
const WARM_UP: usize = 5;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn medical(kind: &str, category: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><XmlMsg><MessageHeader>\
         <MedicalInstitutionCode>1311234567</MedicalInstitutionCode><InsurerNumber>131011</InsurerNumber>\
         <InsuranceCardSymbol>千代</InsuranceCardSymbol>\
         <InsuredPersonIdentificationNumber>123456</InsuredPersonIdentificationNumber>\
         <BranchNumber>00</BranchNumber><ArbitraryFileIdentifier>{kind}</ArbitraryFileIdentifier>\
         </MessageHeader><MessageBody><FileCategory>{category}</FileCategory></MessageBody></XmlMsg>"
    )
    .into_bytes()
}

fn single(date: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><XmlMsg><MessageHeader>\
         <QualificationConfirmationDate>{date}</QualificationConfirmationDate>\
         <MedicalInstitutionCode>1311234567</MedicalInstitutionCode></MessageHeader><MessageBody>\
         <QualificationConfirmSearchInfo><InsurerNumber>131011</InsurerNumber>\
         <InsuredCardSymbol>千代</InsuredCardSymbol><InsuredIdentificationNumber>123456</InsuredIdentificationNumber>\
         <InsuredBranchNumber>00</InsuredBranchNumber><Birthdate>19620220</Birthdate>\
         <LimitApplicationCertificateRelatedConsFlg>0</LimitApplicationCertificateRelatedConsFlg>\
         </QualificationConfirmSearchInfo></MessageBody></XmlMsg>"
    )
    .into_bytes()
}

fn measure(shared: &Shared, label: &str, name: &str, bytes: &[u8]) -> Duration {
    let mut size = 0;
    let mut run = || {
        let now = shared.clock.now();
        match shared
            .engine
            .handle_file_with(&shared.population, shared.stores(), name, bytes, now)
            .expect("answered")
        {
            FileOutcome::Answered { bytes, .. } => size = bytes.len(),
            FileOutcome::Rejected { err_name, .. } => panic!("{err_name}"),
        }
    };
    for _ in 0..WARM_UP {
        run();
    }
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        run();
        times.push(t.elapsed());
    }
    times.sort();
    let p50 = percentile(&times, 0.5);
    println!(
        "{label:<34} p50 {:>7.3} ms  p99 {:>7.3} ms  ({size} bytes)",
        ms(p50),
        ms(percentile(&times, 0.99)),
    );
    p50
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut config = Config::default_config();
    config.population.size = 20;
    let opts = ServeOptions::new(config, dir.path().join("oqs"), dir.path().join("state"));
    let shared = build_shared(&opts).expect("the simulator starts");
    let r = &shared.reader;
    r.insert(&shared, Some("valid-kokuho"), CardKind::Mynumber)
        .expect("insert");
    r.choose(Mode::Pin).expect("mode");
    r.enter_pin(&shared, "1234").expect("pin");
    r.consent(
        &shared,
        CardConsents {
            drug: true,
            checkup: true,
            ..CardConsents::default()
        },
    )
    .expect("consent");
    r.remove().expect("remove");
    let date = shared.clock.now().format("%Y%m%d").to_string();
    let base = measure(
        &shared,
        "OQSsiquc01 single check (baseline)",
        "OQSsiquc01req_b.xml",
        &single(&date),
    );
    for (label, name, kind, category) in [
        ("YZK drug XML, 36 months", "YZKsiquc01req_b.xml", "YZK", "2"),
        (
            "TKK checkup XML, 5 years",
            "TKKsiquc01req_b.xml",
            "TKK",
            "2",
        ),
        ("YZK drug PDF, 36 months", "YZKsiquc01req_p.xml", "YZK", "1"),
        (
            "TKK checkup PDF, 5 years",
            "TKKsiquc01req_p.xml",
            "TKK",
            "1",
        ),
    ] {
        let p50 = measure(&shared, label, name, &medical(kind, category));
        println!(
            "{:<34} ratio to the baseline p50: {:.1}",
            "",
            p50.as_secs_f64() / base.as_secs_f64()
        );
    }
}
