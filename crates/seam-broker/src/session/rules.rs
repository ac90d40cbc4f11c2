//! What a command may do to a session: pure functions of the session's
//! [`SessionView`] and the command, producing the events to store (or the
//! reason to refuse). No I/O, no locks, no clock: the engine calls them
//! under the session's order, and the unit tests below call them directly.

use seam_protocol::{
    Access, Card, Choice, EventBody, LeaveReason, Mode, ModeRequest, Principal, QuickReply, Role,
    SessionEvent, SessionState, MAX_QUICK_REPLIES,
};

use super::{SessionError, SessionView};

/// The mode a participant wants, in `request_mode` or `set_mode`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedMode {
    /// The mode.
    pub mode: Mode,
    /// Screen sharing on or off.
    pub screen_share: bool,
    /// Why, for the other side and the transcript.
    pub reason: Option<String>,
}

/// Customers may only touch their own session.
pub fn check_owner(view: &SessionView, actor: &Principal) -> Result<(), SessionError> {
    if actor.role == Role::Customer && actor.sub != view.customer.sub {
        return Err(SessionError::NotYourSession);
    }
    Ok(())
}

/// The actor may post to the session: it is theirs (customers), open, and
/// they are in it.
pub fn check_can_post(view: &SessionView, actor: &Principal) -> Result<(), SessionError> {
    check_owner(view, actor)?;
    if view.state == SessionState::Ended {
        return Err(SessionError::Ended);
    }
    if !view.is_participant(&actor.sub) {
        return Err(SessionError::NotAParticipant);
    }
    Ok(())
}

/// How a connection attaches to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Joining {
    /// Monitoring without becoming a participant (supervisors).
    pub silent: bool,
    /// The actor accepted an offer for this session (queue, transfer,
    /// conference).
    pub offered: bool,
    /// Routing is on (queues are configured).
    pub routing: bool,
}

/// Attaching to a session, and who may. Customers: their own session.
/// Agents and bots: a session they are in or were in (to read it after it
/// ended), an offered one, or (with routing off) any open one. Supervisors:
/// any session, and each time they open one they are not in, an audit
/// event records it. What the actor joins as participant is stored.
pub fn join(
    view: &SessionView,
    actor: &Principal,
    how: Joining,
) -> Result<Vec<EventBody>, SessionError> {
    check_owner(view, actor)?;
    let joined = || EventBody::ParticipantJoined {
        participant: actor.clone(),
    };
    if view.is_participant(&actor.sub) {
        return Ok(Vec::new());
    }
    match actor.role {
        Role::Customer => Ok(if view.is_open() {
            vec![joined()]
        } else {
            Vec::new()
        }),
        Role::Agent | Role::Bot if !view.is_open() => {
            if view.agents.contains(&actor.sub) {
                Ok(Vec::new())
            } else {
                Err(SessionError::Forbidden(
                    "this session ended before you took part in it",
                ))
            }
        }
        Role::Agent | Role::Bot if how.offered || !how.routing => Ok(vec![joined()]),
        Role::Agent | Role::Bot => Err(SessionError::Forbidden(
            "routing is on: agents and bots join a session by accepting its offer",
        )),
        Role::Supervisor | Role::Service => {
            let access = if how.silent {
                Access::Monitor
            } else if view.is_open() {
                Access::Join
            } else {
                Access::Read
            };
            let audit = EventBody::StaffAccessed {
                by: actor.clone(),
                access,
            };
            Ok(if access == Access::Join {
                vec![audit, joined()]
            } else {
                vec![audit]
            })
        }
    }
}

/// What a message carries besides its text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageExtras {
    /// Buttons the customer may answer with (agents and bots).
    pub quick_replies: Vec<QuickReply>,
    /// A card (agents and bots).
    pub card: Option<Box<Card>>,
    /// The quick reply answered (customers).
    pub choice: Option<Choice>,
}

impl MessageExtras {
    /// Whether the extras are well formed, or why not: at most
    /// [`MAX_QUICK_REPLIES`] quick replies with unique, non-empty ids and
    /// labels of at most 100 characters; a card with a title, texts within
    /// `max_chars`, and `http(s)://` URLs.
    pub fn check(&self, max_chars: usize) -> Result<(), String> {
        if self.quick_replies.len() > MAX_QUICK_REPLIES {
            return Err(format!("at most {MAX_QUICK_REPLIES} quick replies"));
        }
        for (i, reply) in self.quick_replies.iter().enumerate() {
            if reply.id.trim().is_empty() || reply.id.len() > 64 {
                return Err("a quick reply needs an id of 1 to 64 bytes".into());
            }
            if reply.label.trim().is_empty() || reply.label.chars().count() > 100 {
                return Err("a quick reply needs a label of 1 to 100 characters".into());
            }
            if self.quick_replies[..i].iter().any(|r| r.id == reply.id) {
                return Err(format!("quick reply id `{}` is used twice", reply.id));
            }
        }
        if let Some(card) = &self.card {
            let too_long = [
                Some(&card.title),
                card.text.as_ref(),
                card.link_label.as_ref(),
            ]
            .into_iter()
            .flatten()
            .any(|t| t.chars().count() > max_chars);
            if card.title.trim().is_empty() || too_long {
                return Err(format!(
                    "a card needs a title, and its texts at most {max_chars} characters"
                ));
            }
            for url in [&card.image_url, &card.link_url].into_iter().flatten() {
                let web = url.starts_with("https://") || url.starts_with("http://");
                if !web || url.len() > 2048 || url.chars().any(char::is_whitespace) {
                    return Err(format!("card URL `{url}` must be http:// or https://"));
                }
            }
        }
        if let Some(choice) = &self.choice {
            if choice.id.is_empty() || choice.id.len() > 64 {
                return Err("a choice names a quick reply id of 1 to 64 bytes".into());
            }
        }
        Ok(())
    }
}

/// A chat message: customers may answer a quick reply (`choice`); agents
/// and bots may add quick replies and a card.
pub fn message(
    view: &SessionView,
    actor: &Principal,
    text: String,
    extras: MessageExtras,
) -> Result<Vec<EventBody>, SessionError> {
    check_can_post(view, actor)?;
    let customer = actor.role == Role::Customer;
    if customer && (!extras.quick_replies.is_empty() || extras.card.is_some()) {
        return Err(SessionError::Forbidden(
            "only agents and bots send quick replies and cards",
        ));
    }
    if let Some(choice) = &extras.choice {
        if !customer {
            return Err(SessionError::Forbidden(
                "only the customer answers a quick reply",
            ));
        }
        if choice.seq == 0 || choice.seq > view.last_seq {
            return Err(SessionError::Forbidden(
                "the choice must name a message of this session",
            ));
        }
    }
    Ok(vec![EventBody::Message {
        text,
        quick_replies: extras.quick_replies,
        card: extras.card,
        choice: extras.choice,
        edited: false,
        deleted: false,
    }])
}

/// What an edit or a deletion acts on, and the broker's window for it.
#[derive(Debug, Clone, Copy)]
pub struct Revision<'a> {
    /// The message's seq.
    pub seq: u64,
    /// The stored event at that seq, if any.
    pub target: Option<&'a SessionEvent>,
    /// Now, Unix milliseconds.
    pub now: u64,
    /// How long after sending its author may revise a message (0: never).
    pub window_ms: u64,
}

/// The author edits (`Some` text) or deletes (`None`) one of their
/// messages, within the window, while the session is open.
pub fn revise(
    view: &SessionView,
    actor: &Principal,
    revision: Revision<'_>,
    text: Option<String>,
) -> Result<Vec<EventBody>, SessionError> {
    check_can_post(view, actor)?;
    if revision.window_ms == 0 {
        return Err(SessionError::Forbidden(
            "editing and deleting messages is turned off on this broker",
        ));
    }
    let seq = revision.seq;
    let target = revision
        .target
        .filter(|e| e.seq == seq && matches!(e.body, EventBody::Message { .. }))
        .ok_or_else(|| SessionError::InvalidTarget(format!("no message with seq {seq}")))?;
    if target.from.sub != actor.sub {
        return Err(SessionError::Forbidden(
            "only its author may edit or delete a message",
        ));
    }
    if view.revised.get(&seq) == Some(&None) {
        return Err(SessionError::InvalidTarget(format!(
            "message {seq} was deleted"
        )));
    }
    if revision.now > target.at.saturating_add(revision.window_ms) {
        return Err(SessionError::Forbidden(
            "this message can no longer be edited or deleted: its edit window has passed",
        ));
    }
    Ok(vec![match text {
        Some(text) => EventBody::MessageEdited { seq, text },
        None => EventBody::MessageDeleted { seq },
    }])
}

/// A participant (not the customer) leaves without ending the session.
pub fn leave(view: &SessionView, actor: &Principal) -> Result<Vec<EventBody>, SessionError> {
    check_can_post(view, actor)?;
    Ok(vec![EventBody::ParticipantLeft {
        participant: actor.clone(),
        reason: None,
    }])
}

/// The broker takes out a participant whose connections were all gone
/// past the offline grace period.
pub fn leave_offline(
    view: &SessionView,
    actor: &Principal,
) -> Result<Vec<EventBody>, SessionError> {
    check_can_post(view, actor)?;
    Ok(vec![EventBody::ParticipantLeft {
        participant: actor.clone(),
        reason: Some(LeaveReason::Offline),
    }])
}

/// A participant ends the session for everyone.
pub fn end(
    view: &SessionView,
    actor: &Principal,
    reason: Option<String>,
) -> Result<Vec<EventBody>, SessionError> {
    check_can_post(view, actor)?;
    Ok(vec![EventBody::SessionEnded { reason }])
}

/// The broker's owner (admin API, erasure) ends the session; they need not
/// be a participant.
pub fn force_end(
    view: &SessionView,
    reason: Option<String>,
) -> Result<Vec<EventBody>, SessionError> {
    if !view.is_open() {
        return Err(SessionError::Ended);
    }
    Ok(vec![EventBody::SessionEnded { reason }])
}

/// The customer leaves a message to be answered by email, in their open
/// session that nobody serves yet (a bot or an agent there answers
/// instead).
pub fn offline_message(
    view: &SessionView,
    actor: &Principal,
    text: String,
    email: String,
    queue: Option<String>,
) -> Result<Vec<EventBody>, SessionError> {
    check_owner(view, actor)?;
    if !view.is_open() {
        return Err(SessionError::Ended);
    }
    if view.is_served() {
        return Err(SessionError::Forbidden(
            "someone is answering in your conversation: write to them there",
        ));
    }
    Ok(vec![EventBody::OfflineMessage { text, email, queue }])
}

/// An event the broker records itself (routing), while the session is open.
pub fn record(view: &SessionView, body: EventBody) -> Result<Vec<EventBody>, SessionError> {
    if !view.is_open() {
        return Err(SessionError::Ended);
    }
    Ok(vec![body])
}

/// The customer rates the ended session, once.
pub fn rate(
    view: &SessionView,
    actor: &Principal,
    score: u8,
    comment: Option<String>,
) -> Result<Vec<EventBody>, SessionError> {
    if actor.sub != view.customer.sub {
        return Err(SessionError::NotYourSession);
    }
    if view.is_open() {
        return Err(SessionError::NotEnded);
    }
    if view.rating.is_some() {
        return Err(SessionError::AlreadyRated);
    }
    Ok(vec![EventBody::Rated { score, comment }])
}

/// The id a mode request gets: named after the seq of its event, so a
/// repeated command can tell its original request id.
pub fn request_id_for(seq: u64) -> String {
    format!("mr-{seq}")
}

/// Asks the other side to upgrade the mode (or to add screen sharing).
pub fn request_mode(
    view: &SessionView,
    actor: &Principal,
    wanted: WantedMode,
    expires_at: u64,
) -> Result<Vec<EventBody>, SessionError> {
    check_can_post(view, actor)?;
    no_calls_for_bots(actor)?;
    let WantedMode {
        mode,
        screen_share,
        reason,
    } = wanted;
    if view.mode_request.is_some() {
        return Err(SessionError::RequestPending);
    }
    let adds_sharing = screen_share && !view.screen_share;
    if mode < view.mode || (mode == view.mode && !adds_sharing) {
        return Err(SessionError::InvalidModeChange(format!(
            "the session is already in {}{}; request a higher mode, or use set_mode to downgrade",
            view.mode,
            if view.screen_share {
                " with screen sharing"
            } else {
                ""
            }
        )));
    }
    if screen_share && !mode.is_media() {
        return Err(SessionError::InvalidModeChange(
            "screen sharing needs voice or video".into(),
        ));
    }
    Ok(vec![EventBody::ModeRequested {
        request: ModeRequest {
            request_id: request_id_for(view.last_seq + 1),
            mode,
            screen_share,
            requested_by: actor.clone(),
            expires_at,
        },
        reason,
    }])
}

/// Bots chat; voice and video are for people.
fn no_calls_for_bots(actor: &Principal) -> Result<(), SessionError> {
    if actor.role == Role::Bot {
        return Err(SessionError::Forbidden(
            "bots cannot take voice or video; hand off to an agent",
        ));
    }
    Ok(())
}

fn pending<'v>(view: &'v SessionView, request_id: &str) -> Result<&'v ModeRequest, SessionError> {
    view.mode_request
        .as_ref()
        .filter(|r| r.request_id == request_id)
        .ok_or(SessionError::RequestNotFound)
}

/// Customers on one side, everyone answering them on the other.
fn is_customer_side(role: Role) -> bool {
    role == Role::Customer
}

/// The other side accepts (the mode changes) or declines a request.
pub fn answer_mode(
    view: &SessionView,
    actor: &Principal,
    request_id: &str,
    accept: bool,
    reason: Option<String>,
) -> Result<Vec<EventBody>, SessionError> {
    check_can_post(view, actor)?;
    no_calls_for_bots(actor)?;
    let request = pending(view, request_id)?;
    if is_customer_side(request.requested_by.role) == is_customer_side(actor.role) {
        return Err(SessionError::NotYourRequest(
            "only the other side may answer a request",
        ));
    }
    Ok(vec![if accept {
        EventBody::ModeChanged {
            previous: view.mode,
            mode: request.mode,
            screen_share: request.screen_share || (view.screen_share && request.mode.is_media()),
            request_id: Some(request.request_id.clone()),
            reason,
        }
    } else {
        EventBody::ModeRequestDeclined {
            request_id: request.request_id.clone(),
            reason,
        }
    }])
}

/// The requester withdraws their own pending request.
pub fn cancel_mode_request(
    view: &SessionView,
    actor: &Principal,
    request_id: &str,
) -> Result<Vec<EventBody>, SessionError> {
    check_can_post(view, actor)?;
    let request = pending(view, request_id)?;
    if request.requested_by.sub != actor.sub {
        return Err(SessionError::NotYourRequest(
            "only the requester may cancel a request",
        ));
    }
    Ok(vec![EventBody::ModeRequestCancelled {
        request_id: request.request_id.clone(),
    }])
}

/// Downgrades the mode or stops screen sharing; needs no consent.
pub fn set_mode(
    view: &SessionView,
    actor: &Principal,
    wanted: WantedMode,
) -> Result<Vec<EventBody>, SessionError> {
    check_can_post(view, actor)?;
    let WantedMode {
        mode,
        screen_share,
        reason,
    } = wanted;
    let share = screen_share && mode.is_media();
    if mode > view.mode || (share && !view.screen_share) {
        return Err(SessionError::ConsentRequired);
    }
    if mode == view.mode && share == view.screen_share {
        return Err(SessionError::InvalidModeChange(format!(
            "the session is already in {mode}"
        )));
    }
    Ok(vec![EventBody::ModeChanged {
        previous: view.mode,
        mode,
        screen_share: share,
        request_id: None,
        reason,
    }])
}

/// The request `request_id` lapsed: recorded if it is still pending.
pub fn expire_request(view: &SessionView, request_id: &str) -> Vec<EventBody> {
    match pending(view, request_id) {
        Ok(request) if view.is_open() => vec![EventBody::ModeRequestExpired {
            request_id: request.request_id.clone(),
        }],
        _ => Vec::new(),
    }
}

/// Who asked for the pending request `request_id`.
pub fn requester(view: &SessionView, request_id: &str) -> Option<Principal> {
    pending(view, request_id)
        .ok()
        .map(|r| r.requested_by.clone())
}

/// Signaling: only between participants, only during a call. Whether the
/// target is connected is the hub's to say.
pub fn signal(view: &SessionView, actor: &Principal, to: &str) -> Result<(), SessionError> {
    check_can_post(view, actor)?;
    if !view.mode.is_media() {
        return Err(SessionError::NotInCall);
    }
    if !view.is_participant(to) {
        return Err(SessionError::TargetNotFound);
    }
    Ok(())
}

/// A whisper or note: staff only, by a participant or a supervisor who is
/// monitoring (`attached`).
pub fn staff_post(
    view: &SessionView,
    actor: &Principal,
    body: EventBody,
    attached: bool,
) -> Result<Vec<EventBody>, SessionError> {
    if !view.is_open() {
        return Err(SessionError::Ended);
    }
    if !view.is_participant(&actor.sub) && !attached {
        return Err(SessionError::NotAParticipant);
    }
    Ok(vec![body])
}

/// Hands the session on: `transferred` (or `handed_off`), the note for the
/// next agent (staff only), and the actor leaving unless it is the customer.
pub fn hand_on(
    view: &SessionView,
    actor: &Principal,
    body: EventBody,
    note: Option<String>,
) -> Result<Vec<EventBody>, SessionError> {
    check_can_post(view, actor)?;
    let mut bodies = vec![body];
    bodies.extend(note.map(|text| EventBody::Note { text }));
    if actor.role != Role::Customer {
        bodies.push(EventBody::ParticipantLeft {
            participant: actor.clone(),
            reason: None,
        });
    }
    Ok(bodies)
}

#[cfg(test)]
mod tests {
    use seam_protocol::{CustomerContext, SessionEvent};

    use super::*;
    use crate::session::SessionRecord;

    fn who(sub: &str, role: Role) -> Principal {
        Principal {
            sub: sub.into(),
            role,
            name: None,
        }
    }

    fn alice() -> Principal {
        who("alice", Role::Customer)
    }

    fn bob() -> Principal {
        who("bob", Role::Agent)
    }

    /// A session of alice's with these events applied after `session_opened`.
    fn view_after(bodies: Vec<(Principal, EventBody)>) -> SessionView {
        let record = SessionRecord {
            session_id: "s1".into(),
            epoch: "e".into(),
            customer: alice(),
            context: CustomerContext::default(),
            created_at: 1,
        };
        let mut view = SessionView::new(&record);
        let opened = (
            alice(),
            EventBody::SessionOpened {
                context: CustomerContext::default(),
            },
        );
        for (i, (from, body)) in std::iter::once(opened).chain(bodies).enumerate() {
            view.apply(&SessionEvent {
                session_id: "s1".into(),
                seq: i as u64 + 1,
                at: 10 + i as u64,
                from,
                client_id: None,
                body,
            });
        }
        view
    }

    fn with_bob() -> SessionView {
        view_after(vec![(
            bob(),
            EventBody::ParticipantJoined { participant: bob() },
        )])
    }

    fn video() -> WantedMode {
        WantedMode {
            mode: Mode::Video,
            screen_share: false,
            reason: None,
        }
    }

    #[test]
    fn only_participants_of_open_sessions_post_and_customers_only_their_own() {
        let view = with_bob();
        assert!(message(&view, &alice(), "hi".into(), MessageExtras::default()).is_ok());
        assert!(message(&view, &bob(), "hi".into(), MessageExtras::default()).is_ok());
        assert!(matches!(
            message(
                &view,
                &who("carol", Role::Customer),
                "hi".into(),
                MessageExtras::default()
            ),
            Err(SessionError::NotYourSession)
        ));
        assert!(matches!(
            message(
                &view,
                &who("dave", Role::Agent),
                "hi".into(),
                MessageExtras::default()
            ),
            Err(SessionError::NotAParticipant)
        ));
        let ended = view_after(vec![(alice(), EventBody::SessionEnded { reason: None })]);
        assert!(matches!(
            message(&ended, &alice(), "hi".into(), MessageExtras::default()),
            Err(SessionError::Ended)
        ));
    }

    #[test]
    fn quick_replies_and_cards_are_for_staff_and_choices_for_the_customer() {
        let view = with_bob();
        let buttons = MessageExtras {
            quick_replies: vec![QuickReply {
                id: "hours".into(),
                label: "Opening hours".into(),
            }],
            ..MessageExtras::default()
        };
        assert!(message(&view, &bob(), "Pick one".into(), buttons.clone()).is_ok());
        assert!(matches!(
            message(&view, &alice(), "Pick one".into(), buttons),
            Err(SessionError::Forbidden(_))
        ));
        let choice = |seq| MessageExtras {
            choice: Some(Choice {
                seq,
                id: "hours".into(),
            }),
            ..MessageExtras::default()
        };
        assert!(message(&view, &alice(), "Opening hours".into(), choice(1)).is_ok());
        for (who, seq) in [(bob(), 1), (alice(), 0), (alice(), view.last_seq + 1)] {
            assert!(matches!(
                message(&view, &who, "x".into(), choice(seq)),
                Err(SessionError::Forbidden(_))
            ));
        }
    }

    #[test]
    fn malformed_extras_are_refused_with_a_reason() {
        let reply = |id: &str, label: &str| QuickReply {
            id: id.into(),
            label: label.into(),
        };
        let card = |title: &str, url: &str| {
            Some(Box::new(Card {
                title: title.into(),
                text: None,
                image_url: Some(url.into()),
                link_url: None,
                link_label: None,
            }))
        };
        let bad = [
            MessageExtras {
                quick_replies: (0..11).map(|i| reply(&i.to_string(), "x")).collect(),
                ..MessageExtras::default()
            },
            MessageExtras {
                quick_replies: vec![reply("a", "x"), reply("a", "y")],
                ..MessageExtras::default()
            },
            MessageExtras {
                quick_replies: vec![reply("a", " ")],
                ..MessageExtras::default()
            },
            MessageExtras {
                card: card("Title", "javascript:alert(1)"),
                ..MessageExtras::default()
            },
            MessageExtras {
                card: card(" ", "https://example.com/x.png"),
                ..MessageExtras::default()
            },
        ];
        for extras in bad {
            assert!(extras.check(8192).is_err(), "{extras:?}");
        }
        let good = MessageExtras {
            quick_replies: vec![reply("a", "Yes"), reply("b", "No")],
            card: card("Order A-17", "https://shop.example/a17.png"),
            choice: None,
        };
        assert!(good.check(8192).is_ok());
    }

    fn by_id(routing: bool) -> Joining {
        Joining {
            silent: false,
            offered: false,
            routing,
        }
    }

    #[test]
    fn joining_follows_the_policy_of_each_role() {
        let view = view_after(vec![]);
        // Agents: by id only with routing off; through an offer always.
        assert_eq!(join(&view, &bob(), by_id(false)).unwrap().len(), 1);
        assert!(matches!(
            join(&view, &bob(), by_id(true)),
            Err(SessionError::Forbidden(_))
        ));
        let offered = Joining {
            offered: true,
            ..by_id(true)
        };
        assert_eq!(join(&view, &bob(), offered).unwrap().len(), 1);
        // Once in, a resume stores nothing.
        assert!(join(&with_bob(), &bob(), by_id(true)).unwrap().is_empty());
        // Ended: only those who took part read it.
        let ended = view_after(vec![
            (bob(), EventBody::ParticipantJoined { participant: bob() }),
            (
                bob(),
                EventBody::ParticipantLeft {
                    participant: bob(),
                    reason: None,
                },
            ),
            (alice(), EventBody::SessionEnded { reason: None }),
        ]);
        assert!(join(&ended, &bob(), by_id(false)).unwrap().is_empty());
        assert!(matches!(
            join(&ended, &who("dave", Role::Agent), by_id(false)),
            Err(SessionError::Forbidden(_))
        ));
        // Supervisors: anything, audited.
        let sue = who("sue", Role::Supervisor);
        let monitor = Joining {
            silent: true,
            ..by_id(true)
        };
        assert!(matches!(
            join(&view, &sue, monitor).unwrap()[..],
            [EventBody::StaffAccessed {
                access: Access::Monitor,
                ..
            }]
        ));
        assert!(matches!(
            join(&view, &sue, by_id(true)).unwrap()[..],
            [
                EventBody::StaffAccessed {
                    access: Access::Join,
                    ..
                },
                EventBody::ParticipantJoined { .. }
            ]
        ));
        assert!(matches!(
            join(&ended, &sue, by_id(true)).unwrap()[..],
            [EventBody::StaffAccessed {
                access: Access::Read,
                ..
            }]
        ));
        // Customers: their own only.
        assert!(matches!(
            join(&view, &who("carol", Role::Customer), by_id(false)),
            Err(SessionError::NotYourSession)
        ));
    }

    #[test]
    fn bots_take_no_calls() {
        let bot = who("botty", Role::Bot);
        let view = view_after(vec![(
            bot.clone(),
            EventBody::ParticipantJoined {
                participant: bot.clone(),
            },
        )]);
        assert!(matches!(
            request_mode(&view, &bot, video(), 1),
            Err(SessionError::Forbidden(_))
        ));
    }

    #[test]
    fn an_upgrade_needs_a_request_that_the_other_side_answers() {
        let view = with_bob();
        assert!(matches!(
            set_mode(&view, &alice(), video()),
            Err(SessionError::ConsentRequired)
        ));
        let requested = request_mode(&view, &alice(), video(), 99).unwrap();
        let EventBody::ModeRequested { request, .. } = &requested[0] else {
            panic!("expected a request, got {requested:?}");
        };
        assert_eq!(request.request_id, "mr-3");
        let pending = view_after(vec![
            (bob(), EventBody::ParticipantJoined { participant: bob() }),
            (alice(), requested[0].clone()),
        ]);
        assert!(matches!(
            request_mode(&pending, &bob(), video(), 99),
            Err(SessionError::RequestPending)
        ));
        assert!(matches!(
            answer_mode(&pending, &alice(), "mr-3", true, None),
            Err(SessionError::NotYourRequest(_))
        ));
        assert!(matches!(
            answer_mode(&pending, &bob(), "mr-9", true, None),
            Err(SessionError::RequestNotFound)
        ));
        assert!(matches!(
            cancel_mode_request(&pending, &bob(), "mr-3"),
            Err(SessionError::NotYourRequest(_))
        ));
        let accepted = answer_mode(&pending, &bob(), "mr-3", true, None).unwrap();
        assert!(matches!(
            accepted[0],
            EventBody::ModeChanged {
                previous: Mode::Chat,
                mode: Mode::Video,
                ..
            }
        ));
        assert_eq!(expire_request(&pending, "mr-3").len(), 1);
        assert!(expire_request(&with_bob(), "mr-3").is_empty());
    }

    #[test]
    fn downgrades_need_no_consent_but_must_change_something() {
        let in_video = view_after(vec![
            (bob(), EventBody::ParticipantJoined { participant: bob() }),
            (
                bob(),
                EventBody::ModeChanged {
                    previous: Mode::Chat,
                    mode: Mode::Video,
                    screen_share: false,
                    request_id: None,
                    reason: None,
                },
            ),
        ]);
        assert_eq!(in_video.call_in_progress(), Some(1));
        let chat = WantedMode {
            mode: Mode::Chat,
            ..video()
        };
        assert!(set_mode(&in_video, &alice(), chat).is_ok());
        assert!(matches!(
            set_mode(&in_video, &alice(), video()),
            Err(SessionError::InvalidModeChange(_))
        ));
        assert!(matches!(
            request_mode(&in_video, &alice(), video(), 1),
            Err(SessionError::InvalidModeChange(_))
        ));
        let sharing = WantedMode {
            screen_share: true,
            ..video()
        };
        assert!(request_mode(&in_video, &alice(), sharing, 1).is_ok());
    }

    #[test]
    fn signals_flow_only_between_participants_during_a_call() {
        assert!(matches!(
            signal(&with_bob(), &alice(), "bob"),
            Err(SessionError::NotInCall)
        ));
        let in_voice = view_after(vec![
            (bob(), EventBody::ParticipantJoined { participant: bob() }),
            (
                bob(),
                EventBody::ModeChanged {
                    previous: Mode::Chat,
                    mode: Mode::Voice,
                    screen_share: false,
                    request_id: None,
                    reason: None,
                },
            ),
        ]);
        assert!(signal(&in_voice, &alice(), "bob").is_ok());
        assert!(matches!(
            signal(&in_voice, &alice(), "mallory"),
            Err(SessionError::TargetNotFound)
        ));
    }

    #[test]
    fn only_the_customer_rates_an_ended_session_once() {
        let open = with_bob();
        assert!(matches!(
            rate(&open, &alice(), 5, None),
            Err(SessionError::NotEnded)
        ));
        let ended = view_after(vec![(alice(), EventBody::SessionEnded { reason: None })]);
        assert!(matches!(
            rate(&ended, &bob(), 5, None),
            Err(SessionError::NotYourSession)
        ));
        assert!(rate(&ended, &alice(), 5, None).is_ok());
        let rated = view_after(vec![
            (alice(), EventBody::SessionEnded { reason: None }),
            (
                alice(),
                EventBody::Rated {
                    score: 4,
                    comment: None,
                },
            ),
        ]);
        assert!(matches!(
            rate(&rated, &alice(), 5, None),
            Err(SessionError::AlreadyRated)
        ));
        assert_eq!(rated.summary().rating.map(|r| r.score), Some(4));
    }

    #[test]
    fn a_transfer_stores_the_hand_on_the_note_and_the_agent_leaving() {
        let body = EventBody::Transferred {
            to: seam_protocol::TransferTarget::Queue("vip".into()),
        };
        let bodies = hand_on(&with_bob(), &bob(), body, Some("pay attention".into())).unwrap();
        assert_eq!(bodies.len(), 3);
        assert!(matches!(bodies[2], EventBody::ParticipantLeft { .. }));
        let mut view = with_bob();
        for (i, body) in bodies.into_iter().enumerate() {
            view.apply(&SessionEvent {
                session_id: "s1".into(),
                seq: 3 + i as u64,
                at: 0,
                from: bob(),
                client_id: None,
                body,
            });
        }
        assert_eq!(view.queue.as_deref(), Some("vip"));
        assert_eq!(view.participants, vec![alice()]);
        assert_eq!(view.agents, vec!["bob".to_owned()]);
    }

    #[test]
    fn staff_posts_need_a_participant_or_a_monitoring_supervisor() {
        let note = EventBody::Note { text: "x".into() };
        let sup = who("sue", Role::Supervisor);
        assert!(matches!(
            staff_post(&with_bob(), &sup, note.clone(), false),
            Err(SessionError::NotAParticipant)
        ));
        assert!(staff_post(&with_bob(), &sup, note.clone(), true).is_ok());
        assert!(force_end(&with_bob(), None).is_ok());
        let ended = view_after(vec![(alice(), EventBody::SessionEnded { reason: None })]);
        assert!(matches!(force_end(&ended, None), Err(SessionError::Ended)));
        assert!(matches!(record(&ended, note), Err(SessionError::Ended)));
    }

    #[test]
    fn a_run_hands_the_store_a_listing_only_when_it_changes_one() {
        let events = |bodies: Vec<EventBody>| -> Vec<SessionEvent> {
            bodies
                .into_iter()
                .enumerate()
                .map(|(i, body)| SessionEvent {
                    session_id: "s1".into(),
                    seq: 3 + i as u64,
                    at: 9,
                    from: bob(),
                    client_id: None,
                    body,
                })
                .collect()
        };
        let queued = |q: &str| EventBody::Queued { queue: q.into() };
        let view = with_bob();
        // Messages, a join of someone listed already: only last_seq moves.
        let plain = events(vec![
            EventBody::message("a"),
            EventBody::ParticipantJoined { participant: bob() },
        ]);
        assert_eq!(view.listing_after(&plain), None);
        // A change after plain events is found, and the listing is the one
        // after the whole run (the later queue wins).
        let moved = events(vec![
            EventBody::message("a"),
            queued("billing"),
            queued("vip"),
        ]);
        let listing = view.listing_after(&moved).unwrap();
        assert_eq!(listing.queue.as_deref(), Some("vip"));
        assert_eq!(listing.last_seq, 5);
        assert_eq!(listing.agents, vec!["bob".to_owned()]);
        // The same queue again changes nothing listed.
        let mut in_billing = view.clone();
        for event in &events(vec![queued("billing")]) {
            in_billing.apply(event);
        }
        assert_eq!(
            in_billing.listing_after(&events(vec![queued("billing")])),
            None
        );
        // Every run: a listing exactly when the folded summary differs in
        // more than last_seq, and then the folded summary.
        let runs = [
            vec![EventBody::SessionEnded { reason: None }],
            vec![EventBody::Rated {
                score: 3,
                comment: None,
            }],
            vec![EventBody::ParticipantJoined {
                participant: who("carl", Role::Agent),
            }],
            vec![EventBody::ParticipantJoined {
                participant: who("dora", Role::Customer),
            }],
            vec![EventBody::Transferred {
                to: seam_protocol::TransferTarget::Queue("vip".into()),
            }],
            vec![
                EventBody::message("b"),
                EventBody::Note { text: "n".into() },
            ],
        ];
        for bodies in runs {
            let run = events(bodies);
            let mut folded = view.clone();
            for event in &run {
                folded.apply(event);
            }
            let mut before = view.summary();
            before.last_seq = folded.last_seq;
            let after = folded.summary();
            let expected = (after != before).then_some(after);
            assert_eq!(view.listing_after(&run), expected, "{run:?}");
        }
    }
}
