//! `yunguan-loadgen`: see `yunguan_simulators::loadgen`.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = yunguan_simulators::loadgen::Args::parse();
    let report = yunguan_simulators::loadgen::run(args).await?;
    println!("{}", report.to_text());
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
