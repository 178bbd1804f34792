//! The file-name grammar of the shared folder:
//! `<KIND:3><SCOPE:2><FUNC:3><SEQ:2><req|res>_<suffix>.<ext>`, e.g. `OQSsiquc01req_202611250001.xml`.
//!
//! The result of a request has the request's name with the `req` of the prefix replaced by `res`;
//! the suffix and extension are kept byte for byte. A rejected request comes back into `res/`
//! under its own name, beside `<base>.err`.

/// The message types known to the interface, by file-name prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// `OQSsiquc01`: single qualification check (資格確認・個別照会).
    SingleQualification,
    /// `OQSmuquc01`: bulk qualification check, upload (一括照会 登録).
    BulkQualificationUpload,
    /// `OQSmuquc02`: bulk qualification check, download by reception number.
    BulkQualificationDownload,
    /// `OQSsiimm01`: register a 照会番号 for one person.
    ReferenceNumberSingle,
    /// `OQSmuimm01`: register 照会番号 in bulk.
    ReferenceNumberBulk,
    /// `OQSmuhvq01`: bulk check for 訪問診療等, upload.
    HomeVisitUpload,
    /// `OQSmuhvq02`: bulk check for 訪問診療等, download.
    HomeVisitDownload,
    /// `OQSmuonq01`: bulk check for オンライン診療等, upload.
    OnlineUpload,
    /// `OQSmuonq02`: bulk check for オンライン診療等, download.
    OnlineDownload,
    /// `OQSmutic01`: bulk 医療扶助 check, upload.
    MedicalAidUpload,
    /// `OQSmutic02`: bulk 医療扶助 check, download.
    MedicalAidDownload,
    /// `YZKsiquc01`: drug information (薬剤情報).
    DrugInformation,
    /// `TKKsiquc01`: specific health checkup information (特定健診情報).
    CheckupInformation,
    /// `CIPsiquc01`: clinical information (臨床情報).
    ClinicalInformation,
}

impl MessageKind {
    /// Every kind, in declaration order.
    pub const ALL: [MessageKind; 14] = [
        MessageKind::SingleQualification,
        MessageKind::BulkQualificationUpload,
        MessageKind::BulkQualificationDownload,
        MessageKind::ReferenceNumberSingle,
        MessageKind::ReferenceNumberBulk,
        MessageKind::HomeVisitUpload,
        MessageKind::HomeVisitDownload,
        MessageKind::OnlineUpload,
        MessageKind::OnlineDownload,
        MessageKind::MedicalAidUpload,
        MessageKind::MedicalAidDownload,
        MessageKind::DrugInformation,
        MessageKind::CheckupInformation,
        MessageKind::ClinicalInformation,
    ];

    /// The 10-character prefix before `req`/`res`.
    pub fn prefix(self) -> &'static str {
        match self {
            MessageKind::SingleQualification => "OQSsiquc01",
            MessageKind::BulkQualificationUpload => "OQSmuquc01",
            MessageKind::BulkQualificationDownload => "OQSmuquc02",
            MessageKind::ReferenceNumberSingle => "OQSsiimm01",
            MessageKind::ReferenceNumberBulk => "OQSmuimm01",
            MessageKind::HomeVisitUpload => "OQSmuhvq01",
            MessageKind::HomeVisitDownload => "OQSmuhvq02",
            MessageKind::OnlineUpload => "OQSmuonq01",
            MessageKind::OnlineDownload => "OQSmuonq02",
            MessageKind::MedicalAidUpload => "OQSmutic01",
            MessageKind::MedicalAidDownload => "OQSmutic02",
            MessageKind::DrugInformation => "YZKsiquc01",
            MessageKind::CheckupInformation => "TKKsiquc01",
            MessageKind::ClinicalInformation => "CIPsiquc01",
        }
    }

    /// The kind whose prefix is `prefix`.
    pub fn from_prefix(prefix: &str) -> Option<MessageKind> {
        MessageKind::ALL.into_iter().find(|k| k.prefix() == prefix)
    }
}

/// A request file name, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFileName {
    /// The message type.
    pub kind: MessageKind,
    /// Everything after `req_` up to the extension, byte for byte.
    pub suffix: String,
    /// The extension without the dot, as written.
    pub extension: String,
}

/// Why a name is not a request file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FileNameError {
    /// The name does not have the `<prefix>req_` shape at all.
    #[error("{0:?} does not start with a request prefix such as OQSsiquc01req_")]
    NotARequestName(String),
    /// The shape is right but the prefix is not one of the interface's.
    #[error("unknown request prefix {0:?}")]
    UnknownPrefix(String),
    /// Requests are `.xml` files.
    #[error("request files must end in .xml, not {0:?}")]
    NotXml(String),
}

impl RequestFileName {
    /// Parses a request file name such as `OQSsiquc01req_20261125093012.xml`.
    pub fn parse(name: &str) -> Result<RequestFileName, FileNameError> {
        let (stem, extension) = match name.rsplit_once('.') {
            Some((stem, ext)) => (stem, ext),
            None => (name, ""),
        };
        let (prefix, rest) = match (stem.get(..10), stem.get(10..)) {
            (Some(p), Some(r)) if r.starts_with("req_") => (p, r),
            _ => return Err(FileNameError::NotARequestName(name.to_owned())),
        };
        let kind = MessageKind::from_prefix(prefix)
            .ok_or_else(|| FileNameError::UnknownPrefix(format!("{prefix}req_")))?;
        if !extension.eq_ignore_ascii_case("xml") {
            return Err(FileNameError::NotXml(extension.to_owned()));
        }
        Ok(RequestFileName {
            kind,
            suffix: rest["req_".len()..].to_owned(),
            extension: extension.to_owned(),
        })
    }

    /// The request's own name.
    pub fn request_name(&self) -> String {
        format!(
            "{}req_{}.{}",
            self.kind.prefix(),
            self.suffix,
            self.extension
        )
    }

    /// The name of the result: `req` replaced by `res`, suffix and extension kept.
    pub fn result_name(&self) -> String {
        format!(
            "{}res_{}.{}",
            self.kind.prefix(),
            self.suffix,
            self.extension
        )
    }

    /// The result name with another extension (`zip`, `pdf`).
    pub fn result_name_with_extension(&self, extension: &str) -> String {
        format!("{}res_{}.{extension}", self.kind.prefix(), self.suffix)
    }
}

/// The name of the `.err` file written beside a rejected request: the request's base name with
/// the extension `.err`.
pub fn err_file_name(request_name: &str) -> String {
    match request_name.rsplit_once('.') {
        Some((stem, _)) => format!("{stem}.err"),
        None => format!("{request_name}.err"),
    }
}

/// Whether a file in `req/` is still being written by a careful client (a temporary or hidden
/// name) and must be left alone rather than answered.
pub fn is_temporary_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.')
        || name.starts_with('~')
        || name.ends_with('~')
        || [".tmp", ".temp", ".part", ".partial", ".swp", ".crdownload"]
            .iter()
            .any(|ext| lower.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_names_results() {
        let n = RequestFileName::parse("OQSsiquc01req_20261125093012.xml").unwrap();
        assert_eq!(n.kind, MessageKind::SingleQualification);
        assert_eq!(n.suffix, "20261125093012");
        assert_eq!(n.result_name(), "OQSsiquc01res_20261125093012.xml");
        // A suffix that itself contains "req" is kept byte for byte.
        let n = RequestFileName::parse("YZKsiquc01req_req_x.y.XML").unwrap();
        assert_eq!(n.kind, MessageKind::DrugInformation);
        assert_eq!(n.suffix, "req_x.y");
        assert_eq!(n.result_name(), "YZKsiquc01res_req_x.y.XML");
        assert_eq!(
            n.result_name_with_extension("pdf"),
            "YZKsiquc01res_req_x.y.pdf"
        );
        // An empty suffix is a valid name.
        assert_eq!(
            RequestFileName::parse("OQSmuquc02req_.xml").unwrap().suffix,
            ""
        );
    }

    #[test]
    fn rejects_other_names() {
        assert!(matches!(
            RequestFileName::parse("XYZsiquc01req_1.xml"),
            Err(FileNameError::UnknownPrefix(_))
        ));
        assert!(matches!(
            RequestFileName::parse("hello.xml"),
            Err(FileNameError::NotARequestName(_))
        ));
        assert!(matches!(
            RequestFileName::parse("OQSsiquc01res_1.xml"),
            Err(FileNameError::NotARequestName(_))
        ));
        assert!(matches!(
            RequestFileName::parse("OQSsiquc01req_1.txt"),
            Err(FileNameError::NotXml(_))
        ));
    }

    #[test]
    fn every_prefix_round_trips() {
        for kind in MessageKind::ALL {
            assert_eq!(MessageKind::from_prefix(kind.prefix()), Some(kind));
        }
    }

    #[test]
    fn err_and_temporary_names() {
        assert_eq!(err_file_name("OQSsiquc01req_1.xml"), "OQSsiquc01req_1.err");
        assert!(is_temporary_name(".OQSsiquc01req_1.xml"));
        assert!(is_temporary_name("OQSsiquc01req_1.xml.tmp"));
        assert!(!is_temporary_name("OQSsiquc01req_1.xml"));
    }
}
