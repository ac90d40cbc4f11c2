//! Escalation: customer/agent pairs in sessions; the customer asks for
//! voice, the agent accepts as soon as the request arrives, the customer
//! records request → `mode_changed` latency, hangs up, and asks again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use futures_util::SinkExt;
use seam_protocol::{EventBody, Mode, Role, ServerFrame};
use tokio::sync::{Mutex, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use crate::wire::{Proto, Target};
use crate::{proc, report};

/// Options of the escalation scenario.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    target: Target,
    /// Customer/agent pairs.
    #[arg(long, default_value_t = 200)]
    pairs: usize,
    /// Seconds to measure.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
}

/// Runs the scenario.
pub(crate) async fn run(args: Args) -> Result<()> {
    anyhow::ensure!(
        args.target.proto == Proto::Seam,
        "escalation drives seam sessions"
    );
    let target = Arc::new(args.target.clone());
    let run_id = std::process::id();
    let gate = Arc::new(Semaphore::new(100));
    let mut setups = Vec::new();
    for p in 0..args.pairs {
        let (target, gate) = (Arc::clone(&target), Arc::clone(&gate));
        setups.push(tokio::spawn(async move {
            let _permit = gate.acquire().await?;
            let mut customer = target.connect(2 * p).await?;
            let mut agent = target.connect(2 * p + 1).await?;
            target
                .hello(
                    &mut customer,
                    Role::Customer,
                    &format!("esc-c-{run_id}-{p}"),
                )
                .await?;
            target
                .hello(&mut agent, Role::Agent, &format!("esc-a-{run_id}-{p}"))
                .await?;
            let session = target.pair(&mut customer, &mut agent, "").await?;
            anyhow::Ok((customer, agent, session))
        }));
    }
    let mut pairs = Vec::new();
    for s in setups {
        pairs.push(s.await??);
    }
    let latency = Arc::new(Mutex::new(report::histogram()));
    let count = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let cpu_before = target.pid.map(proc::cpu_seconds).transpose()?;
    let mut tasks = Vec::new();
    for (mut customer, mut agent, session) in pairs {
        // The agent accepts every request it sees.
        let sid = session.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while let Ok(Ok(text)) = tokio::time::timeout_at(deadline.into(), agent.next_text()).await {
                if let Ok(ServerFrame::Event(e)) = serde_json::from_str::<ServerFrame>(&text) {
                    if let EventBody::ModeRequested { request, .. } = e.body {
                        n += 1;
                        let answer = serde_json::json!({"type": "answer_mode", "id": format!("a{n}"), "session_id": sid, "request_id": request.request_id, "accept": true});
                        if agent.tx.send(Message::text(answer.to_string())).await.is_err() {
                            break;
                        }
                    }
                }
            }
        }));
        let (latency, count) = (Arc::clone(&latency), Arc::clone(&count));
        tasks.push(tokio::spawn(async move {
            let mut local = report::histogram();
            let mut n = 0u64;
            'outer: while Instant::now() < deadline {
                n += 1;
                let asked = Instant::now();
                let request = serde_json::json!({"type": "request_mode", "id": format!("r{n}"), "session_id": session, "mode": "voice"});
                if customer.tx.send(Message::text(request.to_string())).await.is_err() {
                    break;
                }
                let mut wanted = Mode::Voice;
                loop {
                    let Ok(Ok(text)) = tokio::time::timeout_at(deadline.into(), customer.next_text()).await else { break 'outer };
                    let Ok(ServerFrame::Event(e)) = serde_json::from_str::<ServerFrame>(&text) else { continue };
                    let EventBody::ModeChanged { mode, .. } = e.body else { continue };
                    if mode != wanted {
                        continue;
                    }
                    if wanted == Mode::Chat {
                        break;
                    }
                    report::record(&mut local, asked.elapsed());
                    count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    wanted = Mode::Chat;
                    let hangup = serde_json::json!({"type": "set_mode", "id": format!("h{n}"), "session_id": session, "mode": "chat"});
                    if customer.tx.send(Message::text(hangup.to_string())).await.is_err() {
                        break 'outer;
                    }
                }
            }
            latency.lock().await.add(&local).ok();
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let cpu_after = target.pid.map(proc::cpu_seconds).transpose()?;
    let n = count.load(std::sync::atomic::Ordering::Relaxed);
    let cpu = match (cpu_before, cpu_after) {
        (Some(b), Some(a)) if n > 0 => format!(
            "{:.1} µs server CPU per escalation and hang-up",
            (a - b) / n as f64 * 1e6
        ),
        _ => String::new(),
    };
    println!(
        "escalate {} pairs: {} escalations ({:.0}/s), request→accepted p50/p99/p99.9 {} ms {cpu}",
        args.pairs,
        n,
        n as f64 / args.seconds as f64,
        report::percentiles(&*latency.lock().await)
    );
    Ok(())
}
