//! Monitoring follows the inventory while it runs. A task hears `inventory.changed` on the
//! `inventory` topic (from any node, through the hub) and, when a write named a kind that
//! monitoring reads, rereads the alarm rules and the [`Plan`] and hands them to
//! [`Monitoring::follow_rules`] and [`Monitoring::follow`], which start, reconfigure or stop
//! only what changed. Writes announced while a reading is out are covered by the next one,
//! so a burst of writes costs a reading or two, not one each. It also rereads on its own
//! every `inventory_recheck_secs` and after falling behind on the topic, so that a change
//! whose announcement was lost (Redis down) is followed all the same.

use std::time::Duration;

use sea_orm::DatabaseConnection;

use super::{alarm_rules, Monitoring, Plan};
use crate::clock::Clock;
use crate::hub::{Delivery, Hub, Topic};
use crate::inventory::announce::InventoryChangedEvent;
use crate::secrets::Sealer;
use crate::settings::CloudSettings;

/// The kinds of objects a plan is read from, and the alarm rules.
const MONITORED_KINDS: &[&str] = &[
    "data_center",
    "device",
    "interface",
    "link",
    "cloud_platform",
    alarm_rules::OBJECT_KIND,
];

/// Where the plan is read from.
pub struct PlanSource {
    pub db: DatabaseConnection,
    pub sealer: Sealer,
    pub cloud: CloudSettings,
}

/// Starts following the inventory on the current actix arbiter.
pub fn start(
    monitoring: Monitoring,
    source: PlanSource,
    hub: Hub,
    clock: Clock,
    recheck: Duration,
) {
    actix::spawn(async move {
        let mut port = hub.connect();
        let mut subscribed = false;
        loop {
            if !subscribed {
                match hub.subscribe(&port.outbox, &Topic::Inventory, None).await {
                    Ok(_) => subscribed = true,
                    Err(error) => {
                        tracing::warn!(%error, "cannot hear inventory changes; rereading it on schedule")
                    }
                }
            }
            let reread = tokio::select! {
                delivery_opt = port.frames.recv() => match delivery_opt {
                    Some(delivery) => concerns_monitoring(&delivery),
                    None => return,
                },
                () = port.lag.raised() => {
                    for topic in port.lag.take() {
                        hub.clear_lag(port.outbox.connection_id(), &topic);
                    }
                    true
                }
                () = clock.sleep(recheck) => true,
            };
            if !reread {
                continue;
            }
            // What was announced meanwhile is in the reading about to be taken.
            while port.frames.try_recv().is_ok() {}
            match alarm_rules::load_rules(&source.db).await {
                Ok(rules) => {
                    if monitoring.follow_rules(rules).await {
                        tracing::info!("monitoring judges by the changed alarm rules");
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot reread the alarm rules"),
            }
            let reading_started = std::time::Instant::now();
            match Plan::read(&source.db, &source.sealer, &source.cloud).await {
                Ok(plan) => {
                    let read_ms = reading_started.elapsed().as_millis();
                    let followed = monitoring.follow(plan).await;
                    if followed != super::Followed::default() {
                        tracing::info!(
                            ?followed,
                            read_ms,
                            followed_ms = reading_started.elapsed().as_millis(),
                            "monitoring follows the inventory"
                        );
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot reread the inventory"),
            }
        }
    });
}

/// Whether an event on `inventory` names a kind monitoring reads (an event that cannot be
/// read counts as one).
fn concerns_monitoring(delivery: &Delivery) -> bool {
    #[derive(serde::Deserialize)]
    struct Frame {
        data: InventoryChangedEvent,
    }
    match serde_json::from_str::<Frame>(&delivery.frame) {
        Ok(frame) => frame.data.concerns(MONITORED_KINDS),
        Err(_) => true,
    }
}
