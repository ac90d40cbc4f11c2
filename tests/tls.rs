//! TLS in the broker: `wss://` and `https://` on the one port with a
//! certificate from `[tls]`, a client that trusts it, a certificate
//! replaced on disk served without a restart, and the handshake held to
//! the header deadline.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use rustls::pki_types::{CertificateDer, ServerName};
use seam_protocol::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A self-signed certificate for 127.0.0.1 and localhost: (cert PEM, key PEM).
fn self_signed() -> (String, String) {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let certified = rcgen::generate_simple_self_signed(names).unwrap();
    (certified.cert.pem(), certified.signing_key.serialize_pem())
}

fn write_pair(dir: &Path, cert: &str, key: &str) {
    // The key first: a reload that sees the new certificate finds its key.
    std::fs::write(dir.join("key.pem"), key).unwrap();
    std::fs::write(dir.join("cert.pem"), cert).unwrap();
}

async fn start_tls(dir: &Path) -> (seam_broker::RunningBroker, String) {
    let (cert, key) = self_signed();
    write_pair(dir, &cert, &key);
    let mut config = test_config();
    config.tls.cert = Some(dir.join("cert.pem"));
    config.tls.key = Some(dir.join("key.pem"));
    config.tls.reload_ms = 100;
    config.limits.header_timeout_ms = 500;
    (start_with(config).await, cert)
}

/// A TLS connection trusting only `cert_pem`; the certificate it was shown.
async fn tls_connect(
    addr: std::net::SocketAddr,
    cert_pem: &str,
) -> (tokio_rustls::client::TlsStream<TcpStream>, Vec<u8>) {
    try_tls_connect(addr, cert_pem).await.unwrap()
}

/// Like [`tls_connect`], failing when the broker shows another certificate.
async fn try_tls_connect(
    addr: std::net::SocketAddr,
    cert_pem: &str,
) -> std::io::Result<(tokio_rustls::client::TlsStream<TcpStream>, Vec<u8>)> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(cert_pem.as_bytes()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let stream = connector.connect(name, tcp).await?;
    let shown = stream.get_ref().1.peer_certificates().unwrap()[0].to_vec();
    Ok((stream, shown))
}

fn der(cert_pem: &str) -> Vec<u8> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::from_pem_slice(cert_pem.as_bytes())
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn clients_chat_over_wss_and_https_answers_on_the_same_port() {
    let dir = temp_dir("tls-chat");
    let (broker, cert) = start_tls(&dir).await;
    assert!(broker.ws_url().starts_with("wss://"), "{}", broker.ws_url());

    let trusting = |token: String| {
        let mut config = client_config(&broker, token);
        config.extra_roots_pem = Some(cert.clone());
        config
    };
    let (alice, _) = seam_client::Client::connect(trusting(customer_token("alice", "billing")))
        .await
        .unwrap();
    let sid = alice.open_session(None).await.unwrap().session_id;
    let (bob, mut bob_events) = seam_client::Client::connect(trusting(token(Role::Agent, "bob")))
        .await
        .unwrap();
    bob.join(&sid).await.unwrap();
    alice.send_message(&sid, "over TLS").await.unwrap();
    assert_eq!(next_message(&mut bob_events).await, "over TLS");

    let (mut https, _) = tls_connect(broker.local_addr(), &cert).await;
    https
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    let _ = https.read_to_string(&mut answer).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // A client that does not trust the certificate is refused.
    let untrusting = client_config(&broker, customer_token("carol", "billing"));
    let mut untrusting = untrusting;
    untrusting.reconnect = false;
    assert!(seam_client::Client::connect(untrusting).await.is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_certificate_replaced_on_disk_is_served_without_a_restart() {
    let dir = temp_dir("tls-reload");
    let (broker, first) = start_tls(&dir).await;
    let (_, shown) = tls_connect(broker.local_addr(), &first).await;
    assert_eq!(shown, der(&first));

    let (second, key) = self_signed();
    write_pair(&dir, &second, &key);
    let reloaded = tokio::time::timeout(WAIT, async {
        loop {
            // Until the reload, the broker shows the first certificate,
            // which a client trusting only the second refuses.
            if let Ok((_, shown)) = try_tls_connect(broker.local_addr(), &second).await {
                assert_eq!(shown, der(&second));
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    reloaded.await.expect("the new certificate is served");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_socket_that_never_starts_its_tls_handshake_is_cut_at_the_deadline() {
    let dir = temp_dir("tls-idle");
    let (broker, _) = start_tls(&dir).await;
    let mut idle = TcpStream::connect(broker.local_addr()).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(WAIT, idle.read(&mut buf)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "closed at the deadline: {read:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_certificate_without_its_key_is_refused_at_start() {
    let mut config = test_config();
    config.tls.cert = Some("/nonexistent/cert.pem".into());
    let err = seam_broker::Broker::start(config, Arc::new(seam_broker::MemoryStore::new()))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("tls.cert and tls.key"), "{err}");

    let dir = temp_dir("tls-bad");
    std::fs::write(dir.join("cert.pem"), "not a certificate").unwrap();
    std::fs::write(dir.join("key.pem"), "not a key").unwrap();
    let mut config = test_config();
    config.tls.cert = Some(dir.join("cert.pem"));
    config.tls.key = Some(dir.join("key.pem"));
    let err = seam_broker::Broker::start(config, Arc::new(seam_broker::MemoryStore::new()))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("certificate"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
