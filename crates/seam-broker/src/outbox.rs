//! The queue in front of one connection's socket.
//!
//! Only the connection's task writes to the socket; everything else (the
//! connection's own command handling, session fan-out) pushes frames here.
//! The queue is bounded: a connection that reads too slowly is closed with
//! `slow_consumer` (4008) rather than growing memory without bound. Ephemeral
//! frames (typing) are simply dropped when the queue is full.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use seam_protocol::{CloseCode, ServerFrame};
use tokio::sync::Notify;

use crate::frame::Frame;

/// A request to close a connection: the code and the close frame's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Closing {
    /// The close code.
    pub code: CloseCode,
    /// The close frame's reason: the code's name, then detail.
    pub reason: String,
}

impl Closing {
    /// A closing with the code's reason and optional detail, cut to the
    /// 123 bytes a close frame can carry.
    pub(crate) fn new(code: CloseCode, detail: &str) -> Closing {
        let mut reason = code.reason().to_owned();
        if !detail.is_empty() {
            reason.push_str(": ");
            reason.push_str(detail);
        }
        if reason.len() > 123 {
            // Cut at a word, within the 123 bytes a close frame carries.
            let mut end = 120;
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            let cut = reason[..end].rfind(' ').unwrap_or(end);
            reason.truncate(cut);
            reason.push_str("...");
        }
        Closing { code, reason }
    }
}

/// One item for the writer.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// One text frame (already serialized; shared between recipients).
    Frame(Frame),
    /// Several frames that must stay together and in order (an ack and its replay).
    Batch(Vec<Frame>),
    /// A WebSocket ping.
    Ping,
}

/// A cloneable handle that queues frames for one connection.
#[derive(Debug, Clone)]
pub(crate) struct Outbox {
    conn_id: u64,
    name: Arc<str>,
    queue: Arc<Queue>,
}

/// The frames waiting for the writer. A `VecDeque` allocates nothing until
/// something is queued (an idle connection pays for none of it), and the
/// writer takes everything at once, so its buffer goes back to nothing.
#[derive(Debug)]
struct Queue {
    items: Mutex<VecDeque<Outbound>>,
    /// Wakes the writer: something is queued, or closing was asked.
    ready: Notify,
    capacity: usize,
    /// The writer has stopped: pushing is pointless.
    closed: AtomicBool,
    /// The first close request (later ones are ignored).
    closing: OnceLock<Closing>,
    /// Wakes the reader when closing is asked. A `Notify` per side rather
    /// than a `watch` channel, whose shared state is several times larger,
    /// and there is one per connection.
    close_requested: Notify,
}

impl Queue {
    fn items(&self) -> MutexGuard<'_, VecDeque<Outbound>> {
        // Only pushes and takes happen under this lock; a panic cannot leave
        // the deque inconsistent, so poisoning is ignored.
        self.items.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The writer's end of an outbox.
#[derive(Debug)]
pub(crate) struct Drain {
    queue: Arc<Queue>,
}

impl Drain {
    /// Waits until something is queued or closing was asked.
    pub(crate) async fn ready(&self) {
        while self.queue.items().is_empty() && self.queue.closing.get().is_none() {
            // A notification sent before this wait is kept as a permit.
            self.queue.ready.notified().await;
        }
    }

    /// How the connection was asked to close, once it was.
    pub(crate) fn closing(&self) -> Option<&Closing> {
        self.queue.closing.get()
    }

    /// Takes everything queued, oldest first.
    pub(crate) fn take(&self) -> VecDeque<Outbound> {
        std::mem::take(&mut *self.queue.items())
    }
}

impl Drop for Drain {
    fn drop(&mut self) {
        self.queue.closed.store(true, Ordering::Release);
    }
}

/// The reader's end of the close signal.
#[derive(Debug)]
pub(crate) struct CloseRequested {
    queue: Arc<Queue>,
}

impl CloseRequested {
    /// Resolves once closing was asked (at once if it already was).
    pub(crate) async fn wait(&self) {
        while self.queue.closing.get().is_none() {
            // A request made before this wait is kept as a permit.
            self.queue.close_requested.notified().await;
        }
    }
}

impl Outbox {
    /// Creates an outbox of `capacity` items, the writer's receiving end, and
    /// the reader's end of the close signal.
    pub(crate) fn new(
        conn_id: u64,
        name: &str,
        capacity: usize,
    ) -> (Outbox, Drain, CloseRequested) {
        let queue = Arc::new(Queue {
            items: Mutex::new(VecDeque::new()),
            ready: Notify::new(),
            capacity: capacity.max(1),
            closed: AtomicBool::new(false),
            closing: OnceLock::new(),
            close_requested: Notify::new(),
        });
        let outbox = Outbox {
            conn_id,
            name: Arc::from(name),
            queue: Arc::clone(&queue),
        };
        let close = CloseRequested {
            queue: Arc::clone(&queue),
        };
        (outbox, Drain { queue }, close)
    }

    /// The connection this outbox feeds.
    pub(crate) fn conn_id(&self) -> u64 {
        self.conn_id
    }

    /// The connection's public id (as in `welcome.connection_id`).
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Queues a stored or acknowledged frame. If the queue is full the
    /// connection is closed as a slow consumer. Returns false when the frame
    /// was not queued (full or closed): the caller should forget this outbox.
    pub(crate) fn push(&self, item: Outbound) -> bool {
        if self.queue.closed.load(Ordering::Acquire) {
            return false;
        }
        let mut items = self.queue.items();
        if items.len() >= self.queue.capacity {
            drop(items);
            self.close(CloseCode::SlowConsumer);
            return false;
        }
        items.push_back(item);
        drop(items);
        self.queue.ready.notify_one();
        true
    }

    /// Serializes and queues one frame.
    pub(crate) fn push_frame(&self, frame: &ServerFrame) -> bool {
        self.push(Outbound::Frame(Frame::encode(frame)))
    }

    /// Queues an ephemeral frame, dropping it if the queue is full.
    pub(crate) fn offer(&self, frame: Frame) {
        if self.queue.closed.load(Ordering::Acquire) {
            return;
        }
        let mut items = self.queue.items();
        if items.len() < self.queue.capacity {
            items.push_back(Outbound::Frame(frame));
            drop(items);
            self.queue.ready.notify_one();
        }
    }

    /// Asks the connection to close with `code`. The first request wins.
    pub(crate) fn close(&self, code: CloseCode) {
        self.close_with(code, "");
    }

    /// Asks the connection to close with `code` and a detail for the reason.
    pub(crate) fn close_with(&self, code: CloseCode, detail: &str) {
        if self.queue.closing.get().is_some() {
            return;
        }
        if self.queue.closing.set(Closing::new(code, detail)).is_ok() {
            self.queue.ready.notify_one();
            self.queue.close_requested.notify_one();
        }
    }
}
