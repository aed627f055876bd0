//! Password hashes: argon2id with the crate's recommended parameters (19 MiB, 2 passes, one lane),
//! in PHC strings, with bounded memory. Each hash needs 19 MiB of working memory; allocated per
//! call, the allocator keeps what many concurrent sign-ins took, so anyone could push the hub's
//! memory up with unauthenticated attempts. Here at most one hash per core runs at once (the
//! others wait their turn), each in one of as many buffers allocated once and reused: the
//! memory is the same after a thousand sign-ins as after the first.

use std::sync::{LazyLock, Mutex};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

/// At most this many hashes at once (and buffers held), whatever the cores.
const MAX_CONCURRENT: usize = 4;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// The turns and the working memory of hashing, shared by the whole process.
struct HashingWork {
    turns: Semaphore,
    buffers: Mutex<Vec<Vec<Block>>>,
}

static WORK: LazyLock<HashingWork> = LazyLock::new(|| {
    let lanes = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_CONCURRENT);
    HashingWork {
        turns: Semaphore::new(lanes),
        buffers: Mutex::new(Vec::with_capacity(lanes)),
    }
});

/// Runs `hash` (given working memory of the default parameters' size) on a blocking thread,
/// when a turn is free.
async fn with_memory<T: Send + 'static>(
    hash: impl FnOnce(&mut [Block]) -> T + Send + 'static,
) -> Result<T, HashError> {
    let turn = WORK
        .turns
        .acquire()
        .await
        .map_err(|e| HashError(e.to_string()))?;
    let result = tokio::task::spawn_blocking(move || {
        let taken = WORK.buffers.lock().ok().and_then(|mut pool| pool.pop());
        let mut buffer =
            taken.unwrap_or_else(|| vec![Block::default(); Params::DEFAULT.block_count()]);
        let result = hash(&mut buffer);
        if let Ok(mut pool) = WORK.buffers.lock() {
            pool.push(buffer);
        }
        result
    })
    .await
    .map_err(|e| HashError(e.to_string()));
    drop(turn);
    result
}

/// Hashes `password` with a random salt: a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub async fn hash_password(password: &str) -> Result<String, HashError> {
    let password = password.as_bytes().to_vec();
    with_memory(move |memory| {
        let salt = SaltString::generate(&mut OsRng);
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt
            .decode_b64(&mut salt_bytes)
            .map_err(|e| HashError(e.to_string()))?;
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        Argon2::default()
            .hash_password_into_with_memory(&password, salt_bytes, &mut out, memory)
            .map_err(|e| HashError(e.to_string()))?;
        let hash = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&Params::DEFAULT)
                .map_err(|e| HashError(e.to_string()))?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).map_err(|e| HashError(e.to_string()))?),
        };
        Ok(hash.to_string())
    })
    .await?
}

/// Whether `password` matches the stored PHC string (compared in constant time). A hash made
/// with other parameters is checked with memory of its own size.
pub async fn verify_password(password: &str, stored: &str) -> bool {
    let (password, stored) = (password.as_bytes().to_vec(), stored.to_string());
    with_memory(move |memory| {
        let Ok(hash) = PasswordHash::new(&stored) else {
            return false;
        };
        let (Ok(algorithm), Ok(params), Some(expected), Some(salt)) = (
            Algorithm::try_from(hash.algorithm),
            Params::try_from(&hash),
            hash.hash,
            hash.salt,
        ) else {
            return false;
        };
        let version = hash
            .version
            .map_or(Ok(Version::default()), Version::try_from)
            .unwrap_or(Version::default());
        let mut salt_bytes = [0u8; 64];
        let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
            return false;
        };
        let mut out = vec![0u8; expected.len()];
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let hashed = if params.block_count() == memory.len() {
            argon2.hash_password_into_with_memory(&password, salt_bytes, &mut out, memory)
        } else {
            argon2.hash_password_into(&password, salt_bytes, &mut out)
        };
        hashed.is_ok() && Output::new(&out).is_ok_and(|computed| computed == expected)
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::PasswordHasher;

    use super::*;

    #[tokio::test]
    async fn passwords_hash_with_argon2id_and_verify() {
        let stored = hash_password("correct horse").await.expect("hash");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify_password("correct horse", &stored).await);
        assert!(!verify_password("wrong", &stored).await);
        assert!(!verify_password("correct horse", "not a hash").await);
        assert_ne!(
            hash_password("correct horse").await.expect("hash"),
            stored,
            "salted"
        );
    }

    #[tokio::test]
    async fn hashes_made_by_the_argon2_crate_itself_verify_whatever_their_parameters() {
        let salt = SaltString::generate(&mut OsRng);
        let default = Argon2::default()
            .hash_password(b"pw", &salt)
            .expect("hash")
            .to_string();
        assert!(verify_password("pw", &default).await);
        let small = Params::new(8 * 1024, 1, 1, None).expect("params");
        let other = Argon2::new(Algorithm::Argon2id, Version::V0x13, small)
            .hash_password(b"pw", &salt)
            .expect("hash")
            .to_string();
        assert!(verify_password("pw", &other).await);
        assert!(!verify_password("pW", &other).await);
    }
}
