//! `yunguan demo`: the server on the embedded default, seeded with the demo tenants and
//! accounts of the brief, their password taken from `YUNGUAN_DEMO_PASSWORD` (or generated),
//! and a simulated network of a few hundred SNMP devices in three data centers that the
//! server polls live, placed in the racks of two machine rooms per data center ([`racks`]),
//! with faults coming and going ([`network`]; not with `--no-chaos`) and
//! fault commands read from standard input ([`commands`]); and a simulated OpenStack region
//! started in-process and synced as the demo's cloud platform, a few of its VMs each demo
//! tenant's ([`tenant_vms`]); with `--openstack-sim`,
//! fulfilment runs on it too. Once it listens it prints
//! `demo ready`, for whoever waits on it.

pub mod commands;
pub mod network;
pub mod racks;
pub mod tenant_vms;

use anyhow::Context;
use sea_orm::DatabaseConnection;
use secrecy::{ExposeSecret, SecretString};

use crate::identity::directory::{self, NewUser};
use crate::identity::names::{TenantCode, Username};
use yunguan_actors::quota::Resources;
use yunguan_simulators::openstack::{OpenStackSim, OpenStackSimConfig};

use crate::identity::Role;
use crate::settings::{CloudProviderKind, Settings};
use crate::startup::Application;

/// The demo tenants: code and display name.
pub const TENANTS: [(&str, &str); 3] = [
    ("edu", "教育局"),
    ("health", "卫健委"),
    ("transport", "交通局"),
];

/// Each demo tenant's quota.
const DEMO_QUOTA: Resources = Resources {
    vcpu: 512,
    memory_gb: 2048,
    storage_gb: 40_000,
    hosts: 128,
    public_ips: 16,
};

/// The bureau-side demo accounts: username, role, display name.
pub const BUREAU_ACCOUNTS: [(&str, Role, &str); 4] = [
    ("admin", Role::BureauAdmin, "平台管理员"),
    ("manager", Role::BureauManager, "局管理人员"),
    ("ops", Role::BureauOperator, "局运维人员"),
    ("supplier", Role::Supplier, "供应商工程师"),
];

/// How the demo runs.
#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    /// Fulfil on the demo's simulated OpenStack (instead of `cloud.provider`).
    pub openstack_sim: bool,
    /// Keep taking random links down and up; without it, only the faults present from the
    /// start and those commanded on standard input happen.
    pub chaos: bool,
}

/// The demo's cloud: a simulated OpenStack region the command center shows (hosts, VMs,
/// hypervisor load), synced like a real platform.
fn demo_cloud() -> OpenStackSimConfig {
    OpenStackSimConfig {
        n_hypervisors: 16,
        n_servers: 60,
        ..OpenStackSimConfig::default()
    }
}

pub async fn run(mut settings: Settings, options: DemoOptions) -> anyhow::Result<()> {
    // Kept until the server stops; dropping it stops the simulator.
    let sim = OpenStackSim::start(demo_cloud()).context("starting the simulated openstack")?;
    println!("simulated openstack (keystone v3) on {}", sim.auth_url());
    if options.openstack_sim {
        let credentials = sim.credentials();
        settings.cloud.provider = CloudProviderKind::Openstack;
        settings.cloud.openstack_auth_url = sim.auth_url();
        settings.cloud.openstack_username = credentials.username.clone();
        settings.cloud.openstack_password = Some(SecretString::from(credentials.password.clone()));
        settings.cloud.openstack_project = credentials.project.clone();
        settings.cloud.openstack_domain = credentials.project_domain.clone();
    }
    let (password, generated) = match std::env::var("YUNGUAN_DEMO_PASSWORD") {
        Ok(password) if !password.is_empty() => (SecretString::from(password), false),
        _ => (
            SecretString::from(crate::identity::token::random_token()[..16].to_owned()),
            true,
        ),
    };
    let db =
        crate::db::connect_and_migrate(&settings.database_url(), settings.database.max_connections)
            .await?;
    seed(&db, &password).await?;
    let fleet = network::start_fleet().await?;
    let sealer =
        crate::secrets::Sealer::from_settings(&settings.secrets, &settings.server.data_dir)
            .context("loading the credential key")?;
    network::seed_inventory(&db, &sealer, &fleet)
        .await
        .context("entering the simulated network in the inventory")?;
    network::register_openstack(&db, &sealer, &sim.auth_url(), sim.credentials()).await?;
    network::cable(&db, &fleet)
        .await
        .context("cabling the simulated network for LLDP")?;
    // The simulated devices send their traps straight to this server, wherever it listens.
    settings.monitoring.trap_listen = "127.0.0.1:0".parse()?;
    let app = Application::build_with_db(settings.clone(), db).await?;
    if let Some(trap_addr) = app.state().monitoring.trap_addr_opt() {
        fleet.send_traps_to(trap_addr);
    }
    actix_web::rt::spawn(tenant_vms::share_out(app.state().db.clone()));
    network::give_habits(&fleet);
    network::break_from_the_start(&fleet).await;
    // Kept until the server stops.
    let _stirring_opt = options
        .chaos
        .then(|| network::stir(fleet.clone(), std::time::Duration::from_secs(20)));
    let _commands = commands::read_stdin(fleet.clone());
    println!(
        "simulated network: {} SNMP devices in {} data centers on udp://{}",
        network::DEVICES,
        network::DATA_CENTERS,
        fleet.local_addr()
    );
    let host = match settings.server.listen.ip() {
        ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
        ip => ip.to_string(),
    };
    let port = app.port();
    // Printed once the server runs, after its start-up logs, so the password line ends
    // the start-up and a reader can paste it.
    let banner = banner(&format!("http://{host}:{port}"), &password, generated)?;
    actix_web::rt::spawn(async move {
        tokio::task::yield_now().await;
        print!("{banner}");
    });
    app.run_until_stopped().await
}

/// What the demo tells its reader: where it is, the accounts, and last a line to paste into
/// a shell (the README's examples read `YUNGUAN_DEMO_PASSWORD`), followed by `demo ready`.
fn banner(base_url: &str, password: &SecretString, generated: bool) -> anyhow::Result<String> {
    let quoted = shlex::try_quote(password.expose_secret())
        .map_err(|_| anyhow::anyhow!("YUNGUAN_DEMO_PASSWORD cannot hold a NUL character"))?;
    let origin = if generated {
        "generated; set YUNGUAN_DEMO_PASSWORD to choose one"
    } else {
        "from YUNGUAN_DEMO_PASSWORD"
    };
    Ok(format!(
        "yunguan demo on {base_url}/\n\
         API reference: {base_url}/docs/ (OpenAPI document: {base_url}/api/v1/openapi.json)\n\
         accounts: {accounts}\n\
         password ({origin}); for the README's examples, paste:\n\
         export YUNGUAN_DEMO_PASSWORD={quoted}\n\
         demo ready\n",
        accounts = account_names().join(", "),
    ))
}

fn account_names() -> Vec<String> {
    let mut names: Vec<String> = BUREAU_ACCOUNTS
        .iter()
        .map(|(name, _, _)| (*name).to_owned())
        .collect();
    for (code, _) in TENANTS {
        names.push(format!("{code}-admin"));
        names.push(format!("{code}-dev"));
    }
    names
}

/// Creates what is missing and resets every demo account's password to `password`.
pub async fn seed(db: &DatabaseConnection, password: &SecretString) -> anyhow::Result<()> {
    let mut accounts: Vec<(String, Role, String, Option<i64>)> = BUREAU_ACCOUNTS
        .iter()
        .map(|(name, role, display)| ((*name).to_owned(), *role, (*display).to_owned(), None))
        .collect();
    for (code, name) in TENANTS {
        let tenant = match directory::find_tenant_by_code(db, code).await? {
            Some(tenant) => tenant,
            None => {
                directory::create_tenant(
                    db,
                    &TenantCode::parse(code).map_err(anyhow::Error::msg)?,
                    name,
                )
                .await?
            }
        };
        accounts.push((
            format!("{code}-admin"),
            Role::TenantAdmin,
            format!("{name}管理员"),
            Some(tenant.id),
        ));
        accounts.push((
            format!("{code}-dev"),
            Role::TenantMember,
            format!("{name}开发运维"),
            Some(tenant.id),
        ));
    }
    for (code, _) in TENANTS {
        let Some(tenant) = directory::find_tenant_by_code(db, code).await? else {
            continue;
        };
        if crate::quotas::ledger(db, tenant.id).await?.limit.is_zero() {
            crate::quotas::set_limits(db, tenant.id, DEMO_QUOTA, chrono::Utc::now()).await?;
        }
    }
    for (username, role, display_name, tenant_id_opt) in accounts {
        match directory::find_user_by_username(db, &username).await? {
            Some(existing) => directory::set_password(db, existing, password.clone()).await?,
            None => {
                directory::create_user(
                    db,
                    NewUser {
                        username: Username::parse(&username).map_err(anyhow::Error::msg)?,
                        display_name,
                        email_opt: Some(format!("{username}@demo.yunguan.local")),
                        password: password.clone(),
                        role,
                        tenant_id_opt,
                    },
                )
                .await?;
            }
        }
    }
    Ok(())
}
