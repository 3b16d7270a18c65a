//! The log as the binary writes it: plain text with no terminal escape codes when stderr is a
//! file or a pipe, or one JSON object a line with `log.format = "json"`; every line a request
//! causes names the request's id, answered in `X-Request-Id`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

/// What `yunguan migrate` on a fresh data directory writes to stderr, with `env` set.
fn migrate_log(env: &[(&str, &str)]) -> String {
    let data_dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_yunguan"))
        .arg("--data-dir")
        .arg(data_dir.path())
        .arg("migrate")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .output()
        .expect("running yunguan migrate");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stderr).expect("the log is UTF-8")
}

#[test]
fn the_log_to_a_pipe_has_no_escape_codes() {
    let log = migrate_log(&[]);
    assert!(log.contains("INFO"), "{log}");
    assert!(log.contains("Applying migration"), "{log}");
    assert!(!log.contains('\u{1b}'), "escape codes in {log:?}");
}

#[test]
fn the_log_is_json_lines_when_asked() {
    let log = migrate_log(&[("YUNGUAN_LOG__FORMAT", "json")]);
    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    assert!(lines.len() >= 2, "{log}");
    for line in &lines {
        assert_eq!(line["level"], "INFO", "{line}");
        assert!(line["fields"]["message"].is_string(), "{line}");
        assert!(line["timestamp"].is_string(), "{line}");
    }
    // And the filter is the settings' when RUST_LOG is unset: `warn` drops every line.
    let quiet = migrate_log(&[("YUNGUAN_LOG__FILTER", "warn")]);
    assert_eq!(quiet, "", "{quiet}");
}

/// A server behind a trusted proxy takes the proxy's request id; the log lines of that
/// request carry it in their `request` span, with the caller once known.
#[actix_web::test]
async fn a_requests_log_lines_carry_its_id() {
    let data_dir = tempfile::tempdir().unwrap();
    let yunguan = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_yunguan"));
        command
            .arg("--data-dir")
            .arg(data_dir.path())
            .args(args)
            .env_remove("RUST_LOG")
            .env("YUNGUAN_LOG__FORMAT", "json");
        command
    };
    let mut add = yunguan(&["user", "add", "admin", "--role", "bureau_admin"])
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(format!("{}\n", crate::helpers::PASSWORD).as_bytes())
        .unwrap();
    assert!(add.wait().unwrap().success());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = KilledOnDrop(
        yunguan(&["serve"])
            .env("YUNGUAN_SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env("YUNGUAN_SERVER__TRUST_FORWARDED_FOR", "true")
            .env("YUNGUAN_MONITORING__ENABLED", "false")
            .env("YUNGUAN_MONITORING__TRAP_LISTEN", "127.0.0.1:0")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<Value>();
    let stderr = server.0.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(value) = serde_json::from_str(&line) {
                let _ = lines_tx.send(value);
            }
        }
    });
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut answered = None;
    for _ in 0..100 {
        if let Ok(response) = http.get(format!("{base}/readyz")).send().await {
            answered = Some(response.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(answered.map(|status| status.as_u16()), Some(200));

    let login = http
        .post(format!("{base}/api/v1/auth/login"))
        .header("x-request-id", "proxy-7f3a.1")
        .json(&json!({"username": "admin", "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    assert_eq!(login.headers()["x-request-id"], "proxy-7f3a.1");
    let token = login.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // An id a log line should not carry is replaced by one of ours.
    let logout = http
        .post(format!("{base}/api/v1/auth/logout"))
        .header("x-request-id", "two words")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    let made = logout.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(made.len(), 16, "{made}");

    let mut opened = None;
    let mut ended = None;
    while opened.is_none() || ended.is_none() {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the log lines of the login and the logout");
        match line["fields"]["message"].as_str() {
            Some("session opened") => opened = Some(line),
            Some("user logged out") => ended = Some(line),
            _ => {}
        }
    }
    drop(server);
    // The outermost of a line's spans is its request's.
    let request_of = |line: Value| line["spans"][0].clone();
    let (opened, ended) = (request_of(opened.unwrap()), request_of(ended.unwrap()));
    assert_eq!(opened["name"], "request", "{opened}");
    assert_eq!(opened["id"], "proxy-7f3a.1", "{opened}");
    assert_eq!(opened["path"], "/api/v1/auth/login", "{opened}");
    assert_eq!(ended["id"], made.as_str(), "{ended}");
    assert!(ended["user_id"].is_number(), "{ended}");
}

/// A child process that does not outlive a failed assertion.
struct KilledOnDrop(std::process::Child);

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
