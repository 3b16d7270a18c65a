//! Links LLDP proposes: `new` (neighbours LLDP hears between two interfaces the inventory
//! does not link) and `missing` (a link of the inventory that LLDP no longer hears), `open`
//! until an operator accepts or dismisses them (`accepted`, `dismissed`), or until LLDP no
//! longer supports them (`withdrawn`). A dismissed proposal is not made again. A data center
//! with `lldp_auto_accept` has its proposals accepted as they are made.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shapes::{id, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LinkProposals::Table)
                    .col(id(LinkProposals::Id))
                    .col(big_integer(LinkProposals::DataCenterId))
                    .col(string_len(LinkProposals::Kind, 16))
                    .col(string_len(LinkProposals::State, 16))
                    .col(big_integer(LinkProposals::AInterfaceId))
                    .col(big_integer(LinkProposals::BInterfaceId))
                    .col(big_integer_null(LinkProposals::LinkId))
                    .col(big_integer(LinkProposals::SeenByDeviceId))
                    .col(big_integer_null(LinkProposals::DecidedBy))
                    .col(timestamp_with_time_zone_null(LinkProposals::DecidedAt))
                    .col(timestamp_with_time_zone(LinkProposals::CreatedAt))
                    .col(timestamp_with_time_zone(LinkProposals::UpdatedAt))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "link_proposals_ends",
                LinkProposals::Table,
                &[
                    LinkProposals::AInterfaceId,
                    LinkProposals::BInterfaceId,
                    LinkProposals::Kind,
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "link_proposals_data_center",
                LinkProposals::Table,
                &[LinkProposals::DataCenterId, LinkProposals::State],
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(DataCenters::Table)
                    .add_column(boolean(DataCenters::LldpAutoAccept).default(false).take())
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(DataCenters::Table)
                    .drop_column(DataCenters::LldpAutoAccept)
                    .take(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(LinkProposals::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone)]
enum LinkProposals {
    Table,
    Id,
    DataCenterId,
    Kind,
    State,
    AInterfaceId,
    BInterfaceId,
    LinkId,
    SeenByDeviceId,
    DecidedBy,
    DecidedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DataCenters {
    Table,
    LldpAutoAccept,
}
