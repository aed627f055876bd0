//! Escrow sessions, kept by the SHA-256 of their key only.

use crate::store::Store;

/// Stores a session (by key hash).
pub async fn create_session(
    store: &Store,
    key_hash: &str,
    user_id: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO escrow_sessions (key_hash, user_id, expires_at) VALUES ($1, $2, $3)")
        .bind(key_hash)
        .bind(user_id)
        .bind(expires_at)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// The user of an unexpired session.
pub async fn session_user(
    store: &Store,
    key_hash: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT user_id FROM escrow_sessions WHERE key_hash = $1 AND expires_at > $2",
    )
    .bind(key_hash)
    .bind(now)
    .fetch_optional(store.pool())
    .await
}

/// Moves an unexpired session's expiry. Returns its user.
pub async fn extend_session(
    store: &Store,
    key_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<Option<i64>, sqlx::Error> {
    // In a transaction: on SQLite, sqlx answers an autocommit `UPDATE ... RETURNING` before the
    // change commits, so another connection could still read the old expiry (sqlx #2099).
    let mut tx = store.pool().begin().await?;
    let user = sqlx::query_scalar(
        "UPDATE escrow_sessions SET expires_at = $1 WHERE key_hash = $2 AND expires_at > $3
         RETURNING user_id",
    )
    .bind(expires_at)
    .bind(key_hash)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(user)
}
