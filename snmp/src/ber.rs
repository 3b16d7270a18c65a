//! A BER writer for SNMPv1/v2c messages: requests (the poller), responses (the simulated
//! agents) and SNMPv2 traps (the simulated agents' notifications).
//!
//! It writes backwards, from the innermost value out, so that every length is known when its
//! header is written, and reverses once at the end; the buffer is kept between messages.
//! (See the crate docs for why this is not `snmp2`'s encoder.)

/// A varbind value as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Null,
    Integer(i64),
    OctetString(&'a [u8]),
    /// OID content bytes (see [`crate::oid`]).
    ObjectIdentifier(&'a [u8]),
    IpAddress([u8; 4]),
    Counter32(u32),
    Gauge32(u32),
    TimeTicks(u32),
    Counter64(u64),
    NoSuchObject,
    NoSuchInstance,
    EndOfMibView,
}

/// The PDU types written here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PduType {
    Get,
    GetNext,
    GetBulk,
    Response,
    TrapV2,
}

impl PduType {
    fn tag(self) -> u8 {
        match self {
            PduType::Get => 0xa0,
            PduType::GetNext => 0xa1,
            PduType::Response => 0xa2,
            PduType::GetBulk => 0xa5,
            PduType::TrapV2 => 0xa7,
        }
    }
}

/// The SNMP version field: 0 for v1, 1 for v2c.
pub const VERSION_2C: i64 = 1;

/// Everything of a message but its varbinds.
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    pub version: i64,
    pub community: &'a [u8],
    pub pdu_type: PduType,
    pub request_id: i32,
    /// error-status, or non-repeaters in a GetBulk request.
    pub error_status: i64,
    /// error-index, or max-repetitions in a GetBulk request.
    pub error_index: i64,
}

const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_NULL: u8 = 0x05;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;
const TAG_IP_ADDRESS: u8 = 0x40;
const TAG_COUNTER32: u8 = 0x41;
const TAG_GAUGE32: u8 = 0x42;
const TAG_TIMETICKS: u8 = 0x43;
const TAG_COUNTER64: u8 = 0x46;
const TAG_NO_SUCH_OBJECT: u8 = 0x80;
const TAG_NO_SUCH_INSTANCE: u8 = 0x81;
const TAG_END_OF_MIB_VIEW: u8 = 0x82;

/// Writes messages into a buffer it keeps.
#[derive(Debug, Default)]
pub struct Writer {
    /// The message being written, last byte first.
    reversed: Vec<u8>,
    /// The finished message.
    message: Vec<u8>,
}

impl Writer {
    /// Encodes one message and returns its bytes (valid until the next call).
    pub fn message<'v>(
        &mut self,
        header: &Header<'_>,
        varbinds: impl DoubleEndedIterator<Item = (&'v [u8], Value<'v>)>,
    ) -> &[u8] {
        self.reversed.clear();
        self.constructed(TAG_SEQUENCE, |w| {
            w.constructed(header.pdu_type.tag(), |w| {
                w.constructed(TAG_SEQUENCE, |w| {
                    for (oid, value) in varbinds.rev() {
                        w.constructed(TAG_SEQUENCE, |w| {
                            w.value(value);
                            w.primitive(TAG_OID, oid);
                        });
                    }
                });
                w.integer(TAG_INTEGER, header.error_index);
                w.integer(TAG_INTEGER, header.error_status);
                w.integer(TAG_INTEGER, i64::from(header.request_id));
            });
            w.primitive(TAG_OCTET_STRING, header.community);
            w.integer(TAG_INTEGER, header.version);
        });
        self.message.clear();
        self.message.extend(self.reversed.iter().rev());
        &self.message
    }

    fn value(&mut self, value: Value<'_>) {
        match value {
            Value::Null => self.primitive(TAG_NULL, &[]),
            Value::Integer(n) => self.integer(TAG_INTEGER, n),
            Value::OctetString(bytes) => self.primitive(TAG_OCTET_STRING, bytes),
            Value::ObjectIdentifier(bytes) => self.primitive(TAG_OID, bytes),
            Value::IpAddress(octets) => self.primitive(TAG_IP_ADDRESS, &octets),
            Value::Counter32(n) => self.unsigned(TAG_COUNTER32, u64::from(n)),
            Value::Gauge32(n) => self.unsigned(TAG_GAUGE32, u64::from(n)),
            Value::TimeTicks(n) => self.unsigned(TAG_TIMETICKS, u64::from(n)),
            Value::Counter64(n) => self.unsigned(TAG_COUNTER64, n),
            Value::NoSuchObject => self.primitive(TAG_NO_SUCH_OBJECT, &[]),
            Value::NoSuchInstance => self.primitive(TAG_NO_SUCH_INSTANCE, &[]),
            Value::EndOfMibView => self.primitive(TAG_END_OF_MIB_VIEW, &[]),
        }
    }

    fn constructed(&mut self, tag: u8, contents: impl FnOnce(&mut Self)) {
        let before = self.reversed.len();
        contents(self);
        self.length_and_tag(tag, self.reversed.len() - before);
    }

    fn primitive(&mut self, tag: u8, contents: &[u8]) {
        self.reversed.extend(contents.iter().rev());
        self.length_and_tag(tag, contents.len());
    }

    /// Two's complement, shortest form.
    fn integer(&mut self, tag: u8, n: i64) {
        let bytes = n.to_be_bytes();
        let mut start = 0;
        while start < 7 {
            let redundant = (bytes[start] == 0x00 && bytes[start + 1] & 0x80 == 0)
                || (bytes[start] == 0xff && bytes[start + 1] & 0x80 != 0);
            if !redundant {
                break;
            }
            start += 1;
        }
        self.primitive(tag, &bytes[start..]);
    }

    /// Unsigned, shortest form, with a leading zero when the top bit is set.
    fn unsigned(&mut self, tag: u8, n: u64) {
        let bytes = n.to_be_bytes();
        let start = bytes.iter().position(|b| *b != 0).unwrap_or(7);
        let before = self.reversed.len();
        self.reversed.extend(bytes[start..].iter().rev());
        if bytes[start] & 0x80 != 0 {
            self.reversed.push(0);
        }
        let len = self.reversed.len() - before;
        self.length_and_tag(tag, len);
    }

    fn length_and_tag(&mut self, tag: u8, len: usize) {
        if len < 0x80 {
            self.reversed.push(len as u8);
        } else {
            let bytes = len.to_be_bytes();
            let start = bytes
                .iter()
                .position(|b| *b != 0)
                .unwrap_or(bytes.len() - 1);
            self.reversed.extend(bytes[start..].iter().rev());
            self.reversed.push(0x80 | (bytes.len() - start) as u8);
        }
        self.reversed.push(tag);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oid;
    use snmp2::{MessageType, Pdu, Value as Decoded};

    #[test]
    fn snmp2_decodes_what_is_written() {
        let counter = oid::encode(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 3]);
        let descr = oid::encode(&[1, 3, 6, 1, 2, 1, 1, 1, 0]);
        let trap_oid = oid::encode(&[1, 3, 6, 1, 6, 3, 1, 1, 5, 3]);
        let long_text = vec![b'x'; 300];
        let varbinds = [
            (counter.as_slice(), Value::Counter32(u32::MAX)),
            (descr.as_slice(), Value::OctetString(&long_text)),
            (descr.as_slice(), Value::Counter64(u64::MAX)),
            (descr.as_slice(), Value::Gauge32(128)),
            (descr.as_slice(), Value::TimeTicks(0)),
            (descr.as_slice(), Value::Integer(-129)),
            (descr.as_slice(), Value::Integer(i64::MIN)),
            (descr.as_slice(), Value::ObjectIdentifier(&trap_oid)),
            (descr.as_slice(), Value::IpAddress([10, 0, 0, 1])),
            (descr.as_slice(), Value::EndOfMibView),
            (descr.as_slice(), Value::NoSuchInstance),
            (descr.as_slice(), Value::Null),
        ];
        let mut writer = Writer::default();
        let header = Header {
            version: VERSION_2C,
            community: b"dc1-core-01",
            pdu_type: PduType::Response,
            request_id: -7,
            error_status: 0,
            error_index: 0,
        };
        let bytes = writer.message(&header, varbinds.iter().copied()).to_vec();
        let pdu = Pdu::from_bytes(&bytes).unwrap();
        assert_eq!(pdu.message_type, MessageType::Response);
        assert_eq!(pdu.req_id, -7);
        assert_eq!(pdu.community, b"dc1-core-01");
        let decoded: Vec<_> = pdu.varbinds.collect();
        assert_eq!(decoded.len(), varbinds.len());
        assert_eq!(decoded[0].0.as_bytes(), counter.as_slice());
        assert!(matches!(decoded[0].1, Decoded::Counter32(u32::MAX)));
        assert!(matches!(decoded[1].1, Decoded::OctetString(s) if s == long_text.as_slice()));
        assert!(matches!(decoded[2].1, Decoded::Counter64(u64::MAX)));
        assert!(matches!(decoded[3].1, Decoded::Unsigned32(128)));
        assert!(matches!(decoded[4].1, Decoded::Timeticks(0)));
        assert!(matches!(decoded[5].1, Decoded::Integer(-129)));
        assert!(matches!(decoded[6].1, Decoded::Integer(i64::MIN)));
        assert!(
            matches!(&decoded[7].1, Decoded::ObjectIdentifier(o) if o.as_bytes() == trap_oid.as_slice())
        );
        assert!(matches!(decoded[8].1, Decoded::IpAddress([10, 0, 0, 1])));
        assert!(matches!(decoded[9].1, Decoded::EndOfMibView));
        assert!(matches!(decoded[10].1, Decoded::NoSuchInstance));
        assert!(matches!(decoded[11].1, Decoded::Null));
    }

    #[test]
    fn getbulk_fields_land_where_agents_read_them() {
        let column = oid::encode(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 10]);
        let mut writer = Writer::default();
        let header = Header {
            version: VERSION_2C,
            community: b"public",
            pdu_type: PduType::GetBulk,
            request_id: i32::MAX,
            error_status: 1,
            error_index: 25,
        };
        let bytes = writer
            .message(&header, [(column.as_slice(), Value::Null)].into_iter())
            .to_vec();
        let pdu = Pdu::from_bytes(&bytes).unwrap();
        assert_eq!(pdu.message_type, MessageType::GetBulkRequest);
        assert_eq!((pdu.error_status, pdu.error_index), (1, 25));
        assert_eq!(pdu.req_id, i32::MAX);
    }
}
