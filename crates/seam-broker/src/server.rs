//! Starting and stopping a broker: bind, serve, shut down gracefully.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use seam_protocol::{OfferKind, SessionState};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::auth::Authenticator;
use crate::clock::now_millis;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::config::StoreKind;
use crate::error::{ConfigError, StartError};
use crate::http;
use crate::hub::{random_hex, Hub};
use crate::media;
use crate::routing::{Enqueue, Router, Stage};
use crate::shutdown::Shutdown;
use crate::shutdown::ShutdownSignal;
use crate::store::SessionStore;
use crate::store::{MemoryStore, SqliteOptions, SqliteStore};
use crate::webhook::{self, WebhookPolicy};

/// How long shutdown waits for connections to close.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// State shared by every request and connection.
pub(crate) struct AppState {
    pub(crate) config: Arc<Config>,
    pub(crate) auth: Authenticator,
    pub(crate) hub: Arc<Hub>,
    pub(crate) router: Arc<Router>,
    pub(crate) shutdown: Shutdown,
    pub(crate) connection_permits: Arc<Semaphore>,
    /// The development secret, when running in development mode (`/demo/token`).
    pub(crate) dev_secret: Option<String>,
}

/// Entry point for running a broker.
#[derive(Debug)]
pub struct Broker;

impl Broker {
    /// Checks the config, restores sessions from `store`, binds the listen
    /// address and starts serving.
    pub async fn start(
        config: Config,
        store: Arc<dyn SessionStore>,
    ) -> Result<RunningBroker, StartError> {
        Broker::start_with_clock(config, store, Arc::new(SystemClock)).await
    }

    /// Like [`Broker::start`], with routing reading time from `clock`
    /// (tests use a [`crate::clock::ManualClock`] for deterministic decisions).
    pub async fn start_with_clock(
        config: Config,
        store: Arc<dyn SessionStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<RunningBroker, StartError> {
        validate(&config)?;
        let dev_secret = if config.auth.dev && !config.auth.has_keys() {
            Some(load_or_create_dev_secret(&config.data_dir)?)
        } else {
            None
        };
        let auth = Authenticator::from_config(&config.auth, dev_secret.as_deref())?;
        let webhooks = Arc::new(WebhookPolicy::new(&config.webhooks));
        let hub = Arc::new(Hub::restore(store, config.limits.history_limit, webhooks).await?);
        let listener = bind(config.listen).map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        let config = Arc::new(config);
        media::resume_timers(&config, &hub).await;
        let router = Arc::new(Router::new(config.routing.clone(), clock));
        requeue_waiting(&router, &hub).await;
        let state = Arc::new(AppState {
            connection_permits: Arc::new(Semaphore::new(config.limits.max_connections)),
            config,
            auth,
            hub,
            router,
            shutdown: Shutdown::new(),
            dev_secret: dev_secret.clone(),
        });
        tokio::spawn(webhook::deliver_forever(
            state.hub.store_handle(),
            state.config.webhooks.clone(),
            state.shutdown.subscribe(),
        ));
        if let Some(keep) = state.config.retention.ended_sessions_ms {
            tokio::spawn(sweep_ended_sessions(
                Arc::clone(&state.hub),
                keep,
                Duration::from_millis(state.config.retention.sweep_interval_ms),
                state.shutdown.subscribe(),
            ));
        }
        let router = http::router(Arc::clone(&state));
        // Small frames must leave at once: no Nagle delay on any connection.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let mut stop = state.shutdown.subscribe();
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, router)
                .with_graceful_shutdown(async move { stop.recv().await });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "server failed");
            }
        });
        tracing::info!(%addr, "seam broker listening");
        Ok(RunningBroker {
            addr,
            state,
            server,
            dev_secret,
        })
    }
}

/// A broker that is serving.
pub struct RunningBroker {
    addr: SocketAddr,
    state: Arc<AppState>,
    server: JoinHandle<()>,
    dev_secret: Option<String>,
}

impl std::fmt::Debug for RunningBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningBroker")
            .field("addr", &self.addr)
            .finish()
    }
}

impl RunningBroker {
    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The WebSocket URL clients connect to.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// The development HS256 secret, when running in development mode.
    pub fn dev_secret(&self) -> Option<&str> {
        self.dev_secret.as_deref()
    }

    /// Open connections.
    pub fn connections(&self) -> usize {
        self.state.hub.connections()
    }

    /// Stops accepting, closes every connection with 1001 (going away) and
    /// waits for them to finish.
    pub async fn shutdown(self) {
        self.state.shutdown.trigger();
        if !self.state.shutdown.drained(DRAIN_LIMIT).await {
            tracing::warn!("some connections did not close in time");
        }
        let _ = self.server.await;
        tracing::info!("seam broker stopped");
    }
}

/// How many connections may wait to be accepted: enough for every client
/// reconnecting at once after a restart (the kernel caps it at somaxconn).
const ACCEPT_BACKLOG: u32 = 8192;

fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_BACKLOG)
}

/// Opens the store the config names: SQLite in `data_dir` (or
/// `store.path`), or memory.
pub fn open_store(config: &Config) -> Result<Arc<dyn SessionStore>, StartError> {
    Ok(match config.store.kind {
        StoreKind::Memory => Arc::new(MemoryStore::new()),
        StoreKind::Sqlite => {
            let path = config
                .store
                .path
                .clone()
                .unwrap_or_else(|| config.data_dir.join("seam.db"));
            let options = SqliteOptions {
                max_batch: if config.store.group_commit { 256 } else { 1 },
                full_sync: config.store.full_sync,
            };
            Arc::new(SqliteStore::open(&path, options)?)
        }
    })
}

/// Deletes sessions that ended more than `keep_ms` ago, every `interval`.
async fn sweep_ended_sessions(
    hub: Arc<Hub>,
    keep_ms: u64,
    interval: Duration,
    mut shutdown: ShutdownSignal,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.recv() => return,
        }
        match hub
            .store()
            .delete_ended_before(now_millis().saturating_sub(keep_ms))
            .await
        {
            Ok(ids) if !ids.is_empty() => {
                tracing::info!(count = ids.len(), "deleted ended sessions past retention");
                hub.remove(&ids);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "retention sweep failed"),
        }
    }
}

/// After a restart, sessions that were waiting for an agent wait again.
async fn requeue_waiting(router: &Arc<Router>, hub: &Hub) {
    if !router.enabled() {
        return;
    }
    for session in hub.sessions() {
        let (state, _, queue, staff) = session.overview().await;
        let Some(queue) = queue.filter(|_| state == SessionState::Open && staff.is_empty()) else {
            continue;
        };
        let bot_first = router.queue(&queue).is_ok_and(|q| q.bot_first);
        router.enqueue(Enqueue {
            session,
            queue,
            stage: if bot_first { Stage::Bot } else { Stage::Human },
            kind: OfferKind::Queue,
            only_agent: None,
            note: None,
            requested_mode: None,
        });
    }
}

fn validate(config: &Config) -> Result<(), ConfigError> {
    let l = &config.limits;
    if l.max_transport_bytes < l.max_frame_bytes {
        return Err(ConfigError::Limit(
            "limits.max_transport_bytes must be at least limits.max_frame_bytes".into(),
        ));
    }
    if l.outbound_queue == 0 || l.history_limit == 0 || l.max_connections == 0 {
        return Err(ConfigError::Limit(
            "limits.outbound_queue, history_limit and max_connections must be positive".into(),
        ));
    }
    for server in &config.media.ice_servers {
        if server.urls.is_empty() {
            return Err(ConfigError::Limit(
                "every media.ice_servers entry needs urls".into(),
            ));
        }
        if server.secret.is_some() && (server.username.is_some() || server.credential.is_some()) {
            return Err(ConfigError::Limit(
                "an ICE server has either a secret or a static username/credential, not both"
                    .into(),
            ));
        }
        if server.username.is_some() != server.credential.is_some() {
            return Err(ConfigError::Limit(
                "a static ICE server credential needs both username and credential".into(),
            ));
        }
        if server.ttl_secs < 2 {
            return Err(ConfigError::Limit(
                "media.ice_servers ttl_secs must be at least 2".into(),
            ));
        }
    }
    let hooks = &config.webhooks;
    if !hooks.urls.is_empty() && hooks.secret.as_deref().is_none_or(str::is_empty) {
        return Err(ConfigError::Limit(
            "webhooks.urls needs webhooks.secret to sign deliveries".into(),
        ));
    }
    if let Some(url) = hooks.urls.iter().find(|u| !u.starts_with("http://")) {
        return Err(ConfigError::Limit(format!("webhook URL `{url}` must start with http:// (terminate TLS in a local proxy for https endpoints)")));
    }
    if hooks.max_attempts == 0 || hooks.retry_initial_ms == 0 || hooks.poll_ms == 0 {
        return Err(ConfigError::Limit(
            "webhooks.max_attempts, retry_initial_ms and poll_ms must be positive".into(),
        ));
    }
    let queues = &config.routing.queues;
    for (i, queue) in queues.iter().enumerate() {
        if queue.name.is_empty() || queues[..i].iter().any(|q| q.name == queue.name) {
            return Err(ConfigError::Limit(
                "every routing queue needs a unique, non-empty name".into(),
            ));
        }
        if let Some(target) = &queue.handoff_queue {
            if !queues.iter().any(|q| &q.name == target) {
                return Err(ConfigError::Limit(format!(
                    "queue `{}` hands off to unknown queue `{target}`",
                    queue.name
                )));
            }
        }
    }
    if config.heartbeat.interval_ms == 0
        || config.heartbeat.timeout_ms < config.heartbeat.interval_ms
    {
        return Err(ConfigError::Limit(
            "heartbeat.interval_ms must be positive and at most heartbeat.timeout_ms".into(),
        ));
    }
    Ok(())
}

/// The development secret kept in `data_dir/dev-secret`, created on first use.
pub fn load_or_create_dev_secret(data_dir: &Path) -> Result<String, ConfigError> {
    let path = data_dir.join("dev-secret");
    let err = |source| ConfigError::DevSecret {
        path: path.clone(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(secret) if secret.trim().len() >= 16 => return Ok(secret.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(err(e)),
    }
    std::fs::create_dir_all(data_dir).map_err(err)?;
    let secret = random_hex(32);
    std::fs::write(&path, &secret).map_err(err)?;
    Ok(secret)
}
