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

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use seam_protocol::{EventBody, SessionEvent};
use serde::Serialize;
use sha2::Sha256;

use crate::clock::Clock;
use crate::config::WebhookConfig;
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

/// Delivers the outbox until shutdown.
pub(crate) async fn deliver_forever(
    store: Arc<dyn SessionStore>,
    config: WebhookConfig,
    clock: Arc<dyn Clock>,
    mut shutdown: ShutdownSignal,
) {
    let Some(secret) = config.secret.clone().filter(|_| !config.urls.is_empty()) else {
        return;
    };
    loop {
        match store.due_deliveries(clock.now_millis(), 32).await {
            Ok(due) if !due.is_empty() => {
                for delivery in due {
                    deliver(store.as_ref(), &config, &secret, clock.as_ref(), delivery).await;
                }
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the webhook outbox"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(config.poll_ms)) => {}
            _ = shutdown.recv() => return,
        }
    }
}

async fn deliver(
    store: &dyn SessionStore,
    config: &WebhookConfig,
    secret: &str,
    clock: &dyn Clock,
    d: Delivery,
) {
    let body = match payload(store, clock, &d).await {
        Ok(Some(payload)) => serde_json::to_vec(&payload).unwrap_or_default(),
        Ok(None) => {
            // The session was deleted (retention, erasure): nothing to say.
            let _ = store.delivery_done(d.id).await;
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot build a webhook payload");
            return retry(store, config, clock, &d, &e.to_string()).await;
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
    let outcome = match tokio::time::timeout(timeout, post(&d.url, &headers, body)).await {
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
        }
        Err(why) => retry(store, config, clock, &d, &why).await,
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
) -> Result<Option<Payload>, StoreError> {
    let Some(stored) = store.get(&d.session_id).await? else {
        return Ok(None);
    };
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

/// POSTs a JSON body over HTTP/1.1 and returns the status code.
async fn post(url: &str, headers: &[(&str, String)], body: Vec<u8>) -> Result<u16, String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("bad URL: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err("only http:// webhook URLs are supported".into());
    }
    let host = uri.host().ok_or("URL without a host")?.to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
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
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    Ok(response.status().as_u16())
}
