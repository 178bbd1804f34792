//! The virtual card: power state, session state and persistent PIN counters, driven by control events
//! and C-APDUs. No IO, no clock; challenge bytes come from an injected [`ChallengeSource`].

use crate::apdu::{
    self, AppOpen, AwaitSelect, BlockedQueryReply, CardKeys, ChallengeSource, Ctx, Response,
    Session,
};
use crate::content::CardContent;
use crate::fs::{AppId, FileSystem};
use crate::pin::{PinCounters, PinId, PinStore};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// The ATR OpenSC's `jpki` driver matches exactly (`3B E0 00 FF 81 31 FE 45 14`).
pub const ATR_JPKI: [u8; 9] = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];

/// Behaviour switches for the open questions of the reference (`mynumber-card.md` §9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardOptions {
    /// The ATR returned on power on, reset and GET ATR.
    pub atr: Vec<u8>,
    /// What an empty VERIFY answers on a locked PIN.
    pub blocked_query: BlockedQueryReply,
}

impl Default for CardOptions {
    fn default() -> Self {
        Self {
            atr: ATR_JPKI.to_vec(),
            blocked_query: BlockedQueryReply::Blocked,
        }
    }
}

/// Power state of the card.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Power {
    /// State: no power; nothing selected, nothing verified.
    Off(PoweredOff),
    /// Powered; the session says which DF is open and what is verified.
    On(Session),
}

/// State: no power.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PoweredOff;

/// A virtual My Number Card.
///
/// ```text
///                 power_off (from any state)
///        +------------------------------------------------+
///        v                                                |
///  +------------+  power_on / reset / any APDU  +---------------+
///  | PoweredOff | ----------------------------> |  AwaitSelect  | <--+ SELECT MF (3F00),
///  +------------+                               | (MF current)  |    | power_on, reset
///                                               +---------------+    |
///                                                 | SELECT AID (known; foreign AID -> 6A82, no change)
///                                                 v                  |
///                                   +---------------------------+    |
///   SELECT AID (same or other AP):  |  AppOpen { app, ef,       | ---+
///   fresh AppOpen, verified = {} -> |            verified PINs }|
///                                   +---------------------------+
///                                     | SELECT EF      -> ef = FID, verified kept
///                                     | READ BINARY    -> (SFI form: ef = SFI)
///                                     | VERIFY ok      -> verified += PIN, counter = max
///                                     | VERIFY wrong   -> verified -= PIN, counter - 1 (0 = locked)
///                                     | CHANGE REF     -> new value, counter = max
///                                     | 80 2A (SIGN)   -> needs verified PIN of the current key EF
/// ```
///
/// PIN counters and values are the card's non-volatile memory: they survive every transition above and
/// are exported with [`VirtualCard::export_pins`].
pub struct VirtualCard {
    fs: FileSystem,
    keys: CardKeys,
    pins: PinStore,
    options: CardOptions,
    challenges: Box<dyn ChallengeSource>,
    power: Power,
}

impl std::fmt::Debug for VirtualCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirtualCard")
            .field("options", &self.options)
            .field("power", &self.power)
            .field("pins", &self.pins)
            .finish_non_exhaustive()
    }
}

impl VirtualCard {
    /// A powered-off card with the given content, default options and GET CHALLENGE bytes from a ChaCha20
    /// stream seeded by the content's challenge seed.
    pub fn new(content: &CardContent) -> Self {
        Self::with_options(content, CardOptions::default())
    }

    /// As [`VirtualCard::new`], with options.
    pub fn with_options(content: &CardContent, options: CardOptions) -> Self {
        let rng = ChaCha20Rng::from_seed(content.challenge_seed());
        Self {
            fs: content.file_system().clone(),
            keys: content.keys().clone(),
            pins: PinStore::new(|pin| content.initial_pin(pin)),
            options,
            challenges: Box::new(rng),
            power: Power::Off(PoweredOff),
        }
    }

    /// Replaces the GET CHALLENGE source.
    pub fn set_challenge_source(&mut self, source: Box<dyn ChallengeSource>) {
        self.challenges = source;
    }

    /// The ATR.
    pub fn atr(&self) -> &[u8] {
        &self.options.atr
    }

    /// Power on: clears the session and returns the ATR.
    pub fn power_on(&mut self) -> &[u8] {
        self.power = Power::On(Session::AwaitSelect(AwaitSelect));
        &self.options.atr
    }

    /// Power off: clears the session.
    pub fn power_off(&mut self) {
        self.power = Power::Off(PoweredOff);
    }

    /// Warm reset: clears the session and returns the ATR.
    pub fn reset(&mut self) -> &[u8] {
        self.power_on()
    }

    /// Whether the card is powered.
    pub fn is_powered(&self) -> bool {
        matches!(self.power, Power::On(_))
    }

    /// Processes one C-APDU and returns the response. A card that is off is powered on first (pcscd
    /// always powers on before transmitting, so this only matters to direct callers).
    pub fn process(&mut self, apdu_bytes: &[u8]) -> Response {
        if let Power::Off(_) = self.power {
            self.power_on();
        }
        let Power::On(session) = &mut self.power else {
            return Response::status(crate::sw::SW_UNKNOWN);
        };
        let mut ctx = Ctx {
            fs: &self.fs,
            pins: &mut self.pins,
            keys: &self.keys,
            challenges: self.challenges.as_mut(),
            blocked_query: self.options.blocked_query,
        };
        apdu::dispatch(session, &mut ctx, apdu_bytes)
    }

    /// Processes one C-APDU and returns the R-APDU bytes (data ‖ SW1 SW2).
    pub fn transmit(&mut self, apdu_bytes: &[u8]) -> Vec<u8> {
        self.process(apdu_bytes).to_bytes()
    }

    /// Tries left for a PIN (0 = locked).
    pub fn tries_left(&self, pin: PinId) -> u8 {
        self.pins.tries_left(pin)
    }

    /// Counters and PIN values, for persistence.
    pub fn export_pins(&self) -> PinCounters {
        self.pins.export()
    }

    /// Restores counters and PIN values. Counters above a PIN's maximum are clamped. The session's security
    /// state is cleared, so a PIN locked by the import cannot stay verified.
    pub fn import_pins(&mut self, counters: &PinCounters) {
        self.pins.import(counters);
        if let Power::On(Session::AppOpen(open)) = &mut self.power {
            open.verified = 0;
        }
    }

    /// The currently selected application, if any.
    pub fn current_app(&self) -> Option<AppId> {
        match &self.power {
            Power::On(Session::AppOpen(AppOpen { app, .. })) => Some(*app),
            _ => None,
        }
    }

    /// Whether `pin` is verified in the current session.
    pub fn is_verified(&self, pin: PinId) -> bool {
        match &self.power {
            Power::On(Session::AppOpen(open)) => open.is_verified(pin),
            _ => false,
        }
    }

    /// Checks the state invariants; returns a description of the first violation. Used by tests.
    pub fn check_invariants(&self) -> Result<(), String> {
        for record in self.pins.records() {
            let max = record.pin.policy().max_tries;
            if record.tries_left > max {
                return Err(format!(
                    "{} has {} tries, max {max}",
                    record.pin.name(),
                    record.tries_left
                ));
            }
        }
        let Power::On(Session::AppOpen(open)) = &self.power else {
            return Ok(());
        };
        let Some(app) = self.fs.app(open.app) else {
            return Err(format!("open app {:?} not in the file system", open.app));
        };
        if let Some(fid) = open.ef
            && app.ef(fid).is_none()
        {
            return Err(format!("current EF {fid:04X} not in {:?}", open.app));
        }
        for pin in PinId::ALL {
            if !open.is_verified(pin) {
                continue;
            }
            if self.pins.is_blocked(pin) {
                return Err(format!("{} is verified but locked", pin.name()));
            }
            if !self.fs.pins().any(|(a, p)| a == open.app && p == pin) {
                return Err(format!("{} verified outside its AP", pin.name()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
