//! The seam broker as a library.
//!
//! [`Broker::start`] binds one port that serves `GET /healthz`, the
//! WebSocket endpoint `/ws`, the `/v1` admin API and `/demo`, speaking the
//! protocol in `seam-protocol`. See `docs/ARCHITECTURE.md` for the map of
//! modules and tasks, and the invariants the layer test enforces.

mod admin;
mod analytics;
mod api;
mod attachment;
pub mod auth;
mod canned;
pub mod clock;
mod cluster;
mod command;
pub mod config;
pub mod conformance;
mod connection;
mod demo;
mod dispatch;
pub mod engine;
mod error;
pub mod frame;
mod hours;
mod http;
mod hub;
mod ids;
mod lifecycle;
mod listener;
mod maps;
mod media;
mod metrics;
mod openapi;
mod outbox;
mod peers;
mod proxy;
mod rate_limit;
mod recommend;
mod reports;
mod routing;
mod server;
pub mod session;
mod shutdown;
mod state;
pub mod store;
mod throttle;
mod timers;
mod tls;
mod uploads;
pub mod webhook;

pub use auth::{mint_hs256, Authenticator, Claims, Identity};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    default_toml, explain, AuthConfig, CannedResponseConfig, ClusterConfig, Config,
    HeartbeatConfig, IceServerConfig, InvitationRule, LimitsConfig, MediaConfig, OpeningHours,
    QueueConfig, RecommendationConfig, RetentionConfig, RoutingConfig, StoreConfig, StoreKind,
    TlsConfig, WebhookConfig,
};
pub use engine::{LocalEngine, SessionEngine};
pub use error::{ConfigError, StartError};
pub use server::{check_config, load_or_create_dev_secret, open_store, Broker, RunningBroker};
pub use store::{backup_sqlite, MemoryStore, SessionStore, SqliteOptions, SqliteStore};
