//! Which tenants' rows a caller may read: [`TenantScope`]. Every tenant-owned query takes one;
//! `identity` makes it from the caller. Its own module so that the stores that filter by it
//! (the audit trail, tickets, the CMDB) need not depend on identity.

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
