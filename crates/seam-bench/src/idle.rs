//! Memory per idle connection: open N connections (authenticated, for
//! seam), wait, and divide the server's resident-set growth by N. With
//! `--processes P` the connections are held by P processes (one process may
//! open at most 20,000 files here): this one and P-1 helpers it starts.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use seam_protocol::Role;
use tokio::io::{AsyncBufReadExt, AsyncReadExt};
use tokio::sync::Semaphore;

use crate::proc;
use crate::wire::{Conn, Proto, Target};

/// Options of the idle scenario.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    target: Target,
    /// Connections to hold (in all processes together).
    #[arg(long, default_value_t = 1000)]
    conns: usize,
    /// Connections being opened at once, per process.
    #[arg(long, default_value_t = 200)]
    parallel: usize,
    /// Seconds to let the server settle before measuring.
    #[arg(long, default_value_t = 2)]
    settle: u64,
    /// A name for this server in the output.
    #[arg(long, default_value = "server")]
    label: String,
    /// Processes holding the connections.
    #[arg(long, default_value_t = 1)]
    processes: usize,
    /// Internal: run as a helper holding `conns` connections numbered from
    /// `offset`, until standard input closes.
    #[arg(long, hide = true)]
    child: bool,
    /// Internal: the helper's first connection number.
    #[arg(long, hide = true, default_value_t = 0)]
    offset: usize,
}

/// Runs the scenario; prints a line and a JSON record.
pub(crate) async fn run(args: Args) -> Result<()> {
    if args.child {
        let conns = open(&args.target, args.offset, args.conns, args.parallel).await?;
        println!("READY");
        let mut rest = Vec::new();
        let _ = tokio::io::stdin().read_to_end(&mut rest).await;
        drop(conns);
        return Ok(());
    }
    let pid = args
        .target
        .pid
        .context("--pid is needed to read the server's memory")?;
    let before = proc::rss_bytes(pid)?;
    let processes = args.processes.clamp(1, args.conns.max(1));
    let share = args.conns.div_ceil(processes);
    let mut helpers = Vec::new();
    let mut offset = share;
    while offset < args.conns {
        let count = share.min(args.conns - offset);
        helpers.push(helper(&args, offset, count)?);
        offset += count;
    }
    let conns = open(&args.target, 0, share.min(args.conns), args.parallel).await?;
    for helper in &mut helpers {
        wait_ready(helper).await?;
    }
    tokio::time::sleep(Duration::from_secs(args.settle)).await;
    let after = proc::rss_bytes(pid)?;
    let per_conn = after.saturating_sub(before) as f64 / args.conns as f64;
    println!(
        "idle {:<28} {:>6} conns in {} process(es)  RSS {:>7.1} MB -> {:>7.1} MB  {:>6.2} KiB/conn  (1M conns: {:.1} GB)",
        args.label,
        args.conns,
        1 + helpers.len(),
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
    for mut helper in helpers {
        drop(helper.stdin.take());
        let _ = helper.wait().await;
    }
    Ok(())
}

/// Opens `count` authenticated connections numbered from `offset`.
async fn open(target: &Target, offset: usize, count: usize, parallel: usize) -> Result<Vec<Conn>> {
    let target = Arc::new(target.clone());
    let gate = Arc::new(Semaphore::new(parallel.max(1)));
    let mut tasks = Vec::with_capacity(count);
    for i in offset..offset + count {
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
    let mut conns = Vec::with_capacity(count);
    for task in tasks {
        conns.push(task.await??);
    }
    Ok(conns)
}

/// Starts a helper process holding `count` connections from `offset`.
fn helper(args: &Args, offset: usize, count: usize) -> Result<tokio::process::Child> {
    let t = &args.target;
    let proto = match t.proto {
        Proto::Seam => "seam",
        Proto::Plain => "plain",
        Proto::Socketio => "socketio",
    };
    let child = tokio::process::Command::new(std::env::current_exe()?)
        .args([
            "idle",
            "--child",
            "--addr",
            &t.addr.to_string(),
            "--proto",
            proto,
        ])
        .args([
            "--secret",
            &t.secret,
            "--source-addrs",
            &t.source_addrs.to_string(),
        ])
        .args([
            "--conns",
            &count.to_string(),
            "--offset",
            &offset.to_string(),
        ])
        .args(["--parallel", &args.parallel.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    Ok(child)
}

/// Waits for a helper's `READY`.
async fn wait_ready(helper: &mut tokio::process::Child) -> Result<()> {
    let stdout = helper.stdout.take().context("helper stdout")?;
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    while let Some(line) = lines.next_line().await? {
        if line == "READY" {
            return Ok(());
        }
    }
    anyhow::bail!("a helper process exited before it was ready")
}
