//! The database under concurrent use, on every backend: a request's reads never wait behind
//! another connection's open write transaction, and writers queue for SQLite's one write
//! lock instead of failing.
//!
//! This is the regression guard of the WebSocket fan-out: when the embedded SQLite pool was
//! cut to one connection (commit adb6798), every request's reads (the bearer check, then
//! the insert of `POST /announcements`) queued for that connection and each handoff waited
//! for a worker busy writing to thousands of sockets. Publishing slowed to a trickle, frames
//! stopped sharing writes, and deliveries per second halved (docs/benchmarks.md). With one
//! connection the first check below can never pass: the request waits for the connection
//! the open transaction holds, whatever the machine's speed, so nothing here is timed.

use sea_orm::{ActiveModelTrait, Set};
use serde_json::{json, Value};
use yunguan::db::entities::announcement;
use yunguan::identity::Role;

use crate::helpers::{spawn_app, Backend};
use crate::on_every_backend;

on_every_backend!(reads_and_writes_proceed_while_a_write_transaction_is_open);

async fn reads_and_writes_proceed_while_a_write_transaction_is_open(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let author_id = app.create_user("herald", Role::BureauAdmin, None).await;
    app.create_user("reader", Role::BureauOperator, None).await;
    let herald = app.login("herald").await;
    let reader = app.login("reader").await;

    let transaction = yunguan::db::begin(&app.db).await.unwrap();
    announcement::ActiveModel {
        title: Set("uncommitted".to_owned()),
        body: Set("written inside the open transaction".to_owned()),
        tenant_id: Set(None),
        author_id: Set(author_id),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&transaction)
    .await
    .unwrap();

    // A read answers while the writer holds its transaction open, and does not see it.
    let listed = app.get("/api/v1/announcements", Some(&reader)).await;
    assert_eq!(
        listed.status(),
        200,
        "a read must not wait behind an open write transaction: {}",
        listed.text().await.unwrap_or_default()
    );
    let titles: Vec<Value> = listed.json().await.unwrap();
    assert!(
        titles.is_empty(),
        "uncommitted rows are invisible: {titles:?}"
    );

    // A second writer waits for the lock rather than failing, and goes through once the
    // first commits.
    let posting = {
        let http = app.http.clone();
        let url = format!("{}/api/v1/announcements", app.address);
        tokio::spawn(async move {
            http.post(url)
                .bearer_auth(herald)
                .json(&json!({"title": "queued", "body": "posted while another wrote"}))
                .send()
                .await
                .unwrap()
        })
    };
    transaction.commit().await.unwrap();
    let posted = posting.await.unwrap();
    assert_eq!(posted.status(), 201, "{}", posted.text().await.unwrap());

    let listed: Vec<Value> = app
        .get("/api/v1/announcements", Some(&reader))
        .await
        .json()
        .await
        .unwrap();
    let mut titles: Vec<&str> = listed
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    titles.sort_unstable();
    assert_eq!(titles, ["queued", "uncommitted"]);
}
