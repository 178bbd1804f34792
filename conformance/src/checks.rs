//! Checks on what the SUT writes: each request file it put into `req/` is checked against the
//! interface rules (`requirements.toml`), one [`Check`] per rule, with the evidence (file name and
//! the excerpt that decided).

use serde::Serialize;
use sim_messages::MessageKind;
use sim_messages::file_name::RequestFileName;
use sim_messages::siquc01::QualificationConfirmSearchInfo;

use crate::proto::Card;
use crate::terminal::Observed;

/// The verdict on one rule.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    /// The rule (`requirements.toml`).
    pub rule: String,
    /// It held.
    pub ok: bool,
    /// What was found.
    pub message: String,
    /// Files and excerpts that show it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
}

/// A file and the part of it that matters.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Evidence {
    /// The file (folder/name) or the HTTP path.
    pub file: String,
    /// The excerpt.
    pub excerpt: String,
}

impl Check {
    /// A check that held.
    pub fn pass(rule: &str, message: impl Into<String>) -> Check {
        Check {
            rule: rule.into(),
            ok: true,
            message: message.into(),
            evidence: Vec::new(),
        }
    }

    /// A check that failed.
    pub fn fail(rule: &str, message: impl Into<String>) -> Check {
        Check {
            rule: rule.into(),
            ok: false,
            message: message.into(),
            evidence: Vec::new(),
        }
    }

    /// `pass` or `fail` with the problems found (none: pass with `ok_message`).
    pub fn from_problems(
        rule: &str,
        problems: Vec<String>,
        ok_message: impl Into<String>,
    ) -> Check {
        if problems.is_empty() {
            Check::pass(rule, ok_message)
        } else {
            Check::fail(rule, problems.join("; "))
        }
    }

    /// Adds evidence.
    pub fn with(mut self, file: impl Into<String>, excerpt: impl Into<String>) -> Check {
        self.evidence.push(Evidence {
            file: file.into(),
            excerpt: excerpt.into(),
        });
        self
    }
}

/// What the request should say.
#[derive(Debug, Clone)]
pub struct Expect<'a> {
    /// The day of the visit, `yyyyMMdd`.
    pub today: &'a str,
    /// The clinic's 医療機関コード.
    pub medical_institution_code: &'a str,
    /// The cards presented (single check and 照会番号: one; bulk: every patient).
    pub cards: Vec<&'a Card>,
    /// The patient's 限度額 consent (single check).
    pub limit_consent: Option<bool>,
}

/// A document as text: by its declaration, else UTF-8, else Shift_JIS (for excerpts).
pub fn text_of(bytes: &[u8]) -> String {
    if let Ok(d) = sim_messages::encoding::decode(bytes) {
        return d.text;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => sim_messages::encoding::shift_jis_lossy(bytes).0,
    }
}

/// The text of every `<tag>` element.
pub fn elements(text: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else {
            break;
        };
        out.push(after[..end].to_owned());
        rest = &after[end + close.len()..];
    }
    out
}

/// The first `<tag>` element.
pub fn element(text: &str, tag: &str) -> Option<String> {
    elements(text, tag).into_iter().next()
}

fn excerpt(tag: &str, value: &str) -> String {
    format!("<{tag}>{value}</{tag}>")
}

/// Full-width ASCII to half-width, spaces trimmed (both widths).
pub fn half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A key for comparison: half-width, and without leading zeros when it is all digits.
pub fn key(s: &str) -> String {
    let h = half_width(s);
    if !h.is_empty() && h.chars().all(|c| c.is_ascii_digit()) {
        let t = h.trim_start_matches('0');
        if t.is_empty() { "0".into() } else { t.into() }
    } else {
        h
    }
}

/// Every 12-digit run (not part of a longer run of digits) that has a valid 個人番号 check
/// digit.
pub fn my_numbers(text: &str) -> Vec<String> {
    let digits: String = text
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect();
    let mut found = Vec::new();
    let bytes = digits.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i - start == 12 {
            let run = &bytes[start..i];
            let mut body = [0u8; 11];
            for (b, d) in body.iter_mut().zip(run) {
                *b = d - b'0';
            }
            if my_number_check_digit(&body) == run[11] - b'0' {
                found.push(digits[start..i].to_owned());
            }
        }
    }
    found
}

/// The check digit of a 個人番号's first 11 digits (most significant first).
pub fn my_number_check_digit(body: &[u8; 11]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &p)| {
            let n = i as u32 + 1;
            let q = if n <= 6 { n + 1 } else { n - 5 };
            u32::from(p) * q
        })
        .sum();
    let r = sum % 11;
    if r <= 1 { 0 } else { (11 - r) as u8 }
}

fn is_date(s: &str) -> bool {
    s.len() == 8
        && s.bytes().all(|b| b.is_ascii_digit())
        && chrono::NaiveDate::parse_from_str(s, "%Y%m%d").is_ok()
}

/// The checks on one request file that do not depend on its message type: name, how it was
/// written, encoding, envelope, no My Number.
pub fn file_checks(obs: &Observed, expected: MessageKind) -> Vec<Check> {
    let file = format!("req/{}", obs.name);
    let text = text_of(&obs.bytes);
    let mut out = Vec::new();
    out.push(
        match RequestFileName::parse(&obs.name) {
            Ok(n) if n.kind == expected && n.extension == "xml" && !n.suffix.is_empty() => {
                Check::pass(
                    "FILE-NAME",
                    format!("named {}req_<suffix>.xml", expected.prefix()),
                )
            }
            Ok(n) if n.kind != expected => Check::fail(
                "FILE-NAME",
                format!(
                    "prefix {}req_, expected {}req_ for this request",
                    n.kind.prefix(),
                    expected.prefix()
                ),
            ),
            Ok(n) => Check::fail(
                "FILE-NAME",
                format!(
                    "suffix {:?} extension {:?}: expected a suffix and .xml",
                    n.suffix, n.extension
                ),
            ),
            Err(e) => Check::fail("FILE-NAME", e.to_string()),
        }
        .with(&file, ""),
    );
    out.push(
        if obs.in_place {
            Check::fail(
                "FILE-ATOMIC",
                "the file was created under its final name and written there: the terminal can pick up half a request",
            )
        } else {
            Check::pass("FILE-ATOMIC", "renamed into place complete")
        }
        .with(&file, ""),
    );
    let declaration: String = text.lines().next().unwrap_or("").chars().take(80).collect();
    out.push(
        match sim_messages::encoding::decode(&obs.bytes) {
            Ok(d) => Check::pass(
                "ENC-DECL",
                format!(
                    "declared {}, bytes are {}",
                    d.declared.as_deref().unwrap_or("nothing (UTF-8)"),
                    d.encoding.declaration_label()
                ),
            ),
            Err(e) => Check::fail("ENC-DECL", e.to_string()),
        }
        .with(&file, declaration),
    );
    let envelope = sim_messages::encoding::decode(&obs.bytes)
        .map_err(|e| e.to_string())
        .and_then(|d| sim_messages::xml::check_well_formed(&d.text).map_err(|e| e.to_string()));
    out.push(
        match envelope {
            Ok(()) if text.contains("<MessageHeader>") && text.contains("<MessageBody>") => {
                Check::pass("XML-ENVELOPE", "XmlMsg with MessageHeader and MessageBody")
            }
            Ok(()) => Check::fail("XML-ENVELOPE", "MessageHeader or MessageBody is missing"),
            Err(e) => Check::fail("XML-ENVELOPE", e),
        }
        .with(&file, ""),
    );
    let numbers = my_numbers(&text);
    out.push(if numbers.is_empty() {
        Check::pass("NO-MYNUMBER", "no 12-digit individual number")
    } else {
        let mut c = Check::fail(
            "NO-MYNUMBER",
            format!(
                "{} 12-digit number(s) with a valid 個人番号 check digit",
                numbers.len()
            ),
        );
        for n in &numbers {
            c = c.with(&file, format!("{}…", &n[..4]));
        }
        c
    });
    out
}

/// Header checks: date (when the message has one), 医療機関コード, ArbitraryFileIdentifier.
pub fn header_checks(obs: &Observed, exp: &Expect<'_>, has_date: bool) -> Vec<Check> {
    let file = format!("req/{}", obs.name);
    let text = text_of(&obs.bytes);
    let header = element(&text, "MessageHeader").unwrap_or_default();
    let mut out = Vec::new();
    if has_date {
        let date = element(&header, "QualificationConfirmationDate");
        out.push(
            match &date {
                Some(d) if d == exp.today => Check::pass("HDR-DATE", "the day of the check"),
                Some(d) if is_date(d) => Check::fail(
                    "HDR-DATE",
                    format!(
                        "QualificationConfirmationDate {d}, the check is on {}",
                        exp.today
                    ),
                ),
                Some(d) => Check::fail(
                    "HDR-DATE",
                    format!("QualificationConfirmationDate {d:?} is not yyyyMMdd"),
                ),
                None => Check::fail("HDR-DATE", "QualificationConfirmationDate is missing"),
            }
            .with(
                &file,
                date.map(|d| excerpt("QualificationConfirmationDate", &d))
                    .unwrap_or_default(),
            ),
        );
    }
    let mic = element(&header, "MedicalInstitutionCode");
    out.push(
        match &mic {
            Some(m) if m == exp.medical_institution_code => {
                Check::pass("HDR-MIC", "the clinic's code")
            }
            Some(m) if m.len() == 10 && m.bytes().all(|b| b.is_ascii_digit()) => Check::fail(
                "HDR-MIC",
                format!(
                    "MedicalInstitutionCode {m}, the clinic is {}",
                    exp.medical_institution_code
                ),
            ),
            Some(m) => Check::fail(
                "HDR-MIC",
                format!("MedicalInstitutionCode {m:?} is not 10 digits"),
            ),
            None => Check::fail("HDR-MIC", "MedicalInstitutionCode is missing"),
        }
        .with(
            &file,
            mic.map(|m| excerpt("MedicalInstitutionCode", &m))
                .unwrap_or_default(),
        ),
    );
    let afi = element(&header, "ArbitraryFileIdentifier");
    out.push(
        match &afi {
            Some(a) if !a.trim().is_empty() => Check::pass("HDR-AFI", "sent"),
            _ => Check::fail("HDR-AFI", "ArbitraryFileIdentifier is missing or empty"),
        }
        .with(
            &file,
            afi.map(|a| excerpt("ArbitraryFileIdentifier", &a))
                .unwrap_or_default(),
        ),
    );
    out
}

/// The ArbitraryFileIdentifier of every request differs.
pub fn distinct_identifiers(observed: &[&Observed]) -> Option<Check> {
    if observed.len() < 2 {
        return None;
    }
    let mut seen = std::collections::BTreeMap::new();
    let mut dup = Vec::new();
    for o in observed {
        if let Some(a) = element(&text_of(&o.bytes), "ArbitraryFileIdentifier")
            && let Some(first) = seen.insert(a.clone(), o.name.clone())
        {
            dup.push(format!("{} and {} both say {a:?}", first, o.name));
        }
    }
    Some(Check::from_problems(
        "HDR-AFI",
        dup,
        format!(
            "{} requests, each with its own ArbitraryFileIdentifier",
            observed.len()
        ),
    ))
}

/// Search keys: InsurerNumber shape, 枝番 shape, and that they are the keys of a card presented.
pub fn key_checks(obs: &Observed, exp: &Expect<'_>, tag: &str) -> Vec<Check> {
    let file = format!("req/{}", obs.name);
    let text = text_of(&obs.bytes);
    let infos = elements(&text, tag);
    let mut insurer = Vec::new();
    let mut branch = Vec::new();
    let mut card_problems = Vec::new();
    let mut insurer_ex = Vec::new();
    let mut branch_ex = Vec::new();
    let units: Vec<QualificationConfirmSearchInfo> = infos.iter().map(|i| search_info(i)).collect();
    for u in &units {
        let number = u.insurer_number.clone().unwrap_or_default();
        insurer_ex.push(excerpt("InsurerNumber", &number));
        let digits = number.trim_start_matches(' ');
        let ok = number.chars().count() == 8
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits.len() == 8 || digits.len() == 6);
        if !ok {
            insurer.push(format!("InsurerNumber {number:?} is not 8 characters (8 digits, or 6 digits after two spaces)"));
        }
        if let Some(b) = u.insured_branch_number.as_deref().filter(|b| !b.is_empty()) {
            branch_ex.push(excerpt("InsuredBranchNumber", b));
            if !(b.len() == 2 && b.bytes().all(|c| c.is_ascii_digit())) {
                branch.push(format!("InsuredBranchNumber {b:?} is not 2 digits"));
            }
        }
    }
    for card in &exp.cards {
        match units.iter().find(|u| same_card(u, card)) {
            Some(u) => {
                if let Some(consent) = exp.limit_consent {
                    let want = if consent { "1" } else { "0" };
                    let got = u.limit_application_certificate_related_cons_flg.as_deref();
                    if got != Some(want) {
                        card_problems.push(format!(
                            "LimitApplicationCertificateRelatedConsFlg {got:?}, the patient {} consent",
                            if consent { "gave" } else { "did not give" }
                        ));
                    }
                }
                if card.branch.is_some()
                    && u.insured_branch_number.as_deref().is_none_or(str::is_empty)
                {
                    card_problems.push(format!(
                        "the card's 枝番 {:?} was not sent",
                        card.branch.as_deref().unwrap_or("")
                    ));
                }
            }
            None => card_problems.push(format!(
                "no {tag} has the keys of the card presented (保険者番号 {}, 番号 {}, 生年月日 {})",
                card.insurer_number, card.number, card.birthdate
            )),
        }
    }
    if units.is_empty() {
        card_problems.push(format!("no {tag} element"));
    }
    let mut out = vec![
        Check::from_problems("KEY-INSURER", insurer, "8 characters")
            .with(&file, insurer_ex.join(" ")),
    ];
    if !branch_ex.is_empty() || !branch.is_empty() {
        out.push(
            Check::from_problems("KEY-BRANCH", branch, "2 digits").with(&file, branch_ex.join(" ")),
        );
    }
    out.push(
        Check::from_problems("KEY-CARD", card_problems, "the keys of the card presented")
            .with(&file, infos.first().map(|i| compact(i)).unwrap_or_default()),
    );
    out
}

fn compact(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join("")
}

/// The search keys of one `QualificationConfirmSearchInfo` (or registration) element's text.
pub fn search_info(text: &str) -> QualificationConfirmSearchInfo {
    QualificationConfirmSearchInfo {
        insurer_number: element(text, "InsurerNumber"),
        insured_card_symbol: element(text, "InsuredCardSymbol"),
        insured_identification_number: element(text, "InsuredIdentificationNumber"),
        insured_branch_number: element(text, "InsuredBranchNumber"),
        birthdate: element(text, "Birthdate"),
        limit_application_certificate_related_cons_flg: element(
            text,
            "LimitApplicationCertificateRelatedConsFlg",
        ),
        arbitrary_identifier: element(text, "ArbitraryIdentifier"),
    }
}

/// The keys are those of `card` (width, padding and leading zeros aside).
pub fn same_card(u: &QualificationConfirmSearchInfo, card: &Card) -> bool {
    let eq = |a: Option<&str>, b: Option<&str>| key(a.unwrap_or("")) == key(b.unwrap_or(""));
    eq(u.insurer_number.as_deref(), Some(&card.insurer_number))
        && eq(u.insured_card_symbol.as_deref(), card.symbol.as_deref())
        && eq(
            u.insured_identification_number.as_deref(),
            Some(&card.number),
        )
        && (card.branch.is_none()
            || u.insured_branch_number.as_deref().is_none_or(str::is_empty)
            || eq(u.insured_branch_number.as_deref(), card.branch.as_deref()))
        && u.birthdate.as_deref() == Some(card.birthdate.as_str())
}

/// Every check of a request of kind `kind`.
pub fn request_checks(obs: &Observed, kind: MessageKind, exp: &Expect<'_>) -> Vec<Check> {
    let mut out = file_checks(obs, kind);
    match kind {
        MessageKind::SingleQualification => {
            out.extend(header_checks(obs, exp, true));
            out.extend(key_checks(obs, exp, "QualificationConfirmSearchInfo"));
        }
        MessageKind::BulkQualificationUpload => {
            out.extend(header_checks(obs, exp, true));
            out.extend(key_checks(obs, exp, "QualificationConfirmSearchInfo"));
        }
        MessageKind::ReferenceNumberSingle | MessageKind::ReferenceNumberBulk => {
            out.extend(header_checks(obs, exp, true));
            out.extend(key_checks(obs, exp, "ReferenceNumberRegistrationInfo"));
        }
        MessageKind::DrugInformation | MessageKind::CheckupInformation => {
            out.extend(header_checks(obs, exp, false));
            out.extend(medical_request_checks(obs, exp));
        }
        _ => out.extend(header_checks(obs, exp, false)),
    }
    out
}

/// The checks of a drug or checkup request (`YZKsiquc01req_`, `TKKsiquc01req_`, §2.6): the
/// header keys under their own names (`InsuranceCardSymbol`, `InsuredPersonIdentificationNumber`,
/// `BranchNumber`), and the body (`FileCategory` 1–4 for drugs, 1–2 for checkups; `StartDate` /
/// `EndDate` `yyyyMM`, in order, not after this month).
pub fn medical_request_checks(obs: &Observed, exp: &Expect<'_>) -> Vec<Check> {
    let file = format!("req/{}", obs.name);
    let text = text_of(&obs.bytes);
    let header = element(&text, "MessageHeader").unwrap_or_default();
    let body = element(&text, "MessageBody").unwrap_or_default();
    let checkup = obs.kind() == Some(MessageKind::CheckupInformation);
    let mut out = Vec::new();
    let insurer = element(&header, "InsurerNumber").unwrap_or_default();
    let digits = insurer.trim_start_matches(' ');
    let insurer_ok = insurer.chars().count() == 8
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits.len() == 8 || digits.len() == 6);
    out.push(
        if insurer_ok {
            Check::pass("KEY-INSURER", "8 characters")
        } else {
            Check::fail(
                "KEY-INSURER",
                format!("InsurerNumber {insurer:?} is not 8 characters"),
            )
        }
        .with(&file, excerpt("InsurerNumber", &insurer)),
    );
    let branch = element(&header, "BranchNumber").filter(|b| !b.is_empty());
    if let Some(b) = &branch {
        out.push(
            if b.len() == 2 && b.bytes().all(|c| c.is_ascii_digit()) {
                Check::pass("KEY-BRANCH", "2 digits")
            } else {
                Check::fail("KEY-BRANCH", format!("BranchNumber {b:?} is not 2 digits"))
            }
            .with(&file, excerpt("BranchNumber", b)),
        );
    }
    let mut card_problems = Vec::new();
    if let Some(card) = exp.cards.first() {
        let eq = |a: Option<String>, b: Option<&str>| {
            key(a.as_deref().unwrap_or("")) == key(b.unwrap_or(""))
        };
        if !eq(Some(insurer.clone()), Some(&card.insurer_number))
            || !eq(
                element(&header, "InsuranceCardSymbol"),
                card.symbol.as_deref(),
            )
            || !eq(
                element(&header, "InsuredPersonIdentificationNumber"),
                Some(&card.number),
            )
        {
            card_problems.push(format!(
                "the header does not carry the card's keys under InsurerNumber, InsuranceCardSymbol, InsuredPersonIdentificationNumber (保険者番号 {}, 番号 {})",
                card.insurer_number, card.number
            ));
        }
        if card.branch.is_some() && branch.is_none() {
            card_problems.push("the card's 枝番 was not sent as BranchNumber".into());
        }
    }
    out.push(
        Check::from_problems("KEY-CARD", card_problems, "the keys of the card on file")
            .with(&file, compact(&header)),
    );
    let mut problems = Vec::new();
    let category = element(&body, "FileCategory");
    let allowed: &[&str] = if checkup {
        &["1", "2"]
    } else {
        &["1", "2", "3", "4"]
    };
    match category.as_deref().map(str::trim) {
        Some(c) if allowed.contains(&c) => {}
        Some(c) => problems.push(format!(
            "FileCategory {c:?}: {} allows {}",
            if checkup { "TKK" } else { "YZK" },
            allowed.join(", ")
        )),
        None => problems.push("FileCategory is missing".into()),
    }
    let this_month = exp.today.get(..6).unwrap_or("");
    let month = |tag: &str, problems: &mut Vec<String>| -> Option<String> {
        let v = element(&body, tag)?;
        let ok = v.len() == 6
            && v.bytes().all(|b| b.is_ascii_digit())
            && matches!(v[4..].parse::<u32>(), Ok(1..=12));
        if !ok {
            problems.push(format!("{tag} {v:?} is not yyyyMM"));
            return None;
        }
        if v.as_str() > this_month {
            problems.push(format!("{tag} {v} is after this month ({this_month})"));
        }
        Some(v)
    };
    let start = month("StartDate", &mut problems);
    let end = month("EndDate", &mut problems);
    if let (Some(s), Some(e)) = (&start, &end)
        && s > e
    {
        problems.push(format!("StartDate {s} is after EndDate {e}"));
    }
    out.push(
        Check::from_problems(
            "MEDINFO-REQUEST",
            problems,
            "FileCategory and period well formed",
        )
        .with(&file, compact(&body)),
    );
    out
}
