//! Draining the channel posts, one pass at a time, as `mail::sender` drains mail: claim the
//! due rows under a lease (on PostgreSQL skipping rows another node is claiming), post each,
//! record the result; a failure waits by the shared backoff and is tried again, forever. Like
//! mail, a post is delivered at least once: a receiver can tell a resend by its
//! `X-Yunguan-Delivery` id.
//!
//! A post is signed when it is sent (DingTalk refuses a signature over an hour old). A
//! receiver has delivered it when it answers 2xx; a robot, when it also answers
//! `{"errcode": 0}` (DingTalk and WeCom answer 200 with an error code for a bad token or
//! signature). Errors are recorded without the address, which holds the robot's token.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, StreamExt};
use reqwest::header::CONTENT_TYPE;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Deserialize;
use yunguan_actors::supervision::Supervisor;

use super::channels::{Target, TARGET_PURPOSE};
use super::messages::ChannelKind;
use super::signing;
use crate::db::entities::{notification_channel, notification_delivery};
use crate::outbox::actor::{self, Drainer};
use crate::outbox::rows::Outbox;
use crate::outbox::{later, next_attempt_after, Drain, Nudge, Pass, RETRY};
use crate::secrets::Sealer;

/// The channel posts' columns.
const OUTBOX: Outbox<notification_delivery::Entity> = Outbox {
    id: notification_delivery::Column::Id,
    delivered_at: notification_delivery::Column::DeliveredAt,
    next_attempt_at: notification_delivery::Column::NextAttemptAt,
    entity: PhantomData,
};

/// Posts claimed per pass.
const BATCH_SIZE: u64 = 100;
/// Posts in flight at once.
const CONCURRENCY: usize = 8;
/// Bounds one post, connection included.
const POST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claim keeps other senders off the claimed rows: room for the whole batch.
const LEASE: Duration = Duration::from_secs(5 * 60);
/// How often the sender looks for due posts (retries) when nothing nudges it.
const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// The most of a receiver's answer read and recorded.
const ANSWER_MAX_CHARS: usize = 300;

pub struct ChannelSender {
    db: DatabaseConnection,
    sealer: Sealer,
    http: reqwest::Client,
}

/// Starts the supervised `channel-sender` actor, woken by `nudge`.
pub fn start(
    supervisor: &Supervisor,
    db: DatabaseConnection,
    sealer: Sealer,
    nudge: &Nudge,
) -> anyhow::Result<Drainer<ChannelSender>> {
    let http = reqwest::Client::builder()
        .timeout(POST_TIMEOUT)
        // A receiver's redirect would carry the signed post elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("yunguan/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client of notification channels")?;
    let sender = ChannelSender { db, sealer, http };
    actor::start(supervisor, "channel-sender", sender, POLL_INTERVAL, nudge)
}

impl Drain for ChannelSender {
    fn drain_once(self: Arc<Self>) -> BoxFuture<'static, anyhow::Result<Pass>> {
        async move { self.send_due_once().await }.boxed()
    }

    fn batch_size(&self) -> u64 {
        BATCH_SIZE
    }
}

/// A robot's answer: `errcode` 0 is success.
#[derive(Deserialize)]
struct RobotAnswer {
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

impl ChannelSender {
    /// Claims the due posts and delivers them; errs only when the database does.
    pub async fn send_due_once(&self) -> anyhow::Result<Pass> {
        let claimed = OUTBOX
            .claim_due(&self.db, LEASE, BATCH_SIZE)
            .await
            .context("claiming due posts")?;
        if claimed.is_empty() {
            return Ok(Pass::default());
        }
        let channel_ids: Vec<i64> = claimed.iter().map(|row| row.channel_id).collect();
        let channels: HashMap<i64, notification_channel::Model> =
            notification_channel::Entity::find()
                .filter(notification_channel::Column::Id.is_in(channel_ids))
                .all(&self.db)
                .await
                .context("reading the channels of due posts")?
                .into_iter()
                .map(|channel| (channel.id, channel))
                .collect();
        // Owned rows, as in `mail::sender`: the future must be `Send` for every lifetime.
        let channels = &channels;
        let posts = futures_util::stream::iter(claimed)
            .map(|row| async move {
                let outcome = self.deliver(&row, channels.get(&row.channel_id)).await;
                (row, outcome)
            })
            .buffer_unordered(CONCURRENCY);
        let mut pass = Pass::default();
        // The posts that end together are marked together, with no wait for the others.
        let mut finished = posts.ready_chunks(CONCURRENCY);
        while let Some(together) = finished.next().await {
            let mut delivered_ids = Vec::new();
            for (row, outcome) in together {
                match outcome {
                    Outcome::Delivered => delivered_ids.push(row.id),
                    Outcome::Held(why) => self.hold(row.id, why).await?,
                    Outcome::Failed(error) => {
                        self.mark_failed(&row, &error).await?;
                        pass.failed += 1;
                        pass.last_error_opt = Some(error);
                    }
                }
            }
            OUTBOX
                .mark_delivered(&self.db, &delivered_ids)
                .await
                .with_context(|| format!("marking posts {delivered_ids:?} delivered"))?;
            pass.sent += delivered_ids.len();
        }
        Ok(pass)
    }

    async fn deliver(
        &self,
        row: &notification_delivery::Model,
        channel_opt: Option<&notification_channel::Model>,
    ) -> Outcome {
        let Some(channel) = channel_opt else {
            return Outcome::Held("the channel is gone");
        };
        if !channel.enabled {
            return Outcome::Held("the channel is disabled");
        }
        let target: Target = match self
            .sealer
            .open_json(TARGET_PURPOSE, &channel.target_sealed)
        {
            Ok(target) => target,
            Err(error) => return Outcome::Failed(format!("{error:#}")),
        };
        let kind = ChannelKind::parse(&channel.kind).unwrap_or(ChannelKind::Webhook);
        match self.post(kind, &target, row).await {
            Ok(()) => Outcome::Delivered,
            Err(error) => Outcome::Failed(error),
        }
    }

    async fn post(
        &self,
        kind: ChannelKind,
        target: &Target,
        row: &notification_delivery::Model,
    ) -> Result<(), String> {
        let now = Utc::now();
        let mut url = reqwest::Url::parse(&target.url).map_err(|e| format!("bad address: {e}"))?;
        let mut request = self
            .http
            .post(url.clone())
            .header(CONTENT_TYPE, "application/json");
        match (kind, &target.secret_opt) {
            (ChannelKind::Webhook, secret_opt) => {
                request = request
                    .header("X-Yunguan-Event", &row.event)
                    .header("X-Yunguan-Delivery", row.id.to_string());
                if let Some(secret) = secret_opt {
                    let timestamp = now.timestamp();
                    request = request
                        .header(signing::WEBHOOK_TIMESTAMP_HEADER, timestamp.to_string())
                        .header(
                            signing::WEBHOOK_SIGNATURE_HEADER,
                            signing::webhook_signature(secret, timestamp, row.body.as_bytes()),
                        );
                }
            }
            (ChannelKind::Dingtalk, Some(secret)) => {
                let timestamp = now.timestamp_millis();
                url.query_pairs_mut()
                    .append_pair("timestamp", &timestamp.to_string())
                    .append_pair("sign", &signing::dingtalk_sign(secret, timestamp));
                request = self.http.post(url).header(CONTENT_TYPE, "application/json");
            }
            (ChannelKind::Dingtalk | ChannelKind::Wecom, _) => {}
        }
        let response = request
            .body(row.body.clone())
            .send()
            .await
            .map_err(|error| format!("{}", error.without_url()))?;
        let status = response.status();
        let answer = response
            .text()
            .await
            .map_err(|error| format!("reading the answer: {}", error.without_url()))?;
        if !status.is_success() {
            return Err(format!("HTTP {status}: {}", cut(&answer)));
        }
        if kind == ChannelKind::Webhook {
            return Ok(());
        }
        match serde_json::from_str::<RobotAnswer>(&answer) {
            Ok(RobotAnswer { errcode: 0, .. }) => Ok(()),
            Ok(RobotAnswer { errcode, errmsg }) => {
                Err(format!("errcode {errcode}: {}", cut(&errmsg)))
            }
            Err(_) => Err(format!("not a robot's answer: {}", cut(&answer))),
        }
    }

    /// Puts a post off without counting an attempt: its channel is off (enabling it makes
    /// the post due at once).
    async fn hold(&self, id: i64, why: &str) -> anyhow::Result<()> {
        notification_delivery::Entity::update_many()
            .col_expr(
                notification_delivery::Column::NextAttemptAt,
                Expr::value(later(Utc::now(), RETRY.max)),
            )
            .col_expr(notification_delivery::Column::LastError, Expr::value(why))
            .filter(notification_delivery::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .with_context(|| format!("holding post {id}"))?;
        Ok(())
    }

    async fn mark_failed(
        &self,
        row: &notification_delivery::Model,
        error: &str,
    ) -> anyhow::Result<()> {
        let attempts = row.attempts.saturating_add(1);
        let next_attempt_at = next_attempt_after(Utc::now(), attempts.unsigned_abs());
        tracing::warn!(
            delivery_id = row.id,
            channel_id = row.channel_id,
            attempts,
            %next_attempt_at,
            error,
            "notification not delivered"
        );
        notification_delivery::Entity::update_many()
            .col_expr(
                notification_delivery::Column::Attempts,
                Expr::value(attempts),
            )
            .col_expr(
                notification_delivery::Column::NextAttemptAt,
                Expr::value(next_attempt_at),
            )
            .col_expr(notification_delivery::Column::LastError, Expr::value(error))
            .filter(notification_delivery::Column::Id.eq(row.id))
            .exec(&self.db)
            .await
            .with_context(|| format!("recording the failure of post {}", row.id))?;
        Ok(())
    }
}

enum Outcome {
    Delivered,
    /// Not tried: the channel is off.
    Held(&'static str),
    Failed(String),
}

fn cut(text: &str) -> String {
    text.chars().take(ANSWER_MAX_CHARS).collect()
}
