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
