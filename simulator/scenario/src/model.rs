//! The scenario model: what a validated script says, with each step's line for reports.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

/// A validated scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// The file it was read from, as given.
    pub file: String,
    /// One line, shown in reports.
    pub title: String,
    /// What the scenario shows, for people.
    pub description: Option<String>,
    /// The persons served.
    pub world: World,
    /// The virtual clock at the start.
    pub clock: ClockSpec,
    /// The 医療機関コード of the scenario's clinic (requests, face files, the session key of a
    /// running simulator); `None`: the simulator's default.
    pub medical_institution_code: Option<String>,
    /// The encoding of the answers (`result-encoding: utf-8|shift_jis`, the simulator's
    /// `[terminal] result_encoding`; CharacterCodeIdentifier 0 for UTF-8, 1 for Shift_JIS); `None`: Shift_JIS.
    pub result_encoding: Option<Encoding>,
    /// How long, in wall time, a served session's watcher waits before answering each request a
    /// client drops into the session's `req/` (`client-delay: 1500ms`; the served simulator's
    /// `response_delay_ms` otherwise). Never applies to the steps' own drops, which run on the
    /// virtual clock, so `scenario run` stays deterministic.
    pub client_delay: Option<std::time::Duration>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// The persons a scenario starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum World {
    /// The named fixture persons and probes (`fixtures/data/persons.toml`).
    Fixtures,
}

/// The virtual clock at the start of a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSpec {
    /// Japan local time.
    pub start: NaiveDateTime,
    /// Frozen (the default, for byte-identical results) or running from `start`.
    pub frozen: bool,
}

/// One step of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The line of the step in its file.
    pub line: usize,
    /// What it does.
    pub action: Action,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Drop a request file into `req/`.
    Drop(DropRequest),
    /// Move the virtual clock forward.
    Advance(TimeDelta),
    /// The last request was answered with a result file whose elements have these values
    /// (compared without leading and trailing spaces; `~` means the element is absent). An
    /// element is looked up in the result, never in the echoed `QualificationConfirmSearchInfo`.
    ExpectResult(BTreeMap<String, String>),
    /// The last request was rejected with an `.err` file starting with this code.
    ExpectError(String),
    /// The last request got no answer at all.
    ExpectNothing,
    /// Inject a terminal fault from this point on the virtual clock.
    Fault(Fault),
    /// A patient checks in at the face-auth card reader.
    CardCheck(CardCheck),
    /// The last card check wrote a face file whose elements have these values (compared as in
    /// `ExpectResult`); `None` (`expect-face: none`): it wrote no face file.
    ExpectFace(Option<BTreeMap<String, String>>),
    /// The last card check ended with this reader message code (`MOCK-R102`); `None`
    /// (`expect-reader-message: none`): with no message.
    ExpectReaderMessage(Option<String>),
    /// A disaster-mode step (`disaster-…`, `expect-disaster-audit`).
    Disaster(crate::disaster::DisasterStep),
    /// A bulk 一括照会 upload (`bulk`).
    Bulk(crate::requests::BulkUpload),
    /// A bulk download by 受付番号 (`bulk-result`).
    BulkResult(crate::requests::BulkDownload),
    /// A 照会番号 registration (`register-reference`).
    RegisterReference(crate::requests::ReferenceRegistration),
    /// A check through the Web API (`webapi`).
    WebApi(crate::requests::WebApiCheck),
}

/// A card check at the face-auth reader: the card is put on the reader, the mode chosen, the
/// PINs entered or the camera's verdicts given (or the staff confirm), consents answered, and
/// the card taken off again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardCheck {
    /// The named fixture person whose My Number Card it is.
    pub person: String,
    /// The mode the patient chooses.
    pub mode: ReaderMode,
    /// The PINs entered in turn (PIN mode; default the fixture PIN `1234`).
    pub pins: Vec<String>,
    /// The camera's verdicts in turn, `true` for a match (face mode; default one match).
    pub faces: Vec<bool>,
    /// The consents given (names of [`CONSENT_NAMES`]); the others are refused.
    pub consent: Vec<String>,
    /// The state of the card's face photo: `intact` (default), `corrupt` or `absent` (face mode
    /// then stops with `MOCK-R111`).
    pub face_image: String,
    /// The answer to the 初回登録 (保険証利用登録) screen of an unregistered card; `None`: the
    /// screen is left unanswered (the card check ends there).
    pub register: Option<bool>,
}

/// The mode chosen at the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderMode {
    /// 暗証番号.
    Pin,
    /// 顔認証.
    Face,
    /// 目視確認 (staff confirm).
    Visual,
}

/// The consent names of `card-check`, in screen order: 薬剤, 特定健診, 診療, 手術, 限度額, 特定疾病.
pub const CONSENT_NAMES: &[&str] = &[
    "drug",
    "checkup",
    "diagnosis",
    "operation",
    "limit",
    "disease",
];

/// A terminal fault injected by a `fault:` step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A maintenance window of this length, starting now: every request in it is answered with
    /// SegmentOfResult 9 and the catalogue's `terminal.maintenance` code.
    Maintenance(TimeDelta),
    /// Answers come this much later on the virtual clock, for the next requests or a window.
    Slow {
        /// The extra delay of each answer.
        delay: TimeDelta,
        /// How long the fault lasts.
        scope: FaultScope,
    },
    /// The next request is rejected with an `.err` file (`terminal.maintenance`).
    ErrNext,
    /// The next result file is written in two parts with this pause between them.
    PartialResult(TimeDelta),
    /// The next result file is cut short (not well-formed XML).
    MalformedResult,
}

/// How long a slow terminal lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultScope {
    /// The next N requests.
    Requests(u32),
    /// A window of this length on the virtual clock, starting now.
    For(TimeDelta),
}

/// A request file to drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropRequest {
    /// Whose keys, or which bytes.
    pub target: Target,
    /// The file name; by default `OQSsiquc01req_<clock>_<step>.xml`.
    pub name: Option<String>,
    /// The encoding of a built request.
    pub encoding: Encoding,
    /// CRLF line ends (as Windows clients write).
    pub crlf: bool,
    /// QualificationConfirmationDate; by default the clock's date.
    pub date: Option<NaiveDate>,
    /// LimitApplicationCertificateRelatedConsFlg 1 instead of 0.
    pub limit_consent: bool,
    /// A 薬剤情報 / 特定健診情報 request instead of a qualification check (`info:`).
    pub info: Option<MedicalInfoDrop>,
}

/// A `YZKsiquc01req_` / `TKKsiquc01req_` request of a drop step (`info: drug|checkup`,
/// `file-category`, `facility`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MedicalInfoDrop {
    /// Which information.
    pub kind: InfoKind,
    /// `FileCategory` (`1`–`4`; default `2`, XML).
    pub file_category: String,
    /// 医療機関コード of the request; by default the reader's.
    pub facility: Option<String>,
}

/// The information asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InfoKind {
    /// 薬剤情報 (`YZKsiquc01req_`).
    Drug,
    /// 特定健診情報 (`TKKsiquc01req_`).
    Checkup,
}

/// What a dropped request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The card keys of a named fixture person (the card valid on the request date) or a probe.
    Person(String),
    /// These bytes verbatim (malformed requests).
    Raw(String),
}

/// The encoding of a built request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8.
    Utf8,
    /// Shift_JIS.
    ShiftJis,
}

/// Element names of a result that `expect-result` may name: `OQSsiquc01res_`, the bulk results
/// (医療扶助 tickets included), and the drug and checkup results (`ResultCode`, `MessageContents`,
/// `MeTrMonth`, `DrugN`, …). `ResultFile` is the result's file name (e.g. to expect a `.pdf`).
pub const RESULT_ELEMENTS: &[&str] = &[
    "Address",
    "AdmGendCode",
    "Birth",
    "Birthday",
    "DataValue",
    "DiDate",
    "DrugC",
    "DrugN",
    "EffectiveTime",
    "ItemCode",
    "KanaName",
    "KanasName",
    "MeTrDiHCd",
    "MeTrMonth",
    "MessageContents",
    "PrlsHCd",
    "ResultCode",
    "ResultFile",
    "ArbitraryFileIdentifier",
    "ArbitraryIdentifier",
    "Birthdate",
    "CharacterCodeIdentifier",
    "ConsistencyFlag",
    "DesignatedMedicalInstitutionCode",
    "DesignatedMedicalInstitutionFlag",
    "DesignatedMedicalInstitutionName",
    "DiagnosisInfoAvailableTime",
    "DiagnosisInfoConsFlg",
    "DiagnosisInfoConsTime",
    "DisqualificationDate",
    "DistrictContactName",
    "ElderlyRecipientCertificateDate",
    "ElderlyRecipientContributionRatio",
    "ElderlyRecipientValidEndDate",
    "ElderlyRecipientValidStartDate",
    "ErrorCode",
    "ErrorMessage",
    "HandlingContactName",
    "InjuryName1",
    "InjuryName2",
    "InjuryName3",
    "InsuredBranchNumber",
    "InsuredCardClassification",
    "InsuredCardExpirationDate",
    "InsuredCardSymbol",
    "InsuredCardValidDate",
    "InsuredCertificateIssuanceDate",
    "InsuredIdentificationNumber",
    "InsuredName",
    "InsuredPartialContributionRatio",
    "InsurerName",
    "InsurerNumber",
    "IssueNumber",
    "LimitApplicationCertificateChanged",
    "LimitApplicationCertificateClassification",
    "LimitApplicationCertificateClassificationFlag",
    "LimitApplicationCertificateDate",
    "LimitApplicationCertificateLongTermDate",
    "LimitApplicationCertificateRelatedConsFlg",
    "LimitApplicationCertificateRelatedConsTime",
    "LimitApplicationCertificateValidEndDate",
    "LimitApplicationCertificateValidStartDate",
    "MedicalInstitutionCode",
    "MedicalTicketExpirationDate",
    "MedicalTicketValidDate",
    "MedicalTreatmentMonth",
    "MedicalTreatmentType",
    "Name",
    "NameKana",
    "NameOfOther",
    "NameOfOtherKana",
    "NumberOfError",
    "NumberOfNormalProcessing",
    "NumberOfProcessingResult",
    "OperationInfoAvailableTime",
    "OperationInfoConsFlg",
    "OperationInfoConsTime",
    "PersonalFamilyClassification",
    "PharmacistsInfoAvailableTime",
    "PharmacistsInfoConsFlg",
    "PharmacistsInfoConsTime",
    "PostNumber",
    "PreschoolClassification",
    "PrescriptionIssueSelect",
    "PrescriptionIssuerMedicalInstitutionCode",
    "PrescriptionIssuerMedicalInstitutionName",
    "ProcessExecutionTime",
    "ProcessingResultCode",
    "ProcessingResultMessage",
    "ProcessingResultStatus",
    "QualificationConfirmationDate",
    "QualificationDate",
    "QualificationValidity",
    "ReasonOfLoss",
    "ReceptionDateTime",
    "ReceptionNumber",
    "ReferenceClassification",
    "ReferenceNumber",
    "Remarks1",
    "Remarks2",
    "Remarks3",
    "SegmentOfResult",
    "SelfPayAmount",
    "Sex1",
    "Sex2",
    "SingleOrCombinedUse",
    "SpecificDiseasesCertificateRelatedConsFlg",
    "SpecificDiseasesCertificateRelatedConsTime",
    "SpecificHealthCheckupsInfoAvailableTime",
    "SpecificHealthCheckupsInfoConsFlg",
    "SpecificHealthCheckupsInfoConsTime",
    "StatusOfElderlyMedicalCare",
    "StatusOfInfecton",
    "StatusOfPrefecturalExpenses",
    "StatusOfSocialInsurance",
    "TicketType",
];
