//! VERIFY (`00 20 00 P2`): PIN check and retry query.
//!
//! - P2 `80` addresses the current EF (after `SELECT EF`), P2 `80|SFI` the PIN EF `00 SFI` directly.
//! - No data: retry query, answers `63Cx` (x = tries left), or for a locked PIN `6983` (or `63C0`, see
//!   [`super::BlockedQueryReply`]). The query never changes a counter.
//! - Correct PIN: counter back to the maximum, the PIN counts as verified until the DF is left.
//! - Wrong PIN: counter minus one, verified status dropped, `63Cx`; when it reaches 0 the answer is `6983`.
//! - Locked PIN: `6983`, whatever the data, and nothing changes.

use super::{BlockedQueryReply, Command, Ctx, Response, Session, open_app, pin_reference};
use crate::pin::VerifyOutcome;
use crate::sw;

pub(super) fn handle(session: &mut Session, ctx: &mut Ctx<'_>, cmd: &Command<'_>) -> Response {
    if cmd.p1 != 0x00 {
        return Response::status(sw::SW_WRONG_P1P2);
    }
    let (open, app) = match open_app(session, ctx.fs) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let pin = match pin_reference(open, app, cmd.p2) {
        Ok(pin) => pin,
        Err(status) => return Response::status(status),
    };
    if cmd.data.is_empty() {
        let tries = ctx.pins.tries_left(pin);
        let status = match (tries, ctx.blocked_query) {
            (0, BlockedQueryReply::Blocked) => sw::SW_PIN_BLOCKED,
            _ => sw::sw_tries_left(tries),
        };
        return Response::status(status);
    }
    match ctx.pins.verify(pin, cmd.data) {
        VerifyOutcome::Accepted => {
            open.set_verified(pin, true);
            Response::status(sw::SW_OK)
        }
        VerifyOutcome::Rejected { tries_left } => {
            open.set_verified(pin, false);
            Response::status(if tries_left == 0 {
                sw::SW_PIN_BLOCKED
            } else {
                sw::sw_tries_left(tries_left)
            })
        }
        VerifyOutcome::Blocked => {
            open.set_verified(pin, false);
            Response::status(sw::SW_PIN_BLOCKED)
        }
    }
}
