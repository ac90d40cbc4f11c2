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
use seam_broker::conformance::{Watched, WriteWatch};
use seam_broker::store::{BoxFuture, NewEvent, SessionStore, StoreError};
use seam_broker::{MemoryStore, QueueConfig};
use seam_client::Event;
use seam_protocol::{Mode, Role, SessionSummary};
use tokio::sync::watch;

/// Holds a memory store's event appends at a gate, fails them as a full
/// disk would, and counts every write.
struct Gate {
    open: watch::Sender<bool>,
    writes: AtomicUsize,
    closed: AtomicBool,
    writes_after_close: AtomicUsize,
    /// Appends fail as a full disk would.
    full: AtomicBool,
}

type GatedStore = Watched<Gate>;

fn gated_store() -> Arc<GatedStore> {
    Arc::new(Watched::new(Gate {
        open: watch::Sender::new(true),
        writes: AtomicUsize::new(0),
        closed: AtomicBool::new(false),
        writes_after_close: AtomicUsize::new(0),
        full: AtomicBool::new(false),
    }))
}

impl WriteWatch for Gate {
    fn writing(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
        if self.closed.load(Ordering::SeqCst) {
            self.writes_after_close.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn append<'a>(
        &'a self,
        inner: &'a MemoryStore,
        events: &'a [NewEvent],
        listing: Option<&'a SessionSummary>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        // Queued when called, as the trait asks; answered once the gate opens.
        let result = if self.full.load(Ordering::SeqCst) {
            Err(StoreError::Backend("database or disk is full".into()))
        } else {
            futures_util::FutureExt::now_or_never(inner.append(events, listing))
                .unwrap_or_else(|| Err(StoreError::Backend("the memory store waited".into())))
        };
        let mut open = self.open.subscribe();
        Box::pin(async move {
            let _ = open.wait_for(|open| *open).await;
            result
        })
    }
}

#[tokio::test]
async fn typing_reaches_the_other_side_while_a_message_waits_for_the_store() {
    let store = gated_store();
    let broker = start_on(test_config(), store.clone()).await;
    let (alice, mut alice_events) = client(&broker, customer_token("alice", "billing")).await;
    let session = alice.open_session(None).await.unwrap();
    let (bob, mut bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    bob.join(&session.session_id).await.unwrap();
    drain_events(&mut alice_events, Duration::from_millis(100)).await;
    drain_events(&mut bob_events, Duration::from_millis(100)).await;

    // The store stalls: bob's message is accepted but not yet durable.
    store.watch.open.send_replace(false);
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

    store.watch.open.send_replace(true);
    let ack = stalled.await.unwrap().unwrap();
    assert_eq!(next_message(&mut alice_events).await, "one moment");
    assert!(ack.seq.is_some());
}

#[tokio::test]
async fn nothing_is_written_to_the_store_after_shutdown_returns() {
    let store = gated_store();
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
    let before = store.watch.writes.load(Ordering::SeqCst);

    broker.shutdown().await;
    store.watch.closed.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        store.watch.writes_after_close.load(Ordering::SeqCst),
        0,
        "a timer wrote after shutdown ({} writes before it)",
        before
    );
}

#[tokio::test]
async fn healthz_reports_a_failing_store_and_its_recovery() {
    let store = gated_store();
    let broker = start_on(test_config(), store.clone()).await;
    let addr = broker.local_addr();
    let (alice, _events) = client(&broker, customer_token("alice", "billing")).await;
    let session = alice.open_session(None).await.unwrap();
    let (status, body) = http(addr, "GET", "/healthz", None, None).await;
    assert_eq!((status, body["store"]["ok"].as_bool()), (200, Some(true)));

    store.watch.full.store(true, Ordering::SeqCst);
    let refused = alice.send_message(&session.session_id, "lost?").await;
    assert_eq!(rejected(refused), seam_protocol::ErrorCode::Internal);
    let (status, body) = http(addr, "GET", "/healthz", None, None).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "store_failing");
    assert_eq!(body["store"]["error"], "database or disk is full");

    store.watch.full.store(false, Ordering::SeqCst);
    alice
        .send_message(&session.session_id, "back")
        .await
        .unwrap();
    let (status, body) = http(addr, "GET", "/healthz", None, None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
}
