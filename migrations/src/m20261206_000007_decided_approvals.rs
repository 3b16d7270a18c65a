//! Who decided what: an index on `ticket_approvals(decided_by, decided_at)` for a person's
//! decided approvals, latest first (the inbox's 我已处理), which otherwise read the table whole.

use sea_orm_migration::prelude::*;

use crate::shapes::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "idx_ticket_approvals_decided_by";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                NAME,
                TicketApprovals::Table,
                &[TicketApprovals::DecidedBy, TicketApprovals::DecidedAt],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(NAME)
                    .table(TicketApprovals::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone)]
enum TicketApprovals {
    Table,
    DecidedBy,
    DecidedAt,
}
