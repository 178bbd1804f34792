//! 医療扶助 (medical aid under 生活保護): who receives it, the keys of the 福祉事務所 that pays
//! (公費負担者番号 and 受給者番号), and the 医療券・調剤券 issued for each treatment month.
//!
//! Nothing here is stored: a person receives 医療扶助 from the day a qualification was lost
//! because 生活保護 started (喪失事由 02) until a newer qualification begins (never, for most),
//! and every other fact is derived on demand from the person (a stable hash of id, name and
//! birth date, which the population seed determines) \[I\]:
//!
//! - 公費負担者番号: 法別番号 12 + 都道府県 + 実施機関 (the 国保 number's 3 digits when the lost
//!   qualification was 国保, else from the hash) + 検証番号, as 8 digits; 受給者番号: 6 digits
//!   from the hash + 検証番号.
//! - 福祉事務所名: the municipality's, marked （模擬）.
//! - Tickets: a 医療券 (入院外) for every month of aid, and a 調剤券 in one month of three, issued
//!   to one of [`MedicalAidConfig::designated_facilities`] (chosen by the hash).
//! - 本人支払額 0, 単独, no 社会保険.

use chrono::{Datelike, Duration, NaiveDate};

use crate::insurer::{InsurerNumber, check_digit};
use crate::population::Population;
use crate::qualification::LossReason;

/// 医療扶助 settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MedicalAidConfig {
    /// The 指定医療機関 (医療機関コード) tickets are issued to; each recipient gets one, chosen by
    /// the hash \[I\]. Bulk 医療扶助 checks (`OQSmutic`) list a facility's recipients.
    pub designated_facilities: Vec<String>,
}

impl Default for MedicalAidConfig {
    fn default() -> Self {
        MedicalAidConfig {
            designated_facilities: vec!["1311234567".to_owned()],
        }
    }
}

/// A person receiving 医療扶助.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The person, by index.
    pub person: u32,
    /// 公費負担者番号 (法別 12).
    pub public_payer: InsurerNumber,
    /// 公費受給者番号, 7 digits.
    pub recipient_number: String,
    /// 福祉事務所名.
    pub office_name: String,
    /// First day of aid (the 資格喪失日 of the lost qualification).
    pub since: NaiveDate,
    /// First day without aid, when a newer qualification began.
    pub until: Option<NaiveDate>,
    /// The 指定医療機関 the tickets name.
    pub designated_facility: String,
    hash: u64,
}

/// 医療券 or 調剤券 (OQSCD018).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketKind {
    /// 01 医療券 (診療別 02 入院外).
    Medical,
    /// 02 調剤券 (診療別 04 調剤).
    Dispensing,
}

/// One ticket of a treatment month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// Which.
    pub kind: TicketKind,
    /// 有効開始年月日.
    pub valid_from: NaiveDate,
    /// 有効終了年月日 (inclusive).
    pub valid_until: NaiveDate,
    /// 交付番号.
    pub issue_number: String,
    /// 診療年月 (`yyyyMM`).
    pub month: String,
    /// 指定医療機関コード.
    pub designated_facility: String,
    /// 傷病名1.
    pub injury: &'static str,
    /// 本人支払額 in yen.
    pub self_pay_yen: u32,
}

const INJURIES: [&str; 8] = [
    "高血圧症",
    "２型糖尿病",
    "腰痛症",
    "慢性胃炎",
    "不眠症",
    "変形性膝関節症",
    "気管支喘息",
    "脂質異常症",
];

fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The person at index `person` as a 医療扶助 recipient, if they ever were one.
pub fn recipient(pop: &Population, person: u32, cfg: &MedicalAidConfig) -> Option<Recipient> {
    let p = pop.persons().get(person as usize)?;
    let (lost_q, since) = p
        .qualifications
        .iter()
        .filter_map(|q| {
            q.lost
                .filter(|l| l.reason == LossReason::PublicAssistance)
                .map(|l| (q, l.date))
        })
        .max_by_key(|(_, d)| *d)?;
    let until = p
        .qualifications
        .iter()
        .map(|q| q.acquired)
        .filter(|&a| a >= since)
        .min();
    let birth = crate::date::ymd(p.birthdate);
    let hash = fnv(&[p.id.as_bytes(), p.name.as_bytes(), birth.as_bytes()]);
    let pref = lost_q.insurer.prefecture_code().to_owned();
    let (office, office_name) = match lost_q.insurer.law_code() {
        None => {
            let name = pop
                .insurer(&lost_q.insurer)
                .map(|i| i.name.replace("（模擬）", ""))
                .unwrap_or_default();
            (
                lost_q.insurer.as_str()[2..5].to_owned(),
                format!("{name}福祉事務所（模擬）"),
            )
        }
        Some(_) => {
            let office = format!("{:03}", 100 + hash % 900);
            let name = format!("第{}福祉事務所（模擬）", hash % 9 + 1);
            (office, name)
        }
    };
    let public_payer = InsurerNumber::with_check_digit(&format!("12{pref}{office}"))?;
    let body = format!("{:06}", (hash >> 20) % 1_000_000);
    let recipient_number = format!("{body}{}", check_digit(&body));
    let facilities = &cfg.designated_facilities;
    let designated_facility = if facilities.is_empty() {
        String::new()
    } else {
        facilities[(hash >> 40) as usize % facilities.len()].clone()
    };
    Some(Recipient {
        person,
        public_payer,
        recipient_number,
        office_name,
        since,
        until,
        designated_facility,
        hash,
    })
}

/// Every recipient of the population, in person order.
pub fn recipients<'a>(
    pop: &'a Population,
    cfg: &'a MedicalAidConfig,
) -> impl Iterator<Item = Recipient> + 'a {
    (0..pop.len() as u32).filter_map(move |i| recipient(pop, i, cfg))
}

/// The recipient with these keys (公費負担者番号, 受給者番号 normalised, 生年月日).
pub fn find(
    pop: &Population,
    cfg: &MedicalAidConfig,
    public_payer: &InsurerNumber,
    recipient_number: &str,
    birthdate: NaiveDate,
) -> Option<Recipient> {
    recipients(pop, cfg).find(|r| {
        &r.public_payer == public_payer
            && crate::keys::normalize_key(&r.recipient_number) == recipient_number
            && pop.persons()[r.person as usize].birthdate == birthdate
    })
}

fn month_bounds(year: i32, month: u32) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = crate::date::first_of_next_month(first);
    Some((first, next - Duration::days(1)))
}

impl Recipient {
    /// Whether the person receives aid on `d`.
    pub fn covers(&self, d: NaiveDate) -> bool {
        self.since <= d && self.until.is_none_or(|u| d < u)
    }

    /// The tickets of the treatment month `year`/`month` (none outside the aid).
    pub fn tickets(&self, year: i32, month: u32) -> Vec<Ticket> {
        let Some((first, last)) = month_bounds(year, month) else {
            return Vec::new();
        };
        let from = first.max(self.since);
        let until = match self.until {
            Some(u) => last.min(u - Duration::days(1)),
            None => last,
        };
        if from > until {
            return Vec::new();
        }
        let ym = format!("{year:04}{month:02}");
        let mh = fnv(&[&self.hash.to_le_bytes(), ym.as_bytes()]);
        let ticket = |kind: TicketKind, salt: u64| Ticket {
            kind,
            valid_from: from,
            valid_until: until,
            issue_number: format!("{:08}", (mh ^ salt) % 100_000_000),
            month: ym.clone(),
            designated_facility: self.designated_facility.clone(),
            injury: INJURIES[(self.hash % INJURIES.len() as u64) as usize],
            self_pay_yen: 0,
        };
        let mut out = vec![ticket(TicketKind::Medical, 0)];
        if mh.is_multiple_of(3) {
            out.push(ticket(TicketKind::Dispensing, 0x9e37_79b9));
        }
        out
    }

    /// The tickets of the month of `d`.
    pub fn tickets_on(&self, d: NaiveDate) -> Vec<Ticket> {
        if !self.covers(d) {
            return Vec::new();
        }
        self.tickets(d.year(), d.month())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_bounds_and_hash_are_stable() {
        assert_eq!(
            month_bounds(2026, 2),
            Some((
                NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
            ))
        );
        assert_eq!(fnv(&[b"a", b"b"]), fnv(&[b"a", b"b"]));
        assert_ne!(fnv(&[b"ab"]), fnv(&[b"a", b"b"]));
    }
}
