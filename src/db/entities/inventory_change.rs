//! The `inventory_changes` table: the history of the CMDB, one row per create, update or
//! delete of any inventory object, written in the transaction of the change.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inventory_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `data_center`, `device`, `vm`, ...
    pub object_kind: String,
    pub object_id: i64,
    /// `create`, `update` or `delete`.
    pub action: String,
    /// `user` or `system` (cloud sync, the poller).
    pub actor_kind: String,
    pub actor_user_id: Option<i64>,
    /// The username, or the system component's name.
    pub actor_name: String,
    /// The object's view as JSON before and after (secrets never included).
    #[sea_orm(column_type = "Text", nullable)]
    pub before: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub after: Option<String>,
    pub at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
