//! `monbench blast`: GETBULK requests for the interface tables of a fleet's devices, from
//! several clients at once, each with one request in flight; counts the varbinds answered.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::json;
use tokio::net::UdpSocket;
use yunguan_snmp::ber::{self, Header, PduType, Value, Writer};
use yunguan_snmp::snmp2::Pdu;
use yunguan_snmp::{mib, oid};

#[derive(Debug, Clone, Args)]
pub struct BlastArgs {
    #[arg(long, default_value = "127.0.0.1:16100")]
    pub target: SocketAddr,
    #[arg(long, default_value_t = 1000)]
    pub devices: usize,
    #[arg(long, default_value = "sim-")]
    pub community_prefix: String,
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
}

const COLUMNS: &[(&[u32], u32)] = &[
    (mib::IF_ENTRY, mib::IF_DESCR),
    (mib::IF_ENTRY, mib::IF_TYPE),
    (mib::IF_ENTRY, mib::IF_SPEED),
    (mib::IF_ENTRY, mib::IF_ADMIN_STATUS),
    (mib::IF_ENTRY, mib::IF_OPER_STATUS),
    (mib::IF_ENTRY, mib::IF_IN_OCTETS),
    (mib::IF_ENTRY, mib::IF_IN_UCAST_PKTS),
    (mib::IF_ENTRY, mib::IF_IN_ERRORS),
    (mib::IF_ENTRY, mib::IF_OUT_OCTETS),
    (mib::IF_ENTRY, mib::IF_OUT_UCAST_PKTS),
    (mib::IF_ENTRY, mib::IF_OUT_ERRORS),
    (mib::IF_X_ENTRY, mib::IF_NAME),
    (mib::IF_X_ENTRY, mib::IF_HC_IN_OCTETS),
    (mib::IF_X_ENTRY, mib::IF_HC_IN_UCAST_PKTS),
    (mib::IF_X_ENTRY, mib::IF_HC_OUT_OCTETS),
    (mib::IF_X_ENTRY, mib::IF_HC_OUT_UCAST_PKTS),
    (mib::IF_X_ENTRY, mib::IF_HIGH_SPEED),
    (mib::IF_X_ENTRY, mib::IF_ALIAS),
];

pub async fn run(args: BlastArgs) -> anyhow::Result<()> {
    let columns: Arc<Vec<Vec<u8>>> = Arc::new(
        COLUMNS
            .iter()
            .map(|(entry, column)| oid::encode(&mib::column(entry, *column)))
            .collect(),
    );
    let varbinds = Arc::new(AtomicU64::new(0));
    let timeouts = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut clients = Vec::new();
    for client_idx in 0..args.clients {
        let args = args.clone();
        let columns = columns.clone();
        let varbinds = varbinds.clone();
        let timeouts = timeouts.clone();
        clients.push(tokio::spawn(async move {
            let socket = UdpSocket::bind("0.0.0.0:0").await?;
            socket.connect(args.target).await?;
            let mut writer = Writer::default();
            let mut buffer = vec![0u8; 65_536];
            let mut device_idx = client_idx;
            let mut request_id = (client_idx as i32) << 20;
            while Instant::now() < deadline {
                let community = format!("{}{}", args.community_prefix, device_idx % args.devices);
                device_idx += args.clients;
                request_id = request_id.wrapping_add(1);
                let header = Header {
                    version: ber::VERSION_2C,
                    community: community.as_bytes(),
                    pdu_type: PduType::GetBulk,
                    request_id,
                    error_status: 0,
                    error_index: 22,
                };
                let request =
                    writer.message(&header, columns.iter().map(|c| (c.as_slice(), Value::Null)));
                socket.send(request).await?;
                match tokio::time::timeout(Duration::from_secs(1), socket.recv(&mut buffer)).await {
                    Ok(Ok(len)) => {
                        if let Ok(pdu) = Pdu::from_bytes(&buffer[..len]) {
                            if pdu.req_id == request_id {
                                varbinds.fetch_add(pdu.varbinds.count() as u64, Ordering::Relaxed);
                            }
                        }
                    }
                    _ => {
                        timeouts.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            anyhow::Ok(())
        }));
    }
    let started = Instant::now();
    for client in clients {
        client.await??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let total = varbinds.load(Ordering::Relaxed);
    println!(
        "{}",
        json!({
            "clients": args.clients,
            "seconds": (seconds * 10.0).round() / 10.0,
            "varbinds": total,
            "varbinds_per_sec": (total as f64 / seconds).round(),
            "timeouts": timeouts.load(Ordering::Relaxed),
        })
    );
    Ok(())
}
