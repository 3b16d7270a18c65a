//! The cloud provider interface fulfilment drives: create, resize and delete a host. One
//! implementation today, the simulated cloud (`simulated.rs`); the cloud adapters of the
//! resource-management work (OpenStack first) implement the same trait.

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// A host's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostSize {
    pub vcpu: i64,
    pub memory_gb: i64,
    pub disk_gb: i64,
}

/// A host to create. `key` names the request (ticket and host index): a provider must answer
/// a repeated key with the host it already made, so that resumed fulfilment never doubles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRequest {
    pub key: String,
    pub name: String,
    pub size: HostSize,
    pub image: String,
    pub network: String,
    /// The host placement chose, as its platform names it (a hypervisor's hostname): the
    /// provider must build there or fail, never choose another.
    pub placed_on_opt: Option<String>,
}

/// A host as the provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvidedHost {
    pub cloud_id: String,
    pub name: String,
    pub address: String,
    pub size: HostSize,
    /// Where the provider says it runs, when it says.
    pub runs_on_opt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderError {
    /// Worth retrying: a timeout, a busy API.
    Transient(String),
    /// Retrying will not help: the host is gone, the request is refused.
    Permanent(String),
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProviderError::Transient(why) | ProviderError::Permanent(why) => f.write_str(why),
        }
    }
}

pub trait CloudProvider: Send + Sync {
    fn create_host(
        &self,
        request: HostRequest,
    ) -> BoxFuture<'_, Result<ProvidedHost, ProviderError>>;
    fn resize_host<'a>(
        &'a self,
        cloud_id: &'a str,
        size: HostSize,
    ) -> BoxFuture<'a, Result<ProvidedHost, ProviderError>>;
    fn delete_host<'a>(&'a self, cloud_id: &'a str) -> BoxFuture<'a, Result<(), ProviderError>>;
}
