//! Sealing small secrets at rest: the SNMP credentials of devices and the API credentials of
//! cloud platforms are stored only sealed, and opened only where they are used (the poller,
//! cloud sync).
//!
//! A sealed value is `v1:` followed by base64 of a random 24-byte nonce and the
//! XChaCha20-Poly1305 ciphertext; the purpose (`device.snmp_credentials`, ...) is bound as
//! associated data, so that a value sealed for one column does not open as another. The key
//! is `secrets.credential_key` (base64 of 32 bytes); when that is unset, `credential.key` under
//! `server.data_dir` is created once (mode 0600) and reused. Several nodes must share one key:
//! set `secrets.credential_key` on all of them.
//!
//! Leaves to others: what is sealed (callers give bytes or a serializable value) and keeping
//! opened values out of logs and answers (they come back in secret wrappers).

use std::fmt;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The key that seals device and cloud credentials at rest (the `secrets` section of the settings).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SecretsSettings {
    /// Base64 of 32 random bytes (`openssl rand -base64 32`). Unset: `credential.key` under
    /// `server.data_dir`, created on first start. Nodes sharing a database need the same key.
    pub credential_key: Option<SecretString>,
}

/// The prefix of the current format; a new format gets a new prefix.
const VERSION_PREFIX: &str = "v1:";
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;
/// The key file's name under `server.data_dir`.
pub const KEY_FILE_NAME: &str = "credential.key";

/// Seals and opens with one key. Cheap to clone; its `Debug` never shows the key.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

/// A sealed value that does not open: another key, another purpose, altered or not sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenError(pub &'static str);

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot open a sealed secret: {}", self.0)
    }
}

impl std::error::Error for OpenError {}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer { key: [redacted] }")
    }
}

impl Sealer {
    pub fn from_key(key: &[u8; KEY_LEN]) -> Sealer {
        Sealer {
            cipher: XChaCha20Poly1305::new(key.into()),
        }
    }

    /// The configured key, or the key file under `data_dir` (created on first use).
    pub fn from_settings(settings: &SecretsSettings, data_dir: &Path) -> anyhow::Result<Sealer> {
        let encoded = match settings
            .credential_key
            .as_ref()
            .filter(|key| !key.expose_secret().trim().is_empty())
        {
            Some(key) => key.expose_secret().trim().to_owned(),
            None => read_or_create_key_file(&data_dir.join(KEY_FILE_NAME))?,
        };
        let key = decode_key(&encoded).context("invalid secrets.credential_key")?;
        Ok(Sealer::from_key(&key))
    }

    /// Seals `plaintext` for `purpose`.
    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: purpose.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any message below 256 GiB");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        format!("{VERSION_PREFIX}{}", BASE64.encode(sealed))
    }

    /// Opens what [`Sealer::seal`] sealed for the same purpose.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<SecretBox<Vec<u8>>, OpenError> {
        let encoded = sealed
            .strip_prefix(VERSION_PREFIX)
            .ok_or(OpenError("unknown format"))?;
        let bytes = BASE64
            .decode(encoded)
            .map_err(|_| OpenError("not base64"))?;
        if bytes.len() < NONCE_LEN {
            return Err(OpenError("too short"));
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plaintext = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| OpenError("wrong key or purpose, or altered"))?;
        Ok(SecretBox::new(Box::new(plaintext)))
    }

    /// Seals `value` as JSON.
    pub fn seal_json<T: Serialize>(&self, purpose: &str, value: &T) -> anyhow::Result<String> {
        let json = serde_json::to_vec(value).context("serializing a secret")?;
        Ok(self.seal(purpose, &json))
    }

    /// Opens a value sealed by [`Sealer::seal_json`].
    pub fn open_json<T: DeserializeOwned>(&self, purpose: &str, sealed: &str) -> anyhow::Result<T> {
        let plaintext = self.open(purpose, sealed)?;
        // The parse error names no content: serde_json reports positions, not values.
        serde_json::from_slice(plaintext.expose_secret()).context("reading an opened secret")
    }
}

fn decode_key(encoded: &str) -> anyhow::Result<[u8; KEY_LEN]> {
    let bytes = BASE64.decode(encoded).context("the key is not base64")?;
    bytes.try_into().map_err(|bytes: Vec<u8>| {
        anyhow::anyhow!("the key has {} bytes, not {KEY_LEN}", bytes.len())
    })
}

/// Reads the key file, or creates it with a fresh key readable by its owner only. Two nodes
/// starting at once on one data dir both end up with the file the first one wrote.
fn read_or_create_key_file(path: &Path) -> anyhow::Result<String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut key = [0u8; KEY_LEN];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let encoded = BASE64.encode(key);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(encoded.as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
            tracing::info!(path = %path.display(), "created the credential key file");
            Ok(encoded)
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            let contents = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Ok(contents.trim().to_owned())
        }
        Err(error) => Err(error).with_context(|| format!("creating {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_purpose() {
        let sealer = Sealer::from_key(&[7; KEY_LEN]);
        let sealed = sealer.seal("device.snmp_credentials", b"public-c0mmunity");
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("c0mmunity"));
        // A fresh nonce each time.
        assert_ne!(
            sealed,
            sealer.seal("device.snmp_credentials", b"public-c0mmunity")
        );
        let opened = sealer.open("device.snmp_credentials", &sealed).unwrap();
        assert_eq!(opened.expose_secret().as_slice(), b"public-c0mmunity");

        let other_key = Sealer::from_key(&[8; KEY_LEN]);
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        let table = [
            (&sealer, "cloud_platform.credentials", sealed.as_str()),
            (&other_key, "device.snmp_credentials", sealed.as_str()),
            (&sealer, "device.snmp_credentials", altered.as_str()),
            (&sealer, "device.snmp_credentials", "public-c0mmunity"),
            (&sealer, "device.snmp_credentials", "v1:!!"),
            (&sealer, "device.snmp_credentials", "v1:AAAA"),
        ];
        for (sealer, purpose, sealed) in table {
            assert!(sealer.open(purpose, sealed).is_err(), "{purpose} {sealed}");
        }
        assert!(!format!("{sealer:?}").contains('7'));
    }

    #[test]
    fn the_key_comes_from_settings_or_from_a_private_file_created_once() {
        let dir = tempfile_dir();
        let from_file = Sealer::from_settings(&SecretsSettings::default(), &dir).unwrap();
        let path = dir.join(KEY_FILE_NAME);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let sealed = from_file.seal("p", b"x");
        let again = Sealer::from_settings(&SecretsSettings::default(), &dir).unwrap();
        assert!(again.open("p", &sealed).is_ok());

        let configured = SecretsSettings {
            credential_key: Some(SecretString::from(BASE64.encode([9u8; KEY_LEN]))),
        };
        let sealer = Sealer::from_settings(&configured, &dir).unwrap();
        assert!(sealer.open("p", &sealed).is_err());
        let short = SecretsSettings {
            credential_key: Some(SecretString::from(BASE64.encode([9u8; 16]))),
        };
        assert!(Sealer::from_settings(&short, &dir).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let mut suffix = [0u8; 8];
        rand::rngs::OsRng.fill_bytes(&mut suffix);
        let dir = std::env::temp_dir().join(format!(
            "yunguan-secrets-{}",
            suffix
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
