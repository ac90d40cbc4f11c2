//! What a message may carry besides its text: quick replies (buttons the
//! customer answers with), a card, and, on the customer's answer, the choice
//! it was.

use serde::{Deserialize, Serialize};

/// At most this many quick replies under one message.
pub const MAX_QUICK_REPLIES: usize = 10;

/// A button under a message (from an agent or a bot). The customer's click
/// sends its `label` as a message whose `choice` names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct QuickReply {
    /// Unique among the message's quick replies, e.g. `hours`.
    pub id: String,
    /// What the button says (and what the customer's answer says).
    pub label: String,
}

/// A simple card shown with a message: a title, text, an image, a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Card {
    /// The card's title.
    pub title: String,
    /// A few lines under it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// An image (`https://` or `http://`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// Where the card leads (`https://` or `http://`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_url: Option<String>,
    /// The link's words (default: the title).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_label: Option<String>,
}

/// The quick reply a customer's message answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Choice {
    /// The message that offered it.
    pub seq: u64,
    /// The quick reply's `id`.
    pub id: String,
}

/// A file or image attached to a session (uploaded over HTTP; the bytes
/// are fetched through a short-lived signed link, never inline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AttachmentInfo {
    /// Its id within the session.
    pub id: String,
    /// The file name, as uploaded (for display and download).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its type, recognised from its first bytes (e.g. `image/png`).
    pub content_type: String,
    /// For images: a small preview (at most 160 px a side) as a
    /// `data:image/jpeg;base64,...` URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
}
