//! Alarms that outlive a restart: the engine is rebuilt from the open alarms, and an alarm
//! escalated to the managers says when (`escalated_at`), so that a restart neither forgets an
//! escalation's clock nor mails the managers twice.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261126_000005_monitoring::Alarms;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alarms::Table)
                    .add_column(timestamp_with_time_zone_null(Escalation::EscalatedAt))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alarms::Table)
                    .drop_column(Escalation::EscalatedAt)
                    .take(),
            )
            .await
    }
}

/// The new column of `alarms`.
#[derive(DeriveIden)]
enum Escalation {
    EscalatedAt,
}
