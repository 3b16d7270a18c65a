//! Integration tests: the real application on port 0, a fresh database per test, talked to
//! over HTTP and WebSocket. Every test runs twice: on SQLite with the in-process bus, and on
//! PostgreSQL with Redis (when `TEST_DATABASE_URL` and `TEST_REDIS_URL` are set; required
//! under `CI=true`).

mod helpers;
mod oidc_provider;
mod probe;
mod receiver;
mod slapd;
mod smtp;
mod snmpd;
mod watch;

mod accounts;
mod audit;
mod auth;
mod backup;
mod cloud_adapter;
mod cluster;
mod database;
mod fulfilment;
mod http_errors;
mod inventory_crud;
mod inventory_import;
mod inventory_rack_units;
mod inventory_tenancy;
mod lldp_discovery;
mod logging;
mod mail;
mod maintenance_windows;
mod monitoring_actors;
mod monitoring_api;
mod monitoring_cloud;
mod monitoring_live;
mod monitoring_restart;
mod notification_routes;
mod notifications;
mod openapi;
mod people;
mod placement;
mod portal;
mod route_policies;
mod screen;
mod sla;
mod snmp_agents;
mod snmp_notifications;
mod snmp_poll;
mod sso;
mod tenancy;
mod tickets;
mod vendor_mibs;
mod vm_monitoring;
mod web_assets;
mod websocket;
