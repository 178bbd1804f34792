//! A [`CardLink`] over PC/SC: the reader talks to a card through the machine's pcscd, as a real
//! face-auth reader's terminal software would. With vpcd that card is a virtual My Number Card
//! inserted with `simulator card insert` (served by this very process over the vpcd protocol).

use std::ffi::{CStr, CString};

use super::session::{CardLink, LinkError};

/// A card connected through pcscd.
pub struct PcscLink {
    card: pcsc::Card,
    reader: String,
}

impl std::fmt::Debug for PcscLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscLink")
            .field("reader", &self.reader)
            .finish_non_exhaustive()
    }
}

fn link_error(e: pcsc::Error) -> LinkError {
    match e {
        pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard | pcsc::Error::ResetCard => {
            LinkError::Removed
        }
        other => LinkError::NoAnswer(other.to_string()),
    }
}

impl PcscLink {
    /// Connects to the card in `reader` (a PC/SC reader name), or in the first reader holding a
    /// card when `None`.
    pub fn connect(reader: Option<&str>) -> Result<PcscLink, LinkError> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User)
            .map_err(|e| LinkError::NoAnswer(format!("cannot reach pcscd: {e}")))?;
        let names: Vec<CString> = match reader {
            Some(r) => {
                vec![CString::new(r).map_err(|_| LinkError::NoAnswer("bad reader name".into()))?]
            }
            None => ctx
                .list_readers_owned()
                .map_err(|e| LinkError::NoAnswer(format!("cannot list readers: {e}")))?,
        };
        let mut last = LinkError::NoAnswer("no PC/SC reader".into());
        for name in &names {
            match ctx.connect(name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY) {
                Ok(card) => {
                    return Ok(PcscLink {
                        card,
                        reader: reader_name(name),
                    });
                }
                Err(e) => last = link_error(e),
            }
        }
        Err(last)
    }

    /// The PC/SC reader's name.
    pub fn reader(&self) -> &str {
        &self.reader
    }
}

fn reader_name(name: &CStr) -> String {
    name.to_string_lossy().into_owned()
}

impl CardLink for PcscLink {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, LinkError> {
        let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
        self.card
            .transmit(apdu, &mut buf)
            .map(<[u8]>::to_vec)
            .map_err(link_error)
    }
}
