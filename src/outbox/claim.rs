//! Claiming an outbox's due rows in one statement: an `UPDATE … WHERE id IN (the due rows,
//! oldest first, up to a batch) RETURNING *` that pushes their next attempt past a lease.
//! The statement commits on its own, so a claim is one round trip, not a transaction of four.
//!
//! On PostgreSQL the subquery locks the rows it picks and skips rows another sender is
//! claiming at that moment (`FOR UPDATE SKIP LOCKED`), so two nodes never claim the same row.
//! SQLite runs the statement under its one write lock, which keeps claims apart by itself.
//!
//! Built with sea-query and run through sea-orm's raw selector because sea-orm's own
//! `exec_with_returning` refuses SQLite without a crate-wide feature that would change every
//! insert.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, Order, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, ModelTrait};

/// The columns a claim reads and moves.
pub struct Outbox<C> {
    pub id: C,
    /// Set once a row is delivered; a row with it set is never claimed.
    pub delivered_at: C,
    pub next_attempt_at: C,
}

/// Claims up to `limit` rows due at `now`, oldest first, until `lease_until`; answers them in
/// id order.
pub async fn claim_due<E>(
    db: &impl ConnectionTrait,
    outbox: Outbox<E::Column>,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: FromQueryResult,
{
    let due = Query::select()
        .column(outbox.id)
        .from(E::default())
        .and_where(outbox.delivered_at.is_null())
        .and_where(outbox.next_attempt_at.lte(now))
        .order_by(outbox.id, Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let claim = Query::update()
        .table(E::default())
        .value(outbox.next_attempt_at, lease_until)
        .and_where(Expr::col(outbox.id).in_subquery(due))
        .returning_all()
        .to_owned();
    let statement = db.get_database_backend().build(&claim);
    let mut claimed = E::find().from_raw_sql(statement).all(db).await?;
    claimed.sort_by_key(|row| order_key::<E>(row, &outbox.id));
    Ok(claimed)
}

/// A row's id, for answering the claim in id order (`RETURNING` promises none).
fn order_key<E: EntityTrait>(row: &E::Model, id: &E::Column) -> i64 {
    match row.get(*id) {
        sea_orm::Value::BigInt(Some(id)) => id,
        sea_orm::Value::Int(Some(id)) => i64::from(id),
        _ => i64::MAX,
    }
}
