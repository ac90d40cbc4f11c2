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
    Ack, CustomerContext, EventBody, Principal, ResumeOutcome, Role, ServerFrame, SessionEvent,
    SessionId, SessionSnapshot, SessionState,
};
use tokio::sync::{Mutex, MutexGuard};

use crate::clock::now_millis;
use crate::outbox::{Outbound, Outbox};
use crate::store::{SessionRecord, SessionStore, StoreError, StoredSession};

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
}

/// A connection attached to a session.
#[derive(Debug)]
struct Subscriber {
    sub: String,
    outbox: Outbox,
}

/// One stored event as kept in memory: its serialized frame and the
/// command that produced it (for idempotency).
#[derive(Debug)]
struct LogEntry {
    seq: u64,
    command: Option<(String, String)>,
    frame: Utf8Bytes,
}

#[derive(Debug)]
pub(crate) struct Inner {
    state: SessionState,
    participants: Vec<Principal>,
    last_seq: u64,
    log: VecDeque<LogEntry>,
    /// (sub, command id) -> seq, for every command still in `log`.
    applied: HashMap<(String, String), u64>,
    subscribers: Vec<Subscriber>,
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
        );
        (session, record, first)
    }

    /// Rebuilds a session from what a store returned.
    pub fn from_stored(stored: StoredSession, history_limit: usize) -> Session {
        let record = stored.record;
        let mut inner = Inner {
            state: SessionState::Open,
            participants: vec![record.customer.clone()],
            last_seq: 0,
            log: VecDeque::new(),
            applied: HashMap::new(),
            subscribers: Vec::new(),
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
        ack_id: &str,
        after_seq: Option<u64>,
        epoch: Option<&str>,
        store: &dyn SessionStore,
    ) -> Result<(), SessionError> {
        self.check_owner(actor)?;
        let mut inner = self.inner.lock().await;
        let is_participant = inner.is_participant(&actor.sub);
        if !is_participant && inner.state == SessionState::Open {
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
            .filter(|e| e.seq > from_seq)
            .map(|e| e.frame.clone())
            .collect();
        let ack = ServerFrame::Ack(Ack {
            id: ack_id.to_owned(),
            session_id: Some(self.id.clone()),
            session: Some(self.snapshot(&inner)),
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
        self.post(actor, command_id, EventBody::Message { text }, store)
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
        self.post(actor, command_id, body, store).await
    }

    /// Ends the session for everyone.
    pub async fn end(
        &self,
        actor: &Principal,
        command_id: &str,
        reason: Option<String>,
        store: &dyn SessionStore,
    ) -> Result<Posted, SessionError> {
        self.post(actor, command_id, EventBody::SessionEnded { reason }, store)
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

    async fn post(
        &self,
        actor: &Principal,
        command_id: &str,
        body: EventBody,
        store: &dyn SessionStore,
    ) -> Result<Posted, SessionError> {
        self.check_owner(actor)?;
        let mut inner = self.inner.lock().await;
        let key = (actor.sub.clone(), command_id.to_owned());
        if let Some(&seq) = inner.applied.get(&key) {
            return Ok(Posted {
                seq,
                duplicate: true,
            });
        }
        inner.check_can_post(&actor.sub)?;
        let seq = self
            .append(&mut inner, actor, Some(command_id), body, store)
            .await?;
        Ok(Posted {
            seq,
            duplicate: false,
        })
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
        store.append(&event).await?;
        let seq = event.seq;
        let frame = inner.apply(event, self.history_limit);
        inner
            .subscribers
            .retain(|s| s.outbox.push(Outbound::Frame(frame.clone())));
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
        }
    }
}

impl Inner {
    fn is_participant(&self, sub: &str) -> bool {
        self.participants.iter().any(|p| p.sub == sub)
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
            EventBody::SessionEnded { .. } => self.state = SessionState::Ended,
            EventBody::SessionOpened { .. } | EventBody::Message { .. } => {}
        }
        self.last_seq = event.seq;
        let command = event
            .client_id
            .clone()
            .map(|id| (event.from.sub.clone(), id));
        if let Some(key) = &command {
            self.applied.insert(key.clone(), event.seq);
        }
        let seq = event.seq;
        let frame = Utf8Bytes::from(ServerFrame::Event(event).to_json());
        self.log.push_back(LogEntry {
            seq,
            command,
            frame: frame.clone(),
        });
        while self.log.len() > history_limit.max(1) {
            if let Some(old) = self.log.pop_front() {
                if let Some(key) = old.command {
                    self.applied.remove(&key);
                }
            }
        }
        frame
    }
}
