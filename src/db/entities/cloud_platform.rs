//! The `cloud_platforms` table: an OpenStack, VMware, Kubernetes or simulated cloud in a data
//! center, with its API credentials sealed at rest.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cloud_platforms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub data_center_id: i64,
    pub name: String,
    /// `openstack`, `vmware`, `kubernetes` or `simulated`.
    pub kind: String,
    pub endpoint: String,
    /// The credentials as JSON, sealed by `crate::secrets` (never sent, never logged).
    #[sea_orm(column_type = "Text", nullable)]
    pub credentials_sealed: Option<String>,
    pub sync_interval_secs: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
