//! The device actor shell: schedule, poll, publish, report. See the module above.

use std::sync::Arc;
use std::time::Duration;

use actix::{
    Actor, ActorFutureExt, AsyncContext, Context, Handler, Recipient, SpawnHandle, WrapFuture,
};
use chrono::{DateTime, Utc};
use rand::Rng;
use yunguan_actors::supervision::Link;

use super::state::{Change, DeviceState};
use super::{
    DeviceChange, DeviceSampleEvent, DeviceServices, DeviceStateEvent, DeviceStateView,
    DeviceSummary, InterfaceSampleEvent, InterfaceStateView,
};
use crate::hub::{EventKind, Topic};
use crate::monitoring::device::{DeviceReport, Found, GetDeviceStateView};
use crate::monitoring::messages::{
    DeviceConfig, DiscoveredInterface, Panic, PollNow, Reconfigure, Stop, TrapReceived,
};
use crate::monitoring::snmp::entity::Hardware;
use crate::monitoring::snmp::poll::{poll_device, DeviceSample, PollPlan};
use crate::monitoring::snmp::session::Session;
use crate::monitoring::snmp::SnmpError;

/// The first retry after a failed poll comes this soon (or at the interval, if shorter).
const FIRST_RETRY: Duration = Duration::from_secs(2);

/// A device that stays silent is polled at most this many intervals apart.
const MAX_BACKOFF_INTERVALS: u32 = 4;

/// The device's parts (ENTITY-MIB) are read at the first poll, after a restart (an upgrade
/// reboots), and every this many polls besides (an hour at the usual minute).
const INVENTORY_EVERY_POLLS: u32 = 60;

pub struct DeviceActor {
    config: Arc<DeviceConfig>,
    /// Out with the poll in flight, back when it ends: one poll at a time.
    session_opt: Option<Session>,
    /// The device's address or credentials changed while a poll was out with the session:
    /// a new one replaces it when it comes back.
    session_outdated: bool,
    state: DeviceState,
    data_center: Recipient<DeviceReport>,
    services: DeviceServices,
    link: Link<DeviceSummary>,
    next_poll_opt: Option<SpawnHandle>,
    /// A poll was asked for while one was in flight.
    poll_again: bool,
    /// A trap changed a link while a poll was out: that poll's link states are older.
    links_overtaken: bool,
    /// When the next scheduled poll is due, to tell a late start (a missed cycle).
    due_at_opt: Option<DateTime<Utc>>,
    /// When the poll in flight (or the last one) started: cycles are counted from starts.
    started_at: DateTime<Utc>,
    /// The first poll comes at a random moment within this (at most the interval).
    first_poll_within: Duration,
    /// Successful polls since the parts were last read; None: read them at the next.
    polls_since_inventory_opt: Option<u32>,
}

impl DeviceActor {
    pub fn new(
        config: Arc<DeviceConfig>,
        services: DeviceServices,
        data_center: Recipient<DeviceReport>,
        link: Link<DeviceSummary>,
    ) -> DeviceActor {
        let session = session_for(&config, &services);
        let started_at = services.clock.now();
        DeviceActor {
            config,
            session_opt: Some(session),
            session_outdated: false,
            state: DeviceState::default(),
            data_center,
            services,
            link,
            next_poll_opt: None,
            poll_again: false,
            links_overtaken: false,
            due_at_opt: None,
            started_at,
            first_poll_within: Duration::MAX,
            polls_since_inventory_opt: None,
        }
    }

    /// Polls first within `spread` rather than within an interval: a device entered while
    /// monitoring runs is seen soon, while devices started together still spread out.
    pub fn first_poll_within(mut self, spread: Duration) -> DeviceActor {
        self.first_poll_within = spread;
        self
    }

    /// Polls once the clock has moved `delay` on, replacing the poll scheduled before.
    fn schedule(&mut self, delay: Duration, ctx: &mut Context<Self>) {
        if let Some(handle) = self.next_poll_opt.take() {
            ctx.cancel_future(handle);
        }
        self.due_at_opt = Some(self.services.clock.after(delay));
        let wait = self.services.clock.sleep(delay);
        self.next_poll_opt = Some(ctx.spawn(wait.into_actor(self).map(|(), actor, ctx| {
            actor.next_poll_opt = None;
            actor.poll(ctx);
        })));
    }

    fn poll(&mut self, ctx: &mut Context<Self>) {
        let Some(mut session) = self.session_opt.take() else {
            self.poll_again = true;
            return;
        };
        let now = self.services.clock.now();
        if let Some(due_at) = self.due_at_opt.take() {
            if elapsed(due_at, now) > self.config.poll_interval / 2 {
                self.services.metrics.snmp_missed_cycles.inc();
            }
        }
        self.started_at = now;
        let plan = PollPlan {
            inventory: self
                .polls_since_inventory_opt
                .is_none_or(|polls| polls >= INVENTORY_EVERY_POLLS),
            sensors: self.state.has_sensors,
            lldp: !self.state.lldp_ports.is_empty(),
        };
        let poll = async move {
            let result = poll_device(&mut session, plan).await;
            (session, result)
        };
        ctx.spawn(poll.into_actor(self).map(|(session, result), actor, ctx| {
            let outdated = std::mem::take(&mut actor.session_outdated);
            actor.session_opt = if outdated {
                Some(session_for(&actor.config, &actor.services))
            } else {
                Some(session)
            };
            actor.polled(result, ctx);
            if outdated {
                // That poll reached the device as it was: its readings are no baseline.
                actor.state.forget_readings();
            }
        }));
    }

    fn polled(&mut self, result: Result<DeviceSample, SnmpError>, ctx: &mut Context<Self>) {
        let at_ms = self.services.clock.now_ms();
        self.services.metrics.snmp_polls.inc();
        let (changes, discovered) = match &result {
            Ok(sample) => {
                self.services.metrics.snmp_varbinds.inc_by(sample.varbinds);
                if sample.warnings != self.state.warnings {
                    tracing::info!(
                        device_id = self.config.id,
                        warnings = ?sample.warnings,
                        "the agent's answers to a poll changed in what they leave out"
                    );
                }
                let overtaken = std::mem::take(&mut self.links_overtaken);
                let changes = self.state.apply_sample(sample, at_ms, overtaken);
                self.polls_since_inventory_opt = if changes.contains(&Change::Restarted) {
                    None
                } else if sample.entities_opt.is_some() {
                    Some(0)
                } else {
                    self.polls_since_inventory_opt.map(|polls| polls + 1)
                };
                let discovered = changes.contains(&Change::InterfacesChanged).then(|| {
                    sample
                        .interfaces
                        .iter()
                        .map(|i| DiscoveredInterface {
                            if_index: i.if_index,
                            name: i.name.clone(),
                            speed_bps: i.speed_bps,
                            description: i.alias.clone(),
                        })
                        .collect()
                });
                (changes, discovered)
            }
            Err(error) => {
                self.services.metrics.snmp_poll_failures.inc();
                tracing::debug!(device_id = self.config.id, %error, "poll failed");
                (self.state.apply_failure(error.to_string()), None)
            }
        };
        self.publish(&changes, at_ms, result.is_ok());
        let points = if result.is_ok() {
            self.state.metric_points()
        } else {
            Vec::new()
        };
        let found = Found {
            interfaces_opt: discovered,
            hardware_opt: result
                .as_ref()
                .ok()
                .and_then(|sample| sample.entities_opt.as_deref())
                .and_then(Hardware::of),
            neighbors_opt: changes
                .contains(&Change::NeighborsChanged)
                .then(|| self.state.neighbors.clone()),
        };
        self.report(changes, found, points, at_ms);
        let delay = if self.poll_again {
            self.poll_again = false;
            Duration::ZERO
        } else {
            self.next_delay()
        };
        self.schedule(delay, ctx);
    }

    /// Healthy devices are polled an interval (with jitter) after the last poll started;
    /// failing ones sooner once, then less and less often.
    fn next_delay(&self) -> Duration {
        let interval = self.config.poll_interval;
        match self.state.consecutive_failures {
            0 => jittered(interval)
                .saturating_sub(elapsed(self.started_at, self.services.clock.now())),
            1 => FIRST_RETRY.min(interval),
            failures => {
                let factor = 1u32 << (failures - 2).min(8);
                interval * factor.min(MAX_BACKOFF_INTERVALS)
            }
        }
    }

    fn summary(&self) -> DeviceSummary {
        let (up, down) = self.state.interfaces.iter().filter(|i| i.admin_up).fold(
            (0u16, 0u16),
            |(up, down), i| {
                if i.oper_up {
                    (up + 1, down)
                } else {
                    (up, down + 1)
                }
            },
        );
        DeviceSummary {
            reachable_opt: self.state.reachable_opt,
            interfaces_up: up,
            interfaces_down: down,
            cpu_percent_opt: self.state.cpu_percent_opt.map(|v| v as f32),
            memory_percent_opt: self.state.memory_percent_opt.map(|v| v as f32),
            max_utilization_percent_opt: self.state.max_utilization_percent().map(|v| v as f32),
        }
    }

    fn report(
        &mut self,
        changes: Vec<Change>,
        found: Found,
        points: Vec<crate::monitoring::rollups::MetricPoint>,
        at_ms: u64,
    ) {
        let summary = self.summary();
        self.link.publish(summary);
        let observations = self
            .state
            .observations(self.config.id, &self.config.kind, at_ms);
        self.data_center.do_send(DeviceReport {
            device_id: self.config.id,
            summary,
            changes,
            observations,
            points,
            at_ms,
            found,
        });
    }

    /// State changes go out one by one as events, to the device's topic and to its data
    /// center's (the topology colours devices from there); after a poll, the new values go
    /// out as one telemetry sample (to current subscribers only, never replayed).
    fn publish(&self, changes: &[Change], at_ms: u64, with_sample: bool) {
        let topic = Topic::Device(self.config.id);
        let data_center_topic = Topic::DataCenter(self.config.data_center_id);
        let device_id = self.config.id;
        let events: Vec<DeviceStateEvent> = changes
            .iter()
            .filter_map(|change| change_event(device_id, change, at_ms))
            .collect();
        let sample_opt = with_sample.then(|| self.sample_event(at_ms));
        if events.is_empty() && sample_opt.is_none() {
            return;
        }
        let hub = self.services.hub.clone();
        actix::spawn(async move {
            for data in events {
                for topic in [&topic, &data_center_topic] {
                    if let Err(error) = hub.publish(topic, EventKind::DeviceState, &data).await {
                        tracing::warn!(device_id, %topic, %error, "cannot publish a device event");
                    }
                }
            }
            if let Some(sample) = sample_opt {
                if let Err(error) = hub
                    .publish_telemetry(&topic, EventKind::DeviceSample, &sample)
                    .await
                {
                    tracing::warn!(device_id, %error, "cannot publish a device sample");
                }
            }
        });
    }

    fn sample_event(&self, at_ms: u64) -> DeviceSampleEvent {
        DeviceSampleEvent {
            device_id: self.config.id,
            at_ms,
            status: status(&self.state).to_owned(),
            cpu_percent: self.state.cpu_percent_opt,
            memory_percent: self.state.memory_percent_opt,
            temperature_celsius: self.state.temperature_celsius_opt,
            interfaces: self
                .state
                .interfaces
                .iter()
                .map(|i| InterfaceSampleEvent {
                    if_index: i.if_index,
                    oper_up: i.oper_up,
                    in_bps: i.rates.in_bps,
                    out_bps: i.rates.out_bps,
                    utilization_percent: i.utilization_percent(),
                })
                .collect(),
            warnings: self.state.warnings.clone(),
        }
    }

    fn view(&self) -> DeviceStateView {
        DeviceStateView {
            device_id: self.config.id,
            name: self.config.name.clone(),
            kind: self.config.kind.clone(),
            status: status(&self.state).to_owned(),
            last_error: self.state.last_error_opt.clone(),
            last_poll_at_ms: self.state.last_poll_at_ms_opt,
            uptime_ticks: self.state.uptime_ticks_opt,
            warnings: self.state.warnings.clone(),
            cpu_percent: self.state.cpu_percent_opt,
            memory_percent: self.state.memory_percent_opt,
            temperature_celsius: self.state.temperature_celsius_opt,
            interfaces: self
                .state
                .interfaces
                .iter()
                .map(|i| InterfaceStateView {
                    if_index: i.if_index,
                    name: i.name.clone(),
                    speed_bps: i.speed_bps,
                    admin_up: i.admin_up,
                    oper_up: i.oper_up,
                    utilization_percent: i.utilization_percent(),
                    rates: i.rates,
                })
                .collect(),
            storages: self.state.storages.clone(),
            parts: self.state.parts.clone(),
            neighbors: self.state.neighbors.clone(),
            history: self.state.history.iter().copied().collect(),
        }
    }
}

/// A session to the device as configured.
fn session_for(config: &DeviceConfig, services: &DeviceServices) -> Session {
    Session::new(
        config.address,
        &config.credentials,
        &services.mux,
        services.patience,
    )
}

fn status(state: &DeviceState) -> &'static str {
    match state.reachable_opt {
        None => "unknown",
        Some(true) => "up",
        Some(false) => "down",
    }
}

fn change_event(device_id: i64, change: &Change, at_ms: u64) -> Option<DeviceStateEvent> {
    let (change, if_index) = match change {
        Change::Reachable => (DeviceChange::Reachable, None),
        Change::Unreachable => (DeviceChange::Unreachable, None),
        Change::InterfaceUp { if_index } => (DeviceChange::InterfaceUp, Some(*if_index)),
        Change::InterfaceDown { if_index } => (DeviceChange::InterfaceDown, Some(*if_index)),
        Change::Restarted => (DeviceChange::Restarted, None),
        Change::InterfacesChanged | Change::NeighborsChanged => return None,
    };
    Some(DeviceStateEvent {
        device_id,
        change,
        if_index,
        at_ms,
    })
}

/// The time from `since` to `now` (none if `now` is earlier).
fn elapsed(since: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (now - since).to_std().unwrap_or_default()
}

/// The interval less up to a twentieth, so that devices started together drift apart while
/// no device waits longer than its interval between polls (a link that goes down unannounced
/// is seen within one interval).
fn jittered(interval: Duration) -> Duration {
    let twentieth = interval.as_millis() as u64 / 20;
    if twentieth == 0 {
        return interval;
    }
    interval - Duration::from_millis(rand::thread_rng().gen_range(0..=twentieth))
}

impl Actor for DeviceActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // Devices started together spread their first polls over one interval (or less).
        let spread = self.config.poll_interval.min(self.first_poll_within);
        let spread_ms = spread.as_millis().max(1) as u64;
        let first = Duration::from_millis(rand::thread_rng().gen_range(0..spread_ms));
        self.schedule(first, ctx);
    }
}

impl Handler<TrapReceived> for DeviceActor {
    type Result = ();

    fn handle(&mut self, trap: TrapReceived, ctx: &mut Context<Self>) {
        let at_ms = self.services.clock.now_ms();
        let changes = self.state.apply_trap(&trap.0);
        if changes.is_empty() {
            return;
        }
        if self.session_opt.is_none() {
            self.links_overtaken = true;
        }
        if changes.contains(&Change::Restarted) {
            self.polls_since_inventory_opt = None;
        }
        self.publish(&changes, at_ms, false);
        self.report(changes, Found::default(), Vec::new(), at_ms);
        // Confirm with a poll; a restart also needs new counter baselines.
        self.poll(ctx);
    }
}

impl Handler<Reconfigure> for DeviceActor {
    type Result = ();

    /// A new address or credentials: a new session and new counter baselines, and a poll at
    /// once to learn what the device says now. A new interval: the next poll is rescheduled
    /// by it. Anything else (name, kind, tier) is taken as it is.
    fn handle(&mut self, Reconfigure(config): Reconfigure, ctx: &mut Context<Self>) {
        let reached_otherwise =
            config.address != self.config.address || config.credentials != self.config.credentials;
        let interval_changed = config.poll_interval != self.config.poll_interval;
        self.config = config;
        if reached_otherwise {
            if self.session_opt.is_some() {
                self.session_opt = Some(session_for(&self.config, &self.services));
                self.state.forget_readings();
            } else {
                self.session_outdated = true;
            }
            self.poll(ctx);
        } else if interval_changed && self.next_poll_opt.is_some() {
            let delay = self.next_delay();
            self.schedule(delay, ctx);
        }
    }
}

impl Handler<PollNow> for DeviceActor {
    type Result = ();

    fn handle(&mut self, _: PollNow, ctx: &mut Context<Self>) {
        self.poll(ctx);
    }
}

impl Handler<GetDeviceStateView> for DeviceActor {
    type Result = actix::MessageResult<GetDeviceStateView>;

    fn handle(&mut self, _: GetDeviceStateView, _ctx: &mut Context<Self>) -> Self::Result {
        actix::MessageResult(self.view())
    }
}

impl Handler<Panic> for DeviceActor {
    type Result = ();

    fn handle(&mut self, _: Panic, _ctx: &mut Context<Self>) {
        panic!("device {} was asked to panic", self.config.id);
    }
}

impl Handler<Stop> for DeviceActor {
    type Result = ();

    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) {
        actix::ActorContext::stop(ctx);
    }
}
