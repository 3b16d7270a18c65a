//! The command line: `serve`, `demo`, `migrate`, tenant/user administration, the audit
//! check, and `openapi` (the API document, printed without a database or a server).

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;

use chrono::Utc;

use crate::audit::AuditActor;
use crate::identity::accounts::{self, AccountChange, Administrator, ResetMail};
use crate::identity::directory::{self, NewUser};
use crate::identity::names::{TenantCode, Username};
use crate::identity::Role;
use crate::outbox::Nudge;
use crate::settings::{Overrides, Settings};
use crate::startup::Application;
use crate::tenancy::TenantScope;

#[derive(Debug, Parser)]
#[command(
    name = "yunguan",
    version,
    about = "yunguan (云管): unified cloud management platform"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// A TOML settings file (default: ./yunguan.toml if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on, e.g. 0.0.0.0:8080.
    #[arg(long, global = true, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Folder for the embedded SQLite database.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// postgres://... (production) or sqlite://...; default: SQLite under --data-dir.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// redis://...: carry events between nodes through Redis.
    #[arg(long, global = true, value_name = "URL")]
    pub redis_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve,
    /// Run the server with demo tenants and accounts (password: $YUNGUAN_DEMO_PASSWORD).
    /// Fault commands are read from standard input, one per line (`help` lists them).
    Demo {
        /// Fulfil on the demo's simulated OpenStack (instead of `cloud.provider`); it is synced as
        /// the demo's cloud platform either way.
        #[arg(long)]
        openstack_sim: bool,
        /// No random link flaps (the faults present from the start stay), for tests that
        /// take links down themselves.
        #[arg(long)]
        no_chaos: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage tenants (委办局).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage user accounts. Passwords are read from the first line of standard input.
    #[command(subcommand)]
    User(UserCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Print the OpenAPI document (pretty JSON, with the WebSocket event catalogue in
    /// `x-yunguan-events`) and exit; needs no database and starts no server.
    Openapi,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit trail's hash chain; exits with an error naming the first record that
    /// does not fit.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Add {
        /// Short stable code, e.g. edu.
        code: String,
        /// Display name, e.g. 教育局.
        name: String,
    },
    /// List tenants.
    List,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input.
    Add {
        username: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Tenant code, required for tenant_admin and tenant_member.
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
    /// List users.
    List,
    /// Set a user's password, read from standard input.
    Passwd { username: String },
    /// Disable an account: it cannot log in, and its sessions end.
    Disable { username: String },
    /// Enable a disabled account again.
    Enable { username: String },
    /// Delete an account: disabled and listed nowhere; what it did stays under its name.
    Delete { username: String },
    /// Give an account another role (and tenant, for the tenant roles); its sessions end.
    SetRole {
        username: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        tenant: Option<String>,
    },
    /// End every session of an account at once.
    Revoke { username: String },
    /// Mail the account a one-time link that sets a new password (the server sends it).
    ResetPassword { username: String },
}

fn parse_role(raw: &str) -> Result<Role, String> {
    Role::parse(raw).ok_or_else(|| {
        let names: Vec<&str> = Role::ALL.iter().map(|role| role.as_str()).collect();
        format!("unknown role {raw:?}; one of {}", names.join(", "))
    })
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        // Read only by the commands that need them: `openapi` runs anywhere.
        let global = self.global;
        // The servers (and `migrate`, whose log is its report) log as the settings say; the
        // other one-shot commands print their results and log only warnings (not every
        // migration check), unless RUST_LOG says otherwise.
        let one_shot = !matches!(
            self.command,
            Command::Serve | Command::Demo { .. } | Command::Migrate
        );
        // Logging starts with the settings, which say how to log.
        let settings = move || {
            let mut settings = Settings::load(&Overrides {
                config_file_opt: global.config,
                listen_opt: global.listen,
                data_dir_opt: global.data_dir,
                database_url_opt: global.database_url,
                redis_url_opt: global.redis_url,
            })?;
            if one_shot {
                settings.log.filter = "warn".to_owned();
            }
            crate::telemetry::init(&settings.log);
            Ok::<_, anyhow::Error>(settings)
        };
        match self.command {
            Command::Serve => {
                let app = Application::build(settings()?).await?;
                tracing::info!(port = app.port(), "yunguan listening");
                app.run_until_stopped().await
            }
            Command::Demo {
                openstack_sim,
                no_chaos,
            } => {
                let options = crate::demo::DemoOptions {
                    openstack_sim,
                    chaos: !no_chaos,
                };
                crate::demo::run(settings()?, options).await
            }
            Command::Migrate => {
                crate::db::connect_and_migrate(&settings()?.database_url(), 1).await?;
                println!("migrations applied");
                Ok(())
            }
            Command::Openapi => std::io::stdout()
                .lock()
                .write_all(crate::routes::openapi_document_pretty_json().as_bytes())
                .context("writing the OpenAPI document to standard output"),
            Command::Tenant(command) => run_tenant(settings()?, command).await,
            Command::User(command) => run_user(settings()?, command).await,
            Command::Audit(AuditCommand::Verify) => {
                let db = crate::db::connect_and_migrate(&settings()?.database_url(), 1).await?;
                let verification = crate::audit::verify(&db).await?;
                match verification.first_broken_opt {
                    None => {
                        println!(
                            "audit chain intact: {} records",
                            verification.records_checked
                        );
                        Ok(())
                    }
                    Some(broken) => anyhow::bail!(
                        "audit chain broken at record {}: {}",
                        broken.record_id,
                        broken.problem
                    ),
                }
            }
        }
    }
}

async fn run_tenant(settings: Settings, command: TenantCommand) -> anyhow::Result<()> {
    let db = crate::db::connect_and_migrate(&settings.database_url(), 1).await?;
    match command {
        TenantCommand::Add { code, name } => {
            let code = TenantCode::parse(&code).map_err(anyhow::Error::msg)?;
            let tenant = directory::create_tenant(&db, &code, &name).await?;
            println!(
                "created tenant {} ({}) with id {}",
                tenant.code, tenant.name, tenant.id
            );
        }
        TenantCommand::List => {
            for tenant in directory::list_tenants(&db, TenantScope::AllTenants).await? {
                println!("{}\t{}\t{}", tenant.id, tenant.code, tenant.name);
            }
        }
    }
    Ok(())
}

async fn run_user(settings: Settings, command: UserCommand) -> anyhow::Result<()> {
    let db = crate::db::connect_and_migrate(&settings.database_url(), 1).await?;
    match command {
        UserCommand::Add {
            username,
            role,
            tenant,
            display_name,
            email,
        } => {
            let username = Username::parse(&username).map_err(anyhow::Error::msg)?;
            let tenant_id_opt = match tenant {
                None => None,
                Some(code) => Some(
                    directory::find_tenant_by_code(&db, &code)
                        .await?
                        .with_context(|| format!("no tenant with code {code:?}"))?
                        .id,
                ),
            };
            let password = read_password()?;
            let user = directory::create_user(
                &db,
                NewUser {
                    display_name: display_name.unwrap_or_else(|| username.as_str().to_owned()),
                    username,
                    email_opt: email,
                    password,
                    role,
                    tenant_id_opt,
                },
            )
            .await?;
            println!(
                "created user {} ({}) with id {}",
                user.username, user.role, user.id
            );
        }
        UserCommand::List => {
            for user in directory::list_users(&db, TenantScope::AllTenants).await? {
                let tenant = user
                    .tenant_id
                    .map(|id| id.to_string())
                    .unwrap_or_else(|| "-".into());
                println!("{}\t{}\t{}\t{}", user.id, user.username, user.role, tenant);
            }
        }
        UserCommand::Passwd { username } => {
            let user = directory::find_user_by_username(&db, &username)
                .await?
                .with_context(|| format!("no user {username:?}"))?;
            directory::set_password(&db, user, read_password()?).await?;
            println!("password changed for {username}");
        }
        UserCommand::Disable { username } => {
            let id = account_id(&db, &username).await?;
            let change = AccountChange {
                disabled_opt: Some(true),
                ..AccountChange::default()
            };
            let changed =
                accounts::change(&db, &cli_actor(), CLI_ADMIN, id, change, Utc::now()).await?;
            let ended = changed.ended_sessions.len();
            println!("{username} disabled; {ended} sessions ended");
        }
        UserCommand::Enable { username } => {
            let id = account_id(&db, &username).await?;
            let change = AccountChange {
                disabled_opt: Some(false),
                ..AccountChange::default()
            };
            accounts::change(&db, &cli_actor(), CLI_ADMIN, id, change, Utc::now()).await?;
            println!("{username} enabled");
        }
        UserCommand::Delete { username } => {
            let id = account_id(&db, &username).await?;
            let ended = accounts::delete(&db, &cli_actor(), CLI_ADMIN, id, Utc::now()).await?;
            println!("{username} deleted; {} sessions ended", ended.len());
        }
        UserCommand::SetRole {
            username,
            role,
            tenant,
        } => {
            let id = account_id(&db, &username).await?;
            let tenant_id_opt = match tenant {
                None => None,
                Some(code) => Some(
                    directory::find_tenant_by_code(&db, &code)
                        .await?
                        .with_context(|| format!("no tenant with code {code:?}"))?
                        .id,
                ),
            };
            let change = AccountChange {
                role_opt: Some(role),
                tenant_id_opt: Some(tenant_id_opt),
                ..AccountChange::default()
            };
            let changed =
                accounts::change(&db, &cli_actor(), CLI_ADMIN, id, change, Utc::now()).await?;
            println!(
                "{username} is now {}; {} sessions ended",
                changed.account.role,
                changed.ended_sessions.len()
            );
        }
        UserCommand::Revoke { username } => {
            let id = account_id(&db, &username).await?;
            let ended =
                accounts::revoke_sessions(&db, &cli_actor(), CLI_ADMIN, id, Utc::now()).await?;
            println!("{} sessions of {username} ended", ended.len());
        }
        UserCommand::ResetPassword { username } => {
            let id = account_id(&db, &username).await?;
            let mail = ResetMail::from_settings(&settings.auth, &settings.mail, Nudge::default());
            let sent =
                accounts::send_password_reset(&db, &cli_actor(), CLI_ADMIN, &mail, id, Utc::now())
                    .await?;
            // The running server's mail sender picks it up at its next poll.
            println!(
                "a reset link for {username} is queued for {} (valid until {})",
                sent.email, sent.expires_at
            );
        }
    }
    Ok(())
}

/// The command line administers every account, as a bureau admin would.
const CLI_ADMIN: Administrator = Administrator::Bureau { user_id_opt: None };

/// The command line in the audit trail: no user, no address.
fn cli_actor() -> AuditActor {
    AuditActor::system()
}

async fn account_id(db: &sea_orm::DatabaseConnection, username: &str) -> anyhow::Result<i64> {
    Ok(accounts::find_by_username(db, CLI_ADMIN, username)
        .await?
        .id)
}

fn read_password() -> anyhow::Result<SecretString> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!password.is_empty(), "no password on standard input");
    Ok(SecretString::from(password))
}
