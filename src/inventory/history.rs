//! The history of the CMDB: one `inventory_changes` row per create, update or delete, written
//! in the transaction of the change, with who made it and the object's view before and after
//! (views never carry secrets).

use chrono::{DateTime, Utc};
use sea_orm::DbErr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::db::entities::inventory_change;
use crate::identity::Principal;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeActor {
    User {
        user_id: i64,
        username: String,
    },
    /// A component of yunguan itself: `cloud-sync`, `snmp-poller`.
    System {
        component: &'static str,
    },
}

impl ChangeActor {
    pub fn of(principal: &Principal) -> ChangeActor {
        ChangeActor::User {
            user_id: principal.user_id,
            username: principal.username.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeAction {
    Create,
    Update,
    Delete,
}

impl ChangeAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeAction::Create => "create",
            ChangeAction::Update => "update",
            ChangeAction::Delete => "delete",
        }
    }
}

/// One change to record.
pub struct Change<'a> {
    pub object_kind: &'a str,
    pub object_id: i64,
    pub action: ChangeAction,
    pub before_opt: Option<Value>,
    pub after_opt: Option<Value>,
}

/// Appends `change` inside the caller's transaction.
pub async fn record(
    txn: &impl ConnectionTrait,
    actor: &ChangeActor,
    change: Change<'_>,
    at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    row(actor, change, at).insert(txn).await?;
    Ok(())
}

/// Appends `changes` inside the caller's transaction, in one statement.
pub async fn record_all(
    txn: &impl ConnectionTrait,
    actor: &ChangeActor,
    changes: Vec<Change<'_>>,
    at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    if changes.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = changes
        .into_iter()
        .map(|change| row(actor, change, at))
        .collect();
    inventory_change::Entity::insert_many(rows)
        .exec(txn)
        .await?;
    Ok(())
}

fn row(
    actor: &ChangeActor,
    change: Change<'_>,
    at: DateTime<Utc>,
) -> inventory_change::ActiveModel {
    let (actor_kind, actor_user_id, actor_name) = match actor {
        ChangeActor::User { user_id, username } => ("user", Some(*user_id), username.clone()),
        ChangeActor::System { component } => ("system", None, (*component).to_owned()),
    };
    inventory_change::ActiveModel {
        object_kind: Set(change.object_kind.to_owned()),
        object_id: Set(change.object_id),
        action: Set(change.action.as_str().to_owned()),
        actor_kind: Set(actor_kind.to_owned()),
        actor_user_id: Set(actor_user_id),
        actor_name: Set(actor_name),
        before: Set(change.before_opt.map(|value| value.to_string())),
        after: Set(change.after_opt.map(|value| value.to_string())),
        at: Set(at),
        ..Default::default()
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeView {
    pub id: i64,
    pub object_kind: String,
    pub object_id: i64,
    /// `create`, `update` or `delete`.
    pub action: String,
    /// `user` or `system`.
    pub actor_kind: String,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    pub at: DateTime<Utc>,
}

impl From<inventory_change::Model> for ChangeView {
    fn from(model: inventory_change::Model) -> Self {
        let parse = |text: Option<String>| text.and_then(|text| serde_json::from_str(&text).ok());
        ChangeView {
            id: model.id,
            object_kind: model.object_kind,
            object_id: model.object_id,
            action: model.action,
            actor_kind: model.actor_kind,
            actor_user_id: model.actor_user_id,
            actor_name: model.actor_name,
            before: parse(model.before),
            after: parse(model.after),
            at: model.at,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ChangeFilter {
    pub object_kind_opt: Option<String>,
    pub object_id_opt: Option<i64>,
    pub offset: u64,
    pub limit: u64,
}

/// Changes, newest first.
pub async fn list(db: &DatabaseConnection, filter: ChangeFilter) -> Result<Vec<ChangeView>, DbErr> {
    let mut query = inventory_change::Entity::find();
    if let Some(object_kind) = filter.object_kind_opt {
        query = query.filter(inventory_change::Column::ObjectKind.eq(object_kind));
    }
    if let Some(object_id) = filter.object_id_opt {
        query = query.filter(inventory_change::Column::ObjectId.eq(object_id));
    }
    let rows = query
        .order_by_desc(inventory_change::Column::Id)
        .offset(filter.offset)
        .limit(filter.limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(ChangeView::from).collect())
}
