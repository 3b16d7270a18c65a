//! User administration: disabling, enabling, another role or tenant, deleting, ending every
//! session, and a password reset by a one-time mailed link; tenant admins kept to their
//! tenant; the platform never left without an administrator; every change audited.

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};
use yunguan::db::entities::{audit_record, mail_outbox};
use yunguan::identity::accounts::{self, AccountChange, Administrator};
use yunguan::identity::{IdentityError, Role};

use crate::helpers::{spawn_app_with, Backend, TestApp, PASSWORD};
use crate::on_every_backend;

on_every_backend!(
    disabling_ends_the_sessions_and_sockets_and_enabling_lets_the_user_back,
    another_role_and_tenant_take_effect_at_once,
    tenant_admins_administer_their_tenant_only,
    the_platform_keeps_an_administrator,
    a_deleted_account_is_gone_but_its_history_names_it,
    every_session_of_a_user_ends_at_once,
    a_mailed_link_sets_a_new_password_once,
);

async fn app(backend: Backend) -> (TestApp, crate::helpers::Storage) {
    spawn_app_with(backend, |settings| {
        settings.websocket.session_check_interval_ms = 60_000;
    })
    .await
}

async fn last_audit(app: &TestApp, action: &str) -> audit_record::Model {
    audit_record::Entity::find()
        .filter(audit_record::Column::Action.eq(action))
        .order_by_desc(audit_record::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no {action} in the audit trail"))
}

async fn disabling_ends_the_sessions_and_sockets_and_enabling_lets_the_user_back(backend: Backend) {
    let (app, _storage) = app(backend).await;
    let admin_id = app.create_user("admin", Role::BureauAdmin, None).await;
    let ops_id = app.create_user("ops", Role::BureauOperator, None).await;
    let admin = app.login("admin").await;
    let ops = app.login("ops").await;
    let mut socket = app.ws(&ops).await;
    socket.subscribe("announcements", None).await;

    let response = app
        .patch_json(
            &format!("/api/v1/users/{ops_id}"),
            &admin,
            &json!({"disabled": true}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["disabled"], true);
    // The socket closes at once (the session check is a minute away), the token is dead,
    // and the password no longer logs in.
    assert_eq!(socket.closed_with().await, 1008);
    assert_eq!(app.get("/api/v1/auth/me", Some(&ops)).await.status(), 401);
    assert_eq!(app.post_login("ops", PASSWORD).await.status(), 401);
    let record = last_audit(&app, "user.disabled").await;
    assert_eq!(record.actor_id, Some(admin_id));
    assert_eq!(record.object_id, ops_id);

    let response = app
        .patch_json(
            &format!("/api/v1/users/{ops_id}"),
            &admin,
            &json!({"disabled": false}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.post_login("ops", PASSWORD).await.status(), 200);
    last_audit(&app, "user.enabled").await;
}

async fn another_role_and_tenant_take_effect_at_once(backend: Backend) {
    let (app, _storage) = app(backend).await;
    let edu = app.create_tenant("edu").await;
    app.create_user("admin", Role::BureauAdmin, None).await;
    let li = app.create_user("li.wei", Role::BureauOperator, None).await;
    let admin = app.login("admin").await;
    let before = app.login("li.wei").await;
    assert_eq!(app.get("/api/v1/alarms", Some(&before)).await.status(), 200);

    // A tenant role needs its tenant.
    let response = app
        .patch_json(
            &format!("/api/v1/users/{li}"),
            &admin,
            &json!({"role": "tenant_member"}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let response = app
        .patch_json(
            &format!("/api/v1/users/{li}"),
            &admin,
            &json!({"role": "tenant_member", "tenant_id": edu, "display_name": "李工", "email": "li@edu.example"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["role"], "tenant_member");
    assert_eq!(body["tenant_id"], edu);
    assert_eq!(body["display_name"], "李工");
    assert_eq!(body["email"], "li@edu.example");
    // The old session, with the operator's reach, is over; a new login has the new role.
    assert_eq!(app.get("/api/v1/alarms", Some(&before)).await.status(), 401);
    let after = app.login("li.wei").await;
    let me = app.get_ok("/api/v1/auth/me", &after).await;
    assert_eq!(me["role"], "tenant_member");
    assert_eq!(app.get("/api/v1/alarms", Some(&after)).await.status(), 403);
    let record = last_audit(&app, "user.changed").await;
    assert_eq!(record.tenant_id, Some(edu));
    let before_json: Value = serde_json::from_str(record.before.as_deref().unwrap()).unwrap();
    assert_eq!(before_json["role"], "bureau_operator");
    assert!(before_json.get("password_hash").is_none());
    // Renaming alone keeps the sessions.
    let response = app
        .patch_json(
            &format!("/api/v1/users/{li}"),
            &admin,
            &json!({"display_name": "李伟", "email": null}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["email"].is_null());
    assert_eq!(app.get("/api/v1/auth/me", Some(&after)).await.status(), 200);
}

async fn tenant_admins_administer_their_tenant_only(backend: Backend) {
    let (app, _storage) = app(backend).await;
    let edu = app.create_tenant("edu").await;
    let health = app.create_tenant("health").await;
    let edu_admin_id = app
        .create_user("edu-admin", Role::TenantAdmin, Some(edu))
        .await;
    let edu_dev = app
        .create_user("edu-dev", Role::TenantMember, Some(edu))
        .await;
    let health_dev = app
        .create_user("health-dev", Role::TenantMember, Some(health))
        .await;
    let ops = app.create_user("ops", Role::BureauOperator, None).await;
    let edu_admin = app.login("edu-admin").await;

    // Another tenant's account, or the bureau's, is as if it did not exist.
    for id in [health_dev, ops] {
        let path = format!("/api/v1/users/{id}");
        assert_eq!(app.get(&path, Some(&edu_admin)).await.status(), 404);
        let response = app
            .patch_json(&path, &edu_admin, &json!({"disabled": true}))
            .await;
        assert_eq!(response.status(), 404);
        assert_eq!(app.delete(&path, &edu_admin).await.status(), 404);
        let response = app
            .post_json(
                &format!("{path}/revoke-sessions"),
                Some(&edu_admin),
                &json!({}),
            )
            .await;
        assert_eq!(response.status(), 404);
    }
    assert_eq!(app.post_login("health-dev", PASSWORD).await.status(), 200);
    // Within the tenant: the tenant roles, never a bureau role or another tenant.
    let path = format!("/api/v1/users/{edu_dev}");
    for patch in [
        json!({"role": "bureau_admin", "tenant_id": null}),
        json!({"tenant_id": health}),
    ] {
        let response = app.patch_json(&path, &edu_admin, &patch).await;
        assert_eq!(response.status(), 403, "{patch}");
    }
    let response = app
        .patch_json(&path, &edu_admin, &json!({"role": "tenant_admin"}))
        .await;
    assert_eq!(response.status(), 200);
    let response = app
        .patch_json(&path, &edu_admin, &json!({"disabled": true}))
        .await;
    assert_eq!(response.status(), 200);
    // Nobody disables themselves.
    let response = app
        .patch_json(
            &format!("/api/v1/users/{edu_admin_id}"),
            &edu_admin,
            &json!({"disabled": true}),
        )
        .await;
    assert_eq!(response.status(), 409);
    // A member administers nobody.
    app.create_user("edu-dev2", Role::TenantMember, Some(edu))
        .await;
    let member = app.login("edu-dev2").await;
    assert_eq!(app.get(&path, Some(&member)).await.status(), 403);
    // The tenant admin's change is in their tenant's audit trail.
    let records = app
        .get_ok("/api/v1/audit?action=user.changed", &edu_admin)
        .await;
    assert_eq!(records.as_array().unwrap().len(), 1);
}

async fn the_platform_keeps_an_administrator(backend: Backend) {
    let (app, _storage) = app(backend).await;
    let first = app.create_user("admin", Role::BureauAdmin, None).await;
    let second = app.create_user("admin2", Role::BureauAdmin, None).await;
    let admin = app.login("admin").await;
    // Not oneself: not disabled, deleted or demoted.
    let own = format!("/api/v1/users/{first}");
    for patch in [json!({"disabled": true}), json!({"role": "bureau_manager"})] {
        assert_eq!(app.patch_json(&own, &admin, &patch).await.status(), 409);
    }
    assert_eq!(app.delete(&own, &admin).await.status(), 409);
    // Another admin, while one stays.
    let response = app
        .patch_json(
            &format!("/api/v1/users/{second}"),
            &admin,
            &json!({"role": "bureau_manager"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    // From the command line (no acting user), the last enabled bureau admin stays.
    let cli = Administrator::Bureau { user_id_opt: None };
    let actor = yunguan::audit::AuditActor::system();
    let disable = AccountChange {
        disabled_opt: Some(true),
        ..AccountChange::default()
    };
    let error = accounts::change(&app.db, &actor, cli, first, disable, Utc::now())
        .await
        .expect_err("the last admin is refused");
    assert!(matches!(error, IdentityError::Refused(_)), "{error:?}");
    let error = accounts::delete(&app.db, &actor, cli, first, Utc::now())
        .await
        .expect_err("the last admin is refused");
    assert!(matches!(error, IdentityError::Refused(_)), "{error:?}");
    assert_eq!(app.post_login("admin", PASSWORD).await.status(), 200);
}

async fn a_deleted_account_is_gone_but_its_history_names_it(backend: Backend) {
    let (app, _storage) = app(backend).await;
    app.create_user("admin", Role::BureauAdmin, None).await;
    let ops = app.create_user("ops", Role::BureauOperator, None).await;
    let admin = app.login("admin").await;
    let token = app.login("ops").await;
    let path = format!("/api/v1/users/{ops}");

    assert_eq!(app.delete(&path, &admin).await.status(), 204);
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).await.status(), 401);
    assert_eq!(app.post_login("ops", PASSWORD).await.status(), 401);
    assert_eq!(app.get(&path, Some(&admin)).await.status(), 404);
    assert_eq!(app.delete(&path, &admin).await.status(), 404);
    let users = app.get_ok("/api/v1/users", &admin).await;
    assert!(users
        .as_array()
        .unwrap()
        .iter()
        .all(|user| user["username"] != "ops"));
    // Records still name the account, and its name is not given again.
    let people = app
        .get_ok(&format!("/api/v1/people?ids={ops}"), &admin)
        .await;
    assert_eq!(people[0]["display_name"], "ops");
    let response = app
        .post_json(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "ops", "display_name": "new", "password": "a-long-password", "role": "bureau_operator"}),
        )
        .await;
    assert_eq!(response.status(), 409);
    let record = last_audit(&app, "user.deleted").await;
    assert_eq!(record.object_id, ops);
}

async fn every_session_of_a_user_ends_at_once(backend: Backend) {
    let (app, _storage) = app(backend).await;
    app.create_user("admin", Role::BureauAdmin, None).await;
    let ops = app.create_user("ops", Role::BureauOperator, None).await;
    let admin = app.login("admin").await;
    let phone = app.login("ops").await;
    let desk = app.login("ops").await;
    let mut socket = app.ws(&desk).await;
    socket.subscribe("announcements", None).await;

    let response = app
        .post_json(
            &format!("/api/v1/users/{ops}/revoke-sessions"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["ended"], 2);
    assert_eq!(socket.closed_with().await, 1008);
    for token in [&phone, &desk] {
        assert_eq!(app.get("/api/v1/auth/me", Some(token)).await.status(), 401);
    }
    // The account itself is fine: it logs in again.
    assert_eq!(app.post_login("ops", PASSWORD).await.status(), 200);
    assert_eq!(app.get("/api/v1/auth/me", Some(&admin)).await.status(), 200);
    last_audit(&app, "user.sessions_revoked").await;
}

async fn a_mailed_link_sets_a_new_password_once(backend: Backend) {
    let (app, _storage) = app(backend).await;
    let edu = app.create_tenant("edu").await;
    app.create_user("edu-admin", Role::TenantAdmin, Some(edu))
        .await;
    let dev = app
        .create_user("edu-dev", Role::TenantMember, Some(edu))
        .await;
    let admin = app.login("edu-admin").await;
    let old_session = app.login("edu-dev").await;
    let path = format!("/api/v1/users/{dev}");

    // No address, no link.
    let response = app
        .post_json(&format!("{path}/password-reset"), Some(&admin), &json!({}))
        .await;
    assert_eq!(response.status(), 409);
    app.patch_json(&path, &admin, &json!({"email": "dev@edu.example"}))
        .await;
    let response = app
        .post_json(&format!("{path}/password-reset"), Some(&admin), &json!({}))
        .await;
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["email"], "dev@edu.example");

    let mail = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Template.eq("password_reset"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the reset mail is in the outbox");
    assert_eq!(mail.recipient, "dev@edu.example");
    let token = mail
        .body
        .split("/reset-password?token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the mail carries the link");

    let reset = |token: &str, password: &str| {
        let body = json!({"token": token, "password": password});
        let request = app
            .http
            .post(format!("{}/api/v1/auth/password-reset", app.address))
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    assert_eq!(reset(token, "short").await.status(), 422);
    assert_eq!(
        reset("not-a-token", "a-new-long-password").await.status(),
        401
    );
    assert_eq!(reset(token, "a-new-long-password").await.status(), 204);
    // Once only; the old password and the old sessions are over.
    let again = reset(token, "another-long-password").await;
    assert_eq!(again.status(), 401);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["code"], "invalid_token");
    assert_eq!(app.post_login("edu-dev", PASSWORD).await.status(), 401);
    assert_eq!(
        app.post_login("edu-dev", "a-new-long-password")
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&old_session))
            .await
            .status(),
        401
    );
    let record = last_audit(&app, "user.password_reset").await;
    assert_eq!(record.actor_id, Some(dev));
    last_audit(&app, "user.password_reset_sent").await;
}
