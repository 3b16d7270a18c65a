//! yunguan's database schema as sea-orm migrations.
//!
//! The same migrations run on SQLite (the embedded default) and PostgreSQL (production), at
//! every start and from `yunguan migrate`. A migration, once released, is never edited: a
//! change is a new migration. The entities that read these tables live in the server crate.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_identity;
mod m20261126_000002_announcements;
mod m20261126_000003_service_desk;
mod m20261126_000004_inventory;
mod m20261126_000005_monitoring;
mod m20261126_000006_rack_units;
mod m20261206_000007_decided_approvals;
mod m20261206_000008_screen;
mod m20261206_000009_login_failures;
mod m20261206_000010_account_administration;
mod m20261206_000011_notification_channels;
mod m20261206_000012_external_accounts;
mod m20261206_000013_placements;
mod m20261207_000014_durable_alarms;
mod m20261207_000015_maintenance_windows;
mod m20261207_000016_notification_routes;
mod m20261207_000017_alarm_mail_routes;
mod m20261207_000018_device_hardware;
mod m20261207_000019_link_proposals;
mod m20261208_000020_vm_metric_rollups;
mod shapes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_identity::Migration),
            Box::new(m20261126_000002_announcements::Migration),
            Box::new(m20261126_000003_service_desk::Migration),
            Box::new(m20261126_000004_inventory::Migration),
            Box::new(m20261126_000005_monitoring::Migration),
            Box::new(m20261126_000006_rack_units::Migration),
            Box::new(m20261206_000007_decided_approvals::Migration),
            Box::new(m20261206_000008_screen::Migration),
            Box::new(m20261206_000009_login_failures::Migration),
            Box::new(m20261206_000010_account_administration::Migration),
            Box::new(m20261206_000011_notification_channels::Migration),
            Box::new(m20261206_000012_external_accounts::Migration),
            Box::new(m20261206_000013_placements::Migration),
            Box::new(m20261207_000014_durable_alarms::Migration),
            Box::new(m20261207_000015_maintenance_windows::Migration),
            Box::new(m20261207_000016_notification_routes::Migration),
            Box::new(m20261207_000017_alarm_mail_routes::Migration),
            Box::new(m20261207_000018_device_hardware::Migration),
            Box::new(m20261207_000019_link_proposals::Migration),
            Box::new(m20261208_000020_vm_metric_rollups::Migration),
        ]
    }
}
