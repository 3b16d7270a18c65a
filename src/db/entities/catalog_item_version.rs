//! The `catalog_item_versions` table: one immutable revision of a catalog item.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "catalog_item_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub item_id: i64,
    pub version: i32,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// `catalog::form::FormSchema` as JSON.
    #[sea_orm(column_type = "Text")]
    pub form: String,
    /// `ApprovalChain` as JSON.
    #[sea_orm(column_type = "Text")]
    pub chain: String,
    /// `catalog::kinds::Fulfilment` as JSON.
    #[sea_orm(column_type = "Text")]
    pub fulfilment: String,
    /// Empty for the standard catalog seeded at install.
    pub created_by: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
