//! One `PlatformActor` per cloud platform, supervised by its data center like a device: it
//! syncs the platform's inventory on its own schedule (a full sync first, then incremental
//! ones through the adapter's cursor), writes hypervisors and VMs into the CMDB
//! (`inventory::sync`), and tells `dc/{id}` what changed. A failing platform is retried with
//! backoff and fails alone. On a second schedule it polls how busy the VMs are
//! (`vm_utilization`): their minutes go to the rollups, each poll to `dc/{id}` and to the
//! owning tenants' `tenant/{id}/vms`, and the latest figures stay in its summary.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::{Actor, ActorFutureExt, AsyncContext, Context, Handler, WrapFuture};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use tokio::sync::mpsc;
use utoipa::ToSchema;
use yunguan_actors::supervision::{Backoff, Link};

use super::messages::Stop;
use super::rollups::{Rollup, RollupBuffer, Subject};
use super::vm_utilization::{self, Answer, Meter, PolledVm, VmUtilization, VmUtilizationEvent};
use crate::clock::Clock;
use crate::cloud::openstack::OpenStackClient;
use crate::cloud::{CloudChanges, Hypervisor, SyncCursor};
use crate::hub::{EventData, EventKind, Hub, Topic};
use crate::inventory::sync::{apply_cloud_changes, SyncSummary};

/// A platform to sync.
pub struct PlatformConfig {
    pub id: i64,
    pub data_center_id: i64,
    pub name: String,
    pub sync_interval: Duration,
    pub client: Arc<OpenStackClient>,
    /// The inventory's endpoint and sealed credentials the client was built from: when
    /// either changes, the platform's actor is started again with a new client.
    pub built_from: (String, String),
}

impl PlatformConfig {
    /// Whether `other` would sync the same way (the client aside, which is built from
    /// `built_from`).
    pub fn same_as(&self, other: &PlatformConfig) -> bool {
        (
            self.id,
            self.data_center_id,
            &self.name,
            self.sync_interval,
            &self.built_from,
        ) == (
            other.id,
            other.data_center_id,
            &other.name,
            other.sync_interval,
            &other.built_from,
        )
    }
}

impl std::fmt::Debug for PlatformConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformConfig")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// What a platform actor shows of itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct PlatformSummary {
    pub platform_id: i64,
    pub syncs: u64,
    pub last_sync_at_ms: Option<u64>,
    pub last_error: Option<String>,
    /// What its hypervisors reported at the last sync.
    pub load: HostLoads,
    /// Its VMs at the latest poll, by VM id (read through `Monitoring::vm_utilization`).
    #[serde(skip)]
    pub vms: Arc<HashMap<i64, VmUtilization>>,
}

/// How busy a platform's hypervisors are, as they report it (allocation is in the CMDB).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct HostLoads {
    /// The average CPU utilization of the hypervisors that report one.
    pub cpu_percent: Option<f64>,
    /// The busiest hypervisors by CPU, busiest first (at most [`BUSIEST_HOSTS`]).
    pub busiest: Vec<HostLoad>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HostLoad {
    pub hostname: String,
    pub cpu_percent: f64,
    pub up: bool,
}

/// How many hypervisors [`HostLoads::busiest`] names.
pub const BUSIEST_HOSTS: usize = 10;

/// The loads of `hypervisors`; pure. Ties go to the hostname first in order.
pub fn host_loads(hypervisors: &[Hypervisor]) -> HostLoads {
    let mut reporting: Vec<HostLoad> = hypervisors
        .iter()
        .filter_map(|hypervisor| {
            Some(HostLoad {
                hostname: hypervisor.hostname.clone(),
                cpu_percent: hypervisor.cpu_utilization_percent_opt?,
                up: hypervisor.up,
            })
        })
        .collect();
    let cpu_percent = (!reporting.is_empty()).then(|| {
        reporting.iter().map(|load| load.cpu_percent).sum::<f64>() / reporting.len() as f64
    });
    reporting.sort_by(|a, b| {
        b.cpu_percent
            .total_cmp(&a.cpu_percent)
            .then_with(|| a.hostname.cmp(&b.hostname))
    });
    reporting.truncate(BUSIEST_HOSTS);
    HostLoads {
        cpu_percent,
        busiest: reporting,
    }
}

/// The data of `platform.synced`: what one sync of a cloud platform changed in the CMDB.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlatformSyncedEvent {
    pub platform_id: i64,
    pub name: String,
    /// When the sync ended, in milliseconds since 1970.
    pub at_ms: u64,
    pub hosts_created: u64,
    pub hosts_updated: u64,
    /// Hosts a full sync no longer reported, now `missing`.
    pub hosts_missing: u64,
    pub vms_created: u64,
    pub vms_updated: u64,
    pub vms_deleted: u64,
    pub load: HostLoads,
}

impl EventData for PlatformSyncedEvent {}

/// The data of `platform.sync_failed`: a platform's sync started failing.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlatformSyncFailedEvent {
    pub platform_id: i64,
    pub name: String,
    /// When the sync failed, in milliseconds since 1970.
    pub at_ms: u64,
    pub error: String,
}

impl EventData for PlatformSyncFailedEvent {}

/// What a platform actor announces after a sync.
enum SyncNotice {
    Synced(PlatformSyncedEvent),
    Failed(PlatformSyncFailedEvent),
}

/// The first retry after a failed sync; later ones double, up to the interval.
const FIRST_RETRY: Duration = Duration::from_secs(5);

/// What a platform actor uses of its data center's: the CMDB it writes, where events go,
/// and the time it syncs and dates by.
#[derive(Clone)]
pub struct PlatformServices {
    pub db: DatabaseConnection,
    pub hub: Hub,
    pub clock: Clock,
    pub vm_poll_interval: Duration,
    /// Where finished minutes of VM metrics go.
    pub rollup_writer: mpsc::UnboundedSender<Vec<Rollup>>,
}

pub struct PlatformActor {
    config: Arc<PlatformConfig>,
    services: PlatformServices,
    cursor: SyncCursor,
    syncing: bool,
    failures: u32,
    summary: PlatformSummary,
    link: Link<PlatformSummary>,
    meter: Meter,
    vm_rollups: RollupBuffer,
    /// Starts the monotonic clock VM counters are timed by.
    epoch: Instant,
}

impl PlatformActor {
    pub fn new(
        config: Arc<PlatformConfig>,
        services: PlatformServices,
        link: Link<PlatformSummary>,
    ) -> PlatformActor {
        let summary = PlatformSummary {
            platform_id: config.id,
            ..PlatformSummary::default()
        };
        PlatformActor {
            config,
            services,
            cursor: SyncCursor::initial(),
            syncing: false,
            failures: 0,
            summary,
            link,
            meter: Meter::default(),
            vm_rollups: RollupBuffer::default(),
            epoch: Instant::now(),
        }
    }

    /// Polls the VMs, then again an interval after this poll started (at once if it took
    /// longer), so that a long poll does not stretch the schedule.
    fn poll_vms(&mut self, ctx: &mut Context<Self>) {
        let config = self.config.clone();
        let db = self.services.db.clone();
        let epoch = self.epoch;
        let next_at = self.services.clock.after(self.services.vm_poll_interval);
        let started = Instant::now();
        let work = async move { vm_utilization::poll(&db, &config.client, config.id, epoch).await };
        ctx.spawn(work.into_actor(self).map(move |result, actor, ctx| {
            match result {
                Ok(answers) => actor.vms_polled(answers, started),
                Err(error) => {
                    tracing::warn!(platform_id = actor.config.id, %error, "cannot read the platform's VMs")
                }
            }
            let clock = actor.services.clock.clone();
            let wait = async move { clock.sleep_until(next_at).await };
            ctx.spawn(wait.into_actor(actor).map(|(), actor, ctx| actor.poll_vms(ctx)));
        }));
    }

    fn vms_polled(&mut self, answers: Vec<(PolledVm, Answer)>, started: Instant) {
        let at_ms = self.services.clock.now_ms();
        let figures = self.meter.measure(answers, at_ms);
        tracing::debug!(
            platform_id = self.config.id,
            vms = figures.len(),
            measured = figures.iter().filter(|f| f.cpu_percent.is_some()).count(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "VMs polled"
        );
        for figure in &figures {
            self.vm_rollups
                .add(Subject::Vm(figure.vm_id), at_ms, &figure.points());
        }
        let finished = self.vm_rollups.take_finished(at_ms);
        if !finished.is_empty() {
            let _ = self.services.rollup_writer.send(finished);
        }
        self.summary.vms = Arc::new(
            figures
                .iter()
                .map(|figure| (figure.vm_id, figure.clone()))
                .collect(),
        );
        self.link.publish(self.summary.clone());
        if figures.is_empty() {
            return;
        }
        let mut by_tenant: BTreeMap<i64, Vec<VmUtilization>> = BTreeMap::new();
        for figure in &figures {
            if let Some(tenant_id) = figure.tenant_id {
                by_tenant.entry(tenant_id).or_default().push(figure.clone());
            }
        }
        let platform_id = self.config.id;
        let mut events = vec![(
            Topic::DataCenter(self.config.data_center_id),
            VmUtilizationEvent {
                platform_id,
                at_ms,
                vms: figures,
            },
        )];
        events.extend(by_tenant.into_iter().map(|(tenant_id, vms)| {
            (
                Topic::TenantVms(tenant_id),
                VmUtilizationEvent {
                    platform_id,
                    at_ms,
                    vms,
                },
            )
        }));
        let hub = self.services.hub.clone();
        actix::spawn(async move {
            for (topic, data) in events {
                if let Err(error) = hub
                    .publish_telemetry(&topic, EventKind::VmUtilization, &data)
                    .await
                {
                    tracing::warn!(%error, %topic, "cannot publish VM utilization");
                }
            }
        });
    }

    fn sync(&mut self, ctx: &mut Context<Self>) {
        if self.syncing {
            return;
        }
        self.syncing = true;
        let config = self.config.clone();
        let db = self.services.db.clone();
        let cursor = self.cursor.clone();
        let work = async move {
            let (changes, next) = config
                .client
                .sync(&cursor)
                .await
                .map_err(|error| error.to_string())?;
            let hypervisors = match &changes {
                CloudChanges::Full(inventory) => &inventory.hypervisors,
                CloudChanges::Incremental(changes) => &changes.hypervisors,
            };
            let load = host_loads(hypervisors);
            let summary = apply_cloud_changes(&db, config.id, &changes)
                .await
                .map_err(|error| error.to_string())?;
            Ok::<(SyncCursor, SyncSummary, HostLoads), String>((next, summary, load))
        };
        ctx.spawn(work.into_actor(self).map(|result, actor, ctx| {
            actor.syncing = false;
            actor.synced(result, ctx);
        }));
    }

    fn synced(
        &mut self,
        result: Result<(SyncCursor, SyncSummary, HostLoads), String>,
        ctx: &mut Context<Self>,
    ) {
        let at_ms = self.services.clock.now_ms();
        let platform_id = self.config.id;
        let (notice_opt, delay) = match result {
            Ok((cursor, summary, load)) => {
                self.cursor = cursor;
                self.summary.load = load.clone();
                self.failures = 0;
                self.summary.syncs += 1;
                self.summary.last_sync_at_ms = Some(at_ms);
                self.summary.last_error = None;
                let notice = SyncNotice::Synced(PlatformSyncedEvent {
                    platform_id,
                    name: self.config.name.clone(),
                    at_ms,
                    hosts_created: summary.hosts_created,
                    hosts_updated: summary.hosts_updated,
                    hosts_missing: summary.hosts_missing,
                    vms_created: summary.vms_created,
                    vms_updated: summary.vms_updated,
                    vms_deleted: summary.vms_deleted,
                    load,
                });
                (Some(notice), self.config.sync_interval)
            }
            Err(error) => {
                self.failures = self.failures.saturating_add(1);
                tracing::warn!(platform_id, failures = self.failures, %error, "cloud sync failed");
                // Said once when the platform starts failing, not at every retry.
                let notice_opt = (self.failures == 1).then(|| {
                    SyncNotice::Failed(PlatformSyncFailedEvent {
                        platform_id,
                        name: self.config.name.clone(),
                        at_ms,
                        error: error.clone(),
                    })
                });
                self.summary.last_error = Some(error);
                let backoff = Backoff::doubling(FIRST_RETRY, self.config.sync_interval);
                (notice_opt, backoff.delay_after(self.failures))
            }
        };
        self.link.publish(self.summary.clone());
        if let Some(notice) = notice_opt {
            let hub = self.services.hub.clone();
            let topic = Topic::DataCenter(self.config.data_center_id);
            actix::spawn(async move {
                let published = match &notice {
                    SyncNotice::Synced(data) => {
                        hub.publish(&topic, EventKind::PlatformSynced, data).await
                    }
                    SyncNotice::Failed(data) => {
                        hub.publish(&topic, EventKind::PlatformSyncFailed, data)
                            .await
                    }
                };
                if let Err(error) = published {
                    tracing::warn!(%error, "cannot publish a platform event");
                }
            });
        }
        let wait = self.services.clock.sleep(delay);
        ctx.spawn(wait.into_actor(self).map(|(), actor, ctx| actor.sync(ctx)));
    }
}

impl Actor for PlatformActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // Platforms are few: the first sync and VM poll start at once.
        self.sync(ctx);
        self.poll_vms(ctx);
    }
}

impl Handler<Stop> for PlatformActor {
    type Result = ();

    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) {
        actix::ActorContext::stop(ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hypervisor(hostname: &str, cpu: Option<f64>) -> Hypervisor {
        Hypervisor {
            hostname: hostname.to_owned(),
            up: true,
            enabled: true,
            vcpus: 32,
            vcpus_used: 8,
            memory_mb: 65536,
            memory_mb_used: 1024,
            local_gb: 1000,
            local_gb_used: 10,
            running_vms: 2,
            cpu_utilization_percent_opt: cpu,
        }
    }

    #[test]
    fn host_loads_average_the_reporting_hosts_and_name_the_busiest_first() {
        assert_eq!(host_loads(&[]), HostLoads::default());
        let mut hypervisors = vec![
            hypervisor("c", Some(30.0)),
            hypervisor("a", Some(90.0)),
            hypervisor("silent", None),
            hypervisor("b", Some(30.0)),
        ];
        for n in 0..12 {
            hypervisors.push(hypervisor(&format!("idle-{n:02}"), Some(0.0)));
        }
        let loads = host_loads(&hypervisors);
        assert_eq!(loads.cpu_percent, Some(150.0 / 15.0));
        assert_eq!(loads.busiest.len(), BUSIEST_HOSTS);
        let names: Vec<&str> = loads
            .busiest
            .iter()
            .map(|l| l.hostname.as_str())
            .take(4)
            .collect();
        assert_eq!(names, ["a", "b", "c", "idle-00"]);
    }
}
