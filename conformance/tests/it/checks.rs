//! The request checks on hand-made files.

use conformance::checks::{self, Expect, key, my_number_check_digit, my_numbers};
use conformance::proto::Card;
use conformance::terminal::Observed;
use sim_messages::MessageKind;

fn observed(name: &str, bytes: &[u8], in_place: bool) -> Observed {
    Observed {
        name: name.into(),
        bytes: bytes.to_vec(),
        in_place,
        at: std::time::Instant::now(),
        answer: Vec::new(),
    }
}

fn card() -> Card {
    Card {
        insurer_number: "131011".into(),
        symbol: Some("千代".into()),
        number: "123456".into(),
        branch: Some("00".into()),
        birthdate: "19620220".into(),
    }
}

fn request(insurer: &str, branch: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XmlMsg><MessageHeader><QualificationConfirmationDate>20261125</QualificationConfirmationDate><MedicalInstitutionCode>1311234567</MedicalInstitutionCode><ArbitraryFileIdentifier>P1_0001</ArbitraryFileIdentifier></MessageHeader><MessageBody><QualificationConfirmSearchInfo><InsurerNumber>{insurer}</InsurerNumber><InsuredCardSymbol>千代</InsuredCardSymbol><InsuredIdentificationNumber>123456</InsuredIdentificationNumber><InsuredBranchNumber>{branch}</InsuredBranchNumber><Birthdate>19620220</Birthdate><LimitApplicationCertificateRelatedConsFlg>0</LimitApplicationCertificateRelatedConsFlg></QualificationConfirmSearchInfo></MessageBody></XmlMsg>\n"
    )
}

fn failed(checks: &[checks::Check]) -> Vec<String> {
    checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.rule.clone())
        .collect()
}

#[test]
fn a_correct_request_passes_every_check() {
    let c = card();
    let exp = Expect {
        today: "20261125",
        medical_institution_code: "1311234567",
        cards: vec![&c],
        limit_consent: Some(false),
    };
    let o = observed(
        "OQSsiquc01req_1.xml",
        request("  131011", "00").as_bytes(),
        false,
    );
    let checks = checks::request_checks(&o, MessageKind::SingleQualification, &exp);
    assert!(failed(&checks).is_empty(), "{checks:#?}");
    assert_eq!(checks.len(), 11);
}

#[test]
fn each_defect_fails_its_rule() {
    let c = card();
    let exp = Expect {
        today: "20261125",
        medical_institution_code: "1311234567",
        cards: vec![&c],
        limit_consent: Some(false),
    };
    let run = |name: &str, text: String, in_place: bool| {
        failed(&checks::request_checks(
            &observed(name, text.as_bytes(), in_place),
            MessageKind::SingleQualification,
            &exp,
        ))
    };
    assert_eq!(
        run("OQSsiquc01req_1.xml", request("131011", "00"), false),
        ["KEY-INSURER"]
    );
    assert_eq!(
        run("OQSsiquc01req_1.xml", request("  131011", "0"), false),
        ["KEY-BRANCH"]
    );
    assert_eq!(
        run("OQSsiquc01req_1.xml", request("  131011", "00"), true),
        ["FILE-ATOMIC"]
    );
    assert_eq!(
        run("OQSsiquc01res_1.xml", request("  131011", "00"), false),
        ["FILE-NAME"]
    );
    assert_eq!(
        run(
            "OQSsiquc01req_1.xml",
            request("  131011", "00").replace("20261125</Q", "20261124</Q"),
            false
        ),
        ["HDR-DATE"]
    );
    assert_eq!(
        run(
            "OQSsiquc01req_1.xml",
            request("  131011", "00").replace("P1_0001", "123456789018"),
            false
        ),
        ["NO-MYNUMBER"]
    );
    assert_eq!(
        run(
            "OQSsiquc01req_1.xml",
            request("  131011", "00").replace("UTF-8", "Shift_JIS"),
            false
        ),
        ["ENC-DECL", "XML-ENVELOPE"]
    );
    assert_eq!(
        run(
            "OQSsiquc01req_1.xml",
            request("  131011", "00").replace("123456<", "123457<"),
            false
        ),
        ["KEY-CARD"]
    );
}

#[test]
fn my_numbers_are_found_by_their_check_digit_only() {
    let body = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1];
    let cd = my_number_check_digit(&body);
    assert_eq!(cd, 8);
    assert_eq!(my_numbers("id 123456789018 end"), ["123456789018"]);
    assert!(
        my_numbers("id 123456789017 end").is_empty(),
        "wrong check digit"
    );
    assert!(
        my_numbers("20261125093012 and 1234567890180").is_empty(),
        "longer runs are not numbers"
    );
    assert_eq!(
        my_numbers("１２３４５６７８９０１８"),
        ["123456789018"],
        "full-width digits"
    );
}

#[test]
fn keys_compare_without_width_and_leading_zeros() {
    assert_eq!(key("００１２３"), "123");
    assert_eq!(key("  131011"), "131011");
    assert_eq!(key("00"), "0");
    assert_eq!(key("千代"), "千代");
}
