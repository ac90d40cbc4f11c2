//! What each client command does, once the connection is authenticated.
//!
//! One file per area: `lifecycle` (open, join, leave, end), `chat`
//! (messages, typing, ratings), `mode` (upgrades, downgrades and the
//! recommended mode),
//! `signaling`, `staff` (monitor, whispers, notes, overview), `offers`
//! (status, offers, transfers, hand-offs, invitations), `offline`
//! (availability, messages left when nobody can answer) and `auth` (token
//! refresh). Each checks the principal's role, then lets the session rules
//! decide through the engine ([`post`]), and answers with an ack or an
//! error frame.

use std::sync::Arc;

use seam_protocol::{
    Ack, ClientFrame, ErrorCode, ErrorFrame, EventBody, Principal, ResumeOutcome, Role,
    ServerFrame, SessionId,
};

use crate::auth::Identity;
use crate::engine::{Append, Committed};
use crate::frame::Frame;
use crate::lifecycle::LifecycleError;
use crate::outbox::Outbox;
use crate::routing::RoutingError;
use crate::session::{SessionError, SessionView};
use crate::state::AppState;
use crate::store::StoreError;

mod auth;
mod chat;
mod lifecycle;
mod mode;
mod offers;
mod offline;
mod signaling;
mod staff;

/// How long a client is told to wait before resending a command the store
/// could not take.
const STORE_RETRY_AFTER_MS: u64 = 1_000;

/// A command that failed, to be answered with an `error` frame.
#[derive(Debug)]
pub(crate) struct CommandError {
    /// The stable code.
    pub code: ErrorCode,
    /// For a human.
    pub message: String,
    /// The session concerned.
    pub session_id: Option<String>,
    /// When to try again, for a retryable failure.
    pub retry_after_ms: Option<u64>,
}

impl CommandError {
    fn new(code: ErrorCode, message: impl Into<String>) -> CommandError {
        CommandError {
            code,
            message: message.into(),
            session_id: None,
            retry_after_ms: None,
        }
    }

    fn in_session(mut self, session_id: &str) -> CommandError {
        if matches!(self.code, ErrorCode::SessionNotFound) {
            self.message = format!("no session with id `{session_id}`");
        }
        self.session_id = Some(session_id.to_owned());
        self
    }

    /// The error frame answering command `id`.
    pub(crate) fn into_frame(self, id: Option<String>) -> ServerFrame {
        ServerFrame::Error(ErrorFrame {
            id,
            code: self.code,
            message: self.message,
            session_id: self.session_id,
            retry_after_ms: self.retry_after_ms,
        })
    }
}

impl From<SessionError> for CommandError {
    fn from(e: SessionError) -> CommandError {
        let code = match &e {
            SessionError::NotFound => ErrorCode::SessionNotFound,
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
            SessionError::Forbidden(_) => ErrorCode::Forbidden,
            SessionError::AlreadyRated => ErrorCode::AlreadyRated,
            SessionError::InvalidTarget(_) => ErrorCode::InvalidMessage,
            SessionError::Store(StoreError::Unavailable(_)) => {
                let mut error = CommandError::new(ErrorCode::Unavailable, e.to_string());
                error.retry_after_ms = Some(STORE_RETRY_AFTER_MS);
                return error;
            }
            // Logged (throttled) by the store's monitor.
            SessionError::Store(_) => ErrorCode::Internal,
        };
        CommandError::new(code, e.to_string())
    }
}

impl From<RoutingError> for CommandError {
    fn from(e: RoutingError) -> CommandError {
        let code = match &e {
            RoutingError::Disabled | RoutingError::QueueNotFound(_) => ErrorCode::QueueNotFound,
            RoutingError::OfferNotFound => ErrorCode::OfferNotFound,
            RoutingError::AgentNotFound(_) => ErrorCode::AgentNotFound,
            RoutingError::InvitationNotFound => ErrorCode::InvitationNotFound,
            RoutingError::VisitorNotFound(_) => ErrorCode::VisitorNotFound,
            RoutingError::Unavailable(_) => {
                let mut error = CommandError::new(ErrorCode::Unavailable, e.to_string());
                error.retry_after_ms = Some(STORE_RETRY_AFTER_MS);
                return error;
            }
        };
        CommandError::new(code, e.to_string())
    }
}

impl From<LifecycleError> for CommandError {
    fn from(e: LifecycleError) -> CommandError {
        match e {
            LifecycleError::Session(e) => e.into(),
            LifecycleError::Routing(e) => e.into(),
            LifecycleError::Store(e) => SessionError::Store(e).into(),
        }
    }
}

/// What a command needs from its connection.
pub(crate) struct CommandContext<'a> {
    /// The authenticated principal (replaced by `refresh_token`).
    pub identity: &'a mut Arc<Identity>,
    /// The connection's outbox.
    pub outbox: &'a Outbox,
    /// Sessions this connection is attached to (to detach on close).
    pub attached: &'a mut Vec<SessionId>,
    /// The broker.
    pub state: &'a AppState,
    /// Called once the command's append has its place in the session's
    /// order (a `message` the connection pipelines: it reads its next
    /// frame then, while this one waits for the store).
    pub ordered: Option<&'a (dyn Fn() + Sync)>,
}

impl CommandContext<'_> {
    fn actor(&self) -> Principal {
        self.identity.principal.clone()
    }

    fn ack(&self, ack: Ack) {
        self.outbox.push_frame(&ServerFrame::Ack(ack));
    }

    /// Acknowledges a command that committed (or repeated) an event.
    fn ack_committed(&self, id: String, session_id: String, committed: &Committed) {
        self.ack(committed_ack(id, session_id, committed));
    }
}

/// Runs a `message` command, the one a connection pipelines: what
/// [`execute`] does for it, in a future that holds only its state (a
/// few hundred bytes, allocated per message in flight) rather than that of
/// the largest command. Any other frame goes to [`execute`].
pub(crate) async fn message(
    ctx: CommandContext<'_>,
    frame: ClientFrame,
) -> Result<(), CommandError> {
    check_text_limit(&frame, ctx.state.config.limits.max_text_chars)?;
    checked_message(ctx, frame).await
}

/// [`message`] once the frame's texts are checked.
async fn checked_message(ctx: CommandContext<'_>, frame: ClientFrame) -> Result<(), CommandError> {
    let ClientFrame::Message {
        id,
        session_id,
        text,
        quick_replies,
        card,
        choice,
    } = frame
    else {
        return Box::pin(execute(ctx, frame)).await;
    };
    let extras = crate::session::rules::MessageExtras {
        quick_replies,
        card,
        choice,
    };
    chat::message(&ctx, id, session_id, text, extras).await
}

/// Runs one command. On success the command has queued its answer (an ack,
/// or an ack with replay for `open_session` and `join`).
pub(crate) async fn execute(
    mut ctx: CommandContext<'_>,
    frame: ClientFrame,
) -> Result<(), CommandError> {
    check_text_limit(&frame, ctx.state.config.limits.max_text_chars)?;
    match frame {
        ClientFrame::Hello { .. } => Err(CommandError::new(
            ErrorCode::AlreadyAuthenticated,
            "this connection is already authenticated",
        )),
        ClientFrame::OpenSession {
            id,
            context,
            existing_only,
        } => lifecycle::open_session(&mut ctx, id, context, existing_only).await,
        ClientFrame::Join {
            id,
            session_id,
            after_seq,
            epoch,
        } => lifecycle::join(&mut ctx, id, session_id, after_seq, epoch).await,
        ClientFrame::Leave { id, session_id } => lifecycle::leave(&ctx, id, session_id).await,
        ClientFrame::EndSession {
            id,
            session_id,
            reason,
        } => lifecycle::end(&ctx, id, session_id, reason).await,
        frame @ ClientFrame::Message { .. } => checked_message(ctx, frame).await,
        ClientFrame::Typing {
            id,
            session_id,
            active,
        } => chat::typing(&ctx, id, session_id, active).await,
        ClientFrame::Receipt {
            id,
            session_id,
            delivered_seq,
            read_seq,
        } => chat::receipt(&ctx, id, session_id, delivered_seq, read_seq).await,
        ClientFrame::EditMessage {
            id,
            session_id,
            seq,
            text,
        } => chat::revise(&ctx, id, session_id, seq, Some(text)).await,
        ClientFrame::DeleteMessage {
            id,
            session_id,
            seq,
        } => chat::revise(&ctx, id, session_id, seq, None).await,
        ClientFrame::RateSession {
            id,
            session_id,
            score,
            comment,
        } => chat::rate(&ctx, id, session_id, score, comment).await,
        ClientFrame::RequestMode {
            id,
            session_id,
            mode,
            screen_share,
            reason,
        } => mode::request(&ctx, id, session_id, mode, screen_share, reason).await,
        ClientFrame::AnswerMode {
            id,
            session_id,
            request_id,
            accept,
            reason,
        } => mode::answer(&ctx, id, session_id, request_id, accept, reason).await,
        ClientFrame::CancelModeRequest {
            id,
            session_id,
            request_id,
        } => mode::cancel(&ctx, id, session_id, request_id).await,
        ClientFrame::SetMode {
            id,
            session_id,
            mode,
            screen_share,
            reason,
        } => mode::set(&ctx, id, session_id, mode, screen_share, reason).await,
        ClientFrame::Signal {
            id,
            session_id,
            to,
            signal,
        } => signaling::signal(&ctx, id, session_id, to, signal).await,
        ClientFrame::SetStatus {
            id,
            status,
            skills,
            capacity,
        } => offers::set_status(&ctx, id, status, skills, capacity).await,
        ClientFrame::AcceptOffer { id, offer_id } => offers::accept(&mut ctx, id, offer_id).await,
        ClientFrame::DeclineOffer { id, offer_id } => offers::decline(&ctx, id, offer_id).await,
        ClientFrame::Transfer {
            id,
            session_id,
            to,
            note,
        } => offers::transfer(&ctx, id, session_id, to, note).await,
        ClientFrame::InviteAgent {
            id,
            session_id,
            agent,
            note,
        } => offers::invite_agent(&ctx, id, session_id, agent, note).await,
        ClientFrame::Handoff {
            id,
            session_id,
            summary,
            mode,
        } => offers::hand_off(&ctx, id, session_id, summary, mode).await,
        ClientFrame::RecommendMode { id, session_id } => {
            mode::recommend(&ctx, id, session_id).await
        }
        ClientFrame::RequestAgent {
            id,
            session_id,
            mode,
        } => offers::hand_off(&ctx, id, session_id, None, mode).await,
        ClientFrame::PageView {
            id,
            page,
            issue_type,
        } => offers::page_view(&ctx, id, page, issue_type),
        ClientFrame::InviteVisitor {
            id,
            sub,
            mode,
            topic,
            context,
        } => offers::invite_visitor(&ctx, id, sub, mode, topic, context),
        ClientFrame::AnswerInvitation {
            id,
            invitation_id,
            accept,
        } => offers::answer_invitation(&mut ctx, id, invitation_id, accept).await,
        ClientFrame::Monitor { id, session_id } => staff::monitor(&mut ctx, id, session_id).await,
        ClientFrame::Whisper {
            id,
            session_id,
            text,
        } => staff::post(&ctx, id, session_id, EventBody::Whisper { text }).await,
        ClientFrame::Note {
            id,
            session_id,
            text,
        } => staff::post(&ctx, id, session_id, EventBody::Note { text }).await,
        ClientFrame::Overview { id } => staff::overview(&ctx, id).await,
        ClientFrame::SubscribeStats { id } => staff::subscribe_stats(&ctx, id).await,
        ClientFrame::MySessions { id } => staff::my_sessions(&ctx, id).await,
        ClientFrame::CannedResponses { id } => staff::canned_responses(&ctx, id).await,
        ClientFrame::Availability { id, issue_type } => {
            offline::availability(&ctx, id, issue_type).await
        }
        ClientFrame::LeaveMessage {
            id,
            text,
            email,
            context,
        } => offline::leave_message(&ctx, id, text, email, context).await,
        ClientFrame::OfflineMessages { id } => offline::offline_messages(&ctx, id).await,
        ClientFrame::RefreshToken { id, token } => auth::refresh_token(&mut ctx, id, token),
    }
}

/// The free texts of a command, with their field names.
fn free_texts(frame: &ClientFrame) -> Vec<(&'static str, &str)> {
    fn opt<'a>(field: &'static str, text: &'a Option<String>) -> Option<(&'static str, &'a str)> {
        text.as_deref().map(|t| (field, t))
    }
    match frame {
        ClientFrame::EndSession { reason, .. }
        | ClientFrame::RequestMode { reason, .. }
        | ClientFrame::AnswerMode { reason, .. }
        | ClientFrame::SetMode { reason, .. } => opt("reason", reason).into_iter().collect(),
        ClientFrame::Transfer { note, .. } | ClientFrame::InviteAgent { note, .. } => {
            opt("note", note).into_iter().collect()
        }
        ClientFrame::Message { text, .. }
        | ClientFrame::EditMessage { text, .. }
        | ClientFrame::LeaveMessage { text, .. }
        | ClientFrame::Whisper { text, .. }
        | ClientFrame::Note { text, .. } => vec![("text", text)],
        ClientFrame::Handoff { summary, .. } => opt("summary", summary).into_iter().collect(),
        ClientFrame::InviteVisitor { topic, .. } => vec![("topic", topic)],
        ClientFrame::RateSession { comment, .. } => opt("comment", comment).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// Every free text of a command is held to `limits.max_text_chars`.
fn check_text_limit(frame: &ClientFrame, limit: usize) -> Result<(), CommandError> {
    for (field, text) in free_texts(frame) {
        let chars = text.chars().count();
        if chars > limit {
            let error = CommandError::new(
                ErrorCode::MessageTooLarge,
                format!("`{field}` has {chars} characters; the limit is {limit}"),
            );
            return Err(match frame.session_id() {
                Some(session_id) => error.in_session(session_id),
                None => error,
            });
        }
    }
    Ok(())
}

/// The shared path of commands that store events: find the session, let
/// `decide` (a session rule) produce the events in the session's order,
/// and answer with the committed seq.
async fn post<F>(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
    decide: F,
) -> Result<Committed, CommandError>
where
    F: FnMut(&SessionView, &Principal) -> Result<Vec<EventBody>, SessionError> + Send,
{
    let committed = append(ctx, &id, &session_id, decide).await?;
    ctx.ack_committed(id, session_id, &committed);
    Ok(committed)
}

/// [`post`] without the answer (for commands whose ack says more).
async fn append<F>(
    ctx: &CommandContext<'_>,
    command_id: &str,
    session_id: &str,
    mut decide: F,
) -> Result<Committed, CommandError>
where
    F: FnMut(&SessionView, &Principal) -> Result<Vec<EventBody>, SessionError> + Send,
{
    let actor = &ctx.identity.principal;
    let append = Append {
        actor,
        command_id: Some(command_id),
        decide: Box::new(move |view| decide(view, actor)),
    };
    let engine = &ctx.state.engine;
    match ctx.ordered {
        Some(ordered) => engine.append_ordered(session_id, append, ordered).await,
        None => engine.append(session_id, append).await,
    }
    .map_err(in_session(session_id))
}

/// The session as it stands, or `session_not_found`.
async fn view(ctx: &CommandContext<'_>, session_id: &str) -> Result<SessionView, CommandError> {
    ctx.state
        .engine
        .view(session_id)
        .await
        .map_err(in_session(session_id))?
        .ok_or_else(|| CommandError::from(SessionError::NotFound).in_session(session_id))
}

/// How a connection attaches to a session.
#[derive(Debug, Clone, Copy)]
struct Attach<'a> {
    /// The command to acknowledge.
    ack_id: &'a str,
    /// Replay events after this seq (all when `None`).
    after_seq: Option<u64>,
    /// The epoch `after_seq` belongs to.
    epoch: Option<&'a str>,
    /// Monitor without becoming a participant (supervisors).
    silent: bool,
    /// The actor accepted an offer for the session.
    offered: bool,
}

impl<'a> Attach<'a> {
    fn join(ack_id: &'a str) -> Attach<'a> {
        Attach {
            ack_id,
            after_seq: None,
            epoch: None,
            silent: false,
            offered: false,
        }
    }
}

/// Attaches the connection to a session: joins the actor as a participant
/// if needed (and allowed), then queues the ack followed by every event
/// after `after_seq`, in one piece, before any later live event; during a
/// call, ICE servers follow.
async fn attach(
    ctx: &mut CommandContext<'_>,
    session_id: &str,
    how: Attach<'_>,
) -> Result<SessionView, CommandError> {
    let actor = ctx.actor();
    let state = ctx.state;
    let joining = crate::session::rules::Joining {
        silent: how.silent,
        offered: how.offered,
        routing: state.routing.router().enabled(),
    };
    let barging = actor.role == Role::Supervisor && !how.silent;
    if barging && state.routing.is_waiting(session_id).await? {
        // Joining would leave it queued, offered to someone else, and
        // counted as abandoned when it ends.
        return Err(CommandError::new(
            ErrorCode::Forbidden,
            "this session is waiting for an agent: monitor it, or let routing assign it",
        )
        .in_session(session_id));
    }
    state
        .engine
        .append(
            session_id,
            Append {
                actor: &actor,
                command_id: None,
                decide: Box::new(|view| crate::session::rules::join(view, &actor, joining)),
            },
        )
        .await
        .map_err(in_session(session_id))?;
    let staff = actor.role != Role::Customer;
    state
        .hub
        .subscribe(session_id, &actor.sub, staff, ctx.outbox);
    let mut after = how.after_seq.unwrap_or(0);
    let mut replay = state.engine.replay(session_id, after).await;
    // An `after_seq` of another epoch means nothing here: replay from the start.
    let reset = match &replay {
        Ok(r) => how.epoch.is_some_and(|e| e != r.view.epoch),
        Err(_) => false,
    };
    if reset && after > 0 {
        after = 0;
        replay = state.engine.replay(session_id, after).await;
    }
    let mut replay = match replay {
        Ok(replay) => replay,
        Err(e) => {
            state.hub.unsubscribe(session_id, ctx.outbox.conn_id());
            return Err(CommandError::from(e).in_session(session_id));
        }
    };
    // Whispers and notes are for staff only, in the replay as live.
    replay.events.retain(|e| staff || !e.staff_only);
    // Revised messages show as revised: always to customers, and to staff
    // unless the broker keeps originals for them.
    if !(staff && state.config.messages.keep_originals_for_staff) {
        redact_replay(&replay.view, &mut replay.events);
    }
    let replayed = replay.events.len() as u64;
    let resume = if reset {
        ResumeOutcome::Reset { replayed }
    } else if after + 1 < replay.first_available {
        ResumeOutcome::Truncated {
            first_available_seq: replay.first_available,
            replayed,
        }
    } else {
        ResumeOutcome::Complete { replayed }
    };
    if how.after_seq.is_some() {
        // A resume: the client says where it was.
        state.metrics.resumed(match resume {
            ResumeOutcome::Complete { .. } => "complete",
            ResumeOutcome::Truncated { .. } => "truncated",
            ResumeOutcome::Reset { .. } => "reset",
        });
    }
    let mut snapshot = replay.view.snapshot();
    snapshot.receipts = state.store.receipts(session_id).await.unwrap_or_else(|e| {
        // Ticks are worth less than the attach: it goes on without them.
        tracing::warn!(error = %e, "cannot read the session's receipts");
        Vec::new()
    });
    let ack = ServerFrame::Ack(Ack {
        id: how.ack_id.to_owned(),
        session_id: Some(session_id.to_owned()),
        session: Some(Box::new(snapshot)),
        resume: Some(resume),
        ..Ack::default()
    });
    state.hub.activate(
        session_id,
        ctx.outbox,
        Frame::encode(&ack),
        replay.events,
        replay.view.last_seq,
    );
    if !ctx.attached.iter().any(|s| s == session_id) {
        ctx.attached.push(session_id.to_owned());
    }
    if replay.view.call_in_progress().is_some() {
        state
            .media
            .send_ice_servers(session_id, &actor.sub, ctx.outbox);
    }
    Ok(replay.view)
}

/// Rewrites the replayed messages their authors revised since (few: the
/// others keep their shared frame).
fn redact_replay(view: &SessionView, events: &mut [crate::engine::Logged]) {
    if view.revised.is_empty() {
        return;
    }
    for logged in events
        .iter_mut()
        .filter(|l| view.revised.contains_key(&l.seq))
    {
        let Ok(ServerFrame::Event(mut event)) = serde_json::from_str(logged.frame.as_str()) else {
            continue;
        };
        if view.redact(&mut event) {
            *logged = crate::engine::Logged::of(&event);
        }
    }
}

/// Maps a session's refusal to an error naming the session.
fn in_session<E: Into<CommandError>>(session_id: &str) -> impl FnOnce(E) -> CommandError + '_ {
    move |e| e.into().in_session(session_id)
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

fn committed_ack(id: String, session_id: String, committed: &Committed) -> Ack {
    Ack {
        id,
        session_id: Some(session_id),
        seq: Some(committed.seq),
        duplicate: committed.duplicate,
        ..Ack::default()
    }
}
