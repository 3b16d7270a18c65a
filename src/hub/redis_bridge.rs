//! The actor that listens to Redis pub/sub and hands every event to this node's hub.
//!
//! It runs under the supervisor: when Redis goes away its stream ends, the actor stops, and
//! the supervisor reconnects it with backoff. Events published while it was away are not
//! replayed to live subscribers; instead every subscriber is told to resync on reconnect.

use actix::{
    Actor, ActorContext, ActorFutureExt, AsyncContext, Context, StreamHandler, WrapFuture,
};
use yunguan_actors::supervision::Link;

use super::redis_bus::{parse_entry, parse_telemetry, RedisBus};
use super::Hub;

/// What the bridge shows of itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BridgeSnapshot {
    pub subscribed: bool,
    pub events_received: u64,
    pub malformed_messages: u64,
}

pub struct RedisBridge {
    bus: RedisBus,
    hub: Hub,
    state: BridgeSnapshot,
    link: Link<BridgeSnapshot>,
}

impl RedisBridge {
    pub fn new(bus: RedisBus, hub: Hub, link: Link<BridgeSnapshot>) -> Self {
        RedisBridge {
            bus,
            hub,
            state: BridgeSnapshot::default(),
            link,
        }
    }
}

impl Actor for RedisBridge {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let client = self.bus.client().clone();
        let pattern = self.bus.channel_pattern();
        let telemetry_pattern = self.bus.telemetry_channel_pattern();
        let subscribe = async move {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.psubscribe(&pattern).await?;
            pubsub.psubscribe(&telemetry_pattern).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        ctx.wait(
            subscribe
                .into_actor(self)
                .map(|result, bridge, ctx| match result {
                    Ok(pubsub) => {
                        tracing::info!("redis bridge subscribed");
                        bridge.state.subscribed = true;
                        bridge.link.publish(bridge.state);
                        // Whatever was published while no bridge listened is lost to live sockets.
                        bridge.hub.resync_all();
                        ctx.add_stream(pubsub.into_on_message());
                    }
                    Err(error) => {
                        tracing::warn!(%error, "redis bridge could not subscribe");
                        ctx.stop();
                    }
                }),
        );
    }
}

impl StreamHandler<redis::Msg> for RedisBridge {
    fn handle(&mut self, message: redis::Msg, _ctx: &mut Context<Self>) {
        if let Some(topic) = self
            .bus
            .topic_of_telemetry_channel(message.get_channel_name())
        {
            match parse_telemetry(message.get_payload_bytes()) {
                Some(frame) => self.hub.deliver_telemetry(&topic, &frame),
                None => {
                    self.state.malformed_messages += 1;
                    self.link.publish(self.state);
                }
            }
            return;
        }
        let topic_opt = self.bus.topic_of_channel(message.get_channel_name());
        match (topic_opt, parse_entry(message.get_payload_bytes())) {
            (Some(topic), Some((seq, frame))) => {
                self.state.events_received += 1;
                self.hub.deliver(topic, seq, frame);
            }
            _ => {
                self.state.malformed_messages += 1;
                tracing::warn!(
                    channel = message.get_channel_name(),
                    "ignoring a malformed bus message"
                );
            }
        }
        self.link.publish(self.state);
    }

    fn finished(&mut self, ctx: &mut Context<Self>) {
        tracing::warn!("redis pub/sub stream ended");
        self.state.subscribed = false;
        self.link.publish(self.state);
        ctx.stop();
    }
}
