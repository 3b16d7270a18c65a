//! Alarm rules as data: stored in `alarm_rules` (seeded with the defaults), read back as the
//! engine's `AlarmRule`s, and administered over the API: created, changed (only the fields
//! sent) and deleted, each in one transaction with its audit record. Monitoring follows a
//! change at once on every node: the write is announced like a CMDB write
//! (`inventory.changed`, kind `alarm_rule`), and each data center's engine takes the new
//! rules (`AlarmEngine::set_rules`).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryOrder, QuerySelect, Set, SqlErr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yunguan_actors::alarm::{default_rules, AlarmRule, Comparison, Metric, RuleScope, Severity};

use crate::audit::{self, AuditActor, AuditEntry};
use crate::db::entities::alarm_rule;
use crate::error::FieldError;
use crate::inventory::crud::{nullable, present, Checker};

/// The object kind that names alarm rules in `inventory.changed`.
pub const OBJECT_KIND: &str = "alarm_rule";

/// The longest a condition may be required to hold.
const MAX_FOR_SECS: i64 = 86_400;

fn name_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn parse_name<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// Stores the default rules when there are none yet.
pub async fn seed_default_rules(db: &DatabaseConnection) -> anyhow::Result<()> {
    if alarm_rule::Entity::find().count(db).await? > 0 {
        return Ok(());
    }
    for rule in default_rules() {
        row_of(&rule).insert(db).await?;
    }
    Ok(())
}

fn row_of(rule: &AlarmRule) -> alarm_rule::ActiveModel {
    let (scope_kind, scope_value) = match &rule.scope {
        RuleScope::All => ("all", None),
        RuleScope::DeviceKind(kind) => ("device_kind", Some(kind.clone())),
        RuleScope::Device(id) => ("device", Some(id.to_string())),
    };
    alarm_rule::ActiveModel {
        id: Set(rule.id),
        name: Set(rule.name.clone()),
        metric: Set(name_of(&rule.metric)),
        comparison: Set(name_of(&rule.comparison)),
        threshold: Set(rule.threshold),
        for_secs: Set((rule.for_ms / 1000) as i64),
        severity: Set(name_of(&rule.severity)),
        scope_kind: Set(scope_kind.to_owned()),
        scope_value: Set(scope_value),
        enabled: Set(rule.enabled),
    }
}

/// The stored rules; a row that no longer parses is skipped with a warning.
pub async fn load_rules(db: &impl ConnectionTrait) -> Result<Vec<AlarmRule>, DbErr> {
    let rows = alarm_rule::Entity::find()
        .order_by_asc(alarm_rule::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(rule_from_row).collect())
}

fn rule_from_row(row: alarm_rule::Model) -> Option<AlarmRule> {
    let scope = match (row.scope_kind.as_str(), row.scope_value.as_deref()) {
        ("all", _) => RuleScope::All,
        ("device_kind", Some(kind)) => RuleScope::DeviceKind(kind.to_owned()),
        ("device", Some(id)) => RuleScope::Device(id.parse().ok()?),
        _ => {
            tracing::warn!(rule_id = row.id, "alarm rule with an unknown scope skipped");
            return None;
        }
    };
    Some(AlarmRule {
        id: row.id,
        name: row.name,
        metric: parse_name(&row.metric)?,
        comparison: parse_name(&row.comparison)?,
        threshold: row.threshold,
        for_ms: row.for_secs.max(0) as u64 * 1000,
        severity: parse_name(&row.severity)?,
        scope,
        enabled: row.enabled,
    })
}

/// An alarm rule, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AlarmRuleView {
    pub id: i64,
    pub name: String,
    /// `reachable`, `interface_oper_up`, `interface_utilization_percent`, `cpu_percent`,
    /// `memory_percent`, `temperature_celsius` or `storage_percent`.
    pub metric: String,
    /// `above`, `below` or `equals`.
    pub comparison: String,
    pub threshold: f64,
    /// How long the condition must hold before the alarm is raised.
    pub for_secs: i64,
    /// `info`, `minor`, `major` or `critical`.
    pub severity: String,
    /// `all`, `device_kind` or `device`.
    pub scope_kind: String,
    /// The device kind or the device id, for those scopes.
    pub scope_value: Option<String>,
    pub enabled: bool,
}

impl From<alarm_rule::Model> for AlarmRuleView {
    fn from(row: alarm_rule::Model) -> Self {
        AlarmRuleView {
            id: row.id,
            name: row.name,
            metric: row.metric,
            comparison: row.comparison,
            threshold: row.threshold,
            for_secs: row.for_secs,
            severity: row.severity,
            scope_kind: row.scope_kind,
            scope_value: row.scope_value,
            enabled: row.enabled,
        }
    }
}

/// What a create or a change sends: a create must send `name`, `metric`, `comparison`,
/// `threshold` and `severity`; a change sends only what changes.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlarmRuleFields {
    pub name: Option<String>,
    pub metric: Option<String>,
    pub comparison: Option<String>,
    pub threshold: Option<f64>,
    /// 0 (at once) to 86400; 0 when left out of a create.
    pub for_secs: Option<i64>,
    pub severity: Option<String>,
    /// `all` (when left out of a create), `device_kind` or `device`.
    pub scope_kind: Option<String>,
    /// A device kind (`switch`, `router`, ...) or a device id; `null` for `all`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub scope_value: Option<Option<String>>,
    /// True when left out of a create.
    pub enabled: Option<bool>,
}

/// Why a rule was not read or written.
#[derive(Debug, thiserror::Error)]
pub enum AlarmRuleError {
    #[error("alarm rule not found")]
    NotFound,
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Store(#[from] DbErr),
}

impl From<Vec<FieldError>> for AlarmRuleError {
    fn from(problems: Vec<FieldError>) -> Self {
        AlarmRuleError::Invalid(problems)
    }
}

/// Every rule, by id.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<AlarmRuleView>, DbErr> {
    let rows = alarm_rule::Entity::find()
        .order_by_asc(alarm_rule::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(AlarmRuleView::from).collect())
}

/// The row `fields` make over `existing_opt` (none for a create), checked field by field and
/// as the engine will read it.
fn build(
    id: i64,
    fields: AlarmRuleFields,
    existing_opt: Option<&alarm_rule::Model>,
) -> Result<alarm_rule::Model, AlarmRuleError> {
    let mut check = Checker::default();
    let name: String = check.required("name", fields.name, existing_opt.map(|r| r.name.clone()));
    check.text("name", &name, 100);
    let metric: String = check.required(
        "metric",
        fields.metric,
        existing_opt.map(|r| r.metric.clone()),
    );
    if parse_name::<Metric>(&metric).is_none() {
        check.one_of(
            "metric",
            &metric,
            &[
                "reachable",
                "interface_oper_up",
                "interface_utilization_percent",
                "cpu_percent",
                "memory_percent",
                "temperature_celsius",
                "storage_percent",
            ],
        );
    }
    let comparison: String = check.required(
        "comparison",
        fields.comparison,
        existing_opt.map(|r| r.comparison.clone()),
    );
    if parse_name::<Comparison>(&comparison).is_none() {
        check.one_of("comparison", &comparison, &["above", "below", "equals"]);
    }
    let threshold: f64 = check.required(
        "threshold",
        fields.threshold,
        existing_opt.map(|r| r.threshold),
    );
    if !threshold.is_finite() {
        check.problem("threshold", "must be a finite number");
    }
    let for_secs = fields
        .for_secs
        .or(existing_opt.map(|r| r.for_secs))
        .unwrap_or(0);
    check.between("for_secs", for_secs, 0, MAX_FOR_SECS);
    let severity: String = check.required(
        "severity",
        fields.severity,
        existing_opt.map(|r| r.severity.clone()),
    );
    if parse_name::<Severity>(&severity).is_none() {
        check.one_of(
            "severity",
            &severity,
            &["info", "minor", "major", "critical"],
        );
    }
    let scope_kind = fields
        .scope_kind
        .or(existing_opt.map(|r| r.scope_kind.clone()))
        .unwrap_or_else(|| "all".to_owned());
    let scope_value = nullable(
        fields.scope_value,
        existing_opt.map(|r| r.scope_value.clone()),
    );
    match (scope_kind.as_str(), scope_value.as_deref()) {
        ("all", None) => {}
        ("all", Some(_)) => check.problem("scope_value", "must be null for scope all"),
        ("device_kind", Some(kind)) => check.one_of(
            "scope_value",
            kind,
            &[
                "server",
                "switch",
                "router",
                "firewall",
                "load_balancer",
                "storage_array",
            ],
        ),
        ("device", Some(id)) if id.parse::<i64>().is_ok_and(|id| id > 0) => {}
        ("device", Some(_)) => check.problem("scope_value", "must be a device id"),
        ("device_kind" | "device", None) => {
            check.problem("scope_value", "is required for this scope");
        }
        _ => check.one_of("scope_kind", &scope_kind, &["all", "device_kind", "device"]),
    }
    check.finish()?;
    Ok(alarm_rule::Model {
        id,
        name: name.trim().to_owned(),
        metric,
        comparison,
        threshold,
        for_secs,
        severity,
        scope_kind,
        scope_value,
        enabled: fields
            .enabled
            .or(existing_opt.map(|r| r.enabled))
            .unwrap_or(true),
    })
}

/// Who writes, and when.
pub struct RuleWriter<'a> {
    pub actor: &'a AuditActor,
    pub now: DateTime<Utc>,
}

/// Creates a rule with the next id.
pub async fn create(
    db: &DatabaseConnection,
    fields: AlarmRuleFields,
    writer: &RuleWriter<'_>,
) -> Result<AlarmRuleView, AlarmRuleError> {
    // Ids are not generated by the database (the defaults keep theirs): the next one is
    // taken in the transaction, and a create that loses a race for it tries the next.
    for _ in 0..3 {
        let txn = crate::db::begin(db).await?;
        let last: Option<i64> = alarm_rule::Entity::find()
            .select_only()
            .column_as(alarm_rule::Column::Id.max(), "id")
            .into_tuple()
            .one(&txn)
            .await?
            .flatten();
        let row = build(last.unwrap_or(0) + 1, fields.clone(), None)?;
        let view = AlarmRuleView::from(row.clone());
        match alarm_rule::ActiveModel::from(row).insert(&txn).await {
            Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                continue
            }
            Err(error) => return Err(error.into()),
            Ok(_) => {}
        }
        record(
            &txn,
            writer,
            "alarm_rule.created",
            view.id,
            None,
            Some(&view),
        )
        .await?;
        txn.commit().await?;
        return Ok(view);
    }
    Err(DbErr::Custom("no free alarm rule id after three tries".to_owned()).into())
}

/// Changes the fields sent.
pub async fn update(
    db: &DatabaseConnection,
    id: i64,
    fields: AlarmRuleFields,
    writer: &RuleWriter<'_>,
) -> Result<AlarmRuleView, AlarmRuleError> {
    let txn = crate::db::begin(db).await?;
    let existing = alarm_rule::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AlarmRuleError::NotFound)?;
    let before = AlarmRuleView::from(existing.clone());
    let row = build(id, fields, Some(&existing))?;
    let after = AlarmRuleView::from(row.clone());
    if after != before {
        alarm_rule::ActiveModel::from(row)
            .reset_all()
            .update(&txn)
            .await?;
        record(
            &txn,
            writer,
            "alarm_rule.changed",
            id,
            Some(&before),
            Some(&after),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(after)
}

/// Deletes a rule; its active alarms clear (`rule_removed`) as monitoring follows.
pub async fn delete(
    db: &DatabaseConnection,
    id: i64,
    writer: &RuleWriter<'_>,
) -> Result<(), AlarmRuleError> {
    let txn = crate::db::begin(db).await?;
    let existing = alarm_rule::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AlarmRuleError::NotFound)?;
    let before = AlarmRuleView::from(existing);
    alarm_rule::Entity::delete_by_id(id).exec(&txn).await?;
    record(&txn, writer, "alarm_rule.deleted", id, Some(&before), None).await?;
    txn.commit().await?;
    Ok(())
}

async fn record(
    txn: &impl ConnectionTrait,
    writer: &RuleWriter<'_>,
    action: &str,
    id: i64,
    before_opt: Option<&AlarmRuleView>,
    after_opt: Option<&AlarmRuleView>,
) -> Result<(), DbErr> {
    let value = |view: &AlarmRuleView| serde_json::to_value(view).unwrap_or_default();
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

    #[test]
    fn fields_are_checked_as_the_engine_reads_them() {
        let fields =
            |json: serde_json::Value| -> AlarmRuleFields { serde_json::from_value(json).unwrap() };
        let created = build(
            7,
            fields(
                serde_json::json!({"name": " 核心交换机 CPU ", "metric": "cpu_percent",
                "comparison": "above", "threshold": 80.0, "severity": "major",
                "scope_kind": "device_kind", "scope_value": "switch"}),
            ),
            None,
        )
        .unwrap();
        assert_eq!(
            (created.name.as_str(), created.for_secs, created.enabled),
            ("核心交换机 CPU", 0, true)
        );
        let rule = rule_from_row(created.clone()).unwrap();
        assert_eq!(rule.scope, RuleScope::DeviceKind("switch".to_owned()));
        // A change keeps what it does not send, and clears the scope's value with `null`.
        let changed = build(
            7,
            fields(serde_json::json!({"scope_kind": "all", "scope_value": null, "for_secs": 300})),
            Some(&created),
        )
        .unwrap();
        assert_eq!(
            (
                changed.threshold,
                changed.scope_value.as_deref(),
                changed.for_secs
            ),
            (80.0, None, 300)
        );
        let Err(AlarmRuleError::Invalid(problems)) = build(
            8,
            fields(
                serde_json::json!({"name": "", "metric": "humidity", "comparison": "near",
                "threshold": 1.0, "severity": "fatal", "for_secs": -1,
                "scope_kind": "device", "scope_value": "core-1"}),
            ),
            None,
        ) else {
            panic!("invalid fields were accepted");
        };
        let named: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            named,
            [
                "name",
                "metric",
                "comparison",
                "for_secs",
                "severity",
                "scope_value"
            ]
        );
    }
}
