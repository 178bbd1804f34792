//! Tiny deterministic synthetic images (grayscale PNG) for the 券面AP: a cartoon placeholder "face" and
//! stripe patterns standing in for the printed name, address and security code.
//!
//! None of this is a photo of anyone. The PNG uses stored (uncompressed) deflate blocks, so no compression
//! library is needed. The real card stores the face as JPEG 2000; the mock's readers are told it is PNG.

use sha2::{Digest, Sha256};

/// A grayscale image, row-major, one byte per pixel.
pub(crate) struct Gray {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl Gray {
    fn new(width: u32, height: u32, fill: u8) -> Self {
        Self {
            width,
            height,
            pixels: vec![fill; (width * height) as usize],
        }
    }

    fn put(&mut self, x: u32, y: u32, value: u8) {
        if x < self.width && y < self.height {
            self.pixels[(y * self.width + x) as usize] = value;
        }
    }

    /// Fills the ellipse centred at (cx, cy) with radii (rx, ry).
    fn ellipse(&mut self, cx: i32, cy: i32, rx: i32, ry: i32, value: u8) {
        for y in (cy - ry).max(0)..=(cy + ry) {
            for x in (cx - rx).max(0)..=(cx + rx) {
                let (dx, dy) = (i64::from(x - cx), i64::from(y - cy));
                let (rx2, ry2) = (i64::from(rx * rx).max(1), i64::from(ry * ry).max(1));
                if dx * dx * ry2 + dy * dy * rx2 <= rx2 * ry2 {
                    self.put(x as u32, y as u32, value);
                }
            }
        }
    }

    /// Encodes as an 8-bit grayscale PNG.
    pub(crate) fn to_png(&self) -> Vec<u8> {
        let mut raw = Vec::with_capacity(self.pixels.len() + self.height as usize);
        for row in self.pixels.chunks(self.width.max(1) as usize) {
            raw.push(0); // filter: none
            raw.extend_from_slice(row);
        }
        let mut ihdr = Vec::with_capacity(13);
        ihdr.extend_from_slice(&self.width.to_be_bytes());
        ihdr.extend_from_slice(&self.height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // depth 8, grayscale, deflate, no filter, no interlace
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        chunk(&mut png, b"IHDR", &ihdr);
        chunk(
            &mut png,
            b"tEXt",
            b"Comment\0MOCK synthetic image - not a photo",
        );
        chunk(&mut png, b"IDAT", &zlib_stored(&raw));
        chunk(&mut png, b"IEND", &[]);
        png
    }
}

/// A 48×60 cartoon face whose proportions and shades come from `seed`.
pub(crate) fn synthetic_face(seed: &[u8]) -> Vec<u8> {
    let h = Sha256::digest(seed);
    let mut img = Gray::new(48, 60, 230);
    let head_rx = 14 + i32::from(h[0] % 4);
    let head_ry = 19 + i32::from(h[1] % 4);
    img.ellipse(24, 30, head_rx, head_ry, 150 + h[2] % 40);
    let eye_dx = 6 + i32::from(h[3] % 3);
    img.ellipse(24 - eye_dx, 25, 2, 2, 30);
    img.ellipse(24 + eye_dx, 25, 2, 2, 30);
    img.ellipse(24, 40, 6 + i32::from(h[4] % 3), 1, 60);
    img.to_png()
}

/// A 64×12 bar pattern standing in for printed text (one bar per byte of the text's hash).
pub(crate) fn text_placeholder(text: &str) -> Vec<u8> {
    let h = Sha256::digest(text.as_bytes());
    let mut img = Gray::new(64, 12, 255);
    for (i, byte) in h.iter().enumerate().take(16) {
        let height = 2 + u32::from(byte % 9);
        for y in (12 - height)..12 {
            for dx in 0..3 {
                img.put(i as u32 * 4 + dx, y, 0);
            }
        }
    }
    img.to_png()
}

/// The state of the face photo (`DF27` of the 券面AP) a card is built with: a card profile option
/// ([`super::CardProfile::set_face_image`]) for training the reader's "unreadable face image" path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FaceImage {
    /// A readable (synthetic) photo.
    #[default]
    Intact,
    /// A photo whose bytes are damaged: the PNG's chunk checksums fail and the data is cut short.
    Corrupt,
    /// No photo at all: `DF27` is missing from the 券面 entries.
    Absent,
}

impl FaceImage {
    /// `intact`, `corrupt` or `absent`.
    pub fn name(self) -> &'static str {
        match self {
            FaceImage::Intact => "intact",
            FaceImage::Corrupt => "corrupt",
            FaceImage::Absent => "absent",
        }
    }
}

impl std::str::FromStr for FaceImage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "intact" | "ok" => Ok(FaceImage::Intact),
            "corrupt" | "unreadable" => Ok(FaceImage::Corrupt),
            "absent" | "missing" => Ok(FaceImage::Absent),
            other => Err(format!(
                "unknown face image {other:?} (intact, corrupt or absent)"
            )),
        }
    }
}

/// `image` with damaged bytes: every byte after the PNG signature and IHDR is inverted (so the
/// chunk CRCs fail) and the last third is cut off, like a photo whose EEPROM area went bad.
pub(crate) fn corrupt(image: &[u8]) -> Vec<u8> {
    let keep = (image.len() * 2 / 3).max(1);
    image
        .iter()
        .take(keep)
        .enumerate()
        .map(|(i, b)| if i < 33 { *b } else { !b })
        .collect()
}

/// Why a face photo cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FaceImageError {
    /// The 券面 entries hold no photo.
    #[error("no face image on the card")]
    Absent,
    /// Not a PNG (wrong signature).
    #[error("not a PNG image")]
    NotPng,
    /// A chunk runs past the end of the data.
    #[error("truncated at byte {0}")]
    Truncated(usize),
    /// A chunk's CRC does not match.
    #[error("bad CRC in chunk {0}")]
    BadCrc(String),
    /// The chunk order or the header is wrong (IHDR first, non-zero size, IDAT, IEND last).
    #[error("malformed image: {0}")]
    Malformed(&'static str),
}

/// Checks that `png` is a decodable PNG as the reader's camera software would before matching: the
/// signature, every chunk's length and CRC, IHDR first with a non-zero size, at least one IDAT and
/// IEND last. (MOCK: the real card holds JPEG 2000; the simulator's photos are PNG.)
pub fn check_face_image(png: &[u8]) -> Result<(), FaceImageError> {
    const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    if png.is_empty() {
        return Err(FaceImageError::Absent);
    }
    if png.len() < 8 || png[..8] != SIGNATURE {
        return Err(FaceImageError::NotPng);
    }
    let mut at = 8;
    let (mut first, mut idat, mut ended) = (true, false, false);
    while at < png.len() {
        if ended {
            return Err(FaceImageError::Malformed("data after IEND"));
        }
        let head = png.get(at..at + 8).ok_or(FaceImageError::Truncated(at))?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = &head[4..8];
        let end = at
            .checked_add(12)
            .and_then(|n| n.checked_add(len))
            .filter(|&n| n <= png.len())
            .ok_or(FaceImageError::Truncated(at))?;
        let body = &png[at + 4..end - 4];
        let crc = u32::from_be_bytes([png[end - 4], png[end - 3], png[end - 2], png[end - 1]]);
        if crc32(body) != crc {
            return Err(FaceImageError::BadCrc(String::from_utf8_lossy(kind).into()));
        }
        match kind {
            b"IHDR" => {
                let data = &body[4..];
                if !first || data.len() != 13 {
                    return Err(FaceImageError::Malformed("IHDR"));
                }
                if data[..4] == [0; 4] || data[4..8] == [0; 4] {
                    return Err(FaceImageError::Malformed("zero image size"));
                }
            }
            _ if first => return Err(FaceImageError::Malformed("IHDR is not first")),
            b"IDAT" => idat = true,
            b"IEND" => ended = true,
            _ => {}
        }
        first = false;
        at = end;
    }
    if !idat {
        return Err(FaceImageError::Malformed("no IDAT"));
    }
    if !ended {
        return Err(FaceImageError::Truncated(png.len()));
    }
    Ok(())
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc_input = Vec::with_capacity(data.len() + 4);
    crc_input.extend_from_slice(kind);
    crc_input.extend_from_slice(data);
    out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
}

/// zlib stream made of stored deflate blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(0xFFFF).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
    }
    while let Some(block) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_and_adler_match_known_values() {
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn face_is_deterministic_png() {
        let a = synthetic_face(b"seed");
        assert_eq!(a, synthetic_face(b"seed"));
        assert_ne!(a, synthetic_face(b"other"));
        assert_eq!(a[..8], [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        assert!(a.len() < 4096, "face image stays small: {}", a.len());
    }

    #[test]
    fn intact_images_pass_the_check_and_damaged_ones_fail() {
        let face = synthetic_face(b"seed");
        assert_eq!(check_face_image(&face), Ok(()));
        assert_eq!(check_face_image(&text_placeholder("x")), Ok(()));
        assert!(matches!(
            check_face_image(&corrupt(&face)),
            Err(FaceImageError::BadCrc(_) | FaceImageError::Truncated(_))
        ));
        assert_eq!(check_face_image(&[]), Err(FaceImageError::Absent));
        assert_eq!(check_face_image(b"GIF89a"), Err(FaceImageError::NotPng));
        // One flipped bit in the pixel data, and a missing IEND.
        let mut flipped = face.clone();
        flipped[60] ^= 1;
        assert!(matches!(
            check_face_image(&flipped),
            Err(FaceImageError::BadCrc(_))
        ));
        assert_eq!(
            check_face_image(&face[..face.len() - 12]),
            Err(FaceImageError::Truncated(face.len() - 12))
        );
        // Arbitrary bytes never panic.
        for n in 0..face.len() {
            let _ = check_face_image(&face[..n]);
        }
    }
}
