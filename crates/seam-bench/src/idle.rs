//! Memory per idle connection: open N connections (authenticated, for
//! seam), wait, and divide the server's resident-set growth by N.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use seam_protocol::Role;
use tokio::sync::Semaphore;

use crate::proc;
use crate::wire::Target;

/// Options of the idle scenario.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: Target,
    /// Connections to hold.
    #[arg(long, default_value_t = 1000)]
    conns: usize,
    /// Connections being opened at once.
    #[arg(long, default_value_t = 200)]
    parallel: usize,
    /// Seconds to let the server settle before measuring.
    #[arg(long, default_value_t = 2)]
    settle: u64,
    /// A name for this server in the output.
    #[arg(long, default_value = "server")]
    label: String,
}

/// Runs the scenario; prints a line and a JSON record.
pub async fn run(args: Args) -> Result<()> {
    let pid = args
        .target
        .pid
        .context("--pid is needed to read the server's memory")?;
    let before = proc::rss_bytes(pid)?;
    let target = Arc::new(args.target.clone());
    let gate = Arc::new(Semaphore::new(args.parallel));
    let mut tasks = Vec::with_capacity(args.conns);
    for i in 0..args.conns {
        let target = Arc::clone(&target);
        let permit = Arc::clone(&gate).acquire_owned().await?;
        tasks.push(tokio::spawn(async move {
            let mut conn = target.connect(i).await?;
            target
                .hello(&mut conn, Role::Customer, &format!("idle-{i}"))
                .await?;
            drop(permit);
            anyhow::Ok(conn)
        }));
    }
    let mut conns = Vec::with_capacity(args.conns);
    for task in tasks {
        conns.push(task.await??);
    }
    tokio::time::sleep(Duration::from_secs(args.settle)).await;
    let after = proc::rss_bytes(pid)?;
    let per_conn = after.saturating_sub(before) as f64 / args.conns as f64;
    println!(
        "idle {:<28} {:>6} conns  RSS {:>7.1} MB -> {:>7.1} MB  {:>6.2} KiB/conn  (1M conns: {:.1} GB)",
        args.label,
        args.conns,
        before as f64 / 1e6,
        after as f64 / 1e6,
        per_conn / 1024.0,
        per_conn * 1e6 / 1e9
    );
    println!(
        "{}",
        serde_json::json!({"scenario": "idle", "server": args.label, "conns": args.conns, "rss_before": before, "rss_after": after, "bytes_per_conn": per_conn})
    );
    drop(conns);
    Ok(())
}
