//! Supervision: monitoring a session, whispers and notes (staff only), and
//! the overview of queues, agents and live sessions.

use seam_protocol::{Ack, EventBody, Role};

use super::{attach, require_role, Attach, CommandContext, CommandError};
use crate::session::rules;

pub(super) async fn monitor(
    ctx: &mut CommandContext<'_>,
    id: String,
    session_id: String,
) -> Result<(), CommandError> {
    require_role(
        ctx.identity.principal.role,
        &[Role::Supervisor],
        "monitor sessions",
    )?;
    let how = Attach {
        silent: true,
        ..Attach::join(&id)
    };
    attach(ctx, &session_id, how).await?;
    Ok(())
}

pub(super) async fn post(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
    body: EventBody,
) -> Result<(), CommandError> {
    let actor = &ctx.identity.principal;
    let what = if matches!(body, EventBody::Whisper { .. }) {
        "whisper"
    } else {
        "write notes"
    };
    let allowed: &[Role] = if matches!(body, EventBody::Whisper { .. }) {
        &[Role::Agent, Role::Supervisor]
    } else {
        &[Role::Agent, Role::Supervisor, Role::Bot]
    };
    require_role(actor.role, allowed, what)?;
    let attached = ctx.state.hub.is_attached(&session_id, &actor.sub);
    super::post(ctx, id, session_id, move |view, actor| {
        rules::staff_post(view, actor, body.clone(), attached)
    })
    .await?;
    Ok(())
}

pub(super) async fn overview(ctx: &CommandContext<'_>, id: String) -> Result<(), CommandError> {
    require_role(
        ctx.identity.principal.role,
        &[Role::Supervisor, Role::Service],
        "see the overview",
    )?;
    let state = ctx.state;
    let open = state
        .engine
        .open_sessions()
        .await
        .map_err(CommandError::from)?;
    let overview = state.routing.overview(open).await?;
    ctx.ack(Ack {
        id,
        overview: Some(Box::new(overview)),
        ..Ack::default()
    });
    Ok(())
}
