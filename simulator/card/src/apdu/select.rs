//! SELECT (`00 A4`): applications by AID (P1 `04`) and files by FID (P1 `00` / `02`).
//!
//! - Selecting an application, even the current one, opens a fresh session: the security state is
//!   cleared (`mynumber-card.md` §7.10). A foreign AID answers `6A82` and leaves the session alone.
//! - Selecting an EF keeps the security state, so SELECT is idempotent (jpki-rs sends it twice).
//! - P2 `00`/`04`/`08`/`0C` are accepted; when FCI is requested the card answers `9000` with no data.

use super::{AppOpen, AwaitSelect, Command, Ctx, Response, Session};
use crate::fs::AppId;
use crate::sw;

/// SELECT by DF name.
const P1_BY_AID: u8 = 0x04;
/// SELECT by FID (MF, DF or EF).
const P1_BY_FID: u8 = 0x00;
/// SELECT EF under the current DF.
const P1_EF_UNDER_DF: u8 = 0x02;
/// FID of the MF.
const FID_MF: u16 = 0x3F00;

pub(super) fn handle(session: &mut Session, ctx: &mut Ctx<'_>, cmd: &Command<'_>) -> Response {
    // Only "first or only occurrence" is supported; the FCI/FCP/no-data choice (bits 3-4) is free.
    if cmd.p2 & !0x0C != 0 {
        return Response::status(sw::SW_WRONG_P1P2);
    }
    match cmd.p1 {
        P1_BY_AID => select_aid(session, cmd.data),
        P1_BY_FID | P1_EF_UNDER_DF => select_fid(session, ctx, cmd),
        _ => Response::status(sw::SW_WRONG_P1P2),
    }
}

fn select_aid(session: &mut Session, aid: &[u8]) -> Response {
    if aid.is_empty() {
        return Response::status(sw::SW_WRONG_LENGTH);
    }
    match AppId::from_aid(aid) {
        Some(app) => {
            *session = Session::AppOpen(AppOpen::new(app));
            Response::status(sw::SW_OK)
        }
        None => Response::status(sw::SW_FILE_NOT_FOUND),
    }
}

fn select_fid(session: &mut Session, ctx: &Ctx<'_>, cmd: &Command<'_>) -> Response {
    let fid = match cmd.data {
        // P1 00 with no data selects the MF.
        [] if cmd.p1 == P1_BY_FID => FID_MF,
        [hi, lo] => u16::from_be_bytes([*hi, *lo]),
        _ => return Response::status(sw::SW_WRONG_LENGTH),
    };
    if fid == FID_MF && cmd.p1 == P1_BY_FID {
        *session = Session::AwaitSelect(AwaitSelect);
        return Response::status(sw::SW_OK);
    }
    let Session::AppOpen(open) = session else {
        return Response::status(sw::SW_FILE_NOT_FOUND);
    };
    match ctx.fs.app(open.app).and_then(|app| app.ef(fid)) {
        Some(_) => {
            open.ef = Some(fid);
            Response::status(sw::SW_OK)
        }
        None => Response::status(sw::SW_FILE_NOT_FOUND),
    }
}
