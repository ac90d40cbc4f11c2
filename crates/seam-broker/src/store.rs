//! Where sessions and their event logs are recorded.
//!
//! The broker keeps live state (subscribers, a window of recent events) in
//! memory and writes every stored event through a [`SessionStore`] before it
//! acknowledges the command. On start it rebuilds its sessions from
//! [`SessionStore::load`]. [`MemoryStore`] keeps everything in the process:
//! a broker restarted on the same `MemoryStore` (tests, embedded use) gets
//! every session back; a durable backend implements the same trait.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use seam_protocol::{CustomerContext, Principal, SessionEvent, SessionId};

/// A boxed future, so the trait stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a store knows about a session apart from its events.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    /// The session's id.
    pub session_id: SessionId,
    /// The epoch of its log.
    pub epoch: String,
    /// Its customer.
    pub customer: Principal,
    /// The context it was opened with.
    pub context: CustomerContext,
    /// Creation time, Unix milliseconds.
    pub created_at: u64,
}

/// A session as loaded back from a store.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSession {
    /// The record.
    pub record: SessionRecord,
    /// Its events in `seq` order.
    pub events: Vec<SessionEvent>,
}

/// A store operation failed; the command it served was not acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The event's session is unknown to the store.
    #[error("session {0} is not in the store")]
    UnknownSession(SessionId),
    /// An event arrived out of order (its `seq` is not the next one).
    #[error("event {seq} of session {session_id} is out of order (expected {expected})")]
    OutOfOrder {
        /// The session.
        session_id: SessionId,
        /// The event's seq.
        seq: u64,
        /// The seq the store expected.
        expected: u64,
    },
    /// The backend failed.
    #[error("store backend failed: {0}")]
    Backend(String),
}

/// Records sessions and their events. Implementations must make an event
/// durable (by their own standard) before `append` resolves.
pub trait SessionStore: Send + Sync + 'static {
    /// Records a new session with its first event.
    fn create<'a>(
        &'a self,
        record: &'a SessionRecord,
        first: &'a SessionEvent,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Appends the next event of a session.
    fn append<'a>(&'a self, event: &'a SessionEvent) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Loads every session with its events.
    fn load(&self) -> BoxFuture<'_, Result<Vec<StoredSession>, StoreError>>;
}

/// A store that keeps everything in this process's memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    sessions: Mutex<HashMap<SessionId, StoredSession>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, StoredSession>> {
        // A panic while holding this lock cannot leave the map half-updated
        // (every update is a single insert or push), so poisoning is ignored.
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SessionStore for MemoryStore {
    fn create<'a>(
        &'a self,
        record: &'a SessionRecord,
        first: &'a SessionEvent,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let stored = StoredSession {
            record: record.clone(),
            events: vec![first.clone()],
        };
        self.sessions().insert(record.session_id.clone(), stored);
        Box::pin(std::future::ready(Ok(())))
    }

    fn append<'a>(&'a self, event: &'a SessionEvent) -> BoxFuture<'a, Result<(), StoreError>> {
        let result = match self.sessions().get_mut(&event.session_id) {
            None => Err(StoreError::UnknownSession(event.session_id.clone())),
            Some(stored) => {
                let expected = stored.events.last().map_or(1, |e| e.seq + 1);
                if event.seq == expected {
                    stored.events.push(event.clone());
                    Ok(())
                } else {
                    Err(StoreError::OutOfOrder {
                        session_id: event.session_id.clone(),
                        seq: event.seq,
                        expected,
                    })
                }
            }
        };
        Box::pin(std::future::ready(result))
    }

    fn load(&self) -> BoxFuture<'_, Result<Vec<StoredSession>, StoreError>> {
        let all = self.sessions().values().cloned().collect();
        Box::pin(std::future::ready(Ok(all)))
    }
}
