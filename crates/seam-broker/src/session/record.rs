//! What is known about a session besides its events: the record it was
//! opened with, its rating, and the summary a listing shows.

use seam_protocol::{CustomerContext, Principal, SessionId};

/// What a store knows about a session apart from its events.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    /// The session's id.
    pub session_id: SessionId,
    /// The epoch of its log.
    pub epoch: String,
    /// Its customer.
    pub customer: Principal,
    /// The context it was opened with.
    pub context: CustomerContext,
    /// Creation time, Unix milliseconds.
    pub created_at: u64,
}

pub use seam_protocol::{Rating, SessionSummary};
