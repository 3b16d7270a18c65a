//! One `DataCenterActor` per data center. It supervises one `DeviceActor` per device (with its
//! own `Supervisor`, so a device that panics is restarted alone), runs the data center's alarm
//! engine on what its devices report, hands the engine's events to the alarm writer, and
//! publishes its aggregates to `dc/{id}` (and to the overview) at most once a second, however
//! many devices changed in between. The aggregates name the busiest links and devices, from
//! the rates at link ends and the CPU its devices report ([`load`](super::load) selects them);
//! every five seconds at most, the links whose utilization moved go to `dc/{id}` as telemetry.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, ActorFutureExt, AsyncContext, Context, Handler, Recipient, WrapFuture};
use sea_orm::{DatabaseConnection, DbErr};
use serde::Serialize;
use tokio::sync::mpsc;
use utoipa::ToSchema;
use yunguan_actors::alarm::{
    AlarmEngine, AlarmEvent, AlarmKey, AlarmRule, FlappingConfig, Severity, Topology,
};
use yunguan_actors::supervision::{ActorRegistry, Backoff, Link, Supervised, Supervisor};

use super::alarms::{AlarmRecord, AlarmWrite};
use super::device::state::Change;
use super::device::{DeviceActor, DeviceReport, DeviceSummary};
use super::directory::Directory;
use super::load::{
    busiest_devices, busiest_links, link_utilization_percent, utilization_changes, BusyDevice,
    BusyLink, LinkUtilization,
};
use super::messages::{AlarmAction, AlarmCommand, AlarmCommandFailed, DeviceConfig, Stop};
use super::platform::{PlatformActor, PlatformConfig, PlatformSummary};
use super::rollups::{Rollup, RollupBuffer};
use super::snmp::mux::Multiplexer;
use super::snmp::session::Patience;
use super::topology::{upstream_links, DeviceLink};
use crate::hub::{EventData, EventKind, Hub, Topic};
use crate::inventory::capacity::{candidates_with_pool_names, Within};
use crate::metrics::Metrics;
use crate::severity;

/// How often aggregates may go out.
pub const PUBLISH_INTERVAL: Duration = Duration::from_secs(1);

/// How often links' utilization may go out (`link.utilization`).
pub const LINK_UTILIZATION_INTERVAL: Duration = Duration::from_secs(5);

/// A data center's aggregates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct DataCenterSummary {
    pub data_center_id: i64,
    pub devices: u32,
    pub devices_up: u32,
    pub devices_down: u32,
    pub devices_unknown: u32,
    pub interfaces_down: u32,
    /// Active alarms by severity (`critical`, `major`, `minor`, `info`).
    pub alarms: BTreeMap<String, u32>,
    pub average_cpu_percent: Option<f64>,
    pub max_utilization_percent: Option<f64>,
    /// Capacity (with the pool's overcommit) and allocation of each resource pool whose
    /// hosts are in this data center.
    pub pools: Vec<PoolUsage>,
    /// The five links with the highest utilization, busiest first.
    pub busiest_links: Vec<BusyLink>,
    /// The five reachable devices with the highest CPU, busiest first.
    pub busiest_devices: Vec<BusyDevice>,
}

/// A data center's aggregates, for the overview.
#[derive(Debug, Clone, actix::Message)]
#[rtype(result = "()")]
pub struct DataCenterUpdate(pub DataCenterSummary);

impl EventData for DataCenterSummary {}

/// The data of `link.state`: one end of a link went up or down.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkStateEvent {
    pub link_id: i64,
    /// Whether the interface at this end is up now.
    pub up: bool,
    /// The device and interface at the end that changed.
    pub device_id: i64,
    pub if_index: u32,
}

impl EventData for LinkStateEvent {}

/// The data of `link.utilization`: the data center's links whose utilization moved since
/// the last one (every link in the first).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkUtilizationEvent {
    pub data_center_id: i64,
    pub links: Vec<LinkUtilization>,
}

impl EventData for LinkUtilizationEvent {}

/// A resource pool's capacity and allocation, in this data center.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct PoolUsage {
    pub pool_id: i64,
    pub name: String,
    pub hosts: u32,
    pub vcpu_capacity: u64,
    pub vcpu_allocated: u64,
    pub memory_mb_capacity: u64,
    pub memory_mb_allocated: u64,
    pub disk_gb_capacity: u64,
    pub disk_gb_allocated: u64,
}

/// Pools' usage from their hosts, by pool, each named from `names`.
pub fn pool_usage(
    hosts: &[yunguan_actors::placement::HostCandidate],
    names: &BTreeMap<i64, String>,
) -> Vec<PoolUsage> {
    let mut pools: BTreeMap<i64, PoolUsage> = BTreeMap::new();
    for host in hosts {
        let capacity = host.capacity();
        let pool = pools.entry(host.pool_id).or_insert_with(|| PoolUsage {
            pool_id: host.pool_id,
            name: names.get(&host.pool_id).cloned().unwrap_or_default(),
            ..PoolUsage::default()
        });
        pool.hosts += 1;
        pool.vcpu_capacity += capacity.vcpu;
        pool.vcpu_allocated += host.vcpu_allocated;
        pool.memory_mb_capacity += capacity.memory_mb;
        pool.memory_mb_allocated += host.memory_mb_allocated;
        pool.disk_gb_capacity += capacity.disk_gb;
        pool.disk_gb_allocated += host.disk_gb_allocated;
    }
    pools.into_values().collect()
}

/// How often pools' usage is read again (cloud syncs move it every few minutes).
const POOL_REFRESH_INTERVAL: Duration = Duration::from_secs(15);

/// What a data center needs to run.
pub struct DataCenterSetup {
    pub data_center_id: i64,
    /// Shared with the device actors (and their restarts), never copied per device.
    pub devices: Vec<Arc<DeviceConfig>>,
    /// Cloud platforms in this data center, each synced by a platform actor.
    pub platforms: Vec<Arc<PlatformConfig>>,
    pub db: DatabaseConnection,
    pub links: Vec<DeviceLink>,
    pub rules: Vec<AlarmRule>,
    pub mux: Multiplexer,
    pub patience: Patience,
    pub hub: Hub,
    pub overview: Recipient<DataCenterUpdate>,
    pub alarm_writer: mpsc::UnboundedSender<AlarmWrite>,
    /// Root-cause alarms unacknowledged this long are escalated.
    pub escalate_after: Duration,
    pub directory: Directory,
    pub metrics: Arc<Metrics>,
    pub rollup_writer: mpsc::UnboundedSender<Vec<Rollup>>,
}

/// How often finished minutes go to the rollup writer.
const ROLLUP_FLUSH_INTERVAL: Duration = Duration::from_secs(10);

struct DeviceEntry {
    config: Arc<DeviceConfig>,
    handle: Supervised<DeviceActor, DeviceSummary>,
    summary: DeviceSummary,
}

pub struct DataCenterActor {
    setup: Arc<DataCenterSetup>,
    devices: HashMap<i64, DeviceEntry>,
    platforms: Vec<Supervised<PlatformActor, PlatformSummary>>,
    engine: AlarmEngine,
    /// Links by either end, for `link.state` events when an interface goes down or up.
    links_by_end: HashMap<(i64, u32), DeviceLink>,
    /// The busier direction's rate (bits per second) at each link end, by device and
    /// ifIndex, as of its device's last poll: what link utilizations are computed from.
    link_end_rates: HashMap<i64, BTreeMap<u32, f64>>,
    /// Each link's utilization as last told in `link.utilization`.
    link_utilization_told: HashMap<i64, Option<f64>>,
    /// Something changed since the last publication.
    dirty: bool,
    link: Link<DataCenterSummary>,
    /// The device actors' supervisor, with a registry of this data center's own.
    device_registry: ActorRegistry,
    rollups: RollupBuffer,
    /// Occurrences already escalated.
    escalated: BTreeSet<(AlarmKey, u64)>,
    pools: Vec<PoolUsage>,
}

/// How often unacknowledged alarms are looked at for escalation.
const ESCALATION_CHECK_INTERVAL: Duration = Duration::from_secs(30);

impl DataCenterActor {
    pub fn new(setup: Arc<DataCenterSetup>, link: Link<DataCenterSummary>) -> DataCenterActor {
        let core: Vec<i64> = setup
            .devices
            .iter()
            .filter(|device| device.tier == "core")
            .map(|device| device.id)
            .collect();
        let topology = Topology::new(upstream_links(&core, &setup.links)).unwrap_or_else(|error| {
            tracing::warn!(
                data_center_id = setup.data_center_id,
                ?error,
                "topology ignored"
            );
            Topology::new(Vec::new()).unwrap_or_else(|_| unreachable!("an empty topology is valid"))
        });
        let engine = AlarmEngine::new(setup.rules.clone(), topology, FlappingConfig::default())
            .unwrap_or_else(|error| {
                tracing::error!(?error, "alarm rules rejected; alarms disabled");
                AlarmEngine::new(
                    Vec::new(),
                    Topology::new(Vec::new()).unwrap_or_else(|_| unreachable!()),
                    FlappingConfig::default(),
                )
                .unwrap_or_else(|_| unreachable!("no rules cannot clash"))
            });
        let mut links_by_end = HashMap::new();
        for device_link in &setup.links {
            links_by_end.insert(
                (device_link.a_device_id, device_link.a_if_index),
                device_link.clone(),
            );
            links_by_end.insert(
                (device_link.b_device_id, device_link.b_if_index),
                device_link.clone(),
            );
        }
        DataCenterActor {
            setup,
            devices: HashMap::new(),
            platforms: Vec::new(),
            engine,
            links_by_end,
            link_end_rates: HashMap::new(),
            link_utilization_told: HashMap::new(),
            dirty: true,
            link,
            device_registry: ActorRegistry::default(),
            rollups: RollupBuffer::default(),
            escalated: BTreeSet::new(),
            pools: Vec::new(),
        }
    }

    fn summary(&self) -> DataCenterSummary {
        let mut summary = DataCenterSummary {
            data_center_id: self.setup.data_center_id,
            devices: self.devices.len() as u32,
            ..DataCenterSummary::default()
        };
        let mut cpu_total = 0.0;
        let mut cpu_count = 0u32;
        for entry in self.devices.values() {
            let device = &entry.summary;
            match device.reachable_opt {
                Some(true) => summary.devices_up += 1,
                Some(false) => summary.devices_down += 1,
                None => summary.devices_unknown += 1,
            }
            summary.interfaces_down += u32::from(device.interfaces_down);
            if let Some(cpu) = device.cpu_percent_opt {
                cpu_total += f64::from(cpu);
                cpu_count += 1;
            }
            if let Some(utilization) = device.max_utilization_percent_opt {
                let max = summary.max_utilization_percent.get_or_insert(0.0);
                *max = max.max(f64::from(utilization));
            }
        }
        summary.average_cpu_percent = (cpu_count > 0).then(|| cpu_total / f64::from(cpu_count));
        summary.pools.clone_from(&self.pools);
        summary.busiest_links = busiest_links(
            &self.setup.links,
            |link| self.link_utilization_percent(link),
            |device_id| {
                self.devices
                    .get(&device_id)
                    .map(|entry| entry.config.name.clone())
                    .unwrap_or_default()
            },
        );
        summary.busiest_devices = busiest_devices(
            self.devices
                .values()
                .filter(|entry| entry.summary.reachable_opt == Some(true))
                .map(|entry| {
                    (
                        entry.config.id,
                        entry.config.name.as_str(),
                        entry.summary.cpu_percent_opt.map(f64::from),
                    )
                }),
        );
        for severity in [
            Severity::Critical,
            Severity::Major,
            Severity::Minor,
            Severity::Info,
        ] {
            summary
                .alarms
                .insert(severity::name(severity).to_owned(), 0);
        }
        for (_, active) in self.engine.active_alarms() {
            *summary
                .alarms
                .entry(severity::name(active.severity).to_owned())
                .or_default() += 1;
        }
        summary
    }

    fn link_utilization_percent(&self, link: &DeviceLink) -> Option<f64> {
        let rate_at = |device_id: i64, if_index: u32| {
            self.link_end_rates
                .get(&device_id)
                .and_then(|rates| rates.get(&if_index))
                .copied()
        };
        link_utilization_percent(
            link.bandwidth_bps,
            [
                rate_at(link.a_device_id, link.a_if_index),
                rate_at(link.b_device_id, link.b_if_index),
            ],
        )
    }

    /// Keeps the rates at the device's link ends from its report: replaced after a poll,
    /// forgotten when the device is unreachable, kept after a trap (which measures nothing).
    /// Whether they changed.
    fn note_link_end_rates(&mut self, report: &DeviceReport) -> bool {
        let polled = report.summary.reachable_opt == Some(false) || !report.points.is_empty();
        if !polled {
            return false;
        }
        let mut rates: BTreeMap<u32, f64> = BTreeMap::new();
        for point in &report.points {
            let is_rate = matches!(point.metric, "interface_in_bps" | "interface_out_bps");
            if is_rate
                && self
                    .links_by_end
                    .contains_key(&(report.device_id, point.instance))
            {
                let rate = rates.entry(point.instance).or_insert(point.value);
                *rate = rate.max(point.value);
            }
        }
        let before = if rates.is_empty() {
            self.link_end_rates.remove(&report.device_id)
        } else {
            self.link_end_rates.insert(report.device_id, rates.clone())
        };
        before.unwrap_or_default() != rates
    }

    fn publish_if_dirty(&mut self) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        let summary = self.summary();
        self.link.publish(summary.clone());
        self.setup
            .overview
            .do_send(DataCenterUpdate(summary.clone()));
        let hub = self.setup.hub.clone();
        let topic = Topic::DataCenter(self.setup.data_center_id);
        actix::spawn(async move {
            if let Err(error) = hub
                .publish(&topic, EventKind::DataCenterSummary, &summary)
                .await
            {
                tracing::warn!(%error, "cannot publish a data center summary");
            }
        });
    }

    /// Tells `dc/{id}`'s current subscribers of the links whose utilization moved enough
    /// since it was last told (telemetry: never replayed).
    fn publish_link_utilization(&mut self) {
        let current: Vec<LinkUtilization> = self
            .setup
            .links
            .iter()
            .map(|link| LinkUtilization {
                link_id: link.link_id,
                utilization_percent: self.link_utilization_percent(link),
            })
            .collect();
        let links = utilization_changes(&self.link_utilization_told, &current);
        if links.is_empty() {
            return;
        }
        for link in &links {
            self.link_utilization_told
                .insert(link.link_id, link.utilization_percent);
        }
        let data = LinkUtilizationEvent {
            data_center_id: self.setup.data_center_id,
            links,
        };
        let hub = self.setup.hub.clone();
        let topic = Topic::DataCenter(self.setup.data_center_id);
        actix::spawn(async move {
            if let Err(error) = hub
                .publish_telemetry(&topic, EventKind::LinkUtilization, &data)
                .await
            {
                tracing::warn!(%error, "cannot publish links' utilization");
            }
        });
    }

    fn record(&self, events: Vec<AlarmEvent>) {
        for event in events {
            self.record_one(event, None);
        }
    }

    fn record_one(
        &self,
        event: AlarmEvent,
        written_tx_opt: Option<tokio::sync::oneshot::Sender<crate::db::entities::alarm::Model>>,
    ) {
        {
            let key = match &event {
                AlarmEvent::Raised { key, .. }
                | AlarmEvent::Acknowledged { key, .. }
                | AlarmEvent::Cleared { key, .. }
                | AlarmEvent::CauseChanged { key, .. }
                | AlarmEvent::CauseRecovered { key, .. }
                | AlarmEvent::FlappingStarted { key, .. }
                | AlarmEvent::FlappingEnded { key, .. } => key.clone(),
            };
            if let AlarmEvent::CauseRecovered { .. } = event {
                // Its last reading came through the dead upstream: look again now.
                if let Some(entry) = self.devices.get(&key.device_id) {
                    entry.handle.addr().do_send(super::messages::PollNow);
                }
            }
            let rule_name = self
                .setup
                .rules
                .iter()
                .find(|rule| rule.id == key.rule_id)
                .map(|rule| rule.name.clone())
                .unwrap_or_default();
            let device_name = self
                .devices
                .get(&key.device_id)
                .map(|entry| entry.config.name.clone())
                .unwrap_or_default();
            let _ = self.setup.alarm_writer.send(AlarmWrite::Event(AlarmRecord {
                event,
                rule_name,
                device_name,
                written_tx_opt,
            }));
        }
    }

    /// Reads the pools' usage from the CMDB, off the actor's context.
    fn refresh_pools(&mut self, ctx: &mut Context<Self>) {
        let db = self.setup.db.clone();
        let data_center_id = self.setup.data_center_id;
        let read = async move {
            let (hosts, names) =
                candidates_with_pool_names(&db, Within::DataCenter(data_center_id)).await?;
            Ok::<_, DbErr>(pool_usage(&hosts, &names))
        };
        ctx.spawn(
            read.into_actor(self)
                .map(|result, actor, _ctx| match result {
                    Ok(pools) => {
                        if pools != actor.pools {
                            actor.pools = pools;
                            actor.dirty = true;
                        }
                    }
                    Err(error) => tracing::warn!(%error, "cannot read resource pools' usage"),
                }),
        );
    }

    /// Escalates major and critical root-cause alarms nobody acknowledged in time, once each.
    fn escalate_overdue(&mut self, now_ms: u64) {
        let overdue_ms = self.setup.escalate_after.as_millis() as u64;
        let mut still_active = BTreeSet::new();
        let mut due = Vec::new();
        for (key, active) in self.engine.active_alarms() {
            let id = (key.clone(), active.occurrence);
            still_active.insert(id.clone());
            let overdue = active.acknowledged_opt.is_none()
                && active.caused_by_opt.is_none()
                && active.severity >= Severity::Major
                && now_ms.saturating_sub(active.raised_at_ms) >= overdue_ms;
            if overdue && !self.escalated.contains(&id) {
                due.push(id);
            }
        }
        self.escalated.retain(|id| still_active.contains(id));
        for (key, occurrence) in due {
            self.escalated.insert((key.clone(), occurrence));
            let _ = self
                .setup
                .alarm_writer
                .send(AlarmWrite::Escalate { key, occurrence });
        }
    }

    fn publish_link_changes(&self, device_id: i64, changes: &[Change]) {
        for change in changes {
            let (if_index, up) = match change {
                Change::InterfaceDown { if_index } => (*if_index, false),
                Change::InterfaceUp { if_index } => (*if_index, true),
                _ => continue,
            };
            let Some(device_link) = self.links_by_end.get(&(device_id, if_index)) else {
                continue;
            };
            let data = LinkStateEvent {
                link_id: device_link.link_id,
                up,
                device_id,
                if_index,
            };
            let hub = self.setup.hub.clone();
            let topic = Topic::DataCenter(self.setup.data_center_id);
            actix::spawn(async move {
                for topic in [topic, Topic::Overview] {
                    if let Err(error) = hub.publish(&topic, EventKind::LinkState, &data).await {
                        tracing::warn!(%error, "cannot publish a link state");
                    }
                }
            });
        }
    }
}

impl Actor for DataCenterActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let supervisor = Supervisor::new(self.device_registry.clone(), Backoff::default());
        let reports = ctx.address().recipient::<DeviceReport>();
        for config in &self.setup.devices {
            let config = config.clone();
            let factory_config = config.clone();
            let setup = self.setup.clone();
            let reports = reports.clone();
            let handle = supervisor.spawn(
                &format!("device-{}", config.id),
                DeviceSummary::default(),
                move |link| {
                    DeviceActor::new(
                        factory_config.clone(),
                        &setup.mux,
                        setup.patience,
                        reports.clone(),
                        setup.hub.clone(),
                        setup.metrics.clone(),
                        link,
                    )
                },
            );
            self.setup
                .directory
                .register(&config, self.setup.data_center_id, handle.clone());
            self.devices.insert(
                config.id,
                DeviceEntry {
                    config,
                    handle,
                    summary: DeviceSummary::default(),
                },
            );
        }
        for platform in &self.setup.platforms {
            let platform = platform.clone();
            let setup = self.setup.clone();
            let platform_id = platform.id;
            let handle = supervisor.spawn(
                &format!("platform-{}", platform.id),
                PlatformSummary {
                    platform_id: platform.id,
                    ..PlatformSummary::default()
                },
                move |link| {
                    PlatformActor::new(platform.clone(), setup.db.clone(), setup.hub.clone(), link)
                },
            );
            self.setup
                .directory
                .register_platform(platform_id, handle.clone());
            self.platforms.push(handle);
        }
        ctx.run_interval(PUBLISH_INTERVAL, |actor, _ctx| actor.publish_if_dirty());
        ctx.run_interval(LINK_UTILIZATION_INTERVAL, |actor, _ctx| {
            actor.publish_link_utilization();
        });
        ctx.run_interval(POOL_REFRESH_INTERVAL, |actor, ctx| actor.refresh_pools(ctx));
        self.refresh_pools(ctx);
        ctx.run_interval(ESCALATION_CHECK_INTERVAL, |actor, _ctx| {
            actor.escalate_overdue(super::now_ms());
        });
        ctx.run_interval(ROLLUP_FLUSH_INTERVAL, |actor, _ctx| {
            let finished = actor.rollups.take_finished(super::now_ms());
            if !finished.is_empty() {
                let _ = actor.setup.rollup_writer.send(finished);
            }
        });
    }
}

impl Drop for DataCenterActor {
    /// The device actors go with their data center (a restarted one starts its own).
    fn drop(&mut self) {
        for entry in self.devices.values() {
            entry.handle.stop_supervising();
            entry.handle.addr().do_send(Stop);
        }
        for platform in &self.platforms {
            platform.stop_supervising();
            platform.addr().do_send(Stop);
        }
    }
}

impl Handler<DeviceReport> for DataCenterActor {
    type Result = ();

    fn handle(&mut self, report: DeviceReport, _ctx: &mut Context<Self>) {
        let Some(entry) = self.devices.get_mut(&report.device_id) else {
            return;
        };
        if entry.summary != report.summary || !report.changes.is_empty() {
            self.dirty = true;
        }
        entry.summary = report.summary;
        if self.note_link_end_rates(&report) {
            self.dirty = true;
        }
        self.rollups
            .add(report.device_id, report.at_ms, &report.points);
        self.publish_link_changes(report.device_id, &report.changes);
        let mut events = Vec::new();
        for observation in &report.observations {
            events.extend(self.engine.observe(observation));
        }
        if !events.is_empty() {
            self.dirty = true;
        }
        self.record(events);
        if let Some(interfaces) = report.interfaces_discovered_opt {
            self.setup
                .directory
                .interfaces_discovered(report.device_id, interfaces);
        }
    }
}

impl Handler<AlarmCommand> for DataCenterActor {
    type Result = Result<(), AlarmCommandFailed>;

    fn handle(&mut self, command: AlarmCommand, _ctx: &mut Context<Self>) -> Self::Result {
        let at_ms = super::now_ms();
        let result = match command.action {
            AlarmAction::Acknowledge => {
                self.engine
                    .acknowledge(&command.key, command.occurrence, command.user_id, at_ms)
            }
            AlarmAction::Clear => {
                self.engine
                    .clear(&command.key, command.occurrence, command.user_id, at_ms)
            }
        };
        let event = result?;
        self.dirty = true;
        self.record_one(event, Some(command.written_tx));
        Ok(())
    }
}

impl Handler<Stop> for DataCenterActor {
    type Result = ();

    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) {
        actix::ActorContext::stop(ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yunguan_actors::placement::{HostCandidate, Overcommit};

    #[test]
    fn pools_add_up_their_hosts_with_overcommit() {
        let host = |host_id, pool_id, vcpu_total, vcpu_allocated| HostCandidate {
            host_id,
            cluster_id: 1,
            pool_id,
            data_center_id: 1,
            vcpu_total,
            memory_mb_total: 1024,
            disk_gb_total: 100,
            vcpu_allocated,
            memory_mb_allocated: 512,
            disk_gb_allocated: 10,
            tenant_ids_present: Default::default(),
            schedulable: true,
            pool_overcommit: Overcommit::new(2.0, 1.0, 1.0).unwrap(),
        };
        let names = BTreeMap::from([(7, "政务云计算资源池".to_owned())]);
        let pools = pool_usage(
            &[host(1, 7, 32, 40), host(2, 7, 16, 0), host(3, 9, 8, 8)],
            &names,
        );
        assert_eq!(pools.len(), 2);
        assert_eq!(
            (pools[0].name.as_str(), pools[1].name.as_str()),
            ("政务云计算资源池", "")
        );
        assert_eq!(
            (
                pools[0].pool_id,
                pools[0].hosts,
                pools[0].vcpu_capacity,
                pools[0].vcpu_allocated
            ),
            (7, 2, 96, 40)
        );
        assert_eq!(
            (pools[0].memory_mb_capacity, pools[0].memory_mb_allocated),
            (2048, 1024)
        );
        assert_eq!((pools[1].pool_id, pools[1].vcpu_capacity), (9, 16));
    }
}
