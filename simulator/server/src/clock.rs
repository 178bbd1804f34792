//! The simulator's clock. Everything time-dependent (ProcessExecutionTime, the "today" of future
//! dates, file-name timestamps) reads it. Wall-clock mode is Japan time (UTC+9, no daylight
//! saving); a virtual clock starts at a given time and either runs or stays frozen, and can be
//! set, advanced, frozen or let run while the simulator runs ([`Clock::control`], `/admin/clock`).

use std::sync::Mutex;
use std::time::Instant;

use chrono::{Duration, NaiveDateTime, Utc};

/// A source of the current Japan local time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, in Japan local time.
    fn now(&self) -> NaiveDateTime;

    /// The virtual clock behind this one, if it can be set (`/admin/clock`, `simulator clock`).
    fn control(&self) -> Option<&VirtualClock> {
        None
    }
}

/// The wall clock, in Japan time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> NaiveDateTime {
        Utc::now().naive_utc() + Duration::hours(9)
    }
}

/// A clock set to a chosen time, frozen or running from there.
#[derive(Debug)]
pub struct VirtualClock {
    state: Mutex<(NaiveDateTime, Option<Instant>)>,
}

impl VirtualClock {
    /// A clock showing `at`; it runs when `running`, otherwise it stays at `at` until set.
    pub fn new(at: NaiveDateTime, running: bool) -> VirtualClock {
        VirtualClock {
            state: Mutex::new((at, running.then(Instant::now))),
        }
    }

    /// Sets the time, keeping the running/frozen mode.
    pub fn set(&self, at: NaiveDateTime) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.0 = at;
        if s.1.is_some() {
            s.1 = Some(Instant::now());
        }
    }

    /// Moves the time forward.
    pub fn advance(&self, by: Duration) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Self::read(&s);
        s.0 = now + by;
        if s.1.is_some() {
            s.1 = Some(Instant::now());
        }
    }

    /// Stops the clock at the current time.
    pub fn freeze(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.0 = Self::read(&s);
        s.1 = None;
    }

    /// Lets the clock run from the current time.
    pub fn run(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.0 = Self::read(&s);
        s.1 = Some(Instant::now());
    }

    /// Whether the clock stands still.
    pub fn is_frozen(&self) -> bool {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .is_none()
    }

    fn read(s: &(NaiveDateTime, Option<Instant>)) -> NaiveDateTime {
        match s.1 {
            None => s.0,
            Some(since) => s.0 + Duration::from_std(since.elapsed()).unwrap_or_default(),
        }
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> NaiveDateTime {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        Self::read(&s)
    }

    fn control(&self) -> Option<&VirtualClock> {
        Some(self)
    }
}
