//! Speaking each server's protocol for the relay workload: seam itself, a
//! plain room relay (Node `ws`, the bare Rust relay) and Socket.IO.
//!
//! The workload: a sender and a receiver share a room (for seam: a customer
//! and an agent share a session); every text the sender sends is delivered
//! to the receiver.

use std::net::SocketAddr;

use anyhow::{bail, Context, Result};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use seam_broker::{mint_hs256, Claims};
use seam_protocol::{EventBody, Role, ServerFrame};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// Which protocol a server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Proto {
    /// seam v1: hello, open_session / join, message.
    Seam,
    /// `{"join": room}` then raw text frames relayed to the room.
    Plain,
    /// Socket.IO v4 over the websocket transport: `join` and `msg` events.
    Socketio,
}

/// Where and how to connect.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Target {
    /// The server's address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Its protocol.
    #[arg(long, value_enum, default_value_t = Proto::Seam)]
    pub proto: Proto,
    /// HS256 secret for minting seam tokens.
    #[arg(
        long,
        env = "SEAM_AUTH_HS256_SECRET",
        default_value = "seam-bench-secret-0123456789abcdef"
    )]
    pub secret: String,
    /// Spread client sockets over 127.0.0.1 .. 127.0.0.N source addresses.
    #[arg(long, default_value_t = 8)]
    pub source_addrs: u8,
    /// The server's process id, to read its memory and CPU from /proc.
    #[arg(long)]
    pub pid: Option<u32>,
}

type Ws = WebSocketStream<TcpStream>;

/// One connection, split so a reader task can run beside the writer.
pub(crate) struct Conn {
    /// The sending half.
    pub tx: SplitSink<Ws, Message>,
    /// The receiving half.
    pub rx: SplitStream<Ws>,
    proto: Proto,
}

impl Target {
    fn path(&self) -> &'static str {
        match self.proto {
            Proto::Seam => "/ws",
            Proto::Plain => "/",
            Proto::Socketio => "/socket.io/?EIO=4&transport=websocket",
        }
    }

    /// Opens connection number `i` from source address 127.0.0.(1 + i % N).
    pub(crate) async fn connect(&self, i: usize) -> Result<Conn> {
        self.connect_to(self.addr, i).await
    }

    /// Connection number `i` to `addr` (another node of the same server).
    pub(crate) async fn connect_to(&self, addr: SocketAddr, i: usize) -> Result<Conn> {
        let source =
            std::net::Ipv4Addr::new(127, 0, 0, 1 + (i % self.source_addrs.max(1) as usize) as u8);
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::from((source, 0)))?;
        let stream = socket
            .connect(addr)
            .await
            .with_context(|| format!("connect {addr}"))?;
        stream.set_nodelay(true)?;
        let url = format!("ws://{addr}{}", self.path());
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0);
        let (ws, _) =
            tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await?;
        let (tx, rx) = ws.split();
        let mut conn = Conn {
            tx,
            rx,
            proto: self.proto,
        };
        if self.proto == Proto::Socketio {
            // Engine.IO open packet, then connect to the default namespace.
            conn.next_text().await?;
            conn.tx.send(Message::text("40")).await?;
            while !conn.next_text().await?.starts_with("40") {}
        }
        Ok(conn)
    }

    /// Authenticates as `role`/`sub` (seam only; others have no auth).
    pub(crate) async fn hello(&self, conn: &mut Conn, role: Role, sub: &str) -> Result<()> {
        if self.proto != Proto::Seam {
            return Ok(());
        }
        let claims = Claims::new(sub, role, 24 * 3600);
        let token = mint_hs256(&self.secret, &claims)?;
        let hello = serde_json::json!({"type": "hello", "versions": [1], "token": token});
        conn.tx.send(Message::text(hello.to_string())).await?;
        loop {
            match serde_json::from_str::<ServerFrame>(&conn.next_text().await?)? {
                ServerFrame::Welcome(_) => return Ok(()),
                ServerFrame::Error(e) => bail!("refused: {}", e.message),
                _ => continue,
            }
        }
    }

    /// Puts a sender and a receiver in one room; returns the room (for seam,
    /// the session id the sender's messages go to).
    pub(crate) async fn pair(
        &self,
        sender: &mut Conn,
        receiver: &mut Conn,
        room: &str,
    ) -> Result<String> {
        match self.proto {
            Proto::Seam => {
                sender
                    .tx
                    .send(Message::text(r#"{"type":"open_session","id":"open"}"#))
                    .await?;
                let sid = loop {
                    if let ServerFrame::Ack(ack) = serde_json::from_str(&sender.next_text().await?)?
                    {
                        break ack.session_id.context("no session id")?;
                    }
                };
                let join = serde_json::json!({"type": "join", "id": "join", "session_id": sid});
                receiver.tx.send(Message::text(join.to_string())).await?;
                loop {
                    if let ServerFrame::Ack(_) = serde_json::from_str(&receiver.next_text().await?)?
                    {
                        break;
                    }
                }
                Ok(sid)
            }
            Proto::Plain => {
                let join = serde_json::json!({ "join": room }).to_string();
                sender.tx.send(Message::text(join.clone())).await?;
                receiver.tx.send(Message::text(join)).await?;
                Ok(room.to_owned())
            }
            Proto::Socketio => {
                let join = format!(r#"42["join","{room}"]"#);
                sender.tx.send(Message::text(join.clone())).await?;
                receiver.tx.send(Message::text(join)).await?;
                Ok(room.to_owned())
            }
        }
    }
}

/// The sending half of a connection, able to send relay payloads.
pub(crate) struct SendHalf<'a> {
    proto: Proto,
    tx: &'a mut SplitSink<Ws, Message>,
    next_id: u64,
}

impl<'a> SendHalf<'a> {
    /// Wraps a sink.
    pub(crate) fn new(proto: Proto, tx: &'a mut SplitSink<Ws, Message>) -> SendHalf<'a> {
        SendHalf {
            proto,
            tx,
            next_id: 0,
        }
    }

    /// Sends one payload into `room`.
    pub(crate) async fn send(&mut self, room: &str, payload: &str) -> Result<()> {
        self.next_id += 1;
        self.tx
            .send(Message::text(frame(
                self.proto,
                room,
                payload,
                self.next_id,
            )))
            .await?;
        Ok(())
    }
}

/// The frame that carries `payload` into `room`.
fn frame(proto: Proto, room: &str, payload: &str, id: u64) -> String {
    match proto {
        Proto::Seam => serde_json::json!({"type": "message", "id": format!("m{id}"), "session_id": room, "text": payload}).to_string(),
        Proto::Plain => payload.to_owned(),
        Proto::Socketio => format!("42{}", serde_json::json!(["msg", payload])),
    }
}

impl Conn {
    /// The next text frame (pings are answered by tungstenite; Socket.IO
    /// pings here).
    pub(crate) async fn next_text(&mut self) -> Result<String> {
        loop {
            match self.rx.next().await.context("closed")?? {
                Message::Text(t) => {
                    if self.proto == Proto::Socketio && t.as_str() == "2" {
                        self.tx.send(Message::text("3")).await?;
                        continue;
                    }
                    return Ok(t.to_string());
                }
                Message::Close(_) => bail!("closed by the server"),
                _ => continue,
            }
        }
    }
}

/// The relayed payload in a received frame, if it is one.
pub(crate) fn delivered(proto: Proto, text: &str) -> Option<String> {
    match proto {
        Proto::Seam => match serde_json::from_str::<ServerFrame>(text).ok()? {
            ServerFrame::Event(e) => match e.body {
                EventBody::Message { text, .. } => Some(text),
                _ => None,
            },
            _ => None,
        },
        Proto::Plain => Some(text.to_owned()),
        Proto::Socketio => {
            let body = text.strip_prefix("42")?;
            let value: serde_json::Value = serde_json::from_str(body).ok()?;
            (value.get(0)? == "msg").then(|| value.get(1)?.as_str().map(str::to_owned))?
        }
    }
}
