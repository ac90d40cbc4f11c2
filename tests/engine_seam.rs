//! What the engine seam promises a user, over real connections: ephemeral
//! frames (typing, signaling) never wait behind a store write, and once
//! `shutdown()` returns nothing more is written to the store, whatever
//! timers were armed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use seam_broker::store::{
    BoxFuture, Delivery, NewEvent, OutboxOp, SessionFilter, SessionRecord, SessionStore,
    SessionSummary, StoreError, StoredSession,
};
use seam_broker::{MemoryStore, QueueConfig};
use seam_client::Event;
use seam_protocol::{Mode, Role, SessionEvent, SessionId};
use tokio::sync::watch;

/// A real memory store whose event appends can be held at a gate, and
/// which counts every write.
struct GatedStore {
    inner: MemoryStore,
    open: watch::Sender<bool>,
    writes: AtomicUsize,
    closed: AtomicBool,
    writes_after_close: AtomicUsize,
    /// Appends fail as a full disk would.
    full: AtomicBool,
}

impl GatedStore {
    fn new() -> Arc<GatedStore> {
        Arc::new(GatedStore {
            inner: MemoryStore::new(),
            open: watch::Sender::new(true),
            writes: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            writes_after_close: AtomicUsize::new(0),
            full: AtomicBool::new(false),
        })
    }

    fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
        if self.closed.load(Ordering::SeqCst) {
            self.writes_after_close.fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl SessionStore for GatedStore {
    fn create<'a>(
        &'a self,
        record: &'a SessionRecord,
        first: &'a SessionEvent,
        outbox: &'a [OutboxOp],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.wrote();
        self.inner.create(record, first, outbox)
    }

    fn append<'a>(&'a self, events: &'a [NewEvent]) -> BoxFuture<'a, Result<(), StoreError>> {
        self.wrote();
        // Queued when called, as the trait asks; answered once the gate opens.
        let result = if self.full.load(Ordering::SeqCst) {
            Err(StoreError::Backend("database or disk is full".into()))
        } else {
            futures_util::FutureExt::now_or_never(self.inner.append(events))
                .unwrap_or_else(|| Err(StoreError::Backend("the memory store waited".into())))
        };
        let mut open = self.open.subscribe();
        Box::pin(async move {
            let _ = open.wait_for(|open| *open).await;
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
        self.wrote();
        self.inner.delete_ended_before(cutoff)
    }

    fn erase_customer<'a>(
        &'a self,
        sub: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SessionId>, StoreError>> {
        self.wrote();
        self.inner.erase_customer(sub)
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
        self.wrote();
        self.inner.delivery_done(id)
    }

    fn delivery_retry(
        &self,
        id: u64,
        due_at: u64,
        attempts: u32,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        self.wrote();
        self.inner.delivery_retry(id, due_at, attempts)
    }

    fn pending_deliveries(&self) -> BoxFuture<'_, Result<u64, StoreError>> {
        self.inner.pending_deliveries()
    }

    fn put_receipt<'a>(
        &'a self,
        session_id: &'a str,
        participant: &'a seam_protocol::Principal,
        delivered_seq: u64,
        read_seq: u64,
    ) -> BoxFuture<'a, Result<seam_protocol::Receipt, StoreError>> {
        self.wrote();
        self.inner
            .put_receipt(session_id, participant, delivered_seq, read_seq)
    }

    fn receipts<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<seam_protocol::Receipt>, StoreError>> {
        self.inner.receipts(session_id)
    }

    fn put_blob<'a>(
        &'a self,
        session_id: &'a str,
        id: &'a str,
        bytes: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.wrote();
        self.inner.put_blob(session_id, id, bytes)
    }

    fn blob<'a>(
        &'a self,
        session_id: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u8>>, StoreError>> {
        self.inner.blob(session_id, id)
    }

    fn canned_responses(
        &self,
    ) -> BoxFuture<'_, Result<Vec<seam_protocol::CannedResponse>, StoreError>> {
        self.inner.canned_responses()
    }

    fn put_canned_response<'a>(
        &'a self,
        reply: &'a seam_protocol::CannedResponse,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.wrote();
        self.inner.put_canned_response(reply)
    }

    fn delete_canned_response<'a>(
        &'a self,
        shortcut: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.wrote();
        self.inner.delete_canned_response(shortcut)
    }
}

#[tokio::test]
async fn typing_reaches_the_other_side_while_a_message_waits_for_the_store() {
    let store = GatedStore::new();
    let broker = start_on(test_config(), store.clone()).await;
    let (alice, mut alice_events) = client(&broker, customer_token("alice", "billing")).await;
    let session = alice.open_session(None).await.unwrap();
    let (bob, mut bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    bob.join(&session.session_id).await.unwrap();
    drain_events(&mut alice_events, Duration::from_millis(100)).await;
    drain_events(&mut bob_events, Duration::from_millis(100)).await;

    // The store stalls: bob's message is accepted but not yet durable.
    store.open.send_replace(false);
    let sid = session.session_id.clone();
    let stalled = {
        let bob = bob.clone();
        tokio::spawn(async move { bob.send_message(&sid, "one moment").await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!stalled.is_finished(), "no ack before the store has it");

    // Alice's typing does not wait behind bob's write (it used to wait for
    // the session's lock), and bob's message is not seen before it is stored.
    alice.typing(&session.session_id, true).await.unwrap();
    let typing = wait_for(&mut bob_events, |e| match e {
        Event::Typing { from, active, .. } => Some((from.sub, active)),
        Event::Session(event) => panic!("an unacknowledged event arrived: {event:?}"),
        _ => None,
    })
    .await;
    assert_eq!(typing, ("alice".to_owned(), true));
    let early = drain_events(&mut alice_events, Duration::from_millis(100)).await;
    assert!(
        !early.iter().any(|e| matches!(e, Event::Session(_))),
        "{early:?}"
    );

    store.open.send_replace(true);
    let ack = stalled.await.unwrap().unwrap();
    assert_eq!(next_message(&mut alice_events).await, "one moment");
    assert!(ack.seq.is_some());
}

#[tokio::test]
async fn nothing_is_written_to_the_store_after_shutdown_returns() {
    let store = GatedStore::new();
    let mut config = test_config();
    config.media.request_timeout_ms = 300;
    config.routing.offer_timeout_ms = 300;
    config.routing.offline_grace_ms = 300;
    config.routing.queues = vec![QueueConfig {
        name: "general".into(),
        ..QueueConfig::default()
    }];
    let broker = start_on(config, store.clone()).await;
    // A session waiting with an offer out, and another in chat with a
    // video request pending: three timers armed, none due yet.
    let (agent, mut agent_events) = client(&broker, token(Role::Agent, "bob")).await;
    agent
        .set_status(seam_protocol::AgentStatus::Available)
        .await
        .unwrap();
    let (alice, _) = client(&broker, customer_token("alice", "billing")).await;
    let waiting = alice.open_session(None).await.unwrap();
    wait_for(&mut agent_events, |e| match e {
        Event::Offer(o) if o.session_id == waiting.session_id => Some(()),
        _ => None,
    })
    .await;
    let (carol, _) = client(&broker, customer_token("carol", "billing")).await;
    let chat = carol.open_session(None).await.unwrap();
    let (sue, _) = client(&broker, token(Role::Supervisor, "sue")).await;
    sue.monitor(&chat.session_id).await.unwrap();
    carol
        .request_mode(&chat.session_id, Mode::Video, false, None)
        .await
        .unwrap();
    let before = store.writes.load(Ordering::SeqCst);

    broker.shutdown().await;
    store.closed.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        store.writes_after_close.load(Ordering::SeqCst),
        0,
        "a timer wrote after shutdown ({} writes before it)",
        before
    );
}

#[tokio::test]
async fn healthz_reports_a_failing_store_and_its_recovery() {
    let store = GatedStore::new();
    let broker = start_on(test_config(), store.clone()).await;
    let addr = broker.local_addr();
    let (alice, _events) = client(&broker, customer_token("alice", "billing")).await;
    let session = alice.open_session(None).await.unwrap();
    let (status, body) = http(addr, "GET", "/healthz", None, None).await;
    assert_eq!((status, body["store"]["ok"].as_bool()), (200, Some(true)));

    store.full.store(true, Ordering::SeqCst);
    let refused = alice.send_message(&session.session_id, "lost?").await;
    assert_eq!(rejected(refused), seam_protocol::ErrorCode::Internal);
    let (status, body) = http(addr, "GET", "/healthz", None, None).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "store_failing");
    assert_eq!(body["store"]["error"], "database or disk is full");

    store.full.store(false, Ordering::SeqCst);
    alice
        .send_message(&session.session_id, "back")
        .await
        .unwrap();
    let (status, body) = http(addr, "GET", "/healthz", None, None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
}
