//! The state every request and connection shares, built once at start-up.
//! It sits below the HTTP edge (`http`, `admin`, `connection`, `demo`) and
//! above the services it holds, so none of them import each other for it.

use std::sync::Arc;

use crate::auth::Authenticator;
use crate::config::Config;
use crate::dispatch::Dispatcher;
use crate::engine::SessionEngine;
use crate::hub::Hub;
use crate::lifecycle::Lifecycle;
use crate::media::Media;
use crate::shutdown::Shutdown;
use crate::store::{SessionStore, StoreHealth};
use crate::timers::Timers;

/// Shared by every request and connection.
pub(crate) struct AppState {
    pub(crate) config: Arc<Config>,
    pub(crate) auth: Authenticator,
    pub(crate) store: Arc<dyn SessionStore>,
    /// Whether the store's writes are failing (for `/healthz`).
    pub(crate) store_health: Arc<StoreHealth>,
    /// The Redis link's health, in cluster mode.
    pub(crate) cluster_health: Option<Arc<crate::cluster::ClusterHealth>>,
    pub(crate) engine: Arc<dyn SessionEngine>,
    pub(crate) hub: Arc<Hub>,
    /// Routing: queues, agents, offers (here or on the dispatching node).
    pub(crate) routing: Arc<Dispatcher>,
    pub(crate) lifecycle: Lifecycle,
    pub(crate) media: Media,
    pub(crate) timers: Timers,
    pub(crate) shutdown: Shutdown,
    /// The development secret, when running in development mode (`/demo/token`).
    pub(crate) dev_secret: Option<String>,
    /// Prometheus metrics (`/metrics`).
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
    /// Signs and checks attachment download links.
    pub(crate) links: crate::attachment::Signer,
    /// Sessions' analytics facts, between `/v1/analytics` requests.
    pub(crate) facts: crate::analytics::FactsCache,
    /// The mode recommendation's policy and what it learned.
    pub(crate) recommender: crate::recommend::Recommender,
}
