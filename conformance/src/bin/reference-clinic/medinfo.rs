//! Drug and checkup information (薬剤情報・特定健診情報): asked for only within the consent the
//! patient gave at the reader (the latest face file of the card: `…ConsFlg` 1 and `…AvailableTime`
//! not passed), as XML (`FileCategory` 2) for the last six months; otherwise nothing is sent and
//! staff are told why. A refusal of the terminal shows its `MessageContents`.

use chrono::{Months, NaiveDate};
use conformance::proto::{MedicalKind, MedicalShown, Outcome, Recorded, ViewMedicalInfo};
use sim_messages::medreq::{MedicalInfoRequest, MedicalInfoRequestBody, MedicalInfoRequestHeader};
use sim_messages::tkk::CheckupInfoResult;
use sim_messages::xml::read_document;
use sim_messages::yzk::DrugInfoResult;

use super::{Answer, Clinic, Fault, card_key};

impl Clinic {
    /// `view-medical-info`: what the doctor sees when opening the information.
    pub(super) fn view_medical(&mut self, v: &ViewMedicalInfo) -> Result<(), String> {
        let hello = self.hello()?.clone();
        let face = self
            .faces_by_card
            .get(&card_key(&v.card.number, &v.card.birthdate))
            .cloned();
        let (flag, until) = match (&face, v.kind) {
            (Some(f), MedicalKind::Drug) => (
                f.pharmacists_info_cons_flg.clone(),
                f.pharmacists_info_available_time.clone(),
            ),
            (Some(f), MedicalKind::Checkup) => (
                f.specific_health_checkups_info_cons_flg.clone(),
                f.specific_health_checkups_info_available_time.clone(),
            ),
            (None, _) => (None, None),
        };
        // The availability time is yyyyMMddHHmmss; the clinic's day is `today`.
        let within = until
            .as_deref()
            .and_then(|u| u.get(..8))
            .is_some_and(|day| day >= hello.today.as_str());
        let shown = if flag.as_deref() == Some("1") && within {
            self.request_medical(v)?
        } else {
            MedicalShown {
                shown: false,
                items: None,
                message: Some(
                    if flag.as_deref() == Some("1") {
                        "同意の有効期限が過ぎています"
                    } else {
                        "閲覧の同意がありません（顔認証付きカードリーダーで同意を得てください）"
                    }
                    .into(),
                ),
            }
        };
        let stale = self.has(Fault::ShowsStaleMedicalInfo);
        let record = self.records.entry(v.patient.clone()).or_insert_with(|| {
            let mut r = Recorded::outcome(Outcome::Pending);
            if let Some(f) = &face {
                super::fill(&mut r, f);
                r.outcome = Outcome::Valid;
            }
            r
        });
        let slot = match v.kind {
            MedicalKind::Drug => &mut record.drug,
            MedicalKind::Checkup => &mut record.checkup,
        };
        if !(stale && !shown.shown && slot.as_ref().is_some_and(|s| s.shown)) {
            *slot = Some(shown);
        }
        Ok(())
    }

    /// Sends the request and reads the result.
    fn request_medical(&mut self, v: &ViewMedicalInfo) -> Result<MedicalShown, String> {
        let hello = self.hello()?.clone();
        let seq = self.next();
        let keys = self.keys(&v.card, false, None);
        let today = NaiveDate::parse_from_str(&hello.today, "%Y%m%d")
            .map_err(|e| format!("today {:?}: {e}", hello.today))?;
        let drug = v.kind == MedicalKind::Drug;
        let from = today
            .checked_sub_months(Months::new(6))
            .unwrap_or(today)
            .format("%Y%m")
            .to_string();
        let request = MedicalInfoRequest {
            header: MedicalInfoRequestHeader {
                medical_institution_code: Some(hello.medical_institution_code.clone()),
                insurer_number: keys.insurer_number,
                insurance_card_symbol: keys.insured_card_symbol,
                insured_person_identification_number: keys.insured_identification_number,
                branch_number: keys.insured_branch_number,
                arbitrary_file_identifier: Some(self.identifier(&v.patient, seq)),
            },
            body: MedicalInfoRequestBody {
                start_date: drug.then_some(from),
                end_date: drug.then(|| today.format("%Y%m").to_string()),
                file_category: Some("2".into()),
                pr_di_inf_classification: Some("1".into()),
                medical_treatment_flag: Some("1".into()),
            },
        };
        let prefix = if drug { "YZKsiquc01" } else { "TKKsiquc01" };
        let name = format!("{prefix}req_02{}{seq:06}.xml", hello.today);
        self.put_request(&name, &self.document(&request)?)?;
        let refused = |message: Option<String>| MedicalShown {
            shown: false,
            items: None,
            message: Some(message.unwrap_or_else(|| "取得できませんでした".into())),
        };
        Ok(match self.await_answer(&name)? {
            Answer::Timeout => refused(Some("the terminal did not answer in time".into())),
            Answer::Err(text) => refused(Some(text.trim().to_owned())),
            Answer::Result(bytes) if drug => {
                let (r, _) = read_document::<DrugInfoResult>(&bytes)
                    .map_err(|e| format!("unreadable drug result: {e}"))?;
                if r.header.segment_of_result == "1" && r.header.result_code == "1" {
                    let lines = r
                        .body
                        .iter()
                        .flat_map(|b| &b.months)
                        .flat_map(|m| &m.dates.items)
                        .map(|d| d.drugs.items.len() as u32)
                        .sum();
                    MedicalShown {
                        shown: true,
                        items: Some(lines),
                        message: None,
                    }
                } else {
                    refused(r.header.message_contents.or(r.header.error_message))
                }
            }
            Answer::Result(bytes) => {
                let (r, _) = read_document::<CheckupInfoResult>(&bytes)
                    .map_err(|e| format!("unreadable checkup result: {e}"))?;
                if r.header.segment_of_result == "1" && r.header.result_code == "1" {
                    MedicalShown {
                        shown: true,
                        items: Some(r.body.map_or(0, |b| b.checkups.len() as u32)),
                        message: None,
                    }
                } else {
                    refused(r.header.message_contents.or(r.header.error_message))
                }
            }
        })
    }
}
