//! Accepting TCP connections and serving HTTP/1 on them, with every socket
//! accounted for from the moment it is accepted.
//!
//! Nobody without a token may stall or exhaust the broker: every accepted
//! socket takes a connection permit (and, when configured, a slot of its
//! IP address) until it closes, whether it ever finishes a request or not.
//! A socket over a limit is answered `503` at once and closed. A connection
//! must send complete request headers within `header_timeout_ms` and be
//! answered within `request_timeout_ms` (see `http`). On shutdown the loop
//! stops accepting, asks every connection to finish, and cuts those still
//! open after `shutdown_drain_ms`. When a limit bites, it is logged, at
//! most once per interval with a count of what was not logged.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tower_service::Service;

use crate::api::ApiError;
use crate::proxy::TrustedProxies;
use crate::shutdown::ShutdownSignal;
use crate::throttle::Throttled;
use crate::tls::Terminator;

/// Held by a connection from accept to close (and by the WebSocket it
/// becomes): its permit and its IP address's slot. Behind a trusted proxy
/// each request holds one of its own, for the client the proxy names, that
/// keeps the socket's slot alive.
#[derive(Debug)]
pub(crate) struct ConnectionSlot {
    _permit: Option<OwnedSemaphorePermit>,
    _socket: Option<Arc<ConnectionSlot>>,
    ip: Option<(IpAddr, Arc<PerIp>)>,
    /// The socket comes from a trusted proxy: its requests are counted by
    /// the client address they carry.
    proxied: bool,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        if let Some((ip, per_ip)) = self.ip.take() {
            per_ip.release(ip);
        }
    }
}

/// Connections per IP address.
#[derive(Debug, Default)]
pub(crate) struct PerIp {
    counts: Mutex<HashMap<IpAddr, usize>>,
}

impl PerIp {
    fn counts(&self) -> MutexGuard<'_, HashMap<IpAddr, usize>> {
        // Plain counters; a panic cannot leave them half updated.
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn take(&self, ip: IpAddr, limit: usize) -> bool {
        let mut counts = self.counts();
        let count = counts.entry(ip).or_insert(0);
        if *count >= limit {
            return false;
        }
        *count += 1;
        true
    }

    /// Takes a slot for `ip`, or says (throttled) that it is over its share.
    fn take_or_warn(&self, ip: IpAddr, limit: usize, full: &Throttled) -> bool {
        let taken = self.take(ip, limit);
        if !taken {
            full.warn(&format_args!("{limit} connections from {ip}"));
        }
        taken
    }

    fn release(&self, ip: IpAddr) {
        let mut counts = self.counts();
        if let Some(count) = counts.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&ip);
            }
        }
    }
}

/// The limits the accept loop enforces.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    /// Concurrent connections (already capped below the open-file limit).
    pub(crate) max_connections: usize,
    /// Concurrent connections per IP; 0 for none.
    pub(crate) per_ip: usize,
    /// Proxies whose `X-Forwarded-For` names the client for `per_ip`.
    pub(crate) trusted_proxies: Arc<TrustedProxies>,
    /// Complete request headers within this.
    pub(crate) header_timeout: Duration,
    /// Connections still open this long after shutdown are cut.
    pub(crate) drain: Duration,
    /// TLS termination, when configured.
    pub(crate) tls: Option<Terminator>,
}

/// `max_connections`, lowered to leave files for the store and for the
/// `503` answers when the process's open-file limit is lower.
pub(crate) fn cap_to_open_files(max_connections: usize) -> usize {
    const RESERVED: usize = 64;
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
            line.split_whitespace().nth(3)?.parse::<usize>().ok()
        });
    match soft {
        Some(soft) if soft.saturating_sub(RESERVED) < max_connections => {
            let capped = soft.saturating_sub(RESERVED).max(1);
            tracing::info!(
                configured = max_connections,
                open_files = soft,
                capped,
                "limits.max_connections lowered below the open-file limit"
            );
            capped
        }
        _ => max_connections,
    }
}

/// What a client over its address's share is told.
const OVER_SHARE: &str = "too many connections from your address; retry later";

/// The body of the `503` a socket over a limit gets.
fn refusal(code: &str, message: &str) -> Vec<u8> {
    let body = serde_json::json!({ "error": { "code": code, "message": message } }).to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Per-request accounting for sockets from a trusted proxy.
#[derive(Debug, Clone)]
struct Forwarded {
    peer: IpAddr,
    per_ip: Arc<PerIp>,
    limit: usize,
    trusted: Arc<TrustedProxies>,
    ip_full: Arc<Throttled>,
}

impl Forwarded {
    /// A slot for the client a proxied request names (the proxy itself when
    /// it names none), or the `503` it gets when that client is over its share.
    fn admit(
        &self,
        socket: &Arc<ConnectionSlot>,
        headers: &axum::http::HeaderMap,
    ) -> Result<Arc<ConnectionSlot>, ApiError> {
        let client = self.trusted.client(headers).unwrap_or(self.peer);
        if !self.per_ip.take_or_warn(client, self.limit, &self.ip_full) {
            return Err(ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "too_many_connections",
                OVER_SHARE,
            ));
        }
        Ok(Arc::new(ConnectionSlot {
            _permit: None,
            _socket: Some(Arc::clone(socket)),
            ip: Some((client, Arc::clone(&self.per_ip))),
            proxied: false,
        }))
    }
}

/// Serves `router` on `listener` until shutdown, then drains.
pub(crate) fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    mut shutdown: ShutdownSignal,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let permits = Arc::new(Semaphore::new(limits.max_connections));
        let per_ip = Arc::new(PerIp::default());
        let full = Throttled::new("connection limit reached", Duration::from_secs(10));
        let ip_full = Arc::new(Throttled::new(
            "per-IP connection limit reached",
            Duration::from_secs(10),
        ));
        let accept_failed = Throttled::new("accept failed", Duration::from_secs(10));
        let mut connections = JoinSet::new();
        let mut backoff = Duration::from_millis(1);
        loop {
            // Reap finished connection tasks so the set stays small.
            while connections.try_join_next().is_some() {}
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = shutdown.recv() => break,
            };
            let (tcp, peer) = match accepted {
                Ok(accepted) => {
                    backoff = Duration::from_millis(1);
                    accepted
                }
                Err(e) => {
                    // Out of files, or the peer gave up: wait, do not spin.
                    accept_failed.warn(&e);
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.recv() => break,
                    }
                    backoff = (backoff * 2).min(Duration::from_millis(500));
                    continue;
                }
            };
            let Some(slot) = admit(&tcp, peer, &permits, &per_ip, &limits, &full, &ip_full) else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            // Only a trusted proxy's socket counts its requests one by one.
            let forwarded = slot.proxied.then(|| Forwarded {
                peer: peer.ip(),
                per_ip: Arc::clone(&per_ip),
                limit: limits.per_ip,
                trusted: Arc::clone(&limits.trusted_proxies),
                ip_full: Arc::clone(&ip_full),
            });
            let router = router.clone();
            let header_timeout = limits.header_timeout;
            let stop = shutdown.clone();
            match &limits.tls {
                None => {
                    connections.spawn(serve_connection(
                        tcp,
                        router,
                        slot,
                        forwarded,
                        header_timeout,
                        stop,
                    ));
                }
                Some(tls) => {
                    let acceptor = tls.acceptor().clone();
                    connections.spawn(async move {
                        // The handshake is held to the header deadline too.
                        match tokio::time::timeout(header_timeout, acceptor.accept(tcp)).await {
                            Ok(Ok(stream)) => {
                                serve_connection(
                                    stream,
                                    router,
                                    slot,
                                    forwarded,
                                    header_timeout,
                                    stop,
                                )
                                .await;
                            }
                            Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                            Err(_) => tracing::debug!("TLS handshake not finished in time"),
                        }
                    });
                }
            }
        }
        drop(listener);
        // Every connection was told (by the same signal) to finish; those
        // still open after the drain deadline are cut.
        let drained = tokio::time::timeout(limits.drain, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                open = connections.len(),
                "connections still open after the drain deadline were cut"
            );
            connections.abort_all();
            while connections.join_next().await.is_some() {}
        }
    })
}

/// Takes a permit and an IP slot for a new socket, or answers it `503`.
fn admit(
    tcp: &TcpStream,
    peer: SocketAddr,
    permits: &Arc<Semaphore>,
    per_ip: &Arc<PerIp>,
    limits: &Limits,
    full: &Throttled,
    ip_full: &Throttled,
) -> Option<ConnectionSlot> {
    let Ok(permit) = Arc::clone(permits).try_acquire_owned() else {
        full.warn(&format_args!("{} connections", limits.max_connections));
        let _ = tcp.try_write(&refusal(
            "too_many_connections",
            "connection limit reached; retry later",
        ));
        return None;
    };
    let ip = peer.ip();
    if limits.per_ip > 0 && limits.trusted_proxies.contains(ip) {
        // Counted per request, by the client the proxy names.
        return Some(ConnectionSlot {
            _permit: Some(permit),
            _socket: None,
            ip: None,
            proxied: true,
        });
    }
    if limits.per_ip > 0 {
        if !per_ip.take_or_warn(ip, limits.per_ip, ip_full) {
            let _ = tcp.try_write(&refusal("too_many_connections", OVER_SHARE));
            return None;
        }
        return Some(ConnectionSlot {
            _permit: Some(permit),
            _socket: None,
            ip: Some((ip, Arc::clone(per_ip))),
            proxied: false,
        });
    }
    Some(ConnectionSlot {
        _permit: Some(permit),
        _socket: None,
        ip: None,
        proxied: false,
    })
}

/// Serves HTTP/1 on one socket. Each request carries the connection's slot
/// (a WebSocket upgrade keeps it for as long as it lives).
async fn serve_connection<S>(
    io: S,
    router: axum::Router,
    slot: ConnectionSlot,
    forwarded: Option<Forwarded>,
    header_timeout: Duration,
    mut shutdown: ShutdownSignal,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let slot = Arc::new(slot);
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        let request_slot = match &forwarded {
            Some(forwarded) => forwarded.admit(&slot, request.headers()),
            None => Ok(Arc::clone(&slot)),
        };
        let mut router = router.clone();
        async move {
            match request_slot {
                Ok(request_slot) => {
                    request.extensions_mut().insert(request_slot);
                    router.call(request.map(Body::new)).await
                }
                Err(refused) => Ok(axum::response::IntoResponse::into_response(refused)),
            }
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let connection = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    let mut connection = std::pin::pin!(connection);
    let mut finishing = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "HTTP connection ended");
                }
                return;
            }
            _ = shutdown.recv(), if !finishing => {
                // Finish the request in flight (if any), then close.
                connection.as_mut().graceful_shutdown();
                finishing = true;
            }
        }
    }
}
