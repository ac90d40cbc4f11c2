//! The bodies of the admin HTTP API (`/v1`, docs/http-api.md): what the
//! broker answers and what `seam admin` and other backends read.

use serde::{Deserialize, Serialize};

use crate::{CannedResponse, CustomerContext, Principal, SessionEvent, SessionId, SessionState};

/// A customer's rating of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Rating {
    /// 1 to 5.
    pub score: u8,
    /// What they said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// One line of a session listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<u64>,
    /// The queue it waited in or came through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Every agent (or bot, supervisor) who took part, by `sub`.
    pub agents: Vec<String>,
    /// The last event's seq.
    pub last_seq: u64,
    /// The customer's rating, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
    /// For a message left while nobody could answer: where to reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_email: Option<String>,
}

/// `GET /v1/sessions`: sessions, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SessionList {
    /// The sessions.
    pub sessions: Vec<SessionSummary>,
}

/// `GET /v1/sessions/{id}`: a session and a page of its transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TranscriptPage {
    /// The session.
    pub session: SessionSummary,
    /// Stored events in `seq` order.
    pub events: Vec<SessionEvent>,
    /// The `after_seq` of the next page; `None` on the last one.
    pub next_after_seq: Option<u64>,
}

/// `POST /v1/sessions/{id}/end`: the session and the seq of its `session_ended`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SessionEnded {
    /// The session.
    pub session_id: SessionId,
    /// The seq of its `session_ended` event.
    pub seq: u64,
}

/// `DELETE /v1/customers/{sub}`: what was erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CustomerErased {
    /// The customer's `sub`.
    pub customer: String,
    /// Every session deleted.
    pub erased_sessions: Vec<SessionId>,
}

/// `GET /v1/customers/{sub}/export`: everything stored about a customer,
/// for a data access request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CustomerExport {
    /// The customer's `sub`.
    pub customer: String,
    /// When the export was made, Unix milliseconds.
    pub exported_at: u64,
    /// Every stored session of theirs, oldest first.
    pub sessions: Vec<ExportedSession>,
    /// Every file attached in those sessions (by anyone), oldest first.
    pub attachments: Vec<ExportedAttachment>,
}

/// A file in a [`CustomerExport`]: fetch its bytes through
/// `GET /v1/sessions/{session_id}/attachments/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExportedAttachment {
    /// The session it was attached in.
    pub session_id: SessionId,
    /// The `seq` of its `attachment` event.
    pub seq: u64,
    /// Who attached it (`sub`).
    pub from: String,
    /// The file.
    #[serde(flatten)]
    pub attachment: crate::rich::AttachmentInfo,
}

/// `POST /v1/sessions/{id}/attachments`: the stored file and its event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AttachmentUploaded {
    /// The session.
    pub session_id: SessionId,
    /// The `seq` of the `attachment` event.
    pub seq: u64,
    /// True when this `Idempotency-Key` was already used: nothing new was stored.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
    /// The file.
    pub attachment: crate::rich::AttachmentInfo,
}

/// `GET /v1/sessions/{id}/attachments/{attachment}`: a link to the bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AttachmentLink {
    /// The signed path (relative to the broker's HTTP address), valid until
    /// `expires_at`, needing no token: usable as an `<img src>`.
    pub url: String,
    /// When the link stops working, Unix milliseconds.
    pub expires_at: u64,
}

/// One session in a [`CustomerExport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExportedSession {
    /// Its summary (rating included).
    pub session: SessionSummary,
    /// Every stored event, whispers and notes included, in `seq` order.
    pub events: Vec<SessionEvent>,
}

/// `GET /v1/canned-responses`: every saved reply agents can use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CannedResponseList {
    /// The configured ones in their order (replaced by one defined through
    /// the API with the same shortcut), then those defined through the API.
    pub canned_responses: Vec<CannedResponse>,
}

/// `PUT /v1/canned-responses/{shortcut}`: the saved reply's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CannedResponseBody {
    /// A short label for pickers (at most 200 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = 200)))]
    pub title: Option<String>,
    /// The reply, with `{placeholders}`: not blank, at most
    /// `limits.max_text_chars` characters.
    #[cfg_attr(feature = "schema", schemars(length(min = 1), regex(pattern = r"\S")))]
    pub text: String,
}
