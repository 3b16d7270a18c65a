//! What the CMDB tells when a write commits: `inventory.changed` on the `inventory` topic,
//! naming the kinds of objects written (and the object, for a write of one). Pages showing
//! the CMDB reread what it names; monitoring rereads what it monitors. It is told after the
//! commit, by the writer of the change, on every node through the hub. Monitoring's alarm
//! rules are announced the same way (kind `alarm_rule`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::history::ChangeAction;
use super::import::{self, ImportSummary};
use crate::hub::{EventData, EventKind, Hub, Topic};

/// The data of `inventory.changed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InventoryChangedEvent {
    /// The kinds of objects written (`data_center`, `device`, `interface`, `link`,
    /// `cloud_platform`, ..., and `alarm_rule`).
    pub object_kinds: Vec<String>,
    /// The object, for a write of one; none for an import.
    pub object_id: Option<i64>,
    /// `create`, `update`, `delete` or `import`.
    pub action: String,
}

impl EventData for InventoryChangedEvent {}

impl InventoryChangedEvent {
    /// One object written.
    pub fn one(object_kind: &str, object_id: i64, action: ChangeAction) -> InventoryChangedEvent {
        InventoryChangedEvent {
            object_kinds: vec![object_kind.to_owned()],
            object_id: Some(object_id),
            action: action.as_str().to_owned(),
        }
    }

    /// What an import wrote; `None` when it created and changed nothing.
    pub fn import(summary: &ImportSummary) -> Option<InventoryChangedEvent> {
        let object_kinds: Vec<String> = summary
            .kinds
            .iter()
            .filter(|(_, counts)| counts.created + counts.updated > 0)
            .filter_map(|(kind, _)| import::object_kind(kind))
            .map(str::to_owned)
            .collect();
        (!object_kinds.is_empty()).then(|| InventoryChangedEvent {
            object_kinds,
            object_id: None,
            action: "import".to_owned(),
        })
    }

    /// Whether it names one of `kinds`.
    pub fn concerns(&self, kinds: &[&str]) -> bool {
        self.object_kinds
            .iter()
            .any(|kind| kinds.contains(&kind.as_str()))
    }
}

/// Tells `inventory` of a committed write. A failed publish is logged: the write stands, and
/// monitoring rereads the inventory on its own schedule as well.
pub async fn announce(hub: &Hub, event: &InventoryChangedEvent) {
    if let Err(error) = hub
        .publish(&Topic::Inventory, EventKind::InventoryChanged, event)
        .await
    {
        tracing::warn!(%error, "cannot announce an inventory change");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::import::ImportCounts;

    #[test]
    fn an_import_names_the_kinds_it_wrote() {
        let counts = |created, updated, unchanged| ImportCounts {
            created,
            updated,
            unchanged,
        };
        let mut summary = ImportSummary::default();
        summary.kinds.insert("data_centers".into(), counts(0, 0, 2));
        assert_eq!(InventoryChangedEvent::import(&summary), None);
        summary.kinds.insert("devices".into(), counts(3, 0, 0));
        summary
            .kinds
            .insert("cloud_platforms".into(), counts(0, 1, 0));
        let event = InventoryChangedEvent::import(&summary).unwrap();
        assert_eq!(event.object_kinds, ["cloud_platform", "device"]);
        assert_eq!((event.object_id, event.action.as_str()), (None, "import"));
        assert!(event.concerns(&["device"]));
        assert!(!event.concerns(&["vm"]));
        let one = InventoryChangedEvent::one("link", 4, ChangeAction::Delete);
        assert_eq!(
            (one.object_kinds, one.object_id, one.action.as_str()),
            (vec!["link".to_owned()], Some(4), "delete")
        );
    }
}
