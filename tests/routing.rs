//! Routing stories: queues, offers, capacity, transfers, conferences,
//! supervisors, bots and invitations. Time-dependent decisions read a
//! manual clock, so they are exact.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use seam_broker::{Config, ManualClock, QueueConfig, RunningBroker};
use seam_client::{Client, Event, Events};
use seam_protocol::{
    AgentStatus, ErrorCode, EventBody, Mode, Offer, OfferKind, Role, SessionEvent, TransferTarget,
};

fn routing_config() -> Config {
    let mut config = test_config();
    config.routing.offer_timeout_ms = 400;
    config.routing.offline_grace_ms = 300;
    config.routing.queues = vec![
        QueueConfig {
            name: "billing".into(),
            issue_types: vec!["billing".into()],
            skills: vec!["billing".into()],
            priority: 1,
            ..QueueConfig::default()
        },
        QueueConfig {
            name: "general".into(),
            ..QueueConfig::default()
        },
        QueueConfig {
            name: "assistant".into(),
            issue_types: vec!["help".into()],
            bot_first: true,
            handoff_queue: Some("general".into()),
            ..QueueConfig::default()
        },
    ];
    config
}

async fn start_routing(clock: Arc<ManualClock>) -> RunningBroker {
    start_with_clock(routing_config(), clock).await
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(1_800_000_000_000))
}

/// An agent (or bot) with skills, connected and available.
async fn staff(
    broker: &RunningBroker,
    role: Role,
    sub: &str,
    skills: &[&str],
    capacity: Option<u32>,
) -> (Client, Events) {
    let mut c = claims(role, sub);
    c.skills = skills.iter().map(|s| s.to_string()).collect();
    c.capacity = capacity;
    let (client, events) = client(broker, seam_broker::mint_hs256(SECRET, &c).unwrap()).await;
    client.set_status(AgentStatus::Available).await.unwrap();
    (client, events)
}

async fn customer(broker: &RunningBroker, sub: &str, issue: &str) -> (Client, Events, String) {
    let (c, mut events) = client(broker, customer_token(sub, issue)).await;
    let sid = c.open_session(None).await.unwrap().session_id;
    // opened, queued
    while next_session_event(&mut events).await.seq < 2 {}
    (c, events, sid)
}

async fn next_offer(events: &mut Events) -> Offer {
    wait_for(events, |e| match e {
        Event::Offer(offer) => Some(offer),
        _ => None,
    })
    .await
}

/// The last queue status a customer was told: (position, estimated wait).
async fn position(events: &mut Events) -> Option<(usize, u64)> {
    let mut last = None;
    for e in drain_events(events, Duration::from_millis(150)).await {
        if let Event::QueueStatus {
            position,
            estimated_wait_ms,
            ..
        } = e
        {
            last = Some((position, estimated_wait_ms));
        }
    }
    last
}

async fn no_offer(events: &mut Events, within: Duration) {
    let got = drain_events(events, within).await;
    assert!(
        got.iter().all(|e| !matches!(e, Event::Offer(_))),
        "unexpected offer: {got:?}"
    );
}

fn bodies(events: &[SessionEvent]) -> Vec<&EventBody> {
    events.iter().map(|e| &e.body).collect()
}

#[tokio::test]
async fn a_session_goes_to_an_agent_with_the_right_skills_who_joins_with_everything() {
    let broker = start_routing(clock()).await;
    let (_generalist, mut gen_events) = staff(&broker, Role::Agent, "gen", &[], None).await;
    let (biller, mut bill_events) = staff(&broker, Role::Agent, "bill", &["billing"], None).await;
    let (alice, mut alice_events, sid) = customer(&broker, "alice", "billing").await;
    alice.send_message(&sid, "charged twice").await.unwrap();

    let offer = next_offer(&mut bill_events).await;
    assert_eq!(
        (offer.session_id.as_str(), offer.kind),
        (sid.as_str(), OfferKind::Queue)
    );
    assert_eq!(offer.queue.as_deref(), Some("billing"));
    assert_eq!(offer.context.issue_type.as_deref(), Some("billing"));
    assert_eq!(offer.customer.sub, "alice");
    no_offer(&mut gen_events, Duration::from_millis(100)).await;

    let snapshot = biller.accept_offer(&offer.offer_id).await.unwrap();
    assert_eq!(snapshot.context.page.as_deref(), Some("/checkout"));
    let history = drain_session_events(&mut bill_events, Duration::from_millis(200)).await;
    let texts: Vec<_> = history.iter().map(|e| e.to_string()).collect();
    assert!(
        texts.iter().any(|t| t.ends_with("charged twice")),
        "{texts:?}"
    );
    assert!(matches!(history[1].body, EventBody::Queued { ref queue } if queue == "billing"));
    let seen = drain_session_events(&mut alice_events, Duration::from_millis(200)).await;
    assert!(bodies(&seen)
        .iter()
        .any(|b| matches!(b, EventBody::Assigned { agent, .. } if agent.sub == "bill")));
    assert!(bodies(&seen).iter().any(
        |b| matches!(b, EventBody::ParticipantJoined { participant } if participant.sub == "bill")
    ));
}

#[tokio::test]
async fn a_declined_or_unanswered_offer_goes_to_the_next_agent() {
    let clock = clock();
    let broker = start_routing(clock.clone()).await;
    let (first, mut first_events) = staff(&broker, Role::Agent, "first", &[], None).await;
    clock.advance(1_000);
    let (_second, mut second_events) = staff(&broker, Role::Agent, "second", &[], None).await;
    let (_alice, _, sid) = customer(&broker, "alice", "other").await;

    let offer = next_offer(&mut first_events).await;
    assert_eq!(offer.session_id, sid);
    first.decline_offer(&offer.offer_id).await.unwrap();
    let offer2 = next_offer(&mut second_events).await;
    assert_eq!(offer2.session_id, sid);
    // "second" never answers: the offer lapses (400 ms on the broker's
    // clock) and comes back round to "first".
    clock.advance(400);
    let revoked = wait_for(&mut second_events, |e| match e {
        Event::OfferRevoked { offer_id, reason } => Some((offer_id, reason)),
        _ => None,
    })
    .await;
    assert_eq!(revoked, (offer2.offer_id.clone(), "expired".to_owned()));
    let offer3 = next_offer(&mut first_events).await;
    assert_eq!(offer3.session_id, sid);
    // Accepting a lapsed offer is refused.
    assert_eq!(
        rejected(first.accept_offer(&offer2.offer_id).await),
        ErrorCode::OfferNotFound
    );
    first.accept_offer(&offer3.offer_id).await.unwrap();
}

#[tokio::test]
async fn the_longest_idle_agent_is_chosen_and_capacity_is_respected() {
    let clock = clock();
    let broker = start_routing(clock.clone()).await;
    let (a, mut a_events) = staff(&broker, Role::Agent, "a", &[], Some(1)).await;
    clock.advance(5_000);
    let (b, mut b_events) = staff(&broker, Role::Agent, "b", &[], Some(1)).await;

    let (_c1, _, s1) = customer(&broker, "c1", "x").await;
    let offer = next_offer(&mut a_events).await;
    assert_eq!(offer.session_id, s1, "a has been idle longest");
    a.accept_offer(&offer.offer_id).await.unwrap();

    let (_c2, _, s2) = customer(&broker, "c2", "x").await;
    let offer = next_offer(&mut b_events).await;
    assert_eq!(offer.session_id, s2);
    b.accept_offer(&offer.offer_id).await.unwrap();

    // Both are at capacity: the third customer waits.
    let (_c3, _, s3) = customer(&broker, "c3", "x").await;
    no_offer(&mut a_events, Duration::from_millis(150)).await;
    no_offer(&mut b_events, Duration::from_millis(10)).await;
    // When b frees a slot, it gets the waiting session.
    clock.advance(1_000);
    b.end_session(&s2, Some("done")).await.unwrap();
    let offer = next_offer(&mut b_events).await;
    assert_eq!(offer.session_id, s3);
}

#[tokio::test]
async fn waiting_customers_see_their_position_and_an_estimate_from_recent_waits() {
    let clock = clock();
    let broker = start_routing(clock.clone()).await;
    let (_c1, mut e1, _s1) = customer(&broker, "c1", "x").await;
    let (_c2, mut e2, s2) = customer(&broker, "c2", "x").await;
    let (_c3, mut e3, _s3) = customer(&broker, "c3", "x").await;
    assert_eq!(position(&mut e1).await, Some((1, 0)));
    assert_eq!(position(&mut e3).await, Some((3, 0)));
    let _ = position(&mut e2).await;

    // The first customer is answered after 60 s: the others move up, and
    // the estimate now comes from that wait.
    clock.advance(60_000);
    let (agent, mut agent_events) = staff(&broker, Role::Agent, "a", &[], Some(1)).await;
    let offer = next_offer(&mut agent_events).await;
    agent.accept_offer(&offer.offer_id).await.unwrap();
    assert_eq!(position(&mut e2).await, Some((1, 60_000)));
    assert_eq!(position(&mut e3).await, Some((2, 120_000)));
    let waited = drain_session_events(&mut e1, Duration::from_millis(100)).await;
    assert!(bodies(&waited).iter().any(|b| matches!(
        b,
        EventBody::Assigned {
            waited_ms: 60_000,
            ..
        }
    )));
    let _ = s2;
}

#[tokio::test]
async fn leaving_the_queue_is_recorded_as_abandonment() {
    let clock = clock();
    let broker = start_routing(clock.clone()).await;
    let (alice, mut events, sid) = customer(&broker, "alice", "billing").await;
    clock.advance(42_000);
    alice.end_session(&sid, Some("gave up")).await.unwrap();
    let all = drain_session_events(&mut events, Duration::from_millis(150)).await;
    assert!(
        matches!(all[0].body, EventBody::QueueAbandoned { ref queue, waited_ms: 42_000 } if queue == "billing"),
        "{all:?}"
    );
    assert!(matches!(all[1].body, EventBody::SessionEnded { .. }));
    let (sue, _) = client(&broker, token(Role::Supervisor, "sue")).await;
    let overview = sue.overview().await.unwrap();
    let billing = overview
        .queues
        .iter()
        .find(|q| q.name == "billing")
        .unwrap();
    assert_eq!((billing.waiting, billing.abandoned), (0, 1));
}

#[tokio::test]
async fn transfers_to_an_agent_and_to_a_queue_keep_history_mode_and_the_note() {
    let broker = start_routing(clock()).await;
    let (a, mut a_events) = staff(&broker, Role::Agent, "a", &[], None).await;
    let (alice, mut alice_events, sid) = customer(&broker, "alice", "other").await;
    let offer = next_offer(&mut a_events).await;
    a.accept_offer(&offer.offer_id).await.unwrap();
    let r = alice
        .request_mode(&sid, Mode::Voice, false, None)
        .await
        .unwrap();
    a.answer_mode(&sid, &r, true, None).await.unwrap();
    let (b, mut b_events) = staff(&broker, Role::Agent, "b", &[], None).await;

    a.transfer(
        &sid,
        TransferTarget::Agent("b".into()),
        Some("VIP, refund approved"),
    )
    .await
    .unwrap();
    let offer = next_offer(&mut b_events).await;
    assert_eq!(
        (offer.kind, offer.note.as_deref()),
        (OfferKind::Transfer, Some("VIP, refund approved"))
    );
    let snapshot = b.accept_offer(&offer.offer_id).await.unwrap();
    assert_eq!(snapshot.mode, Mode::Voice, "the call goes on");
    let staff_view = drain_session_events(&mut b_events, Duration::from_millis(200)).await;
    assert!(bodies(&staff_view)
        .iter()
        .any(|b| matches!(b, EventBody::Note { text } if text == "VIP, refund approved")));
    assert!(bodies(&staff_view)
        .iter()
        .any(|b| matches!(b, EventBody::ModeChanged { .. })));
    // The customer saw the transfer and a left, but never the note.
    let customer_view = drain_session_events(&mut alice_events, Duration::from_millis(100)).await;
    assert!(bodies(&customer_view)
        .iter()
        .any(|b| matches!(b, EventBody::Transferred { .. })));
    assert!(bodies(&customer_view).iter().all(|b| !b.is_staff_only()));

    // b sends it on to the billing queue, where only billing agents get it.
    let (_biller, mut bill_events) = staff(&broker, Role::Agent, "bill", &["billing"], None).await;
    b.transfer(&sid, TransferTarget::Queue("billing".into()), None)
        .await
        .unwrap();
    let offer = next_offer(&mut bill_events).await;
    assert_eq!(offer.queue.as_deref(), Some("billing"));
    assert_eq!(
        rejected(
            b.transfer(&sid, TransferTarget::Queue("nope".into()), None)
                .await
        ),
        ErrorCode::QueueNotFound
    );
    assert_eq!(
        rejected(
            a.transfer(&sid, TransferTarget::Agent("ghost".into()), None)
                .await
        ),
        ErrorCode::AgentNotFound
    );
}

#[tokio::test]
async fn a_conference_adds_a_second_agent_and_the_first_can_leave_without_ending() {
    let broker = start_routing(clock()).await;
    let (a, mut a_events) = staff(&broker, Role::Agent, "a", &[], None).await;
    let (_alice, mut alice_events, sid) = customer(&broker, "alice", "other").await;
    let offer = next_offer(&mut a_events).await;
    a.accept_offer(&offer.offer_id).await.unwrap();
    let (b, mut b_events) = staff(&broker, Role::Agent, "b", &[], None).await;
    a.invite_agent(&sid, "b", Some("second opinion"))
        .await
        .unwrap();
    let offer = next_offer(&mut b_events).await;
    assert_eq!(
        (offer.kind, offer.note.as_deref()),
        (OfferKind::Conference, Some("second opinion"))
    );
    let snapshot = b.accept_offer(&offer.offer_id).await.unwrap();
    let subs: Vec<_> = snapshot
        .participants
        .iter()
        .map(|p| p.sub.as_str())
        .collect();
    assert_eq!(subs, ["alice", "a", "b"]);
    a.leave(&sid).await.unwrap();
    b.send_message(&sid, "I'll take it from here")
        .await
        .unwrap();
    assert_eq!(
        next_message(&mut alice_events).await,
        "I'll take it from here"
    );
}

#[tokio::test]
async fn supervisors_monitor_silently_whisper_privately_and_barge_in_visibly() {
    let broker = start_routing(clock()).await;
    let (a, mut a_events) = staff(&broker, Role::Agent, "a", &[], None).await;
    let (alice, mut alice_events, sid) = customer(&broker, "alice", "other").await;
    let offer = next_offer(&mut a_events).await;
    a.accept_offer(&offer.offer_id).await.unwrap();
    let _ = drain_events(&mut a_events, Duration::from_millis(100)).await;
    let _ = drain_events(&mut alice_events, Duration::from_millis(10)).await;

    let (sue, mut sue_events) = client(&broker, token(Role::Supervisor, "sue")).await;
    let overview = sue.overview().await.unwrap();
    let live = overview
        .sessions
        .iter()
        .find(|s| s.session_id == sid)
        .unwrap();
    assert_eq!(
        live.staff
            .iter()
            .map(|p| p.sub.as_str())
            .collect::<Vec<_>>(),
        ["a"]
    );
    assert!(overview
        .agents
        .iter()
        .any(|ag| ag.agent.sub == "a" && ag.sessions == 1));

    sue.monitor(&sid).await.unwrap();
    alice.send_message(&sid, "hello?").await.unwrap();
    assert_eq!(next_message(&mut sue_events).await, "hello?");
    sue.whisper(&sid, "offer the refund").await.unwrap();
    a.note(&sid, "customer verified").await.unwrap();
    let agent_view = drain_session_events(&mut a_events, Duration::from_millis(200)).await;
    assert!(bodies(&agent_view)
        .iter()
        .any(|b| matches!(b, EventBody::Whisper { text } if text == "offer the refund")));
    assert!(bodies(&agent_view)
        .iter()
        .any(|b| matches!(b, EventBody::Note { .. })));
    let customer_view = drain_session_events(&mut alice_events, Duration::from_millis(100)).await;
    assert!(
        customer_view.iter().all(|e| !e.body.is_staff_only()),
        "{customer_view:?}"
    );
    assert!(
        customer_view
            .iter()
            .all(|e| !matches!(e.body, EventBody::ParticipantJoined { .. })),
        "monitoring is silent"
    );

    // Nor does a replay (another tab, or a resume) show the customer any of it.
    let (tab, mut tab_events) = client(&broker, customer_token("alice", "other")).await;
    tab.join(&sid).await.unwrap();
    let replay = drain_session_events(&mut tab_events, Duration::from_millis(200)).await;
    assert!(!replay.is_empty());
    assert!(replay.iter().all(|e| !e.body.is_staff_only()));

    // Barging in is a visible join.
    sue.join(&sid).await.unwrap();
    let joined = wait_for(&mut alice_events, |e| match e {
        Event::Session(e) => match e.body {
            EventBody::ParticipantJoined { participant } => Some(participant),
            _ => None,
        },
        _ => None,
    })
    .await;
    assert_eq!(
        (joined.sub.as_str(), joined.role),
        ("sue", Role::Supervisor)
    );
}

#[tokio::test]
async fn a_bot_answers_first_and_hands_off_to_a_human_who_sees_everything() {
    let broker = start_routing(clock()).await;
    let (bot, mut bot_events) = staff(&broker, Role::Bot, "helpbot", &[], None).await;
    let (human, mut human_events) = staff(&broker, Role::Agent, "h", &[], None).await;
    let (alice, mut alice_events, sid) = customer(&broker, "alice", "help").await;

    let offer = next_offer(&mut bot_events).await;
    no_offer(&mut human_events, Duration::from_millis(100)).await;
    bot.accept_offer(&offer.offer_id).await.unwrap();
    alice.send_message(&sid, "my parcel is late").await.unwrap();
    bot.send_message(&sid, "I can't find it, let me get a person")
        .await
        .unwrap();
    bot.handoff(&sid, Some("parcel 77 late, tracking empty"), None)
        .await
        .unwrap();

    let offer = next_offer(&mut human_events).await;
    assert_eq!(
        offer.note.as_deref(),
        Some("parcel 77 late, tracking empty")
    );
    assert_eq!(offer.queue.as_deref(), Some("general"));
    human.accept_offer(&offer.offer_id).await.unwrap();
    let history = drain_session_events(&mut human_events, Duration::from_millis(200)).await;
    let texts: Vec<_> = history.iter().map(|e| e.to_string()).collect();
    assert!(
        texts.iter().any(|t| t.ends_with("my parcel is late")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.ends_with("let me get a person")),
        "{texts:?}"
    );
    assert!(bodies(&history).iter().any(|b| matches!(
        b,
        EventBody::HandedOff {
            summary: Some(_),
            ..
        }
    )));
    let seen = drain_session_events(&mut alice_events, Duration::from_millis(100)).await;
    assert!(bodies(&seen).iter().any(
        |b| matches!(b, EventBody::ParticipantLeft { participant, .. } if participant.sub == "helpbot")
    ));
}

#[tokio::test]
async fn talk_to_an_agent_by_video_arrives_as_a_video_request_to_the_agent() {
    let broker = start_routing(clock()).await;
    let (bot, mut bot_events) = staff(&broker, Role::Bot, "helpbot", &[], None).await;
    let (alice, mut alice_events, sid) = customer(&broker, "alice", "help").await;
    let offer = next_offer(&mut bot_events).await;
    bot.accept_offer(&offer.offer_id).await.unwrap();

    alice.request_agent(&sid, Some(Mode::Video)).await.unwrap();
    let (human, mut human_events) = staff(&broker, Role::Agent, "h", &[], None).await;
    let offer = next_offer(&mut human_events).await;
    human.accept_offer(&offer.offer_id).await.unwrap();
    let request = wait_for(&mut human_events, |e| match e {
        Event::Session(e) => match e.body {
            EventBody::ModeRequested { request, .. } => Some(request),
            _ => None,
        },
        _ => None,
    })
    .await;
    assert_eq!(
        (request.mode, request.requested_by.sub.as_str()),
        (Mode::Video, "alice")
    );
    human
        .answer_mode(&sid, &request.request_id, true, None)
        .await
        .unwrap();
    let changed = wait_for(&mut alice_events, |e| match e {
        Event::Session(e) => match e.body {
            EventBody::ModeChanged { mode, .. } => Some(mode),
            _ => None,
        },
        _ => None,
    })
    .await;
    assert_eq!(changed, Mode::Video);
    // Once an agent is there, "talk to an agent" makes no sense.
    assert_eq!(
        rejected(alice.request_agent(&sid, None).await),
        ErrorCode::Forbidden
    );
}

#[tokio::test]
async fn proactive_invitations_accepted_declined_and_by_rule() {
    let mut config = routing_config();
    config.routing.invitation_rules = vec![seam_broker::InvitationRule {
        page_prefix: Some("/pricing".into()),
        after_ms: 200,
        mode: Mode::Chat,
        topic: "Questions about plans?".into(),
        ..seam_broker::InvitationRule::default()
    }];
    let clock = clock();
    let broker = start_with_clock(config, clock.clone()).await;
    let (backend, _) = client(&broker, token(Role::Service, "backend")).await;
    let (visitor, mut visitor_events) = client(&broker, token(Role::Customer, "vera")).await;
    let (_biller, mut bill_events) = staff(&broker, Role::Agent, "bill", &["billing"], None).await;

    let context = seam_protocol::CustomerContext {
        issue_type: Some("billing".into()),
        ..Default::default()
    };
    let invitation_id = backend
        .invite_visitor("vera", Mode::Chat, "Your invoice", Some(context))
        .await
        .unwrap();
    let invitation = wait_for(&mut visitor_events, |e| match e {
        Event::Invitation(i) => Some(i),
        _ => None,
    })
    .await;
    assert_eq!(
        (invitation.invitation_id.as_str(), invitation.topic.as_str()),
        (invitation_id.as_str(), "Your invoice")
    );
    let session = visitor
        .answer_invitation(&invitation_id, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.context.issue_type.as_deref(), Some("billing"));
    let offer = next_offer(&mut bill_events).await;
    assert_eq!(
        (offer.session_id, offer.queue.as_deref()),
        (session.session_id.clone(), Some("billing"))
    );
    assert_eq!(
        rejected(visitor.answer_invitation(&invitation_id, true).await),
        ErrorCode::InvitationNotFound
    );

    let (walker, mut walker_events) = client(&broker, token(Role::Customer, "walt")).await;
    let second = backend
        .invite_visitor("walt", Mode::Video, "See it live", None)
        .await
        .unwrap();
    let shown = wait_for(&mut walker_events, |e| match e {
        Event::Invitation(i) => Some(i),
        _ => None,
    })
    .await;
    assert_eq!(
        (shown.mode, shown.invitation_id.as_str()),
        (Mode::Video, second.as_str())
    );
    walker.answer_invitation(&second, false).await.unwrap();
    assert_eq!(
        rejected(
            backend
                .invite_visitor("nobody", Mode::Chat, "x", None)
                .await
        ),
        ErrorCode::VisitorNotFound
    );

    // A rule: on /pricing for 200 ms (on the broker's clock) with no session open.
    walker.page_view("/pricing/enterprise", None).await.unwrap();
    clock.advance(199);
    let early = drain_events(&mut walker_events, Duration::from_millis(150)).await;
    assert!(
        !early.iter().any(|e| matches!(e, Event::Invitation(_))),
        "not before 200 ms: {early:?}"
    );
    clock.advance(1);
    let by_rule = wait_for(&mut walker_events, |e| match e {
        Event::Invitation(i) => Some(i),
        _ => None,
    })
    .await;
    assert_eq!(
        (by_rule.topic.as_str(), by_rule.from.sub.as_str()),
        ("Questions about plans?", "seam-rules")
    );

    let overview = backend.overview().await.unwrap();
    assert_eq!(
        (
            overview.invitations.sent,
            overview.invitations.accepted,
            overview.invitations.declined
        ),
        (3, 1, 1)
    );
}

#[tokio::test]
async fn routing_actions_are_refused_to_those_who_may_not_take_them() {
    let broker = start_routing(clock()).await;
    let (a, mut a_events) = staff(&broker, Role::Agent, "a", &[], None).await;
    let (b, _) = staff(&broker, Role::Agent, "b", &[], None).await;
    let (alice, _, sid) = customer(&broker, "alice", "other").await;
    let offer = next_offer(&mut a_events).await;

    assert_eq!(
        rejected(b.accept_offer(&offer.offer_id).await),
        ErrorCode::OfferNotFound
    );
    assert_eq!(
        rejected(alice.set_status(AgentStatus::Available).await),
        ErrorCode::Forbidden
    );
    assert_eq!(
        rejected(
            alice
                .transfer(&sid, TransferTarget::Agent("b".into()), None)
                .await
        ),
        ErrorCode::Forbidden
    );
    assert_eq!(
        rejected(alice.whisper(&sid, "psst").await),
        ErrorCode::Forbidden
    );
    assert_eq!(rejected(alice.monitor(&sid).await), ErrorCode::Forbidden);
    assert_eq!(rejected(alice.overview().await), ErrorCode::Forbidden);
    assert_eq!(
        rejected(alice.invite_visitor("x", Mode::Chat, "t", None).await),
        ErrorCode::Forbidden
    );
    assert_eq!(rejected(a.monitor(&sid).await), ErrorCode::Forbidden);
    a.accept_offer(&offer.offer_id).await.unwrap();
    // b is not in the session.
    assert_eq!(
        rejected(
            b.transfer(&sid, TransferTarget::Queue("general".into()), None)
                .await
        ),
        ErrorCode::NotAParticipant
    );
    assert_eq!(
        rejected(b.invite_agent(&sid, "a", None).await),
        ErrorCode::NotAParticipant
    );
    assert_eq!(
        rejected(b.whisper(&sid, "psst").await),
        ErrorCode::NotAParticipant
    );
    assert_eq!(
        rejected(b.handoff(&sid, None, None).await),
        ErrorCode::Forbidden
    );
    assert_eq!(
        rejected(a.invite_agent(&sid, "ghost", None).await),
        ErrorCode::AgentNotFound
    );
}

#[tokio::test]
async fn an_agent_whose_last_connection_drops_goes_offline_after_the_grace_period() {
    let clock = clock();
    let broker = start_routing(clock.clone()).await;
    let (a, _) = staff(&broker, Role::Agent, "a", &[], None).await;
    let (sue, _) = client(&broker, token(Role::Supervisor, "sue")).await;
    let status = |overview: seam_protocol::Overview| {
        overview
            .agents
            .iter()
            .find(|x| x.agent.sub == "a")
            .map(|x| x.status)
    };
    assert_eq!(
        status(sue.overview().await.unwrap()),
        Some(AgentStatus::Available)
    );
    a.close();
    let closed = tokio::time::timeout(WAIT, async {
        while broker.connections() > 1 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    closed.await.expect("the agent's connection closes");
    // The grace period is 300 ms on the broker's clock.
    clock.advance(299);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        status(sue.overview().await.unwrap()),
        Some(AgentStatus::Available),
        "still within grace"
    );
    clock.advance(1);
    let offline = tokio::time::timeout(WAIT, async {
        while status(sue.overview().await.unwrap()) != Some(AgentStatus::Offline) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    offline
        .await
        .expect("offline once the grace period is over");
}

#[tokio::test]
async fn an_agent_gone_past_the_grace_period_leaves_and_the_customer_is_queued_again() {
    let clock = clock();
    let broker = start_routing(clock.clone()).await;
    let (bob, mut bob_events) = staff(&broker, Role::Agent, "bob", &[], Some(2)).await;
    // Carol, who came after Alice, already waits when Alice is put back.
    let (alice, mut alice_events, sid) = customer(&broker, "alice", "other").await;
    let offer = next_offer(&mut bob_events).await;
    bob.accept_offer(&offer.offer_id).await.unwrap();
    bob.set_status(AgentStatus::Away).await.unwrap();
    clock.advance(1_000);
    let (_carol, _, _) = customer(&broker, "carol", "other").await;
    alice.send_message(&sid, "still there?").await.unwrap();

    // Bob closes the console and does not come back within the grace.
    bob.close();
    let closed = tokio::time::timeout(WAIT, async {
        while broker.connections() > 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    closed.await.expect("the agent's connection closes");
    drain_events(&mut alice_events, Duration::from_millis(100)).await;
    clock.advance(300);

    let left = wait_for(&mut alice_events, |e| match e {
        Event::Session(e) => match e.body {
            EventBody::ParticipantLeft {
                participant,
                reason,
            } => Some((participant, reason)),
            _ => None,
        },
        _ => None,
    })
    .await;
    assert_eq!(left.0.sub, "bob");
    assert_eq!(left.1, Some(seam_protocol::LeaveReason::Offline));
    let queued = next_session_event(&mut alice_events).await;
    assert!(
        matches!(queued.body, EventBody::Queued { ref queue } if queue == "general"),
        "{queued:?}"
    );
    // Alice keeps her place: she came before Carol, so she is number 1.
    assert_eq!(position(&mut alice_events).await.map(|p| p.0), Some(1));

    // The session is offered again, to the next agent, with its history;
    // Bob no longer counts it.
    let (dan, mut dan_events) = staff(&broker, Role::Agent, "dan", &[], Some(2)).await;
    let mut offered = Vec::new();
    for _ in 0..2 {
        let offer = next_offer(&mut dan_events).await;
        offered.push(offer.session_id.clone());
        dan.accept_offer(&offer.offer_id).await.unwrap();
    }
    assert!(offered.contains(&sid), "{offered:?}");
    let history = drain_session_events(&mut dan_events, Duration::from_millis(200)).await;
    assert!(history
        .iter()
        .any(|e| e.session_id == sid && e.to_string().ends_with("still there?")));
    let (bob_again, _) = client(&broker, token(Role::Agent, "bob")).await;
    assert!(
        bob_again
            .my_sessions()
            .await
            .unwrap()
            .iter()
            .all(|s| s.session_id != sid),
        "Bob no longer serves it"
    );
}

#[tokio::test]
async fn offers_say_how_long_the_customer_waited_and_what_they_wrote_first() {
    let clock = clock();
    let broker = start_routing(clock.clone()).await;
    // Offered before the customer wrote: the offer comes again with the
    // message, same id.
    let (bob, mut bob_events) = staff(&broker, Role::Agent, "bob", &[], None).await;
    let (alice, _, sid) = customer(&broker, "alice", "other").await;
    let first = next_offer(&mut bob_events).await;
    assert_eq!((first.waited_ms, first.first_message.clone()), (0, None));
    alice.send_message(&sid, "my parcel is lost").await.unwrap();
    alice.send_message(&sid, "order A-17").await.unwrap();
    let again = next_offer(&mut bob_events).await;
    assert_eq!(again.offer_id, first.offer_id);
    assert_eq!(again.first_message.as_deref(), Some("my parcel is lost"));
    no_offer(&mut bob_events, Duration::from_millis(150)).await;
    // Bob steps away (the offer is withdrawn) and nobody takes it for a while.
    bob.set_status(AgentStatus::Away).await.unwrap();

    // Offered after: with the message and the time waited.
    clock.advance(42_000);
    let (_dan, mut dan_events) = staff(&broker, Role::Agent, "dan", &[], None).await;
    let offer = next_offer(&mut dan_events).await;
    assert_eq!(offer.session_id, sid);
    assert_eq!(offer.waited_ms, 42_000);
    assert_eq!(offer.first_message.as_deref(), Some("my parcel is lost"));

    // Agents see queues and colleagues (to pick a transfer target), not
    // the live sessions.
    let overview = bob.overview().await.unwrap();
    assert_eq!(overview.queues.len(), 3);
    assert!(overview.agents.iter().any(|a| a.agent.sub == "dan"));
    assert!(overview.sessions.is_empty());
}

#[tokio::test]
async fn a_freed_agent_takes_the_highest_priority_then_longest_waiting_session() {
    let clock = clock();
    let broker = start_routing(clock.clone()).await;
    // Three customers wait, none answered: general (priority 0) first, then
    // billing (priority 1), then general again.
    let (_g1, _, general_first) = customer(&broker, "g1", "other").await;
    clock.advance(1_000);
    let (_b1, _, billing) = customer(&broker, "b1", "billing").await;
    clock.advance(1_000);
    let (_g2, _, _general_second) = customer(&broker, "g2", "other").await;
    // One agent who can serve both queues, one session at a time.
    let (agent, mut events) = staff(&broker, Role::Agent, "all", &["billing"], Some(1)).await;
    let offer = next_offer(&mut events).await;
    assert_eq!(
        offer.session_id, billing,
        "priority first, though it came later"
    );
    agent.accept_offer(&offer.offer_id).await.unwrap();
    agent.end_session(&billing, None).await.unwrap();
    let offer = next_offer(&mut events).await;
    assert_eq!(offer.session_id, general_first, "then the longest waiting");
}

#[tokio::test]
async fn a_customer_who_comes_back_to_a_waiting_session_is_told_where_they_stand() {
    let broker = start_routing(clock()).await;
    let (_c1, _, _) = customer(&broker, "c1", "x").await;
    let (_c2, _, _) = customer(&broker, "c2", "x").await;
    // A second tab (or a reconnect) of the second customer: nothing moved
    // in the queue, yet it is told its place.
    let (tab, mut events) = client(&broker, customer_token("c2", "x")).await;
    tab.open_session(None).await.unwrap();
    assert_eq!(position(&mut events).await, Some((2, 0)));
}

#[tokio::test]
async fn routing_decides_who_joins_and_supervisors_leave_an_audit_trail() {
    let broker = start_routing(clock()).await;
    let (_alice, mut alice_events, sid) = customer(&broker, "alice", "other").await;

    // Waiting: an agent cannot skip the queue by id, nor a supervisor barge in.
    let (eve, _) = client(&broker, token(Role::Agent, "eve")).await;
    assert_eq!(rejected(eve.join(&sid).await), ErrorCode::Forbidden);
    let (sue, _sue_events) = client(&broker, token(Role::Supervisor, "sue")).await;
    assert_eq!(rejected(sue.join(&sid).await), ErrorCode::Forbidden);
    sue.monitor(&sid).await.unwrap();

    // The agent routing offers it to takes it; the session leaves the queue.
    let (bob, mut bob_events) = staff(&broker, Role::Agent, "bob", &[], None).await;
    let offer = next_offer(&mut bob_events).await;
    bob.accept_offer(&offer.offer_id).await.unwrap();
    let overview = sue.overview().await.unwrap();
    assert!(overview
        .sessions
        .iter()
        .any(|s| s.session_id == sid && !s.waiting));
    bob.end_session(&sid, None).await.unwrap();

    // Ended: whoever took part may read it again; others may not.
    bob.join(&sid).await.unwrap();
    assert_eq!(rejected(eve.join(&sid).await), ErrorCode::Forbidden);
    // A supervisor may, and it is recorded.
    let (sam, _) = client(&broker, token(Role::Supervisor, "sam")).await;
    sam.join(&sid).await.unwrap();
    let (_, body) = http(
        broker.local_addr(),
        "GET",
        &format!("/v1/sessions/{sid}"),
        Some(&token(Role::Service, "backend")),
        None,
    )
    .await;
    let trail: Vec<(String, String)> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["body"]["kind"] == "staff_accessed")
        .map(|e| {
            (
                e["body"]["by"]["sub"].as_str().unwrap().to_owned(),
                e["body"]["access"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        trail,
        [
            ("sue".to_owned(), "monitor".to_owned()),
            ("sam".to_owned(), "read".to_owned())
        ]
    );
    // The customer never sees the trail.
    let seen = drain_session_events(&mut alice_events, Duration::from_millis(200)).await;
    assert!(seen
        .iter()
        .any(|e| matches!(e.body, EventBody::SessionEnded { .. })));
    assert!(seen
        .iter()
        .all(|e| !matches!(e.body, EventBody::StaffAccessed { .. })));
}

#[tokio::test]
async fn bots_neither_whisper_nor_take_calls() {
    let broker = start_routing(clock()).await;
    let (bot, mut bot_events) = staff(&broker, Role::Bot, "faq-bot", &[], None).await;
    let (alice, _alice_events, sid) = customer(&broker, "alice", "help").await;
    let offer = next_offer(&mut bot_events).await;
    bot.accept_offer(&offer.offer_id).await.unwrap();
    assert_eq!(
        rejected(bot.whisper(&sid, "psst").await),
        ErrorCode::Forbidden
    );
    let request = alice
        .request_mode(&sid, Mode::Video, false, None)
        .await
        .unwrap();
    assert_eq!(
        rejected(bot.answer_mode(&sid, &request, true, None).await),
        ErrorCode::Forbidden
    );
    bot.note(&sid, "asked about invoices").await.unwrap();
}

/// Thursday 26 November 2026, 08:30 UTC.
const THURSDAY_0830: u64 = 1_795_681_800_000;

#[tokio::test]
async fn availability_follows_opening_hours_and_who_is_on_duty() {
    let mut config = routing_config();
    let weekday = vec!["09:00-17:00".to_owned()];
    config.routing.queues[0].hours = Some(seam_broker::config::OpeningHours {
        time_zone: "UTC".into(),
        monday: weekday.clone(),
        tuesday: weekday.clone(),
        wednesday: weekday.clone(),
        thursday: weekday.clone(),
        friday: weekday,
        holidays: vec!["2026-12-25".into()],
        ..Default::default()
    });
    let clock = Arc::new(ManualClock::new(THURSDAY_0830));
    let broker = start_with_clock(config, clock.clone()).await;
    let (lea, _lea_events) = client(&broker, customer_token("lea", "billing")).await;

    // Before opening: closed, and it says when it opens.
    let before = lea.availability(None).await.unwrap();
    assert_eq!(before.queue.as_deref(), Some("billing"));
    assert!(!before.open && before.offline());
    assert_eq!(before.opens_at, Some(THURSDAY_0830 + 30 * 60_000));

    // Open, but nobody on duty yet: still a case for leaving a message.
    clock.advance(60 * 60_000);
    let nobody = lea.availability(None).await.unwrap();
    assert!(nobody.open && nobody.opens_at.is_none());
    assert_eq!(nobody.agents_online, 0);
    assert!(nobody.offline());

    // An agent with the queue's skill is on duty (one without it does not count).
    let (_bob, _b) = staff(&broker, Role::Agent, "bob", &["billing"], None).await;
    let (_carl, _c) = staff(&broker, Role::Agent, "carl", &[], None).await;
    let staffed = lea.availability(None).await.unwrap();
    assert_eq!(staffed.agents_online, 1);
    assert!(!staffed.offline());
    // Another issue type's queue, without hours and skills: carl counts too.
    let general = lea.availability(Some("shipping")).await.unwrap();
    assert_eq!(general.queue.as_deref(), Some("general"));
    assert_eq!((general.open, general.agents_online), (true, 2));

    // After hours.
    clock.advance(8 * 60 * 60_000);
    let evening = lea.availability(None).await.unwrap();
    assert!(!evening.open);
    assert_eq!(
        evening.opens_at,
        Some(THURSDAY_0830 + 24 * 60 * 60_000 + 30 * 60_000)
    );

    // Agents do not ask.
    let (agent, _e) = client(&broker, token(Role::Agent, "dana")).await;
    assert_eq!(
        rejected(agent.availability(None).await),
        ErrorCode::Forbidden
    );
}

#[tokio::test]
async fn a_message_left_for_an_email_answer_is_a_session_of_its_own_and_ends_a_wait() {
    let clock = clock();
    let broker = start_routing(Arc::clone(&clock)).await;
    let service = token(Role::Service, "backend");
    let (lea, _lea_events) = client(&broker, customer_token("lea", "billing")).await;

    // Nobody on duty: Lea leaves a message; it is stored, answered once.
    let id = "offline-1".to_owned();
    let frame = seam_protocol::ClientFrame::LeaveMessage {
        id: id.clone(),
        text: "Please call me back about my invoice".into(),
        email: " lea@example.com ".into(),
        context: None,
    };
    let ack = lea.send(frame.clone()).await.unwrap();
    let sid = ack.session_id.clone().unwrap();
    let again = lea.send(frame).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(
        (again.session_id.as_deref(), again.seq),
        (Some(sid.as_str()), ack.seq)
    );

    let (status, page) = http(
        broker.local_addr(),
        "GET",
        &format!("/v1/sessions/{sid}"),
        Some(&service),
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["session"]["state"], "ended");
    assert_eq!(page["session"]["offline_email"], "lea@example.com");
    let kinds: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["body"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["session_opened", "offline_message", "session_ended"]
    );
    assert_eq!(
        page["events"][1]["body"]["text"],
        "Please call me back about my invoice"
    );
    assert_eq!(page["events"][1]["body"]["queue"], "billing");

    // The admin API lists messages to answer apart from conversations.
    clock.advance(1_000);
    let (mia, _mia_events, waiting) = customer(&broker, "mia", "billing").await;
    let listed = |offline: &'static str| {
        let service = service.clone();
        let addr = broker.local_addr();
        async move {
            let (status, body) = http(
                addr,
                "GET",
                &format!("/v1/sessions?offline={offline}"),
                Some(&service),
                None,
            )
            .await;
            assert_eq!(status, 200, "{body}");
            body["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["session_id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed("true").await, std::slice::from_ref(&sid));
    assert_eq!(listed("false").await, std::slice::from_ref(&waiting));
    let (status, body) = http(
        broker.local_addr(),
        "GET",
        "/v1/sessions?offline=maybe",
        Some(&service),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );

    // Mia gives up waiting and leaves a message instead: her session
    // carries it, leaves the queue and ends.
    let left = mia
        .leave_message("No rush, email me", "mia@example.com", None)
        .await
        .unwrap();
    assert_eq!(left.session_id.as_deref(), Some(waiting.as_str()));
    let (_, page) = http(
        broker.local_addr(),
        "GET",
        &format!("/v1/sessions/{waiting}"),
        Some(&service),
        None,
    )
    .await;
    let kinds: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["body"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "session_opened",
            "queued",
            "offline_message",
            "queue_abandoned",
            "session_ended"
        ]
    );
    let (bob, mut bob_events) = staff(&broker, Role::Agent, "bob", &["billing"], None).await;
    no_offer(&mut bob_events, Duration::from_millis(300)).await;

    // Someone is answering: write there instead.
    let (nina, _n, served) = customer(&broker, "nina", "billing").await;
    let offer = next_offer(&mut bob_events).await;
    bob.accept_offer(&offer.offer_id).await.unwrap();
    assert_eq!(offer.session_id, served);
    assert_eq!(
        rejected(nina.leave_message("hello?", "nina@example.com", None).await),
        ErrorCode::Forbidden
    );

    // Bad input: clear errors, nothing stored.
    assert_eq!(
        rejected(lea.leave_message("  ", "lea@example.com", None).await),
        ErrorCode::InvalidMessage
    );
    assert_eq!(
        rejected(lea.leave_message("hi", "lea at example", None).await),
        ErrorCode::InvalidMessage
    );
    assert_eq!(
        rejected(
            lea.leave_message(&"x".repeat(10_000), "lea@example.com", None)
                .await
        ),
        ErrorCode::MessageTooLarge
    );
    assert_eq!(
        rejected(bob.leave_message("hi", "bob@example.com", None).await),
        ErrorCode::Forbidden
    );
    assert_eq!(listed("true").await.len(), 2, "nothing more was stored");

    // Agents list what was left in their queues, newest first; supervisors
    // all; customers nothing.
    let left = bob.offline_messages().await.unwrap();
    let texts: Vec<(&str, &str, &str)> = left
        .iter()
        .map(|m| (m.customer.sub.as_str(), m.email.as_str(), m.text.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            ("mia", "mia@example.com", "No rush, email me"),
            (
                "lea",
                "lea@example.com",
                "Please call me back about my invoice"
            ),
        ]
    );
    let (carl, _c) = staff(&broker, Role::Agent, "carl", &[], None).await;
    assert!(
        carl.offline_messages().await.unwrap().is_empty(),
        "billing needs a skill carl lacks"
    );
    let (sue, _s) = client(&broker, token(Role::Supervisor, "sue")).await;
    assert_eq!(sue.offline_messages().await.unwrap().len(), 2);
    assert_eq!(rejected(lea.offline_messages().await), ErrorCode::Forbidden);
}

#[tokio::test]
async fn analytics_count_what_the_log_says_for_services_supervisors_and_each_agent() {
    let clock = Arc::new(ManualClock::new(THURSDAY_0830));
    let broker = start_with_clock(routing_config(), clock.clone()).await;
    let addr = broker.local_addr();
    // Lea waits 10 s, Bob answers 4 s after taking her, she ends a minute
    // later and rates 4; Mia gives up after 3 s (a short abandon).
    let (lea, _l, lea_sid) = customer(&broker, "lea", "billing").await;
    clock.advance(10_000);
    let (bob, mut bob_events) = staff(&broker, Role::Agent, "bob", &["billing"], None).await;
    let offer = next_offer(&mut bob_events).await;
    bob.accept_offer(&offer.offer_id).await.unwrap();
    clock.advance(4_000);
    bob.send_message(&lea_sid, "hello Lea").await.unwrap();
    clock.advance(60_000);
    lea.end_session(&lea_sid, None).await.unwrap();
    lea.rate_session(&lea_sid, 4, None).await.unwrap();
    let (mia, _m, mia_sid) = customer(&broker, "mia", "billing").await;
    clock.advance(3_000);
    mia.end_session(&mia_sid, None).await.unwrap();

    let range = format!("from={}&to={}", THURSDAY_0830, THURSDAY_0830 + 3_600_000);
    let get = |token: String, query: String| async move {
        http(
            addr,
            "GET",
            &format!("/v1/analytics?{query}"),
            Some(&token),
            None,
        )
        .await
    };
    let (status, body) = get(
        token(Role::Service, "backend"),
        format!("{range}&group_by=queue"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["groups"].as_array().unwrap().len(), 1, "{body}");
    let billing = &body["groups"][0];
    assert_eq!(billing["key"], "billing");
    let f = &billing["figures"];
    assert_eq!(
        (f["sessions"].as_u64(), f["answered"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(f["average_speed_of_answer_ms"], 10_000);
    assert_eq!(
        (f["abandoned"].as_u64(), f["short_abandoned"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(f["abandonment_rate"], 0.5);
    assert_eq!(f["service_level"], 1.0, "the short abandon is left out");
    assert_eq!(f["first_response_ms"], 4_000);
    assert_eq!(f["handle_ms"], 64_000);
    assert_eq!(f["handle_ms_by_mode"]["chat"], 64_000);
    assert_eq!(
        (
            f["csat_average"].as_f64(),
            f["csat_satisfied_share"].as_f64()
        ),
        (Some(4.0), Some(1.0))
    );

    // A supervisor sees the same; Bob sees the session he answered; Carl none.
    let (_, by_agent) = get(
        token(Role::Supervisor, "sue"),
        format!("{range}&group_by=agent"),
    )
    .await;
    let keys: Vec<&str> = by_agent["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["bob", "none"]);
    let (_, by_quarter) = get(
        token(Role::Service, "backend"),
        format!("{range}&group_by=interval&interval=15m"),
    )
    .await;
    assert_eq!(by_quarter["interval_ms"], 900_000);
    let quarter = THURSDAY_0830 - THURSDAY_0830 % 900_000;
    assert_eq!(
        by_quarter["groups"][0]["key"],
        quarter.to_string(),
        "{by_quarter}"
    );
    assert_eq!(by_quarter["groups"][0]["figures"]["sessions"], 2);
    let (_, own) = get(token(Role::Agent, "bob"), range.clone()).await;
    assert_eq!(own["groups"][0]["figures"]["sessions"], 1);
    let (_, none) = get(token(Role::Agent, "carl"), range.clone()).await;
    assert_eq!(none["groups"].as_array().unwrap().len(), 0);

    // Refused: customers, bad parameters.
    let (status, body) = get(customer_token("lea", "billing"), range.clone()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    for query in [
        format!("{range}&group_by=colour"),
        format!("{range}&interval=2h&group_by=interval"),
        "from=10&to=5".to_owned(),
        format!("{range}&sla=20"),
    ] {
        let (status, body) = get(token(Role::Service, "backend"), query.clone()).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("bad_request")),
            "{query}: {body}"
        );
    }
    let (status, _) = http(addr, "GET", "/v1/analytics", None, None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_supervisor_dashboard_gets_live_stats_without_asking_again() {
    let broker = start_with(routing_config()).await;
    let (sue, mut sue_events) = client(&broker, token(Role::Supervisor, "sue")).await;
    let now = sue.subscribe_stats().await.unwrap();
    assert_eq!(now.queues.len(), 3);
    assert!(now.sessions.is_empty());
    // A customer waits: the next push shows the queue and the session.
    let (_lea, _l, sid) = customer(&broker, "lea", "billing").await;
    let (queue, sessions) = wait_for(&mut sue_events, |e| match e {
        Event::Stats { overview, .. } => {
            let billing = overview
                .queues
                .iter()
                .find(|q| q.name == "billing")?
                .clone();
            (billing.waiting == 1).then_some((billing, overview.sessions.clone()))
        }
        _ => None,
    })
    .await;
    assert!(sessions.iter().any(|s| s.session_id == sid && s.waiting));
    assert!(queue.longest_wait_ms < 10_000);
    // Agents may not subscribe.
    let (bob, _b) = client(&broker, token(Role::Agent, "bob")).await;
    assert_eq!(rejected(bob.subscribe_stats().await), ErrorCode::Forbidden);
}

/// Serves one session of `sub` about billing through `bob`: in `mode`
/// (the customer consents to the upgrade), ended, rated `score`.
async fn serve(
    broker: &RunningBroker,
    bob: &Client,
    bob_events: &mut Events,
    sub: &str,
    mode: Mode,
    score: u8,
) {
    let (c, _events, sid) = customer(broker, sub, "billing").await;
    let offer = next_offer(bob_events).await;
    bob.accept_offer(&offer.offer_id).await.unwrap();
    if mode != Mode::Chat {
        let request = bob.request_mode(&sid, mode, false, None).await.unwrap();
        c.answer_mode(&sid, &request, true, None).await.unwrap();
    }
    c.end_session(&sid, None).await.unwrap();
    c.rate_session(&sid, score, None).await.unwrap();
}

#[tokio::test]
async fn the_recommended_mode_is_learned_from_how_sessions_ended_and_logged_for_staff() {
    let clock = clock();
    let mut config = routing_config();
    config.recommendation.resolution_window_secs = 3_600;
    config.recommendation.refresh_ms = 100;
    config.routing.invitation_rules = vec![seam_broker::InvitationRule {
        page_prefix: Some("/help".into()),
        after_ms: 100,
        mode: Mode::Video,
        recommended: true,
        topic: "Can we help?".into(),
        ..seam_broker::InvitationRule::default()
    }];
    let broker = start_with_clock(config, clock.clone()).await;
    let addr = broker.local_addr();
    let (bob, mut bob_events) = staff(&broker, Role::Agent, "bob", &["billing"], Some(10)).await;

    // Nothing learned yet: every mode about as likely, no evidence.
    let (zed, mut zed_events, zed_sid) = customer(&broker, "zed", "billing").await;
    let first = zed.recommend_mode(&zed_sid).await.unwrap();
    assert_eq!(first.issue_type.as_deref(), Some("billing"));
    assert_eq!(first.choices.len(), 3, "bob is free for voice and video");
    assert!(first.choices.iter().all(|c| c.sessions == 0));
    let sum: f64 = first.choices.iter().map(|c| c.probability).sum();
    assert!((sum - 1.0).abs() < 1e-9);
    // Asking again, nothing changed: the same recommendation, no new draw.
    assert_eq!(zed.recommend_mode(&zed_sid).await.unwrap(), first);
    let offer = next_offer(&mut bob_events).await;
    bob.accept_offer(&offer.offer_id).await.unwrap();
    let seen = drain_session_events(&mut bob_events, Duration::from_millis(200)).await;
    let logged: Vec<_> = seen
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::ModeRecommended { recommendation } => Some(recommendation),
            _ => None,
        })
        .collect();
    assert_eq!(logged, [&first], "one event, replayed to the agent");
    let zed_saw = drain_session_events(&mut zed_events, Duration::from_millis(100)).await;
    assert!(
        zed_saw
            .iter()
            .all(|e| !matches!(e.body, EventBody::ModeRecommended { .. })),
        "staff only: {zed_saw:?}"
    );
    zed.end_session(&zed_sid, None).await.unwrap();

    // Billing issues resolved by voice (rated 5, nobody came back) and
    // not by chat (rated 1).
    for (i, (mode, score)) in [(Mode::Voice, 5), (Mode::Chat, 1)]
        .into_iter()
        .cycle()
        .take(8)
        .enumerate()
    {
        serve(
            &broker,
            &bob,
            &mut bob_events,
            &format!("c{i}"),
            mode,
            score,
        )
        .await;
    }
    // Chat failed at once; voice is known to have worked once the
    // resolution window passed.
    clock.advance(3_600_001);
    let service = token(Role::Service, "backend");
    let (status, report) = http(addr, "GET", "/v1/analytics/modes", Some(&service), None).await;
    assert_eq!(status, 200, "{report}");
    let billing = report["issue_types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["issue_type"] == "billing")
        .unwrap();
    let arm = |mode: &str| {
        billing["modes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["mode"] == mode)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            arm("voice")["sessions"].as_u64(),
            arm("voice")["resolved"].as_u64()
        ),
        (Some(4), Some(4))
    );
    assert_eq!(
        (
            arm("chat")["sessions"].as_u64(),
            arm("chat")["resolved"].as_u64()
        ),
        (Some(5), Some(1)),
        "zed's chat, unrated and not repeated, resolved: {billing}"
    );
    assert!(
        arm("voice")["probability"].as_f64() > Some(0.5),
        "{billing}"
    );
    assert!(arm("chat")["agent_minutes"].is_number());
    let decisions = report["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), 1, "{report}");
    assert_eq!(decisions[0]["session_id"], zed_sid.as_str());
    assert_eq!(decisions[0]["used"], "chat");
    assert_eq!(decisions[0]["recommendation"]["mode"], first.mode.as_str());

    // The next customer is recommended voice, with the evidence.
    let (amy, _a, amy_sid) = customer(&broker, "amy", "billing").await;
    let next = amy.recommend_mode(&amy_sid).await.unwrap();
    assert_eq!(next.choices[0].mode, Mode::Voice, "{next:?}");
    let voice = &next.choices[0];
    assert_eq!((voice.sessions, voice.resolved), (4, 4));
    assert!(voice.probability > 0.5 && voice.probability <= 0.95);
    let chat = next.choices.iter().find(|c| c.mode == Mode::Chat).unwrap();
    assert_eq!((chat.sessions, chat.resolved), (5, 1));
    assert!(chat.probability >= 0.05);

    // Nobody free for a call: only chat can be offered.
    bob.set_status(AgentStatus::Away).await.unwrap();
    let (kim, _k, kim_sid) = customer(&broker, "kim", "billing").await;
    let only = kim.recommend_mode(&kim_sid).await.unwrap();
    assert_eq!((only.mode, only.probability), (Mode::Chat, 1.0));
    assert_eq!(only.choices.len(), 1);
    // A proactive invitation by a rule offers the recommended mode, not
    // the rule's video nobody could take now.
    let (vic, mut vic_events) = client(&broker, token(Role::Customer, "vic")).await;
    vic.page_view("/help/invoices", Some("billing"))
        .await
        .unwrap();
    clock.advance(100);
    let invitation = wait_for(&mut vic_events, |e| match e {
        Event::Invitation(i) => Some(i),
        _ => None,
    })
    .await;
    assert_eq!(
        (invitation.mode, invitation.topic.as_str()),
        (Mode::Chat, "Can we help?")
    );

    // Bad paths: clear errors, nothing stored.
    assert_eq!(
        rejected(kim.recommend_mode(&amy_sid).await),
        ErrorCode::NotYourSession
    );
    assert_eq!(
        rejected(kim.recommend_mode("s_nope").await),
        ErrorCode::SessionNotFound
    );
    assert_eq!(
        rejected(zed.recommend_mode(&zed_sid).await),
        ErrorCode::SessionEnded
    );
    let (svc, _s) = client(&broker, token(Role::Service, "backend")).await;
    assert_eq!(
        rejected(svc.recommend_mode(&kim_sid).await),
        ErrorCode::Forbidden
    );
    let (status, body) = http(
        addr,
        "GET",
        "/v1/analytics/modes",
        Some(&token(Role::Agent, "bob")),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    let (status, body) = http(
        addr,
        "GET",
        "/v1/analytics/modes?limit=5000",
        Some(&service),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
}
