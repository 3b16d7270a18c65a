//! Answering one SNMPv2c request from a MIB view (a simulated device, a recording of a real
//! agent): GET, GETNEXT and GETBULK, with the habits real agents have that the textbook
//! lacks. The fleet and the recording agent both answer through here.

use yunguan_snmp::ber::{self, Header, PduType, Value, Writer};
use yunguan_snmp::snmp2::{MessageType, Pdu};

/// `noSuchName`, the v1 error status.
pub const NO_SUCH_NAME: u32 = 2;
/// `genErr`.
pub const GEN_ERR: u32 = 5;
/// `noAccess`.
pub const NO_ACCESS: u32 = 6;
/// `authorizationError`.
pub const AUTHORIZATION_ERROR: u32 = 16;

/// What an agent answers from: its objects in OID order.
pub trait MibView {
    /// The object at exactly `oid`.
    fn exact(&self, oid: &[u8]) -> Option<(&[u8], Value<'_>)>;
    /// The first object after `oid`, as GETNEXT walks.
    fn next_after(&self, oid: &[u8]) -> Option<(&[u8], Value<'_>)>;
}

/// How an agent departs from the textbook, as real ones do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Habits {
    /// Subtrees (encoded OID prefixes) the agent refuses, with the error status it answers:
    /// a request that reads into one is answered with that status, naming the varbind.
    pub refused: Vec<(Vec<u8>, u32)>,
    /// A GET of an object it lacks is refused whole with `noSuchName`, as v1 agents do,
    /// rather than answered `noSuchObject`.
    pub v1_errors: bool,
    /// `ifDescr` ends in a NUL, as Windows agents write it (the fleet's devices).
    pub nul_terminated_descr: bool,
    /// No `sysUpTime` (the fleet's devices).
    pub without_uptime: bool,
}

impl Habits {
    fn refusal(&self, oid: &[u8]) -> Option<u32> {
        self.refused
            .iter()
            .find(|(prefix, _)| oid.starts_with(prefix))
            .map(|(_, status)| *status)
    }
}

/// The answer to `request` (a v2c GET, GETNEXT or GETBULK), written by `writer`; `None` for
/// a request of another type. An answer holds at most `max_varbinds` (RFC 3416 lets an agent
/// return fewer repetitions than asked). Returns the varbinds answered, too.
pub fn answer<'w>(
    view: &impl MibView,
    habits: &Habits,
    request: &Pdu<'_>,
    max_varbinds: usize,
    writer: &'w mut Writer,
) -> Option<(&'w [u8], usize)> {
    let requested: Vec<Vec<u8>> = request
        .varbinds
        .clone()
        .map(|(name, _)| name.as_bytes().to_vec())
        .collect();
    let answered = match request.message_type {
        MessageType::GetRequest => get(view, habits, &requested),
        MessageType::GetNextRequest => requested
            .iter()
            .enumerate()
            .map(|(position, name)| next(view, habits, name, position))
            .collect(),
        MessageType::GetBulkRequest => {
            let non_repeaters = (request.error_status as usize).min(requested.len());
            bulk(
                view,
                habits,
                &requested,
                non_repeaters,
                request.error_index as usize,
                max_varbinds,
            )
        }
        _ => return None,
    };
    let mut header = Header {
        version: ber::VERSION_2C,
        community: request.community,
        pdu_type: PduType::Response,
        request_id: request.req_id,
        error_status: 0,
        error_index: 0,
    };
    match answered {
        Ok(varbinds) => {
            let count = varbinds.len();
            Some((writer.message(&header, varbinds.into_iter()), count))
        }
        Err(Refused { status, position }) => {
            // An error answer carries the request's varbinds back, unchanged.
            header.error_status = i64::from(status);
            header.error_index = position as i64 + 1;
            let echoed = requested.iter().map(|name| (name.as_slice(), Value::Null));
            Some((writer.message(&header, echoed), 0))
        }
    }
}

/// A request refused: the error status and the request's varbind (0-based) it names.
struct Refused {
    status: u32,
    position: usize,
}

type Varbinds<'v> = Vec<(&'v [u8], Value<'v>)>;

fn get<'v>(
    view: &'v impl MibView,
    habits: &Habits,
    requested: &'v [Vec<u8>],
) -> Result<Varbinds<'v>, Refused> {
    let mut varbinds = Vec::with_capacity(requested.len());
    for (position, name) in requested.iter().enumerate() {
        if let Some(status) = habits.refusal(name) {
            return Err(Refused { status, position });
        }
        match view.exact(name) {
            Some(found) => varbinds.push(found),
            None if habits.v1_errors => {
                return Err(Refused {
                    status: NO_SUCH_NAME,
                    position,
                })
            }
            None => varbinds.push((name.as_slice(), Value::NoSuchInstance)),
        }
    }
    Ok(varbinds)
}

fn next<'v>(
    view: &'v impl MibView,
    habits: &Habits,
    after: &'v [u8],
    position: usize,
) -> Result<(&'v [u8], Value<'v>), Refused> {
    match view.next_after(after) {
        Some((name, value)) => match habits.refusal(name) {
            Some(status) => Err(Refused { status, position }),
            None => Ok((name, value)),
        },
        None => Ok((after, Value::EndOfMibView)),
    }
}

fn bulk<'v>(
    view: &'v impl MibView,
    habits: &Habits,
    requested: &'v [Vec<u8>],
    non_repeaters: usize,
    max_repetitions: usize,
    max_varbinds: usize,
) -> Result<Varbinds<'v>, Refused> {
    let mut varbinds = Vec::new();
    for (position, name) in requested[..non_repeaters].iter().enumerate() {
        varbinds.push(next(view, habits, name, position)?);
    }
    let mut cursors: Vec<&[u8]> = requested[non_repeaters..]
        .iter()
        .map(Vec::as_slice)
        .collect();
    'rows: for _ in 0..max_repetitions {
        for (slot, cursor) in cursors.iter_mut().enumerate() {
            if varbinds.len() >= max_varbinds {
                break 'rows;
            }
            let (name, value) = next(view, habits, cursor, non_repeaters + slot)?;
            *cursor = name;
            varbinds.push((name, value));
        }
        if varbinds.len() > non_repeaters
            && varbinds[varbinds.len() - cursors.len()..]
                .iter()
                .all(|(_, value)| *value == Value::EndOfMibView)
        {
            break;
        }
    }
    Ok(varbinds)
}
