//! Who routes: this node's [`Router`] on one node; in a cluster, the one
//! node holding the dispatcher lease, which the others ask over Redis.
//!
//! Routing decisions are global (the agent idle the longest among every
//! agent, positions among every waiting customer, capacity across all of an
//! agent's sessions), so in a cluster one node makes them: the node holding
//! the `dispatcher` lease in PostgreSQL ([`SessionStore::hold_lease`]). It
//! runs the same [`Router`] a single node runs. Every other node forwards
//! its routing calls on the cluster channel and waits for the answer;
//! offers and queue positions reach connections on any node through the
//! hub's relays.
//!
//! Taking over: a node that gains the lease rebuilds routing from
//! PostgreSQL (the sessions waiting, and the sessions each agent serves)
//! and asks every node it hears from (each sends a heartbeat every third of
//! the lease) for its agents' presence. A node silent for longer than the
//! lease counts as gone: its agents' connections are dropped, and they turn
//! offline after the grace period unless they reconnect elsewhere. A
//! dispatcher that cannot renew its lease stops before the lease can run
//! out, so two nodes never dispatch at once; one whose renewal comes back
//! late, with nobody else having held the lease, goes on as it was.
//! Agents' statuses are also kept in the store, for the next dispatcher.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use seam_protocol::{AgentStatus, Overview, Principal, Role, SessionId};
use serde::{Deserialize, Serialize};
use tokio::sync::{oneshot, Notify};

use crate::auth::Identity;
use crate::clock::Clock;
use crate::engine::SessionEngine;
use crate::peers::Peers;
use crate::routing::{
    with_sessions, Accepted, Enqueue, Presence, Routed, Router, RoutingError, StatusChange,
};
use crate::session::SessionView;
use crate::shutdown::ShutdownSignal;
use crate::store::{AgentStatusRecord, LeaseHold, SessionStore};
use crate::timers::Timer;

/// The lease's name in the store.
const LEASE: &str = "dispatcher";

/// Characters of a waiting customer's first message shown with offers.
const PREVIEW_CHARS: usize = 280;

/// What a node and the dispatcher tell each other.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Message {
    /// For the dispatcher: a routing call to answer.
    Call {
        /// Names the answer.
        id: u64,
        /// What to do.
        call: Call,
    },
    /// For node `to`: the answer to its call `id`.
    Answer { to: String, id: u64, answer: Answer },
    /// "This node is alive."
    Heartbeat,
    /// For node `to`, from a new dispatcher: "tell me your agents".
    Announce { to: String },
}

/// A routing call, as forwarded to the dispatcher.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
enum Call {
    Presence {
        report: Presence,
    },
    SetStatus {
        sub: String,
        change: StatusChange,
    },
    Enqueue {
        entry: Box<Enqueue>,
    },
    InviteAgent {
        session: Box<Routed>,
        agent: String,
        note: Option<String>,
    },
    Accept {
        agent: String,
        offer_id: String,
    },
    Decline {
        agent: String,
        offer_id: String,
    },
    Release {
        agent: String,
        session_id: SessionId,
    },
    SessionEnded {
        session_id: SessionId,
    },
    RetellStatus {
        session_id: SessionId,
    },
    IsWaiting {
        session_id: SessionId,
    },
    CustomerWrote {
        session_id: SessionId,
        text: String,
    },
    AgentConnected {
        sub: String,
    },
    Overview,
}

/// The dispatcher's answer to a [`Call`].
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
enum Answer {
    Done,
    Failed {
        error: RoutingError,
    },
    Accepted {
        accepted: Accepted,
    },
    Abandoned {
        abandoned: Option<(String, u64)>,
    },
    Yes {
        yes: bool,
    },
    Overview {
        overview: Box<Overview>,
        waiting: Vec<SessionId>,
    },
}

/// Routing as the rest of the broker sees it: the same calls whether this
/// node dispatches or asks the one that does.
pub(crate) struct Dispatcher {
    router: Arc<Router>,
    node: String,
    clock: Arc<dyn Clock>,
    /// This node's agents and bots, as reported to the dispatcher.
    local: Mutex<HashMap<String, Presence>>,
    /// Versions the reports of this node.
    versions: AtomicU64,
    /// In a cluster.
    link: OnceLock<Link>,
}

/// A cluster node's side of routing.
struct Link {
    peers: Peers,
    /// Where agents' statuses are kept for the next dispatcher.
    store: Arc<dyn SessionStore>,
    lease: Duration,
    /// While this node dispatches: until when its lease surely holds.
    leading_until: Mutex<Option<Instant>>,
    /// Calls waiting for the dispatcher's answer.
    pending: Mutex<HashMap<u64, oneshot::Sender<Answer>>>,
    next_call: AtomicU64,
    /// While this node dispatches: when each other node was last heard.
    heard: Mutex<HashMap<String, Instant>>,
    /// Wakes this node's waiting calls when it takes over.
    took_over: Notify,
    /// When each other node's heartbeat last arrived (every node keeps it).
    alive: Mutex<HashMap<String, Instant>>,
}

/// Locks a mutex whose data stays consistent at every step.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Link {
    fn leading(&self) -> bool {
        lock(&self.leading_until).is_some_and(|until| Instant::now() < until)
    }

    /// Dispatched until lately and has not stepped down: the renewal is
    /// late, and may yet find that nobody else took over.
    fn renewing_late(&self) -> bool {
        lock(&self.leading_until).is_some_and(|until| Instant::now() >= until)
    }
}

impl Dispatcher {
    /// Routing through `router` (on this node until [`Dispatcher::join_cluster`]).
    pub(crate) fn new(router: Arc<Router>, node: &str, clock: Arc<dyn Clock>) -> Dispatcher {
        Dispatcher {
            router,
            node: node.to_owned(),
            clock,
            local: Mutex::new(HashMap::new()),
            versions: AtomicU64::new(0),
            link: OnceLock::new(),
        }
    }

    /// The local router: configuration (queues), and what stays with this
    /// node's own connections (visitors, invitations).
    pub(crate) fn router(&self) -> &Router {
        &self.router
    }

    /// From now on, only the node holding the lease dispatches; the others
    /// ask it through `peers`.
    pub(crate) fn join_cluster(&self, peers: Peers, store: Arc<dyn SessionStore>, lease: Duration) {
        let _ = self.link.set(Link {
            peers,
            store,
            lease,
            leading_until: Mutex::new(None),
            pending: Mutex::new(HashMap::new()),
            next_call: AtomicU64::new(1),
            heard: Mutex::new(HashMap::new()),
            took_over: Notify::new(),
            alive: Mutex::new(HashMap::new()),
        });
    }

    /// Whether this node's router is the one deciding (always on one node).
    pub(crate) fn dispatches(&self) -> bool {
        self.link.get().is_none_or(Link::leading)
    }

    /// On the dispatching node of a cluster: how many nodes it hears from,
    /// itself included (`None` elsewhere).
    pub(crate) fn nodes_heard(&self) -> Option<usize> {
        let link = self.link.get()?;
        link.leading().then(|| lock(&link.heard).len() + 1)
    }

    /// Whether `node` is this node or one whose heartbeat arrived within
    /// a lease (always true of this node alone on one node).
    pub(crate) fn knows_node(&self, node: &str) -> bool {
        node == self.node
            || self.link.get().is_some_and(|link| {
                lock(&link.alive)
                    .get(node)
                    .is_some_and(|at| at.elapsed() <= link.lease)
            })
    }

    /// Node `from` just sent something: it is alive (its connections may
    /// be named as signal targets).
    pub(crate) fn alive(&self, from: &str) {
        if let Some(link) = self.link.get() {
            lock(&link.alive).insert(from.to_owned(), Instant::now());
        }
    }

    /// A connection authenticated: agents and bots count on this node.
    pub(crate) async fn connected(&self, identity: &Identity) {
        if !matches!(identity.principal.role, Role::Agent | Role::Bot) {
            return;
        }
        let report = {
            let mut local = lock(&self.local);
            let entry = local
                .entry(identity.principal.sub.clone())
                .or_insert_with(|| Presence {
                    agent: identity.principal.clone(),
                    skills: identity.skills.clone(),
                    capacity: identity.capacity,
                    connections: 0,
                    version: 0,
                    status: None,
                });
            entry.connections += 1;
            entry.version = self.versions.fetch_add(1, Ordering::Relaxed) + 1;
            entry.clone()
        };
        self.notify(Call::Presence { report }).await;
    }

    /// A connection closed (and left the hub).
    pub(crate) async fn disconnected(&self, principal: &Principal) {
        if !matches!(principal.role, Role::Agent | Role::Bot) {
            return;
        }
        let report = {
            let mut local = lock(&self.local);
            let Some(entry) = local.get_mut(&principal.sub) else {
                return;
            };
            entry.connections = entry.connections.saturating_sub(1);
            entry.version = self.versions.fetch_add(1, Ordering::Relaxed) + 1;
            let report = entry.clone();
            if report.connections == 0 {
                local.remove(&principal.sub);
            }
            report
        };
        self.notify(Call::Presence { report }).await;
    }

    /// An agent or bot sets its status (and optionally skills and capacity).
    pub(crate) async fn set_status(
        &self,
        sub: &str,
        status: AgentStatus,
        skills: Option<Vec<String>>,
        capacity: Option<u32>,
    ) -> Result<(), RoutingError> {
        let change = StatusChange {
            status,
            skills,
            capacity,
            at: self.clock.now_millis(),
        };
        if let Some(link) = self.link.get() {
            // Kept for whichever node dispatches next, before it counts.
            link.store
                .save_agent_status(&record(sub, &change))
                .await
                .map_err(|e| RoutingError::Unavailable(format!("cannot keep the status: {e}")))?;
        }
        if let Some(entry) = lock(&self.local).get_mut(sub) {
            entry.status = Some((status, change.at));
            if let Some(skills) = &change.skills {
                entry.skills = skills.clone();
            }
            if change.capacity.is_some() {
                entry.capacity = change.capacity;
            }
        }
        let call = Call::SetStatus {
            sub: sub.to_owned(),
            change,
        };
        self.call(call).await.and_then(done)
    }

    /// Puts a session in a queue (logged, not returned, when the dispatcher
    /// cannot be reached: the session is recorded as queued, and a new
    /// dispatcher finds it in the store).
    pub(crate) async fn enqueue(&self, entry: Enqueue) {
        let entry = Box::new(entry);
        self.notify(Call::Enqueue { entry }).await;
    }

    /// Offers a session to one agent directly (conference).
    pub(crate) async fn invite_agent(
        &self,
        session: Routed,
        agent: &str,
        note: Option<String>,
    ) -> Result<(), RoutingError> {
        let call = Call::InviteAgent {
            session: Box::new(session),
            agent: agent.to_owned(),
            note,
        };
        self.call(call).await.and_then(done)
    }

    /// The agent accepts an offer. Sent again after a lost answer, the
    /// same accept gets the same answer.
    pub(crate) async fn accept(
        &self,
        agent: &str,
        offer_id: &str,
    ) -> Result<Accepted, RoutingError> {
        let call = Call::Accept {
            agent: agent.to_owned(),
            offer_id: offer_id.to_owned(),
        };
        match self.call(call).await? {
            Answer::Accepted { accepted } => Ok(accepted),
            other => Err(unexpected(other)),
        }
    }

    /// The agent declines an offer.
    pub(crate) async fn decline(&self, agent: &str, offer_id: &str) -> Result<(), RoutingError> {
        let call = Call::Decline {
            agent: agent.to_owned(),
            offer_id: offer_id.to_owned(),
        };
        self.call(call).await.and_then(done)
    }

    /// The agent no longer serves the session.
    pub(crate) async fn release(&self, agent: &str, session_id: &str) {
        let call = Call::Release {
            agent: agent.to_owned(),
            session_id: session_id.to_owned(),
        };
        self.notify(call).await;
    }

    /// Takes an ended session out of routing; its queue and wait if it was
    /// still waiting (an abandonment).
    pub(crate) async fn session_ended(&self, session_id: &str) -> Option<(String, u64)> {
        let call = Call::SessionEnded {
            session_id: session_id.to_owned(),
        };
        match self.call(call).await {
            Ok(Answer::Abandoned { abandoned }) => abandoned,
            Ok(other) => {
                tracing::warn!(error = %unexpected(other), "session_ended");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, session_id, "routing did not hear that a session ended");
                None
            }
        }
    }

    /// Tells a waiting session's customer where they stand again.
    pub(crate) async fn retell_status(&self, session_id: &str) {
        let call = Call::RetellStatus {
            session_id: session_id.to_owned(),
        };
        self.notify(call).await;
    }

    /// The customer of a waiting session wrote (its first
    /// [`PREVIEW_CHARS`] characters are shown with its offers).
    pub(crate) async fn customer_wrote(&self, session_id: &str, text: &str) {
        let call = Call::CustomerWrote {
            session_id: session_id.to_owned(),
            text: text.chars().take(PREVIEW_CHARS).collect(),
        };
        self.notify(call).await;
    }

    /// Whether the session waits in a queue.
    pub(crate) async fn is_waiting(&self, session_id: &str) -> Result<bool, RoutingError> {
        let call = Call::IsWaiting {
            session_id: session_id.to_owned(),
        };
        yes(self.call(call).await?)
    }

    /// Whether `sub` is an agent or bot connected to any node.
    pub(crate) async fn agent_connected(&self, sub: &str) -> Result<bool, RoutingError> {
        let call = Call::AgentConnected {
            sub: sub.to_owned(),
        };
        yes(self.call(call).await?)
    }

    /// Queues, agents and the `open` sessions, for supervisors.
    pub(crate) async fn overview(&self, open: Vec<SessionView>) -> Result<Overview, RoutingError> {
        match self.call(Call::Overview).await? {
            Answer::Overview { overview, waiting } => Ok(with_sessions(
                *overview,
                &waiting.into_iter().collect(),
                open,
            )),
            other => Err(unexpected(other)),
        }
    }

    /// The modes someone could take now for a session of `queue` (none:
    /// the default): of those `media` enables, voice and video only if an
    /// agent who serves the queue is available with room for one more
    /// session. With routing off nobody is known to be on duty: all.
    pub(crate) async fn modes_available(
        &self,
        media: &crate::config::MediaConfig,
        queue: Option<&crate::config::QueueConfig>,
    ) -> Result<Vec<seam_protocol::Mode>, RoutingError> {
        let enabled = media.enabled_modes();
        if !self.router.enabled() {
            return Ok(enabled);
        }
        let overview = self.overview(Vec::new()).await?;
        let free = overview.agents.iter().any(|a| {
            a.status == AgentStatus::Available
                && a.sessions < a.capacity as usize
                && queue.is_none_or(|q| q.served_by(&a.skills))
        });
        Ok(enabled
            .into_iter()
            .filter(|m| !m.is_media() || free)
            .collect())
    }

    /// An offer's time ran out (timer); only the dispatcher acts on it
    /// (while its lease renewal is late, a moment later).
    pub(crate) fn expire(&self, offer_id: &str) {
        if self.dispatches() {
            self.router.expire(offer_id);
        } else {
            self.later(Timer::OfferExpiry {
                offer_id: offer_id.to_owned(),
            });
        }
    }

    /// An agent's offline grace ran out (timer); only the dispatcher acts
    /// (while its lease renewal is late, a moment later), and keeps the
    /// agent's `offline` status in the store. Returns the agent and the
    /// sessions they no longer serve.
    pub(crate) async fn went_offline(
        &self,
        sub: &str,
        presence: u64,
    ) -> Option<(Principal, Vec<SessionId>)> {
        if !self.dispatches() {
            self.later(Timer::AgentOffline {
                sub: sub.to_owned(),
                presence,
            });
            return None;
        }
        let gone = self.router.went_offline(sub, presence)?;
        if let Some(link) = self.link.get() {
            let offline = StatusChange {
                status: AgentStatus::Offline,
                skills: None,
                capacity: None,
                at: self.clock.now_millis(),
            };
            if let Err(e) = link.store.save_agent_status(&record(sub, &offline)).await {
                // A later dispatcher may then count them available until
                // they fail to come back within its grace period.
                tracing::warn!(error = %e, sub, "cannot record an agent gone offline");
            }
        }
        Some(gone)
    }

    /// A routing timer that fired while this node's lease renewal was
    /// late: it fires again a moment later, when the renewal has told
    /// whether routing goes on here (a node that stepped down has dropped
    /// the offers and agents such timers are about).
    fn later(&self, timer: Timer) {
        if let Some(link) = self.link.get().filter(|link| link.renewing_late()) {
            let tick = link.lease / 3;
            self.router.timers().after(tick.as_millis() as u64, timer);
        }
    }

    /// A call whose failure is only logged (the state it reports heals:
    /// presence is reported again to a new dispatcher, waiting sessions are
    /// found in the store).
    async fn notify(&self, call: Call) {
        if let Err(e) = self.call(call).await.and_then(done) {
            tracing::warn!(error = %e, "routing call lost");
        }
    }

    /// Runs `call` here if this node dispatches, else asks the dispatcher,
    /// again until about two leases have passed (a new one takes over
    /// within that).
    async fn call(&self, call: Call) -> Result<Answer, RoutingError> {
        let Some(link) = self.link.get() else {
            return Ok(self.handle(&self.node, call));
        };
        let attempt = link.lease / 3;
        let deadline = Instant::now() + link.lease * 2;
        loop {
            if link.leading() {
                return Ok(self.handle(&self.node, call));
            }
            let id = link.next_call.fetch_add(1, Ordering::Relaxed);
            let (tx, rx) = oneshot::channel();
            lock(&link.pending).insert(id, tx);
            let message = Message::Call {
                id,
                call: call.clone(),
            };
            send(&link.peers, &message);
            let answered = tokio::select! {
                answer = tokio::time::timeout(attempt, rx) => answer.ok().and_then(Result::ok),
                () = link.took_over.notified() => None,
            };
            if let Some(answer) = answered {
                return Ok(answer);
            }
            lock(&link.pending).remove(&id);
            if Instant::now() >= deadline {
                return Err(RoutingError::Unavailable(
                    "no node is dispatching (PostgreSQL or Redis unreachable, or a node taking over)"
                        .into(),
                ));
            }
        }
    }

    /// Carries out a call on this node's router.
    fn handle(&self, from: &str, call: Call) -> Answer {
        let router = &self.router;
        let result = match call {
            Call::Presence { report } => {
                router.presence(from, &report);
                Ok(Answer::Done)
            }
            Call::SetStatus { sub, change } => {
                router.set_status(&sub, change);
                Ok(Answer::Done)
            }
            Call::Enqueue { entry } => {
                router.enqueue(*entry);
                Ok(Answer::Done)
            }
            Call::InviteAgent {
                session,
                agent,
                note,
            } => router
                .invite_agent(*session, &agent, note)
                .map(|()| Answer::Done),
            Call::Accept { agent, offer_id } => router
                .accept(&agent, &offer_id)
                .map(|accepted| Answer::Accepted { accepted }),
            Call::Decline { agent, offer_id } => {
                router.decline(&agent, &offer_id).map(|()| Answer::Done)
            }
            Call::Release { agent, session_id } => {
                router.release(&agent, &session_id);
                Ok(Answer::Done)
            }
            Call::SessionEnded { session_id } => Ok(Answer::Abandoned {
                abandoned: router.session_ended(&session_id),
            }),
            Call::RetellStatus { session_id } => {
                router.retell_status(&session_id);
                Ok(Answer::Done)
            }
            Call::CustomerWrote { session_id, text } => {
                router.customer_wrote(&session_id, &text);
                Ok(Answer::Done)
            }
            Call::IsWaiting { session_id } => Ok(Answer::Yes {
                yes: router.is_waiting(&session_id),
            }),
            Call::AgentConnected { sub } => Ok(Answer::Yes {
                yes: router.agent_connected(&sub),
            }),
            Call::Overview => {
                let (overview, waiting) = router.queues_and_agents();
                Ok(Answer::Overview {
                    overview: Box::new(overview),
                    waiting: waiting.into_iter().collect(),
                })
            }
        };
        result.unwrap_or_else(|error| Answer::Failed { error })
    }

    /// A routing message from node `from` (cluster mode).
    pub(crate) fn receive(self: &Arc<Self>, from: &str, message: &str) {
        let Some(link) = self.link.get() else {
            return;
        };
        let message = match serde_json::from_str::<Message>(message) {
            Ok(message) => message,
            Err(e) => {
                tracing::warn!(error = %e, "unreadable routing message");
                return;
            }
        };
        match message {
            Message::Call { id, call } => {
                if !link.leading() {
                    return;
                }
                self.heard(link, from);
                let answer = self.handle(from, call);
                let to = from.to_owned();
                send(&link.peers, &Message::Answer { to, id, answer });
            }
            Message::Answer { to, id, answer } if to == self.node => {
                if let Some(tx) = lock(&link.pending).remove(&id) {
                    let _ = tx.send(answer);
                }
            }
            Message::Heartbeat => {
                self.alive(from);
                if link.leading() || link.renewing_late() {
                    self.heard(link, from);
                }
            }
            Message::Announce { to } if to == self.node => {
                let this = Arc::clone(self);
                tokio::spawn(async move { this.announce().await });
            }
            Message::Answer { .. } | Message::Announce { .. } => {}
        }
    }

    /// Notes that node `from` is alive; a node the dispatcher did not know
    /// yet is asked for its agents.
    fn heard(&self, link: &Link, from: &str) {
        let new = lock(&link.heard)
            .insert(from.to_owned(), Instant::now())
            .is_none();
        if new {
            send(
                &link.peers,
                &Message::Announce {
                    to: from.to_owned(),
                },
            );
        }
    }

    /// What this node reports of each agent and bot connected here.
    fn local_reports(&self) -> Vec<Presence> {
        lock(&self.local).values().cloned().collect()
    }

    /// Tells the dispatcher about every agent and bot connected here.
    async fn announce(&self) {
        for report in self.local_reports() {
            self.notify(Call::Presence { report }).await;
        }
    }

    /// Holds (or waits for) the lease and sends heartbeats, every third of
    /// the lease, until shutdown (cluster mode).
    pub(crate) async fn run(
        self: Arc<Self>,
        store: Arc<dyn SessionStore>,
        engine: Arc<dyn SessionEngine>,
        mut shutdown: ShutdownSignal,
    ) {
        let Some(link) = self.link.get() else {
            return;
        };
        let tick = link.lease / 3;
        let ttl_ms = link.lease.as_millis() as u64;
        loop {
            send(&link.peers, &Message::Heartbeat);
            let started = Instant::now();
            let held = store.hold_lease(LEASE, &self.node, ttl_ms).await;
            match held {
                Ok(LeaseHold::Renewed) if link.leading() => {
                    *lock(&link.leading_until) = Some(started + link.lease - tick);
                    self.forget_silent(link);
                }
                Ok(LeaseHold::Renewed) if link.renewing_late() => {
                    // Nobody else held the lease meanwhile: routing is as
                    // this node left it. Calls and timers held back while
                    // it could not tell go on now.
                    *lock(&link.leading_until) = Some(started + link.lease - tick);
                    link.took_over.notify_waiters();
                    self.forget_silent(link);
                    tracing::info!(node = %self.node, "the dispatcher lease was renewed late; routing goes on");
                }
                Ok(LeaseHold::Renewed | LeaseHold::Taken) => {
                    match (engine.open_sessions().await, store.agent_statuses().await) {
                        (Ok(open), Ok(statuses)) => {
                            self.take_over(link, &open, statuses, started + link.lease - tick);
                        }
                        (Err(e), _) => tracing::warn!(error = %e, "cannot take over routing yet"),
                        (_, Err(e)) => tracing::warn!(error = %e, "cannot take over routing yet"),
                    }
                }
                Ok(LeaseHold::Refused) => {
                    self.step_down(link, "another node holds the dispatcher lease");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot renew the dispatcher lease");
                    self.step_down(link, "the dispatcher lease could not be renewed");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(tick.saturating_sub(started.elapsed())) => {}
                _ = shutdown.recv() => {
                    if link.leading() {
                        // Let another node take over now rather than when
                        // the lease runs out (a rolling restart).
                        self.step_down(link, "shutting down");
                        let _ = store.hold_lease(LEASE, &self.node, 0).await;
                    }
                    return;
                }
            }
        }
    }

    /// This node now dispatches: routing rebuilt from the store's open
    /// sessions, the agents' statuses as last set, and this node's agents;
    /// other nodes are asked for theirs as their heartbeats arrive.
    fn take_over(
        &self,
        link: &Link,
        open: &[SessionView],
        statuses: Vec<AgentStatusRecord>,
        until: Instant,
    ) {
        self.router.reset();
        self.router.restore(open);
        self.router.remember(statuses.into_iter().map(change));
        lock(&link.heard).clear();
        for report in &self.local_reports() {
            self.router.presence(&self.node, report);
        }
        *lock(&link.leading_until) = Some(until);
        link.took_over.notify_waiters();
        tracing::info!(node = %self.node, "this node dispatches routing for the cluster");
    }

    fn step_down(&self, link: &Link, why: &str) {
        if lock(&link.leading_until).take().is_some() {
            tracing::warn!(node = %self.node, why, "this node no longer dispatches routing");
            self.router.reset();
        }
    }

    /// Drops the connections of nodes not heard from for a lease.
    fn forget_silent(&self, link: &Link) {
        let silent: Vec<String> = {
            let mut heard = lock(&link.heard);
            let silent: Vec<String> = heard
                .iter()
                .filter(|(_, at)| at.elapsed() > link.lease)
                .map(|(node, _)| node.clone())
                .collect();
            for node in &silent {
                heard.remove(node);
            }
            silent
        };
        for node in silent {
            tracing::info!(%node, "node silent: its agents' connections are dropped");
            self.router.node_gone(&node);
        }
    }
}

/// A status change as the store keeps it.
fn record(sub: &str, change: &StatusChange) -> AgentStatusRecord {
    AgentStatusRecord {
        sub: sub.to_owned(),
        status: change.status,
        skills: change.skills.clone(),
        capacity: change.capacity,
        at: change.at,
    }
}

/// A status change as the store kept it, and whose it is.
fn change(record: AgentStatusRecord) -> (String, StatusChange) {
    let change = StatusChange {
        status: record.status,
        skills: record.skills,
        capacity: record.capacity,
        at: record.at,
    };
    (record.sub, change)
}

fn send(peers: &Peers, message: &Message) {
    match serde_json::to_string(message) {
        Ok(json) => peers.routing(json),
        Err(e) => tracing::error!(error = %e, "cannot encode a routing message"),
    }
}

fn done(answer: Answer) -> Result<(), RoutingError> {
    match answer {
        Answer::Done => Ok(()),
        other => Err(unexpected(other)),
    }
}

fn yes(answer: Answer) -> Result<bool, RoutingError> {
    match answer {
        Answer::Yes { yes } => Ok(yes),
        other => Err(unexpected(other)),
    }
}

/// A refusal as its error; anything else is a mismatch between versions.
fn unexpected(answer: Answer) -> RoutingError {
    match answer {
        Answer::Failed { error } => error,
        other => RoutingError::Unavailable(format!("unexpected routing answer {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::config::RoutingConfig;
    use crate::hub::Hub;
    use crate::metrics::Metrics;
    use crate::store::MemoryStore;
    use crate::timers::Timers;

    /// Offer and grace timers that fire while this node's lease renewal is
    /// late fire again a third of a lease later; on a node that does not
    /// dispatch (never did, or stepped down) they are dropped.
    #[tokio::test]
    async fn routing_timers_wait_out_a_late_renewal() {
        let clock = Arc::new(ManualClock::new(10_000));
        let timers = Timers::new(clock.clone());
        let router = Router::new(
            RoutingConfig::default(),
            Arc::new(Hub::new()),
            timers.clone(),
            Metrics::new(),
        );
        let dispatcher = Dispatcher::new(Arc::new(router), "n1", clock);
        let (outgoing, _sent) = tokio::sync::mpsc::unbounded_channel();
        let store = Arc::new(MemoryStore::new());
        dispatcher.join_cluster(
            Peers::new("n1", outgoing),
            store,
            Duration::from_millis(900),
        );
        let offer = Timer::OfferExpiry {
            offer_id: "o1".into(),
        };
        let grace = Timer::AgentOffline {
            sub: "bob".into(),
            presence: 2,
        };

        dispatcher.expire("o1");
        assert_eq!(dispatcher.went_offline("bob", 2).await, None);
        assert!(timers.pending().is_empty(), "{:?}", timers.pending());

        let link = dispatcher.link.get().expect("joined");
        *lock(&link.leading_until) = Some(Instant::now());
        assert!(link.renewing_late());
        dispatcher.expire("o1");
        assert_eq!(dispatcher.went_offline("bob", 2).await, None);
        assert_eq!(timers.pending(), [(10_300, offer), (10_300, grace)]);
    }
}
