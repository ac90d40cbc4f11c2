//! Cluster stories: three `seam` processes on 127.0.0.1, .2 and .3 sharing
//! one PostgreSQL schema and one Redis channel of their own (so cluster
//! tests run in parallel with each other and with everything else).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use std::collections::BTreeSet;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use seam_client::{Client, ClientConfig, Event, Events};
use seam_protocol::{AgentStatus, EventBody, Mode, Offer, Role, Signal, SignalTarget};
use std::sync::Arc;

const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";
const REDIS: &str = "redis://127.0.0.1:6379";

/// One cluster's PostgreSQL schema and Redis channel.
struct Cluster {
    name: String,
    dir: std::path::PathBuf,
    /// Extra configuration for every node (routing).
    extra: String,
    /// The Redis the nodes share.
    redis: String,
}

/// Routing with one queue; short offers, grace and lease so that stories
/// about expiry and failover take a few seconds.
const ROUTING: &str = r#"
[routing]
offer_timeout_ms = 150
offline_grace_ms = 5000
[[routing.queues]]
name = "general"
"#;

impl Cluster {
    fn new(test: &str) -> Cluster {
        let name = format!("c_{test}_{}", std::process::id());
        Cluster {
            dir: temp_dir(&name),
            name,
            extra: String::new(),
            redis: REDIS.into(),
        }
    }

    /// A cluster whose nodes route customers to agents.
    fn routing(test: &str) -> Cluster {
        Cluster {
            extra: ROUTING.into(),
            ..Cluster::new(test)
        }
    }

    /// Starts a node listening on `ip`, port 0.
    fn node(&self, ip: &str) -> Node {
        let config = format!(
            r#"listen = "{ip}:0"
data_dir = "{dir}"
[auth]
hs256_secret = "{SECRET}"
[limits]
commands_per_second = 1000
command_burst = 1000
[store]
kind = "postgres"
url = "{POSTGRES}"
schema = "{name}"
[cluster]
redis_url = "{redis}"
channel = "{name}"
position_check_ms = 500
lease_ms = 900
{extra}"#,
            dir = self.dir.display(),
            name = self.name,
            extra = self.extra,
            redis = self.redis,
        );
        let path = self.dir.join(format!("{ip}.toml"));
        std::fs::write(&path, config).unwrap();
        let mut child = Command::new(SEAM)
            .args(["serve", "--log", "warn", "--config"])
            .arg(&path)
            .env_remove("SEAM_AUTH_HS256_SECRET")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let banner = lines.next().unwrap().unwrap();
        let url = banner.split_whitespace().last().unwrap().to_owned();
        assert!(url.starts_with(&format!("ws://{ip}:")), "{banner}");
        std::thread::spawn(move || lines.for_each(drop));
        Node { child, url }
    }

    async fn drop_schema(&self) {
        drop_schema(&self.name).await;
    }
}

/// Drops a test's PostgreSQL schema and everything in it.
async fn drop_schema(name: &str) {
    let (client, connection) = tokio_postgres::connect(POSTGRES, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
        .await
        .unwrap();
}

struct Node {
    child: Child,
    url: String,
}

impl Node {
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn connect(url: &str, token: String) -> (Client, Events) {
    let mut config = ClientConfig::new(url, token);
    config.backoff.initial = Duration::from_millis(20);
    config.backoff.max = Duration::from_millis(200);
    config.ack_timeout = WAIT;
    Client::connect(config).await.unwrap()
}

/// The stored events a connection received for `sid` until it has seen
/// `last`, as (seq, text or kind).
async fn story_until(events: &mut Events, sid: &str, last: u64) -> Vec<(u64, String)> {
    let mut story = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Event::Session(e) = events.next().await.unwrap() {
                if e.session_id != sid {
                    continue;
                }
                let what = match &e.body {
                    EventBody::Message { text, .. } => text.clone(),
                    other => format!("{other:?}").chars().take(24).collect(),
                };
                story.push((e.seq, what));
                if e.seq >= last {
                    return;
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("never reached seq {last}; got {story:?}"));
    story
}

#[tokio::test]
async fn one_session_across_three_nodes_is_seen_once_in_one_order_everywhere() {
    let cluster = Cluster::new("three");
    let n1 = cluster.node("127.0.0.1");
    let n2 = cluster.node("127.0.0.2");
    let n3 = cluster.node("127.0.0.3");

    // Alice on node 1 opens; Bob on node 2 joins; Alice's second tab on
    // node 3 finds the same open session.
    let (alice, mut alice_events) = connect(&n1.url, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, mut bob_events) = connect(&n2.url, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();
    let (tab, mut tab_events) = connect(&n3.url, customer_token("alice", "billing")).await;
    assert_eq!(tab.open_session(None).await.unwrap().session_id, sid);

    // Both sides write at once.
    let from_alice = async {
        for i in 0..20 {
            alice.send_message(&sid, &format!("a{i}")).await.unwrap();
        }
    };
    let from_bob = async {
        for i in 0..20 {
            bob.send_message(&sid, &format!("b{i}")).await.unwrap();
        }
    };
    tokio::join!(from_alice, from_bob);
    // Joining on node 1 counts Bob's last message even if node 2's publish
    // of it has not reached node 1 yet: opened, joined, 40 messages.
    let last = alice.join(&sid).await.unwrap().last_seq;
    assert_eq!(last, 42, "a join answers with every acknowledged event");
    let seen_by_alice = story_until(&mut alice_events, &sid, last).await;
    let seen_by_bob = story_until(&mut bob_events, &sid, last).await;
    let seen_by_tab = story_until(&mut tab_events, &sid, last).await;
    // The tab attached last: it saw the tail; everything else is the same.
    let tail = |story: &[(u64, String)], from: u64| -> Vec<(u64, String)> {
        story.iter().filter(|(s, _)| *s >= from).cloned().collect()
    };
    let from = seen_by_tab[0].0;
    assert_eq!(tail(&seen_by_alice, from), seen_by_tab);
    assert_eq!(tail(&seen_by_bob, from), seen_by_tab);
    for story in [&seen_by_alice, &seen_by_bob, &seen_by_tab] {
        let seqs: Vec<u64> = story.iter().map(|(s, _)| *s).collect();
        let first = seqs[0];
        assert_eq!(seqs, (first..=last).collect::<Vec<_>>(), "gap-free, once");
    }
    let texts: BTreeSet<&str> = seen_by_bob
        .iter()
        .map(|(_, t)| t.as_str())
        .filter(|t| t.starts_with('a') || t.starts_with('b'))
        .collect();
    assert_eq!(
        texts.len(),
        40,
        "every message once; alice saw {seen_by_alice:?}; bob saw {seen_by_bob:?}"
    );

    // Typing from node 2 reaches both of Alice's tabs on nodes 1 and 3.
    bob.typing(&sid, true).await.unwrap();
    for events in [&mut alice_events, &mut tab_events] {
        let who = wait_for(events, |e| match e {
            Event::Typing { from, active, .. } if active => Some(from.sub),
            _ => None,
        })
        .await;
        assert_eq!(who, "bob");
    }

    // A call across nodes: consent, then signaling relayed both ways.
    let voice = alice
        .request_mode(&sid, Mode::Voice, false, None)
        .await
        .unwrap();
    bob.answer_mode(&sid, &voice, true, None).await.unwrap();
    // The call started on node 2: Alice's tabs on nodes 1 and 3 get ICE
    // servers from their own nodes.
    for events in [&mut alice_events, &mut tab_events] {
        let for_session = wait_for(events, |e| match e {
            Event::IceServers { session_id, .. } => Some(session_id),
            _ => None,
        })
        .await;
        assert_eq!(for_session, sid);
    }
    let offer = Signal::Offer {
        sdp: "v=0 offer".into(),
    };
    let to_bob = SignalTarget {
        sub: "bob".into(),
        connection_id: None,
    };
    alice.signal(&sid, to_bob, offer.clone()).await.unwrap();
    let (from_connection, got) = wait_for(&mut bob_events, |e| match e {
        Event::Signal {
            from_connection,
            signal,
            ..
        } => Some((from_connection, signal)),
        _ => None,
    })
    .await;
    assert_eq!(got, offer);
    let answer = Signal::Answer {
        sdp: "v=0 answer".into(),
    };
    let reply_to = SignalTarget {
        sub: "alice".into(),
        connection_id: Some(from_connection),
    };
    bob.signal(&sid, reply_to, answer.clone()).await.unwrap();
    let got = wait_for(&mut alice_events, |e| match e {
        Event::Signal { signal, .. } => Some(signal),
        _ => None,
    })
    .await;
    assert_eq!(got, answer);
    // Only the connection that offered got the answer.
    let stray = drain_events(&mut tab_events, Duration::from_millis(300)).await;
    assert!(
        !stray.iter().any(|e| matches!(e, Event::Signal { .. })),
        "{stray:?}"
    );
    drop((n1, n2, n3));
    cluster.drop_schema().await;
}

/// Both sides of a session, on two nodes, send a burst without waiting
/// for each acknowledgement: the nodes' writes collide in PostgreSQL and
/// the refused ones are decided again. Still every message is
/// acknowledged, stored once, in the order its sender sent it, and both
/// sides see the same gap-free story.
#[tokio::test]
async fn bursts_from_two_nodes_keep_each_senders_order() {
    let cluster = Cluster::new("bursts");
    let n1 = cluster.node("127.0.0.1");
    let n2 = cluster.node("127.0.0.2");
    let (alice, mut alice_events) = connect(&n1.url, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, mut bob_events) = connect(&n2.url, token(Role::Agent, "bob")).await;
    let joined = bob.join(&sid).await.unwrap().last_seq;
    let burst = |who: &str| (0..100).map(|i| format!("{who}{i}")).collect::<Vec<_>>();
    let (from_alice, from_bob) = (burst("a"), burst("b"));
    let (acks_a, acks_b) = tokio::join!(
        futures_util::future::join_all(from_alice.iter().map(|t| alice.send_message(&sid, t))),
        futures_util::future::join_all(from_bob.iter().map(|t| bob.send_message(&sid, t)))
    );
    for acks in [&acks_a, &acks_b] {
        let seqs: Vec<u64> = acks
            .iter()
            .map(|ack| ack.as_ref().unwrap().seq.unwrap())
            .collect();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "a sender's messages are acknowledged in its order: {seqs:?}"
        );
    }
    let last = joined + 200;
    let seen_by_alice = story_until(&mut alice_events, &sid, last).await;
    let seen_by_bob = story_until(&mut bob_events, &sid, last).await;
    let from = seen_by_bob[0].0;
    let tail: Vec<(u64, String)> = seen_by_alice
        .iter()
        .filter(|(s, _)| *s >= from)
        .cloned()
        .collect();
    assert_eq!(tail, seen_by_bob, "both sides see one story");
    for story in [&seen_by_alice, &seen_by_bob] {
        let seqs: Vec<u64> = story.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, (seqs[0]..=last).collect::<Vec<_>>(), "gap-free, once");
    }
    let sent_by = |who: char| -> Vec<String> {
        seen_by_bob
            .iter()
            .map(|(_, text)| text.clone())
            .filter(|t| t.starts_with(who) && t[1..].parse::<u32>().is_ok())
            .collect()
    };
    assert_eq!(
        sent_by('a'),
        from_alice,
        "alice's messages, once each, in her order"
    );
    assert_eq!(
        sent_by('b'),
        from_bob,
        "bob's messages, once each, in his order"
    );
    drop((n1, n2));
    cluster.drop_schema().await;
}

/// Each node folds the listing of what it appends (the writer reads
/// nothing back): changes made on any node, interleaved with messages from
/// another, show in the listing read through a third.
#[tokio::test]
async fn the_session_listing_follows_changes_made_on_every_node() {
    let cluster = Cluster::new("listing");
    let n1 = cluster.node("127.0.0.1");
    let n2 = cluster.node("127.0.0.2");
    let n3 = cluster.node("127.0.0.3");
    let (alice, _alice_events) = connect(&n1.url, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, _bob_events) = connect(&n2.url, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();
    // Node 1 appends right after node 2's join, and node 2 after node 1.
    alice.send_message(&sid, "hello").await.unwrap();
    bob.send_message(&sid, "hi").await.unwrap();
    let (carl, _carl_events) = connect(&n3.url, token(Role::Agent, "carl")).await;
    carl.join(&sid).await.unwrap();
    alice.send_message(&sid, "two of you?").await.unwrap();
    bob.end_session(&sid, Some("resolved")).await.unwrap();
    alice.rate_session(&sid, 4, Some("fine")).await.unwrap();

    let service = token(Role::Service, "backend");
    let path = "/v1/sessions?customer=alice";
    let (status, body) = http(http_addr(&n3.url), "GET", path, Some(&service), None).await;
    assert_eq!(status, 200, "{body}");
    let listed = &body["sessions"][0];
    assert_eq!(listed["session_id"], sid.as_str(), "{body}");
    assert_eq!(listed["state"], "ended", "{listed}");
    assert_eq!(
        listed["agents"],
        serde_json::json!(["bob", "carl"]),
        "{listed}"
    );
    assert_eq!(listed["rating"]["score"], 4, "{listed}");
    let last = stored_events(&n3.url, &sid).await.len() as u64;
    assert_eq!(listed["last_seq"], last, "{listed}");
    let path = "/v1/sessions?agent=carl&state=ended";
    let (_, body) = http(http_addr(&n1.url), "GET", path, Some(&service), None).await;
    assert_eq!(body["sessions"].as_array().map(Vec::len), Some(1), "{body}");
    drop((n1, n2, n3));
    cluster.drop_schema().await;
}

#[tokio::test]
async fn a_node_killed_during_traffic_loses_nothing_acknowledged() {
    let cluster = Cluster::new("kill");
    let n1 = cluster.node("127.0.0.1");
    let mut n2 = cluster.node("127.0.0.2");
    let n3 = cluster.node("127.0.0.3");

    let (alice, mut alice_events) = connect(&n1.url, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, _bob_events) = connect(&n2.url, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();

    // Bob writes through node 2 while it is killed; what was acknowledged
    // must be stored exactly once.
    let writer = {
        let sid = sid.clone();
        tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0..5000 {
                match bob.send_message(&sid, &format!("b{i}")).await {
                    Ok(ack) => acked.push((format!("b{i}"), ack.seq)),
                    Err(_) => break,
                }
            }
            acked
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    n2.kill();
    let acked = writer.await.unwrap();
    assert!(
        !acked.is_empty() && acked.len() < 5000,
        "killed during traffic ({} acknowledged)",
        acked.len()
    );

    // Bob comes back through node 3 and reads the whole story.
    let (bob, _events) = connect(&n3.url, token(Role::Agent, "bob")).await;
    let snapshot = bob.join(&sid).await.unwrap();
    let stored = wait_for_transcript(&n3.url, &sid, snapshot.last_seq).await;
    let seqs: Vec<u64> = stored.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        seqs,
        (1..=snapshot.last_seq).collect::<Vec<_>>(),
        "contiguous"
    );
    for (text, seq) in &acked {
        let copies: Vec<_> = stored.iter().filter(|(_, t)| t == text).collect();
        assert_eq!(copies.len(), 1, "{text} stored once");
        assert_eq!(Some(copies[0].0), *seq, "{text} at its acknowledged seq");
    }
    // Alice, on a node that stayed up, saw every stored event once, in order.
    let seen = story_until(&mut alice_events, &sid, snapshot.last_seq).await;
    let seen_seqs: Vec<u64> = seen.iter().map(|(s, _)| *s).collect();
    let first = seen_seqs[0];
    assert_eq!(seen_seqs, (first..=snapshot.last_seq).collect::<Vec<_>>());
    drop((n1, n2, n3));
    cluster.drop_schema().await;
}

/// A node's HTTP address, from its WebSocket URL.
fn http_addr(url: &str) -> std::net::SocketAddr {
    url.trim_start_matches("ws://")
        .trim_end_matches("/ws")
        .parse()
        .unwrap()
}

/// The session's stored events, through node `url`'s admin API.
async fn stored_events(url: &str, sid: &str) -> Vec<serde_json::Value> {
    let service = token(Role::Service, "backend");
    let path = format!("/v1/sessions/{sid}?limit=1000");
    let (status, body) = http(http_addr(url), "GET", &path, Some(&service), None).await;
    assert_eq!(status, 200, "{body}");
    body["events"].as_array().unwrap().clone()
}

/// The session's stored events through node `url`'s admin API, as (seq,
/// message text); the last must be `last`.
async fn wait_for_transcript(url: &str, sid: &str, last: u64) -> Vec<(u64, String)> {
    let out: Vec<(u64, String)> = stored_events(url, sid)
        .await
        .iter()
        .map(|e| {
            (
                e["seq"].as_u64().unwrap(),
                e["body"]["text"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(out.last().map(|(s, _)| *s), Some(last));
    out
}

/// PostgreSQL goes away under a node (here a single node on the postgres
/// store, without Redis): commands are refused with the retryable
/// `unavailable`, `/healthz` says why, nothing refused is stored, the
/// client's resend goes through once PostgreSQL is back, exactly once.
#[tokio::test]
async fn while_postgresql_is_down_commands_are_refused_retryably_and_nothing_is_lost() {
    let name = format!("c_outage_{}", std::process::id());
    let switch = Switch::start("127.0.0.1:5432".parse().unwrap()).await;
    let mut config = test_config();
    config.store.kind = seam_broker::StoreKind::Postgres;
    config.store.url = Some(format!("postgres://postgres@{}/test", switch.addr));
    config.store.schema = name.clone();
    let store = seam_broker::open_store(&config).await.unwrap();
    let broker = start_on(config, store).await;
    let addr = broker.local_addr();
    let (alice, mut events) = client(&broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    alice.send_message(&sid, "before").await.unwrap();

    switch.off();
    let mut raw = Raw::authed(&broker, &customer_token("alice", "billing")).await;
    raw.send_json(serde_json::json!({
        "type": "message", "id": "during-1", "session_id": sid, "text": "during"
    }))
    .await;
    let refused = loop {
        if let seam_protocol::ServerFrame::Error(e) = raw.recv().await {
            break e;
        }
    };
    assert_eq!(
        refused.code,
        seam_protocol::ErrorCode::Unavailable,
        "{refused:?}"
    );
    assert!(refused.retry_after_ms.is_some_and(|ms| ms > 0));
    let (status, body) = http(addr, "GET", "/healthz", None, None).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (503, Some("store_failing"))
    );

    // The client resends by itself after retry_after_ms; PostgreSQL comes
    // back meanwhile.
    let resend = {
        let (alice, sid) = (alice.clone(), sid.clone());
        tokio::spawn(async move { alice.send_message(&sid, "during").await })
    };
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    switch.on();
    let ack = tokio::time::timeout(Duration::from_secs(15), resend)
        .await
        .expect("the resend went through")
        .unwrap()
        .unwrap();
    let texts: Vec<String> = drain_session_events(&mut events, Duration::from_millis(300))
        .await
        .into_iter()
        .filter_map(|e| match e.body {
            EventBody::Message { text, .. } => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(
        texts.iter().filter(|t| *t == "during").count(),
        1,
        "{texts:?}"
    );
    assert_eq!(ack.seq, Some(alice.join(&sid).await.unwrap().last_seq));
    let (status, _) = http(addr, "GET", "/healthz", None, None).await;
    assert_eq!(status, 200);
    broker.shutdown().await;
    drop_schema(&name).await;
}

/// The node's `/healthz` body.
async fn health(node: &Node) -> serde_json::Value {
    http(http_addr(&node.url), "GET", "/healthz", None, None)
        .await
        .1
}

/// Waits until `node` holds the dispatcher lease.
async fn until_dispatching(node: &Node) {
    for _ in 0..100 {
        if health(node).await["cluster"]["dispatching"] == true {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} never took the dispatcher lease", node.url);
}

/// An agent's token, with capacity 1.
fn agent_token(sub: &str) -> String {
    let mut c = claims(Role::Agent, sub);
    c.capacity = Some(1);
    seam_broker::mint_hs256(SECRET, &c).unwrap()
}

/// An agent with capacity 1, connected to `url` and available.
async fn agent(url: &str, sub: &str) -> (Client, Events) {
    let (client, events) = connect(url, agent_token(sub)).await;
    client.set_status(AgentStatus::Available).await.unwrap();
    (client, events)
}

async fn next_offer(events: &mut Events) -> Offer {
    wait_for(events, |e| match e {
        Event::Offer(offer) => Some(offer),
        _ => None,
    })
    .await
}

/// The agent the next `assigned` event names.
async fn assigned_agent(events: &mut Events) -> String {
    wait_for(events, |e| match e {
        Event::Session(e) => match e.body {
            EventBody::Assigned { agent, .. } => Some(agent.sub),
            _ => None,
        },
        _ => None,
    })
    .await
}

/// Who the stored events of `sid` (through node `url`) say it was
/// assigned to, in order.
async fn assignments(url: &str, sid: &str) -> Vec<String> {
    stored_events(url, sid)
        .await
        .iter()
        .filter(|e| e["body"]["kind"] == "assigned")
        .map(|e| e["body"]["agent"]["sub"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn customers_reach_agents_on_other_nodes_and_routing_survives_the_dispatcher() {
    let cluster = Cluster::routing("route");
    let mut n1 = cluster.node("127.0.0.1");
    until_dispatching(&n1).await;
    let n2 = cluster.node("127.0.0.2");
    let n3 = cluster.node("127.0.0.3");

    // Agents on nodes 2 and 3; customers on the other one: each gets an
    // offer across nodes, and accepting it assigns the session.
    let (bob, mut bob_events) = agent(&n2.url, "bob").await;
    let (carol, mut carol_events) = agent(&n3.url, "carol").await;
    let (c1, mut c1_events) = connect(&n3.url, customer_token("c1", "general")).await;
    let s1 = c1.open_session(None).await.unwrap().session_id;
    let offer = next_offer(&mut bob_events).await;
    assert_eq!(offer.session_id, s1, "bob was idle the longest");
    bob.accept_offer(&offer.offer_id).await.unwrap();
    let assigned = assigned_agent(&mut c1_events).await;
    assert_eq!(assigned, "bob");
    let (c2, _c2_events) = connect(&n2.url, customer_token("c2", "general")).await;
    let s2 = c2.open_session(None).await.unwrap().session_id;
    let offer = next_offer(&mut carol_events).await;
    assert_eq!(offer.session_id, s2);
    carol.accept_offer(&offer.offer_id).await.unwrap();

    // Both agents are full: a third customer waits, and hears its place
    // from the dispatcher on node 1.
    let (c3, mut c3_events) = connect(&n2.url, customer_token("c3", "general")).await;
    let s3 = c3.open_session(None).await.unwrap().session_id;
    let position = wait_for(&mut c3_events, |e| match e {
        Event::QueueStatus { position, .. } => Some(position),
        _ => None,
    })
    .await;
    assert_eq!(position, 1);
    let (supervisor, _sup_events) = connect(&n3.url, token(Role::Supervisor, "sue")).await;
    let overview = supervisor.overview().await.unwrap();
    let load: Vec<(String, usize)> = overview
        .agents
        .iter()
        .map(|a| (a.agent.sub.clone(), a.sessions))
        .collect();
    assert_eq!(load, [("bob".into(), 1), ("carol".into(), 1)]);
    assert_eq!(overview.queues[0].waiting, 1);

    // The dispatcher dies. Another node takes the lease, rebuilds routing
    // from PostgreSQL (bob and carol are full, c3 waits) and from the
    // nodes' reports: when bob's session ends, c3 is offered to bob.
    n1.kill();
    let (h2, h3) = (health(&n2).await, health(&n3).await);
    assert!(h2["status"] == "ok" && h3["status"] == "ok", "{h2} {h3}");
    let mut took_over = false;
    for _ in 0..100 {
        let (h2, h3) = (health(&n2).await, health(&n3).await);
        if h2["cluster"]["dispatching"] == true || h3["cluster"]["dispatching"] == true {
            took_over = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(took_over, "a surviving node took over routing");
    let overview = supervisor.overview().await.unwrap();
    assert_eq!(overview.queues[0].waiting, 1, "c3 still waits");
    let full: Vec<usize> = overview.agents.iter().map(|a| a.sessions).collect();
    assert_eq!(full, [1, 1], "capacity rebuilt from the store");
    c1.end_session(&s1, None).await.unwrap();
    let offer = next_offer(&mut bob_events).await;
    assert_eq!(offer.session_id, s3, "the waiting customer was not lost");
    bob.accept_offer(&offer.offer_id).await.unwrap();
    for (sid, who) in [(&s1, "bob"), (&s2, "carol"), (&s3, "bob")] {
        assert_eq!(
            assignments(&n2.url, sid).await,
            [who],
            "{sid} assigned once"
        );
    }
    drop((n1, n2, n3));
    cluster.drop_schema().await;
}

/// Test 5 of the cluster issue: agents on two nodes, each accepting its
/// offers just as they expire, so that an accept races the expiry and the
/// other agent's accept of the same session. 100 rounds: every session is
/// assigned exactly once, to the one agent whose accept succeeded, and no
/// agent ever holds more than its capacity.
#[tokio::test]
async fn racing_accepts_on_two_nodes_never_double_assign() {
    let cluster = Cluster::routing("race");
    let n1 = cluster.node("127.0.0.1");
    until_dispatching(&n1).await;
    let n2 = cluster.node("127.0.0.2");
    let n3 = cluster.node("127.0.0.3");
    let accepted = Arc::new(std::sync::Mutex::new(Vec::<(String, String)>::new()));
    let lost = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut agents = Vec::new();
    for (url, sub, seed) in [(&n2.url, "bob", 7u64), (&n3.url, "carol", 13)] {
        let (client, mut events) = agent(url, sub).await;
        let accepted = Arc::clone(&accepted);
        let lost = Arc::clone(&lost);
        agents.push(tokio::spawn(async move {
            let mut jitter = seed;
            loop {
                let Ok(offer) =
                    tokio::time::timeout(Duration::from_secs(20), next_offer(&mut events)).await
                else {
                    return;
                };
                // Around the 150 ms expiry: sometimes just before, sometimes after.
                jitter = jitter
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let delay = 120 + (jitter >> 33) % 60;
                let (client, accepted) = (client.clone(), Arc::clone(&accepted));
                let (sub, lost) = (sub.to_owned(), Arc::clone(&lost));
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                    match client.accept_offer(&offer.offer_id).await {
                        Ok(_) => accepted.lock().unwrap().push((offer.session_id, sub)),
                        Err(_) => {
                            lost.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        }));
    }
    let (supervisor, _sup_events) = connect(&n2.url, token(Role::Supervisor, "sue")).await;
    let mut sessions = Vec::new();
    let (customer, mut events) = connect(&n1.url, customer_token("racer", "general")).await;
    for round in 0..100 {
        let sid = customer.open_session(None).await.unwrap().session_id;
        let who = assigned_agent(&mut events).await;
        // The agent's accept is complete once they joined (ending earlier
        // would make their join, and so their accept, fail).
        let joined = wait_for(&mut events, |e| match e {
            Event::Session(e) => match e.body {
                EventBody::ParticipantJoined { participant } => Some(participant.sub),
                _ => None,
            },
            _ => None,
        })
        .await;
        assert_eq!(joined, who);
        if round % 10 == 0 {
            let overview = supervisor.overview().await.unwrap();
            for a in &overview.agents {
                assert!(a.sessions as u32 <= a.capacity, "{a:?}");
            }
        }
        customer.end_session(&sid, None).await.unwrap();
        sessions.push((sid, who));
    }
    // Late accepts have landed (or failed) by now.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let accepted = accepted.lock().unwrap().clone();
    for (sid, who) in &sessions {
        assert_eq!(
            assignments(&n2.url, sid).await,
            std::slice::from_ref(who),
            "{sid}"
        );
        let winners: Vec<&String> = accepted
            .iter()
            .filter(|(s, _)| s == sid)
            .map(|(_, w)| w)
            .collect();
        assert_eq!(winners, [who], "one accept succeeded for {sid}");
    }
    // The races happened: some accepts came after their offer expired.
    let lost = lost.load(std::sync::atomic::Ordering::Relaxed);
    assert!(lost > 0, "no accept ever lost a race");
    for task in agents {
        task.abort();
    }
    drop((n1, n2, n3));
    cluster.drop_schema().await;
}

/// A Redis server of the test's own, on a free loopback port, that can be
/// stopped and started again on that port.
struct OwnRedis {
    port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    fn start() -> OwnRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut redis = OwnRedis { port, child: None };
        redis.restart();
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--port", &self.port.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server (Debian's redis-server package; .ci/services installs it)");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Test 3 of the cluster issue: Redis restarted during traffic. Nodes keep
/// acknowledging (PostgreSQL is the authority) and say `redis_failing`;
/// what was published while Redis was gone never arrives, and the position
/// check heals it: a connection on another node sees every event once, in
/// order.
#[tokio::test]
async fn a_redis_restart_during_traffic_is_healed_from_postgresql() {
    let mut redis = OwnRedis::start();
    let cluster = Cluster {
        redis: redis.url(),
        ..Cluster::new("redis")
    };
    let n1 = cluster.node("127.0.0.1");
    let n2 = cluster.node("127.0.0.2");
    let (alice, mut alice_events) = connect(&n1.url, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, _bob_events) = connect(&n2.url, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();

    let writer = {
        let (bob, sid) = (bob.clone(), sid.clone());
        tokio::spawn(async move {
            for i in 0..300 {
                bob.send_message(&sid, &format!("b{i}")).await.unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    redis.stop();
    let mut failing = false;
    for _ in 0..40 {
        if health(&n1).await["status"] == "redis_failing" {
            failing = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(failing, "node 1 says Redis is failing");
    tokio::time::sleep(Duration::from_millis(500)).await;
    redis.restart();
    writer.await.unwrap();

    let last = bob.join(&sid).await.unwrap().last_seq;
    assert_eq!(last, 302, "opened, joined, 300 messages, all acknowledged");
    let seen = story_until(&mut alice_events, &sid, last).await;
    let seqs: Vec<u64> = seen.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, (seqs[0]..=last).collect::<Vec<_>>(), "gap-free, once");
    let texts: BTreeSet<&str> = seen.iter().map(|(_, t)| t.as_str()).collect();
    assert!((0..300).all(|i| texts.contains(format!("b{i}").as_str())));
    let mut recovered = false;
    for _ in 0..80 {
        if health(&n1).await["status"] == "ok" {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(recovered, "node 1 recovered by itself");
    drop((n1, n2));
    cluster.drop_schema().await;
}

/// A mode request expires exactly once even when the node that committed
/// it (and armed its timer) dies: the other nodes holding the session
/// armed the expiry too when the request reached them.
#[tokio::test]
async fn a_mode_request_expires_once_after_its_node_died() {
    let cluster = Cluster {
        extra: "[media]\nrequest_timeout_ms = 700\n".into(),
        ..Cluster::new("expiry")
    };
    let mut n1 = cluster.node("127.0.0.1");
    let n2 = cluster.node("127.0.0.2");
    let n3 = cluster.node("127.0.0.3");
    let (alice, _alice_events) = connect(&n1.url, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, mut bob_events) = connect(&n2.url, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();
    let (_sue, _sue_events) = {
        let (sue, events) = connect(&n3.url, token(Role::Supervisor, "sue")).await;
        sue.monitor(&sid).await.unwrap();
        (sue, events)
    };
    let request = alice
        .request_mode(&sid, Mode::Video, false, None)
        .await
        .unwrap();
    wait_for(&mut bob_events, |e| match e {
        Event::Session(e) => matches!(e.body, EventBody::ModeRequested { .. }).then_some(()),
        _ => None,
    })
    .await;
    n1.kill();
    let expired = wait_for(&mut bob_events, |e| match e {
        Event::Session(e) => match e.body {
            EventBody::ModeRequestExpired { request_id } => Some(request_id),
            _ => None,
        },
        _ => None,
    })
    .await;
    assert_eq!(expired, request);
    // Nodes 2 and 3 both had the timer: the expiry is stored once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let events = stored_events(&n2.url, &sid).await;
    let expiries = events
        .iter()
        .filter(|e| e["body"]["kind"] == "mode_request_expired")
        .count();
    assert_eq!(expiries, 1, "{events:?}");
    drop((n1, n2, n3));
    cluster.drop_schema().await;
}

/// Presence across a node's death: the dispatcher stops hearing the node,
/// drops its agents' connections and starts their grace period. Bob
/// reconnects to another node within it and keeps his status (the next
/// customer is offered to him); Carol does not, and turns offline.
#[tokio::test]
async fn agents_of_a_dead_node_keep_their_status_if_they_come_back_within_the_grace() {
    let cluster = Cluster::routing("grace");
    let n1 = cluster.node("127.0.0.1");
    until_dispatching(&n1).await;
    let mut n2 = cluster.node("127.0.0.2");
    let n3 = cluster.node("127.0.0.3");
    let (_bob, _bob_events) = agent(&n2.url, "bob").await;
    let (_carol, _carol_events) = agent(&n2.url, "carol").await;
    n2.kill();
    // Bob is back on node 3 (his status was set through node 2 only).
    let (_bob, mut bob_events) = connect(&n3.url, agent_token("bob")).await;
    let (supervisor, _sup_events) = connect(&n1.url, token(Role::Supervisor, "sue")).await;
    let status = |overview: &seam_protocol::Overview, sub: &str| {
        overview
            .agents
            .iter()
            .find(|a| a.agent.sub == sub)
            .map(|a| a.status)
    };
    let mut carol_offline = false;
    for _ in 0..200 {
        let overview = supervisor.overview().await.unwrap();
        assert_eq!(status(&overview, "bob"), Some(AgentStatus::Available));
        if status(&overview, "carol") == Some(AgentStatus::Offline) {
            carol_offline = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(carol_offline, "carol turned offline after the grace period");
    // Kept for the next dispatcher: carol comes back away, not available.
    let (client, connection) = tokio_postgres::connect(POSTGRES, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let kept: Vec<(String, String)> = client
        .query(
            &format!(
                "SELECT sub, status FROM {}.agent_status ORDER BY sub",
                cluster.name
            ),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let expected = [("bob", "available"), ("carol", "offline")];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(sub, status)| (sub.to_string(), status.to_string()))
        .collect();
    assert_eq!(kept, expected);
    let (customer, _events) = connect(&n1.url, customer_token("dora", "general")).await;
    let sid = customer.open_session(None).await.unwrap().session_id;
    assert_eq!(next_offer(&mut bob_events).await.session_id, sid);
    drop((n1, n2, n3));
    cluster.drop_schema().await;
}

/// An agent's status is kept in PostgreSQL, not only by the node it was
/// set through: Bob sets "available" through the dispatcher's node, with a
/// second tab open on node 2. The dispatcher dies; node 2 takes over,
/// knowing Bob only from that second tab, and still offers him the next
/// customer.
#[tokio::test]
async fn an_agents_status_survives_the_death_of_the_node_it_was_set_through() {
    let cluster = Cluster::routing("status");
    let mut n1 = cluster.node("127.0.0.1");
    until_dispatching(&n1).await;
    let n2 = cluster.node("127.0.0.2");
    let (_bob_on_1, _bob_on_1_events) = agent(&n1.url, "bob").await;
    let (_bob_on_2, mut bob_events) = connect(&n2.url, agent_token("bob")).await;
    n1.kill();
    until_dispatching(&n2).await;
    let (supervisor, _sup_events) = connect(&n2.url, token(Role::Supervisor, "sue")).await;
    let mut bob_status = None;
    for _ in 0..100 {
        let overview = supervisor.overview().await.unwrap();
        bob_status = overview
            .agents
            .iter()
            .find(|a| a.agent.sub == "bob")
            .map(|a| a.status);
        if bob_status.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(bob_status, Some(AgentStatus::Available));
    let (customer, _events) = connect(&n2.url, customer_token("dora", "general")).await;
    let sid = customer.open_session(None).await.unwrap().session_id;
    assert_eq!(next_offer(&mut bob_events).await.session_id, sid);
    drop((n1, n2));
    cluster.drop_schema().await;
}

/// A lease renewal that PostgreSQL holds up for most of a lease comes back
/// late, and finds nobody else took over: routing goes on as it was
/// (rebuilding it would withdraw the offers out), so an offer made before
/// can still be accepted.
#[tokio::test]
async fn a_late_lease_renewal_keeps_routing_as_it_was() {
    let cluster = Cluster {
        extra: ROUTING.replace("offer_timeout_ms = 150", "offer_timeout_ms = 30000"),
        ..Cluster::new("late")
    };
    let n1 = cluster.node("127.0.0.1");
    until_dispatching(&n1).await;
    let n2 = cluster.node("127.0.0.2");
    let (bob, mut bob_events) = agent(&n2.url, "bob").await;
    let (customer, mut customer_events) = connect(&n2.url, customer_token("dora", "general")).await;
    let sid = customer.open_session(None).await.unwrap().session_id;
    let offer = next_offer(&mut bob_events).await;
    assert_eq!(offer.session_id, sid);

    // Lock the lease's row until 250 ms before the lease runs out (lease
    // 900 ms, renewed every 300): the next renewal waits behind the lock
    // and returns after the dispatcher stopped counting on its lease
    // (600 ms after the renewal before), while the lease itself has not
    // run out for the other node to take. Locked again when a renewal ran
    // late (a loaded machine) and too little of the lease is left.
    let (client, connection) = tokio_postgres::connect(POSTGRES, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let lock_lease = format!(
        "SELECT (EXTRACT(EPOCH FROM expires_at - clock_timestamp()) * 1000)::float8
         FROM {}.leases WHERE name = 'dispatcher' FOR UPDATE",
        cluster.name
    );
    let mut left = 0.0;
    for _ in 0..100 {
        client.batch_execute("BEGIN").await.unwrap();
        left = client.query_one(&lock_lease, &[]).await.unwrap().get(0);
        if left > 450.0 {
            break;
        }
        client.batch_execute("ROLLBACK").await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(left > 450.0, "the dispatcher renews its lease");
    tokio::time::sleep(Duration::from_millis(left as u64 - 250)).await;
    client.batch_execute("COMMIT").await.unwrap();

    bob.accept_offer(&offer.offer_id).await.unwrap();
    let assigned = assigned_agent(&mut customer_events).await;
    assert_eq!(assigned, "bob");
    assert_eq!(health(&n1).await["cluster"]["dispatching"], true);
    assert_eq!(assignments(&n2.url, &sid).await, ["bob"]);
    drop((n1, n2));
    cluster.drop_schema().await;
}

/// A dispatcher that shuts down gracefully gives its lease up at once
/// (another node takes over on its next renewal, not a whole lease later):
/// right after it exits, the lease is run out or held by another node.
#[tokio::test]
async fn a_dispatcher_shutting_down_gives_up_its_lease() {
    let cluster = Cluster::routing("handover");
    let mut n1 = cluster.node("127.0.0.1");
    until_dispatching(&n1).await;
    let n2 = cluster.node("127.0.0.2");
    let name = health(&n1).await["node"].as_str().unwrap().to_owned();
    let pid = n1.child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let exited = tokio::task::spawn_blocking(move || {
        let status = n1.child.wait().unwrap();
        (n1, status)
    });
    let (n1, status) = exited.await.unwrap();
    assert!(status.success(), "graceful exit: {status:?}");
    let (client, connection) = tokio_postgres::connect(POSTGRES, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let row = client
        .query_one(
            &format!(
                "SELECT holder, expires_at <= clock_timestamp() FROM {}.leases",
                cluster.name
            ),
            &[],
        )
        .await
        .unwrap();
    let (holder, run_out): (String, bool) = (row.get(0), row.get(1));
    assert!(
        run_out || holder != name,
        "the lease is still {holder}'s and running"
    );
    until_dispatching(&n2).await;
    drop((n1, n2));
    cluster.drop_schema().await;
}
