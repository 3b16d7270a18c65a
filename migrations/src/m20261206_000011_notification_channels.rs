//! Notification channels: webhooks and DingTalk and WeCom group robots that alarms and
//! approvals are posted to, besides mail.
//!
//! A channel (`notification_channels`) keeps its address and signing secret sealed (both
//! carry credentials: a robot's URL holds its access token) and shows only `endpoint`, the
//! address without its query. It says what it wants: alarms (from a severity on, optionally
//! only some rules; bureau-wide channels only) and approval notices (optionally only those
//! for one role of approver; a tenant's channel only its tenant's). A delivery
//! (`notification_deliveries`) is an outbox row like a mail: written in the transaction of the
//! change it announces, posted and retried by the channel sender.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261126_000001_identity::Tenants;
use crate::shapes::{fk, id, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NotificationChannels::Table)
                    .col(id(NotificationChannels::Id))
                    .col(string_len(NotificationChannels::Name, 100))
                    .col(string_len(NotificationChannels::Kind, 16))
                    .col(string_len(NotificationChannels::Endpoint, 400))
                    .col(text(NotificationChannels::TargetSealed))
                    .col(big_integer_null(NotificationChannels::TenantId))
                    .col(boolean(NotificationChannels::Alarms))
                    .col(string_len(NotificationChannels::MinSeverity, 16))
                    .col(text_null(NotificationChannels::RuleIds))
                    .col(boolean(NotificationChannels::Approvals))
                    .col(string_len_null(NotificationChannels::ApproverRole, 32))
                    .col(string_len(NotificationChannels::Locale, 8))
                    .col(boolean(NotificationChannels::Enabled))
                    .col(timestamp_with_time_zone(NotificationChannels::CreatedAt))
                    .col(timestamp_with_time_zone(NotificationChannels::UpdatedAt))
                    .foreign_key(&mut fk(
                        NotificationChannels::Table,
                        NotificationChannels::TenantId,
                        Tenants::Table,
                        Tenants::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationDeliveries::Table)
                    .col(id(NotificationDeliveries::Id))
                    .col(big_integer(NotificationDeliveries::ChannelId))
                    .col(string_len(NotificationDeliveries::Event, 32))
                    .col(text(NotificationDeliveries::Body))
                    .col(integer(NotificationDeliveries::Attempts))
                    .col(timestamp_with_time_zone(
                        NotificationDeliveries::NextAttemptAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        NotificationDeliveries::DeliveredAt,
                    ))
                    .col(text_null(NotificationDeliveries::LastError))
                    .col(timestamp_with_time_zone(NotificationDeliveries::CreatedAt))
                    .foreign_key(&mut fk(
                        NotificationDeliveries::Table,
                        NotificationDeliveries::ChannelId,
                        NotificationChannels::Table,
                        NotificationChannels::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "idx_notification_deliveries_due",
                    NotificationDeliveries::Table,
                    &[
                        NotificationDeliveries::DeliveredAt,
                        NotificationDeliveries::NextAttemptAt,
                    ],
                )
                .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "idx_notification_deliveries_channel",
                    NotificationDeliveries::Table,
                    &[
                        NotificationDeliveries::ChannelId,
                        NotificationDeliveries::Id,
                    ],
                )
                .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(NotificationDeliveries::Table).take())
            .await?;
        manager
            .drop_table(Table::drop().table(NotificationChannels::Table).take())
            .await
    }
}

#[derive(DeriveIden, Clone)]
pub enum NotificationChannels {
    Table,
    Id,
    Name,
    Kind,
    Endpoint,
    TargetSealed,
    TenantId,
    Alarms,
    MinSeverity,
    RuleIds,
    Approvals,
    ApproverRole,
    Locale,
    Enabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum NotificationDeliveries {
    Table,
    Id,
    ChannelId,
    Event,
    Body,
    Attempts,
    NextAttemptAt,
    DeliveredAt,
    LastError,
    CreatedAt,
}
