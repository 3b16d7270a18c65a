//! The six roles of the brief, the command-center wall's, and what each one is in general
//! terms. Fine-grained rules live with the resource they guard (topics in `hub::topic`,
//! policies in `routes::extract`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 大数据管理局 administrator: manages tenants, users and the platform.
    BureauAdmin,
    /// 大数据管理局管理人员: approves, coordinates, reads reports and the big screen.
    BureauManager,
    /// 大数据管理局运维人员: monitors, handles alarms, fulfils tickets.
    BureauOperator,
    /// A department's (委办局) administrator: manages its users, requests and approves.
    TenantAdmin,
    /// A department's developer or operator.
    TenantMember,
    /// A supplier's engineer: sees only the work assigned to them.
    Supplier,
    /// A command-center wall, logged in with a display key: reads the screen's aggregates,
    /// writes nothing.
    Display,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::BureauAdmin,
        Role::BureauManager,
        Role::BureauOperator,
        Role::TenantAdmin,
        Role::TenantMember,
        Role::Supplier,
        Role::Display,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::BureauAdmin => "bureau_admin",
            Role::BureauManager => "bureau_manager",
            Role::BureauOperator => "bureau_operator",
            Role::TenantAdmin => "tenant_admin",
            Role::TenantMember => "tenant_member",
            Role::Supplier => "supplier",
            Role::Display => "display",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }

    /// Bureau staff see every tenant.
    pub fn is_bureau(self) -> bool {
        matches!(
            self,
            Role::BureauAdmin | Role::BureauManager | Role::BureauOperator
        )
    }

    /// Tenant roles belong to exactly one tenant; every other role to none.
    pub fn is_tenant_role(self) -> bool {
        matches!(self, Role::TenantAdmin | Role::TenantMember)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_classes_are_disjoint() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert!(!(role.is_bureau() && role.is_tenant_role()));
        }
        assert_eq!(Role::parse("root"), None);
        assert_eq!(
            serde_json::to_string(&Role::TenantAdmin).unwrap(),
            "\"tenant_admin\""
        );
    }
}
