//! Walking table columns with GETBULK: several columns side by side, each followed until it
//! leaves its subtree, in as few requests as the agent's answers allow.
//!
//! Answers may be cut short (an agent may return fewer repetitions than asked, and stops a
//! row midway), so each column keeps its own cursor and the next request continues every
//! unfinished column from where it stopped. An answer too big for the agent halves the
//! repetitions asked. An agent whose OIDs do not increase ends the column rather than loop.
//!
//! An agent may refuse a column (`noAccess`, `authorizationError`, `genErr`, or `noSuchName`
//! from agents with v1 habits), answering the whole request with an error status that names
//! a varbind. The walk then goes on one row at a time, so that an error names the column
//! that meets the refusal: a column with no cells yet is refused; one with cells has ended
//! (read past its end, it ran into what is refused, or a v1 agent said `noSuchName` at the
//! end). The others go on without it; an error that names no varbind ends every column
//! still open. Only silence fails the walk.

use yunguan_snmp::oid;
use yunguan_snmp::snmp2::Value;

use super::session::Session;
use super::SnmpError;

/// The most requests one walk makes, whatever the agent answers.
const MAX_REQUESTS_PER_WALK: usize = 256;

/// The most varbinds asked for in one request.
const VARBINDS_PER_REQUEST: u32 = 400;

/// What a walk read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walked {
    pub varbinds: u64,
    /// Columns the agent refused, with its error status.
    pub refused: Vec<(usize, u32)>,
}

/// Walks `columns` (encoded OID prefixes), calling `visit(column_idx, instance, value)` for
/// every cell below each, in OID order within a column.
pub async fn walk_columns(
    session: &mut Session,
    columns: &[&[u8]],
    mut visit: impl FnMut(usize, &[u8], &Value<'_>),
) -> Result<Walked, SnmpError> {
    let mut cursors: Vec<Option<Vec<u8>>> = columns.iter().map(|c| Some(c.to_vec())).collect();
    let mut gave_cells = vec![false; columns.len()];
    let mut max_repetitions = (VARBINDS_PER_REQUEST / columns.len().max(1) as u32).max(1);
    let mut walked = Walked::default();
    for _ in 0..MAX_REQUESTS_PER_WALK {
        let active: Vec<usize> = (0..columns.len())
            .filter(|idx| cursors[*idx].is_some())
            .collect();
        if active.is_empty() {
            return Ok(walked);
        }
        let oids: Vec<Vec<u8>> = active
            .iter()
            .filter_map(|idx| cursors[*idx].clone())
            .collect();
        let oid_refs: Vec<&[u8]> = oids.iter().map(Vec::as_slice).collect();
        let answer = session
            .get_bulk(0, max_repetitions, &oid_refs, |pdu| {
                let mut read = 0u64;
                let mut progressed = vec![false; active.len()];
                for (position, (name, value)) in pdu.varbinds.clone().enumerate() {
                    read += 1;
                    let slot = position % active.len();
                    let column_idx = active[slot];
                    let Some(cursor) = cursors[column_idx].as_mut() else {
                        continue;
                    };
                    let name = name.as_bytes();
                    let in_column = oid::instance(name, columns[column_idx]);
                    let ended = matches!(value, Value::EndOfMibView)
                        || in_column.is_none()
                        || name <= cursor.as_slice();
                    if ended {
                        cursors[column_idx] = None;
                        continue;
                    }
                    if let Some(instance) = in_column {
                        visit(column_idx, instance, &value);
                        gave_cells[column_idx] = true;
                    }
                    cursor.clear();
                    cursor.extend_from_slice(name);
                    progressed[slot] = true;
                }
                // A column the answer said nothing about (an empty answer) is finished too.
                for (slot, column_idx) in active.iter().enumerate() {
                    if !progressed[slot] && read == 0 {
                        cursors[*column_idx] = None;
                    }
                }
                read
            })
            .await;
        match answer {
            Ok(read) => walked.varbinds += read,
            Err(SnmpError::TooBig) if max_repetitions > 1 => max_repetitions /= 2,
            // An error in a long answer may come from any repetition: a column read past
            // its end runs into the refused one. One row at a time, the error names the
            // column that meets it.
            Err(SnmpError::Agent { .. }) if max_repetitions > 1 => max_repetitions = 1,
            Err(SnmpError::Agent { status, index }) => {
                let named = (index as usize)
                    .checked_sub(1)
                    .and_then(|position| active.get(position));
                let ended = match named {
                    Some(column_idx) => vec![*column_idx],
                    None => active,
                };
                for column_idx in ended {
                    cursors[column_idx] = None;
                    if !gave_cells[column_idx] {
                        walked.refused.push((column_idx, status));
                    }
                }
            }
            Err(error) => return Err(error),
        }
    }
    Err(SnmpError::Malformed(format!(
        "walk did not end within {MAX_REQUESTS_PER_WALK} requests"
    )))
}
