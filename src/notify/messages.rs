//! What a channel is posted (pure): one [`Notice`], in the body each kind of receiver reads.
//!
//! - webhook: `{"event", "title", "text", "link", "data", "created_at"}`, `data` being the
//!   object the notice is about (an alarm, a ticket's approval);
//! - DingTalk: a `markdown` message (`title`, `text`), as its custom robots take;
//! - WeCom: a `markdown` message (`content`), as its group robots take, within its 4,096
//!   bytes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::mail::templates::RenderedMail;

/// The kinds of receiver a channel posts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// Any HTTP endpoint: JSON, HMAC-signed when the channel has a secret.
    Webhook,
    /// A DingTalk (钉钉) custom robot; signed (加签) when the channel has a secret.
    Dingtalk,
    /// A WeCom (企业微信) group robot.
    Wecom,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Dingtalk => "dingtalk",
            ChannelKind::Wecom => "wecom",
        }
    }

    pub fn parse(name: &str) -> Option<ChannelKind> {
        [
            ChannelKind::Webhook,
            ChannelKind::Dingtalk,
            ChannelKind::Wecom,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }
}

/// What a notice announces; the webhook's `event` and `X-Yunguan-Event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    AlarmRaised,
    /// Nobody acknowledged the alarm in time.
    AlarmEscalated,
    /// A level of approval opened.
    ApprovalRequested,
    ApprovalReminder,
    /// An approval waited past its deadline and moved on.
    ApprovalEscalated,
    /// Sent by an administrator to try the channel.
    Test,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::AlarmRaised => "alarm.raised",
            Event::AlarmEscalated => "alarm.escalated",
            Event::ApprovalRequested => "approval.requested",
            Event::ApprovalReminder => "approval.reminder",
            Event::ApprovalEscalated => "approval.escalated",
            Event::Test => "test",
        }
    }
}

/// One thing to tell a channel.
#[derive(Debug, Clone)]
pub struct Notice {
    pub event: Event,
    pub title: String,
    /// Plain text, lines separated by `\n`.
    pub text: String,
    /// The page it is about.
    pub link: String,
    /// The object it is about, for webhooks.
    pub data: Value,
    pub created_at: DateTime<Utc>,
}

/// WeCom refuses markdown content over 4,096 bytes.
const WECOM_MAX_BYTES: usize = 4096;
/// DingTalk documents no exact limit; long messages are cut well inside what it takes.
const DINGTALK_MAX_CHARS: usize = 4000;

impl Notice {
    /// A notice saying what a mail says: its subject as the title, its text without the
    /// mail's signature ("sent automatically; please do not reply" is for mail readers).
    pub fn from_mail(
        event: Event,
        mail: RenderedMail,
        link: String,
        data: Value,
        created_at: DateTime<Utc>,
    ) -> Notice {
        let text = mail
            .body
            .split("\n\n——\n")
            .next()
            .and_then(|text| text.split("\n\n--\n").next())
            .unwrap_or_default()
            .trim_end()
            .to_owned();
        Notice {
            event,
            title: mail.subject,
            text,
            link,
            data,
            created_at,
        }
    }

    /// The JSON body posted to a channel of `kind`.
    pub fn body(&self, kind: ChannelKind) -> String {
        let value = match kind {
            ChannelKind::Webhook => json!({
                "event": self.event.as_str(),
                "title": self.title,
                "text": self.text,
                "link": self.link,
                "data": self.data,
                "created_at": self.created_at,
            }),
            ChannelKind::Dingtalk => {
                // Markdown line breaks need two spaces before the newline.
                let text = format!("#### {}\n\n{}", self.title, self.text.replace('\n', "  \n"));
                json!({
                    "msgtype": "markdown",
                    "markdown": {
                        "title": self.title,
                        "text": cut_chars(&text, DINGTALK_MAX_CHARS),
                    },
                })
            }
            ChannelKind::Wecom => {
                let content = format!("**{}**\n{}", self.title, self.text);
                json!({
                    "msgtype": "markdown",
                    "markdown": {"content": cut_bytes(&content, WECOM_MAX_BYTES)},
                })
            }
        };
        value.to_string()
    }
}

fn cut_chars(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars.saturating_sub(1)) {
        Some((end, _)) if text[end..].chars().count() > 1 => format!("{}…", &text[..end]),
        _ => text.to_owned(),
    }
}

/// `text` in at most `max_bytes` of UTF-8, cut at a character boundary with an ellipsis.
fn cut_bytes(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_owned();
    }
    let ellipsis = '…';
    let mut end = max_bytes - ellipsis.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ellipsis}", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(text: &str) -> Notice {
        Notice::from_mail(
            Event::AlarmRaised,
            RenderedMail {
                subject: "【告警·严重】core-01：设备不可达".to_owned(),
                body: format!("{text}\n\n查看告警：http://x/#/alarms\n\n——\n云管平台（系统自动发送，请勿直接回复）\n"),
            },
            "http://x/#/alarms".to_owned(),
            json!({"id": 7}),
            DateTime::from_timestamp(1_733_500_000, 0).unwrap(),
        )
    }

    #[test]
    fn a_notice_drops_the_mail_signature_and_keeps_the_link() {
        let notice = notice("设备 core-01 触发告警");
        assert_eq!(
            notice.text,
            "设备 core-01 触发告警\n\n查看告警：http://x/#/alarms"
        );
    }

    #[test]
    fn each_kind_gets_its_own_body() {
        let notice = notice("设备 core-01 触发告警");
        let webhook: Value = serde_json::from_str(&notice.body(ChannelKind::Webhook)).unwrap();
        assert_eq!(webhook["event"], "alarm.raised");
        assert_eq!(webhook["data"]["id"], 7);
        let dingtalk: Value = serde_json::from_str(&notice.body(ChannelKind::Dingtalk)).unwrap();
        assert_eq!(dingtalk["msgtype"], "markdown");
        assert_eq!(dingtalk["markdown"]["title"], notice.title);
        assert!(dingtalk["markdown"]["text"]
            .as_str()
            .unwrap()
            .starts_with("#### 【告警"));
        let wecom: Value = serde_json::from_str(&notice.body(ChannelKind::Wecom)).unwrap();
        assert!(wecom["markdown"]["content"]
            .as_str()
            .unwrap()
            .contains("触发告警"));
    }

    #[test]
    fn long_messages_are_cut_to_what_each_robot_takes_at_a_character() {
        let notice = notice(&"告".repeat(5000));
        let wecom: Value = serde_json::from_str(&notice.body(ChannelKind::Wecom)).unwrap();
        let content = wecom["markdown"]["content"].as_str().unwrap();
        assert!(content.len() <= 4096, "{}", content.len());
        assert!(content.ends_with('…'));
        let dingtalk: Value = serde_json::from_str(&notice.body(ChannelKind::Dingtalk)).unwrap();
        assert_eq!(
            dingtalk["markdown"]["text"]
                .as_str()
                .unwrap()
                .chars()
                .count(),
            4000
        );
    }
}
