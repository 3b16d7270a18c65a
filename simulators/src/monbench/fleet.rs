//! `monbench fleet`: serve the fleet and report its throughput and CPU.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::json;

use crate::loadgen::stats::ProcessSample;
use crate::snmp::fleet::{standard_cable_count, standard_cabling};
use crate::snmp::{Fleet, FleetConfig};

#[derive(Debug, Clone, Args)]
pub struct FleetArgs {
    #[arg(long, default_value = "127.0.0.1:16100")]
    pub bind: SocketAddr,
    #[arg(long, default_value_t = 1000)]
    pub devices: usize,
    #[arg(long, default_value = "sim-")]
    pub community_prefix: String,
    /// Tasks answering on the socket.
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    /// Where to send traps (yunguan's trap listener).
    #[arg(long)]
    pub trap_to: Option<SocketAddr>,
    #[arg(long, default_value_t = 10)]
    pub report_secs: u64,
    /// Cable the fleet for LLDP (`snmp::fleet::standard_cabling`).
    #[arg(long)]
    pub lldp: bool,
}

pub async fn run(args: FleetArgs) -> anyhow::Result<()> {
    let fleet = Fleet::start(FleetConfig {
        bind: args.bind,
        n_devices: args.devices,
        community_prefix: args.community_prefix.clone(),
        seed: 1,
        n_workers: args.workers,
    })
    .await?;
    if let Some(sink) = args.trap_to {
        fleet.send_traps_to(sink);
    }
    if args.lldp {
        fleet.set_neighbors(&standard_cabling(args.devices));
        eprintln!(
            "cabled for LLDP: {} cables",
            standard_cable_count(args.devices)
        );
    }
    eprintln!(
        "fleet of {} devices on {} (communities {}0..)",
        args.devices,
        fleet.local_addr(),
        args.community_prefix
    );
    let pid = std::process::id();
    let ticks_per_second = 100.0;
    let mut last = (Instant::now(), 0u64, 0u64, ProcessSample::read(pid)?);
    loop {
        tokio::time::sleep(Duration::from_secs(args.report_secs)).await;
        let now = Instant::now();
        let varbinds = fleet.stats().varbinds.load(Ordering::Relaxed);
        let requests = fleet.stats().requests.load(Ordering::Relaxed);
        let sample = ProcessSample::read(pid)?;
        let seconds = now.duration_since(last.0).as_secs_f64();
        let cpu_cores = (sample.cpu_ticks - last.3.cpu_ticks) as f64 / ticks_per_second / seconds;
        let varbinds_per_sec = (varbinds - last.1) as f64 / seconds;
        println!(
            "{}",
            json!({
                "varbinds_per_sec": varbinds_per_sec.round(),
                "requests_per_sec": ((requests - last.2) as f64 / seconds).round(),
                "cpu_cores": (cpu_cores * 1000.0).round() / 1000.0,
                "varbinds_per_cpu_second": if cpu_cores > 0.0 { (varbinds_per_sec / cpu_cores).round() } else { 0.0 },
                "dropped": fleet.stats().dropped.load(Ordering::Relaxed),
                "rss_mib": sample.rss_bytes / (1024 * 1024),
            })
        );
        last = (now, varbinds, requests, sample);
    }
}
