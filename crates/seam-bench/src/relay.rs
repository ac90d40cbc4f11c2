//! The relay workload: pairs of connections sharing a room (for seam, a
//! customer and an agent sharing a session); each sender's messages are
//! delivered to its receiver. Flat out (a bounded number of undelivered
//! messages per pair) or at a fixed rate per sender. Reports delivered
//! messages per second, sender→receiver latency, and the server's CPU per
//! delivered message.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use seam_protocol::Role;
use tokio::sync::{Mutex, Semaphore};

use crate::wire::{delivered, Target};
use crate::{proc, report};

/// Options of the relay scenario.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    target: Target,
    /// Sender/receiver pairs.
    #[arg(long, default_value_t = 100)]
    pairs: usize,
    /// Messages per second per sender; 0 sends flat out.
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Flat out: undelivered messages allowed per pair.
    #[arg(long, default_value_t = 16)]
    window: usize,
    /// Seconds to measure.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Payload size in bytes.
    #[arg(long, default_value_t = 100)]
    size: usize,
    /// A name for this server in the output.
    #[arg(long, default_value = "server")]
    label: String,
    /// The nodes of a cluster (comma-separated): pair `p`'s sender connects
    /// to node `p mod N`, its receiver to the same node, or with `--cross`
    /// to the next one. Without it, everyone connects to `--addr`.
    #[arg(long, value_delimiter = ',')]
    nodes: Vec<std::net::SocketAddr>,
    /// Each pair's receiver on another node than its sender.
    #[arg(long)]
    cross: bool,
    /// More server processes whose CPU counts (the other nodes).
    #[arg(long, value_delimiter = ',')]
    pids: Vec<u32>,
    /// Processes of the engines the server uses (PostgreSQL, Redis): their
    /// CPU is reported separately.
    #[arg(long, value_delimiter = ',')]
    engine_pids: Vec<u32>,
    /// Also print the latency percentiles of each second measured (tells
    /// a steady queue from stalls).
    #[arg(long)]
    timeline: bool,
}

/// The CPU seconds `pids` have used together.
fn cpu_of(pids: &[u32]) -> Result<Option<f64>> {
    if pids.is_empty() {
        return Ok(None);
    }
    let mut total = 0.0;
    for pid in pids {
        // An engine process (a PostgreSQL backend) may end meanwhile.
        total += proc::cpu_seconds(*pid).unwrap_or(0.0);
    }
    Ok(Some(total))
}

/// Runs the scenario; prints a line and a JSON record.
pub(crate) async fn run(args: Args) -> Result<()> {
    let target = Arc::new(args.target.clone());
    let epoch = Instant::now();
    let delivered_count = Arc::new(AtomicU64::new(0));
    let latency = Arc::new(Mutex::new(report::histogram()));
    let seconds: Vec<_> = (0..args.seconds).map(|_| report::histogram()).collect();
    let timeline = Arc::new(Mutex::new(seconds));
    let measuring = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let deadline_secs = args.seconds;
    let mut setups = Vec::new();
    let gate = Arc::new(Semaphore::new(200));
    let nodes = Arc::new(args.nodes.clone());
    for p in 0..args.pairs {
        let target = Arc::clone(&target);
        let nodes = Arc::clone(&nodes);
        let cross = args.cross;
        let permit = Arc::clone(&gate).acquire_owned().await?;
        setups.push(tokio::spawn(async move {
            let (to_sender, to_receiver) = match nodes.len() {
                0 => (target.addr, target.addr),
                n => (nodes[p % n], nodes[(p + usize::from(cross)) % n]),
            };
            let mut sender = target.connect_to(to_sender, 2 * p).await?;
            let mut receiver = target.connect_to(to_receiver, 2 * p + 1).await?;
            target
                .hello(&mut sender, Role::Customer, &format!("sender-{p}"))
                .await?;
            target
                .hello(&mut receiver, Role::Agent, &format!("receiver-{p}"))
                .await?;
            let room = target
                .pair(&mut sender, &mut receiver, &format!("room-{p}"))
                .await?;
            drop(permit);
            anyhow::Ok((sender, receiver, room))
        }));
    }
    let mut pairs = Vec::with_capacity(args.pairs);
    for s in setups {
        pairs.push(s.await??);
    }
    let server_pids: Vec<u32> = target.pid.into_iter().chain(args.pids.clone()).collect();
    let cpu_before = cpu_of(&server_pids)?;
    let engine_before = cpu_of(&args.engine_pids)?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(deadline_secs);
    measuring.store(true, Ordering::SeqCst);
    let mut tasks = Vec::new();
    for (p, (sender, mut receiver, room)) in pairs.into_iter().enumerate() {
        let proto = target.proto;
        let window = Arc::new(Semaphore::new(args.window.max(1)));
        // Receiver: records latency, frees a window slot per delivery.
        {
            let (count, latency, timeline, window, measuring) = (
                Arc::clone(&delivered_count),
                Arc::clone(&latency),
                Arc::clone(&timeline),
                Arc::clone(&window),
                Arc::clone(&measuring),
            );
            tasks.push(tokio::spawn(async move {
                // Samples (second measured, latency): a histogram per
                // receiver would cost the load generator more memory than
                // the servers it measures.
                let mut samples: Vec<(usize, Duration)> = Vec::new();
                while let Ok(text) =
                    tokio::time::timeout_at(deadline.into(), receiver.next_text()).await
                {
                    let Ok(text) = text else { break };
                    let Some(payload) = delivered(proto, &text) else {
                        continue;
                    };
                    let sent: u64 = payload.get(..20).and_then(|s| s.parse().ok()).unwrap_or(0);
                    let now = epoch.elapsed().as_nanos() as u64;
                    if measuring.load(Ordering::Relaxed) {
                        let took = Duration::from_nanos(now.saturating_sub(sent));
                        samples.push((started.elapsed().as_secs() as usize, took));
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    window.add_permits(1);
                }
                let mut latency = latency.lock().await;
                let mut timeline = timeline.lock().await;
                for (second, took) in samples {
                    report::record(&mut latency, took);
                    if let Some(h) = timeline.get_mut(second) {
                        report::record(h, took);
                    }
                }
                drop(receiver);
            }));
        }
        // Sender: flat out within the window, or at the rate.
        let rate = args.rate;
        let size = args.size;
        tasks.push(tokio::spawn(async move {
            let padding = "x".repeat(size.saturating_sub(21));
            let mut tick = (rate > 0.0).then(|| {
                let period = Duration::from_secs_f64(1.0 / rate);
                let phase = period.mul_f64((p as f64 * 0.618_033_988) % 1.0);
                tokio::time::interval_at(tokio::time::Instant::now() + phase, period)
            });
            let (mut tx_half, mut rx_half) = (sender.tx, sender.rx);
            // Drain whatever the server sends the sender (acks, echoes).
            let drain = tokio::spawn(async move {
                use futures_util::StreamExt;
                while let Ok(Some(_)) =
                    tokio::time::timeout_at(deadline.into(), rx_half.next()).await
                {}
            });
            let mut conn_tx = crate::wire::SendHalf::new(proto, &mut tx_half);
            loop {
                if Instant::now() >= deadline {
                    break;
                }
                match &mut tick {
                    Some(t) => {
                        t.tick().await;
                    }
                    None => {
                        match tokio::time::timeout_at(deadline.into(), window.acquire()).await {
                            Ok(Ok(permit)) => permit.forget(),
                            _ => break,
                        }
                    }
                }
                let stamp = epoch.elapsed().as_nanos() as u64;
                let payload = format!("{stamp:020}:{padding}");
                if conn_tx.send(&room, &payload).await.is_err() {
                    break;
                }
            }
            let _ = drain.await;
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed().as_secs_f64().min(deadline_secs as f64);
    let cpu_after = cpu_of(&server_pids)?;
    let engine_after = cpu_of(&args.engine_pids)?;
    let delivered_total = delivered_count.load(Ordering::Relaxed);
    let rate = delivered_total as f64 / elapsed;
    let per_msg = |before: Option<f64>, after: Option<f64>| match (before, after) {
        (Some(b), Some(a)) if delivered_total > 0 => Some((a - b) / delivered_total as f64 * 1e6),
        _ => None,
    };
    let cpu_per_msg_us = per_msg(cpu_before, cpu_after);
    let engine_per_msg_us = per_msg(engine_before, engine_after);
    if args.timeline {
        for (second, h) in timeline.lock().await.iter().enumerate() {
            let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
            println!(
                "  second {second:>3}: {:>6} msgs  p50 / p99 / max {:.2} / {:.2} / {:.2} ms",
                h.len(),
                ms(0.5),
                ms(0.99),
                h.max() as f64 / 1000.0
            );
        }
    }
    let latency = latency.lock().await;
    let q = |x: f64| latency.value_at_quantile(x) as f64 / 1000.0;
    let engines = engine_per_msg_us.map_or(String::new(), |c| format!("  engines {c:.2} µs/msg"));
    println!(
        "relay {:<28} {:>5} pairs {:>8} msgs/s  latency p50/p99/p99.9 {} ms  server CPU {} µs/msg{engines}",
        args.label,
        args.pairs,
        format!("{rate:.0}"),
        report::percentiles(&latency),
        cpu_per_msg_us.map_or("n/a".into(), |c| format!("{c:.2}"))
    );
    println!(
        "{}",
        serde_json::json!({"scenario": "relay", "server": args.label, "pairs": args.pairs, "rate_per_sender": args.rate,
            "delivered_per_s": rate, "p50_ms": q(0.5), "p99_ms": q(0.99), "p999_ms": q(0.999), "cpu_us_per_msg": cpu_per_msg_us,
            "engine_cpu_us_per_msg": engine_per_msg_us, "nodes": args.nodes.len().max(1), "cross": args.cross})
    );
    Ok(())
}
