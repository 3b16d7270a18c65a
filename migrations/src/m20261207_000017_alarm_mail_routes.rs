//! Who of the bureau is mailed which alarms: one row per person who chose, replacing the
//! default of their role (admins and operators: raised alarms of major or worse; admins and
//! managers: escalations). `raised_min_severity` null mails no raised alarm;
//! `data_center_ids` and `device_kinds` are JSON arrays, null for all.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261126_000001_identity::Users;
use crate::shapes::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AlarmMailRoutes::Table)
                    .col(big_integer(AlarmMailRoutes::UserId).primary_key())
                    .col(string_len_null(AlarmMailRoutes::RaisedMinSeverity, 16))
                    .col(boolean(AlarmMailRoutes::Escalations))
                    .col(text_null(AlarmMailRoutes::DataCenterIds))
                    .col(text_null(AlarmMailRoutes::DeviceKinds))
                    .col(timestamp_with_time_zone(AlarmMailRoutes::UpdatedAt))
                    .foreign_key(&mut fk(
                        AlarmMailRoutes::Table,
                        AlarmMailRoutes::UserId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AlarmMailRoutes::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AlarmMailRoutes {
    Table,
    UserId,
    RaisedMinSeverity,
    Escalations,
    DataCenterIds,
    DeviceKinds,
    UpdatedAt,
}
