//! COMPUTE DIGITAL SIGNATURE (`80 2A 00 80 Lc data 00`): RSA PKCS#1 v1.5 with a JPKI key.
//!
//! The current EF must be a key EF (`0017` auth key, `001A` sign key; else `6986`) and its PIN must be
//! verified in this DF session (else `6982`; a locked PIN answers `6983`). The card pads whatever arrives
//! (normally a DigestInfo: SHA-1 from jpki-cli, SHA-256 from OpenSC) with type-1 padding and returns the
//! 256-byte signature. Data longer than the key allows (245 bytes for RSA-2048) answers `6700`.

use super::{Command, Ctx, Response, Session, open_app};
use crate::fs::EfKind;
use crate::sw;
use rsa::Pkcs1v15Sign;
use rsa::traits::PublicKeyParts;

pub(super) fn handle(session: &mut Session, ctx: &mut Ctx<'_>, cmd: &Command<'_>) -> Response {
    if cmd.p1p2() != 0x0080 {
        return Response::status(sw::SW_WRONG_P1P2);
    }
    let (open, app) = match open_app(session, ctx.fs) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let key_id = match open.ef.and_then(|fid| app.ef(fid)).map(|ef| &ef.kind) {
        Some(EfKind::Key(key)) => *key,
        _ => return Response::status(sw::SW_NO_CURRENT_EF),
    };
    if ctx.pins.is_blocked(key_id.pin()) {
        return Response::status(sw::SW_PIN_BLOCKED);
    }
    if !open.is_verified(key_id.pin()) {
        return Response::status(sw::SW_SECURITY_NOT_SATISFIED);
    }
    let key = ctx.keys.get(key_id);
    if cmd.data.is_empty() || cmd.data.len() + 11 > key.size() {
        return Response::status(sw::SW_WRONG_LENGTH);
    }
    match key.sign(Pkcs1v15Sign::new_unprefixed(), cmd.data) {
        Ok(signature) => Response::ok(signature),
        Err(_) => Response::status(sw::SW_UNKNOWN),
    }
}
