//! An OpenStack-shaped cloud served over HTTP, for yunguan's OpenStack adapter: Keystone v3
//! tokens with a service catalog, Nova (hypervisors, servers, flavors, diagnostics), Neutron
//! networks and Cinder volumes, with realistic latencies and injectable failures.
//!
//! It runs in its own thread with its own actix system, so tests on any runtime and
//! `yunguan-openstack-sim` start it the same way: [`OpenStackSim::start`], then talk to
//! [`OpenStackSim::auth_url`]. The handle also injects faults (`fail_next`, failing builds,
//! Keystone down, tokens expired) and stops the server when dropped.
//!
//! # Layout
//! - `state.rs`: the cloud itself (placement, builds and resizes that finish after a delay,
//!   utilization drift, tokens); no HTTP.
//! - `faults.rs`: the middleware every request passes: latency, injected failures, Keystone
//!   outages, token checks, and OpenStack-style error bodies.
//! - `keystone.rs`, `nova.rs`, `neutron_cinder.rs`: the APIs, wire formats built here.
//!
//! What it leaves out: Glance (any `imageRef` is accepted), microversion negotiation (it
//! answers as Nova 2.47+ does, with the flavor embedded in each server), live migration,
//! revertResize, and all of Keystone but password authentication of one configured user.

mod faults;
mod keystone;
mod neutron_cinder;
mod nova;
mod state;

use std::net::{SocketAddr, TcpListener};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use chrono::Utc;
use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::SeedableRng;

use state::CloudState;

/// The one user Keystone knows, and the project it is scoped to.
#[derive(Clone)]
pub struct SimCredentials {
    pub username: String,
    pub password: String,
    pub user_domain: String,
    pub project: String,
    pub project_domain: String,
}

impl std::fmt::Debug for SimCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCredentials")
            .field("username", &self.username)
            .field("user_domain", &self.user_domain)
            .field("project", &self.project)
            .field("project_domain", &self.project_domain)
            .finish_non_exhaustive()
    }
}

/// How the simulated cloud is built and behaves.
#[derive(Debug, Clone)]
pub struct OpenStackSimConfig {
    /// Where to listen; port 0 picks a free port (tests).
    pub listen: SocketAddr,
    pub n_hypervisors: usize,
    /// Servers already running when it starts.
    pub n_servers: usize,
    /// Each request waits a delay drawn from this range, in milliseconds.
    pub latency_ms: RangeInclusive<u64>,
    /// The share of requests answered with a 500, from 0 to 1.
    pub failure_rate: f64,
    /// How long a server takes from BUILD to ACTIVE, in milliseconds.
    pub build_time_ms: RangeInclusive<u64>,
    /// How long a resize takes to reach VERIFY_RESIZE, in milliseconds.
    pub resize_time_ms: RangeInclusive<u64>,
    /// How long a Keystone token is valid.
    pub token_ttl: Duration,
    /// How often utilization moves.
    pub utilization_tick: Duration,
    /// Seeds every random choice: ids, placement, latencies, failures, utilization.
    pub seed: u64,
    pub credentials: SimCredentials,
}

impl Default for OpenStackSimConfig {
    /// A small cloud with a region's usual pace: 4 hypervisors, 20 servers, 20-150 ms per
    /// call, builds of 2-6 s, no failures, one-hour tokens.
    fn default() -> OpenStackSimConfig {
        OpenStackSimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            n_hypervisors: 4,
            n_servers: 20,
            latency_ms: 20..=150,
            failure_rate: 0.0,
            build_time_ms: 2000..=6000,
            resize_time_ms: 1000..=3000,
            token_ttl: Duration::from_secs(3600),
            utilization_tick: Duration::from_secs(5),
            seed: 42,
            credentials: SimCredentials {
                username: "yunguan".to_owned(),
                password: "yunguan-sim-password".to_owned(),
                user_domain: "Default".to_owned(),
                project: "yunguan".to_owned(),
                project_domain: "Default".to_owned(),
            },
        }
    }
}

/// A server as the simulator holds it, for tests' assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimServer {
    pub id: String,
    pub name: String,
    /// Nova's status: BUILD, ACTIVE, RESIZE, VERIFY_RESIZE, ERROR or DELETED.
    pub status: String,
    pub vcpus: i64,
    pub ram_mb: i64,
    pub disk_gb: i64,
    pub hypervisor_hostname_opt: Option<String>,
    pub metadata: std::collections::BTreeMap<String, String>,
}

/// An active server's load, for tests' assertions: CPU as its diagnostics report it (the
/// average of its cores), memory before its diagnostics round it to whole MiB, and the rates
/// its counters grow at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimUtilization {
    pub cpu_percent: f64,
    pub memory_percent: f64,
    pub disk_read_bytes_per_sec: f64,
    pub disk_write_bytes_per_sec: f64,
    pub received_bytes_per_sec: f64,
    pub sent_bytes_per_sec: f64,
}

/// What every handler shares.
pub(crate) struct Shared {
    pub(crate) config: OpenStackSimConfig,
    pub(crate) state: Mutex<CloudState>,
    /// The project's id, which Cinder's URLs carry.
    pub(crate) project_id: String,
    pub(crate) user_id: String,
    /// Draws latencies and random failures, apart from the cloud's own generator so that
    /// the cloud evolves the same whatever the traffic.
    pub(crate) fault_rng: Mutex<StdRng>,
    pub(crate) forced_failures: AtomicU32,
    pub(crate) keystone_down: AtomicBool,
    /// The failure rate now (tests change it while running).
    pub(crate) failure_rate: Mutex<f64>,
}

impl Shared {
    /// The cloud, with whatever became due applied.
    pub(crate) fn settled(&self) -> parking_lot::MutexGuard<'_, CloudState> {
        let mut state = self.state.lock();
        state.settle(Utc::now());
        state
    }
}

/// A running simulator. Dropping it stops the server.
pub struct OpenStackSim {
    base_url: String,
    shared: web::Data<Shared>,
    server: ServerHandle,
    thread_opt: Option<JoinHandle<()>>,
}

impl OpenStackSim {
    /// Binds `config.listen` and serves on a thread of its own.
    pub fn start(config: OpenStackSimConfig) -> std::io::Result<OpenStackSim> {
        let listener = TcpListener::bind(config.listen)?;
        let address = listener.local_addr()?;
        let host = if address.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            address.ip().to_string()
        };
        let base_url = format!("http://{host}:{}", address.port());
        let now = Utc::now();
        let mut state = CloudState::new(
            config.seed,
            state::Timings {
                build_time_ms: config.build_time_ms.clone(),
                resize_time_ms: config.resize_time_ms.clone(),
                utilization_tick: config.utilization_tick,
                token_ttl: config.token_ttl,
            },
            config.n_hypervisors,
            config.n_servers,
            now,
        );
        let project_id = state.uuid().replace('-', "");
        let user_id = state.uuid().replace('-', "");
        let shared = web::Data::new(Shared {
            fault_rng: Mutex::new(StdRng::seed_from_u64(config.seed.wrapping_add(1))),
            failure_rate: Mutex::new(config.failure_rate),
            config,
            state: Mutex::new(state),
            project_id,
            user_id,
            forced_failures: AtomicU32::new(0),
            keystone_down: AtomicBool::new(false),
        });
        let server_shared = shared.clone();
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("openstack-sim".to_owned())
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let server = HttpServer::new(move || {
                        App::new()
                            .app_data(server_shared.clone())
                            .app_data(web::JsonConfig::default().error_handler(faults::json_error))
                            .wrap(from_fn(faults::faults))
                            .configure(keystone::configure)
                            .configure(nova::configure)
                            .configure(neutron_cinder::configure)
                    })
                    .workers(1)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .listen(listener);
                    match server {
                        Ok(server) => {
                            let server = server.run();
                            let _ = started_tx.send(Ok(server.handle()));
                            let _ = server.await;
                        }
                        Err(error) => {
                            let _ = started_tx.send(Err(error));
                        }
                    }
                })
            })?;
        let server = started_rx
            .recv()
            .map_err(|_| std::io::Error::other("the simulator thread ended before serving"))??;
        Ok(OpenStackSim {
            base_url,
            shared,
            server,
            thread_opt: Some(thread),
        })
    }

    /// `http://host:port`, the root of every API.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Keystone's v3 root, as a client is configured with it.
    pub fn auth_url(&self) -> String {
        format!("{}/identity/v3", self.base_url)
    }

    pub fn credentials(&self) -> &SimCredentials {
        &self.shared.config.credentials
    }

    /// Answers the next `count` requests (of any API) with a 500.
    pub fn fail_next(&self, count: u32) {
        self.shared.forced_failures.store(count, Ordering::SeqCst);
    }

    /// Changes the share of requests answered with a 500.
    pub fn set_failure_rate(&self, failure_rate: f64) {
        *self.shared.failure_rate.lock() = failure_rate;
    }

    /// Makes the next `count` server builds end in ERROR.
    pub fn fail_next_builds(&self, count: u32) {
        self.shared.state.lock().builds_to_fail = count;
    }

    /// Keystone answers 503 while unavailable; tokens already issued keep working.
    pub fn set_keystone_available(&self, available: bool) {
        self.shared
            .keystone_down
            .store(!available, Ordering::SeqCst);
    }

    /// Revokes every token issued so far, as an expiry or a Keystone restart would.
    pub fn expire_tokens(&self) {
        self.shared.state.lock().tokens.clear();
    }

    /// Tokens issued since the start.
    pub fn tokens_issued(&self) -> u64 {
        self.shared.state.lock().tokens_issued
    }

    /// Every server not deleted, in id order.
    pub fn servers(&self) -> Vec<SimServer> {
        let state = self.shared.settled();
        state
            .servers
            .values()
            .filter(|s| s.status != state::ServerStatus::Deleted)
            .map(|s| SimServer {
                id: s.id.clone(),
                name: s.name.clone(),
                status: s.status.as_str().to_owned(),
                vcpus: s.flavor.vcpus,
                ram_mb: s.flavor.ram_mb,
                disk_gb: s.flavor.disk_gb,
                hypervisor_hostname_opt: s
                    .hypervisor_idx_opt
                    .map(|idx| state.hypervisors[idx].hostname.clone()),
                metadata: s.metadata.clone(),
            })
            .collect()
    }

    /// How busy an active server is now, as its diagnostics report it: `None` for a server
    /// that is not active or not there.
    pub fn utilization(&self, server_id: &str) -> Option<SimUtilization> {
        let state = self.shared.settled();
        let server = state
            .servers
            .get(server_id)
            .filter(|s| s.status == state::ServerStatus::Active)?;
        let rates = server.io_rates();
        let cores = server.core_utilisation();
        Some(SimUtilization {
            cpu_percent: cores.iter().sum::<f64>() / cores.len().max(1) as f64,
            memory_percent: server.memory_used_fraction * 100.0,
            disk_read_bytes_per_sec: rates.disk_read,
            disk_write_bytes_per_sec: rates.disk_write,
            received_bytes_per_sec: rates.received,
            sent_bytes_per_sec: rates.sent,
        })
    }

    /// Stops serving and waits for the server to end.
    pub async fn stop(mut self) {
        self.server.stop(true).await;
        if let Some(thread) = self.thread_opt.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

impl Drop for OpenStackSim {
    fn drop(&mut self) {
        // Sends the stop command at once; the thread ends on its own.
        drop(self.server.stop(false));
    }
}
