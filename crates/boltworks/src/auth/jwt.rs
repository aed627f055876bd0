//! JSON Web Tokens signed with HS256 (RFC 7519 / 7515), for the merchant hub's access tokens.
//! Only `alg: HS256` is accepted (no `none`, no key confusion); `exp` is required and checked
//! against the hub's clock. The key is 32 random bytes kept in a file of the data directory.

use std::path::Path;

use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use bitcoin::hashes::hmac::{Hmac, HmacEngine};
use bitcoin::hashes::{sha256, Hash, HashEngine};
use rand::RngCore;
use serde_json::{json, Map, Value};

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Well formed and signed by us, but past its `exp`.
    Expired,
    /// Not a token of ours: malformed, another algorithm, or a bad signature.
    Invalid,
}

/// The HS256 key.
pub struct JwtKey([u8; 32]);

impl JwtKey {
    /// The key in `path` (64 hex characters), made on first use.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim()).context("JWT key file is not hex")?;
                let key = <[u8; 32]>::try_from(bytes)
                    .map_err(|_| anyhow::anyhow!("JWT key file must hold 32 bytes"))?;
                Ok(Self(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut key);
                super::write_secret_file(path, &hex::encode(key))
                    .with_context(|| format!("writing {}", path.display()))?;
                Ok(Self(key))
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// A token carrying `claims` (an object; `exp` should be among them).
    pub fn issue(&self, claims: &Map<String, Value>) -> String {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "HS256", "typ": "JWT"}).to_string());
        let payload = URL_SAFE_NO_PAD.encode(Value::Object(claims.clone()).to_string());
        let signing_input = format!("{header}.{payload}");
        let signature = URL_SAFE_NO_PAD.encode(self.mac(signing_input.as_bytes()));
        format!("{signing_input}.{signature}")
    }

    /// The claims of `token` if we signed it and its `exp` is after `now`.
    pub fn verify(&self, token: &str, now: i64) -> Result<Map<String, Value>, TokenError> {
        let mut parts = token.trim().split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Invalid);
        };
        let given = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Invalid)?;
        let expected = self.mac(format!("{header}.{payload}").as_bytes());
        if !constant_time_eq(&given, &expected) {
            return Err(TokenError::Invalid);
        }
        let decode = |part: &str| -> Result<Map<String, Value>, TokenError> {
            let bytes = URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| TokenError::Invalid)?;
            match serde_json::from_slice(&bytes) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err(TokenError::Invalid),
            }
        };
        if decode(header)?.get("alg").and_then(Value::as_str) != Some("HS256") {
            return Err(TokenError::Invalid);
        }
        let claims = decode(payload)?;
        let exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .ok_or(TokenError::Invalid)?;
        if exp <= now {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    fn mac(&self, input: &[u8]) -> [u8; 32] {
        let mut engine = HmacEngine::<sha256::Hash>::new(&self.0);
        engine.input(input);
        Hmac::<sha256::Hash>::from_engine(engine).to_byte_array()
    }
}

/// Compares without an early exit, so the time taken does not tell how many bytes matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("merchant_id".into(), json!("m1"));
        claims.insert("exp".into(), json!(exp));
        claims
    }

    #[test]
    fn tokens_verify_until_they_expire_and_forgeries_never() {
        let dir = tempfile::tempdir().expect("dir");
        let key = JwtKey::load_or_create(&dir.path().join("jwt.key")).expect("key");
        let token = key.issue(&claims(1_000));
        assert_eq!(key.verify(&token, 999).expect("valid")["merchant_id"], "m1");
        assert_eq!(key.verify(&token, 1_000), Err(TokenError::Expired));
        let other = JwtKey::load_or_create(&dir.path().join("other.key")).expect("key");
        assert_eq!(other.verify(&token, 0), Err(TokenError::Invalid));
        // A payload changed after signing, or alg none, is refused.
        let parts: Vec<&str> = token.split('.').collect();
        let forged_payload = URL_SAFE_NO_PAD.encode(r#"{"merchant_id":"m2","exp":9999}"#);
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(key.verify(&forged, 0), Err(TokenError::Invalid));
        let none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#);
        assert_eq!(
            key.verify(&format!("{none}.{}.", parts[1]), 0),
            Err(TokenError::Invalid)
        );
        assert_eq!(key.verify("garbage", 0), Err(TokenError::Invalid));
    }
}
