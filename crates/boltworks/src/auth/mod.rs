//! Credentials shared by the services: argon2id password hashes (`password`: bounded memory),
//! random session keys, secret files, JWTs and secp256k1 signatures.

pub mod jwt;
mod password;
pub mod signing_key;

use bitcoin::hashes::{sha256, Hash};

pub use self::password::{hash_password, verify_password, HashError};
use rand::RngCore;

/// Writes a secret to `path` readable by the owner only (0600), atomically: a crash leaves the
/// old file or the new one, never a torn one.
pub fn write_secret_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, path)
}

/// A new session key: 32 random bytes as 64 lowercase hex characters.
pub fn new_session_key() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What is stored for a session key: its SHA-256, hex. Lookups by this value need no
/// constant-time comparison (an attacker cannot steer the hash).
pub fn session_key_hash(key: &str) -> String {
    hex::encode(sha256::Hash::hash(key.as_bytes()).to_byte_array())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_keys_are_64_hex() {
        let key = new_session_key();
        assert_eq!(key.len(), 64);
        assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(new_session_key(), key);
        assert_eq!(session_key_hash(&key).len(), 64);
    }
}
