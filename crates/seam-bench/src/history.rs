//! Memory against history: a `seam serve` process started on a large
//! store (how long until it serves, and its RSS), and one session receiving
//! many messages (its RSS as the session grows).
//!
//! `startup` writes `--sessions` sessions with `--events` events in all
//! (`--open-share` of them still open) to a fresh SQLite store through the
//! store API, then starts the binary on it (with and without a routing
//! queue, which restores the open sessions) and reports the time from
//! spawn to a ready `/healthz`, and the RSS once it is ready.
//!
//! `analytics` writes the same store, starts the binary on it and times
//! `GET /v1/analytics` over every session, ungrouped and by interval.
//!
//! `one-session` starts the binary, opens one session and sends
//! `--messages` messages into it (acked, `--window` in flight), printing the
//! server's RSS every tenth of the way.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use seam_broker::{mint_hs256, Claims, SessionStore, SqliteOptions, SqliteStore};
use seam_protocol::{CustomerContext, EventBody, Principal, Role, ServerFrame, SessionEvent};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

use crate::proc::rss_bytes;

const SECRET: &str = "seam-bench-secret-0123456789abcdef";

/// Which history scenario.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Mode {
    /// Start on a large store.
    Startup,
    /// One session receiving many messages.
    OneSession,
    /// `GET /v1/analytics` over a large store.
    Analytics,
}

/// Options of the history scenarios.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// What to measure.
    #[arg(value_enum)]
    mode: Mode,
    /// The `seam` binary to start.
    #[arg(long, default_value = "target/release/seam")]
    seam: PathBuf,
    /// Stored sessions (startup).
    #[arg(long, default_value_t = 100_000)]
    sessions: usize,
    /// Stored events in all (startup).
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// Share of the stored sessions still open (startup).
    #[arg(long, default_value_t = 0.1)]
    open_share: f64,
    /// Messages sent into the one session (one-session).
    #[arg(long, default_value_t = 200_000)]
    messages: usize,
    /// Messages in flight (one-session).
    #[arg(long, default_value_t = 64)]
    window: usize,
    /// Store for one-session: `sqlite` or `memory`.
    #[arg(long, default_value = "sqlite")]
    store: String,
}

/// Runs the scenario and prints its figures.
pub(crate) async fn run(args: Args) -> Result<()> {
    if !args.seam.exists() {
        bail!(
            "no seam binary at {} (cargo build --release, or --seam)",
            args.seam.display()
        );
    }
    match args.mode {
        Mode::Startup => startup(&args).await,
        Mode::OneSession => one_session(&args).await,
        Mode::Analytics => analytics(&args).await,
    }
}

fn scratch(name: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("seam-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

async fn startup(args: &Args) -> Result<()> {
    let dir = scratch("startup")?;
    let began = Instant::now();
    fill(&dir, args.sessions, args.events, args.open_share).await?;
    let size = std::fs::metadata(dir.join("seam.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "store: {} sessions, {} events, {:.0}% open, {:.0} MB on disk (written in {:.1} s)",
        args.sessions,
        args.events,
        args.open_share * 100.0,
        size as f64 / 1e6,
        began.elapsed().as_secs_f64()
    );
    let config = dir.join("routing.toml");
    std::fs::write(&config, "[[routing.queues]]\nname = \"general\"\n")?;
    println!("| start | ready after | RSS when ready | sessions held |");
    println!("|---|---|---|---|");
    for (label, extra) in [
        ("no routing", None),
        (
            "a routing queue (restores the open sessions)",
            Some(&config),
        ),
    ] {
        for run in 0..3 {
            let mut cmd = serve(&args.seam, &dir);
            if let Some(config) = extra {
                cmd.arg("--config").arg(config);
            }
            let spawned = Instant::now();
            let mut child = cmd.spawn().context("starting seam")?;
            let addr = listening(&mut child).await?;
            let health = ready(&addr).await?;
            let ready_after = spawned.elapsed();
            let pid = child.id().context("no pid")?;
            let rss = rss_bytes(pid)?;
            println!(
                "| {label}, run {} | {:.0} ms | {:.1} MB | {} |",
                run + 1,
                ready_after.as_secs_f64() * 1e3,
                rss as f64 / 1e6,
                health["sessions"]
            );
            child.kill().await?;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

async fn analytics(args: &Args) -> Result<()> {
    let dir = scratch("analytics")?;
    fill(&dir, args.sessions, args.events, args.open_share).await?;
    println!(
        "store: {} sessions, {} events; GET /v1/analytics over all of them",
        args.sessions, args.events
    );
    let mut child = serve(&args.seam, &dir).spawn().context("starting seam")?;
    let addr = listening(&mut child).await?;
    ready(&addr).await?;
    let claims = Claims::new("bench", Role::Service, 3600);
    let token = mint_hs256(SECRET, &claims)?;
    let (from, to) = (1_795_000_000_000u64, 1_795_000_000_000u64 + 86_400_000);
    println!("| query | run | answered in | sessions counted |");
    println!("|---|---|---|---|");
    for group_by in ["all", "interval&interval=15m"] {
        for run in 1..=3 {
            let path = format!("/v1/analytics?from={from}&to={to}&group_by={group_by}");
            let started = Instant::now();
            let body = get_with(&addr, &path, Some(&token)).await?;
            let took = started.elapsed();
            let counted: u64 = body["groups"]
                .as_array()
                .map(|g| {
                    g.iter()
                        .filter_map(|g| g["figures"]["sessions"].as_u64())
                        .sum()
                })
                .unwrap_or(0);
            if counted == 0 {
                bail!("unexpected answer: {body}");
            }
            println!(
                "| group_by={group_by} | {run} | {:.2} s | {counted} |",
                took.as_secs_f64()
            );
        }
    }
    child.kill().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Writes the sessions and events through the store API (many writers at
/// once, so group commit batches them).
async fn fill(dir: &Path, sessions: usize, events: usize, open_share: f64) -> Result<()> {
    let store: Arc<dyn SessionStore> = Arc::new(SqliteStore::open(
        &dir.join("seam.db"),
        SqliteOptions {
            full_sync: false,
            ..SqliteOptions::default()
        },
    )?);
    let per_session = (events / sessions.max(1)).max(2);
    let open_every = if open_share > 0.0 {
        (1.0 / open_share).round() as usize
    } else {
        usize::MAX
    };
    let writers = 64;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut n = w;
            while n < sessions {
                write_session(&*store, n, per_session, n % open_every == 0).await?;
                n += writers;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

async fn write_session(
    store: &dyn SessionStore,
    n: usize,
    events: usize,
    open: bool,
) -> Result<()> {
    let customer = Principal {
        sub: format!("customer-{n}"),
        role: Role::Customer,
        name: Some(format!("Customer {n}")),
    };
    let at = 1_795_000_000_000 + n as u64;
    let record = seam_broker::store::SessionRecord {
        session_id: format!("s_{n:016x}"),
        epoch: "0123456789abcdef".into(),
        customer: customer.clone(),
        context: CustomerContext {
            issue_type: Some("billing".into()),
            ..CustomerContext::default()
        },
        created_at: at,
    };
    let event = |seq: u64, body: EventBody| SessionEvent {
        session_id: record.session_id.clone(),
        seq,
        at: at + seq,
        from: customer.clone(),
        client_id: Some(format!("c{seq}")),
        body,
    };
    let first = event(
        1,
        EventBody::SessionOpened {
            context: record.context.clone(),
        },
    );
    store.create(&record, &first, &[]).await?;
    let last = if open { events } else { events - 1 };
    let mut batch: Vec<seam_broker::store::NewEvent> = (2..=last as u64)
        .map(|seq| {
            let text = format!("message {seq} of session {n}: my order has not arrived yet");
            seam_broker::store::NewEvent::plain(event(seq, EventBody::message(text)))
        })
        .collect();
    if !open {
        let end = event(
            events as u64,
            EventBody::SessionEnded {
                reason: Some("resolved".into()),
            },
        );
        batch.push(seam_broker::store::NewEvent::plain(end));
    }
    // Ended sessions end listed as ended, as the engine would fold them.
    let listing = seam_broker::session::SessionView::folded(&record, [&first])
        .listing_after(batch.iter().map(|n| &n.event));
    store.append(&batch, listing.as_ref()).await?;
    Ok(())
}

fn serve(seam: &Path, dir: &Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(seam);
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--log",
        "warn",
        "--hs256-secret",
        SECRET,
    ])
    .arg("--data-dir")
    .arg(dir)
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit())
    .kill_on_drop(true);
    cmd
}

/// Reads the child's stdout until it says where it listens.
async fn listening(child: &mut tokio::process::Child) -> Result<String> {
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    while let Some(line) = lines.next_line().await? {
        if let Some(rest) = line.strip_prefix("seam listening on ws://") {
            let addr = rest.trim_end_matches("/ws").to_owned();
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return Ok(addr);
        }
    }
    bail!("seam exited before listening")
}

/// Polls `/healthz` until it answers 200; returns its body.
async fn ready(addr: &str) -> Result<serde_json::Value> {
    for _ in 0..2000 {
        if let Ok(body) = get(addr, "/healthz").await {
            if body["status"] == "ok" {
                return Ok(body);
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    bail!("seam did not become ready")
}

async fn get(addr: &str, path: &str) -> Result<serde_json::Value> {
    get_with(addr, path, None).await
}

async fn get_with(addr: &str, path: &str, token: Option<&str>) -> Result<serde_json::Value> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Connection: close\r\n\r\n")
                .as_bytes(),
        )
        .await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or("");
    Ok(serde_json::from_str(body)?)
}

async fn one_session(args: &Args) -> Result<()> {
    let dir = scratch("one-session")?;
    // One client sends as fast as it is answered: lift the per-principal
    // rate limit, as for every other throughput benchmark.
    let config = dir.join("limits.toml");
    std::fs::write(
        &config,
        "[limits]\ncommands_per_second = 1000000\ncommand_burst = 1000000\n",
    )?;
    let mut cmd = serve(&args.seam, &dir);
    cmd.args(["--store", &args.store])
        .arg("--config")
        .arg(&config);
    let mut child = cmd.spawn().context("starting seam")?;
    let addr = listening(&mut child).await?;
    ready(&addr).await?;
    let pid = child.id().context("no pid")?;
    let mut claims = Claims::new("alice", Role::Customer, 3600);
    claims.context = Some(CustomerContext::default());
    let token = mint_hs256(SECRET, &claims)?;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await?;
    let send = |ws_frame: serde_json::Value| Message::Text(ws_frame.to_string().into());
    ws.send(send(
        serde_json::json!({"type": "hello", "versions": [1], "token": token}),
    ))
    .await?;
    ws.send(send(
        serde_json::json!({"type": "open_session", "id": "open"}),
    ))
    .await?;
    let mut session = None;
    while session.is_none() {
        match next(&mut ws).await? {
            ServerFrame::Ack(ack) => session = ack.session_id,
            ServerFrame::Error(e) => bail!("open_session refused: {e:?}"),
            _ => {}
        }
    }
    let sid = session.context("no session")?;
    println!(
        "one session, {} messages of about 60 bytes, {} store, {} in flight",
        args.messages, args.store, args.window
    );
    println!("| messages sent | server RSS | window bytes |");
    println!("|---|---|---|");
    let report = |sent: usize, health: serde_json::Value| -> Result<()> {
        println!(
            "| {sent} | {:.1} MB | {} |",
            rss_bytes(pid)? as f64 / 1e6,
            health["window_bytes"]
        );
        Ok(())
    };
    report(0, get(&addr, "/healthz").await?)?;
    let step = (args.messages / 10).max(1);
    let (mut sent, mut acked) = (0usize, 0usize);
    let began = Instant::now();
    while acked < args.messages {
        while sent < args.messages && sent - acked < args.window {
            let text = format!("message {sent}: where is my parcel, it has been a week?");
            ws.send(send(serde_json::json!({"type": "message", "id": format!("m{sent}"), "session_id": sid, "text": text})))
                .await?;
            sent += 1;
        }
        let frame = next(&mut ws).await?;
        if let ServerFrame::Error(e) = frame {
            bail!("a message was refused: {e:?}");
        }
        if let ServerFrame::Ack(_) = frame {
            acked += 1;
            if acked % step == 0 {
                report(acked, get(&addr, "/healthz").await?)?;
            }
        }
    }
    println!(
        "({:.0} msgs/s)",
        args.messages as f64 / began.elapsed().as_secs_f64()
    );
    child.kill().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

async fn next(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Result<ServerFrame> {
    loop {
        match ws.next().await.context("closed")?? {
            Message::Text(text) => return Ok(serde_json::from_str(&text)?),
            Message::Close(frame) => bail!("closed: {frame:?}"),
            _ => continue,
        }
    }
}
