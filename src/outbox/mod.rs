//! Transactional outboxes and the actors that drain them: mail (`mail`) and notification
//! channel deliveries (`notify`). A change that warrants a message writes it as a row in its
//! own transaction, so the message exists if and only if the change committed; a supervised
//! actor per outbox claims due rows, delivers them, and retries failures by [`RETRY`],
//! forever. What a row holds and how it is delivered is each outbox's own; the loop, the
//! nudge and the retry policy are shared here.
//!
//! # Layout
//! - [`actor`]: the drain loop ([`actor::start`]) around a [`Drain`], and its snapshot.
//! - [`rows`]: claiming a batch of due rows under a lease (one statement), marking rows
//!   delivered.
//! - here: the [`Drain`] trait, the [`Nudge`] and the retry policy.

pub mod actor;
pub mod rows;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::future::BoxFuture;
use tokio::sync::watch;
use yunguan_actors::supervision::Backoff;

/// Waits between attempts at one message: 1 s after the first failure, doubling, at most five
/// minutes. A receiver that is down for hours is retried every five minutes, and a message is
/// never given up on.
pub const RETRY: Backoff = Backoff::doubling(Duration::from_secs(1), Duration::from_secs(5 * 60));

/// One outbox, drained a batch at a time.
pub trait Drain: Send + Sync + 'static {
    /// Claims up to a batch of due rows, delivers them and records the results. Errs only
    /// when the database does.
    fn drain_once(self: Arc<Self>) -> BoxFuture<'static, anyhow::Result<Pass>>;

    /// Rows one pass claims at most: a full pass means more may be due at once.
    fn batch_size(&self) -> u64;
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    /// Attempts that failed; each of those rows is due again after its backoff.
    pub failed: usize,
    pub last_error_opt: Option<String>,
}

/// Wakes the drain actors after a commit, so that new rows go out without waiting for the
/// next poll. Cheap to clone; one nudge wakes every actor that follows it, and a nudge during
/// a pass is not lost: it starts the next pass early.
#[derive(Debug, Clone)]
pub struct Nudge {
    tx: Arc<watch::Sender<u64>>,
}

impl Default for Nudge {
    fn default() -> Nudge {
        Nudge {
            tx: Arc::new(watch::channel(0).0),
        }
    }
}

impl Nudge {
    pub fn nudge(&self) {
        self.tx.send_modify(|count| *count = count.wrapping_add(1));
    }

    /// A receiver that sees every nudge from now on.
    fn follow(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }
}

/// When the next attempt is due after a row's `attempts`-th failed attempt.
pub fn next_attempt_after(now: DateTime<Utc>, attempts: u32) -> DateTime<Utc> {
    later(now, RETRY.delay_after(attempts))
}

/// `now + delay`. The delays here (a backoff of minutes, a lease of minutes) are far inside
/// chrono's range; the fallback only keeps this total.
pub fn later(now: DateTime<Utc>, delay: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(delay)
        .ok()
        .and_then(|delta| now.checked_add_signed(delta))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_retried_after_one_second_doubling_up_to_five_minutes() {
        let now = Utc::now();
        for (attempts, expected_secs) in
            [(1, 1), (2, 2), (3, 4), (9, 256), (10, 300), (u32::MAX, 300)]
        {
            assert_eq!(
                next_attempt_after(now, attempts) - now,
                TimeDelta::seconds(expected_secs),
                "after {attempts} failed attempts"
            );
        }
    }

    #[tokio::test]
    async fn one_nudge_wakes_every_follower_even_one_busy_at_the_time() {
        let nudge = Nudge::default();
        let (mut first, mut second) = (nudge.follow(), nudge.follow());
        nudge.nudge();
        // Neither was waiting when it came; both see it when they next wait.
        first.changed().await.unwrap();
        second.changed().await.unwrap();
        assert!(!first.has_changed().unwrap());
    }
}
