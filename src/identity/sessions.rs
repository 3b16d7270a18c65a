//! Logins and what they grant: bearer tokens (hashed, expiring, revocable) and single-use
//! WebSocket tickets. Every check of a credential goes through [`SessionStore`].

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use secrecy::SecretString;

use super::settings::{AuthSettings, RoleRule};
use super::sso::ldap::{Directory, Verdict};
use super::sso::{provision, Source};
use super::throttle::{Keys, LoginThrottle};
use super::IdentityError;
use super::{password, token, Principal, Role};
use crate::clock::Clock;
use crate::db::entities::{session, user, ws_ticket};

/// The longest username that can exist.
const MAX_USERNAME_BYTES: usize = 64;

/// Password checks allowed at once (each holds 19 MiB while it runs).
const MAX_CONCURRENT_HASHES: usize = 4;

pub struct SessionStore {
    db: DatabaseConnection,
    token_ttl: Duration,
    ws_ticket_ttl: Duration,
    throttle: LoginThrottle,
    clock: Clock,
    /// Bounds concurrent password checks (memory and CPU), whatever the request rate.
    hashing: tokio::sync::Semaphore,
    /// Sessions ended on this node (logout, a revoked display key): their sockets close at
    /// once. Other nodes' sockets notice at their node's next periodic check
    /// (`ws::logins`).
    ended: tokio::sync::broadcast::Sender<i64>,
    /// Checks the passwords of accounts that are not local, when a directory is configured.
    directory_opt: Option<Directory>,
    /// What signed-in users' groups give (`auth.role_mapping`).
    role_mapping: Vec<RoleRule>,
}

/// How many ended sessions a socket may fall behind on before it checks its own instead.
const ENDED_BACKLOG: usize = 64;

/// What a successful login returns.
pub struct Login {
    pub token: String,
    pub expires_at: chrono::DateTime<Utc>,
    pub principal: Principal,
}

impl SessionStore {
    /// `clock` times the login delays (tests advance a manual one).
    pub fn new(db: DatabaseConnection, settings: &AuthSettings, clock: Clock) -> Self {
        SessionStore {
            db: db.clone(),
            clock,
            token_ttl: settings.token_ttl(),
            ws_ticket_ttl: settings.ws_ticket_ttl(),
            throttle: LoginThrottle::new(db.clone(), settings),
            hashing: tokio::sync::Semaphore::new(MAX_CONCURRENT_HASHES),
            ended: tokio::sync::broadcast::channel(ENDED_BACKLOG).0,
            directory_opt: settings.ldap.clone().map(Directory::new),
            role_mapping: settings.role_mapping.clone(),
        }
    }

    /// Checks the password and opens a session. Wrong username, wrong password and a
    /// disabled account all answer `invalid_credentials`, after the same amount of work.
    /// With a directory configured, a name with no local account (or an account that came
    /// from the directory) is checked there instead, and signed in by its groups.
    #[tracing::instrument(skip(self, password), fields(username = %username))]
    pub async fn login(
        &self,
        username: &str,
        password: SecretString,
        client_addr_opt: Option<IpAddr>,
    ) -> Result<Login, IdentityError> {
        if username.len() > MAX_USERNAME_BYTES {
            // No account has such a name (see `names::Username`); refusing it here keeps
            // oversized names out of the throttle's memory.
            return Err(IdentityError::WrongCredentials);
        }
        let address = client_addr_opt.map(|a| a.to_string()).unwrap_or_default();
        let keys = Keys::new(username, &address);
        if let Some(wait) = self.throttle.check(&keys, self.clock.now()).await? {
            tracing::warn!(%address, wait_secs = wait.as_secs_f64(), "login throttled");
            let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
            return Err(IdentityError::Throttled(seconds));
        }

        self.throttle
            .record_attempt(&keys, self.clock.now())
            .await?;
        let user_opt = user::Entity::find()
            .filter(user::Column::Username.eq(username))
            .one(&self.db)
            .await?;
        if let Some(directory) = &self.directory_opt {
            let local = user_opt
                .as_ref()
                .is_some_and(|user| user.auth_source != Source::Ldap.as_str());
            if !local {
                return self
                    .login_by_directory(directory, username, &password, &keys, client_addr_opt)
                    .await;
            }
        }
        let stored_hash = user_opt
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| password::decoy_hash().to_owned());
        // At most a few hashes at once: each takes 19 MiB and a core for tens of milliseconds.
        let _permit = self
            .hashing
            .acquire()
            .await
            .context("the hashing semaphore is closed")?;
        let matches = actix_web::web::block(move || password::verify(&password, &stored_hash))
            .await
            .context("password check did not finish")?;

        let user = match user_opt {
            // A display account has no password; it logs in with its display key.
            Some(user) if matches && !user.disabled && user.role != Role::Display.as_str() => user,
            _ => {
                return Err(IdentityError::WrongCredentials);
            }
        };
        self.throttle.record_success(&keys).await?;
        self.open(&user, client_addr_opt).await
    }

    async fn login_by_directory(
        &self,
        directory: &Directory,
        username: &str,
        password: &SecretString,
        keys: &Keys,
        client_addr_opt: Option<IpAddr>,
    ) -> Result<Login, IdentityError> {
        let Verdict::Valid(identity) = directory.check(username, password).await? else {
            return Err(IdentityError::WrongCredentials);
        };
        self.throttle.record_success(keys).await?;
        self.sign_in(&identity, client_addr_opt).await
    }

    /// Opens a session for a user the identity provider vouched for, with the role their
    /// groups give now; ends their other sessions if that changed (see `sso::provision`).
    pub async fn sign_in(
        &self,
        identity: &super::sso::ExternalIdentity,
        client_addr_opt: Option<IpAddr>,
    ) -> Result<Login, IdentityError> {
        match provision::sign_in(&self.db, &self.role_mapping, identity, self.clock.now()).await {
            Ok(signed_in) => {
                self.announce_ended(signed_in.ended_sessions);
                self.open(&signed_in.account, client_addr_opt).await
            }
            Err(refused) => {
                self.announce_ended(refused.ended_sessions);
                Err(refused.error)
            }
        }
    }

    /// Opens a session for `user`, whose credential the caller has checked.
    pub async fn open(
        &self,
        user: &user::Model,
        client_addr_opt: Option<IpAddr>,
    ) -> Result<Login, IdentityError> {
        let token = token::random_token();
        let now = Utc::now();
        let expires_at = now + chrono::Duration::from_std(self.token_ttl).context("token ttl")?;
        let session = session::ActiveModel {
            token_hash: Set(token::token_hash(&token)),
            user_id: Set(user.id),
            client_addr: Set(client_addr_opt.map(|a| a.to_string())),
            created_at: Set(now),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        tracing::info!(user_id = user.id, session_id = session.id, "session opened");
        Ok(Login {
            token,
            expires_at,
            principal: principal_of(user, session.id)?,
        })
    }

    /// The caller behind a bearer token, if the token is live.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal, IdentityError> {
        let found = session::Entity::find()
            .filter(session::Column::TokenHash.eq(token::token_hash(bearer)))
            .find_also_related(user::Entity)
            .one(&self.db)
            .await?;
        match found {
            Some((session, Some(user))) => live_principal(&session, &user),
            _ => Err(IdentityError::InvalidToken),
        }
    }

    /// Which of `session_ids` still grant access: not revoked, not expired, their user
    /// enabled. The node's open sockets are checked with this, one query per thousand.
    pub async fn live_among(&self, session_ids: &[i64]) -> Result<HashSet<i64>, IdentityError> {
        let mut live = HashSet::new();
        for chunk in session_ids.chunks(1_000) {
            let found = session::Entity::find()
                .filter(session::Column::Id.is_in(chunk.iter().copied()))
                .find_also_related(user::Entity)
                .all(&self.db)
                .await?;
            live.extend(found.into_iter().filter_map(|(session, user)| {
                let user = user?;
                live_principal(&session, &user).ok().map(|_| session.id)
            }));
        }
        Ok(live)
    }

    pub async fn logout(&self, principal: &Principal) -> Result<(), IdentityError> {
        session::ActiveModel {
            id: Set(principal.session_id),
            revoked_at: Set(Some(Utc::now())),
            ..Default::default()
        }
        .update(&self.db)
        .await?;
        ws_ticket::Entity::delete_many()
            .filter(ws_ticket::Column::SessionId.eq(principal.session_id))
            .exec(&self.db)
            .await?;
        tracing::info!(
            user_id = principal.user_id,
            session_id = principal.session_id,
            "user logged out"
        );
        self.announce_ended([principal.session_id]);
        Ok(())
    }

    /// Tells this node's sockets that these sessions ended, so that theirs close now.
    pub fn announce_ended(&self, session_ids: impl IntoIterator<Item = i64>) {
        for session_id in session_ids {
            // No receiver: no socket open on this node.
            let _ = self.ended.send(session_id);
        }
    }

    /// Sessions ended from now on (see [`SessionStore::announce_ended`]).
    pub fn endings(&self) -> tokio::sync::broadcast::Receiver<i64> {
        self.ended.subscribe()
    }

    /// A ticket that opens one WebSocket as `principal` within the ticket TTL.
    pub async fn issue_ws_ticket(&self, principal: &Principal) -> Result<String, IdentityError> {
        let now = Utc::now();
        ws_ticket::Entity::delete_many()
            .filter(ws_ticket::Column::ExpiresAt.lt(now))
            .exec(&self.db)
            .await?;
        let ticket = token::random_token();
        ws_ticket::ActiveModel {
            ticket_hash: Set(token::token_hash(&ticket)),
            session_id: Set(principal.session_id),
            expires_at: Set(
                now + chrono::Duration::from_std(self.ws_ticket_ttl).context("ticket ttl")?
            ),
        }
        .insert(&self.db)
        .await?;
        Ok(ticket)
    }

    /// Spends a ticket: it works once, before it expires, while its session is live.
    pub async fn redeem_ws_ticket(&self, ticket: &str) -> Result<Principal, IdentityError> {
        let invalid = || IdentityError::InvalidWsTicket;
        let hash = token::token_hash(ticket);
        let Some(found) = ws_ticket::Entity::find_by_id(hash.clone())
            .one(&self.db)
            .await?
        else {
            return Err(invalid());
        };
        // Whoever deletes the row spends the ticket; a concurrent second redeem deletes nothing.
        let deleted = ws_ticket::Entity::delete_by_id(hash).exec(&self.db).await?;
        if deleted.rows_affected != 1 || found.expires_at <= Utc::now() {
            return Err(invalid());
        }
        let Some((session, Some(user))) = session::Entity::find_by_id(found.session_id)
            .find_also_related(user::Entity)
            .one(&self.db)
            .await?
        else {
            return Err(invalid());
        };
        live_principal(&session, &user).map_err(|_| invalid())
    }
}

fn live_principal(
    session: &session::Model,
    user: &user::Model,
) -> Result<Principal, IdentityError> {
    if session.revoked_at.is_some() || session.expires_at <= Utc::now() || user.disabled {
        return Err(IdentityError::InvalidToken);
    }
    principal_of(user, session.id)
}

fn principal_of(user: &user::Model, session_id: i64) -> Result<Principal, IdentityError> {
    let role = Role::parse(&user.role).ok_or_else(|| {
        IdentityError::Internal(anyhow::anyhow!(
            "user {} has unknown role {:?}",
            user.id,
            user.role
        ))
    })?;
    Ok(Principal {
        user_id: user.id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role,
        tenant_id_opt: user.tenant_id,
        session_id,
    })
}
