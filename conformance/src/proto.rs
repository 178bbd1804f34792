//! The adapter contract: what the harness asks the system under test (SUT) to do, and what the SUT
//! answers. One JSON object per line in each direction (command adapter: the SUT's stdin and
//! stdout), or one JSON object per HTTP POST (HTTP adapter). `conformance/schema/` holds the same
//! contract as JSON Schema; the reference clinic (`src/bin/reference-clinic/`) implements it.
//!
//! Every request carries an `id`; the reply echoes it. Values travel exactly as the interface
//! spells them: dates `yyyyMMdd`, numbers as strings.

use serde::{Deserialize, Serialize};

/// The version of this contract. A SUT answering `hello` with another version is refused.
pub const PROTOCOL: u32 = 1;

/// A request to the SUT, with its sequence number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Sequence number, echoed by the reply.
    pub id: u64,
    /// What to do.
    #[serde(flatten)]
    pub request: Request,
}

/// What the harness asks of the SUT.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Request {
    /// The first request of every case: where the terminal is and what day it is.
    Hello(Hello),
    /// A patient hands over an insurance card (or 資格確認書) at reception: check it.
    CheckInsuranceCard(CheckCard),
    /// Take in whatever the face-auth reader has put into `face/` (as the SUT's watcher would).
    ReadFace,
    /// Run the bulk check (一括照会) prepared for tomorrow's appointments.
    RunBulk(RunBulk),
    /// Register the clinic's patient number (照会番号) for a patient.
    RegisterReferenceNumber(RegisterReference),
    /// A doctor opens the patient's drug history or checkup results (薬剤情報・特定健診情報).
    ViewMedicalInfo(ViewMedicalInfo),
    /// Say what the SUT recorded (and shows on screen) for a patient.
    Report(ReportQuery),
    /// The case is over; the SUT may exit.
    Bye,
}

/// `hello`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    /// [`PROTOCOL`].
    pub protocol: u32,
    /// The case about to run, e.g. `QC-1.03` (for the SUT's logs only).
    pub case: String,
    /// The terminal's shared folder root, holding `req/`, `res/` and `face/`.
    pub oqs_dir: String,
    /// Base URL of the terminal's Web API (plain HTTP on loopback).
    pub webapi_url: String,
    /// The clinic's 医療機関コード (10 digits).
    pub medical_institution_code: String,
    /// The day of the visit, `yyyyMMdd`: the SUT's "today".
    pub today: String,
}

/// A card as printed: what reception staff would type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    /// 保険者番号 as printed (6 or 8 digits).
    pub insurer_number: String,
    /// 記号, if the card has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// 番号.
    pub number: String,
    /// 枝番 as printed (may be 1 or 2 digits), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// 生年月日, `yyyyMMdd`.
    pub birthdate: String,
}

/// How a check goes to the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// A request file in `req/`.
    #[default]
    File,
    /// The Web API (login, then JSON search).
    Webapi,
}

/// `check-insurance-card`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckCard {
    /// The SUT's patient id.
    pub patient: String,
    /// The card.
    pub card: Card,
    /// The channel to use.
    #[serde(default)]
    pub via: Via,
    /// The patient agreed to share 限度額適用認定証 information.
    #[serde(default)]
    pub limit_consent: bool,
}

/// `run-bulk`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunBulk {
    /// Which bulk check (default: the qualification check of tomorrow's appointments).
    #[serde(default, skip_serializing_if = "BulkKind::is_qualification")]
    pub kind: BulkKind,
    /// Tomorrow's patients (`qualification` only).
    #[serde(default)]
    pub patients: Vec<BulkPatient>,
    /// What the terminal is to select by (`home`, `online`, `medical-aid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criteria: Option<BulkCriteria>,
}

/// The bulk checks (一括照会).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum BulkKind {
    /// `OQSmuquc`: by the card keys of each patient.
    #[default]
    Qualification,
    /// `OQSmuhvq`: 訪問診療等, the patients who consented in a date range.
    Home,
    /// `OQSmuonq`: オンライン診療等, by consent or examination date range.
    Online,
    /// `OQSmutic`: 医療扶助, the recipients with a 医療券 of a month.
    MedicalAid,
}

impl BulkKind {
    /// The default kind.
    pub fn is_qualification(&self) -> bool {
        *self == BulkKind::Qualification
    }
}

/// The selection of a criteria bulk check; dates `yyyyMMdd`, month `yyyyMM`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BulkCriteria {
    /// 同意日 from (`home`; `online` by consent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_from: Option<String>,
    /// 同意日 to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_to: Option<String>,
    /// 診察日 from (`online` by examination).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examination_from: Option<String>,
    /// 診察日 to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examination_to: Option<String>,
    /// 診療年月 (`medical-aid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<String>,
}

/// Which medical information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MedicalKind {
    /// 薬剤情報 (`YZKsiquc01req_`).
    Drug,
    /// 特定健診情報 (`TKKsiquc01req_`).
    Checkup,
}

/// `view-medical-info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewMedicalInfo {
    /// The SUT's patient id.
    pub patient: String,
    /// The card on file.
    pub card: Card,
    /// Drugs or checkups.
    pub kind: MedicalKind,
}

/// What the SUT shows of the drug or checkup information.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MedicalShown {
    /// Any of it is on screen.
    pub shown: bool,
    /// How many: drug lines (`DrugInf`) or checkups (`SpecificHealthCheckupInfo`); for a PDF,
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<u32>,
    /// What staff are told instead (no consent, the terminal's MessageContents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One patient of a bulk check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkPatient {
    /// The SUT's patient id.
    pub patient: String,
    /// The card on file.
    pub card: Card,
}

/// `register-reference-number`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisterReference {
    /// The SUT's patient id.
    pub patient: String,
    /// The card on file.
    pub card: Card,
    /// The 照会番号 to register (the clinic's chart number).
    pub reference_number: String,
}

/// `report`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportQuery {
    /// The SUT's patient id.
    pub patient: String,
}

/// The SUT's answer to one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Reply {
    /// The request's `id`.
    pub id: u64,
    /// The SUT did what was asked (a check that ended in an error shown to staff is still `true`:
    /// `false` means the SUT could not act at all).
    pub ok: bool,
    /// Why not, when `ok` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `hello`: the SUT's name and version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sut: Option<String>,
    /// `hello`: the contract version the SUT implements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<u32>,
    /// `report`: what the SUT recorded for the patient; absent when it has nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded: Option<Recorded>,
    /// `read-face`: the results taken in by this call (not those taken in earlier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<Vec<Recorded>>,
}

/// The SUT's conclusion about a patient's eligibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Eligible: the qualification may be used for billing.
    Valid,
    /// Not eligible (lost, or replaced by a newer qualification).
    Invalid,
    /// No such qualification.
    NotFound,
    /// Several persons match; staff must pick.
    Multiple,
    /// The check failed (`.err`, SegmentOfResult 9, ProcessingResultStatus 2, timeout…).
    Error,
    /// Still waiting for the terminal.
    Pending,
}

/// What the SUT recorded and shows for a patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// The conclusion.
    pub outcome: Outcome,
    /// 資格有効性 as received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity: Option<String>,
    /// 保険者番号 shown (the qualification the result names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insurer_number: Option<String>,
    /// 保険者名称 shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insurer_name: Option<String>,
    /// 氏名 shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 氏名カナ shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_kana: Option<String>,
    /// 生年月日.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    /// 一部負担金割合 (3-digit percent, `030`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burden_ratio: Option<String>,
    /// 限度額適用認定証 区分 (OQSCD011), only when the result carried it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_category: Option<String>,
    /// 照会番号 carried by the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_number: Option<String>,
    /// The error code shown (ErrorCode, ProcessingResultCode or the `.err` code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The error text shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// 保険者証区分 (InsuredCardClassification; `A1` for 医療扶助).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_classification: Option<String>,
    /// 医療券・調剤券 shown (MedicalTicketInfo), 医療扶助 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medical_tickets: Option<u32>,
    /// The drug information shown, once asked for (`view-medical-info`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drug: Option<MedicalShown>,
    /// The checkup information shown, once asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkup: Option<MedicalShown>,
}

impl Recorded {
    /// A record with only an outcome.
    pub fn outcome(outcome: Outcome) -> Recorded {
        Recorded {
            outcome,
            validity: None,
            insurer_number: None,
            insurer_name: None,
            name: None,
            name_kana: None,
            birthdate: None,
            burden_ratio: None,
            limit_category: None,
            reference_number: None,
            error_code: None,
            error_message: None,
            card_classification: None,
            medical_tickets: None,
            drug: None,
            checkup: None,
        }
    }
}
