//! The time source of everything that keeps deadlines (approval SLAs, reminders, task due
//! dates): the system clock in production, or one that follows tokio's clock so that tests
//! can pause and advance time instead of sleeping.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// A wall time and the tokio instant it corresponds to; empty for the system clock.
    anchor_opt: Option<(DateTime<Utc>, tokio::time::Instant)>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { anchor_opt: None }
    }

    /// A clock that starts at the current wall time and then moves only as tokio's clock
    /// does (paused and advanced in tests).
    pub fn following_tokio() -> Clock {
        Clock {
            anchor_opt: Some((Utc::now(), tokio::time::Instant::now())),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self.anchor_opt {
            None => Utc::now(),
            Some((wall, instant)) => {
                let elapsed =
                    chrono::Duration::from_std(instant.elapsed()).unwrap_or(chrono::Duration::MAX);
                wall + elapsed
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_tokio_clock_moves_with_tokio_time() {
        let clock = Clock::following_tokio();
        let start = clock.now();
        tokio::time::advance(std::time::Duration::from_secs(3600)).await;
        assert_eq!((clock.now() - start).num_seconds(), 3600);
    }
}
