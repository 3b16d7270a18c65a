//! `yunguan-ticketbench`: see `yunguan_simulators::ticketbench`.

use clap::Parser;
use yunguan_simulators::ticketbench::{latency, throughput, Args, Bench};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Args::parse().bench {
        Bench::Latency(args) => {
            let report = latency::run(args).await?;
            println!("{}", report.to_text());
            println!("{}", serde_json::to_string(&report)?);
        }
        Bench::Throughput(args) => {
            let report = throughput::run(args).await?;
            println!("{}", report.to_text());
            println!("{}", serde_json::to_string(&report)?);
        }
    }
    Ok(())
}
