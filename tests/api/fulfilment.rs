//! After approval: cloud hosts created on the simulated cloud with progress pushed, failures
//! retried and finally failing the ticket with its quota released, changes and
//! decommissions of what was created, manual tasks for suppliers, closing and rating.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, Backend, TestApp};
use crate::on_every_backend;
use crate::placement::compute_pool;
use crate::tickets::{act, approve_ok, item_id, populate, submit_vm, ticket};
use crate::watch::Watch;

on_every_backend!(
    an_approved_request_creates_its_hosts_and_pushes_progress,
    a_step_that_keeps_failing_fails_the_ticket_and_releases_its_quota,
    created_hosts_are_resized_and_decommissioned_through_tickets,
    a_supplier_completes_the_manual_task_of_a_firewall_opening,
);

/// Waits until the ticket reaches `state` (at once, if it is there).
pub(crate) async fn wait_for_state(
    app: &TestApp,
    token: &str,
    ticket_id: i64,
    state: &str,
) -> Value {
    wait_for_states(app, token, ticket_id, &[state]).await
}

/// Waits until the ticket reaches one of `states`: watches its topic, then reads it, then
/// waits for its `ticket.changed`. Answers the ticket as `GET /tickets/{id}` shows it then.
pub(crate) async fn wait_for_states(
    app: &TestApp,
    token: &str,
    ticket_id: i64,
    states: &[&str],
) -> Value {
    let reached = |ticket: &Value| states.iter().any(|state| ticket["state"] == *state);
    let tenant_id = ticket(app, token, ticket_id).await["tenant_id"].clone();
    let topic = format!("tenant/{tenant_id}/tickets/{ticket_id}");
    let mut changes = Watch::on(app, &[&topic]).await;
    let current = ticket(app, token, ticket_id).await;
    if reached(&current) {
        return current;
    }
    changes
        .until(
            &format!("ticket {ticket_id} to become one of {states:?}"),
            |event| event["kind"] == "ticket.changed" && reached(&event["data"]),
        )
        .await;
    ticket(app, token, ticket_id).await
}

/// A shared compute pool with four hosts (32 vCPU, 128 GB, 2 TB each) to place VMs on.
pub(crate) async fn room(app: &TestApp) {
    let admin = app.login("admin").await;
    let hosts = ["hv-01", "hv-02", "hv-03", "hv-04"];
    compute_pool(app, &admin, "shared", "spread", None, &hosts).await;
}

pub(crate) async fn approve_both_levels(app: &TestApp, ticket_id: i64) {
    approve_ok(app, &app.login("edu-admin").await, ticket_id).await;
    approve_ok(app, &app.login("ops1").await, ticket_id).await;
}

pub(crate) fn inventory_ids(detail: &Value) -> Vec<i64> {
    detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "fulfilled")
        .map(|e| {
            e["detail"]["inventory_records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| id.as_i64().unwrap())
                .collect()
        })
        .unwrap_or_default()
}

async fn an_approved_request_creates_its_hosts_and_pushes_progress(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let world = populate(&app).await;
    room(&app).await;
    let dev = app.login("edu-dev").await;
    let id = submit_vm(&app, &dev, 2).await["id"].as_i64().unwrap();
    let mut ws = app.ws(&dev).await;
    ws.subscribe(&format!("tenant/{}/tickets/{id}", world.edu), None)
        .await;
    approve_both_levels(&app, id).await;
    // approved, fulfilling, two hosts' progress, fulfilled.
    let mut seen = Vec::new();
    while seen.last().map(String::as_str) != Some("fulfilled") {
        let event = ws.next_json().await;
        seen.push(match event["kind"].as_str().unwrap() {
            "ticket.progress" => {
                format!("progress {}/{}", event["data"]["step"], event["data"]["of"])
            }
            _ => event["data"]["state"].as_str().unwrap().to_owned(),
        });
    }
    // The first approval moved it to the operators' level.
    assert_eq!(
        seen,
        vec![
            "approving",
            "approved",
            "fulfilling",
            "progress 1/2",
            "progress 2/2",
            "fulfilled"
        ]
    );
    let detail = ticket(&app, &dev, id).await;
    assert_eq!(inventory_ids(&detail).len(), 2);
    let hosts: Value = app
        .get("/api/v1/inventory?kind=cloud_host", Some(&dev))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(hosts.as_array().unwrap().len(), 2, "{hosts}");
    assert_eq!(hosts[0]["business_system"], "学籍管理系统");
    assert_eq!(hosts[0]["attributes"]["size"]["vcpu"], 8);
    // Another tenant sees none of them; the bureau sees them all.
    let health: Value = app
        .get("/api/v1/inventory", Some(&app.login("health-dev").await))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(health, json!([]));
    let bureau: Value = app
        .get("/api/v1/inventory", Some(&app.login("manager1").await))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bureau.as_array().unwrap().len(), 2);
    let quota: Value = app
        .get(&format!("/api/v1/tenants/{}/quota", world.edu), Some(&dev))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(quota["held"]["hosts"], 2);

    // The requester closes and rates it, once; nobody else may.
    let edu_admin = app.login("edu-admin").await;
    assert_eq!(
        act(&app, &edu_admin, id, "close", json!({})).await.status(),
        403
    );
    assert_eq!(
        act(&app, &dev, id, "rating", json!({"rating": 5}))
            .await
            .status(),
        409,
        "not closed yet"
    );
    let closed: Value = act(&app, &dev, id, "close", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(closed["state"], "closed");
    assert!(closed["closed_at"].is_string());
    assert_eq!(
        act(&app, &dev, id, "rating", json!({"rating": 6}))
            .await
            .status(),
        422
    );
    let rated: Value = act(
        &app,
        &dev,
        id,
        "rating",
        json!({"rating": 4, "comment": "快"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(rated["rating"], 4);
    assert_eq!(
        act(&app, &dev, id, "rating", json!({"rating": 1}))
            .await
            .status(),
        409
    );
}

async fn a_step_that_keeps_failing_fails_the_ticket_and_releases_its_quota(backend: Backend) {
    let (app, _storage) = spawn_app_with(backend, |settings| {
        settings.fulfilment.sim_failure_rate = 1.0;
        settings.fulfilment.max_attempts = 3;
    })
    .await;
    let world = populate(&app).await;
    room(&app).await;
    let dev = app.login("edu-dev").await;
    let id = submit_vm(&app, &dev, 1).await["id"].as_i64().unwrap();
    approve_both_levels(&app, id).await;
    let failed = wait_for_state(&app, &dev, id, "failed").await;
    assert!(
        failed["reason"]
            .as_str()
            .unwrap()
            .contains("after 3 attempt(s)"),
        "{failed}"
    );
    let retries = failed["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "progress")
        .count();
    assert_eq!(
        retries, 2,
        "two retries reported before the last attempt failed"
    );
    let quota: Value = app
        .get(&format!("/api/v1/tenants/{}/quota", world.edu), Some(&dev))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(quota["held"]["vcpu"], 0);
}

async fn created_hosts_are_resized_and_decommissioned_through_tickets(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let world = populate(&app).await;
    room(&app).await;
    let dev = app.login("edu-dev").await;
    let id = submit_vm(&app, &dev, 1).await["id"].as_i64().unwrap(); // one c1.xlarge: 8 vCPU, 16 GB
    approve_both_levels(&app, id).await;
    let host_id = inventory_ids(&wait_for_state(&app, &dev, id, "fulfilled").await)[0];
    let quota_path = format!("/api/v1/tenants/{}/quota", world.edu);

    let change_item = item_id(&app, &dev, "vm.change").await;
    let change: Value = app
        .post_json(
            "/api/v1/tickets",
            Some(&dev),
            &json!({"item_id": change_item, "title": "grow", "form": {"business_system": "学籍管理系统", "host_id": host_id, "vcpu": 12, "add_disk_gb": 50}}),
        )
        .await
        .json()
        .await
        .unwrap();
    let change_id = change["id"].as_i64().unwrap();
    approve_both_levels(&app, change_id).await;
    wait_for_state(&app, &dev, change_id, "fulfilled").await;
    let quota: Value = app.get(&quota_path, Some(&dev)).await.json().await.unwrap();
    assert_eq!(
        (
            quota["held"]["vcpu"].as_i64(),
            quota["held"]["storage_gb"].as_i64()
        ),
        (Some(12), Some(150))
    );

    // Shrinking gives back what the host no longer holds.
    let shrink: Value = app
        .post_json(
            "/api/v1/tickets",
            Some(&dev),
            &json!({"item_id": change_item, "title": "shrink", "form": {"business_system": "学籍管理系统", "host_id": host_id, "vcpu": 4}}),
        )
        .await
        .json()
        .await
        .unwrap();
    let shrink_id = shrink["id"].as_i64().unwrap();
    approve_both_levels(&app, shrink_id).await;
    wait_for_state(&app, &dev, shrink_id, "fulfilled").await;
    let quota: Value = app.get(&quota_path, Some(&dev)).await.json().await.unwrap();
    assert_eq!(quota["held"]["vcpu"], 4, "{quota}");

    let decommission_item = item_id(&app, &dev, "vm.decommission").await;
    let gone: Value = app
        .post_json(
            "/api/v1/tickets",
            Some(&dev),
            &json!({"item_id": decommission_item, "title": "retire", "form": {"business_system": "学籍管理系统", "host_id": host_id, "reason": "系统下线"}}),
        )
        .await
        .json()
        .await
        .unwrap();
    let gone_id = gone["id"].as_i64().unwrap();
    approve_ok(&app, &app.login("edu-admin").await, gone_id).await;
    wait_for_state(&app, &dev, gone_id, "fulfilled").await;
    let quota: Value = app.get(&quota_path, Some(&dev)).await.json().await.unwrap();
    // The host gives back everything it held, growth included.
    assert_eq!(
        quota["held"],
        json!({"vcpu": 0, "memory_gb": 0, "storage_gb": 0, "hosts": 0, "public_ips": 0})
    );
    // A retired host cannot be changed again, nor another tenant's host named.
    let again = app
        .post_json(
            "/api/v1/tickets",
            Some(&dev),
            &json!({"item_id": change_item, "title": "x", "form": {"business_system": "学籍管理系统", "host_id": host_id, "vcpu": 2}}),
        )
        .await;
    assert_eq!(again.status(), 422);
}

async fn a_supplier_completes_the_manual_task_of_a_firewall_opening(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    populate(&app).await;
    let dev = app.login("edu-dev").await;
    let item = item_id(&app, &dev, "network.firewall").await;
    let submitted: Value = app
        .post_json(
            "/api/v1/tickets",
            Some(&dev),
            &json!({"item_id": item, "title": "开通数据库访问", "form": {"business_system": "学籍管理系统", "source_cidrs": ["10.1.0.0/16"], "destination_cidrs": ["172.16.5.10/32"], "ports": ["5432"], "protocol": "tcp", "duration_days": 30}}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = submitted["id"].as_i64().unwrap();
    approve_both_levels(&app, id).await;
    wait_for_state(&app, &dev, id, "fulfilling").await;
    let (supplier, ops, health_dev) = (
        app.login("supplier").await,
        app.login("ops1").await,
        app.login("health-dev").await,
    );
    let tasks: Value = app
        .get("/api/v1/tasks", Some(&supplier))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tasks.as_array().unwrap().len(), 1, "{tasks}");
    assert_eq!(tasks[0]["ticket_id"], id);
    assert_eq!(tasks[0]["form"]["ports"], json!(["5432"]));
    let task_id = tasks[0]["id"].as_i64().unwrap();
    // Operators and other tenants neither see nor complete a supplier's task.
    let ops_tasks: Value = app
        .get("/api/v1/tasks", Some(&ops))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ops_tasks, json!([]));
    for token in [&ops, &health_dev, &dev] {
        let refused = app
            .post_json(
                &format!("/api/v1/tasks/{task_id}/complete"),
                Some(token),
                &json!({}),
            )
            .await;
        assert_eq!(refused.status(), 404);
    }
    let done = app
        .post_json(
            &format!("/api/v1/tasks/{task_id}/complete"),
            Some(&supplier),
            &json!({"note": "已在核心防火墙配置"}),
        )
        .await;
    assert_eq!(done.status(), 200);
    let detail = ticket(&app, &dev, id).await;
    assert_eq!(detail["state"], "fulfilled");
    assert_eq!(
        inventory_ids(&detail).len(),
        1,
        "a firewall rule is on record"
    );
    let twice = app
        .post_json(
            &format!("/api/v1/tasks/{task_id}/complete"),
            Some(&supplier),
            &json!({}),
        )
        .await;
    assert_eq!(twice.status(), 409);
}
