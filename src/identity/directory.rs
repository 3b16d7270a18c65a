//! Tenants and user accounts: creating and listing them, for the API, the CLI and the demo
//! seed alike. Listing is always scoped by [`TenantScope`]; people's names (by id or role)
//! by [`PeopleScope`].

use anyhow::Context;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Set, SqlErr,
};
use secrecy::SecretString;

use super::names::{TenantCode, Username};
use super::IdentityError;
use super::{password, PeopleScope, Role};
use crate::db::entities::{tenant, user};
use crate::tenancy::TenantScope;

pub struct NewUser {
    pub username: Username,
    pub display_name: String,
    pub email_opt: Option<String>,
    pub password: SecretString,
    pub role: Role,
    /// Required for tenant roles, refused for the others.
    pub tenant_id_opt: Option<i64>,
}

pub async fn create_tenant(
    db: &impl ConnectionTrait,
    code: &TenantCode,
    name: &str,
) -> Result<tenant::Model, IdentityError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(IdentityError::Invalid(
            "tenant name must be 1 to 200 characters".to_owned(),
        ));
    }
    tenant::ActiveModel {
        code: Set(code.as_str().to_owned()),
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => IdentityError::Taken(format!(
            "a tenant with code {:?} already exists",
            code.as_str()
        )),
        _ => err.into(),
    })
}

pub async fn list_tenants(
    db: &impl ConnectionTrait,
    scope: TenantScope,
) -> Result<Vec<tenant::Model>, IdentityError> {
    let query = tenant::Entity::find().order_by_asc(tenant::Column::Id);
    let query = match scope {
        TenantScope::AllTenants => query,
        TenantScope::OneTenant(id) => query.filter(tenant::Column::Id.eq(id)),
        TenantScope::NoTenant => return Ok(Vec::new()),
    };
    Ok(query.all(db).await?)
}

pub async fn find_tenant_by_code(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<tenant::Model>, IdentityError> {
    Ok(tenant::Entity::find()
        .filter(tenant::Column::Code.eq(code))
        .one(db)
        .await?)
}

pub async fn create_user(
    db: &impl ConnectionTrait,
    new: NewUser,
) -> Result<user::Model, IdentityError> {
    let invalid = IdentityError::Invalid;
    if new.role == Role::Display {
        return Err(invalid(
            "display accounts come with display keys (POST /api/v1/display-keys)".to_owned(),
        ));
    }
    match (new.role.is_tenant_role(), new.tenant_id_opt) {
        (true, None) => return Err(invalid(format!("role {} needs a tenant_id", new.role))),
        (false, Some(_)) => {
            return Err(invalid(format!(
                "role {} cannot belong to a tenant",
                new.role
            )))
        }
        _ => {}
    }
    if let Some(tenant_id) = new.tenant_id_opt {
        if tenant::Entity::find_by_id(tenant_id)
            .one(db)
            .await?
            .is_none()
        {
            return Err(invalid(format!("tenant {tenant_id} does not exist")));
        }
    }
    let display_name = display_name(&new.display_name)?;
    if let Some(email) = &new.email_opt {
        validate_email(email)?;
    }
    password::validate_new(&new.password).map_err(invalid)?;
    let secret = new.password;
    let password_hash = actix_web::web::block(move || password::hash(&secret))
        .await
        .context("password hashing did not finish")??;
    user::ActiveModel {
        username: Set(new.username.as_str().to_owned()),
        display_name: Set(display_name),
        email: Set(new.email_opt),
        password_hash: Set(password_hash),
        role: Set(new.role.as_str().to_owned()),
        tenant_id: Set(new.tenant_id_opt),
        disabled: Set(false),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            IdentityError::Taken(format!("user {:?} already exists", new.username.as_str()))
        }
        _ => err.into(),
    })
}

/// A display name as stored: trimmed, 1 to 200 characters.
pub fn display_name(raw: &str) -> Result<String, IdentityError> {
    let display_name = raw.trim();
    if display_name.is_empty() || display_name.chars().count() > 200 {
        return Err(IdentityError::Invalid(
            "display_name must be 1 to 200 characters".to_owned(),
        ));
    }
    Ok(display_name.to_owned())
}

pub fn validate_email(email: &str) -> Result<(), IdentityError> {
    if email.len() > 320 || !email.contains('@') {
        return Err(IdentityError::Invalid(format!("invalid email {email:?}")));
    }
    Ok(())
}

pub async fn list_users(
    db: &impl ConnectionTrait,
    scope: TenantScope,
) -> Result<Vec<user::Model>, IdentityError> {
    // Display accounts are listed as their display keys; deleted accounts nowhere.
    let query = user::Entity::find()
        .filter(user::Column::Role.ne(Role::Display.as_str()))
        .filter(user::Column::DeletedAt.is_null())
        .order_by_asc(user::Column::Id);
    let query = match scope {
        TenantScope::AllTenants => query,
        TenantScope::OneTenant(id) => query.filter(user::Column::TenantId.eq(id)),
        TenantScope::NoTenant => return Ok(Vec::new()),
    };
    Ok(query.all(db).await?)
}

/// Which users `scope` lets the caller know, as a condition; `None`: everyone.
fn known_people(scope: PeopleScope) -> Option<Condition> {
    let staff_and_suppliers: Vec<&str> = Role::ALL
        .into_iter()
        .filter(|role| !role.is_tenant_role() && *role != Role::Display)
        .map(Role::as_str)
        .collect();
    let staff_and_suppliers = user::Column::Role.is_in(staff_and_suppliers);
    match scope {
        PeopleScope::Everyone => None,
        PeopleScope::StaffSuppliersAndTenant(tenant_id) => Some(
            Condition::any()
                .add(staff_and_suppliers)
                .add(user::Column::TenantId.eq(tenant_id)),
        ),
        PeopleScope::StaffAndSuppliers => Some(Condition::all().add(staff_and_suppliers)),
    }
}

/// The users with these ids that `scope` lets the caller know, disabled ones included (old
/// records name them), by id; the others are left out.
pub async fn people_by_ids(
    db: &impl ConnectionTrait,
    scope: PeopleScope,
    ids: &[i64],
) -> Result<Vec<user::Model>, IdentityError> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .apply_if(known_people(scope), |query, known| query.filter(known))
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?)
}

/// Up to `limit` enabled users of `role` that `scope` lets the caller know, by id.
pub async fn people_with_role(
    db: &impl ConnectionTrait,
    scope: PeopleScope,
    role: Role,
    limit: u64,
) -> Result<Vec<user::Model>, IdentityError> {
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(role.as_str()))
        .filter(user::Column::Disabled.eq(false))
        .apply_if(known_people(scope), |query, known| query.filter(known))
        .order_by_asc(user::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn find_user_by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<user::Model>, IdentityError> {
    Ok(user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await?)
}

pub async fn set_password(
    db: &impl ConnectionTrait,
    user: user::Model,
    new_password: SecretString,
) -> Result<(), IdentityError> {
    password::validate_new(&new_password).map_err(IdentityError::Invalid)?;
    let password_hash = actix_web::web::block(move || password::hash(&new_password))
        .await
        .context("password hashing did not finish")??;
    let mut active: user::ActiveModel = user.into();
    active.password_hash = Set(password_hash);
    active.update(db).await?;
    Ok(())
}
