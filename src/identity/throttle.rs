//! Failed-login throttling, per username and per client address: after `max_failures` within
//! `window`, further attempts for that key are refused until the oldest failure ages out.
//!
//! Pure and clock-injected: callers pass `now`. Kept in memory per node; a cluster behind a
//! load balancer therefore allows up to `max_failures` per node (noted in ARCHITECTURE.md).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Keys tracked before expired ones are swept, so a flood of random names stays bounded.
const SWEEP_ABOVE_KEYS: usize = 10_000;

#[derive(Debug)]
pub struct FailureWindow {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl FailureWindow {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        FailureWindow {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(wait)` when `key` has used up its failures; `wait` is how long until it may retry.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut failures = self.failures.lock();
        let Some(times) = failures.get_mut(key) else {
            return Ok(());
        };
        prune(times, now, self.window);
        if times.len() < self.max_failures as usize {
            return Ok(());
        }
        let oldest = times.front().copied().unwrap_or(now);
        Err(self
            .window
            .saturating_sub(now.saturating_duration_since(oldest)))
    }

    pub fn record_failure(&self, key: &str, now: Instant) {
        let mut failures = self.failures.lock();
        if failures.len() > SWEEP_ABOVE_KEYS {
            failures.retain(|_, times| {
                prune(times, now, self.window);
                !times.is_empty()
            });
        }
        let times = failures.entry(key.to_owned()).or_default();
        prune(times, now, self.window);
        times.push_back(now);
        while times.len() > self.max_failures as usize {
            times.pop_front();
        }
    }

    pub fn clear(&self, key: &str) {
        self.failures.lock().remove(key);
    }

    /// Takes back the newest failure recorded for `key` (an attempt that turned out right).
    pub fn forgive_last(&self, key: &str) {
        let mut failures = self.failures.lock();
        if let Some(times) = failures.get_mut(key) {
            times.pop_back();
            if times.is_empty() {
                failures.remove(key);
            }
        }
    }
}

fn prune(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times
        .front()
        .is_some_and(|first| now.saturating_duration_since(*first) >= window)
    {
        times.pop_front();
    }
}

/// The two windows a login passes through.
#[derive(Debug)]
pub struct LoginThrottle {
    pub per_user: FailureWindow,
    pub per_address: FailureWindow,
}

impl LoginThrottle {
    /// `Err(wait)` when either the username or the address is throttled.
    pub fn check(&self, username: &str, address: &str, now: Instant) -> Result<(), Duration> {
        let user = self.per_user.check(username, now);
        let address = self.per_address.check(address, now);
        match (user, address) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(a), Err(b)) => Err(a.max(b)),
            (Err(wait), _) | (_, Err(wait)) => Err(wait),
        }
    }

    /// Counts an attempt as a failure before its password is checked, so that concurrent
    /// guesses cannot all pass `check` while the slow hash runs.
    pub fn record_attempt(&self, username: &str, address: &str, now: Instant) {
        self.per_user.record_failure(username, now);
        self.per_address.record_failure(address, now);
    }

    /// The attempt was right: the user's failures are forgiven, and the address's count loses
    /// this attempt (not its earlier failures).
    pub fn record_success(&self, username: &str, address: &str) {
        self.per_user.clear(username);
        self.per_address.forgive_last(address);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn a_key_is_refused_after_max_failures_until_the_oldest_ages_out() {
        let window = FailureWindow::new(3, 10 * MINUTE);
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(window.check("li", t0 + i * MINUTE).is_ok());
            window.record_failure("li", t0 + i * MINUTE);
        }
        assert_eq!(window.check("li", t0 + 3 * MINUTE), Err(7 * MINUTE));
        assert!(window.check("wang", t0 + 3 * MINUTE).is_ok());
        assert!(window.check("li", t0 + 10 * MINUTE).is_ok());
        window.clear("li");
        assert!(window.check("li", t0 + 3 * MINUTE).is_ok());
    }

    #[test]
    fn the_address_window_catches_attempts_spread_over_many_names() {
        let throttle = LoginThrottle {
            per_user: FailureWindow::new(5, 10 * MINUTE),
            per_address: FailureWindow::new(4, 10 * MINUTE),
        };
        let now = Instant::now();
        throttle.record_attempt("a0", "10.0.0.9", now);
        throttle.record_success("a0", "10.0.0.9");
        for name in ["a1", "a2", "a3", "a4"] {
            assert!(throttle.check(name, "10.0.0.9", now).is_ok());
            throttle.record_attempt(name, "10.0.0.9", now);
        }
        assert!(throttle.check("a5", "10.0.0.9", now).is_err());
        assert!(throttle.check("a5", "10.0.0.10", now).is_ok());
        throttle.record_success("a1", "10.0.0.9");
        assert!(
            throttle.check("a1", "10.0.0.9", now).is_ok(),
            "one success forgives itself"
        );
        throttle.record_attempt("a1", "10.0.0.9", now);
        assert!(
            throttle.check("a1", "10.0.0.9", now).is_err(),
            "the address stays throttled for its failures"
        );
    }
}
