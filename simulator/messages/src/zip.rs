//! A minimal ZIP container for bulk download results: the terminal may deliver an
//! `…02res_….zip` holding the `…02res_….xml` (oqs-interface.md §1.3; OD2 takes the XML whose
//! name starts with the `02res` prefix, else the first XML).
//!
//! Entries are written *stored* (method 0, no compression), which every reader supports, with
//! CRC-32 and sizes in the local headers, and a fixed DOS time of 1980-01-01 00:00 so the bytes
//! depend on the content only. [`read_stored`] reads such archives back (stored entries only),
//! for tests and conformance clients.

/// Why an archive could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ZipError {
    /// The bytes end before a header or an entry does.
    #[error("truncated archive at byte {0}")]
    Truncated(usize),
    /// An entry uses compression, which this reader does not implement.
    #[error("entry {0:?} is compressed (method {1}); only stored entries are read")]
    Compressed(String, u16),
    /// The data of an entry does not match its CRC-32.
    #[error("entry {0:?} fails its CRC-32")]
    Crc(String),
    /// A file larger than 4 GiB, or more than 65,535 entries (no ZIP64 here).
    #[error("too large for a ZIP without ZIP64")]
    TooLarge,
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (i, slot) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *slot = c;
    }
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc = table[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

const DOS_DATE_1980_01_01: u16 = (1 << 5) | 1;

/// Writes `entries` (name, content) as a stored ZIP archive. Names are written as UTF-8 (flag
/// bit 11); the interface's names are ASCII anyway.
pub fn write_stored(entries: &[(&str, &[u8])]) -> Result<Vec<u8>, ZipError> {
    let count = u16::try_from(entries.len()).map_err(|_| ZipError::TooLarge)?;
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = u32::try_from(out.len()).map_err(|_| ZipError::TooLarge)?;
        let size = u32::try_from(data.len()).map_err(|_| ZipError::TooLarge)?;
        let name_len = u16::try_from(name.len()).map_err(|_| ZipError::TooLarge)?;
        let crc = crc32(data);
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes()); // version needed
            v.extend_from_slice(&0x0800u16.to_le_bytes()); // flags: UTF-8 names
            v.extend_from_slice(&0u16.to_le_bytes()); // method: stored
            v.extend_from_slice(&0u16.to_le_bytes()); // time
            v.extend_from_slice(&DOS_DATE_1980_01_01.to_le_bytes());
            v.extend_from_slice(&crc.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&name_len.to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // extra length
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        common(&mut central);
        central.extend_from_slice(&0u16.to_le_bytes()); // comment length
        central.extend_from_slice(&0u16.to_le_bytes()); // disk
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let central_offset = u32::try_from(out.len()).map_err(|_| ZipError::TooLarge)?;
    let central_len = u32::try_from(central.len()).map_err(|_| ZipError::TooLarge)?;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&central_len.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(out)
}

/// Reads the entries of a stored archive, in order, by walking the local headers.
pub fn read_stored(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ZipError> {
    let u16_at = |at: usize| -> Result<u16, ZipError> {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .ok_or(ZipError::Truncated(at))
    };
    let u32_at = |at: usize| -> Result<u32, ZipError> {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or(ZipError::Truncated(at))
    };
    let mut entries = Vec::new();
    let mut at = 0usize;
    while u32_at(at)? == 0x0403_4b50 {
        let method = u16_at(at + 8)?;
        let crc = u32_at(at + 14)?;
        let size = u32_at(at + 18)? as usize;
        let name_len = u16_at(at + 26)? as usize;
        let extra_len = u16_at(at + 28)? as usize;
        let name_at = at + 30;
        let data_at = name_at + name_len + extra_len;
        let name = bytes
            .get(name_at..name_at + name_len)
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .ok_or(ZipError::Truncated(name_at))?;
        if method != 0 {
            return Err(ZipError::Compressed(name, method));
        }
        let data = bytes
            .get(data_at..data_at + size)
            .ok_or(ZipError::Truncated(data_at))?
            .to_vec();
        if crc32(&data) != crc {
            return Err(ZipError::Crc(name));
        }
        entries.push((name, data));
        at = data_at + size;
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_of_the_check_string() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn stored_archives_round_trip() {
        let zip = write_stored(&[("OQSmuquc02res_1.xml", b"<XmlMsg/>"), ("b", b"")]).unwrap();
        assert!(zip.starts_with(b"PK\x03\x04"));
        let back = read_stored(&zip).unwrap();
        assert_eq!(
            back,
            vec![
                ("OQSmuquc02res_1.xml".to_owned(), b"<XmlMsg/>".to_vec()),
                ("b".to_owned(), Vec::new())
            ]
        );
        let mut broken = zip.clone();
        broken[30 + 19] ^= 1;
        assert!(matches!(read_stored(&broken), Err(ZipError::Crc(_))));
        assert!(read_stored(&zip[..40]).is_err());
    }
}
