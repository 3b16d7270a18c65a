//! Accounts from single sign-on: a user signed in through OIDC or LDAP is provisioned on
//! first sign-in and keeps where they come from (`auth_source`: `local`, `oidc` or `ldap`)
//! and who they are there (`external_subject`: the OIDC issuer and subject, or the LDAP
//! entry's DN), so that a renamed user stays the same account and a local account of the same
//! name is never taken over.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261126_000001_identity::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string_len(External::AuthSource, 8).default("local"))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string_len_null(External::ExternalSubject, 500))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_external_subject")
                    .table(Users::Table)
                    .col(External::AuthSource)
                    .col(External::ExternalSubject)
                    .unique()
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_users_external_subject")
                    .table(Users::Table)
                    .to_owned(),
            )
            .await?;
        for column in [External::ExternalSubject, External::AuthSource] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}

/// The new columns of `users`.
#[derive(DeriveIden)]
enum External {
    AuthSource,
    ExternalSubject,
}
