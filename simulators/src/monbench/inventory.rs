//! `monbench inventory`: the inventory import (`POST /api/v1/inventory/import`) that points
//! yunguan at a fleet: data centers, then the fleet's devices spread over them, by name and
//! community. An import holds at most 10,000 rows, so larger fleets are written in parts
//! (`--offset`, `--count`).

use std::net::SocketAddr;

use clap::Args;
use serde_json::{json, Value};

use crate::snmp::profile::DeviceKind;

#[derive(Debug, Clone, Args)]
pub struct InventoryArgs {
    /// The fleet's address, as yunguan reaches it.
    #[arg(long, default_value = "127.0.0.1:16100")]
    pub fleet: SocketAddr,
    #[arg(long, default_value_t = 1000)]
    pub devices: usize,
    #[arg(long, default_value = "sim-")]
    pub community_prefix: String,
    #[arg(long, default_value_t = 3)]
    pub data_centers: usize,
    #[arg(long, default_value_t = 60)]
    pub poll_interval_secs: u32,
    /// The first device of this part.
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Devices in this part (default: all from the offset).
    #[arg(long)]
    pub count: Option<usize>,
}

/// The data centers' codes, `dc-1` ...
pub fn data_center_code(idx: usize) -> String {
    format!("dc-{}", idx + 1)
}

pub fn document(args: &InventoryArgs) -> Value {
    let data_centers: Vec<Value> = (0..args.data_centers.max(1))
        .map(|idx| {
            json!({
                "code": data_center_code(idx),
                "name": format!("政务云数据中心 {}", idx + 1),
                "region": "simulated",
                "address": "",
            })
        })
        .collect();
    let end = args.count.map_or(args.devices, |count| {
        (args.offset + count).min(args.devices)
    });
    let devices: Vec<Value> = (args.offset..end)
        .map(|idx| {
            let kind = crate::snmp::fleet::kind_of(idx);
            let tier = match kind {
                DeviceKind::Router => "core",
                DeviceKind::Switch | DeviceKind::Firewall | DeviceKind::LoadBalancer => "access",
                DeviceKind::Server | DeviceKind::StorageArray => "host",
            };
            json!({
                "data_center_code": data_center_code(idx % args.data_centers.max(1)),
                "name": crate::snmp::fleet::device_name(kind, idx),
                "kind": kind.as_str(),
                "vendor": "simulated",
                "model": kind.as_str(),
                "tier": tier,
                "management_address": args.fleet.to_string(),
                "credentials": {"version": "v2c", "community": format!("{}{idx}", args.community_prefix)},
                "poll_interval_secs": args.poll_interval_secs,
            })
        })
        .collect();
    json!({"data_centers": data_centers, "devices": devices})
}
