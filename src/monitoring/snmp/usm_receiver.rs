//! Receiving SNMPv3 notifications (authPriv): a trap is signed by its sender's engine, an
//! inform by ours, so the listener is an engine of its own (an id made at start, one boot,
//! seconds since start), which senders discover by a probe it answers with a report, as RFC
//! 3414 describes. A notification is taken from the device at its source address whose v3
//! user signed it, with keys bound to the engine that message names: the sender's for a trap
//! (each sender's clock is followed, and a trap older than it by more than the time window is
//! refused as a replay), ours for an inform, which is answered once it is opened. What is
//! refused is counted by the USM counter a report names, and reported when the sender asks.

use std::collections::HashMap;
use std::time::Instant;

use secrecy::ExposeSecret;
use yunguan_snmp::oid;
use yunguan_snmp::usm::{
    self, AuthProtocol, Message, Outgoing, PrivProtocol, ScopedPdu, UserKeys, FLAG_AUTH, FLAG_PRIV,
    FLAG_REPORTABLE, TAG_INFORM, TAG_TRAP, TIME_WINDOW_SECS,
};

use crate::inventory::credentials::{self, Credentials};

/// The USM counters a report names (usmStats, RFC 3414 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// Below authPriv, which every device's v3 user is.
    UnsupportedSecurityLevel,
    NotInTimeWindow,
    UnknownUserName,
    UnknownEngineId,
    WrongDigest,
    DecryptionError,
}

impl Refusal {
    fn counter_oid(self) -> Vec<u8> {
        let counter = match self {
            Refusal::UnsupportedSecurityLevel => 1,
            Refusal::NotInTimeWindow => 2,
            Refusal::UnknownUserName => 3,
            Refusal::UnknownEngineId => 4,
            Refusal::WrongDigest => 5,
            Refusal::DecryptionError => 6,
        };
        oid::encode(&[1, 3, 6, 1, 6, 3, 15, 1, 1, counter, 0])
    }
}

/// What became of one v3 message.
#[derive(Debug, Default)]
pub struct Received {
    /// The device that sent a notification, and its PDU as a v2c message for `snmp2`.
    pub notification_opt: Option<(i64, Vec<u8>)>,
    /// What to send back: a report, or the response to an inform.
    pub reply_opt: Option<Vec<u8>>,
    /// Why it was refused, if it was.
    pub refusal_opt: Option<Refusal>,
}

/// The latest a trap sender's engine said of its clock.
#[derive(Debug, Clone, Copy)]
struct SenderClock {
    boots: i64,
    time: i64,
}

/// The listener's v3 side; it lives on the listener's task.
pub struct UsmReceiver {
    engine_id: Vec<u8>,
    started: Instant,
    /// Passwords turned into keys (a megabyte of hashing each), by protocol and password.
    password_keys: HashMap<(AuthProtocol, Vec<u8>), Vec<u8>>,
    clocks: HashMap<Vec<u8>, SenderClock>,
    refused: HashMap<Refusal, u32>,
    /// Numbers each encrypted answer's salt.
    salt: u64,
}

/// Our engine's boots: its id is new at each start, so it is always the first.
const BOOTS: i64 = 1;

impl Default for UsmReceiver {
    fn default() -> UsmReceiver {
        UsmReceiver::new()
    }
}

impl UsmReceiver {
    /// An engine with a fresh id (RFC 3411's format 5: administratively assigned octets).
    pub fn new() -> UsmReceiver {
        let mut engine_id = vec![0x80, 0x00, 0x00, 0x00, 0x05];
        engine_id.extend(rand::random::<[u8; 8]>());
        UsmReceiver {
            engine_id,
            started: Instant::now(),
            password_keys: HashMap::new(),
            clocks: HashMap::new(),
            refused: HashMap::new(),
            salt: rand::random(),
        }
    }

    pub fn engine_id(&self) -> &[u8] {
        &self.engine_id
    }

    fn engine_time(&self) -> i64 {
        i64::try_from(self.started.elapsed().as_secs()).unwrap_or(i64::MAX)
    }

    /// Reads one v3 message from an address whose devices are `senders` (with their
    /// credentials); never panics on any input.
    pub fn receive(&mut self, packet: &[u8], senders: &[(i64, Credentials)]) -> Received {
        let Ok(message) = Message::parse(packet) else {
            return Received::default();
        };
        let reportable = message.flags & FLAG_REPORTABLE != 0;
        if message.flags & FLAG_AUTH == 0 {
            // A probe for our engine id, or a message below authPriv.
            let refusal = if reportable && message.engine_id != self.engine_id.as_slice() {
                Refusal::UnknownEngineId
            } else {
                Refusal::UnsupportedSecurityLevel
            };
            return self.refuse(&message, None, refusal, reportable);
        }
        // An inform is under our engine, a trap under its sender's.
        if reportable && message.engine_id != self.engine_id.as_slice() {
            return self.refuse(&message, None, Refusal::UnknownEngineId, true);
        }
        let users: Vec<(i64, &Credentials)> = senders
            .iter()
            .filter(|(_, credentials)| match credentials {
                Credentials::V3 { username, .. } => username.as_bytes() == message.user_name,
                Credentials::V2c { .. } => false,
            })
            .map(|(id, credentials)| (*id, credentials))
            .collect();
        if users.is_empty() {
            return self.refuse(&message, None, Refusal::UnknownUserName, reportable);
        }
        let engine_id = message.engine_id.to_vec();
        let signer = users.into_iter().find_map(|(device_id, credentials)| {
            let keys = self.keys(credentials, &engine_id)?;
            message.signed_by(&keys).then_some((device_id, keys))
        });
        let Some((device_id, keys)) = signer else {
            return self.refuse(&message, None, Refusal::WrongDigest, reportable);
        };
        if !self.in_time(&message, reportable) {
            return self.refuse(&message, Some(&keys), Refusal::NotInTimeWindow, reportable);
        }
        if message.flags & FLAG_PRIV == 0 {
            // Signed but not encrypted: the devices' users are authPriv.
            return self.refuse(
                &message,
                Some(&keys),
                Refusal::UnsupportedSecurityLevel,
                reportable,
            );
        }
        let Ok(contents) = message.scoped_pdu(Some(&keys)) else {
            return self.refuse(&message, Some(&keys), Refusal::DecryptionError, reportable);
        };
        let Ok(scoped) = ScopedPdu::parse(&contents) else {
            return Received::default();
        };
        let notification = Some((device_id, usm::as_v2c_message(scoped.pdu)));
        match (scoped.tag, reportable) {
            (TAG_TRAP, false) => Received {
                notification_opt: notification,
                ..Received::default()
            },
            (TAG_INFORM, true) => {
                let scope = (scoped.context_engine_id, scoped.context_name);
                let reply = self.write(
                    &message,
                    Some(&keys),
                    true,
                    scope,
                    &usm::response_to(scoped.pdu),
                );
                Received {
                    notification_opt: notification,
                    reply_opt: Some(reply),
                    refusal_opt: None,
                }
            }
            // Requests are for agents, and answers for managers: neither is ours.
            _ => Received::default(),
        }
    }

    /// A user's keys for `engine_id`, or none for a user whose keys cannot be made.
    fn keys(&mut self, credentials: &Credentials, engine_id: &[u8]) -> Option<UserKeys> {
        let Credentials::V3 {
            auth_protocol,
            auth_password,
            priv_protocol,
            priv_password,
            ..
        } = credentials
        else {
            return None;
        };
        let auth = match auth_protocol {
            credentials::AuthProtocol::Md5 => AuthProtocol::Md5,
            credentials::AuthProtocol::Sha1 => AuthProtocol::Sha1,
            credentials::AuthProtocol::Sha256 => AuthProtocol::Sha256,
            credentials::AuthProtocol::Sha512 => AuthProtocol::Sha512,
        };
        let privacy = match priv_protocol {
            credentials::PrivProtocol::Des => PrivProtocol::Des,
            credentials::PrivProtocol::Aes128 => PrivProtocol::Aes128,
            credentials::PrivProtocol::Aes256 => PrivProtocol::Aes256,
        };
        let mut password_key = |password: &[u8]| {
            self.password_keys
                .entry((auth, password.to_vec()))
                .or_insert_with(|| usm::password_key(auth, password))
                .clone()
        };
        let auth_key = password_key(auth_password.expose_secret().as_bytes());
        let priv_key = password_key(priv_password.expose_secret().as_bytes());
        UserKeys::for_engine(auth, &auth_key, privacy, &priv_key, engine_id).ok()
    }

    /// Whether the message is timely (RFC 3414 3.2.7): an inform by our clock; a trap by
    /// the latest its sender's engine said, which it then follows.
    fn in_time(&mut self, message: &Message<'_>, ours: bool) -> bool {
        if ours {
            return message.engine_boots == BOOTS
                && (message.engine_time - self.engine_time()).abs() <= TIME_WINDOW_SECS;
        }
        let said = SenderClock {
            boots: message.engine_boots,
            time: message.engine_time,
        };
        let clock = self
            .clocks
            .entry(message.engine_id.to_vec())
            .or_insert(said);
        if said.boots == i64::from(i32::MAX)
            || said.boots < clock.boots
            || (said.boots == clock.boots && said.time < clock.time - TIME_WINDOW_SECS)
        {
            return false;
        }
        if said.boots > clock.boots || said.time > clock.time {
            *clock = said;
        }
        true
    }

    /// Counts the refusal, and reports it when the sender asked for reports: in the clear,
    /// or signed with `keys` when they are known (a clock that is off).
    fn refuse(
        &mut self,
        message: &Message<'_>,
        keys_opt: Option<&UserKeys>,
        refusal: Refusal,
        reportable: bool,
    ) -> Received {
        let count = self.refused.entry(refusal).or_default();
        *count = count.wrapping_add(1);
        let count = *count;
        let reply_opt = reportable.then(|| {
            // The request's id where it can be read (in the clear, or with the keys); a
            // requester matches a v3 report by its msgID anyway (RFC 3412 7.2).
            let request_id = message
                .scoped_pdu(keys_opt)
                .ok()
                .and_then(|contents| Some(ScopedPdu::parse(&contents).ok()?.request_id))
                .unwrap_or(0);
            let report = usm::report(request_id, &refusal.counter_oid(), count);
            let ours = self.engine_id.clone();
            self.write(message, keys_opt, false, (&ours, b""), &report)
        });
        Received {
            notification_opt: None,
            reply_opt,
            refusal_opt: Some(refusal),
        }
    }

    /// A message answering `message` under our engine: signed with `keys_opt` (none: in the
    /// clear), encrypted too when `encrypt`, its PDU in `scope` (context engine and name).
    fn write(
        &mut self,
        message: &Message<'_>,
        keys_opt: Option<&UserKeys>,
        encrypt: bool,
        scope: (&[u8], &[u8]),
        pdu: &[u8],
    ) -> Vec<u8> {
        self.salt = self.salt.wrapping_add(1);
        usm::write(
            &Outgoing {
                msg_id: message.msg_id,
                engine_id: &self.engine_id,
                engine_boots: BOOTS,
                engine_time: self.engine_time(),
                user_name: message.user_name,
                keys_opt,
                encrypt,
                salt: self.salt,
                context_engine_id: scope.0,
                context_name: scope.1,
            },
            pdu,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::credentials::{AuthProtocol as Auth, PrivProtocol as Priv};

    fn noc() -> Credentials {
        Credentials::V3 {
            username: "noc".to_owned(),
            auth_protocol: Auth::Sha1,
            auth_password: "auth-pass-1".to_owned().into(),
            priv_protocol: Priv::Aes128,
            priv_password: "priv-pass-1".to_owned().into(),
        }
    }

    /// A trap from engine `engine` saying `boots` and `time`, signed and encrypted.
    fn trap(receiver: &mut UsmReceiver, engine: &[u8], boots: i64, time: i64) -> Vec<u8> {
        let keys = receiver.keys(&noc(), engine).unwrap();
        let mut pdu = usm::report(1, &[0x2b, 6, 1], 1);
        pdu[0] = TAG_TRAP;
        usm::write(
            &Outgoing {
                msg_id: 1,
                engine_id: engine,
                engine_boots: boots,
                engine_time: time,
                user_name: b"noc",
                keys_opt: Some(&keys),
                encrypt: true,
                salt: 7,
                context_engine_id: engine,
                context_name: b"",
            },
            &pdu,
        )
    }

    #[test]
    fn a_trap_older_than_its_senders_clock_is_a_replay() {
        let mut receiver = UsmReceiver::new();
        let devices = [(9, noc()), (10, Credentials::v2c("public"))];
        let engine = b"\x80\x00\x1f\x88\x04sender";
        let outcome = |receiver: &mut UsmReceiver, boots, time| {
            let packet = trap(receiver, engine, boots, time);
            let received = receiver.receive(&packet, &devices);
            assert!(received.reply_opt.is_none(), "a trap is never answered");
            received
                .notification_opt
                .map(|(device_id, _)| device_id)
                .ok_or(received.refusal_opt)
        };
        assert_eq!(outcome(&mut receiver, 5, 1_000), Ok(9));
        assert_eq!(outcome(&mut receiver, 5, 900), Ok(9), "within the window");
        assert_eq!(
            outcome(&mut receiver, 5, 800),
            Err(Some(Refusal::NotInTimeWindow))
        );
        assert_eq!(
            outcome(&mut receiver, 4, 5_000),
            Err(Some(Refusal::NotInTimeWindow)),
            "an earlier boot"
        );
        assert_eq!(outcome(&mut receiver, 6, 3), Ok(9), "a reboot moves on");
        // Another engine has a clock of its own.
        let other = trap(&mut receiver, b"another", 1, 1);
        assert_eq!(
            receiver
                .receive(&other, &devices)
                .notification_opt
                .map(|n| n.0),
            Some(9)
        );
    }

    #[test]
    fn a_probe_learns_the_engine_and_an_unsigned_or_unknown_message_is_refused() {
        let mut receiver = UsmReceiver::new();
        let devices = [(9, noc())];
        // net-snmp's probe: reportable, unauthenticated, no engine, no user.
        let probe = usm::write(
            &Outgoing {
                msg_id: 77,
                engine_id: b"",
                engine_boots: 0,
                engine_time: 0,
                user_name: b"",
                keys_opt: None,
                encrypt: false,
                salt: 0,
                context_engine_id: b"",
                context_name: b"",
            },
            &usm::report(5, &[0x2b], 0),
        );
        let mut reportable = probe.clone();
        // The flags are the header's one-byte octet string: set "reportable".
        let flags_at = reportable
            .windows(3)
            .position(|w| w == [0x04, 0x01, 0x00])
            .unwrap();
        reportable[flags_at + 2] = FLAG_REPORTABLE;
        let answer = receiver.receive(&reportable, &devices);
        assert_eq!(answer.refusal_opt, Some(Refusal::UnknownEngineId));
        let report = answer.reply_opt.expect("a report");
        let report = Message::parse(&report).unwrap();
        assert_eq!(
            (report.msg_id, report.engine_id, report.engine_boots),
            (77, receiver.engine_id(), BOOTS)
        );
        // Not reportable, and unauthenticated: refused, not answered.
        let quiet = receiver.receive(&probe, &devices);
        assert!(quiet.reply_opt.is_none() && quiet.notification_opt.is_none());
        assert_eq!(quiet.refusal_opt, Some(Refusal::UnsupportedSecurityLevel));
        // Nobody at that address has the user.
        let stranger = trap(&mut receiver, b"engine", 1, 1);
        let received = receiver.receive(&stranger, &[(1, Credentials::v2c("noc"))]);
        assert_eq!(received.refusal_opt, Some(Refusal::UnknownUserName));
        for garbage in [&b""[..], b"\x30\x00", &stranger[..stranger.len() / 2]] {
            let received = receiver.receive(garbage, &devices);
            assert!(received.notification_opt.is_none() && received.reply_opt.is_none());
        }
    }
}
