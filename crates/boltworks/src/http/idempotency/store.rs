//! The `idempotency_keys` table: claiming a key for a request, recording its answer (inside the
//! transaction that moves money, or after it), releasing a key whose request changed nothing,
//! and forgetting expired keys.

use sqlx::{AnyConnection, AnyPool};

use crate::store::columns::stored_enum;

stored_enum! {
    /// Where the request of a key is.
    pub enum KeyState {
        /// Claimed by a process (`owner`) that has not answered yet.
        Running = "running",
        /// Answered: the answer is stored.
        Done = "done",
    }
}

/// An answer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    /// HTTP status.
    pub status: u16,
    /// Its Content-Type, when it had one.
    pub content_type: Option<String>,
    /// Its body.
    pub body: String,
}

/// A key's row.
#[derive(Debug, sqlx::FromRow)]
struct KeyRow {
    fingerprint: String,
    state: KeyState,
    owner: String,
    status: Option<i64>,
    content_type: Option<String>,
    body: Option<String>,
    created_at: i64,
}

/// Which request a key is claimed for.
pub struct KeyClaim<'a> {
    /// The service and caller the key belongs to.
    pub scope: &'a str,
    /// The key.
    pub key: &'a str,
    /// The request's fingerprint (method, path, query, body).
    pub fingerprint: &'a str,
    /// This process.
    pub owner: &'a str,
    /// Now (unix seconds, the hub's clock).
    pub now: i64,
    /// Keys created before this are expired.
    pub expired_before: i64,
    /// Another process's claim made before this is a dead process's.
    pub stale_before: i64,
}

/// What claiming a key found.
#[derive(Debug, PartialEq, Eq)]
pub enum Claimed {
    /// The key is this request's to run (new, expired, or left running long ago by a process
    /// that stopped before it committed anything).
    Fresh,
    /// The key's request was answered: answer the same.
    Answered(StoredAnswer),
    /// This process is still running the key's request.
    Running,
    /// Another process claimed the key a moment ago (it runs the request, or stopped before it
    /// committed anything and its claim is not stale yet).
    Busy,
    /// The key was first used with another request.
    OtherRequest,
}

/// Claims the key for the request, or says why not. The row is read first, so repeats (and
/// repeats waiting for the first answer) only read; tries again when another claim changed the
/// row between reading and writing it.
pub async fn claim(pool: &AnyPool, claim: &KeyClaim<'_>) -> Result<Claimed, sqlx::Error> {
    for _ in 0..4 {
        let Some(row) = read(pool, claim.scope, claim.key).await? else {
            if insert(pool, claim).await? {
                return Ok(Claimed::Fresh);
            }
            continue;
        };
        if row.created_at < claim.expired_before {
            if take_over(pool, claim, &row).await? {
                return Ok(Claimed::Fresh);
            }
            continue;
        }
        if row.fingerprint != claim.fingerprint {
            return Ok(Claimed::OtherRequest);
        }
        match row.state {
            KeyState::Done => {
                return Ok(Claimed::Answered(StoredAnswer {
                    status: row
                        .status
                        .and_then(|s| u16::try_from(s).ok())
                        .unwrap_or(200),
                    content_type: row.content_type,
                    body: row.body.unwrap_or_default(),
                }))
            }
            KeyState::Running if row.created_at >= claim.stale_before => {
                return Ok(if row.owner == claim.owner {
                    Claimed::Running
                } else {
                    Claimed::Busy
                });
            }
            // Its request cannot still run (a request times out well before a claim is stale):
            // its process stopped, or it was dropped where its key could not be freed, before it
            // committed anything. An answer that moves money is written in the same transaction
            // as the money, so a running key moved none.
            KeyState::Running => {
                if take_over(pool, claim, &row).await? {
                    return Ok(Claimed::Fresh);
                }
            }
        }
    }
    Err(sqlx::Error::Protocol(
        "an idempotency key changed under four claims in a row".into(),
    ))
}

/// Inserts the claim's row unless the key has one; whether it did.
async fn insert(pool: &AnyPool, claim: &KeyClaim<'_>) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys
            (scope, idempotency_key, fingerprint, state, owner, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (scope, idempotency_key) DO NOTHING",
    )
    .bind(claim.scope)
    .bind(claim.key)
    .bind(claim.fingerprint)
    .bind(KeyState::Running)
    .bind(claim.owner)
    .bind(claim.now)
    .execute(pool)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

async fn read(pool: &AnyPool, scope: &str, key: &str) -> Result<Option<KeyRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT fingerprint, state, owner, status, content_type, body, created_at
         FROM idempotency_keys WHERE scope = $1 AND idempotency_key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(pool)
    .await
}

/// Makes `row` (as read) the claim's, unless it changed since.
async fn take_over(
    pool: &AnyPool,
    claim: &KeyClaim<'_>,
    row: &KeyRow,
) -> Result<bool, sqlx::Error> {
    let taken = sqlx::query(
        "UPDATE idempotency_keys
         SET fingerprint = $1, state = $2, owner = $3, status = NULL, content_type = NULL,
             body = NULL, created_at = $4
         WHERE scope = $5 AND idempotency_key = $6 AND owner = $7 AND state = $8
           AND created_at = $9",
    )
    .bind(claim.fingerprint)
    .bind(KeyState::Running)
    .bind(claim.owner)
    .bind(claim.now)
    .bind(claim.scope)
    .bind(claim.key)
    .bind(&row.owner)
    .bind(row.state)
    .bind(row.created_at)
    .execute(pool)
    .await?;
    Ok(taken.rows_affected() == 1)
}

/// Stores the key's answer (on `conn`, which may be the transaction that moves the money), if
/// the key is still the running claim of `owner` made at `claimed_at`: `false`, writing nothing,
/// when it is not (freed by its dropped request, taken over, or answered already), so a request
/// cannot answer for a claim it no longer holds.
pub async fn record_answer(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
    (owner, claimed_at): (&str, i64),
    answer: &StoredAnswer,
) -> Result<bool, sqlx::Error> {
    let recorded = sqlx::query(
        "UPDATE idempotency_keys SET state = $1, status = $2, content_type = $3, body = $4
         WHERE scope = $5 AND idempotency_key = $6 AND state = $7 AND owner = $8
           AND created_at = $9",
    )
    .bind(KeyState::Done)
    .bind(i64::from(answer.status))
    .bind(answer.content_type.as_deref())
    .bind(&answer.body)
    .bind(scope)
    .bind(key)
    .bind(KeyState::Running)
    .bind(owner)
    .bind(claimed_at)
    .execute(conn)
    .await?;
    Ok(recorded.rows_affected() == 1)
}

/// Forgets a key whose request is still running and committed nothing it must answer for (it
/// failed, or its answer is not one to repeat), so the client may try again with it: only the
/// claim of `owner` made at `claimed_at`, not one that took the key over since.
pub async fn release(
    pool: &AnyPool,
    scope: &str,
    key: &str,
    (owner, claimed_at): (&str, i64),
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE scope = $1 AND idempotency_key = $2 AND state = $3
           AND owner = $4 AND created_at = $5",
    )
    .bind(scope)
    .bind(key)
    .bind(KeyState::Running)
    .bind(owner)
    .bind(claimed_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Deletes the keys created before `before`; how many.
pub async fn forget_expired(pool: &AnyPool, before: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(before)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}
