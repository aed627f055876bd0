//! The outbox table: enqueue a notification inside the caller's transaction, claim due rows
//! for delivery under a lease, and record each attempt with its outcome and the next retry.

use rand::RngCore;
use serde::Serialize;
use serde_json::Value;
use sqlx::{AnyConnection, Row};

use super::guard::{check_url, Refused};
use super::NotifyConfig;
use crate::clock::Clock;
use crate::store::{Backend, Store};

/// A webhook to send.
pub struct WebhookEvent<'a> {
    /// The service it concerns (`escrow`, `gifts`, ...).
    pub service: &'a str,
    /// What happened (`gift.redeemed`, ...).
    pub event_type: &'a str,
    /// Where to POST.
    pub url: &'a str,
    /// The exact JSON body to send (the service's own wire shape).
    pub body: &'a Value,
}

/// An email to send.
pub struct EmailEvent<'a> {
    /// The service it concerns.
    pub service: &'a str,
    /// What happened.
    pub event_type: &'a str,
    /// Recipient address.
    pub to: &'a str,
    /// Subject line.
    pub subject: &'a str,
    /// Plain-text body.
    pub text: &'a str,
}

/// A fresh event id: `evt_` and 32 hex characters.
pub fn new_event_id() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("evt_{}", hex::encode(bytes))
}

/// Writes a webhook to the outbox within `tx`. The URL must be http(s) (the address is checked
/// again at delivery). Returns the event id.
pub async fn enqueue_webhook(
    tx: &mut AnyConnection,
    clock: &Clock,
    event: WebhookEvent<'_>,
) -> Result<String, EnqueueError> {
    check_url(event.url, true)?;
    insert(
        tx,
        clock,
        event.service,
        event.event_type,
        "webhook",
        event.url,
        &event.body.to_string(),
    )
    .await
}

/// Writes a webhook to the outbox within `tx`, as `enqueue_webhook`, but skips (and logs) a
/// target that is not a usable URL: for services whose callers may give one that is not. The
/// event id when it was written.
pub async fn enqueue_webhook_unless_invalid(
    tx: &mut AnyConnection,
    clock: &Clock,
    event: WebhookEvent<'_>,
) -> Result<Option<String>, sqlx::Error> {
    let (service, url) = (event.service, event.url.to_string());
    match enqueue_webhook(tx, clock, event).await {
        Ok(id) => Ok(Some(id)),
        Err(EnqueueError::Store(e)) => Err(e),
        Err(EnqueueError::InvalidTarget(why)) => {
            tracing::warn!(service, %url, %why, "webhook target skipped");
            Ok(None)
        }
    }
}

/// Writes an email to the outbox within `tx`. Returns the event id.
pub async fn enqueue_email(
    tx: &mut AnyConnection,
    clock: &Clock,
    event: EmailEvent<'_>,
) -> Result<String, EnqueueError> {
    if event.to.parse::<lettre::Address>().is_err() {
        return Err(EnqueueError::InvalidTarget(format!(
            "'{}' is not an email address",
            event.to
        )));
    }
    let payload = serde_json::json!({"subject": event.subject, "text": event.text}).to_string();
    insert(
        tx,
        clock,
        event.service,
        event.event_type,
        "email",
        event.to,
        &payload,
    )
    .await
}

async fn insert(
    tx: &mut AnyConnection,
    clock: &Clock,
    service: &str,
    event_type: &str,
    channel: &str,
    target: &str,
    payload: &str,
) -> Result<String, EnqueueError> {
    let event_id = new_event_id();
    let now = clock.now_unix();
    sqlx::query(
        "INSERT INTO notify_outbox (event_id, service, event_type, channel, target, payload, status, next_attempt_at, retry_from, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7, $7)",
    )
    .bind(&event_id)
    .bind(service)
    .bind(event_type)
    .bind(channel)
    .bind(target)
    .bind(payload)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(event_id)
}

/// Why a notification could not be enqueued.
#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    /// The target is not a usable URL or address.
    #[error("{0}")]
    InvalidTarget(String),
    /// The database failed.
    #[error("database error: {0}")]
    Store(#[from] sqlx::Error),
}

impl From<Refused> for EnqueueError {
    fn from(e: Refused) -> Self {
        EnqueueError::InvalidTarget(e.0)
    }
}

/// A row claimed for delivery.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Outbox row id.
    pub id: i64,
    /// Stable event id.
    pub event_id: String,
    /// Service.
    pub service: String,
    /// Event type.
    pub event_type: String,
    /// `webhook` or `email`.
    pub channel: String,
    /// URL or email address.
    pub target: String,
    /// Body (webhook) or `{"subject","text"}` (email).
    pub payload: String,
    /// This attempt's number, from 1.
    pub attempt: i64,
    /// Retries go on until this time plus the retry window.
    pub retry_from: i64,
    /// The lease this claim holds (system-clock unix seconds): only its holder moves the row on.
    pub lease_until: i64,
}

/// Claims up to `limit` due rows for `lease_secs`: nobody else delivers them until the lease
/// ends (a worker that dies mid-delivery leaves its rows to be retried after it).
pub async fn claim(
    store: &Store,
    clock: &Clock,
    limit: i64,
    lease_secs: i64,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let now = clock.now_unix();
    let skip_locked = match store.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE notify_outbox SET lease_until = $1, attempts = attempts + 1
         WHERE id IN (SELECT id FROM notify_outbox
                      WHERE status = 'pending' AND next_attempt_at <= $2 AND lease_until <= $3
                      ORDER BY id LIMIT $4{skip_locked})
         RETURNING id, event_id, service, event_type, channel, target, payload, attempts, retry_from, lease_until"
    );
    // Leases run on the system clock: moving the hub's (adjustable) clock makes retries due,
    // but must never end a lease that a worker still holds.
    let lease_now = Clock::system().now_unix();
    let rows = sqlx::query(&sql)
        .bind(lease_now + lease_secs)
        .bind(now)
        .bind(lease_now)
        .bind(limit)
        .fetch_all(store.pool())
        .await?;
    let mut claimed = rows
        .iter()
        .map(|row| {
            Ok(Claimed {
                id: row.try_get("id")?,
                event_id: row.try_get("event_id")?,
                service: row.try_get("service")?,
                event_type: row.try_get("event_type")?,
                channel: row.try_get("channel")?,
                target: row.try_get("target")?,
                payload: row.try_get("payload")?,
                attempt: int(row, "attempts")?,
                retry_from: row.try_get("retry_from")?,
                lease_until: row.try_get("lease_until")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    claimed.sort_by_key(|c| c.id);
    Ok(claimed)
}

/// What one delivery attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The target took it (2xx, or the mail server accepted it).
    Delivered,
    /// It may work later (5xx, timeout, connection refused, any non-2xx).
    Retry(String),
    /// It will not work by retrying (refused target): failed until an operator redelivers.
    Permanent(String),
}

/// What happened in one delivery attempt.
#[derive(Debug, Clone)]
pub struct AttemptResult {
    /// When it started (unix seconds, hub clock).
    pub started_at: i64,
    /// How long it took.
    pub latency_ms: i64,
    /// The HTTP status, if the target answered.
    pub status_code: Option<u16>,
    /// The outcome.
    pub outcome: Outcome,
}

/// Records an attempt and moves the row on: delivered, scheduled again, or failed.
pub async fn record_attempt(
    store: &Store,
    clock: &Clock,
    config: &NotifyConfig,
    row: &Claimed,
    result: &AttemptResult,
) -> Result<(), sqlx::Error> {
    let AttemptResult {
        started_at,
        latency_ms,
        status_code,
        outcome,
    } = result;
    let now = clock.now_unix();
    let (label, error, status, next) = match outcome {
        Outcome::Delivered => ("delivered", None, "delivered", now),
        Outcome::Permanent(e) => ("failed", Some(e.as_str()), "failed", now),
        Outcome::Retry(e) => {
            let delays = &config.retry_delays_secs;
            let index = usize::try_from(row.attempt - 1)
                .unwrap_or(0)
                .min(delays.len().saturating_sub(1));
            let delay = i64::try_from(delays.get(index).copied().unwrap_or(600)).unwrap_or(600);
            let deadline =
                row.retry_from + i64::try_from(config.retry_window_secs).unwrap_or(i64::MAX);
            if now + delay > deadline {
                ("failed", Some(e.as_str()), "failed", now)
            } else {
                ("retry", Some(e.as_str()), "pending", now + delay)
            }
        }
    };
    let mut tx = store.pool().begin().await?;
    sqlx::query(
        "INSERT INTO notify_attempts (outbox_id, attempt, started_at, latency_ms, status_code, outcome, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(row.id)
    .bind(row.attempt)
    .bind(started_at)
    .bind(latency_ms)
    .bind(status_code.map(i64::from))
    .bind(label)
    .bind(error)
    .execute(&mut *tx)
    .await?;
    let moved = sqlx::query(
        "UPDATE notify_outbox SET status = $1, next_attempt_at = $2, lease_until = 0, last_error = $3,
                delivered_at = CASE WHEN $1 = 'delivered' THEN $4 ELSE delivered_at END
         WHERE id = $5 AND lease_until = $6",
    )
    .bind(status)
    .bind(next)
    .bind(error)
    .bind(now)
    .bind(row.id)
    .bind(row.lease_until)
    .execute(&mut *tx)
    .await?;
    if moved.rows_affected() == 0 {
        // The lease ran out and another worker owns the row now; the attempt is still logged.
        tracing::warn!(event_id = %row.event_id, "a delivery outlived its lease; leaving the row to its new holder");
    }
    tx.commit().await
}

/// One attempt in the delivery log.
#[derive(Debug, Clone, Serialize)]
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
    pub outcome: String,
    /// What went wrong.
    pub error: Option<String>,
}

/// A notification with its delivery log, as operators see it.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationRecord {
    /// Stable event id.
    pub event_id: String,
    /// Service.
    pub service: String,
    /// Event type.
    pub event_type: String,
    /// `webhook` or `email`.
    pub channel: String,
    /// URL or address.
    pub target: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
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
    /// Every attempt.
    pub log: Vec<AttemptRecord>,
}

fn int(row: &sqlx::any::AnyRow, column: &str) -> Result<i64, sqlx::Error> {
    row.try_get::<i64, _>(column)
        .or_else(|_| row.try_get::<i32, _>(column).map(i64::from))
}

/// Lists notifications, newest first, optionally by status; `before` pages by event order.
pub async fn list(
    store: &Store,
    status: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<(i64, NotificationRecord)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, event_id, service, event_type, channel, target, status, attempts, next_attempt_at, created_at, delivered_at, last_error
         FROM notify_outbox WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR id < $2)
         ORDER BY id DESC LIMIT $3",
    )
    .bind(status)
    .bind(before)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get("id")?;
        records.push((id, record_from_row(&row, attempts_of(store, id).await?)?));
    }
    Ok(records)
}

/// One notification by event id, with its delivery log.
pub async fn find(
    store: &Store,
    event_id: &str,
) -> Result<Option<NotificationRecord>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, event_id, service, event_type, channel, target, status, attempts, next_attempt_at, created_at, delivered_at, last_error
         FROM notify_outbox WHERE event_id = $1",
    )
    .bind(event_id)
    .fetch_optional(store.pool())
    .await?;
    match row {
        None => Ok(None),
        Some(row) => {
            let id: i64 = row.try_get("id")?;
            Ok(Some(record_from_row(&row, attempts_of(store, id).await?)?))
        }
    }
}

fn record_from_row(
    row: &sqlx::any::AnyRow,
    log: Vec<AttemptRecord>,
) -> Result<NotificationRecord, sqlx::Error> {
    Ok(NotificationRecord {
        event_id: row.try_get("event_id")?,
        service: row.try_get("service")?,
        event_type: row.try_get("event_type")?,
        channel: row.try_get("channel")?,
        target: row.try_get("target")?,
        status: row.try_get("status")?,
        attempts: int(row, "attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        created_at: row.try_get("created_at")?,
        delivered_at: row.try_get("delivered_at")?,
        last_error: row.try_get("last_error")?,
        log,
    })
}

async fn attempts_of(store: &Store, outbox_id: i64) -> Result<Vec<AttemptRecord>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT attempt, started_at, latency_ms, status_code, outcome, error FROM notify_attempts WHERE outbox_id = $1 ORDER BY id",
    )
    .bind(outbox_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AttemptRecord {
                attempt: int(row, "attempt")?,
                started_at: row.try_get("started_at")?,
                latency_ms: row.try_get("latency_ms")?,
                status_code: row.try_get::<Option<i64>, _>("status_code").or_else(|_| {
                    row.try_get::<Option<i32>, _>("status_code")
                        .map(|c| c.map(i64::from))
                })?,
                outcome: row.try_get("outcome")?,
                error: row.try_get("error")?,
            })
        })
        .collect()
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
        "UPDATE notify_outbox SET status = 'pending', next_attempt_at = $1, lease_until = 0, retry_from = $1
         WHERE event_id = $2 AND lease_until <= $3",
    )
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

/// The webhook signing secret of `url`, made on first use.
pub async fn target_secret(store: &Store, clock: &Clock, url: &str) -> Result<String, sqlx::Error> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    sqlx::query("INSERT INTO notify_targets (url, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (url) DO NOTHING")
        .bind(url)
        .bind(format!("whsec_{}", hex::encode(bytes)))
        .bind(clock.now_unix())
        .execute(store.pool())
        .await?;
    sqlx::query("SELECT secret FROM notify_targets WHERE url = $1")
        .bind(url)
        .fetch_one(store.pool())
        .await?
        .try_get("secret")
}
