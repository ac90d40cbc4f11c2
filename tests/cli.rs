//! The `seam` binary as a newcomer uses it: serve in dev mode or from a
//! config file, mint a token, connect, and stop with SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{mint, serve, Raw};
use seam_protocol::{ServerFrame, Welcome};

use common::SEAM;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seam-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(SEAM)
        .args(args)
        .env_remove("SEAM_AUTH_HS256_SECRET")
        .output()
        .unwrap()
}

/// Connects to `url` and authenticates with `token`.
async fn hello(url: &str, token: &str) -> (Raw, Welcome) {
    let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut raw = Raw::from_stream(ws);
    raw.send_json(serde_json::json!({"type": "hello", "versions": [1], "token": token}))
        .await;
    match raw.recv().await {
        ServerFrame::Welcome(welcome) => (raw, welcome),
        other => panic!("expected welcome, got {other:?}"),
    }
}

#[test]
fn help_explains_every_option_and_its_environment_variable() {
    let help = String::from_utf8(run(&["serve", "--help"]).stdout).unwrap();
    for needle in [
        "--listen",
        "SEAM_LISTEN",
        "--config",
        "SEAM_CONFIG",
        "--dev",
        "--hs256-secret",
        "SEAM_AUTH_ISSUER",
    ] {
        assert!(
            help.contains(needle),
            "serve --help lacks {needle}:\n{help}"
        );
    }
    let help = String::from_utf8(run(&["token", "--help"]).stdout).unwrap();
    assert!(
        help.contains("--role") && help.contains("--skill") && help.contains("--meta"),
        "{help}"
    );
}

#[test]
fn serve_without_a_key_refuses_to_start_and_says_how_to_fix_it() {
    let dir = temp_dir("nokey");
    let data_dir = dir.to_str().unwrap();
    let out = run(&["serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir]);
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr).unwrap().contains("--dev"));
    let out = run(&["token", "--role", "wizard", "--sub", "x"]);
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("unknown role"));
    let out = run(&[
        "token",
        "--role",
        "agent",
        "--sub",
        "x",
        "--data-dir",
        data_dir,
    ]);
    assert!(String::from_utf8(out.stderr).unwrap().contains("--dev"));
}

#[tokio::test]
async fn dev_mode_mints_tokens_that_work_and_sigterm_sends_clients_away() {
    let dir = temp_dir("dev");
    let data_dir = dir.to_str().unwrap();
    let (mut child, url) = serve(
        &["--dev", "--listen", "127.0.0.1:0", "--data-dir", data_dir],
        &[],
    );
    let token = mint(&[
        "--role",
        "customer",
        "--sub",
        "alice",
        "--issue-type",
        "billing",
        "--meta",
        "plan=gold",
        "--data-dir",
        data_dir,
    ]);
    let (mut raw, welcome) = hello(&url, &token).await;
    assert_eq!(welcome.principal.sub, "alice");
    raw.send_json(serde_json::json!({"type": "open_session", "id": "o"}))
        .await;
    let ServerFrame::Ack(ack) = raw.recv().await else {
        panic!()
    };
    assert_eq!(ack.session.unwrap().context.metadata["plan"], "gold");

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    assert_eq!(raw.closed().await.0, 1001);
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_toml_file_configures_the_broker_and_environment_variables_override_it() {
    let dir = temp_dir("toml");
    let file = dir.join("seam.toml");
    let toml = "listen = \"127.0.0.1:1\"\n[auth]\nhs256_secret = \"file-secret-0123456789\"\n[limits]\nmax_text_chars = 5\n";
    std::fs::write(&file, toml).unwrap();
    let (mut child, url) = serve(
        &[],
        &[
            ("SEAM_CONFIG", &file),
            ("SEAM_LISTEN", Path::new("127.0.0.1:0")),
        ],
    );
    assert!(
        !url.contains(":1/"),
        "SEAM_LISTEN overrides the file: {url}"
    );
    let token = mint(&[
        "--role",
        "customer",
        "--sub",
        "alice",
        "--config",
        file.to_str().unwrap(),
    ]);
    let (_raw, welcome) = hello(&url, &token).await;
    assert_eq!(
        welcome.limits.max_text_chars, 5,
        "the file's limit is in force"
    );
    child.kill().unwrap();
    let _ = child.wait();

    std::fs::write(&file, "[limits]\nmax_text_chars = \"many\"\n").unwrap();
    let out = run(&["serve", "--dev", "--config", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("max_text_chars"));
    let _ = std::fs::remove_dir_all(&dir);
}
