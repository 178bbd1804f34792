//! Property tests over every message type: writing then reading gives back the same value, in
//! both encodings and layouts, and reading never panics on arbitrary bytes.
//!
//! Values are generated from a "template": a fully populated instance serialized to JSON. Every
//! string leaf becomes an arbitrary string or is removed (an absent optional element), every array
//! gets 0–3 elements, and leaves marked [`REQUIRED`] are always present.

use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::siquc01::*;
use crate::xml::{XmlStyle, read_document, write_document};
use crate::{TextEncoding, webapi};

pub(crate) const REQUIRED: &str = "!required";

fn text() -> BoxedStrategy<String> {
    // ASCII with markup characters, full- and half-width Japanese, 旧字体, and the ideographic space.
    "[ -~あ-んア-ンｦ-ﾟ一-龠　髙﨑邊]{0,12}".boxed()
}

fn leaf(template: &Value) -> BoxedStrategy<Option<Value>> {
    match template {
        Value::String(s) if s == REQUIRED => text().prop_map(|s| Some(Value::String(s))).boxed(),
        Value::String(_) => proptest::option::of(text().prop_map(Value::String)).boxed(),
        Value::Array(items) => {
            let item = items.first().cloned().unwrap_or(Value::Null);
            proptest::collection::vec(node(&item), 0..3)
                .prop_map(|v| Some(Value::Array(v)))
                .boxed()
        }
        Value::Object(_) if contains_required(template) => node(template).prop_map(Some).boxed(),
        Value::Object(_) => proptest::option::of(node(template)).boxed(),
        other => Just(Some(other.clone())).boxed(),
    }
}

fn contains_required(v: &Value) -> bool {
    match v {
        Value::String(s) => s == REQUIRED,
        Value::Object(map) => map.values().any(contains_required),
        _ => false,
    }
}

fn node(template: &Value) -> BoxedStrategy<Value> {
    match template {
        Value::Object(map) => {
            let fields: Vec<BoxedStrategy<(String, Option<Value>)>> = map
                .iter()
                .map(|(k, v)| {
                    let k = k.clone();
                    leaf(v).prop_map(move |v| (k.clone(), v)).boxed()
                })
                .collect();
            fields
                .prop_map(|fields| {
                    Value::Object(
                        fields
                            .into_iter()
                            .filter_map(|(k, v)| v.map(|v| (k, v)))
                            .collect(),
                    )
                })
                .boxed()
        }
        other => leaf(other).prop_map(|v| v.unwrap_or(Value::Null)).boxed(),
    }
}

pub(crate) fn like<T: Serialize + DeserializeOwned + std::fmt::Debug>(
    template: &T,
) -> BoxedStrategy<T> {
    let json = serde_json::to_value(template).expect("templates serialize");
    node(&json)
        .prop_map(|v| serde_json::from_value(v).expect("generated from the template's shape"))
        .boxed()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

pub(crate) fn full_search_info() -> QualificationConfirmSearchInfo {
    QualificationConfirmSearchInfo {
        insurer_number: s("x"),
        insured_card_symbol: s("x"),
        insured_identification_number: s("x"),
        insured_branch_number: s("x"),
        birthdate: s("x"),
        limit_application_certificate_related_cons_flg: s("x"),
        arbitrary_identifier: s("x"),
    }
}

fn full_request() -> QualificationConfirmRequest {
    QualificationConfirmRequest {
        header: RequestHeader {
            qualification_confirmation_date: s("x"),
            medical_institution_code: s("x"),
            arbitrary_file_identifier: s("x"),
        },
        body: RequestBody {
            qualification_confirm_search_info: Some(full_search_info()),
        },
    }
}

/// A result with every element of the tree present.
pub(crate) fn full_result() -> QualificationConfirmResult {
    let json = serde_json::json!({
        "MessageHeader": {
            "ProcessExecutionTime": REQUIRED, "QualificationConfirmationDate": "x",
            "MedicalInstitutionCode": "x", "ArbitraryFileIdentifier": "x",
            "ReferenceClassification": "x", "SegmentOfResult": REQUIRED, "ErrorCode": "x",
            "ErrorMessage": "x", "CharacterCodeIdentifier": REQUIRED
        },
        "MessageBody": {
            "ProcessingResultStatus": REQUIRED, "ProcessingResultCode": "x",
            "ProcessingResultMessage": "x", "QualificationValidity": "x",
            "QualificationConfirmSearchInfo": serde_json::to_value(full_search_info()).unwrap(),
            "PrescriptionIssueSelect": "x",
            "ResultList": { "ResultOfQualificationConfirmation": [full_result_item()] }
        }
    });
    serde_json::from_value(json).expect("the full result is well-formed")
}

pub(crate) fn full_result_item() -> Value {
    let names = [
        "InsuredCardClassification",
        "InsurerNumber",
        "InsuredCardSymbol",
        "InsuredIdentificationNumber",
        "InsuredBranchNumber",
        "PersonalFamilyClassification",
        "InsuredName",
        "Name",
        "NameOfOther",
        "NameKana",
        "NameOfOtherKana",
        "Sex1",
        "Sex2",
        "Birthdate",
        "Address",
        "PostNumber",
        "QualificationDate",
        "DisqualificationDate",
        "InsuredCertificateIssuanceDate",
        "InsuredCardValidDate",
        "InsuredCardExpirationDate",
        "InsuredPartialContributionRatio",
        "PreschoolClassification",
        "ReasonOfLoss",
        "InsurerName",
        "LimitApplicationCertificateRelatedConsFlg",
        "LimitApplicationCertificateRelatedConsTime",
        "SpecificDiseasesCertificateRelatedConsFlg",
        "SpecificDiseasesCertificateRelatedConsTime",
        "SpecificHealthCheckupsInfoConsFlg",
        "SpecificHealthCheckupsInfoConsTime",
        "SpecificHealthCheckupsInfoAvailableTime",
        "PharmacistsInfoConsFlg",
        "PharmacistsInfoConsTime",
        "PharmacistsInfoAvailableTime",
        "DiagnosisInfoConsFlg",
        "DiagnosisInfoConsTime",
        "DiagnosisInfoAvailableTime",
        "OperationInfoConsFlg",
        "OperationInfoConsTime",
        "OperationInfoAvailableTime",
        "ArbitraryIdentifier",
        "ReferenceNumber",
    ];
    let mut item: serde_json::Map<String, Value> = names
        .iter()
        .map(|n| (n.to_string(), Value::from("x")))
        .collect();
    let all = |names: &[&str]| -> Value {
        Value::Object(
            names
                .iter()
                .map(|n| (n.to_string(), Value::from("x")))
                .collect(),
        )
    };
    item.insert(
        "ElderlyRecipientCertificateInfo".into(),
        all(&[
            "ElderlyRecipientCertificateDate",
            "ElderlyRecipientValidStartDate",
            "ElderlyRecipientValidEndDate",
            "ElderlyRecipientContributionRatio",
        ]),
    );
    item.insert(
        "LimitApplicationCertificateRelatedInfo".into(),
        all(&[
            "LimitApplicationCertificateClassification",
            "LimitApplicationCertificateClassificationFlag",
            "LimitApplicationCertificateDate",
            "LimitApplicationCertificateValidStartDate",
            "LimitApplicationCertificateValidEndDate",
            "LimitApplicationCertificateLongTermDate",
        ]),
    );
    item.insert(
        "SpecificDiseasesCertificateList".into(),
        serde_json::json!({ "SpecificDiseasesCertificateInfo": [all(&[
            "SpecificDiseasesDiseaseCategory", "SpecificDiseasesCertificateDate",
            "SpecificDiseasesValidStartDate", "SpecificDiseasesValidEndDate",
            "SpecificDiseasesSelfPay",
        ])] }),
    );
    item.insert(
        "PublicExpenseResultList".into(),
        serde_json::json!({ "MedicalTicketInfo": [all(&[
            "TicketType", "MedicalTicketValidDate", "MedicalTicketExpirationDate", "IssueNumber",
            "MedicalTreatmentMonth", "DesignatedMedicalInstitutionCode",
            "DesignatedMedicalInstitutionFlag", "DesignatedMedicalInstitutionName",
            "PrescriptionIssuerMedicalInstitutionCode", "PrescriptionIssuerMedicalInstitutionName",
            "InjuryName1", "InjuryName2", "InjuryName3", "MedicalTreatmentType", "SelfPayAmount",
            "DistrictContactName", "HandlingContactName", "SingleOrCombinedUse",
            "StatusOfSocialInsurance", "ConsistencyFlag", "StatusOfInfecton",
            "StatusOfElderlyMedicalCare", "StatusOfPrefecturalExpenses", "Remarks1", "Remarks2",
            "Remarks3",
        ])] }),
    );
    Value::Object(item)
}

pub(crate) fn styles() -> impl Strategy<Value = (TextEncoding, XmlStyle)> {
    (
        prop_oneof![Just(TextEncoding::Utf8), Just(TextEncoding::ShiftJis)],
        prop_oneof![Just(0usize), Just(2), Just(4)],
        any::<bool>(),
    )
        .prop_map(|(e, indent, crlf)| (e, XmlStyle { indent, crlf }))
}

pub(crate) fn round_trip<T>(value: &T, (encoding, style): (TextEncoding, XmlStyle)) -> T
where
    T: Serialize + DeserializeOwned,
{
    // The direct writer (xml/writer.rs) must write every message type, and exactly what
    // quick-xml's serializer writes.
    assert!(crate::xml::writes_directly(value));
    assert_eq!(
        crate::xml::write_text(value, encoding, style).expect("serializes"),
        crate::xml::write_text_with_quick_xml(value, encoding, style).expect("serializes"),
    );
    let bytes = write_document(value, encoding, style).expect("serializes");
    // The document bytes (Shift_JIS written directly, encoding as it goes) are the encoded text.
    assert_eq!(
        bytes,
        encoding
            .encode(
                &crate::xml::write_text_with_quick_xml(value, encoding, style).expect("serializes")
            )
            .as_ref(),
    );
    let (back, decoded) = read_document::<T>(&bytes).expect("reads back");
    assert_eq!(decoded.encoding, encoding);
    back
}

/// Whether `value` written in `style` is a Shift_JIS document whose bytes also form UTF-8: the
/// decoder refuses those as a contradiction (`encoding.rs`), which only random half-width kana
/// pairs produce. Such cases are skipped here.
pub(crate) fn ambiguous<T: serde::Serialize>(
    value: &T,
    (encoding, style): (TextEncoding, XmlStyle),
) -> bool {
    let bytes = write_document(value, encoding, style).expect("serializes");
    // A Shift_JIS document that is also UTF-8 Japanese is refused on purpose (see
    // `encoding::looks_like_utf8_japanese`); astronomically rare for real text.
    encoding == TextEncoding::ShiftJis && crate::encoding::looks_like_utf8_japanese(&bytes)
}

#[test]
fn the_full_templates_have_every_element() {
    // Guards the templates themselves: a misspelt element name would be dropped silently by serde.
    let result = full_result();
    let json = serde_json::to_value(&result).unwrap();
    let item = &json["MessageBody"]["ResultList"]["ResultOfQualificationConfirmation"][0];
    assert_eq!(item.as_object().unwrap().len(), 47);
    assert_eq!(
        item["PublicExpenseResultList"]["MedicalTicketInfo"][0]
            .as_object()
            .unwrap()
            .len(),
        26
    );
    assert_eq!(serde_json::to_value(full_request()).unwrap()["MessageBody"]["QualificationConfirmSearchInfo"].as_object().unwrap().len(), 7);
}

proptest! {
    #[test]
    fn request_round_trips(req in like(&full_request()), style in styles()) {
        prop_assume!(!ambiguous(&req, style));
        prop_assert_eq!(round_trip(&req, style), req);
    }

    #[test]
    fn result_round_trips(res in like(&full_result()), style in styles()) {
        prop_assume!(!ambiguous(&res, style));
        prop_assert_eq!(round_trip(&res, style), res);
    }

    #[test]
    fn json_search_round_trips(req in like(&full_request()), res in like(&full_result())) {
        let body = webapi::SearchRequest { xml_msg: req };
        let text = serde_json::to_string(&body).unwrap();
        prop_assert_eq!(serde_json::from_str::<webapi::SearchRequest>(&text).unwrap(), body);
        let response = webapi::SearchResponse::from(res);
        let text = serde_json::to_string(&response).unwrap();
        prop_assert_eq!(serde_json::from_str::<webapi::SearchResponse>(&text).unwrap(), response);
    }

    #[test]
    fn reading_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = read_document::<QualificationConfirmRequest>(&bytes);
        prop_assert_eq!(read_request(&bytes), read_document::<QualificationConfirmRequest>(&bytes));
    }

    #[test]
    fn utf8_japanese_detection_is_the_definition(bytes in proptest::collection::vec(any::<u8>(), 0..64), text in ".{0,16}") {
        let by_definition = |b: &[u8]| std::str::from_utf8(b).is_ok_and(|t| t.chars().any(|c| c as u32 >= 0x800));
        prop_assert_eq!(crate::encoding::looks_like_utf8_japanese(&bytes), by_definition(&bytes));
        prop_assert_eq!(crate::encoding::looks_like_utf8_japanese(text.as_bytes()), by_definition(text.as_bytes()));
    }

    #[test]
    fn the_one_pass_request_reader_agrees_with_the_general_one(
        req in like(&full_request()),
        style in styles(),
        edit in 0usize..12,
        at in any::<prop::sample::Index>(),
    ) {
        let mut text = crate::xml::write_text(&req, style.0, style.1).unwrap();
        // Shapes the one pass leaves to the general path, at a random place.
        let insert = [
            "", "<!-- c -->", "&amp;", "&#x41;", " ", "\r\n", "<X/>", "<X>y</X>",
            "<![CDATA[z]]>", "</XmlMsg>", "<MessageHeader>", "\u{2028}",
        ][edit];
        let mut i = at.index(text.len() + 1);
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        text.insert_str(i, insert);
        let bytes = style.0.encode(&text);
        prop_assert_eq!(read_request(&bytes), read_document::<QualificationConfirmRequest>(&bytes));
    }

    #[test]
    fn reading_mangled_requests_never_panics(
        req in like(&full_request()),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = write_document(&req, TextEncoding::ShiftJis, XmlStyle::default()).unwrap();
        let at = flip.index(bytes.len());
        bytes[at] = byte;
        bytes.truncate(cut.index(bytes.len() + 1));
        prop_assert_eq!(read_request(&bytes), read_document::<QualificationConfirmRequest>(&bytes));
        if let Ok((r, _)) = read_document::<QualificationConfirmRequest>(&bytes) {
            let _ = r.required();
        }
    }
}
