//! Notification channels: alarms and approval notices posted to webhooks and to DingTalk
//! (钉钉) and WeCom (企业微信) group robots, besides mail.
//!
//! A channel is kept by the bureau or by a tenant and says what it carries; a change that
//! warrants a notice writes one post per channel that carries it, in its own transaction (an
//! outbox, as mail: `crate::outbox`), and the supervised `channel-sender` actor posts them,
//! signed, retrying by the shared backoff.
//!
//! # Layout
//! - [`alarm_route`]: which alarms a channel or a person's mail takes (pure), and checking
//!   a route's places.
//! - [`alarm_mail`]: who of the bureau is mailed which alarms (their role's default, or
//!   the route they chose; audited).
//! - [`channels`]: administering channels (who keeps which, validation, views; audited).
//! - [`dispatch`]: which channels hear of an alarm or an approval, and writing their posts.
//! - [`messages`]: a notice's body for each kind of receiver (pure).
//! - [`signing`]: the webhook's HMAC and DingTalk's signature (pure).
//! - [`sender`]: one pass: claim due posts, sign, post, record.

pub mod alarm_mail;
pub mod alarm_route;
pub mod channels;
pub mod dispatch;
pub mod messages;
pub mod sender;
pub mod signing;
