//! One behaviour for every engine: the suite in `seam_broker::conformance`
//! runs against the local engine over each store, and the local engine
//! picks up where it left off when restored from its store.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::sync::Arc;

use seam_broker::conformance::{self, RecordingListener};
use seam_broker::engine::{Append, CommitListener, EngineOptions, LocalEngine, SessionEngine};
use seam_broker::session::rules;
use seam_broker::store::{MemoryStore, PostgresStore, SessionStore, SqliteOptions, SqliteStore};
use seam_broker::webhook::WebhookPolicy;
use seam_broker::{Clock, SystemClock};
use seam_protocol::{CustomerContext, Principal, Role};

fn options() -> EngineOptions {
    EngineOptions {
        history_limit: 1000,
        idempotency_keys: 1000,
        history_bytes: 1 << 20,
        history_bytes_total: 1 << 30,
        webhooks: Arc::new(WebhookPolicy::default()),
        shared_store: false,
    }
}

async fn local(store: Arc<dyn SessionStore>, listener: Arc<dyn CommitListener>) -> LocalEngine {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    LocalEngine::new(store, listener, clock, options())
}

#[tokio::test]
async fn the_local_engine_on_the_memory_store_conforms() {
    conformance::engine(|listener| async move {
        let engine: Arc<dyn SessionEngine> =
            Arc::new(local(Arc::new(MemoryStore::new()), listener).await);
        engine
    })
    .await;
}

#[tokio::test]
async fn the_local_engine_on_the_sqlite_store_conforms() {
    let dir = std::env::temp_dir().join(format!("seam-engine-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("seam.db");
    conformance::engine(|listener| {
        let path = path.clone();
        async move {
            let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
            let engine: Arc<dyn SessionEngine> = Arc::new(local(Arc::new(store), listener).await);
            engine
        }
    })
    .await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_restored_engine_keeps_order_idempotency_and_the_open_session() {
    let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
    let alice = Principal {
        sub: "alice".into(),
        role: Role::Customer,
        name: None,
    };
    let say = |id: &'static str| {
        let alice = alice.clone();
        Append {
            actor: Box::leak(Box::new(alice.clone())),
            command_id: Some(id),
            decide: Box::new(move |view| {
                rules::message(view, &alice, "hi".into(), Default::default())
            }),
        }
    };
    let session_id = {
        let engine = local(Arc::clone(&store), Arc::new(RecordingListener::default())).await;
        let opened = engine
            .open(&alice, CustomerContext::default(), "open")
            .await
            .unwrap();
        engine
            .append(&opened.view.session_id, say("m1"))
            .await
            .unwrap();
        opened.view.session_id
    };
    let listener = Arc::new(RecordingListener::default());
    let engine = local(Arc::clone(&store), listener.clone()).await;
    assert_eq!(
        engine.open_session_of("alice").await,
        Some(session_id.clone())
    );
    let repeat = engine.append(&session_id, say("m1")).await.unwrap();
    assert_eq!((repeat.seq, repeat.duplicate), (2, true));
    let next = engine.append(&session_id, say("m2")).await.unwrap();
    assert_eq!((next.seq, next.duplicate), (3, false));
    assert_eq!(listener.seqs(&session_id), [3]);
    let reopened = engine
        .open(&alice, CustomerContext::default(), "open-again")
        .await
        .unwrap();
    assert!(!reopened.created);
    assert_eq!(reopened.view.session_id, session_id);
}

mod support;

async fn on_postgres(
    store: Arc<dyn SessionStore>,
    listener: Arc<dyn CommitListener>,
) -> LocalEngine {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let options = EngineOptions {
        shared_store: true,
        ..options()
    };
    LocalEngine::new(store, listener, clock, options)
}

#[tokio::test]
async fn the_engine_on_a_shared_postgres_store_conforms() {
    let schema = support::Schema::new("engine").await;
    let options = schema.options.clone();
    conformance::engine(|listener| {
        let options = options.clone();
        async move {
            // Each run of the suite starts on empty tables.
            let store = PostgresStore::open(options).await.unwrap();
            let engine: Arc<dyn SessionEngine> =
                Arc::new(on_postgres(Arc::new(store), listener).await);
            engine
        }
    })
    .await;
    schema.drop_now().await;
}

/// Two nodes on one PostgreSQL store, without Redis: the store keeps one
/// order, one open session per customer and one event per command id; a
/// node learns what the other committed when it appends (a conflict) or
/// checks positions, and its listener sees every event once, in order.
#[tokio::test]
async fn two_nodes_on_one_postgres_store_keep_one_order() {
    let schema = support::Schema::new("two_nodes").await;
    let store_a: Arc<dyn SessionStore> =
        Arc::new(PostgresStore::open(schema.options.clone()).await.unwrap());
    let store_b: Arc<dyn SessionStore> =
        Arc::new(PostgresStore::open(schema.options.clone()).await.unwrap());
    let (seen_a, seen_b) = (
        Arc::new(RecordingListener::default()),
        Arc::new(RecordingListener::default()),
    );
    let a = Arc::new(on_postgres(store_a, seen_a.clone()).await);
    let b = Arc::new(on_postgres(store_b, seen_b.clone()).await);
    let alice = Principal {
        sub: "alice".into(),
        role: Role::Customer,
        name: None,
    };

    // Two tabs on two nodes opening at once: one session.
    let (x, y) = tokio::join!(
        a.open(&alice, CustomerContext::default(), "tab-a"),
        b.open(&alice, CustomerContext::default(), "tab-b")
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x.view.session_id, y.view.session_id);
    assert!(x.created != y.created);
    let id = x.view.session_id.clone();

    let say = |id: String| {
        let alice = alice.clone();
        Append {
            actor: Box::leak(Box::new(alice.clone())),
            command_id: Some(Box::leak(id.into_boxed_str())),
            decide: Box::new(move |view| {
                rules::message(view, &alice, "hi".into(), Default::default())
            }),
        }
    };
    // Both nodes append at once: every append lands, in one order.
    let writes = (0..40).map(|i| {
        let (a, b, id) = (Arc::clone(&a), Arc::clone(&b), id.clone());
        let append = say(format!("m{i}"));
        tokio::spawn(async move {
            let node = if i % 2 == 0 { a } else { b };
            node.append(&id, append).await.unwrap()
        })
    });
    let mut seqs: Vec<u64> = Vec::new();
    for write in writes {
        let committed = write.await.unwrap();
        assert!(!committed.duplicate);
        seqs.push(committed.seq);
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (2..=41).collect::<Vec<u64>>());

    // A command id applied on one node is a duplicate on the other.
    let again = b.append(&id, say("m0".into())).await.unwrap();
    assert!(again.duplicate);
    let again = a.append(&id, say("m1".into())).await.unwrap();
    assert!(again.duplicate);

    // After a position check, each node has seen every event once, in order.
    a.check_positions().await.unwrap();
    b.check_positions().await.unwrap();
    for seen in [&seen_a, &seen_b] {
        let got = seen.seqs(&id);
        let first = got[0];
        assert_eq!(
            got,
            (first..=41).collect::<Vec<u64>>(),
            "gap-free, once each"
        );
    }
    assert_eq!(a.view(&id).await.unwrap().unwrap().last_seq, 41);
    assert_eq!(b.view(&id).await.unwrap().unwrap().last_seq, 41);

    // Ended on one node: the other opens a new session for the customer.
    a.append(
        &id,
        Append {
            actor: Box::leak(Box::new(alice.clone())),
            command_id: Some("end"),
            decide: Box::new(|view| {
                rules::end(
                    view,
                    &Principal {
                        sub: "alice".into(),
                        role: Role::Customer,
                        name: None,
                    },
                    None,
                )
            }),
        },
    )
    .await
    .unwrap();
    let next = b
        .open(&alice, CustomerContext::default(), "tab-later")
        .await
        .unwrap();
    assert!(next.created);
    assert_ne!(next.view.session_id, id);
    schema.drop_now().await;
}

/// A memory store whose appends answer only when the test opens the gate,
/// and which refuses the append of one chosen seq (as a failed commit
/// would): the writes behind it in flight fail too.
struct GatedStore {
    inner: MemoryStore,
    gate: tokio::sync::Semaphore,
    fail_seq: std::sync::atomic::AtomicU64,
    /// Appends called so far.
    appends: std::sync::atomic::AtomicUsize,
}

mod gated {
    use super::GatedStore;
    use seam_broker::engine::BoxFuture;
    use seam_broker::store::{
        Delivery, NewEvent, OutboxOp, SessionFilter, SessionRecord, SessionStore, SessionSummary,
        StoreError, StoredSession,
    };
    use seam_protocol::{CannedResponse, Principal, Receipt, SessionEvent, SessionId};
    use std::sync::atomic::Ordering;

    impl SessionStore for GatedStore {
        fn create<'a>(
            &'a self,
            record: &'a SessionRecord,
            first: &'a SessionEvent,
            outbox: &'a [OutboxOp],
        ) -> BoxFuture<'a, Result<(), StoreError>> {
            self.inner.create(record, first, outbox)
        }
        fn append<'a>(&'a self, events: &'a [NewEvent]) -> BoxFuture<'a, Result<(), StoreError>> {
            self.appends.fetch_add(1, Ordering::SeqCst);
            let fail = self.fail_seq.load(Ordering::SeqCst);
            let result = if events.first().is_some_and(|n| n.event.seq == fail) {
                Err(StoreError::Backend("the disk is full".into()))
            } else {
                futures_util::FutureExt::now_or_never(self.inner.append(events))
                    .unwrap_or_else(|| Err(StoreError::Backend("not ready".into())))
            };
            Box::pin(async move {
                if let Ok(permit) = self.gate.acquire().await {
                    permit.forget();
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
            self.inner.delete_ended_before(cutoff)
        }
        fn erase_customer<'a>(
            &'a self,
            sub: &'a str,
        ) -> BoxFuture<'a, Result<Vec<SessionId>, StoreError>> {
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
        fn pending_deliveries(&self) -> BoxFuture<'_, Result<u64, StoreError>> {
            self.inner.pending_deliveries()
        }
        fn delivery_done(&self, id: u64) -> BoxFuture<'_, Result<(), StoreError>> {
            self.inner.delivery_done(id)
        }
        fn delivery_retry(
            &self,
            id: u64,
            due_at: u64,
            attempts: u32,
        ) -> BoxFuture<'_, Result<(), StoreError>> {
            self.inner.delivery_retry(id, due_at, attempts)
        }
        fn put_receipt<'a>(
            &'a self,
            session_id: &'a str,
            participant: &'a Principal,
            delivered_seq: u64,
            read_seq: u64,
        ) -> BoxFuture<'a, Result<Receipt, StoreError>> {
            self.inner
                .put_receipt(session_id, participant, delivered_seq, read_seq)
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
            self.inner.put_blob(session_id, id, bytes)
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
            self.inner.put_canned_response(reply)
        }
        fn delete_canned_response<'a>(
            &'a self,
            shortcut: &'a str,
        ) -> BoxFuture<'a, Result<bool, StoreError>> {
            self.inner.delete_canned_response(shortcut)
        }
    }
}

#[tokio::test]
async fn a_write_that_fails_in_flight_fails_those_behind_it_and_the_session_recovers() {
    use seam_broker::session::SessionError;
    use seam_broker::store::StoreError;
    let store = Arc::new(GatedStore {
        inner: MemoryStore::new(),
        gate: tokio::sync::Semaphore::new(0),
        fail_seq: std::sync::atomic::AtomicU64::new(u64::MAX),
        appends: Default::default(),
    });
    let listener = Arc::new(RecordingListener::default());
    let engine = Arc::new(local(store.clone(), listener.clone()).await);
    let alice = principal("alice", Role::Customer);
    let id = engine
        .open(&alice, CustomerContext::default(), "open")
        .await
        .unwrap()
        .view
        .session_id;
    let say = |key: &'static str| {
        let alice = alice.clone();
        Append {
            actor: Box::leak(Box::new(alice.clone())),
            command_id: Some(key),
            decide: Box::new(move |view| {
                rules::message(view, &alice, key.into(), Default::default())
            }),
        }
    };
    // Three commands in flight at once: 2, 3 and 4; the store refuses 2.
    store.fail_seq.store(2, std::sync::atomic::Ordering::SeqCst);
    let sends = ["a", "b", "c"].map(|key| {
        let engine = Arc::clone(&engine);
        let id = id.clone();
        let append = say(key);
        tokio::spawn(async move { engine.append(&id, append).await })
    });
    // All three are queued before any answers.
    while store.appends.load(std::sync::atomic::Ordering::SeqCst) < 3 {
        tokio::task::yield_now().await;
    }
    store.gate.add_permits(3);
    let mut answers = Vec::new();
    for send in sends {
        answers.push(send.await.unwrap());
    }
    assert!(
        matches!(
            &answers[0],
            Err(SessionError::Store(StoreError::Backend(_)))
        ),
        "{:?}",
        answers[0]
    );
    for behind in &answers[1..] {
        assert!(
            matches!(behind, Err(SessionError::Store(StoreError::Unavailable(_)))),
            "a write behind a failed one is retryable: {behind:?}"
        );
    }
    assert_eq!(listener.seqs(&id), [1], "nothing failed is published");
    // Retried, the commands are decided again on what the store has.
    store
        .fail_seq
        .store(u64::MAX, std::sync::atomic::Ordering::SeqCst);
    store.gate.add_permits(100);
    for (key, seq) in [("a", 2), ("b", 3), ("c", 4)] {
        let committed = engine.append(&id, say(key)).await.unwrap();
        assert_eq!((committed.seq, committed.duplicate), (seq, false));
    }
    assert_eq!(listener.seqs(&id), [1, 2, 3, 4]);
    assert_eq!(engine.view(&id).await.unwrap().unwrap().last_seq, 4);
}

fn principal(sub: &str, role: Role) -> Principal {
    seam_broker::conformance::principal(sub, role)
}
