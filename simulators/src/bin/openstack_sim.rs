//! `yunguan-openstack-sim`: an OpenStack-shaped cloud on a port (see
//! `yunguan_simulators::openstack`), until Ctrl-C.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::Parser;
use yunguan_simulators::openstack::{OpenStackSim, OpenStackSimConfig};

#[derive(Debug, Parser)]
#[command(
    name = "yunguan-openstack-sim",
    about = "Simulated OpenStack (Keystone v3, Nova, Neutron, Cinder) for yunguan"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 5000)]
    port: u16,
    #[arg(long, default_value_t = 4)]
    hypervisors: usize,
    /// Servers already running at start.
    #[arg(long, default_value_t = 20)]
    vms: usize,
    /// Each request takes between --min-latency-ms and --max-latency-ms.
    #[arg(long, default_value_t = 20)]
    min_latency_ms: u64,
    #[arg(long, default_value_t = 150)]
    max_latency_ms: u64,
    /// Share of requests answered with a 500, from 0 to 1.
    #[arg(long, default_value_t = 0.0)]
    failure_rate: f64,
    /// Milliseconds a server takes to build.
    #[arg(long, default_value_t = 4000)]
    build_ms: u64,
    #[arg(long, default_value_t = 3600)]
    token_ttl_secs: u64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The password Keystone accepts for the user `--username`.
    #[arg(long, env = "OPENSTACK_SIM_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    #[arg(long, default_value = "yunguan")]
    username: String,
    #[arg(long, default_value = "yunguan")]
    project: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut config = OpenStackSimConfig {
        listen: SocketAddr::new(args.host, args.port),
        n_hypervisors: args.hypervisors,
        n_servers: args.vms,
        latency_ms: args.min_latency_ms..=args.max_latency_ms.max(args.min_latency_ms),
        failure_rate: args.failure_rate,
        build_time_ms: args.build_ms / 2..=args.build_ms,
        token_ttl: Duration::from_secs(args.token_ttl_secs),
        seed: args.seed,
        ..OpenStackSimConfig::default()
    };
    config.credentials.username = args.username;
    config.credentials.project = args.project;
    if let Some(password) = args.password {
        config.credentials.password = password;
    }
    let sim = OpenStackSim::start(config)?;
    let credentials = sim.credentials();
    println!("keystone v3 on {}", sim.auth_url());
    println!(
        "user {} (domain {}), project {} (domain {}); password from --password or \
         $OPENSTACK_SIM_PASSWORD, else the built-in default",
        credentials.username,
        credentials.user_domain,
        credentials.project,
        credentials.project_domain
    );
    tokio::signal::ctrl_c().await?;
    sim.stop().await;
    Ok(())
}
