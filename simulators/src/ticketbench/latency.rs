//! Approval push latency: N tickets are submitted and left waiting at the first level, then
//! the tenant admin approves them at a fixed rate. For each approval it measures the time
//! from its answer, and from its request, until the requester's socket hears the ticket move
//! to the second level (`ticket.changed`) and the operator's socket hears that level open
//! for them (`approval.pending`).
//!
//! The server publishes before it answers, so a push can reach the client before the
//! approval's answer does: such a push counts as 0 ms after the answer, and is counted.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use parking_lot::Mutex;
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::time::MissedTickBehavior;
use tokio_tungstenite::tungstenite::Message;

use super::api::{CallError, InboxFrame, Socket};
use super::{counts_text, labelled, ErrorTally, Millis, Participants, ServerArgs};

#[derive(Debug, Clone, clap::Args)]
pub struct LatencyArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Tickets submitted and left waiting at the first level before approving starts.
    #[arg(long, default_value_t = 1000)]
    pub tickets: usize,
    /// Approvals sent per second.
    #[arg(long, default_value_t = 100)]
    pub rate: u32,
    /// Approvals awaiting their answer at most; past it, the next one waits.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Submissions in flight at once while the tickets are filled in.
    #[arg(long, default_value_t = 16)]
    pub submit_concurrency: usize,
}

/// How long after the last answer the pushes still missing are waited for.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// When one socket first heard of each ticket, and how often it was told to resync.
#[derive(Default)]
struct Sightings {
    first_heard: Mutex<HashMap<i64, Instant>>,
    resyncs: AtomicU64,
}

impl Sightings {
    fn heard(&self, ticket_id: i64) -> Option<Instant> {
        self.first_heard.lock().get(&ticket_id).copied()
    }

    fn heard_all(&self, approvals: &[Answered]) -> bool {
        let first_heard = self.first_heard.lock();
        approvals
            .iter()
            .all(|approval| first_heard.contains_key(&approval.ticket_id))
    }
}

/// Reads the socket until it closes, noting when it first heard of each ticket that
/// `wanted` picks out of a frame.
async fn listen(
    mut socket: Socket,
    sightings: Arc<Sightings>,
    wanted: fn(&InboxFrame) -> Option<i64>,
) {
    while let Some(Ok(message)) = socket.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        // Stamped before parsing: the parse is the client's time, not the push's.
        let heard_at = Instant::now();
        let frame = InboxFrame::parse(&text);
        if matches!(frame, InboxFrame::Resync) {
            sightings.resyncs.fetch_add(1, Ordering::Relaxed);
        } else if let Some(ticket_id) = wanted(&frame) {
            sightings
                .first_heard
                .lock()
                .entry(ticket_id)
                .or_insert(heard_at);
        }
    }
}

/// What the requester waits for: the ticket moved on to the second level.
fn moved_to_second_level(frame: &InboxFrame) -> Option<i64> {
    match frame {
        InboxFrame::TicketChanged {
            ticket_id,
            level_index_opt: Some(1),
            ..
        } => Some(*ticket_id),
        _ => None,
    }
}

/// What the operator waits for: a level opened for them (with this chain, the second).
fn level_opened(frame: &InboxFrame) -> Option<i64> {
    match frame {
        InboxFrame::ApprovalPending { ticket_id } => Some(*ticket_id),
        _ => None,
    }
}

/// An approval the server accepted.
struct Answered {
    ticket_id: i64,
    sent_at: Instant,
    answered_at: Instant,
}

/// The pushes one socket heard for the accepted approvals.
#[derive(Debug, Serialize)]
pub struct PushLatency {
    pub heard: u64,
    /// Approvals whose push this socket had not heard when the wait ended.
    pub missing: u64,
    /// Pushes heard before the approval's answer arrived.
    pub before_answer: u64,
    /// From the approval's answer to the push, clamped at 0.
    pub after_answer: Millis,
    /// From sending the approval to the push.
    pub after_request: Millis,
}

impl PushLatency {
    fn of(approvals: &[Answered], sightings: &Sightings) -> PushLatency {
        let mut after_answer = Vec::with_capacity(approvals.len());
        let mut after_request = Vec::with_capacity(approvals.len());
        let mut before_answer = 0;
        for approval in approvals {
            let Some(heard_at) = sightings.heard(approval.ticket_id) else {
                continue;
            };
            if heard_at < approval.answered_at {
                before_answer += 1;
            }
            after_answer.push(heard_at.saturating_duration_since(approval.answered_at));
            after_request.push(heard_at.saturating_duration_since(approval.sent_at));
        }
        let heard = after_answer.len() as u64;
        PushLatency {
            heard,
            missing: approvals.len() as u64 - heard,
            before_answer,
            after_answer: Millis::of(after_answer),
            after_request: Millis::of(after_request),
        }
    }

    fn to_text(&self) -> String {
        format!(
            "after the answer {}; after the request {}; {} heard before the answer, {} missing",
            self.after_answer.to_text(),
            self.after_request.to_text(),
            self.before_answer,
            self.missing
        )
    }
}

#[derive(Debug, Serialize)]
pub struct LatencyReport {
    pub bench: &'static str,
    pub label: String,
    pub tickets: usize,
    pub rate: u32,
    pub concurrency: usize,
    /// Tickets waiting at the first level when approving started.
    pub submitted: u64,
    pub submit_seconds: f64,
    /// Approvals the server accepted.
    pub approved: u64,
    pub approve_seconds: f64,
    /// From sending an approval to its answer.
    pub approve_round_trip: Millis,
    /// The requester's `ticket.changed` to the second level.
    pub requester_push: PushLatency,
    /// The operator's `approval.pending`.
    pub approver_push: PushLatency,
    pub resyncs: u64,
    /// Failed calls by action and status.
    pub errors: BTreeMap<String, u64>,
}

impl LatencyReport {
    pub fn to_text(&self) -> String {
        format!(
            "{}: {}/{} tickets submitted in {:.1} s and left at the first level; {} approved at \
             {}/s in {:.1} s, round trip {}\n  requester's ticket.changed: {}\n  next approver's \
             approval.pending: {}\n  resyncs: {}; errors: {}",
            labelled(self.bench, &self.label),
            self.submitted,
            self.tickets,
            self.submit_seconds,
            self.approved,
            self.rate,
            self.approve_seconds,
            self.approve_round_trip.to_text(),
            self.requester_push.to_text(),
            self.approver_push.to_text(),
            self.resyncs,
            counts_text(&self.errors),
        )
    }
}

pub async fn run(args: LatencyArgs) -> anyhow::Result<LatencyReport> {
    let participants = Arc::new(Participants::prepare(&args.server).await?);
    let requester_heard = Arc::new(Sightings::default());
    let approver_heard = Arc::new(Sightings::default());
    let listeners = [
        tokio::spawn(listen(
            participants.api.open_inbox(&participants.requester).await?,
            requester_heard.clone(),
            moved_to_second_level,
        )),
        tokio::spawn(listen(
            participants.api.open_inbox(&participants.operator).await?,
            approver_heard.clone(),
            level_opened,
        )),
    ];
    let mut errors = ErrorTally::default();

    // Fill: every ticket is waiting at the first level before the first approval is sent.
    let submit_started = Instant::now();
    let submissions: Vec<Result<i64, CallError>> = futures_util::stream::iter(0..args.tickets)
        .map(|index| {
            let participants = participants.clone();
            async move { participants.submit(&format!("latency bench {index}")).await }
        })
        .buffer_unordered(args.submit_concurrency.max(1))
        .collect()
        .await;
    let submit_seconds = submit_started.elapsed().as_secs_f64();
    let mut waiting = Vec::with_capacity(submissions.len());
    for submission in submissions {
        match submission {
            Ok(ticket_id) => waiting.push(ticket_id),
            Err(error) => errors.add_call(error),
        }
    }
    let submitted = waiting.len() as u64;

    // Approve at the set rate; a slow answer holds back the next approval only once
    // `concurrency` of them are waiting.
    let in_flight = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let mut ticker =
        tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(args.rate.max(1))));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let approve_started = Instant::now();
    let mut requests = Vec::with_capacity(waiting.len());
    for ticket_id in waiting {
        ticker.tick().await;
        let permit = in_flight.clone().acquire_owned().await?;
        let participants = participants.clone();
        requests.push(tokio::spawn(async move {
            let _permit = permit;
            let sent_at = Instant::now();
            participants
                .api
                .approve(&participants.tenant_approver, ticket_id)
                .await
                .map(|answered_at| Answered {
                    ticket_id,
                    sent_at,
                    answered_at,
                })
        }));
    }
    let mut approvals = Vec::with_capacity(requests.len());
    for request in requests {
        match request.await? {
            Ok(approval) => approvals.push(approval),
            Err(error) => errors.add_call(error),
        }
    }
    let approve_seconds = approve_started.elapsed().as_secs_f64();

    // Drain: wait for the pushes not heard yet.
    let drain_deadline = Instant::now() + DRAIN_TIMEOUT;
    while Instant::now() < drain_deadline
        && !(requester_heard.heard_all(&approvals) && approver_heard.heard_all(&approvals))
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for listener in &listeners {
        listener.abort();
    }
    errors.print_details();

    Ok(LatencyReport {
        bench: "latency",
        label: args.server.label,
        tickets: args.tickets,
        rate: args.rate,
        concurrency: args.concurrency,
        submitted,
        submit_seconds,
        approved: approvals.len() as u64,
        approve_seconds,
        approve_round_trip: Millis::of(approvals.iter().map(|approval| {
            approval
                .answered_at
                .saturating_duration_since(approval.sent_at)
        })),
        requester_push: PushLatency::of(&approvals, &requester_heard),
        approver_push: PushLatency::of(&approvals, &approver_heard),
        resyncs: requester_heard.resyncs.load(Ordering::Relaxed)
            + approver_heard.resyncs.load(Ordering::Relaxed),
        errors: errors.counts,
    })
}
