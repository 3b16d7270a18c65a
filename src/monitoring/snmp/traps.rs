//! The SNMPv2c trap listener: a UDP socket that decodes each notification with `snmp2` and
//! hands what it means (a link down or up, an agent restart) to a callback, the moment it
//! arrives. Which device sent it is for the callback to decide (by source address and
//! community); anything that is not a v2c trap is counted and dropped.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;
use yunguan_snmp::snmp2::{MessageType, Pdu, Value};
use yunguan_snmp::{mib, oid};

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

/// A decoded trap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap {
    pub from: SocketAddr,
    pub community: Vec<u8>,
    pub kind: TrapKind,
    pub uptime_ticks: u32,
}

/// Counters of the listener.
#[derive(Debug, Default)]
pub struct TrapStats {
    pub received: AtomicU64,
    pub dropped: AtomicU64,
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
    /// Listens on `addr` and calls `on_trap` for each trap, on the listener's task.
    pub async fn bind(
        addr: SocketAddr,
        on_trap: impl Fn(Trap) + Send + 'static,
    ) -> std::io::Result<TrapListener> {
        let socket = UdpSocket::bind(addr).await?;
        let local_addr = socket.local_addr()?;
        let stats = Arc::new(TrapStats::default());
        let task_stats = stats.clone();
        let task = tokio::spawn(async move {
            let mut packet = vec![0u8; 65_536];
            loop {
                let Ok((len, from)) = socket.recv_from(&mut packet).await else {
                    continue;
                };
                match decode(&packet[..len], from) {
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

/// Decodes a v2c trap; `None` for anything else.
pub fn decode(packet: &[u8], from: SocketAddr) -> Option<Trap> {
    let pdu = Pdu::from_bytes(packet).ok()?;
    if pdu.message_type != MessageType::Trap {
        return None;
    }
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
        community: pdu.community.to_vec(),
        kind,
        uptime_ticks,
    })
}
