//! The shared folder: results in both encodings, `.err` for malformed files, careful and careless
//! writers, polling, temporary names, the response delay, and the journal.

use std::io::Write;
use std::time::{Duration, Instant};

use sim_messages::TextEncoding;

use crate::support::*;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread")]
async fn shift_jis_crlf_request_is_answered_in_both_encodings() {
    for (encoding, label, cci) in [
        (TextEncoding::ShiftJis, "shift_jis", "1"),
        (TextEncoding::Utf8, "utf-8", "0"),
    ] {
        let mut config = test_config();
        config.terminal.result_encoding = label.into();
        let server = TestServer::start(config).await;
        let afi = "pt000123_20261125093012 ＆<x>";
        let bytes = sjis_request(&KOKUHO, afi);
        assert!(
            bytes.windows(2).any(|w| w == b"\r\n"),
            "the request has CRLF line ends"
        );
        server.drop_request("OQSsiquc01req_20261125093012.xml", &bytes);
        let result = wait_for(&server.res("OQSsiquc01res_20261125093012.xml"), WAIT).await;
        let t = text(&result, encoding);
        let declaration = format!(
            "<?xml version=\"1.0\" encoding=\"{}\" standalone=\"no\"?>\r\n",
            encoding.declaration_label()
        );
        assert!(t.starts_with(&declaration), "{t}");
        assert_eq!(element(&t, "CharacterCodeIdentifier").as_deref(), Some(cci));
        assert_eq!(element(&t, "SegmentOfResult").as_deref(), Some("1"));
        assert_eq!(element(&t, "QualificationValidity").as_deref(), Some("1"));
        assert_eq!(element(&t, "Name").as_deref(), Some("鈴木　和子"));
        assert_eq!(element(&t, "NameKana").as_deref(), Some("ｽｽﾞｷ ｶｽﾞｺ"));
        assert_eq!(
            element(&t, "ProcessExecutionTime").as_deref(),
            Some("20261125093015")
        );
        // 6-digit insurer numbers come back space-padded to 8.
        assert!(t.contains("<InsurerNumber>  131011</InsurerNumber>"));
        // Clients look for the identifier as a raw substring.
        assert!(t.contains("<ArbitraryFileIdentifier>pt000123_20261125093012 ＆&lt;x&gt;</ArbitraryFileIdentifier>"), "{t}");
        // The request leaves req/ just after its result is in place (and fsynced).
        for _ in 0..500 {
            if list(&server.folders.req).is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            list(&server.folders.req).is_empty(),
            "the request is consumed"
        );
        assert_eq!(
            list(&server.folders.res),
            ["OQSsiquc01res_20261125093012.xml"]
        );
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn utf8_request_unknown_person_and_error_outcomes() {
    let server = TestServer::start(test_config()).await;
    server.drop_request("OQSsiquc01req_nobody.xml", &utf8_request(&NOBODY, "n1"));
    let t = text(
        &wait_for(&server.res("OQSsiquc01res_nobody.xml"), WAIT).await,
        TextEncoding::ShiftJis,
    );
    assert_eq!(element(&t, "ProcessingResultStatus").as_deref(), Some("1"));
    assert_eq!(element(&t, "QualificationValidity").as_deref(), Some("4"));
    assert!(element(&t, "ResultList").is_none());

    // A mistyped insurer number: a per-person error.
    let mut keys = SHAHO;
    keys.insurer = "01130013";
    server.drop_request("OQSsiquc01req_typo.xml", &utf8_request(&keys, "t1"));
    let t = text(
        &wait_for(&server.res("OQSsiquc01res_typo.xml"), WAIT).await,
        TextEncoding::ShiftJis,
    );
    assert_eq!(element(&t, "ProcessingResultStatus").as_deref(), Some("2"));
    assert_eq!(
        element(&t, "ProcessingResultCode").as_deref(),
        Some("MOCK-P0002")
    );

    // A malformed header value: SegmentOfResult 9, no body.
    let mut req = request(&SHAHO, "h1");
    req.header.medical_institution_code = Some("13112345".into());
    let bytes =
        sim_messages::xml::write_document(&req, TextEncoding::Utf8, Default::default()).unwrap();
    server.drop_request("OQSsiquc01req_header.xml", &bytes);
    let t = text(
        &wait_for(&server.res("OQSsiquc01res_header.xml"), WAIT).await,
        TextEncoding::ShiftJis,
    );
    assert_eq!(element(&t, "SegmentOfResult").as_deref(), Some("9"));
    assert_eq!(element(&t, "ErrorCode").as_deref(), Some("MOCK-H0003"));
    assert!(!t.contains("<MessageBody>"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_files_come_back_with_an_err_file() {
    let mut config = test_config();
    config.terminal.max_request_bytes = 4096;
    let server = TestServer::start(config).await;
    let valid = sjis_request(&SHAHO, "ok");
    let mut missing = String::from_utf8(utf8_request(&SHAHO, "m")).unwrap();
    missing = missing.replace("<Birthdate>19840615</Birthdate>", "");
    let utf8_declared_sjis = String::from_utf8(utf8_request(&KOKUHO, "e"))
        .unwrap()
        .replace("encoding=\"UTF-8\"", "encoding=\"Shift_JIS\"");
    let mut huge = valid.clone();
    huge.extend(std::iter::repeat_n(b' ', 5000));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "OQSsiquc01req_notxml.xml",
            b"this is not xml".to_vec(),
            "MOCK-F0003",
        ),
        (
            "OQSsiquc01req_root.xml",
            b"<Other><A/></Other>".to_vec(),
            "MOCK-F0004",
        ),
        (
            "OQSsiquc01req_missing.xml",
            missing.into_bytes(),
            "MOCK-F0006",
        ),
        (
            "OQSsiquc01req_encoding.xml",
            utf8_declared_sjis.into_bytes(),
            "MOCK-F0002",
        ),
        ("XYZsiquc01req_prefix.xml", valid.clone(), "MOCK-F0007"),
        ("OQSsiquc01req_empty.xml", Vec::new(), "MOCK-F0001"),
        ("OQSsiquc01req_huge.xml", huge, "MOCK-F0008"),
        ("CIPsiquc01req_unsupported.xml", valid.clone(), "MOCK-F0009"),
    ];
    for (name, bytes, _) in &cases {
        server.drop_request(name, bytes);
    }
    for (name, bytes, code) in &cases {
        let err_name = format!("{}.err", name.trim_end_matches(".xml"));
        let err = text(
            &wait_for(&server.res(&err_name), WAIT).await,
            TextEncoding::ShiftJis,
        );
        assert!(err.starts_with(code), "{name}: {err}");
        assert!(err.ends_with("\r\n"));
        // The request itself is moved into res/, unchanged (the .err is written first, so the
        // move may still be under way when the .err appears).
        if !bytes.is_empty() {
            let moved = wait_for(&server.res(name), WAIT).await;
            assert_eq!(&moved, bytes, "{name}");
        } else {
            for _ in 0..500 {
                if server.res(name).exists() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            assert!(server.res(name).exists(), "{name} moved to res/");
        }
    }
    assert!(
        list(&server.folders.req).is_empty(),
        "nothing is left behind: {:?}",
        list(&server.folders.req)
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn careless_writer_and_startup_backlog() {
    let dir = tempfile::tempdir().unwrap();
    // A backlog present before the simulator starts.
    let req = dir.path().join("oqs").join("req");
    std::fs::create_dir_all(&req).unwrap();
    for i in 0..5 {
        std::fs::write(
            req.join(format!("OQSsiquc01req_backlog{i}.xml")),
            sjis_request(&SHAHO, &format!("b{i}")),
        )
        .unwrap();
    }
    let server = TestServer::start_in(dir, test_config()).await;
    for i in 0..5 {
        let t = text(
            &wait_for(&server.res(&format!("OQSsiquc01res_backlog{i}.xml")), WAIT).await,
            TextEncoding::ShiftJis,
        );
        assert_eq!(
            element(&t, "ArbitraryFileIdentifier"),
            Some(format!("b{i}"))
        );
    }
    // A client that writes the file in place, in two parts with a pause: it must be answered
    // from the complete file, not rejected half-written.
    let bytes = sjis_request(&SHAHO, "slow");
    let path = server.folders.req.join("OQSsiquc01req_slow.xml");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(&bytes[..bytes.len() / 2]).unwrap();
    f.flush().unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    f.write_all(&bytes[bytes.len() / 2..]).unwrap();
    drop(f);
    let t = text(
        &wait_for(&server.res("OQSsiquc01res_slow.xml"), WAIT).await,
        TextEncoding::ShiftJis,
    );
    assert_eq!(element(&t, "QualificationValidity").as_deref(), Some("1"));
    assert!(!server.res("OQSsiquc01req_slow.err").exists());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn polling_mode_temporary_names_and_delay() {
    let mut config = test_config();
    config.terminal.watch = "poll".into();
    config.terminal.poll_interval_ms = 50;
    config.terminal.response_delay_ms = [300, 300];
    let server = TestServer::start(config).await;
    std::fs::write(
        server.folders.req.join("OQSsiquc01req_x.xml.tmp"),
        b"partial",
    )
    .unwrap();
    std::fs::write(server.folders.req.join(".hidden.xml"), b"partial").unwrap();
    let started = Instant::now();
    server.drop_request("OQSsiquc01req_poll.xml", &sjis_request(&SHAHO, "p"));
    wait_for(&server.res("OQSsiquc01res_poll.xml"), WAIT).await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the configured delay is respected"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        list(&server.folders.req),
        [".hidden.xml", "OQSsiquc01req_x.xml.tmp"]
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_exchange_is_journaled() {
    let server = TestServer::start(test_config()).await;
    server.drop_request("OQSsiquc01req_j1.xml", &sjis_request(&SHAHO, "j1"));
    server.drop_request("OQSsiquc01req_j2.xml", b"garbage");
    wait_for(&server.res("OQSsiquc01res_j1.xml"), WAIT).await;
    wait_for(&server.res("OQSsiquc01req_j2.err"), WAIT).await;
    // The journal is written right after the answer; give it a moment.
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.shared.journal.flush();
    let entries = server.shared.journal.list(10, None).unwrap();
    let mut names: Vec<_> = entries
        .iter()
        .map(|e| {
            (
                e.request_name.as_str(),
                e.answer_name.as_deref().unwrap_or(""),
            )
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("OQSsiquc01req_j1.xml", "OQSsiquc01res_j1.xml"),
            ("OQSsiquc01req_j2.xml", "OQSsiquc01req_j2.err")
        ]
    );
    let j1 = entries
        .iter()
        .find(|e| e.request_name == "OQSsiquc01req_j1.xml")
        .unwrap();
    assert_eq!(j1.qualification_validity.as_deref(), Some("1"));
    assert_eq!(j1.arbitrary_file_identifier.as_deref(), Some("j1"));
    let full = server.shared.journal.get(j1.id).unwrap().unwrap();
    assert_eq!(full.request, sjis_request(&SHAHO, "j1"));
    assert_eq!(
        full.answer,
        std::fs::read(server.res("OQSsiquc01res_j1.xml")).unwrap()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_whose_name_is_not_utf8_comes_back_with_an_err_file() {
    use std::os::unix::ffi::OsStrExt;
    let server = TestServer::start(test_config()).await;
    let name = std::ffi::OsStr::from_bytes(b"OQSsiquc01req_\xff\xfe.xml");
    let tmp = server.folders.req.join(".unreadable.tmp");
    std::fs::write(&tmp, sjis_request(&SHAHO, "u")).unwrap();
    std::fs::rename(&tmp, server.folders.req.join(name)).unwrap();
    let err = wait_for(&server.res("OQSsiquc01req_\u{fffd}\u{fffd}.err"), WAIT).await;
    assert!(text(&err, TextEncoding::ShiftJis).contains("not valid UTF-8"));
    for _ in 0..200 {
        if server.folders.res.join(name).exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        server.folders.res.join(name).exists(),
        "the file itself is moved to res/"
    );
    assert!(list(&server.folders.req).is_empty());
    server.stop().await;
}
