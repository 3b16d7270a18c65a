//! Supervision: keeps an actix actor running behind one stable address.
//!
//! A [`Supervisor`] starts an actor from a factory, watches for its end (a panic in any of its
//! handlers or futures, or a normal stop) and starts a fresh one after a backoff, so that callers
//! holding a [`Supervised`] handle keep reaching it. Restarts and panics are counted in the
//! actor's [`ActorHealth`], which the [`ActorRegistry`] lists for metrics and admin pages.
//! Each actor also publishes a cheap snapshot of its own state through its [`Link`].
//!
//! actix's own `Supervisor` restarts an actor that stops, but a panic unwinds its task and
//! drops the actor without telling anyone, so this module watches for the drop instead: the
//! factory hands the actor a [`Link`], and the link's drop is the actor's death notice. A panic
//! hook records the panic message on the thread that panicked; actix runs each actor on one
//! arbiter thread, and tokio drops a panicked task on that same thread right after, so the drop
//! can tell a panic from a clean stop.
//!
//! It leaves what an actor does, and what its snapshot holds, to the actor.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once, RwLock};
use std::time::Duration;

use actix::{Actor, Addr, Context};
use tokio::sync::{oneshot, watch};

/// The one retry policy of the platform: wait `initial` after the first failure, doubling
/// after each failure in a row, at most `max`; a run of failures ends once things have gone
/// well for `reset_after`. Restarting actors, delivering mail and notifications, syncing
/// clouds and fulfilling tickets all wait by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    pub reset_after: Duration,
}

impl Backoff {
    /// A policy for counted failures (a row's attempts, a sync's failures in a row), where
    /// `reset_after` does not apply: whoever counts resets the count.
    pub const fn doubling(initial: Duration, max: Duration) -> Backoff {
        Backoff {
            initial,
            max,
            reset_after: Duration::MAX,
        }
    }

    /// The wait after `failures` failures in a row: none before the first, `initial` after
    /// it, then doubling up to `max`. Never overflows, however long the run.
    pub fn delay_after(&self, failures: u32) -> Duration {
        if failures == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32.checked_shl(failures - 1).unwrap_or(u32::MAX);
        self.initial
            .checked_mul(factor)
            .unwrap_or(Duration::MAX)
            .min(self.max)
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(30),
            reset_after: Duration::from_secs(60),
        }
    }
}

/// Counters and the last failure of one supervised actor. Shared, cheap to read.
#[derive(Debug, Default)]
pub struct ActorHealth {
    restarts: AtomicU64,
    panics: AtomicU64,
    running: AtomicBool,
    last_failure: Mutex<Option<String>>,
}

/// A copy of an actor's health at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthSnapshot {
    pub name: String,
    pub running: bool,
    pub restarts: u64,
    pub panics: u64,
    pub last_failure_opt: Option<String>,
}

impl ActorHealth {
    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    pub fn panics(&self) -> u64 {
        self.panics.load(Ordering::Relaxed)
    }

    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Relaxed)
    }

    fn snapshot(&self, name: &str) -> HealthSnapshot {
        HealthSnapshot {
            name: name.to_owned(),
            running: self.is_running(),
            restarts: self.restarts(),
            panics: self.panics(),
            last_failure_opt: self
                .last_failure
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }
}

/// Every supervised actor of the process, by name.
#[derive(Debug, Clone, Default)]
pub struct ActorRegistry {
    actors: Arc<Mutex<BTreeMap<String, Arc<ActorHealth>>>>,
}

impl ActorRegistry {
    pub fn snapshots(&self) -> Vec<HealthSnapshot> {
        let actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        actors
            .iter()
            .map(|(name, health)| health.snapshot(name))
            .collect()
    }

    fn register(&self, name: &str) -> Arc<ActorHealth> {
        let mut actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        actors.entry(name.to_owned()).or_default().clone()
    }

    fn forget(&self, name: &str) {
        let mut actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        actors.remove(name);
    }
}

/// Why an incarnation ended.
#[derive(Debug)]
enum Exit {
    Panicked(String),
    Stopped,
}

/// What the supervisor gives each incarnation: keep it in the actor for as long as it lives.
/// Its drop tells the supervisor that the actor ended; `publish` updates the snapshot.
pub struct Link<S> {
    exit_tx_opt: Option<oneshot::Sender<Exit>>,
    snapshot_tx: watch::Sender<S>,
}

impl<S> Link<S> {
    /// Replaces the actor's published snapshot.
    pub fn publish(&self, snapshot: S) {
        self.snapshot_tx.send_replace(snapshot);
    }
}

impl<S> Drop for Link<S> {
    fn drop(&mut self) {
        let exit = match take_recorded_panic() {
            Some(message) => Exit::Panicked(message),
            None => Exit::Stopped,
        };
        if let Some(exit_tx) = self.exit_tx_opt.take() {
            let _ = exit_tx.send(exit);
        }
    }
}

/// A handle on a supervised actor: the current incarnation's address, its health and its
/// latest snapshot. Clones share everything.
pub struct Supervised<A: Actor, S> {
    addr: Arc<RwLock<Addr<A>>>,
    health: Arc<ActorHealth>,
    snapshot_rx: watch::Receiver<S>,
    stop_tx: Arc<watch::Sender<bool>>,
}

impl<A: Actor, S> Clone for Supervised<A, S> {
    fn clone(&self) -> Self {
        Supervised {
            addr: self.addr.clone(),
            health: self.health.clone(),
            snapshot_rx: self.snapshot_rx.clone(),
            stop_tx: self.stop_tx.clone(),
        }
    }
}

impl<A: Actor, S: Clone> Supervised<A, S> {
    /// The address of the running incarnation (after a restart, the new one).
    pub fn addr(&self) -> Addr<A> {
        self.addr.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn health(&self) -> &ActorHealth {
        &self.health
    }

    /// The last snapshot the actor published.
    pub fn snapshot(&self) -> S {
        self.snapshot_rx.borrow().clone()
    }

    /// Stops restarting: the running incarnation ends when its last address is dropped or
    /// it stops itself.
    pub fn stop_supervising(&self) {
        self.stop_tx.send_replace(true);
    }
}

/// Starts supervised actors on the current actix arbiter.
#[derive(Debug, Clone, Default)]
pub struct Supervisor {
    registry: ActorRegistry,
    backoff: Backoff,
}

impl Supervisor {
    pub fn new(registry: ActorRegistry, backoff: Backoff) -> Self {
        install_panic_recorder();
        Supervisor { registry, backoff }
    }

    /// Stops supervising `handle` for good and forgets `name`, under which it was spawned:
    /// what the actor ran for is gone. The running incarnation ends when its last address is
    /// dropped or it stops itself.
    pub fn retire<A: Actor, S: Clone>(&self, name: &str, handle: &Supervised<A, S>) {
        handle.stop_supervising();
        self.registry.forget(name);
    }

    pub fn registry(&self) -> &ActorRegistry {
        &self.registry
    }

    /// Starts `factory`'s actor under `name` and restarts it, after a backoff, whenever it
    /// ends. `initial` is the snapshot readers see before the actor publishes its first.
    /// Must be called from within an actix system.
    pub fn spawn<A, S, F>(&self, name: &str, initial: S, factory: F) -> Supervised<A, S>
    where
        A: Actor<Context = Context<A>>,
        S: Send + Sync + 'static,
        F: Fn(Link<S>) -> A + 'static,
    {
        install_panic_recorder();
        let health = self.registry.register(name);
        let (snapshot_tx, snapshot_rx) = watch::channel(initial);
        let (stop_tx, mut stop_rx) = watch::channel(false);
        let (exit_tx, mut exit_rx) = oneshot::channel();
        let first = factory(Link {
            exit_tx_opt: Some(exit_tx),
            snapshot_tx: snapshot_tx.clone(),
        });
        let addr = Arc::new(RwLock::new(first.start()));
        health.running.store(true, Ordering::Relaxed);

        let shared_addr = addr.clone();
        let shared_health = health.clone();
        let backoff = self.backoff;
        let name = name.to_owned();
        actix::spawn(async move {
            let mut failures = 0;
            let mut started_at = tokio::time::Instant::now();
            loop {
                let exit = tokio::select! {
                    exit = &mut exit_rx => exit.unwrap_or(Exit::Stopped),
                    _ = stop_requested(&mut stop_rx) => return,
                };
                shared_health.running.store(false, Ordering::Relaxed);
                let failure = match exit {
                    Exit::Panicked(message) => {
                        shared_health.panics.fetch_add(1, Ordering::Relaxed);
                        tracing::error!(actor = %name, panic = %message, "actor panicked");
                        format!("panicked: {message}")
                    }
                    Exit::Stopped => {
                        tracing::warn!(actor = %name, "actor stopped");
                        "stopped".to_owned()
                    }
                };
                *shared_health
                    .last_failure
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some(failure);
                if started_at.elapsed() >= backoff.reset_after {
                    failures = 0;
                }
                failures += 1;
                tokio::select! {
                    _ = tokio::time::sleep(backoff.delay_after(failures)) => {}
                    _ = stop_requested(&mut stop_rx) => return,
                }

                let (exit_tx, next_exit_rx) = oneshot::channel();
                exit_rx = next_exit_rx;
                let actor = factory(Link {
                    exit_tx_opt: Some(exit_tx),
                    snapshot_tx: snapshot_tx.clone(),
                });
                *shared_addr.write().unwrap_or_else(|e| e.into_inner()) = actor.start();
                started_at = tokio::time::Instant::now();
                shared_health.restarts.fetch_add(1, Ordering::Relaxed);
                shared_health.running.store(true, Ordering::Relaxed);
                tracing::info!(actor = %name, restarts = shared_health.restarts(), "actor restarted");
            }
        });

        Supervised {
            addr,
            health,
            snapshot_rx,
            stop_tx: Arc::new(stop_tx),
        }
    }
}

/// Completes when supervision is stopped; never when every handle was merely dropped, since
/// an actor nobody holds a handle to (a listener) still has work to do.
async fn stop_requested(stop_rx: &mut watch::Receiver<bool>) {
    if stop_rx.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

thread_local! {
    static RECORDED_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn take_recorded_panic() -> Option<String> {
    RECORDED_PANIC.with(|slot| slot.borrow_mut().take())
}

/// Chains a panic hook that remembers the message on the panicking thread, for [`Link`]'s
/// drop to read. The previous hook still runs, so panics are still printed.
fn install_panic_recorder() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".to_owned());
            RECORDED_PANIC.with(|slot| *slot.borrow_mut() = Some(message));
            previous(info);
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix::{Handler, Message};

    /// A counter that panics when asked to add zero.
    struct Counter {
        total: u64,
        link: Link<u64>,
    }

    impl Actor for Counter {
        type Context = Context<Self>;
    }

    struct Add(u64);

    impl Message for Add {
        type Result = u64;
    }

    impl Handler<Add> for Counter {
        type Result = u64;

        fn handle(&mut self, msg: Add, _ctx: &mut Context<Self>) -> u64 {
            assert!(msg.0 > 0, "asked to add zero");
            self.total += msg.0;
            self.link.publish(self.total);
            self.total
        }
    }

    #[test]
    fn the_delay_doubles_from_initial_up_to_max_and_never_overflows() {
        let backoff = Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(300),
            reset_after: Duration::from_secs(60),
        };
        for (failures, expected_secs) in [
            (0, 0),
            (1, 1),
            (2, 2),
            (3, 4),
            (9, 256),
            (10, 300),
            (33, 300),
            (u32::MAX, 300),
        ] {
            assert_eq!(
                backoff.delay_after(failures),
                Duration::from_secs(expected_secs),
                "after {failures} failures"
            );
        }
    }

    fn fast_backoff() -> Backoff {
        Backoff {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(50),
            reset_after: Duration::from_secs(60),
        }
    }

    #[actix_rt::test]
    async fn a_panicking_actor_is_restarted_behind_the_same_handle_and_keeps_serving() {
        tokio::time::pause();
        let supervisor = Supervisor::new(ActorRegistry::default(), fast_backoff());
        let counter = supervisor.spawn("counter", 0u64, |link| Counter { total: 0, link });

        assert_eq!(counter.addr().send(Add(2)).await.unwrap(), 2);
        assert_eq!(counter.snapshot(), 2);

        // The panic loses the message that caused it (its caller sees the mailbox close).
        assert!(counter.addr().send(Add(0)).await.is_err());

        let mut restarted = false;
        for _ in 0..200 {
            if counter.health().restarts() == 1 && counter.health().is_running() {
                restarted = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(restarted, "the actor was not restarted");
        assert_eq!(counter.health().panics(), 1);
        // A fresh incarnation starts from its factory's state and serves again.
        assert_eq!(counter.addr().send(Add(3)).await.unwrap(), 3);

        let snapshots = supervisor.registry().snapshots();
        assert_eq!(snapshots.len(), 1);
        assert_eq!(snapshots[0].name, "counter");
        assert_eq!(snapshots[0].restarts, 1);
        assert_eq!(
            snapshots[0].last_failure_opt.as_deref(),
            Some("panicked: asked to add zero")
        );
    }

    #[actix_rt::test]
    async fn supervision_outlives_a_dropped_handle() {
        tokio::time::pause();
        let supervisor = Supervisor::new(ActorRegistry::default(), fast_backoff());
        drop(supervisor.spawn("quitter", (), |link| StopsItself { _link: link }));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let snapshot = &supervisor.registry().snapshots()[0];
        assert_eq!(snapshot.restarts, 2, "{snapshot:?}");
    }

    struct StopsItself {
        _link: Link<()>,
    }

    impl Actor for StopsItself {
        type Context = Context<Self>;

        fn started(&mut self, ctx: &mut Context<Self>) {
            use actix::ActorContext;
            ctx.stop();
        }
    }

    #[actix_rt::test]
    async fn a_stopped_actor_is_restarted_with_growing_backoff_until_supervision_stops() {
        tokio::time::pause();
        let supervisor = Supervisor::new(ActorRegistry::default(), fast_backoff());
        let actor = supervisor.spawn("quitter", (), |link| StopsItself { _link: link });

        tokio::time::sleep(Duration::from_millis(150)).await;
        // Restarts after 5, 5+10, 5+10+20, 5+10+20+40 and 5+10+20+40+50 ms: five in 150 ms.
        assert_eq!(actor.health().restarts(), 5);
        assert_eq!(actor.health().panics(), 0);

        actor.stop_supervising();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let after_stop = actor.health().restarts();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(actor.health().restarts(), after_stop);
    }

    #[actix_rt::test]
    async fn a_retired_actor_is_neither_restarted_nor_listed() {
        tokio::time::pause();
        let supervisor = Supervisor::new(ActorRegistry::default(), fast_backoff());
        let kept = supervisor.spawn("kept", 0u64, |link| Counter { total: 0, link });
        let retired = supervisor.spawn("retired", (), |link| StopsItself { _link: link });
        supervisor.retire("retired", &retired);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(retired.health().restarts(), 0);
        let names: Vec<String> = supervisor
            .registry()
            .snapshots()
            .into_iter()
            .map(|snapshot| snapshot.name)
            .collect();
        assert_eq!(names, ["kept"]);
        assert_eq!(kept.addr().send(Add(1)).await.unwrap(), 1);
    }
}
