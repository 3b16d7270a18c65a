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

use crate::identity::settings::AuthSettings;
use crate::mail::settings::MailSettings;
use crate::mail::templates::Texts;
use crate::secrets::SecretsSettings;

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
    /// How often the node checks that the logins behind its open connections are still
    /// valid (one query for all of them).
    pub session_check_interval_ms: u64,
    pub max_subscriptions: usize,
    pub max_message_bytes: usize,
}

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
    /// Whether this node monitors at all: polls devices and listens for traps.
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
    /// Besides following every announced change to the inventory at once, monitoring
    /// rereads it this often (a change whose announcement was lost is followed by then).
    pub inventory_recheck_secs: u64,
    /// How often each cloud platform's VMs are asked how busy they are.
    pub vm_poll_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CloudProviderKind {
    Simulated,
    Openstack,
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
inventory_recheck_secs = 300
vm_poll_secs = 60
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::settings::{MailTransportKind, SmtpTls};
    use crate::mail::templates::Locale;

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
