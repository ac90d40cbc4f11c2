//! Reconnect storm: N customers with sessions and some history drop their
//! connections at once and all reconnect and resume from their last seq.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures_util::SinkExt;
use seam_protocol::{ResumeOutcome, Role, ServerFrame};
use tokio::sync::{Mutex, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use crate::report;
use crate::wire::{Proto, Target};

/// Options of the reconnect-storm scenario.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    target: Target,
    /// Clients in the storm.
    #[arg(long, default_value_t = 2000)]
    clients: usize,
    /// Messages each session holds before the storm.
    #[arg(long, default_value_t = 5)]
    history: usize,
}

/// Runs the scenario.
pub(crate) async fn run(args: Args) -> Result<()> {
    anyhow::ensure!(
        args.target.proto == Proto::Seam,
        "the storm drives seam sessions"
    );
    let target = Arc::new(args.target.clone());
    let gate = Arc::new(Semaphore::new(200));
    let mut setups = Vec::new();
    for i in 0..args.clients {
        let (target, gate) = (Arc::clone(&target), Arc::clone(&gate));
        let history = args.history;
        setups.push(tokio::spawn(async move {
            let _permit = gate.acquire().await?;
            let mut c = target.connect(i).await?;
            target.hello(&mut c, Role::Customer, &format!("storm-{i}")).await?;
            c.tx.send(Message::text(r#"{"type":"open_session","id":"o"}"#)).await?;
            let (mut sid, mut epoch, mut last) = (String::new(), String::new(), 0);
            let mut acks = 0;
            loop {
                match serde_json::from_str::<ServerFrame>(&c.next_text().await?)? {
                    ServerFrame::Ack(a) if a.session.is_some() => {
                        let s = a.session.context("snapshot")?;
                        sid = s.session_id;
                        epoch = s.epoch;
                        for n in 0..history {
                            let msg = serde_json::json!({"type": "message", "id": format!("h{n}"), "session_id": sid, "text": "history"});
                            c.tx.send(Message::text(msg.to_string())).await?;
                        }
                        if history == 0 {
                            break;
                        }
                    }
                    ServerFrame::Ack(a) => {
                        last = last.max(a.seq.unwrap_or(0));
                        acks += 1;
                        if acks == history {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            // Resume from before the history, so every reconnect replays it.
            anyhow::Ok((sid, epoch, last.saturating_sub(history as u64)))
        }));
    }
    let mut sessions = Vec::new();
    for s in setups {
        sessions.push(s.await??);
    }
    // Every client reconnects at once (their old connections are gone).
    let latency = Arc::new(Mutex::new(report::histogram()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, (sid, epoch, after)) in sessions.into_iter().enumerate() {
        let (target, latency) = (Arc::clone(&target), Arc::clone(&latency));
        tasks.push(tokio::spawn(async move {
            let t0 = Instant::now();
            let mut c = target.connect(i).await?;
            target.hello(&mut c, Role::Customer, &format!("storm-{i}")).await?;
            let join = serde_json::json!({"type": "join", "id": "r", "session_id": sid, "after_seq": after, "epoch": epoch});
            c.tx.send(Message::text(join.to_string())).await?;
            loop {
                if let ServerFrame::Ack(a) = serde_json::from_str::<ServerFrame>(&c.next_text().await?)? {
                    anyhow::ensure!(matches!(a.resume, Some(ResumeOutcome::Complete { .. })), "incomplete resume");
                    break;
                }
            }
            report::record(&mut *latency.lock().await, t0.elapsed());
            anyhow::Ok(c)
        }));
    }
    let (mut ok, mut failed) = (0, 0);
    let mut held = Vec::new();
    for t in tasks {
        match t.await? {
            Ok(c) => {
                ok += 1;
                held.push(c);
            }
            Err(_) => failed += 1,
        }
    }
    let total = started.elapsed();
    let latency = latency.lock().await;
    println!(
        "storm {} clients reconnected and resumed in {:.2} s ({} failed); per client p50/p99/p99.9 {} ms",
        ok,
        total.as_secs_f64(),
        failed,
        report::percentiles(&latency)
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
    Ok(())
}
