//! BER-TLV encoding for the card's data files (`FF10`, `FF20`, `DF2x` …), with long-form lengths.

/// Appends a BER length: short form below 128, else `81 xx`, `82 xx xx`, `83 xx xx xx`.
pub(crate) fn push_len(out: &mut Vec<u8>, len: usize) {
    match len {
        0..=0x7F => out.push(len as u8),
        0x80..=0xFF => out.extend_from_slice(&[0x81, len as u8]),
        0x100..=0xFFFF => {
            out.push(0x82);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(0x83);
            out.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
        }
    }
}

/// One TLV with a (one- or two-byte) tag given big-endian in `tag`.
pub(crate) fn tlv(tag: u16, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    if tag > 0xFF {
        out.extend_from_slice(&tag.to_be_bytes());
    } else {
        out.push(tag as u8);
    }
    push_len(&mut out, value.len());
    out.extend_from_slice(value);
    out
}

/// A constructed `container` TLV whose first child is `offsets_tag` holding the big-endian u16 offset of
/// each following field, counted from the start of the container's value. The real card's offset header
/// has this shape (`DF21`); what exactly its numbers count is not public, so this is the mock's choice.
pub(crate) fn container_with_offsets(
    container: u16,
    offsets_tag: u16,
    fields: &[(u16, &[u8])],
) -> Vec<u8> {
    let encoded: Vec<Vec<u8>> = fields.iter().map(|(tag, value)| tlv(*tag, value)).collect();
    let header_len = tlv(offsets_tag, &vec![0; fields.len() * 2]).len();
    let mut offsets = Vec::with_capacity(fields.len() * 2);
    let mut at = header_len;
    for field in &encoded {
        offsets.extend_from_slice(&u16::try_from(at).unwrap_or(u16::MAX).to_be_bytes());
        at += field.len();
    }
    let mut value = tlv(offsets_tag, &offsets);
    for field in encoded {
        value.extend_from_slice(&field);
    }
    tlv(container, &value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_switch_to_long_form() {
        assert_eq!(tlv(0xDF22, &[0xAA; 3])[..3], [0xDF, 0x22, 0x03]);
        assert_eq!(tlv(0xDF22, &[0; 0x80])[..4], [0xDF, 0x22, 0x81, 0x80]);
        assert_eq!(
            tlv(0xFF20, &[0; 0x123])[..5],
            [0xFF, 0x20, 0x82, 0x01, 0x23]
        );
        assert_eq!(tlv(0x04, &[1])[..], [0x04, 0x01, 0x01]);
    }

    #[test]
    fn offsets_point_at_each_field() {
        let out = container_with_offsets(0xFF20, 0xDF21, &[(0xDF22, b"ab"), (0xDF23, b"c")]);
        // FF 20 len | DF 21 04 o1 o2 | DF 22 02 a b | DF 23 01 c
        let value = &out[3..];
        assert_eq!(value[..7], [0xDF, 0x21, 0x04, 0x00, 0x07, 0x00, 0x0C]);
        assert_eq!(value[7..9], [0xDF, 0x22]);
        assert_eq!(value[12..14], [0xDF, 0x23]);
    }
}
