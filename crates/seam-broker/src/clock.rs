//! Wall-clock time for event timestamps.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time, Unix milliseconds.
pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
