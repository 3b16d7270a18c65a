//! VM utilization: how busy each VM of a cloud platform is. The platform actor asks its
//! platform on a schedule ([`poll`]: every VM the CMDB has on it, the active ones through the
//! adapter, a few at a time), turns the answers and the previous counters into figures
//! ([`Meter`], pure), and hands them on as rollup points and as `vm.utilization` events: to
//! the data center's topic for bureau staff, and to each owning tenant's `tenant/{id}/vms`.
//!
//! CPU and memory are read as they are; disk and network are rates of the platform's
//! counters between two polls, so a VM's first poll (and the first after it restarted) gives
//! none. A rate is over the real time between the two answers, whatever clock dates them.

use std::collections::HashMap;
use std::time::Instant;

use futures_util::stream::{self, StreamExt};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::ToSchema;
use yunguan_actors::counters::{self, CounterWidth, Rate, Reading};

use super::rollups::MetricPoint;
use crate::cloud::openstack::OpenStackClient;
use crate::cloud::{CloudError, ServerUtilization};
use crate::db::entities::vm;
use crate::hub::EventData;

/// VMs asked about at once: enough to cover a thousand VMs in a few seconds, few enough not
/// to crowd the platform's API.
const CONCURRENT_ASKS: usize = 8;

/// The most bytes a second a VM's counter can plausibly move (a 100 Gb/s NIC): a counter
/// that jumped further was reset.
const MAX_BYTES_PER_SEC: f64 = 12.5e9;

/// The metrics a VM's minutes are kept for, as the time-series API names them: its figures
/// by their field names.
pub const VM_METRICS: &[&str] = &[
    "cpu_percent",
    "memory_percent",
    "disk_read_bytes_per_sec",
    "disk_write_bytes_per_sec",
    "network_in_bps",
    "network_out_bps",
];

/// A VM as the poll finds it in the CMDB.
#[derive(Debug, Clone, PartialEq)]
pub struct PolledVm {
    pub id: i64,
    pub name: String,
    pub external_id: String,
    pub tenant_id: Option<i64>,
    pub state: String,
}

/// What the platform said of one VM.
#[derive(Debug)]
pub enum Answer {
    /// Only active VMs are asked.
    NotAsked,
    Figures {
        utilization: ServerUtilization,
        /// When the answer came, in milliseconds of the poller's monotonic clock.
        received_ms: u64,
    },
    Failed(CloudError),
}

/// How busy a VM was at its latest poll. Figures the platform did not give, or that need a
/// second poll, are null.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct VmUtilization {
    pub vm_id: i64,
    pub name: String,
    pub tenant_id: Option<i64>,
    /// The VM's state in the CMDB (`active`, `shutoff`, ...): only active VMs are measured.
    pub state: String,
    /// When it was polled, in milliseconds since 1970.
    pub at_ms: u64,
    /// Average over its vCPUs, 0 to 100.
    pub cpu_percent: Option<f64>,
    pub memory_percent: Option<f64>,
    pub disk_read_bytes_per_sec: Option<f64>,
    pub disk_write_bytes_per_sec: Option<f64>,
    /// Bits per second received.
    pub network_in_bps: Option<f64>,
    /// Bits per second sent.
    pub network_out_bps: Option<f64>,
    /// Why an active VM has no figures this time (the platform's refusal or silence).
    pub error: Option<String>,
}

impl VmUtilization {
    /// Its figures as rollup points, the metrics named as in [`VM_METRICS`].
    pub fn points(&self) -> Vec<MetricPoint> {
        let figures = [
            self.cpu_percent,
            self.memory_percent,
            self.disk_read_bytes_per_sec,
            self.disk_write_bytes_per_sec,
            self.network_in_bps,
            self.network_out_bps,
        ];
        VM_METRICS
            .iter()
            .zip(figures)
            .filter_map(|(metric, value_opt)| {
                value_opt.map(|value| MetricPoint {
                    metric,
                    instance: 0,
                    value,
                })
            })
            .collect()
    }
}

/// The data of `vm.utilization`: one poll of a platform's VMs, those of the topic's reader
/// (all of them on `dc/{id}`, a tenant's own on `tenant/{id}/vms`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct VmUtilizationEvent {
    pub platform_id: i64,
    /// When the poll ended, in milliseconds since 1970.
    pub at_ms: u64,
    pub vms: Vec<VmUtilization>,
}

impl EventData for VmUtilizationEvent {}

/// The platform's VMs as the CMDB has them, each active one asked how busy it is, a few at a
/// time; `epoch` starts the monotonic clock answers are timed by.
pub async fn poll(
    db: &DatabaseConnection,
    client: &OpenStackClient,
    platform_id: i64,
    epoch: Instant,
) -> Result<Vec<(PolledVm, Answer)>, sea_orm::DbErr> {
    let vms: Vec<PolledVm> = vm::Entity::find()
        .filter(vm::Column::PlatformId.eq(platform_id))
        .order_by_asc(vm::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| PolledVm {
            id: row.id,
            name: row.name,
            external_id: row.external_id,
            tenant_id: row.tenant_id,
            state: row.state,
        })
        .collect();
    let answers = stream::iter(vms)
        .map(|polled| async move {
            if polled.state != "active" {
                return (polled, Answer::NotAsked);
            }
            let answer = match client.server_utilization(&polled.external_id).await {
                Ok(utilization) => Answer::Figures {
                    utilization,
                    received_ms: u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX),
                },
                Err(error) => Answer::Failed(error),
            };
            (polled, answer)
        })
        .buffer_unordered(CONCURRENT_ASKS)
        .collect::<Vec<_>>()
        .await;
    Ok(answers)
}

/// The counters of one VM's last answer: disk read, disk written, received, sent.
#[derive(Debug, Clone, Copy)]
struct Counters([Option<Reading>; 4]);

impl Counters {
    fn of(utilization: &ServerUtilization, received_ms: u64) -> Counters {
        // Hundredths of a second, as `counters::rate` reads an agent's uptime; it allows
        // for the wrap this truncation makes after 497 days.
        let uptime_ticks = utilization
            .uptime_secs_opt
            .map_or(0, |secs| secs.wrapping_mul(100) as u32);
        let reading = |value_opt: Option<u64>| {
            value_opt.map(|value| Reading {
                value,
                width: CounterWidth::Bits64,
                uptime_ticks,
                at_ms: received_ms,
            })
        };
        Counters([
            reading(utilization.disk_read_bytes_opt),
            reading(utilization.disk_write_bytes_opt),
            reading(utilization.received_bytes_opt),
            reading(utilization.sent_bytes_opt),
        ])
    }

    /// Bytes per second between `previous` and these, per counter.
    fn rates_since(&self, previous: &Counters) -> [Option<f64>; 4] {
        let mut rates = [None; 4];
        for (index, rate) in rates.iter_mut().enumerate() {
            if let (Some(before), Some(now)) = (previous.0[index], self.0[index]) {
                if let Rate::PerSecond(per_sec) = counters::rate(&before, &now, MAX_BYTES_PER_SEC) {
                    *rate = Some(per_sec);
                }
            }
        }
        rates
    }
}

/// Turns a platform's answers into figures, keeping each VM's counters for the next poll.
#[derive(Debug, Default)]
pub struct Meter {
    previous: HashMap<i64, Counters>,
}

impl Meter {
    /// The figures of one poll, dated `at_ms`. VMs no longer on the platform are forgotten;
    /// a VM not measured this time loses its counters, so its next rates start afresh.
    pub fn measure(&mut self, answers: Vec<(PolledVm, Answer)>, at_ms: u64) -> Vec<VmUtilization> {
        let mut previous = std::mem::take(&mut self.previous);
        let mut figures: Vec<VmUtilization> = answers
            .into_iter()
            .map(|(polled, answer)| {
                let mut figure = VmUtilization {
                    vm_id: polled.id,
                    name: polled.name,
                    tenant_id: polled.tenant_id,
                    state: polled.state,
                    at_ms,
                    cpu_percent: None,
                    memory_percent: None,
                    disk_read_bytes_per_sec: None,
                    disk_write_bytes_per_sec: None,
                    network_in_bps: None,
                    network_out_bps: None,
                    error: None,
                };
                match answer {
                    Answer::NotAsked => {}
                    Answer::Failed(error) => figure.error = Some(error.to_string()),
                    Answer::Figures {
                        utilization,
                        received_ms,
                    } => {
                        figure.cpu_percent = Some(utilization.cpu_percent.clamp(0.0, 100.0));
                        figure.memory_percent = (utilization.memory_total_mb > 0).then(|| {
                            (utilization.memory_used_mb as f64 * 100.0
                                / utilization.memory_total_mb as f64)
                                .clamp(0.0, 100.0)
                        });
                        let counters = Counters::of(&utilization, received_ms);
                        if let Some(before) = previous.remove(&polled.id) {
                            let [read, write, received, sent] = counters.rates_since(&before);
                            figure.disk_read_bytes_per_sec = read;
                            figure.disk_write_bytes_per_sec = write;
                            figure.network_in_bps = received.map(|bytes| bytes * 8.0);
                            figure.network_out_bps = sent.map(|bytes| bytes * 8.0);
                        }
                        self.previous.insert(polled.id, counters);
                    }
                }
                figure
            })
            .collect();
        figures.sort_by_key(|figure| figure.vm_id);
        figures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm(id: i64, state: &str) -> PolledVm {
        PolledVm {
            id,
            name: format!("vm-{id}"),
            external_id: format!("uuid-{id}"),
            tenant_id: Some(3),
            state: state.to_owned(),
        }
    }

    fn figures(bytes: u64, uptime_secs: u64, received_ms: u64) -> Answer {
        Answer::Figures {
            utilization: ServerUtilization {
                cpu_percent: 37.5,
                memory_used_mb: 1024,
                memory_total_mb: 4096,
                disk_read_bytes_opt: Some(bytes),
                disk_write_bytes_opt: Some(bytes * 2),
                received_bytes_opt: Some(bytes * 3),
                sent_bytes_opt: None,
                uptime_secs_opt: Some(uptime_secs),
            },
            received_ms,
        }
    }

    #[test]
    fn rates_come_from_the_second_poll_and_start_again_after_a_restart() {
        let mut meter = Meter::default();
        let first = meter.measure(
            vec![
                (vm(2, "active"), figures(1_000, 100, 10_000)),
                (vm(1, "shutoff"), Answer::NotAsked),
            ],
            5,
        );
        assert_eq!(
            first.iter().map(|f| f.vm_id).collect::<Vec<_>>(),
            [1, 2],
            "by id"
        );
        assert_eq!(first[0].cpu_percent, None, "a stopped VM is not measured");
        let active = &first[1];
        assert_eq!(
            (active.cpu_percent, active.memory_percent),
            (Some(37.5), Some(25.0))
        );
        assert_eq!(active.disk_read_bytes_per_sec, None, "no rate yet");
        assert_eq!(active.points().len(), 2);

        // 61,000 bytes more in 60 s: 1,000 a second read, twice that written, three times
        // that received (in bits); sent is not reported.
        let second = meter.measure(vec![(vm(2, "active"), figures(61_000, 160, 70_000))], 6);
        let active = &second[0];
        assert_eq!(active.disk_read_bytes_per_sec, Some(1_000.0));
        assert_eq!(active.disk_write_bytes_per_sec, Some(2_000.0));
        assert_eq!(active.network_in_bps, Some(24_000.0));
        assert_eq!(active.network_out_bps, None);
        assert_eq!(active.points().len(), 5);

        // It restarted: its uptime and counters went back. No rate, a new baseline.
        let restarted = meter.measure(vec![(vm(2, "active"), figures(500, 10, 130_000))], 7);
        assert_eq!(restarted[0].disk_read_bytes_per_sec, None);
        let after = meter.measure(vec![(vm(2, "active"), figures(60_500, 70, 190_000))], 8);
        assert_eq!(after[0].disk_read_bytes_per_sec, Some(1_000.0));
    }

    #[test]
    fn a_failed_answer_is_said_and_loses_the_baseline() {
        let mut meter = Meter::default();
        meter.measure(vec![(vm(4, "active"), figures(0, 100, 0))], 1);
        let failed = meter.measure(
            vec![(
                vm(4, "active"),
                Answer::Failed(CloudError::Unavailable("503".into())),
            )],
            2,
        );
        assert!(failed[0].error.as_deref().unwrap().contains("503"));
        assert!(failed[0].points().is_empty());
        let next = meter.measure(vec![(vm(4, "active"), figures(120_000, 220, 120_000))], 3);
        assert_eq!(
            next[0].disk_read_bytes_per_sec, None,
            "no rate across a gap"
        );
    }
}
