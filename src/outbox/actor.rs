//! The supervised drain actor: runs [`Drain::drain_once`] every poll interval, and at once
//! when a [`Nudge`] says new rows were committed. A pass that fails (the database is down) is
//! logged and the next one tried on schedule; a panic restarts the actor under its
//! supervisor, and the outbox keeps whatever it had not delivered.

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, ActorFutureExt, AsyncContext, Context, WrapFuture};
use tokio::sync::watch;
use yunguan_actors::supervision::{Link, Supervised, Supervisor};

use super::{Drain, Nudge, Pass};

/// What a drain actor shows of itself, counted since this incarnation started (the
/// supervisor counts restarts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainSnapshot {
    pub sent_total: u64,
    pub failed_attempts_total: u64,
    /// The last failed delivery or failed pass, kept after later successes for the admin page.
    pub last_error_opt: Option<String>,
}

pub struct DrainActor<D: Drain> {
    drain: Arc<D>,
    nudges: watch::Receiver<u64>,
    poll_interval: Duration,
    state: DrainSnapshot,
    link: Link<DrainSnapshot>,
}

/// The handle of a running drain actor.
pub type Drainer<D> = Supervised<DrainActor<D>, DrainSnapshot>;

/// Starts a drain actor named `name` over `drain`, woken by `nudge`.
pub fn start<D: Drain>(
    supervisor: &Supervisor,
    name: &str,
    drain: D,
    poll_interval: Duration,
    nudge: &Nudge,
) -> anyhow::Result<Drainer<D>> {
    anyhow::ensure!(
        !poll_interval.is_zero(),
        "{name}: the poll interval must be at least 1 ms"
    );
    let drain = Arc::new(drain);
    let nudge = nudge.clone();
    Ok(
        supervisor.spawn(name, DrainSnapshot::default(), move |link| DrainActor {
            drain: drain.clone(),
            nudges: nudge.follow(),
            poll_interval,
            state: DrainSnapshot::default(),
            link,
        }),
    )
}

impl<D: Drain> Actor for DrainActor<D> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // Rows left undelivered by a previous run, or written while no actor ran, go now.
        self.run_pass(ctx);
    }
}

impl<D: Drain> DrainActor<D> {
    fn run_pass(&mut self, ctx: &mut Context<Self>) {
        // Nudges so far are answered by this pass.
        self.nudges.mark_unchanged();
        let pass = self.drain.clone().drain_once();
        ctx.spawn(pass.into_actor(self).map(|result, actor, ctx| {
            // A full batch means more is probably due: go on at once rather than idle a tick.
            if actor.record(result) {
                actor.run_pass(ctx);
            } else {
                actor.wait_for_next_pass(ctx);
            }
        }));
    }

    fn wait_for_next_pass(&mut self, ctx: &mut Context<Self>) {
        let mut nudges = self.nudges.clone();
        let poll_interval = self.poll_interval;
        let wait = async move {
            tokio::select! {
                _ = tokio::time::sleep(poll_interval) => {}
                // A closed channel (every nudge dropped) leaves the poll to wake the actor.
                Ok(()) = nudges.changed() => {}
            }
        };
        ctx.spawn(
            wait.into_actor(self)
                .map(|(), actor, ctx| actor.run_pass(ctx)),
        );
    }

    /// Counts a pass; answers whether it claimed a full batch.
    fn record(&mut self, result: anyhow::Result<Pass>) -> bool {
        let full = match &result {
            Ok(pass) => (pass.sent + pass.failed) as u64 >= self.drain.batch_size(),
            Err(_) => false,
        };
        match result {
            Ok(pass) => {
                if pass.sent == 0 && pass.failed == 0 {
                    return false;
                }
                self.state.sent_total += pass.sent as u64;
                self.state.failed_attempts_total += pass.failed as u64;
                if let Some(error) = pass.last_error_opt {
                    self.state.last_error_opt = Some(error);
                }
            }
            Err(error) => {
                tracing::error!(error = ?error, "outbox pass failed; trying again next tick");
                self.state.last_error_opt = Some(format!("{error:#}"));
            }
        }
        self.link.publish(self.state.clone());
        full
    }
}
