//! One live session: its participants, a window of its event log, the
//! connections attached to it, and the rules for changing it.
//!
//! All changes to a session happen under its lock, in this order: check,
//! assign the next `seq`, write through the store, then fan the serialized
//! frame out to every attached connection. So every connection sees a
//! session's events in `seq` order, and nothing is acknowledged that the
//! store has not taken.

use std::collections::{HashMap, VecDeque};

use axum::extract::ws::Utf8Bytes;
use seam_protocol::{
    Ack, CustomerContext, EventBody, Mode, ModeRequest, Principal, ResumeOutcome, Role,
    ServerFrame, SessionEvent, SessionId, SessionSnapshot, SessionState, Signal, SignalTarget,
    TransferTarget,
};
use tokio::sync::{Mutex, MutexGuard};

use crate::clock::now_millis;
use crate::outbox::{Outbound, Outbox};
use crate::store::{SessionRecord, SessionStore, StoreError, StoredSession};
use crate::webhook::WebhookPolicy;
use std::sync::Arc;

/// Why a session refused a command.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// A customer addressed another customer's session.
    #[error("this session belongs to another customer")]
    NotYourSession,
    /// The actor has not joined the session.
    #[error("you are not a participant of this session; join it first")]
    NotAParticipant,
    /// The session has ended.
    #[error("the session has ended")]
    Ended,
    /// Another mode request is pending.
    #[error("another mode request is pending; answer or cancel it first")]
    RequestPending,
    /// No pending request has this id.
    #[error("no pending mode request with this id (answered, cancelled or expired)")]
    RequestNotFound,
    /// The actor may not answer or cancel this request.
    #[error("{0}")]
    NotYourRequest(&'static str),
    /// The mode change makes no sense from the current mode.
    #[error("{0}")]
    InvalidModeChange(String),
    /// An upgrade attempted without consent.
    #[error("an upgrade needs the other side's consent: use request_mode")]
    ConsentRequired,
    /// Signaling outside a call.
    #[error("the session is not in a voice or video call")]
    NotInCall,
    /// Nobody to deliver a signal to.
    #[error("the target is not a connected participant of this session")]
    TargetNotFound,
    /// Rating an open session.
    #[error("only an ended session can be rated")]
    NotEnded,
    /// Rating twice.
    #[error("this session was already rated")]
    AlreadyRated,
    /// The store refused the event.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The result of posting an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posted {
    /// The event's sequence number.
    pub seq: u64,
    /// True when the command id had already been applied.
    pub duplicate: bool,
    /// True when this event took the session from chat into a call.
    pub call_started: bool,
}

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

/// How a connection attaches to a session (`join`, `open_session`, `monitor`).
#[derive(Debug, Clone, Copy)]
pub struct Attach<'a> {
    /// The command to acknowledge.
    pub ack_id: &'a str,
    /// Replay events after this seq (all when `None`).
    pub after_seq: Option<u64>,
    /// The epoch `after_seq` belongs to.
    pub epoch: Option<&'a str>,
    /// Monitor without becoming a participant (supervisors).
    pub silent: bool,
}

impl<'a> Attach<'a> {
    /// A plain join or resume.
    pub fn join(ack_id: &'a str, after_seq: Option<u64>, epoch: Option<&'a str>) -> Attach<'a> {
        Attach {
            ack_id,
            after_seq,
            epoch,
            silent: false,
        }
    }
}

/// A connection attached to a session.
#[derive(Debug)]
struct Subscriber {
    sub: String,
    /// Sees staff-only events (whispers, notes).
    staff: bool,
    outbox: Outbox,
}

/// One stored event as kept in memory: its serialized frame and the
/// command that produced it (for idempotency).
#[derive(Debug)]
struct LogEntry {
    seq: u64,
    command: Option<(String, String)>,
    staff_only: bool,
    frame: Utf8Bytes,
}

#[derive(Debug)]
pub(crate) struct Inner {
    state: SessionState,
    participants: Vec<Principal>,
    last_seq: u64,
    log: VecDeque<LogEntry>,
    /// sub -> command id -> seq, for every command still in `log`.
    applied: HashMap<String, HashMap<String, u64>>,
    subscribers: Vec<Subscriber>,
    mode: Mode,
    screen_share: bool,
    mode_request: Option<ModeRequest>,
    /// The queue the session waits in or last came through.
    queue: Option<String>,
    /// Whether the customer rated the session.
    rated: bool,
    /// Counts calls: incremented each time the session goes from chat into
    /// voice or video, so timers of an earlier call can tell it is over.
    call: u64,
}

/// A live session.
#[derive(Debug)]
pub struct Session {
    id: SessionId,
    epoch: String,
    customer: Principal,
    context: CustomerContext,
    created_at: u64,
    history_limit: usize,
    webhooks: Arc<WebhookPolicy>,
    inner: Mutex<Inner>,
}

impl Session {
    /// A new session whose log holds only its `session_opened` event.
    /// Returns the session, its store record and that first event.
    pub fn open(
        id: SessionId,
        epoch: String,
        customer: Principal,
        context: CustomerContext,
        client_id: &str,
        history_limit: usize,
        webhooks: Arc<WebhookPolicy>,
    ) -> (Session, SessionRecord, SessionEvent) {
        let created_at = now_millis();
        let record = SessionRecord {
            session_id: id.clone(),
            epoch: epoch.clone(),
            customer: customer.clone(),
            context: context.clone(),
            created_at,
        };
        let first = SessionEvent {
            session_id: id.clone(),
            seq: 1,
            at: created_at,
            from: customer.clone(),
            client_id: Some(client_id.to_owned()),
            body: EventBody::SessionOpened {
                context: context.clone(),
            },
        };
        let session = Session::from_stored(
            StoredSession {
                record: record.clone(),
                events: vec![first.clone()],
            },
            history_limit,
            webhooks,
        );
        (session, record, first)
    }

    /// Rebuilds a session from what a store returned.
    pub fn from_stored(
        stored: StoredSession,
        history_limit: usize,
        webhooks: Arc<WebhookPolicy>,
    ) -> Session {
        let record = stored.record;
        let mut inner = Inner {
            state: SessionState::Open,
            participants: vec![record.customer.clone()],
            last_seq: 0,
            log: VecDeque::new(),
            applied: HashMap::new(),
            subscribers: Vec::new(),
            mode: Mode::Chat,
            screen_share: false,
            mode_request: None,
            queue: None,
            rated: false,
            call: 0,
        };
        for event in stored.events {
            inner.apply(event, history_limit);
        }
        Session {
            id: record.session_id,
            epoch: record.epoch,
            customer: record.customer,
            context: record.context,
            created_at: record.created_at,
            history_limit: history_limit.max(1),
            webhooks,
            inner: Mutex::new(inner),
        }
    }

    /// The session's id.
    pub fn id(&self) -> &SessionId {
        &self.id
    }

    /// The customer it belongs to.
    pub fn customer(&self) -> &Principal {
        &self.customer
    }

    /// What the customer came for.
    pub fn context(&self) -> &CustomerContext {
        &self.context
    }

    /// Whether `sub` is a participant.
    pub async fn is_participant(&self, sub: &str) -> bool {
        self.inner.lock().await.is_participant(sub)
    }

    /// Whether `actor` may end the session now (owner, participant, open).
    pub async fn may_end(&self, actor: &Principal) -> Result<(), SessionError> {
        self.check_owner(actor)?;
        self.inner.lock().await.check_can_post(&actor.sub)
    }

    /// Whether the session is still open.
    pub async fn is_open(&self) -> bool {
        self.inner.lock().await.state == SessionState::Open
    }

    /// Locks the session before it is published, so that nobody can use it
    /// until its creation is durable.
    pub(crate) fn lock_new(&self) -> Option<MutexGuard<'_, Inner>> {
        self.inner.try_lock().ok()
    }

    /// Attaches a connection: joins `actor` as a participant if needed (and
    /// allowed), then queues the ack `ack_id` followed by every event after
    /// `after_seq`, in one piece, before any later live event.
    pub async fn attach(
        &self,
        actor: &Principal,
        outbox: &Outbox,
        how: Attach<'_>,
        store: &dyn SessionStore,
    ) -> Result<(), SessionError> {
        let Attach {
            ack_id,
            after_seq,
            epoch,
            silent,
        } = how;
        self.check_owner(actor)?;
        let staff = actor.role != Role::Customer;
        let mut inner = self.inner.lock().await;
        let is_participant = inner.is_participant(&actor.sub);
        if !is_participant && !silent && inner.state == SessionState::Open {
            let body = EventBody::ParticipantJoined {
                participant: actor.clone(),
            };
            self.append(&mut inner, actor, None, body, store).await?;
        }

        let first_available = inner.log.front().map_or(inner.last_seq + 1, |e| e.seq);
        let (from_seq, outcome): (u64, fn(u64, u64) -> ResumeOutcome) = match (epoch, after_seq) {
            (Some(e), _) if e != self.epoch => (0, |_, replayed| ResumeOutcome::Reset { replayed }),
            (_, after) => {
                let after = after.unwrap_or(0);
                if after + 1 < first_available {
                    (after, |first_available_seq, replayed| {
                        ResumeOutcome::Truncated {
                            first_available_seq,
                            replayed,
                        }
                    })
                } else {
                    (after, |_, replayed| ResumeOutcome::Complete { replayed })
                }
            }
        };
        let replay: Vec<Utf8Bytes> = inner
            .log
            .iter()
            .filter(|e| e.seq > from_seq && (staff || !e.staff_only))
            .map(|e| e.frame.clone())
            .collect();
        let ack = ServerFrame::Ack(Ack {
            id: ack_id.to_owned(),
            session_id: Some(self.id.clone()),
            session: Some(Box::new(self.snapshot(&inner))),
            resume: Some(outcome(first_available, replay.len() as u64)),
            ..Ack::default()
        });
        let mut batch = Vec::with_capacity(replay.len() + 1);
        batch.push(Utf8Bytes::from(ack.to_json()));
        batch.extend(replay);
        inner
            .subscribers
            .retain(|s| s.outbox.conn_id() != outbox.conn_id());
        if outbox.push(Outbound::Batch(batch)) {
            inner.subscribers.push(Subscriber {
                sub: actor.sub.clone(),
                staff,
                outbox: outbox.clone(),
            });
        }
        Ok(())
    }

    /// Detaches a connection (it closed or left).
    pub async fn detach(&self, conn_id: u64) {
        let mut inner = self.inner.lock().await;
        inner.subscribers.retain(|s| s.outbox.conn_id() != conn_id);
    }

    /// Posts a chat message.
    pub async fn message(
        &self,
        actor: &Principal,
        command_id: &str,
        text: String,
        store: &dyn SessionStore,
    ) -> Result<Posted, SessionError> {
        self.post(actor, command_id, store, |_| {
            Ok(EventBody::Message { text })
        })
        .await
    }

    /// Removes a participant (not the customer) without ending the session.
    /// Their connections stop receiving the session's events.
    pub async fn leave(
        &self,
        actor: &Principal,
        command_id: &str,
        store: &dyn SessionStore,
    ) -> Result<Posted, SessionError> {
        let body = EventBody::ParticipantLeft {
            participant: actor.clone(),
        };
        self.post(actor, command_id, store, |_| Ok(body)).await
    }

    /// Ends the session for everyone.
    pub async fn end(
        &self,
        actor: &Principal,
        command_id: &str,
        reason: Option<String>,
        store: &dyn SessionStore,
    ) -> Result<Posted, SessionError> {
        self.post(actor, command_id, store, |_| {
            Ok(EventBody::SessionEnded { reason })
        })
        .await
    }

    /// Relays a typing indicator to every other attached connection.
    pub async fn typing(
        &self,
        actor: &Principal,
        from_conn: u64,
        active: bool,
    ) -> Result<(), SessionError> {
        self.check_owner(actor)?;
        let inner = self.inner.lock().await;
        inner.check_can_post(&actor.sub)?;
        let frame = Utf8Bytes::from(
            ServerFrame::Typing {
                session_id: self.id.clone(),
                from: actor.clone(),
                active,
            }
            .to_json(),
        );
        for s in inner
            .subscribers
            .iter()
            .filter(|s| s.outbox.conn_id() != from_conn)
        {
            s.outbox.offer(frame.clone());
        }
        Ok(())
    }

    /// Asks the other side to upgrade the session's mode. The request
    /// expires at `expires_at` (Unix ms) unless answered or cancelled.
    pub async fn request_mode(
        &self,
        actor: &Principal,
        command_id: &str,
        wanted: WantedMode,
        expires_at: u64,
        store: &dyn SessionStore,
    ) -> Result<(Posted, String), SessionError> {
        let WantedMode {
            mode,
            screen_share,
            reason,
        } = wanted;
        let mut request_id = String::new();
        let posted = self
            .post(actor, command_id, store, |inner| {
                if inner.mode_request.is_some() {
                    return Err(SessionError::RequestPending);
                }
                let adds_sharing = screen_share && !inner.screen_share;
                if mode < inner.mode || (mode == inner.mode && !adds_sharing) {
                    return Err(SessionError::InvalidModeChange(format!(
                        "the session is already in {}{}; request a higher mode, or use set_mode to downgrade",
                        inner.mode,
                        if inner.screen_share { " with screen sharing" } else { "" }
                    )));
                }
                if screen_share && !mode.is_media() {
                    return Err(SessionError::InvalidModeChange(
                        "screen sharing needs voice or video".into(),
                    ));
                }
                request_id = format!("mr-{}", inner.last_seq + 1);
                Ok(EventBody::ModeRequested {
                    request: ModeRequest {
                        request_id: request_id.clone(),
                        mode,
                        screen_share,
                        requested_by: actor.clone(),
                        expires_at,
                    },
                    reason,
                })
            })
            .await?;
        if posted.duplicate {
            request_id = format!("mr-{}", posted.seq);
        }
        Ok((posted, request_id))
    }

    /// Accepts (the mode changes) or declines the other side's request.
    pub async fn answer_mode(
        &self,
        actor: &Principal,
        command_id: &str,
        request_id: &str,
        accept: bool,
        reason: Option<String>,
        store: &dyn SessionStore,
    ) -> Result<Posted, SessionError> {
        self.post(actor, command_id, store, |inner| {
            let request = inner.pending(request_id)?;
            if is_customer_side(request.requested_by.role) == is_customer_side(actor.role) {
                return Err(SessionError::NotYourRequest(
                    "only the other side may answer a request",
                ));
            }
            Ok(if accept {
                EventBody::ModeChanged {
                    previous: inner.mode,
                    mode: request.mode,
                    screen_share: request.screen_share
                        || (inner.screen_share && request.mode.is_media()),
                    request_id: Some(request.request_id.clone()),
                    reason,
                }
            } else {
                EventBody::ModeRequestDeclined {
                    request_id: request.request_id.clone(),
                    reason,
                }
            })
        })
        .await
    }

    /// Withdraws the actor's own pending request.
    pub async fn cancel_mode_request(
        &self,
        actor: &Principal,
        command_id: &str,
        request_id: &str,
        store: &dyn SessionStore,
    ) -> Result<Posted, SessionError> {
        self.post(actor, command_id, store, |inner| {
            let request = inner.pending(request_id)?;
            if request.requested_by.sub != actor.sub {
                return Err(SessionError::NotYourRequest(
                    "only the requester may cancel a request",
                ));
            }
            Ok(EventBody::ModeRequestCancelled {
                request_id: request.request_id.clone(),
            })
        })
        .await
    }

    /// Downgrades the mode or stops screen sharing; needs no consent.
    pub async fn set_mode(
        &self,
        actor: &Principal,
        command_id: &str,
        wanted: WantedMode,
        store: &dyn SessionStore,
    ) -> Result<Posted, SessionError> {
        let WantedMode {
            mode,
            screen_share,
            reason,
        } = wanted;
        self.post(actor, command_id, store, |inner| {
            let share = screen_share && mode.is_media();
            if mode > inner.mode || (share && !inner.screen_share) {
                return Err(SessionError::ConsentRequired);
            }
            if mode == inner.mode && share == inner.screen_share {
                return Err(SessionError::InvalidModeChange(format!(
                    "the session is already in {mode}"
                )));
            }
            Ok(EventBody::ModeChanged {
                previous: inner.mode,
                mode,
                screen_share: share,
                request_id: None,
                reason,
            })
        })
        .await
    }

    /// Records that `request_id` expired, if it is still pending.
    pub async fn expire_request(
        &self,
        request_id: &str,
        store: &dyn SessionStore,
    ) -> Result<(), SessionError> {
        let mut inner = self.inner.lock().await;
        let Some(requester) = inner
            .mode_request
            .as_ref()
            .filter(|r| r.request_id == request_id)
            .map(|r| r.requested_by.clone())
        else {
            return Ok(());
        };
        let body = EventBody::ModeRequestExpired {
            request_id: request_id.to_owned(),
        };
        self.append(&mut inner, &requester, None, body, store)
            .await?;
        Ok(())
    }

    /// Relays a signaling message to the target's connections (never to the
    /// sender's own), only during a call.
    pub async fn relay_signal(
        &self,
        actor: &Principal,
        from: &Outbox,
        to: &SignalTarget,
        signal: Signal,
    ) -> Result<(), SessionError> {
        self.check_owner(actor)?;
        let mut inner = self.inner.lock().await;
        inner.check_can_post(&actor.sub)?;
        if !inner.mode.is_media() {
            return Err(SessionError::NotInCall);
        }
        let is_target = |s: &Subscriber| {
            s.sub == to.sub
                && s.outbox.conn_id() != from.conn_id()
                && to
                    .connection_id
                    .as_deref()
                    .is_none_or(|c| c == s.outbox.name())
        };
        if !inner.is_participant(&to.sub) || !inner.subscribers.iter().any(is_target) {
            return Err(SessionError::TargetNotFound);
        }
        let frame = Utf8Bytes::from(
            ServerFrame::Signal {
                session_id: self.id.clone(),
                from: actor.clone(),
                from_connection: from.name().to_owned(),
                signal,
            }
            .to_json(),
        );
        inner
            .subscribers
            .retain(|s| !is_target(s) || s.outbox.push(Outbound::Frame(frame.clone())));
        Ok(())
    }

    /// The current call's number, while the open session is in voice or video.
    pub async fn call_generation(&self) -> Option<u64> {
        let inner = self.inner.lock().await;
        (inner.state == SessionState::Open && inner.mode.is_media()).then_some(inner.call)
    }

    /// The pending request's id and expiry (Unix ms), if any.
    pub async fn pending_request(&self) -> Option<(String, u64)> {
        let inner = self.inner.lock().await;
        inner
            .mode_request
            .as_ref()
            .map(|r| (r.request_id.clone(), r.expires_at))
    }

    /// Calls `f` with the principal and outbox of every attached connection.
    pub async fn for_each_subscriber(&self, mut f: impl FnMut(&str, &Outbox)) {
        let inner = self.inner.lock().await;
        for s in &inner.subscribers {
            f(&s.sub, &s.outbox);
        }
    }

    /// Applies a command: answers a repeated command id with its original
    /// event, checks the session is open and the actor a participant, lets
    /// `rule` check the state and produce the event, then appends it.
    async fn post(
        &self,
        actor: &Principal,
        command_id: &str,
        store: &dyn SessionStore,
        rule: impl FnOnce(&Inner) -> Result<EventBody, SessionError>,
    ) -> Result<Posted, SessionError> {
        self.post_many(actor, command_id, store, |inner| Ok(vec![rule(inner)?]))
            .await
    }

    /// Like `post`, for commands that store several events at once; the
    /// first carries the command id, and `Posted.seq` is its seq.
    async fn post_many(
        &self,
        actor: &Principal,
        command_id: &str,
        store: &dyn SessionStore,
        rule: impl FnOnce(&Inner) -> Result<Vec<EventBody>, SessionError>,
    ) -> Result<Posted, SessionError> {
        self.check_owner(actor)?;
        let mut inner = self.inner.lock().await;
        if let Some(posted) = inner.already_applied(&actor.sub, command_id) {
            return Ok(posted);
        }
        inner.check_can_post(&actor.sub)?;
        let bodies = rule(&inner)?;
        let call_before = inner.call;
        let mut first = None;
        for body in bodies {
            let id = first.is_none().then_some(command_id);
            let seq = self.append(&mut inner, actor, id, body, store).await?;
            first.get_or_insert(seq);
        }
        Ok(Posted {
            seq: first.unwrap_or(inner.last_seq),
            duplicate: false,
            call_started: inner.call != call_before,
        })
    }

    /// The customer rates the ended session, once.
    pub async fn rate(
        &self,
        actor: &Principal,
        command_id: &str,
        score: u8,
        comment: Option<String>,
        store: &dyn SessionStore,
    ) -> Result<Posted, SessionError> {
        if actor.sub != self.customer.sub {
            return Err(SessionError::NotYourSession);
        }
        let mut inner = self.inner.lock().await;
        if let Some(posted) = inner.already_applied(&actor.sub, command_id) {
            return Ok(posted);
        }
        if inner.state == SessionState::Open {
            return Err(SessionError::NotEnded);
        }
        if inner.rated {
            return Err(SessionError::AlreadyRated);
        }
        let body = EventBody::Rated { score, comment };
        let seq = self
            .append(&mut inner, actor, Some(command_id), body, store)
            .await?;
        Ok(Posted {
            seq,
            duplicate: false,
            call_started: false,
        })
    }

    /// Ends the session on behalf of the broker's owner (admin API, erasure),
    /// who need not be a participant.
    pub async fn force_end(
        &self,
        actor: &Principal,
        reason: Option<String>,
        store: &dyn SessionStore,
    ) -> Result<u64, SessionError> {
        let mut inner = self.inner.lock().await;
        if inner.state == SessionState::Ended {
            return Err(SessionError::Ended);
        }
        let body = EventBody::SessionEnded { reason };
        self.append(&mut inner, actor, None, body, store).await
    }

    /// Stores an event the broker itself records (routing), if the session
    /// is still open. Returns its seq, or `None` for an ended session.
    pub async fn record(
        &self,
        from: &Principal,
        body: EventBody,
        store: &dyn SessionStore,
    ) -> Result<Option<u64>, SessionError> {
        let mut inner = self.inner.lock().await;
        if inner.state == SessionState::Ended {
            return Ok(None);
        }
        let seq = self.append(&mut inner, from, None, body, store).await?;
        Ok(Some(seq))
    }

    /// A whisper or note: staff only, by a participant or a monitoring supervisor.
    pub async fn staff_post(
        &self,
        actor: &Principal,
        command_id: &str,
        body: EventBody,
        store: &dyn SessionStore,
    ) -> Result<Posted, SessionError> {
        let mut inner = self.inner.lock().await;
        if let Some(posted) = inner.already_applied(&actor.sub, command_id) {
            return Ok(posted);
        }
        if inner.state == SessionState::Ended {
            return Err(SessionError::Ended);
        }
        let attached = inner.subscribers.iter().any(|s| s.sub == actor.sub);
        if !inner.is_participant(&actor.sub) && !attached {
            return Err(SessionError::NotAParticipant);
        }
        let seq = self
            .append(&mut inner, actor, Some(command_id), body, store)
            .await?;
        Ok(Posted {
            seq,
            duplicate: false,
            call_started: false,
        })
    }

    /// Hands the session on: stores `transferred` (or `handed_off`), the
    /// note for the next agent (staff only), and the actor leaving.
    pub async fn hand_on(
        &self,
        actor: &Principal,
        command_id: &str,
        body: EventBody,
        note: Option<String>,
        store: &dyn SessionStore,
    ) -> Result<Posted, SessionError> {
        let leaves = actor.role != Role::Customer;
        self.post_many(actor, command_id, store, |_| {
            let mut bodies = vec![body];
            bodies.extend(note.map(|text| EventBody::Note { text }));
            if leaves {
                bodies.push(EventBody::ParticipantLeft {
                    participant: actor.clone(),
                });
            }
            Ok(bodies)
        })
        .await
    }

    /// The bots currently in the session.
    pub async fn bots(&self) -> Vec<Principal> {
        let inner = self.inner.lock().await;
        inner
            .participants
            .iter()
            .filter(|p| p.role == Role::Bot)
            .cloned()
            .collect()
    }

    /// What a supervisor's overview shows of this session.
    pub async fn overview(&self) -> (SessionState, Mode, Option<String>, Vec<Principal>) {
        let inner = self.inner.lock().await;
        let staff = inner
            .participants
            .iter()
            .filter(|p| p.role != Role::Customer)
            .cloned()
            .collect();
        (inner.state, inner.mode, inner.queue.clone(), staff)
    }

    /// Sends an ephemeral frame to the customer's connections.
    pub async fn push_to_customer(&self, frame: &ServerFrame) {
        let inner = self.inner.lock().await;
        let frame = Utf8Bytes::from(frame.to_json());
        for s in inner.subscribers.iter().filter(|s| !s.staff) {
            s.outbox.offer(frame.clone());
        }
    }

    /// Stores the next event and fans it out. The caller holds the lock and
    /// has checked that the actor may do this.
    async fn append(
        &self,
        inner: &mut Inner,
        actor: &Principal,
        command_id: Option<&str>,
        body: EventBody,
        store: &dyn SessionStore,
    ) -> Result<u64, SessionError> {
        let event = SessionEvent {
            session_id: self.id.clone(),
            seq: inner.last_seq + 1,
            at: now_millis(),
            from: actor.clone(),
            client_id: command_id.map(str::to_owned),
            body,
        };
        store.append(&event, &self.webhooks.ops_for(&event)).await?;
        let seq = event.seq;
        let staff_only = event.body.is_staff_only();
        let frame = inner.apply(event, self.history_limit);
        inner
            .subscribers
            .retain(|s| (staff_only && !s.staff) || s.outbox.push(Outbound::Frame(frame.clone())));
        Ok(seq)
    }

    fn check_owner(&self, actor: &Principal) -> Result<(), SessionError> {
        if actor.role == Role::Customer && actor.sub != self.customer.sub {
            return Err(SessionError::NotYourSession);
        }
        Ok(())
    }

    fn snapshot(&self, inner: &Inner) -> SessionSnapshot {
        SessionSnapshot {
            session_id: self.id.clone(),
            epoch: self.epoch.clone(),
            state: inner.state,
            customer: self.customer.clone(),
            context: self.context.clone(),
            participants: inner.participants.clone(),
            created_at: self.created_at,
            last_seq: inner.last_seq,
            mode: inner.mode,
            screen_share: inner.screen_share,
            mode_request: inner.mode_request.clone(),
        }
    }
}

/// Customers on one side, everyone answering them on the other.
fn is_customer_side(role: Role) -> bool {
    role == Role::Customer
}

impl Inner {
    /// The answer to a command this principal already sent, if it did.
    fn already_applied(&self, sub: &str, command_id: &str) -> Option<Posted> {
        let seq = *self.applied.get(sub)?.get(command_id)?;
        Some(Posted {
            seq,
            duplicate: true,
            call_started: false,
        })
    }

    fn is_participant(&self, sub: &str) -> bool {
        self.participants.iter().any(|p| p.sub == sub)
    }

    fn pending(&self, request_id: &str) -> Result<&ModeRequest, SessionError> {
        self.mode_request
            .as_ref()
            .filter(|r| r.request_id == request_id)
            .ok_or(SessionError::RequestNotFound)
    }

    fn check_can_post(&self, sub: &str) -> Result<(), SessionError> {
        if self.state == SessionState::Ended {
            return Err(SessionError::Ended);
        }
        if !self.is_participant(sub) {
            return Err(SessionError::NotAParticipant);
        }
        Ok(())
    }

    /// Applies a stored event to the in-memory state and returns its frame.
    fn apply(&mut self, event: SessionEvent, history_limit: usize) -> Utf8Bytes {
        match &event.body {
            EventBody::ParticipantJoined { participant } => {
                if !self.is_participant(&participant.sub) {
                    self.participants.push(participant.clone());
                }
            }
            EventBody::ParticipantLeft { participant } => {
                self.participants.retain(|p| p.sub != participant.sub);
                self.subscribers.retain(|s| s.sub != participant.sub);
            }
            EventBody::SessionEnded { .. } => {
                self.state = SessionState::Ended;
                self.mode = Mode::Chat;
                self.screen_share = false;
                self.mode_request = None;
            }
            EventBody::ModeRequested { request, .. } => self.mode_request = Some(request.clone()),
            EventBody::ModeRequestDeclined { .. }
            | EventBody::ModeRequestCancelled { .. }
            | EventBody::ModeRequestExpired { .. } => self.mode_request = None,
            EventBody::ModeChanged {
                previous,
                mode,
                screen_share,
                request_id,
                ..
            } => {
                if request_id.is_some() {
                    self.mode_request = None;
                }
                if !previous.is_media() && mode.is_media() {
                    self.call += 1;
                }
                self.mode = *mode;
                self.screen_share = *screen_share;
            }
            EventBody::Queued { queue } | EventBody::HandedOff { queue, .. } => {
                self.queue = Some(queue.clone());
            }
            EventBody::Transferred {
                to: TransferTarget::Queue(queue),
            } => self.queue = Some(queue.clone()),
            EventBody::Rated { .. } => self.rated = true,
            EventBody::SessionOpened { .. }
            | EventBody::Message { .. }
            | EventBody::Assigned { .. }
            | EventBody::Transferred { .. }
            | EventBody::QueueAbandoned { .. }
            | EventBody::Whisper { .. }
            | EventBody::Note { .. } => {}
        }
        self.last_seq = event.seq;
        let command = event
            .client_id
            .clone()
            .map(|id| (event.from.sub.clone(), id));
        if let Some((sub, id)) = &command {
            self.applied
                .entry(sub.clone())
                .or_default()
                .insert(id.clone(), event.seq);
        }
        let seq = event.seq;
        let staff_only = event.body.is_staff_only();
        let frame = Utf8Bytes::from(ServerFrame::Event(event).to_json());
        self.log.push_back(LogEntry {
            seq,
            command,
            staff_only,
            frame: frame.clone(),
        });
        while self.log.len() > history_limit.max(1) {
            if let Some(old) = self.log.pop_front() {
                if let Some((sub, id)) = old.command {
                    if let Some(ids) = self.applied.get_mut(&sub) {
                        ids.remove(&id);
                        if ids.is_empty() {
                            self.applied.remove(&sub);
                        }
                    }
                }
            }
        }
        frame
    }
}
