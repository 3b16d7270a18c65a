//! Deciding what a subscriber that says "I saw up to `since`" gets: the events it missed, or
//! a `resync` when they are no longer all at hand. Pure, so it is tested with tables.

use bytestring::ByteString;

/// An event frame with its sequence number.
pub type SequencedFrame = (u64, ByteString);

#[derive(Debug, PartialEq, Eq)]
pub enum Resume {
    /// Send these (possibly none), then live events after `latest`.
    Live { missed: Vec<SequencedFrame> },
    /// The gap cannot be filled: the client must reload its state.
    Resync,
}

/// `latest` is the topic's newest sequence number; `available` holds recent frames in
/// ascending order without duplicates.
pub fn plan(since_opt: Option<u64>, latest: u64, available: &[SequencedFrame]) -> Resume {
    let Some(since) = since_opt else {
        return Resume::Live { missed: Vec::new() };
    };
    if since == latest {
        return Resume::Live { missed: Vec::new() };
    }
    if since > latest {
        // The client saw events this topic no longer counts (a restart of the in-process bus).
        return Resume::Resync;
    }
    let missed: Vec<SequencedFrame> = available
        .iter()
        .filter(|(seq, _)| *seq > since && *seq <= latest)
        .cloned()
        .collect();
    if missed.len() as u64 == latest - since {
        Resume::Live { missed }
    } else {
        Resume::Resync
    }
}

/// Merges two ascending frame lists into one without duplicate sequence numbers.
pub fn merge(
    local: impl Iterator<Item = SequencedFrame>,
    remote: Vec<SequencedFrame>,
) -> Vec<SequencedFrame> {
    let mut all: Vec<SequencedFrame> = local.chain(remote).collect();
    all.sort_by_key(|(seq, _)| *seq);
    all.dedup_by_key(|(seq, _)| *seq);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(seqs: &[u64]) -> Vec<SequencedFrame> {
        seqs.iter()
            .map(|seq| (*seq, ByteString::from(format!("e{seq}"))))
            .collect()
    }

    fn seqs(resume: &Resume) -> Option<Vec<u64>> {
        match resume {
            Resume::Live { missed } => Some(missed.iter().map(|(seq, _)| *seq).collect()),
            Resume::Resync => None,
        }
    }

    #[test]
    fn plans() {
        // since, latest, available, expected (None = resync)
        type Row = (Option<u64>, u64, &'static [u64], Option<&'static [u64]>);
        let table: [Row; 9] = [
            (None, 10, &[8, 9, 10], Some(&[])),
            (Some(10), 10, &[8, 9, 10], Some(&[])),
            (Some(8), 10, &[8, 9, 10], Some(&[9, 10])),
            (Some(7), 10, &[8, 9, 10], Some(&[8, 9, 10])),
            (Some(6), 10, &[8, 9, 10], None),
            (Some(0), 3, &[1, 2, 3], Some(&[1, 2, 3])),
            (Some(0), 0, &[], Some(&[])),
            (Some(12), 10, &[8, 9, 10], None),
            (Some(7), 10, &[8, 10], None),
        ];
        for (since, latest, available, expected) in table {
            let resume = plan(since, latest, &frames(available));
            assert_eq!(
                seqs(&resume).as_deref(),
                expected,
                "since {since:?} latest {latest} available {available:?}"
            );
        }
    }

    #[test]
    fn merge_sorts_and_dedups() {
        let merged = merge(frames(&[3, 4, 5]).into_iter(), frames(&[1, 2, 3, 4]));
        assert_eq!(
            merged.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
    }
}
