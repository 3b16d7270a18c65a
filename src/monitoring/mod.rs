//! Live monitoring of data centers and their devices.
//!
//! ```text
//! Monitoring ── Supervisor ──► OverviewActor ──────────────────────────► overview
//!            └─ Supervisor ──► DataCenterActor (one per data center) ──► dc/{id}
//!                                 │ alarm engine ─► alarm writer ─► alarms table, then
//!                                 │                   device/{id}, dc/{id}, overview
//!                                 └─ Supervisor ──► DeviceActor (one per device) ─► device/{id}
//!                                                      │ poll ─► snmp::session ─► mux (shared
//!                                                      │          UDP socket) or v3 session
//! TrapListener (UDP) ─► Directory (address, credentials) ┘ TrapReceived
//! ```
//!
//! # Layout
//! - [`snmp`]: the SNMP poller (sessions, walks, one device's poll) and the trap listener.
//! - [`device`]: the device actor and its state (rates, history, changes, observations).
//! - [`data_center`]: the data-center actor: device supervision, alarms, aggregates.
//! - [`load`]: link utilization and the busiest links and devices (pure).
//! - [`overview`]: the command center's aggregate.
//! - [`platform`]: the platform actor: a cloud platform's inventory synced on a schedule,
//!   and its VMs polled on another.
//! - [`vm_utilization`]: how busy a platform's VMs are: the poll, rates from counters, the
//!   event.
//! - [`alarm_rules`]: alarm rules as data, administered over the API.
//! - [`alarms`]: alarms on the record: the alarm writer, the open alarms taken back, and
//!   alarms held back by a maintenance window told when it ends.
//! - [`maintenance`]: maintenance windows (a device, data center or rule silenced for a
//!   period, once or recurring), administered over the API.
//! - [`rollups`]: one-minute metric rollups, stored in batches, with retention.
//! - [`topology`]: upstream links from the tiers, for alarm root causes.
//! - [`directory`]: device actors by id and by address, for traps and the API.
//! - [`plan`]: what to monitor, read from the inventory.
//! - [`link_proposals`]: links LLDP proposes to add or remove, accepted or dismissed by an
//!   operator (or accepted as made, per data center).
//! - [`discovered`]: what polls find (interfaces, the chassis's model, serial number and
//!   firmware), written back to the inventory with its history.
//! - [`follow`]: the inventory followed while running: a change to it reaches the actors at
//!   once (`Monitoring::follow` starts, reconfigures or stops only what changed).
//! - [`messages`]: what the actors say to each other.

pub mod alarm_rules;
pub mod alarms;
pub mod data_center;
pub mod device;
pub mod directory;
pub mod discovered;
pub mod follow;
pub mod link_proposals;
pub mod load;
pub mod maintenance;
pub mod messages;
pub mod overview;
pub mod plan;
pub mod platform;
pub mod rollups;
pub mod snmp;
pub mod topology;
pub mod vm_utilization;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use parking_lot::RwLock;
use sea_orm::DatabaseConnection;
use yunguan_actors::alarm::AlarmRule;
use yunguan_actors::supervision::{Supervised, Supervisor};

use crate::clock::Clock;
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::secrets::Sealer;
use crate::settings::MonitoringSettings;
use data_center::{
    DataCenterActor, DataCenterGone, DataCenterServices, DataCenterSetup, DataCenterSummary,
};
use device::DeviceStateView;
use device::GetDeviceStateView;
use directory::Directory;
use messages::{AlarmCommand, AlarmCommandFailed, Panic};
use overview::{OverviewActor, OverviewSummary};
pub use plan::{DataCenterInventory, Plan};
use snmp::mux::Multiplexer;
use snmp::session::Patience;
use snmp::traps::TrapListener;

/// A time in milliseconds since the epoch as a timestamp (now, should it not fit).
pub fn datetime_of_ms(ms: u64) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    i64::try_from(ms)
        .ok()
        .and_then(|ms| chrono::Utc.timestamp_millis_opt(ms).single())
        .unwrap_or_else(chrono::Utc::now)
}

/// What monitoring uses of the rest of the application.
pub struct Services {
    pub db: DatabaseConnection,
    /// Opens what the inventory seals, and seals what discovery writes back.
    pub sealer: Sealer,
    pub hub: Hub,
    pub metrics: Arc<Metrics>,
    pub notifier: alarms::Notifier,
    /// Monitoring's time: polls and what they find, alarms, escalation, rollup minutes,
    /// operators' commands.
    pub clock: Clock,
}

/// A data center being monitored.
struct RunningDataCenter {
    setup: Arc<DataCenterSetup>,
    handle: Supervised<DataCenterActor, DataCenterSummary>,
}

/// The running monitoring of this node. Clones share it.
#[derive(Clone)]
pub struct Monitoring {
    directory: Directory,
    /// What every data center shares, for those the inventory adds.
    services: Arc<DataCenterServices>,
    supervisor: Supervisor,
    data_centers: Arc<RwLock<BTreeMap<i64, RunningDataCenter>>>,
    overview: Supervised<OverviewActor, OverviewSummary>,
    mux: Multiplexer,
    /// None while monitoring is off: nothing is listened for.
    trap_listener_opt: Option<Arc<TrapListener>>,
    /// Set by [`Monitoring::stop`]: nothing starts again.
    stopped: Arc<AtomicBool>,
    /// Set once the plan monitoring started with is followed: what follows is entered while
    /// running.
    running: Arc<AtomicBool>,
}

/// What [`Monitoring::follow`] changed, by data center id.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Followed {
    pub started: Vec<i64>,
    pub changed: Vec<i64>,
    pub stopped: Vec<i64>,
}

impl Monitoring {
    /// Starts the overview, one data-center actor per data center of `plan` (each starting
    /// its devices) judged by `rules`, the trap listener, and the writers of what polls find
    /// (interfaces into the CMDB, metrics into the rollups); returns once every device is
    /// registered. Must run inside an actix system.
    pub async fn start(
        supervisor: &Supervisor,
        services: Services,
        settings: &MonitoringSettings,
        rules: Vec<AlarmRule>,
        plan: Plan,
    ) -> anyhow::Result<Monitoring> {
        let Services {
            db,
            sealer,
            hub,
            metrics,
            notifier,
            clock,
        } = services;
        let mux = Multiplexer::bind(settings.snmp_bind, settings.max_in_flight)
            .with_context(|| format!("binding the SNMP socket {}", settings.snmp_bind))?;
        let directory = Directory::new(discovered::start_writer(db.clone(), sealer, hub.clone()));
        let overview_hub = hub.clone();
        let overview = supervisor.spawn("overview", OverviewSummary::default(), move |link| {
            OverviewActor::new(overview_hub.clone(), link)
        });
        rollups::start_sweeper(
            db.clone(),
            Duration::from_secs(u64::from(settings.rollup_retention_days) * 86_400),
            Duration::from_secs(3_600),
        );
        let data_center_services = Arc::new(DataCenterServices {
            rollup_writer: rollups::start_writer(db.clone()),
            db,
            rules: RwLock::new(Arc::new(rules)),
            mux: mux.clone(),
            patience: Patience::new(
                Duration::from_millis(settings.request_timeout_ms),
                settings.retries,
            ),
            hub,
            overview: overview.addr().recipient(),
            notifier,
            escalate_after: Duration::from_secs(settings.escalate_after_mins * 60),
            vm_poll_interval: Duration::from_secs(settings.vm_poll_secs.max(1)),
            directory: directory.clone(),
            metrics: metrics.clone(),
            clock,
        });
        let trap_listener_opt = if settings.enabled {
            Some(listen_for_traps(settings.trap_listen, &directory, &metrics).await?)
        } else {
            None
        };
        let monitoring = Monitoring {
            directory,
            services: data_center_services,
            supervisor: supervisor.clone(),
            data_centers: Arc::default(),
            overview,
            mux,
            trap_listener_opt: trap_listener_opt.map(Arc::new),
            stopped: Arc::default(),
            running: Arc::default(),
        };
        let devices = plan.device_count();
        let followed = monitoring.follow(plan).await;
        monitoring.running.store(true, Ordering::Relaxed);
        tracing::info!(
            data_centers = followed.started.len(),
            devices,
            traps = ?monitoring.trap_addr_opt(),
            "monitoring started"
        );
        Ok(monitoring)
    }

    /// Brings what is monitored in line with `plan` (the inventory as it is now): data
    /// centers new to it start, those gone from it stop, and each remaining one whose
    /// devices, links or platforms changed follows its new inventory (see
    /// `DataCenterActor`); the others are not disturbed. Returns once every device of the
    /// plan is registered.
    pub async fn follow(&self, plan: Plan) -> Followed {
        let mut followed = Followed::default();
        let mut told = Vec::new();
        if self.stopped.load(Ordering::Relaxed) {
            return followed;
        }
        {
            let mut running = self.data_centers.write();
            let gone: Vec<i64> = running
                .keys()
                .filter(|id| !plan.data_centers.contains_key(id))
                .copied()
                .collect();
            for data_center_id in gone {
                if let Some(stopped) = running.remove(&data_center_id) {
                    self.supervisor
                        .retire(&data_center_actor_name(data_center_id), &stopped.handle);
                    stopped.handle.addr().do_send(messages::Stop);
                    self.overview.addr().do_send(DataCenterGone(data_center_id));
                    followed.stopped.push(data_center_id);
                }
            }
            for (data_center_id, inventory) in plan.data_centers {
                match running.get(&data_center_id) {
                    Some(current) => {
                        if current.setup.replace_inventory(inventory) {
                            told.push((current.handle.clone(), true));
                            followed.changed.push(data_center_id);
                        }
                    }
                    None => {
                        let while_running = self.running.load(Ordering::Relaxed);
                        let started =
                            self.start_data_center(data_center_id, inventory, while_running);
                        told.push((started.handle.clone(), false));
                        running.insert(data_center_id, started);
                        followed.started.push(data_center_id);
                    }
                }
            }
        }
        // Each is told before any answer is awaited, so that every data center follows
        // from the moment the plan is visible. One that does not answer is restarting: it
        // starts from the latest inventory anyway.
        let requests: Vec<_> = told
            .iter()
            .map(|(handle, changed)| {
                let addr = handle.addr();
                if *changed {
                    futures_util::future::Either::Left(addr.send(messages::InventoryChanged))
                } else {
                    futures_util::future::Either::Right(addr.send(messages::Started))
                }
            })
            .collect();
        for request in requests {
            if let Err(error) = request.await {
                tracing::warn!(%error, "a data center did not take its inventory");
            }
        }
        followed
    }

    /// Judges by `rules` from now on, on every data center; false when they are the rules
    /// already in force.
    pub async fn follow_rules(&self, rules: Vec<AlarmRule>) -> bool {
        {
            let mut current = self.services.rules.write();
            if **current == rules {
                return false;
            }
            *current = Arc::new(rules);
        }
        let requests: Vec<_> = self
            .data_centers
            .read()
            .values()
            .map(|running| running.handle.addr().send(messages::RulesChanged))
            .collect();
        for request in requests {
            if let Err(error) = request.await {
                tracing::warn!(%error, "a data center did not take the new rules");
            }
        }
        true
    }

    fn start_data_center(
        &self,
        data_center_id: i64,
        inventory: DataCenterInventory,
        entered_while_running: bool,
    ) -> RunningDataCenter {
        let setup = Arc::new(DataCenterSetup::new(
            data_center_id,
            self.services.clone(),
            inventory,
            entered_while_running,
        ));
        let factory_setup = setup.clone();
        let handle = self.supervisor.spawn(
            &data_center_actor_name(data_center_id),
            DataCenterSummary {
                data_center_id,
                ..DataCenterSummary::default()
            },
            move |link| DataCenterActor::new(factory_setup.clone(), link),
        );
        RunningDataCenter { setup, handle }
    }

    /// Where traps are received; `None` while monitoring is off.
    pub fn trap_addr_opt(&self) -> Option<SocketAddr> {
        self.trap_listener_opt
            .as_ref()
            .map(|listener| listener.local_addr())
    }

    pub fn mux(&self) -> &Multiplexer {
        &self.mux
    }

    /// A device's live state, if it is monitored here.
    pub async fn device_state_view(&self, device_id: i64) -> Option<DeviceStateView> {
        let (_, handle) = self.directory.device(device_id)?;
        handle.addr().send(GetDeviceStateView).await.ok()
    }

    /// A cloud platform's sync status, if it is synced here.
    pub fn platform_summary(&self, platform_id: i64) -> Option<platform::PlatformSummary> {
        self.directory.platform_summary(platform_id)
    }

    /// A platform's VMs at its latest poll, by VM id, if it is polled here.
    pub fn vm_utilization(
        &self,
        platform_id: i64,
    ) -> Option<Arc<HashMap<i64, vm_utilization::VmUtilization>>> {
        Some(self.directory.platform_summary(platform_id)?.vms)
    }

    /// Devices monitored here, with their data centers.
    pub fn device_ids(&self) -> Vec<(i64, i64)> {
        self.directory.device_ids()
    }

    pub fn data_center_summary(&self, data_center_id: i64) -> Option<DataCenterSummary> {
        self.data_centers
            .read()
            .get(&data_center_id)
            .map(|running| running.handle.snapshot())
    }

    pub fn overview(&self) -> OverviewSummary {
        self.overview.snapshot()
    }

    /// A data center's devices and links with their live status; `None` if it is not
    /// monitored here.
    pub async fn topology(&self, data_center_id: i64) -> Option<TopologyView> {
        let inventory = self
            .data_centers
            .read()
            .get(&data_center_id)?
            .setup
            .inventory();
        let mut views = HashMap::new();
        for device in &inventory.devices {
            if let Some(view) = self.device_state_view(device.id).await {
                views.insert(device.id, view);
            }
        }
        let nodes = inventory
            .devices
            .iter()
            .map(|device| {
                let view_opt = views.get(&device.id);
                TopologyNode {
                    device_id: device.id,
                    name: device.name.clone(),
                    kind: device.kind.clone(),
                    tier: device.tier.clone(),
                    status: view_opt.map_or_else(|| "unknown".to_owned(), |v| v.status.clone()),
                    cpu_percent: view_opt.and_then(|v| v.cpu_percent),
                }
            })
            .collect();
        let interface = |device_id: i64, if_index: u32| {
            views
                .get(&device_id)
                .and_then(|view| view.interfaces.iter().find(|i| i.if_index == if_index))
        };
        let links = inventory
            .links
            .iter()
            .map(|link| {
                let a_opt = interface(link.a_device_id, link.a_if_index);
                let b_opt = interface(link.b_device_id, link.b_if_index);
                let status = match (a_opt, b_opt) {
                    (Some(a), Some(b)) if a.oper_up && b.oper_up => "up",
                    (Some(a), _) if !a.oper_up => "down",
                    (_, Some(b)) if !b.oper_up => "down",
                    _ => "unknown",
                };
                let busiest_bps = |interface_opt: Option<&device::InterfaceStateView>| {
                    let rates = interface_opt?.rates;
                    [rates.in_bps, rates.out_bps]
                        .into_iter()
                        .flatten()
                        .map(f64::from)
                        .reduce(f64::max)
                };
                TopologyLink {
                    link_id: link.link_id,
                    a_device_id: link.a_device_id,
                    a_if_index: link.a_if_index,
                    b_device_id: link.b_device_id,
                    b_if_index: link.b_if_index,
                    bandwidth_bps: link.bandwidth_bps,
                    status: status.to_owned(),
                    utilization_percent: load::link_utilization_percent(
                        link.bandwidth_bps,
                        [busiest_bps(a_opt), busiest_bps(b_opt)],
                    ),
                }
            })
            .collect();
        Some(TopologyView {
            data_center_id,
            nodes,
            links,
        })
    }

    /// Hands an operator's alarm command to the alarm's data center.
    pub async fn alarm_command(
        &self,
        data_center_id: i64,
        command: AlarmCommand,
    ) -> Result<(), AlarmCommandFailed> {
        let addr = self
            .data_centers
            .read()
            .get(&data_center_id)
            .ok_or(AlarmCommandFailed::NotMonitoredHere)?
            .handle
            .addr();
        addr.send(command).await?
    }

    /// Asks a device actor to poll now rather than at its next turn.
    pub fn poll_now(&self, device_id: i64) -> bool {
        match self.directory.device(device_id) {
            Some((_, handle)) => {
                handle.addr().do_send(messages::PollNow);
                true
            }
            None => false,
        }
    }

    /// Makes a device actor panic (supervision tests and chaos drills).
    pub fn panic_device(&self, device_id: i64) -> bool {
        match self.directory.device(device_id) {
            Some((_, handle)) => {
                handle.addr().do_send(Panic);
                true
            }
            None => false,
        }
    }

    /// The device actor's restarts and panics so far.
    pub fn device_health(&self, device_id: i64) -> Option<(u64, u64)> {
        let (_, handle) = self.directory.device(device_id)?;
        Some((handle.health().restarts(), handle.health().panics()))
    }

    /// Stops every data center and its devices.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
        for running in self.data_centers.read().values() {
            running.handle.stop_supervising();
            running.handle.addr().do_send(messages::Stop);
        }
        self.overview.stop_supervising();
    }
}

/// A device in the topology.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TopologyNode {
    pub device_id: i64,
    pub name: String,
    pub kind: String,
    pub tier: String,
    /// `up`, `down` or `unknown`.
    pub status: String,
    pub cpu_percent: Option<f64>,
}

/// A link in the topology, with the state of its two ends.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TopologyLink {
    pub link_id: i64,
    pub a_device_id: i64,
    pub a_if_index: u32,
    pub b_device_id: i64,
    pub b_if_index: u32,
    pub bandwidth_bps: i64,
    /// `up` when both ends are up, `down` when either is down, else `unknown`.
    pub status: String,
    /// The busier direction at either end, against the link's bandwidth.
    pub utilization_percent: Option<f64>,
}

/// A data center's network as it stands.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TopologyView {
    pub data_center_id: i64,
    pub nodes: Vec<TopologyNode>,
    pub links: Vec<TopologyLink>,
}

fn data_center_actor_name(data_center_id: i64) -> String {
    format!("dc-{data_center_id}")
}

/// Listens for traps on `at`, each routed to the device actor of the agent that sent it.
async fn listen_for_traps(
    at: SocketAddr,
    directory: &Directory,
    metrics: &Arc<Metrics>,
) -> anyhow::Result<TrapListener> {
    let directory_of_senders = directory.clone();
    let directory = directory.clone();
    let metrics = metrics.clone();
    TrapListener::bind(at, directory_of_senders, move |trap| {
        if directory.deliver_trap(trap) {
            metrics.snmp_traps.inc();
        }
    })
    .await
    .with_context(|| format!("binding the trap listener {at}"))
}
