//! The web front end over HTTP. Debug builds read `web/dist/` from disk, so the tests run
//! whether or not the front end is built: either its pages or the built-in "not built" page
//! answer, with the same headers. A missing asset is the API's JSON 404.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{spawn_app, Backend};

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

#[actix_web::test]
async fn pages_are_html_with_their_security_headers_built_or_not() {
    let (app, _storage) = spawn_app(Backend::Sqlite).await;
    let host = format!("127.0.0.1:{}", app.port);
    for path in ["/", "/ops/alarms"] {
        let response = app
            .http
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers().clone();
        assert!(
            header(&headers, "content-type").starts_with("text/html"),
            "{path}: {headers:?}"
        );
        assert_eq!(header(&headers, "cache-control"), "no-cache", "{path}");
        assert_eq!(
            header(&headers, "content-security-policy"),
            format!(
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                 img-src 'self' data: blob:; font-src 'self' data:; \
                 connect-src 'self' ws://{host} wss://{host}; worker-src 'self' blob:; \
                 object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
            ),
            "{path}"
        );
        assert_eq!(header(&headers, "x-frame-options"), "DENY", "{path}");
        assert_eq!(
            header(&headers, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert_eq!(header(&headers, "referrer-policy"), "same-origin", "{path}");
        let body = response.text().await.unwrap();
        assert!(body.to_lowercase().contains("<html"), "{path}: {body}");

        // HEAD is GET without the body.
        let head = app
            .http
            .head(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), StatusCode::OK, "HEAD {path}");
        assert_eq!(
            header(head.headers(), "content-type"),
            header(&headers, "content-type")
        );
        assert!(head.text().await.unwrap().is_empty(), "HEAD {path}");

        // A built page is revalidated by its ETag, and sent compressed when asked.
        let etag = header(&headers, "etag");
        if !etag.is_empty() {
            let revalidated = app
                .http
                .get(format!("{}{path}", app.address))
                .header("if-none-match", etag)
                .send()
                .await
                .unwrap();
            assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED, "{path}");
            assert!(header(&headers, "vary").contains("Accept-Encoding"));
            let compressed = app
                .http
                .get(format!("{}{path}", app.address))
                .header("accept-encoding", "gzip")
                .send()
                .await
                .unwrap();
            assert_eq!(compressed.status(), StatusCode::OK);
            assert_eq!(header(compressed.headers(), "content-encoding"), "gzip");
            assert!(header(compressed.headers(), "content-type").starts_with("text/html"));
        }
    }
}

#[actix_web::test]
async fn missing_assets_and_api_paths_are_json_errors() {
    let (app, _storage) = spawn_app(Backend::Sqlite).await;
    for (method, path, status, code) in [
        (Method::GET, "/assets/does-not-exist.js", 404, "not_found"),
        (Method::GET, "/ops/does-not-exist.css", 404, "not_found"),
        (Method::GET, "/api/v2/alarms", 404, "not_found"),
        (Method::GET, "/api/v1/no-such-thing", 404, "not_found"),
        (Method::POST, "/ops/alarms", 405, "method_not_allowed"),
    ] {
        let response = app
            .http
            .request(method.clone(), format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{method} {path}");
        assert_eq!(
            header(response.headers(), "x-content-type-options"),
            "nosniff",
            "{method} {path}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], code, "{method} {path}: {body}");
    }
}
