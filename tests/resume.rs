//! Nothing lost, nothing twice: idempotent commands, resume after a
//! disconnect, and clients that ride through a broker restart.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use seam_broker::MemoryStore;
use seam_client::Event;
use seam_protocol::{ErrorCode, EventBody, ResumeOutcome, Role, ServerFrame};

async fn open(raw: &mut Raw) -> (String, String) {
    raw.send_json(serde_json::json!({"type": "open_session", "id": "open"}))
        .await;
    let ServerFrame::Ack(ack) = raw.recv().await else {
        panic!()
    };
    let session = ack.session.unwrap();
    let ServerFrame::Event(_) = raw.recv().await else {
        panic!()
    };
    (session.session_id, session.epoch)
}

async fn say(raw: &mut Raw, sid: &str, id: &str, text: &str) -> u64 {
    raw.send_json(
        serde_json::json!({"type": "message", "id": id, "session_id": sid, "text": text}),
    )
    .await;
    loop {
        match raw.recv().await {
            ServerFrame::Ack(ack) if ack.id == id => return ack.seq.unwrap(),
            ServerFrame::Event(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn resending_a_command_id_never_duplicates_the_event() {
    let broker = start().await;
    let mut alice = Raw::authed(&broker, &customer_token("alice", "billing")).await;
    let (sid, _) = open(&mut alice).await;
    let first = say(&mut alice, &sid, "m-1", "hello").await;
    alice
        .send_json(
            serde_json::json!({"type": "message", "id": "m-1", "session_id": sid, "text": "hello"}),
        )
        .await;
    let ServerFrame::Ack(again) = alice.recv().await else {
        panic!()
    };
    assert_eq!((again.seq, again.duplicate), (Some(first), true));
    // The same id from another principal is a different command.
    let mut bob = Raw::authed(&broker, &token(Role::Agent, "bob")).await;
    bob.send_json(serde_json::json!({"type": "join", "id": "j", "session_id": sid}))
        .await;
    let ServerFrame::Ack(joined) = bob.recv().await else {
        panic!()
    };
    assert_eq!(
        joined.session.unwrap().last_seq,
        3,
        "opened, one message, bob joined"
    );
    let bobs = say(&mut bob, &sid, "m-1", "hi from bob").await;
    assert_eq!(bobs, 4);
    // An end resent after the session ended is acknowledged, not refused.
    bob.send_json(serde_json::json!({"type": "end_session", "id": "e-1", "session_id": sid}))
        .await;
    let end_seq = loop {
        if let ServerFrame::Ack(a) = bob.recv().await {
            break a.seq.unwrap();
        }
    };
    bob.send_json(serde_json::json!({"type": "end_session", "id": "e-1", "session_id": sid}))
        .await;
    let ServerFrame::Ack(dup) = bob.recv().await else {
        panic!()
    };
    assert_eq!((dup.seq, dup.duplicate), (Some(end_seq), true));
}

#[tokio::test]
async fn reconnecting_with_the_last_seq_replays_exactly_the_missed_events() {
    let broker = start().await;
    let mut alice = Raw::authed(&broker, &customer_token("alice", "billing")).await;
    let (sid, epoch) = open(&mut alice).await;
    let mut bob = Raw::authed(&broker, &token(Role::Agent, "bob")).await;
    bob.send_json(serde_json::json!({"type": "join", "id": "j1", "session_id": sid}))
        .await;
    let ServerFrame::Ack(_) = bob.recv().await else {
        panic!()
    };
    let mut last_seen = 0;
    for _ in 0..2 {
        let ServerFrame::Event(e) = bob.recv().await else {
            panic!()
        };
        last_seen = e.seq;
    }
    assert_eq!(last_seen, 2);
    drop(bob); // Bob's network drops.
    for i in 0..5 {
        say(&mut alice, &sid, &format!("m{i}"), &format!("missed {i}")).await;
    }
    let mut bob = Raw::authed(&broker, &token(Role::Agent, "bob")).await;
    bob.send_json(serde_json::json!({"type": "join", "id": "j2", "session_id": sid, "after_seq": last_seen, "epoch": epoch}))
        .await;
    let ServerFrame::Ack(ack) = bob.recv().await else {
        panic!()
    };
    assert_eq!(ack.resume, Some(ResumeOutcome::Complete { replayed: 5 }));
    for (i, seq) in (3..=7).enumerate() {
        let ServerFrame::Event(e) = bob.recv().await else {
            panic!()
        };
        assert_eq!(e.seq, seq);
        assert!(
            matches!(e.body, EventBody::Message { ref text, .. } if *text == format!("missed {i}"))
        );
    }
    // Resuming did not add a second "joined" event, and live events follow in order.
    let live = say(&mut alice, &sid, "live", "live one").await;
    let ServerFrame::Event(e) = bob.recv().await else {
        panic!()
    };
    assert_eq!(e.seq, live);
    assert_eq!(live, 8);
}

#[tokio::test]
async fn the_broker_says_so_when_it_cannot_supply_missed_events() {
    let mut config = test_config();
    config.limits.history_limit = 4;
    let broker = start_with(config).await;
    let mut alice = Raw::authed(&broker, &customer_token("alice", "billing")).await;
    let (sid, epoch) = open(&mut alice).await;
    // Events 2..=21; memory holds the last 4, and a resume may read at most
    // 4 more from the store: after seq 1 is 16 too far.
    for i in 0..20 {
        say(&mut alice, &sid, &format!("m{i}"), "x").await;
    }
    let mut tab = Raw::authed(&broker, &customer_token("alice", "billing")).await;
    tab.send_json(serde_json::json!({"type": "join", "id": "j", "session_id": sid, "after_seq": 1, "epoch": epoch}))
        .await;
    let ServerFrame::Ack(ack) = tab.recv().await else {
        panic!()
    };
    assert_eq!(
        ack.resume,
        Some(ResumeOutcome::Truncated {
            first_available_seq: 18,
            replayed: 4
        })
    );
    let ServerFrame::Event(e) = tab.recv().await else {
        panic!()
    };
    assert_eq!(e.seq, 18);

    // A small gap is read back from the store: complete.
    tab.send_json(serde_json::json!({"type": "join", "id": "j1", "session_id": sid, "after_seq": 15, "epoch": epoch}))
        .await;
    let ack = loop {
        if let ServerFrame::Ack(ack) = tab.recv().await {
            break ack;
        }
    };
    assert_eq!(ack.resume, Some(ResumeOutcome::Complete { replayed: 6 }));

    tab.send_json(serde_json::json!({"type": "join", "id": "j2", "session_id": sid, "after_seq": 6, "epoch": "another-epoch"}))
        .await;
    let ack = loop {
        if let ServerFrame::Ack(ack) = tab.recv().await {
            break ack;
        }
    };
    assert_eq!(ack.resume, Some(ResumeOutcome::Reset { replayed: 4 }));
}

#[tokio::test]
async fn clients_ride_through_a_broker_restart_with_nothing_lost_or_doubled() {
    let store = Arc::new(MemoryStore::new());
    let broker = start_on(test_config(), store.clone()).await;
    let addr = broker.local_addr();
    let (alice, mut alice_events) = client(&broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, mut bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();
    alice.send_message(&sid, "before").await.unwrap();
    for events in [&mut alice_events, &mut bob_events] {
        assert_eq!(next_message(events).await, "before");
    }

    broker.shutdown().await;
    let (code, will_reconnect) = wait_disconnected(&mut bob_events).await;
    assert_eq!((code, will_reconnect), (Some(1001), true));
    // Sent while the broker is down: queued, then delivered once it is back.
    let pending = {
        let alice = alice.clone();
        let sid = sid.clone();
        tokio::spawn(async move { alice.send_message(&sid, "while down").await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut config = test_config();
    config.listen = addr;
    let _broker = start_on(config, store).await;

    let resumed = wait_for(&mut bob_events, |e| match e {
        Event::Resumed { outcome, .. } => Some(outcome),
        _ => None,
    })
    .await;
    assert!(
        matches!(resumed, ResumeOutcome::Complete { .. }),
        "{resumed:?}"
    );
    pending.await.unwrap().unwrap();
    alice.send_message(&sid, "after").await.unwrap();
    for events in [&mut alice_events, &mut bob_events] {
        let all = drain_session_events(events, Duration::from_millis(300)).await;
        let seqs: Vec<u64> = all.iter().map(|e| e.seq).collect();
        let mut sorted = seqs.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(seqs, sorted, "strictly increasing, no duplicates");
        assert!(
            seqs[0] > 3,
            "nothing before the disconnect is replayed again: {seqs:?}"
        );
        let texts: Vec<_> = all
            .iter()
            .filter_map(|e| match &e.body {
                EventBody::Message { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(texts, ["while down", "after"]);
    }
}

#[tokio::test]
async fn a_broker_that_lost_its_state_tells_a_resuming_client() {
    let broker = start().await;
    let addr = broker.local_addr();
    let (alice, mut events) = client(&broker, customer_token("alice", "billing")).await;
    alice.open_session(None).await.unwrap();
    broker.shutdown().await;
    let mut config = test_config();
    config.listen = addr;
    let _fresh = start_with(config).await; // a new, empty store
    let error = wait_for(&mut events, |e| match e {
        Event::Error(frame) => Some(frame),
        _ => None,
    })
    .await;
    assert_eq!(error.code, ErrorCode::SessionNotFound);
    // The customer simply opens a new session.
    let again = alice.open_session(None).await.unwrap();
    assert_eq!(again.last_seq, 1);
}

#[tokio::test]
async fn a_command_resent_after_the_replay_window_moved_on_is_still_applied_once() {
    let mut config = test_config();
    config.limits.history_limit = 3;
    let broker = start_with(config).await;
    let (alice, _events) = client(&broker, customer_token("alice", "billing")).await;
    let session = alice.open_session(None).await.unwrap();
    let first = seam_protocol::ClientFrame::Message {
        id: "first".into(),
        session_id: session.session_id.clone(),
        text: "my order is late".into(),
        quick_replies: Vec::new(),
        card: None,
        choice: None,
    };
    let original = alice.send(first.clone()).await.unwrap();
    for i in 0..6 {
        alice
            .send_message(&session.session_id, &format!("more {i}"))
            .await
            .unwrap();
    }
    // The window holds 3 events now; the command id is remembered anyway.
    let resent = alice.send(first).await.unwrap();
    assert_eq!((resent.seq, resent.duplicate), (original.seq, true));
    let (_, body) = http(
        broker.local_addr(),
        "GET",
        &format!("/v1/sessions/{}", session.session_id),
        Some(&token(Role::Service, "backend")),
        None,
    )
    .await;
    let copies = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["body"]["text"] == "my order is late")
        .count();
    assert_eq!(copies, 1, "stored once");
}

#[tokio::test]
async fn the_memory_window_is_capped_in_bytes_and_resumes_read_the_rest_from_the_store() {
    let mut config = test_config();
    config.limits.history_bytes = 4_000;
    config.limits.history_limit = 20;
    let broker = start_with(config).await;
    let (alice, _events) = client(&broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    for i in 0..40 {
        alice
            .send_message(&sid, &format!("{i:02} {}", "x".repeat(300)))
            .await
            .unwrap();
    }
    let resume = |after: u64| {
        let sid = sid.clone();
        let broker = &broker;
        async move {
            let mut raw = Raw::authed(broker, &customer_token("alice", "billing")).await;
            raw.send_json(serde_json::json!({"type": "join", "id": "j", "session_id": sid, "after_seq": after}))
                .await;
            let ServerFrame::Ack(ack) = raw.recv().await else {
                panic!("expected the ack")
            };
            ack.resume
        }
    };
    // Ten or so ~400-byte frames fit in 4,000 bytes; a resume 15 events
    // back reads the rest from the store and is complete.
    assert_eq!(
        resume(26).await,
        Some(ResumeOutcome::Complete { replayed: 15 })
    );
    // Beyond history_limit events before the window, it is truncated: the
    // window itself holds fewer events than history_limit, by bytes.
    let Some(ResumeOutcome::Truncated {
        first_available_seq,
        replayed,
    }) = resume(0).await
    else {
        panic!("expected truncated")
    };
    assert!(replayed < 15, "{replayed} replayed: the byte cap holds");
    assert_eq!(first_available_seq, 41 - replayed + 1);
}

#[tokio::test]
async fn through_a_proxy_that_delays_and_cuts_connections_nothing_is_lost_doubled_or_reordered() {
    let broker = start().await;
    let proxy = ChaosProxy::start(broker.local_addr(), 12).await;
    let via_proxy = |token: String| {
        let mut config = client_config(&broker, token);
        config.url = format!("ws://{}/ws", proxy.addr);
        config.ack_timeout = Duration::from_secs(30);
        config
    };
    let (alice, _alice_events) =
        seam_client::Client::connect(via_proxy(customer_token("alice", "billing")))
            .await
            .unwrap();
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, mut bob_events) = seam_client::Client::connect(via_proxy(token(Role::Agent, "bob")))
        .await
        .unwrap();
    bob.join(&sid).await.unwrap();

    let expected: Vec<String> = (0..150).map(|i| format!("m{i:03}")).collect();
    for text in &expected {
        alice.send_message(&sid, text).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut seen = Vec::new();
    let collected = tokio::time::timeout(Duration::from_secs(30), async {
        while seen.len() < expected.len() {
            if let Event::Session(e) = bob_events.next().await.unwrap() {
                if let EventBody::Message { text, .. } = e.body {
                    seen.push(text);
                }
            }
        }
    })
    .await;
    assert!(
        collected.is_ok(),
        "bob saw {} of {}",
        seen.len(),
        expected.len()
    );
    assert_eq!(
        seen, expected,
        "every message once, in order, on bob's side"
    );
    assert!(
        proxy.cuts.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "the proxy cut connections"
    );
    // And the log holds each exactly once.
    let (_, body) = http(
        broker.local_addr(),
        "GET",
        &format!("/v1/sessions/{sid}"),
        Some(&token(Role::Service, "backend")),
        None,
    )
    .await;
    let stored: Vec<&str> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["body"]["text"].as_str())
        .collect();
    assert_eq!(stored, expected);
}
