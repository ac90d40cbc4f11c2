//! Routing: agent status, queues, offers, transfers, supervisors'
//! overview, and proactive invitations.

use serde::{Deserialize, Serialize};

use crate::media::Mode;
use crate::principal::{CustomerContext, Principal};
use crate::session::{SessionId, SessionState};

/// Whether an agent (or bot) takes new sessions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Receives offers up to its capacity.
    Available,
    /// Connected, keeps its sessions, receives no offers.
    Away,
    /// Not connected (set by the broker a grace period after the last
    /// connection drops, or by the agent).
    #[default]
    Offline,
}

impl AgentStatus {
    /// Every status.
    pub const ALL: [AgentStatus; 3] = [
        AgentStatus::Available,
        AgentStatus::Away,
        AgentStatus::Offline,
    ];

    /// The status's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentStatus::Available => "available",
            AgentStatus::Away => "away",
            AgentStatus::Offline => "offline",
        }
    }
}

impl std::fmt::Display for AgentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a session is being offered to an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    /// A waiting session from a queue.
    Queue,
    /// Another agent transferred the session to this agent.
    Transfer,
    /// Another agent invites this agent into a conference.
    Conference,
}

/// A session offered to one agent, who accepts or declines before `expires_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Offer {
    /// Identifies the offer in `accept_offer` / `decline_offer`.
    pub offer_id: String,
    /// Why this offer.
    pub kind: OfferKind,
    /// The session.
    pub session_id: SessionId,
    /// The queue it waits in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// The customer.
    pub customer: Principal,
    /// What the customer came for.
    pub context: CustomerContext,
    /// A note from the transferring or inviting agent, or a bot's summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When the offer lapses and goes to someone else, Unix milliseconds.
    pub expires_at: u64,
    /// How long the session had waited in its queue when offered,
    /// milliseconds (0 for a conference invitation).
    #[serde(default)]
    pub waited_ms: u64,
    /// The first message the customer wrote while waiting, shortened to
    /// 280 characters; the offer is sent again, same `offer_id`, when it
    /// arrives after the offer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_message: Option<String>,
}

/// Where a transfer sends a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TransferTarget {
    /// One agent, by `sub`.
    Agent(String),
    /// A queue, by name.
    Queue(String),
}

/// A queue as a supervisor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct QueueOverview {
    /// Its name.
    pub name: String,
    /// Sessions waiting.
    pub waiting: usize,
    /// Eligible agents currently available with spare capacity.
    pub agents_available: usize,
    /// Estimated wait for a session entering now, milliseconds.
    pub estimated_wait_ms: u64,
    /// Sessions that left this queue before being answered.
    pub abandoned: u64,
    /// How long the session waiting longest has waited, milliseconds.
    #[serde(default)]
    pub longest_wait_ms: u64,
    /// Sessions answered in the last hour.
    #[serde(default)]
    pub answered_last_hour: u64,
    /// Of them, answered within `routing.service_level_secs`.
    #[serde(default)]
    pub answered_in_target_last_hour: u64,
    /// Sessions abandoned in the last hour. The service level is
    /// `answered_in_target_last_hour / (answered_last_hour + abandoned_last_hour)`.
    #[serde(default)]
    pub abandoned_last_hour: u64,
    /// How long each session answered in the last hour waited, milliseconds
    /// (for a wait distribution).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waits_last_hour_ms: Vec<u64>,
}

/// An agent as a supervisor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AgentOverview {
    /// Who.
    pub agent: Principal,
    /// Status.
    pub status: AgentStatus,
    /// Skills.
    pub skills: Vec<String>,
    /// Sessions assigned now.
    pub sessions: usize,
    /// Maximum concurrent sessions.
    pub capacity: u32,
}

/// A live session as a supervisor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SessionOverview {
    /// The session.
    pub session_id: SessionId,
    /// Its customer.
    pub customer: Principal,
    /// Open or ended.
    pub state: SessionState,
    /// Its mode.
    pub mode: Mode,
    /// The queue it waits in or came through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Whether it is waiting for an agent.
    pub waiting: bool,
    /// Its participants other than the customer.
    pub staff: Vec<Principal>,
}

/// How proactive invitations fared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InvitationStats {
    /// Invitations sent (by services and by rules).
    pub sent: u64,
    /// Accepted: a session opened.
    pub accepted: u64,
    /// Declined by the visitor.
    pub declined: u64,
}

/// What supervisors and services see of the broker's routing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Overview {
    /// Every configured queue.
    pub queues: Vec<QueueOverview>,
    /// Every known agent and bot.
    pub agents: Vec<AgentOverview>,
    /// Every open session.
    pub sessions: Vec<SessionOverview>,
    /// Proactive invitations.
    pub invitations: InvitationStats,
}

/// An invitation to a connected visitor to start a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Invitation {
    /// Identifies it in `answer_invitation`.
    pub invitation_id: String,
    /// Who invites (a service, or the broker's rule engine as a service).
    pub from: Principal,
    /// The mode offered.
    pub mode: Mode,
    /// What about, shown to the visitor.
    pub topic: String,
    /// Context the session opens with.
    #[serde(default)]
    pub context: CustomerContext,
}
