//! The `users` table: accounts, their role and, for tenant roles, their tenant.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// Argon2id PHC string; never leaves the identity module.
    pub password_hash: String,
    /// One of `identity::Role`'s names.
    pub role: String,
    /// Set for tenant roles, empty for bureau roles and suppliers.
    pub tenant_id: Option<i64>,
    /// A disabled user cannot log in and its sessions stop working.
    pub disabled: bool,
    pub created_at: ChronoDateTimeUtc,
    /// Set when the account was deleted: it stays for the records that name it, disabled,
    /// listed nowhere, its name not given again.
    pub deleted_at: Option<ChronoDateTimeUtc>,
    /// Where the account signs in: `local` (its password here), `oidc` or `ldap`.
    pub auth_source: String,
    /// Who the account is at its source: the OIDC issuer and subject, or the LDAP DN.
    pub external_subject: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
