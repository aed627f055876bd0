//! How the outbox is doing, for metrics: how many notifications wait, how many failed for good,
//! and how long the oldest waiting one has waited.

use crate::store::Store;

/// The outbox at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxHealth {
    /// Waiting to be delivered.
    pub pending: i64,
    /// Given up on.
    pub failed: i64,
    /// Seconds the oldest waiting one has waited (0 when none waits).
    pub oldest_pending_age_secs: i64,
}

/// The outbox now (`now` in unix seconds, the hub's clock).
pub async fn health(store: &Store, now: i64) -> Result<OutboxHealth, sqlx::Error> {
    let (pending, failed, oldest): (i64, i64, Option<i64>) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT),
                MIN(CASE WHEN status = 'pending' THEN created_at END)
         FROM notify_outbox",
    )
    .fetch_one(store.pool())
    .await?;
    Ok(OutboxHealth {
        pending,
        failed,
        oldest_pending_age_secs: oldest.map_or(0, |at| (now - at).max(0)),
    })
}
