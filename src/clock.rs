//! The time source of everything that keeps deadlines (approval SLAs, reminders, task due
//! dates, alarm escalation): the system clock in production, or a manual clock that tests
//! move forward.
//!
//! Timers wait on the clock ([`Clock::sleep_until`]), never on tokio's timer directly, so a
//! test advances a manual clock and every timer due by then fires at once, with no real
//! sleeps. (Pausing tokio's clock instead does not work for these tests: a paused runtime
//! jumps to its next timer whenever it waits on the database, and fires the pool's timeouts.)

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct Clock {
    /// The manual clock's time, shared by its clones; empty for the system clock.
    manual_opt: Option<Arc<watch::Sender<DateTime<Utc>>>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { manual_opt: None }
    }

    /// A clock that stands still at `start` until [`Clock::advance`] moves it.
    pub fn manual(start: DateTime<Utc>) -> Clock {
        Clock {
            manual_opt: Some(Arc::new(watch::channel(start).0)),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.manual_opt {
            None => Utc::now(),
            Some(manual) => *manual.borrow(),
        }
    }

    /// Milliseconds since the Unix epoch, as monitoring counts time.
    pub fn now_ms(&self) -> u64 {
        self.now().timestamp_millis().max(0) as u64
    }

    /// Moves a manual clock forward, waking the timers now due. The system clock cannot be
    /// moved.
    pub fn advance(&self, by: chrono::Duration) {
        let manual = self
            .manual_opt
            .as_ref()
            .expect("only a manual clock can be advanced");
        manual.send_modify(|now| *now += by);
    }

    /// The time `delay` from now (the end of time, should it not fit).
    pub fn after(&self, delay: std::time::Duration) -> DateTime<Utc> {
        chrono::TimeDelta::from_std(delay)
            .ok()
            .and_then(|delay| self.now().checked_add_signed(delay))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Completes once the clock has moved `delay` on from the moment of the call.
    pub fn sleep(&self, delay: std::time::Duration) -> impl Future<Output = ()> + 'static {
        let (clock, deadline) = (self.clone(), self.after(delay));
        async move { clock.sleep_until(deadline).await }
    }

    /// Completes when the clock reaches `deadline`.
    pub async fn sleep_until(&self, deadline: DateTime<Utc>) {
        match &self.manual_opt {
            None => {
                let wait = (deadline - Utc::now()).to_std().unwrap_or_default();
                tokio::time::sleep(wait).await;
            }
            Some(manual) => {
                let mut changes = manual.subscribe();
                // The sender lives as long as this clock, so waiting cannot fail.
                let _ = changes.wait_for(|now| *now >= deadline).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_manual_clock_wakes_its_sleepers_when_advanced_past_their_deadline() {
        let start = Utc::now();
        let clock = Clock::manual(start);
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep_until(start + chrono::Duration::hours(1)).await }
        });
        clock.advance(chrono::Duration::minutes(59));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!sleeper.is_finished());
        clock.advance(chrono::Duration::minutes(1));
        tokio::time::timeout(Duration::from_secs(5), sleeper)
            .await
            .expect("the sleeper wakes")
            .unwrap();
        assert_eq!(clock.now() - start, chrono::Duration::hours(1));
    }
}
