//! Announcements (公告): a notice from the bureau to everyone or to one tenant.

use sea_orm_migration::prelude::*;

use crate::m20261126_000001_identity::{Tenants, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Announcements::Table)
                    .col(
                        ColumnDef::new(Announcements::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Announcements::Title)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Announcements::Body).text().not_null())
                    .col(ColumnDef::new(Announcements::TenantId).big_integer().null())
                    .col(
                        ColumnDef::new(Announcements::AuthorId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Announcements::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Announcements::Table, Announcements::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Announcements::Table, Announcements::AuthorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_announcements_tenant")
                    .table(Announcements::Table)
                    .col(Announcements::TenantId)
                    .col(Announcements::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Announcements::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Announcements {
    Table,
    Id,
    Title,
    Body,
    TenantId,
    AuthorId,
    CreatedAt,
}
