//! Any text a client sends: decoded, or refused with a typed error; what
//! decodes re-encodes to the same frame; the path `message` frames take
//! agrees with the general one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seam_protocol::{ClientFrame, MAX_COMMAND_ID_BYTES};

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
});
