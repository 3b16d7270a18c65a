//! Who of the bureau is mailed which alarms. Every person of the bureau (admin, manager,
//! operator) has a route: their role's default until they, or a bureau admin, choose
//! another, and the default again once the choice is removed. By default admins and
//! operators are mailed root-cause alarms raised at major or worse, and admins and managers
//! the escalations. A chosen route says the least severity of raised alarm (or none),
//! whether escalations are mailed, and may name data centers and device kinds. Every choice
//! is audited; mail goes only to enabled accounts with an address.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use yunguan_actors::alarm::Severity;

use super::alarm_route::{check_places, json_list, AlarmFacts, AlarmRoute};
use crate::audit::{self, AuditActor, AuditEntry};
use crate::db::entities::{alarm_mail_route, user};
use crate::error::FieldError;
use crate::identity::{Principal, Role};
use crate::inventory::crud::Checker;
use crate::severity::{self, SeverityName};

const BUREAU_ROLES: [Role; 3] = [Role::BureauAdmin, Role::BureauManager, Role::BureauOperator];

/// Which alarms one person is mailed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MailRoute {
    /// None: no raised alarm.
    raised_min_severity_opt: Option<Severity>,
    escalations: bool,
    data_center_ids_opt: Option<Vec<i64>>,
    device_kinds_opt: Option<Vec<String>>,
}

impl MailRoute {
    /// The route of a role nobody chose for.
    fn default_of(role: Role) -> MailRoute {
        MailRoute {
            raised_min_severity_opt: matches!(role, Role::BureauAdmin | Role::BureauOperator)
                .then_some(Severity::Major),
            escalations: matches!(role, Role::BureauAdmin | Role::BureauManager),
            data_center_ids_opt: None,
            device_kinds_opt: None,
        }
    }

    fn chosen(row: &alarm_mail_route::Model) -> MailRoute {
        MailRoute {
            raised_min_severity_opt: row.raised_min_severity.as_deref().and_then(severity::parse),
            escalations: row.escalations,
            data_center_ids_opt: json_list(row.data_center_ids.as_deref()),
            device_kinds_opt: json_list(row.device_kinds.as_deref()),
        }
    }

    /// Whether the alarm is mailed: an escalation of any severity when escalations are, a
    /// raised alarm of the route's severity or worse; in the route's places either way.
    fn takes(&self, alarm: AlarmFacts<'_>, escalated: bool) -> bool {
        let min_severity_opt = if escalated {
            self.escalations.then_some(Severity::Info)
        } else {
            self.raised_min_severity_opt
        };
        min_severity_opt.is_some_and(|min_severity| {
            AlarmRoute {
                min_severity,
                rule_ids_opt: None,
                data_center_ids_opt: self.data_center_ids_opt.clone(),
                device_kinds_opt: self.device_kinds_opt.clone(),
            }
            .takes(alarm)
        })
    }
}

/// The addresses mailed of an alarm: every enabled person of the bureau with an address whose
/// route takes it.
pub async fn recipients(
    db: &impl ConnectionTrait,
    alarm: AlarmFacts<'_>,
    escalated: bool,
) -> Result<Vec<String>, DbErr> {
    let people = user::Entity::find()
        .filter(user::Column::Role.is_in(BUREAU_ROLES.map(Role::as_str)))
        .filter(user::Column::Disabled.eq(false))
        .filter(user::Column::DeletedAt.is_null())
        .filter(user::Column::Email.is_not_null())
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?;
    let chosen = chosen_routes(db, people.iter().map(|person| person.id)).await?;
    Ok(people
        .into_iter()
        .filter(|person| {
            route_of(person, chosen.get(&person.id))
                .is_some_and(|route| route.takes(alarm, escalated))
        })
        .filter_map(|person| person.email)
        .collect())
}

async fn chosen_routes(
    db: &impl ConnectionTrait,
    user_ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, alarm_mail_route::Model>, DbErr> {
    Ok(alarm_mail_route::Entity::find()
        .filter(alarm_mail_route::Column::UserId.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.user_id, row))
        .collect())
}

/// A person's route, chosen or their role's; None for anyone outside the bureau.
fn route_of(
    person: &user::Model,
    chosen_opt: Option<&alarm_mail_route::Model>,
) -> Option<MailRoute> {
    let role = Role::parse(&person.role).filter(|role| role.is_bureau())?;
    Some(chosen_opt.map_or_else(|| MailRoute::default_of(role), MailRoute::chosen))
}

/// A person's route as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlarmMailRouteView {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Where the mail goes; `null`: the person has no address and is mailed nothing.
    pub email: Option<String>,
    /// The person's account is disabled and is mailed nothing.
    pub disabled: bool,
    /// Chosen for this person; false: their role's default.
    pub chosen: bool,
    /// The least severity of raised alarm mailed (`info`, `minor`, `major`, `critical`);
    /// `null`: none.
    pub raised_min_severity: Option<String>,
    /// Alarms nobody acknowledged in time are mailed.
    pub escalations: bool,
    /// Only alarms of devices in these data centers; `null` for every data center.
    pub data_center_ids: Option<Vec<i64>>,
    /// Only alarms of devices of these kinds; `null` for every kind.
    pub device_kinds: Option<Vec<String>>,
    /// When the route was last chosen; `null` for a role's default.
    pub updated_at: Option<DateTime<Utc>>,
}

fn view(
    person: user::Model,
    chosen_opt: Option<&alarm_mail_route::Model>,
) -> Option<AlarmMailRouteView> {
    let route = route_of(&person, chosen_opt)?;
    Some(AlarmMailRouteView {
        user_id: person.id,
        role: Role::parse(&person.role)?,
        username: person.username,
        display_name: person.display_name,
        email: person.email,
        disabled: person.disabled,
        chosen: chosen_opt.is_some(),
        raised_min_severity: route
            .raised_min_severity_opt
            .map(|least| severity::name(least).to_owned()),
        escalations: route.escalations,
        data_center_ids: route.data_center_ids_opt,
        device_kinds: route.device_kinds_opt,
        updated_at: chosen_opt.map(|row| row.updated_at),
    })
}

/// A route chosen for a person: it replaces the whole route.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlarmMailRouteInput {
    /// The least severity of raised alarm mailed; `null` or absent: none.
    #[schema(inline)]
    pub raised_min_severity: Option<SeverityName>,
    /// Mail alarms nobody acknowledged in time (of any severity, in the route's places).
    pub escalations: bool,
    /// Only alarms of devices in these data centers; `null` or absent for every one.
    #[serde(default)]
    pub data_center_ids: Option<Vec<i64>>,
    /// Only alarms of devices of these kinds; `null` or absent for every kind.
    #[serde(default)]
    pub device_kinds: Option<Vec<String>>,
}

/// Why a route was not read or changed.
#[derive(Debug, thiserror::Error)]
pub enum AlarmMailError {
    /// No person of the bureau has this id.
    #[error("person not found")]
    NotFound,
    /// Someone other than a bureau admin choosing for another person.
    #[error("your role does not allow this")]
    NotYours,
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Store(#[from] DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<Vec<FieldError>> for AlarmMailError {
    fn from(problems: Vec<FieldError>) -> Self {
        AlarmMailError::Invalid(problems)
    }
}

/// Who chooses, and when.
pub struct Change<'a> {
    pub principal: &'a Principal,
    pub actor: &'a AuditActor,
    pub now: DateTime<Utc>,
}

impl Change<'_> {
    /// Bureau admins choose for anyone of the bureau; the others for themselves.
    fn may_choose_for(&self, user_id: i64) -> bool {
        self.principal.role == Role::BureauAdmin || self.principal.user_id == user_id
    }
}

/// The routes `principal` may read: every person of the bureau's for a bureau admin, their
/// own for the others.
pub async fn list(
    db: &DatabaseConnection,
    principal: &Principal,
) -> Result<Vec<AlarmMailRouteView>, AlarmMailError> {
    let mut query = user::Entity::find()
        .filter(user::Column::Role.is_in(BUREAU_ROLES.map(Role::as_str)))
        .filter(user::Column::DeletedAt.is_null())
        .order_by_asc(user::Column::Id);
    if principal.role != Role::BureauAdmin {
        query = query.filter(user::Column::Id.eq(principal.user_id));
    }
    let people = query.all(db).await?;
    let chosen = chosen_routes(db, people.iter().map(|person| person.id)).await?;
    Ok(people
        .into_iter()
        .filter_map(|person| {
            let chosen_opt = chosen.get(&person.id);
            view(person, chosen_opt)
        })
        .collect())
}

/// The person of the bureau `user_id` and their chosen route, if `change` may choose for
/// them; another person is forbidden before it is looked for.
async fn find(
    db: &impl ConnectionTrait,
    change: &Change<'_>,
    user_id: i64,
) -> Result<(user::Model, Option<alarm_mail_route::Model>), AlarmMailError> {
    if !change.may_choose_for(user_id) {
        return Err(AlarmMailError::NotYours);
    }
    let person = user::Entity::find_by_id(user_id)
        .filter(user::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .filter(|person| Role::parse(&person.role).is_some_and(Role::is_bureau))
        .ok_or(AlarmMailError::NotFound)?;
    let chosen_opt = alarm_mail_route::Entity::find_by_id(user_id)
        .one(db)
        .await?;
    Ok((person, chosen_opt))
}

/// Chooses the route of `user_id`, replacing theirs.
pub async fn choose(
    db: &DatabaseConnection,
    change: Change<'_>,
    user_id: i64,
    input: AlarmMailRouteInput,
) -> Result<AlarmMailRouteView, AlarmMailError> {
    let mut checker = Checker::default();
    check_places(
        db,
        &mut checker,
        input.data_center_ids.as_deref(),
        input.device_kinds.as_deref(),
    )
    .await?;
    checker.finish()?;
    let txn = crate::db::begin(db).await?;
    let (person, before_opt) = find(&txn, &change, user_id).await?;
    let row = alarm_mail_route::ActiveModel {
        user_id: Set(user_id),
        raised_min_severity: Set(input
            .raised_min_severity
            .map(|least| severity::name(Severity::from(least)).to_owned())),
        escalations: Set(input.escalations),
        data_center_ids: Set(input
            .data_center_ids
            .map(|ids| Value::from(ids).to_string())),
        device_kinds: Set(input
            .device_kinds
            .map(|kinds| Value::from(kinds).to_string())),
        updated_at: Set(change.now),
    };
    let row = if before_opt.is_some() {
        row.update(&txn).await?
    } else {
        row.insert(&txn).await?
    };
    let before = view(person.clone(), before_opt.as_ref());
    let after = view(person, Some(&row));
    record(
        &txn,
        &change,
        "alarm_mail_route.choose",
        user_id,
        before,
        after.as_ref(),
    )
    .await?;
    txn.commit().await?;
    after.ok_or(AlarmMailError::NotFound)
}

/// Gives `user_id` their role's default route again.
pub async fn reset(
    db: &DatabaseConnection,
    change: Change<'_>,
    user_id: i64,
) -> Result<AlarmMailRouteView, AlarmMailError> {
    let txn = crate::db::begin(db).await?;
    let (person, before_opt) = find(&txn, &change, user_id).await?;
    let after = view(person.clone(), None);
    if before_opt.is_some() {
        alarm_mail_route::Entity::delete_by_id(user_id)
            .exec(&txn)
            .await?;
        let before = view(person, before_opt.as_ref());
        record(
            &txn,
            &change,
            "alarm_mail_route.reset",
            user_id,
            before,
            after.as_ref(),
        )
        .await?;
    }
    txn.commit().await?;
    after.ok_or(AlarmMailError::NotFound)
}

async fn record(
    txn: &impl ConnectionTrait,
    change: &Change<'_>,
    action: &str,
    user_id: i64,
    before_opt: Option<AlarmMailRouteView>,
    after_opt: Option<&AlarmMailRouteView>,
) -> Result<(), AlarmMailError> {
    let to_value =
        |view: &AlarmMailRouteView| serde_json::to_value(view).map_err(anyhow::Error::from);
    audit::append(
        txn,
        AuditEntry {
            actor: change.actor,
            action,
            object_type: "alarm_mail_route",
            object_id: user_id,
            tenant_id_opt: None,
            before_opt: before_opt.as_ref().map(to_value).transpose()?,
            after_opt: after_opt.map(to_value).transpose()?,
        },
        change.now,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alarm(severity: Severity, data_center_id: i64) -> AlarmFacts<'static> {
        AlarmFacts {
            severity,
            rule_id: 1,
            data_center_id,
            device_kind_opt: Some("switch"),
        }
    }

    #[test]
    fn roles_default_to_what_the_bureau_did_before_routes() {
        let operator = MailRoute::default_of(Role::BureauOperator);
        assert!(operator.takes(alarm(Severity::Major, 1), false));
        assert!(!operator.takes(alarm(Severity::Minor, 1), false));
        assert!(!operator.takes(alarm(Severity::Critical, 1), true));
        let manager = MailRoute::default_of(Role::BureauManager);
        assert!(!manager.takes(alarm(Severity::Critical, 1), false));
        assert!(manager.takes(alarm(Severity::Minor, 1), true));
        let admin = MailRoute::default_of(Role::BureauAdmin);
        assert!(admin.takes(alarm(Severity::Critical, 1), false));
        assert!(admin.takes(alarm(Severity::Info, 1), true));
    }

    #[test]
    fn a_chosen_route_mails_its_places_only() {
        let east_critical = MailRoute {
            raised_min_severity_opt: Some(Severity::Critical),
            escalations: true,
            data_center_ids_opt: Some(vec![2]),
            device_kinds_opt: None,
        };
        assert!(east_critical.takes(alarm(Severity::Critical, 2), false));
        assert!(!east_critical.takes(alarm(Severity::Major, 2), false));
        assert!(east_critical.takes(alarm(Severity::Minor, 2), true));
        assert!(!east_critical.takes(alarm(Severity::Critical, 3), false));
        assert!(!east_critical.takes(alarm(Severity::Critical, 3), true));
    }

    #[test]
    fn a_route_without_raised_alarms_mails_none() {
        let quiet = MailRoute {
            raised_min_severity_opt: None,
            escalations: false,
            data_center_ids_opt: None,
            device_kinds_opt: None,
        };
        assert!(!quiet.takes(alarm(Severity::Critical, 1), false));
        assert!(!quiet.takes(alarm(Severity::Critical, 1), true));
    }
}
