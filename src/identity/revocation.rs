//! Ending every session of an account inside another change's transaction (a disabled or
//! deleted account, a new password, a role from sign-on that changed, a revoked display key).
//! The caller announces the ended sessions (`SessionStore::announce_ended`) once it commits,
//! so that their sockets close.
//!
//! Its own module so that the account changes that end sessions and the session store that
//! signs people in through those changes need not import each other.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use crate::db::entities::{session, ws_ticket};

/// Revokes every live session of `user_id` in the caller's transaction, and its WebSocket
/// tickets; answers the sessions' ids.
pub async fn end_sessions_of(
    txn: &impl ConnectionTrait,
    user_id: i64,
    at: DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    let live: Vec<i64> = session::Entity::find()
        .select_only()
        .column(session::Column::Id)
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .into_tuple()
        .all(txn)
        .await?;
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(at))
        .filter(session::Column::Id.is_in(live.clone()))
        .exec(txn)
        .await?;
    ws_ticket::Entity::delete_many()
        .filter(ws_ticket::Column::SessionId.is_in(live.clone()))
        .exec(txn)
        .await?;
    Ok(live)
}
