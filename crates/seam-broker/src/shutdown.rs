//! The one way shutdown is signalled, and how the broker waits for every
//! connection to finish.
//!
//! [`Shutdown::trigger`] flips a watch channel that the background tasks
//! and connections still in their handshake select on; the broker then
//! closes every registered connection through its outbox (`Hub::close_all`),
//! so a connection's command loop does not wait on the signal beside every
//! frame. Each connection holds a [`ShutdownSignal`], which carries a clone
//! of an mpsc sender; when the last one is dropped, [`Shutdown::drained`]
//! resolves.

use std::time::Duration;

use tokio::sync::{mpsc, watch, Mutex};

/// The close frame's detail when the broker shuts down (code 1001).
pub(crate) const GOING_AWAY: &str = "broker shutting down; reconnect and resume";

/// Owned by the broker: triggers shutdown and waits for connections.
#[derive(Debug)]
pub(crate) struct Shutdown {
    notify: watch::Sender<bool>,
    alive: std::sync::Mutex<Option<mpsc::Sender<()>>>,
    drained: Mutex<mpsc::Receiver<()>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown::new()
    }
}

impl Shutdown {
    /// A shutdown not yet triggered.
    pub(crate) fn new() -> Shutdown {
        let (notify, _) = watch::channel(false);
        let (alive, drained) = mpsc::channel(1);
        Shutdown {
            notify,
            alive: std::sync::Mutex::new(Some(alive)),
            drained: Mutex::new(drained),
        }
    }

    /// A signal for one connection; shutdown waits until it is dropped.
    pub(crate) fn subscribe(&self) -> ShutdownSignal {
        ShutdownSignal {
            rx: self.notify.subscribe(),
            _alive: self.alive_sender(),
        }
    }

    /// Tells every connection to close.
    pub(crate) fn trigger(&self) {
        self.notify.send_replace(true);
    }

    /// Whether shutdown has been triggered.
    pub(crate) fn is_triggered(&self) -> bool {
        *self.notify.borrow()
    }

    /// Waits until every signal handed out has been dropped, or `limit`
    /// passes. Returns whether everything drained.
    pub(crate) async fn drained(&self, limit: Duration) -> bool {
        // Our own sender would keep the channel open; signals hold clones.
        drop(self.alive_guard().take());
        let mut drained = self.drained.lock().await;
        tokio::time::timeout(limit, drained.recv()).await.is_ok()
    }

    fn alive_sender(&self) -> Option<mpsc::Sender<()>> {
        self.alive_guard().clone()
    }

    fn alive_guard(&self) -> std::sync::MutexGuard<'_, Option<mpsc::Sender<()>>> {
        // The guarded value is a plain Option; a panic cannot corrupt it.
        self.alive.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A connection's view of shutdown; a clone is one more thing shutdown
/// waits for.
#[derive(Debug, Clone)]
pub(crate) struct ShutdownSignal {
    rx: watch::Receiver<bool>,
    _alive: Option<mpsc::Sender<()>>,
}

impl ShutdownSignal {
    /// Whether shutdown has been triggered.
    pub(crate) fn is_triggered(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves once shutdown has been triggered.
    pub(crate) async fn recv(&mut self) {
        // An error means the broker itself is gone: that is shutdown too.
        let _ = self.rx.wait_for(|triggered| *triggered).await;
    }
}
