//! The background task that owns the WebSocket: connect, resume, resend,
//! deduplicate, reconnect.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use seam_protocol::{
    Ack, AgentStatus, ClientFrame, CloseCode, ErrorCode, ErrorFrame, ResumeOutcome, ServerFrame,
    SessionId, Welcome, SUPPORTED_VERSIONS,
};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::config::{ClientConfig, TokenSource};
use crate::error::ClientError;
use crate::event::Event;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Reply = oneshot::Sender<Result<Ack, ClientError>>;

/// How long the handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes read from the socket at a time. tungstenite zeroes this much of
/// its read buffer before every read, so its 128 KiB default costs a
/// 128 KiB memset per frame received; a frame larger than this is simply
/// read in several calls.
const READ_BUFFER_BYTES: usize = 16 * 1024;

/// A request from a [`crate::Client`] handle.
pub(crate) enum Request {
    Command { frame: ClientFrame, reply: Reply },
    Close,
}

/// Work the driver schedules for itself.
enum Internal {
    /// Resend a rate-limited command.
    Resend(String),
    /// A fresh token arrived for an in-band refresh.
    Refresh(String),
}

/// A command sent but not yet acknowledged.
struct Pending {
    id: String,
    text: String,
    kind: PendingKind,
}

enum PendingKind {
    User(Reply),
    /// An automatic re-attach after a reconnect.
    Resume(SessionId),
    /// An automatic token refresh.
    Refresh,
    /// The routing status said again after a reconnect.
    Restate,
}

/// What the client knows of a session it is attached to.
struct Tracked {
    epoch: String,
    last_seq: u64,
}

enum Failure {
    Fatal(ClientError),
    Retry(Option<u16>, String),
}

enum Ended {
    ByUser,
    Lost(Option<u16>, String),
}

pub(crate) struct Driver {
    config: ClientConfig,
    prefix: Arc<str>,
    requests: mpsc::UnboundedReceiver<Request>,
    events: mpsc::UnboundedSender<Event>,
    internal_tx: mpsc::UnboundedSender<Internal>,
    internal_rx: mpsc::UnboundedReceiver<Internal>,
    pending: Vec<Pending>,
    sessions: HashMap<SessionId, Tracked>,
    welcome: Option<Welcome>,
    next_internal: u64,
    /// The last `set_status` asked for, said again after each reconnect: a
    /// broker that restarted, or saw no connection for its grace period,
    /// starts an agent or bot `away`.
    status: Option<LastStatus>,
}

/// A `set_status` command: its id, and what it set.
struct LastStatus {
    id: String,
    status: AgentStatus,
    skills: Option<Vec<String>>,
    capacity: Option<u32>,
}

impl Driver {
    pub(crate) fn new(
        config: ClientConfig,
        prefix: Arc<str>,
        requests: mpsc::UnboundedReceiver<Request>,
        events: mpsc::UnboundedSender<Event>,
    ) -> Driver {
        let (internal_tx, internal_rx) = mpsc::unbounded_channel();
        Driver {
            config,
            prefix,
            requests,
            events,
            internal_tx,
            internal_rx,
            pending: Vec::new(),
            sessions: HashMap::new(),
            welcome: None,
            next_internal: 1,
            status: None,
        }
    }

    /// Makes the first connection, then runs in the background.
    pub(crate) async fn start(mut self) -> Result<(), ClientError> {
        let ws = match self.connect_once().await {
            Ok(ws) => ws,
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::Retry(code, reason)) => {
                return Err(match code {
                    Some(code) => ClientError::Closed { code, reason },
                    None => ClientError::Connect(reason),
                })
            }
        };
        self.emit_connected(false);
        tokio::spawn(self.run(ws));
        Ok(())
    }

    async fn run(mut self, mut ws: Ws) {
        loop {
            let ended = match self.after_connect(&mut ws).await {
                Ok(()) => self.pump(&mut ws).await,
                Err(e) => Ended::Lost(None, e),
            };
            let (code, reason) = match ended {
                Ended::ByUser => {
                    let _ = ws.close(None).await;
                    self.fail_all(ClientError::Shutdown);
                    return;
                }
                Ended::Lost(code, reason) => (code, reason),
            };
            let will_reconnect =
                self.config.reconnect && should_reconnect(code) && !self.cannot_renew(code);
            self.emit(Event::Disconnected {
                code,
                reason: reason.clone(),
                will_reconnect,
            });
            if !will_reconnect {
                self.fail_all(ClientError::Closed {
                    code: code.unwrap_or(1006),
                    reason,
                });
                return;
            }
            match self.reconnect().await {
                Some(new_ws) => ws = new_ws,
                None => return,
            }
        }
    }

    /// Retries with backoff until connected, a fatal refusal, or the user closes.
    async fn reconnect(&mut self) -> Option<Ws> {
        let mut attempt = 0;
        loop {
            let delay = self.config.backoff.delay(attempt);
            attempt = attempt.saturating_add(1);
            let sleep = tokio::time::sleep(delay);
            tokio::pin!(sleep);
            // Keep accepting commands while waiting; they are sent on reconnect.
            loop {
                tokio::select! {
                    _ = &mut sleep => break,
                    request = self.requests.recv() => match request {
                        None | Some(Request::Close) => {
                            self.fail_all(ClientError::Shutdown);
                            return None;
                        }
                        Some(Request::Command { frame, reply }) => {
                            self.queue(frame, reply);
                        }
                    },
                }
            }
            match self.connect_once().await {
                Ok(ws) => {
                    self.emit_connected(true);
                    return Some(ws);
                }
                Err(Failure::Fatal(e)) => {
                    self.emit(Event::Disconnected {
                        code: None,
                        reason: e.to_string(),
                        will_reconnect: false,
                    });
                    self.fail_all(e);
                    return None;
                }
                Err(Failure::Retry(code, reason)) => {
                    tracing::debug!(?code, %reason, attempt, "reconnect failed");
                }
            }
        }
    }

    async fn connect_once(&mut self) -> Result<Ws, Failure> {
        let token = self.config.token.token().await.map_err(|e| {
            if self.welcome.is_none() {
                Failure::Fatal(ClientError::Token(e))
            } else {
                Failure::Retry(None, format!("token source failed: {e}"))
            }
        })?;
        let handshake = async {
            let connector = crate::tls::client_config(self.config.extra_roots_pem.as_deref())
                .map(tokio_tungstenite::Connector::Rustls)
                .map_err(|e| Failure::Fatal(ClientError::Protocol(e)))?;
            let websocket = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
                .read_buffer_size(READ_BUFFER_BYTES);
            let (mut ws, _) = tokio_tungstenite::connect_async_tls_with_config(
                self.config.url.as_str(),
                Some(websocket),
                true,
                Some(connector),
            )
            .await
            .map_err(|e| Failure::Retry(None, e.to_string()))?;
            let hello = ClientFrame::Hello {
                versions: SUPPORTED_VERSIONS.to_vec(),
                token: Some(token),
            };
            ws.send(Message::text(to_json(&hello)))
                .await
                .map_err(|e| Failure::Retry(None, e.to_string()))?;
            loop {
                match ws.next().await {
                    None => return Err(Failure::Retry(None, "closed during handshake".into())),
                    Some(Err(e)) => return Err(Failure::Retry(None, e.to_string())),
                    Some(Ok(Message::Text(text))) => {
                        return match serde_json::from_str::<ServerFrame>(&text) {
                            Ok(ServerFrame::Welcome(welcome)) => Ok((ws, welcome)),
                            _ => Err(Failure::Fatal(ClientError::Protocol(format!(
                                "expected welcome, got {text}"
                            )))),
                        }
                    }
                    Some(Ok(Message::Close(frame))) => {
                        let (code, reason) = frame
                            .map(|f| (u16::from(f.code), f.reason.to_string()))
                            .unwrap_or((1005, String::new()));
                        return Err(self.refusal(code, reason));
                    }
                    Some(Ok(_)) => continue,
                }
            }
        };
        let (ws, welcome) = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake)
            .await
            .map_err(|_| Failure::Retry(None, "handshake timed out".into()))??;
        self.welcome = Some(welcome);
        Ok(ws)
    }

    /// Whether the token expired and a fixed token cannot be replaced.
    fn cannot_renew(&self, code: Option<u16>) -> bool {
        code == Some(CloseCode::TokenExpired.code())
            && matches!(self.config.token, TokenSource::Static(_))
    }

    /// Whether a close during the handshake is worth retrying.
    fn refusal(&self, code: u16, reason: String) -> Failure {
        if should_reconnect(Some(code)) && !self.cannot_renew(Some(code)) {
            Failure::Retry(Some(code), reason)
        } else {
            Failure::Fatal(ClientError::Closed { code, reason })
        }
    }

    /// Re-attaches every tracked session, then resends unacknowledged commands.
    async fn after_connect(&mut self, ws: &mut Ws) -> Result<(), String> {
        self.pending
            .retain(|p| matches!(p.kind, PendingKind::User(_)));
        let mut resumes = Vec::new();
        for (session_id, tracked) in &self.sessions {
            let id = format!("{}-r{}", self.prefix, self.next_internal);
            self.next_internal += 1;
            let frame = ClientFrame::Join {
                id: id.clone(),
                session_id: session_id.clone(),
                after_seq: Some(tracked.last_seq),
                epoch: Some(tracked.epoch.clone()),
            };
            resumes.push(Pending {
                id,
                text: to_json(&frame),
                kind: PendingKind::Resume(session_id.clone()),
            });
        }
        // Unless that very command is still pending (it goes again below).
        let last = self
            .status
            .as_ref()
            .filter(|last| !self.pending.iter().any(|p| p.id == last.id));
        if let Some(last) = last {
            let id = format!("{}-s{}", self.prefix, self.next_internal);
            self.next_internal += 1;
            let again = ClientFrame::SetStatus {
                id: id.clone(),
                status: last.status,
                skills: last.skills.clone(),
                capacity: last.capacity,
            };
            resumes.push(Pending {
                id,
                text: to_json(&again),
                kind: PendingKind::Restate,
            });
        }
        resumes.append(&mut self.pending);
        self.pending = resumes;
        for p in &self.pending {
            ws.send(Message::text(p.text.clone()))
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    async fn pump(&mut self, ws: &mut Ws) -> Ended {
        let silence = self.welcome.as_ref().map_or(Duration::from_secs(60), |w| {
            Duration::from_millis(w.heartbeat_interval_ms.saturating_mul(3).max(1_000))
        });
        loop {
            tokio::select! {
                message = tokio::time::timeout(silence, ws.next()) => match message {
                    Err(_) => return Ended::Lost(None, "broker silent past the heartbeat timeout".into()),
                    Ok(None) => return Ended::Lost(None, "connection closed".into()),
                    Ok(Some(Err(e))) => return Ended::Lost(None, e.to_string()),
                    Ok(Some(Ok(Message::Close(frame)))) => {
                        let (code, reason) = frame
                            .map(|f| (Some(u16::from(f.code)), f.reason.to_string()))
                            .unwrap_or((None, String::new()));
                        return Ended::Lost(code, reason);
                    }
                    Ok(Some(Ok(Message::Text(text)))) => self.handle(&text),
                    Ok(Some(Ok(_))) => {}
                },
                request = self.requests.recv() => match request {
                    None | Some(Request::Close) => return Ended::ByUser,
                    Some(Request::Command { frame, reply }) => {
                        if let Some(text) = self.queue(frame, reply) {
                            if let Err(e) = ws.send(Message::text(text)).await {
                                return Ended::Lost(None, e.to_string());
                            }
                        }
                    }
                },
                Some(internal) = self.internal_rx.recv() => {
                    if let Some(text) = self.internal(internal) {
                        if let Err(e) = ws.send(Message::text(text)).await {
                            return Ended::Lost(None, e.to_string());
                        }
                    }
                }
            }
        }
    }

    /// Records a user command as pending and returns its text to send, or
    /// answers it at once if it can never succeed.
    fn queue(&mut self, frame: ClientFrame, reply: Reply) -> Option<String> {
        let Some(id) = frame.id().map(str::to_owned) else {
            let _ = reply.send(Err(ClientError::Protocol(
                "hello is sent by the client itself".into(),
            )));
            return None;
        };
        let text = to_json(&frame);
        if let ClientFrame::SetStatus {
            status,
            skills,
            capacity,
            ..
        } = &frame
        {
            self.status = Some(LastStatus {
                id: id.clone(),
                status: *status,
                skills: skills.clone(),
                capacity: *capacity,
            });
        }
        if let Some(max) = self.welcome.as_ref().map(|w| w.limits.max_frame_bytes) {
            if text.len() > max {
                let error = ErrorFrame {
                    id: Some(id),
                    ..ErrorFrame::new(
                        ErrorCode::FrameTooLarge,
                        format!(
                            "frame of {} bytes exceeds the broker's limit of {max}",
                            text.len()
                        ),
                    )
                };
                let _ = reply.send(Err(ClientError::Rejected(error)));
                return None;
            }
        }
        self.pending.push(Pending {
            id,
            text: text.clone(),
            kind: PendingKind::User(reply),
        });
        Some(text)
    }

    fn internal(&mut self, work: Internal) -> Option<String> {
        match work {
            Internal::Resend(id) => self
                .pending
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.text.clone()),
            Internal::Refresh(token) => {
                let id = format!("{}-t{}", self.prefix, self.next_internal);
                self.next_internal += 1;
                let text = to_json(&ClientFrame::RefreshToken {
                    id: id.clone(),
                    token,
                });
                self.pending.push(Pending {
                    id,
                    text: text.clone(),
                    kind: PendingKind::Refresh,
                });
                Some(text)
            }
        }
    }

    fn handle(&mut self, text: &str) {
        let frame = match serde_json::from_str::<ServerFrame>(text) {
            Ok(frame) => frame,
            Err(e) => {
                tracing::warn!(error = %e, "unreadable frame from broker");
                return;
            }
        };
        match frame {
            ServerFrame::Ack(ack) => self.on_ack(ack),
            ServerFrame::Error(error) => self.on_error(error),
            ServerFrame::Event(event) => {
                let tracked = self.sessions.get_mut(&event.session_id);
                if let Some(tracked) = tracked {
                    if event.seq <= tracked.last_seq {
                        return;
                    }
                    tracked.last_seq = event.seq;
                }
                self.emit(Event::Session(event));
            }
            ServerFrame::Typing {
                session_id,
                from,
                active,
            } => self.emit(Event::Typing {
                session_id,
                from,
                active,
            }),
            ServerFrame::Stats { at, overview } => self.emit(Event::Stats { at, overview }),
            ServerFrame::Receipt {
                session_id,
                receipt,
            } => self.emit(Event::Receipt {
                session_id,
                receipt,
            }),
            ServerFrame::Signal {
                session_id,
                from,
                from_connection,
                signal,
            } => self.emit(Event::Signal {
                session_id,
                from,
                from_connection,
                signal,
            }),
            ServerFrame::IceServers {
                session_id,
                ice_servers,
                expires_at,
            } => self.emit(Event::IceServers {
                session_id,
                ice_servers,
                expires_at,
            }),
            ServerFrame::Offer(offer) => self.emit(Event::Offer(offer)),
            ServerFrame::OfferRevoked { offer_id, reason } => {
                self.emit(Event::OfferRevoked { offer_id, reason })
            }
            ServerFrame::QueueStatus {
                session_id,
                queue,
                position,
                estimated_wait_ms,
            } => self.emit(Event::QueueStatus {
                session_id,
                queue,
                position,
                estimated_wait_ms,
            }),
            ServerFrame::Invitation(invitation) => self.emit(Event::Invitation(invitation)),
            ServerFrame::RatingRequested { session_id } => {
                self.emit(Event::RatingRequested { session_id })
            }
            ServerFrame::TokenExpiring { expires_at } => {
                self.emit(Event::TokenExpiring { expires_at });
                if let TokenSource::Provider(provider) = &self.config.token {
                    let fetch = provider();
                    let internal = self.internal_tx.clone();
                    tokio::spawn(async move {
                        match fetch.await {
                            Ok(token) => {
                                let _ = internal.send(Internal::Refresh(token));
                            }
                            Err(e) => tracing::warn!(error = %e, "token refresh failed"),
                        }
                    });
                }
            }
            ServerFrame::Welcome(_) => tracing::warn!("unexpected second welcome"),
        }
    }

    fn on_ack(&mut self, ack: Ack) {
        let Some(index) = self.pending.iter().position(|p| p.id == ack.id) else {
            return;
        };
        let pending = self.pending.remove(index);
        if let Some(snapshot) = &ack.session {
            let reset = matches!(ack.resume, Some(ResumeOutcome::Reset { .. }));
            let tracked = self
                .sessions
                .entry(snapshot.session_id.clone())
                .or_insert_with(|| Tracked {
                    epoch: snapshot.epoch.clone(),
                    last_seq: 0,
                });
            if reset || tracked.epoch != snapshot.epoch {
                tracked.epoch = snapshot.epoch.clone();
                tracked.last_seq = 0;
            }
        }
        match pending.kind {
            PendingKind::User(reply) => {
                let _ = reply.send(Ok(ack));
            }
            PendingKind::Resume(session_id) => {
                if let Some(outcome) = ack.resume {
                    self.emit(Event::Resumed {
                        session_id,
                        outcome,
                    });
                }
            }
            PendingKind::Refresh | PendingKind::Restate => {}
        }
    }

    fn on_error(&mut self, error: ErrorFrame) {
        let index = error
            .id
            .as_ref()
            .and_then(|id| self.pending.iter().position(|p| &p.id == id));
        let Some(index) = index else {
            self.emit(Event::Error(error));
            return;
        };
        // Not applied: resend the same id when the broker says to.
        if matches!(error.code, ErrorCode::RateLimited | ErrorCode::Unavailable) {
            let id = self.pending[index].id.clone();
            let delay = Duration::from_millis(error.retry_after_ms.unwrap_or(100));
            let internal = self.internal_tx.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = internal.send(Internal::Resend(id));
            });
            return;
        }
        let pending = self.pending.remove(index);
        match pending.kind {
            PendingKind::User(reply) => {
                let _ = reply.send(Err(ClientError::Rejected(error)));
            }
            PendingKind::Resume(session_id) => {
                if matches!(
                    error.code,
                    ErrorCode::SessionNotFound | ErrorCode::NotYourSession
                ) {
                    self.sessions.remove(&session_id);
                }
                self.emit(Event::Error(error));
            }
            PendingKind::Refresh | PendingKind::Restate => self.emit(Event::Error(error)),
        }
    }

    fn fail_all(&mut self, error: ClientError) {
        for pending in self.pending.drain(..) {
            if let PendingKind::User(reply) = pending.kind {
                let _ = reply.send(Err(error.clone()));
            }
        }
    }

    fn emit_connected(&mut self, reconnected: bool) {
        if let Some(welcome) = self.welcome.clone() {
            self.emit(Event::Connected {
                welcome,
                reconnected,
            });
        }
    }

    fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }
}

/// Whether a lost connection (with this close code, if any) is worth re-establishing.
fn should_reconnect(code: Option<u16>) -> bool {
    match code {
        None => true,
        Some(code) => CloseCode::from_code(code).is_none_or(CloseCode::should_reconnect),
    }
}

fn to_json(frame: &ClientFrame) -> String {
    // Client frames hold only strings, numbers, bools and string-keyed maps.
    serde_json::to_string(frame).unwrap_or_default()
}
