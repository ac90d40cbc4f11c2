//! Routing commands: agent status, offers, transfers, conferences,
//! supervision, bot hand-off and proactive invitations.

use std::sync::Arc;

use seam_protocol::{
    Ack, AgentStatus, CustomerContext, ErrorCode, EventBody, Mode, OfferKind, Principal, Role,
    ServerFrame, TransferTarget,
};

use super::{find, in_session, posted_ack, require_role, CommandContext, CommandError};
use crate::clock::now_millis;
use crate::media;
use crate::routing::{Enqueue, RoutingError, Stage};
use crate::session::{Attach, Session, WantedMode};

impl From<RoutingError> for CommandError {
    fn from(e: RoutingError) -> CommandError {
        let code = match &e {
            RoutingError::Disabled | RoutingError::QueueNotFound(_) => ErrorCode::QueueNotFound,
            RoutingError::OfferNotFound => ErrorCode::OfferNotFound,
            RoutingError::AgentNotFound(_) => ErrorCode::AgentNotFound,
            RoutingError::InvitationNotFound => ErrorCode::InvitationNotFound,
            RoutingError::VisitorNotFound(_) => ErrorCode::VisitorNotFound,
        };
        CommandError::new(code, e.to_string())
    }
}

/// Opens (or gets back) the customer's session, attaches this connection,
/// and, for a new session with routing on, queues it for an agent.
pub(super) async fn open_and_route(
    ctx: &mut CommandContext<'_>,
    id: &str,
    context: CustomerContext,
    requested_mode: Option<Mode>,
) -> Result<Arc<Session>, CommandError> {
    let actor = ctx.identity.principal.clone();
    let (session, created) = ctx.hub.open_session(&actor, context, id).await?;
    let queue = ctx
        .router
        .queue_for(session.context())
        .filter(|_| created)
        .cloned();
    if let Some(queue) = &queue {
        let body = EventBody::Queued {
            queue: queue.name.clone(),
        };
        session.record(&actor, body, ctx.hub.store()).await?;
    }
    session
        .attach(
            &actor,
            ctx.outbox,
            Attach::join(id, None, None),
            ctx.hub.store(),
        )
        .await?;
    super::join_call_in_progress(ctx, &session, &actor.sub).await;
    if !created {
        ctx.router.retell_status(session.id());
    }
    if let Some(queue) = queue {
        ctx.router.enqueue(Enqueue {
            session: Arc::clone(&session),
            stage: if queue.bot_first {
                Stage::Bot
            } else {
                Stage::Human
            },
            queue: queue.name,
            kind: OfferKind::Queue,
            only_agent: None,
            note: None,
            requested_mode,
        });
    }
    Ok(session)
}

pub(super) fn set_status(
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
    ctx.router.set_status(actor, status, skills, capacity);
    ctx.outbox.push_frame(&ServerFrame::Ack(Ack {
        id,
        ..Ack::default()
    }));
    Ok(())
}

pub(super) async fn accept_offer(
    ctx: &mut CommandContext<'_>,
    id: String,
    offer_id: String,
) -> Result<(), CommandError> {
    let actor = ctx.identity.principal.clone();
    let accepted = ctx.router.accept(&actor.sub, &offer_id)?;
    let session = accepted.session;
    let store = ctx.hub.store();
    if accepted.kind != OfferKind::Conference {
        let body = EventBody::Assigned {
            agent: actor.clone(),
            queue: accepted.queue,
            waited_ms: accepted.waited_ms,
        };
        session.record(&actor, body, store).await?;
    }
    session
        .attach(&actor, ctx.outbox, Attach::join(&id, None, None), store)
        .await
        .map_err(in_session(session.id()))?;
    super::join_call_in_progress(ctx, &session, &actor.sub).await;
    if let Some(mode) = accepted.requested_mode.filter(|m| m.is_media()) {
        request_on_behalf_of_customer(ctx, &session, &id, mode).await;
    }
    super::remember(ctx.attached, session);
    Ok(())
}

/// The customer asked for voice or video before an agent was there: now
/// that one is, the request goes to them as if the customer had just made it.
async fn request_on_behalf_of_customer(
    ctx: &CommandContext<'_>,
    session: &Arc<Session>,
    offer_ack_id: &str,
    mode: Mode,
) {
    let config = &ctx.config.media;
    if !config.allows(mode) {
        return;
    }
    let wanted = WantedMode {
        mode,
        screen_share: false,
        reason: Some("asked for before an agent joined".into()),
    };
    let customer = session.customer().clone();
    let expires_at = now_millis() + config.request_timeout_ms;
    let command_id = format!("on-arrival-{offer_ack_id}");
    match session
        .request_mode(&customer, &command_id, wanted, expires_at, ctx.hub.store())
        .await
    {
        Ok((posted, request_id)) if !posted.duplicate => media::expire_later(
            Arc::clone(session),
            ctx.hub.store_handle(),
            request_id,
            config.request_timeout(),
        ),
        Ok(_) => {}
        Err(e) => tracing::debug!(error = %e, "no mode request on arrival"),
    }
}

pub(super) fn decline_offer(
    ctx: &CommandContext<'_>,
    id: String,
    offer_id: String,
) -> Result<(), CommandError> {
    ctx.router.decline(&ctx.identity.principal.sub, &offer_id)?;
    ctx.outbox.push_frame(&ServerFrame::Ack(Ack {
        id,
        ..Ack::default()
    }));
    Ok(())
}

pub(super) async fn transfer(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
    to: TransferTarget,
    note: Option<String>,
) -> Result<(), CommandError> {
    let actor = &ctx.identity.principal;
    require_role(actor.role, &[Role::Agent, Role::Supervisor], "transfer")?;
    let session = find(ctx.hub, &session_id)?;
    let (queue, only_agent) = match &to {
        TransferTarget::Agent(agent) => {
            if !ctx.router.agent_connected(agent) {
                return Err(RoutingError::AgentNotFound(agent.clone()).into());
            }
            let (_, _, current, _) = session.overview().await;
            (
                current.unwrap_or_else(|| "direct".into()),
                Some(agent.clone()),
            )
        }
        TransferTarget::Queue(name) => (ctx.router.queue(name)?.name.clone(), None),
    };
    let body = EventBody::Transferred { to };
    let posted = session
        .hand_on(actor, &id, body, note.clone(), ctx.hub.store())
        .await
        .map_err(in_session(&session_id))?;
    if !posted.duplicate {
        ctx.router.release(&actor.sub, &session_id);
        ctx.router.enqueue(Enqueue {
            session,
            queue,
            stage: Stage::Human,
            kind: OfferKind::Transfer,
            only_agent,
            note,
            requested_mode: None,
        });
    }
    ctx.outbox
        .push_frame(&ServerFrame::Ack(posted_ack(id, session_id, posted)));
    Ok(())
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
    let session = find(ctx.hub, &session_id)?;
    if !session.is_participant(&actor.sub).await {
        return Err(
            CommandError::from(crate::session::SessionError::NotAParticipant)
                .in_session(&session_id),
        );
    }
    if !session.is_open().await {
        return Err(CommandError::from(crate::session::SessionError::Ended).in_session(&session_id));
    }
    let context = session.context().clone();
    ctx.router
        .invite_agent(Arc::clone(&session), &agent, note, context)?;
    ctx.outbox.push_frame(&ServerFrame::Ack(Ack {
        id,
        session_id: Some(session_id),
        ..Ack::default()
    }));
    Ok(())
}

pub(super) async fn monitor(
    ctx: &mut CommandContext<'_>,
    id: String,
    session_id: String,
) -> Result<(), CommandError> {
    let actor = ctx.identity.principal.clone();
    require_role(actor.role, &[Role::Supervisor], "monitor sessions")?;
    let session = find(ctx.hub, &session_id)?;
    let how = Attach {
        silent: true,
        ..Attach::join(&id, None, None)
    };
    session
        .attach(&actor, ctx.outbox, how, ctx.hub.store())
        .await
        .map_err(in_session(&session_id))?;
    super::remember(ctx.attached, session);
    Ok(())
}

pub(super) async fn staff_post(
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
    require_role(
        actor.role,
        &[Role::Agent, Role::Supervisor, Role::Bot],
        what,
    )?;
    let session = find(ctx.hub, &session_id)?;
    let posted = session
        .staff_post(actor, &id, body, ctx.hub.store())
        .await
        .map_err(in_session(&session_id))?;
    ctx.outbox
        .push_frame(&ServerFrame::Ack(posted_ack(id, session_id, posted)));
    Ok(())
}

pub(super) async fn overview(ctx: &CommandContext<'_>, id: String) -> Result<(), CommandError> {
    let actor = &ctx.identity.principal;
    require_role(
        actor.role,
        &[Role::Supervisor, Role::Service],
        "see the overview",
    )?;
    let overview = ctx.router.overview(ctx.hub).await;
    ctx.outbox.push_frame(&ServerFrame::Ack(Ack {
        id,
        overview: Some(Box::new(overview)),
        ..Ack::default()
    }));
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
    let actor = &ctx.identity.principal;
    require_role(
        actor.role,
        &[Role::Bot, Role::Customer],
        "hand off to an agent",
    )?;
    if !ctx.router.enabled() {
        return Err(RoutingError::Disabled.into());
    }
    let session = find(ctx.hub, &session_id)?;
    let (_, _, current_queue, staff) = session.overview().await;
    if staff.iter().any(|p| p.role != Role::Bot) {
        return Err(CommandError::new(
            ErrorCode::Forbidden,
            "an agent is already in this session; use request_mode for voice or video",
        )
        .in_session(&session_id));
    }
    let queue = ctx.router.handoff_queue(current_queue.as_deref())?;
    let body = EventBody::HandedOff {
        queue: queue.clone(),
        summary: summary.clone(),
        requested_mode: mode,
    };
    let posted = session
        .hand_on(actor, &id, body, None, ctx.hub.store())
        .await
        .map_err(in_session(&session_id))?;
    if !posted.duplicate {
        let bots: Vec<Principal> = session.bots().await;
        for bot in bots {
            let left = EventBody::ParticipantLeft {
                participant: bot.clone(),
            };
            session.record(&bot, left, ctx.hub.store()).await?;
            ctx.router.release(&bot.sub, &session_id);
        }
        ctx.router.enqueue(Enqueue {
            session,
            queue,
            stage: Stage::Human,
            kind: OfferKind::Queue,
            only_agent: None,
            note: summary,
            requested_mode: mode,
        });
    }
    ctx.outbox
        .push_frame(&ServerFrame::Ack(posted_ack(id, session_id, posted)));
    Ok(())
}

pub(super) fn page_view(
    ctx: &CommandContext<'_>,
    id: String,
    page: String,
    issue_type: Option<String>,
) -> Result<(), CommandError> {
    let actor = &ctx.identity.principal;
    require_role(actor.role, &[Role::Customer], "report page views")?;
    ctx.router
        .page_view(actor, &page, issue_type.as_deref(), Arc::clone(ctx.hub));
    ctx.outbox.push_frame(&ServerFrame::Ack(Ack {
        id,
        ..Ack::default()
    }));
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
    let invitation_id =
        ctx.router
            .invite_visitor(actor, &sub, mode, topic, context.unwrap_or_default())?;
    ctx.outbox.push_frame(&ServerFrame::Ack(Ack {
        id,
        invitation_id: Some(invitation_id),
        ..Ack::default()
    }));
    Ok(())
}

pub(super) async fn answer_invitation(
    ctx: &mut CommandContext<'_>,
    id: String,
    invitation_id: String,
    accept: bool,
) -> Result<(), CommandError> {
    let actor = ctx.identity.principal.clone();
    require_role(actor.role, &[Role::Customer], "answer invitations")?;
    let invitation = ctx
        .router
        .answer_invitation(&actor.sub, &invitation_id, accept)?;
    if !accept {
        ctx.outbox.push_frame(&ServerFrame::Ack(Ack {
            id,
            invitation_id: Some(invitation_id),
            ..Ack::default()
        }));
        return Ok(());
    }
    let context = ctx.identity.context.clone().merged_with(invitation.context);
    let requested = Some(invitation.mode).filter(|m| m.is_media());
    let session = open_and_route(ctx, &id, context, requested).await?;
    super::remember(ctx.attached, session);
    Ok(())
}
