//! Bad input and limits: every one gets a clear answer, and none of them
//! costs a session or an acknowledged message.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use std::time::Duration;

use common::*;
use seam_client::Event;
use seam_protocol::{ErrorCode, EventBody, Role, ServerFrame};
use tokio_tungstenite::tungstenite::Message;

async fn error(raw: &mut Raw) -> seam_protocol::ErrorFrame {
    match raw.recv().await {
        ServerFrame::Error(e) => e,
        other => panic!("expected an error frame, got {other:?}"),
    }
}

async fn open(raw: &mut Raw) -> String {
    raw.send_json(serde_json::json!({"type": "open_session", "id": "open"}))
        .await;
    let ServerFrame::Ack(ack) = raw.recv().await else {
        panic!()
    };
    let ServerFrame::Event(_) = raw.recv().await else {
        panic!()
    };
    ack.session_id.unwrap()
}

/// Proves the connection and the session still work after bad input.
async fn still_works(raw: &mut Raw, sid: &str) {
    raw.send_json(
        serde_json::json!({"type": "message", "id": "ok", "session_id": sid, "text": "still fine"}),
    )
    .await;
    let ServerFrame::Event(e) = raw.recv().await else {
        panic!()
    };
    assert!(matches!(e.body, EventBody::Message { ref text, .. } if text == "still fine"));
    let ServerFrame::Ack(ack) = raw.recv().await else {
        panic!()
    };
    assert_eq!(ack.id, "ok");
}

#[tokio::test]
async fn malformed_unknown_and_incomplete_frames_get_typed_errors() {
    let broker = start().await;
    let mut raw = Raw::authed(&broker, &customer_token("alice", "billing")).await;
    let sid = open(&mut raw).await;

    raw.send_text("{\"type\": \"message\", ".into()).await;
    assert_eq!(error(&mut raw).await.code, ErrorCode::BadJson);

    raw.send_json(serde_json::json!({"type": "shout", "id": "x1"}))
        .await;
    let e = error(&mut raw).await;
    assert_eq!(
        (e.code, e.id.as_deref()),
        (ErrorCode::UnknownType, Some("x1"))
    );
    assert!(e.message.contains("shout"));

    raw.send_json(serde_json::json!({"type": "message", "id": "x2", "session_id": sid}))
        .await;
    let e = error(&mut raw).await;
    assert_eq!(
        (e.code, e.id.as_deref()),
        (ErrorCode::InvalidMessage, Some("x2"))
    );
    assert!(e.message.contains("text"), "{}", e.message);

    raw.send_json(
        serde_json::json!({"type": "message", "id": "x3", "session_id": sid, "text": 42}),
    )
    .await;
    assert_eq!(error(&mut raw).await.code, ErrorCode::InvalidMessage);

    raw.send_json(
        serde_json::json!({"type": "message", "id": "x4", "session_id": sid, "text": "   "}),
    )
    .await;
    assert_eq!(error(&mut raw).await.code, ErrorCode::InvalidMessage);

    raw.send_json(serde_json::json!(["not", "an", "object"]))
        .await;
    assert_eq!(error(&mut raw).await.code, ErrorCode::InvalidMessage);

    raw.send(Message::binary(vec![1, 2, 3])).await;
    assert_eq!(error(&mut raw).await.code, ErrorCode::InvalidMessage);

    // Command ids are bounded: the broker remembers them.
    raw.send_json(serde_json::json!({"type": "message", "id": "i".repeat(129), "session_id": sid, "text": "x"}))
        .await;
    let e = error(&mut raw).await;
    assert_eq!(e.code, ErrorCode::InvalidMessage);
    assert!(e.message.contains("128 bytes"), "{}", e.message);

    still_works(&mut raw, &sid).await;
}

#[tokio::test]
async fn oversized_frames_and_messages_are_refused_and_the_transport_limit_closes() {
    let mut config = test_config();
    config.limits.max_frame_bytes = 2_000;
    config.limits.max_transport_bytes = 10_000;
    config.limits.max_text_chars = 100;
    let broker = start_with(config).await;
    let mut raw = Raw::authed(&broker, &customer_token("alice", "billing")).await;
    let sid = open(&mut raw).await;

    let long_text = "é".repeat(101);
    raw.send_json(
        serde_json::json!({"type": "message", "id": "t1", "session_id": sid, "text": long_text}),
    )
    .await;
    let e = error(&mut raw).await;
    assert_eq!(
        (e.code, e.id.as_deref()),
        (ErrorCode::MessageTooLarge, Some("t1"))
    );
    let ok_text = "é".repeat(100);
    raw.send_json(
        serde_json::json!({"type": "message", "id": "t2", "session_id": sid, "text": ok_text}),
    )
    .await;
    let ServerFrame::Event(_) = raw.recv().await else {
        panic!()
    };
    let ServerFrame::Ack(_) = raw.recv().await else {
        panic!()
    };

    raw.send_json(serde_json::json!({"type": "message", "id": "t3", "session_id": sid, "text": "x".repeat(3_000)}))
        .await;
    let e = error(&mut raw).await;
    assert_eq!(
        (e.code, e.id.as_deref()),
        (ErrorCode::FrameTooLarge, Some("t3")),
        "the id is read back when it can be"
    );
    still_works(&mut raw, &sid).await;

    // Every free text is held to the limit, not only messages.
    raw.send_json(serde_json::json!({"type": "end_session", "id": "t4", "session_id": sid, "reason": "r".repeat(101)}))
        .await;
    let e = error(&mut raw).await;
    assert_eq!(
        (e.code, e.id.as_deref(), e.session_id.as_deref()),
        (ErrorCode::MessageTooLarge, Some("t4"), Some(sid.as_str()))
    );
    assert!(e.message.contains("`reason`"), "{}", e.message);

    raw.send_text("x".repeat(20_000)).await;
    let (code, reason) = raw.closed().await;
    assert_eq!(code, 1009, "{reason}");
    // A `hello` over the transport limit closes with 1009 too.
    let mut huge_hello = Raw::connect(&broker).await;
    huge_hello.send_text("h".repeat(20_000)).await;
    let (code, reason) = huge_hello.closed().await;
    assert_eq!(code, 1009, "{reason}");

    // The session survived; the customer comes back and finds everything.
    let mut again = Raw::authed(&broker, &customer_token("alice", "billing")).await;
    again
        .send_json(serde_json::json!({"type": "open_session", "id": "o2"}))
        .await;
    let ServerFrame::Ack(ack) = again.recv().await else {
        panic!()
    };
    assert_eq!(ack.session.unwrap().last_seq, 3);
}

#[tokio::test]
async fn the_rate_limit_answers_with_a_retry_delay_and_the_client_retries_by_itself() {
    let mut config = test_config();
    config.limits.commands_per_second = 5;
    config.limits.command_burst = 3;
    let broker = start_with(config).await;
    let mut raw = Raw::authed(&broker, &customer_token("alice", "billing")).await;
    let sid = open(&mut raw).await;
    for i in 0..3 {
        raw.send_json(serde_json::json!({"type": "message", "id": format!("r{i}"), "session_id": sid, "text": "x"}))
            .await;
    }
    let mut limited = None;
    for _ in 0..8 {
        match raw.recv().await {
            ServerFrame::Error(e) => {
                limited = Some(e);
                break;
            }
            _ => continue,
        }
    }
    let limited = limited.expect("a rate_limited error");
    assert_eq!(limited.code, ErrorCode::RateLimited);
    assert!(limited.retry_after_ms.unwrap() > 0);

    // The Rust client honours retry_after_ms: every send eventually succeeds, once.
    let (bob, mut bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();
    for i in 0..8 {
        bob.send_message(&sid, &format!("n{i}")).await.unwrap();
    }
    let texts: Vec<String> = drain_session_events(&mut bob_events, Duration::from_millis(300))
        .await
        .into_iter()
        .filter_map(|e| match e.body {
            EventBody::Message { text, .. } if text.starts_with('n') => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(texts, (0..8).map(|i| format!("n{i}")).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_connection_that_stops_answering_pings_is_closed() {
    let mut config = test_config();
    config.heartbeat.interval_ms = 100;
    config.heartbeat.timeout_ms = 300;
    let broker = start_with(config).await;
    let raw = Raw::authed(&broker, &customer_token("alice", "billing")).await;
    // Not reading means not answering pings.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut raw = raw;
    let (code, reason) = raw.closed().await;
    assert_eq!(code, 4005, "{reason}");

    // A client that keeps reading answers pings and stays connected.
    let (alice, mut events) = client(&broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    tokio::time::sleep(Duration::from_millis(800)).await;
    alice.send_message(&sid, "alive").await.unwrap();
    let disconnected = wait_for(&mut events, |e| match e {
        Event::Disconnected { .. } => Some(true),
        Event::Session(e) if matches!(e.body, EventBody::Message { .. }) => Some(false),
        _ => None,
    })
    .await;
    assert!(!disconnected);
}

#[tokio::test]
async fn a_slow_reader_is_cut_off_with_a_resume_code_and_loses_nothing() {
    let mut config = test_config();
    config.limits.outbound_queue = 8;
    config.limits.max_text_chars = 100 * 1024;
    config.limits.max_frame_bytes = 128 * 1024;
    let broker = start_with(config).await;
    let mut alice = Raw::authed(&broker, &customer_token("alice", "billing")).await;
    let sid = open(&mut alice).await;
    let mut slow = Raw::authed(&broker, &token(Role::Agent, "slow")).await;
    slow.send_json(serde_json::json!({"type": "join", "id": "j", "session_id": sid}))
        .await;
    let ServerFrame::Ack(_) = slow.recv().await else {
        panic!()
    };
    // The agent stops reading while the customer sends far more than the
    // socket buffers and the 8-frame queue hold; afterwards it catches up.
    let (go, wait) = tokio::sync::oneshot::channel::<()>();
    let reader = tokio::spawn(async move {
        let _ = wait.await;
        let mut seqs = Vec::new();
        loop {
            match slow.next_message().await {
                Some(ServerFrame::Event(e)) => seqs.push(e.seq),
                Some(_) => continue,
                None => break,
            }
        }
        (seqs, slow.closed().await)
    });
    let big = "y".repeat(100_000);
    let mut acked = 0u64;
    for i in 0..250 {
        alice
            .send_json(serde_json::json!({"type": "message", "id": format!("b{i}"), "session_id": sid, "text": big}))
            .await;
        loop {
            match alice.recv().await {
                ServerFrame::Ack(a) => {
                    acked = a.seq.unwrap();
                    break;
                }
                ServerFrame::Event(_) => continue,
                other => panic!("{other:?}"),
            }
        }
    }
    let _ = go.send(());
    let (seqs, (code, reason)) = reader.await.unwrap();
    // The 4008 close frame waits behind what the reader has not read; a
    // reader that starts reading after the broker's close grace (5 s) sees
    // the connection end without it (docs/protocol.md). A cluster node on
    // this 2-core machine takes longer than that to store the 250 messages.
    if !(cluster_mode() && code == 1006) {
        assert_eq!(code, 4008, "{reason}");
    }
    assert!((seqs.len() as u64) < acked, "it was cut off before the end");

    // It reconnects and resumes from what it saw: every acknowledged message is there once.
    let last_seen = seqs.last().copied().unwrap_or(0);
    let mut back = Raw::authed(&broker, &token(Role::Agent, "slow")).await;
    back.send_json(
        serde_json::json!({"type": "join", "id": "j2", "session_id": sid, "after_seq": last_seen}),
    )
    .await;
    let ServerFrame::Ack(ack) = back.recv().await else {
        panic!()
    };
    assert_eq!(ack.session.unwrap().last_seq, acked);
    let mut last = last_seen;
    while last < acked {
        let ServerFrame::Event(e) = back.recv().await else {
            panic!()
        };
        assert_eq!(e.seq, last + 1);
        last = e.seq;
    }
}

#[tokio::test]
async fn memory_for_resume_stays_within_the_process_budget_and_resumes_read_the_rest_from_the_store(
) {
    let mut config = test_config();
    config.limits.history_bytes = 1024 * 1024;
    config.limits.history_bytes_total = 16 * 1024;
    let broker = start_with(config).await;
    let text = "z".repeat(500);
    let mut sessions = Vec::new();
    for customer in ["c1", "c2", "c3", "c4"] {
        let mut raw = Raw::authed(&broker, &customer_token(customer, "billing")).await;
        let sid = open(&mut raw).await;
        for i in 0..50 {
            raw.send_json(serde_json::json!({"type": "message", "id": format!("m{i}"), "session_id": sid, "text": text}))
                .await;
            loop {
                if let ServerFrame::Ack(_) = raw.recv().await {
                    break;
                }
            }
        }
        sessions.push((customer, sid));
    }
    // Four sessions of about 35 KB each: the windows are cut to a fair
    // share of 16 KiB (each keeps at least its last event).
    let window = |health: &str| -> u64 {
        let v: serde_json::Value = serde_json::from_str(health).unwrap();
        v["window_bytes"].as_u64().unwrap()
    };
    let within = tokio::time::timeout(WAIT, async {
        loop {
            let held = window(&http_get(broker.local_addr(), "/healthz").await);
            if held <= 16 * 1024 {
                return held;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the windows come down to the budget");
    assert!(within > 0, "recent events stay in memory");

    // Every session still resumes from its start, complete: what left
    // memory is read from the store.
    for (customer, sid) in sessions {
        let mut back = Raw::authed(&broker, &customer_token(customer, "billing")).await;
        back.send_json(
            serde_json::json!({"type": "join", "id": "j", "session_id": sid, "after_seq": 0}),
        )
        .await;
        let ServerFrame::Ack(ack) = back.recv().await else {
            panic!()
        };
        assert_eq!(ack.session.unwrap().last_seq, 51);
        assert_eq!(
            ack.resume,
            Some(seam_protocol::ResumeOutcome::Complete { replayed: 51 })
        );
        for seq in 1..=51 {
            let ServerFrame::Event(e) = back.recv().await else {
                panic!()
            };
            assert_eq!(e.seq, seq);
        }
    }
}

#[tokio::test]
async fn shutdown_tells_clients_to_go_away_and_health_reports_state() {
    let broker = start().await;
    let health: serde_json::Value =
        serde_json::from_str(&http_get(broker.local_addr(), "/healthz").await).unwrap();
    assert_eq!(health["status"], "ok");
    let mut raw = Raw::authed(&broker, &customer_token("alice", "billing")).await;
    open(&mut raw).await;
    let health: serde_json::Value =
        serde_json::from_str(&http_get(broker.local_addr(), "/healthz").await).unwrap();
    assert_eq!(
        (health["connections"].as_u64(), health["sessions"].as_u64()),
        (Some(1), Some(1))
    );
    // Connected, not yet past `hello`: closed the same way.
    let mut greeting = Raw::connect(&broker).await;
    let addr = broker.local_addr();
    let stopping = tokio::spawn(broker.shutdown());
    let (code, reason) = raw.closed().await;
    assert_eq!(code, 1001, "{reason}");
    assert_eq!(
        reason,
        "going_away: broker shutting down; reconnect and resume"
    );
    assert_eq!(greeting.closed().await, (code, reason));
    stopping.await.unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned()
}
