//! The catalogue: every case with its stable id, suite, title, description and the rules it
//! checks. Ids are never reused; a retired case keeps its id out of use. [`SUITE_VERSION`] changes
//! whenever a case is added, removed or checks something new.

use serde::Serialize;

/// The version of the case catalogue, recorded in every report.
pub const SUITE_VERSION: &str = "2026.12-2";

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
    Case {
        id: "QC-1.01",
        suite: Suite::Single,
        title: "Valid 社保 本人 by insurance card",
        description: "A 協会けんぽ member (valid-shaho-honnin) hands over the insurance card. The SUT writes one OQSsiquc01req_ request with the card's keys; the terminal answers QualificationValidity 1; the SUT records the qualification the result names.",
        rules: rules![
            "HDR-DATE",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "RES-VALID",
            "RES-CORRELATE"
        ],
        pending: None,
    },
    Case {
        id: "QC-1.02",
        suite: Suite::Single,
        title: "Family member with 枝番 02",
        description: "A child on a parent's 協会けんぽ (valid-shaho-kazoku) whose card prints 枝番 2: the request carries InsuredBranchNumber 02; the result is recorded as valid.",
        rules: rules![
            "HDR-DATE",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "RES-VALID"
        ],
        pending: None,
    },
    Case {
        id: "QC-1.03",
        suite: Suite::Single,
        title: "Old card after a job change: validity 3 with the new insurer",
        description: "A patient who changed jobs on 2026-10-01 shows the old card (probe lapsed-job-change-old-card). The terminal answers QualificationValidity 3 with the new qualification; the SUT records the patient as not valid on the old card and shows the new insurer.",
        rules: rules![
            "HDR-DATE",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "RES-INVALID"
        ],
        pending: None,
    },
    Case {
        id: "QC-1.04",
        suite: Suite::Single,
        title: "Lost qualification: validity 2",
        description: "A patient whose qualification was lost on 2026-09-16 with nothing newer (lapsed-no-new): QualificationValidity 2, recorded as not valid.",
        rules: rules![
            "HDR-DATE",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "RES-INVALID"
        ],
        pending: None,
    },
    Case {
        id: "QC-1.05",
        suite: Suite::Single,
        title: "No such qualification: validity 4",
        description: "Keys nobody has (probe not-found): QualificationValidity 4, recorded as not found, never as valid.",
        rules: rules![
            "HDR-DATE",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "RES-INVALID"
        ],
        pending: None,
    },
    Case {
        id: "QC-1.06",
        suite: Suite::Single,
        title: "後期高齢者医療 1割, no 記号",
        description: "A 後期高齢 member (valid-kouki) whose card has no 記号: the request leaves InsuredCardSymbol out; the SUT records the burden ratio 010 the result gives and the name with 髙.",
        rules: rules![
            "HDR-DATE",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "RES-VALID"
        ],
        pending: None,
    },
    Case {
        id: "QC-1.07",
        suite: Suite::Single,
        title: "Two patients in a row are not mixed up",
        description: "Two patients (valid-shaho-honnin, elderly-70-74) are checked one after the other: each request has its own name and ArbitraryFileIdentifier, and each patient gets the result of their own request.",
        rules: rules!["HDR-DATE", "KEY-CARD", "RES-VALID", "RES-CORRELATE"],
        pending: None,
    },
    Case {
        id: "QC-1.08",
        suite: Suite::Single,
        title: "Twins without 枝番: validity 5",
        description: "Keys that fit two persons (twins on one card without 枝番; probe multiple-matches): QualificationValidity 5 with one result per person; the SUT asks staff to pick, never records either as valid.",
        rules: rules!["HDR-DATE", "KEY-INSURER", "KEY-CARD", "RES-INVALID"],
        pending: None,
    },
    Case {
        id: "QC-2.01",
        suite: Suite::Encoding,
        title: "記号 in kanji and a 6-digit 国保 number; Shift_JIS result",
        description: "A 市町村国保 member (valid-kokuho, 記号 千代, insurer 131011): the request's bytes match its declaration, InsurerNumber is padded to 8 characters; the Shift_JIS result's kanji name and half-width kana are read intact.",
        rules: rules![
            "HDR-DATE",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "RES-VALID",
            "RES-ENCODING"
        ],
        pending: None,
    },
    Case {
        id: "QC-2.02",
        suite: Suite::Encoding,
        title: "UTF-8 result",
        description: "The terminal is set to write UTF-8 results (CharacterCodeIdentifier 0): the SUT decodes by the declaration, and the name and kana come out intact.",
        rules: rules!["HDR-DATE", "KEY-CARD", "RES-VALID", "RES-ENCODING"],
        pending: None,
    },
    Case {
        id: "QC-3.01",
        suite: Suite::Errors,
        title: "Request rejected with an .err file",
        description: "The terminal rejects the request: it reappears in res/ beside an .err file. The SUT shows the .err code and records nothing as checked.",
        rules: rules!["HDR-DATE", "KEY-CARD", "RES-ERR"],
        pending: None,
    },
    Case {
        id: "QC-3.02",
        suite: Suite::Errors,
        title: "Maintenance: SegmentOfResult 9",
        description: "The terminal is in a maintenance window and answers SegmentOfResult 9 with ErrorCode and ErrorMessage; the SUT shows them and records no eligibility.",
        rules: rules!["HDR-DATE", "KEY-CARD", "RES-SEG9"],
        pending: None,
    },
    Case {
        id: "QC-3.03",
        suite: Suite::Errors,
        title: "Slow terminal",
        description: "The terminal answers only after --slow-ms (1.5 s by default): the SUT waits for the result without asking again and records it.",
        rules: rules!["HDR-DATE", "KEY-CARD", "POLL-WAIT", "RES-VALID"],
        pending: None,
    },
    Case {
        id: "QC-3.04",
        suite: Suite::Errors,
        title: "Mistyped insurer number: ProcessingResultStatus 2",
        description: "The patient's insurer number fails its 検証番号 (probe check-digit-error): the result has ProcessingResultStatus 2 with a ProcessingResultCode; the SUT shows the code and records nothing as valid.",
        rules: rules!["HDR-DATE", "KEY-CARD", "RES-STATUS"],
        pending: None,
    },
    Case {
        id: "QC-4.01",
        suite: Suite::Face,
        title: "Face file taken in once, then removed",
        description: "A patient (valid-kokuho) checks in at the face-auth reader; the terminal writes a face file. Asked to read face/, the SUT takes it in (validity, insurer, name), removes or moves it, and does not take it in again on the next read.",
        rules: &["FACE-CONSUME", "FACE-ONCE", "FACE-RECORD"],
        pending: None,
    },
    Case {
        id: "QC-4.02",
        suite: Suite::Face,
        title: "Face file with 限度額 consent",
        description: "A patient with a 限度額適用認定証 (limit-certificate) consents to 限度額 at the reader: the face file carries LimitApplicationCertificateRelatedInfo and the SUT records its 区分.",
        rules: &["FACE-CONSUME", "FACE-RECORD", "CONSENT-LIMIT"],
        pending: None,
    },
    Case {
        id: "QC-5.01",
        suite: Suite::Bulk,
        title: "Tomorrow's bulk check: processing, then results",
        description: "The SUT runs the bulk check for three of tomorrow's patients (valid-shaho-honnin, valid-kokuho, lapsed-no-new): one OQSmuquc01req_ with a unit and ArbitraryIdentifier per patient, then OQSmuquc02req_ with the ReceptionNumber. The first download is answered SegmentOfResult 2; the SUT asks again after a pause, stops after the answer, and records each patient's unit.",
        rules: rules![
            "HDR-DATE",
            "KEY-INSURER",
            "KEY-BRANCH",
            "KEY-CARD",
            "BULK-UNITS",
            "POLL-RETRY",
            "POLL-LIMITS",
            "RES-INVALID"
        ],
        pending: None,
    },
    Case {
        id: "QC-5.02",
        suite: Suite::Bulk,
        title: "照会番号 registered, then carried by a single check",
        description: "The SUT registers its chart number as 照会番号 for valid-shaho-honnin (OQSsiimm01req_); a later check of the patient gets a result with ReferenceNumber, which the SUT records.",
        rules: rules!["HDR-DATE", "KEY-CARD", "IMM-REQUEST", "IMM-RESULT"],
        pending: None,
    },
    Case {
        id: "QC-5.03",
        suite: Suite::Bulk,
        title: "照会番号 in a face file finds the patient",
        description: "After registering a 照会番号 for valid-kokuho, the patient checks in at the reader: the face file carries ReferenceNumber, and the SUT records the face result against it.",
        rules: &[
            "FILE-NAME",
            "FILE-ATOMIC",
            "ENC-DECL",
            "IMM-REQUEST",
            "IMM-RESULT",
            "FACE-CONSUME",
            "FACE-RECORD",
        ],
        pending: None,
    },
    Case {
        id: "QC-6.01",
        suite: Suite::Webapi,
        title: "Web API: login, then search",
        description: "The SUT checks valid-shaho-honnin over the Web API: it logs in, sends the idToken raw in Authorization, posts {\"XmlMsg\": …} with the card's keys, and records the valid result.",
        rules: &[
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
        pending: None,
    },
    Case {
        id: "QC-7.01",
        suite: Suite::Consent,
        title: "No 限度額 information without consent",
        description: "A patient with a 限度額適用認定証 (limit-certificate) does not consent: the request has LimitApplicationCertificateRelatedConsFlg 0, the result carries no 限度額 information, and the SUT shows no 区分.",
        rules: rules!["HDR-DATE", "KEY-CARD", "CONSENT-LIMIT", "RES-VALID"],
        pending: None,
    },
    Case {
        id: "QC-7.02",
        suite: Suite::Consent,
        title: "限度額 information with consent",
        description: "The same patient consents: the request has LimitApplicationCertificateRelatedConsFlg 1 and the SUT shows the 区分 the result carries.",
        rules: rules!["HDR-DATE", "KEY-CARD", "CONSENT-LIMIT", "RES-VALID"],
        pending: None,
    },
    Case {
        id: "QC-7.03",
        suite: Suite::Consent,
        title: "Drug information only with consent",
        description: "Without a 薬剤 consent at the reader the SUT neither requests (YZKsiquc01req_) nor shows drug information; with one, it requests it within PharmacistsInfoAvailableTime.",
        rules: &["CONSENT-DRUG"],
        pending: Some(
            "needs drug information (YZK) in the simulator: being built on branch medinfo",
        ),
    },
    Case {
        id: "QC-7.04",
        suite: Suite::Consent,
        title: "Checkup information only with consent",
        description: "Without a 特定健診 consent the SUT neither requests (TKKsiquc01req_) nor shows checkup information; with one, it requests it within SpecificHealthCheckupsInfoAvailableTime.",
        rules: &["CONSENT-CHECKUP"],
        pending: Some(
            "needs checkup information (TKK) in the simulator: being built on branch medinfo",
        ),
    },
];

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
