//! The Redis side of the hub: numbering, keeping and publishing events for every node.
//!
//! Keys, under a configurable prefix so that deployments (and tests) can share a server:
//! `{prefix}:seq:{topic}` (the topic's counter), `{prefix}:replay:{topic}` (a capped list of
//! recent entries) and the pub/sub channel `{prefix}:ev:{topic}`; telemetry, neither numbered
//! nor kept, goes on `{prefix}:tel:{topic}` as the frame's text before and after its number,
//! joined by a NUL (which JSON text never holds). An entry is
//! `"{seq} {frame}"`: the frame is the exact wire text, so nodes forward it untouched.

use anyhow::Context;
use bytestring::ByteString;
use redis::aio::ConnectionManager;
use secrecy::{ExposeSecret, SecretString};

use super::frame::UnsequencedFrame;
use super::resume::SequencedFrame;
use super::Topic;

/// Creates a missing counter at the current time in microseconds, so that numbers never
/// repeat after Redis loses its data (a stale resume then gets a resync), and leaves the
/// counter's value, as a string, in `seq`. Lua numbers are doubles and print large integers
/// in exponent form, hence the string.
macro_rules! counter_prelude {
    () => {
        r"
redis.replicate_commands()
if redis.call('EXISTS', KEYS[1]) == 0 then
  local now = redis.call('TIME')
  redis.call('SET', KEYS[1], now[1] .. string.format('%06d', tonumber(now[2])))
end
"
    };
}

/// Numbers, stores and publishes one event atomically, so that every node sees a topic's
/// events in sequence order and the replay list never has a hole.
const PUBLISH_SCRIPT: &str = concat!(
    counter_prelude!(),
    r"
redis.call('INCR', KEYS[1])
local seq = redis.call('GET', KEYS[1])
local entry = seq .. ' ' .. ARGV[1] .. seq .. ARGV[2]
redis.call('RPUSH', KEYS[2], entry)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('PUBLISH', ARGV[4], entry)
return seq
"
);

/// A topic's counter and, when ARGV[1] is a `since`, the replay entries after it (only
/// those: a client a few events behind does not pull the whole list): `{seq, entry...}`.
/// Counters stay below 2^53, so Lua's doubles subtract them exactly.
const RECENT_SCRIPT: &str = concat!(
    counter_prelude!(),
    r"
local seq = redis.call('GET', KEYS[1])
local reply = { seq }
if ARGV[1] ~= '' then
  local missed = tonumber(seq) - tonumber(ARGV[1])
  if missed > 0 then
    for _, entry in ipairs(redis.call('LRANGE', KEYS[2], -missed, -1)) do
      table.insert(reply, entry)
    end
  end
end
return reply
"
);

#[derive(Clone)]
pub struct RedisBus {
    client: redis::Client,
    connection: ConnectionManager,
    publish_script: redis::Script,
    recent_script: redis::Script,
    prefix: String,
    replay_capacity: usize,
}

/// What Redis knows of a topic.
pub struct RemoteTopic {
    pub seq: u64,
    pub frames: Vec<SequencedFrame>,
}

impl RedisBus {
    pub async fn connect(
        url: &SecretString,
        prefix: &str,
        replay_capacity: usize,
    ) -> anyhow::Result<RedisBus> {
        let client = redis::Client::open(url.expose_secret()).context("invalid Redis URL")?;
        let connection = ConnectionManager::new(client.clone())
            .await
            .context("connecting to Redis")?;
        Ok(RedisBus {
            client,
            connection,
            publish_script: redis::Script::new(PUBLISH_SCRIPT),
            recent_script: redis::Script::new(RECENT_SCRIPT),
            prefix: prefix.to_owned(),
            replay_capacity: replay_capacity.max(1),
        })
    }

    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    /// The pattern that matches every topic's channel.
    pub fn channel_pattern(&self) -> String {
        format!("{}:ev:*", self.prefix)
    }

    /// The pattern that matches every topic's telemetry channel.
    pub fn telemetry_channel_pattern(&self) -> String {
        format!("{}:tel:*", self.prefix)
    }

    /// The topic of a telemetry channel.
    pub fn topic_of_telemetry_channel(&self, channel: &str) -> Option<Topic> {
        let name = channel.strip_prefix(&self.prefix)?.strip_prefix(":tel:")?;
        Topic::parse(name).ok()
    }

    /// Sends a telemetry frame to every node's subscribers: a plain PUBLISH, nothing kept.
    pub async fn publish_telemetry(
        &self,
        topic: &Topic,
        frame: &UnsequencedFrame,
    ) -> anyhow::Result<()> {
        let payload = format!("{}\0{}", frame.head, frame.tail);
        let mut connection = self.connection.clone();
        redis::cmd("PUBLISH")
            .arg(format!("{}:tel:{topic}", self.prefix))
            .arg(payload)
            .query_async::<i64>(&mut connection)
            .await
            .context("publishing telemetry through Redis")?;
        Ok(())
    }

    /// The topic of a channel name, if it is one of ours and valid.
    pub fn topic_of_channel(&self, channel: &str) -> Option<Topic> {
        let name = channel.strip_prefix(&self.prefix)?.strip_prefix(":ev:")?;
        Topic::parse(name).ok()
    }

    /// Publishes through the script. A connection found dead (Redis restarted, the link was
    /// cut) is retried once on the manager's fresh connection. A timeout is not retried: the
    /// script may have run. If a connection breaks after the script ran but before its reply
    /// arrived, the retry shows the event twice (under two numbers) rather than losing it.
    pub async fn publish(&self, topic: &Topic, frame: &UnsequencedFrame) -> anyhow::Result<u64> {
        let mut invocation = self.publish_script.prepare_invoke();
        invocation
            .key(format!("{}:seq:{topic}", self.prefix))
            .key(format!("{}:replay:{topic}", self.prefix))
            .arg(&frame.head)
            .arg(&frame.tail)
            .arg(self.replay_capacity)
            .arg(format!("{}:ev:{topic}", self.prefix));
        let mut connection = self.connection.clone();
        let first = invocation.invoke_async::<u64>(&mut connection).await;
        let result = match first {
            Err(error)
                if (error.is_connection_dropped() || error.is_io_error())
                    && !error.is_timeout() =>
            {
                tracing::warn!(%error, topic = %topic, "redis connection lost; retrying the publish once");
                invocation.invoke_async::<u64>(&mut connection).await
            }
            other => other,
        };
        result.context("publishing an event through Redis")
    }

    /// The topic's counter (created if missing) and, with `since`, the entries after it that
    /// the replay list still holds.
    pub async fn recent(
        &self,
        topic: &Topic,
        since_opt: Option<u64>,
    ) -> anyhow::Result<RemoteTopic> {
        let mut connection = self.connection.clone();
        let reply: Vec<Vec<u8>> = self
            .recent_script
            .key(format!("{}:seq:{topic}", self.prefix))
            .key(format!("{}:replay:{topic}", self.prefix))
            .arg(since_opt.map(|since| since.to_string()).unwrap_or_default())
            .invoke_async(&mut connection)
            .await
            .context("reading a topic's recent events from Redis")?;
        let mut reply = reply.into_iter();
        let seq = reply
            .next()
            .and_then(|seq| std::str::from_utf8(&seq).ok()?.parse().ok())
            .context("Redis returned no valid counter")?;
        let mut frames = Vec::with_capacity(reply.len());
        for entry in reply {
            match parse_entry(&entry) {
                Some(frame) => frames.push(frame),
                None => tracing::warn!(topic = %topic, "skipping a malformed replay entry"),
            }
        }
        Ok(RemoteTopic { seq, frames })
    }

    pub async fn ping(&self) -> bool {
        let mut connection = self.connection.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .is_ok()
    }
}

/// Splits an entry `"{seq} {frame}"`. Anything else (it came over the network) is `None`.
pub fn parse_entry(bytes: &[u8]) -> Option<SequencedFrame> {
    let space = bytes.iter().position(|b| *b == b' ')?;
    let seq: u64 = std::str::from_utf8(&bytes[..space]).ok()?.parse().ok()?;
    let frame = ByteString::try_from(bytes::Bytes::copy_from_slice(&bytes[space + 1..])).ok()?;
    (seq > 0 && !frame.is_empty()).then_some((seq, frame))
}

/// A telemetry payload back into the frame's two halves.
pub fn parse_telemetry(payload: &[u8]) -> Option<UnsequencedFrame> {
    let text = std::str::from_utf8(payload).ok()?;
    let (head, tail) = text.split_once('\0')?;
    Some(UnsequencedFrame {
        head: head.to_owned(),
        tail: tail.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_parse_only_when_well_formed() {
        assert_eq!(
            parse_entry(b"7 {\"op\":\"event\"}").map(|(s, f)| (s, f.to_string())),
            Some((7, "{\"op\":\"event\"}".to_owned()))
        );
        for bad in [
            &b""[..],
            b"7",
            b"7 ",
            b"x {}",
            b"-1 {}",
            b"0 {}",
            b"7 \xff\xfe",
            b"99999999999999999999999 {}",
        ] {
            assert!(parse_entry(bad).is_none(), "{bad:?}");
        }
    }
}
