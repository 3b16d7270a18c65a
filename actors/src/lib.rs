//! yunguan's control plane: the actors and their pure state machines.
//!
//! # Layout
//! - [`supervision`]: the restart-with-backoff pattern that every long-lived actor runs under,
//!   with counted restarts and a cheap state snapshot per actor.
//!
//! **Invariant:** this crate knows nothing about HTTP, JSON wire types or SQL; actors reach
//! the outside world through traits and channels that the server crate implements.

pub mod supervision;
