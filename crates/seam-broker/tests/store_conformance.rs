//! One behaviour for every store: the same checks run against the memory
//! store and the SQLite store.

use seam_broker::store::{
    MemoryStore, OutboxOp, SessionFilter, SessionRecord, SessionStore, SqliteOptions, SqliteStore,
    StoreError, WebhookKind,
};
use seam_protocol::{
    CustomerContext, EventBody, Principal, Role, SessionEvent, SessionState, TransferTarget,
};

fn principal(sub: &str, role: Role) -> Principal {
    Principal {
        sub: sub.into(),
        role,
        name: None,
    }
}

fn record(id: &str, customer: &str, created_at: u64) -> SessionRecord {
    SessionRecord {
        session_id: id.into(),
        epoch: "e1".into(),
        customer: principal(customer, Role::Customer),
        context: CustomerContext {
            issue_type: Some("billing".into()),
            ..Default::default()
        },
        created_at,
    }
}

fn event(session: &str, seq: u64, at: u64, from: &Principal, body: EventBody) -> SessionEvent {
    SessionEvent {
        session_id: session.into(),
        seq,
        at,
        from: from.clone(),
        client_id: Some(format!("c{seq}")),
        body,
    }
}

fn opened(session: &str, customer: &str, at: u64) -> SessionEvent {
    event(
        session,
        1,
        at,
        &principal(customer, Role::Customer),
        EventBody::SessionOpened {
            context: Default::default(),
        },
    )
}

async fn conformance(store: &dyn SessionStore) {
    let alice = principal("alice", Role::Customer);
    let bob = principal("bob", Role::Agent);
    let hook = |kind, due_at| {
        vec![OutboxOp::Enqueue {
            url: "http://h/1".into(),
            kind,
            due_at,
        }]
    };

    // Two sessions of alice, one of carol.
    store
        .create(
            &record("s1", "alice", 1_000),
            &opened("s1", "alice", 1_000),
            &hook(WebhookKind::SessionStarted, 1_000),
        )
        .await
        .unwrap();
    store
        .create(
            &record("s2", "alice", 2_000),
            &opened("s2", "alice", 2_000),
            &[],
        )
        .await
        .unwrap();
    store
        .create(
            &record("s3", "carol", 3_000),
            &opened("s3", "carol", 3_000),
            &[],
        )
        .await
        .unwrap();

    let s1 = [
        EventBody::Queued {
            queue: "billing".into(),
        },
        EventBody::ParticipantJoined {
            participant: bob.clone(),
        },
        EventBody::Message { text: "hi".into() },
        EventBody::Transferred {
            to: TransferTarget::Queue("vip".into()),
        },
        EventBody::SessionEnded { reason: None },
    ];
    for (i, body) in s1.into_iter().enumerate() {
        let seq = i as u64 + 2;
        let ops = if matches!(body, EventBody::SessionEnded { .. }) {
            hook(WebhookKind::SessionEnded, 60_000)
        } else {
            vec![]
        };
        store
            .append(&event("s1", seq, 1_000 + seq, &alice, body), &ops)
            .await
            .unwrap();
    }
    store
        .append(
            &event(
                "s1",
                7,
                1_100,
                &alice,
                EventBody::Rated {
                    score: 4,
                    comment: Some("ok".into()),
                },
            ),
            &[OutboxOp::Hasten {
                kind: WebhookKind::SessionEnded,
                now: 1_100,
            }],
        )
        .await
        .unwrap();

    // Order is enforced; unknown sessions are refused.
    let gap = store
        .append(
            &event(
                "s2",
                3,
                2_001,
                &alice,
                EventBody::Message { text: "x".into() },
            ),
            &[],
        )
        .await;
    assert!(
        matches!(gap, Err(StoreError::OutOfOrder { expected: 2, .. })),
        "{gap:?}"
    );
    let dup = store
        .append(
            &event(
                "s1",
                7,
                1_200,
                &alice,
                EventBody::Message { text: "x".into() },
            ),
            &[],
        )
        .await;
    assert!(matches!(dup, Err(StoreError::OutOfOrder { .. })), "{dup:?}");
    let unknown = store
        .append(
            &event(
                "nope",
                2,
                1,
                &alice,
                EventBody::Message { text: "x".into() },
            ),
            &[],
        )
        .await;
    assert!(
        matches!(unknown, Err(StoreError::UnknownSession(_))),
        "{unknown:?}"
    );

    // Read back.
    let got = store.get("s1").await.unwrap().unwrap();
    assert_eq!(
        got.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=7).collect::<Vec<_>>()
    );
    assert_eq!(got.record, record("s1", "alice", 1_000));
    assert!(store.get("nope").await.unwrap().is_none());
    assert_eq!(store.load().await.unwrap().len(), 3);

    // Listings and filters, newest first.
    let ids = |v: Vec<seam_broker::store::SessionSummary>| {
        v.into_iter().map(|s| s.session_id).collect::<Vec<_>>()
    };
    let all = SessionFilter {
        limit: 10,
        ..Default::default()
    };
    assert_eq!(ids(store.list(&all).await.unwrap()), ["s3", "s2", "s1"]);
    let f = |filter: SessionFilter| SessionFilter {
        limit: 10,
        ..filter
    };
    assert_eq!(
        ids(store
            .list(&f(SessionFilter {
                state: Some(SessionState::Ended),
                ..Default::default()
            }))
            .await
            .unwrap()),
        ["s1"]
    );
    assert_eq!(
        ids(store
            .list(&f(SessionFilter {
                state: Some(SessionState::Open),
                ..Default::default()
            }))
            .await
            .unwrap()),
        ["s3", "s2"]
    );
    assert_eq!(
        ids(store
            .list(&f(SessionFilter {
                queue: Some("vip".into()),
                ..Default::default()
            }))
            .await
            .unwrap()),
        ["s1"]
    );
    assert_eq!(
        ids(store
            .list(&f(SessionFilter {
                agent: Some("bob".into()),
                ..Default::default()
            }))
            .await
            .unwrap()),
        ["s1"]
    );
    assert_eq!(
        ids(store
            .list(&f(SessionFilter {
                customer: Some("alice".into()),
                ..Default::default()
            }))
            .await
            .unwrap()),
        ["s2", "s1"]
    );
    assert_eq!(
        ids(store
            .list(&f(SessionFilter {
                since: Some(2_000),
                until: Some(3_000),
                ..Default::default()
            }))
            .await
            .unwrap()),
        ["s2"]
    );
    assert_eq!(
        ids(store
            .list(&SessionFilter {
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap()),
        ["s3"]
    );
    let summary = store
        .list(&f(SessionFilter {
            queue: Some("vip".into()),
            ..Default::default()
        }))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        (summary.last_seq, summary.ended_at, summary.agents.clone()),
        (7, Some(1_006), vec!["bob".to_owned()])
    );
    assert_eq!(summary.rating.map(|r| r.score), Some(4));

    // The outbox: the rating hastened session.ended from 60 000 to 1 100.
    let due = store.due_deliveries(1_100, 10).await.unwrap();
    assert_eq!(
        due.iter().map(|d| d.kind).collect::<Vec<_>>(),
        [WebhookKind::SessionStarted, WebhookKind::SessionEnded]
    );
    assert_eq!(
        (due[1].session_id.as_str(), due[1].seq, due[1].attempts),
        ("s1", 6, 0)
    );
    store.delivery_retry(due[0].id, 5_000, 1).await.unwrap();
    store.delivery_done(due[1].id).await.unwrap();
    assert!(store.due_deliveries(4_999, 10).await.unwrap().is_empty());
    assert_eq!(store.next_delivery_at().await.unwrap(), Some(5_000));
    let retried = store.due_deliveries(5_000, 10).await.unwrap();
    assert_eq!((retried.len(), retried[0].attempts), (1, 1));

    // Retention and erasure.
    assert_eq!(
        store.delete_ended_before(1_000).await.unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(store.delete_ended_before(2_000).await.unwrap(), ["s1"]);
    assert!(store.get("s1").await.unwrap().is_none());
    assert!(
        store.due_deliveries(u64::MAX, 10).await.unwrap().is_empty(),
        "its deliveries went with it"
    );
    let mut erased = store.erase_customer("alice").await.unwrap();
    erased.sort();
    assert_eq!(erased, ["s2"]);
    assert_eq!(ids(store.list(&all).await.unwrap()), ["s3"]);
}

#[tokio::test]
async fn the_memory_store_conforms() {
    conformance(&MemoryStore::new()).await;
}

#[tokio::test]
async fn the_sqlite_store_conforms_and_keeps_everything_across_reopening() {
    let dir = std::env::temp_dir().join(format!("seam-conformance-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("seam.db");
    {
        let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
        conformance(&store).await;
    }
    let reopened = SqliteStore::open(
        &path,
        SqliteOptions {
            max_batch: 1,
            full_sync: false,
        },
    )
    .unwrap();
    let left = reopened.load().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].record.session_id, "s3");
    // Appending continues where the log stopped.
    let carol = principal("carol", Role::Customer);
    reopened
        .append(
            &event(
                "s3",
                2,
                3_001,
                &carol,
                EventBody::Message {
                    text: "again".into(),
                },
            ),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(reopened.get("s3").await.unwrap().unwrap().events.len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_database_from_a_newer_seam_is_refused() {
    let dir = std::env::temp_dir().join(format!("seam-newer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("seam.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
    }
    let err = SqliteStore::open(&path, SqliteOptions::default()).unwrap_err();
    assert!(err.to_string().contains("newer"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
