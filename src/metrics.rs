//! Prometheus metrics: one registry per application, the counters the hub and the sockets
//! update, request latency recorded by middleware, and actor restarts read at scrape time.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use yunguan_actors::supervision::ActorRegistry;

pub struct Metrics {
    registry: Registry,
    pub ws_connections: IntGauge,
    pub events_published: IntCounter,
    pub events_delivered: IntCounter,
    pub queue_overflows: IntCounter,
    pub resyncs: IntCounter,
    pub ws_errors: IntCounterVec,
    http_request_seconds: HistogramVec,
    /// Device polls that ended, failed, the varbinds they read, and polls that started more
    /// than half an interval late (a missed cycle: the poller is not keeping up).
    pub snmp_polls: IntCounter,
    pub snmp_poll_failures: IntCounter,
    pub snmp_varbinds: IntCounter,
    pub snmp_missed_cycles: IntCounter,
    pub snmp_traps: IntCounter,
    actor_restarts: IntCounterVec,
    actor_panics: IntCounterVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new_custom(Some("yunguan".to_owned()), None)
            .expect("a constant prefix is valid");
        let metrics = Metrics {
            ws_connections: IntGauge::new("ws_connections", "open WebSocket connections")
                .expect("valid metric"),
            events_published: IntCounter::new(
                "events_published_total",
                "events published by this node",
            )
            .expect("valid metric"),
            events_delivered: IntCounter::new(
                "events_delivered_total",
                "event frames queued to this node's WebSocket connections",
            )
            .expect("valid metric"),
            queue_overflows: IntCounter::new(
                "ws_queue_overflows_total",
                "events dropped because a connection's queue was full (it is sent resync)",
            )
            .expect("valid metric"),
            resyncs: IntCounter::new("ws_resyncs_total", "resync messages sent to clients")
                .expect("valid metric"),
            ws_errors: IntCounterVec::new(
                Opts::new(
                    "ws_errors_total",
                    "error messages sent to WebSocket clients",
                ),
                &["code"],
            )
            .expect("valid metric"),
            http_request_seconds: HistogramVec::new(
                HistogramOpts::new("http_request_duration_seconds", "HTTP request latency")
                    .buckets(vec![
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                    ]),
                &["method", "route", "status"],
            )
            .expect("valid metric"),
            snmp_polls: IntCounter::new("snmp_polls_total", "device polls that ended")
                .expect("valid metric"),
            snmp_poll_failures: IntCounter::new(
                "snmp_poll_failures_total",
                "device polls that failed (timeouts, errors)",
            )
            .expect("valid metric"),
            snmp_varbinds: IntCounter::new("snmp_varbinds_total", "varbinds read by polls")
                .expect("valid metric"),
            snmp_missed_cycles: IntCounter::new(
                "snmp_missed_cycles_total",
                "polls that started more than half an interval after they were due",
            )
            .expect("valid metric"),
            snmp_traps: IntCounter::new("snmp_traps_total", "SNMP traps routed to a device")
                .expect("valid metric"),
            actor_restarts: IntCounterVec::new(
                Opts::new("actor_restarts_total", "supervised actor restarts"),
                &["actor"],
            )
            .expect("valid metric"),
            actor_panics: IntCounterVec::new(
                Opts::new("actor_panics_total", "supervised actor panics"),
                &["actor"],
            )
            .expect("valid metric"),
            registry,
        };
        let collectors: [Box<dyn prometheus::core::Collector>; 14] = [
            Box::new(metrics.snmp_polls.clone()),
            Box::new(metrics.snmp_poll_failures.clone()),
            Box::new(metrics.snmp_varbinds.clone()),
            Box::new(metrics.snmp_missed_cycles.clone()),
            Box::new(metrics.snmp_traps.clone()),
            Box::new(metrics.ws_connections.clone()),
            Box::new(metrics.events_published.clone()),
            Box::new(metrics.events_delivered.clone()),
            Box::new(metrics.queue_overflows.clone()),
            Box::new(metrics.resyncs.clone()),
            Box::new(metrics.ws_errors.clone()),
            Box::new(metrics.http_request_seconds.clone()),
            Box::new(metrics.actor_restarts.clone()),
            Box::new(metrics.actor_panics.clone()),
        ];
        for collector in collectors {
            metrics
                .registry
                .register(collector)
                .expect("metric names are unique");
        }
        metrics
    }

    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.http_request_seconds
            .with_label_values(&[method, route, &status.to_string()])
            .observe(seconds);
    }

    /// The Prometheus text exposition, with actor counters read from `actors` now.
    pub fn render(&self, actors: &ActorRegistry) -> String {
        for actor in actors.snapshots() {
            let restarts = self.actor_restarts.with_label_values(&[&actor.name]);
            restarts.inc_by(actor.restarts.saturating_sub(restarts.get()));
            let panics = self.actor_panics.with_label_values(&[&actor.name]);
            panics.inc_by(actor.panics.saturating_sub(panics.get()));
        }
        let mut buffer = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::error!(%error, "encoding metrics failed");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}

/// Middleware: records each request's latency by method, route pattern and status.
pub async fn record_latency(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().to_string();
    let response = next.call(req).await?;
    if let Some(metrics) = metrics {
        // Unmatched paths share one label so that scanners cannot grow the label set.
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        metrics.observe_request(
            &method,
            &route,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}
