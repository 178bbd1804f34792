//! `reference-clinic`: a small, correct clinic system (the SUT side) that implements the
//! conformance adapter. It is the worked example for vendors: each request from the harness is
//! one JSON line on stdin, each reply one JSON line on stdout (see conformance/README.md and
//! conformance/schema/). What it does at each step is what a careful レセコン does:
//!
//! - writes requests in Shift_JIS with CRLF and a matching declaration, under a hidden temporary
//!   name, then renames them into `req/`;
//! - pads InsurerNumber to 8 characters and 枝番 to 2 digits, never sends a My Number;
//! - polls `res/` for the result (or the `.err` beside the moved request), decodes it by its
//!   declaration, checks the echoed ArbitraryFileIdentifier, and decides validity as MC does
//!   (SegmentOfResult 1, ProcessingResultStatus 1, QualificationValidity 1, one result);
//! - retries a bulk download on SegmentOfResult 2 after a pause, a bounded number of times;
//! - reads face files once they are stable, then deletes them, and never takes one in twice.
//!
//! `--fault NAME` makes it wrong on purpose (the harness's self-test): see [`Fault`].

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use conformance::proto::{
    BulkKind, BulkPatient, Card, CheckCard, Envelope, Hello, Outcome, PROTOCOL, Recorded,
    RegisterReference, Reply, Request, Via,
};
use sim_messages::TextEncoding;
use sim_messages::siquc01::{
    QualificationConfirmRequest, QualificationConfirmResult, QualificationConfirmSearchInfo,
    RequestBody, RequestHeader, ResultOfQualificationConfirmation,
};
use sim_messages::xml::{XmlStyle, read_document, write_text};

mod criteria;
mod medinfo;

/// The deliberate faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Declares Shift_JIS but writes UTF-8 bytes.
    WrongEncodingDeclaration,
    /// Sends 枝番 as typed, without zero padding (`2`, `0`).
    UnpaddedBranch,
    /// Treats QualificationValidity 3 as valid, showing the old card's insurer.
    IgnoresValidity3,
    /// Gives up waiting after 300 ms, and on the first SegmentOfResult 2.
    StopsPollingEarly,
    /// Polls a bulk job without pause and goes on after the answer.
    PollsForever,
    /// Deletes face files without reading them.
    DeletesFaceUnread,
    /// Writes requests in place under their final name, in two parts.
    NonAtomicWrites,
    /// Uses a 12-digit number that passes the 個人番号 check digit as ArbitraryFileIdentifier.
    MyNumberInIdentifier,
    /// Keeps showing the drug or checkup information of an earlier visit when the patient's
    /// consent is gone (the chart does not clear it).
    ShowsStaleMedicalInfo,
}

impl Fault {
    fn parse(s: &str) -> Option<Fault> {
        Some(match s {
            "wrong-encoding-declaration" => Fault::WrongEncodingDeclaration,
            "unpadded-branch" => Fault::UnpaddedBranch,
            "ignores-validity-3" => Fault::IgnoresValidity3,
            "stops-polling-early" => Fault::StopsPollingEarly,
            "polls-forever" => Fault::PollsForever,
            "deletes-face-unread" => Fault::DeletesFaceUnread,
            "non-atomic-writes" => Fault::NonAtomicWrites,
            "my-number-in-identifier" => Fault::MyNumberInIdentifier,
            "shows-stale-medical-info" => Fault::ShowsStaleMedicalInfo,
            _ => return None,
        })
    }
}

/// How long the clinic waits for a result (the real terminal answers "within a few seconds").
const RESULT_WAIT: Duration = Duration::from_secs(10);
/// Pause between two looks into `res/`.
const LOOK_EVERY: Duration = Duration::from_millis(20);
/// Pause between two downloads of a bulk job, and the most downloads.
const BULK_PAUSE: Duration = Duration::from_millis(400);
const BULK_TRIES: u32 = 8;

struct Clinic {
    faults: Vec<Fault>,
    hello: Option<Hello>,
    /// What is on screen for each patient.
    records: HashMap<String, Recorded>,
    /// 照会番号 → patient.
    references: HashMap<String, String>,
    /// Face files already taken in.
    faces_done: HashSet<String>,
    /// The latest face result of each card (by [`card_key`]): its consent flags.
    faces_by_card: HashMap<String, ResultOfQualificationConfirmation>,
    seq: u32,
}

fn main() {
    let mut faults = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = match a.as_str() {
            "--fault" => args.next(),
            s if s.starts_with("--fault=") => Some(s["--fault=".len()..].to_owned()),
            "--help" | "-h" => {
                println!(
                    "reference-clinic [--fault NAME]: the conformance adapter on stdin/stdout"
                );
                return;
            }
            _ => {
                eprintln!("reference-clinic: unknown argument {a:?}");
                std::process::exit(2);
            }
        };
        for name in value
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.is_empty())
        {
            match Fault::parse(name) {
                Some(f) => faults.push(f),
                None => {
                    eprintln!("reference-clinic: unknown fault {name:?}");
                    std::process::exit(2);
                }
            }
        }
    }
    let mut clinic = Clinic {
        faults,
        hello: None,
        records: HashMap::new(),
        references: HashMap::new(),
        faces_done: HashSet::new(),
        faces_by_card: HashMap::new(),
        seq: 0,
    };
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let (reply, bye) = match serde_json::from_str::<Envelope>(&line) {
            Ok(env) => {
                let bye = env.request == Request::Bye;
                (clinic.handle(env.id, env.request), bye)
            }
            Err(e) => (
                Reply {
                    id: 0,
                    ok: false,
                    error: Some(format!("cannot read the request: {e}")),
                    ..Reply::default()
                },
                false,
            ),
        };
        let text = serde_json::to_string(&reply).unwrap_or_default();
        if writeln!(stdout, "{text}")
            .and_then(|()| stdout.flush())
            .is_err()
            || bye
        {
            break;
        }
    }
}

impl Clinic {
    fn has(&self, f: Fault) -> bool {
        self.faults.contains(&f)
    }

    fn handle(&mut self, id: u64, request: Request) -> Reply {
        let ok = Reply {
            id,
            ok: true,
            ..Reply::default()
        };
        let result = match request {
            Request::Hello(h) => {
                self.hello = Some(h);
                return Reply {
                    sut: Some(format!("reference-clinic {}", env!("CARGO_PKG_VERSION"))),
                    protocol: Some(PROTOCOL),
                    ..ok
                };
            }
            Request::CheckInsuranceCard(c) => self.check(&c).map(|()| ok),
            Request::RegisterReferenceNumber(r) => self.register(&r).map(|()| ok),
            Request::RunBulk(b) if b.kind == BulkKind::Qualification => {
                self.bulk(&b.patients).map(|()| ok)
            }
            Request::RunBulk(b) => self.criteria_bulk(&b).map(|received| Reply {
                received: Some(received),
                ..ok
            }),
            Request::ViewMedicalInfo(v) => self.view_medical(&v).map(|()| ok),
            Request::ReadFace => self.read_face().map(|received| Reply {
                received: Some(received),
                ..ok
            }),
            Request::Report(q) => Ok(Reply {
                recorded: self.records.get(&q.patient).cloned(),
                ..ok
            }),
            Request::Bye => Ok(ok),
        };
        result.unwrap_or_else(|e| Reply {
            id,
            ok: false,
            error: Some(e),
            ..Reply::default()
        })
    }

    fn hello(&self) -> Result<&Hello, String> {
        self.hello.as_ref().ok_or_else(|| "no hello yet".to_owned())
    }

    fn folder(&self, name: &str) -> Result<PathBuf, String> {
        Ok(Path::new(&self.hello()?.oqs_dir).join(name))
    }

    fn next(&mut self) -> u32 {
        self.seq += 1;
        self.seq
    }

    /// The search keys of a card as the terminal wants them.
    fn keys(
        &self,
        card: &Card,
        limit_consent: bool,
        patient: Option<&str>,
    ) -> QualificationConfirmSearchInfo {
        let insurer = card.insurer_number.trim();
        let insurer = if insurer.len() == 6 {
            format!("  {insurer}")
        } else {
            insurer.to_owned()
        };
        let branch = card.branch.as_deref().map(|b| {
            let digits = b.trim();
            if self.has(Fault::UnpaddedBranch) {
                let t = digits.trim_start_matches('0');
                if t.is_empty() {
                    "0".to_owned()
                } else {
                    t.to_owned()
                }
            } else {
                format!("{digits:0>2}")
            }
        });
        QualificationConfirmSearchInfo {
            insurer_number: Some(insurer),
            insured_card_symbol: card.symbol.clone(),
            insured_identification_number: Some(card.number.clone()),
            insured_branch_number: branch,
            birthdate: Some(card.birthdate.clone()),
            limit_application_certificate_related_cons_flg: Some(
                if limit_consent { "1" } else { "0" }.into(),
            ),
            arbitrary_identifier: patient.map(str::to_owned),
        }
    }

    /// ArbitraryFileIdentifier of a new request.
    fn identifier(&self, patient: &str, seq: u32) -> String {
        if self.has(Fault::MyNumberInIdentifier) {
            // A chart number that happens to look like a My Number.
            let mut body = [0u8; 11];
            let digits = format!("{:011}", 40_000_000_000u64 + u64::from(seq));
            for (b, d) in body.iter_mut().zip(digits.bytes()) {
                *b = d - b'0';
            }
            return format!(
                "{digits}{}",
                conformance::checks::my_number_check_digit(&body)
            );
        }
        format!("{patient}_{seq:04}")
    }

    /// Serialises a request document the way this clinic writes files.
    fn document<T: serde::Serialize>(&self, doc: &T) -> Result<Vec<u8>, String> {
        let style = XmlStyle {
            indent: 2,
            crlf: true,
        };
        let text = write_text(doc, TextEncoding::ShiftJis, style).map_err(|e| e.to_string())?;
        Ok(if self.has(Fault::WrongEncodingDeclaration) {
            text.into_bytes()
        } else {
            TextEncoding::ShiftJis.encode(&text).into_owned()
        })
    }

    /// Puts `bytes` into `req/name`: complete, by a rename from a hidden temporary name.
    fn put_request(&self, name: &str, bytes: &[u8]) -> Result<(), String> {
        let req = self.folder("req")?;
        let target = req.join(name);
        if self.has(Fault::NonAtomicWrites) {
            let mut f = std::fs::File::create(&target).map_err(|e| e.to_string())?;
            let (a, b) = bytes.split_at(bytes.len() / 2);
            f.write_all(a)
                .and_then(|()| f.flush())
                .map_err(|e| e.to_string())?;
            std::thread::sleep(Duration::from_millis(60));
            return f.write_all(b).map_err(|e| e.to_string());
        }
        let tmp = req.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, bytes).map_err(|e| format!("writing {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &target)
            .map_err(|e| format!("renaming into {}: {e}", target.display()))
    }

    /// Waits for the answer to `req/name`: the result `res/<req→res>`, or the request moved back
    /// beside an `.err`. Removes what it read.
    fn await_answer(&self, name: &str) -> Result<Answer, String> {
        let res = self.folder("res")?;
        let result = res.join(name.replacen("req_", "res_", 1));
        let err = res.join(format!("{}.err", name.trim_end_matches(".xml")));
        let wait = if self.has(Fault::StopsPollingEarly) {
            Duration::from_millis(300)
        } else {
            RESULT_WAIT
        };
        let deadline = Instant::now() + wait;
        loop {
            if let Ok(bytes) = std::fs::read(&err) {
                let _ = std::fs::remove_file(&err);
                let _ = std::fs::remove_file(res.join(name));
                return Ok(Answer::Err(
                    String::from_utf8(bytes.clone())
                        .unwrap_or_else(|_| sim_messages::encoding::shift_jis_lossy(&bytes).0),
                ));
            }
            if let Ok(bytes) = std::fs::read(&result) {
                let _ = std::fs::remove_file(&result);
                return Ok(Answer::Result(bytes));
            }
            if Instant::now() >= deadline {
                return Ok(Answer::Timeout);
            }
            std::thread::sleep(LOOK_EVERY);
        }
    }

    fn check(&mut self, c: &CheckCard) -> Result<(), String> {
        let hello = self.hello()?.clone();
        let seq = self.next();
        let request = QualificationConfirmRequest {
            header: RequestHeader {
                qualification_confirmation_date: Some(hello.today.clone()),
                medical_institution_code: Some(hello.medical_institution_code.clone()),
                arbitrary_file_identifier: Some(self.identifier(&c.patient, seq)),
            },
            body: RequestBody {
                qualification_confirm_search_info: Some(self.keys(&c.card, c.limit_consent, None)),
            },
        };
        let record = match c.via {
            Via::Webapi => self.check_webapi(&hello, &request, &c.card)?,
            Via::File => {
                let name = format!("OQSsiquc01req_{}{:06}.xml", hello.today, seq);
                self.put_request(&name, &self.document(&request)?)?;
                match self.await_answer(&name)? {
                    Answer::Timeout => error_record(None, "the terminal did not answer in time"),
                    Answer::Err(text) => {
                        let (code, message) = text
                            .split_once(char::is_whitespace)
                            .unwrap_or((text.as_str(), ""));
                        error_record(Some(code.trim()), message.trim())
                    }
                    Answer::Result(bytes) => {
                        let (result, _) = read_document::<QualificationConfirmResult>(&bytes)
                            .map_err(|e| format!("unreadable result: {e}"))?;
                        if result.header.arbitrary_file_identifier
                            != request.header.arbitrary_file_identifier
                        {
                            error_record(
                                None,
                                "the result's ArbitraryFileIdentifier is not this request's",
                            )
                        } else {
                            self.record_of(&result, &c.card)
                        }
                    }
                }
            }
        };
        self.records.insert(c.patient.clone(), record);
        Ok(())
    }

    fn check_webapi(
        &self,
        hello: &Hello,
        request: &QualificationConfirmRequest,
        card: &Card,
    ) -> Result<Recorded, String> {
        let base = hello.webapi_url.trim_end_matches('/');
        let (status, body) = http_post(
            &format!("{base}/oqs-api-pro/MSA12020/ILI12020SV01/auth"),
            None,
            b"{}".to_vec(),
        )?;
        if status != 200 {
            return Ok(error_record(None, &format!("login failed: HTTP {status}")));
        }
        let auth: sim_messages::webapi::AuthResponse =
            serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        let Some(tokens) = auth.result else {
            return Ok(error_record(None, &format!("login refused: {}", auth.msg)));
        };
        let search = sim_messages::webapi::SearchRequest {
            xml_msg: request.clone(),
        };
        let (status, body) = http_post(
            &format!("{base}/oqs-api-pro/MSA01030/ILI01030SV01/search"),
            Some(&tokens.id_token),
            serde_json::to_vec(&search).map_err(|e| e.to_string())?,
        )?;
        if status != 200 {
            let e: Option<sim_messages::webapi::ErrorResponse> = serde_json::from_slice(&body).ok();
            let msg = e.map(|e| e.msg).unwrap_or_default();
            let (code, message) = msg.split_once(' ').unwrap_or((msg.as_str(), ""));
            return Ok(error_record(Some(code), message));
        }
        let response: sim_messages::webapi::SearchResponse =
            serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        let result = QualificationConfirmResult {
            header: response.xml_msg.header,
            body: response
                .xml_msg
                .body
                .map(|b| sim_messages::siquc01::ResultBody {
                    processing_result_status: b.processing_result_status,
                    processing_result_code: b.processing_result_code,
                    processing_result_message: b.processing_result_message,
                    qualification_validity: b.qualification_validity,
                    qualification_confirm_search_info: b.qualification_confirm_search_info,
                    prescription_issue_select: b.prescription_issue_select,
                    result_list: b.result_list.map(|l| sim_messages::siquc01::ResultList {
                        results: l.into_iter().map(|i| i.result).collect(),
                    }),
                }),
        };
        Ok(self.record_of(&result, card))
    }

    /// What the clinic concludes from a result.
    fn record_of(&self, result: &QualificationConfirmResult, card: &Card) -> Recorded {
        let h = &result.header;
        if h.segment_of_result != "1" {
            return error_record(
                h.error_code.as_deref(),
                h.error_message.as_deref().unwrap_or(""),
            );
        }
        let Some(body) = &result.body else {
            return error_record(None, "a result without MessageBody");
        };
        let results = body
            .result_list
            .as_ref()
            .map(|l| l.results.as_slice())
            .unwrap_or(&[]);
        self.decide(
            &body.processing_result_status,
            body.processing_result_code.as_deref(),
            body.processing_result_message.as_deref(),
            body.qualification_validity.as_deref(),
            results,
            card,
        )
    }

    fn decide(
        &self,
        status: &str,
        code: Option<&str>,
        message: Option<&str>,
        validity: Option<&str>,
        results: &[ResultOfQualificationConfirmation],
        card: &Card,
    ) -> Recorded {
        if status != "1" {
            return error_record(code, message.unwrap_or(""));
        }
        let outcome = match validity {
            Some("1") if results.len() == 1 => Outcome::Valid,
            Some("3") if self.has(Fault::IgnoresValidity3) => Outcome::Valid,
            Some("1") | Some("5") => Outcome::Multiple,
            Some("4") => Outcome::NotFound,
            _ => Outcome::Invalid,
        };
        let mut rec = Recorded::outcome(outcome);
        rec.validity = validity.map(str::to_owned);
        if let Some(r) = results.first() {
            fill(&mut rec, r);
            if validity == Some("3") && self.has(Fault::IgnoresValidity3) {
                rec.insurer_number = Some(card.insurer_number.clone());
            }
        }
        rec
    }

    fn register(&mut self, r: &RegisterReference) -> Result<(), String> {
        use sim_messages::imm::{
            ReferenceNumberRegistrationInfo, ReferenceNumberRequest, ReferenceNumberRequestBody,
            ReferenceNumberRequestHeader,
        };
        let hello = self.hello()?.clone();
        let seq = self.next();
        let keys = self.keys(&r.card, false, None);
        let request = ReferenceNumberRequest {
            header: ReferenceNumberRequestHeader {
                qualification_confirmation_date: Some(hello.today.clone()),
                medical_institution_code: Some(hello.medical_institution_code.clone()),
                arbitrary_file_identifier: Some(self.identifier(&r.patient, seq)),
            },
            body: ReferenceNumberRequestBody {
                entries: vec![ReferenceNumberRegistrationInfo {
                    insurer_number: keys.insurer_number,
                    insured_card_symbol: keys.insured_card_symbol,
                    insured_identification_number: keys.insured_identification_number,
                    insured_branch_number: keys.insured_branch_number,
                    birthdate: keys.birthdate,
                    reference_number: Some(r.reference_number.clone()),
                }],
            },
        };
        let name = format!("OQSsiimm01req_{}{:06}.xml", hello.today, seq);
        self.put_request(&name, &self.document(&request)?)?;
        match self.await_answer(&name)? {
            Answer::Result(_) => {
                self.references
                    .insert(r.reference_number.clone(), r.patient.clone());
                Ok(())
            }
            Answer::Err(text) => Err(format!("registration rejected: {}", text.trim())),
            Answer::Timeout => Err("the terminal did not answer the registration".into()),
        }
    }

    fn bulk(&mut self, patients: &[BulkPatient]) -> Result<(), String> {
        use sim_messages::muquc::{BulkUploadRequest, BulkUploadRequestBody};
        let hello = self.hello()?.clone();
        let seq = self.next();
        let upload = BulkUploadRequest {
            header: RequestHeader {
                qualification_confirmation_date: Some(hello.today.clone()),
                medical_institution_code: Some(hello.medical_institution_code.clone()),
                arbitrary_file_identifier: Some(self.identifier("bulk", seq)),
            },
            body: BulkUploadRequestBody {
                search: patients
                    .iter()
                    .map(|p| self.keys(&p.card, false, Some(&p.patient)))
                    .collect(),
            },
        };
        let name = format!("OQSmuquc01req_{}{:04}.xml", hello.today, seq);
        let reception = self.upload(&name, &self.document(&upload)?)?;
        for p in patients {
            self.records
                .insert(p.patient.clone(), Recorded::outcome(Outcome::Pending));
        }
        let Some(result) = self.poll_job("OQSmuquc02", &reception)? else {
            return Ok(());
        };
        for unit in result.body.map(|b| b.units).unwrap_or_default() {
            let who = unit
                .qualification_confirm_search_info
                .as_ref()
                .and_then(|s| s.arbitrary_identifier.clone());
            let Some(patient) = who.and_then(|w| patients.iter().find(|p| p.patient == w)) else {
                continue;
            };
            let rec = self.decide_unit(&unit, &patient.card);
            self.records.insert(patient.patient.clone(), rec);
        }
        Ok(())
    }

    /// What the clinic concludes from one unit of a bulk answer.
    fn decide_unit(&self, unit: &sim_messages::muquc::BulkConfirmUnit, card: &Card) -> Recorded {
        self.decide(
            &unit.processing_result_status,
            unit.processing_result_code.as_deref(),
            unit.processing_result_message.as_deref(),
            unit.qualification_validity.as_deref(),
            &unit.results,
            card,
        )
    }

    /// Puts a bulk upload into `req/`; its ReceptionNumber.
    fn upload(&self, name: &str, bytes: &[u8]) -> Result<String, String> {
        use sim_messages::muquc::BulkUploadResult;
        self.put_request(name, bytes)?;
        match self.await_answer(name)? {
            Answer::Result(bytes) => {
                let (r, _) =
                    read_document::<BulkUploadResult>(&bytes).map_err(|e| e.to_string())?;
                match r.body {
                    Some(b) if r.header.segment_of_result == "1" => Ok(b.reception_number),
                    _ => Err(format!(
                        "bulk upload refused: {}",
                        r.header.error_message.unwrap_or_default()
                    )),
                }
            }
            Answer::Err(text) => Err(format!("bulk upload rejected: {}", text.trim())),
            Answer::Timeout => Err("the terminal did not answer the bulk upload".into()),
        }
    }

    /// Downloads a bulk job (`prefix` is the 02 request's, e.g. `OQSmuquc02`) until the answer:
    /// after SegmentOfResult 2 it pauses and asks again, a bounded number of times. The final
    /// answer, or None when the job was still processing after the last try.
    fn poll_job(
        &mut self,
        prefix: &str,
        reception: &str,
    ) -> Result<Option<sim_messages::muquc::BulkDownloadResult>, String> {
        use sim_messages::muquc::{
            BulkDownloadRequest, BulkDownloadRequestBody, BulkDownloadRequestHeader,
            BulkDownloadResult,
        };
        let hello = self.hello()?.clone();
        let forever = self.has(Fault::PollsForever);
        let mut extra = 0;
        let mut last = None;
        for _ in 0..(if forever { 30 } else { BULK_TRIES }) {
            let seq = self.next();
            let download = BulkDownloadRequest {
                header: BulkDownloadRequestHeader {
                    medical_institution_code: Some(hello.medical_institution_code.clone()),
                    arbitrary_file_identifier: Some(self.identifier("bulk", seq)),
                },
                body: BulkDownloadRequestBody {
                    reception_number: Some(reception.to_owned()),
                },
            };
            let name = format!("{prefix}req_{}{:04}.xml", hello.today, seq);
            self.put_request(&name, &self.document(&download)?)?;
            let bytes = match self.await_answer(&name)? {
                Answer::Result(bytes) => bytes,
                Answer::Err(text) => {
                    return Err(format!("bulk download rejected: {}", text.trim()));
                }
                Answer::Timeout => {
                    return Err("the terminal did not answer the bulk download".into());
                }
            };
            let (r, _) = read_document::<BulkDownloadResult>(&bytes).map_err(|e| e.to_string())?;
            match r.header.segment_of_result.as_str() {
                "2" if self.has(Fault::StopsPollingEarly) => return Ok(None),
                "2" => {
                    if !forever {
                        std::thread::sleep(BULK_PAUSE);
                    }
                }
                "1" => {
                    if forever && extra < 5 {
                        extra += 1;
                        last = Some(r);
                        continue;
                    }
                    return Ok(Some(r));
                }
                _ => {
                    return Err(format!(
                        "bulk download failed: {}",
                        r.header.error_message.unwrap_or_default()
                    ));
                }
            }
        }
        Ok(last)
    }

    fn read_face(&mut self) -> Result<Vec<Recorded>, String> {
        let face = self.folder("face")?;
        let mut names: Vec<String> = std::fs::read_dir(&face)
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("OQSsiquc01res_face_") && n.ends_with(".xml"))
            .collect();
        names.sort();
        let mut received = Vec::new();
        for name in names {
            let path = face.join(&name);
            if self.has(Fault::DeletesFaceUnread) {
                let _ = std::fs::remove_file(&path);
                continue;
            }
            if !self.faces_done.insert(name.clone()) {
                continue;
            }
            let Some(bytes) = read_stable(&path) else {
                continue;
            };
            let (result, _) = match read_document::<QualificationConfirmResult>(&bytes) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("reference-clinic: face/{name} unreadable: {e}");
                    continue;
                }
            };
            let none = Card {
                insurer_number: String::new(),
                symbol: None,
                number: String::new(),
                branch: None,
                birthdate: String::new(),
            };
            let rec = self.record_of(&result, &none);
            if let Some(r) = result
                .body
                .as_ref()
                .and_then(|b| b.result_list.as_ref())
                .and_then(|l| l.results.first())
            {
                self.faces_by_card.insert(
                    card_key(
                        r.insured_identification_number.as_deref().unwrap_or(""),
                        r.birthdate.as_deref().unwrap_or(""),
                    ),
                    r.clone(),
                );
            }
            if let Some(patient) = rec
                .reference_number
                .as_ref()
                .and_then(|n| self.references.get(n))
                .cloned()
            {
                self.records.insert(patient, rec.clone());
            }
            received.push(rec);
            let _ = std::fs::remove_file(&path);
        }
        Ok(received)
    }
}

enum Answer {
    Result(Vec<u8>),
    Err(String),
    Timeout,
}

fn error_record(code: Option<&str>, message: &str) -> Recorded {
    let mut r = Recorded::outcome(Outcome::Error);
    r.error_code = code.map(str::to_owned);
    r.error_message = Some(message.to_owned());
    r
}

fn fill(rec: &mut Recorded, r: &ResultOfQualificationConfirmation) {
    rec.insurer_number = r.insurer_number.as_deref().map(|s| s.trim().to_owned());
    rec.insurer_name = r.insurer_name.clone();
    rec.name = r.name.clone();
    rec.name_kana = r.name_kana.clone();
    rec.birthdate = r.birthdate.clone();
    rec.burden_ratio = r.insured_partial_contribution_ratio.clone();
    rec.limit_category = r
        .limit_application_certificate_related_info
        .as_ref()
        .and_then(|l| l.limit_application_certificate_classification_flag.clone());
    rec.reference_number = r.reference_number.clone();
    rec.card_classification = r.insured_card_classification.clone();
    rec.medical_tickets = r
        .public_expense_result_list
        .as_ref()
        .map(|l| l.tickets.len() as u32);
}

/// A card as the clinic files it: 番号 without width or leading zeros, and the birth date.
fn card_key(number: &str, birthdate: &str) -> String {
    format!("{}|{birthdate}", conformance::checks::key(number))
}

/// Reads a file once two reads a moment apart agree (as RA does), at most a few tries.
fn read_stable(path: &Path) -> Option<Vec<u8>> {
    let mut last = std::fs::read(path).ok()?;
    for _ in 0..8 {
        std::thread::sleep(Duration::from_millis(20));
        let now = std::fs::read(path).ok()?;
        if now == last {
            return Some(now);
        }
        last = now;
    }
    None
}

/// A blocking POST over plain HTTP (the simulator's Web API is on loopback).
fn http_post(
    url: &str,
    authorization: Option<&str>,
    body: Vec<u8>,
) -> Result<(u16, Vec<u8>), String> {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<Full<Bytes>>();
        let mut req = hyper::Request::post(url).header("content-type", "application/json");
        if let Some(token) = authorization {
            req = req.header("authorization", token);
        }
        let req = req
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = tokio::time::timeout(RESULT_WAIT, client.request(req))
            .await
            .map_err(|_| "the Web API did not answer in time".to_owned())?
            .map_err(|e| format!("cannot reach the Web API at {url}: {e}"))?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, bytes.to_vec()))
    })
}
