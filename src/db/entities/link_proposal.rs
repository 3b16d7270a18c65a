//! The `link_proposals` table: links LLDP proposes to add (`new`) or to remove (`missing`),
//! open until an operator decides. Read and written by `monitoring::link_proposals`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "link_proposals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub data_center_id: i64,
    /// `new` or `missing`.
    pub kind: String,
    /// `open`, `accepted`, `dismissed` or `withdrawn`.
    pub state: String,
    /// The ends, the lower interface id first.
    pub a_interface_id: i64,
    pub b_interface_id: i64,
    /// The inventory's link, for `missing` (and for `new` once accepted).
    pub link_id: Option<i64>,
    /// The device whose LLDP made (or last confirmed) the proposal.
    pub seen_by_device_id: i64,
    /// Who accepted or dismissed it; none for an automatic acceptance.
    pub decided_by: Option<i64>,
    pub decided_at: Option<ChronoDateTimeUtc>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
