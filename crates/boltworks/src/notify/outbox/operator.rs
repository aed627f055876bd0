//! What operators see and do: notifications with their delivery logs (listed newest first, or
//! one by event id), and a redelivery that puts one back in the queue now.

use serde::Serialize;

use super::{AttemptOutcome, Channel, DeliveryStatus};
use crate::clock::Clock;
use crate::store::Store;

/// One attempt in the delivery log.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AttemptRecord {
    /// Attempt number, from 1.
    pub attempt: i64,
    /// When it started (unix seconds).
    pub started_at: i64,
    /// How long it took.
    pub latency_ms: i64,
    /// HTTP status, if the target answered.
    pub status_code: Option<i64>,
    /// `delivered`, `retry` or `failed`.
    pub outcome: AttemptOutcome,
    /// What went wrong.
    pub error: Option<String>,
}

/// A notification with its delivery log, as operators see it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct NotificationRecord {
    /// Stable event id.
    pub event_id: String,
    /// Service.
    pub service: String,
    /// Event type.
    pub event_type: String,
    /// `webhook` or `email`.
    pub channel: Channel,
    /// URL or address.
    pub target: String,
    /// `pending`, `delivered` or `failed`.
    pub status: DeliveryStatus,
    /// Attempts so far.
    pub attempts: i64,
    /// Next attempt (unix seconds), while pending.
    pub next_attempt_at: i64,
    /// When it was enqueued.
    pub created_at: i64,
    /// When it was delivered.
    pub delivered_at: Option<i64>,
    /// The last error.
    pub last_error: Option<String>,
    /// Every attempt (read separately from the row).
    #[sqlx(skip)]
    pub log: Vec<AttemptRecord>,
}

/// An outbox row as operators read it: its id (the paging cursor) and the record.
#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: i64,
    #[sqlx(flatten)]
    record: NotificationRecord,
}

impl OutboxRow {
    /// The record with its delivery log.
    async fn with_log(self, store: &Store) -> Result<(i64, NotificationRecord), sqlx::Error> {
        let mut record = self.record;
        record.log = attempts_of(store, self.id).await?;
        Ok((self.id, record))
    }
}

/// The columns an `OutboxRow` reads.
const OUTBOX_COLUMNS: &str = "id, event_id, service, event_type, channel, target, status, attempts, next_attempt_at, created_at, delivered_at, last_error";

/// Which notifications to list: of one delivery status and one service if given, older than
/// `before` (an outbox id, the next page) if given, at most `limit`.
#[derive(Debug, Clone, Default)]
pub struct NotificationFilter {
    /// Only this delivery status.
    pub status: Option<DeliveryStatus>,
    /// Only this service's.
    pub service: Option<String>,
    /// Only those queued before this outbox id.
    pub before: Option<i64>,
    /// At most this many.
    pub limit: i64,
}

/// Lists the notifications `filter` names, newest first, with their outbox ids.
pub async fn list(
    store: &Store,
    filter: &NotificationFilter,
) -> Result<Vec<(i64, NotificationRecord)>, sqlx::Error> {
    let rows: Vec<OutboxRow> = sqlx::query_as(&format!(
        "SELECT {OUTBOX_COLUMNS}
         FROM notify_outbox WHERE ($1 IS NULL OR status = $1) AND ($2 = '' OR service = $2)
            AND ($3 IS NULL OR id < $3)
         ORDER BY id DESC LIMIT $4"
    ))
    .bind(filter.status)
    .bind(filter.service.as_deref().unwrap_or(""))
    .bind(filter.before)
    .bind(filter.limit)
    .fetch_all(store.pool())
    .await?;
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        records.push(row.with_log(store).await?);
    }
    Ok(records)
}

/// One notification by event id, with its delivery log.
pub async fn find(
    store: &Store,
    event_id: &str,
) -> Result<Option<NotificationRecord>, sqlx::Error> {
    let row: Option<OutboxRow> = sqlx::query_as(&format!(
        "SELECT {OUTBOX_COLUMNS} FROM notify_outbox WHERE event_id = $1"
    ))
    .bind(event_id)
    .fetch_optional(store.pool())
    .await?;
    match row {
        None => Ok(None),
        Some(row) => Ok(Some(row.with_log(store).await?.1)),
    }
}

async fn attempts_of(store: &Store, outbox_id: i64) -> Result<Vec<AttemptRecord>, sqlx::Error> {
    sqlx::query_as(
        "SELECT attempt, started_at, latency_ms, status_code, outcome, error FROM notify_attempts WHERE outbox_id = $1 ORDER BY id",
    )
    .bind(outbox_id)
    .fetch_all(store.pool())
    .await
}

/// What a redelivery request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redelivery {
    /// Queued for delivery now.
    Queued,
    /// A worker is delivering it at this moment; nothing changed.
    InFlight,
    /// No such event.
    NotFound,
}

/// Puts a notification back in the queue for delivery now (an operator's redelivery), unless a
/// worker holds it right now. The retry window restarts from now.
pub async fn redeliver(
    store: &Store,
    clock: &Clock,
    event_id: &str,
) -> Result<Redelivery, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE notify_outbox SET status = $1, next_attempt_at = $2, lease_until = 0, retry_from = $2
         WHERE event_id = $3 AND lease_until <= $4",
    )
    .bind(DeliveryStatus::Pending)
    .bind(clock.now_unix())
    .bind(event_id)
    .bind(Clock::system().now_unix())
    .execute(store.pool())
    .await?;
    if updated.rows_affected() > 0 {
        return Ok(Redelivery::Queued);
    }
    Ok(if find(store, event_id).await?.is_some() {
        Redelivery::InFlight
    } else {
        Redelivery::NotFound
    })
}
