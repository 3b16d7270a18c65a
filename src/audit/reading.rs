//! Reading the audit trail: records filtered by actor, action, object and period, newest
//! first a page at a time, within the reader's tenant scope (a tenant admin reads only the
//! records of their tenant's objects); and the same selection as CSV for auditors' tools.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::db::entities::{audit_record, user};
use crate::tenancy::TenantScope;

/// One record as people read it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AuditRecordView {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who acted; absent for the system itself (timers, fulfilment).
    pub actor_id: Option<i64>,
    /// The actor's username, as it is now.
    pub actor_username: Option<String>,
    /// Where the request came from.
    pub actor_address: Option<String>,
    /// What was done, e.g. `ticket.approve`, `catalog.create`.
    pub action: String,
    pub object_type: String,
    pub object_id: i64,
    pub tenant_id: Option<i64>,
    /// The object before and after, where the action changed it.
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    /// The record's link in the hash chain (`/audit/verify` checks them).
    pub hash: String,
}

/// Which records: every field narrows, none widens past the reader's scope.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id_opt: Option<i64>,
    pub action_opt: Option<String>,
    pub object_type_opt: Option<String>,
    pub object_id_opt: Option<i64>,
    pub tenant_id_opt: Option<i64>,
    /// From this instant on (inclusive).
    pub from_opt: Option<DateTime<Utc>>,
    /// Before this instant (exclusive).
    pub to_opt: Option<DateTime<Utc>>,
}

impl AuditFilter {
    fn condition(&self, scope: TenantScope) -> Option<Condition> {
        let mut condition = Condition::all();
        match scope {
            TenantScope::AllTenants => {}
            TenantScope::OneTenant(tenant_id) => {
                condition = condition.add(audit_record::Column::TenantId.eq(tenant_id));
            }
            TenantScope::NoTenant => return None,
        }
        if let Some(actor_id) = self.actor_id_opt {
            condition = condition.add(audit_record::Column::ActorId.eq(actor_id));
        }
        if let Some(action) = &self.action_opt {
            condition = condition.add(audit_record::Column::Action.eq(action.as_str()));
        }
        if let Some(object_type) = &self.object_type_opt {
            condition = condition.add(audit_record::Column::ObjectType.eq(object_type.as_str()));
        }
        if let Some(object_id) = self.object_id_opt {
            condition = condition.add(audit_record::Column::ObjectId.eq(object_id));
        }
        if let Some(tenant_id) = self.tenant_id_opt {
            condition = condition.add(audit_record::Column::TenantId.eq(tenant_id));
        }
        if let Some(from) = self.from_opt {
            condition = condition.add(audit_record::Column::At.gte(from));
        }
        if let Some(to) = self.to_opt {
            condition = condition.add(audit_record::Column::At.lt(to));
        }
        Some(condition)
    }
}

/// A page of records, newest first: up to `limit` older than `before_id_opt`.
pub async fn page(
    db: &DatabaseConnection,
    scope: TenantScope,
    filter: &AuditFilter,
    before_id_opt: Option<i64>,
    limit: u64,
) -> Result<Vec<AuditRecordView>, DbErr> {
    let Some(mut condition) = filter.condition(scope) else {
        return Ok(Vec::new());
    };
    if let Some(before_id) = before_id_opt {
        condition = condition.add(audit_record::Column::Id.lt(before_id));
    }
    let rows = audit_record::Entity::find()
        .filter(condition)
        .order_by_desc(audit_record::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    views(db, rows).await
}

/// Every selected record, oldest first, when there are at most `cap` of them; `Err(count)`
/// when there are more (an export is not cut short without saying so).
pub async fn all_up_to(
    db: &DatabaseConnection,
    scope: TenantScope,
    filter: &AuditFilter,
    cap: u64,
) -> Result<Result<Vec<AuditRecordView>, u64>, DbErr> {
    let Some(condition) = filter.condition(scope) else {
        return Ok(Ok(Vec::new()));
    };
    let select = audit_record::Entity::find().filter(condition);
    let count = select.clone().count(db).await?;
    if count > cap {
        return Ok(Err(count));
    }
    let rows = select
        .order_by_asc(audit_record::Column::Id)
        .all(db)
        .await?;
    Ok(Ok(views(db, rows).await?))
}

async fn views(
    db: &DatabaseConnection,
    rows: Vec<audit_record::Model>,
) -> Result<Vec<AuditRecordView>, DbErr> {
    let mut actor_ids: Vec<i64> = rows.iter().filter_map(|row| row.actor_id).collect();
    actor_ids.sort_unstable();
    actor_ids.dedup();
    let mut usernames = HashMap::new();
    // In chunks: PostgreSQL takes at most 65,535 bind parameters a statement.
    for chunk in actor_ids.chunks(1000) {
        for found in user::Entity::find()
            .filter(user::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            usernames.insert(found.id, found.username);
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| AuditRecordView {
            actor_username: row.actor_id.and_then(|id| usernames.get(&id).cloned()),
            id: row.id,
            at: row.at,
            actor_id: row.actor_id,
            actor_address: row.actor_address,
            action: row.action,
            object_type: row.object_type,
            object_id: row.object_id,
            tenant_id: row.tenant_id,
            before: row.before.as_deref().map(parse_stored),
            after: row.after.as_deref().map(parse_stored),
            hash: row.hash,
        })
        .collect())
}

/// The stored JSON text of a before or after; kept as a string should it not parse.
fn parse_stored(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// The records as CSV: UTF-8 with a byte-order mark (so that Excel reads the Chinese right),
/// one header line, before and after as JSON text.
pub fn csv(records: &[AuditRecordView]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record([
        "id",
        "at",
        "actor_id",
        "actor_username",
        "actor_address",
        "action",
        "object_type",
        "object_id",
        "tenant_id",
        "before",
        "after",
        "hash",
    ])?;
    let optional = |value: Option<i64>| value.map(|v| v.to_string()).unwrap_or_default();
    let json = |value: &Option<Value>| value.as_ref().map(Value::to_string).unwrap_or_default();
    for record in records {
        writer.write_record([
            record.id.to_string(),
            record.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            optional(record.actor_id),
            record.actor_username.clone().unwrap_or_default(),
            record.actor_address.clone().unwrap_or_default(),
            record.action.clone(),
            record.object_type.clone(),
            record.object_id.to_string(),
            optional(record.tenant_id),
            json(&record.before),
            json(&record.after),
            record.hash.clone(),
        ])?;
    }
    writer
        .into_inner()
        .map_err(|error| error.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(id: i64, after: Option<Value>) -> AuditRecordView {
        AuditRecordView {
            id,
            at: DateTime::parse_from_rfc3339("2026-12-06T08:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            actor_id: Some(7),
            actor_username: Some("张三".to_owned()),
            actor_address: None,
            action: "ticket.approve".to_owned(),
            object_type: "ticket".to_owned(),
            object_id: 42,
            tenant_id: None,
            before: None,
            after,
            hash: "ab".to_owned(),
        }
    }

    #[test]
    fn csv_starts_with_a_bom_and_quotes_what_needs_it() {
        let bytes = csv(&[
            record(1, Some(json!({"title": "申请, \"急\""}))),
            record(2, None),
        ])
        .unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("id,at,actor_id,actor_username,"));
        assert_eq!(
            lines[1],
            r#"1,2026-12-06T08:00:00.000000Z,7,张三,,ticket.approve,ticket,42,,,"{""title"":""申请, \""急\""""}",ab"#
        );
        assert_eq!(
            lines[2],
            "2,2026-12-06T08:00:00.000000Z,7,张三,,ticket.approve,ticket,42,,,,ab"
        );
    }

    #[test]
    fn a_reader_without_a_tenant_reads_nothing() {
        let filter = AuditFilter::default();
        assert!(filter.condition(TenantScope::NoTenant).is_none());
        assert!(filter.condition(TenantScope::OneTenant(3)).is_some());
    }
}
