//! Maintenance windows: a device, a data center or an alarm rule silenced for a period, once
//! or every day or week, with a reason. An alarm raised inside one is recorded as suppressed
//! (`alarms.suppressed_by_window_id`) and told to nobody until the window's occurrence ends
//! (`alarms.suppressed_until`); one still active then is told as if raised at that moment.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261126_000005_monitoring::Alarms;
use crate::shapes::{id, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MaintenanceWindows::Table)
                    .col(id(MaintenanceWindows::Id))
                    .col(string_len(MaintenanceWindows::Name, 100))
                    .col(string_len(MaintenanceWindows::Reason, 500))
                    .col(string_len(MaintenanceWindows::ScopeKind, 16))
                    .col(big_integer(MaintenanceWindows::ScopeId))
                    .col(timestamp_with_time_zone(MaintenanceWindows::StartsAt))
                    .col(timestamp_with_time_zone(MaintenanceWindows::EndsAt))
                    .col(string_len(MaintenanceWindows::Recurrence, 16))
                    .col(timestamp_with_time_zone_null(
                        MaintenanceWindows::RecursUntil,
                    ))
                    .col(timestamp_with_time_zone(MaintenanceWindows::CreatedAt))
                    .col(timestamp_with_time_zone(MaintenanceWindows::UpdatedAt))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "maintenance_windows_scope",
                MaintenanceWindows::Table,
                &[MaintenanceWindows::ScopeKind, MaintenanceWindows::ScopeId],
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alarms::Table)
                    .add_column(big_integer_null(Suppression::SuppressedByWindowId))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alarms::Table)
                    .add_column(timestamp_with_time_zone_null(Suppression::SuppressedUntil))
                    .take(),
            )
            .await?;
        // Looked through every few seconds for alarms whose window has ended.
        manager
            .create_index(
                Index::create()
                    .name("alarms_suppressed_until")
                    .table(Alarms::Table)
                    .col(Suppression::SuppressedUntil)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("alarms_suppressed_until")
                    .table(Alarms::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Suppression::SuppressedUntil,
            Suppression::SuppressedByWindowId,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alarms::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(MaintenanceWindows::Table).take())
            .await
    }
}

#[derive(DeriveIden, Clone)]
pub enum MaintenanceWindows {
    Table,
    Id,
    Name,
    Reason,
    ScopeKind,
    ScopeId,
    StartsAt,
    EndsAt,
    Recurrence,
    RecursUntil,
    CreatedAt,
    UpdatedAt,
}

/// The new columns of `alarms`.
#[derive(DeriveIden)]
enum Suppression {
    SuppressedByWindowId,
    SuppressedUntil,
}
