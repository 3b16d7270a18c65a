//! Which channels hear of what, and their posts written in the caller's transaction (so a
//! post exists if and only if the change it announces commits; `sender` sends it):
//!
//! - a root-cause alarm raised, or escalated, goes to every enabled bureau channel that
//!   carries alarms of its severity, and of its rule, data center and device kind where the
//!   channel names some (its route);
//! - an approval notice (a level opened, a reminder, an escalation) goes to every enabled
//!   channel that carries approvals, is the bureau's or the ticket's tenant's, and names no
//!   role or the role of one of the approvers told.
//!
//! Each channel reads the notice in its own language. The caller nudges after the commit.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use serde_json::{json, Value};
use yunguan_actors::alarm::Severity;

use super::alarm_route::{json_list, AlarmFacts, AlarmRoute};
use super::messages::{ChannelKind, Event, Notice};
use crate::db::entities::{notification_channel, notification_delivery};
use crate::identity::Role;
use crate::mail::templates::{AlarmMailParams, Locale, Template, Texts, TicketMailParams};
use crate::severity;

/// An alarm to post: what its mail says, what routes match, and the alarm itself for
/// webhooks.
pub struct AlarmNotice<'a> {
    pub texts: &'a Texts,
    pub params: &'a AlarmMailParams,
    pub facts: AlarmFacts<'a>,
    pub alarm: Value,
}

/// The route of a channel that carries alarms.
fn route_of(channel: &notification_channel::Model) -> AlarmRoute {
    AlarmRoute {
        min_severity: severity::parse(&channel.min_severity).unwrap_or(Severity::Major),
        rule_ids_opt: json_list(channel.rule_ids.as_deref()),
        data_center_ids_opt: json_list(channel.data_center_ids.as_deref()),
        device_kinds_opt: json_list(channel.device_kinds.as_deref()),
    }
}

/// Posts `notice` to the channels that carry it; answers how many posts were queued.
pub async fn alarm(
    txn: &impl ConnectionTrait,
    notice: AlarmNotice<'_>,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let event = if notice.params.escalated {
        Event::AlarmEscalated
    } else {
        Event::AlarmRaised
    };
    let channels = notification_channel::Entity::find()
        .filter(notification_channel::Column::Enabled.eq(true))
        .filter(notification_channel::Column::Alarms.eq(true))
        .filter(notification_channel::Column::TenantId.is_null())
        .all(txn)
        .await?;
    let mut queued = 0;
    for channel in channels
        .iter()
        .filter(|channel| route_of(channel).takes(notice.facts))
    {
        let mail = notice.texts.alarm(locale_of(channel), notice.params);
        let posted = Notice::from_mail(
            event,
            mail,
            notice.params.link.clone(),
            notice.alarm.clone(),
            now,
        );
        enqueue(txn, channel, &posted, now).await?;
        queued += 1;
    }
    Ok(queued)
}

/// An approval notice to post: the ticket, the level, and the roles of the approvers told.
pub struct ApprovalNotice<'a> {
    pub texts: &'a Texts,
    pub template: Template,
    pub tenant_id: i64,
    pub params: &'a TicketMailParams,
    pub approver_roles: Vec<Role>,
}

/// Posts `notice` to the channels that carry it; answers how many posts were queued. Other
/// templates than approval notices (a rejection, a fulfilment) post nothing.
pub async fn approval(
    txn: &impl ConnectionTrait,
    notice: ApprovalNotice<'_>,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let event = match notice.template {
        Template::NewApproval => Event::ApprovalRequested,
        Template::Reminder => Event::ApprovalReminder,
        Template::Escalation => Event::ApprovalEscalated,
        Template::Rejection | Template::Done | Template::TaskAssigned => return Ok(0),
    };
    let channels = notification_channel::Entity::find()
        .filter(notification_channel::Column::Enabled.eq(true))
        .filter(notification_channel::Column::Approvals.eq(true))
        .filter(
            notification_channel::Column::TenantId
                .is_null()
                .or(notification_channel::Column::TenantId.eq(notice.tenant_id)),
        )
        .all(txn)
        .await?;
    let params = notice.params;
    let data = json!({
        "ticket_id": params.ticket_id,
        "tenant_id": notice.tenant_id,
        "title": params.title,
        "requester": params.requester,
        "level": params.level_name_opt,
        "approver_roles": notice.approver_roles,
    });
    let mut queued = 0;
    for channel in channels {
        let wanted = match channel.approver_role.as_deref().and_then(Role::parse) {
            Some(role) => notice.approver_roles.contains(&role),
            None => true,
        };
        if !wanted {
            continue;
        }
        let mail = notice
            .texts
            .ticket(notice.template, locale_of(&channel), params);
        let posted = Notice::from_mail(event, mail, params.link.clone(), data.clone(), now);
        enqueue(txn, &channel, &posted, now).await?;
        queued += 1;
    }
    Ok(queued)
}

/// Posts a test message to `channel`, whatever it carries; answers the post's id.
pub async fn test(
    txn: &impl ConnectionTrait,
    channel: &notification_channel::Model,
    link: String,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let (title, text) = match locale_of(channel) {
        Locale::ZhCn => (
            "【测试】云管平台通知渠道".to_owned(),
            format!("这是一条测试消息：通知渠道「{}」已可以接收云管平台的告警和审批通知。", channel.name),
        ),
        Locale::En => (
            "[Test] yunguan notification channel".to_owned(),
            format!("A test message: the channel \"{}\" receives yunguan's alarms and approval notices.", channel.name),
        ),
    };
    let notice = Notice {
        event: Event::Test,
        title,
        text,
        link,
        data: json!({"channel_id": channel.id}),
        created_at: now,
    };
    enqueue(txn, channel, &notice, now).await
}

async fn enqueue(
    txn: &impl ConnectionTrait,
    channel: &notification_channel::Model,
    notice: &Notice,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let kind = ChannelKind::parse(&channel.kind).unwrap_or(ChannelKind::Webhook);
    let row = notification_delivery::ActiveModel {
        channel_id: Set(channel.id),
        event: Set(notice.event.as_str().to_owned()),
        body: Set(notice.body(kind)),
        attempts: Set(0),
        next_attempt_at: Set(now),
        delivered_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        ..Default::default()
    };
    Ok(notification_delivery::Entity::insert(row)
        .exec(txn)
        .await?
        .last_insert_id)
}

fn locale_of(channel: &notification_channel::Model) -> Locale {
    Locale::parse(&channel.locale).unwrap_or_default()
}
