//! What the command-center wall reads besides the monitoring aggregates it shares with the
//! ops portal (`/overview`, `/datacenters/{id}/summary`, `/alarms`): the sites and their
//! rooms, one machine room as a scene to draw in 3D, the clouds' capacity and load, and the
//! business (tenants, business systems, tickets). Every answer here is an aggregate or a
//! name: a wall's display key reads these and nothing of a tenant's content.
//!
//! - [`rooms`]: sites and rooms; a room's racks at their grid positions and its devices at
//!   their rack units, with each device's live status, and their active alarms.
//! - [`cloud`]: platforms, clusters, hosts and VMs counted, allocation against capacity,
//!   and the hypervisors' load from the platform actors.
//! - [`business`]: per tenant and business system, what they run and hold; ticket counts.

pub mod business;
pub mod cloud;
pub mod rooms;
