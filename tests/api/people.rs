//! `GET /api/v1/people`: the names of the people records mention, by id or by role. Bureau
//! staff and suppliers may know everyone; a tenant user only bureau staff, suppliers and
//! their own tenant's users, through either form; nothing but the id, the display name, the
//! role and the tenant is ever answered.

use sea_orm::{ActiveModelTrait, Set};
use serde_json::Value;
use yunguan::db::entities::user;
use yunguan::identity::Role;

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_every_backend;

on_every_backend!(
    people_are_named_within_what_the_caller_may_know,
    people_queries_are_checked,
);

/// The ids of a `/people` answer, after checking that each person has exactly the four
/// public properties.
async fn people_ids(app: &TestApp, query: &str, token: &str) -> Vec<i64> {
    let answer = app.get_ok(&format!("/api/v1/people?{query}"), token).await;
    answer
        .as_array()
        .unwrap()
        .iter()
        .map(|person| {
            let mut keys: Vec<&str> = person
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            assert_eq!(
                keys,
                ["display_name", "id", "role", "tenant_id"],
                "{person}"
            );
            person["id"].as_i64().unwrap()
        })
        .collect()
}

async fn people_are_named_within_what_the_caller_may_know(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let edu = app.create_tenant("edu").await;
    let health = app.create_tenant("health").await;
    let admin = app.create_user("admin", Role::BureauAdmin, None).await;
    let manager = app.create_user("manager", Role::BureauManager, None).await;
    let retired_manager = app
        .create_user("retired-manager", Role::BureauManager, None)
        .await;
    let supplier = app.create_user("supplier", Role::Supplier, None).await;
    let edu_admin = app
        .create_user("edu-admin", Role::TenantAdmin, Some(edu))
        .await;
    let edu_dev = app
        .create_user("edu-dev", Role::TenantMember, Some(edu))
        .await;
    let health_admin = app
        .create_user("health-admin", Role::TenantAdmin, Some(health))
        .await;
    let health_dev = app
        .create_user("health-dev", Role::TenantMember, Some(health))
        .await;
    user::ActiveModel {
        id: Set(retired_manager),
        disabled: Set(true),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();

    let everyone = [
        admin,
        manager,
        retired_manager,
        supplier,
        edu_admin,
        edu_dev,
        health_admin,
        health_dev,
    ];
    let all_ids = format!(
        "ids={},{}",
        everyone.map(|id| id.to_string()).join(","),
        health_dev + 1000
    );

    // Bureau staff and suppliers know everyone, disabled people included when named by id.
    for username in ["manager", "supplier"] {
        let token = app.login(username).await;
        assert_eq!(people_ids(&app, &all_ids, &token).await, everyone);
        assert_eq!(
            people_ids(&app, "role=tenant_admin", &token).await,
            [edu_admin, health_admin]
        );
    }
    let token = app.login("manager").await;
    let named = app
        .get_ok(&format!("/api/v1/people?ids={health_dev}"), &token)
        .await;
    assert_eq!(
        named,
        serde_json::json!([{"id": health_dev, "display_name": "health-dev",
            "role": "tenant_member", "tenant_id": health}])
    );

    // A tenant user knows bureau staff, suppliers and their own tenant, through either form.
    let token = app.login("edu-dev").await;
    assert_eq!(
        people_ids(&app, &all_ids, &token).await,
        [
            admin,
            manager,
            retired_manager,
            supplier,
            edu_admin,
            edu_dev
        ]
    );
    assert_eq!(
        people_ids(&app, &format!("ids={health_admin},{health_dev}"), &token).await,
        Vec::<i64>::new()
    );
    for (role, expected) in [
        ("tenant_admin", vec![edu_admin]),
        ("tenant_member", vec![edu_dev]),
        // Disabled people are not offered as delegates.
        ("bureau_manager", vec![manager]),
        ("supplier", vec![supplier]),
    ] {
        assert_eq!(
            people_ids(&app, &format!("role={role}"), &token).await,
            expected,
            "{role}"
        );
    }
}

async fn people_queries_are_checked(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("manager", Role::BureauManager, None).await;
    let token = app.login("manager").await;
    let too_many: Vec<String> = (1..=201).map(|id| id.to_string()).collect();
    for query in [
        String::new(),
        "ids=1&role=supplier".to_owned(),
        "ids=1,x".to_owned(),
        "ids=".to_owned(),
        "role=root".to_owned(),
        format!("ids={}", too_many.join(",")),
    ] {
        let response = app
            .get(&format!("/api/v1/people?{query}"), Some(&token))
            .await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "bad_request", "{query}");
    }
    let response = app.get("/api/v1/people?ids=1", None).await;
    assert_eq!(response.status(), 401);
}
