//! The CMDB (配置管理): data centers with their machine rooms and racks; devices with their
//! interfaces and the links between them; cloud platforms with their clusters, hosts and VMs;
//! resource pools; and the history of every change to any of them.
//!
//! Parents are never deleted under their children (`RESTRICT`), except a device's
//! interfaces, which belong to it and go with it. Natural keys are unique so that bulk
//! imports can be repeated: a data center's code, a device's name within its data center, a
//! host's external id within its cluster, a VM's external id within its platform.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261126_000001_identity::{Tenants, Users};

use crate::shapes::{fk, id, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};

        manager
            .create_table(
                Table::create()
                    .table(DataCenters::Table)
                    .col(id(DataCenters::Id))
                    .col(string_len_uniq(DataCenters::Code, 64))
                    .col(string_len(DataCenters::Name, 200))
                    .col(string_len(DataCenters::Region, 200))
                    .col(text(DataCenters::Address))
                    .col(timestamp_with_time_zone(DataCenters::CreatedAt))
                    .col(timestamp_with_time_zone(DataCenters::UpdatedAt))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ResourcePools::Table)
                    .col(id(ResourcePools::Id))
                    .col(string_len_uniq(ResourcePools::Name, 200))
                    .col(string_len(ResourcePools::Kind, 16))
                    .col(big_integer_null(ResourcePools::DataCenterId))
                    .col(double(ResourcePools::CpuOvercommit))
                    .col(double(ResourcePools::MemoryOvercommit))
                    .col(double(ResourcePools::DiskOvercommit))
                    .foreign_key(&mut fk(
                        ResourcePools::Table,
                        ResourcePools::DataCenterId,
                        DataCenters::Table,
                        DataCenters::Id,
                        Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_resource_pools_data_center",
                ResourcePools::Table,
                &[ResourcePools::DataCenterId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MachineRooms::Table)
                    .col(id(MachineRooms::Id))
                    .col(big_integer(MachineRooms::DataCenterId))
                    .col(string_len(MachineRooms::Name, 200))
                    .col(integer(MachineRooms::Floor))
                    .foreign_key(&mut fk(
                        MachineRooms::Table,
                        MachineRooms::DataCenterId,
                        DataCenters::Table,
                        DataCenters::Id,
                        Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "uq_machine_rooms_name",
                    MachineRooms::Table,
                    &[MachineRooms::DataCenterId, MachineRooms::Name],
                )
                .unique()
                .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Racks::Table)
                    .col(id(Racks::Id))
                    .col(big_integer(Racks::RoomId))
                    .col(string_len(Racks::Name, 200))
                    .col(integer(Racks::HeightU))
                    .foreign_key(&mut fk(
                        Racks::Table,
                        Racks::RoomId,
                        MachineRooms::Table,
                        MachineRooms::Id,
                        Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("uq_racks_name", Racks::Table, &[Racks::RoomId, Racks::Name])
                    .unique()
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Devices::Table)
                    .col(id(Devices::Id))
                    .col(big_integer(Devices::DataCenterId))
                    .col(big_integer_null(Devices::RackId))
                    .col(string_len(Devices::Name, 200))
                    .col(string_len(Devices::Kind, 32))
                    .col(string_len(Devices::Vendor, 200))
                    .col(string_len(Devices::Model, 200))
                    .col(string_len(Devices::Tier, 16))
                    .col(string_len(Devices::ManagementAddress, 64))
                    .col(text_null(Devices::SnmpCredentialsSealed))
                    .col(integer(Devices::PollIntervalSecs).default(60))
                    .col(big_integer_null(Devices::PoolId))
                    .col(timestamp_with_time_zone(Devices::CreatedAt))
                    .col(timestamp_with_time_zone(Devices::UpdatedAt))
                    .foreign_key(&mut fk(
                        Devices::Table,
                        Devices::DataCenterId,
                        DataCenters::Table,
                        DataCenters::Id,
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        Devices::Table,
                        Devices::RackId,
                        Racks::Table,
                        Racks::Id,
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        Devices::Table,
                        Devices::PoolId,
                        ResourcePools::Table,
                        ResourcePools::Id,
                        Restrict,
                    ))
                    .take(),
            )
            .await?;
        // Also the index of devices by data center.
        manager
            .create_index(
                index(
                    "uq_devices_name",
                    Devices::Table,
                    &[Devices::DataCenterId, Devices::Name],
                )
                .unique()
                .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_devices_rack",
                Devices::Table,
                &[Devices::RackId],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_devices_pool",
                Devices::Table,
                &[Devices::PoolId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Interfaces::Table)
                    .col(id(Interfaces::Id))
                    .col(big_integer(Interfaces::DeviceId))
                    .col(integer(Interfaces::IfIndex))
                    .col(string_len(Interfaces::Name, 200))
                    .col(big_integer(Interfaces::SpeedBps))
                    .col(text(Interfaces::Description))
                    .foreign_key(&mut fk(
                        Interfaces::Table,
                        Interfaces::DeviceId,
                        Devices::Table,
                        Devices::Id,
                        Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "uq_interfaces_if_index",
                    Interfaces::Table,
                    &[Interfaces::DeviceId, Interfaces::IfIndex],
                )
                .unique()
                .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Links::Table)
                    .col(id(Links::Id))
                    .col(big_integer(Links::AInterfaceId))
                    .col(big_integer(Links::BInterfaceId))
                    .col(big_integer(Links::BandwidthBps))
                    .col(string_len(Links::Name, 200))
                    .foreign_key(&mut fk(
                        Links::Table,
                        Links::AInterfaceId,
                        Interfaces::Table,
                        Interfaces::Id,
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        Links::Table,
                        Links::BInterfaceId,
                        Interfaces::Table,
                        Interfaces::Id,
                        Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_links_a_interface",
                Links::Table,
                &[Links::AInterfaceId],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_links_b_interface",
                Links::Table,
                &[Links::BInterfaceId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CloudPlatforms::Table)
                    .col(id(CloudPlatforms::Id))
                    .col(big_integer(CloudPlatforms::DataCenterId))
                    .col(string_len(CloudPlatforms::Name, 200))
                    .col(string_len(CloudPlatforms::Kind, 16))
                    .col(string_len(CloudPlatforms::Endpoint, 500))
                    .col(text_null(CloudPlatforms::CredentialsSealed))
                    .col(integer(CloudPlatforms::SyncIntervalSecs))
                    .foreign_key(&mut fk(
                        CloudPlatforms::Table,
                        CloudPlatforms::DataCenterId,
                        DataCenters::Table,
                        DataCenters::Id,
                        Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "uq_cloud_platforms_name",
                    CloudPlatforms::Table,
                    &[CloudPlatforms::DataCenterId, CloudPlatforms::Name],
                )
                .unique()
                .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Clusters::Table)
                    .col(id(Clusters::Id))
                    .col(big_integer(Clusters::PlatformId))
                    .col(string_len(Clusters::Name, 200))
                    .col(big_integer_null(Clusters::PoolId))
                    .foreign_key(&mut fk(
                        Clusters::Table,
                        Clusters::PlatformId,
                        CloudPlatforms::Table,
                        CloudPlatforms::Id,
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        Clusters::Table,
                        Clusters::PoolId,
                        ResourcePools::Table,
                        ResourcePools::Id,
                        Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "uq_clusters_name",
                    Clusters::Table,
                    &[Clusters::PlatformId, Clusters::Name],
                )
                .unique()
                .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_clusters_pool",
                Clusters::Table,
                &[Clusters::PoolId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Hosts::Table)
                    .col(id(Hosts::Id))
                    .col(big_integer(Hosts::ClusterId))
                    .col(string_len(Hosts::ExternalId, 255))
                    .col(string_len(Hosts::Name, 255))
                    .col(big_integer(Hosts::VcpuTotal))
                    .col(big_integer(Hosts::MemoryMbTotal))
                    .col(big_integer(Hosts::DiskGbTotal))
                    .col(big_integer(Hosts::VcpuUsed))
                    .col(big_integer(Hosts::MemoryMbUsed))
                    .col(big_integer(Hosts::DiskGbUsed))
                    .col(string_len(Hosts::State, 32))
                    .col(boolean(Hosts::Schedulable))
                    .foreign_key(&mut fk(
                        Hosts::Table,
                        Hosts::ClusterId,
                        Clusters::Table,
                        Clusters::Id,
                        Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "uq_hosts_external_id",
                    Hosts::Table,
                    &[Hosts::ClusterId, Hosts::ExternalId],
                )
                .unique()
                .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Vms::Table)
                    .col(id(Vms::Id))
                    .col(big_integer(Vms::PlatformId))
                    .col(big_integer_null(Vms::HostId))
                    .col(string_len(Vms::ExternalId, 255))
                    .col(string_len(Vms::Name, 255))
                    .col(big_integer_null(Vms::TenantId))
                    .col(string_len(Vms::BusinessSystem, 200))
                    .col(big_integer(Vms::Vcpu))
                    .col(big_integer(Vms::MemoryMb))
                    .col(big_integer(Vms::DiskGb))
                    .col(string_len(Vms::State, 32))
                    .col(text(Vms::Addresses))
                    .foreign_key(&mut fk(
                        Vms::Table,
                        Vms::PlatformId,
                        CloudPlatforms::Table,
                        CloudPlatforms::Id,
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        Vms::Table,
                        Vms::HostId,
                        Hosts::Table,
                        Hosts::Id,
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        Vms::Table,
                        Vms::TenantId,
                        Tenants::Table,
                        Tenants::Id,
                        Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "uq_vms_external_id",
                    Vms::Table,
                    &[Vms::PlatformId, Vms::ExternalId],
                )
                .unique()
                .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_vms_tenant",
                Vms::Table,
                &[Vms::TenantId, Vms::BusinessSystem],
            ))
            .await?;
        manager
            .create_index(index("idx_vms_host", Vms::Table, &[Vms::HostId]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(InventoryChanges::Table)
                    .col(id(InventoryChanges::Id))
                    .col(string_len(InventoryChanges::ObjectKind, 32))
                    .col(big_integer(InventoryChanges::ObjectId))
                    .col(string_len(InventoryChanges::Action, 16))
                    .col(string_len(InventoryChanges::ActorKind, 16))
                    .col(big_integer_null(InventoryChanges::ActorUserId))
                    .col(string_len(InventoryChanges::ActorName, 200))
                    .col(text_null(InventoryChanges::Before))
                    .col(text_null(InventoryChanges::After))
                    .col(timestamp_with_time_zone(InventoryChanges::At))
                    .foreign_key(&mut fk(
                        InventoryChanges::Table,
                        InventoryChanges::ActorUserId,
                        Users::Table,
                        Users::Id,
                        Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_inventory_changes_object",
                InventoryChanges::Table,
                &[
                    InventoryChanges::ObjectKind,
                    InventoryChanges::ObjectId,
                    InventoryChanges::Id,
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            InventoryChanges::Table.into_iden(),
            Vms::Table.into_iden(),
            Hosts::Table.into_iden(),
            Clusters::Table.into_iden(),
            CloudPlatforms::Table.into_iden(),
            Links::Table.into_iden(),
            Interfaces::Table.into_iden(),
            Devices::Table.into_iden(),
            Racks::Table.into_iden(),
            MachineRooms::Table.into_iden(),
            ResourcePools::Table.into_iden(),
            DataCenters::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone)]
enum DataCenters {
    Table,
    Id,
    Code,
    Name,
    Region,
    Address,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum MachineRooms {
    Table,
    Id,
    DataCenterId,
    Name,
    Floor,
}

#[derive(DeriveIden, Clone)]
enum Racks {
    Table,
    Id,
    RoomId,
    Name,
    HeightU,
}

#[derive(DeriveIden, Clone)]
enum Devices {
    Table,
    Id,
    DataCenterId,
    RackId,
    Name,
    Kind,
    Vendor,
    Model,
    Tier,
    ManagementAddress,
    SnmpCredentialsSealed,
    PollIntervalSecs,
    PoolId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum Interfaces {
    Table,
    Id,
    DeviceId,
    IfIndex,
    Name,
    SpeedBps,
    Description,
}

#[derive(DeriveIden, Clone)]
enum Links {
    Table,
    Id,
    AInterfaceId,
    BInterfaceId,
    BandwidthBps,
    Name,
}

#[derive(DeriveIden, Clone)]
enum CloudPlatforms {
    Table,
    Id,
    DataCenterId,
    Name,
    Kind,
    Endpoint,
    CredentialsSealed,
    SyncIntervalSecs,
}

#[derive(DeriveIden, Clone)]
enum Clusters {
    Table,
    Id,
    PlatformId,
    Name,
    PoolId,
}

#[derive(DeriveIden, Clone)]
pub(crate) enum Hosts {
    Table,
    Id,
    ClusterId,
    ExternalId,
    Name,
    VcpuTotal,
    MemoryMbTotal,
    DiskGbTotal,
    VcpuUsed,
    MemoryMbUsed,
    DiskGbUsed,
    State,
    Schedulable,
}

#[derive(DeriveIden, Clone)]
enum Vms {
    Table,
    Id,
    PlatformId,
    HostId,
    ExternalId,
    Name,
    TenantId,
    BusinessSystem,
    Vcpu,
    MemoryMb,
    DiskGb,
    State,
    Addresses,
}

#[derive(DeriveIden, Clone)]
pub(crate) enum ResourcePools {
    Table,
    Id,
    Name,
    Kind,
    DataCenterId,
    CpuOvercommit,
    MemoryOvercommit,
    DiskOvercommit,
}

#[derive(DeriveIden, Clone)]
enum InventoryChanges {
    Table,
    Id,
    ObjectKind,
    ObjectId,
    Action,
    ActorKind,
    ActorUserId,
    ActorName,
    Before,
    After,
    At,
}
