//! Flapping: a key that raises and clears again and again within a short window is held back
//! rather than paging people with each change. Owns counting one key's transitions and
//! deciding when it starts and stops flapping; leaves to the engine what a transition is
//! and what it publishes.

use std::collections::VecDeque;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlappingConfig {
    /// How far back transitions are counted, and how long a flapping key must stay unchanged
    /// before it is trusted again.
    pub window_ms: u64,
    /// More raises and clears than this within the window make a key flap.
    pub max_transitions: usize,
}

impl Default for FlappingConfig {
    /// More than 5 changes within 10 minutes.
    fn default() -> FlappingConfig {
        FlappingConfig {
            window_ms: 10 * 60_000,
            max_transitions: 5,
        }
    }
}

/// What happens to one raise or clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionVerdict {
    /// Not flapping: publish it.
    Publish,
    /// This one made the key flap: publish that instead.
    FlappingStarted,
    /// Already flapping: keep it quiet.
    Withhold,
}

/// One key's recent transitions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlappingDetector {
    /// When the key raised or cleared within the window, oldest first; the last one also
    /// tells how long the key has been stable.
    transitions_at_ms: VecDeque<u64>,
    /// Whether transitions are being withheld.
    flapping: bool,
}

impl FlappingDetector {
    pub fn is_flapping(&self) -> bool {
        self.flapping
    }

    /// Takes the key back as flapping at `at_ms` (it was when last recorded): held back until
    /// it has been stable for a window from then.
    pub fn restore_flapping(&mut self, at_ms: u64) {
        self.flapping = true;
        self.transitions_at_ms = VecDeque::from([at_ms]);
    }

    /// Counts a raise or clear at `at_ms` and says what to do with it.
    pub fn record_transition(&mut self, config: FlappingConfig, at_ms: u64) -> TransitionVerdict {
        self.transitions_at_ms.push_back(at_ms);
        while let Some(&oldest_at_ms) = self.transitions_at_ms.front() {
            if at_ms.saturating_sub(oldest_at_ms) < config.window_ms {
                break;
            }
            self.transitions_at_ms.pop_front();
        }
        if self.flapping {
            TransitionVerdict::Withhold
        } else if self.transitions_at_ms.len() > config.max_transitions {
            self.flapping = true;
            TransitionVerdict::FlappingStarted
        } else {
            TransitionVerdict::Publish
        }
    }

    /// Ends flapping once the key has not changed for a whole window by `at_ms`; true when it
    /// ended now.
    pub fn end_if_stable(&mut self, config: FlappingConfig, at_ms: u64) -> bool {
        let stable = self
            .transitions_at_ms
            .back()
            .is_none_or(|&last_at_ms| at_ms.saturating_sub(last_at_ms) >= config.window_ms);
        if self.flapping && stable {
            self.flapping = false;
            self.transitions_at_ms.clear();
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TransitionVerdict::{FlappingStarted, Publish, Withhold};

    const MINUTE_MS: u64 = 60_000;

    #[test]
    fn more_than_max_transitions_within_the_window_flap() {
        let config = FlappingConfig::default();
        // (minute of the transition, verdict)
        let table: &[(&str, &[(u64, TransitionVerdict)])] = &[
            (
                "five changes are tolerated, the sixth flaps, later ones are withheld",
                &[
                    (0, Publish),
                    (1, Publish),
                    (2, Publish),
                    (3, Publish),
                    (4, Publish),
                    (5, FlappingStarted),
                    (6, Withhold),
                ],
            ),
            (
                "changes that fall out of the window no longer count",
                &[
                    (0, Publish),
                    (3, Publish),
                    (6, Publish),
                    (9, Publish),
                    (12, Publish),
                    (15, Publish),
                    (18, Publish),
                ],
            ),
        ];
        for (name, transitions) in table {
            let mut detector = FlappingDetector::default();
            for &(minute, verdict) in transitions.iter() {
                assert_eq!(
                    detector.record_transition(config, minute * MINUTE_MS),
                    verdict,
                    "{name}: minute {minute}"
                );
            }
        }
    }

    #[test]
    fn flapping_ends_after_a_whole_stable_window() {
        let config = FlappingConfig {
            window_ms: 10 * MINUTE_MS,
            max_transitions: 1,
        };
        let mut detector = FlappingDetector::default();
        assert_eq!(detector.record_transition(config, 0), Publish);
        assert_eq!(
            detector.record_transition(config, MINUTE_MS),
            FlappingStarted
        );
        assert_eq!(detector.record_transition(config, 2 * MINUTE_MS), Withhold);
        let table = [(5, false), (11, false), (12, true), (13, false)];
        for (minute, ended) in table {
            assert_eq!(
                detector.end_if_stable(config, minute * MINUTE_MS),
                ended,
                "minute {minute}"
            );
        }
        assert!(!detector.is_flapping());
        assert_eq!(detector.record_transition(config, 14 * MINUTE_MS), Publish);
    }
}
