//! Placement in fulfilment: a resource pool says how its hosts take new VMs
//! (`placement_policy`: `spread`, `pack`, `tenant_affinity` or `tenant_anti_affinity`) and
//! whom it serves (`tenant_id`: one department's dedicated pool, or empty for a shared one).
//!
//! `vm_placements` is the ledger of where fulfilment put each VM of a ticket: written when
//! fulfilment starts, in its transaction, so that the next placement counts the capacity
//! before the VM exists; given the VM's cloud id and inventory record once it is made; kept
//! current by a resize; removed when the VM is retired or its fulfilment failed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261126_000003_service_desk::Tickets;
use crate::m20261126_000004_inventory::{Hosts, ResourcePools};
use crate::shapes::{fk, id, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(ResourcePools::Table)
                    .add_column(string_len(Pooling::PlacementPolicy, 24).default("spread"))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ResourcePools::Table)
                    .add_column(big_integer_null(Pooling::TenantId))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(VmPlacements::Table)
                    .col(id(VmPlacements::Id))
                    .col(big_integer(VmPlacements::TicketId))
                    .col(integer(VmPlacements::HostIndex))
                    .col(big_integer(VmPlacements::TenantId))
                    .col(big_integer(VmPlacements::DataCenterId))
                    .col(big_integer(VmPlacements::PoolId))
                    .col(big_integer(VmPlacements::ClusterId))
                    .col(big_integer(VmPlacements::HostId))
                    .col(big_integer(VmPlacements::Vcpu))
                    .col(big_integer(VmPlacements::MemoryMb))
                    .col(big_integer(VmPlacements::DiskGb))
                    .col(string_len_null(VmPlacements::CloudId, 200))
                    .col(big_integer_null(VmPlacements::RecordId))
                    .col(timestamp_with_time_zone(VmPlacements::CreatedAt))
                    .foreign_key(&mut fk(
                        VmPlacements::Table,
                        VmPlacements::TicketId,
                        Tickets::Table,
                        Tickets::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        VmPlacements::Table,
                        VmPlacements::HostId,
                        Hosts::Table,
                        Hosts::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "idx_vm_placements_ticket",
                    VmPlacements::Table,
                    &[VmPlacements::TicketId, VmPlacements::HostIndex],
                )
                .unique()
                .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_vm_placements_host",
                VmPlacements::Table,
                &[VmPlacements::HostId],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_vm_placements_record",
                VmPlacements::Table,
                &[VmPlacements::RecordId],
            ))
            .await?;
        // Capacity asks whether a synced VM stands for a placement, by its cloud id.
        manager
            .create_index(index("idx_vms_external_id", Vms::Table, &[Vms::ExternalId]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_vms_external_id")
                    .table(Vms::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(VmPlacements::Table).to_owned())
            .await?;
        for column in [Pooling::TenantId, Pooling::PlacementPolicy] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ResourcePools::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone)]
enum Vms {
    Table,
    ExternalId,
}

/// The new columns of `resource_pools`.
#[derive(DeriveIden)]
enum Pooling {
    PlacementPolicy,
    TenantId,
}

#[derive(DeriveIden, Clone)]
enum VmPlacements {
    Table,
    Id,
    TicketId,
    HostIndex,
    TenantId,
    DataCenterId,
    PoolId,
    ClusterId,
    HostId,
    Vcpu,
    MemoryMb,
    DiskGb,
    CloudId,
    RecordId,
    CreatedAt,
}
