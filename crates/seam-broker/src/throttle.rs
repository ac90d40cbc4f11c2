//! Log lines that cannot flood the log: a limit that bites a thousand
//! times a second, or a store that fails every write, is logged once per
//! interval with a count of the lines held back.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Logs a warning at most once per interval, saying how many were held back.
#[derive(Debug)]
pub(crate) struct Throttled {
    what: &'static str,
    every: Duration,
    last: Mutex<Option<Instant>>,
    held_back: AtomicU64,
}

impl Throttled {
    /// A throttled warning about `what`, at most once per `every`.
    pub(crate) fn new(what: &'static str, every: Duration) -> Throttled {
        Throttled {
            what,
            every,
            last: Mutex::new(None),
            held_back: AtomicU64::new(0),
        }
    }

    /// Logs `detail` unless a warning was logged less than an interval ago.
    pub(crate) fn warn(&self, detail: &dyn std::fmt::Display) {
        if self.due() {
            let held_back = self.held_back.swap(0, Ordering::Relaxed);
            tracing::warn!(held_back, "{}: {detail}", self.what);
        }
    }

    /// Logs `detail` as an error, throttled like [`Throttled::warn`].
    pub(crate) fn error(&self, detail: &dyn std::fmt::Display) {
        if self.due() {
            let held_back = self.held_back.swap(0, Ordering::Relaxed);
            tracing::error!(held_back, "{}: {detail}", self.what);
        }
    }

    /// Whether a line may be logged now (else it is counted as held back).
    fn due(&self) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < self.every) {
            self.held_back.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        *last = Some(now);
        true
    }
}
