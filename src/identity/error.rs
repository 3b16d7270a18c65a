//! Why an identity operation (signing in, a session, administering accounts, tenants and
//! display keys) did not happen, in identity's words; `routes` gives each its API code.

use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Wrong username, wrong password, or an account that cannot sign in with one: the same
    /// answer for all of them.
    #[error("wrong username or password")]
    WrongCredentials,
    /// Too many failed logins from this name or address; try again after `.0` seconds.
    #[error("too many failed logins; try again in {0} s")]
    Throttled(u64),
    #[error("this account is disabled")]
    Disabled,
    #[error("unknown or revoked display key")]
    UnknownDisplayKey,
    #[error("the token is unknown, expired or revoked")]
    InvalidToken,
    #[error("unknown, used or expired ticket")]
    InvalidWsTicket,
    #[error("the link is unknown, used or expired: ask for another")]
    InvalidResetLink,
    /// Signed in by single sign-on, but the user's groups give no role here.
    #[error("your groups give you no role here; ask an administrator")]
    NoRole,
    /// The identity provider's user name is not one yunguan can hold.
    #[error("the name {name:?} cannot be a user name here: {why}")]
    UnusableName { name: String, why: String },
    /// A provider's user whose name a local account already has.
    #[error(
        "an account named {0:?} exists here already; an administrator must rename one of them"
    )]
    NameClash(String),
    /// The identity provider's answer did not sign the user in.
    #[error("the sign-in failed: {0}")]
    SignInFailed(String),
    #[error("the identity provider is unavailable; try again shortly")]
    ProviderUnavailable,
    #[error("the directory is unavailable; try again shortly")]
    DirectoryUnavailable,
    /// What was asked for: a user, a display key.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("no user {0:?}")]
    NoSuchUsername(String),
    /// A value that breaks a rule of accounts, tenants or display keys.
    #[error("{0}")]
    Invalid(String),
    /// A name or code another one has.
    #[error("{0}")]
    Taken(String),
    /// What the account's state does not allow (the last admin, one's own account, ...).
    #[error("{0}")]
    Refused(String),
    #[error("tenant admins give tenant roles in their own tenant only")]
    BeyondOwnTenant,
    #[error(transparent)]
    Store(#[from] DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}
