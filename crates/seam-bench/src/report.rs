//! Latency histograms and table printing shared by the scenarios.

use std::time::Duration;

use hdrhistogram::Histogram;

/// A latency histogram in microseconds, 1 µs to 60 s.
pub(crate) fn histogram() -> Histogram<u64> {
    // The bounds are constants that hdrhistogram accepts.
    Histogram::new_with_bounds(1, 60_000_000, 3).unwrap_or_else(|_| unreachable!("valid bounds"))
}

/// Records a latency.
pub(crate) fn record(h: &mut Histogram<u64>, latency: Duration) {
    let _ = h.record(latency.as_micros().clamp(1, 60_000_000) as u64);
}

/// `p50 / p99 / p99.9` in milliseconds.
pub(crate) fn percentiles(h: &Histogram<u64>) -> String {
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    format!("{:.2} / {:.2} / {:.2}", ms(0.5), ms(0.99), ms(0.999))
}
