//! The service desk: catalog items and their versions, tickets with their approvals and
//! timeline, delegations, tenant quotas and reservations, manual tasks, the inventory records
//! a fulfilled ticket leaves, idempotency keys, the mail outbox and the hash-chained audit log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261126_000001_identity::{Tenants, Users};

use crate::shapes::{fk, id, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict};

        manager
            .create_table(
                Table::create()
                    .table(CatalogItems::Table)
                    .col(id(CatalogItems::Id))
                    .col(string_len_uniq(CatalogItems::Code, 64))
                    .col(string_len(CatalogItems::Kind, 32))
                    .col(integer(CatalogItems::CurrentVersion))
                    .col(timestamp_with_time_zone_null(CatalogItems::RetiredAt))
                    .col(timestamp_with_time_zone(CatalogItems::CreatedAt))
                    .col(timestamp_with_time_zone(CatalogItems::UpdatedAt))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CatalogItemVersions::Table)
                    .col(id(CatalogItemVersions::Id))
                    .col(big_integer(CatalogItemVersions::ItemId))
                    .col(integer(CatalogItemVersions::Version))
                    .col(string_len(CatalogItemVersions::Name, 200))
                    .col(text(CatalogItemVersions::Description))
                    .col(text(CatalogItemVersions::Form))
                    .col(text(CatalogItemVersions::Chain))
                    .col(text(CatalogItemVersions::Fulfilment))
                    .col(big_integer_null(CatalogItemVersions::CreatedBy))
                    .col(timestamp_with_time_zone(CatalogItemVersions::CreatedAt))
                    .foreign_key(&mut fk(
                        CatalogItemVersions::Table,
                        CatalogItemVersions::ItemId,
                        CatalogItems::Table,
                        CatalogItems::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        CatalogItemVersions::Table,
                        CatalogItemVersions::CreatedBy,
                        Users::Table,
                        Users::Id,
                        Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "uq_catalog_item_versions",
                    CatalogItemVersions::Table,
                    &[CatalogItemVersions::ItemId, CatalogItemVersions::Version],
                )
                .unique()
                .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tickets::Table)
                    .col(id(Tickets::Id))
                    .col(big_integer(Tickets::TenantId))
                    .col(big_integer(Tickets::RequesterId))
                    .col(big_integer(Tickets::ItemId))
                    .col(integer(Tickets::ItemVersion))
                    .col(string_len(Tickets::Title, 200))
                    .col(string_len(Tickets::BusinessSystem, 200))
                    .col(text(Tickets::Form))
                    .col(text(Tickets::Facts))
                    .col(string_len(Tickets::State, 32))
                    .col(integer(Tickets::Round))
                    .col(text(Tickets::Levels))
                    .col(integer_null(Tickets::LevelIndex))
                    .col(timestamp_with_time_zone_null(Tickets::LevelOpenedAt))
                    .col(timestamp_with_time_zone_null(Tickets::RemindedAt))
                    .col(timestamp_with_time_zone_null(Tickets::EscalatedAt))
                    .col(big_integer(Tickets::Version))
                    .col(text_null(Tickets::Reason))
                    .col(small_integer_null(Tickets::Rating))
                    .col(text_null(Tickets::RatingComment))
                    .col(timestamp_with_time_zone(Tickets::CreatedAt))
                    .col(timestamp_with_time_zone(Tickets::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Tickets::ClosedAt))
                    .foreign_key(&mut fk(
                        Tickets::Table,
                        Tickets::TenantId,
                        Tenants::Table,
                        Tenants::Id,
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        Tickets::Table,
                        Tickets::RequesterId,
                        Users::Table,
                        Users::Id,
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        Tickets::Table,
                        Tickets::ItemId,
                        CatalogItems::Table,
                        CatalogItems::Id,
                        Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_tickets_tenant",
                Tickets::Table,
                &[Tickets::TenantId, Tickets::Id],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_tickets_state",
                Tickets::Table,
                &[Tickets::State],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TicketApprovals::Table)
                    .col(id(TicketApprovals::Id))
                    .col(big_integer(TicketApprovals::TicketId))
                    .col(integer(TicketApprovals::Round))
                    .col(integer(TicketApprovals::LevelIndex))
                    .col(big_integer(TicketApprovals::ApproverId))
                    .col(string_len(TicketApprovals::Decision, 16))
                    .col(big_integer_null(TicketApprovals::DecidedBy))
                    .col(text_null(TicketApprovals::Comment))
                    .col(timestamp_with_time_zone(TicketApprovals::OpenedAt))
                    .col(timestamp_with_time_zone_null(TicketApprovals::DecidedAt))
                    .foreign_key(&mut fk(
                        TicketApprovals::Table,
                        TicketApprovals::TicketId,
                        Tickets::Table,
                        Tickets::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        TicketApprovals::Table,
                        TicketApprovals::ApproverId,
                        Users::Table,
                        Users::Id,
                        Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_ticket_approvals_approver",
                TicketApprovals::Table,
                &[TicketApprovals::ApproverId, TicketApprovals::Decision],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_ticket_approvals_ticket",
                TicketApprovals::Table,
                &[TicketApprovals::TicketId, TicketApprovals::Round],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TicketEvents::Table)
                    .col(id(TicketEvents::Id))
                    .col(big_integer(TicketEvents::TicketId))
                    .col(timestamp_with_time_zone(TicketEvents::At))
                    .col(big_integer_null(TicketEvents::ActorId))
                    .col(string_len(TicketEvents::Kind, 48))
                    .col(string_len_null(TicketEvents::FromState, 32))
                    .col(string_len_null(TicketEvents::ToState, 32))
                    .col(text(TicketEvents::Detail))
                    .foreign_key(&mut fk(
                        TicketEvents::Table,
                        TicketEvents::TicketId,
                        Tickets::Table,
                        Tickets::Id,
                        Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_ticket_events_ticket",
                TicketEvents::Table,
                &[TicketEvents::TicketId, TicketEvents::Id],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Delegations::Table)
                    .col(id(Delegations::Id))
                    .col(big_integer(Delegations::DelegatorId))
                    .col(big_integer(Delegations::DelegateId))
                    .col(timestamp_with_time_zone(Delegations::StartsAt))
                    .col(timestamp_with_time_zone(Delegations::EndsAt))
                    .col(timestamp_with_time_zone(Delegations::CreatedAt))
                    .col(timestamp_with_time_zone_null(Delegations::RevokedAt))
                    .foreign_key(&mut fk(
                        Delegations::Table,
                        Delegations::DelegatorId,
                        Users::Table,
                        Users::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Delegations::Table,
                        Delegations::DelegateId,
                        Users::Table,
                        Users::Id,
                        Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_delegations_delegator",
                Delegations::Table,
                &[Delegations::DelegatorId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(id(IdempotencyKeys::Id))
                    .col(big_integer(IdempotencyKeys::UserId))
                    .col(string_len(IdempotencyKeys::Key, 200))
                    .col(string_len(IdempotencyKeys::Fingerprint, 64))
                    .col(small_integer(IdempotencyKeys::Status))
                    .col(text(IdempotencyKeys::Body))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "uq_idempotency_keys",
                    IdempotencyKeys::Table,
                    &[IdempotencyKeys::UserId, IdempotencyKeys::Key],
                )
                .unique()
                .take(),
            )
            .await?;

        let mut quotas = Table::create();
        quotas
            .table(TenantQuotas::Table)
            .col(big_integer(TenantQuotas::TenantId).primary_key().take());
        for column in [
            TenantQuotas::VcpuLimit,
            TenantQuotas::MemoryGbLimit,
            TenantQuotas::StorageGbLimit,
            TenantQuotas::HostsLimit,
            TenantQuotas::PublicIpsLimit,
            TenantQuotas::VcpuHeld,
            TenantQuotas::MemoryGbHeld,
            TenantQuotas::StorageGbHeld,
            TenantQuotas::HostsHeld,
            TenantQuotas::PublicIpsHeld,
        ] {
            quotas.col(big_integer(column));
        }
        quotas
            .col(timestamp_with_time_zone(TenantQuotas::UpdatedAt))
            .foreign_key(&mut fk(
                TenantQuotas::Table,
                TenantQuotas::TenantId,
                Tenants::Table,
                Tenants::Id,
                Cascade,
            ));
        manager.create_table(quotas.take()).await?;

        let mut reservations = Table::create();
        reservations
            .table(QuotaReservations::Table)
            .col(
                big_integer(QuotaReservations::TicketId)
                    .primary_key()
                    .take(),
            )
            .col(big_integer(QuotaReservations::TenantId));
        for column in [
            QuotaReservations::Vcpu,
            QuotaReservations::MemoryGb,
            QuotaReservations::StorageGb,
            QuotaReservations::Hosts,
            QuotaReservations::PublicIps,
        ] {
            reservations.col(big_integer(column));
        }
        reservations
            .col(string_len(QuotaReservations::State, 16))
            .col(timestamp_with_time_zone(QuotaReservations::CreatedAt))
            .col(timestamp_with_time_zone(QuotaReservations::UpdatedAt))
            .foreign_key(&mut fk(
                QuotaReservations::Table,
                QuotaReservations::TicketId,
                Tickets::Table,
                Tickets::Id,
                Cascade,
            ))
            .foreign_key(&mut fk(
                QuotaReservations::Table,
                QuotaReservations::TenantId,
                Tenants::Table,
                Tenants::Id,
                Cascade,
            ));
        manager.create_table(reservations.take()).await?;

        manager
            .create_table(
                Table::create()
                    .table(ManualTasks::Table)
                    .col(id(ManualTasks::Id))
                    .col(big_integer(ManualTasks::TicketId))
                    .col(string_len(ManualTasks::Title, 200))
                    .col(string_len(ManualTasks::AssigneeRole, 32))
                    .col(big_integer_null(ManualTasks::AssigneeId))
                    .col(string_len(ManualTasks::State, 16))
                    .col(timestamp_with_time_zone(ManualTasks::DueAt))
                    .col(text_null(ManualTasks::Note))
                    .col(big_integer_null(ManualTasks::CompletedBy))
                    .col(timestamp_with_time_zone(ManualTasks::CreatedAt))
                    .col(timestamp_with_time_zone_null(ManualTasks::CompletedAt))
                    .foreign_key(&mut fk(
                        ManualTasks::Table,
                        ManualTasks::TicketId,
                        Tickets::Table,
                        Tickets::Id,
                        Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_manual_tasks_ticket",
                ManualTasks::Table,
                &[ManualTasks::TicketId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(InventoryRecords::Table)
                    .col(id(InventoryRecords::Id))
                    .col(big_integer(InventoryRecords::TenantId))
                    .col(big_integer_null(InventoryRecords::TicketId))
                    .col(string_len(InventoryRecords::BusinessSystem, 200))
                    .col(string_len(InventoryRecords::Kind, 32))
                    .col(string_len(InventoryRecords::Name, 200))
                    .col(text(InventoryRecords::Attributes))
                    .col(string_len(InventoryRecords::State, 16))
                    .col(timestamp_with_time_zone(InventoryRecords::CreatedAt))
                    .col(timestamp_with_time_zone(InventoryRecords::UpdatedAt))
                    .foreign_key(&mut fk(
                        InventoryRecords::Table,
                        InventoryRecords::TenantId,
                        Tenants::Table,
                        Tenants::Id,
                        Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_inventory_records_tenant",
                InventoryRecords::Table,
                &[InventoryRecords::TenantId, InventoryRecords::Id],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MailOutbox::Table)
                    .col(id(MailOutbox::Id))
                    .col(string_len(MailOutbox::Recipient, 320))
                    .col(string_len(MailOutbox::Subject, 400))
                    .col(text(MailOutbox::Body))
                    .col(string_len(MailOutbox::Template, 48))
                    .col(big_integer_null(MailOutbox::TicketId))
                    .col(integer(MailOutbox::Attempts))
                    .col(timestamp_with_time_zone(MailOutbox::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(MailOutbox::SentAt))
                    .col(text_null(MailOutbox::LastError))
                    .col(timestamp_with_time_zone(MailOutbox::CreatedAt))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_mail_outbox_due",
                MailOutbox::Table,
                &[MailOutbox::SentAt, MailOutbox::NextAttemptAt],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(id(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(big_integer_null(AuditLog::ActorId))
                    .col(string_len_null(AuditLog::ActorAddress, 64))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_len(AuditLog::ObjectType, 32))
                    .col(big_integer(AuditLog::ObjectId))
                    .col(big_integer_null(AuditLog::TenantId))
                    .col(text_null(AuditLog::Before))
                    .col(text_null(AuditLog::After))
                    .col(string_len(AuditLog::PrevHash, 64))
                    .col(string_len(AuditLog::Hash, 64))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_audit_log_object",
                AuditLog::Table,
                &[AuditLog::ObjectType, AuditLog::ObjectId],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditLog::Table.into_iden(),
            MailOutbox::Table.into_iden(),
            InventoryRecords::Table.into_iden(),
            ManualTasks::Table.into_iden(),
            QuotaReservations::Table.into_iden(),
            TenantQuotas::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            Delegations::Table.into_iden(),
            TicketEvents::Table.into_iden(),
            TicketApprovals::Table.into_iden(),
            Tickets::Table.into_iden(),
            CatalogItemVersions::Table.into_iden(),
            CatalogItems::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone)]
enum CatalogItems {
    Table,
    Id,
    Code,
    Kind,
    CurrentVersion,
    RetiredAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum CatalogItemVersions {
    Table,
    Id,
    ItemId,
    Version,
    Name,
    Description,
    Form,
    Chain,
    Fulfilment,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
pub(crate) enum Tickets {
    Table,
    Id,
    TenantId,
    RequesterId,
    ItemId,
    ItemVersion,
    Title,
    BusinessSystem,
    Form,
    Facts,
    State,
    Round,
    Levels,
    LevelIndex,
    LevelOpenedAt,
    RemindedAt,
    EscalatedAt,
    Version,
    Reason,
    Rating,
    RatingComment,
    CreatedAt,
    UpdatedAt,
    ClosedAt,
}

#[derive(DeriveIden, Clone)]
enum TicketApprovals {
    Table,
    Id,
    TicketId,
    Round,
    LevelIndex,
    ApproverId,
    Decision,
    DecidedBy,
    Comment,
    OpenedAt,
    DecidedAt,
}

#[derive(DeriveIden, Clone)]
enum TicketEvents {
    Table,
    Id,
    TicketId,
    At,
    ActorId,
    Kind,
    FromState,
    ToState,
    Detail,
}

#[derive(DeriveIden, Clone)]
enum Delegations {
    Table,
    Id,
    DelegatorId,
    DelegateId,
    StartsAt,
    EndsAt,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone)]
enum IdempotencyKeys {
    Table,
    Id,
    UserId,
    Key,
    Fingerprint,
    Status,
    Body,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum TenantQuotas {
    Table,
    TenantId,
    VcpuLimit,
    MemoryGbLimit,
    StorageGbLimit,
    HostsLimit,
    PublicIpsLimit,
    VcpuHeld,
    MemoryGbHeld,
    StorageGbHeld,
    HostsHeld,
    PublicIpsHeld,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum QuotaReservations {
    Table,
    TicketId,
    TenantId,
    Vcpu,
    MemoryGb,
    StorageGb,
    Hosts,
    PublicIps,
    State,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum ManualTasks {
    Table,
    Id,
    TicketId,
    Title,
    AssigneeRole,
    AssigneeId,
    State,
    DueAt,
    Note,
    CompletedBy,
    CreatedAt,
    CompletedAt,
}

#[derive(DeriveIden, Clone)]
enum InventoryRecords {
    Table,
    Id,
    TenantId,
    TicketId,
    BusinessSystem,
    Kind,
    Name,
    Attributes,
    State,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum MailOutbox {
    Table,
    Id,
    Recipient,
    Subject,
    Body,
    Template,
    TicketId,
    Attempts,
    NextAttemptAt,
    SentAt,
    LastError,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorId,
    ActorAddress,
    Action,
    ObjectType,
    ObjectId,
    TenantId,
    Before,
    After,
    PrevHash,
    Hash,
}
