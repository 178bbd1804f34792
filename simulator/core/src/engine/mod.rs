//! The engine: a request file (name and bytes) in, the terminal's answer out — a result document
//! for `res/`, or the rejection (`.err`) a terminal gives a file it cannot process.
//!
//! Three levels of error, as the interface has them:
//! - the file cannot be processed (not XML, wrong root, unknown prefix, missing required element,
//!   encoding contradicting the declaration, too large): [`FileOutcome::Rejected`];
//! - the header is wrong (bad date, bad 医療機関コード): `SegmentOfResult` 9 with `ErrorCode`;
//! - the person's keys are wrong: `ProcessingResultStatus` 2 with `ProcessingResultCode`.
//!
//! Codes and messages come from the [`ErrorCatalogue`]. Nothing here reads the clock: `now` (Japan
//! local time) is a parameter.
//!
//! Bulk checks ([`bulk`]: `OQSmuquc01/02`) and 照会番号 registration (`OQSsiimm01`, `OQSmuimm01`)
//! need memory across requests: [`Engine::handle_file_with`] takes it as [`Stores`] (traits the
//! server implements over SQLite; [`MemoryStores`] for tests).

mod aid;
pub mod bulk;
mod card_check;
mod criteria;
pub mod medical;
mod reference;
mod refusal;
mod result_item;
mod single;
pub mod stores;

use chrono::NaiveDateTime;
use sim_messages::file_name::{FileNameError, RequestFileName, err_file_name};
use sim_messages::siquc01::{QualificationConfirmRequest, QualificationConfirmResult};
use sim_messages::xml::{self, ReadError, XmlStyle};
use sim_messages::{ErrorCatalogue, ErrorKey, MessageKind, TextEncoding};

use crate::population::Population;
pub use bulk::{BulkConfig, ReferencePlacement};
pub use card_check::{CardCheck, CardConsents, ConsentWindow};
pub use medical::MedicalConfig;
pub use stores::{
    BulkJobs, MemoryStores, NoStores, ReferenceNumbers, StoreError, Stores, TreatmentConsent,
    TreatmentConsents, TreatmentForm,
};

/// What `InsuredPartialContributionRatio` is reported for. The reconstructed layout only shows it
/// on 後期高齢 results; whether the real terminal fills it for others is not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartialRatio {
    /// Every result.
    Always,
    /// 後期高齢者医療 results only.
    KoukiOnly,
}

/// What `ResultList` holds when the result is 3 無効（新しい資格あり）.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewerResults {
    /// The qualification valid on the date only.
    Current,
    /// The searched (lost) qualification, then the current one.
    SearchedAndCurrent,
}

/// Engine settings. Defaults are those of `default-config.toml`.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Encoding of result and `.err` files (`CharacterCodeIdentifier`).
    pub result_encoding: TextEncoding,
    /// Layout of result documents.
    pub style: XmlStyle,
    /// Codes and messages.
    pub catalogue: ErrorCatalogue,
    /// `ProcessingResultStatus` of a 4 該当資格なし result (1 normal, or 2 error).
    pub not_found_is_error: bool,
    /// Refuse insurer numbers whose 検証番号 is wrong (`ProcessingResultStatus` 2).
    pub enforce_check_digit: bool,
    /// Accept a `QualificationConfirmationDate` after today.
    pub allow_future_date: bool,
    /// Content of `ResultList` for validity 3.
    pub newer_results: NewerResults,
    /// When `InsuredPartialContributionRatio` is written.
    pub partial_ratio: PartialRatio,
    /// Requests larger than this are rejected.
    pub max_request_bytes: usize,
    /// Content of `.err` files; `{code}`, `{message}`, `{detail}` and `{file}` are replaced.
    pub err_template: String,
    /// Bulk checks (`OQSmuquc01/02`): limits and processing time.
    pub bulk: BulkConfig,
    /// Longest 照会番号 accepted by `OQSsiimm01` / `OQSmuimm01`, in characters \[I\].
    pub reference_number_max_chars: usize,
    /// 薬剤情報 / 特定健診情報 windows.
    pub medical: MedicalConfig,
    /// 医療扶助: where tickets are issued.
    pub medical_aid: crate::medical_aid::MedicalAidConfig,
    /// Texts of the claim re-routing notices ([`crate::claims`]).
    pub claim_notices: crate::claims::NoticeTexts,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            result_encoding: TextEncoding::ShiftJis,
            style: XmlStyle::default(),
            catalogue: ErrorCatalogue::mock(),
            not_found_is_error: false,
            enforce_check_digit: true,
            allow_future_date: false,
            newer_results: NewerResults::Current,
            partial_ratio: PartialRatio::Always,
            max_request_bytes: 16 * 1024 * 1024,
            err_template: "{code} {message}\r\n{detail}\r\n".to_owned(),
            bulk: BulkConfig::default(),
            reference_number_max_chars: 20,
            medical: MedicalConfig::default(),
            medical_aid: crate::medical_aid::MedicalAidConfig::default(),
            claim_notices: crate::claims::NoticeTexts::default(),
        }
    }
}

/// Whether `code` has the shape of a 医療機関コード: 10 ASCII digits (都道府県 2, 点数表 1, then 7).
pub fn is_medical_institution_code(code: &str) -> bool {
    code.len() == 10 && code.bytes().all(|b| b.is_ascii_digit())
}

/// What the journal keeps of an exchange.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutcomeSummary {
    /// The message type, when the name was recognised.
    pub kind: Option<MessageKind>,
    /// 医療機関コード of the request.
    pub medical_institution_code: Option<String>,
    /// 任意のファイル識別子 of the request.
    pub arbitrary_file_identifier: Option<String>,
    /// SegmentOfResult of the result.
    pub segment_of_result: Option<String>,
    /// ProcessingResultStatus of the result.
    pub processing_result_status: Option<String>,
    /// QualificationValidity of the result.
    pub qualification_validity: Option<String>,
    /// The error or processing-result code, if any.
    pub code: Option<String>,
    /// Why the file was rejected, for `.err` outcomes.
    pub rejection: Option<String>,
}

/// The answer to a request file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// A result document to write to `res/`.
    Answered {
        /// File name in `res/`.
        result_name: String,
        /// The document bytes.
        bytes: Vec<u8>,
        /// For the journal.
        summary: OutcomeSummary,
    },
    /// The request is moved to `res/` with an `.err` file beside it.
    Rejected {
        /// File name of the `.err` file.
        err_name: String,
        /// Its content.
        bytes: Vec<u8>,
        /// For the journal.
        summary: OutcomeSummary,
    },
}

impl FileOutcome {
    /// The journal summary.
    pub fn summary(&self) -> &OutcomeSummary {
        match self {
            FileOutcome::Answered { summary, .. } | FileOutcome::Rejected { summary, .. } => {
                summary
            }
        }
    }
}

/// A request the terminal cannot process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The situation.
    pub key: ErrorKey,
    /// What exactly is wrong.
    pub detail: String,
}

impl Rejection {
    fn new(key: ErrorKey, detail: impl Into<String>) -> Rejection {
        Rejection {
            key,
            detail: detail.into(),
        }
    }

    fn from_read(e: &ReadError) -> Rejection {
        let key = match e {
            ReadError::Encoding(sim_messages::encoding::DecodeError::Empty) => ErrorKey::FileEmpty,
            ReadError::Encoding(_) => ErrorKey::FileEncoding,
            ReadError::NotXml { .. } | ReadError::Doctype => ErrorKey::FileNotXml,
            ReadError::WrongRoot { .. } => ErrorKey::FileWrongRoot,
            ReadError::MissingElement(_) => ErrorKey::FileMissingElement,
            _ => ErrorKey::FileStructure,
        };
        Rejection::new(key, e.to_string())
    }
}

/// The eligibility engine. Cheap to share between threads.
#[derive(Debug, Clone, Default)]
pub struct Engine {
    config: EngineConfig,
}

impl Engine {
    /// An engine with these settings.
    pub fn new(config: EngineConfig) -> Engine {
        Engine { config }
    }

    /// The settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Answers the request file `name` whose content is `bytes`, without stores: bulk and
    /// 照会番号 requests are rejected as unsupported, and results carry no `ReferenceNumber`.
    pub fn handle_file(
        &self,
        pop: &Population,
        name: &str,
        bytes: &[u8],
        now: NaiveDateTime,
    ) -> FileOutcome {
        match self.handle_file_with(pop, Stores::none(), name, bytes, now) {
            Ok(outcome) => outcome,
            Err(e) => {
                let kind = RequestFileName::parse(name).ok().map(|p| p.kind);
                self.reject(
                    name,
                    kind,
                    Rejection::new(ErrorKey::FileUnsupported, e.to_string()),
                )
            }
        }
    }

    /// Answers the request file `name` whose content is `bytes`, with the bulk jobs and 照会番号
    /// registrations of `stores`. A store failure is an error: the request is not answered (the
    /// caller leaves it for a retry), and nothing was half-answered.
    pub fn handle_file_with(
        &self,
        pop: &Population,
        stores: Stores<'_>,
        name: &str,
        bytes: &[u8],
        now: NaiveDateTime,
    ) -> Result<FileOutcome, StoreError> {
        let parsed = match RequestFileName::parse(name) {
            Ok(parsed) => parsed,
            Err(e) => {
                let key = match e {
                    FileNameError::UnknownPrefix(_) | FileNameError::NotARequestName(_) => {
                        ErrorKey::FileUnknownPrefix
                    }
                    _ => ErrorKey::FileUnknownPrefix,
                };
                return Ok(self.reject(name, None, Rejection::new(key, e.to_string())));
            }
        };
        if bytes.len() > self.config.max_request_bytes {
            let detail = format!(
                "the file has {} bytes; the limit is {}",
                bytes.len(),
                self.config.max_request_bytes
            );
            return Ok(self.reject(
                name,
                Some(parsed.kind),
                Rejection::new(ErrorKey::FileTooLarge, detail),
            ));
        }
        let answered = |bytes: Vec<u8>, summary: OutcomeSummary| FileOutcome::Answered {
            result_name: parsed.result_name(),
            bytes,
            summary,
        };
        let outcome = match parsed.kind {
            MessageKind::BulkQualificationUpload => {
                match bulk::upload(self, stores, parsed.kind, name, bytes, now)? {
                    Ok((doc, summary)) => answered(self.write_any(&doc), summary),
                    Err(rejection) => self.reject(name, Some(parsed.kind), rejection),
                }
            }
            MessageKind::HomeVisitUpload
            | MessageKind::OnlineUpload
            | MessageKind::MedicalAidUpload => {
                match criteria::upload(self, pop, stores, parsed.kind, name, bytes, now)? {
                    Ok((doc, summary)) => answered(self.write_any(&doc), summary),
                    Err(rejection) => self.reject(name, Some(parsed.kind), rejection),
                }
            }
            MessageKind::BulkQualificationDownload
            | MessageKind::HomeVisitDownload
            | MessageKind::OnlineDownload
            | MessageKind::MedicalAidDownload => {
                let upload_kind = match parsed.kind {
                    MessageKind::HomeVisitDownload => MessageKind::HomeVisitUpload,
                    MessageKind::OnlineDownload => MessageKind::OnlineUpload,
                    MessageKind::MedicalAidDownload => MessageKind::MedicalAidUpload,
                    _ => MessageKind::BulkQualificationUpload,
                };
                match bulk::download(self, pop, stores, parsed.kind, upload_kind, bytes, now)? {
                    Ok((doc, summary)) if self.config.bulk.zip_results => {
                        bulk::zipped(&parsed, self.write_any(&doc), summary)
                    }
                    Ok((doc, summary)) => answered(self.write_any(&doc), summary),
                    Err(rejection) => self.reject(name, Some(parsed.kind), rejection),
                }
            }
            MessageKind::ReferenceNumberSingle | MessageKind::ReferenceNumberBulk => {
                match reference::register(self, pop, stores.references, parsed.kind, bytes, now)? {
                    Ok((doc, summary)) => answered(self.write_any(&doc), summary),
                    Err(rejection) => self.reject(name, Some(parsed.kind), rejection),
                }
            }
            MessageKind::SingleQualification => {
                // The one-pass reader: the same outcome as `read_document`, a fifth of the cost.
                let read = sim_messages::siquc01::read_request(bytes)
                    .map_err(|e| Rejection::from_read(&e))
                    .and_then(|(request, _)| {
                        self.single_check_with_consents(
                            pop,
                            stores.references,
                            stores.reader_consents,
                            &request,
                            now,
                        )
                    });
                match read {
                    Ok((result, mut summary)) => {
                        summary.kind = Some(parsed.kind);
                        FileOutcome::Answered {
                            result_name: parsed.result_name(),
                            bytes: self.write(&result),
                            summary,
                        }
                    }
                    Err(rejection) => self.reject(name, Some(parsed.kind), rejection),
                }
            }
            MessageKind::DrugInformation | MessageKind::CheckupInformation => {
                medical::answer(self, pop, stores, &parsed, bytes, now)?
            }
            other => {
                let detail = format!(
                    "{}req_ requests are part of the interface but not implemented by this simulator yet",
                    other.prefix()
                );
                self.reject(
                    name,
                    Some(other),
                    Rejection::new(ErrorKey::FileUnsupported, detail),
                )
            }
        };
        Ok(outcome)
    }

    /// Reads and answers a single-check request document.
    pub fn single_check_bytes(
        &self,
        pop: &Population,
        bytes: &[u8],
        now: NaiveDateTime,
    ) -> Result<(QualificationConfirmResult, OutcomeSummary), Rejection> {
        self.single_check_bytes_with(pop, &NoStores, bytes, now)
    }

    /// [`Engine::single_check_bytes`] with the facility's 照会番号 from `references`.
    pub fn single_check_bytes_with(
        &self,
        pop: &Population,
        references: &dyn ReferenceNumbers,
        bytes: &[u8],
        now: NaiveDateTime,
    ) -> Result<(QualificationConfirmResult, OutcomeSummary), Rejection> {
        let (request, _) =
            sim_messages::siquc01::read_request(bytes).map_err(|e| Rejection::from_read(&e))?;
        self.single_check_with(pop, references, &request, now)
    }

    /// Answers a single-check request (from a file, XML over HTTP, or the Web API's JSON).
    pub fn single_check(
        &self,
        pop: &Population,
        request: &QualificationConfirmRequest,
        now: NaiveDateTime,
    ) -> Result<(QualificationConfirmResult, OutcomeSummary), Rejection> {
        self.single_check_with(pop, &NoStores, request, now)
    }

    /// [`Engine::single_check`] with the facility's 照会番号 from `references`.
    pub fn single_check_with(
        &self,
        pop: &Population,
        references: &dyn ReferenceNumbers,
        request: &QualificationConfirmRequest,
        now: NaiveDateTime,
    ) -> Result<(QualificationConfirmResult, OutcomeSummary), Rejection> {
        self.single_check_with_consents(pop, references, &NoStores, request, now)
    }

    /// [`Engine::single_check_with`], also showing 限度額 data when the patient's latest answers at
    /// this facility's reader consented to it and are still valid (`consents`).
    pub fn single_check_with_consents(
        &self,
        pop: &Population,
        references: &dyn ReferenceNumbers,
        consents: &dyn crate::medical::ConsentRecords,
        request: &QualificationConfirmRequest,
        now: NaiveDateTime,
    ) -> Result<(QualificationConfirmResult, OutcomeSummary), Rejection> {
        let checked = request.required().map_err(|e| Rejection::from_read(&e))?;
        let result = single::answer(self, pop, references, consents, &checked, now);
        let summary = summarize(&result);
        Ok((result, summary))
    }

    /// Answers a My Number Card check (照会区分 1) for the person behind a verified certificate,
    /// with the consent answers from the face-auth reader.
    pub fn card_check(
        &self,
        pop: &Population,
        references: &dyn ReferenceNumbers,
        check: &CardCheck<'_>,
        now: NaiveDateTime,
    ) -> (QualificationConfirmResult, OutcomeSummary) {
        let result = card_check::answer(self, pop, references, check, now);
        let summary = summarize(&result);
        (result, summary)
    }

    /// Serializes a result document in the configured encoding and style.
    pub fn write(&self, result: &QualificationConfirmResult) -> Vec<u8> {
        // Serializing plain string structs cannot fail; an empty document would be a bug.
        xml::write_document(result, self.config.result_encoding, self.config.style)
            .unwrap_or_default()
    }

    /// Serializes any result document in the configured encoding and style.
    pub fn write_any<T: serde::Serialize>(&self, doc: &T) -> Vec<u8> {
        // Serializing plain string structs cannot fail; an empty document would be a bug.
        xml::write_document(doc, self.config.result_encoding, self.config.style).unwrap_or_default()
    }

    /// The content of the `.err` file for `rejection` of the request `name`.
    pub fn err_text(&self, name: &str, rejection: &Rejection) -> Vec<u8> {
        let entry = self.config.catalogue.get(rejection.key);
        let text = self
            .config
            .err_template
            .replace("{code}", &entry.code)
            .replace("{message}", &entry.message)
            .replace("{detail}", &rejection.detail)
            .replace("{file}", name);
        self.config.result_encoding.encode(&text).into_owned()
    }

    fn reject(&self, name: &str, kind: Option<MessageKind>, rejection: Rejection) -> FileOutcome {
        let entry = self.config.catalogue.get(rejection.key);
        FileOutcome::Rejected {
            err_name: err_file_name(name),
            bytes: self.err_text(name, &rejection),
            summary: OutcomeSummary {
                kind,
                code: Some(entry.code),
                rejection: Some(rejection.detail),
                ..OutcomeSummary::default()
            },
        }
    }
}

fn summarize(result: &QualificationConfirmResult) -> OutcomeSummary {
    let h = &result.header;
    let b = result.body.as_ref();
    OutcomeSummary {
        kind: None,
        medical_institution_code: h.medical_institution_code.clone(),
        arbitrary_file_identifier: h.arbitrary_file_identifier.clone(),
        segment_of_result: Some(h.segment_of_result.clone()),
        processing_result_status: b.map(|b| b.processing_result_status.clone()),
        qualification_validity: b.and_then(|b| b.qualification_validity.clone()),
        code: h
            .error_code
            .clone()
            .or_else(|| b.and_then(|b| b.processing_result_code.clone())),
        rejection: None,
    }
}

#[cfg(test)]
mod bulk_tests;
#[cfg(test)]
mod criteria_tests;
#[cfg(test)]
mod medical_tests;
#[cfg(test)]
mod tests;
