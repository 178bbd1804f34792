//! Steps that send the other requests a clinic system sends: the bulk 一括照会 upload and its
//! download, a 照会番号 registration, and a check through the Web API.
//!
//! ```yaml
//!   - bulk: [valid-shaho-honnin, lapsed-no-new]      # OQSmuquc01req_: one person each; also { persons: […], name:, date: }
//!   - expect-result: { SegmentOfResult: "1", ReceptionNumber: "20261125000000000001" }
//!   - bulk-result: last                              # OQSmuquc02req_ with the last upload's ReceptionNumber
//!   - expect-result: { ProcessingResultStatus: "2" } # still 処理中
//!   - register-reference: { person: valid-kokuho, number: "K-0001" }   # OQSsiimm01req_
//!   - webapi: { person: valid-shaho-honnin }         # login, then search with the idToken
//!   - expect-result: { QualificationValidity: "1" }  # fields of the JSON answer
//! ```
//!
//! Each answer is the "last answer" the next `expect-result` / `expect-error` / `expect-nothing`
//! checks, as for a `drop`.

use chrono::NaiveDate;

/// A bulk upload (`OQSmuquc01req_`) for listed persons or probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkUpload {
    /// Person or probe ids, in order (one `QualificationConfirmSearchInfo` each).
    pub persons: Vec<String>,
    /// The file name (default `OQSmuquc01req_<clock><step>.xml`).
    pub name: Option<String>,
    /// `QualificationConfirmationDate` (default: the clock's date).
    pub date: Option<NaiveDate>,
}

/// Which 受付番号 a bulk download asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reception {
    /// The one answered to the last `bulk` step.
    Last,
    /// This one.
    Number(String),
}

/// A bulk download (`OQSmuquc02req_`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkDownload {
    /// The 受付番号.
    pub reception: Reception,
    /// The file name (default `OQSmuquc02req_<clock><step>.xml`).
    pub name: Option<String>,
}

/// A 照会番号 registration (`OQSsiimm01req_`) for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceRegistration {
    /// The person (or probe) whose card keys are sent.
    pub person: String,
    /// The 照会番号 to store.
    pub number: String,
    /// The file name (default `OQSsiimm01req_<clock><step>.xml`).
    pub name: Option<String>,
    /// `QualificationConfirmationDate` (default: the clock's date).
    pub date: Option<NaiveDate>,
}

/// A qualification check through the Web API: login, then search with the idToken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebApiCheck {
    /// The person (or probe) whose card keys are searched.
    pub person: String,
    /// `QualificationConfirmationDate` (default: the clock's date).
    pub date: Option<NaiveDate>,
    /// `LimitApplicationCertificateRelatedConsFlg` 1.
    pub limit_consent: bool,
}
