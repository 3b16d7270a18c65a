//! Usernames and tenant codes, parsed at the edge: once one exists it is valid.

/// 3 to 64 characters of lowercase ASCII letters, digits, `.`, `_` and `-`, starting with a
/// letter or digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Username, String> {
        let valid_chars = raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        let starts_well = raw
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        if (3..=64).contains(&raw.len()) && valid_chars && starts_well {
            Ok(Username(raw.to_owned()))
        } else {
            Err(format!(
                "invalid username {raw:?}: use 3 to 64 lowercase letters, digits, '.', '_' or '-'"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 2 to 32 characters of lowercase ASCII letters, digits and `-`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantCode(String);

impl TenantCode {
    pub fn parse(raw: &str) -> Result<TenantCode, String> {
        let valid_chars = raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        let starts_well = raw.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        if (2..=32).contains(&raw.len()) && valid_chars && starts_well {
            Ok(TenantCode(raw.to_owned()))
        } else {
            Err(format!(
                "invalid tenant code {raw:?}: use 2 to 32 lowercase letters, digits or '-', starting with a letter"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for ok in ["admin", "edu-dev", "li.wei_2", "007"] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "ab",
            "Admin",
            "-x1",
            "名字名字",
            "a b c",
            &"x".repeat(65),
        ] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tenant_codes() {
        for ok in ["edu", "health", "transport-2"] {
            assert!(TenantCode::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "e", "1edu", "Edu", "edu_x", &"e".repeat(33)] {
            assert!(TenantCode::parse(bad).is_err(), "{bad}");
        }
    }
}
