//! Protocol compatibility: the frames version-1 clients sent when the
//! protocol was published (`tests/fixtures/protocol-v1`) still get the
//! answers they got then, and what a newer broker may add within version 1
//! (fields, event kinds, frame types) is read by this build's client
//! library without losing its place in the session.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use common::*;
use seam_protocol::{EventBody, Role, ServerFrame};

/// Substitutes the run's values into a recorded frame.
fn fill(frame: &serde_json::Value, values: &[(&str, String)]) -> serde_json::Value {
    let mut text = frame.to_string();
    for (name, value) in values {
        text = text.replace(name, value);
    }
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn recorded_version_1_clients_still_get_the_answers_they_got() {
    let broker = start().await;
    let recorded = std::fs::read_to_string(fixture("protocol-v1/conversation.jsonl")).unwrap();
    let mut customer = Raw::connect(&broker).await;
    let mut agent = Raw::connect(&broker).await;
    let mut values: Vec<(&str, String)> = Vec::new();
    for (n, line) in recorded.lines().enumerate() {
        let step: serde_json::Value = serde_json::from_str(line).unwrap();
        let who = step["as"].as_str().unwrap();
        let (raw, token) = match who {
            "customer" => (&mut customer, customer_token("alice", "billing")),
            _ => (&mut agent, token(Role::Agent, "bob")),
        };
        let mut with_token = values.clone();
        with_token.push(("$TOKEN", token));
        let frame = fill(&step["send"], &with_token);
        let id = frame["id"].as_str().map(str::to_owned);
        raw.send_json(frame).await;
        let expect = step["expect"].as_str().unwrap();
        // Read up to this command's answer, noting what later steps use.
        let answer = loop {
            let got = raw.recv().await;
            match &got {
                ServerFrame::Welcome(_) => break got,
                ServerFrame::Ack(ack) if Some(&ack.id) == id.as_ref() => break got,
                ServerFrame::Error(e) if e.id == id => break got,
                ServerFrame::Event(e) => {
                    if let EventBody::ModeRequested { request, .. } = &e.body {
                        values.retain(|(k, _)| *k != "$REQUEST");
                        values.push(("$REQUEST", request.request_id.clone()));
                    }
                }
                _ => {}
            }
        };
        match (expect, &answer) {
            ("welcome", ServerFrame::Welcome(w)) => assert_eq!(w.version, 1),
            ("ack", ServerFrame::Ack(ack)) => {
                if let Some(snapshot) = &ack.session {
                    if !values.iter().any(|(k, _)| *k == "$SESSION") {
                        values.push(("$SESSION", snapshot.session_id.clone()));
                        values.push(("$EPOCH", snapshot.epoch.clone()));
                    }
                }
                if let Some(request) = &ack.request_id {
                    values.retain(|(k, _)| *k != "$REQUEST");
                    values.push(("$REQUEST", request.clone()));
                }
            }
            (expected, ServerFrame::Error(e))
                if expected.strip_prefix("error ") == Some(e.code.as_str()) => {}
            (expected, got) => panic!("step {} ({who}): expected {expected}, got {got:?}", n + 1),
        }
    }
}

#[test]
fn what_a_newer_broker_may_add_within_version_1_is_read_without_losing_the_seq() {
    // An event kind this build does not know: read, seq kept, shown to no customer.
    let newer = r#"{"type": "event", "session_id": "s_1", "seq": 7, "at": 1, "from": {"sub": "bob", "role": "agent"}, "body": {"kind": "message_pinned", "seq": 5, "until": 9}}"#;
    let ServerFrame::Event(e) = serde_json::from_str::<ServerFrame>(newer).unwrap() else {
        panic!()
    };
    assert_eq!((e.seq, &e.body), (7, &EventBody::Unknown));
    assert!(e.body.is_staff_only());
    // New fields in a known frame are ignored.
    let more =
        r#"{"type": "ack", "id": "c1", "seq": 3, "read_horizon": 2, "something_new": {"x": 1}}"#;
    let ServerFrame::Ack(ack) = serde_json::from_str::<ServerFrame>(more).unwrap() else {
        panic!()
    };
    assert_eq!((ack.id.as_str(), ack.seq), ("c1", Some(3)));
    // A new frame type is not an error the client acts on: it fails to
    // parse, and the client library skips it (logged).
    assert!(serde_json::from_str::<ServerFrame>(r#"{"type": "read_receipt", "seq": 4}"#).is_err());
}
