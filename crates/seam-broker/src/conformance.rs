//! Conformance suites: what every [`SessionStore`] and every
//! [`SessionEngine`] must do, as async functions that panic where an
//! implementation differs. The broker's own tests run them against the
//! memory and SQLite stores and the local engine; a new store or engine
//! (a cluster engine, say) runs the same functions from its tests.
//! [`Watched`] is a memory store whose writes a test can hold, fail or
//! count.
//!
//! This is test support: it asserts, so it panics by design.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::sync::{Arc, Mutex};

use seam_protocol::{
    CannedResponse, CustomerContext, EventBody, Principal, Receipt, Role, SessionEvent, SessionId,
    SessionState, TransferTarget,
};

use crate::engine::{Append, CommitListener, SessionEngine};
use crate::frame::Frame;
use crate::session::SessionView;
use crate::session::{rules, SessionError};
use crate::store::{
    BoxFuture, Delivery, MemoryStore, NewEvent, OutboxOp, SessionFilter, SessionRecord,
    SessionStore, SessionSummary, StoreError, StoredSession, WebhookKind,
};

/// A principal.
pub fn principal(sub: &str, role: Role) -> Principal {
    Principal {
        sub: sub.into(),
        role,
        name: None,
    }
}

/// A session record of `customer`.
pub fn record(id: &str, customer: &str, created_at: u64) -> SessionRecord {
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

/// An event of `session` with command id `c<seq>`.
pub fn event(session: &str, seq: u64, at: u64, from: &Principal, body: EventBody) -> SessionEvent {
    SessionEvent {
        session_id: session.into(),
        seq,
        at,
        from: from.clone(),
        client_id: Some(format!("c{seq}")),
        body,
    }
}

/// One event to append, with its outbox changes.
pub fn one(event: SessionEvent, outbox: &[OutboxOp]) -> [NewEvent; 1] {
    [NewEvent::new(event, outbox.to_vec())]
}

/// The first event of a session.
pub fn opened(session: &str, customer: &str, at: u64) -> SessionEvent {
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

/// Appends `run` with the listing it leaves (as the engine does), folding
/// it into `view` once stored.
pub async fn append_folded(
    store: &dyn SessionStore,
    view: &mut SessionView,
    run: &[NewEvent],
) -> Result<(), StoreError> {
    let listing = view.listing_after(run.iter().map(|n| &n.event));
    store.append(run, listing.as_ref()).await?;
    for new in run {
        view.apply(&new.event);
    }
    Ok(())
}

/// The store suite: sessions, ordered appends, reads, listings and their
/// filters, the webhook outbox, retention and erasure. Run it on an empty
/// store; it panics (with what differed) where the store does not conform.
pub async fn store(store: &dyn SessionStore) {
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

    let s1 = [
        EventBody::Queued {
            queue: "billing".into(),
        },
        EventBody::ParticipantJoined {
            participant: bob.clone(),
        },
        EventBody::message("hi"),
        EventBody::Transferred {
            to: TransferTarget::Queue("vip".into()),
        },
        EventBody::SessionEnded { reason: None },
    ];
    // The engine hands each append the listing it folds: so does the test.
    let mut s1_view = SessionView::folded(
        &record("s1", "alice", 1_000),
        [&opened("s1", "alice", 1_000)],
    );
    for (i, body) in s1.into_iter().enumerate() {
        let seq = i as u64 + 2;
        let ops = if matches!(body, EventBody::SessionEnded { .. }) {
            hook(WebhookKind::SessionEnded, 60_000)
        } else {
            vec![]
        };
        let run = one(event("s1", seq, 1_000 + seq, &alice, body), &ops);
        append_folded(store, &mut s1_view, &run).await.unwrap();
    }
    let rated = one(
        event(
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
    );
    append_folded(store, &mut s1_view, &rated).await.unwrap();

    // One open session per customer: alice's second waits for s1 to end.
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
    let second = store
        .create(
            &record("s4", "carol", 3_500),
            &opened("s4", "carol", 3_500),
            &[],
        )
        .await;
    assert_eq!(
        second,
        Err(StoreError::AlreadyOpen {
            session_id: "s3".into()
        })
    );
    assert!(store.get("s4").await.unwrap().is_none());
    assert_eq!(
        store.open_session_of("carol").await.unwrap().as_deref(),
        Some("s3")
    );
    assert_eq!(
        store.open_session_of("alice").await.unwrap().as_deref(),
        Some("s2")
    );
    assert_eq!(store.open_session_of("nobody").await.unwrap(), None);

    // Order is enforced; unknown sessions are refused.
    let gap = store
        .append(
            &one(event("s2", 3, 2_001, &alice, EventBody::message("x")), &[]),
            None,
        )
        .await;
    assert!(
        matches!(gap, Err(StoreError::OutOfOrder { expected: 2, .. })),
        "{gap:?}"
    );
    // A refused append leaves the session as it was: the right next one goes in.
    store
        .append(
            &one(event("s2", 2, 2_001, &alice, EventBody::message("y")), &[]),
            None,
        )
        .await
        .unwrap();
    let dup = store
        .append(
            &one(event("s1", 7, 1_200, &alice, EventBody::message("x")), &[]),
            None,
        )
        .await;
    assert!(matches!(dup, Err(StoreError::OutOfOrder { .. })), "{dup:?}");
    let unknown = store
        .append(
            &one(event("nope", 2, 1, &alice, EventBody::message("x")), &[]),
            None,
        )
        .await;
    assert!(
        matches!(unknown, Err(StoreError::UnknownSession(_))),
        "{unknown:?}"
    );

    // Where each session stands (unknown ones left out).
    let mut seqs = store
        .last_seqs(&["s1".into(), "s2".into(), "nope".into()])
        .await
        .unwrap();
    seqs.sort();
    assert_eq!(seqs, [("s1".to_owned(), 7), ("s2".to_owned(), 2)]);

    // Paged reads after a seq.
    let page = store.events_after("s1", 2, 3).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4, 5]);
    let rest = store.events_after("s1", 5, 100).await.unwrap();
    assert_eq!(rest.iter().map(|e| e.seq).collect::<Vec<_>>(), [6, 7]);
    assert!(store.events_after("s1", 7, 100).await.unwrap().is_empty());
    assert!(store.events_after("nope", 0, 100).await.unwrap().is_empty());

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
    let ids = |v: Vec<SessionSummary>| v.into_iter().map(|s| s.session_id).collect::<Vec<_>>();
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
    assert_eq!(summary.rating.clone().map(|r| r.score), Some(4));
    // One session's line, without a listing.
    assert_eq!(store.summary("s1").await.unwrap(), Some(summary));
    assert!(store.summary("nope").await.unwrap().is_none());

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

    // Receipts: horizons per participant, only forward, read implies delivered.
    assert!(store.receipts("s2").await.unwrap().is_empty());
    let r = store.put_receipt("s2", &bob, 3, 2).await.unwrap();
    assert_eq!(
        (r.participant.sub.as_str(), r.delivered_seq, r.read_seq),
        ("bob", 3, 2)
    );
    let r = store.put_receipt("s2", &bob, 1, 1).await.unwrap();
    assert_eq!((r.delivered_seq, r.read_seq), (3, 2), "never back");
    let r = store.put_receipt("s2", &bob, 5, 5).await.unwrap();
    assert_eq!((r.delivered_seq, r.read_seq), (5, 5));
    store.put_receipt("s2", &alice, 4, 0).await.unwrap();
    let mut receipts = store.receipts("s2").await.unwrap();
    receipts.sort_by(|a, b| a.participant.sub.cmp(&b.participant.sub));
    let horizons: Vec<_> = receipts
        .iter()
        .map(|r| (r.participant.sub.as_str(), r.delivered_seq, r.read_seq))
        .collect();
    assert_eq!(horizons, [("alice", 4, 0), ("bob", 5, 5)]);
    assert!(
        store.receipts("s3").await.unwrap().is_empty(),
        "per session"
    );

    // Attachments' bytes: kept per session, plain ids only.
    store
        .put_blob("s2", "a1", b"%PDF-1.7 bytes".to_vec())
        .await
        .unwrap();
    assert_eq!(
        store.blob("s2", "a1").await.unwrap().as_deref(),
        Some(&b"%PDF-1.7 bytes"[..])
    );
    assert_eq!(store.blob("s2", "a2").await.unwrap(), None);
    assert_eq!(store.blob("s3", "a1").await.unwrap(), None, "per session");
    assert!(store.put_blob("../s2", "a1", Vec::new()).await.is_err());
    assert!(store.put_blob("s2", "a/1", Vec::new()).await.is_err());

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
    assert!(
        store.receipts("s2").await.unwrap().is_empty(),
        "its receipts went with it"
    );
    assert_eq!(
        store.blob("s2", "a1").await.unwrap(),
        None,
        "its attachments went with it"
    );
    assert_eq!(ids(store.list(&all).await.unwrap()), ["s3"]);

    // Appends are queued when called: runs issued one after another land
    // in that order whichever is awaited first; a run that does not start
    // where the store stands fails, and so does the one issued behind it.
    let dave = principal("dave", Role::Customer);
    store
        .create(
            &record("s4", "dave", 3_000),
            &opened("s4", "dave", 3_000),
            &[],
        )
        .await
        .unwrap();
    let run = |seq| {
        one(
            event("s4", seq, 3_000 + seq, &dave, EventBody::message("m")),
            &[],
        )
    };
    let (two, three) = (run(2), run(3));
    let (first, second) = (store.append(&two, None), store.append(&three, None));
    second.await.unwrap();
    first.await.unwrap();
    let (five, six) = (run(5), run(6));
    let (skipping, behind) = (store.append(&five, None), store.append(&six, None));
    assert!(matches!(behind.await, Err(StoreError::OutOfOrder { .. })));
    assert!(matches!(skipping.await, Err(StoreError::OutOfOrder { .. })));
    let stored = store.events_after("s4", 0, 10).await.unwrap();
    assert_eq!(stored.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(store.erase_customer("dave").await.unwrap(), ["s4"]);

    assert_eq!(
        store.pending_deliveries().await.unwrap(),
        store.due_deliveries(u64::MAX, 1000).await.unwrap().len() as u64,
        "the outbox's depth counts what is pending"
    );

    // Saved replies: put creates or replaces, delete says whether it found one.
    assert!(store.canned_responses().await.unwrap().is_empty());
    let reply = |shortcut: &str, text: &str| seam_protocol::CannedResponse {
        shortcut: shortcut.into(),
        title: None,
        text: text.into(),
    };
    store
        .put_canned_response(&reply("refund", "v1"))
        .await
        .unwrap();
    store
        .put_canned_response(&reply("bye", "Bye {name}"))
        .await
        .unwrap();
    let mut replaced = reply("refund", "v2");
    replaced.title = Some("Refund".into());
    store.put_canned_response(&replaced).await.unwrap();
    assert_eq!(
        store.canned_responses().await.unwrap(),
        [reply("bye", "Bye {name}"), replaced],
        "by shortcut, the latest text"
    );
    assert!(store.delete_canned_response("bye").await.unwrap());
    assert!(!store.delete_canned_response("bye").await.unwrap());
    assert_eq!(store.canned_responses().await.unwrap().len(), 1);
}

/// Records every committed event it is told about, in order.
#[derive(Debug, Default)]
pub struct RecordingListener {
    seen: Mutex<Vec<(String, u64, String)>>,
}

impl RecordingListener {
    /// `(session, seq, frame text)` of every event published so far.
    pub fn seen(&self) -> Vec<(String, u64, String)> {
        self.seen.lock().unwrap().clone()
    }

    /// The seqs published for one session, in publish order.
    pub fn seqs(&self, session_id: &str) -> Vec<u64> {
        self.seen()
            .into_iter()
            .filter(|(s, _, _)| s == session_id)
            .map(|(_, seq, _)| seq)
            .collect()
    }
}

impl CommitListener for RecordingListener {
    fn committed(&self, event: &SessionEvent, frame: &Frame) {
        self.seen.lock().unwrap().push((
            event.session_id.clone(),
            event.seq,
            frame.as_str().to_owned(),
        ));
    }
}

fn say(actor: &Principal, command_id: Option<&'static str>, text: &str) -> Append<'static> {
    let actor: &'static Principal = Box::leak(Box::new(actor.clone()));
    let text = text.to_owned();
    Append {
        actor,
        command_id,
        decide: Box::new(move |view| {
            rules::message(view, actor, text.clone(), rules::MessageExtras::default())
        }),
    }
}

/// The engine suite. `make` builds an engine over a fresh, empty store that
/// publishes to the given listener.
pub async fn engine<F, Fut>(make: F)
where
    F: Fn(Arc<dyn CommitListener>) -> Fut,
    Fut: Future<Output = Arc<dyn SessionEngine>>,
{
    let listener = Arc::new(RecordingListener::default());
    let engine = make(listener.clone()).await;
    let alice = principal("alice", Role::Customer);
    let bob = principal("bob", Role::Agent);
    let ctx = CustomerContext::default();

    // Two tabs opening at once end in one session.
    let (a, b) = tokio::join!(
        engine.open(&alice, ctx.clone(), "tab-1"),
        engine.open(&alice, ctx.clone(), "tab-2")
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.view.session_id, b.view.session_id,
        "one open session per customer"
    );
    assert!(a.created != b.created, "exactly one call created it");
    let id = a.view.session_id.clone();
    assert_eq!(a.view.last_seq.max(b.view.last_seq), 1);
    assert_eq!(engine.open_session_of("alice").await, Some(id.clone()));
    assert_eq!(listener.seqs(&id), [1], "the opening event is published");

    // Appends get the next seqs, are published in order and answer with
    // what was committed.
    let first = engine
        .append(&id, say(&alice, Some("m1"), "hello"))
        .await
        .unwrap();
    assert_eq!((first.seq, first.duplicate, first.stored), (2, false, 1));
    assert_eq!(first.last_seq, 2);
    // A repeated command id is answered with the original, not stored again.
    let again = engine
        .append(&id, say(&alice, Some("m1"), "hello"))
        .await
        .unwrap();
    assert_eq!((again.seq, again.duplicate, again.stored), (2, true, 0));
    // The key is per principal: bob may use the same id (once he is in).
    let join = Append {
        actor: Box::leak(Box::new(bob.clone())),
        command_id: None,
        decide: Box::new(|view| {
            let how = rules::Joining {
                silent: false,
                offered: true,
                routing: true,
            };
            rules::join(view, &principal("bob", Role::Agent), how)
        }),
    };
    assert_eq!(engine.append(&id, join).await.unwrap().seq, 3);
    let bobs = engine
        .append(&id, say(&bob, Some("m1"), "hi"))
        .await
        .unwrap();
    assert_eq!((bobs.seq, bobs.duplicate), (4, false));
    // A refusal stores and publishes nothing.
    let mallory = principal("mallory", Role::Customer);
    let refused = engine.append(&id, say(&mallory, Some("x"), "no")).await;
    assert!(
        matches!(refused, Err(SessionError::NotYourSession)),
        "{refused:?}"
    );
    assert_eq!(listener.seqs(&id), [1, 2, 3, 4]);
    // Unknown sessions are refused.
    let unknown = engine.append("s_nope", say(&alice, None, "x")).await;
    assert!(
        matches!(unknown, Err(SessionError::NotFound)),
        "{unknown:?}"
    );

    // Several events from one decision: consecutive, first carries the id.
    let bob2 = bob.clone();
    let hand_on = Append {
        actor: Box::leak(Box::new(bob.clone())),
        command_id: Some("t1"),
        decide: Box::new(move |view| {
            let body = EventBody::Transferred {
                to: TransferTarget::Queue("vip".into()),
            };
            rules::hand_on(view, &bob2, body, Some("note".into()))
        }),
    };
    let moved = engine.append(&id, hand_on).await.unwrap();
    assert_eq!((moved.seq, moved.stored, moved.last_seq), (5, 3, 7));
    let stored = engine.read(&id, 4, 10).await.unwrap();
    assert_eq!(stored.iter().map(|e| e.seq).collect::<Vec<_>>(), [5, 6, 7]);
    assert_eq!(stored[0].client_id.as_deref(), Some("t1"));
    assert!(stored[1].client_id.is_none());
    let after = engine.view(&id).await.unwrap().unwrap();
    assert_eq!(after.queue.as_deref(), Some("vip"));
    assert!(!after.is_participant("bob"));
    assert_eq!(after.epoch, a.view.epoch, "one epoch for the log's life");

    // Many writers at once: the log stays gap-free and published in order.
    let writes = (0..50).map(|i| {
        let engine = Arc::clone(&engine);
        let id = id.clone();
        let alice = alice.clone();
        async move {
            let key: &'static str = Box::leak(format!("burst-{i}").into_boxed_str());
            engine
                .append(&id, say(&alice, Some(key), "burst"))
                .await
                .unwrap()
                .seq
        }
    });
    let mut seqs = futures_util::future::join_all(writes).await;
    seqs.sort_unstable();
    assert_eq!(seqs, (8..58).collect::<Vec<_>>());
    assert_eq!(listener.seqs(&id), (1..58).collect::<Vec<_>>());

    // The view is current without waiting; replay is consistent with it.
    let view = engine.view(&id).await.unwrap().unwrap();
    assert_eq!(view.last_seq, 57);
    let replay = engine.replay(&id, 54).await.unwrap();
    assert_eq!(replay.view.last_seq, 57);
    assert_eq!(
        replay.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [55, 56, 57]
    );
    assert!(replay.first_available <= 55);
    let staff_note = replay.events.iter().any(|e| e.staff_only);
    assert!(!staff_note, "only messages after 54");
    assert!(engine
        .replay(&id, 0)
        .await
        .unwrap()
        .events
        .iter()
        .any(|e| e.staff_only));
    // Paged reads from the store.
    let page = engine.read(&id, 0, 3).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    let page = engine.read(&id, 55, 100).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [56, 57]);

    // A command repeated while its first write may still be in flight is
    // answered with the same seq, stored once.
    let writes = (0..20).flat_map(|i| {
        [0, 1].map(|_| {
            let engine = Arc::clone(&engine);
            let id = id.clone();
            let alice = alice.clone();
            async move {
                let key: &'static str = Box::leak(format!("twice-{i}").into_boxed_str());
                let committed = engine
                    .append(&id, say(&alice, Some(key), "twice"))
                    .await
                    .unwrap();
                (i, committed.seq, committed.duplicate)
            }
        })
    });
    let answers = futures_util::future::join_all(writes).await;
    for pair in answers.chunks(2) {
        let [(i, seq, dup), (_, seq2, dup2)] = [pair[0], pair[1]];
        assert_eq!(seq, seq2, "command twice-{i} answered with one seq");
        assert!(dup != dup2, "command twice-{i} stored once");
    }
    assert_eq!(listener.seqs(&id), (1..78).collect::<Vec<_>>());

    // A command dropped once its write is queued (its caller went away):
    // the next one is published after it, gap-free.
    let mut dropped = engine.append(&id, say(&alice, Some("dropped"), "gone?"));
    let waker = std::task::Waker::noop();
    let _ = dropped
        .as_mut()
        .poll(&mut std::task::Context::from_waker(waker));
    drop(dropped);
    let after = engine
        .append(&id, say(&alice, Some("after"), "still here"))
        .await
        .unwrap();
    assert_eq!(after.seq, 79, "the dropped command's write was stored");
    assert_eq!(listener.seqs(&id), (1..80).collect::<Vec<_>>());
    let stored = engine.read(&id, 77, 10).await.unwrap();
    assert_eq!(stored[0].client_id.as_deref(), Some("dropped"));

    // Ending frees the customer to open a new session.
    let end = Append {
        actor: Box::leak(Box::new(alice.clone())),
        command_id: Some("end"),
        decide: Box::new(|view| rules::end(view, &principal("alice", Role::Customer), None)),
    };
    engine.append(&id, end).await.unwrap();
    let ended = engine.view(&id).await.unwrap().unwrap();
    assert_eq!(ended.state, SessionState::Ended);
    assert_eq!(engine.open_session_of("alice").await, None);
    let late = engine
        .append(&id, say(&alice, Some("late"), "hello?"))
        .await;
    assert!(matches!(late, Err(SessionError::Ended)), "{late:?}");
    assert!(engine
        .open_sessions()
        .await
        .unwrap()
        .iter()
        .all(|v| v.session_id != id));
    let next = engine.open(&alice, ctx, "tab-3").await.unwrap();
    assert!(next.created && next.view.session_id != id);
    assert_eq!(next.view.last_seq, 1);

    // An ended session may leave memory; it is read back when needed,
    // and its log goes on where it stopped.
    let held = engine.sessions_held();
    engine.release(&id);
    assert!(
        engine.sessions_held() < held,
        "an ended session is released"
    );
    let back = engine.view(&id).await.unwrap().unwrap();
    assert_eq!((back.state, back.last_seq), (SessionState::Ended, 80));
    assert!(
        engine.sessions_held() < held,
        "reading it does not bring it back into memory"
    );
    let rate = Append {
        actor: Box::leak(Box::new(alice.clone())),
        command_id: Some("rate"),
        decide: Box::new(|view| rules::rate(view, &principal("alice", Role::Customer), 5, None)),
    };
    assert_eq!(engine.append(&id, rate).await.unwrap().seq, 81);
    // An open session nobody uses may be released too; it is still open.
    let open_id = next.view.session_id.clone();
    let held = engine.sessions_held();
    engine.release(&open_id);
    assert_eq!(engine.sessions_held(), held - 1);
    assert!(engine.view(&open_id).await.unwrap().unwrap().is_open());
    let listed = engine.open_sessions().await.unwrap();
    assert!(listed.iter().any(|v| v.session_id == open_id));

    // Forgetting (after retention or erasure deleted it) drops it from memory.
    engine.replay(&open_id, 0).await.unwrap();
    let held = engine.sessions_held();
    engine.forget(std::slice::from_ref(&open_id));
    assert_eq!(engine.sessions_held(), held - 1);
}

/// What a [`Watched`] store does around the writes of its inner memory
/// store: tests use it to hold, fail or count writes.
pub trait WriteWatch: Send + Sync + 'static {
    /// Called before every write (sessions, events, deletions, deliveries,
    /// receipts, attachments, saved replies).
    fn writing(&self) {}

    /// Appends `events` to `inner`. The default appends at once; a watch
    /// may queue the write when called (as the trait requires) and answer
    /// later, or refuse it.
    fn append<'a>(
        &'a self,
        inner: &'a MemoryStore,
        events: &'a [NewEvent],
        listing: Option<&'a SessionSummary>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        inner.append(events, listing)
    }
}

/// A memory store whose writes go through a [`WriteWatch`].
pub struct Watched<W> {
    /// The store that keeps everything.
    pub inner: MemoryStore,
    /// What happens around its writes.
    pub watch: W,
}

impl<W: WriteWatch> Watched<W> {
    /// A fresh memory store watched by `watch`.
    pub fn new(watch: W) -> Watched<W> {
        Watched {
            inner: MemoryStore::new(),
            watch,
        }
    }
}

impl<W: WriteWatch> SessionStore for Watched<W> {
    fn create<'a>(
        &'a self,
        record: &'a SessionRecord,
        first: &'a SessionEvent,
        outbox: &'a [OutboxOp],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.watch.writing();
        self.inner.create(record, first, outbox)
    }

    fn append<'a>(
        &'a self,
        events: &'a [NewEvent],
        listing: Option<&'a SessionSummary>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.watch.writing();
        self.watch.append(&self.inner, events, listing)
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
        self.watch.writing();
        self.inner.delete_ended_before(cutoff)
    }

    fn erase_customer<'a>(
        &'a self,
        sub: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SessionId>, StoreError>> {
        self.watch.writing();
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
        self.watch.writing();
        self.inner.delivery_done(id)
    }

    fn delivery_retry(
        &self,
        id: u64,
        due_at: u64,
        attempts: u32,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        self.watch.writing();
        self.inner.delivery_retry(id, due_at, attempts)
    }

    fn put_receipt<'a>(
        &'a self,
        session_id: &'a str,
        participant: &'a Principal,
        delivered_seq: u64,
        read_seq: u64,
    ) -> BoxFuture<'a, Result<Receipt, StoreError>> {
        self.watch.writing();
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
        self.watch.writing();
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
        self.watch.writing();
        self.inner.put_canned_response(reply)
    }

    fn delete_canned_response<'a>(
        &'a self,
        shortcut: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.watch.writing();
        self.inner.delete_canned_response(shortcut)
    }
}
