//! Who may call what, read off the router itself. The OpenAPI document is made from the
//! registered routes (a route's attribute is its document entry), so walking it walks every
//! route. Each operation is called anonymously and as every role, with a body that
//! deserializes and ids that name nothing, so that nothing is changed:
//! - an operation that lets an anonymous caller past must be one of [`PUBLIC`];
//! - the roles each operation lets past (anything but `401`/`403 forbidden`) make a table that
//!   must equal `tests/api/route_policies.txt`, so a changed policy shows in review
//!   (`UPDATE_POLICIES=1` rewrites the file).

use std::fmt::Write;

use serde_json::{json, Value};
use yunguan::identity::Role;

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::probe::{filled_path, plausible};

const TABLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/route_policies.txt");

/// The operations open to anyone: signing in (by password, a display key or the OpenID
/// provider), a reset link (its own credential), the WebSocket upgrade (its one-time ticket
/// is the credential) and the operational endpoints a load balancer and Prometheus ask.
const PUBLIC: [&str; 10] = [
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/password-reset",
    "GET /api/v1/auth/methods",
    "GET /api/v1/auth/oidc/login",
    "GET /api/v1/auth/oidc/callback",
    "POST /api/v1/display-keys/login",
    "GET /api/v1/ws",
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
];

/// The roles, in the table's order, and the user names they are tried as.
const ROLES: [(Role, &str); 7] = [
    (Role::BureauAdmin, "admin"),
    (Role::BureauManager, "manager"),
    (Role::BureauOperator, "operator"),
    (Role::TenantAdmin, "edu-admin"),
    (Role::TenantMember, "edu-dev"),
    (Role::Supplier, "supplier"),
    (Role::Display, "wall"),
];

/// Ids no object has, for every `{…}` in a path.
const NOBODY: i64 = 987_654_321;

#[actix_web::test]
async fn every_route_has_a_policy_and_the_table_of_who_may_call_it_is_current() {
    let (app, _storage) = spawn_app(Backend::Sqlite).await;
    let tokens = sign_everyone_in(&app).await;
    let document = yunguan::routes::document();
    let document = serde_json::to_value(&document).unwrap();
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations.push((method.to_uppercase(), path.clone(), operation.clone()));
        }
    }
    // Logging out ends the session it is called with: last.
    operations.sort_by_key(|(_, path, _)| path == "/api/v1/auth/logout");
    assert!(operations.len() >= 130, "{} operations", operations.len());

    let mut table = String::new();
    let mut unguarded = Vec::new();
    for (method, path, operation) in &operations {
        let name = format!("{method} {path}");
        let bearer = operation["security"]
            .as_array()
            .is_some_and(|requirements| !requirements.is_empty());
        if PUBLIC.contains(&name.as_str()) {
            assert!(
                !bearer,
                "{name} is public, but its document asks for a token"
            );
            writeln!(table, "{name:<56} public").unwrap();
            continue;
        }
        assert!(
            bearer,
            "{name} asks for a token, but its document does not say so"
        );
        match call(&app, method, path, operation, &document, None).await {
            Verdict::Unauthenticated => {}
            Verdict::Forbidden => unguarded.push(format!("{name}: 403 without a token")),
            Verdict::Admitted(status) => {
                unguarded.push(format!("{name}: {status} without a token"));
            }
        }
        let mut admitted = Vec::new();
        for ((role, _), token) in ROLES.iter().zip(&tokens) {
            match call(&app, method, path, operation, &document, Some(token)).await {
                Verdict::Admitted(_) => admitted.push(role.as_str()),
                Verdict::Forbidden => {}
                Verdict::Unauthenticated => panic!("{name} as {role}: the session ended"),
            }
        }
        let who = match admitted.len() {
            0 => "nobody".to_owned(),
            n if n == ROLES.len() => "anyone signed in".to_owned(),
            _ => admitted.join(" "),
        };
        writeln!(table, "{name:<56} {who}").unwrap();
    }
    assert!(
        unguarded.is_empty(),
        "routes without a policy (not in PUBLIC, answered without a token):\n{}",
        unguarded.join("\n")
    );

    let committed = std::fs::read_to_string(TABLE).unwrap_or_default();
    if committed == table {
        return;
    }
    if std::env::var("UPDATE_POLICIES").is_ok_and(|value| value == "1") {
        std::fs::write(TABLE, &table).expect("writing tests/api/route_policies.txt");
    } else {
        panic!(
            "who may call what changed; review it, then UPDATE_POLICIES=1 cargo test --test api route_policies\n--- committed\n{committed}\n--- now\n{table}"
        );
    }
}

/// What an operation answered.
enum Verdict {
    /// `401 missing_token` or `invalid_token`.
    Unauthenticated,
    /// `403 forbidden`: the caller's role may not.
    Forbidden,
    /// Anything else (a `404` for the id that names nothing, a `422` for the plain body, a
    /// `401` for a password that is wrong, a `200`): the caller got past the policy.
    Admitted(u16),
}

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    operation: &Value,
    document: &Value,
    token_opt: Option<&str>,
) -> Verdict {
    let url = format!(
        "{}{}",
        app.address,
        filled_path(path, &Default::default(), NOBODY)
    );
    let mut request = app.http.request(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
        &url,
    );
    if let Some(token) = token_opt {
        request = request.bearer_auth(token);
    }
    let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
    if !schema.is_null() {
        request = request.json(&plausible(document, schema));
    } else if method != "GET" {
        request = request.json(&json!({}));
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    match (status, answer["code"].as_str()) {
        (401, Some("missing_token" | "invalid_token")) => Verdict::Unauthenticated,
        (403, Some("forbidden")) => Verdict::Forbidden,
        _ => Verdict::Admitted(status),
    }
}

/// One session per role of [`ROLES`], in its order (the wall's through a display key).
async fn sign_everyone_in(app: &TestApp) -> Vec<String> {
    let tenant_id = app.create_tenant("edu").await;
    let mut tokens: Vec<String> = Vec::new();
    for (role, username) in ROLES {
        if role == Role::Display {
            let key = app
                .created(
                    "/api/v1/display-keys",
                    &tokens[0],
                    &json!({"name": "指挥中心"}),
                )
                .await;
            let login = app
                .post_json(
                    "/api/v1/display-keys/login",
                    None,
                    &json!({"key": key["key"]}),
                )
                .await;
            let login: Value = login.json().await.unwrap();
            tokens.push(login["token"].as_str().unwrap().to_owned());
            continue;
        }
        let tenant_id_opt = role.is_tenant_role().then_some(tenant_id);
        app.create_user(username, role, tenant_id_opt).await;
        tokens.push(app.login(username).await);
    }
    tokens
}
