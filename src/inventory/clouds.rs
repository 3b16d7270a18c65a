//! Cloud platforms, their clusters and hosts, and the VMs on them. Cloud sync
//! ([`super::sync`]) keeps hosts and VMs current; operators create platforms and clusters,
//! and may correct a VM's tenant and business system.
//!
//! VMs are tenant-owned: tenant users see their own tenant's only, and another tenant's VM is
//! answered as absent.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    Select, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::crud::{
    nullable, present, present_kinds, Checker, InventoryError, InventoryObject, ModelOf, Writer,
};
use super::references;
use crate::db::entities::{cloud_platform, cluster, host, vm};
use crate::secrets::Sealer;
use crate::tenancy::TenantScope;

pub const PLATFORM_KINDS: &[&str] = &["openstack", "vmware", "kubernetes", "simulated"];
/// The purpose cloud credentials are sealed for.
pub const CLOUD_CREDENTIALS_PURPOSE: &str = "cloud_platform.credentials";

pub struct CloudPlatforms;

/// No `Debug`: `credentials` is a secret in clear until it is sealed.
/// The largest amount a host or VM may state, far above any machine built: bounds that keep
/// every sum over a whole inventory (millions of rows) inside an `i64`.
const MAX_VCPU: i64 = 100_000;
/// 64 TiB.
const MAX_MEMORY_MB: i64 = 64 * 1024 * 1024;
/// 100 PB.
const MAX_DISK_GB: i64 = 100_000_000;

/// The bound of an amount field (`vcpu_total`, `memory_mb_used`, `disk_gb`, ...).
fn largest(field: &str) -> i64 {
    if field.starts_with("vcpu") {
        MAX_VCPU
    } else if field.starts_with("memory_mb") {
        MAX_MEMORY_MB
    } else {
        MAX_DISK_GB
    }
}

#[derive(Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloudPlatformFields {
    pub data_center_id: Option<i64>,
    /// Instead of `data_center_id` (imports).
    pub data_center_code: Option<String>,
    /// Unique within the data center.
    pub name: Option<String>,
    /// `openstack`, `vmware`, `kubernetes` or `simulated`.
    pub kind: Option<String>,
    pub endpoint: Option<String>,
    /// Any JSON object the platform's adapter reads (user, password, project); `null`
    /// removes it. Stored sealed, never returned.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>)]
    pub credentials: Option<Option<Value>>,
    /// 30 to 86400, default 300.
    pub sync_interval_secs: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CloudPlatformView {
    pub id: i64,
    pub data_center_id: i64,
    pub name: String,
    pub kind: String,
    pub endpoint: String,
    /// Whether credentials are stored (they are never shown).
    pub has_credentials: bool,
    pub sync_interval_secs: i32,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct CloudPlatformFilter {
    pub data_center_id: Option<i64>,
    pub kind: Option<String>,
}

impl InventoryObject for CloudPlatforms {
    type Entity = cloud_platform::Entity;
    type Fields = CloudPlatformFields;
    type View = CloudPlatformView;
    type Filter = CloudPlatformFilter;
    const KIND: &'static str = "cloud_platform";
    const WHAT: &'static str = "cloud platform";

    fn id(model: &ModelOf<Self>) -> i64 {
        model.id
    }

    fn id_column() -> cloud_platform::Column {
        cloud_platform::Column::Id
    }

    fn view(model: &cloud_platform::Model, _sealer: &Sealer) -> CloudPlatformView {
        CloudPlatformView {
            id: model.id,
            data_center_id: model.data_center_id,
            name: model.name.clone(),
            kind: model.kind.clone(),
            endpoint: model.endpoint.clone(),
            has_credentials: model.credentials_sealed.is_some(),
            sync_interval_secs: model.sync_interval_secs,
        }
    }

    async fn build(
        txn: &impl ConnectionTrait,
        fields: CloudPlatformFields,
        existing_opt: Option<&cloud_platform::Model>,
        writer: &Writer<'_>,
    ) -> Result<cloud_platform::ActiveModel, InventoryError> {
        let mut check = Checker::default();
        let data_center_id = references::data_center(
            txn,
            &mut check,
            fields.data_center_id,
            fields.data_center_code.as_deref(),
            existing_opt.map(|m| m.data_center_id),
        )
        .await?;
        let name = check.required("name", fields.name, existing_opt.map(|m| m.name.clone()));
        check.text("name", &name, 200);
        let kind = check.required("kind", fields.kind, existing_opt.map(|m| m.kind.clone()));
        check.one_of("kind", &kind, PLATFORM_KINDS);
        let endpoint = fields
            .endpoint
            .or(existing_opt.map(|m| m.endpoint.clone()))
            .unwrap_or_default();
        if endpoint.chars().count() > 500 {
            check.problem("endpoint", "must be at most 500 characters");
        }
        let sync_interval_secs = fields
            .sync_interval_secs
            .or(existing_opt.map(|m| m.sync_interval_secs))
            .unwrap_or(300);
        if !(30..=86_400).contains(&sync_interval_secs) {
            check.problem("sync_interval_secs", "must be between 30 and 86400");
        }
        if let Some(Some(credentials)) = &fields.credentials {
            if !credentials.is_object() {
                check.problem("credentials", "must be a JSON object");
            }
        }
        check.finish()?;
        let credentials_sealed = match fields.credentials {
            None => existing_opt.and_then(|m| m.credentials_sealed.clone()),
            Some(None) => None,
            Some(Some(credentials)) => Some(
                writer
                    .sealer
                    .seal_json(CLOUD_CREDENTIALS_PURPOSE, &credentials)?,
            ),
        };
        let mut active = match existing_opt {
            Some(existing) => existing.clone().into_active_model(),
            None => <cloud_platform::ActiveModel as Default>::default(),
        };
        active.data_center_id = Set(data_center_id);
        active.name = Set(name);
        active.kind = Set(kind);
        active.endpoint = Set(endpoint);
        active.credentials_sealed = Set(credentials_sealed);
        active.sync_interval_secs = Set(sync_interval_secs);
        Ok(active)
    }

    async fn dependents(txn: &impl ConnectionTrait, id: i64) -> Result<Vec<&'static str>, DbErr> {
        Ok(present_kinds(&[
            (
                "clusters",
                cluster::Entity::find()
                    .filter(cluster::Column::PlatformId.eq(id))
                    .count(txn)
                    .await?,
            ),
            (
                "VMs",
                vm::Entity::find()
                    .filter(vm::Column::PlatformId.eq(id))
                    .count(txn)
                    .await?,
            ),
        ]))
    }

    fn filter(
        mut select: Select<cloud_platform::Entity>,
        filter: &CloudPlatformFilter,
        _scope: TenantScope,
    ) -> Select<cloud_platform::Entity> {
        if let Some(data_center_id) = filter.data_center_id {
            select = select.filter(cloud_platform::Column::DataCenterId.eq(data_center_id));
        }
        if let Some(kind) = &filter.kind {
            select = select.filter(cloud_platform::Column::Kind.eq(kind.as_str()));
        }
        select
    }

    async fn find_by_natural_key(
        txn: &impl ConnectionTrait,
        fields: &CloudPlatformFields,
    ) -> Result<Option<cloud_platform::Model>, InventoryError> {
        let data_center_id_opt = references::data_center_id_of(
            txn,
            fields.data_center_id,
            fields.data_center_code.as_deref(),
        )
        .await?;
        match (data_center_id_opt, &fields.name) {
            (Some(data_center_id), Some(name)) => {
                Ok(references::platform_by_name(txn, data_center_id, name).await?)
            }
            _ => Ok(None),
        }
    }
}

pub struct Clusters;

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterFields {
    pub platform_id: Option<i64>,
    /// Instead of `platform_id` (imports): the platform's data center code and name.
    pub data_center_code: Option<String>,
    pub platform: Option<String>,
    /// Unique within the platform.
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub pool_id: Option<Option<i64>>,
    /// Instead of `pool_id` (imports): the pool's name.
    pub pool: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterView {
    pub id: i64,
    pub platform_id: i64,
    pub name: String,
    /// Its hosts are placement candidates only once it is in a pool.
    pub pool_id: Option<i64>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ClusterFilter {
    pub platform_id: Option<i64>,
    pub pool_id: Option<i64>,
}

/// The platform a cluster's fields name: by id, or by data center code and platform name.
async fn platform_of_cluster(
    txn: &impl ConnectionTrait,
    fields: &ClusterFields,
) -> Result<Option<i64>, DbErr> {
    if let (None, Some(code), Some(platform)) = (
        fields.platform_id,
        &fields.data_center_code,
        &fields.platform,
    ) {
        return Ok(match references::data_center_by_code(txn, code).await? {
            Some(data_center) => references::platform_by_name(txn, data_center.id, platform)
                .await?
                .map(|found| found.id),
            None => None,
        });
    }
    Ok(fields.platform_id)
}

impl InventoryObject for Clusters {
    type Entity = cluster::Entity;
    type Fields = ClusterFields;
    type View = ClusterView;
    type Filter = ClusterFilter;
    const KIND: &'static str = "cluster";
    const WHAT: &'static str = "cluster";

    fn id(model: &ModelOf<Self>) -> i64 {
        model.id
    }

    fn id_column() -> cluster::Column {
        cluster::Column::Id
    }

    fn view(model: &cluster::Model, _sealer: &Sealer) -> ClusterView {
        ClusterView {
            id: model.id,
            platform_id: model.platform_id,
            name: model.name.clone(),
            pool_id: model.pool_id,
        }
    }

    async fn build(
        txn: &impl ConnectionTrait,
        fields: ClusterFields,
        existing_opt: Option<&cluster::Model>,
        _writer: &Writer<'_>,
    ) -> Result<cluster::ActiveModel, InventoryError> {
        let mut check = Checker::default();
        let named_platform_opt = platform_of_cluster(txn, &fields).await?;
        let platform_id = if fields.platform_id.is_none() && fields.platform.is_some() {
            named_platform_opt.unwrap_or_else(|| {
                check.problem("platform", "no such cloud platform in that data center");
                0
            })
        } else {
            references::required_id::<cloud_platform::Entity>(
                txn,
                &mut check,
                "platform_id",
                "cloud platform",
                fields.platform_id,
                existing_opt.map(|m| m.platform_id),
            )
            .await?
        };
        let name = check.required("name", fields.name, existing_opt.map(|m| m.name.clone()));
        check.text("name", &name, 200);
        let pool_id = references::pool(
            txn,
            &mut check,
            fields.pool_id,
            fields.pool.as_deref(),
            existing_opt.map(|m| m.pool_id),
        )
        .await?;
        check.finish()?;
        let mut active = match existing_opt {
            Some(existing) => existing.clone().into_active_model(),
            None => <cluster::ActiveModel as Default>::default(),
        };
        active.platform_id = Set(platform_id);
        active.name = Set(name);
        active.pool_id = Set(pool_id);
        Ok(active)
    }

    async fn dependents(txn: &impl ConnectionTrait, id: i64) -> Result<Vec<&'static str>, DbErr> {
        let hosts = host::Entity::find()
            .filter(host::Column::ClusterId.eq(id))
            .count(txn)
            .await?;
        Ok(present_kinds(&[("hosts", hosts)]))
    }

    fn filter(
        mut select: Select<cluster::Entity>,
        filter: &ClusterFilter,
        _scope: TenantScope,
    ) -> Select<cluster::Entity> {
        if let Some(platform_id) = filter.platform_id {
            select = select.filter(cluster::Column::PlatformId.eq(platform_id));
        }
        if let Some(pool_id) = filter.pool_id {
            select = select.filter(cluster::Column::PoolId.eq(pool_id));
        }
        select
    }

    async fn find_by_natural_key(
        txn: &impl ConnectionTrait,
        fields: &ClusterFields,
    ) -> Result<Option<cluster::Model>, InventoryError> {
        let (Some(platform_id), Some(name)) =
            (platform_of_cluster(txn, fields).await?, &fields.name)
        else {
            return Ok(None);
        };
        Ok(cluster::Entity::find()
            .filter(cluster::Column::PlatformId.eq(platform_id))
            .filter(cluster::Column::Name.eq(name.as_str()))
            .one(txn)
            .await?)
    }
}

pub struct Hosts;

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HostFields {
    pub cluster_id: Option<i64>,
    /// The hypervisor hostname; unique within the cluster.
    pub external_id: Option<String>,
    /// Default: the external id.
    pub name: Option<String>,
    pub vcpu_total: Option<i64>,
    pub memory_mb_total: Option<i64>,
    pub disk_gb_total: Option<i64>,
    pub vcpu_used: Option<i64>,
    pub memory_mb_used: Option<i64>,
    pub disk_gb_used: Option<i64>,
    /// `up` (default), `down` or `missing`.
    pub state: Option<String>,
    /// Default true; false cordons it (it keeps its VMs, takes no new ones).
    pub schedulable: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HostView {
    pub id: i64,
    pub cluster_id: i64,
    pub external_id: String,
    pub name: String,
    pub vcpu_total: i64,
    pub memory_mb_total: i64,
    pub disk_gb_total: i64,
    pub vcpu_used: i64,
    pub memory_mb_used: i64,
    pub disk_gb_used: i64,
    pub state: String,
    pub schedulable: bool,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct HostFilter {
    pub cluster_id: Option<i64>,
    pub state: Option<String>,
    pub schedulable: Option<bool>,
}

pub const HOST_STATES: &[&str] = &["up", "down", "missing"];

pub fn host_view(model: &host::Model) -> HostView {
    HostView {
        id: model.id,
        cluster_id: model.cluster_id,
        external_id: model.external_id.clone(),
        name: model.name.clone(),
        vcpu_total: model.vcpu_total,
        memory_mb_total: model.memory_mb_total,
        disk_gb_total: model.disk_gb_total,
        vcpu_used: model.vcpu_used,
        memory_mb_used: model.memory_mb_used,
        disk_gb_used: model.disk_gb_used,
        state: model.state.clone(),
        schedulable: model.schedulable,
    }
}

impl InventoryObject for Hosts {
    type Entity = host::Entity;
    type Fields = HostFields;
    type View = HostView;
    type Filter = HostFilter;
    const KIND: &'static str = "host";
    const WHAT: &'static str = "host";

    fn id(model: &ModelOf<Self>) -> i64 {
        model.id
    }

    fn id_column() -> host::Column {
        host::Column::Id
    }

    fn view(model: &host::Model, _sealer: &Sealer) -> HostView {
        host_view(model)
    }

    async fn build(
        txn: &impl ConnectionTrait,
        fields: HostFields,
        existing_opt: Option<&host::Model>,
        _writer: &Writer<'_>,
    ) -> Result<host::ActiveModel, InventoryError> {
        let mut check = Checker::default();
        let cluster_id = references::required_id::<cluster::Entity>(
            txn,
            &mut check,
            "cluster_id",
            "cluster",
            fields.cluster_id,
            existing_opt.map(|m| m.cluster_id),
        )
        .await?;
        let external_id = check.required(
            "external_id",
            fields.external_id,
            existing_opt.map(|m| m.external_id.clone()),
        );
        check.text("external_id", &external_id, 255);
        let name = fields
            .name
            .or(existing_opt.map(|m| m.name.clone()))
            .unwrap_or_else(|| external_id.clone());
        check.text("name", &name, 255);
        let mut amount = |field: &str, given: Option<i64>, existing: Option<i64>| {
            let value = given.or(existing).unwrap_or(0);
            check.between(field, value, 0, largest(field));
            value
        };
        let vcpu_total = amount(
            "vcpu_total",
            fields.vcpu_total,
            existing_opt.map(|m| m.vcpu_total),
        );
        let memory_mb_total = amount(
            "memory_mb_total",
            fields.memory_mb_total,
            existing_opt.map(|m| m.memory_mb_total),
        );
        let disk_gb_total = amount(
            "disk_gb_total",
            fields.disk_gb_total,
            existing_opt.map(|m| m.disk_gb_total),
        );
        let vcpu_used = amount(
            "vcpu_used",
            fields.vcpu_used,
            existing_opt.map(|m| m.vcpu_used),
        );
        let memory_mb_used = amount(
            "memory_mb_used",
            fields.memory_mb_used,
            existing_opt.map(|m| m.memory_mb_used),
        );
        let disk_gb_used = amount(
            "disk_gb_used",
            fields.disk_gb_used,
            existing_opt.map(|m| m.disk_gb_used),
        );
        let state = fields
            .state
            .or(existing_opt.map(|m| m.state.clone()))
            .unwrap_or_else(|| "up".to_owned());
        check.one_of("state", &state, HOST_STATES);
        let schedulable = fields
            .schedulable
            .or(existing_opt.map(|m| m.schedulable))
            .unwrap_or(true);
        check.finish()?;
        let mut active = match existing_opt {
            Some(existing) => existing.clone().into_active_model(),
            None => <host::ActiveModel as Default>::default(),
        };
        active.cluster_id = Set(cluster_id);
        active.external_id = Set(external_id);
        active.name = Set(name);
        active.vcpu_total = Set(vcpu_total);
        active.memory_mb_total = Set(memory_mb_total);
        active.disk_gb_total = Set(disk_gb_total);
        active.vcpu_used = Set(vcpu_used);
        active.memory_mb_used = Set(memory_mb_used);
        active.disk_gb_used = Set(disk_gb_used);
        active.state = Set(state);
        active.schedulable = Set(schedulable);
        Ok(active)
    }

    async fn dependents(txn: &impl ConnectionTrait, id: i64) -> Result<Vec<&'static str>, DbErr> {
        let vms = vm::Entity::find()
            .filter(vm::Column::HostId.eq(id))
            .count(txn)
            .await?;
        Ok(present_kinds(&[("VMs", vms)]))
    }

    fn filter(
        mut select: Select<host::Entity>,
        filter: &HostFilter,
        _scope: TenantScope,
    ) -> Select<host::Entity> {
        if let Some(cluster_id) = filter.cluster_id {
            select = select.filter(host::Column::ClusterId.eq(cluster_id));
        }
        if let Some(state) = &filter.state {
            select = select.filter(host::Column::State.eq(state.as_str()));
        }
        if let Some(schedulable) = filter.schedulable {
            select = select.filter(host::Column::Schedulable.eq(schedulable));
        }
        select
    }

    async fn find_by_natural_key(
        txn: &impl ConnectionTrait,
        fields: &HostFields,
    ) -> Result<Option<host::Model>, InventoryError> {
        let (Some(cluster_id), Some(external_id)) = (fields.cluster_id, &fields.external_id) else {
            return Ok(None);
        };
        Ok(host::Entity::find()
            .filter(host::Column::ClusterId.eq(cluster_id))
            .filter(host::Column::ExternalId.eq(external_id.as_str()))
            .one(txn)
            .await?)
    }
}

pub struct Vms;

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VmFields {
    pub platform_id: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub host_id: Option<Option<i64>>,
    /// The platform's id for it; unique within the platform.
    pub external_id: Option<String>,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub tenant_id: Option<Option<i64>>,
    pub business_system: Option<String>,
    pub vcpu: Option<i64>,
    pub memory_mb: Option<i64>,
    pub disk_gb: Option<i64>,
    /// As the platform reports it (`active`, `shutoff`, ...); default `active`.
    pub state: Option<String>,
    pub addresses: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VmView {
    pub id: i64,
    pub platform_id: i64,
    pub host_id: Option<i64>,
    pub external_id: String,
    pub name: String,
    pub tenant_id: Option<i64>,
    pub business_system: String,
    pub vcpu: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    pub state: String,
    pub addresses: Vec<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct VmFilter {
    pub platform_id: Option<i64>,
    pub host_id: Option<i64>,
    pub tenant_id: Option<i64>,
    pub business_system: Option<String>,
    pub state: Option<String>,
}

pub fn vm_view(model: &vm::Model) -> VmView {
    VmView {
        id: model.id,
        platform_id: model.platform_id,
        host_id: model.host_id,
        external_id: model.external_id.clone(),
        name: model.name.clone(),
        tenant_id: model.tenant_id,
        business_system: model.business_system.clone(),
        vcpu: model.vcpu,
        memory_mb: model.memory_mb,
        disk_gb: model.disk_gb,
        state: model.state.clone(),
        addresses: serde_json::from_str(&model.addresses).unwrap_or_default(),
    }
}

impl InventoryObject for Vms {
    type Entity = vm::Entity;
    type Fields = VmFields;
    type View = VmView;
    type Filter = VmFilter;
    const KIND: &'static str = "vm";
    const WHAT: &'static str = "VM";

    fn id(model: &ModelOf<Self>) -> i64 {
        model.id
    }

    fn id_column() -> vm::Column {
        vm::Column::Id
    }

    fn view(model: &vm::Model, _sealer: &Sealer) -> VmView {
        vm_view(model)
    }

    async fn build(
        txn: &impl ConnectionTrait,
        fields: VmFields,
        existing_opt: Option<&vm::Model>,
        _writer: &Writer<'_>,
    ) -> Result<vm::ActiveModel, InventoryError> {
        let mut check = Checker::default();
        let platform_id = references::required_id::<cloud_platform::Entity>(
            txn,
            &mut check,
            "platform_id",
            "cloud platform",
            fields.platform_id,
            existing_opt.map(|m| m.platform_id),
        )
        .await?;
        let host_id = references::optional_id::<host::Entity>(
            txn,
            &mut check,
            "host_id",
            "host",
            fields.host_id,
            existing_opt.map(|m| m.host_id),
        )
        .await?;
        let external_id = check.required(
            "external_id",
            fields.external_id,
            existing_opt.map(|m| m.external_id.clone()),
        );
        check.text("external_id", &external_id, 255);
        let name = check.required("name", fields.name, existing_opt.map(|m| m.name.clone()));
        check.text("name", &name, 255);
        let tenant_id = nullable(fields.tenant_id, existing_opt.map(|m| m.tenant_id));
        if let (Some(Some(given)), Some(_)) = (fields.tenant_id, tenant_id) {
            if !references::tenant_exists(txn, given).await? {
                check.problem("tenant_id", format!("no tenant {given}"));
            }
        }
        let business_system = fields
            .business_system
            .or(existing_opt.map(|m| m.business_system.clone()))
            .unwrap_or_default();
        if business_system.chars().count() > 200 {
            check.problem("business_system", "must be at most 200 characters");
        }
        let mut amount = |field: &str, given: Option<i64>, existing: Option<i64>| {
            let value = given.or(existing).unwrap_or(0);
            check.between(field, value, 0, largest(field));
            value
        };
        let vcpu = amount("vcpu", fields.vcpu, existing_opt.map(|m| m.vcpu));
        let memory_mb = amount(
            "memory_mb",
            fields.memory_mb,
            existing_opt.map(|m| m.memory_mb),
        );
        let disk_gb = amount("disk_gb", fields.disk_gb, existing_opt.map(|m| m.disk_gb));
        let state = fields
            .state
            .or(existing_opt.map(|m| m.state.clone()))
            .unwrap_or_else(|| "active".to_owned());
        check.text("state", &state, 32);
        let addresses = match fields.addresses {
            Some(addresses) => {
                if addresses
                    .iter()
                    .any(|address| address.parse::<std::net::IpAddr>().is_err())
                {
                    check.problem("addresses", "must be IP addresses");
                }
                serde_json::to_string(&addresses)
                    .map_err(|error| InventoryError::Internal(error.into()))?
            }
            None => existing_opt
                .map(|m| m.addresses.clone())
                .unwrap_or_else(|| "[]".to_owned()),
        };
        check.finish()?;
        let mut active = match existing_opt {
            Some(existing) => existing.clone().into_active_model(),
            None => <vm::ActiveModel as Default>::default(),
        };
        active.platform_id = Set(platform_id);
        active.host_id = Set(host_id);
        active.external_id = Set(external_id);
        active.name = Set(name);
        active.tenant_id = Set(tenant_id);
        active.business_system = Set(business_system);
        active.vcpu = Set(vcpu);
        active.memory_mb = Set(memory_mb);
        active.disk_gb = Set(disk_gb);
        active.state = Set(state);
        active.addresses = Set(addresses);
        Ok(active)
    }

    async fn dependents(_txn: &impl ConnectionTrait, _id: i64) -> Result<Vec<&'static str>, DbErr> {
        Ok(Vec::new())
    }

    fn filter(
        mut select: Select<vm::Entity>,
        filter: &VmFilter,
        scope: TenantScope,
    ) -> Select<vm::Entity> {
        select = match scope {
            TenantScope::AllTenants => select,
            TenantScope::OneTenant(tenant_id) => select.filter(vm::Column::TenantId.eq(tenant_id)),
            // Nobody's VMs: an impossible id matches none.
            TenantScope::NoTenant => select.filter(vm::Column::Id.lt(0)),
        };
        if let Some(platform_id) = filter.platform_id {
            select = select.filter(vm::Column::PlatformId.eq(platform_id));
        }
        if let Some(host_id) = filter.host_id {
            select = select.filter(vm::Column::HostId.eq(host_id));
        }
        if let Some(tenant_id) = filter.tenant_id {
            select = select.filter(vm::Column::TenantId.eq(tenant_id));
        }
        if let Some(business_system) = &filter.business_system {
            select = select.filter(vm::Column::BusinessSystem.eq(business_system.as_str()));
        }
        if let Some(state) = &filter.state {
            select = select.filter(vm::Column::State.eq(state.as_str()));
        }
        select
    }

    fn visible(model: &vm::Model, scope: TenantScope) -> bool {
        match model.tenant_id {
            Some(tenant_id) => scope.includes(tenant_id),
            None => scope == TenantScope::AllTenants,
        }
    }

    async fn find_by_natural_key(
        txn: &impl ConnectionTrait,
        fields: &VmFields,
    ) -> Result<Option<vm::Model>, InventoryError> {
        let (Some(platform_id), Some(external_id)) = (fields.platform_id, &fields.external_id)
        else {
            return Ok(None);
        };
        Ok(vm::Entity::find()
            .filter(vm::Column::PlatformId.eq(platform_id))
            .filter(vm::Column::ExternalId.eq(external_id.as_str()))
            .one(txn)
            .await?)
    }
}
