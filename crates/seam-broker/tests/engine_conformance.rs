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
