//! A customer in a terminal: opens (or gets back) their session and chats.
//!
//! ```text
//! SEAM_TOKEN=$(seam token --role customer --sub alice --issue-type billing) \
//!     cargo run --example customer
//! ```
//! Type a line to send it; `/end` ends the session.

use anyhow::{Context, Result};
use seam_client::{Client, ClientConfig, Event};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::main]
async fn main() -> Result<()> {
    let url = std::env::var("SEAM_URL").unwrap_or_else(|_| "ws://127.0.0.1:8080/ws".into());
    let token = std::env::var("SEAM_TOKEN")
        .context("set SEAM_TOKEN, e.g. SEAM_TOKEN=$(seam token --role customer --sub alice)")?;
    let (client, mut events) = Client::connect(ClientConfig::new(url, token)).await?;
    let session = client.open_session(None).await?;
    let sid = session.session_id;
    println!("session {sid}: give this id to the agent (cargo run --example agent -- {sid})");

    tokio::spawn(async move {
        while let Some(event) = events.next().await {
            match event {
                Event::Session(e) => println!("{e}"),
                Event::Typing {
                    from, active: true, ..
                } => println!("   ({} is typing...)", from.sub),
                Event::Disconnected {
                    reason,
                    will_reconnect,
                    ..
                } => {
                    println!("   (disconnected: {reason}; reconnecting: {will_reconnect})")
                }
                Event::Resumed { .. } => println!("   (reconnected)"),
                _ => {}
            }
        }
    });

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        match line.trim() {
            "" => {}
            "/end" => {
                client.end_session(&sid, Some("customer ended")).await?;
                break;
            }
            text => {
                if let Err(e) = client.send_message(&sid, text).await {
                    eprintln!("not sent: {e}");
                }
            }
        }
    }
    Ok(())
}
