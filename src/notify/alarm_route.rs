//! Which alarms a receiver takes, shared by channels and by people's mail: of a least
//! severity, and of the rules, data centers and device kinds the route names, if it names
//! any. [`AlarmRoute::takes`] is pure; [`check_places`] checks a route's data centers and
//! device kinds before one is stored.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use yunguan_actors::alarm::Severity;

use crate::db::entities::data_center;
use crate::inventory::crud::Checker;
use crate::inventory::devices::DEVICE_KINDS;

/// The most ids a route names in one list.
pub const MAX_IDS: usize = 200;

/// What a route asks of an alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmRoute {
    pub min_severity: Severity,
    /// Only these rules; None: every rule.
    pub rule_ids_opt: Option<Vec<i64>>,
    /// Only devices in these data centers; None: every data center.
    pub data_center_ids_opt: Option<Vec<i64>>,
    /// Only devices of these kinds; None: every kind.
    pub device_kinds_opt: Option<Vec<String>>,
}

/// What a route is matched against: the alarm, and its device's kind.
#[derive(Debug, Clone, Copy)]
pub struct AlarmFacts<'a> {
    pub severity: Severity,
    pub rule_id: i64,
    pub data_center_id: i64,
    /// None when the device is gone: only routes naming no kind take it.
    pub device_kind_opt: Option<&'a str>,
}

impl AlarmRoute {
    pub fn takes(&self, alarm: AlarmFacts<'_>) -> bool {
        alarm.severity >= self.min_severity
            && self
                .rule_ids_opt
                .as_ref()
                .is_none_or(|ids| ids.contains(&alarm.rule_id))
            && self
                .data_center_ids_opt
                .as_ref()
                .is_none_or(|ids| ids.contains(&alarm.data_center_id))
            && self.device_kinds_opt.as_ref().is_none_or(|kinds| {
                alarm
                    .device_kind_opt
                    .is_some_and(|kind| kinds.iter().any(|named| named == kind))
            })
    }
}

/// Checks the data centers (each must exist) and device kinds (each must be known) a route
/// names; an empty list is refused, since it would take nothing: null takes all.
pub async fn check_places(
    db: &impl ConnectionTrait,
    checker: &mut Checker,
    data_center_ids_opt: Option<&[i64]>,
    device_kinds_opt: Option<&[String]>,
) -> Result<(), DbErr> {
    if let Some(ids) = data_center_ids_opt {
        check_data_centers(db, checker, ids).await?;
    }
    match device_kinds_opt {
        Some([]) => checker.problem("device_kinds", "must name at least one kind, or be null"),
        Some(kinds) => {
            for kind in kinds {
                checker.one_of("device_kinds", kind, DEVICE_KINDS);
            }
        }
        None => {}
    }
    Ok(())
}

async fn check_data_centers(
    db: &impl ConnectionTrait,
    checker: &mut Checker,
    ids: &[i64],
) -> Result<(), DbErr> {
    if ids.is_empty() || ids.len() > MAX_IDS {
        checker.problem(
            "data_center_ids",
            format!("must name 1 to {MAX_IDS} data centers, or be null"),
        );
        return Ok(());
    }
    let found: Vec<i64> = data_center::Entity::find()
        .select_only()
        .column(data_center::Column::Id)
        .filter(data_center::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    if let Some(missing) = ids.iter().find(|id| !found.contains(id)) {
        checker.problem(
            "data_center_ids",
            format!("there is no data center {missing}"),
        );
    }
    Ok(())
}

/// A JSON array as stored (rule ids, data center ids, device kinds); None: all.
pub fn json_list<T: serde::de::DeserializeOwned>(stored: Option<&str>) -> Option<Vec<T>> {
    stored.and_then(|list| serde_json::from_str(list).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router_alarm(severity: Severity) -> AlarmFacts<'static> {
        AlarmFacts {
            severity,
            rule_id: 7,
            data_center_id: 2,
            device_kind_opt: Some("router"),
        }
    }

    fn everything_from(min_severity: Severity) -> AlarmRoute {
        AlarmRoute {
            min_severity,
            rule_ids_opt: None,
            data_center_ids_opt: None,
            device_kinds_opt: None,
        }
    }

    #[test]
    fn a_route_takes_its_severity_and_worse() {
        let route = everything_from(Severity::Major);
        assert!(route.takes(router_alarm(Severity::Critical)));
        assert!(route.takes(router_alarm(Severity::Major)));
        assert!(!route.takes(router_alarm(Severity::Minor)));
    }

    #[test]
    fn every_list_a_route_names_must_hold_the_alarm() {
        let route = AlarmRoute {
            rule_ids_opt: Some(vec![7, 8]),
            data_center_ids_opt: Some(vec![2]),
            device_kinds_opt: Some(vec!["router".to_owned(), "switch".to_owned()]),
            ..everything_from(Severity::Info)
        };
        assert!(route.takes(router_alarm(Severity::Minor)));
        let elsewhere = AlarmFacts {
            data_center_id: 3,
            ..router_alarm(Severity::Minor)
        };
        assert!(!route.takes(elsewhere));
        let other_rule = AlarmFacts {
            rule_id: 9,
            ..router_alarm(Severity::Minor)
        };
        assert!(!route.takes(other_rule));
        let server = AlarmFacts {
            device_kind_opt: Some("server"),
            ..router_alarm(Severity::Minor)
        };
        assert!(!route.takes(server));
    }

    #[test]
    fn a_gone_device_reaches_only_routes_naming_no_kind() {
        let gone = AlarmFacts {
            device_kind_opt: None,
            ..router_alarm(Severity::Critical)
        };
        assert!(everything_from(Severity::Info).takes(gone));
        let routers = AlarmRoute {
            device_kinds_opt: Some(vec!["router".to_owned()]),
            ..everything_from(Severity::Info)
        };
        assert!(!routers.takes(gone));
    }
}
