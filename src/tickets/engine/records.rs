//! What fulfilment leaves in the inventory, in the unit's transaction: a record per host it
//! made (with where it was placed), a change or retirement of the host it named (giving back
//! the quota it no longer holds), and a firewall opening's rule.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{json, Map, Value};
use yunguan_actors::quota::Resources;

use super::unit::Unit;
use super::Engine;
use crate::catalog::kinds::ItemKind;
use crate::db::entities::inventory_record;
use crate::fulfilment::provider::HostSize;
use crate::fulfilment::{InventoryChange, MadeHost};
use crate::placement::{self, Placed};
use crate::quotas;
use crate::tickets::TicketError;

/// What every record of one ticket's hosts shares.
struct Context<'a> {
    form: &'a Map<String, Value>,
    public_ips: i64,
    placed: &'a [Placed],
}

impl Engine {
    /// Records what fulfilment made or changed; answers the inventory record ids.
    pub(super) async fn apply_inventory(
        &self,
        unit: &Unit,
        changes: &[InventoryChange],
    ) -> Result<Vec<i64>, TicketError> {
        let form = super::system::form_of(&unit.loaded)?;
        let public_ips = i64::from(
            form.get("public_ip")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        );
        let adds_hosts = changes
            .iter()
            .any(|change| matches!(change, InventoryChange::AddHost(_)));
        let placed = if adds_hosts {
            placement::of_ticket(&unit.txn, unit.loaded.row.id).await?
        } else {
            Vec::new()
        };
        let context = Context {
            form: &form,
            public_ips,
            placed: &placed,
        };
        let mut record_ids = Vec::with_capacity(changes.len());
        for change in changes {
            let changed_opt = match change {
                InventoryChange::AddHost(made) => Some(add_host(unit, made, &context).await?),
                InventoryChange::ResizeHost { record_id, size } => {
                    change_host(unit, *record_id, *size, false).await?
                }
                InventoryChange::RetireHost { record_id, size } => {
                    change_host(unit, *record_id, *size, true).await?
                }
            };
            record_ids.extend(changed_opt);
        }
        let row = &unit.loaded.row;
        let item = self
            .versions
            .get(&unit.txn, row.item_id, row.item_version)
            .await?;
        if item.kind == ItemKind::FirewallOpen {
            // A firewall opening leaves a rule on record, tied to the business system.
            let attributes = Value::Object(form.clone());
            let name = format!("fw-t{}", row.id);
            record_ids.push(new_record(unit, "firewall_rule", name, attributes).await?);
        }
        Ok(record_ids)
    }
}

/// A record of a host the provider made, saying where it runs; its placement learns it.
async fn add_host(unit: &Unit, made: &MadeHost, context: &Context<'_>) -> Result<i64, TicketError> {
    let placement_opt = context
        .placed
        .iter()
        .find(|placed| placed.host_index == made.host_index)
        .map(|placed| {
            json!({
                "data_center_id": placed.data_center_id,
                "pool_id": placed.pool_id,
                "cluster_id": placed.cluster_id,
                "host_id": placed.host_id,
                "host": made.runs_on_opt.as_ref().unwrap_or(&placed.host),
            })
        });
    let form = context.form;
    let attributes = json!({
        "cloud_id": made.cloud_id,
        "address": made.address,
        "size": held_by(made.size, context.public_ips),
        "image": form.get("image"),
        "network": form.get("network"),
        "lease_end": form.get("lease_end"),
        "placement": placement_opt,
    });
    let record_id = new_record(unit, "cloud_host", made.name.clone(), attributes).await?;
    let ticket_id = unit.loaded.row.id;
    placement::made(
        &unit.txn,
        ticket_id,
        made.host_index,
        &made.cloud_id,
        record_id,
    )
    .await?;
    Ok(record_id)
}

/// An active record of the ticket's tenant and business system; answers its id.
async fn new_record(
    unit: &Unit,
    kind: &str,
    name: String,
    attributes: Value,
) -> Result<i64, TicketError> {
    let row = &unit.loaded.row;
    let record = inventory_record::ActiveModel {
        tenant_id: Set(row.tenant_id),
        ticket_id: Set(Some(row.id)),
        business_system: Set(row.business_system.clone()),
        kind: Set(kind.to_owned()),
        name: Set(name),
        attributes: Set(attributes.to_string()),
        state: Set("active".to_owned()),
        created_at: Set(unit.now),
        updated_at: Set(unit.now),
        ..Default::default()
    }
    .insert(&unit.txn)
    .await?;
    Ok(record.id)
}

/// A host of the tenant resized to `size`, or retired; answers its record id, or `None`
/// when it is gone or no longer active.
async fn change_host(
    unit: &Unit,
    record_id: i64,
    size: HostSize,
    retire: bool,
) -> Result<Option<i64>, TicketError> {
    let (txn, tenant_id) = (&unit.txn, unit.loaded.row.tenant_id);
    let Some(record) = inventory_record::Entity::find_by_id(record_id)
        .filter(inventory_record::Column::TenantId.eq(tenant_id))
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    let mut attributes: Value =
        serde_json::from_str(&record.attributes).unwrap_or_else(|_| json!({}));
    let previous: Resources =
        serde_json::from_value(attributes["size"].clone()).unwrap_or_default();
    let now_held = held_by(size, previous.public_ips);
    attributes["size"] = serde_json::to_value(now_held).unwrap_or_default();
    let mut update = inventory_record::Entity::update_many()
        .col_expr(
            inventory_record::Column::Attributes,
            Expr::value(attributes.to_string()),
        )
        .col_expr(inventory_record::Column::UpdatedAt, Expr::value(unit.now));
    if retire {
        update = update.col_expr(inventory_record::Column::State, Expr::value("retired"));
    }
    // Only an active host changes: a second decommission (or a change racing one) finds it
    // retired and gives nothing back twice.
    let changed = update
        .filter(inventory_record::Column::Id.eq(record.id))
        .filter(inventory_record::Column::State.eq("active"))
        .exec(txn)
        .await?
        .rows_affected;
    if changed == 0 {
        return Ok(None);
    }
    // Retiring gives back all the host held (and its room on its host); shrinking, what it
    // no longer holds.
    let freed = if retire {
        placement::retired(txn, record.id).await?;
        previous
    } else {
        placement::resized(txn, record.id, size).await?;
        previous.minus(now_held)
    };
    if !freed.is_zero() {
        quotas::give_back(txn, tenant_id, freed, unit.now).await?;
    }
    Ok(Some(record.id))
}

/// What a host of this size holds of its tenant's quota.
pub(super) fn held_by(size: HostSize, public_ips: i64) -> Resources {
    Resources {
        vcpu: size.vcpu,
        memory_gb: size.memory_gb,
        storage_gb: size.disk_gb,
        hosts: 1,
        public_ips,
    }
}
