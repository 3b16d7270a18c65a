//! One WebSocket connection, from upgrade to close.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use actix_web::web;
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Session};
use bytestring::ByteString;
use tokio::sync::watch;
use tokio::time::Instant;

use super::protocol::{self, ClientMessage, ServerMessage};
use crate::error::ErrorCode;
use crate::hub::topic::may_subscribe;
use crate::hub::{ConnectionPort, Delivery, Hub, Topic};
use crate::identity::sessions::SessionStore;
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
    /// How often the login behind the socket is checked (logout, expiry, a disabled user).
    pub session_check_interval: Duration,
    pub sessions: web::Data<SessionStore>,
    /// Sessions ended since before this connection's login was checked.
    pub endings: tokio::sync::broadcast::Receiver<i64>,
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
        // One timer for the heartbeat (the first ping at once) and the session check: a
        // second would cost every idle connection another boxed sleep.
        let mut due = Due {
            ping: Instant::now(),
            session_check: Instant::now() + self.context.session_check_interval,
        };
        let timer = tokio::time::sleep_until(due.next());
        tokio::pin!(timer);
        let lag = self.port.lag.clone();
        let mut shutdown = self.context.shutdown.clone();
        let mut endings_open = true;
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
                () = &mut timer => {
                    let now = Instant::now();
                    if now >= due.session_check {
                        due.session_check = now + self.context.session_check_interval;
                        if let Some(ending) = self.check_session().await {
                            return ending;
                        }
                    }
                    let sent = if now >= due.ping {
                        if self.last_heard.elapsed() > self.context.idle_timeout {
                            return Ending::Close(CloseReason {
                                code: CloseCode::Policy,
                                description: Some("idle timeout".to_owned()),
                            });
                        }
                        due.ping = now + self.context.heartbeat_interval;
                        self.write(Frame::Ping).await
                    } else {
                        Ok(())
                    };
                    timer.as_mut().reset(due.next());
                    sent
                }
                ended = self.context.endings.recv(), if endings_open => match ended {
                    Ok(session_id) if session_id == self.context.principal.session_id => {
                        return session_ended();
                    }
                    Ok(_) => Ok(()),
                    // Fell behind on endings: ask about its own.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        match self.check_session().await {
                            Some(ending) => return ending,
                            None => Ok(()),
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                        endings_open = false;
                        Ok(())
                    }
                },
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

    /// How the connection ends if the login behind it no longer holds.
    async fn check_session(&self) -> Option<Ending> {
        match Box::pin(
            self.context
                .sessions
                .is_live(self.context.principal.session_id),
        )
        .await
        {
            Ok(true) => None,
            Ok(false) => Some(session_ended()),
            // The database is down: keep serving, check again next time.
            Err(error) => {
                tracing::warn!(%error, "could not check a websocket's session");
                None
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

/// When the connection's timed work is next due.
struct Due {
    /// A ping, after checking that the client was heard within the idle timeout.
    ping: Instant,
    /// Asking whether the login behind the socket still holds.
    session_check: Instant,
}

impl Due {
    fn next(&self) -> Instant {
        self.ping.min(self.session_check)
    }
}

/// Completes when the server shuts down (never if the signal's sender is gone).
async fn shutdown_requested(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
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
