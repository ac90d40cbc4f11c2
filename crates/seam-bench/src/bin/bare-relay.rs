//! The ceiling: a bare tokio-tungstenite room relay with no session logic,
//! as described in shared/PEERS.md. The first frame `{"join": "<room>"}`
//! joins a room; every later text frame goes to the room's other members.
//! Rooms sit in a `Mutex<HashMap>`; each socket has one writer task fed by
//! an unbounded channel.
//!
//! `bare-relay [ADDR] [--default-buffers]`: by default a 4 KiB read buffer
//! and no write buffer; `--default-buffers` keeps tungstenite's defaults.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

type Rooms = Arc<Mutex<HashMap<String, Vec<(u64, mpsc::UnboundedSender<Message>)>>>>;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:9002".into());
    let config = if args.iter().any(|a| a == "--default-buffers") {
        WebSocketConfig::default()
    } else {
        WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0)
    };
    let listener = TcpListener::bind(&addr).await?;
    println!("bare-relay listening on {}", listener.local_addr()?);
    let rooms: Rooms = Arc::default();
    let ids = Arc::new(AtomicU64::new(0));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (rooms, id) = (Arc::clone(&rooms), ids.fetch_add(1, Ordering::Relaxed));
        tokio::spawn(async move {
            let Ok(ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await
            else {
                return;
            };
            let (mut sink, mut stream) = ws.split();
            let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
            let writer = tokio::spawn(async move {
                while let Some(m) = rx.recv().await {
                    if sink.send(m).await.is_err() {
                        break;
                    }
                }
            });
            let mut room: Option<String> = None;
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                match &room {
                    None => {
                        let name = serde_json::from_str::<serde_json::Value>(&text)
                            .ok()
                            .and_then(|v| v.get("join")?.as_str().map(str::to_owned))
                            .unwrap_or_default();
                        rooms
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .entry(name.clone())
                            .or_default()
                            .push((id, tx.clone()));
                        room = Some(name);
                    }
                    Some(name) => {
                        let members = rooms.lock().unwrap_or_else(|p| p.into_inner());
                        for (member, out) in members.get(name).into_iter().flatten() {
                            if *member != id {
                                let _ = out.send(Message::Text(text.clone()));
                            }
                        }
                    }
                }
            }
            if let Some(name) = room {
                if let Some(members) = rooms
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get_mut(&name)
                {
                    members.retain(|(m, _)| *m != id);
                }
            }
            writer.abort();
        });
    }
}
