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
}
