//! The catalogue of event kinds: every event the hub carries is one [`EventKind`], with its
//! wire name, the topic families it is published on, what it means, and the OpenAPI schema
//! of its `data`. Publishers name a kind from here, so none can invent one; the OpenAPI
//! document (`x-yunguan-events`, from which the front end generates its event types) and the
//! table of kinds in `docs/websocket.md` are rendered from it.
//!
//! It leaves the data types to the sources whose events carry them (`AnnouncementView`,
//! `TicketView`, `AlarmView`, ...); each implements [`EventData`], and `Hub::publish` checks
//! in debug builds that a kind goes out with its own data type and on one of its topics.

use serde::Serialize;
use utoipa::ToSchema;

/// A type that is the `data` of some event kind: serialized as it is, and documented as an
/// OpenAPI component schema of the same name.
pub trait EventData: Serialize + ToSchema {}

/// What an event is. The wire name, topics, description and data schema of each are below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    AnnouncementCreated,
    TicketChanged,
    TicketMoved,
    TicketProgress,
    ApprovalPending,
    ApprovalClosed,
    ApprovalReminder,
    ApprovalEscalated,
    TaskAssigned,
    DeviceSample,
    DeviceState,
    DataCenterSummary,
    OverviewSummary,
    LinkState,
    LinkUtilization,
    AlarmRaised,
    AlarmAcknowledged,
    AlarmCleared,
    AlarmUpdated,
    AlarmEscalated,
    PlatformSynced,
    PlatformSyncFailed,
    VmUtilization,
    LinkProposalsChanged,
    InventoryChanged,
}

/// Where alarms are published.
const ALARM_TOPICS: &[&str] = &["device/{id}", "dc/{id}", "overview"];

impl EventKind {
    /// Every kind, in the order the documents list them.
    pub const ALL: [EventKind; 25] = [
        EventKind::AnnouncementCreated,
        EventKind::TicketChanged,
        EventKind::TicketMoved,
        EventKind::TicketProgress,
        EventKind::ApprovalPending,
        EventKind::ApprovalClosed,
        EventKind::ApprovalReminder,
        EventKind::ApprovalEscalated,
        EventKind::TaskAssigned,
        EventKind::DeviceSample,
        EventKind::DeviceState,
        EventKind::DataCenterSummary,
        EventKind::OverviewSummary,
        EventKind::LinkState,
        EventKind::LinkUtilization,
        EventKind::AlarmRaised,
        EventKind::AlarmAcknowledged,
        EventKind::AlarmCleared,
        EventKind::AlarmUpdated,
        EventKind::AlarmEscalated,
        EventKind::PlatformSynced,
        EventKind::PlatformSyncFailed,
        EventKind::VmUtilization,
        EventKind::LinkProposalsChanged,
        EventKind::InventoryChanged,
    ];

    /// The `kind` of the event frame.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::AnnouncementCreated => "announcement.created",
            EventKind::TicketChanged => "ticket.changed",
            EventKind::TicketMoved => "ticket.moved",
            EventKind::TicketProgress => "ticket.progress",
            EventKind::ApprovalPending => "approval.pending",
            EventKind::ApprovalClosed => "approval.closed",
            EventKind::ApprovalReminder => "approval.reminder",
            EventKind::ApprovalEscalated => "approval.escalated",
            EventKind::TaskAssigned => "task.assigned",
            EventKind::DeviceSample => "device.sample",
            EventKind::DeviceState => "device.state",
            EventKind::DataCenterSummary => "dc.summary",
            EventKind::OverviewSummary => "overview.summary",
            EventKind::LinkState => "link.state",
            EventKind::LinkUtilization => "link.utilization",
            EventKind::AlarmRaised => "alarm.raised",
            EventKind::AlarmAcknowledged => "alarm.acknowledged",
            EventKind::AlarmCleared => "alarm.cleared",
            EventKind::AlarmUpdated => "alarm.updated",
            EventKind::AlarmEscalated => "alarm.escalated",
            EventKind::PlatformSynced => "platform.synced",
            EventKind::PlatformSyncFailed => "platform.sync_failed",
            EventKind::VmUtilization => "vm.utilization",
            EventKind::LinkProposalsChanged => "link_proposals.changed",
            EventKind::InventoryChanged => "inventory.changed",
        }
    }

    /// Whether it is telemetry: a subject's latest values, superseded by the next, sent
    /// only to current subscribers and never replayed (`Hub::publish_telemetry`).
    pub fn is_telemetry(self) -> bool {
        matches!(
            self,
            EventKind::DeviceSample | EventKind::LinkUtilization | EventKind::VmUtilization
        )
    }

    /// The topic families it is published on, as `Topic::family` names them.
    pub fn topics(self) -> &'static [&'static str] {
        match self {
            EventKind::AnnouncementCreated => &["announcements", "tenant/{id}/announcements"],
            EventKind::TicketChanged => &[
                "tenant/{id}/tickets",
                "tenant/{id}/tickets/{ticket}",
                "user/{id}/inbox",
            ],
            EventKind::TicketProgress => &["tenant/{id}/tickets/{ticket}"],
            EventKind::ApprovalPending
            | EventKind::ApprovalClosed
            | EventKind::ApprovalReminder
            | EventKind::ApprovalEscalated
            | EventKind::TaskAssigned => &["user/{id}/inbox"],
            EventKind::DeviceSample => &["device/{id}"],
            EventKind::DeviceState => &["device/{id}", "dc/{id}"],
            EventKind::DataCenterSummary
            | EventKind::LinkUtilization
            | EventKind::PlatformSynced
            | EventKind::PlatformSyncFailed
            | EventKind::LinkProposalsChanged => &["dc/{id}"],
            EventKind::VmUtilization => &["dc/{id}", "tenant/{id}/vms"],
            EventKind::OverviewSummary | EventKind::TicketMoved => &["overview"],
            EventKind::LinkState => &["dc/{id}", "overview"],
            EventKind::AlarmRaised
            | EventKind::AlarmAcknowledged
            | EventKind::AlarmCleared
            | EventKind::AlarmUpdated
            | EventKind::AlarmEscalated => ALARM_TOPICS,
            EventKind::InventoryChanged => &["inventory"],
        }
    }

    /// When it is published, in one line.
    pub fn description(self) -> &'static str {
        match self {
            EventKind::AnnouncementCreated => {
                "an announcement was posted, to everyone or to one tenant; the same `seq` is in the answer to `POST /api/v1/announcements`"
            }
            EventKind::TicketChanged => {
                "a ticket changed (every committed change): to its tenant, its own topic and its requester"
            }
            EventKind::TicketMoved => {
                "a ticket changed (every committed change), told without its content: the command center's counts move"
            }
            EventKind::TicketProgress => "a fulfilment step of the ticket made progress",
            EventKind::ApprovalPending => {
                "an approval level opened for the reader, or for the approver they are a delegate of (`acting_for`)"
            }
            EventKind::ApprovalClosed => {
                "the reader's approval slot was decided or closed (`approved`, `rejected` or `cancelled`)"
            }
            EventKind::ApprovalReminder => {
                "the level the reader must approve passed its SLA"
            }
            EventKind::ApprovalEscalated => {
                "a level passed twice its SLA and is escalated to the reader"
            }
            EventKind::TaskAssigned => {
                "a manual task was opened for the reader's role"
            }
            EventKind::DeviceSample => {
                "a poll succeeded: the device's new values (telemetry: to current subscribers only, with the topic's latest `seq`, never replayed)"
            }
            EventKind::DeviceState => {
                "a poll or a trap showed a change: reachable, unreachable, an interface up or down, a restart"
            }
            EventKind::DataCenterSummary => {
                "the data center's aggregates changed (at most once a second)"
            }
            EventKind::OverviewSummary => {
                "any data center's aggregates changed (at most once a second)"
            }
            EventKind::LinkState => {
                "an interface at either end of a link went up or down"
            }
            EventKind::LinkUtilization => {
                "every 5 s at most: the links whose utilization moved by a percentage point or more, or became known or unknown, since the last one (every link in the first) (telemetry: to current subscribers only, with the topic's latest `seq`, never replayed)"
            }
            EventKind::AlarmRaised => "an alarm was raised and recorded",
            EventKind::AlarmAcknowledged => "an operator acknowledged the alarm",
            EventKind::AlarmCleared => {
                "the alarm cleared: its condition ended or an operator cleared it"
            }
            EventKind::AlarmUpdated => {
                "the alarm's root cause changed (it became, or stopped being, a symptom of another device's failure)"
            }
            EventKind::AlarmEscalated => {
                "nobody acknowledged the major or critical alarm in time; its managers were mailed"
            }
            EventKind::PlatformSynced => {
                "a cloud platform of the data center was synced into the CMDB"
            }
            EventKind::PlatformSyncFailed => {
                "a cloud platform's sync started failing (said once, not at every retry)"
            }
            EventKind::VmUtilization => {
                "a poll of a cloud platform's VMs (every `monitoring.vm_poll_secs`): CPU, memory, disk and network of each, the reader's own on a tenant's topic (telemetry: to current subscribers only, with the topic's latest `seq`, never replayed)"
            }
            EventKind::LinkProposalsChanged => {
                "LLDP proposed or withdrew links of the data center, or someone accepted or dismissed a proposal: reread the open proposals"
            }
            EventKind::InventoryChanged => {
                "someone's write to the CMDB or to the alarm rules committed (one object, or an import): reread what it names; monitoring follows it at once"
            }
        }
    }

    /// The name of the OpenAPI component schema of its `data` (the Rust type's name).
    pub fn data_schema(self) -> &'static str {
        match self {
            EventKind::AnnouncementCreated => "AnnouncementView",
            EventKind::TicketChanged => "TicketView",
            EventKind::TicketMoved => "TicketMovedEvent",
            EventKind::TicketProgress => "TicketProgressEvent",
            EventKind::ApprovalPending => "InboxItem",
            EventKind::ApprovalClosed => "ApprovalView",
            EventKind::ApprovalReminder | EventKind::ApprovalEscalated => "ApprovalOverdueEvent",
            EventKind::TaskAssigned => "TaskAssignedEvent",
            EventKind::DeviceSample => "DeviceSampleEvent",
            EventKind::DeviceState => "DeviceStateEvent",
            EventKind::DataCenterSummary => "DataCenterSummary",
            EventKind::OverviewSummary => "OverviewSummary",
            EventKind::LinkState => "LinkStateEvent",
            EventKind::LinkUtilization => "LinkUtilizationEvent",
            EventKind::AlarmRaised
            | EventKind::AlarmAcknowledged
            | EventKind::AlarmCleared
            | EventKind::AlarmUpdated
            | EventKind::AlarmEscalated => "AlarmView",
            EventKind::PlatformSynced => "PlatformSyncedEvent",
            EventKind::PlatformSyncFailed => "PlatformSyncFailedEvent",
            EventKind::VmUtilization => "VmUtilizationEvent",
            EventKind::LinkProposalsChanged => "LinkProposalsChangedEvent",
            EventKind::InventoryChanged => "InventoryChangedEvent",
        }
    }

    /// The markdown table of every kind in `docs/websocket.md`; `fields_of` names the
    /// properties of a component schema.
    pub fn markdown_table(fields_of: impl Fn(&str) -> Vec<String>) -> String {
        let mut table = String::from("| Kind | Topics | When | `data` |\n|---|---|---|---|\n");
        let mut described: Vec<&str> = Vec::new();
        for kind in EventKind::ALL {
            let topics: Vec<String> = kind
                .topics()
                .iter()
                .map(|topic| format!("`{topic}`"))
                .collect();
            let data = if described.contains(&kind.data_schema()) {
                format!("`{}`, as above", kind.data_schema())
            } else {
                described.push(kind.data_schema());
                let fields: Vec<String> = fields_of(kind.data_schema())
                    .iter()
                    .map(|field| format!("`{field}`"))
                    .collect();
                format!("`{}`: {}", kind.data_schema(), fields.join(", "))
            };
            table.push_str(&format!(
                "| `{}` | {} | {} | {data} |\n",
                kind.name(),
                topics.join(", "),
                kind.description(),
            ));
        }
        table
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use utoipa::openapi::{RefOr, Schema};

    use super::*;
    use crate::hub::Topic;

    const BEGIN: &str = "<!-- event-kinds:begin -->\n";
    const END: &str = "<!-- event-kinds:end -->";

    #[test]
    fn names_are_unique_and_topics_are_real_families() {
        let names: HashSet<&str> = EventKind::ALL.iter().map(|kind| kind.name()).collect();
        assert_eq!(names.len(), EventKind::ALL.len());
        for kind in EventKind::ALL {
            assert!(!kind.topics().is_empty(), "{kind:?} has no topic");
            for family in kind.topics() {
                assert!(
                    Topic::FAMILIES.contains(family),
                    "{kind:?}: {family} is not a topic family"
                );
            }
        }
    }

    #[test]
    fn every_data_schema_is_a_component_of_the_openapi_document() {
        let document = crate::routes::document();
        let schemas = &document.components.expect("components").schemas;
        for kind in EventKind::ALL {
            assert!(
                schemas.contains_key(kind.data_schema()),
                "{}'s data {} is not in the OpenAPI components",
                kind.name(),
                kind.data_schema()
            );
        }
    }

    /// Renders the table of kinds and compares it with `docs/websocket.md`; with
    /// `UPDATE_DOCS=1` it rewrites that part of the file instead.
    #[test]
    fn the_websocket_document_lists_every_kind() {
        let document = crate::routes::document();
        let schemas = document.components.expect("components").schemas;
        let table = EventKind::markdown_table(|name| match schemas.get(name) {
            Some(RefOr::T(Schema::Object(object))) => object.properties.keys().cloned().collect(),
            _ => Vec::new(),
        });
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/websocket.md");
        let text = std::fs::read_to_string(path).expect("docs/websocket.md");
        let start = text.find(BEGIN).expect("the begin marker") + BEGIN.len();
        let end = text.find(END).expect("the end marker");
        if text[start..end] == table {
            return;
        }
        if std::env::var("UPDATE_DOCS").is_ok_and(|value| value == "1") {
            let updated = format!("{}{table}{}", &text[..start], &text[end..]);
            std::fs::write(path, updated).expect("writing docs/websocket.md");
        } else {
            panic!(
                "docs/websocket.md lists other event kinds than the catalogue: run `UPDATE_DOCS=1 cargo test --lib events` and commit the file\n\nexpected:\n{table}"
            );
        }
    }
}
