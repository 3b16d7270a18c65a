//! The `machine_rooms` table: a room of a data center, unique by name within it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "machine_rooms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub data_center_id: i64,
    pub name: String,
    pub floor: i32,
    /// The floor as a grid of rack positions, rows by columns; empty until drawn.
    pub grid_rows: Option<i32>,
    pub grid_columns: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
