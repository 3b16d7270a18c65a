//! One `DataCenterActor` per data center. It supervises one `DeviceActor` per device (with its
//! own `Supervisor`, so a device that panics is restarted alone), runs the data center's alarm
//! engine on what its devices report, hands the engine's events to the alarm writer, and
//! publishes its aggregates to `dc/{id}` (and to the overview) at most once a second, however
//! many devices changed in between. The aggregates name the busiest links and devices, from
//! the rates at link ends and the CPU its devices report ([`load`](super::load) selects them);
//! every five seconds at most, the links whose utilization moved go to `dc/{id}` as telemetry.
//!
//! The actor is the shell: it owns the actors, the timers and the ways out (the hub, the
//! alarm and rollup writers); what to say and when is decided by [`DataCenterState`] in
//! `state.rs`, which is given the time and never reads a clock.

mod state;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, ActorFutureExt, AsyncContext, Context, Handler, Recipient, WrapFuture};
use parking_lot::RwLock;
use sea_orm::{DatabaseConnection, DbErr};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use utoipa::ToSchema;
use yunguan_actors::alarm::{AlarmEvent, AlarmRule};
use yunguan_actors::supervision::{ActorRegistry, Backoff, Link, Supervised, Supervisor};

use super::alarms::{open_alarms, AlarmRecord, AlarmWrite, AlarmWriter, Notifier};
use super::device::{DeviceActor, DeviceReport, DeviceServices, DeviceSummary};
use super::directory::Directory;
use super::discovered::Discovery;
use super::load::{BusyDevice, BusyLink, LinkUtilization};
use super::messages::{
    AlarmCommand, AlarmCommandFailed, DeviceConfig, InventoryChanged, Reconfigure, RulesChanged,
    Started, Stop,
};
use super::plan::DataCenterInventory;
use super::platform::{PlatformActor, PlatformConfig, PlatformServices, PlatformSummary};
use super::rollups::{Rollup, RollupBuffer, Subject};
use super::snmp::mux::Multiplexer;
use super::snmp::session::Patience;
use crate::clock::Clock;
use crate::hub::{EventData, EventKind, Hub, Topic};
use crate::inventory::capacity::{candidates_with_pool_names, Within};
use crate::metrics::Metrics;
use state::{DataCenterState, Layout, Reported};

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

/// A data center left monitoring (it was deleted from the inventory): the overview forgets it,
/// and ignores an update of it still on its way (data center ids are never reused).
#[derive(Debug, Clone, actix::Message)]
#[rtype(result = "()")]
pub struct DataCenterGone(pub i64);

impl EventData for DataCenterSummary {}

/// The data of `link.state`: one end of a link went up or down.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
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

/// What every data center of the node shares.
pub struct DataCenterServices {
    pub db: DatabaseConnection,
    /// The alarm rules in force; replaced when an operator changes them.
    pub rules: RwLock<Arc<Vec<AlarmRule>>>,
    pub mux: Multiplexer,
    pub patience: Patience,
    pub hub: Hub,
    pub overview: Recipient<DataCenterUpdate>,
    pub notifier: Notifier,
    /// Root-cause alarms unacknowledged this long are escalated.
    pub escalate_after: Duration,
    /// How often platforms' VMs are polled.
    pub vm_poll_interval: Duration,
    pub directory: Directory,
    pub metrics: Arc<Metrics>,
    pub rollup_writer: mpsc::UnboundedSender<Vec<Rollup>>,
    /// Monitoring's time: devices poll and date by it, periodic checks wait on it, and it
    /// dates commands.
    pub clock: Clock,
}

/// What a data center needs to run: the shared services, its alarm writer, and what it
/// monitors, which the inventory replaces while it runs (a restarted actor starts from the
/// latest).
pub struct DataCenterSetup {
    pub data_center_id: i64,
    pub services: Arc<DataCenterServices>,
    pub alarm_writer: mpsc::UnboundedSender<AlarmWrite>,
    inventory: RwLock<Arc<DataCenterInventory>>,
    /// A data center entered while monitoring runs has its devices first polled within
    /// [`NEW_DEVICE_SPREAD`], as a device entered into a running data center is; one started
    /// with monitoring spreads them over their interval.
    pub entered_while_running: bool,
}

impl DataCenterSetup {
    /// A data center's setup, starting its alarm writer.
    pub fn new(
        data_center_id: i64,
        services: Arc<DataCenterServices>,
        inventory: DataCenterInventory,
        entered_while_running: bool,
    ) -> DataCenterSetup {
        let alarm_writer = AlarmWriter {
            db: services.db.clone(),
            hub: services.hub.clone(),
            notifier: services.notifier.clone(),
            clock: services.clock.clone(),
            data_center_id,
        }
        .start();
        DataCenterSetup {
            data_center_id,
            services,
            alarm_writer,
            inventory: RwLock::new(Arc::new(inventory)),
            entered_while_running,
        }
    }

    /// What the data center monitors now.
    pub fn inventory(&self) -> Arc<DataCenterInventory> {
        self.inventory.read().clone()
    }

    /// Replaces what the data center monitors; false (nothing replaced) when `inventory`
    /// asks for nothing different.
    pub fn replace_inventory(&self, inventory: DataCenterInventory) -> bool {
        let mut current = self.inventory.write();
        if current.same_as(&inventory) {
            return false;
        }
        *current = Arc::new(inventory);
        true
    }

    fn device_services(&self) -> DeviceServices {
        let services = &self.services;
        DeviceServices {
            mux: services.mux.clone(),
            patience: services.patience,
            hub: services.hub.clone(),
            metrics: services.metrics.clone(),
            clock: services.clock.clone(),
        }
    }

    fn platform_services(&self) -> PlatformServices {
        PlatformServices {
            db: self.services.db.clone(),
            hub: self.services.hub.clone(),
            clock: self.services.clock.clone(),
            vm_poll_interval: self.services.vm_poll_interval,
            rollup_writer: self.services.rollup_writer.clone(),
        }
    }
}

/// How often finished minutes go to the rollup writer.
const ROLLUP_FLUSH_INTERVAL: Duration = Duration::from_secs(10);

/// The shell around [`DataCenterState`]: it supervises the device and platform actors, feeds
/// the state their reports, the operators' commands and the time, and carries out what the
/// state answers.
pub struct DataCenterActor {
    setup: Arc<DataCenterSetup>,
    state: DataCenterState,
    /// The inventory the running actors were started or last reconfigured from.
    running: Arc<DataCenterInventory>,
    /// The device actors, by device id.
    devices: HashMap<i64, Supervised<DeviceActor, DeviceSummary>>,
    /// The platform actors, by platform id.
    platforms: HashMap<i64, Supervised<PlatformActor, PlatformSummary>>,
    link: Link<DataCenterSummary>,
    /// The device and platform actors' supervisor, with a registry of this data center's own.
    supervisor: Supervisor,
    rollups: RollupBuffer,
}

/// A device entered while the data center runs, or with a data center entered while
/// monitoring runs, is first polled within this (devices started with monitoring spread
/// over their interval).
const NEW_DEVICE_SPREAD: Duration = Duration::from_secs(10);

/// How often unacknowledged alarms are looked at for escalation.
const ESCALATION_CHECK_INTERVAL: Duration = Duration::from_secs(30);

fn device_actor_name(device_id: i64) -> String {
    format!("device-{device_id}")
}

fn platform_actor_name(platform_id: i64) -> String {
    format!("platform-{platform_id}")
}

impl DataCenterActor {
    pub fn new(setup: Arc<DataCenterSetup>, link: Link<DataCenterSummary>) -> DataCenterActor {
        let running = setup.inventory();
        let rules = setup.services.rules.read().clone();
        let state = DataCenterState::new(Layout {
            data_center_id: setup.data_center_id,
            devices: &running.devices,
            links: &running.links,
            rules: &rules,
            escalate_after: setup.services.escalate_after,
        });
        DataCenterActor {
            setup,
            state,
            running,
            devices: HashMap::new(),
            platforms: HashMap::new(),
            link,
            supervisor: Supervisor::new(ActorRegistry::default(), Backoff::default()),
            rollups: RollupBuffer::default(),
        }
    }

    /// Starts a device's actor, its first poll within `spread`, and registers it. A
    /// restarted actor polls as the inventory says by then.
    fn start_device(
        &mut self,
        config: &Arc<DeviceConfig>,
        spread: Duration,
        ctx: &mut Context<Self>,
    ) {
        let setup = self.setup.clone();
        let reports = ctx.address().recipient::<DeviceReport>();
        let (device_id, first) = (config.id, config.clone());
        let handle = self.supervisor.spawn(
            &device_actor_name(device_id),
            DeviceSummary::default(),
            move |link| {
                let inventory = setup.inventory();
                let config = inventory.device(device_id).unwrap_or(&first).clone();
                DeviceActor::new(config, setup.device_services(), reports.clone(), link)
                    .first_poll_within(spread)
            },
        );
        self.setup
            .services
            .directory
            .register(config, self.setup.data_center_id, handle.clone());
        self.devices.insert(device_id, handle);
    }

    /// Stops a device's actor for good and unregisters it.
    fn stop_device(&mut self, device_id: i64) {
        if let Some(handle) = self.devices.remove(&device_id) {
            self.supervisor
                .retire(&device_actor_name(device_id), &handle);
            handle.addr().do_send(Stop);
            self.setup
                .services
                .directory
                .unregister(device_id, self.setup.data_center_id);
        }
    }

    fn start_platform(&mut self, platform: &Arc<PlatformConfig>) {
        let setup = self.setup.clone();
        let (platform_id, config) = (platform.id, platform.clone());
        let handle = self.supervisor.spawn(
            &platform_actor_name(platform_id),
            PlatformSummary {
                platform_id,
                ..PlatformSummary::default()
            },
            move |link| PlatformActor::new(config.clone(), setup.platform_services(), link),
        );
        self.setup
            .services
            .directory
            .register_platform(platform_id, handle.clone());
        self.platforms.insert(platform_id, handle);
    }

    fn stop_platform(&mut self, platform_id: i64) {
        if let Some(handle) = self.platforms.remove(&platform_id) {
            self.supervisor
                .retire(&platform_actor_name(platform_id), &handle);
            handle.addr().do_send(Stop);
            self.setup
                .services
                .directory
                .unregister_platform(platform_id);
        }
    }

    /// Brings the running actors in line with the inventory: new devices and platforms
    /// start, removed ones stop (their alarms cleared), changed devices are reconfigured in
    /// place (their schedule and history kept), changed platforms start again with a new
    /// client; devices nothing changed for go on undisturbed.
    fn follow_inventory(&mut self, ctx: &mut Context<Self>) {
        let next = self.setup.inventory();
        let before = std::mem::replace(&mut self.running, next.clone());
        let previous: HashMap<i64, &Arc<DeviceConfig>> = before
            .devices
            .iter()
            .map(|device| (device.id, device))
            .collect();
        for config in &next.devices {
            let running_opt = self.devices.get(&config.id).cloned();
            match (previous.get(&config.id), running_opt) {
                (Some(previous), Some(_)) if previous == &config => {}
                (Some(_), Some(handle)) => {
                    self.setup.services.directory.register(
                        config,
                        self.setup.data_center_id,
                        handle.clone(),
                    );
                    handle.addr().do_send(Reconfigure(config.clone()));
                }
                _ => self.start_device(config, NEW_DEVICE_SPREAD, ctx),
            }
        }
        let kept: HashSet<i64> = next.devices.iter().map(|device| device.id).collect();
        for device in &before.devices {
            if !kept.contains(&device.id) {
                self.stop_device(device.id);
            }
        }
        for platform in &before.platforms {
            let kept = next
                .platforms
                .iter()
                .any(|candidate| candidate.same_as(platform));
            if !kept {
                self.stop_platform(platform.id);
            }
        }
        for platform in &next.platforms {
            if !self.platforms.contains_key(&platform.id) {
                self.start_platform(platform);
            }
        }
        let now_ms = self.setup.services.clock.now_ms();
        let events = self.state.relayout(&next.devices, &next.links, now_ms);
        self.record(events);
        tracing::info!(
            data_center_id = self.setup.data_center_id,
            devices = next.devices.len(),
            links = next.links.len(),
            platforms = next.platforms.len(),
            "data center follows the inventory"
        );
    }

    fn publish_if_dirty(&mut self) {
        let Some(summary) = self.state.take_summary() else {
            return;
        };
        self.link.publish(summary.clone());
        self.setup
            .services
            .overview
            .do_send(DataCenterUpdate(summary.clone()));
        let hub = self.setup.services.hub.clone();
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
        let Some(data) = self.state.take_link_utilization() else {
            return;
        };
        let hub = self.setup.services.hub.clone();
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
        let key = event.key();
        if let AlarmEvent::CauseRecovered { .. } = event {
            // Its last reading came through the dead upstream: look again now.
            if let Some(handle) = self.devices.get(&key.device_id) {
                handle.addr().do_send(super::messages::PollNow);
            }
        }
        let (rule_name, device_name) = self.state.names_of(key);
        let _ = self.setup.alarm_writer.send(AlarmWrite::Event(AlarmRecord {
            event,
            rule_name,
            device_name,
            written_tx_opt,
        }));
    }

    /// Reads the pools' usage from the CMDB, off the actor's context.
    fn refresh_pools(&mut self, ctx: &mut Context<Self>) {
        let db = self.setup.services.db.clone();
        let data_center_id = self.setup.data_center_id;
        let read = async move {
            let (hosts, names) =
                candidates_with_pool_names(&db, Within::DataCenter(data_center_id)).await?;
            Ok::<_, DbErr>(pool_usage(&hosts, &names))
        };
        ctx.spawn(
            read.into_actor(self)
                .map(|result, actor, _ctx| match result {
                    Ok(pools) => actor.state.set_pools(pools),
                    Err(error) => tracing::warn!(%error, "cannot read resource pools' usage"),
                }),
        );
    }

    /// Escalates major and critical root-cause alarms nobody acknowledged in time, once each;
    /// one a maintenance window holds back is asked about again after the window.
    fn escalate_overdue(&mut self, ctx: &mut Context<Self>) {
        let now_ms = self.setup.services.clock.now_ms();
        for (key, occurrence) in self.state.overdue(now_ms) {
            let (held_tx, held_rx) = oneshot::channel();
            let escalation = AlarmWrite::Escalate {
                key: key.clone(),
                occurrence,
                held_tx,
            };
            if self.setup.alarm_writer.send(escalation).is_err() {
                continue;
            }
            ctx.spawn(held_rx.into_actor(self).map(move |held, actor, _| {
                if let Ok(until_ms) = held {
                    actor.state.hold(key, occurrence, until_ms);
                }
            }));
        }
    }

    fn publish_link_states(&self, link_states: Vec<LinkStateEvent>) {
        for data in link_states {
            let hub = self.setup.services.hub.clone();
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

    /// Takes back the alarms an earlier run (or incarnation) left open, then starts the
    /// devices and platforms: the actor handles nothing else until the alarms are read, so
    /// no report is judged without them. Should they not be read, the actor stops and its
    /// supervisor starts it again later.
    fn started(&mut self, ctx: &mut Context<Self>) {
        let db = self.setup.services.db.clone();
        let data_center_id = self.setup.data_center_id;
        let read = async move { open_alarms(&db, data_center_id).await };
        ctx.wait(read.into_actor(self).map(move |result, actor, ctx| {
            let (recorded, escalated) = match result {
                Ok(open) => open,
                Err(error) => {
                    tracing::error!(data_center_id, %error, "cannot read the open alarms");
                    actix::ActorContext::stop(ctx);
                    return;
                }
            };
            if !recorded.is_empty() {
                tracing::info!(
                    data_center_id,
                    alarms = recorded.len(),
                    "open alarms taken back"
                );
            }
            let now_ms = actor.setup.services.clock.now_ms();
            let events = actor.state.restore(recorded, escalated, now_ms);
            actor.record(events);
            let running = actor.running.clone();
            for config in &running.devices {
                let spread = if actor.setup.entered_while_running {
                    NEW_DEVICE_SPREAD
                } else {
                    config.poll_interval
                };
                actor.start_device(config, spread, ctx);
            }
            for platform in &running.platforms {
                actor.start_platform(platform);
            }
        }));
        ctx.run_interval(PUBLISH_INTERVAL, |actor, _ctx| actor.publish_if_dirty());
        ctx.run_interval(LINK_UTILIZATION_INTERVAL, |actor, _ctx| {
            actor.publish_link_utilization();
        });
        ctx.run_interval(POOL_REFRESH_INTERVAL, |actor, ctx| actor.refresh_pools(ctx));
        self.refresh_pools(ctx);
        self.every(ctx, ESCALATION_CHECK_INTERVAL, |actor, ctx| {
            actor.escalate_overdue(ctx);
        });
        self.every(ctx, ROLLUP_FLUSH_INTERVAL, |actor, _| {
            let finished = actor
                .rollups
                .take_finished(actor.setup.services.clock.now_ms());
            if !finished.is_empty() {
                let _ = actor.setup.services.rollup_writer.send(finished);
            }
        });
    }
}

impl DataCenterActor {
    /// Runs `work` every `period` of the data center's clock, the first after one period: a
    /// test that advances a manual clock sees the work done at once.
    fn every(
        &self,
        ctx: &mut Context<Self>,
        period: Duration,
        work: fn(&mut DataCenterActor, &mut Context<Self>),
    ) {
        let clock = self.setup.services.clock.clone();
        let deadline = clock.now() + chrono::Duration::from_std(period).unwrap_or_default();
        ctx.spawn(
            async move { clock.sleep_until(deadline).await }
                .into_actor(self)
                .map(move |(), actor, ctx| {
                    work(actor, ctx);
                    actor.every(ctx, period, work);
                }),
        );
    }
}

impl Drop for DataCenterActor {
    /// The device actors go with their data center (a restarted one starts its own).
    fn drop(&mut self) {
        for handle in self.devices.values() {
            handle.stop_supervising();
            handle.addr().do_send(Stop);
        }
        for platform in self.platforms.values() {
            platform.stop_supervising();
            platform.addr().do_send(Stop);
        }
    }
}

impl Handler<DeviceReport> for DataCenterActor {
    type Result = ();

    fn handle(&mut self, report: DeviceReport, _ctx: &mut Context<Self>) {
        let Reported {
            alarm_events,
            link_states,
        } = self.state.on_report(&report);
        self.rollups.add(
            Subject::Device(report.device_id),
            report.at_ms,
            &report.points,
        );
        self.publish_link_states(link_states);
        self.record(alarm_events);
        let directory = &self.setup.services.directory;
        let found = report.found;
        if let Some(interfaces) = found.interfaces_opt {
            directory.discovered(report.device_id, Discovery::Interfaces(interfaces));
        }
        if let Some(hardware) = found.hardware_opt {
            directory.discovered(report.device_id, Discovery::Hardware(hardware));
        }
        if let Some(neighbors) = found.neighbors_opt {
            directory.discovered(report.device_id, Discovery::Neighbors(neighbors));
        }
    }
}

impl Handler<AlarmCommand> for DataCenterActor {
    type Result = Result<(), AlarmCommandFailed>;

    fn handle(&mut self, command: AlarmCommand, _ctx: &mut Context<Self>) -> Self::Result {
        let by = (command.user_id, self.setup.services.clock.now_ms());
        let event = self
            .state
            .on_command(command.action, &command.key, command.occurrence, by)?;
        self.record_one(event, Some(command.written_tx));
        Ok(())
    }
}

impl Handler<InventoryChanged> for DataCenterActor {
    type Result = ();

    fn handle(&mut self, _: InventoryChanged, ctx: &mut Context<Self>) {
        self.follow_inventory(ctx);
    }
}

impl Handler<RulesChanged> for DataCenterActor {
    type Result = ();

    fn handle(&mut self, _: RulesChanged, _ctx: &mut Context<Self>) {
        let rules = self.setup.services.rules.read().clone();
        let now_ms = self.setup.services.clock.now_ms();
        let events = self.state.set_rules(&rules, now_ms);
        self.record(events);
    }
}

impl Handler<Started> for DataCenterActor {
    type Result = ();

    fn handle(&mut self, _: Started, _ctx: &mut Context<Self>) {}
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
