//! Single sign-on: users signed in by the bureau's identity provider (OIDC, 统一身份认证) or
//! checked against its directory (LDAP, Active Directory), their role and tenant given by
//! their groups (`auth.role_mapping`) at every sign-in. Local accounts stay for break-glass:
//! a local account always signs in with its own password, and is never taken over by a
//! provider's user of the same name.
//!
//! # Layout
//! - [`mapping`]: groups to a role and tenant (pure).
//! - [`provision`]: the account of a signed-in identity: provisioned, re-granted, refused;
//!   sessions ended when the role changed.
//! - [`oidc`]: the authorization code flow with PKCE (the `openidconnect` crate).
//! - [`ldap`]: a password checked by binding as the user, groups searched (`ldap3`).

pub mod ldap;
pub mod mapping;
pub mod oidc;
pub mod provision;

/// Where an external account signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Oidc,
    Ldap,
}

impl Source {
    /// The name stored in `users.auth_source`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Oidc => "oidc",
            Source::Ldap => "ldap",
        }
    }
}

/// A user as the identity provider vouches for them.
#[derive(Debug, Clone)]
pub struct ExternalIdentity {
    pub source: Source,
    /// Who they are there, for good: the OIDC issuer and subject, or the LDAP DN.
    pub subject: String,
    pub username: String,
    pub display_name: String,
    pub email_opt: Option<String>,
    pub groups: Vec<String>,
    /// The tenant (by code) the provider names, if it names one.
    pub tenant_opt: Option<String>,
}
