//! The WebSocket protocol: authorization of topics, exact delivery, resume and resync,
//! slow consumers, malformed input, heartbeats and shutdown.

use std::time::Duration;

use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use yunguan::announcements::AnnouncementView;
use yunguan::hub::{EventKind, Topic};
use yunguan::identity::Role;

use crate::helpers::{spawn_app, spawn_app_with, Backend, TestApp};
use crate::on_every_backend;

on_every_backend!(
    another_tenants_topic_is_forbidden,
    malformed_messages_get_an_error_and_the_connection_stays_open,
    an_announcement_reaches_exactly_the_right_sockets,
    a_client_resumes_with_since_or_is_told_to_resync,
    a_slow_consumer_does_not_delay_a_fast_one,
    a_client_that_stops_reading_is_disconnected,
    idle_connections_are_closed_and_live_ones_kept,
    shutdown_closes_sockets_with_going_away,
);

async fn tenant_world(app: &TestApp) -> (i64, i64) {
    let edu = app.create_tenant("edu").await;
    let health = app.create_tenant("health").await;
    app.create_user("manager", Role::BureauManager, None).await;
    app.create_user("edu-dev", Role::TenantMember, Some(edu))
        .await;
    app.create_user("health-dev", Role::TenantMember, Some(health))
        .await;
    (edu, health)
}

async fn another_tenants_topic_is_forbidden(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let (edu, health) = tenant_world(&app).await;
    let edu_dev = app.login("edu-dev").await;
    let mut socket = app.ws(&edu_dev).await;

    for topic in [
        format!("tenant/{health}/announcements"),
        format!("tenant/{health}/tickets"),
        "overview".to_owned(),
        "dc/1".to_owned(),
        "user/999/inbox".to_owned(),
    ] {
        socket
            .send(json!({"op": "subscribe", "topic": topic}))
            .await;
        let reply = socket.next_json().await;
        assert_eq!(reply["op"], "error", "{topic}");
        assert_eq!(reply["code"], "forbidden_topic", "{topic}");
        assert_eq!(reply["topic"], topic.as_str());
    }
    socket
        .subscribe(&format!("tenant/{edu}/announcements"), None)
        .await;

    // Refused subscriptions deliver nothing.
    let manager = app.login("manager").await;
    app.post_announcement(&manager, "health only", Some(health))
        .await;
    socket.expect_silence(Duration::from_millis(300)).await;
}

async fn malformed_messages_get_an_error_and_the_connection_stays_open(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    tenant_world(&app).await;
    let token = app.login("edu-dev").await;
    let mut socket = app.ws(&token).await;

    let table: [(Message, &str); 7] = [
        (Message::text("not json"), "bad_message"),
        (Message::text("{\"op\":\"subscribe\""), "bad_message"),
        (Message::text(r#"{"op":"launch"}"#), "bad_message"),
        (
            Message::text(r#"{"op":"subscribe","topic":"announcements","since":"x"}"#),
            "bad_message",
        ),
        (Message::binary(vec![0xff, 0x00, 0x13]), "bad_message"),
        (
            Message::text(r#"{"op":"subscribe","topic":"tenant/abc/tickets"}"#),
            "invalid_topic",
        ),
        (
            Message::text(r#"{"op":"unsubscribe","topic":"../../etc"}"#),
            "invalid_topic",
        ),
    ];
    for (message, code) in table {
        let shown = format!("{message:?}");
        socket.send_raw(message).await;
        let reply = socket.next_json().await;
        assert_eq!(reply["op"], "error", "{shown}");
        assert_eq!(reply["code"], code, "{shown}");
        assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    socket.send(json!({"op": "ping"})).await;
    assert_eq!(socket.next_json().await, json!({"op": "pong"}));

    // A frame over the size limit closes the connection with "message too big".
    socket.send_raw(Message::text("x".repeat(70_000))).await;
    assert_eq!(socket.closed_with().await, 1009);
}

async fn an_announcement_reaches_exactly_the_right_sockets(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let (edu, health) = tenant_world(&app).await;
    let manager = app.login("manager").await;
    let mut edu_socket = app.ws(&app.login("edu-dev").await).await;
    let mut health_socket = app.ws(&app.login("health-dev").await).await;
    let mut manager_socket = app.ws(&manager).await;
    for (socket, tenant) in [(&mut edu_socket, edu), (&mut health_socket, health)] {
        socket.subscribe("announcements", None).await;
        socket
            .subscribe(&format!("tenant/{tenant}/announcements"), None)
            .await;
    }
    let before = manager_socket
        .subscribe(&format!("tenant/{edu}/announcements"), None)
        .await["seq"]
        .as_u64()
        .unwrap();

    let posted: Value = app
        .post_announcement(&manager, "教育局停机通知", Some(edu))
        .await
        .json()
        .await
        .unwrap();
    for socket in [&mut edu_socket, &mut manager_socket] {
        let event = socket.next_json().await;
        assert_eq!(event["op"], "event");
        assert_eq!(event["topic"], format!("tenant/{edu}/announcements"));
        assert_eq!(event["kind"], "announcement.created");
        assert_eq!(event["seq"], before + 1);
        assert_eq!(event["seq"], posted["seq"]);
        assert_eq!(event["data"]["title"], "教育局停机通知");
        assert_eq!(event["data"]["id"], posted["id"]);
        assert!(event["ts"].as_str().unwrap().ends_with('Z'));
    }
    health_socket
        .expect_silence(Duration::from_millis(300))
        .await;

    app.post_announcement(&manager, "全体通知", None).await;
    for socket in [&mut edu_socket, &mut health_socket] {
        let event = socket.next_json().await;
        assert_eq!(event["topic"], "announcements");
        assert_eq!(event["data"]["title"], "全体通知");
        // Exactly once.
        socket.expect_silence(Duration::from_millis(200)).await;
    }
    manager_socket
        .expect_silence(Duration::from_millis(100))
        .await;

    // After unsubscribing, nothing more arrives.
    edu_socket
        .send(json!({"op": "unsubscribe", "topic": "announcements"}))
        .await;
    assert_eq!(edu_socket.next_json().await["op"], "unsubscribed");
    app.post_announcement(&manager, "第二次全体通知", None)
        .await;
    assert_eq!(
        health_socket.next_json().await["data"]["title"],
        "第二次全体通知"
    );
    edu_socket.expect_silence(Duration::from_millis(300)).await;
}

async fn a_client_resumes_with_since_or_is_told_to_resync(backend: Backend) {
    let (app, _storage) =
        spawn_app_with(backend, |settings| settings.hub.replay_capacity = 4).await;
    tenant_world(&app).await;
    let manager = app.login("manager").await;
    let edu_dev = app.login("edu-dev").await;

    let mut socket = app.ws(&edu_dev).await;
    // Numbering starts wherever the server's counter stands; all below is relative to it.
    let base = socket.subscribe("announcements", None).await["seq"]
        .as_u64()
        .unwrap();
    app.post_announcement(&manager, "one", None).await;
    let seen = socket.next_json().await["seq"].as_u64().unwrap();
    assert_eq!(seen, base + 1);
    drop(socket);

    for title in ["two", "three", "four"] {
        app.post_announcement(&manager, title, None).await;
    }
    let mut resumed = app.ws(&edu_dev).await;
    assert_eq!(
        resumed.subscribe("announcements", Some(seen)).await["seq"],
        base + 4
    );
    let titles: Vec<Value> = [
        resumed.next_json().await,
        resumed.next_json().await,
        resumed.next_json().await,
    ]
    .iter()
    .map(|event| {
        json!([
            event["seq"].as_u64().unwrap() - base,
            event["data"]["title"]
        ])
    })
    .collect();
    assert_eq!(
        titles,
        [json!([2, "two"]), json!([3, "three"]), json!([4, "four"])]
    );
    // Then live events continue.
    app.post_announcement(&manager, "five", None).await;
    assert_eq!(resumed.next_json().await["seq"], base + 5);

    // Six more: seq base+2 has left the 4-event replay buffer.
    for i in 6..=11 {
        app.post_announcement(&manager, &format!("n{i}"), None)
            .await;
    }
    let mut late = app.ws(&edu_dev).await;
    assert_eq!(
        late.subscribe("announcements", Some(seen)).await["seq"],
        base + 11
    );
    assert_eq!(
        late.next_json().await,
        json!({"op": "resync", "topic": "announcements"})
    );
    // A resynced client still gets what follows.
    app.post_announcement(&manager, "twelve", None).await;
    assert_eq!(late.next_json().await["seq"], base + 12);

    // A client ahead of the server resyncs as well.
    let mut ahead = app.ws(&edu_dev).await;
    ahead.subscribe("announcements", Some(base + 1000)).await;
    assert_eq!(ahead.next_json().await["op"], "resync");
}

/// An announcement straight to the hub (not stored), numbered `i`, with a body of
/// `body_bytes`.
fn bulk_announcement(i: u64, body_bytes: usize) -> AnnouncementView {
    AnnouncementView {
        id: i as i64,
        title: format!("bulk {i}"),
        body: "x".repeat(body_bytes),
        tenant_id: None,
        author_id: 1,
        created_at: chrono::Utc::now(),
    }
}

/// Publishes `n_events` events of 64 KiB on `announcements`, pausing between them so that
/// readers on the same thread get their turn.
async fn flood(app: &TestApp, n_events: u64, pause: Duration) {
    for i in 0..n_events {
        app.state
            .hub
            .publish(
                &Topic::Announcements,
                EventKind::AnnouncementCreated,
                &bulk_announcement(i, 64 * 1024),
            )
            .await
            .unwrap();
        tokio::time::sleep(pause).await;
    }
}

async fn a_slow_consumer_does_not_delay_a_fast_one(backend: Backend) {
    let (app, _storage) = spawn_app_with(backend, |settings| {
        settings.hub.connection_queue_capacity = 8;
        // The slow client reads nothing until publishing ends; it must not be cut off for that.
        settings.websocket.write_timeout_ms = 60_000;
    })
    .await;
    tenant_world(&app).await;
    let token = app.login("edu-dev").await;
    let mut slow = app.ws(&token).await;
    let mut fast = app.ws(&token).await;
    slow.subscribe("announcements", None).await;
    let base = fast.subscribe("announcements", None).await["seq"]
        .as_u64()
        .unwrap();

    // 600 events of 64 KiB: far more than the kernel's socket buffers hold for a client that
    // does not read.
    const EVENTS: u64 = 600;
    let fast_reader = actix_web::rt::spawn(async move {
        let mut seqs = Vec::new();
        while (seqs.len() as u64) < EVENTS {
            let message = fast.next_json().await;
            assert_eq!(
                message["op"], "event",
                "the fast client got {}",
                message["op"]
            );
            seqs.push(message["seq"].as_u64().unwrap());
        }
        seqs
    });
    flood(&app, EVENTS, Duration::from_micros(500)).await;
    let fast_seqs = fast_reader.await.unwrap();
    assert_eq!(
        fast_seqs,
        (base + 1..=base + EVENTS).collect::<Vec<_>>(),
        "the fast client missed or reordered events"
    );
    assert!(
        app.state.metrics.queue_overflows.get() > 0,
        "the slow client never overflowed"
    );

    // The slow client finally reads: what was queued, then a resync instead of the rest.
    let mut received = 0;
    loop {
        let message = slow.next_json().await;
        match message["op"].as_str() {
            Some("event") => received += 1,
            Some("resync") => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        received < EVENTS,
        "the slow client got everything ({received}), so nothing was tested"
    );
    // And then live events again.
    app.state
        .hub
        .publish(
            &Topic::Announcements,
            EventKind::AnnouncementCreated,
            &bulk_announcement(EVENTS, 0),
        )
        .await
        .unwrap();
    let next = slow.next_json().await;
    assert_eq!(next["seq"], base + EVENTS + 1);
}

async fn a_client_that_stops_reading_is_disconnected(backend: Backend) {
    let (app, _storage) = spawn_app_with(backend, |settings| {
        settings.hub.connection_queue_capacity = 8;
        settings.websocket.write_timeout_ms = 300;
    })
    .await;
    tenant_world(&app).await;
    let token = app.login("edu-dev").await;
    // The node's own (monitoring hears the inventory's changes).
    let subscriptions_before = app.state.hub.stats().subscriptions;
    let mut stalled = app.ws(&token).await;
    stalled.subscribe("announcements", None).await;
    assert_eq!(app.state.metrics.ws_connections.get(), 1);

    // Far more than the socket buffers hold, and the client reads none of it.
    flood(&app, 600, Duration::from_micros(200)).await;
    let mut closed = false;
    for _ in 0..100 {
        if app.state.metrics.ws_connections.get() == 0 {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        closed,
        "a connection whose client stopped reading stayed open"
    );
    assert_eq!(app.state.hub.stats().subscriptions, subscriptions_before);
    drop(stalled);
}

async fn idle_connections_are_closed_and_live_ones_kept(backend: Backend) {
    let (app, _storage) = spawn_app_with(backend, |settings| {
        settings.websocket.heartbeat_interval_ms = 100;
        settings.websocket.idle_timeout_ms = 500;
    })
    .await;
    tenant_world(&app).await;
    let token = app.login("edu-dev").await;
    let mut silent = app.ws(&token).await;
    let mut live = app.ws(&token).await;

    // `live` keeps reading, which answers the server's pings; `silent` does not.
    assert!(live
        .try_next_json(Duration::from_millis(1200))
        .await
        .is_none());
    assert_eq!(silent.close_code_unanswered().await, 1008);
    live.send(json!({"op": "ping"})).await;
    assert_eq!(live.next_json().await, json!({"op": "pong"}));
}

async fn shutdown_closes_sockets_with_going_away(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    tenant_world(&app).await;
    let token = app.login("edu-dev").await;
    let mut socket = app.ws(&token).await;
    socket.subscribe("announcements", None).await;
    app.stop.stop().await;
    assert_eq!(socket.closed_with().await, 1001);
}
