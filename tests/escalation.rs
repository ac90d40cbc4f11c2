//! Escalation stories: chat → voice → video → chat in one session, with
//! consent, signaling relayed between participants, and TURN credentials.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use common::*;
use hmac::{Hmac, Mac};
use seam_broker::{Config, IceServerConfig, MemoryStore, RunningBroker};
use seam_client::{Client, Event, Events};
use seam_protocol::{ErrorCode, EventBody, IceServer, Mode, Role, Signal, SignalTarget};

/// A customer with an open session and an agent who joined it, both having
/// seen events 1 (opened) and 2 (agent joined).
async fn call_setup(broker: &RunningBroker) -> (String, (Client, Events), (Client, Events)) {
    let (alice, mut alice_events) = client(broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, mut bob_events) = client(broker, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();
    for events in [&mut alice_events, &mut bob_events] {
        while next_session_event(events).await.seq < 2 {}
    }
    (sid, (alice, alice_events), (bob, bob_events))
}

/// What one participant saw, as lines: mode events and ICE hand-outs.
fn story(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Session(e) => {
                let who = &e.from.sub;
                match &e.body {
                    EventBody::ModeRequested { request, reason } => Some(format!(
                        "#{} {who} asks {} ({})",
                        e.seq,
                        request.mode,
                        reason.as_deref().unwrap_or("-")
                    )),
                    EventBody::ModeRequestDeclined { .. } => {
                        Some(format!("#{} {who} declines", e.seq))
                    }
                    EventBody::ModeRequestCancelled { .. } => {
                        Some(format!("#{} {who} cancels", e.seq))
                    }
                    EventBody::ModeRequestExpired { .. } => Some(format!("#{} expired", e.seq)),
                    EventBody::ModeChanged {
                        previous,
                        mode,
                        request_id,
                        reason,
                        ..
                    } => Some(format!(
                        "#{} {who} {previous}->{mode}{}{}",
                        e.seq,
                        if request_id.is_some() {
                            " accepted"
                        } else {
                            ""
                        },
                        reason
                            .as_deref()
                            .map(|r| format!(" ({r})"))
                            .unwrap_or_default()
                    )),
                    _ => None,
                }
            }
            Event::IceServers { .. } => Some("ice servers".into()),
            _ => None,
        })
        .collect()
}

async fn next_ice(events: &mut Events) -> (Vec<IceServer>, Option<u64>) {
    wait_for(events, |e| match e {
        Event::IceServers {
            ice_servers,
            expires_at,
            ..
        } => Some((ice_servers, expires_at)),
        _ => None,
    })
    .await
}

fn turn_config(ttl_secs: u64) -> Config {
    let mut config = test_config();
    config.media.ice_servers = vec![
        IceServerConfig {
            urls: vec!["stun:127.0.0.1:3478".into()],
            ..IceServerConfig::default()
        },
        IceServerConfig {
            urls: vec!["turn:127.0.0.1:3478?transport=udp".into()],
            secret: Some("coturn-shared-secret".into()),
            ttl_secs,
            ..IceServerConfig::default()
        },
        IceServerConfig {
            urls: vec!["turn:static.example:3478".into()],
            username: Some("static-user".into()),
            credential: Some("static-pass".into()),
            ..IceServerConfig::default()
        },
    ];
    config
}

#[tokio::test]
async fn chat_to_voice_to_video_and_back_with_both_sides_seeing_the_same_story() {
    let broker = start_with(turn_config(3600)).await;
    let (sid, (alice, mut alice_events), (bob, mut bob_events)) = call_setup(&broker).await;

    // The customer presses "talk to an agent" by voice; the agent accepts.
    let voice = alice
        .request_mode(&sid, Mode::Voice, false, Some("easier to explain"))
        .await
        .unwrap();
    bob.answer_mode(&sid, &voice, true, None).await.unwrap();
    // The agent asks to start video; the customer accepts.
    let video = bob
        .request_mode(&sid, Mode::Video, false, Some("may I see the card?"))
        .await
        .unwrap();
    alice.answer_mode(&sid, &video, true, None).await.unwrap();
    // Downgrades need no consent: camera off, then hang up.
    bob.set_mode(&sid, Mode::Voice, false, Some("camera off"))
        .await
        .unwrap();
    alice.hang_up(&sid).await.unwrap();

    let expected = [
        "#3 alice asks voice (easier to explain)",
        "#4 bob chat->voice accepted",
        "ice servers",
        "#5 bob asks video (may I see the card?)",
        "#6 alice voice->video accepted",
        "#7 bob video->voice (camera off)",
        "#8 alice voice->chat (hang up)",
    ];
    let quiet = Duration::from_millis(300);
    assert_eq!(
        story(&drain_events(&mut alice_events, quiet).await),
        expected
    );
    assert_eq!(story(&drain_events(&mut bob_events, quiet).await), expected);
    let snapshot = alice.join(&sid).await.unwrap();
    assert_eq!((snapshot.mode, snapshot.mode_request), (Mode::Chat, None));
}

#[tokio::test]
async fn decline_cancel_and_timeout_are_each_an_event_both_sides_see() {
    let mut config = test_config();
    config.media.request_timeout_ms = 300;
    let broker = start_with(config).await;
    let (sid, (alice, mut alice_events), (bob, mut bob_events)) = call_setup(&broker).await;

    let r1 = bob
        .request_mode(&sid, Mode::Video, false, None)
        .await
        .unwrap();
    alice
        .answer_mode(&sid, &r1, false, Some("not dressed"))
        .await
        .unwrap();
    let r2 = alice
        .request_mode(&sid, Mode::Voice, false, None)
        .await
        .unwrap();
    alice.cancel_mode_request(&sid, &r2).await.unwrap();
    let _r3 = alice
        .request_mode(&sid, Mode::Voice, false, None)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;

    let expected = [
        "#3 bob asks video (-)",
        "#4 alice declines",
        "#5 alice asks voice (-)",
        "#6 alice cancels",
        "#7 alice asks voice (-)",
        "#8 expired",
    ];
    let quiet = Duration::from_millis(200);
    assert_eq!(
        story(&drain_events(&mut alice_events, quiet).await),
        expected
    );
    assert_eq!(story(&drain_events(&mut bob_events, quiet).await), expected);
    // Answering what is no longer pending is refused.
    assert_eq!(
        rejected(bob.answer_mode(&sid, &r1, true, None).await),
        ErrorCode::RequestNotFound
    );
    assert_eq!(
        rejected(alice.cancel_mode_request(&sid, "mr-99").await),
        ErrorCode::RequestNotFound
    );
    assert_eq!(alice.join(&sid).await.unwrap().mode, Mode::Chat);
}

#[tokio::test]
async fn requests_that_make_no_sense_get_clear_errors() {
    let mut config = test_config();
    config.media.modes = vec![Mode::Chat, Mode::Voice];
    config.media.screen_share = false;
    let broker = start_with(config).await;
    let (sid, (alice, _), (bob, _)) = call_setup(&broker).await;
    let (eve, _) = client(&broker, token(Role::Agent, "eve")).await;

    assert_eq!(
        rejected(alice.request_mode(&sid, Mode::Video, false, None).await),
        ErrorCode::ModeDisabled
    );
    assert_eq!(
        rejected(alice.request_mode(&sid, Mode::Voice, true, None).await),
        ErrorCode::ModeDisabled
    );
    assert_eq!(
        rejected(alice.request_mode(&sid, Mode::Chat, false, None).await),
        ErrorCode::InvalidModeChange
    );
    assert_eq!(
        rejected(bob.set_mode(&sid, Mode::Voice, false, None).await),
        ErrorCode::ConsentRequired
    );
    assert_eq!(
        rejected(bob.set_mode(&sid, Mode::Chat, false, None).await),
        ErrorCode::InvalidModeChange
    );

    let pending = alice
        .request_mode(&sid, Mode::Voice, false, None)
        .await
        .unwrap();
    // A second concurrent request, from either side.
    assert_eq!(
        rejected(bob.request_mode(&sid, Mode::Voice, false, None).await),
        ErrorCode::RequestPending
    );
    assert_eq!(
        rejected(alice.request_mode(&sid, Mode::Voice, false, None).await),
        ErrorCode::RequestPending
    );
    // Accepting your own request, or cancelling someone else's.
    assert_eq!(
        rejected(alice.answer_mode(&sid, &pending, true, None).await),
        ErrorCode::NotYourRequest
    );
    assert_eq!(
        rejected(bob.cancel_mode_request(&sid, &pending).await),
        ErrorCode::NotYourRequest
    );
    // Someone outside the session.
    assert_eq!(
        rejected(eve.answer_mode(&sid, &pending, true, None).await),
        ErrorCode::NotAParticipant
    );
    // Escalating an ended session.
    bob.end_session(&sid, None).await.unwrap();
    assert_eq!(
        rejected(alice.request_mode(&sid, Mode::Voice, false, None).await),
        ErrorCode::SessionEnded
    );
    assert_eq!(
        rejected(bob.answer_mode(&sid, &pending, true, None).await),
        ErrorCode::SessionEnded
    );
}

#[tokio::test]
async fn simultaneous_requests_from_both_sides_leave_exactly_one_pending() {
    let broker = start().await;
    let (sid, (alice, _), (bob, _)) = call_setup(&broker).await;
    let (a, b) = tokio::join!(
        alice.request_mode(&sid, Mode::Video, false, None),
        bob.request_mode(&sid, Mode::Video, false, None)
    );
    assert!(a.is_ok() != b.is_ok(), "exactly one wins: {a:?} {b:?}");
    let loser = if a.is_ok() { b } else { a };
    assert_eq!(rejected(loser), ErrorCode::RequestPending);
    assert!(alice.join(&sid).await.unwrap().mode_request.is_some());
}

#[tokio::test]
async fn signaling_is_relayed_to_the_addressed_connection_and_never_stored() {
    let broker = start_with(turn_config(3600)).await;
    let (sid, (alice, mut alice_events), (bob, mut bob_events)) = call_setup(&broker).await;
    let to_bob = SignalTarget {
        sub: "bob".into(),
        connection_id: None,
    };
    let offer = Signal::Offer {
        sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n".into(),
    };

    // Not in a call yet.
    assert_eq!(
        rejected(alice.signal(&sid, to_bob.clone(), offer.clone()).await),
        ErrorCode::NotInCall
    );
    let r = alice
        .request_mode(&sid, Mode::Video, false, None)
        .await
        .unwrap();
    bob.answer_mode(&sid, &r, true, None).await.unwrap();

    alice
        .signal(&sid, to_bob.clone(), offer.clone())
        .await
        .unwrap();
    let (from, from_connection, signal) = wait_for(&mut bob_events, |e| match e {
        Event::Signal {
            from,
            from_connection,
            signal,
            ..
        } => Some((from, from_connection, signal)),
        _ => None,
    })
    .await;
    assert_eq!((from.sub.as_str(), signal), ("alice", offer));
    // Bob answers the very connection that offered.
    let reply_to = SignalTarget {
        sub: "alice".into(),
        connection_id: Some(from_connection),
    };
    bob.signal(
        &sid,
        reply_to.clone(),
        Signal::Answer {
            sdp: "v=0 answer".into(),
        },
    )
    .await
    .unwrap();
    let candidate = Signal::IceCandidate {
        candidate: "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host".into(),
        sdp_mid: Some("0".into()),
        sdp_m_line_index: Some(0),
    };
    bob.signal(&sid, reply_to, candidate.clone()).await.unwrap();
    let got: Vec<Signal> = drain_events(&mut alice_events, Duration::from_millis(200))
        .await
        .into_iter()
        .filter_map(|e| match e {
            Event::Signal { signal, .. } => Some(signal),
            _ => None,
        })
        .collect();
    assert_eq!(
        got,
        [
            Signal::Answer {
                sdp: "v=0 answer".into()
            },
            candidate
        ]
    );

    // Bad targets and senders.
    let nobody = SignalTarget {
        sub: "carol".into(),
        connection_id: None,
    };
    assert_eq!(
        rejected(bob.signal(&sid, nobody, Signal::Hangup).await),
        ErrorCode::TargetNotFound
    );
    let wrong_conn = SignalTarget {
        sub: "alice".into(),
        connection_id: Some("nope-1".into()),
    };
    assert_eq!(
        rejected(bob.signal(&sid, wrong_conn, Signal::Hangup).await),
        ErrorCode::TargetNotFound
    );
    let to_self = SignalTarget {
        sub: "bob".into(),
        connection_id: None,
    };
    if !cluster_mode() {
        // In a cluster Bob may have a connection on another node: the
        // signal is relayed, and dropped where nobody matches
        // (docs/cluster.md).
        assert_eq!(
            rejected(bob.signal(&sid, to_self, Signal::Hangup).await),
            ErrorCode::TargetNotFound
        );
    }
    let (mallory, _) = client(&broker, token(Role::Agent, "mallory")).await;
    assert_eq!(
        rejected(mallory.signal(&sid, to_bob.clone(), Signal::Hangup).await),
        ErrorCode::NotAParticipant
    );
    let (carla, _) = client(&broker, customer_token("carla", "x")).await;
    assert_eq!(
        rejected(carla.signal(&sid, to_bob.clone(), Signal::Hangup).await),
        ErrorCode::NotYourSession
    );
    let huge = Signal::Offer {
        sdp: "a".repeat(40_000),
    };
    assert_eq!(
        rejected(alice.signal(&sid, to_bob, huge).await),
        ErrorCode::MessageTooLarge
    );

    // Nothing of the signaling is in the log, and a resume replays none of it.
    let (bob2, mut replay) = client(&broker, token(Role::Agent, "bob")).await;
    let snapshot = bob2.join(&sid).await.unwrap();
    assert_eq!(snapshot.last_seq, 4, "opened, joined, requested, changed");
    let replayed = drain_events(&mut replay, Duration::from_millis(200)).await;
    assert!(replayed.iter().all(|e| !matches!(e, Event::Signal { .. })));
    assert_eq!(
        replayed
            .iter()
            .filter(|e| matches!(e, Event::Session(_)))
            .count(),
        4
    );
    // The mode tells the resumed client to negotiate again, with fresh ICE servers.
    assert_eq!(snapshot.mode, Mode::Video);
    assert!(replayed
        .iter()
        .any(|e| matches!(e, Event::IceServers { .. })));
}

#[tokio::test]
async fn a_second_agent_joining_mid_call_sees_the_mode_and_who_is_in_it() {
    let broker = start_with(turn_config(3600)).await;
    let (sid, (alice, _), (bob, _)) = call_setup(&broker).await;
    let r = alice
        .request_mode(&sid, Mode::Video, true, Some("show my screen"))
        .await
        .unwrap();
    bob.answer_mode(&sid, &r, true, None).await.unwrap();
    let (sue, mut sue_events) = client(&broker, token(Role::Supervisor, "sue")).await;
    let snapshot = sue.join(&sid).await.unwrap();
    assert_eq!((snapshot.mode, snapshot.screen_share), (Mode::Video, true));
    let subs: Vec<_> = snapshot
        .participants
        .iter()
        .map(|p| p.sub.as_str())
        .collect();
    assert_eq!(subs, ["alice", "bob", "sue"]);
    let (servers, _) = next_ice(&mut sue_events).await;
    assert_eq!(
        servers[1].username.as_deref().unwrap().split(':').nth(1),
        Some("sue")
    );
    // Stopping the screen share is a downgrade anyone may make.
    sue.set_mode(&sid, Mode::Video, false, Some("enough"))
        .await
        .unwrap();
    assert!(!alice.join(&sid).await.unwrap().screen_share);
}

#[tokio::test]
async fn turn_credentials_follow_the_rest_api_and_are_refreshed_on_long_calls() {
    let broker = start_with(turn_config(4)).await;
    let (sid, (alice, mut alice_events), (bob, _)) = call_setup(&broker).await;
    let r = bob
        .request_mode(&sid, Mode::Voice, false, None)
        .await
        .unwrap();
    alice.answer_mode(&sid, &r, true, None).await.unwrap();
    let (servers, expires_at) = next_ice(&mut alice_events).await;
    assert_eq!(
        servers[0],
        IceServer {
            urls: vec!["stun:127.0.0.1:3478".into()],
            username: None,
            credential: None
        }
    );
    assert_eq!(servers[2].username.as_deref(), Some("static-user"));
    assert_eq!(servers[2].credential.as_deref(), Some("static-pass"));
    let turn = &servers[1];
    let username = turn.username.clone().unwrap();
    let expiry: u64 = username.split(':').next().unwrap().parse().unwrap();
    assert_eq!(username, format!("{expiry}:alice"));
    assert_eq!(Some(expiry), expires_at);
    let now = seam_broker::auth::now_secs();
    assert!(expiry > now && expiry <= now + 4);
    // Recompute the password independently of the broker.
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(b"coturn-shared-secret").unwrap();
    mac.update(username.as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(turn.credential.as_deref(), Some(expected.as_str()));

    // Three quarters into the credentials' life, fresh ones arrive.
    let (_, refreshed) = next_ice(&mut alice_events).await;
    assert!(refreshed.unwrap() > expiry, "{refreshed:?} after {expiry}");
    // After hanging up, no more refreshes.
    alice.hang_up(&sid).await.unwrap();
    let later = drain_events(&mut alice_events, Duration::from_millis(3500)).await;
    assert!(later.iter().all(|e| !matches!(e, Event::IceServers { .. })));
}

#[tokio::test]
async fn a_pending_request_still_expires_after_a_broker_restart() {
    let store = Arc::new(MemoryStore::new());
    let mut config = test_config();
    config.media.request_timeout_ms = 800;
    let broker = start_on(config.clone(), store.clone()).await;
    let addr = broker.local_addr();
    let (sid, (alice, mut alice_events), _bob) = call_setup(&broker).await;
    alice
        .request_mode(&sid, Mode::Voice, false, None)
        .await
        .unwrap();
    broker.shutdown().await;
    config.listen = addr;
    let _broker = start_on(config, store).await;
    let expired = wait_for(&mut alice_events, |e| match e {
        Event::Session(e) => {
            matches!(e.body, EventBody::ModeRequestExpired { .. }).then_some(e.seq)
        }
        _ => None,
    })
    .await;
    assert_eq!(expired, 4);
}
