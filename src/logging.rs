//! The broker's log output: human text, or one JSON object per line for
//! log shippers.

use anyhow::{Context, Result};
use clap::ValueEnum;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `message`,
    /// the event's fields, and `span` (the connection: `conn`, `sub`, `role`).
    Json,
}

/// Installs the global subscriber.
pub(crate) fn init(filter: &str, format: LogFormat) -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(log_filter(filter))
        .context("invalid --log filter")?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
    Ok(())
}

/// The operator's log filter, with the transport crates held at `info`
/// unless it names them: at `trace` they log raw frames, tokens included.
fn log_filter(requested: &str) -> String {
    let mut filter = requested.to_owned();
    for quiet in ["tungstenite", "tokio_tungstenite", "hyper", "rustls"] {
        if !requested.contains(quiet) {
            filter.push_str(&format!(",{quiet}=info"));
        }
    }
    filter
}

#[cfg(test)]
mod tests {
    use super::log_filter;

    #[test]
    fn trace_logging_keeps_the_transport_crates_from_logging_frames() {
        let filter = log_filter("trace");
        assert!(filter.contains("tungstenite=info") && filter.contains("hyper=info"));
        // Named explicitly, the operator's word wins.
        assert!(!log_filter("trace,hyper=trace").contains("hyper=info"));
        assert!(tracing_subscriber::EnvFilter::try_new(filter).is_ok());
    }
}
