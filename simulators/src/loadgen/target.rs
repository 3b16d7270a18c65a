//! The two kinds of server the load generator drives: yunguan (log in, subscribe to
//! `announcements`, publish by posting an announcement) and the Node.js `ws` peer (connect to
//! `/ws`, publish with `POST /publish`). Both publish an event of the same shape and size.

use std::sync::Arc;

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::stats::unix_nanos;
use super::Args;

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetKind {
    Yunguan,
    WsPeer,
}

#[derive(Clone)]
pub struct Target {
    inner: Arc<Inner>,
}

struct Inner {
    kind: TargetKind,
    base_url: String,
    ws_url: String,
    http: reqwest::Client,
    /// yunguan's bearer token.
    token_opt: Option<String>,
}

impl Target {
    pub async fn prepare(args: &Args) -> anyhow::Result<Target> {
        let base_url = args.url.trim_end_matches('/').to_owned();
        let ws_base = base_url.replacen("http", "ws", 1);
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()?;
        let (ws_url, token_opt) = match args.target {
            TargetKind::Yunguan => {
                let response = http
                    .post(format!("{base_url}/api/v1/auth/login"))
                    .json(&json!({"username": args.username, "password": args.password}))
                    .send()
                    .await
                    .context("logging in to yunguan")?;
                if !response.status().is_success() {
                    bail!(
                        "login failed: {}",
                        response.text().await.unwrap_or_default()
                    );
                }
                let body: Value = response.json().await?;
                let token = body["token"]
                    .as_str()
                    .context("no token in the login answer")?
                    .to_owned();
                (format!("{ws_base}/api/v1/ws"), Some(token))
            }
            TargetKind::WsPeer => (format!("{ws_base}/ws"), None),
        };
        Ok(Target {
            inner: Arc::new(Inner {
                kind: args.target,
                base_url,
                ws_url,
                http,
                token_opt,
            }),
        })
    }

    pub async fn connect_and_subscribe(&self) -> anyhow::Result<Socket> {
        let mut request = self.inner.ws_url.as_str().into_client_request()?;
        if let Some(token) = &self.inner.token_opt {
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {token}").parse()?);
        }
        let (mut socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .context("opening a websocket")?;
        if self.inner.kind == TargetKind::Yunguan {
            socket
                .send(Message::text(
                    r#"{"op":"subscribe","topic":"announcements"}"#,
                ))
                .await?;
            loop {
                match socket.next().await {
                    Some(Ok(Message::Text(text))) if text.contains("\"subscribed\"") => break,
                    Some(Ok(Message::Text(text))) => bail!("subscription refused: {text}"),
                    Some(Ok(_)) => continue,
                    Some(Err(error)) => return Err(error.into()),
                    None => bail!("closed while subscribing"),
                }
            }
        }
        Ok(socket)
    }

    /// Publishes one event whose payload starts with `t=<unix nanos>;`. A failure answers
    /// why, in a few words that group alike failures: the status and the API's error code,
    /// or what went wrong with the request.
    pub async fn publish(&self, payload_bytes: usize) -> Result<(), String> {
        let mut payload = format!("t={};", unix_nanos());
        if payload.len() < payload_bytes {
            payload.push_str(&"x".repeat(payload_bytes - payload.len()));
        }
        let response = match self.inner.kind {
            TargetKind::Yunguan => {
                self.inner
                    .http
                    .post(format!("{}/api/v1/announcements", self.inner.base_url))
                    .bearer_auth(self.inner.token_opt.as_deref().unwrap_or_default())
                    .json(&json!({"title": "bench", "body": payload}))
                    .send()
                    .await
            }
            TargetKind::WsPeer => {
                // The same shape and size as yunguan's event frame for an announcement.
                let frame = json!({
                    "op": "event", "topic": "announcements", "seq": 1, "kind": "announcement.created",
                    "ts": "2026-11-26T00:00:00.000Z",
                    "data": {"id": 1, "title": "bench", "body": payload, "tenant_id": null, "author_id": 2,
                             "created_at": "2026-11-26T00:00:00.000000000Z"}
                });
                self.inner
                    .http
                    .post(format!("{}/publish", self.inner.base_url))
                    .body(frame.to_string())
                    .send()
                    .await
            }
        };
        let response = response.map_err(|error| request_failure(&error))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        let code_opt = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|answer| answer["error"]["code"].as_str().map(str::to_owned));
        Err(match code_opt {
            Some(code) => format!("HTTP {} {code}", status.as_u16()),
            None => format!("HTTP {}", status.as_u16()),
        })
    }
}

/// What kind of request failure it was: the connection, the time, or the rest by its text.
fn request_failure(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        format!("request failed: {error}")
    }
}
