//! Alarms on the record: rules stored as data (seeded with the defaults), and each data
//! center's alarm writer, which applies the alarm engine's events to the `alarms` table in
//! order and only then announces them on `device/{id}`, `dc/{id}` and `overview`, so that
//! every announced alarm carries its id and survives a crash.
//!
//! A raised root-cause alarm (not a symptom of an upstream failure), and one left
//! unacknowledged too long (escalated), is mailed to the people of the bureau whose route
//! takes it (`notify::alarm_mail`: by default admins and operators are mailed major or worse,
//! admins and managers escalations), in the transaction that records it, and posted to the
//! notification channels that carry it (`notify::dispatch`). An alarm raised in a
//! maintenance window ([`maintenance`](super::maintenance)) is recorded as suppressed and
//! told, if still active, when the window ends ([`release_suppressed`]). Alarms outlive a
//! restart: a data center takes its open ones back ([`open_alarms`]) before its devices
//! poll, acknowledgements and escalations included.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;
use utoipa::ToSchema;
use yunguan_actors::alarm::{
    Acknowledgement, ActiveAlarm, AlarmEvent, AlarmKey, ClearReason, RecordedAlarm, Severity,
};

use super::{datetime_of_ms, maintenance};
use crate::clock::Clock;
use crate::db::entities::{alarm, device};
use crate::hub::{EventData, EventKind, Hub, Topic};
use crate::mail::outbox;
use crate::mail::settings::MailSettings;
use crate::mail::templates::{alarm_template_name, AlarmMailParams};
use crate::notify::alarm_mail;
use crate::notify::alarm_route::AlarmFacts;
use crate::notify::dispatch::{self, AlarmNotice};
use crate::outbox::Nudge;
use crate::severity;

/// The states an alarm row goes through.
pub const RAISED: &str = "raised";
pub const ACKNOWLEDGED: &str = "acknowledged";
pub const CLEARED: &str = "cleared";

/// An alarm as the API and the events show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlarmView {
    pub id: i64,
    pub rule_id: i64,
    pub rule_name: String,
    pub device_id: i64,
    pub device_name: String,
    pub data_center_id: i64,
    pub instance: Option<String>,
    pub occurrence: i64,
    pub severity: String,
    pub state: String,
    pub flapping: bool,
    pub caused_by_device_id: Option<i64>,
    pub value: f64,
    pub raised_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<i64>,
    pub cleared_at: Option<DateTime<Utc>>,
    pub cleared_by: Option<i64>,
    /// Why it cleared: `condition_ended`, `operator`, `device_removed` (the device left
    /// monitoring), `rule_removed`, `rule_changed` (its rule was disabled or no longer
    /// covers the device) or `restart` (left open by a version before alarms outlived
    /// restarts).
    pub clear_reason: Option<String>,
    /// When the managers were told nobody acknowledged it in time.
    pub escalated_at: Option<DateTime<Utc>>,
    /// The maintenance window it was raised in: recorded, told to nobody meanwhile.
    pub suppressed_by_window_id: Option<i64>,
    /// While it is held back, when the window's occurrence ends (it is told then if still
    /// active); null once told or cleared.
    pub suppressed_until: Option<DateTime<Utc>>,
}

impl EventData for AlarmView {}

impl From<alarm::Model> for AlarmView {
    fn from(row: alarm::Model) -> Self {
        AlarmView {
            id: row.id,
            rule_id: row.rule_id,
            rule_name: row.rule_name,
            device_id: row.device_id,
            device_name: row.device_name,
            data_center_id: row.data_center_id,
            instance: row.instance,
            occurrence: row.occurrence,
            severity: row.severity,
            state: row.state,
            flapping: row.flapping,
            caused_by_device_id: row.caused_by_device_id,
            value: row.value,
            raised_at: row.raised_at,
            acknowledged_at: row.acknowledged_at,
            acknowledged_by: row.acknowledged_by,
            cleared_at: row.cleared_at,
            cleared_by: row.cleared_by,
            clear_reason: row.clear_reason,
            escalated_at: row.escalated_at,
            suppressed_by_window_id: row.suppressed_by_window_id,
            suppressed_until: row.suppressed_until,
        }
    }
}

/// Who is told of alarms by mail, and how; `nudge` wakes the mail and channel senders.
#[derive(Debug, Clone)]
pub struct Notifier {
    pub mail: MailSettings,
    pub nudge: Nudge,
}

/// What the writer is asked to do, in order.
#[derive(Debug)]
pub enum AlarmWrite {
    Event(AlarmRecord),
    /// Nobody acknowledged this occurrence in time. If a maintenance window holds it back,
    /// `held_tx` is told until when (in milliseconds since 1970): the data center asks again
    /// once it has been told for the escalation delay.
    Escalate {
        key: AlarmKey,
        occurrence: u64,
        held_tx: oneshot::Sender<u64>,
    },
}

/// An engine event with what the record needs besides.
#[derive(Debug)]
pub struct AlarmRecord {
    pub event: AlarmEvent,
    pub rule_name: String,
    pub device_name: String,
    /// Told the row once written (an operator's command waits for it).
    pub written_tx_opt: Option<oneshot::Sender<alarm::Model>>,
}

/// A data center's alarm writer: it records the engine's events and escalations in order,
/// dated by the data center's clock, and announces what it wrote.
pub struct AlarmWriter {
    pub db: DatabaseConnection,
    pub hub: Hub,
    pub notifier: Notifier,
    pub clock: Clock,
    pub data_center_id: i64,
}

impl AlarmWriter {
    /// Starts the writer; writes sent to it are applied in order.
    pub fn start(self) -> mpsc::UnboundedSender<AlarmWrite> {
        let (write_tx, mut write_rx) = mpsc::unbounded_channel::<AlarmWrite>();
        tokio::spawn(async move {
            while let Some(write) = write_rx.recv().await {
                let key = match &write {
                    AlarmWrite::Event(record) => record.event.key(),
                    AlarmWrite::Escalate { key, .. } => key,
                };
                // Every line the write logs names its alarm.
                let span = tracing::info_span!(
                    "alarm_write",
                    data_center_id = self.data_center_id,
                    rule_id = key.rule_id,
                    device_id = key.device_id,
                    instance = key.instance_opt.as_deref(),
                );
                self.write(write).instrument(span).await;
            }
        });
        write_tx
    }

    async fn write(&self, write: AlarmWrite) {
        let outcome = match write {
            AlarmWrite::Event(mut record) => {
                let outcome = self.apply(&record).await;
                if let (Ok(Some((_, row))), Some(written_tx)) =
                    (&outcome, record.written_tx_opt.take())
                {
                    let _ = written_tx.send(row.clone());
                }
                outcome
            }
            AlarmWrite::Escalate {
                key,
                occurrence,
                held_tx,
            } => self.escalate(&key, occurrence, held_tx).await,
        };
        match outcome {
            Ok(Some((kind, row))) => announce(&self.hub, kind, row).await,
            Ok(None) => {}
            Err(error) => {
                tracing::error!(%error, "cannot record an alarm event");
            }
        }
    }

    /// Applies one event; answers what to announce.
    async fn apply(
        &self,
        record: &AlarmRecord,
    ) -> Result<Option<(EventKind, alarm::Model)>, sea_orm::DbErr> {
        let now = self.clock.now();
        let updated = |row: alarm::Model| -> alarm::ActiveModel {
            let mut active: alarm::ActiveModel = row.into();
            active.updated_at = Set(now);
            active
        };
        match &record.event {
            AlarmEvent::Raised {
                key,
                occurrence,
                severity,
                value,
                at_ms,
                caused_by_opt,
            } => {
                let raised_at = datetime_of_ms(*at_ms);
                let txn = crate::db::begin(&self.db).await?;
                let silenced_opt = maintenance::silencing(
                    &txn,
                    key.device_id,
                    self.data_center_id,
                    key.rule_id,
                    raised_at,
                )
                .await?;
                let row = alarm::ActiveModel {
                    rule_id: Set(key.rule_id),
                    rule_name: Set(record.rule_name.clone()),
                    device_id: Set(key.device_id),
                    device_name: Set(record.device_name.clone()),
                    data_center_id: Set(self.data_center_id),
                    instance: Set(key.instance_opt.clone()),
                    occurrence: Set(*occurrence as i64),
                    severity: Set(severity::name(*severity).to_owned()),
                    state: Set(RAISED.to_owned()),
                    flapping: Set(false),
                    caused_by_device_id: Set(*caused_by_opt),
                    value: Set(*value),
                    raised_at: Set(raised_at),
                    acknowledged_at: Set(None),
                    acknowledged_by: Set(None),
                    cleared_at: Set(None),
                    cleared_by: Set(None),
                    clear_reason: Set(None),
                    updated_at: Set(now),
                    escalated_at: Set(None),
                    suppressed_by_window_id: Set(silenced_opt.map(|(window_id, _)| window_id)),
                    suppressed_until: Set(silenced_opt.map(|(_, until)| until)),
                    ..Default::default()
                };
                let row = row.insert(&txn).await?;
                // In a maintenance window it waits for the window's end.
                let queued = if silenced_opt.is_none() {
                    tell_raised(&txn, &self.notifier, self.clock.now(), &row).await?
                } else {
                    0
                };
                txn.commit().await?;
                if queued > 0 {
                    self.notifier.nudge.nudge();
                }
                Ok(Some((EventKind::AlarmRaised, row)))
            }
            AlarmEvent::Acknowledged {
                key,
                occurrence,
                user_id,
                at_ms,
            } => {
                let Some(row) = find(&self.db, key, *occurrence).await? else {
                    return Ok(None);
                };
                let mut active = updated(row);
                active.state = Set(ACKNOWLEDGED.to_owned());
                active.acknowledged_at = Set(Some(datetime_of_ms(*at_ms)));
                active.acknowledged_by = Set(Some(*user_id));
                Ok(Some((
                    EventKind::AlarmAcknowledged,
                    active.update(&self.db).await?,
                )))
            }
            AlarmEvent::Cleared {
                key,
                occurrence,
                reason,
                at_ms,
            } => {
                let Some(row) = find(&self.db, key, *occurrence).await? else {
                    return Ok(None);
                };
                let mut active = updated(row);
                active.state = Set(CLEARED.to_owned());
                active.cleared_at = Set(Some(datetime_of_ms(*at_ms)));
                let (reason, user_opt) = match reason {
                    ClearReason::ConditionEnded => ("condition_ended", None),
                    ClearReason::Operator { user_id } => ("operator", Some(*user_id)),
                    ClearReason::DeviceRemoved => ("device_removed", None),
                    ClearReason::RuleRemoved => ("rule_removed", None),
                    ClearReason::RuleChanged => ("rule_changed", None),
                };
                active.cleared_by = Set(user_opt);
                active.clear_reason = Set(Some(reason.to_owned()));
                active.suppressed_until = Set(None);
                Ok(Some((
                    EventKind::AlarmCleared,
                    active.update(&self.db).await?,
                )))
            }
            AlarmEvent::CauseChanged {
                key,
                occurrence,
                caused_by_opt,
                ..
            } => {
                let Some(row) = find(&self.db, key, *occurrence).await? else {
                    return Ok(None);
                };
                let mut active = updated(row);
                active.caused_by_device_id = Set(*caused_by_opt);
                Ok(Some((
                    EventKind::AlarmUpdated,
                    active.update(&self.db).await?,
                )))
            }
            AlarmEvent::CauseRecovered { .. } => Ok(None),
            AlarmEvent::FlappingStarted { key, .. } | AlarmEvent::FlappingEnded { key, .. } => {
                let flapping = matches!(record.event, AlarmEvent::FlappingStarted { .. });
                let mut query = alarm::Entity::update_many()
                    .col_expr(alarm::Column::Flapping, Expr::value(flapping))
                    .col_expr(alarm::Column::UpdatedAt, Expr::value(now))
                    .filter(alarm::Column::RuleId.eq(key.rule_id))
                    .filter(alarm::Column::DeviceId.eq(key.device_id))
                    .filter(alarm::Column::State.ne(CLEARED));
                query = match &key.instance_opt {
                    Some(instance) => query.filter(alarm::Column::Instance.eq(instance.clone())),
                    None => query.filter(alarm::Column::Instance.is_null()),
                };
                query.exec(&self.db).await?;
                Ok(None)
            }
        }
    }

    async fn escalate(
        &self,
        key: &AlarmKey,
        occurrence: u64,
        held_tx: oneshot::Sender<u64>,
    ) -> Result<Option<(EventKind, alarm::Model)>, sea_orm::DbErr> {
        let Some(row) = find(&self.db, key, occurrence).await? else {
            return Ok(None);
        };
        if row.state != RAISED || row.escalated_at.is_some() {
            return Ok(None);
        }
        // Held back by a maintenance window: it is told when the window ends, and escalated
        // only if nobody acknowledges it within the delay after that.
        if let Some(until) = row.suppressed_until {
            let _ = held_tx.send(until.timestamp_millis().max(0) as u64);
            return Ok(None);
        }
        let txn = crate::db::begin(&self.db).await?;
        let mut active: alarm::ActiveModel = row.into();
        active.escalated_at = Set(Some(self.clock.now()));
        let row = active.update(&txn).await?;
        let queued = page(&txn, &self.notifier, self.clock.now(), &row, true).await?;
        txn.commit().await?;
        if queued > 0 {
            self.notifier.nudge.nudge();
        }
        Ok(Some((EventKind::AlarmEscalated, row)))
    }
}

/// Tells of `row`, in `txn`: mails the people of the bureau whose route takes it, and posts
/// to the channels whose route takes it. Answers how many mails and posts were queued.
async fn page(
    txn: &impl ConnectionTrait,
    notifier: &Notifier,
    now: DateTime<Utc>,
    row: &alarm::Model,
    escalated: bool,
) -> Result<usize, sea_orm::DbErr> {
    // Routes take alarms by their device's kind, which the alarm row does not keep.
    let device_kind_opt = device::Entity::find_by_id(row.device_id)
        .one(txn)
        .await?
        .map(|found| found.kind);
    let facts = AlarmFacts {
        severity: severity::parse(&row.severity).unwrap_or(Severity::Critical),
        rule_id: row.rule_id,
        data_center_id: row.data_center_id,
        device_kind_opt: device_kind_opt.as_deref(),
    };
    let params = AlarmMailParams {
        alarm_id: row.id,
        severity: row.severity.clone(),
        rule_name: row.rule_name.clone(),
        device_name: row.device_name.clone(),
        instance_opt: row.instance.clone(),
        value: row.value,
        escalated,
        link: notifier.mail.alarm_link(row.id),
    };
    let rendered = notifier.mail.texts.alarm(notifier.mail.locale, &params);
    let mut queued = 0;
    for recipient in alarm_mail::recipients(txn, facts, escalated).await? {
        outbox::enqueue_rendered(
            txn,
            recipient,
            alarm_template_name(&params),
            rendered.clone(),
            None,
        )
        .await?;
        queued += 1;
    }
    let alarm = serde_json::to_value(AlarmView::from(row.clone()))
        .map_err(|error| sea_orm::DbErr::Custom(error.to_string()))?;
    queued += dispatch::alarm(
        txn,
        AlarmNotice {
            texts: &notifier.mail.texts,
            params: &params,
            facts,
            alarm,
        },
        now,
    )
    .await?;
    Ok(queued)
}

/// Tells of a raised alarm: a symptom of an upstream failure tells nobody; a root cause is
/// mailed and posted as the routes of people and channels take it.
async fn tell_raised(
    txn: &impl ConnectionTrait,
    notifier: &Notifier,
    now: DateTime<Utc>,
    row: &alarm::Model,
) -> Result<usize, sea_orm::DbErr> {
    if row.caused_by_device_id.is_some() {
        return Ok(0);
    }
    page(txn, notifier, now, row, false).await
}

/// Tells of the alarms held back by a maintenance window that has ended: one still raised is
/// told as if raised now; one acknowledged meanwhile, only released. Each is taken by one
/// node alone (the first to clear its `suppressed_until`). Answers how many were released.
pub async fn release_suppressed(
    db: &DatabaseConnection,
    hub: &Hub,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<usize, sea_orm::DbErr> {
    let due = alarm::Entity::find()
        .filter(alarm::Column::SuppressedUntil.lte(now))
        .filter(alarm::Column::State.ne(CLEARED))
        .order_by_asc(alarm::Column::Id)
        .all(db)
        .await?;
    let mut released = 0;
    for row in due {
        let txn = crate::db::begin(db).await?;
        let taken = alarm::Entity::update_many()
            .col_expr(
                alarm::Column::SuppressedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(alarm::Column::UpdatedAt, Expr::value(now))
            .filter(alarm::Column::Id.eq(row.id))
            .filter(alarm::Column::SuppressedUntil.is_not_null())
            .exec(&txn)
            .await?;
        // Another node took it first: the transaction rolls back as it drops.
        if taken.rows_affected != 1 {
            continue;
        }
        let Some(row) = alarm::Entity::find_by_id(row.id).one(&txn).await? else {
            continue;
        };
        let queued = if row.state == RAISED {
            tell_raised(&txn, notifier, now, &row).await?
        } else {
            0
        };
        txn.commit().await?;
        if queued > 0 {
            notifier.nudge.nudge();
        }
        announce(hub, EventKind::AlarmUpdated, row).await;
        released += 1;
    }
    Ok(released)
}

/// How often alarms whose maintenance window ended are looked for.
pub const RELEASE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Looks for alarms whose maintenance window has ended every `every`, for as long as the
/// runtime runs.
pub fn keep_releasing(
    db: DatabaseConnection,
    hub: Hub,
    notifier: Notifier,
    clock: Clock,
    every: std::time::Duration,
) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(error) = release_suppressed(&db, &hub, &notifier, clock.now()).await {
                tracing::warn!(%error, "cannot release alarms held back by maintenance windows");
            }
        }
    });
}

async fn find(
    db: &DatabaseConnection,
    key: &AlarmKey,
    occurrence: u64,
) -> Result<Option<alarm::Model>, sea_orm::DbErr> {
    let mut query = alarm::Entity::find()
        .filter(alarm::Column::RuleId.eq(key.rule_id))
        .filter(alarm::Column::DeviceId.eq(key.device_id))
        .filter(alarm::Column::Occurrence.eq(occurrence as i64));
    query = match &key.instance_opt {
        Some(instance) => query.filter(alarm::Column::Instance.eq(instance.clone())),
        None => query.filter(alarm::Column::Instance.is_null()),
    };
    query.order_by_desc(alarm::Column::Id).one(db).await
}

/// The alarms of a data center that are still open, as the engine takes them back after a
/// restart, with the occurrences already escalated.
pub async fn open_alarms(
    db: &DatabaseConnection,
    data_center_id: i64,
) -> Result<(Vec<RecordedAlarm>, Vec<(AlarmKey, u64)>), sea_orm::DbErr> {
    let rows = alarm::Entity::find()
        .filter(alarm::Column::DataCenterId.eq(data_center_id))
        .filter(alarm::Column::State.ne(CLEARED))
        .order_by_asc(alarm::Column::Id)
        .all(db)
        .await?;
    let mut recorded = Vec::with_capacity(rows.len());
    let mut escalated = Vec::new();
    for row in rows {
        let key = AlarmKey {
            rule_id: row.rule_id,
            device_id: row.device_id,
            instance_opt: row.instance.clone(),
        };
        let occurrence = u64::try_from(row.occurrence).unwrap_or_default();
        if row.escalated_at.is_some() {
            escalated.push((key.clone(), occurrence));
        }
        let ms = |at: DateTime<Utc>| u64::try_from(at.timestamp_millis()).unwrap_or_default();
        let acknowledged_opt = match (row.acknowledged_by, row.acknowledged_at) {
            (Some(user_id), Some(at)) => Some(Acknowledgement {
                user_id,
                at_ms: ms(at),
            }),
            _ => None,
        };
        recorded.push(RecordedAlarm {
            key,
            alarm: ActiveAlarm {
                occurrence,
                severity: severity::parse(&row.severity).unwrap_or(Severity::Major),
                condition_since_ms: ms(row.raised_at),
                raised_at_ms: ms(row.raised_at),
                raised_value: row.value,
                last_value: row.value,
                acknowledged_opt,
                caused_by_opt: row.caused_by_device_id,
                awaiting_recheck: false,
            },
            flapping: row.flapping,
        });
    }
    Ok((recorded, escalated))
}

async fn announce(hub: &Hub, kind: EventKind, row: alarm::Model) {
    let device_topic = Topic::Device(row.device_id);
    let data_center_topic = Topic::DataCenter(row.data_center_id);
    let data = AlarmView::from(row);
    for topic in [device_topic, data_center_topic, Topic::Overview] {
        if let Err(error) = hub.publish(&topic, kind, &data).await {
            tracing::warn!(%error, %topic, "cannot publish an alarm event");
        }
    }
}
