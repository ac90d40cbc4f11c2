//! Keeps docs/protocol.md and the protocol types in step: every JSON example
//! in the document is decoded with the real types and must re-encode to the
//! same JSON, every frame type and event kind has an example, and every
//! error and close code is documented.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::collections::BTreeSet;

use seam_protocol::{ClientFrame, CloseCode, ErrorCode, ServerFrame};
use serde_json::Value;

fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/protocol.md");
    std::fs::read_to_string(path).expect("docs/protocol.md")
}

/// (direction, JSON text) of every ```json client / ```json server block.
fn examples(doc: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in doc.lines() {
        match (&mut current, line.trim()) {
            (None, fence) if fence.starts_with("```json ") => {
                current = Some((fence["```json ".len()..].to_owned(), String::new()));
            }
            (Some(_), "```") => out.extend(current.take()),
            (Some((_, body)), _) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, _) => {}
        }
    }
    out
}

#[test]
fn every_example_round_trips_through_the_protocol_types() {
    let doc = doc();
    let examples = examples(&doc);
    assert!(
        examples.len() > 20,
        "found only {} examples",
        examples.len()
    );
    let mut client_types = BTreeSet::new();
    let mut server_types = BTreeSet::new();
    let mut event_kinds = BTreeSet::new();
    let mut resume_statuses = BTreeSet::new();
    for (direction, text) in &examples {
        let original: Value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("example is not JSON ({e}):\n{text}"));
        let kind = original["type"].as_str().unwrap_or_default().to_owned();
        let reencoded = match direction.as_str() {
            "client" => {
                let frame = ClientFrame::decode(text)
                    .unwrap_or_else(|e| panic!("{}: {}\n{text}", e.code, e.message));
                client_types.insert(kind);
                serde_json::to_value(&frame).unwrap()
            }
            "server" => {
                let frame: ServerFrame = serde_json::from_value(original.clone())
                    .unwrap_or_else(|e| panic!("{e}\n{text}"));
                if let Some(k) = original["body"]["kind"].as_str() {
                    event_kinds.insert(k.to_owned());
                }
                if let Some(s) = original["resume"]["status"].as_str() {
                    resume_statuses.insert(s.to_owned());
                }
                server_types.insert(kind);
                // The broker's serializer writes what serde_json writes.
                let json = frame.to_json();
                assert_eq!(json, serde_json::to_string(&frame).unwrap(), "{text}");
                serde_json::from_str(&json).unwrap()
            }
            other => panic!("unknown example direction `{other}`"),
        };
        assert_eq!(reencoded, original, "example does not round-trip:\n{text}");
    }
    let set = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let all_server_types = [
        "welcome",
        "ack",
        "error",
        "event",
        "typing",
        "signal",
        "ice_servers",
        "offer",
        "offer_revoked",
        "queue_status",
        "invitation",
        "rating_requested",
        "token_expiring",
        "receipt",
        "stats",
    ];
    let all_event_kinds = [
        "session_opened",
        "participant_joined",
        "participant_left",
        "message",
        "message_edited",
        "message_deleted",
        "attachment",
        "mode_requested",
        "mode_request_declined",
        "mode_request_cancelled",
        "mode_request_expired",
        "mode_changed",
        "mode_recommended",
        "queued",
        "assigned",
        "transferred",
        "handed_off",
        "queue_abandoned",
        "whisper",
        "note",
        "staff_accessed",
        "rated",
        "offline_message",
        "session_ended",
    ];
    assert_eq!(client_types, set(ClientFrame::TYPES));
    assert_eq!(server_types, set(&all_server_types));
    assert_eq!(event_kinds, set(&all_event_kinds));
    assert_eq!(resume_statuses, set(&["complete", "truncated", "reset"]));
}

#[test]
fn every_error_code_is_documented_and_spelled_as_on_the_wire() {
    let doc = doc();
    for code in ErrorCode::ALL {
        let wire = serde_json::to_value(code).unwrap();
        assert_eq!(wire, Value::String(code.as_str().to_owned()));
        assert!(
            doc.contains(&format!("| `{}` |", code.as_str())),
            "error code `{code}` is missing from the table in docs/protocol.md"
        );
    }
}

#[test]
fn every_close_code_is_documented_with_its_number_and_reason() {
    let doc = doc();
    for code in CloseCode::ALL {
        let row = format!("| {} | `{}` |", code.code(), code.reason());
        assert!(
            doc.contains(&row),
            "close code row `{row}` is missing from docs/protocol.md"
        );
        assert_eq!(CloseCode::from_code(code.code()), Some(*code));
    }
}
