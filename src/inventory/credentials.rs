//! SNMP credentials of a device. They are stored sealed (`crate::secrets`), travel in memory in
//! secret wrappers, and never print: `Debug` shows the version and user only.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthProtocol {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrivProtocol {
    Des,
    Aes128,
    Aes256,
}

/// How to authenticate to an agent.
#[derive(Clone, Deserialize, Serialize)]
#[serde(tag = "version", rename_all = "snake_case")]
pub enum Credentials {
    V2c {
        #[serde(with = "secret_string")]
        community: SecretString,
    },
    /// authPriv: authenticated and encrypted.
    V3 {
        username: String,
        auth_protocol: AuthProtocol,
        #[serde(with = "secret_string")]
        auth_password: SecretString,
        priv_protocol: PrivProtocol,
        #[serde(with = "secret_string")]
        priv_password: SecretString,
    },
}

impl Credentials {
    pub fn v2c(community: &str) -> Credentials {
        Credentials::V2c {
            community: SecretString::from(community.to_owned()),
        }
    }

    pub fn version(&self) -> &'static str {
        match self {
            Credentials::V2c { .. } => "v2c",
            Credentials::V3 { .. } => "v3",
        }
    }

    /// Whether a trap with this community string may come from the device (v2c only).
    pub fn community_is(&self, community: &[u8]) -> bool {
        match self {
            Credentials::V2c { community: own } => own.expose_secret().as_bytes() == community,
            Credentials::V3 { .. } => false,
        }
    }
}

/// The same credentials: monitoring compares a device's stored ones with those it polls with,
/// to renew the session when they change. (`secrecy` has no equality of its own, so that
/// secrets are not compared by accident; this comparison is the purpose.)
impl PartialEq for Credentials {
    fn eq(&self, other: &Credentials) -> bool {
        match (self, other) {
            (Credentials::V2c { community: left }, Credentials::V2c { community: right }) => {
                left.expose_secret() == right.expose_secret()
            }
            (
                Credentials::V3 {
                    username,
                    auth_protocol,
                    auth_password,
                    priv_protocol,
                    priv_password,
                },
                Credentials::V3 {
                    username: other_username,
                    auth_protocol: other_auth_protocol,
                    auth_password: other_auth_password,
                    priv_protocol: other_priv_protocol,
                    priv_password: other_priv_password,
                },
            ) => {
                username == other_username
                    && auth_protocol == other_auth_protocol
                    && priv_protocol == other_priv_protocol
                    && auth_password.expose_secret() == other_auth_password.expose_secret()
                    && priv_password.expose_secret() == other_priv_password.expose_secret()
            }
            _ => false,
        }
    }
}

impl Eq for Credentials {}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::V2c { .. } => f.write_str("Credentials::V2c { community: [redacted] }"),
            Credentials::V3 { username, .. } => {
                write!(
                    f,
                    "Credentials::V3 {{ username: {username:?}, [redacted] }}"
                )
            }
        }
    }
}

/// Secrets are written out only to be sealed, never to a wire type.
mod secret_string {
    use secrecy::{ExposeSecret, SecretString};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        secret: &SecretString,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(secret.expose_secret())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<SecretString, D::Error> {
        String::deserialize(deserializer).map(SecretString::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_equal_when_every_part_is() {
        let v3 = |auth: &str| Credentials::V3 {
            username: "monitor".into(),
            auth_protocol: AuthProtocol::Sha1,
            auth_password: SecretString::from(auth.to_owned()),
            priv_protocol: PrivProtocol::Aes128,
            priv_password: SecretString::from("priv".to_owned()),
        };
        assert_eq!(Credentials::v2c("public"), Credentials::v2c("public"));
        assert_ne!(Credentials::v2c("public"), Credentials::v2c("private"));
        assert_eq!(v3("auth-1"), v3("auth-1"));
        assert_ne!(v3("auth-1"), v3("auth-2"));
        assert_ne!(v3("public"), Credentials::v2c("public"));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let v3 = Credentials::V3 {
            username: "monitor".into(),
            auth_protocol: AuthProtocol::Sha1,
            auth_password: SecretString::from("auth-secret-1".to_owned()),
            priv_protocol: PrivProtocol::Aes128,
            priv_password: SecretString::from("priv-secret-1".to_owned()),
        };
        let printed = format!("{:?} {:?}", v3, Credentials::v2c("c0mmunity"));
        assert!(
            !printed.contains("secret") && !printed.contains("c0mmunity"),
            "{printed}"
        );
        assert!(printed.contains("monitor"));
    }
}
