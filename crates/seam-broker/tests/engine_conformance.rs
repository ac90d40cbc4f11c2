//! One behaviour for every engine: the suite in `seam_broker::conformance`
//! runs against the local engine over each store, and the local engine
//! picks up where it left off when restored from its store.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use seam_broker::conformance::{self, RecordingListener, Watched, WriteWatch};
use seam_broker::engine::{Append, CommitListener, EngineOptions, LocalEngine, SessionEngine};
use seam_broker::session::rules;
use seam_broker::store::{
    BoxFuture, MemoryStore, NewEvent, PostgresStore, SessionStore, SqliteOptions, SqliteStore,
    StoreError,
};
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
    let (store_a, store_b) = (schema.store().await, schema.store().await);
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

/// Another node's events, as their publishes arrive: the next one is folded
/// in at once; one seen already, or of a session not held, needs nothing;
/// after a gap the caller waits, and the catch-up reads what was missed.
#[tokio::test]
async fn a_node_folds_the_next_remote_event_in_at_once_and_catches_up_after_a_gap() {
    let schema = support::Schema::new("remote").await;
    let (store_a, store_b) = (schema.store().await, schema.store().await);
    let seen_b = Arc::new(RecordingListener::default());
    let a = on_postgres(Arc::clone(&store_a), Arc::new(RecordingListener::default())).await;
    let b = on_postgres(store_b, seen_b.clone()).await;
    let alice = Principal {
        sub: "alice".into(),
        role: Role::Customer,
        name: None,
    };
    let id = a
        .open(&alice, CustomerContext::default(), "tab-a")
        .await
        .unwrap()
        .view
        .session_id;
    // Alice's second tab holds the session on node B.
    let held = b.open(&alice, CustomerContext::default(), "tab-b").await;
    assert_eq!(held.unwrap().view.session_id, id);
    let say = |n: &str| {
        let alice = alice.clone();
        Append {
            actor: Box::leak(Box::new(alice.clone())),
            command_id: Some(Box::leak(n.to_owned().into_boxed_str())),
            decide: Box::new(move |view| {
                rules::message(view, &alice, "hi".into(), Default::default())
            }),
        }
    };
    for n in ["m1", "m2", "m3"] {
        a.append(&id, say(n)).await.unwrap();
    }
    let stored = store_a.events_after(&id, 1, 10).await.unwrap();
    let (two, four) = (&stored[0], &stored[2]);
    assert_eq!((two.seq, four.seq), (2, 4));

    assert!(b.try_apply_remote(two), "the next one, folded in at once");
    assert_eq!(seen_b.seqs(&id), [2]);
    assert!(b.try_apply_remote(two), "seen already: nothing to do");
    assert_eq!(seen_b.seqs(&id), [2]);
    assert!(!b.try_apply_remote(four), "after a gap, the caller waits");
    assert_eq!(seen_b.seqs(&id), [2]);
    b.apply_remote(four).await.unwrap();
    assert_eq!(seen_b.seqs(&id), [2, 3, 4], "caught up from the store");
    assert_eq!(b.view(&id).await.unwrap().unwrap().last_seq, 4);

    let mut elsewhere = two.clone();
    elsewhere.session_id = "s_not_held_here".into();
    assert!(b.try_apply_remote(&elsewhere), "not held: nothing to do");
    assert!(seen_b.seqs("s_not_held_here").is_empty());
    schema.drop_now().await;
}

/// Answers a memory store's appends only when the test opens the gate, and
/// refuses the append of one chosen seq (as a failed commit would): the
/// writes behind it in flight fail too.
struct Gate {
    gate: tokio::sync::Semaphore,
    fail_seq: AtomicU64,
    /// Appends called so far.
    appends: AtomicUsize,
}

impl WriteWatch for Gate {
    fn append<'a>(
        &'a self,
        inner: &'a MemoryStore,
        events: &'a [NewEvent],
        listing: Option<&'a seam_protocol::SessionSummary>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.appends.fetch_add(1, Ordering::SeqCst);
        let fail = self.fail_seq.load(Ordering::SeqCst);
        let result = if events.first().is_some_and(|n| n.event.seq == fail) {
            Err(StoreError::Backend("the disk is full".into()))
        } else {
            futures_util::FutureExt::now_or_never(inner.append(events, listing))
                .unwrap_or_else(|| Err(StoreError::Backend("not ready".into())))
        };
        Box::pin(async move {
            if let Ok(permit) = self.gate.acquire().await {
                permit.forget();
            }
            result
        })
    }
}

#[tokio::test]
async fn a_write_that_fails_in_flight_fails_those_behind_it_and_the_session_recovers() {
    use seam_broker::session::SessionError;
    let store = Arc::new(Watched::new(Gate {
        gate: tokio::sync::Semaphore::new(0),
        fail_seq: AtomicU64::new(u64::MAX),
        appends: AtomicUsize::new(0),
    }));
    let listener = Arc::new(RecordingListener::default());
    let engine = Arc::new(local(store.clone(), listener.clone()).await);
    let alice = principal("alice", Role::Customer);
    let id = alices_session(&engine).await;
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
    store.watch.fail_seq.store(2, Ordering::SeqCst);
    let sends = ["a", "b", "c"].map(|key| {
        let engine = Arc::clone(&engine);
        let id = id.clone();
        let append = say(key);
        tokio::spawn(async move { engine.append(&id, append).await })
    });
    // All three are queued before any answers.
    while store.watch.appends.load(Ordering::SeqCst) < 3 {
        tokio::task::yield_now().await;
    }
    store.watch.gate.add_permits(3);
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
    store.watch.fail_seq.store(u64::MAX, Ordering::SeqCst);
    store.watch.gate.add_permits(100);
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

/// Holds each append until the test lets it through, then applies it, so
/// "another node" may append to the inner store meanwhile; a write holding
/// one chosen command's event fails with a chosen error, a chosen number
/// of times.
struct Held {
    gate: tokio::sync::Semaphore,
    fail: std::sync::Mutex<Option<(&'static str, StoreError, usize)>>,
    /// Appends called so far.
    appends: AtomicUsize,
}

impl Held {
    fn new() -> Held {
        Held {
            gate: tokio::sync::Semaphore::new(0),
            fail: std::sync::Mutex::new(None),
            appends: AtomicUsize::new(0),
        }
    }

    /// The error this write fails with, if it holds the chosen command.
    fn failure(&self, events: &[NewEvent]) -> Option<StoreError> {
        let mut fail = self.fail.lock().unwrap();
        let (key, error, times) = fail.as_mut()?;
        let holds = events
            .iter()
            .any(|n| n.event.client_id.as_deref() == Some(*key));
        if !holds || *times == 0 {
            return None;
        }
        *times -= 1;
        Some(error.clone())
    }
}

impl WriteWatch for Held {
    fn append<'a>(
        &'a self,
        inner: &'a MemoryStore,
        events: &'a [NewEvent],
        listing: Option<&'a seam_protocol::SessionSummary>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.appends.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            if let Ok(permit) = self.gate.acquire().await {
                permit.forget();
            }
            if let Some(error) = self.failure(events) {
                return Err(error);
            }
            inner.append(events, listing).await
        })
    }
}

/// A session alice opens (seq 1, stored).
async fn alices_session(engine: &LocalEngine) -> String {
    let alice = principal("alice", Role::Customer);
    engine
        .open(&alice, CustomerContext::default(), "open")
        .await
        .unwrap()
        .view
        .session_id
}

/// An engine on a held memory store it treats as shared with other nodes,
/// and a session of alice's (seq 1, stored).
async fn shared_and_held() -> (
    Arc<LocalEngine>,
    Arc<Watched<Held>>,
    Arc<RecordingListener>,
    String,
) {
    let store = Arc::new(Watched::new(Held::new()));
    let listener = Arc::new(RecordingListener::default());
    let engine = Arc::new(on_postgres(store.clone(), listener.clone()).await);
    let id = alices_session(&engine).await;
    (engine, store, listener, id)
}

/// A message sent: how its append ended.
type Sent = tokio::task::JoinHandle<
    Result<seam_broker::engine::Committed, seam_broker::session::SessionError>,
>;

/// Sends alice's message `key` (its text too), counting it in `placed` once
/// its place in the session's order is fixed.
fn send(engine: &Arc<LocalEngine>, id: &str, key: &'static str, placed: &Arc<AtomicUsize>) -> Sent {
    let (engine, id, placed) = (Arc::clone(engine), id.to_owned(), Arc::clone(placed));
    tokio::spawn(async move {
        let alice = principal("alice", Role::Customer);
        let append = Append {
            actor: &alice,
            command_id: Some(key),
            decide: Box::new(|view| rules::message(view, &alice, key.into(), Default::default())),
        };
        let once = std::sync::atomic::AtomicBool::new(false);
        let ordered = || {
            if !once.swap(true, Ordering::SeqCst) {
                placed.fetch_add(1, Ordering::SeqCst);
            }
        };
        engine.append_ordered(&id, append, &ordered).await
    })
}

async fn until(what: impl Fn() -> bool) {
    for _ in 0..10_000 {
        if what() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("never happened");
}

/// Sends each key once the one before is placed (a connection's order).
async fn send_in_order(
    engine: &Arc<LocalEngine>,
    id: &str,
    keys: &[&'static str],
    placed: &Arc<AtomicUsize>,
) -> Vec<Sent> {
    let mut sends = Vec::new();
    for key in keys {
        let before = placed.load(Ordering::SeqCst);
        sends.push(send(engine, id, key, placed));
        until(|| placed.load(Ordering::SeqCst) > before).await;
    }
    sends
}

async fn seqs_of(sends: Vec<Sent>) -> Vec<u64> {
    let mut seqs = Vec::new();
    for send in sends {
        let committed = send.await.unwrap().unwrap();
        assert!(!committed.duplicate);
        seqs.push(committed.seq);
    }
    seqs
}

/// The texts of the session's stored messages, in seq order.
async fn stored_texts(store: &Watched<Held>, id: &str) -> Vec<String> {
    store
        .inner
        .events_after(id, 1, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| match e.body {
            seam_protocol::EventBody::Message { text, .. } => text,
            other => format!("{other:?}"),
        })
        .collect()
}

/// On a store other nodes share, commands that come while a write is in
/// flight decide at once and are stored together, as one write, when it
/// lands: in their order, each answered once durable.
#[tokio::test]
async fn on_a_shared_store_commands_behind_a_write_are_stored_as_one_group() {
    let (engine, store, listener, id) = shared_and_held().await;
    let placed = Arc::new(AtomicUsize::new(0));
    let sends = send_in_order(&engine, &id, &["a", "b", "c", "d"], &placed).await;
    until(|| store.watch.appends.load(Ordering::SeqCst) == 1).await;
    assert_eq!(engine.decided_again(), 0);
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert_eq!(
        store.watch.appends.load(Ordering::SeqCst),
        1,
        "b, c and d wait for the write in flight"
    );
    assert_eq!(listener.seqs(&id), [1], "nothing published before durable");
    store.watch.gate.add_permits(100);
    assert_eq!(seqs_of(sends).await, [2, 3, 4, 5]);
    assert_eq!(
        store.watch.appends.load(Ordering::SeqCst),
        2,
        "b, c and d in one write"
    );
    assert_eq!(listener.seqs(&id), [1, 2, 3, 4, 5]);
    assert_eq!(stored_texts(&store, &id).await, ["a", "b", "c", "d"]);
    assert_eq!(engine.view(&id).await.unwrap().unwrap().last_seq, 5);
}

/// Stores alice's message "elsewhere" as event `seq` straight into the
/// inner store, as another node sharing it would; returns the event.
async fn another_node_stores(
    engine: &LocalEngine,
    store: &Watched<Held>,
    id: &str,
    seq: u64,
) -> seam_protocol::SessionEvent {
    let view = engine.view(id).await.unwrap().unwrap();
    let alice = principal("alice", Role::Customer);
    let body = rules::message(&view, &alice, "elsewhere".into(), Default::default())
        .unwrap()
        .remove(0);
    let theirs = seam_protocol::SessionEvent {
        session_id: id.to_owned(),
        seq,
        at: 1,
        from: alice,
        client_id: Some("other-node".into()),
        body,
    };
    store
        .inner
        .append(&[NewEvent::plain(theirs.clone())], None)
        .await
        .unwrap();
    theirs
}

/// Another node stored an event where this node's write in flight was to
/// go: the write is refused, and it and every command decided behind it
/// decide again, in their order, after the other node's event. None of
/// them sees an error; every node publishes each event once, in order.
#[tokio::test]
async fn on_a_shared_store_a_refused_write_and_those_behind_it_decide_again_in_order() {
    let (engine, store, listener, id) = shared_and_held().await;
    let placed = Arc::new(AtomicUsize::new(0));
    let sends = send_in_order(&engine, &id, &["a", "b", "c"], &placed).await;
    until(|| store.watch.appends.load(Ordering::SeqCst) == 1).await;

    // Alice's tab on another node wins seq 2.
    let theirs = another_node_stores(&engine, &store, &id, 2).await;
    // Its publish arrives while this node's write is in flight: read later.
    assert!(engine.try_apply_remote(&theirs));
    assert_eq!(listener.seqs(&id), [1]);

    store.watch.gate.add_permits(100);
    assert_eq!(seqs_of(sends).await, [3, 4, 5]);
    assert_eq!(engine.decided_again(), 3, "counted for the metrics");
    assert_eq!(listener.seqs(&id), [1, 2, 3, 4, 5], "once each, in order");
    assert_eq!(
        stored_texts(&store, &id).await,
        ["elsewhere", "a", "b", "c"]
    );
    // A resend of a command decided again is its duplicate.
    let again = seqs_of_duplicate(&engine, &id, "b").await;
    assert_eq!(again, 4);
    // And the session goes on.
    let next = send_in_order(&engine, &id, &["d"], &placed).await;
    assert_eq!(seqs_of(next).await, [6]);
}

async fn seqs_of_duplicate(engine: &Arc<LocalEngine>, id: &str, key: &'static str) -> u64 {
    let placed = Arc::new(AtomicUsize::new(0));
    let committed = send(engine, id, key, &placed).await.unwrap().unwrap();
    assert!(committed.duplicate);
    committed.seq
}

/// A group refused for one of its commands: each decides again alone, so
/// the one the store refuses fails by itself and the others are stored.
#[tokio::test]
async fn on_a_shared_store_a_command_the_store_refuses_fails_alone() {
    let (engine, store, listener, id) = shared_and_held().await;
    *store.watch.fail.lock().unwrap() =
        Some(("b", StoreError::Backend("value too long".into()), 2));
    let placed = Arc::new(AtomicUsize::new(0));
    let sends = send_in_order(&engine, &id, &["a", "b", "c"], &placed).await;
    store.watch.gate.add_permits(100);
    let mut answers = Vec::new();
    for send in sends {
        answers.push(send.await.unwrap());
    }
    assert_eq!(answers[0].as_ref().unwrap().seq, 2);
    assert!(
        matches!(
            &answers[1],
            Err(seam_broker::session::SessionError::Store(
                StoreError::Backend(_)
            ))
        ),
        "{:?}",
        answers[1]
    );
    assert_eq!(answers[2].as_ref().unwrap().seq, 3);
    assert_eq!(listener.seqs(&id), [1, 2, 3]);
    assert_eq!(stored_texts(&store, &id).await, ["a", "c"]);
}

/// The store unreachable under a write in flight: it and the commands
/// behind it fail retryably, nothing is published, and resent, they are
/// stored in order.
#[tokio::test]
async fn on_a_shared_store_an_unreachable_store_fails_the_writes_in_flight_retryably() {
    use seam_broker::session::SessionError;
    let (engine, store, listener, id) = shared_and_held().await;
    *store.watch.fail.lock().unwrap() =
        Some(("a", StoreError::Unavailable("connection reset".into()), 1));
    let placed = Arc::new(AtomicUsize::new(0));
    let sends = send_in_order(&engine, &id, &["a", "b", "c"], &placed).await;
    store.watch.gate.add_permits(100);
    for send in sends {
        let answer = send.await.unwrap();
        assert!(
            matches!(answer, Err(SessionError::Store(StoreError::Unavailable(_)))),
            "{answer:?}"
        );
    }
    assert_eq!(listener.seqs(&id), [1], "nothing failed is published");
    let resent = send_in_order(&engine, &id, &["a", "b", "c"], &placed).await;
    assert_eq!(seqs_of(resent).await, [2, 3, 4]);
    assert_eq!(listener.seqs(&id), [1, 2, 3, 4]);
}

/// A command resent while its original waits behind the write in flight
/// is answered as its duplicate once the original is stored.
#[tokio::test]
async fn on_a_shared_store_a_resend_waits_for_its_original() {
    let (engine, store, _listener, id) = shared_and_held().await;
    let placed = Arc::new(AtomicUsize::new(0));
    let sends = send_in_order(&engine, &id, &["a", "b"], &placed).await;
    let resend = send(&engine, &id, "b", &Arc::new(AtomicUsize::new(0)));
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert!(
        !resend.is_finished(),
        "not answered before the original is durable"
    );
    store.watch.gate.add_permits(100);
    assert_eq!(seqs_of(sends).await, [2, 3]);
    let resent = resend.await.unwrap().unwrap();
    assert_eq!((resent.seq, resent.duplicate), (3, true));
    assert_eq!(stored_texts(&store, &id).await, ["a", "b"]);
}

/// A command whose connection went away while it waited to decide again
/// gives its turn up: the commands behind it still decide, in order, and
/// what it never stored stays unstored.
#[tokio::test]
async fn on_a_shared_store_a_command_gone_while_deciding_again_passes_its_turn_on() {
    let (engine, store, listener, id) = shared_and_held().await;
    let placed = Arc::new(AtomicUsize::new(0));
    let mut sends = send_in_order(&engine, &id, &["a", "b", "c"], &placed).await;
    until(|| store.watch.appends.load(Ordering::SeqCst) == 1).await;
    // Another node takes seq 2, then b's connection goes away.
    another_node_stores(&engine, &store, &id, 2).await;
    let gone = sends.remove(1);
    gone.abort();
    assert!(gone.await.unwrap_err().is_cancelled());
    store.watch.gate.add_permits(100);
    let answered = tokio::time::timeout(std::time::Duration::from_secs(10), seqs_of(sends));
    assert_eq!(answered.await.expect("c got its turn"), [3, 4]);
    assert_eq!(stored_texts(&store, &id).await, ["elsewhere", "a", "c"]);
    assert_eq!(listener.seqs(&id), [1, 2, 3, 4]);
    // The session is not stuck behind the command that went away.
    let next = send_in_order(&engine, &id, &["d"], &placed).await;
    assert_eq!(seqs_of(next).await, [5]);
}
