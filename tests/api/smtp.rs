//! A real SMTP server for the mail tests: Debian's `python3-aiosmtpd`, run by a small script
//! that appends every message it accepts, decoded, as one JSON line to a spool file.
//!
//! The script records a message before answering 250, so once the sender has been told a
//! mail was accepted, that mail is already in [`SmtpServer::received`]: tests read it at
//! once, without waiting.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde::Deserialize;

/// Debian's interpreter, where `apt-get install python3-aiosmtpd` puts the module (a
/// `python3` earlier on the PATH, such as pyenv's, would not see it).
const PYTHON: &str = "/usr/bin/python3";

const SINK_SCRIPT: &str = r#"
import email
import email.policy
import json
import sys
import threading

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, spool):
        self.spool = spool

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        record = {
            "rcpt_tos": envelope.rcpt_tos,
            "message_id": str(message.get("Message-ID", "")),
            "subject": str(message.get("Subject", "")),
            "body": message.get_content(),
            "raw": envelope.content.decode("utf-8", "replace"),
        }
        # One write per message, before the reply: a client told 250 finds its mail here.
        with open(self.spool, "a", encoding="utf-8") as spool:
            spool.write(json.dumps(record, ensure_ascii=False) + "\n")
        return "250 Message accepted for delivery"


port, spool = int(sys.argv[1]), sys.argv[2]
controller = Controller(Recorder(spool), hostname="127.0.0.1", port=port)
controller.start()
threading.Event().wait()
"#;

/// How long the server gets to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// One accepted message, decoded by Python's `email` package.
#[derive(Debug, Clone, Deserialize)]
pub struct ReceivedMail {
    /// The envelope recipients (`RCPT TO`).
    pub rcpt_tos: Vec<String>,
    pub message_id: String,
    pub subject: String,
    pub body: String,
    /// The message as it came over the wire.
    pub raw: String,
}

/// The running server; killed on drop.
pub struct SmtpServer {
    port: u16,
    child: Child,
    spool: PathBuf,
    /// Holds the script, the spool and the server's stderr.
    dir: tempfile::TempDir,
}

/// A port nothing listens on right now (the OS picks it, and it is released at once).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        SmtpServer::start_on(free_port()).await
    }

    /// Starts the server on `port` and waits until it accepts connections.
    pub async fn start_on(port: u16) -> SmtpServer {
        let has_aiosmtpd = Command::new(PYTHON)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        assert!(
            has_aiosmtpd,
            "the mail tests need a real SMTP server: `apt-get install python3-aiosmtpd` \
             (for {PYTHON}; .ci/run installs it)"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let script = dir.path().join("smtp_sink.py");
        std::fs::write(&script, SINK_SCRIPT).expect("write the SMTP script");
        let spool = dir.path().join("received.jsonl");
        let stderr = std::fs::File::create(dir.path().join("stderr.txt")).expect("stderr file");
        let child = Command::new(PYTHON)
            .arg(script)
            .arg(port.to_string())
            .arg(&spool)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start the SMTP server");
        let mut server = SmtpServer {
            port,
            child,
            spool,
            dir,
        };
        server.wait_until_listening().await;
        server
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every message accepted so far, in order.
    pub fn received(&self) -> Vec<ReceivedMail> {
        let Ok(spool) = std::fs::read_to_string(&self.spool) else {
            return Vec::new();
        };
        spool
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line from the SMTP script"))
            .collect()
    }

    async fn wait_until_listening(&mut self) {
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the SMTP server exited ({status}): {}", self.stderr_text());
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the SMTP server did not listen on port {} within {START_TIMEOUT:?}: {}",
                self.port,
                self.stderr_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn stderr_text(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.txt")).unwrap_or_default()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
