//! One change to one ticket as a unit of work: the transaction it runs in, the ticket as read
//! and as it becomes, what to tell people once it commits, when it happens and who makes it.
//! Every step of the engine (load, decide, apply effects, persist, announce) takes one, so
//! none of them threads these through its arguments.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::Value;
use yunguan_actors::ticket::chain::Level;
use yunguan_actors::ticket::workflow::{self, Decision, Effect, Slot, TicketState, Transition};

use crate::db::entities::{ticket, ticket_approval, ticket_event};
use crate::hub::EventKind;
use crate::mail::templates::Template;
use crate::quotas::actor::Admission;
use crate::tickets::views::{ApprovalOverdueEvent, TaskAssignedEvent, TicketView};
use crate::tickets::TicketError;

pub(super) struct Unit {
    pub txn: DatabaseTransaction,
    pub loaded: Loaded,
    pub notices: Notices,
    pub now: DateTime<Utc>,
    /// The user making the change; `None` for the system.
    pub actor_id_opt: Option<i64>,
    /// Timeline entries of the change, written together when it finishes.
    pub timeline: Vec<Entry>,
}

/// A ticket row with its plan parsed.
pub(super) struct Loaded {
    pub row: ticket::Model,
    pub levels: Vec<Level>,
    pub state: TicketState,
}

/// What a transaction decided to tell people: pushes published and mail queued.
#[derive(Default)]
pub(super) struct Notices {
    /// Extra pushes to users' inboxes: (user, notice).
    pub inbox: Vec<(i64, InboxNotice)>,
    pub opened: Vec<ticket_approval::Model>,
    /// (delegate, delegator): who holds the approvals of the approvers whose slots opened,
    /// read in the transaction so that the pushes after the commit wait for no query.
    pub delegates: Vec<(i64, i64)>,
    pub closed: Vec<ticket_approval::Model>,
    /// (user, template, level name): mail queued in the transaction.
    pub mails: Vec<(i64, Template, Option<String>)>,
    /// Quota holds admitted by tenant actors: settled just before the commit, or when a
    /// failed transaction drops them.
    pub admissions: Vec<Admission>,
}

/// A push to a user's inbox besides the ticket's own changes and approval slots.
pub(super) enum InboxNotice {
    /// `approval.reminder` or `approval.escalated`.
    Overdue(EventKind, Box<ApprovalOverdueEvent>),
    TaskAssigned(TaskAssignedEvent),
}

/// One entry of a ticket's timeline.
pub(super) struct Entry {
    pub ticket_id: i64,
    pub at: DateTime<Utc>,
    /// Who did it; `None` for the system.
    pub actor_id_opt: Option<i64>,
    /// `submitted`, `signed`, `level_opened`, `progress`, ...
    pub kind: &'static str,
    pub from_state_opt: Option<String>,
    pub to_state_opt: Option<String>,
    pub detail: Value,
}

impl Entry {
    fn into_active(self) -> ticket_event::ActiveModel {
        ticket_event::ActiveModel {
            ticket_id: Set(self.ticket_id),
            at: Set(self.at),
            actor_id: Set(self.actor_id_opt),
            kind: Set(self.kind.to_owned()),
            from_state: Set(self.from_state_opt),
            to_state: Set(self.to_state_opt),
            detail: Set(self.detail.to_string()),
            ..Default::default()
        }
    }

    pub async fn insert(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        Entry::insert_all(db, vec![self]).await
    }

    /// Writes `entries` in their order, in one statement.
    pub async fn insert_all(db: &impl ConnectionTrait, entries: Vec<Entry>) -> Result<(), DbErr> {
        if entries.is_empty() {
            return Ok(());
        }
        ticket_event::Entity::insert_many(entries.into_iter().map(Entry::into_active))
            .exec_without_returning(db)
            .await?;
        Ok(())
    }
}

impl Loaded {
    pub fn parse(row: ticket::Model) -> Result<Loaded, TicketError> {
        let levels: Vec<Level> = serde_json::from_str(&row.levels).map_err(|e| {
            TicketError::Internal(anyhow::Error::new(e).context("stored levels are unreadable"))
        })?;
        let state = TicketState::parse(&row.state).ok_or_else(|| {
            TicketError::Internal(anyhow::anyhow!("unknown ticket state {:?}", row.state))
        })?;
        Ok(Loaded { row, levels, state })
    }

    pub fn pure(&self) -> workflow::Ticket {
        workflow::Ticket {
            state: self.state,
            requester_id: self.row.requester_id,
            round: self.row.round as u32,
            level_count: self.levels.len(),
            level_index_opt: self.row.level_index.map(|i| i as usize),
            rated: self.row.rating.is_some(),
        }
    }

    fn level_names(&self) -> Vec<String> {
        self.levels.iter().map(|l| l.name.clone()).collect()
    }

    pub fn view(&self) -> TicketView {
        TicketView::of(&self.row, &self.level_names())
    }

    /// The open level.
    pub fn current_level(&self) -> Result<&Level, TicketError> {
        self.row
            .level_index
            .and_then(|index| self.levels.get(index as usize))
            .ok_or(TicketError::Refused(workflow::Refusal::WrongState(
                self.state,
            )))
    }
}

impl Unit {
    /// A change the system makes (or a user, with `actor_id_opt`) to a loaded ticket.
    pub fn new(
        txn: DatabaseTransaction,
        loaded: Loaded,
        now: DateTime<Utc>,
        actor_id_opt: Option<i64>,
    ) -> Unit {
        Unit {
            txn,
            loaded,
            notices: Notices::default(),
            now,
            actor_id_opt,
            timeline: Vec::new(),
        }
    }

    /// A timeline entry of this change, by whoever makes it, naming no states.
    pub fn entry(&self, kind: &'static str, detail: Value) -> Entry {
        Entry {
            ticket_id: self.loaded.row.id,
            at: self.now,
            actor_id_opt: self.actor_id_opt,
            kind,
            from_state_opt: None,
            to_state_opt: None,
            detail,
        }
    }

    /// A timeline entry of what the system does within this change (a level opening).
    pub fn system_entry(&self, kind: &'static str, detail: Value) -> Entry {
        Entry {
            actor_id_opt: None,
            ..self.entry(kind, detail)
        }
    }

    /// Adds an entry to the change's timeline (written when it finishes).
    pub fn record(&mut self, entry: Entry) {
        self.timeline.push(entry);
    }

    /// The open level's slots of this round, in the order they were opened.
    pub async fn slots_of_open_level(&self) -> Result<Vec<ticket_approval::Model>, DbErr> {
        let Some(level_index) = self.loaded.row.level_index else {
            return Ok(Vec::new());
        };
        ticket_approval::Entity::find()
            .filter(ticket_approval::Column::TicketId.eq(self.loaded.row.id))
            .filter(ticket_approval::Column::Round.eq(self.loaded.row.round))
            .filter(ticket_approval::Column::LevelIndex.eq(level_index))
            .order_by_asc(ticket_approval::Column::Id)
            .all(&self.txn)
            .await
    }

    /// Applies the `DecideSlot` effects: the signer's decision on their (or a delegator's)
    /// slot.
    pub async fn decide_slots(
        &mut self,
        transition: &Transition,
        slots: &[ticket_approval::Model],
        comment_opt: Option<String>,
    ) -> Result<(), DbErr> {
        for effect in &transition.effects {
            if let Effect::DecideSlot {
                slot_index,
                decision,
            } = effect
            {
                let mut active: ticket_approval::ActiveModel = slots[*slot_index].clone().into();
                active.decision = Set(decision.as_str().to_owned());
                active.decided_by = Set(self.actor_id_opt);
                active.comment = Set(comment_opt.clone());
                active.decided_at = Set(Some(self.now));
                self.notices.closed.push(active.update(&self.txn).await?);
            }
        }
        Ok(())
    }

    /// Closes the open level's slots still pending (and not closed by this change).
    pub async fn cancel_pending(&mut self, slots: &[ticket_approval::Model]) -> Result<(), DbErr> {
        for slot in slots {
            let closed_now = self.notices.closed.iter().any(|c| c.id == slot.id);
            if slot.decision == Decision::Pending.as_str() && !closed_now {
                let mut active: ticket_approval::ActiveModel = slot.clone().into();
                active.decision = Set(Decision::Cancelled.as_str().to_owned());
                active.decided_at = Set(Some(self.now));
                self.notices.closed.push(active.update(&self.txn).await?);
            }
        }
        Ok(())
    }

    /// Writes the ticket row, one version up, if nobody else did first.
    pub async fn save(&mut self) -> Result<(), TicketError> {
        let row = &self.loaded.row;
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
            .col_expr(ticket::Column::UpdatedAt, Expr::value(self.now))
            .col_expr(ticket::Column::Version, Expr::value(row.version + 1))
            .filter(ticket::Column::Id.eq(row.id))
            .filter(ticket::Column::Version.eq(row.version))
            .exec(&self.txn)
            .await?;
        if updated.rows_affected == 0 {
            return Err(TicketError::ChangedMeanwhile);
        }
        self.loaded.row.version += 1;
        self.loaded.row.updated_at = self.now;
        Ok(())
    }
}

pub(super) fn slot_of(model: &ticket_approval::Model) -> Slot {
    Slot {
        approver_id: model.approver_id,
        decision: Decision::parse(&model.decision).unwrap_or(Decision::Cancelled),
    }
}
