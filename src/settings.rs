//! The typed settings tree: built-in defaults, then an optional TOML file, then
//! `YUNGUAN_<SECTION>__<KEY>` environment variables, then command-line flags.
//!
//! It owns the defaults and the layering; each component reads only its own section.
//! Secrets (database and Redis URLs carry passwords, the SMTP password) are wrapped so they
//! never print.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::mail::templates::{Locale, Texts};

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub auth: AuthSettings,
    pub hub: HubSettings,
    pub websocket: WebSocketSettings,
    pub mail: MailSettings,
    pub fulfilment: FulfilmentSettings,
    pub monitoring: MonitoringSettings,
    pub cloud: CloudSettings,
    #[serde(default)]
    pub secrets: SecretsSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    /// `text` (for people; coloured only on a terminal) or `json` (one object a line).
    pub format: LogFormat,
    /// What is logged when `RUST_LOG` is not set, in its syntax (`info`, `yunguan=debug,info`).
    pub filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    /// Address to bind; port 0 picks a free port (tests).
    pub listen: SocketAddr,
    /// Where the embedded default keeps its SQLite file.
    pub data_dir: PathBuf,
    /// How long in-flight requests get to finish after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// Behind a reverse proxy: take the client address (for login throttling and session
    /// records) from `Forwarded`/`X-Forwarded-For` instead of the TCP peer, which would be the
    /// proxy. Only enable it when every request comes through a proxy that sets the header.
    pub trust_forwarded_for: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `postgres://...` or `sqlite://...`; absent means SQLite under `server.data_dir`.
    pub url: Option<SecretString>,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RedisSettings {
    /// Present: events travel through Redis pub/sub between nodes. Absent: in-process bus.
    pub url: Option<SecretString>,
    /// Prefix of every key and channel, so that several deployments can share one Redis.
    pub key_prefix: String,
}

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
    pub role: crate::identity::Role,
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

#[derive(Debug, Clone, Deserialize)]
pub struct HubSettings {
    /// Events kept per topic for clients resuming with `since`.
    pub replay_capacity: usize,
    /// Frames queued per connection before it is told to resync.
    pub connection_queue_capacity: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebSocketSettings {
    pub heartbeat_interval_ms: u64,
    /// A connection that sends nothing (not even a pong) for this long is closed.
    pub idle_timeout_ms: u64,
    /// A connection whose client takes no frame for this long (it stopped reading) is closed.
    pub write_timeout_ms: u64,
    /// How often an open connection checks that its login is still valid.
    pub session_check_interval_ms: u64,
    pub max_subscriptions: usize,
    pub max_message_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MailSettings {
    /// `log` (the embedded default: mail is written to the log and counts as sent) or `smtp`.
    pub transport: MailTransportKind,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    /// Both set: the relay requires a login.
    pub smtp_username: Option<String>,
    pub smtp_password: Option<SecretString>,
    /// The `From` mailbox; its domain also ends every Message-ID.
    pub from: String,
    /// Where the portal is reached from a mail reader, for the links in mail.
    pub base_url: String,
    /// The language of mail to users who have not chosen one.
    pub locale: Locale,
    /// Mails claimed and sent per pass of the sender.
    pub batch_size: u64,
    /// Mails of a batch in delivery at once (SMTP round trips, not CPU, bound a sender).
    pub concurrency: usize,
    /// How often the sender looks for due mail when nothing nudges it.
    pub poll_interval_ms: u64,
    /// Bounds each SMTP command, and each mail's whole delivery.
    pub timeout_ms: u64,
    /// A folder of mail templates that replace the built-in ones file by file
    /// (`zh-CN/done.txt`, `en/alarm_raised.txt`, …; see `mail::templates`).
    #[serde(default)]
    pub templates_dir: Option<PathBuf>,
    /// The templates, loaded (and checked) with the settings.
    #[serde(skip)]
    pub texts: Texts,
}

/// How approved tickets are carried out. Until a real cloud adapter is configured, hosts are
/// created on the built-in simulated cloud, whose behaviour these settings shape.
#[derive(Debug, Clone, Deserialize)]
pub struct FulfilmentSettings {
    /// Each simulated cloud call takes between these many milliseconds.
    pub sim_min_latency_ms: u64,
    pub sim_max_latency_ms: u64,
    /// The share of simulated cloud calls that fail transiently, 0 to 1.
    pub sim_failure_rate: f64,
    /// Attempts per fulfilment step before the ticket fails.
    pub max_attempts: u32,
    /// The wait before the second attempt of a step; it doubles for each one after.
    pub retry_initial_ms: u64,
}

/// Which cloud fulfilment creates hosts on, and how to reach it.
#[derive(Debug, Clone, Deserialize)]
pub struct CloudSettings {
    /// `simulated` (the default: the built-in cloud shaped by `fulfilment.sim_*`) or
    /// `openstack`.
    pub provider: CloudProviderKind,
    /// Keystone's v3 root, e.g. `https://keystone.example.gov.cn:5000/v3`.
    pub openstack_auth_url: String,
    pub openstack_username: String,
    pub openstack_password: Option<SecretString>,
    /// The project (tenant) every server is created in, by name.
    pub openstack_project: String,
    /// The domain of both the user and the project.
    pub openstack_domain: String,
    /// Bounds each HTTP request to the cloud.
    pub timeout_ms: u64,
    /// How long a server may take to build or resize before the step counts as failed
    /// transiently (and is retried, finding the same server).
    pub operation_timeout_ms: u64,
    /// How often a server being built or resized is looked at.
    pub poll_interval_ms: u64,
}

/// Live monitoring: SNMP polling and traps.
#[derive(Debug, Clone, Deserialize)]
pub struct MonitoringSettings {
    /// Whether this node polls devices at all.
    pub enabled: bool,
    /// The local address of the shared SNMPv2c socket.
    pub snmp_bind: SocketAddr,
    /// Where SNMP traps are received (162 is the standard port, and needs privileges).
    pub trap_listen: SocketAddr,
    /// How long one SNMP request waits for its answer.
    pub request_timeout_ms: u64,
    /// Requests sent again after silence, before a poll counts as failed.
    pub retries: u32,
    /// SNMP requests waiting for answers at once on the shared socket.
    pub max_in_flight: usize,
    /// One-minute metric rollups older than this are deleted.
    pub rollup_retention_days: u32,
    /// A major or critical root-cause alarm nobody acknowledged for this long is escalated
    /// to the bureau's managers.
    pub escalate_after_mins: u64,
}

/// The key that seals device and cloud credentials at rest (`crate::secrets`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SecretsSettings {
    /// Base64 of 32 random bytes (`openssl rand -base64 32`). Unset: `credential.key` under
    /// `server.data_dir`, created on first start. Nodes sharing a database need the same key.
    pub credential_key: Option<SecretString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CloudProviderKind {
    Simulated,
    Openstack,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransportKind {
    Log,
    Smtp,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text: a relay on the same host or network only.
    None,
    /// Plain connect, then STARTTLS, which must succeed (usually port 587).
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

/// Values given on the command line; they override everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_file_opt: Option<PathBuf>,
    pub listen_opt: Option<SocketAddr>,
    pub data_dir_opt: Option<PathBuf>,
    pub database_url_opt: Option<String>,
    pub redis_url_opt: Option<String>,
}

const DEFAULTS: &str = r#"
[log]
format = "text"
filter = "info"

[server]
listen = "127.0.0.1:8080"
data_dir = "./data"
shutdown_grace_secs = 10
trust_forwarded_for = false

[database]
max_connections = 10

[redis]
key_prefix = "yunguan"

[auth]
token_ttl_secs = 43200
ws_ticket_ttl_secs = 30
free_failed_logins = 5
free_failed_logins_per_address = 20
max_login_delay_secs = 900
failed_login_window_secs = 3600
password_reset_ttl_secs = 86400

[hub]
replay_capacity = 512
connection_queue_capacity = 256

[websocket]
heartbeat_interval_ms = 15000
idle_timeout_ms = 45000
write_timeout_ms = 10000
session_check_interval_ms = 30000
max_subscriptions = 64
max_message_bytes = 65536

[mail]
transport = "log"
smtp_host = "127.0.0.1"
smtp_port = 25
smtp_tls = "none"
from = "yunguan <noreply@yunguan.local>"
base_url = "http://127.0.0.1:8080"
locale = "zh-CN"
batch_size = 100
concurrency = 8
poll_interval_ms = 1000
timeout_ms = 10000

[fulfilment]
sim_min_latency_ms = 300
sim_max_latency_ms = 1500
sim_failure_rate = 0.05
max_attempts = 4
retry_initial_ms = 1000

[cloud]
provider = "simulated"
openstack_auth_url = ""
openstack_username = ""
openstack_project = ""
openstack_domain = "Default"
timeout_ms = 10000
operation_timeout_ms = 600000
poll_interval_ms = 2000

[monitoring]
enabled = true
snmp_bind = "0.0.0.0:0"
trap_listen = "0.0.0.0:10162"
request_timeout_ms = 1500
retries = 1
max_in_flight = 512
rollup_retention_days = 30
escalate_after_mins = 15
"#;

impl Settings {
    /// Builds the tree from the defaults, `config_file_opt` (or `./yunguan.toml` if it exists),
    /// the environment and `overrides`.
    pub fn load(overrides: &Overrides) -> anyhow::Result<Settings> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        match &overrides.config_file_opt {
            Some(path) => {
                builder = builder.add_source(config::File::from(path.as_path()).required(true))
            }
            None => {
                builder = builder
                    .add_source(config::File::from(Path::new("yunguan.toml")).required(false))
            }
        }
        builder = builder.add_source(
            config::Environment::with_prefix("YUNGUAN")
                .prefix_separator("_")
                .separator("__"),
        );
        if let Some(listen) = overrides.listen_opt {
            builder = builder.set_override("server.listen", listen.to_string())?;
        }
        if let Some(dir) = &overrides.data_dir_opt {
            builder = builder.set_override("server.data_dir", dir.display().to_string())?;
        }
        if let Some(url) = &overrides.database_url_opt {
            builder = builder.set_override("database.url", url.as_str())?;
        }
        if let Some(url) = &overrides.redis_url_opt {
            builder = builder.set_override("redis.url", url.as_str())?;
        }
        let mut settings: Settings = builder
            .build()
            .context("reading settings")?
            .try_deserialize()
            .context("invalid settings")?;
        if let Some(dir) = &settings.mail.templates_dir {
            settings.mail.texts = Texts::load(Some(dir))
                .with_context(|| format!("mail.templates_dir {}", dir.display()))?;
        }
        Ok(settings)
    }

    /// The database to use: the configured URL, or the embedded SQLite file.
    pub fn database_url(&self) -> SecretString {
        match &self.database.url {
            Some(url) if !url.expose_secret().is_empty() => url.clone(),
            _ => {
                let file = self.server.data_dir.join("yunguan.db");
                SecretString::from(format!("sqlite://{}?mode=rwc", file.display()))
            }
        }
    }

    pub fn redis_url(&self) -> Option<&SecretString> {
        self.redis
            .url
            .as_ref()
            .filter(|url| !url.expose_secret().is_empty())
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

impl WebSocketSettings {
    pub fn heartbeat_interval(&self) -> Duration {
        Duration::from_millis(self.heartbeat_interval_ms)
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.idle_timeout_ms)
    }

    pub fn write_timeout(&self) -> Duration {
        Duration::from_millis(self.write_timeout_ms)
    }

    pub fn session_check_interval(&self) -> Duration {
        Duration::from_millis(self.session_check_interval_ms)
    }
}

impl MailSettings {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// The login for the relay, when both halves are configured and not empty.
    pub fn smtp_credentials_opt(&self) -> Option<(&str, &SecretString)> {
        let username = self.smtp_username.as_deref().filter(|u| !u.is_empty())?;
        let password = self
            .smtp_password
            .as_ref()
            .filter(|p| !p.expose_secret().is_empty())?;
        Some((username, password))
    }

    /// Where a mail about an alarm points: the alarm in the portal.
    pub fn alarm_link(&self, alarm_id: i64) -> String {
        format!(
            "{}/#/alarms/{alarm_id}",
            self.base_url.trim_end_matches('/')
        )
    }

    /// Where a mail about a ticket points: the ticket's page in the portal.
    pub fn ticket_link(&self, ticket_id: i64) -> String {
        format!(
            "{}/#/tickets/{ticket_id}",
            self.base_url.trim_end_matches('/')
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_defaults_and_the_embedded_database_lives_in_the_data_dir() {
        let settings = Settings::load(&Overrides {
            listen_opt: Some("127.0.0.1:0".parse().unwrap()),
            data_dir_opt: Some(PathBuf::from("/tmp/yg")),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(settings.server.listen.port(), 0);
        assert_eq!(
            settings.database_url().expose_secret(),
            "sqlite:///tmp/yg/yunguan.db?mode=rwc"
        );
        assert!(settings.redis_url().is_none());
        assert_eq!(settings.hub.replay_capacity, 512);
        assert_eq!(settings.mail.transport, MailTransportKind::Log);
        assert_eq!(settings.mail.smtp_tls, SmtpTls::None);
        assert_eq!(settings.mail.locale, Locale::ZhCn);
        assert!(settings.mail.smtp_credentials_opt().is_none());
        assert_eq!(settings.cloud.provider, CloudProviderKind::Simulated);
    }

    #[test]
    fn ticket_links_point_into_the_portal_whatever_the_base_url_ends_with() {
        let mut settings = Settings::load(&Overrides::default()).unwrap();
        settings.mail.base_url = "https://yunguan.example.gov.cn/".into();
        assert_eq!(
            settings.mail.ticket_link(42),
            "https://yunguan.example.gov.cn/#/tickets/42"
        );
        settings.mail.base_url = "https://yunguan.example.gov.cn".into();
        assert_eq!(
            settings.mail.ticket_link(42),
            "https://yunguan.example.gov.cn/#/tickets/42"
        );
    }

    #[test]
    fn secrets_do_not_print() {
        let mut settings = Settings::load(&Overrides {
            database_url_opt: Some("postgres://u:hunter2@db/yunguan".into()),
            ..Overrides::default()
        })
        .unwrap();
        settings.mail.smtp_username = Some("relay-user".into());
        settings.mail.smtp_password = Some(SecretString::from("hunter3"));
        settings.cloud.openstack_password = Some(SecretString::from("hunter4"));
        settings.secrets.credential_key = Some(SecretString::from("hunter5"));
        assert!(settings.mail.smtp_credentials_opt().is_some());
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"));
        assert!(!printed.contains("hunter3"));
        assert!(!printed.contains("hunter4"));
        assert!(!printed.contains("hunter5"));
    }
}
