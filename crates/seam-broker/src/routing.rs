//! Routing: which agent (or bot) is offered which waiting session.
//!
//! All routing state sits behind one lock: agents (status, skills, capacity,
//! assigned sessions, idle time), waiting sessions, outstanding offers,
//! queue statistics, connected visitors and invitations. Every change ends
//! with [`State::dispatch`], a pure decision over that state: for each
//! waiting session, highest queue priority first and then longest waiting,
//! offer it to the eligible agent idle the longest (skills match, status
//! available, spare capacity, no other offer outstanding). The decisions come
//! back as [`Action`]s that are carried out after the lock is released.
//! Time comes from an injected [`Clock`], so tests can make "longest idle"
//! and "waited for" exact.
//!
//! Routing addresses sessions and principals by id: frames go out through
//! the [`Hub`] (never while the routing lock is held), deadlines through
//! the [`Timers`].

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use seam_protocol::{
    AgentOverview, AgentStatus, CustomerContext, Invitation, InvitationStats, Mode, Offer,
    OfferKind, Overview, Principal, QueueOverview, Role, ServerFrame, SessionId, SessionOverview,
};

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::config::{InvitationRule, QueueConfig, RoutingConfig};
use crate::frame::Frame;
use crate::hours::Schedule;
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::session::SessionView;
use crate::timers::{Timer, Timers};

/// Why routing refused a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub(crate) enum RoutingError {
    /// No queue is configured.
    #[error("routing is not configured on this broker (no queues)")]
    Disabled,
    /// No such offer for this agent.
    #[error("no such offer for you (expired, declined or taken)")]
    OfferNotFound,
    /// No such queue.
    #[error("no queue named `{0}`")]
    QueueNotFound(String),
    /// No such agent connected.
    #[error("no connected agent `{0}`")]
    AgentNotFound(String),
    /// No such invitation for this visitor.
    #[error("no such invitation for you (answered or unknown)")]
    InvitationNotFound,
    /// No such visitor connected.
    #[error("no connected visitor `{0}`")]
    VisitorNotFound(String),
    /// In a cluster: the node holding routing did not answer in time (it
    /// may be changing); worth retrying.
    #[error("routing is not reachable right now: {0}")]
    Unavailable(String),
}

/// Which kind of principal a waiting session is offered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Stage {
    /// A bot-first queue, before hand-off.
    Bot,
    /// Human agents.
    Human,
}

/// A session as routing knows it: its id and whom it is for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Routed {
    /// The session.
    pub session_id: SessionId,
    /// Its customer.
    pub customer: Principal,
    /// What they came for (shown with offers).
    pub context: CustomerContext,
}

impl Routed {
    /// The routing side of a session view.
    pub(crate) fn of(view: &SessionView) -> Routed {
        Routed {
            session_id: view.session_id.clone(),
            customer: view.customer.clone(),
            context: view.context.clone(),
        }
    }
}

/// What enters a queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Enqueue {
    /// The session.
    pub session: Routed,
    /// The queue.
    pub queue: String,
    /// Bots or humans.
    pub stage: Stage,
    /// Why it is offered (queue, transfer).
    pub kind: OfferKind,
    /// Only this agent (a transfer to an agent); falls back to the queue if
    /// they decline.
    pub only_agent: Option<String>,
    /// Shown with the offer (transfer note, bot summary).
    pub note: Option<String>,
    /// Voice or video the customer asked for, requested on assignment.
    pub requested_mode: Option<Mode>,
    /// Waiting since (Unix ms), when earlier than now: a session put back
    /// in its queue keeps its place among those who came after it.
    #[serde(default)]
    pub waiting_since: Option<u64>,
}

/// An offer an agent accepted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Accepted {
    /// The session.
    pub session_id: SessionId,
    /// Queue, transfer or conference.
    pub kind: OfferKind,
    /// The queue it waited in.
    pub queue: Option<String>,
    /// How long it waited, milliseconds.
    pub waited_ms: u64,
    /// Voice or video to request on the customer's behalf.
    pub requested_mode: Option<Mode>,
}

/// An agent or bot sets its routing status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StatusChange {
    /// The new status.
    pub status: AgentStatus,
    /// New skills, if given.
    pub skills: Option<Vec<String>>,
    /// New capacity, if given.
    pub capacity: Option<u32>,
    /// When (milliseconds, on the clock of the node it came through).
    pub at: u64,
}

/// An agent's or bot's connections on one node, as that node tells it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Presence {
    /// Who.
    pub agent: Principal,
    /// Skills (from the token, or as last set on that node).
    pub skills: Vec<String>,
    /// Capacity (from the token, or as last set on that node).
    pub capacity: Option<u32>,
    /// Open connections on that node.
    pub connections: usize,
    /// Grows with every change on that node: an older report is ignored.
    pub version: u64,
    /// The status last set through that node, and when (milliseconds).
    pub status: Option<(AgentStatus, u64)>,
}

/// A side effect decided under the lock, carried out after it.
#[derive(Debug)]
enum Action {
    /// To every connection of a principal.
    Send(String, ServerFrame),
    ExpireOfferAfter(String, u64),
    /// To the customer connections attached to a session.
    TellCustomer(SessionId, ServerFrame),
}

#[derive(Debug)]
struct Agent {
    principal: Principal,
    status: AgentStatus,
    skills: Vec<String>,
    capacity: u32,
    sessions: BTreeSet<SessionId>,
    idle_since: u64,
    /// Open connections per node, with the version of that node's report.
    nodes: HashMap<String, (usize, u64)>,
    /// When the status was last set (milliseconds).
    status_at: u64,
    /// Known only from the sessions they serve (restored): skills and
    /// capacity come with their first connection.
    restored: bool,
    /// The queue or transfer offer outstanding (one at a time).
    offer: Option<String>,
    /// Changes on every connect, so a pending offline timer can tell.
    presence: u64,
}

#[derive(Debug)]
struct Waiting {
    session: Routed,
    queue: String,
    stage: Stage,
    kind: OfferKind,
    since: u64,
    order: u64,
    offer: Option<String>,
    tried: HashSet<String>,
    only_agent: Option<String>,
    note: Option<String>,
    requested_mode: Option<Mode>,
    /// The position and estimate the customer was last told.
    told: Option<(usize, u64)>,
    /// The first message the customer wrote while waiting (for offers).
    first_message: Option<String>,
}

#[derive(Debug)]
struct PendingOffer {
    offer: Offer,
    agent: String,
    requested_mode: Option<Mode>,
    since: u64,
}

#[derive(Debug, Default)]
struct QueueStats {
    recent_waits: VecDeque<u64>,
    abandoned: u64,
    /// The last hour's outcomes: when, how long it waited, and whether it
    /// was answered (else abandoned). For the service level.
    last_hour: VecDeque<(u64, u64, bool)>,
}

/// The window the service level looks back over.
const SERVICE_LEVEL_WINDOW_MS: u64 = 3_600_000;

impl QueueStats {
    fn outcome(&mut self, now: u64, waited_ms: u64, answered: bool) {
        self.last_hour.push_back((now, waited_ms, answered));
        self.forget_before(now);
    }

    fn forget_before(&mut self, now: u64) {
        let cutoff = now.saturating_sub(SERVICE_LEVEL_WINDOW_MS);
        while self.last_hour.front().is_some_and(|(at, ..)| *at < cutoff) {
            self.last_hour.pop_front();
        }
    }
}

/// A connected customer who reported the page they are on.
#[derive(Debug, Default)]
struct Visitor {
    /// The page, a counter that changes with every page view, and the
    /// issue type the page reported.
    page: Option<(String, u64, Option<String>)>,
}

#[derive(Debug, Default)]
struct State {
    agents: HashMap<String, Agent>,
    /// Offers accepted lately, so that an accept sent again (its answer
    /// was lost) gets the same answer.
    accepted: VecDeque<(String, String, Accepted)>,
    waiting: Vec<Waiting>,
    offers: HashMap<String, PendingOffer>,
    stats: HashMap<String, QueueStats>,
    visitors: HashMap<String, Visitor>,
    invitations: HashMap<String, (String, Invitation)>,
    invitation_stats: InvitationStats,
    /// Statuses a new dispatcher read from the store, for agents it has
    /// not heard from yet: each applies on the agent's first report.
    remembered: HashMap<String, StatusChange>,
    next: u64,
    /// This node's name: ids stay unique across the nodes that dispatch in turn.
    node: String,
}

/// The routing engine of one broker.
#[derive(Debug)]
pub(crate) struct Router {
    config: RoutingConfig,
    /// Each queue's opening hours, for queues that have them.
    schedules: HashMap<String, Schedule>,
    clock: Arc<dyn Clock>,
    hub: Arc<Hub>,
    timers: Timers,
    state: Mutex<State>,
    metrics: Arc<Metrics>,
}

/// How many accepted offers are remembered to answer a repeated accept.
const RECENT_ACCEPTS: usize = 256;

/// The principal invitation rules speak as.
fn rules_principal() -> Principal {
    Principal {
        sub: "seam-rules".into(),
        role: Role::Service,
        name: Some("seam".into()),
    }
}

impl Router {
    /// A router for `config`, sending through `hub`, with deadlines on `timers`.
    pub(crate) fn new(
        config: RoutingConfig,
        hub: Arc<Hub>,
        timers: Timers,
        metrics: Arc<Metrics>,
    ) -> Router {
        let state = State {
            node: hub.node().to_owned(),
            ..State::default()
        };
        // Checked at start (`server::validate`); a queue whose hours do not
        // check is always open.
        let schedules = config
            .queues
            .iter()
            .filter_map(|q| {
                let hours = q.hours.as_ref()?;
                Some((q.name.clone(), Schedule::new(&q.name, hours).ok()?))
            })
            .collect();
        Router {
            config,
            schedules,
            clock: Arc::clone(timers.clock()),
            hub,
            timers,
            state: Mutex::new(state),
            metrics,
        }
    }

    /// Each queue's service level over the last hour: the share of sessions
    /// answered within `service_level_secs` of those answered or abandoned
    /// (`None` for a queue with neither).
    pub(crate) fn service_levels(&self) -> Vec<(String, Option<f64>)> {
        let now = self.clock.now_millis();
        let threshold = self.config.service_level_secs.saturating_mul(1000);
        let mut st = self.lock();
        self.config
            .queues
            .iter()
            .map(|q| {
                let level = st.stats.get_mut(&q.name).and_then(|stats| {
                    stats.forget_before(now);
                    let total = stats.last_hour.len();
                    let within = stats
                        .last_hour
                        .iter()
                        .filter(|(_, waited, answered)| *answered && *waited <= threshold)
                        .count();
                    (total > 0).then(|| within as f64 / total as f64)
                });
                (q.name.clone(), level)
            })
            .collect()
    }

    /// Whether any queue is configured.
    pub(crate) fn enabled(&self) -> bool {
        !self.config.queues.is_empty()
    }

    /// The queue a customer context goes to.
    pub(crate) fn queue_for(&self, context: &CustomerContext) -> Option<&QueueConfig> {
        let issue = context.issue_type.as_deref();
        self.config
            .queues
            .iter()
            .find(|q| issue.is_some_and(|i| q.issue_types.iter().any(|t| t == i)))
            .or_else(|| self.config.queues.iter().find(|q| q.issue_types.is_empty()))
            .or_else(|| self.config.queues.first())
    }

    /// A queue by name.
    /// A queue's opening hours (`None`: always open).
    pub(crate) fn schedule(&self, queue: &str) -> Option<&Schedule> {
        self.schedules.get(queue)
    }

    pub(crate) fn queue(&self, name: &str) -> Result<&QueueConfig, RoutingError> {
        self.config
            .queues
            .iter()
            .find(|q| q.name == name)
            .ok_or_else(|| RoutingError::QueueNotFound(name.to_owned()))
    }

    /// The queue a hand-off from `queue` goes to.
    pub(crate) fn handoff_queue(&self, queue: Option<&str>) -> Result<String, RoutingError> {
        let from = match queue {
            Some(name) => self.queue(name)?,
            None => self.config.queues.first().ok_or(RoutingError::Disabled)?,
        };
        Ok(from
            .handoff_queue
            .clone()
            .unwrap_or_else(|| from.name.clone()))
    }

    /// The timers routing's deadlines run on.
    pub(crate) fn timers(&self) -> &Timers {
        &self.timers
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update keeps the state consistent before it can panic.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What routing knows of an agent's or bot's connections on `node`
    /// changed. Agents and bots join the roster on their first connection
    /// (as away: they say when they are available); one left with no
    /// connection on any node turns offline after the grace period unless
    /// it comes back.
    pub(crate) fn presence(&self, node: &str, report: &Presence) {
        let now = self.clock.now_millis();
        let mut actions = Vec::new();
        {
            let mut guard = self.lock();
            let st = &mut *guard;
            let sub = &report.agent.sub;
            let capacity = report.capacity.unwrap_or(self.config.default_capacity);
            let agent = st.agents.entry(sub.clone()).or_insert_with(|| {
                Agent::offline(&report.agent, report.skills.clone(), capacity, now)
            });
            if agent
                .nodes
                .get(node)
                .is_some_and(|(_, v)| *v > report.version)
            {
                return;
            }
            if agent.restored {
                agent.restored = false;
                agent.principal = report.agent.clone();
                agent.skills = report.skills.clone();
                agent.capacity = report.capacity.unwrap_or(self.config.default_capacity);
            }
            if let Some(change) = st.remembered.remove(sub).filter(|c| c.at > agent.status_at) {
                agent.apply(&change);
            }
            let before = agent.connections();
            agent
                .nodes
                .insert(node.to_owned(), (report.connections, report.version));
            let after = agent.connections();
            if let Some((status, at)) = report.status.filter(|(_, at)| *at > agent.status_at) {
                agent.set_status(status, at);
                agent.skills = report.skills.clone();
                agent.capacity = report.capacity.unwrap_or(self.config.default_capacity);
            }
            if before == 0 && after > 0 {
                agent.presence += 1;
                if agent.status == AgentStatus::Offline {
                    agent.status = AgentStatus::Away;
                }
            } else if before > 0 && after == 0 {
                self.arm_offline(sub, agent.presence);
            }
            st.dispatch(&self.config, now, &mut actions);
        }
        self.run(actions);
    }

    /// Node `node` stopped answering: its connections are gone. Agents left
    /// with none anywhere turn offline after the grace period unless they
    /// reconnect (to another node).
    pub(crate) fn node_gone(&self, node: &str) {
        let mut st = self.lock();
        for (sub, agent) in st.agents.iter_mut() {
            if agent.nodes.remove(node).is_some_and(|(n, _)| n > 0) && agent.connections() == 0 {
                self.arm_offline(sub, agent.presence);
            }
        }
    }

    fn arm_offline(&self, sub: &str, presence: u64) {
        self.timers.after(
            self.config.offline_grace_ms,
            Timer::AgentOffline {
                sub: sub.to_owned(),
                presence,
            },
        );
    }

    /// Forgets agents, waiting sessions and offers (this node stopped
    /// dispatching for the cluster). Visitors and invitations stay: they
    /// belong to this node's connections.
    pub(crate) fn reset(&self) {
        let mut st = self.lock();
        st.agents.clear();
        st.waiting.clear();
        st.offers.clear();
        st.accepted.clear();
        st.stats.clear();
        st.remembered.clear();
    }

    /// Takes over agents' statuses as last set (read from the store, right
    /// after [`Router::restore`]): each applies on its agent's first
    /// report, unless a newer one came with it. Offline agents need none:
    /// a connection makes them away.
    pub(crate) fn remember(&self, statuses: impl IntoIterator<Item = (String, StatusChange)>) {
        let statuses = statuses
            .into_iter()
            .filter(|(_, change)| change.status != AgentStatus::Offline);
        self.lock().remembered.extend(statuses);
    }

    /// Takes over from the store's open sessions: agents and bots serve
    /// the sessions they take part in (counted against their capacity when
    /// they connect), and sessions nobody serves yet wait again.
    pub(crate) fn restore(&self, open: &[SessionView]) {
        if !self.enabled() {
            return;
        }
        let now = self.clock.now_millis();
        {
            let mut st = self.lock();
            for view in open {
                let serving = view
                    .participants
                    .iter()
                    .filter(|p| matches!(p.role, Role::Agent | Role::Bot));
                for p in serving {
                    let agent = st.agents.entry(p.sub.clone()).or_insert_with(|| {
                        // Gone for good unless they connect within the
                        // grace period (their first connection moves
                        // `presence` on, which disarms this).
                        self.arm_offline(&p.sub, 0);
                        Agent {
                            restored: true,
                            ..Agent::offline(p, Vec::new(), self.config.default_capacity, now)
                        }
                    });
                    agent.sessions.insert(view.session_id.clone());
                }
            }
        }
        for view in open {
            let Some(queue) = view.queue.clone().filter(|_| view.staff().is_empty()) else {
                continue;
            };
            let bot_first = self.queue(&queue).is_ok_and(|q| q.bot_first);
            self.enqueue(Enqueue {
                session: Routed::of(view),
                queue,
                stage: if bot_first { Stage::Bot } else { Stage::Human },
                kind: OfferKind::Queue,
                only_agent: None,
                note: None,
                requested_mode: None,
                waiting_since: None,
            });
        }
    }

    /// The offline grace of an agent ran out (timer): the agent turns
    /// offline and stops serving their sessions. Returns the agent and the
    /// sessions they served, which the caller records as left (and queues
    /// again when nobody else serves them).
    pub(crate) fn went_offline(
        &self,
        sub: &str,
        presence: u64,
    ) -> Option<(Principal, Vec<SessionId>)> {
        let mut actions = Vec::new();
        let gone = {
            let mut st = self.lock();
            let agent = st.agents.get_mut(sub)?;
            if agent.presence != presence || agent.connections() > 0 {
                return None;
            }
            agent.status = AgentStatus::Offline;
            let served = std::mem::take(&mut agent.sessions);
            let principal = agent.principal.clone();
            if let Some(offer_id) = agent.offer.take() {
                st.withdraw(&offer_id);
            }
            st.dispatch(&self.config, self.clock.now_millis(), &mut actions);
            (principal, served.into_iter().collect())
        };
        self.run(actions);
        Some(gone)
    }

    /// An agent or bot sets its status (and optionally skills and
    /// capacity), at `at` (milliseconds, the clock of the node it came
    /// through).
    pub(crate) fn set_status(&self, sub: &str, change: StatusChange) {
        let now = self.clock.now_millis();
        let mut actions = Vec::new();
        {
            let mut st = self.lock();
            st.remembered.remove(sub);
            if let Some(agent) = st.agents.get_mut(sub) {
                agent.apply(&change);
                if change.status != AgentStatus::Available {
                    if let Some(offer_id) = agent.offer.take() {
                        st.withdraw(&offer_id);
                    }
                }
            }
            st.dispatch(&self.config, now, &mut actions);
        }
        self.run(actions);
    }

    /// Puts a session in a queue.
    pub(crate) fn enqueue(&self, entry: Enqueue) {
        let now = self.clock.now_millis();
        let mut actions = Vec::new();
        {
            let mut st = self.lock();
            st.waiting
                .retain(|w| w.session.session_id != entry.session.session_id);
            st.next += 1;
            let order = st.next;
            st.waiting.push(Waiting {
                session: entry.session,
                queue: entry.queue,
                stage: entry.stage,
                kind: entry.kind,
                since: entry.waiting_since.map_or(now, |t| t.min(now)),
                order,
                offer: None,
                tried: HashSet::new(),
                only_agent: entry.only_agent,
                note: entry.note,
                requested_mode: entry.requested_mode,
                told: None,
                first_message: None,
            });
            st.dispatch(&self.config, now, &mut actions);
        }
        self.run(actions);
    }

    /// Offers a session to one agent directly (conference).
    pub(crate) fn invite_agent(
        &self,
        session: Routed,
        agent: &str,
        note: Option<String>,
    ) -> Result<(), RoutingError> {
        let now = self.clock.now_millis();
        let mut actions = Vec::new();
        {
            let mut st = self.lock();
            let connected = st.agents.get(agent).is_some_and(|a| a.connections() > 0);
            if !connected {
                return Err(RoutingError::AgentNotFound(agent.to_owned()));
            }
            let offer_id = st.new_id("of");
            let offer = Offer {
                offer_id: offer_id.clone(),
                kind: OfferKind::Conference,
                session_id: session.session_id,
                queue: None,
                customer: session.customer,
                context: session.context,
                note,
                expires_at: now + self.config.offer_timeout_ms,
                waited_ms: 0,
                first_message: None,
            };
            st.send_offer(agent, offer, None, now, &self.config, &mut actions);
        }
        self.run(actions);
        Ok(())
    }

    /// The agent accepts an offer.
    pub(crate) fn accept(&self, agent: &str, offer_id: &str) -> Result<Accepted, RoutingError> {
        let now = self.clock.now_millis();
        let mut actions = Vec::new();
        let accepted = {
            let mut st = self.lock();
            let again = st
                .accepted
                .iter()
                .find(|(id, by, _)| id == offer_id && by == agent);
            if let Some((_, _, accepted)) = again {
                return Ok(accepted.clone());
            }
            let pending = match st.offers.get(offer_id) {
                Some(p) if p.agent == agent => st.offers.remove(offer_id),
                _ => None,
            }
            .ok_or(RoutingError::OfferNotFound)?;
            let session_id = pending.offer.session_id.clone();
            let mut waited_ms = now.saturating_sub(pending.since);
            if pending.offer.kind != OfferKind::Conference {
                if let Some(i) = st
                    .waiting
                    .iter()
                    .position(|w| w.session.session_id == session_id)
                {
                    let w = st.waiting.remove(i);
                    waited_ms = now.saturating_sub(w.since);
                    if w.stage == Stage::Human {
                        let stats = st.stats.entry(w.queue.clone()).or_default();
                        stats.outcome(now, waited_ms, true);
                        stats.recent_waits.push_back(waited_ms);
                        while stats.recent_waits.len() > self.config.wait_samples.max(1) {
                            stats.recent_waits.pop_front();
                        }
                    }
                }
            }
            if let Some(a) = st.agents.get_mut(agent) {
                a.sessions.insert(session_id);
                if a.offer.as_deref() == Some(offer_id) {
                    a.offer = None;
                }
            }
            st.dispatch(&self.config, now, &mut actions);
            let accepted = Accepted {
                session_id: pending.offer.session_id,
                kind: pending.offer.kind,
                queue: pending.offer.queue,
                waited_ms,
                requested_mode: pending.requested_mode,
            };
            st.accepted
                .push_back((offer_id.to_owned(), agent.to_owned(), accepted.clone()));
            if st.accepted.len() > RECENT_ACCEPTS {
                st.accepted.pop_front();
            }
            accepted
        };
        self.metrics.offer("accepted");
        self.run(actions);
        Ok(accepted)
    }

    /// The agent declines an offer; it goes to the next eligible agent.
    pub(crate) fn decline(&self, agent: &str, offer_id: &str) -> Result<(), RoutingError> {
        let mut actions = Vec::new();
        {
            let mut st = self.lock();
            if st.offers.get(offer_id).is_none_or(|p| p.agent != agent) {
                return Err(RoutingError::OfferNotFound);
            }
            st.withdraw(offer_id);
            st.dispatch(&self.config, self.clock.now_millis(), &mut actions);
        }
        self.metrics.offer("declined");
        self.run(actions);
        Ok(())
    }

    /// The offer was not answered in time (timer): revoked, and its session
    /// offered to someone else.
    pub(crate) fn expire(&self, offer_id: &str) {
        let mut actions = Vec::new();
        {
            let mut st = self.lock();
            let Some(pending) = st.offers.get(offer_id) else {
                return;
            };
            actions.push(Action::Send(
                pending.agent.clone(),
                revoked(offer_id, "expired"),
            ));
            st.withdraw(offer_id);
            st.dispatch(&self.config, self.clock.now_millis(), &mut actions);
        }
        self.run(actions);
    }

    /// The agent no longer serves the session (left, transferred, ended).
    pub(crate) fn release(&self, agent: &str, session_id: &str) {
        let now = self.clock.now_millis();
        let mut actions = Vec::new();
        {
            let mut st = self.lock();
            if let Some(a) = st.agents.get_mut(agent) {
                if a.sessions.remove(session_id) {
                    a.idle_since = now;
                }
            }
            st.accepted
                .retain(|(_, by, a)| by != agent || a.session_id != session_id);
            st.dispatch(&self.config, now, &mut actions);
        }
        self.run(actions);
    }

    /// Takes a session out of routing because it ended. Returns its queue and
    /// how long it waited if it was still waiting (an abandonment).
    pub(crate) fn session_ended(&self, session_id: &str) -> Option<(String, u64)> {
        let now = self.clock.now_millis();
        let mut actions = Vec::new();
        let abandoned = {
            let mut st = self.lock();
            let offers: Vec<String> = st
                .offers
                .iter()
                .filter(|(_, p)| p.offer.session_id == session_id)
                .map(|(id, _)| id.clone())
                .collect();
            for offer_id in offers {
                if let Some(p) = st.offers.get(&offer_id) {
                    actions.push(Action::Send(p.agent.clone(), revoked(&offer_id, "ended")));
                }
                st.withdraw(&offer_id);
            }
            let abandoned = st
                .waiting
                .iter()
                .position(|w| w.session.session_id == session_id)
                .map(|i| st.waiting.remove(i))
                .map(|w| {
                    let waited = now.saturating_sub(w.since);
                    let stats = st.stats.entry(w.queue.clone()).or_default();
                    stats.abandoned += 1;
                    stats.outcome(now, waited, false);
                    (w.queue, waited)
                });
            for agent in st.agents.values_mut() {
                if agent.sessions.remove(session_id) {
                    agent.idle_since = now;
                }
            }
            st.dispatch(&self.config, now, &mut actions);
            abandoned
        };
        self.run(actions);
        abandoned
    }

    /// Whether `sub` is a connected agent or bot.
    pub(crate) fn agent_connected(&self, sub: &str) -> bool {
        self.lock()
            .agents
            .get(sub)
            .is_some_and(|a| a.connections() > 0)
    }

    /// Tells a waiting session's customer where they stand again (they just
    /// attached, perhaps after a reconnect).
    pub(crate) fn retell_status(&self, session_id: &str) {
        let mut actions = Vec::new();
        {
            let mut st = self.lock();
            let Some(w) = st
                .waiting
                .iter_mut()
                .find(|w| w.session.session_id == session_id)
            else {
                return;
            };
            w.told = None;
            st.queue_status(&mut actions);
        }
        self.run(actions);
    }

    /// The customer of a waiting session wrote (`preview`, already
    /// shortened): the first such message is shown with its offers (an
    /// offer already out is sent again).
    pub(crate) fn customer_wrote(&self, session_id: &str, preview: &str) {
        let mut actions = Vec::new();
        {
            let mut st = self.lock();
            let Some(w) = st
                .waiting
                .iter_mut()
                .find(|w| w.session.session_id == session_id && w.first_message.is_none())
            else {
                return;
            };
            let preview = preview.to_owned();
            w.first_message = Some(preview.clone());
            let Some(offer_id) = w.offer.clone() else {
                return;
            };
            if let Some(pending) = st.offers.get_mut(&offer_id) {
                pending.offer.first_message = Some(preview);
                let frame = ServerFrame::Offer(pending.offer.clone());
                actions.push(Action::Send(pending.agent.clone(), frame));
            }
        }
        self.run(actions);
    }

    /// Whether the session waits in a queue.
    pub(crate) fn is_waiting(&self, session_id: &str) -> bool {
        self.lock()
            .waiting
            .iter()
            .any(|w| w.session.session_id == session_id)
    }

    /// Sends a connected visitor an invitation. Returns its id.
    pub(crate) fn invite_visitor(
        &self,
        from: &Principal,
        sub: &str,
        mode: Mode,
        topic: String,
        context: CustomerContext,
    ) -> Result<String, RoutingError> {
        let (invitation_id, frame) = {
            if !self.hub.is_connected(sub) {
                return Err(RoutingError::VisitorNotFound(sub.to_owned()));
            }
            let mut st = self.lock();
            let invitation_id = st.new_id("in");
            let invitation = Invitation {
                invitation_id: invitation_id.clone(),
                from: from.clone(),
                mode,
                topic,
                context,
            };
            let frame = Frame::encode(&ServerFrame::Invitation(invitation.clone()));
            st.invitations
                .insert(invitation_id.clone(), (sub.to_owned(), invitation));
            st.invitation_stats.sent += 1;
            (invitation_id, frame)
        };
        self.hub.send_to(sub, &frame);
        Ok(invitation_id)
    }

    /// The visitor answers an invitation; returns it so an accepted one can open a session.
    pub(crate) fn answer_invitation(
        &self,
        sub: &str,
        invitation_id: &str,
        accept: bool,
    ) -> Result<Invitation, RoutingError> {
        let mut st = self.lock();
        match st.invitations.get(invitation_id) {
            Some((owner, _)) if owner == sub => {}
            _ => return Err(RoutingError::InvitationNotFound),
        }
        if accept {
            st.invitation_stats.accepted += 1;
        } else {
            st.invitation_stats.declined += 1;
        }
        st.invitations
            .remove(invitation_id)
            .map(|(_, invitation)| invitation)
            .ok_or(RoutingError::InvitationNotFound)
    }

    /// A visitor is on `page`: arms the invitation rules that match.
    pub(crate) fn page_view(&self, visitor: &Principal, page: &str, issue_type: Option<&str>) {
        let view = {
            if !self.hub.is_connected(&visitor.sub) {
                return;
            }
            let mut st = self.lock();
            st.next += 1;
            let view = st.next;
            let v = st.visitors.entry(visitor.sub.clone()).or_default();
            v.page = Some((page.to_owned(), view, issue_type.map(str::to_owned)));
            view
        };
        for (i, rule) in self.config.invitation_rules.iter().enumerate() {
            let page_ok = rule
                .page_prefix
                .as_deref()
                .is_none_or(|p| page.starts_with(p));
            let issue_ok = rule.issue_type.is_none() || rule.issue_type.as_deref() == issue_type;
            if page_ok && issue_ok {
                self.timers.after(
                    rule.after_ms,
                    Timer::Invitation {
                        sub: visitor.sub.clone(),
                        view,
                        rule: i,
                    },
                );
            }
        }
    }

    /// An invitation rule's delay ran out (timer): if the visitor is still
    /// on the page that armed it, returns the rule and the context to invite
    /// them with (the caller checks they have no open session first).
    pub(crate) fn invitation_due(
        &self,
        sub: &str,
        view: u64,
        rule: usize,
    ) -> Option<(InvitationRule, CustomerContext)> {
        let st = self.lock();
        let (page, seen, issue_type) = st.visitors.get(sub)?.page.as_ref()?;
        if *seen != view {
            return None;
        }
        let rule = self.config.invitation_rules.get(rule)?.clone();
        let context = CustomerContext {
            issue_type: issue_type.clone(),
            page: Some(page.clone()),
            ..CustomerContext::default()
        };
        Some((rule, context))
    }

    /// Sends the invitation of a rule that came due.
    pub(crate) fn invite_by_rule(&self, sub: &str, rule: InvitationRule, context: CustomerContext) {
        // The visitor may have left since: then there is nobody to invite.
        let _ = self.invite_visitor(&rules_principal(), sub, rule.mode, rule.topic, context);
    }

    /// Queues and agents (no sessions yet), and the sessions waiting.
    pub(crate) fn queues_and_agents(&self) -> (Overview, HashSet<SessionId>) {
        let now = self.clock.now_millis();
        let target = self.config.service_level_secs.saturating_mul(1000);
        let mut st = self.lock();
        for stats in st.stats.values_mut() {
            stats.forget_before(now);
        }
        let queues = self
            .config
            .queues
            .iter()
            .map(|q| {
                let stats = st.stats.get(&q.name);
                let last_hour = stats.map(|s| &s.last_hour);
                let answered = || last_hour.into_iter().flatten().filter(|(_, _, a)| *a);
                QueueOverview {
                    name: q.name.clone(),
                    waiting: st.waiting.iter().filter(|w| w.queue == q.name).count(),
                    agents_available: st
                        .agents
                        .values()
                        .filter(|a| a.can_take() && q.served_by(&a.skills))
                        .count(),
                    estimated_wait_ms: stats.map_or(0, |s| mean(&s.recent_waits)),
                    abandoned: stats.map_or(0, |s| s.abandoned),
                    longest_wait_ms: st
                        .waiting
                        .iter()
                        .filter(|w| w.queue == q.name)
                        .map(|w| now.saturating_sub(w.since))
                        .max()
                        .unwrap_or(0),
                    answered_last_hour: answered().count() as u64,
                    answered_in_target_last_hour: answered()
                        .filter(|(_, waited, _)| *waited <= target)
                        .count() as u64,
                    abandoned_last_hour: last_hour
                        .into_iter()
                        .flatten()
                        .filter(|(_, _, a)| !*a)
                        .count() as u64,
                    waits_last_hour_ms: answered().map(|(_, waited, _)| *waited).collect(),
                }
            })
            .collect();
        let mut agents: Vec<AgentOverview> = st
            .agents
            .values()
            .map(|a| AgentOverview {
                agent: a.principal.clone(),
                status: a.status,
                skills: a.skills.clone(),
                sessions: a.sessions.len(),
                capacity: a.capacity,
            })
            .collect();
        agents.sort_by(|a, b| a.agent.sub.cmp(&b.agent.sub));
        let waiting = st
            .waiting
            .iter()
            .map(|w| w.session.session_id.clone())
            .collect();
        let overview = Overview {
            queues,
            agents,
            sessions: Vec::new(),
            invitations: st.invitation_stats.clone(),
        };
        (overview, waiting)
    }

    /// Carries out what a decision asked for, after the lock.
    fn run(&self, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Send(sub, frame) => {
                    if let ServerFrame::OfferRevoked { reason, .. } = &frame {
                        // `expired`, `ended`, ...: why the offer went.
                        self.metrics.offer(reason);
                    }
                    self.hub.to_principal(&sub, &Frame::encode(&frame));
                }
                Action::ExpireOfferAfter(offer_id, after_ms) => {
                    // Set once per offer (a resent offer keeps its timer).
                    self.metrics.offer("offered");
                    self.timers.after(after_ms, Timer::OfferExpiry { offer_id });
                }
                Action::TellCustomer(session_id, frame) => {
                    self.hub.to_customer(&session_id, &Frame::encode(&frame));
                }
            }
        }
    }
}

impl Agent {
    /// An agent routing has just heard of: offline, idle since `now`.
    fn offline(principal: &Principal, skills: Vec<String>, capacity: u32, now: u64) -> Agent {
        Agent {
            principal: principal.clone(),
            status: AgentStatus::Offline,
            skills,
            capacity,
            sessions: BTreeSet::new(),
            idle_since: now,
            nodes: HashMap::new(),
            status_at: 0,
            restored: false,
            offer: None,
            presence: 0,
        }
    }

    fn can_take(&self) -> bool {
        self.status == AgentStatus::Available
            && (self.sessions.len() as u32) < self.capacity
            && self.connections() > 0
    }

    /// Open connections on every node.
    fn connections(&self) -> usize {
        self.nodes.values().map(|(n, _)| n).sum()
    }

    /// A status change, with the skills and capacity it sets.
    fn apply(&mut self, change: &StatusChange) {
        self.set_status(change.status, change.at);
        if let Some(skills) = &change.skills {
            self.skills = skills.clone();
        }
        if let Some(capacity) = change.capacity {
            self.capacity = capacity;
        }
    }

    fn set_status(&mut self, status: AgentStatus, at: u64) {
        if status == AgentStatus::Available && self.status != AgentStatus::Available {
            self.idle_since = at;
        }
        self.status = status;
        self.status_at = at;
    }
}

impl State {
    fn new_id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}-{}-{}", self.node, self.next)
    }

    /// Forgets an offer; its session (if waiting) may be offered again, to
    /// someone else first.
    fn withdraw(&mut self, offer_id: &str) {
        let Some(pending) = self.offers.remove(offer_id) else {
            return;
        };
        if let Some(agent) = self.agents.get_mut(&pending.agent) {
            if agent.offer.as_deref() == Some(offer_id) {
                agent.offer = None;
            }
        }
        if let Some(w) = self
            .waiting
            .iter_mut()
            .find(|w| w.offer.as_deref() == Some(offer_id))
        {
            w.offer = None;
            w.tried.insert(pending.agent.clone());
            if w.only_agent.as_deref() == Some(pending.agent.as_str()) {
                w.only_agent = None;
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn send_offer(
        &mut self,
        agent: &str,
        offer: Offer,
        requested_mode: Option<Mode>,
        since: u64,
        config: &RoutingConfig,
        actions: &mut Vec<Action>,
    ) {
        actions.push(Action::Send(
            agent.to_owned(),
            ServerFrame::Offer(offer.clone()),
        ));
        actions.push(Action::ExpireOfferAfter(
            offer.offer_id.clone(),
            config.offer_timeout_ms,
        ));
        self.offers.insert(
            offer.offer_id.clone(),
            PendingOffer {
                offer,
                agent: agent.to_owned(),
                requested_mode,
                since,
            },
        );
    }

    /// Offers every waiting session that has no offer out to the best
    /// eligible agent, then tells waiting customers where they stand.
    fn dispatch(&mut self, config: &RoutingConfig, now: u64, actions: &mut Vec<Action>) {
        let priority = |queue: &str| {
            config
                .queues
                .iter()
                .find(|q| q.name == queue)
                .map_or(0, |q| q.priority)
        };
        let mut order: Vec<usize> = (0..self.waiting.len()).collect();
        order.sort_by_key(|&i| {
            let w = &self.waiting[i];
            (-priority(&w.queue), w.since, w.order)
        });
        for i in order {
            if self.waiting[i].offer.is_some() {
                continue;
            }
            let mut pick = self.pick_agent(config, i);
            if pick.is_none() && !self.waiting[i].tried.is_empty() {
                // Everyone eligible has passed once: start another round.
                self.waiting[i].tried.clear();
                pick = self.pick_agent(config, i);
            }
            let Some(agent) = pick else { continue };
            let offer_id = self.new_id("of");
            let w = &mut self.waiting[i];
            w.offer = Some(offer_id.clone());
            let offer = Offer {
                offer_id: offer_id.clone(),
                kind: w.kind,
                session_id: w.session.session_id.clone(),
                queue: Some(w.queue.clone()),
                customer: w.session.customer.clone(),
                context: w.session.context.clone(),
                note: w.note.clone(),
                expires_at: now + config.offer_timeout_ms,
                waited_ms: now.saturating_sub(w.since),
                first_message: w.first_message.clone(),
            };
            let (requested_mode, since) = (w.requested_mode, w.since);
            if let Some(a) = self.agents.get_mut(&agent) {
                a.offer = Some(offer_id);
            }
            self.send_offer(&agent, offer, requested_mode, since, config, actions);
        }
        self.queue_status(actions);
    }

    /// The eligible agent idle the longest, for waiting session `i`.
    fn pick_agent(&self, config: &RoutingConfig, i: usize) -> Option<String> {
        let w = &self.waiting[i];
        let skills = config
            .queues
            .iter()
            .find(|q| q.name == w.queue)
            .map_or(&[][..], |q| &q.skills[..]);
        self.agents
            .values()
            .filter(|a| a.can_take() && a.offer.is_none())
            .filter(|a| !w.tried.contains(&a.principal.sub))
            .filter(|a| {
                w.only_agent
                    .as_deref()
                    .is_none_or(|only| only == a.principal.sub)
            })
            .filter(|a| match w.stage {
                Stage::Bot => a.principal.role == Role::Bot,
                Stage::Human => {
                    a.principal.role != Role::Bot && skills.iter().all(|s| a.skills.contains(s))
                }
            })
            .filter(|a| !a.sessions.contains(&w.session.session_id))
            .min_by(|a, b| (a.idle_since, &a.principal.sub).cmp(&(b.idle_since, &b.principal.sub)))
            .map(|a| a.principal.sub.clone())
    }

    /// Tells each customer waiting for a human their position and estimated
    /// wait, when either changed since they were last told.
    fn queue_status(&mut self, actions: &mut Vec<Action>) {
        let mut order: Vec<usize> = (0..self.waiting.len())
            .filter(|&i| self.waiting[i].stage == Stage::Human)
            .collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&self.waiting[a], &self.waiting[b]);
            (x.queue.as_str(), x.since, x.order).cmp(&(y.queue.as_str(), y.since, y.order))
        });
        let mut position = 0;
        let mut current: Option<String> = None;
        for i in order {
            let queue = self.waiting[i].queue.clone();
            if current.as_deref() != Some(queue.as_str()) {
                current = Some(queue.clone());
                position = 0;
            }
            position += 1;
            let mean_wait = self.stats.get(&queue).map_or(0, |s| mean(&s.recent_waits));
            let status = (position, mean_wait * position as u64);
            let w = &mut self.waiting[i];
            if w.told == Some(status) {
                continue;
            }
            w.told = Some(status);
            actions.push(Action::TellCustomer(
                w.session.session_id.clone(),
                ServerFrame::QueueStatus {
                    session_id: w.session.session_id.clone(),
                    queue,
                    position: status.0,
                    estimated_wait_ms: status.1,
                },
            ));
        }
    }
}

/// Completes an overview of queues and agents with the open sessions,
/// marking those `waiting`.
pub(crate) fn with_sessions(
    mut overview: Overview,
    waiting: &HashSet<SessionId>,
    open: Vec<SessionView>,
) -> Overview {
    let mut sessions: Vec<SessionOverview> = open
        .into_iter()
        .map(|view| {
            let waiting = waiting.contains(&view.session_id);
            view.overview(waiting)
        })
        .collect();
    sessions.sort_by(|a, b| a.session_id.cmp(&b.session_id));
    overview.sessions = sessions;
    overview
}

fn revoked(offer_id: &str, reason: &str) -> ServerFrame {
    ServerFrame::OfferRevoked {
        offer_id: offer_id.to_owned(),
        reason: reason.to_owned(),
    }
}

fn mean(samples: &VecDeque<u64>) -> u64 {
    if samples.is_empty() {
        0
    } else {
        samples.iter().sum::<u64>() / samples.len() as u64
    }
}
