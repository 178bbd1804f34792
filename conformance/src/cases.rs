//! The catalogue: every case with its stable id, suite, title, description and the rules it
//! checks. Ids are never reused; a retired case keeps its id out of use. [`SUITE_VERSION`] changes
//! whenever a case is added, removed or checks something new.

use serde::Serialize;

/// The version of the case catalogue, recorded in every report.
pub const SUITE_VERSION: &str = "2026.12-3";

/// A group of cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Suite {
    /// 資格確認（個別照会）by insurance card.
    Single,
    /// Shift_JIS and UTF-8, declarations.
    Encoding,
    /// `.err`, SegmentOfResult 9, a slow terminal, ProcessingResultStatus 2.
    Errors,
    /// Results of card checks at the face-auth reader.
    Face,
    /// 一括照会 and 照会番号.
    Bulk,
    /// The Web API.
    Webapi,
    /// Consent and medical information.
    Consent,
}

impl Suite {
    /// Every suite, in catalogue order.
    pub const ALL: [Suite; 7] = [
        Suite::Single,
        Suite::Encoding,
        Suite::Errors,
        Suite::Face,
        Suite::Bulk,
        Suite::Webapi,
        Suite::Consent,
    ];

    /// Its name (`--only single`).
    pub fn name(self) -> &'static str {
        match self {
            Suite::Single => "single",
            Suite::Encoding => "encoding",
            Suite::Errors => "errors",
            Suite::Face => "face",
            Suite::Bulk => "bulk",
            Suite::Webapi => "webapi",
            Suite::Consent => "consent",
        }
    }
}

/// One case.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// Stable id.
    pub id: &'static str,
    /// Its suite.
    pub suite: Suite,
    /// One line.
    pub title: &'static str,
    /// What the harness does and expects.
    pub description: &'static str,
    /// The rules checked.
    pub rules: &'static [&'static str],
    /// Not runnable yet, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<&'static str>,
}

/// What every request file is checked for.
const FILE: [&str; 7] = [
    "FILE-NAME",
    "FILE-ATOMIC",
    "ENC-DECL",
    "XML-ENVELOPE",
    "HDR-MIC",
    "HDR-AFI",
    "NO-MYNUMBER",
];

macro_rules! rules {
    ($($r:expr),* $(,)?) => {
        &[FILE[0], FILE[1], FILE[2], FILE[3], FILE[4], FILE[5], FILE[6], $($r),*]
    };
}

/// Every case, in order.
pub const CASES: &[Case] = &[
    Case::new(
        "QC-1.01",
        Suite::Single,
        "Valid 社保 本人 by insurance card",
        "A 協会けんぽ member (valid-shaho-honnin) hands over the insurance card. The SUT writes one OQSsiquc01req_ request with the card's keys; the terminal answers QualificationValidity 1; the SUT records the qualification the result names.",
        rules![
            "HDR-DATE",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "RES-VALID",
            "RES-CORRELATE"
        ],
    ),
    Case::new(
        "QC-1.02",
        Suite::Single,
        "Family member with 枝番 02",
        "A child on a parent's 協会けんぽ (valid-shaho-kazoku) whose card prints 枝番 2: the request carries InsuredBranchNumber 02; the result is recorded as valid.",
        rules![
            "HDR-DATE",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "RES-VALID",
            "RES-CORRELATE"
        ],
    ),
    Case::new(
        "QC-1.03",
        Suite::Single,
        "Old card after a job change: validity 3 with the new insurer",
        "A patient who changed jobs on 2026-10-01 shows the old card (probe lapsed-job-change-old-card). The terminal answers QualificationValidity 3 with the new qualification; the SUT records the patient as not valid on the old card and shows the new insurer.",
        rules![
            "HDR-DATE",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "RES-INVALID"
        ],
    ),
    Case::new(
        "QC-1.04",
        Suite::Single,
        "Lost qualification: validity 2",
        "A patient whose qualification was lost on 2026-09-16 with nothing newer (lapsed-no-new): QualificationValidity 2, recorded as not valid.",
        rules![
            "HDR-DATE",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "RES-INVALID"
        ],
    ),
    Case::new(
        "QC-1.05",
        Suite::Single,
        "No such qualification: validity 4",
        "Keys nobody has (probe not-found): QualificationValidity 4, recorded as not found, never as valid.",
        rules![
            "HDR-DATE",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "RES-INVALID"
        ],
    ),
    Case::new(
        "QC-1.06",
        Suite::Single,
        "後期高齢者医療 1割, no 記号",
        "A 後期高齢 member (valid-kouki) whose card has no 記号: the request leaves InsuredCardSymbol out; the SUT records the burden ratio 010 the result gives and the name with 髙.",
        rules![
            "HDR-DATE",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "RES-VALID",
            "RES-CORRELATE"
        ],
    ),
    Case::new(
        "QC-1.07",
        Suite::Single,
        "Two patients in a row are not mixed up",
        "Two patients (valid-shaho-honnin, elderly-70-74) are checked one after the other: each request has its own name and ArbitraryFileIdentifier, and each patient gets the result of their own request.",
        rules![
            "HDR-DATE",
            "KEY-CARD",
            "RES-VALID",
            "RES-CORRELATE",
            "KEY-INSURER",
            "KEY-BRANCH"
        ],
    ),
    Case::new(
        "QC-1.08",
        Suite::Single,
        "Twins without 枝番: validity 5",
        "Keys that fit two persons (twins on one card without 枝番; probe multiple-matches): QualificationValidity 5 with one result per person; the SUT asks staff to pick, never records either as valid.",
        rules!["HDR-DATE", "KEY-INSURER", "KEY-CARD", "RES-INVALID"],
    ),
    Case::new(
        "QC-2.01",
        Suite::Encoding,
        "記号 in kanji and a 6-digit 国保 number; Shift_JIS result",
        "A 市町村国保 member (valid-kokuho, 記号 千代, insurer 131011): the request's bytes match its declaration, InsurerNumber is padded to 8 characters; the Shift_JIS result's kanji name and half-width kana are read intact.",
        rules![
            "HDR-DATE",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "RES-VALID",
            "RES-ENCODING",
            "RES-CORRELATE"
        ],
    ),
    Case::new(
        "QC-2.02",
        Suite::Encoding,
        "UTF-8 result",
        "The terminal is set to write UTF-8 results (CharacterCodeIdentifier 0): the SUT decodes by the declaration, and the name and kana come out intact.",
        rules![
            "HDR-DATE",
            "KEY-CARD",
            "RES-VALID",
            "RES-ENCODING",
            "KEY-INSURER",
            "KEY-BRANCH",
            "RES-CORRELATE"
        ],
    ),
    Case::new(
        "QC-3.01",
        Suite::Errors,
        "Request rejected with an .err file",
        "The terminal rejects the request: it reappears in res/ beside an .err file. The SUT shows the .err code and records nothing as checked.",
        rules![
            "HDR-DATE",
            "KEY-CARD",
            "RES-ERR",
            "KEY-INSURER",
            "KEY-BRANCH"
        ],
    ),
    Case::new(
        "QC-3.02",
        Suite::Errors,
        "Maintenance: SegmentOfResult 9",
        "The terminal is in a maintenance window and answers SegmentOfResult 9 with ErrorCode and ErrorMessage; the SUT shows them and records no eligibility.",
        rules![
            "HDR-DATE",
            "KEY-CARD",
            "RES-SEG9",
            "KEY-INSURER",
            "KEY-BRANCH"
        ],
    ),
    Case::new(
        "QC-3.03",
        Suite::Errors,
        "Slow terminal",
        "The terminal answers only after --slow-ms (1.5 s by default): the SUT waits for the result without asking again and records it.",
        rules![
            "HDR-DATE",
            "KEY-CARD",
            "POLL-WAIT",
            "RES-VALID",
            "KEY-INSURER",
            "KEY-BRANCH"
        ],
    ),
    Case::new(
        "QC-3.04",
        Suite::Errors,
        "Mistyped insurer number: ProcessingResultStatus 2",
        "The patient's insurer number fails its 検証番号 (probe check-digit-error): the result has ProcessingResultStatus 2 with a ProcessingResultCode; the SUT shows the code and records nothing as valid.",
        rules![
            "HDR-DATE",
            "KEY-CARD",
            "RES-STATUS",
            "KEY-INSURER",
            "KEY-BRANCH"
        ],
    ),
    Case::new(
        "QC-4.01",
        Suite::Face,
        "Face file taken in once, then removed",
        "A patient (valid-kokuho) checks in at the face-auth reader; the terminal writes a face file. Asked to read face/, the SUT takes it in (validity, insurer, name), removes or moves it, and does not take it in again on the next read.",
        &["FACE-CONSUME", "FACE-ONCE", "FACE-RECORD"],
    ),
    Case::new(
        "QC-4.02",
        Suite::Face,
        "Face file with 限度額 consent",
        "A patient with a 限度額適用認定証 (limit-certificate) consents to 限度額 at the reader: the face file carries LimitApplicationCertificateRelatedInfo and the SUT records its 区分.",
        &["FACE-CONSUME", "FACE-RECORD", "CONSENT-LIMIT"],
    ),
    Case::new(
        "QC-4.03",
        Suite::Face,
        "Every consent refused at the reader",
        "A patient with a 限度額適用認定証 (limit-certificate) answers いいえ on every consent screen: the reader still writes a face file, with every …ConsFlg 0 and no LimitApplicationCertificateRelatedInfo. The SUT takes it in (validity, insurer, name) and shows no 区分.",
        &["FACE-CONSUME", "FACE-RECORD", "CONSENT-LIMIT"],
    ),
    Case::new(
        "QC-4.04",
        Suite::Face,
        "初回登録 of an unregistered card",
        "unregistered-card's My Number Card is not registered for insurance use. The patient first declines 初回登録 (MOCK-R108): the reader writes nothing and the SUT takes in nothing. Then the patient registers: the check goes on and the face file is taken in like any other.",
        &["READER-NOFILE", "FACE-CONSUME", "FACE-RECORD"],
    ),
    Case::new(
        "QC-4.05",
        Suite::Face,
        "PIN locked, face locked: fall back to the insurance card",
        "valid-shaho-honnin enters a wrong PIN three times (MOCK-R102), then fails the face match until it locks (MOCK-R104): neither writes a face file, and the SUT takes in nothing. Reception then checks the insurance card: an ordinary OQSsiquc01req_ with the card's keys, recorded valid.",
        rules![
            "READER-NOFILE",
            "HDR-DATE",
            "KEY-CARD",
            "RES-VALID",
            "KEY-INSURER",
            "KEY-BRANCH"
        ],
    ),
    Case::new(
        "QC-5.01",
        Suite::Bulk,
        "Tomorrow's bulk check: processing, then results",
        "The SUT runs the bulk check for three of tomorrow's patients (valid-shaho-honnin, valid-kokuho, lapsed-no-new): one OQSmuquc01req_ with a unit and ArbitraryIdentifier per patient, then OQSmuquc02req_ with the ReceptionNumber. The first download is answered SegmentOfResult 2; the SUT asks again after a pause, stops after the answer, and records each patient's unit.",
        rules![
            "HDR-DATE",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "BULK-UNITS",
            "POLL-RETRY",
            "POLL-LIMITS",
            "RES-INVALID"
        ],
    ),
    Case::new(
        "QC-5.02",
        Suite::Bulk,
        "照会番号 registered, then carried by a single check",
        "The SUT registers its chart number as 照会番号 for valid-shaho-honnin (OQSsiimm01req_); a later check of the patient gets a result with ReferenceNumber, which the SUT records.",
        rules![
            "HDR-DATE",
            "KEY-CARD",
            "IMM-REQUEST",
            "IMM-RESULT",
            "KEY-INSURER",
            "KEY-BRANCH",
            "RES-VALID"
        ],
    ),
    Case::new(
        "QC-5.03",
        Suite::Bulk,
        "照会番号 in a face file finds the patient",
        "After registering a 照会番号 for valid-kokuho, the patient checks in at the reader: the face file carries ReferenceNumber, and the SUT records the face result against it.",
        &[
            "FILE-NAME",
            "FILE-ATOMIC",
            "ENC-DECL",
            "IMM-REQUEST",
            "IMM-RESULT",
            "FACE-CONSUME",
            "FACE-RECORD",
            "XML-ENVELOPE",
            "NO-MYNUMBER",
            "HDR-DATE",
            "HDR-MIC",
            "HDR-AFI",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
        ],
    ),
    Case::new(
        "QC-5.04",
        Suite::Bulk,
        "訪問診療等 bulk check by consent date (OQSmuhvq)",
        "The SUT runs the 訪問診療等 bulk check for the consents of this month up to today: an OQSmuhvq01req_ with ConsentDateFrom/To and MedicalTreatmentFlag 2, then OQSmuhvq02req_ downloads (the first answered SegmentOfResult 2) until the answer; it lists every unit (valid-kouki consented on 2026-11-10) with the qualification the unit gives.",
        rules![
            "BULK-CRITERIA",
            "POLL-RETRY",
            "POLL-LIMITS",
            "BULK-UNITS",
            "RES-VALID"
        ],
    ),
    Case::new(
        "QC-5.05",
        Suite::Bulk,
        "オンライン診療等 bulk check by examination date (OQSmuonq)",
        "As QC-5.04 for オンライン診療等 by 診察日: OQSmuonq01req_ with ExaminationDateFrom/To and MedicalTreatmentFlag 3; the answer lists elderly-70-74 (examined on 2026-11-13).",
        rules![
            "BULK-CRITERIA",
            "POLL-RETRY",
            "POLL-LIMITS",
            "BULK-UNITS",
            "RES-VALID"
        ],
    ),
    Case::new(
        "QC-5.06",
        Suite::Bulk,
        "医療扶助 bulk check by treatment month (OQSmutic)",
        "The SUT runs the 医療扶助 bulk check for this month: OQSmutic01req_ with MedicalTreatmentMonth; the answer lists the clinic's 医療扶助 recipients (medical-aid) with InsuredCardClassification A1 and their 医療券; the SUT shows the 公費負担者番号, the 保険者証区分 and the number of tickets each unit carries.",
        rules![
            "BULK-CRITERIA",
            "POLL-RETRY",
            "POLL-LIMITS",
            "BULK-UNITS",
            "RES-VALID"
        ],
    ),
    Case::new(
        "QC-6.01",
        Suite::Webapi,
        "Web API: login, then search",
        "The SUT checks valid-shaho-honnin over the Web API: it logs in, sends the idToken raw in Authorization, posts {\"XmlMsg\": …} with the card's keys, and records the valid result.",
        &[
            "WEBAPI-AUTH",
            "WEBAPI-BODY",
            "HDR-DATE",
            "HDR-MIC",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "NO-MYNUMBER",
            "RES-VALID",
        ],
    ),
    Case::new(
        "QC-7.01",
        Suite::Consent,
        "No 限度額 information without consent",
        "A patient with a 限度額適用認定証 (limit-certificate) does not consent: the request has LimitApplicationCertificateRelatedConsFlg 0, the result carries no 限度額 information, and the SUT shows no 区分.",
        rules![
            "HDR-DATE",
            "KEY-CARD",
            "CONSENT-LIMIT",
            "RES-VALID",
            "KEY-INSURER",
            "KEY-BRANCH"
        ],
    ),
    Case::new(
        "QC-7.02",
        Suite::Consent,
        "限度額 information with consent",
        "The same patient consents: the request has LimitApplicationCertificateRelatedConsFlg 1 and the SUT shows the 区分 the result carries.",
        rules![
            "HDR-DATE",
            "KEY-CARD",
            "CONSENT-LIMIT",
            "RES-VALID",
            "KEY-INSURER",
            "KEY-BRANCH"
        ],
    ),
    Case::new(
        "QC-7.03",
        Suite::Consent,
        "Drug information only with consent",
        "Two visits of valid-kokuho. First the patient consents to 薬剤情報 at the reader: the SUT takes in the face file (PharmacistsInfoConsFlg 1) and, when the doctor opens the drug history, sends a YZKsiquc01req_ with the card's keys under the names of §2.6, a FileCategory 1–4 and a yyyyMM period not after this month, and shows the drug lines the result carries (counted from the result). At the second visit the patient refuses: the SUT sends nothing, or gets the SegmentOfResult 9 refusal and shows its message, and shows no drug information — not even the first visit's.",
        rules![
            "FACE-CONSUME",
            "FACE-RECORD",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "MEDINFO-REQUEST",
            "MEDINFO-RESULT",
            "CONSENT-DRUG"
        ],
    ),
    Case::new(
        "QC-7.04",
        Suite::Consent,
        "Checkup information only with consent",
        "As QC-7.03 for 特定健診情報: with SpecificHealthCheckupsInfoConsFlg 1 the SUT sends a TKKsiquc01req_ (FileCategory 1 or 2) and shows the checkups the result carries; after the patient refuses at the next visit it shows none.",
        rules![
            "FACE-CONSUME",
            "FACE-RECORD",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "MEDINFO-REQUEST",
            "MEDINFO-RESULT",
            "CONSENT-CHECKUP"
        ],
    ),
];

impl Case {
    /// A runnable case.
    const fn new(
        id: &'static str,
        suite: Suite,
        title: &'static str,
        description: &'static str,
        rules: &'static [&'static str],
    ) -> Case {
        Case {
            id,
            suite,
            title,
            description,
            rules,
            pending: None,
        }
    }
}

/// The case with this id.
pub fn case(id: &str) -> Option<&'static Case> {
    CASES.iter().find(|c| c.id == id)
}

/// Whether `selector` (a case id or a suite name) selects `case`.
pub fn selects(selector: &str, case: &Case) -> bool {
    selector == case.id || selector == case.suite.name()
}

/// Whether `selector` names a case or a suite.
pub fn known_selector(selector: &str) -> bool {
    case(selector).is_some() || Suite::ALL.iter().any(|s| s.name() == selector)
}
