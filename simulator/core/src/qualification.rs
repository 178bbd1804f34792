//! Qualifications (資格): one membership of a person in one insurer's scheme, from 資格取得日 to
//! 資格喪失日, with the card that was issued for it.
//!
//! 資格喪失日 is the first day *without* the qualification (the day after leaving a job, the day
//! of death's next day, the 75th birthday for a 国保 member moving to 後期高齢): the qualification
//! is valid on `acquired <= d < lost`.

use chrono::NaiveDate;

use crate::insurer::InsurerNumber;
use crate::keys::CardKeys;

/// 本人・家族の別 (OQSCD009).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relationship {
    /// 1 本人 (the insured person).
    Insured,
    /// 2 家族 (a dependant).
    Dependent,
}

impl Relationship {
    /// The wire code.
    pub fn code(self) -> &'static str {
        match self {
            Relationship::Insured => "1",
            Relationship::Dependent => "2",
        }
    }
}

/// 資格喪失事由 (OQSCD008).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LossReason {
    /// 01 死亡.
    Death,
    /// 02 生活保護受給開始.
    PublicAssistance,
    /// 03 医療保険等の資格取得.
    OtherInsurance,
    /// 99 その他.
    Other,
}

impl LossReason {
    /// The wire code.
    pub fn code(self) -> &'static str {
        match self {
            LossReason::Death => "01",
            LossReason::PublicAssistance => "02",
            LossReason::OtherInsurance => "03",
            LossReason::Other => "99",
        }
    }

    /// Parses fixture identifiers (`death`, `public-assistance`, `other-insurance`, `other`).
    pub fn from_id(id: &str) -> Option<LossReason> {
        Some(match id {
            "death" => LossReason::Death,
            "public-assistance" => LossReason::PublicAssistance,
            "other-insurance" => LossReason::OtherInsurance,
            "other" => LossReason::Other,
            _ => return None,
        })
    }
}

/// The end of a qualification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loss {
    /// 資格喪失年月日: the first day without the qualification.
    pub date: NaiveDate,
    /// 資格喪失事由.
    pub reason: LossReason,
}

/// A certificate valid over a period (限度額適用認定証 and the like).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificatePeriod {
    /// 交付年月日.
    pub issued: NaiveDate,
    /// 有効開始年月日.
    pub valid_from: NaiveDate,
    /// 有効終了年月日 (inclusive).
    pub valid_until: NaiveDate,
}

impl CertificatePeriod {
    /// Whether `d` lies in the period.
    pub fn covers(&self, d: NaiveDate) -> bool {
        self.valid_from <= d && d <= self.valid_until
    }
}

/// 特定疾病療養受療証.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecificDiseaseCertificate {
    /// 認定疾病区分 (OQSCD013): 1 人工透析, 2 血友病, 3 HIV (血液製剤由来).
    pub category: u8,
    /// Validity.
    pub period: CertificatePeriod,
    /// 自己負担限度額 in yen per month.
    pub self_pay_limit_yen: u32,
}

/// 被保険者証区分 (OQSCD010).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardClass {
    /// 01 被保険者証（一般）.
    General,
    /// 03 短期被保険者証（一般）.
    ShortTerm,
    /// 05 被保険者資格証明書.
    EligibilityCertificate,
    /// 07 自衛官診療証.
    SelfDefenseForces,
}

impl CardClass {
    /// The wire code.
    pub fn code(self) -> &'static str {
        match self {
            CardClass::General => "01",
            CardClass::ShortTerm => "03",
            CardClass::EligibilityCertificate => "05",
            CardClass::SelfDefenseForces => "07",
        }
    }
}

/// One qualification of a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qualification {
    /// 保険者番号 of the insurer.
    pub insurer: InsurerNumber,
    /// 記号・番号・枝番 of the card.
    pub card: CardKeys,
    /// 本人 or 家族.
    pub relationship: Relationship,
    /// 被保険者氏名 for a dependant (the insured person's name).
    pub insured_name: Option<String>,
    /// 被保険者証区分.
    pub card_class: CardClass,
    /// 資格取得年月日.
    pub acquired: NaiveDate,
    /// 資格喪失年月日 and 事由, once lost.
    pub lost: Option<Loss>,
    /// 交付年月日 of the card.
    pub card_issued: NaiveDate,
    /// 有効開始年月日 of the card.
    pub card_valid_from: NaiveDate,
    /// 有効終了年月日 of the card, if it has one.
    pub card_valid_until: Option<NaiveDate>,
    /// 限度額適用認定証 issued under this qualification.
    pub limit_certificate: Option<CertificatePeriod>,
    /// 特定疾病療養受療証.
    pub specific_diseases: Vec<SpecificDiseaseCertificate>,
}

/// Where a date falls in a qualification's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Before 資格取得日.
    NotYetAcquired,
    /// Valid.
    Active,
    /// On or after 資格喪失日.
    Lost(Loss),
}

impl Qualification {
    /// The qualification's standing on `d`.
    pub fn standing_on(&self, d: NaiveDate) -> Standing {
        if d < self.acquired {
            return Standing::NotYetAcquired;
        }
        match self.lost {
            Some(loss) if d >= loss.date => Standing::Lost(loss),
            _ => Standing::Active,
        }
    }

    /// Whether the qualification is valid on `d`.
    pub fn is_active_on(&self, d: NaiveDate) -> bool {
        self.standing_on(d) == Standing::Active
    }
}
