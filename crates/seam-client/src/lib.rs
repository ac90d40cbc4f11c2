//! An async Rust client for seam.
//!
//! [`Client::connect`] authenticates, then a background task owns the
//! WebSocket: it reconnects with exponential backoff and jitter, re-attaches
//! every session it had joined from the last sequence number it saw (so
//! missed events arrive in order), resends commands that were never
//! acknowledged under their original ids (so nothing is applied twice),
//! says an agent's or bot's last routing status again (a broker that
//! restarted starts them `away`), and drops duplicate events. [`Client`]'s methods resolve on the broker's ack;
//! [`Events`] yields everything else, typed.
//!
//! ```no_run
//! # async fn demo() -> Result<(), seam_client::ClientError> {
//! use seam_client::{Client, ClientConfig, Event};
//! let (client, mut events) = Client::connect(ClientConfig::new("ws://127.0.0.1:8080/ws", "<jwt>")).await?;
//! let session = client.open_session(None).await?;
//! client.send_message(&session.session_id, "hello").await?;
//! while let Some(event) = events.next().await {
//!     if let Event::Session(e) = event { println!("{:?}", e.body); }
//! }
//! # Ok(()) }
//! ```

mod admin;
mod client;
mod config;
mod driver;
mod error;
mod event;
mod tls;

pub use admin::{AdminClient, AdminError, SessionQuery};
pub use client::Client;
pub use config::{Backoff, ClientConfig, TokenSource};
pub use error::ClientError;
pub use event::{Event, Events};
pub use seam_protocol as protocol;
