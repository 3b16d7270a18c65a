//! The `devices` table: a server, switch, router, firewall, load balancer or storage array,
//! unique by name within its data center, with its SNMP access sealed at rest.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "devices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub data_center_id: i64,
    pub rack_id: Option<i64>,
    /// The lowest rack unit it occupies in its rack (from 1); empty when not placed.
    pub rack_unit: Option<i32>,
    /// How many rack units it takes, upwards from `rack_unit`.
    pub height_u: i32,
    pub name: String,
    /// `server`, `switch`, `router`, `firewall`, `load_balancer` or `storage_array`.
    pub kind: String,
    pub vendor: String,
    pub model: String,
    /// The chassis's serial number; empty until known (ENTITY-MIB or by hand).
    pub serial_number: String,
    /// The software the device runs (ENTITY-MIB's chassis, or by hand); empty until known.
    pub firmware: String,
    /// The network layer (`core`, `aggregation`, `access`, `host`): the topology is derived
    /// from it.
    pub tier: String,
    /// `ip` or `ip:port` of the SNMP agent (port 161 when absent).
    pub management_address: String,
    /// `Credentials` as JSON, sealed by `crate::secrets` (never sent, never logged).
    #[sea_orm(column_type = "Text", nullable)]
    pub snmp_credentials_sealed: Option<String>,
    pub poll_interval_secs: i32,
    pub pool_id: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
