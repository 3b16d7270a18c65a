//! The simulated cloud behind the OpenStack APIs: hypervisors, servers, flavors, networks,
//! volumes and Keystone tokens, and the rules that move them (placement, builds and resizes
//! that finish after a delay, utilization that drifts). No HTTP here: every operation takes
//! the current time, so the rules are plain functions of the state.
//!
//! Pending transitions (a build, a resize) are settled lazily: [`CloudState::settle`] runs
//! before every request and applies whatever became due, stamping `updated` with the moment
//! it was due, so `changes-since` sees each change exactly once, after it happened.

use std::collections::{BTreeMap, HashMap};
use std::ops::RangeInclusive;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// vCPUs a hypervisor may promise per physical core (Nova's `cpu_allocation_ratio`).
pub const CPU_ALLOCATION_RATIO: f64 = 4.0;

/// Utilization steps applied at most per settle, so a long idle gap costs little.
const MAX_UTILIZATION_STEPS: u64 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flavor {
    pub id: String,
    pub name: String,
    pub vcpus: i64,
    pub ram_mb: i64,
    pub disk_gb: i64,
}

#[derive(Debug, Clone)]
pub struct Hypervisor {
    pub id: i64,
    pub hostname: String,
    pub host_ip: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub local_gb: i64,
    pub vcpus_used: i64,
    pub memory_mb_used: i64,
    pub local_gb_used: i64,
    pub running_vms: i64,
    /// The load of the host itself (hypervisor, agents), under that of its servers.
    pub base_cpu_util: f64,
}

impl Hypervisor {
    fn fits(&self, vcpus: i64, ram_mb: i64, disk_gb: i64) -> bool {
        (self.vcpus_used + vcpus) as f64 <= self.vcpus as f64 * CPU_ALLOCATION_RATIO
            && self.memory_mb_used + ram_mb <= self.memory_mb
            && self.local_gb_used + disk_gb <= self.local_gb
    }

    fn claim(&mut self, vcpus: i64, ram_mb: i64, disk_gb: i64, vms: i64) {
        self.vcpus_used += vcpus;
        self.memory_mb_used += ram_mb;
        self.local_gb_used += disk_gb;
        self.running_vms += vms;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerStatus {
    Build,
    Active,
    Resize,
    VerifyResize,
    Error,
    Deleted,
}

impl ServerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ServerStatus::Build => "BUILD",
            ServerStatus::Active => "ACTIVE",
            ServerStatus::Resize => "RESIZE",
            ServerStatus::VerifyResize => "VERIFY_RESIZE",
            ServerStatus::Error => "ERROR",
            ServerStatus::Deleted => "DELETED",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Server {
    pub id: String,
    pub name: String,
    pub status: ServerStatus,
    pub flavor: Flavor,
    /// The flavor before a resize, until it is confirmed.
    pub previous_flavor_opt: Option<Flavor>,
    pub image_ref: String,
    /// Networks asked for at creation; addresses on them are assigned when the build ends.
    pub network_names: Vec<String>,
    /// (network name, IPv4 address).
    pub addresses: Vec<(String, String)>,
    pub metadata: BTreeMap<String, String>,
    pub hypervisor_idx_opt: Option<usize>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub launched_at_opt: Option<DateTime<Utc>>,
    /// When the pending build or resize finishes.
    pub transition_at_opt: Option<DateTime<Utc>>,
    /// The build was chosen to fail (an injected fault).
    pub build_fails: bool,
    pub fault_opt: Option<String>,
    /// Percent of its vCPUs in use.
    pub cpu_util: f64,
    /// Share of its memory in use, 0 to 1.
    pub memory_used_fraction: f64,
    /// Bytes read and written on its disk, received and sent on its NICs, since it was
    /// launched: Nova's diagnostics counters.
    pub io: ServerIo,
}

/// A server's I/O counters, in bytes (fractional, so that slow rates add up exactly).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ServerIo {
    pub disk_read: f64,
    pub disk_write: f64,
    pub received: f64,
    pub sent: f64,
}

impl Server {
    /// Each vCPU's utilization in whole percent: its cores differ a little around its
    /// average.
    pub fn core_utilisation(&self) -> Vec<f64> {
        (0..self.flavor.vcpus)
            .map(|index| {
                let spread = ((index * 7) % 11 - 5) as f64;
                (self.cpu_util + spread).clamp(0.0, 100.0).round()
            })
            .collect()
    }

    /// How fast its counters grow now, in bytes per second: a busier server moves more.
    pub fn io_rates(&self) -> ServerIo {
        let received = 20_000.0 + self.cpu_util * 4_000.0;
        let disk_read = 8_000.0 + self.cpu_util * 1_000.0;
        ServerIo {
            disk_read,
            disk_write: disk_read * 1.5,
            received,
            sent: received * 0.6,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Network {
    pub id: String,
    pub name: String,
    pub cidr: String,
    pub shared: bool,
    pub subnet_id: String,
}

#[derive(Debug, Clone)]
pub struct Volume {
    pub id: String,
    pub name: String,
    pub size_gb: i64,
    pub attached_server_id_opt: Option<String>,
    pub created: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub expires_at: DateTime<Utc>,
    pub issued_at: DateTime<Utc>,
}

/// What a server request asks for.
#[derive(Debug, Clone)]
pub struct NewServer {
    pub name: String,
    pub flavor_ref: String,
    pub image_ref: String,
    pub network_ids: Vec<String>,
    pub metadata: BTreeMap<String, String>,
    /// The hypervisor asked for (Nova 2.74's `hypervisor_hostname`): the server goes there
    /// or, without room there, to ERROR; never elsewhere.
    pub hypervisor_opt: Option<String>,
}

/// A refused request: the HTTP status and Nova's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotFound(String),
    BadRequest(String),
    Conflict(String),
}

/// How long simulated operations take.
#[derive(Debug, Clone)]
pub struct Timings {
    pub build_time_ms: RangeInclusive<u64>,
    pub resize_time_ms: RangeInclusive<u64>,
    pub utilization_tick: Duration,
    pub token_ttl: Duration,
}

#[derive(Debug)]
pub struct CloudState {
    rng: StdRng,
    timings: Timings,
    pub flavors: Vec<Flavor>,
    pub hypervisors: Vec<Hypervisor>,
    /// By id, deleted ones included (Nova keeps them for `changes-since`); the id order is
    /// the paging order.
    pub servers: BTreeMap<String, Server>,
    pub networks: Vec<Network>,
    pub volumes: Vec<Volume>,
    pub tokens: HashMap<String, Token>,
    pub tokens_issued: u64,
    /// Builds still to fail, whatever else happens (an injected fault).
    pub builds_to_fail: u32,
    last_utilization_step_at: DateTime<Utc>,
    /// Until when servers' I/O counters have been counted.
    io_counted_until: DateTime<Utc>,
    next_address: u32,
}

fn ms(millis: u64) -> chrono::Duration {
    chrono::Duration::milliseconds(millis as i64)
}

impl CloudState {
    /// A cloud of `n_hypervisors` hosts already running `n_servers` servers.
    pub fn new(
        seed: u64,
        timings: Timings,
        n_hypervisors: usize,
        n_servers: usize,
        now: DateTime<Utc>,
    ) -> CloudState {
        let mut state = CloudState {
            rng: StdRng::seed_from_u64(seed),
            timings,
            flavors: standard_flavors(),
            hypervisors: Vec::new(),
            servers: BTreeMap::new(),
            networks: Vec::new(),
            volumes: Vec::new(),
            tokens: HashMap::new(),
            tokens_issued: 0,
            builds_to_fail: 0,
            last_utilization_step_at: now,
            io_counted_until: now,
            next_address: 10,
        };
        for index in 0..n_hypervisors {
            let base_cpu_util = state.rng.gen_range(1.0..5.0);
            state.hypervisors.push(Hypervisor {
                id: index as i64 + 1,
                hostname: format!("compute-{:02}.cloud.local", index + 1),
                host_ip: format!("192.168.10.{}", 11 + index % 240),
                vcpus: 64,
                memory_mb: 256 * 1024,
                local_gb: 4000,
                vcpus_used: 0,
                memory_mb_used: 0,
                local_gb_used: 0,
                running_vms: 0,
                base_cpu_util,
            });
        }
        for (name, cidr) in [
            ("gov-intranet", "10.10.0.0/16"),
            ("gov-extranet", "10.20.0.0/16"),
            ("internet-dmz", "172.16.0.0/20"),
        ] {
            let id = state.uuid();
            let subnet_id = state.uuid();
            state.networks.push(Network {
                id,
                name: name.to_owned(),
                cidr: cidr.to_owned(),
                shared: true,
                subnet_id,
            });
        }
        let created = now - chrono::Duration::days(30);
        for index in 0..n_servers {
            let flavor = state.flavors[state.rng.gen_range(0..4)].clone();
            let network_id = state.networks[index % state.networks.len()].id.clone();
            let request = NewServer {
                name: format!("vm-{:04}", index + 1),
                flavor_ref: flavor.id,
                image_ref: "kylin-v10".to_owned(),
                network_ids: vec![network_id],
                metadata: BTreeMap::new(),
                hypervisor_opt: None,
            };
            if let Ok(id) = state.create_server(request, created) {
                let server = state.servers.get_mut(&id).expect("just created");
                server.transition_at_opt = Some(created);
                if index % 3 == 0 {
                    let volume_id = state.uuid();
                    let size_gb = state.rng.gen_range(1..=5) * 100;
                    state.volumes.push(Volume {
                        id: volume_id,
                        name: format!("vm-{:04}-data", index + 1),
                        size_gb,
                        attached_server_id_opt: Some(id),
                        created,
                    });
                }
            }
        }
        state.settle(created);
        state
    }

    /// A random UUID (version 4 shaped), from the seeded generator.
    pub fn uuid(&mut self) -> String {
        let bits: u128 = self.rng.gen();
        let hex = format!("{bits:032x}");
        format!(
            "{}-{}-4{}-a{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..32]
        )
    }

    /// A random opaque token id.
    pub fn token_id(&mut self) -> String {
        let bits: u128 = self.rng.gen();
        let more: u128 = self.rng.gen();
        format!("gAAAAAB{bits:032x}{more:032x}")
    }

    fn draw_ms(&mut self, range: &RangeInclusive<u64>) -> u64 {
        let low = *range.start();
        let high = (*range.end()).max(low);
        self.rng.gen_range(low..=high)
    }

    /// Issues a token valid for the configured lifetime.
    pub fn issue_token(&mut self, now: DateTime<Utc>) -> (String, Token) {
        let id = self.token_id();
        let lifetime = chrono::Duration::from_std(self.timings.token_ttl)
            .unwrap_or_else(|_| chrono::Duration::hours(1));
        let token = Token {
            expires_at: now + lifetime,
            issued_at: now,
        };
        self.tokens.insert(id.clone(), token.clone());
        self.tokens_issued += 1;
        (id, token)
    }

    /// Whether `token_id` is a token still valid at `now`.
    pub fn token_valid(&mut self, token_id: &str, now: DateTime<Utc>) -> bool {
        self.tokens.retain(|_, token| token.expires_at > now);
        self.tokens.contains_key(token_id)
    }

    /// Applies every transition due by `now` and the utilization drift since the last call.
    pub fn settle(&mut self, now: DateTime<Utc>) {
        let due: Vec<String> = self
            .servers
            .values()
            .filter(|s| s.transition_at_opt.is_some_and(|at| at <= now))
            .map(|s| s.id.clone())
            .collect();
        for id in due {
            self.finish_transition(&id);
        }
        self.count_io(now);
        let tick_ms = (self.timings.utilization_tick.as_millis() as i64).max(1);
        let elapsed_ms = (now - self.last_utilization_step_at).num_milliseconds();
        if elapsed_ms >= tick_ms {
            let steps = (elapsed_ms / tick_ms) as u64;
            self.last_utilization_step_at += chrono::Duration::milliseconds(steps as i64 * tick_ms);
            for _ in 0..steps.min(MAX_UTILIZATION_STEPS) {
                self.step_utilization();
            }
        }
    }

    fn finish_transition(&mut self, id: &str) {
        let Some(server) = self.servers.get(id) else {
            return;
        };
        let at = server.transition_at_opt.unwrap_or(server.updated);
        match server.status {
            ServerStatus::Build if server.build_fails => {
                self.release(id);
                let server = self.servers.get_mut(id).expect("present");
                server.status = ServerStatus::Error;
                server.hypervisor_idx_opt = None;
                server.fault_opt = Some(
                    "Build of instance aborted: failed to allocate the network(s), not \
                     rescheduling."
                        .to_owned(),
                );
            }
            ServerStatus::Build => {
                let networks = server.network_names.clone();
                let addresses: Vec<(String, String)> = networks
                    .into_iter()
                    .map(|network| {
                        let address = self.next_address_on(&network);
                        (network, address)
                    })
                    .collect();
                let cpu_util = self.rng.gen_range(5.0..40.0);
                let memory_used_fraction = self.rng.gen_range(0.2..0.6);
                let server = self.servers.get_mut(id).expect("present");
                server.status = ServerStatus::Active;
                server.addresses = addresses;
                server.launched_at_opt = Some(at);
                server.cpu_util = cpu_util;
                server.memory_used_fraction = memory_used_fraction;
            }
            ServerStatus::Resize => {
                let server = self.servers.get_mut(id).expect("present");
                server.status = ServerStatus::VerifyResize;
            }
            _ => {}
        }
        let server = self.servers.get_mut(id).expect("present");
        server.transition_at_opt = None;
        server.updated = at;
    }

    fn next_address_on(&mut self, network_name: &str) -> String {
        let prefix = self
            .networks
            .iter()
            .find(|n| n.name == network_name)
            .map(|n| n.cidr.split('.').take(2).collect::<Vec<_>>().join("."))
            .unwrap_or_else(|| "10.99".to_owned());
        let number = self.next_address;
        self.next_address += 1;
        format!("{prefix}.{}.{}", (number >> 8) % 256, number % 256)
    }

    /// Adds what every active server moved since the last count, at its present rates.
    fn count_io(&mut self, now: DateTime<Utc>) {
        let elapsed_secs = (now - self.io_counted_until).num_milliseconds() as f64 / 1000.0;
        if elapsed_secs <= 0.0 {
            return;
        }
        self.io_counted_until = now;
        for server in self.servers.values_mut() {
            if server.status != ServerStatus::Active {
                continue;
            }
            let rates = server.io_rates();
            server.io.disk_read += rates.disk_read * elapsed_secs;
            server.io.disk_write += rates.disk_write * elapsed_secs;
            server.io.received += rates.received * elapsed_secs;
            server.io.sent += rates.sent * elapsed_secs;
        }
    }

    fn step_utilization(&mut self) {
        for server in self.servers.values_mut() {
            if server.status != ServerStatus::Active {
                continue;
            }
            server.cpu_util = (server.cpu_util + self.rng.gen_range(-6.0..6.0)).clamp(1.0, 100.0);
            server.memory_used_fraction =
                (server.memory_used_fraction + self.rng.gen_range(-0.03..0.03)).clamp(0.05, 0.98);
        }
    }

    /// A hypervisor's CPU utilization in percent: its own load plus its servers'.
    pub fn hypervisor_cpu_util(&self, hypervisor_idx: usize) -> f64 {
        let hypervisor = &self.hypervisors[hypervisor_idx];
        let busy_vcpus: f64 = self
            .servers
            .values()
            .filter(|s| {
                s.status != ServerStatus::Deleted && s.hypervisor_idx_opt == Some(hypervisor_idx)
            })
            .map(|s| s.flavor.vcpus as f64 * s.cpu_util / 100.0)
            .sum();
        (hypervisor.base_cpu_util + 100.0 * busy_vcpus / hypervisor.vcpus.max(1) as f64)
            .clamp(0.0, 100.0)
    }

    pub fn flavor(&self, flavor_ref: &str) -> Option<&Flavor> {
        self.flavors.iter().find(|f| f.id == flavor_ref)
    }

    /// Adds a flavor (Nova's admin `POST /flavors`); names and ids are unique.
    pub fn create_flavor(
        &mut self,
        id_opt: Option<String>,
        name: String,
        vcpus: i64,
        ram_mb: i64,
        disk_gb: i64,
    ) -> Result<Flavor, Refusal> {
        if vcpus < 1 || ram_mb < 1 || disk_gb < 0 || name.trim().is_empty() {
            return Err(Refusal::BadRequest(
                "Invalid input for field/attribute flavor.".to_owned(),
            ));
        }
        let id = match id_opt {
            Some(id) => id,
            None => self.uuid(),
        };
        if self.flavors.iter().any(|f| f.id == id || f.name == name) {
            return Err(Refusal::Conflict(format!(
                "Flavor with name {name} already exists."
            )));
        }
        let flavor = Flavor {
            id,
            name,
            vcpus,
            ram_mb,
            disk_gb,
        };
        self.flavors.push(flavor.clone());
        Ok(flavor)
    }

    fn network_name(&self, network_id: &str) -> Option<String> {
        self.networks
            .iter()
            .find(|n| n.id == network_id)
            .map(|n| n.name.clone())
    }

    /// Accepts a server: places it on the hypervisor asked for, or else on the one with the
    /// most free memory that fits it, and starts its build. With no room it is accepted all
    /// the same and goes to ERROR, as Nova's scheduler does; an unknown hypervisor is refused.
    pub fn create_server(
        &mut self,
        request: NewServer,
        now: DateTime<Utc>,
    ) -> Result<String, Refusal> {
        let flavor = self.flavor(&request.flavor_ref).cloned().ok_or_else(|| {
            Refusal::BadRequest(format!("Flavor {} could not be found.", request.flavor_ref))
        })?;
        if request.name.trim().is_empty() {
            return Err(Refusal::BadRequest(
                "Invalid input for field/attribute name.".to_owned(),
            ));
        }
        let mut network_names = Vec::with_capacity(request.network_ids.len());
        for network_id in &request.network_ids {
            network_names.push(self.network_name(network_id).ok_or_else(|| {
                Refusal::BadRequest(format!("Network {network_id} could not be found."))
            })?);
        }
        if let Some(asked) = &request.hypervisor_opt {
            if !self.hypervisors.iter().any(|h| &h.hostname == asked) {
                return Err(Refusal::BadRequest(format!(
                    "Compute host {asked} could not be found."
                )));
            }
        }
        let id = self.uuid();
        let hypervisor_idx_opt = self
            .hypervisors
            .iter()
            .enumerate()
            .filter(|(_, h)| {
                request
                    .hypervisor_opt
                    .as_ref()
                    .is_none_or(|asked| &h.hostname == asked)
            })
            .filter(|(_, h)| h.fits(flavor.vcpus, flavor.ram_mb, flavor.disk_gb))
            .max_by_key(|(_, h)| h.memory_mb - h.memory_mb_used)
            .map(|(idx, _)| idx);
        let build_ms = self.draw_ms(&self.timings.build_time_ms.clone());
        let mut server = Server {
            id: id.clone(),
            name: request.name,
            status: ServerStatus::Build,
            flavor: flavor.clone(),
            previous_flavor_opt: None,
            image_ref: request.image_ref,
            network_names,
            addresses: Vec::new(),
            metadata: request.metadata,
            hypervisor_idx_opt,
            created: now,
            updated: now,
            launched_at_opt: None,
            transition_at_opt: Some(now + ms(build_ms)),
            build_fails: false,
            fault_opt: None,
            cpu_util: 0.0,
            memory_used_fraction: 0.0,
            io: ServerIo::default(),
        };
        match hypervisor_idx_opt {
            Some(idx) => {
                self.hypervisors[idx].claim(flavor.vcpus, flavor.ram_mb, flavor.disk_gb, 1);
                if self.builds_to_fail > 0 {
                    self.builds_to_fail -= 1;
                    server.build_fails = true;
                }
            }
            None => {
                server.status = ServerStatus::Error;
                server.transition_at_opt = None;
                server.fault_opt = Some(
                    "No valid host was found. There are not enough hosts available.".to_owned(),
                );
            }
        }
        self.servers.insert(id.clone(), server);
        Ok(id)
    }

    /// Gives back what a server holds on its hypervisor.
    fn release(&mut self, id: &str) {
        let Some(server) = self.servers.get(id) else {
            return;
        };
        if let Some(idx) = server.hypervisor_idx_opt {
            let flavor = server.flavor.clone();
            self.hypervisors[idx].claim(-flavor.vcpus, -flavor.ram_mb, -flavor.disk_gb, -1);
        }
    }

    /// A server that is not deleted.
    pub fn live_server(&self, id: &str) -> Result<&Server, Refusal> {
        self.servers
            .get(id)
            .filter(|s| s.status != ServerStatus::Deleted)
            .ok_or_else(|| Refusal::NotFound(format!("Instance {id} could not be found.")))
    }

    pub fn delete_server(&mut self, id: &str, now: DateTime<Utc>) -> Result<(), Refusal> {
        self.live_server(id)?;
        self.release(id);
        for volume in &mut self.volumes {
            if volume.attached_server_id_opt.as_deref() == Some(id) {
                volume.attached_server_id_opt = None;
            }
        }
        let server = self.servers.get_mut(id).expect("present");
        server.status = ServerStatus::Deleted;
        server.hypervisor_idx_opt = None;
        server.transition_at_opt = None;
        server.updated = now;
        Ok(())
    }

    /// Starts a resize on the same host; it waits in VERIFY_RESIZE for confirmation.
    pub fn resize_server(
        &mut self,
        id: &str,
        flavor_ref: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        let server = self.live_server(id)?.clone();
        if server.status != ServerStatus::Active {
            return Err(Refusal::Conflict(format!(
                "Cannot 'resize' instance {id} while it is in vm_state {}",
                server.status.as_str().to_lowercase()
            )));
        }
        let flavor = self.flavor(flavor_ref).cloned().ok_or_else(|| {
            Refusal::BadRequest(format!("Flavor {flavor_ref} could not be found."))
        })?;
        if flavor.id == server.flavor.id {
            return Err(Refusal::BadRequest(
                "When resizing, instances must change flavor!".to_owned(),
            ));
        }
        if flavor.disk_gb < server.flavor.disk_gb {
            return Err(Refusal::BadRequest(
                "Resizing to a smaller disk flavor is not allowed.".to_owned(),
            ));
        }
        let (extra_vcpus, extra_ram_mb, extra_disk_gb) = (
            flavor.vcpus - server.flavor.vcpus,
            flavor.ram_mb - server.flavor.ram_mb,
            flavor.disk_gb - server.flavor.disk_gb,
        );
        if let Some(idx) = server.hypervisor_idx_opt {
            if !self.hypervisors[idx].fits(extra_vcpus, extra_ram_mb, extra_disk_gb) {
                return Err(Refusal::BadRequest(
                    "No valid host was found. There are not enough hosts available.".to_owned(),
                ));
            }
            self.hypervisors[idx].claim(extra_vcpus, extra_ram_mb, extra_disk_gb, 0);
        }
        let resize_ms = self.draw_ms(&self.timings.resize_time_ms.clone());
        let server = self.servers.get_mut(id).expect("present");
        server.previous_flavor_opt = Some(server.flavor.clone());
        server.flavor = flavor;
        server.status = ServerStatus::Resize;
        server.transition_at_opt = Some(now + ms(resize_ms));
        server.updated = now;
        Ok(())
    }

    pub fn confirm_resize(&mut self, id: &str, now: DateTime<Utc>) -> Result<(), Refusal> {
        let server = self.live_server(id)?;
        if server.status != ServerStatus::VerifyResize {
            return Err(Refusal::Conflict(format!(
                "Cannot 'confirmResize' instance {id} while it is in vm_state {}",
                server.status.as_str().to_lowercase()
            )));
        }
        let server = self.servers.get_mut(id).expect("present");
        server.previous_flavor_opt = None;
        server.status = ServerStatus::Active;
        server.updated = now;
        Ok(())
    }
}

/// The flavors every simulated cloud starts with.
fn standard_flavors() -> Vec<Flavor> {
    [
        ("1", "m1.small", 1, 2048, 20),
        ("2", "m1.medium", 2, 4096, 40),
        ("3", "m1.large", 4, 8192, 80),
        ("4", "m1.xlarge", 8, 16384, 160),
        ("5", "c1.xlarge", 8, 16384, 100),
        ("6", "r1.2xlarge", 16, 65536, 200),
    ]
    .into_iter()
    .map(|(id, name, vcpus, ram_mb, disk_gb)| Flavor {
        id: id.to_owned(),
        name: name.to_owned(),
        vcpus,
        ram_mb,
        disk_gb,
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timings() -> Timings {
        Timings {
            build_time_ms: 1000..=1000,
            resize_time_ms: 500..=500,
            utilization_tick: Duration::from_secs(1),
            token_ttl: Duration::from_secs(60),
        }
    }

    #[test]
    fn builds_claim_their_hypervisor_and_finish_after_their_delay() {
        let now = Utc::now();
        let mut state = CloudState::new(7, timings(), 2, 0, now);
        let network_id = state.networks[0].id.clone();
        let request = |name: &str| NewServer {
            name: name.to_owned(),
            flavor_ref: "3".to_owned(),
            image_ref: "uos-20".to_owned(),
            network_ids: vec![network_id.clone()],
            metadata: BTreeMap::new(),
            hypervisor_opt: None,
        };
        let id = state.create_server(request("a"), now).unwrap();
        let used: i64 = state.hypervisors.iter().map(|h| h.vcpus_used).sum();
        assert_eq!(used, 4);
        state.settle(now + ms(999));
        assert_eq!(state.servers[&id].status, ServerStatus::Build);
        state.settle(now + ms(1000));
        let server = &state.servers[&id];
        assert_eq!(server.status, ServerStatus::Active);
        assert_eq!(server.updated, now + ms(1000));
        assert!(server.addresses[0].1.starts_with("10.10."));

        state.builds_to_fail = 1;
        let broken = state.create_server(request("b"), now).unwrap();
        state.settle(now + ms(2000));
        assert_eq!(state.servers[&broken].status, ServerStatus::Error);
        let used: i64 = state.hypervisors.iter().map(|h| h.vcpus_used).sum();
        assert_eq!(used, 4, "a failed build holds nothing");

        state.resize_server(&id, "4", now + ms(3000)).unwrap();
        state.settle(now + ms(3500));
        assert_eq!(state.servers[&id].status, ServerStatus::VerifyResize);
        state.confirm_resize(&id, now + ms(3600)).unwrap();
        state.delete_server(&id, now + ms(4000)).unwrap();
        let used: i64 = state.hypervisors.iter().map(|h| h.vcpus_used).sum();
        assert_eq!(used, 0);
        assert!(matches!(state.live_server(&id), Err(Refusal::NotFound(_))));
    }

    #[test]
    fn a_server_goes_to_the_hypervisor_asked_for_or_to_error() {
        let now = Utc::now();
        let mut state = CloudState::new(7, timings(), 2, 0, now);
        let network_id = state.networks[0].id.clone();
        let second = state.hypervisors[1].hostname.clone();
        let request = |name: &str, hypervisor: &str| NewServer {
            name: name.to_owned(),
            flavor_ref: "3".to_owned(),
            image_ref: "uos-20".to_owned(),
            network_ids: vec![network_id.clone()],
            metadata: BTreeMap::new(),
            hypervisor_opt: Some(hypervisor.to_owned()),
        };
        let id = state.create_server(request("a", &second), now).unwrap();
        assert_eq!(state.servers[&id].hypervisor_idx_opt, Some(1));
        assert_eq!(
            state.create_server(request("b", "nowhere"), now),
            Err(Refusal::BadRequest(
                "Compute host nowhere could not be found.".to_owned()
            ))
        );
        let free_mb = state.hypervisors[1].memory_mb - state.hypervisors[1].memory_mb_used;
        state.hypervisors[1].claim(0, free_mb, 0, 0);
        let refused = state.create_server(request("c", &second), now).unwrap();
        assert_eq!(state.servers[&refused].status, ServerStatus::Error);
        assert_eq!(state.servers[&refused].hypervisor_idx_opt, None);
    }
}
