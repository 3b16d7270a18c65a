//! Display keys: how a command-center wall logs in without a password. A bureau admin names a
//! key; the key is shown once and stored only as its SHA-256. Each key has its own account of
//! role `display` (no password, hidden from the user list), so that the wall's sessions,
//! sockets and audit records are those of an ordinary principal that may read the screen's
//! aggregates and nothing else. Revoking a key disables its account and ends its sessions:
//! the wall's socket closes at once on this node, and within the periodic session check on
//! the others.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    SqlErr,
};
use serde::Serialize;
use std::net::IpAddr;
use utoipa::ToSchema;

use super::revocation;
use super::sessions::{Login, SessionStore};
use super::IdentityError;
use super::{token, Role};
use crate::audit::{self, AuditActor, AuditEntry};
use crate::db::entities::{display_key, user};

/// A display key as listed: never the key itself.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DisplayKeyView {
    pub id: i64,
    pub name: String,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    /// When a wall last logged in with it.
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new key: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedDisplayKey {
    #[serde(flatten)]
    pub display_key: DisplayKeyView,
    /// Open `/screen?key=<key>` on the wall once; it keeps its session from then on.
    pub key: String,
}

fn view(model: &display_key::Model) -> DisplayKeyView {
    DisplayKeyView {
        id: model.id,
        name: model.name.clone(),
        created_by: model.created_by,
        created_at: model.created_at,
        last_used_at: model.last_used_at,
        revoked_at: model.revoked_at,
    }
}

fn audit_value(key: &DisplayKeyView) -> Result<serde_json::Value, IdentityError> {
    serde_json::to_value(key).map_err(|e| IdentityError::Internal(e.into()))
}

pub async fn list(db: &DatabaseConnection) -> Result<Vec<DisplayKeyView>, IdentityError> {
    Ok(display_key::Entity::find()
        .order_by_desc(display_key::Column::Id)
        .all(db)
        .await?
        .iter()
        .map(view)
        .collect())
}

/// Creates a key named `name` and its display account; audited.
pub async fn create(
    db: &DatabaseConnection,
    actor: &AuditActor,
    created_by: i64,
    name: &str,
    now: DateTime<Utc>,
) -> Result<CreatedDisplayKey, IdentityError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.contains('\0') {
        return Err(IdentityError::Invalid(
            "name must be 1 to 200 characters".to_owned(),
        ));
    }
    let key = token::random_token();
    let key_hash = token::token_hash(&key);
    let txn = crate::db::begin(db).await?;
    let account = user::ActiveModel {
        // Unique without meaning; people know the wall by the key's name.
        username: Set(format!("display-{}", &key_hash[..16])),
        display_name: Set(name.to_owned()),
        email: Set(None),
        // Not a PHC string, so no password ever matches it.
        password_hash: Set("!".to_owned()),
        role: Set(Role::Display.as_str().to_owned()),
        tenant_id: Set(None),
        disabled: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let created = display_key::ActiveModel {
        name: Set(name.to_owned()),
        user_id: Set(account.id),
        key_hash: Set(key_hash),
        created_by: Set(created_by),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|error| match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            IdentityError::Taken(format!("a display key named {name:?} exists"))
        }
        _ => error.into(),
    })?;
    let created = view(&created);
    audit::append(
        &txn,
        AuditEntry {
            actor,
            action: "display_key.created",
            object_type: "display_key",
            object_id: created.id,
            tenant_id_opt: None,
            before_opt: None,
            after_opt: Some(audit_value(&created)?),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedDisplayKey {
        display_key: created,
        key,
    })
}

/// Revokes a key: its account is disabled and its sessions end (their sockets close);
/// audited. Revoking a revoked key changes nothing.
pub async fn revoke(
    db: &DatabaseConnection,
    sessions: &SessionStore,
    actor: &AuditActor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<DisplayKeyView, IdentityError> {
    let txn = crate::db::begin(db).await?;
    let found = display_key::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(IdentityError::NotFound("display key"))?;
    if found.revoked_at.is_some() {
        return Ok(view(&found));
    }
    let before = view(&found);
    let mut active: display_key::ActiveModel = found.clone().into();
    active.revoked_at = Set(Some(now));
    let revoked = view(&active.update(&txn).await?);
    user::ActiveModel {
        id: Set(found.user_id),
        disabled: Set(true),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let ended = revocation::end_sessions_of(&txn, found.user_id, now).await?;
    audit::append(
        &txn,
        AuditEntry {
            actor,
            action: "display_key.revoked",
            object_type: "display_key",
            object_id: id,
            tenant_id_opt: None,
            before_opt: Some(audit_value(&before)?),
            after_opt: Some(audit_value(&revoked)?),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    sessions.announce_ended(ended);
    Ok(revoked)
}

/// A wall's login: a live key opens a session of its account. An unknown or revoked key
/// answers `invalid_credentials`.
pub async fn log_in(
    db: &DatabaseConnection,
    sessions: &SessionStore,
    key: &str,
    client_addr_opt: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<Login, IdentityError> {
    let refused = || IdentityError::UnknownDisplayKey;
    if key.len() > 128 {
        return Err(refused());
    }
    let Some(found) = display_key::Entity::find()
        .filter(display_key::Column::KeyHash.eq(token::token_hash(key)))
        .filter(display_key::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Err(refused());
    };
    let account = user::Entity::find_by_id(found.user_id)
        .one(db)
        .await?
        .filter(|account| !account.disabled)
        .ok_or_else(refused)?;
    let login = sessions.open(&account, client_addr_opt).await?;
    display_key::ActiveModel {
        id: Set(found.id),
        last_used_at: Set(Some(now)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(login)
}
