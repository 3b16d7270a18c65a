//! Single sign-on against real servers: OIDC through `oidc-provider` (npm) and LDAP through
//! Debian's `slapd`. Groups give roles and tenants by the settings' mapping; a user whose
//! groups change gets the new role at the next sign-in and loses every old session and open
//! socket; a user with no mapped group is refused; local accounts keep working (break-glass)
//! and are never taken over; a directory that is down answers at once.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use yunguan::identity::settings::{LdapSettings, OidcSettings, RoleRule};
use yunguan::identity::Role;
use yunguan::settings::Settings;

use crate::helpers::{spawn_app_with, Backend, TestApp, PASSWORD};
use crate::oidc_provider::{Landing, OidcProvider, CLIENT_ID, CLIENT_SECRET, REDIRECT_URL};
use crate::on_every_backend;
use crate::slapd::{self, Slapd};

on_every_backend!(
    oidc_groups_give_the_role_and_a_changed_group_ends_the_old_sessions,
    ldap_passwords_and_groups_sign_in_and_local_accounts_stay,
);

fn rule(group: &str, role: Role, tenant: Option<&str>) -> RoleRule {
    RoleRule {
        group: group.to_owned(),
        role,
        tenant: tenant.map(str::to_owned),
    }
}

fn sso_settings(settings: &mut Settings) {
    settings.auth.role_mapping = vec![
        rule("yunguan-admins", Role::BureauAdmin, None),
        rule("edu-developers", Role::TenantMember, Some("edu")),
        // The tenant from the provider's claim or the directory's attribute.
        rule("department-admins", Role::TenantAdmin, None),
    ];
    settings.websocket.session_check_interval_ms = 200;
}

async fn me(app: &TestApp, token: &str) -> (u16, Value) {
    let response = app.get("/api/v1/auth/me", Some(token)).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn users(alice_groups: &[&str]) -> Value {
    json!({
        "alice": {"password": "alice-pass", "name": "王丽", "email": "alice@gov.example",
                  "groups": alice_groups, "tenant": "health"},
        "dave": {"password": "dave-pass", "name": "Dave", "email": "dave@gov.example", "groups": ["visitors"]},
        // Named like a local account.
        "ops": {"password": "ops-pass", "name": "Impostor", "groups": ["yunguan-admins"]},
    })
}

async fn oidc_groups_give_the_role_and_a_changed_group_ends_the_old_sessions(backend: Backend) {
    let provider = OidcProvider::start(&users(&["yunguan-admins"])).await;
    let issuer = provider.issuer.clone();
    let (app, _storage) = spawn_app_with(backend, |settings| {
        sso_settings(settings);
        settings.auth.oidc = Some(OidcSettings {
            issuer_url: issuer,
            client_id: CLIENT_ID.to_owned(),
            client_secret: Some(CLIENT_SECRET.to_owned().into()),
            redirect_url: Some(REDIRECT_URL.to_owned()),
            label: "统一身份认证".to_owned(),
            scopes: ["openid", "profile", "email", "groups"]
                .map(str::to_owned)
                .to_vec(),
            username_claim: "preferred_username".to_owned(),
            groups_claim: "groups".to_owned(),
            tenant_claim: "tenant".to_owned(),
        });
    })
    .await;
    app.create_tenant("edu").await;
    let health = app.create_tenant("health").await;
    app.create_user("ops", Role::BureauOperator, None).await;
    let methods = app
        .get("/api/v1/auth/methods", None)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(methods["oidc"]["label"], "统一身份认证", "{methods}");
    assert_eq!(methods["oidc"]["login_url"], "/api/v1/auth/oidc/login");
    assert_eq!(methods["ldap"], false);

    // First sign-in: provisioned as a bureau admin, named as the provider names her.
    let Landing::Token(first) = provider.sign_in(&app, "alice", "alice-pass").await else {
        panic!("alice is not signed in");
    };
    let (status, alice) = me(&app, &first).await;
    assert_eq!(status, 200, "{alice}");
    assert_eq!(
        (
            &alice["username"],
            &alice["display_name"],
            &alice["role"],
            &alice["tenant_id"]
        ),
        (
            &json!("alice"),
            &json!("王丽"),
            &json!("bureau_admin"),
            &Value::Null
        )
    );
    let mut socket = app.ws(&first).await;
    socket.subscribe("announcements", None).await;

    // She moves to the health bureau's admins: the next sign-in makes her that, and her
    // bureau-admin session and socket end.
    provider.set_users(&users(&["department-admins"]));
    let Landing::Token(second) = provider.sign_in(&app, "alice", "alice-pass").await else {
        panic!("alice is not signed in again");
    };
    let (_, alice) = me(&app, &second).await;
    assert_eq!(
        (&alice["role"], &alice["tenant_id"]),
        (&json!("tenant_admin"), &json!(health))
    );
    assert_eq!(
        alice["id"],
        me(&app, &second).await.1["id"],
        "the same account"
    );
    assert_eq!(
        me(&app, &first).await.0,
        401,
        "the bureau-admin session ended"
    );
    assert_eq!(socket.closed_with().await, 1008);

    // Out of every mapped group: refused, and what she had ends.
    provider.set_users(&users(&["visitors"]));
    assert_eq!(
        provider.sign_in(&app, "alice", "alice-pass").await,
        Landing::Error("no_role".to_owned())
    );
    assert_eq!(me(&app, &second).await.0, 401);
    assert_eq!(
        provider.sign_in(&app, "dave", "dave-pass").await,
        Landing::Error("no_role".to_owned())
    );
    // A provider's user never takes over a local account of the same name.
    assert_eq!(
        provider.sign_in(&app, "ops", "ops-pass").await,
        Landing::Error("conflict".to_owned())
    );
    assert_eq!(
        app.post_login("ops", PASSWORD).await.status(),
        200,
        "break-glass login"
    );
    // A callback that was not started here is refused.
    let forged = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!(
            "{}/api/v1/auth/oidc/callback?code=abc&state=forged",
            app.address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.headers()["location"],
        "/login?sso_error=invalid_credentials"
    );

    // Provisioned, then re-granted, in the audit trail (newest first).
    app.create_user("admin", Role::BureauAdmin, None).await;
    let admin = app.login("admin").await;
    let trail = app.get_ok("/api/v1/audit?object_type=user", &admin).await;
    let actions: Vec<&str> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["user.changed", "user.provisioned"], "{trail}");
}

fn ldap_settings(slapd: &Slapd) -> LdapSettings {
    LdapSettings {
        url: slapd.url.clone(),
        starttls: false,
        bind_dn: slapd::SERVICE_DN.to_owned(),
        bind_password: slapd::SERVICE_PASSWORD.to_owned().into(),
        user_base: slapd::PEOPLE_DN.to_owned(),
        user_filter: "(uid={username})".to_owned(),
        group_base: slapd::GROUPS_DN.to_owned(),
        group_filter: "(member={dn})".to_owned(),
        group_attribute: "cn".to_owned(),
        display_name_attribute: "displayName".to_owned(),
        email_attribute: "mail".to_owned(),
        tenant_attribute: None,
        timeout_ms: 2000,
    }
}

async fn ldap_passwords_and_groups_sign_in_and_local_accounts_stay(backend: Backend) {
    let slapd = Slapd::start().await;
    let ldap = ldap_settings(&slapd);
    let (app, _storage) = spawn_app_with(backend, |settings| {
        sso_settings(settings);
        settings.auth.ldap = Some(ldap);
    })
    .await;
    let edu = app.create_tenant("edu").await;
    app.create_user("admin", Role::BureauAdmin, None).await;
    let methods = app
        .get("/api/v1/auth/methods", None)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        (&methods["ldap"], &methods["oidc"]),
        (&json!(true), &Value::Null)
    );

    let login = |username: &'static str, password: &'static str| {
        let app = &app;
        async move {
            let response = app.post_login(username, password).await;
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, alice) = login(slapd::ALICE, slapd::ALICE_PASSWORD).await;
    assert_eq!(status, 200, "{alice}");
    assert_eq!(
        (&alice["user"]["role"], &alice["user"]["display_name"]),
        (&json!("bureau_admin"), &json!(slapd::ALICE_DISPLAY_NAME))
    );
    let first = alice["token"].as_str().unwrap().to_owned();
    let (status, bob) = login(slapd::BOB, slapd::BOB_PASSWORD).await;
    assert_eq!(status, 200, "{bob}");
    assert_eq!(
        (&bob["user"]["role"], &bob["user"]["tenant_id"]),
        (&json!("tenant_member"), &json!(edu))
    );

    // The directory judges passwords: a wrong one, an empty one (an "unauthenticated" bind
    // the directory would accept) and a filter in the name are all refused alike.
    for (username, password) in [
        (slapd::ALICE, "wrong"),
        (slapd::ALICE, ""),
        ("*", slapd::ALICE_PASSWORD),
        ("alice)(uid=*", slapd::ALICE_PASSWORD),
        ("nobody", "whatever"),
    ] {
        let (status, body) = login(username, password).await;
        assert_eq!(
            (status, &body["code"]),
            (401, &json!("invalid_credentials")),
            "{username:?}"
        );
    }
    let (status, carol) = login(slapd::CAROL, slapd::CAROL_PASSWORD).await;
    assert_eq!(
        (status, &carol["code"]),
        (403, &json!("no_role")),
        "{carol}"
    );

    // Alice leaves the admins for the developers: her next login is a developer's, and the
    // admin session and its socket end.
    let mut socket = app.ws(&first).await;
    socket.subscribe("announcements", None).await;
    slapd.set_groups(slapd::ALICE, &[slapd::EDU_DEVELOPERS_GROUP]);
    let (status, again) = login(slapd::ALICE, slapd::ALICE_PASSWORD).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (&again["user"]["role"], &again["user"]["tenant_id"]),
        (&json!("tenant_member"), &json!(edu))
    );
    assert_eq!(me(&app, &first).await.0, 401);
    assert_eq!(socket.closed_with().await, 1008);

    // The local admin signs in with their own password, directory or not, and sees where
    // each account signs in; a directory account's password is not reset here.
    assert_eq!(login("admin", PASSWORD).await.0, 200);
    let admin = app.login("admin").await;
    let accounts = app.get_ok("/api/v1/users", &admin).await;
    let alice = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|account| account["username"] == "alice")
        .unwrap();
    assert_eq!(alice["auth_source"], "ldap");
    let reset = app
        .post_json(
            &format!("/api/v1/users/{}/password-reset", alice["id"]),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(reset.status(), 409);
    // The directory goes down: its users are told at once, local accounts still sign in.
    drop(slapd);
    let started = Instant::now();
    let (status, body) = login(slapd::ALICE, slapd::ALICE_PASSWORD).await;
    assert_eq!(
        (status, &body["code"]),
        (503, &json!("service_unavailable")),
        "{body}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(login("admin", PASSWORD).await.0, 200);
}
