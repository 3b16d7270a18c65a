//! Maintenance windows: a device, a data center or an alarm rule silenced for a period, once
//! or every day or week, with a reason. An alarm raised inside one is recorded as suppressed
//! and told to nobody (no mail, no channel, no escalation) while the window's occurrence
//! lasts; an alarm still active when it ends is told then (`alarms::release_suppressed`).
//! Windows are read when an alarm is raised, so a window takes effect without telling the
//! running monitoring anything. Administered over the API, each write audited.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, AuditActor, AuditEntry};
use crate::db::entities::{alarm, alarm_rule, data_center, device, maintenance_window};
use crate::error::FieldError;
use crate::inventory::crud::{nullable, present, Checker};

/// The object kind that names maintenance windows in the audit trail.
pub const OBJECT_KIND: &str = "maintenance_window";

/// What a window silences.
const SCOPES: [&str; 3] = ["device", "data_center", "rule"];
const RECURRENCES: [&str; 3] = ["none", "daily", "weekly"];

/// How often an occurrence comes back.
fn period_of(recurrence: &str) -> Option<Duration> {
    match recurrence {
        "daily" => Some(Duration::days(1)),
        "weekly" => Some(Duration::weeks(1)),
        _ => None,
    }
}

/// The end of the occurrence of `window` that holds `at`, if one does.
pub fn occurrence_end(
    window: &maintenance_window::Model,
    at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if at < window.starts_at {
        return None;
    }
    let Some(period) = period_of(&window.recurrence) else {
        return (at < window.ends_at).then_some(window.ends_at);
    };
    let periods = (at - window.starts_at).num_seconds() / period.num_seconds();
    let start = window.starts_at + period * i32::try_from(periods).ok()?;
    if window.recurs_until.is_some_and(|until| start > until) {
        return None;
    }
    let end = start + (window.ends_at - window.starts_at);
    (at < end).then_some(end)
}

/// The window that silences an alarm of `rule_id` on `device_id` in `data_center_id` raised
/// at `at`, with the end of its occurrence (of several, the one that ends last).
pub async fn silencing(
    db: &impl ConnectionTrait,
    device_id: i64,
    data_center_id: i64,
    rule_id: i64,
    at: DateTime<Utc>,
) -> Result<Option<(i64, DateTime<Utc>)>, DbErr> {
    let scope = |kind: &str, id: i64| {
        Condition::all()
            .add(maintenance_window::Column::ScopeKind.eq(kind))
            .add(maintenance_window::Column::ScopeId.eq(id))
    };
    let windows = maintenance_window::Entity::find()
        .filter(
            Condition::any()
                .add(scope("device", device_id))
                .add(scope("data_center", data_center_id))
                .add(scope("rule", rule_id)),
        )
        .filter(maintenance_window::Column::StartsAt.lte(at))
        .all(db)
        .await?;
    Ok(windows
        .iter()
        .filter_map(|window| Some((window.id, occurrence_end(window, at)?)))
        .max_by_key(|(_, end)| *end))
}

/// A maintenance window, as stored, with whether it holds now.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MaintenanceWindowView {
    pub id: i64,
    pub name: String,
    pub reason: String,
    /// `device`, `data_center` or `rule`.
    pub scope_kind: String,
    /// The device, data center or alarm rule silenced.
    pub scope_id: i64,
    /// The first occurrence's start and end.
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// `none`, `daily` or `weekly`.
    pub recurrence: String,
    /// No occurrence starts after this; null: for ever.
    pub recurs_until: Option<DateTime<Utc>>,
    /// When the occurrence in force now ends; null when none is.
    pub active_until: Option<DateTime<Utc>>,
}

impl MaintenanceWindowView {
    fn of(row: maintenance_window::Model, now: DateTime<Utc>) -> MaintenanceWindowView {
        MaintenanceWindowView {
            active_until: occurrence_end(&row, now),
            id: row.id,
            name: row.name,
            reason: row.reason,
            scope_kind: row.scope_kind,
            scope_id: row.scope_id,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            recurrence: row.recurrence,
            recurs_until: row.recurs_until,
        }
    }
}

/// What a create or a change sends: a create must send `name`, `reason`, `scope_kind`,
/// `scope_id`, `starts_at` and `ends_at`; a change sends only what changes.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceWindowFields {
    pub name: Option<String>,
    /// Why: planned work, a change ticket.
    pub reason: Option<String>,
    /// `device`, `data_center` or `rule`.
    pub scope_kind: Option<String>,
    pub scope_id: Option<i64>,
    pub starts_at: Option<DateTime<Utc>>,
    /// After `starts_at`; for a recurring window, less than a day (daily) or a week (weekly)
    /// later.
    pub ends_at: Option<DateTime<Utc>>,
    /// `none` (when left out of a create), `daily` or `weekly`.
    pub recurrence: Option<String>,
    /// For a recurring window, the last day an occurrence may start; null: for ever.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub recurs_until: Option<Option<DateTime<Utc>>>,
}

/// Why a window was not read or written.
#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    #[error("maintenance window not found")]
    NotFound,
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Store(#[from] DbErr),
}

impl From<Vec<FieldError>> for MaintenanceError {
    fn from(problems: Vec<FieldError>) -> Self {
        MaintenanceError::Invalid(problems)
    }
}

/// Who writes, and when.
pub struct WindowWriter<'a> {
    pub actor: &'a AuditActor,
    pub now: DateTime<Utc>,
}

/// Every window, newest first.
pub async fn list(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<Vec<MaintenanceWindowView>, DbErr> {
    let rows = maintenance_window::Entity::find()
        .order_by_desc(maintenance_window::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| MaintenanceWindowView::of(row, now))
        .collect())
}

/// The row `fields` make over `existing_opt` (none for a create), checked field by field; the
/// thing silenced must exist.
async fn build(
    db: &impl ConnectionTrait,
    fields: MaintenanceWindowFields,
    existing_opt: Option<&maintenance_window::Model>,
    now: DateTime<Utc>,
) -> Result<maintenance_window::Model, MaintenanceError> {
    let mut check = Checker::default();
    let name: String = check.required("name", fields.name, existing_opt.map(|w| w.name.clone()));
    check.text("name", &name, 100);
    let reason: String = check.required(
        "reason",
        fields.reason,
        existing_opt.map(|w| w.reason.clone()),
    );
    check.text("reason", &reason, 500);
    let scope_kind: String = check.required(
        "scope_kind",
        fields.scope_kind,
        existing_opt.map(|w| w.scope_kind.clone()),
    );
    check.one_of("scope_kind", &scope_kind, &SCOPES);
    let scope_id: i64 = check.required(
        "scope_id",
        fields.scope_id,
        existing_opt.map(|w| w.scope_id),
    );
    let starts_at: DateTime<Utc> = check.required(
        "starts_at",
        fields.starts_at,
        existing_opt.map(|w| w.starts_at),
    );
    let ends_at: DateTime<Utc> =
        check.required("ends_at", fields.ends_at, existing_opt.map(|w| w.ends_at));
    if ends_at <= starts_at {
        check.problem("ends_at", "must be after starts_at");
    }
    let recurrence = fields
        .recurrence
        .or(existing_opt.map(|w| w.recurrence.clone()))
        .unwrap_or_else(|| "none".to_owned());
    check.one_of("recurrence", &recurrence, &RECURRENCES);
    let recurs_until = nullable(fields.recurs_until, existing_opt.map(|w| w.recurs_until));
    match (period_of(&recurrence), recurs_until) {
        (Some(period), _) if ends_at - starts_at >= period => {
            check.problem("ends_at", "must end before the next occurrence starts");
        }
        (Some(_), Some(until)) if until < starts_at => {
            check.problem("recurs_until", "must not be before starts_at");
        }
        (None, Some(_)) => check.problem("recurs_until", "must be null for a one-off window"),
        _ => {}
    }
    if !check.problems.iter().any(|p| p.field.starts_with("scope")) {
        let found = match scope_kind.as_str() {
            "device" => device::Entity::find_by_id(scope_id)
                .one(db)
                .await?
                .is_some(),
            "data_center" => data_center::Entity::find_by_id(scope_id)
                .one(db)
                .await?
                .is_some(),
            _ => alarm_rule::Entity::find_by_id(scope_id)
                .one(db)
                .await?
                .is_some(),
        };
        if !found {
            check.problem(
                "scope_id",
                format!("no {} has this id", scope_kind.replace('_', " ")),
            );
        }
    }
    check.finish()?;
    Ok(maintenance_window::Model {
        id: existing_opt.map_or(0, |w| w.id),
        name: name.trim().to_owned(),
        reason: reason.trim().to_owned(),
        scope_kind,
        scope_id,
        starts_at,
        ends_at,
        recurrence,
        recurs_until,
        created_at: existing_opt.map_or(now, |w| w.created_at),
        updated_at: now,
    })
}

/// Creates a window; alarms raised from now on in it are suppressed.
pub async fn create(
    db: &DatabaseConnection,
    fields: MaintenanceWindowFields,
    writer: &WindowWriter<'_>,
) -> Result<MaintenanceWindowView, MaintenanceError> {
    let txn = crate::db::begin(db).await?;
    let row = build(&txn, fields, None, writer.now).await?;
    let mut active: maintenance_window::ActiveModel = row.into();
    active.id = sea_orm::NotSet;
    let row = active.insert(&txn).await?;
    let view = MaintenanceWindowView::of(row, writer.now);
    record(
        &txn,
        writer,
        "maintenance_window.created",
        view.id,
        None,
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// Changes the fields sent. Alarms it holds back are held until the new occurrence's end,
/// or told at once when it no longer covers them.
pub async fn update(
    db: &DatabaseConnection,
    id: i64,
    fields: MaintenanceWindowFields,
    writer: &WindowWriter<'_>,
) -> Result<MaintenanceWindowView, MaintenanceError> {
    let txn = crate::db::begin(db).await?;
    let existing = maintenance_window::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(MaintenanceError::NotFound)?;
    let before = MaintenanceWindowView::of(existing.clone(), writer.now);
    let row = build(&txn, fields, Some(&existing), writer.now).await?;
    let mut comparable = row.clone();
    comparable.updated_at = existing.updated_at;
    if comparable == existing {
        txn.commit().await?;
        return Ok(before);
    }
    let row = maintenance_window::ActiveModel::from(row)
        .reset_all()
        .update(&txn)
        .await?;
    let held = alarm::Entity::find()
        .filter(alarm::Column::SuppressedByWindowId.eq(id))
        .filter(alarm::Column::SuppressedUntil.is_not_null())
        .all(&txn)
        .await?;
    for alarm_row in held {
        let until = occurrence_end(&row, alarm_row.raised_at).unwrap_or(writer.now);
        let mut active: alarm::ActiveModel = alarm_row.into();
        active.suppressed_until = Set(Some(until));
        active.update(&txn).await?;
    }
    let after = MaintenanceWindowView::of(row, writer.now);
    record(
        &txn,
        writer,
        "maintenance_window.changed",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes a window; the alarms it holds back are told at once.
pub async fn delete(
    db: &DatabaseConnection,
    id: i64,
    writer: &WindowWriter<'_>,
) -> Result<(), MaintenanceError> {
    let txn = crate::db::begin(db).await?;
    let existing = maintenance_window::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(MaintenanceError::NotFound)?;
    let before = MaintenanceWindowView::of(existing, writer.now);
    alarm::Entity::update_many()
        .col_expr(alarm::Column::SuppressedUntil, Expr::value(writer.now))
        .filter(alarm::Column::SuppressedByWindowId.eq(id))
        .filter(alarm::Column::SuppressedUntil.is_not_null())
        .exec(&txn)
        .await?;
    maintenance_window::Entity::delete_by_id(id)
        .exec(&txn)
        .await?;
    record(
        &txn,
        writer,
        "maintenance_window.deleted",
        id,
        Some(&before),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn record(
    txn: &impl ConnectionTrait,
    writer: &WindowWriter<'_>,
    action: &str,
    id: i64,
    before_opt: Option<&MaintenanceWindowView>,
    after_opt: Option<&MaintenanceWindowView>,
) -> Result<(), DbErr> {
    let value = |view: &MaintenanceWindowView| serde_json::to_value(view).unwrap_or_default();
    audit::append(
        txn,
        AuditEntry {
            actor: writer.actor,
            action,
            object_type: OBJECT_KIND,
            object_id: id,
            tenant_id_opt: None,
            before_opt: before_opt.map(value),
            after_opt: after_opt.map(value),
        },
        writer.now,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn window(recurrence: &str, until: Option<&str>) -> maintenance_window::Model {
        maintenance_window::Model {
            id: 1,
            name: "core switch upgrade".into(),
            reason: "CHG-1".into(),
            scope_kind: "device".into(),
            scope_id: 7,
            starts_at: at("2026-12-07T22:00:00Z"),
            ends_at: at("2026-12-08T02:00:00Z"),
            recurrence: recurrence.into(),
            recurs_until: until.map(at),
            created_at: at("2026-12-01T00:00:00Z"),
            updated_at: at("2026-12-01T00:00:00Z"),
        }
    }

    #[test]
    fn occurrences_hold_from_their_start_until_their_end() {
        let once = window("none", None);
        let daily = window("daily", Some("2026-12-09T23:00:00Z"));
        let weekly = window("weekly", None);
        // (at, once, daily, weekly): the end of the occurrence that holds it.
        let cases = [
            ("2026-12-07T21:59:59Z", None, None, None),
            (
                "2026-12-07T22:00:00Z",
                Some("2026-12-08T02:00:00Z"),
                Some("2026-12-08T02:00:00Z"),
                Some("2026-12-08T02:00:00Z"),
            ),
            (
                "2026-12-08T01:59:59Z",
                Some("2026-12-08T02:00:00Z"),
                Some("2026-12-08T02:00:00Z"),
                Some("2026-12-08T02:00:00Z"),
            ),
            ("2026-12-08T02:00:00Z", None, None, None),
            (
                "2026-12-08T23:30:00Z",
                None,
                Some("2026-12-09T02:00:00Z"),
                None,
            ),
            (
                "2026-12-09T22:00:00Z",
                None,
                Some("2026-12-10T02:00:00Z"),
                None,
            ),
            // The daily window's last occurrence started on the 9th.
            ("2026-12-10T22:30:00Z", None, None, None),
            (
                "2026-12-14T23:00:00Z",
                None,
                None,
                Some("2026-12-15T02:00:00Z"),
            ),
        ];
        for (when, once_end, daily_end, weekly_end) in cases {
            let expected = |end: Option<&str>| end.map(at);
            assert_eq!(
                occurrence_end(&once, at(when)),
                expected(once_end),
                "once at {when}"
            );
            assert_eq!(
                occurrence_end(&daily, at(when)),
                expected(daily_end),
                "daily at {when}"
            );
            assert_eq!(
                occurrence_end(&weekly, at(when)),
                expected(weekly_end),
                "weekly at {when}"
            );
        }
    }
}
