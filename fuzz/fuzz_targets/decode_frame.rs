//! Any text a client sends: decoded, or refused with a typed error; what
//! decodes re-encodes to the same frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seam_protocol::ClientFrame;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(frame) = ClientFrame::decode(text) {
        let again = serde_json::to_string(&frame).expect("a decoded frame encodes");
        assert_eq!(ClientFrame::decode(&again).ok(), Some(frame));
    }
});
