//! Actix extractors that authenticate and authorize, so that a handler's signature states its
//! policy and a handler without one cannot be reached anonymously by mistake:
//! `Principal` for any logged-in user, `Authorized<P>` for a role policy `P`, `Administering`
//! for a bureau or tenant admin; and the [`authenticate`] middleware that looks the bearer
//! token up first, so that they decide before any other extractor.

use std::future::{ready, Ready};
use std::marker::PhantomData;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use crate::error::{ApiError, ErrorCode};
use crate::identity::accounts::Administrator;
use crate::identity::sessions::SessionStore;
use crate::identity::{Principal, Role};

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

/// What [`authenticate`] found for the request's bearer token.
struct Authentication(Result<Principal, ApiError>);

/// Middleware: looks a request's bearer token up before any handler's extractors run, and
/// adds the user and tenant to the request span. Actix polls a handler's extractors together,
/// and an async session lookup let a body or query parameter fail first: a caller with the
/// wrong role could get `422` where `403` is the answer, and the answer depended on timing.
/// With the lookup done here, `Principal` and `Authorized<P>` are ready at once and, being
/// first in every signature, decide first. A request without a token costs nothing; a public
/// route sent a stale token still answers (only the extractors refuse it).
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let sessions = req.app_data::<web::Data<SessionStore>>().cloned();
    if let (Some(token), Some(sessions)) = (bearer_token(req.request()), sessions) {
        let found = sessions.authenticate(token).await;
        if let Ok(principal) = &found {
            principal.record_in_span();
        }
        req.extensions_mut()
            .insert(Authentication(found.map_err(ApiError::from)));
    }
    next.call(req).await
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Ready<Result<Principal, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let found = match req.extensions_mut().remove::<Authentication>() {
            Some(Authentication(found)) => found,
            None if bearer_token(req).is_some() => Err(ApiError::internal(anyhow::anyhow!(
                "a bearer token was not looked up: the authenticate middleware is missing, or a handler asks for the principal twice"
            ))),
            None => Err(ApiError::new(
                ErrorCode::MissingToken,
                "send Authorization: Bearer <token>",
            )),
        };
        ready(found)
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

/// Bureau admins and operators: those who change the CMDB (the operators configure the
/// devices) and who acknowledge and clear alarms.
pub struct Operators;
impl Policy for Operators {
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

/// A caller whose role passes policy `P`; otherwise the request fails with `forbidden`.
pub struct Authorized<P: Policy> {
    pub principal: Principal,
    policy: PhantomData<P>,
}

impl<P: Policy + 'static> FromRequest for Authorized<P> {
    type Error = ApiError;
    type Future = Ready<Result<Authorized<P>, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let authorized = Principal::from_request(req, payload)
            .into_inner()
            .and_then(|principal| {
                if !P::allows(principal.role) {
                    return Err(ApiError::forbidden());
                }
                Ok(Authorized {
                    principal,
                    policy: PhantomData,
                })
            });
        ready(authorized)
    }
}

/// An administrator: a bureau admin (every account, every tenant's audit trail and channels)
/// or a tenant admin (their tenant's); anyone else is refused with `forbidden`.
pub struct Administering {
    pub principal: Principal,
    pub admin: Administrator,
}

impl FromRequest for Administering {
    type Error = ApiError;
    type Future = Ready<Result<Administering, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let administering =
            Principal::from_request(req, payload)
                .into_inner()
                .and_then(|principal| {
                    let admin = Administrator::of(&principal).ok_or_else(ApiError::forbidden)?;
                    Ok(Administering { principal, admin })
                });
        ready(administering)
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
        let table: [(Role, [bool; 9]); 7] = [
            // publisher, bureau admin, infrastructure reader, bureau staff, VM reader,
            // operator, monitoring viewer, screen viewer, administrator
            (BureauAdmin,    [true,  true,  true,  true,  true,  true,  true,  true,  true]),
            (BureauManager,  [true,  false, true,  true,  true,  false, true,  true,  false]),
            (BureauOperator, [false, false, true,  true,  true,  true,  true,  true,  false]),
            (TenantAdmin,    [false, false, false, false, true,  false, false, false, true]),
            (TenantMember,   [false, false, false, false, true,  false, false, false, false]),
            (Supplier,       [false, false, true,  false, false, false, true,  false, false]),
            (Display,        [false, false, false, false, false, false, true,  true,  false]),
        ];
        for (role, expected) in table {
            let principal = Principal {
                user_id: 1,
                username: "someone".to_owned(),
                display_name: "Someone".to_owned(),
                role,
                tenant_id_opt: role.is_tenant_role().then_some(1),
                session_id: 1,
            };
            let actual = [
                AnnouncementPublishers::allows(role),
                BureauAdmins::allows(role),
                InfrastructureReaders::allows(role),
                BureauStaff::allows(role),
                VmReaders::allows(role),
                Operators::allows(role),
                MonitoringViewers::allows(role),
                ScreenViewers::allows(role),
                Administrator::of(&principal).is_some(),
            ];
            assert_eq!(actual, expected, "{role}");
        }
    }
}
