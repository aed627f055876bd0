//! Delivery records: claim due rows under a lease (nobody else delivers them meanwhile), and
//! record each attempt in the log, moving the row on: delivered, scheduled again, or failed.

use super::{AttemptOutcome, Channel, DeliveryStatus};
use crate::clock::Clock;
use crate::notify::NotifyConfig;
use crate::store::{Backend, Store};

/// A row claimed for delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    /// Outbox row id.
    pub id: i64,
    /// Stable event id.
    pub event_id: String,
    /// Service.
    pub service: String,
    /// Event type.
    pub event_type: String,
    /// Webhook or email.
    pub channel: Channel,
    /// URL or email address.
    pub target: String,
    /// Body (webhook) or `{"subject","text"}` (email).
    pub payload: String,
    /// This attempt's number, from 1.
    #[sqlx(rename = "attempts")]
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
                      WHERE status = $2 AND next_attempt_at <= $3 AND lease_until <= $4
                      ORDER BY id LIMIT $5{skip_locked})
         RETURNING id, event_id, service, event_type, channel, target, payload, attempts, retry_from, lease_until"
    );
    // Leases run on the system clock: moving the hub's (adjustable) clock makes retries due,
    // but must never end a lease that a worker still holds.
    let lease_now = Clock::system().now_unix();
    let mut claimed: Vec<Claimed> = sqlx::query_as(&sql)
        .bind(lease_now + lease_secs)
        .bind(DeliveryStatus::Pending)
        .bind(now)
        .bind(lease_now)
        .bind(limit)
        .fetch_all(store.pool())
        .await?;
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

/// Where an attempt leaves its row: the log's outcome, the error, the row's status and when
/// it is next due.
struct Move<'a> {
    logged: AttemptOutcome,
    error: Option<&'a str>,
    status: DeliveryStatus,
    next_attempt_at: i64,
}

/// Where `outcome` leaves `row` at `now`: a retry is scheduled by the configured delays, unless
/// it would come after the retry window, which fails the row.
fn next_move<'a>(config: &NotifyConfig, row: &Claimed, outcome: &'a Outcome, now: i64) -> Move<'a> {
    let failed = |error: &'a str| Move {
        logged: AttemptOutcome::Failed,
        error: Some(error),
        status: DeliveryStatus::Failed,
        next_attempt_at: now,
    };
    match outcome {
        Outcome::Delivered => Move {
            logged: AttemptOutcome::Delivered,
            error: None,
            status: DeliveryStatus::Delivered,
            next_attempt_at: now,
        },
        Outcome::Permanent(e) => failed(e),
        Outcome::Retry(e) => {
            let delays = &config.retry_delays_secs;
            let index = usize::try_from(row.attempt - 1)
                .unwrap_or(0)
                .min(delays.len().saturating_sub(1));
            let delay = i64::try_from(delays.get(index).copied().unwrap_or(600)).unwrap_or(600);
            let deadline =
                row.retry_from + i64::try_from(config.retry_window_secs).unwrap_or(i64::MAX);
            if now + delay > deadline {
                failed(e)
            } else {
                Move {
                    logged: AttemptOutcome::Retry,
                    error: Some(e),
                    status: DeliveryStatus::Pending,
                    next_attempt_at: now + delay,
                }
            }
        }
    }
}

/// Records an attempt and moves the row on: delivered, scheduled again, or failed.
pub async fn record_attempt(
    store: &Store,
    clock: &Clock,
    config: &NotifyConfig,
    row: &Claimed,
    result: &AttemptResult,
) -> Result<(), sqlx::Error> {
    let now = clock.now_unix();
    let next = next_move(config, row, &result.outcome, now);
    let mut tx = store.pool().begin().await?;
    sqlx::query(
        "INSERT INTO notify_attempts (outbox_id, attempt, started_at, latency_ms, status_code, outcome, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(row.id)
    .bind(row.attempt)
    .bind(result.started_at)
    .bind(result.latency_ms)
    .bind(result.status_code.map(i64::from))
    .bind(next.logged)
    .bind(next.error)
    .execute(&mut *tx)
    .await?;
    let delivered_at = (next.status == DeliveryStatus::Delivered).then_some(now);
    let moved = sqlx::query(
        "UPDATE notify_outbox SET status = $1, next_attempt_at = $2, lease_until = 0, last_error = $3,
                delivered_at = COALESCE($4, delivered_at)
         WHERE id = $5 AND lease_until = $6",
    )
    .bind(next.status)
    .bind(next.next_attempt_at)
    .bind(next.error)
    .bind(delivered_at)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> NotifyConfig {
        NotifyConfig {
            allow_private_targets: false,
            webhook_timeout_secs: 10,
            retry_delays_secs: vec![10, 60],
            retry_window_secs: 100,
            smtp_url: None,
            smtp_from: "hub@example.com".into(),
            mail_dir: "mail".into(),
            workers: 1,
            operator_webhook_url: None,
        }
    }

    fn claimed(attempt: i64) -> Claimed {
        Claimed {
            id: 1,
            event_id: "evt_1".into(),
            service: "gifts".into(),
            event_type: "gift.redeemed".into(),
            channel: Channel::Webhook,
            target: "https://example.com/hook".into(),
            payload: "{}".into(),
            attempt,
            retry_from: 1_000,
            lease_until: 0,
        }
    }

    #[test]
    fn retries_follow_the_delays_until_the_window_closes() {
        let retry = Outcome::Retry("HTTP 500".into());
        let first = next_move(&config(), &claimed(1), &retry, 1_000);
        assert_eq!(
            (first.logged, first.status, first.next_attempt_at),
            (AttemptOutcome::Retry, DeliveryStatus::Pending, 1_010)
        );
        // The last delay repeats.
        let later = next_move(&config(), &claimed(5), &retry, 1_020);
        assert_eq!(later.next_attempt_at, 1_080);
        // Past the window: failed, with the error kept.
        let late = next_move(&config(), &claimed(6), &retry, 1_050);
        assert_eq!(
            (late.logged, late.status, late.error),
            (
                AttemptOutcome::Failed,
                DeliveryStatus::Failed,
                Some("HTTP 500")
            )
        );
    }

    #[test]
    fn delivered_and_permanent_outcomes_are_final() {
        let delivered = next_move(&config(), &claimed(1), &Outcome::Delivered, 1_000);
        assert_eq!(
            (delivered.logged, delivered.status, delivered.error),
            (AttemptOutcome::Delivered, DeliveryStatus::Delivered, None)
        );
        let refused = Outcome::Permanent("refused webhook target".into());
        let failed = next_move(&config(), &claimed(1), &refused, 1_000);
        assert_eq!(
            (failed.logged, failed.status),
            (AttemptOutcome::Failed, DeliveryStatus::Failed)
        );
    }
}
