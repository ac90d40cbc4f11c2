//! Durability stories: restarts on SQLite, `kill -9` in the middle of
//! traffic, the admin API, ratings, signed webhooks and retention.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use seam_broker::{Config, StoreKind};
use seam_client::Event;
use seam_protocol::{EventBody, Role, ServerFrame};
use tokio_tungstenite::tungstenite::Message;

fn sqlite_config(dir: &std::path::Path) -> Config {
    let mut config = test_config();
    config.data_dir = dir.to_owned();
    config.store.kind = StoreKind::Sqlite;
    config
}

/// A SQLite broker routing to one queue, `general`.
fn routed_config(dir: &std::path::Path) -> Config {
    let mut config = sqlite_config(dir);
    config.routing.queues = vec![seam_broker::QueueConfig {
        name: "general".into(),
        ..seam_broker::QueueConfig::default()
    }];
    config
}

async fn start_sqlite(config: Config) -> seam_broker::RunningBroker {
    let store = seam_broker::open_store(&config).await.unwrap();
    start_on(config, store).await
}

/// A SQLite config sending webhooks to `url`, retrying fast.
fn webhook_config(dir: &std::path::Path, url: String) -> Config {
    let mut config = sqlite_config(dir);
    config.webhooks.urls = vec![url];
    config.webhooks.secret = Some("hook-secret".into());
    config.webhooks.retry_initial_ms = 50;
    config.webhooks.poll_ms = 20;
    config
}

fn service_token() -> String {
    token(Role::Service, "backend")
}

#[tokio::test]
async fn sessions_survive_a_restart_on_sqlite_and_clients_resume() {
    let dir = temp_dir("restart");
    let broker = start_sqlite(sqlite_config(&dir)).await;
    let addr = broker.local_addr();
    let (alice, mut alice_events) = client(&broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, mut bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();
    alice
        .send_message(&sid, "before the restart")
        .await
        .unwrap();
    assert_eq!(next_message(&mut bob_events).await, "before the restart");
    assert_eq!(next_message(&mut alice_events).await, "before the restart");
    broker.shutdown().await;

    let mut config = sqlite_config(&dir);
    config.listen = addr;
    let _broker = start_sqlite(config).await;
    // Both clients reconnect by themselves and resume where they were.
    wait_for(&mut bob_events, |e| {
        matches!(e, Event::Resumed { .. }).then_some(())
    })
    .await;
    alice.send_message(&sid, "after the restart").await.unwrap();
    let after = drain_session_events(&mut bob_events, Duration::from_millis(300)).await;
    let texts: Vec<_> = after
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Message { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        texts,
        ["after the restart"],
        "nothing replayed twice, nothing missing"
    );
    // The same session is still the customer's open one.
    assert_eq!(alice.open_session(None).await.unwrap().session_id, sid);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A broker that restarts starts its agents `away`; the client library says
/// the status it last set again when it reconnects, so the agent gets the
/// next customer without doing anything.
#[tokio::test]
async fn an_agent_client_says_its_status_again_after_a_restart() {
    let dir = temp_dir("restart-status");
    let broker = start_sqlite(routed_config(&dir)).await;
    let addr = broker.local_addr();
    let (bob, mut bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    bob.set_status(seam_protocol::AgentStatus::Available)
        .await
        .unwrap();
    broker.shutdown().await;

    let mut config = routed_config(&dir);
    config.listen = addr;
    let broker = start_sqlite(config).await;
    wait_for(&mut bob_events, |e| {
        matches!(
            e,
            Event::Connected {
                reconnected: true,
                ..
            }
        )
        .then_some(())
    })
    .await;
    let (alice, _alice_events) = client(&broker, customer_token("alice", "other")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let offer = wait_for(&mut bob_events, |e| match e {
        Event::Offer(offer) => Some(offer),
        _ => None,
    })
    .await;
    assert_eq!(offer.session_id, sid);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn after_a_restart_an_agent_who_does_not_come_back_is_replaced() {
    let dir = temp_dir("restart-routing");
    let routed = |dir: &std::path::Path| {
        let mut config = routed_config(dir);
        config.routing.offline_grace_ms = 1_000;
        config
    };
    let broker = start_sqlite(routed(&dir)).await;
    let addr = broker.local_addr();
    let agent = |sub: &str| {
        let mut c = claims(Role::Agent, sub);
        c.capacity = Some(1);
        seam_broker::mint_hs256(SECRET, &c).unwrap()
    };
    let mut sids = Vec::new();
    let mut customers = Vec::new();
    for (customer, sub) in [("alice", "bob"), ("carol", "dan")] {
        let (c, events) = client(&broker, customer_token(customer, "other")).await;
        sids.push(c.open_session(None).await.unwrap().session_id);
        customers.push((c, events));
        let (a, mut a_events) = client(&broker, agent(sub)).await;
        a.set_status(seam_protocol::AgentStatus::Available)
            .await
            .unwrap();
        let offer = wait_for(&mut a_events, |e| match e {
            Event::Offer(offer) => Some(offer),
            _ => None,
        })
        .await;
        a.accept_offer(&offer.offer_id).await.unwrap();
        a.close();
    }
    broker.shutdown().await;

    let mut config = routed(&dir);
    config.listen = addr;
    let broker = start_sqlite(config).await;
    // Dan comes back within the grace period and keeps Carol; Bob does not.
    let (dan, _) = client(&broker, agent("dan")).await;
    let (_, alice_events) = &mut customers[0];
    let left = wait_for(alice_events, |e| match e {
        Event::Session(e) => match e.body {
            EventBody::ParticipantLeft {
                participant,
                reason,
            } => Some((participant.sub, reason)),
            _ => None,
        },
        _ => None,
    })
    .await;
    assert_eq!(
        left,
        ("bob".into(), Some(seam_protocol::LeaveReason::Offline))
    );
    let (fresh, mut fresh_events) = client(&broker, agent("erin")).await;
    fresh
        .set_status(seam_protocol::AgentStatus::Available)
        .await
        .unwrap();
    let offer = wait_for(&mut fresh_events, |e| match e {
        Event::Offer(offer) => Some(offer),
        _ => None,
    })
    .await;
    assert_eq!(
        offer.session_id, sids[0],
        "Alice waits again, Carol does not"
    );
    let mine = dan.my_sessions().await.unwrap();
    assert_eq!(
        mine.iter()
            .map(|s| s.session_id.clone())
            .collect::<Vec<_>>(),
        [sids[1].clone()]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// One customer sending messages one at a time, recording each ack.
async fn chatter(
    url: String,
    token: String,
    name: String,
    acked: Arc<Mutex<Vec<(String, u64, String)>>>,
) {
    let Ok((mut ws, _)) = tokio_tungstenite::connect_async(url.as_str()).await else {
        return;
    };
    let hello = serde_json::json!({"type": "hello", "versions": [1], "token": token});
    if ws.send(Message::text(hello.to_string())).await.is_err() {
        return;
    }
    let mut session = None;
    let mut pending = String::from("open");
    let open = serde_json::json!({"type": "open_session", "id": "open"});
    if ws.send(Message::text(open.to_string())).await.is_err() {
        return;
    }
    let mut n = 0;
    while let Some(Ok(message)) = ws.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let Ok(frame) = serde_json::from_str::<ServerFrame>(&text) else {
            continue;
        };
        let ServerFrame::Ack(ack) = frame else {
            continue;
        };
        if ack.id != pending {
            continue;
        }
        if let Some(seq) = ack.seq {
            acked
                .lock()
                .unwrap()
                .push((pending.clone(), seq, session.clone().unwrap_or_default()));
        }
        if let Some(snapshot) = ack.session {
            session = Some(snapshot.session_id);
        }
        n += 1;
        pending = format!("{name}-m{n}");
        let message = serde_json::json!({"type": "message", "id": pending, "session_id": session, "text": format!("message {n}")});
        if ws.send(Message::text(message.to_string())).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn kill_9_in_the_middle_of_traffic_loses_no_acknowledged_message() {
    kill_9_loses_no_acknowledged_message("kill9", None).await;
}

/// Without an fsync per commit, an acknowledged event still survives a
/// crash of the broker (not of the machine): it reached the OS before its
/// ack went out (docs/deploy.md, "Choosing a store").
#[tokio::test]
async fn kill_9_loses_no_acknowledged_message_without_full_sync_either() {
    kill_9_loses_no_acknowledged_message("kill9-nosync", Some("[store]\nfull_sync = false\n"))
        .await;
}

/// Four customers chatting on SQLite (`config`: a configuration file's
/// text, if any), the broker killed with SIGKILL among them, restarted:
/// every acknowledged message is stored once, at its acknowledged seq,
/// with no gaps.
async fn kill_9_loses_no_acknowledged_message(name: &str, config: Option<&str>) {
    let dir = temp_dir(name);
    let data_dir = dir.to_str().unwrap().to_owned();
    let config_path = dir.join("seam.toml");
    let mut args = vec!["--dev", "--listen", "127.0.0.1:0", "--data-dir", &data_dir];
    if let Some(config) = config {
        std::fs::write(&config_path, config).unwrap();
        args.extend(["--config", config_path.to_str().unwrap()]);
    }
    let (mut child, url) = serve(&args, &[]);
    let acked = Arc::new(Mutex::new(Vec::new()));
    let mut writers = Vec::new();
    for i in 0..4 {
        let token = mint(&[
            "--role",
            "customer",
            "--sub",
            &format!("c{i}"),
            "--data-dir",
            &data_dir,
        ]);
        writers.push(tokio::spawn(chatter(
            url.clone(),
            token,
            format!("c{i}"),
            acked.clone(),
        )));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    child.kill().unwrap(); // SIGKILL: no shutdown, no flush
    let _ = child.wait();
    for w in writers {
        let _ = w.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 20,
        "the run should have acknowledged a fair number of messages: {}",
        acked.len()
    );

    let (mut child, url) = serve(&args, &[]);
    let addr: std::net::SocketAddr = url
        .trim_start_matches("ws://")
        .trim_end_matches("/ws")
        .parse()
        .unwrap();
    let service = mint(&[
        "--role",
        "service",
        "--sub",
        "backend",
        "--data-dir",
        &data_dir,
    ]);
    let mut sessions: Vec<String> = acked.iter().map(|(_, _, s)| s.clone()).collect();
    sessions.sort();
    sessions.dedup();
    for sid in sessions {
        let (status, body) = http(
            addr,
            "GET",
            &format!("/v1/sessions/{sid}"),
            Some(&service),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let events = body["events"].as_array().unwrap();
        let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
        assert_eq!(
            seqs,
            (1..=seqs.len() as u64).collect::<Vec<_>>(),
            "no gaps, no duplicates"
        );
        for (id, seq, _) in acked.iter().filter(|(_, _, s)| *s == sid) {
            let matching: Vec<_> = events
                .iter()
                .filter(|e| e["client_id"] == id.as_str())
                .collect();
            assert_eq!(
                matching.len(),
                1,
                "acknowledged {id} must be there exactly once"
            );
            assert_eq!(matching[0]["seq"].as_u64(), Some(*seq));
        }
    }
    child.kill().unwrap();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_admin_api_lists_fetches_ends_and_erases_with_clear_errors() {
    let dir = temp_dir("admin");
    let mut config = sqlite_config(&dir);
    config.routing.queues = vec![seam_broker::QueueConfig {
        name: "general".into(),
        ..Default::default()
    }];
    let broker = start_sqlite(config).await;
    let addr = broker.local_addr();
    let service = service_token();
    let (alice, _) = client(&broker, customer_token("alice", "billing")).await;
    let s1 = alice.open_session(None).await.unwrap().session_id;
    // With routing on, bob takes the session through its offer.
    let (bob, mut bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    assert_eq!(
        rejected(bob.join(&s1).await),
        seam_protocol::ErrorCode::Forbidden,
        "no joining by id past routing"
    );
    bob.set_status(seam_protocol::AgentStatus::Available)
        .await
        .unwrap();
    let offer = wait_for(&mut bob_events, |e| match e {
        seam_client::Event::Offer(o) => Some(o),
        _ => None,
    })
    .await;
    bob.accept_offer(&offer.offer_id).await.unwrap();
    bob.whisper(&s1, "secret advice").await.unwrap();
    bob.note(&s1, "verified").await.unwrap();
    alice.send_message(&s1, "hello").await.unwrap();
    bob.end_session(&s1, Some("solved")).await.unwrap();
    let (carol, _) = client(&broker, customer_token("carol", "shipping")).await;
    let s2 = carol.open_session(None).await.unwrap().session_id;

    let list = |query: &'static str| {
        let service = service.clone();
        async move {
            let (status, body) = http(
                addr,
                "GET",
                &format!("/v1/sessions{query}"),
                Some(&service),
                None,
            )
            .await;
            assert_eq!(status, 200, "{query}: {body}");
            body["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["session_id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list("").await, [s2.as_str(), s1.as_str()]);
    assert_eq!(list("?state=ended").await, [s1.as_str()]);
    assert_eq!(list("?state=open").await, [s2.as_str()]);
    assert_eq!(list("?agent=bob").await, [s1.as_str()]);
    assert_eq!(list("?queue=general").await, [s2.as_str(), s1.as_str()]);
    assert_eq!(list("?queue=vip").await, Vec::<String>::new());
    assert_eq!(list("?customer=carol").await, [s2.as_str()]);
    assert_eq!(list("?since=0&until=1").await, Vec::<String>::new());
    assert_eq!(list("?limit=1").await, [s2.as_str()]);

    // The transcript: whispers only when asked for, notes always.
    let (status, body) = http(
        addr,
        "GET",
        &format!("/v1/sessions/{s1}"),
        Some(&service),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let kinds: Vec<_> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["body"]["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        kinds.contains(&"note".to_owned()) && !kinds.contains(&"whisper".to_owned()),
        "{kinds:?}"
    );
    assert_eq!(body["session"]["state"], "ended");
    let (_, body) = http(
        addr,
        "GET",
        &format!("/v1/sessions/{s1}?whispers=true"),
        Some(&service),
        None,
    )
    .await;
    assert!(body["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["body"]["kind"] == "whisper"));
    assert!(body["next_after_seq"].is_null(), "one page holds it all");
    let all_seqs: Vec<u64> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();

    // Pages: `limit` events at a time, `next_after_seq` says where to go on.
    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let (status, body) = http(
            addr,
            "GET",
            &format!("/v1/sessions/{s1}?whispers=true&limit=2&after_seq={after}"),
            Some(&service),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let page = body["events"].as_array().unwrap();
        assert!(page.len() <= 2);
        paged.extend(page.iter().map(|e| e["seq"].as_u64().unwrap()));
        match body["next_after_seq"].as_u64() {
            Some(next) => after = next,
            None => break,
        }
    }
    assert_eq!(paged, all_seqs);
    for bad in ["?limit=0", "?limit=1001", "?after_seq=-1", "?page=2"] {
        let (status, body) = http(
            addr,
            "GET",
            &format!("/v1/sessions/{s1}{bad}"),
            Some(&service),
            None,
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("bad_request")),
            "{bad}"
        );
    }

    // Errors.
    for (query, needle) in [
        ("?state=closed", "state"),
        ("?since=yesterday", "since"),
        ("?limit=0", "limit"),
        ("?sort=asc", "unknown parameter"),
    ] {
        let (status, body) = http(
            addr,
            "GET",
            &format!("/v1/sessions{query}"),
            Some(&service),
            None,
        )
        .await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["error"]["code"], "bad_request");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(needle),
            "{body}"
        );
    }
    let (status, body) = http(addr, "GET", "/v1/sessions", None, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    let (status, _) = http(addr, "GET", "/v1/sessions", Some("not-a-jwt"), None).await;
    assert_eq!(status, 401);
    let (status, body) = http(
        addr,
        "GET",
        "/v1/sessions",
        Some(&token(Role::Agent, "bob")),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    let (status, body) = http(addr, "GET", "/v1/sessions/s_nope", Some(&service), None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("session_not_found"))
    );
    let (status, _) = http(
        addr,
        "GET",
        &format!("/v1/sessions/{s1}?whispers=maybe"),
        Some(&service),
        None,
    )
    .await;
    assert_eq!(status, 400);

    // Ending a session through the API.
    let (status, body) = http(
        addr,
        "POST",
        &format!("/v1/sessions/{s2}/end"),
        Some(&service),
        Some(serde_json::json!({"reason": "closed by backend"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = http(
        addr,
        "POST",
        &format!("/v1/sessions/{s2}/end"),
        Some(&service),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("session_ended"))
    );
    let (status, _) = http(
        addr,
        "POST",
        "/v1/sessions/s_nope/end",
        Some(&service),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = http(
        addr,
        "POST",
        &format!("/v1/sessions/{s2}/end"),
        Some(&service),
        Some(serde_json::json!({"reason": 5})),
    )
    .await;
    assert_eq!(status, 400);

    // Exporting a customer: every session of theirs with every event,
    // whispers and notes included; nobody else's.
    let (status, export) = http(
        addr,
        "GET",
        "/v1/customers/alice/export",
        Some(&service),
        None,
    )
    .await;
    assert_eq!(status, 200, "{export}");
    let export: seam_protocol::CustomerExport = serde_json::from_value(export).unwrap();
    assert_eq!(export.customer, "alice");
    assert_eq!(export.sessions.len(), 1);
    assert_eq!(export.sessions[0].session.session_id, s1);
    let bodies: Vec<serde_json::Value> = export.sessions[0]
        .events
        .iter()
        .map(|e| serde_json::to_value(&e.body).unwrap())
        .collect();
    for text in ["secret advice", "verified", "hello"] {
        assert!(
            bodies.iter().any(|b| b["text"] == text),
            "{text} missing from the export: {bodies:?}"
        );
    }
    let seqs: Vec<u64> = export.sessions[0].events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as u64).collect::<Vec<_>>(),
        "every event, in order"
    );
    let (status, nobody) = http(
        addr,
        "GET",
        "/v1/customers/nobody/export",
        Some(&service),
        None,
    )
    .await;
    assert_eq!(
        (status, nobody["sessions"].clone()),
        (200, serde_json::json!([]))
    );
    let agent = token(Role::Agent, "bob");
    let (status, body) = http(
        addr,
        "GET",
        "/v1/customers/alice/export",
        Some(&agent),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );

    // Erasing a customer: everything about alice is gone, carol stays.
    let (status, body) = http(addr, "DELETE", "/v1/customers/alice", Some(&service), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["erased_sessions"].as_array().unwrap().len(), 1);
    let (status, _) = http(
        addr,
        "GET",
        &format!("/v1/sessions/{s1}"),
        Some(&service),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(list("").await, [s2.as_str()]);
    let (_, export) = http(
        addr,
        "GET",
        "/v1/customers/alice/export",
        Some(&service),
        None,
    )
    .await;
    assert_eq!(
        export["sessions"],
        serde_json::json!([]),
        "nothing left to export"
    );
    assert_eq!(
        rejected(bob.join(&s1).await),
        seam_protocol::ErrorCode::SessionNotFound
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_customer_is_asked_for_a_rating_and_it_is_stored_once() {
    let broker = start().await;
    let (alice, mut alice_events) = client(&broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, _) = client(&broker, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();
    assert_eq!(
        rejected(alice.rate_session(&sid, 5, None).await),
        seam_protocol::ErrorCode::SessionNotEnded
    );
    bob.end_session(&sid, None).await.unwrap();
    let asked = wait_for(&mut alice_events, |e| match e {
        Event::RatingRequested { session_id } => Some(session_id),
        _ => None,
    })
    .await;
    assert_eq!(asked, sid);
    assert_eq!(
        rejected(alice.rate_session(&sid, 6, None).await),
        seam_protocol::ErrorCode::InvalidMessage
    );
    assert_eq!(
        rejected(alice.rate_session(&sid, 0, None).await),
        seam_protocol::ErrorCode::InvalidMessage
    );
    assert_eq!(
        rejected(bob.rate_session(&sid, 5, None).await),
        seam_protocol::ErrorCode::Forbidden
    );
    let (mallory, _) = client(&broker, customer_token("mallory", "x")).await;
    assert_eq!(
        rejected(mallory.rate_session(&sid, 1, None).await),
        seam_protocol::ErrorCode::NotYourSession
    );
    alice
        .rate_session(&sid, 4, Some("quick and kind"))
        .await
        .unwrap();
    assert_eq!(
        rejected(alice.rate_session(&sid, 5, None).await),
        seam_protocol::ErrorCode::AlreadyRated
    );

    let (status, body) = http(
        broker.local_addr(),
        "GET",
        &format!("/v1/sessions/{sid}"),
        Some(&service_token()),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["session"]["rating"],
        serde_json::json!({"score": 4, "comment": "quick and kind"})
    );
}

fn verify(secret: &str, received: &Received) {
    let timestamp = &received.headers["seam-timestamp"];
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(&received.body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(received.headers["seam-signature"], format!("v1={hex}"));
    let age = seam_broker::auth::now_secs().abs_diff(timestamp.parse().unwrap());
    assert!(age < 60, "fresh timestamp");
}

#[tokio::test]
async fn webhooks_are_signed_retried_and_carry_the_transcript_and_rating() {
    let sink = WebhookSink::start("127.0.0.1:0", 2).await;
    let dir = temp_dir("hooks");
    let mut config = webhook_config(&dir, sink.url.clone());
    config.webhooks.rating_wait_ms = 60_000;
    let broker = start_sqlite(config).await;
    let (alice, _) = client(&broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, _) = client(&broker, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();
    let r = alice
        .request_mode(&sid, seam_protocol::Mode::Voice, false, None)
        .await
        .unwrap();
    bob.answer_mode(&sid, &r, true, None).await.unwrap();
    alice.send_message(&sid, "thanks").await.unwrap();
    bob.end_session(&sid, Some("solved")).await.unwrap();

    // The endpoint failed the first two requests (500): those deliveries were
    // retried, under the same delivery id, without holding up the others.
    let got = sink.wait_for(4).await;
    for r in &got {
        verify("hook-secret", r);
    }
    let kinds: Vec<_> = got
        .iter()
        .map(|r| r.headers["seam-event"].clone())
        .collect();
    let ids: Vec<_> = got
        .iter()
        .map(|r| r.headers["seam-delivery"].clone())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "session.started").count()
            + kinds
                .iter()
                .filter(|k| *k == "session.mode_changed")
                .count(),
        4,
        "{kinds:?}"
    );
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        2,
        "two deliveries, two of them retried: {ids:?}"
    );
    let mode = got
        .iter()
        .find(|r| r.headers["seam-event"] == "session.mode_changed")
        .unwrap();
    assert_eq!(mode.json()["event"]["body"]["mode"], "voice");
    // session.ended waits for the rating, then carries it with the transcript.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.received.lock().unwrap().len(), 4);
    alice.rate_session(&sid, 5, Some("great")).await.unwrap();
    let got = sink.wait_for(5).await;
    let ended = got[4].json();
    verify("hook-secret", &got[4]);
    assert_eq!(ended["type"], "session.ended");
    assert_eq!(ended["session"]["rating"]["score"], 5);
    let transcript = ended["transcript"].as_array().unwrap();
    assert!(transcript.iter().any(|e| e["body"]["text"] == "thanks"));
    assert!(transcript.iter().any(|e| e["body"]["kind"] == "rated"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn webhooks_pending_at_shutdown_are_delivered_after_a_restart() {
    // Reserve a port for the endpoint, but nothing listens there yet.
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = reserved.local_addr().unwrap();
    drop(reserved);
    let dir = temp_dir("hooks-restart");
    let mut config = webhook_config(&dir, format!("http://{endpoint}/hooks/seam"));
    config.webhooks.retry_max_ms = 100;
    let broker = start_sqlite(config.clone()).await;
    let (alice, _) = client(&broker, customer_token("alice", "billing")).await;
    alice.open_session(None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await; // a few failed attempts
    broker.shutdown().await;

    let sink = WebhookSink::start(&endpoint.to_string(), 0).await;
    let _broker = start_sqlite(config).await;
    let got = sink.wait_for(1).await;
    assert_eq!(got[0].headers["seam-event"], "session.started");
    verify("hook-secret", &got[0]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn ended_sessions_are_deleted_after_the_retention_period() {
    let dir = temp_dir("retention");
    let mut config = sqlite_config(&dir);
    config.retention.ended_sessions_ms = Some(100);
    config.retention.sweep_interval_ms = 50;
    let broker = start_sqlite(config).await;
    let (alice, _) = client(&broker, customer_token("alice", "billing")).await;
    let ended = alice.open_session(None).await.unwrap().session_id;
    alice.end_session(&ended, None).await.unwrap();
    let open = alice.open_session(None).await.unwrap().session_id;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let service = service_token();
    let (status, _) = http(
        broker.local_addr(),
        "GET",
        &format!("/v1/sessions/{ended}"),
        Some(&service),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = http(
        broker.local_addr(),
        "GET",
        &format!("/v1/sessions/{open}"),
        Some(&service),
        None,
    )
    .await;
    assert_eq!(status, 200, "open sessions are kept");
    assert_eq!(
        rejected(alice.join(&ended).await),
        seam_protocol::ErrorCode::SessionNotFound
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether `needle` occurs in the database file or its WAL.
fn on_disk(dir: &std::path::Path, needle: &str) -> bool {
    ["seam.db", "seam.db-wal"].iter().any(|name| {
        std::fs::read(dir.join(name))
            .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
    })
}

#[tokio::test]
async fn erasure_leaves_no_trace_of_the_transcript_on_disk() {
    let dir = temp_dir("erase-disk");
    let broker = start_sqlite(sqlite_config(&dir)).await;
    let (alice, _events) = client(&broker, customer_token("alice", "billing")).await;
    let session = alice.open_session(None).await.unwrap();
    let secret = "my card number is 4929-1234-5678-9012";
    for _ in 0..3 {
        alice
            .send_message(&session.session_id, secret)
            .await
            .unwrap();
    }
    alice.close();
    assert!(on_disk(&dir, secret), "the transcript is stored before");

    let (status, body) = http(
        broker.local_addr(),
        "DELETE",
        "/v1/customers/alice",
        Some(&service_token()),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        !on_disk(&dir, secret),
        "erased text is still in seam.db or its WAL"
    );
    broker.shutdown().await;
    assert!(!on_disk(&dir, secret));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_hung_webhook_receiver_holds_up_neither_the_others_nor_shutdown() {
    let dir = temp_dir("hooks-hung");
    // Accepts connections and never answers.
    let hung = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hung_url = format!("http://{}/hooks", hung.local_addr().unwrap());
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let holder = tokio::spawn({
        let accepted = accepted.clone();
        async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = hung.accept().await {
                accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                held.push(socket);
            }
        }
    });
    let healthy = WebhookSink::start("127.0.0.1:0", 0).await;
    let mut config = webhook_config(&dir, hung_url);
    config.webhooks.urls.push(healthy.url.clone());
    config.webhooks.timeout_ms = 60_000;
    config.webhooks.max_in_flight_per_url = 2;
    let broker = start_sqlite(config).await;
    let mut customers = Vec::new();
    for i in 0..6 {
        let (c, _events) = client(&broker, customer_token(&format!("c{i}"), "billing")).await;
        c.open_session(None).await.unwrap();
        customers.push(c);
    }
    let got = healthy.wait_for(6).await;
    assert!(got.iter().all(|r| r.json()["type"] == "session.started"));
    assert_eq!(
        accepted.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "at most max_in_flight_per_url requests wait on one URL"
    );

    let stopped = tokio::time::timeout(Duration::from_secs(5), broker.shutdown()).await;
    assert!(stopped.is_ok(), "shutdown waited for the hung receiver");
    holder.abort();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_failing_receiver_trips_its_circuit_and_is_left_alone_for_the_cooldown() {
    let dir = temp_dir("hooks-breaker");
    let failing = WebhookSink::start("127.0.0.1:0", usize::MAX).await;
    let mut config = webhook_config(&dir, failing.url.clone());
    config.webhooks.max_in_flight_per_url = 1;
    config.webhooks.breaker_failures = 2;
    config.webhooks.breaker_cooldown_ms = 60_000;
    let broker = start_sqlite(config).await;
    let (alice, _events) = client(&broker, customer_token("alice", "billing")).await;
    alice.open_session(None).await.unwrap();
    failing.wait_for(2).await;
    // Retries would come every 50 ms or so; the open circuit holds them off.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(failing.received.lock().unwrap().len(), 2);
    broker.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sessions the broker holds in memory, from `/healthz`.
async fn held(broker: &seam_broker::RunningBroker) -> u64 {
    let (_, body) = http(broker.local_addr(), "GET", "/healthz", None, None).await;
    body["sessions"].as_u64().unwrap()
}

#[tokio::test]
async fn ended_sessions_leave_memory_and_come_back_from_the_store_when_needed() {
    let dir = temp_dir("release");
    let mut config = sqlite_config(&dir);
    config.limits.release_ended_after_ms = 100;
    let broker = start_sqlite(config.clone()).await;
    let (alice, _events) = client(&broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    alice.send_message(&sid, "thanks, solved").await.unwrap();
    assert_eq!(held(&broker).await, 1);
    alice.end_session(&sid, None).await.unwrap();
    let released = tokio::time::timeout(WAIT, async {
        while held(&broker).await > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    released.await.expect("the ended session leaves memory");

    // Rating and reading it still work: it is read back from the store.
    alice.rate_session(&sid, 5, None).await.unwrap();
    let snapshot = alice.join(&sid).await.unwrap();
    assert_eq!(snapshot.state, seam_protocol::SessionState::Ended);
    let (_, body) = http(
        broker.local_addr(),
        "GET",
        &format!("/v1/sessions/{sid}"),
        Some(&service_token()),
        None,
    )
    .await;
    assert_eq!(body["session"]["rating"]["score"], 5);
    alice.close();

    // Bob's session is still open when the broker stops.
    let (bob, _bob_events) = client(&broker, customer_token("bob", "billing")).await;
    let open = bob.open_session(None).await.unwrap().session_id;
    bob.send_message(&open, "still waiting").await.unwrap();
    bob.close();
    broker.shutdown().await;

    // After a restart nothing is held, open sessions included: each is read
    // from the store on its first use.
    let broker = start_sqlite(config).await;
    assert_eq!(held(&broker).await, 0);
    let (bob, _bob_events) = client(&broker, customer_token("bob", "billing")).await;
    let again = bob.open_session(None).await.unwrap();
    assert_eq!(
        again.session_id, open,
        "his open session, found in the store"
    );
    assert_eq!(again.last_seq, 2);
    assert_eq!(held(&broker).await, 1);
    let (alice, _events) = client(&broker, customer_token("alice", "billing")).await;
    assert_eq!(
        rejected(alice.rate_session(&sid, 4, None).await),
        seam_protocol::ErrorCode::AlreadyRated
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_openapi_document_describes_every_admin_route_with_the_real_types() {
    let broker = start().await;
    let (status, doc) = http(broker.local_addr(), "GET", "/v1/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/sessions", "get"),
        ("/sessions/{id}", "get"),
        ("/sessions/{id}/end", "post"),
        ("/customers/{sub}", "delete"),
        ("/customers/{sub}/export", "get"),
        ("/canned-responses", "get"),
        ("/canned-responses/{shortcut}", "put"),
        ("/canned-responses/{shortcut}", "delete"),
        ("/sessions/{id}/attachments", "post"),
        ("/sessions/{id}/attachments/{attachment}", "get"),
        ("/attachments/{id}/{attachment}", "get"),
        ("/analytics", "get"),
        ("/analytics/modes", "get"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path}");
        assert!(paths[path][method]["responses"]["401"].is_object());
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "SessionSummary",
        "SessionEvent",
        "EventBody",
        "Error",
        "CustomerExport",
        "TranscriptPage",
    ] {
        assert!(schemas.contains_key(name), "{name} in {:?}", schemas.keys());
    }
    // The summary's required fields are what the API sends.
    let required: Vec<&str> = schemas["SessionSummary"]["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(required.contains(&"session_id") && required.contains(&"last_seq"));
}

#[tokio::test]
async fn webhooks_reach_https_receivers_trusted_through_ca_file() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = temp_dir("hooks-tls");
    let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    let certified = rcgen::generate_simple_self_signed(names).unwrap();
    std::fs::write(dir.join("ca.pem"), certified.cert.pem()).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}/hooks",
        listener.local_addr().unwrap().port()
    );
    let (bodies, mut received) = tokio::sync::mpsc::unbounded_channel::<String>();
    let receiver = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let Ok(mut stream) = acceptor.accept(tcp).await else {
                continue;
            };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Headers, then as much body as Content-Length says.
            let body = loop {
                let Ok(n) = stream.read(&mut buf).await else {
                    break None;
                };
                if n == 0 {
                    break None;
                }
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request).into_owned();
                let Some((head, body)) = text.split_once("\r\n\r\n") else {
                    continue;
                };
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if body.len() >= length {
                    break Some(body.to_owned());
                }
            };
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
            if let Some(body) = body {
                let _ = bodies.send(body);
            }
        }
    });
    let mut config = webhook_config(&dir, url);
    config.webhooks.ca_file = Some(dir.join("ca.pem"));
    let broker = start_sqlite(config).await;
    let (alice, _events) = client(&broker, customer_token("alice", "billing")).await;
    alice.open_session(None).await.unwrap();
    let body = tokio::time::timeout(WAIT, received.recv())
        .await
        .expect("a delivery over TLS")
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["type"], "session.started");
    broker.shutdown().await;
    receiver.abort();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_idle_open_session_leaves_memory_and_its_customer_finds_it_again() {
    let dir = temp_dir("release-idle");
    let mut config = sqlite_config(&dir);
    config.limits.release_idle_after_ms = 100;
    let broker = start_sqlite(config).await;
    let (alice, _events) = client(&broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    alice.send_message(&sid, "I'll be back").await.unwrap();
    alice.close();
    let released = tokio::time::timeout(WAIT, async {
        while held(&broker).await > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    released.await.expect("the unwatched session leaves memory");

    // Still open for supervisors...
    let (sue, _) = client(&broker, token(Role::Supervisor, "sue")).await;
    let overview = sue.overview().await.unwrap();
    assert!(overview.sessions.iter().any(|s| s.session_id == sid));
    // ...and the customer comes back to the same session, history and all.
    let (alice, mut events) = client(&broker, customer_token("alice", "billing")).await;
    let session = alice.open_session(None).await.unwrap();
    assert_eq!(session.session_id, sid);
    assert_eq!(next_message(&mut events).await, "I'll be back");
    alice.send_message(&sid, "back").await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn saved_replies_are_managed_through_the_admin_api_and_survive_a_restart() {
    let dir = temp_dir("canned");
    let mut config = sqlite_config(&dir);
    config.canned_responses = vec![seam_broker::CannedResponseConfig {
        shortcut: "refund".into(),
        title: None,
        text: "Configured refund text".into(),
    }];
    let broker = start_sqlite(config.clone()).await;
    let addr = broker.local_addr();
    let service = service_token();
    let shortcuts = |body: &serde_json::Value| -> Vec<(String, String)> {
        body["canned_responses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["shortcut"].as_str().unwrap().to_owned(),
                    r["text"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };

    let (status, body) = http(
        addr,
        "PUT",
        "/v1/canned-responses/bye",
        Some(&service),
        Some(serde_json::json!({"title": "Goodbye", "text": "Bye {name}!"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["title"], "Goodbye");
    // Replacing the configured one.
    let (status, _) = http(
        addr,
        "PUT",
        "/v1/canned-responses/refund",
        Some(&service),
        Some(serde_json::json!({"text": "API refund text"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = http(addr, "GET", "/v1/canned-responses", Some(&service), None).await;
    assert_eq!(status, 200);
    let expected = vec![
        ("refund".to_owned(), "API refund text".to_owned()),
        ("bye".to_owned(), "Bye {name}!".to_owned()),
    ];
    assert_eq!(shortcuts(&body), expected);
    // Agents get the same list.
    let (bob, _) = client(&broker, token(Role::Agent, "bob")).await;
    let seen: Vec<(String, String)> = bob
        .canned_responses()
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.shortcut, r.text))
        .collect();
    assert_eq!(seen, expected);

    // Bad input: a clear 400 (or 404), nothing stored.
    for (path, body, code) in [
        (
            "/v1/canned-responses/re%20fund",
            serde_json::json!({"text": "x"}),
            400,
        ),
        (
            "/v1/canned-responses/ok",
            serde_json::json!({"text": "  "}),
            400,
        ),
        (
            "/v1/canned-responses/ok",
            serde_json::json!({"txt": "x"}),
            400,
        ),
        (
            "/v1/canned-responses/ok",
            serde_json::json!({"text": "x".repeat(10_000)}),
            400,
        ),
    ] {
        let (status, answer) = http(addr, "PUT", path, Some(&service), Some(body)).await;
        assert_eq!(status, code, "{path}: {answer}");
        assert_eq!(answer["error"]["code"], "bad_request");
    }
    let agent = token(Role::Agent, "bob");
    let (status, _) = http(
        addr,
        "PUT",
        "/v1/canned-responses/x",
        Some(&agent),
        Some(serde_json::json!({"text": "x"})),
    )
    .await;
    assert_eq!(status, 403);

    // After a restart, what the API defined is still there.
    drop(bob);
    broker.shutdown().await;
    let broker = start_sqlite(config).await;
    let addr = broker.local_addr();
    let (_, body) = http(addr, "GET", "/v1/canned-responses", Some(&service), None).await;
    assert_eq!(shortcuts(&body), expected);
    // Deleting the API's refund brings the configured one back; the
    // configured one itself cannot be deleted through the API.
    let (status, body) = http(
        addr,
        "DELETE",
        "/v1/canned-responses/refund",
        Some(&service),
        None,
    )
    .await;
    assert_eq!(
        (status, body["text"].as_str()),
        (200, Some("API refund text"))
    );
    let (_, body) = http(addr, "GET", "/v1/canned-responses", Some(&service), None).await;
    assert_eq!(
        shortcuts(&body)[0],
        ("refund".to_owned(), "Configured refund text".to_owned())
    );
    let (status, body) = http(
        addr,
        "DELETE",
        "/v1/canned-responses/refund",
        Some(&service),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("configuration file"));
    let (status, _) = http(
        addr,
        "DELETE",
        "/v1/canned-responses/nothing",
        Some(&service),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn read_receipts_survive_a_restart_on_sqlite() {
    let dir = temp_dir("receipts");
    let broker = start_sqlite(sqlite_config(&dir)).await;
    let addr = broker.local_addr();
    let (alice, _alice_events) = client(&broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, _bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();
    let seq = bob.send_message(&sid, "hi").await.unwrap().seq.unwrap();
    alice.receipt(&sid, Some(seq), Some(seq)).await.unwrap();
    broker.shutdown().await;

    let mut config = sqlite_config(&dir);
    config.listen = addr;
    let broker = start_sqlite(config).await;
    let (bob_console, _e) = client(&broker, token(Role::Agent, "bob")).await;
    let snapshot = bob_console.join(&sid).await.unwrap();
    let alice_horizon = snapshot
        .receipts
        .iter()
        .find(|r| r.participant.sub == "alice")
        .map(|r| (r.delivered_seq, r.read_seq));
    assert_eq!(alice_horizon, Some((seq, seq)));
}

#[tokio::test]
async fn a_message_left_offline_reaches_the_backend_by_webhook_and_the_admin_api_on_sqlite() {
    let sink = WebhookSink::start("127.0.0.1:0", 0).await;
    let dir = temp_dir("offline");
    let mut config = webhook_config(&dir, sink.url.clone());
    config.webhooks.rating_wait_ms = 60_000;
    let broker = start_sqlite(config).await;
    let (lea, _) = client(&broker, customer_token("lea", "billing")).await;
    let ack = lea
        .leave_message("Call me back tomorrow", "lea@example.com", None)
        .await
        .unwrap();
    let sid = ack.session_id.unwrap();

    let got = sink.wait_for(2).await;
    for r in &got {
        verify("hook-secret", r);
    }
    let offline = got
        .iter()
        .map(|r| r.json())
        .find(|p| p["type"] == "session.offline_message")
        .expect("a session.offline_message delivery");
    assert_eq!(offline["session"]["session_id"], sid.as_str());
    assert_eq!(offline["session"]["offline_email"], "lea@example.com");
    assert_eq!(offline["event"]["body"]["kind"], "offline_message");
    assert_eq!(offline["event"]["body"]["text"], "Call me back tomorrow");

    let service = service_token();
    let (status, listed) = http(
        broker.local_addr(),
        "GET",
        "/v1/sessions?offline=true",
        Some(&service),
        None,
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["sessions"][0]["session_id"], sid.as_str());
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 1);
    let (_, others) = http(
        broker.local_addr(),
        "GET",
        "/v1/sessions?offline=false",
        Some(&service),
        None,
    )
    .await;
    assert_eq!(others["sessions"].as_array().unwrap().len(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Alice's session with bob in it: its id, both clients (kept to keep
/// their connections), and bob's events from now on.
async fn session_with_agent(
    broker: &seam_broker::RunningBroker,
) -> (String, [seam_client::Client; 2], seam_client::Events) {
    let (alice, _alice_events) = client(broker, customer_token("alice", "billing")).await;
    let session = alice.open_session(None).await.unwrap();
    let (bob, mut bob_events) = client(broker, token(Role::Agent, "bob")).await;
    bob.join(&session.session_id).await.unwrap();
    drain_events(&mut bob_events, Duration::from_millis(100)).await;
    (session.session_id, [alice, bob], bob_events)
}

/// Sends `count` messages `{prefix}{i}` back to back on a raw connection,
/// without waiting for any answer.
async fn burst(raw: &mut Raw, session_id: &str, prefix: &str, count: usize) {
    for i in 0..count {
        raw.send_json(serde_json::json!({
            "type": "message", "id": format!("{prefix}{i}"),
            "session_id": session_id, "text": format!("{prefix}{i}"),
        }))
        .await;
    }
}

#[tokio::test]
async fn messages_sent_back_to_back_are_stored_answered_and_seen_in_the_order_sent() {
    let dir = temp_dir("pipelined");
    let broker = start_sqlite(sqlite_config(&dir)).await;
    let (sid, _clients, mut bob_events) = session_with_agent(&broker).await;

    // Forty messages in a row on one connection (each waits for the disk
    // while the next is read), a repeat of one still in flight, then a
    // command that is not a message: it runs after all of them.
    let mut raw = Raw::authed(&broker, &customer_token("alice", "billing")).await;
    burst(&mut raw, &sid, "m", 20).await;
    raw.send_json(serde_json::json!({
        "type": "message", "id": "m5", "session_id": sid, "text": "m5",
    }))
    .await;
    burst(&mut raw, &sid, "n", 20).await;
    raw.send_json(serde_json::json!({"type": "end_session", "id": "end", "session_id": sid}))
        .await;
    let mut acks = Vec::new();
    while acks.len() < 42 {
        match raw.recv().await {
            ServerFrame::Ack(ack) => acks.push((ack.id, ack.seq, ack.duplicate)),
            ServerFrame::Error(e) => panic!("refused: {e:?}"),
            _ => {}
        }
    }
    let first = acks[0].1.unwrap();
    let mut expected: Vec<(String, Option<u64>, bool)> = (0..20)
        .map(|i| (format!("m{i}"), Some(first + i), false))
        .collect();
    expected.push(("m5".into(), Some(first + 5), true));
    expected.extend((0..20).map(|i| (format!("n{i}"), Some(first + 20 + i), false)));
    expected.push(("end".into(), Some(first + 40), false));
    assert_eq!(
        acks, expected,
        "answered in the order sent, each stored once"
    );

    // The agent sees them in the same order, then the end.
    let mut seen = Vec::new();
    loop {
        let event = next_session_event(&mut bob_events).await;
        match event.body {
            EventBody::Message { text, .. } => seen.push((event.seq, text)),
            EventBody::SessionEnded { .. } => {
                assert_eq!(event.seq, first + 40);
                break;
            }
            _ => {}
        }
    }
    let sent: Vec<(u64, String)> = (0..20)
        .map(|i| (first + i, format!("m{i}")))
        .chain((0..20).map(|i| (first + 20 + i, format!("n{i}"))))
        .collect();
    assert_eq!(seen, sent);
    broker.shutdown().await;

    // After a restart, the transcript holds each message once, in order.
    let broker = start_sqlite(sqlite_config(&dir)).await;
    let (status, page) = http(
        broker.local_addr(),
        "GET",
        &format!("/v1/sessions/{sid}"),
        Some(&service_token()),
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let texts: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["body"]["text"].as_str())
        .collect();
    let sent_texts: Vec<String> = sent.iter().map(|(_, t)| t.clone()).collect();
    assert_eq!(texts, sent_texts);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn messages_in_flight_when_the_sender_hangs_up_still_reach_the_others() {
    let dir = temp_dir("pipelined-hangup");
    let broker = start_sqlite(sqlite_config(&dir)).await;
    let (sid, _clients, mut bob_events) = session_with_agent(&broker).await;

    let mut raw = Raw::authed(&broker, &customer_token("alice", "billing")).await;
    burst(&mut raw, &sid, "m", 30).await;
    raw.send(Message::Close(None)).await;
    drop(raw);
    let mut seen = Vec::new();
    while seen.len() < 30 {
        if let EventBody::Message { text, .. } = next_session_event(&mut bob_events).await.body {
            seen.push(text);
        }
    }
    assert_eq!(seen, (0..30).map(|i| format!("m{i}")).collect::<Vec<_>>());
    let _ = std::fs::remove_dir_all(&dir);
}
