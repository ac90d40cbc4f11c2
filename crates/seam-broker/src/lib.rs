//! The seam broker as a library.
//!
//! [`Broker::start`] binds one port that serves `GET /healthz` and the
//! WebSocket endpoint `/ws`, speaking the protocol in `seam-protocol`.
//! See `docs/ARCHITECTURE.md` for the map of modules and tasks.

mod admin;
pub mod auth;
pub mod clock;
pub(crate) mod command;
pub mod config;
mod connection;
mod demo;
mod error;
mod http;
mod hub;
pub mod media;
mod outbox;
mod rate_limit;
pub mod routing;
mod server;
mod session;
mod shutdown;
pub mod store;
pub mod webhook;

pub use auth::{mint_hs256, Authenticator, Claims, Identity};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    AuthConfig, Config, HeartbeatConfig, IceServerConfig, InvitationRule, LimitsConfig,
    MediaConfig, QueueConfig, RetentionConfig, RoutingConfig, StoreConfig, StoreKind,
    WebhookConfig,
};
pub use error::{ConfigError, StartError};
pub use server::{load_or_create_dev_secret, open_store, Broker, RunningBroker};
pub use store::{MemoryStore, SessionStore, SqliteOptions, SqliteStore};
