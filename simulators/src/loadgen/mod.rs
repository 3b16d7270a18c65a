//! The fan-out load generator: N WebSocket clients subscribe to one topic, a publisher posts
//! events at a set rate over HTTP, and every client timestamps what it receives.
//!
//! It reports deliveries per second, publish-to-receive latency (p50/p99/max), and the
//! server's resident memory per idle connection, at the burst's peak and a while after it
//! (`--settle-seconds`), and its CPU time (read from `/proc/<pid>`).
//! The same run works against yunguan and against the Node.js `ws` peer, so that both are
//! measured on the same machine with the same client.
//!
//! # Layout
//! - [`target`]: how to log in, connect, subscribe and publish on each kind of server.
//! - [`stats`]: shared latency histograms, `/proc` readings and the report.

pub mod stats;
pub mod target;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use futures_util::StreamExt;
use parking_lot::Mutex;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

use stats::{unix_nanos, LatencyShards, ProcessSample, Report};
use target::{Target, TargetKind};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "yunguan-loadgen",
    about = "WebSocket fan-out load generator for yunguan"
)]
pub struct Args {
    /// Which kind of server `--url` points at.
    #[arg(long, value_enum, default_value = "yunguan")]
    pub target: TargetKind,
    /// The server's HTTP base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// WebSocket clients, each subscribed to the topic (the open-file limit caps it near 19k).
    #[arg(long, default_value_t = 1000)]
    pub clients: usize,
    /// Events published per second.
    #[arg(long, default_value_t = 50)]
    pub rate: u32,
    /// How long to publish.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Size of each event's payload in bytes (the timestamp plus padding).
    #[arg(long, default_value_t = 100)]
    pub payload_bytes: usize,
    /// The server's process id, to read its memory and CPU from /proc.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// yunguan account that publishes (bureau admin or manager); clients use it too.
    #[arg(long, default_value = "manager")]
    pub username: String,
    #[arg(
        long,
        env = "YUNGUAN_DEMO_PASSWORD",
        hide_env_values = true,
        default_value = ""
    )]
    pub password: String,
    /// Connections opened at once while ramping up.
    #[arg(long, default_value_t = 200)]
    pub connect_concurrency: usize,
    /// How long to wait after the burst, the clients still connected, before reading the
    /// server's memory again (whether the burst's memory came back).
    #[arg(long, default_value_t = 15)]
    pub settle_seconds: u64,
}

/// Counters the client tasks share.
#[derive(Default)]
struct Received {
    deliveries: AtomicU64,
    resyncs: AtomicU64,
    /// Unix nanos of the latest delivery, to measure the drain.
    last_delivery_nanos: AtomicU64,
}

pub async fn run(args: Args) -> anyhow::Result<Report> {
    let target = Target::prepare(&args).await?;
    let latencies = Arc::new(LatencyShards::new(64));
    let received = Arc::new(Received::default());
    let idle_before = args.server_pid.map(ProcessSample::read).transpose()?;

    // Ramp up.
    let started_connecting = Instant::now();
    let gate = Arc::new(Semaphore::new(args.connect_concurrency.max(1)));
    let mut connecting = Vec::with_capacity(args.clients);
    for _ in 0..args.clients {
        let target = target.clone();
        let gate = gate.clone();
        connecting.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await?;
            target.connect_and_subscribe().await
        }));
    }
    let mut sockets = Vec::with_capacity(args.clients);
    for handle in connecting {
        sockets.push(handle.await.context("connect task")??);
    }
    let connect_seconds = started_connecting.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let connected = args.server_pid.map(ProcessSample::read).transpose()?;

    // Receive.
    let mut readers = Vec::with_capacity(sockets.len());
    for (client_idx, mut socket) in sockets.into_iter().enumerate() {
        let latencies = latencies.clone();
        let received = received.clone();
        readers.push(tokio::spawn(async move {
            while let Some(Ok(message)) = socket.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let now = unix_nanos();
                match stats::sent_at_nanos(text.as_bytes()) {
                    Some(sent) => {
                        latencies.record(client_idx, now.saturating_sub(sent));
                        received.deliveries.fetch_add(1, Ordering::Relaxed);
                        received
                            .last_delivery_nanos
                            .fetch_max(now, Ordering::Relaxed);
                    }
                    None if text.contains("\"resync\"") => {
                        received.resyncs.fetch_add(1, Ordering::Relaxed);
                    }
                    None => {}
                }
            }
        }));
    }

    // Publish at the set rate; a slow request does not hold back the next one.
    let busy_before = args.server_pid.map(ProcessSample::read).transpose()?;
    let peak = args.server_pid.map(PeakRss::watch);
    let first_publish_nanos = unix_nanos();
    let published = Arc::new(AtomicU64::new(0));
    let failed: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let in_flight = Arc::new(Semaphore::new(256));
    let mut ticker =
        tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(args.rate.max(1))));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let total_events = u64::from(args.rate) * args.seconds;
    let mut requests = Vec::with_capacity(total_events as usize);
    for _ in 0..total_events {
        ticker.tick().await;
        let permit = in_flight.clone().acquire_owned().await?;
        let target = target.clone();
        let published = published.clone();
        let failed = failed.clone();
        let payload_bytes = args.payload_bytes;
        requests.push(tokio::spawn(async move {
            let _permit = permit;
            match target.publish(payload_bytes).await {
                Ok(()) => {
                    published.fetch_add(1, Ordering::Relaxed);
                }
                Err(why) => *failed.lock().entry(why).or_default() += 1,
            }
        }));
    }
    for request in requests {
        request.await?;
    }

    // Drain: wait until deliveries stop for a second, or everything arrived.
    let expected = published.load(Ordering::Relaxed) * args.clients as u64;
    let mut last_count = u64::MAX;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let count = received.deliveries.load(Ordering::Relaxed);
        if count >= expected || count == last_count {
            break;
        }
        last_count = count;
    }
    let busy_after = args.server_pid.map(ProcessSample::read).transpose()?;
    let peak_rss_bytes = peak.map(PeakRss::stop);
    tokio::time::sleep(Duration::from_secs(args.settle_seconds)).await;
    let settled = args.server_pid.map(ProcessSample::read).transpose()?;
    for reader in &readers {
        reader.abort();
    }

    let deliveries = received.deliveries.load(Ordering::Relaxed);
    let publish_failures = std::mem::take(&mut *failed.lock());
    let last_delivery = received.last_delivery_nanos.load(Ordering::Relaxed);
    let window_seconds = (last_delivery.saturating_sub(first_publish_nanos)) as f64 / 1e9;
    Ok(Report::new(
        &args,
        stats::Counts {
            connect_seconds,
            published: published.load(Ordering::Relaxed),
            publish_failures,
            deliveries,
            expected_deliveries: expected,
            resyncs: received.resyncs.load(Ordering::Relaxed),
            window_seconds,
        },
        latencies.merged(),
        stats::ServerUse::from_samples(
            args.clients,
            stats::Samples {
                idle_before,
                connected,
                busy_before,
                busy_after,
                peak_rss_bytes,
                settled,
            },
        ),
    ))
}

/// The largest RSS of the server, read every 100 ms until stopped.
struct PeakRss {
    peak_bytes: Arc<AtomicU64>,
    reader: tokio::task::JoinHandle<()>,
}

impl PeakRss {
    fn watch(pid: u32) -> PeakRss {
        let peak_bytes = Arc::new(AtomicU64::new(0));
        let peak = peak_bytes.clone();
        let reader = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(100));
            loop {
                every.tick().await;
                if let Ok(sample) = ProcessSample::read(pid) {
                    peak.fetch_max(sample.rss_bytes, Ordering::Relaxed);
                }
            }
        });
        PeakRss { peak_bytes, reader }
    }

    fn stop(self) -> u64 {
        self.reader.abort();
        self.peak_bytes.load(Ordering::Relaxed)
    }
}
