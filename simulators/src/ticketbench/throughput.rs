//! Throughput: workers each carry one ticket at a time from submission through both approval
//! levels to its final state (`fulfilled`, reached through the simulated cloud provider),
//! which they hear on the requester's inbox socket. The figure is the tickets that reach it
//! inside the measured window, per second; the server's CPU time over the window (from
//! `/proc/<pid>/stat`) gives its cost per ticket.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use parking_lot::Mutex;
use serde::Serialize;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

use super::api::{CallError, InboxFrame, Socket};
use super::{counts_text, labelled, ErrorTally, Millis, Participants, ServerArgs};
use crate::loadgen::stats::ProcessSample;

#[derive(Debug, Clone, clap::Args)]
pub struct ThroughputArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Workers, each with one ticket on its way at a time.
    #[arg(long, default_value_t = 32)]
    pub workers: usize,
    /// Length of the measured window, after the warm-up.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Seconds of load before the window opens (pools fill, caches warm up).
    #[arg(long, default_value_t = 3)]
    pub warmup_seconds: u64,
    /// The state that ends a ticket's trip (`approved` measures the approvals alone).
    #[arg(long, default_value = "fulfilled")]
    pub final_state: String,
    /// How long a worker waits to hear the final state before it reads the ticket and moves on.
    #[arg(long, default_value_t = 30)]
    pub ticket_timeout_seconds: u64,
    /// The server's process id, to read its CPU time from /proc.
    #[arg(long)]
    pub server_pid: Option<u32>,
}

/// What the workers and the socket's listener share.
struct Shared {
    participants: Participants,
    final_state: String,
    ticket_timeout: Duration,
    /// Tickets on their way, each with its worker waiting to hear it arrive.
    waiting: Mutex<HashMap<i64, oneshot::Sender<Instant>>>,
    resyncs: AtomicU64,
}

/// One ticket's trip from submission to its final state.
struct Trip {
    submitted_at: Instant,
    arrived_at: Instant,
}

/// Why a trip did not end: counted under `key`, with `detail` shown for the first of a kind.
struct TripFailure {
    key: String,
    detail: String,
}

impl From<CallError> for TripFailure {
    fn from(error: CallError) -> Self {
        TripFailure {
            key: error.key(),
            detail: error.detail,
        }
    }
}

/// Reads the requester's inbox until it closes, handing each ticket that reaches the final
/// state to the worker waiting for it.
async fn listen(mut socket: Socket, shared: Arc<Shared>) {
    while let Some(Ok(message)) = socket.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        // Stamped before parsing: the parse is the client's time, not the server's.
        let heard_at = Instant::now();
        match InboxFrame::parse(&text) {
            InboxFrame::TicketChanged {
                ticket_id, state, ..
            } if state == shared.final_state => {
                let waiter_opt = shared.waiting.lock().remove(&ticket_id);
                if let Some(waiter) = waiter_opt {
                    // A worker that gave up has dropped its receiver; nothing to tell it.
                    let _ = waiter.send(heard_at);
                }
            }
            InboxFrame::Resync => {
                shared.resyncs.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
}

impl Shared {
    async fn trip(&self, title: &str) -> Result<Trip, TripFailure> {
        let participants = &self.participants;
        let submitted_at = Instant::now();
        let ticket_id = participants.submit(title).await?;
        // Waiting from before the approvals: the final state can be pushed before the last
        // approval's answer arrives.
        let (notify, arrival) = oneshot::channel();
        self.waiting.lock().insert(ticket_id, notify);
        let approved = async {
            participants
                .api
                .approve(&participants.tenant_approver, ticket_id)
                .await?;
            participants
                .api
                .approve(&participants.operator, ticket_id)
                .await
        }
        .await;
        if let Err(error) = approved {
            self.waiting.lock().remove(&ticket_id);
            return Err(error.into());
        }
        match tokio::time::timeout(self.ticket_timeout, arrival).await {
            Ok(Ok(arrived_at)) => Ok(Trip {
                submitted_at,
                arrived_at,
            }),
            _ => {
                self.waiting.lock().remove(&ticket_id);
                // Tells a lost push (the ticket got there) from a ticket that did not.
                let state = participants
                    .api
                    .ticket_state(&participants.requester, ticket_id)
                    .await
                    .unwrap_or_else(|error| error.key());
                Err(TripFailure {
                    key: format!("no {} push (ticket {state})", self.final_state),
                    detail: format!(
                        "ticket {ticket_id} was {state} after {} s",
                        self.ticket_timeout.as_secs()
                    ),
                })
            }
        }
    }
}

/// One worker: trips back to back until `stop_at`.
async fn work(
    shared: Arc<Shared>,
    worker_index: usize,
    stop_at: Instant,
) -> (Vec<Trip>, ErrorTally) {
    let mut trips = Vec::new();
    let mut errors = ErrorTally::default();
    let mut trip_index = 0u64;
    while Instant::now() < stop_at {
        let title = format!("throughput bench {worker_index}-{trip_index}");
        match shared.trip(&title).await {
            Ok(trip) => trips.push(trip),
            Err(failure) => {
                errors.add(failure.key, failure.detail);
                // A server refusing everything at once would otherwise spin this loop flat out.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        trip_index += 1;
    }
    (trips, errors)
}

#[derive(Debug, Serialize)]
pub struct ThroughputReport {
    pub bench: &'static str,
    pub label: String,
    pub workers: usize,
    pub seconds: u64,
    pub warmup_seconds: u64,
    pub final_state: String,
    /// Tickets that reached the final state inside the window.
    pub completed_in_window: u64,
    /// All that reached it, in the warm-up and after the window too.
    pub completed_total: u64,
    pub tickets_per_second: f64,
    /// From submitting to hearing the final state, for the tickets of the window.
    pub submit_to_final: Millis,
    pub resyncs: u64,
    /// Failed trips by action and status.
    pub errors: BTreeMap<String, u64>,
    /// The server's user plus system time over the window.
    pub server_cpu_seconds: Option<f64>,
    /// CPU seconds per wall second over the window.
    pub server_cpu_cores: Option<f64>,
    pub server_cpu_seconds_per_ticket: Option<f64>,
}

impl ThroughputReport {
    pub fn to_text(&self) -> String {
        let cpu = match (self.server_cpu_cores, self.server_cpu_seconds_per_ticket) {
            (Some(cores), Some(per_ticket)) => {
                format!("{cores:.2} cores, {:.2} ms per ticket", per_ticket * 1000.0)
            }
            (Some(cores), None) => format!("{cores:.2} cores"),
            _ => "-".to_owned(),
        };
        format!(
            "{}: {} workers, {} tickets {} in the {} s window (after {} s warm-up) = {:.1}/s; \
             submit to {} {}\n  server CPU: {}; resyncs: {}; errors: {}",
            labelled(self.bench, &self.label),
            self.workers,
            self.completed_in_window,
            self.final_state,
            self.seconds,
            self.warmup_seconds,
            self.tickets_per_second,
            self.final_state,
            self.submit_to_final.to_text(),
            cpu,
            self.resyncs,
            counts_text(&self.errors),
        )
    }
}

pub async fn run(args: ThroughputArgs) -> anyhow::Result<ThroughputReport> {
    let participants = Participants::prepare(&args.server).await?;
    let inbox = participants.api.open_inbox(&participants.requester).await?;
    let shared = Arc::new(Shared {
        participants,
        final_state: args.final_state.clone(),
        ticket_timeout: Duration::from_secs(args.ticket_timeout_seconds),
        waiting: Mutex::new(HashMap::new()),
        resyncs: AtomicU64::new(0),
    });
    let listener = tokio::spawn(listen(inbox, shared.clone()));

    let window = Duration::from_secs(args.seconds.max(1));
    let window_opens = Instant::now() + Duration::from_secs(args.warmup_seconds);
    let window_closes = window_opens + window;
    let cpu_sampler = args.server_pid.map(|pid| {
        tokio::spawn(async move {
            tokio::time::sleep_until(tokio::time::Instant::from_std(window_opens)).await;
            let opening = ProcessSample::read(pid);
            tokio::time::sleep_until(tokio::time::Instant::from_std(window_closes)).await;
            (opening, ProcessSample::read(pid))
        })
    });
    let workers: Vec<_> = (0..args.workers.max(1))
        .map(|worker_index| tokio::spawn(work(shared.clone(), worker_index, window_closes)))
        .collect();
    let mut trips = Vec::new();
    let mut errors = ErrorTally::default();
    for worker in workers {
        let (worker_trips, worker_errors) = worker.await?;
        trips.extend(worker_trips);
        errors.merge(worker_errors);
    }
    listener.abort();
    errors.print_details();

    let (server_cpu_seconds, server_cpu_cores) = match cpu_sampler {
        Some(sampler) => {
            let (opening, closing) = sampler.await?;
            let (opening, closing) = (opening?, closing?);
            // Clock ticks of 1/100 s, as on every Linux the project runs on (USER_HZ).
            let cpu_seconds = closing.cpu_ticks.saturating_sub(opening.cpu_ticks) as f64 / 100.0;
            let wall_seconds = closing.taken_nanos.saturating_sub(opening.taken_nanos) as f64 / 1e9;
            (
                Some(cpu_seconds),
                Some(cpu_seconds / wall_seconds.max(1e-9)),
            )
        }
        None => (None, None),
    };
    let in_window: Vec<&Trip> = trips
        .iter()
        .filter(|trip| trip.arrived_at >= window_opens && trip.arrived_at < window_closes)
        .collect();
    let completed_in_window = in_window.len() as u64;
    Ok(ThroughputReport {
        bench: "throughput",
        label: args.server.label,
        workers: args.workers,
        seconds: window.as_secs(),
        warmup_seconds: args.warmup_seconds,
        final_state: args.final_state,
        completed_in_window,
        completed_total: trips.len() as u64,
        tickets_per_second: completed_in_window as f64 / window.as_secs_f64(),
        submit_to_final: Millis::of(
            in_window
                .iter()
                .map(|trip| trip.arrived_at.saturating_duration_since(trip.submitted_at)),
        ),
        resyncs: shared.resyncs.load(Ordering::Relaxed),
        errors: errors.counts,
        server_cpu_seconds,
        server_cpu_cores,
        server_cpu_seconds_per_ticket: server_cpu_seconds
            .filter(|_| completed_in_window > 0)
            .map(|cpu_seconds| cpu_seconds / completed_in_window as f64),
    })
}
