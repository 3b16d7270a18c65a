//! Reading the audit trail: bureau admins read every record, tenant admins only their
//! tenant's (no filter widens that), nobody else reads it; filters, paging and periods; the
//! CSV export holds the same records in the same scope.

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::Value;

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_every_backend;
use crate::tickets::{approve_ok, populate, submit_vm, World};

on_every_backend!(
    the_audit_trail_reads_filtered_and_paged_within_the_readers_tenant,
    the_audit_export_is_csv_within_the_readers_tenant,
);

/// Two edu tickets (one approved by edu's admin) and one health ticket, on top of the
/// standard catalog's records.
async fn history(app: &TestApp) -> World {
    let world = populate(app).await;
    let (edu_dev, edu_admin, health_dev) = (
        app.login("edu-dev").await,
        app.login("edu-admin").await,
        app.login("health-dev").await,
    );
    let first = submit_vm(app, &edu_dev, 1).await["id"].as_i64().unwrap();
    submit_vm(app, &edu_dev, 2).await;
    submit_vm(app, &health_dev, 1).await;
    approve_ok(app, &edu_admin, first).await;
    world
}

async fn records(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let answer = app.get_ok(&format!("/api/v1/audit{query}"), token).await;
    answer.as_array().expect("a list").clone()
}

fn field<'a>(records: &'a [Value], name: &str) -> Vec<&'a Value> {
    records.iter().map(|record| &record[name]).collect()
}

async fn the_audit_trail_reads_filtered_and_paged_within_the_readers_tenant(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let world = history(&app).await;
    let (admin, edu_admin) = (app.login("admin").await, app.login("edu-admin").await);

    // Everything, newest first: six catalog items, three submissions, one approval.
    let all = records(&app, &admin, "").await;
    assert_eq!(all.len(), 10, "{all:?}");
    let ids: Vec<i64> = all.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|pair| pair[0] > pair[1]), "{ids:?}");
    let newest = &all[0];
    assert_eq!(newest["action"], "ticket.approve");
    assert_eq!(newest["actor_username"], "edu-admin");
    assert_eq!(newest["tenant_id"], world.edu);
    assert_eq!(newest["hash"].as_str().unwrap().len(), 64);
    assert!(newest["after"].is_object(), "{newest}");

    // Filters narrow.
    let submitted = records(&app, &admin, "?action=ticket.submitted").await;
    assert_eq!(submitted.len(), 3);
    let edu_dev_id = submitted
        .iter()
        .find(|r| r["actor_username"] == "edu-dev")
        .unwrap()["actor_id"]
        .clone();
    let by_edu_dev = records(&app, &admin, &format!("?actor_id={edu_dev_id}")).await;
    assert_eq!(by_edu_dev.len(), 2);
    let health = records(&app, &admin, &format!("?tenant_id={}", world.health)).await;
    assert_eq!(field(&health, "tenant_id"), [&Value::from(world.health)]);
    let ticket_id = newest["object_id"].as_i64().unwrap();
    let one_ticket = records(
        &app,
        &admin,
        &format!("?object_type=ticket&object_id={ticket_id}"),
    )
    .await;
    assert_eq!(
        field(&one_ticket, "action"),
        ["ticket.approve", "ticket.submitted"]
    );

    // Pages back by id; a period keeps what falls in it.
    let first_page = records(&app, &admin, "?limit=4").await;
    let next_page = records(
        &app,
        &admin,
        &format!("?limit=4&before_id={}", first_page[3]["id"]),
    )
    .await;
    assert_eq!(first_page[..], all[..4]);
    assert_eq!(next_page[..], all[4..8]);
    let at = |offset: Duration| {
        (Utc::now() + offset)
            .to_rfc3339_opts(SecondsFormat::Secs, true)
            .replace('+', "%2B")
    };
    let past = format!(
        "?from={}&to={}",
        at(-Duration::hours(2)),
        at(-Duration::hours(1))
    );
    assert!(records(&app, &admin, &past).await.is_empty());
    let around = format!(
        "?from={}&to={}",
        at(-Duration::hours(1)),
        at(Duration::hours(1))
    );
    assert_eq!(records(&app, &admin, &around).await.len(), 10);

    // A tenant admin reads their tenant's records and no others, whatever they ask.
    let edu = records(&app, &edu_admin, "").await;
    assert_eq!(edu.len(), 3, "{edu:?}");
    assert!(edu.iter().all(|r| r["tenant_id"] == world.edu), "{edu:?}");
    let widened = records(&app, &edu_admin, &format!("?tenant_id={}", world.health)).await;
    assert!(widened.is_empty(), "{widened:?}");
    let catalog = records(&app, &edu_admin, "?object_type=catalog_item").await;
    assert!(catalog.is_empty(), "{catalog:?}");

    // Nobody else reads it.
    for user in ["edu-dev", "manager1", "ops1", "supplier"] {
        let token = app.login(user).await;
        let answer = app.get("/api/v1/audit", Some(&token)).await;
        assert_eq!(answer.status(), 403, "{user}");
    }
    // Bad questions get their error.
    for query in [
        "?limit=0",
        "?limit=201",
        "?actor=5",
        &format!(
            "?from={}&to={}",
            at(Duration::hours(1)),
            at(-Duration::hours(1))
        ),
    ] {
        let answer = app
            .get(&format!("/api/v1/audit{query}"), Some(&admin))
            .await;
        assert_eq!(answer.status(), 400, "{query}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["code"], "bad_request", "{query}: {body}");
    }
}

/// The records of a CSV export (after its byte-order mark), each as its columns.
async fn export(app: &TestApp, token: &str, query: &str) -> Vec<Vec<String>> {
    let answer = app
        .get(&format!("/api/v1/audit/export{query}"), Some(token))
        .await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        answer.headers()["content-disposition"],
        "attachment; filename=\"audit.csv\""
    );
    let bytes = answer.bytes().await.unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "a byte-order mark for Excel"
    );
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header[..3], ["id", "at", "actor_id"]);
    reader
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

async fn the_audit_export_is_csv_within_the_readers_tenant(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let world = history(&app).await;
    let (admin, edu_admin) = (app.login("admin").await, app.login("edu-admin").await);

    // The same records as the list, oldest first, before and after as JSON.
    let listed = records(&app, &admin, "").await;
    let rows = export(&app, &admin, "").await;
    let exported_ids: Vec<String> = rows.iter().map(|row| row[0].clone()).collect();
    let listed_ids: Vec<String> = listed.iter().rev().map(|r| r["id"].to_string()).collect();
    assert_eq!(exported_ids, listed_ids);
    let approval = rows.last().unwrap();
    assert_eq!(approval[3], "edu-admin");
    assert_eq!(approval[5], "ticket.approve");
    assert_eq!(approval[8], world.edu.to_string());
    let after: Value = serde_json::from_str(&approval[10]).expect("after is JSON");
    assert_eq!(after, listed[0]["after"]);

    // A tenant admin's export holds their tenant's records only.
    let edu_rows = export(&app, &edu_admin, "").await;
    assert_eq!(edu_rows.len(), 3);
    assert!(edu_rows.iter().all(|row| row[8] == world.edu.to_string()));
    let health_rows = export(&app, &edu_admin, &format!("?tenant_id={}", world.health)).await;
    assert!(health_rows.is_empty());

    // An export is not paged, and only admins make one.
    let paged = app.get("/api/v1/audit/export?limit=5", Some(&admin)).await;
    assert_eq!(paged.status(), 400);
    let dev = app.login("edu-dev").await;
    let refused = app.get("/api/v1/audit/export", Some(&dev)).await;
    assert_eq!(refused.status(), 403);
}
