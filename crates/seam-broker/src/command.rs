//! What each client command does, once the connection is authenticated.
//!
//! Commands are checked here against the principal's role; session-level
//! rules (ownership, participation, ended sessions) live in [`Session`].

use std::sync::Arc;

use seam_protocol::{Ack, ClientFrame, ErrorCode, ErrorFrame, Role, ServerFrame};

use crate::auth::{AuthError, Authenticator, Identity};
use crate::config::LimitsConfig;
use crate::hub::Hub;
use crate::outbox::Outbox;
use crate::session::{Posted, Session, SessionError};

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
    pub hub: &'a Hub,
    /// The authenticator, for `refresh_token`.
    pub auth: &'a Authenticator,
    /// Limits.
    pub limits: &'a LimitsConfig,
}

/// Runs one command. On success the command has queued its answer (an ack,
/// or an ack with replay for `open_session` and `join`).
pub async fn execute(ctx: CommandContext<'_>, frame: ClientFrame) -> Result<(), CommandError> {
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
            let (session, _created) = ctx.hub.open_session(&actor, context, &id).await?;
            session
                .attach(&actor, ctx.outbox, &id, None, None, ctx.hub.store())
                .await?;
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
                    &id,
                    after_seq,
                    epoch.as_deref(),
                    ctx.hub.store(),
                )
                .await
                .map_err(|e| CommandError::from(e).in_session(&session_id))?;
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
                .map_err(|e| CommandError::from(e).in_session(&session_id))?;
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
            if chars > ctx.limits.max_text_chars {
                return Err(CommandError::new(
                    ErrorCode::MessageTooLarge,
                    format!(
                        "message has {chars} characters; the limit is {}",
                        ctx.limits.max_text_chars
                    ),
                )
                .in_session(&session_id));
            }
            let session = find(ctx.hub, &session_id)?;
            let posted = session
                .message(&actor, &id, text, ctx.hub.store())
                .await
                .map_err(|e| CommandError::from(e).in_session(&session_id))?;
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
                .map_err(|e| CommandError::from(e).in_session(&session_id))?;
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
            let posted = session
                .end(&actor, &id, reason, ctx.hub.store())
                .await
                .map_err(|e| CommandError::from(e).in_session(&session_id))?;
            ctx.hub.forget_open(&session);
            ack_posted(ctx.outbox, id, session_id, posted);
            Ok(())
        }
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
    outbox.push_frame(&ServerFrame::Ack(Ack {
        id,
        session_id: Some(session_id),
        seq: Some(posted.seq),
        duplicate: posted.duplicate,
        ..Ack::default()
    }));
}
