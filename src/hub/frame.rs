//! The one place an event becomes wire bytes. An event frame is
//! `{"op":"event","topic":..,"seq":..,"kind":..,"ts":..,"data":..}`; it is built once per
//! event (per node) and the same bytes go to every subscriber.
//!
//! The sequence number sits in the middle of the frame and, with Redis, is only known inside
//! Redis, so a frame is prepared as the text before the number and the text after it.

use bytestring::ByteString;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::Topic;

/// An event frame without its sequence number.
#[derive(Debug, Clone)]
pub struct UnsequencedFrame {
    pub head: String,
    pub tail: String,
}

impl UnsequencedFrame {
    pub fn new(topic: &Topic, kind: &str, ts: DateTime<Utc>, data: &Value) -> UnsequencedFrame {
        let quoted = |s: &str| Value::String(s.to_owned()).to_string();
        UnsequencedFrame {
            head: format!(
                r#"{{"op":"event","topic":{},"seq":"#,
                quoted(&topic.to_string())
            ),
            tail: format!(
                r#","kind":{},"ts":{},"data":{}}}"#,
                quoted(kind),
                quoted(&ts.to_rfc3339_opts(SecondsFormat::Millis, true)),
                data
            ),
        }
    }

    pub fn with_seq(&self, seq: u64) -> ByteString {
        let mut frame = String::with_capacity(self.head.len() + 20 + self.tail.len());
        frame.push_str(&self.head);
        frame.push_str(itoa::Buffer::new().format(seq));
        frame.push_str(&self.tail);
        ByteString::from(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_the_documented_json_with_its_seq() {
        let ts = DateTime::parse_from_rfc3339("2026-11-26T08:00:00.123Z")
            .unwrap()
            .to_utc();
        let frame = UnsequencedFrame::new(
            &Topic::TenantAnnouncements(3),
            "announcement.created",
            ts,
            &serde_json::json!({"title": "停机\"维护\""}),
        )
        .with_seq(42);
        assert_eq!(
            &*frame,
            r#"{"op":"event","topic":"tenant/3/announcements","seq":42,"kind":"announcement.created","ts":"2026-11-26T08:00:00.123Z","data":{"title":"停机\"维护\""}}"#
        );
        let parsed: Value = serde_json::from_str(&frame).unwrap();
        assert_eq!(parsed["seq"], 42);
    }
}
