//! One behaviour for every engine: the suite in `seam_broker::conformance`
//! runs against the local engine over each store, and the local engine
//! picks up where it left off when restored from its store.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::sync::Arc;

use seam_broker::conformance::{self, RecordingListener};
use seam_broker::engine::{Append, CommitListener, EngineOptions, LocalEngine, SessionEngine};
use seam_broker::session::rules;
use seam_broker::store::{MemoryStore, SessionStore, SqliteOptions, SqliteStore};
use seam_broker::webhook::WebhookPolicy;
use seam_broker::{Clock, SystemClock};
use seam_protocol::{CustomerContext, Principal, Role};

fn options() -> EngineOptions {
    EngineOptions {
        history_limit: 1000,
        idempotency_keys: 1000,
        history_bytes: 1 << 20,
        webhooks: Arc::new(WebhookPolicy::default()),
    }
}

async fn local(store: Arc<dyn SessionStore>, listener: Arc<dyn CommitListener>) -> LocalEngine {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    LocalEngine::restore(store, listener, clock, options())
        .await
        .unwrap()
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
            decide: Box::new(move |view| rules::message(view, &alice, "hi".into())),
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
