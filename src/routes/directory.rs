//! `/tenants` and `/users`: the directory, scoped by the caller's tenant; `/people`: the
//! names of the people records mention, scoped by whose names the caller may learn.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::tickets::caller_of;
use crate::db::entities::{tenant, user};
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::identity::accounts::{self, AccountChange, ResetSent};
use crate::identity::directory::{self, NewUser};
use crate::identity::names::{TenantCode, Username};
use crate::identity::sessions::SessionStore;
use crate::identity::{Principal, Role};
use crate::inventory::crud::present;
use crate::routes::extract::{Administering, Authorized, BureauAdmins};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_tenants)
        .service(create_tenant)
        .service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user)
        .service(delete_user)
        .service(revoke_sessions)
        .service(send_password_reset)
        .service(list_people);
}

#[derive(Serialize, ToSchema)]
pub struct TenantView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<tenant::Model> for TenantView {
    fn from(model: tenant::Model) -> Self {
        TenantView {
            id: model.id,
            code: model.code,
            name: model.name,
            created_at: model.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: String,
    pub tenant_id: Option<i64>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    /// Where the account signs in: `local` (its password here), `oidc` or `ldap` (its role
    /// follows its groups there at every sign-in).
    pub auth_source: String,
}

impl From<user::Model> for UserView {
    fn from(model: user::Model) -> Self {
        UserView {
            id: model.id,
            username: model.username,
            display_name: model.display_name,
            email: model.email,
            role: model.role,
            tenant_id: model.tenant_id,
            disabled: model.disabled,
            created_at: model.created_at,
            auth_source: model.auth_source,
        }
    }
}

/// Tenants the caller may see: all for bureau staff, their own for tenant users.
#[utoipa::path(
    tag = "directory", security(("bearer" = [])),
    responses((status = 200, body = [TenantView]), (status = 401, body = ErrorBody))
)]
#[get("/tenants")]
pub async fn list_tenants(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<TenantView>>, ApiError> {
    let tenants = directory::list_tenants(&state.db, principal.scope()).await?;
    Ok(web::Json(
        tenants.into_iter().map(TenantView::from).collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// Short stable name, e.g. `edu`.
    pub code: String,
    /// Display name, e.g. 教育局.
    pub name: String,
}

/// Create a tenant (bureau admins).
#[utoipa::path(
    tag = "directory", security(("bearer" = [])),
    request_body = NewTenant,
    responses(
        (status = 201, body = TenantView),
        (status = 403, body = ErrorBody),
        (status = 409, description = "`conflict`: the code is taken", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[post("/tenants")]
pub async fn create_tenant(
    _caller: Authorized<BureauAdmins>,
    state: web::Data<AppState>,
    body: web::Json<NewTenant>,
) -> Result<HttpResponse, ApiError> {
    let code =
        TenantCode::parse(&body.code).map_err(|m| ApiError::new(ErrorCode::ValidationFailed, m))?;
    let created = directory::create_tenant(&state.db, &code, &body.name).await?;
    Ok(HttpResponse::Created().json(TenantView::from(created)))
}

/// Users the caller administers: all for bureau admins, their tenant's for tenant admins.
#[utoipa::path(
    tag = "directory", security(("bearer" = [])),
    responses((status = 200, body = [UserView]), (status = 403, body = ErrorBody))
)]
#[get("/users")]
pub async fn list_users(
    caller: Administering,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<UserView>>, ApiError> {
    let users = directory::list_users(&state.db, caller.principal.scope()).await?;
    Ok(web::Json(users.into_iter().map(UserView::from).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub username: String,
    pub display_name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
    pub role: Role,
    /// Required for tenant roles; tenant admins may only name their own tenant.
    #[serde(default)]
    pub tenant_id: Option<i64>,
}

/// Create a user. Bureau admins create any role; tenant admins create tenant users in their
/// own tenant.
#[utoipa::path(
    tag = "directory", security(("bearer" = [])),
    request_body = NewUserRequest,
    responses(
        (status = 201, body = UserView),
        (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[post("/users")]
pub async fn create_user(
    caller: Administering,
    state: web::Data<AppState>,
    body: web::Json<NewUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    caller.admin.may_give(request.role, request.tenant_id)?;
    let username = Username::parse(&request.username)
        .map_err(|m| ApiError::new(ErrorCode::ValidationFailed, m))?;
    let created = directory::create_user(
        &state.db,
        NewUser {
            username,
            display_name: request.display_name,
            email_opt: request.email,
            password: request.password,
            role: request.role,
            tenant_id_opt: request.tenant_id,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(UserView::from(created)))
}

/// One account the caller administers.
#[utoipa::path(
    tag = "directory", security(("bearer" = [])),
    params(("user_id" = i64, Path)),
    responses(
        (status = 200, body = UserView),
        (status = 403, description = "`forbidden`: administrators only", body = ErrorBody),
        (status = 404, description = "`not_found`: no such account, or not one the caller administers", body = ErrorBody),
    )
)]
#[get("/users/{user_id}")]
pub async fn get_user(
    caller: Administering,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<UserView>, ApiError> {
    let admin = caller.admin;
    let account = accounts::find(&state.db, admin, path.into_inner()).await?;
    Ok(web::Json(UserView::from(account)))
}

/// The fields of an account to change; those left out stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    pub role: Option<Role>,
    /// The tenant of a tenant role; `null` (or left out) with a bureau role or supplier.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub tenant_id: Option<Option<i64>>,
    /// A disabled account cannot log in; disabling it ends its sessions.
    pub disabled: Option<bool>,
}

/// Change an account: name, e-mail, role and tenant, disabled or enabled. Bureau admins change
/// any account; tenant admins their tenant's, within the tenant roles. Whatever takes access
/// away (disabling, another role or tenant) ends the account's sessions and closes its
/// sockets. Audited.
#[utoipa::path(
    tag = "directory", security(("bearer" = [])),
    params(("user_id" = i64, Path)),
    request_body = UserPatch,
    responses(
        (status = 200, body = UserView),
        (status = 403, description = "`forbidden`: administrators only; tenant admins give tenant roles in their own tenant only", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`conflict`: it would take away the last enabled bureau admin, or the caller's own access", body = ErrorBody),
        (status = 422, description = "`validation_failed`: a role without its tenant, an unknown tenant, a bad name or e-mail", body = ErrorBody),
    )
)]
#[patch("/users/{user_id}")]
pub async fn update_user(
    caller: Administering,
    req: HttpRequest,
    state: web::Data<AppState>,
    sessions: web::Data<SessionStore>,
    path: web::Path<i64>,
    body: web::Json<UserPatch>,
) -> Result<web::Json<UserView>, ApiError> {
    let admin = caller.admin;
    let patch = body.into_inner();
    if let Some(Some(email)) = &patch.email {
        directory::validate_email(email)?;
    }
    let caller = caller_of(&req, caller.principal, &state);
    let changed = accounts::change(
        &state.db,
        &caller.audit_actor(),
        admin,
        path.into_inner(),
        AccountChange {
            display_name_opt: patch.display_name,
            email_opt: patch.email,
            role_opt: patch.role,
            tenant_id_opt: patch.tenant_id,
            disabled_opt: patch.disabled,
        },
        state.clock.now(),
    )
    .await?;
    sessions.announce_ended(changed.ended_sessions);
    Ok(web::Json(UserView::from(changed.account)))
}

/// Delete an account: it can no longer log in, its sessions end, and it is listed nowhere;
/// what it did stays, under its name. Audited.
#[utoipa::path(
    tag = "directory", security(("bearer" = [])),
    params(("user_id" = i64, Path)),
    responses(
        (status = 204, description = "deleted"),
        (status = 403, description = "`forbidden`: administrators only", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`conflict`: the last enabled bureau admin, or the caller's own account", body = ErrorBody),
    )
)]
#[delete("/users/{user_id}")]
pub async fn delete_user(
    caller: Administering,
    req: HttpRequest,
    state: web::Data<AppState>,
    sessions: web::Data<SessionStore>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let admin = caller.admin;
    let caller = caller_of(&req, caller.principal, &state);
    let ended = accounts::delete(
        &state.db,
        &caller.audit_actor(),
        admin,
        path.into_inner(),
        state.clock.now(),
    )
    .await?;
    sessions.announce_ended(ended);
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, ToSchema)]
pub struct SessionsRevoked {
    /// How many sessions ended.
    pub ended: usize,
}

/// End every session of an account at once, closing its sockets; it may log in again.
/// Audited.
#[utoipa::path(
    tag = "directory", security(("bearer" = [])),
    params(("user_id" = i64, Path)),
    responses(
        (status = 200, body = SessionsRevoked),
        (status = 403, description = "`forbidden`: administrators only", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
#[post("/users/{user_id}/revoke-sessions")]
pub async fn revoke_sessions(
    caller: Administering,
    req: HttpRequest,
    state: web::Data<AppState>,
    sessions: web::Data<SessionStore>,
    path: web::Path<i64>,
) -> Result<web::Json<SessionsRevoked>, ApiError> {
    let admin = caller.admin;
    let caller = caller_of(&req, caller.principal, &state);
    let ended = accounts::revoke_sessions(
        &state.db,
        &caller.audit_actor(),
        admin,
        path.into_inner(),
        state.clock.now(),
    )
    .await?;
    let count = ended.len();
    sessions.announce_ended(ended);
    Ok(web::Json(SessionsRevoked { ended: count }))
}

/// Mail the account a one-time link that sets a new password (`auth.password_reset_ttl_secs`;
/// earlier links stop working). Audited.
#[utoipa::path(
    tag = "directory", security(("bearer" = [])),
    params(("user_id" = i64, Path)),
    responses(
        (status = 202, description = "the link is queued for mail", body = ResetSent),
        (status = 403, description = "`forbidden`: administrators only", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`conflict`: the account has no e-mail address", body = ErrorBody),
    )
)]
#[post("/users/{user_id}/password-reset")]
pub async fn send_password_reset(
    caller: Administering,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let admin = caller.admin;
    let caller = caller_of(&req, caller.principal, &state);
    let sent = accounts::send_password_reset(
        &state.db,
        &caller.audit_actor(),
        admin,
        &state.password_resets,
        path.into_inner(),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Accepted().json(sent))
}

/// The most people one `GET /people` answers.
const MAX_PEOPLE: usize = 200;

/// Who someone is, as others see them: never their username, e-mail or anything else.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonView {
    pub id: i64,
    pub display_name: String,
    pub role: Role,
    /// Their tenant, for tenant roles.
    pub tenant_id: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
pub struct PeopleQuery {
    /// Comma-separated user ids (at most 200): the people records name, disabled ones
    /// included.
    pub ids: Option<String>,
    /// Enabled people of this role (at most 200), e.g. to choose a delegate.
    pub role: Option<Role>,
}

/// People's names, by `ids` or by `role` (one of the two). Bureau staff and suppliers may
/// know everyone; a tenant user knows bureau staff, suppliers and their own tenant's users.
/// Ids the caller may not know, or that do not exist, are left out.
#[utoipa::path(
    tag = "directory", security(("bearer" = [])),
    params(PeopleQuery),
    responses(
        (status = 200, body = [PersonView]),
        (status = 400, description = "`bad_request`: neither or both of `ids` and `role`, an id that is not a number, more than 200 ids", body = ErrorBody),
        (status = 401, body = ErrorBody),
    )
)]
#[get("/people")]
pub async fn list_people(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<PeopleQuery>,
) -> Result<web::Json<Vec<PersonView>>, ApiError> {
    let scope = principal.people_scope();
    let found = match query.into_inner() {
        PeopleQuery {
            ids: Some(ids),
            role: None,
        } => directory::people_by_ids(&state.db, scope, &parse_user_ids(&ids)?).await?,
        PeopleQuery {
            ids: None,
            role: Some(role),
        } => directory::people_with_role(&state.db, scope, role, MAX_PEOPLE as u64).await?,
        _ => {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                "give either ids or role",
            ))
        }
    };
    Ok(web::Json(
        found
            .into_iter()
            .filter_map(|model| {
                Some(PersonView {
                    role: Role::parse(&model.role)?,
                    id: model.id,
                    display_name: model.display_name,
                    tenant_id: model.tenant_id,
                })
            })
            .collect(),
    ))
}

/// `1,2,3` into ids: 1 to 200 of them, each a number.
fn parse_user_ids(text: &str) -> Result<Vec<i64>, ApiError> {
    let ids = text
        .split(',')
        .map(|id| {
            id.trim().parse::<i64>().map_err(|_| {
                ApiError::new(ErrorCode::BadRequest, format!("{id:?} is not a user id"))
            })
        })
        .collect::<Result<Vec<i64>, ApiError>>()?;
    if ids.len() > MAX_PEOPLE {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            format!("at most {MAX_PEOPLE} ids"),
        ));
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_numbers_and_at_most_two_hundred() {
        assert_eq!(parse_user_ids("3").unwrap(), vec![3]);
        assert_eq!(parse_user_ids("1, 2,3").unwrap(), vec![1, 2, 3]);
        for refused in ["", "1,", "a", "1;2", "1,,2"] {
            assert!(parse_user_ids(refused).is_err(), "{refused:?}");
        }
        let two_hundred: Vec<String> = (1..=200).map(|id| id.to_string()).collect();
        assert_eq!(parse_user_ids(&two_hundred.join(",")).unwrap().len(), 200);
        let too_many: Vec<String> = (1..=201).map(|id| id.to_string()).collect();
        assert!(parse_user_ids(&too_many.join(",")).is_err());
    }
}
