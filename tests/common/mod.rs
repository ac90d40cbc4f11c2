//! Helpers that keep the end-to-end tests short: a broker on 127.0.0.1:0,
//! tokens, a raw WebSocket for bad input, and event waiting with timeouts.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use seam_broker::{mint_hs256, Broker, Claims, Config, MemoryStore, RunningBroker, SessionStore};
use seam_client::{Client, ClientConfig, ClientError, Event, Events};
use seam_protocol::{CustomerContext, ErrorCode, EventBody, Role, ServerFrame, SessionEvent};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The HS256 secret every test broker accepts.
pub const SECRET: &str = "seam-test-secret-0123456789abcdef";

/// How long a test waits for something that should happen.
pub const WAIT: Duration = Duration::from_secs(5);

/// A config for tests: port 0, the test secret, short timeouts.
pub fn test_config() -> Config {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    };
    config.auth.hs256_secret = Some(SECRET.into());
    config.auth.leeway_secs = 0;
    config.auth.hello_timeout_ms = 1_000;
    config.limits.commands_per_second = 1_000;
    config.limits.command_burst = 1_000;
    config
}

/// Starts a broker on a fresh in-memory store.
pub async fn start() -> RunningBroker {
    start_with(test_config()).await
}

/// Starts a broker with `config` on a fresh in-memory store.
pub async fn start_with(config: Config) -> RunningBroker {
    Broker::start(config, Arc::new(MemoryStore::new()))
        .await
        .unwrap()
}

/// Starts a broker with `config` on `store`.
pub async fn start_on(config: Config, store: Arc<dyn SessionStore>) -> RunningBroker {
    Broker::start(config, store).await.unwrap()
}

/// Claims for `role`/`sub`, valid for an hour.
pub fn claims(role: Role, sub: &str) -> Claims {
    let now = seam_broker::auth::now_secs();
    Claims {
        sub: sub.into(),
        role,
        name: Some(sub.to_uppercase()),
        exp: now + 3600,
        nbf: None,
        iat: Some(now),
        iss: None,
        aud: None,
        context: None,
        skills: Vec::new(),
        capacity: None,
    }
}

/// An HS256 token with the test secret.
pub fn token(role: Role, sub: &str) -> String {
    mint_hs256(SECRET, &claims(role, sub)).unwrap()
}

/// A customer token carrying a context.
pub fn customer_token(sub: &str, issue_type: &str) -> String {
    let mut c = claims(Role::Customer, sub);
    c.context = Some(CustomerContext {
        issue_type: Some(issue_type.into()),
        page: Some("/checkout".into()),
        metadata: serde_json::json!({"plan": "gold"})
            .as_object()
            .unwrap()
            .clone(),
    });
    mint_hs256(SECRET, &c).unwrap()
}

/// A test fixture file's path.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Connects a client with a fixed token.
pub async fn client(broker: &RunningBroker, token: String) -> (Client, Events) {
    Client::connect(client_config(broker, token)).await.unwrap()
}

/// A client config with fast reconnects.
pub fn client_config(broker: &RunningBroker, token: String) -> ClientConfig {
    let mut config = ClientConfig::new(broker.ws_url(), token);
    config.backoff.initial = Duration::from_millis(20);
    config.backoff.max = Duration::from_millis(200);
    config.ack_timeout = WAIT;
    config
}

/// Waits for the first event matching `pred`, skipping others.
pub async fn wait_for<T>(events: &mut Events, mut pred: impl FnMut(Event) -> Option<T>) -> T {
    let found = tokio::time::timeout(WAIT, async {
        loop {
            let event = events.next().await.expect("event stream ended");
            if let Some(t) = pred(event) {
                return t;
            }
        }
    })
    .await;
    found.expect("timed out waiting for an event")
}

/// Waits for the next stored session event.
pub async fn next_session_event(events: &mut Events) -> SessionEvent {
    wait_for(events, |e| match e {
        Event::Session(e) => Some(e),
        _ => None,
    })
    .await
}

/// Waits for the next chat message text.
pub async fn next_message(events: &mut Events) -> String {
    wait_for(events, |e| match e {
        Event::Session(SessionEvent {
            body: EventBody::Message { text },
            ..
        }) => Some(text),
        _ => None,
    })
    .await
}

/// Collects session events until none arrives for `quiet`.
pub async fn drain_session_events(events: &mut Events, quiet: Duration) -> Vec<SessionEvent> {
    let mut out = Vec::new();
    while let Ok(Some(event)) = tokio::time::timeout(quiet, events.next()).await {
        if let Event::Session(e) = event {
            out.push(e);
        }
    }
    out
}

/// A raw WebSocket, for sending exactly what a test wants.
pub struct Raw {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pending_close: Option<(u16, String)>,
}

impl Raw {
    /// Connects without saying anything.
    pub async fn connect(broker: &RunningBroker) -> Raw {
        let (ws, _) = tokio_tungstenite::connect_async(broker.ws_url())
            .await
            .unwrap();
        Raw::from_stream(ws)
    }

    /// Wraps an already connected WebSocket.
    pub fn from_stream(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Raw {
        Raw {
            ws,
            pending_close: None,
        }
    }

    /// Connects and authenticates with `token`, returning after the welcome.
    pub async fn authed(broker: &RunningBroker, token: &str) -> Raw {
        let mut raw = Raw::connect(broker).await;
        raw.send_json(serde_json::json!({"type": "hello", "versions": [1], "token": token}))
            .await;
        match raw.recv().await {
            ServerFrame::Welcome(_) => raw,
            other => panic!("expected welcome, got {other:?}"),
        }
    }

    /// Sends a JSON value as a text frame.
    pub async fn send_json(&mut self, value: serde_json::Value) {
        self.send_text(value.to_string()).await;
    }

    /// Sends a text frame.
    pub async fn send_text(&mut self, text: String) {
        self.ws.send(Message::text(text)).await.unwrap();
    }

    /// Sends any message.
    pub async fn send(&mut self, message: Message) {
        self.ws.send(message).await.unwrap();
    }

    /// The next server frame (pings are skipped).
    pub async fn recv(&mut self) -> ServerFrame {
        let text = tokio::time::timeout(WAIT, async {
            loop {
                match self.ws.next().await {
                    Some(Ok(Message::Text(text))) => return text,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    other => panic!("expected a text frame, got {other:?}"),
                }
            }
        })
        .await
        .expect("timed out waiting for a frame");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad frame {text}: {e}"))
    }

    /// The next server frame, or `None` when the next thing is a close (left unread).
    pub async fn next_message(&mut self) -> Option<ServerFrame> {
        let text = tokio::time::timeout(WAIT, async {
            loop {
                match self.ws.next().await {
                    Some(Ok(Message::Text(text))) => return Some(text),
                    Some(Ok(Message::Close(frame))) => {
                        self.pending_close = Some(frame.map_or((1005, String::new()), |f| {
                            (u16::from(f.code), f.reason.to_string())
                        }));
                        return None;
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => panic!("connection failed: {e}"),
                    None => return None,
                }
            }
        })
        .await
        .expect("timed out waiting for a frame")?;
        Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad frame {text}: {e}")))
    }

    /// Reads until the broker closes; returns the close code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        if let Some(close) = self.pending_close.take() {
            return close;
        }
        tokio::time::timeout(WAIT, async {
            loop {
                match self.ws.next().await {
                    Some(Ok(Message::Close(Some(frame)))) => {
                        return (u16::from(frame.code), frame.reason.to_string())
                    }
                    Some(Ok(Message::Close(None))) | None => return (1005, String::new()),
                    Some(Err(e)) => return (1006, e.to_string()),
                    Some(Ok(_)) => continue,
                }
            }
        })
        .await
        .expect("timed out waiting for the close")
    }
}

/// Waits for the next disconnect; returns its close code and whether the
/// client will reconnect.
pub async fn wait_disconnected(events: &mut Events) -> (Option<u16>, bool) {
    wait_for(events, |e| match e {
        Event::Disconnected {
            code,
            will_reconnect,
            ..
        } => Some((code, will_reconnect)),
        _ => None,
    })
    .await
}

/// Collects every event until none arrives for `quiet`.
pub async fn drain_events(events: &mut Events, quiet: Duration) -> Vec<Event> {
    let mut out = Vec::new();
    while let Ok(Some(event)) = tokio::time::timeout(quiet, events.next()).await {
        out.push(event);
    }
    out
}

/// The error code of a command the broker refused; panics if it succeeded
/// or failed otherwise.
pub fn rejected<T: std::fmt::Debug>(result: Result<T, ClientError>) -> ErrorCode {
    match result {
        Err(ClientError::Rejected(frame)) => frame.code,
        other => panic!("expected a rejection, got {other:?}"),
    }
}
