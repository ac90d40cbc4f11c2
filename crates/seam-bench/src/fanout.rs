//! Fan-out: one seam session with many watchers (agents who joined); the
//! customer posts at a fixed rate and every watcher receives every message.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use seam_protocol::Role;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;

use crate::wire::{delivered, Proto, Target};
use crate::{proc, report};

/// Options of the fan-out scenario.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    target: Target,
    /// Watchers in the session.
    #[arg(long, default_value_t = 500)]
    watchers: usize,
    /// Messages per second the customer posts.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Seconds to measure.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
}

/// Runs the scenario.
pub(crate) async fn run(args: Args) -> Result<()> {
    anyhow::ensure!(
        args.target.proto == Proto::Seam,
        "fan-out drives seam sessions"
    );
    let target = Arc::new(args.target.clone());
    let mut customer = target.connect(0).await?;
    target
        .hello(&mut customer, Role::Customer, "fanout-customer")
        .await?;
    let mut first = target.connect(1).await?;
    target.hello(&mut first, Role::Agent, "watcher-0").await?;
    let session = target.pair(&mut customer, &mut first, "fanout").await?;
    let mut watchers = vec![first];
    for i in 1..args.watchers {
        let mut w = target.connect(i + 1).await?;
        target
            .hello(&mut w, Role::Agent, &format!("watcher-{i}"))
            .await?;
        let join = serde_json::json!({"type": "join", "id": "j", "session_id": session});
        use futures_util::SinkExt;
        w.tx.send(Message::text(join.to_string())).await?;
        watchers.push(w);
    }
    let epoch = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(args.seconds) + Duration::from_millis(500);
    let latency = Arc::new(Mutex::new(report::histogram()));
    let counted = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let cpu_before = target.pid.map(proc::cpu_seconds).transpose()?;
    let mut tasks = Vec::new();
    for mut w in watchers {
        let (latency, counted) = (Arc::clone(&latency), Arc::clone(&counted));
        tasks.push(tokio::spawn(async move {
            let mut local = report::histogram();
            while let Ok(Ok(text)) = tokio::time::timeout_at(deadline.into(), w.next_text()).await {
                let Some(payload) = delivered(Proto::Seam, &text) else {
                    continue;
                };
                let Some(sent) = payload
                    .strip_prefix("t")
                    .and_then(|s| s.parse::<u64>().ok())
                else {
                    continue;
                };
                report::record(
                    &mut local,
                    Duration::from_nanos((epoch.elapsed().as_nanos() as u64).saturating_sub(sent)),
                );
                counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            latency.lock().await.add(&local).ok();
        }));
    }
    let period = Duration::from_secs_f64(1.0 / args.rate.max(0.001));
    let mut tick = tokio::time::interval(period);
    let (mut tx, mut rx) = (customer.tx, customer.rx);
    tokio::spawn(async move {
        use futures_util::StreamExt;
        while rx.next().await.is_some() {}
    });
    let stop = Instant::now() + Duration::from_secs(args.seconds);
    let mut send = crate::wire::SendHalf::new(Proto::Seam, &mut tx);
    while Instant::now() < stop {
        tick.tick().await;
        send.send(&session, &format!("t{}", epoch.elapsed().as_nanos()))
            .await?;
    }
    for t in tasks {
        let _ = t.await;
    }
    let cpu_after = target.pid.map(proc::cpu_seconds).transpose()?;
    let n = counted.load(std::sync::atomic::Ordering::Relaxed);
    let latency = latency.lock().await;
    let cpu = match (cpu_before, cpu_after) {
        (Some(b), Some(a)) if n > 0 => format!("{:.2} µs/delivery", (a - b) / n as f64 * 1e6),
        _ => "n/a".into(),
    };
    println!(
        "fanout {} watchers x {} msgs/s: {} deliveries ({:.0}/s), latency p50/p99/p99.9 {} ms, server CPU {cpu}",
        args.watchers,
        args.rate,
        n,
        n as f64 / args.seconds as f64,
        report::percentiles(&latency)
    );
    Ok(())
}
