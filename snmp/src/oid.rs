//! OIDs in their encoded form: the content bytes of a BER OBJECT IDENTIFIER, as `snmp2`'s
//! `Oid::as_bytes` gives them. Arcs are self-delimiting base-128 numbers, so comparing the
//! bytes compares the OIDs (a parent sorts before its children), and a subtree is a byte prefix.
//! The poller and the agents compare and slice OIDs this way without decoding them.

/// Encodes arcs (`[1, 3, 6, 1, 2, 1, 1, 3, 0]`) as OID content bytes. The first two arcs share a
/// byte, as BER has it; OIDs here all start `1.3`.
pub fn encode(arcs: &[u32]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(arcs.len() + 4);
    match arcs {
        [] => {}
        [first] => push_arc(&mut bytes, first * 40),
        [first, second, rest @ ..] => {
            push_arc(&mut bytes, first * 40 + second);
            for arc in rest {
                push_arc(&mut bytes, *arc);
            }
        }
    }
    bytes
}

/// `base` followed by one more arc.
pub fn child(base: &[u8], arc: u32) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(base.len() + 5);
    bytes.extend_from_slice(base);
    push_arc(&mut bytes, arc);
    bytes
}

fn push_arc(bytes: &mut Vec<u8>, arc: u32) {
    let mut groups = [0u8; 5];
    let mut n_groups = 0;
    let mut rest = arc;
    loop {
        groups[n_groups] = (rest & 0x7f) as u8;
        n_groups += 1;
        rest >>= 7;
        if rest == 0 {
            break;
        }
    }
    for idx in (0..n_groups).rev() {
        let continues = if idx > 0 { 0x80 } else { 0 };
        bytes.push(groups[idx] | continues);
    }
}

/// Decodes the arcs after the first two (the suffix of an OID below a known prefix, such as
/// the instance of a table column). `None` when the bytes end inside an arc or an arc
/// overflows 32 bits.
pub fn decode_arcs(mut bytes: &[u8]) -> Option<Vec<u32>> {
    let mut arcs = Vec::with_capacity(bytes.len());
    while !bytes.is_empty() {
        let (arc, used) = read_arc(bytes)?;
        arcs.push(arc);
        bytes = &bytes[used..];
    }
    Some(arcs)
}

fn read_arc(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut arc: u32 = 0;
    for (idx, byte) in bytes.iter().enumerate().take(5) {
        arc = arc.checked_mul(128)? | u32::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return Some((arc, idx + 1));
        }
    }
    None
}

/// The instance part of `oid` when it lies strictly below `prefix` (`ifInOctets.7` below
/// `ifInOctets` gives the bytes of `7`); `None` when it is outside the subtree.
pub fn instance<'a>(oid: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    match oid.strip_prefix(prefix) {
        Some(rest) if !rest.is_empty() => Some(rest),
        _ => None,
    }
}

/// The instance as a single index (`ifIndex`, `hrStorageIndex`); `None` if it is not exactly one
/// arc.
pub fn single_index(instance: &[u8]) -> Option<u32> {
    match read_arc(instance)? {
        (arc, used) if used == instance.len() => Some(arc),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_snmp2_and_round_trips() {
        let arcs = [1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 128, 16_384, 4_000_000_000];
        let bytes = encode(&arcs);
        let decoded = snmp2::Oid::new(bytes.clone().into());
        let via_snmp2: Vec<u64> = decoded.iter().unwrap().collect();
        let expected: Vec<u64> = arcs.iter().map(|arc| u64::from(*arc)).collect();
        assert_eq!(via_snmp2, expected);
        assert_eq!(decode_arcs(&bytes[1..]).unwrap(), arcs[2..].to_vec());
    }

    #[test]
    fn byte_order_is_oid_order() {
        let cases: &[(&[u32], &[u32])] = &[
            (&[1, 3, 6, 1, 2], &[1, 3, 6, 1, 2, 0]),
            (&[1, 3, 6, 1, 2, 127], &[1, 3, 6, 1, 2, 128]),
            (&[1, 3, 6, 1, 2, 128], &[1, 3, 6, 1, 2, 129]),
            (&[1, 3, 6, 1, 2, 200], &[1, 3, 6, 1, 2, 16_384]),
            (&[1, 3, 6, 1, 2, 9, 5], &[1, 3, 6, 1, 2, 10]),
            (
                &[1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 24],
                &[1, 3, 6, 1, 2, 1, 2, 2, 1, 11, 1],
            ),
        ];
        for (smaller, larger) in cases {
            assert!(encode(smaller) < encode(larger), "{smaller:?} < {larger:?}");
        }
    }

    #[test]
    fn instances_below_a_prefix() {
        let column = encode(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 10]);
        let cell = child(&column, 300);
        assert_eq!(single_index(instance(&cell, &column).unwrap()), Some(300));
        assert_eq!(instance(&column, &column), None);
        let next_column = encode(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 11, 1]);
        assert_eq!(instance(&next_column, &column), None);
        let two_arcs = child(&cell, 4);
        assert_eq!(single_index(instance(&two_arcs, &column).unwrap()), None);
        assert_eq!(decode_arcs(&[0x81]), None, "an arc cut short");
        assert_eq!(
            decode_arcs(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
            None,
            "too large"
        );
    }
}
