//! What the ticket actors are asked. Plain structs; the answers are the engine's.

use actix::Message;

use super::engine::{Action, Caller, Executed, Idempotency};
use crate::db::entities::ticket;
use crate::tickets::TicketError;

/// A user's action on the actor's ticket.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<Executed, TicketError>")]
pub struct Act {
    pub caller: Caller,
    pub action: Action,
    pub expected_version_opt: Option<i64>,
    pub idempotency_opt: Option<Idempotency>,
    /// The span of the request that asked (its id, user and tenant), so that the change's log
    /// lines name the request.
    pub request_span: tracing::Span,
}

/// Completing one of the ticket's manual tasks.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<Executed, TicketError>")]
pub struct CompleteTask {
    pub task_id: i64,
    pub caller: Caller,
    pub note_opt: Option<String>,
    /// As [`Act::request_span`].
    pub request_span: tracing::Span,
}

/// Look at the ticket again: arm its SLA timer, drive its fulfilment, or stop. From the row
/// a change just committed, when there is one; otherwise from the database.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Refresh {
    pub committed_opt: Option<ticket::Model>,
}

/// Stop now: the application is shutting down.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct Stop;
