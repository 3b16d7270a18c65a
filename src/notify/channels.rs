//! Administering channels: who may see and change which, what a valid channel is, and the
//! views the API answers. Bureau admins keep every channel, the bureau's (alarms and any
//! tenant's approvals) and tenants'; a tenant admin keeps their tenant's, which carry that
//! tenant's approval notices only. Every change is audited; neither the address nor the
//! secret is ever answered (the address's query holds a robot's token).

use chrono::{DateTime, Utc};
use reqwest::Url;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use yunguan_actors::alarm::Severity;

use super::alarm_route::{check_places, json_list, MAX_IDS};
use super::messages::ChannelKind;
use crate::audit::{self, AuditActor, AuditEntry};
use crate::db::entities::{alarm_rule, notification_channel, notification_delivery};
use crate::error::FieldError;
use crate::identity::accounts::Administrator;
use crate::identity::Role;
use crate::inventory::crud::{nullable, present, Checker};
use crate::mail::templates::Locale;
use crate::secrets::Sealer;
use crate::severity::{self, SeverityName};

/// What the address and secret are sealed for.
pub const TARGET_PURPOSE: &str = "notification_channel.target";

const NAME_MAX_CHARS: usize = 100;
const URL_MAX_CHARS: usize = 2000;
const SECRET_MAX_CHARS: usize = 200;

/// Where a channel posts, and how it signs: sealed together. Not `Debug`, so that it never
/// reaches a log.
#[derive(Serialize, Deserialize)]
pub struct Target {
    pub url: String,
    pub secret_opt: Option<String>,
}

/// A channel as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelView {
    pub id: i64,
    pub name: String,
    pub kind: ChannelKind,
    /// The address without its query or credentials.
    pub endpoint: String,
    /// Posts are signed (the channel has a secret).
    pub signed: bool,
    /// A tenant's channel; `null` for the bureau's.
    pub tenant_id: Option<i64>,
    pub alarms: bool,
    /// The least severity of alarm posted: `info`, `minor`, `major` or `critical`.
    pub min_severity: String,
    /// Only alarms of these rules; `null` for every rule.
    pub rule_ids: Option<Vec<i64>>,
    /// Only alarms of devices in these data centers; `null` for every data center.
    pub data_center_ids: Option<Vec<i64>>,
    /// Only alarms of devices of these kinds (`switch`, `server`, ...); `null` for every kind.
    pub device_kinds: Option<Vec<String>>,
    pub approvals: bool,
    /// Only approval notices to approvers of this role; `null` for any.
    pub approver_role: Option<Role>,
    /// `zh-CN` or `en`.
    pub locale: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new channel, or a change to one: on a change, an absent field keeps its value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelInput {
    /// 1 to 100 characters. Required on create.
    pub name: Option<String>,
    /// Required on create; not changed afterwards.
    pub kind: Option<ChannelKind>,
    /// The `http` or `https` address posted to, e.g. a DingTalk robot's
    /// `https://oapi.dingtalk.com/robot/send?access_token=…`. Required on create; never
    /// answered.
    pub url: Option<String>,
    /// Signs every post (webhook: HMAC-SHA256; DingTalk: 加签). WeCom robots take none.
    /// Never answered; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub secret: Option<Option<String>>,
    /// A tenant's channel (bureau admins only name one; a tenant admin's is always their
    /// own). Set on create only.
    pub tenant_id: Option<i64>,
    /// Post root-cause alarms and their escalations (the bureau's channels only).
    pub alarms: Option<bool>,
    /// Default `major`.
    #[schema(inline)]
    pub min_severity: Option<SeverityName>,
    /// Only these alarm rules; `null` for every rule.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<i64>>)]
    pub rule_ids: Option<Option<Vec<i64>>>,
    /// Only alarms of devices in these data centers; `null` for every data center.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<i64>>)]
    pub data_center_ids: Option<Option<Vec<i64>>>,
    /// Only alarms of devices of these kinds; `null` for every kind.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub device_kinds: Option<Option<Vec<String>>>,
    /// Post approval notices: a level opened, a reminder, an escalation.
    pub approvals: Option<bool>,
    /// Only notices to approvers of this role; `null` for any.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Role>)]
    pub approver_role: Option<Option<Role>>,
    /// `zh-CN` (default) or `en`.
    pub locale: Option<String>,
    /// Default true. Posts to a disabled channel wait until it is enabled again.
    pub enabled: Option<bool>,
}

/// One post to a channel, and how it went.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub event: String,
    pub attempts: i32,
    /// When it is (or was) next tried; `null` once delivered.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<notification_delivery::Model> for DeliveryView {
    fn from(row: notification_delivery::Model) -> DeliveryView {
        DeliveryView {
            id: row.id,
            event: row.event,
            attempts: row.attempts,
            next_attempt_at: row.delivered_at.is_none().then_some(row.next_attempt_at),
            delivered_at: row.delivered_at,
            last_error: row.last_error,
            created_at: row.created_at,
        }
    }
}

/// Whether `admin` keeps `row`: bureau admins every channel, a tenant admin their tenant's
/// (the rule of `Administrator`, as for accounts).
fn keeps(admin: Administrator, row: &notification_channel::Model) -> bool {
    match admin {
        Administrator::Bureau { .. } => true,
        Administrator::Tenant { tenant_id, .. } => row.tenant_id == Some(tenant_id),
    }
}

pub fn view(sealer: &Sealer, row: notification_channel::Model) -> ChannelView {
    let signed = sealer
        .open_json::<Target>(TARGET_PURPOSE, &row.target_sealed)
        .map(|target| target.secret_opt.is_some())
        .unwrap_or(false);
    ChannelView {
        id: row.id,
        name: row.name,
        kind: ChannelKind::parse(&row.kind).unwrap_or(ChannelKind::Webhook),
        endpoint: row.endpoint,
        signed,
        tenant_id: row.tenant_id,
        alarms: row.alarms,
        min_severity: row.min_severity,
        rule_ids: json_list(row.rule_ids.as_deref()),
        data_center_ids: json_list(row.data_center_ids.as_deref()),
        device_kinds: json_list(row.device_kinds.as_deref()),
        approvals: row.approvals,
        approver_role: row.approver_role.as_deref().and_then(Role::parse),
        locale: row.locale,
        enabled: row.enabled,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

pub async fn list(
    db: &DatabaseConnection,
    sealer: &Sealer,
    admin: Administrator,
) -> Result<Vec<ChannelView>, ChannelError> {
    let mut query =
        notification_channel::Entity::find().order_by_asc(notification_channel::Column::Id);
    if let Administrator::Tenant { tenant_id, .. } = admin {
        query = query.filter(notification_channel::Column::TenantId.eq(tenant_id));
    }
    Ok(query
        .all(db)
        .await?
        .into_iter()
        .map(|row| view(sealer, row))
        .collect())
}

/// The channel, if the admin keeps it; another's is not found.
pub async fn find(
    db: &impl ConnectionTrait,
    admin: Administrator,
    channel_id: i64,
) -> Result<notification_channel::Model, ChannelError> {
    notification_channel::Entity::find_by_id(channel_id)
        .one(db)
        .await?
        .filter(|row| keeps(admin, row))
        .ok_or(ChannelError::NotFound("notification channel"))
}

/// The latest posts to a channel, newest first.
pub async fn deliveries(
    db: &DatabaseConnection,
    admin: Administrator,
    channel_id: i64,
    limit: u64,
) -> Result<Vec<DeliveryView>, ChannelError> {
    find(db, admin, channel_id).await?;
    Ok(notification_delivery::Entity::find()
        .filter(notification_delivery::Column::ChannelId.eq(channel_id))
        .order_by_desc(notification_delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(DeliveryView::from)
        .collect())
}

/// One post, by id.
pub async fn delivery(
    db: &DatabaseConnection,
    delivery_id: i64,
) -> Result<DeliveryView, ChannelError> {
    notification_delivery::Entity::find_by_id(delivery_id)
        .one(db)
        .await?
        .map(DeliveryView::from)
        .ok_or(ChannelError::NotFound("delivery"))
}

/// Why a channel was not read or changed.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// What was asked for: a channel, or a delivery.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A tenant's administrator naming another tenant.
    #[error("your role does not allow this")]
    OtherTenant,
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Store(#[from] DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What a [`Checker`](crate::inventory::crud::Checker) found, with `?`.
impl From<Vec<FieldError>> for ChannelError {
    fn from(problems: Vec<FieldError>) -> Self {
        ChannelError::Invalid(problems)
    }
}

/// Who changes a channel, and when.
pub struct Change<'a> {
    pub admin: Administrator,
    pub actor: &'a AuditActor,
    pub default_locale: Locale,
    pub now: DateTime<Utc>,
}

pub async fn create(
    db: &DatabaseConnection,
    sealer: &Sealer,
    change: Change<'_>,
    input: ChannelInput,
) -> Result<ChannelView, ChannelError> {
    let tenant_id_opt = match (change.admin, input.tenant_id) {
        (Administrator::Bureau { .. }, tenant_id_opt) => tenant_id_opt,
        (Administrator::Tenant { tenant_id: own, .. }, None) => Some(own),
        (Administrator::Tenant { tenant_id: own, .. }, Some(named)) if named == own => Some(own),
        (Administrator::Tenant { .. }, Some(_)) => return Err(ChannelError::OtherTenant),
    };
    let fields = check(db, &input, None, tenant_id_opt, change.default_locale).await?;
    let target = Target {
        url: fields.url,
        secret_opt: fields.secret_opt,
    };
    let txn = crate::db::begin(db).await?;
    let row = notification_channel::ActiveModel {
        name: Set(fields.name),
        kind: Set(fields.kind.as_str().to_owned()),
        endpoint: Set(fields.endpoint),
        target_sealed: Set(seal(sealer, &target)?),
        tenant_id: Set(tenant_id_opt),
        alarms: Set(fields.alarms),
        min_severity: Set(fields.min_severity),
        rule_ids: Set(fields.rule_ids_json),
        data_center_ids: Set(fields.data_center_ids_json),
        device_kinds: Set(fields.device_kinds_json),
        approvals: Set(fields.approvals),
        approver_role: Set(fields.approver_role),
        locale: Set(fields.locale),
        enabled: Set(fields.enabled),
        created_at: Set(change.now),
        updated_at: Set(change.now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let created = view(sealer, row);
    record(
        &txn,
        &change,
        "notification_channel.create",
        None,
        Some(&created),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update(
    db: &DatabaseConnection,
    sealer: &Sealer,
    change: Change<'_>,
    channel_id: i64,
    input: ChannelInput,
) -> Result<ChannelView, ChannelError> {
    let txn = crate::db::begin(db).await?;
    let existing = find(&txn, change.admin, channel_id).await?;
    if input
        .tenant_id
        .is_some_and(|tenant_id| Some(tenant_id) != existing.tenant_id)
    {
        return Err(ChannelError::Invalid(vec![FieldError::new(
            "tenant_id",
            "cannot be changed",
        )]));
    }
    let stored: Target = sealer
        .open_json(TARGET_PURPOSE, &existing.target_sealed)
        .map_err(ChannelError::Internal)?;
    let fields = check(
        &txn,
        &input,
        Some((&existing, &stored)),
        existing.tenant_id,
        change.default_locale,
    )
    .await?;
    let before = view(sealer, existing.clone());
    let target = Target {
        url: fields.url,
        secret_opt: fields.secret_opt,
    };
    let mut row: notification_channel::ActiveModel = existing.clone().into();
    row.name = Set(fields.name);
    row.endpoint = Set(fields.endpoint);
    row.target_sealed = Set(seal(sealer, &target)?);
    row.alarms = Set(fields.alarms);
    row.min_severity = Set(fields.min_severity);
    row.rule_ids = Set(fields.rule_ids_json);
    row.data_center_ids = Set(fields.data_center_ids_json);
    row.device_kinds = Set(fields.device_kinds_json);
    row.approvals = Set(fields.approvals);
    row.approver_role = Set(fields.approver_role);
    row.locale = Set(fields.locale);
    row.enabled = Set(fields.enabled);
    row.updated_at = Set(change.now);
    let row = row.update(&txn).await?;
    if row.enabled && !existing.enabled {
        // What waited while the channel was off goes out now.
        notification_delivery::Entity::update_many()
            .col_expr(
                notification_delivery::Column::NextAttemptAt,
                sea_orm::sea_query::Expr::value(change.now),
            )
            .filter(notification_delivery::Column::ChannelId.eq(row.id))
            .filter(notification_delivery::Column::DeliveredAt.is_null())
            .exec(&txn)
            .await?;
    }
    let after = view(sealer, row);
    record(
        &txn,
        &change,
        "notification_channel.update",
        Some(&before),
        Some(&after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes a channel and what it had not yet been sent.
pub async fn delete(
    db: &DatabaseConnection,
    sealer: &Sealer,
    change: Change<'_>,
    channel_id: i64,
) -> Result<(), ChannelError> {
    let txn = crate::db::begin(db).await?;
    let existing = find(&txn, change.admin, channel_id).await?;
    // SQLite enforces the cascade only with its foreign keys on; say it outright.
    notification_delivery::Entity::delete_many()
        .filter(notification_delivery::Column::ChannelId.eq(channel_id))
        .exec(&txn)
        .await?;
    notification_channel::Entity::delete_by_id(channel_id)
        .exec(&txn)
        .await?;
    let before = view(sealer, existing);
    record(
        &txn,
        &change,
        "notification_channel.delete",
        Some(&before),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn seal(sealer: &Sealer, target: &Target) -> Result<String, ChannelError> {
    sealer
        .seal_json(TARGET_PURPOSE, target)
        .map_err(ChannelError::Internal)
}

async fn record(
    txn: &impl ConnectionTrait,
    change: &Change<'_>,
    action: &str,
    before_opt: Option<&ChannelView>,
    after_opt: Option<&ChannelView>,
) -> Result<(), ChannelError> {
    let to_value = |view: &ChannelView| {
        serde_json::to_value(view).map_err(|e| ChannelError::Internal(e.into()))
    };
    let subject = after_opt
        .or(before_opt)
        .expect("a change has a before or an after");
    audit::append(
        txn,
        AuditEntry {
            actor: change.actor,
            action,
            object_type: "notification_channel",
            object_id: subject.id,
            tenant_id_opt: subject.tenant_id,
            before_opt: before_opt.map(to_value).transpose()?,
            after_opt: after_opt.map(to_value).transpose()?,
        },
        change.now,
    )
    .await?;
    Ok(())
}

/// A channel's fields once checked.
struct Fields {
    name: String,
    kind: ChannelKind,
    url: String,
    endpoint: String,
    secret_opt: Option<String>,
    alarms: bool,
    min_severity: String,
    rule_ids_json: Option<String>,
    data_center_ids_json: Option<String>,
    device_kinds_json: Option<String>,
    approvals: bool,
    approver_role: Option<String>,
    locale: String,
    enabled: bool,
}

/// Checks `input` over `existing` (a change) or nothing (a create); reports every field
/// that is wrong at once.
async fn check(
    db: &impl ConnectionTrait,
    input: &ChannelInput,
    existing_opt: Option<(&notification_channel::Model, &Target)>,
    tenant_id_opt: Option<i64>,
    default_locale: Locale,
) -> Result<Fields, ChannelError> {
    let (row_opt, target_opt) = match existing_opt {
        Some((row, target)) => (Some(row), Some(target)),
        None => (None, None),
    };
    let mut checker = Checker::default();
    let name = checker.required("name", input.name.clone(), row_opt.map(|r| r.name.clone()));
    checker.text("name", &name, NAME_MAX_CHARS);
    let kind = match (row_opt, input.kind) {
        (Some(row), Some(kind)) if row.kind != kind.as_str() => {
            checker.problem("kind", "cannot be changed; make a new channel");
            kind
        }
        (Some(row), _) => ChannelKind::parse(&row.kind).unwrap_or(ChannelKind::Webhook),
        (None, kind_opt) => checker
            .required("kind", kind_opt.map(Some), None)
            .unwrap_or(ChannelKind::Webhook),
    };
    let url = checker.required("url", input.url.clone(), target_opt.map(|t| t.url.clone()));
    let endpoint = match endpoint_of(&url) {
        Ok(endpoint) => endpoint,
        Err(problem) => {
            checker.problem("url", problem);
            String::new()
        }
    };
    let secret_opt = nullable(
        input.secret.clone(),
        target_opt.map(|t| t.secret_opt.clone()),
    );
    match &secret_opt {
        Some(_) if kind == ChannelKind::Wecom => checker.problem(
            "secret",
            "WeCom group robots sign nothing; the key in the address is the secret",
        ),
        Some(secret) if secret.is_empty() || secret.chars().count() > SECRET_MAX_CHARS => checker
            .problem(
                "secret",
                format!("must be 1 to {SECRET_MAX_CHARS} characters"),
            ),
        _ => {}
    }
    let alarms = input.alarms.or(row_opt.map(|r| r.alarms)).unwrap_or(false);
    if alarms && tenant_id_opt.is_some() {
        checker.problem("alarms", "only the bureau's channels carry alarms");
    }
    let approvals = input
        .approvals
        .or(row_opt.map(|r| r.approvals))
        .unwrap_or(false);
    if !alarms && !approvals {
        checker.problem("approvals", "a channel carries alarms, approvals or both");
    }
    let min_severity = match input.min_severity {
        Some(name) => severity::name(Severity::from(name)).to_owned(),
        None => row_opt.map_or_else(
            || severity::name(Severity::Major).to_owned(),
            |r| r.min_severity.clone(),
        ),
    };
    let rule_ids = nullable(
        input.rule_ids.clone(),
        row_opt.map(|r| {
            r.rule_ids
                .as_deref()
                .and_then(|ids| serde_json::from_str(ids).ok())
        }),
    );
    if let Some(ids) = &rule_ids {
        check_rules(db, &mut checker, ids).await?;
    }
    let data_center_ids = nullable(
        input.data_center_ids.clone(),
        row_opt.map(|r| json_list(r.data_center_ids.as_deref())),
    );
    let device_kinds = nullable(
        input.device_kinds.clone(),
        row_opt.map(|r| json_list(r.device_kinds.as_deref())),
    );
    check_places(
        db,
        &mut checker,
        data_center_ids.as_deref(),
        device_kinds.as_deref(),
    )
    .await?;
    let approver_role = nullable(
        input.approver_role,
        row_opt.map(|r| r.approver_role.as_deref().and_then(Role::parse)),
    );
    let locale = match (&input.locale, row_opt) {
        (Some(tag), _) => match Locale::parse(tag) {
            Some(locale) => locale_tag(locale),
            None => {
                checker.problem("locale", "must be zh-CN or en");
                String::new()
            }
        },
        (None, Some(row)) => row.locale.clone(),
        (None, None) => locale_tag(default_locale),
    };
    let enabled = input.enabled.or(row_opt.map(|r| r.enabled)).unwrap_or(true);
    checker.finish()?;
    Ok(Fields {
        name: name.trim().to_owned(),
        kind,
        url,
        endpoint,
        secret_opt,
        alarms,
        min_severity,
        rule_ids_json: rule_ids.map(|ids| Value::from(ids).to_string()),
        data_center_ids_json: data_center_ids.map(|ids| Value::from(ids).to_string()),
        device_kinds_json: device_kinds.map(|kinds| Value::from(kinds).to_string()),
        approvals,
        approver_role: approver_role.map(|role| role.as_str().to_owned()),
        locale,
        enabled,
    })
}

async fn check_rules(
    db: &impl ConnectionTrait,
    checker: &mut Checker,
    ids: &[i64],
) -> Result<(), ChannelError> {
    if ids.is_empty() || ids.len() > MAX_IDS {
        checker.problem(
            "rule_ids",
            format!("must name 1 to {MAX_IDS} rules, or be null"),
        );
        return Ok(());
    }
    let found: Vec<i64> = alarm_rule::Entity::find()
        .select_only()
        .column(alarm_rule::Column::Id)
        .filter(alarm_rule::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    if let Some(missing) = ids.iter().find(|id| !found.contains(id)) {
        checker.problem("rule_ids", format!("there is no alarm rule {missing}"));
    }
    Ok(())
}

pub fn locale_tag(locale: Locale) -> String {
    match locale {
        Locale::ZhCn => "zh-CN",
        Locale::En => "en",
    }
    .to_owned()
}

/// The address as shown: scheme, host, port and path; or why it is not one to post to.
fn endpoint_of(url: &str) -> Result<String, String> {
    if url.chars().count() > URL_MAX_CHARS {
        return Err(format!("must be at most {URL_MAX_CHARS} characters"));
    }
    let parsed = Url::parse(url).map_err(|error| format!("is not an address: {error}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must be an http or https address".to_owned());
    }
    let host = parsed.host_str().ok_or("must name a host")?;
    let port = parsed
        .port()
        .map(|port| format!(":{port}"))
        .unwrap_or_default();
    Ok(format!(
        "{}://{host}{port}{}",
        parsed.scheme(),
        parsed.path()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_hides_the_token_and_credentials() {
        assert_eq!(
            endpoint_of("https://oapi.dingtalk.com/robot/send?access_token=abc").unwrap(),
            "https://oapi.dingtalk.com/robot/send"
        );
        assert_eq!(
            endpoint_of("http://user:pass@127.0.0.1:9000/hook#x").unwrap(),
            "http://127.0.0.1:9000/hook"
        );
        assert!(endpoint_of("ftp://example.com/").is_err());
        assert!(endpoint_of("not a url").is_err());
    }
}
