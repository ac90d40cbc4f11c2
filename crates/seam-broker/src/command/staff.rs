//! Supervision: monitoring a session, whispers and notes (staff only), and
//! the overview of queues, agents and live sessions.

use seam_protocol::{Ack, EventBody, Role, SessionState};

use super::{attach, require_role, Attach, CommandContext, CommandError};
use crate::session::{rules, SessionError};
use crate::store::SessionFilter;

/// Most sessions `my_sessions` lists.
const MY_SESSIONS_LIMIT: usize = 200;

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

/// The open sessions the agent (bot, supervisor) takes part in now, newest
/// first, from the store's listing (any node's), checked against each
/// session as it stands.
pub(super) async fn my_sessions(ctx: &CommandContext<'_>, id: String) -> Result<(), CommandError> {
    let actor = &ctx.identity.principal;
    require_role(
        actor.role,
        &[Role::Agent, Role::Bot, Role::Supervisor],
        "list your sessions",
    )?;
    let state = ctx.state;
    let filter = SessionFilter {
        state: Some(SessionState::Open),
        agent: Some(actor.sub.clone()),
        limit: MY_SESSIONS_LIMIT,
        ..SessionFilter::default()
    };
    let listed = state
        .store
        .list(&filter)
        .await
        .map_err(|e| CommandError::from(SessionError::Store(e)))?;
    let mut sessions = Vec::new();
    for summary in listed {
        let Ok(Some(view)) = state.engine.view(&summary.session_id).await else {
            continue;
        };
        if view.is_open() && view.is_participant(&actor.sub) {
            sessions.push(view.overview(false));
        }
    }
    ctx.ack(Ack {
        id,
        sessions: Some(sessions),
        ..Ack::default()
    });
    Ok(())
}

/// Queues, agents and (for supervisors and services) live sessions. Agents
/// get queues and colleagues only: what they need to pick a transfer
/// target.
/// `subscribe_stats`: the overview now, then every few seconds (pushed by
/// the broker's stats task to every subscribed connection).
pub(super) async fn subscribe_stats(
    ctx: &CommandContext<'_>,
    id: String,
) -> Result<(), CommandError> {
    require_role(
        ctx.identity.principal.role,
        &[Role::Supervisor, Role::Service],
        "subscribe to live stats",
    )?;
    overview(ctx, id).await?;
    ctx.state.hub.subscribe_stats(ctx.outbox);
    Ok(())
}

pub(super) async fn overview(ctx: &CommandContext<'_>, id: String) -> Result<(), CommandError> {
    let role = ctx.identity.principal.role;
    require_role(
        role,
        &[Role::Supervisor, Role::Service, Role::Agent],
        "see the overview",
    )?;
    let state = ctx.state;
    let open = if role == Role::Agent {
        Vec::new()
    } else {
        state
            .engine
            .open_sessions()
            .await
            .map_err(CommandError::from)?
    };
    let overview = state.routing.overview(open).await?;
    ctx.ack(Ack {
        id,
        overview: Some(Box::new(overview)),
        ..Ack::default()
    });
    Ok(())
}

/// `canned_responses`: the configured saved replies (agents, bots,
/// supervisors).
pub(super) async fn canned_responses(
    ctx: &CommandContext<'_>,
    id: String,
) -> Result<(), CommandError> {
    require_role(
        ctx.identity.principal.role,
        &[Role::Agent, Role::Bot, Role::Supervisor],
        "use saved replies",
    )?;
    let state = ctx.state;
    let canned = crate::canned::all(&state.config, state.store.as_ref())
        .await
        .map_err(|e| CommandError::from(SessionError::Store(e)))?;
    ctx.ack(Ack {
        id,
        canned_responses: Some(canned),
        ..Ack::default()
    });
    Ok(())
}
