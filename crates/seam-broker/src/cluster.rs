//! Cluster mode: several nodes share one PostgreSQL store, and Redis
//! carries to every node what each one commits and relays.
//!
//! PostgreSQL is the authority (see [`crate::store::PostgresStore`]): an
//! event is acknowledged once it is committed there, with its `seq`. Redis
//! is only the fast path. After a commit the node publishes the event on
//! the cluster's channel; every other node folds it into the sessions it
//! holds if it is the next one, and fills a gap from PostgreSQL when it is
//! not ([`LocalEngine::apply_remote`]). A publish that never arrives (the
//! node died between commit and publish, Redis restarted) is healed by the
//! position check: every `position_check_ms`, and right after the
//! subscription comes back, each node compares the sessions it holds with
//! PostgreSQL's `last_seq` and reads what it missed
//! ([`LocalEngine::check_positions`]).
//!
//! Ephemeral frames (typing, signaling, a customer's queue position) are
//! relayed the same way and never stored: lost, like on one node, when a
//! connection or Redis drops them.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use futures_util::StreamExt;
use seam_protocol::SessionEvent;
use tokio::sync::mpsc;

use crate::dispatch::Dispatcher;
use crate::engine::{CommitListener, LocalEngine};
use crate::frame::Frame;
use crate::hub::Hub;
use crate::media::Media;
use crate::peers::{Envelope, Peers};
use crate::shutdown::{Shutdown, ShutdownSignal};
use crate::throttle::Throttled;

/// Most publishes sent to Redis in one pipeline.
const MAX_PIPELINE: usize = 256;

/// Whether the node's link to Redis works.
#[derive(Debug, Default)]
pub(crate) struct ClusterHealth {
    failing: Mutex<Option<String>>,
}

impl ClusterHealth {
    fn failing(&self) -> MutexGuard<'_, Option<String>> {
        // A plain value, replaced whole.
        self.failing.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The last Redis error, while the link is down.
    pub(crate) fn failure(&self) -> Option<String> {
        self.failing().clone()
    }

    fn fail(&self, why: String) {
        *self.failing() = Some(why);
    }

    fn recover(&self) {
        if self.failing().take().is_some() {
            tracing::info!("Redis link works again");
        }
    }
}

/// The listener a cluster node gives its engine: local subscribers get
/// every event; the other nodes get the events this node committed; calls
/// react to the events other nodes committed as to this node's own.
pub(crate) struct ClusterListener {
    hub: Arc<Hub>,
    peers: Peers,
    media: OnceLock<Media>,
}

impl ClusterListener {
    /// From now on, `media` also hears of other nodes' mode requests and
    /// call starts (it is built after the engine this listener serves).
    pub(crate) fn react_with(&self, media: Media) {
        let _ = self.media.set(media);
    }
}

impl CommitListener for ClusterListener {
    fn committed(&self, event: &SessionEvent, frame: &Frame) {
        self.hub.committed(event, frame);
        self.peers.publish(event);
    }

    fn received(&self, event: &SessionEvent, frame: &Frame) {
        self.hub.committed(event, frame);
        if let Some(media) = self.media.get() {
            media.remote_event(event);
        }
    }
}

/// A node's Redis link before its engine exists.
pub(crate) struct Cluster {
    client: redis::Client,
    channel: String,
    position_check: Duration,
    peers: Peers,
    outgoing: mpsc::UnboundedReceiver<String>,
    /// The link's health, for `/healthz`.
    pub(crate) health: Arc<ClusterHealth>,
}

impl Cluster {
    /// Prepares the link (nothing connects until [`Cluster::run`]).
    pub(crate) fn new(
        redis_url: &str,
        channel: &str,
        position_check: Duration,
        hub: &Arc<Hub>,
    ) -> Result<(Cluster, ClusterListener), redis::RedisError> {
        let client = redis::Client::open(redis_url)?;
        let (tx, outgoing) = mpsc::unbounded_channel();
        let peers = Peers::new(hub.node(), tx);
        hub.join_cluster(peers.clone());
        let listener = ClusterListener {
            hub: Arc::clone(hub),
            peers: peers.clone(),
            media: OnceLock::new(),
        };
        let cluster = Cluster {
            client,
            channel: channel.to_owned(),
            position_check,
            peers,
            outgoing,
            health: Arc::new(ClusterHealth::default()),
        };
        Ok((cluster, listener))
    }

    /// This node's sending side.
    pub(crate) fn peers(&self) -> Peers {
        self.peers.clone()
    }

    /// Starts publishing, subscribing and checking positions, until
    /// shutdown.
    pub(crate) fn run(
        self,
        engine: Arc<LocalEngine>,
        hub: Arc<Hub>,
        routing: Arc<Dispatcher>,
        shutdown: &Shutdown,
    ) {
        let Cluster {
            client,
            channel,
            position_check,
            peers,
            outgoing,
            health,
        } = self;
        tokio::spawn(publish(
            client.clone(),
            channel.clone(),
            outgoing,
            Arc::clone(&health),
            shutdown.subscribe(),
        ));
        let targets = Targets {
            engine: Arc::clone(&engine),
            hub,
            routing,
        };
        tokio::spawn(subscribe(
            client,
            channel,
            peers.node().to_owned(),
            targets,
            health,
            shutdown.subscribe(),
        ));
        tokio::spawn(check_positions(
            engine,
            position_check,
            shutdown.subscribe(),
        ));
    }
}

/// Sends queued messages to Redis, pipelined. While Redis is unreachable
/// they are dropped (the position check heals events; ephemeral frames are
/// lost, as they may be on one node).
async fn publish(
    client: redis::Client,
    channel: String,
    mut outgoing: mpsc::UnboundedReceiver<String>,
    health: Arc<ClusterHealth>,
    mut shutdown: ShutdownSignal,
) {
    let log = Throttled::new("cannot publish to Redis", Duration::from_secs(10));
    let mut connection = None;
    loop {
        let first = tokio::select! {
            next = outgoing.recv() => match next {
                Some(first) => first,
                None => return,
            },
            _ = shutdown.recv() => return,
        };
        let mut batch = vec![first];
        while batch.len() < MAX_PIPELINE {
            match outgoing.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        if connection.is_none() {
            match client.get_multiplexed_async_connection().await {
                Ok(c) => connection = Some(c),
                Err(e) => {
                    log.error(&e.to_string());
                    health.fail(e.to_string());
                    continue;
                }
            }
        }
        let Some(conn) = connection.as_mut() else {
            continue;
        };
        let mut pipe = redis::pipe();
        for payload in &batch {
            pipe.publish(&channel, payload).ignore();
        }
        if let Err(e) = pipe.query_async::<()>(conn).await {
            log.error(&e.to_string());
            health.fail(e.to_string());
            connection = None;
        }
    }
}

/// Receives the other nodes' messages; reconnects when the subscription
/// drops, and checks positions as soon as it is back (what was published
/// meanwhile never arrives).
async fn subscribe(
    client: redis::Client,
    channel: String,
    node: String,
    targets: Targets,
    health: Arc<ClusterHealth>,
    mut shutdown: ShutdownSignal,
) {
    let log = Throttled::new("Redis subscription failed", Duration::from_secs(10));
    let mut backoff = Duration::from_millis(100);
    loop {
        let subscribed = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        let mut pubsub = tokio::select! {
            result = subscribed => match result {
                Ok(pubsub) => pubsub,
                Err(e) => {
                    log.error(&e.to_string());
                    health.fail(e.to_string());
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.recv() => return,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                    continue;
                }
            },
            _ = shutdown.recv() => return,
        };
        backoff = Duration::from_millis(100);
        health.recover();
        heal(&targets.engine).await;
        let mut messages = pubsub.on_message();
        loop {
            let message = tokio::select! {
                next = messages.next() => match next {
                    Some(message) => message,
                    None => break,
                },
                _ = shutdown.recv() => return,
            };
            let Ok(payload) = message.get_payload::<String>() else {
                continue;
            };
            match serde_json::from_str::<Envelope>(&payload) {
                Ok(envelope) => deliver(envelope, &node, &targets),
                Err(e) => tracing::warn!(error = %e, "unreadable cluster message"),
            }
        }
        health.fail("the Redis subscription closed".into());
    }
}

/// Where the other nodes' messages go.
struct Targets {
    engine: Arc<LocalEngine>,
    hub: Arc<Hub>,
    routing: Arc<Dispatcher>,
}

/// Hands one message from another node to the engine, the hub or routing.
fn deliver(envelope: Envelope, node: &str, targets: &Targets) {
    let Targets {
        engine,
        hub,
        routing,
    } = targets;
    match envelope {
        Envelope::Event { node: from, .. }
        | Envelope::Relay { node: from, .. }
        | Envelope::ToPrincipal { node: from, .. }
        | Envelope::Routing { node: from, .. }
            if from == node => {}
        Envelope::Event { event, .. } => {
            // Most events are folded in right here, in the order they came.
            if engine.try_apply_remote(&event) {
                return;
            }
            // Not on the receive loop: it waits for the session's order or
            // reads a gap from PostgreSQL.
            let engine = Arc::clone(engine);
            tokio::spawn(async move {
                if let Err(e) = engine.apply_remote(&event).await {
                    tracing::warn!(error = %e, session_id = %event.session_id, "cannot apply a remote event; the position check will");
                }
            });
        }
        Envelope::Relay {
            node: from,
            session_id,
            to,
            frame,
        } => {
            // A relayed signal names its sender's connection: a reply may
            // name it back before that node's next heartbeat.
            routing.alive(&from);
            hub.deliver_relayed(&session_id, &to, &Frame::from_json(frame));
        }
        Envelope::ToPrincipal { sub, frame, .. } => {
            hub.send_to(&sub, &Frame::from_json(frame));
        }
        Envelope::Routing {
            node: from,
            message,
        } => routing.receive(&from, &message),
    }
}

async fn heal(engine: &LocalEngine) {
    match engine.check_positions().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(sessions = n, "caught up with events missed by the fan-out"),
        Err(e) => tracing::warn!(error = %e, "position check failed"),
    }
}

/// Checks positions every `interval` until shutdown.
async fn check_positions(
    engine: Arc<LocalEngine>,
    interval: Duration,
    mut shutdown: ShutdownSignal,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => heal(&engine).await,
            _ = shutdown.recv() => return,
        }
    }
}
