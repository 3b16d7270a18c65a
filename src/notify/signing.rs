//! The signatures receivers check (pure).
//!
//! - A webhook gets `X-Yunguan-Timestamp` (Unix seconds) and `X-Yunguan-Signature:
//!   sha256=<hex>`, the HMAC-SHA256 under the channel's secret of `"{timestamp}.{body}"`. The
//!   timestamp is signed with the body, so a receiver that refuses old timestamps refuses a
//!   replayed post.
//! - A DingTalk robot with 加签 (signing) gets `timestamp` (Unix milliseconds) and `sign`
//!   query parameters: base64 of the HMAC-SHA256 under the secret of `"{timestamp}\n{secret}"`,
//!   as DingTalk's documentation for custom robots gives it. DingTalk refuses a timestamp more
//!   than an hour old, so posts are signed when sent, not when queued.
//! - WeCom group robots sign nothing: the `key` in their address is the secret.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub const WEBHOOK_TIMESTAMP_HEADER: &str = "X-Yunguan-Timestamp";
pub const WEBHOOK_SIGNATURE_HEADER: &str = "X-Yunguan-Signature";

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC takes a key of any length.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts every key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// The value of `X-Yunguan-Signature` for `body` posted at `timestamp_secs`.
pub fn webhook_signature(secret: &str, timestamp_secs: i64, body: &[u8]) -> String {
    let timestamp = timestamp_secs.to_string();
    let digest = hmac_sha256(secret.as_bytes(), &[timestamp.as_bytes(), b".", body]);
    let mut hex = String::with_capacity(7 + digest.len() * 2);
    hex.push_str("sha256=");
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// DingTalk's `sign` for `timestamp_ms`, before URL encoding.
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    let string_to_sign = format!("{timestamp_ms}\n{secret}");
    BASE64.encode(hmac_sha256(secret.as_bytes(), &[string_to_sign.as_bytes()]))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The expected values were computed with Python's hmac, hashlib and base64, apart from
    // this code.

    #[test]
    fn a_webhook_signature_is_the_hmac_of_timestamp_dot_body() {
        assert_eq!(
            webhook_signature("whsec", 1_733_500_000, br#"{"a":1}"#),
            "sha256=67b7783e1d1ceb4ad659cd40d7dab228edd6f41628c63b2035796caa3320ee34"
        );
    }

    #[test]
    fn a_dingtalk_sign_is_base64_of_the_hmac_of_timestamp_newline_secret() {
        assert_eq!(
            dingtalk_sign("SEC000test", 1_733_500_000_000),
            "DPBNKACdan3DVpD1MIK9cru4BLjom84vbVt1Fbkg3y0="
        );
    }
}
