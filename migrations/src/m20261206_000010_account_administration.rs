//! User administration: an account can be deleted while what it did stays readable, and a
//! password can be reset through a one-time link.
//!
//! A deleted account keeps its row (records name people by user id, and the audit trail
//! names them too): `deleted_at` is set, it is disabled, it is listed nowhere and its name
//! is not given again. A password reset (`password_resets`) is a single-use token, stored as
//! its SHA-256, that sets a new password until it expires.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261126_000001_identity::Users;
use crate::shapes::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(DeletedAt::DeletedAt))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PasswordResets::Table)
                    .col(string_len(PasswordResets::TokenHash, 64).primary_key())
                    .col(big_integer(PasswordResets::UserId))
                    .col(big_integer_null(PasswordResets::RequestedBy))
                    .col(timestamp_with_time_zone(PasswordResets::CreatedAt))
                    .col(timestamp_with_time_zone(PasswordResets::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PasswordResets::UsedAt))
                    .foreign_key(&mut fk(
                        PasswordResets::Table,
                        PasswordResets::UserId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "idx_password_resets_user",
                    PasswordResets::Table,
                    &[PasswordResets::UserId],
                )
                .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PasswordResets::Table).take())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(DeletedAt::DeletedAt)
                    .take(),
            )
            .await
    }
}

/// The new column of `users`.
#[derive(DeriveIden)]
enum DeletedAt {
    DeletedAt,
}

#[derive(DeriveIden, Clone)]
enum PasswordResets {
    Table,
    TokenHash,
    UserId,
    RequestedBy,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}
