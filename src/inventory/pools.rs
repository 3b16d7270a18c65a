//! Resource pools: compute, network or storage capacity grouped for scheduling, with the
//! overcommit ratios placement applies to the hosts of their clusters.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    Select, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yunguan_actors::placement::{Overcommit, Policy};

use super::crud::{
    present, present_kinds, Checker, InventoryError, InventoryObject, ModelOf, Writer,
};
use super::references;
use crate::db::entities::{cluster, data_center, device, resource_pool, tenant};
use crate::secrets::Sealer;
use crate::tenancy::TenantScope;

pub const POOL_KINDS: &[&str] = &["compute", "network", "storage"];

/// How a pool's hosts take new VMs, by the name a pool stores.
pub const PLACEMENT_POLICIES: &[(&str, Policy)] = &[
    ("spread", Policy::Spread),
    ("pack", Policy::Pack),
    ("tenant_affinity", Policy::TenantAffinity),
    ("tenant_anti_affinity", Policy::TenantAntiAffinity),
];

/// The policy a pool names; a name this version does not know spreads.
pub fn placement_policy(name: &str) -> Policy {
    PLACEMENT_POLICIES
        .iter()
        .find(|(known, _)| *known == name)
        .map_or(Policy::Spread, |(_, policy)| *policy)
}

pub struct ResourcePools;

/// The largest overcommit ratio a pool may have: far beyond any real one (CPU is rarely
/// overcommitted past 16), and small enough that capacities times it stay finite sums.
const MAX_OVERCOMMIT: f64 = 100.0;

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourcePoolFields {
    /// Unique; what imports match on.
    pub name: Option<String>,
    /// `compute`, `network` or `storage`.
    pub kind: Option<String>,
    /// Empty for a pool across data centers.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub data_center_id: Option<Option<i64>>,
    /// Instead of `data_center_id` (imports).
    pub data_center_code: Option<String>,
    /// Default 1 (no overcommit); above zero.
    pub cpu_overcommit: Option<f64>,
    pub memory_overcommit: Option<f64>,
    pub disk_overcommit: Option<f64>,
    /// How its hosts take new VMs: `spread` (default: the least loaded host), `pack` (the
    /// most loaded that fits), `tenant_affinity` (hosts already running the tenant's VMs
    /// first) or `tenant_anti_affinity` (never two of a tenant's VMs on one host).
    pub placement_policy: Option<String>,
    /// The tenant a dedicated pool serves; empty for a pool every tenant shares.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub tenant_id: Option<Option<i64>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResourcePoolView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub data_center_id: Option<i64>,
    pub cpu_overcommit: f64,
    pub memory_overcommit: f64,
    pub disk_overcommit: f64,
    pub placement_policy: String,
    pub tenant_id: Option<i64>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ResourcePoolFilter {
    pub kind: Option<String>,
    pub data_center_id: Option<i64>,
    pub tenant_id: Option<i64>,
}

impl InventoryObject for ResourcePools {
    type Entity = resource_pool::Entity;
    type Fields = ResourcePoolFields;
    type View = ResourcePoolView;
    type Filter = ResourcePoolFilter;
    const KIND: &'static str = "resource_pool";
    const WHAT: &'static str = "resource pool";

    fn id(model: &ModelOf<Self>) -> i64 {
        model.id
    }

    fn id_column() -> resource_pool::Column {
        resource_pool::Column::Id
    }

    fn view(model: &resource_pool::Model, _sealer: &Sealer) -> ResourcePoolView {
        ResourcePoolView {
            id: model.id,
            name: model.name.clone(),
            kind: model.kind.clone(),
            data_center_id: model.data_center_id,
            cpu_overcommit: model.cpu_overcommit,
            memory_overcommit: model.memory_overcommit,
            disk_overcommit: model.disk_overcommit,
            placement_policy: model.placement_policy.clone(),
            tenant_id: model.tenant_id,
        }
    }

    async fn build(
        txn: &impl ConnectionTrait,
        fields: ResourcePoolFields,
        existing_opt: Option<&resource_pool::Model>,
        _writer: &Writer<'_>,
    ) -> Result<resource_pool::ActiveModel, InventoryError> {
        let mut check = Checker::default();
        let name = check.required("name", fields.name, existing_opt.map(|m| m.name.clone()));
        check.text("name", &name, 200);
        let kind = check.required("kind", fields.kind, existing_opt.map(|m| m.kind.clone()));
        check.one_of("kind", &kind, POOL_KINDS);
        let data_center_id = match (fields.data_center_id, &fields.data_center_code) {
            (None, Some(code)) => match references::data_center_by_code(txn, code).await? {
                Some(found) => Some(found.id),
                None => {
                    check.problem(
                        "data_center_code",
                        format!("no data center with code {code}"),
                    );
                    None
                }
            },
            (given, _) => {
                references::optional_id::<data_center::Entity>(
                    txn,
                    &mut check,
                    "data_center_id",
                    "data center",
                    given,
                    existing_opt.map(|m| m.data_center_id),
                )
                .await?
            }
        };
        let ratio = |given: Option<f64>, existing: Option<f64>| given.or(existing).unwrap_or(1.0);
        let cpu = ratio(
            fields.cpu_overcommit,
            existing_opt.map(|m| m.cpu_overcommit),
        );
        let memory = ratio(
            fields.memory_overcommit,
            existing_opt.map(|m| m.memory_overcommit),
        );
        let disk = ratio(
            fields.disk_overcommit,
            existing_opt.map(|m| m.disk_overcommit),
        );
        if let Err(invalid) = Overcommit::new(cpu, memory, disk) {
            check.problem(
                &format!("{}_overcommit", invalid.resource),
                "must be a number above zero",
            );
        }
        for (field, ratio) in [
            ("cpu_overcommit", cpu),
            ("memory_overcommit", memory),
            ("disk_overcommit", disk),
        ] {
            if ratio > MAX_OVERCOMMIT {
                check.problem(field, format!("must be at most {MAX_OVERCOMMIT}"));
            }
        }
        let placement_policy = fields
            .placement_policy
            .or_else(|| existing_opt.map(|m| m.placement_policy.clone()))
            .unwrap_or_else(|| "spread".to_owned());
        let policy_names: Vec<&str> = PLACEMENT_POLICIES.iter().map(|(name, _)| *name).collect();
        check.one_of("placement_policy", &placement_policy, &policy_names);
        let tenant_id = references::optional_id::<tenant::Entity>(
            txn,
            &mut check,
            "tenant_id",
            "tenant",
            fields.tenant_id,
            existing_opt.map(|m| m.tenant_id),
        )
        .await?;
        check.finish()?;
        let mut active = match existing_opt {
            Some(existing) => existing.clone().into_active_model(),
            None => <resource_pool::ActiveModel as Default>::default(),
        };
        active.name = Set(name);
        active.kind = Set(kind);
        active.data_center_id = Set(data_center_id);
        active.cpu_overcommit = Set(cpu);
        active.memory_overcommit = Set(memory);
        active.disk_overcommit = Set(disk);
        active.placement_policy = Set(placement_policy);
        active.tenant_id = Set(tenant_id);
        Ok(active)
    }

    async fn dependents(txn: &impl ConnectionTrait, id: i64) -> Result<Vec<&'static str>, DbErr> {
        Ok(present_kinds(&[
            (
                "devices",
                device::Entity::find()
                    .filter(device::Column::PoolId.eq(id))
                    .count(txn)
                    .await?,
            ),
            (
                "clusters",
                cluster::Entity::find()
                    .filter(cluster::Column::PoolId.eq(id))
                    .count(txn)
                    .await?,
            ),
        ]))
    }

    fn filter(
        mut select: Select<resource_pool::Entity>,
        filter: &ResourcePoolFilter,
        _scope: TenantScope,
    ) -> Select<resource_pool::Entity> {
        if let Some(kind) = &filter.kind {
            select = select.filter(resource_pool::Column::Kind.eq(kind.as_str()));
        }
        if let Some(data_center_id) = filter.data_center_id {
            select = select.filter(resource_pool::Column::DataCenterId.eq(data_center_id));
        }
        if let Some(tenant_id) = filter.tenant_id {
            select = select.filter(resource_pool::Column::TenantId.eq(tenant_id));
        }
        select
    }

    async fn find_by_natural_key(
        txn: &impl ConnectionTrait,
        fields: &ResourcePoolFields,
    ) -> Result<Option<resource_pool::Model>, InventoryError> {
        match &fields.name {
            Some(name) => Ok(references::pool_by_name(txn, name).await?),
            None => Ok(None),
        }
    }
}
