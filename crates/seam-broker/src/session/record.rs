//! What is known about a session besides its events: the record it was
//! opened with, its rating, and the summary a listing shows.

use seam_protocol::{CustomerContext, Principal, SessionId, SessionState};
use serde::{Deserialize, Serialize};

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

/// A customer's rating of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Rating {
    /// 1 to 5.
    pub score: u8,
    /// What they said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// One line of a session listing: a projection of
/// [`super::SessionView`], the one fold of a session's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SessionSummary {
    /// The session.
    pub session_id: SessionId,
    /// Its customer.
    pub customer: Principal,
    /// What they came for.
    pub context: CustomerContext,
    /// Open or ended.
    pub state: SessionState,
    /// Created, Unix milliseconds.
    pub created_at: u64,
    /// Ended, Unix milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<u64>,
    /// The queue it waited in or came through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Every agent (or bot, supervisor) who took part, by `sub`.
    pub agents: Vec<String>,
    /// The last event's seq.
    pub last_seq: u64,
    /// The customer's rating, once given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
}
