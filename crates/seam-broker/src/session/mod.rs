//! Sessions as data and rules: the fold of a session's log
//! ([`SessionView`]) and the pure decisions of what a command may do
//! ([`rules`]). Nothing here does I/O, takes a lock or reads a clock; the
//! engine applies these under each session's order.

mod record;
pub mod rules;
mod view;

pub use record::{Rating, SessionRecord, SessionSummary};
pub use rules::WantedMode;
pub use view::{redact_log, ListingChange, SessionView};

use crate::error::StoreError;

/// Why a session refused a command.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No such session.
    #[error("no session with this id")]
    NotFound,
    /// A customer addressed another customer's session.
    #[error("this session belongs to another customer")]
    NotYourSession,
    /// The actor has not joined the session.
    #[error("you are not a participant of this session; join it first")]
    NotAParticipant,
    /// The session has ended.
    #[error("the session has ended")]
    Ended,
    /// Another mode request is pending.
    #[error("another mode request is pending; answer or cancel it first")]
    RequestPending,
    /// No pending request has this id.
    #[error("no pending mode request with this id (answered, cancelled or expired)")]
    RequestNotFound,
    /// The actor may not answer or cancel this request.
    #[error("{0}")]
    NotYourRequest(&'static str),
    /// The mode change makes no sense from the current mode.
    #[error("{0}")]
    InvalidModeChange(String),
    /// An upgrade attempted without consent.
    #[error("an upgrade needs the other side's consent: use request_mode")]
    ConsentRequired,
    /// Signaling outside a call.
    #[error("the session is not in a voice or video call")]
    NotInCall,
    /// Nobody to deliver a signal to.
    #[error("the target is not a connected participant of this session")]
    TargetNotFound,
    /// The actor's role may not do this (the message says what it may do).
    #[error("{0}")]
    Forbidden(&'static str),
    /// Rating an open session.
    #[error("only an ended session can be rated")]
    NotEnded,
    /// Rating twice.
    #[error("this session was already rated")]
    AlreadyRated,
    /// The command names something in the session that cannot be acted
    /// on (a message that does not exist, or was deleted).
    #[error("{0}")]
    InvalidTarget(String),
    /// The store refused the event.
    #[error(transparent)]
    Store(#[from] StoreError),
}
