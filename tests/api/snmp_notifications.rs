//! SNMP notifications sent by net-snmp's own tools, `snmptrap` and `snmpinform`, over v2c and
//! v3 authPriv, into the trap listener: each is taken from the device whose community or v3
//! user it carries (keys bound to the sender's engine for a trap, to the listener's for an
//! inform); an inform is answered, which the tool waits for; a wrong password, an unknown user
//! or community, and a replayed trap are refused.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::process::Command;
use tokio::sync::mpsc;
use yunguan::inventory::credentials::{AuthProtocol, Credentials, PrivProtocol};
use yunguan::monitoring::snmp::traps::{Senders, Trap, TrapKind, TrapListener};

/// Every device is at the loopback address.
struct Loopback(Vec<(i64, Credentials)>);

impl Senders for Loopback {
    fn at(&self, ip: IpAddr) -> Vec<(i64, Credentials)> {
        if ip.is_loopback() {
            self.0.clone()
        } else {
            Vec::new()
        }
    }
}

fn v3(username: &str, auth: AuthProtocol, privacy: PrivProtocol) -> Credentials {
    Credentials::V3 {
        username: username.to_owned(),
        auth_protocol: auth,
        auth_password: format!("{username}-auth-pass").into(),
        priv_protocol: privacy,
        priv_password: format!("{username}-priv-pass").into(),
    }
}

/// The net-snmp options of a v3 user, with `auth_password` as its authentication password.
fn v3_options(username: &str, auth: &str, privacy: &str, auth_password: &str) -> Vec<String> {
    [
        "-v3",
        "-l",
        "authPriv",
        "-u",
        username,
        "-a",
        auth,
        "-A",
        auth_password,
        "-x",
        privacy,
        "-X",
        &format!("{username}-priv-pass"),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Runs a net-snmp tool against `target` with its own empty configuration and persistent
/// directory, answering within 2 s or failing; whether it succeeded, and what it said.
async fn net_snmp(
    tool: &str,
    options: &[String],
    target: SocketAddr,
    notification: &[&str],
) -> (bool, String) {
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(tool)
        .env("SNMP_PERSISTENT_DIR", home.path())
        .env("SNMPCONFPATH", home.path())
        .env("MIBS", "")
        .args(options)
        .args(["-t", "1", "-r", "1"])
        .arg(format!("udp:{target}"))
        .args(notification)
        .kill_on_drop(true)
        .output()
        .await
        .unwrap_or_else(|error| panic!("running {tool}: {error}"));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// sysUpTime, then linkDown (or linkUp) of interface 3.
fn link(up: bool) -> [&'static str; 5] {
    [
        "4200",
        if up {
            "1.3.6.1.6.3.1.1.5.4"
        } else {
            "1.3.6.1.6.3.1.1.5.3"
        },
        "1.3.6.1.2.1.2.2.1.1.3",
        "i",
        "3",
    ]
}

async fn next(traps: &mut mpsc::UnboundedReceiver<Trap>) -> Option<Trap> {
    tokio::time::timeout(Duration::from_secs(3), traps.recv())
        .await
        .ok()
        .flatten()
}

async fn listen() -> (TrapListener, mpsc::UnboundedReceiver<Trap>) {
    let devices = Loopback(vec![
        (1, Credentials::v2c("edge-community")),
        (2, v3("noc", AuthProtocol::Sha1, PrivProtocol::Aes128)),
        (3, v3("legacy", AuthProtocol::Md5, PrivProtocol::Des)),
        (4, v3("strong", AuthProtocol::Sha256, PrivProtocol::Aes256)),
        (5, v3("core", AuthProtocol::Sha512, PrivProtocol::Aes128)),
    ]);
    let (trap_tx, trap_rx) = mpsc::unbounded_channel();
    let listener = TrapListener::bind("127.0.0.1:0".parse().unwrap(), devices, move |trap| {
        let _ = trap_tx.send(trap);
    })
    .await
    .unwrap();
    (listener, trap_rx)
}

#[tokio::test]
async fn v3_traps_are_taken_from_the_user_that_signed_them() {
    let (listener, mut traps) = listen().await;
    let target = listener.local_addr();
    for (device_id, user, auth, privacy, engine) in [
        (2, "noc", "SHA", "AES", "80001f880401020304"),
        (3, "legacy", "MD5", "DES", "80001f880405060708"),
        (4, "strong", "SHA-256", "AES-256", "80001f880409101112"),
    ] {
        let mut options = v3_options(user, auth, privacy, &format!("{user}-auth-pass"));
        options.extend(["-e".to_owned(), engine.to_owned()]);
        let (sent, said) = net_snmp("snmptrap", &options, target, &link(false)).await;
        assert!(sent, "{user}: {said}");
        let trap = next(&mut traps)
            .await
            .unwrap_or_else(|| panic!("{user}'s trap"));
        assert_eq!(
            (trap.device_id, trap.kind, trap.uptime_ticks),
            (device_id, TrapKind::LinkDown { if_index: 3 }, 4200),
            "{user}"
        );
    }
    // A wrong password and an unknown user are refused, and so is a v2c trap whose
    // community no device has.
    let mut wrong = v3_options("noc", "SHA", "AES", "not-the-password");
    wrong.extend(["-e".to_owned(), "80001f880401020304".to_owned()]);
    assert!(net_snmp("snmptrap", &wrong, target, &link(false)).await.0);
    let mut stranger = v3_options("stranger", "SHA", "AES", "stranger-auth-pass");
    stranger.extend(["-e".to_owned(), "80001f880401020304".to_owned()]);
    assert!(
        net_snmp("snmptrap", &stranger, target, &link(false))
            .await
            .0
    );
    let v2c = ["-v2c", "-c", "guessed"].map(str::to_owned).to_vec();
    assert!(net_snmp("snmptrap", &v2c, target, &link(false)).await.0);
    assert!(
        next(&mut traps).await.is_none(),
        "a refused trap came through"
    );
    let v2c = ["-v2c", "-c", "edge-community"].map(str::to_owned).to_vec();
    assert!(net_snmp("snmptrap", &v2c, target, &link(true)).await.0);
    let trap = next(&mut traps).await.expect("the v2c trap");
    assert_eq!(
        (trap.device_id, trap.kind),
        (1, TrapKind::LinkUp { if_index: 3 })
    );
    assert_eq!(listener.stats().dropped.load(Ordering::Relaxed), 3);
}

#[tokio::test]
async fn informs_are_answered_once_taken_and_refused_with_a_report() {
    let (listener, mut traps) = listen().await;
    let target = listener.local_addr();
    // snmpinform discovers the listener's engine, sends the inform under it, and succeeds
    // only when it is answered.
    for (device_id, user, auth, privacy) in
        [(5, "core", "SHA-512", "AES"), (2, "noc", "SHA", "AES")]
    {
        let options = v3_options(user, auth, privacy, &format!("{user}-auth-pass"));
        let (answered, said) = net_snmp("snmpinform", &options, target, &link(true)).await;
        assert!(answered, "{user}: {said}");
        let trap = next(&mut traps).await.expect("the inform");
        assert_eq!(
            (trap.device_id, trap.kind),
            (device_id, TrapKind::LinkUp { if_index: 3 })
        );
    }
    // A wrong password is told at once with a report, not left to time out.
    let wrong = v3_options("noc", "SHA", "AES", "not-the-password");
    let started = std::time::Instant::now();
    let (answered, said) = net_snmp("snmpinform", &wrong, target, &link(true)).await;
    assert!(!answered);
    assert!(said.contains("Authentication failure"), "{said}");
    assert!(started.elapsed() < Duration::from_secs(2), "{said}");
    let v2c = ["-v2c", "-c", "edge-community"].map(str::to_owned).to_vec();
    let (answered, said) = net_snmp("snmpinform", &v2c, target, &link(false)).await;
    assert!(answered, "{said}");
    let trap = next(&mut traps).await.expect("the v2c inform");
    assert_eq!(
        (trap.device_id, trap.kind),
        (1, TrapKind::LinkDown { if_index: 3 })
    );
    assert!(next(&mut traps).await.is_none());
}
