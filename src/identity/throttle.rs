//! Failed-login throttling that cannot be turned against a user: failures are counted per
//! username *at a client address*, and per address whatever the names. Past a few free
//! failures each further attempt of that key must wait a delay that doubles with every
//! failure (1 s, 2 s, 4 s … up to a ceiling), counted from the last failure. Someone guessing
//! from one place slows only themselves there: the right password from anywhere else is let in
//! at once, and no number of failures locks an account.
//!
//! The counts live in the database (`login_failures`), so every node behind a load balancer
//! sees the same ones. [`Policy`] is the pure part, clock-injected; [`LoginThrottle`] reads and
//! writes the counts. A key's count is forgotten once `window` has passed since its last
//! failure; forgotten rows are swept now and then.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use super::settings::AuthSettings;
use crate::db::entities::login_failure::{self, Column};

/// The first delay past the free failures; each further failure doubles it.
const FIRST_DELAY: Duration = Duration::from_secs(1);

/// Expired rows are swept on one attempt in this many.
const SWEEP_EVERY: u32 = 256;

/// How long a key must wait, given its failures in a row.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Failures in a row allowed without any delay.
    pub free_failures: u32,
    /// A key's failures are forgotten this long after its last one.
    pub window: Duration,
    /// The ceiling of the growing delay.
    pub max_delay: Duration,
}

impl Policy {
    /// The delay owed after `failures` in a row: none while they are free, then 1 s, 2 s, 4 s
    /// … capped at `max_delay`.
    pub fn delay(&self, failures: u32) -> Duration {
        if failures < self.free_failures {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free_failures).min(30);
        FIRST_DELAY
            .saturating_mul(1 << doublings)
            .min(self.max_delay)
    }

    /// `Some(wait)` while a key whose last failure (of `failures` in a row) was at
    /// `last_failure_at` must still wait at `now`.
    pub fn wait(
        &self,
        failures: u32,
        last_failure_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<Duration> {
        let since = (now - last_failure_at).to_std().unwrap_or(Duration::ZERO);
        if since >= self.window {
            return None;
        }
        self.delay(failures)
            .checked_sub(since)
            .filter(|wait| !wait.is_zero())
    }
}

/// The two keys a login is counted under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    /// The username at the client address.
    pub user: String,
    /// The client address, whatever the name.
    pub address: String,
}

impl Keys {
    pub fn new(username: &str, address: &str) -> Self {
        Keys {
            user: format!("user:{address} {username}"),
            address: format!("address:{address}"),
        }
    }
}

pub struct LoginThrottle {
    db: DatabaseConnection,
    per_user: Policy,
    per_address: Policy,
    attempts: AtomicU32,
}

impl LoginThrottle {
    pub fn new(db: DatabaseConnection, settings: &AuthSettings) -> Self {
        let window = Duration::from_secs(settings.failed_login_window_secs);
        let max_delay = Duration::from_secs(settings.max_login_delay_secs);
        LoginThrottle {
            db,
            per_user: Policy {
                free_failures: settings.free_failed_logins,
                window,
                max_delay,
            },
            per_address: Policy {
                free_failures: settings.free_failed_logins_per_address,
                window,
                max_delay,
            },
            attempts: AtomicU32::new(0),
        }
    }

    /// `Some(wait)` when either key must still wait.
    pub async fn check(&self, keys: &Keys, now: DateTime<Utc>) -> Result<Option<Duration>, DbErr> {
        let rows = login_failure::Entity::find()
            .filter(Column::Key.is_in([keys.user.as_str(), keys.address.as_str()]))
            .all(&self.db)
            .await?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let policy = if row.key == keys.user {
                    &self.per_user
                } else {
                    &self.per_address
                };
                let failures = u32::try_from(row.failures).unwrap_or(0);
                policy.wait(failures, row.last_failure_at, now)
            })
            .max())
    }

    /// Counts an attempt as a failure of both keys before its password is checked, so that
    /// concurrent guesses cannot all pass `check` while the slow hash runs. A count whose
    /// window has passed starts again from one.
    pub async fn record_attempt(&self, keys: &Keys, now: DateTime<Utc>) -> Result<(), DbErr> {
        let forgotten_before = now - self.per_user.window;
        let table = login_failure::Entity;
        let mut insert = Query::insert();
        insert
            .into_table(table)
            .columns([Column::Key, Column::Failures, Column::LastFailureAt])
            .on_conflict(
                OnConflict::column(Column::Key)
                    .value(
                        Column::Failures,
                        Expr::case(
                            Expr::col((table, Column::LastFailureAt)).lt(forgotten_before),
                            1,
                        )
                        .finally(Expr::col((table, Column::Failures)).add(1)),
                    )
                    .value(Column::LastFailureAt, now)
                    .to_owned(),
            );
        for key in [&keys.user, &keys.address] {
            insert.values_panic([key.clone().into(), 1.into(), now.into()]);
        }
        let backend = self.db.get_database_backend();
        self.db.execute(backend.build(&insert)).await?;
        if self
            .attempts
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
        {
            login_failure::Entity::delete_many()
                .filter(Column::LastFailureAt.lt(forgotten_before))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    /// The attempt was right: the name at this address starts afresh, and the address's
    /// count loses this attempt (not its earlier failures).
    pub async fn record_success(&self, keys: &Keys) -> Result<(), DbErr> {
        login_failure::Entity::delete_by_id(keys.user.clone())
            .exec(&self.db)
            .await?;
        login_failure::Entity::update_many()
            .col_expr(Column::Failures, Expr::col(Column::Failures).sub(1))
            .filter(Column::Key.eq(keys.address.as_str()))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy {
        free_failures: 5,
        window: Duration::from_secs(900),
        max_delay: Duration::from_secs(300),
    };

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn the_delay_is_free_then_doubles_up_to_its_ceiling() {
        let delays: Vec<u64> = (0..16).map(|n| POLICY.delay(n).as_secs()).collect();
        assert_eq!(
            delays,
            [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
        );
        assert_eq!(POLICY.delay(u32::MAX), POLICY.max_delay);
    }

    #[test]
    fn a_key_waits_out_its_delay_from_the_last_failure() {
        assert_eq!(POLICY.wait(4, at(0), at(0)), None);
        assert_eq!(POLICY.wait(7, at(0), at(1)), Some(Duration::from_secs(3)));
        assert_eq!(POLICY.wait(7, at(0), at(4)), None);
        assert_eq!(
            POLICY.wait(40, at(0), at(299)),
            Some(Duration::from_secs(1))
        );
        // A clock behind the last failure (another node's) waits the whole delay.
        assert_eq!(POLICY.wait(6, at(10), at(0)), Some(Duration::from_secs(2)));
    }

    #[test]
    fn failures_are_forgotten_once_the_window_has_passed() {
        let long = Policy {
            max_delay: Duration::from_secs(3600),
            ..POLICY
        };
        assert!(long.wait(30, at(0), at(899)).is_some());
        assert_eq!(long.wait(30, at(0), at(900)), None);
    }

    #[test]
    fn a_name_is_counted_apart_at_each_address() {
        let here = Keys::new("li", "10.0.0.9");
        let there = Keys::new("li", "10.0.0.10");
        assert_ne!(here.user, there.user);
        assert_eq!(here.address, Keys::new("wang", "10.0.0.9").address);
        assert_ne!(here.user, here.address);
    }
}
