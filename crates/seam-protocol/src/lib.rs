//! The seam wire protocol, version 1.
//!
//! Every frame is one JSON text WebSocket message with a `type` tag. Clients
//! send [`ClientFrame`]s, the broker sends [`ServerFrame`]s. Session history is
//! a per-session ordered log of [`SessionEvent`]s numbered by `seq`; everything
//! else (typing, acks, errors) is ephemeral.
//!
//! This crate does no I/O: it is shared by the broker, the Rust client and the
//! documentation tests, so the three cannot drift apart. `docs/protocol.md`
//! describes every frame with JSON examples that a test decodes with these
//! types.

mod admin;
mod client;
mod codes;
mod json;
mod media;
mod principal;
mod rich;
mod routing;
mod server;
mod session;

pub use admin::{
    AttachmentLink, AttachmentUploaded, CannedResponseBody, CannedResponseList, CustomerErased,
    CustomerExport, ExportedAttachment, ExportedSession, Rating, SessionEnded, SessionList,
    SessionSummary, TranscriptPage,
};
pub use client::{ClientFrame, CommandId, DecodeError, MAX_COMMAND_ID_BYTES};
pub use codes::{CloseCode, ErrorCode};
pub use media::{
    IceServer, Mode, ModeChoice, ModeRecommendation, ModeRequest, Signal, SignalTarget,
};
pub use principal::{CustomerContext, Principal, Role};
pub use rich::{AttachmentInfo, Card, Choice, QuickReply, MAX_QUICK_REPLIES};
pub use routing::{
    AgentOverview, AgentStatus, Invitation, InvitationStats, Offer, OfferKind, Overview,
    QueueOverview, SessionOverview, TransferTarget,
};
pub use server::{
    Ack, Availability, CannedResponse, ErrorFrame, Limits, OfflineMessage, ResumeOutcome,
    ServerFrame, Welcome,
};
pub use session::{
    Access, EventBody, LeaveReason, Receipt, SessionEvent, SessionId, SessionSnapshot, SessionState,
};

/// The protocol version this crate speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// Every protocol version this crate can speak, newest first.
pub const SUPPORTED_VERSIONS: &[u32] = &[PROTOCOL_VERSION];

/// Picks the newest version both sides support, if any.
pub fn negotiate_version(offered: &[u32]) -> Option<u32> {
    SUPPORTED_VERSIONS
        .iter()
        .copied()
        .find(|v| offered.contains(v))
}
