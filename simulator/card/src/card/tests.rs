//! Tests of the card's power and session state machine, PIN persistence, and a property test that random
//! command sequences never break the state invariants.

use super::*;
use crate::sw::*;
use crate::testutil::*;
use proptest::prelude::*;

#[test]
fn power_events_return_the_atr_and_clear_the_session() {
    let mut card = VirtualCard::new(content());
    assert!(!card.is_powered());
    assert_eq!(card.power_on(), &ATR_JPKI);
    check(
        &mut card,
        &[
            (SELECT_JPKI, SW_OK),
            ("00A4020C020018", SW_OK),
            ("0020008004 31323334", SW_OK),
        ],
    );
    assert!(card.is_verified(PinId::JpkiAuth));
    assert_eq!(card.reset(), &ATR_JPKI);
    assert!(!card.is_verified(PinId::JpkiAuth));
    assert_eq!(card.current_app(), None);
    check(
        &mut card,
        &[
            (SELECT_JPKI, SW_OK),
            ("00A4020C020018", SW_OK),
            ("0020008004 31323334", SW_OK),
        ],
    );
    card.power_off();
    assert!(!card.is_powered());
    assert!(!card.is_verified(PinId::JpkiAuth));
    // An APDU to a card that is off powers it on first, with a fresh session.
    check(&mut card, &[("00A4020C020018", SW_FILE_NOT_FOUND)]);
    assert!(card.is_powered());
}

#[test]
fn selecting_another_ap_clears_verified_pins() {
    let mut card = card();
    check(
        &mut card,
        &[
            (SELECT_KENHOJO, SW_OK),
            ("002000910435363738", SW_OK),
            (SELECT_JPKI, SW_OK),
            (SELECT_KENHOJO, SW_OK),
            ("00A4020C020002", SW_OK),
            ("00B0000007", SW_SECURITY_NOT_SATISFIED),
        ],
    );
}

#[test]
fn counters_export_and_import() {
    let mut card = card();
    check(
        &mut card,
        &[(SELECT_JPKI, SW_OK), ("0020009804 30303030", 0x63C2)],
    );
    let saved = card.export_pins();
    let mut fresh = VirtualCard::new(content());
    assert_eq!(fresh.tries_left(PinId::JpkiAuth), 3);
    fresh.import_pins(&saved);
    assert_eq!(fresh.tries_left(PinId::JpkiAuth), 2);
    assert_eq!(fresh.export_pins(), saved);
    // Over-range counters are clamped on import.
    let mut bogus = saved.clone();
    for record in &mut bogus.records {
        record.tries_left = 200;
    }
    fresh.import_pins(&bogus);
    assert_eq!(fresh.tries_left(PinId::JpkiSign), 5);
    assert!(fresh.check_invariants().is_ok());
    // Importing a lock while the PIN is verified drops the verification.
    let mut card = crate::testutil::card();
    check(
        &mut card,
        &[(SELECT_JPKI, SW_OK), ("0020009804 31323334", SW_OK)],
    );
    let mut locked = card.export_pins();
    for record in &mut locked.records {
        record.tries_left = 0;
    }
    card.import_pins(&locked);
    assert!(!card.is_verified(PinId::JpkiAuth));
    assert!(card.check_invariants().is_ok());
    assert_eq!(PinId::from_name("jpki-sign"), Some(PinId::JpkiSign));
}

#[test]
fn blocked_query_reply_is_configurable() {
    let options = CardOptions {
        blocked_query: BlockedQueryReply::ZeroTries,
        ..CardOptions::default()
    };
    let mut card = VirtualCard::with_options(content(), options);
    card.power_on();
    check(
        &mut card,
        &[(SELECT_JPKI, SW_OK), ("00A4020C020018", SW_OK)],
    );
    for _ in 0..3 {
        card.process(&h("0020008004 30303030"));
    }
    check(
        &mut card,
        &[
            ("00200080", 0x63C0),
            ("0020008004 31323334", SW_PIN_BLOCKED),
        ],
    );
}

#[test]
fn debug_output_hides_pins() {
    let mut card = card();
    check(&mut card, &[(SELECT_JPKI, SW_OK)]);
    let texts = [
        format!("{card:?}"),
        format!("{:?}", profile()),
        format!("{:?}", card.export_pins()),
    ];
    for text in texts {
        for secret in [
            "1234",
            "ABC123",
            "5678",
            "80010120304321",
            "4321\"",
            "12345678901",
        ] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
    }
}

/// Commands the random sequences are built from: real client APDUs, right and wrong PINs, and noise.
fn command() -> impl Strategy<Value = Vec<u8>> {
    let known: Vec<Vec<u8>> = [
        SELECT_JPKI,
        SELECT_KENHOJO,
        SELECT_KENKAKU,
        SELECT_JUKI,
        SELECT_CARD_ID,
        "00A4040C07A000000116DB0000",
        "00A4020C020018",
        "00A4020C02001B",
        "00A4020C020017",
        "00A4020C02001A",
        "00A4020C020001",
        "00A4020C020002",
        "00A4020C02000A",
        "00A4020C020011",
        "00A4020C020012",
        "00A4000C023F00",
        "00200080",
        "0020008004 31323334",
        "0020008004 30303030",
        "0020008006 414243313233",
        "0020008006 414243313234",
        "002000910435363738",
        "002000910430303030",
        "002000920E 3830303130313230333034333231",
        "0020009C04 31323334",
        "0020009C04 39393939",
        "0024018004 31323334",
        "00B0000004",
        "00B0000000",
        "00B08A00000000",
        "0084000008",
        "802A0080033031 00",
    ]
    .iter()
    .map(|hex| h(hex))
    .collect();
    prop_oneof![
        4 => proptest::sample::select(known),
        1 => proptest::collection::vec(any::<u8>(), 0..24),
    ]
}

#[derive(Debug, Clone)]
enum Step {
    Apdu(Vec<u8>),
    PowerOff,
    Reset,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        12 => command().prop_map(Step::Apdu),
        1 => Just(Step::PowerOff),
        1 => Just(Step::Reset),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_keep_the_invariants(steps in proptest::collection::vec(step(), 1..60)) {
        let mut card = crate::testutil::card();
        for step in &steps {
            let before: Vec<(PinId, u8)> = PinId::ALL.iter().map(|p| (*p, card.tries_left(*p))).collect();
            match step {
                Step::Apdu(apdu) => {
                    let response = card.process(apdu);
                    prop_assert!(response.data.len() <= 65536);
                }
                Step::PowerOff => card.power_off(),
                Step::Reset => { card.reset(); }
            }
            prop_assert!(card.check_invariants().is_ok(), "{:?}", card.check_invariants());
            for (pin, tries_before) in before {
                let now = card.tries_left(pin);
                // A locked PIN stays locked (nothing unlocks it).
                if tries_before == 0 {
                    prop_assert_eq!(now, 0, "{} unlocked", pin.name());
                }
                // Counters only go down by one per command, or back to the maximum.
                prop_assert!(now + 1 >= tries_before || now == pin.policy().max_tries);
                prop_assert!(!(now == 0 && card.is_verified(pin)));
            }
        }
    }

    #[test]
    fn locked_pins_answer_6983_to_every_verify(data in proptest::collection::vec(any::<u8>(), 0..20)) {
        let mut card = crate::testutil::card();
        card.process(&h(SELECT_JPKI));
        card.process(&h("00A4020C020018"));
        for _ in 0..3 {
            card.process(&h("0020008004 39393939"));
        }
        let mut apdu = h("00200080");
        if !data.is_empty() {
            apdu.push(data.len() as u8);
            apdu.extend_from_slice(&data);
        }
        prop_assert_eq!(card.process(&apdu).sw, SW_PIN_BLOCKED);
        prop_assert!(!card.is_verified(PinId::JpkiAuth));
    }

    #[test]
    fn arbitrary_bytes_never_panic(apdu in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut card = crate::testutil::card();
        card.process(&h(SELECT_JPKI));
        let response = card.process(&apdu);
        prop_assert!(response.data.len() <= 65536);
        prop_assert!(card.check_invariants().is_ok());
    }
}
