//! The session engine: the one place that orders, de-duplicates, stores
//! and publishes a session's events.
//!
//! A command never writes a session's log itself. It hands the engine a
//! decision ([`Append::decide`], usually one of [`crate::session::rules`])
//! and the engine, in the session's order: answers a repeated command id
//! with what it committed the first time, runs the decision on the current
//! [`SessionView`], assigns the next `seq`s, makes the events durable in the
//! store, folds them in, and only then publishes them to local subscribers
//! (the [`CommitListener`], in practice the hub) and answers with
//! [`Committed`]. Anything that is not an event (typing, signaling, queue
//! position) bypasses the engine entirely.
//!
//! [`LocalEngine`] is the single-node engine. A cluster engine implements
//! the same trait (the conformance suite in [`crate::conformance`] is the
//! contract).

mod applied;
mod local;
mod slot;

use std::future::Future;
use std::pin::Pin;

use seam_protocol::{CustomerContext, EventBody, Principal, SessionEvent, SessionId};

use crate::frame::Frame;
use crate::session::{SessionError, SessionView};

pub use local::{EngineOptions, LocalEngine};

/// A boxed future, so the trait stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Decides, from the session as it stands, which events a command stores
/// (none is fine) or why it is refused. It may run more than once: when
/// another node appended to the session first, the engine catches up and
/// decides again on the newer view.
pub type Decide<'a> =
    Box<dyn FnMut(&SessionView) -> Result<Vec<EventBody>, SessionError> + Send + 'a>;

/// A request to append to a session's log.
pub struct Append<'a> {
    /// Who the events are from.
    pub actor: &'a Principal,
    /// The command id: the idempotency key, per principal. A repeat returns
    /// the original commit, marked duplicate, without deciding again.
    pub command_id: Option<&'a str>,
    /// The decision, run in the session's order.
    pub decide: Decide<'a>,
}

impl std::fmt::Debug for Append<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Append")
            .field("actor", &self.actor.sub)
            .field("command_id", &self.command_id)
            .finish_non_exhaustive()
    }
}

/// What an append committed: plain numbers, so answering a command costs
/// no copy of the session (ask [`SessionEngine::view`] for that).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    /// The first stored event's seq; for a duplicate, the original's; when
    /// nothing was stored, the last seq.
    pub seq: u64,
    /// True when the command id had already been applied.
    pub duplicate: bool,
    /// How many events this append stored (none for a duplicate).
    pub stored: usize,
    /// The session's last seq after the append.
    pub last_seq: u64,
    /// The session's call counter before and after the append (see
    /// `SessionView::call`).
    pub calls: (u64, u64),
}

impl Committed {
    /// Whether these events took the session from chat into a call.
    pub fn call_started(&self) -> bool {
        self.calls.1 > self.calls.0
    }

    /// The call the session is in after the append, if it started one.
    pub fn started_call(&self) -> Option<u64> {
        self.call_started().then_some(self.calls.1)
    }
}

/// The customer's open session, found or created.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The session as it stands.
    pub view: SessionView,
    /// Whether this call created it.
    pub created: bool,
}

/// One event of the recent log, serialized once.
#[derive(Debug, Clone)]
pub struct Logged {
    /// Its seq.
    pub seq: u64,
    /// Only staff may see it (whispers, notes).
    pub staff_only: bool,
    /// The `event` frame.
    pub frame: Frame,
}

impl Logged {
    /// The replay entry of a stored event, serialized once.
    pub fn of(event: &SessionEvent) -> Logged {
        Logged {
            seq: event.seq,
            staff_only: event.body.is_staff_only(),
            frame: Frame::event(event),
        }
    }
}

/// What a connection attaching to a session is replayed.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The session, consistent with `events` (its `last_seq` is the last).
    pub view: SessionView,
    /// The events after the requested seq, as far back as replayable.
    pub events: Vec<Logged>,
    /// The oldest seq replayable (a resume from before it is truncated).
    pub first_available: u64,
}

/// Receives every committed event, in `seq` order per session.
pub trait CommitListener: Send + Sync + 'static {
    /// `event` was committed by this node; `frame` is its serialized
    /// `event` frame.
    fn committed(&self, event: &SessionEvent, frame: &Frame);

    /// `event` was committed by another node sharing the store, and this
    /// node just learned of it (a cluster's fan-out republishes only what
    /// its own node committed).
    fn received(&self, event: &SessionEvent, frame: &Frame) {
        self.committed(event, frame);
    }
}

/// Orders, de-duplicates, stores and publishes session events.
pub trait SessionEngine: Send + Sync + 'static {
    /// The customer's one open session, or a new one opened with `context`
    /// (its first event carries `command_id`). Two calls racing for one
    /// customer end in one session.
    fn open<'a>(
        &'a self,
        customer: &'a Principal,
        context: CustomerContext,
        command_id: &'a str,
    ) -> BoxFuture<'a, Result<Opened, SessionError>>;

    /// Appends what `append.decide` produces, in the session's order,
    /// durable before it resolves and before anyone sees it.
    fn append<'a>(
        &'a self,
        session_id: &'a str,
        append: Append<'a>,
    ) -> BoxFuture<'a, Result<Committed, SessionError>>;

    /// [`SessionEngine::append`], calling `ordered` as soon as the append's
    /// place in the session's order is fixed (its write queued behind the
    /// session's earlier ones, or the append ended without one). A caller
    /// that waits for it before starting its next append keeps its appends
    /// in the order it made them while their writes are in flight together.
    /// By default, `ordered` is called when the append ends.
    fn append_ordered<'a>(
        &'a self,
        session_id: &'a str,
        append: Append<'a>,
        ordered: &'a (dyn Fn() + Sync),
    ) -> BoxFuture<'a, Result<Committed, SessionError>> {
        Box::pin(async move {
            let committed = self.append(session_id, append).await;
            ordered();
            committed
        })
    }

    /// The session as it stands, without waiting behind a store write.
    fn view<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionView>, SessionError>>;

    /// The session as the store has it now: an engine sharing its store
    /// with other nodes catches up first. For a check that the cached view
    /// refused (another node may have just made it valid); otherwise the
    /// same as [`SessionEngine::view`].
    fn refresh<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionView>, SessionError>>;

    /// The session and its events after `after_seq`, consistent with each
    /// other (for attaching): the recent ones, and older ones from the
    /// store when the gap is short enough (for `LocalEngine`: at most
    /// `history_limit` events before its window). An engine sharing its
    /// store catches up first, so the answer holds everything any node
    /// acknowledged before the call.
    fn replay<'a>(
        &'a self,
        session_id: &'a str,
        after_seq: u64,
    ) -> BoxFuture<'a, Result<Replay, SessionError>>;

    /// Up to `limit` stored events after `after_seq`, from the store.
    fn read<'a>(
        &'a self,
        session_id: &'a str,
        after_seq: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<SessionEvent>, SessionError>>;

    /// Every open session.
    fn open_sessions(&self) -> BoxFuture<'_, Result<Vec<SessionView>, SessionError>>;

    /// The id of the customer's open session, if they have one.
    fn open_session_of<'a>(&'a self, sub: &'a str) -> BoxFuture<'a, Option<SessionId>>;

    /// Forgets sessions the store deleted (retention, erasure).
    fn forget(&self, ids: &[SessionId]);

    /// Lets go of a session's memory unless it is in use (it stays in the
    /// store and is read back when needed, an open one as its customer's
    /// open session).
    fn release(&self, session_id: &str);

    /// Sessions held in memory.
    fn sessions_held(&self) -> usize;

    /// Bytes of serialized events held in memory for resume, all sessions
    /// together.
    fn window_bytes(&self) -> usize;
}
