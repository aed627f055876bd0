//! Escrow users: created with the next sequential id, found by email for logins.

use sqlx::AnyConnection;

use crate::store::{OnUniqueViolation, Store};

/// What a login needs of a user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserLogin {
    /// The user id.
    pub id: i64,
    /// The stored password hash.
    pub password_hash: String,
}

/// Creates a user with the next id. `Ok(None)` if the email is taken.
pub async fn create_user(
    store: &Store,
    email: &str,
    password_hash: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    for _ in 0..5 {
        let inserted = sqlx::query_scalar::<_, i64>(
            "INSERT INTO escrow_users (id, email, password_hash, created_at)
             SELECT COALESCE(MAX(id) + 1, 0), $1, $2, $3 FROM escrow_users RETURNING id",
        )
        .bind(email)
        .bind(password_hash)
        .bind(now)
        .fetch_one(store.pool())
        .await
        .on_unique_violation(|| ())?;
        match inserted {
            Ok(id) => return Ok(Some(id)),
            // The email, or the id a racing insert took first: only the email is final.
            Err(()) => {
                if find_user(store, email).await?.is_some() {
                    return Ok(None);
                }
            }
        }
    }
    Err(sqlx::Error::Protocol("could not allocate a user id".into()))
}

/// A user's id and password hash, by email.
pub async fn find_user(store: &Store, email: &str) -> Result<Option<UserLogin>, sqlx::Error> {
    sqlx::query_as("SELECT id, password_hash FROM escrow_users WHERE email = $1")
        .bind(email)
        .fetch_optional(store.pool())
        .await
}

/// A user's email address.
pub async fn user_email(
    conn: &mut AnyConnection,
    user_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT email FROM escrow_users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await
}
