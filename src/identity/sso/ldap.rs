//! Checking a password against the directory: look the user up as the service account,
//! bind as the user with the password typed (the directory decides), then read their groups
//! as the service account. Every step is bounded by `auth.ldap.timeout_ms`: a directory that
//! is down or silent answers `service_unavailable` at once, never a hung login.

use std::time::Duration;

use ldap3::{ldap_escape, LdapConnAsync, LdapConnSettings, LdapError, Scope, SearchEntry};
use secrecy::{ExposeSecret, SecretString};

use super::{ExternalIdentity, Source};
use crate::identity::settings::LdapSettings;
use crate::identity::IdentityError;

/// LDAP's result code for wrong credentials.
const INVALID_CREDENTIALS: u32 = 49;

pub struct Directory {
    settings: LdapSettings,
    timeout: Duration,
}

/// What the directory said of a password.
pub enum Verdict {
    Valid(ExternalIdentity),
    /// No such user, or the wrong password.
    Invalid,
}

impl Directory {
    pub fn new(settings: LdapSettings) -> Directory {
        let timeout = Duration::from_millis(settings.timeout_ms.max(1));
        Directory { settings, timeout }
    }

    pub async fn check(
        &self,
        username: &str,
        password: &SecretString,
    ) -> Result<Verdict, IdentityError> {
        // An empty password makes a simple bind "unauthenticated", which directories accept
        // for any DN (RFC 4513 5.1.2): it must never count as a correct one.
        if password.expose_secret().is_empty() || username.is_empty() {
            return Ok(Verdict::Invalid);
        }
        match tokio::time::timeout(self.timeout * 4, self.look_up(username, password)).await {
            Ok(result) => result.map_err(unavailable),
            Err(_) => Err(unavailable(format!(
                "no answer within {} ms",
                (self.timeout * 4).as_millis()
            ))),
        }
    }

    async fn look_up(&self, username: &str, password: &SecretString) -> Result<Verdict, String> {
        let s = &self.settings;
        let mut service = self.connect().await?;
        service
            .with_timeout(self.timeout)
            .simple_bind(&s.bind_dn, s.bind_password.expose_secret())
            .await
            .and_then(|result| result.success())
            .map_err(|e| format!("the service account cannot bind: {e}"))?;
        let filter = s.user_filter.replace("{username}", &ldap_escape(username));
        let mut attributes = vec![
            s.display_name_attribute.as_str(),
            s.email_attribute.as_str(),
            "cn",
        ];
        if let Some(tenant) = &s.tenant_attribute {
            attributes.push(tenant.as_str());
        }
        let (found, _) = service
            .with_timeout(self.timeout)
            .search(&s.user_base, Scope::Subtree, &filter, attributes)
            .await
            .and_then(|result| result.success())
            .map_err(|e| format!("searching for the user: {e}"))?;
        // No entry, or several (an ambiguous filter): nobody to sign in.
        let mut found = found.into_iter();
        let (Some(entry), None) = (found.next(), found.next()) else {
            let _ = service.unbind().await;
            return Ok(Verdict::Invalid);
        };
        let entry = SearchEntry::construct(entry);

        // The password is the directory's to judge: bind as the user on a second connection.
        let mut user = self.connect().await?;
        let bound = user
            .with_timeout(self.timeout)
            .simple_bind(&entry.dn, password.expose_secret())
            .await
            .and_then(|result| result.success());
        let _ = user.unbind().await;
        match bound {
            Ok(_) => {}
            Err(LdapError::LdapResult { result }) if result.rc == INVALID_CREDENTIALS => {
                let _ = service.unbind().await;
                return Ok(Verdict::Invalid);
            }
            Err(e) => return Err(format!("binding as the user: {e}")),
        }

        let group_filter = s
            .group_filter
            .replace("{dn}", &ldap_escape(entry.dn.as_str()));
        let (groups, _) = service
            .with_timeout(self.timeout)
            .search(
                &s.group_base,
                Scope::Subtree,
                &group_filter,
                vec![s.group_attribute.as_str()],
            )
            .await
            .and_then(|result| result.success())
            .map_err(|e| format!("searching for the user's groups: {e}"))?;
        let _ = service.unbind().await;
        let groups = groups
            .into_iter()
            .filter_map(|group| {
                SearchEntry::construct(group)
                    .attrs
                    .remove(&s.group_attribute)
                    .and_then(|values| values.into_iter().next())
            })
            .collect();
        let first = |attribute: &str| {
            entry
                .attrs
                .get(attribute)
                .and_then(|values| values.first())
                .cloned()
        };
        Ok(Verdict::Valid(ExternalIdentity {
            source: Source::Ldap,
            subject: entry.dn.clone(),
            username: username.to_owned(),
            display_name: first(&s.display_name_attribute)
                .or_else(|| first("cn"))
                .unwrap_or_else(|| username.to_owned()),
            email_opt: first(&s.email_attribute),
            groups,
            tenant_opt: s.tenant_attribute.as_deref().and_then(first),
        }))
    }

    async fn connect(&self) -> Result<ldap3::Ldap, String> {
        let settings = LdapConnSettings::new()
            .set_conn_timeout(self.timeout)
            .set_starttls(self.settings.starttls);
        let (connection, ldap) = LdapConnAsync::with_settings(settings, &self.settings.url)
            .await
            .map_err(|e| format!("connecting to {}: {e}", self.settings.url))?;
        ldap3::drive!(connection);
        Ok(ldap)
    }
}

fn unavailable(why: String) -> IdentityError {
    tracing::warn!(%why, "the directory is unavailable");
    IdentityError::DirectoryUnavailable
}
