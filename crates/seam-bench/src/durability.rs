//! Acknowledged messages per second with each store.
//!
//! For each store configuration: start an embedded broker on 127.0.0.1:0,
//! connect `clients` customers, each opens a session and keeps `window`
//! messages in flight for `seconds`; count the acks (each one means the
//! event is durable in that store) and record ack latency.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures_util::{SinkExt, StreamExt};
use seam_broker::store::{PostgresOptions, PostgresStore};
use seam_broker::{
    mint_hs256, Broker, Claims, MemoryStore, SessionStore, SqliteOptions, SqliteStore,
};
use seam_protocol::{Role, ServerFrame};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::report;

const SECRET: &str = "seam-bench-secret-0123456789abcdef";

/// Options of the durability scenario.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Concurrent customers, each with its own session.
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// Messages each customer keeps in flight.
    #[arg(long, default_value_t = 8)]
    window: usize,
    /// Seconds each store is driven.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Only the stores whose name starts with this (`memory`, `sqlite`,
    /// `postgres`, or a whole name such as `postgres, group commit`).
    #[arg(long)]
    only: Option<String>,
}

/// Opens a fresh store for one run.
type OpenStore = Box<
    dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Arc<dyn SessionStore>>>>>,
>;

struct Outcome {
    acked: u64,
    elapsed: Duration,
    latency: hdrhistogram::Histogram<u64>,
}

/// Runs the scenario and prints one line per store.
pub(crate) async fn run(args: Args) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("seam-bench-{}", std::process::id()));
    let configs: Vec<(&str, OpenStore)> = vec![
        (
            "memory",
            Box::new(|| {
                Box::pin(async { Ok(Arc::new(MemoryStore::new()) as Arc<dyn SessionStore>) })
            }),
        ),
        (
            "sqlite, group commit, fsync",
            sqlite(
                &dir,
                "a",
                SqliteOptions {
                    max_batch: 256,
                    full_sync: true,
                    ..SqliteOptions::default()
                },
            ),
        ),
        (
            "sqlite, no group commit, fsync",
            sqlite(
                &dir,
                "b",
                SqliteOptions {
                    max_batch: 1,
                    full_sync: true,
                    ..SqliteOptions::default()
                },
            ),
        ),
        (
            "sqlite, group commit, no fsync",
            sqlite(
                &dir,
                "c",
                SqliteOptions {
                    max_batch: 256,
                    full_sync: false,
                    ..SqliteOptions::default()
                },
            ),
        ),
        ("postgres, group commit, fsync", postgres(512)),
        ("postgres, no group commit, fsync", postgres(1)),
    ];
    println!(
        "durability: {} clients x {} in flight, {} s per store, embedded broker on 127.0.0.1",
        args.clients, args.window, args.seconds
    );
    println!(
        "{:<34} {:>12} {:>12}  ack latency p50 / p99 / p99.9 ms",
        "store", "acked", "acks/s"
    );
    let mut baseline = None;
    // Every schema a PostgreSQL run below may create.
    let schemas = [bench_schema(512), bench_schema(1)];
    let wanted = |name: &str| args.only.as_deref().is_none_or(|p| name.starts_with(p));
    for (name, open) in configs.into_iter().filter(|(name, _)| wanted(name)) {
        let store = match open().await {
            Ok(store) => store,
            Err(e) => {
                println!("{name:<34} skipped: {e:#}");
                continue;
            }
        };
        let postgres = name.starts_with("postgres");
        let outcome = drive(store, postgres, &args).await;
        if postgres {
            drop_schemas(&schemas).await;
        }
        let outcome = outcome?;
        let rate = outcome.acked as f64 / outcome.elapsed.as_secs_f64();
        let ratio = baseline
            .map(|b: f64| format!("  ({:.2}x memory)", rate / b))
            .unwrap_or_default();
        if name == "memory" {
            baseline = Some(rate);
        }
        println!(
            "{name:<34} {:>12} {:>12.0}  {}{ratio}",
            outcome.acked,
            rate,
            report::percentiles(&outcome.latency)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn sqlite(dir: &std::path::Path, name: &str, options: SqliteOptions) -> OpenStore {
    let path = dir.join(format!("{name}.db"));
    Box::new(move || {
        let path = path.clone();
        Box::pin(async move {
            let _ = std::fs::remove_file(&path);
            Ok(Arc::new(SqliteStore::open(&path, options)?) as Arc<dyn SessionStore>)
        })
    })
}

/// PostgreSQL at `SEAM_BENCH_POSTGRES_URL` (default: this machine's, database
/// `test`), in a schema of its own for each run (dropped after it); skipped
/// when unreachable.
fn postgres(max_batch: usize) -> OpenStore {
    Box::new(move || {
        Box::pin(async move {
            let mut options = PostgresOptions::new(postgres_url());
            options.schema = bench_schema(max_batch);
            options.max_batch = max_batch;
            let store = PostgresStore::open(options).await?;
            Ok(Arc::new(store) as Arc<dyn SessionStore>)
        })
    })
}

fn postgres_url() -> String {
    std::env::var("SEAM_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// The schema a PostgreSQL run of this process writes to.
fn bench_schema(max_batch: usize) -> String {
    format!("bench_{}_{max_batch}", std::process::id())
}

/// Drops the schemas this process's PostgreSQL runs created, so repeated
/// runs leave nothing behind in the database (a failure is only reported).
async fn drop_schemas(schemas: &[String]) {
    let dropped = async {
        let (client, connection) =
            tokio_postgres::connect(&postgres_url(), tokio_postgres::NoTls).await?;
        tokio::spawn(connection);
        for schema in schemas {
            client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .await?;
        }
        Ok::<(), tokio_postgres::Error>(())
    };
    if let Err(e) = dropped.await {
        eprintln!("could not drop the benchmark's schemas: {e}");
    }
}

async fn drive(store: Arc<dyn SessionStore>, postgres: bool, args: &Args) -> Result<Outcome> {
    let mut config = crate::embedded::config(SECRET)?;
    config.limits.outbound_queue = 4096;
    if postgres {
        // The engine as a cluster node runs it (the store is the authority).
        config.store.kind = seam_broker::StoreKind::Postgres;
    }
    let broker = Broker::start(config, store).await?;
    let url = broker.ws_url();
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..args.clients {
        tasks.push(tokio::spawn(customer(
            url.clone(),
            format!("bench-{i}"),
            args.window,
            deadline,
        )));
    }
    let mut acked = 0;
    let mut latency = report::histogram();
    for task in tasks {
        let (n, h) = task.await.context("client task")??;
        acked += n;
        latency.add(&h).ok();
    }
    let elapsed = started.elapsed();
    broker.shutdown().await;
    Ok(Outcome {
        acked,
        elapsed,
        latency,
    })
}

/// One customer: opens a session, then keeps `window` messages in flight until `deadline`.
async fn customer(
    url: String,
    sub: String,
    window: usize,
    deadline: Instant,
) -> Result<(u64, hdrhistogram::Histogram<u64>)> {
    let claims = Claims::new(sub.clone(), Role::Customer, 3600);
    let token = mint_hs256(SECRET, &claims)?;
    // A small read buffer, as seam-client and the relay load client use:
    // tungstenite zeroes the whole buffer (128 KiB by default) per read.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let (mut ws, _) =
        tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), true).await?;
    let hello = serde_json::json!({"type": "hello", "versions": [1], "token": token});
    ws.send(Message::text(hello.to_string())).await?;
    ws.send(Message::text(r#"{"type":"open_session","id":"open"}"#))
        .await?;
    let mut session = None;
    let mut sent_at: std::collections::HashMap<String, Instant> = std::collections::HashMap::new();
    let mut next = 0u64;
    let mut acked = 0u64;
    let mut latency = report::histogram();
    while let Some(message) = ws.next().await {
        let Message::Text(text) = message? else {
            continue;
        };
        let ServerFrame::Ack(ack) = serde_json::from_str(&text)? else {
            continue;
        };
        if let Some(snapshot) = ack.session {
            session = Some(snapshot.session_id);
        } else if let Some(at) = sent_at.remove(&ack.id) {
            report::record(&mut latency, at.elapsed());
            acked += 1;
        }
        let Some(sid) = &session else { continue };
        if Instant::now() >= deadline {
            if sent_at.is_empty() {
                break;
            }
            continue;
        }
        while sent_at.len() < window {
            next += 1;
            let id = format!("m{next}");
            let frame = serde_json::json!({"type": "message", "id": id, "session_id": sid, "text": "a short benchmark message of about sixty bytes"});
            sent_at.insert(id, Instant::now());
            ws.send(Message::text(frame.to_string())).await?;
        }
    }
    let _ = ws.close(None).await;
    Ok((acked, latency))
}
