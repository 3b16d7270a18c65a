//! A real OpenID provider for the sign-on tests: `oidc-provider` (npm, a certified
//! implementation) run by `tests/peers/oidc-provider/server.mjs` on a free port, with one
//! client and users from a JSON file the test rewrites between sign-ins (their groups, their
//! tenant). Killed on drop. `scripts/test` installs its packages (`npm ci` there).
//!
//! [`OidcProvider::sign_in`] plays the browser: it follows yunguan's `/auth/oidc/login` to the
//! provider, posts the login form, and brings the code back to yunguan's callback, keeping
//! the cookies of both on the way.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::header::LOCATION;
use serde_json::Value;

use crate::helpers::TestApp;

pub const CLIENT_ID: &str = "yunguan";
pub const CLIENT_SECRET: &str = "yunguan-client-secret";
/// Registered with the provider and configured in yunguan: the test takes the code from the
/// provider's redirect and brings it to the app's callback itself, so no server is needed here.
pub const REDIRECT_URL: &str = "http://127.0.0.1:9/api/v1/auth/oidc/callback";

fn peer_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/oidc-provider")
}

pub struct OidcProvider {
    pub issuer: String,
    users_file: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where a sign-in ended: yunguan's login page with a session, or with the reason it failed.
#[derive(Debug, PartialEq, Eq)]
pub enum Landing {
    Token(String),
    Error(String),
}

/// Starts the provider's process and reads its first line (where it listens; nothing else
/// goes to stdout) off the runtime.
fn spawn_provider(
    users_file: &std::path::Path,
) -> (Child, tokio::task::JoinHandle<std::io::Result<String>>) {
    let mut child = Command::new("node")
        .arg(peer_dir().join("server.mjs"))
        .env("PORT", "0")
        .env("CLIENT_ID", CLIENT_ID)
        .env("CLIENT_SECRET", CLIENT_SECRET)
        .env("REDIRECT_URI", REDIRECT_URL)
        .env("USERS_FILE", users_file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start node (the OpenID provider)");
    let stdout = child.stdout.take().expect("the provider's stdout");
    let said = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    });
    (child, said)
}

impl OidcProvider {
    /// Starts the provider with `users` (`{"alice": {"password", "name", "email", "groups",
    /// "tenant"}}`) and waits until it listens.
    pub async fn start(users: &Value) -> OidcProvider {
        assert!(
            peer_dir().join("node_modules/oidc-provider").exists(),
            "the sign-on tests need the OpenID provider's packages: npm ci --prefix tests/peers/oidc-provider (scripts/test does)"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let users_file = dir.path().join("users.json");
        std::fs::write(&users_file, users.to_string()).expect("write the users");
        // Seen once on a loaded machine: a provider that listened but never said so. It is
        // stopped (which also ends the read of its stdout, or the test's runtime could never
        // shut down) and another is started.
        for attempt in 1..=3 {
            let (mut child, said) = spawn_provider(&users_file);
            match tokio::time::timeout(Duration::from_secs(20), said).await {
                Ok(line) => {
                    let line = line.expect("reading its stdout").expect("a line");
                    let issuer = line
                        .trim()
                        .strip_prefix("listening ")
                        .unwrap_or_else(|| panic!("the provider said {line:?}"))
                        .to_owned();
                    return OidcProvider {
                        issuer,
                        users_file,
                        child,
                        _dir: dir,
                    };
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    eprintln!("the OpenID provider did not listen within 20 s (attempt {attempt})");
                }
            }
        }
        panic!("the OpenID provider did not listen in three attempts");
    }

    /// Rewrites the users; the provider reads them at the next sign-in.
    pub fn set_users(&self, users: &Value) {
        std::fs::write(&self.users_file, users.to_string()).expect("write the users");
    }

    /// Signs `login` in at `app` through the provider, as a browser with no session would.
    pub async fn sign_in(&self, app: &TestApp, login: &str, password: &str) -> Landing {
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        // yunguan → the provider's authorization page.
        let start = browser
            .get(format!("{}/api/v1/auth/oidc/login", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(start.status(), 303, "{:?}", start.text().await);
        let mut url = location(&start, &app.address);
        // The provider → its interaction (the login form).
        let mut posted = false;
        for _ in 0..10 {
            if url.starts_with(REDIRECT_URL) {
                // Back to yunguan's callback, with the code and state, and yunguan's cookie.
                let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
                let callback = browser
                    .get(format!("{}/api/v1/auth/oidc/callback?{query}", app.address))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(callback.status(), 303);
                let landing = location(&callback, &app.address);
                let path = landing.strip_prefix(&app.address).unwrap_or(&landing);
                if let Some(fragment) = path.strip_prefix("/login#sso=") {
                    let (token, expires_at) = fragment.split_once("&expires_at=").unwrap();
                    assert!(expires_at.ends_with('Z'), "{expires_at}");
                    return Landing::Token(token.to_owned());
                }
                if let Some(code) = path.strip_prefix("/login?sso_error=") {
                    return Landing::Error(code.to_owned());
                }
                panic!("the callback went to {landing}");
            }
            if url.contains("/interaction/") && !posted {
                let form = browser
                    .post(format!("{url}/login"))
                    .form(&[("login", login), ("password", password)])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(form.status(), 303, "login form: {:?}", form.text().await);
                posted = true;
                url = location(&form, &self.issuer);
                continue;
            }
            let hop = browser.get(&url).send().await.unwrap();
            assert!(hop.status().is_redirection(), "{url}: {}", hop.status());
            url = location(&hop, &self.issuer);
        }
        panic!("the sign-in did not come back: {url}");
    }
}

/// A redirect's target, made absolute against `base`.
fn location(response: &reqwest::Response, base: &str) -> String {
    let target = response
        .headers()
        .get(LOCATION)
        .expect("a redirect")
        .to_str()
        .unwrap()
        .to_owned();
    if target.starts_with("http") {
        target
    } else {
        format!("{base}{target}")
    }
}
