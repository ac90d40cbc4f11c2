//! Mode changes: upgrade requests with consent, answers, cancellations and
//! downgrades. Entering a call hands every attached connection its ICE
//! servers.

use seam_protocol::{Ack, ErrorCode, Mode};

use super::{append, committed_ack, post, CommandContext, CommandError};
use crate::session::{rules, WantedMode};

pub(super) async fn request(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
    mode: Mode,
    screen_share: bool,
    reason: Option<String>,
) -> Result<(), CommandError> {
    let media = &ctx.state.media;
    if !media.config().allows(mode) {
        return Err(CommandError::new(
            ErrorCode::ModeDisabled,
            format!("mode `{mode}` is disabled on this broker"),
        )
        .in_session(&session_id));
    }
    if screen_share && !media.config().screen_share {
        return Err(CommandError::new(
            ErrorCode::ModeDisabled,
            "screen sharing is disabled on this broker",
        )
        .in_session(&session_id));
    }
    let wanted = WantedMode {
        mode,
        screen_share,
        reason,
    };
    let expires_at = media.request_expiry();
    let committed = append(ctx, &id, &session_id, |view, actor| {
        rules::request_mode(view, actor, wanted.clone(), expires_at)
    })
    .await?;
    let request_id = rules::request_id_for(committed.seq);
    if !committed.duplicate {
        media.expire_at(&session_id, request_id.clone(), expires_at);
    }
    ctx.ack(Ack {
        request_id: Some(request_id),
        ..committed_ack(id, session_id, &committed)
    });
    Ok(())
}

pub(super) async fn answer(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
    request_id: String,
    accept: bool,
    reason: Option<String>,
) -> Result<(), CommandError> {
    let sid = session_id.clone();
    let committed = post(ctx, id, session_id, |view, actor| {
        rules::answer_mode(view, actor, &request_id, accept, reason.clone())
    })
    .await?;
    if let Some(call) = committed.started_call() {
        ctx.state.media.start_call(&sid, call);
    }
    Ok(())
}

pub(super) async fn cancel(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
    request_id: String,
) -> Result<(), CommandError> {
    post(ctx, id, session_id, |view, actor| {
        rules::cancel_mode_request(view, actor, &request_id)
    })
    .await?;
    Ok(())
}

pub(super) async fn set(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
    mode: Mode,
    screen_share: bool,
    reason: Option<String>,
) -> Result<(), CommandError> {
    let wanted = WantedMode {
        mode,
        screen_share,
        reason,
    };
    post(ctx, id, session_id, |view, actor| {
        rules::set_mode(view, actor, wanted.clone())
    })
    .await?;
    Ok(())
}
