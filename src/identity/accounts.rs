//! User administration: changing an account (its name, e-mail, role, tenant), disabling and
//! enabling it, deleting it, ending all its sessions, and resetting its password through a
//! one-time link sent by mail. For the API and the CLI alike; every change is audited.
//!
//! - Who may act on whom is [`Administrator`]'s: bureau admins on every account, tenant admins
//!   on their own tenant's, within the tenant roles. Display accounts belong to their display
//!   keys and are changed only through them.
//! - Whatever takes away access (disabling, deleting, another role or tenant, a new password)
//!   ends the account's sessions in the same transaction; the caller then announces them, so
//!   this node's sockets close at once and other nodes' at their next session check.
//! - The last enabled bureau admin cannot be disabled, deleted or given another role, and
//!   nobody disables, deletes or demotes themselves: the platform is never left without an
//!   administrator by a slip.
//! - A deleted account keeps its row (records and the audit trail name it): it is disabled,
//!   marked `deleted_at`, listed nowhere, and its username is not given again.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set,
};
use secrecy::SecretString;
use serde::Serialize;

use super::revocation;
use super::settings::AuthSettings;
use super::IdentityError;
use super::{directory, token, Principal, Role};
use crate::audit::{self, AuditActor, AuditEntry};
use crate::db::entities::{password_reset, tenant, user};
use crate::mail::outbox;
use crate::mail::settings::MailSettings;
use crate::mail::templates::{self, Locale, Texts};
use crate::outbox::Nudge;

/// Who is administering: what they may do follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Administrator {
    /// A bureau admin (`Some(their id)`), or the command line (`None`): every account.
    Bureau { user_id_opt: Option<i64> },
    /// A tenant admin: their tenant's accounts, within the tenant roles.
    Tenant { user_id: i64, tenant_id: i64 },
}

impl Administrator {
    /// The administrator a principal is, if any.
    pub fn of(principal: &Principal) -> Option<Administrator> {
        match (principal.role, principal.tenant_id_opt) {
            (Role::BureauAdmin, _) => Some(Administrator::Bureau {
                user_id_opt: Some(principal.user_id),
            }),
            (Role::TenantAdmin, Some(tenant_id)) => Some(Administrator::Tenant {
                user_id: principal.user_id,
                tenant_id,
            }),
            _ => None,
        }
    }

    /// Whether they may give `role` in `tenant_id_opt` (to a new account or by a change):
    /// bureau admins any; tenant admins tenant roles in their own tenant only.
    pub fn may_give(self, role: Role, tenant_id_opt: Option<i64>) -> Result<(), IdentityError> {
        match self {
            Administrator::Tenant { tenant_id, .. }
                if !role.is_tenant_role() || tenant_id_opt != Some(tenant_id) =>
            {
                Err(IdentityError::BeyondOwnTenant)
            }
            _ => Ok(()),
        }
    }

    fn user_id_opt(self) -> Option<i64> {
        match self {
            Administrator::Bureau { user_id_opt } => user_id_opt,
            Administrator::Tenant { user_id, .. } => Some(user_id),
        }
    }

    /// Whether `account` is theirs to administer. Others' accounts answer 404, as if they
    /// did not exist.
    fn reaches(self, account: &user::Model) -> bool {
        account.deleted_at.is_none()
            && account.role != Role::Display.as_str()
            && match self {
                Administrator::Bureau { .. } => true,
                Administrator::Tenant { tenant_id, .. } => account.tenant_id == Some(tenant_id),
            }
    }
}

/// The fields of an account to change; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct AccountChange {
    pub display_name_opt: Option<String>,
    /// `Some(None)` clears the e-mail address.
    pub email_opt: Option<Option<String>>,
    pub role_opt: Option<Role>,
    /// `Some(None)` for a bureau role or a supplier.
    pub tenant_id_opt: Option<Option<i64>>,
    pub disabled_opt: Option<bool>,
}

/// What a change did: the account as it is now, and the sessions it ended.
#[derive(Debug)]
pub struct Changed {
    pub account: user::Model,
    pub ended_sessions: Vec<i64>,
}

/// The account `id`, if `admin` administers it.
pub async fn find(
    db: &impl ConnectionTrait,
    admin: Administrator,
    id: i64,
) -> Result<user::Model, IdentityError> {
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|account| admin.reaches(account))
        .ok_or(IdentityError::NotFound("user"))
}

/// The account named `username`, if `admin` administers it.
pub async fn find_by_username(
    db: &impl ConnectionTrait,
    admin: Administrator,
    username: &str,
) -> Result<user::Model, IdentityError> {
    directory::find_user_by_username(db, username)
        .await?
        .filter(|account| admin.reaches(account))
        .ok_or_else(|| IdentityError::NoSuchUsername(username.to_owned()))
}

/// Applies `change` to account `id`; audited as `user.changed` (or `user.disabled`,
/// `user.enabled` when that is all it did).
pub async fn change(
    db: &DatabaseConnection,
    actor: &AuditActor,
    admin: Administrator,
    id: i64,
    change: AccountChange,
    now: DateTime<Utc>,
) -> Result<Changed, IdentityError> {
    let txn = crate::db::begin(db).await?;
    let before = find(&txn, admin, id).await?;
    let invalid = IdentityError::Invalid;
    let old_role = role_of(&before)?;
    let role = change.role_opt.unwrap_or(old_role);
    let tenant_id_opt = match change.tenant_id_opt {
        Some(tenant_id_opt) => tenant_id_opt,
        // A bureau role leaves its tenant behind when none is named.
        None if !role.is_tenant_role() => None,
        None => before.tenant_id,
    };
    if role == Role::Display {
        return Err(invalid(
            "display accounts come with display keys".to_owned(),
        ));
    }
    match (role.is_tenant_role(), tenant_id_opt) {
        (true, None) => return Err(invalid(format!("role {role} needs a tenant_id"))),
        (false, Some(_)) => return Err(invalid(format!("role {role} cannot belong to a tenant"))),
        _ => {}
    }
    admin.may_give(role, tenant_id_opt)?;
    if let Some(tenant_id) = tenant_id_opt.filter(|id| Some(*id) != before.tenant_id) {
        if tenant::Entity::find_by_id(tenant_id)
            .one(&txn)
            .await?
            .is_none()
        {
            return Err(invalid(format!("tenant {tenant_id} does not exist")));
        }
    }
    let disabled = change.disabled_opt.unwrap_or(before.disabled);
    let narrows =
        disabled && !before.disabled || role != old_role || tenant_id_opt != before.tenant_id;
    if narrows {
        guard_administrators(
            &txn,
            admin,
            &before,
            "change",
            (role == Role::BureauAdmin) && !disabled,
        )
        .await?;
    }

    let mut active: user::ActiveModel = before.clone().into();
    if let Some(display_name) = change.display_name_opt {
        active.display_name = Set(directory::display_name(&display_name)?);
    }
    if let Some(email_opt) = change.email_opt {
        active.email = Set(email_opt
            .map(|email| email.trim().to_owned())
            .filter(|email| !email.is_empty()));
    }
    active.role = Set(role.as_str().to_owned());
    active.tenant_id = Set(tenant_id_opt);
    active.disabled = Set(disabled);
    let account = active.update(&txn).await?;
    let ended_sessions = if narrows {
        revocation::end_sessions_of(&txn, id, now).await?
    } else {
        Vec::new()
    };
    let only_disabled_changed = view(&before).with_disabled(account.disabled) == view(&account);
    let action = match (only_disabled_changed, before.disabled, account.disabled) {
        (true, false, true) => "user.disabled",
        (true, true, false) => "user.enabled",
        _ => "user.changed",
    };
    append(&txn, actor, action, &before, Some(&account), now).await?;
    txn.commit().await?;
    Ok(Changed {
        account,
        ended_sessions,
    })
}

/// Deletes account `id`: disabled, marked deleted, its sessions ended; its row stays for the
/// records that name it. Audited as `user.deleted`.
pub async fn delete(
    db: &DatabaseConnection,
    actor: &AuditActor,
    admin: Administrator,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, IdentityError> {
    let txn = crate::db::begin(db).await?;
    let before = find(&txn, admin, id).await?;
    guard_administrators(&txn, admin, &before, "delete", false).await?;
    let mut active: user::ActiveModel = before.clone().into();
    active.disabled = Set(true);
    active.deleted_at = Set(Some(now));
    let account = active.update(&txn).await?;
    let ended = revocation::end_sessions_of(&txn, id, now).await?;
    password_reset::Entity::delete_many()
        .filter(password_reset::Column::UserId.eq(id))
        .exec(&txn)
        .await?;
    append(&txn, actor, "user.deleted", &before, Some(&account), now).await?;
    txn.commit().await?;
    Ok(ended)
}

/// Ends every session of account `id` (it may log in again). Audited as
/// `user.sessions_revoked`.
pub async fn revoke_sessions(
    db: &DatabaseConnection,
    actor: &AuditActor,
    admin: Administrator,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, IdentityError> {
    let txn = crate::db::begin(db).await?;
    let account = find(&txn, admin, id).await?;
    let ended = revocation::end_sessions_of(&txn, id, now).await?;
    append(&txn, actor, "user.sessions_revoked", &account, None, now).await?;
    txn.commit().await?;
    Ok(ended)
}

/// The longest a reset link may work, whatever the settings say: 30 days.
const MAX_RESET_TTL_SECS: u64 = 30 * 86_400;

/// How password-reset links are made and sent.
#[derive(Debug, Clone)]
pub struct ResetMail {
    /// Where the link points: `{base_url}/reset-password?token=…`.
    pub base_url: String,
    pub locale: Locale,
    pub texts: Texts,
    /// How long a link works.
    pub ttl: Duration,
    pub nudge: Nudge,
}

impl ResetMail {
    pub fn from_settings(auth: &AuthSettings, mail: &MailSettings, nudge: Nudge) -> Self {
        ResetMail {
            base_url: mail.base_url.clone(),
            locale: mail.locale,
            texts: mail.texts.clone(),
            ttl: Duration::seconds(
                i64::try_from(auth.password_reset_ttl_secs.min(MAX_RESET_TTL_SECS)).unwrap_or(0),
            ),
            nudge,
        }
    }
}

/// A reset link on its way.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResetSent {
    /// Where the link went.
    pub email: String,
    pub expires_at: DateTime<Utc>,
}

/// Mails account `id` a one-time link that sets a new password (earlier links stop
/// working). The account needs an e-mail address. Audited as `user.password_reset_sent`.
pub async fn send_password_reset(
    db: &DatabaseConnection,
    actor: &AuditActor,
    admin: Administrator,
    mail: &ResetMail,
    id: i64,
    now: DateTime<Utc>,
) -> Result<ResetSent, IdentityError> {
    let txn = crate::db::begin(db).await?;
    let account = find(&txn, admin, id).await?;
    if account.auth_source != "local" {
        return Err(IdentityError::Refused(format!(
            "the account signs in through {}; its password is kept there",
            account.auth_source
        )));
    }
    let Some(email) = account.email.clone() else {
        return Err(IdentityError::Refused(
            "the account has no e-mail address to send the link to".to_owned(),
        ));
    };
    password_reset::Entity::delete_many()
        .filter(password_reset::Column::UserId.eq(id))
        .exec(&txn)
        .await?;
    let secret = token::random_token();
    let expires_at = now + mail.ttl;
    password_reset::ActiveModel {
        token_hash: Set(token::token_hash(&secret)),
        user_id: Set(id),
        requested_by: Set(admin.user_id_opt()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let link = format!(
        "{}/reset-password?token={secret}",
        mail.base_url.trim_end_matches('/')
    );
    let rendered = mail.texts.password_reset(
        mail.locale,
        &templates::PasswordResetParams {
            display_name: account.display_name.clone(),
            username: account.username.clone(),
            link,
            expires_at,
        },
    );
    outbox::enqueue_rendered(&txn, email.clone(), "password_reset", rendered, None).await?;
    append(&txn, actor, "user.password_reset_sent", &account, None, now).await?;
    txn.commit().await?;
    mail.nudge.nudge();
    Ok(ResetSent { email, expires_at })
}

/// Sets a new password with a reset link's token: once, before it expires, for an account
/// that is still enabled. Ends the account's sessions. Audited as `user.password_reset`
/// (the account itself acting).
pub async fn reset_password(
    db: &DatabaseConnection,
    secret: &str,
    new_password: SecretString,
    address_opt: Option<String>,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, IdentityError> {
    let invalid = || IdentityError::InvalidResetLink;
    let txn = crate::db::begin(db).await?;
    let reset = password_reset::Entity::find_by_id(token::token_hash(secret))
        .one(&txn)
        .await?
        .filter(|reset| reset.used_at.is_none() && reset.expires_at > now)
        .ok_or_else(invalid)?;
    let account = user::Entity::find_by_id(reset.user_id)
        .one(&txn)
        .await?
        .filter(|account| !account.disabled && account.deleted_at.is_none())
        .ok_or_else(invalid)?;
    directory::set_password(&txn, account.clone(), new_password).await?;
    let mut active: password_reset::ActiveModel = reset.into();
    active.used_at = Set(Some(now));
    active.update(&txn).await?;
    let ended = revocation::end_sessions_of(&txn, account.id, now).await?;
    let actor = AuditActor {
        user_id_opt: Some(account.id),
        address_opt,
    };
    append(&txn, &actor, "user.password_reset", &account, None, now).await?;
    txn.commit().await?;
    Ok(ended)
}

/// Refuses what would leave the platform without an administrator: acting on oneself, or
/// taking away the last enabled bureau admin (unless `stays_admin`).
async fn guard_administrators(
    db: &impl ConnectionTrait,
    admin: Administrator,
    account: &user::Model,
    what: &str,
    stays_admin: bool,
) -> Result<(), IdentityError> {
    if admin.user_id_opt() == Some(account.id) && !stays_admin {
        return Err(IdentityError::Refused(format!(
            "you cannot {what} your own account this way; ask another administrator"
        )));
    }
    if account.role == Role::BureauAdmin.as_str() && !account.disabled && !stays_admin {
        let others = user::Entity::find()
            .filter(user::Column::Role.eq(Role::BureauAdmin.as_str()))
            .filter(user::Column::Disabled.eq(false))
            .filter(user::Column::Id.ne(account.id))
            .count(db)
            .await?;
        if others == 0 {
            return Err(IdentityError::Refused(
                "the last enabled bureau admin stays: make another one first".to_owned(),
            ));
        }
    }
    Ok(())
}

fn role_of(account: &user::Model) -> Result<Role, IdentityError> {
    Role::parse(&account.role).ok_or_else(|| {
        IdentityError::Internal(anyhow::anyhow!(
            "user {} has unknown role {:?}",
            account.id,
            account.role
        ))
    })
}

/// An account as the audit trail records it: never its password hash.
#[derive(Debug, PartialEq, Serialize)]
struct AccountRecord<'a> {
    username: &'a str,
    display_name: &'a str,
    email: Option<&'a str>,
    role: &'a str,
    tenant_id: Option<i64>,
    disabled: bool,
    deleted: bool,
}

impl AccountRecord<'_> {
    fn with_disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }
}

fn view(account: &user::Model) -> AccountRecord<'_> {
    AccountRecord {
        username: &account.username,
        display_name: &account.display_name,
        email: account.email.as_deref(),
        role: &account.role,
        tenant_id: account.tenant_id,
        disabled: account.disabled,
        deleted: account.deleted_at.is_some(),
    }
}

async fn append(
    txn: &impl ConnectionTrait,
    actor: &AuditActor,
    action: &str,
    before: &user::Model,
    after_opt: Option<&user::Model>,
    now: DateTime<Utc>,
) -> Result<(), IdentityError> {
    record(txn, actor, action, Some(before), after_opt, now).await
}

/// Audits `action` on an account: what it was (none for a new one) and what it became.
pub(crate) async fn record(
    txn: &impl ConnectionTrait,
    actor: &AuditActor,
    action: &str,
    before_opt: Option<&user::Model>,
    after_opt: Option<&user::Model>,
    now: DateTime<Utc>,
) -> Result<(), IdentityError> {
    let to_value = |account: &user::Model| {
        serde_json::to_value(view(account))
            .map_err(|error| IdentityError::Internal(anyhow::anyhow!(error)))
    };
    let subject = after_opt
        .or(before_opt)
        .expect("an account change has a before or an after");
    audit::append(
        txn,
        AuditEntry {
            actor,
            action,
            object_type: "user",
            object_id: subject.id,
            tenant_id_opt: subject.tenant_id.or(before_opt.and_then(|b| b.tenant_id)),
            before_opt: before_opt.map(to_value).transpose()?,
            after_opt: after_opt.map(to_value).transpose()?,
        },
        now,
    )
    .await?;
    Ok(())
}
