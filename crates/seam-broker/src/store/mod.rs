//! Where sessions, their event logs and the webhook outbox are recorded.
//!
//! The broker keeps live state (subscribers, a window of recent events) in
//! memory and writes every stored event through a [`SessionStore`] before it
//! acknowledges the command. It reads a session back ([`SessionStore::get`])
//! on its first use, not at start. Two implementations share one behaviour (checked
//! by one conformance suite): [`MemoryStore`] keeps everything in the
//! process, so a broker restarted on the same store keeps its sessions;
//! [`SqliteStore`] keeps it in an embedded SQLite database that survives
//! the process.
//!
//! Webhook deliveries are written in the same write as the event that
//! causes them ([`OutboxOp`]), so an acknowledged event never loses its
//! webhook, even across a crash.

mod memory;
mod monitored;
mod postgres;
mod sqlite;

use std::future::Future;
use std::pin::Pin;

use seam_protocol::{
    AgentStatus, CannedResponse, Principal, Receipt, SessionEvent, SessionId, SessionState,
};
use serde::Serialize;

use crate::frame::Frame;

pub use crate::error::StoreError;
pub use crate::session::{Rating, SessionRecord, SessionSummary};
pub use memory::MemoryStore;
pub use monitored::{MonitoredStore, StoreHealth};
pub use postgres::{PostgresOptions, PostgresStore};
pub use sqlite::{backup as backup_sqlite, SqliteOptions, SqliteStore};

/// A boxed future, so the trait stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A session as loaded back from a store.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSession {
    /// The record.
    pub record: SessionRecord,
    /// Its events in `seq` order.
    pub events: Vec<SessionEvent>,
}

/// An agent's or bot's routing status as last set, kept by a store that
/// several nodes share, so that a node taking over routing starts from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentStatusRecord {
    /// The agent's (or bot's) `sub`.
    pub sub: String,
    /// Its status.
    pub status: AgentStatus,
    /// The skills last set with a status, if any were.
    pub skills: Option<Vec<String>>,
    /// The capacity last set with a status, if any was.
    pub capacity: Option<u32>,
    /// When it was set: Unix milliseconds, on the clock of the node it came
    /// through.
    pub at: u64,
}

/// What [`SessionStore::hold_lease`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseHold {
    /// Another holder has the lease, and it has not run out.
    Refused,
    /// The holder has the lease now; it was nobody's, or another holder's
    /// that had run out.
    Taken,
    /// The holder had the lease last and keeps it (run out or not, nobody
    /// else held it in between).
    Renewed,
}

/// Which sessions a listing returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFilter {
    /// Only open or only ended sessions.
    pub state: Option<SessionState>,
    /// Only sessions of this queue.
    pub queue: Option<String>,
    /// Only sessions this agent took part in.
    pub agent: Option<String>,
    /// Only sessions of this customer.
    pub customer: Option<String>,
    /// Created at or after, Unix milliseconds.
    pub since: Option<u64>,
    /// Created before, Unix milliseconds.
    pub until: Option<u64>,
    /// Only messages left while nobody could answer (`true`), or only the
    /// other sessions (`false`).
    pub offline: Option<bool>,
    /// At most this many, newest first.
    pub limit: usize,
}

impl SessionFilter {
    /// Whether a summary passes the filter.
    pub fn matches(&self, s: &SessionSummary) -> bool {
        self.state.is_none_or(|state| s.state == state)
            && self
                .queue
                .as_ref()
                .is_none_or(|q| s.queue.as_ref() == Some(q))
            && self.agent.as_ref().is_none_or(|a| s.agents.contains(a))
            && self.customer.as_ref().is_none_or(|c| &s.customer.sub == c)
            && self.since.is_none_or(|t| s.created_at >= t)
            && self.until.is_none_or(|t| s.created_at < t)
            && self
                .offline
                .is_none_or(|offline| s.offline_email.is_some() == offline)
    }
}

/// The webhook events seam emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum WebhookKind {
    /// A customer opened a session.
    #[serde(rename = "session.started")]
    SessionStarted,
    /// An agent was assigned by routing.
    #[serde(rename = "session.assigned")]
    SessionAssigned,
    /// The mode changed.
    #[serde(rename = "session.mode_changed")]
    SessionModeChanged,
    /// The session ended (carries the transcript and the rating).
    #[serde(rename = "session.ended")]
    SessionEnded,
    /// A customer left a message to be answered by email.
    #[serde(rename = "session.offline_message")]
    OfflineMessage,
}

impl WebhookKind {
    /// The name on the wire, e.g. `session.ended`.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookKind::SessionStarted => "session.started",
            WebhookKind::SessionAssigned => "session.assigned",
            WebhookKind::SessionModeChanged => "session.mode_changed",
            WebhookKind::SessionEnded => "session.ended",
            WebhookKind::OfflineMessage => "session.offline_message",
        }
    }

    /// The kind for a stored name.
    pub fn parse(name: &str) -> Option<WebhookKind> {
        [
            WebhookKind::SessionStarted,
            WebhookKind::SessionAssigned,
            WebhookKind::SessionModeChanged,
            WebhookKind::SessionEnded,
            WebhookKind::OfflineMessage,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

/// A change to the webhook outbox, written together with an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxOp {
    /// Deliver `kind` for this event to `url`, not before `due_at`.
    Enqueue {
        /// The endpoint.
        url: String,
        /// The webhook.
        kind: WebhookKind,
        /// Unix milliseconds.
        due_at: u64,
    },
    /// Deliver this session's pending `kind` deliveries now (the rating
    /// arrived, so `session.ended` need not wait any longer).
    Hasten {
        /// The webhook.
        kind: WebhookKind,
        /// Unix milliseconds.
        now: u64,
    },
}

/// An event to append, with the webhook deliveries it enqueues or hastens.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// The event. Serialized when the `NewEvent` is made: to change it,
    /// make a new one.
    pub event: SessionEvent,
    /// Its outbox changes, written in the same write.
    pub outbox: Vec<OutboxOp>,
    /// Its `event` frame, serialized once: the engine publishes it, and a
    /// store that keeps events as JSON takes [`NewEvent::json`] from it.
    pub(crate) frame: Frame,
}

impl NewEvent {
    /// An event and its outbox changes, serialized once.
    pub fn new(event: SessionEvent, outbox: Vec<OutboxOp>) -> NewEvent {
        NewEvent {
            frame: Frame::event(&event),
            event,
            outbox,
        }
    }

    /// An event causing no webhook.
    pub fn plain(event: SessionEvent) -> NewEvent {
        NewEvent::new(event, Vec::new())
    }

    /// The event's JSON, as stores keep it: cut from its frame (written
    /// anew only if the frame were not an `event` frame).
    pub fn json(&self) -> Result<String, StoreError> {
        match self.frame.event_json() {
            Some(json) => Ok(json),
            None => {
                serde_json::to_string(&self.event).map_err(|e| StoreError::Backend(e.to_string()))
            }
        }
    }
}

/// Checks that `events` are one session's, consecutive, right after
/// `last_seq`.
fn check_run(events: &[NewEvent], last_seq: u64) -> Result<(), StoreError> {
    let Some(first) = events.first() else {
        return Ok(());
    };
    check_seqs(
        &first.event.session_id,
        events.iter().map(|n| n.event.seq),
        last_seq,
    )
}

/// Checks that `seqs`, of session `session_id`, follow each other right
/// after `last_seq`.
fn check_seqs(
    session_id: &str,
    seqs: impl IntoIterator<Item = u64>,
    last_seq: u64,
) -> Result<(), StoreError> {
    for (expected, seq) in (last_seq + 1..).zip(seqs) {
        if seq != expected {
            return Err(StoreError::OutOfOrder {
                session_id: session_id.to_owned(),
                seq,
                expected,
            });
        }
    }
    Ok(())
}

/// A webhook delivery waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The outbox row.
    pub id: u64,
    /// The session.
    pub session_id: SessionId,
    /// The event that caused it.
    pub seq: u64,
    /// The endpoint.
    pub url: String,
    /// The webhook.
    pub kind: WebhookKind,
    /// Attempts so far.
    pub attempts: u32,
}

/// Records sessions, events and webhook deliveries. An implementation makes
/// a write durable (by its own standard) before the write resolves.
pub trait SessionStore: Send + Sync + 'static {
    /// Records a new session with its first event.
    fn create<'a>(
        &'a self,
        record: &'a SessionRecord,
        first: &'a SessionEvent,
        outbox: &'a [OutboxOp],
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Appends the next events of one session, in `seq` order, all or
    /// none.
    ///
    /// The write is queued when `append` is called, not when its future is
    /// first polled: appends to one session made one after another are
    /// applied in that order while earlier ones are still in flight (the
    /// engine pipelines them), and a run that does not start where the
    /// store stands (because an earlier one failed) fails as
    /// [`StoreError::OutOfOrder`].
    ///
    /// `listing` is the session's listing after the run when the run
    /// changes it ([`SessionView::listing_after`]: agents joined, queue,
    /// ended, rated), `None` when only `last_seq` moves. The caller folds
    /// the session anyway, so a store never reads a session back to keep
    /// its listing current.
    ///
    /// [`SessionView::listing_after`]: crate::session::SessionView::listing_after
    fn append<'a>(
        &'a self,
        events: &'a [NewEvent],
        listing: Option<&'a SessionSummary>,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Loads every session with its events.
    fn load(&self) -> BoxFuture<'_, Result<Vec<StoredSession>, StoreError>>;

    /// One session with all its events.
    fn get<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredSession>, StoreError>>;

    /// Up to `limit` events of a session after `after_seq`, in `seq` order
    /// (none for an unknown session).
    fn events_after<'a>(
        &'a self,
        session_id: &'a str,
        after_seq: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<SessionEvent>, StoreError>>;

    /// Every event of a session in `seq` order, read a page at a time (none
    /// for an unknown session).
    fn all_events<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SessionEvent>, StoreError>> {
        const PAGE: usize = 1000;
        Box::pin(async move {
            let mut events: Vec<SessionEvent> = Vec::new();
            loop {
                let after = events.last().map_or(0, |e| e.seq);
                let page = self.events_after(session_id, after, PAGE).await?;
                let full = page.len() == PAGE;
                events.extend(page);
                if !full {
                    return Ok(events);
                }
            }
        })
    }

    /// One session's listing line, without reading its events.
    fn summary<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionSummary>, StoreError>>;

    /// Sessions matching a filter, newest first.
    fn list<'a>(
        &'a self,
        filter: &'a SessionFilter,
    ) -> BoxFuture<'a, Result<Vec<SessionSummary>, StoreError>>;

    /// Deletes sessions that ended before `cutoff` (Unix ms); returns their ids.
    fn delete_ended_before(&self, cutoff: u64)
        -> BoxFuture<'_, Result<Vec<SessionId>, StoreError>>;

    /// Deletes everything about one customer; returns the sessions deleted.
    fn erase_customer<'a>(
        &'a self,
        sub: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SessionId>, StoreError>>;

    /// The last seq of each of these sessions the store has (unknown ones
    /// are left out): how a node checks it has seen every event.
    fn last_seqs<'a>(
        &'a self,
        ids: &'a [SessionId],
    ) -> BoxFuture<'a, Result<Vec<(SessionId, u64)>, StoreError>> {
        Box::pin(async move {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(summary) = self.summary(id).await? {
                    out.push((id.clone(), summary.last_seq));
                }
            }
            Ok(out)
        })
    }

    /// Takes or renews the lease `name` for `holder` for `ttl_ms`. A lease
    /// held by another holder is taken only once it has run out. A store
    /// no other node shares always renews it.
    fn hold_lease<'a>(
        &'a self,
        name: &'a str,
        holder: &'a str,
        ttl_ms: u64,
    ) -> BoxFuture<'a, Result<LeaseHold, StoreError>> {
        let _ = (name, holder, ttl_ms);
        Box::pin(async { Ok(LeaseHold::Renewed) })
    }

    /// Records an agent's routing status. A record older than the stored
    /// one (by `at`) is ignored; skills or capacity it leaves out keep
    /// their stored values. A store no other node shares keeps none: its
    /// one node's router holds them.
    fn save_agent_status<'a>(
        &'a self,
        record: &'a AgentStatusRecord,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let _ = record;
        Box::pin(async { Ok(()) })
    }

    /// Every agent status recorded by [`SessionStore::save_agent_status`].
    fn agent_statuses(&self) -> BoxFuture<'_, Result<Vec<AgentStatusRecord>, StoreError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// The customer's open session, as the store has it.
    fn open_session_of<'a>(
        &'a self,
        sub: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionId>, StoreError>> {
        Box::pin(async move {
            let filter = SessionFilter {
                state: Some(SessionState::Open),
                customer: Some(sub.to_owned()),
                limit: 1,
                ..SessionFilter::default()
            };
            Ok(self.list(&filter).await?.pop().map(|s| s.session_id))
        })
    }

    /// Deliveries due at `now`, oldest first. A store shared by several
    /// nodes claims them, so each is handed to one node at a time.
    fn due_deliveries(
        &self,
        now: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<Delivery>, StoreError>>;

    /// The soonest `due_at` of any pending delivery.
    fn next_delivery_at(&self) -> BoxFuture<'_, Result<Option<u64>, StoreError>>;

    /// How many webhook deliveries are pending (the outbox's depth).
    fn pending_deliveries(&self) -> BoxFuture<'_, Result<u64, StoreError>>;

    /// A delivery succeeded (or was given up): remove it.
    fn delivery_done(&self, id: u64) -> BoxFuture<'_, Result<(), StoreError>>;

    /// A delivery failed: try again at `due_at`.
    fn delivery_retry(
        &self,
        id: u64,
        due_at: u64,
        attempts: u32,
    ) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Moves `participant`'s delivery and read horizons in a session
    /// forward (a lower value than the stored one changes nothing) and
    /// returns them as they now stand. Callers pass `delivered_seq` at
    /// least `read_seq`.
    fn put_receipt<'a>(
        &'a self,
        session_id: &'a str,
        participant: &'a Principal,
        delivered_seq: u64,
        read_seq: u64,
    ) -> BoxFuture<'a, Result<Receipt, StoreError>>;

    /// Every participant's horizons in a session (deleted with it).
    fn receipts<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Receipt>, StoreError>>;

    /// Keeps an attachment's bytes, durable before it resolves. Ids are
    /// plain (letters, digits, `_`, `-`); others are refused.
    fn put_blob<'a>(
        &'a self,
        session_id: &'a str,
        id: &'a str,
        bytes: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// An attachment's bytes; `None` when unknown (or its session was
    /// deleted: blobs go with their session).
    fn blob<'a>(
        &'a self,
        session_id: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u8>>, StoreError>>;

    /// Saved replies defined through the admin API, by shortcut.
    fn canned_responses(&self) -> BoxFuture<'_, Result<Vec<CannedResponse>, StoreError>>;

    /// Creates or replaces the saved reply with this shortcut.
    fn put_canned_response<'a>(
        &'a self,
        reply: &'a CannedResponse,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Deletes a saved reply; whether there was one.
    fn delete_canned_response<'a>(
        &'a self,
        shortcut: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
}

/// Refuses an id that is not safe as a file name.
fn check_blob_ids(session_id: &str, id: &str) -> Result<(), StoreError> {
    if crate::attachment::is_safe_id(session_id) && crate::attachment::is_safe_id(id) {
        Ok(())
    } else {
        Err(StoreError::Backend(format!(
            "invalid attachment id `{session_id}/{id}`"
        )))
    }
}

/// How a session's state is written in a store's `state` column.
fn state_name(state: SessionState) -> &'static str {
    match state {
        SessionState::Open => "open",
        SessionState::Ended => "ended",
    }
}

/// Checks that `event` is the next one after `last_seq`.
fn check_order(event: &SessionEvent, last_seq: u64) -> Result<(), StoreError> {
    let expected = last_seq + 1;
    if event.seq == expected {
        Ok(())
    } else {
        Err(StoreError::OutOfOrder {
            session_id: event.session_id.clone(),
            seq: event.seq,
            expected,
        })
    }
}
