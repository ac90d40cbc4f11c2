//! The one fold of a session's event log.
//!
//! [`SessionView`] is what a session's log says now: who is in it, its
//! mode, a pending upgrade request, its queue, whether it ended and how it
//! was rated. Live sessions (the engine) fold events through
//! [`SessionView::apply`], and the engine hands the stores the listing it
//! folds ([`SessionView::listing_after`]), so they cannot disagree. The
//! matches in `apply` and `listing_change` are exhaustive: a new event kind
//! does not compile until the fold decides what it changes.

use std::collections::BTreeMap;

use seam_protocol::{
    CustomerContext, EventBody, Mode, ModeRecommendation, ModeRequest, Principal, Role,
    SessionEvent, SessionId, SessionOverview, SessionSnapshot, SessionState, TransferTarget,
};

use super::{Rating, SessionRecord, SessionSummary};

/// A session as its log describes it after the events applied so far.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionView {
    /// The session's id.
    pub session_id: SessionId,
    /// The epoch of its log.
    pub epoch: String,
    /// Its customer.
    pub customer: Principal,
    /// What the customer came for.
    pub context: CustomerContext,
    /// Creation time, Unix milliseconds.
    pub created_at: u64,
    /// Open or ended.
    pub state: SessionState,
    /// When it ended, Unix milliseconds.
    pub ended_at: Option<u64>,
    /// Everyone in the session now, customer first.
    pub participants: Vec<Principal>,
    /// Every agent, bot or supervisor who ever joined, by `sub`.
    pub agents: Vec<String>,
    /// The last event's seq (0 before the first).
    pub last_seq: u64,
    /// The shared mode.
    pub mode: Mode,
    /// Screen sharing on (voice or video only).
    pub screen_share: bool,
    /// An upgrade request awaiting its answer.
    pub mode_request: Option<ModeRequest>,
    /// Counts calls: one more each time the session goes from chat into
    /// voice or video, so timers of an earlier call can tell it is over.
    pub call: u64,
    /// The queue it waits in or last came through.
    pub queue: Option<String>,
    /// The customer's rating, once given.
    pub rating: Option<Rating>,
    /// Where to reply, for a message left while nobody could answer.
    pub offline_email: Option<String>,
    /// Messages their authors revised since, by seq: the latest text, or
    /// `None` once deleted.
    pub revised: BTreeMap<u64, Option<String>>,
    /// The latest mode recommendation and the seq of its event.
    pub recommendation: Option<(u64, ModeRecommendation)>,
}

/// Whether an applied event changed what a session listing shows (most
/// events, chat messages, change only `last_seq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingChange {
    /// Only `last_seq` moved.
    SeqOnly,
    /// State, queue, agents or rating changed.
    Changed,
}

impl SessionView {
    /// The view of a session before its first event.
    pub fn new(record: &SessionRecord) -> SessionView {
        SessionView {
            session_id: record.session_id.clone(),
            epoch: record.epoch.clone(),
            customer: record.customer.clone(),
            context: record.context.clone(),
            created_at: record.created_at,
            state: SessionState::Open,
            ended_at: None,
            participants: vec![record.customer.clone()],
            agents: Vec::new(),
            last_seq: 0,
            mode: Mode::Chat,
            screen_share: false,
            mode_request: None,
            call: 0,
            queue: None,
            rating: None,
            offline_email: None,
            revised: BTreeMap::new(),
            recommendation: None,
        }
    }

    /// The view after folding `events` into a new session.
    pub fn folded<'a>(
        record: &SessionRecord,
        events: impl IntoIterator<Item = &'a SessionEvent>,
    ) -> SessionView {
        let mut view = SessionView::new(record);
        for event in events {
            view.apply(event);
        }
        view
    }

    /// What folding `event` in would change in the session's listing,
    /// without folding it (a test checks it against what
    /// [`SessionView::apply`] folds).
    pub fn listing_change(&self, event: &SessionEvent) -> ListingChange {
        let changed = match &event.body {
            EventBody::ParticipantJoined { participant } => {
                participant.role != Role::Customer && !self.agents.contains(&participant.sub)
            }
            EventBody::SessionEnded { .. }
            | EventBody::OfflineMessage { .. }
            | EventBody::Rated { .. } => true,
            EventBody::Queued { queue } | EventBody::HandedOff { queue, .. } => {
                self.queue.as_deref() != Some(queue.as_str())
            }
            EventBody::Transferred { to } => match to {
                TransferTarget::Queue(queue) => self.queue.as_deref() != Some(queue.as_str()),
                TransferTarget::Agent(_) => false,
            },
            EventBody::SessionOpened { .. }
            | EventBody::Message { .. }
            | EventBody::Attachment { .. }
            | EventBody::Assigned { .. }
            | EventBody::QueueAbandoned { .. }
            | EventBody::Whisper { .. }
            | EventBody::Note { .. }
            | EventBody::StaffAccessed { .. }
            | EventBody::Unknown
            | EventBody::ParticipantLeft { .. }
            | EventBody::ModeRequested { .. }
            | EventBody::ModeRequestDeclined { .. }
            | EventBody::ModeRequestCancelled { .. }
            | EventBody::ModeRequestExpired { .. }
            | EventBody::ModeChanged { .. }
            | EventBody::ModeRecommended { .. }
            | EventBody::MessageEdited { .. }
            | EventBody::MessageDeleted { .. } => false,
        };
        if changed {
            ListingChange::Changed
        } else {
            ListingChange::SeqOnly
        }
    }

    /// The session's listing after `events` (a run that starts right after
    /// this view) when they change it; `None` when they move only
    /// `last_seq`, as chat messages do. Costs a copy of the view only then.
    pub fn listing_after<'a>(
        &self,
        events: impl IntoIterator<Item = &'a SessionEvent> + Clone,
    ) -> Option<SessionSummary> {
        // Until the first event that changes the listing, the listing
        // stands as in this view: checking each event against it finds
        // whether the run changes anything.
        let changes = events
            .clone()
            .into_iter()
            .any(|e| self.listing_change(e) == ListingChange::Changed);
        changes.then(|| {
            let mut after = self.clone();
            for event in events {
                after.apply(event);
            }
            after.summary()
        })
    }

    /// Folds one event in. The caller has checked its order.
    pub fn apply(&mut self, event: &SessionEvent) {
        self.last_seq = event.seq;
        match &event.body {
            EventBody::SessionOpened { .. }
            | EventBody::Message { .. }
            | EventBody::Attachment { .. }
            | EventBody::Assigned { .. }
            | EventBody::QueueAbandoned { .. }
            | EventBody::Whisper { .. }
            | EventBody::Note { .. }
            | EventBody::StaffAccessed { .. }
            | EventBody::Unknown => {}
            EventBody::ParticipantJoined { participant } => {
                if !self.is_participant(&participant.sub) {
                    self.participants.push(participant.clone());
                }
                if participant.role != Role::Customer && !self.agents.contains(&participant.sub) {
                    self.agents.push(participant.sub.clone());
                }
            }
            EventBody::ParticipantLeft { participant, .. } => {
                self.participants.retain(|p| p.sub != participant.sub);
            }
            EventBody::SessionEnded { .. } => {
                self.state = SessionState::Ended;
                self.ended_at = Some(event.at);
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
                self.set_queue(queue);
            }
            EventBody::ModeRecommended { recommendation } => {
                self.recommendation = Some((event.seq, recommendation.clone()));
            }
            EventBody::Transferred { to } => match to {
                TransferTarget::Queue(queue) => self.set_queue(queue),
                TransferTarget::Agent(_) => {}
            },
            EventBody::MessageEdited { seq, text } => {
                // A deleted message stays deleted.
                if self.revised.get(seq) != Some(&None) {
                    self.revised.insert(*seq, Some(text.clone()));
                }
            }
            EventBody::MessageDeleted { seq } => {
                self.revised.insert(*seq, None);
            }
            EventBody::OfflineMessage { email, queue, .. } => {
                self.offline_email = Some(email.clone());
                if let Some(queue) = queue {
                    self.set_queue(queue);
                }
            }
            EventBody::Rated { score, comment } => {
                self.rating = Some(Rating {
                    score: *score,
                    comment: comment.clone(),
                });
            }
        }
    }

    fn set_queue(&mut self, queue: &str) {
        if self.queue.as_deref() != Some(queue) {
            self.queue = Some(queue.to_owned());
        }
    }

    /// Shows `event` as a reader who may not see originals does: a message
    /// revised since carries its latest text (`edited`) or none
    /// (`deleted`). Returns whether it changed anything.
    pub fn redact(&self, event: &mut SessionEvent) -> bool {
        redact_with(&self.revised, event)
    }

    /// Whether `sub` is in the session now.
    pub fn is_participant(&self, sub: &str) -> bool {
        self.participants.iter().any(|p| p.sub == sub)
    }

    /// Whether the session is open.
    pub fn is_open(&self) -> bool {
        self.state == SessionState::Open
    }

    /// The current call's number, while the open session is in voice or video.
    pub fn call_in_progress(&self) -> Option<u64> {
        (self.is_open() && self.mode.is_media()).then_some(self.call)
    }

    /// Everyone in the session but the customer.
    pub fn staff(&self) -> Vec<Principal> {
        self.participants
            .iter()
            .filter(|p| p.role != Role::Customer)
            .cloned()
            .collect()
    }

    /// Whether anyone besides the customer takes part (an agent, a bot, a
    /// supervisor who joined).
    pub fn is_served(&self) -> bool {
        self.participants.iter().any(|p| p.role != Role::Customer)
    }

    /// The session as an overview lists it (`waiting`: in a queue now).
    pub fn overview(self, waiting: bool) -> SessionOverview {
        SessionOverview {
            waiting,
            staff: self.staff(),
            session_id: self.session_id,
            customer: self.customer,
            state: self.state,
            mode: self.mode,
            queue: self.queue,
        }
    }

    /// What a connection attaching to the session is told about it.
    pub fn snapshot(&self) -> SessionSnapshot {
        SessionSnapshot {
            session_id: self.session_id.clone(),
            epoch: self.epoch.clone(),
            state: self.state,
            customer: self.customer.clone(),
            context: self.context.clone(),
            participants: self.participants.clone(),
            created_at: self.created_at,
            last_seq: self.last_seq,
            mode: self.mode,
            screen_share: self.screen_share,
            mode_request: self.mode_request.clone(),
            receipts: Vec::new(),
        }
    }

    /// What a session listing shows of it.
    pub fn summary(&self) -> SessionSummary {
        SessionSummary {
            session_id: self.session_id.clone(),
            customer: self.customer.clone(),
            context: self.context.clone(),
            state: self.state,
            created_at: self.created_at,
            ended_at: self.ended_at,
            queue: self.queue.clone(),
            agents: self.agents.clone(),
            last_seq: self.last_seq,
            rating: self.rating.clone(),
            offline_email: self.offline_email.clone(),
        }
    }
}

/// [`SessionView::redact`] with the revisions given.
fn redact_with(revised: &BTreeMap<u64, Option<String>>, event: &mut SessionEvent) -> bool {
    let Some(revision) = revised.get(&event.seq) else {
        return false;
    };
    let EventBody::Message {
        text,
        quick_replies,
        card,
        choice,
        edited,
        deleted,
    } = &mut event.body
    else {
        return false;
    };
    match revision {
        Some(latest) => {
            latest.clone_into(text);
            *edited = true;
        }
        None => {
            text.clear();
            quick_replies.clear();
            *card = None;
            *choice = None;
            *deleted = true;
        }
    }
    true
}

/// Redacts a whole log (in `seq` order) by the revisions it holds: what
/// readers who may not see originals get in transcripts and exports.
pub fn redact_log(events: &mut [SessionEvent]) {
    let mut revised = BTreeMap::new();
    for event in events.iter() {
        match &event.body {
            EventBody::MessageEdited { seq, text } if revised.get(seq) != Some(&None) => {
                revised.insert(*seq, Some(text.clone()));
            }
            EventBody::MessageDeleted { seq } => {
                revised.insert(*seq, None);
            }
            _ => {}
        }
    }
    if revised.is_empty() {
        return;
    }
    for event in events.iter_mut() {
        redact_with(&revised, event);
    }
}
