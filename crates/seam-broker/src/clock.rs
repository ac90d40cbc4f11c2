//! Time, injectable: every timestamp the broker records and every timer it
//! arms reads a [`Clock`], so tests can make time exact and move it by hand.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

/// A boxed future, so the trait stays object-safe.
pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// Now, Unix milliseconds.
    fn now_millis(&self) -> u64;

    /// Resolves once the clock reads `deadline` (Unix milliseconds) or later.
    fn sleep_until(&self, deadline: u64) -> Sleep<'_>;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> u64 {
        now_millis()
    }

    fn sleep_until(&self, deadline: u64) -> Sleep<'_> {
        let wait = Duration::from_millis(deadline.saturating_sub(now_millis()));
        Box::pin(tokio::time::sleep(wait))
    }
}

/// A clock that only moves when told to (tests). Timers armed on it fire
/// when [`ManualClock::advance`] moves it past their deadline.
#[derive(Debug)]
pub struct ManualClock {
    now: watch::Sender<u64>,
}

impl ManualClock {
    /// A clock standing at `start` (Unix milliseconds).
    pub fn new(start: u64) -> ManualClock {
        ManualClock {
            now: watch::Sender::new(start),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, millis: u64) {
        self.now.send_modify(|now| *now += millis);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> u64 {
        *self.now.borrow()
    }

    fn sleep_until(&self, deadline: u64) -> Sleep<'_> {
        let mut now = self.now.subscribe();
        Box::pin(async move {
            // The sender lives as long as the clock, which outlives this wait.
            let _ = now.wait_for(|now| *now >= deadline).await;
        })
    }
}

/// The current wall-clock time, Unix milliseconds.
pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
