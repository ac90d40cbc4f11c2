//! How a client connects: URL, token source, backoff, timeouts.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

/// A boxed future returning a fresh token.
pub(crate) type TokenFuture = Pin<Box<dyn Future<Output = Result<String, String>> + Send>>;

/// Where tokens come from.
#[derive(Clone)]
pub enum TokenSource {
    /// One fixed token. When it expires the client cannot reconnect.
    Static(String),
    /// Called for every (re)connection and before the current token
    /// expires, typically asking the company's backend for a new one.
    Provider(Arc<dyn Fn() -> TokenFuture + Send + Sync>),
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::Static(_) => f.write_str("TokenSource::Static(..)"),
            TokenSource::Provider(_) => f.write_str("TokenSource::Provider(..)"),
        }
    }
}

impl TokenSource {
    /// A provider from an async function.
    pub fn provider<F, Fut>(f: F) -> TokenSource
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, String>> + Send + 'static,
    {
        TokenSource::Provider(Arc::new(move || Box::pin(f())))
    }

    pub(crate) async fn token(&self) -> Result<String, String> {
        match self {
            TokenSource::Static(token) => Ok(token.clone()),
            TokenSource::Provider(provider) => provider().await,
        }
    }
}

/// Exponential backoff with full jitter between reconnection attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay's upper bound.
    pub initial: Duration,
    /// The largest delay.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// The delay before attempt `attempt` (0-based): uniform in
    /// `[0, min(max, initial * 2^attempt)]`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let cap = self
            .initial
            .saturating_mul(2u32.saturating_pow(attempt.min(16)))
            .min(self.max);
        let millis = cap.as_millis() as u64;
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }
}

/// Everything a client needs to connect.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The broker's WebSocket URL, e.g. `ws://127.0.0.1:8080/ws`.
    pub url: String,
    /// Where tokens come from.
    pub token: TokenSource,
    /// Delays between reconnection attempts.
    pub backoff: Backoff,
    /// How long a command waits for its ack (across reconnects) before
    /// failing with [`crate::ClientError::Timeout`].
    pub ack_timeout: Duration,
    /// Reconnect automatically after a connection is lost.
    pub reconnect: bool,
    /// For `wss://`: extra trust anchors (PEM certificates), beside the
    /// public web roots, e.g. a private CA or a development certificate.
    pub extra_roots_pem: Option<String>,
}

impl ClientConfig {
    /// A config with a fixed token and default behaviour.
    pub fn new(url: impl Into<String>, token: impl Into<String>) -> ClientConfig {
        ClientConfig::with_source(url, TokenSource::Static(token.into()))
    }

    /// A config with any token source.
    pub fn with_source(url: impl Into<String>, token: TokenSource) -> ClientConfig {
        ClientConfig {
            url: url.into(),
            token,
            backoff: Backoff::default(),
            ack_timeout: Duration::from_secs(30),
            reconnect: true,
            extra_roots_pem: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap() {
        let b = Backoff {
            initial: Duration::from_millis(10),
            max: Duration::from_millis(80),
        };
        for attempt in 0..40 {
            let cap = Duration::from_millis((10u64 << attempt.min(3)).min(80));
            assert!(b.delay(attempt) <= cap, "attempt {attempt}");
        }
    }
}
