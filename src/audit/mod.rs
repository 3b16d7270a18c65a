//! The audit trail (可跟踪可溯源): every action on a ticket or a catalog item, appended in the
//! same transaction as the change, each record holding the hash of the one before it.
//!
//! A record's hash covers its content and the previous hash, so altering, deleting or
//! reordering any record breaks the chain at that point, and [`verify`] names the first
//! record that no longer fits. Appends are serialized (an advisory lock on PostgreSQL; on
//! SQLite the transaction holds the write lock from its start), so the chain order is the
//! commit order. `reading` is how people read the trail: filtered, paged, as CSV.

pub mod reading;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::db::entities::audit_record;

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The lock key that serializes appends on PostgreSQL.
const APPEND_LOCK: i64 = 7_102_562_142;

/// Who acted, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditActor {
    /// Empty for the system itself (timers, fulfilment).
    pub user_id_opt: Option<i64>,
    pub address_opt: Option<String>,
}

impl AuditActor {
    pub fn system() -> AuditActor {
        AuditActor {
            user_id_opt: None,
            address_opt: None,
        }
    }
}

/// One action to record.
pub struct AuditEntry<'a> {
    pub actor: &'a AuditActor,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: i64,
    pub tenant_id_opt: Option<i64>,
    pub before_opt: Option<Value>,
    pub after_opt: Option<Value>,
}

/// Appends `entry` at `at` inside the caller's transaction. Call it last in the
/// transaction: on PostgreSQL it holds the chain's lock until commit.
pub async fn append(
    txn: &impl ConnectionTrait,
    entry: AuditEntry<'_>,
    at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({APPEND_LOCK})"))
            .await?;
    }
    let prev_hash = audit_record::Entity::find()
        .order_by_desc(audit_record::Column::Id)
        .limit(1)
        .one(txn)
        .await?
        .map_or_else(|| GENESIS.to_owned(), |last| last.hash);
    let mut record = audit_record::Model {
        id: 0,
        // The database keeps microseconds; hash what it will give back.
        at: at.trunc_subsecs(6),
        actor_id: entry.actor.user_id_opt,
        actor_address: entry.actor.address_opt.clone(),
        action: entry.action.to_owned(),
        object_type: entry.object_type.to_owned(),
        object_id: entry.object_id,
        tenant_id: entry.tenant_id_opt,
        before: entry.before_opt.map(|v| v.to_string()),
        after: entry.after_opt.map(|v| v.to_string()),
        prev_hash,
        hash: String::new(),
    };
    record.hash = hash_of(&record);
    audit_record::ActiveModel {
        at: Set(record.at),
        actor_id: Set(record.actor_id),
        actor_address: Set(record.actor_address),
        action: Set(record.action),
        object_type: Set(record.object_type),
        object_id: Set(record.object_id),
        tenant_id: Set(record.tenant_id),
        before: Set(record.before),
        after: Set(record.after),
        prev_hash: Set(record.prev_hash),
        hash: Set(record.hash),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// SHA-256 over the record's content (not its id) and the previous hash, as lowercase hex.
fn hash_of(record: &audit_record::Model) -> String {
    let content = json!([
        record.prev_hash,
        record
            .at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        record.actor_id,
        record.actor_address,
        record.action,
        record.object_type,
        record.object_id,
        record.tenant_id,
        record.before,
        record.after,
    ]);
    let digest = Sha256::digest(content.to_string().as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// What checking the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub records_checked: u64,
    pub first_broken_opt: Option<BrokenLink>,
}

/// The first record that does not fit the chain, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub record_id: i64,
    pub problem: String,
}

/// Walks the whole chain in order, a page at a time.
pub async fn verify(db: &DatabaseConnection) -> Result<Verification, sea_orm::DbErr> {
    const PAGE: u64 = 1000;
    let mut expected_prev = GENESIS.to_owned();
    let mut after_id = 0;
    let mut records_checked = 0;
    loop {
        let page = audit_record::Entity::find()
            .filter(audit_record::Column::Id.gt(after_id))
            .order_by_asc(audit_record::Column::Id)
            .limit(PAGE)
            .all(db)
            .await?;
        let Some(last) = page.last() else { break };
        after_id = last.id;
        for record in page {
            records_checked += 1;
            let problem_opt = if record.prev_hash != expected_prev {
                Some("its previous-hash does not match the record before it (a record was removed or reordered)".to_owned())
            } else if hash_of(&record) != record.hash {
                Some("its content does not match its hash (the record was altered)".to_owned())
            } else {
                None
            };
            if let Some(problem) = problem_opt {
                return Ok(Verification {
                    records_checked,
                    first_broken_opt: Some(BrokenLink {
                        record_id: record.id,
                        problem,
                    }),
                });
            }
            expected_prev = record.hash;
        }
    }
    Ok(Verification {
        records_checked,
        first_broken_opt: None,
    })
}
