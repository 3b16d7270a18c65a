//! Text every database can store, checked at the edge. PostgreSQL refuses a NUL character
//! in text where SQLite stores it, so that the same request would answer `500` on one
//! backend and keep a string no other system can read on the other. A NUL anywhere in a
//! request (its path, a query parameter, a JSON string or key, a line of an uploaded CSV) is
//! refused here, before any handler runs, with `400 invalid_text` naming where it is; every
//! backend gives that one answer.
//!
//! By hand because this is a walk over the request's own parts; the JSON body is read once
//! more as a `serde_json::Value` only when its bytes hold the escape `\u0000`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::HttpMessage;
use futures_util::StreamExt;
use serde_json::Value;

use crate::error::{ApiError, ErrorCode, FieldError};

/// The largest body any route takes (the inventory import's); a longer one is refused by its
/// route anyway, so it is passed on unread.
const MAX_BODY_BYTES: usize = super::inventory::MAX_IMPORT_BYTES;

/// Refuses a request with a NUL in its text; passes any other on with its body intact.
pub async fn refuse_nul(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(field) = nul_in_uri(req.path(), req.query_string()) {
        return Err(refusal(field).into());
    }
    let declared_opt = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    let chunked = req.headers().contains_key(header::TRANSFER_ENCODING);
    let readable = match declared_opt {
        Some(length) => length > 0 && length <= MAX_BODY_BYTES,
        None => chunked,
    };
    if readable {
        let body = read_body(&mut req).await?;
        let json = req.content_type().ends_with("json");
        if let Some(field) = nul_in_body(&body, json) {
            return Err(refusal(field).into());
        }
        req.set_payload(body.into());
    }
    next.call(req).await
}

fn refusal(field: String) -> ApiError {
    ApiError::with_fields(
        ErrorCode::InvalidText,
        "text may not contain the NUL character (U+0000)",
        vec![FieldError::new(
            &field,
            "contains the NUL character (U+0000)",
        )],
    )
}

async fn read_body(req: &mut ServiceRequest) -> Result<Bytes, ApiError> {
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| {
            ApiError::new(
                ErrorCode::BadRequest,
                format!("the body could not be read: {error}"),
            )
        })?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                "request body is too large",
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Where a NUL is in the path or the query: `path`, or the query parameter's name.
fn nul_in_uri(path: &str, query: &str) -> Option<String> {
    // The router decodes `%00` in a path segment to a NUL; a raw NUL never parses.
    if path.contains("%00") {
        return Some("path".to_owned());
    }
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, value)| name.contains('\0') || value.contains('\0'))
        .map(|(name, _)| name.replace('\0', "\u{FFFD}"))
}

/// Where a NUL is in a body: the JSON path of the string or key that holds one, or the line
/// of a text body. A JSON body with a raw NUL byte is malformed, for the JSON extractor to
/// say so; one that does not parse is left to it too.
fn nul_in_body(body: &[u8], json: bool) -> Option<String> {
    if json {
        if !contains(body, br"\u0000") {
            return None;
        }
        let document: Value = serde_json::from_slice(body).ok()?;
        return nul_in_json(&document, String::new());
    }
    let at = body.iter().position(|&byte| byte == 0)?;
    let line = body[..at].iter().filter(|&&byte| byte == b'\n').count() + 1;
    Some(format!("body (line {line})"))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// The path (`form.fields[2].label`) of the first string or key with a NUL.
fn nul_in_json(value: &Value, path: String) -> Option<String> {
    match value {
        Value::String(text) => text.contains('\0').then_some(path),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| nul_in_json(item, format!("{path}[{index}]"))),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let inner = if path.is_empty() {
                key.replace('\0', "\u{FFFD}")
            } else {
                format!("{path}.{}", key.replace('\0', "\u{FFFD}"))
            };
            if key.contains('\0') {
                Some(inner)
            } else {
                nul_in_json(item, inner)
            }
        }),
        _ => None,
    }
    .map(|found| {
        if found.is_empty() {
            "body".to_owned()
        } else {
            found
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_json_string_or_key_that_holds_a_nul() {
        let body = br#"{"title":"ok","form":{"fields":[{"label":"a"},{"label":"b\u0000c"}]}}"#;
        assert_eq!(
            nul_in_body(body, true).as_deref(),
            Some("form.fields[1].label")
        );
        assert_eq!(
            nul_in_body(br#"{"tags":{"k\u0000":"v"}}"#, true).as_deref(),
            Some("tags.k\u{FFFD}")
        );
        assert_eq!(
            nul_in_body(br#"[{"name":"x"},{"name":"\u0000"}]"#, true).as_deref(),
            Some("[1].name")
        );
        assert_eq!(nul_in_body(br#""\u0000""#, true).as_deref(), Some("body"));
    }

    #[test]
    fn passes_json_without_a_nul_and_leaves_malformed_json_to_the_extractor() {
        assert_eq!(nul_in_body(br#"{"title":"\\u0000 is a NUL"}"#, true), None);
        assert_eq!(nul_in_body(br#"{"title":"ok"}"#, true), None);
        assert_eq!(nul_in_body(b"{\"title\":\"a\0b\"}", true), None);
        assert_eq!(nul_in_body(br#"{"title":"\u0000"#, true), None);
    }

    #[test]
    fn names_the_line_of_a_text_body_and_the_query_parameter() {
        assert_eq!(
            nul_in_body(b"name,kind\nsw-1,switch\nsw\x002,switch\n", false).as_deref(),
            Some("body (line 3)")
        );
        assert_eq!(nul_in_body(b"name\nsw-1\n", false), None);
        assert_eq!(
            nul_in_uri("/api/v1/devices", "kind=switch&q=a%00b").as_deref(),
            Some("q")
        );
        assert_eq!(
            nul_in_uri("/api/v1/devices/%00", "").as_deref(),
            Some("path")
        );
        assert_eq!(nul_in_uri("/api/v1/devices", "q=100%25"), None);
    }
}
