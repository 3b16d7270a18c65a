//! Rates from SNMP counters: the difference of two readings over the time between them, with
//! 32-bit wraps, agent restarts and discontinuities handled so that a rate is never negative
//! and never beyond what the link can carry. Pure; the device actor keeps the readings.
//!
//! A counter that went back is a wrap if it is 32 bits wide and the wrapped difference is a
//! plausible rate; otherwise (a 64-bit counter, or an impossible rate) it was reset, and the new
//! reading becomes the baseline. An agent restart (`sysUpTime` went back) makes every counter a
//! new baseline. More than one wrap between two polls cannot be seen: a 32-bit octet counter
//! of a 1 Gb/s link wraps every 34 s at full load, which is why 64-bit counters are read where
//! the agent has them.

/// How wide a counter is: `Counter32` wraps at 2³², `Counter64` practically never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterWidth {
    Bits32,
    Bits64,
}

/// One reading of a counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub value: u64,
    pub width: CounterWidth,
    /// The agent's `sysUpTime` when it was read, in hundredths of a second.
    pub uptime_ticks: u32,
    /// When the poller received it, in milliseconds of its monotonic clock.
    pub at_ms: u64,
}

/// What two readings say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    /// Units per second.
    PerSecond(f64),
    /// No rate this time; the new reading is the baseline of the next.
    Baseline(Why),
}

/// Why there is no rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The agent restarted (its uptime went back).
    AgentRestarted,
    /// The counter went back without a plausible wrap, or changed width.
    Discontinuity,
    /// The rate would exceed the limit: a counter reset the agent did not announce.
    Implausible,
    /// No time passed between the readings.
    NoTimeElapsed,
}

/// The rate between `previous` and `current`, at most `limit_per_sec` (the link's capacity in
/// the counter's units).
pub fn rate(previous: &Reading, current: &Reading, limit_per_sec: f64) -> Rate {
    let Some(elapsed_ms) = current
        .at_ms
        .checked_sub(previous.at_ms)
        .filter(|ms| *ms > 0)
    else {
        return Rate::Baseline(Why::NoTimeElapsed);
    };
    if restarted(previous.uptime_ticks, current.uptime_ticks, elapsed_ms) {
        return Rate::Baseline(Why::AgentRestarted);
    }
    if previous.width != current.width {
        return Rate::Baseline(Why::Discontinuity);
    }
    let delta = if current.value >= previous.value {
        current.value - previous.value
    } else {
        match current.width {
            CounterWidth::Bits32 => (current.value + (1 << 32)).saturating_sub(previous.value),
            CounterWidth::Bits64 => return Rate::Baseline(Why::Discontinuity),
        }
    };
    let per_second = delta as f64 * 1000.0 / elapsed_ms as f64;
    if per_second > limit_per_sec {
        return Rate::Baseline(Why::Implausible);
    }
    Rate::PerSecond(per_second)
}

/// Whether `sysUpTime` went back, allowing for its own wrap after 497 days (a wrap leaves
/// the new value small and the old one within one interval of the top).
pub fn restarted(previous_ticks: u32, current_ticks: u32, elapsed_ms: u64) -> bool {
    if current_ticks >= previous_ticks {
        return false;
    }
    let slack_ticks = (elapsed_ms / 10).saturating_mul(2);
    let wrapped = u64::from(u32::MAX - previous_ticks) + u64::from(current_ticks) <= slack_ticks;
    !wrapped
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIG_BYTES: f64 = 125_000_000.0;

    fn reading(value: u64, width: CounterWidth, uptime_ticks: u32, at_ms: u64) -> Reading {
        Reading {
            value,
            width,
            uptime_ticks,
            at_ms,
        }
    }

    #[test]
    fn rates_from_pairs_of_readings() {
        use CounterWidth::{Bits32, Bits64};
        let max32 = u64::from(u32::MAX);
        let cases = [
            // (name, previous, current, expected)
            (
                "steady growth",
                reading(1_000, Bits32, 100, 0),
                reading(11_000, Bits32, 1_100, 10_000),
                Rate::PerSecond(1_000.0),
            ),
            (
                "no change",
                reading(5, Bits64, 100, 0),
                reading(5, Bits64, 200, 1_000),
                Rate::PerSecond(0.0),
            ),
            (
                "32-bit wrap",
                reading(max32 - 999, Bits32, 100, 0),
                reading(9_000, Bits32, 1_100, 10_000),
                Rate::PerSecond(1_000.0),
            ),
            (
                "64-bit counter going back is a discontinuity",
                reading(10_000, Bits64, 100, 0),
                reading(9_000, Bits64, 1_100, 10_000),
                Rate::Baseline(Why::Discontinuity),
            ),
            (
                "agent restart",
                reading(4_000_000, Bits64, 90_000, 0),
                reading(1_000, Bits64, 300, 10_000),
                Rate::Baseline(Why::AgentRestarted),
            ),
            (
                "agent restart with a counter that grew anyway",
                reading(1_000, Bits32, 90_000, 0),
                reading(2_000, Bits32, 300, 10_000),
                Rate::Baseline(Why::AgentRestarted),
            ),
            (
                "uptime wrapping after 497 days is not a restart",
                reading(1_000, Bits64, u32::MAX - 500, 0),
                reading(11_000, Bits64, 499, 10_000),
                Rate::PerSecond(1_000.0),
            ),
            (
                "a reset counter looks like a wrap beyond the link's capacity",
                reading(max32 - 10, Bits32, 100, 0),
                reading(max32 - 20, Bits32, 200, 1_000),
                Rate::Baseline(Why::Implausible),
            ),
            (
                "faster than the link",
                reading(0, Bits64, 100, 0),
                reading(2 * GIG_BYTES as u64, Bits64, 200, 1_000),
                Rate::Baseline(Why::Implausible),
            ),
            (
                "the agent gained 64-bit counters",
                reading(0, Bits32, 100, 0),
                reading(10, Bits64, 200, 1_000),
                Rate::Baseline(Why::Discontinuity),
            ),
            (
                "no time between readings",
                reading(0, Bits64, 100, 5),
                reading(10, Bits64, 100, 5),
                Rate::Baseline(Why::NoTimeElapsed),
            ),
            (
                "readings out of order",
                reading(0, Bits64, 100, 5),
                reading(10, Bits64, 100, 4),
                Rate::Baseline(Why::NoTimeElapsed),
            ),
        ];
        for (name, previous, current, expected) in cases {
            assert_eq!(rate(&previous, &current, GIG_BYTES), expected, "{name}");
        }
    }
}
