//! Any text a client sends: decoded, or refused with a typed error; what
//! decodes re-encodes to the same frame; the path `message` frames take
//! agrees with the general one; and the text, as a chat event's, is
//! written as serde_json writes it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seam_protocol::{
    ClientFrame, EventBody, Principal, Role, ServerFrame, SessionEvent, MAX_COMMAND_ID_BYTES,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let general = serde_json::from_str::<ClientFrame>(text)
        .ok()
        .filter(|f| f.id().is_none_or(|id| id.len() <= MAX_COMMAND_ID_BYTES));
    assert_eq!(ClientFrame::decode(text).ok(), general);
    if let Ok(frame) = ClientFrame::decode(text) {
        let again = serde_json::to_string(&frame).expect("a decoded frame encodes");
        assert_eq!(ClientFrame::decode(&again).ok(), Some(frame));
    }
    let event = ServerFrame::Event(SessionEvent {
        session_id: text.into(),
        seq: data.len() as u64,
        at: 1,
        from: Principal {
            sub: text.into(),
            role: Role::Customer,
            name: Some(text.into()),
        },
        client_id: Some(text.into()),
        body: EventBody::message(text),
    });
    assert_eq!(event.to_json(), serde_json::to_string(&event).expect("encodes"));
});
