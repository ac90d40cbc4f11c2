//! `GET /metrics` as Prometheus scrapes it: counters and histograms moved
//! by real traffic over WebSockets, gauges read at the scrape, no user ids
//! in labels, and the optional bearer token.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use common::*;
use seam_protocol::{AgentStatus, Role};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The status line and body of `GET /metrics`.
async fn scrape(addr: std::net::SocketAddr, token: Option<&str>) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let request = format!("GET /metrics HTTP/1.1\r\nHost: seam\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

/// The value of one sample, e.g. `seam_commands_total{command="message",result="ok"}`.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{series} not in:\n{text}"))
}

#[tokio::test]
async fn metrics_count_commands_events_resumes_and_show_queues() {
    let mut config = test_config();
    config.routing.queues = vec![seam_broker::QueueConfig {
        name: "billing".into(),
        ..Default::default()
    }];
    // A receiver that refuses every delivery: they wait in the outbox.
    config.webhooks.urls = vec!["http://127.0.0.1:9/hooks".into()];
    config.webhooks.secret = Some("hook-secret".into());
    config.webhooks.retry_initial_ms = 60_000;
    let broker = start_with(config).await;
    let addr = broker.local_addr();
    let (alice, _events) = client(&broker, customer_token("alice", "billing")).await;
    let session = alice.open_session(None).await.unwrap();
    for i in 0..3 {
        alice
            .send_message(&session.session_id, &format!("hello {i}"))
            .await
            .unwrap();
    }
    assert!(alice.send_message("s_nope", "lost?").await.is_err());
    let (bob, _bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    bob.set_status(AgentStatus::Away).await.unwrap();
    // A resume, as a client that reconnected sends it.
    let mut raw = Raw::authed(&broker, &customer_token("alice", "billing")).await;
    raw.send_json(serde_json::json!({
        "type": "join", "id": "r1", "session_id": session.session_id,
        "after_seq": 1, "epoch": session.epoch,
    }))
    .await;
    raw.recv().await;

    let (status, text) = scrape(addr, None).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(
        sample(
            &text,
            "seam_commands_total{command=\"message\",result=\"ok\"}"
        ),
        3.0
    );
    assert!(
        sample(
            &text,
            "seam_commands_total{command=\"message\",result=\"session_not_found\"}"
        ) >= 1.0
    );
    assert_eq!(
        sample(
            &text,
            "seam_command_duration_seconds_count{command=\"message\"}"
        ),
        4.0
    );
    assert_eq!(
        sample(&text, "seam_events_stored_total{kind=\"message\"}"),
        3.0
    );
    assert_eq!(
        sample(&text, "seam_events_stored_total{kind=\"session_opened\"}"),
        1.0
    );
    assert_eq!(
        sample(&text, "seam_events_stored_total{kind=\"queued\"}"),
        1.0
    );
    assert_eq!(
        sample(&text, "seam_resumes_total{outcome=\"complete\"}"),
        1.0
    );
    assert_eq!(sample(&text, "seam_connections"), 3.0);
    assert_eq!(sample(&text, "seam_store_up"), 1.0);
    assert!(
        sample(&text, "seam_webhook_outbox_depth") >= 1.0,
        "the session's start waits to be delivered"
    );
    assert_eq!(
        sample(&text, "seam_queue_waiting_sessions{queue=\"billing\"}"),
        1.0
    );
    assert_eq!(sample(&text, "seam_agents{status=\"away\"}"), 1.0);
    assert!(sample(&text, "seam_store_write_duration_seconds_count") >= 4.0);
    assert!(text.contains("# TYPE seam_store_commit_batch_size histogram"));
    assert!(text.contains("# TYPE seam_store_wal_restart_duration_seconds histogram"));
    assert!(text.contains("# TYPE seam_commands_total counter"));
    // No user ids in labels.
    assert!(!text.contains("alice") && !text.contains("bob"), "{text}");
}

#[tokio::test]
async fn a_metrics_token_is_required_when_set_and_metrics_can_be_off() {
    let mut config = test_config();
    config.metrics.token = Some("scrape-secret".into());
    let broker = start_with(config).await;
    let (status, _) = scrape(broker.local_addr(), None).await;
    assert_eq!(status, "HTTP/1.1 401 Unauthorized");
    let (status, _) = scrape(broker.local_addr(), Some("wrong-secret!")).await;
    assert_eq!(status, "HTTP/1.1 401 Unauthorized");
    let (status, body) = scrape(broker.local_addr(), Some("scrape-secret")).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("seam_connections"));

    let mut config = test_config();
    config.metrics.enabled = false;
    let broker = start_with(config).await;
    let (status, body) = scrape(broker.local_addr(), None).await;
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    assert!(body.contains("not_found"));
}

/// The next offer an agent receives.
async fn next_offer(events: &mut seam_client::Events) -> seam_protocol::Offer {
    wait_for(events, |e| match e {
        seam_client::Event::Offer(o) => Some(o),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn metrics_count_offers_by_outcome_mode_changes_and_the_service_level() {
    let mut config = test_config();
    config.routing.offer_timeout_ms = 300;
    config.routing.queues = vec![seam_broker::QueueConfig {
        name: "billing".into(),
        ..Default::default()
    }];
    let broker = start_with(config).await;
    let addr = broker.local_addr();
    let (bob, mut bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    bob.set_status(AgentStatus::Available).await.unwrap();

    // Alice's first offer goes unanswered and expires; bob takes the next.
    let (alice, _alice_events) = client(&broker, customer_token("alice", "billing")).await;
    let session = alice.open_session(None).await.unwrap();
    let first = next_offer(&mut bob_events).await;
    let second = loop {
        let offer = next_offer(&mut bob_events).await;
        if offer.offer_id != first.offer_id {
            break offer;
        }
    };
    bob.accept_offer(&second.offer_id).await.unwrap();
    // Carol's offer is declined, then she leaves unanswered.
    let (carol, _carol_events) = client(&broker, customer_token("carol", "billing")).await;
    let carols = carol.open_session(None).await.unwrap();
    let offer = next_offer(&mut bob_events).await;
    bob.decline_offer(&offer.offer_id).await.unwrap();
    carol.end_session(&carols.session_id, None).await.unwrap();
    // Alice and bob go to voice.
    let request = bob
        .request_mode(&session.session_id, seam_protocol::Mode::Voice, false, None)
        .await
        .unwrap();
    alice
        .answer_mode(&session.session_id, &request, true, None)
        .await
        .unwrap();

    let (_, text) = scrape(addr, None).await;
    assert!(sample(&text, "seam_offers_total{outcome=\"offered\"}") >= 3.0);
    assert!(sample(&text, "seam_offers_total{outcome=\"expired\"}") >= 1.0);
    assert_eq!(
        sample(&text, "seam_offers_total{outcome=\"accepted\"}"),
        1.0
    );
    assert_eq!(
        sample(&text, "seam_offers_total{outcome=\"declined\"}"),
        1.0
    );
    assert_eq!(
        sample(&text, "seam_mode_changes_total{mode=\"voice\"}"),
        1.0
    );
    // Alice was answered within 20 s; carol left unanswered: half.
    assert_eq!(
        sample(&text, "seam_queue_service_level{queue=\"billing\"}"),
        0.5
    );
    assert_eq!(
        sample(&text, "seam_events_stored_total{kind=\"queue_abandoned\"}"),
        1.0
    );
}
