//! The OpenStack adapter: a Keystone v3 login with service-catalog discovery, then Nova,
//! Neutron and Cinder over HTTP. It syncs the inventory (`changes-since` after the first,
//! full, sync), reads utilization, and creates, resizes and deletes servers as fulfilment's
//! [`CloudProvider`].
//!
//! It owns its token: it logs in on first use, again shortly before the token expires, and
//! once more when a service answers 401 (a revoked token, a Keystone restart). Every request
//! has its own timeout. Timeouts, refused connections and 5xx answers are
//! [`CloudError::Unavailable`] (fulfilment retries them); other 4xx answers are permanent.
//!
//! Creating is idempotent per [`HostRequest::key`]: the key goes into the server's metadata,
//! and a create first looks for a server carrying it, so a retried step resumes the server a
//! lost answer left behind instead of making a second one. Two nodes creating the same key
//! at the same moment can still both create (Nova has no conditional create).
//!
//! The wire types live in `wire` at the bottom of this file and go no further.

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use super::{
    CloudChanges, CloudError, CloudInventory, Hypervisor, Network, Server, ServerChanges,
    ServerStatus, ServerUtilization, SyncCursor, Volume,
};
use crate::fulfilment::provider::{
    CloudProvider, HostRequest, HostSize, ProvidedHost, ProviderError,
};
use crate::settings::CloudSettings;

/// The metadata key that carries a fulfilment request's key on the server it created.
pub const REQUEST_KEY_METADATA: &str = "yunguan_request_key";

/// Servers asked for per page (Nova's usual maximum).
const PAGE_SIZE: usize = 1000;

/// The compute API version asked for: servers embed their flavor (2.47) and a new server can
/// name its hypervisor (2.74), which placement needs.
const NOVA_MICROVERSION: &str = "2.74";

/// How to reach and log in to one OpenStack project.
#[derive(Debug, Clone)]
pub struct OpenStackConfig {
    /// Keystone's v3 root, e.g. `https://keystone:5000/v3`.
    pub auth_url: String,
    pub username: String,
    pub password: SecretString,
    pub project: String,
    /// The domain of both the user and the project.
    pub domain: String,
    /// Bounds each HTTP request.
    pub request_timeout: Duration,
    /// How long a build or resize may take.
    pub operation_timeout: Duration,
    pub poll_interval: Duration,
}

impl OpenStackConfig {
    /// The `cloud` settings, which must name a Keystone, a user, a password and a project.
    pub fn from_settings(settings: &CloudSettings) -> anyhow::Result<OpenStackConfig> {
        let required = |value: &str, key: &str| {
            anyhow::ensure!(
                !value.trim().is_empty(),
                "cloud.{key} is required for openstack"
            );
            Ok(())
        };
        required(&settings.openstack_auth_url, "openstack_auth_url")?;
        required(&settings.openstack_username, "openstack_username")?;
        required(&settings.openstack_project, "openstack_project")?;
        let password = settings
            .openstack_password
            .clone()
            .filter(|p| !p.expose_secret().is_empty())
            .context("cloud.openstack_password is required for openstack")?;
        Ok(OpenStackConfig {
            auth_url: settings.openstack_auth_url.trim_end_matches('/').to_owned(),
            username: settings.openstack_username.clone(),
            password,
            project: settings.openstack_project.clone(),
            domain: settings.openstack_domain.clone(),
            request_timeout: Duration::from_millis(settings.timeout_ms.max(1)),
            operation_timeout: Duration::from_millis(settings.operation_timeout_ms),
            poll_interval: Duration::from_millis(settings.poll_interval_ms.max(1)),
        })
    }
}

/// Where the catalog says each service is.
#[derive(Debug, Clone)]
struct Endpoints {
    compute: String,
    /// Neutron's root with its version (`.../v2.0`), when the cloud has Neutron.
    network_opt: Option<String>,
    /// Cinder v3's project root, when the cloud has Cinder.
    volume_opt: Option<String>,
}

/// A token and what came with it.
#[derive(Debug, Clone)]
struct Session {
    token: SecretString,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    endpoints: Endpoints,
}

impl Session {
    /// Whether to log in again before using it: within a tenth of its lifetime (at most a
    /// minute) of expiry.
    fn expiring(&self, now: DateTime<Utc>) -> bool {
        let lifetime = self.expires_at - self.issued_at;
        let margin = (lifetime / 10).min(chrono::Duration::minutes(1));
        now + margin >= self.expires_at
    }
}

/// Which service a request goes to.
#[derive(Debug, Clone, Copy)]
enum Service {
    Compute,
    Network,
    Volume,
}

/// Where a request goes: a path under a service, or a link the service gave.
#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    Path(Service, &'a str),
    Link(&'a str),
}

/// A client for one OpenStack project. Cheap to share; it keeps one token for all callers.
#[derive(Debug)]
pub struct OpenStackClient {
    http: reqwest::Client,
    config: OpenStackConfig,
    /// Held while logging in, so that concurrent callers share one login.
    session: Mutex<Option<Session>>,
}

impl OpenStackClient {
    pub fn new(config: OpenStackConfig) -> Result<OpenStackClient, CloudError> {
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout)
            .build()
            .map_err(|error| CloudError::Malformed(format!("http client: {error}")))?;
        Ok(OpenStackClient {
            http,
            config,
            session: Mutex::new(None),
        })
    }

    /// A valid token, logging in when there is none or it is about to expire.
    async fn session(&self) -> Result<Session, CloudError> {
        let mut current = self.session.lock().await;
        if let Some(session) = current.as_ref().filter(|s| !s.expiring(Utc::now())) {
            return Ok(session.clone());
        }
        let session = self.log_in().await?;
        *current = Some(session.clone());
        Ok(session)
    }

    /// Drops `stale` (a token a service refused), unless another caller replaced it already.
    async fn forget(&self, stale: &Session) {
        let mut current = self.session.lock().await;
        if current
            .as_ref()
            .is_some_and(|s| s.token.expose_secret() == stale.token.expose_secret())
        {
            *current = None;
        }
    }

    #[tracing::instrument(skip(self), fields(auth_url = %self.config.auth_url, username = %self.config.username))]
    async fn log_in(&self) -> Result<Session, CloudError> {
        let domain = json!({"name": self.config.domain});
        let body = json!({"auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {
                    "name": self.config.username,
                    "domain": domain,
                    "password": self.config.password.expose_secret(),
                }},
            },
            "scope": {"project": {"name": self.config.project, "domain": domain}},
        }});
        let response = self
            .http
            .post(format!("{}/auth/tokens", self.config.auth_url))
            .json(&body)
            .send()
            .await
            .map_err(|error| unreachable("keystone", &error))?;
        if response.status() == StatusCode::UNAUTHORIZED {
            return Err(CloudError::Unauthorized(format!(
                "keystone refused user {} in project {} (domain {})",
                self.config.username, self.config.project, self.config.domain
            )));
        }
        let response = checked("keystone", response).await?;
        let token = response
            .headers()
            .get("X-Subject-Token")
            .and_then(|value| value.to_str().ok())
            .map(|value| SecretString::from(value.to_owned()))
            .ok_or_else(|| CloudError::Malformed("keystone sent no X-Subject-Token".into()))?;
        let body: wire::TokenBody = read_json("keystone", response).await?;
        let endpoint = |service_type: &str| {
            body.token
                .catalog
                .iter()
                .filter(|entry| entry.service_type == service_type)
                .flat_map(|entry| &entry.endpoints)
                .find(|endpoint| endpoint.interface == "public")
                .map(|endpoint| endpoint.url.trim_end_matches('/').to_owned())
        };
        let compute = endpoint("compute")
            .ok_or_else(|| CloudError::Malformed("the catalog lists no compute endpoint".into()))?;
        let network_opt = endpoint("network").map(|url| {
            if url.ends_with("/v2.0") {
                url
            } else {
                format!("{url}/v2.0")
            }
        });
        let volume_opt = endpoint("volumev3");
        tracing::info!(expires_at = %body.token.expires_at, "logged in to keystone");
        Ok(Session {
            token,
            issued_at: body.token.issued_at,
            expires_at: body.token.expires_at,
            endpoints: Endpoints {
                compute,
                network_opt,
                volume_opt,
            },
        })
    }

    /// Sends one request with a valid token; a 401 means the token went stale, so it logs
    /// in once more and repeats the request. Answers only successful responses.
    async fn call(
        &self,
        method: Method,
        target: Target<'_>,
        query: &[(&str, String)],
        body_opt: Option<&Value>,
    ) -> Result<reqwest::Response, CloudError> {
        let session = self.session().await?;
        let response = self
            .send(&session, method.clone(), target, query, body_opt)
            .await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return checked(service_name(target), response).await;
        }
        tracing::info!("token refused; logging in again");
        self.forget(&session).await;
        let session = self.session().await?;
        let response = self.send(&session, method, target, query, body_opt).await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            return Err(CloudError::Unauthorized(
                "a fresh token was refused too".into(),
            ));
        }
        checked(service_name(target), response).await
    }

    async fn send(
        &self,
        session: &Session,
        method: Method,
        target: Target<'_>,
        query: &[(&str, String)],
        body_opt: Option<&Value>,
    ) -> Result<reqwest::Response, CloudError> {
        let url = match target {
            Target::Link(url) => url.to_owned(),
            Target::Path(service, path) => {
                let root = match service {
                    Service::Compute => Some(&session.endpoints.compute),
                    Service::Network => session.endpoints.network_opt.as_ref(),
                    Service::Volume => session.endpoints.volume_opt.as_ref(),
                }
                .ok_or_else(|| {
                    CloudError::NotFound(format!(
                        "a {} endpoint in the catalog",
                        service_name(target)
                    ))
                })?;
                format!("{root}{path}")
            }
        };
        let mut request = self
            .http
            .request(method, url)
            .header("X-Auth-Token", session.token.expose_secret())
            .header("X-OpenStack-Nova-API-Version", NOVA_MICROVERSION);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body_opt {
            request = request.json(body);
        }
        request
            .send()
            .await
            .map_err(|error| unreachable(service_name(target), &error))
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        target: Target<'_>,
        query: &[(&str, String)],
    ) -> Result<T, CloudError> {
        let response = self.call(Method::GET, target, query, None).await?;
        read_json(service_name(target), response).await
    }

    /// Compute hosts with their usage.
    pub async fn hypervisors(&self) -> Result<Vec<Hypervisor>, CloudError> {
        let body: wire::Hypervisors = self
            .get_json(
                Target::Path(Service::Compute, "/os-hypervisors/detail"),
                &[],
            )
            .await?;
        Ok(body.hypervisors.into_iter().map(Hypervisor::from).collect())
    }

    /// Every server matching `query` (deleted ones too when it has `changes-since`), over
    /// as many pages as it takes.
    async fn servers_where(
        &self,
        mut query: Vec<(&str, String)>,
    ) -> Result<Vec<Server>, CloudError> {
        query.push(("limit", PAGE_SIZE.to_string()));
        let mut page: wire::ServerPage = self
            .get_json(Target::Path(Service::Compute, "/servers/detail"), &query)
            .await?;
        let mut servers = Vec::new();
        loop {
            servers.extend(page.servers.into_iter().map(Server::from));
            let Some(next) = page.servers_links.into_iter().find(|l| l.rel == "next") else {
                return Ok(servers);
            };
            page = self.get_json(Target::Link(&next.href), &[]).await?;
        }
    }

    pub async fn server(&self, cloud_id: &str) -> Result<Server, CloudError> {
        let body: wire::ServerBody = self
            .get_json(
                Target::Path(Service::Compute, &format!("/servers/{cloud_id}")),
                &[],
            )
            .await?;
        Ok(Server::from(body.server))
    }

    pub async fn networks(&self) -> Result<Vec<Network>, CloudError> {
        let body: wire::Networks = self
            .get_json(Target::Path(Service::Network, "/networks"), &[])
            .await?;
        Ok(body.networks.into_iter().map(Network::from).collect())
    }

    pub async fn volumes(&self) -> Result<Vec<Volume>, CloudError> {
        let body: wire::Volumes = self
            .get_json(Target::Path(Service::Volume, "/volumes/detail"), &[])
            .await?;
        Ok(body.volumes.into_iter().map(Volume::from).collect())
    }

    /// Everything on the first sync (`SyncCursor::initial()`), then the servers changed or
    /// deleted since `cursor`, each reported once; and the cursor for the next sync.
    #[tracing::instrument(skip(self, cursor))]
    pub async fn sync(
        &self,
        cursor: &SyncCursor,
    ) -> Result<(CloudChanges, SyncCursor), CloudError> {
        let hypervisors = self.hypervisors().await?;
        let Some(since) = cursor.changes_since_opt() else {
            let servers = self.servers_where(Vec::new()).await?;
            let next = cursor.advance(servers.iter().map(|s| (s.cloud_id.as_str(), s.updated_at)));
            let networks = self.networks().await?;
            let volumes = self.volumes().await?;
            tracing::info!(servers = servers.len(), "full cloud sync");
            let inventory = CloudInventory {
                hypervisors,
                servers,
                networks,
                volumes,
            };
            return Ok((CloudChanges::Full(inventory), next));
        };
        let answered = self
            .servers_where(vec![(
                "changes-since",
                since.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            )])
            .await?;
        let next = cursor.advance(answered.iter().map(|s| (s.cloud_id.as_str(), s.updated_at)));
        let mut changes = ServerChanges {
            hypervisors,
            changed: Vec::new(),
            deleted_cloud_ids: Vec::new(),
        };
        for server in answered {
            if !cursor.is_news(&server.cloud_id, server.updated_at) {
                continue;
            }
            if server.status == ServerStatus::Deleted {
                changes.deleted_cloud_ids.push(server.cloud_id);
            } else {
                changes.changed.push(server);
            }
        }
        tracing::info!(
            changed = changes.changed.len(),
            deleted = changes.deleted_cloud_ids.len(),
            "incremental cloud sync"
        );
        Ok((CloudChanges::Incremental(changes), next))
    }

    /// How busy a server is now (Nova's diagnostics; the server must be ACTIVE).
    pub async fn server_utilization(
        &self,
        cloud_id: &str,
    ) -> Result<ServerUtilization, CloudError> {
        let body: wire::Diagnostics = self
            .get_json(
                Target::Path(
                    Service::Compute,
                    &format!("/servers/{cloud_id}/diagnostics"),
                ),
                &[],
            )
            .await?;
        let cores: Vec<f64> = body
            .cpu_details
            .iter()
            .filter_map(|c| c.utilisation)
            .collect();
        let cpu_percent = if cores.is_empty() {
            0.0
        } else {
            cores.iter().sum::<f64>() / cores.len() as f64
        };
        let memory = body
            .memory_details
            .ok_or_else(|| CloudError::Malformed("diagnostics without memory_details".into()))?;
        // A total only when every disk or NIC reports its counter: a sum missing a part
        // would look like a counter going back.
        let total = |values: Vec<Option<u64>>| {
            (!values.is_empty())
                .then(|| values.into_iter().sum::<Option<u64>>())
                .flatten()
        };
        Ok(ServerUtilization {
            cpu_percent,
            memory_used_mb: memory.used.round() as i64,
            memory_total_mb: memory.maximum.round() as i64,
            disk_read_bytes_opt: total(body.disk_details.iter().map(|d| d.read_bytes).collect()),
            disk_write_bytes_opt: total(body.disk_details.iter().map(|d| d.write_bytes).collect()),
            received_bytes_opt: total(body.nic_details.iter().map(|n| n.rx_octets).collect()),
            sent_bytes_opt: total(body.nic_details.iter().map(|n| n.tx_octets).collect()),
            uptime_secs_opt: body.uptime,
        })
    }

    /// The id of a flavor of exactly `size`, created when the cloud has none.
    async fn flavor_for(&self, size: HostSize) -> Result<String, CloudError> {
        let ram_mb = size.memory_gb * 1024;
        let find = |flavors: wire::Flavors| {
            flavors
                .flavors
                .into_iter()
                .filter(|f| f.vcpus == size.vcpu && f.ram == ram_mb && f.disk == size.disk_gb)
                .map(|f| f.id)
                .min()
        };
        let target = Target::Path(Service::Compute, "/flavors/detail");
        if let Some(id) = find(self.get_json(target, &[]).await?) {
            return Ok(id);
        }
        let name = format!("yg.{}c{}g{}d", size.vcpu, size.memory_gb, size.disk_gb);
        let body = json!({"flavor": {"name": name, "vcpus": size.vcpu, "ram": ram_mb, "disk": size.disk_gb}});
        match self
            .call(
                Method::POST,
                Target::Path(Service::Compute, "/flavors"),
                &[],
                Some(&body),
            )
            .await
        {
            Ok(response) => {
                let created: wire::FlavorBody = read_json("compute", response).await?;
                tracing::info!(flavor = %name, "created a flavor");
                Ok(created.flavor.id)
            }
            // Another caller made it meanwhile.
            Err(CloudError::Refused { status: 409, .. }) => find(self.get_json(target, &[]).await?)
                .ok_or_else(|| CloudError::NotFound(format!("flavor {name}"))),
            Err(error) => Err(error),
        }
    }

    async fn network_id(&self, name: &str) -> Result<String, CloudError> {
        let body: wire::Networks = self
            .get_json(
                Target::Path(Service::Network, "/networks"),
                &[("name", name.to_owned())],
            )
            .await?;
        body.networks
            .into_iter()
            .find(|n| n.name == name)
            .map(|n| n.id)
            .ok_or_else(|| CloudError::NotFound(format!("network {name}")))
    }

    /// The server a request with this key already made, if any.
    async fn server_of_request(&self, request: &HostRequest) -> Result<Option<Server>, CloudError> {
        let by_name = self
            .servers_where(vec![("name", format!("^{}$", regex_escape(&request.name)))])
            .await?;
        Ok(by_name.into_iter().find(|s| {
            s.request_key_opt.as_deref() == Some(request.key.as_str())
                && s.status != ServerStatus::Deleted
        }))
    }

    /// Looks at the server until its status is `wanted`. ERROR fails it; a transient error
    /// while looking is logged and looked past, until the deadline.
    async fn wait_for(&self, cloud_id: &str, wanted: ServerStatus) -> Result<Server, CloudError> {
        let deadline = tokio::time::Instant::now() + self.config.operation_timeout;
        loop {
            match self.server(cloud_id).await {
                Ok(server) if server.status == wanted => return Ok(server),
                Ok(server) if server.status == ServerStatus::Error => {
                    return Err(CloudError::Failed(format!(
                        "server {cloud_id} went to ERROR: {}",
                        server.fault_opt.as_deref().unwrap_or("no fault given")
                    )))
                }
                Ok(_) => {}
                Err(error) if error.is_transient() => {
                    tracing::warn!(cloud_id, %error, "polling a server failed; polling on")
                }
                Err(error) => return Err(error),
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(CloudError::TimedOut(format!(
                    "server {cloud_id} did not become {wanted:?} within {:?}",
                    self.config.operation_timeout
                )));
            }
            tokio::time::sleep(self.config.poll_interval).await;
        }
    }

    /// Deletes a server; one already gone counts as deleted.
    pub async fn delete_server(&self, cloud_id: &str) -> Result<(), CloudError> {
        let path = format!("/servers/{cloud_id}");
        match self
            .call(
                Method::DELETE,
                Target::Path(Service::Compute, &path),
                &[],
                None,
            )
            .await
        {
            Ok(_) | Err(CloudError::NotFound(_)) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Waits for a build to end; a build that fails is deleted, so it holds nothing.
    async fn finish_build(&self, cloud_id: &str) -> Result<ProvidedHost, CloudError> {
        match self.wait_for(cloud_id, ServerStatus::Active).await {
            Ok(server) => Ok(provided(server)),
            Err(CloudError::Failed(why)) => {
                if let Err(error) = self.delete_server(cloud_id).await {
                    tracing::warn!(cloud_id, %error, "could not delete a server whose build failed");
                }
                Err(CloudError::Failed(why))
            }
            Err(error) => Err(error),
        }
    }

    #[tracing::instrument(skip(self, request), fields(key = %request.key, name = %request.name))]
    async fn create(&self, request: HostRequest) -> Result<ProvidedHost, CloudError> {
        if let Some(existing) = self.server_of_request(&request).await? {
            tracing::info!(cloud_id = %existing.cloud_id, "the request's server exists already");
            return self.finish_build(&existing.cloud_id).await;
        }
        let flavor_id = self.flavor_for(request.size).await?;
        let network_id = self.network_id(&request.network).await?;
        let mut body = json!({"server": {
            "name": request.name,
            "flavorRef": flavor_id,
            "imageRef": request.image,
            "networks": [{"uuid": network_id}],
            "metadata": {REQUEST_KEY_METADATA: request.key},
        }});
        if let Some(hypervisor) = &request.placed_on_opt {
            // Nova 2.74: the scheduler still checks the host, but considers no other.
            body["server"]["hypervisor_hostname"] = json!(hypervisor);
        }
        let response = self
            .call(
                Method::POST,
                Target::Path(Service::Compute, "/servers"),
                &[],
                Some(&body),
            )
            .await?;
        let created: wire::CreatedServerBody = read_json("compute", response).await?;
        tracing::info!(cloud_id = %created.server.id, "server accepted");
        self.finish_build(&created.server.id).await
    }

    #[tracing::instrument(skip(self))]
    async fn resize(&self, cloud_id: &str, size: HostSize) -> Result<ProvidedHost, CloudError> {
        let action = format!("/servers/{cloud_id}/action");
        let mut server = self.server(cloud_id).await?;
        if server.status == ServerStatus::Active && server.size == size {
            return Ok(provided(server));
        }
        if server.status == ServerStatus::Active {
            let flavor_id = self.flavor_for(size).await?;
            let body = json!({"resize": {"flavorRef": flavor_id}});
            self.call(
                Method::POST,
                Target::Path(Service::Compute, &action),
                &[],
                Some(&body),
            )
            .await?;
            server.status = ServerStatus::Resizing;
        }
        if server.status == ServerStatus::Resizing {
            self.wait_for(cloud_id, ServerStatus::AwaitingResizeConfirmation)
                .await?;
            server.status = ServerStatus::AwaitingResizeConfirmation;
        }
        if server.status != ServerStatus::AwaitingResizeConfirmation {
            return Err(CloudError::Failed(format!(
                "server {cloud_id} cannot be resized while {:?}",
                server.status
            )));
        }
        let confirm = json!({"confirmResize": null});
        self.call(
            Method::POST,
            Target::Path(Service::Compute, &action),
            &[],
            Some(&confirm),
        )
        .await?;
        let resized = self.wait_for(cloud_id, ServerStatus::Active).await?;
        Ok(provided(resized))
    }
}

impl CloudProvider for OpenStackClient {
    fn create_host(
        &self,
        request: HostRequest,
    ) -> BoxFuture<'_, Result<ProvidedHost, ProviderError>> {
        async move { self.create(request).await.map_err(ProviderError::from) }.boxed()
    }

    fn resize_host<'a>(
        &'a self,
        cloud_id: &'a str,
        size: HostSize,
    ) -> BoxFuture<'a, Result<ProvidedHost, ProviderError>> {
        async move {
            self.resize(cloud_id, size)
                .await
                .map_err(ProviderError::from)
        }
        .boxed()
    }

    fn delete_host<'a>(&'a self, cloud_id: &'a str) -> BoxFuture<'a, Result<(), ProviderError>> {
        async move {
            self.delete_server(cloud_id)
                .await
                .map_err(ProviderError::from)
        }
        .boxed()
    }
}

fn provided(server: Server) -> ProvidedHost {
    ProvidedHost {
        address: server.addresses.first().cloned().unwrap_or_default(),
        cloud_id: server.cloud_id,
        name: server.name,
        size: server.size,
        runs_on_opt: server.hypervisor_hostname_opt,
    }
}

fn service_name(target: Target<'_>) -> &'static str {
    match target {
        Target::Path(Service::Compute, _) | Target::Link(_) => "compute",
        Target::Path(Service::Network, _) => "network",
        Target::Path(Service::Volume, _) => "volume",
    }
}

/// Escapes what Nova's regular-expression name filter would read as syntax.
fn regex_escape(literal: &str) -> String {
    let mut escaped = String::with_capacity(literal.len());
    for c in literal.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// A request that got no answer: a timeout, a refused or broken connection.
fn unreachable(service: &str, error: &reqwest::Error) -> CloudError {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    CloudError::Unavailable(format!("{service}: {what}: {error}"))
}

/// The response if it succeeded; otherwise the error its status and OpenStack's error body
/// say.
async fn checked(
    service: &str,
    response: reqwest::Response,
) -> Result<reqwest::Response, CloudError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let text = response.text().await.unwrap_or_default();
    let message = error_message(&text).unwrap_or_else(|| status.to_string());
    let message = format!("{service}: {message}");
    Err(match status {
        StatusCode::UNAUTHORIZED => CloudError::Unauthorized(message),
        StatusCode::NOT_FOUND => CloudError::NotFound(message),
        status if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS => {
            CloudError::Unavailable(format!("{message} ({})", status.as_u16()))
        }
        status => CloudError::Refused {
            status: status.as_u16(),
            message,
        },
    })
}

/// The message of an OpenStack error body: `{"<kind>": {"message": ...}}` (Nova, Cinder,
/// Keystone's `error`, Neutron's `NeutronError`).
fn error_message(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    value
        .as_object()?
        .values()
        .find_map(|inner| inner.get("message").and_then(Value::as_str))
        .map(|message| message.lines().next().unwrap_or(message).to_owned())
}

async fn read_json<T: DeserializeOwned>(
    service: &str,
    response: reqwest::Response,
) -> Result<T, CloudError> {
    let bytes = response
        .bytes()
        .await
        .map_err(|error| unreachable(service, &error))?;
    serde_json::from_slice(&bytes)
        .map_err(|error| CloudError::Malformed(format!("{service}: {error}")))
}

impl From<wire::Hypervisor> for Hypervisor {
    fn from(h: wire::Hypervisor) -> Hypervisor {
        Hypervisor {
            up: h.state == "up",
            enabled: h.status == "enabled",
            hostname: h.hypervisor_hostname,
            vcpus: h.vcpus,
            vcpus_used: h.vcpus_used,
            memory_mb: h.memory_mb,
            memory_mb_used: h.memory_mb_used,
            local_gb: h.local_gb,
            local_gb_used: h.local_gb_used,
            running_vms: h.running_vms,
            cpu_utilization_percent_opt: h.cpu_util,
        }
    }
}

impl From<wire::Server> for Server {
    fn from(s: wire::Server) -> Server {
        let status = match s.status.as_str() {
            "BUILD" => ServerStatus::Building,
            "ACTIVE" => ServerStatus::Active,
            "RESIZE" => ServerStatus::Resizing,
            "VERIFY_RESIZE" => ServerStatus::AwaitingResizeConfirmation,
            "SHUTOFF" => ServerStatus::ShutOff,
            "ERROR" => ServerStatus::Error,
            "DELETED" | "SOFT_DELETED" => ServerStatus::Deleted,
            other => ServerStatus::Other(other.to_owned()),
        };
        let addresses = s
            .addresses
            .values()
            .flatten()
            .filter(|a| a.version == 4)
            .map(|a| a.addr.clone())
            .collect();
        Server {
            cloud_id: s.id,
            name: s.name,
            status,
            size: HostSize {
                vcpu: s.flavor.vcpus,
                memory_gb: s.flavor.ram / 1024,
                disk_gb: s.flavor.disk,
            },
            hypervisor_hostname_opt: s.hypervisor_hostname,
            addresses,
            request_key_opt: s.metadata.get(REQUEST_KEY_METADATA).cloned(),
            fault_opt: s.fault.map(|f| f.message),
            updated_at: s.updated,
        }
    }
}

impl From<wire::Network> for Network {
    fn from(n: wire::Network) -> Network {
        Network {
            cloud_id: n.id,
            name: n.name,
            shared: n.shared,
            subnet_ids: n.subnets,
        }
    }
}

impl From<wire::Volume> for Volume {
    fn from(v: wire::Volume) -> Volume {
        Volume {
            name: v.name.unwrap_or_default(),
            cloud_id: v.id,
            status: v.status,
            size_gb: v.size,
            attached_server_ids: v.attachments.into_iter().map(|a| a.server_id).collect(),
        }
    }
}

/// What Keystone, Nova, Neutron and Cinder answer, as far as this adapter reads it.
mod wire {
    use std::collections::BTreeMap;

    use chrono::{DateTime, Utc};
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    pub struct TokenBody {
        pub token: Token,
    }

    #[derive(Debug, Deserialize)]
    pub struct Token {
        pub issued_at: DateTime<Utc>,
        pub expires_at: DateTime<Utc>,
        #[serde(default)]
        pub catalog: Vec<CatalogEntry>,
    }

    #[derive(Debug, Deserialize)]
    pub struct CatalogEntry {
        #[serde(rename = "type")]
        pub service_type: String,
        pub endpoints: Vec<Endpoint>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Endpoint {
        pub interface: String,
        pub url: String,
    }

    #[derive(Debug, Deserialize)]
    pub struct Hypervisors {
        pub hypervisors: Vec<Hypervisor>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Hypervisor {
        pub hypervisor_hostname: String,
        #[serde(default)]
        pub state: String,
        #[serde(default)]
        pub status: String,
        pub vcpus: i64,
        pub vcpus_used: i64,
        pub memory_mb: i64,
        pub memory_mb_used: i64,
        pub local_gb: i64,
        pub local_gb_used: i64,
        #[serde(default)]
        pub running_vms: i64,
        /// Not Nova's: where a cloud (or the simulator) adds the host's CPU utilization.
        #[serde(default)]
        pub cpu_util: Option<f64>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Link {
        pub rel: String,
        pub href: String,
    }

    #[derive(Debug, Deserialize)]
    pub struct ServerPage {
        pub servers: Vec<Server>,
        #[serde(default)]
        pub servers_links: Vec<Link>,
    }

    #[derive(Debug, Deserialize)]
    pub struct ServerBody {
        pub server: Server,
    }

    /// Nova 2.47+: the flavor is embedded.
    #[derive(Debug, Deserialize)]
    pub struct Server {
        pub id: String,
        pub name: String,
        pub status: String,
        pub flavor: EmbeddedFlavor,
        #[serde(default)]
        pub addresses: BTreeMap<String, Vec<Address>>,
        #[serde(default)]
        pub metadata: BTreeMap<String, String>,
        #[serde(rename = "OS-EXT-SRV-ATTR:hypervisor_hostname", default)]
        pub hypervisor_hostname: Option<String>,
        pub updated: DateTime<Utc>,
        #[serde(default)]
        pub fault: Option<Fault>,
    }

    #[derive(Debug, Deserialize)]
    pub struct CreatedServerBody {
        pub server: CreatedServer,
    }

    #[derive(Debug, Deserialize)]
    pub struct CreatedServer {
        pub id: String,
    }

    #[derive(Debug, Deserialize)]
    pub struct EmbeddedFlavor {
        pub vcpus: i64,
        pub ram: i64,
        pub disk: i64,
    }

    #[derive(Debug, Deserialize)]
    pub struct Address {
        pub addr: String,
        #[serde(default)]
        pub version: u8,
    }

    #[derive(Debug, Deserialize)]
    pub struct Fault {
        pub message: String,
    }

    #[derive(Debug, Deserialize)]
    pub struct Flavors {
        pub flavors: Vec<Flavor>,
    }

    #[derive(Debug, Deserialize)]
    pub struct FlavorBody {
        pub flavor: Flavor,
    }

    #[derive(Debug, Deserialize)]
    pub struct Flavor {
        pub id: String,
        pub vcpus: i64,
        pub ram: i64,
        pub disk: i64,
    }

    #[derive(Debug, Deserialize)]
    pub struct Networks {
        pub networks: Vec<Network>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Network {
        pub id: String,
        pub name: String,
        #[serde(default)]
        pub shared: bool,
        #[serde(default)]
        pub subnets: Vec<String>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Volumes {
        pub volumes: Vec<Volume>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Volume {
        pub id: String,
        #[serde(default)]
        pub name: Option<String>,
        pub status: String,
        pub size: i64,
        #[serde(default)]
        pub attachments: Vec<Attachment>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Attachment {
        pub server_id: String,
    }

    /// Nova 2.48+ diagnostics.
    #[derive(Debug, Deserialize)]
    pub struct Diagnostics {
        #[serde(default)]
        pub cpu_details: Vec<CpuDetail>,
        #[serde(default)]
        pub memory_details: Option<MemoryDetails>,
        #[serde(default)]
        pub disk_details: Vec<DiskDetail>,
        #[serde(default)]
        pub nic_details: Vec<NicDetail>,
        /// Seconds since the server started.
        #[serde(default)]
        pub uptime: Option<u64>,
    }

    #[derive(Debug, Deserialize)]
    pub struct DiskDetail {
        #[serde(default)]
        pub read_bytes: Option<u64>,
        #[serde(default)]
        pub write_bytes: Option<u64>,
    }

    #[derive(Debug, Deserialize)]
    pub struct NicDetail {
        #[serde(default)]
        pub rx_octets: Option<u64>,
        #[serde(default)]
        pub tx_octets: Option<u64>,
    }

    #[derive(Debug, Deserialize)]
    pub struct CpuDetail {
        #[serde(default)]
        pub utilisation: Option<f64>,
    }

    /// In MiB.
    #[derive(Debug, Deserialize)]
    pub struct MemoryDetails {
        pub maximum: f64,
        pub used: f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openstack_error_bodies_give_their_message() {
        let table = [
            (
                r#"{"itemNotFound": {"code": 404, "message": "Instance x could not be found."}}"#,
                Some("Instance x could not be found."),
            ),
            (
                r#"{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}"#,
                Some("The request you have made requires authentication."),
            ),
            (
                r#"{"NeutronError": {"type": "NotFound", "message": "Network n not found.", "detail": ""}}"#,
                Some("Network n not found."),
            ),
            (
                r#"{"computeFault": {"code": 500, "message": "Unexpected API Error.\n<class 'x'>"}}"#,
                Some("Unexpected API Error."),
            ),
            ("<html>bad gateway</html>", None),
        ];
        for (body, message) in table {
            assert_eq!(error_message(body).as_deref(), message, "{body}");
        }
    }

    #[test]
    fn a_token_is_renewed_within_a_tenth_of_its_lifetime_of_expiry_at_most_a_minute() {
        let issued_at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let session = |lifetime_secs: i64| Session {
            token: SecretString::from("t"),
            issued_at,
            expires_at: issued_at + chrono::Duration::seconds(lifetime_secs),
            endpoints: Endpoints {
                compute: "http://nova".into(),
                network_opt: None,
                volume_opt: None,
            },
        };
        let after = |secs: i64| issued_at + chrono::Duration::seconds(secs);
        // (lifetime, seconds after issue, renew?)
        let table = [
            (100, 89, false),
            (100, 90, true),
            (3600, 3539, false),
            (3600, 3540, true),
            (3600, 4000, true),
        ];
        for (lifetime, elapsed, renew) in table {
            assert_eq!(
                session(lifetime).expiring(after(elapsed)),
                renew,
                "{lifetime} {elapsed}"
            );
        }
    }

    #[test]
    fn the_password_never_prints() {
        let client = OpenStackClient::new(OpenStackConfig {
            auth_url: "http://keystone/v3".into(),
            username: "u".into(),
            password: SecretString::from("hunter5"),
            project: "p".into(),
            domain: "Default".into(),
            request_timeout: Duration::from_secs(1),
            operation_timeout: Duration::from_secs(1),
            poll_interval: Duration::from_secs(1),
        })
        .unwrap();
        assert!(!format!("{client:?}").contains("hunter5"));
    }
}
