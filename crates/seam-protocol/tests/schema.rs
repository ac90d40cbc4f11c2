//! The browser SDK's TypeScript types are generated from this JSON Schema
//! (`clients/sdk`, `npm run build`). This test fails when the committed
//! schema no longer matches the Rust types; `SEAM_UPDATE_SCHEMA=1 cargo test
//! -p seam-protocol --test schema` rewrites it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use schemars::JsonSchema;
use seam_protocol::{ClientFrame, ServerFrame};

/// Both directions of the protocol, so one schema names every type.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Protocol {
    /// Frames a client sends.
    client: ClientFrame,
    /// Frames the broker sends.
    server: ServerFrame,
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
