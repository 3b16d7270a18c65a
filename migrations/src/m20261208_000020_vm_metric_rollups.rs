//! `vm_metric_rollups`: one row per VM and minute holding every series of that VM's minute,
//! the same shape as `metric_rollups` (see `monitoring::rollups`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(VmMetricRollups::Table)
                    .col(big_integer(VmMetricRollups::VmId))
                    .col(timestamp_with_time_zone(VmMetricRollups::Minute))
                    .col(text(VmMetricRollups::Series))
                    .primary_key(
                        Index::create()
                            .col(VmMetricRollups::VmId)
                            .col(VmMetricRollups::Minute),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_vm_metric_rollups_minute")
                    .table(VmMetricRollups::Table)
                    .col(VmMetricRollups::Minute)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(VmMetricRollups::Table).take())
            .await
    }
}

#[derive(DeriveIden)]
enum VmMetricRollups {
    Table,
    VmId,
    Minute,
    Series,
}
