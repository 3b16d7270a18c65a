//! The web front end, embedded in the binary from `web/` (served from disk in debug builds).

use actix_web::{http::header, http::Method, web, HttpRequest, HttpResponse, ResponseError};

use crate::error::{ApiError, ErrorCode};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "web/"]
struct Assets;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.default_service(web::to(serve));
}

async fn serve(req: HttpRequest) -> HttpResponse {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return ApiError::new(ErrorCode::MethodNotAllowed, "pages are read with GET")
            .error_response();
    }
    let path = req.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    match Assets::get(path) {
        Some(file) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, file.metadata.mimetype()))
            .body(file.data.into_owned()),
        None => ApiError::not_found("page").error_response(),
    }
}
