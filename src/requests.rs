//! What ties one request's log lines together: its [`RequestId`] and the `request` span
//! around it (the user and tenant are added by authentication, `routes::extract`).

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

tokio::task_local! {
    static REQUEST_ID: RequestId;
}

/// The id of one HTTP request, or of one WebSocket connection (its upgrade request): in every
/// log line it causes, in its error bodies and in its `X-Request-Id` answer header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(Arc<str>);

impl RequestId {
    /// The id of the request being answered, if any.
    pub fn current() -> Option<RequestId> {
        REQUEST_ID.try_with(RequestId::clone).ok()
    }

    /// A proxy's id, if it is one a log line can carry: 1 to 64 of `A-Z a-z 0-9 . _ : -`.
    fn forwarded(value: &HeaderValue) -> Option<RequestId> {
        let text = value.to_str().ok()?;
        let sane = (1..=64).contains(&text.len())
            && text
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"._:-".contains(&byte));
        sane.then(|| RequestId(text.into()))
    }

    fn made() -> RequestId {
        RequestId(format!("{:016x}", rand::random::<u64>()).into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How request ids are chosen: a proxy's `X-Request-Id` is taken only when the proxy is
/// trusted (`server.trust_forwarded_for`); otherwise every request gets a new one.
#[derive(Debug, Clone, Copy)]
pub struct RequestIds {
    pub accept_forwarded: bool,
}

/// The outermost middleware: gives the request its id and runs it inside a `request` span
/// carrying the id, method and path (authentication adds the user and tenant), so that every
/// log line of the request names it; answers the id in `X-Request-Id`.
pub async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let accept_forwarded = req
        .app_data::<RequestIds>()
        .is_some_and(|ids| ids.accept_forwarded);
    let id = req
        .headers()
        .get(X_REQUEST_ID)
        .filter(|_| accept_forwarded)
        .and_then(RequestId::forwarded)
        .unwrap_or_else(RequestId::made);
    let span = tracing::info_span!(
        "request",
        id = id.as_str(),
        method = %req.method(),
        path = req.path(),
        user_id = tracing::field::Empty,
        tenant_id = tracing::field::Empty,
    );
    let header = HeaderValue::from_str(id.as_str()).ok();
    let mut response = REQUEST_ID
        .scope(id, next.call(req).instrument(span))
        .await?;
    if let Some(value) = header {
        response.headers_mut().insert(X_REQUEST_ID, value);
    }
    Ok(response)
}

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
