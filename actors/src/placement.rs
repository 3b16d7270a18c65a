//! VM placement as a pure function: given a VM's demand, the hosts that could take it and a
//! policy, which host gets it, or why none can.
//!
//! Owns: what a host can hold (its totals times its pool's overcommit ratios), whether a VM
//! fits (every resource, never just one), the policies (spread, pack, data-center affinity,
//! tenant affinity and anti-affinity), deterministic tie-breaking by host id, and placing
//! several VMs in turn ([`place_many`]), each counted before the next.
//!
//! Leaves to others: reading hosts, pools and their ratios from the database, reserving the
//! chosen capacity (the shell must re-check under a lock, since another placement may have
//! raced it), and creating the VM with the provider. Nothing here reads a clock or does I/O.
//!
//! # Load
//! A host's load is its dominant share after placement: the largest of
//! `(allocated + requested) / capacity` over vCPU, memory and disk. `Spread` picks the lowest,
//! `Pack` the highest that still fits. Ties go to the lowest host id, so the same inputs
//! always give the same host whatever the order of the candidates.

use std::cmp::Ordering;
use std::collections::BTreeSet;

/// What one VM asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmRequest {
    pub vcpu: u32,
    pub memory_mb: u64,
    pub disk_gb: u64,
    /// Whose VM it is, for tenant affinity and anti-affinity.
    pub tenant_id: i64,
    /// A data center the request itself is bound to (a ticket's form may name one); placement
    /// never leaves it, whatever the policy.
    pub data_center_opt: Option<i64>,
}

/// A pool's overcommit ratios: a host can hold `total * ratio` of each resource. Valid once
/// built: every ratio is finite and above zero (below one reserves headroom).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overcommit {
    cpu: f64,
    memory: f64,
    disk: f64,
}

/// An overcommit ratio that is not a finite number above zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InvalidOvercommit {
    pub resource: &'static str,
    pub ratio: f64,
}

impl Overcommit {
    /// Every host holds exactly its hardware.
    pub const NONE: Overcommit = Overcommit {
        cpu: 1.0,
        memory: 1.0,
        disk: 1.0,
    };

    pub fn new(cpu: f64, memory: f64, disk: f64) -> Result<Overcommit, InvalidOvercommit> {
        for (resource, ratio) in [("cpu", cpu), ("memory", memory), ("disk", disk)] {
            if !ratio.is_finite() || ratio <= 0.0 {
                return Err(InvalidOvercommit { resource, ratio });
            }
        }
        Ok(Overcommit { cpu, memory, disk })
    }

    pub fn cpu(&self) -> f64 {
        self.cpu
    }

    pub fn memory(&self) -> f64 {
        self.memory
    }

    pub fn disk(&self) -> f64 {
        self.disk
    }
}

/// One host that could take the VM, as the shell read it.
#[derive(Debug, Clone, PartialEq)]
pub struct HostCandidate {
    pub host_id: i64,
    pub cluster_id: i64,
    pub pool_id: i64,
    pub data_center_id: i64,
    pub vcpu_total: u32,
    pub memory_mb_total: u64,
    pub disk_gb_total: u64,
    /// What VMs already placed here hold (may exceed the capacity if a pool's ratios were
    /// lowered since; such a host simply has nothing free).
    pub vcpu_allocated: u64,
    pub memory_mb_allocated: u64,
    pub disk_gb_allocated: u64,
    /// Tenants that already run a VM here, for tenant affinity and anti-affinity.
    pub tenant_ids_present: BTreeSet<i64>,
    /// False while a host is cordoned (maintenance, evacuation, failed health checks): it
    /// keeps its VMs but takes no new ones.
    pub schedulable: bool,
    /// The ratios of this host's pool, looked up by the shell, so that placement needs no
    /// second table.
    pub pool_overcommit: Overcommit,
}

/// Amounts of the three placed resources, in the units of [`VmRequest`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostResources {
    pub vcpu: u64,
    pub memory_mb: u64,
    pub disk_gb: u64,
}

impl HostCandidate {
    /// What the host can hold: its totals times its pool's ratios, rounded down.
    pub fn capacity(&self) -> HostResources {
        let scaled = |total: u64, ratio: f64| (total as f64 * ratio).floor() as u64;
        HostResources {
            vcpu: scaled(u64::from(self.vcpu_total), self.pool_overcommit.cpu),
            memory_mb: scaled(self.memory_mb_total, self.pool_overcommit.memory),
            disk_gb: scaled(self.disk_gb_total, self.pool_overcommit.disk),
        }
    }

    /// What is left of the capacity, never below zero.
    pub fn free(&self) -> HostResources {
        let capacity = self.capacity();
        HostResources {
            vcpu: capacity.vcpu.saturating_sub(self.vcpu_allocated),
            memory_mb: capacity.memory_mb.saturating_sub(self.memory_mb_allocated),
            disk_gb: capacity.disk_gb.saturating_sub(self.disk_gb_allocated),
        }
    }

    fn fits(&self, request: &VmRequest) -> bool {
        let free = self.free();
        u64::from(request.vcpu) <= free.vcpu
            && request.memory_mb <= free.memory_mb
            && request.disk_gb <= free.disk_gb
    }

    /// The dominant share after placing the request (see the module header).
    fn load_after(&self, request: &VmRequest) -> f64 {
        let capacity = self.capacity();
        let share = |allocated: u64, requested: u64, capacity: u64| {
            let used = allocated.saturating_add(requested);
            if capacity == 0 {
                // Only a zero demand fits a zero capacity; it adds no load.
                0.0
            } else {
                used as f64 / capacity as f64
            }
        };
        [
            share(self.vcpu_allocated, u64::from(request.vcpu), capacity.vcpu),
            share(
                self.memory_mb_allocated,
                request.memory_mb,
                capacity.memory_mb,
            ),
            share(self.disk_gb_allocated, request.disk_gb, capacity.disk_gb),
        ]
        .into_iter()
        .fold(0.0, f64::max)
    }

    /// Counts a placed VM on this host, so that the next placement sees it.
    fn account(&mut self, request: &VmRequest) {
        self.vcpu_allocated = self.vcpu_allocated.saturating_add(u64::from(request.vcpu));
        self.memory_mb_allocated = self.memory_mb_allocated.saturating_add(request.memory_mb);
        self.disk_gb_allocated = self.disk_gb_allocated.saturating_add(request.disk_gb);
        self.tenant_ids_present.insert(request.tenant_id);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// The host least loaded after placement: spreads risk and heat.
    Spread,
    /// The host most loaded after placement that still fits: keeps whole hosts free for
    /// large VMs and for maintenance.
    Pack,
    /// Only hosts of this data center, then spread.
    DataCenterAffinity(i64),
    /// Hosts already running the tenant's VMs first, then pack; other hosts only when none of
    /// those fits.
    TenantAffinity,
    /// Never a host already running one of the tenant's VMs (so that one host failure takes
    /// down at most one of them), then spread.
    TenantAntiAffinity,
}

/// Where a VM goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub data_center_id: i64,
    pub pool_id: i64,
    pub cluster_id: i64,
    pub host_id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlacementError {
    /// No schedulable host at all.
    NoCandidates,
    /// The request and the policy name different data centers.
    ConflictingDataCenters {
        requested_data_center_id: i64,
        policy_data_center_id: i64,
    },
    /// The data center asked for has no schedulable host.
    DataCenterUnavailable { data_center_id: i64 },
    /// Eligible hosts exist but none has room for every resource. `largest_free` holds the
    /// largest free amount of each resource seen on any eligible host, each on its own (they
    /// may come from different hosts), to tell the requester how far off they are.
    NoCapacity { largest_free: HostResources },
    /// Hosts had room, but each already runs one of the tenant's VMs.
    AntiAffinityUnsatisfiable { hosts_with_room: usize },
}

/// A [`place_many`] refusal: which request could not be placed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceManyError {
    /// Index into the requests; those before it were placeable, but nothing is placed.
    pub request_index: usize,
    pub error: PlacementError,
}

/// Chooses a host for one VM.
pub fn place(
    request: &VmRequest,
    candidates: &[HostCandidate],
    policy: Policy,
) -> Result<Placement, PlacementError> {
    choose_host(request, candidates, policy).map(|index| placement_on(&candidates[index]))
}

/// Places the requests in turn, counting each placement on its host before the next, so that
/// a ticket asking for N VMs fills a host and then spills over to the next. All or nothing:
/// either every request has a host, or the first one that has none is named.
pub fn place_many(
    requests: &[VmRequest],
    candidates: &[HostCandidate],
    policy: Policy,
) -> Result<Vec<Placement>, PlaceManyError> {
    let mut hosts = candidates.to_vec();
    let mut placements = Vec::with_capacity(requests.len());
    for (request_index, request) in requests.iter().enumerate() {
        let host_index = choose_host(request, &hosts, policy).map_err(|error| PlaceManyError {
            request_index,
            error,
        })?;
        hosts[host_index].account(request);
        placements.push(placement_on(&hosts[host_index]));
    }
    Ok(placements)
}

fn placement_on(host: &HostCandidate) -> Placement {
    Placement {
        data_center_id: host.data_center_id,
        pool_id: host.pool_id,
        cluster_id: host.cluster_id,
        host_id: host.host_id,
    }
}

/// The index of the chosen host among the candidates.
fn choose_host(
    request: &VmRequest,
    candidates: &[HostCandidate],
    policy: Policy,
) -> Result<usize, PlacementError> {
    let policy_data_center_opt = match policy {
        Policy::DataCenterAffinity(data_center_id) => Some(data_center_id),
        _ => None,
    };
    let data_center_opt = match (request.data_center_opt, policy_data_center_opt) {
        (Some(requested), Some(from_policy)) if requested != from_policy => {
            return Err(PlacementError::ConflictingDataCenters {
                requested_data_center_id: requested,
                policy_data_center_id: from_policy,
            })
        }
        (requested_opt, from_policy_opt) => requested_opt.or(from_policy_opt),
    };

    let schedulable: Vec<usize> = (0..candidates.len())
        .filter(|&index| candidates[index].schedulable)
        .collect();
    if schedulable.is_empty() {
        return Err(PlacementError::NoCandidates);
    }
    let eligible: Vec<usize> = schedulable
        .into_iter()
        .filter(|&index| {
            data_center_opt
                .is_none_or(|data_center_id| candidates[index].data_center_id == data_center_id)
        })
        .collect();
    if let (true, Some(data_center_id)) = (eligible.is_empty(), data_center_opt) {
        return Err(PlacementError::DataCenterUnavailable { data_center_id });
    }

    let with_room: Vec<usize> = eligible
        .iter()
        .copied()
        .filter(|&index| candidates[index].fits(request))
        .collect();
    if with_room.is_empty() {
        let largest_free = eligible.iter().map(|&index| candidates[index].free()).fold(
            HostResources::default(),
            |largest, free| HostResources {
                vcpu: largest.vcpu.max(free.vcpu),
                memory_mb: largest.memory_mb.max(free.memory_mb),
                disk_gb: largest.disk_gb.max(free.disk_gb),
            },
        );
        return Err(PlacementError::NoCapacity { largest_free });
    }

    let runs_tenant = |index: &usize| {
        candidates[*index]
            .tenant_ids_present
            .contains(&request.tenant_id)
    };
    let (shortlist, prefer_most_loaded) = match policy {
        Policy::Spread | Policy::DataCenterAffinity(_) => (with_room, false),
        Policy::Pack => (with_room, true),
        Policy::TenantAffinity => {
            let (with_tenant, without_tenant): (Vec<usize>, Vec<usize>) =
                with_room.into_iter().partition(runs_tenant);
            if with_tenant.is_empty() {
                (without_tenant, true)
            } else {
                (with_tenant, true)
            }
        }
        Policy::TenantAntiAffinity => {
            let hosts_with_room = with_room.len();
            let without_tenant: Vec<usize> = with_room
                .into_iter()
                .filter(|index| !runs_tenant(index))
                .collect();
            if without_tenant.is_empty() {
                return Err(PlacementError::AntiAffinityUnsatisfiable { hosts_with_room });
            }
            (without_tenant, false)
        }
    };

    let by_preference = |left: &usize, right: &usize| -> Ordering {
        let (left_host, right_host) = (&candidates[*left], &candidates[*right]);
        let by_load = left_host
            .load_after(request)
            .total_cmp(&right_host.load_after(request));
        let by_load = if prefer_most_loaded {
            by_load.reverse()
        } else {
            by_load
        };
        by_load.then(left_host.host_id.cmp(&right_host.host_id))
    };
    shortlist
        .into_iter()
        .min_by(by_preference)
        .ok_or(PlacementError::NoCandidates)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chosen host id, or why there is none.
    type ChosenHost = Result<i64, PlacementError>;
    type ChosenHosts = Result<Vec<i64>, PlaceManyError>;

    /// A schedulable host in data center 1, pool 10, cluster 100, with 16 vCPU, 64 GiB of
    /// memory and 1 TB of disk, no overcommit.
    fn host(host_id: i64) -> HostCandidate {
        HostCandidate {
            host_id,
            cluster_id: 100,
            pool_id: 10,
            data_center_id: 1,
            vcpu_total: 16,
            memory_mb_total: 65_536,
            disk_gb_total: 1_000,
            vcpu_allocated: 0,
            memory_mb_allocated: 0,
            disk_gb_allocated: 0,
            tenant_ids_present: BTreeSet::new(),
            schedulable: true,
            pool_overcommit: Overcommit::NONE,
        }
    }

    fn allocated(
        mut host: HostCandidate,
        vcpu: u64,
        memory_mb: u64,
        disk_gb: u64,
    ) -> HostCandidate {
        host.vcpu_allocated = vcpu;
        host.memory_mb_allocated = memory_mb;
        host.disk_gb_allocated = disk_gb;
        host
    }

    fn in_data_center(mut host: HostCandidate, data_center_id: i64) -> HostCandidate {
        host.data_center_id = data_center_id;
        host
    }

    fn running(mut host: HostCandidate, tenant_id: i64) -> HostCandidate {
        host.tenant_ids_present.insert(tenant_id);
        host
    }

    fn cordoned(mut host: HostCandidate) -> HostCandidate {
        host.schedulable = false;
        host
    }

    fn vm(vcpu: u32, memory_mb: u64) -> VmRequest {
        VmRequest {
            vcpu,
            memory_mb,
            disk_gb: 50,
            tenant_id: 7,
            data_center_opt: None,
        }
    }

    fn host_ids(placements: &[Placement]) -> Vec<i64> {
        placements
            .iter()
            .map(|placement| placement.host_id)
            .collect()
    }

    fn host_ids_of(candidates: &[HostCandidate]) -> Vec<i64> {
        candidates
            .iter()
            .map(|candidate| candidate.host_id)
            .collect()
    }

    #[test]
    fn policies_choose_hosts() {
        let busy = allocated(host(1), 12, 8_192, 100);
        let idle = host(2);
        let half = allocated(host(3), 8, 32_768, 100);
        let everyone = vec![busy.clone(), idle.clone(), half.clone()];
        let table: Vec<(&str, Vec<HostCandidate>, VmRequest, Policy, ChosenHost)> = vec![
            (
                "spread takes the least loaded",
                everyone.clone(),
                vm(2, 4_096),
                Policy::Spread,
                Ok(2),
            ),
            (
                "pack takes the most loaded that fits",
                everyone.clone(),
                vm(2, 4_096),
                Policy::Pack,
                Ok(1),
            ),
            (
                "pack skips a host the vm no longer fits",
                everyone.clone(),
                vm(6, 4_096),
                Policy::Pack,
                Ok(3),
            ),
            (
                "memory exhausted on one host sends the vm elsewhere",
                vec![
                    allocated(host(1), 0, 65_000, 0),
                    allocated(host(2), 15, 0, 0),
                ],
                vm(1, 1_024),
                Policy::Spread,
                Ok(2),
            ),
            (
                "cpu alone is not enough: every resource must fit",
                vec![allocated(host(1), 0, 65_000, 0)],
                vm(1, 1_024),
                Policy::Spread,
                Err(PlacementError::NoCapacity {
                    largest_free: HostResources {
                        vcpu: 16,
                        memory_mb: 536,
                        disk_gb: 1_000,
                    },
                }),
            ),
            (
                "unschedulable hosts are skipped",
                vec![cordoned(idle.clone()), busy.clone()],
                vm(2, 4_096),
                Policy::Spread,
                Ok(1),
            ),
            (
                "only unschedulable hosts means no candidates",
                vec![cordoned(idle.clone()), cordoned(busy.clone())],
                vm(2, 4_096),
                Policy::Spread,
                Err(PlacementError::NoCandidates),
            ),
            (
                "no hosts at all",
                vec![],
                vm(2, 4_096),
                Policy::Pack,
                Err(PlacementError::NoCandidates),
            ),
            (
                "largest free is reported per resource across hosts",
                everyone.clone(),
                vm(17, 1_024),
                Policy::Spread,
                Err(PlacementError::NoCapacity {
                    largest_free: HostResources {
                        vcpu: 16,
                        memory_mb: 65_536,
                        disk_gb: 1_000,
                    },
                }),
            ),
            (
                "tenant affinity prefers a host running the tenant even when it is emptier",
                vec![busy.clone(), running(half.clone(), 7)],
                vm(2, 4_096),
                Policy::TenantAffinity,
                Ok(3),
            ),
            (
                "tenant affinity packs among the tenant's hosts",
                vec![
                    running(idle.clone(), 7),
                    running(half.clone(), 7),
                    busy.clone(),
                ],
                vm(2, 4_096),
                Policy::TenantAffinity,
                Ok(3),
            ),
            (
                "tenant affinity falls back to packing when the tenant's hosts are full",
                vec![
                    running(allocated(host(4), 16, 0, 0), 7),
                    idle.clone(),
                    half.clone(),
                ],
                vm(2, 4_096),
                Policy::TenantAffinity,
                Ok(3),
            ),
            (
                "anti-affinity avoids the tenant's hosts, then spreads",
                vec![running(idle.clone(), 7), half.clone(), busy.clone()],
                vm(2, 4_096),
                Policy::TenantAntiAffinity,
                Ok(3),
            ),
            (
                "anti-affinity refuses when every host with room runs the tenant",
                vec![
                    running(idle.clone(), 7),
                    running(half.clone(), 7),
                    allocated(host(5), 16, 0, 0),
                ],
                vm(2, 4_096),
                Policy::TenantAntiAffinity,
                Err(PlacementError::AntiAffinityUnsatisfiable { hosts_with_room: 2 }),
            ),
        ];
        for (name, candidates, request, policy, expected) in table {
            let chosen = place(&request, &candidates, policy).map(|placement| placement.host_id);
            assert_eq!(chosen, expected, "{name}");
        }
    }

    #[test]
    fn overcommit_lets_a_host_take_more_vcpu_than_it_has() {
        let quadrupled = Overcommit::new(4.0, 1.0, 1.0).unwrap();
        let table = [
            (Overcommit::NONE, 16, true),
            (Overcommit::NONE, 17, false),
            (quadrupled, 32, true),
            (quadrupled, 64, true),
            (quadrupled, 65, false),
            (Overcommit::new(1.5, 1.0, 1.0).unwrap(), 24, true),
            (Overcommit::new(1.5, 1.0, 1.0).unwrap(), 25, false),
        ];
        for (overcommit, vcpu, fits) in table {
            let mut candidate = host(1);
            candidate.pool_overcommit = overcommit;
            let outcome = place(&vm(vcpu, 1_024), &[candidate], Policy::Spread);
            assert_eq!(outcome.is_ok(), fits, "{vcpu} vcpu at {overcommit:?}");
        }
    }

    #[test]
    fn memory_overcommit_and_headroom_scale_memory_capacity() {
        let mut candidate = host(1);
        candidate.pool_overcommit = Overcommit::new(1.0, 0.5, 1.0).unwrap();
        assert_eq!(candidate.capacity().memory_mb, 32_768);
        assert!(place(&vm(1, 32_768), &[candidate.clone()], Policy::Spread).is_ok());
        assert_eq!(
            place(&vm(1, 32_769), &[candidate], Policy::Spread),
            Err(PlacementError::NoCapacity {
                largest_free: HostResources {
                    vcpu: 16,
                    memory_mb: 32_768,
                    disk_gb: 1_000
                }
            })
        );
    }

    #[test]
    fn invalid_ratios_are_refused() {
        for (cpu, memory, disk, resource) in [
            (0.0, 1.0, 1.0, "cpu"),
            (1.0, -1.0, 1.0, "memory"),
            (1.0, 1.0, f64::NAN, "disk"),
            (f64::INFINITY, 1.0, 1.0, "cpu"),
        ] {
            let refusal = Overcommit::new(cpu, memory, disk).unwrap_err();
            assert_eq!(refusal.resource, resource, "{cpu} {memory} {disk}");
        }
    }

    #[test]
    fn data_center_affinity_never_leaves_its_data_center() {
        let hosts = vec![
            in_data_center(host(1), 1),
            in_data_center(allocated(host(2), 8, 0, 0), 2),
            in_data_center(allocated(host(3), 4, 0, 0), 2),
            in_data_center(cordoned(host(4)), 3),
        ];
        let bound_to = |data_center_id: i64| VmRequest {
            data_center_opt: Some(data_center_id),
            ..vm(2, 1_024)
        };
        let table = [
            (
                "spreads within the data center",
                vm(2, 1_024),
                Policy::DataCenterAffinity(2),
                Ok(3),
            ),
            (
                "without affinity the emptiest host wins",
                vm(2, 1_024),
                Policy::Spread,
                Ok(1),
            ),
            (
                "full data center is refused even though another has room",
                vm(13, 1_024),
                Policy::DataCenterAffinity(2),
                Err(PlacementError::NoCapacity {
                    largest_free: HostResources {
                        vcpu: 12,
                        memory_mb: 65_536,
                        disk_gb: 1_000,
                    },
                }),
            ),
            (
                "a data center with only cordoned hosts is unavailable",
                vm(2, 1_024),
                Policy::DataCenterAffinity(3),
                Err(PlacementError::DataCenterUnavailable { data_center_id: 3 }),
            ),
            (
                "an unknown data center is unavailable",
                vm(2, 1_024),
                Policy::DataCenterAffinity(9),
                Err(PlacementError::DataCenterUnavailable { data_center_id: 9 }),
            ),
            (
                "the request's own data center binds any policy",
                bound_to(2),
                Policy::Pack,
                Ok(2),
            ),
            (
                "request and policy agreeing is fine",
                bound_to(2),
                Policy::DataCenterAffinity(2),
                Ok(3),
            ),
            (
                "request and policy disagreeing is refused",
                bound_to(1),
                Policy::DataCenterAffinity(2),
                Err(PlacementError::ConflictingDataCenters {
                    requested_data_center_id: 1,
                    policy_data_center_id: 2,
                }),
            ),
        ];
        for (name, request, policy, expected) in table {
            let outcome = place(&request, &hosts, policy);
            assert_eq!(
                outcome.clone().map(|placement| placement.host_id),
                expected,
                "{name}"
            );
            if let Ok(placement) = outcome {
                if let Some(data_center_id) = request.data_center_opt {
                    assert_eq!(placement.data_center_id, data_center_id, "{name}");
                }
            }
        }
    }

    #[test]
    fn placement_names_the_whole_location() {
        let mut candidate = host(42);
        candidate.cluster_id = 300;
        candidate.pool_id = 30;
        candidate.data_center_id = 3;
        assert_eq!(
            place(&vm(1, 1), &[candidate], Policy::Spread),
            Ok(Placement {
                data_center_id: 3,
                pool_id: 30,
                cluster_id: 300,
                host_id: 42,
            })
        );
    }

    #[test]
    fn ties_go_to_the_lowest_host_id_whatever_the_order() {
        let orders = [
            vec![host(5), host(3), host(9)],
            vec![host(9), host(5), host(3)],
        ];
        for candidates in orders {
            for policy in [Policy::Spread, Policy::Pack, Policy::TenantAffinity] {
                let chosen = place(&vm(2, 1_024), &candidates, policy).unwrap();
                assert_eq!(
                    chosen.host_id,
                    3,
                    "{policy:?} over {:?}",
                    host_ids_of(&candidates)
                );
            }
        }
    }

    #[test]
    fn place_many_counts_each_placement_before_the_next() {
        // Two 16-vCPU hosts, 8-vCPU VMs: two fit per host.
        let hosts = vec![host(1), host(2)];
        let eight = vm(8, 1_024);
        let table: Vec<(&str, usize, Policy, ChosenHosts)> = vec![
            (
                "pack fills a host then spills over",
                3,
                Policy::Pack,
                Ok(vec![1, 1, 2]),
            ),
            ("spread alternates", 4, Policy::Spread, Ok(vec![1, 2, 1, 2])),
            (
                "tenant affinity stays where the first went",
                3,
                Policy::TenantAffinity,
                Ok(vec![1, 1, 2]),
            ),
            (
                "anti-affinity uses a host each",
                2,
                Policy::TenantAntiAffinity,
                Ok(vec![1, 2]),
            ),
            (
                "anti-affinity runs out of hosts",
                3,
                Policy::TenantAntiAffinity,
                Err(PlaceManyError {
                    request_index: 2,
                    error: PlacementError::AntiAffinityUnsatisfiable { hosts_with_room: 2 },
                }),
            ),
            (
                "the fifth does not fit anywhere",
                5,
                Policy::Pack,
                Err(PlaceManyError {
                    request_index: 4,
                    error: PlacementError::NoCapacity {
                        largest_free: HostResources {
                            vcpu: 0,
                            memory_mb: 63_488,
                            disk_gb: 900,
                        },
                    },
                }),
            ),
        ];
        for (name, count, policy, expected) in table {
            let requests = vec![eight.clone(); count];
            let outcome = place_many(&requests, &hosts, policy);
            assert_eq!(
                outcome.map(|placements| host_ids(&placements)),
                expected,
                "{name}"
            );
        }
        // The caller's candidates are left as they were.
        assert_eq!(hosts, vec![host(1), host(2)]);
    }
}
