//! A local receiver for notification channels: a small Python (standard library) HTTP server
//! that plays a webhook endpoint, a DingTalk custom robot and a WeCom group robot, checks
//! every post's signature itself (its own HMAC code, apart from ours), answers as those
//! services do, and appends each post as one JSON line to a spool file before answering.
//!
//! - `/webhook/…`: needs `X-Yunguan-Signature` to be the HMAC-SHA256 under `webhook_secret`
//!   of `"{X-Yunguan-Timestamp}.{body}"`, the timestamp within five minutes; else `401`.
//! - `/dingtalk/robot/send?access_token=dt-token&timestamp=…&sign=…`: needs the token, and
//!   (with `dingtalk_secret`) a `sign` that is base64 of the HMAC-SHA256 of
//!   `"{timestamp}\n{secret}"`, the timestamp within an hour, and a markdown message; else
//!   `200 {"errcode": 310000, …}` as DingTalk answers.
//! - `/wecom/cgi-bin/webhook/send?key=wc-key`: needs the key and a markdown message of at most
//!   4,096 bytes; else `200 {"errcode": 93000, …}`.
//! - `fail_first`: a path's first N posts are answered `503`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::smtp::free_port;

const PYTHON: &str = "/usr/bin/python3";
pub const DINGTALK_TOKEN: &str = "dt-token";
pub const WECOM_KEY: &str = "wc-key";

const RECEIVER_SCRIPT: &str = r#"
import base64, hashlib, hmac, json, sys, time, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

port, spool, config = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
counts, lock = {}, threading.Lock()


def digest(key, message):
    return hmac.new(key.encode(), message, hashlib.sha256).digest()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            counts[url.path] = counts.get(url.path, 0) + 1
            count = counts[url.path]
        status, answer, verified = self.judge(url.path, query, raw)
        if count <= config.get("fail_first", {}).get(url.path, 0):
            status, answer = 503, {"error": "try again later"}
        record = {
            "path": url.path,
            "query": query,
            "event": self.headers.get("X-Yunguan-Event"),
            "delivery": self.headers.get("X-Yunguan-Delivery"),
            "body": json.loads(raw or b"null"),
            "verified": verified,
            "status": status,
        }
        with lock, open(spool, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def judge(self, path, query, raw):
        if path.startswith("/webhook/"):
            secret = config.get("webhook_secret")
            if secret is None:
                return 200, {"ok": True}, None
            stamp = self.headers.get("X-Yunguan-Timestamp", "")
            given = self.headers.get("X-Yunguan-Signature", "")
            expected = "sha256=" + digest(secret, stamp.encode() + b"." + raw).hex()
            fresh = stamp.isdigit() and abs(time.time() - int(stamp)) < 300
            if fresh and hmac.compare_digest(given, expected):
                return 200, {"ok": True}, True
            return 401, {"error": "bad signature"}, False
        message = json.loads(raw or b"null") or {}
        if path == "/dingtalk/robot/send":
            if query.get("access_token") != "dt-token":
                return 200, {"errcode": 300001, "errmsg": "token is not exist"}, False
            verified = None
            secret = config.get("dingtalk_secret")
            if secret is not None:
                stamp = query.get("timestamp", "")
                expected = base64.b64encode(digest(secret, f"{stamp}\n{secret}".encode())).decode()
                fresh = stamp.isdigit() and abs(time.time() * 1000 - int(stamp)) < 3600 * 1000
                if not (fresh and hmac.compare_digest(query.get("sign", ""), expected)):
                    return 200, {"errcode": 310000, "errmsg": "sign not match"}, False
                verified = True
            markdown = message.get("markdown") or {}
            if message.get("msgtype") != "markdown" or not markdown.get("title") or not markdown.get("text"):
                return 200, {"errcode": 40035, "errmsg": "missing parameter"}, verified
            return 200, {"errcode": 0, "errmsg": "ok"}, verified
        if path == "/wecom/cgi-bin/webhook/send":
            if query.get("key") != "wc-key":
                return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}, False
            content = (message.get("markdown") or {}).get("content") or ""
            if message.get("msgtype") != "markdown" or not content or len(content.encode()) > 4096:
                return 200, {"errcode": 40058, "errmsg": "invalid markdown content"}, False
            return 200, {"errcode": 0, "errmsg": "ok"}, True
        return 404, {"error": "no such path"}, None


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
"#;

/// One post as the receiver judged it.
#[derive(Debug, Clone, Deserialize)]
pub struct Post {
    pub path: String,
    pub event: Option<String>,
    pub delivery: Option<String>,
    pub body: Value,
    /// The signature checked out (`None`: nothing to check).
    pub verified: Option<bool>,
    pub status: u16,
}

/// The running receiver; killed on drop.
pub struct Receiver {
    port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

impl Receiver {
    /// Starts a receiver that expects these secrets and fails the first posts to some paths.
    pub async fn start(
        webhook_secret_opt: Option<&str>,
        dingtalk_secret_opt: Option<&str>,
        fail_first: &[(&str, u32)],
    ) -> Receiver {
        let mut dir = tempfile::tempdir().expect("temp dir");
        let script = dir.path().join("receiver.py");
        std::fs::write(&script, RECEIVER_SCRIPT).expect("write the receiver script");
        let config = json!({
            "webhook_secret": webhook_secret_opt,
            "dingtalk_secret": dingtalk_secret_opt,
            "fail_first": fail_first.iter().map(|(path, n)| (path.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        });
        // The port is free when picked but may be taken before the server binds it (another
        // test picking at once): a receiver that exits is started again on another.
        for _ in 0..3 {
            let port = free_port();
            let stderr = std::fs::File::create(dir.path().join("stderr.txt")).expect("stderr file");
            let child = Command::new(PYTHON)
                .arg(&script)
                .arg(port.to_string())
                .arg(dir.path().join("posts.jsonl"))
                .arg(config.to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .expect("start the receiver");
            let mut receiver = Receiver { port, child, dir };
            if receiver.wait_until_listening().await {
                return receiver;
            }
            dir = std::mem::replace(&mut receiver.dir, tempfile::tempdir().expect("temp dir"));
        }
        panic!(
            "the receiver did not start: {}",
            std::fs::read_to_string(dir.path().join("stderr.txt")).unwrap_or_default()
        );
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://127.0.0.1:{}{path_and_query}", self.port)
    }

    /// Every post so far, in order.
    pub fn posts(&self) -> Vec<Post> {
        std::fs::read_to_string(self.dir.path().join("posts.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line from the receiver"))
            .collect()
    }

    /// The posts to `path`, once there are at least `count` answered 200 (at most 15 s).
    pub async fn wait_for(&self, path: &str, count: usize) -> Vec<Post> {
        for _ in 0..300 {
            let posts: Vec<Post> = self
                .posts()
                .into_iter()
                .filter(|p| p.path == path)
                .collect();
            if posts.iter().filter(|p| p.status == 200).count() >= count {
                return posts;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "fewer than {count} posts to {path} within 15 s: {:?}",
            self.posts()
        );
    }

    /// Whether the receiver listens (within 15 s); false if it exited.
    async fn wait_until_listening(&mut self) -> bool {
        for _ in 0..300 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the receiver did not listen within 15 s: {}",
            self.stderr_text()
        );
    }

    fn stderr_text(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.txt")).unwrap_or_default()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
