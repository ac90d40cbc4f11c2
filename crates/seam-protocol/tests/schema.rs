//! The browser SDK's TypeScript types are generated from this JSON Schema
//! (`clients/sdk`, `npm run build`). This test fails when the committed
//! schema no longer matches the Rust types; `SEAM_UPDATE_SCHEMA=1 cargo test
//! -p seam-protocol --test schema` rewrites it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use schemars::JsonSchema;
use seam_protocol::{AttachmentLink, AttachmentUploaded, ClientFrame, ServerFrame};

/// Both directions of the protocol, so one schema names every type.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Protocol {
    /// Frames a client sends.
    client: ClientFrame,
    /// Frames the broker sends.
    server: ServerFrame,
    /// The answer to an attachment upload (HTTP).
    attachment_uploaded: AttachmentUploaded,
    /// A signed link to an attachment's bytes (HTTP).
    attachment_link: AttachmentLink,
}

#[test]
fn the_committed_json_schema_matches_the_protocol_types() {
    let schema = schemars::schema_for!(Protocol);
    let generated = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../clients/sdk/src/generated/protocol.schema.json"
    );
    if std::env::var_os("SEAM_UPDATE_SCHEMA").is_some() {
        std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "{path} is stale: run `SEAM_UPDATE_SCHEMA=1 cargo test -p seam-protocol --test schema`, then `npm run build` in clients/sdk and clients/web"
    );
}

#[test]
fn type_and_kind_names_are_the_wire_spellings() {
    use seam_protocol::{EventBody, SessionEvent};
    // Every example frame in docs/protocol.md decodes and names its own type.
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/protocol.md"
    ))
    .unwrap();
    let mut seen_types = 0;
    let mut seen_kinds = 0;
    for block in docs.split("```json").skip(1) {
        let (header, rest) = block.split_once('\n').unwrap();
        let body = rest.split("```").next().unwrap();
        let value: serde_json::Value = match serde_json::from_str(body) {
            Ok(v) => v,
            Err(_) => continue,
        };
        if header.trim() == "client" {
            let frame: ClientFrame = serde_json::from_value(value.clone()).unwrap();
            assert_eq!(frame.type_name(), value["type"].as_str().unwrap());
            assert!(ClientFrame::TYPES.contains(&frame.type_name()));
            seen_types += 1;
        } else if header.trim() == "server" && value["type"] == "event" {
            let mut event = value.clone();
            event.as_object_mut().unwrap().remove("type");
            let event: SessionEvent = serde_json::from_value(event).unwrap();
            assert_eq!(event.body.kind(), value["body"]["kind"].as_str().unwrap());
            seen_kinds += 1;
        }
    }
    assert!(
        seen_types >= 25 && seen_kinds >= 15,
        "{seen_types} {seen_kinds}"
    );
    assert_eq!(EventBody::Unknown.kind(), "unknown");
}
