//! The reader's sans-IO session against a scripted card: the face photo path (券面AP read with PIN B;
//! MOCK-R111 for a damaged / missing photo and the fallback to PIN or 目視; removal mid-read).

use sim_server::reader::session::{
    CardLink, FACE_MAX_ATTEMPTS, LinkError, Mode, ReaderMessage, ReaderSession, Screen,
};

const PIN_B: &[u8] = b"80010120304321";

/// A scripted My Number Card: JPKI certificate, JPKI PIN tries, and a 券面AP whose `FF20` holds
/// `face` in `DF27` (left out when `None`).
struct FakeCard {
    face: Option<Vec<u8>>,
    current: Vec<u8>,
    kenkaku_open: bool,
    removed_after: Option<usize>,
    sent: usize,
}

fn tlv(tag: u16, value: &[u8]) -> Vec<u8> {
    let mut out = tag.to_be_bytes().to_vec();
    out.push(0x82);
    out.extend_from_slice(&(value.len() as u16).to_be_bytes());
    out.extend_from_slice(value);
    out
}

impl FakeCard {
    fn new(face: Option<Vec<u8>>) -> FakeCard {
        FakeCard {
            face,
            current: Vec::new(),
            kenkaku_open: false,
            removed_after: None,
            sent: 0,
        }
    }

    fn entries(&self) -> Vec<u8> {
        let mut value = tlv(0xDF22, b"19800101");
        if let Some(face) = &self.face {
            value.extend_from_slice(&tlv(0xDF27, face));
        }
        value.extend_from_slice(&tlv(0xDF29, b"20300101"));
        tlv(0xFF20, &value)
    }
}

impl CardLink for FakeCard {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, LinkError> {
        self.sent += 1;
        if self.removed_after.is_some_and(|n| self.sent > n) {
            return Err(LinkError::Removed);
        }
        let ok = |mut data: Vec<u8>| {
            data.extend_from_slice(&[0x90, 0x00]);
            Ok(data)
        };
        match apdu {
            [0x00, 0xA4, 0x04, 0x0C, 0x0A, aid @ ..] => {
                self.kenkaku_open = aid == sim_card::fs::AID_KENKAKU;
                ok(Vec::new())
            }
            [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A] => {
                self.current = vec![0x30, 0x82, 0x00, 0x03, 1, 2, 3];
                ok(Vec::new())
            }
            [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x02] if self.kenkaku_open => {
                self.current = self.entries();
                ok(Vec::new())
            }
            [0x00, 0xA4, 0x02, 0x0C, 0x02, ..] => ok(Vec::new()),
            [0x00, 0x20, 0x00, 0x98] => Ok(vec![0x63, 0xC3]),
            [0x00, 0x20, 0x00, 0x80, _, pin @ ..] if pin == PIN_B => ok(Vec::new()),
            [0x00, 0x20, 0x00, 0x80, ..] => Ok(vec![0x63, 0xC9]),
            [0x00, 0xB0, hi, lo, le] => {
                let at = usize::from(u16::from_be_bytes([*hi, *lo]));
                let n = if *le == 0 { 256 } else { usize::from(*le) };
                let end = (at + n).min(self.current.len());
                ok(self.current.get(at..end).unwrap_or_default().to_vec())
            }
            _ => Ok(vec![0x6D, 0x00]),
        }
    }
}

fn png() -> Vec<u8> {
    // The simulator's own synthetic photo: a valid PNG the reader accepts.
    let mut profile_face = Vec::new();
    for b in [
        &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
        &chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]),
        &chunk(
            b"IDAT",
            &[
                0x78, 0x01, 0x01, 0x02, 0x00, 0xFD, 0xFF, 0, 0x80, 0, 0x81, 0, 0x81,
            ],
        ),
        &chunk(b"IEND", &[]),
    ] {
        profile_face.extend_from_slice(b);
    }
    profile_face
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    let mut crc = 0xFFFF_FFFFu32;
    for &b in &body {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    out.extend_from_slice(&(!crc).to_be_bytes());
    out
}

fn session(card: &mut FakeCard, pin_b: Option<&[u8]>) -> ReaderSession {
    let mut s = ReaderSession::new();
    assert_eq!(s.insert(card), &Screen::ChooseMode);
    assert_eq!(s.certificate(), &[0x30, 0x82, 0x00, 0x03, 1, 2, 3]);
    s.set_printed_pin_b(pin_b.map(<[u8]>::to_vec));
    s
}

#[test]
fn a_readable_photo_opens_face_capture() {
    let mut card = FakeCard::new(Some(png()));
    let mut s = session(&mut card, Some(PIN_B));
    assert_eq!(
        s.choose(&mut card, Mode::Face),
        &Screen::FaceCapture {
            attempts_left: FACE_MAX_ATTEMPTS,
            message: None
        }
    );
    assert_eq!(s.face_image_error(), None);
}

#[test]
fn a_corrupt_or_missing_photo_stops_face_mode_and_offers_pin_or_visual() {
    let mut bad = png();
    let last = bad.len() - 20;
    bad[last] ^= 0xFF;
    // (photo in DF27, 照合番号B the reader has)
    type Case<'a> = (Option<Vec<u8>>, Option<&'a [u8]>);
    let cases: [Case<'_>; 5] = [
        (Some(bad), Some(PIN_B)),
        (None, Some(PIN_B)),
        (Some(Vec::new()), Some(PIN_B)),
        (Some(png()), Some(b"80010120309999")),
        (Some(png()), None),
    ];
    for (face, pin_b) in cases {
        let mut card = FakeCard::new(face.clone());
        let mut s = session(&mut card, pin_b);
        let failed = Screen::Failed(ReaderMessage::FaceImageUnreadable);
        assert_eq!(s.choose(&mut card, Mode::Face), &failed, "{face:?}");
        assert!(s.face_image_error().is_some());
        // No camera verdict is taken, and face mode stays unavailable for this card.
        assert_eq!(s.face(&mut card, true), &failed);
        assert_eq!(s.choose(&mut card, Mode::Face), &failed);
        // PIN and 目視 are still offered.
        assert_eq!(
            s.choose(&mut card, Mode::Pin),
            &Screen::EnterPin {
                tries_left: 3,
                message: None
            }
        );
        assert_eq!(s.choose(&mut card, Mode::Visual), &Screen::StaffConfirm);
    }
    assert_eq!(
        ReaderMessage::FaceImageUnreadable.to_string(),
        "MOCK-R111:カードの顔写真を読み取れないため顔認証できません。暗証番号か目視確認を選んでください"
    );
}

#[test]
fn removing_the_card_while_reading_the_photo_is_r105() {
    let mut card = FakeCard::new(Some(png()));
    let mut s = session(&mut card, Some(PIN_B));
    card.removed_after = Some(card.sent + 3);
    assert_eq!(
        s.choose(&mut card, Mode::Face),
        &Screen::Failed(ReaderMessage::CardRemoved)
    );
}
