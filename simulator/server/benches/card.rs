//! Card benchmark, two numbers in one run (`cargo bench -p sim-server --bench card`):
//!
//! 1. APDU round trip through the real stack: `pcsc` crate → pcscd → vpcd → TCP → the simulator's
//!    vpcd driver → card core and back; p50/p99 over 10,000 READ BINARY commands (target: p50 ≤
//!    0.5 ms). Needs `bash .ci/setup-pcsc.sh`; without pcscd this part prints `skipped: <reason>`.
//! 2. The in-process card core: APDUs per second through `VirtualCard::transmit`, and through the
//!    vpcd codec as the driver uses it (deframe, respond, frame).
//!
//! Card content is built once (RSA key generation) and is not part of either number.

use std::ffi::CString;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use sim_card::vpcd::{Deframer, frame, respond};
use sim_card::{ATR_JPKI, MockJpki, VirtualCard, build_card};
use sim_server::card::{Cards, VpcdAddr, profile};

const SEED: u64 = 20261125;
const PERSON: &str = "valid-shaho-honnin";
const READER: &str = "Virtual PCD 00 00";
const ROUND_TRIPS: usize = 10_000;
const WARM_UP: usize = 200;

fn h(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn round_trips(population: &sim_core::Population) -> Result<(), String> {
    if !Path::new("/run/pcscd/pcscd.comm").exists() {
        return Err("pcscd is not running (run .ci/setup-pcsc.sh)".into());
    }
    let ctx = pcsc::Context::establish(pcsc::Scope::User).map_err(|e| e.to_string())?;
    let reader = CString::new(READER).expect("name");
    let readers = ctx.list_readers_owned().map_err(|e| e.to_string())?;
    if !readers.contains(&reader) {
        return Err(format!(
            "no reader {READER:?} (is vsmartcard-vpcd installed?)"
        ));
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let cards = Cards::open(
        VpcdAddr::default(),
        SEED,
        population,
        &dir.path().join("state.sqlite3"),
    )
    .map_err(|e| e.to_string())?;
    let person = population.person_by_id(PERSON).ok_or("no fixture person")?;
    cards.insert(&person, 0).map_err(|e| e.to_string())?;

    // Wait until pcscd has seen the card.
    let mut states = [pcsc::ReaderState::new(reader.clone(), pcsc::State::UNAWARE)];
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let _ = ctx.get_status_change(Duration::from_millis(500), &mut states);
        if states[0].event_state().contains(pcsc::State::PRESENT) && states[0].atr() == ATR_JPKI {
            break;
        }
        if Instant::now() > deadline {
            return Err("pcscd never saw the card (is slot 0 in use?)".into());
        }
        states[0].sync_current_state();
    }
    let card = ctx
        .connect(&reader, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
        .map_err(|e| e.to_string())?;
    let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
    for apdu in ["00A4040C0AD392F000260100000001", "00A4020C02000A"] {
        card.transmit(&h(apdu), &mut buf)
            .map_err(|e| e.to_string())?;
    }
    let read = h("00B0000004");
    let mut samples = Vec::with_capacity(ROUND_TRIPS);
    for i in 0..WARM_UP + ROUND_TRIPS {
        let started = Instant::now();
        let response = card.transmit(&read, &mut buf).map_err(|e| e.to_string())?;
        let took = started.elapsed();
        if response.get(4..) != Some(&[0x90, 0x00][..]) {
            return Err(format!("unexpected response {response:02X?}"));
        }
        if i >= WARM_UP {
            samples.push(took);
        }
    }
    let _ = card.disconnect(pcsc::Disposition::LeaveCard);
    cards.remove_all();
    samples.sort_unstable();
    let total: Duration = samples.iter().sum();
    println!(
        "pcscd+vpcd round trip ({ROUND_TRIPS} x READ BINARY 4 bytes): p50 {:.3} ms, p99 {:.3} ms, \
         mean {:.3} ms, max {:.3} ms  (target p50 <= 0.5 ms: {})",
        ms(percentile(&samples, 0.50)),
        ms(percentile(&samples, 0.99)),
        ms(total / ROUND_TRIPS as u32),
        ms(samples[samples.len() - 1]),
        if percentile(&samples, 0.50) <= Duration::from_micros(500) {
            "met"
        } else {
            "MISSED"
        }
    );
    Ok(())
}

fn core(population: &sim_core::Population) {
    let started = Instant::now();
    let jpki = MockJpki::from_seed(&profile::ca_seed(SEED), profile::CERT_VALIDITY).expect("ca");
    let seed = profile::card_seed(SEED, PERSON);
    let person = population.person_by_id(PERSON).expect("fixture person");
    let content = build_card(
        &profile::card_profile(&person, &seed),
        &jpki,
        &seed,
        profile::CERT_VALIDITY,
    )
    .expect("card");
    println!(
        "card content built in {:.0} ms (CA + card: four RSA-2048 keys)",
        ms(started.elapsed())
    );

    // A session's worth of commands, as a reader would send them.
    let script: Vec<Vec<u8>> = [
        "00A4040C0AD392F000260100000001",
        "00A4020C02000A",
        "00B0000004",
        "00B0000000",
        "00A4020C020018",
        "00200080",
    ]
    .iter()
    .map(|a| h(a))
    .collect();
    let mut card = VirtualCard::new(&content);
    card.power_on();
    let n = 600_000;
    let started = Instant::now();
    for i in 0..n {
        black_box(card.transmit(black_box(&script[i % script.len()])));
    }
    let took = started.elapsed();
    println!(
        "card core, VirtualCard::transmit: {:.0} APDUs/s ({:.2} us per APDU, {n} APDUs)",
        n as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / n as f64
    );

    let frames: Vec<Vec<u8>> = script.iter().map(|a| frame(a).expect("frame")).collect();
    let mut deframer = Deframer::new();
    let started = Instant::now();
    for i in 0..n {
        deframer.feed(&frames[i % frames.len()]);
        while let Some(Ok(request)) = deframer.next_request() {
            if let Some(reply) = respond(&mut card, &request) {
                black_box(frame(&reply).expect("frame"));
            }
        }
    }
    let took = started.elapsed();
    println!(
        "card core + vpcd codec (deframe, respond, frame): {:.0} APDUs/s ({:.2} us per APDU)",
        n as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / n as f64
    );
}

fn main() {
    let (population, _) = sim_fixtures::population(SEED, 0).expect("population");
    core(&population);
    if let Err(reason) = round_trips(&population) {
        println!("pcscd+vpcd round trip: skipped: {reason}");
    }
}
