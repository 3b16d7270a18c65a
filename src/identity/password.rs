//! Password hashing with Argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes).
//!
//! Hashing is deliberately slow, so callers run it on a blocking thread.

use anyhow::Context;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use secrecy::{ExposeSecret, SecretString};

/// The shortest password accepted for a new account.
pub const MIN_PASSWORD_LEN: usize = 8;

pub fn hash(password: &SecretString) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("hashing a password")?;
    Ok(hash.to_string())
}

/// True when `password` matches `stored`. A malformed stored hash never matches.
pub fn verify(password: &SecretString, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A valid hash of a password nobody knows, verified against when the user does not exist
/// so that a login for an unknown name takes as long as one with a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let random = super::token::random_token();
        hash(&SecretString::from(random)).unwrap_or_default()
    })
}

pub fn validate_new(password: &SecretString) -> Result<(), String> {
    if password.expose_secret().chars().count() < MIN_PASSWORD_LEN {
        return Err(format!(
            "password must be at least {MIN_PASSWORD_LEN} characters"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash(&SecretString::from("correct horse")).unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(&SecretString::from("correct horse"), &stored));
        assert!(!verify(&SecretString::from("wrong horse"), &stored));
        assert!(!verify(&SecretString::from("correct horse"), "not a hash"));
    }
}
