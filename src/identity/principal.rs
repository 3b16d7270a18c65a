//! The authenticated caller, and the tenant scope derived from it.

use super::Role;

/// Who is calling: resolved from a bearer token or a WebSocket ticket, never from input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The caller's tenant, for tenant roles only.
    pub tenant_id_opt: Option<i64>,
    /// The login this request belongs to (logout revokes it).
    pub session_id: i64,
}

/// Which tenants' data a caller may read. Every tenant-owned query takes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantScope {
    /// Bureau staff: every tenant.
    AllTenants,
    /// A tenant user: that tenant only.
    OneTenant(i64),
    /// Suppliers: no tenant's data, only what is addressed to everyone or to them.
    NoTenant,
}

impl TenantScope {
    pub fn includes(self, tenant_id: i64) -> bool {
        match self {
            TenantScope::AllTenants => true,
            TenantScope::OneTenant(own) => own == tenant_id,
            TenantScope::NoTenant => false,
        }
    }
}

impl Principal {
    pub fn scope(&self) -> TenantScope {
        match (self.role.is_bureau(), self.tenant_id_opt) {
            (true, _) => TenantScope::AllTenants,
            (false, Some(tenant_id)) if self.role.is_tenant_role() => {
                TenantScope::OneTenant(tenant_id)
            }
            _ => TenantScope::NoTenant,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, tenant_id_opt: Option<i64>) -> Principal {
        Principal {
            user_id: 1,
            username: "u".into(),
            display_name: "U".into(),
            role,
            tenant_id_opt,
            session_id: 1,
        }
    }

    #[test]
    fn scope_by_role() {
        let table = [
            (Role::BureauAdmin, None, TenantScope::AllTenants),
            (Role::BureauOperator, None, TenantScope::AllTenants),
            (Role::TenantAdmin, Some(7), TenantScope::OneTenant(7)),
            (Role::TenantMember, Some(8), TenantScope::OneTenant(8)),
            (Role::TenantMember, None, TenantScope::NoTenant),
            (Role::Supplier, None, TenantScope::NoTenant),
        ];
        for (role, tenant, expected) in table {
            assert_eq!(principal(role, tenant).scope(), expected, "{role}");
        }
        assert!(TenantScope::OneTenant(7).includes(7));
        assert!(!TenantScope::OneTenant(7).includes(8));
        assert!(!TenantScope::NoTenant.includes(7));
    }
}
