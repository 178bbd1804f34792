//! Tests of the vpcd codec: control bytes, chunked input, malformed frames, and round trips.

use super::*;
use crate::testutil::*;
use proptest::prelude::*;

#[test]
fn control_bytes_and_apdus_decode() {
    let table: &[(&[u8], Result<VpcdRequest, VpcdError>)] = &[
        (&[0x00], Ok(VpcdRequest::PowerOff)),
        (&[0x01], Ok(VpcdRequest::PowerOn)),
        (&[0x02], Ok(VpcdRequest::Reset)),
        (&[0x04], Ok(VpcdRequest::GetAtr)),
        (&[0x03], Err(VpcdError::UnknownControl(0x03))),
        (&[], Err(VpcdError::EmptyFrame)),
        (&[0x00, 0xA4], Ok(VpcdRequest::Apdu(vec![0x00, 0xA4]))),
    ];
    for (payload, expected) in table {
        assert_eq!(&VpcdRequest::decode(payload), expected, "{payload:02X?}");
    }
}

#[test]
fn deframer_handles_split_and_joined_frames() {
    let mut wire = frame(&[0x01]).expect("frame");
    wire.extend(frame(&[0x04]).expect("frame"));
    wire.extend(frame(&h(SELECT_JPKI)).expect("frame"));
    let mut deframer = Deframer::new();
    let mut got = Vec::new();
    // One byte at a time, as the bookworm vpcd's two send() calls may arrive.
    for byte in &wire {
        deframer.feed(std::slice::from_ref(byte));
        while let Some(request) = deframer.next_request() {
            got.push(request);
        }
    }
    assert_eq!(
        got,
        [
            Ok(VpcdRequest::PowerOn),
            Ok(VpcdRequest::GetAtr),
            Ok(VpcdRequest::Apdu(h(SELECT_JPKI)))
        ]
    );
    assert_eq!(deframer.buffered(), 0);
    // A bad frame is reported and consumed; the next one still decodes.
    deframer.feed(&[0x00, 0x00, 0x00, 0x01, 0x07, 0x00, 0x01, 0x02]);
    assert_eq!(deframer.next_request(), Some(Err(VpcdError::EmptyFrame)));
    assert_eq!(
        deframer.next_request(),
        Some(Err(VpcdError::UnknownControl(7)))
    );
    assert_eq!(deframer.next_request(), Some(Ok(VpcdRequest::Reset)));
    assert_eq!(deframer.next_request(), None);
    assert_eq!(
        frame(&vec![0; MAX_PAYLOAD + 1]),
        Err(VpcdError::TooLong(MAX_PAYLOAD + 1))
    );
}

#[test]
fn respond_drives_the_card() {
    let mut card = VirtualCard::new(content());
    assert_eq!(respond(&mut card, &VpcdRequest::PowerOn), None);
    assert_eq!(
        respond(&mut card, &VpcdRequest::GetAtr),
        Some(ATR_JPKI_VEC.to_vec())
    );
    assert_eq!(
        respond(&mut card, &VpcdRequest::Apdu(h(SELECT_JPKI))),
        Some(vec![0x90, 0x00])
    );
    assert_eq!(
        respond(&mut card, &VpcdRequest::Apdu(h("00CADF3005"))),
        Some(vec![0x6D, 0x00])
    );
    assert_eq!(respond(&mut card, &VpcdRequest::Reset), None);
    assert_eq!(card.current_app(), None);
    assert_eq!(respond(&mut card, &VpcdRequest::PowerOff), None);
    assert!(!card.is_powered());
}

const ATR_JPKI_VEC: [u8; 9] = crate::ATR_JPKI;

fn request() -> impl Strategy<Value = VpcdRequest> {
    prop_oneof![
        Just(VpcdRequest::PowerOff),
        Just(VpcdRequest::PowerOn),
        Just(VpcdRequest::Reset),
        Just(VpcdRequest::GetAtr),
        proptest::collection::vec(any::<u8>(), 2..300).prop_map(VpcdRequest::Apdu),
    ]
}

proptest! {
    #[test]
    fn deframer_never_panics(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..16)) {
        let mut deframer = Deframer::new();
        let total: usize = chunks.iter().map(Vec::len).sum();
        let mut consumed = 0;
        for chunk in &chunks {
            deframer.feed(chunk);
            while let Some(payload) = deframer.next_payload() {
                consumed += payload.len() + 2;
                let _ = VpcdRequest::decode(&payload);
            }
        }
        prop_assert_eq!(consumed + deframer.buffered(), total);
    }

    #[test]
    fn frame_then_deframe_round_trips(
        requests in proptest::collection::vec(request(), 0..8),
        split in proptest::collection::vec(1usize..50, 1..20),
    ) {
        let mut wire = Vec::new();
        for r in &requests {
            wire.extend(frame(&r.encode()).map_err(|e| TestCaseError::fail(e.to_string()))?);
        }
        let mut deframer = Deframer::new();
        let mut got = Vec::new();
        let mut rest = wire.as_slice();
        let mut sizes = split.iter().cycle();
        while !rest.is_empty() {
            let n = sizes.next().copied().unwrap_or(1).min(rest.len());
            let (now, later) = rest.split_at(n);
            deframer.feed(now);
            rest = later;
            while let Some(r) = deframer.next_request() {
                got.push(r.map_err(|e| TestCaseError::fail(e.to_string()))?);
            }
        }
        prop_assert_eq!(got, requests);
    }
}
