//! Refresh tokens, stored by hash and used once.

use sqlx::AnyConnection;

/// Stores a refresh token (by hash).
pub async fn insert_refresh_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    merchant_id: &str,
    expires_at: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO merchant_refresh_tokens (token_hash, merchant_id, expires_at, created_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(merchant_id)
    .bind(expires_at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What using a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshUse {
    /// Used now, for this merchant.
    Used(String),
    /// No such token.
    Unknown,
    /// Used before.
    AlreadyUsed,
    /// Past its expiry.
    Expired,
}

/// A refresh token as stored.
#[derive(sqlx::FromRow)]
struct RefreshToken {
    merchant_id: String,
    used_at: Option<i64>,
}

/// Uses a refresh token, once: the first statement of the caller's transaction.
pub async fn use_refresh_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> Result<RefreshUse, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE merchant_refresh_tokens SET used_at = $2
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let token: Option<RefreshToken> = sqlx::query_as(
        "SELECT merchant_id, used_at FROM merchant_refresh_tokens WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match token {
        None => RefreshUse::Unknown,
        Some(token) if done.rows_affected() == 1 => RefreshUse::Used(token.merchant_id),
        Some(RefreshToken {
            used_at: Some(_), ..
        }) => RefreshUse::AlreadyUsed,
        Some(_) => RefreshUse::Expired,
    })
}
