//! WebSocket sessions: the protocol of `docs/websocket.md` on top of the hub.
//!
//! # Layout
//! - [`protocol`]: client messages (parsed) and server messages (serialized).
//! - [`session`]: one task per connection: reads client messages, writes queued frames,
//!   sends `resync` after a lag, heartbeats, and closes on idle timeout or shutdown.
//!
//! Authentication happens before the upgrade (in `routes::ws`); every subscription is
//! authorized here with `hub::topic::may_subscribe`.

pub mod protocol;
pub mod session;
