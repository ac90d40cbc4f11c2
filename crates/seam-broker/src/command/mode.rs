//! Mode changes: upgrade requests with consent, answers, cancellations and
//! downgrades, and the mode recommended for a session. Entering a call
//! hands every attached connection its ICE servers.

use seam_protocol::{Ack, ErrorCode, EventBody, Mode, Role};

use super::{append, committed_ack, in_session, post, require_role, CommandContext, CommandError};
use crate::session::{rules, SessionView, WantedMode};

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

/// Recommends the mode to offer first (see `crate::recommend`): a new
/// draw, stored as a `mode_recommended` event, unless the session's last
/// recommendation still holds (same issue type, same modes available).
pub(super) async fn recommend(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
) -> Result<(), CommandError> {
    let actor = &ctx.identity.principal;
    require_role(
        actor.role,
        &[Role::Customer, Role::Agent, Role::Bot, Role::Supervisor],
        "ask for a mode recommendation",
    )?;
    let view = super::view(ctx, &session_id).await?;
    rules::check_can_post(&view, actor).map_err(in_session(&session_id))?;
    let available = available_modes(ctx, &view).await?;
    let issue_type = view.context.issue_type.clone();
    if let Some((seq, last)) = &view.recommendation {
        let modes: Vec<Mode> = last.choices.iter().map(|c| c.mode).collect();
        let same = modes.len() == available.len() && available.iter().all(|m| modes.contains(m));
        if last.issue_type == issue_type && same {
            ctx.ack(Ack {
                id,
                session_id: Some(session_id),
                seq: Some(*seq),
                recommendation: Some(last.clone()),
                ..Ack::default()
            });
            return Ok(());
        }
    }
    let recommendation = ctx
        .state
        .recommender
        .recommend(issue_type.as_deref(), &available);
    let body = EventBody::ModeRecommended {
        recommendation: recommendation.clone(),
    };
    let committed = append(ctx, &id, &session_id, |view, actor| {
        rules::check_can_post(view, actor)?;
        rules::record(view, body.clone())
    })
    .await?;
    let recommendation = if committed.duplicate {
        // A retry: answer with what the first attempt stored.
        super::view(ctx, &session_id)
            .await?
            .recommendation
            .map(|(_, r)| r)
    } else {
        Some(recommendation)
    };
    ctx.ack(Ack {
        recommendation,
        ..committed_ack(id, session_id, &committed)
    });
    Ok(())
}

/// The modes a session could move to now: all those enabled when an agent
/// is in it, else those someone of its queue could take now.
async fn available_modes(
    ctx: &CommandContext<'_>,
    view: &SessionView,
) -> Result<Vec<Mode>, CommandError> {
    let media = ctx.state.media.config();
    if view.participants.iter().any(|p| p.role == Role::Agent) {
        return Ok(media.enabled_modes());
    }
    let router = ctx.state.routing.router();
    let queue = match &view.queue {
        Some(name) => router.queue(name).ok(),
        None => router.queue_for(&view.context),
    };
    Ok(ctx.state.routing.modes_available(media, queue).await?)
}
