//! Monitoring: alarm rules (as data, seeded with the defaults at start), alarms with their
//! lifecycle, and one-minute metric rollups (a row per device and minute, its series as JSON). Alarms and rollups name devices by id without a
//! foreign key: they are history, and outlive a device removed from the inventory.

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
                    .table(AlarmRules::Table)
                    .col(big_integer(AlarmRules::Id).primary_key())
                    .col(string_len(AlarmRules::Name, 200))
                    .col(string_len(AlarmRules::Metric, 64))
                    .col(string_len(AlarmRules::Comparison, 16))
                    .col(double(AlarmRules::Threshold))
                    .col(big_integer(AlarmRules::ForSecs))
                    .col(string_len(AlarmRules::Severity, 16))
                    .col(string_len(AlarmRules::ScopeKind, 16))
                    .col(string_len_null(AlarmRules::ScopeValue, 64))
                    .col(boolean(AlarmRules::Enabled))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alarms::Table)
                    .col(big_integer(Alarms::Id).auto_increment().primary_key())
                    .col(big_integer(Alarms::RuleId))
                    .col(string_len(Alarms::RuleName, 200))
                    .col(big_integer(Alarms::DeviceId))
                    .col(string_len(Alarms::DeviceName, 200))
                    .col(big_integer(Alarms::DataCenterId))
                    .col(string_len_null(Alarms::Instance, 64))
                    .col(big_integer(Alarms::Occurrence))
                    .col(string_len(Alarms::Severity, 16))
                    .col(string_len(Alarms::State, 16))
                    .col(boolean(Alarms::Flapping))
                    .col(big_integer_null(Alarms::CausedByDeviceId))
                    .col(double(Alarms::Value))
                    .col(timestamp_with_time_zone(Alarms::RaisedAt))
                    .col(timestamp_with_time_zone_null(Alarms::AcknowledgedAt))
                    .col(big_integer_null(Alarms::AcknowledgedBy))
                    .col(timestamp_with_time_zone_null(Alarms::ClearedAt))
                    .col(big_integer_null(Alarms::ClearedBy))
                    .col(string_len_null(Alarms::ClearReason, 32))
                    .col(timestamp_with_time_zone(Alarms::UpdatedAt))
                    .take(),
            )
            .await?;
        for (name, columns) in [
            ("ix_alarms_state", vec![Alarms::State, Alarms::DataCenterId]),
            ("ix_alarms_device", vec![Alarms::DeviceId, Alarms::RuleId]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Alarms::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.take()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(MetricRollups::Table)
                    .col(big_integer(MetricRollups::DeviceId))
                    .col(timestamp_with_time_zone(MetricRollups::Minute))
                    .col(text(MetricRollups::Series))
                    .primary_key(
                        Index::create()
                            .col(MetricRollups::DeviceId)
                            .col(MetricRollups::Minute),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_metric_rollups_minute")
                    .table(MetricRollups::Table)
                    .col(MetricRollups::Minute)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MetricRollups::Table.into_iden(),
            Alarms::Table.into_iden(),
            AlarmRules::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone)]
enum AlarmRules {
    Table,
    Id,
    Name,
    Metric,
    Comparison,
    Threshold,
    ForSecs,
    Severity,
    ScopeKind,
    ScopeValue,
    Enabled,
}

#[derive(DeriveIden, Clone)]
pub(crate) enum Alarms {
    Table,
    Id,
    RuleId,
    RuleName,
    DeviceId,
    DeviceName,
    DataCenterId,
    Instance,
    Occurrence,
    Severity,
    State,
    Flapping,
    CausedByDeviceId,
    Value,
    RaisedAt,
    AcknowledgedAt,
    AcknowledgedBy,
    ClearedAt,
    ClearedBy,
    ClearReason,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum MetricRollups {
    Table,
    DeviceId,
    Minute,
    Series,
}
