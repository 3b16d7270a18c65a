//! What a device says it is: `devices.serial_number` and `devices.firmware` (empty until
//! known), filled by polls from ENTITY-MIB's chassis (with `model`) or entered by hand.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [Devices::SerialNumber, Devices::Firmware] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Devices::Table)
                        .add_column(string_len(column, 200).default("").take())
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Devices::Firmware, Devices::SerialNumber] {
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
    SerialNumber,
    Firmware,
}
