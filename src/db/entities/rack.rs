//! The `racks` table: a rack of a machine room, unique by name within it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "racks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub room_id: i64,
    pub name: String,
    /// Usable height in rack units.
    pub height_u: i32,
    /// Where it stands on its room's grid (from 1); empty when not placed.
    pub grid_row: Option<i32>,
    pub grid_column: Option<i32>,
    /// Which way its front faces: `north`, `south`, `east` or `west`.
    pub facing: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
