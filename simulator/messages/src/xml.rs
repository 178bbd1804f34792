//! Reading and writing whole XML documents of the interface: decode the bytes, check that the
//! document is well formed with the `XmlMsg` root, then map it onto a wire type with serde; and the
//! reverse, with the XML declaration, indentation and line ends of the configured style.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::encoding::{self, DecodeError, Decoded, TextEncoding};

mod writer;

/// The root element of every message.
pub const ROOT: &str = "XmlMsg";

/// How result documents are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlStyle {
    /// Spaces per indentation level; 0 writes the document on one line.
    pub indent: usize,
    /// Line ends are CRLF (as written by the Windows terminal) rather than LF.
    pub crlf: bool,
}

impl Default for XmlStyle {
    fn default() -> Self {
        XmlStyle {
            indent: 4,
            crlf: true,
        }
    }
}

/// Why a request document could not be read. Each of these is answered with an `.err` file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The bytes contradict the declared encoding, or are empty.
    #[error("{0}")]
    Encoding(#[from] DecodeError),
    /// The text is not well-formed XML.
    #[error("not well-formed XML at byte {position}: {detail}")]
    NotXml {
        /// Byte offset in the decoded text.
        position: u64,
        /// What the parser said.
        detail: String,
    },
    /// A document type declaration: not used by the interface, and refused.
    #[error("a DOCTYPE declaration is not allowed")]
    Doctype,
    /// The root element is not `XmlMsg`.
    #[error("the root element is <{found}>, expected <XmlMsg>")]
    WrongRoot {
        /// The root element found.
        found: String,
    },
    /// Well-formed, but the elements do not have the message's structure.
    #[error("the message structure is wrong: {0}")]
    Structure(String),
    /// A required element is absent.
    #[error("missing required element {0}")]
    MissingElement(&'static str),
}

/// Decodes `bytes` and reads them as message `T` (whose serde root is `XmlMsg`).
pub fn read_document<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, Decoded), ReadError> {
    let decoded = encoding::decode(bytes)?;
    check_well_formed(&decoded.text)?;
    let value =
        quick_xml::de::from_str(&decoded.text).map_err(|e| ReadError::Structure(e.to_string()))?;
    Ok((value, decoded))
}

/// Checks that `text` is one well-formed element named `XmlMsg`, with no DOCTYPE.
pub fn check_well_formed(text: &str) -> Result<(), ReadError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    let mut seen_root = false;
    loop {
        let position = reader.buffer_position();
        let event = reader.read_event().map_err(|e| ReadError::NotXml {
            position: reader.error_position(),
            detail: e.to_string(),
        })?;
        let not_xml = |detail: &str| ReadError::NotXml {
            position,
            detail: detail.to_owned(),
        };
        match event {
            Event::Start(e) | Event::Empty(e) if depth == 0 => {
                if seen_root {
                    return Err(not_xml("more than one root element"));
                }
                seen_root = true;
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if name != ROOT {
                    return Err(ReadError::WrongRoot { found: name });
                }
                if matches!(event_kind(&reader, text, position), Kind::Start) {
                    depth = 1;
                }
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Text(t) if depth == 0 && !t.iter().all(u8::is_ascii_whitespace) => {
                return Err(not_xml("text outside the root element"));
            }
            Event::CData(_) if depth == 0 => {
                return Err(not_xml("text outside the root element"));
            }
            Event::DocType(_) => return Err(ReadError::Doctype),
            Event::Eof => {
                if depth > 0 {
                    return Err(not_xml("unexpected end of document"));
                }
                if !seen_root {
                    return Err(not_xml("no root element"));
                }
                return Ok(());
            }
            _ => {}
        }
    }
}

enum Kind {
    Start,
    Empty,
}

/// Whether the element read at `position` was `<x>` or `<x/>`.
fn event_kind(reader: &quick_xml::Reader<&[u8]>, text: &str, position: u64) -> Kind {
    let end = usize::try_from(reader.buffer_position()).unwrap_or(text.len());
    let start = usize::try_from(position).unwrap_or(0);
    let raw = text.get(start..end).unwrap_or("").trim_end();
    if raw.ends_with("/>") {
        Kind::Empty
    } else {
        Kind::Start
    }
}

/// Serializes message `value` as a complete document in `encoding`, laid out in `style`.
pub fn write_document<T: Serialize>(
    value: &T,
    encoding: TextEncoding,
    style: XmlStyle,
) -> Result<Vec<u8>, quick_xml::SeError> {
    if encoding == TextEncoding::Utf8 {
        return Ok(write_text(value, encoding, style)?.into_bytes());
    }
    // Shift_JIS: the direct writer encodes as it goes (the same bytes as encoding the text).
    let nl = if style.crlf { "\r\n" } else { "\n" };
    let mut out = declaration(encoding, nl).into_bytes();
    let declaration = out.len();
    if writer::write_shift_jis(value, &mut out, style).is_err() {
        out.truncate(declaration);
        let mut text = String::new();
        write_root_with_quick_xml(value, &mut text, style)?;
        out.extend_from_slice(&encoding.encode(&text));
    }
    out.extend_from_slice(nl.as_bytes());
    Ok(out)
}

/// Like [`write_document`], but returns the text before encoding.
pub fn write_text<T: Serialize>(
    value: &T,
    encoding: TextEncoding,
    style: XmlStyle,
) -> Result<String, quick_xml::SeError> {
    let nl = if style.crlf { "\r\n" } else { "\n" };
    let mut out = declaration(encoding, nl);
    let declaration = out.len();
    if writer::write(value, &mut out, style).is_err() {
        // Something the direct writer leaves to quick-xml: the same document, the slow way.
        out.truncate(declaration);
        write_root_with_quick_xml(value, &mut out, style)?;
    }
    out.push_str(nl);
    Ok(out)
}

/// [`write_text`] with quick-xml's serializer only: the reference the direct writer must match.
#[cfg(test)]
pub(crate) fn write_text_with_quick_xml<T: Serialize>(
    value: &T,
    encoding: TextEncoding,
    style: XmlStyle,
) -> Result<String, quick_xml::SeError> {
    let nl = if style.crlf { "\r\n" } else { "\n" };
    let mut out = declaration(encoding, nl);
    write_root_with_quick_xml(value, &mut out, style)?;
    out.push_str(nl);
    Ok(out)
}

/// The XML declaration and its line end.
fn declaration(encoding: TextEncoding, nl: &str) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str("<?xml version=\"1.0\" encoding=\"");
    out.push_str(encoding.declaration_label());
    out.push_str("\" standalone=\"no\"?>");
    out.push_str(nl);
    out
}

/// Whether the direct writer writes `value` itself (rather than leaving it to quick-xml).
#[cfg(test)]
pub(crate) fn writes_directly<T: Serialize>(value: &T) -> bool {
    writer::write(value, &mut String::new(), XmlStyle::default()).is_ok()
}

/// Appends the root element of `value`, written by quick-xml's serde serializer.
fn write_root_with_quick_xml<T: Serialize>(
    value: &T,
    out: &mut String,
    style: XmlStyle,
) -> Result<(), quick_xml::SeError> {
    {
        let mut sink = LineEnds {
            out,
            crlf: style.crlf,
        };
        let mut ser = quick_xml::se::Serializer::new(&mut sink);
        if style.indent > 0 {
            ser.indent(' ', style.indent);
        }
        value.serialize(ser)?;
    }
    Ok(())
}

/// Writes through to a string, turning each `\n` the serializer writes into CRLF when asked. XML
/// readers normalise CRLF back to LF, so even a line end inside a value reads back the same.
struct LineEnds<'a> {
    out: &'a mut String,
    crlf: bool,
}

impl std::fmt::Write for LineEnds<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if !self.crlf {
            self.out.push_str(s);
            return Ok(());
        }
        let mut parts = s.split('\n');
        if let Some(first) = parts.next() {
            self.out.push_str(first);
        }
        for part in parts {
            self.out.push_str("\r\n");
            self.out.push_str(part);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shapes the wire types do not use today, so the property tests never see them: the direct
    /// writer must still match quick-xml on each, or leave it to quick-xml.
    #[test]
    fn the_direct_writer_matches_quick_xml_on_every_shape() {
        #[derive(Serialize)]
        struct Inner {
            #[serde(skip_serializing_if = "Option::is_none")]
            skipped: Option<String>,
            #[serde(rename = "Empty")]
            empty: Vec<String>,
        }
        #[derive(Serialize)]
        struct Newtype(String);
        #[derive(Serialize)]
        #[serde(rename = "XmlMsg")]
        struct Shapes {
            #[serde(rename = "Absent")]
            absent: Option<String>,
            #[serde(rename = "EmptyText")]
            empty_text: String,
            #[serde(rename = "Markup")]
            markup: String,
            #[serde(rename = "LineEnds")]
            line_ends: String,
            #[serde(rename = "EmptyStruct")]
            empty_struct: Inner,
            #[serde(rename = "Item")]
            items: Vec<Vec<String>>,
            #[serde(rename = "Wrapped")]
            wrapped: Newtype,
            #[serde(rename = "Pair")]
            pair: (String, String),
            #[serde(rename = "Unit")]
            unit: (),
        }
        #[derive(Serialize)]
        #[serde(rename = "XmlMsg")]
        struct Number {
            #[serde(rename = "N")]
            n: u32,
        }
        #[derive(Serialize)]
        #[serde(rename = "XmlMsg")]
        struct Attribute {
            #[serde(rename = "@id")]
            id: String,
            #[serde(rename = "A")]
            a: String,
        }
        #[derive(Serialize)]
        #[serde(rename = "XmlMsg")]
        struct Nothing {}
        #[derive(Serialize)]
        #[serde(rename = "名前")]
        struct Japanese {
            #[serde(rename = "項目")]
            item: String,
        }
        let shapes = Shapes {
            absent: None,
            empty_text: String::new(),
            markup: "a<b>&c \"d\" 'e' \t　ｶﾅ 髙 😀 &#1; 𠮷野家 ①".into(),
            line_ends: "one\ntwo\r\nthree\r".into(),
            empty_struct: Inner {
                skipped: None,
                empty: Vec::new(),
            },
            items: vec![vec!["x".into(), String::new()], vec![], vec!["y".into()]],
            wrapped: Newtype("w".into()),
            pair: ("p".into(), "q".into()),
            unit: (),
        };
        fn same<T: Serialize>(value: &T) {
            for indent in [0, 2, 4] {
                for crlf in [false, true] {
                    let style = XmlStyle { indent, crlf };
                    for encoding in [TextEncoding::Utf8, TextEncoding::ShiftJis] {
                        let reference = write_text_with_quick_xml(value, encoding, style).unwrap();
                        assert_eq!(
                            write_text(value, encoding, style).unwrap(),
                            reference,
                            "indent {indent}, crlf {crlf}"
                        );
                        assert_eq!(
                            write_document(value, encoding, style).unwrap(),
                            encoding.encode(&reference).as_ref(),
                            "indent {indent}, crlf {crlf}, {encoding:?}"
                        );
                    }
                }
            }
        }
        same(&shapes);
        assert!(writes_directly(&shapes));
        assert!(!writes_directly(&Number { n: 7 }));
        same(&Number { n: 7 });
        same(&Attribute {
            id: "1".into(),
            a: "x".into(),
        });
        same(&Nothing {});
        same(&Japanese { item: "値".into() });
        assert!(write_text(&"text", TextEncoding::Utf8, XmlStyle::default()).is_err());
    }

    #[test]
    fn well_formedness() {
        assert!(check_well_formed("<?xml version=\"1.0\"?>\r\n<XmlMsg><A/></XmlMsg>\r\n").is_ok());
        assert!(check_well_formed("<XmlMsg/>").is_ok());
        assert!(matches!(
            check_well_formed("<Other/>"),
            Err(ReadError::WrongRoot { found }) if found == "Other"
        ));
        assert!(matches!(
            check_well_formed("<XmlMsg><A></XmlMsg>"),
            Err(ReadError::NotXml { .. })
        ));
        assert!(matches!(
            check_well_formed("<XmlMsg>"),
            Err(ReadError::NotXml { .. })
        ));
        assert!(matches!(
            check_well_formed("hello"),
            Err(ReadError::NotXml { .. })
        ));
        assert!(matches!(
            check_well_formed("<XmlMsg/><XmlMsg/>"),
            Err(ReadError::NotXml { .. })
        ));
        assert!(matches!(
            check_well_formed("<XmlMsg/>x"),
            Err(ReadError::NotXml { .. })
        ));
        assert!(matches!(
            check_well_formed("<!DOCTYPE x [<!ENTITY a \"b\">]><XmlMsg/>"),
            Err(ReadError::Doctype)
        ));
    }
}
