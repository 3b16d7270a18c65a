//! The CMDB (配置管理): one inventory of data centers, their rooms and racks, devices with
//! their interfaces and links, cloud platforms with clusters, hosts and VMs, and resource
//! pools; the history of every change; bulk import; cloud sync ingestion; and what placement
//! reads from it. Monitoring reads its plan from here (`monitoring::plan`); the inventory
//! knows nothing of monitoring.
//!
//! # Layout
//! - [`announce`]: `inventory.changed`, told when a write commits.
//! - [`crud`]: what every object shares: get, list, create, update, delete, each write in one
//!   transaction with its [`history`] row; objects plug in through `InventoryObject`.
//! - [`references`]: parents named by id or by natural key.
//! - [`sites`], [`devices`], [`clouds`], [`pools`]: the objects, their fields, validation,
//!   views and filters.
//! - [`import`]: bulk import of JSON or CSV (read by the `csv` crate), all rows or none.
//! - [`sync`]: a cloud platform's changes into hosts and VMs.
//! - [`capacity`]: hosts as placement candidates, with what their VMs and placements hold.
//! - [`credentials`]: a device's SNMP credentials, stored sealed and never printed.
//! - [`records`]: what fulfilled tickets created, by tenant and business system, and the
//!   business systems a caller may see.
//!
//! Leaves to others: HTTP (`routes::inventory`), sealing (`crate::secrets`), placement itself
//! (`yunguan_actors::placement`), talking to clouds (`crate::cloud`) and devices.

pub mod announce;
pub mod capacity;
pub mod clouds;
pub mod credentials;
pub mod crud;
pub mod devices;
pub mod history;
pub mod import;
pub mod pools;
pub mod records;
pub mod references;
pub mod sites;
pub mod sync;

pub use records::{list, InventoryFilter, InventoryRecordView};
