//! The `seam` binary as a newcomer uses it: serve in dev mode or from a
//! config file, mint a token, connect, and stop with SIGTERM; and every
//! `seam …` command line the README and docs/ show names subcommands and
//! options the binary has.
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

/// The `seam …` command lines of the README and docs/: lines of fenced
/// code blocks (the binary run directly or as [`as_seam`] reads it) and
/// code spans, with their continuation lines joined, each with where it is
/// written.
fn documented_command_lines() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    let mut lines = Vec::new();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        let mut fenced = false;
        let mut pending = String::new();
        for line in text.lines() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                continue;
            }
            if fenced {
                let line = as_seam(line.trim_start());
                let line = line.as_str();
                if pending.is_empty() && !line.starts_with("seam ") {
                    continue;
                }
                pending.push_str(line.trim_end_matches('\\'));
                pending.push(' ');
                if !line.ends_with('\\') {
                    lines.push((name.clone(), std::mem::take(&mut pending)));
                }
            } else {
                for span in line.split('`').skip(1).step_by(2) {
                    if span.starts_with("seam ") {
                        lines.push((name.clone(), span.to_owned()));
                    }
                }
            }
        }
    }
    lines
}

/// A line of a code block as the `seam` command it runs, when it runs one
/// through `sudo -u seam`, `cargo run [-q|--release] --` or `$(seam …)`;
/// otherwise the line as it is.
fn as_seam(line: &str) -> String {
    let line = line.strip_prefix("sudo -u seam ").unwrap_or(line);
    for runner in [
        "cargo run -q -- ",
        "cargo run --release -- ",
        "cargo run -- ",
    ] {
        if let Some(i) = line.find(runner) {
            let args = &line[i + runner.len()..];
            let args = if line[..i].ends_with("$(") {
                args.split(')').next().unwrap_or(args)
            } else {
                args
            };
            return format!("seam {args}");
        }
    }
    if let Some(i) = line.find("$(seam ") {
        let inner = &line[i + 2..];
        return inner.split(')').next().unwrap_or(inner).to_owned();
    }
    line.to_owned()
}

/// A command line's words, quotes removed, up to a comment, pipe or
/// redirection.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (None, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let end = words
        .iter()
        .position(|w| w.starts_with('#') || ["|", ">", "<", "&&", ";", "&"].contains(&w.as_str()))
        .unwrap_or(words.len());
    words.truncate(end);
    words
}

/// `seam <path…> --help`, which must succeed.
fn help_of(path: &[String]) -> String {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let out = run(&args);
    assert!(
        out.status.success(),
        "seam {} --help failed",
        args.join(" ")
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The subcommands a help text lists under `Commands:`.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_command_line_in_the_documents_names_real_subcommands_and_options() {
    let lines = documented_command_lines();
    assert!(lines.len() >= 15, "command lines found: {lines:?}");
    let mut helps = std::collections::HashMap::new();
    let mut help_at = |path: &Vec<String>| -> String {
        helps
            .entry(path.clone())
            .or_insert_with(|| help_of(path))
            .clone()
    };
    let mut wrong = Vec::new();
    for (file, line) in &lines {
        let words = words(line);
        let mut path: Vec<String> = Vec::new();
        let mut help = help_at(&path);
        for (i, word) in words.iter().enumerate().skip(1) {
            if let Some(option) = word.strip_prefix("--") {
                let option = option.split('=').next().unwrap_or_default();
                if !help.contains(&format!("--{option} "))
                    && !help.contains(&format!("--{option}\n"))
                    && !help.contains(&format!("--{option},"))
                {
                    wrong.push(format!(
                        "{file}: `{line}`: `seam {}` has no --{option}",
                        path.join(" ")
                    ));
                }
            } else if subcommands(&help).contains(word) {
                path.push(word.clone());
                help = help_at(&path);
            } else if i == 1 {
                wrong.push(format!("{file}: `{line}`: no subcommand `{word}`"));
                break;
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "documented command lines seam would refuse:\n{}",
        wrong.join("\n")
    );
}
