//! Refreshing the connection's token in band.

use seam_protocol::{Ack, ErrorCode};

use super::{CommandContext, CommandError};
use crate::auth::AuthError;

pub(super) fn refresh_token(
    ctx: &mut CommandContext<'_>,
    id: String,
    token: String,
) -> Result<(), CommandError> {
    let fresh = ctx.state.auth.verify(&token).map_err(|e| match e {
        AuthError::Expired => {
            CommandError::new(ErrorCode::InvalidToken, "the new token is already expired")
        }
        AuthError::Invalid(why) => CommandError::new(ErrorCode::InvalidToken, why),
    })?;
    let actor = &ctx.identity.principal;
    if fresh.principal.sub != actor.sub || fresh.principal.role != actor.role {
        return Err(CommandError::new(
            ErrorCode::InvalidToken,
            "the new token is for a different principal",
        ));
    }
    let expires_at = fresh.expires_at;
    *ctx.identity = std::sync::Arc::new(fresh);
    ctx.ack(Ack {
        id,
        expires_at: Some(expires_at),
        ..Ack::default()
    });
    Ok(())
}
