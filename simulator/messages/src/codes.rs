//! Code values of 別紙5-1 業務コード仕様 (OQSCDnnn) that the messages carry, as Rust enums with their
//! exact wire strings. Enum variants follow the specification's order.

/// OQSCD003 処理結果区分 (`SegmentOfResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentOfResult {
    /// 1 正常終了.
    Normal,
    /// 2 処理中 (bulk results not ready yet).
    Processing,
    /// 9 異常終了.
    Abnormal,
}

impl SegmentOfResult {
    /// The wire value.
    pub fn code(self) -> &'static str {
        match self {
            SegmentOfResult::Normal => "1",
            SegmentOfResult::Processing => "2",
            SegmentOfResult::Abnormal => "9",
        }
    }
}

/// OQSCD004 処理結果状況 (`ProcessingResultStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessingResultStatus {
    /// 1 正常終了.
    Normal,
    /// 2 エラー.
    Error,
}

impl ProcessingResultStatus {
    /// The wire value.
    pub fn code(self) -> &'static str {
        match self {
            ProcessingResultStatus::Normal => "1",
            ProcessingResultStatus::Error => "2",
        }
    }
}

/// OQSCD006 資格有効性 (`QualificationValidity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QualificationValidity {
    /// 1 有効.
    Valid,
    /// 2 無効 (資格喪失).
    Invalid,
    /// 3 無効（新しい資格あり）.
    InvalidNewerExists,
    /// 4 該当資格なし.
    NotFound,
    /// 5 複数該当 (医療保険 only).
    MultipleMatches,
    /// 6 有効（未登録） (医療扶助 only).
    ValidUnregistered,
}

impl QualificationValidity {
    /// The wire value.
    pub fn code(self) -> &'static str {
        match self {
            QualificationValidity::Valid => "1",
            QualificationValidity::Invalid => "2",
            QualificationValidity::InvalidNewerExists => "3",
            QualificationValidity::NotFound => "4",
            QualificationValidity::MultipleMatches => "5",
            QualificationValidity::ValidUnregistered => "6",
        }
    }

    /// Parses a wire value.
    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "1" => QualificationValidity::Valid,
            "2" => QualificationValidity::Invalid,
            "3" => QualificationValidity::InvalidNewerExists,
            "4" => QualificationValidity::NotFound,
            "5" => QualificationValidity::MultipleMatches,
            "6" => QualificationValidity::ValidUnregistered,
            _ => return None,
        })
    }

    /// The Japanese label used on the terminal screen.
    pub fn label(self) -> &'static str {
        match self {
            QualificationValidity::Valid => "有効",
            QualificationValidity::Invalid => "無効",
            QualificationValidity::InvalidNewerExists => "無効（新しい資格あり）",
            QualificationValidity::NotFound => "該当資格なし",
            QualificationValidity::MultipleMatches => "複数該当",
            QualificationValidity::ValidUnregistered => "有効（未登録）",
        }
    }
}

/// OQSCD002 照会区分 (`ReferenceClassification`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceClassification {
    /// 1 マイナンバーカード.
    MyNumberCard,
    /// 2 被保険者証情報.
    InsuranceCard,
}

impl ReferenceClassification {
    /// The wire value.
    pub fn code(self) -> &'static str {
        match self {
            ReferenceClassification::MyNumberCard => "1",
            ReferenceClassification::InsuranceCard => "2",
        }
    }
}
