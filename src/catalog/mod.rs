//! The service catalog (服务目录): items that tenants request, each a kind (`kinds.rs`) with
//! a versioned form (`form.rs`), approval chain (documented by `chain_schema.rs`) and
//! fulfilment.
//!
//! Bureau admins create, revise and retire items; every revision is a new immutable version,
//! and a ticket keeps the version it was submitted under. A new installation starts with the
//! standard catalog (one item per kind). Every change is audited.

pub mod chain_schema;
pub mod form;
pub mod kinds;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set, SqlErr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yunguan_actors::ticket::chain::{ApprovalChain, Approvers};

use crate::audit::{self, AuditActor, AuditEntry};
use crate::db::entities::{catalog_item, catalog_item_version, user};
use crate::identity::Role;
use form::{FieldError, FormSchema};
use kinds::{Fulfilment, ItemKind};

/// A catalog item at one version, as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemView {
    pub id: i64,
    pub code: String,
    pub kind: ItemKind,
    pub version: i32,
    pub name: String,
    pub description: String,
    pub form: FormSchema,
    #[schema(value_type = chain_schema::ApprovalChainSchema)]
    pub chain: ApprovalChain,
    pub fulfilment: Fulfilment,
    /// The facts of a request of this kind that the chain's conditions may compare.
    pub facts: Vec<String>,
    pub retired: bool,
    pub updated_at: DateTime<Utc>,
}

/// The content of a new item or of a revision.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemContent {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub form: FormSchema,
    #[schema(value_type = chain_schema::ApprovalChainSchema)]
    pub chain: ApprovalChain,
    pub fulfilment: Fulfilment,
}

/// A version of an item as tickets use it.
#[derive(Debug)]
pub struct ItemVersion {
    pub item_id: i64,
    pub kind: ItemKind,
    pub version: i32,
    pub name: String,
    pub form: FormSchema,
    pub chain: ApprovalChain,
    pub fulfilment: Fulfilment,
}

fn content_problems(kind: ItemKind, content: &ItemContent) -> Vec<FieldError> {
    let mut problems = Vec::new();
    if content.name.trim().is_empty() || content.name.chars().count() > 200 {
        problems.push(FieldError::new("name", "must be 1 to 200 characters"));
    }
    if content.description.chars().count() > 5000 {
        problems.push(FieldError::new(
            "description",
            "must be at most 5000 characters",
        ));
    }
    problems.extend(kind.form_problems(&content.form));
    let roles: Vec<&str> = Role::ALL.iter().map(|role| role.as_str()).collect();
    problems.extend(
        content
            .chain
            .problems(&roles, kind.fact_names())
            .into_iter()
            .map(|message| FieldError::new("chain", message)),
    );
    problems.extend(kind.fulfilment_problems(&content.fulfilment));
    problems.extend(approver_problems(&content.chain));
    problems
}

/// An item serves every tenant, so its approvers must see only the requester's tenant: tenant
/// roles only of the requester's tenant, no suppliers. (Named users are checked against the
/// directory by [`named_approver_problems`].)
fn approver_problems(chain: &ApprovalChain) -> Vec<FieldError> {
    let mut problems = Vec::new();
    for (index, level) in chain.levels.iter().enumerate() {
        for (field, approvers) in [
            ("approvers", Some(&level.approvers)),
            ("escalate_to", level.escalate_to.as_ref()),
        ] {
            let Some(Approvers::Role {
                role,
                requester_tenant,
            }) = approvers
            else {
                continue;
            };
            let at = format!("levels[{index}].{field}");
            match Role::parse(role) {
                Some(Role::Supplier) => problems.push(FieldError::new(
                    "chain",
                    format!("{at}: suppliers do not approve"),
                )),
                Some(role) if role.is_tenant_role() && !requester_tenant => {
                    problems.push(FieldError::new(
                        "chain",
                        format!("{at}: a tenant role approves only with requester_tenant: true"),
                    ))
                }
                _ => {}
            }
        }
    }
    problems
}

/// Why a catalog read or change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog item not found")]
    NotFound,
    #[error("the catalog item is not valid")]
    Invalid(Vec<FieldError>),
    #[error("catalog item {0:?} exists")]
    CodeTaken(String),
    #[error("a retired item cannot be revised")]
    RetiredNotRevisable,
    /// A new ticket names an item that does not exist.
    #[error("no such catalog item")]
    NotInCatalog,
    /// A new ticket names an item taken out of the catalog.
    #[error("the catalog item is retired")]
    Retired,
    #[error(transparent)]
    Store(#[from] DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Users named as approvers must be enabled bureau staff: a tenant's user would see every
/// tenant's requests through a shared item.
async fn named_approver_problems(
    db: &impl ConnectionTrait,
    chain: &ApprovalChain,
) -> Result<Vec<FieldError>, CatalogError> {
    let mut named: Vec<i64> = Vec::new();
    for level in &chain.levels {
        for approvers in [Some(&level.approvers), level.escalate_to.as_ref()]
            .into_iter()
            .flatten()
        {
            if let Approvers::Users { user_ids } = approvers {
                named.extend(user_ids);
            }
        }
    }
    if named.is_empty() {
        return Ok(Vec::new());
    }
    let staff: Vec<i64> = user::Entity::find()
        .filter(user::Column::Id.is_in(named.clone()))
        .filter(user::Column::Disabled.eq(false))
        .all(db)
        .await?
        .into_iter()
        .filter(|u| Role::parse(&u.role).is_some_and(Role::is_bureau))
        .map(|u| u.id)
        .collect();
    Ok(named
        .into_iter()
        .filter(|id| !staff.contains(id))
        .map(|id| {
            FieldError::new(
                "chain",
                format!("user {id} is not an enabled member of the bureau staff"),
            )
        })
        .collect())
}

fn to_json<T: Serialize>(value: &T) -> Result<String, CatalogError> {
    serde_json::to_string(value).map_err(|e| CatalogError::Internal(e.into()))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, CatalogError> {
    serde_json::from_str(text).map_err(|e| {
        CatalogError::Internal(
            anyhow::Error::new(e).context(format!("stored {what} is unreadable")),
        )
    })
}

fn view(
    item: &catalog_item::Model,
    version: catalog_item_version::Model,
) -> Result<ItemView, CatalogError> {
    let kind = parse_kind(&item.kind)?;
    Ok(ItemView {
        id: item.id,
        code: item.code.clone(),
        kind,
        version: version.version,
        name: version.name,
        description: version.description,
        form: from_json(&version.form, "form")?,
        chain: from_json(&version.chain, "chain")?,
        fulfilment: from_json(&version.fulfilment, "fulfilment")?,
        facts: kind
            .fact_names()
            .iter()
            .map(|&fact| fact.to_owned())
            .collect(),
        retired: item.retired_at.is_some(),
        updated_at: item.updated_at,
    })
}

fn parse_kind(raw: &str) -> Result<ItemKind, CatalogError> {
    ItemKind::parse(raw)
        .ok_or_else(|| CatalogError::Internal(anyhow::anyhow!("unknown item kind {raw:?} stored")))
}

async fn insert_version(
    txn: &impl ConnectionTrait,
    item_id: i64,
    version: i32,
    content: &ItemContent,
    created_by_opt: Option<i64>,
    now: DateTime<Utc>,
) -> Result<catalog_item_version::Model, CatalogError> {
    Ok(catalog_item_version::ActiveModel {
        item_id: Set(item_id),
        version: Set(version),
        name: Set(content.name.trim().to_owned()),
        description: Set(content.description.trim().to_owned()),
        form: Set(to_json(&content.form)?),
        chain: Set(to_json(&content.chain)?),
        fulfilment: Set(to_json(&content.fulfilment)?),
        created_by: Set(created_by_opt),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?)
}

/// Creates an item at version 1.
pub async fn create(
    db: &DatabaseConnection,
    actor: &AuditActor,
    code: &str,
    kind: ItemKind,
    content: ItemContent,
    now: DateTime<Utc>,
) -> Result<ItemView, CatalogError> {
    let mut problems = content_problems(kind, &content);
    let code_ok = !code.is_empty()
        && code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if !code_ok {
        problems.insert(
            0,
            FieldError::new("code", "must be 1 to 64 of a-z, 0-9, '.', '_' and '-'"),
        );
    }
    problems.extend(named_approver_problems(db, &content.chain).await?);
    if !problems.is_empty() {
        return Err(CatalogError::Invalid(problems));
    }
    let txn = crate::db::begin(db).await?;
    if catalog_item::Entity::find()
        .filter(catalog_item::Column::Code.eq(code))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(CatalogError::CodeTaken(code.to_owned()));
    }
    let item = catalog_item::ActiveModel {
        code: Set(code.to_owned()),
        kind: Set(kind.as_str().to_owned()),
        current_version: Set(1),
        retired_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|error| match error.sql_err() {
        // Created at the same moment by another request (or node).
        Some(SqlErr::UniqueConstraintViolation(_)) => CatalogError::CodeTaken(code.to_owned()),
        _ => error.into(),
    })?;
    let version = insert_version(&txn, item.id, 1, &content, actor.user_id_opt, now).await?;
    let created = view(&item, version)?;
    audit::append(
        &txn,
        AuditEntry {
            actor,
            action: "catalog.created",
            object_type: "catalog_item",
            object_id: item.id,
            tenant_id_opt: None,
            before_opt: None,
            after_opt: Some(audit_view(&created)?),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

fn audit_view(item: &ItemView) -> Result<serde_json::Value, CatalogError> {
    serde_json::to_value(item).map_err(|e| CatalogError::Internal(e.into()))
}

/// Adds a version; tickets already submitted keep theirs.
pub async fn revise(
    db: &DatabaseConnection,
    actor: &AuditActor,
    item_id: i64,
    content: ItemContent,
    now: DateTime<Utc>,
) -> Result<ItemView, CatalogError> {
    let txn = crate::db::begin(db).await?;
    let (item, before) = current(&txn, item_id).await?;
    if item.retired_at.is_some() {
        return Err(CatalogError::RetiredNotRevisable);
    }
    let mut problems = content_problems(before.kind, &content);
    problems.extend(named_approver_problems(&txn, &content.chain).await?);
    if !problems.is_empty() {
        return Err(CatalogError::Invalid(problems));
    }
    let next = item.current_version + 1;
    let version = insert_version(&txn, item.id, next, &content, actor.user_id_opt, now).await?;
    let mut active: catalog_item::ActiveModel = item.into();
    active.current_version = Set(next);
    active.updated_at = Set(now);
    let item = active.update(&txn).await?;
    let after = view(&item, version)?;
    audit::append(
        &txn,
        AuditEntry {
            actor,
            action: "catalog.revised",
            object_type: "catalog_item",
            object_id: item.id,
            tenant_id_opt: None,
            before_opt: Some(audit_view(&before)?),
            after_opt: Some(audit_view(&after)?),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Takes an item out of the catalog: no new tickets; open ones carry on.
pub async fn retire(
    db: &DatabaseConnection,
    actor: &AuditActor,
    item_id: i64,
    now: DateTime<Utc>,
) -> Result<ItemView, CatalogError> {
    let txn = crate::db::begin(db).await?;
    let (item, before) = current(&txn, item_id).await?;
    if item.retired_at.is_some() {
        return Ok(before);
    }
    let mut active: catalog_item::ActiveModel = item.into();
    active.retired_at = Set(Some(now));
    active.updated_at = Set(now);
    active.update(&txn).await?;
    let (_, after) = current(&txn, item_id).await?;
    audit::append(
        &txn,
        AuditEntry {
            actor,
            action: "catalog.retired",
            object_type: "catalog_item",
            object_id: item_id,
            tenant_id_opt: None,
            before_opt: Some(audit_view(&before)?),
            after_opt: Some(audit_view(&after)?),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

async fn current(
    db: &impl ConnectionTrait,
    item_id: i64,
) -> Result<(catalog_item::Model, ItemView), CatalogError> {
    let item = catalog_item::Entity::find_by_id(item_id)
        .one(db)
        .await?
        .ok_or(CatalogError::NotFound)?;
    let version = find_version(db, item_id, item.current_version).await?;
    let view = view(&item, version)?;
    Ok((item, view))
}

async fn find_version(
    db: &impl ConnectionTrait,
    item_id: i64,
    version: i32,
) -> Result<catalog_item_version::Model, CatalogError> {
    catalog_item_version::Entity::find()
        .filter(catalog_item_version::Column::ItemId.eq(item_id))
        .filter(catalog_item_version::Column::Version.eq(version))
        .one(db)
        .await?
        .ok_or_else(|| {
            CatalogError::Internal(anyhow::anyhow!(
                "catalog item {item_id} lacks version {version}"
            ))
        })
}

pub async fn get(db: &DatabaseConnection, item_id: i64) -> Result<ItemView, CatalogError> {
    Ok(current(db, item_id).await?.1)
}

/// Every item at its current version, by code; retired ones only when asked.
pub async fn list(
    db: &DatabaseConnection,
    include_retired: bool,
) -> Result<Vec<ItemView>, CatalogError> {
    let mut query = catalog_item::Entity::find().order_by_asc(catalog_item::Column::Code);
    if !include_retired {
        query = query.filter(catalog_item::Column::RetiredAt.is_null());
    }
    let items = query.all(db).await?;
    let mut views = Vec::with_capacity(items.len());
    for item in items {
        let version = find_version(db, item.id, item.current_version).await?;
        views.push(view(&item, version)?);
    }
    Ok(views)
}

/// An item that takes new tickets, or why not.
async fn in_service(
    db: &impl ConnectionTrait,
    item_id: i64,
) -> Result<catalog_item::Model, CatalogError> {
    let item = catalog_item::Entity::find_by_id(item_id)
        .one(db)
        .await?
        .ok_or(CatalogError::NotInCatalog)?;
    if item.retired_at.is_some() {
        return Err(CatalogError::Retired);
    }
    Ok(item)
}

/// A ticket's version of its item, read from the database.
async fn ticket_version(
    db: &impl ConnectionTrait,
    item_id: i64,
    version: i32,
) -> Result<ItemVersion, CatalogError> {
    let item = catalog_item::Entity::find_by_id(item_id)
        .one(db)
        .await?
        .ok_or(CatalogError::NotFound)?;
    item_version(db, &item, version).await
}

async fn item_version(
    db: &impl ConnectionTrait,
    item: &catalog_item::Model,
    version: i32,
) -> Result<ItemVersion, CatalogError> {
    let stored = find_version(db, item.id, version).await?;
    Ok(ItemVersion {
        item_id: item.id,
        kind: parse_kind(&item.kind)?,
        version,
        name: stored.name,
        form: from_json(&stored.form, "form")?,
        chain: from_json(&stored.chain, "chain")?,
        fulfilment: from_json(&stored.fulfilment, "fulfilment")?,
    })
}

/// Item versions as tickets use them, kept once read: a version never changes after it is
/// written (a revision is a new version), so every node may keep the ones it has read.
#[derive(Debug, Clone, Default)]
pub struct VersionCache {
    versions: Arc<Mutex<HashMap<VersionKey, Arc<ItemVersion>>>>,
}

/// An item id and one of its version numbers.
type VersionKey = (i64, i32);

impl VersionCache {
    /// A ticket's version of its item.
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        item_id: i64,
        version: i32,
    ) -> Result<Arc<ItemVersion>, CatalogError> {
        if let Some(found) = self.versions.lock().get(&(item_id, version)) {
            return Ok(found.clone());
        }
        let read = Arc::new(ticket_version(db, item_id, version).await?);
        self.versions
            .lock()
            .insert((item_id, version), read.clone());
        Ok(read)
    }

    /// The version a new ticket is submitted under: the current one of an item in service.
    pub async fn for_new_ticket(
        &self,
        db: &impl ConnectionTrait,
        item_id: i64,
    ) -> Result<Arc<ItemVersion>, CatalogError> {
        let item = in_service(db, item_id).await?;
        self.get(db, item.id, item.current_version).await
    }
}

/// Creates the standard items whose codes are missing (a new installation, or a kind added
/// by an upgrade); items an admin retired or revised are left as they are.
pub async fn ensure_standard(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<(), CatalogError> {
    for kind in ItemKind::ALL {
        let standard = kind.defaults();
        let exists = catalog_item::Entity::find()
            .filter(catalog_item::Column::Code.eq(standard.code))
            .one(db)
            .await?
            .is_some();
        if exists {
            continue;
        }
        let content = ItemContent {
            name: standard.name.to_owned(),
            description: standard.description.to_owned(),
            form: standard.form,
            chain: standard.chain,
            fulfilment: standard.fulfilment,
        };
        match create(db, &AuditActor::system(), standard.code, kind, content, now).await {
            // Another node seeded it at the same moment.
            Err(CatalogError::CodeTaken(_)) => {}
            other => {
                other?;
            }
        }
    }
    Ok(())
}
