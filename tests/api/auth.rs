//! Login, wrong credentials, throttling, token expiry, logout, WebSocket tickets.

use chrono::Utc;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};
use yunguan::clock::Clock;
use yunguan::identity::Role;

use crate::helpers::{
    settings_for, spawn_app, spawn_app_with, spawn_node_with_clock, Backend, Storage, TestApp,
    WsClient, PASSWORD,
};
use crate::on_every_backend;

on_every_backend!(
    login_returns_a_token_that_identifies_the_user,
    wrong_credentials_are_refused_alike,
    repeated_failures_are_throttled,
    one_address_guessing_many_names_is_slowed,
    an_expired_token_is_refused,
    logout_revokes_the_token_and_its_tickets,
    logout_closes_the_sessions_open_sockets,
    a_login_ended_elsewhere_closes_its_sockets_at_the_next_check,
    a_ws_ticket_works_once_and_not_after_expiry,
);

async fn login_returns_a_token_that_identifies_the_user(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let tenant_id = app.create_tenant("edu").await;
    app.create_user("edu-dev", Role::TenantMember, Some(tenant_id))
        .await;

    let response = app.post_login("edu-dev", PASSWORD).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"]["username"], "edu-dev");
    assert_eq!(body["user"]["role"], "tenant_member");
    assert_eq!(body["user"]["tenant_id"], tenant_id);
    assert!(body["expires_at"].as_str().unwrap().starts_with("20"));
    assert!(body["user"].get("password_hash").is_none());

    let token = body["token"].as_str().unwrap();
    let me: Value = app
        .get("/api/v1/auth/me", Some(token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "edu-dev");
}

async fn wrong_credentials_are_refused_alike(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("ops", Role::BureauOperator, None).await;
    for (username, password) in [("ops", "wrong-password"), ("nobody", PASSWORD), ("ops", "")] {
        let response = app.post_login(username, password).await;
        assert_eq!(response.status(), 401, "{username}/{password}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "invalid_credentials");
        assert_eq!(body["type"], "auth");
    }
}

async fn repeated_failures_are_throttled(backend: Backend) {
    // Two nodes on one database, behind a proxy that names the client address.
    let storage = Storage::new(&backend).await;
    let mut settings = settings_for(&storage);
    settings.server.trust_forwarded_for = true;
    let clock = Clock::manual(Utc::now());
    let node1 = spawn_node_with_clock(settings.clone(), clock.clone()).await;
    let node2 = spawn_node_with_clock(settings, clock.clone()).await;
    node1
        .create_user("manager", Role::BureauManager, None)
        .await;
    let login = |node: &TestApp, address: &str, password: &str| {
        node.http
            .post(format!("{}/api/v1/auth/login", node.address))
            .header("x-forwarded-for", address)
            .json(&json!({"username": "manager", "password": password}))
            .send()
    };
    // The default lets 5 failures in a row of a name at an address through, whichever node
    // answers them.
    for attempt in 0..5 {
        let node = if attempt % 2 == 0 { &node1 } else { &node2 };
        let response = login(node, "198.51.100.7", "guess").await.unwrap();
        assert_eq!(response.status(), 401, "attempt {attempt}");
    }
    for node in [&node1, &node2] {
        let throttled = login(node, "198.51.100.7", "guess").await.unwrap();
        assert_eq!(throttled.status(), 429);
        assert_eq!(throttled.headers()["retry-after"], "1");
        let body: Value = throttled.json().await.unwrap();
        assert_eq!(body["code"], "too_many_login_attempts");
        assert_eq!(body["message"], "too many failed logins; try again in 1 s");
    }
    // The guesser's address waits, even with the right password, ...
    let waiting = login(&node1, "198.51.100.7", PASSWORD).await.unwrap();
    assert_eq!(waiting.status(), 429);
    // ... but the account is not locked: from anywhere else the right password gets in.
    let elsewhere = login(&node2, "203.0.113.20", PASSWORD).await.unwrap();
    assert_eq!(elsewhere.status(), 200);
    // Each further failure doubles the wait: 1 s, then 2 s.
    clock.advance(chrono::Duration::seconds(1));
    assert_eq!(
        login(&node1, "198.51.100.7", "guess")
            .await
            .unwrap()
            .status(),
        401
    );
    let doubled = login(&node1, "198.51.100.7", PASSWORD).await.unwrap();
    assert_eq!(doubled.status(), 429);
    assert_eq!(doubled.headers()["retry-after"], "2");
    clock.advance(chrono::Duration::seconds(2));
    // The wait is over: the right password is let in, and the name starts afresh there.
    assert_eq!(
        login(&node2, "198.51.100.7", PASSWORD)
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        login(&node1, "198.51.100.7", "guess")
            .await
            .unwrap()
            .status(),
        401
    );
}

async fn one_address_guessing_many_names_is_slowed(backend: Backend) {
    let (app, _storage) = spawn_app_with(backend, |settings| {
        settings.server.trust_forwarded_for = true;
    })
    .await;
    app.create_user("ops", Role::BureauOperator, None).await;
    let login = |username: String, address: &str| {
        app.http
            .post(format!("{}/api/v1/auth/login", app.address))
            .header("x-forwarded-for", address)
            .json(&json!({"username": username, "password": "guess"}))
            .send()
    };
    // 20 failures from one address, each under another name (4 each), are free; the 21st
    // waits, whatever its name; another address does not.
    for n in 0..20 {
        let response = login(format!("user{}", n % 5), "198.51.100.8")
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "attempt {n}");
    }
    assert_eq!(
        login("user9".to_owned(), "198.51.100.8")
            .await
            .unwrap()
            .status(),
        429
    );
    assert_eq!(
        login("user9".to_owned(), "198.51.100.9")
            .await
            .unwrap()
            .status(),
        401
    );
}

async fn an_expired_token_is_refused(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("ops", Role::BureauOperator, None).await;
    let token = app.login("ops").await;
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).await.status(), 200);

    expire_all(&app, "sessions").await;

    let response = app.get("/api/v1/auth/me", Some(&token)).await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_token");
}

async fn logout_revokes_the_token_and_its_tickets(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("ops", Role::BureauOperator, None).await;
    let token = app.login("ops").await;
    let ticket = app.ws_ticket(&token).await;

    let response = app
        .post_json("/api/v1/auth/logout", Some(&token), &serde_json::json!({}))
        .await;
    assert_eq!(response.status(), 204);

    let after: Value = app
        .get("/api/v1/auth/me", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["code"], "invalid_token");
    let url = format!("ws://127.0.0.1:{}/api/v1/ws?ticket={ticket}", app.port);
    assert!(
        WsClient::connect(&url).await.is_err(),
        "a ticket of a revoked session opened a socket"
    );
    // Without any token at all.
    let anonymous: Value = app.get("/api/v1/auth/me", None).await.json().await.unwrap();
    assert_eq!(anonymous["code"], "missing_token");
}

async fn logout_closes_the_sessions_open_sockets(backend: Backend) {
    let (app, _storage) = spawn_app_with(backend, |settings| {
        settings.websocket.session_check_interval_ms = 100;
    })
    .await;
    app.create_user("ops", Role::BureauOperator, None).await;
    let leaving = app.login("ops").await;
    let staying = app.login("ops").await;
    let mut leaving_socket = app.ws(&leaving).await;
    let mut staying_socket = app.ws(&staying).await;
    leaving_socket.subscribe("announcements", None).await;
    staying_socket.subscribe("announcements", None).await;

    let response = app
        .post_json(
            "/api/v1/auth/logout",
            Some(&leaving),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(response.status(), 204);
    assert_eq!(leaving_socket.closed_with().await, 1008);
    // Another login of the same user keeps its socket.
    staying_socket.send(serde_json::json!({"op": "ping"})).await;
    assert_eq!(staying_socket.next_json().await["op"], "pong");
}

/// Another node's logout (here: the row revoked directly) is not announced on this node: the
/// node's one check of its open logins finds it.
async fn a_login_ended_elsewhere_closes_its_sockets_at_the_next_check(backend: Backend) {
    let (app, _storage) = spawn_app_with(backend, |settings| {
        settings.websocket.session_check_interval_ms = 100;
    })
    .await;
    app.create_user("ops", Role::BureauOperator, None).await;
    let staying = app.login("ops").await;
    let leaving = app.login("ops").await;
    let mut staying_socket = app.ws(&staying).await;
    let mut leaving_sockets = [app.ws(&leaving).await, app.ws(&leaving).await];
    for socket in &mut leaving_sockets {
        socket.subscribe("announcements", None).await;
    }
    let revoked = app
        .db
        .execute(Statement::from_string(
            app.db.get_database_backend(),
            "UPDATE sessions SET revoked_at = CURRENT_TIMESTAMP \
             WHERE id = (SELECT MAX(id) FROM sessions)",
        ))
        .await
        .unwrap();
    assert_eq!(revoked.rows_affected(), 1);
    for socket in &mut leaving_sockets {
        assert_eq!(socket.closed_with().await, 1008);
    }
    staying_socket.send(json!({"op": "ping"})).await;
    assert_eq!(staying_socket.next_json().await["op"], "pong");
}

async fn a_ws_ticket_works_once_and_not_after_expiry(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("ops", Role::BureauOperator, None).await;
    let token = app.login("ops").await;

    let ticket = app.ws_ticket(&token).await;
    let url = format!("ws://127.0.0.1:{}/api/v1/ws?ticket={ticket}", app.port);
    let mut first = WsClient::connect(&url).await.expect("first use opens");
    first.subscribe("announcements", None).await;
    let second = WsClient::connect(&url).await;
    match second {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401)
        }
        other => panic!("second use of a ticket: {:?}", other.map(|_| "opened")),
    }

    let stale = app.ws_ticket(&token).await;
    expire_all(&app, "ws_tickets").await;
    let url = format!("ws://127.0.0.1:{}/api/v1/ws?ticket={stale}", app.port);
    assert!(
        WsClient::connect(&url).await.is_err(),
        "an expired ticket opened a socket"
    );

    // Without a ticket or a token, the upgrade is refused with a catalogue error.
    let url = format!("ws://127.0.0.1:{}/api/v1/ws", app.port);
    match WsClient::connect(&url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401);
            let body: Value =
                serde_json::from_slice(response.body().as_deref().unwrap_or_default()).unwrap();
            assert_eq!(body["code"], "missing_token");
        }
        other => panic!("anonymous upgrade: {:?}", other.map(|_| "opened")),
    }

    // The bearer header works as well as a ticket.
    let mut with_header = app.ws_with_bearer(&token).await;
    with_header.subscribe("announcements", None).await;
}

/// Moves every row's `expires_at` of `table` one second into the past.
async fn expire_all(app: &crate::helpers::TestApp, table: &str) {
    let past = Utc::now() - chrono::Duration::seconds(1);
    let backend = app.db.get_database_backend();
    app.db
        .execute(Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DatabaseBackend::Postgres => format!("UPDATE {table} SET expires_at = $1"),
                _ => format!("UPDATE {table} SET expires_at = ?"),
            },
            [past.into()],
        ))
        .await
        .unwrap();
}
