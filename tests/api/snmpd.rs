//! A real SNMP agent for the polling tests: Debian's net-snmp `snmpd`, started in the
//! foreground on a free UDP port with a configuration of its own (a v2c community and a v3
//! authPriv user) and a persistent directory in a temporary folder, so it touches nothing of
//! the machine's.

use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use yunguan::inventory::credentials::{AuthProtocol, Credentials, PrivProtocol};
use yunguan::monitoring::snmp::mux::Multiplexer;
use yunguan::monitoring::snmp::session::{Patience, Session};

const SNMPD: &str = "/usr/sbin/snmpd";
pub const COMMUNITY: &str = "yunguan-ro";
pub const V3_USER: &str = "yunguan-monitor";
pub const V3_AUTH_PASSWORD: &str = "auth-passphrase-1";
pub const V3_PRIV_PASSWORD: &str = "priv-passphrase-1";

/// The running agent; killed on drop.
pub struct Snmpd {
    pub addr: SocketAddr,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Snmpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn v2c() -> Credentials {
    Credentials::v2c(COMMUNITY)
}

pub fn v3() -> Credentials {
    v3_with(V3_AUTH_PASSWORD)
}

pub fn v3_with(auth_password: &str) -> Credentials {
    Credentials::V3 {
        username: V3_USER.to_owned(),
        auth_protocol: AuthProtocol::Sha1,
        auth_password: auth_password.to_owned().into(),
        priv_protocol: PrivProtocol::Aes128,
        priv_password: V3_PRIV_PASSWORD.to_owned().into(),
    }
}

impl Snmpd {
    /// Starts the agent and waits until it answers.
    pub async fn start() -> Snmpd {
        Snmpd::start_with("").await
    }

    /// Starts the agent with `extra` lines in its configuration (a `sysObjectID`, `pass`
    /// programs) and waits until it answers.
    pub async fn start_with(extra: &str) -> Snmpd {
        assert!(
            std::path::Path::new(SNMPD).exists(),
            "net-snmp's snmpd is missing: apt-get install snmpd (.ci/run does)"
        );
        let dir = tempfile::tempdir().expect("temporary folder");
        let port = {
            let probe = UdpSocket::bind("127.0.0.1:0").expect("a free UDP port");
            probe.local_addr().expect("address").port()
        };
        let config = dir.path().join("snmpd.conf");
        std::fs::write(
            &config,
            format!(
                "rocommunity {COMMUNITY} 127.0.0.1\n\
                 createUser {V3_USER} SHA \"{V3_AUTH_PASSWORD}\" AES \"{V3_PRIV_PASSWORD}\"\n\
                 rouser {V3_USER} priv\n\
                 sysLocation yunguan test rack\n\
                 sysContact noc@example.test\n\
                 {extra}\n"
            ),
        )
        .expect("writing snmpd.conf");
        let log = std::fs::File::create(dir.path().join("snmpd.log")).expect("log file");
        let child = Command::new(SNMPD)
            .args(["-f", "-C", "-Lf"])
            .arg(dir.path().join("snmpd.log"))
            .arg("-c")
            .arg(&config)
            .arg("-p")
            .arg(dir.path().join("snmpd.pid"))
            .arg(format!("udp:127.0.0.1:{port}"))
            .env("SNMP_PERSISTENT_DIR", dir.path())
            .env("MIBS", "")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting snmpd");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let snmpd = Snmpd {
            addr,
            child,
            _dir: dir,
        };
        let mux = Multiplexer::bind("127.0.0.1:0".parse().unwrap(), 256).unwrap();
        let mut session = Session::new(
            addr,
            &v2c(),
            &mux,
            Patience::new(Duration::from_millis(200), 0),
        );
        let sys_descr = yunguan_snmp::oid::encode(yunguan_snmp::mib::SYS_DESCR);
        for _ in 0..100 {
            if session.get(&[&sys_descr], |_| ()).await.is_ok() {
                return snmpd;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("snmpd did not answer on {addr}");
    }
}
