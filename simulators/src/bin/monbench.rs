//! `yunguan-monbench`: see `yunguan_simulators::monbench`.

use clap::Parser;
use yunguan_simulators::monbench::{blast, fleet, inventory, latency, Args, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Args::parse().command {
        Command::Fleet(args) => fleet::run(args).await,
        Command::Blast(args) => blast::run(args).await,
        Command::Inventory(args) => {
            println!("{}", inventory::document(&args));
            Ok(())
        }
        Command::Latency(args) => latency::run(args).await,
    }
}
