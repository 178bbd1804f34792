//! The JSON schemas of the adapter contract name exactly what `conformance::proto` sends.

use conformance::proto::{Outcome, Recorded, Reply, ReportQuery, Request};

fn schema(name: &str) -> serde_json::Value {
    let path = format!("{}/schema/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("schema file"))
        .expect("schema JSON")
}

#[test]
fn every_action_and_every_recorded_field_is_in_the_schemas() {
    let request = schema("adapter-request.schema.json");
    let actions: Vec<String> = request["properties"]["action"]["enum"]
        .as_array()
        .expect("enum")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    for r in [
        Request::ReadFace,
        Request::Bye,
        Request::Report(ReportQuery {
            patient: "P".into(),
        }),
        Request::ViewMedicalInfo(conformance::proto::ViewMedicalInfo {
            patient: "P".into(),
            card: conformance::proto::Card {
                insurer_number: "06139018".into(),
                symbol: None,
                number: "1".into(),
                branch: None,
                birthdate: "19800101".into(),
            },
            kind: conformance::proto::MedicalKind::Drug,
        }),
    ] {
        let v = serde_json::to_value(&r).expect("json");
        let action = v["action"].as_str().expect("action").to_owned();
        assert!(
            actions.contains(&action),
            "{action} not in the request schema"
        );
    }
    assert_eq!(actions.len(), 8);
    let reply = schema("adapter-reply.schema.json");
    let fields = reply["$defs"]["recorded"]["properties"]
        .as_object()
        .expect("properties");
    let mut full = Recorded::outcome(Outcome::Valid);
    full.validity = Some("1".into());
    full.insurer_number = Some("x".into());
    full.insurer_name = Some("x".into());
    full.name = Some("x".into());
    full.name_kana = Some("x".into());
    full.birthdate = Some("x".into());
    full.burden_ratio = Some("x".into());
    full.limit_category = Some("x".into());
    full.reference_number = Some("x".into());
    full.error_code = Some("x".into());
    full.error_message = Some("x".into());
    full.card_classification = Some("A1".into());
    full.medical_tickets = Some(1);
    let shown = conformance::proto::MedicalShown {
        shown: true,
        items: Some(1),
        message: Some("x".into()),
    };
    full.drug = Some(shown.clone());
    full.checkup = Some(shown);
    let v = serde_json::to_value(&full).expect("json");
    for key in v.as_object().expect("object").keys() {
        assert!(fields.contains_key(key), "{key} not in the reply schema");
    }
    assert_eq!(fields.len(), v.as_object().map(|o| o.len()).unwrap_or(0));
    let r = serde_json::to_value(Reply {
        id: 1,
        ok: true,
        error: Some("e".into()),
        sut: Some("s".into()),
        protocol: Some(1),
        recorded: Some(full),
        received: Some(vec![]),
    })
    .expect("json");
    let props = reply["properties"].as_object().expect("properties");
    for key in r.as_object().expect("object").keys() {
        assert!(props.contains_key(key), "{key} not in the reply schema");
    }
}
