//! Delivery workers: claim due outbox rows, deliver them (webhook or email), record each attempt.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::email::Mailer;
use super::guard::webhook_client;
use super::outbox::{self, Channel, Claimed, Outcome};
use super::Notifier;

/// Rows one worker claims at a time (delivered concurrently).
const BATCH: i64 = 32;
/// How often an idle worker looks for due rows (other processes and retries come due without
/// a wake-up).
const POLL: Duration = Duration::from_millis(250);

/// Seconds between the end of a delivery's time limit and the end of its lease.
const LEASE_MARGIN_SECS: u64 = 30;

/// How long a claim holds a row: room for a webhook's timeout (twice, connect and answer) or an
/// SMTP exchange (lettre allows 60 s per step), plus the margin.
fn lease_secs(notifier: &Notifier) -> i64 {
    let webhook = notifier.config.webhook_timeout_secs.saturating_mul(2);
    i64::try_from(webhook.max(90).saturating_add(LEASE_MARGIN_SECS)).unwrap_or(i64::MAX)
}

/// Starts the configured number of workers.
pub fn spawn_workers(
    notifier: Arc<Notifier>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let mailer = Arc::new(Mailer::new(
        notifier.config.smtp_url.as_deref(),
        &notifier.config.mail_dir,
    )?);
    let client = webhook_client(
        notifier.config.allow_private_targets,
        Duration::from_secs(notifier.config.webhook_timeout_secs),
    );
    Ok((0..notifier.config.workers)
        .map(|_| {
            let (notifier, mailer, client, mut shutdown) = (
                Arc::clone(&notifier),
                Arc::clone(&mailer),
                client.clone(),
                shutdown.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let delivered = match run_once(&notifier, &mailer, &client).await {
                        Ok(n) => n,
                        Err(e) => {
                            tracing::warn!(error = %e, "notification worker: database error");
                            0
                        }
                    };
                    if delivered == 0 {
                        tokio::select! {
                            _ = notifier.outbox_signal().notified() => {}
                            _ = tokio::time::sleep(POLL) => {}
                            _ = shutdown.wait_for(|stop| *stop) => return,
                        }
                    } else if *shutdown.borrow() {
                        return;
                    }
                }
            })
        })
        .collect())
}

/// Claims and delivers one batch. Returns how many rows it handled.
async fn run_once(
    notifier: &Arc<Notifier>,
    mailer: &Arc<Mailer>,
    client: &reqwest::Client,
) -> Result<usize, sqlx::Error> {
    let rows = outbox::claim(
        &notifier.store,
        &notifier.clock,
        BATCH,
        lease_secs(notifier),
    )
    .await?;
    let count = rows.len();
    let mut deliveries = JoinSet::new();
    for row in rows {
        let (notifier, mailer, client) = (Arc::clone(notifier), Arc::clone(mailer), client.clone());
        deliveries.spawn(async move { deliver_one(&notifier, &mailer, &client, row).await });
    }
    while let Some(result) = deliveries.join_next().await {
        if let Ok(Err(e)) = result {
            tracing::warn!(error = %e, "recording a delivery attempt failed; the lease will expire and it is retried");
        }
    }
    Ok(count)
}

#[tracing::instrument(skip_all, fields(event_id = %row.event_id, attempt = row.attempt, channel = %row.channel))]
async fn deliver_one(
    notifier: &Notifier,
    mailer: &Mailer,
    client: &reqwest::Client,
    row: Claimed,
) -> Result<(), sqlx::Error> {
    let started_at = notifier.clock.now_unix();
    let started = std::time::Instant::now();
    // A delivery never outlives its lease: it is cut off well before, and retried.
    let limit = Duration::from_secs(
        u64::try_from(lease_secs(notifier))
            .unwrap_or(120)
            .saturating_sub(LEASE_MARGIN_SECS),
    );
    let attempt = async {
        Ok::<_, sqlx::Error>(match row.channel {
            Channel::Webhook => {
                let secret =
                    outbox::target_secret(&notifier.store, &notifier.clock, &row.target).await?;
                super::webhook::deliver(
                    client,
                    notifier.config.allow_private_targets,
                    &secret,
                    &row,
                )
                .await
            }
            Channel::Email => {
                let started = std::time::Instant::now();
                let outcome = mailer.deliver(&notifier.config.smtp_from, &row).await;
                (
                    None,
                    outcome,
                    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
                )
            }
        })
    };
    let (status, outcome, latency_ms) = match tokio::time::timeout(limit, attempt).await {
        Ok(result) => result?,
        Err(_) => (
            None,
            Outcome::Retry(format!("delivery took longer than {} s", limit.as_secs())),
            i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        ),
    };
    match &outcome {
        Outcome::Delivered => {
            tracing::debug!(event_id = %row.event_id, attempt = row.attempt, "notification delivered")
        }
        Outcome::Retry(e) => {
            tracing::info!(event_id = %row.event_id, attempt = row.attempt, error = %e, "notification not delivered; will retry")
        }
        Outcome::Permanent(e) => {
            tracing::warn!(event_id = %row.event_id, error = %e, "notification failed")
        }
    }
    let result = outbox::AttemptResult {
        started_at,
        latency_ms,
        status_code: status,
        outcome,
    };
    outbox::record_attempt(
        &notifier.store,
        &notifier.clock,
        &notifier.config,
        &row,
        &result,
    )
    .await
}
