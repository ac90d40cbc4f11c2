//! Routing commands: agent status, offers, transfers, conferences, bot
//! hand-off and proactive invitations.

use seam_protocol::{
    Ack, AgentStatus, CustomerContext, ErrorCode, EventBody, Mode, OfferKind, Role, TransferTarget,
};

use super::{attach, in_session, require_role, view, Attach, CommandContext, CommandError};
use crate::engine::Append;
use crate::lifecycle::HandOn;
use crate::routing::{Routed, RoutingError};
use crate::session::{rules, SessionError, WantedMode};

pub(super) async fn set_status(
    ctx: &CommandContext<'_>,
    id: String,
    status: AgentStatus,
    skills: Option<Vec<String>>,
    capacity: Option<u32>,
) -> Result<(), CommandError> {
    let actor = &ctx.identity.principal;
    require_role(
        actor.role,
        &[Role::Agent, Role::Bot],
        "set a routing status",
    )?;
    ctx.state
        .routing
        .set_status(&actor.sub, status, skills, capacity)
        .await?;
    ctx.ack(Ack {
        id,
        ..Ack::default()
    });
    Ok(())
}

pub(super) async fn accept(
    ctx: &mut CommandContext<'_>,
    id: String,
    offer_id: String,
) -> Result<(), CommandError> {
    let actor = ctx.actor();
    let state = ctx.state;
    let accepted = state.routing.accept(&actor.sub, &offer_id).await?;
    let session_id = accepted.session_id.clone();
    if let Err(e) = state.lifecycle.assign(&actor, &accepted).await {
        // Not stored: the session waits again rather than being lost.
        state.lifecycle.unassign(&actor, &accepted).await;
        return Err(e.into());
    }
    let how = Attach {
        offered: true,
        ..Attach::join(&id)
    };
    attach(ctx, &session_id, how).await?;
    if let Some(mode) = accepted.requested_mode.filter(|m| m.is_media()) {
        request_on_behalf_of_customer(ctx, &session_id, &id, mode).await;
    }
    Ok(())
}

/// The customer asked for voice or video before an agent was there: now
/// that one is, the request goes to them as if the customer had just made it.
async fn request_on_behalf_of_customer(
    ctx: &CommandContext<'_>,
    session_id: &str,
    offer_ack_id: &str,
    mode: Mode,
) {
    let media = &ctx.state.media;
    if !media.config().allows(mode) {
        return;
    }
    let Ok(Some(view)) = ctx.state.engine.view(session_id).await else {
        return;
    };
    let customer = view.customer;
    let wanted = WantedMode {
        mode,
        screen_share: false,
        reason: Some("asked for before an agent joined".into()),
    };
    let expires_at = media.request_expiry();
    let command_id = format!("on-arrival-{offer_ack_id}");
    let append = Append {
        actor: &customer,
        command_id: Some(&command_id),
        decide: Box::new(|view| rules::request_mode(view, &customer, wanted.clone(), expires_at)),
    };
    match ctx.state.engine.append(session_id, append).await {
        Ok(committed) if !committed.duplicate => {
            media.expire_at(session_id, rules::request_id_for(committed.seq), expires_at);
        }
        Ok(_) => {}
        Err(e) => tracing::debug!(error = %e, "no mode request on arrival"),
    }
}

pub(super) async fn decline(
    ctx: &CommandContext<'_>,
    id: String,
    offer_id: String,
) -> Result<(), CommandError> {
    ctx.state
        .routing
        .decline(&ctx.identity.principal.sub, &offer_id)
        .await?;
    ctx.ack(Ack {
        id,
        ..Ack::default()
    });
    Ok(())
}

pub(super) async fn transfer(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
    to: TransferTarget,
    note: Option<String>,
) -> Result<(), CommandError> {
    let actor = ctx.actor();
    require_role(actor.role, &[Role::Agent, Role::Supervisor], "transfer")?;
    let view = view(ctx, &session_id).await?;
    let routing = &ctx.state.routing;
    let (queue, only_agent) = match &to {
        TransferTarget::Agent(agent) => {
            if !routing.agent_connected(agent).await? {
                return Err(RoutingError::AgentNotFound(agent.clone()).into());
            }
            (
                view.queue.unwrap_or_else(|| "direct".into()),
                Some(agent.clone()),
            )
        }
        TransferTarget::Queue(name) => (routing.router().queue(name)?.name.clone(), None),
    };
    let hand_on = HandOn {
        body: EventBody::Transferred { to },
        queue,
        only_agent,
        note,
        store_note: true,
        kind: OfferKind::Transfer,
        requested_mode: None,
    };
    hand_on_and_ack(ctx, id, session_id, hand_on).await
}

pub(super) async fn invite_agent(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
    agent: String,
    note: Option<String>,
) -> Result<(), CommandError> {
    let actor = &ctx.identity.principal;
    require_role(
        actor.role,
        &[Role::Agent, Role::Supervisor],
        "invite an agent",
    )?;
    let view = view(ctx, &session_id).await?;
    let refused = |e: SessionError| CommandError::from(e).in_session(&session_id);
    if !view.is_participant(&actor.sub) {
        return Err(refused(SessionError::NotAParticipant));
    }
    if !view.is_open() {
        return Err(refused(SessionError::Ended));
    }
    ctx.state
        .routing
        .invite_agent(Routed::of(&view), &agent, note)
        .await?;
    ctx.ack(Ack {
        id,
        session_id: Some(session_id),
        ..Ack::default()
    });
    Ok(())
}

/// A bot hands the session to a human, or the customer presses "talk to an agent".
pub(super) async fn hand_off(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
    summary: Option<String>,
    mode: Option<Mode>,
) -> Result<(), CommandError> {
    let actor = ctx.actor();
    require_role(
        actor.role,
        &[Role::Bot, Role::Customer],
        "hand off to an agent",
    )?;
    let router = ctx.state.routing.router();
    if !router.enabled() {
        return Err(RoutingError::Disabled.into());
    }
    let view = view(ctx, &session_id).await?;
    if view.staff().iter().any(|p| p.role != Role::Bot) {
        return Err(CommandError::new(
            ErrorCode::Forbidden,
            "an agent is already in this session; use request_mode for voice or video",
        )
        .in_session(&session_id));
    }
    let queue = router.handoff_queue(view.queue.as_deref())?;
    let hand_on = HandOn {
        body: EventBody::HandedOff {
            queue: queue.clone(),
            summary: summary.clone(),
            requested_mode: mode,
        },
        queue,
        only_agent: None,
        note: summary,
        store_note: false,
        kind: OfferKind::Queue,
        requested_mode: mode,
    };
    hand_on_and_ack(ctx, id, session_id, hand_on).await
}

pub(super) fn page_view(
    ctx: &CommandContext<'_>,
    id: String,
    page: String,
    issue_type: Option<String>,
) -> Result<(), CommandError> {
    let actor = &ctx.identity.principal;
    require_role(actor.role, &[Role::Customer], "report page views")?;
    ctx.state
        .routing
        .router()
        .page_view(actor, &page, issue_type.as_deref());
    ctx.ack(Ack {
        id,
        ..Ack::default()
    });
    Ok(())
}

pub(super) fn invite_visitor(
    ctx: &CommandContext<'_>,
    id: String,
    sub: String,
    mode: Mode,
    topic: String,
    context: Option<CustomerContext>,
) -> Result<(), CommandError> {
    let actor = &ctx.identity.principal;
    require_role(actor.role, &[Role::Service], "invite visitors")?;
    let invitation_id = ctx.state.routing.router().invite_visitor(
        actor,
        &sub,
        mode,
        topic,
        context.unwrap_or_default(),
    )?;
    ctx.ack(Ack {
        id,
        invitation_id: Some(invitation_id),
        ..Ack::default()
    });
    Ok(())
}

pub(super) async fn answer_invitation(
    ctx: &mut CommandContext<'_>,
    id: String,
    invitation_id: String,
    accept: bool,
) -> Result<(), CommandError> {
    let actor = ctx.actor();
    require_role(actor.role, &[Role::Customer], "answer invitations")?;
    let invitation =
        ctx.state
            .routing
            .router()
            .answer_invitation(&actor.sub, &invitation_id, accept)?;
    if !accept {
        ctx.ack(Ack {
            id,
            invitation_id: Some(invitation_id),
            ..Ack::default()
        });
        return Ok(());
    }
    let context = ctx.identity.context.clone().merged_with(invitation.context);
    let requested = Some(invitation.mode).filter(|m| m.is_media());
    super::lifecycle::open_and_attach(ctx, &id, context, requested).await
}

/// Hands the session on through the lifecycle and acknowledges.
async fn hand_on_and_ack(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
    hand_on: HandOn,
) -> Result<(), CommandError> {
    let actor = ctx.actor();
    let committed = ctx
        .state
        .lifecycle
        .hand_on(&session_id, &actor, &id, hand_on)
        .await
        .map_err(in_session(&session_id))?;
    ctx.ack_committed(id, session_id, &committed);
    Ok(())
}
