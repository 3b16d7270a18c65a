//! The logins behind this node's open sockets, and when each stops holding.
//!
//! One task per node keeps them current: it asks the database which of them still hold
//! every `session_check_interval` (one query per thousand logins, whatever the number of
//! sockets; expiry, a disabled user, a revoke on another node), and it hears this node's
//! logouts at once. An ended login wakes its own sockets only, not every socket on the node.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use parking_lot::Mutex;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use super::shutdown_requested;
use crate::identity::sessions::SessionStore;

/// How many logins ended on this node are remembered, for a socket that registers its login
/// just after it ended.
const RECENTLY_ENDED: usize = 64;

/// Clones share the registry.
#[derive(Clone, Default)]
pub struct OpenLogins {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    /// By session id: turns true when the login ends. Dropped with its last socket.
    open: HashMap<i64, watch::Sender<bool>>,
    recently_ended: VecDeque<i64>,
}

/// A socket's hold on its login; [`LoginWatch::ended`] completes once the login no longer
/// holds. Dropping it lets the registry forget a login with no socket left.
pub struct LoginWatch {
    session_id: i64,
    ended_opt: Option<watch::Receiver<bool>>,
    logins: OpenLogins,
}

impl OpenLogins {
    /// Starts the node's task that checks the open logins every `every` and hears
    /// `sessions`' endings; it stops when `shutdown` turns true.
    pub fn start(
        sessions: web::Data<SessionStore>,
        every: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) -> OpenLogins {
        let logins = OpenLogins::default();
        let mut endings = sessions.endings();
        let checker = logins.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = shutdown_requested(&mut shutdown) => return,
                    _ = ticks.tick() => checker.check(&sessions).await,
                    ended = endings.recv() => match ended {
                        Ok(session_id) => checker.end(session_id),
                        // Fell behind on endings: ask about every open login instead.
                        Err(RecvError::Lagged(_)) => checker.check(&sessions).await,
                        Err(RecvError::Closed) => return,
                    },
                }
            }
        });
        logins
    }

    /// Registers a socket of `session_id`.
    pub fn watch(&self, session_id: i64) -> LoginWatch {
        let mut inner = self.inner.lock();
        let ended = if inner.recently_ended.contains(&session_id) {
            watch::channel(true).1
        } else {
            inner
                .open
                .entry(session_id)
                .or_insert_with(|| watch::channel(false).0)
                .subscribe()
        };
        LoginWatch {
            session_id,
            ended_opt: Some(ended),
            logins: self.clone(),
        }
    }

    /// The logins with a socket open.
    fn open(&self) -> Vec<i64> {
        self.inner.lock().open.keys().copied().collect()
    }

    /// Closes the sockets of `session_id`.
    fn end(&self, session_id: i64) {
        let mut inner = self.inner.lock();
        if inner.recently_ended.len() == RECENTLY_ENDED {
            inner.recently_ended.pop_front();
        }
        inner.recently_ended.push_back(session_id);
        if let Some(ended) = inner.open.remove(&session_id) {
            ended.send_replace(true);
        }
    }

    /// Ends the open logins that no longer hold. A database outage ends none: the next
    /// check asks again.
    async fn check(&self, sessions: &SessionStore) {
        let open = self.open();
        if open.is_empty() {
            return;
        }
        match sessions.live_among(&open).await {
            Ok(live) => {
                for session_id in open.into_iter().filter(|id| !live.contains(id)) {
                    self.end(session_id);
                }
            }
            Err(error) => tracing::warn!(%error, "could not check the open sockets' logins"),
        }
    }
}

impl LoginWatch {
    /// Completes once the login has ended.
    pub async fn ended(&mut self) {
        let Some(ended) = self.ended_opt.as_mut() else {
            return std::future::pending().await;
        };
        // The value outlives the sender: an ended login is seen even after it was dropped.
        if ended.wait_for(|ended| *ended).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for LoginWatch {
    fn drop(&mut self) {
        let mut inner = self.logins.inner.lock();
        drop(self.ended_opt.take());
        let unwatched = inner
            .open
            .get(&self.session_id)
            .is_some_and(|ended| ended.receiver_count() == 0);
        if unwatched {
            inner.open.remove(&self.session_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_ended_login_wakes_its_own_sockets_and_is_forgotten_with_the_last() {
        let logins = OpenLogins::default();
        let mut first = logins.watch(1);
        let mut second = logins.watch(1);
        let mut other = logins.watch(2);
        assert_eq!(sorted(logins.open()), [1, 2]);
        logins.end(1);
        tokio::time::timeout(Duration::from_secs(1), first.ended())
            .await
            .expect("the first socket hears it");
        tokio::time::timeout(Duration::from_secs(1), second.ended())
            .await
            .expect("so does the second");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), other.ended())
                .await
                .is_err(),
            "another login's socket stays open"
        );
        // A socket that registers just after its login ended is told at once.
        let mut late = logins.watch(1);
        tokio::time::timeout(Duration::from_secs(1), late.ended())
            .await
            .expect("a late socket hears it");
        assert_eq!(logins.open(), [2]);
        drop(other);
        assert!(logins.open().is_empty(), "no socket, no login to check");
    }

    fn sorted(mut ids: Vec<i64>) -> Vec<i64> {
        ids.sort_unstable();
        ids
    }
}
