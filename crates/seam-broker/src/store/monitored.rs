//! A store wrapper that watches its store: every write's outcome is
//! recorded (so `/healthz` can say the store is failing, and when it
//! recovered), and failures are logged without flooding the log.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use seam_protocol::{CannedResponse, Principal, Receipt, SessionEvent, SessionId};

use super::{
    AgentStatusRecord, BoxFuture, Delivery, LeaseHold, NewEvent, OutboxOp, SessionFilter,
    SessionRecord, SessionStore, SessionSummary, StoreError, StoredSession,
};
use crate::metrics::Metrics;
use crate::throttle::Throttled;

/// What the last write to the store said.
#[derive(Debug, Default)]
pub struct StoreHealth {
    failing: Mutex<Option<String>>,
}

impl StoreHealth {
    fn failing(&self) -> MutexGuard<'_, Option<String>> {
        // A plain value, replaced whole.
        self.failing.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The last write's error, while the store keeps failing.
    pub fn failure(&self) -> Option<String> {
        self.failing().clone()
    }
}

/// Wraps a store, recording the health of its writes.
pub struct MonitoredStore {
    inner: Arc<dyn SessionStore>,
    health: Arc<StoreHealth>,
    log: Throttled,
    metrics: Option<Arc<Metrics>>,
}

impl MonitoredStore {
    /// Watches `inner`; `health` is where its state can be read.
    pub fn new(inner: Arc<dyn SessionStore>) -> (MonitoredStore, Arc<StoreHealth>) {
        let health = Arc::new(StoreHealth::default());
        let store = MonitoredStore {
            inner,
            health: Arc::clone(&health),
            log: Throttled::new("store write failed", Duration::from_secs(10)),
            metrics: None,
        };
        (store, health)
    }

    /// Also reports every write's duration and outcome, and every event
    /// stored, to `metrics`.
    pub(crate) fn observed(mut self, metrics: Arc<Metrics>) -> MonitoredStore {
        self.metrics = Some(metrics);
        self
    }

    /// Counts the events of a write that succeeded.
    fn stored<'e>(&self, events: impl Iterator<Item = &'e SessionEvent>) {
        if let Some(metrics) = &self.metrics {
            for event in events {
                metrics.event_stored(event.body.kind());
                match &event.body {
                    seam_protocol::EventBody::ModeChanged { mode, .. } => {
                        metrics.mode_changed(mode.as_str());
                    }
                    seam_protocol::EventBody::ModeRecommended { recommendation } => {
                        metrics.mode_recommended(recommendation.mode.as_str());
                    }
                    _ => {}
                }
            }
        }
    }

    fn watch<'a, T: Send + 'a>(
        &'a self,
        write: BoxFuture<'a, Result<T, StoreError>>,
    ) -> BoxFuture<'a, Result<T, StoreError>> {
        Box::pin(async move {
            let started = Instant::now();
            let result = write.await;
            if let Some(metrics) = &self.metrics {
                metrics.store_write(started.elapsed(), result.is_ok());
            }
            match &result {
                Ok(_) => {
                    let mut failing = self.health.failing();
                    if failing.take().is_some() {
                        tracing::info!("store writes succeed again");
                    }
                }
                // Out of order, unknown sessions and conflicts with
                // another node are not the store's health.
                Err(StoreError::Backend(why) | StoreError::Unavailable(why)) => {
                    self.log.error(why);
                    *self.health.failing() = Some(why.clone());
                }
                Err(_) => {}
            }
            result
        })
    }
}

impl SessionStore for MonitoredStore {
    fn create<'a>(
        &'a self,
        record: &'a SessionRecord,
        first: &'a SessionEvent,
        outbox: &'a [OutboxOp],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let result = self.watch(self.inner.create(record, first, outbox)).await;
            if result.is_ok() {
                self.stored(std::iter::once(first));
            }
            result
        })
    }

    fn append<'a>(
        &'a self,
        events: &'a [NewEvent],
        listing: Option<&'a SessionSummary>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        // Queued now, as the trait promises; only the answer is awaited.
        let write = self.watch(self.inner.append(events, listing));
        Box::pin(async move {
            let result = write.await;
            if result.is_ok() {
                self.stored(events.iter().map(|e| &e.event));
            }
            result
        })
    }

    fn load(&self) -> BoxFuture<'_, Result<Vec<StoredSession>, StoreError>> {
        self.inner.load()
    }

    fn get<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredSession>, StoreError>> {
        self.inner.get(session_id)
    }

    fn events_after<'a>(
        &'a self,
        session_id: &'a str,
        after_seq: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<SessionEvent>, StoreError>> {
        self.inner.events_after(session_id, after_seq, limit)
    }

    fn last_seqs<'a>(
        &'a self,
        ids: &'a [SessionId],
    ) -> BoxFuture<'a, Result<Vec<(SessionId, u64)>, StoreError>> {
        self.inner.last_seqs(ids)
    }

    fn hold_lease<'a>(
        &'a self,
        name: &'a str,
        holder: &'a str,
        ttl_ms: u64,
    ) -> BoxFuture<'a, Result<LeaseHold, StoreError>> {
        self.inner.hold_lease(name, holder, ttl_ms)
    }

    fn save_agent_status<'a>(
        &'a self,
        record: &'a AgentStatusRecord,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.inner.save_agent_status(record)
    }

    fn agent_statuses(&self) -> BoxFuture<'_, Result<Vec<AgentStatusRecord>, StoreError>> {
        self.inner.agent_statuses()
    }

    fn open_session_of<'a>(
        &'a self,
        sub: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionId>, StoreError>> {
        self.inner.open_session_of(sub)
    }

    fn summary<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionSummary>, StoreError>> {
        self.inner.summary(session_id)
    }

    fn list<'a>(
        &'a self,
        filter: &'a SessionFilter,
    ) -> BoxFuture<'a, Result<Vec<SessionSummary>, StoreError>> {
        self.inner.list(filter)
    }

    fn delete_ended_before(
        &self,
        cutoff: u64,
    ) -> BoxFuture<'_, Result<Vec<SessionId>, StoreError>> {
        self.watch(self.inner.delete_ended_before(cutoff))
    }

    fn erase_customer<'a>(
        &'a self,
        sub: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SessionId>, StoreError>> {
        self.watch(self.inner.erase_customer(sub))
    }

    fn due_deliveries(
        &self,
        now: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<Delivery>, StoreError>> {
        self.inner.due_deliveries(now, limit)
    }

    fn next_delivery_at(&self) -> BoxFuture<'_, Result<Option<u64>, StoreError>> {
        self.inner.next_delivery_at()
    }

    fn delivery_done(&self, id: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        self.watch(self.inner.delivery_done(id))
    }

    fn delivery_retry(
        &self,
        id: u64,
        due_at: u64,
        attempts: u32,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        self.watch(self.inner.delivery_retry(id, due_at, attempts))
    }

    fn pending_deliveries(&self) -> BoxFuture<'_, Result<u64, StoreError>> {
        self.inner.pending_deliveries()
    }

    fn put_receipt<'a>(
        &'a self,
        session_id: &'a str,
        participant: &'a Principal,
        delivered_seq: u64,
        read_seq: u64,
    ) -> BoxFuture<'a, Result<Receipt, StoreError>> {
        self.watch(
            self.inner
                .put_receipt(session_id, participant, delivered_seq, read_seq),
        )
    }

    fn receipts<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Receipt>, StoreError>> {
        self.inner.receipts(session_id)
    }

    fn put_blob<'a>(
        &'a self,
        session_id: &'a str,
        id: &'a str,
        bytes: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.watch(self.inner.put_blob(session_id, id, bytes))
    }

    fn blob<'a>(
        &'a self,
        session_id: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u8>>, StoreError>> {
        self.inner.blob(session_id, id)
    }

    fn canned_responses(&self) -> BoxFuture<'_, Result<Vec<CannedResponse>, StoreError>> {
        self.inner.canned_responses()
    }

    fn put_canned_response<'a>(
        &'a self,
        reply: &'a CannedResponse,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.watch(self.inner.put_canned_response(reply))
    }

    fn delete_canned_response<'a>(
        &'a self,
        shortcut: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.watch(self.inner.delete_canned_response(shortcut))
    }
}
