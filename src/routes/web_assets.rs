//! The built web front end: `web/dist/`, a Vite multi-page build (the root page with login and
//! the dispatcher, one `index.html` per app, hashed files under `assets/`, and precompressed
//! `.br` and `.gz` siblings), embedded in release builds and read from disk in debug builds.
//!
//! [`plan`] decides, without I/O, which file answers a request and with which headers: pages
//! fall back to their app's `index.html` (history routing), files are sent as themselves
//! (compressed when the client accepts it), with an `ETag` and a cache policy; anything else
//! is the JSON 404 of the API. The shell around it reads the file and adds the security
//! headers of a page. Until the front end is built, pages get a built-in page saying how to
//! build it. API paths never reach here: `/api/v1` answers its own 404s, and this service
//! refuses anything else under `/api`.

use std::borrow::Cow;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError};
use rust_embed::RustEmbed;

use crate::error::{ApiError, ErrorCode};

#[derive(RustEmbed)]
#[folder = "web/dist/"]
#[allow_missing = true]
struct BuiltFrontEnd;

/// Apps with a page of their own: any path under one that names no file gets its page
/// (`docs` is the API reference).
const APPS: [&str; 5] = ["ops", "portal", "mobile", "screen", "docs"];

/// Paths the root page routes itself.
const ROOT_PAGES: [&str; 3] = ["", "login", "reset-password"];

/// Hashed file names never change content: cached for a year, never revalidated.
const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else (pages above all) is revalidated on every use, cheaply thanks to `ETag`.
const CACHE_REVALIDATE: &str = "no-cache";

/// Precompressed siblings, in the order they are preferred when the client likes them
/// equally: the `Content-Encoding` name and the file name's suffix.
const ENCODINGS: [(&str, &str); 2] = [("br", ".br"), ("gzip", ".gz")];

/// What the lookup knows of one built file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFacts {
    pub sha256: [u8; 32],
    /// Guessed from the file name.
    pub mimetype: String,
}

/// The parts of a request that choose the answer.
#[derive(Debug, Clone, Copy)]
pub struct AssetRequest<'a> {
    pub path: &'a str,
    pub accept_encoding_opt: Option<&'a str>,
    pub if_none_match_opt: Option<&'a str>,
}

/// How to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponsePlan {
    /// 200 with the file.
    Send(FileAnswer),
    /// 304: the client's copy (the same `ETag`) is current.
    NotModified(FileAnswer),
    /// 200 with the built-in page: the front end is not built.
    NotBuilt,
    /// The JSON 404 of the API.
    NotFound,
}

/// A file and the headers it goes with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileAnswer {
    /// The built file to send: the one asked for, or its compressed sibling.
    pub file: String,
    /// The type of the file asked for, whatever the encoding.
    pub content_type: String,
    pub content_encoding_opt: Option<&'static str>,
    pub cache_control: &'static str,
    /// The quoted SHA-256 of the file sent, so that each encoding has its own.
    pub etag: String,
    /// An HTML page: it gets the security headers.
    pub page: bool,
}

/// Decides the answer to a GET or HEAD of `request.path`; `lookup` says what is built.
pub fn plan(
    request: &AssetRequest<'_>,
    lookup: impl Fn(&str) -> Option<FileFacts>,
) -> ResponsePlan {
    let path = request.path.strip_prefix('/').unwrap_or(request.path);
    if path == "api" || path.starts_with("api/") || !is_plain_path(path) {
        return ResponsePlan::NotFound;
    }
    let trimmed = path.trim_end_matches('/');
    let first_segment = trimmed.split('/').next().unwrap_or_default();
    let last_segment = trimmed.rsplit('/').next().unwrap_or_default();
    let page = if ROOT_PAGES.contains(&trimmed) {
        "index.html".to_owned()
    } else if let Some(facts) = (!path.ends_with('/')).then(|| lookup(path)).flatten() {
        return answer(request, path, facts, &lookup);
    } else if path.starts_with("assets/") || last_segment.contains('.') {
        return ResponsePlan::NotFound;
    } else if APPS.contains(&first_segment) {
        format!("{first_segment}/index.html")
    } else {
        return ResponsePlan::NotFound;
    };
    match lookup(&page) {
        Some(facts) => answer(request, &page, facts, &lookup),
        None if lookup("index.html").is_none() => ResponsePlan::NotBuilt,
        None => ResponsePlan::NotFound,
    }
}

/// A path of plain segments: no `.` or `..`, no empty segment but a final slash, no
/// backslash or control character.
fn is_plain_path(path: &str) -> bool {
    if path.is_empty() {
        return true;
    }
    let inner = path.strip_suffix('/').unwrap_or(path);
    !inner.is_empty()
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && inner
            .split('/')
            .all(|segment| !matches!(segment, "" | "." | ".."))
}

/// The answer for an existing file: the best encoding the client accepts, its `ETag`, and
/// whether the client already has it.
fn answer(
    request: &AssetRequest<'_>,
    file: &str,
    facts: FileFacts,
    lookup: &impl Fn(&str) -> Option<FileFacts>,
) -> ResponsePlan {
    let already_compressed = ENCODINGS.iter().any(|(_, suffix)| file.ends_with(suffix));
    let mut best_opt: Option<(f32, &'static str, String, FileFacts)> = None;
    if !already_compressed {
        for (encoding, suffix) in ENCODINGS {
            let quality = accepted_quality(request.accept_encoding_opt.unwrap_or(""), encoding);
            if quality <= 0.0 || best_opt.as_ref().is_some_and(|best| best.0 >= quality) {
                continue;
            }
            let sibling = format!("{file}{suffix}");
            if let Some(sibling_facts) = lookup(&sibling) {
                best_opt = Some((quality, encoding, sibling, sibling_facts));
            }
        }
    }
    let content_type = content_type_of(&facts.mimetype);
    let (sent, content_encoding_opt, sent_facts) = match best_opt {
        Some((_, encoding, sibling, sibling_facts)) => (sibling, Some(encoding), sibling_facts),
        None => (file.to_owned(), None, facts),
    };
    let etag = format!("\"{}\"", hex(&sent_facts.sha256));
    let file_answer = FileAnswer {
        page: content_type.starts_with("text/html"),
        file: sent,
        content_type,
        content_encoding_opt,
        cache_control: if file.starts_with("assets/") {
            CACHE_IMMUTABLE
        } else {
            CACHE_REVALIDATE
        },
        etag,
    };
    if request
        .if_none_match_opt
        .is_some_and(|header| etag_matches(header, &file_answer.etag))
    {
        ResponsePlan::NotModified(file_answer)
    } else {
        ResponsePlan::Send(file_answer)
    }
}

/// The q-value `Accept-Encoding` gives `encoding` (`x-gzip` counts as `gzip`, `*` as any
/// coding not named); 0 when it is not accepted.
fn accepted_quality(accept_encoding: &str, encoding: &str) -> f32 {
    let mut wildcard_opt = None;
    for entry in accept_encoding.split(',') {
        let mut parts = entry.split(';');
        let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|parameter| parameter.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
            .map_or(1.0, |(_, value)| value.trim().parse::<f32>().unwrap_or(0.0));
        let coding = if coding == "x-gzip" { "gzip" } else { &coding };
        if coding == encoding {
            return quality;
        }
        if coding == "*" {
            wildcard_opt = Some(quality);
        }
    }
    wildcard_opt.unwrap_or(0.0)
}

/// Whether `If-None-Match` names `etag` (weak comparison, as the header asks) or is `*`.
fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

/// The `Content-Type` of a file: text is UTF-8.
fn content_type_of(mimetype: &str) -> String {
    let textual = mimetype.starts_with("text/")
        || matches!(
            mimetype,
            "application/javascript" | "application/json" | "image/svg+xml"
        );
    if textual && !mimetype.contains("charset") {
        format!("{mimetype}; charset=utf-8")
    } else {
        mimetype.to_owned()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The policy of a page: scripts, styles and everything else from this origin only, no
/// frames, and sockets to the host the page came from (`ws:`/`wss:` are not covered by
/// `'self'` in every browser). A `Host` that is not a plain `host[:port]` is not repeated.
pub fn content_security_policy(host_opt: Option<&str>) -> String {
    let sockets = match host_opt.filter(|host| is_plain_host(host)) {
        Some(host) => format!(" ws://{host} wss://{host}"),
        None => String::new(),
    };
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'{sockets}; \
         worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// A DNS name or IPv4 address, or a bracketed IPv6 address, with an optional port.
fn is_plain_host(host: &str) -> bool {
    let (name, port_opt) = if let Some(rest) = host.strip_prefix('[') {
        let Some((address, after)) = rest.split_once(']') else {
            return false;
        };
        if address.is_empty()
            || !address
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return false;
        }
        match after {
            "" => ("[v6]", None),
            _ => match after.strip_prefix(':') {
                Some(port) => ("[v6]", Some(port)),
                None => return false,
            },
        }
    } else {
        match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    let name_is_plain = name == "[v6]"
        || (!name.is_empty()
            && name.len() <= 253
            && name.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            }));
    let port_is_plain = port_opt.is_none_or(|port| {
        (1..=5).contains(&port.len()) && port.chars().all(|c| c.is_ascii_digit())
    });
    name_is_plain && port_is_plain
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.default_service(web::to(serve));
}

async fn serve(req: HttpRequest) -> HttpResponse {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return ApiError::new(ErrorCode::MethodNotAllowed, "pages are read with GET")
            .error_response();
    }
    let header_text = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    let request = AssetRequest {
        path: req.path(),
        accept_encoding_opt: header_text(header::ACCEPT_ENCODING),
        if_none_match_opt: header_text(header::IF_NONE_MATCH),
    };
    let host_opt = header_text(header::HOST);
    let facts_of = |path: &str| {
        BuiltFrontEnd::get(path).map(|file| FileFacts {
            sha256: file.metadata.sha256_hash(),
            mimetype: file.metadata.mimetype().to_owned(),
        })
    };
    let not_found = || {
        ApiError::new(ErrorCode::NotFound, format!("nothing at {}", req.path())).error_response()
    };
    match plan(&request, facts_of) {
        ResponsePlan::Send(file_answer) => {
            // Read again to send: in debug builds the file may have gone meanwhile.
            let Some(file) = BuiltFrontEnd::get(&file_answer.file) else {
                return not_found();
            };
            let mut response = file_response(StatusCode::OK, &file_answer, host_opt);
            response.body(match file.data {
                Cow::Borrowed(bytes) => web::Bytes::from_static(bytes),
                Cow::Owned(bytes) => web::Bytes::from(bytes),
            })
        }
        ResponsePlan::NotModified(file_answer) => {
            file_response(StatusCode::NOT_MODIFIED, &file_answer, host_opt).finish()
        }
        ResponsePlan::NotBuilt => {
            let mut response = HttpResponse::Ok();
            response
                .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
                .insert_header((header::CACHE_CONTROL, CACHE_REVALIDATE));
            page_security_headers(&mut response, host_opt);
            response.body(not_built_page())
        }
        ResponsePlan::NotFound => not_found(),
    }
}

fn file_response(
    status: StatusCode,
    file_answer: &FileAnswer,
    host_opt: Option<&str>,
) -> HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    response
        .insert_header((header::CACHE_CONTROL, file_answer.cache_control))
        .insert_header((header::ETAG, file_answer.etag.as_str()))
        .insert_header((header::VARY, "Accept-Encoding"));
    if status == StatusCode::OK {
        response.insert_header((header::CONTENT_TYPE, file_answer.content_type.as_str()));
        if let Some(encoding) = file_answer.content_encoding_opt {
            response.insert_header((header::CONTENT_ENCODING, encoding));
        }
    }
    if file_answer.page {
        page_security_headers(&mut response, host_opt);
    }
    response
}

/// What a page carries besides its content (`X-Content-Type-Options` is on every response:
/// `startup`'s default headers).
fn page_security_headers(response: &mut HttpResponseBuilder, host_opt: Option<&str>) {
    let policy = content_security_policy(host_opt);
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        response.insert_header((header::CONTENT_SECURITY_POLICY, policy));
    }
    response
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "same-origin"));
}

/// What to do once the front end is built, which depends on whether this build reads
/// `web/dist/` at run time (debug) or embedded it when it was compiled (release).
const AFTER_BUILDING_ZH: &str = if cfg!(debug_assertions) {
    "这是调试构建：yunguan 每次请求都从磁盘读取 <code>web/dist/</code>，构建完成后刷新本页即可。"
} else {
    "这是发布构建：<code>web/dist/</code> 在编译 yunguan 时嵌入程序，构建完成后请重新运行 <code>cargo build --release</code> 并重启 yunguan。"
};
const AFTER_BUILDING_EN: &str = if cfg!(debug_assertions) {
    "This is a debug build: yunguan reads <code>web/dist/</code> from disk at every request, so reload this page once the build is done."
} else {
    "This is a release build: <code>web/dist/</code> is embedded when yunguan is compiled, so run <code>cargo build --release</code> again and restart yunguan once the build is done."
};

/// The page every page request gets while `web/dist/index.html` is missing.
fn not_built_page() -> String {
    format!(
        r#"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>yunguan：Web 界面尚未构建 / web UI not built</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 42rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.6; color: #1f2937; }}
pre {{ background: #f3f4f6; padding: 0.75rem 1rem; overflow-x: auto; }}
h1 {{ font-size: 1.4rem; }}
</style>
</head>
<body>
<h1>Web 界面尚未构建</h1>
<p>API（<code>/api/v1</code>）照常工作。要使用 Web 界面，请在源码根目录运行：</p>
<pre>npm --prefix web ci &amp;&amp; npm --prefix web run build</pre>
<p>{AFTER_BUILDING_ZH}</p>
<h1 lang="en">The web UI is not built</h1>
<p lang="en">The API (<code>/api/v1</code>) works as usual. To use the web UI, run this at the root of the source tree:</p>
<pre>npm --prefix web ci &amp;&amp; npm --prefix web run build</pre>
<p lang="en">{AFTER_BUILDING_EN}</p>
</body>
</html>
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A build with the root page, the ops app (compressed both ways), a hashed script with
    /// only a gzip sibling, and an icon.
    fn built(path: &str) -> Option<FileFacts> {
        let mimetype = match path.rsplit('.').next() {
            Some("html") => "text/html",
            Some("js") => "text/javascript",
            Some("ico") => "image/x-icon",
            Some("br") => "application/x-brotli",
            Some("gz") => "application/gzip",
            _ => "application/octet-stream",
        };
        [
            "index.html",
            "index.html.br",
            "index.html.gz",
            "ops/index.html",
            "ops/index.html.br",
            "ops/index.html.gz",
            "assets/index-3f2a9c.js",
            "assets/index-3f2a9c.js.gz",
            "favicon.ico",
        ]
        .iter()
        .position(|built| *built == path)
        .map(|position| FileFacts {
            sha256: [position as u8; 32],
            mimetype: mimetype.to_owned(),
        })
    }

    fn nothing_built(_: &str) -> Option<FileFacts> {
        None
    }

    /// The quoted ETag of the `position`th built file.
    fn etag(position: u8) -> String {
        format!("\"{}\"", hex(&[position; 32]))
    }

    /// A plan in one line: status, file, encoding, cache policy, page or not.
    fn shown(plan: &ResponsePlan) -> String {
        let line = |status: &str, answer: &FileAnswer| {
            format!(
                "{status} {} {} {} {}{}",
                answer.file,
                answer.content_encoding_opt.unwrap_or("identity"),
                answer.content_type,
                answer.cache_control,
                if answer.page { " page" } else { "" }
            )
        };
        match plan {
            ResponsePlan::Send(answer) => line("200", answer),
            ResponsePlan::NotModified(answer) => line("304", answer),
            ResponsePlan::NotBuilt => "200 not built".to_owned(),
            ResponsePlan::NotFound => "404".to_owned(),
        }
    }

    #[test]
    fn which_file_and_which_headers() {
        let html = "text/html; charset=utf-8";
        let js = "text/javascript; charset=utf-8";
        let index_etag = etag(0);
        let index_br_etag = etag(1);
        let table: Vec<(&str, Option<&str>, Option<&str>, String)> = vec![
            // The root page and its routes.
            (
                "/",
                None,
                None,
                format!("200 index.html identity {html} no-cache page"),
            ),
            (
                "/login",
                None,
                None,
                format!("200 index.html identity {html} no-cache page"),
            ),
            (
                "/login/",
                None,
                None,
                format!("200 index.html identity {html} no-cache page"),
            ),
            (
                "/index.html",
                None,
                None,
                format!("200 index.html identity {html} no-cache page"),
            ),
            // An app's paths fall back to its page.
            (
                "/ops",
                None,
                None,
                format!("200 ops/index.html identity {html} no-cache page"),
            ),
            (
                "/ops/",
                None,
                None,
                format!("200 ops/index.html identity {html} no-cache page"),
            ),
            (
                "/ops/alarms",
                None,
                None,
                format!("200 ops/index.html identity {html} no-cache page"),
            ),
            (
                "/ops/devices/42",
                None,
                None,
                format!("200 ops/index.html identity {html} no-cache page"),
            ),
            // An app not in this build, and paths no app owns.
            ("/portal/tickets", None, None, "404".to_owned()),
            ("/no/such/page", None, None, "404".to_owned()),
            ("/opsx", None, None, "404".to_owned()),
            // Files are themselves; hashed ones are immutable.
            (
                "/assets/index-3f2a9c.js",
                None,
                None,
                format!(
                    "200 assets/index-3f2a9c.js identity {js} public, max-age=31536000, immutable"
                ),
            ),
            (
                "/favicon.ico",
                None,
                None,
                "200 favicon.ico identity image/x-icon no-cache".to_owned(),
            ),
            // Missing files are 404s, never a page.
            ("/assets/missing.js", None, None, "404".to_owned()),
            ("/assets/missing", None, None, "404".to_owned()),
            ("/ops/missing.js", None, None, "404".to_owned()),
            ("/robots.txt", None, None, "404".to_owned()),
            // The API's paths are the API's, and odd paths are nobody's.
            ("/api", None, None, "404".to_owned()),
            ("/api/v2/alarms", None, None, "404".to_owned()),
            ("/ops/../index.html", None, None, "404".to_owned()),
            ("/ops//alarms", None, None, "404".to_owned()),
            ("/assets\\index-3f2a9c.js", None, None, "404".to_owned()),
            // Compression: brotli first, gzip next, by q-value, only where a sibling exists.
            (
                "/ops/alarms",
                Some("gzip, deflate, br"),
                None,
                format!("200 ops/index.html.br br {html} no-cache page"),
            ),
            (
                "/ops/alarms",
                Some("gzip, br;q=0.5"),
                None,
                format!("200 ops/index.html.gz gzip {html} no-cache page"),
            ),
            (
                "/ops/alarms",
                Some("br;q=0, gzip"),
                None,
                format!("200 ops/index.html.gz gzip {html} no-cache page"),
            ),
            (
                "/ops/alarms",
                Some("x-gzip"),
                None,
                format!("200 ops/index.html.gz gzip {html} no-cache page"),
            ),
            (
                "/ops/alarms",
                Some("*"),
                None,
                format!("200 ops/index.html.br br {html} no-cache page"),
            ),
            (
                "/ops/alarms",
                Some("identity"),
                None,
                format!("200 ops/index.html identity {html} no-cache page"),
            ),
            (
                "/assets/index-3f2a9c.js",
                Some("br, gzip"),
                None,
                format!(
                    "200 assets/index-3f2a9c.js.gz gzip {js} public, max-age=31536000, immutable"
                ),
            ),
            // A compressed file asked for by name is sent as it is.
            (
                "/index.html.gz",
                Some("gzip"),
                None,
                "200 index.html.gz identity application/gzip no-cache".to_owned(),
            ),
            // Revalidation: the ETag of the representation that would be sent.
            (
                "/",
                None,
                Some(&index_etag),
                format!("304 index.html identity {html} no-cache page"),
            ),
            (
                "/",
                None,
                Some("\"stale\", W/\"0000\""),
                format!("200 index.html identity {html} no-cache page"),
            ),
            (
                "/",
                Some("br"),
                Some(&index_etag),
                format!("200 index.html.br br {html} no-cache page"),
            ),
            (
                "/",
                Some("br"),
                Some(&index_br_etag),
                format!("304 index.html.br br {html} no-cache page"),
            ),
            (
                "/",
                None,
                Some("*"),
                format!("304 index.html identity {html} no-cache page"),
            ),
        ];
        for (path, accept_encoding_opt, if_none_match_opt, expected) in table {
            let request = AssetRequest {
                path,
                accept_encoding_opt,
                if_none_match_opt,
            };
            assert_eq!(
                shown(&plan(&request, built)),
                expected,
                "{path} accept-encoding {accept_encoding_opt:?} if-none-match {if_none_match_opt:?}"
            );
        }
    }

    #[test]
    fn before_the_front_end_is_built_pages_say_so_and_files_are_missing() {
        for (path, expected) in [
            ("/", "200 not built"),
            ("/login", "200 not built"),
            ("/ops/alarms", "200 not built"),
            ("/screen", "200 not built"),
            ("/assets/index-3f2a9c.js", "404"),
            ("/favicon.ico", "404"),
            ("/no/such/page", "404"),
            ("/api/v2", "404"),
        ] {
            let request = AssetRequest {
                path,
                accept_encoding_opt: Some("br, gzip"),
                if_none_match_opt: None,
            };
            assert_eq!(shown(&plan(&request, nothing_built)), expected, "{path}");
        }
        let page = not_built_page();
        assert!(page.contains("npm --prefix web ci &amp;&amp; npm --prefix web run build"));
        assert!(
            !page.contains("<script"),
            "the policy allows no inline script"
        );
    }

    #[test]
    fn the_policy_names_the_socket_host_only_when_it_is_plain() {
        for (host_opt, expected) in [
            (
                Some("yunguan.example.gov.cn"),
                " ws://yunguan.example.gov.cn wss://yunguan.example.gov.cn;",
            ),
            (
                Some("127.0.0.1:8080"),
                " ws://127.0.0.1:8080 wss://127.0.0.1:8080;",
            ),
            (Some("[::1]:8080"), " ws://[::1]:8080 wss://[::1]:8080;"),
            (Some("[fe80::1]"), " ws://[fe80::1] wss://[fe80::1];"),
            (None, ";"),
            (Some(""), ";"),
            (Some("evil.example; script-src *"), ";"),
            (Some("host:port"), ";"),
            (Some("host:123456"), ";"),
            (Some("a..b"), ";"),
            (Some("[::1"), ";"),
            (Some("[::1]x"), ";"),
            (Some("user@host"), ";"),
        ] {
            let policy = content_security_policy(host_opt);
            assert!(
                policy.contains(&format!("connect-src 'self'{expected}")),
                "{host_opt:?}: {policy}"
            );
            assert!(policy.starts_with("default-src 'self'; script-src 'self';"));
            assert!(policy.ends_with("frame-ancestors 'none'"));
        }
    }
}
