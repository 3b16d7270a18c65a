//! The ticket engine: carries out a submission or an action on a ticket as one database
//! transaction, then pushes what changed.
//!
//! Each action loads the ticket, asks the pure workflow (`yunguan_actors::ticket`) what
//! happens, and writes the answer: the ticket row (guarded by its version, so that two
//! actions on the same ticket at once never both apply), the approval slots, the timeline,
//! quota, the idempotency record and, last, the audit record. Only after the commit are the
//! events published: a push never announces what a rollback undid.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect, Set,
};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use yunguan_actors::quota::Resources;
use yunguan_actors::ticket::chain::Facts;
use yunguan_actors::ticket::workflow;

use super::approvers;
use super::views::TicketView;
use crate::audit::AuditActor;
use crate::catalog::{kinds, kinds::ItemKind, ItemVersion, VersionCache};
use crate::clock::Clock;
use crate::db::entities::{idempotency_key, inventory_record, ticket, ticket_approval};
use crate::error::FieldError;
use crate::hub::Hub;
use crate::identity::Principal;
use crate::mail::settings::MailSettings;
use crate::outbox::Nudge;
use crate::quotas::actor::TenantActors;
use crate::quotas::{self, QuotaError};
use crate::tickets::TicketError;
use unit::{Loaded, Unit};

mod announce;
mod decide;
mod effects;
pub mod preview;
mod records;
pub mod system;
mod unit;

pub use system::{Status, SystemStep, Work};

/// A logged-in user acting through the API, and where from (for the audit trail).
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub address_opt: Option<String>,
}

impl Caller {
    pub fn audit_actor(&self) -> AuditActor {
        AuditActor {
            user_id_opt: Some(self.principal.user_id),
            address_opt: self.address_opt.clone(),
        }
    }
}

/// A request with an `Idempotency-Key`: its retries get the first answer.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    /// What was asked (route and body), hashed: the same key for another request is refused.
    pub fingerprint: String,
}

impl Idempotency {
    pub fn new(key: &str, route: &str, body: &Value) -> Result<Idempotency, TicketError> {
        if key.is_empty() || key.len() > 200 || !key.is_ascii() {
            return Err(TicketError::BadIdempotencyKey);
        }
        let digest = Sha256::digest(format!("{route}\n{body}").as_bytes());
        Ok(Idempotency {
            key: key.to_owned(),
            fingerprint: digest.iter().map(|b| format!("{b:02x}")).collect(),
        })
    }
}

/// A new request.
#[derive(Debug, Clone)]
pub struct Draft {
    pub item_id: i64,
    pub title: String,
    pub form: Value,
}

/// What a user can do to a ticket.
#[derive(Debug, Clone)]
pub enum Action {
    Approve {
        comment_opt: Option<String>,
    },
    Reject {
        reason: String,
    },
    Withdraw,
    /// An amended request after a rejection.
    Resubmit {
        title_opt: Option<String>,
        form: Value,
    },
    Comment {
        body: String,
    },
    /// The requester confirms a fulfilled ticket.
    Close,
    /// The requester rates a closed ticket's service, once.
    Rate {
        rating: i16,
        comment_opt: Option<String>,
    },
}

impl Action {
    fn name(&self) -> &'static str {
        match self {
            Action::Approve { .. } => "approve",
            Action::Reject { .. } => "reject",
            Action::Withdraw => "withdraw",
            Action::Resubmit { .. } => "resubmit",
            Action::Comment { .. } => "comment",
            Action::Close => "close",
            Action::Rate { .. } => "rate",
        }
    }
}

/// What an action answered: the ticket as it now stands, and whether this is the stored
/// answer to an earlier attempt with the same idempotency key.
#[derive(Debug, Clone)]
pub struct Executed {
    pub ticket: TicketView,
    pub replayed: bool,
    /// The row this change committed, which the ticket's actor goes on from without reading
    /// it again; `None` for a replayed answer, which committed nothing.
    pub committed_opt: Option<ticket::Model>,
}

#[derive(Clone)]
pub struct Engine {
    pub db: DatabaseConnection,
    pub hub: Hub,
    pub clock: Clock,
    /// Links and locale of ticket mail.
    pub mail: MailSettings,
    /// Wakes the mail and channel senders after a commit that queued mail or posts.
    pub nudge: Nudge,
    /// The tenants' quota gates.
    pub tenants: TenantActors,
    /// Catalog item versions already read.
    pub versions: VersionCache,
}

/// How a transaction ends: who is audited for it, under which action, from what state, and
/// the idempotency key its answer is stored under.
struct Closing {
    audit_actor: AuditActor,
    audit_action: String,
    before_opt: Option<TicketView>,
    /// The caller's id and key.
    idempotency_opt: Option<(i64, Idempotency)>,
}

impl Closing {
    fn by(
        caller: &Caller,
        audit_action: &str,
        before_opt: Option<TicketView>,
        idempotency_opt: Option<Idempotency>,
    ) -> Closing {
        Closing {
            audit_actor: caller.audit_actor(),
            audit_action: audit_action.to_owned(),
            before_opt,
            idempotency_opt: idempotency_opt.map(|key| (caller.principal.user_id, key)),
        }
    }

    fn system(audit_action: &str, before: TicketView) -> Closing {
        Closing {
            audit_actor: AuditActor::system(),
            audit_action: audit_action.to_owned(),
            before_opt: Some(before),
            idempotency_opt: None,
        }
    }
}

fn to_text(value: &impl serde::Serialize) -> Result<String, TicketError> {
    serde_json::to_string(value).map_err(|e| TicketError::Internal(e.into()))
}

fn check_title(title: &str) -> Result<String, TicketError> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(TicketError::invalid(
            "the request is not valid",
            vec![FieldError::new("title", "must be 1 to 200 characters")],
        ));
    }
    Ok(title.to_owned())
}

fn check_text(field: &str, text: &str, max_chars: usize) -> Result<String, TicketError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max_chars {
        return Err(TicketError::invalid(
            format!("{field} must be 1 to {max_chars} characters"),
            vec![FieldError::new(
                field,
                format!("must be 1 to {max_chars} characters"),
            )],
        ));
    }
    Ok(text.to_owned())
}

/// The tenant a request by `principal` is made for: only a tenant's users request.
fn requesting_tenant(principal: &Principal) -> Result<i64, TicketError> {
    match (principal.role.is_tenant_role(), principal.tenant_id_opt) {
        (true, Some(tenant_id)) => Ok(tenant_id),
        _ => Err(TicketError::NotATenantUser),
    }
}

/// A validated form with what follows from it.
struct Checked {
    form: Map<String, Value>,
    business_system: String,
    facts: Facts,
    demand: Resources,
}

impl Engine {
    /// Checks a form against its item version, for `tenant_id`, on the engine's today.
    async fn check_form(
        &self,
        db: &impl ConnectionTrait,
        item: &ItemVersion,
        form: &Value,
        tenant_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Checked, TicketError> {
        let today = now.date_naive();
        let invalid = |fields| TicketError::invalid("the request form is not valid", fields);
        let form = item.form.validate(form, today).map_err(invalid)?;
        let cross = item.kind.cross_field_problems(&form);
        if !cross.is_empty() {
            return Err(invalid(cross));
        }
        let demand = demand_of(db, item.kind, &form, tenant_id).await?;
        Ok(Checked {
            business_system: form
                .get("business_system")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            facts: item.kind.facts(&form, today),
            demand,
            form,
        })
    }

    /// Submits a new request on behalf of the caller's tenant.
    #[tracing::instrument(skip(self, caller, draft, idempotency_opt), fields(user_id = caller.principal.user_id, item_id = draft.item_id))]
    pub async fn submit(
        &self,
        caller: &Caller,
        draft: Draft,
        idempotency_opt: Option<Idempotency>,
    ) -> Result<Executed, TicketError> {
        let principal = &caller.principal;
        let tenant_id = requesting_tenant(principal)?;
        let now = self.clock.now();
        let txn = crate::db::begin(&self.db).await?;
        if let Some(replay) = replay(&txn, principal.user_id, idempotency_opt.as_ref()).await? {
            return Ok(replay);
        }
        let title = check_title(&draft.title)?;
        let item = self.versions.for_new_ticket(&txn, draft.item_id).await?;
        let checked = self
            .check_form(&txn, &item, &draft.form, tenant_id, now)
            .await?;
        quotas::ledger(&txn, tenant_id)
            .await?
            .check(checked.demand)
            .map_err(QuotaError::Exceeded)?;
        let levels = item.chain.plan(&checked.facts);
        let transition = workflow::submit(principal.user_id, levels.len());
        let row = ticket::ActiveModel {
            tenant_id: Set(tenant_id),
            requester_id: Set(principal.user_id),
            item_id: Set(item.item_id),
            item_version: Set(item.version),
            title: Set(title),
            business_system: Set(checked.business_system.clone()),
            form: Set(to_text(&checked.form)?),
            facts: Set(to_text(&checked.facts)?),
            state: Set(transition.next.state.as_str().to_owned()),
            round: Set(1),
            levels: Set(to_text(&levels)?),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let loaded = Loaded {
            state: transition.next.state,
            levels,
            row,
        };
        let mut unit = Unit::new(txn, loaded, now, Some(principal.user_id));
        let detail = json!({ "item_version": item.version });
        self.carry_out(&mut unit, &transition, None, detail).await?;
        let closing = Closing::by(caller, "ticket.submitted", None, idempotency_opt);
        self.finish(unit, closing).await
    }

    /// Carries out `action` on ticket `ticket_id` for the caller. `expected_version_opt`
    /// (from `If-Match`) makes it apply only to the version the caller saw.
    #[tracing::instrument(skip(self, caller, action, idempotency_opt), fields(user_id = caller.principal.user_id, action = action.name()))]
    pub async fn act(
        &self,
        ticket_id: i64,
        caller: &Caller,
        action: Action,
        expected_version_opt: Option<i64>,
        idempotency_opt: Option<Idempotency>,
    ) -> Result<Executed, TicketError> {
        let principal = &caller.principal;
        let txn = crate::db::begin(&self.db).await?;
        if let Some(replay) = replay(&txn, principal.user_id, idempotency_opt.as_ref()).await? {
            return Ok(replay);
        }
        let row = find_visible(&txn, ticket_id, principal, Lock::ForUpdate).await?;
        // A retry that waited on the lock above behind its first attempt finds its answer now.
        if let Some(replay) = replay(&txn, principal.user_id, idempotency_opt.as_ref()).await? {
            return Ok(replay);
        }
        if let Some(expected) = expected_version_opt.filter(|expected| *expected != row.version) {
            return Err(TicketError::VersionMismatch {
                current: row.version,
                expected,
            });
        }
        let loaded = Loaded::parse(row)?;
        let before = loaded.view();
        let audit_action = format!("ticket.{}", action.name());
        let mut unit = Unit::new(txn, loaded, self.clock.now(), Some(principal.user_id));
        self.decide(&mut unit, principal, action).await?;
        let closing = Closing::by(caller, &audit_action, Some(before), idempotency_opt);
        self.finish(unit, closing).await
    }
}

/// The stored answer to an earlier request with the same key, or a refusal when the key
/// was used for a different request.
async fn replay(
    txn: &DatabaseTransaction,
    user_id: i64,
    idempotency_opt: Option<&Idempotency>,
) -> Result<Option<Executed>, TicketError> {
    let Some(idempotency) = idempotency_opt else {
        return Ok(None);
    };
    let Some(stored) = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::UserId.eq(user_id))
        .filter(idempotency_key::Column::Key.eq(idempotency.key.as_str()))
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    if stored.fingerprint != idempotency.fingerprint {
        return Err(TicketError::IdempotencyKeyReused);
    }
    let ticket: TicketView = serde_json::from_str(&stored.body).map_err(|e| {
        TicketError::Internal(
            anyhow::Error::new(e).context("stored idempotent answer is unreadable"),
        )
    })?;
    Ok(Some(Executed {
        ticket,
        replayed: true,
        committed_opt: None,
    }))
}

/// Whether reading a ticket also locks its row until the transaction ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    None,
    /// On PostgreSQL, actions on one ticket queue here instead of deadlocking on its slots
    /// (a SQLite transaction holds the one write lock from its start and needs no other).
    ForUpdate,
}

/// The ticket, if the caller may see it: their tenant's, any for bureau staff, or one they
/// hold (or held) an approval on. Otherwise `not_found`, so ids reveal nothing.
pub async fn find_visible(
    db: &impl ConnectionTrait,
    ticket_id: i64,
    principal: &Principal,
    lock: Lock,
) -> Result<ticket::Model, TicketError> {
    let mut query = ticket::Entity::find_by_id(ticket_id);
    if lock == Lock::ForUpdate && db.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let row = query
        .one(db)
        .await?
        .ok_or_else(|| TicketError::NotFound("ticket"))?;
    if principal.scope().includes(row.tenant_id) {
        return Ok(row);
    }
    let holds_approval = ticket_approval::Entity::find()
        .filter(ticket_approval::Column::TicketId.eq(ticket_id))
        .filter(ticket_approval::Column::ApproverId.eq(principal.user_id))
        .one(db)
        .await?
        .is_some();
    if holds_approval {
        Ok(row)
    } else {
        Err(TicketError::NotFound("ticket"))
    }
}

/// What a valid form takes from its tenant's quota. Changes and decommissions name a host,
/// which must be an active cloud host of the same tenant.
async fn demand_of(
    db: &impl ConnectionTrait,
    kind: ItemKind,
    form: &Map<String, Value>,
    tenant_id: i64,
) -> Result<Resources, TicketError> {
    match kind {
        ItemKind::VmRequest => Ok(kinds::vm_request_demand(form)),
        ItemKind::VmChange | ItemKind::VmDecommission => {
            let host_id = form.get("host_id").and_then(Value::as_i64).unwrap_or(0);
            let host = inventory_record::Entity::find_by_id(host_id)
                .filter(inventory_record::Column::TenantId.eq(tenant_id))
                .filter(inventory_record::Column::Kind.eq("cloud_host"))
                .filter(inventory_record::Column::State.eq("active"))
                .one(db)
                .await?
                .ok_or_else(|| {
                    TicketError::invalid(
                        "the request form is not valid",
                        vec![FieldError::new(
                            "host_id",
                            "is not an active cloud host of your tenant",
                        )],
                    )
                })?;
            if kind == ItemKind::VmDecommission {
                return Ok(Resources::default());
            }
            let size: Resources = serde_json::from_str::<Value>(&host.attributes)
                .ok()
                .and_then(|attributes| serde_json::from_value(attributes["size"].clone()).ok())
                .unwrap_or_default();
            Ok(kinds::vm_change_demand(size, form))
        }
        ItemKind::FirewallOpen | ItemKind::Incident | ItemKind::DesktopSupport => {
            Ok(Resources::default())
        }
    }
}
