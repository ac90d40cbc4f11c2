//! Session stories: a customer and an agent talking, seen from every side.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use seam_client::{ClientError, Event};
use seam_protocol::{ErrorCode, EventBody, ResumeOutcome, Role, ServerFrame, SessionState};

#[tokio::test]
async fn an_agent_joins_and_sees_context_history_and_every_later_event() {
    let broker = start().await;
    let (alice, mut alice_events) = client(&broker, customer_token("alice", "billing")).await;
    let session = alice.open_session(None).await.unwrap();
    assert_eq!(session.context.issue_type.as_deref(), Some("billing"));
    assert_eq!(session.context.metadata["plan"], "gold");
    let opened = next_session_event(&mut alice_events).await;
    assert_eq!(opened.seq, 1);
    assert!(matches!(opened.body, EventBody::SessionOpened { .. }));
    let sid = session.session_id.clone();
    alice
        .send_message(&sid, "my card was charged twice")
        .await
        .unwrap();
    alice.send_message(&sid, "order 1234").await.unwrap();

    let (bob, mut bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    let joined = bob.join(&sid).await.unwrap();
    assert_eq!(joined.context.page.as_deref(), Some("/checkout"));
    assert_eq!(joined.customer.sub, "alice");
    assert_eq!(joined.participants.len(), 2);
    let history = drain_session_events(&mut bob_events, Duration::from_millis(200)).await;
    let kinds: Vec<_> = history.iter().map(|e| (e.seq, e.body.clone())).collect();
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    assert!(
        matches!(kinds[1].1, EventBody::Message { ref text, .. } if text == "my card was charged twice")
    );
    assert!(
        matches!(kinds[3].1, EventBody::ParticipantJoined { ref participant } if participant.sub == "bob")
    );
    assert_eq!(
        history.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );

    // Alice sees Bob arrive; then they talk both ways.
    let seen = next_session_event(&mut alice_events).await;
    assert_eq!(seen.seq, 2);
    let _ = next_session_event(&mut alice_events).await;
    let arrival = next_session_event(&mut alice_events).await;
    assert!(
        matches!(arrival.body, EventBody::ParticipantJoined { ref participant } if participant.sub == "bob" && participant.role == Role::Agent)
    );
    let ack = bob.send_message(&sid, "refund on its way").await.unwrap();
    assert_eq!(ack.seq, Some(5));
    let reply = next_session_event(&mut alice_events).await;
    assert_eq!(reply.seq, 5);
    assert_eq!(reply.from.sub, "bob");
    assert_eq!(reply.client_id.as_deref(), Some(ack.id.as_str()));
    assert!(
        matches!(reply.body, EventBody::Message { ref text, .. } if text == "refund on its way")
    );
}

#[tokio::test]
async fn two_tabs_of_one_customer_share_one_session_and_see_every_event() {
    let broker = start().await;
    let (tab1, mut tab1_events) = client(&broker, customer_token("alice", "billing")).await;
    let (tab2, mut tab2_events) = client(&broker, customer_token("alice", "billing")).await;
    let (s1, s2) = tokio::join!(tab1.open_session(None), tab2.open_session(None));
    let (s1, s2) = (s1.unwrap(), s2.unwrap());
    assert_eq!(
        s1.session_id, s2.session_id,
        "opening at once must not make two sessions"
    );
    let sid = s1.session_id;
    tab1.send_message(&sid, "from tab one").await.unwrap();
    tab2.send_message(&sid, "from tab two").await.unwrap();
    for events in [&mut tab1_events, &mut tab2_events] {
        assert_eq!(next_message(events).await, "from tab one");
        assert_eq!(next_message(events).await, "from tab two");
    }
    // A third tab opening later gets the same session with its history.
    let (tab3, mut tab3_events) = client(&broker, customer_token("alice", "billing")).await;
    assert_eq!(tab3.open_session(None).await.unwrap().session_id, sid);
    assert_eq!(next_message(&mut tab3_events).await, "from tab one");
}

/// `existing_only`: a page that loads shows the conversation under way,
/// and queues nobody who has not written yet.
#[tokio::test]
async fn open_session_existing_only_attaches_but_never_creates() {
    let broker = start().await;
    let vera = customer_token("vera", "billing");
    let mut page = Raw::authed(&broker, &vera).await;
    page.send_json(serde_json::json!({"type": "open_session", "id": "o1", "existing_only": true}))
        .await;
    let refused = loop {
        if let ServerFrame::Error(e) = page.recv().await {
            break e;
        }
    };
    assert_eq!(refused.code, ErrorCode::SessionNotFound, "{refused:?}");
    assert_eq!(refused.id.as_deref(), Some("o1"));

    // Once she writes from another tab, the page attaches to that session.
    let (tab, _tab_events) = client(&broker, vera.clone()).await;
    assert!(tab.existing_session().await.unwrap().is_none());
    let sid = tab.open_session(None).await.unwrap().session_id;
    tab.send_message(&sid, "hello from the other tab")
        .await
        .unwrap();
    page.send_json(serde_json::json!({"type": "open_session", "id": "o2", "existing_only": true}))
        .await;
    let ack = loop {
        if let ServerFrame::Ack(ack) = page.recv().await {
            break ack;
        }
    };
    assert_eq!(ack.id, "o2");
    assert_eq!(ack.session_id.as_deref(), Some(sid.as_str()));
    let history = loop {
        match page.recv().await {
            ServerFrame::Event(e) if matches!(e.body, EventBody::Message { .. }) => break e,
            _ => {}
        }
    };
    assert!(
        matches!(history.body, EventBody::Message { ref text, .. } if text == "hello from the other tab")
    );
    // No second session was created: the listing has one.
    let service = token(Role::Service, "backend");
    let (status, body) = http(
        broker.local_addr(),
        "GET",
        "/v1/sessions?customer=vera",
        Some(&service),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sessions"].as_array().map(Vec::len), Some(1), "{body}");
}

/// An agent who closed the console finds the open sessions they take part
/// in, from a new connection, and rejoins one; sessions they left, or never
/// joined, are not listed; customers may not ask.
#[tokio::test]
async fn agents_list_the_open_sessions_they_take_part_in_and_rejoin() {
    let broker = start().await;
    let (alice, _a) = client(&broker, customer_token("alice", "billing")).await;
    let with_alice = alice.open_session(None).await.unwrap().session_id;
    let (carl, _c) = client(&broker, customer_token("carl", "billing")).await;
    let with_carl = carl.open_session(None).await.unwrap().session_id;
    let (dan, _d) = client(&broker, customer_token("dan", "billing")).await;
    let _without_bob = dan.open_session(None).await.unwrap().session_id;
    let (bob, _b) = client(&broker, token(Role::Agent, "bob")).await;
    bob.join(&with_alice).await.unwrap();
    bob.join(&with_carl).await.unwrap();
    bob.leave(&with_carl).await.unwrap();
    bob.close();

    let (bob, mut bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    let mine = bob.my_sessions().await.unwrap();
    let ids: Vec<&str> = mine.iter().map(|s| s.session_id.as_str()).collect();
    assert_eq!(ids, [with_alice.as_str()]);
    assert_eq!(mine[0].customer.sub, "alice");
    bob.join(&mine[0].session_id).await.unwrap();
    alice
        .send_message(&with_alice, "are you still there?")
        .await
        .unwrap();
    assert_eq!(next_message(&mut bob_events).await, "are you still there?");
    assert_eq!(rejected(alice.my_sessions().await), ErrorCode::Forbidden);
}

#[tokio::test]
async fn typing_is_relayed_to_others_and_never_stored() {
    let broker = start().await;
    let (alice, mut alice_events) = client(&broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, mut bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();
    alice.typing(&sid, true).await.unwrap();
    let (from, active) = wait_for(&mut bob_events, |e| match e {
        Event::Typing { from, active, .. } => Some((from, active)),
        _ => None,
    })
    .await;
    assert_eq!((from.sub.as_str(), active), ("alice", true));
    bob.send_message(&sid, "hello").await.unwrap();
    // Alice's own typing did not come back to her, and nothing about typing is in the log.
    let (late, _) = client(&broker, token(Role::Supervisor, "sue")).await;
    let snapshot = late.join(&sid).await.unwrap();
    assert_eq!(
        snapshot.last_seq, 5,
        "opened, bob joined, message, sue's access audited, sue joined"
    );
    let mut alice_saw_typing = false;
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(200), alice_events.next()).await
    {
        alice_saw_typing |= matches!(event, Event::Typing { .. });
    }
    assert!(
        !alice_saw_typing,
        "a sender's own typing must not echo back"
    );
}

#[tokio::test]
async fn an_agent_leaves_without_ending_and_everyone_sees_it() {
    let broker = start().await;
    let (alice, mut alice_events) = client(&broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, mut bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();
    bob.leave(&sid).await.unwrap();
    let left = wait_for(&mut alice_events, |e| match e {
        Event::Session(e) => matches!(e.body, EventBody::ParticipantLeft { .. }).then_some(e),
        _ => None,
    })
    .await;
    assert!(
        matches!(left.body, EventBody::ParticipantLeft { ref participant, .. } if participant.sub == "bob")
    );
    // Bob no longer receives the session, and may not post until he joins again.
    alice.send_message(&sid, "are you there?").await.unwrap();
    let after = drain_session_events(&mut bob_events, Duration::from_millis(200)).await;
    assert!(
        after
            .iter()
            .all(|e| !matches!(e.body, EventBody::Message { .. })),
        "{after:?}"
    );
    assert_eq!(
        rejected(bob.send_message(&sid, "x").await),
        ErrorCode::NotAParticipant
    );
    assert_eq!(rejected(alice.leave(&sid).await), ErrorCode::Forbidden);
}

#[tokio::test]
async fn an_ended_session_rejects_messages_and_the_next_open_starts_a_new_one() {
    let broker = start().await;
    let (alice, mut alice_events) = client(&broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, _) = client(&broker, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();
    bob.end_session(&sid, Some("resolved")).await.unwrap();
    let ended = wait_for(&mut alice_events, |e| match e {
        Event::Session(e) => matches!(e.body, EventBody::SessionEnded { .. }).then_some(e),
        _ => None,
    })
    .await;
    assert!(
        matches!(ended.body, EventBody::SessionEnded { reason: Some(ref r) } if r == "resolved")
    );
    let err = alice
        .send_message(&sid, "one more thing")
        .await
        .unwrap_err();
    let ClientError::Rejected(frame) = err else {
        panic!()
    };
    assert_eq!(frame.code, ErrorCode::SessionEnded);
    assert_eq!(frame.session_id.as_deref(), Some(sid.as_str()));
    assert_eq!(
        rejected(alice.end_session(&sid, None).await),
        ErrorCode::SessionEnded
    );
    assert_eq!(
        rejected(alice.typing(&sid, true).await),
        ErrorCode::SessionEnded
    );

    // The history stays readable; a new open starts a fresh session.
    let again = bob.join(&sid).await.unwrap();
    assert_eq!(again.state, SessionState::Ended);
    let fresh = alice.open_session(None).await.unwrap();
    assert_ne!(fresh.session_id, sid);
    assert_eq!(fresh.state, SessionState::Open);
}

#[tokio::test]
async fn customers_cannot_touch_other_sessions_and_roles_are_enforced() {
    let broker = start().await;
    let (alice, _) = client(&broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (mallory, _) = client(&broker, customer_token("mallory", "billing")).await;
    assert_eq!(
        rejected(mallory.join(&sid).await),
        ErrorCode::NotYourSession
    );
    assert_eq!(
        rejected(mallory.send_message(&sid, "hi").await),
        ErrorCode::NotYourSession
    );
    assert_eq!(
        rejected(mallory.end_session(&sid, None).await),
        ErrorCode::NotYourSession
    );
    assert_eq!(
        rejected(mallory.typing(&sid, true).await),
        ErrorCode::NotYourSession
    );
    assert_eq!(
        rejected(mallory.join("s_nope").await),
        ErrorCode::SessionNotFound
    );
    assert_eq!(
        rejected(mallory.send_message("s_nope", "x").await),
        ErrorCode::SessionNotFound
    );

    let (bob, _) = client(&broker, token(Role::Agent, "bob")).await;
    assert_eq!(rejected(bob.open_session(None).await), ErrorCode::Forbidden);
    assert_eq!(
        rejected(bob.send_message(&sid, "not joined").await),
        ErrorCode::NotAParticipant
    );
    let (backend, _) = client(&broker, token(Role::Service, "backend")).await;
    assert_eq!(rejected(backend.join(&sid).await), ErrorCode::Forbidden);

    // None of that disturbed Alice's session.
    let (bob2, mut bob_events) = client(&broker, token(Role::Agent, "bob2")).await;
    bob2.join(&sid).await.unwrap();
    let history = drain_session_events(&mut bob_events, Duration::from_millis(200)).await;
    assert_eq!(history.len(), 2, "opened and bob2 joined only: {history:?}");
}

#[tokio::test]
async fn the_signed_context_wins_and_the_client_only_adds_what_it_labels_as_its_own() {
    let broker = start().await;
    // The token says: billing, /checkout, plan=gold.
    let mut raw = Raw::authed(&broker, &customer_token("alice", "billing")).await;
    raw.send_json(serde_json::json!({
        "type": "open_session", "id": "o1",
        "context": {"issue_type": "shipping", "metadata": {"order": "A-17", "plan": "vip"}}
    }))
    .await;
    let ServerFrame::Ack(ack) = raw.recv().await else {
        panic!()
    };
    let session = ack.session.unwrap();
    assert_eq!(session.context.issue_type.as_deref(), Some("billing"));
    assert_eq!(session.context.page.as_deref(), Some("/checkout"));
    assert_eq!(session.context.metadata["plan"], "gold", "signed wins");
    assert!(!session.context.metadata.contains_key("order"));
    assert_eq!(session.context.customer_provided["order"], "A-17");
    assert!(
        !session.context.customer_provided.contains_key("plan"),
        "a signed key is not echoed as the customer's"
    );
    assert_eq!(ack.resume, Some(ResumeOutcome::Complete { replayed: 1 }));
    let ServerFrame::Event(opened) = raw.recv().await else {
        panic!()
    };
    assert_eq!(opened.seq, 1);
}

#[tokio::test]
async fn the_client_fills_what_the_token_leaves_open_and_only_allowed_keys() {
    let mut config = test_config();
    config.auth.client_context_keys = Some(vec!["order".into()]);
    let broker = start_with(config).await;
    let mut raw = Raw::authed(&broker, &token(Role::Customer, "carol")).await;
    raw.send_json(serde_json::json!({
        "type": "open_session", "id": "o1",
        "context": {"issue_type": "shipping", "metadata": {"tier": "vip"}}
    }))
    .await;
    let ServerFrame::Error(e) = raw.recv().await else {
        panic!("expected an error")
    };
    assert_eq!(
        (e.code, e.id.as_deref()),
        (ErrorCode::InvalidMessage, Some("o1"))
    );
    assert!(e.message.contains("`tier`"), "{}", e.message);
    raw.send_json(serde_json::json!({
        "type": "open_session", "id": "o2",
        "context": {"issue_type": "shipping", "page": "/orders", "metadata": {"order": "A-17"}}
    }))
    .await;
    let ServerFrame::Ack(ack) = raw.recv().await else {
        panic!()
    };
    let context = ack.session.unwrap().context;
    assert_eq!(context.issue_type.as_deref(), Some("shipping"));
    assert_eq!(context.page.as_deref(), Some("/orders"));
    assert_eq!(context.customer_provided["order"], "A-17");
}

#[tokio::test]
async fn agents_get_the_configured_saved_replies_and_customers_are_refused() {
    let mut config = test_config();
    config.canned_responses = vec![seam_broker::CannedResponseConfig {
        shortcut: "refund".into(),
        title: Some("Refund on its way".into()),
        text: "Hi {name}, the refund for order {order} is on its way.".into(),
    }];
    let broker = start_with(config).await;
    let (bob, _) = client(&broker, token(Role::Agent, "bob")).await;
    let replies = bob.canned_responses().await.unwrap();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].shortcut, "refund");
    assert_eq!(replies[0].title.as_deref(), Some("Refund on its way"));
    assert!(
        replies[0].text.contains("{order}"),
        "placeholders are the client's to fill"
    );
    let (sue, _) = client(&broker, token(Role::Supervisor, "sue")).await;
    assert_eq!(sue.canned_responses().await.unwrap(), replies);
    let (alice, _) = client(&broker, customer_token("alice", "billing")).await;
    assert_eq!(
        rejected(alice.canned_responses().await),
        seam_protocol::ErrorCode::Forbidden
    );
}

#[tokio::test]
async fn an_agent_offers_quick_replies_and_a_card_and_the_customer_answers_with_a_choice() {
    use seam_protocol::{Card, QuickReply};
    let broker = start().await;
    let (alice, mut alice_events) = client(&broker, customer_token("alice", "billing")).await;
    let session = alice.open_session(None).await.unwrap().session_id;
    let (bob, mut bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    bob.join(&session).await.unwrap();
    let buttons = vec![
        QuickReply {
            id: "refund".into(),
            label: "A refund".into(),
        },
        QuickReply {
            id: "new".into(),
            label: "A new card".into(),
        },
    ];
    let card = Card {
        title: "Card ending 4242".into(),
        text: Some("Charged twice on Monday".into()),
        image_url: Some("https://bank.example/card.png".into()),
        link_url: Some("https://bank.example/statements".into()),
        link_label: Some("See the statement".into()),
    };
    let offered = bob
        .send_rich(
            &session,
            "What would you like?",
            buttons.clone(),
            Some(card.clone()),
        )
        .await
        .unwrap()
        .seq
        .unwrap();
    let shown = wait_for(&mut alice_events, |e| match e {
        Event::Session(e) if e.seq == offered => Some(e.body),
        _ => None,
    })
    .await;
    let EventBody::Message {
        quick_replies,
        card: shown_card,
        ..
    } = shown
    else {
        panic!("expected a message, got {shown:?}")
    };
    assert_eq!(quick_replies, buttons);
    assert_eq!(shown_card.as_deref(), Some(&card));

    alice.choose(&session, offered, &buttons[0]).await.unwrap();
    let answer = wait_for(&mut bob_events, |e| match e {
        Event::Session(e)
            if matches!(
                &e.body,
                EventBody::Message {
                    choice: Some(_),
                    ..
                }
            ) =>
        {
            Some(e.body)
        }
        _ => None,
    })
    .await;
    let EventBody::Message { text, choice, .. } = answer else {
        unreachable!()
    };
    assert_eq!(text, "A refund");
    let choice = choice.unwrap();
    assert_eq!((choice.seq, choice.id.as_str()), (offered, "refund"));

    // The wrong side, and malformed extras: refused, nothing stored.
    assert_eq!(
        rejected(alice.send_rich(&session, "x", buttons.clone(), None).await),
        ErrorCode::Forbidden
    );
    assert_eq!(
        rejected(bob.choose(&session, offered, &buttons[0]).await),
        ErrorCode::Forbidden
    );
    assert_eq!(
        rejected(alice.choose(&session, 999, &buttons[0]).await),
        ErrorCode::Forbidden
    );
    let bad_card = Card {
        link_url: Some("javascript:alert(1)".into()),
        ..card
    };
    assert_eq!(
        rejected(
            bob.send_rich(&session, "x", Vec::new(), Some(bad_card))
                .await
        ),
        ErrorCode::InvalidMessage
    );
    let twice = vec![buttons[0].clone(), buttons[0].clone()];
    assert_eq!(
        rejected(bob.send_rich(&session, "x", twice, None).await),
        ErrorCode::InvalidMessage
    );
}

/// The receipt frames `events` brings within a short quiet period.
async fn receipts_seen(events: &mut seam_client::Events) -> Vec<(String, u64, u64)> {
    drain_events(events, Duration::from_millis(200))
        .await
        .into_iter()
        .filter_map(|e| match e {
            Event::Receipt { receipt, .. } => Some((
                receipt.participant.sub,
                receipt.delivered_seq,
                receipt.read_seq,
            )),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn read_receipts_move_forward_reach_every_tab_and_come_back_in_the_snapshot() {
    let broker = start().await;
    let (alice, mut alice_events) = client(&broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (alice_tab, mut tab_events) = client(&broker, customer_token("alice", "billing")).await;
    alice_tab.open_session(None).await.unwrap();
    let (bob, mut bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();
    let seq = bob
        .send_message(&sid, "hello Alice")
        .await
        .unwrap()
        .seq
        .unwrap();
    drain_events(&mut alice_events, Duration::from_millis(100)).await;
    drain_events(&mut tab_events, Duration::from_millis(100)).await;
    drain_events(&mut bob_events, Duration::from_millis(100)).await;

    // Delivered, then read: Bob sees both, and so does Alice's other tab.
    alice.receipt(&sid, Some(seq), None).await.unwrap();
    assert_eq!(
        receipts_seen(&mut bob_events).await,
        [("alice".into(), seq, 0)]
    );
    assert_eq!(
        receipts_seen(&mut tab_events).await,
        [("alice".into(), seq, 0)]
    );
    alice.receipt(&sid, None, Some(seq)).await.unwrap();
    assert_eq!(
        receipts_seen(&mut bob_events).await,
        [("alice".into(), seq, seq)]
    );
    assert_eq!(
        receipts_seen(&mut tab_events).await,
        [("alice".into(), seq, seq)]
    );
    assert!(
        receipts_seen(&mut alice_events).await.is_empty(),
        "the reporting connection is not told what it said"
    );

    // Never backwards: a stale tab's lower horizon changes nothing.
    alice_tab.receipt(&sid, Some(1), Some(1)).await.unwrap();
    assert_eq!(
        receipts_seen(&mut bob_events).await,
        [("alice".into(), seq, seq)]
    );

    // Bad receipts: clear errors, nothing moves.
    assert_eq!(
        rejected(alice.receipt(&sid, None, Some(seq + 50)).await),
        ErrorCode::InvalidMessage
    );
    assert_eq!(
        rejected(alice.receipt(&sid, None, None).await),
        ErrorCode::InvalidMessage
    );
    assert_eq!(
        rejected(alice.receipt("s_nope", None, Some(1)).await),
        ErrorCode::SessionNotFound
    );
    let (mallory, _m) = client(&broker, customer_token("mallory", "billing")).await;
    assert_eq!(
        rejected(mallory.receipt(&sid, None, Some(1)).await),
        ErrorCode::NotYourSession
    );

    // A monitoring supervisor's reading is nobody's business.
    let (sue, _sue_events) = client(&broker, token(Role::Supervisor, "sue")).await;
    sue.monitor(&sid).await.unwrap();
    drain_events(&mut alice_events, Duration::from_millis(100)).await;
    sue.receipt(&sid, None, Some(seq)).await.unwrap();
    assert!(receipts_seen(&mut alice_events).await.is_empty());

    // Bob reads, and a console opened later starts from everyone's horizons.
    bob.receipt(&sid, None, Some(seq)).await.unwrap();
    assert_eq!(
        receipts_seen(&mut alice_events).await,
        [("bob".into(), seq, seq)]
    );
    let (bob_again, _e) = client(&broker, token(Role::Agent, "bob")).await;
    let snapshot = bob_again.join(&sid).await.unwrap();
    let mut horizons: Vec<_> = snapshot
        .receipts
        .iter()
        .map(|r| (r.participant.sub.as_str(), r.delivered_seq, r.read_seq))
        .collect();
    horizons.sort();
    assert_eq!(horizons, [("alice", seq, seq), ("bob", seq, seq)]);

    // Receipts still count once the session has ended.
    let last = alice.end_session(&sid, None).await.unwrap().seq.unwrap();
    bob.receipt(&sid, None, Some(last)).await.unwrap();
    assert_eq!(
        receipts_seen(&mut alice_events).await,
        [("bob".into(), last, last)]
    );
}

/// A 1x1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xfc, 0xcf, 0xc0, 0x50,
    0x0f, 0x00, 0x04, 0x85, 0x01, 0x80, 0x84, 0xa9, 0x8c, 0x21, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The HTTP status and error code of a refused request.
fn refused<T: std::fmt::Debug>(result: Result<T, seam_client::AdminError>) -> (u16, String) {
    match result {
        Err(seam_client::AdminError::Api { status, code, .. }) => (status, code),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn files_are_attached_fetched_through_signed_links_and_erased_with_the_customer() {
    use seam_client::AdminClient;
    let mut config = test_config();
    config.attachments.max_bytes = 4096;
    let broker = start_with(config).await;
    let base = format!("http://{}", broker.local_addr());
    let (alice, _alice_events) = client(&broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, mut bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();
    drain_events(&mut bob_events, Duration::from_millis(100)).await;
    let as_alice = AdminClient::new(&base, customer_token("alice", "billing")).unwrap();
    let as_bob = AdminClient::new(&base, token(Role::Agent, "bob")).unwrap();

    // Alice attaches a photo: its type comes from its bytes, with a preview.
    let up = as_alice
        .upload_attachment(&sid, "C:\\photos\\card.png", PNG.to_vec(), Some("up-1"))
        .await
        .unwrap();
    let file = &up.attachment;
    assert_eq!(
        (file.name.as_str(), file.size),
        ("card.png", PNG.len() as u64)
    );
    assert_eq!(file.content_type, "image/png");
    assert!(file
        .thumbnail
        .as_deref()
        .unwrap()
        .starts_with("data:image/jpeg;base64,"));
    let seen = wait_for(&mut bob_events, |e| match e {
        Event::Session(e) => match e.body {
            EventBody::Attachment { attachment } => Some((e.seq, e.from.sub, attachment)),
            _ => None,
        },
        _ => None,
    })
    .await;
    assert_eq!(seen, (up.seq, "alice".to_owned(), file.clone()));
    // A retry under the same key stores nothing new.
    let again = as_alice
        .upload_attachment(&sid, "card.png", PNG.to_vec(), Some("up-1"))
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!((again.seq, &again.attachment), (up.seq, file));

    // Bob fetches it through a signed link; a changed link is refused.
    let link = as_bob.attachment_link(&sid, &file.id).await.unwrap();
    assert_eq!(as_bob.download(&link.url).await.unwrap(), PNG);
    let as_html = link.url.replace("image%2Fpng", "text%2Fhtml");
    assert_eq!(
        refused(as_bob.download(&as_html).await),
        (403, "invalid_link".into())
    );
    // Agents attach too; text is recognised as text.
    let note = as_bob
        .upload_attachment(
            &sid,
            "steps.txt",
            b"1. Open the app\n2. Tap Cards".to_vec(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(note.attachment.content_type, "text/plain");
    assert_eq!(note.attachment.thumbnail, None);

    // Bad uploads: clear errors, nothing stored.
    let exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    assert_eq!(
        refused(as_alice.upload_attachment(&sid, "a.png", exe, None).await),
        (415, "unsupported_type".into())
    );
    let big = [PNG, &[0u8; 4096]].concat();
    assert_eq!(
        refused(as_alice.upload_attachment(&sid, "big.png", big, None).await),
        (413, "too_large".into())
    );
    assert_eq!(
        refused(
            as_alice
                .upload_attachment(&sid, "e.txt", Vec::new(), None)
                .await
        ),
        (400, "empty".into())
    );
    let as_mallory = AdminClient::new(&base, customer_token("mallory", "billing")).unwrap();
    assert_eq!(
        refused(
            as_mallory
                .upload_attachment(&sid, "x.png", PNG.to_vec(), None)
                .await
        ),
        (403, "not_your_session".into())
    );
    assert_eq!(
        refused(as_mallory.attachment_link(&sid, &file.id).await),
        (403, "not_your_session".into())
    );
    let as_carol = AdminClient::new(&base, token(Role::Agent, "carol")).unwrap();
    assert_eq!(
        refused(
            as_carol
                .upload_attachment(&sid, "x.png", PNG.to_vec(), None)
                .await
        ),
        (403, "not_a_participant".into())
    );
    assert_eq!(
        refused(as_carol.attachment_link(&sid, &file.id).await),
        (403, "forbidden".into())
    );
    assert_eq!(
        refused(
            as_alice
                .upload_attachment("s_nope", "x.png", PNG.to_vec(), None)
                .await
        ),
        (404, "session_not_found".into())
    );
    assert_eq!(
        refused(as_alice.attachment_link(&sid, "nope").await),
        (404, "attachment_not_found".into())
    );
    let (status, body) = http(
        broker.local_addr(),
        "POST",
        &format!("/v1/sessions/{sid}/attachments"),
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthenticated"))
    );

    // Ended: nothing more is attached, what was stays readable.
    alice.end_session(&sid, None).await.unwrap();
    assert_eq!(
        refused(
            as_alice
                .upload_attachment(&sid, "x.png", PNG.to_vec(), None)
                .await
        ),
        (409, "session_ended".into())
    );
    let link = as_alice.attachment_link(&sid, &file.id).await.unwrap();
    assert_eq!(as_alice.download(&link.url).await.unwrap(), PNG);

    // The export lists the files; erasing the customer deletes them.
    let service = AdminClient::new(&base, token(Role::Service, "backend")).unwrap();
    let export = service.export_customer("alice").await.unwrap();
    let exported: Vec<_> = export
        .attachments
        .iter()
        .map(|a| a.attachment.name.as_str())
        .collect();
    assert_eq!(exported, ["card.png", "steps.txt"]);
    service.erase_customer("alice").await.unwrap();
    assert_eq!(
        refused(as_alice.download(&link.url).await),
        (404, "attachment_not_found".into())
    );
}

/// The bodies of the stored messages and revisions a replay brings.
fn message_bodies(events: &[seam_protocol::SessionEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Message {
                text,
                edited,
                deleted,
                ..
            } => Some(format!(
                "#{} {text}{}{}",
                e.seq,
                if *edited { " (edited)" } else { "" },
                if *deleted { "(deleted)" } else { "" }
            )),
            EventBody::MessageEdited { seq, text } => Some(format!("edit #{seq}: {text}")),
            EventBody::MessageDeleted { seq } => Some(format!("delete #{seq}")),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn authors_edit_and_delete_their_messages_and_customers_never_see_the_originals() {
    let clock = Arc::new(seam_broker::ManualClock::new(1_800_000_000_000));
    let broker = start_with_clock(test_config(), clock.clone()).await;
    let (alice, _alice_events) = client(&broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, mut bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();
    let typo = alice
        .send_message(&sid, "my card 4111 1111 was charged")
        .await
        .unwrap()
        .seq
        .unwrap();
    let oops = alice
        .send_message(&sid, "wrong chat, sorry")
        .await
        .unwrap()
        .seq
        .unwrap();
    drain_events(&mut bob_events, Duration::from_millis(100)).await;

    // Edited and deleted: the others see the revisions live.
    alice
        .edit_message(&sid, typo, "my card was charged twice")
        .await
        .unwrap();
    alice.delete_message(&sid, oops).await.unwrap();
    let live: Vec<_> = drain_session_events(&mut bob_events, Duration::from_millis(200)).await;
    assert_eq!(
        message_bodies(&live),
        [
            format!("edit #{typo}: my card was charged twice"),
            format!("delete #{oops}")
        ]
    );

    // A customer's replay (another tab) holds no original.
    let (tab, mut tab_events) = client(&broker, customer_token("alice", "billing")).await;
    tab.open_session(None).await.unwrap();
    let replayed = drain_session_events(&mut tab_events, Duration::from_millis(200)).await;
    let seen = message_bodies(&replayed);
    assert!(
        seen.contains(&format!("#{typo} my card was charged twice (edited)")),
        "{seen:?}"
    );
    assert!(seen.contains(&format!("#{oops} (deleted)")), "{seen:?}");
    assert!(
        !seen
            .iter()
            .any(|m| m.contains("4111") || m.contains("wrong chat")),
        "{seen:?}"
    );
    // Staff keep the originals (the default audit trail).
    let (sue, mut sue_events) = client(&broker, token(Role::Supervisor, "sue")).await;
    sue.monitor(&sid).await.unwrap();
    let audit =
        message_bodies(&drain_session_events(&mut sue_events, Duration::from_millis(200)).await);
    assert!(
        audit.contains(&format!("#{typo} my card 4111 1111 was charged")),
        "{audit:?}"
    );

    // What may not be revised: clear errors, nothing stored.
    assert_eq!(
        rejected(bob.edit_message(&sid, typo, "hijacked").await),
        ErrorCode::Forbidden
    );
    assert_eq!(
        rejected(alice.edit_message(&sid, oops, "back").await),
        ErrorCode::InvalidMessage
    );
    assert_eq!(
        rejected(alice.delete_message(&sid, 999).await),
        ErrorCode::InvalidMessage
    );
    assert_eq!(
        rejected(alice.delete_message(&sid, 1).await),
        ErrorCode::InvalidMessage,
        "not a message"
    );
    assert_eq!(
        rejected(alice.edit_message(&sid, typo, " ").await),
        ErrorCode::InvalidMessage
    );
    clock.advance(16 * 60_000);
    assert_eq!(
        rejected(alice.edit_message(&sid, typo, "too late").await),
        ErrorCode::Forbidden,
        "the 15 minute window has passed"
    );
    let late = alice
        .send_message(&sid, "one more")
        .await
        .unwrap()
        .seq
        .unwrap();
    alice.end_session(&sid, None).await.unwrap();
    assert_eq!(
        rejected(alice.delete_message(&sid, late).await),
        ErrorCode::SessionEnded
    );
}

#[tokio::test]
async fn without_the_audit_trail_nobody_is_shown_a_revised_original() {
    let mut config = test_config();
    config.messages.keep_originals_for_staff = false;
    let broker = start_with(config).await;
    let (alice, _a) = client(&broker, customer_token("alice", "billing")).await;
    let sid = alice.open_session(None).await.unwrap().session_id;
    let secret = alice
        .send_message(&sid, "my password is hunter2")
        .await
        .unwrap()
        .seq
        .unwrap();
    alice.delete_message(&sid, secret).await.unwrap();

    let (bob, mut bob_events) = client(&broker, token(Role::Agent, "bob")).await;
    bob.join(&sid).await.unwrap();
    let replay =
        message_bodies(&drain_session_events(&mut bob_events, Duration::from_millis(200)).await);
    assert!(
        replay.contains(&format!("#{secret} (deleted)")),
        "{replay:?}"
    );
    assert!(!replay.iter().any(|m| m.contains("hunter2")));
    let service = token(Role::Service, "backend");
    let (_, page) = http(
        broker.local_addr(),
        "GET",
        &format!("/v1/sessions/{sid}"),
        Some(&service),
        None,
    )
    .await;
    assert!(!page.to_string().contains("hunter2"), "{page}");
    let (_, export) = http(
        broker.local_addr(),
        "GET",
        "/v1/customers/alice/export",
        Some(&service),
        None,
    )
    .await;
    assert!(!export.to_string().contains("hunter2"), "{export}");
}
