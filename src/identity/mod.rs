//! Identity and tenancy: who is calling, and what they may see.
//!
//! # Layout
//! - [`role`] and [`names`]: the parsed domain types (roles, usernames, tenant codes).
//! - [`password`] and [`token`]: argon2 hashing, random bearer tokens stored as SHA-256.
//! - [`throttle`]: the failed-login delays per name at an address and per address, shared
//!   by every node through the database.
//! - [`sessions`]: login, logout, token and WebSocket-ticket checks against the database.
//! - [`principal`]: the authenticated caller, the tenant scope every query applies, and
//!   whose names it may learn.
//! - [`extract`]: actix extractors, so that a handler states its policy in its signature.
//! - [`display_keys`]: the command-center wall's login, a named revocable key.
//! - [`directory`]: tenants and users (create, list, people's names by id or role), shared
//!   by the API and the CLI.
//! - [`revocation`]: ending an account's sessions inside another change's transaction.
//! - [`accounts`]: user administration (change, disable, delete, end sessions, password
//!   reset links), audited, for the API and the CLI.
//! - [`settings`]: the `auth` section of the settings (sessions, throttling, sign-on).

pub mod accounts;
pub mod directory;
pub mod display_keys;
mod error;
pub mod names;
pub mod password;
pub mod principal;
pub mod revocation;
pub mod role;
pub mod sessions;
pub mod settings;
pub mod sso;
pub mod throttle;
pub mod token;

pub use error::IdentityError;
pub use principal::{PeopleScope, Principal};
pub use role::Role;
