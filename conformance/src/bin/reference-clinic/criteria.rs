//! The bulk checks by criteria: 訪問診療等 (`OQSmuhvq`), オンライン診療等 (`OQSmuonq`) and 医療扶助
//! (`OQSmutic`). The criteria go up in one `01req`, the job is downloaded like the qualification
//! bulk check, and every unit of the answer is listed for staff (the persons are the terminal's
//! choice, so they are reported back as they come).

use conformance::proto::{BulkKind, Card, Recorded, RunBulk};
use sim_messages::mucriteria::{
    CriteriaUploadBody, CriteriaUploadHeader, CriteriaUploadRequest, SearchCriteria,
};

use super::Clinic;

impl Clinic {
    /// `run-bulk` of a criteria kind: the units listed.
    pub(super) fn criteria_bulk(&mut self, b: &RunBulk) -> Result<Vec<Recorded>, String> {
        let hello = self.hello()?.clone();
        let c = b.criteria.clone().unwrap_or_default();
        let (prefix, flag) = match b.kind {
            BulkKind::Home => ("OQSmuhvq", Some("2")),
            BulkKind::Online => ("OQSmuonq", Some("3")),
            BulkKind::MedicalAid => ("OQSmutic", None),
            BulkKind::Qualification => return Err("not a criteria bulk check".into()),
        };
        let seq = self.next();
        let upload = CriteriaUploadRequest {
            header: CriteriaUploadHeader {
                medical_institution_code: Some(hello.medical_institution_code.clone()),
                arbitrary_file_identifier: Some(self.identifier("bulk", seq)),
            },
            body: CriteriaUploadBody {
                qualification_confirm_search_info: Some(SearchCriteria {
                    consent_date_from: c.consent_from,
                    consent_date_to: c.consent_to,
                    examination_date_from: c.examination_from,
                    examination_date_to: c.examination_to,
                    medical_treatment_flag: flag.map(str::to_owned),
                    medical_treatment_month: c.month,
                }),
            },
        };
        let name = format!("{prefix}01req_{}{seq:04}.xml", hello.today);
        let reception = self.upload(&name, &self.document(&upload)?)?;
        let Some(result) = self.poll_job(&format!("{prefix}02"), &reception)? else {
            return Ok(Vec::new());
        };
        let none = Card {
            insurer_number: String::new(),
            symbol: None,
            number: String::new(),
            branch: None,
            birthdate: String::new(),
        };
        Ok(result
            .body
            .map(|b| b.units)
            .unwrap_or_default()
            .iter()
            .map(|u| self.decide_unit(u, &none))
            .collect())
    }
}
