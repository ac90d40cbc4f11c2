//! `seam-bench`: drives seam through its real protocol on loopback and
//! prints figures. Every run is bounded in time and count and targets only
//! 127.0.0.1.

/// The allocator `seam serve` runs with, so that the embedded brokers
/// (`durability`) measure what the binary does.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod durability;
mod embedded;
mod escalate;
mod fanout;
mod history;
mod idle;
mod proc;
mod recommend;
mod relay;
mod report;
mod storm;
mod wire;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Benchmarks for seam.
#[derive(Debug, Parser)]
#[command(about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// Acknowledged messages per second: in-memory store against SQLite
    /// (group commit on and off, fsync on and off), on an embedded broker.
    Durability(durability::Args),
    /// Memory per idle authenticated connection (seam, or a peer server).
    Idle(idle::Args),
    /// Sender→receiver relay in pairs: flat out or at a rate per sender.
    Relay(relay::Args),
    /// Escalation request → accepted latency, in many sessions at once.
    Escalate(escalate::Args),
    /// One session, many watchers.
    Fanout(fanout::Args),
    /// Everyone reconnects at once and resumes.
    Storm(storm::Args),
    /// Memory against history: starting on a large store, one long session.
    History(history::Args),
    /// The mode recommendation learning from simulated outcomes.
    Recommend(recommend::Args),
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().scenario {
        Scenario::Durability(args) => durability::run(args).await,
        Scenario::Idle(args) => idle::run(args).await,
        Scenario::Relay(args) => relay::run(args).await,
        Scenario::Escalate(args) => escalate::run(args).await,
        Scenario::Fanout(args) => fanout::run(args).await,
        Scenario::Storm(args) => storm::run(args).await,
        Scenario::History(args) => history::run(args).await,
        Scenario::Recommend(args) => recommend::run(args).await,
    }
}
