//! The supervised `mail-sender` actor: runs [`MailSender::send_due_once`] every poll interval,
//! and at once when a [`MailNudge`] says new mail was committed. A pass that fails (the
//! database is down) is logged and the next one tried on schedule; a panic restarts the actor
//! under its supervisor, and the outbox keeps whatever it had not sent.

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, ActorFutureExt, AsyncContext, Context, WrapFuture};
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;
use yunguan_actors::supervision::{Link, Supervised, Supervisor};

use super::sender::{MailSender, SendOutcome};
use crate::settings::MailSettings;

/// What the sender shows of itself, counted since this incarnation started (the supervisor
/// counts restarts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailSenderSnapshot {
    pub sent_total: u64,
    pub failed_attempts_total: u64,
    /// The last failed delivery or failed pass, kept after later successes for the admin page.
    pub last_error_opt: Option<String>,
}

/// Wakes the sender. Cheap to clone; hand it to whoever enqueues mail, and nudge after the
/// commit (a nudge before it could find nothing due yet).
#[derive(Debug, Clone, Default)]
pub struct MailNudge {
    notify: Arc<Notify>,
}

impl MailNudge {
    pub fn nudge(&self) {
        // One stored permit: a nudge during a pass is not lost, it starts the next pass early.
        self.notify.notify_one();
    }
}

pub struct MailSenderActor {
    sender: Arc<MailSender>,
    nudge: MailNudge,
    poll_interval: Duration,
    /// Mails a pass claims at most.
    batch_size: u64,
    state: MailSenderSnapshot,
    link: Link<MailSenderSnapshot>,
}

/// Starts the `mail-sender` actor; returns its handle and the nudge for enqueuers.
pub fn start(
    supervisor: &Supervisor,
    db: DatabaseConnection,
    settings: &MailSettings,
) -> anyhow::Result<(Supervised<MailSenderActor, MailSenderSnapshot>, MailNudge)> {
    anyhow::ensure!(
        settings.poll_interval_ms > 0,
        "mail.poll_interval_ms must be at least 1"
    );
    let sender = Arc::new(MailSender::new(db, settings)?);
    let nudge = MailNudge::default();
    let actor_nudge = nudge.clone();
    let poll_interval = settings.poll_interval();
    let batch_size = settings.batch_size;
    let supervised = supervisor.spawn("mail-sender", MailSenderSnapshot::default(), move |link| {
        MailSenderActor {
            sender: sender.clone(),
            nudge: actor_nudge.clone(),
            poll_interval,
            batch_size,
            state: MailSenderSnapshot::default(),
            link,
        }
    });
    Ok((supervised, nudge))
}

impl Actor for MailSenderActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // Mail left unsent by a previous run, or enqueued while no sender ran, goes out now.
        self.run_pass(ctx);
    }
}

impl MailSenderActor {
    fn run_pass(&mut self, ctx: &mut Context<Self>) {
        let sender = self.sender.clone();
        let pass = async move { sender.send_due_once().await };
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
        let notify = self.nudge.notify.clone();
        let poll_interval = self.poll_interval;
        let wait = async move {
            tokio::select! {
                _ = tokio::time::sleep(poll_interval) => {}
                _ = notify.notified() => {}
            }
        };
        ctx.spawn(
            wait.into_actor(self)
                .map(|(), actor, ctx| actor.run_pass(ctx)),
        );
    }

    /// Counts a pass; answers whether it claimed a full batch.
    fn record(&mut self, result: anyhow::Result<SendOutcome>) -> bool {
        let full = match &result {
            Ok(outcome) => (outcome.sent + outcome.failed) as u64 >= self.batch_size,
            Err(_) => false,
        };
        match result {
            Ok(outcome) => {
                if outcome.sent == 0 && outcome.failed == 0 {
                    return false;
                }
                self.state.sent_total += outcome.sent as u64;
                self.state.failed_attempts_total += outcome.failed as u64;
                if let Some(error) = outcome.last_error_opt {
                    self.state.last_error_opt = Some(error);
                }
            }
            Err(error) => {
                tracing::error!(error = ?error, "mail sender pass failed; trying again next tick");
                self.state.last_error_opt = Some(format!("{error:#}"));
            }
        }
        self.link.publish(self.state.clone());
        full
    }
}
