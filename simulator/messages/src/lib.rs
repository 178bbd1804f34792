//! Wire types of the オンライン資格確認 terminal interface: the XML messages exchanged through the
//! `req/`, `res/` and `face/` folders, their JSON mirror on the Web API, the file-name grammar,
//! the two character encodings, and the catalogue of processing-result codes.
//!
//! Invariant: this crate does no IO and never reads the clock. Values are strings exactly as they
//! travel on the wire; meaning (dates, codes, domain rules) is given to them elsewhere
//! (`sim-core`). Optional elements are omitted when absent, never emitted empty.

pub mod catalogue;
pub mod claims;
pub mod codes;
pub mod encoding;
pub mod file_name;
pub mod imm;
pub mod medreq;
pub mod mucriteria;
pub mod muquc;
pub mod siquc01;
pub mod tkk;
pub mod webapi;
pub mod xml;
pub mod yzk;
pub mod zip;

pub use catalogue::{CatalogueEntry, ErrorCatalogue, ErrorKey};
pub use encoding::TextEncoding;
pub use file_name::{MessageKind, RequestFileName};
pub use xml::{ReadError, XmlStyle};

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod proptests_bulk;
#[cfg(test)]
mod proptests_medinfo;
