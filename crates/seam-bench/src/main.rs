//! `seam-bench`: drives seam through its real protocol on loopback and
//! prints figures. Every run is bounded in time and count and targets only
//! 127.0.0.1.

mod durability;
mod report;

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
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().scenario {
        Scenario::Durability(args) => durability::run(args).await,
    }
}
