//! The queue in front of one connection's socket writer.
//!
//! Nothing but the writer task touches the socket; everything else (the
//! connection's own command handling, session fan-out) pushes frames here.
//! The queue is bounded: a connection that reads too slowly is closed with
//! `slow_consumer` (4008) rather than growing memory without bound. Ephemeral
//! frames (typing) are simply dropped when the queue is full.

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use seam_protocol::{CloseCode, ServerFrame};
use tokio::sync::{mpsc, watch};

/// A request to close a connection: the code and the close frame's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    /// The close code.
    pub code: CloseCode,
    /// The close frame's reason: the code's name, then detail.
    pub reason: String,
}

impl Closing {
    /// A closing with the code's reason and optional detail, cut to the
    /// 123 bytes a close frame can carry.
    pub fn new(code: CloseCode, detail: &str) -> Closing {
        let mut reason = code.reason().to_owned();
        if !detail.is_empty() {
            reason.push_str(": ");
            reason.push_str(detail);
        }
        while reason.len() > 123 {
            reason.pop();
        }
        Closing { code, reason }
    }
}

/// One item for the writer.
#[derive(Debug)]
pub enum Outbound {
    /// One text frame (already serialized; shared between recipients).
    Frame(Utf8Bytes),
    /// Several frames that must stay together and in order (an ack and its replay).
    Batch(Vec<Utf8Bytes>),
    /// A WebSocket ping.
    Ping,
}

/// A cloneable handle that queues frames for one connection.
#[derive(Debug, Clone)]
pub struct Outbox {
    conn_id: u64,
    name: Arc<str>,
    tx: mpsc::Sender<Outbound>,
    close: Arc<watch::Sender<Option<Closing>>>,
}

impl Outbox {
    /// Creates an outbox of `capacity` items, the writer's receiving end, and
    /// the close signal the writer and the reader watch.
    pub fn new(
        conn_id: u64,
        name: &str,
        capacity: usize,
    ) -> (
        Outbox,
        mpsc::Receiver<Outbound>,
        watch::Receiver<Option<Closing>>,
    ) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let (close, close_rx) = watch::channel(None);
        let outbox = Outbox {
            conn_id,
            name: Arc::from(name),
            tx,
            close: Arc::new(close),
        };
        (outbox, rx, close_rx)
    }

    /// The connection this outbox feeds.
    pub fn conn_id(&self) -> u64 {
        self.conn_id
    }

    /// The connection's public id (as in `welcome.connection_id`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Queues a stored or acknowledged frame. If the queue is full the
    /// connection is closed as a slow consumer. Returns false when the frame
    /// was not queued (full or closed): the caller should forget this outbox.
    pub fn push(&self, item: Outbound) -> bool {
        match self.tx.try_send(item) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.close(CloseCode::SlowConsumer);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Serializes and queues one frame.
    pub fn push_frame(&self, frame: &ServerFrame) -> bool {
        self.push(Outbound::Frame(Utf8Bytes::from(frame.to_json())))
    }

    /// Queues an ephemeral frame, dropping it if the queue is full.
    pub fn offer(&self, frame: Utf8Bytes) {
        let _ = self.tx.try_send(Outbound::Frame(frame));
    }

    /// Asks the connection to close with `code`. The first request wins.
    pub fn close(&self, code: CloseCode) {
        self.close_with(code, "");
    }

    /// Asks the connection to close with `code` and a detail for the reason.
    pub fn close_with(&self, code: CloseCode, detail: &str) {
        self.close.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(Closing::new(code, detail));
                true
            } else {
                false
            }
        });
    }
}
