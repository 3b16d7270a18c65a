//! What the service portal and the mobile app ask of the server beyond the ticket actions:
//! a draft request checked and its chain planned before submission (the same verdict as
//! submitting it), and the approvals a person decided (the inbox's 我已处理 tab).

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_every_backend;
use crate::tickets::{act, approve_ok, in_days, item_id, populate, submit_vm, vm_form};

on_every_backend!(
    a_draft_gets_the_same_field_errors_as_a_submission,
    a_draft_explains_which_levels_apply_and_why,
    a_draft_beyond_the_quota_names_the_resource,
    only_tenant_users_preview_and_only_items_in_service,
    decided_approvals_are_the_callers_own_latest_first,
);

async fn preview(app: &TestApp, token: &str, item: i64, form: Value) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/catalog/{item}/preview"),
        Some(token),
        &json!({ "form": form }),
    )
    .await
}

async fn preview_ok(app: &TestApp, token: &str, item: i64, form: Value) -> Value {
    let response = preview(app, token, item, form).await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    response.json().await.unwrap()
}

fn field_names(errors: &Value) -> Vec<String> {
    let mut names: Vec<String> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

async fn a_draft_gets_the_same_field_errors_as_a_submission(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    populate(&app).await;
    let dev = app.login("edu-dev").await;
    let item = item_id(&app, &dev, "vm.request").await;
    let drafts = [
        // Out of bounds, not an option, too soon.
        json!({"business_system": "学籍", "flavour": "c1.xlarge", "disk_gb": 10, "image": "dos",
               "network": "gov-intranet", "count": 1, "lease_end": in_days(0)}),
        // A custom flavour needs its vCPU and memory (the item's cross-field rule).
        json!({"business_system": "学籍", "flavour": "custom", "disk_gb": 40, "image": "kylin-v10",
               "network": "gov-intranet", "count": 1, "lease_end": in_days(30)}),
        // Wrong types, a missing required field and an unknown one.
        json!({"business_system": 7, "flavour": "s1.small", "disk_gb": "40", "image": "kylin-v10",
               "network": "gov-intranet", "lease_end": "next week", "colour": "blue"}),
    ];
    for draft in drafts {
        let previewed = preview_ok(&app, &dev, item, draft.clone()).await;
        assert!(previewed["levels"].as_array().unwrap().is_empty());
        assert!(previewed["demand"].is_null());
        let submitted = app
            .post_json(
                "/api/v1/tickets",
                Some(&dev),
                &json!({"item_id": item, "title": "draft", "form": draft}),
            )
            .await;
        assert_eq!(submitted.status(), 422);
        let body: Value = submitted.json().await.unwrap();
        assert!(!field_names(&previewed["fields"]).is_empty());
        assert_eq!(
            field_names(&previewed["fields"]),
            field_names(&body["fields"]),
            "the draft and the submission disagree on {draft}"
        );
    }
    // Nothing was submitted.
    let page: Value = app
        .get("/api/v1/tickets", Some(&dev))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 0);
}

async fn a_draft_explains_which_levels_apply_and_why(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    populate(&app).await;
    let dev = app.login("edu-dev").await;
    let item = item_id(&app, &dev, "vm.request").await;

    // 2 × 8 vCPU: the managers' level (total vCPU > 32) is left out.
    let small = preview_ok(&app, &dev, item, vm_form(2)).await;
    assert!(small["fields"].as_array().unwrap().is_empty());
    let levels = small["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 3, "every level of the chain, applying or not");
    assert_eq!(
        levels
            .iter()
            .map(|l| l["applies"].clone())
            .collect::<Vec<_>>(),
        [json!(true), json!(true), json!(false)]
    );
    assert_eq!(levels[0]["approvers"]["by"], "requester_tenant_admin");
    assert!(levels[0]["condition"].is_null());
    assert_eq!(
        levels[2]["condition"],
        json!({"fact": "total_vcpu", "op": ">", "value": 32.0, "actual": 16.0})
    );
    assert_eq!(levels[2]["approvers"]["role"], "bureau_manager");
    assert_eq!(levels[2]["mode"], "all");
    assert_eq!(small["demand"]["vcpu"], 16);
    assert_eq!(small["demand"]["hosts"], 2);
    assert!(small["quota_shortfall"].is_null());

    // 5 × 8 vCPU = 40 > 32: the managers sign too, as the submitted ticket then shows.
    let large = preview_ok(&app, &dev, item, vm_form(5)).await;
    assert_eq!(large["levels"][2]["applies"], true);
    assert_eq!(large["levels"][2]["condition"]["actual"], 40.0);
    let submitted = submit_vm(&app, &dev, 5).await;
    let planned = large["levels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|level| level["applies"] == true)
        .count();
    assert_eq!(submitted["level_count"], planned);
}

async fn a_draft_beyond_the_quota_names_the_resource(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let world = populate(&app).await;
    let admin = app.login("admin").await;
    let response = app
        .put_json(
            &format!("/api/v1/tenants/{}/quota", world.edu),
            &admin,
            &json!({"vcpu": 20, "memory_gb": 800, "storage_gb": 10000, "hosts": 50, "public_ips": 5}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let dev = app.login("edu-dev").await;
    let item = item_id(&app, &dev, "vm.request").await;
    let previewed = preview_ok(&app, &dev, item, vm_form(3)).await;
    assert!(previewed["fields"].as_array().unwrap().is_empty());
    assert_eq!(
        previewed["quota_shortfall"],
        json!({"resource": "vcpu", "requested": 24, "available": 20})
    );
    // Submitting it is refused for the same reason.
    let submitted = app
        .post_json(
            "/api/v1/tickets",
            Some(&dev),
            &json!({"item_id": item, "title": "3 hosts", "form": vm_form(3)}),
        )
        .await;
    assert_eq!(submitted.status(), 409);
    let body: Value = submitted.json().await.unwrap();
    assert_eq!(body["code"], "quota_exceeded");
}

async fn only_tenant_users_preview_and_only_items_in_service(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    populate(&app).await;
    let (ops, dev, admin) = (
        app.login("ops1").await,
        app.login("edu-dev").await,
        app.login("admin").await,
    );
    let item = item_id(&app, &dev, "vm.request").await;
    let refused = preview(&app, &ops, item, vm_form(1)).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(preview(&app, &dev, 999_999, vm_form(1)).await.status(), 404);
    let retired = app
        .post_json(
            &format!("/api/v1/catalog/{item}/retire"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(retired.status(), 200, "{:?}", retired.text().await);
    assert_eq!(preview(&app, &dev, item, vm_form(1)).await.status(), 404);
    // A body that is not a draft is refused plainly, never a 500.
    let malformed = app
        .post_json(
            &format!("/api/v1/catalog/{item}/preview"),
            Some(&dev),
            &json!({"form": [], "extra": 1}),
        )
        .await;
    assert_eq!(malformed.status(), 422);
    let not_object = preview_ok(
        &app,
        &dev,
        item_id(&app, &dev, "network.firewall").await,
        json!([]),
    )
    .await;
    assert_eq!(field_names(&not_object["fields"]), ["form"]);
}

async fn decided_approvals_are_the_callers_own_latest_first(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    populate(&app).await;
    let (dev, edu_admin, health_admin, health_dev) = (
        app.login("edu-dev").await,
        app.login("edu-admin").await,
        app.login("health-admin").await,
        app.login("health-dev").await,
    );
    let first = submit_vm(&app, &dev, 1).await["id"].as_i64().unwrap();
    let second = submit_vm(&app, &dev, 2).await["id"].as_i64().unwrap();
    let pending = submit_vm(&app, &dev, 3).await["id"].as_i64().unwrap();
    let theirs = submit_vm(&app, &health_dev, 1).await["id"]
        .as_i64()
        .unwrap();
    // Decided in the other order than submitted, so that "latest first" is not "newest slot".
    let rejected = act(
        &app,
        &edu_admin,
        second,
        "reject",
        json!({"reason": "two is one too many"}),
    )
    .await;
    assert_eq!(rejected.status(), 200);
    approve_ok(&app, &edu_admin, first).await;
    approve_ok(&app, &health_admin, theirs).await;

    let decided: Value = app
        .get("/api/v1/approvals/decided", Some(&edu_admin))
        .await
        .json()
        .await
        .unwrap();
    let rows = decided.as_array().unwrap();
    let summary: Vec<(i64, &str, &str)> = rows
        .iter()
        .map(|row| {
            (
                row["ticket"]["id"].as_i64().unwrap(),
                row["approval"]["decision"].as_str().unwrap(),
                row["ticket"]["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (first, "approved", "approving"),
            (second, "rejected", "rejected")
        ],
        "the latest decision first, each ticket as it stands; the pending one ({pending}) and the other tenant's are absent"
    );
    assert_eq!(rows[1]["approval"]["comment"], "two is one too many");
    // Paged, and nobody else's.
    let one: Value = app
        .get(
            "/api/v1/approvals/decided?limit=1&offset=1",
            Some(&edu_admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one[0]["ticket"]["id"], second);
    let requester: Value = app
        .get("/api/v1/approvals/decided", Some(&dev))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(requester, json!([]));
    assert_eq!(
        app.get("/api/v1/approvals/decided?limit=0", Some(&edu_admin))
            .await
            .status(),
        400
    );
}
