//! Sessions and their ordered event log.

use serde::{Deserialize, Serialize};

use crate::media::{Mode, ModeRecommendation, ModeRequest};
use crate::principal::{CustomerContext, Principal};
use crate::rich::{AttachmentInfo, Card, Choice, QuickReply};

/// Opaque session identifier assigned by the broker.
pub type SessionId = String;

/// Whether a session still accepts events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// Participants may post events.
    Open,
    /// The session was ended; its history stays readable.
    Ended,
}

/// A point-in-time view of a session, sent when a connection attaches to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SessionSnapshot {
    /// The session's id.
    pub session_id: SessionId,
    /// Identifies this incarnation of the session's log. A `seq` is only
    /// meaningful together with the epoch it was seen in.
    pub epoch: String,
    /// Open or ended.
    pub state: SessionState,
    /// The customer the session belongs to.
    pub customer: Principal,
    /// What the customer came for.
    pub context: CustomerContext,
    /// Everyone currently in the session (customer first).
    pub participants: Vec<Principal>,
    /// Creation time, Unix milliseconds.
    pub created_at: u64,
    /// The sequence number of the last stored event (0 if none).
    pub last_seq: u64,
    /// The session's current mode; everyone in the session is in its call.
    #[serde(default)]
    pub mode: Mode,
    /// Whether screen sharing is on (voice or video only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub screen_share: bool,
    /// An upgrade request awaiting an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode_request: Option<ModeRequest>,
    /// How far each participant who reported it has got (delivery and
    /// read receipts), in no particular order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receipts: Vec<Receipt>,
}

/// How far one participant has got in a session's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Receipt {
    /// The participant.
    pub participant: Principal,
    /// Every event up to this seq reached one of their devices (0: none).
    pub delivered_seq: u64,
    /// They have seen every event up to this seq (0: none);
    /// never above `delivered_seq`.
    pub read_seq: u64,
}

/// One stored event of a session's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SessionEvent {
    /// The session the event belongs to.
    pub session_id: SessionId,
    /// Position in the session's log: 1, 2, 3, ... without gaps.
    pub seq: u64,
    /// When the broker stored it, Unix milliseconds.
    pub at: u64,
    /// Who caused it.
    pub from: Principal,
    /// The id of the client command that produced it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// What happened.
    pub body: EventBody,
}

/// Why a participant left without saying so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    /// Every connection of theirs was gone longer than the broker's
    /// offline grace period (an agent who closed the console, say).
    Offline,
}

/// What a stored event says happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventBody {
    /// The customer opened the session.
    SessionOpened {
        /// The customer's context at opening.
        context: CustomerContext,
    },
    /// Someone joined the session.
    ParticipantJoined {
        /// Who joined.
        participant: Principal,
    },
    /// Someone left the session without ending it.
    ParticipantLeft {
        /// Who left.
        participant: Principal,
        /// Why, when they did not leave by themselves (absent: they left).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<LeaveReason>,
    },
    /// A chat message.
    Message {
        /// The message text.
        text: String,
        /// Buttons the customer may answer with (agents and bots).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        quick_replies: Vec<QuickReply>,
        /// A card shown with the text (agents and bots).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        card: Option<Box<Card>>,
        /// The quick reply this message answers (customers).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        choice: Option<Choice>,
        /// In a replay: the author edited it since; `text` is the latest.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        edited: bool,
        /// In a replay: the author deleted it; `text` is empty.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        deleted: bool,
    },
    /// The author changed a message's text.
    MessageEdited {
        /// The message.
        seq: u64,
        /// Its new text.
        text: String,
    },
    /// The author deleted a message.
    MessageDeleted {
        /// The message.
        seq: u64,
    },
    /// Someone attached a file or an image.
    Attachment {
        /// The file.
        attachment: AttachmentInfo,
    },
    /// Someone asked to upgrade the session's mode; the other side answers.
    ModeRequested {
        /// The request.
        request: ModeRequest,
        /// Why, as the requester put it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The other side declined the request.
    ModeRequestDeclined {
        /// The request.
        request_id: String,
        /// Why, if they said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The requester withdrew the request.
    ModeRequestCancelled {
        /// The request.
        request_id: String,
    },
    /// Nobody answered the request in time.
    ModeRequestExpired {
        /// The request.
        request_id: String,
    },
    /// The session's mode changed: an accepted request (`request_id` set),
    /// or a downgrade / hang-up, which needs no consent.
    ModeChanged {
        /// The mode before.
        previous: Mode,
        /// The mode now.
        mode: Mode,
        /// Screen sharing now on or off.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        screen_share: bool,
        /// The accepted request, for upgrades.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
        /// Why, if the actor said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The broker recommended a mode for the session (`recommend_mode`),
    /// with the probabilities and evidence behind it (staff only: the
    /// customer who asked gets it in the ack).
    ModeRecommended {
        /// The recommendation.
        recommendation: ModeRecommendation,
    },
    /// The session entered a queue to wait for an agent.
    Queued {
        /// The queue.
        queue: String,
    },
    /// An agent accepted the session from routing.
    Assigned {
        /// The agent.
        agent: Principal,
        /// The queue it came from, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queue: Option<String>,
        /// How long the customer waited, milliseconds.
        waited_ms: u64,
    },
    /// An agent transferred the session to another agent or a queue.
    Transferred {
        /// Where to.
        to: crate::routing::TransferTarget,
    },
    /// A bot or the customer asked for a human agent.
    HandedOff {
        /// The queue the session now waits in.
        queue: String,
        /// The bot's summary for the agent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
        /// The mode the customer asked for (voice or video), if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        requested_mode: Option<Mode>,
    },
    /// The customer left the queue before an agent answered.
    QueueAbandoned {
        /// The queue.
        queue: String,
        /// How long they waited, milliseconds.
        waited_ms: u64,
    },
    /// A message only agents and supervisors see (never the customer).
    Whisper {
        /// The text.
        text: String,
    },
    /// An internal note only agents and supervisors see.
    Note {
        /// The text.
        text: String,
    },
    /// The customer left a message to be answered by email, when nobody
    /// could answer (outside opening hours, or no agent on duty).
    OfflineMessage {
        /// The message.
        text: String,
        /// Where to reply.
        email: String,
        /// The queue that would have served it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queue: Option<String>,
    },
    /// The customer rated the ended session.
    Rated {
        /// 1 (bad) to 5 (great).
        score: u8,
        /// What they said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// A supervisor opened the session without being assigned to it: an
    /// audit record (staff only).
    StaffAccessed {
        /// Who.
        by: Principal,
        /// How.
        access: Access,
    },
    /// The session ended; nothing more can be posted.
    SessionEnded {
        /// Why, if the ender said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A kind this build does not know (added by a newer broker within the
    /// same protocol version): read, so its `seq` still counts, and
    /// otherwise ignored. Never sent.
    #[serde(other)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    Unknown,
}

/// How a supervisor opened a session they were not assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Attached silently (`monitor`).
    Monitor,
    /// Joined as a participant (barge-in).
    Join,
    /// Read it after it ended.
    Read,
}

impl Access {
    /// `monitored`, `joined` or `read`.
    pub fn past_tense(self) -> &'static str {
        match self {
            Access::Monitor => "monitored",
            Access::Join => "joined",
            Access::Read => "read",
        }
    }
}

impl EventBody {
    /// A plain text message.
    pub fn message(text: impl Into<String>) -> EventBody {
        EventBody::Message {
            text: text.into(),
            quick_replies: Vec::new(),
            card: None,
            choice: None,
            edited: false,
            deleted: false,
        }
    }

    /// The event's `kind`, in wire spelling (`unknown` for a kind this
    /// crate does not know).
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::SessionOpened { .. } => "session_opened",
            EventBody::ParticipantJoined { .. } => "participant_joined",
            EventBody::ParticipantLeft { .. } => "participant_left",
            EventBody::Message { .. } => "message",
            EventBody::Attachment { .. } => "attachment",
            EventBody::MessageEdited { .. } => "message_edited",
            EventBody::MessageDeleted { .. } => "message_deleted",
            EventBody::ModeRequested { .. } => "mode_requested",
            EventBody::ModeRequestDeclined { .. } => "mode_request_declined",
            EventBody::ModeRequestCancelled { .. } => "mode_request_cancelled",
            EventBody::ModeRequestExpired { .. } => "mode_request_expired",
            EventBody::ModeChanged { .. } => "mode_changed",
            EventBody::ModeRecommended { .. } => "mode_recommended",
            EventBody::Queued { .. } => "queued",
            EventBody::Assigned { .. } => "assigned",
            EventBody::Transferred { .. } => "transferred",
            EventBody::HandedOff { .. } => "handed_off",
            EventBody::QueueAbandoned { .. } => "queue_abandoned",
            EventBody::Whisper { .. } => "whisper",
            EventBody::Note { .. } => "note",
            EventBody::OfflineMessage { .. } => "offline_message",
            EventBody::Rated { .. } => "rated",
            EventBody::StaffAccessed { .. } => "staff_accessed",
            EventBody::SessionEnded { .. } => "session_ended",
            EventBody::Unknown => "unknown",
        }
    }

    /// Whether only agents, supervisors and bots may see this event (the
    /// customer never receives it, live or in a replay).
    pub fn is_staff_only(&self) -> bool {
        matches!(
            self,
            EventBody::Whisper { .. }
                | EventBody::Note { .. }
                | EventBody::StaffAccessed { .. }
                | EventBody::ModeRecommended { .. }
                // What is not understood is not shown to customers.
                | EventBody::Unknown
        )
    }
}

impl std::fmt::Display for SessionEvent {
    /// One line for logs and terminals, e.g. `#3 alice: hello`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let who = self.from.name.as_deref().unwrap_or(&self.from.sub);
        write!(f, "#{} ", self.seq)?;
        match &self.body {
            EventBody::SessionOpened { context } => match &context.issue_type {
                Some(issue) => write!(f, "{who} opened the session about {issue}"),
                None => write!(f, "{who} opened the session"),
            },
            EventBody::ParticipantJoined { participant } => {
                write!(f, "{} ({}) joined", participant.sub, participant.role)
            }
            EventBody::ParticipantLeft {
                participant,
                reason: None,
            } => write!(f, "{} left", participant.sub),
            EventBody::ParticipantLeft {
                participant,
                reason: Some(LeaveReason::Offline),
            } => write!(f, "{} went offline and left", participant.sub),
            EventBody::Message { deleted: true, .. } => write!(f, "{who}: (deleted)"),
            EventBody::Message { text, .. } => write!(f, "{who}: {text}"),
            EventBody::MessageEdited { seq, text } => write!(f, "{who} edited #{seq}: {text}"),
            EventBody::MessageDeleted { seq } => write!(f, "{who} deleted #{seq}"),
            EventBody::Attachment { attachment } => write!(
                f,
                "{who} attached {} ({}, {} bytes)",
                attachment.name, attachment.content_type, attachment.size
            ),
            EventBody::ModeRequested { request, .. } => {
                let share = if request.screen_share {
                    " with screen sharing"
                } else {
                    ""
                };
                write!(f, "{who} asked for {}{share}", request.mode)
            }
            EventBody::ModeRequestDeclined { .. } => write!(f, "{who} declined"),
            EventBody::ModeRequestCancelled { .. } => write!(f, "{who} cancelled the request"),
            EventBody::ModeRequestExpired { .. } => write!(f, "the request expired unanswered"),
            EventBody::ModeChanged { previous, mode, .. } => {
                write!(f, "{who} switched the session from {previous} to {mode}")
            }
            EventBody::ModeRecommended { recommendation } => write!(
                f,
                "{} recommended ({:.0} %)",
                recommendation.mode,
                recommendation.probability * 100.0
            ),
            EventBody::Queued { queue } => write!(f, "waiting in the {queue} queue"),
            EventBody::Assigned { agent, .. } => write!(f, "assigned to {}", agent.sub),
            EventBody::Transferred { to } => match to {
                crate::routing::TransferTarget::Agent(a) => write!(f, "{who} transferred to {a}"),
                crate::routing::TransferTarget::Queue(q) => {
                    write!(f, "{who} transferred to the {q} queue")
                }
            },
            EventBody::HandedOff { queue, .. } => {
                write!(f, "{who} asked for a human agent ({queue})")
            }
            EventBody::QueueAbandoned { queue, .. } => write!(f, "left the {queue} queue"),
            EventBody::Whisper { text } => write!(f, "{who} (whisper): {text}"),
            EventBody::Note { text } => write!(f, "{who} (note): {text}"),
            EventBody::OfflineMessage { text, email, .. } => {
                write!(f, "{who} left a message (reply to {email}): {text}")
            }
            EventBody::Rated { score, .. } => write!(f, "{who} rated the session {score}/5"),
            EventBody::StaffAccessed { access, .. } => {
                write!(f, "{who} {} the session (audit)", access.past_tense())
            }
            EventBody::SessionEnded { reason } => match reason {
                Some(reason) => write!(f, "{who} ended the session: {reason}"),
                None => write!(f, "{who} ended the session"),
            },
            EventBody::Unknown => write!(f, "(an event of a kind this client does not know)"),
        }
    }
}
