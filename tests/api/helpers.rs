//! `spawn_app()` and friends: the real application on port 0 with a fresh database, and
//! clients for its HTTP API and WebSocket.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use secrecy::SecretString;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use yunguan::clock::Clock;
use yunguan::identity::directory::{self, NewUser};
use yunguan::identity::names::{TenantCode, Username};
use yunguan::identity::Role;
use yunguan::settings::{LogFormat, LogSettings, Overrides, Settings};
use yunguan::startup::{Application, StopHandle};
use yunguan::state::AppState;
use yunguan_simulators::openstack::OpenStackSim;
use yunguan_simulators::snmp::{Fleet, FleetDevice};

pub const PASSWORD: &str = "correct-horse-9";

/// Where a test app keeps its data and events.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A temporary SQLite file and the in-process bus: the embedded default.
    Sqlite,
    /// A new PostgreSQL database and the Redis bus: production mode.
    PostgresRedis {
        database_url: String,
        redis_url: String,
    },
}

impl Backend {
    /// PostgreSQL and Redis from `TEST_DATABASE_URL` and `TEST_REDIS_URL`. Without them the
    /// test is skipped, except under `CI=true`, where a missing service is a failure.
    pub fn postgres_redis() -> Option<Backend> {
        let database_url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|v| !v.is_empty());
        let redis_url = std::env::var("TEST_REDIS_URL")
            .ok()
            .filter(|v| !v.is_empty());
        match (database_url, redis_url) {
            (Some(database_url), Some(redis_url)) => Some(Backend::PostgresRedis {
                database_url,
                redis_url,
            }),
            _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("CI=true but TEST_DATABASE_URL or TEST_REDIS_URL is not set")
            }
            _ => {
                eprintln!("skipped: set TEST_DATABASE_URL and TEST_REDIS_URL to run on PostgreSQL and Redis");
                None
            }
        }
    }
}

/// Generates one test per backend from `async fn name(backend: Backend)` functions.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres_redis {
            $(
                #[actix_web::test]
                async fn $name() {
                    if let Some(backend) = $crate::helpers::Backend::postgres_redis() {
                        super::$name(backend).await
                    }
                }
            )*
        }
    };
}

/// A fresh, empty place for one or more nodes to share.
pub struct Storage {
    pub database_url: String,
    pub redis_url_opt: Option<String>,
    pub redis_prefix: String,
    /// The server database and the test database's name, to drop it afterwards.
    postgres_opt: Option<(String, String)>,
    /// The node's `server.data_dir` (the credential key file), and the SQLite file.
    data_dir: tempfile::TempDir,
}

impl Storage {
    pub async fn new(backend: &Backend) -> Storage {
        let dir = tempfile::tempdir().expect("temp dir");
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let (database_url, redis_url_opt, postgres_opt) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}/yunguan.db?mode=rwc", dir.path().display()),
                None,
                None,
            ),
            Backend::PostgresRedis {
                database_url,
                redis_url,
            } => {
                let name = format!("yunguan_test_{unique}");
                let admin = Database::connect(database_url.as_str())
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                let mut url = url::Url::parse(database_url).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                (
                    url.to_string(),
                    Some(redis_url.clone()),
                    Some((database_url.clone(), name)),
                )
            }
        };
        Storage {
            database_url,
            redis_url_opt,
            redis_prefix: format!("yunguan-test-{unique}"),
            postgres_opt,
            data_dir: dir,
        }
    }
}

impl Storage {
    /// The node's `server.data_dir`, where it keeps its credential key file.
    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }
}

/// Drops the test's PostgreSQL database and Redis keys, so that repeated runs on one machine
/// leave nothing behind. Runs on its own thread and runtime: `Drop` cannot await.
impl Drop for Storage {
    fn drop(&mut self) {
        let postgres_opt = self.postgres_opt.take();
        let redis_opt = self
            .redis_url_opt
            .clone()
            .map(|url| (url, format!("{}:*", self.redis_prefix)));
        if postgres_opt.is_none() && redis_opt.is_none() {
            return;
        }
        let cleanup = std::thread::spawn(move || {
            if let Some((redis_url, pattern)) = redis_opt {
                if let Ok(mut connection) =
                    redis::Client::open(redis_url).and_then(|c| c.get_connection())
                {
                    let keys: Vec<String> = redis::cmd("KEYS")
                        .arg(&pattern)
                        .query(&mut connection)
                        .unwrap_or_default();
                    if !keys.is_empty() {
                        let _: redis::RedisResult<()> =
                            redis::cmd("DEL").arg(keys).query(&mut connection);
                    }
                }
            }
            if let Some((server_url, name)) = postgres_opt {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async {
                    if let Ok(admin) = Database::connect(server_url.as_str()).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            }
        });
        let _ = cleanup.join();
    }
}

/// Test settings: port 0, the given storage, small buffers so that limits are reachable.
pub fn settings_for(storage: &Storage) -> Settings {
    let mut settings = Settings::load(&Overrides {
        listen_opt: Some("127.0.0.1:0".parse().unwrap()),
        database_url_opt: Some(storage.database_url.clone()),
        redis_url_opt: storage.redis_url_opt.clone(),
        ..Overrides::default()
    })
    .expect("settings");
    settings.redis.key_prefix = storage.redis_prefix.clone();
    settings.server.data_dir = storage.data_dir.path().to_path_buf();
    settings.database.max_connections = 5;
    settings.server.shutdown_grace_secs = 2;
    // The simulated cloud answers at once and never fails, unless a test says otherwise.
    settings.fulfilment.sim_min_latency_ms = 0;
    settings.fulfilment.sim_max_latency_ms = 0;
    settings.fulfilment.sim_failure_rate = 0.0;
    settings.fulfilment.retry_initial_ms = 1;
    settings.monitoring.snmp_bind = "127.0.0.1:0".parse().unwrap();
    settings.monitoring.trap_listen = "127.0.0.1:0".parse().unwrap();
    settings
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub db: DatabaseConnection,
    pub http: reqwest::Client,
    pub state: actix_web::web::Data<AppState>,
    pub stop: StopHandle,
}

/// One node on a fresh storage with default test settings.
pub async fn spawn_app(backend: Backend) -> (TestApp, Storage) {
    spawn_app_with(backend, |_| {}).await
}

/// One node on a fresh storage, with the test settings changed by `tweak`.
pub async fn spawn_app_with(
    backend: Backend,
    tweak: impl FnOnce(&mut Settings),
) -> (TestApp, Storage) {
    let storage = Storage::new(&backend).await;
    let mut settings = settings_for(&storage);
    tweak(&mut settings);
    let app = spawn_node(settings).await;
    (app, storage)
}

/// One node with these settings (several may share a storage).
pub async fn spawn_node(settings: Settings) -> TestApp {
    spawn_node_with_clock(settings, Clock::system()).await
}

/// One node whose deadlines follow `clock` (a manual clock the test advances).
pub async fn spawn_node_with_clock(settings: Settings, clock: Clock) -> TestApp {
    // Tests log to a sink unless TEST_LOG is set.
    if std::env::var("TEST_LOG").is_ok() {
        yunguan::telemetry::init(&LogSettings {
            format: LogFormat::Text,
            filter: "info,yunguan=debug".to_owned(),
        });
    }
    let db = yunguan::db::connect_and_migrate(
        &settings.database_url(),
        settings.database.max_connections,
    )
    .await
    .expect("database");
    let app = Application::build_with(settings, db.clone(), clock)
        .await
        .expect("application builds");
    let port = app.port();
    let state = app.state();
    let stop = app.stop_handle();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        db,
        http: reqwest::Client::new(),
        state,
        stop,
    }
}

/// A cloud platform for the simulated OpenStack `sim`, in data center `data_center_id`,
/// synced every 30 s: the body that creates it.
pub fn openstack_platform(sim: &OpenStackSim, data_center_id: &Value) -> Value {
    let credentials = sim.credentials();
    json!({
        "data_center_id": data_center_id,
        "name": "openstack-1",
        "kind": "openstack",
        "endpoint": sim.auth_url(),
        "credentials": {
            "username": credentials.username,
            "password": credentials.password,
            "project": credentials.project,
            "domain": credentials.project_domain,
        },
        "sync_interval_secs": 30,
    })
}

/// A simulated fleet device as a row of an inventory import: in data center
/// `data_center_code`, at `tier`, polled every 10 s over v2c at the fleet's address.
pub fn fleet_row(fleet: &Fleet, device: &FleetDevice, data_center_code: &str, tier: &str) -> Value {
    json!({
        "data_center_code": data_center_code,
        "name": device.name,
        "kind": device.kind.as_str(),
        "tier": tier,
        "vendor": "sim",
        "model": "sim",
        "management_address": fleet.local_addr().to_string(),
        "credentials": {"version": "v2c", "community": device.community},
        "poll_interval_secs": 10,
    })
}

impl TestApp {
    /// Imports `document` into the CMDB as `token`; fails the test unless it is taken.
    pub async fn import(&self, token: &str, document: &Value) {
        let response = self
            .post_json("/api/v1/inventory/import", Some(token), document)
            .await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }

    pub async fn create_tenant(&self, code: &str) -> i64 {
        directory::create_tenant(
            &self.db,
            &TenantCode::parse(code).unwrap(),
            &format!("{code} 局"),
        )
        .await
        .expect("create tenant")
        .id
    }

    pub async fn create_user(&self, username: &str, role: Role, tenant_id_opt: Option<i64>) -> i64 {
        directory::create_user(
            &self.db,
            NewUser {
                username: Username::parse(username).unwrap(),
                display_name: username.to_owned(),
                email_opt: None,
                password: SecretString::from(PASSWORD),
                role,
                tenant_id_opt,
            },
        )
        .await
        .expect("create user")
        .id
    }

    pub async fn post_login(&self, username: &str, password: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/api/v1/auth/login", self.address))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("request")
    }

    /// Logs in with the test password and returns the bearer token.
    pub async fn login(&self, username: &str) -> String {
        let response = self.post_login(username, PASSWORD).await;
        assert_eq!(response.status(), 200, "login of {username}");
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str, token_opt: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.address));
        if let Some(token) = token_opt {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    pub async fn post_json(
        &self,
        path: &str,
        token_opt: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let mut request = self.http.post(format!("{}{path}", self.address)).json(body);
        if let Some(token) = token_opt {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    pub async fn put_json(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.http
            .put(format!("{}{path}", self.address))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn patch_json(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.http
            .patch(format!("{}{path}", self.address))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .delete(format!("{}{path}", self.address))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// A POST with a raw body of the given content type (CSV imports).
    pub async fn post_text(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: &str,
    ) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.address))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
            .await
            .expect("request")
    }

    /// POSTs `body`, asserts `201 Created` and returns the created object.
    pub async fn created(&self, path: &str, token: &str, body: &Value) -> Value {
        let response = self.post_json(path, Some(token), body).await;
        let status = response.status();
        let answer: Value = response.json().await.expect("JSON answer");
        assert_eq!(status, 201, "POST {path} {body}: {answer}");
        answer
    }

    /// GETs `path` until it answers `200 OK` with what `done` wants (within 40 s); returns
    /// that body.
    pub async fn until_get(&self, path: &str, token: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
        loop {
            let response = self.get(path, Some(token)).await;
            let ok = response.status() == 200;
            let answer: Value = response.json().await.unwrap_or_default();
            if ok && done(&answer) {
                return answer;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{path} never answered as wanted: {answer}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// GETs `path`, asserts `200 OK` and returns the body.
    pub async fn get_ok(&self, path: &str, token: &str) -> Value {
        let response = self.get(path, Some(token)).await;
        let status = response.status();
        let answer: Value = response.json().await.expect("JSON answer");
        assert_eq!(status, 200, "GET {path}: {answer}");
        answer
    }

    pub async fn post_announcement(
        &self,
        token: &str,
        title: &str,
        tenant_id_opt: Option<i64>,
    ) -> reqwest::Response {
        self.post_json(
            "/api/v1/announcements",
            Some(token),
            &json!({"title": title, "body": format!("{title} body"), "tenant_id": tenant_id_opt}),
        )
        .await
    }

    pub async fn ws_ticket(&self, token: &str) -> String {
        let response = self
            .post_json("/api/v1/ws/ticket", Some(token), &json!({}))
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["ticket"].as_str().unwrap().to_owned()
    }

    /// Opens a WebSocket with a fresh ticket.
    pub async fn ws(&self, token: &str) -> WsClient {
        let ticket = self.ws_ticket(token).await;
        WsClient::connect(&format!(
            "ws://127.0.0.1:{}/api/v1/ws?ticket={ticket}",
            self.port
        ))
        .await
        .expect("websocket opens")
    }

    /// Opens a WebSocket with the bearer header.
    pub async fn ws_with_bearer(&self, token: &str) -> WsClient {
        let mut request = format!("ws://127.0.0.1:{}/api/v1/ws", self.port)
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (stream, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket opens");
        WsClient { stream }
    }
}

pub struct WsClient {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

pub const RECEIVE_TIMEOUT: Duration = Duration::from_secs(5);

impl WsClient {
    pub async fn connect(url: &str) -> Result<WsClient, tokio_tungstenite::tungstenite::Error> {
        let (stream, _) = tokio_tungstenite::connect_async(url).await?;
        Ok(WsClient { stream })
    }

    pub async fn send(&mut self, value: Value) {
        self.stream
            .send(Message::text(value.to_string()))
            .await
            .expect("send");
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.stream.send(message).await.expect("send");
    }

    /// The next JSON text message (pings and pongs are skipped); panics after a timeout.
    pub async fn next_json(&mut self) -> Value {
        self.try_next_json(RECEIVE_TIMEOUT)
            .await
            .expect("a message before the timeout")
    }

    pub async fn try_next_json(&mut self, within: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let message = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()??;
            match message.expect("websocket error") {
                Message::Text(text) => {
                    return Some(serde_json::from_str(&text).expect("JSON from server"))
                }
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected message {other:?}"),
            }
        }
    }

    /// Asserts that nothing arrives within `within`.
    pub async fn expect_silence(&mut self, within: Duration) {
        if let Some(message) = self.try_next_json(within).await {
            panic!("expected no message, got {message}");
        }
    }

    pub async fn subscribe(&mut self, topic: &str, since_opt: Option<u64>) -> Value {
        let mut request = json!({"op": "subscribe", "topic": topic});
        if let Some(since) = since_opt {
            request["since"] = json!(since);
        }
        self.send(request).await;
        let reply = self.next_json().await;
        assert_eq!(reply["op"], "subscribed", "subscribing to {topic}: {reply}");
        reply
    }

    /// Reads the server's frames off the socket itself, answering none of them, up to the close
    /// frame, and returns its code. A client that stays silent must not answer pings either:
    /// tungstenite answers each ping it reads, and writing that answer to a socket the server has
    /// closed fails before the close frame can be read. Frames are parsed here (RFC 6455 5.2;
    /// the server's are unmasked) because no crate reads frames without answering pings.
    pub async fn close_code_unanswered(&mut self) -> u16 {
        use tokio::io::AsyncReadExt;
        let MaybeTlsStream::Plain(socket) = self.stream.get_mut() else {
            panic!("the tests' sockets are plain TCP");
        };
        let mut buffer: Vec<u8> = Vec::new();
        loop {
            // Every complete frame in the buffer, in order.
            let mut at = 0;
            while buffer.len() >= at + 2 {
                let opcode = buffer[at] & 0x0f;
                let (length, header) = match buffer[at + 1] & 0x7f {
                    126 if buffer.len() >= at + 4 => (
                        u16::from_be_bytes([buffer[at + 2], buffer[at + 3]]) as usize,
                        4,
                    ),
                    127 if buffer.len() >= at + 10 => {
                        let mut bytes = [0u8; 8];
                        bytes.copy_from_slice(&buffer[at + 2..at + 10]);
                        (u64::from_be_bytes(bytes) as usize, 10)
                    }
                    126 | 127 => break,
                    short => (short as usize, 2),
                };
                if buffer.len() < at + header + length {
                    break;
                }
                if opcode == 0x8 {
                    let payload = &buffer[at + header..at + header + length];
                    return if payload.len() >= 2 {
                        u16::from_be_bytes([payload[0], payload[1]])
                    } else {
                        1005
                    };
                }
                at += header + length;
            }
            buffer.drain(..at);
            let mut chunk = [0u8; 4096];
            let read = tokio::time::timeout(RECEIVE_TIMEOUT, socket.read(&mut chunk))
                .await
                .expect("close before the timeout")
                .expect("the socket reads");
            assert!(read > 0, "the server hung up without a close frame");
            buffer.extend_from_slice(&chunk[..read]);
        }
    }

    /// Waits for the close frame and returns its code.
    pub async fn closed_with(&mut self) -> u16 {
        loop {
            let message = tokio::time::timeout(RECEIVE_TIMEOUT, self.stream.next())
                .await
                .expect("close before the timeout");
            match message {
                Some(Ok(Message::Close(Some(frame)))) => return frame.code.into(),
                Some(Ok(Message::Close(None))) | None => return 1005,
                Some(Ok(_)) => continue,
                Some(Err(error)) => panic!("websocket error before close: {error}"),
            }
        }
    }
}
