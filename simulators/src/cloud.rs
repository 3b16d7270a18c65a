//! A simulated cloud: creates, resizes and deletes hosts with realistic delays and occasional
//! failures, for yunguan's ticket fulfilment until a real cloud adapter is configured, for
//! the demo and for tests.
//!
//! Every call is keyed by the caller (a ticket and a host index), so a retried or repeated
//! call returns what the first one made instead of making it twice: fulfilment that resumes
//! after a crash never creates a host twice. Failures are transient (the next attempt may
//! succeed), like a cloud API's timeouts; tests can also force the next N calls to fail.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rand::Rng;

/// What to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
    pub name: String,
    pub vcpu: i64,
    pub memory_gb: i64,
    pub disk_gb: i64,
    pub image: String,
    pub network: String,
    /// The hypervisor to build on. The simulated cloud keeps no hypervisors of its own: it
    /// builds wherever it is told and remembers where.
    pub hypervisor_opt: Option<String>,
}

/// A host the simulated cloud runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimHost {
    /// The cloud's own id (`sim-000042`).
    pub cloud_id: String,
    pub spec: HostSpec,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimError {
    /// The call failed this time; it may work when retried.
    Transient(String),
    /// No host has this id.
    NotFound(String),
}

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SimError::Transient(why) => write!(f, "transient cloud error: {why}"),
            SimError::NotFound(id) => write!(f, "no host {id}"),
        }
    }
}

impl std::error::Error for SimError {}

/// How the simulated cloud behaves.
#[derive(Debug, Clone)]
pub struct SimBehaviour {
    /// Each call takes a delay drawn from this range, in milliseconds.
    pub latency_ms: RangeInclusive<u64>,
    /// The share of calls that fail transiently, from 0 to 1.
    pub failure_rate: f64,
}

#[derive(Debug, Default)]
struct State {
    /// Hosts by cloud id.
    hosts: HashMap<String, SimHost>,
    /// The answer to each caller key already served.
    created_by_key: HashMap<String, String>,
}

/// The simulated cloud. Clones share it.
#[derive(Debug, Clone)]
pub struct SimCloud {
    behaviour: SimBehaviour,
    state: Arc<Mutex<State>>,
    next_id: Arc<AtomicU64>,
    forced_failures: Arc<AtomicU32>,
}

impl SimCloud {
    pub fn new(behaviour: SimBehaviour) -> SimCloud {
        SimCloud {
            behaviour,
            state: Arc::default(),
            next_id: Arc::new(AtomicU64::new(1)),
            forced_failures: Arc::default(),
        }
    }

    /// Makes the next `count` calls fail transiently, whatever the failure rate.
    pub fn fail_next(&self, count: u32) {
        self.forced_failures.store(count, Ordering::SeqCst);
    }

    /// Waits the call's delay, then decides whether it fails.
    async fn call(&self, what: &str) -> Result<(), SimError> {
        let (delay_ms, unlucky) = {
            let mut rng = rand::thread_rng();
            let delay_ms = rng.gen_range(self.behaviour.latency_ms.clone());
            (
                delay_ms,
                rng.gen_bool(self.behaviour.failure_rate.clamp(0.0, 1.0)),
            )
        };
        if delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        }
        let forced = self
            .forced_failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if forced || unlucky {
            return Err(SimError::Transient(format!("{what} timed out")));
        }
        Ok(())
    }

    /// Creates a host for `key`, or returns the one already created for it.
    pub async fn create_host(&self, key: &str, spec: HostSpec) -> Result<SimHost, SimError> {
        if let Some(existing) = self.host_of_key(key) {
            return Ok(existing);
        }
        self.call("create").await?;
        let mut state = self.state.lock();
        if let Some(cloud_id) = state.created_by_key.get(key) {
            return Ok(state.hosts[cloud_id].clone());
        }
        let number = self.next_id.fetch_add(1, Ordering::Relaxed);
        let host = SimHost {
            cloud_id: format!("sim-{number:06}"),
            address: format!(
                "10.{}.{}.{}",
                20 + (number >> 16) % 200,
                (number >> 8) % 256,
                number % 256
            ),
            spec,
        };
        state
            .created_by_key
            .insert(key.to_owned(), host.cloud_id.clone());
        state.hosts.insert(host.cloud_id.clone(), host.clone());
        Ok(host)
    }

    fn host_of_key(&self, key: &str) -> Option<SimHost> {
        let state = self.state.lock();
        let cloud_id = state.created_by_key.get(key)?;
        state.hosts.get(cloud_id).cloned()
    }

    /// Changes a host's size; asking for the size it has is a success.
    pub async fn resize_host(
        &self,
        cloud_id: &str,
        vcpu: i64,
        memory_gb: i64,
        disk_gb: i64,
    ) -> Result<SimHost, SimError> {
        self.call("resize").await?;
        let mut state = self.state.lock();
        let host = state
            .hosts
            .get_mut(cloud_id)
            .ok_or_else(|| SimError::NotFound(cloud_id.to_owned()))?;
        host.spec.vcpu = vcpu;
        host.spec.memory_gb = memory_gb;
        host.spec.disk_gb = disk_gb;
        Ok(host.clone())
    }

    /// Deletes a host; deleting one that is gone is a success.
    pub async fn delete_host(&self, cloud_id: &str) -> Result<(), SimError> {
        self.call("delete").await?;
        self.state.lock().hosts.remove(cloud_id);
        Ok(())
    }

    pub fn host(&self, cloud_id: &str) -> Option<SimHost> {
        self.state.lock().hosts.get(cloud_id).cloned()
    }

    pub fn host_count(&self) -> usize {
        self.state.lock().hosts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> HostSpec {
        HostSpec {
            name: name.to_owned(),
            vcpu: 2,
            memory_gb: 4,
            disk_gb: 40,
            image: "kylin-v10".to_owned(),
            network: "gov-intranet".to_owned(),
            hypervisor_opt: None,
        }
    }

    fn instant() -> SimCloud {
        SimCloud::new(SimBehaviour {
            latency_ms: 0..=0,
            failure_rate: 0.0,
        })
    }

    #[tokio::test]
    async fn the_same_key_never_creates_twice() {
        let cloud = instant();
        let first = cloud.create_host("ticket-1/0", spec("a")).await.unwrap();
        let again = cloud.create_host("ticket-1/0", spec("a")).await.unwrap();
        let other = cloud.create_host("ticket-1/1", spec("b")).await.unwrap();
        assert_eq!(first, again);
        assert_ne!(first.cloud_id, other.cloud_id);
        assert_eq!(cloud.host_count(), 2);
    }

    #[tokio::test]
    async fn forced_failures_are_transient() {
        let cloud = instant();
        cloud.fail_next(2);
        for _ in 0..2 {
            assert!(matches!(
                cloud.create_host("k", spec("a")).await,
                Err(SimError::Transient(_))
            ));
        }
        let host = cloud.create_host("k", spec("a")).await.unwrap();
        let resized = cloud.resize_host(&host.cloud_id, 4, 8, 80).await.unwrap();
        assert_eq!(resized.spec.vcpu, 4);
        cloud.delete_host(&host.cloud_id).await.unwrap();
        assert_eq!(cloud.host_count(), 0);
        assert_eq!(
            cloud.resize_host(&host.cloud_id, 1, 1, 1).await,
            Err(SimError::NotFound(host.cloud_id))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn calls_take_their_latency() {
        let cloud = SimCloud::new(SimBehaviour {
            latency_ms: 500..=500,
            failure_rate: 0.0,
        });
        let started = tokio::time::Instant::now();
        cloud.create_host("k", spec("a")).await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_millis(500));
    }
}
