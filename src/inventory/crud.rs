//! The machinery every inventory object shares: get, list, create, update (only the fields
//! sent), delete (refused while others refer to it), each write in one transaction with its
//! history row. Each object says in [`InventoryObject`] how it is validated, viewed, filtered
//! and found by its natural key; this file owns the transactions, the history and the errors.

use std::future::Future;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, PrimaryKeyTrait, QueryOrder, QuerySelect, Select, SqlErr,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::history::{self, Change, ChangeAction, ChangeActor};
use crate::error::FieldError;
use crate::secrets::Sealer;
use crate::tenancy::TenantScope;

pub type ModelOf<O> = <<O as InventoryObject>::Entity as EntityTrait>::Model;
pub type ActiveModelOf<O> = <<O as InventoryObject>::Entity as EntityTrait>::ActiveModel;

/// What a write needs besides the database: the key for credentials, who writes, and when.
pub struct Writer<'a> {
    pub sealer: &'a Sealer,
    pub actor: &'a ChangeActor,
    pub now: DateTime<Utc>,
}

/// One kind of inventory object (data center, device, VM, ...).
pub trait InventoryObject {
    type Entity: EntityTrait;
    /// The fields a create, an update or an import row sends, all optional: a create must
    /// send the required ones, an update changes only those sent.
    type Fields: DeserializeOwned;
    /// The wire form; also the history's before and after, so it never holds secrets.
    type View: Serialize;
    type Filter;

    /// The name in history and errors: `data_center`, `device`, ...
    const KIND: &'static str;
    /// For messages: "data center".
    const WHAT: &'static str;

    fn id(model: &ModelOf<Self>) -> i64;

    fn id_column() -> <Self::Entity as EntityTrait>::Column;

    fn view(model: &ModelOf<Self>, sealer: &Sealer) -> Self::View;

    /// Validates `fields` over `existing_opt` (none for a create), resolving references, into
    /// the row to write.
    fn build(
        txn: &impl ConnectionTrait,
        fields: Self::Fields,
        existing_opt: Option<&ModelOf<Self>>,
        writer: &Writer<'_>,
    ) -> impl Future<Output = Result<ActiveModelOf<Self>, InventoryError>>;

    /// Names of the kinds of objects that still refer to this one.
    fn dependents(
        txn: &impl ConnectionTrait,
        id: i64,
    ) -> impl Future<Output = Result<Vec<&'static str>, DbErr>>;

    fn filter(
        select: Select<Self::Entity>,
        filter: &Self::Filter,
        scope: TenantScope,
    ) -> Select<Self::Entity>;

    /// Whether a caller with `scope` may see this one (VMs: their tenant's only).
    fn visible(_model: &ModelOf<Self>, _scope: TenantScope) -> bool {
        true
    }

    /// The existing object these fields name by natural key (imports update it).
    fn find_by_natural_key(
        txn: &impl ConnectionTrait,
        fields: &Self::Fields,
    ) -> impl Future<Output = Result<Option<ModelOf<Self>>, InventoryError>>;
}

/// Why an inventory read or write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// `WHAT` of the kind asked for.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    /// The database refused the write for a unique key.
    #[error("another {0} already has this name or code")]
    Duplicate(&'static str),
    /// The database refused the write for a reference to it.
    #[error("this {0} is still referred to")]
    StillReferred(&'static str),
    #[error("{what} {id} still has {}; delete or move them first", .dependents.join(", "))]
    HasDependents {
        what: &'static str,
        id: i64,
        dependents: Vec<&'static str>,
    },
    /// An import refused as a whole, with every problem named.
    #[error("{message}")]
    ImportRefused {
        message: &'static str,
        problems: Vec<FieldError>,
    },
    #[error(transparent)]
    Store(#[from] DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What a [`Checker`] found, with `?`.
impl From<Vec<FieldError>> for InventoryError {
    fn from(problems: Vec<FieldError>) -> Self {
        InventoryError::Invalid(problems)
    }
}

/// Problems with the fields of one write, collected so that the answer names them all.
#[derive(Debug, Default)]
pub struct Checker {
    pub problems: Vec<FieldError>,
}

impl Checker {
    /// Records what is wrong with `field`; the first problem of a field is the one told (a
    /// missing value is not also "not one of" the allowed ones).
    pub fn problem(&mut self, field: &str, message: impl Into<String>) {
        if self.problems.iter().any(|problem| problem.field == field) {
            return;
        }
        self.problems.push(FieldError::new(field, message));
    }

    /// The value sent, else the existing one; on a create without it, a problem.
    pub fn required<T: Default>(
        &mut self,
        field: &str,
        given: Option<T>,
        existing: Option<T>,
    ) -> T {
        match given.or(existing) {
            Some(value) => value,
            None => {
                self.problem(field, "is required");
                T::default()
            }
        }
    }

    /// A name-like text: not blank, at most `max_chars` characters. A field already found
    /// missing is not reported twice.
    /// A text that may be empty.
    pub fn at_most_chars(&mut self, field: &str, value: &str, max_chars: usize) {
        if value.chars().count() > max_chars {
            self.problem(field, format!("must be at most {max_chars} characters"));
        }
    }

    pub fn text(&mut self, field: &str, value: &str, max_chars: usize) {
        if self.problems.iter().any(|problem| problem.field == field) {
            return;
        }
        if value.trim().is_empty() {
            self.problem(field, "must not be blank");
        } else if value.chars().count() > max_chars {
            self.problem(field, format!("must be at most {max_chars} characters"));
        }
    }

    pub fn one_of(&mut self, field: &str, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            self.problem(field, format!("must be one of {}", allowed.join(", ")));
        }
    }

    pub fn at_least<T: PartialOrd + std::fmt::Display>(&mut self, field: &str, value: T, min: T) {
        if value < min {
            self.problem(field, format!("must be at least {min}"));
        }
    }

    pub fn between<T: PartialOrd + std::fmt::Display>(
        &mut self,
        field: &str,
        value: T,
        min: T,
        max: T,
    ) {
        if value < min || value > max {
            self.problem(field, format!("must be from {min} to {max}"));
        }
    }

    /// Every problem found, if any (each domain's error takes them with `?`).
    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(self.problems)
        }
    }
}

/// For nullable fields an update may clear: absent keeps, `null` clears, a value sets.
pub fn nullable<T>(given: Option<Option<T>>, existing: Option<Option<T>>) -> Option<T> {
    match given {
        Some(value) => value,
        None => existing.flatten(),
    }
}

/// Serde helper for `Option<Option<T>>` fields: a present `null` is `Some(None)`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// Names the kinds of objects (`dependents`) that are found among `counts`.
pub fn present_kinds(counts: &[(&'static str, u64)]) -> Vec<&'static str> {
    counts
        .iter()
        .filter(|(_, count)| *count > 0)
        .map(|(kind, _)| *kind)
        .collect()
}

/// A write the database refused for a unique key is a conflict, not a failure.
pub fn write_error(error: DbErr, what: &'static str) -> InventoryError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => InventoryError::Duplicate(what),
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => InventoryError::StillReferred(what),
        _ => InventoryError::Store(error),
    }
}

fn snapshot<V: Serialize>(view: &V) -> Result<serde_json::Value, InventoryError> {
    serde_json::to_value(view).map_err(|error| InventoryError::Internal(error.into()))
}

pub async fn find<O: InventoryObject>(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<ModelOf<O>, InventoryError>
where
    <<O::Entity as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    O::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(InventoryError::NotFound(O::WHAT))
}

pub async fn get<O: InventoryObject>(
    db: &DatabaseConnection,
    sealer: &Sealer,
    id: i64,
    scope: TenantScope,
) -> Result<O::View, InventoryError>
where
    <<O::Entity as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    let model = find::<O>(db, id).await?;
    // Another tenant's object is answered as absent, not as forbidden.
    if !O::visible(&model, scope) {
        return Err(InventoryError::NotFound(O::WHAT));
    }
    Ok(O::view(&model, sealer))
}

pub async fn list<O: InventoryObject>(
    db: &DatabaseConnection,
    sealer: &Sealer,
    filter: &O::Filter,
    scope: TenantScope,
    offset: u64,
    limit: u64,
) -> Result<Vec<O::View>, InventoryError> {
    let rows = O::filter(O::Entity::find(), filter, scope)
        .order_by_asc(O::id_column())
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows.iter().map(|model| O::view(model, sealer)).collect())
}

/// Creates inside the caller's transaction, with its history row.
pub async fn create_in<O: InventoryObject>(
    txn: &impl ConnectionTrait,
    fields: O::Fields,
    writer: &Writer<'_>,
) -> Result<ModelOf<O>, InventoryError>
where
    ActiveModelOf<O>: ActiveModelTrait<Entity = O::Entity> + ActiveModelBehavior + Send,
    ModelOf<O>: IntoActiveModel<ActiveModelOf<O>>,
{
    let active = O::build(txn, fields, None, writer).await?;
    let model = active
        .insert(txn)
        .await
        .map_err(|error| write_error(error, O::WHAT))?;
    let after = snapshot(&O::view(&model, writer.sealer))?;
    history::record(
        txn,
        writer.actor,
        Change {
            object_kind: O::KIND,
            object_id: O::id(&model),
            action: ChangeAction::Create,
            before_opt: None,
            after_opt: Some(after),
        },
        writer.now,
    )
    .await?;
    Ok(model)
}

/// What an update did.
pub struct Updated<M> {
    pub model: M,
    /// False when the fields sent matched what was stored (no history row then).
    pub changed: bool,
}

/// Updates inside the caller's transaction; history only when the view changed.
pub async fn update_in<O: InventoryObject>(
    txn: &impl ConnectionTrait,
    existing: ModelOf<O>,
    fields: O::Fields,
    writer: &Writer<'_>,
) -> Result<Updated<ModelOf<O>>, InventoryError>
where
    ActiveModelOf<O>: ActiveModelTrait<Entity = O::Entity> + ActiveModelBehavior + Send,
    ModelOf<O>: IntoActiveModel<ActiveModelOf<O>>,
{
    let before = snapshot(&O::view(&existing, writer.sealer))?;
    let active = O::build(txn, fields, Some(&existing), writer).await?;
    let model = active
        .update(txn)
        .await
        .map_err(|error| write_error(error, O::WHAT))?;
    let after = snapshot(&O::view(&model, writer.sealer))?;
    let changed = before != after;
    if changed {
        history::record(
            txn,
            writer.actor,
            Change {
                object_kind: O::KIND,
                object_id: O::id(&model),
                action: ChangeAction::Update,
                before_opt: Some(before),
                after_opt: Some(after),
            },
            writer.now,
        )
        .await?;
    }
    Ok(Updated { model, changed })
}

/// Deletes inside the caller's transaction, unless others still refer to it.
pub async fn delete_in<O: InventoryObject>(
    txn: &impl ConnectionTrait,
    existing: ModelOf<O>,
    writer: &Writer<'_>,
) -> Result<(), InventoryError>
where
    ActiveModelOf<O>: ActiveModelTrait<Entity = O::Entity> + ActiveModelBehavior + Send,
    ModelOf<O>: IntoActiveModel<ActiveModelOf<O>>,
{
    let id = O::id(&existing);
    let dependents = O::dependents(txn, id).await?;
    if !dependents.is_empty() {
        return Err(InventoryError::HasDependents {
            what: O::WHAT,
            id,
            dependents,
        });
    }
    let before = snapshot(&O::view(&existing, writer.sealer))?;
    existing
        .into_active_model()
        .delete(txn)
        .await
        .map_err(|error| write_error(error, O::WHAT))?;
    history::record(
        txn,
        writer.actor,
        Change {
            object_kind: O::KIND,
            object_id: id,
            action: ChangeAction::Delete,
            before_opt: Some(before),
            after_opt: None,
        },
        writer.now,
    )
    .await?;
    Ok(())
}

pub async fn create<O: InventoryObject>(
    db: &DatabaseConnection,
    fields: O::Fields,
    writer: &Writer<'_>,
) -> Result<O::View, InventoryError>
where
    ActiveModelOf<O>: ActiveModelTrait<Entity = O::Entity> + ActiveModelBehavior + Send,
    ModelOf<O>: IntoActiveModel<ActiveModelOf<O>>,
{
    let txn = crate::db::begin(db).await?;
    let model = create_in::<O>(&txn, fields, writer).await?;
    txn.commit().await?;
    Ok(O::view(&model, writer.sealer))
}

/// Updates in a transaction of its own; says whether anything changed.
pub async fn update<O: InventoryObject>(
    db: &DatabaseConnection,
    id: i64,
    fields: O::Fields,
    writer: &Writer<'_>,
) -> Result<Updated<O::View>, InventoryError>
where
    ActiveModelOf<O>: ActiveModelTrait<Entity = O::Entity> + ActiveModelBehavior + Send,
    ModelOf<O>: IntoActiveModel<ActiveModelOf<O>>,
    <<O::Entity as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    let txn = crate::db::begin(db).await?;
    let existing = find::<O>(&txn, id).await?;
    let updated = update_in::<O>(&txn, existing, fields, writer).await?;
    txn.commit().await?;
    Ok(Updated {
        model: O::view(&updated.model, writer.sealer),
        changed: updated.changed,
    })
}

pub async fn delete<O: InventoryObject>(
    db: &DatabaseConnection,
    id: i64,
    writer: &Writer<'_>,
) -> Result<(), InventoryError>
where
    ActiveModelOf<O>: ActiveModelTrait<Entity = O::Entity> + ActiveModelBehavior + Send,
    ModelOf<O>: IntoActiveModel<ActiveModelOf<O>>,
    <<O::Entity as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    let txn = crate::db::begin(db).await?;
    let existing = find::<O>(&txn, id).await?;
    delete_in::<O>(&txn, existing, writer).await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checker_collects_every_problem() {
        let mut check = Checker::default();
        let name: String = check.required("name", None, None);
        check.text("name", &name, 10);
        check.text("code", "x".repeat(11).as_str(), 10);
        check.one_of("kind", "router9", &["router", "switch"]);
        check.at_least("height_u", 0, 1);
        let kept = check.required("region", None, Some("east".to_owned()));
        assert_eq!(kept, "east");
        let fields: Vec<_> = check.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["name", "code", "kind", "height_u"]);
        assert_eq!(nullable(Some(None::<i64>), Some(Some(3))), None);
        assert_eq!(nullable(None, Some(Some(3))), Some(3));
        assert_eq!(nullable(Some(Some(4)), None), Some(4));
    }
}
