//! Frames the broker sends.

use serde::{Deserialize, Serialize};

use crate::client::CommandId;
use crate::codes::ErrorCode;
use crate::media::{IceServer, Signal};
use crate::principal::Principal;
use crate::routing::{Invitation, Offer, Overview, SessionOverview};
use crate::session::{Receipt, SessionEvent, SessionId, SessionSnapshot};

/// A frame sent by the broker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The answer to a good `hello`: the connection is authenticated.
    Welcome(Welcome),
    /// A command succeeded.
    Ack(Ack),
    /// A command failed (or a frame could not be read); the connection stays open.
    Error(ErrorFrame),
    /// A stored session event, live or replayed.
    Event(SessionEvent),
    /// Someone started or stopped typing (ephemeral).
    Typing {
        /// The session.
        session_id: SessionId,
        /// Who is typing.
        from: Principal,
        /// Typing now or stopped.
        active: bool,
    },
    /// A participant's delivery and read horizons moved (not stored as an
    /// event; the snapshot carries every participant's current ones).
    Receipt {
        /// The session.
        session_id: SessionId,
        /// The participant and their horizons.
        #[serde(flatten)]
        receipt: Receipt,
    },
    /// A signaling message from another participant (never stored).
    Signal {
        /// The session.
        session_id: SessionId,
        /// Who sent it.
        from: Principal,
        /// The sender's connection: address replies to it.
        from_connection: String,
        /// The message.
        signal: Signal,
    },
    /// STUN/TURN servers with credentials for this participant, sent when
    /// the session enters voice or video, to joiners during a call, and
    /// again before the credentials expire.
    IceServers {
        /// The session.
        session_id: SessionId,
        /// Servers in `RTCIceServer` shape.
        ice_servers: Vec<IceServer>,
        /// When time-limited credentials expire, Unix seconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<u64>,
    },
    /// A session is offered to this agent.
    Offer(Offer),
    /// An offer was withdrawn (it expired, or the session went elsewhere).
    OfferRevoked {
        /// The offer.
        offer_id: String,
        /// `expired`, `ended`, `taken`.
        reason: String,
    },
    /// The customer's place in the queue.
    QueueStatus {
        /// The session.
        session_id: SessionId,
        /// The queue.
        queue: String,
        /// 1 = next.
        position: usize,
        /// Estimated wait from recent waits in this queue, milliseconds.
        estimated_wait_ms: u64,
    },
    /// An invitation for this visitor.
    Invitation(Invitation),
    /// For `subscribe_stats`: the routing overview as it stands, every few
    /// seconds.
    Stats {
        /// When it was taken, Unix milliseconds.
        at: u64,
        /// Queues, agents and open sessions.
        overview: Box<Overview>,
    },
    /// The session ended: the customer is asked to rate it (`rate_session`).
    RatingRequested {
        /// The session.
        session_id: SessionId,
    },
    /// The connection's token expires soon: send `refresh_token` before
    /// `expires_at` or the broker closes with `token_expired`.
    TokenExpiring {
        /// The token's expiry, Unix seconds.
        expires_at: u64,
    },
}

/// The broker's answer to `hello`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Welcome {
    /// The negotiated protocol version.
    pub version: u32,
    /// This connection's id (for logs and support).
    pub connection_id: String,
    /// Who the token says the client is.
    pub principal: Principal,
    /// When the token expires, Unix seconds.
    pub expires_at: u64,
    /// How often the broker pings; answer pongs promptly.
    pub heartbeat_interval_ms: u64,
    /// The limits this broker enforces.
    pub limits: Limits,
}

/// Limits a client should respect to avoid errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Limits {
    /// Largest accepted frame, in bytes.
    pub max_frame_bytes: usize,
    /// Longest accepted chat text, in characters.
    pub max_text_chars: usize,
    /// Sustained commands per second per connection.
    pub commands_per_second: u32,
    /// Commands that may be sent in a burst above the sustained rate.
    pub command_burst: u32,
    /// How long after sending a message its author may edit or delete it,
    /// in seconds (0: never).
    #[serde(default)]
    pub edit_window_secs: u64,
}

/// The success answer to a command.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Ack {
    /// The command's id.
    pub id: CommandId,
    /// The session the command acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    /// The sequence number of the event the command stored, if it stored one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// True when this command id was already applied: nothing new was stored,
    /// `seq` is the original event's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
    /// The session's state, for `open_session` and `join`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<Box<SessionSnapshot>>,
    /// What `join` replayed; the replayed events follow this ack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<ResumeOutcome>,
    /// The invitation's id, for `invite_visitor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation_id: Option<String>,
    /// The new request's id, for `request_mode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Routing state, for `overview`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overview: Option<Box<Overview>>,
    /// For `my_sessions`: the open sessions the principal takes part in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<Vec<SessionOverview>>,
    /// For `canned_responses`: the saved replies, by shortcut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canned_responses: Option<Vec<CannedResponse>>,
    /// For `availability`: whether someone can answer now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<Availability>,
    /// For `recommend_mode`: the mode to offer first, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<crate::media::ModeRecommendation>,
    /// For `offline_messages`: messages customers left, newest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_messages: Option<Vec<OfflineMessage>>,
    /// The new token expiry, Unix seconds, for `refresh_token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

/// How a `join` with `after_seq` went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ResumeOutcome {
    /// Every event after `after_seq` follows; nothing was missed.
    Complete {
        /// How many events follow.
        replayed: u64,
    },
    /// The broker no longer holds events before `first_available_seq`:
    /// those are missing from the replay, which starts there.
    Truncated {
        /// The oldest event the broker still holds.
        first_available_seq: u64,
        /// How many events follow.
        replayed: u64,
    },
    /// The `epoch` differs: the client's sequence numbers refer to a log the
    /// broker no longer has. Drop local state; the full available log follows.
    Reset {
        /// How many events follow.
        replayed: u64,
    },
}

/// The failure answer to a command, or to an unreadable frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ErrorFrame {
    /// The failed command's id, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<CommandId>,
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// What went wrong, for a human.
    pub message: String,
    /// The session concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    /// For `rate_limited`: when a retry may succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

impl ErrorFrame {
    /// An error frame with a code and message and nothing else.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ErrorFrame {
        ErrorFrame {
            id: None,
            code,
            message: message.into(),
            session_id: None,
            retry_after_ms: None,
        }
    }
}

impl ServerFrame {
    /// Serializes the frame to its JSON text.
    pub fn to_json(&self) -> String {
        json_of(self, |out| match self {
            ServerFrame::Event(event) => crate::json::write_event_frame(out, event),
            ServerFrame::Ack(ack) if crate::json::write_plain_ack_frame(out, ack).is_some() => {
                Ok(())
            }
            _ => crate::json::write(out, self),
        })
    }

    /// The JSON of `ServerFrame::Event(event)`, serialized from a borrowed
    /// event (the broker serializes every stored event once, without
    /// copying it first).
    pub fn event_json(event: &SessionEvent) -> String {
        #[derive(Serialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        enum Borrowed<'a> {
            Event(&'a SessionEvent),
        }
        json_of(&Borrowed::Event(event), |out| {
            crate::json::write_event_frame(out, event)
        })
    }
}

/// Largest scratch buffer a thread keeps between frames (a rare large
/// frame's buffer is given back).
const SCRATCH_KEEP: usize = 64 * 1024;

thread_local! {
    /// Each thread's buffer to serialize frames into.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The JSON text of `value`, allocated once at its exact size.
///
/// Written by `write` (with [`crate::json`]: serde_json's output in fewer
/// instructions) or, for what that leaves to it, by serde_json, into the
/// thread's scratch buffer, then copied: growing a fresh `String` as it is
/// written reallocates (and copies) it two or three times for a chat
/// event, and leaves it with spare capacity that a resume window would
/// hold on to.
fn json_of(
    value: &impl Serialize,
    write: impl FnOnce(&mut Vec<u8>) -> Result<(), crate::json::Unsupported>,
) -> String {
    // Every field is a plain string, number, bool, map or sequence with
    // string keys, so serialization cannot fail.
    let fallback = || serde_json::to_string(value).unwrap_or_else(|_| String::from("{}"));
    SCRATCH.with(|scratch| {
        // Taken already: a `Serialize` impl serializing a frame itself.
        let Ok(mut buffer) = scratch.try_borrow_mut() else {
            return fallback();
        };
        buffer.clear();
        let written = write(&mut buffer).or_else(|_| {
            buffer.clear();
            serde_json::to_writer(&mut *buffer, value)
        });
        let json = match written {
            Ok(()) => String::from_utf8(buffer.to_vec()).unwrap_or_else(|_| fallback()),
            Err(_) => String::from("{}"),
        };
        if buffer.capacity() > SCRATCH_KEEP {
            *buffer = Vec::new();
        }
        json
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventBody, Principal, Role};

    #[test]
    fn a_borrowed_event_serializes_as_its_event_frame() {
        let event = SessionEvent {
            session_id: "s_1".into(),
            seq: 7,
            at: 1_700_000_000_000,
            from: Principal {
                sub: "alice".into(),
                role: Role::Customer,
                name: Some("Alice".into()),
            },
            client_id: Some("c-7".into()),
            body: EventBody::message("hi \"there\""),
        };
        assert_eq!(
            ServerFrame::event_json(&event),
            ServerFrame::Event(event.clone()).to_json()
        );
    }

    #[test]
    fn frames_serialize_as_serde_json_writes_them_whatever_came_before() {
        let frame = |text: String| {
            ServerFrame::Error(ErrorFrame {
                id: Some("c-1".into()),
                ..ErrorFrame::new(ErrorCode::InvalidMessage, text)
            })
        };
        // A large frame (past what the scratch buffer keeps), then small
        // ones: nothing of one is left in the next.
        for text in [
            "é\"\n".repeat(SCRATCH_KEEP),
            "short".to_owned(),
            String::new(),
        ] {
            let frame = frame(text);
            let json = frame.to_json();
            assert_eq!(json, serde_json::to_string(&frame).unwrap());
            assert_eq!(json.capacity(), json.len(), "allocated at its size");
        }
    }
}

/// A saved reply an agent inserts by its shortcut (`/refund`), its
/// placeholders (`{name}`, `{order}`, ...) filled from the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CannedResponse {
    /// What the agent types after `/`, e.g. `refund`.
    pub shortcut: String,
    /// A short label for pickers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The reply, with `{placeholders}`.
    pub text: String,
}

/// Whether a customer writing now would reach someone: the queue their
/// session would enter, its opening hours, and who is on duty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Availability {
    /// The queue a session would enter (none without routing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Within the queue's opening hours (always, for a queue without any).
    pub open: bool,
    /// Agents (or bots) on duty for it now: available, with its skills,
    /// busy or not.
    pub agents_online: usize,
    /// Estimated wait for a session entering now, milliseconds (0: none
    /// measured yet).
    pub estimated_wait_ms: u64,
    /// When it is closed: when it opens next, Unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opens_at: Option<u64>,
}

impl Availability {
    /// Whether a customer should be offered to leave a message rather
    /// than wait: the queue is closed, or nobody is on duty for it.
    /// Without routing (no queue) duty is not known: never offline.
    pub fn offline(&self) -> bool {
        !self.open || (self.queue.is_some() && self.agents_online == 0)
    }
}

/// A message a customer left for an email answer, as agents list them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OfflineMessage {
    /// The session it was stored in.
    pub session_id: SessionId,
    /// Who left it.
    pub customer: Principal,
    /// Where to reply.
    pub email: String,
    /// The message.
    pub text: String,
    /// The queue that would have served it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// When, Unix milliseconds.
    pub at: u64,
}
