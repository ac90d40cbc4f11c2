//! Errors the client reports.

use seam_protocol::ErrorFrame;

/// What went wrong with a connection or a command.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// The broker refused the command.
    #[error("{} ({}): {}", .0.code, .0.id.as_deref().unwrap_or("-"), .0.message)]
    Rejected(ErrorFrame),
    /// The broker closed the connection and the client will not reconnect
    /// (bad token, unsupported version, reconnect disabled).
    #[error("closed by the broker: {code} {reason}")]
    Closed {
        /// The close code.
        code: u16,
        /// The close reason.
        reason: String,
    },
    /// The connection could not be established.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The token source failed.
    #[error("cannot get a token: {0}")]
    Token(String),
    /// No ack within the configured time.
    #[error("no acknowledgement within the ack timeout")]
    Timeout,
    /// The client has shut down.
    #[error("the client is shut down")]
    Shutdown,
    /// The broker answered something the client did not expect.
    #[error("protocol violation: {0}")]
    Protocol(String),
}
