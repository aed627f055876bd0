//! secp256k1 ECDSA as the merchant hub uses it: a signature is hex DER over the SHA-256 of some
//! fields concatenated with no separator (the raw digest, no Bitcoin message prefix). The hub's
//! own keys are kept in files of the data directory; signatures it makes are low-S, and only
//! low-S signatures verify.

use std::path::Path;

use anyhow::Context;
use base64::Engine;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::ecdsa::Signature;
use bitcoin::secp256k1::{Message, PublicKey, Secp256k1, SecretKey};

/// A key the hub signs with.
pub struct SigningKey {
    secret: SecretKey,
    public: PublicKey,
}

impl SigningKey {
    /// The key in `path` (64 hex characters), made and written there (mode 0600) on first use.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        let secret = match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim()).context("key file is not hex")?;
                SecretKey::from_slice(&bytes).context("key file does not hold a secp256k1 key")?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = SecretKey::new(&mut rand::thread_rng());
                super::write_secret_file(path, &hex::encode(secret.secret_bytes()))
                    .with_context(|| format!("writing {}", path.display()))?;
                secret
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let public = secret.public_key(&Secp256k1::signing_only());
        Ok(Self { secret, public })
    }

    /// The public key, as the hub publishes it: the compressed SEC point in base64.
    pub fn public_key_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.public.serialize())
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    /// Signs the concatenation of `fields`: hex DER, low-S.
    pub fn sign(&self, fields: &[&str]) -> String {
        let signature = Secp256k1::signing_only().sign_ecdsa(&digest(fields), &self.secret);
        hex::encode(signature.serialize_der())
    }
}

/// The message signed for `fields`: SHA-256 of their UTF-8 bytes, concatenated.
pub fn digest(fields: &[&str]) -> Message {
    let mut engine = sha256::Hash::engine();
    for field in fields {
        bitcoin::hashes::HashEngine::input(&mut engine, field.as_bytes());
    }
    Message::from_digest(sha256::Hash::from_engine(engine).to_byte_array())
}

/// Whether `signature_hex` is a strict-DER, low-S signature by `key` over `fields`.
pub fn verify(key: &PublicKey, signature_hex: &str, fields: &[&str]) -> bool {
    let Ok(bytes) = hex::decode(signature_hex.trim()) else {
        return false;
    };
    let Ok(signature) = Signature::from_der(&bytes) else {
        return false;
    };
    let mut normalized = signature;
    normalized.normalize_s();
    normalized == signature
        && Secp256k1::verification_only()
            .verify_ecdsa(&digest(fields), &signature, key)
            .is_ok()
}

/// A public key given as hex SEC (compressed or uncompressed).
pub fn public_key_from_hex(text: &str) -> Option<PublicKey> {
    PublicKey::from_slice(&hex::decode(text.trim()).ok()?).ok()
}

/// A public key given as base64 SEC (compressed or uncompressed).
pub fn public_key_from_base64(text: &str) -> Option<PublicKey> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()?;
    PublicKey::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_low_s_der_over_the_concatenated_fields() {
        let dir = tempfile::tempdir().expect("dir");
        let key = SigningKey::load_or_create(&dir.path().join("k")).expect("key");
        let again = SigningKey::load_or_create(&dir.path().join("k")).expect("key");
        assert_eq!(key.public_key(), again.public_key(), "persisted");
        let signature = key.sign(&["ab", "cd"]);
        assert!(signature.starts_with("30"));
        assert!(verify(&key.public_key(), &signature, &["abcd"]));
        assert!(!verify(&key.public_key(), &signature, &["abce"]));
        assert!(!verify(&key.public_key(), "zz", &["abcd"]));
        // The same signature with a high S is refused.
        let der = hex::decode(&signature).expect("hex");
        let mut high = Signature::from_der(&der).expect("der").serialize_compact();
        let order = bitcoin::secp256k1::constants::CURVE_ORDER;
        let mut borrow = 0i16;
        for i in (32..64).rev() {
            let v = i16::from(order[i - 32]) - i16::from(high[i]) - borrow;
            borrow = i16::from(v < 0);
            high[i] = v.rem_euclid(256) as u8;
        }
        let high = Signature::from_compact(&high).expect("compact");
        assert!(!verify(
            &key.public_key(),
            &hex::encode(high.serialize_der()),
            &["abcd"]
        ));
        let b64 = key.public_key_base64();
        assert_eq!(public_key_from_base64(&b64), Some(key.public_key()));
        let uncompressed = hex::encode(key.public_key().serialize_uncompressed());
        assert_eq!(public_key_from_hex(&uncompressed), Some(key.public_key()));
    }
}
