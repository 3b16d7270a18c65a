//! Where a device sits in its rack: `devices.rack_unit`, the lowest rack unit it occupies
//! (from 1; empty when it has no place yet), and `devices.height_u`, how many units it takes
//! (1 by default). Two devices of one rack never overlap; the server checks that on write.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [
            integer_null(Devices::RackUnit),
            integer(Devices::HeightU).default(1).take(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Devices::Table)
                        .add_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Devices::HeightU, Devices::RackUnit] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Devices::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    RackUnit,
    HeightU,
}
