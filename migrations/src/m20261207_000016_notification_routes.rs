//! Notification routing: a channel that carries alarms may take only those of some data
//! centers (`data_center_ids`) or some kinds of device (`device_kinds`), besides its least
//! severity and its rules; both JSON arrays, null for all.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261206_000011_notification_channels::NotificationChannels;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Routes::DataCenterIds, Routes::DeviceKinds] {
            manager
                .alter_table(
                    Table::alter()
                        .table(NotificationChannels::Table)
                        .add_column(text_null(column))
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Routes::DeviceKinds, Routes::DataCenterIds] {
            manager
                .alter_table(
                    Table::alter()
                        .table(NotificationChannels::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}

/// The new columns of `notification_channels`.
#[derive(DeriveIden)]
enum Routes {
    DataCenterIds,
    DeviceKinds,
}
