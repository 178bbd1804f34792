use super::*;

const JSON: &str = r#"{"claims": [
  {"claim_id": "R-1", "facility": "1311234567", "service_month": "202610",
   "patient": {"insurer_number": "06139018", "symbol": "5001", "number": "234", "branch": "00",
               "birthdate": "19901102"},
   "visits": [{"date": "20261005", "points": 120}, {"date": "20261019", "points": 85}]}
]}"#;

const CSV: &str = "claim_id,facility,service_month,insurer_number,symbol,number,branch,birthdate,billed_insurer,visit_date,points\n\
R-1,1311234567,202610,06139018,5001,234,00,19901102,,20261005,120\n\
R-2,1311234567,202610,  131011,千代,123456,00,19620220,,20261007,300\n\
R-1,1311234567,202610,06139018,5001,234,00,19901102,,20261019,85\n";

#[test]
fn json_reads_wrapped_and_bare_and_defaults_the_billed_insurer() {
    let claims = read_json(JSON.as_bytes()).unwrap();
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0].billed_insurer, "06139018");
    assert_eq!(claims[0].points(), 205);
    let bare = JSON
        .trim_start_matches("{\"claims\": ")
        .trim_end_matches('}');
    assert_eq!(read_json(bare.as_bytes()).unwrap(), claims);
}

#[test]
fn csv_groups_rows_by_claim_in_first_appearance_order() {
    let claims = read_csv(CSV.as_bytes()).unwrap();
    assert_eq!(claims.len(), 2);
    assert_eq!(claims[0].claim_id, "R-1");
    assert_eq!(claims[0].visits.len(), 2);
    assert_eq!(claims[0].patient.symbol.as_deref(), Some("5001"));
    assert_eq!(claims[1].patient.insurer_number, "  131011");
    assert_eq!(claims[1].billed_insurer, "  131011");
    // The same claims as the JSON input.
    assert_eq!(claims[..1], read_json(JSON.as_bytes()).unwrap()[..]);
}

#[test]
fn json_errors_name_line_and_column() {
    let broken = JSON.replace("\"points\": 85}", "\"points\": 85,}");
    let e = read_json(broken.as_bytes()).unwrap_err();
    assert_eq!(e.problems[0].line, Some(5), "{e}");
    assert!(e.problems[0].column.is_some());
    let outside = JSON.replace("20261019", "20261101");
    let e = read_json(outside.as_bytes()).unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with("line "), "{text}");
    assert!(
        text.contains(
            "claim \"R-1\": visits[1]: visit date 20261101 is outside the service month 202610"
        ),
        "{text}"
    );
    let negative = JSON.replace("\"points\": 120", "\"points\": -3");
    assert!(
        read_json(negative.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("line 5")
    );
    let unknown = JSON.replace("\"facility\"", "\"facilty\"");
    assert!(
        read_json(unknown.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("unknown field `facilty`")
    );
    assert!(read_json(b"").is_err());
    assert!(read_json(b"\"x\"").is_err());
    assert!(
        read_json(b"[]")
            .unwrap_err()
            .to_string()
            .contains("no claims")
    );
}

#[test]
fn csv_errors_list_every_bad_row_with_its_line() {
    let bad = CSV
        .replace("20261005,120", "20261005,12o")
        .replace("19620220,,20261007", "19621320,,20261007")
        + "R-1,1311234567,202610,06139018,5001,235,00,19901102,,20261020,10\n"
        + "R-3,1311234567,202610,06139018\n";
    let e = read_csv(bad.as_bytes()).unwrap_err();
    let lines: Vec<_> = e.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [Some(2), Some(3), Some(5), Some(6)], "{e}");
    let text = e.to_string();
    assert!(
        text.contains("line 2: claim \"R-1\": points \"12o\" is not a whole number"),
        "{text}"
    );
    assert!(
        text.contains("line 3: claim \"R-2\": `birthdate` \"19621320\""),
        "{text}"
    );
    assert!(
        text.contains("line 5: claim \"R-1\": `number` differs from its first row (line 4)"),
        "{text}"
    );
    assert!(
        text.contains("line 6: 4 fields where the header row has 11"),
        "{text}"
    );
    let no_points = CSV.replace(",points\n", ",pts\n");
    assert!(
        read_csv(no_points.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("no `points` column")
    );
    assert!(read_csv(b"\xEF\xBB\xBF  \n").is_err());
}

#[test]
fn duplicate_claim_ids_in_json_are_refused() {
    let one = JSON
        .trim_start_matches("{\"claims\": [")
        .trim_end_matches("]}")
        .trim();
    let two = format!("[{one}, {one}]");
    let e = read_json(two.as_bytes()).unwrap_err();
    assert!(
        e.to_string().contains("claim_id \"R-1\" appears twice"),
        "{e}"
    );
}
