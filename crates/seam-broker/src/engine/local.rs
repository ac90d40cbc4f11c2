//! The single-node engine: each session's order is one async lock, held
//! while a command is checked against the idempotency index, decided and
//! given its `seq`s, and its write is queued in the store.
//!
//! On a store only this process writes, the lock is released before the
//! write is durable: the session's next command is decided on the view that
//! includes the writes in flight, and its write is queued behind them, so
//! a busy session fills the store's group commits instead of waiting one
//! commit per command. Writes settle in a chain: each publishes its events
//! (and answers its command) only after the one before it has, so events
//! are published in `seq` order and never before they are durable. A write
//! that fails fails every later one in flight (their runs no longer start
//! where the store stands); the session is then dropped from memory and read
//! back from the store on its next use.
//!
//! On a store other nodes share, another node's append can make any
//! decision in flight stale, so a write may only be sent once everything
//! before it is stored. Commands still decide at once, on the view that
//! includes the decisions in flight; at most one write per session is in
//! flight, and what was decided behind it is written as one group when it
//! lands (a per-session group commit, done by a flusher task so that a
//! command going away loses nothing). When another node took the seq a
//! group was to have, the group is refused: the view is brought to the
//! store's, and the refused commands and those behind them decide again,
//! one at a time and in their order (commands that come meanwhile queue
//! behind them), so a connection's messages keep their order. A publish
//! from another node that arrives while a write is in flight is read from
//! the store once it lands.
//!
//! Readers ([`SessionEngine::view`], replays) read the published state: the
//! view and the replay window as of the last event published.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::maps::SharedMap;
use dashmap::mapref::entry::Entry;
use seam_protocol::{CustomerContext, EventBody, Principal, SessionEvent, SessionId, SessionState};
use tokio::sync::oneshot;

use super::applied::Applied;
use super::slot::{slot, Group, Groups, Log, Outcome, Published, Settled, Slot, Turn};
use super::{Append, BoxFuture, CommitListener, Committed, Logged, Opened, Replay, SessionEngine};
use crate::clock::Clock;
use crate::frame::Frame;
use crate::ids::random_hex;
use crate::session::{SessionError, SessionView};
use crate::store::{
    NewEvent, SessionFilter, SessionRecord, SessionStore, StoreError, StoredSession,
};
use crate::webhook::WebhookPolicy;

/// How a [`LocalEngine`] keeps sessions.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Recent events kept in memory per session for replay and
    /// idempotency.
    pub history_limit: usize,
    /// Command ids remembered per session, independent of the window: a
    /// command resent among the session's last this many commands is
    /// answered with its original commit.
    pub idempotency_keys: usize,
    /// Bytes of serialized events kept in memory per session (at least the
    /// last event is kept); older ones are read from the store.
    pub history_bytes: usize,
    /// Bytes of serialized events kept in memory by all sessions together:
    /// past it, windows are cut down to a fair share (the budget divided
    /// among the sessions held), the one being appended to at once and the
    /// others by [`LocalEngine::trim_windows`].
    pub history_bytes_total: usize,
    /// Which events also enqueue webhook deliveries (in the same write).
    pub webhooks: Arc<WebhookPolicy>,
    /// Other nodes append to the same store (a cluster on PostgreSQL): a
    /// session held here catches up from the store before it decides, and
    /// a session another node opened is found there.
    pub shared_store: bool,
}

/// Sessions of one broker process, stored through a [`SessionStore`].
pub struct LocalEngine {
    store: Arc<dyn SessionStore>,
    listener: Arc<dyn CommitListener>,
    clock: Arc<dyn Clock>,
    options: EngineOptions,
    sessions: Arc<SharedMap<SessionId, Arc<Slot>>>,
    /// Customers' open sessions seen so far (a cache: the store decides).
    open_by_customer: Arc<SharedMap<String, SessionId>>,
    /// Bytes of every held session's window.
    all_windows: Arc<AtomicUsize>,
    /// Commands decided again because another node stored first.
    decided_again: Arc<AtomicU64>,
}

impl std::fmt::Debug for LocalEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalEngine")
            .field("sessions", &self.sessions.len())
            .finish_non_exhaustive()
    }
}

impl LocalEngine {
    /// An engine over the sessions `store` has, publishing to `listener`.
    /// Nothing is read at start: a session is read from the store on its
    /// first use, so starting costs the same with a thousand stored
    /// sessions or a million.
    pub fn new(
        store: Arc<dyn SessionStore>,
        listener: Arc<dyn CommitListener>,
        clock: Arc<dyn Clock>,
        options: EngineOptions,
    ) -> LocalEngine {
        LocalEngine {
            store,
            listener,
            clock,
            options,
            sessions: Arc::default(),
            open_by_customer: Arc::default(),
            all_windows: Arc::new(AtomicUsize::new(0)),
            decided_again: Arc::default(),
        }
    }

    /// Another handle on this engine's state (for a session's flusher).
    fn share(&self) -> LocalEngine {
        LocalEngine {
            store: Arc::clone(&self.store),
            listener: Arc::clone(&self.listener),
            clock: Arc::clone(&self.clock),
            options: self.options.clone(),
            sessions: Arc::clone(&self.sessions),
            open_by_customer: Arc::clone(&self.open_by_customer),
            all_windows: Arc::clone(&self.all_windows),
            decided_again: Arc::clone(&self.decided_again),
        }
    }

    /// Commands this engine decided again because another node stored in
    /// their session first (a store shared with other nodes).
    pub fn decided_again(&self) -> u64 {
        self.decided_again.load(Ordering::Relaxed)
    }

    /// Counts `n` commands that decide again.
    fn deciding_again(&self, n: usize) {
        self.decided_again.fetch_add(n as u64, Ordering::Relaxed);
        crate::metrics::ENGINE.decided_again.inc_by(n as u64);
    }

    /// What each held session's window may keep: its own limit, or a fair
    /// share of the process budget once the windows together are over it.
    fn window_cap(&self) -> usize {
        let own = self.options.history_bytes;
        if self.all_windows.load(Ordering::Relaxed) <= self.options.history_bytes_total {
            return own;
        }
        let share = self.options.history_bytes_total / self.sessions.len().max(1);
        own.min(share)
    }

    /// Cuts the windows of the sessions held down to a fair share while
    /// they are over the process budget (sessions busy right now are left
    /// for their next append). Returns the bytes freed.
    pub fn trim_windows(&self) -> usize {
        let before = self.window_bytes();
        if before <= self.options.history_bytes_total {
            return 0;
        }
        let cap = self.window_cap();
        let slots: Vec<Arc<Slot>> = self
            .sessions
            .iter()
            .map(|s| Arc::clone(s.value()))
            .collect();
        for slot in slots {
            if self.window_bytes() <= self.options.history_bytes_total {
                break;
            }
            if let Ok(mut published) = slot.published.try_lock() {
                published.trim(self.options.history_limit, cap);
            }
        }
        before.saturating_sub(self.window_bytes())
    }

    /// The decided and published states of a session with no events yet.
    fn empty_state(&self, view: SessionView) -> (Log, Published) {
        let published = Published {
            view: view.clone(),
            window: VecDeque::new(),
            window_bytes: 0,
            all_windows: Arc::clone(&self.all_windows),
        };
        let log = Log {
            view,
            applied: Applied::default(),
            tail: None,
            groups: Groups::default(),
        };
        (log, published)
    }

    /// A slot for a session with no events yet.
    fn empty_slot(&self, view: SessionView) -> Slot {
        let (log, published) = self.empty_state(view);
        slot(log, published)
    }

    /// A slot for a stored session, its events folded in (and published to
    /// nobody: they were published when they were committed).
    fn slot_of(&self, stored: &StoredSession) -> Slot {
        let (mut log, mut published) = self.empty_state(SessionView::new(&stored.record));
        for event in &stored.events {
            self.decided(&mut log, event);
            self.push(&mut published, event, Frame::event(event));
        }
        slot(log, published)
    }

    /// The session as it stands: the held copy, or (for a session not in
    /// memory) folded from the store without holding it, so reading a
    /// released session does not bring it back.
    async fn current_view(&self, session_id: &str) -> Result<Option<SessionView>, SessionError> {
        if let Some(slot) = self.sessions.get(session_id) {
            return Ok(Some(slot.published().view.clone()));
        }
        Ok(self
            .store
            .get(session_id)
            .await?
            .map(|stored| SessionView::folded(&stored.record, &stored.events)))
    }

    /// The session's slot, if this node holds it in memory.
    fn held(&self, session_id: &str) -> Option<Arc<Slot>> {
        self.sessions.get(session_id).map(|s| Arc::clone(s.value()))
    }

    /// The session's slot, read back from the store if it is not in memory.
    async fn slot(&self, session_id: &str) -> Result<Arc<Slot>, SessionError> {
        if let Some(slot) = self.held(session_id) {
            return Ok(slot);
        }
        let stored = self
            .store
            .get(session_id)
            .await?
            .ok_or(SessionError::NotFound)?;
        let loaded = Arc::new(self.slot_of(&stored));
        let held = self.sessions.entry(session_id.to_owned()).or_insert(loaded);
        Ok(Arc::clone(held.value()))
    }

    /// Folds an event into the decided state (the view and the
    /// idempotency index).
    fn decided(&self, log: &mut Log, event: &SessionEvent) {
        log.view.apply(event);
        if let Some(id) = &event.client_id {
            log.applied.remember(
                &event.from.sub,
                id,
                event.seq,
                self.options.idempotency_keys,
            );
        }
    }

    /// Folds a durable event, serialized as `frame`, into the published
    /// state.
    fn push(&self, published: &mut Published, event: &SessionEvent, frame: Frame) {
        published.view.apply(event);
        let len = frame.as_str().len();
        published.window_bytes += len;
        self.all_windows.fetch_add(len, Ordering::Relaxed);
        published.window.push_back(Logged {
            seq: event.seq,
            staff_only: event.body.is_staff_only(),
            frame,
        });
        published.trim(self.options.history_limit, self.window_cap());
    }

    /// Publishes a durable event: folded into the published state and
    /// handed to the listener under the same lock, so a replay taken from
    /// the published state and the live events after it never overlap
    /// out of order or leave a gap.
    fn publish(&self, slot: &Slot, event: &SessionEvent, frame: &Frame, from_here: bool) {
        let mut published = slot.published();
        self.push(&mut published, event, frame.clone());
        if from_here {
            self.listener.committed(event, frame);
        } else {
            self.listener.received(event, frame);
        }
    }

    /// The session's next events from `bodies`, numbered after the decided
    /// view's last seq.
    fn next_events(
        &self,
        log: &Log,
        actor: &Principal,
        command_id: Option<&str>,
        bodies: Vec<EventBody>,
    ) -> Vec<NewEvent> {
        let first = log.view.last_seq + 1;
        let at = self.clock.now_millis();
        bodies
            .into_iter()
            .zip(first..)
            .map(|(body, seq)| {
                let event = SessionEvent {
                    session_id: log.view.session_id.clone(),
                    seq,
                    at,
                    from: actor.clone(),
                    client_id: command_id.filter(|_| seq == first).map(str::to_owned),
                    body,
                };
                let outbox = self.options.webhooks.ops_for(&event);
                NewEvent::new(event, outbox)
            })
            .collect()
    }

    /// Stores `events` (all or none), then folds and publishes them, all
    /// under the order lock the caller holds (a store shared with other
    /// nodes).
    async fn commit_in_order(
        &self,
        slot: &Slot,
        log: &mut Log,
        events: &[NewEvent],
    ) -> Result<(), SessionError> {
        let listing = log.view.listing_after(events.iter().map(|n| &n.event));
        self.store.append(events, listing.as_ref()).await?;
        for NewEvent { event, frame, .. } in events {
            self.decided(log, event);
            self.publish(slot, event, frame, true);
        }
        self.forget_if_ended(log);
        Ok(())
    }

    /// Queues `events` in the store under the order lock, folds them into
    /// the decided view, releases the lock, and publishes them once they
    /// are durable and the write before them has settled (a store only this
    /// process writes). Answers what the caller computes from the decided
    /// view right after the fold.
    async fn commit_pipelined(
        &self,
        slot: &Slot,
        mut log: tokio::sync::MutexGuard<'_, Log>,
        events: &[NewEvent],
        answer: impl FnOnce(&Log) -> Committed,
        ordered: Option<&(dyn Fn() + Sync)>,
    ) -> Result<Committed, SessionError> {
        let listing = log.view.listing_after(events.iter().map(|n| &n.event));
        let mut write = self.store.append(events, listing.as_ref());
        if log.all_published() {
            let mut cx = Context::from_waker(Waker::noop());
            if let Poll::Ready(result) = write.as_mut().poll(&mut cx) {
                // Durable at once (the memory store): publish in place.
                result?;
                for NewEvent { event, frame, .. } in events {
                    self.decided(&mut log, event);
                    self.publish(slot, event, frame, true);
                }
                self.forget_if_ended(&log);
                return Ok(answer(&log));
            }
        }
        for NewEvent { event, .. } in events {
            self.decided(&mut log, event);
        }
        self.forget_if_ended(&log);
        let committed = answer(&log);
        let (settle, before) = log.queue_behind();
        drop(log);
        if let Some(ordered) = ordered {
            ordered();
        }
        let durable = write.await.map_err(SessionError::from);
        let before = self.await_turn(slot, before, committed.seq - 1).await;
        // The earlier write's failure explains this one's: say that one.
        match (durable, before) {
            (Ok(()), Ok(())) => {
                for NewEvent { event, frame, .. } in events {
                    self.publish(slot, event, frame, true);
                }
                let _ = settle.send(Settled::Published);
                Ok(committed)
            }
            (_, Err(e)) | (Err(e), Ok(())) => {
                self.discard(slot);
                let _ = settle.send(Settled::Failed);
                Err(e)
            }
        }
    }

    /// Waits for the write queued before this one to settle. When it was
    /// published, this one's turn has come. When it failed, this one did
    /// not start where the store stands: a retryable error. When its
    /// command was dropped before it settled (its events may be durable,
    /// unpublished), what the store has up to `upto` is published first.
    async fn await_turn(
        &self,
        slot: &Slot,
        before: Option<oneshot::Receiver<Settled>>,
        upto: u64,
    ) -> Result<(), SessionError> {
        let Some(before) = before else {
            return Ok(());
        };
        match before.await {
            Ok(Settled::Published) => Ok(()),
            Ok(Settled::Failed) => Err(SessionError::Store(StoreError::Unavailable(
                "an earlier write to this session failed; retry".into(),
            ))),
            Err(_) => self.publish_stored(slot, upto).await,
        }
    }

    /// Publishes the stored events after the published state, up to
    /// `upto`: writes whose commands were dropped while in flight.
    async fn publish_stored(&self, slot: &Slot, upto: u64) -> Result<(), SessionError> {
        let (session_id, last) = {
            let published = slot.published();
            (published.view.session_id.clone(), published.view.last_seq)
        };
        if upto <= last {
            return Ok(());
        }
        let stored = self
            .store
            .events_after(&session_id, last, (upto - last) as usize)
            .await?;
        for event in &stored {
            if event.seq == slot.published().view.last_seq + 1 {
                self.publish(slot, event, &Frame::event(event), true);
            }
        }
        Ok(())
    }

    /// Drops a slot whose write failed from the engine (its next user reads
    /// the session back from the store), then marks it failed.
    fn discard(&self, slot: &Slot) {
        let session_id = slot.published().view.session_id.clone();
        self.sessions
            .remove_if(&session_id, |_, held| std::ptr::eq(Arc::as_ptr(held), slot));
        slot.failed.store(true, Ordering::Release);
    }

    /// Folds events other nodes stored after the session's last seq, and
    /// publishes them locally; the caller holds the order. Returns how many.
    async fn catch_up(&self, slot: &Slot, log: &mut Log) -> Result<usize, SessionError> {
        let missed = self
            .store
            .events_after(&log.view.session_id, log.view.last_seq, usize::MAX)
            .await?;
        for event in &missed {
            self.receive(slot, log, event);
        }
        Ok(missed.len())
    }

    /// Appends in the session's order (see [`SessionEngine::append`]);
    /// `ordered`, if given, is called once the append's place is fixed.
    async fn append_in_order(
        &self,
        session_id: &str,
        append: Append<'_>,
        ordered: Option<&(dyn Fn() + Sync)>,
    ) -> Result<Committed, SessionError> {
        let Append {
            actor,
            command_id,
            mut decide,
        } = append;
        let shared = self.options.shared_store;
        // On a shared store, while the commands in flight decide again:
        // this command's turn to (passed on when it is dropped).
        let mut turn: Option<Turn> = None;
        // A refusal already waited for the write in flight and a catch-up.
        let mut waited = false;
        'held: loop {
            let slot = self.slot(session_id).await?;
            let mut log = slot.log.lock().await;
            loop {
                if slot.failed.load(Ordering::Acquire) {
                    // A write in flight failed: read the session back (a
                    // turn to decide again was this slot's: passed on).
                    turn = None;
                    continue 'held;
                }
                if shared && log.groups.redoing && turn.is_none() {
                    // Behind the commands deciding again, in their order.
                    let (queued, my_turn) = oneshot::channel();
                    log.groups.redo.push_back(queued);
                    drop(log);
                    if let Some(ordered) = ordered {
                        ordered();
                    }
                    if let Ok(Outcome::Redo(given)) = my_turn.await {
                        turn = Some(given);
                    }
                    continue 'held;
                }
                if let Some(seq) = command_id.and_then(|id| log.applied.get(&actor.sub, id)) {
                    if !shared {
                        return self.repeated(&slot, log, seq).await;
                    }
                    if seq <= slot.published().view.last_seq || !log.groups.writing {
                        return Ok(duplicate(&log.view, seq));
                    }
                    // Its original is being written, or waits behind.
                    after_write(log).await;
                    continue 'held;
                }
                let calls_before = log.view.call;
                let bodies = match decide(&log.view) {
                    Ok(bodies) => bodies,
                    // Refused on what this node has seen: another node may
                    // have committed what makes it valid (the request being
                    // answered, say). Decide again once caught up.
                    Err(refused) => {
                        if shared && log.groups.writing && !waited {
                            // Caught up once the write in flight lands.
                            waited = true;
                            after_write(log).await;
                            continue 'held;
                        }
                        if shared
                            && !log.groups.writing
                            && self.catch_up(&slot, &mut log).await? > 0
                        {
                            continue;
                        }
                        return Err(refused);
                    }
                };
                let stored = bodies.len();
                let first = log.view.last_seq + 1;
                let answer = |log: &Log| Committed {
                    seq: if stored == 0 {
                        log.view.last_seq
                    } else {
                        first
                    },
                    duplicate: false,
                    stored,
                    last_seq: log.view.last_seq,
                    calls: (calls_before, log.view.call),
                };
                if stored == 0 {
                    return Ok(answer(&log));
                }
                let events = self.next_events(&log, actor, command_id, bodies);
                if !shared {
                    return self
                        .commit_pipelined(&slot, log, &events, answer, ordered)
                        .await;
                }
                if turn.is_none() {
                    match self
                        .commit_grouped(&slot, log, events, answer, ordered)
                        .await
                    {
                        Grouped::Done(result) => return result,
                        Grouped::Redo(given) => {
                            turn = Some(given);
                            continue 'held;
                        }
                    }
                }
                // Deciding again, in turn: stored alone, the order held
                // through the write (nothing else is in flight).
                match self.commit_in_order(&slot, &mut log, &events).await {
                    Ok(()) => return Ok(answer(&log)),
                    // Another node appended first: decide again on the
                    // newer view (refused if the store had nothing newer).
                    Err(SessionError::Store(e @ StoreError::OutOfOrder { .. })) => {
                        if self.catch_up(&slot, &mut log).await? == 0 {
                            return Err(e.into());
                        }
                        self.deciding_again(1);
                    }
                    // Applied long ago (beyond the remembered commands).
                    Err(SessionError::Store(StoreError::DuplicateCommand { seq })) => {
                        self.catch_up(&slot, &mut log).await?;
                        return Ok(duplicate(&log.view, seq));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }

    /// Folds `events` into the decided view and adds them to the session's
    /// group commit (a shared store): written now if no write is in
    /// flight, else with the group decided behind it. Resolves once they
    /// are durable and published, or when the command must decide again.
    async fn commit_grouped(
        &self,
        slot: &Arc<Slot>,
        mut log: tokio::sync::MutexGuard<'_, Log>,
        events: Vec<NewEvent>,
        answer: impl FnOnce(&Log) -> Committed,
        ordered: Option<&(dyn Fn() + Sync)>,
    ) -> Grouped {
        let listing = log.view.listing_after(events.iter().map(|n| &n.event));
        for NewEvent { event, .. } in &events {
            self.decided(&mut log, event);
        }
        self.forget_if_ended(&log);
        let committed = answer(&log);
        let (member, outcome) = oneshot::channel();
        if log.groups.writing {
            log.groups
                .pending
                .get_or_insert_with(Box::default)
                .add(events, listing, member);
        } else {
            log.groups.writing = true;
            let mut group = Group::default();
            group.add(events, listing, member);
            tokio::spawn(self.share().flush(Arc::clone(slot), group));
        }
        drop(log);
        if let Some(ordered) = ordered {
            ordered();
        }
        match outcome.await {
            Ok(Outcome::Stored) => Grouped::Done(Ok(committed)),
            Ok(Outcome::Failed(e)) => Grouped::Done(Err(e.into())),
            Ok(Outcome::Redo(turn)) => Grouped::Redo(turn),
            Err(_) => Grouped::Done(Err(SessionError::Store(StoreError::Unavailable(
                "the session's writer stopped; retry".into(),
            )))),
        }
    }

    /// A session's flusher (a shared store): writes its groups one after
    /// another while commands keep deciding behind them. Each group is
    /// published once durable; then, if asked, what other nodes stored is
    /// read; then the group decided meanwhile is written.
    async fn flush(self, slot: Arc<Slot>, mut group: Group) {
        loop {
            let written = self
                .store
                .append(&group.events, group.listing.as_ref())
                .await;
            let mut log = slot.log.lock().await;
            if let Err(e) = written {
                self.group_failed(&slot, &mut log, group, e).await;
                return;
            }
            for NewEvent { event, frame, .. } in &group.events {
                self.publish(&slot, event, frame, true);
            }
            group.stored();
            if log.groups.catch_up || !log.groups.waiters.is_empty() {
                log.groups.catch_up = false;
                match self.catch_up_published(&slot, &mut log).await {
                    Ok(0) => {}
                    // Decided without the events just read: again.
                    Ok(_) => {
                        if let Some(stale) = log.groups.pending.take() {
                            self.deciding_again(stale.members.len());
                            log.groups.decide_again(stale.members, &slot);
                        }
                    }
                    Err(e) => {
                        self.unavailable(&slot, &mut log, None, &store_error(e));
                        return;
                    }
                }
                log.groups.wake_waiters();
            }
            match log.groups.pending.take() {
                Some(next) => group = *next,
                None => {
                    log.groups.writing = false;
                    return;
                }
            }
        }
    }

    /// A group's write failed. The store unreachable: its commands and
    /// those behind fail (a retryable error) and the session is read back
    /// on its next use. Refused (another node appended first, a command
    /// applied long ago): the view is brought to the store's, and every
    /// command in flight decides again, in its order.
    async fn group_failed(&self, slot: &Arc<Slot>, log: &mut Log, group: Group, error: StoreError) {
        if matches!(error, StoreError::Unavailable(_)) {
            self.unavailable(slot, log, Some(group), &error);
            return;
        }
        log.reset_to(slot.published().view.clone());
        if let Err(e) = self.catch_up(slot, log).await {
            self.unavailable(slot, log, Some(group), &store_error(e));
            return;
        }
        let mut members = group.members;
        if let Some(behind) = log.groups.pending.take() {
            members.extend(behind.members);
        }
        self.deciding_again(members.len());
        log.groups.writing = false;
        log.groups.decide_again(members, slot);
        log.groups.wake_waiters();
    }

    /// Fails the group in flight (if any) and the one behind it, and drops
    /// the session from memory.
    fn unavailable(&self, slot: &Slot, log: &mut Log, group: Option<Group>, error: &StoreError) {
        if let Some(group) = group {
            group.failed(error);
        }
        if let Some(behind) = log.groups.pending.take() {
            behind.failed(&StoreError::Unavailable(
                "an earlier write to this session failed; retry".into(),
            ));
        }
        log.groups.writing = false;
        log.groups.wake_waiters();
        self.discard(slot);
    }

    /// Publishes what other nodes stored after the published state, with
    /// no write of this node's in flight. Decisions made behind it are
    /// forgotten when there was any (the caller has them decided again).
    /// Returns how many events were read.
    async fn catch_up_published(&self, slot: &Slot, log: &mut Log) -> Result<usize, SessionError> {
        let (session_id, last) = {
            let published = slot.published();
            (published.view.session_id.clone(), published.view.last_seq)
        };
        let missed = self
            .store
            .events_after(&session_id, last, usize::MAX)
            .await?;
        if missed.is_empty() {
            return Ok(0);
        }
        if log.view.last_seq != last {
            log.reset_to(slot.published().view.clone());
        }
        for event in &missed {
            self.receive(slot, log, event);
        }
        Ok(missed.len())
    }

    /// The session's order, caught up with what other nodes stored (a
    /// shared store): at once when no write of this node's is in flight,
    /// else once it lands (its flusher reads them).
    async fn caught_up<'s>(
        &self,
        slot: &'s Slot,
    ) -> Result<tokio::sync::MutexGuard<'s, Log>, SessionError> {
        let mut log = slot.log.lock().await;
        if log.groups.writing {
            after_write(log).await;
            return Ok(slot.log.lock().await);
        }
        self.catch_up(slot, &mut log).await?;
        Ok(log)
    }

    /// The answer to a command applied before as event `seq`: once that
    /// event is published, if its write is still in flight (the repeat
    /// takes a turn in the chain of writes).
    async fn repeated(
        &self,
        slot: &Slot,
        mut log: tokio::sync::MutexGuard<'_, Log>,
        seq: u64,
    ) -> Result<Committed, SessionError> {
        let answer = duplicate(&log.view, seq);
        if log.all_published() {
            return Ok(answer);
        }
        let (settle, before) = log.queue_behind();
        drop(log);
        match self.await_turn(slot, before, seq).await {
            Ok(()) => {
                let _ = settle.send(Settled::Published);
                Ok(answer)
            }
            Err(e) => {
                let _ = settle.send(Settled::Failed);
                Err(e)
            }
        }
    }

    /// Folds and publishes locally an event another node committed.
    fn receive(&self, slot: &Slot, log: &mut Log, event: &SessionEvent) {
        self.decided(log, event);
        self.publish(slot, event, &Frame::event(event), false);
        self.forget_if_ended(log);
    }

    fn forget_if_ended(&self, log: &Log) {
        if !log.view.is_open() {
            let (sub, id) = (&log.view.customer.sub, &log.view.session_id);
            self.open_by_customer.remove_if(sub, |_, open| open == id);
        }
    }

    /// An event another node committed, as its publish arrived: folded in
    /// if this node holds the session and it is the next one; a gap is
    /// filled from the store first; one seen already is ignored.
    pub async fn apply_remote(&self, event: &SessionEvent) -> Result<(), SessionError> {
        let Some(slot) = self.held(&event.session_id) else {
            return Ok(());
        };
        let mut log = slot.log.lock().await;
        if log.groups.writing {
            // Read by the flusher, after the write in flight.
            log.groups.catch_up = true;
            return Ok(());
        }
        let last = log.view.last_seq;
        if event.seq == last + 1 {
            self.receive(&slot, &mut log, event);
        } else if event.seq > last + 1 {
            self.catch_up(&slot, &mut log).await?;
        }
        Ok(())
    }

    /// [`LocalEngine::apply_remote`] without waiting: done (and `true`)
    /// when the session is not held, the event was seen already, or it is
    /// the next one and the session's order is free; `false` when it must
    /// wait for the order or fill a gap first (call `apply_remote` then).
    pub fn try_apply_remote(&self, event: &SessionEvent) -> bool {
        let Some(slot) = self.held(&event.session_id) else {
            return true;
        };
        let Ok(mut log) = slot.log.try_lock() else {
            return false;
        };
        if log.groups.writing {
            log.groups.catch_up = true;
            return true;
        }
        let last = log.view.last_seq;
        if event.seq == last + 1 {
            self.receive(&slot, &mut log, event);
        }
        event.seq <= last + 1
    }

    /// Compares every held session with the store and catches up those
    /// behind (a publish that never arrived). Returns how many were behind.
    pub async fn check_positions(&self) -> Result<usize, SessionError> {
        let held: Vec<(SessionId, u64)> = self
            .sessions
            .iter()
            .map(|s| (s.key().clone(), s.value().published().view.last_seq))
            .collect();
        if held.is_empty() {
            return Ok(0);
        }
        let ids: Vec<SessionId> = held.iter().map(|(id, _)| id.clone()).collect();
        let stored: HashMap<SessionId, u64> =
            self.store.last_seqs(&ids).await?.into_iter().collect();
        let mut behind = 0;
        for (id, seen) in held {
            if stored.get(&id).is_none_or(|&last| last <= seen) {
                continue;
            }
            let Some(slot) = self.held(&id) else {
                continue;
            };
            let mut log = slot.log.lock().await;
            if log.groups.writing {
                // Read by its flusher once the write in flight lands.
                log.groups.catch_up = true;
            } else if self.catch_up(&slot, &mut log).await? > 0 {
                behind += 1;
            }
        }
        Ok(behind)
    }
}

/// How a command's place in a group commit ended.
enum Grouped {
    /// Stored (or not, for good).
    Done(Result<Committed, SessionError>),
    /// To decide again, in this turn.
    Redo(Turn),
}

/// Lets go of the session's order and resolves once the write in flight
/// has landed and what other nodes stored has been read.
async fn after_write(mut log: tokio::sync::MutexGuard<'_, Log>) {
    let (landed, wait) = oneshot::channel();
    log.groups.waiters.push(landed);
    drop(log);
    let _ = wait.await;
}

/// What a catch-up's failure says of the store.
fn store_error(error: SessionError) -> StoreError {
    match error {
        SessionError::Store(e) => e,
        other => StoreError::Backend(other.to_string()),
    }
}

/// The answer to a command applied before, as event `seq`.
fn duplicate(view: &SessionView, seq: u64) -> Committed {
    Committed {
        seq,
        duplicate: true,
        stored: 0,
        last_seq: view.last_seq,
        calls: (view.call, view.call),
    }
}

impl SessionEngine for LocalEngine {
    fn open<'a>(
        &'a self,
        customer: &'a Principal,
        context: CustomerContext,
        command_id: &'a str,
    ) -> BoxFuture<'a, Result<Opened, SessionError>> {
        Box::pin(async move {
            loop {
                let existing = self
                    .open_by_customer
                    .get(&customer.sub)
                    .map(|id| id.value().clone());
                let existing = match existing {
                    None => self.store.open_session_of(&customer.sub).await?,
                    found => found,
                };
                if let Some(id) = existing {
                    if let Ok(slot) = self.slot(&id).await {
                        // Waits until a session being created is durable.
                        let log = if self.options.shared_store {
                            // Another node may have ended it.
                            self.caught_up(&slot).await?
                        } else {
                            slot.log.lock().await
                        };
                        if log.view.is_open() {
                            self.open_by_customer
                                .insert(customer.sub.clone(), id.clone());
                            return Ok(Opened {
                                view: log.view.clone(),
                                created: false,
                            });
                        }
                    }
                    self.open_by_customer
                        .remove_if(&customer.sub, |_, open| *open == id);
                    continue;
                }
                let record = SessionRecord {
                    session_id: format!("s_{}", random_hex(8)),
                    epoch: random_hex(8),
                    customer: customer.clone(),
                    context: context.clone(),
                    created_at: self.clock.now_millis(),
                };
                let first = SessionEvent {
                    session_id: record.session_id.clone(),
                    seq: 1,
                    at: record.created_at,
                    from: customer.clone(),
                    client_id: Some(command_id.to_owned()),
                    body: EventBody::SessionOpened {
                        context: context.clone(),
                    },
                };
                let new = Arc::new(self.empty_slot(SessionView::new(&record)));
                // Held until the store has the session, so a second tab that
                // finds it waits instead of seeing a session not yet durable.
                let mut log = new.log.lock().await;
                match self.open_by_customer.entry(customer.sub.clone()) {
                    Entry::Occupied(_) => continue,
                    Entry::Vacant(vacant) => {
                        vacant.insert(record.session_id.clone());
                    }
                }
                self.sessions
                    .insert(record.session_id.clone(), Arc::clone(&new));
                let ops = self.options.webhooks.ops_for(&first);
                if let Err(e) = self.store.create(&record, &first, &ops).await {
                    self.sessions.remove(&record.session_id);
                    self.open_by_customer
                        .remove_if(&customer.sub, |_, id| *id == record.session_id);
                    if let StoreError::AlreadyOpen { session_id } = e {
                        // Another node opened one first: that is the one.
                        self.open_by_customer
                            .insert(customer.sub.clone(), session_id);
                        continue;
                    }
                    return Err(e.into());
                }
                self.decided(&mut log, &first);
                self.publish(&new, &first, &Frame::event(&first), true);
                return Ok(Opened {
                    view: log.view.clone(),
                    created: true,
                });
            }
        })
    }

    fn append<'a>(
        &'a self,
        session_id: &'a str,
        append: Append<'a>,
    ) -> BoxFuture<'a, Result<Committed, SessionError>> {
        Box::pin(self.append_in_order(session_id, append, None))
    }

    fn append_ordered<'a>(
        &'a self,
        session_id: &'a str,
        append: Append<'a>,
        ordered: &'a (dyn Fn() + Sync),
    ) -> BoxFuture<'a, Result<Committed, SessionError>> {
        Box::pin(async move {
            let committed = self
                .append_in_order(session_id, append, Some(ordered))
                .await;
            ordered();
            committed
        })
    }

    fn view<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionView>, SessionError>> {
        Box::pin(self.current_view(session_id))
    }

    fn refresh<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionView>, SessionError>> {
        Box::pin(async move {
            if self.options.shared_store {
                if let Some(slot) = self.held(session_id) {
                    let log = self.caught_up(&slot).await?;
                    return Ok(Some(log.view.clone()));
                }
            }
            self.current_view(session_id).await
        })
    }

    fn replay<'a>(
        &'a self,
        session_id: &'a str,
        after_seq: u64,
    ) -> BoxFuture<'a, Result<Replay, SessionError>> {
        Box::pin(async move {
            let slot = self.slot(session_id).await?;
            if self.options.shared_store {
                // What other nodes acknowledged before this attach must be
                // in its answer, not only on its way here.
                drop(self.caught_up(&slot).await?);
            }
            let (view, mut events, mut first_available) = {
                let published = slot.published();
                let events: Vec<Logged> = published
                    .window
                    .iter()
                    .filter(|e| e.seq > after_seq)
                    .cloned()
                    .collect();
                let first = published
                    .window
                    .front()
                    .map_or(published.view.last_seq + 1, |e| e.seq);
                (published.view.clone(), events, first)
            };
            // Older than the window: from the store, if the gap is short
            // enough. Those events are settled, so the lock is not needed.
            let missing = first_available.saturating_sub(after_seq + 1);
            if missing > 0 && missing as usize <= self.options.history_limit {
                let older = self
                    .store
                    .events_after(session_id, after_seq, missing as usize)
                    .await?;
                if let Some(first) = older.first() {
                    first_available = first.seq;
                }
                let mut all: Vec<Logged> = older.iter().map(Logged::of).collect();
                all.append(&mut events);
                events = all;
            }
            Ok(Replay {
                view,
                events,
                first_available,
            })
        })
    }

    fn read<'a>(
        &'a self,
        session_id: &'a str,
        after_seq: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<SessionEvent>, SessionError>> {
        Box::pin(async move {
            Ok(self
                .store
                .events_after(session_id, after_seq, limit)
                .await?)
        })
    }

    fn open_sessions(&self) -> BoxFuture<'_, Result<Vec<SessionView>, SessionError>> {
        Box::pin(async move {
            // From the store: sessions not held (never used since the
            // start, or released when idle) are read back.
            let open = SessionFilter {
                state: Some(SessionState::Open),
                limit: usize::MAX,
                ..SessionFilter::default()
            };
            let listed = self.store.list(&open).await?;
            let ids: Vec<SessionId> = listed.into_iter().map(|s| s.session_id).collect();
            let mut open = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(view) = self.current_view(&id).await? {
                    if view.is_open() {
                        open.push(view);
                    }
                }
            }
            Ok(open)
        })
    }

    fn open_session_of<'a>(&'a self, sub: &'a str) -> BoxFuture<'a, Option<SessionId>> {
        let id = self.open_by_customer.get(sub).map(|id| id.value().clone());
        Box::pin(async move {
            if id.is_some() && !self.options.shared_store {
                return id;
            }
            match self.store.open_session_of(sub).await {
                Ok(id) => id,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the customer's open session");
                    id
                }
            }
        })
    }

    fn forget(&self, ids: &[SessionId]) {
        for id in ids {
            if let Some((_, slot)) = self.sessions.remove(id) {
                let customer = slot.published().view.customer.sub.clone();
                self.open_by_customer
                    .remove_if(&customer, |_, open| open == id);
            }
        }
    }

    fn release(&self, session_id: &str) {
        // Only a session nobody is using: an append or a read in flight
        // holds a clone of the slot. An open one stays its customer's open
        // session, read back on its next use.
        self.sessions
            .remove_if(session_id, |_, slot| Arc::strong_count(slot) == 1);
    }

    fn sessions_held(&self) -> usize {
        self.sessions.len()
    }

    fn window_bytes(&self) -> usize {
        self.all_windows.load(Ordering::Relaxed)
    }
}
