//! `--pcsc` for scenario card checks: the person's virtual card into vpcd slot 0 and out again,
//! waiting until pcscd sees it, under the machine-wide lock of slot 0.

use std::time::{Duration, Instant};

use crate::shared::Shared;

/// `--pcsc`: puts `person`'s virtual card into vpcd slot 0 and waits until pcscd sees a card.
pub fn pcsc_insert(shared: &Shared, person: &str, face: sim_card::FaceImage) -> anyhow::Result<()> {
    use anyhow::Context;
    let p = shared
        .population
        .person_by_id(person)
        .with_context(|| format!("no person {person}"))?;
    shared
        .cards
        .insert_with_face(&p, 0, face)
        .with_context(|| format!("putting {person}'s card into vpcd slot 0"))?;
    wait_for_card(true).with_context(|| {
        format!(
            "pcscd does not see {person}'s card (slot 0: {})",
            serde_json::to_string(&shared.cards.list()).unwrap_or_default()
        )
    })
}

/// `--pcsc`: takes the card out of vpcd slot 0 and waits until pcscd sees no card.
pub fn pcsc_remove(shared: &Shared) -> anyhow::Result<()> {
    use anyhow::Context;
    if shared.cards.list().iter().any(|c| c.slot == 0) {
        shared
            .cards
            .remove(0)
            .context("taking the card out of slot 0")?;
    }
    wait_for_card(false).context("pcscd still sees a card in slot 0")
}

/// Takes the machine-wide lock on vpcd slot 0 that the card end-to-end tests take
/// (`$TMPDIR/sim-pcscd-slot0.lock`), waiting (and saying so) while another process holds it; held
/// until the returned file is dropped. `scenario run --pcsc` takes it, so two jobs on one machine
/// never share the slot.
pub fn pcsc_machine_lock() -> anyhow::Result<std::fs::File> {
    use anyhow::Context;
    let path = std::env::temp_dir().join("sim-pcscd-slot0.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    if file.try_lock().is_err() {
        eprintln!(
            "waiting for another user of vpcd slot 0 (lock {})",
            path.display()
        );
        file.lock()
            .with_context(|| format!("locking {}", path.display()))?;
    }
    Ok(file)
}

/// The PC/SC name of vpcd's slot 0.
const SLOT0_READER: &str = "Virtual PCD 00 00";

/// Waits (10 s at most) until pcscd reports slot 0 with (or without) a card, through its status
/// change events (polling connections would race pcscd's own view of the slot).
fn wait_for_card(present: bool) -> anyhow::Result<()> {
    let ctx = pcsc::Context::establish(pcsc::Scope::User)
        .map_err(|e| anyhow::anyhow!("cannot reach pcscd: {e}"))?;
    let reader = std::ffi::CString::new(SLOT0_READER).expect("no NUL in the name");
    let mut states = [pcsc::ReaderState::new(reader, pcsc::State::UNAWARE)];
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match ctx.get_status_change(Duration::from_millis(250), &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(e) => anyhow::bail!("pcscd status of {SLOT0_READER}: {e}"),
        }
        let state = states[0].event_state();
        let now_present =
            state.contains(pcsc::State::PRESENT) && !state.contains(pcsc::State::MUTE);
        if now_present == present && (present || state.contains(pcsc::State::EMPTY)) {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!("timed out after 10 s ({SLOT0_READER}: {state:?})");
        }
        states[0].sync_current_state();
    }
}
