//! A server frame serialized once and shared by every connection it goes
//! to. Its representation is the transport's text type, but only the
//! connection's writer looks inside: everyone else passes [`Frame`]s.

use axum::extract::ws::Utf8Bytes;
use seam_protocol::{ServerFrame, SessionEvent};

/// One serialized server frame; clones share the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame(Utf8Bytes);

impl Frame {
    /// Serializes `frame` once.
    pub fn encode(frame: &ServerFrame) -> Frame {
        Frame(Utf8Bytes::from(frame.to_json()))
    }

    /// Serializes the `event` frame of `event` once, without copying it.
    pub fn event(event: &SessionEvent) -> Frame {
        Frame(Utf8Bytes::from(ServerFrame::event_json(event)))
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// A frame serialized elsewhere (relayed by another node), as is.
    pub(crate) fn from_json(text: String) -> Frame {
        Frame(Utf8Bytes::from(text))
    }

    /// The text as the WebSocket transport sends it.
    pub(crate) fn into_text(self) -> Utf8Bytes {
        self.0
    }
}
