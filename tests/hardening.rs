//! Nobody without a token can stall or exhaust the broker: sockets are
//! counted from accept, idle or half-sent requests are cut at deadlines,
//! each address can be held to a share, and shutdown finishes whatever
//! clients do. Each test fails on a broker without the protection.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use seam_protocol::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Reads until the peer closes (or resets); `None` if it is still open
/// after `WAIT`.
async fn closed_by_peer(stream: &mut TcpStream) -> Option<String> {
    let mut seen = Vec::new();
    let read = tokio::time::timeout(WAIT, async {
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&seen).into_owned())
}

/// A request and whatever the broker answers before it closes.
async fn ask(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    closed_by_peer(&mut stream)
        .await
        .expect("the broker answers and closes")
}

const HEALTHZ: &str = "GET /healthz HTTP/1.1\r\nHost: seam\r\nConnection: close\r\n\r\n";

async fn connect_from(source: &str, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    socket.connect(addr).await.unwrap()
}

#[tokio::test]
async fn idle_and_half_sent_requests_are_counted_refused_past_the_limit_and_cut_at_the_deadline() {
    let mut config = test_config();
    config.limits.max_connections = 20;
    config.limits.header_timeout_ms = 600;
    let broker = start_with(config).await;
    let addr = broker.local_addr();

    // Twenty sockets hold every permit: half send nothing, half send part
    // of a request's headers.
    let mut idle = Vec::new();
    for i in 0..20 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        if i % 2 == 1 {
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: seam\r\n")
                .await
                .unwrap();
        }
        idle.push(stream);
    }
    // The next client is refused at once, not left hanging.
    let refused = ask(addr, HEALTHZ).await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(refused.contains("too_many_connections"), "{refused}");

    // The header deadline cuts every one of them.
    for stream in &mut idle {
        assert!(
            closed_by_peer(stream).await.is_some(),
            "an idle socket outlived the header deadline"
        );
    }
    // And their permits come back.
    let healthy = tokio::time::timeout(WAIT, async {
        loop {
            if ask(addr, HEALTHZ).await.starts_with("HTTP/1.1 200") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    healthy
        .await
        .expect("healthz answers once the idle sockets are cut");
}

#[tokio::test]
async fn one_address_cannot_take_more_than_its_share() {
    let mut config = test_config();
    config.limits.max_connections_per_ip = 3;
    let broker = start_with(config).await;
    let addr = broker.local_addr();
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from("127.0.0.1", addr).await);
    }
    let mut fourth = connect_from("127.0.0.1", addr).await;
    fourth.write_all(HEALTHZ.as_bytes()).await.unwrap();
    let refused = closed_by_peer(&mut fourth).await.unwrap();
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(refused.contains("your address"), "{refused}");

    // Another address is served.
    let mut other = connect_from("127.0.0.2", addr).await;
    other.write_all(HEALTHZ.as_bytes()).await.unwrap();
    let answer = closed_by_peer(&mut other).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // A closed socket gives its slot back.
    drop(held.pop());
    let freed = tokio::time::timeout(WAIT, async {
        loop {
            let mut again = connect_from("127.0.0.1", addr).await;
            again.write_all(HEALTHZ.as_bytes()).await.unwrap();
            if closed_by_peer(&mut again)
                .await
                .is_some_and(|a| a.starts_with("HTTP/1.1 200"))
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    freed.await.expect("the slot comes back");
}

/// A WebSocket upgrade sent from `source` carrying `X-Forwarded-For`; the
/// socket and the head of the answer.
async fn upgrade_from(source: &str, addr: SocketAddr, forwarded_for: &str) -> (TcpStream, String) {
    let mut stream = connect_from(source, addr).await;
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: seam\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Forwarded-For: {forwarded_for}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(WAIT, stream.read(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    (stream, String::from_utf8_lossy(&head).into_owned())
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_share_is_counted_per_forwarded_client() {
    let mut config = test_config();
    config.limits.max_connections_per_ip = 2;
    config.limits.trusted_proxies = vec!["127.0.0.1".into()];
    let broker = start_with(config).await;
    let addr = broker.local_addr();
    // Through the proxy, one client holds its two WebSockets...
    let mut held = Vec::new();
    for _ in 0..2 {
        let (socket, head) = upgrade_from("127.0.0.1", addr, "203.0.113.5").await;
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        held.push(socket);
    }
    // ...and is refused a third, even with a forged address on the left.
    for forwarded in ["203.0.113.5", "198.51.100.1, 203.0.113.5"] {
        let (_, head) = upgrade_from("127.0.0.1", addr, forwarded).await;
        assert!(head.starts_with("HTTP/1.1 503"), "{forwarded}: {head}");
    }
    // Other clients through the same proxy are served.
    for other in ["203.0.113.6", "203.0.113.7"] {
        let (socket, head) = upgrade_from("127.0.0.1", addr, other).await;
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        held.push(socket);
    }
    // A closed WebSocket gives the client's slot back.
    drop(held.remove(0));
    let freed = tokio::time::timeout(WAIT, async {
        loop {
            let (socket, head) = upgrade_from("127.0.0.1", addr, "203.0.113.5").await;
            if head.starts_with("HTTP/1.1 101") {
                return socket;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    held.push(freed.await.expect("the slot comes back"));
    // From an address that is not a trusted proxy the header means nothing:
    // the socket's own address is counted.
    let mut untrusted = Vec::new();
    for client in ["203.0.113.8", "203.0.113.9"] {
        let (socket, head) = upgrade_from("127.0.0.2", addr, client).await;
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        untrusted.push(socket);
    }
    let mut third = connect_from("127.0.0.2", addr).await;
    third.write_all(HEALTHZ.as_bytes()).await.unwrap();
    let refused = closed_by_peer(&mut third).await.unwrap();
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
}

#[tokio::test]
async fn a_request_whose_body_never_arrives_is_answered_408() {
    let mut config = test_config();
    config.limits.request_timeout_ms = 500;
    let broker = start_with(config).await;
    let service = token(Role::Service, "backend");
    let request = format!(
        "POST /v1/sessions/s_x/end HTTP/1.1\r\nHost: seam\r\nAuthorization: Bearer {service}\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{{\"rea"
    );
    let answer = ask(broker.local_addr(), &request).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
}

#[tokio::test]
async fn shutdown_finishes_while_clients_hold_half_sent_requests() {
    let mut config = test_config();
    config.limits.header_timeout_ms = 60_000;
    config.limits.request_timeout_ms = 60_000;
    config.limits.shutdown_drain_ms = 300;
    let broker = start_with(config).await;
    let addr = broker.local_addr();
    let mut half_headers = TcpStream::connect(addr).await.unwrap();
    half_headers
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: se")
        .await
        .unwrap();
    let service = token(Role::Service, "backend");
    let mut half_body = TcpStream::connect(addr).await.unwrap();
    half_body
        .write_all(format!("POST /v1/sessions/s_x/end HTTP/1.1\r\nHost: seam\r\nAuthorization: Bearer {service}\r\nContent-Length: 50\r\n\r\n{{").as_bytes())
        .await
        .unwrap();
    let (_client, _events) = client(&broker, customer_token("alice", "billing")).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    let stopped = tokio::time::timeout(Duration::from_secs(15), broker.shutdown()).await;
    assert!(stopped.is_ok(), "shutdown did not finish");
    assert!(closed_by_peer(&mut half_headers).await.is_some());
    assert!(closed_by_peer(&mut half_body).await.is_some());
}

#[tokio::test]
async fn sigterm_stops_the_binary_while_a_client_holds_a_half_sent_request() {
    let dir = temp_dir("sigterm-drain");
    let config = dir.join("seam.toml");
    std::fs::write(&config, "[limits]\nshutdown_drain_ms = 300\n").unwrap();
    let data_dir = dir.to_str().unwrap();
    let (mut child, url) = serve(
        &[
            "--dev",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data_dir,
            "--config",
            config.to_str().unwrap(),
        ],
        &[],
    );
    let addr: SocketAddr = url
        .trim_start_matches("ws://")
        .trim_end_matches("/ws")
        .parse()
        .unwrap();
    let mut half = TcpStream::connect(addr).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHo")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let exited = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::task::spawn_blocking(move || child.wait()),
    )
    .await;
    let status = exited.expect("seam exits after SIGTERM").unwrap().unwrap();
    assert!(status.success(), "{status}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A WebSocket upgrade request, with `Origin` when given; the status line.
async fn upgrade_status(addr: SocketAddr, origin: Option<&str>) -> String {
    let origin = origin
        .map(|o| format!("Origin: {o}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: seam\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{origin}\r\n"
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 2048];
    let n = tokio::time::timeout(WAIT, stream.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn browsers_connect_only_from_allowed_origins() {
    let mut config = test_config();
    config.auth.allowed_origins = vec!["https://shop.example".into()];
    let broker = start_with(config).await;
    let addr = broker.local_addr();
    let evil = upgrade_status(addr, Some("https://evil.example")).await;
    assert!(evil.starts_with("HTTP/1.1 403"), "{evil}");
    assert!(evil.contains("origin_not_allowed"), "{evil}");
    let shop = upgrade_status(addr, Some("https://shop.example")).await;
    assert!(shop.starts_with("HTTP/1.1 101"), "{shop}");
    let server = upgrade_status(addr, None).await;
    assert!(server.starts_with("HTTP/1.1 101"), "{server}");
}

#[tokio::test]
async fn demo_tokens_are_minted_only_for_a_loopback_host() {
    let dir = temp_dir("dev-host");
    let mut config = test_config();
    config.auth.hs256_secret = None;
    config.auth.dev = true;
    config.data_dir = dir.clone();
    let broker = start_with(config).await;
    let addr = broker.local_addr();
    let mint = |host: String| async move {
        ask(
            addr,
            &format!("GET /demo/token?role=service&sub=x HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        )
        .await
    };
    let rebound = mint("attacker.example:8080".into()).await;
    assert!(rebound.starts_with("HTTP/1.1 403"), "{rebound}");
    assert!(rebound.contains("host_not_allowed"), "{rebound}");
    for host in [addr.to_string(), "localhost:8080".into(), "[::1]:80".into()] {
        let answer = mint(host.clone()).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{host}: {answer}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn one_principal_holds_a_bounded_number_of_connections() {
    let mut config = test_config();
    config.limits.max_connections_per_principal = 2;
    let broker = start_with(config).await;
    let alice = customer_token("alice", "billing");
    let first = Raw::authed(&broker, &alice).await;
    let _second = Raw::authed(&broker, &alice).await;
    let mut third = Raw::connect(&broker).await;
    third
        .send_json(serde_json::json!({"type": "hello", "versions": [1], "token": alice}))
        .await;
    let (code, reason) = third.closed().await;
    assert_eq!(code, 4009, "{reason}");
    assert!(reason.starts_with("too_many_connections"), "{reason}");
    // Another principal is not affected.
    let _bob = Raw::authed(&broker, &customer_token("bob", "billing")).await;

    // A closed connection frees its place.
    drop(first);
    let again = tokio::time::timeout(WAIT, async {
        loop {
            let mut raw = Raw::connect(&broker).await;
            raw.send_json(serde_json::json!({"type": "hello", "versions": [1], "token": alice}))
                .await;
            if matches!(raw.recv().await, seam_protocol::ServerFrame::Welcome(_)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    again.await.expect("a place frees up");
}

#[tokio::test]
async fn a_principals_connections_share_one_command_budget() {
    let mut config = test_config();
    config.limits.commands_per_second = 1;
    config.limits.command_burst = 4;
    let broker = start_with(config).await;
    let alice = customer_token("alice", "billing");
    let mut tabs = Vec::new();
    for _ in 0..2 {
        tabs.push(Raw::authed(&broker, &alice).await);
    }
    // Four commands spend the burst, two on each connection...
    for i in 0..4 {
        let tab = &mut tabs[i % 2];
        tab.send_json(serde_json::json!({"type": "overview", "id": format!("o{i}")}))
            .await;
        let seam_protocol::ServerFrame::Error(e) = tab.recv().await else {
            panic!("customers get forbidden, not an answer")
        };
        assert_eq!(e.code, seam_protocol::ErrorCode::Forbidden);
    }
    // ...and the fifth is refused whichever connection sends it.
    let tab = &mut tabs[0];
    tab.send_json(serde_json::json!({"type": "overview", "id": "o5"}))
        .await;
    let seam_protocol::ServerFrame::Error(e) = tab.recv().await else {
        panic!("expected an error")
    };
    assert_eq!(
        (e.code, e.id.as_deref()),
        (seam_protocol::ErrorCode::RateLimited, Some("o5"))
    );
    assert!(e.retry_after_ms.is_some_and(|ms| ms > 0));
}

#[tokio::test]
async fn a_limit_that_bites_is_logged_once_per_interval_not_once_per_refusal() {
    use std::io::BufRead;
    let dir = temp_dir("limit-log");
    let config = dir.join("seam.toml");
    std::fs::write(&config, "[limits]\nmax_connections = 3\n").unwrap();
    let mut child = std::process::Command::new(SEAM)
        .args(["serve", "--dev", "--listen", "127.0.0.1:0", "--log", "warn"])
        .args([
            "--data-dir",
            dir.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ])
        .env_remove("SEAM_AUTH_HS256_SECRET")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = out.next().unwrap().unwrap();
    let addr: SocketAddr = banner
        .split_whitespace()
        .last()
        .unwrap()
        .trim_start_matches("ws://")
        .trim_end_matches("/ws")
        .parse()
        .unwrap();
    let collected = lines.clone();
    std::thread::spawn(move || {
        for line in out.map_while(Result::ok) {
            collected.lock().unwrap().push(line);
        }
    });
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..20 {
        let refused = ask(addr, HEALTHZ).await;
        assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let warnings: Vec<String> = lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains("connection limit reached"))
        .cloned()
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
