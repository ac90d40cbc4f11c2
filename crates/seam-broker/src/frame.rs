//! A server frame serialized once and shared by every connection it goes
//! to. Its representation is the transport's text type, but only the
//! connection's writer looks inside: everyone else passes [`Frame`]s.

use axum::extract::ws::Utf8Bytes;
use seam_protocol::{ServerFrame, SessionEvent};

/// How every `event` frame begins: the tag `ServerFrame`'s internally
/// tagged serialization writes first, then the event's own fields.
const EVENT_TAG: &str = r#"{"type":"event","#;

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

    /// The event's own JSON (as `serde_json` writes the [`SessionEvent`])
    /// when this is an `event` frame: the frame without its leading
    /// `"type":"event"` tag, copied rather than serialized again. `None`
    /// for any other frame.
    pub fn event_json(&self) -> Option<String> {
        let rest = self.as_str().strip_prefix(EVENT_TAG)?;
        let mut json = String::with_capacity(rest.len() + 1);
        json.push('{');
        json.push_str(rest);
        Some(json)
    }

    /// The event back from an `event` frame (a store that keeps frames
    /// reads them back this way); `None` for any other frame.
    pub fn to_event(&self) -> Option<SessionEvent> {
        serde_json::from_str(&self.event_json()?).ok()
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

#[cfg(test)]
mod tests {
    use super::*;
    use seam_protocol::{EventBody, Principal, Role};

    fn event(body: EventBody, client_id: Option<&str>) -> SessionEvent {
        SessionEvent {
            session_id: "s_1".into(),
            seq: 42,
            at: 1_700_000_000_000,
            from: Principal {
                sub: "ann".into(),
                role: Role::Agent,
                name: Some("Ann \"the\" agent ✓".into()),
            },
            client_id: client_id.map(str::to_owned),
            body,
        }
    }

    #[test]
    fn an_event_frame_yields_the_events_own_json_and_the_event_back() {
        for event in [
            event(
                EventBody::message("héllo\n\"quoted\" \\ {braces}"),
                Some("c1"),
            ),
            event(EventBody::message(""), None),
        ] {
            let json = Frame::event(&event).event_json().unwrap();
            assert_eq!(json, serde_json::to_string(&event).unwrap());
            let back: SessionEvent = serde_json::from_str(&json).unwrap();
            assert_eq!(back, event);
            assert_eq!(Frame::event(&event).to_event(), Some(event));
        }
    }

    #[test]
    fn any_other_frame_has_no_event_json() {
        let typing = Frame::encode(&ServerFrame::Typing {
            session_id: "s_1".into(),
            from: event(EventBody::message(""), None).from,
            active: true,
        });
        assert_eq!(typing.event_json(), None);
        assert_eq!(typing.to_event(), None);
    }
}
