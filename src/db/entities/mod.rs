//! sea-orm table mappings, one module per table. These are storage types: handlers convert
//! them to wire types in `routes`, never serialize them directly.

pub mod alarm;
pub mod alarm_rule;
pub mod announcement;
pub mod audit_record;
pub mod catalog_item;
pub mod catalog_item_version;
pub mod cloud_platform;
pub mod cluster;
pub mod data_center;
pub mod delegation;
pub mod device;
pub mod display_key;
pub mod host;
pub mod idempotency_key;
pub mod interface;
pub mod inventory_change;
pub mod inventory_record;
pub mod link;
pub mod login_failure;
pub mod machine_room;
pub mod mail_outbox;
pub mod manual_task;
pub mod metric_rollup;
pub mod quota_reservation;
pub mod rack;
pub mod resource_pool;
pub mod session;
pub mod tenant;
pub mod tenant_quota;
pub mod ticket;
pub mod ticket_approval;
pub mod ticket_event;
pub mod user;
pub mod vm;
pub mod ws_ticket;
