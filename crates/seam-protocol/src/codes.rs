//! Every error code and close code of the protocol, in one place, with what
//! it means and what a client should do about it.

use serde::{Deserialize, Serialize};

/// The stable code of an `error` frame. The connection stays open after an
/// error frame; the command it answers had no effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame was not valid JSON.
    BadJson,
    /// The frame's `type` is not a known command.
    UnknownType,
    /// A known command with missing or ill-typed fields.
    InvalidMessage,
    /// The frame exceeded the broker's frame size limit.
    FrameTooLarge,
    /// The chat text exceeded the broker's message length limit.
    MessageTooLarge,
    /// Too many commands; retry after `retry_after_ms`.
    RateLimited,
    /// A second `hello` on an authenticated connection.
    AlreadyAuthenticated,
    /// The principal's role may not perform this command.
    Forbidden,
    /// A customer addressed a session that belongs to someone else.
    NotYourSession,
    /// No session has this id.
    SessionNotFound,
    /// The session has ended and accepts no new events.
    SessionEnded,
    /// The command needs the sender to have joined the session first.
    NotAParticipant,
    /// A token given to `refresh_token` was invalid or for another principal.
    InvalidToken,
    /// The broker's configuration does not allow this mode (or screen sharing).
    ModeDisabled,
    /// The mode change makes no sense: an upgrade to a mode not above the
    /// current one, or a downgrade to one not below it.
    InvalidModeChange,
    /// An upgrade was attempted with `set_mode`; use `request_mode`.
    ConsentRequired,
    /// Another mode request is already pending.
    RequestPending,
    /// No pending request has this id (answered, cancelled or expired).
    RequestNotFound,
    /// Only the other side may answer a request; only the requester may cancel it.
    NotYourRequest,
    /// Signaling outside a voice or video call.
    NotInCall,
    /// The signaling target is not a connected participant of the session.
    TargetNotFound,
    /// No such offer for this agent (expired, declined or taken).
    OfferNotFound,
    /// No such queue.
    QueueNotFound,
    /// No such agent, or not connected.
    AgentNotFound,
    /// No such invitation for this visitor, or it was answered.
    InvitationNotFound,
    /// No such visitor connected.
    VisitorNotFound,
    /// Only an ended session can be rated.
    SessionNotEnded,
    /// The session was already rated.
    AlreadyRated,
    /// The broker cannot reach its store (PostgreSQL down, a failover):
    /// the command had no effect; resend the same id after
    /// `retry_after_ms`.
    Unavailable,
    /// The broker failed; the command had no effect and may be retried.
    Internal,
}

impl ErrorCode {
    /// Every error code, for documentation and tests.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::BadJson,
        ErrorCode::UnknownType,
        ErrorCode::InvalidMessage,
        ErrorCode::FrameTooLarge,
        ErrorCode::MessageTooLarge,
        ErrorCode::RateLimited,
        ErrorCode::AlreadyAuthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotYourSession,
        ErrorCode::SessionNotFound,
        ErrorCode::SessionEnded,
        ErrorCode::NotAParticipant,
        ErrorCode::InvalidToken,
        ErrorCode::ModeDisabled,
        ErrorCode::InvalidModeChange,
        ErrorCode::ConsentRequired,
        ErrorCode::RequestPending,
        ErrorCode::RequestNotFound,
        ErrorCode::NotYourRequest,
        ErrorCode::NotInCall,
        ErrorCode::TargetNotFound,
        ErrorCode::OfferNotFound,
        ErrorCode::QueueNotFound,
        ErrorCode::AgentNotFound,
        ErrorCode::InvitationNotFound,
        ErrorCode::VisitorNotFound,
        ErrorCode::SessionNotEnded,
        ErrorCode::AlreadyRated,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
    ];

    /// The code's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadJson => "bad_json",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::InvalidMessage => "invalid_message",
            ErrorCode::FrameTooLarge => "frame_too_large",
            ErrorCode::MessageTooLarge => "message_too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::AlreadyAuthenticated => "already_authenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotYourSession => "not_your_session",
            ErrorCode::SessionNotFound => "session_not_found",
            ErrorCode::SessionEnded => "session_ended",
            ErrorCode::NotAParticipant => "not_a_participant",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::ModeDisabled => "mode_disabled",
            ErrorCode::InvalidModeChange => "invalid_mode_change",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::RequestPending => "request_pending",
            ErrorCode::RequestNotFound => "request_not_found",
            ErrorCode::NotYourRequest => "not_your_request",
            ErrorCode::NotInCall => "not_in_call",
            ErrorCode::TargetNotFound => "target_not_found",
            ErrorCode::OfferNotFound => "offer_not_found",
            ErrorCode::QueueNotFound => "queue_not_found",
            ErrorCode::AgentNotFound => "agent_not_found",
            ErrorCode::InvitationNotFound => "invitation_not_found",
            ErrorCode::VisitorNotFound => "visitor_not_found",
            ErrorCode::SessionNotEnded => "session_not_ended",
            ErrorCode::AlreadyRated => "already_rated",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    /// Whether resending the same command later can succeed.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorCode::RateLimited | ErrorCode::Unavailable | ErrorCode::Internal
        )
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the broker closed a WebSocket (the close frame's code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseCode {
    /// 1000: the client asked to close.
    Normal,
    /// 1001: the broker is shutting down; reconnect (elsewhere) and resume.
    GoingAway,
    /// 1009: a frame exceeded the transport limit; do not resend it.
    TooBig,
    /// 1011: the broker failed; reconnect and resume.
    InternalError,
    /// 4000: the first frame was not a valid `hello`.
    HandshakeFailed,
    /// 4001: no `hello` with a token arrived within the authentication deadline.
    AuthTimeout,
    /// 4002: the token was invalid (signature, issuer, audience, algorithm, claims).
    AuthFailed,
    /// 4003: the token expired; reconnect with a fresh token and resume.
    TokenExpired,
    /// 4004: no protocol version in common.
    UnsupportedVersion,
    /// 4005: the connection stopped answering pings.
    HeartbeatTimeout,
    /// 4008: the client read too slowly and its queue overflowed; reconnect and resume.
    SlowConsumer,
    /// 4009: the principal already has as many connections as it may; close
    /// another one, or reconnect later.
    TooManyConnections,
}

impl CloseCode {
    /// Every close code, for documentation and tests.
    pub const ALL: &'static [CloseCode] = &[
        CloseCode::Normal,
        CloseCode::GoingAway,
        CloseCode::TooBig,
        CloseCode::InternalError,
        CloseCode::HandshakeFailed,
        CloseCode::AuthTimeout,
        CloseCode::AuthFailed,
        CloseCode::TokenExpired,
        CloseCode::UnsupportedVersion,
        CloseCode::HeartbeatTimeout,
        CloseCode::SlowConsumer,
        CloseCode::TooManyConnections,
    ];

    /// The numeric WebSocket close code.
    pub fn code(self) -> u16 {
        match self {
            CloseCode::Normal => 1000,
            CloseCode::GoingAway => 1001,
            CloseCode::TooBig => 1009,
            CloseCode::InternalError => 1011,
            CloseCode::HandshakeFailed => 4000,
            CloseCode::AuthTimeout => 4001,
            CloseCode::AuthFailed => 4002,
            CloseCode::TokenExpired => 4003,
            CloseCode::UnsupportedVersion => 4004,
            CloseCode::HeartbeatTimeout => 4005,
            CloseCode::SlowConsumer => 4008,
            CloseCode::TooManyConnections => 4009,
        }
    }

    /// The close code for a number, if it is one of seam's.
    pub fn from_code(code: u16) -> Option<CloseCode> {
        CloseCode::ALL.iter().copied().find(|c| c.code() == code)
    }

    /// A short machine-readable reason, sent as the close frame's reason.
    pub fn reason(self) -> &'static str {
        match self {
            CloseCode::Normal => "normal",
            CloseCode::GoingAway => "going_away",
            CloseCode::TooBig => "too_big",
            CloseCode::InternalError => "internal_error",
            CloseCode::HandshakeFailed => "handshake_failed",
            CloseCode::AuthTimeout => "auth_timeout",
            CloseCode::AuthFailed => "auth_failed",
            CloseCode::TokenExpired => "token_expired",
            CloseCode::UnsupportedVersion => "unsupported_version",
            CloseCode::HeartbeatTimeout => "heartbeat_timeout",
            CloseCode::SlowConsumer => "slow_consumer",
            CloseCode::TooManyConnections => "too_many_connections",
        }
    }

    /// Whether a client should reconnect (with the same or a fresh token) and resume.
    pub fn should_reconnect(self) -> bool {
        matches!(
            self,
            CloseCode::GoingAway
                | CloseCode::InternalError
                | CloseCode::TokenExpired
                | CloseCode::HeartbeatTimeout
                | CloseCode::SlowConsumer
                | CloseCode::TooManyConnections
        )
    }
}
