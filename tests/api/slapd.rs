//! A real LDAP directory for the login tests: Debian's OpenLDAP `slapd`, built and started
//! by `tests/peers/slapd/start.sh` in a temporary folder of its own, on a free TCP port of
//! 127.0.0.1, seeded from `tests/peers/slapd/directory.ldif`. It touches nothing of the
//! machine's own slapd, and runs as the caller (root in CI) without the openldap user.
//!
//! The directory, suffix `dc=yunguan,dc=test`:
//! - [`ADMIN_DN`] / [`ADMIN_PASSWORD`]: the rootdn, which [`Slapd::modify`] and the other
//!   helpers here use to change the directory under a running test;
//! - [`SERVICE_DN`] / [`SERVICE_PASSWORD`]: the application's account, which may read
//!   (search) everything but passwords;
//! - the users `uid=NAME,ou=people,…` ([`user_dn`]): [`ALICE`] (display name
//!   [`ALICE_DISPLAY_NAME`], 王丽), [`BOB`], [`CAROL`], each with the password `NAME-pass`;
//!   a user may bind and read their own entry, nothing else;
//! - the groups `cn=NAME,ou=groups,…` ([`group_dn`]), `groupOfNames` with `member` DNs and
//!   no `memberOf`: `yunguan-admins` holds alice, [`EDU_DEVELOPERS_GROUP`] bob,
//!   `health-operators` no one; carol is in no group.
//!
//! Anonymous clients may bind with a password but read nothing (except the root DSE); a DN
//! with an empty password is refused (53), a wrong password is 49.
//!
//! `groupOfNames` requires at least one `member`, so a group with no one in it holds the
//! empty DN (`member:`) instead, which matches no user.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SLAPD: &str = "/usr/sbin/slapd";
const LDAPMODIFY: &str = "/usr/bin/ldapmodify";
const LDAPSEARCH: &str = "/usr/bin/ldapsearch";
const LDAPWHOAMI: &str = "/usr/bin/ldapwhoami";

pub const PEOPLE_DN: &str = "ou=people,dc=yunguan,dc=test";
pub const GROUPS_DN: &str = "ou=groups,dc=yunguan,dc=test";

pub const ADMIN_DN: &str = "cn=admin,dc=yunguan,dc=test";
pub const ADMIN_PASSWORD: &str = "admin-secret";
pub const SERVICE_DN: &str = "cn=yunguan,ou=services,dc=yunguan,dc=test";
pub const SERVICE_PASSWORD: &str = "service-secret";

pub const ALICE: &str = "alice";
pub const ALICE_PASSWORD: &str = "alice-pass";
pub const ALICE_DISPLAY_NAME: &str = "王丽";

pub const BOB: &str = "bob";
pub const BOB_PASSWORD: &str = "bob-pass";

pub const CAROL: &str = "carol";
pub const CAROL_PASSWORD: &str = "carol-pass";

pub const EDU_DEVELOPERS_GROUP: &str = "edu-developers";

/// How long slapd gets to build its directory and listen (it takes about 0.1 s).
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Where start.sh has slapd write its pid, under the temporary folder.
const PID_FILE: &str = "server/slapd.pid";

/// Starts tried, each on a new free port, should another process take the port first.
const START_ATTEMPTS: u32 = 3;

/// The DN of the user `uid`.
pub fn user_dn(uid: &str) -> String {
    format!("uid={uid},{PEOPLE_DN}")
}

/// The DN of the group `cn`.
pub fn group_dn(cn: &str) -> String {
    format!("cn={cn},{GROUPS_DN}")
}

/// One group as the directory holds it.
#[derive(Debug, Clone)]
pub struct Group {
    pub dn: String,
    pub cn: String,
    /// The member DNs, without the empty placeholder of a group with no one in it.
    pub members: Vec<String>,
}

/// The running server; killed on drop.
pub struct Slapd {
    /// `ldap://127.0.0.1:PORT`
    pub url: String,
    pub port: u16,
    child: Child,
    /// Holds the server (`server/`: its cn=config and database) and its stderr.
    dir: tempfile::TempDir,
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on right now (the OS picks it, and it is released at once).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

impl Slapd {
    /// Builds the directory, starts slapd and waits until it answers a bind.
    pub async fn start() -> Slapd {
        for tool in [SLAPD, LDAPMODIFY, LDAPSEARCH, LDAPWHOAMI] {
            assert!(
                Path::new(tool).exists(),
                "{tool} is missing: the LDAP tests need Debian's OpenLDAP server and tools: \
                 apt-get install -y slapd ldap-utils"
            );
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let child = spawn(dir.path(), port);
        let mut slapd = Slapd {
            url: format!("ldap://127.0.0.1:{port}"),
            port,
            child,
            dir,
        };
        let mut attempt = 1;
        loop {
            match slapd.wait_until_listening().await {
                Ok(()) => return slapd,
                Err(exited) if attempt < START_ATTEMPTS => {
                    // Most likely the port was taken in between; the directory is built
                    // already, so the script only starts slapd again.
                    eprintln!(
                        "slapd on port {}: {exited}; trying another port",
                        slapd.port
                    );
                    attempt += 1;
                    slapd.port = free_port();
                    slapd.url = format!("ldap://127.0.0.1:{}", slapd.port);
                    slapd.child = spawn(slapd.dir.path(), slapd.port);
                }
                Err(exited) => panic!("slapd did not start on port {}: {exited}", slapd.port),
            }
        }
    }

    /// Waits until slapd accepts a bind of the service account; `Err` when it exited.
    async fn wait_until_listening(&mut self) -> Result<(), String> {
        // Real time, not tokio's: a test with a paused clock must still wait for slapd.
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("it exited ({status}): {}", self.stderr_text()));
            }
            // slapd writes its pid file once it holds the port: only then is the server on
            // the port ours and not, say, another test's that took the port first.
            let ours = std::fs::read_to_string(self.dir.path().join(PID_FILE))
                .is_ok_and(|pid| pid.trim() == self.child.id().to_string());
            if ours
                && tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                    .await
                    .is_ok()
                && self.binds(SERVICE_DN, SERVICE_PASSWORD)
            {
                return Ok(());
            }
            assert!(
                Instant::now() < deadline,
                "slapd did not answer on port {} within {START_TIMEOUT:?}: {}",
                self.port,
                self.stderr_text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// What slapd and the start script wrote on stderr (slapd's errors only).
    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.txt")).unwrap_or_default()
    }

    /// Whether a simple bind as `dn` with `password` succeeds (`ldapwhoami`).
    pub fn binds(&self, dn: &str, password: &str) -> bool {
        ldap_tool(LDAPWHOAMI)
            .args(["-H", &self.url, "-D", dn, "-w", password])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// Applies `ldif` (in `ldapmodify`'s format: `dn:`, `changetype:`, …) as the rootdn;
    /// panics with ldapmodify's complaint when the directory refuses it.
    pub fn modify(&self, ldif: &str) {
        let mut child = ldap_tool(LDAPMODIFY)
            .args(["-H", &self.url, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("running ldapmodify");
        child
            .stdin
            .take()
            .expect("ldapmodify's stdin")
            .write_all(ldif.as_bytes())
            .expect("feeding ldapmodify");
        let output = child.wait_with_output().expect("ldapmodify");
        assert!(
            output.status.success(),
            "ldapmodify failed ({}): {}{}\nLDIF:\n{ldif}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Searches the subtree of `base` as the rootdn; every entry as `(attribute, value)`
    /// pairs, the DN first as `("dn", …)`, values decoded.
    pub fn search(
        &self,
        base: &str,
        filter: &str,
        attributes: &[&str],
    ) -> Vec<Vec<(String, String)>> {
        let output = ldap_tool(LDAPSEARCH)
            .args(["-LLL", "-o", "ldif_wrap=no", "-H", &self.url])
            .args(["-D", ADMIN_DN, "-w", ADMIN_PASSWORD, "-b", base, filter])
            .args(attributes)
            .stdin(Stdio::null())
            .output()
            .expect("running ldapsearch");
        assert!(
            output.status.success(),
            "ldapsearch -b {base} {filter} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        parse_ldif(&String::from_utf8(output.stdout).expect("UTF-8 from ldapsearch"))
    }

    /// Every group under `ou=groups`.
    pub fn groups(&self) -> Vec<Group> {
        self.search(GROUPS_DN, "(objectClass=groupOfNames)", &["cn", "member"])
            .into_iter()
            .map(|entry| {
                let mut group = Group {
                    dn: String::new(),
                    cn: String::new(),
                    members: Vec::new(),
                };
                for (attribute, value) in entry {
                    match attribute.to_ascii_lowercase().as_str() {
                        "dn" => group.dn = value,
                        // The RDN's value comes first.
                        "cn" if group.cn.is_empty() => group.cn = value,
                        "member" if !value.is_empty() => group.members.push(value),
                        _ => {}
                    }
                }
                group
            })
            .collect()
    }

    /// Makes the user `uid` a member of exactly `groups` (by `cn`): removes them from every
    /// other group, adds them where missing, and creates a group that does not exist yet.
    pub fn set_groups(&self, uid: &str, groups: &[&str]) {
        let dn = user_dn(uid);
        let existing = self.groups();
        let mut ldif = String::new();
        for group in &existing {
            let is_member = group
                .members
                .iter()
                .any(|member| member.eq_ignore_ascii_case(&dn));
            let wanted = groups
                .iter()
                .any(|name| name.eq_ignore_ascii_case(&group.cn));
            if is_member == wanted {
                continue;
            }
            let mut members: Vec<&str> = group
                .members
                .iter()
                .filter(|member| !member.eq_ignore_ascii_case(&dn))
                .map(String::as_str)
                .collect();
            if wanted {
                members.push(&dn);
            }
            if members.is_empty() {
                // groupOfNames must keep a member: the empty DN, which is no one.
                members.push("");
            }
            writeln!(
                ldif,
                "dn: {}\nchangetype: modify\nreplace: member",
                group.dn
            )
            .unwrap();
            for member in members {
                writeln!(ldif, "member: {member}").unwrap();
            }
            ldif.push_str("-\n\n");
        }
        for name in groups {
            if !existing
                .iter()
                .any(|group| group.cn.eq_ignore_ascii_case(name))
            {
                writeln!(
                    ldif,
                    "dn: {}\nchangetype: add\nobjectClass: groupOfNames\ncn: {name}\nmember: {dn}\n",
                    group_dn(name)
                )
                .unwrap();
            }
        }
        if !ldif.is_empty() {
            self.modify(&ldif);
        }
    }
}

/// Runs `tests/peers/slapd/start.sh DIR/server PORT`, which ends by exec'ing slapd: the child
/// is slapd itself once it runs, with the same pid.
fn spawn(dir: &Path, port: u16) -> Child {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/slapd/start.sh");
    let _ = std::fs::remove_file(dir.join(PID_FILE));
    let stderr = std::fs::File::create(dir.join("stderr.txt")).expect("slapd's stderr file");
    Command::new("/bin/sh")
        .arg(script)
        .arg(dir.join("server"))
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("starting slapd")
}

/// An OpenLDAP client tool doing a simple bind, deaf to the machine's `/etc/ldap/ldap.conf`
/// and `~/.ldaprc`.
fn ldap_tool(program: &str) -> Command {
    let mut command = Command::new(program);
    command.arg("-x").env("LDAPNOINIT", "1");
    command
}

/// Entries of unwrapped LDIF (`ldapsearch -LLL -o ldif_wrap=no`), base64 values decoded.
fn parse_ldif(text: &str) -> Vec<Vec<(String, String)>> {
    text.split("\n\n")
        .map(|entry| {
            entry
                .lines()
                .filter(|line| !line.is_empty() && !line.starts_with('#'))
                .map(|line| {
                    let (attribute, rest) = line.split_once(':').expect("an LDIF line");
                    let value = match rest.strip_prefix(':') {
                        Some(encoded) => {
                            String::from_utf8(base64_decode(encoded.trim())).expect("a UTF-8 value")
                        }
                        None => rest.trim_start().to_owned(),
                    };
                    (attribute.to_owned(), value)
                })
                .collect::<Vec<_>>()
        })
        .filter(|entry| !entry.is_empty())
        .collect()
}

fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut bytes = Vec::new();
    for symbol in text.bytes().filter(|symbol| *symbol != b'=') {
        let value = ALPHABET
            .iter()
            .position(|letter| *letter == symbol)
            .expect("base64 from ldapsearch");
        bits = (bits << 6) | value as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    bytes
}
