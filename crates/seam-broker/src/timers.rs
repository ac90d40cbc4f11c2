//! The one timer service: every deadline the broker keeps (an unanswered
//! mode request, an offer, an agent's offline grace, a visitor invitation,
//! a call's TURN credentials) is an entry in one set, served by one task.
//!
//! The task sleeps until the earliest deadline on the broker's [`Clock`]
//! (so tests move time by hand), wakes early when an earlier timer is
//! armed, hands each due [`Timer`] to the [`TimerHandler`] one at a time,
//! and stops at shutdown: once [`Timers::run`]'s task has ended, no timer
//! fires again. A timer carries ids, never handles: whoever handles it
//! checks that what it refers to still stands (the request is still
//! pending, the offer still out).

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use seam_protocol::SessionId;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::shutdown::ShutdownSignal;

/// Something to do at a deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Timer {
    /// Expire the mode request if it is still pending.
    ModeRequestExpiry {
        /// The session.
        session_id: SessionId,
        /// The request.
        request_id: String,
    },
    /// Send fresh ICE servers if this call is still going on.
    IceRefresh {
        /// The session.
        session_id: SessionId,
        /// The call's number (see `SessionView::call`).
        call: u64,
    },
    /// Let go of a session's memory (ended, or idle and unwatched).
    ReleaseSession {
        /// The session.
        session_id: SessionId,
        /// Only if no connection of this node is attached to it by then.
        if_unwatched: bool,
    },
    /// Revoke the offer if the agent has not answered it.
    OfferExpiry {
        /// The offer.
        offer_id: String,
    },
    /// Mark the agent offline unless they reconnected.
    AgentOffline {
        /// The agent.
        sub: String,
        /// Their presence counter when they left.
        presence: u64,
    },
    /// Invite the visitor if they are still on the page.
    Invitation {
        /// The visitor.
        sub: String,
        /// Which page view armed it.
        view: u64,
        /// The index of the invitation rule.
        rule: usize,
    },
}

/// A boxed future returned by a handler.
pub(crate) type Fired<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Carries out timers when they are due.
pub(crate) trait TimerHandler: Send + Sync + 'static {
    /// Does what `timer` stands for.
    fn fire(&self, timer: Timer) -> Fired<'_>;
}

#[derive(Debug, Default)]
struct Deadlines {
    /// (deadline, id), earliest first.
    order: BTreeSet<(u64, u64)>,
    timers: HashMap<u64, Timer>,
    next_id: u64,
}

/// A handle for arming timers; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Timers {
    deadlines: Arc<Mutex<Deadlines>>,
    wake: Arc<Notify>,
    clock: Arc<dyn Clock>,
}

impl Timers {
    /// A timer set on `clock`; nothing fires until [`Timers::run`].
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Timers {
        Timers {
            deadlines: Arc::new(Mutex::new(Deadlines::default())),
            wake: Arc::new(Notify::new()),
            clock,
        }
    }

    fn deadlines(&self) -> MutexGuard<'_, Deadlines> {
        // Inserts and removals only; a panic cannot leave them half done.
        self.deadlines.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The clock the timers run on.
    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Fires `timer` at `deadline` (Unix milliseconds on the clock).
    pub(crate) fn at(&self, deadline: u64, timer: Timer) {
        let earliest = {
            let mut d = self.deadlines();
            d.next_id += 1;
            let id = d.next_id;
            d.order.insert((deadline, id));
            d.timers.insert(id, timer);
            d.order.first() == Some(&(deadline, id))
        };
        if earliest {
            self.wake.notify_one();
        }
    }

    /// Fires `timer` `after_ms` from now.
    pub(crate) fn after(&self, after_ms: u64, timer: Timer) {
        self.at(self.clock.now_millis().saturating_add(after_ms), timer);
    }

    /// Every timer set, with its deadline, soonest first.
    #[cfg(test)]
    pub(crate) fn pending(&self) -> Vec<(u64, Timer)> {
        let d = self.deadlines();
        d.order
            .iter()
            .filter_map(|(deadline, id)| Some((*deadline, d.timers.get(id)?.clone())))
            .collect()
    }

    /// The due timer with the earliest deadline, or the next deadline.
    fn next(&self, now: u64) -> Result<Timer, Option<u64>> {
        let mut d = self.deadlines();
        match d.order.first().copied() {
            Some((deadline, id)) if deadline <= now => {
                d.order.remove(&(deadline, id));
                d.timers.remove(&id).ok_or(Some(now))
            }
            Some((deadline, _)) => Err(Some(deadline)),
            None => Err(None),
        }
    }

    /// Serves the timers until shutdown.
    pub(crate) fn run(
        &self,
        handler: Arc<dyn TimerHandler>,
        mut shutdown: ShutdownSignal,
    ) -> JoinHandle<()> {
        let timers = self.clone();
        tokio::spawn(async move {
            loop {
                let next = timers.next(timers.clock.now_millis());
                let sleep = match next {
                    Ok(timer) => {
                        // A timer that started firing finishes (its store
                        // write completes); none starts after shutdown.
                        if shutdown.is_triggered() {
                            return;
                        }
                        handler.fire(timer).await;
                        continue;
                    }
                    Err(Some(deadline)) => timers.clock.sleep_until(deadline),
                    Err(None) => Box::pin(std::future::pending()),
                };
                tokio::select! {
                    biased;
                    _ = shutdown.recv() => return,
                    _ = timers.wake.notified() => {}
                    _ = sleep => {}
                }
            }
        })
    }
}
