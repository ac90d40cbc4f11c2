//! A session's state in the engine: its order lock over the decided
//! state, and the published state readers see.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

use super::applied::Applied;
use super::Logged;
use crate::error::StoreError;
use crate::session::SessionView;
use crate::store::{NewEvent, SessionSummary};

/// A session's decided state, under its order lock: the view including
/// the writes in flight, the idempotency index of its last commands, and
/// the writes in flight (the newest one on a store only this process
/// writes; the group commit's state on a shared one).
#[derive(Debug)]
pub(super) struct Log {
    pub(super) view: SessionView,
    /// The idempotency index of its last commands.
    pub(super) applied: Applied,
    /// Resolves when the newest write in flight has settled.
    pub(super) tail: Option<oneshot::Receiver<Settled>>,
    /// On a shared store: the write in flight and what waits for it.
    pub(super) groups: Groups,
}

impl Log {
    /// Takes the decided state back to `published`: what was decided after
    /// it was not stored, idempotency entries included.
    pub(super) fn reset_to(&mut self, published: SessionView) {
        self.applied.forget_after(published.last_seq);
        self.view = published;
    }

    /// Becomes the newest write in flight: how to tell the next one how
    /// this one settled, and what to wait for before this one's turn.
    pub(super) fn queue_behind(
        &mut self,
    ) -> (oneshot::Sender<Settled>, Option<oneshot::Receiver<Settled>>) {
        let (settle, settled) = oneshot::channel();
        (settle, self.tail.replace(settled))
    }

    /// Whether every write queued so far has been published (the next one
    /// may then publish as soon as it is durable).
    pub(super) fn all_published(&mut self) -> bool {
        let Some(tail) = self.tail.as_mut() else {
            return true;
        };
        let settled = match tail.try_recv() {
            Ok(Settled::Published) => {
                self.tail = None;
                return true;
            }
            Err(oneshot::error::TryRecvError::Empty) => return false,
            Ok(settled) => Some(settled),
            Err(oneshot::error::TryRecvError::Closed) => None,
        };
        // Taken: hand the next write the same answer.
        let (settle, again) = oneshot::channel();
        if let Some(settled) = settled {
            let _ = settle.send(settled);
        }
        self.tail = Some(again);
        false
    }
}

/// A session's group commit on a store other nodes share. Commands decide
/// under the order lock as soon as they come, on the view that includes
/// the decisions not yet durable; at most one write is in flight, and what
/// was decided behind it is written as one group when it lands. A write
/// is therefore only ever sent when everything before it is stored, so a
/// refused write cannot be followed by one that lands on another node's
/// event.
#[derive(Debug, Default)]
pub(super) struct Groups {
    /// A group's write is in flight; its flusher task runs.
    pub(super) writing: bool,
    /// Decided behind the write in flight; written when it lands.
    pub(super) pending: Option<Box<Group>>,
    /// Read what other nodes stored once the write in flight lands.
    pub(super) catch_up: bool,
    /// Woken once the write in flight has landed and the catch-up asked
    /// for is done.
    pub(super) waiters: Vec<oneshot::Sender<()>>,
    /// Commands waiting to decide again, in order, one at a time.
    pub(super) redo: VecDeque<oneshot::Sender<Outcome>>,
    /// A redo is under way: commands that come now queue in `redo` too,
    /// so a connection's commands keep their order.
    pub(super) redoing: bool,
}

impl Groups {
    /// Has `members`, whose writes were not stored, decide again one at a
    /// time in this order (no write is in flight any more).
    pub(super) fn decide_again(
        &mut self,
        members: Vec<oneshot::Sender<Outcome>>,
        slot: &Arc<Slot>,
    ) {
        self.redo.extend(members);
        self.redoing = true;
        self.pass_turn(slot);
    }

    /// Hands the turn to the next command waiting to decide again
    /// (skipping those gone); the redo ends when none is left.
    pub(super) fn pass_turn(&mut self, slot: &Arc<Slot>) {
        while let Some(next) = self.redo.pop_front() {
            match next.send(Outcome::Redo(Turn::new(slot))) {
                Ok(()) => return,
                Err(Outcome::Redo(mut unused)) => unused.slot = None,
                Err(_) => {}
            }
        }
        self.redoing = false;
    }

    /// Wakes whoever waits for the write in flight.
    pub(super) fn wake_waiters(&mut self) {
        for waiter in self.waiters.drain(..) {
            let _ = waiter.send(());
        }
    }
}

/// Commands decided behind the same write, stored in one.
#[derive(Debug, Default)]
pub(super) struct Group {
    /// Their events, in order.
    pub(super) events: Vec<NewEvent>,
    /// The listing after the group, if one of its commands changed it.
    pub(super) listing: Option<SessionSummary>,
    /// Each command's answer, in order.
    pub(super) members: Vec<oneshot::Sender<Outcome>>,
}

impl Group {
    /// Adds a command's events (and listing, when they change it).
    pub(super) fn add(
        &mut self,
        events: Vec<NewEvent>,
        listing: Option<SessionSummary>,
        member: oneshot::Sender<Outcome>,
    ) {
        self.events.extend(events);
        if listing.is_some() {
            self.listing = listing;
        }
        self.members.push(member);
    }

    /// Tells every command its events are durable and published.
    pub(super) fn stored(self) {
        for member in self.members {
            let _ = member.send(Outcome::Stored);
        }
    }

    /// Tells every command its events were not stored.
    pub(super) fn failed(self, error: &StoreError) {
        for member in self.members {
            let _ = member.send(Outcome::Failed(error.clone()));
        }
    }
}

/// How a group's write ended for one of its commands.
#[derive(Debug)]
pub(super) enum Outcome {
    /// Durable and published.
    Stored,
    /// Not stored; deciding again would not help now.
    Failed(StoreError),
    /// Not stored (refused, or decided on a view the write before it no
    /// longer stands on): decide again, in this turn.
    Redo(Turn),
}

/// The turn to decide again while a redo is under way. Dropped (the
/// command decided, gave up or went away), it passes to the next one.
#[derive(Debug)]
pub(super) struct Turn {
    slot: Option<Arc<Slot>>,
}

impl Turn {
    fn new(slot: &Arc<Slot>) -> Turn {
        Turn {
            slot: Some(Arc::clone(slot)),
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let Some(slot) = self.slot.take() else {
            return;
        };
        if let Ok(mut log) = slot.log.try_lock() {
            log.groups.pass_turn(&slot);
            return;
        }
        // The order is held (by this command, say): pass it once free.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let mut log = slot.log.lock().await;
                log.groups.pass_turn(&slot);
            });
        }
    }
}

/// How a write in flight ended, handed to the write queued after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Settled {
    /// Durable, and its events published.
    Published,
    /// Not stored; the session was dropped from memory.
    Failed,
}

/// What readers see of a session: the view and the recent log as of the
/// last event published.
#[derive(Debug)]
pub(super) struct Published {
    pub(super) view: SessionView,
    pub(super) window: VecDeque<Logged>,
    /// Bytes of the frames in `window`.
    pub(super) window_bytes: usize,
    /// Bytes of every held session's window (shared; this log's part is
    /// taken out when it is dropped).
    pub(super) all_windows: Arc<AtomicUsize>,
}

impl Published {
    /// Drops the oldest events while the window holds more than one event
    /// and more than `limit` events or `bytes` bytes.
    pub(super) fn trim(&mut self, limit: usize, bytes: usize) {
        while self.window.len() > 1 && (self.window.len() > limit || self.window_bytes > bytes) {
            if let Some(old) = self.window.pop_front() {
                let len = old.frame.as_str().len();
                self.window_bytes -= len;
                self.all_windows.fetch_sub(len, Ordering::Relaxed);
            }
        }
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        self.all_windows
            .fetch_sub(self.window_bytes, Ordering::Relaxed);
    }
}

/// One session held by the engine.
#[derive(Debug)]
pub(super) struct Slot {
    /// The order lock.
    pub(super) log: tokio::sync::Mutex<Log>,
    /// The published state, readable without the order lock.
    pub(super) published: Mutex<Published>,
    /// A write failed: the decided view is ahead of the store. The slot has
    /// left the engine's map; whoever finds it set reads the session back.
    pub(super) failed: AtomicBool,
}

impl Slot {
    pub(super) fn published(&self) -> MutexGuard<'_, Published> {
        // Changed one event at a time; a panic cannot leave it torn.
        self.published.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(super) fn slot(log: Log, published: Published) -> Slot {
    Slot {
        log: tokio::sync::Mutex::new(log),
        published: Mutex::new(published),
        failed: AtomicBool::new(false),
    }
}
