//! Helpers that keep the end-to-end tests short: a broker on 127.0.0.1:0,
//! tokens, a raw WebSocket for bad input, and event waiting with timeouts.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic
#![allow(dead_code)]

use std::path::{Path, PathBuf};
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
pub(crate) const SECRET: &str = "seam-test-secret-0123456789abcdef";

/// How long a test waits for something that should happen.
pub(crate) const WAIT: Duration = Duration::from_secs(5);

/// A config for tests: port 0, the test secret, short timeouts.
pub(crate) fn test_config() -> Config {
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
pub(crate) async fn start() -> RunningBroker {
    start_with(test_config()).await
}

/// Starts a broker with `config` on a fresh in-memory store, or, when
/// `SEAM_TEST_CLUSTER` is set, as a cluster node on PostgreSQL and Redis
/// (see [`as_cluster_node`]).
pub(crate) async fn start_with(config: Config) -> RunningBroker {
    start_with_clock(config, Arc::new(seam_broker::SystemClock)).await
}

/// [`start_with`] on `clock`.
pub(crate) async fn start_with_clock(
    config: Config,
    clock: Arc<dyn seam_broker::Clock>,
) -> RunningBroker {
    let (config, store) = if cluster_mode() {
        as_cluster_node(config).await
    } else {
        (
            config,
            Arc::new(MemoryStore::new()) as Arc<dyn SessionStore>,
        )
    };
    Broker::start_with_clock(config, store, clock)
        .await
        .unwrap()
}

/// Whether the story tests run as cluster nodes (see [`as_cluster_node`]).
pub(crate) fn cluster_mode() -> bool {
    std::env::var_os("SEAM_TEST_CLUSTER").is_some()
}

/// The story tests run a second time with `SEAM_TEST_CLUSTER=1` (in
/// `.ci/run`): each broker is then a cluster node, on a PostgreSQL schema
/// and a Redis channel of its own (`story_<pid>_<n>`; `.ci/run` drops old
/// ones first), with the cluster's engine, store, fan-out and dispatcher.
pub(crate) async fn as_cluster_node(mut config: Config) -> (Config, Arc<dyn SessionStore>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "story_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    config.store.kind = seam_broker::StoreKind::Postgres;
    config.store.url = Some(
        std::env::var("SEAM_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into()),
    );
    config.store.schema = name.clone();
    config.cluster.redis_url = Some(
        std::env::var("SEAM_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
    );
    config.cluster.channel = name;
    let store = seam_broker::open_store(&config).await.unwrap();
    (config, store)
}

/// Starts a broker with `config` on `store`.
pub(crate) async fn start_on(config: Config, store: Arc<dyn SessionStore>) -> RunningBroker {
    Broker::start(config, store).await.unwrap()
}

/// Claims for `role`/`sub`, valid for an hour.
pub(crate) fn claims(role: Role, sub: &str) -> Claims {
    Claims {
        name: Some(sub.to_uppercase()),
        ..Claims::new(sub, role, 3600)
    }
}

/// An HS256 token with the test secret.
pub(crate) fn token(role: Role, sub: &str) -> String {
    mint_hs256(SECRET, &claims(role, sub)).unwrap()
}

/// A customer token carrying a context.
pub(crate) fn customer_token(sub: &str, issue_type: &str) -> String {
    let mut c = claims(Role::Customer, sub);
    c.context = Some(CustomerContext {
        issue_type: Some(issue_type.into()),
        page: Some("/checkout".into()),
        metadata: serde_json::json!({"plan": "gold"})
            .as_object()
            .unwrap()
            .clone(),
        ..CustomerContext::default()
    });
    mint_hs256(SECRET, &c).unwrap()
}

/// A test fixture file's path.
pub(crate) fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Connects a client with a fixed token.
pub(crate) async fn client(broker: &RunningBroker, token: String) -> (Client, Events) {
    Client::connect(client_config(broker, token)).await.unwrap()
}

/// A client config with fast reconnects.
pub(crate) fn client_config(broker: &RunningBroker, token: String) -> ClientConfig {
    let mut config = ClientConfig::new(broker.ws_url(), token);
    config.backoff.initial = Duration::from_millis(20);
    config.backoff.max = Duration::from_millis(200);
    config.ack_timeout = WAIT;
    config
}

/// Waits for the first event matching `pred`, skipping others.
pub(crate) async fn wait_for<T>(
    events: &mut Events,
    mut pred: impl FnMut(Event) -> Option<T>,
) -> T {
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
pub(crate) async fn next_session_event(events: &mut Events) -> SessionEvent {
    wait_for(events, |e| match e {
        Event::Session(e) => Some(e),
        _ => None,
    })
    .await
}

/// Waits for the next chat message text.
pub(crate) async fn next_message(events: &mut Events) -> String {
    wait_for(events, |e| match e {
        Event::Session(SessionEvent {
            body: EventBody::Message { text, .. },
            ..
        }) => Some(text),
        _ => None,
    })
    .await
}

/// Collects session events until none arrives for `quiet`.
pub(crate) async fn drain_session_events(
    events: &mut Events,
    quiet: Duration,
) -> Vec<SessionEvent> {
    let mut out = Vec::new();
    while let Ok(Some(event)) = tokio::time::timeout(quiet, events.next()).await {
        if let Event::Session(e) = event {
            out.push(e);
        }
    }
    out
}

/// A raw WebSocket, for sending exactly what a test wants.
pub(crate) struct Raw {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pending_close: Option<(u16, String)>,
}

impl Raw {
    /// Connects without saying anything.
    pub(crate) async fn connect(broker: &RunningBroker) -> Raw {
        let (ws, _) = tokio_tungstenite::connect_async(broker.ws_url())
            .await
            .unwrap();
        Raw::from_stream(ws)
    }

    /// Wraps an already connected WebSocket.
    pub(crate) fn from_stream(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Raw {
        Raw {
            ws,
            pending_close: None,
        }
    }

    /// Connects and authenticates with `token`, returning after the welcome.
    pub(crate) async fn authed(broker: &RunningBroker, token: &str) -> Raw {
        let mut raw = Raw::connect(broker).await;
        raw.send_json(serde_json::json!({"type": "hello", "versions": [1], "token": token}))
            .await;
        match raw.recv().await {
            ServerFrame::Welcome(_) => raw,
            other => panic!("expected welcome, got {other:?}"),
        }
    }

    /// Sends a JSON value as a text frame.
    pub(crate) async fn send_json(&mut self, value: serde_json::Value) {
        self.send_text(value.to_string()).await;
    }

    /// Sends a text frame.
    pub(crate) async fn send_text(&mut self, text: String) {
        self.ws.send(Message::text(text)).await.unwrap();
    }

    /// Sends any message.
    pub(crate) async fn send(&mut self, message: Message) {
        self.ws.send(message).await.unwrap();
    }

    /// The next server frame (pings are skipped).
    pub(crate) async fn recv(&mut self) -> ServerFrame {
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

    /// The next server frame, or `None` when the next thing is a close (left
    /// unread) or the connection ended without one (`closed` then answers
    /// 1006).
    pub(crate) async fn next_message(&mut self) -> Option<ServerFrame> {
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
                    Some(Err(e)) => {
                        self.pending_close = Some((1006, e.to_string()));
                        return None;
                    }
                    None => return None,
                }
            }
        })
        .await
        .expect("timed out waiting for a frame")?;
        Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad frame {text}: {e}")))
    }

    /// Reads until the broker closes; returns the close code and reason.
    pub(crate) async fn closed(&mut self) -> (u16, String) {
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
pub(crate) async fn wait_disconnected(events: &mut Events) -> (Option<u16>, bool) {
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
pub(crate) async fn drain_events(events: &mut Events, quiet: Duration) -> Vec<Event> {
    let mut out = Vec::new();
    while let Ok(Some(event)) = tokio::time::timeout(quiet, events.next()).await {
        out.push(event);
    }
    out
}

/// The error code of a command the broker refused; panics if it succeeded
/// or failed otherwise.
pub(crate) fn rejected<T: std::fmt::Debug>(result: Result<T, ClientError>) -> ErrorCode {
    match result {
        Err(ClientError::Rejected(frame)) => frame.code,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// A minimal HTTP/1.1 request; returns the status and the body as JSON
/// (`Value::Null` for an empty or non-JSON body).
pub(crate) async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    (
        status,
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}

/// One request a [`WebhookSink`] received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    /// Lower-case header names and values.
    pub headers: std::collections::HashMap<String, String>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl Received {
    /// The body as JSON.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A webhook endpoint on 127.0.0.1 that records every request and answers
/// 500 to the first `fail_first` of them, 200 after.
pub(crate) struct WebhookSink {
    /// Its URL.
    pub url: String,
    /// What it received, in order.
    pub received: Arc<std::sync::Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl WebhookSink {
    /// Starts a sink on `addr` (port 0 for any).
    pub(crate) async fn start(addr: &str, fail_first: usize) -> WebhookSink {
        use axum::extract::State;
        use axum::http::{HeaderMap, StatusCode};
        type Shared = (
            Arc<std::sync::Mutex<Vec<Received>>>,
            Arc<std::sync::atomic::AtomicUsize>,
            usize,
        );
        async fn hook(
            State((received, calls, fail_first)): State<Shared>,
            headers: HeaderMap,
            body: axum::body::Bytes,
        ) -> StatusCode {
            let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let headers = headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        v.to_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            received.lock().unwrap().push(Received {
                headers,
                body: body.to_vec(),
            });
            if n < fail_first {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::OK
            }
        }
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let url = format!("http://{}/hooks/seam", listener.local_addr().unwrap());
        let received = Arc::new(std::sync::Mutex::new(Vec::new()));
        let state: Shared = (
            received.clone(),
            Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            fail_first,
        );
        let app = axum::Router::new()
            .route("/hooks/seam", axum::routing::post(hook))
            .with_state(state);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        WebhookSink {
            url,
            received,
            task,
        }
    }

    /// Waits until at least `n` requests have arrived.
    pub(crate) async fn wait_for(&self, n: usize) -> Vec<Received> {
        tokio::time::timeout(WAIT * 2, async {
            loop {
                let got = self.received.lock().unwrap().clone();
                if got.len() >= n {
                    return got;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("timed out waiting for webhooks")
    }
}

impl Drop for WebhookSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A fresh, empty directory under the system temp dir.
pub(crate) fn temp_dir(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("seam-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The `seam` binary under test.
pub(crate) const SEAM: &str = env!("CARGO_BIN_EXE_seam");

/// Runs `seam` with `args` to completion.
pub(crate) fn run_seam(args: &[&str]) -> std::process::Output {
    std::process::Command::new(SEAM)
        .args(args)
        .env_remove("SEAM_AUTH_HS256_SECRET")
        .output()
        .unwrap()
}

/// Starts `seam serve` and returns it with the WebSocket URL it prints first.
pub(crate) fn serve(args: &[&str], env: &[(&str, &Path)]) -> (std::process::Child, String) {
    let mut command = std::process::Command::new(SEAM);
    command
        .arg("serve")
        .args(args)
        .args(["--log", "warn"])
        .env_remove("SEAM_AUTH_HS256_SECRET");
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    let url = banner.split_whitespace().last().unwrap().to_owned();
    assert!(url.starts_with("ws://127.0.0.1:"), "{banner}");
    // Keep reading stdout so the broker never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}

/// Runs `seam token` and returns the token.
pub(crate) fn mint(args: &[&str]) -> String {
    let out = run_seam(&[&["token"], args].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A TCP proxy on 127.0.0.1 that delays every chunk a little and cuts each
/// connection after a random lifetime, at most `max_cuts` times in all
/// (then it only relays). For chaos tests of reconnect and resume.
pub(crate) struct ChaosProxy {
    /// Where clients connect.
    pub addr: std::net::SocketAddr,
    /// Connections cut so far.
    pub cuts: Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl ChaosProxy {
    /// Proxies to `target`.
    pub(crate) async fn start(target: std::net::SocketAddr, max_cuts: usize) -> ChaosProxy {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cuts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = cuts.clone();
        let task = tokio::spawn(async move {
            let mut n: u64 = 0;
            while let Ok((client, _)) = listener.accept().await {
                n += 1;
                let Ok(server) = TcpStream::connect(target).await else {
                    continue;
                };
                // Deterministic per connection: 300 to 900 ms of life.
                let lifetime = Duration::from_millis(300 + (n * 7_919 % 600));
                let cuts = counter.clone();
                tokio::spawn(async move {
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    let relay = async {
                        tokio::join!(slow_pipe(cr, sw, n), slow_pipe(sr, cw, n + 1));
                    };
                    let cut_now = cuts.load(Ordering::SeqCst) < max_cuts;
                    if cut_now {
                        tokio::select! {
                            _ = relay => {}
                            _ = tokio::time::sleep(lifetime) => {
                                cuts.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    } else {
                        relay.await;
                    }
                    // Dropping both halves cuts the connection both ways.
                });
            }
        });
        ChaosProxy { addr, cuts, task }
    }
}

impl Drop for ChaosProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies `from` to `to`, sleeping 0 to 3 ms before each chunk.
async fn slow_pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    seed: u64,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 4096];
    let mut k = seed;
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        k = k.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        tokio::time::sleep(Duration::from_millis(k >> 62)).await;
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// A TCP proxy on 127.0.0.1 that can be switched off: then every open
/// connection is cut and new ones are closed at once, as when the server
/// behind it is down. For outage tests of a server other tests share.
pub(crate) struct Switch {
    /// Where clients connect.
    pub addr: std::net::SocketAddr,
    up: Arc<std::sync::atomic::AtomicBool>,
    links: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Switch {
    /// A proxy to `target`, switched on.
    pub(crate) async fn start(target: std::net::SocketAddr) -> Switch {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let links: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let accept = {
            let (up, links) = (Arc::clone(&up), Arc::clone(&links));
            tokio::spawn(async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if !up.load(std::sync::atomic::Ordering::SeqCst) {
                        continue;
                    }
                    let link = tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(target).await {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    links.lock().unwrap().push(link.abort_handle());
                }
            })
        };
        Switch {
            addr,
            up,
            links,
            accept,
        }
    }

    /// Cuts every connection and refuses new ones.
    pub(crate) fn off(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    /// Relays again.
    pub(crate) fn on(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for Switch {
    fn drop(&mut self) {
        self.off();
        self.accept.abort();
    }
}
