//! Measuring: latency histograms shared by thousands of client tasks, the server's memory and
//! CPU from `/proc`, and the report.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use hdrhistogram::Histogram;
use parking_lot::Mutex;
use serde::Serialize;

use super::Args;

pub fn unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// The send time embedded in a payload as `t=<nanos>;`.
pub fn sent_at_nanos(frame: &[u8]) -> Option<u64> {
    let start = frame.windows(2).position(|pair| pair == b"t=")? + 2;
    let digits = frame[start..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    std::str::from_utf8(&frame[start..start + digits])
        .ok()?
        .parse()
        .ok()
}

/// Histograms (microseconds) sharded so that thousands of tasks rarely contend.
pub struct LatencyShards {
    shards: Vec<Mutex<Histogram<u64>>>,
}

impl LatencyShards {
    pub fn new(n_shards: usize) -> Self {
        LatencyShards {
            shards: (0..n_shards.max(1))
                .map(|_| {
                    Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds"))
                })
                .collect(),
        }
    }

    pub fn record(&self, client_idx: usize, nanos: u64) {
        let micros = (nanos / 1_000).clamp(1, 60_000_000);
        let _ = self.shards[client_idx % self.shards.len()]
            .lock()
            .record(micros);
    }

    pub fn merged(&self) -> Histogram<u64> {
        let mut all = Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds");
        for shard in &self.shards {
            let _ = all.add(&*shard.lock());
        }
        all
    }
}

/// A reading of the server process.
#[derive(Debug, Clone, Copy)]
pub struct ProcessSample {
    pub rss_bytes: u64,
    /// User plus system time, in clock ticks.
    pub cpu_ticks: u64,
    pub taken_nanos: u64,
}

impl ProcessSample {
    pub fn read(pid: u32) -> anyhow::Result<ProcessSample> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .context("reading /proc status")?;
        let rss_kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .context("no VmRSS")?;
        let stat =
            std::fs::read_to_string(format!("/proc/{pid}/stat")).context("reading /proc stat")?;
        // Fields after the command name (which may hold spaces): utime is the 14th field.
        let after_name = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .context("bad stat")?;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let utime: u64 = fields
            .get(11)
            .and_then(|f| f.parse().ok())
            .context("no utime")?;
        let stime: u64 = fields
            .get(12)
            .and_then(|f| f.parse().ok())
            .context("no stime")?;
        Ok(ProcessSample {
            rss_bytes: rss_kib * 1024,
            cpu_ticks: utime + stime,
            taken_nanos: unix_nanos(),
        })
    }
}

#[derive(Debug, Serialize)]
pub struct Counts {
    pub connect_seconds: f64,
    pub published: u64,
    /// Failed publishes by why they failed (see `Target::publish`).
    pub publish_failures: BTreeMap<String, u64>,
    pub deliveries: u64,
    pub expected_deliveries: u64,
    pub resyncs: u64,
    pub window_seconds: f64,
}

/// The server's readings over a run; each is absent without `--server-pid`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Samples {
    /// Before any client connected.
    pub idle_before: Option<ProcessSample>,
    /// Every client connected and subscribed, before the first publish.
    pub connected: Option<ProcessSample>,
    pub busy_before: Option<ProcessSample>,
    /// When the deliveries stopped.
    pub busy_after: Option<ProcessSample>,
    /// The largest RSS read while publishing and draining (every 100 ms).
    pub peak_rss_bytes: Option<u64>,
    /// A while after the burst, the clients still connected.
    pub settled: Option<ProcessSample>,
}

#[derive(Debug, Default, Serialize)]
pub struct ServerUse {
    pub rss_idle_before_mib: Option<f64>,
    pub rss_connected_mib: Option<f64>,
    pub rss_per_connection_kib: Option<f64>,
    pub rss_after_publish_mib: Option<f64>,
    /// The burst's peak RSS, and as a multiple of the connected RSS.
    pub rss_peak_mib: Option<f64>,
    pub rss_peak_ratio: Option<f64>,
    /// RSS after the settling wait, and as a multiple of the connected RSS (1.0: all of the
    /// burst's memory came back).
    pub rss_settled_mib: Option<f64>,
    pub rss_settled_ratio: Option<f64>,
    /// Cores the server used while publishing (CPU seconds per wall second).
    pub cpu_cores_busy: Option<f64>,
}

impl ServerUse {
    pub fn from_samples(n_clients: usize, samples: Samples) -> ServerUse {
        const MIB: f64 = 1024.0 * 1024.0;
        let Samples {
            idle_before,
            connected,
            busy_before,
            busy_after,
            peak_rss_bytes,
            settled,
        } = samples;
        let connected_bytes = connected.map(|s| s.rss_bytes).filter(|bytes| *bytes > 0);
        let ratio = |bytes: Option<u64>| {
            bytes
                .zip(connected_bytes)
                .map(|(bytes, base)| bytes as f64 / base as f64)
        };
        let per_connection = match (idle_before, connected) {
            (Some(before), Some(after)) if n_clients > 0 => Some(
                (after.rss_bytes.saturating_sub(before.rss_bytes)) as f64
                    / 1024.0
                    / n_clients as f64,
            ),
            _ => None,
        };
        let cpu = match (busy_before, busy_after) {
            (Some(before), Some(after)) if after.taken_nanos > before.taken_nanos => {
                let ticks_per_second = 100.0;
                let cpu_seconds = (after.cpu_ticks - before.cpu_ticks) as f64 / ticks_per_second;
                Some(cpu_seconds / ((after.taken_nanos - before.taken_nanos) as f64 / 1e9))
            }
            _ => None,
        };
        ServerUse {
            rss_idle_before_mib: idle_before.map(|s| s.rss_bytes as f64 / MIB),
            rss_connected_mib: connected.map(|s| s.rss_bytes as f64 / MIB),
            rss_per_connection_kib: per_connection,
            rss_after_publish_mib: busy_after.map(|s| s.rss_bytes as f64 / MIB),
            rss_peak_mib: peak_rss_bytes.map(|bytes| bytes as f64 / MIB),
            rss_peak_ratio: ratio(peak_rss_bytes),
            rss_settled_mib: settled.map(|s| s.rss_bytes as f64 / MIB),
            rss_settled_ratio: ratio(settled.map(|s| s.rss_bytes)),
            cpu_cores_busy: cpu,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub target: String,
    pub clients: usize,
    pub rate: u32,
    pub seconds: u64,
    pub payload_bytes: usize,
    #[serde(flatten)]
    pub counts: Counts,
    pub deliveries_per_second: f64,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub latency_max_ms: f64,
    pub server: ServerUse,
}

impl Report {
    pub fn new(args: &Args, counts: Counts, latency: Histogram<u64>, server: ServerUse) -> Report {
        let ms = |micros: u64| micros as f64 / 1000.0;
        let deliveries_per_second = if counts.window_seconds > 0.0 {
            counts.deliveries as f64 / counts.window_seconds
        } else {
            0.0
        };
        Report {
            target: format!("{:?}", args.target),
            clients: args.clients,
            rate: args.rate,
            seconds: args.seconds,
            payload_bytes: args.payload_bytes,
            counts,
            deliveries_per_second,
            latency_p50_ms: ms(latency.value_at_quantile(0.50)),
            latency_p99_ms: ms(latency.value_at_quantile(0.99)),
            latency_max_ms: ms(latency.max()),
            server,
        }
    }

    pub fn to_text(&self) -> String {
        let opt = |v: Option<f64>| {
            v.map(|v| format!("{v:.1}"))
                .unwrap_or_else(|| "-".to_owned())
        };
        format!(
            "{} clients={} rate={}/s for {}s payload={}B: connected in {:.1}s; published {} ({} failed); \
             delivered {}/{} ({} resyncs) = {:.0}/s; latency p50 {:.2} ms p99 {:.2} ms max {:.2} ms; \
             server RSS {} -> {} MiB ({} KiB/conn), peak {} MiB, {} MiB after, {} MiB settled; CPU {} cores",
            self.target,
            self.clients,
            self.rate,
            self.seconds,
            self.payload_bytes,
            self.counts.connect_seconds,
            self.counts.published,
            failures(&self.counts.publish_failures),
            self.counts.deliveries,
            self.counts.expected_deliveries,
            self.counts.resyncs,
            self.deliveries_per_second,
            self.latency_p50_ms,
            self.latency_p99_ms,
            self.latency_max_ms,
            opt(self.server.rss_idle_before_mib),
            opt(self.server.rss_connected_mib),
            opt(self.server.rss_per_connection_kib),
            opt(self.server.rss_peak_mib),
            opt(self.server.rss_after_publish_mib),
            opt(self.server.rss_settled_mib),
            self.server.cpu_cores_busy.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".to_owned()),
        )
    }
}

/// "0", or the count and each reason with its count: "3: HTTP 503 unavailable ×2, timed out ×1".
fn failures(by_reason: &BTreeMap<String, u64>) -> String {
    let total: u64 = by_reason.values().sum();
    if total == 0 {
        return "0".to_owned();
    }
    let reasons: Vec<String> = by_reason
        .iter()
        .map(|(why, count)| format!("{why} ×{count}"))
        .collect();
    format!("{total}: {}", reasons.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_send_time_is_read_from_the_payload() {
        assert_eq!(
            sent_at_nanos(br#"{"data":{"body":"t=1234;xxx"}}"#),
            Some(1234)
        );
        assert_eq!(
            sent_at_nanos(br#"{"op":"resync","topic":"announcements"}"#),
            None
        );
        assert_eq!(sent_at_nanos(b"t=;"), None);
    }

    #[test]
    fn the_burst_is_told_against_the_connected_memory() {
        let sample = |rss_mib: u64| ProcessSample {
            rss_bytes: rss_mib * 1024 * 1024,
            cpu_ticks: 0,
            taken_nanos: 0,
        };
        let server = ServerUse::from_samples(
            1024,
            Samples {
                idle_before: Some(sample(20)),
                connected: Some(sample(40)),
                peak_rss_bytes: Some(100 * 1024 * 1024),
                settled: Some(sample(50)),
                ..Samples::default()
            },
        );
        assert_eq!(server.rss_per_connection_kib, Some(20.0));
        assert_eq!(server.rss_peak_ratio, Some(2.5));
        assert_eq!(server.rss_settled_ratio, Some(1.25));
        assert_eq!(server.cpu_cores_busy, None);
    }

    #[test]
    fn failed_publishes_are_told_with_their_reasons() {
        assert_eq!(failures(&BTreeMap::new()), "0");
        let by_reason = BTreeMap::from([
            ("HTTP 503 unavailable".to_owned(), 2),
            ("timed out".to_owned(), 1),
        ]);
        assert_eq!(
            failures(&by_reason),
            "3: HTTP 503 unavailable ×2, timed out ×1"
        );
    }
}
