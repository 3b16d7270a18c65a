//! The ticket workflow as pure functions: approval chains as data ([`chain`]), the state
//! machine ([`workflow`]) and the SLA clock of an open approval level ([`sla`]).
//!
//! Nothing here reads a clock, a database or a socket: the ticket actor in the server crate
//! loads a ticket, asks these functions what happens next, commits the answer and pushes it.

pub mod chain;
pub mod sla;
pub mod workflow;
