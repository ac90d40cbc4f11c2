//! The operator's tools as an operator uses them: `seam config default` and
//! `seam config check`, `seam admin` against a running broker, and JSON logs
//! with the connection on every line.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use std::io::BufRead;
use std::process::{Command, Output, Stdio};

use common::{mint, run_seam, serve, temp_dir, SEAM};
use seam_client::{Client, ClientConfig};

/// Stops a broker process however the test ends (a panicking test must not
/// leave it running, holding the test's output open).
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_default_configuration_is_complete_and_checks_clean() {
    let dir = temp_dir("config-default");
    let out = run_seam(&["config", "default"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for section in [
        "[auth]",
        "[limits]",
        "[routing]",
        "[store]",
        "[cluster]",
        "[webhooks]",
        "[tls]",
    ] {
        assert!(text.contains(section), "{section} missing");
    }
    let file = dir.join("seam.toml");
    // The operator's edit: uncomment the secret.
    std::fs::write(
        &file,
        text.replace(
            "# hs256_secret = \"\"",
            "hs256_secret = \"from-the-file-0123456789\"",
        ),
    )
    .unwrap();
    let out = run_seam(&["config", "check", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("configuration OK"));
    let effective = stdout(&out);
    assert!(
        effective.contains("hs256_secret = \"<redacted>\"  # file"),
        "{effective}"
    );
    assert!(
        !effective.contains("from-the-file"),
        "the secret is never printed"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn config_check_names_each_values_source_and_redacts_secrets() {
    let dir = temp_dir("config-check");
    let file = dir.join("seam.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:9000\"\n[auth]\nissuer = \"https://id.example.com\"\n[store]\nkind = \"postgres\"\nurl = \"postgres://seam:hunter2@127.0.0.1/test\"\n",
    )
    .unwrap();
    let out = Command::new(SEAM)
        .args([
            "config",
            "check",
            file.to_str().unwrap(),
            "--listen",
            "127.0.0.1:9100",
        ])
        .env("SEAM_AUTH_HS256_SECRET", "env-secret-0123456789")
        .env("SEAM_AUTH_AUDIENCE", "seam")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for line in [
        "listen = \"127.0.0.1:9100\"  # flag --listen",
        "issuer = \"https://id.example.com\"  # file",
        "audience = \"seam\"  # env SEAM_AUTH_AUDIENCE",
        "hs256_secret = \"<redacted>\"  # env SEAM_AUTH_HS256_SECRET",
        "url = \"postgres://seam:<redacted>@127.0.0.1/test\"  # file",
        "heartbeat",
        "interval_ms = 20000  # default",
    ] {
        assert!(text.contains(line), "`{line}` missing from:\n{text}");
    }
    assert!(
        !text.contains("hunter2") && !text.contains("env-secret"),
        "{text}"
    );
}

#[test]
fn config_check_says_what_is_wrong_and_fails() {
    let dir = temp_dir("config-bad");
    let file = dir.join("seam.toml");
    for (toml, needle) in [
        ("listen = 5\n", "line 1"),
        ("[limits]\nmax_text_chars = \"many\"\n", "max_text_chars"),
        (
            "[auth]\nhs256_secret = \"s\"\n[unknown]\nx = 1\n",
            "unknown",
        ),
        (
            "[auth]\ndev = true\n[webhooks]\nurls = [\"http://127.0.0.1:9\"]\n",
            "webhooks.secret",
        ),
        (
            "[auth]\nrs256_public_key = \"/nonexistent/key.pem\"\n",
            "/nonexistent/key.pem",
        ),
        ("", "no token verification key"),
        (
            "[auth]\nhs256_secret = \"s\"\n[[canned_responses]]\nshortcut = \"re fund\"\ntext = \"x\"\n",
            "shortcut `re fund` must be 1 to 64 letters",
        ),
        (
            "[auth]\nhs256_secret = \"s\"\n[[canned_responses]]\nshortcut = \"a\"\ntext = \"x\"\n[[canned_responses]]\nshortcut = \"a\"\ntext = \"y\"\n",
            "must be unique",
        ),
    ] {
        std::fs::write(&file, toml).unwrap();
        let out = run_seam(&["config", "check", file.to_str().unwrap()]);
        assert!(!out.status.success(), "{toml} passed");
        assert!(stderr(&out).contains(needle), "{toml}: {}", stderr(&out));
    }
    let out = run_seam(&["config", "check", "/nonexistent/seam.toml"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("cannot read config file /nonexistent/seam.toml"));
}

/// `seam admin` against the broker in `data_dir`, with a token it mints.
fn admin(http: &str, data_dir: &str, args: &[&str]) -> Output {
    run_seam(&[&["admin", "--url", http, "--data-dir", data_dir], args].concat())
}

// Multi-threaded: the client keeps running while the test waits on a process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seam_admin_lists_reads_ends_exports_and_erases() {
    let dir = temp_dir("admin-cli");
    let data_dir = dir.to_str().unwrap();
    let (child, url) = serve(
        &["--dev", "--listen", "127.0.0.1:0", "--data-dir", data_dir],
        &[],
    );
    let _broker = Running(child);
    let http = url.replace("ws://", "http://").replace("/ws", "");
    let customer = mint(&[
        "--role",
        "customer",
        "--sub",
        "alice",
        "--issue-type",
        "refund",
        "--data-dir",
        data_dir,
    ]);
    let (alice, _events) = Client::connect(ClientConfig::new(&url, customer))
        .await
        .unwrap();
    let session = alice.open_session(None).await.unwrap().session_id;
    alice
        .send_message(&session, "where is my refund?")
        .await
        .unwrap();

    let out = admin(&http, data_dir, &["sessions"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = stdout(&out);
    let header = table.lines().next().unwrap();
    assert!(
        header.starts_with("SESSION") && header.contains("CUSTOMER"),
        "{table}"
    );
    let row = table
        .lines()
        .find(|l| l.contains(&session))
        .expect("the session is listed");
    assert!(
        row.contains("open") && row.contains("alice") && row.contains("refund"),
        "{row}"
    );

    let out = admin(
        &http,
        data_dir,
        &[
            "--json",
            "sessions",
            "--state",
            "open",
            "--customer",
            "alice",
        ],
    );
    let list: seam_protocol::SessionList = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.sessions.len(), 1);
    assert_eq!(list.sessions[0].session_id, session);

    let out = admin(&http, data_dir, &["transcript", &session]);
    assert!(out.status.success(), "{}", stderr(&out));
    let transcript = stdout(&out);
    assert!(
        transcript.contains("where is my refund?") && transcript.contains("alice (customer)"),
        "{transcript}"
    );

    let out = admin(
        &http,
        data_dir,
        &["end", &session, "--reason", "closed by the operator"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with(&format!("ended {session}")));
    let out = admin(&http, data_dir, &["end", &session]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("409 session_ended"),
        "{}",
        stderr(&out)
    );
    let out = admin(&http, data_dir, &["transcript", "s_nope"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("404 session_not_found"),
        "{}",
        stderr(&out)
    );

    let out = admin(&http, data_dir, &["export", "alice"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let export: seam_protocol::CustomerExport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(export.sessions.len(), 1);
    assert!(stdout(&out).contains("where is my refund?"));

    let out = admin(&http, data_dir, &["erase", "alice"]);
    assert!(!out.status.success(), "erasure needs --yes");
    assert!(stderr(&out).contains("--yes"));
    let out = admin(&http, data_dir, &["erase", "alice", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("erased 1 session(s) of alice"),
        "{}",
        stdout(&out)
    );
    let out = admin(&http, data_dir, &["sessions", "--customer", "alice"]);
    assert_eq!(stdout(&out), "no sessions\n");

    // Saved replies from the terminal.
    let out = admin(
        &http,
        data_dir,
        &[
            "canned",
            "put",
            "refund",
            "Hi {name}, it is on its way.",
            "--title",
            "Refund",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = admin(&http, data_dir, &["canned", "list"]);
    let listed = stdout(&out);
    assert!(
        listed.starts_with("SHORTCUT")
            && listed.contains("/refund")
            && listed.contains("Hi {name}, it is on its way."),
        "{listed}"
    );
    let out = admin(&http, data_dir, &["--json", "canned", "list"]);
    let replies: Vec<seam_protocol::CannedResponse> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(replies[0].title.as_deref(), Some("Refund"));
    let out = admin(&http, data_dir, &["canned", "put", "re fund", "x"]);
    assert!(stderr(&out).contains("400 bad_request"), "{}", stderr(&out));
    let out = admin(&http, data_dir, &["canned", "delete", "refund"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = admin(&http, data_dir, &["canned", "delete", "refund"]);
    assert!(stderr(&out).contains("404 not_found"), "{}", stderr(&out));

    // A token that is not a service token, and one that is not a token.
    let agent = mint(&["--role", "agent", "--sub", "bob", "--data-dir", data_dir]);
    let out = run_seam(&["admin", "--url", &http, "--token", &agent, "sessions"]);
    assert!(stderr(&out).contains("403 forbidden"), "{}", stderr(&out));
    let out = run_seam(&["admin", "--url", &http, "--token", "not-a-jwt", "sessions"]);
    assert!(
        stderr(&out).contains("401 invalid_token"),
        "{}",
        stderr(&out)
    );
    let out = run_seam(&[
        "admin",
        "--url",
        "ws://127.0.0.1:1",
        "--token",
        "t",
        "sessions",
    ]);
    assert!(
        stderr(&out).contains("use http:// or https://"),
        "{}",
        stderr(&out)
    );
    let out = run_seam(&[
        "admin",
        "--url",
        "http://127.0.0.1:1",
        "--token",
        "t",
        "sessions",
    ]);
    assert!(
        stderr(&out).contains("cannot reach the broker"),
        "{}",
        stderr(&out)
    );

    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_the_connection_on_every_line_and_never_the_text() {
    let dir = temp_dir("json-logs");
    let data_dir = dir.to_str().unwrap();
    let mut broker = Running(
        Command::new(SEAM)
            .args([
                "serve",
                "--dev",
                "--listen",
                "127.0.0.1:0",
                "--data-dir",
                data_dir,
            ])
            .args(["--log-format", "json", "--log", "info,seam_broker=debug"])
            .env_remove("SEAM_AUTH_HS256_SECRET")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    let stdout = broker.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines_tx.send(line);
        }
    });
    let mut lines = Vec::new();
    let url = loop {
        let line = lines_rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .unwrap();
        let value: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        lines.push(value.clone());
        if value["message"] == "seam listening" {
            break value["url"].as_str().unwrap().to_owned();
        }
    };
    let token = mint(&[
        "--role",
        "customer",
        "--sub",
        "alice",
        "--data-dir",
        data_dir,
    ]);
    let (alice, mut events) = Client::connect(ClientConfig::new(&url, token.clone()))
        .await
        .unwrap();
    let connection_id = match events.next().await {
        Some(seam_client::Event::Connected { welcome, .. }) => welcome.connection_id,
        other => panic!("expected Connected, got {other:?}"),
    };
    let session = alice.open_session(None).await.unwrap().session_id;
    alice
        .send_message(&session, "my card number is 4111")
        .await
        .unwrap();
    alice.close();
    // The connection's last line, then stop the broker.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !lines.iter().any(|l| l["message"] == "closed") && std::time::Instant::now() < deadline {
        if let Ok(line) = lines_rx.recv_timeout(std::time::Duration::from_millis(200)) {
            lines.push(
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")),
            );
        }
    }
    drop(broker);

    for line in &lines {
        for field in ["timestamp", "level", "target", "message"] {
            assert!(line.get(field).is_some(), "{field} missing: {line}");
        }
        let text = line.to_string();
        assert!(
            !text.contains("4111") && !text.contains(&token),
            "leaked: {text}"
        );
    }
    let of_connection: Vec<_> = lines
        .iter()
        .filter(|l| l["span"]["conn"] == connection_id.as_str())
        .collect();
    let said: Vec<&str> = of_connection
        .iter()
        .filter_map(|l| l["message"].as_str())
        .collect();
    assert!(
        said.contains(&"authenticated") && said.contains(&"closed"),
        "{lines:?}"
    );
    let closed = of_connection
        .iter()
        .find(|l| l["message"] == "closed")
        .unwrap();
    assert_eq!(closed["span"]["role"], "customer");
    assert_eq!(closed["span"]["sub"], "alice");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_the_broker_runs_starts_a_broker_with_every_session() {
    let live = temp_dir("backup-live");
    let copy = temp_dir("backup-copy");
    let (live_dir, copy_dir) = (live.to_str().unwrap(), copy.to_str().unwrap());
    let (child, url) = serve(
        &["--dev", "--listen", "127.0.0.1:0", "--data-dir", live_dir],
        &[],
    );
    let broker = Running(child);
    let customer = mint(&[
        "--role",
        "customer",
        "--sub",
        "alice",
        "--data-dir",
        live_dir,
    ]);
    let (alice, _events) = Client::connect(ClientConfig::new(&url, customer))
        .await
        .unwrap();
    let session = alice.open_session(None).await.unwrap().session_id;
    for i in 0..50 {
        alice
            .send_message(&session, &format!("message {i}"))
            .await
            .unwrap();
    }
    let target = copy.join("seam.db");
    let out = run_seam(&[
        "backup",
        "--data-dir",
        live_dir,
        "--to",
        target.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("pages"), "{}", stdout(&out));
    // Never over an existing file; never from a store that is not there.
    let again = run_seam(&[
        "backup",
        "--data-dir",
        live_dir,
        "--to",
        target.to_str().unwrap(),
    ]);
    assert!(
        !again.status.success() && stderr(&again).contains("exists"),
        "{}",
        stderr(&again)
    );
    let missing = run_seam(&["backup", "--data-dir", "/nonexistent", "--to", "/tmp/x.db"]);
    assert!(
        !missing.status.success() && stderr(&missing).contains("no database"),
        "{}",
        stderr(&missing)
    );
    drop(broker);

    // A broker started on the copy has the session, every message in order.
    let (child, url) = serve(
        &["--dev", "--listen", "127.0.0.1:0", "--data-dir", copy_dir],
        &[],
    );
    let _restored = Running(child);
    let http = url.replace("ws://", "http://").replace("/ws", "");
    let out = admin(&http, copy_dir, &["--json", "transcript", &session]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let texts: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["body"]["text"].as_str())
        .collect();
    let expected: Vec<String> = (0..50).map(|i| format!("message {i}")).collect();
    assert_eq!(texts, expected);
    let _ = std::fs::remove_dir_all(&live);
    let _ = std::fs::remove_dir_all(&copy);
}
