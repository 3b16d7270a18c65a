//! The `OverviewActor`: the command center's view of every data center, published to
//! `overview` at most once a second from the data centers' own (already coalesced) updates.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use actix::{Actor, AsyncContext, Context, Handler};
use serde::Serialize;
use utoipa::ToSchema;
use yunguan_actors::supervision::Link;

use super::data_center::{DataCenterGone, DataCenterSummary, DataCenterUpdate};
use crate::hub::{EventData, EventKind, Hub, Topic};

const PUBLISH_INTERVAL: Duration = Duration::from_secs(1);

/// Every data center's latest summary, and the totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct OverviewSummary {
    pub devices: u32,
    pub devices_up: u32,
    pub devices_down: u32,
    pub alarms: BTreeMap<String, u32>,
    pub data_centers: Vec<DataCenterSummary>,
}

impl EventData for OverviewSummary {}

pub struct OverviewActor {
    hub: Hub,
    data_centers: BTreeMap<i64, DataCenterSummary>,
    /// Data centers that left monitoring.
    gone: BTreeSet<i64>,
    dirty: bool,
    link: Link<OverviewSummary>,
}

impl OverviewActor {
    pub fn new(hub: Hub, link: Link<OverviewSummary>) -> OverviewActor {
        OverviewActor {
            hub,
            data_centers: BTreeMap::new(),
            gone: BTreeSet::new(),
            dirty: false,
            link,
        }
    }

    fn summary(&self) -> OverviewSummary {
        let mut summary = OverviewSummary {
            data_centers: self.data_centers.values().cloned().collect(),
            ..OverviewSummary::default()
        };
        for data_center in self.data_centers.values() {
            summary.devices += data_center.devices;
            summary.devices_up += data_center.devices_up;
            summary.devices_down += data_center.devices_down;
            for (severity, count) in &data_center.alarms {
                *summary.alarms.entry(severity.clone()).or_default() += count;
            }
        }
        summary
    }
}

impl Actor for OverviewActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(PUBLISH_INTERVAL, |actor, _ctx| {
            if !actor.dirty {
                return;
            }
            actor.dirty = false;
            let summary = actor.summary();
            actor.link.publish(summary.clone());
            let hub = actor.hub.clone();
            actix::spawn(async move {
                if let Err(error) = hub
                    .publish(&Topic::Overview, EventKind::OverviewSummary, &summary)
                    .await
                {
                    tracing::warn!(%error, "cannot publish the overview");
                }
            });
        });
    }
}

impl Handler<DataCenterUpdate> for OverviewActor {
    type Result = ();

    fn handle(&mut self, update: DataCenterUpdate, _ctx: &mut Context<Self>) {
        if self.gone.contains(&update.0.data_center_id) {
            return;
        }
        self.data_centers.insert(update.0.data_center_id, update.0);
        self.dirty = true;
    }
}

impl Handler<DataCenterGone> for OverviewActor {
    type Result = ();

    fn handle(&mut self, DataCenterGone(data_center_id): DataCenterGone, _ctx: &mut Context<Self>) {
        self.gone.insert(data_center_id);
        if self.data_centers.remove(&data_center_id).is_some() {
            self.dirty = true;
        }
    }
}
