//! Broker configuration: embedded defaults, overridable from a TOML file
//! (and, in the `seam` binary, from `SEAM_*` environment variables and flags).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use seam_protocol::Mode;
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

mod template;

pub use template::{default_toml, explain};

/// Everything the broker can be told. Every field has a default, so an empty
/// file (or none) runs a working broker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address for HTTP and WebSocket (`/ws`) on one port.
    pub listen: SocketAddr,
    /// Directory for the broker's files: the SQLite store (`seam.db`) and
    /// the development secret.
    pub data_dir: PathBuf,
    /// How connections authenticate.
    pub auth: AuthConfig,
    /// Limits enforced on every connection.
    pub limits: LimitsConfig,
    /// Liveness checks.
    pub heartbeat: HeartbeatConfig,
    /// Voice, video and WebRTC signaling.
    pub media: MediaConfig,
    /// Queues, offers and invitations. With no queue configured, routing is
    /// off and agents join sessions by id.
    pub routing: RoutingConfig,
    /// Where sessions are kept.
    pub store: StoreConfig,
    /// Several nodes sharing sessions (PostgreSQL store plus Redis).
    pub cluster: ClusterConfig,
    /// Signed HTTP callbacks to the company's backend.
    pub webhooks: WebhookConfig,
    /// How long ended sessions are kept.
    pub retention: RetentionConfig,
    /// TLS termination (`wss://`, `https://`); off unless a certificate is set.
    pub tls: TlsConfig,
    /// Prometheus metrics at `GET /metrics`.
    pub metrics: MetricsConfig,
    /// Saved replies agents insert by shortcut (`/refund`).
    pub canned_responses: Vec<CannedResponseConfig>,
    /// Files and images attached to sessions.
    pub attachments: AttachmentsConfig,
    /// Editing and deleting chat messages.
    pub messages: MessagesConfig,
    /// The mode recommended for each session, learned from outcomes.
    pub recommendation: RecommendationConfig,
}

/// How the broker learns which mode (chat, voice, video) resolves each
/// issue type best, and recommends it (`recommend_mode`; see
/// docs/analytics.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RecommendationConfig {
    /// The least chance each available mode gets, so that every mode keeps
    /// being tried and logged choices can be evaluated offline (0 to 1/3).
    pub exploration: f64,
    /// A session counts as resolved when its customer does not come back
    /// about the same issue type within this many seconds (and did not
    /// rate it 1 or 2); it is learned from once that much time passed.
    pub resolution_window_secs: u64,
    /// Only sessions opened within this many days are learned from.
    pub history_days: u64,
    /// For each issue type and mode, only the newest this many outcomes
    /// count (0: all), so a change in what resolves issues is learned.
    pub recent_per_mode: usize,
    /// How often the evidence is rebuilt from the store, in milliseconds.
    pub refresh_ms: u64,
}

impl Default for RecommendationConfig {
    fn default() -> Self {
        RecommendationConfig {
            exploration: 0.05,
            resolution_window_secs: 7 * 24 * 60 * 60,
            history_days: 90,
            recent_per_mode: 500,
            refresh_ms: 60_000,
        }
    }
}

/// How authors may revise their chat messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MessagesConfig {
    /// How long after sending a message its author may edit or delete it,
    /// in seconds (0: never).
    pub edit_window_secs: u64,
    /// Keep a revised message's original for staff (an audit trail):
    /// agents, supervisors and the admin API see what was first written and
    /// every revision. Off: nobody is shown the original. Customers never
    /// are.
    pub keep_originals_for_staff: bool,
}

impl Default for MessagesConfig {
    fn default() -> Self {
        MessagesConfig {
            edit_window_secs: 900,
            keep_originals_for_staff: true,
        }
    }
}

/// Files and images customers and agents attach to a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AttachmentsConfig {
    /// Whether uploads are accepted (else `403`).
    pub enabled: bool,
    /// The largest file accepted, in bytes (larger: `413`).
    pub max_bytes: usize,
    /// Content types accepted, as recognised from the file's first bytes
    /// (the client's claim is ignored): any of `image/png`, `image/jpeg`,
    /// `image/gif`, `image/webp`, `application/pdf`, `text/plain`.
    pub allowed_types: Vec<String>,
    /// How long a download link stays valid, in seconds.
    pub url_ttl_secs: u64,
    /// The key download links are signed with. Nodes of a cluster must
    /// share it; unset, it is derived from `auth.hs256_secret` (or the
    /// development secret), else a random key for this process.
    pub signing_secret: Option<String>,
}

impl Default for AttachmentsConfig {
    fn default() -> Self {
        AttachmentsConfig {
            enabled: true,
            max_bytes: 10 * 1024 * 1024,
            allowed_types: crate::attachment::KNOWN_TYPES
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
            url_ttl_secs: 300,
            signing_secret: None,
        }
    }
}

/// One saved reply.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CannedResponseConfig {
    /// What the agent types after `/`: letters, digits, `-` and `_`.
    pub shortcut: String,
    /// A short label for pickers.
    pub title: Option<String>,
    /// The reply; `{name}`, `{agent}`, `{issue_type}`, `{page}` and context
    /// metadata keys (`{order}`) are filled from the session.
    pub text: String,
}

/// Prometheus metrics at `GET /metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Whether `/metrics` answers (else `404`).
    pub enabled: bool,
    /// When set, a scrape must send `Authorization: Bearer <token>` (else
    /// `401`). Set it, or keep `/metrics` from the Internet at the proxy,
    /// when the broker's port is public.
    pub token: Option<String>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            enabled: true,
            token: None,
        }
    }
}

/// TLS termination in the broker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain, PEM (leaf first). With `key`, turns TLS on.
    pub cert: Option<PathBuf>,
    /// The private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: Option<PathBuf>,
    /// How often the files are checked for a new certificate, in milliseconds.
    pub reload_ms: u64,
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            cert: None,
            key: None,
            reload_ms: 10_000,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from(".seam"),
            auth: AuthConfig::default(),
            limits: LimitsConfig::default(),
            heartbeat: HeartbeatConfig::default(),
            media: MediaConfig::default(),
            routing: RoutingConfig::default(),
            store: StoreConfig::default(),
            cluster: ClusterConfig::default(),
            webhooks: WebhookConfig::default(),
            retention: RetentionConfig::default(),
            metrics: MetricsConfig::default(),
            canned_responses: Vec::new(),
            attachments: AttachmentsConfig::default(),
            messages: MessagesConfig::default(),
            recommendation: RecommendationConfig::default(),
            tls: TlsConfig::default(),
        }
    }
}

impl Config {
    /// Parses a TOML document; unknown keys are errors, missing keys take defaults.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))
    }

    /// The SQLite database file: `store.path`, or `data_dir/seam.db`.
    pub fn sqlite_path(&self) -> PathBuf {
        self.store
            .path
            .clone()
            .unwrap_or_else(|| self.data_dir.join("seam.db"))
    }

    /// Reads and parses a TOML file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::from_toml(&text)
    }
}

/// How tokens are verified. At least one key must be set unless `dev` is on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Shared secret for HS256 tokens.
    pub hs256_secret: Option<String>,
    /// Path of a PEM public key for RS256 tokens.
    pub rs256_public_key: Option<PathBuf>,
    /// Path of a PEM public key for ES256 tokens.
    pub es256_public_key: Option<PathBuf>,
    /// Required `iss` claim, if set.
    pub issuer: Option<String>,
    /// Required `aud` claim, if set.
    pub audience: Option<String>,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// How long a new connection has to send its `hello`, in milliseconds.
    pub hello_timeout_ms: u64,
    /// How long before expiry the broker sends `token_expiring`, in seconds.
    pub expiry_notice_secs: u64,
    /// Development mode: with no key configured, generate an HS256 secret and
    /// keep it in `data_dir/dev-secret` so `seam token` can mint tokens.
    pub dev: bool,
    /// Browser origins allowed to open a WebSocket (exact
    /// `scheme://host[:port]`); a browser upgrade from any other origin is
    /// refused with 403. Empty: any origin. Clients that send no `Origin`
    /// (servers, bots) are not affected.
    pub allowed_origins: Vec<String>,
    /// Metadata keys a customer's client may add in `open_session` (kept
    /// apart, as `customer_provided`). Unset: any key; a list: only these,
    /// others are refused.
    pub client_context_keys: Option<Vec<String>>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            hs256_secret: None,
            rs256_public_key: None,
            es256_public_key: None,
            issuer: None,
            audience: None,
            leeway_secs: 30,
            hello_timeout_ms: 5_000,
            expiry_notice_secs: 60,
            dev: false,
            allowed_origins: Vec::new(),
            client_context_keys: None,
        }
    }
}

impl AuthConfig {
    /// Whether any verification key is configured.
    pub fn has_keys(&self) -> bool {
        self.hs256_secret.is_some()
            || self.rs256_public_key.is_some()
            || self.es256_public_key.is_some()
    }

    /// The `hello` deadline.
    pub fn hello_timeout(&self) -> Duration {
        Duration::from_millis(self.hello_timeout_ms)
    }
}

/// Per-connection limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest frame answered with a `frame_too_large` error (bytes); the
    /// connection stays open.
    pub max_frame_bytes: usize,
    /// Largest frame the transport reads at all (bytes); larger ones close
    /// the connection with 1009. Must be at least `max_frame_bytes`.
    pub max_transport_bytes: usize,
    /// Longest chat text, in characters.
    pub max_text_chars: usize,
    /// Sustained commands per second per principal: all of a principal's
    /// connections draw from one bucket.
    pub commands_per_second: u32,
    /// Burst of commands allowed above the sustained rate.
    pub command_burst: u32,
    /// Frames queued for a connection before it counts as a slow consumer
    /// and is closed with 4008.
    pub outbound_queue: usize,
    /// Events kept per session for resume; older ones are dropped and a
    /// resume that needs them is answered `truncated`.
    pub history_limit: usize,
    /// Command ids remembered per session for idempotency (a resend among
    /// the session's last this many commands is answered with the original
    /// ack), independent of `history_limit`.
    pub idempotency_keys: usize,
    /// Bytes of recent events kept in memory per session for resume (the
    /// last event always is); a resume needing older ones is `truncated`.
    pub history_bytes: usize,
    /// Bytes of recent events kept in memory by all sessions together: past
    /// it, each session's window is cut to a fair share of it (a resume
    /// reads the older events from the store, up to `history_limit`).
    pub history_bytes_total: usize,
    /// An ended session leaves memory this many milliseconds after it ends
    /// (it stays in the store, and is read back if anyone needs it).
    pub release_ended_after_ms: u64,
    /// A session no connection is attached to leaves memory after this many
    /// milliseconds (it stays in the store; an open one is read back when
    /// its customer or an agent returns).
    pub release_idle_after_ms: u64,
    /// Concurrent TCP connections, counted from accept (before any HTTP
    /// request or upgrade) to close; more get HTTP 503 at once. Capped below
    /// the process's open-file limit.
    pub max_connections: usize,
    /// Concurrent authenticated connections of one principal (one `sub`);
    /// more are closed with 4009 instead of welcomed.
    pub max_connections_per_principal: usize,
    /// Concurrent connections from one IP address; more get HTTP 503 at
    /// once. 0: no limit (behind a load balancer every client shares its
    /// address).
    pub max_connections_per_ip: usize,
    /// Reverse proxies in front of the broker, as addresses or networks
    /// (`127.0.0.1`, `10.0.0.0/8`, `fd00::/8`). A connection from one of them
    /// counts against `max_connections_per_ip` as the client its
    /// `X-Forwarded-For` names (the rightmost address that is not itself a
    /// trusted proxy), not as the proxy. Empty: the header is ignored.
    pub trusted_proxies: Vec<String>,
    /// A connection must send a request's complete headers within this many
    /// milliseconds (of connecting, or of its previous request); else it is
    /// closed.
    pub header_timeout_ms: u64,
    /// An HTTP request (its body included) must be answered within this
    /// many milliseconds; else it is answered 408 and its connection closed.
    pub request_timeout_ms: u64,
    /// On shutdown, how long connections may take to close before they are
    /// cut, in milliseconds.
    pub shutdown_drain_ms: u64,
    /// WebSocket read buffer per connection (bytes); larger frames still
    /// arrive, in more reads.
    pub read_buffer_bytes: usize,
    /// Frames are gathered up to this many bytes and written together (one
    /// system call for everything queued); 0 writes each frame at once.
    pub write_buffer_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_frame_bytes: 64 * 1024,
            max_transport_bytes: 1024 * 1024,
            max_text_chars: 8 * 1024,
            commands_per_second: 20,
            command_burst: 60,
            outbound_queue: 512,
            history_limit: 10_000,
            idempotency_keys: 10_000,
            history_bytes: 4 * 1024 * 1024,
            history_bytes_total: 256 * 1024 * 1024,
            release_ended_after_ms: 60_000,
            release_idle_after_ms: 10 * 60_000,
            max_connections: 100_000,
            max_connections_per_ip: 0,
            trusted_proxies: Vec::new(),
            max_connections_per_principal: 64,
            header_timeout_ms: 10_000,
            request_timeout_ms: 30_000,
            shutdown_drain_ms: 10_000,
            read_buffer_bytes: 1024,
            write_buffer_bytes: 16 * 1024,
        }
    }
}

/// Ping interval and dead-connection timeout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HeartbeatConfig {
    /// How often the broker pings each connection, in milliseconds.
    pub interval_ms: u64,
    /// A connection silent for this long (no frame, no pong) is closed with 4005.
    pub timeout_ms: u64,
}

impl Default for HeartbeatConfig {
    fn default() -> Self {
        HeartbeatConfig {
            interval_ms: 20_000,
            timeout_ms: 60_000,
        }
    }
}

impl HeartbeatConfig {
    /// The ping interval.
    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms)
    }

    /// The silence timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

/// Which media modes are allowed, and the ICE servers handed to calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MediaConfig {
    /// Modes sessions may use; `chat` is always allowed.
    pub modes: Vec<Mode>,
    /// Whether screen sharing may be requested.
    pub screen_share: bool,
    /// How long an upgrade request waits for an answer, in milliseconds.
    pub request_timeout_ms: u64,
    /// Largest SDP or ICE candidate relayed, in bytes.
    pub max_signal_bytes: usize,
    /// STUN/TURN servers for calls.
    pub ice_servers: Vec<IceServerConfig>,
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            modes: vec![Mode::Chat, Mode::Voice, Mode::Video],
            screen_share: true,
            request_timeout_ms: 30_000,
            max_signal_bytes: 32 * 1024,
            ice_servers: Vec::new(),
        }
    }
}

impl MediaConfig {
    /// Whether `mode` may be used.
    pub fn allows(&self, mode: Mode) -> bool {
        mode == Mode::Chat || self.modes.contains(&mode)
    }

    /// Every mode that may be used, chat first.
    pub fn enabled_modes(&self) -> Vec<Mode> {
        [Mode::Chat, Mode::Voice, Mode::Video]
            .into_iter()
            .filter(|&m| self.allows(m))
            .collect()
    }

    /// How long an upgrade request waits.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}

/// One STUN/TURN server. Credentials are either static (`username` and
/// `credential`) or minted per participant from a shared `secret` (the TURN
/// REST API convention of coturn's `use-auth-secret`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IceServerConfig {
    /// `stun:`, `turn:` or `turns:` URLs.
    pub urls: Vec<String>,
    /// Static TURN username.
    pub username: Option<String>,
    /// Static TURN password.
    pub credential: Option<String>,
    /// Shared secret for time-limited TURN credentials.
    pub secret: Option<String>,
    /// Lifetime of minted credentials, in seconds; they are re-sent to a
    /// call after three quarters of it.
    pub ttl_secs: u64,
}

impl Default for IceServerConfig {
    fn default() -> Self {
        IceServerConfig {
            urls: Vec::new(),
            username: None,
            credential: None,
            secret: None,
            ttl_secs: 3600,
        }
    }
}

/// Which store keeps sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// SQLite in `data_dir` (survives restarts).
    Sqlite,
    /// Process memory (lost when the process exits).
    Memory,
    /// PostgreSQL at `store.url` (what a cluster shares; also one node).
    Postgres,
}

/// Where sessions are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite` (default), `memory` or `postgres`.
    pub kind: StoreKind,
    /// The database file (default `data_dir/seam.db`).
    pub path: Option<PathBuf>,
    /// For `postgres`: the server, e.g.
    /// `postgres://seam@db.internal:5432/seam` (or `SEAM_POSTGRES_URL`).
    pub url: Option<String>,
    /// For `postgres`: the schema seam's tables live in.
    pub schema: String,
    /// Commit many writes in one transaction (one fsync for many events).
    pub group_commit: bool,
    /// fsync on every commit (survives power loss); off survives process crashes only.
    pub full_sync: bool,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            kind: StoreKind::Sqlite,
            path: None,
            url: None,
            schema: "public".into(),
            group_commit: true,
            full_sync: true,
        }
    }
}

/// Cluster mode: with `redis_url` set (and a PostgreSQL store), this node
/// shares sessions with every other node on the same database and Redis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// Redis, e.g. `redis://127.0.0.1:6379` (or `SEAM_REDIS_URL`).
    pub redis_url: Option<String>,
    /// The Redis channel the nodes publish on (one per cluster).
    pub channel: String,
    /// How often each node checks, against PostgreSQL, that it has seen
    /// every event of the sessions it holds, in milliseconds.
    pub position_check_ms: u64,
    /// How long the dispatcher lease lasts, in milliseconds: the node
    /// holding it routes for the cluster; another takes over within about
    /// this long after it dies, and a node silent this long counts as gone.
    pub lease_ms: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            redis_url: None,
            channel: "seam".into(),
            position_check_ms: 5_000,
            lease_ms: 3_000,
        }
    }
}

/// Webhook endpoints and delivery policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// Endpoints that receive every webhook (`http://` or `https://` URLs).
    pub urls: Vec<String>,
    /// For `https://` endpoints: extra trust anchors (a PEM file), beside
    /// the public web roots, e.g. the company's private CA.
    pub ca_file: Option<PathBuf>,
    /// Secret for the HMAC-SHA256 signature (required with `urls`).
    pub secret: Option<String>,
    /// How long `session.ended` waits for the customer's rating, in milliseconds.
    pub rating_wait_ms: u64,
    /// First retry delay, in milliseconds (doubles each attempt).
    pub retry_initial_ms: u64,
    /// Longest retry delay, in milliseconds.
    pub retry_max_ms: u64,
    /// Attempts before a delivery is given up.
    pub max_attempts: u32,
    /// Per-request timeout, in milliseconds.
    pub timeout_ms: u64,
    /// How often the outbox is checked when idle, in milliseconds.
    pub poll_ms: u64,
    /// Deliveries in flight to one URL at once; each URL is served on its
    /// own, so a slow one never holds up the others.
    pub max_in_flight_per_url: usize,
    /// Consecutive failures that open a URL's circuit: its deliveries then
    /// wait `breaker_cooldown_ms` before one is tried again.
    pub breaker_failures: u32,
    /// How long an open circuit waits before trying its URL again, in
    /// milliseconds.
    pub breaker_cooldown_ms: u64,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            urls: Vec::new(),
            ca_file: None,
            secret: None,
            rating_wait_ms: 10 * 60 * 1000,
            retry_initial_ms: 1_000,
            retry_max_ms: 60 * 60 * 1000,
            max_attempts: 20,
            timeout_ms: 10_000,
            poll_ms: 250,
            max_in_flight_per_url: 4,
            breaker_failures: 5,
            breaker_cooldown_ms: 30_000,
        }
    }
}

/// How long ended sessions are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Delete sessions this long after they end, in milliseconds (never if unset).
    pub ended_sessions_ms: Option<u64>,
    /// How often to look for sessions to delete, in milliseconds.
    pub sweep_interval_ms: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            ended_sessions_ms: None,
            sweep_interval_ms: 60_000,
        }
    }
}

/// Queues, agent defaults, offer timing and invitation rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingConfig {
    /// The queues; a customer's session enters the first whose
    /// `issue_types` contains its issue type, else the first with none.
    pub queues: Vec<QueueConfig>,
    /// How long an agent has to answer an offer, in milliseconds.
    pub offer_timeout_ms: u64,
    /// Concurrent sessions per agent unless the token or `set_status` says otherwise.
    pub default_capacity: u32,
    /// How long after its last connection drops an agent turns offline, in milliseconds.
    pub offline_grace_ms: u64,
    /// How many recent waits per queue the wait estimate averages.
    pub wait_samples: usize,
    /// Proactive invitations sent by rule.
    pub invitation_rules: Vec<InvitationRule>,
    /// The service level's threshold, in seconds: the share of sessions
    /// answered within it (of those answered or abandoned in the last hour)
    /// is each queue's `seam_queue_service_level` metric.
    pub service_level_secs: u64,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        RoutingConfig {
            queues: Vec::new(),
            offer_timeout_ms: 20_000,
            default_capacity: 3,
            offline_grace_ms: 30_000,
            wait_samples: 20,
            invitation_rules: Vec::new(),
            service_level_secs: 20,
        }
    }
}

/// One queue.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    /// Its name.
    pub name: String,
    /// Customer issue types routed here; empty means "anything else".
    pub issue_types: Vec<String>,
    /// Skills an agent needs to be offered its sessions.
    pub skills: Vec<String>,
    /// Higher is served first.
    pub priority: i32,
    /// A bot answers first; the session reaches humans after a hand-off.
    pub bot_first: bool,
    /// Where a hand-off from this queue goes (default: this queue's humans).
    pub handoff_queue: Option<String>,
    /// When the queue is staffed (absent: always). Outside these hours the
    /// widget offers to leave a message instead of waiting.
    pub hours: Option<OpeningHours>,
}

impl QueueConfig {
    /// Whether an agent with `skills` has every skill this queue needs.
    pub fn served_by(&self, skills: &[String]) -> bool {
        self.skills.iter().all(|s| skills.contains(s))
    }
}

/// A queue's opening hours: weekly ranges in a time zone, minus holidays.
/// Ranges are `"HH:MM-HH:MM"` in the zone's local time (`"24:00"` ends at
/// midnight); a day without ranges is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OpeningHours {
    /// IANA time zone, e.g. `"Europe/Paris"` (default UTC).
    pub time_zone: String,
    /// Monday's ranges, e.g. `["09:00-12:30", "13:30-17:00"]`.
    pub monday: Vec<String>,
    /// Tuesday's ranges.
    pub tuesday: Vec<String>,
    /// Wednesday's ranges.
    pub wednesday: Vec<String>,
    /// Thursday's ranges.
    pub thursday: Vec<String>,
    /// Friday's ranges.
    pub friday: Vec<String>,
    /// Saturday's ranges.
    pub saturday: Vec<String>,
    /// Sunday's ranges.
    pub sunday: Vec<String>,
    /// Days closed all day, `"YYYY-MM-DD"` in the time zone.
    pub holidays: Vec<String>,
}

/// Invite a visitor who has been on a matching page for a while.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct InvitationRule {
    /// The page must start with this.
    pub page_prefix: Option<String>,
    /// The page view must carry this issue type.
    pub issue_type: Option<String>,
    /// Time on the page before the invitation, in milliseconds.
    pub after_ms: u64,
    /// The mode offered.
    pub mode: Mode,
    /// Offer the mode recommended for the visitor's issue type (among
    /// those available now) instead of `mode`.
    pub recommended: bool,
    /// The topic shown to the visitor.
    pub topic: String,
}

impl Default for InvitationRule {
    fn default() -> Self {
        InvitationRule {
            page_prefix: None,
            issue_type: None,
            after_ms: 30_000,
            mode: Mode::Chat,
            recommended: false,
            topic: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_defaults_and_typos_are_errors() {
        assert_eq!(Config::from_toml("").unwrap(), Config::default());
        let c =
            Config::from_toml("listen = \"0.0.0.0:9000\"\n[limits]\nhistory_limit = 5\n").unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.limits.history_limit, 5);
        assert_eq!(
            c.limits.outbound_queue,
            LimitsConfig::default().outbound_queue
        );
        let err = Config::from_toml("[limits]\nhistroy_limit = 5\n").unwrap_err();
        assert!(err.to_string().contains("histroy_limit"), "{err}");
    }
}
