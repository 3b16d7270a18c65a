//! The `auth` section of the settings: sessions, login throttling, password resets, single
//! sign-on (OpenID Connect, LDAP) and the role mapping of signed-on users. Owned here, read
//! into `crate::settings::Settings`.

use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use super::Role;

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub token_ttl_secs: u64,
    pub ws_ticket_ttl_secs: u64,
    /// Failed logins in a row of one username at one client address before each further
    /// attempt there waits a delay (1 s, doubling with every failure).
    pub free_failed_logins: u32,
    /// The same for one client address, whatever the usernames (guessing across accounts).
    pub free_failed_logins_per_address: u32,
    /// The ceiling of that delay.
    pub max_login_delay_secs: u64,
    /// Failures are forgotten this long after the last one.
    pub failed_login_window_secs: u64,
    /// How long a password-reset link works.
    pub password_reset_ttl_secs: u64,
    /// Single sign-on through an OpenID provider (统一身份认证); absent: none.
    #[serde(default)]
    pub oidc: Option<OidcSettings>,
    /// Password logins checked against an LDAP directory (or Active Directory) for accounts
    /// that are not local; absent: none.
    #[serde(default)]
    pub ldap: Option<LdapSettings>,
    /// The role (and tenant) a signed-in user's groups give: the first rule whose group
    /// the user is in. A user in none of them is refused.
    #[serde(default)]
    pub role_mapping: Vec<RoleRule>,
}

/// The OpenID provider yunguan signs users in with (authorization code with PKCE).
#[derive(Debug, Clone, Deserialize)]
pub struct OidcSettings {
    /// The issuer, exactly as the provider names itself; its discovery document is read
    /// from `{issuer_url}/.well-known/openid-configuration`.
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    /// Where the provider sends the browser back; default
    /// `{mail.base_url}/api/v1/auth/oidc/callback`. Register it with the provider.
    #[serde(default)]
    pub redirect_url: Option<String>,
    /// What the login page's button says, e.g. `统一身份认证`.
    #[serde(default = "defaults::oidc_label")]
    pub label: String,
    #[serde(default = "defaults::oidc_scopes")]
    pub scopes: Vec<String>,
    /// The claim that is the user name here.
    #[serde(default = "defaults::username_claim")]
    pub username_claim: String,
    /// The claim listing the user's groups (an array of strings).
    #[serde(default = "defaults::groups_claim")]
    pub groups_claim: String,
    /// The claim naming the user's tenant by code, for rules that give a tenant role
    /// without naming the tenant.
    #[serde(default = "defaults::tenant_claim")]
    pub tenant_claim: String,
}

/// The directory password logins are checked against.
#[derive(Debug, Clone, Deserialize)]
pub struct LdapSettings {
    /// `ldap://host:389` or `ldaps://host:636`.
    pub url: String,
    /// Upgrade an `ldap://` connection with StartTLS.
    #[serde(default)]
    pub starttls: bool,
    /// The service account that looks users and groups up.
    pub bind_dn: String,
    pub bind_password: SecretString,
    /// Where users are, e.g. `ou=people,dc=example,dc=gov,dc=cn`.
    pub user_base: String,
    /// `{username}` is replaced by the name typed, escaped; for AD `(sAMAccountName={username})`.
    #[serde(default = "defaults::ldap_user_filter")]
    pub user_filter: String,
    /// Where groups are.
    pub group_base: String,
    /// `{dn}` is replaced by the user's DN, escaped.
    #[serde(default = "defaults::ldap_group_filter")]
    pub group_filter: String,
    /// The attribute that names a group in `role_mapping`.
    #[serde(default = "defaults::ldap_group_attribute")]
    pub group_attribute: String,
    #[serde(default = "defaults::ldap_display_name_attribute")]
    pub display_name_attribute: String,
    #[serde(default = "defaults::ldap_email_attribute")]
    pub email_attribute: String,
    /// An attribute of the user naming their tenant by code, if the directory keeps one.
    #[serde(default)]
    pub tenant_attribute: Option<String>,
    /// Bounds connecting and each operation; a directory that does not answer in time
    /// fails the login with `service_unavailable`.
    #[serde(default = "defaults::ldap_timeout_ms")]
    pub timeout_ms: u64,
}

/// One rule of `auth.role_mapping`.
#[derive(Debug, Clone, Deserialize)]
pub struct RoleRule {
    /// A group name (OIDC: a value of the groups claim; LDAP: the group's `group_attribute`).
    pub group: String,
    pub role: Role,
    /// The tenant of a tenant role, by code; absent: from the tenant claim or attribute.
    #[serde(default)]
    pub tenant: Option<String>,
}

mod defaults {
    pub fn oidc_label() -> String {
        "统一身份认证".to_owned()
    }
    pub fn oidc_scopes() -> Vec<String> {
        ["openid", "profile", "email", "groups"]
            .map(str::to_owned)
            .to_vec()
    }
    pub fn username_claim() -> String {
        "preferred_username".to_owned()
    }
    pub fn groups_claim() -> String {
        "groups".to_owned()
    }
    pub fn tenant_claim() -> String {
        "tenant".to_owned()
    }
    pub fn ldap_user_filter() -> String {
        "(uid={username})".to_owned()
    }
    pub fn ldap_group_filter() -> String {
        "(member={dn})".to_owned()
    }
    pub fn ldap_group_attribute() -> String {
        "cn".to_owned()
    }
    pub fn ldap_display_name_attribute() -> String {
        "displayName".to_owned()
    }
    pub fn ldap_email_attribute() -> String {
        "mail".to_owned()
    }
    pub fn ldap_timeout_ms() -> u64 {
        5000
    }
}

impl AuthSettings {
    pub fn token_ttl(&self) -> Duration {
        Duration::from_secs(self.token_ttl_secs)
    }

    pub fn ws_ticket_ttl(&self) -> Duration {
        Duration::from_secs(self.ws_ticket_ttl_secs)
    }
}
