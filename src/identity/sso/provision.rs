//! Signing in a user the identity provider vouched for: find their account by where they
//! come from (provision it on first sign-in), give it the role their groups give now, and
//! end their other sessions when that role or tenant changed, so that a user who left a
//! group keeps nothing of it (their open sockets close too: `SessionStore::announce_ended`
//! here, the periodic check on other nodes). A user whose groups give no role is refused and
//! their sessions end. A local account of the same name is never taken over: the local
//! accounts stay for break-glass.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::mapping::{self, Grant};
use super::ExternalIdentity;
use crate::audit::AuditActor;
use crate::db::entities::{tenant, user};
use crate::identity::accounts;
use crate::identity::names::Username;
use crate::identity::revocation;
use crate::identity::settings::RoleRule;
use crate::identity::IdentityError;

/// A signed-in account, and the sessions its sign-in ended.
pub struct SignedIn {
    pub account: user::Model,
    pub ended_sessions: Vec<i64>,
}

/// The outcome when the sign-in is refused but sessions ended on the way (the groups give no
/// role any more): the refusal to answer, and the sessions to announce.
pub struct Refused {
    pub error: IdentityError,
    pub ended_sessions: Vec<i64>,
}

impl From<IdentityError> for Refused {
    fn from(error: IdentityError) -> Refused {
        Refused {
            error,
            ended_sessions: Vec::new(),
        }
    }
}

impl From<sea_orm::DbErr> for Refused {
    fn from(error: sea_orm::DbErr) -> Refused {
        IdentityError::from(error).into()
    }
}

/// Signs `identity` in; audited (`user.provisioned`, `user.changed` by the provider).
pub async fn sign_in(
    db: &sea_orm::DatabaseConnection,
    rules: &[RoleRule],
    identity: &ExternalIdentity,
    now: DateTime<Utc>,
) -> Result<SignedIn, Refused> {
    let txn = crate::db::begin(db).await?;
    let grant_opt = match mapping::grant(rules, &identity.groups, identity.tenant_opt.as_deref()) {
        Some(grant) => tenant_of(&txn, grant).await?,
        None => None,
    };
    let source = identity.source.as_str();
    let existing_opt = user::Entity::find()
        .filter(user::Column::AuthSource.eq(source))
        .filter(user::Column::ExternalSubject.eq(identity.subject.as_str()))
        .one(&txn)
        .await?;
    let actor = AuditActor::system();
    let Some(before) = existing_opt else {
        let Some((role, tenant_id_opt)) = grant_opt else {
            return Err(no_role(identity).into());
        };
        let account = provision(&txn, identity, role, tenant_id_opt, now).await?;
        accounts::record(&txn, &actor, "user.provisioned", None, Some(&account), now).await?;
        txn.commit().await?;
        return Ok(SignedIn {
            account,
            ended_sessions: Vec::new(),
        });
    };
    if before.disabled || before.deleted_at.is_some() {
        return Err(IdentityError::Disabled.into());
    }
    let Some((role, tenant_id_opt)) = grant_opt else {
        let ended_sessions = revocation::end_sessions_of(&txn, before.id, now).await?;
        txn.commit().await?;
        return Err(Refused {
            error: no_role(identity),
            ended_sessions,
        });
    };
    let regranted = before.role != role.as_str() || before.tenant_id != tenant_id_opt;
    let mut active: user::ActiveModel = before.clone().into();
    active.role = Set(role.as_str().to_owned());
    active.tenant_id = Set(tenant_id_opt);
    active.display_name = Set(display_name_of(identity));
    active.email = Set(email_of(identity));
    let account = active.update(&txn).await?;
    let ended_sessions = if regranted {
        revocation::end_sessions_of(&txn, account.id, now).await?
    } else {
        Vec::new()
    };
    if account != before {
        accounts::record(
            &txn,
            &actor,
            "user.changed",
            Some(&before),
            Some(&account),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(SignedIn {
        account,
        ended_sessions,
    })
}

/// The grant with its tenant found; None when the tenant it names does not exist here.
async fn tenant_of(
    txn: &impl ConnectionTrait,
    grant: Grant,
) -> Result<Option<(crate::identity::Role, Option<i64>)>, sea_orm::DbErr> {
    let Some(code) = grant.tenant_code_opt else {
        return Ok(Some((grant.role, None)));
    };
    let found = tenant::Entity::find()
        .filter(tenant::Column::Code.eq(code.as_str()))
        .one(txn)
        .await?;
    if found.is_none() {
        tracing::warn!(tenant = %code, "a sign-in names a tenant that does not exist here");
    }
    Ok(found.map(|tenant| (grant.role, Some(tenant.id))))
}

async fn provision(
    txn: &impl ConnectionTrait,
    identity: &ExternalIdentity,
    role: crate::identity::Role,
    tenant_id_opt: Option<i64>,
    now: DateTime<Utc>,
) -> Result<user::Model, IdentityError> {
    let username = Username::parse(&identity.username.to_ascii_lowercase()).map_err(|why| {
        IdentityError::UnusableName {
            name: identity.username.clone(),
            why,
        }
    })?;
    let taken = user::Entity::find()
        .filter(user::Column::Username.eq(username.as_str()))
        .one(txn)
        .await?;
    if taken.is_some() {
        return Err(IdentityError::NameClash(username.as_str().to_owned()));
    }
    Ok(user::ActiveModel {
        username: Set(username.as_str().to_owned()),
        display_name: Set(display_name_of(identity)),
        email: Set(email_of(identity)),
        // Not a PHC string: no password ever matches it; the account signs in at its source.
        password_hash: Set("!".to_owned()),
        role: Set(role.as_str().to_owned()),
        tenant_id: Set(tenant_id_opt),
        disabled: Set(false),
        created_at: Set(now),
        auth_source: Set(identity.source.as_str().to_owned()),
        external_subject: Set(Some(identity.subject.clone())),
        ..Default::default()
    }
    .insert(txn)
    .await?)
}

fn display_name_of(identity: &ExternalIdentity) -> String {
    let name = identity.display_name.trim();
    let name = if name.is_empty() {
        identity.username.as_str()
    } else {
        name
    };
    name.chars().take(200).collect()
}

/// The provider's address, if it is one (a malformed one is left out, not refused).
fn email_of(identity: &ExternalIdentity) -> Option<String> {
    identity
        .email_opt
        .clone()
        .filter(|email| crate::identity::directory::validate_email(email).is_ok())
}

fn no_role(identity: &ExternalIdentity) -> IdentityError {
    tracing::info!(username = %identity.username, groups = ?identity.groups, "sign-in refused: no role");
    IdentityError::NoRole
}
