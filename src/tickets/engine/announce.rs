//! Ending a change: the idempotent answer stored, mail and channel notices queued and the
//! audit record appended in its transaction, the commit, and only then the pushes.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, SqlErr};

use super::unit::{Entry, InboxNotice, Notices, Unit};
use super::{to_text, Closing, Engine, Executed};
use crate::audit::{self, AuditEntry};
use crate::db::entities::{idempotency_key, ticket_approval, user};
use crate::hub::{EventData, EventKind, Topic};
use crate::identity::Role;
use crate::mail::outbox::{self, OutgoingMail};
use crate::mail::templates::{Template, TicketMailParams};
use crate::notify::dispatch::{self, ApprovalNotice};
use crate::tickets::views::{ApprovalView, InboxItem, TicketMovedEvent, TicketView};
use crate::tickets::TicketError;

impl Engine {
    /// Writes the timeline, stores the idempotent answer, queues the notices, audits,
    /// commits, then pushes.
    pub(super) async fn finish(
        &self,
        mut unit: Unit,
        closing: Closing,
    ) -> Result<Executed, TicketError> {
        let view = unit.loaded.view();
        if let Some((user_id, idempotency)) = &closing.idempotency_opt {
            let stored = idempotency_key::ActiveModel {
                user_id: Set(*user_id),
                key: Set(idempotency.key.clone()),
                fingerprint: Set(idempotency.fingerprint.clone()),
                status: Set(200),
                body: Set(to_text(&view)?),
                created_at: Set(unit.now),
                ..Default::default()
            }
            .insert(&unit.txn)
            .await;
            if let Err(error) = stored {
                return Err(match error.sql_err() {
                    // The same key is being used by a concurrent request, which will answer.
                    Some(SqlErr::UniqueConstraintViolation(_)) => TicketError::IdempotencyKeyInUse,
                    _ => error.into(),
                });
            }
        }
        Entry::insert_all(&unit.txn, std::mem::take(&mut unit.timeline)).await?;
        let queued = self.queue_notices(&unit).await?;
        let to_value = |view: &TicketView| {
            serde_json::to_value(view).map_err(|e| TicketError::Internal(e.into()))
        };
        let entry = AuditEntry {
            actor: &closing.audit_actor,
            action: &closing.audit_action,
            object_type: "ticket",
            object_id: view.id,
            tenant_id_opt: Some(view.tenant_id),
            before_opt: closing.before_opt.as_ref().map(to_value).transpose()?,
            after_opt: Some(to_value(&view)?),
        };
        audit::append(&unit.txn, entry, unit.now).await?;
        let Unit {
            txn,
            mut notices,
            loaded,
            ..
        } = unit;
        // From the commit on the database holds the reservation; a hold kept past it would
        // count twice for the next admission.
        notices.admissions.clear();
        txn.commit().await?;
        if queued {
            self.nudge.nudge();
        }
        self.publish(&view, notices).await;
        Ok(Executed {
            ticket: view,
            replayed: false,
            committed_opt: Some(loaded.row),
        })
    }

    /// Queues the change's mail to those of its recipients who have an address, and its
    /// approval notices to the channels that carry them; answers whether anything was queued.
    async fn queue_notices(&self, unit: &Unit) -> Result<bool, TicketError> {
        let mails = &unit.notices.mails;
        if mails.is_empty() {
            return Ok(false);
        }
        let row = &unit.loaded.row;
        let mut user_ids: Vec<i64> = mails.iter().map(|(user_id, ..)| *user_id).collect();
        user_ids.push(row.requester_id);
        let users = user::Entity::find()
            .filter(user::Column::Id.is_in(user_ids))
            .all(&unit.txn)
            .await?;
        let requester = users
            .iter()
            .find(|u| u.id == row.requester_id)
            .map_or_else(String::new, |u| u.display_name.clone());
        let params_for = |level_name_opt: &Option<String>| TicketMailParams {
            ticket_id: row.id,
            title: row.title.clone(),
            requester: requester.clone(),
            level_name_opt: level_name_opt.clone(),
            reason_opt: row.reason.clone(),
            link: self.mail.ticket_link(row.id),
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
            let mail = OutgoingMail {
                recipient: email,
                template: *template,
                locale: self.mail.locale,
                ticket_id_opt: Some(row.id),
                params: params_for(level_name_opt),
            };
            outbox::enqueue(&unit.txn, &self.mail.texts, mail).await?;
            queued = true;
        }
        for (template, level_name_opt, approver_roles) in by_template(mails, &users) {
            let notice = ApprovalNotice {
                texts: &self.mail.texts,
                template,
                tenant_id: row.tenant_id,
                params: &params_for(level_name_opt),
                approver_roles,
            };
            queued |= dispatch::approval(&unit.txn, notice, unit.now).await? > 0;
        }
        Ok(queued)
    }

    /// Pushes a committed change: to the tenant's tickets, the ticket's own topic, the
    /// requester's inbox, the inboxes of approvers whose slots opened or closed, and, without
    /// its content, to the command center.
    async fn publish(&self, view: &TicketView, notices: Notices) {
        let moved = TicketMovedEvent::from(view);
        self.push(view.id, &Topic::Overview, EventKind::TicketMoved, &moved)
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
        self.push_opened(view, notices.opened, &notices.delegates)
            .await;
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

    /// Tells each approver of a slot that opened, and whoever they delegated to.
    async fn push_opened(
        &self,
        view: &TicketView,
        opened: Vec<ticket_approval::Model>,
        delegates: &[(i64, i64)],
    ) {
        for slot in opened {
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
    }

    /// One push of a committed change; a failure is logged (the change stands).
    async fn push<D: EventData>(&self, ticket_id: i64, topic: &Topic, kind: EventKind, data: &D) {
        if let Err(error) = self.hub.publish(topic, kind, data).await {
            tracing::error!(error = ?error, ticket_id, %topic, "ticket change committed but not pushed");
        }
    }
}

/// One channel notice per template and level, naming the roles of everyone it told.
fn by_template<'m>(
    mails: &'m [(i64, Template, Option<String>)],
    users: &[user::Model],
) -> Vec<(Template, &'m Option<String>, Vec<Role>)> {
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
    notices
}
