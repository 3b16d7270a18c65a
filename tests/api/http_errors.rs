//! Malformed HTTP input gets catalogue errors (text with a NUL included: PostgreSQL refuses
//! what SQLite stores, so both must refuse it first); the operational endpoints and the
//! OpenAPI document are there.

use serde_json::{json, Value};
use yunguan::identity::Role;

use crate::helpers::{spawn_app, Backend};
use crate::on_every_backend;

on_every_backend!(
    malformed_requests_get_stable_error_codes,
    text_with_a_nul_is_refused_alike_on_every_backend,
    the_openapi_document_lists_every_endpoint,
    health_readiness_and_metrics_answer,
    unknown_filter_values_are_refused,
);

async fn unknown_filter_values_are_refused(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("admin", Role::BureauAdmin, None).await;
    let admin = app.login("admin").await;
    for path in [
        "/api/v1/tickets?state=bogus",
        "/api/v1/tickets?sort=price",
        "/api/v1/tasks?state=someday",
        "/api/v1/alarms?state=asleep",
        "/api/v1/alarms?severity=apocalyptic",
        "/api/v1/inventory?kind=spaceship",
        "/api/v1/inventory?state=gone",
        "/api/v1/devices?kind=toaster",
        "/api/v1/devices?tier=penthouse",
    ] {
        let response = app.get(path, Some(&admin)).await;
        assert_eq!(response.status(), 400, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "bad_request", "{path}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("unknown variant"),
            "{path}: {body}"
        );
    }
    // The known values still filter.
    for path in [
        "/api/v1/tickets?state=approving&sort=-updated_at",
        "/api/v1/tasks?state=done",
        "/api/v1/alarms?state=cleared&severity=critical",
        "/api/v1/inventory?kind=cloud_host&state=retired",
        "/api/v1/devices?kind=router&tier=core",
    ] {
        assert_eq!(app.get(path, Some(&admin)).await.status(), 200, "{path}");
    }
}

async fn text_with_a_nul_is_refused_alike_on_every_backend(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("admin", Role::BureauAdmin, None).await;
    let admin = app.login("admin").await;
    let url = |path: &str| format!("{}{path}", app.address);
    /// The status, the code and the field named of an answer.
    async fn refusal(response: reqwest::Response) -> (u16, String, String) {
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        (
            status,
            body["code"].as_str().unwrap_or_default().to_owned(),
            body["fields"][0]["field"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    }
    let invalid = |field: &str| (400, "invalid_text".to_owned(), field.to_owned());

    // A JSON string, nested or not, and a key.
    let answer = app
        .post_json(
            "/api/v1/announcements",
            Some(&admin),
            &json!({ "title": "nul\u{0}here", "body": "b" }),
        )
        .await;
    assert_eq!(refusal(answer).await, invalid("title"));
    let answer = app
        .post_json(
            "/api/v1/inventory/import",
            Some(&admin),
            &json!({ "data_centers": [{ "code": "dc-1", "name": "一区", "region": "r" }, { "code": "dc-2", "name": "二\u{0}区", "region": "r" }] }),
        )
        .await;
    assert_eq!(refusal(answer).await, invalid("data_centers[1].name"));
    // Logging in needs no token: refused the same, not a 500 from PostgreSQL.
    let answer = app.post_login("admin\u{0}", "whatever").await;
    assert_eq!(refusal(answer).await, invalid("username"));
    // A CSV line, a query parameter, a path segment.
    let answer = app
        .post_text(
            "/api/v1/inventory/import?kind=data_centers",
            &admin,
            "text/csv",
            "code,name,region\ndc-1,一区,r\ndc-2,二\u{0}区,r\n",
        )
        .await;
    assert_eq!(refusal(answer).await, invalid("body (line 3)"));
    let answer = app
        .http
        .get(url("/api/v1/devices?kind=switch&name=a%00b"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(refusal(answer).await, invalid("name"));
    let answer = app
        .http
        .get(url("/api/v1/data-centers/%00"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(refusal(answer).await, invalid("path"));

    // Nothing of it was written; the escape written out as text is text like any other.
    assert_eq!(app.get_ok("/api/v1/data-centers", &admin).await, json!([]));
    let kept = app
        .created(
            "/api/v1/announcements",
            &admin,
            &json!({ "title": "\\u0000 is how JSON writes a NUL", "body": "b" }),
        )
        .await;
    assert_eq!(kept["title"], "\\u0000 is how JSON writes a NUL");
    let titles: Vec<String> = app
        .get_ok("/api/v1/announcements", &admin)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|announcement| announcement["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(titles, ["\\u0000 is how JSON writes a NUL"]);
}

async fn malformed_requests_get_stable_error_codes(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("manager", Role::BureauManager, None).await;
    let token = app.login("manager").await;
    let url = |path: &str| format!("{}{path}", app.address);
    let json_post = |path: &str, body: &'static str| {
        app.http
            .post(url(path))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
    };

    let table: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            json_post("/api/v1/announcements", "{\"title\":"),
            400,
            "malformed_json",
        ),
        (
            json_post("/api/v1/announcements", r#"{"title":"t",}"#),
            400,
            "malformed_json",
        ),
        (
            json_post("/api/v1/announcements", r#"{"title":5,"body":"b"}"#),
            422,
            "validation_failed",
        ),
        (
            json_post(
                "/api/v1/announcements",
                r#"{"title":"t","body":"b","color":"red"}"#,
            ),
            422,
            "validation_failed",
        ),
        (
            json_post("/api/v1/announcements", r#"{"title":"  ","body":"b"}"#),
            422,
            "validation_failed",
        ),
        (
            json_post(
                "/api/v1/announcements",
                r#"{"title":"t","body":"b","tenant_id":424242}"#,
            ),
            422,
            "validation_failed",
        ),
        (
            json_post("/api/v1/auth/login", r#"{"username":"manager"}"#),
            422,
            "validation_failed",
        ),
        (
            app.http
                .post(url("/api/v1/auth/login"))
                .header("content-type", "text/plain")
                .body("hi"),
            400,
            "bad_request",
        ),
        (
            app.http
                .post(url("/api/v1/announcements"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(format!(
                    r#"{{"title":"t","body":"{}"}}"#,
                    "x".repeat(300 * 1024)
                )),
            413,
            "payload_too_large",
        ),
        (
            app.http
                .get(url("/api/v1/announcements?limit=abc"))
                .bearer_auth(&token),
            400,
            "bad_request",
        ),
        (
            app.http
                .get(url("/api/v1/announcements?limit=0"))
                .bearer_auth(&token),
            400,
            "bad_request",
        ),
        (app.http.get(url("/api/v1/no-such-thing")), 404, "not_found"),
        (
            app.http
                .delete(url("/api/v1/announcements"))
                .bearer_auth(&token),
            405,
            "method_not_allowed",
        ),
        (
            app.http.get(url("/api/v1/announcements")),
            401,
            "missing_token",
        ),
        (
            app.http
                .get(url("/api/v1/announcements"))
                .bearer_auth("forged"),
            401,
            "invalid_token",
        ),
        (
            app.http
                .get(url("/api/v1/announcements"))
                .header("authorization", "Basic YTpi"),
            401,
            "missing_token",
        ),
        (
            app.http.get(url("/api/v1/ws?ticket=unspent")),
            400,
            "bad_request",
        ),
        (
            app.http.get(url("/api/v1/ws")).bearer_auth(&token),
            400,
            "bad_request",
        ),
        (app.http.get(url("/no/such/page")), 404, "not_found"),
    ];
    for (request, status, code) in table {
        let request = request.build().unwrap();
        let shown = format!("{} {}", request.method(), request.url());
        let response = app.http.execute(request).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{shown}");
        let request_id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let allow_opt = response.headers().get("allow").cloned();
        let body: Value = response
            .json()
            .await
            .unwrap_or_else(|_| panic!("{shown}: not JSON"));
        assert_eq!(body["code"], code, "{shown}: {body}");
        // The id that finds the request's log lines.
        assert_eq!(body["request_id"], request_id.as_str(), "{shown}: {body}");
        if status == 405 {
            assert_eq!(allow_opt.unwrap(), "GET, POST", "{shown}");
        }
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{shown}"
        );
        assert!(body["type"].is_string(), "{shown}");
    }
}

async fn the_openapi_document_lists_every_endpoint(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let document: Value = app
        .get("/api/v1/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    let paths = document["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/auth/me", "get"),
        ("/api/v1/ws/ticket", "post"),
        ("/api/v1/ws", "get"),
        ("/api/v1/announcements", "post"),
        ("/api/v1/announcements", "get"),
        ("/api/v1/tenants", "get"),
        ("/api/v1/tenants", "post"),
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/admin/actors", "get"),
        ("/api/v1/catalog", "get"),
        ("/api/v1/catalog", "post"),
        ("/api/v1/catalog/{item_id}", "get"),
        ("/api/v1/catalog/{item_id}", "put"),
        ("/api/v1/catalog/{item_id}/retire", "post"),
        ("/api/v1/tickets", "post"),
        ("/api/v1/tickets", "get"),
        ("/api/v1/tickets/{ticket_id}", "get"),
        ("/api/v1/tickets/{ticket_id}/approve", "post"),
        ("/api/v1/tickets/{ticket_id}/reject", "post"),
        ("/api/v1/tickets/{ticket_id}/withdraw", "post"),
        ("/api/v1/tickets/{ticket_id}/resubmit", "post"),
        ("/api/v1/tickets/{ticket_id}/comments", "post"),
        ("/api/v1/tickets/{ticket_id}/close", "post"),
        ("/api/v1/tickets/{ticket_id}/rating", "post"),
        ("/api/v1/approvals/inbox", "get"),
        ("/api/v1/delegations", "get"),
        ("/api/v1/delegations", "post"),
        ("/api/v1/delegations/{delegation_id}/revoke", "post"),
        ("/api/v1/tasks", "get"),
        ("/api/v1/tasks/{task_id}/complete", "post"),
        ("/api/v1/tenants/{tenant_id}/quota", "get"),
        ("/api/v1/tenants/{tenant_id}/quota", "put"),
        ("/api/v1/inventory", "get"),
        ("/api/v1/inventory/changes", "get"),
        ("/api/v1/inventory/import", "post"),
        ("/api/v1/business-systems", "get"),
        ("/api/v1/data-centers", "get"),
        ("/api/v1/data-centers", "post"),
        ("/api/v1/data-centers/{id}", "get"),
        ("/api/v1/data-centers/{id}", "patch"),
        ("/api/v1/data-centers/{id}", "delete"),
        ("/api/v1/machine-rooms", "get"),
        ("/api/v1/machine-rooms", "post"),
        ("/api/v1/machine-rooms/{id}", "get"),
        ("/api/v1/machine-rooms/{id}", "patch"),
        ("/api/v1/machine-rooms/{id}", "delete"),
        ("/api/v1/racks", "get"),
        ("/api/v1/racks", "post"),
        ("/api/v1/racks/{id}", "get"),
        ("/api/v1/racks/{id}", "patch"),
        ("/api/v1/racks/{id}", "delete"),
        ("/api/v1/devices", "get"),
        ("/api/v1/devices", "post"),
        ("/api/v1/devices/{id}", "get"),
        ("/api/v1/devices/{id}", "patch"),
        ("/api/v1/devices/{id}", "delete"),
        ("/api/v1/interfaces", "get"),
        ("/api/v1/interfaces", "post"),
        ("/api/v1/interfaces/{id}", "get"),
        ("/api/v1/interfaces/{id}", "patch"),
        ("/api/v1/interfaces/{id}", "delete"),
        ("/api/v1/links", "get"),
        ("/api/v1/links", "post"),
        ("/api/v1/links/{id}", "get"),
        ("/api/v1/links/{id}", "patch"),
        ("/api/v1/links/{id}", "delete"),
        ("/api/v1/cloud-platforms", "get"),
        ("/api/v1/cloud-platforms", "post"),
        ("/api/v1/cloud-platforms/{id}", "get"),
        ("/api/v1/cloud-platforms/{id}", "patch"),
        ("/api/v1/cloud-platforms/{id}", "delete"),
        ("/api/v1/clusters", "get"),
        ("/api/v1/clusters", "post"),
        ("/api/v1/clusters/{id}", "get"),
        ("/api/v1/clusters/{id}", "patch"),
        ("/api/v1/clusters/{id}", "delete"),
        ("/api/v1/hosts", "get"),
        ("/api/v1/hosts", "post"),
        ("/api/v1/hosts/{id}", "get"),
        ("/api/v1/hosts/{id}", "patch"),
        ("/api/v1/hosts/{id}", "delete"),
        ("/api/v1/vms", "get"),
        ("/api/v1/vms", "post"),
        ("/api/v1/vms/{id}", "get"),
        ("/api/v1/vms/{id}", "patch"),
        ("/api/v1/vms/{id}", "delete"),
        ("/api/v1/resource-pools", "get"),
        ("/api/v1/resource-pools", "post"),
        ("/api/v1/resource-pools/{id}", "get"),
        ("/api/v1/resource-pools/{id}", "patch"),
        ("/api/v1/resource-pools/{id}", "delete"),
        ("/api/v1/audit/verify", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is not documented"
        );
    }
    // Every operation has its own id (the front end's generated client names them).
    let mut operation_ids = std::collections::BTreeSet::new();
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            if operation.get("responses").is_none() {
                continue; // not an operation (a path-level field)
            }
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path} has no operation id");
            assert!(
                operation_ids.insert(id.to_owned()),
                "operation id {id} is used twice ({method} {path})"
            );
            // What a reader of the reference and a generated client need of each.
            let summary = operation["summary"].as_str().unwrap_or_default();
            assert!(!summary.is_empty(), "{method} {path} has no summary");
            assert!(
                operation["tags"]
                    .as_array()
                    .is_some_and(|tags| !tags.is_empty()),
                "{method} {path} has no tag"
            );
            let bearer = operation["security"]
                .as_array()
                .is_some_and(|requirements| !requirements.is_empty());
            if bearer {
                let unauthenticated = &operation["responses"]["401"];
                assert!(
                    unauthenticated["description"]
                        .as_str()
                        .is_some_and(|text| !text.is_empty()),
                    "{method} {path} takes a token but documents no 401"
                );
            }
        }
    }
    assert_eq!(document["servers"][0]["url"], "/");
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());
    // Every schema the document refers to is in it.
    let mut refs = Vec::new();
    collect_refs(&document, &mut refs);
    assert!(!refs.is_empty());
    for reference in refs {
        let name = reference.trim_start_matches("#/components/schemas/");
        assert!(
            document["components"]["schemas"][name].is_object(),
            "{reference} is referred to but not defined"
        );
    }
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                refs.push(reference.clone());
            }
            map.values().for_each(|v| collect_refs(v, refs));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}

async fn health_readiness_and_metrics_answer(backend: Backend) {
    let (app, _storage) = spawn_app(backend.clone()).await;
    assert_eq!(app.get("/healthz", None).await.status(), 200);
    let ready: Value = app.get("/readyz", None).await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], true);
    match backend {
        Backend::Sqlite => assert!(ready["redis"].is_null()),
        Backend::PostgresRedis { .. } => assert_eq!(ready["redis"], true),
    }
    app.create_user("edu-x", Role::BureauManager, None).await;
    let token = app.login("edu-x").await;
    let mut socket = app.ws(&token).await;
    socket.subscribe("announcements", None).await;
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    for line in [
        "yunguan_ws_connections 1",
        "yunguan_events_published_total",
        "yunguan_ws_queue_overflows_total",
        "yunguan_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/auth/login\",status=\"200\"",
    ] {
        assert!(metrics.contains(line), "metrics lack {line}:\n{metrics}");
    }
}
