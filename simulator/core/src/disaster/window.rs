//! Activations of disaster mode and who may use them when.
//!
//! An [`Activation`] covers a set of municipalities (全国地方公共団体コード) from `start`
//! (inclusive) to `end` (exclusive). A facility located in one of them may use disaster mode
//! while the activation is in force: after `start`, before `end`, and not closed. The operator
//! may extend it for one facility (the facility's own `until`, later than `end`): that facility
//! alone keeps using it after `end`. Closing ends it at once for everyone, extensions included.
//!
//! Nothing here reads the clock: every operation takes `now`.

use chrono::NaiveDateTime;

/// An extension of an activation for one facility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// 医療機関コード of the facility.
    pub facility: String,
    /// Until when (exclusive) it may keep using the mode.
    pub until: NaiveDateTime,
    /// When the extension was granted.
    pub granted_at: NaiveDateTime,
}

/// One opening of disaster mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    /// A number, 1, 2, 3… in opening order.
    pub id: u32,
    /// What it is for (e.g. 「令和8年 模擬豪雨災害」).
    pub title: String,
    /// 全国地方公共団体コード (6 digits) of the municipalities covered, sorted, without repeats.
    pub municipalities: Vec<String>,
    /// From when (inclusive).
    pub start: NaiveDateTime,
    /// Until when (exclusive).
    pub end: NaiveDateTime,
    /// When the operator opened it.
    pub opened_at: NaiveDateTime,
    /// When it was closed early, if it was.
    pub closed_at: Option<NaiveDateTime>,
    /// Extensions per facility (at most one per facility: a new one replaces the old one).
    pub extensions: Vec<Extension>,
}

/// The state an activation is in at a given time (for everyone, extensions aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Opened for a later start.
    Scheduled,
    /// In force.
    Open,
    /// Past its end (extensions may still be in force).
    Ended,
    /// Closed by the operator.
    Closed,
}

impl Phase {
    /// `scheduled`, `open`, `ended`, `closed`.
    pub fn id(self) -> &'static str {
        match self {
            Phase::Scheduled => "scheduled",
            Phase::Open => "open",
            Phase::Ended => "ended",
            Phase::Closed => "closed",
        }
    }

    /// The label on screen: 開始前, 実施中, 終了, 終了（早期終了）.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Scheduled => "開始前",
            Phase::Open => "実施中",
            Phase::Ended => "期間終了",
            Phase::Closed => "終了（運用停止）",
        }
    }
}

impl Activation {
    /// The phase at `now`.
    pub fn phase(&self, now: NaiveDateTime) -> Phase {
        match self.closed_at {
            Some(at) if at <= now => Phase::Closed,
            _ if now < self.start => Phase::Scheduled,
            _ if now < self.end => Phase::Open,
            _ => Phase::Ended,
        }
    }

    /// Whether it covers this municipality.
    pub fn covers(&self, lg_code: &str) -> bool {
        self.municipalities
            .binary_search_by(|m| m.as_str().cmp(lg_code))
            .is_ok()
    }

    /// The end that applies to `facility`: its extension if it has one, else `end`.
    pub fn end_for(&self, facility: &str) -> NaiveDateTime {
        self.extensions
            .iter()
            .find(|e| e.facility == facility)
            .map_or(self.end, |e| e.until.max(self.end))
    }
}

/// What the operator asks for when opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRequest {
    /// What it is for.
    pub title: String,
    /// 全国地方公共団体コード of the municipalities.
    pub municipalities: Vec<String>,
    /// From when.
    pub start: NaiveDateTime,
    /// Until when.
    pub end: NaiveDateTime,
}

/// Why an operator command is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DisasterError {
    /// No municipality given.
    #[error("no municipality given: name at least one 全国地方公共団体コード")]
    NoMunicipality,
    /// A code is not 6 digits.
    #[error("{0:?} is not a 全国地方公共団体コード (6 digits)")]
    BadMunicipality(String),
    /// The end is not after the start.
    #[error("the end {end} is not after the start {start}")]
    EmptyWindow {
        /// Start.
        start: NaiveDateTime,
        /// End.
        end: NaiveDateTime,
    },
    /// The window is already over.
    #[error("the end {0} is already past")]
    EndInThePast(NaiveDateTime),
    /// No such activation.
    #[error("no activation number {0}")]
    Unknown(u32),
    /// Already closed.
    #[error("activation {id} was already closed at {at}")]
    AlreadyClosed {
        /// The activation.
        id: u32,
        /// When.
        at: NaiveDateTime,
    },
    /// The facility is not in one of the activation's municipalities.
    #[error("facility {facility} is in municipality {lg_code}, not covered by activation {id}")]
    NotCovered {
        /// The activation.
        id: u32,
        /// The facility.
        facility: String,
        /// Its municipality.
        lg_code: String,
    },
    /// The extension does not go beyond what the facility already has.
    #[error("an extension must end after {0}")]
    ExtensionTooShort(NaiveDateTime),
}

/// Why a facility may not use disaster mode now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No activation covers its municipality.
    #[error("災害時モードは、この医療機関の所在地（{lg_code}）では実施されていません")]
    NotCovered {
        /// The facility's municipality.
        lg_code: String,
    },
    /// The activation has not started yet.
    #[error("災害時モードの開始前です（開始 {start}）")]
    NotYetStarted {
        /// The activation.
        activation: u32,
        /// Its start.
        start: NaiveDateTime,
    },
    /// The window (and any extension of this facility) is over.
    #[error("災害時モードの実施期間は終了しました（終了 {end}）")]
    Ended {
        /// The activation.
        activation: u32,
        /// The end that applied to the facility.
        end: NaiveDateTime,
    },
    /// Closed by the operator.
    #[error("災害時モードは運用停止されました（{at}）")]
    Closed {
        /// The activation.
        activation: u32,
        /// When.
        at: NaiveDateTime,
    },
}

impl Refusal {
    /// A stable identifier: `not-covered`, `not-yet-started`, `ended`, `closed`.
    pub fn id(&self) -> &'static str {
        match self {
            Refusal::NotCovered { .. } => "not-covered",
            Refusal::NotYetStarted { .. } => "not-yet-started",
            Refusal::Ended { .. } => "ended",
            Refusal::Closed { .. } => "closed",
        }
    }
}

/// Permission to use disaster mode now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// The activation in force.
    pub activation: u32,
    /// Until when it holds for this facility.
    pub until: NaiveDateTime,
    /// Whether it holds through an extension (after the activation's own end).
    pub extended: bool,
}

/// Every activation, past and present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisasterMode {
    activations: Vec<Activation>,
}

impl DisasterMode {
    /// Rebuilds the state from stored activations (ids kept).
    pub fn from_activations(mut activations: Vec<Activation>) -> DisasterMode {
        activations.sort_by_key(|a| a.id);
        DisasterMode { activations }
    }

    /// Every activation, oldest first.
    pub fn activations(&self) -> &[Activation] {
        &self.activations
    }

    /// The activation with this id.
    pub fn get(&self, id: u32) -> Option<&Activation> {
        self.activations.iter().find(|a| a.id == id)
    }

    fn get_mut(&mut self, id: u32) -> Result<&mut Activation, DisasterError> {
        self.activations
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or(DisasterError::Unknown(id))
    }

    /// Opens disaster mode. The start may be in the past (a declaration made earlier) or the
    /// future; the end must be later than both the start and `now`.
    pub fn open(
        &mut self,
        req: OpenRequest,
        now: NaiveDateTime,
    ) -> Result<&Activation, DisasterError> {
        let mut municipalities = req.municipalities;
        if municipalities.is_empty() {
            return Err(DisasterError::NoMunicipality);
        }
        if let Some(bad) = municipalities
            .iter()
            .find(|m| m.len() != 6 || !m.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(DisasterError::BadMunicipality(bad.clone()));
        }
        if req.end <= req.start {
            return Err(DisasterError::EmptyWindow {
                start: req.start,
                end: req.end,
            });
        }
        if req.end <= now {
            return Err(DisasterError::EndInThePast(req.end));
        }
        municipalities.sort();
        municipalities.dedup();
        let id = self.activations.last().map_or(1, |a| a.id + 1);
        self.activations.push(Activation {
            id,
            title: req.title,
            municipalities,
            start: req.start,
            end: req.end,
            opened_at: now,
            closed_at: None,
            extensions: Vec::new(),
        });
        Ok(&self.activations[self.activations.len() - 1])
    }

    /// Closes an activation now, for everyone.
    pub fn close(&mut self, id: u32, now: NaiveDateTime) -> Result<&Activation, DisasterError> {
        let a = self.get_mut(id)?;
        if let Some(at) = a.closed_at {
            return Err(DisasterError::AlreadyClosed { id, at });
        }
        a.closed_at = Some(now);
        Ok(a)
    }

    /// Extends an activation for one facility (located in `facility_lg_code`) until `until`. It may
    /// be granted after the activation's end, but not once it is closed.
    pub fn extend(
        &mut self,
        id: u32,
        facility: &str,
        facility_lg_code: &str,
        until: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<&Activation, DisasterError> {
        let a = self.get_mut(id)?;
        if let Some(at) = a.closed_at {
            return Err(DisasterError::AlreadyClosed { id, at });
        }
        if !a.covers(facility_lg_code) {
            return Err(DisasterError::NotCovered {
                id,
                facility: facility.to_owned(),
                lg_code: facility_lg_code.to_owned(),
            });
        }
        let floor = a.end_for(facility).max(now);
        if until <= floor {
            return Err(DisasterError::ExtensionTooShort(floor));
        }
        a.extensions.retain(|e| e.facility != facility);
        a.extensions.push(Extension {
            facility: facility.to_owned(),
            until,
            granted_at: now,
        });
        Ok(a)
    }

    /// Whether the facility `facility` located in `lg_code` may use disaster mode at `now`. When
    /// several activations cover it, any one in force grants; otherwise the refusal names the most
    /// relevant one (the latest opened).
    pub fn authorize(
        &self,
        facility: &str,
        lg_code: &str,
        now: NaiveDateTime,
    ) -> Result<Grant, Refusal> {
        let mut refusal = Refusal::NotCovered {
            lg_code: lg_code.to_owned(),
        };
        for a in self.activations.iter().filter(|a| a.covers(lg_code)) {
            let end = a.end_for(facility);
            refusal = match a.closed_at {
                Some(at) if at <= now => Refusal::Closed {
                    activation: a.id,
                    at,
                },
                _ if now < a.start => Refusal::NotYetStarted {
                    activation: a.id,
                    start: a.start,
                },
                _ if now >= end => Refusal::Ended {
                    activation: a.id,
                    end,
                },
                _ => {
                    return Ok(Grant {
                        activation: a.id,
                        until: end,
                        extended: now >= a.end,
                    });
                }
            };
        }
        Err(refusal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn t(day: u32, hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, day)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
    }

    fn opened() -> DisasterMode {
        let mut d = DisasterMode::default();
        d.open(
            OpenRequest {
                title: "模擬豪雨".into(),
                municipalities: vec!["131041".into(), "131016".into(), "131041".into()],
                start: t(1, 9),
                end: t(8, 9),
            },
            t(1, 8),
        )
        .unwrap();
        d
    }

    #[test]
    fn window_grants_only_inside_and_only_there() {
        let d = opened();
        let a = &d.activations()[0];
        assert_eq!(a.municipalities, ["131016", "131041"]);
        assert_eq!(a.phase(t(1, 8)), Phase::Scheduled);
        assert_eq!(a.phase(t(2, 8)), Phase::Open);
        assert_eq!(a.phase(t(8, 9)), Phase::Ended);
        assert!(matches!(
            d.authorize("1310400013", "131041", t(1, 8)),
            Err(Refusal::NotYetStarted { .. })
        ));
        let g = d.authorize("1310400013", "131041", t(1, 9)).unwrap();
        assert_eq!((g.activation, g.until, g.extended), (1, t(8, 9), false));
        assert!(matches!(
            d.authorize("2712700015", "271276", t(2, 9)),
            Err(Refusal::NotCovered { .. })
        ));
        assert!(matches!(
            d.authorize("1310400013", "131041", t(8, 9)),
            Err(Refusal::Ended { .. })
        ));
    }

    #[test]
    fn extension_is_for_that_facility_only() {
        let mut d = opened();
        d.extend(1, "1310400013", "131041", t(10, 9), t(8, 10))
            .unwrap();
        let g = d.authorize("1310400013", "131041", t(9, 9)).unwrap();
        assert!(g.extended);
        assert_eq!(g.until, t(10, 9));
        assert!(d.authorize("1310400021", "131041", t(9, 9)).is_err());
        assert!(d.authorize("1310400013", "131041", t(10, 9)).is_err());
        assert_eq!(
            d.extend(1, "1310400013", "131041", t(9, 9), t(8, 10))
                .unwrap_err(),
            DisasterError::ExtensionTooShort(t(10, 9))
        );
        assert!(matches!(
            d.extend(1, "2712700015", "271276", t(12, 9), t(8, 10)),
            Err(DisasterError::NotCovered { .. })
        ));
        // A longer one replaces it.
        d.extend(1, "1310400013", "131041", t(12, 9), t(9, 10))
            .unwrap();
        assert_eq!(d.activations()[0].extensions.len(), 1);
        assert!(d.authorize("1310400013", "131041", t(11, 9)).is_ok());
    }

    #[test]
    fn closing_ends_it_for_everyone() {
        let mut d = opened();
        d.extend(1, "1310400013", "131041", t(10, 9), t(2, 10))
            .unwrap();
        d.close(1, t(3, 9)).unwrap();
        assert!(matches!(
            d.authorize("1310400013", "131041", t(3, 9)),
            Err(Refusal::Closed { activation: 1, .. })
        ));
        assert!(d.authorize("1310400013", "131041", t(3, 8)).is_ok());
        assert!(matches!(
            d.close(1, t(4, 9)),
            Err(DisasterError::AlreadyClosed { .. })
        ));
        assert!(matches!(
            d.extend(1, "1310400013", "131041", t(20, 9), t(4, 9)),
            Err(DisasterError::AlreadyClosed { .. })
        ));
        assert_eq!(d.activations()[0].phase(t(3, 9)), Phase::Closed);
        assert_eq!(d.close(9, t(4, 9)).unwrap_err(), DisasterError::Unknown(9));
    }

    #[test]
    fn open_checks_its_request() {
        let mut d = DisasterMode::default();
        let req = |m: Vec<&str>, start, end| OpenRequest {
            title: String::new(),
            municipalities: m.into_iter().map(String::from).collect(),
            start,
            end,
        };
        assert_eq!(
            d.open(req(vec![], t(1, 9), t(2, 9)), t(1, 0)).unwrap_err(),
            DisasterError::NoMunicipality
        );
        assert!(matches!(
            d.open(req(vec!["13104"], t(1, 9), t(2, 9)), t(1, 0)),
            Err(DisasterError::BadMunicipality(_))
        ));
        assert!(matches!(
            d.open(req(vec!["131041"], t(2, 9), t(2, 9)), t(1, 0)),
            Err(DisasterError::EmptyWindow { .. })
        ));
        assert!(matches!(
            d.open(req(vec!["131041"], t(1, 9), t(2, 9)), t(3, 0)),
            Err(DisasterError::EndInThePast(_))
        ));
        assert_eq!(
            d.open(req(vec!["131041"], t(1, 9), t(2, 9)), t(1, 0))
                .unwrap()
                .id,
            1
        );
        assert_eq!(
            d.open(req(vec!["271276"], t(1, 9), t(2, 9)), t(1, 0))
                .unwrap()
                .id,
            2
        );
        let again = DisasterMode::from_activations(d.activations().iter().rev().cloned().collect());
        assert_eq!(again, d);
    }

    #[test]
    fn a_later_activation_covers_after_an_earlier_one_ended() {
        let mut d = opened();
        d.close(1, t(2, 9)).unwrap();
        d.open(
            OpenRequest {
                title: "再開".into(),
                municipalities: vec!["131041".into()],
                start: t(3, 9),
                end: t(5, 9),
            },
            t(2, 10),
        )
        .unwrap();
        assert_eq!(d.authorize("x", "131041", t(4, 9)).unwrap().activation, 2);
        assert!(matches!(
            d.authorize("x", "131041", t(2, 12)),
            Err(Refusal::NotYetStarted { activation: 2, .. })
        ));
    }
}
