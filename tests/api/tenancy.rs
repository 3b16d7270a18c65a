//! Role and tenant checks on HTTP: who may post, create and read what.

use serde_json::{json, Value};
use yunguan::identity::Role;

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_every_backend;

on_every_backend!(
    only_bureau_admins_and_managers_post_announcements,
    a_tenant_user_reads_only_its_own_and_global_announcements,
    tenants_and_users_are_listed_within_the_callers_scope,
    tenant_admins_create_users_only_in_their_own_tenant,
);

struct World {
    edu: i64,
    health: i64,
}

async fn populate(app: &TestApp) -> World {
    let edu = app.create_tenant("edu").await;
    let health = app.create_tenant("health").await;
    app.create_user("admin", Role::BureauAdmin, None).await;
    app.create_user("manager", Role::BureauManager, None).await;
    app.create_user("ops", Role::BureauOperator, None).await;
    app.create_user("supplier", Role::Supplier, None).await;
    app.create_user("edu-admin", Role::TenantAdmin, Some(edu))
        .await;
    app.create_user("edu-dev", Role::TenantMember, Some(edu))
        .await;
    app.create_user("health-dev", Role::TenantMember, Some(health))
        .await;
    World { edu, health }
}

async fn only_bureau_admins_and_managers_post_announcements(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    populate(&app).await;
    let table = [
        ("admin", 201),
        ("manager", 201),
        ("ops", 403),
        ("supplier", 403),
        ("edu-admin", 403),
        ("edu-dev", 403),
    ];
    for (username, status) in table {
        let token = app.login(username).await;
        let response = app.post_announcement(&token, "通知", None).await;
        assert_eq!(response.status(), status, "{username}");
        if status == 403 {
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["code"], "forbidden");
        }
    }
}

async fn a_tenant_user_reads_only_its_own_and_global_announcements(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let world = populate(&app).await;
    let manager = app.login("manager").await;
    for (title, tenant) in [
        ("all", None),
        ("edu only", Some(world.edu)),
        ("health only", Some(world.health)),
    ] {
        assert_eq!(
            app.post_announcement(&manager, title, tenant)
                .await
                .status(),
            201
        );
    }

    let titles = |body: Value| -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|a| a["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let table = [
        ("edu-dev", vec!["edu only", "all"]),
        ("health-dev", vec!["health only", "all"]),
        ("supplier", vec!["all"]),
        ("ops", vec!["health only", "edu only", "all"]),
    ];
    for (username, expected) in table {
        let token = app.login(username).await;
        let body: Value = app
            .get("/api/v1/announcements", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(titles(body), expected, "{username}");
    }

    // Paging: newest first, `before_id` continues.
    let ops = app.login("ops").await;
    let first: Value = app
        .get("/api/v1/announcements?limit=2", Some(&ops))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(first.clone()), ["health only", "edu only"]);
    let last_id = first[1]["id"].as_i64().unwrap();
    let rest: Value = app
        .get(
            &format!("/api/v1/announcements?limit=2&before_id={last_id}"),
            Some(&ops),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(rest), ["all"]);
}

async fn tenants_and_users_are_listed_within_the_callers_scope(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let world = populate(&app).await;

    let codes = |body: Value| -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|t| t["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let manager = app.login("manager").await;
    assert_eq!(
        codes(
            app.get("/api/v1/tenants", Some(&manager))
                .await
                .json()
                .await
                .unwrap()
        ),
        ["edu", "health"]
    );
    let edu_dev = app.login("edu-dev").await;
    assert_eq!(
        codes(
            app.get("/api/v1/tenants", Some(&edu_dev))
                .await
                .json()
                .await
                .unwrap()
        ),
        ["edu"]
    );

    let edu_admin = app.login("edu-admin").await;
    let users: Value = app
        .get("/api/v1/users", Some(&edu_admin))
        .await
        .json()
        .await
        .unwrap();
    let users = users.as_array().unwrap();
    assert!(
        users.iter().all(|u| u["tenant_id"] == world.edu),
        "{users:?}"
    );
    assert_eq!(users.len(), 2);
    assert!(users.iter().all(|u| u.get("password_hash").is_none()));

    for username in ["edu-dev", "supplier", "ops"] {
        let token = app.login(username).await;
        assert_eq!(
            app.get("/api/v1/users", Some(&token)).await.status(),
            403,
            "{username}"
        );
    }
    let admin = app.login("admin").await;
    let all: Value = app
        .get("/api/v1/users", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 7);
}

async fn tenant_admins_create_users_only_in_their_own_tenant(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let world = populate(&app).await;
    let edu_admin = app.login("edu-admin").await;
    let new_user = |username: &str, role: &str, tenant: Option<i64>| json!({"username": username, "display_name": username, "password": "long-enough-1", "role": role, "tenant_id": tenant});

    let table = [
        (
            new_user("edu-ops2", "tenant_member", Some(world.edu)),
            201,
            None,
        ),
        (
            new_user("health-x", "tenant_member", Some(world.health)),
            403,
            Some("forbidden"),
        ),
        (
            new_user("boss", "bureau_admin", None),
            403,
            Some("forbidden"),
        ),
        (
            new_user("edu-ops2", "tenant_member", Some(world.edu)),
            409,
            Some("conflict"),
        ),
        (
            new_user("Bad Name", "tenant_member", Some(world.edu)),
            422,
            Some("validation_failed"),
        ),
        (
            json!({"username": "edu-short", "display_name": "x", "password": "short", "role": "tenant_member", "tenant_id": world.edu}),
            422,
            Some("validation_failed"),
        ),
    ];
    for (body, status, code) in table {
        let response = app
            .post_json("/api/v1/users", Some(&edu_admin), &body)
            .await;
        assert_eq!(response.status(), status, "{body}");
        if let Some(code) = code {
            let error: Value = response.json().await.unwrap();
            assert_eq!(error["code"], code, "{body}");
        }
    }
    // The new member can log in.
    let created = app.post_login("edu-ops2", "long-enough-1").await;
    assert_eq!(created.status(), 200);

    // Tenants are created by bureau admins only.
    let tenant = json!({"code": "water", "name": "水务局"});
    assert_eq!(
        app.post_json("/api/v1/tenants", Some(&edu_admin), &tenant)
            .await
            .status(),
        403
    );
    let admin = app.login("admin").await;
    assert_eq!(
        app.post_json("/api/v1/tenants", Some(&admin), &tenant)
            .await
            .status(),
        201
    );
    let again: Value = app
        .post_json("/api/v1/tenants", Some(&admin), &tenant)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["code"], "conflict");
}
