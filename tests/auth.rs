//! Authentication stories: who gets in, who is turned away, and how.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use std::time::Duration;

use common::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use seam_broker::{mint_hs256, Claims};
use seam_client::{Client, ClientConfig, ClientError, Event, TokenSource};
use seam_protocol::{ErrorCode, Role, ServerFrame};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn sign(alg: Algorithm, key: &EncodingKey, claims: &Claims) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, key).unwrap()
}

async fn hello_closes_with(token: &str, broker: &seam_broker::RunningBroker) -> (u16, String) {
    let mut raw = Raw::connect(broker).await;
    raw.send_json(serde_json::json!({"type": "hello", "versions": [1], "token": token}))
        .await;
    raw.closed().await
}

#[tokio::test]
async fn a_valid_token_in_hello_is_welcomed_with_the_principal() {
    let broker = start().await;
    let mut raw = Raw::connect(&broker).await;
    raw.send_json(serde_json::json!({"type": "hello", "versions": [7, 1], "token": token(Role::Agent, "bob")}))
        .await;
    let ServerFrame::Welcome(welcome) = raw.recv().await else {
        panic!("no welcome")
    };
    assert_eq!(welcome.version, 1);
    assert_eq!(welcome.principal.sub, "bob");
    assert_eq!(welcome.principal.role, Role::Agent);
    assert_eq!(welcome.principal.name.as_deref(), Some("BOB"));
    assert!(welcome.expires_at > seam_broker::auth::now_secs());
}

#[tokio::test]
async fn a_bearer_header_authenticates_and_a_bad_one_gets_401_json() {
    let broker = start().await;
    let mut request = broker.ws_url().into_client_request().unwrap();
    request.headers_mut().insert(
        "Authorization",
        format!("Bearer {}", token(Role::Service, "backend"))
            .parse()
            .unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    use futures_util::{SinkExt, StreamExt};
    ws.send(tokio_tungstenite::tungstenite::Message::text(
        r#"{"type":"hello","versions":[1]}"#,
    ))
    .await
    .unwrap();
    let text = ws.next().await.unwrap().unwrap().into_text().unwrap();
    let ServerFrame::Welcome(welcome) = serde_json::from_str(&text).unwrap() else {
        panic!("{text}")
    };
    assert_eq!(welcome.principal.sub, "backend");

    let mut request = broker.ws_url().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Authorization", "Bearer not.a.jwt".parse().unwrap());
    let err = tokio_tungstenite::connect_async(request).await.unwrap_err();
    let tokio_tungstenite::tungstenite::Error::Http(response) = err else {
        panic!("{err}")
    };
    assert_eq!(response.status(), 401);
    let body: serde_json::Value =
        serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "invalid_token");
}

#[tokio::test]
async fn expired_forged_wrong_audience_and_alg_none_tokens_are_refused_with_distinct_codes() {
    let mut config = test_config();
    config.auth.audience = Some("seam".into());
    config.auth.issuer = Some("https://shop.example".into());
    let broker = start_with(config).await;
    let good = || {
        let mut c = claims(Role::Customer, "alice");
        c.aud = Some("seam".into());
        c.iss = Some("https://shop.example".into());
        c
    };
    let ok = mint_hs256(SECRET, &good()).unwrap();
    let _ = Raw::authed(&broker, &ok).await;

    let mut expired = good();
    expired.exp = seam_broker::auth::now_secs() - 120;
    let (code, reason) = hello_closes_with(&mint_hs256(SECRET, &expired).unwrap(), &broker).await;
    assert_eq!((code, reason.as_str()), (4003, "token_expired"));

    let forged = mint_hs256("another-secret-that-is-long-enough", &good()).unwrap();
    let (code, reason) = hello_closes_with(&forged, &broker).await;
    assert_eq!(code, 4002);
    assert!(reason.contains("bad signature"), "{reason}");

    let mut wrong_aud = good();
    wrong_aud.aud = Some("someone-else".into());
    let (code, reason) = hello_closes_with(&mint_hs256(SECRET, &wrong_aud).unwrap(), &broker).await;
    assert_eq!(code, 4002);
    assert!(reason.contains("audience"), "{reason}");

    let mut wrong_iss = good();
    wrong_iss.iss = Some("https://evil.example".into());
    let (code, reason) = hello_closes_with(&mint_hs256(SECRET, &wrong_iss).unwrap(), &broker).await;
    assert_eq!(code, 4002);
    assert!(reason.contains("issuer"), "{reason}");

    // A configured issuer or audience is required, not merely checked when present.
    let mut no_aud = good();
    no_aud.aud = None;
    let (code, reason) = hello_closes_with(&mint_hs256(SECRET, &no_aud).unwrap(), &broker).await;
    assert_eq!(code, 4002, "{reason}");
    assert!(reason.contains("aud"), "{reason}");
    let mut no_iss = good();
    no_iss.iss = None;
    let (code, reason) = hello_closes_with(&mint_hs256(SECRET, &no_iss).unwrap(), &broker).await;
    assert_eq!(code, 4002, "{reason}");
    assert!(reason.contains("iss"), "{reason}");

    let mut not_yet = good();
    not_yet.nbf = Some(seam_broker::auth::now_secs() + 600);
    let (code, _) = hello_closes_with(&mint_hs256(SECRET, &not_yet).unwrap(), &broker).await;
    assert_eq!(code, 4002);

    // alg: none, with the claims of a valid token and no signature.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = b64.encode(serde_json::to_vec(&good()).unwrap());
    let (code, _) = hello_closes_with(&format!("{header}.{payload}."), &broker).await;
    assert_eq!(code, 4002);

    let (code, reason) = hello_closes_with("garbage", &broker).await;
    assert_eq!(code, 4002, "{reason}");
}

#[tokio::test]
async fn rs256_and_es256_keys_verify_and_algorithm_confusion_is_refused() {
    let mut config = test_config();
    config.auth.rs256_public_key = Some(fixture("rs256-public.pem"));
    config.auth.es256_public_key = Some(fixture("es256-public.pem"));
    let broker = start_with(config).await;
    let rsa =
        EncodingKey::from_rsa_pem(&std::fs::read(fixture("rs256-private.pem")).unwrap()).unwrap();
    let ec =
        EncodingKey::from_ec_pem(&std::fs::read(fixture("es256-private.pem")).unwrap()).unwrap();
    let _ = Raw::authed(
        &broker,
        &sign(Algorithm::RS256, &rsa, &claims(Role::Agent, "rsa-agent")),
    )
    .await;
    let _ = Raw::authed(
        &broker,
        &sign(Algorithm::ES256, &ec, &claims(Role::Bot, "ec-bot")),
    )
    .await;

    // HS256 signed with the RSA *public* key as the secret: the classic confusion attack.
    let public = std::fs::read(fixture("rs256-public.pem")).unwrap();
    let confused = sign(
        Algorithm::HS256,
        &EncodingKey::from_secret(&public),
        &claims(Role::Agent, "mallory"),
    );
    let (code, _) = hello_closes_with(&confused, &broker).await;
    assert_eq!(code, 4002);

    // An algorithm no key is configured for.
    let rs384 = sign(Algorithm::RS384, &rsa, &claims(Role::Agent, "x"));
    let (code, reason) = hello_closes_with(&rs384, &broker).await;
    assert_eq!(code, 4002);
    assert!(reason.contains("not accepted"), "{reason}");
}

#[tokio::test]
async fn handshake_failures_close_with_clear_codes() {
    let mut config = test_config();
    config.auth.hello_timeout_ms = 200;
    let broker = start_with(config).await;

    let mut silent = Raw::connect(&broker).await;
    assert_eq!(silent.closed().await.0, 4001);

    let mut no_hello = Raw::connect(&broker).await;
    no_hello
        .send_json(
            serde_json::json!({"type": "message", "id": "1", "session_id": "s", "text": "hi"}),
        )
        .await;
    let (code, reason) = no_hello.closed().await;
    assert_eq!(code, 4000);
    assert!(reason.contains("hello"), "{reason}");

    let mut old = Raw::connect(&broker).await;
    old.send_json(
        serde_json::json!({"type": "hello", "versions": [0], "token": token(Role::Customer, "a")}),
    )
    .await;
    assert_eq!(old.closed().await.0, 4004);

    let mut tokenless = Raw::connect(&broker).await;
    tokenless
        .send_json(serde_json::json!({"type": "hello", "versions": [1]}))
        .await;
    let (code, reason) = tokenless.closed().await;
    assert_eq!(code, 4002);
    assert!(reason.contains("no token"), "{reason}");

    let mut junk = Raw::connect(&broker).await;
    junk.send_text("{not json".into()).await;
    assert_eq!(junk.closed().await.0, 4000);

    let mut second_hello = Raw::authed(&broker, &token(Role::Customer, "a")).await;
    second_hello
        .send_json(serde_json::json!({"type": "hello", "versions": [1], "token": token(Role::Customer, "a")}))
        .await;
    let ServerFrame::Error(e) = second_hello.recv().await else {
        panic!()
    };
    assert_eq!(e.code, ErrorCode::AlreadyAuthenticated);
}

fn short_lived(sub: &str, secs: u64) -> String {
    let mut c = claims(Role::Customer, sub);
    c.exp = seam_broker::auth::now_secs() + secs;
    mint_hs256(SECRET, &c).unwrap()
}

#[tokio::test]
async fn a_token_expiring_on_an_open_connection_is_warned_about_then_closed() {
    let mut config = test_config();
    config.auth.expiry_notice_secs = 1;
    let broker = start_with(config).await;
    let mut raw = Raw::authed(&broker, &short_lived("alice", 2)).await;
    let ServerFrame::TokenExpiring { expires_at } = raw.recv().await else {
        panic!()
    };
    assert!(expires_at <= seam_broker::auth::now_secs() + 2);
    let (code, reason) = raw.closed().await;
    assert_eq!(code, 4003, "{reason}");
}

#[tokio::test]
async fn refresh_token_in_band_keeps_the_connection_and_rejects_other_principals() {
    let mut config = test_config();
    config.auth.expiry_notice_secs = 1;
    let broker = start_with(config).await;
    let mut raw = Raw::authed(&broker, &short_lived("alice", 2)).await;

    raw.send_json(serde_json::json!({"type": "refresh_token", "id": "r0", "token": token(Role::Customer, "mallory")}))
        .await;
    let ServerFrame::Error(e) = raw.recv().await else {
        panic!()
    };
    assert_eq!(
        (e.code, e.id.as_deref()),
        (ErrorCode::InvalidToken, Some("r0"))
    );
    raw.send_json(serde_json::json!({"type": "refresh_token", "id": "r1", "token": "x.y.z"}))
        .await;
    let ServerFrame::Error(e) = raw.recv().await else {
        panic!()
    };
    assert_eq!(e.code, ErrorCode::InvalidToken);

    raw.send_json(serde_json::json!({"type": "refresh_token", "id": "r2", "token": token(Role::Customer, "alice")}))
        .await;
    let ServerFrame::Ack(ack) = raw.recv().await else {
        panic!()
    };
    assert!(ack.expires_at.unwrap() > seam_broker::auth::now_secs() + 3000);
    // Past the old expiry, the connection still works.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    raw.send_json(serde_json::json!({"type": "open_session", "id": "o1"}))
        .await;
    let ServerFrame::Ack(ack) = raw.recv().await else {
        panic!()
    };
    assert_eq!(ack.id, "o1");
}

#[tokio::test]
async fn the_client_refreshes_from_its_provider_and_reconnects_with_a_fresh_token() {
    let mut config = test_config();
    config.auth.expiry_notice_secs = 1;
    let broker = start_with(config).await;
    // Each token lives 2 s; the provider mints a new one on demand.
    let source = TokenSource::provider(|| async { Ok(short_lived("alice", 2)) });
    let mut config = client_config(&broker, String::new());
    config.token = source;
    let (client, mut events) = Client::connect(config).await.unwrap();
    let session = client.open_session(None).await.unwrap();
    wait_for(&mut events, |e| {
        matches!(e, Event::TokenExpiring { .. }).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // Refreshed in band: still the same connection (no disconnect), still working.
    client
        .send_message(&session.session_id, "still here")
        .await
        .unwrap();
    let text = wait_for(&mut events, |e| match e {
        Event::Disconnected { .. } => panic!("the refresh should have kept the connection: {e:?}"),
        Event::Session(seam_protocol::SessionEvent {
            body: seam_protocol::EventBody::Message { text, .. },
            ..
        }) => Some(text),
        _ => None,
    })
    .await;
    assert_eq!(text, "still here");

    // A static token cannot be renewed: the client reports a final close.
    let (client, mut events) = Client::connect(client_config(&broker, short_lived("carol", 1)))
        .await
        .unwrap();
    let (code, will_reconnect) = wait_disconnected(&mut events).await;
    assert_eq!(code, Some(4003));
    assert!(!will_reconnect);
    let err = client.open_session(None).await.unwrap_err();
    assert!(matches!(err, ClientError::Shutdown), "{err}");
}

#[tokio::test]
async fn a_connect_with_a_bad_token_fails_at_once_in_the_client() {
    let broker = start().await;
    let err = Client::connect(ClientConfig::new(broker.ws_url(), "bad"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Closed { code: 4002, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn after_a_token_expired_close_the_client_reconnects_with_a_fresh_token_and_resumes() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let mut config = test_config();
    config.auth.expiry_notice_secs = 1;
    let broker = start_with(config).await;
    // First token lives 2 s; the in-band refresh attempt fails (the backend
    // is briefly down); after the 4003 close the next token works.
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let source = TokenSource::provider(move || {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            match n {
                0 => Ok(short_lived("alice", 2)),
                1 => Err("token service unavailable".to_owned()),
                _ => Ok(token(Role::Customer, "alice")),
            }
        }
    });
    let mut config = client_config(&broker, String::new());
    config.token = source;
    let (client, mut events) = Client::connect(config).await.unwrap();
    let sid = client.open_session(None).await.unwrap().session_id;
    let (code, will_reconnect) = wait_disconnected(&mut events).await;
    assert_eq!((code, will_reconnect), (Some(4003), true));
    wait_for(&mut events, |e| {
        matches!(e, Event::Resumed { .. }).then_some(())
    })
    .await;
    client.send_message(&sid, "back again").await.unwrap();
    assert_eq!(next_message(&mut events).await, "back again");
    assert!(calls.load(Ordering::SeqCst) >= 3);
}

#[tokio::test]
async fn refusals_say_what_is_wrong_in_a_few_plain_words() {
    use base64::Engine;
    let broker = start().await;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let sign = |header: &str, payload: serde_json::Value| {
        use hmac::Mac;
        let unsigned = format!("{}.{}", b64.encode(header), b64.encode(payload.to_string()));
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(unsigned.as_bytes());
        format!("{unsigned}.{}", b64.encode(mac.finalize().into_bytes()))
    };
    let exp = seam_broker::auth::now_secs() + 600;
    let cases = [
        ("not-a-jwt".to_owned(), "not a well-formed JWT"),
        (
            format!("{}.e30.c2ln", b64.encode(r#"{"alg":"HS512","typ":"JWT"}"#)),
            "HS512 are not accepted",
        ),
        (
            sign(
                r#"{"alg":"HS256","typ":"JWT"}"#,
                serde_json::json!({"sub": "x", "role": "emperor", "exp": exp}),
            ),
            "claims are malformed",
        ),
        (
            sign(
                r#"{"alg":"HS256","typ":"JWT"}"#,
                serde_json::json!({"sub": "x", "role": "customer"}),
            ),
            "claims are malformed (sub, role, exp",
        ),
    ];
    for (token, expected) in cases {
        let (code, reason) = hello_closes_with(&token, &broker).await;
        assert_eq!(code, 4002, "{reason}");
        assert!(
            reason.contains(expected),
            "{reason:?} should say {expected:?}"
        );
        assert!(reason.len() <= 123);
        for internal in ["line ", "column", "Error(", "{"] {
            assert!(!reason.contains(internal), "{reason:?} leaks parser words");
        }
    }
}
