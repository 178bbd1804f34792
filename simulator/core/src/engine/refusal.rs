//! Header-level refusals: `SegmentOfResult` 9 with the catalogue's `ErrorCode` and
//! `ErrorMessage`, the same way in every result that has them (single check, bulk upload and
//! download, 照会番号 registration).

use sim_messages::ErrorKey;
use sim_messages::codes::SegmentOfResult;
use sim_messages::imm::ReferenceNumberResultHeader;
use sim_messages::muquc::{BulkDownloadResultHeader, BulkUploadResultHeader};
use sim_messages::siquc01::ResultHeader;

use super::{EngineConfig, OutcomeSummary};

/// A result header with `SegmentOfResult`, `ErrorCode` and `ErrorMessage`.
pub(super) trait RefusableHeader {
    /// Sets `SegmentOfResult` 9 with this code and message.
    fn set_refusal(&mut self, code: String, message: String);
}

macro_rules! refusable_headers {
    ($($header:ty),* $(,)?) => {$(
        impl RefusableHeader for $header {
            fn set_refusal(&mut self, code: String, message: String) {
                self.segment_of_result = SegmentOfResult::Abnormal.code().to_owned();
                self.error_code = Some(code);
                self.error_message = Some(message);
            }
        }
    )*};
}

refusable_headers!(
    ResultHeader,
    BulkUploadResultHeader,
    BulkDownloadResultHeader,
    ReferenceNumberResultHeader,
);

/// Refuses with the catalogue entry for `key`; returns the code (for the journal and logs).
pub(super) fn refuse(
    cfg: &EngineConfig,
    key: ErrorKey,
    header: &mut impl RefusableHeader,
) -> String {
    let entry = cfg.catalogue.get(key);
    header.set_refusal(entry.code.clone(), entry.message);
    entry.code
}

impl OutcomeSummary {
    /// Records a header-level refusal with `code`.
    pub(super) fn refused(&mut self, code: String) {
        self.segment_of_result = Some(SegmentOfResult::Abnormal.code().to_owned());
        self.code = Some(code);
    }
}
