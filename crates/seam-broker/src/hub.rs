//! The registry of live sessions and connections on this node.
//!
//! The hub finds sessions by id and a customer's open session by `sub`, and
//! creates sessions so that two tabs of one customer opening at once end up
//! in the same session. It owns the store handle every session writes through.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use dashmap::mapref::entry::Entry;
use dashmap::DashMap;
use rand::Rng;
use seam_protocol::{CustomerContext, Principal, SessionId};

use crate::session::{Session, SessionError};
use crate::store::{SessionStore, StoreError};
use crate::webhook::WebhookPolicy;

/// Live sessions and connection bookkeeping.
pub struct Hub {
    sessions: DashMap<SessionId, Arc<Session>>,
    open_by_customer: DashMap<String, SessionId>,
    store: Arc<dyn SessionStore>,
    history_limit: usize,
    webhooks: Arc<WebhookPolicy>,
    node: String,
    next_conn: AtomicU64,
    connections: AtomicUsize,
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

impl Hub {
    /// Builds a hub and restores every session the store holds.
    pub async fn restore(
        store: Arc<dyn SessionStore>,
        history_limit: usize,
        webhooks: Arc<WebhookPolicy>,
    ) -> Result<Hub, StoreError> {
        let hub = Hub {
            sessions: DashMap::new(),
            open_by_customer: DashMap::new(),
            store,
            history_limit,
            webhooks,
            node: random_hex(4),
            next_conn: AtomicU64::new(1),
            connections: AtomicUsize::new(0),
        };
        for stored in hub.store.load().await? {
            let session = Arc::new(Session::from_stored(
                stored,
                history_limit,
                Arc::clone(&hub.webhooks),
            ));
            if session.is_open().await {
                hub.open_by_customer
                    .insert(session.customer().sub.clone(), session.id().clone());
            }
            hub.sessions.insert(session.id().clone(), session);
        }
        Ok(hub)
    }

    /// The store sessions write through.
    pub fn store(&self) -> &dyn SessionStore {
        self.store.as_ref()
    }

    /// A shared handle on the store, for tasks that outlive a command.
    pub fn store_handle(&self) -> Arc<dyn SessionStore> {
        Arc::clone(&self.store)
    }

    /// Every session held.
    pub fn sessions(&self) -> Vec<Arc<Session>> {
        self.sessions
            .iter()
            .map(|s| Arc::clone(s.value()))
            .collect()
    }

    /// A session by id.
    pub fn session(&self, id: &str) -> Option<Arc<Session>> {
        self.sessions.get(id).map(|s| Arc::clone(s.value()))
    }

    /// Number of sessions held (open and ended).
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// The customer's open session, or a new one opened with `context`.
    /// Returns the session and whether it was created by this call.
    pub async fn open_session(
        &self,
        customer: &Principal,
        context: CustomerContext,
        command_id: &str,
    ) -> Result<(Arc<Session>, bool), SessionError> {
        loop {
            let existing = self
                .open_by_customer
                .get(&customer.sub)
                .and_then(|id| self.session(id.value()));
            if let Some(session) = existing {
                if session.is_open().await {
                    return Ok((session, false));
                }
                self.forget_open(&session);
                continue;
            }
            let (session, record, first) = Session::open(
                format!("s_{}", random_hex(8)),
                random_hex(8),
                customer.clone(),
                context.clone(),
                command_id,
                self.history_limit,
                Arc::clone(&self.webhooks),
            );
            let session = Arc::new(session);
            // Hold the new session's lock until the store has it, so a second
            // tab that finds it waits instead of seeing a session not yet durable.
            let Some(guard) = session.lock_new() else {
                continue;
            };
            match self.open_by_customer.entry(customer.sub.clone()) {
                Entry::Occupied(_) => continue,
                Entry::Vacant(slot) => {
                    slot.insert(session.id().clone());
                }
            }
            self.sessions
                .insert(session.id().clone(), Arc::clone(&session));
            let outbox = self.webhooks.ops_for(&first);
            if let Err(e) = self.store.create(&record, &first, &outbox).await {
                self.sessions.remove(session.id());
                self.forget_open(&session);
                drop(guard);
                return Err(e.into());
            }
            drop(guard);
            return Ok((session, true));
        }
    }

    /// Whether the customer `sub` has an open session.
    pub fn has_open_session(&self, sub: &str) -> bool {
        self.open_by_customer.contains_key(sub)
    }

    /// Drops sessions the store deleted (retention, erasure).
    pub fn remove(&self, ids: &[SessionId]) {
        for id in ids {
            if let Some((_, session)) = self.sessions.remove(id) {
                self.forget_open(&session);
            }
        }
    }

    /// Forgets that `session` is its customer's open session (it ended).
    pub fn forget_open(&self, session: &Session) {
        self.open_by_customer
            .remove_if(&session.customer().sub, |_, id| id == session.id());
    }

    /// A new connection id, and the connection counted.
    pub fn connection_opened(&self) -> (u64, String) {
        self.connections.fetch_add(1, Ordering::Relaxed);
        let n = self.next_conn.fetch_add(1, Ordering::Relaxed);
        (n, format!("{}-{n}", self.node))
    }

    /// A connection closed.
    pub fn connection_closed(&self) {
        self.connections.fetch_sub(1, Ordering::Relaxed);
    }

    /// Connections currently open.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }
}

/// `bytes` random bytes as lowercase hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}
