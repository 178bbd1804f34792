//! READ BINARY (`00 B0`): offset form (P1P2 = 15-bit offset) and short-EF form (P1 = `80|SFI`, P2 = offset).
//!
//! `Le = 00` means 256 and extended `Le = 0000` means 65536; the card returns exactly `min(Ne, rest)`
//! bytes with `9000`, also when fewer than Ne remain (never `6282`, `mynumber-card.md` §7.7). An absent
//! Le reads up to 256 bytes. Reading at the end of the file returns no data and `9000`; past it, `6B00`.
//! The SFI form makes the EF current, as ISO 7816-4 says.

use super::{Command, Ctx, Response, Session, open_app};
use crate::fs::{Access, EfKind};
use crate::sw;

/// Bytes returned when no Le was sent.
const DEFAULT_NE: usize = 256;

pub(super) fn handle(session: &mut Session, ctx: &mut Ctx<'_>, cmd: &Command<'_>) -> Response {
    if !cmd.data.is_empty() {
        return Response::status(sw::SW_WRONG_LENGTH);
    }
    let (open, app) = match open_app(session, ctx.fs) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let (fid, offset) = if cmd.p1 & 0x80 != 0 {
        if cmd.p1 & 0x60 != 0 {
            return Response::status(sw::SW_WRONG_P1P2);
        }
        let fid = u16::from(cmd.p1 & 0x1F);
        if app.ef(fid).is_none() {
            return Response::status(sw::SW_FILE_NOT_FOUND);
        }
        open.ef = Some(fid);
        (fid, usize::from(cmd.p2))
    } else {
        match open.ef {
            Some(fid) => (fid, usize::from(cmd.p1p2())),
            None => return Response::status(sw::SW_NO_CURRENT_EF),
        }
    };
    let Some(ef) = app.ef(fid) else {
        return Response::status(sw::SW_NO_CURRENT_EF);
    };
    let EfKind::Binary { data, access } = &ef.kind else {
        return Response::status(sw::SW_INCOMPATIBLE_FILE);
    };
    if let Access::AnyPin(pins) = access
        && !pins.iter().any(|pin| open.is_verified(*pin))
    {
        return Response::status(sw::SW_SECURITY_NOT_SATISFIED);
    }
    let Some(rest) = data.get(offset..) else {
        return Response::status(sw::SW_OFFSET_OUT_OF_RANGE);
    };
    let ne = cmd.ne.unwrap_or(DEFAULT_NE);
    Response::ok(rest.iter().take(ne).copied().collect())
}
