//! CHANGE REFERENCE DATA (`00 24 P1 P2`): set a new PIN value.
//!
//! - P1 `01`: data = new PIN; the PIN must have been verified in this DF session (else `6982`).
//! - P1 `00`: data = current PIN ‖ new PIN; the current PIN is checked like VERIFY (a wrong one costs a
//!   try). The split point is the length of the stored value.
//! - P2 as for VERIFY (`80` current EF, `80|SFI`).
//! - A new value that breaks the PIN's format answers `6A80` and changes nothing.
//! - A locked PIN answers `6983`. Success resets the counter and leaves the PIN verified.

use super::{Command, Ctx, Response, Session, open_app, pin_reference};
use crate::pin::{PinValue, VerifyOutcome};
use crate::sw;

pub(super) fn handle(session: &mut Session, ctx: &mut Ctx<'_>, cmd: &Command<'_>) -> Response {
    let (open, app) = match open_app(session, ctx.fs) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let pin = match pin_reference(open, app, cmd.p2) {
        Ok(pin) => pin,
        Err(status) => return Response::status(status),
    };
    if ctx.pins.is_blocked(pin) {
        return Response::status(sw::SW_PIN_BLOCKED);
    }
    let new_value = match cmd.p1 {
        0x01 => {
            if !open.is_verified(pin) {
                return Response::status(sw::SW_SECURITY_NOT_SATISFIED);
            }
            cmd.data
        }
        0x00 => {
            let current_len = ctx
                .pins
                .records()
                .iter()
                .find(|r| r.pin == pin)
                .map_or(0, |r| r.value.expose().len());
            if cmd.data.len() <= current_len {
                return Response::status(sw::SW_WRONG_LENGTH);
            }
            let (current, new_value) = cmd.data.split_at(current_len);
            match ctx.pins.verify(pin, current) {
                VerifyOutcome::Accepted => {}
                VerifyOutcome::Rejected { tries_left: 0 } | VerifyOutcome::Blocked => {
                    open.set_verified(pin, false);
                    return Response::status(sw::SW_PIN_BLOCKED);
                }
                VerifyOutcome::Rejected { tries_left } => {
                    open.set_verified(pin, false);
                    return Response::status(sw::sw_tries_left(tries_left));
                }
            }
            new_value
        }
        _ => return Response::status(sw::SW_WRONG_P1P2),
    };
    if !pin.policy().accepts(new_value) {
        return Response::status(sw::SW_WRONG_DATA);
    }
    ctx.pins.set_value(pin, PinValue::new(new_value));
    open.set_verified(pin, true);
    Response::status(sw::SW_OK)
}
