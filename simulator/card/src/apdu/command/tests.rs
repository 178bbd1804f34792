//! Tests of the C-APDU parser: every ISO case, short and extended, and the malformed forms.

use super::*;
use crate::testutil::h;
use proptest::prelude::*;

#[test]
fn cases_parse() {
    // (apdu, data, ne, extended)
    let table: &[(&str, &str, Option<usize>, bool)] = &[
        ("00200080", "", None, false),
        ("00B0000004", "", Some(4), false),
        ("00B0000000", "", Some(256), false),
        ("00A4020C020018", "0018", None, false),
        ("802A00800231 3200", "3132", Some(256), false),
        ("802A008002313205", "3132", Some(5), false),
        ("00B0000400061F", "", Some(0x061F), true),
        ("00B08A00000000", "", Some(65536), true),
        ("0020008000000431323334", "31323334", None, true),
        ("002000800000043132333400FF", "31323334", Some(255), true),
        ("0020008000000431323334 0000", "31323334", Some(65536), true),
    ];
    for (apdu, data, ne, extended) in table {
        let bytes = h(apdu);
        let cmd = Command::parse(&bytes).unwrap_or_else(|e| panic!("{apdu}: {e}"));
        assert_eq!(cmd.data, h(data).as_slice(), "{apdu}");
        assert_eq!(cmd.ne, *ne, "{apdu}");
        assert_eq!(cmd.extended, *extended, "{apdu}");
    }
}

#[test]
fn malformed_apdus_are_errors() {
    for apdu in [
        "",
        "00",
        "00A4",
        "00A404",                   // short headers
        "00A4040C05D392",           // Lc larger than the data
        "00A4040C01D392F0F0",       // Lc smaller than data + Le
        "00B0000000 01",            // extended marker with too few bytes
        "00B000000000000102",       // extended Lc 0
        "00200080000004313233",     // extended Lc past the end
        "002000800000043132333400", // extended Le of one byte
    ] {
        assert!(Command::parse(&h(apdu)).is_err(), "{apdu} should not parse");
    }
}

proptest! {
    #[test]
    fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(cmd) = Command::parse(&bytes) {
            prop_assert!(cmd.data.len() + 4 <= bytes.len());
            prop_assert!(cmd.ne.is_none_or(|ne| (1..=65536).contains(&ne)));
        }
    }

    #[test]
    fn short_case4_round_trips(
        header in any::<[u8; 4]>(),
        data in proptest::collection::vec(any::<u8>(), 1..=255),
        le in any::<u8>(),
    ) {
        let mut bytes = header.to_vec();
        bytes.push(data.len() as u8);
        bytes.extend_from_slice(&data);
        bytes.push(le);
        let cmd = Command::parse(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(cmd.data, data.as_slice());
        prop_assert_eq!(cmd.ne, Some(if le == 0 { 256 } else { usize::from(le) }));
    }
}
