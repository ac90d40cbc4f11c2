//! What the client yields besides acks.

use seam_protocol::{
    ErrorFrame, IceServer, Invitation, Offer, Overview, Principal, Receipt, ResumeOutcome,
    SessionEvent, SessionId, Signal, Welcome,
};
use tokio::sync::mpsc;

/// Something that happened on the connection or in a session.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A connection was (re-)established and authenticated.
    Connected {
        /// The broker's welcome.
        welcome: Welcome,
        /// True on reconnections.
        reconnected: bool,
    },
    /// A stored session event, in `seq` order, never twice.
    Session(SessionEvent),
    /// Someone started or stopped typing.
    Typing {
        /// The session.
        session_id: SessionId,
        /// Who.
        from: Principal,
        /// Typing or stopped.
        active: bool,
    },
    /// Live routing stats (after `subscribe_stats`).
    Stats {
        /// When they were taken, Unix milliseconds.
        at: u64,
        /// Queues, agents and open sessions.
        overview: Box<Overview>,
    },
    /// A participant's delivery and read horizons moved.
    Receipt {
        /// The session.
        session_id: SessionId,
        /// Who, and how far.
        receipt: Receipt,
    },
    /// A WebRTC signaling message from another participant.
    Signal {
        /// The session.
        session_id: SessionId,
        /// Who sent it.
        from: Principal,
        /// The sender's connection; address the reply to it.
        from_connection: String,
        /// The message.
        signal: Signal,
    },
    /// ICE servers (with credentials) for the session's call.
    IceServers {
        /// The session.
        session_id: SessionId,
        /// Servers in `RTCIceServer` shape.
        ice_servers: Vec<IceServer>,
        /// When time-limited credentials expire, Unix seconds.
        expires_at: Option<u64>,
    },
    /// Agents: a session is offered; accept or decline before it expires.
    Offer(Offer),
    /// Agents: an offer was withdrawn (`expired`, `ended`).
    OfferRevoked {
        /// The offer.
        offer_id: String,
        /// Why.
        reason: String,
    },
    /// Customers: place in the queue and estimated wait.
    QueueStatus {
        /// The session.
        session_id: SessionId,
        /// The queue.
        queue: String,
        /// 1 = next.
        position: usize,
        /// Estimated wait, milliseconds (0 when unknown).
        estimated_wait_ms: u64,
    },
    /// Visitors: an invitation to a session.
    Invitation(Invitation),
    /// Customers: the session ended; please rate it (`rate_session`).
    RatingRequested {
        /// The session.
        session_id: SessionId,
    },
    /// After a reconnect, a session was re-attached; missed events follow.
    Resumed {
        /// The session.
        session_id: SessionId,
        /// Whether the replay is complete (see [`ResumeOutcome`]).
        outcome: ResumeOutcome,
    },
    /// The token expires soon (a [`crate::TokenSource::Provider`] is asked
    /// for a new one automatically).
    TokenExpiring {
        /// Expiry, Unix seconds.
        expires_at: u64,
    },
    /// The connection was lost.
    Disconnected {
        /// The close code, if the broker sent one.
        code: Option<u16>,
        /// The close reason or I/O error.
        reason: String,
        /// Whether the client will try to reconnect.
        will_reconnect: bool,
    },
    /// An error frame not tied to a command of this client (e.g. a failed
    /// automatic resume).
    Error(ErrorFrame),
}

/// The stream of [`Event`]s of one client.
#[derive(Debug)]
pub struct Events {
    pub(crate) rx: mpsc::UnboundedReceiver<Event>,
}

impl Events {
    /// The next event; `None` once the client has stopped for good.
    pub async fn next(&mut self) -> Option<Event> {
        self.rx.recv().await
    }
}
