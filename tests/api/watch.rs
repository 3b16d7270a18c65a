//! Waiting for what a node announces instead of polling for it: a test watches topics on the
//! node's own hub (no socket, no role needed) and waits for the event it expects.
//!
//! Watch first, then read the current state, then wait: an event published between the two
//! is still in the queue, so nothing is missed and nothing sleeps.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;
use yunguan::hub::{ConnectionPort, Hub, Topic};

use crate::helpers::TestApp;

/// How long a wait lasts before the test fails: long enough for a loaded CI machine, and
/// only reached when what was awaited never happened.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub struct Watch {
    hub: Hub,
    port: ConnectionPort,
    topics: Vec<Topic>,
}

impl Watch {
    pub async fn on(app: &TestApp, topics: &[&str]) -> Watch {
        Watch::on_hub(&app.state.hub, topics).await
    }

    pub async fn on_hub(hub: &Hub, topics: &[&str]) -> Watch {
        let port = hub.connect();
        let mut watched = Vec::new();
        for raw in topics {
            let topic = Topic::parse(raw).expect("a topic name");
            hub.subscribe(&port.outbox, &topic, None)
                .await
                .expect("subscribing to the hub");
            watched.push(topic);
        }
        Watch {
            hub: hub.clone(),
            port,
            topics: watched,
        }
    }

    /// The next event (`{topic, seq, kind, ts, data}`) within `within`, if any.
    pub async fn next(&mut self, within: Duration) -> Option<Value> {
        let event = tokio::time::timeout(within, self.port.frames.recv())
            .await
            .ok()??;
        Some(serde_json::from_str(&event.frame).expect("an event frame is JSON"))
    }

    /// The first event that `wanted` accepts; fails the test, naming `what`, if none comes
    /// within [`PATIENCE`].
    pub async fn until(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left).await {
                Some(event) if wanted(&event) => return event,
                Some(_) => continue,
                None => panic!("waited {PATIENCE:?} for {what}"),
            }
        }
    }

    /// The first event of `kind` that `wanted` accepts (see [`Watch::until`]).
    pub async fn until_kind(&mut self, kind: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        self.until(kind, |event| event["kind"] == kind && wanted(event))
            .await
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.hub
            .disconnect(self.port.outbox.connection_id(), &self.topics);
    }
}
