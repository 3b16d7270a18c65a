//! What the command-center wall needs: where racks stand in their room, how large a room is,
//! and display keys.
//!
//! A machine room's floor is a grid of rack positions, `grid_rows` by `grid_columns` (empty
//! until someone draws the room). A rack stands at `grid_row`, `grid_column` (from 1; empty
//! when not placed) with its front to `facing` (`north`, `south`, `east` or `west`). Two racks
//! of one room never share a position: the server checks that on write, and a unique index
//! holds it.
//!
//! A display key (`display_keys`) lets a wall log in without a password: each key has its own
//! account of role `display`, which may only read the screen's aggregates.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261126_000001_identity::Users;
use crate::shapes::{fk, id, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [
            integer_null(MachineRooms::GridRows),
            integer_null(MachineRooms::GridColumns),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(MachineRooms::Table)
                        .add_column(column)
                        .take(),
                )
                .await?;
        }
        for column in [
            integer_null(Racks::GridRow),
            integer_null(Racks::GridColumn),
            string_len(Racks::Facing, 8).default("south").take(),
        ] {
            manager
                .alter_table(Table::alter().table(Racks::Table).add_column(column).take())
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(DisplayKeys::Table)
                    .col(id(DisplayKeys::Id))
                    .col(string_len(DisplayKeys::Name, 200).unique_key())
                    .col(big_integer(DisplayKeys::UserId).unique_key())
                    .col(string_len(DisplayKeys::KeyHash, 64).unique_key())
                    .col(big_integer(DisplayKeys::CreatedBy))
                    .col(timestamp_with_time_zone(DisplayKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(DisplayKeys::LastUsedAt))
                    .col(timestamp_with_time_zone_null(DisplayKeys::RevokedAt))
                    .foreign_key(&mut fk(
                        DisplayKeys::Table,
                        DisplayKeys::UserId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        DisplayKeys::Table,
                        DisplayKeys::CreatedBy,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "idx_racks_room_grid",
                    Racks::Table,
                    &[Racks::RoomId, Racks::GridRow, Racks::GridColumn],
                )
                .unique()
                .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DisplayKeys::Table).take())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_racks_room_grid")
                    .table(Racks::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Racks::Facing, Racks::GridColumn, Racks::GridRow] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Racks::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        for column in [MachineRooms::GridColumns, MachineRooms::GridRows] {
            manager
                .alter_table(
                    Table::alter()
                        .table(MachineRooms::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum MachineRooms {
    Table,
    GridRows,
    GridColumns,
}

#[derive(DeriveIden, Clone)]
enum Racks {
    Table,
    RoomId,
    GridRow,
    GridColumn,
    Facing,
}

#[derive(DeriveIden)]
enum DisplayKeys {
    Table,
    Id,
    Name,
    UserId,
    KeyHash,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}
