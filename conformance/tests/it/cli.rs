//! The `conformance` command line: list, filters, exit codes, expectations, verify-report.

use std::process::Command;

use crate::support::{clinic, harness};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(harness())
        .args(args)
        .output()
        .expect("run conformance");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn list_prints_every_case() {
    let (code, out, _) = run(&["list"]);
    assert_eq!(code, 0);
    for c in conformance::cases::CASES {
        assert!(out.contains(c.id), "{} missing", c.id);
    }
    let (code, out, _) = run(&["list", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        v.as_array().map(Vec::len),
        Some(conformance::cases::CASES.len())
    );
}

#[test]
fn exit_codes() {
    let sut = clinic();
    // An unknown selector is a usage error: 2.
    let (code, _, err) = run(&["run", "--sut", sut, "--only", "QC-9.99"]);
    assert_eq!(code, 2, "{err}");
    // The filters leave nothing: nothing ran, 3.
    let (code, out, _) = run(&["run", "--sut", sut, "--only", "webapi", "--skip", "QC-6.01"]);
    assert_eq!(code, 3, "{out}");
    // A SUT failure: 1.
    let fault = format!("{sut} --fault ignores-validity-3");
    let (code, out, _) = run(&["run", "--sut", &fault, "--only", "QC-1.03"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  QC-1.03"), "{out}");
    // A SUT command that cannot run is the SUT's failure to answer hello: 1; a harness problem
    // (no way to reach the SUT given): 2.
    let (code, _, _) = run(&["run", "--only", "QC-1.01"]);
    assert_eq!(code, 2);
    // Pass: 0, with every report written; the signed one verifies, a changed one does not.
    let dir = tempfile::tempdir().expect("tempdir");
    let junit = dir.path().join("junit.xml");
    let json = dir.path().join("report.json");
    let signed = dir.path().join("report.signed");
    let key = dir.path().join("key");
    let (code, out, _) = run(&[
        "run",
        "--sut",
        sut,
        "--only",
        "QC-1.01,errors",
        "--skip",
        "QC-3.03",
        "--junit",
        junit.to_str().unwrap_or(""),
        "--json",
        json.to_str().unwrap_or(""),
        "--signed-report",
        signed.to_str().unwrap_or(""),
        "--signing-key",
        key.to_str().unwrap_or(""),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("4 case(s): 4 passed"), "{out}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json")).expect("json");
    assert_eq!(report["cases"].as_array().map(Vec::len), Some(4));
    assert!(
        std::fs::read_to_string(&junit)
            .expect("junit")
            .contains("QC-3.04")
    );
    let (code, out, _) = run(&["verify-report", signed.to_str().unwrap_or("")]);
    assert_eq!(code, 0, "{out}");
    let mut bytes = std::fs::read(&signed).expect("signed");
    let i = bytes.len() / 2;
    bytes[i] ^= 0x02;
    let tampered = dir.path().join("tampered");
    std::fs::write(&tampered, &bytes).expect("write");
    let (code, out, _) = run(&["verify-report", tampered.to_str().unwrap_or("")]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("INVALID"), "{out}");
    let (code, _, _) = run(&[
        "verify-report",
        dir.path().join("nothing").to_str().unwrap_or(""),
    ]);
    assert_eq!(code, 2);
}

#[test]
fn expectations_turn_a_known_deviation_into_an_expected_failure_and_report_stale_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("expectations.toml");
    std::fs::write(
        &file,
        "[[deviation]]\ncase = \"QC-1.03\"\nreason = \"validity 3 handling ships next release\"\n\n[[deviation]]\ncase = \"QC-1.04\"\nreason = \"an old entry\"\n",
    )
    .expect("write");
    let fault = format!("{} --fault ignores-validity-3", clinic());
    let (code, out, _) = run(&[
        "run",
        "--sut",
        &fault,
        "--only",
        "QC-1.03,QC-1.04",
        "--expectations",
        file.to_str().unwrap_or(""),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("XFAIL QC-1.03"), "{out}");
    assert!(out.contains("stale expectation: QC-1.04"), "{out}");
    std::fs::write(&file, "[[deviation]]\ncase = \"QC-0.00\"\nreason = \"x\"\n").expect("write");
    let (code, _, err) = run(&[
        "run",
        "--sut",
        &fault,
        "--expectations",
        file.to_str().unwrap_or(""),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown case"), "{err}");
}

/// Manual mode: the test plays the person at the SUT, reading the instructions and answering.
#[test]
fn manual_mode_waits_for_the_request_and_asks_what_the_screen_shows() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    let dir = tempfile::tempdir().expect("tempdir");
    let oqs = dir.path().join("oqs");
    let mut child = Command::new(harness())
        .args([
            "run",
            "--manual",
            "--oqs-dir",
            oqs.to_str().unwrap_or(""),
            "--only",
            "QC-1.05",
            "--timeout-ms",
            "20000",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut transcript = String::new();
    let mut next_containing = |needle: &str, transcript: &mut String| -> String {
        for line in lines.by_ref() {
            let line = line.expect("line");
            transcript.push_str(&line);
            transcript.push('\n');
            if line.contains(needle) {
                return line;
            }
        }
        panic!("no line with {needle:?} in:\n{transcript}");
    };
    let prompt = next_containing("Check patient", &mut transcript);
    // 保険者番号 X  記号 Y  番号 Z  枝番 B  生年月日 D
    let field = |label: &str| -> String {
        let after = prompt.split(label).nth(1).expect(label).trim_start();
        after
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_end_matches('.')
            .to_owned()
    };
    let insurer = field("保険者番号");
    let symbol = field("記号");
    let symbol = if symbol == "-" {
        String::new()
    } else {
        format!("<InsuredCardSymbol>{symbol}</InsuredCardSymbol>")
    };
    let branch = field("枝番");
    let branch = if branch == "-" {
        String::new()
    } else {
        format!("<InsuredBranchNumber>{branch:0>2}</InsuredBranchNumber>")
    };
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XmlMsg><MessageHeader><QualificationConfirmationDate>20261125</QualificationConfirmationDate><MedicalInstitutionCode>1311234567</MedicalInstitutionCode><ArbitraryFileIdentifier>manual-1</ArbitraryFileIdentifier></MessageHeader><MessageBody><QualificationConfirmSearchInfo><InsurerNumber>{:>8}</InsurerNumber>{symbol}<InsuredIdentificationNumber>{}</InsuredIdentificationNumber>{branch}<Birthdate>{}</Birthdate><LimitApplicationCertificateRelatedConsFlg>0</LimitApplicationCertificateRelatedConsFlg></QualificationConfirmSearchInfo></MessageBody></XmlMsg>\n",
        insurer,
        field("  番号 "),
        field("生年月日")
    );
    let tmp = oqs.join("req").join(".OQSsiquc01req_manual.xml.tmp");
    std::fs::write(&tmp, xml).expect("write request");
    std::fs::rename(&tmp, oqs.join("req").join("OQSsiquc01req_manual.xml")).expect("rename");
    next_containing("What does the system show", &mut transcript);
    let result = std::fs::read(oqs.join("res").join("OQSsiquc01res_manual.xml"))
        .expect("the terminal answered");
    assert!(
        String::from_utf8_lossy(&result)
            .contains("<QualificationValidity>4</QualificationValidity>")
    );
    writeln!(stdin, "{{\"outcome\":\"not-found\",\"validity\":\"4\"}}").expect("type");
    let verdict = next_containing("QC-1.05", &mut transcript);
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        verdict.starts_with("PASS"),
        "{transcript}{}",
        rest.join("\n")
    );
    assert_eq!(child.wait().expect("wait").code(), Some(0));
}
