//! Tickets end to end: catalog validation, the approval chain (all-sign, any-sign and
//! conditional levels), reject and resubmit, withdraw, delegation, concurrent and retried
//! approvals, quotas under concurrency, pushes, mail, the audit chain, and tenant isolation.

use chrono::{Duration as Days, Utc};
use futures_util::future::join_all;
use sea_orm::{ConnectionTrait, Statement};
use secrecy::SecretString;
use serde_json::{json, Value};
use yunguan::identity::directory::{self, NewUser};
use yunguan::identity::names::Username;
use yunguan::identity::Role;

use crate::fulfilment::room;
use crate::helpers::{spawn_app, spawn_app_with, Backend, TestApp, PASSWORD};
use crate::on_every_backend;
use crate::smtp::SmtpServer;

on_every_backend!(
    every_catalog_item_rejects_a_bad_form_field_by_field,
    a_large_request_passes_three_levels_with_all_sign_and_any_sign,
    a_small_request_skips_the_conditional_level,
    a_rejected_request_is_amended_and_resubmitted,
    the_requester_withdraws_and_others_cannot,
    a_delegate_approves_for_the_approver,
    two_approvers_at_once_advance_the_level_once_and_a_retry_never_approves_twice,
    concurrent_approvals_never_exceed_the_quota,
    approvers_and_requesters_are_pushed_every_change,
    approval_mail_reaches_a_real_smtp_server,
    the_audit_chain_pinpoints_a_tampered_record,
    a_tenant_cannot_read_approve_or_subscribe_to_another_tenants_tickets,
    catalog_revisions_leave_open_tickets_on_their_version,
    nobody_approves_their_own_request_or_hands_approvals_across_sides,
    catalog_chains_cannot_name_approvers_outside_the_requesters_tenant,
);

pub(crate) struct World {
    pub edu: i64,
    pub health: i64,
}

pub(crate) async fn user_with_email(
    app: &TestApp,
    username: &str,
    role: Role,
    tenant_id_opt: Option<i64>,
) -> i64 {
    directory::create_user(
        &app.db,
        NewUser {
            username: Username::parse(username).unwrap(),
            display_name: username.to_owned(),
            email_opt: Some(format!("{username}@gov.example")),
            password: SecretString::from(PASSWORD),
            role,
            tenant_id_opt,
        },
    )
    .await
    .expect("create user")
    .id
}

pub(crate) async fn populate(app: &TestApp) -> World {
    let edu = app.create_tenant("edu").await;
    let health = app.create_tenant("health").await;
    for (name, role, tenant) in [
        ("admin", Role::BureauAdmin, None),
        ("manager1", Role::BureauManager, None),
        ("manager2", Role::BureauManager, None),
        ("ops1", Role::BureauOperator, None),
        ("ops2", Role::BureauOperator, None),
        ("supplier", Role::Supplier, None),
        ("edu-admin", Role::TenantAdmin, Some(edu)),
        ("edu-dev", Role::TenantMember, Some(edu)),
        ("health-admin", Role::TenantAdmin, Some(health)),
        ("health-dev", Role::TenantMember, Some(health)),
    ] {
        user_with_email(app, name, role, tenant).await;
    }
    let admin = app.login("admin").await;
    for tenant in [edu, health] {
        let response = app
            .put_json(
                &format!("/api/v1/tenants/{tenant}/quota"),
                &admin,
                &json!({"vcpu": 200, "memory_gb": 800, "storage_gb": 10000, "hosts": 50, "public_ips": 5}),
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    World { edu, health }
}

pub(crate) async fn item_id(app: &TestApp, token: &str, code: &str) -> i64 {
    let items: Value = app
        .get("/api/v1/catalog", Some(token))
        .await
        .json()
        .await
        .unwrap();
    items
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["code"] == code)
        .unwrap_or_else(|| panic!("no catalog item {code}"))["id"]
        .as_i64()
        .unwrap()
}

pub(crate) fn in_days(days: i64) -> String {
    (Utc::now() + Days::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// A valid cloud-host request for `count` hosts of 8 vCPU each.
pub(crate) fn vm_form(count: i64) -> Value {
    json!({
        "business_system": "学籍管理系统",
        "flavour": "c1.xlarge",
        "disk_gb": 100,
        "image": "kylin-v10",
        "network": "gov-intranet",
        "count": count,
        "lease_end": in_days(90),
    })
}

pub(crate) async fn submit_vm(app: &TestApp, token: &str, count: i64) -> Value {
    let item = item_id(app, token, "vm.request").await;
    let response = app
        .post_json(
            "/api/v1/tickets",
            Some(token),
            &json!({"item_id": item, "title": format!("{count} hosts"), "form": vm_form(count)}),
        )
        .await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    response.json().await.unwrap()
}

pub(crate) async fn act(
    app: &TestApp,
    token: &str,
    ticket_id: i64,
    action: &str,
    body: Value,
) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/tickets/{ticket_id}/{action}"),
        Some(token),
        &body,
    )
    .await
}

pub(crate) async fn approve_ok(app: &TestApp, token: &str, ticket_id: i64) -> Value {
    let response = act(app, token, ticket_id, "approve", json!({})).await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    response.json().await.unwrap()
}

pub(crate) async fn ticket(app: &TestApp, token: &str, ticket_id: i64) -> Value {
    let response = app
        .get(&format!("/api/v1/tickets/{ticket_id}"), Some(token))
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn every_catalog_item_rejects_a_bad_form_field_by_field(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    populate(&app).await;
    let token = app.login("edu-dev").await;
    let bs = "业务系统";
    let table = [
        (
            "vm.request",
            json!({"business_system": bs, "flavour": "custom", "disk_gb": 10, "image": "dos", "network": "gov-intranet", "count": 1, "lease_end": in_days(0)}),
            vec!["disk_gb", "image", "lease_end"],
        ),
        (
            "vm.request",
            json!({"business_system": bs, "flavour": "custom", "disk_gb": 40, "image": "kylin-v10", "network": "gov-intranet", "count": 1, "lease_end": in_days(30)}),
            vec!["vcpu", "memory_gb"],
        ),
        (
            "vm.change",
            json!({"business_system": bs, "host_id": 1}),
            vec!["form"],
        ),
        (
            "vm.change",
            json!({"business_system": bs, "host_id": 999, "vcpu": 4}),
            vec!["host_id"],
        ),
        (
            "vm.decommission",
            json!({"business_system": bs, "reason": "done"}),
            vec!["host_id"],
        ),
        (
            "network.firewall",
            json!({"business_system": bs, "source_cidrs": ["10.0.0.0/40"], "destination_cidrs": [], "ports": ["70000"], "protocol": "smtp", "duration_days": 0}),
            vec![
                "source_cidrs",
                "destination_cidrs",
                "ports",
                "protocol",
                "duration_days",
            ],
        ),
        (
            "support.incident",
            json!({"business_system": bs, "severity": "apocalyptic", "description": "", "extra": 1}),
            vec!["extra", "severity", "description"],
        ),
        (
            "support.desktop",
            json!({"location": "3楼", "contact_phone": "123", "description": "打印机", "preferred_date": in_days(60)}),
            vec!["business_system", "preferred_date"],
        ),
    ];
    for (code, form, fields) in table {
        let item = item_id(&app, &token, code).await;
        let response = app
            .post_json(
                "/api/v1/tickets",
                Some(&token),
                &json!({"item_id": item, "title": "t", "form": form}),
            )
            .await;
        assert_eq!(response.status(), 422, "{code}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "validation_failed", "{code}");
        let named: Vec<&str> = body["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(named, fields, "{code}: {body}");
    }
    // A valid form of every kind that needs no existing host is accepted.
    for (code, form) in [
        (
            "network.firewall",
            json!({"business_system": bs, "source_cidrs": ["10.1.0.0/16"], "destination_cidrs": ["172.16.5.10/32"], "ports": ["443", "8000-8010"], "protocol": "tcp", "duration_days": 30}),
        ),
        (
            "support.incident",
            json!({"business_system": bs, "severity": "major", "description": "无法登录"}),
        ),
        (
            "support.desktop",
            json!({"business_system": bs, "location": "3楼", "contact_phone": "0571-1234", "description": "打印机卡纸"}),
        ),
    ] {
        let item = item_id(&app, &token, code).await;
        let response = app
            .post_json(
                "/api/v1/tickets",
                Some(&token),
                &json!({"item_id": item, "title": "t", "form": form}),
            )
            .await;
        assert_eq!(
            response.status(),
            201,
            "{code}: {:?}",
            response.text().await
        );
    }
    // Only a tenant's users request.
    let ops = app.login("ops1").await;
    let item = item_id(&app, &ops, "vm.request").await;
    let response = app
        .post_json(
            "/api/v1/tickets",
            Some(&ops),
            &json!({"item_id": item, "title": "t", "form": vm_form(1)}),
        )
        .await;
    assert_eq!(response.status(), 403);
}

async fn a_large_request_passes_three_levels_with_all_sign_and_any_sign(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    populate(&app).await;
    room(&app).await;
    let dev = app.login("edu-dev").await;
    // 5 hosts x 8 vCPU = 40 > 32: the bureau managers' all-sign level applies.
    let submitted = submit_vm(&app, &dev, 5).await;
    let id = submitted["id"].as_i64().unwrap();
    assert_eq!(submitted["state"], "approving");
    assert_eq!(submitted["level_index"], 0);
    assert_eq!(submitted["level_count"], 3);

    let (edu_admin, ops1, ops2, manager1, manager2) = (
        app.login("edu-admin").await,
        app.login("ops1").await,
        app.login("ops2").await,
        app.login("manager1").await,
        app.login("manager2").await,
    );
    // Level 0: the tenant admin; an operator is not an approver yet.
    assert_eq!(
        act(&app, &ops1, id, "approve", json!({})).await.status(),
        403
    );
    assert_eq!(approve_ok(&app, &edu_admin, id).await["level_index"], 1);
    // Level 1, any-one-signs: the first operator decides; the second is too late.
    assert_eq!(approve_ok(&app, &ops2, id).await["level_index"], 2);
    let late = act(&app, &ops1, id, "approve", json!({})).await;
    assert_eq!(late.status(), 409);
    // Level 2, all-must-sign: one manager is not enough.
    let half = approve_ok(&app, &manager1, id).await;
    assert_eq!(
        (half["state"].as_str(), half["level_index"].as_i64()),
        (Some("approving"), Some(2))
    );
    let twice = act(&app, &manager1, id, "approve", json!({})).await;
    assert_eq!(twice.status(), 409);
    let body: Value = twice.json().await.unwrap();
    assert_eq!(body["code"], "invalid_transition");
    let done = approve_ok(&app, &manager2, id).await;
    assert_eq!(done["state"], "approved");

    let detail = ticket(&app, &dev, id).await;
    let decisions: Vec<(i64, &str)> = detail["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["level_index"].as_i64().unwrap(),
                a["decision"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        decisions,
        vec![
            (0, "approved"),
            (1, "cancelled"),
            (1, "approved"),
            (2, "approved"),
            (2, "approved")
        ]
    );
    // Up to the approval; fulfilment follows on its own.
    let mut kinds: Vec<&str> = Vec::new();
    for entry in detail["timeline"].as_array().unwrap() {
        kinds.push(entry["kind"].as_str().unwrap());
        if entry["kind"] == "approved" {
            break;
        }
    }
    assert_eq!(
        kinds,
        vec![
            "submitted",
            "level_opened",
            "level_passed",
            "level_opened",
            "level_passed",
            "level_opened",
            "signed",
            "approved"
        ]
    );
    // The quota is held from the final approval on.
    let quota: Value = app
        .get(
            &format!("/api/v1/tenants/{}/quota", detail["tenant_id"]),
            Some(&dev),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(quota["held"]["vcpu"], 40);
    assert_eq!(quota["held"]["hosts"], 5);
}

async fn a_small_request_skips_the_conditional_level(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    populate(&app).await;
    let dev = app.login("edu-dev").await;
    let submitted = submit_vm(&app, &dev, 4).await; // 32 vCPU: not more than 32
    let id = submitted["id"].as_i64().unwrap();
    assert_eq!(submitted["level_count"], 2);
    approve_ok(&app, &app.login("edu-admin").await, id).await;
    let done = approve_ok(&app, &app.login("ops1").await, id).await;
    assert_eq!(done["state"], "approved");
}

async fn a_rejected_request_is_amended_and_resubmitted(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    populate(&app).await;
    let (dev, edu_admin, ops1) = (
        app.login("edu-dev").await,
        app.login("edu-admin").await,
        app.login("ops1").await,
    );
    let id = submit_vm(&app, &dev, 5).await["id"].as_i64().unwrap();
    approve_ok(&app, &edu_admin, id).await;
    // A rejection needs a reason.
    assert_eq!(
        act(&app, &ops1, id, "reject", json!({"reason": " "}))
            .await
            .status(),
        422
    );
    let rejected: Value = act(
        &app,
        &ops1,
        id,
        "reject",
        json!({"reason": "40 vCPU is more than the system needs"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(rejected["state"], "rejected");
    assert_eq!(rejected["reason"], "40 vCPU is more than the system needs");
    // Only the requester resubmits, and the form is checked again.
    let amended = vm_form(2);
    assert_eq!(
        act(&app, &edu_admin, id, "resubmit", json!({"form": amended}))
            .await
            .status(),
        403
    );
    let mut bad = vm_form(2);
    bad["count"] = json!(0);
    assert_eq!(
        act(&app, &dev, id, "resubmit", json!({"form": bad}))
            .await
            .status(),
        422
    );
    let again: Value = act(
        &app,
        &dev,
        id,
        "resubmit",
        json!({"form": amended, "title": "2 hosts"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(again["state"], "approving");
    assert_eq!(again["round"], 2);
    assert_eq!(again["level_index"], 0);
    assert_eq!(again["level_count"], 2, "16 vCPU skips the managers");
    assert_eq!(again["title"], "2 hosts");
    assert_eq!(again["reason"], Value::Null);
    approve_ok(&app, &edu_admin, id).await;
    assert_eq!(approve_ok(&app, &ops1, id).await["state"], "approved");
}

async fn the_requester_withdraws_and_others_cannot(backend: Backend) {
    // A slow cloud keeps the last ticket fulfilling while the test looks at it.
    let (app, _storage) = spawn_app_with(backend, |settings| {
        settings.fulfilment.sim_min_latency_ms = 60_000;
        settings.fulfilment.sim_max_latency_ms = 60_000;
    })
    .await;
    let world = populate(&app).await;
    room(&app).await;
    let (dev, edu_admin, ops1) = (
        app.login("edu-dev").await,
        app.login("edu-admin").await,
        app.login("ops1").await,
    );
    let id = submit_vm(&app, &dev, 2).await["id"].as_i64().unwrap();
    assert_eq!(
        act(&app, &edu_admin, id, "withdraw", json!({}))
            .await
            .status(),
        403
    );
    let withdrawn: Value = act(&app, &dev, id, "withdraw", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(withdrawn["state"], "withdrawn");
    // Its open slot is closed: nobody can approve it, and it left the inbox.
    assert_eq!(
        act(&app, &edu_admin, id, "approve", json!({}))
            .await
            .status(),
        409
    );
    let inbox: Value = app
        .get("/api/v1/approvals/inbox", Some(&edu_admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(inbox, json!([]));
    // Once fulfilment runs it is too late to withdraw.
    let id = submit_vm(&app, &dev, 2).await["id"].as_i64().unwrap();
    approve_ok(&app, &edu_admin, id).await;
    approve_ok(&app, &ops1, id).await;
    crate::fulfilment::wait_for_state(&app, &dev, id, "fulfilling").await;
    let late = act(&app, &dev, id, "withdraw", json!({})).await;
    assert_eq!(late.status(), 409);
    let quota_path = format!("/api/v1/tenants/{}/quota", world.edu);
    let held: Value = app.get(&quota_path, Some(&dev)).await.json().await.unwrap();
    assert_eq!(held["held"]["vcpu"], 16);
}

async fn a_delegate_approves_for_the_approver(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    populate(&app).await;
    let (dev, edu_admin, ops1, manager1, manager2) = (
        app.login("edu-dev").await,
        app.login("edu-admin").await,
        app.login("ops1").await,
        app.login("manager1").await,
        app.login("manager2").await,
    );
    // The bureau admin approves nothing in this chain of their own.
    let admin_id = user_id(&app, "admin").await;
    // Tenant approvers cannot hand approvals outside their tenant.
    let outside = app
        .post_json(
            "/api/v1/delegations",
            Some(&edu_admin),
            &json!({"delegate_id": admin_id, "ends_at": Utc::now() + Days::days(7)}),
        )
        .await;
    assert_eq!(outside.status(), 422);
    let delegation: Value = app
        .post_json(
            "/api/v1/delegations",
            Some(&manager2),
            &json!({"delegate_id": admin_id, "ends_at": Utc::now() + Days::days(7)}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = submit_vm(&app, &dev, 5).await["id"].as_i64().unwrap();
    approve_ok(&app, &edu_admin, id).await;
    approve_ok(&app, &ops1, id).await;
    approve_ok(&app, &manager1, id).await;
    // The admin sees manager2's approval in their inbox, marked as held for manager2.
    let admin = app.login("admin").await;
    let inbox: Value = app
        .get("/api/v1/approvals/inbox", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let manager2_id = user_id(&app, "manager2").await;
    assert_eq!(inbox.as_array().unwrap().len(), 1, "{inbox}");
    assert_eq!(inbox[0]["acting_for"], manager2_id);
    let done = approve_ok(&app, &admin, id).await;
    assert_eq!(done["state"], "approved");
    let detail = ticket(&app, &dev, id).await;
    let last = detail["approvals"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["approver_id"].as_i64(), last["decided_by"].as_i64()),
        (Some(manager2_id), Some(admin_id))
    );
    // A revoked delegation no longer lets the delegate act.
    let revoked = app
        .post_json(
            &format!("/api/v1/delegations/{}/revoke", delegation["id"]),
            Some(&manager2),
            &json!({}),
        )
        .await;
    assert_eq!(revoked.status(), 200);
    let id = submit_vm(&app, &dev, 5).await["id"].as_i64().unwrap();
    approve_ok(&app, &edu_admin, id).await;
    approve_ok(&app, &ops1, id).await;
    approve_ok(&app, &manager1, id).await;
    assert_eq!(
        act(&app, &admin, id, "approve", json!({})).await.status(),
        403
    );
}

/// A user's id, as the bureau admin lists it.
pub(crate) async fn user_id(app: &TestApp, username: &str) -> i64 {
    let admin = app.login("admin").await;
    let users: Value = app
        .get("/api/v1/users", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("no user {username} in {users}"))["id"]
        .as_i64()
        .unwrap()
}

async fn two_approvers_at_once_advance_the_level_once_and_a_retry_never_approves_twice(
    backend: Backend,
) {
    let (app, _storage) = spawn_app(backend).await;
    populate(&app).await;
    let (dev, edu_admin, ops1, ops2) = (
        app.login("edu-dev").await,
        app.login("edu-admin").await,
        app.login("ops1").await,
        app.login("ops2").await,
    );
    for _ in 0..5 {
        let id = submit_vm(&app, &dev, 5).await["id"].as_i64().unwrap();
        approve_ok(&app, &edu_admin, id).await;
        // Both operators approve the any-one level at the same moment.
        let (first, second) = tokio::join!(
            act(&app, &ops1, id, "approve", json!({})),
            act(&app, &ops2, id, "approve", json!({})),
        );
        let mut statuses = vec![first.status().as_u16(), second.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, vec![200, 409]);
        let detail = ticket(&app, &dev, id).await;
        assert_eq!(detail["level_index"], 2);
        let level_one: Vec<&str> = detail["approvals"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["level_index"] == 1)
            .map(|a| a["decision"].as_str().unwrap())
            .collect();
        assert_eq!(
            level_one.iter().filter(|d| **d == "approved").count(),
            1,
            "{level_one:?}"
        );
    }

    // A retried approval (same Idempotency-Key) gets the first answer and approves once.
    let id = submit_vm(&app, &dev, 5).await["id"].as_i64().unwrap();
    approve_ok(&app, &edu_admin, id).await;
    approve_ok(&app, &ops1, id).await;
    let manager1 = app.login("manager1").await;
    let approve_with_key = |key: &'static str, body: Value| {
        app.http
            .post(format!("{}/api/v1/tickets/{id}/approve", app.address))
            .bearer_auth(&manager1)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = approve_with_key("approve-1", json!({"comment": "ok"}))
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("Idempotent-Replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let retry = approve_with_key("approve-1", json!({"comment": "ok"}))
        .await
        .unwrap();
    assert_eq!(retry.status(), 200);
    assert_eq!(retry.headers()["Idempotent-Replayed"], "true");
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry, first);
    // The same key for a different request is refused.
    let reused = approve_with_key("approve-1", json!({"comment": "different"}))
        .await
        .unwrap();
    assert_eq!(reused.status(), 422);
    let detail = ticket(&app, &dev, id).await;
    assert_eq!(
        detail["version"], first["version"],
        "the retry changed nothing"
    );
    let signed = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "signed")
        .count();
    assert_eq!(signed, 1);
    // If-Match guards against acting on a version the caller did not see.
    let stale = app
        .http
        .post(format!("{}/api/v1/tickets/{id}/approve", app.address))
        .bearer_auth(app.login("manager2").await)
        .header(
            "If-Match",
            format!("\"{}\"", first["version"].as_i64().unwrap() - 1),
        )
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
}

async fn concurrent_approvals_never_exceed_the_quota(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let world = populate(&app).await;
    room(&app).await;
    let admin = app.login("admin").await;
    let quota_path = format!("/api/v1/tenants/{}/quota", world.edu);
    app.put_json(
        &quota_path,
        &admin,
        &json!({"vcpu": 40, "memory_gb": 800, "storage_gb": 10000, "hosts": 50, "public_ips": 5}),
    )
    .await;
    let (dev, edu_admin, ops1) = (
        app.login("edu-dev").await,
        app.login("edu-admin").await,
        app.login("ops1").await,
    );
    // Six requests of 16 vCPU each fit one by one at submission; only two fit together.
    let mut ids = Vec::new();
    for _ in 0..6 {
        let id = submit_vm(&app, &dev, 2).await["id"].as_i64().unwrap();
        approve_ok(&app, &edu_admin, id).await;
        ids.push(id);
    }
    let finals = join_all(
        ids.iter()
            .map(|id| act(&app, &ops1, *id, "approve", json!({}))),
    )
    .await;
    let mut approved = 0;
    for response in finals {
        match response.status().as_u16() {
            200 => approved += 1,
            409 => {
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["code"], "quota_exceeded", "{body}");
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(approved, 2);
    let quota: Value = app.get(&quota_path, Some(&dev)).await.json().await.unwrap();
    assert_eq!(quota["held"]["vcpu"], 32);
    assert_eq!(quota["available"]["vcpu"], 8);
    // A request larger than what is free is refused at submission.
    let item = item_id(&app, &dev, "vm.request").await;
    let response = app
        .post_json(
            "/api/v1/tickets",
            Some(&dev),
            &json!({"item_id": item, "title": "t", "form": vm_form(2)}),
        )
        .await;
    assert_eq!(response.status(), 409);
    // Tenants cannot set their own quota.
    let edu_admin_put = app
        .put_json(
            &quota_path,
            &edu_admin,
            &json!({"vcpu": 999, "memory_gb": 1, "storage_gb": 1, "hosts": 1, "public_ips": 1}),
        )
        .await;
    assert_eq!(edu_admin_put.status(), 403);
}

async fn approvers_and_requesters_are_pushed_every_change(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let world = populate(&app).await;
    let (dev, edu_admin, ops1) = (
        app.login("edu-dev").await,
        app.login("edu-admin").await,
        app.login("ops1").await,
    );
    let ids: Vec<i64> = {
        let mut ids = Vec::new();
        for name in ["edu-dev", "edu-admin", "ops1"] {
            ids.push(user_id(&app, name).await);
        }
        ids
    };
    let (dev_id, edu_admin_id, ops1_id) = (ids[0], ids[1], ids[2]);
    let mut dev_ws = app.ws(&dev).await;
    dev_ws
        .subscribe(&format!("user/{dev_id}/inbox"), None)
        .await;
    dev_ws
        .subscribe(&format!("tenant/{}/tickets", world.edu), None)
        .await;
    let mut admin_ws = app.ws(&edu_admin).await;
    admin_ws
        .subscribe(&format!("user/{edu_admin_id}/inbox"), None)
        .await;
    let mut ops_ws = app.ws(&ops1).await;
    ops_ws
        .subscribe(&format!("user/{ops1_id}/inbox"), None)
        .await;

    let id = submit_vm(&app, &dev, 1).await["id"].as_i64().unwrap();
    let pending = admin_ws.next_json().await;
    assert_eq!(pending["kind"], "approval.pending");
    assert_eq!(pending["data"]["ticket"]["id"], id);
    assert_eq!(pending["data"]["approval"]["decision"], "pending");
    let mut dev_kinds = Vec::new();
    for _ in 0..2 {
        let event = dev_ws.next_json().await;
        assert_eq!(event["data"]["state"], "approving");
        dev_kinds.push(event["topic"].as_str().unwrap().to_owned());
    }
    dev_kinds.sort();
    assert_eq!(
        dev_kinds,
        vec![
            format!("tenant/{}/tickets", world.edu),
            format!("user/{dev_id}/inbox")
        ]
    );

    approve_ok(&app, &edu_admin, id).await;
    let closed = admin_ws.next_json().await;
    assert_eq!(closed["kind"], "approval.closed");
    assert_eq!(closed["data"]["decision"], "approved");
    let next = ops_ws.next_json().await;
    assert_eq!(next["kind"], "approval.pending");
    assert_eq!(next["data"]["ticket"]["level_index"], 1);
    for _ in 0..2 {
        let event = dev_ws.next_json().await;
        assert_eq!(event["kind"], "ticket.changed");
        assert_eq!(event["data"]["level_index"], 1);
    }
    // The ticket's own topic carries its changes to those who may see the tenant.
    dev_ws
        .subscribe(&format!("tenant/{}/tickets/{id}", world.edu), None)
        .await;
    approve_ok(&app, &ops1, id).await;
    let mut states = Vec::new();
    for _ in 0..3 {
        states.push(
            dev_ws.next_json().await["data"]["state"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(states, vec!["approved"; 3]);
}

async fn approval_mail_reaches_a_real_smtp_server(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let smtp_port = smtp.port();
    let (app, _storage) = spawn_app_with(backend, |settings| {
        settings.mail.transport = yunguan::mail::settings::MailTransportKind::Smtp;
        settings.mail.smtp_host = "127.0.0.1".to_owned();
        settings.mail.smtp_port = smtp_port;
        settings.mail.base_url = "https://yunguan.example.gov.cn".to_owned();
    })
    .await;
    populate(&app).await;
    let (dev, edu_admin, ops1) = (
        app.login("edu-dev").await,
        app.login("edu-admin").await,
        app.login("ops1").await,
    );
    let id = submit_vm(&app, &dev, 1).await["id"].as_i64().unwrap();
    let to_admin = wait_for_mail(&smtp, "edu-admin@gov.example", 1).await;
    assert!(
        to_admin[0]
            .body
            .contains(&format!("https://yunguan.example.gov.cn/#/tickets/{id}")),
        "{}",
        to_admin[0].body
    );
    approve_ok(&app, &edu_admin, id).await;
    // Both operators are told of the next level.
    wait_for_mail(&smtp, "ops1@gov.example", 1).await;
    wait_for_mail(&smtp, "ops2@gov.example", 1).await;
    act(&app, &ops1, id, "reject", json!({"reason": "请说明用途"})).await;
    let to_requester = wait_for_mail(&smtp, "edu-dev@gov.example", 1).await;
    assert!(
        to_requester[0].body.contains("请说明用途"),
        "{}",
        to_requester[0].body
    );
    // Nothing was sent twice.
    let all = smtp.received();
    let mut ids: Vec<&str> = all.iter().map(|m| m.message_id.as_str()).collect();
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count);
}

pub(crate) async fn wait_for_mail(
    smtp: &SmtpServer,
    recipient: &str,
    count: usize,
) -> Vec<crate::smtp::ReceivedMail> {
    for _ in 0..200 {
        let found: Vec<_> = smtp
            .received()
            .into_iter()
            .filter(|m| m.rcpt_tos.iter().any(|r| r == recipient))
            .collect();
        if found.len() >= count {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "no mail to {recipient} within 10 s; received {:?}",
        smtp.received()
            .iter()
            .map(|m| &m.rcpt_tos)
            .collect::<Vec<_>>()
    );
}

async fn the_audit_chain_pinpoints_a_tampered_record(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    populate(&app).await;
    let (dev, edu_admin, admin) = (
        app.login("edu-dev").await,
        app.login("edu-admin").await,
        app.login("admin").await,
    );
    for _ in 0..3 {
        let id = submit_vm(&app, &dev, 1).await["id"].as_i64().unwrap();
        approve_ok(&app, &edu_admin, id).await;
    }
    let verify = || async {
        app.get("/api/v1/audit/verify", Some(&admin))
            .await
            .json::<Value>()
            .await
            .unwrap()
    };
    let intact = verify().await;
    assert_eq!(intact["intact"], true, "{intact}");
    // Six standard catalog items, three submissions, three approvals.
    assert_eq!(intact["records_checked"], 12);
    assert_eq!(
        app.get("/api/v1/audit/verify", Some(&dev)).await.status(),
        403
    );

    // Someone with database access edits one approval's record.
    let backend = app.db.get_database_backend();
    let target: i64 = app
        .db
        .query_one(Statement::from_string(
            backend,
            "SELECT id FROM audit_log WHERE action = 'ticket.approve' ORDER BY id LIMIT 1 OFFSET 1",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    app.db
        .execute(Statement::from_string(
            backend,
            format!("UPDATE audit_log SET actor_id = actor_id + 1 WHERE id = {target}"),
        ))
        .await
        .unwrap();
    let broken = verify().await;
    assert_eq!(broken["intact"], false);
    assert_eq!(broken["broken_record_id"], target);
    assert!(
        broken["problem"].as_str().unwrap().contains("altered"),
        "{broken}"
    );

    // Deleting a record instead breaks the link of the one after it.
    app.db
        .execute(Statement::from_string(
            backend,
            format!("UPDATE audit_log SET actor_id = actor_id - 1 WHERE id = {target}"),
        ))
        .await
        .unwrap();
    assert_eq!(verify().await["intact"], true);
    app.db
        .execute(Statement::from_string(
            backend,
            format!("DELETE FROM audit_log WHERE id = {target}"),
        ))
        .await
        .unwrap();
    let gap = verify().await;
    assert_eq!(gap["intact"], false);
    assert!(gap["broken_record_id"].as_i64().unwrap() > target);
    assert!(
        gap["problem"].as_str().unwrap().contains("removed"),
        "{gap}"
    );
}

async fn a_tenant_cannot_read_approve_or_subscribe_to_another_tenants_tickets(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let world = populate(&app).await;
    let (dev, health_dev, health_admin, supplier) = (
        app.login("edu-dev").await,
        app.login("health-dev").await,
        app.login("health-admin").await,
        app.login("supplier").await,
    );
    let id = submit_vm(&app, &dev, 1).await["id"].as_i64().unwrap();
    for token in [&health_dev, &health_admin, &supplier] {
        assert_eq!(
            app.get(&format!("/api/v1/tickets/{id}"), Some(token))
                .await
                .status(),
            404
        );
        for action in ["approve", "withdraw"] {
            assert_eq!(
                act(&app, token, id, action, json!({})).await.status(),
                404,
                "{action}"
            );
        }
        assert_eq!(
            act(&app, token, id, "reject", json!({"reason": "x"}))
                .await
                .status(),
            404
        );
        assert_eq!(
            act(&app, token, id, "comments", json!({"body": "x"}))
                .await
                .status(),
            404
        );
        let listed: Value = app
            .get("/api/v1/tickets", Some(token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["total"], 0, "{listed}");
        assert_eq!(
            app.get(&format!("/api/v1/tenants/{}/quota", world.edu), Some(token))
                .await
                .status(),
            404
        );
    }
    let mut ws = app.ws(&health_dev).await;
    for topic in [
        format!("tenant/{}/tickets", world.edu),
        format!("tenant/{}/tickets/{id}", world.edu),
    ] {
        ws.send(json!({"op": "subscribe", "topic": topic})).await;
        let answer = ws.next_json().await;
        assert_eq!(answer["code"], "forbidden_topic", "{topic}: {answer}");
    }
    // Health's own listing holds only its own.
    let item = item_id(&app, &health_dev, "vm.request").await;
    app.post_json(
        "/api/v1/tickets",
        Some(&health_dev),
        &json!({"item_id": item, "title": "h", "form": vm_form(1)}),
    )
    .await;
    let listed: Value = app
        .get("/api/v1/tickets", Some(&health_dev))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["tenant_id"], world.health);
    // Bureau staff see both, filtered and sorted as asked.
    let manager = app.login("manager1").await;
    let all: Value = app
        .get("/api/v1/tickets?sort=created_at", Some(&manager))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["total"], 2);
    assert_eq!(all["items"][0]["id"], id);
    let edu_only: Value = app
        .get(
            &format!(
                "/api/v1/tickets?state=approving&limit=1&requester_id={}",
                listed["items"][0]["requester_id"]
            ),
            Some(&manager),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(edu_only["total"], 1);
    assert_eq!(
        app.get("/api/v1/tickets?sort=colour", Some(&manager))
            .await
            .status(),
        400
    );
}

async fn catalog_revisions_leave_open_tickets_on_their_version(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    populate(&app).await;
    let (dev, admin) = (app.login("edu-dev").await, app.login("admin").await);
    let item = item_id(&app, &dev, "vm.request").await;
    let id = submit_vm(&app, &dev, 1).await["id"].as_i64().unwrap();
    let current: Value = app
        .get(&format!("/api/v1/catalog/{item}"), Some(&dev))
        .await
        .json()
        .await
        .unwrap();
    // The facts its chain's conditions may compare come with it.
    assert_eq!(
        current["facts"],
        json!([
            "count",
            "total_vcpu",
            "total_memory_gb",
            "total_disk_gb",
            "duration_days",
            "public_ips"
        ])
    );
    let mut content = json!({
        "name": current["name"], "description": "v2", "form": current["form"],
        "chain": {"levels": [{"name": "运维审核", "approvers": {"by": "role", "role": "bureau_operator"}, "mode": "any"}]},
        "fulfilment": current["fulfilment"],
    });
    // Only bureau admins revise; a revision is checked like a new item.
    let put = |token: String, body: Value| {
        let url = format!("{}/api/v1/catalog/{item}", app.address);
        let http = app.http.clone();
        async move {
            http.put(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(put(dev.clone(), content.clone()).await.status(), 403);
    let mut broken = content.clone();
    broken["chain"]["levels"][0]["condition"] = json!({"fact": "colour", "op": ">", "value": 1});
    let refused = put(admin.clone(), broken).await;
    assert_eq!(refused.status(), 422);
    let revised: Value = put(admin.clone(), content.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(revised["version"], 2);
    // The open ticket keeps version 1 and its two levels; a new one gets version 2's single level.
    let old = ticket(&app, &dev, id).await;
    assert_eq!(
        (old["item_version"].as_i64(), old["level_count"].as_u64()),
        (Some(1), Some(2))
    );
    let new = submit_vm(&app, &dev, 1).await;
    assert_eq!(
        (new["item_version"].as_i64(), new["level_count"].as_u64()),
        (Some(2), Some(1))
    );
    // A retired item takes no new requests.
    let retired = app
        .post_json(
            &format!("/api/v1/catalog/{item}/retire"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(retired.status(), 200);
    let response = app
        .post_json(
            "/api/v1/tickets",
            Some(&dev),
            &json!({"item_id": item, "title": "t", "form": vm_form(1)}),
        )
        .await;
    assert_eq!(response.status(), 422);
    content["name"] = json!("x");
    assert_eq!(put(admin, content).await.status(), 409);
}

async fn nobody_approves_their_own_request_or_hands_approvals_across_sides(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    populate(&app).await;
    let (dev, edu_admin, manager1) = (
        app.login("edu-dev").await,
        app.login("edu-admin").await,
        app.login("manager1").await,
    );
    let until = Utc::now() + Days::days(7);
    // The tenant admin hands approvals to the developer, who then requests.
    let dev_id = user_id(&app, "edu-dev").await;
    let handed = app
        .post_json(
            "/api/v1/delegations",
            Some(&edu_admin),
            &json!({"delegate_id": dev_id, "ends_at": until}),
        )
        .await;
    assert_eq!(handed.status(), 201);
    let id = submit_vm(&app, &dev, 1).await["id"].as_i64().unwrap();
    assert_eq!(
        act(&app, &dev, id, "approve", json!({})).await.status(),
        403
    );
    let inbox: Value = app
        .get("/api/v1/approvals/inbox", Some(&dev))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(inbox, json!([]));
    approve_ok(&app, &edu_admin, id).await;
    // Bureau staff hand approvals only to bureau staff; the refusal names no one.
    for name in ["supplier", "edu-dev", "health-admin"] {
        let other = user_id(&app, name).await;
        let refused = app
            .post_json(
                "/api/v1/delegations",
                Some(&manager1),
                &json!({"delegate_id": other, "ends_at": until}),
            )
            .await;
        assert_eq!(refused.status(), 422, "{name}");
    }
    let missing = app
        .post_json(
            "/api/v1/delegations",
            Some(&manager1),
            &json!({"delegate_id": 999_999, "ends_at": until}),
        )
        .await;
    let (a, b): (Value, Value) = (
        missing.json().await.unwrap(),
        app.post_json(
            "/api/v1/delegations",
            Some(&edu_admin),
            &json!({"delegate_id": user_id(&app, "health-dev").await, "ends_at": until}),
        )
        .await
        .json()
        .await
        .unwrap(),
    );
    assert_eq!(
        a["fields"], b["fields"],
        "an unknown id and another tenant's user read the same"
    );
    // Paging cannot be pushed past what the database takes.
    assert_eq!(
        app.get("/api/v1/tickets?offset=18446744073709551615", Some(&dev))
            .await
            .status(),
        400
    );
}

async fn catalog_chains_cannot_name_approvers_outside_the_requesters_tenant(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    populate(&app).await;
    let admin = app.login("admin").await;
    let item = item_id(&app, &admin, "support.incident").await;
    let current: Value = app
        .get(&format!("/api/v1/catalog/{item}"), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let edu_dev = user_id(&app, "edu-dev").await;
    let manager = user_id(&app, "manager1").await;
    let table = [
        (json!({"by": "role", "role": "tenant_admin"}), false),
        (json!({"by": "role", "role": "supplier"}), false),
        (json!({"by": "users", "user_ids": [edu_dev]}), false),
        (
            json!({"by": "role", "role": "tenant_admin", "requester_tenant": true}),
            true,
        ),
        (json!({"by": "users", "user_ids": [manager]}), true),
    ];
    for (approvers, accepted) in table {
        let content = json!({
            "name": current["name"], "form": current["form"], "fulfilment": current["fulfilment"],
            "chain": {"levels": [{"name": "审批", "approvers": approvers, "mode": "any"}]},
        });
        let response = app
            .http
            .put(format!("{}/api/v1/catalog/{item}", app.address))
            .bearer_auth(&admin)
            .json(&content)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status() == 200,
            accepted,
            "{approvers}: {:?}",
            response.text().await
        );
    }
}
