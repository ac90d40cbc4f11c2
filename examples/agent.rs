//! An agent in a terminal: joins a session by id, sees the customer's
//! context and the whole history, and chats.
//!
//! ```text
//! SEAM_TOKEN=$(seam token --role agent --sub bob --name Bob) \
//!     cargo run --example agent -- <session-id>
//! ```
//! Type a line to send it; `/leave` leaves without ending; `/end` ends it.

use anyhow::{Context, Result};
use seam_client::{Client, ClientConfig, Event};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::main]
async fn main() -> Result<()> {
    let url = std::env::var("SEAM_URL").unwrap_or_else(|_| "ws://127.0.0.1:8080/ws".into());
    let token = std::env::var("SEAM_TOKEN")
        .context("set SEAM_TOKEN, e.g. SEAM_TOKEN=$(seam token --role agent --sub bob)")?;
    let sid = std::env::args()
        .nth(1)
        .context("usage: cargo run --example agent -- <session-id>")?;
    let (client, mut events) = Client::connect(ClientConfig::new(url, token)).await?;
    let session = client.join(&sid).await?;
    let customer = session
        .customer
        .name
        .as_deref()
        .unwrap_or(&session.customer.sub);
    println!(
        "joined {sid} with {customer}; context: {}",
        serde_json::to_string(&session.context)?
    );

    tokio::spawn(async move {
        while let Some(event) = events.next().await {
            match event {
                Event::Session(e) => println!("{e}"),
                Event::Typing {
                    from, active: true, ..
                } => println!("   ({} is typing...)", from.sub),
                Event::Disconnected { reason, .. } => println!("   (disconnected: {reason})"),
                _ => {}
            }
        }
    });

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        match line.trim() {
            "" => {}
            "/leave" => {
                client.leave(&sid).await?;
                break;
            }
            "/end" => {
                client.end_session(&sid, Some("resolved")).await?;
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
