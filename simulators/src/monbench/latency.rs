//! `monbench latency`: serves the fleet yunguan polls, takes links down and up on a set of
//! devices, and times each change from the moment the fleet applies it (and sends its trap,
//! unless `--no-traps`) to the `device.state` event on a socket subscribed to the device.
//! Devices flap in parallel, each one link at a time, so that a run without traps (where
//! each change waits for the next poll) takes a few intervals, not one per change.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use parking_lot::Mutex;
use rand::Rng;
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

use crate::snmp::{Fleet, FleetConfig};

#[derive(Debug, Clone, Args)]
pub struct LatencyArgs {
    /// yunguan's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    #[arg(long, default_value = "admin")]
    pub username: String,
    #[arg(long, env = "YUNGUAN_BENCH_PASSWORD")]
    pub password: String,
    /// Where the fleet listens (the address the inventory names).
    #[arg(long, default_value = "127.0.0.1:16100")]
    pub bind: SocketAddr,
    /// Devices in the fleet (as imported).
    #[arg(long, default_value_t = 1000)]
    pub devices: usize,
    #[arg(long, default_value = "sim-")]
    pub community_prefix: String,
    /// yunguan's trap listener.
    #[arg(long, default_value = "127.0.0.1:10162")]
    pub trap_to: SocketAddr,
    /// Leave the changes to the polls.
    #[arg(long)]
    pub no_traps: bool,
    /// Devices that flap (at most 60: one socket's subscriptions).
    #[arg(long, default_value_t = 50)]
    pub flapping_devices: usize,
    /// Downs per device (each followed by an up).
    #[arg(long, default_value_t = 10)]
    pub rounds: usize,
    /// How long to wait for one event.
    #[arg(long, default_value_t = 30)]
    pub timeout_secs: u64,
}

type Waiters = Arc<Mutex<HashMap<(i64, u32, bool), oneshot::Sender<Instant>>>>;

pub async fn run(args: LatencyArgs) -> anyhow::Result<()> {
    let fleet = Arc::new(
        Fleet::start(FleetConfig {
            bind: args.bind,
            n_devices: args.devices,
            community_prefix: args.community_prefix.clone(),
            seed: 1,
            n_workers: 1,
        })
        .await?,
    );
    if !args.no_traps {
        fleet.send_traps_to(args.trap_to);
    }
    let http = reqwest::Client::new();
    let api = format!("{}/api/v1", args.url.trim_end_matches('/'));
    let login: Value = http
        .post(format!("{api}/auth/login"))
        .json(&json!({"username": args.username, "password": args.password}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["token"].as_str().context("no token")?.to_owned();
    // Device ids by name, for the devices that will flap.
    let flapping: Vec<usize> = (0..args.devices)
        .step_by((args.devices / args.flapping_devices.max(1)).max(1))
        .take(args.flapping_devices.min(60))
        .collect();
    let wanted: HashMap<String, usize> = flapping
        .iter()
        .map(|idx| {
            (
                crate::snmp::fleet::device_name(crate::snmp::fleet::kind_of(*idx), *idx),
                *idx,
            )
        })
        .collect();
    let mut ids: HashMap<usize, i64> = HashMap::new();
    let mut offset = 0;
    while ids.len() < wanted.len() {
        let page: Vec<Value> = http
            .get(format!("{api}/devices?limit=200&offset={offset}"))
            .bearer_auth(&token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if page.is_empty() {
            bail!(
                "only {} of the flapping devices are in the inventory",
                ids.len()
            );
        }
        for device in &page {
            if let (Some(name), Some(id)) = (device["name"].as_str(), device["id"].as_i64()) {
                if let Some(idx) = wanted.get(name) {
                    ids.insert(*idx, id);
                }
            }
        }
        offset += page.len();
    }
    let ticket: Value = http
        .post(format!("{api}/ws/ticket"))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let ws_url = format!(
        "{}/ws?ticket={}",
        api.replacen("http", "ws", 1),
        ticket["ticket"].as_str().context("no ticket")?
    );
    let (socket, _) = tokio_tungstenite::connect_async(ws_url).await?;
    let (mut sink, mut stream) = socket.split();
    for id in ids.values() {
        sink.send(Message::text(
            json!({"op": "subscribe", "topic": format!("device/{id}")}).to_string(),
        ))
        .await?;
    }
    let waiters: Waiters = Arc::default();
    let sampled: Arc<Mutex<HashMap<i64, u32>>> = Arc::default();
    let reader_waiters = waiters.clone();
    let reader_sampled = sampled.clone();
    tokio::spawn(async move {
        while let Some(Ok(message)) = stream.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            let at = Instant::now();
            let Ok(frame) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            let data = &frame["data"];
            let Some(device_id) = data["device_id"].as_i64() else {
                continue;
            };
            match frame["kind"].as_str() {
                Some("device.sample") => {
                    // The interfaces this device has, as last polled.
                    let n = data["interfaces"].as_array().map_or(0, |a| a.len()) as u32;
                    reader_sampled.lock().insert(device_id, n);
                }
                Some("device.state") => {
                    let up = match data["change"].as_str() {
                        Some("interface_up") => true,
                        Some("interface_down") => false,
                        _ => continue,
                    };
                    let Some(if_index) = data["if_index"].as_u64() else {
                        continue;
                    };
                    if let Some(waiter) =
                        reader_waiters
                            .lock()
                            .remove(&(device_id, if_index as u32, up))
                    {
                        let _ = waiter.send(at);
                    }
                }
                _ => {}
            }
        }
    });
    // Every flapping device must have been polled once, so that it knows its interfaces.
    let deadline = Instant::now() + Duration::from_secs(args.timeout_secs * 3);
    while sampled.lock().len() < ids.len() {
        if Instant::now() > deadline {
            bail!(
                "only {} of {} devices were polled in time",
                sampled.lock().len(),
                ids.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "{} devices polled; flapping {} rounds each",
        ids.len(),
        args.rounds
    );
    let histogram = Arc::new(Mutex::new(Histogram::<u64>::new(3)?));
    let timeouts = Arc::new(Mutex::new(0u64));
    let mut tasks = Vec::new();
    for (idx, device_id) in ids.clone() {
        let fleet = fleet.clone();
        let waiters = waiters.clone();
        let histogram = histogram.clone();
        let timeouts = timeouts.clone();
        let n_interfaces = sampled.lock().get(&device_id).copied().unwrap_or(1).max(1);
        let args = args.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..args.rounds {
                let if_index = rand::thread_rng().gen_range(1..=n_interfaces);
                for up in [false, true] {
                    let (waiter_tx, waiter_rx) = oneshot::channel();
                    waiters.lock().insert((device_id, if_index, up), waiter_tx);
                    let changed_at = Instant::now();
                    fleet.set_link(idx, if_index, up).await;
                    match tokio::time::timeout(Duration::from_secs(args.timeout_secs), waiter_rx)
                        .await
                    {
                        Ok(Ok(at)) if !up => {
                            let micros =
                                at.saturating_duration_since(changed_at).as_micros() as u64;
                            let _ = histogram.lock().record(micros.max(1));
                        }
                        Ok(Ok(_)) => {}
                        _ => *timeouts.lock() += 1,
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let histogram = histogram.lock();
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "{}",
        json!({
            "traps": !args.no_traps,
            "link_downs_timed": histogram.len(),
            "timeouts": *timeouts.lock(),
            "p50_ms": ms(0.5),
            "p90_ms": ms(0.9),
            "p99_ms": ms(0.99),
            "max_ms": histogram.max() as f64 / 1000.0,
        })
    );
    Ok(())
}
