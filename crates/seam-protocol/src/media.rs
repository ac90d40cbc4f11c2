//! Voice and video in a session: modes, upgrade requests, WebRTC signaling
//! and ICE servers. Media never passes through the broker; it only relays
//! signaling between participants and hands out TURN credentials.

use serde::{Deserialize, Serialize};

use crate::principal::Principal;

/// How a session's participants talk. Ordered: chat < voice < video.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Text only.
    #[default]
    Chat,
    /// Audio call (plus chat).
    Voice,
    /// Video call (plus chat).
    Video,
}

impl Mode {
    /// The mode's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Chat => "chat",
            Mode::Voice => "voice",
            Mode::Video => "video",
        }
    }

    /// Whether this mode carries media (voice or video).
    pub fn is_media(self) -> bool {
        self != Mode::Chat
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An upgrade request waiting for the other side's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ModeRequest {
    /// Identifies the request in answers and outcome events.
    pub request_id: String,
    /// The requested mode.
    pub mode: Mode,
    /// Whether screen sharing was requested with it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub screen_share: bool,
    /// Who asked.
    pub requested_by: Principal,
    /// When the request expires unanswered, Unix milliseconds.
    pub expires_at: u64,
}

/// Whom a signaling message is for: every connection of a participant, or
/// one connection (as named by an earlier signal's `from_connection`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SignalTarget {
    /// The participant.
    pub sub: String,
    /// One of their connections; omit for all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
}

/// A WebRTC signaling message, relayed as is and never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Signal {
    /// An SDP offer (also for renegotiation during a call).
    Offer {
        /// The SDP.
        sdp: String,
    },
    /// An SDP answer.
    Answer {
        /// The SDP.
        sdp: String,
    },
    /// A trickled ICE candidate.
    IceCandidate {
        /// The candidate line.
        candidate: String,
        /// The media stream id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sdp_mid: Option<String>,
        /// The media line index.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sdp_m_line_index: Option<u32>,
    },
    /// The sender tears down its peer connection with the target.
    Hangup,
}

impl Signal {
    /// The bytes of SDP or candidate text it carries, for size limits.
    pub fn payload_len(&self) -> usize {
        match self {
            Signal::Offer { sdp } | Signal::Answer { sdp } => sdp.len(),
            Signal::IceCandidate {
                candidate, sdp_mid, ..
            } => candidate.len() + sdp_mid.as_ref().map_or(0, String::len),
            Signal::Hangup => 0,
        }
    }
}

/// One STUN or TURN server, in the shape of WebRTC's `RTCIceServer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct IceServer {
    /// `stun:` / `turn:` / `turns:` URLs.
    pub urls: Vec<String>,
    /// TURN username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// TURN password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// The mode the broker recommends for a session, learned from how past
/// sessions about the same issue type ended (see docs/analytics.md), with
/// the evidence behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ModeRecommendation {
    /// The issue type it was learned for (absent: sessions without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_type: Option<String>,
    /// The recommended mode: offer it first.
    pub mode: Mode,
    /// The chance the policy had of recommending `mode` (between the
    /// exploration floor and 1), for offline evaluation.
    pub probability: f64,
    /// Every mode available when it was made (enabled, and an agent free
    /// for it), most likely first: `choices[0].mode == mode` is not
    /// guaranteed (exploration), ordering is by probability.
    pub choices: Vec<ModeChoice>,
}

/// One available mode in a [`ModeRecommendation`]: how likely the policy
/// was to pick it, and the outcomes it learned from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ModeChoice {
    /// The mode.
    pub mode: Mode,
    /// The chance the policy gave it.
    pub probability: f64,
    /// Past sessions about this issue type served in this mode whose
    /// outcome is known.
    pub sessions: u64,
    /// Of those, the ones resolved well (no repeat contact within the
    /// resolution window, not rated 1 or 2).
    pub resolved: u64,
}
