//! GET CHALLENGE (`00 84 00 00 Le`): Ne bytes from the injected [`super::ChallengeSource`].
//!
//! Ne may be 1 to 256 (`Le = 00` = 256), as on the real card; a missing Le or a longer request answers
//! `6700`. Works in any DF, with or without a PIN.

use super::{Command, Ctx, Response};
use crate::sw;

/// Largest challenge the real card hands out.
const MAX_CHALLENGE: usize = 256;

pub(super) fn handle(ctx: &mut Ctx<'_>, cmd: &Command<'_>) -> Response {
    if cmd.p1p2() != 0 {
        return Response::status(sw::SW_WRONG_P1P2);
    }
    match cmd.ne {
        Some(ne) if ne <= MAX_CHALLENGE && cmd.data.is_empty() => {
            let mut out = vec![0u8; ne];
            ctx.challenges.fill(&mut out);
            Response::ok(out)
        }
        _ => Response::status(sw::SW_WRONG_LENGTH),
    }
}
