//! The ticket engine: carries out a submission or an action on a ticket as one database
//! transaction, then pushes what changed.
//!
//! Each action loads the ticket, asks the pure workflow (`yunguan_actors::ticket`) what
//! happens, and writes the answer: the ticket row (guarded by its version, so that two
//! actions on the same ticket at once never both apply), the approval slots, the timeline,
//! quota, the idempotency record and, last, the audit record. Only after the commit are the
//! events published: a push never announces what a rollback undid.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use yunguan_actors::quota::Resources;
use yunguan_actors::ticket::chain::{Facts, Level};
use yunguan_actors::ticket::workflow::{
    self, Command, Decision, Effect, OpenLevel, Refusal, Signer, Slot, TicketState, Transition,
};

use super::approvers;
use super::views::{
    ApprovalOverdueEvent, ApprovalView, InboxItem, TaskAssignedEvent, TicketMovedEvent, TicketView,
};
use crate::audit::{self, AuditActor, AuditEntry};
use crate::catalog::{kinds, kinds::ItemKind, ItemVersion, VersionCache};
use crate::clock::Clock;
use crate::db::entities::{
    idempotency_key, inventory_record, ticket, ticket_approval, ticket_event, user,
};
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::hub::{EventData, EventKind, Hub, Topic};
use crate::identity::{Principal, Role};
use crate::mail::outbox::{self, OutgoingMail};
use crate::mail::settings::MailSettings;
use crate::mail::templates::{Template, TicketMailParams};
use crate::notify::dispatch::{self, ApprovalNotice};
use crate::outbox::Nudge;
use crate::quotas;
use crate::quotas::actor::{Admission, TenantActors};

pub mod preview;
pub mod system;

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
    pub fn new(key: &str, route: &str, body: &Value) -> Result<Idempotency, ApiError> {
        if key.is_empty() || key.len() > 200 || !key.is_ascii() {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                "Idempotency-Key must be 1 to 200 ASCII characters",
            ));
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

/// What a transaction decided to tell people: pushes published and mail queued.
#[derive(Default)]
struct Notices {
    /// Extra pushes to users' inboxes: (user, notice).
    inbox: Vec<(i64, InboxNotice)>,
    opened: Vec<ticket_approval::Model>,
    closed: Vec<ticket_approval::Model>,
    /// (user, template, level name): mail queued in the transaction.
    mails: Vec<(i64, Template, Option<String>)>,
    /// Quota holds admitted by tenant actors: settled just before the commit, or when a
    /// failed transaction drops them.
    admissions: Vec<Admission>,
}

/// A push to a user's inbox besides the ticket's own changes and approval slots.
enum InboxNotice {
    /// `approval.reminder` or `approval.escalated`.
    Overdue(EventKind, Box<ApprovalOverdueEvent>),
    TaskAssigned(TaskAssignedEvent),
}

/// What an approver decides on the open level.
#[derive(Debug, Clone, Copy)]
enum Verdict {
    Approve,
    Reject,
}

/// A ticket row with its plan parsed.
struct Loaded {
    row: ticket::Model,
    levels: Vec<Level>,
    state: TicketState,
}

impl Loaded {
    fn parse(row: ticket::Model) -> Result<Loaded, ApiError> {
        let levels: Vec<Level> = serde_json::from_str(&row.levels).map_err(|e| {
            ApiError::internal(anyhow::Error::new(e).context("stored levels are unreadable"))
        })?;
        let state = TicketState::parse(&row.state).ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("unknown ticket state {:?}", row.state))
        })?;
        Ok(Loaded { row, levels, state })
    }

    fn pure(&self) -> workflow::Ticket {
        workflow::Ticket {
            state: self.state,
            requester_id: self.row.requester_id,
            round: self.row.round as u32,
            level_count: self.levels.len(),
            level_index_opt: self.row.level_index.map(|i| i as usize),
        }
    }

    fn level_names(&self) -> Vec<String> {
        self.levels.iter().map(|l| l.name.clone()).collect()
    }

    fn view(&self) -> TicketView {
        TicketView::of(&self.row, &self.level_names())
    }
}

fn refusal_error(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::WrongState(state) => ApiError::new(
            ErrorCode::InvalidTransition,
            format!(
                "the ticket is {}; that action does not apply",
                state.as_str()
            ),
        ),
        Refusal::NotAnApprover => ApiError::new(
            ErrorCode::Forbidden,
            "you are not an approver of the open level",
        ),
        Refusal::AlreadyDecided => ApiError::new(
            ErrorCode::InvalidTransition,
            "your approval on this level is already decided",
        ),
        Refusal::NotTheRequester => {
            ApiError::new(ErrorCode::Forbidden, "only the requester may do this")
        }
    }
}

fn to_text(value: &impl serde::Serialize) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|e| ApiError::internal(e.into()))
}

fn check_title(title: &str) -> Result<String, ApiError> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(ApiError::with_fields(
            ErrorCode::ValidationFailed,
            "the request is not valid",
            vec![FieldError::new("title", "must be 1 to 200 characters")],
        ));
    }
    Ok(title.to_owned())
}

fn check_text(field: &str, text: &str, max_chars: usize) -> Result<String, ApiError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max_chars {
        return Err(ApiError::with_fields(
            ErrorCode::ValidationFailed,
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
fn requesting_tenant(principal: &Principal) -> Result<i64, ApiError> {
    match (principal.role.is_tenant_role(), principal.tenant_id_opt) {
        (true, Some(tenant_id)) => Ok(tenant_id),
        _ => Err(ApiError::new(
            ErrorCode::Forbidden,
            "only a tenant's users submit requests",
        )),
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
    ) -> Result<Checked, ApiError> {
        let today = now.date_naive();
        let invalid = |fields| {
            ApiError::with_fields(
                ErrorCode::ValidationFailed,
                "the request form is not valid",
                fields,
            )
        };
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
    ) -> Result<Executed, ApiError> {
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
            .map_err(quotas::exceeded)?;
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
            level_index: Set(None),
            level_opened_at: Set(None),
            reminded_at: Set(None),
            escalated_at: Set(None),
            version: Set(1),
            reason: Set(None),
            rating: Set(None),
            rating_comment: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            closed_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let mut loaded = Loaded {
            state: transition.next.state,
            levels,
            row,
        };
        let mut notices = Notices::default();
        let before_opt = None;
        self.carry_out(
            &txn,
            &mut loaded,
            &transition,
            None,
            &mut notices,
            now,
            Some(caller.principal.user_id),
            json!({ "item_version": item.version }),
        )
        .await?;
        let closing = Closing::by(caller, "ticket.submitted", before_opt, idempotency_opt);
        self.finish(txn, closing, &loaded, notices, now).await
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
    ) -> Result<Executed, ApiError> {
        let principal = &caller.principal;
        let now = self.clock.now();
        let txn = crate::db::begin(&self.db).await?;
        if let Some(replay) = replay(&txn, principal.user_id, idempotency_opt.as_ref()).await? {
            return Ok(replay);
        }
        let mut loaded =
            Loaded::parse(find_visible(&txn, ticket_id, principal, Lock::ForUpdate).await?)?;
        // A retry that waited on the lock above behind its first attempt finds its answer now.
        if let Some(replay) = replay(&txn, principal.user_id, idempotency_opt.as_ref()).await? {
            return Ok(replay);
        }
        if let Some(expected) = expected_version_opt {
            if expected != loaded.row.version {
                return Err(ApiError::new(
                    ErrorCode::VersionMismatch,
                    format!(
                        "the ticket is at version {}, not {expected}; reload it",
                        loaded.row.version
                    ),
                ));
            }
        }
        let before = loaded.view();
        let mut notices = Notices::default();
        let actor_id_opt = Some(principal.user_id);
        let audit_action = format!("ticket.{}", action.name());
        match action {
            Action::Approve { comment_opt } => {
                let comment_opt = comment_opt
                    .map(|c| check_text("comment", &c, 2000))
                    .transpose()?;
                self.sign(
                    &txn,
                    &mut loaded,
                    principal,
                    Verdict::Approve,
                    comment_opt,
                    &mut notices,
                    now,
                )
                .await?;
            }
            Action::Reject { reason } => {
                let reason = check_text("reason", &reason, 2000)?;
                self.sign(
                    &txn,
                    &mut loaded,
                    principal,
                    Verdict::Reject,
                    Some(reason),
                    &mut notices,
                    now,
                )
                .await?;
            }
            Action::Withdraw => {
                let transition = workflow::apply(
                    &loaded.pure(),
                    Command::Withdraw {
                        by: principal.user_id,
                    },
                )
                .map_err(refusal_error)?;
                let slots = self.slots_of_open_level(&txn, &loaded).await?;
                self.carry_out(
                    &txn,
                    &mut loaded,
                    &transition,
                    Some(&slots),
                    &mut notices,
                    now,
                    actor_id_opt,
                    json!({}),
                )
                .await?;
            }
            Action::Resubmit { title_opt, form } => {
                let item = self
                    .versions
                    .for_new_ticket(&txn, loaded.row.item_id)
                    .await?;
                let checked = self
                    .check_form(&txn, &item, &form, loaded.row.tenant_id, now)
                    .await?;
                quotas::ledger(&txn, loaded.row.tenant_id)
                    .await?
                    .check(checked.demand)
                    .map_err(quotas::exceeded)?;
                let levels = item.chain.plan(&checked.facts);
                let transition = workflow::apply(
                    &loaded.pure(),
                    Command::Resubmit {
                        by: principal.user_id,
                        level_count: levels.len(),
                    },
                )
                .map_err(refusal_error)?;
                if let Some(title) = title_opt {
                    loaded.row.title = check_title(&title)?;
                }
                loaded.row.item_version = item.version;
                loaded.row.form = to_text(&checked.form)?;
                loaded.row.facts = to_text(&checked.facts)?;
                loaded.row.business_system = checked.business_system;
                loaded.row.reason = None;
                loaded.row.levels = to_text(&levels)?;
                loaded.levels = levels;
                self.carry_out(
                    &txn,
                    &mut loaded,
                    &transition,
                    None,
                    &mut notices,
                    now,
                    actor_id_opt,
                    json!({ "item_version": item.version }),
                )
                .await?;
            }
            Action::Close => {
                let transition = workflow::apply(
                    &loaded.pure(),
                    Command::Close {
                        by: principal.user_id,
                    },
                )
                .map_err(refusal_error)?;
                loaded.row.closed_at = Some(now);
                self.carry_out(
                    &txn,
                    &mut loaded,
                    &transition,
                    None,
                    &mut notices,
                    now,
                    actor_id_opt,
                    json!({}),
                )
                .await?;
            }
            Action::Rate {
                rating,
                comment_opt,
            } => {
                if principal.user_id != loaded.row.requester_id {
                    return Err(refusal_error(Refusal::NotTheRequester));
                }
                if loaded.state != TicketState::Closed || loaded.row.rating.is_some() {
                    return Err(ApiError::new(
                        ErrorCode::InvalidTransition,
                        "a ticket is rated once, after it is closed",
                    ));
                }
                if !(1..=5).contains(&rating) {
                    return Err(ApiError::with_fields(
                        ErrorCode::ValidationFailed,
                        "the rating is not valid",
                        vec![FieldError::new("rating", "must be 1 to 5")],
                    ));
                }
                let comment_opt = comment_opt
                    .map(|c| check_text("comment", &c, 2000))
                    .transpose()?;
                loaded.row.rating = Some(rating);
                loaded.row.rating_comment = comment_opt.clone();
                record_event(
                    &txn,
                    loaded.row.id,
                    now,
                    actor_id_opt,
                    "rated",
                    None,
                    None,
                    json!({ "rating": rating, "comment": comment_opt }),
                )
                .await?;
                self.save(&txn, &mut loaded, now).await?;
            }
            Action::Comment { body } => {
                let body = check_text("body", &body, 5000)?;
                record_event(
                    &txn,
                    loaded.row.id,
                    now,
                    actor_id_opt,
                    "commented",
                    None,
                    None,
                    json!({ "body": body }),
                )
                .await?;
                self.save(&txn, &mut loaded, now).await?;
            }
        }
        let closing = Closing::by(caller, &audit_action, Some(before), idempotency_opt);
        self.finish(txn, closing, &loaded, notices, now).await
    }

    /// An approver's decision on the open level: the slot they fill (their own, or a
    /// delegator's), then the transition it makes. A rejection's reason goes to the requester.
    #[allow(clippy::too_many_arguments)]
    async fn sign(
        &self,
        txn: &DatabaseTransaction,
        loaded: &mut Loaded,
        principal: &Principal,
        verdict: Verdict,
        remark_opt: Option<String>,
        notices: &mut Notices,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let (slots, signer) = self.open_level_for(txn, loaded, principal, now).await?;
        let level = self.current_level(loaded)?.clone();
        let open = OpenLevel {
            mode: level.mode,
            slots: &slots.iter().map(slot_of).collect::<Vec<_>>(),
        };
        let command = match verdict {
            Verdict::Approve => Command::Approve {
                signer: &signer,
                level: open,
            },
            Verdict::Reject => Command::Reject {
                signer: &signer,
                level: open,
            },
        };
        let applied = workflow::apply(&loaded.pure(), command);
        let transition = self.explain_refusal(txn, loaded, &signer, applied).await?;
        self.decide_slots(
            txn,
            &transition,
            &slots,
            principal.user_id,
            remark_opt.clone(),
            notices,
            now,
        )
        .await?;
        let detail = match verdict {
            Verdict::Approve => json!({ "comment": remark_opt }),
            Verdict::Reject => {
                loaded.row.reason = remark_opt.clone();
                notices.mails.push((
                    loaded.row.requester_id,
                    Template::Rejection,
                    Some(level.name),
                ));
                json!({ "reason": remark_opt })
            }
        };
        self.carry_out(
            txn,
            loaded,
            &transition,
            Some(&slots),
            notices,
            now,
            Some(principal.user_id),
            detail,
        )
        .await
    }

    /// A signer who is no approver of the open level may have been one of an earlier level
    /// that someone else decided a moment ago: tell them so (a conflict), not that they
    /// were never asked.
    async fn explain_refusal(
        &self,
        txn: &DatabaseTransaction,
        loaded: &Loaded,
        signer: &Signer,
        applied: Result<Transition, Refusal>,
    ) -> Result<Transition, ApiError> {
        match applied {
            Err(Refusal::NotAnApprover) => {
                let mut holders = signer.acting_for.clone();
                holders.push(signer.user_id);
                let was_asked = ticket_approval::Entity::find()
                    .filter(ticket_approval::Column::TicketId.eq(loaded.row.id))
                    .filter(ticket_approval::Column::Round.eq(loaded.row.round))
                    .filter(ticket_approval::Column::ApproverId.is_in(holders))
                    .one(txn)
                    .await?
                    .is_some();
                Err(if was_asked {
                    ApiError::new(
                        ErrorCode::InvalidTransition,
                        "the level you were asked to decide was already decided",
                    )
                } else {
                    refusal_error(Refusal::NotAnApprover)
                })
            }
            other => other.map_err(refusal_error),
        }
    }

    fn current_level<'a>(&self, loaded: &'a Loaded) -> Result<&'a Level, ApiError> {
        loaded
            .row
            .level_index
            .and_then(|index| loaded.levels.get(index as usize))
            .ok_or_else(|| refusal_error(Refusal::WrongState(loaded.state)))
    }

    /// The open level's slots and the caller as a signer (with the delegations they hold).
    async fn open_level_for(
        &self,
        txn: &DatabaseTransaction,
        loaded: &Loaded,
        principal: &Principal,
        now: DateTime<Utc>,
    ) -> Result<(Vec<ticket_approval::Model>, Signer), ApiError> {
        let slots = self.slots_of_open_level(txn, loaded).await?;
        // Nobody approves their own request, not even for someone who delegated to them.
        let acting_for = if principal.user_id == loaded.row.requester_id {
            Vec::new()
        } else {
            approvers::acting_for(txn, principal.user_id, now).await?
        };
        let signer = Signer {
            user_id: principal.user_id,
            acting_for,
        };
        Ok((slots, signer))
    }

    async fn slots_of_open_level(
        &self,
        txn: &DatabaseTransaction,
        loaded: &Loaded,
    ) -> Result<Vec<ticket_approval::Model>, ApiError> {
        let Some(level_index) = loaded.row.level_index else {
            return Ok(Vec::new());
        };
        Ok(ticket_approval::Entity::find()
            .filter(ticket_approval::Column::TicketId.eq(loaded.row.id))
            .filter(ticket_approval::Column::Round.eq(loaded.row.round))
            .filter(ticket_approval::Column::LevelIndex.eq(level_index))
            .order_by_asc(ticket_approval::Column::Id)
            .all(txn)
            .await?)
    }

    /// Applies the `DecideSlot` effects: the signer's decision on their (or a delegator's) slot.
    #[allow(clippy::too_many_arguments)]
    async fn decide_slots(
        &self,
        txn: &DatabaseTransaction,
        transition: &Transition,
        slots: &[ticket_approval::Model],
        decided_by: i64,
        comment_opt: Option<String>,
        notices: &mut Notices,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        for effect in &transition.effects {
            if let Effect::DecideSlot {
                slot_index,
                decision,
            } = effect
            {
                let slot = slots[*slot_index].clone();
                let mut active: ticket_approval::ActiveModel = slot.into();
                active.decision = Set(decision.as_str().to_owned());
                active.decided_by = Set(Some(decided_by));
                active.comment = Set(comment_opt.clone());
                active.decided_at = Set(Some(now));
                notices.closed.push(active.update(txn).await?);
            }
        }
        Ok(())
    }

    /// Carries out a transition's other effects, records it on the timeline and saves the
    /// ticket.
    #[allow(clippy::too_many_arguments)]
    async fn carry_out(
        &self,
        txn: &DatabaseTransaction,
        loaded: &mut Loaded,
        transition: &Transition,
        open_slots_opt: Option<&[ticket_approval::Model]>,
        notices: &mut Notices,
        now: DateTime<Utc>,
        actor_id_opt: Option<i64>,
        detail: Value,
    ) -> Result<(), ApiError> {
        // A new ticket comes from nowhere.
        let from_state_opt = (transition.kind != "submitted").then(|| loaded.row.state.clone());
        let to_state = transition.next.state.as_str().to_owned();
        record_event(
            txn,
            loaded.row.id,
            now,
            actor_id_opt,
            transition.kind,
            from_state_opt,
            Some(to_state),
            detail,
        )
        .await?;
        for effect in &transition.effects {
            match *effect {
                Effect::DecideSlot { .. } => {}
                Effect::CancelPendingSlots => {
                    for slot in open_slots_opt.unwrap_or_default() {
                        if slot.decision == Decision::Pending.as_str()
                            && !notices.closed.iter().any(|c| c.id == slot.id)
                        {
                            let mut active: ticket_approval::ActiveModel = slot.clone().into();
                            active.decision = Set(Decision::Cancelled.as_str().to_owned());
                            active.decided_at = Set(Some(now));
                            notices.closed.push(active.update(txn).await?);
                        }
                    }
                }
                Effect::OpenLevel(level_index) => {
                    self.open_level(
                        txn,
                        loaded,
                        transition.next.round,
                        level_index,
                        notices,
                        now,
                    )
                    .await?;
                }
                Effect::ReserveQuota => {
                    let item = self
                        .versions
                        .get(txn, loaded.row.item_id, loaded.row.item_version)
                        .await?;
                    let form: Map<String, Value> = serde_json::from_str(&loaded.row.form)
                        .map_err(|e| ApiError::internal(e.into()))?;
                    let demand = demand_of(txn, item.kind, &form, loaded.row.tenant_id).await?;
                    let (tenant_id, ticket_id) = (loaded.row.tenant_id, loaded.row.id);
                    if !demand.is_zero() && !quotas::is_held(txn, ticket_id).await? {
                        // The tenant's actor refuses what cannot fit before the database is
                        // asked; its hold lasts until this transaction ends.
                        let ledger = quotas::ledger(txn, tenant_id).await?;
                        let admission = self
                            .tenants
                            .admit(tenant_id, ticket_id, demand, ledger)
                            .await?;
                        notices.admissions.push(admission);
                    }
                    quotas::reserve(txn, tenant_id, ticket_id, demand, now).await?;
                }
                Effect::ReleaseQuota => quotas::release(txn, loaded.row.id, now).await?,
                Effect::ConsumeQuota => quotas::consume(txn, loaded.row.id, now).await?,
                // Fulfilment is driven after the commit; the approved state is its trigger.
                Effect::StartFulfilment => {}
            }
        }
        loaded.state = transition.next.state;
        loaded.row.state = transition.next.state.as_str().to_owned();
        loaded.row.round = transition.next.round as i32;
        loaded.row.level_index = transition.next.level_index_opt.map(|i| i as i32);
        if loaded.row.level_index.is_none() {
            loaded.row.level_opened_at = None;
        }
        self.save(txn, loaded, now).await
    }

    /// Resolves a level's approvers, creates their slots and restarts the SLA clock.
    async fn open_level(
        &self,
        txn: &DatabaseTransaction,
        loaded: &mut Loaded,
        round: u32,
        level_index: usize,
        notices: &mut Notices,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let level = loaded.levels[level_index].clone();
        // Nobody approves their own request: without the requester, a level falls back to
        // its escalation approvers, then to the bureau admins.
        let requester_id = loaded.row.requester_id;
        let without_requester = |ids: Vec<i64>| -> Vec<i64> {
            ids.into_iter().filter(|id| *id != requester_id).collect()
        };
        let mut approver_ids = without_requester(
            approvers::resolve(txn, &level.approvers, loaded.row.tenant_id).await?,
        );
        let unstaffed = approver_ids.is_empty();
        if unstaffed {
            if let Some(escalate_to) = &level.escalate_to {
                approver_ids = without_requester(
                    approvers::resolve(txn, escalate_to, loaded.row.tenant_id).await?,
                );
            }
        }
        if approver_ids.is_empty() {
            approver_ids = without_requester(approvers::fallback(txn).await?);
        }
        if unstaffed {
            tracing::warn!(ticket_id = loaded.row.id, level = %level.name, "level has no approver of its own; falling back");
        }
        for approver_id in &approver_ids {
            let slot = ticket_approval::ActiveModel {
                ticket_id: Set(loaded.row.id),
                round: Set(round as i32),
                level_index: Set(level_index as i32),
                approver_id: Set(*approver_id),
                decision: Set(Decision::Pending.as_str().to_owned()),
                decided_by: Set(None),
                comment: Set(None),
                opened_at: Set(now),
                decided_at: Set(None),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            notices.opened.push(slot);
            notices.mails.push((
                *approver_id,
                Template::NewApproval,
                Some(level.name.clone()),
            ));
        }
        loaded.row.level_opened_at = Some(now);
        loaded.row.reminded_at = None;
        loaded.row.escalated_at = None;
        record_event(
            txn,
            loaded.row.id,
            now,
            None,
            "level_opened",
            None,
            None,
            json!({ "level": level_index, "name": level.name, "approvers": approver_ids, "unstaffed": unstaffed }),
        )
        .await?;
        Ok(())
    }

    /// Writes the ticket row, one version up, if nobody else did first.
    async fn save(
        &self,
        txn: &DatabaseTransaction,
        loaded: &mut Loaded,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let row = &loaded.row;
        let updated = ticket::Entity::update_many()
            .col_expr(ticket::Column::Title, Expr::value(row.title.clone()))
            .col_expr(
                ticket::Column::BusinessSystem,
                Expr::value(row.business_system.clone()),
            )
            .col_expr(ticket::Column::ItemVersion, Expr::value(row.item_version))
            .col_expr(ticket::Column::Form, Expr::value(row.form.clone()))
            .col_expr(ticket::Column::Facts, Expr::value(row.facts.clone()))
            .col_expr(ticket::Column::State, Expr::value(row.state.clone()))
            .col_expr(ticket::Column::Round, Expr::value(row.round))
            .col_expr(ticket::Column::Levels, Expr::value(row.levels.clone()))
            .col_expr(ticket::Column::LevelIndex, Expr::value(row.level_index))
            .col_expr(
                ticket::Column::LevelOpenedAt,
                Expr::value(row.level_opened_at),
            )
            .col_expr(ticket::Column::RemindedAt, Expr::value(row.reminded_at))
            .col_expr(ticket::Column::EscalatedAt, Expr::value(row.escalated_at))
            .col_expr(ticket::Column::Reason, Expr::value(row.reason.clone()))
            .col_expr(ticket::Column::Rating, Expr::value(row.rating))
            .col_expr(
                ticket::Column::RatingComment,
                Expr::value(row.rating_comment.clone()),
            )
            .col_expr(ticket::Column::ClosedAt, Expr::value(row.closed_at))
            .col_expr(ticket::Column::UpdatedAt, Expr::value(now))
            .col_expr(ticket::Column::Version, Expr::value(row.version + 1))
            .filter(ticket::Column::Id.eq(row.id))
            .filter(ticket::Column::Version.eq(row.version))
            .exec(txn)
            .await?;
        if updated.rows_affected == 0 {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "the ticket changed at the same moment; reload it and try again",
            ));
        }
        loaded.row.version += 1;
        loaded.row.updated_at = now;
        Ok(())
    }

    /// Audits, stores the idempotent answer, commits, then pushes.
    async fn finish(
        &self,
        txn: DatabaseTransaction,
        closing: Closing,
        loaded: &Loaded,
        notices: Notices,
        now: DateTime<Utc>,
    ) -> Result<Executed, ApiError> {
        let view = loaded.view();
        if let Some((user_id, idempotency)) = closing.idempotency_opt {
            let stored = idempotency_key::ActiveModel {
                user_id: Set(user_id),
                key: Set(idempotency.key),
                fingerprint: Set(idempotency.fingerprint),
                status: Set(200),
                body: Set(to_text(&view)?),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await;
            if let Err(error) = stored {
                return Err(match error.sql_err() {
                    // The same key is being used by a concurrent request, which will answer.
                    Some(SqlErr::UniqueConstraintViolation(_)) => ApiError::new(
                        ErrorCode::Conflict,
                        "a request with this Idempotency-Key is in progress; retry to get its answer",
                    ),
                    _ => error.into(),
                });
            }
        }
        let queued = self
            .queue_notices(&txn, loaded, &notices.mails, now)
            .await?;
        let to_value = |view: &TicketView| {
            serde_json::to_value(view).map_err(|e| ApiError::internal(e.into()))
        };
        audit::append(
            &txn,
            AuditEntry {
                actor: &closing.audit_actor,
                action: &closing.audit_action,
                object_type: "ticket",
                object_id: view.id,
                tenant_id_opt: Some(view.tenant_id),
                before_opt: closing.before_opt.as_ref().map(to_value).transpose()?,
                after_opt: Some(to_value(&view)?),
            },
            now,
        )
        .await?;
        // From the commit on the database holds the reservation; a hold kept past it would
        // count twice for the next admission.
        let mut notices = notices;
        notices.admissions.clear();
        txn.commit().await?;
        if queued {
            self.nudge.nudge();
        }
        self.publish(&view, notices).await;
        Ok(Executed {
            ticket: view,
            replayed: false,
        })
    }

    /// Queues the transaction's mail to those of its recipients who have an address, and
    /// its approval notices to the channels that carry them; answers whether anything was
    /// queued.
    async fn queue_notices(
        &self,
        txn: &DatabaseTransaction,
        loaded: &Loaded,
        mails: &[(i64, Template, Option<String>)],
        now: DateTime<Utc>,
    ) -> Result<bool, ApiError> {
        if mails.is_empty() {
            return Ok(false);
        }
        let mut user_ids: Vec<i64> = mails.iter().map(|(user_id, ..)| *user_id).collect();
        user_ids.push(loaded.row.requester_id);
        let users = user::Entity::find()
            .filter(user::Column::Id.is_in(user_ids))
            .all(txn)
            .await?;
        let requester = users
            .iter()
            .find(|u| u.id == loaded.row.requester_id)
            .map_or_else(String::new, |u| u.display_name.clone());
        let params_for = |level_name_opt: &Option<String>| TicketMailParams {
            ticket_id: loaded.row.id,
            title: loaded.row.title.clone(),
            requester: requester.clone(),
            level_name_opt: level_name_opt.clone(),
            reason_opt: loaded.row.reason.clone(),
            link: self.mail.ticket_link(loaded.row.id),
        };
        let mut queued = false;
        for (user_id, template, level_name_opt) in mails {
            let Some(email) = users
                .iter()
                .find(|u| u.id == *user_id)
                .and_then(|u| u.email.clone())
            else {
                continue;
            };
            outbox::enqueue(
                txn,
                &self.mail.texts,
                OutgoingMail {
                    recipient: email,
                    template: *template,
                    locale: self.mail.locale,
                    ticket_id_opt: Some(loaded.row.id),
                    params: params_for(level_name_opt),
                },
            )
            .await?;
            queued = true;
        }
        // One notice per template and level, naming the roles of everyone it told.
        let mut notices: Vec<(Template, &Option<String>, Vec<Role>)> = Vec::new();
        for (user_id, template, level_name_opt) in mails {
            let Some(role) = users
                .iter()
                .find(|u| u.id == *user_id)
                .and_then(|u| Role::parse(&u.role))
            else {
                continue;
            };
            match notices
                .iter_mut()
                .find(|(t, level, _)| t == template && *level == level_name_opt)
            {
                Some((_, _, roles)) if !roles.contains(&role) => roles.push(role),
                Some(_) => {}
                None => notices.push((*template, level_name_opt, vec![role])),
            }
        }
        for (template, level_name_opt, approver_roles) in notices {
            let params = params_for(level_name_opt);
            let posted = dispatch::approval(
                txn,
                ApprovalNotice {
                    texts: &self.mail.texts,
                    template,
                    tenant_id: loaded.row.tenant_id,
                    params: &params,
                    approver_roles,
                },
                now,
            )
            .await?;
            queued |= posted > 0;
        }
        Ok(queued)
    }

    /// Pushes a committed change: to the tenant's tickets, the ticket's own topic, the
    /// requester's inbox, the inboxes of approvers whose slots opened or closed, and, without
    /// its content, to the command center.
    async fn publish(&self, view: &TicketView, notices: Notices) {
        self.push(
            view.id,
            &Topic::Overview,
            EventKind::TicketMoved,
            &TicketMovedEvent::from(view),
        )
        .await;
        for topic in [
            Topic::TenantTickets(view.tenant_id),
            Topic::Ticket {
                tenant_id: view.tenant_id,
                ticket_id: view.id,
            },
            Topic::UserInbox(view.requester_id),
        ] {
            self.push(view.id, &topic, EventKind::TicketChanged, view)
                .await;
        }
        let approver_ids: Vec<i64> = notices.opened.iter().map(|slot| slot.approver_id).collect();
        let delegates = if approver_ids.is_empty() {
            Vec::new()
        } else {
            approvers::delegates_of(&self.db, &approver_ids, self.clock.now())
                .await
                .unwrap_or_else(|error| {
                    tracing::warn!(%error, ticket_id = view.id, "could not look up delegates for pushes");
                    Vec::new()
                })
        };
        for slot in notices.opened {
            let approver_id = slot.approver_id;
            let item = |acting_for| InboxItem {
                approval: ApprovalView::from(slot.clone()),
                ticket: view.clone(),
                acting_for,
            };
            let topic = Topic::UserInbox(approver_id);
            self.push(view.id, &topic, EventKind::ApprovalPending, &item(None))
                .await;
            for (delegate_id, _) in delegates.iter().filter(|(delegate, delegator)| {
                *delegator == approver_id && *delegate != view.requester_id
            }) {
                let topic = Topic::UserInbox(*delegate_id);
                let data = item(Some(approver_id));
                self.push(view.id, &topic, EventKind::ApprovalPending, &data)
                    .await;
            }
        }
        for (user_id, notice) in notices.inbox {
            let topic = Topic::UserInbox(user_id);
            match notice {
                InboxNotice::Overdue(kind, data) => self.push(view.id, &topic, kind, &*data).await,
                InboxNotice::TaskAssigned(data) => {
                    self.push(view.id, &topic, EventKind::TaskAssigned, &data)
                        .await;
                }
            }
        }
        for slot in notices.closed {
            let topic = Topic::UserInbox(slot.approver_id);
            let data = ApprovalView::from(slot);
            self.push(view.id, &topic, EventKind::ApprovalClosed, &data)
                .await;
        }
    }

    /// One push of a committed change; a failure is logged (the change stands).
    async fn push<D: EventData>(&self, ticket_id: i64, topic: &Topic, kind: EventKind, data: &D) {
        if let Err(error) = self.hub.publish(topic, kind, data).await {
            tracing::error!(error = ?error, ticket_id, %topic, "ticket change committed but not pushed");
        }
    }
}

fn slot_of(model: &ticket_approval::Model) -> Slot {
    Slot {
        approver_id: model.approver_id,
        decision: Decision::parse(&model.decision).unwrap_or(Decision::Cancelled),
    }
}

/// The stored answer to an earlier request with the same key, or a refusal when the key
/// was used for a different request.
async fn replay(
    txn: &DatabaseTransaction,
    user_id: i64,
    idempotency_opt: Option<&Idempotency>,
) -> Result<Option<Executed>, ApiError> {
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
        return Err(ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was used for a different request",
        ));
    }
    let ticket: TicketView = serde_json::from_str(&stored.body).map_err(|e| {
        ApiError::internal(anyhow::Error::new(e).context("stored idempotent answer is unreadable"))
    })?;
    Ok(Some(Executed {
        ticket,
        replayed: true,
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
) -> Result<ticket::Model, ApiError> {
    let mut query = ticket::Entity::find_by_id(ticket_id);
    if lock == Lock::ForUpdate && db.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let row = query
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
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
        Err(ApiError::not_found("ticket"))
    }
}

/// What a valid form takes from its tenant's quota. Changes and decommissions name a host,
/// which must be an active cloud host of the same tenant.
async fn demand_of(
    db: &impl ConnectionTrait,
    kind: ItemKind,
    form: &Map<String, Value>,
    tenant_id: i64,
) -> Result<Resources, ApiError> {
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
                    ApiError::with_fields(
                        ErrorCode::ValidationFailed,
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

#[allow(clippy::too_many_arguments)]
async fn record_event(
    txn: &impl ConnectionTrait,
    ticket_id: i64,
    at: DateTime<Utc>,
    actor_id_opt: Option<i64>,
    kind: &str,
    from_state_opt: Option<String>,
    to_state_opt: Option<String>,
    detail: Value,
) -> Result<(), sea_orm::DbErr> {
    ticket_event::ActiveModel {
        ticket_id: Set(ticket_id),
        at: Set(at),
        actor_id: Set(actor_id_opt),
        kind: Set(kind.to_owned()),
        from_state: Set(from_state_opt),
        to_state: Set(to_state_opt),
        detail: Set(detail.to_string()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}
