//! The local subscription registry: which connections of this node are
//! attached to which session, and which connections each principal has.
//!
//! The hub is fed by the engine ([`CommitListener`]): every committed
//! event goes to the session's subscribers in `seq` order, serialized once.
//! Ephemeral frames (typing, signaling, queue position, offers, tokens)
//! are pushed straight through the hub and never wait behind a store write.
//!
//! Attaching without a gap: a connection first [`Hub::subscribe`]s (live
//! events are held for it), then reads its replay from the engine, then
//! [`Hub::activate`]s with the seq the replay ends at: the ack, the replay
//! and the held events after it go out as one piece, and from then on only
//! events after the last one delivered.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use seam_protocol::{CloseCode, EventBody, SessionEvent, SessionId};

use crate::engine::{CommitListener, Logged};
use crate::frame::Frame;
use crate::ids::random_hex;
use crate::maps::SharedMap;
use crate::outbox::{Outbound, Outbox};
use crate::peers::{Audience, Peers};
use crate::rate_limit::TokenBucket;

/// Where a subscription stands.
#[derive(Debug)]
enum Delivery {
    /// Attaching: committed events are held until the replay is queued.
    Pending(Vec<Logged>),
    /// Live: events after `last` are delivered.
    Live { last: u64 },
}

#[derive(Debug)]
struct Subscription {
    sub: String,
    /// Sees staff-only events (whispers, notes).
    staff: bool,
    outbox: Outbox,
    delivery: Delivery,
}

impl Subscription {
    /// Whether a signal for `to` (and its `connection`, if named) sent from
    /// connection `from_conn` goes here: never back to the sender.
    fn is_signal_target(&self, to: &str, connection: Option<&str>, from_conn: u64) -> bool {
        self.sub == to
            && self.outbox.conn_id() != from_conn
            && connection.is_none_or(|c| c == self.outbox.name())
    }
}

/// One principal's connections on this node, and the command budget they
/// share.
#[derive(Debug)]
struct Connections {
    outboxes: Vec<Outbox>,
    commands: TokenBucket,
}

/// How much one principal may hold and do.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PrincipalLimits {
    /// Connections at once.
    pub(crate) connections: usize,
    /// Sustained commands per second, all connections together.
    pub(crate) commands_per_second: u32,
    /// Burst above that rate.
    pub(crate) command_burst: u32,
}

/// Connections of this node by session and by principal.
pub(crate) struct Hub {
    sessions: SharedMap<SessionId, Vec<Subscription>>,
    principals: SharedMap<String, Connections>,
    node: String,
    next_conn: AtomicU64,
    connections: AtomicUsize,
    /// The other nodes, in cluster mode.
    peers: OnceLock<Peers>,
    /// Connections that asked for live routing stats, by connection id.
    stats: DashMap<u64, Outbox>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("node", &self.node)
            .field("sessions", &self.sessions.len())
            .field("connections", &self.connections())
            .finish()
    }
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new()
    }
}

impl Hub {
    /// An empty hub with a random node name.
    pub(crate) fn new() -> Hub {
        Hub {
            sessions: SharedMap::default(),
            principals: SharedMap::default(),
            node: random_hex(4),
            next_conn: AtomicU64::new(1),
            connections: AtomicUsize::new(0),
            peers: OnceLock::new(),
            stats: DashMap::new(),
        }
    }

    /// This node's name (the prefix of its connections' names).
    pub(crate) fn node(&self) -> &str {
        &self.node
    }

    /// From now on, ephemeral frames for a session also go to the other
    /// nodes of the cluster.
    pub(crate) fn join_cluster(&self, peers: Peers) {
        let _ = self.peers.set(peers);
    }

    /// Delivers a frame another node relayed to this node's connections.
    pub(crate) fn deliver_relayed(&self, session_id: &str, to: &Audience, frame: &Frame) {
        match to {
            Audience::All => self.offer(session_id, frame, |_| true),
            Audience::Customer => self.offer(session_id, frame, |s| !s.staff),
            Audience::Signal { to, connection } => {
                self.signal_here(session_id, to, connection.as_deref(), 0, frame);
            }
        }
    }

    /// A new connection id and public name, and the connection counted.
    pub(crate) fn connection_opened(&self) -> (u64, String) {
        self.connections.fetch_add(1, Ordering::Relaxed);
        let n = self.next_conn.fetch_add(1, Ordering::Relaxed);
        (n, format!("{}-{n}", self.node))
    }

    /// A connection closed.
    pub(crate) fn connection_closed(&self) {
        self.connections.fetch_sub(1, Ordering::Relaxed);
    }

    /// Connections currently open.
    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }

    /// An authenticated connection of `sub`, unless the principal already
    /// has `limits.connections` (then their count is returned).
    pub(crate) fn register(
        &self,
        sub: &str,
        outbox: &Outbox,
        limits: PrincipalLimits,
    ) -> Result<(), usize> {
        let mut entry = self
            .principals
            .entry(sub.to_owned())
            .or_insert_with(|| Connections {
                outboxes: Vec::new(),
                commands: TokenBucket::new(limits.commands_per_second, limits.command_burst),
            });
        if entry.outboxes.len() >= limits.connections {
            return Err(entry.outboxes.len());
        }
        entry.outboxes.push(outbox.clone());
        Ok(())
    }

    /// Asks every registered connection to close with `code` (the broker
    /// shuts down).
    pub(crate) fn close_all(&self, code: CloseCode, detail: &str) {
        for connections in self.principals.iter() {
            for outbox in &connections.outboxes {
                outbox.close_with(code, detail);
            }
        }
    }

    /// Takes one command from the principal's shared budget; the wait until
    /// the next one when it is spent.
    pub(crate) fn take_command(&self, sub: &str, now: Instant) -> Result<(), Duration> {
        self.principals
            .get_mut(sub)
            .map_or(Ok(()), |mut c| c.commands.take(now))
    }

    /// The connection closed: it leaves its principal and every session.
    /// Returns the sessions no connection of this node watches any more.
    pub(crate) fn unregister(
        &self,
        sub: &str,
        conn_id: u64,
        sessions: &[SessionId],
    ) -> Vec<SessionId> {
        self.principals.remove_if_mut(sub, |_, c| {
            c.outboxes.retain(|o| o.conn_id() != conn_id);
            c.outboxes.is_empty()
        });
        self.stats.remove(&conn_id);
        sessions
            .iter()
            .filter(|session_id| {
                self.unsubscribe(session_id, conn_id);
                !self.is_watched(session_id)
            })
            .cloned()
            .collect()
    }

    /// Whether any connection of this node is attached to the session.
    pub(crate) fn is_watched(&self, session_id: &str) -> bool {
        self.sessions
            .get(session_id)
            .is_some_and(|subs| !subs.is_empty())
    }

    /// Whether `sub` has a connection on this node.
    pub(crate) fn is_connected(&self, sub: &str) -> bool {
        self.principals.contains_key(sub)
    }

    /// Sends a frame to every connection of `sub`; returns how many.
    pub(crate) fn send_to(&self, sub: &str, frame: &Frame) -> usize {
        self.principals.get(sub).map_or(0, |c| {
            c.outboxes
                .iter()
                .filter(|o| o.push(Outbound::Frame(frame.clone())))
                .count()
        })
    }

    /// Sends a frame to every connection of `sub`, on this node and, in a
    /// cluster, on the others.
    pub(crate) fn to_principal(&self, sub: &str, frame: &Frame) {
        self.send_to(sub, frame);
        if let Some(peers) = self.peers.get() {
            peers.to_principal(sub, frame);
        }
    }

    /// Starts attaching a connection to a session: committed events are
    /// held for it until [`Hub::activate`].
    pub(crate) fn subscribe(&self, session_id: &str, sub: &str, staff: bool, outbox: &Outbox) {
        let mut subs = self.sessions.entry(session_id.to_owned()).or_default();
        subs.retain(|s| s.outbox.conn_id() != outbox.conn_id());
        subs.push(Subscription {
            sub: sub.to_owned(),
            staff,
            outbox: outbox.clone(),
            delivery: Delivery::Pending(Vec::new()),
        });
    }

    /// Finishes attaching: queues `head` (the ack), the replay and every
    /// held event after `upto` as one piece, then delivers live. When the
    /// subscription is gone already (its principal left meanwhile), the ack
    /// and the replay are still queued, without live delivery. Returns
    /// false when the connection could not take them (it is being closed).
    pub(crate) fn activate(
        &self,
        session_id: &str,
        outbox: &Outbox,
        head: Frame,
        replay: Vec<Logged>,
        upto: u64,
    ) -> bool {
        let conn_id = outbox.conn_id();
        let subscribed = self
            .sessions
            .get_mut(session_id)
            .filter(|subs| subs.iter().any(|s| s.outbox.conn_id() == conn_id));
        let Some(mut subs) = subscribed else {
            let batch = std::iter::once(head).chain(replay.into_iter().map(|l| l.frame));
            return outbox.push(Outbound::Batch(batch.collect()));
        };
        let Some(i) = subs.iter().position(|s| s.outbox.conn_id() == conn_id) else {
            return false;
        };
        let s = &mut subs[i];
        let held = match std::mem::replace(&mut s.delivery, Delivery::Live { last: upto }) {
            Delivery::Pending(held) => held,
            Delivery::Live { .. } => Vec::new(),
        };
        let visible = |l: &Logged| s.staff || !l.staff_only;
        let mut batch = Vec::with_capacity(replay.len() + held.len() + 1);
        batch.push(head);
        // The replay ends at `upto`; held events up to it are in it already.
        batch.extend(replay.into_iter().filter(visible).map(|l| l.frame));
        let mut last = upto;
        for logged in held {
            if logged.seq > last {
                last = logged.seq;
                if visible(&logged) {
                    batch.push(logged.frame);
                }
            }
        }
        s.delivery = Delivery::Live { last };
        if s.outbox.push(Outbound::Batch(batch)) {
            true
        } else {
            subs.remove(i);
            false
        }
    }

    /// Detaches a connection from a session.
    pub(crate) fn unsubscribe(&self, session_id: &str, conn_id: u64) {
        self.sessions.remove_if_mut(session_id, |_, subs| {
            subs.retain(|s| s.outbox.conn_id() != conn_id);
            subs.is_empty()
        });
    }

    /// Whether `sub` has a connection attached to the session.
    pub(crate) fn is_attached(&self, session_id: &str, sub: &str) -> bool {
        self.sessions
            .get(session_id)
            .is_some_and(|subs| subs.iter().any(|s| s.sub == sub))
    }

    /// Queues an ephemeral frame for the session's customer connections
    /// (dropped for a connection whose queue is full).
    pub(crate) fn to_customer(&self, session_id: &str, frame: &Frame) {
        self.offer(session_id, frame, |s| !s.staff);
        if let Some(peers) = self.peers.get() {
            peers.relay(session_id, Audience::Customer, frame);
        }
    }

    /// Queues an ephemeral frame for every attached connection but `except`.
    pub(crate) fn to_others(&self, session_id: &str, except: u64, frame: &Frame) {
        self.offer(session_id, frame, |s| s.outbox.conn_id() != except);
        if let Some(peers) = self.peers.get() {
            peers.relay(session_id, Audience::All, frame);
        }
    }

    fn offer(&self, session_id: &str, frame: &Frame, to: impl Fn(&Subscription) -> bool) {
        if let Some(subs) = self.sessions.get(session_id) {
            for s in subs.iter().filter(|s| to(s)) {
                s.outbox.offer(frame.clone());
            }
        }
    }

    /// Delivers a signaling frame to `to`'s connections attached to the
    /// session (one of them when `connection` names it), never to the
    /// sender's own; in a cluster, also to those on other nodes.
    pub(crate) fn signal(
        &self,
        session_id: &str,
        to: &str,
        connection: Option<&str>,
        from_conn: u64,
        frame: &Frame,
    ) {
        let here = self.signal_here(session_id, to, connection, from_conn, frame);
        let named_here = connection.is_some() && here > 0;
        if let Some(peers) = self.peers.get().filter(|_| !named_here) {
            let audience = Audience::Signal {
                to: to.to_owned(),
                connection: connection.map(str::to_owned),
            };
            peers.relay(session_id, audience, frame);
        }
    }

    /// [`Hub::signal`] on this node only; returns how many received it.
    fn signal_here(
        &self,
        session_id: &str,
        to: &str,
        connection: Option<&str>,
        from_conn: u64,
        frame: &Frame,
    ) -> usize {
        let Some(mut subs) = self.sessions.get_mut(session_id) else {
            return 0;
        };
        let mut delivered = 0;
        subs.retain(|s| {
            if !s.is_signal_target(to, connection, from_conn) {
                return true;
            }
            let kept = s.outbox.push(Outbound::Frame(frame.clone()));
            delivered += usize::from(kept);
            kept
        });
        delivered
    }

    /// Whether `to` has a connection attached to the session other than
    /// `from_conn` (and named `connection`, if given). In a cluster the
    /// target may be on another node, which this node cannot see: a signal
    /// to a participant is relayed, and dropped where nobody matches
    /// (unless it names a connection of this node).
    pub(crate) fn can_signal(
        &self,
        session_id: &str,
        to: &str,
        connection: Option<&str>,
        from_conn: u64,
    ) -> bool {
        let elsewhere = connection.is_none_or(|c| node_of(c) != self.node);
        (self.peers.get().is_some() && elsewhere)
            || self.sessions.get(session_id).is_some_and(|subs| {
                subs.iter()
                    .any(|s| s.is_signal_target(to, connection, from_conn))
            })
    }

    /// Sends this connection live routing stats until it closes.
    pub(crate) fn subscribe_stats(&self, outbox: &Outbox) {
        self.stats.insert(outbox.conn_id(), outbox.clone());
    }

    /// Whether any connection wants live routing stats.
    pub(crate) fn wants_stats(&self) -> bool {
        !self.stats.is_empty()
    }

    /// Queues a stats frame for every subscribed connection (dropped for a
    /// connection whose queue is full: the next one supersedes it).
    pub(crate) fn publish_stats(&self, frame: &Frame) {
        for entry in self.stats.iter() {
            entry.value().offer(frame.clone());
        }
    }

    /// Calls `f` with the principal and outbox of every attached connection.
    pub(crate) fn for_each_attached(&self, session_id: &str, mut f: impl FnMut(&str, &Outbox)) {
        if let Some(subs) = self.sessions.get(session_id) {
            for s in subs.iter() {
                f(&s.sub, &s.outbox);
            }
        }
    }
}

/// The node a connection's public name belongs to (`<node>-<n>`).
pub(crate) fn node_of(connection: &str) -> &str {
    connection
        .split_once('-')
        .map_or(connection, |(node, _)| node)
}

impl CommitListener for Hub {
    fn committed(&self, event: &SessionEvent, frame: &Frame) {
        let Some(mut subs) = self.sessions.get_mut(&event.session_id) else {
            return;
        };
        if let EventBody::ParticipantLeft { participant, .. } = &event.body {
            // Whoever left stops receiving the session, from this event on.
            subs.retain(|s| s.sub != participant.sub);
        }
        let staff_only = event.body.is_staff_only();
        subs.retain_mut(|s| match &mut s.delivery {
            Delivery::Pending(held) => {
                held.push(Logged {
                    seq: event.seq,
                    staff_only,
                    frame: frame.clone(),
                });
                true
            }
            Delivery::Live { last } if event.seq <= *last => true,
            Delivery::Live { last } => {
                *last = event.seq;
                (staff_only && !s.staff) || s.outbox.push(Outbound::Frame(frame.clone()))
            }
        });
    }
}
