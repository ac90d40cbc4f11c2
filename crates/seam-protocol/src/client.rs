//! Frames a client sends, and how the broker decodes them into typed
//! commands or a precise error.

use serde::{Deserialize, Serialize};

use crate::codes::ErrorCode;
use crate::media::{Mode, Signal, SignalTarget};
use crate::principal::CustomerContext;
use crate::rich::{Card, Choice, QuickReply};
use crate::routing::{AgentStatus, TransferTarget};
use crate::session::SessionId;

/// A client-chosen command id, echoed in the command's `ack` or `error`.
/// Resending a command with the same id never applies it twice.
pub type CommandId = String;

/// The longest command id, in bytes: the broker remembers recent ids for
/// idempotency, so their size is bounded.
pub const MAX_COMMAND_ID_BYTES: usize = 128;

/// A frame sent by a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// The first frame on every connection: protocol versions the client
    /// speaks and, unless an `Authorization: Bearer` header carried it, the token.
    Hello {
        /// Protocol versions the client supports.
        versions: Vec<u32>,
        /// The JWT, when not sent as a header.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
    },
    /// Customer: open a session, or get back the open one.
    OpenSession {
        /// Command id.
        id: CommandId,
        /// Context to add to the token's context (fields here win).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        context: Option<CustomerContext>,
        /// Only attach to the customer's open session, never create one
        /// (answered `session_not_found` when there is none): a page can
        /// show an ongoing conversation without queueing a visitor who has
        /// not written yet.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        existing_only: bool,
    },
    /// Attach this connection to a session: join it (agents, supervisors,
    /// bots) or resume it (anyone already in it). Events after `after_seq`
    /// are replayed, then live events follow.
    Join {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// The last sequence number this client has seen; omit for full history.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after_seq: Option<u64>,
        /// The epoch `after_seq` was seen in.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        epoch: Option<String>,
    },
    /// Leave a session without ending it (not for customers: they end it).
    Leave {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
    },
    /// Post a chat message.
    Message {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// The text.
        text: String,
        /// Agents and bots: buttons the customer may answer with.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        quick_replies: Vec<QuickReply>,
        /// Agents and bots: a card shown with the text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        card: Option<Box<Card>>,
        /// Customers: the quick reply this message answers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        choice: Option<Choice>,
    },
    /// Change the text of one of your own messages, within the broker's
    /// edit window (`limits.edit_window_secs` in the welcome).
    EditMessage {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// The message's seq.
        seq: u64,
        /// The new text.
        text: String,
    },
    /// Delete one of your own messages, within the edit window.
    DeleteMessage {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// The message's seq.
        seq: u64,
    },
    /// Report how far this participant has got in the session: every
    /// event up to `delivered_seq` reached one of their devices, and they
    /// have seen every event up to `read_seq`. Horizons only move forward
    /// (a lower value changes nothing); reading implies delivery.
    Receipt {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// Delivered up to this seq.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delivered_seq: Option<u64>,
        /// Read up to this seq.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        read_seq: Option<u64>,
    },
    /// Start or stop a typing indicator (ephemeral, never stored).
    Typing {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// Typing now or stopped.
        active: bool,
    },
    /// End a session for everyone.
    EndSession {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// Optional reason shown in the transcript.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Ask the other side to upgrade the session (chat → voice → video, or
    /// to add screen sharing). They answer with `answer_mode`.
    RequestMode {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// The wanted mode (higher than the current one, or the same with
        /// screen sharing added).
        mode: Mode,
        /// Also share a screen.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        screen_share: bool,
        /// Why, shown to the other side and in the transcript.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Accept or decline the other side's pending request.
    AnswerMode {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// The request being answered.
        request_id: String,
        /// Accept (the mode changes) or decline.
        accept: bool,
        /// Why, if declining.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Withdraw your own pending request.
    CancelModeRequest {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// The request.
        request_id: String,
    },
    /// Downgrade (video → voice → chat, or stop screen sharing) or hang up
    /// (`chat`); needs no consent.
    SetMode {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// The new, lower mode.
        mode: Mode,
        /// Keep screen sharing on (only if it is on and the mode stays media).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        screen_share: bool,
        /// Why, for the transcript.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Relay a WebRTC signaling message to another participant (only while
    /// the session is in voice or video).
    Signal {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// The recipient.
        to: SignalTarget,
        /// The message.
        signal: Signal,
    },
    /// Agents and bots: set status (and optionally skills and capacity).
    SetStatus {
        /// Command id.
        id: CommandId,
        /// The new status.
        status: AgentStatus,
        /// Replace the token's skills.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        skills: Option<Vec<String>>,
        /// Maximum concurrent sessions.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        capacity: Option<u32>,
    },
    /// Accept an offer: the session is assigned and this connection joins it
    /// (the ack and the history follow, as for `join`).
    AcceptOffer {
        /// Command id.
        id: CommandId,
        /// The offer.
        offer_id: String,
    },
    /// Decline an offer; it goes to the next eligible agent.
    DeclineOffer {
        /// Command id.
        id: CommandId,
        /// The offer.
        offer_id: String,
    },
    /// Hand the session to another agent or queue, with a note for them.
    Transfer {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// Where to.
        to: TransferTarget,
        /// A note only agents see.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Invite another agent into the session (conference).
    InviteAgent {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// The agent's `sub`.
        agent: String,
        /// A note for them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Supervisors: attach silently (not a participant; the customer is not told).
    Monitor {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
    },
    /// Agents and supervisors: a message the customer never sees.
    Whisper {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// The text.
        text: String,
    },
    /// Agents and supervisors: an internal note on the session.
    Note {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// The text.
        text: String,
    },
    /// Supervisors and services: queues, agents and live sessions.
    Overview {
        /// Command id.
        id: CommandId,
    },
    /// Supervisors and services: the `overview` now (in the ack), then a
    /// `stats` frame with it every few seconds for as long as the
    /// connection lasts (a live dashboard, without polling).
    SubscribeStats {
        /// Command id.
        id: CommandId,
    },
    /// Agents, bots and supervisors: the open sessions they take part in
    /// now (to rejoin them after closing the console, on any device).
    MySessions {
        /// Command id.
        id: CommandId,
    },
    /// Agents, bots and supervisors: the saved replies they can insert by
    /// shortcut.
    CannedResponses {
        /// Command id.
        id: CommandId,
    },
    /// Customers: whether someone can answer now (opening hours, agents on
    /// duty, expected wait), for the queue a session would enter.
    Availability {
        /// Command id.
        id: CommandId,
        /// Ask for this issue type's queue instead of the token's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        issue_type: Option<String>,
    },
    /// Customers: leave a message to be answered by email, when nobody can
    /// answer now. Stored as a session of its own (ended at once) with an
    /// `offline_message` event; the company's backend gets a webhook.
    LeaveMessage {
        /// Command id.
        id: CommandId,
        /// The message.
        text: String,
        /// Where to reply.
        email: String,
        /// Context to add to the token's (as for `open_session`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        context: Option<CustomerContext>,
    },
    /// Agents and supervisors: the latest messages customers left for an
    /// email answer (newest first, at most 50; agents see those of the
    /// queues they have the skills for).
    OfflineMessages {
        /// Command id.
        id: CommandId,
    },
    /// Bots: hand the session to a human agent with a summary.
    Handoff {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// What the agent should know.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
        /// Ask the agent for voice or video on arrival.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<Mode>,
    },
    /// The mode to offer first for this session, learned from outcomes:
    /// the ack carries the recommendation, and a `mode_recommended` event
    /// records it (staff only). Customers (their session), and the agents,
    /// bots and supervisors in it.
    RecommendMode {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
    },
    /// Customers: "talk to an agent" (optionally by voice or video).
    RequestAgent {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// Ask the agent for voice or video on arrival.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<Mode>,
    },
    /// Customers: the page the visitor is on, for invitation rules.
    PageView {
        /// Command id.
        id: CommandId,
        /// The page.
        page: String,
        /// The issue type the page suggests.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        issue_type: Option<String>,
    },
    /// Services: invite a connected visitor to a session.
    InviteVisitor {
        /// Command id.
        id: CommandId,
        /// The visitor's `sub`.
        sub: String,
        /// The mode offered.
        mode: Mode,
        /// What about.
        topic: String,
        /// Context the session opens with.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        context: Option<CustomerContext>,
    },
    /// Customers: accept (a session opens) or decline an invitation.
    AnswerInvitation {
        /// Command id.
        id: CommandId,
        /// The invitation.
        invitation_id: String,
        /// Accept or decline.
        accept: bool,
    },
    /// Customers: rate an ended session (once), 1 to 5, with an optional comment.
    RateSession {
        /// Command id.
        id: CommandId,
        /// The session.
        session_id: SessionId,
        /// 1 (bad) to 5 (great).
        score: u8,
        /// Free text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// Replace the connection's token before it expires.
    RefreshToken {
        /// Command id.
        id: CommandId,
        /// The fresh JWT, for the same principal.
        token: String,
    },
}

/// Why a text frame could not be decoded into a [`ClientFrame`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// `bad_json`, `unknown_type` or `invalid_message`.
    pub code: ErrorCode,
    /// What was wrong, for a human.
    pub message: String,
    /// The frame's `id`, when one could be read, so the error can be correlated.
    pub id: Option<CommandId>,
}

impl ClientFrame {
    /// Every command type name, in wire spelling.
    pub const TYPES: &'static [&'static str] = &[
        "hello",
        "open_session",
        "join",
        "leave",
        "message",
        "typing",
        "edit_message",
        "delete_message",
        "receipt",
        "end_session",
        "request_mode",
        "answer_mode",
        "cancel_mode_request",
        "set_mode",
        "signal",
        "set_status",
        "accept_offer",
        "decline_offer",
        "transfer",
        "invite_agent",
        "monitor",
        "whisper",
        "note",
        "overview",
        "subscribe_stats",
        "my_sessions",
        "canned_responses",
        "availability",
        "leave_message",
        "offline_messages",
        "handoff",
        "recommend_mode",
        "request_agent",
        "page_view",
        "invite_visitor",
        "answer_invitation",
        "rate_session",
        "refresh_token",
    ];

    /// Decodes one text frame, classifying failures precisely.
    ///
    /// A `message` frame is read once, straight into its fields
    /// (`MessageOnly`); any other frame is read again as the general enum
    /// (cheaply when its `type` comes first: the message path stops at it).
    /// Only a failure pays for a further, untyped parse to tell bad JSON
    /// from an unknown type or a bad field.
    pub fn decode(text: &str) -> Result<ClientFrame, DecodeError> {
        let parsed = match serde_json::from_str::<MessageOnly>(text) {
            Ok(MessageOnly(frame)) => Ok(frame),
            Err(_) => serde_json::from_str::<ClientFrame>(text),
        };
        let typed_error = match parsed {
            Ok(frame) => {
                if frame.id().is_some_and(|id| id.len() > MAX_COMMAND_ID_BYTES) {
                    return Err(DecodeError {
                        code: ErrorCode::InvalidMessage,
                        message: format!(
                            "a command id may have at most {MAX_COMMAND_ID_BYTES} bytes"
                        ),
                        id: None,
                    });
                }
                return Ok(frame);
            }
            Err(e) => e,
        };
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                return Err(DecodeError {
                    code: ErrorCode::BadJson,
                    message: format!("frame is not valid JSON: {e}"),
                    id: None,
                })
            }
        };
        let id = value.get("id").and_then(|v| v.as_str()).map(str::to_owned);
        let Some(object) = value.as_object() else {
            return Err(DecodeError {
                code: ErrorCode::InvalidMessage,
                message: "frame must be a JSON object".into(),
                id,
            });
        };
        match object.get("type").and_then(|t| t.as_str()) {
            None => Err(DecodeError {
                code: ErrorCode::InvalidMessage,
                message: "frame has no string field `type`".into(),
                id,
            }),
            Some(t) if !ClientFrame::TYPES.contains(&t) => Err(DecodeError {
                code: ErrorCode::UnknownType,
                message: format!("unknown frame type `{t}`"),
                id,
            }),
            Some(t) => Err(DecodeError {
                code: ErrorCode::InvalidMessage,
                message: format!("invalid `{t}` frame: {typed_error}"),
                id,
            }),
        }
    }

    /// The frame's `type`, in wire spelling (one of [`ClientFrame::TYPES`]).
    pub fn type_name(&self) -> &'static str {
        match self {
            ClientFrame::Hello { .. } => "hello",
            ClientFrame::OpenSession { .. } => "open_session",
            ClientFrame::Join { .. } => "join",
            ClientFrame::Leave { .. } => "leave",
            ClientFrame::Message { .. } => "message",
            ClientFrame::Typing { .. } => "typing",
            ClientFrame::Receipt { .. } => "receipt",
            ClientFrame::EditMessage { .. } => "edit_message",
            ClientFrame::DeleteMessage { .. } => "delete_message",
            ClientFrame::EndSession { .. } => "end_session",
            ClientFrame::RequestMode { .. } => "request_mode",
            ClientFrame::AnswerMode { .. } => "answer_mode",
            ClientFrame::CancelModeRequest { .. } => "cancel_mode_request",
            ClientFrame::SetMode { .. } => "set_mode",
            ClientFrame::Signal { .. } => "signal",
            ClientFrame::SetStatus { .. } => "set_status",
            ClientFrame::AcceptOffer { .. } => "accept_offer",
            ClientFrame::DeclineOffer { .. } => "decline_offer",
            ClientFrame::Transfer { .. } => "transfer",
            ClientFrame::InviteAgent { .. } => "invite_agent",
            ClientFrame::Monitor { .. } => "monitor",
            ClientFrame::Whisper { .. } => "whisper",
            ClientFrame::Note { .. } => "note",
            ClientFrame::Overview { .. } => "overview",
            ClientFrame::SubscribeStats { .. } => "subscribe_stats",
            ClientFrame::MySessions { .. } => "my_sessions",
            ClientFrame::CannedResponses { .. } => "canned_responses",
            ClientFrame::Availability { .. } => "availability",
            ClientFrame::LeaveMessage { .. } => "leave_message",
            ClientFrame::OfflineMessages { .. } => "offline_messages",
            ClientFrame::Handoff { .. } => "handoff",
            ClientFrame::RecommendMode { .. } => "recommend_mode",
            ClientFrame::RequestAgent { .. } => "request_agent",
            ClientFrame::PageView { .. } => "page_view",
            ClientFrame::InviteVisitor { .. } => "invite_visitor",
            ClientFrame::AnswerInvitation { .. } => "answer_invitation",
            ClientFrame::RateSession { .. } => "rate_session",
            ClientFrame::RefreshToken { .. } => "refresh_token",
        }
    }

    /// The command id, for every frame but `hello`.
    pub fn id(&self) -> Option<&str> {
        match self {
            ClientFrame::Hello { .. } => None,
            ClientFrame::OpenSession { id, .. }
            | ClientFrame::Join { id, .. }
            | ClientFrame::Leave { id, .. }
            | ClientFrame::Message { id, .. }
            | ClientFrame::Typing { id, .. }
            | ClientFrame::Receipt { id, .. }
            | ClientFrame::EditMessage { id, .. }
            | ClientFrame::DeleteMessage { id, .. }
            | ClientFrame::EndSession { id, .. }
            | ClientFrame::RequestMode { id, .. }
            | ClientFrame::AnswerMode { id, .. }
            | ClientFrame::CancelModeRequest { id, .. }
            | ClientFrame::SetMode { id, .. }
            | ClientFrame::Signal { id, .. }
            | ClientFrame::SetStatus { id, .. }
            | ClientFrame::AcceptOffer { id, .. }
            | ClientFrame::DeclineOffer { id, .. }
            | ClientFrame::Transfer { id, .. }
            | ClientFrame::InviteAgent { id, .. }
            | ClientFrame::Monitor { id, .. }
            | ClientFrame::Whisper { id, .. }
            | ClientFrame::Note { id, .. }
            | ClientFrame::Overview { id }
            | ClientFrame::SubscribeStats { id }
            | ClientFrame::MySessions { id }
            | ClientFrame::CannedResponses { id }
            | ClientFrame::Availability { id, .. }
            | ClientFrame::LeaveMessage { id, .. }
            | ClientFrame::OfflineMessages { id }
            | ClientFrame::Handoff { id, .. }
            | ClientFrame::RecommendMode { id, .. }
            | ClientFrame::RequestAgent { id, .. }
            | ClientFrame::PageView { id, .. }
            | ClientFrame::InviteVisitor { id, .. }
            | ClientFrame::AnswerInvitation { id, .. }
            | ClientFrame::RateSession { id, .. }
            | ClientFrame::RefreshToken { id, .. } => Some(id),
        }
    }

    /// The session the command is about, if it names one.
    pub fn session_id(&self) -> Option<&str> {
        match self {
            ClientFrame::Join { session_id, .. }
            | ClientFrame::Leave { session_id, .. }
            | ClientFrame::Message { session_id, .. }
            | ClientFrame::Typing { session_id, .. }
            | ClientFrame::Receipt { session_id, .. }
            | ClientFrame::EditMessage { session_id, .. }
            | ClientFrame::DeleteMessage { session_id, .. }
            | ClientFrame::EndSession { session_id, .. }
            | ClientFrame::RequestMode { session_id, .. }
            | ClientFrame::AnswerMode { session_id, .. }
            | ClientFrame::CancelModeRequest { session_id, .. }
            | ClientFrame::SetMode { session_id, .. }
            | ClientFrame::Signal { session_id, .. }
            | ClientFrame::Transfer { session_id, .. }
            | ClientFrame::InviteAgent { session_id, .. }
            | ClientFrame::Monitor { session_id, .. }
            | ClientFrame::Whisper { session_id, .. }
            | ClientFrame::Note { session_id, .. }
            | ClientFrame::Handoff { session_id, .. }
            | ClientFrame::RecommendMode { session_id, .. }
            | ClientFrame::RequestAgent { session_id, .. }
            | ClientFrame::RateSession { session_id, .. } => Some(session_id),
            ClientFrame::Hello { .. }
            | ClientFrame::OpenSession { .. }
            | ClientFrame::SetStatus { .. }
            | ClientFrame::AcceptOffer { .. }
            | ClientFrame::DeclineOffer { .. }
            | ClientFrame::Overview { .. }
            | ClientFrame::SubscribeStats { .. }
            | ClientFrame::MySessions { .. }
            | ClientFrame::CannedResponses { .. }
            | ClientFrame::Availability { .. }
            | ClientFrame::LeaveMessage { .. }
            | ClientFrame::OfflineMessages { .. }
            | ClientFrame::PageView { .. }
            | ClientFrame::InviteVisitor { .. }
            | ClientFrame::AnswerInvitation { .. }
            | ClientFrame::RefreshToken { .. } => None,
        }
    }
}

/// A `message` frame read straight into its fields.
///
/// serde's internally tagged enums copy every field of a frame into a
/// buffer before they know its variant, then read the buffer again; the
/// frame clients send most is read once instead. Any other frame, and
/// anything unusual in this one (a second `type`, a repeated field, an
/// escaped `type`), is an error here, and [`ClientFrame::decode`] then
/// takes the general path, which decides.
struct MessageOnly(ClientFrame);

/// The keys of a `message` frame; any other key is read and ignored, as
/// the general path does.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum MessageKey {
    Type,
    Id,
    SessionId,
    Text,
    QuickReplies,
    Card,
    Choice,
    #[serde(other)]
    Other,
}

impl<'de> Deserialize<'de> for MessageOnly {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MessageVisitor)
    }
}

struct MessageVisitor;

impl<'de> serde::de::Visitor<'de> for MessageVisitor {
    type Value = MessageOnly;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a message frame")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<MessageOnly, A::Error> {
        use serde::de::Error;
        /// Fills a field once; a repeated field is left to the general path.
        fn once<T, E: Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
            match slot.replace(value) {
                None => Ok(()),
                Some(_) => Err(E::custom("repeated field")),
            }
        }
        let mut is_message = false;
        let (mut id, mut session_id, mut text) = (None, None, None);
        let (mut quick_replies, mut card, mut choice) = (None, None, None);
        while let Some(key) = map.next_key::<MessageKey>()? {
            match key {
                MessageKey::Type => {
                    let kind: &str = map.next_value()?;
                    if is_message || kind != "message" {
                        return Err(A::Error::custom("not a message frame"));
                    }
                    is_message = true;
                }
                MessageKey::Id => once(&mut id, map.next_value::<CommandId>()?)?,
                MessageKey::SessionId => once(&mut session_id, map.next_value::<SessionId>()?)?,
                MessageKey::Text => once(&mut text, map.next_value::<String>()?)?,
                MessageKey::QuickReplies => {
                    once(&mut quick_replies, map.next_value::<Vec<QuickReply>>()?)?
                }
                MessageKey::Card => once(&mut card, map.next_value::<Option<Box<Card>>>()?)?,
                MessageKey::Choice => once(&mut choice, map.next_value::<Option<Choice>>()?)?,
                MessageKey::Other => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        match (is_message, id, session_id, text) {
            (true, Some(id), Some(session_id), Some(text)) => {
                Ok(MessageOnly(ClientFrame::Message {
                    id,
                    session_id,
                    text,
                    quick_replies: quick_replies.unwrap_or_default(),
                    card: card.flatten(),
                    choice: choice.flatten(),
                }))
            }
            _ => Err(A::Error::custom("not a complete message frame")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_decode_failures() {
        assert_eq!(
            ClientFrame::decode("{nope").unwrap_err().code,
            ErrorCode::BadJson
        );
        let unknown = ClientFrame::decode(r#"{"type":"shout","id":"c1"}"#).unwrap_err();
        assert_eq!(unknown.code, ErrorCode::UnknownType);
        assert_eq!(unknown.id.as_deref(), Some("c1"));
        let missing = ClientFrame::decode(r#"{"type":"message","id":"c2"}"#).unwrap_err();
        assert_eq!(missing.code, ErrorCode::InvalidMessage);
        assert!(
            missing.message.contains("session_id"),
            "{}",
            missing.message
        );
        assert_eq!(
            ClientFrame::decode("[1]").unwrap_err().code,
            ErrorCode::InvalidMessage
        );
        assert_eq!(
            ClientFrame::decode(r#"{"id":"x"}"#).unwrap_err().code,
            ErrorCode::InvalidMessage
        );
    }

    #[test]
    fn command_types_cover_every_variant() {
        for t in ClientFrame::TYPES {
            let err = ClientFrame::decode(&format!(r#"{{"type":"{t}"}}"#)).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidMessage, "{t}");
        }
    }

    #[test]
    fn message_frames_decode_as_the_general_path_decodes_them_in_any_order() {
        let general = |text: &str| serde_json::from_str::<ClientFrame>(text).ok();
        let expected = ClientFrame::Message {
            id: "c1".into(),
            session_id: "s_1".into(),
            text: "hi \"you\" é".into(),
            quick_replies: Vec::new(),
            card: None,
            choice: None,
        };
        for text in [
            r#"{"type":"message","id":"c1","session_id":"s_1","text":"hi \"you\" \u00e9"}"#,
            r#"{"id":"c1","session_id":"s_1","text":"hi \"you\" é","type":"message"}"#,
            r#"{"text":"hi \"you\" é","type":"message","extra":[1,{"a":null}],"session_id":"s_1","id":"c1","card":null}"#,
        ] {
            assert_eq!(
                ClientFrame::decode(text).ok().as_ref(),
                Some(&expected),
                "{text}"
            );
            assert_eq!(general(text).as_ref(), Some(&expected), "{text}");
        }
        // What the message path does not take, the general path decides.
        for text in [
            // An escaped `type`, and a second `type`.
            r#"{"type":"m\u0065ssage","id":"c1","session_id":"s","text":"x"}"#,
            r#"{"type":"message","id":"c1","session_id":"s","text":"x","type":"message"}"#,
            r#"{"type":"typing","id":"c1","session_id":"s","active":true}"#,
            r#"{"id":"c1","session_id":"s","active":true,"type":"typing"}"#,
            r#"{"type":"message","id":"c1","session_id":"s","text":"x","text":"y"}"#,
            r#"{"type":"message","id":"c1","session_id":"s","text":"x","quick_replies":null}"#,
            r#"{"type":"message","id":"c1","session_id":"s"}"#,
            r#"{"type":"message","id":"c1","session_id":"s","text":"x"} trailing"#,
            r#"{"type":"message","id":"c1","session_id":"s","text":"x","choice":{"seq":3,"id":"yes"}}"#,
        ] {
            assert_eq!(ClientFrame::decode(text).ok(), general(text), "{text}");
        }
    }
}
