//! The authenticated caller, and the scopes derived from it: which tenants' data it may
//! read (a `crate::tenancy::TenantScope`), and whose names it may learn.

use super::Role;
use crate::tenancy::TenantScope;

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

/// Whose names a caller may learn (`GET /people`): the people who approve, delegate,
/// acknowledge and act in the records the caller reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeopleScope {
    /// Bureau staff and suppliers: everyone.
    Everyone,
    /// A tenant user: bureau staff, suppliers and the users of their own tenant.
    StaffSuppliersAndTenant(i64),
    /// A tenant-role account without a tenant, or a wall: bureau staff and suppliers only.
    StaffAndSuppliers,
}

impl Principal {
    /// Names the caller in the current `request` span (`requests`), so that every log line
    /// of the request says who made it.
    pub fn record_in_span(&self) {
        let span = tracing::Span::current();
        span.record("user_id", self.user_id);
        if let Some(tenant_id) = self.tenant_id_opt {
            span.record("tenant_id", tenant_id);
        }
    }

    pub fn people_scope(&self) -> PeopleScope {
        match (self.role.is_tenant_role(), self.tenant_id_opt) {
            // A wall names no tenant's people.
            (false, _) if self.role == Role::Display => PeopleScope::StaffAndSuppliers,
            (false, _) => PeopleScope::Everyone,
            (true, Some(tenant_id)) => PeopleScope::StaffSuppliersAndTenant(tenant_id),
            (true, None) => PeopleScope::StaffAndSuppliers,
        }
    }

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
            (Role::Display, None, TenantScope::NoTenant),
        ];
        for (role, tenant, expected) in table {
            assert_eq!(principal(role, tenant).scope(), expected, "{role}");
        }
        assert!(TenantScope::OneTenant(7).includes(7));
        assert!(!TenantScope::OneTenant(7).includes(8));
        assert!(!TenantScope::NoTenant.includes(7));
    }

    #[test]
    fn people_scope_by_role() {
        let table = [
            (Role::BureauAdmin, None, PeopleScope::Everyone),
            (Role::BureauManager, None, PeopleScope::Everyone),
            (Role::BureauOperator, None, PeopleScope::Everyone),
            (Role::Supplier, None, PeopleScope::Everyone),
            (
                Role::TenantAdmin,
                Some(7),
                PeopleScope::StaffSuppliersAndTenant(7),
            ),
            (
                Role::TenantMember,
                Some(8),
                PeopleScope::StaffSuppliersAndTenant(8),
            ),
            (Role::TenantMember, None, PeopleScope::StaffAndSuppliers),
            (Role::Display, None, PeopleScope::StaffAndSuppliers),
        ];
        for (role, tenant, expected) in table {
            assert_eq!(principal(role, tenant).people_scope(), expected, "{role}");
        }
    }
}
