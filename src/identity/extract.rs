//! Actix extractors that authenticate and authorize, so that a handler's signature states its
//! policy and a handler without one cannot be reached anonymously by mistake:
//! `Principal` for any logged-in user, `Authorized<P>` for a role policy `P`.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};

use super::sessions::SessionStore;
use super::{Principal, Role};
use crate::error::{ApiError, ErrorCode};

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Principal, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let sessions = req.app_data::<web::Data<SessionStore>>().cloned();
        let token_opt = bearer_token(req).map(str::to_owned);
        Box::pin(async move {
            let sessions = sessions.ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("session store not configured"))
            })?;
            let token = token_opt.ok_or_else(|| {
                ApiError::new(
                    ErrorCode::MissingToken,
                    "send Authorization: Bearer <token>",
                )
            })?;
            sessions.authenticate(&token).await
        })
    }
}

/// A rule on roles, named for what it allows.
pub trait Policy {
    fn allows(role: Role) -> bool;
}

/// Those who may post announcements: bureau admins and managers.
pub struct AnnouncementPublishers;
impl Policy for AnnouncementPublishers {
    fn allows(role: Role) -> bool {
        matches!(role, Role::BureauAdmin | Role::BureauManager)
    }
}

/// Administrators: bureau admins for everyone, tenant admins for their tenant (accounts, the
/// audit trail).
pub struct Administrators;
impl Policy for Administrators {
    fn allows(role: Role) -> bool {
        matches!(role, Role::BureauAdmin | Role::TenantAdmin)
    }
}

/// Bureau admins only.
pub struct BureauAdmins;
impl Policy for BureauAdmins {
    fn allows(role: Role) -> bool {
        role == Role::BureauAdmin
    }
}

/// Those who read the physical inventory (sites, racks, devices, interfaces, links): bureau
/// staff, and suppliers, who maintain the hardware.
pub struct InfrastructureReaders;
impl Policy for InfrastructureReaders {
    fn allows(role: Role) -> bool {
        role.is_bureau() || role == Role::Supplier
    }
}

/// Bureau staff: the cloud inventory (platforms, clusters, hosts, pools) and its history.
pub struct BureauStaff;
impl Policy for BureauStaff {
    fn allows(role: Role) -> bool {
        role.is_bureau()
    }
}

/// Those who read VMs: bureau staff (all) and tenant users (their tenant's); not suppliers.
pub struct VmReaders;
impl Policy for VmReaders {
    fn allows(role: Role) -> bool {
        role.is_bureau() || role.is_tenant_role()
    }
}

/// Those who change the CMDB: bureau admins, and the operators who configure devices.
pub struct InventoryWriters;
impl Policy for InventoryWriters {
    fn allows(role: Role) -> bool {
        matches!(role, Role::BureauAdmin | Role::BureauOperator)
    }
}

/// Those who watch devices and alarms: bureau staff, suppliers (who maintain the hardware)
/// and the command-center wall.
pub struct MonitoringViewers;
impl Policy for MonitoringViewers {
    fn allows(role: Role) -> bool {
        role.is_bureau() || matches!(role, Role::Supplier | Role::Display)
    }
}

/// Those who read the command-center screen's aggregates: bureau staff and the wall.
pub struct ScreenViewers;
impl Policy for ScreenViewers {
    fn allows(role: Role) -> bool {
        role.is_bureau() || role == Role::Display
    }
}

/// Those who acknowledge and clear alarms: bureau admins and operators.
pub struct AlarmOperators;
impl Policy for AlarmOperators {
    fn allows(role: Role) -> bool {
        matches!(role, Role::BureauAdmin | Role::BureauOperator)
    }
}

/// A caller whose role passes policy `P`; otherwise the request fails with `forbidden`.
pub struct Authorized<P: Policy> {
    pub principal: Principal,
    policy: PhantomData<P>,
}

impl<P: Policy + 'static> FromRequest for Authorized<P> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Authorized<P>, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let principal = Principal::from_request(req, payload);
        Box::pin(async move {
            let principal = principal.await?;
            if !P::allows(principal.role) {
                return Err(ApiError::forbidden());
            }
            Ok(Authorized {
                principal,
                policy: PhantomData,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn bearer_tokens_are_read_from_the_authorization_header() {
        let table = [
            (Some("Bearer abc"), Some("abc")),
            (Some("bearer  abc "), Some("abc")),
            (Some("Basic abc"), None),
            (Some("Bearer "), None),
            (Some("Bearer"), None),
            (None, None),
        ];
        for (header_value, expected) in table {
            let mut request = TestRequest::default();
            if let Some(value) = header_value {
                request = request.insert_header((header::AUTHORIZATION, value));
            }
            let req = request.to_http_request();
            assert_eq!(bearer_token(&req), expected, "{header_value:?}");
        }
    }

    #[test]
    fn policies() {
        use Role::*;
        #[rustfmt::skip]
        let table: [(Role, [bool; 7]); 6] = [
            // publisher, administrator, bureau admin, infrastructure reader, bureau staff,
            // VM reader, inventory writer
            (BureauAdmin,    [true,  true,  true,  true,  true,  true,  true]),
            (BureauManager,  [true,  false, false, true,  true,  true,  false]),
            (BureauOperator, [false, false, false, true,  true,  true,  true]),
            (TenantAdmin,    [false, true,  false, false, false, true,  false]),
            (TenantMember,   [false, false, false, false, false, true,  false]),
            (Supplier,       [false, false, false, true,  false, false, false]),
        ];
        for (role, expected) in table {
            let actual = [
                AnnouncementPublishers::allows(role),
                Administrators::allows(role),
                BureauAdmins::allows(role),
                InfrastructureReaders::allows(role),
                BureauStaff::allows(role),
                VmReaders::allows(role),
                InventoryWriters::allows(role),
            ];
            assert_eq!(actual, expected, "{role}");
        }
    }
}
