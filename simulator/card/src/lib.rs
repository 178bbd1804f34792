//! Virtual My Number Card (マイナンバーカード): a sans-IO card core driven by APDUs.
//!
//! - [`VirtualCard`] runs the card: power events, C-APDUs in, R-APDUs out. Its doc comment draws the state
//!   machine.
//! - [`content::build_card`] turns a synthetic [`CardProfile`] and a seed into [`CardContent`]: the files
//!   of every AP, the PINs, RSA-2048 keys and certificates from the [`pki::MockJpki`].
//! - [`pki::verify_auth_signature`] is the server side of "sign this nonce": chain to the mock CA, verify
//!   the signature, return the auth certificate serial.
//! - [`vpcd`] is the sans-IO frame codec of vsmartcard's virtual reader protocol.
//!
//! Invariants: no IO, no clock, no environment; randomness only from seeds or an injected
//! [`ChallengeSource`]; no panic on any byte string from the outside.

pub mod apdu;
pub mod card;
pub mod content;
pub mod fs;
pub mod pin;
pub mod pki;
pub mod sw;
pub mod vpcd;

#[cfg(test)]
mod testutil;

pub use apdu::{BlockedQueryReply, ChallengeSource, Response};
pub use card::{ATR_JPKI, CardOptions, VirtualCard};
pub use content::{
    BuildError, CardContent, CardProfile, FaceImage, FaceImageError, MyNumber, Sex,
    auth_serial_for_seed, build_card, check_face_image,
};
pub use pin::{PinCounters, PinId, PinRecord, PinValue};
pub use pki::{
    CertValidity, MockJpki, VerifiedAuth, VerifyError, sha256_digest_info, verify_auth_signature,
};
