//! Prometheus metrics, served at `GET /metrics` in the text exposition
//! format: counters and histograms updated where things happen (commands,
//! stored events, store writes, resumes, slow consumers), gauges
//! read at scrape time (connections, sessions in memory, queues, agents).
//! Names follow Prometheus conventions (`seam_` prefix, base units, `_total`
//! counters); labels never carry user ids. docs/http-api.md lists them.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};
use seam_protocol::{AgentStatus, ClientFrame, Overview};

/// Seconds buckets for commands and store writes: 100 µs to 10 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    10.0,
];

/// Writes per store commit.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// What the store writers report. Process-wide (a process runs one broker,
/// and its store's writer thread has no broker to report to); every
/// broker's registry includes it.
pub(crate) struct WriterMetrics {
    /// How long a commit (one transaction, one group of writes) took.
    pub(crate) commit_seconds: Histogram,
    /// How many writes one commit held.
    pub(crate) batch_size: Histogram,
    /// How long the SQLite writer's WAL restarts took (every write waits).
    pub(crate) wal_restart_seconds: Histogram,
}

/// The store writers' metrics.
pub(crate) static WRITER: LazyLock<WriterMetrics> = LazyLock::new(|| WriterMetrics {
    commit_seconds: histogram(
        "seam_store_commit_duration_seconds",
        "Time to commit one group of writes to the store",
        LATENCY_BUCKETS,
    ),
    batch_size: histogram(
        "seam_store_commit_batch_size",
        "Writes committed together in one transaction (group commit)",
        BATCH_BUCKETS,
    ),
    wal_restart_seconds: histogram(
        "seam_store_wal_restart_duration_seconds",
        "Time the SQLite writer spent restarting its WAL (writes wait meanwhile)",
        LATENCY_BUCKETS,
    ),
});

/// What the session engines report (process-wide, like the writers).
pub(crate) struct EngineMetrics {
    /// Commands decided again because another node stored in their
    /// session first.
    pub(crate) decided_again: IntCounter,
}

/// The session engines' metrics.
pub(crate) static ENGINE: LazyLock<EngineMetrics> = LazyLock::new(|| EngineMetrics {
    decided_again: counter(
        "seam_engine_decided_again_total",
        "Commands decided again because another node stored in their session first (a cluster)",
    ),
});

/// What the gauges show, read at scrape time.
pub(crate) struct Gauges {
    /// Open WebSocket connections.
    pub(crate) connections: usize,
    /// Sessions in memory.
    pub(crate) sessions_held: usize,
    /// Bytes of resume windows.
    pub(crate) window_bytes: usize,
    /// Whether the store's writes succeed.
    pub(crate) store_up: bool,
    /// Pending webhook deliveries, if the store could say.
    pub(crate) outbox_depth: Option<u64>,
    /// Queues and agents, on the node that routes.
    pub(crate) routing: Option<Overview>,
    /// Each queue's service level over the last hour, on the node that routes.
    pub(crate) service_levels: Vec<(String, Option<f64>)>,
}

/// The broker's metrics and the registry that serves them.
pub(crate) struct Metrics {
    registry: Registry,
    commands: IntCounterVec,
    command_seconds: HistogramVec,
    events: IntCounterVec,
    store_write_seconds: Histogram,
    store_failures: IntCounter,
    resumes: IntCounterVec,
    slow_consumers: IntCounter,
    offers: IntCounterVec,
    mode_changes: IntCounterVec,
    recommendations: IntCounterVec,
    queue_service_level: prometheus::GaugeVec,
    connections: IntGauge,
    sessions_held: IntGauge,
    window_bytes: IntGauge,
    store_up: IntGauge,
    outbox_depth: IntGauge,
    queue_waiting: IntGaugeVec,
    queue_available: IntGaugeVec,
    queue_estimated_wait: prometheus::GaugeVec,
    queue_abandoned: IntGaugeVec,
    agents: IntGaugeVec,
    /// Each command type's `ok` counter and duration histogram, resolved
    /// once: the path every message takes skips the label lookup.
    ok: HashMap<&'static str, (IntCounter, Histogram), foldhash::fast::RandomState>,
    /// Each event kind's counter, resolved once.
    stored: HashMap<&'static str, IntCounter, foldhash::fast::RandomState>,
}

/// Event kinds resolved up front (others are counted through the labels).
const KINDS: &[&str] = &[
    "session_opened",
    "participant_joined",
    "participant_left",
    "message",
    "mode_requested",
    "mode_changed",
    "queued",
    "assigned",
    "session_ended",
];

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Creates every metric and registers it.
    pub(crate) fn new() -> Arc<Metrics> {
        let mut metrics = Metrics {
            registry: Registry::new(),
            commands: counter_vec(
                "seam_commands_total",
                "Commands received, by type and result (`ok` or the error code)",
                &["command", "result"],
            ),
            command_seconds: histogram_vec(
                "seam_command_duration_seconds",
                "Time from a command's decoding to its answer, by type",
                &["command"],
                LATENCY_BUCKETS,
            ),
            events: counter_vec(
                "seam_events_stored_total",
                "Session events this node stored, by kind (sessions opened and ended, messages, mode changes, assignments, ...)",
                &["kind"],
            ),
            store_write_seconds: histogram(
                "seam_store_write_duration_seconds",
                "Time from handing a write to the store until it is durable, queueing for the group commit included",
                LATENCY_BUCKETS,
            ),
            store_failures: counter(
                "seam_store_write_failures_total",
                "Store writes that failed (nothing acknowledged)",
            ),
            resumes: counter_vec(
                "seam_resumes_total",
                "Resumes (join with after_seq) by outcome: complete, truncated, reset",
                &["outcome"],
            ),
            slow_consumers: counter(
                "seam_slow_consumer_closes_total",
                "Connections closed with 4008 because they read too slowly",
            ),
            offers: counter_vec(
                "seam_offers_total",
                "Offers to agents by outcome: offered, accepted, declined, expired, ended (the session ended or left the queue), ...",
                &["outcome"],
            ),
            mode_changes: counter_vec(
                "seam_mode_changes_total",
                "Mode changes this node stored, by the mode entered (chat, voice, video)",
                &["mode"],
            ),
            recommendations: counter_vec(
                "seam_mode_recommendations_total",
                "Mode recommendations this node stored, by the mode recommended",
                &["mode"],
            ),
            queue_service_level: prometheus::GaugeVec::new(
                Opts::new(
                    "seam_queue_service_level",
                    "Share of each queue's sessions answered within routing.service_level_secs, of those answered or abandoned in the last hour",
                ),
                &["queue"],
            )
            .unwrap_or_else(|e| invalid(e)),
            connections: gauge("seam_connections", "Open WebSocket connections on this node"),
            sessions_held: gauge(
                "seam_sessions_held",
                "Sessions this node holds in memory (open ones in use, recently ended ones)",
            ),
            window_bytes: gauge(
                "seam_resume_window_bytes",
                "Bytes of serialized events kept in memory for resumes",
            ),
            store_up: gauge(
                "seam_store_up",
                "1 while the store's writes succeed, 0 while they fail",
            ),
            outbox_depth: gauge(
                "seam_webhook_outbox_depth",
                "Webhook deliveries waiting in the store's outbox (-1 when the store cannot say)",
            ),
            queue_waiting: gauge_vec(
                "seam_queue_waiting_sessions",
                "Sessions waiting in each queue (reported by the node that routes)",
                &["queue"],
            ),
            queue_available: gauge_vec(
                "seam_queue_agents_available",
                "Agents who could take a session of each queue now",
                &["queue"],
            ),
            queue_estimated_wait: prometheus::GaugeVec::new(
                Opts::new(
                    "seam_queue_estimated_wait_seconds",
                    "Each queue's estimated wait (the mean of its recent answered waits)",
                ),
                &["queue"],
            )
            .unwrap_or_else(|e| invalid(e)),
            queue_abandoned: gauge_vec(
                "seam_queue_abandoned_sessions",
                "Sessions that left each queue unanswered since the router started",
                &["queue"],
            ),
            agents: gauge_vec(
                "seam_agents",
                "Agents and bots on the roster, by status",
                &["status"],
            ),
            ok: HashMap::default(),
            stored: HashMap::default(),
        };
        for &command in ClientFrame::TYPES {
            let handles = (
                metrics.commands.with_label_values(&[command, "ok"]),
                metrics.command_seconds.with_label_values(&[command]),
            );
            metrics.ok.insert(command, handles);
        }
        for &kind in KINDS {
            metrics
                .stored
                .insert(kind, metrics.events.with_label_values(&[kind]));
        }
        let m = &metrics;
        let collectors: Vec<Box<dyn prometheus::core::Collector>> = vec![
            Box::new(m.commands.clone()),
            Box::new(m.command_seconds.clone()),
            Box::new(m.events.clone()),
            Box::new(m.store_write_seconds.clone()),
            Box::new(m.store_failures.clone()),
            Box::new(m.resumes.clone()),
            Box::new(m.slow_consumers.clone()),
            Box::new(m.offers.clone()),
            Box::new(m.mode_changes.clone()),
            Box::new(m.recommendations.clone()),
            Box::new(m.queue_service_level.clone()),
            Box::new(m.connections.clone()),
            Box::new(m.sessions_held.clone()),
            Box::new(m.window_bytes.clone()),
            Box::new(m.store_up.clone()),
            Box::new(m.outbox_depth.clone()),
            Box::new(m.queue_waiting.clone()),
            Box::new(m.queue_available.clone()),
            Box::new(m.queue_estimated_wait.clone()),
            Box::new(m.queue_abandoned.clone()),
            Box::new(m.agents.clone()),
            Box::new(WRITER.commit_seconds.clone()),
            Box::new(WRITER.batch_size.clone()),
            Box::new(WRITER.wal_restart_seconds.clone()),
            Box::new(ENGINE.decided_again.clone()),
        ];
        for collector in collectors {
            if let Err(e) = metrics.registry.register(collector) {
                tracing::warn!(error = %e, "a metric could not be registered");
            }
        }
        Arc::new(metrics)
    }

    /// One command answered: its type, `ok` or its error code, and how long
    /// it took.
    pub(crate) fn command(&self, command: &str, result: &str, took: Duration) {
        if result == "ok" {
            if let Some((count, seconds)) = self.ok.get(command) {
                count.inc();
                seconds.observe(took.as_secs_f64());
                return;
            }
        }
        self.commands.with_label_values(&[command, result]).inc();
        self.command_seconds
            .with_label_values(&[command])
            .observe(took.as_secs_f64());
    }

    /// A write handed to the store finished.
    pub(crate) fn store_write(&self, took: Duration, ok: bool) {
        self.store_write_seconds.observe(took.as_secs_f64());
        if !ok {
            self.store_failures.inc();
        }
    }

    /// An event this node stored.
    pub(crate) fn event_stored(&self, kind: &str) {
        match self.stored.get(kind) {
            Some(count) => count.inc(),
            None => self.events.with_label_values(&[kind]).inc(),
        }
    }

    /// A resume answered `complete`, `truncated` or `reset`.
    pub(crate) fn resumed(&self, outcome: &str) {
        self.resumes.with_label_values(&[outcome]).inc();
    }

    /// An offer's fate: `offered`, `accepted`, `declined`, `expired`, ...
    pub(crate) fn offer(&self, outcome: &str) {
        self.offers.with_label_values(&[outcome]).inc();
    }

    /// A mode change this node stored, by the mode entered.
    pub(crate) fn mode_changed(&self, mode: &str) {
        self.mode_changes.with_label_values(&[mode]).inc();
    }

    /// A mode recommendation this node stored, by the mode recommended.
    pub(crate) fn mode_recommended(&self, mode: &str) {
        self.recommendations.with_label_values(&[mode]).inc();
    }

    /// A connection closed for reading too slowly.
    pub(crate) fn slow_consumer(&self) {
        self.slow_consumers.inc();
    }

    /// The text exposition of every metric, gauges read now.
    pub(crate) fn render(&self, now: Gauges) -> String {
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.connections.set(count(now.connections));
        self.sessions_held.set(count(now.sessions_held));
        self.window_bytes.set(count(now.window_bytes));
        self.store_up.set(i64::from(now.store_up));
        self.outbox_depth.set(
            now.outbox_depth
                .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX)),
        );
        for vec in [
            &self.queue_waiting,
            &self.queue_available,
            &self.queue_abandoned,
        ] {
            vec.reset();
        }
        self.queue_estimated_wait.reset();
        self.queue_service_level.reset();
        self.agents.reset();
        for (queue, level) in &now.service_levels {
            if let Some(level) = level {
                self.queue_service_level
                    .with_label_values(&[queue.as_str()])
                    .set(*level);
            }
        }
        if let Some(overview) = now.routing {
            for queue in &overview.queues {
                let name = [queue.name.as_str()];
                self.queue_waiting
                    .with_label_values(&name)
                    .set(count(queue.waiting));
                self.queue_available
                    .with_label_values(&name)
                    .set(count(queue.agents_available));
                self.queue_estimated_wait
                    .with_label_values(&name)
                    .set(queue.estimated_wait_ms as f64 / 1000.0);
                self.queue_abandoned
                    .with_label_values(&name)
                    .set(i64::try_from(queue.abandoned).unwrap_or(i64::MAX));
            }
            for status in AgentStatus::ALL {
                let agents = overview
                    .agents
                    .iter()
                    .filter(|a| a.status == status)
                    .count();
                self.agents
                    .with_label_values(&[status.as_str()])
                    .set(count(agents));
            }
        }
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::warn!(error = %e, "metrics could not be encoded");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

// The metric definitions below are constants: a name or bucket list that
// Prometheus refuses is a programming error, caught by the tests.

fn invalid(e: prometheus::Error) -> ! {
    panic!("invalid metric definition: {e}")
}

fn counter(name: &str, help: &str) -> IntCounter {
    IntCounter::new(name, help).unwrap_or_else(|e| invalid(e))
}

fn counter_vec(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    IntCounterVec::new(Opts::new(name, help), labels).unwrap_or_else(|e| invalid(e))
}

fn gauge(name: &str, help: &str) -> IntGauge {
    IntGauge::new(name, help).unwrap_or_else(|e| invalid(e))
}

fn gauge_vec(name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    IntGaugeVec::new(Opts::new(name, help), labels).unwrap_or_else(|e| invalid(e))
}

fn histogram(name: &str, help: &str, buckets: &[f64]) -> Histogram {
    Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets.to_vec()))
        .unwrap_or_else(|e| invalid(e))
}

fn histogram_vec(name: &str, help: &str, labels: &[&str], buckets: &[f64]) -> HistogramVec {
    HistogramVec::new(
        HistogramOpts::new(name, help).buckets(buckets.to_vec()),
        labels,
    )
    .unwrap_or_else(|e| invalid(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_defined_and_registered() {
        let metrics = Metrics::new();
        metrics.command("message", "ok", Duration::from_micros(300));
        metrics.event_stored("message");
        metrics.resumed("complete");
        WRITER.batch_size.observe(3.0);
        WRITER.wal_restart_seconds.observe(0.002);
        let families = metrics.registry.gather();
        let names: Vec<&str> = families.iter().map(|f| f.name()).collect();
        for name in [
            "seam_commands_total",
            "seam_command_duration_seconds",
            "seam_events_stored_total",
            "seam_resumes_total",
            "seam_store_commit_batch_size",
            "seam_store_wal_restart_duration_seconds",
            "seam_engine_decided_again_total",
        ] {
            assert!(names.contains(&name), "{name} missing from {names:?}");
        }
    }
}
