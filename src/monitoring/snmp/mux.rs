//! The SNMPv2c multiplexer: one UDP socket shared by every v2c device a node polls.
//!
//! `snmp2`'s `AsyncSession` allows one request in flight per session, has no timeout of its
//! own, and holds a socket and two 64 KiB buffers for one agent and one community: fine for a
//! handful of agents, not for thousands. Here each request gets a request id unique on the
//! socket; one receiving task reads every answer, checks it came from the address asked, and
//! hands it to the request waiting for that id. Requests time out on their own, so a silent
//! or slow agent holds nobody else up, and an answer that comes after its request gave up is
//! dropped. Devices keep one request in flight each (their poll is a sequence of requests),
//! while many devices are in flight at once: up to `max_in_flight` requests, so that the
//! answers in flight fit the socket's receive buffer (enlarged to 4 MiB where the kernel
//! allows) instead of being dropped by the kernel in a burst.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::net::UdpSocket;
use tokio::sync::{oneshot, Semaphore};
use tokio::task::JoinHandle;
use yunguan_snmp::snmp2::Pdu;

use super::SnmpError;

/// Counters of the socket's traffic.
#[derive(Debug, Default)]
pub struct MuxStats {
    pub requests: AtomicU64,
    pub answers: AtomicU64,
    pub timeouts: AtomicU64,
    /// Answers nobody waited for (late, spoofed, or not SNMP).
    pub stray: AtomicU64,
}

struct Waiting {
    peer: SocketAddr,
    answer_tx: oneshot::Sender<Vec<u8>>,
}

/// The receive buffer asked of the kernel (it grants at most `net.core.rmem_max`).
const RECEIVE_BUFFER_BYTES: usize = 4 << 20;

struct Inner {
    socket: UdpSocket,
    in_flight: Semaphore,
    waiting: Mutex<HashMap<i32, Waiting>>,
    next_request_id: AtomicI32,
    stats: MuxStats,
}

/// Stops the receiving task when the last clone of the multiplexer goes.
struct ReceiverTask(JoinHandle<()>);

impl Drop for ReceiverTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A shared v2c socket. Clones share it; the receiving task ends with the last clone.
#[derive(Clone)]
pub struct Multiplexer {
    inner: Arc<Inner>,
    _receiver: Arc<ReceiverTask>,
}

/// Takes the waiting entry away when a request ends, answered or not (also when the caller
/// drops the request), so that a late answer finds nobody.
struct WaitingGuard<'a> {
    inner: &'a Inner,
    request_id: i32,
}

impl Drop for WaitingGuard<'_> {
    fn drop(&mut self) {
        self.inner.waiting.lock().remove(&self.request_id);
    }
}

impl Multiplexer {
    /// Binds the socket (port 0 for any) and starts receiving; at most `max_in_flight`
    /// requests wait for answers at once.
    pub fn bind(addr: SocketAddr, max_in_flight: usize) -> std::io::Result<Multiplexer> {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::DGRAM,
            Some(socket2::Protocol::UDP),
        )?;
        // Best effort: a smaller buffer only means fewer answers can wait in it.
        let _ = socket.set_recv_buffer_size(RECEIVE_BUFFER_BYTES);
        socket.set_nonblocking(true)?;
        socket.bind(&addr.into())?;
        let socket = UdpSocket::from_std(socket.into())?;
        let inner = Arc::new(Inner {
            socket,
            in_flight: Semaphore::new(max_in_flight.max(1)),
            waiting: Mutex::new(HashMap::new()),
            next_request_id: AtomicI32::new(rand::random::<i32>() & 0x3fff_ffff),
            stats: MuxStats::default(),
        });
        let receiver = ReceiverTask(tokio::spawn(receive(inner.clone())));
        Ok(Multiplexer {
            inner,
            _receiver: Arc::new(receiver),
        })
    }

    pub fn stats(&self) -> &MuxStats {
        &self.inner.stats
    }

    /// A fresh request id for this socket.
    pub fn next_request_id(&self) -> i32 {
        self.inner.next_request_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Sends `request` (already carrying `request_id`) to `peer` and waits at most `timeout`
    /// for the answer with the same id from the same address.
    pub async fn exchange(
        &self,
        peer: SocketAddr,
        request_id: i32,
        request: &[u8],
        timeout: Duration,
    ) -> Result<Vec<u8>, SnmpError> {
        let _permit = self
            .inner
            .in_flight
            .acquire()
            .await
            .map_err(|_| SnmpError::Io("the multiplexer is closed".to_owned()))?;
        let (answer_tx, answer_rx) = oneshot::channel();
        self.inner
            .waiting
            .lock()
            .insert(request_id, Waiting { peer, answer_tx });
        let _guard = WaitingGuard {
            inner: &self.inner,
            request_id,
        };
        self.inner.stats.requests.fetch_add(1, Ordering::Relaxed);
        self.inner
            .socket
            .send_to(request, peer)
            .await
            .map_err(|error| SnmpError::Io(error.to_string()))?;
        match tokio::time::timeout(timeout, answer_rx).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(SnmpError::Io("the receiving task ended".to_owned())),
            Err(_) => {
                self.inner.stats.timeouts.fetch_add(1, Ordering::Relaxed);
                Err(SnmpError::Timeout)
            }
        }
    }
}

async fn receive(strong: Arc<Inner>) {
    let mut packet = vec![0u8; 65_536];
    loop {
        let received = strong.socket.recv_from(&mut packet).await;
        let Ok((len, from)) = received else {
            continue;
        };
        let bytes = &packet[..len];
        let request_id = match Pdu::from_bytes(bytes) {
            Ok(pdu) => pdu.req_id,
            Err(_) => {
                strong.stats.stray.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        let waiting = {
            let mut waiting = strong.waiting.lock();
            match waiting.get(&request_id) {
                Some(entry) if entry.peer == from => waiting.remove(&request_id),
                _ => None,
            }
        };
        match waiting {
            Some(entry) => {
                strong.stats.answers.fetch_add(1, Ordering::Relaxed);
                let _ = entry.answer_tx.send(bytes.to_vec());
            }
            None => {
                strong.stats.stray.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
