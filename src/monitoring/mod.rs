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
//! TrapListener (UDP) ─► Directory (address, community) ─┘ TrapReceived
//! ```
//!
//! # Layout
//! - [`snmp`]: the SNMP poller (sessions, walks, one device's poll) and the trap listener.
//! - [`device`]: the device actor and its state (rates, history, changes, observations).
//! - [`data_center`]: the data-center actor: device supervision, alarms, aggregates.
//! - [`load`]: link utilization and the busiest links and devices (pure).
//! - [`overview`]: the command center's aggregate.
//! - [`platform`]: the platform actor: a cloud platform's inventory synced on a schedule.
//! - [`alarms`]: alarm rules and alarms on the record.
//! - [`rollups`]: one-minute metric rollups, stored in batches, with retention.
//! - [`topology`]: upstream links from the tiers, for alarm root causes.
//! - [`directory`]: device actors by id and by address, for traps and the API.
//! - [`plan`]: what to monitor, read from the inventory, and the interfaces polls find,
//!   written back to it.
//! - [`messages`]: what the actors say to each other.

pub mod alarms;
pub mod data_center;
pub mod device;
pub mod directory;
pub mod load;
pub mod messages;
pub mod overview;
pub mod plan;
pub mod platform;
pub mod rollups;
pub mod snmp;
pub mod topology;

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use yunguan_actors::supervision::{Supervised, Supervisor};

use crate::clock::Clock;
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::settings::MonitoringSettings;
use data_center::{DataCenterActor, DataCenterSetup, DataCenterSummary};
use device::DeviceStateView;
use device::GetDeviceStateView;
use directory::Directory;
use messages::{AlarmCommand, AlarmCommandFailed, DeviceConfig, Panic};
use overview::{OverviewActor, OverviewSummary};
pub use plan::Plan;
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
    pub hub: Hub,
    pub metrics: Arc<Metrics>,
    pub notifier: alarms::Notifier,
    /// Monitoring's time: polls and what they find, alarms, escalation, rollup minutes,
    /// operators' commands.
    pub clock: Clock,
}

/// The running monitoring of this node. Clones share it.
#[derive(Clone)]
pub struct Monitoring {
    directory: Directory,
    /// What each data center monitors (its devices and links), for the topology.
    setups: Arc<HashMap<i64, Arc<DataCenterSetup>>>,
    data_centers: Arc<HashMap<i64, Supervised<DataCenterActor, DataCenterSummary>>>,
    overview: Supervised<OverviewActor, OverviewSummary>,
    mux: Multiplexer,
    /// None while monitoring is off: nothing is listened for.
    trap_listener_opt: Option<Arc<TrapListener>>,
}

impl Monitoring {
    /// Starts the overview, one data-center actor per data center (each starting its
    /// devices), the trap listener, and the writers of what polls find (interfaces into the
    /// CMDB, metrics into the rollups); returns once every device is registered. Must run
    /// inside an actix system.
    pub async fn start(
        supervisor: &Supervisor,
        services: Services,
        settings: &MonitoringSettings,
        plan: Plan,
    ) -> anyhow::Result<Monitoring> {
        let Services {
            db,
            hub,
            metrics,
            notifier,
            clock,
        } = services;
        let (db, hub, metrics) = (&db, &hub, &metrics);
        let mux = Multiplexer::bind(settings.snmp_bind, settings.max_in_flight)
            .with_context(|| format!("binding the SNMP socket {}", settings.snmp_bind))?;
        let patience = Patience::new(
            Duration::from_millis(settings.request_timeout_ms),
            settings.retries,
        );
        let directory = Directory::new(plan::start_interface_writer(db.clone()));
        let overview_hub = hub.clone();
        let overview = supervisor.spawn("overview", OverviewSummary::default(), move |link| {
            OverviewActor::new(overview_hub.clone(), link)
        });
        let mut data_center_ids: BTreeSet<i64> = plan.data_center_ids.iter().copied().collect();
        data_center_ids.extend(plan.devices.iter().map(|d| d.data_center_id));
        data_center_ids.extend(plan.platforms.iter().map(|p| p.data_center_id));
        let mut platforms = plan.platforms;
        let rollup_writer = rollups::start_writer(db.clone());
        rollups::start_sweeper(
            db.clone(),
            Duration::from_secs(u64::from(settings.rollup_retention_days) * 86_400),
            Duration::from_secs(3_600),
        );
        let mut data_centers = HashMap::new();
        let mut setups = HashMap::new();
        for data_center_id in data_center_ids {
            let devices: Vec<Arc<DeviceConfig>> = plan
                .devices
                .iter()
                .filter(|d| d.data_center_id == data_center_id)
                .cloned()
                .map(Arc::new)
                .collect();
            let ids: BTreeSet<i64> = devices.iter().map(|d| d.id).collect();
            let links = plan
                .links
                .iter()
                .filter(|l| ids.contains(&l.a_device_id) && ids.contains(&l.b_device_id))
                .cloned()
                .collect();
            let (own_platforms, others) = platforms
                .into_iter()
                .partition(|p| p.data_center_id == data_center_id);
            platforms = others;
            let setup = Arc::new(DataCenterSetup {
                data_center_id,
                devices,
                platforms: own_platforms.into_iter().map(Arc::new).collect(),
                db: db.clone(),
                links,
                rules: plan.rules.clone(),
                mux: mux.clone(),
                patience,
                hub: hub.clone(),
                overview: overview.addr().recipient(),
                alarm_writer: alarms::AlarmWriter {
                    db: db.clone(),
                    hub: hub.clone(),
                    notifier: notifier.clone(),
                    clock: clock.clone(),
                    data_center_id,
                }
                .start(),
                escalate_after: Duration::from_secs(settings.escalate_after_mins * 60),
                directory: directory.clone(),
                metrics: metrics.clone(),
                rollup_writer: rollup_writer.clone(),
                clock: clock.clone(),
            });
            setups.insert(data_center_id, setup.clone());
            let handle = supervisor.spawn(
                &format!("dc-{data_center_id}"),
                DataCenterSummary {
                    data_center_id,
                    ..DataCenterSummary::default()
                },
                move |link| DataCenterActor::new(setup.clone(), link),
            );
            data_centers.insert(data_center_id, handle);
        }
        let trap_listener_opt = if settings.enabled {
            Some(listen_for_traps(settings.trap_listen, &directory, metrics).await?)
        } else {
            None
        };
        // Once each data center has started, its devices are registered: from here on a
        // device can be asked for its state or a poll.
        for handle in data_centers.values() {
            handle
                .addr()
                .send(messages::Started)
                .await
                .context("a data center stopped while starting")?;
        }
        tracing::info!(
            data_centers = data_centers.len(),
            devices = plan.devices.len(),
            traps = ?trap_listener_opt.as_ref().map(|listener| listener.local_addr()),
            "monitoring started"
        );
        Ok(Monitoring {
            directory,
            setups: Arc::new(setups),
            data_centers: Arc::new(data_centers),
            overview,
            mux,
            trap_listener_opt: trap_listener_opt.map(Arc::new),
        })
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

    /// Devices monitored here, with their data centers.
    pub fn device_ids(&self) -> Vec<(i64, i64)> {
        self.directory.device_ids()
    }

    pub fn data_center_summary(&self, data_center_id: i64) -> Option<DataCenterSummary> {
        self.data_centers
            .get(&data_center_id)
            .map(Supervised::snapshot)
    }

    pub fn overview(&self) -> OverviewSummary {
        self.overview.snapshot()
    }

    /// A data center's devices and links with their live status; `None` if it is not
    /// monitored here.
    pub async fn topology(&self, data_center_id: i64) -> Option<TopologyView> {
        let setup = self.setups.get(&data_center_id)?;
        let mut views = HashMap::new();
        for device in &setup.devices {
            if let Some(view) = self.device_state_view(device.id).await {
                views.insert(device.id, view);
            }
        }
        let nodes = setup
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
        let links = setup
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
        let handle = self
            .data_centers
            .get(&data_center_id)
            .ok_or(AlarmCommandFailed::NotMonitoredHere)?;
        handle.addr().send(command).await?
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
        for handle in self.data_centers.values() {
            handle.stop_supervising();
            handle.addr().do_send(messages::Stop);
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

/// Listens for traps on `at`, each routed to the device actor of the agent that sent it.
async fn listen_for_traps(
    at: SocketAddr,
    directory: &Directory,
    metrics: &Arc<Metrics>,
) -> anyhow::Result<TrapListener> {
    let directory = directory.clone();
    let metrics = metrics.clone();
    TrapListener::bind(at, move |trap| {
        let from = trap.from;
        match directory.route_trap(trap) {
            Some(_) => metrics.snmp_traps.inc(),
            None => tracing::debug!(%from, "trap from no known device"),
        }
    })
    .await
    .with_context(|| format!("binding the trap listener {at}"))
}
