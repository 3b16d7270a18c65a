//! A recording of a real agent, replayed: snmpsim's `.snmprec` format (one `oid|tag|value`
//! line per object, as `snmprec.py` or `snmpwalk -ObentU` output converts to), served over
//! SNMPv2c on a UDP port of its own, with [`Habits`] on top. Tests poll real agents' answers
//! this way (NUL-terminated names, no `ifXTable`, odd indexes) without the devices.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;
use yunguan_snmp::ber::{Value, Writer};
use yunguan_snmp::oid;
use yunguan_snmp::snmp2::{Pdu, Version};

use super::agent::{self, Habits, MibView};

/// The most varbinds one answer carries.
const MAX_VARBINDS_PER_ANSWER: usize = 200;

/// One recorded value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Recorded {
    Integer(i64),
    Octets(Vec<u8>),
    Null,
    Oid(Vec<u8>),
    IpAddress([u8; 4]),
    Counter32(u32),
    Gauge32(u32),
    TimeTicks(u32),
    Counter64(u64),
}

/// A recorded agent's objects, in OID order.
#[derive(Debug, Clone, Default)]
pub struct Recording {
    objects: Vec<(Vec<u8>, Recorded)>,
}

impl Recording {
    /// Reads `.snmprec` text. Tags: 2 Integer, 4 OctetString (`4x`: hex), 5 Null, 6 OID,
    /// 64 IpAddress (`64x`: hex), 65 Counter32, 66 Gauge32, 67 TimeTicks, 70 Counter64.
    pub fn parse(text: &str) -> Result<Recording, String> {
        let mut objects = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = |why: &str| format!("line {}: {why}: {line}", number + 1);
            let mut fields = line.splitn(3, '|');
            let (Some(name), Some(tag), Some(value)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err(at("not oid|tag|value"));
            };
            let name = oid::encode(&arcs(name).ok_or_else(|| at("bad OID"))?);
            let recorded = recorded(tag, value).ok_or_else(|| at("bad value"))?;
            objects.push((name, recorded));
        }
        objects.sort_by(|a, b| a.0.cmp(&b.0));
        objects.dedup_by(|a, b| a.0 == b.0);
        Ok(Recording { objects })
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

fn arcs(dotted: &str) -> Option<Vec<u32>> {
    dotted
        .trim_start_matches('.')
        .split('.')
        .map(|arc| arc.parse().ok())
        .collect()
}

fn recorded(tag: &str, value: &str) -> Option<Recorded> {
    let hex = |text: &str| -> Option<Vec<u8>> {
        (0..text.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
            .collect()
    };
    Some(match tag {
        "2" => Recorded::Integer(value.parse().ok()?),
        "4" => Recorded::Octets(value.as_bytes().to_vec()),
        "4x" => Recorded::Octets(hex(value)?),
        "5" => Recorded::Null,
        "6" => Recorded::Oid(oid::encode(&arcs(value)?)),
        "64" => Recorded::IpAddress(value.parse::<std::net::Ipv4Addr>().ok()?.octets()),
        "64x" => Recorded::IpAddress(hex(value)?.try_into().ok()?),
        "65" => Recorded::Counter32(value.parse().ok()?),
        "66" => Recorded::Gauge32(value.parse().ok()?),
        "67" => Recorded::TimeTicks(value.parse().ok()?),
        "70" => Recorded::Counter64(value.parse().ok()?),
        _ => return None,
    })
}

impl Recorded {
    fn value(&self) -> Value<'_> {
        match self {
            Recorded::Integer(n) => Value::Integer(*n),
            Recorded::Octets(bytes) => Value::OctetString(bytes),
            Recorded::Null => Value::Null,
            Recorded::Oid(bytes) => Value::ObjectIdentifier(bytes),
            Recorded::IpAddress(octets) => Value::IpAddress(*octets),
            Recorded::Counter32(n) => Value::Counter32(*n),
            Recorded::Gauge32(n) => Value::Gauge32(*n),
            Recorded::TimeTicks(n) => Value::TimeTicks(*n),
            Recorded::Counter64(n) => Value::Counter64(*n),
        }
    }
}

impl MibView for Recording {
    fn exact(&self, oid: &[u8]) -> Option<(&[u8], Value<'_>)> {
        let idx = self
            .objects
            .binary_search_by(|(name, _)| name.as_slice().cmp(oid))
            .ok()?;
        let (name, recorded) = &self.objects[idx];
        Some((name, recorded.value()))
    }

    fn next_after(&self, oid: &[u8]) -> Option<(&[u8], Value<'_>)> {
        let idx = self
            .objects
            .partition_point(|(name, _)| name.as_slice() <= oid);
        let (name, recorded) = self.objects.get(idx)?;
        Some((name, recorded.value()))
    }
}

/// A recording answering on a UDP port of its own to one community; stops when dropped.
pub struct RecordingAgent {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for RecordingAgent {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RecordingAgent {
    pub async fn start(
        recording: Recording,
        community: &str,
        habits: Habits,
    ) -> std::io::Result<RecordingAgent> {
        let socket = UdpSocket::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = socket.local_addr()?;
        let agent = Arc::new((recording, community.as_bytes().to_vec(), habits));
        let task = tokio::spawn(async move {
            let (recording, community, habits) = &*agent;
            let mut packet = vec![0u8; 65_536];
            let mut writer = Writer::default();
            loop {
                let Ok((len, peer)) = socket.recv_from(&mut packet).await else {
                    continue;
                };
                let Ok(request) = Pdu::from_bytes(&packet[..len]) else {
                    continue;
                };
                if request.version().ok() != Some(Version::V2C) || request.community != community {
                    continue;
                }
                let answer = agent::answer(
                    recording,
                    habits,
                    &request,
                    MAX_VARBINDS_PER_ANSWER,
                    &mut writer,
                );
                if let Some((bytes, _)) = answer {
                    let _ = socket.send_to(bytes, peer).await;
                }
            }
        });
        Ok(RecordingAgent { addr, task })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_snmprec_lines_in_oid_order() {
        let recording = Recording::parse(
            "1.3.6.1.2.1.2.2.1.2.10|4x|6574683000\n\
             1.3.6.1.2.1.1.3.0|67|82795\n\
             # a comment\n\
             1.3.6.1.2.1.2.2.1.2.9|4|lo\n",
        )
        .unwrap();
        assert_eq!(recording.len(), 3);
        let (_, first) = recording.next_after(&[]).unwrap();
        assert_eq!(first, Value::TimeTicks(82795));
        let ifdescr_10 = oid::encode(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 10]);
        let (_, value) = recording.exact(&ifdescr_10).unwrap();
        assert_eq!(value, Value::OctetString(b"eth0\0"));
        assert!(Recording::parse("1.3.6.1|99|x").is_err());
        assert!(Recording::parse("1.3.x.1|2|1").is_err());
        assert!(Recording::parse("1.3.6.1.2|4x|abc").is_err());
    }
}
