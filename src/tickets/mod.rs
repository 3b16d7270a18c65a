//! Tickets (工单): service requests, their multi-level approvals and their timeline.
//!
//! - `engine/`: submitting and acting on tickets, one transaction per action, pushes after
//!   commit; `engine/system.rs` has the system's steps (SLA, fulfilment, manual tasks). The
//!   workflow itself is the pure state machine in `yunguan_actors::ticket`.
//! - `actor.rs` and `messages.rs`: one `TicketActor` per open ticket, which serializes its
//!   actions, keeps its SLA timer and drives its fulfilment; `TicketActors` finds them.
//! - `approvers.rs`: resolving a level's approvers, and delegations in force.
//! - `queries.rs`: listings, one ticket in full, the approver's inbox, delegations.
//! - `views.rs`: what clients see, over HTTP and in events.

pub mod actor;
pub mod approvers;
pub mod engine;
mod error;
pub mod messages;
pub mod queries;
pub mod views;

pub use actor::{TicketActors, TicketServices};
pub use engine::{Action, Caller, Draft, Engine, Executed, Idempotency};
pub use error::TicketError;
