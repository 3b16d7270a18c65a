//! The `data_centers` table: one site, known by a short unique code.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_centers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The natural key imports match on.
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub region: String,
    #[sea_orm(column_type = "Text")]
    pub address: String,
    /// LLDP's link proposals in this data center are accepted as they are made.
    pub lldp_auto_accept: bool,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
