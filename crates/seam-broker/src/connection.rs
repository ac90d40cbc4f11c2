//! One WebSocket connection, served by one task: handshake, command loop,
//! timers, and the writes (the socket's sending half is written by nothing
//! else).
//!
//! Life of a connection: `hello` within the deadline (else 4001), token
//! checked (4002/4003), `welcome`; then frames are read, size-checked,
//! decoded, rate-limited and executed one at a time. Alongside, the loop
//! pings on an interval and closes silent connections (4005), warns before
//! the token expires and closes when it does (4003), and closes with 1001
//! when the broker shuts down. What is queued for the peer is written when
//! no input is at hand (or every `WRITE_EVERY` frames), and while a command
//! waits (for the store, say), so nothing waits behind the connection's own
//! command. Whoever decides to close sets the outbox's close signal; the
//! task then sends the close frame.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::FuturesUnordered;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use seam_protocol::{
    negotiate_version, ClientFrame, CloseCode, ErrorCode, ErrorFrame, Limits, ServerFrame,
    SessionId, Welcome, SUPPORTED_VERSIONS,
};
use tokio::time::{sleep_until, timeout_at};
use tracing::Instrument;

use crate::auth::{now_secs, AuthError, Identity};
use crate::command::{self, CommandContext};
use crate::hub::PrincipalLimits;
use crate::listener::ConnectionSlot;
use crate::metrics::Metrics;
use crate::outbox::{CloseRequested, Drain, Outbound, Outbox};
use crate::shutdown::ShutdownSignal;
use crate::state::AppState;
use crate::timers::Timer;

/// Frames read in a row, at most, before what is queued for the peer is
/// written.
const WRITE_EVERY: u32 = 32;

/// How long the connection waits to deliver the close frame
/// (a slow consumer's close frame waits behind what it has not read yet).
const CLOSE_WRITE_GRACE: Duration = Duration::from_secs(5);

/// How long the connection then waits for the peer's close frame, so the
/// TCP connection ends cleanly rather than with a reset.
const CLOSE_READ_GRACE: Duration = Duration::from_secs(2);

/// Serves one upgraded WebSocket until it closes.
///
/// Not `async`: the socket is split here, before the connection's future
/// exists. An async fn keeps its arguments in its future for its whole
/// life, moved out or not (368 bytes of `WebSocket`; the identity comes
/// boxed for the same reason), and this future lives as long as the
/// connection.
pub(crate) fn run(
    socket: WebSocket,
    state: Arc<AppState>,
    header_identity: Option<Box<Identity>>,
    slot: Arc<ConnectionSlot>,
) -> impl std::future::Future<Output = ()> + Send {
    let (conn_id, conn_name) = state.hub.connection_opened();
    // Every line logged while serving this connection carries its id (and,
    // once known, who it is): operators follow one connection by `conn`.
    let span = tracing::info_span!(
        "connection",
        conn = %conn_name,
        sub = tracing::field::Empty,
        role = tracing::field::Empty,
    );
    let (sink, stream) = socket.split();
    let connection = Connection {
        state,
        header_identity,
        _slot: slot,
        conn_id,
        conn_name,
    };
    serve(sink, stream, connection).instrument(span)
}

/// What [`serve`] needs besides the socket.
struct Connection {
    state: Arc<AppState>,
    /// A bearer token's identity, checked before the upgrade.
    header_identity: Option<Box<Identity>>,
    /// Counts the connection against the listener's limits while held.
    _slot: Arc<ConnectionSlot>,
    conn_id: u64,
    conn_name: String,
}

/// [`run`], inside the connection's span.
async fn serve(
    sink: SplitSink<WebSocket, Message>,
    mut stream: SplitStream<WebSocket>,
    mut connection: Connection,
) {
    // Used in place, not moved out: an async fn's arguments stay in its
    // future anyway, and copies would take room beside them.
    let state = &connection.state;
    let conn_id = connection.conn_id;
    let (outbox, drain, close_requested) = Outbox::new(
        conn_id,
        &connection.conn_name,
        state.config.limits.outbound_queue,
    );
    let mut writer = Writer {
        sink,
        drain,
        close_requested,
        metrics: Arc::clone(&state.metrics),
    };
    let mut shutdown = state.shutdown.subscribe();

    let mut attached = Vec::new();
    // Pipelined messages (`InFlight`), while there are any.
    let mut in_flight = None;
    // Boxed, so its state is freed once the connection is authenticated.
    match Box::pin(handshake(
        &mut stream,
        state,
        connection.header_identity.take(),
        &mut shutdown,
    ))
    .await
    {
        Handshake::Ok(mut identity, version) => 'welcomed: {
            let configured = &state.config.limits;
            let principal_limits = PrincipalLimits {
                connections: configured.max_connections_per_principal,
                commands_per_second: configured.commands_per_second,
                command_burst: configured.command_burst,
            };
            if let Err(count) =
                state
                    .hub
                    .register(&identity.principal.sub, &outbox, principal_limits)
            {
                outbox.close_with(
                    CloseCode::TooManyConnections,
                    &format!("{count} connections already open for this principal"),
                );
                break 'welcomed;
            }
            let span = tracing::Span::current();
            // Escaped: a `sub` is the token's word, and may hold newlines.
            span.record(
                "sub",
                tracing::field::display(identity.principal.sub.escape_debug()),
            );
            span.record("role", tracing::field::display(&identity.principal.role));
            tracing::debug!("authenticated");
            outbox.push_frame(&ServerFrame::Welcome(Welcome {
                version,
                connection_id: connection.conn_name.clone(),
                principal: identity.principal.clone(),
                expires_at: identity.expires_at,
                heartbeat_interval_ms: state.config.heartbeat.interval_ms,
                limits: limits(state),
            }));
            // Before any command: a status set next must find the agent.
            // Boxed, like every await that happens once: this future stays
            // allocated for the connection's life, sized by its largest.
            Box::pin(state.routing.connected(&identity)).await;
            // Shutdown closes the connections registered in the hub; one
            // registered as it began is closed here.
            if shutdown.is_triggered() {
                close_going_away(&outbox);
            }
            // Boxed, and built in place: a future bound to a local first keeps
            // its full size reserved in this one for the connection's life.
            Box::pin(command_loop(
                &mut stream,
                &mut writer,
                state,
                &mut identity,
                &outbox,
                &mut attached,
                &mut in_flight,
            ))
            .await;
            // The messages still waiting for the store run to their end:
            // their events are durable or about to be, and others in their
            // sessions wait for them to be published.
            if let Some(in_flight) = in_flight.as_mut() {
                Box::pin(in_flight.finish()).await;
            }
            let principal = &identity.principal;
            let unwatched = state.hub.unregister(&principal.sub, conn_id, &attached);
            let idle_ms = state.config.limits.release_idle_after_ms;
            for session_id in unwatched {
                // Nobody here watches it: its memory may go if that lasts.
                let timer = Timer::ReleaseSession {
                    session_id,
                    if_unwatched: true,
                };
                state.timers.after(idle_ms, timer);
            }
            Box::pin(state.routing.disconnected(principal)).await;
        }
        Handshake::Close(code, detail) => {
            tracing::debug!(code = code.code(), ?detail, "handshake refused");
            outbox.close_with(code, &detail);
        }
        Handshake::Gone => {}
    }

    // Boxed: the closing handshake's timers are only needed at the end.
    Box::pin(close(stream, writer, &outbox)).await;
    state.hub.connection_closed();
    tracing::debug!("closed");
}

/// Sends what is still queued and the close frame, then waits briefly for
/// the peer's close so the TCP connection ends cleanly.
async fn close(mut stream: SplitStream<WebSocket>, writer: Writer, outbox: &Outbox) {
    // A normal close if nobody asked for anything else.
    outbox.close(CloseCode::Normal);
    // A peer that does not read gets no more than the grace period.
    let _ = tokio::time::timeout(CLOSE_WRITE_GRACE, writer.finish()).await;
    let _ = tokio::time::timeout(CLOSE_READ_GRACE, async {
        while let Some(Ok(message)) = stream.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// How the handshake ended (small: it is held while the connection lives).
enum Handshake {
    Ok(Arc<Identity>, u32),
    Close(CloseCode, String),
    Gone,
}

async fn handshake(
    stream: &mut SplitStream<WebSocket>,
    state: &AppState,
    header_identity: Option<Box<Identity>>,
    shutdown: &mut ShutdownSignal,
) -> Handshake {
    let deadline = tokio::time::Instant::now() + state.config.auth.hello_timeout();
    loop {
        let frame = tokio::select! {
            frame = timeout_at(deadline, stream.next()) => frame,
            _ = shutdown.recv() => return Handshake::Close(CloseCode::GoingAway, crate::shutdown::GOING_AWAY.into()),
        };
        let text = match frame {
            Err(_) => {
                return Handshake::Close(
                    CloseCode::AuthTimeout,
                    format!("no hello within {} ms", state.config.auth.hello_timeout_ms),
                )
            }
            Ok(Some(Err(e))) if is_too_big(&e) => {
                return Handshake::Close(
                    CloseCode::TooBig,
                    format!(
                        "frame exceeds {} bytes",
                        state.config.limits.max_transport_bytes
                    ),
                )
            }
            Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => {
                return Handshake::Gone
            }
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(Some(Ok(Message::Binary(_)))) => {
                return Handshake::Close(
                    CloseCode::HandshakeFailed,
                    "binary frames are not supported".into(),
                )
            }
            Ok(Some(Ok(Message::Text(text)))) => text,
        };
        if text.len() > state.config.limits.max_frame_bytes {
            return Handshake::Close(CloseCode::HandshakeFailed, "hello frame too large".into());
        }
        let (versions, token) = match ClientFrame::decode(&text) {
            Ok(ClientFrame::Hello { versions, token }) => (versions, token),
            Ok(_) => {
                return Handshake::Close(
                    CloseCode::HandshakeFailed,
                    "the first frame must be hello".into(),
                )
            }
            Err(e) => return Handshake::Close(CloseCode::HandshakeFailed, e.message),
        };
        let Some(version) = negotiate_version(&versions) else {
            return Handshake::Close(
                CloseCode::UnsupportedVersion,
                format!("broker speaks versions {SUPPORTED_VERSIONS:?}"),
            );
        };
        let identity = match (token, header_identity) {
            (Some(token), _) => match state.auth.verify(&token) {
                Ok(identity) => Arc::new(identity),
                Err(AuthError::Expired) => {
                    return Handshake::Close(CloseCode::TokenExpired, String::new())
                }
                Err(AuthError::Invalid(why)) => {
                    return Handshake::Close(CloseCode::AuthFailed, why)
                }
            },
            (None, Some(identity)) => Arc::from(identity),
            (None, None) => return Handshake::Close(CloseCode::AuthFailed, "no token".into()),
        };
        return Handshake::Ok(identity, version);
    }
}

/// Serves frames until the connection is to close. Pipelined messages may
/// still be in flight in `in_flight` when it returns.
#[allow(clippy::too_many_arguments)] // the connection's parts, borrowed
async fn command_loop<'c>(
    stream: &mut SplitStream<WebSocket>,
    writer: &mut Writer,
    state: &'c AppState,
    identity: &mut Arc<Identity>,
    outbox: &'c Outbox,
    attached: &mut Vec<SessionId>,
    in_flight: &mut Option<Box<InFlight<'c>>>,
) {
    let limits = &state.config.limits;
    let heartbeat = &state.config.heartbeat;
    let mut last_seen = Instant::now();
    let mut expiry = Expiry::new(identity.expires_at, state.config.auth.expiry_notice_secs);
    let mut next_ping = tokio::time::Instant::now() + heartbeat.interval();
    // One timer for the heartbeat and both token deadlines (the notice,
    // then the expiry), re-armed only when the next deadline moves.
    let timer = sleep_until(next_ping.min(expiry.next()));
    tokio::pin!(timer);
    // Frames read since the last write: replies are gathered while more
    // input is at hand, and written at least every `WRITE_EVERY` frames.
    let mut unwritten = 0;

    loop {
        // Checked before every wait rather than waited on beside the rest
        // (a close request also wakes `drain.ready()` below): each wait
        // registers and drops a waker, once per frame and per write.
        if writer.drain.closing().is_some() {
            return;
        }
        let deadline = next_ping.min(expiry.next());
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        // Biased: the deadlines first (a peer that never stops sending
        // cannot hold them off), then input before output so that the
        // replies to frames already received go out in one write.
        let wake = tokio::select! {
            biased;
            _ = &mut timer => {
                let now = tokio::time::Instant::now();
                if now >= expiry.next() {
                    if expiry.noticed {
                        outbox.close_with(CloseCode::TokenExpired, "refresh_token was not sent in time");
                        return;
                    }
                    expiry.noticed = true;
                    outbox.push_frame(&ServerFrame::TokenExpiring { expires_at: identity.expires_at });
                }
                if now >= next_ping {
                    if last_seen.elapsed() > heartbeat.timeout() {
                        outbox.close_with(CloseCode::HeartbeatTimeout, "no frame or pong received");
                        return;
                    }
                    outbox.push(Outbound::Ping);
                    next_ping = now + heartbeat.interval();
                }
                continue;
            }
            _ = writer.drain.ready(), if unwritten >= WRITE_EVERY => Wake::Write,
            _ = InFlight::progress(in_flight), if in_flight.is_some() => Wake::Settled,
            message = stream.next(), if InFlight::may_read(in_flight) => Wake::Frame(message),
            _ = writer.drain.ready() => Wake::Write,
        };
        let message = match wake {
            Wake::Settled => {
                if in_flight.as_ref().is_some_and(|f| f.is_empty()) {
                    *in_flight = None;
                }
                continue;
            }
            Wake::Write => {
                if writer.drain.closing().is_some() {
                    return;
                }
                let (written, _) = Box::pin(writer.write(
                    heartbeat.timeout(),
                    outbox,
                    None,
                    in_flight.as_deref_mut(),
                ))
                .await;
                if !written {
                    return;
                }
                unwritten = 0;
                continue;
            }
            Wake::Frame(message) => {
                unwritten += 1;
                message
            }
        };
        last_seen = Instant::now();
        let text = match message {
            None | Some(Ok(Message::Close(_))) => return,
            Some(Err(e)) => {
                if is_too_big(&e) {
                    outbox.close_with(
                        CloseCode::TooBig,
                        &format!("frame exceeds {} bytes", limits.max_transport_bytes),
                    );
                }
                return;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Binary(_))) => {
                reply_error(
                    outbox,
                    None,
                    ErrorCode::InvalidMessage,
                    "binary frames are not supported; send JSON text".into(),
                );
                continue;
            }
            Some(Ok(Message::Text(text))) => text,
        };
        let Some(frame) = admit(&text, state, identity, outbox) else {
            continue;
        };
        if pipelines(&frame) {
            // Started now, run alongside what comes next once its write
            // has its place in the session's order.
            let flight = in_flight.get_or_insert_with(Default::default);
            flight.start(frame, state, identity, outbox);
            continue;
        }
        // Anything else runs alone, after the messages in flight (it may
        // depend on them, and it may change the connection's state). Boxed,
        // with the frame: a command's state (the frame, the command's state
        // machine) exists only while it runs, not in every idle
        // connection's future.
        let command = Box::pin(async {
            if let Some(flight) = in_flight.as_mut() {
                flight.finish().await;
            }
            run_frame(frame, state, identity, outbox, attached).await;
        });
        let open = writer.run(command, heartbeat.timeout(), outbox).await;
        *in_flight = None;
        if !open {
            return;
        }
        unwritten = 0;
        if identity.expires_at != expiry.expires_secs {
            expiry = Expiry::new(identity.expires_at, state.config.auth.expiry_notice_secs);
        }
    }
}

/// Reads and checks one text frame (size, JSON, the principal's command
/// budget): the command to run, or `None` once the error is answered.
fn admit(
    text: &str,
    state: &AppState,
    identity: &Identity,
    outbox: &Outbox,
) -> Option<ClientFrame> {
    let limits = &state.config.limits;
    if text.len() > limits.max_frame_bytes {
        let message = format!(
            "frame of {} bytes exceeds the limit of {} bytes",
            text.len(),
            limits.max_frame_bytes
        );
        reply_error(outbox, readable_id(text), ErrorCode::FrameTooLarge, message);
        return None;
    }
    let frame = match ClientFrame::decode(text) {
        Ok(frame) => frame,
        Err(e) => {
            reply_error(outbox, e.id, e.code, e.message);
            return None;
        }
    };
    let received = Instant::now();
    let command = frame.type_name();
    if let Err(wait) = state.hub.take_command(&identity.principal.sub, received) {
        state
            .metrics
            .command(command, ErrorCode::RateLimited.as_str(), received.elapsed());
        outbox.push_frame(&ServerFrame::Error(ErrorFrame {
            id: frame.id().map(str::to_owned),
            retry_after_ms: Some(wait.as_millis().max(1) as u64),
            ..ErrorFrame::new(
                ErrorCode::RateLimited,
                "too many commands; slow down and resend",
            )
        }));
        return None;
    }
    Some(frame)
}

/// Runs one admitted command, answering errors on the outbox.
async fn run_frame(
    frame: ClientFrame,
    state: &AppState,
    identity: &mut Arc<Identity>,
    outbox: &Outbox,
    attached: &mut Vec<SessionId>,
) {
    let started = Started::of(&frame);
    let ctx = CommandContext {
        identity,
        outbox,
        attached,
        state,
        ordered: None,
    };
    started.answered(state, outbox, command::execute(ctx, frame).await);
}

/// A command being run, for its metrics and its error answer.
struct Started {
    received: Instant,
    command: &'static str,
    id: Option<String>,
}

impl Started {
    fn of(frame: &ClientFrame) -> Started {
        Started {
            received: Instant::now(),
            command: frame.type_name(),
            id: frame.id().map(str::to_owned),
        }
    }

    /// Counts the command and answers its error, if any.
    fn answered(
        self,
        state: &AppState,
        outbox: &Outbox,
        result: Result<(), command::CommandError>,
    ) {
        let Started {
            received,
            command,
            id,
        } = self;
        match result {
            Ok(()) => state.metrics.command(command, "ok", received.elapsed()),
            Err(e) => {
                state
                    .metrics
                    .command(command, e.code.as_str(), received.elapsed());
                outbox.push_frame(&e.into_frame(id));
            }
        }
    }
}

/// Closes for the broker's shutdown (1001): the client reconnects to
/// another node and resumes.
fn close_going_away(outbox: &Outbox) {
    outbox.close_with(CloseCode::GoingAway, crate::shutdown::GOING_AWAY);
}

/// The `id` of a frame too large to execute, if it can be read, so the
/// client can tell which command failed.
fn readable_id(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<String>,
    }
    serde_json::from_str::<IdOnly>(text).ok()?.id
}

fn reply_error(outbox: &Outbox, id: Option<String>, code: ErrorCode, message: String) {
    outbox.push_frame(&ServerFrame::Error(ErrorFrame {
        id,
        ..ErrorFrame::new(code, message)
    }));
}

fn limits(state: &AppState) -> Limits {
    let l = &state.config.limits;
    Limits {
        max_frame_bytes: l.max_frame_bytes,
        max_text_chars: l.max_text_chars,
        commands_per_second: l.commands_per_second,
        command_burst: l.command_burst,
        edit_window_secs: state.config.messages.edit_window_secs,
    }
}

fn is_too_big(e: &axum::Error) -> bool {
    use std::error::Error as _;
    let mut source = e.source();
    while let Some(err) = source {
        if let Some(ws) = err.downcast_ref::<tokio_tungstenite::tungstenite::Error>() {
            return matches!(ws, tokio_tungstenite::tungstenite::Error::Capacity(_));
        }
        source = err.source();
    }
    false
}

/// When the connection's token expires, and when to warn about it.
struct Expiry {
    expires_secs: u64,
    expires_at: tokio::time::Instant,
    notice_at: tokio::time::Instant,
    noticed: bool,
}

impl Expiry {
    fn new(expires_secs: u64, notice_secs: u64) -> Expiry {
        let now = tokio::time::Instant::now();
        let remaining = Duration::from_secs(expires_secs.saturating_sub(now_secs()));
        let expires_at = now + remaining;
        Expiry {
            expires_secs,
            expires_at,
            notice_at: expires_at - Duration::from_secs(notice_secs).min(remaining),
            noticed: false,
        }
    }

    /// The next deadline: the notice until it is sent, then the expiry.
    fn next(&self) -> tokio::time::Instant {
        if self.noticed {
            self.expires_at
        } else {
            self.notice_at
        }
    }
}

/// What woke the command loop.
enum Wake {
    /// Frames are queued for the peer.
    Write,
    /// A pipelined message ended, or the newest got its place in order.
    Settled,
    /// The peer sent something (or closed).
    Frame(Option<Result<Message, axum::Error>>),
}

/// The socket's sending half, the queue in front of it and its close
/// signal, written by the connection's one task between commands (no
/// writer task: an idle connection holds one task, not two).
struct Writer {
    sink: SplitSink<WebSocket, Message>,
    drain: Drain,
    close_requested: CloseRequested,
    metrics: Arc<Metrics>,
}

/// Writes everything queued, then one flush.
async fn write_queued(
    sink: &mut SplitSink<WebSocket, Message>,
    drain: &Drain,
) -> Result<(), axum::Error> {
    for item in drain.take() {
        write(sink, item).await?;
    }
    sink.flush().await
}

/// Most messages one connection has waiting for the store at once; past
/// it, the next frame waits until one ends.
const MAX_IN_FLIGHT: usize = 64;

/// The connection's pipelined `message` commands. Each is started when the
/// one before it has its place in its session's order (its write queued
/// in the store), so they are stored and answered in the order they were
/// sent, while the connection reads on instead of waiting for each commit.
#[derive(Default)]
struct InFlight<'c> {
    /// Polled only when woken (many wait at once; most are not ready).
    commands: FuturesUnordered<Pin<Box<dyn Future<Output = ()> + Send + 'c>>>,
    /// Messages started so far: the newest one's number.
    started: u64,
    /// The newest number whose place in order is fixed (or which ended).
    ordered: Arc<AtomicU64>,
    /// `ordered` as of the last poll.
    seen: u64,
}

impl<'c> InFlight<'c> {
    /// Starts a `message` command (polled from the next progress on).
    fn start(
        &mut self,
        frame: ClientFrame,
        state: &'c AppState,
        identity: &Arc<Identity>,
        outbox: &'c Outbox,
    ) {
        self.started += 1;
        let number = self.started;
        let ordered = Arc::clone(&self.ordered);
        let mut identity = Arc::clone(identity);
        self.commands.push(Box::pin(async move {
            let mark = move || {
                ordered.fetch_max(number, Ordering::AcqRel);
            };
            // A message attaches to nothing.
            let mut attached = Vec::new();
            let started = Started::of(&frame);
            let ctx = CommandContext {
                identity: &mut identity,
                outbox,
                attached: &mut attached,
                state,
                ordered: Some(&mark),
            };
            started.answered(state, outbox, command::message(ctx, frame).await);
            mark();
        }));
    }

    /// Whether the connection may read its next frame: no message is
    /// waiting for its place in order, and there is room for another.
    fn may_read(in_flight: &Option<Box<InFlight<'_>>>) -> bool {
        in_flight.as_ref().is_none_or(|f| {
            f.commands.len() < MAX_IN_FLIGHT && f.ordered.load(Ordering::Acquire) >= f.started
        })
    }

    fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// Polls every message in flight: ready when one ended or the newest
    /// got its place in order (either may let the connection read).
    fn poll_progress(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut ended = false;
        while let Poll::Ready(Some(())) = self.commands.poll_next_unpin(cx) {
            ended = true;
        }
        let ordered = self.ordered.load(Ordering::Acquire);
        let newly_ordered = ordered > self.seen;
        self.seen = ordered;
        if ended || newly_ordered {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// [`InFlight::poll_progress`] of the connection's messages, if any.
    fn progress<'a>(
        in_flight: &'a mut Option<Box<InFlight<'c>>>,
    ) -> impl Future<Output = ()> + use<'a, 'c> {
        std::future::poll_fn(move |cx| match in_flight.as_mut() {
            Some(flight) => flight.poll_progress(cx),
            None => Poll::Pending,
        })
    }

    /// Runs every message in flight to its end.
    async fn finish(&mut self) {
        std::future::poll_fn(|cx| {
            let _ = self.poll_progress(cx);
            if self.commands.is_empty() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

/// Whether a command is pipelined (see [`InFlight`]): plain messages, the
/// bulk of the traffic, which change nothing on the connection.
fn pipelines(frame: &ClientFrame) -> bool {
    matches!(frame, ClientFrame::Message { .. })
}

/// A command being run, polled while its connection writes.
type Running<'a> = std::pin::Pin<&'a mut (dyn std::future::Future<Output = ()> + Send)>;

impl Writer {
    /// Runs one command, writing meanwhile what gets queued while it waits
    /// (frames for this connection never wait behind its own command's
    /// store write). False: the connection is to close (a write failed or
    /// was given up, or closing was asked); the command still ran to its
    /// end.
    async fn run(
        &mut self,
        command: impl std::future::Future<Output = ()> + Send,
        timeout: Duration,
        outbox: &Outbox,
    ) -> bool {
        let mut command = std::pin::pin!(command);
        loop {
            let done = tokio::select! {
                biased;
                _ = command.as_mut() => true,
                _ = self.drain.ready(), if self.drain.closing().is_none() => false,
            };
            if done {
                break;
            }
            let (written, done) =
                Box::pin(self.write(timeout, outbox, Some(command.as_mut()), None)).await;
            if !written {
                return false;
            }
            if done {
                break;
            }
        }
        // What the command queued goes out with the replies to the frames
        // that follow (the command loop gathers them into one write).
        self.drain.closing().is_none()
    }

    /// Writes everything queued, polling `command` (if any) meanwhile: it
    /// must go on. A peer that stops reading blocks the write: a close
    /// request (a slow consumer) or `timeout` ends it, and `command` is
    /// then awaited to its end. Returns whether everything was written and
    /// whether `command` ended. Callers box it: it exists only while
    /// writing.
    async fn write(
        &mut self,
        timeout: Duration,
        outbox: &Outbox,
        mut command: Option<Running<'_>>,
        mut in_flight: Option<&mut InFlight<'_>>,
    ) -> (bool, bool) {
        let mut done = command.is_none();
        let written = {
            let write = write_queued(&mut self.sink, &self.drain);
            let deadline = tokio::time::sleep(timeout);
            tokio::pin!(write, deadline);
            loop {
                tokio::select! {
                    biased;
                    written = &mut write => break written.is_ok(),
                    _ = self.close_requested.wait() => break false,
                    _ = &mut deadline => {
                        outbox.close_with(CloseCode::HeartbeatTimeout, "frames were not read in time");
                        break false;
                    }
                    _ = async {
                        if let Some(command) = command.as_mut() {
                            command.await;
                        }
                    }, if !done => done = true,
                    // Pipelined messages go on too: others in their
                    // sessions wait for them to be published.
                    _ = std::future::poll_fn(|cx| match in_flight.as_deref_mut() {
                        Some(flight) => flight.poll_progress(cx),
                        None => Poll::Pending,
                    }) => {}
                }
            }
        };
        if !done {
            if let Some(command) = command {
                command.await;
            }
            done = true;
        }
        (written, done)
    }

    /// Sends what is still queued (unless the peer reads too slowly) and
    /// the close frame the connection was closed with.
    async fn finish(mut self) {
        let Some(closing) = self.drain.closing().cloned() else {
            return;
        };
        if closing.code == CloseCode::SlowConsumer {
            self.metrics.slow_consumer();
        } else if write_queued(&mut self.sink, &self.drain).await.is_err() {
            return;
        }
        let frame = CloseFrame {
            code: closing.code.code(),
            reason: Utf8Bytes::from(closing.reason),
        };
        let _ = self.sink.send(Message::Close(Some(frame))).await;
        let _ = self.sink.close().await;
    }
}

async fn write(
    sink: &mut SplitSink<WebSocket, Message>,
    item: Outbound,
) -> Result<(), axum::Error> {
    match item {
        Outbound::Frame(frame) => sink.feed(Message::Text(frame.into_text())).await,
        Outbound::Batch(frames) => {
            for frame in frames {
                sink.feed(Message::Text(frame.into_text())).await?;
            }
            Ok(())
        }
        Outbound::Ping => sink.feed(Message::Ping(Default::default())).await,
    }
}
