//! One WebSocket connection, from upgrade to close.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Session};
use bytestring::ByteString;
use tokio::sync::watch;
use tokio::time::Instant;

use super::logins::LoginWatch;
use super::protocol::{self, ClientMessage, ServerMessage};
use super::shutdown_requested;
use crate::error::ErrorCode;
use crate::hub::topic::may_subscribe;
use crate::hub::{ConnectionPort, Delivery, Hub, Topic};
use crate::identity::Principal;
use crate::metrics::Metrics;

/// What a connection needs besides its socket.
pub struct SessionContext {
    pub hub: Hub,
    pub metrics: Arc<Metrics>,
    pub principal: Principal,
    pub heartbeat_interval: Duration,
    pub idle_timeout: Duration,
    /// A write the client does not take within this long closes the connection.
    pub write_timeout: Duration,
    /// The login behind the socket: when it ends (logout, expiry, a disabled user), the
    /// socket closes.
    pub login: LoginWatch,
    pub max_subscriptions: usize,
    /// Turns true when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
}

/// Why the loop ended, and what to tell the client.
enum Ending {
    /// The client closed or vanished: nothing left to tell it.
    Gone,
    Close(CloseReason),
}

/// Why a write failed.
enum WriteFailed {
    /// The socket is closed.
    Gone,
    /// The client stopped reading: its socket has not taken a frame within the write timeout.
    Stalled,
}

impl From<WriteFailed> for Ending {
    fn from(failure: WriteFailed) -> Ending {
        match failure {
            WriteFailed::Gone => Ending::Gone,
            WriteFailed::Stalled => Ending::Close(CloseReason {
                code: CloseCode::Policy,
                description: Some("slow consumer: writes stalled".to_owned()),
            }),
        }
    }
}

type Written = Result<(), WriteFailed>;

fn session_ended() -> Ending {
    Ending::Close(CloseReason {
        code: CloseCode::Policy,
        description: Some("session ended".to_owned()),
    })
}

/// How long the closing handshake may take before the connection is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

struct Connection {
    context: SessionContext,
    socket: Session,
    port: ConnectionPort,
    /// Subscribed topics and the newest sequence number sent on each: a queued frame for a
    /// topic no longer subscribed, or not newer, is dropped.
    topics: HashMap<Topic, u64>,
    last_heard: Instant,
}

/// Runs the connection until it closes; always unsubscribes everything at the end. Its logs
/// are in the upgrade request's span, which names the user and the tenant.
pub async fn run(context: SessionContext, socket: Session, mut messages: AggregatedMessageStream) {
    let port = context.hub.connect();
    context.metrics.ws_connections.inc();
    let mut connection = Connection {
        context,
        socket,
        port,
        topics: HashMap::new(),
        last_heard: Instant::now(),
    };
    let ending = connection.serve(&mut messages).await;
    let Connection {
        context,
        socket,
        port,
        topics,
        ..
    } = connection;
    context
        .hub
        .disconnect(port.outbox.connection_id(), topics.keys());
    context.metrics.ws_connections.dec();
    if let Ending::Close(reason) = ending {
        tracing::debug!(?reason, "closing websocket");
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.close(Some(reason))).await;
    }
}

impl Connection {
    async fn serve(&mut self, messages: &mut AggregatedMessageStream) -> Ending {
        // The first ping at once.
        let heartbeat = tokio::time::sleep_until(Instant::now());
        tokio::pin!(heartbeat);
        let lag = self.port.lag.clone();
        let mut shutdown = self.context.shutdown.clone();
        // Biased, in this order, so that a busy queue never starves shutdown, heartbeats,
        // client messages or lag handling.
        loop {
            let sent = tokio::select! {
                biased;
                _ = shutdown_requested(&mut shutdown) => {
                    return Ending::Close(CloseReason {
                        code: CloseCode::Away,
                        description: Some("server shutting down".to_owned()),
                    });
                }
                () = self.context.login.ended() => return session_ended(),
                () = &mut heartbeat => {
                    if self.last_heard.elapsed() > self.context.idle_timeout {
                        return Ending::Close(CloseReason {
                            code: CloseCode::Policy,
                            description: Some("idle timeout".to_owned()),
                        });
                    }
                    heartbeat
                        .as_mut()
                        .reset(Instant::now() + self.context.heartbeat_interval);
                    self.write(Frame::Ping).await
                }
                message = messages.recv() => match message {
                    None => return Ending::Gone,
                    Some(Err(error)) => {
                        tracing::debug!(%error, "websocket protocol error");
                        let code = match error {
                            actix_ws::ProtocolError::Overflow => CloseCode::Size,
                            _ => CloseCode::Protocol,
                        };
                        return Ending::Close(CloseReason { code, description: Some(error.to_string()) });
                    }
                    Some(Ok(message)) => {
                        self.last_heard = Instant::now();
                        // Boxed: handling a client message (a subscription may query Redis)
                        // is rare and its future large; unboxed it would sit in every idle
                        // connection's task.
                        match Box::pin(self.on_message(message)).await {
                            Ok(()) => Ok(()),
                            Err(ending) => return ending,
                        }
                    }
                },
                _ = lag.raised() => Box::pin(self.send_resyncs()).await,
                frame = self.port.frames.recv() => match frame {
                    Some(delivery) => self.send_delivery(delivery).await,
                    None => Ok(()),
                },
            };
            if let Err(failure) = sent {
                return failure.into();
            }
        }
    }

    async fn on_message(&mut self, message: AggregatedMessage) -> Result<(), Ending> {
        let sent = match message {
            AggregatedMessage::Text(text) => self.on_text(&text).await,
            AggregatedMessage::Binary(_) => {
                self.send_error(
                    ErrorCode::BadMessage,
                    "binary frames are not supported; send JSON text",
                    None,
                )
                .await
            }
            AggregatedMessage::Ping(bytes) => self.write(Frame::Pong(&bytes)).await,
            AggregatedMessage::Pong(_) => Ok(()),
            AggregatedMessage::Close(reason) => {
                return Err(Ending::Close(reason.unwrap_or(CloseReason {
                    code: CloseCode::Normal,
                    description: None,
                })))
            }
        };
        sent.map_err(Ending::from)
    }

    async fn on_text(&mut self, text: &str) -> Written {
        let message = match protocol::parse(text) {
            Ok(message) => message,
            Err(reason) => return self.send_error(ErrorCode::BadMessage, &reason, None).await,
        };
        match message {
            ClientMessage::Ping => self.send(ServerMessage::Pong.to_frame()).await,
            ClientMessage::Subscribe { topic, since } => self.subscribe(&topic, since).await,
            ClientMessage::Unsubscribe { topic: name } => {
                let Ok(topic) = Topic::parse(&name) else {
                    return self
                        .send_error(ErrorCode::InvalidTopic, "unknown topic", Some(&name))
                        .await;
                };
                self.context
                    .hub
                    .unsubscribe(self.port.outbox.connection_id(), &topic);
                self.topics.remove(&topic);
                self.send(ServerMessage::Unsubscribed { topic: &name }.to_frame())
                    .await
            }
        }
    }

    async fn subscribe(&mut self, name: &str, since_opt: Option<u64>) -> Written {
        let topic = match Topic::parse(name) {
            Ok(topic) => topic,
            Err(reason) => {
                return self
                    .send_error(ErrorCode::InvalidTopic, &reason, Some(name))
                    .await
            }
        };
        if !may_subscribe(&self.context.principal, &topic) {
            tracing::info!(topic = %topic, role = %self.context.principal.role, "subscription refused");
            return self
                .send_error(
                    ErrorCode::ForbiddenTopic,
                    "you may not subscribe to this topic",
                    Some(name),
                )
                .await;
        }
        if !self.topics.contains_key(&topic) && self.topics.len() >= self.context.max_subscriptions
        {
            return self
                .send_error(
                    ErrorCode::TooManySubscriptions,
                    "unsubscribe from a topic first",
                    Some(name),
                )
                .await;
        }
        let subscribed = match self
            .context
            .hub
            .subscribe(&self.port.outbox, &topic, since_opt)
            .await
        {
            Ok(subscribed) => subscribed,
            Err(error) => {
                tracing::error!(error = ?error, topic = %topic, "subscription failed");
                return self
                    .send_error(
                        ErrorCode::ServiceUnavailable,
                        "the event bus is unavailable; retry",
                        Some(name),
                    )
                    .await;
            }
        };
        self.topics.insert(topic, subscribed.seq);
        self.send(
            ServerMessage::Subscribed {
                topic: name,
                seq: subscribed.seq,
            }
            .to_frame(),
        )
        .await?;
        for (_, frame) in subscribed.missed {
            self.send(frame).await?;
        }
        if subscribed.resync {
            self.send(ServerMessage::Resync { topic: name }.to_frame())
                .await?;
        }
        Ok(())
    }

    /// Sends what was queued before the lag, then `resync` for each lagging topic; events
    /// queued after [`Hub::clear_lag`] follow the resync.
    async fn send_resyncs(&mut self) -> Written {
        while let Ok(delivery) = self.port.frames.try_recv() {
            self.send_delivery(delivery).await?;
        }
        for topic in self.port.lag.take() {
            if !self.topics.contains_key(&topic) {
                continue;
            }
            self.context
                .hub
                .clear_lag(self.port.outbox.connection_id(), &topic);
            let name = topic.to_string();
            self.send(ServerMessage::Resync { topic: &name }.to_frame())
                .await?;
        }
        Ok(())
    }

    async fn send_delivery(&mut self, delivery: Delivery) -> Written {
        match self.topics.get_mut(&delivery.topic) {
            Some(_) if delivery.telemetry => self.send(delivery.frame.clone()).await,
            Some(last_sent) if delivery.seq > *last_sent => {
                *last_sent = delivery.seq;
                self.send(delivery.frame.clone()).await
            }
            _ => Ok(()),
        }
    }

    async fn send_error(&mut self, code: ErrorCode, message: &str, topic: Option<&str>) -> Written {
        self.context
            .metrics
            .ws_errors
            .with_label_values(&[code.as_str()])
            .inc();
        let frame: ByteString = ServerMessage::error(code, message, topic);
        self.send(frame).await
    }
}

/// A frame to write, for [`Connection::write`].
enum Frame<'a> {
    Text(ByteString),
    Ping,
    Pong(&'a [u8]),
}

impl Connection {
    async fn send(&mut self, text: ByteString) -> Written {
        self.write(Frame::Text(text)).await
    }

    /// Every write goes through here, bounded by the write timeout, so that a client that
    /// stops reading cannot hold its connection task (and its heartbeats) forever.
    async fn write(&mut self, frame: Frame<'_>) -> Written {
        let socket = &mut self.socket;
        let writing = async move {
            match frame {
                Frame::Text(text) => socket.text(text).await,
                Frame::Ping => socket.ping(b"").await,
                Frame::Pong(bytes) => socket.pong(bytes).await,
            }
        };
        // Nearly every write completes at once; only one that must wait arms a timer, which
        // keeps 10,000 timer registrations per event out of the fan-out.
        let mut writing = std::pin::pin!(writing);
        let first = std::future::poll_fn(|cx| Poll::Ready(writing.as_mut().poll(cx))).await;
        let written = match first {
            Poll::Ready(written) => Ok(written),
            Poll::Pending => tokio::time::timeout(self.context.write_timeout, writing).await,
        };
        match written {
            Ok(Ok(())) => Ok(()),
            Ok(Err(actix_ws::Closed)) => Err(WriteFailed::Gone),
            Err(_elapsed) => {
                tracing::info!("closing a websocket whose client stopped reading");
                Err(WriteFailed::Stalled)
            }
        }
    }
}
