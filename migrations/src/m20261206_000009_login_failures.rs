//! Failed logins, shared by every node: one row per throttled key (a username at a client
//! address, or an address alone), with how many failures it has had in a row and when the
//! last one was. A login that follows too soon after the last failure is refused; the delay
//! grows with the count (see the server's `identity::throttle`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shapes::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginFailures::Table)
                    .col(string_len(LoginFailures::Key, 200).primary_key())
                    .col(integer(LoginFailures::Failures))
                    .col(timestamp_with_time_zone(LoginFailures::LastFailureAt))
                    .take(),
            )
            .await?;
        // The sweep of rows whose window has passed.
        manager
            .create_index(
                index(
                    "idx_login_failures_last",
                    LoginFailures::Table,
                    &[LoginFailures::LastFailureAt],
                )
                .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginFailures::Table).take())
            .await
    }
}

#[derive(DeriveIden, Clone)]
pub enum LoginFailures {
    Table,
    Key,
    Failures,
    LastFailureAt,
}
