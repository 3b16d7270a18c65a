//! A session with one device's agent: v2c requests go through the shared [`Multiplexer`],
//! v3 (authPriv) ones through an `snmp2` `AsyncSession` of the device's own. Either way a
//! request has a timeout, and the answer is read in place by the caller's closure.
//!
//! A v3 session is made at the first request (engine discovery) and dropped after any
//! failure, so that a late answer or a rebooted engine never confuses the next request; it
//! holds `snmp2`'s two 64 KiB buffers while it lives, which is why v2c devices, the many, share
//! the multiplexer instead.

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::ExposeSecret;

use yunguan_snmp::ber::{self, Header, PduType, Value, Writer};
use yunguan_snmp::snmp2::{self, v3, AsyncSession, MessageType, Pdu};

use super::mux::Multiplexer;
use super::SnmpError;
use crate::inventory::credentials::{AuthProtocol, Credentials, PrivProtocol};

/// How long to wait for an answer, and how many times to ask again after silence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patience {
    pub timeout: Duration,
    pub retries: u32,
}

impl Patience {
    pub fn new(timeout: Duration, retries: u32) -> Patience {
        Patience { timeout, retries }
    }
}

/// How a device is reached.
pub struct Session {
    peer: SocketAddr,
    patience: Patience,
    transport: Transport,
}

enum Transport {
    V2c {
        mux: Multiplexer,
        community: Vec<u8>,
    },
    /// Boxed: the v2c many should not carry the v3 few's security state inline.
    V3 {
        security: Box<v3::Security>,
        session_opt: Option<Box<AsyncSession>>,
    },
}

impl Session {
    pub fn new(
        peer: SocketAddr,
        credentials: &Credentials,
        mux: &Multiplexer,
        patience: Patience,
    ) -> Session {
        let transport = match credentials {
            Credentials::V2c { community } => Transport::V2c {
                mux: mux.clone(),
                community: community.expose_secret().as_bytes().to_vec(),
            },
            Credentials::V3 {
                username,
                auth_protocol,
                auth_password,
                priv_protocol,
                priv_password,
            } => {
                let auth_protocol = match auth_protocol {
                    AuthProtocol::Md5 => v3::AuthProtocol::Md5,
                    AuthProtocol::Sha1 => v3::AuthProtocol::Sha1,
                    AuthProtocol::Sha256 => v3::AuthProtocol::Sha256,
                    AuthProtocol::Sha512 => v3::AuthProtocol::Sha512,
                };
                let cipher = match priv_protocol {
                    PrivProtocol::Des => v3::Cipher::Des,
                    PrivProtocol::Aes128 => v3::Cipher::Aes128,
                    PrivProtocol::Aes256 => v3::Cipher::Aes256,
                };
                let security = v3::Security::new(
                    username.as_bytes(),
                    auth_password.expose_secret().as_bytes(),
                )
                .with_auth_protocol(auth_protocol)
                .with_auth(v3::Auth::AuthPriv {
                    cipher,
                    privacy_password: priv_password.expose_secret().as_bytes().to_vec(),
                });
                Transport::V3 {
                    security: Box::new(security),
                    session_opt: None,
                }
            }
        };
        Session {
            peer,
            patience,
            transport,
        }
    }

    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// A GET of `oids`; `read` sees the answer.
    pub async fn get<R>(
        &mut self,
        oids: &[&[u8]],
        read: impl FnOnce(&Pdu<'_>) -> R,
    ) -> Result<R, SnmpError> {
        self.request(PduType::Get, 0, 0, oids, read).await
    }

    /// A GETBULK: the first `non_repeaters` OIDs once, the others `max_repetitions` times.
    pub async fn get_bulk<R>(
        &mut self,
        non_repeaters: u32,
        max_repetitions: u32,
        oids: &[&[u8]],
        read: impl FnOnce(&Pdu<'_>) -> R,
    ) -> Result<R, SnmpError> {
        self.request(PduType::GetBulk, non_repeaters, max_repetitions, oids, read)
            .await
    }

    async fn request<R>(
        &mut self,
        pdu_type: PduType,
        non_repeaters: u32,
        max_repetitions: u32,
        oids: &[&[u8]],
        read: impl FnOnce(&Pdu<'_>) -> R,
    ) -> Result<R, SnmpError> {
        let mut read_opt = Some(read);
        let mut attempt = 0;
        loop {
            let result = self
                .request_once(
                    pdu_type,
                    non_repeaters,
                    max_repetitions,
                    oids,
                    &mut read_opt,
                )
                .await;
            match result {
                Err(SnmpError::Timeout) if attempt < self.patience.retries => attempt += 1,
                other => return other,
            }
        }
    }

    /// One attempt; `read_opt` is taken only when an answer arrives.
    async fn request_once<R>(
        &mut self,
        pdu_type: PduType,
        non_repeaters: u32,
        max_repetitions: u32,
        oids: &[&[u8]],
        read_opt: &mut Option<impl FnOnce(&Pdu<'_>) -> R>,
    ) -> Result<R, SnmpError> {
        let peer = self.peer;
        let timeout = self.patience.timeout;
        match &mut self.transport {
            Transport::V2c { mux, community } => {
                let request_id = mux.next_request_id();
                let header = Header {
                    version: ber::VERSION_2C,
                    community,
                    pdu_type,
                    request_id,
                    error_status: i64::from(non_repeaters),
                    error_index: i64::from(max_repetitions),
                };
                // A writer per request: its buffers would otherwise sit idle in every device
                // between polls.
                let mut writer = Writer::default();
                let request = writer.message(&header, oids.iter().map(|oid| (*oid, Value::Null)));
                let answer = mux.exchange(peer, request_id, request, timeout).await?;
                let pdu = Pdu::from_bytes(&answer).map_err(SnmpError::from)?;
                if pdu.message_type != MessageType::Response || pdu.community != community {
                    return Err(SnmpError::Malformed("not an answer to our request".into()));
                }
                check_error_status(&pdu)?;
                let read = read_opt
                    .take()
                    .ok_or(SnmpError::Io("answer read twice".into()))?;
                Ok(read(&pdu))
            }
            Transport::V3 {
                security,
                session_opt,
            } => {
                let result = v3_request(
                    peer,
                    timeout,
                    security,
                    session_opt,
                    pdu_type,
                    non_repeaters,
                    max_repetitions,
                    oids,
                    read_opt,
                )
                .await;
                if result.is_err() {
                    *session_opt = None;
                }
                result
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn v3_request<R>(
    peer: SocketAddr,
    timeout: Duration,
    security: &v3::Security,
    session_opt: &mut Option<Box<AsyncSession>>,
    pdu_type: PduType,
    non_repeaters: u32,
    max_repetitions: u32,
    oids: &[&[u8]],
    read_opt: &mut Option<impl FnOnce(&Pdu<'_>) -> R>,
) -> Result<R, SnmpError> {
    if session_opt.is_none() {
        let mut session = Box::new(
            AsyncSession::new_v3(peer, 0, security.clone())
                .await
                .map_err(|error| SnmpError::Io(error.to_string()))?,
        );
        tokio::time::timeout(timeout, session.init())
            .await
            .map_err(|_| SnmpError::Timeout)??;
        *session_opt = Some(session);
    }
    let Some(session) = session_opt.as_mut() else {
        return Err(SnmpError::Io("no session".into()));
    };
    let oids: Vec<snmp2::Oid<'_>> = oids
        .iter()
        .map(|bytes| snmp2::Oid::new((*bytes).into()))
        .collect();
    let oid_refs: Vec<&snmp2::Oid<'_>> = oids.iter().collect();
    // A report that the engine's clock moved updates the security state; asking again once is
    // what the protocol expects.
    for attempt in 0..2 {
        let answer = match pdu_type {
            PduType::GetBulk => {
                tokio::time::timeout(
                    timeout,
                    session.getbulk(&oid_refs, non_repeaters, max_repetitions),
                )
                .await
            }
            _ => tokio::time::timeout(timeout, session.get_many(&oid_refs)).await,
        };
        match answer {
            Err(_) => return Err(SnmpError::Timeout),
            Ok(Err(snmp2::Error::AuthUpdated)) if attempt == 0 => continue,
            Ok(Err(error)) => return Err(error.into()),
            Ok(Ok(pdu)) => {
                check_error_status(&pdu)?;
                let read = read_opt
                    .take()
                    .ok_or(SnmpError::Io("answer read twice".into()))?;
                return Ok(read(&pdu));
            }
        }
    }
    Err(SnmpError::Auth(
        "the agent kept updating the security state".into(),
    ))
}

fn check_error_status(pdu: &Pdu<'_>) -> Result<(), SnmpError> {
    match pdu.error_status {
        0 => Ok(()),
        1 => Err(SnmpError::TooBig),
        status => Err(SnmpError::Agent {
            status,
            index: pdu.error_index,
        }),
    }
}
