//! The `inventory_records` table: what fulfilled tickets created or changed, per tenant and business system.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inventory_records")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    pub ticket_id: Option<i64>,
    pub business_system: String,
    /// `cloud_host`, `firewall_rule`, ...
    pub kind: String,
    pub name: String,
    /// Kind-specific attributes as JSON (a host's size, image, address).
    #[sea_orm(column_type = "Text")]
    pub attributes: String,
    /// `active` or `retired`.
    pub state: String,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
