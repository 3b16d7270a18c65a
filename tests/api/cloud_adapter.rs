//! The OpenStack adapter against the simulated OpenStack (`yunguan_simulators::openstack`)
//! over HTTP: full and incremental sync, utilization, create (idempotent per key), resize,
//! delete, token renewal, injected failures, and a ticket fulfilled on OpenStack.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use yunguan::cloud::openstack::{OpenStackClient, OpenStackConfig, REQUEST_KEY_METADATA};
use yunguan::cloud::{CloudChanges, CloudError, ServerStatus, SyncCursor};
use yunguan::fulfilment::provider::{CloudProvider, HostRequest, HostSize, ProviderError};
use yunguan::settings::{CloudProviderKind, Settings};
use yunguan_simulators::openstack::{OpenStackSim, OpenStackSimConfig};

use crate::fulfilment::{approve_both_levels, inventory_ids, wait_for_state};
use crate::helpers::{spawn_app_with, Backend};
use crate::on_every_backend;
use crate::placement::compute_pool;
use crate::tickets::{populate, submit_vm};

/// A small, quick cloud: 2 hypervisors, 5 servers, builds of 50-100 ms.
fn quick_sim() -> OpenStackSim {
    OpenStackSim::start(OpenStackSimConfig {
        n_hypervisors: 2,
        n_servers: 5,
        latency_ms: 0..=2,
        build_time_ms: 50..=100,
        resize_time_ms: 20..=50,
        ..OpenStackSimConfig::default()
    })
    .expect("the simulator starts")
}

fn config_for(sim: &OpenStackSim) -> OpenStackConfig {
    let credentials = sim.credentials();
    OpenStackConfig {
        auth_url: sim.auth_url(),
        username: credentials.username.clone(),
        password: SecretString::from(credentials.password.clone()),
        project: credentials.project.clone(),
        domain: credentials.user_domain.clone(),
        request_timeout: Duration::from_secs(5),
        operation_timeout: Duration::from_secs(10),
        poll_interval: Duration::from_millis(20),
    }
}

fn client_for(sim: &OpenStackSim) -> OpenStackClient {
    OpenStackClient::new(config_for(sim)).unwrap()
}

fn request(key: &str, name: &str, vcpu: i64, memory_gb: i64, disk_gb: i64) -> HostRequest {
    HostRequest {
        key: key.to_owned(),
        name: name.to_owned(),
        size: HostSize {
            vcpu,
            memory_gb,
            disk_gb,
        },
        image: "kylin-v10".to_owned(),
        network: "gov-intranet".to_owned(),
        placed_on_opt: None,
    }
}

#[tokio::test]
async fn a_full_sync_then_incremental_syncs_report_each_change_once() {
    let sim = quick_sim();
    let client = client_for(&sim);
    let (changes, cursor) = client.sync(&SyncCursor::initial()).await.unwrap();
    let CloudChanges::Full(inventory) = changes else {
        panic!("the first sync is full: {changes:?}")
    };
    assert_eq!(inventory.hypervisors.len(), 2);
    assert_eq!(inventory.servers.len(), 5);
    assert_eq!(
        inventory
            .networks
            .iter()
            .map(|n| n.name.as_str())
            .collect::<Vec<_>>(),
        ["gov-intranet", "gov-extranet", "internet-dmz"]
    );
    assert_eq!(
        inventory.volumes.len(),
        2,
        "one data volume per third server"
    );
    assert!(inventory
        .servers
        .iter()
        .all(|s| s.status == ServerStatus::Active && !s.addresses.is_empty()));
    let used: i64 = inventory.hypervisors.iter().map(|h| h.vcpus_used).sum();
    let held: i64 = inventory.servers.iter().map(|s| s.size.vcpu).sum();
    assert_eq!(used, held, "hypervisor usage is the servers placed on them");
    assert!(inventory.hypervisors.iter().all(|h| h
        .cpu_utilization_percent_opt
        .is_some_and(|cpu| (0.0..=100.0).contains(&cpu))));

    let (changes, cursor) = client.sync(&cursor).await.unwrap();
    let CloudChanges::Incremental(nothing) = changes else {
        panic!("later syncs are incremental")
    };
    assert!(nothing.changed.is_empty() && nothing.deleted_cloud_ids.is_empty());

    let created = client
        .create_host(request("ticket-1/host-0", "t1-1", 2, 4, 40))
        .await
        .unwrap();
    let gone = inventory.servers[0].cloud_id.clone();
    client.delete_host(&gone).await.unwrap();
    let (changes, cursor) = client.sync(&cursor).await.unwrap();
    let CloudChanges::Incremental(news) = changes else {
        panic!("later syncs are incremental")
    };
    assert_eq!(news.changed.len(), 1, "{news:?}");
    assert_eq!(news.changed[0].cloud_id, created.cloud_id);
    assert_eq!(news.changed[0].status, ServerStatus::Active);
    assert_eq!(
        news.changed[0].request_key_opt.as_deref(),
        Some("ticket-1/host-0")
    );
    assert_eq!(news.deleted_cloud_ids, vec![gone]);
    let used_now: i64 = news.hypervisors.iter().map(|h| h.vcpus_used).sum();
    assert_eq!(used_now, used + 2 - inventory.servers[0].size.vcpu);

    let (changes, _) = client.sync(&cursor).await.unwrap();
    assert!(
        matches!(&changes, CloudChanges::Incremental(c) if c.changed.is_empty() && c.deleted_cloud_ids.is_empty()),
        "each change is reported once: {changes:?}"
    );
}

#[tokio::test]
async fn a_retried_create_finds_the_server_its_key_made() {
    let sim = OpenStackSim::start(OpenStackSimConfig {
        n_servers: 0,
        latency_ms: 0..=2,
        build_time_ms: 400..=400,
        ..OpenStackSimConfig::default()
    })
    .unwrap();
    // The first attempt gives up waiting while the server builds, as after a lost answer.
    let impatient = OpenStackClient::new(OpenStackConfig {
        operation_timeout: Duration::from_millis(50),
        ..config_for(&sim)
    })
    .unwrap();
    let first = impatient
        .create_host(request("ticket-7/host-0", "t7-1", 2, 4, 40))
        .await;
    assert!(
        matches!(&first, Err(ProviderError::Transient(why)) if why.contains("timed out")),
        "{first:?}"
    );
    let client = client_for(&sim);
    let host = client
        .create_host(request("ticket-7/host-0", "t7-1", 2, 4, 40))
        .await
        .unwrap();
    let again = client
        .create_host(request("ticket-7/host-0", "t7-1", 2, 4, 40))
        .await
        .unwrap();
    assert_eq!(host, again);
    assert!(host.address.starts_with("10.10."), "{host:?}");
    // Another key with the same name is another server.
    let other = client
        .create_host(request("ticket-8/host-0", "t7-1", 2, 4, 40))
        .await
        .unwrap();
    assert_ne!(other.cloud_id, host.cloud_id);
    let servers = sim.servers();
    assert_eq!(servers.len(), 2, "{servers:?}");
    assert_eq!(
        servers
            .iter()
            .filter(|s| s.metadata.get(REQUEST_KEY_METADATA).map(String::as_str)
                == Some("ticket-7/host-0"))
            .count(),
        1
    );
}

#[tokio::test]
async fn resizes_are_confirmed_and_deletes_of_gone_servers_succeed() {
    let sim = quick_sim();
    let client = client_for(&sim);
    let host = client
        .create_host(request("ticket-2/host-0", "t2-1", 2, 4, 40))
        .await
        .unwrap();
    let bigger = HostSize {
        vcpu: 4,
        memory_gb: 8,
        disk_gb: 60,
    };
    // No flavor has this size: the adapter makes one.
    let resized = client.resize_host(&host.cloud_id, bigger).await.unwrap();
    assert_eq!(resized.size, bigger);
    let server = client.server(&host.cloud_id).await.unwrap();
    assert_eq!((server.status, server.size), (ServerStatus::Active, bigger));
    // Asking for the size it has is a success.
    assert_eq!(
        client.resize_host(&host.cloud_id, bigger).await.unwrap(),
        resized
    );
    let utilization = client.server_utilization(&host.cloud_id).await.unwrap();
    assert_eq!(utilization.memory_total_mb, 8192);
    assert!((0.0..=100.0).contains(&utilization.cpu_percent));
    assert!(
        utilization.disk_read_bytes_opt.is_some()
            && utilization.disk_write_bytes_opt.is_some()
            && utilization.received_bytes_opt.is_some()
            && utilization.sent_bytes_opt.is_some()
            && utilization.uptime_secs_opt.is_some(),
        "diagnostics give every counter: {utilization:?}"
    );

    client.delete_host(&host.cloud_id).await.unwrap();
    client.delete_host(&host.cloud_id).await.unwrap();
    assert!(matches!(
        client.server(&host.cloud_id).await,
        Err(CloudError::NotFound(_))
    ));
    let missing = client.resize_host(&host.cloud_id, bigger).await;
    assert!(
        matches!(missing, Err(ProviderError::Permanent(_))),
        "{missing:?}"
    );
}

#[tokio::test]
async fn a_refused_token_is_renewed_once_and_a_wrong_password_says_so() {
    let sim = quick_sim();
    let client = client_for(&sim);
    client.hypervisors().await.unwrap();
    client.hypervisors().await.unwrap();
    assert_eq!(sim.tokens_issued(), 1, "the token is reused");
    sim.expire_tokens();
    client.hypervisors().await.unwrap();
    assert_eq!(sim.tokens_issued(), 2, "one new login after the 401");

    // Keystone down with the token gone: worth retrying later.
    sim.expire_tokens();
    sim.set_keystone_available(false);
    let down = client.hypervisors().await.unwrap_err();
    assert!(
        down.is_transient() && down.to_string().contains("keystone"),
        "{down}"
    );
    sim.set_keystone_available(true);
    client.hypervisors().await.unwrap();

    let wrong = OpenStackClient::new(OpenStackConfig {
        password: SecretString::from("not-the-password"),
        ..config_for(&sim)
    })
    .unwrap();
    let refused = wrong.sync(&SyncCursor::initial()).await.unwrap_err();
    assert_eq!(
        refused,
        CloudError::Unauthorized(format!(
            "keystone refused user {} in project {} (domain Default)",
            sim.credentials().username,
            sim.credentials().project
        ))
    );
    let as_provider = wrong
        .create_host(request("k", "n", 1, 2, 20))
        .await
        .unwrap_err();
    assert!(matches!(as_provider, ProviderError::Permanent(_)));
}

#[tokio::test]
async fn server_errors_are_transient_and_failed_builds_permanent_and_removed() {
    let sim = quick_sim();
    let client = client_for(&sim);
    sim.fail_next(1);
    let failed = client
        .create_host(request("ticket-3/host-0", "t3-1", 1, 2, 20))
        .await;
    assert!(
        matches!(&failed, Err(ProviderError::Transient(why)) if why.contains("500")),
        "{failed:?}"
    );
    let retried = client
        .create_host(request("ticket-3/host-0", "t3-1", 1, 2, 20))
        .await
        .unwrap();
    assert_eq!(retried.size.vcpu, 1);

    sim.fail_next_builds(1);
    let broken = client
        .create_host(request("ticket-4/host-0", "t4-1", 1, 2, 20))
        .await;
    assert!(
        matches!(&broken, Err(ProviderError::Permanent(why)) if why.contains("ERROR")),
        "{broken:?}"
    );
    assert!(
        sim.servers().iter().all(|s| s.name != "t4-1"),
        "the broken server was deleted"
    );
}

on_every_backend!(a_ticket_is_fulfilled_on_openstack);

/// Settings that fulfil on `sim`, polling its builds every 20 ms.
pub(crate) fn fulfilling_on(sim: &OpenStackSim) -> impl FnOnce(&mut Settings) {
    let auth_url = sim.auth_url();
    let credentials = sim.credentials().clone();
    move |settings| {
        settings.cloud.provider = CloudProviderKind::Openstack;
        settings.cloud.openstack_auth_url = auth_url;
        settings.cloud.openstack_username = credentials.username;
        settings.cloud.openstack_password = Some(SecretString::from(credentials.password));
        settings.cloud.openstack_project = credentials.project;
        settings.cloud.openstack_domain = credentials.project_domain;
        settings.cloud.poll_interval_ms = 20;
    }
}

async fn a_ticket_is_fulfilled_on_openstack(backend: Backend) {
    let sim = quick_sim();
    let (app, _storage) = spawn_app_with(backend, fulfilling_on(&sim)).await;
    populate(&app).await;
    let admin = app.login("admin").await;
    let hypervisors = ["compute-01.cloud.local", "compute-02.cloud.local"];
    compute_pool(&app, &admin, "shared", "spread", None, &hypervisors).await;
    let dev = app.login("edu-dev").await;
    let id = submit_vm(&app, &dev, 2).await["id"].as_i64().unwrap();
    approve_both_levels(&app, id).await;
    let fulfilled = wait_for_state(&app, &dev, id, "fulfilled").await;
    assert_eq!(inventory_ids(&fulfilled).len(), 2);
    let mut made: Vec<(String, String)> = sim
        .servers()
        .into_iter()
        .filter_map(|s| {
            let key = s.metadata.get(REQUEST_KEY_METADATA)?.clone();
            Some((
                key,
                format!("{} {}c{}g", s.status, s.vcpus, s.ram_mb / 1024),
            ))
        })
        .collect();
    made.sort();
    assert_eq!(
        json!(made),
        json!([
            [format!("ticket-{id}/host-0"), "ACTIVE 8c16g"],
            [format!("ticket-{id}/host-1"), "ACTIVE 8c16g"],
        ])
    );
}

#[tokio::test]
async fn a_full_sync_follows_every_page() {
    let sim = OpenStackSim::start(OpenStackSimConfig {
        n_hypervisors: 40,
        n_servers: 1205,
        latency_ms: 0..=0,
        ..OpenStackSimConfig::default()
    })
    .unwrap();
    let (changes, _) = client_for(&sim).sync(&SyncCursor::initial()).await.unwrap();
    let CloudChanges::Full(inventory) = changes else {
        panic!("the first sync is full")
    };
    let mut ids: Vec<&str> = inventory
        .servers
        .iter()
        .map(|s| s.cloud_id.as_str())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 1205, "two pages of Nova's 1000, nothing twice");
}
