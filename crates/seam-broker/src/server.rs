//! Starting and stopping a broker: the composition root. It builds the
//! parts (store, hub, engine, timers, router, media, lifecycle), restores
//! what the store holds, binds, serves, and shuts everything down.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};
use tokio::task::JoinHandle;

use crate::auth::Authenticator;
use crate::clock::{Clock, SystemClock};
use crate::cluster::Cluster;
use crate::config::Config;
use crate::config::StoreKind;
use crate::dispatch::Dispatcher;
use crate::engine::CommitListener;
use crate::engine::{EngineOptions, LocalEngine, SessionEngine};
use crate::error::{ConfigError, StartError};
use crate::http;
use crate::hub::Hub;
use crate::ids::random_hex;
use crate::lifecycle::Lifecycle;
use crate::listener;
use crate::media::Media;
use crate::routing::Router;
use crate::shutdown::{Shutdown, ShutdownSignal};
use crate::state::AppState;
use crate::store::{
    MemoryStore, MonitoredStore, PostgresOptions, PostgresStore, SessionStore, SqliteOptions,
    SqliteStore,
};
use crate::timers::{Fired, Timer, TimerHandler, Timers};
use crate::tls::Terminator;
use crate::webhook::{self, WebhookPolicy};

/// How much longer than the drain deadline shutdown waits for WebSocket
/// closing handshakes and background tasks (they end on their own within it).
const CLOSE_MARGIN: Duration = Duration::from_secs(8);

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

    /// Like [`Broker::start`], with every timestamp and timer on `clock`
    /// (tests use a [`crate::clock::ManualClock`] to move time by hand).
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
        let metrics = crate::metrics::Metrics::new();
        let (store, store_health) = MonitoredStore::new(store);
        let store: Arc<dyn SessionStore> = Arc::new(store.observed(Arc::clone(&metrics)));
        let hub = Arc::new(Hub::new());
        let options = EngineOptions {
            history_limit: config.limits.history_limit,
            idempotency_keys: config.limits.idempotency_keys,
            history_bytes: config.limits.history_bytes,
            history_bytes_total: config.limits.history_bytes_total,
            webhooks: Arc::new(WebhookPolicy::new(&config.webhooks)),
            shared_store: config.store.kind == StoreKind::Postgres,
        };
        let mut cluster_listener = None;
        let (cluster, listener): (Option<Cluster>, Arc<dyn CommitListener>) =
            match &config.cluster.redis_url {
                Some(url) => {
                    let (cluster, listener) = Cluster::new(
                        url,
                        &config.cluster.channel,
                        Duration::from_millis(config.cluster.position_check_ms),
                        &hub,
                    )
                    .map_err(|e| ConfigError::Store(format!("invalid cluster.redis_url: {e}")))?;
                    let listener = Arc::new(listener);
                    cluster_listener = Some(Arc::clone(&listener));
                    (Some(cluster), listener)
                }
                None => (None, hub.clone()),
            };
        let local = Arc::new(LocalEngine::new(
            Arc::clone(&store),
            listener,
            Arc::clone(&clock),
            options,
        ));
        let engine: Arc<dyn SessionEngine> = local.clone();
        let listener = bind(config.listen).map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        let config = Arc::new(config);
        let timers = Timers::new(Arc::clone(&clock));
        let router = Arc::new(Router::new(
            config.routing.clone(),
            Arc::clone(&hub),
            timers.clone(),
            Arc::clone(&metrics),
        ));
        let routing = Arc::new(Dispatcher::new(
            Arc::clone(&router),
            hub.node(),
            Arc::clone(&clock),
        ));
        let media = Media::new(
            config.media.clone(),
            Arc::clone(&engine),
            Arc::clone(&hub),
            timers.clone(),
        );
        if let Some(listener) = &cluster_listener {
            listener.react_with(media.clone());
        }
        // One read of the open sessions serves the timers and routing.
        let open = engine.open_sessions().await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read the open sessions back");
            Vec::new()
        });
        media.resume_timers(&open);
        match &cluster {
            // The node that takes the dispatcher lease restores routing.
            Some(cluster) => {
                let lease = Duration::from_millis(config.cluster.lease_ms);
                routing.join_cluster(cluster.peers(), Arc::clone(&store), lease);
            }
            // After a restart: sessions that were waiting for an agent wait
            // again, and agents serve the sessions they took part in.
            None => router.restore(&open),
        }
        drop(open);
        let lifecycle = Lifecycle::new(
            Arc::clone(&engine),
            Arc::clone(&routing),
            Arc::clone(&hub),
            Arc::clone(&store),
            timers.clone(),
            config.limits.release_ended_after_ms,
        );
        let links = link_signer(&config, dev_secret.as_deref());
        let config_exploration = config.recommendation.exploration;
        let state = Arc::new(AppState {
            config,
            auth,
            store,
            store_health,
            cluster_health: cluster.as_ref().map(|c| Arc::clone(&c.health)),
            engine,
            hub,
            routing,
            lifecycle,
            media,
            timers,
            shutdown: Shutdown::new(),
            links,
            facts: crate::analytics::FactsCache::default(),
            recommender: crate::recommend::Recommender::new(crate::recommend::Policy {
                exploration: config_exploration,
                draws: crate::recommend::DRAWS,
            }),
            dev_secret: dev_secret.clone(),
            metrics,
        });
        tokio::spawn(trim_windows_forever(
            Arc::clone(&local),
            state.shutdown.subscribe(),
        ));
        tokio::spawn(publish_stats_forever(
            Arc::clone(&state),
            state.shutdown.subscribe(),
        ));
        tokio::spawn(learn_forever(
            Arc::clone(&state),
            state.shutdown.subscribe(),
        ));
        if let Some(cluster) = cluster {
            cluster.run(
                local,
                Arc::clone(&state.hub),
                Arc::clone(&state.routing),
                &state.shutdown,
            );
            tokio::spawn(Arc::clone(&state.routing).run(
                Arc::clone(&state.store),
                Arc::clone(&state.engine),
                state.shutdown.subscribe(),
            ));
        }
        state.timers.run(
            Arc::new(FireTimers(Arc::clone(&state))),
            state.shutdown.subscribe(),
        );
        let webhook_tls = webhook::tls_connector(&state.config.webhooks)?;
        tokio::spawn(webhook::deliver_forever(
            Arc::clone(&state.store),
            state.config.webhooks.clone(),
            !state.config.messages.keep_originals_for_staff,
            webhook_tls,
            clock,
            state.shutdown.subscribe(),
        ));
        if let Some(keep) = state.config.retention.ended_sessions_ms {
            tokio::spawn(sweep_ended_sessions(
                Arc::clone(&state),
                keep,
                Duration::from_millis(state.config.retention.sweep_interval_ms),
                state.shutdown.subscribe(),
            ));
        }
        let router = http::router(Arc::clone(&state));
        let tls = match (&state.config.tls.cert, &state.config.tls.key) {
            (Some(cert), Some(key)) => {
                let terminator = Terminator::new(cert, key)?;
                terminator.clone().watch(
                    Duration::from_millis(state.config.tls.reload_ms.max(100)),
                    state.shutdown.subscribe(),
                );
                Some(terminator)
            }
            _ => None,
        };
        let secure = tls.is_some();
        let limits = &state.config.limits;
        let server = listener::serve(
            listener,
            router,
            listener::Limits {
                max_connections: listener::cap_to_open_files(limits.max_connections),
                per_ip: limits.max_connections_per_ip,
                trusted_proxies: Arc::new(crate::proxy::TrustedProxies::parse(
                    &limits.trusted_proxies,
                )?),
                header_timeout: Duration::from_millis(limits.header_timeout_ms),
                drain: Duration::from_millis(limits.shutdown_drain_ms),
                tls,
            },
            state.shutdown.subscribe(),
        );
        tracing::info!(%addr, "seam broker listening");
        Ok(RunningBroker {
            addr,
            state,
            server,
            dev_secret,
            secure,
        })
    }
}

/// Hands each due timer to the part it belongs to.
struct FireTimers(Arc<AppState>);

impl TimerHandler for FireTimers {
    fn fire(&self, timer: Timer) -> Fired<'_> {
        Box::pin(async move {
            let state = &self.0;
            match timer {
                Timer::ModeRequestExpiry {
                    session_id,
                    request_id,
                } => state.media.expire(&session_id, &request_id).await,
                Timer::IceRefresh { session_id, call } => {
                    state.media.refresh(&session_id, call).await;
                }
                Timer::OfferExpiry { offer_id } => state.routing.expire(&offer_id),
                Timer::ReleaseSession {
                    session_id,
                    if_unwatched,
                } => {
                    if !if_unwatched || !state.hub.is_watched(&session_id) {
                        state.engine.release(&session_id);
                    }
                }
                Timer::AgentOffline { sub, presence } => {
                    if let Some((agent, served)) = state.routing.went_offline(&sub, presence).await
                    {
                        state.lifecycle.agent_gone(&agent, &served).await;
                    }
                }
                Timer::Invitation { sub, view, rule } => {
                    let router = state.routing.router();
                    let Some((mut rule, context)) = router.invitation_due(&sub, view, rule) else {
                        return;
                    };
                    if rule.recommended {
                        let queue = router.queue_for(&context);
                        let media = state.media.config();
                        match state.routing.modes_available(media, queue).await {
                            Ok(available) => {
                                let issue = context.issue_type.as_deref();
                                rule.mode = state.recommender.recommend(issue, &available).mode;
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "cannot tell which modes are available")
                            }
                        }
                    }
                    if state.engine.open_session_of(&sub).await.is_none() {
                        router.invite_by_rule(&sub, rule, context);
                    }
                }
            }
        })
    }
}

/// A broker that is serving.
pub struct RunningBroker {
    addr: SocketAddr,
    state: Arc<AppState>,
    server: JoinHandle<()>,
    dev_secret: Option<String>,
    /// Serving TLS (`wss://`, `https://`).
    secure: bool,
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

    /// The WebSocket URL clients connect to (`wss://` with TLS).
    pub fn ws_url(&self) -> String {
        let scheme = if self.secure { "wss" } else { "ws" };
        format!("{scheme}://{}/ws", self.addr)
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
    /// waits for them and the background tasks (timers, webhooks, retention)
    /// to finish: once it returns, nothing more is written to the store.
    pub async fn shutdown(self) {
        self.state.shutdown.trigger();
        // Connections registered after this see the signal themselves.
        self.state.hub.close_all(
            seam_protocol::CloseCode::GoingAway,
            crate::shutdown::GOING_AWAY,
        );
        let drain = Duration::from_millis(self.state.config.limits.shutdown_drain_ms);
        // The listener cuts HTTP connections at the drain deadline.
        let _ = self.server.await;
        if !self.state.shutdown.drained(CLOSE_MARGIN).await {
            tracing::warn!(?drain, "some connections did not close in time");
        }
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
/// `store.path`), PostgreSQL at `store.url`, or memory.
pub async fn open_store(config: &Config) -> Result<Arc<dyn SessionStore>, StartError> {
    Ok(match config.store.kind {
        StoreKind::Postgres => {
            let url = config.store.url.clone().ok_or_else(|| {
                ConfigError::Store(
                    "store.kind = \"postgres\" needs store.url (or SEAM_POSTGRES_URL)".into(),
                )
            })?;
            let mut options = PostgresOptions::new(url);
            options.schema = config.store.schema.clone();
            if !config.store.group_commit {
                options.max_batch = 1;
            }
            Arc::new(PostgresStore::open(options).await?)
        }
        StoreKind::Memory => Arc::new(MemoryStore::new()),
        StoreKind::Sqlite => {
            let path = config.sqlite_path();
            let options = SqliteOptions {
                max_batch: if config.store.group_commit { 256 } else { 1 },
                full_sync: config.store.full_sync,
                ..SqliteOptions::default()
            };
            Arc::new(SqliteStore::open(&path, options)?)
        }
    })
}

/// How often the windows of held sessions are checked against the process
/// budget (`limits.history_bytes_total`).
const TRIM_WINDOWS_EVERY: Duration = Duration::from_secs(1);

/// Keeps the windows of held sessions within the process budget.
async fn trim_windows_forever(engine: Arc<LocalEngine>, mut shutdown: ShutdownSignal) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(TRIM_WINDOWS_EVERY) => {}
            _ = shutdown.recv() => return,
        }
        let freed = engine.trim_windows();
        if freed > 0 {
            tracing::debug!(freed, "trimmed resume windows to the process budget");
        }
    }
}

/// How often subscribed dashboards get the routing overview.
const STATS_EVERY: Duration = Duration::from_secs(2);

/// Pushes the routing overview to `subscribe_stats` connections, every
/// [`STATS_EVERY`], while there are any.
async fn publish_stats_forever(state: Arc<AppState>, mut shutdown: ShutdownSignal) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(STATS_EVERY) => {}
            _ = shutdown.recv() => return,
        }
        if !state.hub.wants_stats() {
            continue;
        }
        let overview = match state.engine.open_sessions().await {
            Ok(open) => state.routing.overview(open).await,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read open sessions for live stats");
                continue;
            }
        };
        match overview {
            Ok(overview) => {
                let frame = crate::frame::Frame::encode(&seam_protocol::ServerFrame::Stats {
                    at: state.timers.clock().now_millis(),
                    overview: Box::new(overview),
                });
                state.hub.publish_stats(&frame);
            }
            Err(e) => tracing::warn!(error = %e, "cannot read routing for live stats"),
        }
    }
}

/// Rebuilds the mode recommendation's evidence from the store at start
/// and every `recommendation.refresh_ms`.
async fn learn_forever(state: Arc<AppState>, mut shutdown: ShutdownSignal) {
    let every = Duration::from_millis(state.config.recommendation.refresh_ms);
    loop {
        let now = state.timers.clock().now_millis();
        match crate::recommend::learn(
            state.store.as_ref(),
            &state.facts,
            &state.config.recommendation,
            now,
        )
        .await
        {
            Ok(evidence) => state.recommender.learn(evidence),
            Err(e) => tracing::warn!(error = %e, "cannot learn mode recommendations"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.recv() => return,
        }
    }
}

/// Deletes sessions that ended more than `keep_ms` ago, every `interval`.
async fn sweep_ended_sessions(
    state: Arc<AppState>,
    keep_ms: u64,
    interval: Duration,
    mut shutdown: ShutdownSignal,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.recv() => return,
        }
        match state.lifecycle.expire_ended(keep_ms).await {
            Ok(ids) if !ids.is_empty() => {
                state.facts.forget(&ids);
                tracing::info!(count = ids.len(), "deleted ended sessions past retention");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "retention sweep failed"),
        }
    }
}

/// The key attachment links are signed with: configured, else derived
/// from the token secret (shared by a cluster's nodes), else random (one
/// node only: links made by one process are refused by another).
fn link_signer(config: &Config, dev_secret: Option<&str>) -> crate::attachment::Signer {
    let secret = config
        .attachments
        .signing_secret
        .as_deref()
        .or(config.auth.hs256_secret.as_deref())
        .or(dev_secret);
    match secret {
        Some(secret) => crate::attachment::Signer::from_secret(secret),
        None => crate::attachment::Signer::from_secret(&random_hex(32)),
    }
}

/// Everything [`Broker::start`] checks before it touches the network or
/// the store: settings that cannot work together, and the key and
/// certificate files (read and parsed). `seam config check` runs it.
pub fn check_config(config: &Config) -> Result<(), StartError> {
    validate(config)?;
    // In development mode a generated secret stands in for missing keys.
    let dev_secret = (config.auth.dev && !config.auth.has_keys()).then(|| random_hex(32));
    Authenticator::from_config(&config.auth, dev_secret.as_deref())?;
    if let (Some(cert), Some(key)) = (&config.tls.cert, &config.tls.key) {
        crate::tls::Terminator::new(cert, key)?;
    }
    Ok(())
}

fn validate(config: &Config) -> Result<(), ConfigError> {
    if config.cluster.redis_url.is_some() && config.store.kind != StoreKind::Postgres {
        return Err(ConfigError::Store(
            "cluster.redis_url needs store.kind = \"postgres\" (the nodes share PostgreSQL)".into(),
        ));
    }
    if config.cluster.lease_ms < 300 {
        return Err(ConfigError::Limit(
            "cluster.lease_ms must be at least 300".into(),
        ));
    }
    if config.cluster.position_check_ms == 0 {
        return Err(ConfigError::Limit(
            "cluster.position_check_ms must be positive".into(),
        ));
    }
    for kind in &config.attachments.allowed_types {
        if !crate::attachment::KNOWN_TYPES.contains(&kind.as_str()) {
            return Err(ConfigError::Limit(format!(
                "attachments.allowed_types: `{kind}` is not one seam recognises ({})",
                crate::attachment::KNOWN_TYPES.join(", ")
            )));
        }
    }
    let r = &config.recommendation;
    if !(0.0..=1.0 / 3.0).contains(&r.exploration) {
        return Err(ConfigError::Limit(
            "recommendation.exploration must be between 0 and 1/3 (three modes)".into(),
        ));
    }
    if r.refresh_ms < 100 || r.history_days == 0 {
        return Err(ConfigError::Limit(
            "recommendation.refresh_ms must be at least 100 and recommendation.history_days positive".into(),
        ));
    }
    for queue in &config.routing.queues {
        if let Some(hours) = &queue.hours {
            crate::hours::Schedule::new(&queue.name, hours)?;
        }
    }
    let l = &config.limits;
    crate::proxy::TrustedProxies::parse(&l.trusted_proxies)?;
    if l.max_transport_bytes < l.max_frame_bytes {
        return Err(ConfigError::Limit(
            "limits.max_transport_bytes must be at least limits.max_frame_bytes".into(),
        ));
    }
    if l.outbound_queue == 0
        || l.history_limit == 0
        || l.max_connections == 0
        || l.max_connections_per_principal == 0
        || l.idempotency_keys == 0
    {
        return Err(ConfigError::Limit(
            "limits.outbound_queue, history_limit, idempotency_keys, max_connections and max_connections_per_principal must be positive".into(),
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
    if let Some(url) = hooks
        .urls
        .iter()
        .find(|u| !u.starts_with("http://") && !u.starts_with("https://"))
    {
        return Err(ConfigError::Limit(format!(
            "webhook URL `{url}` must start with http:// or https://"
        )));
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
    let canned = &config.canned_responses;
    for (i, reply) in canned.iter().enumerate() {
        crate::canned::check(&reply.shortcut, &reply.text, config.limits.max_text_chars)
            .map_err(|why| ConfigError::Limit(format!("canned_responses: {why}")))?;
        if canned[..i].iter().any(|c| c.shortcut == reply.shortcut) {
            return Err(ConfigError::Limit(format!(
                "canned_responses: shortcut `{}` must be unique",
                reply.shortcut
            )));
        }
    }
    if config.tls.cert.is_some() != config.tls.key.is_some() {
        return Err(ConfigError::Limit(
            "tls.cert and tls.key go together: set both, or neither".into(),
        ));
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
