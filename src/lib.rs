//! yunguan (云管): a unified cloud management platform, built as an actor-based real-time
//! control plane. This crate is the server: HTTP API, WebSockets, the event hub, identity
//! and persistence. The actors and their pure state machines live in `yunguan-actors`, the
//! schema in `yunguan-migrations`.
//!
//! # Layout
//! - [`startup`]: builds the [`startup::Application`] (database, Redis, actors, HTTP server).
//! - [`state`]: the [`state::AppState`] every handler shares.
//! - [`settings`]: the typed settings tree. [`telemetry`]: logging. [`metrics`]: Prometheus.
//! - [`error`]: the catalogue of API error codes. [`requests`]: request ids and spans.
//! - [`db`]: connection, migrations and sea-orm entities.
//! - [`identity`]: users, tenants, roles, sessions, and the extractors that enforce them.
//! - [`tenancy`]: the tenant scope every tenant-owned query applies.
//! - [`hub`]: topics, sequence numbers, replay, fan-out, and the Redis bus between nodes.
//! - [`ws`]: the WebSocket protocol and one task per connection.
//! - [`announcements`]: the first event source: stored notices pushed live.
//! - [`catalog`]: the service catalog: item kinds, versioned forms, chains and fulfilment.
//! - [`tickets`]: requests, multi-level approvals, delegations, the ticket engine.
//! - [`quotas`]: tenant quotas and reservations. [`audit`]: the hash-chained audit trail.
//! - [`inventory`]: the CMDB: sites, devices, links, clouds, hosts, VMs, pools, their history,
//!   bulk import, cloud sync ingestion, and what monitoring and placement read from it.
//! - [`fulfilment`]: carrying out approved tickets (provider steps, manual tasks).
//! - [`placement`]: where a ticket's VMs go (the pools open to its tenant, their policies),
//!   and the ledger of placements.
//! - [`cloud`]: cloud platform adapters (OpenStack): inventory sync, utilization, and the
//!   provider fulfilment uses when configured.
//! - [`outbox`]: the drain actors of the transactional outboxes, their nudge and backoff.
//! - [`mail`]: mail texts, the mail outbox and SMTP delivery.
//! - [`notify`]: notification channels: webhooks, DingTalk and WeCom robots.
//! - [`clock`]: the time source of deadlines (system, or tokio's in tests).
//! - [`secrets`]: sealing device and cloud credentials at rest.
//! - [`severity`]: alarm severities by name, for monitoring and notify alike.
//! - [`screen`]: what the command-center wall reads: rooms in 3D, clouds, business.
//! - [`routes`]: HTTP handlers, wire types and the OpenAPI document.
//! - [`cli`] and [`demo`]: the command line and the demo seed.

pub mod announcements;
pub mod audit;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod cloud;
pub mod db;
pub mod demo;
pub mod error;
pub mod fulfilment;
pub mod hub;
pub mod identity;
pub mod inventory;
pub mod mail;
pub mod metrics;
pub mod monitoring;
pub mod notify;
pub mod outbox;
pub mod placement;
pub mod quotas;
pub mod requests;
pub mod routes;
pub mod screen;
pub mod secrets;
pub mod settings;
pub mod severity;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tenancy;
pub mod tickets;
pub mod ws;
