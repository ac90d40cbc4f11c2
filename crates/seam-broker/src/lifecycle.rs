//! The lifecycle of sessions, in one place for the WebSocket commands and
//! the `/v1` admin API alike: open (and queue), assign, hand on (transfer,
//! hand-off), leave, end (taking the session out of routing first), and
//! erase or expire them from the store.

use std::sync::Arc;

use seam_protocol::{
    CustomerContext, EventBody, Mode, OfferKind, Principal, ServerFrame, SessionId, SessionState,
};

use crate::dispatch::Dispatcher;
use crate::engine::{Append, Committed, SessionEngine};
use crate::frame::Frame;
use crate::hub::Hub;
use crate::routing::{Accepted, Enqueue, Routed, RoutingError, Stage};
use crate::session::{rules, SessionError, SessionView};
use crate::store::{SessionFilter, SessionStore, StoreError};
use crate::timers::{Timer, Timers};

/// Why a lifecycle step failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LifecycleError {
    /// The session refused it.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// Routing refused it.
    #[error(transparent)]
    Routing(#[from] RoutingError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who ends a session, and how.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ender<'a> {
    /// A participant, with their command id (idempotent).
    Participant(&'a str),
    /// The broker's owner (admin API, erasure); need not be a participant.
    Owner,
}

/// Where a session is handed on to.
#[derive(Debug)]
pub(crate) struct HandOn {
    /// The event recording it (`transferred` or `handed_off`).
    pub body: EventBody,
    /// The queue it waits in next.
    pub queue: String,
    /// Offer it to this agent only (a transfer to an agent).
    pub only_agent: Option<String>,
    /// For the next agent (stored as a staff note for transfers).
    pub note: Option<String>,
    /// Whether `note` is also stored as a staff-only note.
    pub store_note: bool,
    /// Why it is offered again.
    pub kind: OfferKind,
    /// Voice or video the customer asked for.
    pub requested_mode: Option<Mode>,
}

/// Session lifecycle steps over the engine, routing and the hub.
#[derive(Clone)]
pub(crate) struct Lifecycle {
    engine: Arc<dyn SessionEngine>,
    routing: Arc<Dispatcher>,
    hub: Arc<Hub>,
    store: Arc<dyn SessionStore>,
    timers: Timers,
    /// How long an ended session stays in memory.
    release_after_ms: u64,
}

impl std::fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lifecycle").finish_non_exhaustive()
    }
}

impl Lifecycle {
    /// The lifecycle over these parts.
    pub(crate) fn new(
        engine: Arc<dyn SessionEngine>,
        routing: Arc<Dispatcher>,
        hub: Arc<Hub>,
        store: Arc<dyn SessionStore>,
        timers: Timers,
        release_after_ms: u64,
    ) -> Lifecycle {
        Lifecycle {
            engine,
            routing,
            hub,
            store,
            timers,
            release_after_ms,
        }
    }

    /// Stores an event the broker records itself (routing) while the
    /// session is open; `None` once it has ended.
    pub(crate) async fn record(
        &self,
        session_id: &str,
        from: &Principal,
        body: EventBody,
    ) -> Result<Option<u64>, LifecycleError> {
        let append = Append {
            actor: from,
            command_id: None,
            decide: Box::new(move |view| rules::record(view, body.clone())),
        };
        match self.engine.append(session_id, append).await {
            Ok(committed) => Ok(Some(committed.seq)),
            Err(SessionError::Ended) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The customer's open session, or a new one. A new one is recorded
    /// as queued when routing has a queue for it, and the returned
    /// [`Enqueue`] is to be handed to [`Router::enqueue`] once the
    /// customer's connection is attached (so it hears its place).
    pub(crate) async fn open(
        &self,
        customer: &Principal,
        context: CustomerContext,
        command_id: &str,
        requested_mode: Option<Mode>,
    ) -> Result<(SessionView, bool, Option<Enqueue>), LifecycleError> {
        let opened = self.engine.open(customer, context, command_id).await?;
        let view = opened.view;
        if !opened.created {
            return Ok((view, false, None));
        }
        let mut enqueue = None;
        if let Some(queue) = self.routing.router().queue_for(&view.context).cloned() {
            let body = EventBody::Queued {
                queue: queue.name.clone(),
            };
            self.record(&view.session_id, customer, body).await?;
            enqueue = Some(Enqueue {
                session: Routed::of(&view),
                stage: if queue.bot_first {
                    Stage::Bot
                } else {
                    Stage::Human
                },
                queue: queue.name,
                kind: OfferKind::Queue,
                only_agent: None,
                note: None,
                requested_mode,
                waiting_since: None,
            });
        }
        Ok((view, true, enqueue))
    }

    /// A message left for an email answer: in the customer's open session
    /// (which leaves its queue) or a new one, then the session ends. Not
    /// queued, not offered: the company answers by email (webhook
    /// `session.offline_message`). Returns the session and the message's
    /// commit; a repeat of `command_id` returns the original, duplicate.
    pub(crate) async fn leave_message(
        &self,
        customer: &Principal,
        context: CustomerContext,
        command_id: &str,
        text: String,
        email: String,
    ) -> Result<(SessionId, Committed), LifecycleError> {
        if let Some(original) = self.offline_message_sent(customer, command_id).await? {
            return Ok(original);
        }
        let queue = self
            .routing
            .router()
            .queue_for(&context)
            .map(|q| q.name.clone());
        // The message carries the command id (what a repeat is recognised
        // by); a session opened for it carries a derived one.
        let opening = format!("{command_id}/open");
        let opened = self.engine.open(customer, context, &opening).await?;
        let session_id = opened.view.session_id.clone();
        let append = Append {
            actor: customer,
            command_id: Some(command_id),
            decide: Box::new(move |view| {
                let (text, email, queue) = (text.clone(), email.clone(), queue.clone());
                rules::offline_message(view, customer, text, email, queue)
            }),
        };
        let committed = match self.engine.append(&session_id, append).await {
            Ok(committed) => committed,
            Err(e) => {
                if opened.created {
                    // Not left open outside any queue, where nobody would
                    // ever answer it: the customer's next session starts anew.
                    let ended = self
                        .end_unrated(&session_id, customer, "offline message failed")
                        .await;
                    if let Err(end_failed) = ended {
                        tracing::warn!(error = %end_failed, session = %session_id, "cannot end a session opened for an offline message");
                    }
                }
                return Err(e.into());
            }
        };
        self.leave_routing(&session_id, customer).await?;
        self.end_unrated(&session_id, customer, "offline message")
            .await?;
        Ok((session_id, committed))
    }

    /// Ends a session whose customer is not asked to rate it (it held an
    /// offline message), and lets it leave memory later.
    async fn end_unrated(
        &self,
        session_id: &str,
        actor: &Principal,
        reason: &str,
    ) -> Result<(), LifecycleError> {
        let end = Append {
            actor,
            command_id: None,
            decide: Box::new(|view| rules::force_end(view, Some(reason.to_owned()))),
        };
        self.engine.append(session_id, end).await?;
        let release = Timer::ReleaseSession {
            session_id: session_id.to_owned(),
            if_unwatched: false,
        };
        self.timers.after(self.release_after_ms, release);
        Ok(())
    }

    /// The message `command_id` already left, if it was: it ended the
    /// customer's latest session, whose last events hold it.
    async fn offline_message_sent(
        &self,
        customer: &Principal,
        command_id: &str,
    ) -> Result<Option<(SessionId, Committed)>, LifecycleError> {
        let latest = SessionFilter {
            customer: Some(customer.sub.clone()),
            state: Some(SessionState::Ended),
            limit: 1,
            ..SessionFilter::default()
        };
        let Some(session) = self.store.list(&latest).await?.pop() else {
            return Ok(None);
        };
        if session.offline_email.is_none() {
            return Ok(None);
        }
        let tail = self
            .store
            .events_after(&session.session_id, session.last_seq.saturating_sub(4), 4)
            .await?;
        let original = tail.iter().find(|e| {
            matches!(e.body, EventBody::OfflineMessage { .. })
                && e.from.sub == customer.sub
                && e.client_id.as_deref() == Some(command_id)
        });
        Ok(original.map(|e| {
            let committed = Committed {
                seq: e.seq,
                duplicate: true,
                stored: 0,
                last_seq: session.last_seq,
                calls: (0, 0),
            };
            (session.session_id.clone(), committed)
        }))
    }

    /// An agent accepted an offer: records the assignment (not for a
    /// conference, where they only join).
    pub(crate) async fn assign(
        &self,
        agent: &Principal,
        accepted: &Accepted,
    ) -> Result<(), LifecycleError> {
        if accepted.kind != OfferKind::Conference {
            let body = EventBody::Assigned {
                agent: agent.clone(),
                queue: accepted.queue.clone(),
                waited_ms: accepted.waited_ms,
            };
            self.record(&accepted.session_id, agent, body).await?;
        }
        Ok(())
    }

    /// An accepted offer could not be recorded: the agent does not serve
    /// the session, which waits again (a conference invitation is simply
    /// dropped).
    pub(crate) async fn unassign(&self, agent: &Principal, accepted: &Accepted) {
        self.routing.release(&agent.sub, &accepted.session_id).await;
        if accepted.kind == OfferKind::Conference {
            return;
        }
        let Ok(Some(view)) = self.engine.view(&accepted.session_id).await else {
            return;
        };
        let Some(queue) = accepted.queue.clone().or_else(|| view.queue.clone()) else {
            return;
        };
        if !view.is_open() {
            return;
        }
        let stage = if agent.role == seam_protocol::Role::Bot {
            Stage::Bot
        } else {
            Stage::Human
        };
        let entry = Enqueue {
            session: Routed::of(&view),
            queue,
            stage,
            kind: accepted.kind,
            only_agent: None,
            note: None,
            requested_mode: accepted.requested_mode,
            waiting_since: None,
        };
        self.routing.enqueue(entry).await;
    }

    /// Hands the session on (a transfer, a bot's hand-off, the customer
    /// asking for a human): stores it, takes the actor and any bots out,
    /// and queues it again.
    pub(crate) async fn hand_on(
        &self,
        session_id: &str,
        actor: &Principal,
        command_id: &str,
        hand_on: HandOn,
    ) -> Result<Committed, LifecycleError> {
        let HandOn {
            body,
            queue,
            only_agent,
            note,
            store_note,
            kind,
            requested_mode,
        } = hand_on;
        let stored_note = note.clone().filter(|_| store_note);
        let append = Append {
            actor,
            command_id: Some(command_id),
            decide: Box::new(move |view| {
                rules::hand_on(view, actor, body.clone(), stored_note.clone())
            }),
        };
        let committed = self.engine.append(session_id, append).await?;
        if committed.duplicate {
            return Ok(committed);
        }
        self.routing.release(&actor.sub, session_id).await;
        let view = self
            .engine
            .view(session_id)
            .await?
            .ok_or(SessionError::NotFound)?;
        if kind == OfferKind::Queue {
            // A hand-off to humans: the bots step out.
            for bot in view
                .participants
                .iter()
                .filter(|p| p.role == seam_protocol::Role::Bot)
            {
                let left = EventBody::ParticipantLeft {
                    participant: bot.clone(),
                    reason: None,
                };
                self.record(session_id, bot, left).await?;
                self.routing.release(&bot.sub, session_id).await;
            }
        }
        self.routing
            .enqueue(Enqueue {
                session: Routed::of(&view),
                queue,
                stage: Stage::Human,
                kind,
                only_agent,
                note,
                requested_mode,
                waiting_since: None,
            })
            .await;
        Ok(committed)
    }

    /// An agent (or bot) stayed away past the offline grace period: they
    /// leave each session they served (`participant_left`, reason
    /// `offline`), and a session nobody else serves is queued again in its
    /// queue (its priority), so the customer hears their place.
    pub(crate) async fn agent_gone(&self, agent: &Principal, sessions: &[SessionId]) {
        for session_id in sessions {
            let append = Append {
                actor: agent,
                command_id: None,
                decide: Box::new(move |view| rules::leave_offline(view, agent)),
            };
            match self.engine.append(session_id, append).await {
                Ok(_) => {}
                // Ended, or they left already: nothing to hand on.
                Err(SessionError::Ended | SessionError::NotAParticipant) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, session_id, "cannot record an agent gone offline");
                    continue;
                }
            }
            let view = match self.engine.view(session_id).await {
                Ok(Some(view)) if view.is_open() && view.staff().is_empty() => view,
                _ => continue,
            };
            let Ok(queue) = self.routing.router().handoff_queue(view.queue.as_deref()) else {
                continue;
            };
            let queued = EventBody::Queued {
                queue: queue.clone(),
            };
            if let Err(e) = self.record(session_id, agent, queued).await {
                tracing::warn!(error = %e, session_id, "cannot queue a session again");
                continue;
            }
            self.routing
                .enqueue(Enqueue {
                    session: Routed::of(&view),
                    queue,
                    stage: Stage::Human,
                    kind: OfferKind::Queue,
                    only_agent: None,
                    note: None,
                    requested_mode: None,
                    // Its place in the line: it has waited since it opened.
                    waiting_since: Some(view.created_at),
                })
                .await;
        }
    }

    /// A participant (not the customer) leaves the session.
    pub(crate) async fn leave(
        &self,
        session_id: &str,
        actor: &Principal,
        command_id: &str,
    ) -> Result<Committed, LifecycleError> {
        let append = Append {
            actor,
            command_id: Some(command_id),
            decide: Box::new(move |view| rules::leave(view, actor)),
        };
        let committed = self.engine.append(session_id, append).await?;
        self.routing.release(&actor.sub, session_id).await;
        Ok(committed)
    }

    /// Ends a session: out of routing first (recording an abandonment if it
    /// was still waiting), then `session_ended`, then the customer is asked
    /// for a rating.
    pub(crate) async fn end(
        &self,
        session_id: &str,
        actor: &Principal,
        ender: Ender<'_>,
        reason: Option<String>,
    ) -> Result<Committed, LifecycleError> {
        let view = self
            .engine
            .view(session_id)
            .await?
            .ok_or(SessionError::NotFound)?;
        let allowed = match ender {
            Ender::Participant(_) => rules::check_can_post(&view, actor),
            Ender::Owner => rules::force_end(&view, None).map(|_| ()),
        };
        if allowed.is_ok() {
            self.leave_routing(session_id, actor).await?;
        }
        let append = match ender {
            Ender::Participant(command_id) => Append {
                actor,
                command_id: Some(command_id),
                decide: Box::new(move |view| rules::end(view, actor, reason.clone())),
            },
            Ender::Owner => Append {
                actor,
                command_id: None,
                decide: Box::new(move |view| rules::force_end(view, reason.clone())),
            },
        };
        let committed = self.engine.append(session_id, append).await?;
        if !committed.duplicate {
            let request = ServerFrame::RatingRequested {
                session_id: session_id.to_owned(),
            };
            self.hub.to_customer(session_id, &Frame::encode(&request));
            let release = Timer::ReleaseSession {
                session_id: session_id.to_owned(),
                if_unwatched: false,
            };
            self.timers.after(self.release_after_ms, release);
        }
        Ok(committed)
    }

    async fn leave_routing(
        &self,
        session_id: &str,
        actor: &Principal,
    ) -> Result<(), LifecycleError> {
        if let Some((queue, waited_ms)) = self.routing.session_ended(session_id).await {
            let body = EventBody::QueueAbandoned { queue, waited_ms };
            self.record(session_id, actor, body).await?;
        }
        Ok(())
    }

    /// Ends the customer's open session, then deletes everything about them.
    pub(crate) async fn erase_customer(
        &self,
        sub: &str,
        service: &Principal,
    ) -> Result<Vec<SessionId>, LifecycleError> {
        if let Some(open) = self.engine.open_session_of(sub).await {
            let reason = Some("customer data erased".to_owned());
            match self.end(&open, service, Ender::Owner, reason).await {
                Ok(_) | Err(LifecycleError::Session(SessionError::Ended)) => {}
                Err(e) => return Err(e),
            }
        }
        let erased = self.store.erase_customer(sub).await?;
        self.engine.forget(&erased);
        Ok(erased)
    }

    /// Deletes sessions that ended more than `keep_ms` ago.
    pub(crate) async fn expire_ended(
        &self,
        keep_ms: u64,
    ) -> Result<Vec<SessionId>, LifecycleError> {
        let cutoff = self.timers.clock().now_millis().saturating_sub(keep_ms);
        let deleted = self.store.delete_ended_before(cutoff).await?;
        self.engine.forget(&deleted);
        Ok(deleted)
    }
}
