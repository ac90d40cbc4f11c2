//! Webhooks: which events notify the company's backend, and the task that
//! delivers them from the store's outbox, signed, with retries.
//!
//! Deliveries are written by the store in the same write as their event
//! ([`WebhookPolicy::ops_for`]), so none is lost to a crash. `session.ended`
//! waits (up to `rating_wait_ms`) for the customer's rating so that it can
//! carry the transcript and the rating together; the rating hastens it.
//!
//! Each request carries `Seam-Event`, `Seam-Delivery`, `Seam-Timestamp` and
//! `Seam-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use seam_protocol::{EventBody, SessionEvent};
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio_rustls::TlsConnector;

use crate::clock::Clock;
use crate::config::WebhookConfig;
use crate::error::ConfigError;
use crate::session::SessionView;
use crate::shutdown::ShutdownSignal;
use crate::store::{Delivery, OutboxOp, SessionStore, SessionSummary, StoreError, WebhookKind};

/// Decides the outbox writes for each stored event.
#[derive(Debug, Clone, Default)]
pub struct WebhookPolicy {
    urls: Vec<String>,
    rating_wait_ms: u64,
}

impl WebhookPolicy {
    /// The policy for a webhook configuration.
    pub fn new(config: &WebhookConfig) -> WebhookPolicy {
        WebhookPolicy {
            urls: config.urls.clone(),
            rating_wait_ms: config.rating_wait_ms,
        }
    }

    /// The outbox writes that go with `event`.
    pub fn ops_for(&self, event: &SessionEvent) -> Vec<OutboxOp> {
        if self.urls.is_empty() {
            return Vec::new();
        }
        let (kind, due_at) = match &event.body {
            EventBody::SessionOpened { .. } => (WebhookKind::SessionStarted, event.at),
            EventBody::Assigned { .. } => (WebhookKind::SessionAssigned, event.at),
            EventBody::ModeChanged { .. } => (WebhookKind::SessionModeChanged, event.at),
            EventBody::OfflineMessage { .. } => (WebhookKind::OfflineMessage, event.at),
            EventBody::SessionEnded { .. } => {
                (WebhookKind::SessionEnded, event.at + self.rating_wait_ms)
            }
            EventBody::Rated { .. } => {
                return vec![OutboxOp::Hasten {
                    kind: WebhookKind::SessionEnded,
                    now: event.at,
                }]
            }
            _ => return Vec::new(),
        };
        self.urls
            .iter()
            .map(|url| OutboxOp::Enqueue {
                url: url.clone(),
                kind,
                due_at,
            })
            .collect()
    }
}

/// The signature header value for a body sent at `timestamp` (Unix seconds):
/// `v1=` and the hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`.
pub fn signature(secret: &str, timestamp: u64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("v1={hex}")
}

/// What a webhook request's body says.
#[derive(Debug, Serialize)]
struct Payload {
    /// The delivery's id (the same across retries: use it to deduplicate).
    id: String,
    #[serde(rename = "type")]
    kind: WebhookKind,
    /// When this attempt was made, Unix milliseconds.
    sent_at: u64,
    /// The session as it stands now (state, queue, agents, rating).
    session: SessionSummary,
    /// The event that caused the webhook.
    event: Option<SessionEvent>,
    /// `session.ended` only: the transcript (messages, joins, mode changes,
    /// notes; no whispers).
    #[serde(skip_serializing_if = "Option::is_none")]
    transcript: Option<Vec<SessionEvent>>,
}

/// A URL's circuit breaker: open after `breaker_failures` failures in a
/// row, until `breaker_cooldown_ms` has passed; then one delivery is tried
/// (half open), and its outcome closes or reopens the circuit.
#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    open_until: Option<u64>,
    /// A trial delivery is in flight while half open.
    trying: bool,
}

impl Breaker {
    /// Whether a delivery may go out now; `Err(until)` while open.
    fn admit(&mut self, now: u64) -> Result<(), u64> {
        match self.open_until {
            Some(until) if now < until => Err(until),
            Some(until) if self.trying => Err(until),
            Some(_) => {
                self.trying = true;
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn record(&mut self, url: &str, ok: bool, now: u64, config: &WebhookConfig) {
        self.trying = false;
        if ok {
            *self = Breaker::default();
            return;
        }
        self.failures += 1;
        if self.failures >= config.breaker_failures.max(1) {
            if self.open_until.is_none() {
                tracing::warn!(%url, failures = self.failures, "webhook URL failing; circuit open");
            }
            self.open_until = Some(now + config.breaker_cooldown_ms);
        }
    }
}

/// Delivers the outbox until shutdown. Each URL is served on its own, at
/// most `max_in_flight_per_url` at a time, behind its circuit breaker, so a
/// hung receiver never holds up the others. Deliveries in flight at
/// shutdown stay in the outbox and go out after the next start.
pub(crate) async fn deliver_forever(
    store: Arc<dyn SessionStore>,
    config: WebhookConfig,
    redact: bool,
    tls: TlsConnector,
    clock: Arc<dyn Clock>,
    mut shutdown: ShutdownSignal,
) {
    let Some(secret) = config.secret.clone().filter(|_| !config.urls.is_empty()) else {
        return;
    };
    let secret: Arc<str> = Arc::from(secret);
    let config = Arc::new(config);
    let mut in_flight: HashSet<u64> = HashSet::new();
    let mut per_url: HashMap<String, (Arc<Semaphore>, Breaker)> = HashMap::new();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(String, u64, bool)>();
    let mut deliveries = JoinSet::new();
    // A finished delivery that woke the loop, settled with the others.
    let mut woken_by = None;
    loop {
        while deliveries.try_join_next().is_some() {}
        let finished = std::iter::from_fn(|| done_rx.try_recv().ok());
        for (url, id, ok) in woken_by.take().into_iter().chain(finished) {
            in_flight.remove(&id);
            if let Some((_, breaker)) = per_url.get_mut(&url) {
                breaker.record(&url, ok, clock.now_millis(), &config);
            }
        }
        let now = clock.now_millis();
        match store.due_deliveries(now, 256).await {
            Ok(due) => {
                for delivery in due {
                    if in_flight.contains(&delivery.id) {
                        continue;
                    }
                    let (slots, breaker) =
                        per_url.entry(delivery.url.clone()).or_insert_with(|| {
                            (
                                Arc::new(Semaphore::new(config.max_in_flight_per_url.max(1))),
                                Breaker::default(),
                            )
                        });
                    if let Err(until) = breaker.admit(now) {
                        // Out of the way until the circuit may close, so
                        // other URLs' deliveries are not stuck behind it.
                        let _ = store
                            .delivery_retry(delivery.id, until, delivery.attempts)
                            .await;
                        continue;
                    }
                    let Ok(slot) = Arc::clone(slots).try_acquire_owned() else {
                        // This URL is busy: the delivery stays due.
                        continue;
                    };
                    in_flight.insert(delivery.id);
                    let (store, config, secret, clock, done, tls) = (
                        Arc::clone(&store),
                        Arc::clone(&config),
                        Arc::clone(&secret),
                        Arc::clone(&clock),
                        done_tx.clone(),
                        tls.clone(),
                    );
                    deliveries.spawn(async move {
                        let (url, id) = (delivery.url.clone(), delivery.id);
                        let sender = Sender {
                            config: &config,
                            secret: &secret,
                            tls: &tls,
                            redact,
                        };
                        let ok = deliver(store.as_ref(), sender, clock.as_ref(), delivery).await;
                        drop(slot);
                        let _ = done.send((url, id, ok));
                    });
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the webhook outbox"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(config.poll_ms)) => {}
            done = done_rx.recv() => woken_by = done,
            _ = shutdown.recv() => break,
        }
    }
    // Whatever is still in flight stays in the outbox.
    deliveries.abort_all();
    while deliveries.join_next().await.is_some() {}
}

/// What sending a delivery needs.
#[derive(Clone, Copy)]
struct Sender<'a> {
    config: &'a WebhookConfig,
    secret: &'a str,
    tls: &'a TlsConnector,
    /// Transcripts show revised messages as revised (originals are kept
    /// for nobody).
    redact: bool,
}

/// Makes one attempt at a delivery; whether the receiver took it.
async fn deliver(
    store: &dyn SessionStore,
    sender: Sender<'_>,
    clock: &dyn Clock,
    d: Delivery,
) -> bool {
    let Sender {
        config,
        secret,
        tls,
        redact,
    } = sender;
    let body = match payload(store, clock, &d, redact).await {
        Ok(Some(payload)) => serde_json::to_vec(&payload).unwrap_or_default(),
        Ok(None) => {
            // The session was deleted (retention, erasure): nothing to say.
            let _ = store.delivery_done(d.id).await;
            return true;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot build a webhook payload");
            retry(store, config, clock, &d, &e.to_string()).await;
            return true;
        }
    };
    let timestamp = clock.now_millis() / 1000;
    let headers = [
        ("seam-event", d.kind.as_str().to_owned()),
        ("seam-delivery", format!("dlv-{}", d.id)),
        ("seam-timestamp", timestamp.to_string()),
        ("seam-signature", signature(secret, timestamp, &body)),
    ];
    let timeout = Duration::from_millis(config.timeout_ms);
    let outcome = match tokio::time::timeout(timeout, post(&d.url, &headers, body, tls)).await {
        Err(_) => Err("timed out".to_owned()),
        Ok(Err(e)) => Err(e),
        Ok(Ok(status)) if (200..300).contains(&status) => Ok(()),
        Ok(Ok(status)) => Err(format!("HTTP {status}")),
    };
    match outcome {
        Ok(()) => {
            if let Err(e) = store.delivery_done(d.id).await {
                tracing::warn!(error = %e, "cannot mark a webhook delivered");
            }
            true
        }
        Err(why) => {
            retry(store, config, clock, &d, &why).await;
            false
        }
    }
}

async fn retry(
    store: &dyn SessionStore,
    config: &WebhookConfig,
    clock: &dyn Clock,
    d: &Delivery,
    why: &str,
) {
    let attempts = d.attempts + 1;
    if attempts >= config.max_attempts {
        tracing::error!(url = %d.url, kind = d.kind.as_str(), session = %d.session_id, %why, attempts, "webhook given up");
        let _ = store.delivery_done(d.id).await;
        return;
    }
    let delay = config
        .retry_initial_ms
        .saturating_mul(1u64 << (attempts - 1).min(30))
        .min(config.retry_max_ms);
    tracing::debug!(url = %d.url, %why, attempts, delay, "webhook will be retried");
    if let Err(e) = store
        .delivery_retry(d.id, clock.now_millis() + delay, attempts)
        .await
    {
        tracing::warn!(error = %e, "cannot reschedule a webhook");
    }
}

async fn payload(
    store: &dyn SessionStore,
    clock: &dyn Clock,
    d: &Delivery,
    redact: bool,
) -> Result<Option<Payload>, StoreError> {
    let Some(mut stored) = store.get(&d.session_id).await? else {
        return Ok(None);
    };
    if redact {
        crate::session::redact_log(&mut stored.events);
    }
    let session = SessionView::folded(&stored.record, &stored.events).summary();
    let event = stored.events.iter().find(|e| e.seq == d.seq).cloned();
    let transcript = (d.kind == WebhookKind::SessionEnded).then(|| {
        stored
            .events
            .into_iter()
            .filter(|e| !matches!(e.body, EventBody::Whisper { .. }))
            .collect()
    });
    Ok(Some(Payload {
        id: format!("dlv-{}", d.id),
        kind: d.kind,
        sent_at: clock.now_millis(),
        session,
        event,
        transcript,
    }))
}

/// The TLS client for `https://` receivers: the public web roots and the
/// PEM certificates in `webhooks.ca_file`, if set.
pub(crate) fn tls_connector(config: &WebhookConfig) -> Result<TlsConnector, ConfigError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &config.ca_file {
        let bad = |reason: String| ConfigError::Key {
            what: "webhooks.ca_file",
            path: path.clone(),
            reason,
        };
        let certs = CertificateDer::pem_file_iter(path).map_err(|e| bad(e.to_string()))?;
        for cert in certs {
            roots
                .add(cert.map_err(|e| bad(e.to_string()))?)
                .map_err(|e| bad(e.to_string()))?;
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| ConfigError::Limit(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(tls)))
}

/// POSTs a JSON body over HTTP/1.1 (over TLS for `https://`) and returns
/// the status code.
async fn post(
    url: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
    tls: &TlsConnector,
) -> Result<u16, String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("bad URL: {e}"))?;
    let secure = match uri.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        _ => return Err("webhook URLs are http:// or https://".into()),
    };
    let host = uri.host().ok_or("URL without a host")?.to_owned();
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let authority = uri.authority().map_or(host.clone(), |a| a.to_string());
    let mut request = hyper::Request::post(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(
            hyper::header::USER_AGENT,
            concat!("seam/", env!("CARGO_PKG_VERSION")),
        );
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let request = request
        .body(http_body_util::Full::new(hyper::body::Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let tcp = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| e.to_string())?;
    if !secure {
        return send(hyper_util::rt::TokioIo::new(tcp), request).await;
    }
    let name = rustls::pki_types::ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
        .map_err(|e| format!("bad host name: {e}"))?;
    let stream = tls
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS: {e}"))?;
    send(hyper_util::rt::TokioIo::new(stream), request).await
}

/// Sends one request on a fresh connection; the response's status.
async fn send<I>(
    io: I,
    request: hyper::Request<http_body_util::Full<hyper::body::Bytes>>,
) -> Result<u16, String>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    Ok(response.status().as_u16())
}
