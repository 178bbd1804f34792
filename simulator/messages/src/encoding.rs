//! The two character encodings of the interface (OQSCD005 文字コード識別): UTF-8 and Shift_JIS.
//!
//! Requests are decoded as their XML declaration says (UTF-8 when there is none, as XML requires);
//! bytes that contradict the declaration are an error, never guessed around. Results are encoded in
//! the encoding the terminal is configured for. Shift_JIS here is the Windows flavour (CP932) that
//! `encoding_rs` implements under that label, which is what Windows terminals and clients write.

use std::borrow::Cow;

/// A character encoding the terminal reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextEncoding {
    /// `CharacterCodeIdentifier` 0.
    Utf8,
    /// `CharacterCodeIdentifier` 1.
    ShiftJis,
}

impl TextEncoding {
    /// The label written in the XML declaration of a result.
    pub fn declaration_label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::ShiftJis => "Shift_JIS",
        }
    }

    /// OQSCD005 文字コード識別: `0` UTF-8, `1` Shift_JIS.
    pub fn character_code_identifier(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "0",
            TextEncoding::ShiftJis => "1",
        }
    }

    /// Parses an encoding label as clients write it in XML declarations (case-insensitive).
    pub fn from_label(label: &str) -> Option<TextEncoding> {
        let l = label.trim().to_ascii_lowercase();
        match l.as_str() {
            "utf-8" | "utf8" => Some(TextEncoding::Utf8),
            "shift_jis" | "shift-jis" | "sjis" | "x-sjis" | "ms_kanji" | "csshiftjis"
            | "windows-31j" | "cp932" | "ms932" => Some(TextEncoding::ShiftJis),
            _ => None,
        }
    }

    /// Encodes text. Characters Shift_JIS cannot represent become numeric character references
    /// (`&#12345;`), which XML readers turn back into the character.
    pub fn encode(self, text: &str) -> Cow<'_, [u8]> {
        match self {
            TextEncoding::Utf8 => Cow::Borrowed(text.as_bytes()),
            TextEncoding::ShiftJis => {
                let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(text);
                bytes
            }
        }
    }
}

/// Text decoded from a request file, with what was learnt about its encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The document text, without a byte order mark.
    pub text: String,
    /// The encoding the bytes were decoded with.
    pub encoding: TextEncoding,
    /// The `encoding` label of the XML declaration, if there was one.
    pub declared: Option<String>,
}

/// Why bytes could not be decoded as the document says they are encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Zero bytes, or only white space.
    #[error("the file is empty")]
    Empty,
    /// A UTF-16 byte order mark: the interface has no UTF-16.
    #[error("UTF-16 is not an encoding of this interface (byte order mark found)")]
    Utf16,
    /// The declaration names an encoding the interface does not use.
    #[error("unsupported encoding {0:?} in the XML declaration (use UTF-8 or Shift_JIS)")]
    Unsupported(String),
    /// A UTF-8 byte order mark in front of a declaration that says Shift_JIS.
    #[error("a UTF-8 byte order mark contradicts the declared encoding {0:?}")]
    BomContradictsDeclaration(String),
    /// The bytes are not valid in the declared (or default) encoding.
    #[error("the bytes are not valid {encoding} (first invalid byte at offset {offset}){hint}")]
    Invalid {
        /// The label of the encoding used.
        encoding: &'static str,
        /// Byte offset of the first invalid sequence.
        offset: usize,
        /// Extra explanation, empty or starting with "; ".
        hint: &'static str,
    },
    /// Declared Shift_JIS, but the non-ASCII bytes form UTF-8.
    #[error("the declaration says {0:?} but the bytes are UTF-8")]
    Utf8DeclaredAsShiftJis(String),
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes a request file, honouring its XML declaration.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(DecodeError::Utf16);
    }
    let (body, had_bom) = match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(DecodeError::Empty);
    }
    let declared = declared_encoding(body);
    let encoding = match &declared {
        None => TextEncoding::Utf8,
        Some(label) => TextEncoding::from_label(label)
            .ok_or_else(|| DecodeError::Unsupported(label.clone()))?,
    };
    match encoding {
        TextEncoding::Utf8 => match std::str::from_utf8(body) {
            Ok(text) => Ok(Decoded {
                text: text.to_owned(),
                encoding,
                declared,
            }),
            Err(e) => Err(DecodeError::Invalid {
                encoding: "UTF-8",
                offset: e.valid_up_to() + if had_bom { UTF8_BOM.len() } else { 0 },
                hint: if declared.is_none() {
                    "; a document without an encoding declaration must be UTF-8"
                } else {
                    ""
                },
            }),
        },
        TextEncoding::ShiftJis => {
            let label = declared.clone().unwrap_or_default();
            if had_bom {
                return Err(DecodeError::BomContradictsDeclaration(label));
            }
            // ASCII reads the same in Shift_JIS (encoding_rs maps 0x00–0x7F to U+0000–U+007F),
            // and most requests are ASCII: no scan for UTF-8, no decoder.
            if body.is_ascii()
                && let Ok(text) = std::str::from_utf8(body)
            {
                return Ok(Decoded {
                    text: text.to_owned(),
                    encoding,
                    declared,
                });
            }
            if looks_like_utf8_japanese(body) {
                return Err(DecodeError::Utf8DeclaredAsShiftJis(label));
            }
            match encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(body) {
                Some(text) => Ok(Decoded {
                    text: text.into_owned(),
                    encoding,
                    declared,
                }),
                None => Err(DecodeError::Invalid {
                    encoding: "Shift_JIS",
                    offset: first_invalid_shift_jis(body),
                    hint: "",
                }),
            }
        }
    }
}

/// Decodes Shift_JIS, replacing invalid sequences (for showing text such as `.err` files, which
/// carry no declaration). Returns the text, and whether anything was replaced.
pub fn shift_jis_lossy(bytes: &[u8]) -> (String, bool) {
    let (text, _, replaced) = encoding_rs::SHIFT_JIS.decode(bytes);
    (text.into_owned(), replaced)
}

/// Whether bytes declared Shift_JIS are really UTF-8 Japanese text: valid UTF-8 with at least one
/// character of three or more bytes (U+0800 and up: kana, kanji, full-width forms). Pairs of
/// half-width katakana in Shift_JIS (`ﾂｱ` = `C2 B1`) can form valid two-byte UTF-8, so valid UTF-8
/// alone is not enough to call a Shift_JIS file mislabelled.
pub fn looks_like_utf8_japanese(bytes: &[u8]) -> bool {
    // In valid UTF-8, a byte of 0xE0 or more is the lead of a sequence of three or four bytes,
    // that is of a character of U+0800 and up; the byte scan first spares validating ASCII files.
    !bytes.is_ascii() && bytes.iter().any(|&b| b >= 0xE0) && std::str::from_utf8(bytes).is_ok()
}

/// Reads the `encoding` pseudo-attribute of an XML declaration, if the document starts with one.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let rest = bytes.strip_prefix(b"<?xml")?;
    let end = rest.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&rest[..end]).ok()?;
    let at = decl.find("encoding")?;
    let after = decl[at + "encoding".len()..].trim_start();
    let after = after.strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &after[1..];
    let close = value.find(quote)?;
    Some(value[..close].to_owned())
}

/// Offset of the first byte sequence that is not valid Shift_JIS.
fn first_invalid_shift_jis(bytes: &[u8]) -> usize {
    let mut decoder = encoding_rs::SHIFT_JIS.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(bytes.len() * 3);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        encoding_rs::DecoderResult::Malformed(bad, _) => read.saturating_sub(bad as usize),
        _ => read,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sjis(s: &str) -> Vec<u8> {
        TextEncoding::ShiftJis.encode(s).into_owned()
    }

    #[test]
    fn ascii_declared_shift_jis_reads_as_the_decoder_reads_it() {
        // The ASCII shortcut in `decode` must give what encoding_rs gives, for every ASCII byte
        // (0x5C and 0x7E included: WHATWG's Shift_JIS keeps them as `\\` and `~`).
        let mut bytes = b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>\r\n<XmlMsg>".to_vec();
        bytes.extend((0x20u8..0x7F).chain([b'\t', b'\r', b'\n', 0x01, 0x7F]));
        bytes.extend_from_slice(b"</XmlMsg>");
        let d = decode(&bytes).unwrap();
        let (reference, _, replaced) = encoding_rs::SHIFT_JIS.decode(&bytes);
        assert!(!replaced);
        assert_eq!(d.text, reference);
        assert_eq!(d.encoding, TextEncoding::ShiftJis);
    }

    #[test]
    fn decodes_declared_shift_jis_with_crlf() {
        let text = "<?xml version=\"1.0\" encoding=\"Shift_JIS\" standalone=\"no\"?>\r\n<XmlMsg>記号１２３ｱｲｳ</XmlMsg>\r\n";
        let d = decode(&sjis(text)).unwrap();
        assert_eq!(d.text, text);
        assert_eq!(d.encoding, TextEncoding::ShiftJis);
        assert_eq!(d.declared.as_deref(), Some("Shift_JIS"));
    }

    #[test]
    fn single_quoted_utf8_declaration_and_bom() {
        let text = "<?xml version='1.0' encoding='UTF-8' standalone='no'?><XmlMsg>模擬</XmlMsg>";
        let mut bytes = UTF8_BOM.to_vec();
        bytes.extend_from_slice(text.as_bytes());
        let d = decode(&bytes).unwrap();
        assert_eq!(d.text, text);
        assert_eq!(d.encoding, TextEncoding::Utf8);
    }

    #[test]
    fn no_declaration_means_utf8() {
        assert_eq!(
            decode("<XmlMsg/>".as_bytes()).unwrap().encoding,
            TextEncoding::Utf8
        );
        let err = decode(&sjis("<XmlMsg>模擬</XmlMsg>")).unwrap_err();
        assert!(
            matches!(
                err,
                DecodeError::Invalid {
                    encoding: "UTF-8",
                    offset: 8,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn contradictions_are_errors() {
        let utf8_as_sjis = "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><XmlMsg>模擬</XmlMsg>";
        assert!(matches!(
            decode(utf8_as_sjis.as_bytes()),
            Err(DecodeError::Utf8DeclaredAsShiftJis(_))
        ));
        let sjis_as_utf8 = sjis("<?xml version=\"1.0\" encoding=\"UTF-8\"?><XmlMsg>模擬</XmlMsg>");
        assert!(matches!(
            decode(&sjis_as_utf8),
            Err(DecodeError::Invalid { .. })
        ));
        let mut bom_sjis = UTF8_BOM.to_vec();
        bom_sjis.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><XmlMsg/>");
        assert!(matches!(
            decode(&bom_sjis),
            Err(DecodeError::BomContradictsDeclaration(_))
        ));
        assert!(matches!(
            decode(b"<?xml version=\"1.0\" encoding=\"EUC-JP\"?><XmlMsg/>"),
            Err(DecodeError::Unsupported(_))
        ));
        assert_eq!(decode(b"  \r\n"), Err(DecodeError::Empty));
        assert_eq!(decode(b"\xFF\xFE<\0"), Err(DecodeError::Utf16));
    }

    #[test]
    fn half_width_kana_pairs_in_shift_jis_are_not_mistaken_for_utf8() {
        // ﾂｱ in Shift_JIS is C2 B1, which is also the UTF-8 encoding of ±.
        let text = "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><XmlMsg>ﾂｱ</XmlMsg>";
        let bytes = sjis(text);
        assert!(std::str::from_utf8(&bytes).is_ok());
        assert_eq!(decode(&bytes).unwrap().text, text);
    }

    #[test]
    fn invalid_shift_jis_reports_offset() {
        let mut bytes = b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><X>".to_vec();
        let at = bytes.len();
        bytes.extend_from_slice(b"\x81\x20</X>");
        match decode(&bytes) {
            Err(DecodeError::Invalid { offset, .. }) => assert_eq!(offset, at),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn shift_jis_encodes_variant_kanji_and_escapes_the_rest() {
        // 髙 and 﨑 are in the CP932 extension area; an emoji is not in Shift_JIS at all.
        let bytes = TextEncoding::ShiftJis.encode("髙﨑😀");
        let back = encoding_rs::SHIFT_JIS.decode(&bytes).0;
        assert_eq!(back, "髙﨑&#128512;");
    }
}
