//! Topics: what a WebSocket client subscribes to, parsed at the edge, and who may subscribe.

use std::fmt;

use crate::identity::{Principal, Role};
use crate::tenancy::TenantScope;

/// A stream of events. Ids are positive database ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// Announcements to everyone.
    Announcements,
    /// Announcements to one tenant.
    TenantAnnouncements(i64),
    /// Ticket changes of one tenant.
    TenantTickets(i64),
    /// How busy one tenant's VMs are.
    TenantVms(i64),
    /// One ticket's changes and progress: `tenant/{tenant}/tickets/{ticket}`.
    Ticket { tenant_id: i64, ticket_id: i64 },
    /// One user's pending approvals and notices.
    UserInbox(i64),
    /// One data center's aggregates.
    DataCenter(i64),
    /// One device's state changes.
    Device(i64),
    /// The command-center overview.
    Overview,
    /// Writes to the CMDB.
    Inventory,
}

/// The longest topic name accepted, well above any valid one.
const MAX_TOPIC_LEN: usize = 64;

impl Topic {
    /// Every family of topics, named as the documents and the event catalogue name them.
    pub const FAMILIES: [&'static str; 10] = [
        "announcements",
        "tenant/{id}/announcements",
        "tenant/{id}/tickets",
        "tenant/{id}/vms",
        "tenant/{id}/tickets/{ticket}",
        "user/{id}/inbox",
        "dc/{id}",
        "device/{id}",
        "overview",
        "inventory",
    ];

    /// This topic's family: its name with the ids left as placeholders.
    pub fn family(&self) -> &'static str {
        match self {
            Topic::Announcements => "announcements",
            Topic::TenantAnnouncements(_) => "tenant/{id}/announcements",
            Topic::TenantTickets(_) => "tenant/{id}/tickets",
            Topic::TenantVms(_) => "tenant/{id}/vms",
            Topic::Ticket { .. } => "tenant/{id}/tickets/{ticket}",
            Topic::UserInbox(_) => "user/{id}/inbox",
            Topic::DataCenter(_) => "dc/{id}",
            Topic::Device(_) => "device/{id}",
            Topic::Overview => "overview",
            Topic::Inventory => "inventory",
        }
    }

    pub fn parse(raw: &str) -> Result<Topic, String> {
        if raw.len() > MAX_TOPIC_LEN {
            return Err("topic name is too long".to_owned());
        }
        let parts: Vec<&str> = raw.split('/').collect();
        let topic = match parts.as_slice() {
            ["announcements"] => Topic::Announcements,
            ["overview"] => Topic::Overview,
            ["inventory"] => Topic::Inventory,
            ["tenant", id, "announcements"] => Topic::TenantAnnouncements(parse_id(id)?),
            ["tenant", id, "tickets"] => Topic::TenantTickets(parse_id(id)?),
            ["tenant", id, "vms"] => Topic::TenantVms(parse_id(id)?),
            ["tenant", tenant_id, "tickets", ticket_id] => Topic::Ticket {
                tenant_id: parse_id(tenant_id)?,
                ticket_id: parse_id(ticket_id)?,
            },
            ["user", id, "inbox"] => Topic::UserInbox(parse_id(id)?),
            ["dc", id] => Topic::DataCenter(parse_id(id)?),
            ["device", id] => Topic::Device(parse_id(id)?),
            _ => return Err(format!("unknown topic {raw:?}")),
        };
        Ok(topic)
    }

    /// The tenant whose data this topic carries, if any.
    pub fn tenant_id_opt(&self) -> Option<i64> {
        match self {
            Topic::TenantAnnouncements(id) | Topic::TenantTickets(id) | Topic::TenantVms(id) => {
                Some(*id)
            }
            Topic::Ticket { tenant_id, .. } => Some(*tenant_id),
            _ => None,
        }
    }
}

fn parse_id(raw: &str) -> Result<i64, String> {
    match raw.parse::<i64>() {
        Ok(id) if id > 0 && !raw.starts_with('+') && !raw.starts_with('0') => Ok(id),
        _ => Err(format!("invalid id {raw:?} in topic")),
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::Announcements => write!(f, "announcements"),
            Topic::Overview => write!(f, "overview"),
            Topic::Inventory => write!(f, "inventory"),
            Topic::TenantAnnouncements(id) => write!(f, "tenant/{id}/announcements"),
            Topic::TenantTickets(id) => write!(f, "tenant/{id}/tickets"),
            Topic::TenantVms(id) => write!(f, "tenant/{id}/vms"),
            Topic::Ticket {
                tenant_id,
                ticket_id,
            } => write!(f, "tenant/{tenant_id}/tickets/{ticket_id}"),
            Topic::UserInbox(id) => write!(f, "user/{id}/inbox"),
            Topic::DataCenter(id) => write!(f, "dc/{id}"),
            Topic::Device(id) => write!(f, "device/{id}"),
        }
    }
}

/// Whether `principal` may receive `topic`'s events.
///
/// Everyone: `announcements` and their own inbox. Tenant topics: whoever's tenant scope
/// includes the tenant. Infrastructure (`dc/*`, `device/*`): bureau staff, suppliers, who
/// support the hardware, and the wall. `overview`: bureau staff and the wall. `inventory`:
/// bureau staff, who read the whole CMDB.
pub fn may_subscribe(principal: &Principal, topic: &Topic) -> bool {
    match topic {
        Topic::Announcements => true,
        Topic::UserInbox(user_id) => *user_id == principal.user_id,
        Topic::TenantAnnouncements(tenant_id)
        | Topic::TenantTickets(tenant_id)
        | Topic::TenantVms(tenant_id)
        | Topic::Ticket { tenant_id, .. } => principal.scope().includes(*tenant_id),
        Topic::DataCenter(_) | Topic::Device(_) => {
            principal.role.is_bureau() || matches!(principal.role, Role::Supplier | Role::Display)
        }
        Topic::Overview => {
            principal.scope() == TenantScope::AllTenants || principal.role == Role::Display
        }
        Topic::Inventory => principal.role.is_bureau(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_round_trips_valid_names_and_refuses_the_rest() {
        for name in [
            "announcements",
            "overview",
            "tenant/3/announcements",
            "tenant/3/tickets",
            "tenant/3/tickets/77",
            "tenant/3/vms",
            "user/12/inbox",
            "dc/1",
            "device/9001",
            "inventory",
        ] {
            let topic = Topic::parse(name).unwrap();
            assert_eq!(topic.to_string(), name);
            assert!(Topic::FAMILIES.contains(&topic.family()), "{name}");
        }
        for bad in [
            "",
            "Announcements",
            "tenant/x/tickets",
            "tenant/0/tickets",
            "tenant/-1/tickets",
            "tenant/01/tickets",
            "tenant/+1/tickets",
            "tenant/1",
            "tenant/1/tickets/",
            "tenant/1/tickets/0",
            "device/99999999999999999999",
            &"a".repeat(100),
        ] {
            assert!(Topic::parse(bad).is_err(), "{bad:?}");
        }
    }

    fn principal(user_id: i64, role: Role, tenant_id_opt: Option<i64>) -> Principal {
        Principal {
            user_id,
            username: "u".into(),
            display_name: "U".into(),
            role,
            tenant_id_opt,
            session_id: 1,
        }
    }

    #[test]
    fn who_may_subscribe_to_what() {
        let manager = principal(1, Role::BureauManager, None);
        let edu_dev = principal(2, Role::TenantMember, Some(10));
        let supplier = principal(3, Role::Supplier, None);
        let wall = principal(4, Role::Display, None);
        let table = [
            (&manager, "announcements", true),
            (&manager, "tenant/10/tickets", true),
            (&manager, "overview", true),
            (&manager, "user/2/inbox", false),
            (&edu_dev, "announcements", true),
            (&edu_dev, "tenant/10/announcements", true),
            (&edu_dev, "tenant/11/announcements", false),
            (&edu_dev, "tenant/11/tickets", false),
            (&edu_dev, "tenant/10/tickets/5", true),
            (&edu_dev, "tenant/11/tickets/5", false),
            (&edu_dev, "tenant/10/vms", true),
            (&edu_dev, "tenant/11/vms", false),
            (&manager, "tenant/11/vms", true),
            (&supplier, "tenant/10/vms", false),
            (&wall, "tenant/10/vms", false),
            (&edu_dev, "user/2/inbox", true),
            (&edu_dev, "user/1/inbox", false),
            (&edu_dev, "dc/1", false),
            (&edu_dev, "overview", false),
            (&supplier, "device/5", true),
            (&supplier, "tenant/10/tickets", false),
            (&supplier, "overview", false),
            (&wall, "overview", true),
            (&wall, "dc/1", true),
            (&wall, "device/5", true),
            (&wall, "tenant/10/tickets", false),
            (&wall, "tenant/10/tickets/5", false),
            (&wall, "tenant/10/announcements", false),
            (&wall, "user/2/inbox", false),
            (&manager, "inventory", true),
            (&edu_dev, "inventory", false),
            (&supplier, "inventory", false),
            (&wall, "inventory", false),
        ];
        for (who, topic, allowed) in table {
            let topic = Topic::parse(topic).unwrap();
            assert_eq!(
                may_subscribe(who, &topic),
                allowed,
                "{} on {topic}",
                who.role
            );
        }
    }
}
