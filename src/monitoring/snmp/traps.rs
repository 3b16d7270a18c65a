//! The trap listener: a UDP socket that takes each notification from the device that sent
//! it and hands what it means (a link down or up, an agent restart) to a callback, the moment
//! it arrives. The sender is a device at the packet's source address: for a v2c trap, the one
//! whose community it carries; for a v3 trap or inform (authPriv), the one whose user signed
//! it (`usm_receiver`, which also answers informs and discovery probes). Anything else is
//! counted and dropped.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;
use yunguan_snmp::snmp2::{AsnReader, MessageType, Pdu, Value};
use yunguan_snmp::{mib, oid, usm};

use super::usm_receiver::UsmReceiver;
use crate::inventory::credentials::Credentials;

/// What a trap says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrapKind {
    LinkDown {
        if_index: u32,
    },
    LinkUp {
        if_index: u32,
    },
    ColdStart,
    WarmStart,
    /// Any other notification, by its OID.
    Other(String),
}

/// A notification taken from a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap {
    pub from: SocketAddr,
    pub device_id: i64,
    pub kind: TrapKind,
    pub uptime_ticks: u32,
}

/// Who may send notifications from an address.
pub trait Senders: Send + Sync + 'static {
    /// The devices at `ip`, with their credentials.
    fn at(&self, ip: IpAddr) -> Vec<(i64, Credentials)>;
}

/// Counters of the listener.
#[derive(Debug, Default)]
pub struct TrapStats {
    pub received: AtomicU64,
    pub dropped: AtomicU64,
    /// Informs answered.
    pub answered: AtomicU64,
}

/// A running listener; dropping it stops it.
pub struct TrapListener {
    local_addr: SocketAddr,
    stats: Arc<TrapStats>,
    task: JoinHandle<()>,
}

impl Drop for TrapListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct TrapOids {
    uptime: Vec<u8>,
    trap_oid: Vec<u8>,
    link_down: Vec<u8>,
    link_up: Vec<u8>,
    cold_start: Vec<u8>,
    warm_start: Vec<u8>,
    if_index_column: Vec<u8>,
}

static OIDS: LazyLock<TrapOids> = LazyLock::new(|| TrapOids {
    uptime: oid::encode(mib::SYS_UP_TIME),
    trap_oid: oid::encode(mib::SNMP_TRAP_OID),
    link_down: oid::encode(mib::LINK_DOWN),
    link_up: oid::encode(mib::LINK_UP),
    cold_start: oid::encode(mib::COLD_START),
    warm_start: oid::encode(mib::WARM_START),
    if_index_column: oid::encode(&mib::column(mib::IF_ENTRY, mib::IF_INDEX)),
});

impl TrapListener {
    /// Listens on `addr` and calls `on_trap` for each notification one of `senders` sent,
    /// on the listener's task.
    pub async fn bind(
        addr: SocketAddr,
        senders: impl Senders,
        on_trap: impl Fn(Trap) + Send + 'static,
    ) -> std::io::Result<TrapListener> {
        let socket = UdpSocket::bind(addr).await?;
        let local_addr = socket.local_addr()?;
        let stats = Arc::new(TrapStats::default());
        let task_stats = stats.clone();
        let task = tokio::spawn(async move {
            let mut packet = vec![0u8; 65_536];
            let mut v3 = UsmReceiver::new();
            loop {
                let Ok((len, from)) = socket.recv_from(&mut packet).await else {
                    continue;
                };
                let candidates = senders.at(from.ip());
                let packet = &packet[..len];
                let (trap_opt, reply_opt) = if usm::is_v3(packet) {
                    let received = v3.receive(packet, &candidates);
                    if let Some(refusal) = received.refusal_opt {
                        tracing::debug!(%from, ?refusal, "SNMPv3 notification refused");
                    }
                    let trap_opt = received
                        .notification_opt
                        .and_then(|(device_id, pdu)| decode(&pdu, from, |_| Some(device_id)));
                    (trap_opt, received.reply_opt)
                } else {
                    let trap_opt = decode(packet, from, |community| {
                        candidates
                            .iter()
                            .find(|(_, credentials)| credentials.community_is(community))
                            .map(|(device_id, _)| *device_id)
                    });
                    let reply_opt = trap_opt.as_ref().and_then(|_| v2c_inform_response(packet));
                    (trap_opt, reply_opt)
                };
                if let Some(reply) = reply_opt {
                    if socket.send_to(&reply, from).await.is_ok() {
                        task_stats.answered.fetch_add(1, Ordering::Relaxed);
                    }
                }
                match trap_opt {
                    Some(trap) => {
                        task_stats.received.fetch_add(1, Ordering::Relaxed);
                        on_trap(trap);
                    }
                    None => {
                        task_stats.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
        Ok(TrapListener {
            local_addr,
            stats,
            task,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn stats(&self) -> &TrapStats {
        &self.stats
    }
}

/// The response to a v2c inform: the same message under the response tag (RFC 3416 4.2.7);
/// `None` for any other message.
fn v2c_inform_response(packet: &[u8]) -> Option<Vec<u8>> {
    let contents = AsnReader::from_bytes(packet).read_raw(0x30).ok()?;
    let mut message = AsnReader::from_bytes(contents);
    message.read_asn_integer().ok()?;
    message.read_asn_octetstring().ok()?;
    if message.peek_byte().ok()? != usm::TAG_INFORM {
        return None;
    }
    // Where the PDU starts: the contents are a part of `packet`.
    let at = (contents.as_ptr() as usize - packet.as_ptr() as usize) + contents.len()
        - message.bytes_left();
    let mut response = packet.to_vec();
    response[at] = usm::TAG_RESPONSE;
    Some(response)
}

/// Decodes a v2c trap (or a v3 notification's PDU, rewrapped as one) from the device
/// `sender` names by the message's community; `None` for anything else.
pub fn decode(
    packet: &[u8],
    from: SocketAddr,
    sender: impl FnOnce(&[u8]) -> Option<i64>,
) -> Option<Trap> {
    let pdu = Pdu::from_bytes(packet).ok()?;
    if !matches!(
        pdu.message_type,
        MessageType::Trap | MessageType::InformRequest
    ) {
        return None;
    }
    let device_id = sender(pdu.community)?;
    let oids = &*OIDS;
    let mut uptime_ticks = 0;
    let mut trap_oid: Option<Vec<u8>> = None;
    let mut if_index_opt = None;
    for (name, value) in pdu.varbinds.clone() {
        let name = name.as_bytes();
        match value {
            Value::Timeticks(ticks) if name == oids.uptime.as_slice() => uptime_ticks = ticks,
            Value::ObjectIdentifier(id) if name == oids.trap_oid.as_slice() => {
                trap_oid = Some(id.as_bytes().to_vec());
            }
            Value::Integer(n) if oid::instance(name, &oids.if_index_column).is_some() => {
                if_index_opt = u32::try_from(n).ok();
            }
            _ => {}
        }
    }
    let trap_oid = trap_oid?;
    let kind = if trap_oid == oids.link_down {
        TrapKind::LinkDown {
            if_index: if_index_opt?,
        }
    } else if trap_oid == oids.link_up {
        TrapKind::LinkUp {
            if_index: if_index_opt?,
        }
    } else if trap_oid == oids.cold_start {
        TrapKind::ColdStart
    } else if trap_oid == oids.warm_start {
        TrapKind::WarmStart
    } else {
        let arcs = oid::decode_arcs(trap_oid.get(1..)?)?;
        let dotted: Vec<String> = arcs.iter().map(u32::to_string).collect();
        TrapKind::Other(format!("1.3.{}", dotted.join(".")))
    };
    Some(Trap {
        from,
        device_id,
        kind,
        uptime_ticks,
    })
}
