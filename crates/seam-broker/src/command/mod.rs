//! What each client command does, once the connection is authenticated.
//!
//! Commands are checked here against the principal's role; session-level
//! rules (ownership, participation, ended sessions) live in [`Session`].

use std::sync::Arc;

use seam_protocol::{Ack, ClientFrame, ErrorCode, ErrorFrame, EventBody, Role, ServerFrame};

use crate::auth::{AuthError, Authenticator, Identity};
use crate::clock::now_millis;
use crate::config::Config;
use crate::hub::Hub;
use crate::media;
use crate::outbox::Outbox;
use crate::routing::Router;
use crate::session::{Attach, Posted, Session, SessionError, WantedMode};

mod routing;

/// A command that failed, to be answered with an `error` frame.
#[derive(Debug)]
pub struct CommandError {
    /// The stable code.
    pub code: ErrorCode,
    /// For a human.
    pub message: String,
    /// The session concerned.
    pub session_id: Option<String>,
}

impl CommandError {
    fn new(code: ErrorCode, message: impl Into<String>) -> CommandError {
        CommandError {
            code,
            message: message.into(),
            session_id: None,
        }
    }

    fn in_session(mut self, session_id: &str) -> CommandError {
        self.session_id = Some(session_id.to_owned());
        self
    }

    /// The error frame answering command `id`.
    pub fn into_frame(self, id: Option<String>) -> ServerFrame {
        ServerFrame::Error(ErrorFrame {
            id,
            code: self.code,
            message: self.message,
            session_id: self.session_id,
            retry_after_ms: None,
        })
    }
}

impl From<SessionError> for CommandError {
    fn from(e: SessionError) -> CommandError {
        let code = match &e {
            SessionError::NotYourSession => ErrorCode::NotYourSession,
            SessionError::NotAParticipant => ErrorCode::NotAParticipant,
            SessionError::Ended => ErrorCode::SessionEnded,
            SessionError::RequestPending => ErrorCode::RequestPending,
            SessionError::RequestNotFound => ErrorCode::RequestNotFound,
            SessionError::NotYourRequest(_) => ErrorCode::NotYourRequest,
            SessionError::InvalidModeChange(_) => ErrorCode::InvalidModeChange,
            SessionError::ConsentRequired => ErrorCode::ConsentRequired,
            SessionError::NotInCall => ErrorCode::NotInCall,
            SessionError::TargetNotFound => ErrorCode::TargetNotFound,
            SessionError::NotEnded => ErrorCode::SessionNotEnded,
            SessionError::AlreadyRated => ErrorCode::AlreadyRated,
            SessionError::Store(err) => {
                tracing::error!(error = %err, "store refused an event");
                ErrorCode::Internal
            }
        };
        CommandError::new(code, e.to_string())
    }
}

/// What a command needs from its connection.
pub struct CommandContext<'a> {
    /// The authenticated principal (updated by `refresh_token`).
    pub identity: &'a mut Identity,
    /// The connection's outbox.
    pub outbox: &'a Outbox,
    /// Sessions this connection is attached to (to detach on close).
    pub attached: &'a mut Vec<Arc<Session>>,
    /// The hub.
    pub hub: &'a Arc<Hub>,
    /// The router.
    pub router: &'a Arc<Router>,
    /// The authenticator, for `refresh_token`.
    pub auth: &'a Authenticator,
    /// The broker's configuration.
    pub config: &'a Arc<Config>,
}

/// Runs one command. On success the command has queued its answer (an ack,
/// or an ack with replay for `open_session` and `join`).
pub async fn execute(mut ctx: CommandContext<'_>, frame: ClientFrame) -> Result<(), CommandError> {
    let actor = ctx.identity.principal.clone();
    match frame {
        ClientFrame::Hello { .. } => Err(CommandError::new(
            ErrorCode::AlreadyAuthenticated,
            "this connection is already authenticated",
        )),
        ClientFrame::OpenSession { id, context } => {
            require_role(actor.role, &[Role::Customer], "open_session")?;
            let context = ctx
                .identity
                .context
                .clone()
                .merged_with(context.unwrap_or_default());
            let session = routing::open_and_route(&mut ctx, &id, context, None).await?;
            remember(ctx.attached, session);
            Ok(())
        }
        ClientFrame::Join {
            id,
            session_id,
            after_seq,
            epoch,
        } => {
            require_role(
                actor.role,
                &[Role::Customer, Role::Agent, Role::Supervisor, Role::Bot],
                "join",
            )?;
            let session = find(ctx.hub, &session_id)?;
            session
                .attach(
                    &actor,
                    ctx.outbox,
                    Attach::join(&id, after_seq, epoch.as_deref()),
                    ctx.hub.store(),
                )
                .await
                .map_err(in_session(&session_id))?;
            join_call_in_progress(&ctx, &session, &actor.sub).await;
            if actor.role == Role::Customer {
                ctx.router.retell_status(&session_id);
            }
            remember(ctx.attached, session);
            Ok(())
        }
        ClientFrame::Leave { id, session_id } => {
            require_role(
                actor.role,
                &[Role::Agent, Role::Supervisor, Role::Bot],
                "leave (customers end the session instead)",
            )?;
            let session = find(ctx.hub, &session_id)?;
            let posted = session
                .leave(&actor, &id, ctx.hub.store())
                .await
                .map_err(in_session(&session_id))?;
            ctx.router.release(&actor.sub, &session_id);
            ack_posted(ctx.outbox, id, session_id, posted);
            Ok(())
        }
        ClientFrame::Message {
            id,
            session_id,
            text,
        } => {
            if text.trim().is_empty() {
                return Err(
                    CommandError::new(ErrorCode::InvalidMessage, "message text is empty")
                        .in_session(&session_id),
                );
            }
            let chars = text.chars().count();
            if chars > ctx.config.limits.max_text_chars {
                return Err(CommandError::new(
                    ErrorCode::MessageTooLarge,
                    format!(
                        "message has {chars} characters; the limit is {}",
                        ctx.config.limits.max_text_chars
                    ),
                )
                .in_session(&session_id));
            }
            let session = find(ctx.hub, &session_id)?;
            let posted = session
                .message(&actor, &id, text, ctx.hub.store())
                .await
                .map_err(in_session(&session_id))?;
            ack_posted(ctx.outbox, id, session_id, posted);
            Ok(())
        }
        ClientFrame::Typing {
            id,
            session_id,
            active,
        } => {
            let session = find(ctx.hub, &session_id)?;
            session
                .typing(&actor, ctx.outbox.conn_id(), active)
                .await
                .map_err(in_session(&session_id))?;
            ctx.outbox.push_frame(&ServerFrame::Ack(Ack {
                id,
                session_id: Some(session_id),
                ..Ack::default()
            }));
            Ok(())
        }
        ClientFrame::EndSession {
            id,
            session_id,
            reason,
        } => {
            require_role(
                actor.role,
                &[Role::Customer, Role::Agent, Role::Supervisor, Role::Bot],
                "end_session",
            )?;
            let session = find(ctx.hub, &session_id)?;
            if session.may_end(&actor).await.is_ok() {
                leave_routing(ctx.hub, ctx.router, &session, &actor).await?;
            }
            let posted = session
                .end(&actor, &id, reason, ctx.hub.store())
                .await
                .map_err(in_session(&session_id))?;
            if !posted.duplicate {
                ended(ctx.hub, &session).await;
            }
            ack_posted(ctx.outbox, id, session_id, posted);
            Ok(())
        }
        ClientFrame::RateSession {
            id,
            session_id,
            score,
            comment,
        } => {
            require_role(actor.role, &[Role::Customer], "rate sessions")?;
            if !(1..=5).contains(&score) {
                return Err(CommandError::new(
                    ErrorCode::InvalidMessage,
                    format!("score must be 1 to 5, not {score}"),
                )
                .in_session(&session_id));
            }
            let session = find(ctx.hub, &session_id)?;
            let posted = session
                .rate(&actor, &id, score, comment, ctx.hub.store())
                .await
                .map_err(in_session(&session_id))?;
            ack_posted(ctx.outbox, id, session_id, posted);
            Ok(())
        }
        ClientFrame::RequestMode {
            id,
            session_id,
            mode,
            screen_share,
            reason,
        } => {
            let config = &ctx.config.media;
            if !config.allows(mode) {
                return Err(CommandError::new(
                    ErrorCode::ModeDisabled,
                    format!("mode `{mode}` is disabled on this broker"),
                )
                .in_session(&session_id));
            }
            if screen_share && !config.screen_share {
                return Err(CommandError::new(
                    ErrorCode::ModeDisabled,
                    "screen sharing is disabled on this broker",
                )
                .in_session(&session_id));
            }
            let session = find(ctx.hub, &session_id)?;
            let expires_at = now_millis() + config.request_timeout_ms;
            let (posted, request_id) = session
                .request_mode(
                    &actor,
                    &id,
                    WantedMode {
                        mode,
                        screen_share,
                        reason,
                    },
                    expires_at,
                    ctx.hub.store(),
                )
                .await
                .map_err(in_session(&session_id))?;
            if !posted.duplicate {
                media::expire_later(
                    Arc::clone(&session),
                    ctx.hub.store_handle(),
                    request_id.clone(),
                    config.request_timeout(),
                );
            }
            ctx.outbox.push_frame(&ServerFrame::Ack(Ack {
                request_id: Some(request_id),
                ..posted_ack(id, session_id, posted)
            }));
            Ok(())
        }
        ClientFrame::AnswerMode {
            id,
            session_id,
            request_id,
            accept,
            reason,
        } => {
            let session = find(ctx.hub, &session_id)?;
            let posted = session
                .answer_mode(&actor, &id, &request_id, accept, reason, ctx.hub.store())
                .await
                .map_err(in_session(&session_id))?;
            if posted.call_started {
                media::start_call(Arc::clone(ctx.config), session).await;
            }
            ack_posted(ctx.outbox, id, session_id, posted);
            Ok(())
        }
        ClientFrame::CancelModeRequest {
            id,
            session_id,
            request_id,
        } => {
            let session = find(ctx.hub, &session_id)?;
            let posted = session
                .cancel_mode_request(&actor, &id, &request_id, ctx.hub.store())
                .await
                .map_err(in_session(&session_id))?;
            ack_posted(ctx.outbox, id, session_id, posted);
            Ok(())
        }
        ClientFrame::SetMode {
            id,
            session_id,
            mode,
            screen_share,
            reason,
        } => {
            let session = find(ctx.hub, &session_id)?;
            let posted = session
                .set_mode(
                    &actor,
                    &id,
                    WantedMode {
                        mode,
                        screen_share,
                        reason,
                    },
                    ctx.hub.store(),
                )
                .await
                .map_err(in_session(&session_id))?;
            ack_posted(ctx.outbox, id, session_id, posted);
            Ok(())
        }
        ClientFrame::Signal {
            id,
            session_id,
            to,
            signal,
        } => {
            let max = ctx.config.media.max_signal_bytes;
            if signal.payload_len() > max {
                return Err(CommandError::new(
                    ErrorCode::MessageTooLarge,
                    format!("signal payload exceeds {max} bytes"),
                )
                .in_session(&session_id));
            }
            let session = find(ctx.hub, &session_id)?;
            session
                .relay_signal(&actor, ctx.outbox, &to, signal)
                .await
                .map_err(in_session(&session_id))?;
            ctx.outbox.push_frame(&ServerFrame::Ack(Ack {
                id,
                session_id: Some(session_id),
                ..Ack::default()
            }));
            Ok(())
        }
        ClientFrame::SetStatus {
            id,
            status,
            skills,
            capacity,
        } => routing::set_status(&ctx, id, status, skills, capacity),
        ClientFrame::AcceptOffer { id, offer_id } => {
            routing::accept_offer(&mut ctx, id, offer_id).await
        }
        ClientFrame::DeclineOffer { id, offer_id } => routing::decline_offer(&ctx, id, offer_id),
        ClientFrame::Transfer {
            id,
            session_id,
            to,
            note,
        } => routing::transfer(&ctx, id, session_id, to, note).await,
        ClientFrame::InviteAgent {
            id,
            session_id,
            agent,
            note,
        } => routing::invite_agent(&ctx, id, session_id, agent, note).await,
        ClientFrame::Monitor { id, session_id } => routing::monitor(&mut ctx, id, session_id).await,
        ClientFrame::Whisper {
            id,
            session_id,
            text,
        } => routing::staff_post(&ctx, id, session_id, EventBody::Whisper { text }).await,
        ClientFrame::Note {
            id,
            session_id,
            text,
        } => routing::staff_post(&ctx, id, session_id, EventBody::Note { text }).await,
        ClientFrame::Overview { id } => routing::overview(&ctx, id).await,
        ClientFrame::Handoff {
            id,
            session_id,
            summary,
            mode,
        } => routing::hand_off(&ctx, id, session_id, summary, mode).await,
        ClientFrame::RequestAgent {
            id,
            session_id,
            mode,
        } => routing::hand_off(&ctx, id, session_id, None, mode).await,
        ClientFrame::PageView {
            id,
            page,
            issue_type,
        } => routing::page_view(&ctx, id, page, issue_type),
        ClientFrame::InviteVisitor {
            id,
            sub,
            mode,
            topic,
            context,
        } => routing::invite_visitor(&ctx, id, sub, mode, topic, context),
        ClientFrame::AnswerInvitation {
            id,
            invitation_id,
            accept,
        } => routing::answer_invitation(&mut ctx, id, invitation_id, accept).await,
        ClientFrame::RefreshToken { id, token } => {
            let fresh = ctx.auth.verify(&token).map_err(|e| match e {
                AuthError::Expired => {
                    CommandError::new(ErrorCode::InvalidToken, "the new token is already expired")
                }
                AuthError::Invalid(why) => CommandError::new(ErrorCode::InvalidToken, why),
            })?;
            if fresh.principal.sub != actor.sub || fresh.principal.role != actor.role {
                return Err(CommandError::new(
                    ErrorCode::InvalidToken,
                    "the new token is for a different principal",
                ));
            }
            let expires_at = fresh.expires_at;
            *ctx.identity = fresh;
            ctx.outbox.push_frame(&ServerFrame::Ack(Ack {
                id,
                expires_at: Some(expires_at),
                ..Ack::default()
            }));
            Ok(())
        }
    }
}

/// Takes a session that is about to end out of routing; if it was still
/// waiting, records that the customer abandoned the queue.
pub(crate) async fn leave_routing(
    hub: &Hub,
    router: &Arc<Router>,
    session: &Session,
    actor: &seam_protocol::Principal,
) -> Result<(), CommandError> {
    if let Some((queue, waited_ms)) = router.session_ended(session.id()) {
        let body = EventBody::QueueAbandoned { queue, waited_ms };
        session.record(actor, body, hub.store()).await?;
    }
    Ok(())
}

/// A session just ended: it is no longer its customer's open session, and
/// the customer is asked for a rating.
pub(crate) async fn ended(hub: &Hub, session: &Session) {
    hub.forget_open(session);
    let request = ServerFrame::RatingRequested {
        session_id: session.id().clone(),
    };
    session.push_to_customer(&request).await;
}

/// A connection that attaches to a session during a call gets ICE servers
/// after the history, so it can (re)start negotiation.
async fn join_call_in_progress(ctx: &CommandContext<'_>, session: &Session, sub: &str) {
    if session.call_generation().await.is_some() {
        media::send_ice_servers(&ctx.config.media, session.id(), sub, ctx.outbox);
    }
}

/// Maps a session's refusal to an error naming the session.
fn in_session(session_id: &str) -> impl FnOnce(SessionError) -> CommandError + '_ {
    move |e| CommandError::from(e).in_session(session_id)
}

fn require_role(role: Role, allowed: &[Role], what: &str) -> Result<(), CommandError> {
    if allowed.contains(&role) {
        Ok(())
    } else {
        Err(CommandError::new(
            ErrorCode::Forbidden,
            format!("role `{role}` may not {what}"),
        ))
    }
}

fn find(hub: &Hub, session_id: &str) -> Result<Arc<Session>, CommandError> {
    hub.session(session_id).ok_or_else(|| {
        CommandError::new(
            ErrorCode::SessionNotFound,
            format!("no session with id `{session_id}`"),
        )
        .in_session(session_id)
    })
}

fn remember(attached: &mut Vec<Arc<Session>>, session: Arc<Session>) {
    if !attached.iter().any(|s| s.id() == session.id()) {
        attached.push(session);
    }
}

fn ack_posted(outbox: &Outbox, id: String, session_id: String, posted: Posted) {
    outbox.push_frame(&ServerFrame::Ack(posted_ack(id, session_id, posted)));
}

fn posted_ack(id: String, session_id: String, posted: Posted) -> Ack {
    Ack {
        id,
        session_id: Some(session_id),
        seq: Some(posted.seq),
        duplicate: posted.duplicate,
        ..Ack::default()
    }
}
