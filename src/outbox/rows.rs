//! What the senders write to an outbox's rows: claiming a batch of due rows under a lease,
//! and marking delivered ones. Each outbox names its columns once, in an [`Outbox`].
//!
//! A claim is one statement: an `UPDATE … WHERE id IN (the due rows, oldest first, up to a
//! batch) RETURNING *` that pushes their next attempt past the lease. It commits on its own,
//! so a claim is one round trip, not a transaction of four. On PostgreSQL the subquery locks
//! the rows it picks and skips rows another sender is claiming at that moment (`FOR UPDATE
//! SKIP LOCKED`), so two nodes never claim the same row; SQLite runs the statement under its
//! one write lock, which keeps claims apart by itself.
//!
//! The claim is built with sea-query and run through sea-orm's raw selector because sea-orm's
//! own `exec_with_returning` refuses SQLite without a crate-wide feature that would change
//! every insert.

use std::marker::PhantomData;
use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::{Expr, LockBehavior, LockType, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, ModelTrait, QueryFilter,
};

use super::later;

/// An outbox table: the columns a claim reads and moves.
pub struct Outbox<E: EntityTrait> {
    pub id: E::Column,
    /// Set once a row is delivered; a row with it set is never claimed.
    pub delivered_at: E::Column,
    pub next_attempt_at: E::Column,
    pub entity: PhantomData<E>,
}

impl<E> Outbox<E>
where
    E: EntityTrait,
    E::Model: FromQueryResult,
{
    /// Claims up to `limit` rows due now, oldest first, for `lease`; answers them in id
    /// order.
    pub async fn claim_due(
        &self,
        db: &impl ConnectionTrait,
        lease: Duration,
        limit: u64,
    ) -> Result<Vec<E::Model>, DbErr> {
        let now = Utc::now();
        let due = Query::select()
            .column(self.id)
            .from(E::default())
            .and_where(self.delivered_at.is_null())
            .and_where(self.next_attempt_at.lte(now))
            .order_by(self.id, Order::Asc)
            .limit(limit)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .to_owned();
        let claim = Query::update()
            .table(E::default())
            .value(self.next_attempt_at, later(now, lease))
            .and_where(Expr::col(self.id).in_subquery(due))
            .returning_all()
            .to_owned();
        let statement = db.get_database_backend().build(&claim);
        let mut claimed = E::find().from_raw_sql(statement).all(db).await?;
        // `RETURNING` promises no order.
        claimed.sort_by_key(|row| match row.get(self.id) {
            sea_orm::Value::BigInt(Some(id)) => id,
            _ => i64::MAX,
        });
        Ok(claimed)
    }

    /// Marks these rows delivered, now, in one statement.
    pub async fn mark_delivered(
        &self,
        db: &impl ConnectionTrait,
        ids: &[i64],
    ) -> Result<(), DbErr> {
        if ids.is_empty() {
            return Ok(());
        }
        E::update_many()
            .col_expr(self.delivered_at, Expr::value(Utc::now()))
            .filter(self.id.is_in(ids.iter().copied()))
            .exec(db)
            .await?;
        Ok(())
    }
}
