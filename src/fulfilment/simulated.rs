//! The simulated cloud (`yunguan_simulators::cloud`) as a [`CloudProvider`].

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use yunguan_simulators::cloud::{HostSpec, SimBehaviour, SimCloud, SimError, SimHost};

use super::provider::{CloudProvider, HostRequest, HostSize, ProvidedHost, ProviderError};
use crate::settings::FulfilmentSettings;

pub struct SimulatedProvider {
    cloud: SimCloud,
}

impl SimulatedProvider {
    pub fn new(settings: &FulfilmentSettings) -> SimulatedProvider {
        let min = settings.sim_min_latency_ms.min(settings.sim_max_latency_ms);
        SimulatedProvider {
            cloud: SimCloud::new(SimBehaviour {
                latency_ms: min..=settings.sim_max_latency_ms,
                failure_rate: settings.sim_failure_rate,
            }),
        }
    }

    /// The cloud itself, for tests that inject failures.
    pub fn cloud(&self) -> &SimCloud {
        &self.cloud
    }
}

fn provided(host: SimHost) -> ProvidedHost {
    ProvidedHost {
        cloud_id: host.cloud_id,
        name: host.spec.name,
        address: host.address,
        size: HostSize {
            vcpu: host.spec.vcpu,
            memory_gb: host.spec.memory_gb,
            disk_gb: host.spec.disk_gb,
        },
        runs_on_opt: host.spec.hypervisor_opt,
    }
}

fn error(error: SimError) -> ProviderError {
    match error {
        SimError::Transient(_) => ProviderError::Transient(error.to_string()),
        SimError::NotFound(_) => ProviderError::Permanent(error.to_string()),
    }
}

impl CloudProvider for SimulatedProvider {
    fn create_host(
        &self,
        request: HostRequest,
    ) -> BoxFuture<'_, Result<ProvidedHost, ProviderError>> {
        let spec = HostSpec {
            name: request.name,
            vcpu: request.size.vcpu,
            memory_gb: request.size.memory_gb,
            disk_gb: request.size.disk_gb,
            image: request.image,
            network: request.network,
            hypervisor_opt: request.placed_on_opt,
        };
        async move {
            self.cloud
                .create_host(&request.key, spec)
                .await
                .map(provided)
                .map_err(error)
        }
        .boxed()
    }

    fn resize_host<'a>(
        &'a self,
        cloud_id: &'a str,
        size: HostSize,
    ) -> BoxFuture<'a, Result<ProvidedHost, ProviderError>> {
        async move {
            self.cloud
                .resize_host(cloud_id, size.vcpu, size.memory_gb, size.disk_gb)
                .await
                .map(provided)
                .map_err(error)
        }
        .boxed()
    }

    fn delete_host<'a>(&'a self, cloud_id: &'a str) -> BoxFuture<'a, Result<(), ProviderError>> {
        async move { self.cloud.delete_host(cloud_id).await.map_err(error) }.boxed()
    }
}
