//! `yunguan-monbench`: the monitoring benchmarks' tools, over the network only.
//!
//! - `fleet`: serves the SNMP agent fleet and reports, every few seconds, the varbinds it
//!   answered and the CPU it used: run alone under a blaster, that is its own ceiling; under
//!   yunguan, it shows what yunguan asked for.
//! - `blast`: asks a fleet for interface tables as fast as it answers, like a poller that
//!   does nothing with the answers.
//! - `inventory`: writes the inventory import (data centers, devices) that points yunguan at
//!   a fleet.
//! - `latency`: serves a fleet that yunguan polls, takes links down, and times the
//!   `device.state` event on a subscribed socket, with traps or without.

pub mod blast;
pub mod fleet;
pub mod inventory;
pub mod latency;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "yunguan-monbench", about = "Monitoring benchmarks for yunguan")]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Fleet(fleet::FleetArgs),
    Blast(blast::BlastArgs),
    Inventory(inventory::InventoryArgs),
    Latency(latency::LatencyArgs),
}
