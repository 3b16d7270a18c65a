//! One `TicketActor` per open ticket: it serializes the actions on its ticket within this
//! node, keeps the open level's SLA timer (reminders, escalation) and drives fulfilment.
//!
//! The actor holds no state the database does not: on start it reads where its ticket
//! stands, and after every change it reads it again. So an actor that dies (a panic, a
//! restart of the application) is rebuilt from the database, and its timers resume with the
//! time already spent, since deadlines count from when the level opened. Several nodes may
//! each run an actor for the same ticket; the engine's version guard lets one of them apply
//! each step and the others find nothing to do.
//!
//! [`TicketActors`] finds or starts the actor of a ticket, and restarts one that died.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix::{
    Actor, ActorContext, ActorFutureExt, Addr, AsyncContext, AtomicResponse, Context, Handler,
    SpawnHandle, WrapFuture,
};
use parking_lot::Mutex;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use tracing::Instrument;
use yunguan_actors::ticket::workflow::TicketState;

use super::engine::{Engine, Executed, Status, SystemStep, Work};
use super::messages::{Act, CompleteTask, Refresh, Stop};
use crate::db::entities::ticket;
use crate::fulfilment::provider::CloudProvider;
use crate::fulfilment::{self, Retry, Step};
use crate::tickets::TicketError;

/// What every ticket actor works with.
pub struct TicketServices {
    pub engine: Engine,
    pub provider: Arc<dyn CloudProvider>,
    pub retry: Retry,
}

/// How long an actor waits before reading its ticket again after the database failed it.
const RETRY_REFRESH_AFTER: Duration = Duration::from_secs(5);

pub struct TicketActor {
    ticket_id: i64,
    services: Arc<TicketServices>,
    registry: TicketActors,
    sla_timer_opt: Option<SpawnHandle>,
    /// Provider steps are running for this ticket in this actor.
    fulfilling: bool,
    /// Counts reads of the ticket: only the latest one's answer is acted on, so a read that
    /// started before a change and ends after it cannot stop or misdirect the actor.
    refresh_generation: u64,
    /// What the actor starts from: the row that a change committed just before, if any.
    committed_at_start_opt: Option<ticket::Model>,
}

impl Actor for TicketActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let committed_opt = self.committed_at_start_opt.take();
        self.go_on_from(committed_opt, ctx);
    }

    fn stopped(&mut self, ctx: &mut Context<Self>) {
        self.registry.forget(self.ticket_id, &ctx.address());
    }
}

impl TicketActor {
    /// The span of the actor's own work (SLA steps, fulfilment), naming its ticket.
    fn span(&self) -> tracing::Span {
        tracing::info_span!("ticket", ticket_id = self.ticket_id)
    }

    /// Reads the ticket again and goes on from what it finds.
    fn refresh(&mut self, ctx: &mut Context<Self>) {
        self.go_on_from(None, ctx);
    }

    /// Goes on from the row a change committed, or, without one, from the ticket as the
    /// database holds it now.
    fn go_on_from(&mut self, committed_opt: Option<ticket::Model>, ctx: &mut Context<Self>) {
        let engine = self.services.engine.clone();
        let ticket_id = self.ticket_id;
        self.refresh_generation += 1;
        let generation = self.refresh_generation;
        let status = async move {
            match committed_opt {
                Some(row) => engine.status_of(row).await.map(Some),
                None => engine.status(ticket_id).await,
            }
        };
        ctx.spawn(
            detached(self.span(), status)
                .into_actor(self)
                .map(move |status, actor, ctx| {
                    if generation == actor.refresh_generation {
                        actor.on_status(status, ctx);
                    }
                }),
        );
    }

    fn on_status(&mut self, status: Result<Option<Status>, TicketError>, ctx: &mut Context<Self>) {
        let status = match status {
            Ok(Some(status)) => status,
            Ok(None) => return ctx.stop(),
            Err(error) => {
                tracing::warn!(ticket_id = self.ticket_id, %error, "ticket actor could not read its ticket");
                ctx.run_later(RETRY_REFRESH_AFTER, |actor, ctx| actor.refresh(ctx));
                return;
            }
        };
        if let Some(timer) = self.sla_timer_opt.take() {
            ctx.cancel_future(timer);
        }
        if let Some(deadline) = status.sla_deadline_opt {
            let clock = self.services.engine.clock.clone();
            let timer = ctx.spawn(
                async move { clock.sleep_until(deadline).await }
                    .into_actor(self)
                    .map(|(), actor, ctx| actor.step(SystemStep::Sla, ctx)),
            );
            self.sla_timer_opt = Some(timer);
        }
        match (status.state, status.work_opt) {
            (TicketState::Approved, _) => self.step(SystemStep::StartFulfilment, ctx),
            (TicketState::Fulfilling, Some(Work::Impossible(reason))) if !self.fulfilling => {
                self.step(SystemStep::Failed(reason), ctx)
            }
            (TicketState::Fulfilling, Some(Work::Provider(steps))) if !self.fulfilling => {
                self.fulfil(status.tenant_id, steps, ctx)
            }
            (state, _) if !state.needs_actor() => ctx.stop(),
            _ => {}
        }
    }

    /// Takes a system step, then looks again.
    fn step(&mut self, step: SystemStep, ctx: &mut Context<Self>) {
        let engine = self.services.engine.clone();
        let ticket_id = self.ticket_id;
        ctx.spawn(
            detached(
                self.span(),
                async move { engine.advance(ticket_id, step).await },
            )
            .into_actor(self)
            .map(move |outcome, actor, ctx| match outcome {
                Ok(taken_opt) => {
                    actor.go_on_from(taken_opt.and_then(|taken| taken.committed_opt), ctx)
                }
                Err(error) => {
                    tracing::warn!(ticket_id, %error, "ticket step failed");
                    actor.refresh(ctx);
                }
            }),
        );
    }

    /// Runs the provider steps, pushing progress, and records the outcome.
    fn fulfil(&mut self, tenant_id: i64, steps: Vec<Step>, ctx: &mut Context<Self>) {
        self.fulfilling = true;
        let services = self.services.clone();
        let ticket_id = self.ticket_id;
        let work = async move {
            let (progress_tx, mut progress_rx) = tokio::sync::mpsc::unbounded_channel();
            let engine = services.engine.clone();
            let reporter = tokio::spawn(async move {
                while let Some(progress) = progress_rx.recv().await {
                    engine.progress(ticket_id, tenant_id, progress).await;
                }
            });
            let outcome = fulfilment::run(
                services.provider.as_ref(),
                steps,
                services.retry,
                |progress| {
                    let _ = progress_tx.send(progress);
                },
            )
            .await;
            // The reporter ends once the sender is gone, after pushing what was queued.
            drop(progress_tx);
            let _ = reporter.await;
            let step = match outcome {
                Ok(changes) => SystemStep::Succeeded(changes),
                Err(reason) => SystemStep::Failed(reason),
            };
            services.engine.advance(ticket_id, step).await
        };
        ctx.spawn(detached(self.span(), work).into_actor(self).map(move |outcome, actor, ctx| {
            actor.fulfilling = false;
            match outcome {
                Ok(taken_opt) => {
                    actor.go_on_from(taken_opt.and_then(|taken| taken.committed_opt), ctx)
                }
                Err(error) => {
                    tracing::warn!(ticket_id, %error, "fulfilment outcome not recorded; retrying");
                    ctx.run_later(RETRY_REFRESH_AFTER, |actor, ctx| actor.refresh(ctx));
                }
            }
        }));
    }
}

/// Runs `work` as its own task, in `span`, and waits for it. The actor pauses its other
/// futures while it answers an action; work that holds a database connection must not pause
/// with them, or the action could wait forever for that connection.
async fn detached<T: 'static>(
    span: tracing::Span,
    work: impl Future<Output = Result<T, TicketError>> + 'static,
) -> Result<T, TicketError> {
    actix::spawn(work.instrument(span))
        .await
        .unwrap_or_else(|error| {
            Err(TicketError::Internal(anyhow::anyhow!(
                "ticket work ended abnormally: {error}"
            )))
        })
}

impl Handler<Act> for TicketActor {
    type Result = AtomicResponse<Self, Result<Executed, TicketError>>;

    fn handle(&mut self, act: Act, _ctx: &mut Context<Self>) -> Self::Result {
        let engine = self.services.engine.clone();
        let ticket_id = self.ticket_id;
        let request_span = act.request_span.clone();
        self.change_then_refresh(request_span, async move {
            engine
                .act(
                    ticket_id,
                    &act.caller,
                    act.action,
                    act.expected_version_opt,
                    act.idempotency_opt,
                )
                .await
        })
    }
}

impl Handler<CompleteTask> for TicketActor {
    type Result = AtomicResponse<Self, Result<Executed, TicketError>>;

    fn handle(&mut self, complete: CompleteTask, _ctx: &mut Context<Self>) -> Self::Result {
        let engine = self.services.engine.clone();
        let request_span = complete.request_span.clone();
        self.change_then_refresh(request_span, async move {
            engine
                .complete_task(complete.task_id, &complete.caller, complete.note_opt)
                .await
        })
    }
}

impl TicketActor {
    /// Runs a change to the ticket with the actor's mailbox held (one change at a time), in
    /// the asking request's span, then goes on from the row it committed: the one path of
    /// every user's change.
    fn change_then_refresh(
        &mut self,
        request_span: tracing::Span,
        change: impl Future<Output = Result<Executed, TicketError>> + 'static,
    ) -> AtomicResponse<Self, Result<Executed, TicketError>> {
        let span = tracing::info_span!(parent: &request_span, "ticket", ticket_id = self.ticket_id);
        AtomicResponse::new(Box::pin(change.instrument(span).into_actor(self).map(
            |outcome, actor, ctx| {
                if let Ok(executed) = &outcome {
                    actor.go_on_from(executed.committed_opt.clone(), ctx);
                }
                outcome
            },
        )))
    }
}

impl Handler<Refresh> for TicketActor {
    type Result = ();

    fn handle(&mut self, refresh: Refresh, ctx: &mut Context<Self>) {
        self.go_on_from(refresh.committed_opt, ctx);
    }
}

impl Handler<Stop> for TicketActor {
    type Result = ();

    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

/// What the ticket actors show of themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketActorsSnapshot {
    pub running: usize,
    /// Actors found dead (a panic) and started again.
    pub restarts: u64,
}

/// Finds or starts the actor of a ticket. Clones share the actors.
#[derive(Clone)]
pub struct TicketActors {
    services: Arc<TicketServices>,
    actors: Arc<Mutex<HashMap<i64, Addr<TicketActor>>>>,
    restarts: Arc<AtomicU64>,
}

impl TicketActors {
    pub fn new(services: TicketServices) -> TicketActors {
        TicketActors {
            services: Arc::new(services),
            actors: Arc::default(),
            restarts: Arc::default(),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.services.engine
    }

    /// The running actor of `ticket_id`, started (and so rebuilt from the database) when
    /// there is none or it died. Must be called within an actix system.
    fn addr(&self, ticket_id: i64) -> Addr<TicketActor> {
        let mut actors = self.actors.lock();
        if let Some(addr) = self.live(&actors, ticket_id) {
            return addr;
        }
        let addr = self.spawn(ticket_id, None);
        actors.insert(ticket_id, addr.clone());
        addr
    }

    /// The actor of `ticket_id` in `actors`, if it still runs.
    fn live(
        &self,
        actors: &HashMap<i64, Addr<TicketActor>>,
        ticket_id: i64,
    ) -> Option<Addr<TicketActor>> {
        let addr = actors.get(&ticket_id)?;
        if addr.connected() {
            return Some(addr.clone());
        }
        self.restarts.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(ticket_id, "ticket actor died; starting a new one");
        None
    }

    /// A new actor of `ticket_id`, starting from the row a change committed or, without one,
    /// from the database.
    fn spawn(
        &self,
        ticket_id: i64,
        committed_at_start_opt: Option<ticket::Model>,
    ) -> Addr<TicketActor> {
        TicketActor {
            ticket_id,
            services: self.services.clone(),
            registry: self.clone(),
            sla_timer_opt: None,
            fulfilling: false,
            refresh_generation: 0,
            committed_at_start_opt,
        }
        .start()
    }

    fn forget(&self, ticket_id: i64, addr: &Addr<TicketActor>) {
        let mut actors = self.actors.lock();
        if actors.get(&ticket_id) == Some(addr) {
            actors.remove(&ticket_id);
        }
    }

    /// Carries out a user's action through the ticket's actor. An actor that ends before it
    /// answers (it died, or its ticket needs no actor and it stopped) leaves the action to
    /// the engine directly: the version guard keeps that safe without the actor's queue.
    pub async fn act(&self, ticket_id: i64, act: Act) -> Result<Executed, TicketError> {
        match self.addr(ticket_id).send(act.clone()).await {
            Ok(outcome) => outcome,
            Err(_) => {
                let outcome = self
                    .services
                    .engine
                    .act(
                        ticket_id,
                        &act.caller,
                        act.action,
                        act.expected_version_opt,
                        act.idempotency_opt,
                    )
                    .await;
                // Whatever the action left to do (a timer, fulfilment) needs an actor again.
                if let Ok(executed) = &outcome {
                    self.wake(ticket_id, executed.committed_opt.clone());
                }
                outcome
            }
        }
    }

    /// Completes a manual task through its ticket's actor (or directly, as [`Self::act`]).
    pub async fn complete_task(&self, complete: CompleteTask) -> Result<Executed, TicketError> {
        let ticket_id = self
            .services
            .engine
            .ticket_of_task(complete.task_id)
            .await?;
        match self.addr(ticket_id).send(complete.clone()).await {
            Ok(outcome) => outcome,
            Err(_) => {
                let outcome = self
                    .services
                    .engine
                    .complete_task(complete.task_id, &complete.caller, complete.note_opt)
                    .await;
                if let Ok(executed) = &outcome {
                    self.wake(ticket_id, executed.committed_opt.clone());
                }
                outcome
            }
        }
    }

    /// Has the ticket's actor look at it after a change (a submission): at the row the
    /// change committed, when the caller has it.
    pub fn wake(&self, ticket_id: i64, committed_opt: Option<ticket::Model>) {
        let mut actors = self.actors.lock();
        match self.live(&actors, ticket_id) {
            Some(addr) => addr.do_send(Refresh { committed_opt }),
            None => {
                let addr = self.spawn(ticket_id, committed_opt);
                actors.insert(ticket_id, addr);
            }
        }
    }

    /// Starts an actor for every ticket with work ahead: after a start or restart of the
    /// application, timers and fulfilment resume.
    pub async fn resume_open(&self) -> Result<usize, sea_orm::DbErr> {
        let open_states: Vec<&str> = TicketState::ALL
            .into_iter()
            .filter(|state| state.needs_actor())
            .map(TicketState::as_str)
            .collect();
        let ids: Vec<i64> = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::Id)
            .filter(ticket::Column::State.is_in(open_states))
            .into_tuple()
            .all(&self.services.engine.db)
            .await?;
        for ticket_id in &ids {
            self.addr(*ticket_id);
        }
        Ok(ids.len())
    }

    /// Stops every actor, for shutdown; what they were doing resumes from the database.
    pub fn stop_all(&self) {
        for addr in self.actors.lock().values() {
            addr.do_send(Stop);
        }
    }

    pub fn snapshot(&self) -> TicketActorsSnapshot {
        TicketActorsSnapshot {
            running: self
                .actors
                .lock()
                .values()
                .filter(|addr| addr.connected())
                .count(),
            restarts: self.restarts.load(Ordering::Relaxed),
        }
    }
}
