//! WebSocket sessions: the protocol of `docs/websocket.md` on top of the hub.
//!
//! # Layout
//! - [`protocol`]: client messages (parsed) and server messages (serialized).
//! - [`session`]: one task per connection: reads client messages, writes queued frames,
//!   sends `resync` after a lag, heartbeats, and closes on idle timeout, shutdown or when
//!   its login ends.
//! - [`logins`]: the logins behind the node's open sockets, checked by one task for all of
//!   them, and the signal that closes a login's sockets.
//!
//! Authentication happens before the upgrade (in `routes::ws`); every subscription is
//! authorized here with `hub::topic::may_subscribe`.

pub mod logins;
pub mod protocol;
pub mod session;

use tokio::sync::watch;

/// Completes when the server shuts down (never if the signal's sender is gone).
async fn shutdown_requested(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}
