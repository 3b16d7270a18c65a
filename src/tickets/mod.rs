//! Tickets (工单): service requests, their multi-level approvals and their timeline.
//!
//! - `engine.rs`: submitting and acting on tickets, one transaction per action, pushes after
//!   commit. The workflow itself is the pure state machine in `yunguan_actors::ticket`.
//! - `approvers.rs`: resolving a level's approvers, and delegations in force.
//! - `queries.rs`: listings, one ticket in full, the approver's inbox, delegations.
//! - `views.rs`: what clients see, over HTTP and in events.

pub mod approvers;
pub mod engine;
pub mod queries;
pub mod views;

pub use engine::{Action, Caller, Draft, Engine, Executed, Idempotency};
