//! The WebSocket wire messages other than event frames (those are built in `hub::frame`).

use bytestring::ByteString;
use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;

/// A message from the client.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    Subscribe {
        topic: String,
        /// The last sequence number the client saw on this topic.
        since: Option<u64>,
    },
    Unsubscribe {
        topic: String,
    },
    Ping,
}

/// A message from the server.
#[derive(Debug, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ServerMessage<'a> {
    Subscribed {
        topic: &'a str,
        seq: u64,
    },
    Unsubscribed {
        topic: &'a str,
    },
    Resync {
        topic: &'a str,
    },
    Error {
        code: &'static str,
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        topic: Option<&'a str>,
    },
    Pong,
}

impl ServerMessage<'_> {
    pub fn to_frame(&self) -> ByteString {
        // Serializing these plain structs cannot fail.
        ByteString::from(serde_json::to_string(self).unwrap_or_default())
    }

    pub fn error(code: ErrorCode, message: &str, topic: Option<&str>) -> ByteString {
        ServerMessage::Error {
            code: code.as_str(),
            message,
            topic,
        }
        .to_frame()
    }
}

/// Parses a text frame; the error is the message to send back with `bad_message`.
pub fn parse(text: &str) -> Result<ClientMessage, String> {
    serde_json::from_str(text).map_err(|err| format!("could not read the message: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages() {
        assert_eq!(
            parse(r#"{"op":"subscribe","topic":"announcements","since":3}"#),
            Ok(ClientMessage::Subscribe {
                topic: "announcements".into(),
                since: Some(3)
            })
        );
        assert_eq!(
            parse(r#"{"op":"subscribe","topic":"overview"}"#),
            Ok(ClientMessage::Subscribe {
                topic: "overview".into(),
                since: None
            })
        );
        assert_eq!(parse(r#"{"op":"ping"}"#), Ok(ClientMessage::Ping));
        for bad in [
            "",
            "null",
            "[]",
            "{}",
            r#"{"op":"dance"}"#,
            r#"{"op":"subscribe"}"#,
            r#"{"op":"subscribe","topic":7}"#,
            r#"{"op":"subscribe","topic":"a","since":-1}"#,
            r#"{"op":"subscribe","topic":"a","extra":1}"#,
            "{\"op\":\"ping\"",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn server_messages() {
        assert_eq!(
            &*ServerMessage::Subscribed {
                topic: "announcements",
                seq: 4
            }
            .to_frame(),
            r#"{"op":"subscribed","topic":"announcements","seq":4}"#
        );
        assert_eq!(
            &*ServerMessage::error(ErrorCode::ForbiddenTopic, "no", Some("overview")),
            r#"{"op":"error","code":"forbidden_topic","message":"no","topic":"overview"}"#
        );
        assert_eq!(
            &*ServerMessage::error(ErrorCode::BadMessage, "no", None),
            r#"{"op":"error","code":"bad_message","message":"no"}"#
        );
        assert_eq!(&*ServerMessage::Pong.to_frame(), r#"{"op":"pong"}"#);
    }
}
