//! Reading a single-check request in one pass over quick-xml's events, for the common shape: the
//! known elements, each once, plain text values. That is every request a clinic system writes,
//! and it costs a fifth of the general path (a well-formedness pass, then serde).
//!
//! Anything else (an attribute, a comment, an unknown or repeated element, a character
//! reference, a value of white space alone or with a line end to normalise, an error)
//! makes the one pass give up, and the request is read by [`read_document`], which decides what
//! it is worth, with its exact error. So the outcome never depends on which path read it; the
//! property tests compare both on written and on mangled requests.

use quick_xml::events::{BytesStart, Event};

use super::{QualificationConfirmRequest, QualificationConfirmSearchInfo};
use crate::encoding::{self, Decoded};
use crate::xml::{ROOT, ReadError, read_document};

/// Decodes `bytes` and reads them as a single-check request: the same result as
/// `read_document::<QualificationConfirmRequest>(bytes)`, faster.
pub fn read_request(bytes: &[u8]) -> Result<(QualificationConfirmRequest, Decoded), ReadError> {
    let decoded = encoding::decode(bytes)?;
    match read_common_shape(&decoded.text) {
        Some(request) => Ok((request, decoded)),
        None => read_document(bytes),
    }
}

/// Where the reader is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    BeforeRoot,
    Root,
    Header,
    Body,
    Search,
    AfterRoot,
}

/// The request, if `text` has the common shape; `None` leaves it to the general path.
fn read_common_shape(text: &str) -> Option<QualificationConfirmRequest> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut request = QualificationConfirmRequest::default();
    let (mut seen_header, mut seen_body, mut seen_search) = (false, false, false);
    let mut place = Place::BeforeRoot;
    let mut first = true;
    loop {
        let event = reader.read_event().ok()?;
        let was_first = std::mem::replace(&mut first, false);
        match event {
            Event::Decl(_) if was_first => {}
            Event::Text(t) => {
                if !t.iter().all(|&b| is_xml_space(b)) {
                    return None;
                }
            }
            Event::Start(e) => {
                if !no_attributes(&e) {
                    return None;
                }
                let name = e.name();
                let name = name.as_ref();
                place = match (place, name) {
                    (Place::BeforeRoot, n) if n == ROOT.as_bytes() => Place::Root,
                    (Place::Root, b"MessageHeader") if !seen_header => {
                        seen_header = true;
                        Place::Header
                    }
                    (Place::Root, b"MessageBody") if !seen_body => {
                        seen_body = true;
                        Place::Body
                    }
                    (Place::Body, b"QualificationConfirmSearchInfo") if !seen_search => {
                        seen_search = true;
                        Place::Search
                    }
                    (Place::Header, n) => {
                        let h = &mut request.header;
                        let slot = match n {
                            b"QualificationConfirmationDate" => {
                                &mut h.qualification_confirmation_date
                            }
                            b"MedicalInstitutionCode" => &mut h.medical_institution_code,
                            b"ArbitraryFileIdentifier" => &mut h.arbitrary_file_identifier,
                            _ => return None,
                        };
                        read_value(&mut reader, slot)?;
                        Place::Header
                    }
                    (Place::Search, n) => {
                        let search = request
                            .body
                            .qualification_confirm_search_info
                            .get_or_insert_with(QualificationConfirmSearchInfo::default);
                        let slot = match n {
                            b"InsurerNumber" => &mut search.insurer_number,
                            b"InsuredCardSymbol" => &mut search.insured_card_symbol,
                            b"InsuredIdentificationNumber" => {
                                &mut search.insured_identification_number
                            }
                            b"InsuredBranchNumber" => &mut search.insured_branch_number,
                            b"Birthdate" => &mut search.birthdate,
                            b"LimitApplicationCertificateRelatedConsFlg" => {
                                &mut search.limit_application_certificate_related_cons_flg
                            }
                            b"ArbitraryIdentifier" => &mut search.arbitrary_identifier,
                            _ => return None,
                        };
                        read_value(&mut reader, slot)?;
                        Place::Search
                    }
                    _ => return None,
                };
                if place == Place::Search {
                    // An empty `<QualificationConfirmSearchInfo></…>` is still present.
                    request
                        .body
                        .qualification_confirm_search_info
                        .get_or_insert_with(QualificationConfirmSearchInfo::default);
                }
            }
            // quick-xml has checked that the name matches the start tag.
            Event::End(_) => {
                place = match place {
                    Place::Search => Place::Body,
                    Place::Header | Place::Body => Place::Root,
                    Place::Root => Place::AfterRoot,
                    Place::BeforeRoot | Place::AfterRoot => return None,
                };
            }
            Event::Eof if place == Place::AfterRoot => return Some(request),
            // Empty elements, comments, CDATA, character references, processing instructions,
            // DOCTYPE, an early end: the general path.
            _ => return None,
        }
    }
}

fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn no_attributes(e: &BytesStart<'_>) -> bool {
    e.attributes_raw().iter().all(|&b| is_xml_space(b))
}

/// Reads `text</name>` after a value element's start tag into `slot`, which must be empty.
fn read_value(reader: &mut quick_xml::Reader<&[u8]>, slot: &mut Option<String>) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    let Event::Text(t) = reader.read_event().ok()? else {
        return None;
    };
    let raw = std::str::from_utf8(t.as_ref()).ok()?;
    let plain = raw
        .bytes()
        .all(|b| b != b'\r' && b != b'&' && b != b'<')
        && !raw.contains(['\u{85}', '\u{2028}'])
        // serde keeps surrounding white space (a 国保 number padded to 8 stays `  139999`), but
        // a value of white space alone is left to it.
        && !raw.bytes().all(is_xml_space);
    if !plain {
        return None;
    }
    // quick-xml has checked that the end tag matches.
    let Event::End(_) = reader.read_event().ok()? else {
        return None;
    };
    *slot = Some(raw.to_owned());
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TextEncoding;
    use crate::xml::{XmlStyle, write_document};

    #[test]
    fn a_clinic_systems_request_is_read_in_one_pass() {
        let request = QualificationConfirmRequest {
            header: super::super::RequestHeader {
                qualification_confirmation_date: Some("20261125".into()),
                medical_institution_code: Some("1311234567".into()),
                arbitrary_file_identifier: Some("pt000123_20261125093012".into()),
            },
            body: super::super::RequestBody {
                qualification_confirm_search_info: Some(QualificationConfirmSearchInfo {
                    insurer_number: Some("06139999".into()),
                    insured_card_symbol: Some("千代".into()),
                    insured_identification_number: Some("123456".into()),
                    insured_branch_number: Some("00".into()),
                    birthdate: Some("19620220".into()),
                    limit_application_certificate_related_cons_flg: Some("1".into()),
                    arbitrary_identifier: None,
                }),
            },
        };
        for encoding in [TextEncoding::ShiftJis, TextEncoding::Utf8] {
            let style = XmlStyle {
                indent: 2,
                crlf: true,
            };
            let bytes = write_document(&request, encoding, style).unwrap();
            let text = encoding::decode(&bytes).unwrap().text;
            assert_eq!(read_common_shape(&text).as_ref(), Some(&request));
            assert_eq!(read_request(&bytes), read_document(&bytes));
        }
        // Surrounding spaces are kept (a 6-digit 国保 number padded to 8); white space alone and
        // character references are left to serde.
        let doc = |v: &str| {
            format!(
                "<XmlMsg><MessageBody><QualificationConfirmSearchInfo><InsurerNumber>{v}</InsurerNumber></QualificationConfirmSearchInfo></MessageBody></XmlMsg>"
            )
        };
        for (value, one_pass) in [
            ("  139999", true),
            (" \t\n", false),
            ("&#x20;1", false),
            ("", false),
        ] {
            let text = doc(value);
            assert_eq!(read_common_shape(&text).is_some(), one_pass, "{value:?}");
            assert_eq!(
                read_request(text.as_bytes()),
                read_document(text.as_bytes()),
                "{value:?}"
            );
        }
    }
}
