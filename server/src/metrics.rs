//! Prometheus metrics, hand-rolled: counters in atomics, rendered in the text exposition
//! format on `GET /metrics`.

use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Upper bounds (seconds) of the sync duration histogram's buckets.
const SYNC_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A device counts as connected this long after its last sync.
fn connected_window() -> Duration {
    Duration::minutes(5)
}

/// The server's counters.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    changes_applied: AtomicU64,
    unreadable_reported: AtomicU64,
    sync_buckets: [AtomicU64; SYNC_BUCKETS.len()],
    sync_count: AtomicU64,
    sync_sum_micros: AtomicU64,
    last_sync: Mutex<HashMap<String, DateTime<Utc>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Metrics {
    /// Counts one answered request.
    pub(crate) fn request(&self, route: &str, status: u16) {
        *lock(&self.requests)
            .entry((route.to_owned(), status))
            .or_default() += 1;
    }

    /// Counts changes newly added to the log.
    pub(crate) fn changes_applied(&self, n: u64) {
        self.changes_applied.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts records that devices reported they cannot read.
    pub(crate) fn unreadable_reported(&self, n: u64) {
        self.unreadable_reported.fetch_add(n, Ordering::Relaxed);
    }

    /// Records one sync's duration, and that `device` synced at `now`.
    pub(crate) fn sync(&self, device: &str, seconds: f64, now: DateTime<Utc>) {
        for (bound, bucket) in SYNC_BUCKETS.iter().zip(&self.sync_buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.sync_count.fetch_add(1, Ordering::Relaxed);
        self.sync_sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
        let mut seen = lock(&self.last_sync);
        seen.insert(device.to_owned(), now);
        if seen.len() > 1024 {
            seen.retain(|_, t| *t + connected_window() > now);
        }
    }

    /// The text exposition of every metric at `now`.
    pub(crate) fn render(&self, now: DateTime<Utc>) -> String {
        let mut out = String::new();
        out.push_str("# HELP beatbook_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE beatbook_requests_total counter\n");
        for ((route, status), n) in lock(&self.requests).iter() {
            let _ = writeln!(
                out,
                "beatbook_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str("# HELP beatbook_changes_applied_total Changes accepted into the log.\n");
        out.push_str("# TYPE beatbook_changes_applied_total counter\n");
        let _ = writeln!(
            out,
            "beatbook_changes_applied_total {}",
            self.changes_applied.load(Ordering::Relaxed)
        );
        out.push_str(
            "# HELP beatbook_unreadable_records_reported_total Records devices reported they \
             cannot read (see the server log for which).\n",
        );
        out.push_str("# TYPE beatbook_unreadable_records_reported_total counter\n");
        let _ = writeln!(
            out,
            "beatbook_unreadable_records_reported_total {}",
            self.unreadable_reported.load(Ordering::Relaxed)
        );
        out.push_str("# HELP beatbook_sync_duration_seconds Time to answer a sync.\n");
        out.push_str("# TYPE beatbook_sync_duration_seconds histogram\n");
        for (bound, bucket) in SYNC_BUCKETS.iter().zip(&self.sync_buckets) {
            let _ = writeln!(
                out,
                "beatbook_sync_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.sync_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "beatbook_sync_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "beatbook_sync_duration_seconds_sum {}",
            self.sync_sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "beatbook_sync_duration_seconds_count {count}");
        let connected = lock(&self.last_sync)
            .values()
            .filter(|t| **t + connected_window() > now)
            .count();
        out.push_str(
            "# HELP beatbook_connected_devices Devices that synced in the last 5 minutes.\n",
        );
        out.push_str("# TYPE beatbook_connected_devices gauge\n");
        let _ = writeln!(out, "beatbook_connected_devices {connected}");
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histogram_and_gauge() {
        let m = Metrics::default();
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        m.request("/v1/sync", 200);
        m.request("/v1/sync", 200);
        m.changes_applied(3);
        m.sync("d1", 0.02, t0);
        m.sync("d2", 0.2, t0 - Duration::minutes(6));
        let text = m.render(t0);
        assert!(text.contains("beatbook_requests_total{route=\"/v1/sync\",status=\"200\"} 2"));
        assert!(text.contains("beatbook_changes_applied_total 3"));
        assert!(text.contains("beatbook_sync_duration_seconds_bucket{le=\"0.025\"} 1"));
        assert!(text.contains("beatbook_sync_duration_seconds_bucket{le=\"+Inf\"} 2"));
        assert!(text.contains("beatbook_sync_duration_seconds_count 2"));
        assert!(text.contains("beatbook_connected_devices 1"));
    }
}
