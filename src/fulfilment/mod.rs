//! Fulfilment: carrying out an approved ticket. Cloud-host tickets run as steps against a
//! [`provider::CloudProvider`], each step retried with backoff; what they made becomes
//! inventory. Other tickets become a manual task for an operator or a supplier.
//!
//! [`plan`] turns a ticket into steps (pure); [`run`] executes them, reporting progress
//! through a callback, and answers the inventory changes or why it failed. Committing the
//! outcome is the ticket engine's.

pub mod provider;
pub mod simulated;

use std::time::Duration;

use serde_json::{Map, Value};
use yunguan_actors::supervision::Backoff;

use crate::catalog::kinds::{self, ItemKind};
use provider::{CloudProvider, HostRequest, HostSize, ProviderError};

/// One thing to ask the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Create {
        /// Which of the ticket's hosts (from 0).
        host_index: i32,
        request: HostRequest,
    },
    Resize {
        record_id: i64,
        cloud_id: String,
        size: HostSize,
    },
    Delete {
        record_id: i64,
        cloud_id: String,
        size: HostSize,
    },
}

/// A change to the inventory that a successful fulfilment leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InventoryChange {
    AddHost(MadeHost),
    ResizeHost { record_id: i64, size: HostSize },
    RetireHost { record_id: i64, size: HostSize },
}

/// A host the provider made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeHost {
    /// Which of the ticket's hosts (from 0).
    pub host_index: i32,
    pub name: String,
    pub cloud_id: String,
    pub address: String,
    pub size: HostSize,
    /// Where the provider says it runs, when it says.
    pub runs_on_opt: Option<String>,
}

/// The host a change or decommission names, as the inventory holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingHost {
    pub record_id: i64,
    pub cloud_id: String,
    pub size: HostSize,
}

/// The hosts a cloud-host ticket's steps work on.
#[derive(Debug, Clone, Copy)]
pub enum Hosts<'a> {
    /// Hosts to create, each on the host placement chose for it (by its platform name), in
    /// the order of the ticket's hosts.
    Placed(&'a [String]),
    /// The host a change or decommission names.
    Existing(&'a ExistingHost),
    /// None: the ticket makes no host.
    None,
}

/// The provider steps of a cloud-host ticket: one per placed host to create, or the one
/// change.
pub fn plan(
    ticket_id: i64,
    kind: ItemKind,
    form: &Map<String, Value>,
    hosts: Hosts<'_>,
) -> Vec<Step> {
    let text = |name: &str| {
        form.get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match (kind, hosts) {
        (ItemKind::VmRequest, Hosts::Placed(placed_on)) => {
            let host = kinds::vm_request_host(form);
            (0..)
                .zip(placed_on)
                .map(|(index, placed_on)| Step::Create {
                    host_index: index,
                    request: HostRequest {
                        key: format!("ticket-{ticket_id}/host-{index}"),
                        name: format!("t{ticket_id}-{}", index + 1),
                        size: HostSize {
                            vcpu: host.vcpu,
                            memory_gb: host.memory_gb,
                            disk_gb: host.storage_gb,
                        },
                        image: text("image"),
                        network: text("network"),
                        placed_on_opt: Some(placed_on.clone()),
                    },
                })
                .collect()
        }
        (ItemKind::VmChange, Hosts::Existing(host)) => {
            let int = |name: &str| form.get(name).and_then(Value::as_i64);
            vec![Step::Resize {
                record_id: host.record_id,
                cloud_id: host.cloud_id.clone(),
                size: HostSize {
                    vcpu: int("vcpu").unwrap_or(host.size.vcpu),
                    memory_gb: int("memory_gb").unwrap_or(host.size.memory_gb),
                    disk_gb: host.size.disk_gb + int("add_disk_gb").unwrap_or(0),
                },
            }]
        }
        (ItemKind::VmDecommission, Hosts::Existing(host)) => vec![Step::Delete {
            record_id: host.record_id,
            cloud_id: host.cloud_id.clone(),
            size: host.size,
        }],
        _ => Vec::new(),
    }
}

/// How often and how patiently a step is retried.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub max_attempts: u32,
    /// The wait after the first failed attempt; it doubles after each one after, at most
    /// [`MAX_RETRY_WAIT`].
    pub initial: Duration,
}

/// The longest wait between two attempts at one step.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(5 * 60);

impl Retry {
    fn wait_after(&self, failed_attempts: u32) -> Duration {
        Backoff::doubling(self.initial, MAX_RETRY_WAIT).delay_after(failed_attempts)
    }
}

/// What a step reports as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub step: usize,
    pub of: usize,
    pub message: String,
}

/// Runs `steps` in order; a step that fails transiently is retried up to the policy, a
/// permanent failure or the last failed attempt ends the run with the reason.
pub async fn run(
    provider: &dyn CloudProvider,
    steps: Vec<Step>,
    retry: Retry,
    mut report: impl FnMut(Progress),
) -> Result<Vec<InventoryChange>, String> {
    let of = steps.len();
    let mut changes = Vec::with_capacity(of);
    for (index, step) in steps.into_iter().enumerate() {
        let mut attempt = 1;
        let change = loop {
            let outcome = match &step {
                Step::Create {
                    host_index,
                    request,
                } => provider.create_host(request.clone()).await.map(|host| {
                    InventoryChange::AddHost(MadeHost {
                        host_index: *host_index,
                        name: host.name,
                        cloud_id: host.cloud_id,
                        address: host.address,
                        size: host.size,
                        runs_on_opt: host.runs_on_opt,
                    })
                }),
                Step::Resize {
                    record_id,
                    cloud_id,
                    size,
                } => provider.resize_host(cloud_id, *size).await.map(|host| {
                    InventoryChange::ResizeHost {
                        record_id: *record_id,
                        size: host.size,
                    }
                }),
                Step::Delete {
                    record_id,
                    cloud_id,
                    size,
                } => provider
                    .delete_host(cloud_id)
                    .await
                    .map(|()| InventoryChange::RetireHost {
                        record_id: *record_id,
                        size: *size,
                    }),
            };
            match outcome {
                Ok(change) => break change,
                Err(ProviderError::Transient(why)) if attempt < retry.max_attempts => {
                    report(Progress {
                        step: index + 1,
                        of,
                        message: format!("attempt {attempt} failed ({why}); retrying"),
                    });
                    tokio::time::sleep(retry.wait_after(attempt)).await;
                    attempt += 1;
                }
                Err(error) => {
                    let reason = format!(
                        "step {} of {of} failed after {attempt} attempt(s): {error}",
                        index + 1
                    );
                    return Err(undo(provider, &changes, retry, reason, &mut report).await);
                }
            }
        };
        let message = match &change {
            InventoryChange::AddHost(made) => format!("created {} ({})", made.name, made.address),
            InventoryChange::ResizeHost { size, .. } => {
                format!("resized to {} vCPU, {} GB", size.vcpu, size.memory_gb)
            }
            InventoryChange::RetireHost { .. } => "deleted the host".to_owned(),
        };
        report(Progress {
            step: index + 1,
            of,
            message,
        });
        changes.push(change);
    }
    Ok(changes)
}

/// After a failed step, deletes the hosts the earlier steps created, so that a failed ticket
/// leaves nothing running whose quota it gives back. Answers the failure's reason, naming any
/// host that could not be deleted (an operator must remove it).
async fn undo(
    provider: &dyn CloudProvider,
    changes: &[InventoryChange],
    retry: Retry,
    reason: String,
    report: &mut impl FnMut(Progress),
) -> String {
    let created: Vec<(&str, &str)> = changes
        .iter()
        .filter_map(|change| match change {
            InventoryChange::AddHost(made) => Some((made.name.as_str(), made.cloud_id.as_str())),
            _ => None,
        })
        .collect();
    let mut left_behind = Vec::new();
    for (index, (name, cloud_id)) in created.iter().enumerate() {
        let mut deleted = false;
        for attempt in 1..=retry.max_attempts {
            if provider.delete_host(cloud_id).await.is_ok() {
                deleted = true;
                break;
            }
            if attempt < retry.max_attempts {
                tokio::time::sleep(retry.wait_after(attempt)).await;
            }
        }
        let message = if deleted {
            format!("removed {name} after the failure")
        } else {
            left_behind.push(*cloud_id);
            format!("could not remove {name} ({cloud_id}) after the failure")
        };
        report(Progress {
            step: index + 1,
            of: created.len(),
            message,
        });
    }
    if left_behind.is_empty() {
        reason
    } else {
        format!("{reason}; left in the cloud: {}", left_behind.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::FulfilmentSettings;
    use serde_json::json;
    use simulated::SimulatedProvider;

    fn provider() -> SimulatedProvider {
        SimulatedProvider::new(&FulfilmentSettings {
            sim_min_latency_ms: 0,
            sim_max_latency_ms: 0,
            sim_failure_rate: 0.0,
            max_attempts: 3,
            retry_initial_ms: 1,
        })
    }

    const RETRY: Retry = Retry {
        max_attempts: 3,
        initial: Duration::from_millis(1),
    };

    #[test]
    fn plans() {
        let request = json!({"flavour": "s1.large", "disk_gb": 50, "count": 2, "image": "uos-20", "network": "gov-extranet"});
        let placed_on = ["hv-01".to_owned(), "hv-02".to_owned()];
        let steps = plan(
            7,
            ItemKind::VmRequest,
            request.as_object().unwrap(),
            Hosts::Placed(&placed_on),
        );
        assert_eq!(steps.len(), 2);
        let Step::Create {
            host_index: 1,
            request: second,
        } = &steps[1]
        else {
            panic!("{steps:?}")
        };
        assert_eq!(
            (
                second.key.as_str(),
                second.name.as_str(),
                second.placed_on_opt.as_deref()
            ),
            ("ticket-7/host-1", "t7-2", Some("hv-02"))
        );
        assert_eq!(
            second.size,
            HostSize {
                vcpu: 4,
                memory_gb: 8,
                disk_gb: 50
            }
        );
        let host = ExistingHost {
            record_id: 3,
            cloud_id: "sim-1".into(),
            size: HostSize {
                vcpu: 2,
                memory_gb: 4,
                disk_gb: 40,
            },
        };
        let change = json!({"vcpu": 8, "add_disk_gb": 60});
        assert_eq!(
            plan(
                8,
                ItemKind::VmChange,
                change.as_object().unwrap(),
                Hosts::Existing(&host)
            ),
            vec![Step::Resize {
                record_id: 3,
                cloud_id: "sim-1".into(),
                size: HostSize {
                    vcpu: 8,
                    memory_gb: 4,
                    disk_gb: 100
                }
            }]
        );
        assert!(plan(9, ItemKind::Incident, &Map::new(), Hosts::None).is_empty());
    }

    #[tokio::test]
    async fn transient_failures_are_retried_and_reported() {
        let provider = provider();
        provider.cloud().fail_next(2);
        let request = json!({"flavour": "s1.small", "disk_gb": 40, "count": 1, "image": "uos-20", "network": "gov-extranet"});
        let mut reports = Vec::new();
        let changes = run(
            &provider,
            plan(
                1,
                ItemKind::VmRequest,
                request.as_object().unwrap(),
                Hosts::Placed(&["hv-01".to_owned()]),
            ),
            RETRY,
            |p| reports.push(p.message),
        )
        .await
        .unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(reports.len(), 3, "{reports:?}");
        assert!(reports[2].starts_with("created t1-1"), "{reports:?}");
    }

    #[tokio::test]
    async fn a_failed_run_removes_the_hosts_it_created() {
        let provider = provider();
        let request = json!({"flavour": "s1.small", "disk_gb": 40, "count": 2, "image": "uos-20", "network": "gov-extranet"});
        let placed_on = ["hv-01".to_owned(), "hv-01".to_owned()];
        let steps = plan(
            3,
            ItemKind::VmRequest,
            request.as_object().unwrap(),
            Hosts::Placed(&placed_on),
        );
        // The first host is created, then every attempt at the second fails.
        let first = provider
            .cloud()
            .create_host(
                "ticket-3/host-0",
                yunguan_simulators::cloud::HostSpec {
                    name: "t3-1".into(),
                    vcpu: 1,
                    memory_gb: 2,
                    disk_gb: 40,
                    image: "uos-20".into(),
                    network: "gov-extranet".into(),
                    hypervisor_opt: Some("hv-01".into()),
                },
            )
            .await
            .unwrap();
        assert_eq!(provider.cloud().host_count(), 1);
        provider.cloud().fail_next(3);
        let mut reports = Vec::new();
        let failed = run(&provider, steps, RETRY, |p| reports.push(p.message))
            .await
            .unwrap_err();
        assert!(
            failed.starts_with("step 2 of 2 failed after 3 attempt(s)"),
            "{failed}"
        );
        assert_eq!(
            provider.cloud().host_count(),
            0,
            "{} was not removed",
            first.cloud_id
        );
        assert_eq!(reports.last().unwrap(), "removed t3-1 after the failure");
    }

    #[tokio::test]
    async fn a_step_that_keeps_failing_ends_the_run() {
        let provider = provider();
        provider.cloud().fail_next(3);
        let request = json!({"flavour": "s1.small", "disk_gb": 40, "count": 1, "image": "uos-20", "network": "gov-extranet"});
        let failed = run(
            &provider,
            plan(
                1,
                ItemKind::VmRequest,
                request.as_object().unwrap(),
                Hosts::Placed(&["hv-01".to_owned()]),
            ),
            RETRY,
            |_| {},
        )
        .await;
        assert_eq!(
            failed.unwrap_err(),
            "step 1 of 1 failed after 3 attempt(s): transient cloud error: create timed out"
        );
        let gone = run(
            &provider,
            vec![Step::Resize {
                record_id: 1,
                cloud_id: "sim-404".into(),
                size: HostSize {
                    vcpu: 1,
                    memory_gb: 1,
                    disk_gb: 1,
                },
            }],
            RETRY,
            |_| {},
        )
        .await;
        assert_eq!(
            gone.unwrap_err(),
            "step 1 of 1 failed after 1 attempt(s): no host sim-404"
        );
    }
}
