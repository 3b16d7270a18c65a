//! The event hub: topics, sequence numbers, replay buffers and the fan-out to this node's
//! WebSocket connections.
//!
//! # Layout
//! - [`topic`]: the `Topic` type and who may subscribe to what.
//! - [`events`]: the catalogue of event kinds, their topics and the types of their data.
//! - [`frame`]: the one place an event is serialized, once, into the bytes every subscriber gets.
//! - [`resume`]: what a client reconnecting with `since` gets (missed events or `resync`).
//! - [`redis_bus`] and [`redis_bridge`]: carrying events between nodes through Redis.
//!
//! # Flow
//! A publisher calls [`Hub::publish`]. Without Redis the hub numbers the event and fans it out
//! at once. With Redis, a Lua script numbers the event (`INCR`), keeps it in a capped replay
//! list and `PUBLISH`es it, atomically; every node's [`redis_bridge`] receives it and calls
//! [`Hub::deliver`], so each node fans out each event exactly once and in sequence order.
//!
//! Fan-out never waits: each connection has a bounded queue, and a connection whose queue is
//! full misses events on that topic until it has drained, when it is sent `resync` instead.
//!
//! It leaves sockets, heartbeats and the wire protocol to `ws`, and authorization of a
//! subscription to the caller ([`topic::may_subscribe`]).

pub mod events;
pub mod frame;
pub mod redis_bridge;
pub mod redis_bus;
pub mod resume;
pub mod topic;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::Context;
use bytestring::ByteString;
use chrono::Utc;
use parking_lot::Mutex;
use tokio::sync::{mpsc, Notify};

pub use events::{EventData, EventKind};
pub use topic::Topic;

use crate::metrics::Metrics;
use frame::UnsequencedFrame;
use redis_bus::RedisBus;
use resume::{Resume, SequencedFrame};

#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    topics: Mutex<HashMap<Topic, TopicState>>,
    bus: Bus,
    /// Where a topic new to this hub starts counting: with the in-process bus, the hub's
    /// start time in microseconds, so that numbers never repeat across restarts and a client
    /// resuming from before a restart gets `resync`, not somebody else's events. Redis does
    /// the same for its counters; there this is 0.
    seq_origin: u64,
    replay_capacity: usize,
    connection_queue_capacity: usize,
    next_connection_id: AtomicU64,
    metrics: Arc<Metrics>,
}

/// How events reach the other nodes.
enum Bus {
    InProcess,
    Redis(Box<RedisBus>),
}

struct TopicState {
    /// Newest sequence number seen on this node.
    last_seq: u64,
    /// Recent frames, oldest first, for clients resuming with `since`.
    replay: VecDeque<SequencedFrame>,
    subscribers: HashMap<u64, Subscriber>,
}

impl Inner {
    /// The state of `topic`, created at the hub's origin if this is its first use.
    fn topic_state<'a>(
        &self,
        topics: &'a mut HashMap<Topic, TopicState>,
        topic: &Topic,
    ) -> &'a mut TopicState {
        topics
            .entry(topic.clone())
            .or_insert_with(|| TopicState::starting_at(self.seq_origin))
    }
}

impl TopicState {
    fn starting_at(seq_origin: u64) -> TopicState {
        TopicState {
            last_seq: seq_origin,
            replay: VecDeque::new(),
            subscribers: HashMap::new(),
        }
    }
}

struct Subscriber {
    outbox: Outbox,
    /// Newest sequence number this subscriber has been given (or told to skip): older or
    /// equal events are never sent twice, whichever path they arrive by.
    last_seq: u64,
    /// Its queue overflowed: events are dropped until it has been sent `resync`.
    lagging: bool,
}

/// The hub's side of one connection: where its frames go.
#[derive(Clone)]
pub struct Outbox {
    connection_id: u64,
    frames_tx: mpsc::Sender<Delivery>,
    lag: Arc<LagSignal>,
}

/// One event as every connection receives it: the frame plus what a connection needs to drop
/// it if it unsubscribed meanwhile or already has it. Built once per event; each queue holds
/// a pointer to it, so a delivery costs one reference count.
#[derive(Debug)]
pub struct Event {
    pub topic: Topic,
    pub seq: u64,
    pub frame: ByteString,
    /// A telemetry frame: it carries the topic's latest number rather than a new one, and is
    /// sent whatever the connection last sent on the topic.
    pub telemetry: bool,
}

/// What a connection's queue holds.
pub type Delivery = Arc<Event>;

/// Topics on which a connection fell behind, for it to answer with `resync`.
#[derive(Default)]
pub struct LagSignal {
    topics: Mutex<Vec<Topic>>,
    notify: Notify,
}

impl LagSignal {
    fn raise(&self, topic: &Topic) {
        let mut topics = self.topics.lock();
        if !topics.contains(topic) {
            topics.push(topic.clone());
        }
        drop(topics);
        self.notify.notify_one();
    }

    /// Waits until some topic lagged.
    pub async fn raised(&self) {
        self.notify.notified().await
    }

    pub fn take(&self) -> Vec<Topic> {
        std::mem::take(&mut *self.topics.lock())
    }
}

/// A registered connection: the connection task reads `frames` and watches `lag`.
pub struct ConnectionPort {
    pub outbox: Outbox,
    pub frames: mpsc::Receiver<Delivery>,
    pub lag: Arc<LagSignal>,
}

impl Outbox {
    pub fn connection_id(&self) -> u64 {
        self.connection_id
    }
}

/// The answer to a subscription.
#[derive(Debug)]
pub struct Subscribed {
    /// The topic's newest sequence number: live events follow it.
    pub seq: u64,
    /// Frames missed since the client's `since`, in order.
    pub missed: Vec<SequencedFrame>,
    /// The gap could not be filled: the client must reload its state.
    pub resync: bool,
}

/// Counts for the admin page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubStats {
    pub topics: usize,
    pub subscriptions: usize,
}

impl Hub {
    pub fn in_process(
        replay_capacity: usize,
        connection_queue_capacity: usize,
        metrics: Arc<Metrics>,
    ) -> Hub {
        let seq_origin = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_micros() as u64)
            .unwrap_or(0);
        Hub::new(
            Bus::InProcess,
            seq_origin,
            replay_capacity,
            connection_queue_capacity,
            metrics,
        )
    }

    pub fn with_redis(
        bus: RedisBus,
        replay_capacity: usize,
        connection_queue_capacity: usize,
        metrics: Arc<Metrics>,
    ) -> Hub {
        Hub::new(
            Bus::Redis(Box::new(bus)),
            0,
            replay_capacity,
            connection_queue_capacity,
            metrics,
        )
    }

    fn new(
        bus: Bus,
        seq_origin: u64,
        replay_capacity: usize,
        connection_queue_capacity: usize,
        metrics: Arc<Metrics>,
    ) -> Hub {
        Hub {
            inner: Arc::new(Inner {
                topics: Mutex::new(HashMap::new()),
                bus,
                seq_origin,
                replay_capacity: replay_capacity.max(1),
                connection_queue_capacity: connection_queue_capacity.max(1),
                next_connection_id: AtomicU64::new(1),
                metrics,
            }),
        }
    }

    pub fn redis_bus(&self) -> Option<&RedisBus> {
        match &self.inner.bus {
            Bus::Redis(bus) => Some(bus),
            Bus::InProcess => None,
        }
    }

    /// Publishes an event and returns its sequence number. With Redis, this node's
    /// subscribers get it when it comes back through the bridge, like every other node's.
    #[tracing::instrument(skip(self, data), fields(topic = %topic, kind = kind.name()))]
    pub async fn publish<D: EventData>(
        &self,
        topic: &Topic,
        kind: EventKind,
        data: &D,
    ) -> anyhow::Result<u64> {
        debug_assert!(!kind.is_telemetry(), "{kind:?} is telemetry");
        let frame = event_frame(topic, kind, data)?;
        let seq = match &self.inner.bus {
            Bus::InProcess => {
                let mut topics = self.inner.topics.lock();
                let state = self.inner.topic_state(&mut topics, topic);
                let seq = state.last_seq + 1;
                self.fan_out(topic, state, seq, frame.with_seq(seq));
                seq
            }
            Bus::Redis(bus) => bus.publish(topic, &frame).await?,
        };
        self.inner.metrics.events_published.inc();
        Ok(seq)
    }

    /// Publishes a telemetry frame (a device's latest values, superseded by the next): it goes
    /// only to the sockets subscribed at that moment, on any node, carries the topic's latest
    /// sequence number instead of a new one, and is never kept for replay, so that thousands
    /// of devices polled every few seconds cost nothing on topics nobody watches. A client
    /// that resumes reads current values from the API.
    pub async fn publish_telemetry<D: EventData>(
        &self,
        topic: &Topic,
        kind: EventKind,
        data: &D,
    ) -> anyhow::Result<()> {
        debug_assert!(kind.is_telemetry(), "{kind:?} is not telemetry");
        let frame = event_frame(topic, kind, data)?;
        match &self.inner.bus {
            Bus::InProcess => self.deliver_telemetry(topic, &frame),
            Bus::Redis(bus) => bus.publish_telemetry(topic, &frame).await?,
        }
        self.inner.metrics.events_published.inc();
        Ok(())
    }

    /// Hands a telemetry frame to this node's subscribers of `topic`, if it has any.
    pub fn deliver_telemetry(&self, topic: &Topic, frame: &UnsequencedFrame) {
        let mut topics = self.inner.topics.lock();
        let Some(state) = topics.get_mut(topic) else {
            return;
        };
        if state.subscribers.is_empty() {
            return;
        }
        // The latest number any subscriber here was told: with Redis, a subscriber is told
        // the topic's number there, which this node's own count may not have reached (no
        // numbered event of the topic passed through it yet), and a client drops telemetry
        // numbered below what it was told.
        let seq = state
            .subscribers
            .values()
            .map(|subscriber| subscriber.last_seq)
            .fold(state.last_seq, u64::max);
        let event = Arc::new(Event {
            topic: topic.clone(),
            seq,
            frame: frame.with_seq(seq),
            telemetry: true,
        });
        let mut delivered = 0u64;
        for subscriber in state.subscribers.values_mut() {
            if subscriber.lagging {
                continue;
            }
            match subscriber.outbox.frames_tx.try_send(event.clone()) {
                Ok(()) => delivered += 1,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    subscriber.lagging = true;
                    subscriber.outbox.lag.raise(topic);
                    self.inner.metrics.queue_overflows.inc();
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
        self.inner.metrics.events_delivered.inc_by(delivered);
    }

    /// Fans out an event that arrived from the bus. Events at or below the topic's newest
    /// sequence number on this node are duplicates and are dropped.
    pub fn deliver(&self, topic: Topic, seq: u64, frame: ByteString) {
        let mut topics = self.inner.topics.lock();
        let state = self.inner.topic_state(&mut topics, &topic);
        if seq <= state.last_seq {
            return;
        }
        self.fan_out(&topic, state, seq, frame);
    }

    fn fan_out(&self, topic: &Topic, state: &mut TopicState, seq: u64, frame: ByteString) {
        state.last_seq = seq;
        if state.replay.len() == self.inner.replay_capacity {
            state.replay.pop_front();
        }
        state.replay.push_back((seq, frame.clone()));
        let event = Arc::new(Event {
            topic: topic.clone(),
            seq,
            frame,
            telemetry: false,
        });
        let mut delivered = 0u64;
        let mut overflowed = 0u64;
        for subscriber in state.subscribers.values_mut() {
            if subscriber.lagging || seq <= subscriber.last_seq {
                continue;
            }
            match subscriber.outbox.frames_tx.try_send(event.clone()) {
                Ok(()) => {
                    subscriber.last_seq = seq;
                    delivered += 1;
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    subscriber.lagging = true;
                    subscriber.outbox.lag.raise(topic);
                    overflowed += 1;
                }
                // The connection is closing; it unsubscribes itself.
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
        self.inner.metrics.events_delivered.inc_by(delivered);
        if overflowed > 0 {
            self.inner.metrics.queue_overflows.inc_by(overflowed);
            tracing::debug!(topic = %topic, overflowed, "slow connections lagged");
        }
    }

    /// Registers a new connection and returns its queue.
    pub fn connect(&self) -> ConnectionPort {
        let (frames_tx, frames) = mpsc::channel(self.inner.connection_queue_capacity);
        let lag = Arc::new(LagSignal::default());
        ConnectionPort {
            outbox: Outbox {
                connection_id: self
                    .inner
                    .next_connection_id
                    .fetch_add(1, Ordering::Relaxed),
                frames_tx,
                lag: lag.clone(),
            },
            frames,
            lag,
        }
    }

    /// Subscribes a connection to `topic` (authorization is the caller's job). With `since`,
    /// the answer carries the events missed after it, or asks for a resync.
    pub async fn subscribe(
        &self,
        outbox: &Outbox,
        topic: &Topic,
        since_opt: Option<u64>,
    ) -> anyhow::Result<Subscribed> {
        let remote_opt = match &self.inner.bus {
            Bus::InProcess => None,
            Bus::Redis(bus) => Some(bus.recent(topic, since_opt).await?),
        };
        let mut topics = self.inner.topics.lock();
        let state = self.inner.topic_state(&mut topics, topic);
        let (latest, available) = match remote_opt {
            None => (
                state.last_seq,
                state.replay.iter().cloned().collect::<Vec<_>>(),
            ),
            Some(remote) => (
                state.last_seq.max(remote.seq),
                resume::merge(state.replay.iter().cloned(), remote.frames),
            ),
        };
        let plan = resume::plan(since_opt, latest, &available);
        state.subscribers.insert(
            outbox.connection_id,
            Subscriber {
                outbox: outbox.clone(),
                last_seq: latest,
                lagging: false,
            },
        );
        Ok(match plan {
            Resume::Live { missed } => Subscribed {
                seq: latest,
                missed,
                resync: false,
            },
            Resume::Resync => {
                self.inner.metrics.resyncs.inc();
                Subscribed {
                    seq: latest,
                    missed: Vec::new(),
                    resync: true,
                }
            }
        })
    }

    pub fn unsubscribe(&self, connection_id: u64, topic: &Topic) {
        if let Some(state) = self.inner.topics.lock().get_mut(topic) {
            state.subscribers.remove(&connection_id);
        }
    }

    /// Forgets a closed connection's subscriptions.
    pub fn disconnect<'a>(&self, connection_id: u64, topics: impl IntoIterator<Item = &'a Topic>) {
        let mut all = self.inner.topics.lock();
        for topic in topics {
            if let Some(state) = all.get_mut(topic) {
                state.subscribers.remove(&connection_id);
            }
        }
    }

    /// A lagging connection has drained its queue and is about to send `resync`: from now on
    /// it gets live events again, after the topic's newest.
    pub fn clear_lag(&self, connection_id: u64, topic: &Topic) {
        let mut topics = self.inner.topics.lock();
        if let Some(state) = topics.get_mut(topic) {
            let latest = state.last_seq;
            if let Some(subscriber) = state.subscribers.get_mut(&connection_id) {
                subscriber.lagging = false;
                subscriber.last_seq = subscriber.last_seq.max(latest);
                self.inner.metrics.resyncs.inc();
            }
        }
    }

    /// Tells every subscriber to resync, when events may have been lost on the way here
    /// (the Redis bridge reconnected).
    pub fn resync_all(&self) {
        let mut topics = self.inner.topics.lock();
        for (topic, state) in topics.iter_mut() {
            for subscriber in state.subscribers.values_mut() {
                if !subscriber.lagging {
                    subscriber.lagging = true;
                    subscriber.outbox.lag.raise(topic);
                }
            }
        }
    }

    pub fn stats(&self) -> HubStats {
        let topics = self.inner.topics.lock();
        HubStats {
            topics: topics.len(),
            subscriptions: topics.values().map(|state| state.subscribers.len()).sum(),
        }
    }
}

/// The frame of an event. A kind sent with another kind's data, or on a topic it is not
/// catalogued for, is a bug: debug builds (and so the tests) stop at it.
fn event_frame<D: EventData>(
    topic: &Topic,
    kind: EventKind,
    data: &D,
) -> anyhow::Result<UnsequencedFrame> {
    debug_assert_eq!(
        D::name(),
        kind.data_schema(),
        "{} published with the wrong data type",
        kind.name()
    );
    debug_assert!(
        kind.topics().contains(&topic.family()),
        "{} published on {topic}, which is not one of its topics",
        kind.name()
    );
    let data = serde_json::to_value(data)
        .with_context(|| format!("serializing the data of a {} event", kind.name()))?;
    Ok(UnsequencedFrame::new(topic, kind.name(), Utc::now(), &data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::announcements::AnnouncementView;
    use serde_json::Value;

    /// An in-process hub counting from 0, so that tables read naturally.
    fn hub(replay: usize, queue: usize) -> Hub {
        Hub::new(Bus::InProcess, 0, replay, queue, Arc::new(Metrics::new()))
    }

    /// Event data numbered `n`.
    fn announcement(n: i64) -> AnnouncementView {
        AnnouncementView {
            id: n,
            title: format!("announcement {n}"),
            body: String::new(),
            tenant_id: None,
            author_id: 1,
            created_at: Utc::now(),
        }
    }

    fn seq_of(frame: &ByteString) -> u64 {
        serde_json::from_str::<Value>(frame).unwrap()["seq"]
            .as_u64()
            .unwrap()
    }

    #[tokio::test]
    async fn subscribers_get_each_event_once_and_only_on_their_topic() {
        let hub = hub(16, 16);
        let mut a = hub.connect();
        let mut b = hub.connect();
        hub.subscribe(&a.outbox, &Topic::Announcements, None)
            .await
            .unwrap();
        hub.subscribe(&b.outbox, &Topic::TenantAnnouncements(1), None)
            .await
            .unwrap();

        assert_eq!(
            hub.publish(
                &Topic::Announcements,
                EventKind::AnnouncementCreated,
                &announcement(1)
            )
            .await
            .unwrap(),
            1
        );
        assert_eq!(
            hub.publish(
                &Topic::TenantAnnouncements(1),
                EventKind::AnnouncementCreated,
                &announcement(2)
            )
            .await
            .unwrap(),
            1
        );
        assert_eq!(
            hub.publish(
                &Topic::Announcements,
                EventKind::AnnouncementCreated,
                &announcement(3)
            )
            .await
            .unwrap(),
            2
        );

        let a_frames: Vec<u64> = std::iter::from_fn(|| a.frames.try_recv().ok())
            .map(|delivery| seq_of(&delivery.frame))
            .collect();
        let b_frames: Vec<u64> = std::iter::from_fn(|| b.frames.try_recv().ok())
            .map(|delivery| seq_of(&delivery.frame))
            .collect();
        assert_eq!(a_frames, [1, 2]);
        assert_eq!(b_frames, [1]);
    }

    #[tokio::test]
    async fn a_full_queue_marks_the_topic_lagging_without_blocking_others() {
        let hub = hub(16, 2);
        let slow = hub.connect();
        let mut fast = hub.connect();
        hub.subscribe(&slow.outbox, &Topic::Announcements, None)
            .await
            .unwrap();
        hub.subscribe(&fast.outbox, &Topic::Announcements, None)
            .await
            .unwrap();
        for i in 0..2 {
            hub.publish(
                &Topic::Announcements,
                EventKind::AnnouncementCreated,
                &announcement(i),
            )
            .await
            .unwrap();
            fast.frames.try_recv().unwrap();
        }
        hub.publish(
            &Topic::Announcements,
            EventKind::AnnouncementCreated,
            &announcement(2),
        )
        .await
        .unwrap();
        assert_eq!(seq_of(&fast.frames.try_recv().unwrap().frame), 3);
        assert_eq!(slow.lag.take(), vec![Topic::Announcements]);

        // The connection drains what was queued before the overflow, then clears the lag:
        // from then on it gets live events after the newest again.
        let mut slow_frames = slow.frames;
        let drained: Vec<u64> = std::iter::from_fn(|| slow_frames.try_recv().ok())
            .map(|delivery| seq_of(&delivery.frame))
            .collect();
        assert_eq!(drained, [1, 2]);
        hub.publish(
            &Topic::Announcements,
            EventKind::AnnouncementCreated,
            &announcement(3),
        )
        .await
        .unwrap();
        assert!(
            slow_frames.try_recv().is_err(),
            "a lagging topic gets nothing until cleared"
        );
        hub.clear_lag(slow.outbox.connection_id(), &Topic::Announcements);
        hub.publish(
            &Topic::Announcements,
            EventKind::AnnouncementCreated,
            &announcement(4),
        )
        .await
        .unwrap();
        assert_eq!(seq_of(&slow_frames.try_recv().unwrap().frame), 5);
    }

    #[tokio::test]
    async fn numbering_never_repeats_across_restarts_so_stale_resumes_resync() {
        let before = Hub::in_process(16, 16, Arc::new(Metrics::new()));
        let old_seq = before
            .publish(
                &Topic::Announcements,
                EventKind::AnnouncementCreated,
                &announcement(1),
            )
            .await
            .unwrap();
        drop(before);
        let after = Hub::in_process(16, 16, Arc::new(Metrics::new()));
        after
            .publish(
                &Topic::Announcements,
                EventKind::AnnouncementCreated,
                &announcement(1),
            )
            .await
            .unwrap();
        let port = after.connect();
        let resumed = after
            .subscribe(&port.outbox, &Topic::Announcements, Some(old_seq))
            .await
            .unwrap();
        assert!(resumed.seq > old_seq);
        assert!(
            resumed.resync,
            "a since from before the restart must resync"
        );
    }

    #[tokio::test]
    async fn resuming_replays_missed_events_or_asks_for_resync() {
        let hub = hub(3, 16);
        for i in 0..5 {
            hub.publish(
                &Topic::Announcements,
                EventKind::AnnouncementCreated,
                &announcement(i),
            )
            .await
            .unwrap();
        }
        let port = hub.connect();
        let resumed = hub
            .subscribe(&port.outbox, &Topic::Announcements, Some(3))
            .await
            .unwrap();
        assert_eq!((resumed.seq, resumed.resync), (5, false));
        assert_eq!(
            resumed
                .missed
                .iter()
                .map(|(seq, frame)| {
                    assert_eq!(seq_of(frame), *seq);
                    *seq
                })
                .collect::<Vec<_>>(),
            [4, 5]
        );

        let too_old = hub
            .subscribe(&port.outbox, &Topic::Announcements, Some(1))
            .await
            .unwrap();
        assert!(too_old.resync);
        assert!(too_old.missed.is_empty());
    }
}
