//! Approval SLAs on a manual clock: a reminder when a level's SLA passes and escalation at
//! twice it, counted from when the level opened, also across a restart of the application.

use std::time::Duration;

use chrono::{DateTime, Duration as Span, Utc};
use serde_json::Value;
use yunguan::clock::Clock;

use crate::helpers::{settings_for, spawn_node_with_clock, Backend, Storage};
use crate::on_every_backend;
use crate::tickets::{populate, submit_vm, ticket, user_id};

on_every_backend!(a_level_is_reminded_and_escalated_on_time_across_a_restart);

fn at(entry: &Value) -> DateTime<Utc> {
    entry["at"].as_str().unwrap().parse().unwrap()
}

/// The ticket's timeline entry of `kind`.
async fn entry(app: &crate::helpers::TestApp, token: &str, ticket_id: i64, kind: &str) -> Value {
    let detail = ticket(app, token, ticket_id).await;
    detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} on ticket {ticket_id}: {detail}"))
        .clone()
}

/// Gives the ticket's actor a moment after the clock moved, then checks that it did not
/// write `kind`: an absence has no event to wait for.
async fn none_yet(app: &crate::helpers::TestApp, token: &str, ticket_id: i64, kind: &str) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let detail = ticket(app, token, ticket_id).await;
    assert!(
        !detail["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == kind),
        "{kind} too early: {detail}"
    );
}

async fn a_level_is_reminded_and_escalated_on_time_across_a_restart(backend: Backend) {
    let storage = Storage::new(&backend).await;
    let clock = Clock::manual(Utc::now());
    let first = spawn_node_with_clock(settings_for(&storage), clock.clone()).await;
    populate(&first).await;
    let dev = first.login("edu-dev").await;
    // The tenant admins' level has an 8-hour SLA and escalates to the bureau managers.
    let id = submit_vm(&first, &dev, 1).await["id"].as_i64().unwrap();
    let opened = at(&entry(&first, &dev, id, "level_opened").await);
    clock.advance(Span::hours(5));
    none_yet(&first, &dev, id, "reminded").await;
    first.stop.stop().await;

    // A new application on the same database picks the level up with 5 hours already spent.
    let second = spawn_node_with_clock(settings_for(&storage), clock.clone()).await;
    let dev = second.login("edu-dev").await;
    let manager_id = user_id(&second, "manager1").await;
    let mut manager_ws = second.ws(&second.login("manager1").await).await;
    manager_ws
        .subscribe(&format!("user/{manager_id}/inbox"), None)
        .await;
    let edu_admin_id = user_id(&second, "edu-admin").await;
    let mut admin_ws = second.ws(&second.login("edu-admin").await).await;
    admin_ws
        .subscribe(&format!("user/{edu_admin_id}/inbox"), None)
        .await;

    clock.advance(Span::hours(3) - Span::minutes(1));
    none_yet(&second, &dev, id, "reminded").await;
    clock.advance(Span::minutes(1));
    // The reminder is pushed once its timeline entry is committed.
    let reminder = admin_ws.next_json().await;
    assert_eq!(reminder["kind"], "approval.reminder");
    assert_eq!(reminder["data"]["ticket"]["id"], id);
    let reminded = entry(&second, &dev, id, "reminded").await;
    assert_eq!(
        at(&reminded) - opened,
        Span::hours(8),
        "reminded 8 hours after the level opened"
    );

    clock.advance(Span::hours(8));
    let escalation = manager_ws.next_json().await;
    assert_eq!(escalation["kind"], "approval.escalated");
    let escalated = entry(&second, &dev, id, "escalated").await;
    assert_eq!(
        at(&escalated) - opened,
        Span::hours(16),
        "escalated at twice the SLA"
    );
    // Each happened once, though two applications ran an actor for the ticket in turn.
    let detail = ticket(&second, &dev, id).await;
    for kind in ["reminded", "escalated"] {
        let count = detail["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == kind)
            .count();
        assert_eq!(count, 1, "{kind}");
    }
    drop(storage);
}
