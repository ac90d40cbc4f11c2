//! The broker library's error types.

use std::path::PathBuf;

/// A configuration that cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is not valid TOML for [`crate::Config`].
    #[error("invalid config: {0}")]
    Toml(String),
    /// A key file could not be read or parsed.
    #[error("invalid {what} key {path}: {reason}")]
    Key {
        /// Which key.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// No verification key and not in development mode.
    #[error("no token verification key configured: set auth.hs256_secret, auth.rs256_public_key or auth.es256_public_key, or run in development mode (--dev)")]
    NoKeys,
    /// The store or cluster settings cannot work together.
    #[error("invalid store settings: {0}")]
    Store(String),
    /// A limit that makes no sense.
    #[error("invalid limit: {0}")]
    Limit(String),
    /// The development secret could not be created.
    #[error("cannot create development secret in {path}: {source}")]
    DevSecret {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Why the broker could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The TLS certificate or key could not be loaded.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// The store could not be loaded.
    #[error("cannot load sessions from the store: {0}")]
    Store(#[from] StoreError),
}

/// A store operation failed; the command it served was not acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The event's session is unknown to the store.
    #[error("session {0} is not in the store")]
    UnknownSession(String),
    /// An event arrived out of order (its `seq` is not the next one).
    #[error("event {seq} of session {session_id} is out of order (expected {expected})")]
    OutOfOrder {
        /// The session.
        session_id: String,
        /// The event's seq.
        seq: u64,
        /// The seq the store expected.
        expected: u64,
    },
    /// The customer already has an open session (another node opened it
    /// first): the session to use instead.
    #[error("customer already has open session {session_id}")]
    AlreadyOpen {
        /// The open session.
        session_id: String,
    },
    /// The command id was applied before, as the event with this seq.
    #[error("command already applied as event {seq}")]
    DuplicateCommand {
        /// The original event's seq.
        seq: u64,
    },
    /// The store cannot be reached right now; the write did not happen and
    /// may be retried.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The backend failed.
    #[error("store backend failed: {0}")]
    Backend(String),
}
