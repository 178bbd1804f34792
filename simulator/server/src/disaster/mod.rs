//! Disaster mode (災害時医療情報閲覧) of the running simulator: the activations of
//! [`sim_core::disaster::DisasterMode`] kept in SQLite, the facility register, and the two things
//! a facility does in the mode — search without the card and view — each checked against the
//! activations on the simulator clock and written to the audit log, refused attempts included.
//!
//! Used by the admin/operator HTTP API (`http/disaster.rs`), the console screens
//! (`console/disaster.rs`), the CLI ([`cli`]) and the scenario runner.

pub mod areas;
pub mod cli;
pub mod scenario;
pub mod store;
pub mod view;

use std::path::Path;
use std::sync::Mutex;

use chrono::NaiveDateTime;
use sim_core::Population;
use sim_core::disaster::{
    Activation, AuditAction, AuditRecord, Consent, DisasterError, DisasterMode, Grant, OpenRequest,
    Query, Refusal, SearchError, SearchResult,
};
use sim_core::medical::{MedicalRecords, MedicalRenderer};
use sim_fixtures::facilities::{Facility, FacilityRegister};

use store::{AuditRow, Store};

/// At most this many hits are listed for one search.
pub const MAX_HITS: usize = 50;

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpError {
    /// The request is wrong (unknown area, bad window…): 400.
    #[error("{0}")]
    Invalid(String),
    /// The operator command is refused by the state machine: 409.
    #[error(transparent)]
    Command(#[from] DisasterError),
    /// The facility may not use disaster mode now: 403.
    #[error("{0}")]
    Refused(Refusal),
    /// No such facility in the register: 403 as well (a facility must be known).
    #[error("医療機関コード {0} は医療機関の登録にありません")]
    UnknownFacility(String),
    /// The search cannot run: 400.
    #[error(transparent)]
    Search(#[from] SearchError),
    /// No such person: 404.
    #[error("対象者 {0} が見つかりません")]
    UnknownPerson(String),
    /// The state database failed: 500.
    #[error("state database: {0}")]
    Store(#[from] rusqlite::Error),
}

/// Reads a time as typed: `yyyy-mm-ddTHH:MM:SS`, `yyyy-mm-ddTHH:MM` (an HTML datetime field),
/// with a space instead of `T`, or a bare date `yyyy-mm-dd` (midnight).
pub fn parse_time(s: &str) -> Result<NaiveDateTime, OpError> {
    let t = s.trim().replace(' ', "T");
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&t, f).ok())
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(&t, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .ok_or_else(|| OpError::Invalid(format!("{s:?} is not a time (yyyy-mm-ddTHH:MM)")))
}

/// Who is acting at a facility terminal.
#[derive(Debug, Clone)]
pub struct Actor {
    /// 医療機関コード.
    pub facility: String,
    /// The operator's name or ID as typed (may be empty; recorded as is).
    pub operator: String,
}

struct Inner {
    mode: DisasterMode,
    store: Store,
}

/// Disaster mode of a running simulator.
pub struct Disaster {
    inner: Mutex<Inner>,
    /// The facility register (named facilities plus generated ones from the population seed).
    pub facilities: FacilityRegister,
    /// Where the viewer's 薬剤・診療・特定健診 records come from.
    pub records: Box<dyn MedicalRecords>,
    /// Who renders them as PDF.
    pub renderer: Box<dyn MedicalRenderer>,
}

impl std::fmt::Debug for Disaster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Disaster")
            .field("facilities", &self.facilities.len())
            .finish_non_exhaustive()
    }
}

impl Disaster {
    /// Opens the store at `db` and reads back the activations; the register is generated from
    /// `seed`. The medical records and the renderer start empty ([`sim_core::engine::NoStores`]);
    /// `serve` sets the population's.
    pub fn open(db: &Path, seed: u64) -> rusqlite::Result<Disaster> {
        let store = Store::open(db)?;
        let mode = DisasterMode::from_activations(store.activations()?);
        Ok(Disaster {
            inner: Mutex::new(Inner { mode, store }),
            facilities: FacilityRegister::generate(seed),
            records: Box::new(sim_core::engine::NoStores),
            renderer: Box::new(sim_core::engine::NoStores),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every activation.
    pub fn activations(&self) -> Vec<Activation> {
        self.lock().mode.activations().to_vec()
    }

    /// Opens the mode for `areas` (prefectures, municipalities, 政令市; see [`areas::resolve`]).
    pub fn open_mode(
        &self,
        title: &str,
        areas: &[String],
        start: NaiveDateTime,
        end: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<Activation, OpError> {
        let mut municipalities = Vec::new();
        for a in areas.iter().filter(|a| !a.trim().is_empty()) {
            municipalities.extend(areas::resolve(a).map_err(OpError::Invalid)?);
        }
        let mut inner = self.lock();
        let a = inner
            .mode
            .open(
                OpenRequest {
                    title: title.trim().to_owned(),
                    municipalities,
                    start,
                    end,
                },
                now,
            )?
            .clone();
        inner.store.save(&a)?;
        tracing::info!(activation = a.id, municipalities = a.municipalities.len(), start = %a.start, end = %a.end, "disaster mode opened");
        Ok(a)
    }

    /// Closes an activation now.
    pub fn close(&self, id: u32, now: NaiveDateTime) -> Result<Activation, OpError> {
        let mut inner = self.lock();
        let a = inner.mode.close(id, now)?.clone();
        inner.store.save(&a)?;
        tracing::info!(activation = id, at = %now, "disaster mode closed");
        Ok(a)
    }

    /// Extends an activation for one facility of the register.
    pub fn extend(
        &self,
        id: u32,
        facility: &str,
        until: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<Activation, OpError> {
        let f = self
            .facilities
            .by_code(facility.trim())
            .ok_or_else(|| OpError::UnknownFacility(facility.to_owned()))?;
        let mut inner = self.lock();
        let a = inner
            .mode
            .extend(id, &f.code, f.lg_code(), until, now)?
            .clone();
        inner.store.save(&a)?;
        tracing::info!(activation = id, facility = %f.code, until = %until, "disaster mode extended");
        Ok(a)
    }

    /// Whether the facility may use the mode now.
    pub fn authorize(
        &self,
        facility: &str,
        now: NaiveDateTime,
    ) -> Result<(&Facility, Grant), OpError> {
        let f = self
            .facilities
            .by_code(facility.trim())
            .ok_or_else(|| OpError::UnknownFacility(facility.to_owned()))?;
        let grant = self
            .lock()
            .mode
            .authorize(&f.code, f.lg_code(), now)
            .map_err(OpError::Refused)?;
        Ok((f, grant))
    }

    fn record(&self, r: &AuditRecord) -> Result<(), OpError> {
        let name = self
            .facilities
            .by_code(&r.facility)
            .map_or("（登録なし）", |f| f.name.as_str());
        self.lock().store.audit(r, name)?;
        tracing::info!(action = r.action.id(), facility = %r.facility, activation = ?r.activation, persons = r.persons.len(), "disaster audit");
        Ok(())
    }

    fn refused(
        &self,
        actor: &Actor,
        consent: Option<Consent>,
        query: String,
        persons: Vec<String>,
        e: OpError,
        now: NaiveDateTime,
    ) -> OpError {
        let record = AuditRecord {
            at: now,
            action: AuditAction::Refused,
            facility: actor.facility.trim().to_owned(),
            operator: actor.operator.clone(),
            activation: None,
            consent,
            query,
            persons,
            outcome: e.to_string(),
        };
        match self.record(&record) {
            Ok(()) => e,
            Err(store) => store,
        }
    }

    /// Searches for a patient without the card, on the date of `now`. Refused unless the facility
    /// may use the mode; recorded either way.
    pub fn search(
        &self,
        pop: &Population,
        actor: &Actor,
        query: &Query,
        now: NaiveDateTime,
    ) -> Result<SearchResult, OpError> {
        let described = query.describe();
        let grant = match self.authorize(&actor.facility, now) {
            Ok((_, g)) => g,
            Err(e) => return Err(self.refused(actor, None, described, Vec::new(), e, now)),
        };
        let result = match sim_core::disaster::search(pop, query, now.date(), MAX_HITS) {
            Ok(r) => r,
            Err(e) => {
                return Err(self.refused(actor, None, described, Vec::new(), e.into(), now));
            }
        };
        self.record(&AuditRecord {
            at: now,
            action: AuditAction::Search,
            facility: actor.facility.trim().to_owned(),
            operator: actor.operator.clone(),
            activation: Some(grant.activation),
            consent: None,
            query: described,
            persons: result.hits.iter().map(|h| h.person.clone()).collect(),
            outcome: format!(
                "{}件{}",
                result.hits.len(),
                if result.truncated {
                    "（以降省略）"
                } else {
                    ""
                }
            ),
        })?;
        Ok(result)
    }

    /// Records a view of `what` (in `format`) of a person, on the ground `consent`, after checking
    /// the facility may use the mode. Returns the grant and the facility, for the page.
    pub fn record_view(
        &self,
        actor: &Actor,
        person: &str,
        what: view::ViewKind,
        format: view::Format,
        consent: Consent,
        now: NaiveDateTime,
    ) -> Result<(&Facility, Grant), OpError> {
        let query = format!("{} ({})", what.id(), format.id());
        let (f, grant) = match self.authorize(&actor.facility, now) {
            Ok(ok) => ok,
            Err(e) => {
                return Err(self.refused(
                    actor,
                    Some(consent),
                    query,
                    vec![person.to_owned()],
                    e,
                    now,
                ));
            }
        };
        self.record(&AuditRecord {
            at: now,
            action: AuditAction::View,
            facility: f.code.clone(),
            operator: actor.operator.clone(),
            activation: Some(grant.activation),
            consent: Some(consent),
            query,
            persons: vec![person.to_owned()],
            outcome: format!("{}を{}で表示", what.label(), format.id().to_uppercase()),
        })?;
        Ok((f, grant))
    }

    /// The audit log, oldest first.
    pub fn audit(&self) -> Result<Vec<AuditRow>, OpError> {
        Ok(self.lock().store.audit_rows()?)
    }
}
