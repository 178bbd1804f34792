//! The domain of the simulator and its eligibility engine.
//!
//! - [`insurer`]: 保険者番号 with its 検証番号, insurer kinds.
//! - [`person`], [`qualification`]: insured persons and their qualification histories. Nothing
//!   about eligibility is stored as a flag: it is decided for a date from the history
//!   ([`eligibility`]), and age-dependent facts (未就学, 高齢受給者, 負担割合, 限度額区分) are derived
//!   for that date ([`mod@derive`]).
//! - [`population`]: the set of persons and insurers with a lookup index by card keys.
//! - [`medical`]: 薬剤情報 and 特定健診情報 (domain types; records, consent and rendering behind
//!   traits).
//! - [`engine`]: request documents in, result documents (or `.err` rejections) out.
//! - [`disaster`]: disaster mode (災害時医療情報閲覧): activations, search without the card.
//!
//! Invariant: no IO and no clock. The current time is always a parameter.

pub mod claims;
pub mod date;
pub mod derive;
pub mod disaster;
pub mod eligibility;
pub mod engine;
pub mod insurer;
pub mod kana;
pub mod keys;
pub mod medical;
pub mod medical_aid;
pub mod person;
pub mod population;
pub mod qualification;

pub use eligibility::{Decision, decide};
pub use engine::{Engine, EngineConfig, FileOutcome, OutcomeSummary};
pub use insurer::{Insurer, InsurerKind, InsurerNumber};
pub use person::{Income, Person, Sex};
pub use population::Population;
pub use qualification::{Loss, LossReason, Qualification, Relationship};
